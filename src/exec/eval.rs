//! Expression evaluation over one row, with SQL's three-valued logic.
//!
//! Column and constant operands are borrowed, not cloned (`operand`), so the common
//! `col op const` predicate allocates nothing beyond what the operator itself returns.
//! Subqueries are delegated to `subquery.rs`.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::rc::Rc;

use crate::error::{sqlstate, Error, Result};
use crate::plan::Expr;
use crate::storage::Txn;
use crate::types::ops::{self, BinaryOp};
use crate::types::{cast, functions, Value};

use super::hashing::FastSet;
use super::Executor;

/// Interprets a value as a SQL boolean: `None` is UNKNOWN.
pub(super) fn truth(value: &Value) -> Result<Option<bool>> {
    match value {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        other => Err(Error::datatype_mismatch(format!(
            "argument of boolean expression must be type boolean, not type {}",
            other.data_type()
        ))),
    }
}

fn bool_value(b: Option<bool>) -> Value {
    match b {
        Some(b) => Value::Bool(b),
        None => Value::Null,
    }
}

/// SQL `=` between two values: `None` when either is NULL.
pub(super) fn sql_equal(left: &Value, right: &Value) -> Result<Option<bool>> {
    Ok(ops::sql_compare(left, right)?.map(|o| o == Ordering::Equal))
}

/// From this many items on, an IN list of constants is looked up in a hash set.
const CONSTANT_LIST_HASH_MIN: usize = 8;

/// The values of an IN list of constants, hashed once per statement.
pub struct ConstantList {
    values: FastSet<Value>,
    has_null: bool,
}

