//! Walking and rewriting bound expressions and plans.
//!
//! Moving an expression to a node with a different row shape means renumbering its `Column`
//! references *and* the `Outer` references of subqueries nested in it that point back at the
//! moved expression's row: `remap_columns` does both, tracking subquery depth.

use crate::error::Result;

use super::{Expr, IndexLookup, Plan, ScanSource, SubqueryKind};

/// Runs a step of a recursive walk, moving to a fresh stack segment when the current one is
/// nearly used up: generated SQL nests expressions deeper than a thread stack allows.
pub(super) fn deep<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(128 * 1024, 4 * 1024 * 1024, f)
}

/// A structural fingerprint of a bound expression (equal trees, equal strings).
pub(super) fn fingerprint(e: &Expr) -> String {
    deep(|| format!("{e:?}"))
}

/// Calls `f` on every expression node reachable from `e` (pre-order), with the subquery
/// nesting depth relative to `e` (0 for `e`'s own level, 1 inside a subquery's plan, ...).
pub(super) fn visit_expr(e: &mut Expr, depth: usize, f: &mut dyn FnMut(&mut Expr, usize) -> Result<()>) -> Result<()> {
    deep(|| visit_expr_inner(e, depth, f))
}

fn visit_expr_inner(e: &mut Expr, depth: usize, f: &mut dyn FnMut(&mut Expr, usize) -> Result<()>) -> Result<()> {
    f(e, depth)?;
    match e {
        Expr::Constant(_) | Expr::Column(_) | Expr::Outer { .. } | Expr::Param(_) => {}
        Expr::Unary { expr, .. } | Expr::Not(expr) | Expr::IsNull { expr, .. } | Expr::IsBool { expr, .. } => {
            visit_expr(expr, depth, f)?
        }
        Expr::Cast { expr, .. } => visit_expr(expr, depth, f)?,
        Expr::Binary { left, right, .. } | Expr::IsDistinctFrom { left, right, .. } | Expr::NullIf { left, right } => {
            visit_expr(left, depth, f)?;
            visit_expr(right, depth, f)?;
        }
        Expr::And(v) | Expr::Or(v) | Expr::Coalesce(v) | Expr::Greatest(v) | Expr::Least(v) | Expr::Array(v) => {
            for x in v {
                visit_expr(x, depth, f)?;
            }
        }
        Expr::Function { args, .. } | Expr::Ledger { args, .. } => {
            for x in args {
                visit_expr(x, depth, f)?;
            }
        }
        Expr::Like {
            expr, pattern, escape, ..
        } => {
            visit_expr(expr, depth, f)?;
            visit_expr(pattern, depth, f)?;
            if let Some(x) = escape {
                visit_expr(x, depth, f)?;
            }
        }
        Expr::InList { expr, list, .. } => {
            visit_expr(expr, depth, f)?;
            for x in list {
                visit_expr(x, depth, f)?;
            }
        }
        Expr::Case {
            operand,
            branches,
            else_expr,
        } => {
            if let Some(x) = operand {
                visit_expr(x, depth, f)?;
            }
            for (c, r) in branches {
                visit_expr(c, depth, f)?;
                visit_expr(r, depth, f)?;
            }
            if let Some(x) = else_expr {
                visit_expr(x, depth, f)?;
            }
        }
        Expr::ArrayIndex { array, index } => {
            visit_expr(array, depth, f)?;
            visit_expr(index, depth, f)?;
        }
        Expr::Subquery { plan, kind, .. } => {
            match kind {
                SubqueryKind::In { expr, .. } | SubqueryKind::Quantified { expr, .. } => visit_expr(expr, depth, f)?,
                SubqueryKind::Scalar | SubqueryKind::Exists => {}
            }
            visit_plan(plan, depth + 1, f)?;
        }
    }
    Ok(())
}

