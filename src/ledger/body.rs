//! A sealed block's body: its rows' canonical bytes stored together as one value, encoded and
//! hashed in the same pass (DESIGN.md: one sled write per block, no second hashing pass).
//!
//! # Layout (body format version 1)
//!
//! ```text
//! body := version:u8 (= 1)  row_count:u32 LE  (len:u32 LE  row_bytes[len]){row_count}
//! ```
//!
//! `row_bytes` are `storage::row`'s canonical bytes, the leaf inputs. The body holds no hashes:
//! its leaves are recomputed from it, so a changed byte shows as a different Merkle root.
//!
//! ```
//! use vellum::ledger::body::BlockBuilder;
//! use vellum::types::Value;
//!
//! let mut block = BlockBuilder::new();
//! block.push(&[Value::Int4(1), Value::Text("a".into())]);
//! let (header, body) = block.seal(1, [0; 32], 1_700_000_000_000_000, 42);
//! assert_eq!(header.row_count, 1);
//! assert_eq!(vellum::ledger::body::body_root(&body).unwrap(), header.merkle_root);
//! ```

use crate::error::{Error, Result};
use crate::storage::row::encode_row;
use crate::types::Value;

use super::block::BlockHeader;
use super::merkle::{leaf_hash, Hash, RootBuilder};

/// First byte of a stored block body.
pub const BODY_FORMAT_VERSION: u8 = 1;

/// Offset of the first row entry (after version and row count).
const ROWS_START: usize = 5;

/// Accumulates a block's rows: each row is encoded once into the body buffer and its leaf is
/// hashed from those bytes and folded into the Merkle root as it arrives.
pub struct BlockBuilder {
    body: Vec<u8>,
    tree: RootBuilder,
}

impl Default for BlockBuilder {
    fn default() -> Self {
        BlockBuilder::new()
    }
}

impl BlockBuilder {
    pub fn new() -> BlockBuilder {
        BlockBuilder::with_capacity(0)
    }

    /// A builder whose buffer is sized for about `bytes` of rows.
    pub fn with_capacity(bytes: usize) -> BlockBuilder {
        let mut body = Vec::with_capacity(ROWS_START + bytes);
        body.push(BODY_FORMAT_VERSION);
        body.extend_from_slice(&0u32.to_le_bytes());
        BlockBuilder {
            body,
            tree: RootBuilder::new(),
        }
    }

    /// Rows pushed so far.
    pub fn len(&self) -> u64 {
        self.tree.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// Appends a row; returns its leaf hash (what a pending entry or a proof records).
    pub fn push(&mut self, row: &[Value]) -> Hash {
        let len_at = self.body.len();
        self.body.extend_from_slice(&[0; 4]);
        encode_row(row, &mut self.body);
        self.finish_entry(len_at)
    }

    /// Appends a row already in canonical bytes (a pending row being sealed).
    pub fn push_encoded(&mut self, row_bytes: &[u8]) -> Hash {
        let len_at = self.body.len();
        self.body.extend_from_slice(&[0; 4]);
        self.body.extend_from_slice(row_bytes);
        self.finish_entry(len_at)
    }

    /// Appends a row already in canonical bytes whose leaf hash the caller has just computed
    /// from these same bytes (a row hashed at commit and sealed in the same commit), so it
    /// is not hashed twice.
    pub fn push_hashed(&mut self, row_bytes: &[u8], leaf: Hash) {
        let len = u32::try_from(row_bytes.len()).unwrap_or(u32::MAX);
        self.body.extend_from_slice(&len.to_le_bytes());
        self.body.extend_from_slice(row_bytes);
        self.tree.push(leaf);
    }

    fn finish_entry(&mut self, len_at: usize) -> Hash {
        let start = len_at + 4;
        let len = u32::try_from(self.body.len() - start).unwrap_or(u32::MAX);
        self.body[len_at..start].copy_from_slice(&len.to_le_bytes());
        let leaf = leaf_hash(&self.body[start..]);
        self.tree.push(leaf);
        leaf
    }

    /// The data block's header and its stored body.
    pub fn seal(mut self, block_id: u64, prev_block_hash: Hash, timestamp: i64, nonce: u64) -> (BlockHeader, Vec<u8>) {
        let count = u32::try_from(self.tree.len()).unwrap_or(u32::MAX);
        self.body[1..ROWS_START].copy_from_slice(&count.to_le_bytes());
        let header = BlockHeader::data(
            block_id,
            prev_block_hash,
            self.tree.finish(),
            timestamp,
            self.tree.len(),
            nonce,
        );
        (header, self.body)
    }
}

/// The canonical bytes of each row of a stored body, in order.
pub fn body_rows(body: &[u8]) -> Result<Vec<&[u8]>> {
    Ok(body_row_ranges(body)?
        .into_iter()
        .filter_map(|range| body.get(range))
        .collect())
}

/// Where each row's canonical bytes lie in a stored body, in order (every range is within
/// the body).
pub fn body_row_ranges(body: &[u8]) -> Result<Vec<std::ops::Range<usize>>> {
    let corrupt = |at: usize, reason: &str| Error::corrupted(format!("block body byte {at}"), reason.to_string());
    match body.first() {
        Some(&BODY_FORMAT_VERSION) => {}
        Some(v) => return Err(corrupt(0, &format!("unknown body format version {v}"))),
        None => return Err(corrupt(0, "empty block body")),
    }
    let count_bytes: [u8; 4] = body
        .get(1..ROWS_START)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| corrupt(1, "truncated row count"))?;
    let count = u32::from_le_bytes(count_bytes) as usize;
    // Each row takes at least its 4-byte length: a count beyond that is corrupt and must not
    // drive an allocation.
    if count > (body.len() - ROWS_START) / 4 {
        return Err(corrupt(1, "row count exceeds the body"));
    }
    let mut rows = Vec::with_capacity(count);
    let mut pos = ROWS_START;
    for _ in 0..count {
        let len_bytes: [u8; 4] = body
            .get(pos..pos + 4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| corrupt(pos, "truncated row length"))?;
        let start = pos + 4;
        let end = start
            .checked_add(u32::from_le_bytes(len_bytes) as usize)
            .filter(|end| *end <= body.len())
            .ok_or_else(|| corrupt(pos, "row runs past the body"))?;
        rows.push(start..end);
        pos = end;
    }
    if pos != body.len() {
        return Err(corrupt(pos, "trailing bytes"));
    }
    Ok(rows)
}

