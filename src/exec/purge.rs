//! Purging sealed blocks of a blockchain table: `purge_blockchain('t' [, as_of])` applies the
//! table's policy (`ledger::purge`), `purge_blockchain_blocks('t', first, last, 'reason')`
//! erases a range on request, and `blockchain_purge_log('t')` lists what anchors record.
//!
//! A purge is decided while the statement runs (the functions read the chain through the
//! statement's shared view) and applied when it ends (`finish_purges`), in the statement's
//! transaction, so it commits atomically with its audit record — a crash leaves either the old
//! chain or the anchored one. Applying one run of blocks `a..=b`:
//!
//! 1. refuse unless the whole chain verifies now: a purge must never launder tampering;
//! 2. delete the 0x10 entries (and index entries) of the rows those blocks hold, hashing the
//!    rows for the audit chain as any DELETE does;
//! 3. delete the blocks' headers, bodies and signatures;
//! 4. write the anchor (`ledger::anchor`) under block id `b`, linked to the block before `a`
//!    and to the previous purge's anchor;
//! 5. mark the chain purged so the commit clears the shared chain cache;
//! 6. rewrite the table's purge count, expecting the value read before step 1's anchors were:
//!    of two purges of one table that overlap in time (a user's and the background one), only
//!    one commits — the other gets 40001 — so no purge id is used twice.
//!
//! Privileges: either function needs DELETE on the table (superusers, owners, roles granted
//! it); `as_of` — an injected clock for policies that look at time — is for superusers only.
//! Policy purges are recorded as authorized by `system`, erasures by the current role.

use std::sync::Arc;

use crate::catalog::{IndexDef, Privileges, TableDef};
use crate::error::{sqlstate, Error, Result};
use crate::ledger::anchor::AnchorRecord;
use crate::ledger::block::{fresh_nonce, BlockHeader, BlockType};
use crate::ledger::chain::{now_micros, read_body, read_headers, read_tip, stored_row, StoredRow};
use crate::ledger::merkle::Hash;
use crate::ledger::purge::{canonical, runs, select, BlockInfo, Policy};
use crate::storage::keys::{chain_key, purge_count_key, table_prefix, BLOCK_BODY_TAG, BLOCK_HEADER_TAG, SIGNATURE_TAG};
use crate::storage::row::decode_row;
use crate::storage::Conflict;
use crate::storage::Txn;
use crate::types::{Row, Value};

use super::Executor;

/// A purge decided during the statement, applied at its end.
pub(super) struct PlannedPurge {
    table: Arc<TableDef>,
    indexes: Vec<Arc<IndexDef>>,
    runs: Vec<(u64, u64)>,
    reason: String,
    authorized_by: String,
}

/// A table's stored headers with their stored hashes, in id order.
type Headers = Vec<(BlockHeader, Hash)>;

fn headers(txn: &Txn, table_id: u32) -> Result<Headers> {
    read_headers(txn, table_id)?
        .into_iter()
        .map(|(_, decoded)| decoded)
        .collect()
}

