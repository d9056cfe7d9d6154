//! Queries around SELECT blocks: WITH (plain and recursive CTEs), set operations, VALUES,
//! TABLE, and ORDER BY / LIMIT over a whole set operation.

use crate::error::{sqlstate, Error, Result};
use crate::sql::ast;
use crate::types::cast::common_type;
use crate::types::DataType;

use super::bind_function::sort_key;
use super::bind_select::{apply_paging, output_reference, Paging};
use super::binder::{Binder, CteBinding, CteKind};
use super::scope::Scope;
use super::sql_type::fold_ident;
use super::{Expr, OutputColumn, Plan, QueryPlan, SetOpKind};

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
                    depth: self.outer.len(),
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
                    kind: CteKind::Bound(Box::new(plan)),
                    depth: self.outer.len(),
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
        // A CTE reading an enclosing query's row differs per row: it is re-run where it is
        // referenced instead of being computed once per statement.
        let plan = if super::rewrite::plan_reads_outside(&qp.plan) {
            qp.plan
        } else {
            Plan::CteScan {
                id,
                plan: Box::new(qp.plan),
            }
        };
        self.ctes.push(CteBinding {
            name,
            columns: columns.iter().map(|c| (c.name.clone(), c.data_type.clone())).collect(),
            kind: CteKind::Bound(Box::new(plan)),
            depth: self.outer.len(),
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
