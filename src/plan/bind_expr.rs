//! Scalar expression binding: the dispatch over sqlparser's expression forms, names to row
//! positions (or enclosing rows), literals to typed constants. Operators live in
//! `bind_operator`, casts in `coercion`, calls and subqueries in `bind_function`.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::error::{sqlstate, Error, Result};
use crate::sql::ast;
use crate::types::cast::common_type;
use crate::types::ops::BinaryOp;
use crate::types::{DataType, Value};

use super::binder::Binder;
use super::scope::{Lookup, Scope};
use super::sql_type::{convert_type, fold_ident};
use super::Expr;

/// A bound expression with its type.
pub(super) type Typed = (Expr, DataType);

impl Binder<'_> {
    pub(super) fn bind_expr(&mut self, e: &ast::Expr, scope: &Scope) -> Result<Typed> {
        super::rewrite::deep(|| self.bind_expr_inner(e, scope))
    }

    fn bind_expr_inner(&mut self, e: &ast::Expr, scope: &Scope) -> Result<Typed> {
        use ast::Expr as A;
        match e {
            A::Identifier(id) => self.resolve_column(None, &fold_ident(id), scope),
            A::CompoundIdentifier(parts) => {
                let names: Vec<String> = parts.iter().map(fold_ident).collect();
                match names.as_slice() {
                    [t, c] => self.resolve_column(Some(t), c, scope),
                    [s, t, c] if s == "public" => self.resolve_column(Some(t), c, scope),
                    _ => Err(Error::unsupported(format!("column reference {e}"))),
                }
            }
            A::Nested(inner) => self.bind_expr(inner, scope),
            A::Value(v) => self.bind_value(&v.value),
            A::TypedString(ts) => {
                let to = convert_type(&ts.data_type)?;
                let text = literal_text(&ts.value.value)?;
                Ok((
                    Expr::Cast {
                        expr: Box::new(Expr::Constant(Value::Text(text))),
                        to: to.clone(),
                    },
                    to,
                ))
            }
            A::Interval(iv) => {
                let (inner, ty) = self.bind_expr(&iv.value, scope)?;
                let inner = match (&inner, &iv.leading_field) {
                    (Expr::Constant(Value::Text(s)), Some(field)) if iv.last_field.is_none() => {
                        let unit = field.to_string().to_lowercase();
                        if s.trim().chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-') {
                            Expr::Constant(Value::Text(format!("{s} {unit}")))
                        } else {
                            inner
                        }
                    }
                    _ => inner,
                };
                Ok((self.coerce(inner, &ty, &DataType::Interval), DataType::Interval))
            }
            A::Cast {
                expr, data_type, kind, ..
            } => {
                if matches!(kind, ast::CastKind::TryCast | ast::CastKind::SafeCast) {
                    return Err(Error::unsupported("TRY_CAST"));
                }
                if super::bind_reg_cast::is_catalog_type(&data_type.to_string()) {
                    let bound = self.bind_expr(expr, scope)?;
                    if let Some(cast) = self.bind_catalog_cast(&data_type.to_string(), bound)? {
                        return Ok(cast);
                    }
                }
                let to = convert_type(data_type)?;
                if to.is_string() {
                    if let Some((inner, from)) = self.bind_reg_as_text(expr, scope)? {
                        return Ok((self.explicit_cast(inner, &from, &to), to));
                    }
                }
                let (inner, from) = self.bind_expr(expr, scope)?;
                Ok((self.explicit_cast(inner, &from, &to), to))
            }
            A::UnaryOp { op, expr } => self.bind_unary(*op, expr, scope),
            A::BinaryOp { left, op, right } => self.bind_binary(left, op, right, scope),
            A::IsNull(x) | A::IsNotNull(x) => {
                let (x, _) = self.bind_expr(x, scope)?;
                Ok((
                    Expr::IsNull {
                        expr: Box::new(x),
                        negated: matches!(e, A::IsNotNull(_)),
                    },
                    DataType::Bool,
                ))
            }
            A::IsTrue(x)
            | A::IsNotTrue(x)
            | A::IsFalse(x)
            | A::IsNotFalse(x)
            | A::IsUnknown(x)
            | A::IsNotUnknown(x) => {
                let (value, negated, what) = match e {
                    A::IsTrue(_) => (Some(true), false, "IS TRUE"),
                    A::IsNotTrue(_) => (Some(true), true, "IS NOT TRUE"),
                    A::IsFalse(_) => (Some(false), false, "IS FALSE"),
                    A::IsNotFalse(_) => (Some(false), true, "IS NOT FALSE"),
                    A::IsUnknown(_) => (None, false, "IS UNKNOWN"),
                    _ => (None, true, "IS NOT UNKNOWN"),
                };
                let x = self.bind_bool(x, scope, what)?;
                Ok((
                    Expr::IsBool {
                        expr: Box::new(x),
                        value,
                        negated,
                    },
                    DataType::Bool,
                ))
            }
            A::IsDistinctFrom(l, r) | A::IsNotDistinctFrom(l, r) => {
                let (l, r) = self.bind_compared(l, r, scope, BinaryOp::Eq)?;
                let negated = matches!(e, A::IsNotDistinctFrom(..));
                Ok((
                    Expr::IsDistinctFrom {
                        left: Box::new(l),
                        right: Box::new(r),
                        negated,
                    },
                    DataType::Bool,
                ))
            }
            A::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let (x1, lo) = self.bind_compared(expr, low, scope, BinaryOp::GtEq)?;
                let (x2, hi) = self.bind_compared(expr, high, scope, BinaryOp::LtEq)?;
                let ge = Expr::Binary {
                    op: BinaryOp::GtEq,
                    left: Box::new(x1),
                    right: Box::new(lo),
                };
                let le = Expr::Binary {
                    op: BinaryOp::LtEq,
                    left: Box::new(x2),
                    right: Box::new(hi),
                };
                let both = Expr::And(vec![ge, le]);
                Ok((if *negated { Expr::Not(Box::new(both)) } else { both }, DataType::Bool))
            }
            A::InList { expr, list, negated } => self.bind_in_list(expr, list, *negated, scope),
            A::Like {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            }
            | A::ILike {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            } => {
                if *any {
                    return Err(Error::unsupported("LIKE ANY"));
                }
                let case_insensitive = matches!(e, A::ILike { .. });
                self.bind_like(expr, pattern, escape_char.as_deref(), case_insensitive, *negated, scope)
            }
            A::SimilarTo { .. } => Err(Error::unsupported("SIMILAR TO")),
            A::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.bind_case(operand.as_deref(), conditions, else_result.as_deref(), scope),
            A::Function(f) => self.bind_function(f, scope),
            A::Extract { field, expr, .. } => {
                let field_name = datetime_field_name(field);
                let (x, t) = self.bind_expr(expr, scope)?;
                let field_arg = (Expr::Constant(Value::Text(field_name)), DataType::Text);
                self.call_scalar(&["extract", "date_part"], vec![field_arg, (x, t)])
            }
            A::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let mut args = vec![self.bind_expr(expr, scope)?];
                match substring_from {
                    Some(from) => args.push(self.bind_expr(from, scope)?),
                    None => args.push((Expr::Constant(Value::Int4(1)), DataType::Int4)),
                }
                if let Some(f) = substring_for {
                    args.push(self.bind_expr(f, scope)?);
                }
                self.call_scalar(&["substring", "substr"], args)
            }
            A::Position { expr, r#in } => {
                let needle = self.bind_expr(expr, scope)?;
                let hay = self.bind_expr(r#in, scope)?;
                self.call_scalar(&["strpos", "position"], vec![hay, needle])
            }
            A::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                let name = match trim_where {
                    Some(ast::TrimWhereField::Leading) => "ltrim",
                    Some(ast::TrimWhereField::Trailing) => "rtrim",
                    _ => "btrim",
                };
                let mut args = vec![self.bind_expr(expr, scope)?];
                if let Some(what) = trim_what {
                    args.push(self.bind_expr(what, scope)?);
                } else if let Some(chars) = trim_characters.as_ref().and_then(|c| c.first()) {
                    args.push(self.bind_expr(chars, scope)?);
                }
                self.call_scalar(&[name], args)
            }
            A::Ceil { expr, .. } => {
                let a = self.bind_expr(expr, scope)?;
                self.call_scalar(&["ceil"], vec![a])
            }
            A::Floor { expr, .. } => {
                let a = self.bind_expr(expr, scope)?;
                self.call_scalar(&["floor"], vec![a])
            }
            A::Array(arr) => {
                let mut items = Vec::with_capacity(arr.elem.len());
                for x in &arr.elem {
                    items.push(self.bind_expr(x, scope)?);
                }
                let types: Vec<DataType> = items.iter().map(|(_, t)| t.clone()).collect();
                let elem = if types.is_empty() {
                    DataType::Text
                } else {
                    common_type(&types, "ARRAY")?
                };
                let elem = if elem == DataType::Unknown {
                    DataType::Text
                } else {
                    elem
                };
                let exprs = items.into_iter().map(|(x, t)| self.coerce(x, &t, &elem)).collect();
                Ok((Expr::Array(exprs), DataType::Array(Box::new(elem))))
            }
            A::CompoundFieldAccess { root, access_chain } => {
                let (mut x, mut t) = self.bind_expr(root, scope)?;
                for access in access_chain {
                    match access {
                        ast::AccessExpr::Subscript(ast::Subscript::Index { index }) => {
                            let elem = match &t {
                                DataType::Array(inner) => inner.as_ref().clone(),
                                other => {
                                    return Err(Error::datatype_mismatch(format!(
                                        "cannot subscript type {other} because it does not support subscripting"
                                    )))
                                }
                            };
                            let (i, it) = self.bind_expr(index, scope)?;
                            let i = self.coerce_to(i, &it, &DataType::Int4, "array subscript")?;
                            x = Expr::ArrayIndex {
                                array: Box::new(x),
                                index: Box::new(i),
                            };
                            t = elem;
                        }
                        _ => return Err(Error::unsupported(format!("expression {e}"))),
                    }
                }
                Ok((x, t))
            }
            A::Subquery(q) => self.bind_scalar_subquery(q, scope),
            A::Exists { subquery, negated } => {
                let x = self.bind_exists(subquery, scope)?;
                Ok((if *negated { Expr::Not(Box::new(x)) } else { x }, DataType::Bool))
            }
            A::InSubquery {
                expr,
                subquery,
                negated,
            } => self.bind_in_subquery(expr, subquery, *negated, scope),
            A::AnyOp {
                left,
                compare_op,
                right,
                ..
            } => self.bind_quantified(left, compare_op, right, false, scope),
            A::AllOp {
                left,
                compare_op,
                right,
            } => self.bind_quantified(left, compare_op, right, true, scope),
            A::AtTimeZone { .. } => Err(Error::unsupported("AT TIME ZONE")),
            A::Collate { expr, .. } => self.bind_expr(expr, scope),
            A::Tuple(_) => Err(Error::unsupported("row constructors")),
            other => Err(Error::unsupported(format!("expression {other}"))),
        }
    }

    /// Resolves a column name in the current scope, then in enclosing query levels.
    pub(super) fn resolve_column(&mut self, table: Option<&str>, name: &str, scope: &Scope) -> Result<Typed> {
        let mut relation_seen = false;
        match scope.lookup(table, name)? {
            Lookup::Found(i, t) => return Ok((Expr::Column(i), t)),
            Lookup::NotFound => relation_seen = true,
            Lookup::NoRelation => {}
        }
        let depth = self.outer.len();
        for k in 1..=depth {
            match self.outer[depth - k].lookup(table, name)? {
                Lookup::Found(index, t) => {
                    for flag in self.correlated.iter_mut().skip(depth - k) {
                        *flag = true;
                    }
                    return Ok((Expr::Outer { levels_up: k, index }, t));
                }
                Lookup::NotFound => relation_seen = true,
                Lookup::NoRelation => {}
            }
        }
        match table {
            Some(t) if !relation_seen => Err(Error::sql(
                sqlstate::UNDEFINED_TABLE,
                format!("missing FROM-clause entry for table \"{t}\""),
            )),
            Some(t) => Err(Error::sql(
                sqlstate::UNDEFINED_COLUMN,
                format!("column {t}.{name} does not exist"),
            )),
            None => Err(Error::undefined_column(name)),
        }
    }

    fn bind_value(&mut self, v: &ast::Value) -> Result<Typed> {
        use ast::Value as V;
        Ok(match v {
            V::Number(n, _) => number_literal(n)?,
            V::SingleQuotedString(s)
            | V::DollarQuotedString(ast::DollarQuotedString { value: s, .. })
            | V::EscapedStringLiteral(s)
            | V::UnicodeStringLiteral(s)
            | V::NationalStringLiteral(s)
            | V::TripleSingleQuotedString(s) => (Expr::Constant(Value::Text(s.clone())), DataType::Unknown),
            V::HexStringLiteral(_) => return Err(Error::unsupported("bit-string literals")),
            V::Boolean(b) => (Expr::Constant(Value::Bool(*b)), DataType::Bool),
            V::Null => (Expr::Constant(Value::Null), DataType::Unknown),
            V::Placeholder(p) => {
                let n: usize = p
                    .strip_prefix('$')
                    .and_then(|d| d.parse().ok())
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| Error::syntax(format!("syntax error at or near \"{p}\"")))?;
                self.param_slot(n);
                let t = self.param_types.get(n - 1).cloned().unwrap_or(DataType::Unknown);
                (Expr::Param(n - 1), t)
            }
            other => return Err(Error::unsupported(format!("literal {other}"))),
        })
    }

    /// Binds a boolean-valued expression; `what` names the context for the 42804 error
    /// (`argument of WHERE must be type boolean, not type integer`).
    pub(super) fn bind_bool(&mut self, e: &ast::Expr, scope: &Scope, what: &str) -> Result<Expr> {
        let (x, t) = self.bind_expr(e, scope)?;
        self.expect_bool(x, &t, what)
    }

    pub(super) fn expect_bool(&mut self, x: Expr, t: &DataType, what: &str) -> Result<Expr> {
        match t {
            DataType::Bool => Ok(x),
            DataType::Unknown => Ok(self.coerce(x, t, &DataType::Bool)),
            other => Err(Error::datatype_mismatch(format!(
                "argument of {what} must be type boolean, not type {other}"
            ))),
        }
    }
}

