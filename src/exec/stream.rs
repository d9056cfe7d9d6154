//! Pipelines: rows pushed from a scan through filters, projections and the probe side of hash
//! joins straight into their consumer (an aggregate, or the `Vec` of a materializing operator),
//! instead of each operator materializing its whole output before the next one starts.
//!
//! A sink receives each row as `&mut Row`: it may take the row (`std::mem::take`) or only read
//! it, and returns false to stop the pipeline early. Operators that need their whole input
//! (sort, window, DISTINCT, set operations, the build side of a join) still materialize it
//! through `Executor::query` and push the result.

use crate::error::Result;
use crate::plan::{Expr, JoinKind, Plan};
use crate::storage::Txn;
use crate::types::{Row, Value};

use super::executor::plan_width;
use super::hash_join::HashJoinSpec;
use super::Executor;

/// Where a pipeline pushes its rows; returns false to stop it.
pub(super) type Sink<'s, 'a> = dyn FnMut(&mut Executor<'a>, &mut Row) -> Result<bool> + 's;

/// The columns a projection only picks, each once (moved out of the input row, not cloned), or
/// `None` when it computes anything.
pub(super) fn picked_columns(exprs: &[Expr]) -> Option<Vec<usize>> {
    let mut picks = Vec::with_capacity(exprs.len());
    for e in exprs {
        match e {
            Expr::Column(i) if !picks.contains(i) => picks.push(*i),
            _ => return None,
        }
    }
    Some(picks)
}

impl<'a> Executor<'a> {
    /// Pushes the rows of `plan` into `sink`; false when the sink stopped it.
    pub(super) fn stream(&mut self, txn: &Txn, plan: &Plan, sink: &mut Sink<'_, 'a>) -> Result<bool> {
        match plan {
            Plan::Scan {
                table,
                source,
                filter,
                emit_key,
            } => {
                let columns = self.scan_columns_of(plan);
                self.scan_into(txn, table, source, filter.as_ref(), *emit_key, columns.as_deref(), sink)
            }
            Plan::Filter { input, predicate } => self.stream(txn, input, &mut |ex, row| {
                if ex.eval_predicate(txn, predicate, row)? {
                    sink(ex, row)
                } else {
                    Ok(true)
                }
            }),
            Plan::Project { input, exprs } => match picked_columns(exprs) {
                Some(picks) => self.stream(txn, input, &mut |ex, row| {
                    let mut projected = Vec::with_capacity(picks.len());
                    for &i in &picks {
                        let v = row
                            .get_mut(i)
                            .ok_or_else(|| crate::error::Error::bug(format!("column {i} outside the input row")))?;
                        projected.push(std::mem::replace(v, Value::Null));
                    }
                    sink(ex, &mut projected)
                }),
                None => self.stream(txn, input, &mut |ex, row| {
                    let mut projected = Vec::with_capacity(exprs.len());
                    for e in exprs {
                        projected.push(ex.eval(txn, e, row)?);
                    }
                    sink(ex, &mut projected)
                }),
            },
            Plan::HashJoin {
                left,
                right,
                kind: kind @ (JoinKind::Inner | JoinKind::Left | JoinKind::Semi | JoinKind::Anti),
                left_keys,
                right_keys,
                residual,
            } => {
                let spec = HashJoinSpec {
                    kind: *kind,
                    left_keys,
                    right_keys,
                    residual: residual.as_ref(),
                    left_width: plan_width(left),
                    right_width: plan_width(right),
                };
                self.stream_hash_join(txn, left, right, &spec, sink)
            }
            _ => {
                for mut row in self.query(txn, plan)? {
                    if !sink(self, &mut row)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
        }
    }

    /// Runs a plan through `stream`, collecting its rows.
    pub(super) fn collect(&mut self, txn: &Txn, plan: &Plan) -> Result<Vec<Row>> {
        let mut out = Vec::new();
        self.stream(txn, plan, &mut |_, row| {
            out.push(std::mem::take(row));
            Ok(true)
        })?;
        Ok(out)
    }
}
