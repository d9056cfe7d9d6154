//! Row leaves and the running hash of pending rows.
//!
//! # Leaf
//!
//! `leaf = SHA-256(0x00 || canonical_row_bytes)`, where the canonical row bytes are exactly
//! `storage::row`'s encoding (format version 1, documented there), the same bytes that are
//! stored: a row is encoded once and hashed from that buffer, never re-encoded for hashing.
//!
//! The leaf deliberately binds neither the row's position nor the table:
//! - position is bound by the tree itself: an inclusion proof's direction bits are the leaf
//!   index, so a row moved to another index fails verification; putting the index inside the
//!   leaf too would only make our leaves differ from what any RFC 6962 verifier expects;
//! - the table is bound by the chain: every block links back to a genesis whose root is the
//!   table's definition hash, so a block copied into another table breaks that table's links.
//!
//! Identical rows therefore have identical leaf hashes, which is harmless: a leaf proves
//! content, the path and block prove where.
//!
//! # Running hash (pending rows)
//!
//! Rows are tamper-evident from the moment their INSERT commits, before they are sealed. Each
//! pending row stores its leaf hash and a running hash over every pending row before it:
//!
//! ```text
//! running_0 = hash of the last block of the chain (the genesis block's hash before any seal)
//! running_n = SHA-256(0x02 || running_{n-1} || leaf_n)      n = 1, 2, … in insertion order
//! ```
//!
//! The 0x02 prefix keeps running hashes apart from leaves (0x00) and tree nodes (0x01).
//! Verification recomputes the chain from the last block and compares each stored value: an
//! altered, removed, reordered or inserted pending row breaks it from that row on, and seeding
//! from the last block hash ties the pending rows to the sealed chain. Sealing moves the rows
//! into a block and the next pending row starts again from the new block's hash.

use crate::crypto::Sha256;
use crate::storage::row::encode_row;
use crate::types::Value;

use super::merkle::{leaf_hash, Hash};

const RUNNING_PREFIX: u8 = 0x02;

/// Encodes `row` canonically into `buf` (cleared first) and returns its leaf hash.
pub fn encode_row_leaf(row: &[Value], buf: &mut Vec<u8>) -> Hash {
    buf.clear();
    encode_row(row, buf);
    leaf_hash(buf)
}

/// The leaf hash of `row`.
pub fn row_leaf(row: &[Value]) -> Hash {
    let mut buf = Vec::with_capacity(128);
    encode_row_leaf(row, &mut buf)
}

/// `SHA-256(0x02 || previous || leaf)`.
pub fn running_hash(previous: &Hash, leaf: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update(&[RUNNING_PREFIX]);
    h.update(previous);
    h.update(leaf);
    h.finish()
}

/// The running hash after `leaves`, starting from `seed` (the last block's hash).
pub fn running_hash_over<'a>(seed: &Hash, leaves: impl IntoIterator<Item = &'a Hash>) -> Hash {
    leaves.into_iter().fold(*seed, |acc, leaf| running_hash(&acc, leaf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::sha256;

    #[test]
    fn leaf_is_prefixed_hash_of_the_row_format() {
        // Row (int4 1, text 'a') in storage::row's documented layout, written out by hand.
        let bytes = [1u8, 2, 0, 0, 0, 3, 1, 0, 0, 0, 8, 1, 0, 0, 0, b'a'];
        let mut prefixed = vec![0u8];
        prefixed.extend_from_slice(&bytes);
        let row = [Value::Int4(1), Value::Text("a".into())];
        let mut buf = Vec::new();
        assert_eq!(encode_row_leaf(&row, &mut buf), sha256(&prefixed));
        assert_eq!(buf, bytes);
        assert_eq!(row_leaf(&row), sha256(&prefixed));
    }

    #[test]
    fn running_hash_rule_and_sensitivity() {
        let seed = [7u8; 32];
        let (a, b) = ([1u8; 32], [2u8; 32]);
        let mut input = vec![2u8];
        input.extend_from_slice(&seed);
        input.extend_from_slice(&a);
        let first = sha256(&input);
        assert_eq!(running_hash(&seed, &a), first);
        let ab = running_hash_over(&seed, [&a, &b]);
        assert_eq!(ab, running_hash(&first, &b));
        assert_ne!(ab, running_hash_over(&seed, [&b, &a]), "order is bound");
        assert_ne!(ab, running_hash_over(&[8u8; 32], [&a, &b]), "seed is bound");
        assert_ne!(ab, running_hash_over(&seed, [&a]), "count is bound");
        assert_eq!(running_hash_over(&seed, []), seed);
    }
}
