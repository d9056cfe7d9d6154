//! A blockchain table's chain in storage: the genesis written by CREATE, pending rows appended
//! at commit, blocks sealed from them, all under the keys of `storage::keys` (0x20..0x23).
//!
//! # How a row joins the chain
//!
//! INSERT/COPY write the row under its ordinary key (0x10, so SELECT, joins and indexes work
//! as on any table) and call `Txn::chain_append(table_id, row_key)`. When the transaction
//! commits, [`LedgerHook`] runs under the store's commit gate (see `storage::ChainHook`):
//! it reads the tip, gives each appended row the next sequence number, hashes its stored
//! bytes (its leaf) and the running hash, writes the pending entries and the new tip, and
//! seals a block as soon as `block_size` rows are pending — all in the transaction's own
//! atomic batch. Concurrent inserters therefore never conflict with each other, produce one
//! linear chain, and a rolled-back transaction leaves nothing. Because a seal happens in the
//! batch that brings the pending count to `block_size`, fewer than `block_size` rows are ever
//! pending after a commit, and every seal takes all pending rows: the running hashes of the
//! rows left pending never need rewriting.
//!
//! Sealing on request (`seal_blockchain_block`) and by age (the background sealer) go
//! through the same hook: the transaction records `Txn::chain_seal(table_id, target)` and the
//! hook seals, at commit, while the last block id is below `target` and rows are pending.
//!
//! # Stored forms (chain format version 1)
//!
//! ```text
//! pending entry (0x22 table seq):  leaf[32] running_hash[32] row_bytes
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
//! follow `leaf.rs`.
//!
//! # The table's rows and the hidden columns
//!
//! A blockchain table's row under its ordinary key (0x10) is stored as its canonical bytes
//! followed by its chain position, `seq u64 LE` (`UNCOMMITTED` = u64::MAX while its
//! transaction is open; the commit hook writes the real one). Rows are sealed in seq order,
//! so the position alone locates a row: scans turn it into the hidden columns
//! `_block_id` (the sealed block holding the row, NULL while pending or uncommitted) and
//! `_row_index` (its 0-based index in that block; while pending, the index it will have in
//! the next block — exact, because every seal takes all pending rows; NULL while
//! uncommitted). A scan maps seqs to blocks from the headers' row counts (once per statement
//! and table). Verification compares these rows with the chain, so changing the row SELECT
//! returns is detected as well as changing the chain. Block size and seal interval are copied into the
//! tip (they cannot change: ALTER is refused) so that commit-time sealing and the background
//! sealer need no catalog. The tip is derived state: verification recomputes
//! everything from blocks and pending entries and reports a tip that disagrees.

use std::ops::Bound;
use std::sync::Arc;

use crate::catalog::{IndexDef, TableDef};
use crate::error::{sqlstate, Error, Result};
use crate::storage::keys::{
    chain_key, chain_key_item, chain_prefix, BLOCK_BODY_TAG, BLOCK_HEADER_TAG, CHAIN_TIP_TAG, PENDING_TAG,
    SIGNATURE_TAG,
};
use crate::storage::{ChainHook, ChainWork, Conflict, Store, Txn};

use super::block::{fresh_nonce, BlockHeader};
use super::body::BlockBuilder;
use super::definition::definition_hash;
use super::leaf::running_hash;
use super::merkle::{leaf_hash, Hash};

/// The position a blockchain table's stored row (0x10 value) carries after its canonical
/// bytes until its transaction commits.
pub const UNCOMMITTED: u64 = u64::MAX;
/// Length of the position after a blockchain table row's canonical bytes.
pub const POSITION_LEN: usize = 8;

/// Splits a blockchain table's stored row into its canonical bytes and its chain position
/// (`UNCOMMITTED` before commit).
pub fn split_position(stored: &[u8]) -> Result<(&[u8], u64)> {
    let Some(at) = stored.len().checked_sub(POSITION_LEN) else {
        return Err(Error::corrupted("blockchain table row", "shorter than its position"));
    };
    Ok((&stored[..at], u64::from_le_bytes(array(&stored[at..]))))
}

/// The stored form of a blockchain table row: canonical bytes, then its position.
pub fn with_position(row: &[u8], seq: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(row.len() + POSITION_LEN);
    out.extend_from_slice(row);
    out.extend_from_slice(&seq.to_le_bytes());
    out
}

