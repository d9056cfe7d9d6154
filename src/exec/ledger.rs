//! The SQL functions over blockchain tables: `verify_blockchain`, `verify_blockchain_block`,
//! `seal_blockchain_block`, `blockchain_proof`, `verify_blockchain_proof`, and the table
//! functions `blockchain_metadata` and `blockchain_tamper_report`. They read the chain
//! through the statement's transaction (under its read gate, so one consistent state) with
//! `ledger::chain` and `ledger::audit`; tampering makes verification return false or list
//! findings, never fail.
//!
//! `seal_blockchain_block` is transactional: it returns the id of the block that will hold
//! every row pending at the call (the chain's pending rows plus the rows this transaction
//! appends) and asks the transaction to seal up to that block when it commits, which in
//! autocommit is right after the statement. NULL when nothing is pending.

use chrono::{DateTime, Utc};

use crate::catalog::{IndexDef, TableDef};
use crate::error::{sqlstate, Error, Result};
use crate::ledger::audit::{verify_block, verify_chain};
use crate::ledger::chain::{read_body, read_header, read_headers, read_tip};
use crate::ledger::hex::to_hex;
use crate::ledger::merkle::leaf_hash;
use crate::ledger::verify::Finding;
use crate::ledger::InclusionProof;
use crate::plan::{LedgerFunc, TableFunc};
use crate::storage::Txn;
use crate::types::{Row, Value};

use super::Executor;

