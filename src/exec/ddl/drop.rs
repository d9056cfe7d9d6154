//! DROP TABLE / VIEW / INDEX, with PostgreSQL's dependency rules: a table or view that a view
//! reads cannot be dropped without CASCADE (which drops those views too).

use crate::catalog::privilege;
use crate::error::{sqlstate, Error, Result};
use crate::exec::table;
use crate::sql::{self, ast};
use crate::storage::keys;

use super::{view_dependencies, DdlContext};

pub(super) fn execute(
    object_type: ast::ObjectType,
    if_exists: bool,
    names: &[ast::ObjectName],
    cascade: bool,
    ctx: &mut DdlContext<'_>,
) -> Result<String> {
    let (kind, tag) = match object_type {
        ast::ObjectType::Table => ("table", "DROP TABLE"),
        ast::ObjectType::View => ("view", "DROP VIEW"),
        ast::ObjectType::Index => ("index", "DROP INDEX"),
        other => return Err(Error::unsupported(format!("DROP {other}"))),
    };
    // PostgreSQL checks every name exists before dropping any.
    let mut targets = Vec::new();
    for name in names {
        let name = sql::object_name(name)?;
        let exists = match kind {
            "table" => ctx.catalog.table(&name).is_some(),
            "view" => ctx.catalog.view(&name).is_some(),
            _ => ctx.catalog.index(&name).is_some(),
        };
        if exists {
            let (id, owner_kind) = match kind {
                "table" => (ctx.catalog.table(&name).map(|t| t.id), "table"),
                "view" => (ctx.catalog.view(&name).map(|v| v.id), "view"),
                _ => (ctx.catalog.index(&name).map(|i| i.table_id), "index"),
            };
            if let Some(id) = id {
                privilege::require_owner(ctx.catalog, ctx.user, id, owner_kind, &name)?;
            }
            targets.push(name);
        } else if ctx.catalog.relation_exists(&name) {
            return Err(
                Error::sql(sqlstate::WRONG_OBJECT_TYPE, format!("\"{name}\" is not a {kind}"))
                    .with_hint(format!("Use DROP {} to remove it.", kind_of(ctx, &name))),
            );
        } else if if_exists {
            ctx.notices.push(format!("{kind} \"{name}\" does not exist, skipping"));
        } else {
            let message = match kind {
                "table" => format!("table \"{name}\" does not exist"),
                "view" => format!("view \"{name}\" does not exist"),
                _ => format!("index \"{name}\" does not exist"),
            };
            return Err(Error::sql(sqlstate::UNDEFINED_TABLE, message));
        }
    }
    for name in targets {
        match kind {
            "table" | "view" => drop_relation(&name, kind, cascade, ctx)?,
            _ => drop_index(&name, ctx)?,
        }
    }
    Ok(tag.into())
}

fn kind_of(ctx: &DdlContext<'_>, name: &str) -> &'static str {
    if ctx.catalog.table(name).is_some() {
        "TABLE"
    } else if ctx.catalog.view(name).is_some() {
        "VIEW"
    } else {
        "INDEX"
    }
}

/// Drops a table or view after dropping (CASCADE) or refusing because of dependent views.
fn drop_relation(name: &str, kind: &str, cascade: bool, ctx: &mut DdlContext<'_>) -> Result<()> {
    if ctx.catalog.table(name).is_none() && ctx.catalog.view(name).is_none() {
        return Ok(()); // already dropped by an earlier CASCADE in this statement
    }
    let dependents: Vec<String> = ctx
        .catalog
        .views()
        .filter(|v| v.name != name && view_dependencies(&v.sql).iter().any(|d| d == name))
        .map(|v| v.name.clone())
        .collect();
    if let Some(first) = dependents.first() {
        if !cascade {
            return Err(Error::sql(
                sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
                format!("cannot drop {kind} {name} because other objects depend on it"),
            )
            .with_detail(format!("view {first} depends on {kind} {name}"))
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        for dependent in dependents {
            ctx.notices.push(format!("drop cascades to view {dependent}"));
            drop_relation(&dependent, "view", true, ctx)?;
        }
    }
    if let Some(view) = ctx.catalog.remove_view(name) {
        return ctx.unpersist(view.id);
    }
    if let Some(t) = ctx.catalog.table(name) {
        // An empty blockchain table has nothing to protect yet; one holding rows is kept.
        if t.is_blockchain() && table::has_rows(ctx.txn, t)? {
            return Err(Error::sql(
                crate::catalog::BLOCKCHAIN_REFUSAL,
                format!("DROP not allowed on blockchain table '{name}' while it holds rows"),
            ));
        }
    }
    if let Some(t) = ctx.catalog.remove_table(name) {
        let indexes = ctx.catalog.table_indexes(t.id);
        table::clear_table(ctx.txn, &t, &indexes)?;
        if t.is_blockchain() {
            crate::ledger::chain::drop_chain(ctx.txn, t.id)?;
        }
        for index in indexes {
            ctx.catalog.remove_index(&index.name);
            ctx.unpersist(index.id)?;
        }
        ctx.unpersist(t.id)?;
    }
    Ok(())
}

fn drop_index(name: &str, ctx: &mut DdlContext<'_>) -> Result<()> {
    let index = match ctx.catalog.index(name) {
        Some(i) => i.clone(),
        None => return Ok(()),
    };
    if index.constraint {
        let table = ctx
            .catalog
            .table_by_id(index.table_id)
            .map(|t| t.name.clone())
            .unwrap_or_default();
        return Err(Error::sql(
            sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
            format!("cannot drop index {name} because constraint {name} on table {table} requires it"),
        )
        .with_hint(format!("You can drop constraint {name} on table {table} instead.")));
    }
    ctx.txn.delete_prefix(&keys::index_prefix(index.id))?;
    ctx.catalog.remove_index(name);
    ctx.unpersist(index.id)
}
