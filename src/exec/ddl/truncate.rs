use crate::error::Result;
use crate::exec::table;
use crate::sql::ast;

use super::DdlContext;

pub(super) fn execute(truncate: &ast::Truncate, ctx: &mut DdlContext<'_>) -> Result<String> {
    let mut tables = Vec::new();
    for target in &truncate.table_names {
        let table = ctx.table(&target.name)?;
        table.refuse_on_blockchain("TRUNCATE")?;
        tables.push(table);
    }
    for t in tables {
        let indexes = ctx.catalog.table_indexes(t.id);
        table::clear_table(ctx.txn, &t, &indexes)?;
    }
    Ok("TRUNCATE TABLE".into())
}
