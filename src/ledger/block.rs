//! Block headers: what is hashed, and how a header is stored.
//!
//! # Block hash (the hashing contract; never change it)
//!
//! ```text
//! block_hash = SHA-256(block_id u64 LE || prev_block_hash[32] || merkle_root[32]
//!                      || timestamp i64 LE || row_count u64 LE || nonce u64 LE)      -- 96 bytes in
//! ```
//!
//! - `timestamp`: microseconds since 1970-01-01 00:00:00 UTC at sealing (at CREATE for genesis).
//! - `nonce`: 63 random bits from the operating system, drawn once per block when it is sealed
//!   (the top bit is clear, so it shows as a non-negative `bigint`). There is no proof of work:
//!   the nonce makes a block's hash unpredictable until the block exists, so nobody can prepare
//!   a matching chain ahead of time from rows and times they can guess, and two tables with the
//!   same definition created in the same microsecond still get different genesis hashes. It is
//!   hashed like every other field; verification only recomputes.
//! - Genesis (block 0): `prev_block_hash` all zero, `row_count` 0, `merkle_root` =
//!   SHA-256 of the canonical table definition (`definition.rs`).
//! - Data blocks 1, 2, …: `merkle_root` = RFC 6962 root of the block's row leaf hashes.
//! - Anchor blocks (after a purge) commit to their anchor record through `merkle_root`; the
//!   record's layout comes with purging.
//!
//! The block type is not an input of the hash (the formula above is fixed); it is implied by
//! position (block 0 is the genesis) and, for anchors, by the record their root commits to.
//!
//! # Stored header (format version 1), 130 bytes
//!
//! ```text
//! offset size field
//!      0    1 HEADER_FORMAT_VERSION (= 1)
//!      1    1 block_type tag: 0 genesis, 1 data, 2 anchor (anything else is corrupt)
//!      2    8 block_id u64 LE
//!     10   32 prev_block_hash
//!     42   32 merkle_root
//!     74    8 timestamp i64 LE (µs since the Unix epoch)
//!     82    8 row_count u64 LE
//!     90    8 nonce u64 LE
//!     98   32 block_hash as computed when the block was sealed
//!    130      end (trailing bytes are corrupt)
//! ```
//!
//! The stored `block_hash` lets verification tell a changed header (stored hash ≠ recomputed)
//! from a broken link (next block's `prev_block_hash` ≠ this hash).

use crate::crypto::Sha256;
use crate::error::{Error, Result};

use super::merkle::Hash;

/// First byte of every stored header.
pub const HEADER_FORMAT_VERSION: u8 = 1;

const O_TYPE: usize = 1;
const O_ID: usize = O_TYPE + 1;
const O_PREV: usize = O_ID + 8;
const O_ROOT: usize = O_PREV + 32;
const O_TIME: usize = O_ROOT + 32;
const O_COUNT: usize = O_TIME + 8;
const O_NONCE: usize = O_COUNT + 8;
const O_HASH: usize = O_NONCE + 8;
/// Length of a stored header.
pub const HEADER_LEN: usize = O_HASH + 32;

/// What a block holds.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockType {
    Genesis = 0,
    Data = 1,
    Anchor = 2,
}

impl BlockType {
    pub fn from_tag(tag: u8) -> Option<BlockType> {
        match tag {
            0 => Some(BlockType::Genesis),
            1 => Some(BlockType::Data),
            2 => Some(BlockType::Anchor),
            _ => None,
        }
    }

    /// The name `blockchain_metadata` shows.
    pub fn name(self) -> &'static str {
        match self {
            BlockType::Genesis => "genesis",
            BlockType::Data => "data",
            BlockType::Anchor => "anchor",
        }
    }
}

/// A block header: every hashed field plus the block's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockHeader {
    pub block_id: u64,
    pub prev_block_hash: Hash,
    pub merkle_root: Hash,
    /// Microseconds since 1970-01-01 00:00:00 UTC.
    pub timestamp: i64,
    pub row_count: u64,
    pub nonce: u64,
    pub block_type: BlockType,
}

impl BlockHeader {
    /// Block 0 of a table whose canonical definition hashes to `definition_hash`.
    pub fn genesis(definition_hash: Hash, timestamp: i64, nonce: u64) -> BlockHeader {
        BlockHeader {
            block_id: 0,
            prev_block_hash: [0; 32],
            merkle_root: definition_hash,
            timestamp,
            row_count: 0,
            nonce,
            block_type: BlockType::Genesis,
        }
    }

    /// A data block sealing `row_count` rows whose Merkle root is `merkle_root`, after the
    /// block whose hash is `prev_block_hash`.
    pub fn data(
        block_id: u64,
        prev_block_hash: Hash,
        merkle_root: Hash,
        timestamp: i64,
        row_count: u64,
        nonce: u64,
    ) -> BlockHeader {
        BlockHeader {
            block_id,
            prev_block_hash,
            merkle_root,
            timestamp,
            row_count,
            nonce,
            block_type: BlockType::Data,
        }
    }

    /// The block hash, exactly as the hashing contract states it.
    pub fn hash(&self) -> Hash {
        block_hash(
            self.block_id,
            &self.prev_block_hash,
            &self.merkle_root,
            self.timestamp,
            self.row_count,
            self.nonce,
        )
    }

