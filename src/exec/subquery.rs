//! Subqueries as values: scalar, EXISTS, `IN`, and `op ANY/ALL`.
//!
//! A correlated subquery runs once per row it is evaluated against, with that row pushed on the
//! executor's outer-row stack. An uncorrelated one runs once per statement; its rows are cached,
//! and for `IN` also hashed so membership is one lookup.

use std::rc::Rc;

use crate::error::{sqlstate, Error, Result};
use crate::plan::{Plan, SubqueryKind};
use crate::storage::Txn;
use crate::types::{Row, Value};

use super::eval::{compare_op, sql_equal};
use super::hashing::FastSet;
use super::Executor;

/// A cached result of an uncorrelated subquery.
pub struct SubqueryResult {
    rows: Vec<Row>,
    /// First-column values (non-NULL) for IN membership, built on first use by IN.
    set: Option<FastSet<Value>>,
    has_null: bool,
}

impl SubqueryResult {
    fn new(rows: Vec<Row>, hashed: bool) -> SubqueryResult {
        let has_null = rows.iter().any(|r| r.first().is_none_or(Value::is_null));
        let set = hashed.then(|| {
            rows.iter()
                .filter_map(|r| r.first())
                .filter(|v| !v.is_null())
                .cloned()
                .collect()
        });
        SubqueryResult { rows, set, has_null }
    }
}

impl Executor<'_> {
    /// Runs a subquery plan against `row` (pushed as the innermost outer row).
    pub(super) fn run_correlated(&mut self, txn: &Txn, plan: &Plan, row: &[Value], cap: usize) -> Result<Vec<Row>> {
        self.outer.push(row.to_vec());
        let result = self.query_upto(txn, plan, cap);
        self.outer.pop();
        let depth = self.outer.len();
        if self.ctes.values().any(|(d, _)| *d > depth) {
            self.ctes.retain(|_, (d, _)| *d <= depth);
        }
        result
    }

    pub(super) fn subquery(
        &mut self,
        txn: &Txn,
        plan: &Plan,
        kind: &SubqueryKind,
        correlated: bool,
        row: &[Value],
    ) -> Result<Value> {
        // EXISTS needs one row, a scalar subquery two (to detect a second); IN and ANY/ALL all.
        let cap = match kind {
            SubqueryKind::Exists => 1,
            SubqueryKind::Scalar => 2,
            _ => usize::MAX,
        };
        let result = if correlated {
            Rc::new(SubqueryResult::new(
                self.run_correlated_subquery(txn, plan, kind, row, cap)?,
                false,
            ))
        } else {
            let key = plan as *const Plan as usize;
            match self.subqueries.get(&key) {
                Some(r) => r.clone(),
                None => {
                    let rows = self.query_upto(txn, plan, cap)?;
                    let r = Rc::new(SubqueryResult::new(rows, matches!(kind, SubqueryKind::In { .. })));
                    self.subqueries.insert(key, r.clone());
                    r
                }
            }
        };
        match kind {
            SubqueryKind::Scalar => match result.rows.as_slice() {
                [] => Ok(Value::Null),
                [only] => Ok(only.first().cloned().unwrap_or(Value::Null)),
                _ => Err(Error::sql(
                    sqlstate::CARDINALITY_VIOLATION,
                    "more than one row returned by a subquery used as an expression",
                )),
            },
            SubqueryKind::Exists => Ok(Value::Bool(!result.rows.is_empty())),
            SubqueryKind::In { expr, negated } => {
                let v = self.eval(txn, expr, row)?;
                let found = membership(&result, &v)?;
                Ok(match found {
                    Some(b) => Value::Bool(b != *negated),
                    None => Value::Null,
                })
            }
            SubqueryKind::Quantified { expr, op, all } => {
                let v = self.eval(txn, expr, row)?;
                let mut unknown = false;
                for r in &result.rows {
                    let x = r.first().unwrap_or(&Value::Null);
                    match compare_op(*op, &v, x)? {
                        Some(b) if b != *all => return Ok(Value::Bool(b)),
                        Some(_) => {}
                        None => unknown = true,
                    }
                }
                Ok(if unknown { Value::Null } else { Value::Bool(*all) })
            }
        }
    }
}

/// `v IN (rows)`: true if any equal; otherwise NULL if `v` or any compared value is NULL; else
/// false. An empty subquery gives false even for a NULL `v`.
fn membership(result: &SubqueryResult, v: &Value) -> Result<Option<bool>> {
    if result.rows.is_empty() {
        return Ok(Some(false));
    }
    if v.is_null() {
        return Ok(None);
    }
    if let Some(set) = &result.set {
        if set.contains(v) {
            return Ok(Some(true));
        }
        return Ok(if result.has_null { None } else { Some(false) });
    }
    let mut unknown = false;
    for r in &result.rows {
        match sql_equal(v, r.first().unwrap_or(&Value::Null))? {
            Some(true) => return Ok(Some(true)),
            Some(false) => {}
            None => unknown = true,
        }
    }
    Ok(if unknown { None } else { Some(false) })
}