/// Calls `f` on every expression node held by `plan` or its descendants.
pub(super) fn visit_plan(p: &mut Plan, depth: usize, f: &mut dyn FnMut(&mut Expr, usize) -> Result<()>) -> Result<()> {
    match p {
        Plan::Values { rows, .. } => {
            for row in rows {
                for x in row {
                    visit_expr(x, depth, f)?;
                }
            }
        }
        Plan::Scan { source, filter, .. } => {
            if let Some(x) = filter {
                visit_expr(x, depth, f)?;
            }
            let lookup = match source {
                ScanSource::Table => None,
                ScanSource::PrimaryKey(l) | ScanSource::Index(_, l) => Some(l),
            };
            match lookup {
                None => {}
                Some(IndexLookup::Eq(v)) | Some(IndexLookup::InList(v)) => {
                    for x in v {
                        visit_expr(x, depth, f)?;
                    }
                }
                Some(IndexLookup::Range { prefix, lower, upper }) => {
                    for x in prefix {
                        visit_expr(x, depth, f)?;
                    }
                    if let Some((x, _)) = lower {
                        visit_expr(x, depth, f)?;
                    }
                    if let Some((x, _)) = upper {
                        visit_expr(x, depth, f)?;
                    }
                }
            }
        }
        Plan::TableFunction { args, .. } => {
            for x in args {
                visit_expr(x, depth, f)?;
            }
        }
        Plan::Filter { input, predicate } => {
            visit_expr(predicate, depth, f)?;
            visit_plan(input, depth, f)?;
        }
        Plan::Project { input, exprs } => {
            for x in exprs {
                visit_expr(x, depth, f)?;
            }
            visit_plan(input, depth, f)?;
        }
        Plan::NestedLoopJoin {
            left, right, condition, ..
        } => {
            if let Some(x) = condition {
                visit_expr(x, depth, f)?;
            }
            visit_plan(left, depth, f)?;
            visit_plan(right, depth, f)?;
        }
        Plan::HashJoin {
            left,
            right,
            left_keys,
            right_keys,
            residual,
            ..
        } => {
            for x in left_keys.iter_mut().chain(right_keys.iter_mut()) {
                visit_expr(x, depth, f)?;
            }
            if let Some(x) = residual {
                visit_expr(x, depth, f)?;
            }
            visit_plan(left, depth, f)?;
            visit_plan(right, depth, f)?;
        }
        Plan::Aggregate {
            input,
            group_by,
            aggregates,
        } => {
            for x in group_by {
                visit_expr(x, depth, f)?;
            }
            for a in aggregates {
                for x in &mut a.args {
                    visit_expr(x, depth, f)?;
                }
                if let Some(x) = &mut a.filter {
                    visit_expr(x, depth, f)?;
                }
                for k in &mut a.order_by {
                    visit_expr(&mut k.expr, depth, f)?;
                }
            }
            visit_plan(input, depth, f)?;
        }
        Plan::Sort { input, keys } => {
            for k in keys {
                visit_expr(&mut k.expr, depth, f)?;
            }
            visit_plan(input, depth, f)?;
        }
        Plan::Window { input, calls } => {
            for c in calls {
                for x in &mut c.partition_by {
                    visit_expr(x, depth, f)?;
                }
                for k in &mut c.order_by {
                    visit_expr(&mut k.expr, depth, f)?;
                }
            }
            visit_plan(input, depth, f)?;
        }
        Plan::Limit { input, limit, offset } => {
            if let Some(x) = limit {
                visit_expr(x, depth, f)?;
            }
            if let Some(x) = offset {
                visit_expr(x, depth, f)?;
            }
            visit_plan(input, depth, f)?;
        }
        Plan::Distinct { input } => visit_plan(input, depth, f)?,
        Plan::DistinctOn { input, keys } => {
            for x in keys {
                visit_expr(x, depth, f)?;
            }
            visit_plan(input, depth, f)?;
        }
        Plan::SetOp { left, right, .. } => {
            visit_plan(left, depth, f)?;
            visit_plan(right, depth, f)?;
        }
        Plan::RecursiveCte { base, recursive, .. } => {
            visit_plan(base, depth, f)?;
            visit_plan(recursive, depth, f)?;
        }
        Plan::WorkTable { .. } => {}
        Plan::CteScan { plan, .. } => visit_plan(plan, depth, f)?,
    }
    Ok(())
}

