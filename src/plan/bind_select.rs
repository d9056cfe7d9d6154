//! Queries: WITH, SELECT (target list, WHERE, GROUP BY, HAVING, DISTINCT [ON]), set
//! operations, VALUES, ORDER BY (output names, positions, or hidden input expressions) and
//! LIMIT/OFFSET/FETCH.

use crate::error::{sqlstate, Error, Result};
use crate::sql::ast;
use crate::types::cast::common_type;
use crate::types::DataType;

use super::bind_function::sort_key;
use super::bind_group::{contains_aggregate, Grouping};
use super::binder::{AggState, Binder, CteBinding, CteKind};
use super::rewrite::fingerprint;
use super::scope::Scope;
use super::sql_type::{fold_ident, object_name_last, typname};
use super::{Expr, OutputColumn, Plan, QueryPlan, SetOpKind, SortKey};

/// LIMIT and OFFSET of a query, bound.
struct Paging {
    limit: Option<Expr>,
    offset: Option<Expr>,
}

/// One column of a SELECT's target list, bound over the FROM row.
struct Target {
    expr: Expr,
    data_type: DataType,
    name: String,
    source: Option<(u32, usize)>,
}

impl Binder<'_> {
    /// Binds a query without optimizing it.
    pub(super) fn query(&mut self, q: &ast::Query) -> Result<QueryPlan> {
        let mark = self.ctes.len();
        let result = self.query_inner(q);
        self.ctes.truncate(mark);
        result
    }

    fn query_inner(&mut self, q: &ast::Query) -> Result<QueryPlan> {
        if let Some(with) = &q.with {
            let mark = self.ctes.len();
            for cte in &with.cte_tables {
                self.bind_cte(cte, with.recursive, mark)?;
            }
        }
        if !q.locks.is_empty() {
            return Err(Error::unsupported("FOR UPDATE/SHARE"));
        }
        let order_by: &[ast::OrderByExpr] = match &q.order_by {
            None => &[],
            Some(ob) => match &ob.kind {
                ast::OrderByKind::Expressions(v) => v,
                ast::OrderByKind::All(_) => return Err(Error::unsupported("ORDER BY ALL")),
            },
        };
        let paging = self.bind_paging(q)?;
        match q.body.as_ref() {
            ast::SetExpr::Select(s) => self.bind_select(s, order_by, paging),
            body => {
                let qp = self.set_expr(body)?;
                self.finish_set_query(qp, order_by, paging)
            }
        }
    }

    fn bind_paging(&mut self, q: &ast::Query) -> Result<Paging> {
        let empty = Scope::default();
        let bind_count = |b: &mut Self, e: &ast::Expr, what: &'static str| -> Result<Expr> {
            b.without_aggregates(what, |b| {
                let (x, t) = b.bind_expr(e, &empty)?;
                b.coerce_to(x, &t, &DataType::Int8, &format!("argument of {what}"))
            })
        };
        let mut paging = Paging {
            limit: None,
            offset: None,
        };
        match &q.limit_clause {
            None => {}
            Some(ast::LimitClause::LimitOffset {
                limit,
                offset,
                limit_by,
            }) => {
                if !limit_by.is_empty() {
                    return Err(Error::unsupported("LIMIT BY"));
                }
                if let Some(l) = limit {
                    paging.limit = Some(bind_count(self, l, "LIMIT")?);
                }
                if let Some(o) = offset {
                    paging.offset = Some(bind_count(self, &o.value, "OFFSET")?);
                }
            }
            Some(ast::LimitClause::OffsetCommaLimit { offset, limit }) => {
                paging.limit = Some(bind_count(self, limit, "LIMIT")?);
                paging.offset = Some(bind_count(self, offset, "OFFSET")?);
            }
        }
        if let Some(fetch) = &q.fetch {
            if fetch.percent || fetch.with_ties {
                return Err(Error::unsupported("FETCH ... PERCENT / WITH TIES"));
            }
            paging.limit = Some(match &fetch.quantity {
                Some(n) => bind_count(self, n, "LIMIT")?,
                None => Expr::Constant(crate::types::Value::Int8(1)),
            });
        }
        Ok(paging)
    }

    fn bind_cte(&mut self, cte: &ast::Cte, recursive: bool, mark: usize) -> Result<()> {
        let name = fold_ident(&cte.alias.name);
        if self.ctes.iter().skip(mark).any(|c| c.name == name) {
            return Err(Error::sql(
                sqlstate::DUPLICATE_ALIAS,
                format!("WITH query name \"{name}\" specified more than once"),
            ));
        }
        let aliases: Vec<String> = cte.alias.columns.iter().map(|c| fold_ident(&c.name)).collect();
        let id = self.next_cte_id;
        self.next_cte_id += 1;
        if recursive && query_references(&cte.query, &name) {
            if let ast::SetExpr::SetOperation {
                left,
                op: ast::SetOperator::Union,
                set_quantifier,
                right,
            } = cte.query.body.as_ref()
            {
                let base = self.set_expr(left)?;
                let columns = rename_output(base.columns.clone(), &aliases, &name)?;
                self.ctes.push(CteBinding {
                    name: name.clone(),
                    columns: columns.iter().map(|c| (c.name.clone(), c.data_type.clone())).collect(),
                    kind: CteKind::WorkTable { id, referenced: false },
                });
                let rec = self.set_expr(right);
                self.ctes.pop();
                let rec = rec?;
                if rec.columns.len() != columns.len() {
                    return Err(Error::syntax("each UNION query must have the same number of columns"));
                }
                let types: Vec<DataType> = columns.iter().map(|c| c.data_type.clone()).collect();
                let rec_plan = self.cast_columns(rec.plan, &rec.columns, &types);
                let distinct = !matches!(set_quantifier, ast::SetQuantifier::All);
                let plan = Plan::RecursiveCte {
                    id,
                    base: Box::new(base.plan),
                    recursive: Box::new(rec_plan),
                    distinct,
                };
                self.ctes.push(CteBinding {
                    name,
                    columns: columns.iter().map(|c| (c.name.clone(), c.data_type.clone())).collect(),
                    kind: CteKind::Bound(plan),
                });
                return Ok(());
            }
            return Err(Error::sql(
                sqlstate::INVALID_RECURSION,
                format!(
                    "recursive query \"{name}\" does not have the form non-recursive-term UNION [ALL] recursive-term"
                ),
            ));
        }
        let qp = self.query(&cte.query)?;
        let columns = rename_output(qp.columns, &aliases, &name)?;
        self.ctes.push(CteBinding {
            name,
            columns: columns.iter().map(|c| (c.name.clone(), c.data_type.clone())).collect(),
            kind: CteKind::Bound(Plan::CteScan {
                id,
                plan: Box::new(qp.plan),
            }),
        });
        Ok(())
    }

    /// Binds a query body that is not a plain SELECT with its own ORDER BY.
    pub(super) fn set_expr(&mut self, body: &ast::SetExpr) -> Result<QueryPlan> {
        match body {
            ast::SetExpr::Select(s) => self.bind_select(
                s,
                &[],
                Paging {
                    limit: None,
                    offset: None,
                },
            ),
            ast::SetExpr::Query(q) => self.query(q),
            ast::SetExpr::Values(v) => self.bind_values(v, None),
            ast::SetExpr::SetOperation {
                left,
                op,
                set_quantifier,
                right,
            } => {
                let l = self.set_expr(left)?;
                let r = self.set_expr(right)?;
                let (kind, word) = match op {
                    ast::SetOperator::Union => (SetOpKind::Union, "UNION"),
                    ast::SetOperator::Intersect => (SetOpKind::Intersect, "INTERSECT"),
                    ast::SetOperator::Except | ast::SetOperator::Minus => (SetOpKind::Except, "EXCEPT"),
                };
                let all = match set_quantifier {
                    ast::SetQuantifier::All => true,
                    ast::SetQuantifier::Distinct | ast::SetQuantifier::None => false,
                    _ => return Err(Error::unsupported(format!("{word} BY NAME"))),
                };
                if l.columns.len() != r.columns.len() {
                    return Err(Error::syntax(format!(
                        "each {word} query must have the same number of columns"
                    )));
                }
                let mut types = Vec::with_capacity(l.columns.len());
                for (a, b) in l.columns.iter().zip(&r.columns) {
                    let t = common_type(&[a.data_type.clone(), b.data_type.clone()], word)?;
                    types.push(if t == DataType::Unknown { DataType::Text } else { t });
                }
                let lp = self.cast_columns(l.plan, &l.columns, &types);
                let rp = self.cast_columns(r.plan, &r.columns, &types);
                let columns = l
                    .columns
                    .iter()
                    .zip(&types)
                    .map(|(c, t)| OutputColumn {
                        name: c.name.clone(),
                        data_type: t.clone(),
                        source: None,
                    })
                    .collect();
                Ok(QueryPlan {
                    plan: Plan::SetOp {
                        op: kind,
                        all,
                        left: Box::new(lp),
                        right: Box::new(rp),
                    },
                    columns,
                })
            }
            ast::SetExpr::Table(t) => {
                let name = t.table_name.clone().unwrap_or_default();
                let sql = format!("SELECT * FROM {name}");
                let stmts = crate::sql::parse(&sql)?;
                match stmts.as_slice() {
                    [ast::Statement::Query(q)] => self.query(q),
                    _ => Err(Error::bug("TABLE expansion did not parse")),
                }
            }
            other => Err(Error::unsupported(format!("query body {other}"))),
        }
    }

    /// Wraps `plan` in a projection casting its columns to `types` where they differ.
    pub(super) fn cast_columns(&mut self, plan: Plan, columns: &[OutputColumn], types: &[DataType]) -> Plan {
        if columns.iter().zip(types).all(|(c, t)| c.data_type == *t) {
            return plan;
        }
        let exprs = columns
            .iter()
            .zip(types)
            .enumerate()
            .map(|(i, (c, t))| self.coerce(Expr::Column(i), &c.data_type, t))
            .collect();
        Plan::Project {
            input: Box::new(plan),
            exprs,
        }
    }

    /// VALUES rows; with `targets`, each column is coerced to the given type (INSERT).
    pub(super) fn bind_values(&mut self, v: &ast::Values, targets: Option<&[DataType]>) -> Result<QueryPlan> {
        let empty = Scope::default();
        let width = v.rows.first().map(|r| r.content.len()).unwrap_or(0);
        let mut rows: Vec<Vec<(Expr, DataType)>> = Vec::with_capacity(v.rows.len());
        for row in &v.rows {
            if row.content.len() != width {
                return Err(Error::syntax("VALUES lists must all be the same length"));
            }
            let mut bound = Vec::with_capacity(width);
            for e in &row.content {
                bound.push(self.without_aggregates("VALUES", |b| b.bind_expr(e, &empty))?);
            }
            rows.push(bound);
        }
        let mut types = Vec::with_capacity(width);
        for c in 0..width {
            let t = match targets.and_then(|t| t.get(c)) {
                Some(t) => t.clone(),
                None => {
                    let col: Vec<DataType> = rows.iter().filter_map(|r| r.get(c).map(|(_, t)| t.clone())).collect();
                    let t = common_type(&col, "VALUES")?;
                    if t == DataType::Unknown {
                        DataType::Text
                    } else {
                        t
                    }
                }
            };
            types.push(t);
        }
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut r = Vec::with_capacity(width);
            for ((e, t), to) in row.into_iter().zip(&types) {
                r.push(if targets.is_some() { e } else { self.coerce(e, &t, to) });
            }
            out.push(r);
        }
        let columns = types
            .iter()
            .enumerate()
            .map(|(i, t)| OutputColumn {
                name: format!("column{}", i + 1),
                data_type: t.clone(),
                source: None,
            })
            .collect();
        Ok(QueryPlan {
            plan: Plan::Values { rows: out, width },
            columns,
        })
    }

    /// ORDER BY / LIMIT over a set operation or VALUES: by output name or position only.
    fn finish_set_query(&mut self, qp: QueryPlan, order_by: &[ast::OrderByExpr], paging: Paging) -> Result<QueryPlan> {
        let mut plan = qp.plan;
        if !order_by.is_empty() {
            let mut keys = Vec::with_capacity(order_by.len());
            for item in order_by {
                let names: Vec<&str> = qp.columns.iter().map(|c| c.name.as_str()).collect();
                let index = match output_reference(&item.expr, &names)? {
                    Some(i) => i,
                    None => {
                        return Err(Error::sql(
                            sqlstate::FEATURE_NOT_SUPPORTED,
                            "invalid UNION/INTERSECT/EXCEPT ORDER BY clause",
                        )
                        .with_detail("Only result column names can be used, not expressions or functions."))
                    }
                };
                keys.push(sort_key(Expr::Column(index), &item.options));
            }
            plan = Plan::Sort {
                input: Box::new(plan),
                keys,
            };
        }
        plan = apply_paging(plan, paging);
        Ok(QueryPlan {
            plan,
            columns: qp.columns,
        })
    }

    fn bind_select(&mut self, s: &ast::Select, order_by: &[ast::OrderByExpr], paging: Paging) -> Result<QueryPlan> {
        if s.into.is_some() {
            return Err(Error::unsupported("SELECT INTO"));
        }
        if s.top.is_some() || !s.lateral_views.is_empty() || s.qualify.is_some() || !s.named_window.is_empty() {
            return Err(Error::unsupported("this SELECT clause"));
        }
        let saved_agg = self.agg.take();
        let saved_clause = self.clause;
        let result = self.bind_select_inner(s, order_by, paging);
        self.agg = saved_agg;
        self.clause = saved_clause;
        result
    }

    fn bind_select_inner(
        &mut self,
        s: &ast::Select,
        order_by: &[ast::OrderByExpr],
        paging: Paging,
    ) -> Result<QueryPlan> {
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
        let mut targets: Vec<Target> = Vec::new();
        for item in &s.projection {
            self.bind_target(item, &scope, s.from.is_empty(), &mut targets)?;
        }

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
        let mut exprs: Vec<Expr> = targets.iter().map(|t| t.expr.clone()).collect();
        exprs.extend(hidden.iter().cloned());
        let mut having = having;
        if !group_by.is_empty() || !agg.calls.is_empty() || having.is_some() {
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
            let sort = if sort_keys.is_empty() {
                keys.iter()
                    .map(|k| SortKey {
                        expr: k.clone(),
                        desc: false,
                        nulls_first: false,
                    })
                    .collect()
            } else {
                std::mem::take(&mut sort_keys)
            };
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
                data_type: if t.data_type == DataType::Unknown {
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

fn apply_paging(plan: Plan, paging: Paging) -> Plan {
    if paging.limit.is_none() && paging.offset.is_none() {
        return plan;
    }
    Plan::Limit {
        input: Box::new(plan),
        limit: paging.limit,
        offset: paging.offset,
    }
}

fn integer_literal(e: &ast::Expr) -> Option<i64> {
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// `ORDER BY 2` / `ORDER BY name` referring to an output column.
fn output_reference(e: &ast::Expr, names: &[&str]) -> Result<Option<usize>> {
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

/// The output column name PostgreSQL gives an unaliased target expression.
pub(super) fn column_name(e: &ast::Expr) -> String {
    try_column_name(e).unwrap_or_else(|| "?column?".to_string())
}

fn try_column_name(e: &ast::Expr) -> Option<String> {
    use ast::Expr as A;
    match e {
        A::Identifier(i) => Some(fold_ident(i)),
        A::CompoundIdentifier(parts) => parts.last().map(fold_ident),
        A::Nested(x) => try_column_name(x),
        A::Function(f) => Some(object_name_last(&f.name)),
        A::Cast { expr, data_type, .. } => {
            try_column_name(expr).or_else(|| super::sql_type::convert_type(data_type).ok().map(|t| typname(&t)))
        }
        A::TypedString(ts) => super::sql_type::convert_type(&ts.data_type).ok().map(|t| typname(&t)),
        A::Interval(_) => Some("interval".into()),
        A::Case { .. } => Some("case".into()),
        A::Extract { .. } => Some("extract".into()),
        A::Substring { .. } => Some("substring".into()),
        A::Position { .. } => Some("position".into()),
        A::Trim { trim_where, .. } => Some(
            match trim_where {
                Some(ast::TrimWhereField::Leading) => "ltrim",
                Some(ast::TrimWhereField::Trailing) => "rtrim",
                _ => "btrim",
            }
            .into(),
        ),
        A::Ceil { .. } => Some("ceil".into()),
        A::Floor { .. } => Some("floor".into()),
        A::Array(_) => Some("array".into()),
        A::Exists { .. } => Some("exists".into()),
        A::Subquery(q) => match q.body.as_ref() {
            ast::SetExpr::Select(s) => match s.projection.as_slice() {
                [ast::SelectItem::UnnamedExpr(x)] => try_column_name(x),
                [ast::SelectItem::ExprWithAlias { alias, .. }] => Some(fold_ident(alias)),
                _ => None,
            },
            _ => None,
        },
        A::CompoundFieldAccess { root, .. } => try_column_name(root),
        _ => None,
    }
}

/// Applies a CTE's or alias's column list to a query's output columns.
fn rename_output(mut columns: Vec<OutputColumn>, aliases: &[String], name: &str) -> Result<Vec<OutputColumn>> {
    if aliases.len() > columns.len() {
        return Err(Error::sql(
            sqlstate::INVALID_COLUMN_REFERENCE,
            format!(
                "WITH query \"{name}\" has {} columns available but {} columns specified",
                columns.len(),
                aliases.len()
            ),
        ));
    }
    for (c, a) in columns.iter_mut().zip(aliases) {
        c.name = a.clone();
    }
    Ok(columns)
}

/// Whether `q` mentions relation `name` anywhere (a recursive CTE's self-reference).
fn query_references(q: &ast::Query, name: &str) -> bool {
    // The rendered SQL is searched for the name as a whole word: cheap and good enough to
    // tell recursive CTEs from ordinary ones; binding then resolves the references exactly.
    let text = q.to_string().to_lowercase();
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| w == name)
}
