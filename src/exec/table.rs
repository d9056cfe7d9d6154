//! Table and index access shared by DML and DDL.

use std::sync::Arc;

use crate::catalog::{IndexDef, TableDef};
use crate::error::Result;
use crate::storage::Txn;
use crate::types::Row;

/// Inserts a fully formed row (types cast, NOT NULL and CHECK already enforced): checks the
/// primary key and unique indexes (23505, immediately and again at commit), writes the row and
/// its index entries. Returns the row's storage key.
pub fn insert_row(txn: &mut Txn, table: &TableDef, indexes: &[Arc<IndexDef>], row: Row) -> Result<Vec<u8>> {
    let _ = (txn, table, indexes, row);
    todo!("exec::table::insert_row")
}

/// Every row of a table with its storage key, in key order.
pub fn scan_rows(txn: &Txn, table: &TableDef) -> Result<Vec<(Vec<u8>, Row)>> {
    let _ = (txn, table);
    todo!("exec::table::scan_rows")
}

/// Fills a new index from the table's existing rows (CREATE INDEX); 23505 if a unique index
/// finds duplicates.
pub fn build_index(txn: &mut Txn, table: &TableDef, index: &IndexDef) -> Result<()> {
    let _ = (txn, table, index);
    todo!("exec::table::build_index")
}

/// Removes every row and index entry of a table (TRUNCATE, DROP TABLE).
pub fn clear_table(txn: &mut Txn, table: &TableDef, indexes: &[Arc<IndexDef>]) -> Result<()> {
    let _ = (txn, table, indexes);
    todo!("exec::table::clear_table")
}