impl Executor<'_> {
    /// The blockchain table named by a function's text argument: 42P01 when no such
    /// relation, 42809 when it is not a blockchain table.
    fn blockchain_table(&self, name: &Value) -> Result<(TableDef, Vec<IndexDef>)> {
        let Value::Text(name) = name else {
            return Err(Error::bug("blockchain function called without a table name"));
        };
        let table = self
            .catalog
            .table(name)
            .or_else(|| self.catalog.table(&name.to_lowercase()))
            .ok_or_else(|| Error::undefined_table(name))?;
        if !table.is_blockchain() {
            return Err(Error::sql(
                sqlstate::WRONG_OBJECT_TYPE,
                format!("\"{name}\" is not a blockchain table"),
            ));
        }
        let indexes = self
            .catalog
            .table_indexes(table.id)
            .iter()
            .map(|i| i.as_ref().clone())
            .collect();
        Ok((table.as_ref().clone(), indexes))
    }

    pub(super) fn ledger_function(&mut self, txn: &Txn, func: LedgerFunc, args: &[Value]) -> Result<Value> {
        if args.iter().any(Value::is_null) {
            return Ok(Value::Null);
        }
        match (func, args) {
            (LedgerFunc::Verify, [name]) => {
                let (table, indexes) = self.blockchain_table(name)?;
                Ok(Value::Bool(findings(txn, &table, &indexes)?.is_empty()))
            }
            (LedgerFunc::VerifyBlock, [name, id]) => {
                let (table, indexes) = self.blockchain_table(name)?;
                let block_id = block_id_arg(id)?;
                match verify_block(txn, &table, &indexes, block_id)? {
                    Some(findings) => Ok(Value::Bool(findings.is_empty())),
                    None => Err(no_block(&table.name, block_id)),
                }
            }
            (LedgerFunc::Seal, [name]) => {
                let (table, _) = self.blockchain_table(name)?;
                let Some(tip) = read_tip(txn, table.id)? else {
                    return Err(Error::corrupted(
                        format!("table \"{}\"", table.name),
                        "chain tip missing",
                    ));
                };
                let pending = tip.pending() + txn.chain_appended(table.id).len() as u64;
                if pending == 0 {
                    return Ok(Value::Null);
                }
                let block_size = u64::from(tip.block_size.max(1));
                let target = tip.last_block_id + pending.div_ceil(block_size);
                self.seals.push((table.id, target));
                Ok(Value::Int8(target as i64))
            }
            (LedgerFunc::Proof, [name, id, index]) => {
                let (table, _) = self.blockchain_table(name)?;
                let block_id = block_id_arg(id)?;
                let Value::Int8(row_index) = index else {
                    return Err(Error::bug("row index argument is not bigint"));
                };
                let header = match read_header(txn, table.id, block_id)? {
                    Some(decoded) => decoded?.0,
                    None => return Err(no_block(&table.name, block_id)),
                };
                let body = read_body(txn, table.id, block_id)?.unwrap_or_default();
                let proof = match u64::try_from(*row_index) {
                    Ok(i) if !body.is_empty() => InclusionProof::for_row(&header, &body, i)?,
                    _ => None,
                };
                match proof {
                    Some(p) => Ok(Value::Text(p.to_json())),
                    None => Err(Error::sql(
                        sqlstate::INVALID_PARAMETER_VALUE,
                        format!(
                            "block {block_id} of blockchain table \"{}\" has no row {row_index}",
                            table.name
                        ),
                    )),
                }
            }
            (LedgerFunc::VerifyProof, [Value::Text(text)]) => {
                Ok(Value::Bool(InclusionProof::from_json(text)?.verify().is_ok()))
            }
            _ => Err(Error::bug(format!("{func:?} called with {} arguments", args.len()))),
        }
    }

    pub(super) fn ledger_table_function(&mut self, txn: &Txn, func: TableFunc, args: &[Value]) -> Result<Vec<Row>> {
        let [name] = args else {
            return Err(Error::bug("blockchain table function without its argument"));
        };
        if name.is_null() {
            return Ok(Vec::new());
        }
        let (table, indexes) = self.blockchain_table(name)?;
        match func {
            TableFunc::BlockchainMetadata => {
                let mut rows = Vec::new();
                for (_, decoded) in read_headers(txn, table.id)? {
                    let (h, stored_hash) = decoded?;
                    rows.push(vec![
                        Value::Int8(h.block_id as i64),
                        Value::Text(to_hex(&stored_hash)),
                        Value::Text(to_hex(&h.prev_block_hash)),
                        Value::Text(to_hex(&h.merkle_root)),
                        Value::Int8(h.row_count as i64),
                        micros_value(h.timestamp),
                        Value::Int8(h.nonce as i64),
                        Value::Text(h.block_type.name().to_string()),
                        Value::Int4(0),
                    ]);
                }
                Ok(rows)
            }
            TableFunc::BlockchainTamperReport => Ok(findings(txn, &table, &indexes)?
                .into_iter()
                .map(|f| {
                    vec![
                        f.block_id.map_or(Value::Null, |id| Value::Int8(id as i64)),
                        Value::Text(f.kind.name().to_string()),
                        Value::Text(f.detail),
                    ]
                })
                .collect()),
            _ => Err(Error::bug("not a blockchain table function")),
        }
    }
}

/// Findings about a table's chain as this transaction sees it: rows it appended but has not
/// committed are not chained yet, so they are left out of the row comparison.
fn findings(txn: &Txn, table: &TableDef, indexes: &[IndexDef]) -> Result<Vec<Finding>> {
    let own: Vec<_> = txn
        .chain_appended(table.id)
        .iter()
        .filter_map(|key| txn.get(key).transpose())
        .map(|bytes| bytes.map(|b| leaf_hash(&b)))
        .collect::<Result<_>>()?;
    verify_chain(txn, table, indexes, &own)
}

fn block_id_arg(v: &Value) -> Result<u64> {
    match v {
        Value::Int8(n) => Ok(u64::try_from(*n).unwrap_or(u64::MAX)),
        _ => Err(Error::bug("block id argument is not bigint")),
    }
}

fn no_block(table: &str, block_id: u64) -> Error {
    Error::sql(
        sqlstate::INVALID_PARAMETER_VALUE,
        format!("block {block_id} of blockchain table \"{table}\" does not exist"),
    )
}

fn micros_value(us: i64) -> Value {
    match DateTime::<Utc>::from_timestamp_micros(us) {
        Some(t) => Value::TimestampTz(t),
        None => Value::Null,
    }
}