impl Executor<'_> {
    fn purge_target(&self, name: &Value) -> Result<(Arc<TableDef>, Vec<Arc<IndexDef>>, Policy)> {
        let (table, _) = self.blockchain_table(name, Privileges::DELETE)?;
        let policy = Policy::of(
            table
                .blockchain_options()
                .ok_or_else(|| Error::bug("blockchain table without options"))?,
        )?;
        let indexes = self.catalog.table_indexes(table.id);
        Ok((Arc::new(table), indexes, policy))
    }

    fn already_planned(&self, table: &TableDef) -> Result<()> {
        if self.purges.iter().any(|p| p.table.id == table.id) {
            return Err(Error::sql(
                sqlstate::FEATURE_NOT_SUPPORTED,
                format!("table \"{}\" is purged twice in one statement", table.name),
            ));
        }
        Ok(())
    }

    /// `purge_blockchain(table [, as_of])`: the number of blocks the table's policy purges now.
    pub(super) fn purge_by_policy(&mut self, txn: &Txn, args: &[Value]) -> Result<Value> {
        let (name, as_of) = match args {
            [name] => (name, None),
            [name, Value::TimestampTz(at)] => (name, Some(at.timestamp_micros())),
            _ => return Err(Error::bug("purge_blockchain called with other arguments")),
        };
        if as_of.is_some() {
            if let Some(user) = self.functions.user {
                crate::catalog::privilege::require_superuser(self.catalog, user, "purge as of another time")?;
            }
        }
        let (table, indexes, policy) = self.purge_target(name)?;
        self.already_planned(&table)?;
        let now = as_of.unwrap_or_else(now_micros);
        // Only SIZE_BASED needs what each block weighs: the others read no body.
        let blocks = block_infos(txn, &table, matches!(policy, Policy::MaxSize(_)))?;
        let selected = match &policy {
            Policy::Custom(expr) => self.custom_selection(txn, &table.name, expr)?,
            Policy::OlderThan { period, .. } => {
                let cutoff = crate::types::datetime::sub_interval(micros_to_naive(now)?, period)
                    .map(|t| t.and_utc().timestamp_micros())
                    .unwrap_or(i64::MIN);
                select(&policy, &blocks, Some(cutoff))
            }
            _ => select(&policy, &blocks, None),
        };
        let runs = runs(&selected, &blocks);
        let count = runs.iter().map(|(a, b)| b - a + 1).sum::<u64>();
        if !runs.is_empty() {
            // Pending rows are sealed first: in this commit, as the newest block. (A pass that
            // purges nothing seals nothing: sealing by age stays block_seal_interval's.)
            if let Some(tip) = read_tip(txn, table.id)? {
                let pending = tip.pending() + txn.chain_appended(table.id).len() as u64;
                if pending > 0 {
                    let target = tip.last_block_id + pending.div_ceil(u64::from(tip.block_size.max(1)));
                    self.seals.push((table.id, target));
                }
            }
            let reason = canonical(table.blockchain_options().map_or("none", |o| o.purge_policy.as_str())).to_string();
            self.purges.push(PlannedPurge {
                table,
                indexes,
                runs,
                reason,
                authorized_by: "system".into(),
            });
        }
        Ok(Value::Int8(count as i64))
    }

    /// `purge_blockchain_blocks(table, first, last, reason)`: erases blocks `first..=last` on
    /// request, where the policy allows erasure; the number of blocks purged.
    pub(super) fn purge_on_request(&mut self, txn: &Txn, args: &[Value]) -> Result<Value> {
        let [name, Value::Int8(first), Value::Int8(last), Value::Text(reason)] = args else {
            return Err(Error::bug("purge_blockchain_blocks called with other arguments"));
        };
        let (table, indexes, policy) = self.purge_target(name)?;
        self.already_planned(&table)?;
        if !policy.allows_erasure() {
            return Err(Error::sql(
                sqlstate::INSUFFICIENT_PRIVILEGE,
                format!("the purge policy of \"{}\" does not allow erasure on request", table.name),
            )
            .with_hint(
                "Erasure needs purge_policy = 'COMPLIANCE_BASED' with \"gdpr_right_to_erasure\": true, or purge_policy = 'manual'.",
            ));
        }
        let invalid = |message: String| Error::sql(sqlstate::INVALID_PARAMETER_VALUE, message);
        if *first < 1 || last < first {
            return Err(invalid(format!(
                "invalid block range [{first}, {last}]: the genesis (block 0) is never purged"
            )));
        }
        if reason.trim().is_empty() {
            return Err(invalid("a purge needs a reason".into()));
        }
        let blocks = block_infos(txn, &table, false)?;
        let (first, last) = (*first as u64, *last as u64);
        let mut selected = Vec::new();
        for id in first..=last {
            match blocks
                .iter()
                .find(|b| b.header.block_id == id)
                .map(|b| b.header.block_type)
            {
                Some(BlockType::Data) => selected.push(id),
                Some(_) => {
                    return Err(invalid(format!("block {id} of \"{}\" is not a data block", table.name)));
                }
                None => {
                    return Err(invalid(format!(
                        "block {id} of \"{}\" is not stored (purged already, or not sealed)",
                        table.name
                    )))
                }
            }
        }
        let runs = runs(&selected, &blocks);
        let authorized_by = self
            .functions
            .user
            .map_or_else(|| "system".to_string(), |u| self.catalog.role_name(u));
        self.purges.push(PlannedPurge {
            table,
            indexes,
            runs,
            reason: reason.trim().to_string(),
            authorized_by,
        });
        Ok(Value::Int8((last - first + 1) as i64))
    }

    /// The data blocks a `CUSTOM` policy's expression selects, by running it over the table's
    /// `blockchain_metadata` rows.
    fn custom_selection(&mut self, txn: &Txn, table: &str, expr: &str) -> Result<Vec<u64>> {
        let mut statements = crate::sql::parse(&custom_query(table, expr))?;
        let (Some(statement), None) = (statements.pop(), statements.pop()) else {
            return Err(Error::sql(
                sqlstate::INVALID_PARAMETER_VALUE,
                "purge_function must be one expression",
            ));
        };
        let mut binder = crate::plan::binder::Binder::new(self.catalog, &[]);
        let crate::plan::BoundStatement::Query(query) = binder.bind_statement(&statement)? else {
            return Err(Error::bug("the purge query is not a query"));
        };
        let rows = self.query(txn, &query.plan)?;
        let mut ids: Vec<u64> = rows
            .iter()
            .filter_map(|r| match r.first() {
                Some(Value::Int8(id)) => u64::try_from(*id).ok(),
                _ => None,
            })
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }

    /// Applies the purges the statement decided; returns each purged table's id.
    pub fn finish_purges(&mut self, txn: &mut Txn) -> Result<Vec<u32>> {
        let mut tables = Vec::new();
        for purge in std::mem::take(&mut self.purges) {
            apply(txn, &purge)?;
            tables.push(purge.table.id);
        }
        Ok(tables)
    }

    /// `blockchain_purge_log(table)`: one row per anchor, in purge order.
    pub(super) fn purge_log_rows(&self, txn: &Txn, table: &TableDef) -> Result<Vec<Row>> {
        let mut anchors = anchors(txn, table)?;
        anchors.sort_by_key(|(record, _, _)| record.purge_id);
        Ok(anchors
            .into_iter()
            .map(|(r, _, hash)| {
                vec![
                    Value::Int8(r.purge_id as i64),
                    Value::Text(format!("[{}, {}]", r.first_block, r.last_block)),
                    Value::Text(r.reason),
                    super::ledger::micros_value(r.timestamp),
                    Value::Text(r.authorized_by),
                    Value::Int8(r.purged_rows as i64),
                    Value::Int8(r.last_block as i64),
                    Value::Text(crate::ledger::hex::to_hex(&hash)),
                ]
            })
            .collect())
    }
}

