//! Correlated subqueries by hash partition instead of one re-run per outer row.
//!
//! The common shape `(SELECT ... FROM t WHERE t.x = outer.y AND ...)` would scan `t` once per
//! outer row. When the only reference to the outer row is one equality conjunct of a filter,
//! the subquery is split at that filter: the part below it (`lower`, the filter minus the
//! conjunct) runs once, its rows are partitioned by `t.x`; each evaluation then looks up the
//! partition for `outer.y` and runs only the part above the filter (`upper`) over it, reading
//! the partition as a work table. Rows with a NULL key are left out, as `=` never holds for them.
//!
//! Any other shape (outer references elsewhere, nested subqueries, joins above the filter, an
//! index lookup already keyed by the outer row) runs the plain way.

use std::rc::Rc;

use crate::error::Result;
use crate::plan::{AggCall, Expr, IndexLookup, Plan, ScanSource, SubqueryKind};
use crate::storage::Txn;
use crate::types::ops::BinaryOp;
use crate::types::{Row, Value};

use super::executor::plan_width;
use super::hashing::FastMap;
use super::Executor;

/// A correlated subquery split at its correlated equality.
pub struct Split {
    /// The plan above the correlated filter, reading a partition from work table `slot`.
    upper: Plan,
    slot: usize,
    /// Whether `upper` keeps every input row (only projections and sorts): EXISTS is then
    /// just "is the partition non-empty".
    keeps_rows: bool,
    lower: Plan,
    inner_key: Expr,
    outer_key: Expr,
}

/// The rows of a split's lower part by inner key.
pub type Partitions = FastMap<Value, Rc<Vec<Row>>>;

/// What an expression refers to.
#[derive(Default, Clone, Copy)]
struct Refs {
    columns: bool,
    outer: bool,
    /// An outer reference beyond the immediately enclosing query, or a nested subquery.
    opaque: bool,
}

impl Refs {
    fn pure(self) -> bool {
        !self.outer && !self.opaque
    }
}

fn refs(expr: &Expr, acc: &mut Refs) {
    match expr {
        Expr::Constant(_) | Expr::Param(_) => {}
        Expr::Column(_) => acc.columns = true,
        Expr::Outer { levels_up, .. } => {
            acc.outer = true;
            if *levels_up != 1 {
                acc.opaque = true;
            }
        }
        Expr::Subquery { .. } => acc.opaque = true,
        Expr::Unary { expr, .. } | Expr::Not(expr) | Expr::IsNull { expr, .. } | Expr::IsBool { expr, .. } => {
            refs(expr, acc)
        }
        Expr::Cast { expr, .. } => refs(expr, acc),
        Expr::Binary { left, right, .. } | Expr::IsDistinctFrom { left, right, .. } | Expr::NullIf { left, right } => {
            refs(left, acc);
            refs(right, acc);
        }
        Expr::ArrayIndex { array, index } => {
            refs(array, acc);
            refs(index, acc);
        }
        Expr::And(list)
        | Expr::Or(list)
        | Expr::Coalesce(list)
        | Expr::Greatest(list)
        | Expr::Least(list)
        | Expr::Array(list)
        | Expr::Function { args: list, .. }
        | Expr::Ledger { args: list, .. } => list.iter().for_each(|e| refs(e, acc)),
        Expr::Like {
            expr, pattern, escape, ..
        } => {
            refs(expr, acc);
            refs(pattern, acc);
            if let Some(e) = escape {
                refs(e, acc);
            }
        }
        Expr::InList { expr, list, .. } => {
            refs(expr, acc);
            list.iter().for_each(|e| refs(e, acc));
        }
        Expr::Case {
            operand,
            branches,
            else_expr,
        } => {
            if let Some(e) = operand {
                refs(e, acc);
            }
            for (w, t) in branches {
                refs(w, acc);
                refs(t, acc);
            }
            if let Some(e) = else_expr {
                refs(e, acc);
            }
        }
    }
}

fn expr_refs(expr: &Expr) -> Refs {
    let mut acc = Refs::default();
    refs(expr, &mut acc);
    acc
}

fn all_pure<'e>(exprs: impl IntoIterator<Item = &'e Expr>) -> bool {
    exprs.into_iter().all(|e| expr_refs(e).pure())
}

fn aggs_pure(aggs: &[AggCall]) -> bool {
    aggs.iter().all(|a| {
        all_pure(&a.args)
            && a.filter.as_ref().is_none_or(|f| expr_refs(f).pure())
            && all_pure(a.order_by.iter().map(|k| &k.expr))
    })
}

fn lookup_pure(lookup: &IndexLookup) -> bool {
    match lookup {
        IndexLookup::Eq(v) | IndexLookup::InList(v) => all_pure(v),
        IndexLookup::Range { prefix, lower, upper } => {
            all_pure(prefix) && all_pure(lower.iter().chain(upper.iter()).map(|(e, _)| e))
        }
    }
}