/// First byte of a stored tip.
pub const TIP_FORMAT_VERSION: u8 = 1;
/// Length of a stored tip.
pub const TIP_LEN: usize = 109;
/// Bytes of a pending entry before the row bytes.
const PENDING_HEAD: usize = 64;

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

/// A pending entry as stored.
pub struct PendingEntry {
    pub seq: u64,
    pub leaf: Hash,
    pub running: Hash,
    pub row: Vec<u8>,
}

impl PendingEntry {
    pub fn encode(leaf: &Hash, running: &Hash, row: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(PENDING_HEAD + row.len());
        out.extend_from_slice(leaf);
        out.extend_from_slice(running);
        out.extend_from_slice(row);
        out
    }

    pub fn decode(seq: u64, bytes: &[u8]) -> Result<PendingEntry> {
        if bytes.len() < PENDING_HEAD {
            return Err(Error::corrupted(
                format!("pending row {seq}"),
                "shorter than its hashes",
            ));
        }
        Ok(PendingEntry {
            seq,
            leaf: array(&bytes[..32]),
            running: array(&bytes[32..64]),
            row: bytes[PENDING_HEAD..].to_vec(),
        })
    }
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
}

impl LedgerHook {
    /// Installs the hook on `store`.
    pub fn install(store: &Store, signers: Arc<super::server_signers::ServerSigners>) {
        store.set_chain_hook(Arc::new(LedgerHook { signers }));
    }
}

impl ChainHook for LedgerHook {
    fn finish(&self, txn: &mut Txn, chain: u32, work: &ChainWork) -> Result<()> {
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
        let last_signed = tip.last_block_id;
        let block_size = u64::from(tip.block_size.max(1));
        // Pending entries from this seq on are written by this commit, not stored yet.
        let first_new = tip.next_seq;
        for key in &work.appended {
            let stored = txn
                .get(key)?
                .ok_or_else(|| Error::bug("a row appended to a chain is missing at commit"))?;
            let (row, _) = split_position(&stored)?;
            let row = row.to_vec();
            txn.put(key.clone(), with_position(&row, tip.next_seq), Conflict::None)?;
            let leaf = leaf_hash(&row);
            let running = running_hash(&tip.running_hash, &leaf);
            if tip.pending() == 0 {
                tip.oldest_pending = now;
            }
            txn.put(
                chain_key(PENDING_TAG, chain, tip.next_seq),
                PendingEntry::encode(&leaf, &running, &row),
                Conflict::None,
            )?;
            tip.next_seq += 1;
            tip.running_hash = running;
            if tip.pending() >= block_size {
                seal_pending(txn, chain, &mut tip, now, first_new)?;
            }
        }
        if let Some(target) = work.seal_target {
            while tip.last_block_id < target && tip.pending() > 0 {
                seal_pending(txn, chain, &mut tip, now, first_new)?;
            }
        }
        if tip.last_block_id > last_signed {
            self.signers
                .sign_sealed(txn, chain, last_signed + 1, tip.last_block_id)?;
        }
        write_tip(txn, chain, &tip)
    }
}

