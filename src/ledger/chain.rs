//! A blockchain table's chain in storage: the genesis written by CREATE, pending rows appended
//! at commit, blocks sealed from them, all under the keys of `storage::keys` (0x20..0x23).
//!
//! # How a row joins the chain
//!
//! INSERT/COPY write the row under its ordinary key (0x10, so uniqueness, indexes and the
//! transaction's own reads work as on any table) as its canonical bytes followed by the
//! `UNCOMMITTED` marker, and call `Txn::chain_append(table_id, row_key)`. When the transaction
//! commits, [`LedgerHook`] runs under the store's commit gate (see `storage::ChainHook`): it
//! reads the tip, gives each appended row the next sequence number (seq), hashes its bytes
//! (its leaf) and the running hash, replaces its 0x10 value by the seq alone, and seals a
//! block as soon as `block_size` rows are pending; the rows the commit leaves pending are
//! written as one batch — all in the transaction's own atomic batch. Concurrent inserters
//! therefore never conflict with each other, produce one linear chain, and a rolled-back
//! transaction leaves nothing. Because a seal happens in the batch that brings the pending
//! count to `block_size`, fewer than `block_size` rows are ever pending after a commit, and
//! every seal takes all pending rows: the running hashes of the rows left pending never need
//! rewriting.
//!
//! Sealing on request (`seal_blockchain_block`) and by age (the background sealer) go
//! through the same hook: the transaction records `Txn::chain_seal(table_id, target)` and the
//! hook seals, at commit, while the last block id is below `target` and rows are pending.
//!
//! # Rows are stored once, in the chain (chain format version 2)
//!
//! Version 1 kept every row twice, under its 0x10 key and in its pending entry or block body,
//! and one pending entry per row: three sled writes per row (four with the entry's delete at
//! seal) and a verification that hashed every row twice. sled's per-key cost bounded ingest
//! and made a 1000-row seal delete 1000 keys. Now the chain is the only copy of a row's bytes:
//! a committed 0x10 value is the row's seq (8 bytes), a commit leaves at most one pending
//! batch, and a seal reads the few batches, writes one body and one header and removes the
//! batches. Reads go through the seq (`ledger::rows`): a full scan walks bodies and batches
//! in chain order (the order PostgreSQL's heap returns: insertion order); lookups by key
//! follow the 0x10 entry's seq into its body. Whatever SELECT returns is therefore exactly
//! what the Merkle roots cover; verification still checks that the 0x10 entries point at
//! every chained row once, and (with a primary key) at the row whose key they are.
//!
//! ```text
//! row (0x10 table key):            row_bytes ++ UNCOMMITTED u64 LE   while its transaction is open
//!                                  seq u64 LE                        once committed
//! pending batch (0x22 table seq):  PENDING_FORMAT_VERSION (= 1) u8, count u32 LE,
//!                                  then per row, from seq on: leaf[32] running_hash[32]
//!                                  len u32 LE row_bytes[len]
//! tip (0x23 table):
//!   offset size field
//!        0    1 TIP_FORMAT_VERSION (= 1)
//!        1    8 last_block_id u64 LE
//!        9   32 last_block_hash (as computed when it was sealed)
//!       41    8 next_seq u64 LE      sequence number of the next appended row (from 0)
//!       49    8 sealed_seq u64 LE    rows with a lower seq are sealed in blocks
//!       57   32 running_hash         after the last pending row (= last_block_hash if none)
//!       89    8 oldest_pending i64 LE µs since the epoch when the oldest pending row committed
//!       97    4 block_size u32 LE    copied from the table's options at CREATE
//!      101    8 seal_interval i64 LE block_seal_interval in µs (30-day months, 24-hour
//!                                    days), 0 = never by age; copied at CREATE
//!      109      end
//! ```
//!
//! `row_bytes` are the row's canonical bytes (`storage::row`); the leaf and running hash
//! follow `leaf.rs`. For a table compressed or encrypted at rest, block bodies and pending
//! batches are stored in `envelope.rs`'s envelope, sealed and opened through `at_rest::Codec`
//! here and nowhere else; everything above is about the opened bytes.
//!
//! # The hidden columns
//!
//! Rows are sealed in seq order, so the seq alone locates a row: `_block_id` (the sealed
//! block holding the row, NULL while pending or uncommitted) and `_row_index` (its 0-based
//! index in that block; while pending, the index it will have in the next block — exact,
//! because every seal takes all pending rows; NULL while uncommitted). Block size and seal
//! interval are copied into the tip (they cannot change: ALTER is refused) so that
//! commit-time sealing and the background sealer need no catalog. The tip is derived state:
//! verification recomputes everything from blocks and pending batches and reports a tip that
//! disagrees.