/// The query a `CUSTOM` policy's expression runs in.
pub fn custom_query(table: &str, expr: &str) -> String {
    format!(
        "SELECT block_id FROM blockchain_metadata({}) WHERE block_type = 'data' AND ({expr})",
        crate::types::quote::quote_literal(table)
    )
}

fn micros_to_naive(micros: i64) -> Result<chrono::NaiveDateTime> {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.naive_utc())
        .ok_or_else(|| Error::sql(sqlstate::DATETIME_FIELD_OVERFLOW, "timestamp out of range"))
}

/// Every stored block, with its stored size when `sizes` (else 0), plus the block the pending
/// rows will form.
fn block_infos(txn: &Txn, table: &TableDef, sizes: bool) -> Result<Vec<BlockInfo>> {
    let mut out = Vec::new();
    for (header, _) in headers(txn, table.id)? {
        let body = match header.block_type {
            BlockType::Genesis => 0,
            _ if !sizes => 0,
            // As stored: a compressed table's bodies count at their compressed size.
            _ => txn
                .get(&chain_key(BLOCK_BODY_TAG, table.id, header.block_id))?
                .map_or(0, |b| b.len() as u64),
        };
        out.push(BlockInfo {
            stored_bytes: body + crate::ledger::block::HEADER_LEN as u64,
            header,
            pending: false,
        });
    }
    if let Some(tip) = read_tip(txn, table.id)? {
        if tip.pending() > 0 {
            // Never purged (it is the newest), but it counts against COUNT_BASED's N.
            let mut header = BlockHeader::genesis([0; 32], now_micros(), 0);
            header.block_type = BlockType::Data;
            header.block_id = tip.last_block_id + 1;
            header.timestamp = i64::MAX;
            header.row_count = tip.pending();
            out.push(BlockInfo {
                header,
                stored_bytes: 0,
                pending: true,
            });
        }
    }
    Ok(out)
}