/// The leaf hashes of a stored body's rows.
pub fn body_leaves(body: &[u8]) -> Result<Vec<Hash>> {
    Ok(body_rows(body)?.into_iter().map(leaf_hash).collect())
}

/// The Merkle root of a stored body, without keeping its leaves.
pub fn body_root(body: &[u8]) -> Result<Hash> {
    let mut tree = RootBuilder::new();
    for row in body_rows(body)? {
        tree.push(leaf_hash(row));
    }
    Ok(tree.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::leaf::row_leaf;
    use crate::ledger::merkle::root;
    use crate::storage::row::decode_row;

    fn rows() -> Vec<Vec<Value>> {
        (0..7)
            .map(|i| vec![Value::Int8(i), Value::Text(format!("row {i}"))])
            .collect()
    }

    #[test]
    fn seal_matches_the_tree_of_the_rows() {
        let mut builder = BlockBuilder::new();
        let mut leaves = Vec::new();
        for row in rows() {
            leaves.push(builder.push(&row));
        }
        let (header, body) = builder.seal(4, [1; 32], 99, 5);
        let expected: Vec<Hash> = rows().iter().map(|r| row_leaf(r)).collect();
        assert_eq!(leaves, expected);
        assert_eq!(header.merkle_root, root(&expected));
        assert_eq!((header.block_id, header.row_count, header.nonce), (4, 7, 5));
        assert_eq!(body_leaves(&body).unwrap(), expected);
        assert_eq!(body_root(&body).unwrap(), header.merkle_root);
        let decoded: Vec<Vec<Value>> = body_rows(&body)
            .unwrap()
            .into_iter()
            .map(|r| decode_row(r).unwrap())
            .collect();
        assert_eq!(decoded, rows());
        // Layout: version, count, then the first row's length and bytes.
        assert_eq!(&body[..5], &[1, 7, 0, 0, 0]);
        let first = body_rows(&body).unwrap()[0].len() as u32;
        assert_eq!(&body[5..9], &first.to_le_bytes());
    }

    #[test]
    fn pushing_encoded_rows_is_the_same() {
        let mut a = BlockBuilder::new();
        let mut b = BlockBuilder::new();
        for row in rows() {
            let mut bytes = Vec::new();
            encode_row(&row, &mut bytes);
            a.push(&row);
            b.push_encoded(&bytes);
        }
        assert_eq!(a.seal(1, [0; 32], 0, 0), b.seal(1, [0; 32], 0, 0));
    }

    #[test]
    fn pushing_rows_with_their_leaves_is_the_same() {
        let mut a = BlockBuilder::new();
        let mut b = BlockBuilder::new();
        for row in rows() {
            let mut bytes = Vec::new();
            encode_row(&row, &mut bytes);
            a.push(&row);
            // The leaf as the format defines it, computed apart from the builder.
            b.push_hashed(&bytes, row_leaf(&row));
        }
        assert_eq!(a.seal(3, [2; 32], 7, 8), b.seal(3, [2; 32], 7, 8));
    }

    #[test]
    fn a_changed_byte_changes_the_root_and_bad_framing_is_corrupt() {
        let mut builder = BlockBuilder::new();
        for row in rows() {
            builder.push(&row);
        }
        let (header, body) = builder.seal(1, [0; 32], 0, 0);
        let mut tampered = body.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_ne!(body_root(&tampered).unwrap(), header.merkle_root);
        for bad in [
            &body[..body.len() - 1],
            &[][..],
            &[2, 0, 0, 0, 0][..],
            &[1, 255, 255, 255, 255][..],
        ] {
            assert_eq!(body_rows(bad).unwrap_err().sqlstate(), "XX001");
        }
        let mut trailing = body.clone();
        trailing.push(0);
        assert!(body_rows(&trailing).is_err());
        let empty = BlockBuilder::new().seal(1, [0; 32], 0, 0).1;
        assert_eq!(body_rows(&empty).unwrap().len(), 0);
    }
}