use std::sync::Arc;

use crate::catalog::{IndexDef, TableDef};
use crate::error::{sqlstate, Error, Result};
use crate::storage::keys::{
    chain_key, chain_key_item, chain_prefix, prefix_end, BLOCK_BODY_TAG, BLOCK_HEADER_TAG, CHAIN_TIP_TAG, PENDING_TAG,
    SIGNATURE_TAG,
};
use crate::storage::{ChainHook, ChainWork, Conflict, Store, Txn};

use super::at_rest::Codec;
use super::block::{fresh_nonce, BlockHeader};
use super::body::BlockBuilder;
use super::definition::definition_hash;
use super::leaf::running_hash;
use super::merkle::{leaf_hash, Hash};

/// The marker after an uncommitted row's canonical bytes in its 0x10 value.
pub const UNCOMMITTED: u64 = u64::MAX;
/// Length of a committed row's 0x10 value (its seq) and of the uncommitted marker.
pub const POSITION_LEN: usize = 8;

/// A blockchain table's 0x10 value, read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredRow<'a> {
    /// Inserted by the reading transaction, not committed: the row's canonical bytes.
    Uncommitted(&'a [u8]),
    /// Committed: the row's seq; its bytes are in the chain (a block body or a pending batch).
    Chained(u64),
}

/// Reads a blockchain table's 0x10 value: `row_bytes ++ UNCOMMITTED` inside the inserting
/// transaction, `seq u64 LE` once committed.
pub fn stored_row(stored: &[u8]) -> Result<StoredRow<'_>> {
    let Some(at) = stored.len().checked_sub(POSITION_LEN) else {
        return Err(Error::corrupted("blockchain table row", "shorter than its position"));
    };
    let tail = u64::from_le_bytes(array(&stored[at..]));
    match (tail, at) {
        (UNCOMMITTED, _) => Ok(StoredRow::Uncommitted(&stored[..at])),
        (seq, 0) => Ok(StoredRow::Chained(seq)),
        _ => Err(Error::corrupted(
            "blockchain table row",
            "neither a position nor an uncommitted row",
        )),
    }
}

/// The 0x10 value of a row its transaction has inserted and not committed.
pub fn uncommitted_row(row: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(row.len() + POSITION_LEN);
    out.extend_from_slice(row);
    out.extend_from_slice(&UNCOMMITTED.to_le_bytes());
    out
}

/// The 0x10 value of a committed row: its seq.
pub fn chained_row(seq: u64) -> Vec<u8> {
    seq.to_le_bytes().to_vec()
}

/// First byte of a stored tip.
pub const TIP_FORMAT_VERSION: u8 = 1;
/// Length of a stored tip.
pub const TIP_LEN: usize = 109;
/// First byte of a stored pending batch.
pub const PENDING_FORMAT_VERSION: u8 = 1;
/// Bytes of a pending batch before its entries: version, entry count.
const PENDING_BATCH_HEAD: usize = 5;
/// Bytes of a pending entry before the row bytes: leaf, running hash, row length.
const PENDING_ENTRY_HEAD: usize = 68;

