//! ALTER TABLE: columns (add, drop, rename, type, default, NOT NULL), constraints, renaming.
//!
//! Changes that alter the stored row shape rewrite every row of the table inside the
//! transaction (rows hold exactly the live columns, in order), so readers never need to know
//! a table's history.

use std::sync::Arc;

use crate::catalog::{CatalogRecord, CheckDef, ColumnDef, IndexDef, TableDef};
use crate::error::{sqlstate, Error, Notice, Result};
use crate::exec::table;
use crate::plan::binder::Binder;
use crate::sql::{self, ast, ident};
use crate::types::{cast, Row, Value};

use super::create_table::{first_referenced_column, parse_expr, validate_check, validate_default};
use super::{unique_relation_name, view_dependencies, DdlContext};

pub(super) fn execute(alter: &ast::AlterTable, ctx: &mut DdlContext<'_>) -> Result<String> {
    let name = sql::object_name(&alter.name)?;
    if ctx.catalog.table(&name).is_none() && alter.if_exists {
        ctx.notices
            .push(format!("relation \"{name}\" does not exist, skipping"));
        return Ok("ALTER TABLE".into());
    }
    let table = ctx.owned_table(&alter.name)?;
    table.refuse_on_blockchain("ALTER TABLE")?;
    let mut current = table.name.clone();
    for operation in &alter.operations {
        current = apply(&current, operation, ctx)?;
    }
    Ok("ALTER TABLE".into())
}

/// Applies one operation; returns the table's (possibly new) name.
fn apply(name: &str, operation: &ast::AlterTableOperation, ctx: &mut DdlContext<'_>) -> Result<String> {
    use ast::AlterTableOperation as Op;
    let table: Arc<TableDef> = ctx.catalog.table_or_err(name)?.clone();
    match operation {
        Op::AddColumn {
            if_not_exists,
            column_def,
            ..
        } => add_column(&table, *if_not_exists, column_def, ctx)?,
        Op::DropColumn {
            column_names,
            if_exists,
            ..
        } => {
            for column in column_names {
                let t = ctx.catalog.table_or_err(name)?.clone();
                drop_column(&t, &ident(column), *if_exists, ctx)?;
            }
        }
        Op::RenameColumn {
            old_column_name,
            new_column_name,
        } => rename_column(&table, &ident(old_column_name), &ident(new_column_name), ctx)?,
        Op::RenameTable { table_name } => {
            let new_name = match table_name {
                ast::RenameTableNameKind::As(n) | ast::RenameTableNameKind::To(n) => sql::object_name(n)?,
            };
            return rename_table(&table, &new_name, ctx);
        }
        Op::AlterColumn { column_name, op } => alter_column(&table, &ident(column_name), op, ctx)?,
        Op::AddConstraint { constraint, .. } => add_constraint(&table, constraint, ctx)?,
        Op::DropConstraint {
            name: constraint,
            if_exists,
            ..
        } => drop_constraint(&table, &ident(constraint), *if_exists, ctx)?,
        Op::OwnerTo { new_owner } => owner_to(&table, new_owner, ctx)?,
        other => return Err(Error::unsupported(format!("ALTER TABLE ... {other}"))),
    }
    Ok(name.to_string())
}

/// `OWNER TO role`: the new owner takes over the old owner's grants, as in PostgreSQL. Without
/// role membership only a superuser may give a table away.
fn owner_to(table: &TableDef, new_owner: &ast::Owner, ctx: &mut DdlContext<'_>) -> Result<()> {
    let role = match new_owner {
        ast::Owner::Ident(name) => {
            let name = ident(name);
            ctx.catalog
                .role(&name)
                .ok_or_else(|| Error::sql(sqlstate::UNDEFINED_OBJECT, format!("role \"{name}\" does not exist")))?
                .id
        }
        ast::Owner::CurrentUser | ast::Owner::CurrentRole => ctx.user,
        ast::Owner::SessionUser => ctx.session_user,
    };
    let mut acl = ctx.catalog.object_acl(table.id);
    if acl.owner == role {
        return Ok(());
    }
    if !ctx.catalog.is_superuser(ctx.user) {
        let name = ctx.catalog.role_name(role);
        return Err(Error::sql(
            sqlstate::INSUFFICIENT_PRIVILEGE,
            format!("must be member of role \"{name}\""),
        ));
    }
    let old = acl.owner;
    if let Some(items) = &mut acl.acl {
        for item in items.iter_mut() {
            if item.grantee == old {
                item.grantee = role;
            }
            if item.grantor == old {
                item.grantor = role;
            }
        }
    }
    acl.owner = role;
    ctx.persist(CatalogRecord::Acl(acl), true)
}

