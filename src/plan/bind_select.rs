//! SELECT: target list, WHERE, GROUP BY, HAVING, DISTINCT [ON], ORDER BY (output names,
//! positions, or hidden input expressions) and LIMIT/OFFSET over one SELECT block.

use crate::error::{sqlstate, Error, Result};
use crate::sql::ast;
use crate::types::DataType;

use super::bind_function::sort_key;
use super::bind_group::{contains_aggregate, Grouping};
use super::bind_window::place_window_columns;
use super::binder::{AggState, Binder};
use super::column_name::column_name;
use super::optimizer::width;
use super::rewrite::fingerprint;
use super::scope::Scope;
use super::sql_type::{fold_ident, object_name_last};
use super::{Expr, OutputColumn, Plan, QueryPlan, SortKey};

/// LIMIT and OFFSET of a query, bound.
pub(super) struct Paging {
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
}

/// One column of a SELECT's target list, bound over the FROM row.
struct Target {
    expr: Expr,
    data_type: DataType,
    name: String,
    source: Option<(u32, usize)>,
}

impl Binder<'_> {
    pub(super) fn bind_select(
        &mut self,
        s: &ast::Select,
        order_by: &[ast::OrderByExpr],
        paging: Paging,
    ) -> Result<QueryPlan> {
        if s.into.is_some() {
            return Err(Error::unsupported("SELECT INTO"));
        }
        if s.top.is_some() || !s.lateral_views.is_empty() || s.qualify.is_some() || !s.named_window.is_empty() {
            return Err(Error::unsupported("this SELECT clause"));
        }
        let saved_agg = self.agg.take();
        let saved_win = self.win.take();
        let saved_clause = self.clause;
        let result = self.bind_select_inner(s, order_by, paging);
        self.agg = saved_agg;
        self.win = saved_win;
        self.clause = saved_clause;
        result
    }

    fn bind_select_inner(
        &mut self,
        s: &ast::Select,
        order_by: &[ast::OrderByExpr],
        paging: Paging,
    ) -> Result<QueryPlan> {
        // An INSERT's own SELECT leaves untyped literals for the target columns to type.
        let keep_unknown = std::mem::take(&mut self.insert_source);
        let (mut plan, scope) = self.without_aggregates("FROM clause", |b| b.bind_from(&s.from))?;
        if let Some(w) = &s.selection {
            let pred = self.without_aggregates("WHERE", |b| b.bind_bool(w, &scope, "WHERE"))?;
            plan = Plan::Filter {
                input: Box::new(plan),
                predicate: pred,
            };
        }

        // Target list, with aggregates collected.
        self.agg = Some(AggState::default());
        self.win = Some(Vec::new());
        let mut targets: Vec<Target> = Vec::new();
        for item in &s.projection {
            self.bind_target(item, &scope, s.from.is_empty(), &mut targets)?;
        }
        // Window functions belong to the target list and ORDER BY only.
        let window_calls = self.win.take();

        // GROUP BY: positions and output names are accepted, input columns win over aliases.
        let mut group_by: Vec<Expr> = Vec::new();
        match &s.group_by {
            ast::GroupByExpr::Expressions(exprs, mods) => {
                if !mods.is_empty() {
                    return Err(Error::unsupported("GROUP BY modifiers"));
                }
                for g in exprs {
                    let e = self.bind_group_item(g, &scope, &targets)?;
                    if contains_aggregate(&e) {
                        return Err(Error::sql(
                            sqlstate::GROUPING_ERROR,
                            "aggregate functions are not allowed in GROUP BY",
                        ));
                    }
                    group_by.push(e);
                }
            }
            ast::GroupByExpr::All(_) => return Err(Error::unsupported("GROUP BY ALL")),
        }

        let having = match &s.having {
            Some(h) => Some(self.bind_bool(h, &scope, "HAVING")?),
            None => None,
        };

        // ORDER BY and DISTINCT ON resolve to target positions, adding hidden targets.
        self.win = window_calls;
        let mut hidden: Vec<Expr> = Vec::new();
        let mut sort_keys: Vec<SortKey> = Vec::with_capacity(order_by.len());
        for item in order_by {
            let index = self.resolve_sort_item(&item.expr, &scope, &targets, &mut hidden)?;
            sort_keys.push(sort_key(Expr::Column(index), &item.options));
        }
        let mut distinct_on: Option<Vec<Expr>> = None;
        let distinct = match &s.distinct {
            None | Some(ast::Distinct::All) => false,
            Some(ast::Distinct::Distinct) => true,
            Some(ast::Distinct::On(exprs)) => {
                let mut keys = Vec::with_capacity(exprs.len());
                for e in exprs {
                    keys.push(Expr::Column(self.resolve_sort_item(
                        e,
                        &scope,
                        &targets,
                        &mut hidden,
                    )?));
                }
                distinct_on = Some(keys);
                false
            }
        };

        let agg = self.agg.take().unwrap_or_default();
        let window_calls = self.win.take().unwrap_or_default();
        let mut exprs: Vec<Expr> = targets.iter().map(|t| t.expr.clone()).collect();
        exprs.extend(hidden.iter().cloned());
        let mut having = having;
        let grouped = !group_by.is_empty() || !agg.calls.is_empty() || having.is_some();
        if !window_calls.is_empty() {
            if grouped {
                return Err(Error::unsupported("window functions over grouped rows"));
            }
            place_window_columns(&mut exprs, width(&plan));
            plan = Plan::Window {
                input: Box::new(plan),
                calls: window_calls,
            };
        }
        if grouped {
            let mut all: Vec<Expr> = exprs.clone();
            all.extend(having.iter().cloned());
            let extra = self.dependent_columns(&all, &group_by, &scope);
            group_by.extend(extra.into_iter().map(Expr::Column));
            let grouping = Grouping::new(&group_by, &scope);
            exprs = exprs.into_iter().map(|e| grouping.rewrite(e)).collect::<Result<_>>()?;
            having = having.map(|h| grouping.rewrite(h)).transpose()?;
            plan = Plan::Aggregate {
                input: Box::new(plan),
                group_by,
                aggregates: agg.calls,
            };
            if let Some(h) = having {
                plan = Plan::Filter {
                    input: Box::new(plan),
                    predicate: h,
                };
            }
        }

        let visible = targets.len();
        let total = exprs.len();
        plan = Plan::Project {
            input: Box::new(plan),
            exprs,
        };
        if distinct {
            if total > visible {
                return Err(Error::sql(
                    sqlstate::INVALID_COLUMN_REFERENCE,
                    "for SELECT DISTINCT, ORDER BY expressions must appear in select list",
                ));
            }
            plan = Plan::Distinct { input: Box::new(plan) };
        }
        if let Some(keys) = distinct_on {
            // PostgreSQL: the leading ORDER BY items must be DISTINCT ON expressions; the sort
            // continues with the DISTINCT ON expressions ORDER BY left out.
            let key_cols: Vec<String> = keys.iter().map(fingerprint).collect();
            for k in sort_keys.iter().take(keys.len()) {
                if !key_cols.contains(&fingerprint(&k.expr)) {
                    return Err(Error::sql(
                        sqlstate::INVALID_COLUMN_REFERENCE,
                        "SELECT DISTINCT ON expressions must match initial ORDER BY expressions",
                    ));
                }
            }
            let mut sort = std::mem::take(&mut sort_keys);
            for k in &keys {
                if !sort.iter().any(|s| fingerprint(&s.expr) == fingerprint(k)) {
                    sort.push(SortKey {
                        expr: k.clone(),
                        desc: false,
                        nulls_first: false,
                    });
                }
            }
            plan = Plan::Sort {
                input: Box::new(plan),
                keys: sort,
            };
            plan = Plan::DistinctOn {
                input: Box::new(plan),
                keys,
            };
        }
        if !sort_keys.is_empty() {
            plan = Plan::Sort {
                input: Box::new(plan),
                keys: sort_keys,
            };
        }
        plan = apply_paging(plan, paging);
        if total > visible {
            plan = Plan::Project {
                input: Box::new(plan),
                exprs: (0..visible).map(Expr::Column).collect(),
            };
        }
        let columns = targets
            .into_iter()
            .map(|t| OutputColumn {
                name: t.name,
                data_type: if t.data_type == DataType::Unknown && !keep_unknown {
                    DataType::Text
                } else {
                    t.data_type
                },
                source: t.source,
            })
            .collect();
        Ok(QueryPlan { plan, columns })
    }

    fn bind_target(
        &mut self,
        item: &ast::SelectItem,
        scope: &Scope,
        no_from: bool,
        out: &mut Vec<Target>,
    ) -> Result<()> {
        match item {
            ast::SelectItem::Wildcard(_) => {
                if no_from {
                    return Err(Error::syntax("SELECT * with no tables specified is not valid"));
                }
                for c in scope.star() {
                    out.push(Target {
                        expr: Expr::Column(c.index),
                        data_type: c.data_type.clone(),
                        name: c.name.clone(),
                        source: c.source,
                    });
                }
            }
            ast::SelectItem::QualifiedWildcard(kind, _) => {
                let table = match kind {
                    ast::SelectItemQualifiedWildcardKind::ObjectName(n) => object_name_last(n),
                    ast::SelectItemQualifiedWildcardKind::Expr(e) => return Err(Error::unsupported(format!("{e}.*"))),
                };
                let cols = scope.qualified_star(&table).ok_or_else(|| {
                    Error::sql(
                        sqlstate::UNDEFINED_TABLE,
                        format!("missing FROM-clause entry for table \"{table}\""),
                    )
                })?;
                for c in cols {
                    out.push(Target {
                        expr: Expr::Column(c.index),
                        data_type: c.data_type.clone(),
                        name: c.name.clone(),
                        source: c.source,
                    });
                }
            }
            ast::SelectItem::UnnamedExpr(e) => {
                let (expr, data_type) = self.bind_expr(e, scope)?;
                let source = column_source(&expr, scope);
                out.push(Target {
                    expr,
                    data_type,
                    name: column_name(e),
                    source,
                });
            }
            ast::SelectItem::ExprWithAlias { expr, alias } => {
                let (x, data_type) = self.bind_expr(expr, scope)?;
                let source = column_source(&x, scope);
                out.push(Target {
                    expr: x,
                    data_type,
                    name: fold_ident(alias),
                    source,
                });
            }
            ast::SelectItem::ExprWithAliases { .. } => return Err(Error::unsupported("multiple aliases")),
        }
        Ok(())
    }

    fn bind_group_item(&mut self, g: &ast::Expr, scope: &Scope, targets: &[Target]) -> Result<Expr> {
        if let Some(pos) = integer_literal(g) {
            return match usize::try_from(pos)
                .ok()
                .and_then(|p| p.checked_sub(1))
                .and_then(|p| targets.get(p))
            {
                Some(t) => Ok(t.expr.clone()),
                None => Err(Error::sql(
                    sqlstate::INVALID_COLUMN_REFERENCE,
                    format!("GROUP BY position {pos} is not in select list"),
                )),
            };
        }
        let saved = self.agg.take();
        let saved_clause = std::mem::replace(&mut self.clause, "GROUP BY");
        let bound = self.bind_expr(g, scope);
        self.agg = saved;
        self.clause = saved_clause;
        match bound {
            Ok((e, _)) => Ok(e),
            Err(err) => {
                if let ast::Expr::Identifier(id) = g {
                    let name = fold_ident(id);
                    if err.sqlstate() == sqlstate::UNDEFINED_COLUMN {
                        if let Some(t) = targets.iter().find(|t| t.name == name) {
                            return Ok(t.expr.clone());
                        }
                    }
                }
                Err(err)
            }
        }
    }

    /// An ORDER BY / DISTINCT ON item as a target position: an output name, a position, or an
    /// expression over the input (added as a hidden target unless already a target).
    fn resolve_sort_item(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        targets: &[Target],
        hidden: &mut Vec<Expr>,
    ) -> Result<usize> {
        let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
        if let Some(i) = output_reference(e, &names)? {
            return Ok(i);
        }
        self.clause = "ORDER BY";
        let (x, _) = self.bind_expr(e, scope)?;
        let key = fingerprint(&x);
        if let Some(i) = targets.iter().position(|t| fingerprint(&t.expr) == key) {
            return Ok(i);
        }
        if let Some(i) = hidden.iter().position(|h| fingerprint(h) == key) {
            return Ok(targets.len() + i);
        }
        hidden.push(x);
        Ok(targets.len() + hidden.len() - 1)
    }
}