impl Executor<'_> {
    /// The hashed form of an IN list when every item is a constant.
    fn constant_list(&mut self, list: &[Expr]) -> Option<Rc<ConstantList>> {
        let key = list.as_ptr() as usize;
        if let Some(known) = self.in_lists.get(&key) {
            return known.clone();
        }
        let mut values = FastSet::default();
        let mut has_null = false;
        let mut all_constant = true;
        for item in list {
            match item {
                Expr::Constant(Value::Null) => has_null = true,
                Expr::Constant(v) => {
                    values.insert(v.clone());
                }
                _ => {
                    all_constant = false;
                    break;
                }
            }
        }
        let set = all_constant.then(|| Rc::new(ConstantList { values, has_null }));
        self.in_lists.insert(key, set.clone());
        set
    }

    /// Evaluates `expr` against `row`.
    pub fn eval(&mut self, txn: &Txn, expr: &Expr, row: &[Value]) -> Result<Value> {
        Ok(self.operand(txn, expr, row)?.into_owned())
    }

    /// Evaluates a filter: NULL counts as false.
    pub fn eval_predicate(&mut self, txn: &Txn, expr: &Expr, row: &[Value]) -> Result<bool> {
        // Not short-circuited on NULL: `NULL AND 1/0 = 1` must still raise, as in PostgreSQL.
        Ok(truth(&*self.operand(txn, expr, row)?)? == Some(true))
    }

    /// Evaluates to a borrowed value where the expression is a column or a constant.
    pub(super) fn operand<'r>(&mut self, txn: &Txn, expr: &'r Expr, row: &'r [Value]) -> Result<Cow<'r, Value>> {
        Ok(match expr {
            Expr::Constant(v) => Cow::Borrowed(v),
            Expr::Column(i) => Cow::Borrowed(
                row.get(*i)
                    .ok_or_else(|| Error::bug(format!("column {i} outside a row of {}", row.len())))?,
            ),
            other => Cow::Owned(self.compute(txn, other, row)?),
        })
    }

    fn compute(&mut self, txn: &Txn, expr: &Expr, row: &[Value]) -> Result<Value> {
        match expr {
            Expr::Constant(v) => Ok(v.clone()),
            Expr::Column(i) => row
                .get(*i)
                .cloned()
                .ok_or_else(|| Error::bug(format!("column {i} outside a row of {}", row.len()))),
            Expr::Outer { levels_up, index } => {
                let depth = self.outer.len();
                depth
                    .checked_sub(*levels_up)
                    .and_then(|level| self.outer.get(level))
                    .and_then(|r| r.get(*index))
                    .cloned()
                    .ok_or_else(|| Error::bug(format!("outer reference {levels_up}/{index} with {depth} outer rows")))
            }
            Expr::Param(i) => self.params.get(*i).cloned().ok_or_else(|| {
                Error::sql(
                    sqlstate::UNDEFINED_PARAMETER,
                    format!("there is no parameter ${}", i + 1),
                )
            }),
            Expr::Unary { op, expr } => {
                let v = self.operand(txn, expr, row)?;
                ops::eval_unary(*op, &v)
            }
            Expr::Binary {
                op: op @ (BinaryOp::And | BinaryOp::Or),
                left,
                right,
            } => {
                // Kept lazy and three-valued even when written as a binary operator.
                let (l, is_and) = (truth(&*self.operand(txn, left, row)?)?, *op == BinaryOp::And);
                match (l, is_and) {
                    (Some(false), true) => Ok(Value::Bool(false)),
                    (Some(true), false) => Ok(Value::Bool(true)),
                    _ => {
                        let rv = truth(&*self.operand(txn, right, row)?)?;
                        Ok(bool_value(match (l, rv, is_and) {
                            (_, Some(false), true) => Some(false),
                            (_, Some(true), false) => Some(true),
                            (Some(x), Some(_), _) => Some(x),
                            _ => None,
                        }))
                    }
                }
            }
            Expr::Binary { op, left, right } => {
                let l = self.operand(txn, left, row)?;
                let r = self.operand(txn, right, row)?;
                ops::eval_binary(*op, &l, &r)
            }
            Expr::And(terms) => {
                // FALSE wins over NULL; later terms are not evaluated once FALSE is seen.
                let mut unknown = false;
                for t in terms {
                    match truth(&*self.operand(txn, t, row)?)? {
                        Some(false) => return Ok(Value::Bool(false)),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                Ok(if unknown { Value::Null } else { Value::Bool(true) })
            }
            Expr::Or(terms) => {
                let mut unknown = false;
                for t in terms {
                    match truth(&*self.operand(txn, t, row)?)? {
                        Some(true) => return Ok(Value::Bool(true)),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                Ok(if unknown { Value::Null } else { Value::Bool(false) })
            }
            Expr::Not(e) => Ok(bool_value(truth(&*self.operand(txn, e, row)?)?.map(|b| !b))),
            Expr::IsNull { expr, negated } => Ok(Value::Bool(self.operand(txn, expr, row)?.is_null() != *negated)),
            Expr::IsBool { expr, value, negated } => {
                let t = truth(&*self.operand(txn, expr, row)?)?;
                Ok(Value::Bool((t == *value) != *negated))
            }
            Expr::IsDistinctFrom { left, right, negated } => {
                let l = self.operand(txn, left, row)?;
                let r = self.operand(txn, right, row)?;
                // Value equality is the grouping relation: NULL equals NULL, numerics across widths.
                Ok(Value::Bool((*l != *r) != *negated))
            }
            Expr::Like {
                expr,
                pattern,
                escape,
                case_insensitive,
                negated,
            } => {
                let text = self.operand(txn, expr, row)?;
                let pat = self.operand(txn, pattern, row)?;
                let esc = match escape {
                    Some(e) => Some(self.eval(txn, e, row)?),
                    None => None,
                };
                like(&text, &pat, esc.as_ref(), *case_insensitive, *negated)
            }
            Expr::InList { expr, list, negated } => {
                let v = self.eval(txn, expr, row)?;
                if v.is_null() {
                    return Ok(Value::Null);
                }
                if list.len() >= CONSTANT_LIST_HASH_MIN {
                    if let Some(set) = self.constant_list(list) {
                        return Ok(if set.values.contains(&v) {
                            Value::Bool(!*negated)
                        } else if set.has_null {
                            Value::Null
                        } else {
                            Value::Bool(*negated)
                        });
                    }
                }
                let mut unknown = false;
                for item in list {
                    let x = self.operand(txn, item, row)?;
                    match sql_equal(&v, &x)? {
                        Some(true) => return Ok(Value::Bool(!*negated)),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                Ok(if unknown { Value::Null } else { Value::Bool(*negated) })
            }
            Expr::Case {
                operand,
                branches,
                else_expr,
            } => {
                let subject = match operand {
                    Some(e) => Some(self.eval(txn, e, row)?),
                    None => None,
                };
                for (when, then) in branches {
                    let hit = match &subject {
                        Some(s) => {
                            let w = self.operand(txn, when, row)?;
                            sql_equal(s, &w)? == Some(true)
                        }
                        None => truth(&*self.operand(txn, when, row)?)? == Some(true),
                    };
                    if hit {
                        return self.eval(txn, then, row);
                    }
                }
                match else_expr {
                    Some(e) => self.eval(txn, e, row),
                    None => Ok(Value::Null),
                }
            }
            Expr::Cast { expr, to } => {
                let v = self.operand(txn, expr, row)?;
                cast::cast(&v, to)
            }
            Expr::Function { func, args } => {
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(self.eval(txn, a, row)?);
                }
                functions::call(*func, &values, self.functions)
            }
            Expr::Ledger { func, args } => {
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(self.eval(txn, a, row)?);
                }
                self.ledger_function(txn, *func, &values)
            }
            Expr::Coalesce(args) => {
                for a in args {
                    let v = self.eval(txn, a, row)?;
                    if !v.is_null() {
                        return Ok(v);
                    }
                }
                Ok(Value::Null)
            }
            Expr::NullIf { left, right } => {
                let l = self.eval(txn, left, row)?;
                let r = self.operand(txn, right, row)?;
                Ok(if sql_equal(&l, &r)? == Some(true) {
                    Value::Null
                } else {
                    l
                })
            }
            Expr::Greatest(args) => self.extreme(txn, args, row, Ordering::Greater),
            Expr::Least(args) => self.extreme(txn, args, row, Ordering::Less),
            Expr::Array(items) => {
                let mut values = Vec::with_capacity(items.len());
                for i in items {
                    values.push(self.eval(txn, i, row)?);
                }
                Ok(Value::Array(values))
            }
            Expr::ArrayIndex { array, index } => {
                let a = self.operand(txn, array, row)?;
                let i = self.operand(txn, index, row)?;
                array_index(&a, &i)
            }
            Expr::Subquery { plan, kind, correlated } => self.subquery(txn, plan, kind, *correlated, row),
        }
    }

    fn extreme(&mut self, txn: &Txn, args: &[Expr], row: &[Value], want: Ordering) -> Result<Value> {
        let mut best = Value::Null;
        for a in args {
            let v = self.eval(txn, a, row)?;
            if v.is_null() {
                continue;
            }
            if best.is_null() || ops::sql_compare(&v, &best)? == Some(want) {
                best = v;
            }
        }
        Ok(best)
    }
}

fn like(text: &Value, pattern: &Value, escape: Option<&Value>, ci: bool, negated: bool) -> Result<Value> {
    let (Value::Text(t), Value::Text(p)) = (text, pattern) else {
        if text.is_null() || pattern.is_null() {
            return Ok(Value::Null);
        }
        return Err(Error::bug("LIKE operands are not text"));
    };
    let esc = match escape {
        None => None,
        Some(Value::Null) => return Ok(Value::Null),
        Some(Value::Text(e)) => {
            let mut chars = e.chars();
            match (chars.next(), chars.next()) {
                // An empty ESCAPE turns escaping off; NUL cannot occur in SQL text.
                (None, _) => Some('\0'),
                (Some(c), None) => Some(c),
                _ => {
                    return Err(Error::sql(sqlstate::INVALID_ESCAPE_SEQUENCE, "invalid escape string")
                        .with_hint("Escape string must be empty or one character."))
                }
            }
        }
        Some(_) => return Err(Error::bug("LIKE escape is not text")),
    };
    Ok(Value::Bool(ops::like_match(t, p, esc, ci)? != negated))
}

fn array_index(array: &Value, index: &Value) -> Result<Value> {
    let i = match index {
        Value::Null => return Ok(Value::Null),
        Value::Int2(i) => i64::from(*i),
        Value::Int4(i) => i64::from(*i),
        Value::Int8(i) => *i,
        other => {
            return Err(Error::datatype_mismatch(format!(
                "array subscript must have type integer, not {}",
                other.data_type()
            )))
        }
    };
    match array {
        Value::Array(items) => Ok(usize::try_from(i)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| items.get(i))
            .cloned()
            .unwrap_or(Value::Null)),
        Value::Null => Ok(Value::Null),
        other => Err(Error::datatype_mismatch(format!(
            "cannot subscript type {} because it does not support subscripting",
            other.data_type()
        ))),
    }
}

/// `BinaryOp` comparison result as three-valued logic.
pub(super) fn compare_op(op: BinaryOp, left: &Value, right: &Value) -> Result<Option<bool>> {
    truth(&ops::eval_binary(op, left, right)?)
}