fn column_position(table: &TableDef, column: &str) -> Result<usize> {
    table.column_index(column).ok_or_else(|| {
        Error::sql(
            sqlstate::UNDEFINED_COLUMN,
            format!("column \"{column}\" of relation \"{}\" does not exist", table.name),
        )
    })
}

fn add_column(table: &TableDef, if_not_exists: bool, def: &ast::ColumnDef, ctx: &mut DdlContext<'_>) -> Result<()> {
    let col_name = ident(&def.name);
    if table.column_index(&col_name).is_some() {
        if if_not_exists {
            ctx.notices.push(Notice::with_code(
                sqlstate::DUPLICATE_COLUMN,
                format!(
                    "column \"{col_name}\" of relation \"{}\" already exists, skipping",
                    table.name
                ),
            ));
            return Ok(());
        }
        return Err(Error::sql(
            sqlstate::DUPLICATE_COLUMN,
            format!("column \"{col_name}\" of relation \"{}\" already exists", table.name),
        ));
    }
    let mut column = ColumnDef {
        name: col_name.clone(),
        data_type: sql::data_type(&def.data_type)?,
        nullable: true,
        default: None,
    };
    let mut unique = false;
    let mut checks = Vec::new();
    for option in &def.options {
        match &option.option {
            ast::ColumnOption::Null => {}
            ast::ColumnOption::NotNull => column.nullable = false,
            ast::ColumnOption::Default(expr) => column.default = Some(expr.to_string()),
            ast::ColumnOption::Unique(_) => unique = true,
            ast::ColumnOption::Check(check) => checks.push((check.name.as_ref().map(ident), check.expr.to_string())),
            ast::ColumnOption::PrimaryKey(_) => return Err(Error::unsupported("ADD COLUMN ... PRIMARY KEY")),
            other => return Err(Error::unsupported(format!("column option {other} in ADD COLUMN"))),
        }
    }
    let fill = match &column.default {
        Some(default) => {
            validate_default(ctx, &column, default)?;
            let value = query_scalar(
                ctx,
                &format!("SELECT CAST(({default}) AS {})", column.data_type.display_name()),
            )?;
            cast::assign(&value, &column.data_type)?
        }
        None => Value::Null,
    };
    let mut new_table = table.clone();
    new_table.columns.push(column.clone());
    for (n, expr) in checks {
        let name = n.unwrap_or_else(|| format!("{}_{}_check", table.name, col_name));
        new_table.checks.push(CheckDef { name, expr });
    }
    let row_count = rewrite(ctx, table, &new_table, |mut row| {
        row.push(fill.clone());
        Ok(row)
    })?;
    if fill.is_null() && !column.nullable && row_count > 0 {
        return Err(Error::sql(
            sqlstate::NOT_NULL_VIOLATION,
            format!(
                "column \"{col_name}\" of relation \"{}\" contains null values",
                table.name
            ),
        ));
    }
    for check in &new_table.checks[table.checks.len()..] {
        validate_check(ctx, &new_table, check)?;
    }
    ctx.replace_table(&table.name, new_table.clone())?;
    for check in &new_table.checks[table.checks.len()..] {
        verify_existing_rows(ctx, &new_table, check)?;
    }
    if unique {
        let position = new_table.columns.len() - 1;
        let name = unique_relation_name(ctx.catalog, &format!("{}_{}_key", table.name, col_name));
        ctx.add_index(&new_table, name, vec![position], true, true)?;
    }
    Ok(())
}

