//! Operators and predicates: unary/binary operators resolved through `types::ops`, row
//! comparisons, IN lists, LIKE, CASE.

use crate::error::{sqlstate, Error, Result};
use crate::sql::ast;
use crate::types::cast::common_type;
use crate::types::ops::{resolve_binary, resolve_unary, BinaryOp, UnaryOp};
use crate::types::DataType;

use super::bind_expr::{number_literal, Typed};
use super::binder::Binder;
use super::scope::Scope;
use super::Expr;

impl Binder<'_> {
    pub(super) fn bind_unary(&mut self, op: ast::UnaryOperator, x: &ast::Expr, scope: &Scope) -> Result<Typed> {
        use ast::UnaryOperator as U;
        if op == U::Not {
            let x = self.bind_bool(x, scope, "NOT")?;
            return Ok((Expr::Not(Box::new(x)), DataType::Bool));
        }
        // `-<number>` is one constant, so -2147483648 is still an integer.
        if op == U::Minus {
            if let ast::Expr::Value(v) = x {
                if let ast::Value::Number(n, _) = &v.value {
                    return number_literal(&format!("-{n}"));
                }
            }
        }
        let uop = match op {
            U::Minus => UnaryOp::Neg,
            U::Plus => UnaryOp::Plus,
            U::BitwiseNot => UnaryOp::BitNot,
            U::PGSquareRoot => UnaryOp::Sqrt,
            U::PGAbs => UnaryOp::Abs,
            other => return Err(Error::unsupported(format!("operator {other}"))),
        };
        let (x, t) = self.bind_expr(x, scope)?;
        let (arg, result) = resolve_unary(uop, &t)?;
        let x = self.coerce(x, &t, &arg);
        Ok((
            Expr::Unary {
                op: uop,
                expr: Box::new(x),
            },
            result,
        ))
    }

    pub(super) fn bind_binary(
        &mut self,
        l: &ast::Expr,
        op: &ast::BinaryOperator,
        r: &ast::Expr,
        scope: &Scope,
    ) -> Result<Typed> {
        use ast::BinaryOperator as B;
        let bop = match op {
            B::And | B::Or => {
                let what = if *op == B::And { "AND" } else { "OR" };
                let lx = self.bind_bool(l, scope, what)?;
                let rx = self.bind_bool(r, scope, what)?;
                let mut terms = Vec::new();
                for x in [lx, rx] {
                    match (x, op) {
                        (Expr::And(inner), B::And) => terms.extend(inner),
                        (Expr::Or(inner), B::Or) => terms.extend(inner),
                        (x, _) => terms.push(x),
                    }
                }
                let x = if *op == B::And {
                    Expr::And(terms)
                } else {
                    Expr::Or(terms)
                };
                return Ok((x, DataType::Bool));
            }
            B::PGLikeMatch | B::PGILikeMatch | B::PGNotLikeMatch | B::PGNotILikeMatch => {
                let ci = matches!(op, B::PGILikeMatch | B::PGNotILikeMatch);
                let neg = matches!(op, B::PGNotLikeMatch | B::PGNotILikeMatch);
                return self.bind_like(l, r, None, ci, neg, scope);
            }
            B::PGCustomBinaryOperator(parts) => {
                // `OPERATOR(pg_catalog.~)`: the schema-qualified spelling of a built-in operator.
                let standard = match parts.last().map(String::as_str) {
                    Some("~") => B::PGRegexMatch,
                    Some("~*") => B::PGRegexIMatch,
                    Some("!~") => B::PGRegexNotMatch,
                    Some("!~*") => B::PGRegexNotIMatch,
                    Some("~~") => B::PGLikeMatch,
                    Some("~~*") => B::PGILikeMatch,
                    Some("!~~") => B::PGNotLikeMatch,
                    Some("!~~*") => B::PGNotILikeMatch,
                    Some("=") => B::Eq,
                    Some("<>") => B::NotEq,
                    Some("<") => B::Lt,
                    Some("<=") => B::LtEq,
                    Some(">") => B::Gt,
                    Some(">=") => B::GtEq,
                    Some("||") => B::StringConcat,
                    Some("+") => B::Plus,
                    Some("-") => B::Minus,
                    Some("*") => B::Multiply,
                    Some("/") => B::Divide,
                    _ => {
                        return Err(binary_op(op)
                            .err()
                            .unwrap_or_else(|| Error::unsupported(format!("operator {op}"))))
                    }
                };
                return self.bind_binary(l, &standard, r, scope);
            }
            other => binary_op(other)?,
        };
        if let (ast::Expr::Tuple(ls), ast::Expr::Tuple(rs)) = (l, r) {
            return Ok((self.bind_row_compare(bop, ls, rs, scope)?, DataType::Bool));
        }
        let left = self.bind_expr(l, scope)?;
        let right = self.bind_expr(r, scope)?;
        self.apply_binary(bop, left, right)
    }

    /// Resolves and coerces `left op right`.
    pub(super) fn apply_binary(&mut self, op: BinaryOp, left: Typed, right: Typed) -> Result<Typed> {
        let (lx, lt) = left;
        let (rx, rt) = right;
        // A parameter of unknown type takes the other operand's type, as in PostgreSQL.
        let lt = self.infer_param(&lx, lt, &rt);
        let rt = self.infer_param(&rx, rt, &lt);
        let sig = resolve_binary(op, &lt, &rt)?;
        let lx = self.coerce(lx, &lt, &sig.left);
        let rx = self.coerce(rx, &rt, &sig.right);
        Ok((
            Expr::Binary {
                op,
                left: Box::new(lx),
                right: Box::new(rx),
            },
            sig.result,
        ))
    }

    /// Binds two operands compared with `op`, coerced to the operator's signature.
    pub(super) fn bind_compared(
        &mut self,
        l: &ast::Expr,
        r: &ast::Expr,
        scope: &Scope,
        op: BinaryOp,
    ) -> Result<(Expr, Expr)> {
        let left = self.bind_expr(l, scope)?;
        let right = self.bind_expr(r, scope)?;
        match self.apply_binary(op, left, right)? {
            (Expr::Binary { left, right, .. }, _) => Ok((*left, *right)),
            _ => Err(Error::bug("apply_binary returned a non-binary expression")),
        }
    }

    /// `(a, b) op (c, d)`: pairwise for `=`/`<>`, lexicographic for ordering operators.
    pub(super) fn bind_row_compare(
        &mut self,
        op: BinaryOp,
        ls: &[ast::Expr],
        rs: &[ast::Expr],
        scope: &Scope,
    ) -> Result<Expr> {
        if ls.len() != rs.len() || ls.is_empty() {
            return Err(Error::syntax("unequal number of entries in row expressions"));
        }
        let pair = |b: &mut Self, op: BinaryOp, i: usize| -> Result<Expr> {
            let l = b.bind_expr(&ls[i], scope)?;
            let r = b.bind_expr(&rs[i], scope)?;
            Ok(b.apply_binary(op, l, r)?.0)
        };
        match op {
            BinaryOp::Eq => Ok(Expr::And(
                (0..ls.len())
                    .map(|i| pair(self, BinaryOp::Eq, i))
                    .collect::<Result<_>>()?,
            )),
            BinaryOp::NotEq => Ok(Expr::Or(
                (0..ls.len())
                    .map(|i| pair(self, BinaryOp::NotEq, i))
                    .collect::<Result<_>>()?,
            )),
            BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => {
                let strict = match op {
                    BinaryOp::Lt | BinaryOp::LtEq => BinaryOp::Lt,
                    _ => BinaryOp::Gt,
                };
                // From the last column outwards: a_k strict b_k OR (a_k = b_k AND rest).
                let last = ls.len() - 1;
                let mut acc = pair(self, op, last)?;
                for i in (0..last).rev() {
                    let lt = pair(self, strict, i)?;
                    let eq = pair(self, BinaryOp::Eq, i)?;
                    acc = Expr::Or(vec![lt, Expr::And(vec![eq, acc])]);
                }
                Ok(acc)
            }
            _ => Err(Error::unsupported("this operator on row values")),
        }
    }

    pub(super) fn bind_in_list(
        &mut self,
        x: &ast::Expr,
        list: &[ast::Expr],
        negated: bool,
        scope: &Scope,
    ) -> Result<Typed> {
        if let ast::Expr::Tuple(xs) = x {
            // `(a, b) IN ((1, 2), (3, 4))` is an OR of row equalities.
            let mut terms = Vec::with_capacity(list.len());
            for item in list {
                let ast::Expr::Tuple(ys) = item else {
                    return Err(Error::syntax("unequal number of entries in row expressions"));
                };
                terms.push(self.bind_row_compare(BinaryOp::Eq, xs, ys, scope)?);
            }
            let any = Expr::Or(terms);
            return Ok((if negated { Expr::Not(Box::new(any)) } else { any }, DataType::Bool));
        }
        let (x, xt) = self.bind_expr(x, scope)?;
        let mut items = Vec::with_capacity(list.len());
        for i in list {
            items.push(self.bind_expr(i, scope)?);
        }
        let mut types = vec![xt.clone()];
        types.extend(items.iter().map(|(_, t)| t.clone()));
        let common = common_type(&types, "IN")?;
        let common = if common == DataType::Unknown {
            DataType::Text
        } else {
            common
        };
        // Validate that equality exists for the common type (e.g. no `=` for jsonb arrays).
        resolve_binary(BinaryOp::Eq, &common, &common)?;
        let x = self.coerce(x, &xt, &common);
        let list = items.into_iter().map(|(e, t)| self.coerce(e, &t, &common)).collect();
        Ok((
            Expr::InList {
                expr: Box::new(x),
                list,
                negated,
            },
            DataType::Bool,
        ))
    }

    pub(super) fn bind_like(
        &mut self,
        x: &ast::Expr,
        pattern: &ast::Expr,
        escape: Option<&ast::Expr>,
        case_insensitive: bool,
        negated: bool,
        scope: &Scope,
    ) -> Result<Typed> {
        let (x, xt) = self.bind_expr(x, scope)?;
        let (p, pt) = self.bind_expr(pattern, scope)?;
        let opname = match (case_insensitive, negated) {
            (false, false) => "~~",
            (false, true) => "!~~",
            (true, false) => "~~*",
            (true, true) => "!~~*",
        };
        for t in [&xt, &pt] {
            if !(t.is_string() || *t == DataType::Unknown) {
                return Err(Error::sql(
                    sqlstate::UNDEFINED_FUNCTION,
                    format!("operator does not exist: {xt} {opname} {pt}"),
                )
                .with_hint(
                    "No operator matches the given name and argument types. You might need to add explicit type casts.",
                ));
            }
        }
        let x = self.coerce(x, &xt, &DataType::Text);
        let p = self.coerce(p, &pt, &DataType::Text);
        let escape = match escape {
            Some(e) => {
                let (e, et) = self.bind_expr(e, scope)?;
                Some(Box::new(self.coerce(e, &et, &DataType::Text)))
            }
            None => None,
        };
        Ok((
            Expr::Like {
                expr: Box::new(x),
                pattern: Box::new(p),
                escape,
                case_insensitive,
                negated,
            },
            DataType::Bool,
        ))
    }

    pub(super) fn bind_case(
        &mut self,
        operand: Option<&ast::Expr>,
        conditions: &[ast::CaseWhen],
        else_result: Option<&ast::Expr>,
        scope: &Scope,
    ) -> Result<Typed> {
        let mut branches = Vec::with_capacity(conditions.len());
        let mut results = Vec::with_capacity(conditions.len() + 1);
        for w in conditions {
            // Simple CASE is desugared to `operand = value` tests, coerced like `=`.
            let cond = match operand {
                Some(op) => {
                    let (l, r) = self.bind_compared(op, &w.condition, scope, BinaryOp::Eq)?;
                    Expr::Binary {
                        op: BinaryOp::Eq,
                        left: Box::new(l),
                        right: Box::new(r),
                    }
                }
                None => self.bind_bool(&w.condition, scope, "CASE/WHEN")?,
            };
            branches.push(cond);
            results.push(self.bind_expr(&w.result, scope)?);
        }
        let else_bound = match else_result {
            Some(e) => Some(self.bind_expr(e, scope)?),
            None => None,
        };
        let mut types: Vec<DataType> = results.iter().map(|(_, t)| t.clone()).collect();
        if let Some((_, t)) = &else_bound {
            types.push(t.clone());
        }
        let common = common_type(&types, "CASE")?;
        let common = if common == DataType::Unknown {
            DataType::Text
        } else {
            common
        };
        let branches = branches
            .into_iter()
            .zip(results)
            .map(|(c, (r, t))| (c, self.coerce(r, &t, &common)))
            .collect();
        let else_expr = else_bound.map(|(e, t)| Box::new(self.coerce(e, &t, &common)));
        Ok((
            Expr::Case {
                operand: None,
                branches,
                else_expr,
            },
            common,
        ))
    }
}