/// The hash of block `block_id` as the anchor that purged it keeps it, if one did.
pub(super) fn anchored_hash(txn: &Txn, table: &TableDef, block_id: u64) -> Result<Option<Hash>> {
    Ok(anchors(txn, table)?.into_iter().find_map(|(r, _, _)| {
        let offset = block_id
            .checked_sub(r.first_block)
            .filter(|_| block_id <= r.last_block)?;
        r.purged_hashes.get(usize::try_from(offset).ok()?).copied()
    }))
}

/// Every anchor of `table`: its record, its header, its stored hash.
fn anchors(txn: &Txn, table: &TableDef) -> Result<Vec<(AnchorRecord, BlockHeader, Hash)>> {
    let mut out = Vec::new();
    for (header, hash) in headers(txn, table.id)? {
        if header.block_type != BlockType::Anchor {
            continue;
        }
        let body = read_body(txn, table.id, header.block_id)?.ok_or_else(|| {
            Error::corrupted(
                format!("anchor block {} of table \"{}\"", header.block_id, table.name),
                "its record is missing",
            )
        })?;
        out.push((AnchorRecord::decode(&body)?, header, hash));
    }
    Ok(out)
}

fn refuse(table: &TableDef, why: String) -> Error {
    Error::sql(
        sqlstate::DATA_CORRUPTED,
        format!("refusing to purge \"{}\": {why}", table.name),
    )
    .with_hint("Check the chain with blockchain_tamper_report; a purge never removes evidence of tampering.")
}