/// Renumbers the row positions `e` reads (its own `Column`s and the matching `Outer`
/// references inside its subqueries) through `map`.
pub(super) fn remap_columns(e: &mut Expr, map: &dyn Fn(usize) -> usize) {
    let _ = visit_expr(e, 0, &mut |x, depth| {
        match x {
            Expr::Column(i) if depth == 0 => *i = map(*i),
            Expr::Outer { levels_up, index } if *levels_up == depth && depth > 0 => *index = map(*index),
            _ => {}
        }
        Ok(())
    });
}

/// Rewrites `e` to be evaluated one query level deeper (inside a new subquery whose enclosing
/// row is the one `e` read): its columns become `Outer { levels_up: 1 }` and references to
/// enclosing levels move one further out. Returns whether `e` read anything outside itself.
pub(super) fn push_down_level(e: &mut Expr) -> bool {
    let mut changed = false;
    let _ = visit_expr(e, 0, &mut |x, depth| {
        match x {
            Expr::Column(i) if depth == 0 => {
                *x = Expr::Outer {
                    levels_up: 1,
                    index: *i,
                };
                changed = true;
            }
            Expr::Outer { levels_up, .. } if *levels_up >= depth => {
                *levels_up += 1;
                changed = true;
            }
            _ => {}
        }
        Ok(())
    });
    changed
}

/// Whether a plan reads any row outside itself (an `Outer` escaping it).
pub(super) fn plan_reads_outside(p: &Plan) -> bool {
    let mut p = p.clone();
    let mut found = false;
    let _ = visit_plan(&mut p, 0, &mut |x, depth| {
        if matches!(x, Expr::Outer { levels_up, .. } if *levels_up > depth) {
            found = true;
        }
        Ok(())
    });
    found
}

/// Re-homes a plan `by` query levels deeper: its references to enclosing rows reach `by`
/// levels further out.
pub(super) fn shift_outer_levels(p: &mut Plan, by: usize) {
    if by == 0 {
        return;
    }
    let _ = visit_plan(p, 0, &mut |x, depth| {
        if let Expr::Outer { levels_up, .. } = x {
            if *levels_up > depth {
                *levels_up += by;
            }
        }
        Ok(())
    });
}

/// The row positions `e` reads at its own level (including through subqueries' `Outer`s).
pub(crate) fn columns_used(e: &Expr) -> Vec<usize> {
    let mut e = e.clone();
    let mut out = Vec::new();
    let _ = visit_expr(&mut e, 0, &mut |x, depth| {
        match x {
            Expr::Column(i) if depth == 0 => out.push(*i),
            Expr::Outer { levels_up, index } if *levels_up == depth && depth > 0 => out.push(*index),
            _ => {}
        }
        Ok(())
    });
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether `e` contains a subquery (anywhere).
pub(super) fn has_subquery(e: &Expr) -> bool {
    let mut e = e.clone();
    let mut found = false;
    let _ = visit_expr(&mut e, 0, &mut |x, _| {
        if matches!(x, Expr::Subquery { .. }) {
            found = true;
        }
        Ok(())
    });
    found
}

/// Splits a predicate into its AND-ed conjuncts.
pub(super) fn conjuncts(e: Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::And(v) => {
            for x in v {
                conjuncts(x, out);
            }
        }
        other => out.push(other),
    }
}

/// Joins conjuncts back into one predicate (`None` when there are none).
pub(super) fn conjoin(mut v: Vec<Expr>) -> Option<Expr> {
    match v.len() {
        0 => None,
        1 => v.pop(),
        _ => Some(Expr::And(v)),
    }
}
