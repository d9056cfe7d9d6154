//! INSERT, UPDATE and DELETE: target columns, source rows, DEFAULT and CHECK expressions
//! bound from the catalog's SQL text, ON CONFLICT and RETURNING.

use std::sync::Arc;

use crate::catalog::{Privileges, TableDef};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast;
use crate::types::DataType;

use super::binder::{table_scope, Binder};
use super::scope::Scope;
use super::sql_type::{fold_ident, object_name_last};
use super::{DeletePlan, Expr, InsertPlan, OnConflict, OutputColumn, Plan, ScanSource, UpdatePlan};

/// Parses a stored expression (DEFAULT / CHECK text).
fn parse_expr(text: &str) -> Result<ast::Expr> {
    let stmts = crate::sql::parse(&format!("SELECT {text}"))?;
    if let [ast::Statement::Query(q)] = stmts.as_slice() {
        if let ast::SetExpr::Select(s) = q.body.as_ref() {
            if let [ast::SelectItem::UnnamedExpr(e)] = s.projection.as_slice() {
                return Ok(e.clone());
            }
        }
    }
    Err(Error::corrupted(
        "catalog expression",
        format!("not a single expression: {text}"),
    ))
}

fn is_default_keyword(e: &ast::Expr) -> bool {
    matches!(e, ast::Expr::Identifier(id) if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default"))
}

/// PostgreSQL's assignment-cast rule: implicit casts, numeric to numeric, anything to a
/// string type, and within date/time types; otherwise 42804.
fn check_assignable(from: &DataType, to: &DataType, table: &TableDef, col: usize) -> Result<()> {
    let ok = from == to
        || *from == DataType::Unknown
        || *to == DataType::Unknown
        || (from.is_numeric() && to.is_numeric())
        || to.is_string()
        || (from.is_string() && to.is_string())
        || (from.is_temporal() && to.is_temporal())
        || crate::types::cast::can_coerce_implicitly(from, to);
    if ok {
        return Ok(());
    }
    let name = table.columns.get(col).map(|c| c.name.as_str()).unwrap_or("?");
    Err(Error::datatype_mismatch(format!(
        "column \"{name}\" is of type {to} but expression is of type {from}"
    ))
    .with_hint("You will need to rewrite or cast the expression."))
}

/// RETURNING is evaluated over the target table's row only, so with FROM/USING items `*`
/// cannot show their columns as PostgreSQL would.
fn returning_sees_target_only(items: Option<&Vec<ast::SelectItem>>, from: &[ast::TableWithJoins]) -> Result<()> {
    let wildcard = items.is_some_and(|v| v.iter().any(|i| matches!(i, ast::SelectItem::Wildcard(_))));
    if wildcard && !from.is_empty() {
        return Err(Error::unsupported("RETURNING * with FROM/USING"));
    }
    Ok(())
}

fn no_such_column(name: &str, table: &str) -> Error {
    Error::sql(
        sqlstate::UNDEFINED_COLUMN,
        format!("column \"{name}\" of relation \"{table}\" does not exist"),
    )
}

impl Binder<'_> {
    fn dml_table(&self, name: &ast::ObjectName) -> Result<Arc<TableDef>> {
        let parts: Vec<String> = name
            .0
            .iter()
            .map(|p| match p {
                ast::ObjectNamePart::Identifier(i) => fold_ident(i),
                ast::ObjectNamePart::Function(f) => fold_ident(&f.name),
            })
            .collect();
        let rel = match parts.as_slice() {
            [t] => t.clone(),
            [s, t] if s == "public" || s == "pg_catalog" => t.clone(),
            _ => return Err(Error::undefined_table(&name.to_string())),
        };
        if let Some(t) = self.table_def(&rel) {
            self.catalog.refuse_system_table(t.id, &t.name)?;
            return Ok(t);
        }
        if self.catalog.view(&rel).is_some() {
            return Err(
                Error::sql(sqlstate::WRONG_OBJECT_TYPE, format!("cannot change view \"{rel}\""))
                    .with_detail("Views that are not automatically updatable are not supported."),
            );
        }
        Err(Error::undefined_table(&rel))
    }

    /// Each column's bound DEFAULT (None = NULL).
    fn bind_defaults(&mut self, table: &TableDef) -> Result<Vec<Option<Expr>>> {
        let mut out = Vec::with_capacity(table.columns.len());
        for c in &table.columns {
            out.push(match &c.default {
                Some(text) => {
                    let e = parse_expr(text)?;
                    let (x, t) = self.bind_table_expr(&e, None)?;
                    Some(self.coerce(x, &t, &c.data_type))
                }
                None => None,
            });
        }
        Ok(out)
    }

    fn bind_checks(&mut self, table: &TableDef) -> Result<Vec<(String, Expr)>> {
        let mut out = Vec::with_capacity(table.checks.len());
        for c in &table.checks {
            let e = parse_expr(&c.expr)?;
            let (x, t) = self.bind_table_expr(&e, Some(table))?;
            let x = self.expect_bool(x, &t, "CHECK")?;
            out.push((c.name.clone(), x));
        }
        Ok(out)
    }

    fn bind_returning(
        &mut self,
        items: Option<&Vec<ast::SelectItem>>,
        scope: &Scope,
    ) -> Result<Option<(Vec<Expr>, Vec<OutputColumn>)>> {
        let Some(items) = items else { return Ok(None) };
        let mut exprs = Vec::new();
        let mut columns = Vec::new();
        self.without_aggregates("RETURNING", |b| {
            for item in items {
                match item {
                    ast::SelectItem::Wildcard(_) => {
                        for c in scope.star() {
                            exprs.push(Expr::Column(c.index));
                            columns.push(OutputColumn {
                                name: c.name.clone(),
                                data_type: c.data_type.clone(),
                                source: c.source,
                            });
                        }
                    }
                    ast::SelectItem::QualifiedWildcard(ast::SelectItemQualifiedWildcardKind::ObjectName(n), _) => {
                        let t = object_name_last(n);
                        let cols = scope.qualified_star(&t).ok_or_else(|| {
                            Error::sql(
                                sqlstate::UNDEFINED_TABLE,
                                format!("missing FROM-clause entry for table \"{t}\""),
                            )
                        })?;
                        for c in cols {
                            exprs.push(Expr::Column(c.index));
                            columns.push(OutputColumn {
                                name: c.name.clone(),
                                data_type: c.data_type.clone(),
                                source: c.source,
                            });
                        }
                    }
                    ast::SelectItem::UnnamedExpr(e) => {
                        let (x, t) = b.bind_expr(e, scope)?;
                        exprs.push(x);
                        columns.push(OutputColumn {
                            name: super::column_name::column_name(e),
                            data_type: t,
                            source: None,
                        });
                    }
                    ast::SelectItem::ExprWithAlias { expr, alias } => {
                        let (x, t) = b.bind_expr(expr, scope)?;
                        exprs.push(x);
                        columns.push(OutputColumn {
                            name: fold_ident(alias),
                            data_type: t,
                            source: None,
                        });
                    }
                    other => return Err(Error::unsupported(format!("RETURNING item {other}"))),
                }
            }
            Ok(())
        })?;
        for c in &mut columns {
            if c.data_type == DataType::Unknown {
                c.data_type = DataType::Text;
            }
        }
        Ok(Some((exprs, columns)))
    }

    /// A value assigned to column `col`: `DEFAULT`, or an expression whose unknown-typed
    /// parameters take the column's type (the executor applies the assignment cast).
    fn bind_assigned(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        table: &TableDef,
        col: usize,
        defaults: &[Option<Expr>],
    ) -> Result<Expr> {
        if is_default_keyword(e) {
            return Ok(defaults
                .get(col)
                .cloned()
                .flatten()
                .unwrap_or(Expr::Constant(crate::types::Value::Null)));
        }
        let (x, t) = self.bind_expr(e, scope)?;
        let target = table
            .columns
            .get(col)
            .map(|c| c.data_type.clone())
            .unwrap_or(DataType::Unknown);
        check_assignable(&t, &target, table, col)?;
        Ok(match x {
            Expr::Param(_) if t == DataType::Unknown => self.coerce(x, &t, &target),
            other => other,
        })
    }

    pub(super) fn bind_insert(&mut self, ins: &ast::Insert) -> Result<InsertPlan> {
        let name = match &ins.table {
            ast::TableObject::TableName(n) => n,
            _ => return Err(Error::unsupported("INSERT into a table function")),
        };
        let table = self.dml_table(name)?;
        self.require(table.id, &table.name, false, Privileges::INSERT);
        let mut columns: Vec<usize> = Vec::new();
        if ins.columns.is_empty() {
            columns.extend(0..table.columns.len());
        } else {
            for c in &ins.columns {
                let n = object_name_last(c);
                let i = table.column_index(&n).ok_or_else(|| no_such_column(&n, &table.name))?;
                if columns.contains(&i) {
                    return Err(Error::sql(
                        sqlstate::DUPLICATE_COLUMN,
                        format!("column \"{n}\" specified more than once"),
                    ));
                }
                columns.push(i);
            }
        }
        let defaults = self.bind_defaults(&table)?;
        let checks = self.bind_checks(&table)?;
        let empty = Scope::default();
        let source = match &ins.source {
            None => {
                columns.clear();
                Plan::Values {
                    rows: vec![vec![]],
                    width: 0,
                }
            }
            Some(q) => match q.body.as_ref() {
                ast::SetExpr::Values(v) if q.with.is_none() && q.order_by.is_none() && q.limit_clause.is_none() => {
                    let mut rows = Vec::with_capacity(v.rows.len());
                    let width = v.rows.first().map(|r| r.content.len()).unwrap_or(0);
                    for row in &v.rows {
                        if row.content.len() != width {
                            return Err(Error::syntax("VALUES lists must all be the same length"));
                        }
                        if row.content.len() > columns.len() {
                            return Err(Error::syntax("INSERT has more expressions than target columns"));
                        }
                        if row.content.len() < columns.len() && !ins.columns.is_empty() {
                            return Err(Error::syntax("INSERT has more target columns than expressions"));
                        }
                        let mut out = Vec::with_capacity(row.content.len());
                        for (e, col) in row.content.iter().zip(&columns) {
                            let x = self.without_aggregates("VALUES", |b| {
                                b.bind_assigned(e, &empty, &table, *col, &defaults)
                            })?;
                            out.push(x);
                        }
                        rows.push(out);
                    }
                    columns.truncate(width);
                    Plan::Values { rows, width }
                }
                _ => {
                    self.insert_source = true;
                    let qp = self.query(q);
                    self.insert_source = false;
                    let qp = qp?;
                    if qp.columns.len() > columns.len() {
                        return Err(Error::syntax("INSERT has more expressions than target columns"));
                    }
                    if qp.columns.len() < columns.len() && !ins.columns.is_empty() {
                        return Err(Error::syntax("INSERT has more target columns than expressions"));
                    }
                    columns.truncate(qp.columns.len());
                    for (c, col) in qp.columns.iter().zip(&columns) {
                        let to = table
                            .columns
                            .get(*col)
                            .map(|d| d.data_type.clone())
                            .unwrap_or(DataType::Unknown);
                        check_assignable(&c.data_type, &to, &table, *col)?;
                    }
                    qp.plan
                }
            },
        };
        let scope = table_scope(&table, &table.name);
        let on_conflict = match &ins.on {
            None => None,
            Some(ast::OnInsert::OnConflict(oc)) => Some({
                // The conflict target's columns are read to find the conflicting row.
                if oc.conflict_target.is_some() {
                    self.require(table.id, &table.name, false, Privileges::SELECT);
                }
                match &oc.action {
                    ast::OnConflictAction::DoNothing => OnConflict::DoNothing,
                    ast::OnConflictAction::DoUpdate(du) => {
                        table.refuse_on_blockchain("ON CONFLICT DO UPDATE")?;
                        let excluded = Scope::relation(
                            "excluded",
                            table
                                .columns
                                .iter()
                                .map(|c| (c.name.clone(), c.data_type.clone(), None))
                                .collect(),
                        );
                        let both = Scope::join(scope.clone(), excluded)?;
                        self.require(table.id, &table.name, false, Privileges::UPDATE);
                        let assignments = self.bind_assignments(&du.assignments, &both, &table, &defaults)?;
                        let filter = match &du.selection {
                            Some(w) => Some(self.without_aggregates("WHERE", |b| b.bind_bool(w, &both, "WHERE"))?),
                            None => None,
                        };
                        let reads = assignments.iter().map(|(_, e)| e).chain(filter.as_ref());
                        self.require_reads(&table, reads);
                        OnConflict::DoUpdate { assignments, filter }
                    }
                }
            }),
            Some(_) => return Err(Error::unsupported("ON DUPLICATE KEY UPDATE")),
        };
        let returning = self.bind_returning(ins.returning.as_ref(), &scope)?;
        if returning.is_some() {
            self.require(table.id, &table.name, false, Privileges::SELECT);
        }
        Ok(InsertPlan {
            table,
            columns,
            source,
            defaults,
            checks,
            on_conflict,
            returning,
        })
    }

    fn bind_assignments(
        &mut self,
        assignments: &[ast::Assignment],
        scope: &Scope,
        table: &TableDef,
        defaults: &[Option<Expr>],
    ) -> Result<Vec<(usize, Expr)>> {
        let mut out: Vec<(usize, Expr)> = Vec::with_capacity(assignments.len());
        for a in assignments {
            let name = match &a.target {
                ast::AssignmentTarget::ColumnName(n) => object_name_last(n),
                ast::AssignmentTarget::Tuple(_) => return Err(Error::unsupported("multiple-column assignment")),
            };
            let col = table
                .column_index(&name)
                .ok_or_else(|| no_such_column(&name, &table.name))?;
            if out.iter().any(|(c, _)| *c == col) {
                return Err(Error::syntax(format!("multiple assignments to same column \"{name}\"")));
            }
            let x = self.without_aggregates("UPDATE", |b| b.bind_assigned(&a.value, scope, table, col, defaults))?;
            out.push((col, x));
        }
        Ok(out)
    }

    /// SELECT on the target is needed when an expression over its row reads any of its
    /// columns (positions `0..n` of the row the DML visits).
    fn require_reads<'e>(&mut self, table: &TableDef, exprs: impl Iterator<Item = &'e Expr>) {
        let n = table.columns.len();
        let reads = exprs
            .into_iter()
            .any(|e| super::rewrite::columns_used(e).iter().any(|&c| c < n));
        if reads {
            self.require(table.id, &table.name, false, Privileges::SELECT);
        }
    }

    fn dml_target(&self, relation: &ast::TableFactor) -> Result<(Arc<TableDef>, String)> {
        match relation {
            ast::TableFactor::Table {
                name,
                alias,
                args: None,
                ..
            } => {
                let table = self.dml_table(name)?;
                let alias_name = alias
                    .as_ref()
                    .map(|a| fold_ident(&a.name))
                    .unwrap_or_else(|| table.name.clone());
                Ok((table, alias_name))
            }
            other => Err(Error::unsupported(format!("DML target {other}"))),
        }
    }

    /// The rows an UPDATE/DELETE visits: the target table's rows with their storage keys
    /// (positions `0..n` and `n`), joined with the `FROM`/`USING` items (after the key), and
    /// filtered by WHERE. Returns the plan and the scope naming that row.
    fn keyed_input(
        &mut self,
        table: &Arc<TableDef>,
        alias: &str,
        from: &[ast::TableWithJoins],
        selection: Option<&ast::Expr>,
    ) -> Result<(Plan, Scope)> {
        let mut plan = Plan::Scan {
            table: table.clone(),
            source: ScanSource::Table,
            filter: None,
            emit_key: true,
        };
        let mut scope = table_scope(table, alias);
        scope.width += 1;
        if !from.is_empty() {
            let (fplan, fscope) = self.without_aggregates("FROM clause", |b| b.bind_from(from))?;
            scope = Scope::join(scope, fscope)?;
            plan = Plan::NestedLoopJoin {
                left: Box::new(plan),
                right: Box::new(fplan),
                kind: super::JoinKind::Inner,
                condition: None,
            };
        }
        if let Some(w) = selection {
            let pred = self.without_aggregates("WHERE", |b| b.bind_bool(w, &scope, "WHERE"))?;
            self.require_reads(table, std::iter::once(&pred));
            plan = Plan::Filter {
                input: Box::new(plan),
                predicate: pred,
            };
        }
        Ok((plan, scope))
    }

    pub(super) fn bind_update(&mut self, upd: &ast::Update) -> Result<UpdatePlan> {
        if !upd.table.joins.is_empty() {
            return Err(Error::unsupported("UPDATE of a join"));
        }
        let from: &[ast::TableWithJoins] = match &upd.from {
            None => &[],
            Some(ast::UpdateTableFromKind::AfterSet(v)) | Some(ast::UpdateTableFromKind::BeforeSet(v)) => v,
        };
        let (table, alias) = self.dml_target(&upd.table.relation)?;
        table.refuse_on_blockchain("UPDATE")?;
        self.require(table.id, &table.name, false, Privileges::UPDATE);
        let (input, scope) = self.keyed_input(&table, &alias, from, upd.selection.as_ref())?;
        let defaults = self.bind_defaults(&table)?;
        let assignments = self.bind_assignments(&upd.assignments, &scope, &table, &defaults)?;
        self.require_reads(&table, assignments.iter().map(|(_, e)| e));
        let checks = self.bind_checks(&table)?;
        // RETURNING reads the new table row.
        returning_sees_target_only(upd.returning.as_ref(), from)?;
        let returning = self.bind_returning(upd.returning.as_ref(), &table_scope(&table, &alias))?;
        if returning.is_some() {
            self.require(table.id, &table.name, false, Privileges::SELECT);
        }
        Ok(UpdatePlan {
            table,
            input,
            assignments,
            checks,
            returning,
        })
    }

    pub(super) fn bind_delete(&mut self, del: &ast::Delete) -> Result<DeletePlan> {
        if !del.tables.is_empty() {
            return Err(Error::unsupported("DELETE from several tables"));
        }
        let from = match &del.from {
            ast::FromTable::WithFromKeyword(v) | ast::FromTable::WithoutKeyword(v) => v,
        };
        let relation = match from.as_slice() {
            [twj] if twj.joins.is_empty() => &twj.relation,
            _ => return Err(Error::unsupported("DELETE from several tables")),
        };
        let (table, alias) = self.dml_target(relation)?;
        table.refuse_on_blockchain("DELETE")?;
        self.require(table.id, &table.name, false, Privileges::DELETE);
        let using: &[ast::TableWithJoins] = del.using.as_deref().unwrap_or(&[]);
        let (input, _) = self.keyed_input(&table, &alias, using, del.selection.as_ref())?;
        returning_sees_target_only(del.returning.as_ref(), using)?;
        let returning = self.bind_returning(del.returning.as_ref(), &table_scope(&table, &alias))?;
        if returning.is_some() {
            self.require(table.id, &table.name, false, Privileges::SELECT);
        }
        Ok(DeletePlan {
            table,
            input,
            returning,
        })
    }
}
