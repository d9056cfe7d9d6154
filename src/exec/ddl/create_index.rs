//! CREATE [UNIQUE] INDEX.

use crate::error::{sqlstate, Error, Notice, Result};
use crate::sql::{self, ast, ident};

use super::{unique_relation_name, DdlContext};

pub(super) fn execute(create: &ast::CreateIndex, ctx: &mut DdlContext<'_>) -> Result<String> {
    let table = ctx.owned_table(&create.table_name)?;
    if create.predicate.is_some() {
        return Err(Error::unsupported("partial indexes"));
    }
    if !create.include.is_empty() {
        return Err(Error::unsupported("INCLUDE columns"));
    }
    let mut columns = Vec::new();
    for column in &create.columns {
        let name = match &column.column.expr {
            ast::Expr::Identifier(id) => ident(id),
            other => return Err(Error::unsupported(format!("expression index on \"{other}\""))),
        };
        let position = table
            .column_index(&name)
            .ok_or_else(|| Error::sql(sqlstate::UNDEFINED_COLUMN, format!("column \"{name}\" does not exist")))?;
        columns.push(position);
    }
    let name = match &create.name {
        Some(n) => sql::object_name(n)?,
        None => {
            let cols: Vec<&str> = columns.iter().map(|&c| table.columns[c].name.as_str()).collect();
            unique_relation_name(ctx.catalog, &format!("{}_{}_idx", table.name, cols.join("_")))
        }
    };
    if ctx.catalog.relation_exists(&name) {
        if create.if_not_exists {
            ctx.notices.push(Notice::with_code(
                sqlstate::DUPLICATE_TABLE,
                format!("relation \"{name}\" already exists, skipping"),
            ));
            return Ok("CREATE INDEX".into());
        }
        return Err(super::duplicate_relation(&name));
    }
    ctx.add_index(&table, name, columns, create.unique, false)?;
    Ok("CREATE INDEX".into())
}