fn apply(txn: &mut Txn, purge: &PlannedPurge) -> Result<()> {
    let table = purge.table.as_ref();
    let index_defs: Vec<IndexDef> = purge.indexes.iter().map(|i| i.as_ref().clone()).collect();
    let findings = crate::ledger::audit::verify_chain(txn, table, &index_defs, txn.chain_appended(table.id))?;
    if let Some(f) = findings.iter().find(|f| f.kind.is_tampering()) {
        return Err(refuse(
            table,
            format!("its chain does not verify ({}: {})", f.kind.name(), f.detail),
        ));
    }
    // Claimed before the anchors are read: a purge of this table committing meanwhile makes
    // this one fail at commit (40001) rather than write a second anchor with the same id.
    let count_key = purge_count_key(table.id);
    let counted = txn.get(&count_key)?;
    txn.put(count_key.clone(), counted.unwrap_or_default(), Conflict::Unchanged)?;
    let mut anchors = anchors(txn, table)?;
    let first_purge = anchors.iter().map(|(r, _, _)| r.purge_id).max().unwrap_or(0) + 1;
    let mut last_anchor_hash = anchors
        .iter()
        .find(|(r, _, _)| r.purge_id + 1 == first_purge)
        .map_or([0; 32], |(_, _, h)| *h);
    for (purge_id, &(first, last)) in (first_purge..).zip(&purge.runs) {
        let all = headers(txn, table.id)?;
        let Some(at) = all.iter().position(|(h, _)| h.block_id == first) else {
            return Err(refuse(table, format!("block {first} is not stored")));
        };
        let prev_hash = match at.checked_sub(1).and_then(|i| all.get(i)) {
            Some((h, _)) if h.block_type == BlockType::Anchor => anchors
                .iter()
                .find(|(_, ah, _)| ah.block_id == h.block_id)
                .map(|(r, _, _)| r.last_purged_hash)
                .ok_or_else(|| refuse(table, format!("the anchor before block {first} is unreadable")))?,
            Some((_, stored)) => *stored,
            None => return Err(refuse(table, format!("no block precedes block {first}"))),
        };
        let first_seq: u64 = all.iter().take(at).map(|(h, _)| h.row_count).sum();
        let mut rows: Vec<Vec<u8>> = Vec::new();
        let mut hashes = Vec::new();
        for (h, stored) in all.iter().skip(at).take_while(|(h, _)| h.block_id <= last) {
            if h.block_type != BlockType::Data {
                return Err(refuse(table, format!("block {} is not a data block", h.block_id)));
            }
            let body = read_body(txn, table.id, h.block_id)?
                .ok_or_else(|| refuse(table, format!("the rows of block {} are missing", h.block_id)))?;
            for row in crate::ledger::body::body_rows(&body)? {
                rows.push(row.to_vec());
            }
            hashes.push(*stored);
        }
        if hashes.len() as u64 != last - first + 1 {
            return Err(refuse(table, format!("blocks {first} to {last} are not all stored")));
        }
        let end_seq = first_seq + rows.len() as u64;
        // The rows' entries: found by their seq (a table without a primary key keys rows by id).
        let mut doomed: Vec<(Vec<u8>, Row)> = Vec::new();
        for item in txn.scan_prefix(&table_prefix(table.id))? {
            let (key, stored) = item?;
            if let StoredRow::Chained(seq) = stored_row(&stored)? {
                if (first_seq..end_seq).contains(&seq) {
                    let bytes = rows
                        .get((seq - first_seq) as usize)
                        .ok_or_else(|| Error::bug("a purged row outside its blocks"))?;
                    doomed.push((key, decode_row(bytes)?));
                }
            }
        }
        if doomed.len() != rows.len() {
            return Err(refuse(
                table,
                format!(
                    "{} rows are stored in blocks {first} to {last}, {} entries point at them",
                    rows.len(),
                    doomed.len()
                ),
            ));
        }
        for (key, row) in &doomed {
            super::table::delete_row(txn, table, &purge.indexes, key, row)?;
        }
        for id in first..=last {
            txn.delete(chain_key(BLOCK_HEADER_TAG, table.id, id))?;
            txn.delete(chain_key(BLOCK_BODY_TAG, table.id, id))?;
            let signatures: Vec<Vec<u8>> = txn
                .scan_prefix(&chain_key(SIGNATURE_TAG, table.id, id))?
                .map(|item| item.map(|(k, _)| k))
                .collect::<Result<_>>()?;
            for key in signatures {
                txn.delete(key)?;
            }
        }
        let record = AnchorRecord {
            purge_id,
            first_block: first,
            last_block: last,
            purged_rows: rows.len() as u64,
            prev_hash,
            last_purged_hash: *hashes.last().ok_or_else(|| Error::bug("an empty purge run"))?,
            prev_anchor_hash: last_anchor_hash,
            timestamp: now_micros(),
            reason: purge.reason.clone(),
            authorized_by: purge.authorized_by.clone(),
            purged_hashes: hashes,
        };
        let bytes = record.encode();
        let header = record.header(&bytes, fresh_nonce()?);
        let hash = header.hash();
        txn.put(
            chain_key(BLOCK_HEADER_TAG, table.id, last),
            header.encode().to_vec(),
            Conflict::None,
        )?;
        // Stored as the table's bodies are (compressed, encrypted: ledger::at_rest).
        let body_key = chain_key(BLOCK_BODY_TAG, table.id, last);
        let stored = crate::ledger::at_rest::Codec::load(txn, table.id)?.seal_body(&body_key, bytes)?;
        txn.put(body_key, stored, Conflict::None)?;
        last_anchor_hash = hash;
        anchors.push((record, header, hash));
    }
    let purges = anchors.iter().map(|(r, _, _)| r.purge_id).max().unwrap_or(0);
    txn.put(count_key, purges.to_be_bytes().to_vec(), Conflict::Unchanged)?;
    txn.chain_purged(table.id);
    Ok(())
}