/// Integer literals are int4 when they fit, else int8, else numeric; decimals are numeric.
pub(super) fn number_literal(n: &str) -> Result<Typed> {
    let is_integer = n.bytes().all(|b| b.is_ascii_digit() || b == b'-');
    if is_integer {
        if let Ok(v) = n.parse::<i32>() {
            return Ok((Expr::Constant(Value::Int4(v)), DataType::Int4));
        }
        if let Ok(v) = n.parse::<i64>() {
            return Ok((Expr::Constant(Value::Int8(v)), DataType::Int8));
        }
    }
    match Decimal::from_str(n).or_else(|_| Decimal::from_scientific(n)) {
        Ok(d) => Ok((Expr::Constant(Value::Numeric(d)), DataType::Numeric(None))),
        // Past NUMERIC's 28 digits (`1e300`) the literal can only be a double precision.
        Err(_) => match n.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok((Expr::Constant(Value::Float8(f)), DataType::Float8)),
            _ => Err(Error::sql(
                sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
                format!("value out of range: \"{n}\""),
            )),
        },
    }
}

fn literal_text(v: &ast::Value) -> Result<String> {
    match v {
        ast::Value::SingleQuotedString(s)
        | ast::Value::EscapedStringLiteral(s)
        | ast::Value::DollarQuotedString(ast::DollarQuotedString { value: s, .. }) => Ok(s.clone()),
        other => Ok(other.to_string()),
    }
}

fn datetime_field_name(f: &ast::DateTimeField) -> String {
    match f {
        ast::DateTimeField::Custom(i) => i.value.to_lowercase(),
        other => other.to_string().to_lowercase(),
    }
}
