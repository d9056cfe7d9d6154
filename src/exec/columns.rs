//! Which table columns a query reads, so its scans decode only those.
//!
//! Computed once per statement by walking the plan from the top: each operator asks its input
//! for the columns its own expressions read plus the ones its consumer needs from its output.
//! A scan then decodes only the marked columns and leaves the others NULL, so row widths and
//! column positions stay as the binder made them. Expressions count every column they mention,
//! whether or not their result is needed, so nothing is evaluated over a NULL it did not see
//! before; correlated subqueries count the outer columns they read (`columns_used`).
//!
//! Only the operators listed below pass a narrower need down. Everything else (DISTINCT and
//! set operations, which compare whole rows; CTEs, whose plan may be shared; subquery plans
//! inside expressions, which this walk never enters) reads whole rows, as do DML statements,
//! which never call this, and blockchain tables, whose scans have their own path.

use std::collections::HashMap;
use std::rc::Rc;

use crate::plan::{columns_used, Expr, JoinKind, Plan, ScanSource};

use super::executor::plan_width;

/// Per scan node (by plan address), the table columns read; absent: all of them.
pub(super) type ScanColumns = HashMap<usize, Rc<[bool]>>;

/// The columns each scan under `plan` reads when every output column of `plan` is needed.
pub(super) fn scan_columns(plan: &Plan) -> ScanColumns {
    let mut out = ScanColumns::new();
    visit(plan, &vec![true; plan_width(plan)], &mut out);
    out
}

/// Marks the columns `e` reads; false when it reads one outside `needed` (then the caller
/// falls back to every column).
fn mark(e: &Expr, needed: &mut [bool]) -> bool {
    for i in columns_used(e) {
        match needed.get_mut(i) {
            Some(n) => *n = true,
            None => return false,
        }
    }
    true
}

fn mark_all<'e>(exprs: impl IntoIterator<Item = &'e Expr>, needed: &mut [bool]) -> bool {
    exprs.into_iter().all(|e| mark(e, needed))
}

/// `needed` cut or padded to `width` (the part of an output that comes from an input).
fn resized(needed: &[bool], width: usize) -> Vec<bool> {
    (0..width).map(|i| needed.get(i).copied().unwrap_or(false)).collect()
}

/// Visits `input` needing `needed`, or every column when `ok` is false.
fn visit_or_all(input: &Plan, needed: &[bool], ok: bool, out: &mut ScanColumns) {
    if ok {
        visit(input, needed, out);
    } else {
        visit(input, &vec![true; plan_width(input)], out);
    }
}

fn visit(plan: &Plan, needed: &[bool], out: &mut ScanColumns) {
    match plan {
        Plan::Scan {
            table,
            source,
            filter,
            emit_key,
        } => {
            if table.is_blockchain() || *emit_key {
                return;
            }
            let mut columns = resized(needed, table.columns.len());
            if let Some(f) = filter {
                if !mark(f, &mut columns) {
                    return;
                }
            }
            // A lookup re-checks the key columns of every row it reads.
            let key_columns = match source {
                ScanSource::Table => &[][..],
                ScanSource::PrimaryKey(_) => table.primary_key.as_deref().unwrap_or_default(),
                ScanSource::Index(index, _) => &index.columns,
            };
            for &c in key_columns {
                match columns.get_mut(c) {
                    Some(n) => *n = true,
                    None => return,
                }
            }
            if columns.contains(&false) {
                out.insert(plan as *const Plan as usize, columns.into());
            }
        }
        Plan::Filter { input, predicate } => {
            let mut n = resized(needed, plan_width(input));
            let ok = mark(predicate, &mut n);
            visit_or_all(input, &n, ok, out);
        }
        Plan::Project { input, exprs } => {
            let mut n = vec![false; plan_width(input)];
            let ok = mark_all(exprs, &mut n);
            visit_or_all(input, &n, ok, out);
        }
        Plan::HashJoin {
            left,
            right,
            kind,
            left_keys,
            right_keys,
            residual,
        } => {
            let (mut l, mut r, mut ok) = split(left, right, *kind, needed, residual.as_ref());
            ok &= mark_all(left_keys, &mut l) && mark_all(right_keys, &mut r);
            visit_or_all(left, &l, ok, out);
            visit_or_all(right, &r, ok, out);
        }
        Plan::NestedLoopJoin {
            left,
            right,
            kind,
            condition,
        } => {
            let (l, r, ok) = split(left, right, *kind, needed, condition.as_ref());
            visit_or_all(left, &l, ok, out);
            visit_or_all(right, &r, ok, out);
        }
        Plan::Aggregate {
            input,
            group_by,
            aggregates,
        } => {
            let mut n = vec![false; plan_width(input)];
            let mut ok = mark_all(group_by, &mut n);
            for call in aggregates {
                ok &= mark_all(&call.args, &mut n)
                    && mark_all(&call.filter, &mut n)
                    && mark_all(call.order_by.iter().map(|k| &k.expr), &mut n);
            }
            visit_or_all(input, &n, ok, out);
        }
        Plan::Window { input, calls } => {
            let mut n = resized(needed, plan_width(input));
            let mut ok = true;
            for call in calls {
                ok &= mark_all(&call.partition_by, &mut n) && mark_all(call.order_by.iter().map(|k| &k.expr), &mut n);
            }
            visit_or_all(input, &n, ok, out);
        }
        Plan::Sort { input, keys } => {
            let mut n = resized(needed, plan_width(input));
            let ok = mark_all(keys.iter().map(|k| &k.expr), &mut n);
            visit_or_all(input, &n, ok, out);
        }
        Plan::DistinctOn { input, keys } => {
            let mut n = resized(needed, plan_width(input));
            let ok = mark_all(keys, &mut n);
            visit_or_all(input, &n, ok, out);
        }
        Plan::Limit { input, .. } => visit(input, &resized(needed, plan_width(input)), out),
        Plan::Distinct { input } => visit_or_all(input, &[], false, out),
        Plan::SetOp { left, right, .. } => {
            visit_or_all(left, &[], false, out);
            visit_or_all(right, &[], false, out);
        }
        Plan::Values { .. }
        | Plan::TableFunction { .. }
        | Plan::WorkTable { .. }
        | Plan::RecursiveCte { .. }
        | Plan::CteScan { .. } => {}
    }
}

/// What a join needs from each input: the part of `needed` each side supplies (SEMI and ANTI
/// output the left row only) plus what `condition` reads over left ++ right.
fn split(
    left: &Plan,
    right: &Plan,
    kind: JoinKind,
    needed: &[bool],
    condition: Option<&Expr>,
) -> (Vec<bool>, Vec<bool>, bool) {
    let (lw, rw) = (plan_width(left), plan_width(right));
    let mut joined = vec![false; lw + rw];
    for (i, n) in needed.iter().enumerate() {
        if *n {
            if let Some(j) = joined.get_mut(i) {
                *j = true;
            }
        }
    }
    if matches!(kind, JoinKind::Semi | JoinKind::Anti) {
        for j in joined.iter_mut().skip(lw) {
            *j = false;
        }
    }
    let ok = condition.is_none_or(|c| mark(c, &mut joined));
    let r = joined.split_off(lw);
    (joined, r, ok)
}
