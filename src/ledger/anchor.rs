//! Anchor blocks: what a purge leaves in place of the blocks it removed, so that the chain
//! still verifies from the genesis to its tip.
//!
//! Purging blocks `a..=b` writes one anchor under block id `b` (header 0x21 and, where a data
//! block keeps its body, the anchor record under 0x20) and deletes blocks `a..=b`. The chain
//! then reads `… → block a-1 → anchor b → block b+1 → …`:
//!
//! - the anchor's header links back like any block: `prev_block_hash` is the link hash of the
//!   block before `a` (its block hash; for an anchor, the `last_purged_hash` of its record);
//! - block `b+1` was sealed before the purge and links to block `b`'s hash, which the record
//!   keeps as `last_purged_hash`: an anchor's *link hash* is that value, not its own hash;
//! - the header's `merkle_root` is SHA-256 of the record, and its `row_count` the number of
//!   rows the purged blocks held, so row positions (seq) after the anchor are unchanged;
//! - the record keeps every purged block's hash (and the RFC 6962 root of the tree with those
//!   hashes as leaf data), so a block kept
//!   elsewhere — a backup, a saved digest — can still be shown to have been part of the chain;
//! - anchors of one table link to each other in purge order (`prev_anchor_hash`, the block
//!   hash of the previous purge's anchor): `blockchain_purge_log` reads them as an
//!   append-only, hash-chained log, and a rewritten anchor breaks the next one's link.
//!
//! # Record layout (anchor format version 1)
//!
//! ```text
//! record := version u8 (= 1)  purge_id u64 LE  first_block u64 LE  last_block u64 LE
//!           purged_rows u64 LE  prev_hash[32]  last_purged_hash[32]  purged_root[32]
//!           prev_anchor_hash[32]  timestamp i64 LE (µs)  reason str  authorized_by str
//!           count u32 LE  purged_hash[32]{count}
//! str    := len u32 LE, UTF-8 bytes
//! ```

use crate::crypto::sha256;
use crate::error::{Error, Result};

use super::block::{BlockHeader, BlockType};
use super::merkle::{leaf_hash, Hash, RootBuilder};

/// First byte of an anchor record.
pub const ANCHOR_FORMAT_VERSION: u8 = 1;

/// One purge, as its anchor records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchorRecord {
    /// 1 for a table's first purge, then 2, 3, …
    pub purge_id: u64,
    pub first_block: u64,
    pub last_block: u64,
    /// Rows the purged blocks held.
    pub purged_rows: u64,
    /// The link hash of the block before `first_block`.
    pub prev_hash: Hash,
    /// The hash of block `last_block`, which the next block links to.
    pub last_purged_hash: Hash,
    /// The previous purge's anchor block hash (zero for the first purge).
    pub prev_anchor_hash: Hash,
    /// When the purge ran, µs since the epoch.
    pub timestamp: i64,
    pub reason: String,
    pub authorized_by: String,
    /// Every purged block's hash, in block id order.
    pub purged_hashes: Vec<Hash>,
}

