//! Correlated `[NOT] EXISTS` and `IN` subqueries in WHERE as semi/anti hash joins.

use crate::types::ops::BinaryOp;

use super::super::rewrite::{columns_used, conjoin, conjuncts, has_subquery, plan_reads_outside, visit_expr};
use super::super::{Expr, JoinKind, Plan};
use super::wrap_filter;

/// A WHERE conjunct `[NOT] EXISTS (...)` / `x IN (...)` turned into a semi/anti hash join.
pub(super) struct SemiJoin {
    pub kind: JoinKind,
    pub right: Plan,
    pub left_keys: Vec<Expr>,
    pub right_keys: Vec<Expr>,
    pub residual: Option<Expr>,
}

/// Decorrelates a WHERE conjunct over a row of `left_width` columns when it is
/// `EXISTS (SELECT ... FROM x WHERE inner AND outer_expr = inner_expr ...)`, its negation, or
/// `e IN (SELECT inner_expr FROM x WHERE ...)`: the subquery's body `x` must read nothing
/// outside itself, and at least one equality must link the two rows (it becomes the hash key).
/// Other conjuncts reading the outer row become the join's residual. Anything else: `None`.
pub(super) fn decorrelate(c: &Expr, left_width: usize) -> Option<SemiJoin> {
    let (sub, negated) = match c {
        Expr::Not(inner) => (inner.as_ref(), true),
        other => (other, false),
    };
    let Expr::Subquery {
        plan,
        kind,
        correlated: true,
    } = sub
    else {
        return None;
    };
    let (kind, in_expr) = match (kind, negated) {
        (super::super::SubqueryKind::Exists, false) => (JoinKind::Semi, None),
        (super::super::SubqueryKind::Exists, true) => (JoinKind::Anti, None),
        (super::super::SubqueryKind::In { expr, negated: false }, false) => (JoinKind::Semi, Some(expr.as_ref())),
        _ => return None,
    };
    let Plan::Project { input, exprs } = plan.as_ref() else {
        return None;
    };
    let (body, predicate) = match input.as_ref() {
        Plan::Filter { input, predicate } => (input.as_ref(), Some(predicate)),
        other => (other, None),
    };
    // The body must keep every row it reads (no aggregation/limit) and read nothing outside.
    if !matches!(
        body,
        Plan::Scan { .. }
            | Plan::NestedLoopJoin { .. }
            | Plan::HashJoin { .. }
            | Plan::Values { .. }
            | Plan::CteScan { .. }
    ) || plan_reads_outside(body)
    {
        return None;
    }
    let mut parts = Vec::new();
    if let Some(p) = predicate {
        conjuncts(p.clone(), &mut parts);
    }
    let mut inner = Vec::new();
    let mut left_keys = Vec::new();
    let mut right_keys = Vec::new();
    let mut residual = Vec::new();
    if let Some(e) = in_expr {
        let [first] = exprs.as_slice() else { return None };
        if has_subquery(e) || has_subquery(first) || outer_refs(first) {
            return None;
        }
        left_keys.push(e.clone());
        right_keys.push(first.clone());
    }
    for part in parts {
        if has_subquery(&part) {
            return None;
        }
        if !outer_refs(&part) {
            inner.push(part);
            continue;
        }
        if !only_level_one(&part) {
            return None;
        }
        if let Expr::Binary {
            op: BinaryOp::Eq,
            left,
            right,
        } = &part
        {
            let (l_outer, l_inner) = (outer_refs(left), !columns_used(left).is_empty());
            let (r_outer, r_inner) = (outer_refs(right), !columns_used(right).is_empty());
            if l_outer && !l_inner && r_inner && !r_outer {
                left_keys.push(lift(left, 0));
                right_keys.push(right.as_ref().clone());
                continue;
            }
            if r_outer && !r_inner && l_inner && !l_outer {
                left_keys.push(lift(right, 0));
                right_keys.push(left.as_ref().clone());
                continue;
            }
        }
        residual.push(lift(&part, left_width));
    }
    if left_keys.is_empty() {
        return None;
    }
    Some(SemiJoin {
        kind,
        right: wrap_filter(body.clone(), inner),
        left_keys,
        right_keys,
        residual: conjoin(residual),
    })
}

/// Whether `e` (at a subquery's own level) reads the enclosing row.
fn outer_refs(e: &Expr) -> bool {
    let mut e = e.clone();
    let mut found = false;
    let _ = visit_expr(&mut e, 0, &mut |x, depth| {
        if matches!(x, Expr::Outer { levels_up, .. } if *levels_up > depth) {
            found = true;
        }
        Ok(())
    });
    found
}

/// Whether every outer reference in `e` names the immediately enclosing row.
fn only_level_one(e: &Expr) -> bool {
    let mut e = e.clone();
    let mut ok = true;
    let _ = visit_expr(&mut e, 0, &mut |x, _| {
        if matches!(x, Expr::Outer { levels_up, .. } if *levels_up != 1) {
            ok = false;
        }
        Ok(())
    });
    ok
}

/// Moves a subquery-level expression (no nested subqueries) into a join over
/// `enclosing row ++ subquery row`: the enclosing row's columns keep their positions, the
/// subquery's own columns shift by `shift`.
fn lift(e: &Expr, shift: usize) -> Expr {
    let mut e = e.clone();
    let _ = visit_expr(&mut e, 0, &mut |x, _| {
        match x {
            Expr::Outer { index, .. } => *x = Expr::Column(*index),
            Expr::Column(i) => *i += shift,
            _ => {}
        }
        Ok(())
    });
    e
}