/// The chain's tip: where the next row and the next block go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tip {
    pub last_block_id: u64,
    pub last_block_hash: Hash,
    pub next_seq: u64,
    pub sealed_seq: u64,
    pub running_hash: Hash,
    pub oldest_pending: i64,
    pub block_size: u32,
    pub seal_interval: i64,
}

impl Tip {
    /// Rows appended and not yet sealed.
    pub fn pending(&self) -> u64 {
        self.next_seq.saturating_sub(self.sealed_seq)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(TIP_LEN);
        out.push(TIP_FORMAT_VERSION);
        out.extend_from_slice(&self.last_block_id.to_le_bytes());
        out.extend_from_slice(&self.last_block_hash);
        out.extend_from_slice(&self.next_seq.to_le_bytes());
        out.extend_from_slice(&self.sealed_seq.to_le_bytes());
        out.extend_from_slice(&self.running_hash);
        out.extend_from_slice(&self.oldest_pending.to_le_bytes());
        out.extend_from_slice(&self.block_size.to_le_bytes());
        out.extend_from_slice(&self.seal_interval.to_le_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Tip> {
        if bytes.len() != TIP_LEN || bytes.first() != Some(&TIP_FORMAT_VERSION) {
            return Err(Error::corrupted("chain tip", "bad length or format version"));
        }
        let u64_at = |o: usize| u64::from_le_bytes(array(&bytes[o..o + 8]));
        Ok(Tip {
            last_block_id: u64_at(1),
            last_block_hash: array(&bytes[9..41]),
            next_seq: u64_at(41),
            sealed_seq: u64_at(49),
            running_hash: array(&bytes[57..89]),
            oldest_pending: i64::from_le_bytes(array(&bytes[89..97])),
            block_size: u32::from_le_bytes(array(&bytes[97..101])),
            seal_interval: i64::from_le_bytes(array(&bytes[101..109])),
        })
    }
}

fn array<const N: usize>(slice: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(slice);
    out
}

/// One pending row: its seq, stored leaf and running hash, and canonical bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEntry {
    pub seq: u64,
    pub leaf: Hash,
    pub running: Hash,
    pub row: Vec<u8>,
}

/// Encodes the rows one commit left pending as one stored batch (keyed by the first one's seq).
pub fn encode_pending(entries: &[PendingEntry]) -> Vec<u8> {
    let size: usize = entries.iter().map(|e| PENDING_ENTRY_HEAD + e.row.len()).sum();
    let mut out = Vec::with_capacity(PENDING_BATCH_HEAD + size);
    out.push(PENDING_FORMAT_VERSION);
    out.extend_from_slice(&u32::try_from(entries.len()).unwrap_or(u32::MAX).to_le_bytes());
    for e in entries {
        out.extend_from_slice(&e.leaf);
        out.extend_from_slice(&e.running);
        out.extend_from_slice(&u32::try_from(e.row.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(&e.row);
    }
    out
}

/// One pending row as it lies in a stored batch (borrowed from the batch's bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingRef<'a> {
    pub seq: u64,
    pub leaf: Hash,
    pub running: Hash,
    pub row: &'a [u8],
}

/// Decodes a stored pending batch whose first entry has seq `first_seq`.
pub fn decode_pending(first_seq: u64, bytes: &[u8]) -> Result<Vec<PendingEntry>> {
    Ok(decode_pending_refs(first_seq, bytes)?
        .into_iter()
        .map(|e| PendingEntry {
            seq: e.seq,
            leaf: e.leaf,
            running: e.running,
            row: e.row.to_vec(),
        })
        .collect())
}

/// As [`decode_pending`], without copying the rows out of the batch.
pub fn decode_pending_refs(first_seq: u64, bytes: &[u8]) -> Result<Vec<PendingRef<'_>>> {
    let corrupt = |at: usize, reason: &str| {
        Error::corrupted(format!("pending rows from {first_seq}, byte {at}"), reason.to_string())
    };
    match bytes.first() {
        Some(&PENDING_FORMAT_VERSION) => {}
        Some(v) => return Err(corrupt(0, &format!("unknown pending format version {v}"))),
        None => return Err(corrupt(0, "empty")),
    }
    let count = bytes
        .get(1..PENDING_BATCH_HEAD)
        .map(|b| u32::from_le_bytes(array(b)) as usize)
        .ok_or_else(|| corrupt(1, "truncated entry count"))?;
    // Each entry takes at least its head: a larger count is corrupt and must not drive an allocation.
    if count > (bytes.len() - PENDING_BATCH_HEAD) / PENDING_ENTRY_HEAD {
        return Err(corrupt(1, "entry count exceeds the batch"));
    }
    let mut out = Vec::with_capacity(count);
    let mut pos = PENDING_BATCH_HEAD;
    for i in 0..count as u64 {
        let head = bytes
            .get(pos..pos + PENDING_ENTRY_HEAD)
            .ok_or_else(|| corrupt(pos, "truncated entry"))?;
        let len = u32::from_le_bytes(array(&head[64..68])) as usize;
        let start = pos + PENDING_ENTRY_HEAD;
        let row = start
            .checked_add(len)
            .and_then(|end| bytes.get(start..end))
            .ok_or_else(|| corrupt(pos, "row runs past the batch"))?;
        out.push(PendingRef {
            seq: first_seq.saturating_add(i),
            leaf: array(&head[..32]),
            running: array(&head[32..64]),
            row,
        });
        pos = start + len;
    }
    if pos != bytes.len() {
        return Err(corrupt(pos, "trailing bytes"));
    }
    Ok(out)
}

/// Microseconds since the Unix epoch now.
pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// The tip of `table_id` in this transaction's view; `None` when the table has no chain.
pub fn read_tip(txn: &Txn, table_id: u32) -> Result<Option<Tip>> {
    match txn.get(&chain_prefix(CHAIN_TIP_TAG, table_id))? {
        Some(bytes) => Ok(Some(Tip::decode(&bytes)?)),
        None => Ok(None),
    }
}

fn write_tip(txn: &mut Txn, table_id: u32, tip: &Tip) -> Result<()> {
    txn.put(chain_prefix(CHAIN_TIP_TAG, table_id), tip.encode(), Conflict::None)
}

/// Writes block 0 and the tip of a new blockchain table (in CREATE's transaction). `indexes`:
/// the table's UNIQUE constraint indexes, part of its definition.
pub fn create_genesis(txn: &mut Txn, table: &TableDef, indexes: &[IndexDef]) -> Result<()> {
    let options = table
        .blockchain_options()
        .ok_or_else(|| Error::bug("genesis of a table that is not a blockchain table"))?;
    super::at_rest::create_record(txn, table)?;
    let block_size = options.block_size;
    let seal_interval = i64::try_from(options.block_seal_interval.comparable_micros().max(0)).unwrap_or(i64::MAX);
    let header = BlockHeader::genesis(definition_hash(table, indexes)?, now_micros(), fresh_nonce()?);
    let hash = header.hash();
    txn.put(
        chain_key(BLOCK_HEADER_TAG, table.id, 0),
        header.encode().to_vec(),
        Conflict::None,
    )?;
    let tip = Tip {
        last_block_id: 0,
        last_block_hash: hash,
        next_seq: 0,
        sealed_seq: 0,
        running_hash: hash,
        oldest_pending: 0,
        block_size,
        seal_interval,
    };
    write_tip(txn, table.id, &tip)
}

/// Deletes every chain key of a table (DROP of an empty blockchain table).
pub fn drop_chain(txn: &mut Txn, table_id: u32) -> Result<()> {
    txn.chain_forget(table_id);
    txn.delete(crate::storage::keys::purge_count_key(table_id))?;
    super::at_rest::drop_record(txn, table_id)?;
    for tag in [
        BLOCK_BODY_TAG,
        BLOCK_HEADER_TAG,
        PENDING_TAG,
        CHAIN_TIP_TAG,
        SIGNATURE_TAG,
    ] {
        txn.delete_prefix(&chain_prefix(tag, table_id))?;
    }
    Ok(())
}

/// Completes chain appends and seals at commit (installed on the store by `Database::open`).
pub struct LedgerHook {
    /// Server-held keys that sign each sealed block (`server_signers`).
    signers: Arc<super::server_signers::ServerSigners>,
    /// The database's chain cache, cleared for a table whose blocks a purge removed.
    cache: Arc<super::rows::ChainCache>,
}

impl LedgerHook {
    /// Installs the hook on `store`.
    pub fn install(
        store: &Store,
        signers: Arc<super::server_signers::ServerSigners>,
        cache: Arc<super::rows::ChainCache>,
    ) {
        store.set_chain_hook(Arc::new(LedgerHook { signers, cache }));
    }
}

impl ChainHook for LedgerHook {
    fn finish(&self, txn: &mut Txn, chain: u32, work: &ChainWork) -> Result<()> {
        if work.purged {
            // Under the commit gate: no statement reads the chain until this batch is applied.
            self.cache.forget(chain);
        }
        let Some(mut tip) = read_tip(txn, chain)? else {
            if work.appended.is_empty() {
                return Ok(());
            }
            return Err(Error::sql(
                sqlstate::SERIALIZATION_FAILURE,
                "could not serialize access due to concurrent drop of a blockchain table",
            ));
        };
        let now = now_micros();
        let codec = Codec::load(txn, chain)?;
        let last_signed = tip.last_block_id;
        let block_size = u64::from(tip.block_size.max(1));
        // This commit's rows not sealed yet; what is left at the end becomes one stored batch.
        let mut fresh: Vec<PendingEntry> = Vec::new();
        for key in &work.appended {
            let mut row = txn
                .get(key)?
                .ok_or_else(|| Error::bug("a row appended to a chain is missing at commit"))?;
            let StoredRow::Uncommitted(bytes) = stored_row(&row)? else {
                return Err(Error::bug("a row appended to a chain was committed before"));
            };
            // The row's bytes are the stored value without its marker: reuse its buffer.
            let len = bytes.len();
            row.truncate(len);
            let leaf = leaf_hash(&row);
            let running = running_hash(&tip.running_hash, &leaf);
            if tip.pending() == 0 {
                tip.oldest_pending = now;
            }
            fresh.push(PendingEntry {
                seq: tip.next_seq,
                leaf,
                running,
                row,
            });
            txn.put(key.clone(), chained_row(tip.next_seq), Conflict::None)?;
            tip.next_seq += 1;
            tip.running_hash = running;
            if tip.pending() >= block_size {
                seal_pending(txn, chain, &codec, &mut tip, now, &mut fresh)?;
            }
        }
        if let Some(target) = work.seal_target {
            while tip.last_block_id < target && tip.pending() > 0 {
                seal_pending(txn, chain, &codec, &mut tip, now, &mut fresh)?;
            }
        }
        if let Some(first) = fresh.first() {
            let key = chain_key(PENDING_TAG, chain, first.seq);
            let stored = codec.seal_pending(&key, encode_pending(&fresh))?;
            txn.put(key, stored, Conflict::None)?;
        }
        if tip.last_block_id > last_signed {
            self.signers
                .sign_sealed(txn, chain, last_signed + 1, tip.last_block_id)?;
        }
        write_tip(txn, chain, &tip)
    }
}

/// Seals every pending row — the stored batches, then `fresh` (this commit's rows, not
/// stored) — into the next block: body and header written, batches removed, tip advanced.
/// Pending rows whose stored bytes no longer match their leaf or running hash are refused
/// (sealing must never launder a change).
///
/// Every seal takes all pending rows, and the hook seals as soon as `block_size` are
/// pending, so they always fit one block and no running hash ever needs re-seeding.
///
/// What it hashes: each stored row's leaf and running hash again (they were written by
/// an earlier commit and may have been altered since), but not those of `fresh` rows, which
/// this commit hashed from the very bytes it seals: only the first fresh row's running hash
/// is recomputed, to check that the chain they were seeded from (the tip's running hash)
/// is the one the stored rows end with.
fn seal_pending(
    txn: &mut Txn,
    chain: u32,
    codec: &Codec,
    tip: &mut Tip,
    now: i64,
    fresh: &mut Vec<PendingEntry>,
) -> Result<()> {
    let take = tip.pending();
    if take > u64::from(tip.block_size.max(1)) {
        return Err(Error::corrupted(
            format!("chain tip of table {chain}"),
            format!("{take} rows pending, more than a block holds"),
        ));
    }
    let refused = |seq: u64| {
        Error::corrupted(
            format!("pending row {seq} of table {chain}"),
            "does not match its leaf or running hash; refusing to seal it",
        )
    };
    let fresh_bytes: usize = fresh.iter().map(|e| e.row.len() + 4).sum();
    let mut builder: Option<BlockBuilder> = None;
    let mut running = tip.last_block_hash;
    let mut count = 0u64;
    // Few values: one per commit that left rows pending (one ordered range read), read in
    // place and copied only into the body.
    let mut batches = Vec::new();
    for item in txn.scan_prefix_shared(&chain_prefix(PENDING_TAG, chain)) {
        let (key, stored) = item?;
        let first = chain_key_item(&key).ok_or_else(|| Error::corrupted("pending rows key", "bad length"))?;
        if first != tip.sealed_seq + count {
            return Err(Error::corrupted(
                format!("pending rows of table {chain}"),
                format!(
                    "rows from {first} stored where row {} was expected",
                    tip.sealed_seq + count
                ),
            ));
        }
        let plain = codec.open_ref(&key, &stored)?;
        let entries = decode_pending_refs(first, &plain)?;
        let builder = builder.get_or_insert_with(|| {
            // A batch entry takes 64 bytes more than its row takes in a body: size the body
            // for all pending rows from the first batch's average.
            let per_row = (plain.len() / entries.len().max(1)).saturating_sub(64);
            BlockBuilder::with_capacity(per_row.saturating_mul(usize::try_from(take).unwrap_or(0)) + fresh_bytes)
        });
        for entry in &entries {
            let leaf = builder.push_encoded(entry.row);
            running = running_hash(&running, &leaf);
            if leaf != entry.leaf || running != entry.running {
                return Err(refused(entry.seq));
            }
        }
        count += entries.len() as u64;
        batches.push(key.to_vec());
    }
    for key in batches {
        txn.remove(key);
    }
    let mut builder = builder.unwrap_or_else(|| BlockBuilder::with_capacity(fresh_bytes));
    if let Some(first) = fresh.first() {
        if running_hash(&running, &first.leaf) != first.running {
            return Err(refused(first.seq));
        }
    }
    for entry in fresh.iter() {
        builder.push_hashed(&entry.row, entry.leaf);
    }
    count += fresh.len() as u64;
    fresh.clear();
    if count != take {
        return Err(Error::corrupted(
            format!("pending rows of table {chain}"),
            format!("{count} stored where the tip counts {take}"),
        ));
    }
    let block_id = tip.last_block_id + 1;
    let (header, body) = builder.seal(block_id, tip.last_block_hash, now.max(0), fresh_nonce()?);
    let hash = header.hash();
    let body_key = chain_key(BLOCK_BODY_TAG, chain, block_id);
    let body = codec.seal_body(&body_key, body)?;
    txn.put(body_key, body, Conflict::None)?;
    txn.put(
        chain_key(BLOCK_HEADER_TAG, chain, block_id),
        header.encode().to_vec(),
        Conflict::None,
    )?;
    tip.last_block_id = block_id;
    tip.last_block_hash = hash;
    tip.sealed_seq += take;
    tip.running_hash = hash;
    tip.oldest_pending = 0;
    Ok(())
}

/// One stored header as read, with its key's block id (`Err` when it does not decode).
pub type StoredHeader = (u64, Result<(BlockHeader, Hash)>);

/// Every stored header of a table, in block id order.
pub fn read_headers(txn: &Txn, table_id: u32) -> Result<Vec<StoredHeader>> {
    let mut out = Vec::new();
    for item in txn.scan_prefix(&chain_prefix(BLOCK_HEADER_TAG, table_id))? {
        let (key, value) = item?;
        let id = chain_key_item(&key).ok_or_else(|| Error::corrupted("block header key", "bad length"))?;
        out.push((id, BlockHeader::decode(&value)));
    }
    Ok(out)
}

/// The stored headers of a table from block `from` on, in block id order.
pub fn read_headers_from(txn: &Txn, table_id: u32, from: u64) -> Result<Vec<StoredHeader>> {
    let start = chain_key(BLOCK_HEADER_TAG, table_id, from);
    let end = prefix_end(&chain_prefix(BLOCK_HEADER_TAG, table_id));
    let end = match &end {
        Some(end) => std::ops::Bound::Excluded(end.as_slice()),
        None => std::ops::Bound::Unbounded,
    };
    let mut out = Vec::new();
    for item in txn.scan(std::ops::Bound::Included(start.as_slice()), end)? {
        let (key, value) = item?;
        let id = chain_key_item(&key).ok_or_else(|| Error::corrupted("block header key", "bad length"))?;
        out.push((id, BlockHeader::decode(&value)));
    }
    Ok(out)
}

/// The stored header of one block, if present.
pub fn read_header(txn: &Txn, table_id: u32, block_id: u64) -> Result<Option<Result<(BlockHeader, Hash)>>> {
    Ok(txn
        .get(&chain_key(BLOCK_HEADER_TAG, table_id, block_id))?
        .map(|bytes| BlockHeader::decode(&bytes)))
}

/// The body of one block, if present: opened when its table is compressed or encrypted at rest
/// (`at_rest`), so callers always see the plain body format.
pub fn read_body(txn: &Txn, table_id: u32, block_id: u64) -> Result<Option<Vec<u8>>> {
    let key = chain_key(BLOCK_BODY_TAG, table_id, block_id);
    match txn.get(&key)? {
        Some(stored) => Codec::load(txn, table_id)?.open(&key, stored).map(Some),
        None => Ok(None),
    }
}

/// The stored pending batches of a table, in seq order: `(first seq, decoded entries or why
/// they are unreadable)`.
pub type StoredPending = (u64, Result<Vec<PendingEntry>>);

/// Every stored pending batch of a table, decoded, in seq order.
///
/// A batch that does not open (at rest) is an unreadable batch; a missing master key is an
/// error.
pub fn read_pending_batches(txn: &Txn, table_id: u32) -> Result<Vec<StoredPending>> {
    let codec = Codec::load(txn, table_id)?;
    let mut out = Vec::new();
    for item in txn.scan_prefix(&chain_prefix(PENDING_TAG, table_id))? {
        let (key, value) = item?;
        let first = chain_key_item(&key).ok_or_else(|| Error::corrupted("pending rows key", "bad length"))?;
        let batch = match codec.open(&key, value) {
            Ok(plain) => decode_pending(first, &plain),
            Err(e @ Error::Corrupted { .. }) => Err(e),
            Err(e) => return Err(e),
        };
        out.push((first, batch));
    }
    Ok(out)
}

/// Every pending row of a table, in seq order (an unreadable batch is an error).
pub fn read_pending(txn: &Txn, table_id: u32) -> Result<Vec<PendingEntry>> {
    let mut out = Vec::new();
    for (_, batch) in read_pending_batches(txn, table_id)? {
        out.extend(batch?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tip_layout_is_the_documented_one() {
        let tip = Tip {
            last_block_id: 3,
            last_block_hash: [0xAA; 32],
            next_seq: 0x0102,
            sealed_seq: 7,
            running_hash: [0xBB; 32],
            oldest_pending: -2,
            block_size: 1000,
            seal_interval: 300_000_000,
        };
        let bytes = tip.encode();
        // Written out field by field from the layout table in the module docs.
        let mut expected = vec![1u8];
        expected.extend_from_slice(&[3, 0, 0, 0, 0, 0, 0, 0]);
        expected.extend_from_slice(&[0xAA; 32]);
        expected.extend_from_slice(&[0x02, 0x01, 0, 0, 0, 0, 0, 0]);
        expected.extend_from_slice(&[7, 0, 0, 0, 0, 0, 0, 0]);
        expected.extend_from_slice(&[0xBB; 32]);
        expected.extend_from_slice(&[0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        expected.extend_from_slice(&[0xE8, 0x03, 0, 0]);
        expected.extend_from_slice(&[0x00, 0xA3, 0xE1, 0x11, 0, 0, 0, 0]);
        assert_eq!(bytes, expected);
        assert_eq!(bytes.len(), TIP_LEN);
        assert_eq!(Tip::decode(&bytes).unwrap(), tip);
        assert_eq!(tip.pending(), 0x0102 - 7);
        let mut bad = bytes.clone();
        bad[0] = 2;
        assert_eq!(Tip::decode(&bad).unwrap_err().sqlstate(), "XX001");
        assert!(Tip::decode(&bytes[..TIP_LEN - 1]).is_err());
    }

    #[test]
    fn stored_rows_are_a_position_once_committed_and_bytes_before() {
        let committed = chained_row(0x0A0B);
        assert_eq!(committed, [0x0B, 0x0A, 0, 0, 0, 0, 0, 0]);
        assert_eq!(stored_row(&committed).unwrap(), StoredRow::Chained(0x0A0B));
        let open = uncommitted_row(b"row");
        assert_eq!(open, [b'r', b'o', b'w', 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(stored_row(&open).unwrap(), StoredRow::Uncommitted(b"row"));
        assert_eq!(stored_row(&[0xFF; 8]).unwrap(), StoredRow::Uncommitted(b""));
        // Bytes followed by anything but the marker are neither form.
        assert!(stored_row(b"row\x01\0\0\0\0\0\0\0").is_err());
        assert!(stored_row(&[1, 2, 3]).is_err());
    }

    #[test]
    fn pending_batches_hold_count_then_leaf_running_length_and_row() {
        let entries = vec![
            PendingEntry {
                seq: 9,
                leaf: [1; 32],
                running: [2; 32],
                row: b"abc".to_vec(),
            },
            PendingEntry {
                seq: 10,
                leaf: [3; 32],
                running: [4; 32],
                row: Vec::new(),
            },
        ];
        let bytes = encode_pending(&entries);
        // Written out from the layout in the module docs.
        let mut expected = vec![1u8, 2, 0, 0, 0];
        expected.extend_from_slice(&[1; 32]);
        expected.extend_from_slice(&[2; 32]);
        expected.extend_from_slice(&[3, 0, 0, 0]);
        expected.extend_from_slice(b"abc");
        expected.extend_from_slice(&[3; 32]);
        expected.extend_from_slice(&[4; 32]);
        expected.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(bytes, expected);
        assert_eq!(decode_pending(9, &bytes).unwrap(), entries);
        for cut in [0, 1, 4, 5, 60, 71, bytes.len() - 1] {
            assert!(decode_pending(9, &bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(decode_pending(9, &long).is_err());
        let mut huge_count = bytes.clone();
        huge_count[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_pending(9, &huge_count).is_err());
        let mut bad_len = bytes;
        bad_len[69..73].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_pending(9, &bad_len).is_err());
    }
}
