//! Join regions: trees of filters and inner joins over opaque leaves, flattened into
//! conjuncts, pushed down, and re-joined greedily along equalities.

use std::collections::BTreeSet;

use crate::types::ops::BinaryOp;

use super::super::rewrite::{columns_used, conjoin, conjuncts, has_subquery, remap_columns};
use super::super::{Expr, JoinKind, Plan};
use super::decorrelate::{decorrelate, SemiJoin};
use super::key_lookup::is_scan_constant;
use super::{width, wrap_filter, Optimizer};

/// A leaf of a join region: its plan and where its columns sit in the region's row.
struct Leaf {
    plan: Plan,
    offset: usize,
    width: usize,
    /// Conjuncts over this leaf only, in leaf-local positions.
    filters: Vec<Expr>,
}

impl Optimizer<'_> {
    /// Flattens filters and inner joins into leaves and conjuncts (region coordinates).
    fn flatten(plan: Plan, offset: usize, conj: &mut Vec<Expr>, leaves: &mut Vec<Leaf>) {
        match plan {
            Plan::Filter { input, predicate } => {
                let mut parts = Vec::new();
                conjuncts(predicate, &mut parts);
                for mut p in parts {
                    remap_columns(&mut p, &|i| i + offset);
                    conj.push(p);
                }
                Self::flatten(*input, offset, conj, leaves);
            }
            Plan::NestedLoopJoin {
                left,
                right,
                kind: JoinKind::Inner,
                condition,
            } => {
                let lw = width(&left);
                if let Some(c) = condition {
                    let mut parts = Vec::new();
                    conjuncts(c, &mut parts);
                    for mut p in parts {
                        remap_columns(&mut p, &|i| i + offset);
                        conj.push(p);
                    }
                }
                Self::flatten(*left, offset, conj, leaves);
                Self::flatten(*right, offset + lw, conj, leaves);
            }
            other => {
                let w = width(&other);
                leaves.push(Leaf {
                    plan: other,
                    offset,
                    width: w,
                    filters: Vec::new(),
                });
            }
        }
    }

    pub(super) fn opt_region(&self, plan: Plan) -> Plan {
        let total = width(&plan);
        let mut conj = Vec::new();
        let mut leaves = Vec::new();
        Self::flatten(plan, 0, &mut conj, &mut leaves);
        let leaf_of = |p: usize, leaves: &[Leaf]| leaves.iter().position(|l| p >= l.offset && p < l.offset + l.width);

        // Classify conjuncts by the leaves they read.
        let mut top: Vec<Expr> = Vec::new();
        let mut semi: Vec<SemiJoin> = Vec::new();
        let mut multi: Vec<(Expr, BTreeSet<usize>)> = Vec::new();
        for mut c in conj {
            if let Some(sj) = decorrelate(&c, total) {
                semi.push(sj);
                continue;
            }
            self.opt_expr(&mut c);
            if has_subquery(&c) {
                top.push(c);
                continue;
            }
            let used: BTreeSet<usize> = columns_used(&c)
                .into_iter()
                .filter_map(|p| leaf_of(p, &leaves))
                .collect();
            match used.len() {
                0 if leaves.len() == 1 => {
                    leaves[0].filters.push(c);
                }
                0 => top.push(c),
                1 => {
                    let li = used.iter().next().copied().unwrap_or(0);
                    let off = leaves[li].offset;
                    remap_columns(&mut c, &|i| i - off);
                    leaves[li].filters.push(c);
                }
                _ => multi.push((c, used)),
            }
        }
        let mut built: Vec<Option<Plan>> = Vec::with_capacity(leaves.len());
        let mut has_filter = Vec::with_capacity(leaves.len());
        let mut has_eq_const = Vec::with_capacity(leaves.len());
        for leaf in &mut leaves {
            has_filter.push(!leaf.filters.is_empty());
            has_eq_const.push(leaf.filters.iter().any(is_eq_const));
            let plan = std::mem::replace(&mut leaf.plan, Plan::Values { rows: vec![], width: 0 });
            built.push(Some(self.push_into_leaf(plan, std::mem::take(&mut leaf.filters))));
        }

        // Greedy join order.
        let n = leaves.len();
        let start = (0..n)
            .find(|i| has_eq_const[*i])
            .or_else(|| (0..n).find(|i| has_filter[*i]))
            .unwrap_or(0);
        let mut order: Vec<usize> = vec![start];
        let mut plan = built[start].take().unwrap_or(Plan::Values { rows: vec![], width: 0 });
        // Position of each region column in the current joined row.
        let mut pos: Vec<Option<usize>> = vec![None; total];
        for k in 0..leaves[start].width {
            pos[leaves[start].offset + k] = Some(k);
        }
        let mut cur_width = leaves[start].width;
        while order.len() < n {
            let joined: BTreeSet<usize> = order.iter().copied().collect();
            let connected = |i: usize| {
                multi.iter().any(|(c, used)| {
                    used.contains(&i) && used.iter().all(|u| *u == i || joined.contains(u)) && is_equality(c)
                })
            };
            let remaining: Vec<usize> = (0..n).filter(|i| !joined.contains(i)).collect();
            let next = remaining
                .iter()
                .copied()
                .find(|i| connected(*i) && has_filter[*i])
                .or_else(|| remaining.iter().copied().find(|i| connected(*i)))
                .or_else(|| remaining.iter().copied().find(|i| has_filter[*i]))
                .unwrap_or(remaining[0]);
            let leaf = &leaves[next];
            let right = built[next].take().unwrap_or(Plan::Values { rows: vec![], width: 0 });
            let mut left_keys = Vec::new();
            let mut right_keys = Vec::new();
            let mut residual = Vec::new();
            let mut new_pos = pos.clone();
            for k in 0..leaf.width {
                new_pos[leaf.offset + k] = Some(cur_width + k);
            }
            let mut rest = Vec::with_capacity(multi.len());
            for (c, used) in std::mem::take(&mut multi) {
                let applicable = used.iter().all(|u| *u == next || joined.contains(u));
                if !applicable {
                    rest.push((c, used));
                    continue;
                }
                if let Some((lk, rk)) = split_equi_key(&c, &|p| leaf_of(p, &leaves) == Some(next)) {
                    let mut lk = lk;
                    let mut rk = rk;
                    remap_columns(&mut lk, &|i| pos.get(i).copied().flatten().unwrap_or(i));
                    let off = leaf.offset;
                    remap_columns(&mut rk, &|i| i - off);
                    left_keys.push(lk);
                    right_keys.push(rk);
                } else {
                    let mut c = c;
                    remap_columns(&mut c, &|i| new_pos.get(i).copied().flatten().unwrap_or(i));
                    residual.push(c);
                }
            }
            multi = rest;
            plan = if left_keys.is_empty() {
                Plan::NestedLoopJoin {
                    left: Box::new(plan),
                    right: Box::new(right),
                    kind: JoinKind::Inner,
                    condition: conjoin(residual),
                }
            } else {
                Plan::HashJoin {
                    left: Box::new(plan),
                    right: Box::new(right),
                    kind: JoinKind::Inner,
                    left_keys,
                    right_keys,
                    residual: conjoin(residual),
                }
            };
            pos = new_pos;
            cur_width += leaf.width;
            order.push(next);
        }
        // Anything left (cannot happen once every leaf is joined) stays on top.
        for (mut c, _) in multi {
            remap_columns(&mut c, &|i| pos.get(i).copied().flatten().unwrap_or(i));
            top.push(c);
        }
        let identity = pos.iter().enumerate().all(|(i, p)| *p == Some(i));
        if !identity {
            plan = Plan::Project {
                input: Box::new(plan),
                exprs: (0..total)
                    .map(|i| Expr::Column(pos.get(i).copied().flatten().unwrap_or(i)))
                    .collect(),
            };
        }
        for sj in semi {
            plan = Plan::HashJoin {
                left: Box::new(plan),
                right: Box::new(self.opt(sj.right)),
                kind: sj.kind,
                left_keys: sj.left_keys,
                right_keys: sj.right_keys,
                residual: sj.residual,
            };
        }
        match conjoin(top) {
            Some(predicate) => Plan::Filter {
                input: Box::new(plan),
                predicate,
            },
            None => plan,
        }
    }

    /// Applies `filters` (leaf-local) to a leaf and optimizes it.
    fn push_into_leaf(&self, plan: Plan, filters: Vec<Expr>) -> Plan {
        if filters.is_empty() {
            return self.opt_node(plan);
        }
        match plan {
            Plan::Scan {
                table,
                source,
                filter,
                emit_key,
            } => {
                let mut all = Vec::new();
                if let Some(f) = filter {
                    conjuncts(f, &mut all);
                }
                all.extend(filters);
                self.opt_node(Plan::Scan {
                    table,
                    source,
                    filter: conjoin(all),
                    emit_key,
                })
            }
            Plan::NestedLoopJoin {
                left,
                right,
                kind: kind @ (JoinKind::Left | JoinKind::Right),
                condition,
            } => {
                // WHERE conjuncts over the preserved side only can filter that side first.
                let lw = width(&left);
                let mut to_left = Vec::new();
                let mut to_right = Vec::new();
                let mut stay = Vec::new();
                for mut f in filters {
                    let used = columns_used(&f);
                    if kind == JoinKind::Left && used.iter().all(|p| *p < lw) {
                        to_left.push(f);
                    } else if kind == JoinKind::Right && used.iter().all(|p| *p >= lw) {
                        remap_columns(&mut f, &|i| i - lw);
                        to_right.push(f);
                    } else {
                        stay.push(f);
                    }
                }
                let left = wrap_filter(*left, to_left);
                let right = wrap_filter(*right, to_right);
                let joined = self.opt_outer_join(left, right, kind, condition);
                wrap_filter(joined, stay)
            }
            other => wrap_filter(self.opt_node(other), filters),
        }
    }

    pub(super) fn opt_outer_join(&self, left: Plan, right: Plan, kind: JoinKind, condition: Option<Expr>) -> Plan {
        let lw = width(&left);
        let mut parts = Vec::new();
        if let Some(mut c) = condition {
            self.opt_expr(&mut c);
            conjuncts(c, &mut parts);
        }
        let mut to_left = Vec::new();
        let mut to_right = Vec::new();
        let mut left_keys = Vec::new();
        let mut right_keys = Vec::new();
        let mut residual = Vec::new();
        for mut c in parts {
            if has_subquery(&c) {
                residual.push(c);
                continue;
            }
            let used = columns_used(&c);
            let only_left = !used.is_empty() && used.iter().all(|p| *p < lw);
            let only_right = !used.is_empty() && used.iter().all(|p| *p >= lw);
            if only_right && kind == JoinKind::Left {
                remap_columns(&mut c, &|i| i - lw);
                to_right.push(c);
            } else if only_left && kind == JoinKind::Right {
                to_left.push(c);
            } else if let Some((lk, mut rk)) = split_equi_key(&c, &|p| p >= lw) {
                remap_columns(&mut rk, &|i| i - lw);
                left_keys.push(lk);
                right_keys.push(rk);
            } else {
                residual.push(c);
            }
        }
        let left = Box::new(self.opt(wrap_filter(left, to_left)));
        let right = Box::new(self.opt(wrap_filter(right, to_right)));
        if left_keys.is_empty() {
            Plan::NestedLoopJoin {
                left,
                right,
                kind,
                condition: conjoin(residual),
            }
        } else {
            Plan::HashJoin {
                left,
                right,
                kind,
                left_keys,
                right_keys,
                residual: conjoin(residual),
            }
        }
    }
}

