//! Rule-based rewrites applied after binding.
//!
//! - WHERE and inner-join conditions are split into conjuncts over a *join region* (a tree of
//!   filters and inner joins over opaque leaves). Single-leaf conjuncts go down into that leaf
//!   (a scan's `filter`); the leaves are joined greedily so each next leaf connects through an
//!   equality to those already joined (no cross products when avoidable), equalities become
//!   hash-join keys and the rest residuals. A final projection restores the column order the
//!   binder produced, so nodes above never notice the reordering.
//! - Outer joins: ON conjuncts over the nullable side only are pushed into it; WHERE
//!   conjuncts over the preserved side only are pushed into that side.
//! - Scans pick a primary-key or index lookup for `col = const`, `col IN (consts)` and ranges
//!   on leading key columns. The scan keeps its whole filter, so a lookup only narrows.
//! - Conjuncts containing subqueries are not moved: they stay in a filter over the region, in
//!   the binder's row shape.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::catalog::{Catalog, IndexDef, TableDef};
use crate::types::ops::BinaryOp;
use crate::types::{DataType, Value};

use super::rewrite::{columns_used, conjoin, conjuncts, has_subquery, remap_columns, visit_expr};
use super::{BoundStatement, Expr, IndexLookup, JoinKind, Plan, ScanSource};

/// Pushes predicates into scans and joins, turns equi-join conditions into hash joins, and
/// picks primary-key / index lookups for equality and range predicates.
pub fn optimize(plan: Plan) -> Plan {
    Optimizer { catalog: None }.opt(plan)
}

/// `optimize` with secondary indexes from `catalog` available for lookups.
pub fn optimize_with(plan: Plan, catalog: &Catalog) -> Plan {
    Optimizer { catalog: Some(catalog) }.opt(plan)
}

/// Optimizes every plan inside a bound statement.
pub fn optimize_statement(stmt: BoundStatement, catalog: &Catalog) -> BoundStatement {
    let o = Optimizer { catalog: Some(catalog) };
    match stmt {
        BoundStatement::Query(mut q) => {
            q.plan = o.opt(q.plan);
            BoundStatement::Query(q)
        }
        BoundStatement::Insert(mut i) => {
            i.source = o.opt(i.source);
            BoundStatement::Insert(i)
        }
        BoundStatement::Update(mut u) => {
            u.input = o.opt(u.input);
            for (_, e) in &mut u.assignments {
                o.opt_expr(e);
            }
            BoundStatement::Update(u)
        }
        BoundStatement::Delete(mut d) => {
            d.input = o.opt(d.input);
            BoundStatement::Delete(d)
        }
    }
}

/// Width of the rows a plan produces.
pub(super) fn width(p: &Plan) -> usize {
    match p {
        Plan::Values { width, .. } | Plan::TableFunction { width, .. } | Plan::WorkTable { width, .. } => *width,
        Plan::Scan { table, emit_key, .. } => table.columns.len() + usize::from(*emit_key),
        Plan::Project { exprs, .. } => exprs.len(),
        Plan::NestedLoopJoin { left, right, kind, .. } | Plan::HashJoin { left, right, kind, .. } => match kind {
            JoinKind::Semi | JoinKind::Anti => width(left),
            _ => width(left) + width(right),
        },
        Plan::Aggregate {
            group_by, aggregates, ..
        } => group_by.len() + aggregates.len(),
        Plan::Filter { input, .. }
        | Plan::Sort { input, .. }
        | Plan::Limit { input, .. }
        | Plan::Distinct { input }
        | Plan::DistinctOn { input, .. } => width(input),
        Plan::SetOp { left, .. } => width(left),
        Plan::RecursiveCte { base, .. } => width(base),
        Plan::CteScan { plan, .. } => width(plan),
    }
}

/// A leaf of a join region: its plan and where its columns sit in the region's row.
struct Leaf {
    plan: Plan,
    offset: usize,
    width: usize,
    /// Conjuncts over this leaf only, in leaf-local positions.
    filters: Vec<Expr>,
}

struct Optimizer<'c> {
    catalog: Option<&'c Catalog>,
}

