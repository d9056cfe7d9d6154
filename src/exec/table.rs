//! Table and index access shared by DML and DDL: row keys, index entries, uniqueness.
//!
//! Keys (layout in `storage::keys`):
//! - row: `table_prefix(id) ++ encode_key(pk values)`, or `++ row_id u64 BE` without a primary key;
//! - index entry: `index_prefix(id) ++ encode_key(indexed values)`, followed by the row key for
//!   non-unique indexes and for unique entries holding a NULL (NULLs never conflict); the value
//!   is always the row key.
//!
//! A unique key is checked twice: now, against committed data plus this transaction's writes,
//! and at commit (`Txn::put_absent`), which catches a concurrent duplicate.

use std::sync::Arc;

use crate::catalog::{IndexDef, TableDef};
use crate::error::{sqlstate, Error, Result};
use crate::ledger::chain::{self, StoredRow};
use crate::ledger::rows::ChainRows;
use crate::storage::changes::Image;
use crate::storage::keys::{encode_key, index_prefix, table_prefix};
use crate::storage::row::{decode_row, encode_row};
use crate::storage::{Conflict, Txn};
use crate::types::{text, Row, Value};

/// The counter row ids of tables without a primary key are drawn from.
const ROW_ID_COUNTER: &[u8] = b"rowid";

/// Inserts a fully formed row (types cast, NOT NULL and CHECK already enforced): checks the
/// primary key and unique indexes (23505, immediately and again at commit), writes the row and
/// its index entries. Returns the row's storage key.
pub fn insert_row(txn: &mut Txn, table: &TableDef, indexes: &[Arc<IndexDef>], row: Row) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    encode_row(&row, &mut bytes);
    txn.note_row(Image::New, table.id, &bytes);
    txn.count_row();
    if table.is_blockchain() {
        // Refused now, naming the table, rather than at commit.
        crate::ledger::at_rest::check_access(txn.store(), table)?;
        // Its bytes move into the chain at commit (ledger::chain).
        bytes = chain::uncommitted_row(&bytes);
    }
    let key = match primary_key(table, &row)? {
        Some(key) => {
            txn.put_absent(key.clone(), bytes, || pk_violation(table, &row))?;
            key
        }
        None => {
            let mut key = table_prefix(table.id);
            key.extend_from_slice(&txn.next_id(ROW_ID_COUNTER)?.to_be_bytes());
            txn.put(key.clone(), bytes, Conflict::None)?;
            key
        }
    };
    for index in indexes {
        add_index_entry(txn, table, index, &row, &key)?;
    }
    if table.is_blockchain() {
        // Position and hashes are assigned at commit (ledger::chain).
        txn.chain_append(table.id, key.clone());
    }
    Ok(key)
}

/// Every row of a table with its storage key, in key order.
pub fn scan_rows(txn: &Txn, table: &TableDef) -> Result<Vec<(Vec<u8>, Row)>> {
    let mut out = Vec::new();
    let mut chained = match table.is_blockchain() {
        true => {
            crate::ledger::at_rest::check_access(txn.store(), table)?;
            Some(ChainRows::load(txn, table.id, None)?)
        }
        false => None,
    };
    for item in txn.scan_prefix(&table_prefix(table.id))? {
        let (key, bytes) = item?;
        let row = match &mut chained {
            None => decode_row(&bytes)?,
            Some(chain) => match chain::stored_row(&bytes)? {
                StoredRow::Uncommitted(own) => decode_row(own)?,
                StoredRow::Chained(seq) => chain.with_row(txn, seq, decode_row)?,
            },
        };
        out.push((key, row));
    }
    Ok(out)
}

/// Whether the table holds at least one row (in this transaction's view).
pub fn has_rows(txn: &Txn, table: &TableDef) -> Result<bool> {
    Ok(txn.scan_prefix(&table_prefix(table.id))?.next().transpose()?.is_some())
}

