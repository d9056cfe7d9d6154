//! RFC 6962 §2.1 Merkle tree hashes over leaf hashes, audit paths (§2.1.1) and their
//! verification (RFC 9162 §2.1.3.2), so any Certificate Transparency verifier can check a
//! Vellum inclusion proof.
//!
//! - leaf `SHA-256(0x00 || data)`, inner node `SHA-256(0x01 || left || right)`;
//! - `MTH({}) = SHA-256("")`, `MTH({d}) = leaf(d)`, and for n > 1 with k the largest power of
//!   two < n: `MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n]))`.
//!
//! The tree functions take leaf *hashes* (hashing happens while rows are encoded, once).
//! [`root`] runs in one pass over the leaves with a fixed stack of at most 64 subtree hashes
//! and no allocation, so sealing a block costs about `n` node hashes beyond its leaves.

use crate::crypto::{sha256, Sha256};

/// A SHA-256 digest: leaf, node, root or block hash.
pub type Hash = [u8; 32];

const LEAF_PREFIX: u8 = 0x00;
const NODE_PREFIX: u8 = 0x01;

/// `SHA-256(0x00 || data)`: the hash of one leaf (for rows, `data` is the canonical row bytes).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update(&[LEAF_PREFIX]);
    h.update(data);
    h.finish()
}

/// `SHA-256(0x01 || left || right)`: an inner node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = NODE_PREFIX;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    sha256(&buf)
}

/// The root of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Hash {
    sha256(b"")
}

/// The RFC 6962 Merkle tree hash of `leaves` (leaf hashes, in order).
///
/// Leaves are folded left to right into a stack of complete subtrees of strictly decreasing
/// size (the binary digits of the count so far); two subtrees of equal size merge at once.
/// What remains at the end is merged right to left, which is exactly RFC 6962's split at the
/// largest power of two: the left part of every split is a complete subtree already on the
/// stack.
pub fn root(leaves: &[Hash]) -> Hash {
    let mut acc = RootBuilder::new();
    for leaf in leaves {
        acc.push(*leaf);
    }
    acc.finish()
}

/// Builds a root incrementally, one leaf hash at a time, without keeping the leaves: the
/// sealer can hash rows as it encodes them and never hold their hashes in a second buffer.
#[derive(Clone)]
pub struct RootBuilder {
    /// Complete subtree roots; `stack[i]` covers `2^levels[i]` leaves, sizes strictly decreasing.
    stack: [Hash; 64],
    levels: [u8; 64],
    depth: usize,
    count: u64,
}

impl Default for RootBuilder {
    fn default() -> Self {
        RootBuilder::new()
    }
}

impl RootBuilder {
    pub fn new() -> RootBuilder {
        RootBuilder {
            stack: [[0u8; 32]; 64],
            levels: [0; 64],
            depth: 0,
            count: 0,
        }
    }

    /// Leaves pushed so far.
    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn push(&mut self, leaf: Hash) {
        let mut hash = leaf;
        let mut level = 0u8;
        // The number of merges equals the trailing one bits of the old count, so the stack
        // never holds more than 64 entries for any u64 count.
        while self.depth > 0 && self.levels[self.depth - 1] == level {
            self.depth -= 1;
            hash = node_hash(&self.stack[self.depth], &hash);
            level += 1;
        }
        self.stack[self.depth] = hash;
        self.levels[self.depth] = level;
        self.depth += 1;
        self.count += 1;
    }

    /// The root of the leaves pushed so far.
    pub fn finish(&self) -> Hash {
        if self.depth == 0 {
            return empty_root();
        }
        let mut hash = self.stack[self.depth - 1];
        for i in (0..self.depth - 1).rev() {
            hash = node_hash(&self.stack[i], &hash);
        }
        hash
    }
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split_point(n: usize) -> usize {
    let k = n.next_power_of_two();
    if k == n {
        n / 2
    } else {
        k / 2
    }
}

/// The audit path of leaf `index` in the tree of `leaves`, in RFC 6962 §2.1.1 order: the
/// sibling nearest the leaf first, the root's other child last. `None` if `index` is out of
/// range.
pub fn audit_path(leaves: &[Hash], index: usize) -> Option<Vec<Hash>> {
    if index >= leaves.len() {
        return None;
    }
    let mut path = Vec::with_capacity(64 - (leaves.len() as u64).leading_zeros() as usize);
    let mut lo = 0usize;
    let mut hi = leaves.len();
    let mut m = index;
    // Walk from the root down, collecting siblings, then reverse into leaf-first order.
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if m < k {
            path.push(root(&leaves[lo + k..hi]));
            hi = lo + k;
        } else {
            path.push(root(&leaves[lo..lo + k]));
            lo += k;
            m -= k;
        }
    }
    path.reverse();
    Some(path)
}

/// The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or `None` when the path's length
/// or the index cannot belong to a tree of `tree_size` leaves.
pub fn root_from_path(index: u64, tree_size: u64, leaf: &Hash, path: &[Hash]) -> Option<Hash> {
    if index >= tree_size {
        return None;
    }
    let mut fnode = index;
    let mut snode = tree_size - 1;
    let mut r = *leaf;
    for p in path {
        if snode == 0 {
            return None;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    (snode == 0).then_some(r)
}

/// Whether `path` proves leaf `index` with hash `leaf` is in the tree of `tree_size` leaves
/// whose root is `root`.
pub fn verify_inclusion(index: u64, tree_size: u64, leaf: &Hash, path: &[Hash], root: &Hash) -> bool {
    root_from_path(index, tree_size, leaf, path).is_some_and(|r| &r == root)
}

#[cfg(test)]
#[path = "merkle_tests.rs"]
mod tests;