impl Optimizer<'_> {
    fn opt(&self, plan: Plan) -> Plan {
        match plan {
            Plan::Filter { .. }
            | Plan::NestedLoopJoin {
                kind: JoinKind::Inner, ..
            } => self.opt_region(plan),
            other => self.opt_node(other),
        }
    }

    /// Optimizes subquery plans inside `e` (each once, at its own level).
    fn opt_expr(&self, e: &mut Expr) {
        let _ = visit_expr(e, 0, &mut |x, depth| {
            if depth == 0 {
                if let Expr::Subquery { plan, .. } = x {
                    let p = std::mem::replace(plan.as_mut(), Plan::Values { rows: vec![], width: 0 });
                    **plan = self.opt(p);
                }
            }
            Ok(())
        });
    }

    fn opt_exprs<'e>(&self, es: impl IntoIterator<Item = &'e mut Expr>) {
        for e in es {
            self.opt_expr(e);
        }
    }

    /// Optimizes a node that is not part of a join region, and its children.
    fn opt_node(&self, plan: Plan) -> Plan {
        match plan {
            Plan::Values { mut rows, width } => {
                for r in &mut rows {
                    self.opt_exprs(r.iter_mut());
                }
                Plan::Values { rows, width }
            }
            Plan::Scan {
                table,
                source,
                mut filter,
                emit_key,
            } => {
                if let Some(f) = &mut filter {
                    self.opt_expr(f);
                }
                let source = match (&source, &filter) {
                    (ScanSource::Table, Some(f)) => self.choose_source(&table, f),
                    _ => source,
                };
                Plan::Scan {
                    table,
                    source,
                    filter,
                    emit_key,
                }
            }
            Plan::TableFunction { func, mut args, width } => {
                self.opt_exprs(args.iter_mut());
                Plan::TableFunction { func, args, width }
            }
            Plan::Filter { .. } => self.opt_region(plan),
            Plan::Project { input, mut exprs } => {
                self.opt_exprs(exprs.iter_mut());
                let input = self.opt(*input);
                // `SELECT *` projects every column in order: the projection does nothing.
                let identity = exprs.len() == width(&input)
                    && exprs
                        .iter()
                        .enumerate()
                        .all(|(i, e)| matches!(e, Expr::Column(c) if *c == i));
                if identity {
                    return input;
                }
                Plan::Project {
                    input: Box::new(input),
                    exprs,
                }
            }
            Plan::NestedLoopJoin {
                left,
                right,
                kind: JoinKind::Inner,
                condition,
            } => self.opt_region(Plan::NestedLoopJoin {
                left,
                right,
                kind: JoinKind::Inner,
                condition,
            }),
            Plan::NestedLoopJoin {
                left,
                right,
                kind,
                condition,
            } => self.opt_outer_join(*left, *right, kind, condition),
            Plan::HashJoin {
                left,
                right,
                kind,
                mut left_keys,
                mut right_keys,
                mut residual,
            } => {
                self.opt_exprs(
                    left_keys
                        .iter_mut()
                        .chain(right_keys.iter_mut())
                        .chain(residual.iter_mut()),
                );
                Plan::HashJoin {
                    left: Box::new(self.opt(*left)),
                    right: Box::new(self.opt(*right)),
                    kind,
                    left_keys,
                    right_keys,
                    residual,
                }
            }
            Plan::Aggregate {
                input,
                mut group_by,
                mut aggregates,
            } => {
                self.opt_exprs(group_by.iter_mut());
                for a in &mut aggregates {
                    self.opt_exprs(a.args.iter_mut().chain(a.filter.iter_mut()));
                    for k in &mut a.order_by {
                        self.opt_expr(&mut k.expr);
                    }
                }
                Plan::Aggregate {
                    input: Box::new(self.opt(*input)),
                    group_by,
                    aggregates,
                }
            }
            Plan::Sort { input, mut keys } => {
                for k in &mut keys {
                    self.opt_expr(&mut k.expr);
                }
                Plan::Sort {
                    input: Box::new(self.opt(*input)),
                    keys,
                }
            }
            Plan::Limit {
                input,
                mut limit,
                mut offset,
            } => {
                self.opt_exprs(limit.iter_mut().chain(offset.iter_mut()));
                Plan::Limit {
                    input: Box::new(self.opt(*input)),
                    limit,
                    offset,
                }
            }
            Plan::Distinct { input } => Plan::Distinct {
                input: Box::new(self.opt(*input)),
            },
            Plan::DistinctOn { input, mut keys } => {
                self.opt_exprs(keys.iter_mut());
                Plan::DistinctOn {
                    input: Box::new(self.opt(*input)),
                    keys,
                }
            }
            Plan::SetOp { op, all, left, right } => Plan::SetOp {
                op,
                all,
                left: Box::new(self.opt(*left)),
                right: Box::new(self.opt(*right)),
            },
            Plan::RecursiveCte {
                id,
                base,
                recursive,
                distinct,
            } => Plan::RecursiveCte {
                id,
                base: Box::new(self.opt(*base)),
                recursive: Box::new(self.opt(*recursive)),
                distinct,
            },
            Plan::WorkTable { id, width } => Plan::WorkTable { id, width },
            Plan::CteScan { id, plan } => Plan::CteScan {
                id,
                plan: Box::new(self.opt(*plan)),
            },
        }
    }

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

    fn opt_region(&self, plan: Plan) -> Plan {
        let total = width(&plan);
        let mut conj = Vec::new();
        let mut leaves = Vec::new();
        Self::flatten(plan, 0, &mut conj, &mut leaves);
        let leaf_of = |p: usize, leaves: &[Leaf]| leaves.iter().position(|l| p >= l.offset && p < l.offset + l.width);

        // Classify conjuncts by the leaves they read.
        let mut top: Vec<Expr> = Vec::new();
        let mut multi: Vec<(Expr, BTreeSet<usize>)> = Vec::new();
        for mut c in conj {
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
                    remap_columns(&mut lk, &|i| pos[i].unwrap_or(i));
                    let off = leaf.offset;
                    remap_columns(&mut rk, &|i| i - off);
                    left_keys.push(lk);
                    right_keys.push(rk);
                } else {
                    let mut c = c;
                    remap_columns(&mut c, &|i| new_pos[i].unwrap_or(i));
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
            remap_columns(&mut c, &|i| pos[i].unwrap_or(i));
            top.push(c);
        }
        let identity = pos.iter().enumerate().all(|(i, p)| *p == Some(i));
        if !identity {
            plan = Plan::Project {
                input: Box::new(plan),
                exprs: (0..total).map(|i| Expr::Column(pos[i].unwrap_or(i))).collect(),
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

    fn opt_outer_join(&self, left: Plan, right: Plan, kind: JoinKind, condition: Option<Expr>) -> Plan {
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

    /// Picks the best primary-key or index lookup the scan's filter allows.
    fn choose_source(&self, table: &Arc<TableDef>, filter: &Expr) -> ScanSource {
        let mut parts = Vec::new();
        conjuncts(filter.clone(), &mut parts);
        let preds: Vec<KeyPred> = parts.iter().filter_map(|p| key_pred(p, table)).collect();
        if preds.is_empty() {
            return ScanSource::Table;
        }
        let mut best: Option<(u32, ScanSource)> = None;
        if let Some(pk) = &table.primary_key {
            if let Some((score, lookup)) = lookup_for(pk, true, &preds) {
                best = Some((score, ScanSource::PrimaryKey(lookup)));
            }
        }
        if let Some(catalog) = self.catalog {
            for index in catalog.table_indexes(table.id) {
                if let Some((score, lookup)) = lookup_for(&index.columns, index.unique, &preds) {
                    if best.as_ref().is_none_or(|(s, _)| score > *s) {
                        best = Some((score, ScanSource::Index(index_arc(&index), lookup)));
                    }
                }
            }
        }
        best.map(|(_, s)| s).unwrap_or(ScanSource::Table)
    }
}

fn index_arc(index: &Arc<IndexDef>) -> Arc<IndexDef> {
    Arc::clone(index)
}

fn wrap_filter(plan: Plan, filters: Vec<Expr>) -> Plan {
    match conjoin(filters) {
        Some(predicate) => Plan::Filter {
            input: Box::new(plan),
            predicate,
        },
        None => plan,
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

/// Constant for the duration of a scan: literals, parameters, enclosing rows.
fn is_scan_constant(e: &Expr) -> bool {
    super::rewrite::deep(|| is_scan_constant_inner(e))
}

fn is_scan_constant_inner(e: &Expr) -> bool {
    match e {
        Expr::Constant(_) | Expr::Param(_) | Expr::Outer { .. } => true,
        Expr::Cast { expr, .. } | Expr::Unary { expr, .. } => is_scan_constant(expr),
        Expr::Binary { left, right, .. } => is_scan_constant(left) && is_scan_constant(right),
        _ => false,
    }
}

/// A predicate on one table column usable for a key lookup.
enum KeyPred {
    Eq(usize, Expr),
    In(usize, Vec<Expr>),
    Lower(usize, Expr, bool),
    Upper(usize, Expr, bool),
}

/// The column a side of a comparison reads directly, and the value the other side supplies
/// (coerced to the column's type, or `None` when that cannot be done without loss).
fn column_and_value(col_side: &Expr, value: &Expr, table: &TableDef) -> Option<(usize, Expr)> {
    if !is_scan_constant(value) {
        return None;
    }
    match col_side {
        // Operands were coerced to one type by the binder, so an uncast column compares
        // with a value of its own type.
        Expr::Column(c) if *c < table.columns.len() => Some((*c, value.clone())),
        // `int4_col = 5::int8` compares as int8: usable when the constant fits the column.
        Expr::Cast { expr, to } if to.is_integer() => match (expr.as_ref(), value) {
            (Expr::Column(c), Expr::Constant(v)) => {
                let col_type = &table.columns.get(*c)?.data_type;
                narrow_integer(v, col_type).map(|v| (*c, Expr::Constant(v)))
            }
            _ => None,
        },
        _ => None,
    }
}

fn narrow_integer(v: &Value, to: &DataType) -> Option<Value> {
    let n: i64 = match v {
        Value::Int2(x) => i64::from(*x),
        Value::Int4(x) => i64::from(*x),
        Value::Int8(x) => *x,
        _ => return None,
    };
    match to {
        DataType::Int2 => i16::try_from(n).ok().map(Value::Int2),
        DataType::Int4 => i32::try_from(n).ok().map(Value::Int4),
        DataType::Int8 => Some(Value::Int8(n)),
        _ => None,
    }
}

fn key_pred(e: &Expr, table: &TableDef) -> Option<KeyPred> {
    match e {
        Expr::Binary { op, left, right } => {
            let (c, v, flipped) = match column_and_value(left, right, table) {
                Some((c, v)) => (c, v, false),
                None => {
                    let (c, v) = column_and_value(right, left, table)?;
                    (c, v, true)
                }
            };
            let op = if flipped { flip(*op)? } else { *op };
            match op {
                BinaryOp::Eq => Some(KeyPred::Eq(c, v)),
                BinaryOp::Gt => Some(KeyPred::Lower(c, v, false)),
                BinaryOp::GtEq => Some(KeyPred::Lower(c, v, true)),
                BinaryOp::Lt => Some(KeyPred::Upper(c, v, false)),
                BinaryOp::LtEq => Some(KeyPred::Upper(c, v, true)),
                _ => None,
            }
        }
        Expr::InList {
            expr,
            list,
            negated: false,
        } => match expr.as_ref() {
            Expr::Column(c) if list.iter().all(is_scan_constant) && !list.is_empty() => {
                Some(KeyPred::In(*c, list.clone()))
            }
            _ => None,
        },
        _ => None,
    }
}

fn flip(op: BinaryOp) -> Option<BinaryOp> {
    Some(match op {
        BinaryOp::Eq => BinaryOp::Eq,
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        _ => return None,
    })
}

/// The lookup `preds` allow on an index over `columns`, with a score (higher is better).
fn lookup_for(columns: &[usize], unique: bool, preds: &[KeyPred]) -> Option<(u32, IndexLookup)> {
    let mut prefix = Vec::new();
    for c in columns {
        match preds.iter().find_map(|p| {
            if let KeyPred::Eq(pc, v) = p {
                (pc == c).then(|| v.clone())
            } else {
                None
            }
        }) {
            Some(v) => prefix.push(v),
            None => break,
        }
    }
    if prefix.len() == columns.len() && !prefix.is_empty() {
        let score = if unique { 100 } else { 50 } + prefix.len() as u32;
        return Some((score, IndexLookup::Eq(prefix)));
    }
    if let Some(next) = columns.get(prefix.len()) {
        let lower = preds.iter().find_map(|p| match p {
            KeyPred::Lower(c, v, inc) if c == next => Some((v.clone(), *inc)),
            _ => None,
        });
        let upper = preds.iter().find_map(|p| match p {
            KeyPred::Upper(c, v, inc) if c == next => Some((v.clone(), *inc)),
            _ => None,
        });
        if lower.is_some() || upper.is_some() {
            let score = 20 + 2 * prefix.len() as u32 + u32::from(lower.is_some() && upper.is_some());
            return Some((score, IndexLookup::Range { prefix, lower, upper }));
        }
        if prefix.is_empty() {
            if let Some(list) = preds.iter().find_map(|p| {
                if let KeyPred::In(c, l) = p {
                    (c == next).then(|| l.clone())
                } else {
                    None
                }
            }) {
                return Some((30, IndexLookup::InList(list)));
            }
        }
    }
    if !prefix.is_empty() {
        return Some((40 + prefix.len() as u32, IndexLookup::Eq(prefix)));
    }
    None
}
