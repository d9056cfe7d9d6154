//! Grouping: rewrites expressions bound over a SELECT's FROM row into expressions over its
//! `Aggregate` output (group-by values, then one value per aggregate call), enforcing that
//! every column outside an aggregate is grouped (42803).

use crate::error::{sqlstate, Error, Result};

use super::bind_function::AGG_BASE;
use super::binder::Binder;
use super::rewrite::{columns_used, fingerprint, visit_plan};
use super::scope::Scope;
use super::{Expr, SubqueryKind};

/// Group-by expressions of one SELECT, matched structurally against bound trees.
pub(super) struct Grouping<'s> {
    keys: Vec<String>,
    /// For each group key that is a plain column: its FROM-row position.
    key_columns: Vec<Option<usize>>,
    scope: &'s Scope,
}

impl<'s> Grouping<'s> {
    pub fn new(group_by: &[Expr], scope: &'s Scope) -> Grouping<'s> {
        Grouping {
            keys: group_by.iter().map(fingerprint).collect(),
            key_columns: group_by
                .iter()
                .map(|e| if let Expr::Column(i) = e { Some(*i) } else { None })
                .collect(),
            scope,
        }
    }

    fn ungrouped(&self, index: usize) -> Error {
        Error::sql(
            sqlstate::GROUPING_ERROR,
            format!(
                "column \"{}\" must appear in the GROUP BY clause or be used in an aggregate function",
                self.scope.display_name(index)
            ),
        )
    }

    /// Rewrites `e` (over the FROM row, with aggregate placeholders) over the aggregate row.
    pub fn rewrite(&self, e: Expr) -> Result<Expr> {
        super::rewrite::deep(|| self.rewrite_inner(e))
    }

    fn rewrite_inner(&self, e: Expr) -> Result<Expr> {
        if !self.keys.is_empty() {
            let k = fingerprint(&e);
            if let Some(i) = self.keys.iter().position(|g| *g == k) {
                return Ok(Expr::Column(i));
            }
        }
        let ngroups = self.keys.len();
        Ok(match e {
            Expr::Column(c) if c >= AGG_BASE => Expr::Column(ngroups + (c - AGG_BASE)),
            Expr::Column(c) => return Err(self.ungrouped(c)),
            Expr::Constant(_) | Expr::Outer { .. } | Expr::Param(_) => e,
            Expr::Unary { op, expr } => Expr::Unary {
                op,
                expr: self.boxed(*expr)?,
            },
            Expr::Binary { op, left, right } => Expr::Binary {
                op,
                left: self.boxed(*left)?,
                right: self.boxed(*right)?,
            },
            Expr::And(v) => Expr::And(self.all(v)?),
            Expr::Or(v) => Expr::Or(self.all(v)?),
            Expr::Not(x) => Expr::Not(self.boxed(*x)?),
            Expr::IsNull { expr, negated } => Expr::IsNull {
                expr: self.boxed(*expr)?,
                negated,
            },
            Expr::IsBool { expr, value, negated } => Expr::IsBool {
                expr: self.boxed(*expr)?,
                value,
                negated,
            },
            Expr::IsDistinctFrom { left, right, negated } => Expr::IsDistinctFrom {
                left: self.boxed(*left)?,
                right: self.boxed(*right)?,
                negated,
            },
            Expr::Like {
                expr,
                pattern,
                escape,
                case_insensitive,
                negated,
            } => Expr::Like {
                expr: self.boxed(*expr)?,
                pattern: self.boxed(*pattern)?,
                escape: match escape {
                    Some(x) => Some(self.boxed(*x)?),
                    None => None,
                },
                case_insensitive,
                negated,
            },
            Expr::InList { expr, list, negated } => Expr::InList {
                expr: self.boxed(*expr)?,
                list: self.all(list)?,
                negated,
            },
            Expr::Case {
                operand,
                branches,
                else_expr,
            } => Expr::Case {
                operand: match operand {
                    Some(x) => Some(self.boxed(*x)?),
                    None => None,
                },
                branches: branches
                    .into_iter()
                    .map(|(c, r)| Ok((self.rewrite(c)?, self.rewrite(r)?)))
                    .collect::<Result<_>>()?,
                else_expr: match else_expr {
                    Some(x) => Some(self.boxed(*x)?),
                    None => None,
                },
            },
            Expr::Cast { expr, to } => Expr::Cast {
                expr: self.boxed(*expr)?,
                to,
            },
            Expr::Function { func, args } => Expr::Function {
                func,
                args: self.all(args)?,
            },
            Expr::Ledger { func, args } => Expr::Ledger {
                func,
                args: self.all(args)?,
            },
            Expr::Coalesce(v) => Expr::Coalesce(self.all(v)?),
            Expr::NullIf { left, right } => Expr::NullIf {
                left: self.boxed(*left)?,
                right: self.boxed(*right)?,
            },
            Expr::Greatest(v) => Expr::Greatest(self.all(v)?),
            Expr::Least(v) => Expr::Least(self.all(v)?),
            Expr::Array(v) => Expr::Array(self.all(v)?),
            Expr::ArrayIndex { array, index } => Expr::ArrayIndex {
                array: self.boxed(*array)?,
                index: self.boxed(*index)?,
            },
            Expr::Subquery {
                mut plan,
                kind,
                correlated,
            } => {
                let kind = match kind {
                    SubqueryKind::In { expr, negated } => SubqueryKind::In {
                        expr: self.boxed(*expr)?,
                        negated,
                    },
                    SubqueryKind::Quantified { expr, op, all } => SubqueryKind::Quantified {
                        expr: self.boxed(*expr)?,
                        op,
                        all,
                    },
                    k => k,
                };
                // References from inside the subquery to this level's row must name grouped
                // columns; they now read the aggregate row.
                visit_plan(&mut plan, 1, &mut |x, depth| {
                    if let Expr::Outer { levels_up, index } = x {
                        if *levels_up == depth {
                            match self.key_columns.iter().position(|k| *k == Some(*index)) {
                                Some(g) => *index = g,
                                None => return Err(self.ungrouped(*index)),
                            }
                        }
                    }
                    Ok(())
                })?;
                Expr::Subquery { plan, kind, correlated }
            }
        })
    }

    fn boxed(&self, e: Expr) -> Result<Box<Expr>> {
        Ok(Box::new(self.rewrite(e)?))
    }

    fn all(&self, v: Vec<Expr>) -> Result<Vec<Expr>> {
        v.into_iter().map(|x| self.rewrite(x)).collect()
    }
}

/// Whether a bound expression contains an aggregate placeholder (at its own level).
pub(super) fn contains_aggregate(e: &Expr) -> bool {
    let mut e = e.clone();
    let mut found = false;
    let _ = super::rewrite::visit_expr(&mut e, 0, &mut |x, depth| {
        if depth == 0 && matches!(x, Expr::Column(c) if *c >= AGG_BASE) {
            found = true;
        }
        Ok(())
    });
    found
}

impl Binder<'_> {
    /// Columns read outside aggregates that are not grouped but functionally depend on the
    /// group keys because their table's whole primary key is grouped (PostgreSQL allows
    /// `SELECT id, name FROM t GROUP BY id` when `id` is the key). They become extra keys,
    /// which changes no group.
    pub(super) fn dependent_columns(&self, exprs: &[Expr], group_by: &[Expr], scope: &Scope) -> Vec<usize> {
        let grouped = |i: usize| group_by.iter().any(|g| matches!(g, Expr::Column(c) if *c == i));
        let mut used: Vec<usize> = Vec::new();
        for e in exprs {
            used.extend(columns_used(e).into_iter().filter(|c| *c < AGG_BASE));
        }
        used.sort_unstable();
        used.dedup();
        let mut out = Vec::new();
        for c in used {
            if grouped(c) {
                continue;
            }
            let Some(entry) = scope.columns.iter().find(|e| e.index == c && e.base_table) else {
                continue;
            };
            let Some((table_id, _)) = entry.source else { continue };
            let Some(table) = self.catalog.table_by_id(table_id) else {
                continue;
            };
            let Some(pk) = &table.primary_key else { continue };
            let key_grouped = pk.iter().all(|p| {
                scope
                    .columns
                    .iter()
                    .find(|e| e.base_table && e.table == entry.table && e.source == Some((table_id, *p)))
                    .is_some_and(|e| grouped(e.index))
            });
            if key_grouped {
                out.push(c);
            }
        }
        out
    }
}
