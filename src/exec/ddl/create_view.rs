//! CREATE [OR REPLACE] VIEW.

use std::collections::HashSet;

use crate::catalog::{privilege, CatalogRecord, ViewDef};
use crate::error::{sqlstate, Error, Notice, Result};
use crate::plan::binder::Binder;
use crate::sql::{self, ast, ident};

use super::DdlContext;

pub(super) fn execute(create: &ast::CreateView, ctx: &mut DdlContext<'_>) -> Result<String> {
    if create.materialized {
        return Err(Error::unsupported("materialized views"));
    }
    let name = sql::object_name(&create.name)?;
    let existing = ctx.catalog.view(&name).cloned();
    if ctx.catalog.relation_exists(&name) {
        match &existing {
            Some(v) if create.or_replace => {
                privilege::require_owner(ctx.catalog, ctx.user, v.id, "view", &v.name)?;
            }
            Some(_) if create.if_not_exists => {
                ctx.notices.push(Notice::with_code(
                    sqlstate::DUPLICATE_TABLE,
                    format!("relation \"{name}\" already exists, skipping"),
                ));
                return Ok("CREATE VIEW".into());
            }
            _ => return Err(super::duplicate_relation(&name)),
        }
    }
    let plan = Binder::new(ctx.catalog, &[]).bind_query(&create.query)?;
    let column_names: Vec<String> = create.columns.iter().map(|c| ident(&c.name)).collect();
    if column_names.len() > plan.columns.len() {
        return Err(Error::syntax("CREATE VIEW specifies more column names than columns"));
    }
    let mut seen = HashSet::new();
    for (i, column) in plan.columns.iter().enumerate() {
        let n = column_names.get(i).unwrap_or(&column.name);
        if !seen.insert(n.clone()) {
            return Err(Error::sql(
                sqlstate::DUPLICATE_COLUMN,
                format!("column \"{n}\" specified more than once"),
            ));
        }
    }
    let id = match &existing {
        Some(v) => {
            ctx.catalog.remove_view(&name);
            v.id
        }
        None => ctx.new_object_id()?,
    };
    let view = ViewDef {
        id,
        name,
        sql: create.query.to_string(),
        column_names,
    };
    ctx.persist(CatalogRecord::View(view), false)?;
    Ok("CREATE VIEW".into())
}