fn drop_column(table: &TableDef, column: &str, if_exists: bool, ctx: &mut DdlContext<'_>) -> Result<()> {
    let position = match table.column_index(column) {
        Some(p) => p,
        None if if_exists => {
            ctx.notices.push(format!(
                "column \"{column}\" of relation \"{}\" does not exist, skipping",
                table.name
            ));
            return Ok(());
        }
        None => return Err(column_position(table, column).unwrap_err()),
    };
    if table.columns.len() == 1 {
        return Err(Error::unsupported("dropping the last column of a table"));
    }
    if table.primary_key.as_ref().is_some_and(|pk| pk.contains(&position)) {
        return Err(Error::unsupported(format!("dropping primary key column \"{column}\"")));
    }
    if ctx
        .catalog
        .views()
        .any(|v| view_dependencies(&v.sql).contains(&table.name))
    {
        return Err(Error::sql(
            sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
            format!(
                "cannot drop column {column} of table {} because other objects depend on it",
                table.name
            ),
        )
        .with_hint("Drop the views that read this table first."));
    }
    let mut new_table = table.clone();
    new_table.columns.remove(position);
    let shift = |c: usize| if c > position { c - 1 } else { c };
    if let Some(pk) = &mut new_table.primary_key {
        pk.iter_mut().for_each(|c| *c = shift(*c));
    }
    // CHECK constraints that mention the column go with it, as in PostgreSQL.
    new_table.checks.retain(|check| {
        parse_expr(&check.expr)
            .map(|e| !mentions_column(&e, column))
            .unwrap_or(true)
    });
    let indexes = ctx.catalog.table_indexes(table.id);
    rewrite(ctx, table, &new_table, |mut row| {
        if position < row.len() {
            row.remove(position);
        }
        Ok(row)
    })?;
    ctx.replace_table(&table.name, new_table)?;
    for index in indexes {
        ctx.catalog.remove_index(&index.name);
        if index.columns.contains(&position) {
            ctx.txn.delete_prefix(&crate::storage::keys::index_prefix(index.id))?;
            ctx.unpersist(index.id)?;
        } else {
            let mut moved = (*index).clone();
            moved.columns.iter_mut().for_each(|c| *c = shift(*c));
            ctx.persist(CatalogRecord::Index(moved), true)?;
        }
    }
    Ok(())
}

fn mentions_column(expr: &ast::Expr, column: &str) -> bool {
    let mut found = false;
    let _ = ast::visit_expressions(expr, |e| {
        if let ast::Expr::Identifier(id) = e {
            if ident(id) == column {
                found = true;
                return std::ops::ControlFlow::Break(());
            }
        }
        std::ops::ControlFlow::Continue(())
    });
    found
}

