//! TRUNCATE: empties tables (and their indexes) inside the transaction; needs TRUNCATE on each.

use crate::catalog::{Access, Privileges};
use crate::error::Result;
use crate::exec::table;
use crate::sql::ast;

use super::DdlContext;

pub(super) fn execute(truncate: &ast::Truncate, ctx: &mut DdlContext<'_>) -> Result<String> {
    let mut tables = Vec::new();
    for target in &truncate.table_names {
        let table = ctx.table(&target.name)?;
        ctx.catalog.refuse_system_table(table.id, &table.name)?;
        table.refuse_on_blockchain("TRUNCATE")?;
        tables.push(table);
    }
    // PostgreSQL checks every table before truncating any.
    for t in &tables {
        let access = Access {
            relation: t.id,
            name: t.name.clone(),
            is_view: false,
            privileges: Privileges::TRUNCATE,
            checked_as: None,
        };
        ctx.catalog.check_accesses(ctx.user, &[access])?;
    }
    for t in tables {
        // The audit chain records what was removed: every row's old image.
        if ctx.txn.tracks_row_changes() {
            for (_, row) in table::scan_rows(ctx.txn, &t)? {
                table::note_old_row(ctx.txn, &t, &row);
                ctx.txn.count_row();
            }
        }
        let indexes = ctx.catalog.table_indexes(t.id);
        table::clear_table(ctx.txn, &t, &indexes)?;
    }
    Ok("TRUNCATE TABLE".into())
}
