//! The SQL functions over blockchain tables: `verify_blockchain`, `verify_blockchain_block`,
//! `seal_blockchain_block`, `blockchain_proof`, `verify_blockchain_proof`, and the table
//! functions `blockchain_metadata` and `blockchain_tamper_report`. They read the chain
//! through the statement's transaction (under its read gate, so one consistent state) with
//! `ledger::chain` and `ledger::audit`; tampering makes verification return false or list
//! findings, never fail.
//!
//! Privileges: reading functions need SELECT on the table, `seal_blockchain_block` INSERT,
//! checked when they run (their table is a value, invisible to the binder's check).
//!
//! `seal_blockchain_block` is transactional: it returns the id of the block that will hold
//! every row pending at the call (the chain's pending rows plus the rows this transaction
//! appends) and asks the transaction to seal up to that block when it commits, which in
//! autocommit is right after the statement. NULL when nothing is pending.

use std::collections::hash_map::Entry;

use chrono::{DateTime, Utc};

use crate::catalog::{Access, IndexDef, Privileges, TableDef};
use crate::error::{sqlstate, Error, Result};
use crate::ledger::audit::{verify_block, verify_chain};
use crate::ledger::chain::{read_body, read_header, read_headers, read_tip, stored_row, StoredRow};
use crate::ledger::digest::Digest;
use crate::ledger::hex::to_hex;
use crate::ledger::rows::{for_each_chained, ChainRows, Place};
use crate::ledger::signature::table_oid;
use crate::ledger::verify::Finding;
use crate::ledger::InclusionProof;
use crate::plan::{Expr, LedgerFunc, TableFunc};
use crate::storage::row::{decode_columns, decode_row};
use crate::storage::Txn;
use crate::types::{Row, Value};

use super::Executor;

/// The hidden columns `_block_id` and `_row_index` of a row at `place` (`None`: not
/// committed yet).
fn hidden_columns(place: Option<Place>) -> [Value; 2] {
    match place {
        Some(Place::Sealed { block_id, index }) => [Value::Int8(block_id as i64), Value::Int8(index as i64)],
        Some(Place::Pending { index }) => [Value::Null, Value::Int8(index as i64)],
        None => [Value::Null, Value::Null],
    }
}