    /// The stored form, carrying the hash computed now.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0] = HEADER_FORMAT_VERSION;
        out[O_TYPE] = self.block_type as u8;
        out[O_ID..O_PREV].copy_from_slice(&self.block_id.to_le_bytes());
        out[O_PREV..O_ROOT].copy_from_slice(&self.prev_block_hash);
        out[O_ROOT..O_TIME].copy_from_slice(&self.merkle_root);
        out[O_TIME..O_COUNT].copy_from_slice(&self.timestamp.to_le_bytes());
        out[O_COUNT..O_NONCE].copy_from_slice(&self.row_count.to_le_bytes());
        out[O_NONCE..O_HASH].copy_from_slice(&self.nonce.to_le_bytes());
        out[O_HASH..].copy_from_slice(&self.hash());
        out
    }

    /// Decodes a stored header and the hash stored with it (not checked here: verification
    /// compares it with [`BlockHeader::hash`]).
    pub fn decode(bytes: &[u8]) -> Result<(BlockHeader, Hash)> {
        let corrupt = |reason: String| Error::corrupted("block header", reason);
        if bytes.len() != HEADER_LEN {
            return Err(corrupt(format!("{} bytes, {HEADER_LEN} expected", bytes.len())));
        }
        if bytes[0] != HEADER_FORMAT_VERSION {
            return Err(corrupt(format!("unknown header format version {}", bytes[0])));
        }
        let block_type = BlockType::from_tag(bytes[O_TYPE])
            .ok_or_else(|| corrupt(format!("unknown block type {}", bytes[O_TYPE])))?;
        let u64_at = |o: usize| u64::from_le_bytes(array(&bytes[o..o + 8]));
        let header = BlockHeader {
            block_id: u64_at(O_ID),
            prev_block_hash: array(&bytes[O_PREV..O_ROOT]),
            merkle_root: array(&bytes[O_ROOT..O_TIME]),
            timestamp: i64::from_le_bytes(array(&bytes[O_TIME..O_COUNT])),
            row_count: u64_at(O_COUNT),
            nonce: u64_at(O_NONCE),
            block_type,
        };
        Ok((header, array(&bytes[O_HASH..])))
    }
}

/// Copies a slice whose length the caller has already fixed by its offsets.
fn array<const N: usize>(slice: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(slice);
    out
}

/// `SHA-256(block_id u64 LE || prev || root || timestamp i64 LE || row_count u64 LE || nonce u64 LE)`.
pub fn block_hash(block_id: u64, prev: &Hash, root: &Hash, timestamp: i64, row_count: u64, nonce: u64) -> Hash {
    let mut h = Sha256::new();
    h.update(&block_id.to_le_bytes());
    h.update(prev);
    h.update(root);
    h.update(&timestamp.to_le_bytes());
    h.update(&row_count.to_le_bytes());
    h.update(&nonce.to_le_bytes());
    h.finish()
}

/// A fresh block nonce: 63 random bits (see the module docs).
pub fn fresh_nonce() -> Result<u64> {
    Ok(crate::crypto::random_u64()? >> 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::sha256;
    use crate::ledger::hex::to_hex;

    fn sample() -> BlockHeader {
        BlockHeader::data(7, [0x11; 32], [0x22; 32], 1_700_000_000_123_456, 1000, 42)
    }

    #[test]
    fn hash_is_sha256_of_the_contract_fields() {
        // Built by hand, field by field, from the contract's text.
        let mut input = Vec::new();
        input.extend_from_slice(&[7, 0, 0, 0, 0, 0, 0, 0]);
        input.extend_from_slice(&[0x11; 32]);
        input.extend_from_slice(&[0x22; 32]);
        input.extend_from_slice(&1_700_000_000_123_456i64.to_le_bytes());
        input.extend_from_slice(&[0xe8, 0x03, 0, 0, 0, 0, 0, 0]);
        input.extend_from_slice(&[42, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(input.len(), 96);
        assert_eq!(sample().hash(), sha256(&input));
        // The block type is not hashed.
        let mut anchor = sample();
        anchor.block_type = BlockType::Anchor;
        assert_eq!(anchor.hash(), sample().hash());
    }

    #[test]
    fn all_zero_header_hash() {
        // SHA-256 of 96 zero bytes, computed outside Vellum (Python hashlib).
        let zero = BlockHeader::data(0, [0; 32], [0; 32], 0, 0, 0);
        assert_eq!(
            to_hex(&zero.hash()),
            "2ea9ab9198d1638007400cd2c3bef1cc745b864b76011a0e1bc52180ac6452d4"
        );
    }

    #[test]
    fn stored_header_round_trips_and_rejects_bad_bytes() {
        let header = sample();
        let bytes = header.encode();
        assert_eq!(bytes.len(), 130);
        assert_eq!(bytes[0], 1);
        assert_eq!(bytes[1], 1);
        let (decoded, stored) = BlockHeader::decode(&bytes).unwrap();
        assert_eq!(decoded, header);
        assert_eq!(stored, header.hash());

        let mut bad = bytes;
        bad[1] = 3;
        assert_eq!(BlockHeader::decode(&bad).unwrap_err().sqlstate(), "XX001");
        let mut bad = bytes;
        bad[0] = 2;
        assert!(BlockHeader::decode(&bad).is_err());
        assert!(BlockHeader::decode(&bytes[..129]).is_err());
        let mut long = bytes.to_vec();
        long.push(0);
        assert!(BlockHeader::decode(&long).is_err());
    }

    #[test]
    fn genesis_shape_and_nonce_range() {
        let g = BlockHeader::genesis([9; 32], 5, 6);
        assert_eq!((g.block_id, g.prev_block_hash, g.row_count), (0, [0; 32], 0));
        assert_eq!(g.block_type, BlockType::Genesis);
        for _ in 0..16 {
            assert!(fresh_nonce().unwrap() <= i64::MAX as u64);
        }
    }
}