/// Whether a whole plan is free of outer references and subqueries.
fn plan_pure(plan: &Plan) -> bool {
    match plan {
        Plan::Values { rows, .. } => rows.iter().all(all_pure),
        Plan::Scan { source, filter, .. } => {
            filter.as_ref().is_none_or(|f| expr_refs(f).pure())
                && match source {
                    ScanSource::Table => true,
                    ScanSource::PrimaryKey(l) | ScanSource::Index(_, l) => lookup_pure(l),
                }
        }
        Plan::TableFunction { args, .. } => all_pure(args),
        Plan::Filter { input, predicate } => expr_refs(predicate).pure() && plan_pure(input),
        Plan::Project { input, exprs } => all_pure(exprs) && plan_pure(input),
        Plan::NestedLoopJoin {
            left, right, condition, ..
        } => plan_pure(left) && plan_pure(right) && condition.as_ref().is_none_or(|c| expr_refs(c).pure()),
        Plan::HashJoin {
            left,
            right,
            left_keys,
            right_keys,
            residual,
            ..
        } => {
            plan_pure(left)
                && plan_pure(right)
                && all_pure(left_keys)
                && all_pure(right_keys)
                && residual.as_ref().is_none_or(|c| expr_refs(c).pure())
        }
        Plan::Aggregate {
            input,
            group_by,
            aggregates,
        } => all_pure(group_by) && aggs_pure(aggregates) && plan_pure(input),
        Plan::Sort { input, keys } => all_pure(keys.iter().map(|k| &k.expr)) && plan_pure(input),
        Plan::Window { input, calls } => {
            calls
                .iter()
                .all(|c| all_pure(&c.partition_by) && all_pure(c.order_by.iter().map(|k| &k.expr)))
                && plan_pure(input)
        }
        Plan::Limit { input, limit, offset } => all_pure(limit.iter().chain(offset.iter())) && plan_pure(input),
        Plan::Distinct { input } => plan_pure(input),
        Plan::DistinctOn { input, keys } => all_pure(keys) && plan_pure(input),
        Plan::SetOp { left, right, .. } => plan_pure(left) && plan_pure(right),
        Plan::RecursiveCte { base, recursive, .. } => plan_pure(base) && plan_pure(recursive),
        Plan::WorkTable { .. } => true,
        Plan::CteScan { plan, .. } => plan_pure(plan),
    }
}

fn conjuncts(expr: &Expr, out: &mut Vec<Expr>) {
    match expr {
        Expr::And(terms) => terms.iter().for_each(|t| conjuncts(t, out)),
        other => out.push(other.clone()),
    }
}

/// Splits a filter predicate into (rest, inner key, outer key) when its only outer reference is
/// one `inner = outer` conjunct.
fn split_predicate(predicate: &Expr) -> Option<(Option<Expr>, Expr, Expr)> {
    let mut terms = Vec::new();
    conjuncts(predicate, &mut terms);
    let mut keys = None;
    let mut rest = Vec::new();
    for term in terms {
        let r = expr_refs(&term);
        if r.pure() {
            rest.push(term);
            continue;
        }
        if keys.is_some() || r.opaque {
            return None;
        }
        let Expr::Binary {
            op: BinaryOp::Eq,
            left,
            right,
        } = &term
        else {
            return None;
        };
        let (l, rr) = (expr_refs(left), expr_refs(right));
        keys = match (l.pure(), rr.pure()) {
            (true, false) if !rr.columns && !rr.opaque => Some(((**left).clone(), (**right).clone())),
            (false, true) if !l.columns && !l.opaque => Some(((**right).clone(), (**left).clone())),
            _ => return None,
        };
    }
    let (inner, outer) = keys?;
    let rest = match rest.len() {
        0 => None,
        1 => rest.pop(),
        _ => Some(Expr::And(rest)),
    };
    Some((rest, inner, outer))
}

/// (upper, keeps_rows, lower, inner key, outer key)
type Parts = (Plan, bool, Plan, Expr, Expr);