impl Executor<'_> {
    /// Decodes a stored row of `table` into a scan row: its columns, then for a blockchain
    /// table the hidden `_block_id` and `_row_index`. A committed blockchain row's 0x10 value
    /// is its seq: its bytes are read from the chain.
    pub(super) fn decode_stored(&mut self, txn: &Txn, table: &TableDef, stored: &[u8]) -> Result<Row> {
        if !table.is_blockchain() {
            return decode_row(stored);
        }
        let (mut row, place) = match stored_row(stored)? {
            StoredRow::Uncommitted(bytes) => (decode_row(bytes)?, None),
            StoredRow::Chained(seq) => {
                let chain = match self.chain_rows.entry(table.id) {
                    Entry::Occupied(e) => e.into_mut(),
                    Entry::Vacant(e) => {
                        crate::ledger::at_rest::check_access(txn.store(), table)?;
                        e.insert(ChainRows::load(txn, table.id, self.chain_cache)?)
                    }
                };
                (chain.with_row(txn, seq, decode_row)?, chain.place(seq))
            }
        };
        row.extend(hidden_columns(place));
        Ok(row)
    }

    /// A full scan of a blockchain table in chain order (sealed blocks, pending rows, then the
    /// rows this transaction inserted): one read per block instead of one per row. `wanted`:
    /// the columns `filter` reads, decoded first so rejected rows are not decoded whole.
    pub(super) fn scan_chain(
        &mut self,
        txn: &Txn,
        table: &TableDef,
        filter: Option<&Expr>,
        wanted: Option<&[bool]>,
        cap: usize,
        out: &mut Vec<Row>,
    ) -> Result<()> {
        let mut visit = |this: &mut Self, place: Option<Place>, bytes: &[u8]| -> Result<bool> {
            this.tick()?;
            if let (Some(wanted), Some(f)) = (wanted, filter) {
                if !this.eval_predicate(txn, f, &decode_columns(bytes, wanted)?)? {
                    return Ok(true);
                }
            }
            let mut row = decode_row(bytes)?;
            row.extend(hidden_columns(place));
            if wanted.is_none() {
                if let Some(f) = filter {
                    if !this.eval_predicate(txn, f, &row)? {
                        return Ok(true);
                    }
                }
            }
            out.push(row);
            Ok(out.len() < cap)
        };
        let mut more = true;
        crate::ledger::at_rest::check_access(txn.store(), table)?;
        for_each_chained(txn, table.id, |place, bytes| {
            more = visit(self, Some(place), bytes)?;
            Ok(more)
        })?;
        for key in txn.chain_appended(table.id).to_vec() {
            if !more {
                break;
            }
            let Some(stored) = txn.get(&key)? else { continue };
            if let StoredRow::Uncommitted(bytes) = stored_row(&stored)? {
                more = visit(self, None, bytes)?;
            }
        }
        Ok(())
    }

    /// The blockchain table named by a function's text argument: 42P01 when no such
    /// relation, 42809 when it is not a blockchain table.
    ///
    /// The statement's role needs `privilege` on the table (42501 otherwise): the table is
    /// named by a value, so the binder's per-statement check cannot see it.
    pub(super) fn blockchain_table(&self, name: &Value, privilege: Privileges) -> Result<(TableDef, Vec<IndexDef>)> {
        let Value::Text(name) = name else {
            return Err(Error::bug("blockchain function called without a table name"));
        };
        let table = self
            .catalog
            .table(name)
            .or_else(|| self.catalog.table(&name.to_lowercase()))
            .ok_or_else(|| Error::undefined_table(name))?;
        if let Some(user) = self.functions.user {
            let access = Access {
                relation: table.id,
                name: table.name.clone(),
                is_view: false,
                privileges: privilege,
                checked_as: None,
            };
            self.catalog.check_accesses(user, &[access])?;
        }
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
                let (table, indexes) = self.blockchain_table(name, Privileges::SELECT)?;
                Ok(Value::Bool(intact(txn, &table, &indexes)?))
            }
            (LedgerFunc::Digest, [name]) => {
                let (table, _) = self.blockchain_table(name, Privileges::SELECT)?;
                let key = self.identity.ok_or_else(|| {
                    Error::sql(
                        sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE,
                        "this database has no usable identity key to sign digests with (see the server log)",
                    )
                })?;
                let tip = read_tip(txn, table.id)?
                    .ok_or_else(|| Error::corrupted(format!("table \"{}\"", table.name), "chain tip missing"))?;
                // The hash as stored: a digest of a block altered since would not verify anyway.
                let hash = match read_header(txn, table.id, tip.last_block_id)? {
                    Some(Ok((_, stored))) => stored,
                    _ => return Err(no_block(&table.name, tip.last_block_id)),
                };
                let digest = Digest::sign(
                    &table.name,
                    table_oid(table.id),
                    tip.last_block_id,
                    hash,
                    self.functions.statement_start.timestamp_micros(),
                    key,
                );
                Ok(Value::Text(digest.to_json()))
            }
            (LedgerFunc::VerifyDigest, [name, Value::Text(text)]) => {
                let (table, indexes) = self.blockchain_table(name, Privileges::SELECT)?;
                let digest = Digest::from_json(text)?;
                if digest.table != table.name || digest.table_oid != table_oid(table.id) {
                    return Err(Error::sql(
                        sqlstate::INVALID_PARAMETER_VALUE,
                        format!(
                            "the digest is of table \"{}\" (oid {}), not of \"{}\"",
                            digest.table, digest.table_oid, table.name
                        ),
                    ));
                }
                // The digest must be this database's, unaltered, and the chain must still hold
                // its block with its hash — recomputed, not only as stored — and verify.
                let ours = self.identity.is_some_and(|k| k.public_key() == digest.public_key);
                // A block purged since is held by the anchor that replaced it, which keeps its
                // hash (and verification checks the anchor).
                let holds = match read_header(txn, table.id, digest.block_id)? {
                    Some(Ok((header, _))) if header.block_type == crate::ledger::BlockType::Anchor => {
                        super::purge::anchored_hash(txn, &table, digest.block_id)? == Some(digest.block_hash)
                    }
                    Some(Ok((header, stored))) => stored == digest.block_hash && header.hash() == digest.block_hash,
                    None => super::purge::anchored_hash(txn, &table, digest.block_id)? == Some(digest.block_hash),
                    _ => false,
                };
                Ok(Value::Bool(
                    ours && digest.signature_holds() && holds && intact(txn, &table, &indexes)?,
                ))
            }
            (LedgerFunc::VerifyBlock, [name, id]) => {
                let (table, indexes) = self.blockchain_table(name, Privileges::SELECT)?;
                let block_id = block_id_arg(id)?;
                match verify_block(txn, &table, &indexes, block_id)? {
                    Some(findings) => {
                        let signatures = crate::ledger::signature::check_signatures(txn, &table, 0, i64::MAX)?;
                        let forged = signatures
                            .iter()
                            .any(|f| f.block_id == Some(block_id) && f.kind.is_tampering());
                        Ok(Value::Bool(findings.is_empty() && !forged))
                    }
                    None => Err(no_block(&table.name, block_id)),
                }
            }
            (LedgerFunc::Seal, [name]) => {
                let (table, _) = self.blockchain_table(name, Privileges::INSERT)?;
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
                let (table, _) = self.blockchain_table(name, Privileges::SELECT)?;
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
            (LedgerFunc::Sign, _) => self.sign_block(txn, args),
            (LedgerFunc::Purge, _) => self.purge_by_policy(txn, args),
            (LedgerFunc::PurgeBlocks, _) => self.purge_on_request(txn, args),
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
        let (table, indexes) = self.blockchain_table(name, Privileges::SELECT)?;
        match func {
            TableFunc::BlockchainMetadata => {
                let mut rows = Vec::new();
                let signed = crate::ledger::signature::tally(txn, &table)?;
                for (_, decoded) in read_headers(txn, table.id)? {
                    let (h, stored_hash) = decoded?;
                    let signatures = signed.get(&h.block_id).copied().unwrap_or(0);
                    rows.push(vec![
                        Value::Int8(h.block_id as i64),
                        Value::Text(to_hex(&stored_hash)),
                        Value::Text(to_hex(&h.prev_block_hash)),
                        Value::Text(to_hex(&h.merkle_root)),
                        Value::Int8(h.row_count as i64),
                        micros_value(h.timestamp),
                        Value::Int8(h.nonce as i64),
                        Value::Text(h.block_type.name().to_string()),
                        Value::Int4(i32::try_from(signatures).unwrap_or(i32::MAX)),
                        Value::Bool(crate::ledger::signature::is_confirmed(&table, signatures)),
                    ]);
                }
                Ok(rows)
            }
            TableFunc::BlockchainPurgeLog => self.purge_log_rows(txn, &table),
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
    let mut findings = verify_chain(txn, table, indexes, txn.chain_appended(table.id))?;
    let seal_interval = read_tip(txn, table.id)?.map_or(0, |t| t.seal_interval);
    findings.extend(crate::ledger::signature::check_signatures(
        txn,
        table,
        crate::ledger::chain::now_micros(),
        seal_interval,
    )?);
    Ok(findings)
}

/// Whether the chain verifies: no finding is tampering (blocks still awaiting signatures are
/// not).
fn intact(txn: &Txn, table: &TableDef, indexes: &[IndexDef]) -> Result<bool> {
    Ok(!findings(txn, table, indexes)?.iter().any(|f| f.kind.is_tampering()))
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

/// A stored µs-since-the-epoch time as `timestamptz` (NULL when out of range).
pub(super) fn micros_value(us: i64) -> Value {
    match DateTime::<Utc>::from_timestamp_micros(us) {
        Some(t) => Value::TimestampTz(t),
        None => Value::Null,
    }
}