/// Maps a binary operator token to Vellum's operator.
pub(super) fn binary_op(op: &ast::BinaryOperator) -> Result<BinaryOp> {
    use ast::BinaryOperator as B;
    Ok(match op {
        B::Plus => BinaryOp::Add,
        B::Minus => BinaryOp::Sub,
        B::Multiply => BinaryOp::Mul,
        B::Divide => BinaryOp::Div,
        B::Modulo => BinaryOp::Mod,
        B::PGExp => BinaryOp::Pow,
        B::Eq => BinaryOp::Eq,
        B::NotEq => BinaryOp::NotEq,
        B::Lt => BinaryOp::Lt,
        B::LtEq => BinaryOp::LtEq,
        B::Gt => BinaryOp::Gt,
        B::GtEq => BinaryOp::GtEq,
        B::StringConcat => BinaryOp::Concat,
        B::BitwiseAnd => BinaryOp::BitAnd,
        B::BitwiseOr => BinaryOp::BitOr,
        B::PGBitwiseXor => BinaryOp::BitXor,
        B::PGBitwiseShiftLeft => BinaryOp::ShiftLeft,
        B::PGBitwiseShiftRight => BinaryOp::ShiftRight,
        B::Arrow => BinaryOp::JsonGet,
        B::LongArrow => BinaryOp::JsonGetText,
        B::HashArrow => BinaryOp::JsonPath,
        B::HashLongArrow => BinaryOp::JsonPathText,
        B::AtArrow => BinaryOp::JsonContains,
        B::ArrowAt => BinaryOp::JsonContainedBy,
        B::Question => BinaryOp::JsonExists,
        B::PGRegexMatch => BinaryOp::RegexMatch {
            case_insensitive: false,
            negated: false,
        },
        B::PGRegexIMatch => BinaryOp::RegexMatch {
            case_insensitive: true,
            negated: false,
        },
        B::PGRegexNotMatch => BinaryOp::RegexMatch {
            case_insensitive: false,
            negated: true,
        },
        B::PGRegexNotIMatch => BinaryOp::RegexMatch {
            case_insensitive: true,
            negated: true,
        },
        other => return Err(Error::unsupported(format!("operator {other}"))),
    })
}