fn split_plan(plan: &Plan, slot: usize) -> Option<Parts> {
    let wrap = |input: &Plan, keeps: bool, make: &dyn Fn(Box<Plan>) -> Plan| {
        split_plan(input, slot).map(|(upper, k, lower, i, o)| (make(Box::new(upper)), k && keeps, lower, i, o))
    };
    match plan {
        Plan::Project { input, exprs } if all_pure(exprs) => wrap(input, true, &|i| Plan::Project {
            input: i,
            exprs: exprs.clone(),
        }),
        Plan::Sort { input, keys } if all_pure(keys.iter().map(|k| &k.expr)) => wrap(input, true, &|i| Plan::Sort {
            input: i,
            keys: keys.clone(),
        }),
        Plan::Limit { input, limit, offset } if all_pure(limit.iter().chain(offset.iter())) => {
            wrap(input, false, &|i| Plan::Limit {
                input: i,
                limit: limit.clone(),
                offset: offset.clone(),
            })
        }
        Plan::Distinct { input } => wrap(input, false, &|i| Plan::Distinct { input: i }),
        Plan::DistinctOn { input, keys } if all_pure(keys) => wrap(input, false, &|i| Plan::DistinctOn {
            input: i,
            keys: keys.clone(),
        }),
        Plan::Aggregate {
            input,
            group_by,
            aggregates,
        } if all_pure(group_by) && aggs_pure(aggregates) => wrap(input, false, &|i| Plan::Aggregate {
            input: i,
            group_by: group_by.clone(),
            aggregates: aggregates.clone(),
        }),
        Plan::Filter { input, predicate } if expr_refs(predicate).pure() => wrap(input, false, &|i| Plan::Filter {
            input: i,
            predicate: predicate.clone(),
        }),
        Plan::Filter { input, predicate } if plan_pure(input) => {
            let (rest, inner, outer) = split_predicate(predicate)?;
            let lower = match rest {
                Some(p) => Plan::Filter {
                    input: input.clone(),
                    predicate: p,
                },
                None => (**input).clone(),
            };
            Some((
                Plan::WorkTable {
                    id: slot,
                    width: plan_width(plan),
                },
                true,
                lower,
                inner,
                outer,
            ))
        }
        Plan::Scan {
            table,
            source: ScanSource::Table,
            filter: Some(f),
            emit_key,
        } => {
            let (rest, inner, outer) = split_predicate(f)?;
            let lower = Plan::Scan {
                table: table.clone(),
                source: ScanSource::Table,
                filter: rest,
                emit_key: *emit_key,
            };
            Some((
                Plan::WorkTable {
                    id: slot,
                    width: plan_width(plan),
                },
                true,
                lower,
                inner,
                outer,
            ))
        }
        _ => None,
    }
}

impl Executor<'_> {
    /// The split form of a correlated subquery plan, if it has one (analysed once per statement).
    fn split_for(&mut self, plan: &Plan) -> Option<Rc<Split>> {
        let key = plan as *const Plan as usize;
        if let Some(known) = self.splits.get(&key) {
            return known.clone();
        }
        // Work-table ids from the binder count up from 0; these count down from the top.
        let slot = usize::MAX - self.splits.len();
        let split = split_plan(plan, slot).map(|(upper, keeps_rows, lower, inner_key, outer_key)| {
            Rc::new(Split {
                upper,
                slot,
                keeps_rows,
                lower,
                inner_key,
                outer_key,
            })
        });
        self.splits.insert(key, split.clone());
        split
    }

    /// Runs a correlated subquery against `row`, through its split form when it has one.
    pub(super) fn run_correlated_subquery(
        &mut self,
        txn: &Txn,
        plan: &Plan,
        kind: &SubqueryKind,
        row: &[Value],
        cap: usize,
    ) -> Result<Vec<Row>> {
        let Some(split) = self.split_for(plan) else {
            return self.run_correlated(txn, plan, row, cap);
        };
        if !self.partitions.contains_key(&split.slot) {
            let rows = self.query(txn, &split.lower)?;
            let mut parts: FastMap<Value, Vec<Row>> = FastMap::default();
            for r in rows {
                self.tick()?;
                let k = self.eval(txn, &split.inner_key, &r)?;
                if !k.is_null() {
                    parts.entry(k).or_default().push(r);
                }
            }
            self.partitions
                .insert(split.slot, parts.into_iter().map(|(k, v)| (k, Rc::new(v))).collect());
        }
        self.outer.push(row.to_vec());
        let key = self.eval(txn, &split.outer_key, &[]);
        self.outer.pop();
        let key = key?;
        let part = match key {
            Value::Null => None,
            k => self.partitions.get(&split.slot).and_then(|p| p.get(&k).cloned()),
        };
        if split.keeps_rows && matches!(kind, SubqueryKind::Exists) {
            // Only whether a row exists matters, and the plan above keeps every row.
            return Ok(if part.is_some_and(|p| !p.is_empty()) {
                vec![Vec::new()]
            } else {
                Vec::new()
            });
        }
        let saved = self.work_tables.insert(split.slot, part.unwrap_or_default());
        let result = self.run_correlated(txn, &split.upper, row, cap);
        match saved {
            Some(previous) => self.work_tables.insert(split.slot, previous),
            None => self.work_tables.remove(&split.slot),
        };
        result
    }
}
