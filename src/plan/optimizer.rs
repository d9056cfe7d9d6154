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
//!   the binder's row shape, except correlated `[NOT] EXISTS` / `IN` linked by an equality,
//!   which become semi/anti hash joins (`decorrelate`).

use crate::catalog::Catalog;

use super::rewrite::{conjoin, visit_expr};
use super::{BoundStatement, Expr, JoinKind, Plan, ScanSource};

/// Correlated EXISTS / IN conjuncts as semi/anti joins.
mod decorrelate;
/// Join regions: pushdown, greedy join order, hash-join keys, outer joins.
mod join_region;
/// Primary-key and index lookups for scans.
mod key_lookup;

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
        Plan::Scan { table, emit_key, .. } => table.scan_width() + usize::from(*emit_key),
        Plan::Project { exprs, .. } => exprs.len(),
        Plan::Window { input, calls } => width(input) + calls.len(),
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
                let (source, filter) = match (source, filter) {
                    (ScanSource::Table, Some(f)) => self.choose_source(&table, f),
                    (source, filter) => (source, filter),
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
            Plan::Window { input, mut calls } => {
                for c in &mut calls {
                    self.opt_exprs(c.partition_by.iter_mut());
                    for k in &mut c.order_by {
                        self.opt_expr(&mut k.expr);
                    }
                }
                Plan::Window {
                    input: Box::new(self.opt(*input)),
                    calls,
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
}

/// `plan` filtered by the conjunction of `filters` (unchanged when there are none).
fn wrap_filter(plan: Plan, filters: Vec<Expr>) -> Plan {
    match conjoin(filters) {
        Some(predicate) => Plan::Filter {
            input: Box::new(plan),
            predicate,
        },
        None => plan,
    }
}