/// Fills a new index from the table's existing rows (CREATE INDEX); 23505 if a unique index
/// finds duplicates.
pub fn build_index(txn: &mut Txn, table: &TableDef, index: &IndexDef) -> Result<()> {
    for (key, row) in scan_rows(txn, table)? {
        add_index_entry(txn, table, index, &row, &key).map_err(|e| match e {
            Error::Sql { code, .. } if code == sqlstate::UNIQUE_VIOLATION => Error::sql(
                sqlstate::UNIQUE_VIOLATION,
                format!("could not create unique index \"{}\"", index.name),
            )
            .with_detail(format!("{} is duplicated.", key_text(table, &index.columns, &row))),
            other => other,
        })?;
    }
    Ok(())
}

/// Removes every row and index entry of a table (TRUNCATE, DROP TABLE).
pub fn clear_table(txn: &mut Txn, table: &TableDef, indexes: &[Arc<IndexDef>]) -> Result<()> {
    txn.delete_prefix(&table_prefix(table.id))?;
    for index in indexes {
        txn.delete_prefix(&index_prefix(index.id))?;
    }
    Ok(())
}

/// Notes the old image of a row about to change (`storage::changes`).
pub fn note_old_row(txn: &mut Txn, table: &TableDef, row: &[Value]) {
    if !txn.tracks_row_changes() {
        return;
    }
    let mut bytes = Vec::new();
    encode_row(row, &mut bytes);
    txn.note_row(Image::Old, table.id, &bytes);
}

/// The row stored under `key`, if any.
pub fn fetch_row(txn: &Txn, key: &[u8]) -> Result<Option<Row>> {
    match txn.get(key)? {
        Some(bytes) => Ok(Some(decode_row(&bytes)?)),
        None => Ok(None),
    }
}

/// Deletes a row and its index entries.
pub fn delete_row(txn: &mut Txn, table: &TableDef, indexes: &[Arc<IndexDef>], key: &[u8], row: &[Value]) -> Result<()> {
    note_old_row(txn, table, row);
    txn.count_row();
    for index in indexes {
        let (entry, _) = index_entry_key(index, row, key)?;
        txn.delete(entry)?;
    }
    txn.delete(key.to_vec())
}

/// Replaces the row at `old_key` by `new_row`: moves it when its primary key changed, and
/// rewrites only the index entries whose values changed. Returns the row's (new) key.
pub fn update_row(
    txn: &mut Txn,
    table: &TableDef,
    indexes: &[Arc<IndexDef>],
    old_key: &[u8],
    old_row: &[Value],
    new_row: Row,
) -> Result<Vec<u8>> {
    let new_key = match primary_key(table, &new_row)? {
        Some(k) if k.as_slice() != old_key => k,
        _ => old_key.to_vec(),
    };
    let moved = new_key.as_slice() != old_key;
    for index in indexes {
        let changed = index.columns.iter().any(|&c| old_row.get(c) != new_row.get(c));
        if changed || moved {
            let (entry, _) = index_entry_key(index, old_row, old_key)?;
            txn.delete(entry)?;
        }
    }
    let mut bytes = Vec::new();
    encode_row(&new_row, &mut bytes);
    note_old_row(txn, table, old_row);
    txn.note_row(Image::New, table.id, &bytes);
    txn.count_row();
    if moved {
        txn.delete(old_key.to_vec())?;
        txn.put_absent(new_key.clone(), bytes, || pk_violation(table, &new_row))?;
    } else {
        txn.put(new_key.clone(), bytes, Conflict::Unchanged)?;
    }
    for index in indexes {
        let changed = index.columns.iter().any(|&c| old_row.get(c) != new_row.get(c));
        if changed || moved {
            add_index_entry(txn, table, index, &new_row, &new_key)?;
        }
    }
    Ok(new_key)
}