fn rename_column(table: &TableDef, old: &str, new: &str, ctx: &mut DdlContext<'_>) -> Result<()> {
    let position = column_position(table, old)?;
    if table.column_index(new).is_some() {
        return Err(Error::sql(
            sqlstate::DUPLICATE_COLUMN,
            format!("column \"{new}\" of relation \"{}\" already exists", table.name),
        ));
    }
    let mut new_table = table.clone();
    new_table.columns[position].name = new.to_string();
    for check in &mut new_table.checks {
        let mut expr = parse_expr(&check.expr)?;
        let _ = ast::visit_expressions_mut(&mut expr, |e| {
            if let ast::Expr::Identifier(id) = e {
                if ident(id) == old {
                    *id = ast::Ident::with_quote('"', new);
                }
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
        check.expr = expr.to_string();
    }
    ctx.replace_table(&table.name, new_table)
}

fn rename_table(table: &TableDef, new_name: &str, ctx: &mut DdlContext<'_>) -> Result<String> {
    if ctx.catalog.relation_exists(new_name) {
        return Err(super::duplicate_relation(new_name));
    }
    let mut new_table = table.clone();
    new_table.name = new_name.to_string();
    ctx.replace_table(&table.name, new_table)?;
    // Views name tables by text; follow the rename so they keep reading the same table.
    let views: Vec<_> = ctx
        .catalog
        .views()
        .filter(|v| view_dependencies(&v.sql).contains(&table.name))
        .cloned()
        .collect();
    for view in views {
        let mut statements = sql::parse(&view.sql)?;
        let _ = ast::visit_relations_mut(&mut statements, |name| {
            if sql::object_name(name).ok().as_deref() == Some(table.name.as_str()) {
                *name = ast::ObjectName::from(vec![ast::Ident::with_quote('"', new_name)]);
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
        let mut moved = (*view).clone();
        moved.sql = statements.iter().map(|s| s.to_string()).collect::<Vec<_>>().join("; ");
        ctx.persist(CatalogRecord::View(moved), true)?;
    }
    Ok(new_name.to_string())
}

fn alter_column(
    table: &TableDef,
    column: &str,
    op: &ast::AlterColumnOperation,
    ctx: &mut DdlContext<'_>,
) -> Result<()> {
    let position = column_position(table, column)?;
    let mut new_table = table.clone();
    match op {
        ast::AlterColumnOperation::SetNotNull => {
            new_table.columns[position].nullable = false;
            let count = query_scalar(
                ctx,
                &format!("SELECT count(*) FROM \"{}\" WHERE \"{}\" IS NULL", table.name, column),
            )?;
            if !matches!(count, Value::Int8(0)) {
                return Err(Error::sql(
                    sqlstate::NOT_NULL_VIOLATION,
                    format!(
                        "column \"{column}\" of relation \"{}\" contains null values",
                        table.name
                    ),
                ));
            }
        }
        ast::AlterColumnOperation::DropNotNull => {
            if table.primary_key.as_ref().is_some_and(|pk| pk.contains(&position)) {
                return Err(Error::sql(
                    sqlstate::INVALID_TABLE_DEFINITION,
                    format!("column \"{column}\" is in a primary key"),
                ));
            }
            new_table.columns[position].nullable = true;
        }
        ast::AlterColumnOperation::SetDefault { value } => {
            validate_default(ctx, &new_table.columns[position], &value.to_string())?;
            new_table.columns[position].default = Some(value.to_string());
        }
        ast::AlterColumnOperation::DropDefault => new_table.columns[position].default = None,
        ast::AlterColumnOperation::SetDataType { data_type, using, .. } => {
            if using.is_some() {
                return Err(Error::unsupported("ALTER COLUMN TYPE ... USING"));
            }
            let ty = sql::data_type(data_type)?;
            new_table.columns[position].data_type = ty.clone();
            let indexes = ctx.catalog.table_indexes(table.id);
            rewrite(ctx, table, &new_table, |mut row| {
                if let Some(v) = row.get_mut(position) {
                    *v = cast::assign(v, &ty)?;
                }
                Ok(row)
            })?;
            // Index entries encode the values: rebuild the ones on this column.
            for index in indexes.iter().filter(|i| i.columns.contains(&position)) {
                ctx.txn.delete_prefix(&crate::storage::keys::index_prefix(index.id))?;
                table::build_index(ctx.txn, &new_table, index)?;
            }
        }
        other => return Err(Error::unsupported(format!("ALTER COLUMN ... {other}"))),
    }
    ctx.replace_table(&table.name, new_table)
}

fn add_constraint(table: &TableDef, constraint: &ast::TableConstraint, ctx: &mut DdlContext<'_>) -> Result<()> {
    let columns_of = |cols: &[ast::IndexColumn]| -> Result<Vec<usize>> {
        cols.iter()
            .map(|c| match &c.column.expr {
                ast::Expr::Identifier(id) => column_position(table, &ident(id)),
                other => Err(Error::unsupported(format!(
                    "expression \"{other}\" in a key constraint"
                ))),
            })
            .collect()
    };
    match constraint {
        ast::TableConstraint::Unique(u) => {
            let columns = columns_of(&u.columns)?;
            let name = match &u.name {
                Some(n) => ident(n),
                None => {
                    let cols: Vec<&str> = columns.iter().map(|&c| table.columns[c].name.as_str()).collect();
                    unique_relation_name(ctx.catalog, &format!("{}_{}_key", table.name, cols.join("_")))
                }
            };
            ctx.add_index(table, name, columns, true, true)
        }
        ast::TableConstraint::Check(check) => {
            let expr = (*check.expr).clone();
            let name = match &check.name {
                Some(n) => ident(n),
                None => match first_referenced_column(table, &expr) {
                    Some(c) => format!("{}_{}_check", table.name, table.columns[c].name),
                    None => format!("{}_check", table.name),
                },
            };
            if table.checks.iter().any(|c| c.name == name) {
                return Err(Error::sql(
                    sqlstate::DUPLICATE_OBJECT,
                    format!("constraint \"{name}\" for relation \"{}\" already exists", table.name),
                ));
            }
            let check = CheckDef {
                name,
                expr: expr.to_string(),
            };
            let mut new_table = table.clone();
            new_table.checks.push(check.clone());
            validate_check(ctx, &new_table, &check)?;
            verify_existing_rows(ctx, &new_table, &check)?;
            ctx.replace_table(&table.name, new_table)
        }
        ast::TableConstraint::PrimaryKey(pk) => {
            if table.primary_key.is_some() {
                return Err(Error::sql(
                    sqlstate::INVALID_TABLE_DEFINITION,
                    format!("multiple primary keys for table \"{}\" are not allowed", table.name),
                ));
            }
            let columns = columns_of(&pk.columns)?;
            let mut new_table = table.clone();
            for &c in &columns {
                new_table.columns[c].nullable = false;
            }
            new_table.primary_key = Some(columns.clone());
            new_table.primary_key_name = Some(
                pk.name
                    .as_ref()
                    .map(ident)
                    .unwrap_or_else(|| format!("{}_pkey", table.name)),
            );
            rewrite(ctx, table, &new_table, |row| {
                for &c in &columns {
                    if row.get(c).is_none_or(Value::is_null) {
                        return Err(Error::sql(
                            sqlstate::NOT_NULL_VIOLATION,
                            format!(
                                "column \"{}\" of relation \"{}\" contains null values",
                                table.columns[c].name, table.name
                            ),
                        ));
                    }
                }
                Ok(row)
            })?;
            ctx.replace_table(&table.name, new_table)
        }
        ast::TableConstraint::ForeignKey(_) => Err(Error::unsupported("FOREIGN KEY constraints")),
        other => Err(Error::unsupported(format!("constraint {other}"))),
    }
}

fn drop_constraint(table: &TableDef, name: &str, if_exists: bool, ctx: &mut DdlContext<'_>) -> Result<()> {
    if table.checks.iter().any(|c| c.name == name) {
        let mut new_table = table.clone();
        new_table.checks.retain(|c| c.name != name);
        return ctx.replace_table(&table.name, new_table);
    }
    if let Some(index) = ctx
        .catalog
        .index(name)
        .filter(|i| i.constraint && i.table_id == table.id)
        .cloned()
    {
        ctx.txn.delete_prefix(&crate::storage::keys::index_prefix(index.id))?;
        ctx.catalog.remove_index(name);
        return ctx.unpersist(index.id);
    }
    if table.primary_key_name.as_deref() == Some(name) {
        let mut new_table = table.clone();
        new_table.primary_key = None;
        new_table.primary_key_name = None;
        rewrite(ctx, table, &new_table, Ok)?;
        return ctx.replace_table(&table.name, new_table);
    }
    if if_exists {
        ctx.notices.push(format!(
            "constraint \"{name}\" of relation \"{}\" does not exist, skipping",
            table.name
        ));
        return Ok(());
    }
    Err(Error::sql(
        sqlstate::UNDEFINED_OBJECT,
        format!("constraint \"{name}\" of relation \"{}\" does not exist", table.name),
    ))
}

/// Rewrites every row of `old` into the shape of `new` (keys and indexes rebuilt); returns the
/// number of rows.
fn rewrite(
    ctx: &mut DdlContext<'_>,
    old: &TableDef,
    new: &TableDef,
    mut change: impl FnMut(Row) -> Result<Row>,
) -> Result<usize> {
    let rows = table::scan_rows(ctx.txn, old)?;
    let count = rows.len();
    if count == 0 {
        return Ok(0);
    }
    let indexes = ctx.catalog.table_indexes(old.id);
    table::clear_table(ctx.txn, old, &indexes)?;
    let live: Vec<Arc<IndexDef>> = Vec::new();
    // A change of shape, not of data: the audit chain does not count the rewritten rows.
    let changes = ctx.txn.take_row_changes();
    for (_, row) in rows {
        table::insert_row(ctx.txn, new, &live, change(row)?)?;
    }
    ctx.txn.restore_row_changes(changes);
    for index in &indexes {
        table::build_index(ctx.txn, new, index)?;
    }
    Ok(count)
}

/// Fails with 23514 if an existing row violates a new CHECK constraint.
fn verify_existing_rows(ctx: &mut DdlContext<'_>, table: &TableDef, check: &CheckDef) -> Result<()> {
    let count = query_scalar(
        ctx,
        &format!("SELECT count(*) FROM \"{}\" WHERE NOT ({})", table.name, check.expr),
    )?;
    if !matches!(count, Value::Int8(0)) {
        return Err(Error::sql(
            sqlstate::CHECK_VIOLATION,
            format!(
                "check constraint \"{}\" of relation \"{}\" is violated by some row",
                check.name, table.name
            ),
        ));
    }
    Ok(())
}

/// Runs a one-value query inside the DDL's transaction, against its working catalog.
fn query_scalar(ctx: &mut DdlContext<'_>, query: &str) -> Result<Value> {
    let statements = sql::parse(query)?;
    let statement = statements.first().ok_or_else(|| Error::bug("empty internal query"))?;
    let bound = Binder::new(ctx.catalog, &[]).bind_statement(statement)?;
    let rows = ctx.query(&bound)?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next())
        .unwrap_or(Value::Null))
}