/// Seals the oldest pending rows (at most `block_size`) into the next block: body and header
/// written, pending entries removed, tip advanced. Pending rows whose stored bytes no longer
/// match their leaf or running hash are refused (sealing must never launder a change).
///
/// `first_new`: entries with this seq or above were written by the committing transaction
/// itself; they leave its batch instead of being deleted from the store.
fn seal_pending(txn: &mut Txn, chain: u32, tip: &mut Tip, now: i64, first_new: u64) -> Result<()> {
    let take = tip.pending().min(u64::from(tip.block_size.max(1)));
    let mut builder = BlockBuilder::new();
    let mut running = tip.last_block_hash;
    // One ordered range read (sled iterates far faster than it answers point gets).
    let start = chain_key(PENDING_TAG, chain, tip.sealed_seq);
    let end = chain_key(PENDING_TAG, chain, tip.sealed_seq + take);
    let entries: Vec<(Vec<u8>, Vec<u8>)> = txn
        .scan(Bound::Included(start.as_slice()), Bound::Excluded(end.as_slice()))?
        .collect::<Result<_>>()?;
    if entries.len() as u64 != take {
        return Err(Error::corrupted(
            format!("pending rows of table {chain}"),
            format!("{} stored where the tip counts {take}", entries.len()),
        ));
    }
    for (i, (key, bytes)) in entries.into_iter().enumerate() {
        let seq = tip.sealed_seq + i as u64;
        if chain_key_item(&key) != Some(seq) {
            return Err(Error::corrupted(
                format!("pending row {seq} of table {chain}"),
                "missing",
            ));
        }
        let entry = PendingEntry::decode(seq, &bytes)?;
        let leaf = builder.push_encoded(&entry.row);
        running = running_hash(&running, &leaf);
        if leaf != entry.leaf || running != entry.running {
            return Err(Error::corrupted(
                format!("pending row {seq} of table {chain}"),
                "does not match its leaf or running hash; refusing to seal it",
            ));
        }
        if seq >= first_new {
            txn.forget(&key);
        } else {
            txn.remove(key);
        }
    }
    let block_id = tip.last_block_id + 1;
    let (header, body) = builder.seal(block_id, tip.last_block_hash, now.max(0), fresh_nonce()?);
    let hash = header.hash();
    txn.put(chain_key(BLOCK_BODY_TAG, chain, block_id), body, Conflict::None)?;
    txn.put(
        chain_key(BLOCK_HEADER_TAG, chain, block_id),
        header.encode().to_vec(),
        Conflict::None,
    )?;
    tip.last_block_id = block_id;
    tip.last_block_hash = hash;
    tip.sealed_seq += take;
    if tip.pending() > 0 {
        // Only a tip written before the size rule held could leave rows behind: re-seed
        // their running hashes from the new block, as the format requires.
        let mut running = hash;
        for seq in tip.sealed_seq..tip.next_seq {
            let key = chain_key(PENDING_TAG, chain, seq);
            let bytes = txn
                .get(&key)?
                .ok_or_else(|| Error::corrupted(format!("pending row {seq} of table {chain}"), "missing"))?;
            let entry = PendingEntry::decode(seq, &bytes)?;
            running = running_hash(&running, &entry.leaf);
            txn.put(
                key,
                PendingEntry::encode(&entry.leaf, &running, &entry.row),
                Conflict::None,
            )?;
        }
        tip.running_hash = running;
        tip.oldest_pending = now;
    } else {
        tip.running_hash = hash;
        tip.oldest_pending = 0;
    }
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

/// The stored header of one block, if present.
pub fn read_header(txn: &Txn, table_id: u32, block_id: u64) -> Result<Option<Result<(BlockHeader, Hash)>>> {
    Ok(txn
        .get(&chain_key(BLOCK_HEADER_TAG, table_id, block_id))?
        .map(|bytes| BlockHeader::decode(&bytes)))
}

/// The stored body of one block, if present.
pub fn read_body(txn: &Txn, table_id: u32, block_id: u64) -> Result<Option<Vec<u8>>> {
    txn.get(&chain_key(BLOCK_BODY_TAG, table_id, block_id))
}

/// Every pending entry of a table, in seq order.
pub fn read_pending(txn: &Txn, table_id: u32) -> Result<Vec<PendingEntry>> {
    let mut out = Vec::new();
    for item in txn.scan_prefix(&chain_prefix(PENDING_TAG, table_id))? {
        let (key, value) = item?;
        let seq = chain_key_item(&key).ok_or_else(|| Error::corrupted("pending row key", "bad length"))?;
        out.push(PendingEntry::decode(seq, &value)?);
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
    fn stored_rows_carry_their_position_after_the_row() {
        let stored = with_position(b"row", 0x0A0B);
        assert_eq!(stored, [b'r', b'o', b'w', 0x0B, 0x0A, 0, 0, 0, 0, 0, 0]);
        assert_eq!(split_position(&stored).unwrap(), (&b"row"[..], 0x0A0B));
        let uncommitted = with_position(b"", UNCOMMITTED);
        assert_eq!(uncommitted, [0xFF; 8]);
        assert!(split_position(&[1, 2, 3]).is_err());
    }

    #[test]
    fn pending_entries_hold_leaf_running_and_row() {
        let bytes = PendingEntry::encode(&[1; 32], &[2; 32], b"abc");
        assert_eq!(&bytes[..32], &[1; 32]);
        assert_eq!(&bytes[32..64], &[2; 32]);
        assert_eq!(&bytes[64..], b"abc");
        let entry = PendingEntry::decode(9, &bytes).unwrap();
        assert_eq!(
            (entry.seq, entry.leaf, entry.running, entry.row),
            (9, [1; 32], [2; 32], b"abc".to_vec())
        );
        assert!(PendingEntry::decode(9, &bytes[..63]).is_err());
    }
}