impl AnchorRecord {
    /// RFC 6962 root of the tree whose leaf data are the purged block hashes.
    pub fn purged_root(&self) -> Hash {
        let mut tree = RootBuilder::new();
        for h in &self.purged_hashes {
            tree.push(leaf_hash(h));
        }
        tree.finish()
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(220 + self.purged_hashes.len() * 32);
        out.push(ANCHOR_FORMAT_VERSION);
        out.extend_from_slice(&self.purge_id.to_le_bytes());
        out.extend_from_slice(&self.first_block.to_le_bytes());
        out.extend_from_slice(&self.last_block.to_le_bytes());
        out.extend_from_slice(&self.purged_rows.to_le_bytes());
        out.extend_from_slice(&self.prev_hash);
        out.extend_from_slice(&self.last_purged_hash);
        out.extend_from_slice(&self.purged_root());
        out.extend_from_slice(&self.prev_anchor_hash);
        out.extend_from_slice(&self.timestamp.to_le_bytes());
        for s in [&self.reason, &self.authorized_by] {
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        out.extend_from_slice(&(self.purged_hashes.len() as u32).to_le_bytes());
        for h in &self.purged_hashes {
            out.extend_from_slice(h);
        }
        out
    }

    /// Decodes a record, checking everything it says about itself: the range and the hash
    /// count agree, the last hash is the last purged one, and the stored root is theirs.
    pub fn decode(bytes: &[u8]) -> Result<AnchorRecord> {
        let bad = |why: &str| Error::corrupted("anchor record", why.to_string());
        let mut r = Reader { bytes, at: 0 };
        if r.take(1).ok_or_else(|| bad("empty"))? != [ANCHOR_FORMAT_VERSION] {
            return Err(bad("unknown format version"));
        }
        let purge_id = r.u64().ok_or_else(|| bad("truncated"))?;
        let first_block = r.u64().ok_or_else(|| bad("truncated"))?;
        let last_block = r.u64().ok_or_else(|| bad("truncated"))?;
        let purged_rows = r.u64().ok_or_else(|| bad("truncated"))?;
        let prev_hash = r.hash().ok_or_else(|| bad("truncated"))?;
        let last_purged_hash = r.hash().ok_or_else(|| bad("truncated"))?;
        let root = r.hash().ok_or_else(|| bad("truncated"))?;
        let prev_anchor_hash = r.hash().ok_or_else(|| bad("truncated"))?;
        let timestamp = r.u64().ok_or_else(|| bad("truncated"))? as i64;
        let reason = r.text().ok_or_else(|| bad("bad reason"))?;
        let authorized_by = r.text().ok_or_else(|| bad("bad authorizer"))?;
        let count = r.u32().ok_or_else(|| bad("truncated"))? as usize;
        if count > r.remaining() / 32 {
            return Err(bad("more block hashes than bytes"));
        }
        let mut purged_hashes = Vec::with_capacity(count);
        for _ in 0..count {
            purged_hashes.push(r.hash().ok_or_else(|| bad("truncated"))?);
        }
        if r.remaining() != 0 {
            return Err(bad("trailing bytes"));
        }
        let record = AnchorRecord {
            purge_id,
            first_block,
            last_block,
            purged_rows,
            prev_hash,
            last_purged_hash,
            prev_anchor_hash,
            timestamp,
            reason,
            authorized_by,
            purged_hashes,
        };
        let span = last_block.checked_sub(first_block).map(|n| n + 1);
        if first_block == 0 || span != Some(count as u64) {
            return Err(bad("its block range and its block hashes disagree"));
        }
        if record.purged_hashes.last() != Some(&record.last_purged_hash) || record.purged_root() != root {
            return Err(bad("its block hashes and their root disagree"));
        }
        Ok(record)
    }

    /// The anchor's header: block id `last_block`, linked to `prev_hash`, committing to this
    /// record.
    pub fn header(&self, encoded: &[u8], nonce: u64) -> BlockHeader {
        BlockHeader {
            block_id: self.last_block,
            prev_block_hash: self.prev_hash,
            merkle_root: sha256(encoded),
            timestamp: self.timestamp.max(0),
            row_count: self.purged_rows,
            nonce,
            block_type: BlockType::Anchor,
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(n)?;
        let out = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(out)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn hash(&mut self) -> Option<Hash> {
        self.take(32)?.try_into().ok()
    }
    fn text(&mut self) -> Option<String> {
        let len = self.u32()? as usize;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }
    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::merkle::root;

    fn sample() -> AnchorRecord {
        AnchorRecord {
            purge_id: 2,
            first_block: 3,
            last_block: 5,
            purged_rows: 30,
            prev_hash: [1; 32],
            last_purged_hash: [5; 32],
            prev_anchor_hash: [9; 32],
            timestamp: 1_700_000_000_000_000,
            reason: "COUNT_BASED".into(),
            authorized_by: "system".into(),
            purged_hashes: vec![[3; 32], [4; 32], [5; 32]],
        }
    }

    #[test]
    fn round_trips_with_the_documented_layout() {
        let record = sample();
        let bytes = record.encode();
        assert_eq!(AnchorRecord::decode(&bytes).unwrap(), record);
        // version, 4 u64, 4 hashes, timestamp, two strings, count, 3 hashes.
        let expected_len = 1 + 32 + 128 + 8 + (4 + 11) + (4 + 6) + 4 + 96;
        assert_eq!(bytes.len(), expected_len);
        assert_eq!(&bytes[1..9], &2u64.to_le_bytes());
        // The stored root is RFC 6962's with the hashes as leaf data, at offset 1 + 32 + 64.
        let leaves: Vec<Hash> = [[3u8; 32], [4; 32], [5; 32]].iter().map(|h| leaf_hash(h)).collect();
        assert_eq!(&bytes[97..129], &root(&leaves));
        let header = record.header(&bytes, 7);
        assert_eq!(header.block_id, 5);
        assert_eq!(header.prev_block_hash, [1; 32]);
        assert_eq!(header.merkle_root, sha256(&bytes));
        assert_eq!(header.row_count, 30);
    }

    #[test]
    fn refuses_what_contradicts_itself_or_is_cut() {
        let bytes = sample().encode();
        for cut in [0, 1, 50, bytes.len() - 1] {
            assert!(AnchorRecord::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(AnchorRecord::decode(&long).is_err());
        // A changed purged hash no longer matches the stored root.
        let mut changed = bytes.clone();
        let at = bytes.len() - 64;
        changed[at] ^= 1;
        assert!(AnchorRecord::decode(&changed).is_err());
        // A range that does not match the hash count.
        let mut wrong = sample();
        wrong.last_block = 9;
        assert!(AnchorRecord::decode(&wrong.encode()).is_err());
    }
}