/// The key of an existing row that `row` would collide with on the primary key or a unique
/// index (ON CONFLICT), or `None`.
pub fn find_conflict(txn: &Txn, table: &TableDef, indexes: &[Arc<IndexDef>], row: &[Value]) -> Result<Option<Vec<u8>>> {
    if let Some(key) = primary_key(table, row)? {
        if txn.get(&key)?.is_some() {
            return Ok(Some(key));
        }
    }
    for index in indexes.iter().filter(|i| i.unique) {
        let (entry, checked) = index_entry_key(index, row, &[])?;
        if checked {
            if let Some(row_key) = txn.get(&entry)? {
                return Ok(Some(row_key));
            }
        }
    }
    Ok(None)
}

/// The primary-key row key of `row`, or `None` when the table has no primary key.
pub fn primary_key(table: &TableDef, row: &[Value]) -> Result<Option<Vec<u8>>> {
    let Some(pk) = &table.primary_key else { return Ok(None) };
    let values = pick(pk, row)?;
    let mut key = table_prefix(table.id);
    encode_key(&values, &mut key)?;
    Ok(Some(key))
}

/// The entry key of `row` in `index`, and whether it is a checked unique key (no row key
/// appended).
fn index_entry_key(index: &IndexDef, row: &[Value], row_key: &[u8]) -> Result<(Vec<u8>, bool)> {
    let values = pick(&index.columns, row)?;
    let mut key = index_prefix(index.id);
    encode_key(&values, &mut key)?;
    let unique = index.unique && !values.iter().any(Value::is_null);
    if !unique {
        key.extend_from_slice(row_key);
    }
    Ok((key, unique))
}

fn add_index_entry(txn: &mut Txn, table: &TableDef, index: &IndexDef, row: &[Value], row_key: &[u8]) -> Result<()> {
    let (entry, unique) = index_entry_key(index, row, row_key)?;
    if unique {
        txn.put_absent(entry, row_key.to_vec(), || {
            unique_violation(table, &index.name, &index.columns, row)
        })
    } else {
        txn.put(entry, row_key.to_vec(), Conflict::None)
    }
}

fn pick(columns: &[usize], row: &[Value]) -> Result<Vec<Value>> {
    columns
        .iter()
        .map(|&c| {
            row.get(c)
                .cloned()
                .ok_or_else(|| Error::bug(format!("key column {c} outside a row of {}", row.len())))
        })
        .collect()
}

fn pk_violation(table: &TableDef, row: &[Value]) -> Error {
    let name = table
        .primary_key_name
        .clone()
        .unwrap_or_else(|| format!("{}_pkey", table.name));
    let columns = table.primary_key.clone().unwrap_or_default();
    unique_violation(table, &name, &columns, row)
}

fn unique_violation(table: &TableDef, constraint: &str, columns: &[usize], row: &[Value]) -> Error {
    Error::sql(
        sqlstate::UNIQUE_VIOLATION,
        format!("duplicate key value violates unique constraint \"{constraint}\""),
    )
    .with_detail(format!("{} already exists.", key_text(table, columns, row)))
}

/// `Key (a, b)=(1, x)` as PostgreSQL's unique-violation details print it.
fn key_text(table: &TableDef, columns: &[usize], row: &[Value]) -> String {
    let names: Vec<&str> = columns
        .iter()
        .map(|&c| table.columns.get(c).map(|col| col.name.as_str()).unwrap_or("?"))
        .collect();
    let values: Vec<String> = columns
        .iter()
        .map(|&c| row.get(c).and_then(text::format).unwrap_or_else(|| "null".to_string()))
        .collect();
    format!("Key ({})=({})", names.join(", "), values.join(", "))
}

/// `Failing row contains (...)` as PostgreSQL's constraint-violation details print it.
pub fn failing_row(row: &[Value]) -> String {
    let values: Vec<String> = row
        .iter()
        .map(|v| text::format(v).unwrap_or_else(|| "null".to_string()))
        .collect();
    format!("Failing row contains ({}).", values.join(", "))
}