pub(super) fn apply_paging(plan: Plan, paging: Paging) -> Plan {
    if paging.limit.is_none() && paging.offset.is_none() {
        return plan;
    }
    Plan::Limit {
        input: Box::new(plan),
        limit: paging.limit,
        offset: paging.offset,
    }
}

pub(super) fn integer_literal(e: &ast::Expr) -> Option<i64> {
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// `ORDER BY 2` / `ORDER BY name` referring to an output column.
pub(super) fn output_reference(e: &ast::Expr, names: &[&str]) -> Result<Option<usize>> {
    if let Some(pos) = integer_literal(e) {
        return match usize::try_from(pos)
            .ok()
            .and_then(|p| p.checked_sub(1))
            .filter(|p| *p < names.len())
        {
            Some(p) => Ok(Some(p)),
            None => Err(Error::sql(
                sqlstate::INVALID_COLUMN_REFERENCE,
                format!("ORDER BY position {pos} is not in select list"),
            )),
        };
    }
    if let ast::Expr::Identifier(id) = e {
        let name = fold_ident(id);
        let matches: Vec<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| **n == name)
            .map(|(i, _)| i)
            .collect();
        return match matches.as_slice() {
            [] => Ok(None),
            [i] => Ok(Some(*i)),
            _ => Err(Error::sql(
                sqlstate::AMBIGUOUS_COLUMN,
                format!("ORDER BY \"{name}\" is ambiguous"),
            )),
        };
    }
    Ok(None)
}

fn column_source(e: &Expr, scope: &Scope) -> Option<(u32, usize)> {
    match e {
        Expr::Column(i) => scope.column_at(*i).and_then(|c| c.source),
        _ => None,
    }
}