fn is_equality(e: &Expr) -> bool {
    matches!(e, Expr::Binary { op: BinaryOp::Eq, .. })
}

/// `a = b` where one side reads only the new leaf (`is_right`) and the other only the rest:
/// returns (left-side key, right-side key).
fn split_equi_key(e: &Expr, is_right: &dyn Fn(usize) -> bool) -> Option<(Expr, Expr)> {
    let Expr::Binary {
        op: BinaryOp::Eq,
        left,
        right,
    } = e
    else {
        return None;
    };
    let lu = columns_used(left);
    let ru = columns_used(right);
    if lu.is_empty() || ru.is_empty() {
        return None;
    }
    let l_right = lu.iter().all(|p| is_right(*p));
    let l_left = lu.iter().all(|p| !is_right(*p));
    let r_right = ru.iter().all(|p| is_right(*p));
    let r_left = ru.iter().all(|p| !is_right(*p));
    if l_left && r_right {
        Some((left.as_ref().clone(), right.as_ref().clone()))
    } else if l_right && r_left {
        Some((right.as_ref().clone(), left.as_ref().clone()))
    } else {
        None
    }
}

/// Whether a leaf conjunct is `column = constant` (a selective starting point for joins).
fn is_eq_const(e: &Expr) -> bool {
    match e {
        Expr::Binary {
            op: BinaryOp::Eq,
            left,
            right,
        } => {
            (matches!(left.as_ref(), Expr::Column(_)) && is_scan_constant(right))
                || (matches!(right.as_ref(), Expr::Column(_)) && is_scan_constant(left))
        }
        _ => false,
    }
}
