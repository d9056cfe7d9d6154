//! Expected values come from the RFC 6962 reference data published with Certificate
//! Transparency (transparency-dev/merkle `testonly/constants.go` and `proof/verify_test.go`),
//! never from this module.

use super::*;
use crate::ledger::hex::{from_hex, hash_from_hex, to_hex};

const LEAF_INPUTS: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// Root of the first n leaves, for n = 0..=8.
const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// Leaf-level node hashes of the reference tree (level 0 of `NodeHashes()`).
const LEVEL0: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
];

/// (leaf index, tree size, path) from the reference inclusion proofs (their indexes are 1-based
/// there; these are 0-based).
const INCLUSION: [(u64, u64, &[&str]); 4] = [
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

fn h(text: &str) -> Hash {
    hash_from_hex(text).unwrap()
}

fn reference_leaves() -> Vec<Hash> {
    LEAF_INPUTS.iter().map(|d| leaf_hash(&from_hex(d).unwrap())).collect()
}

#[test]
fn leaf_hashes_match_reference() {
    let leaves = reference_leaves();
    for (leaf, expected) in leaves.iter().zip(LEVEL0) {
        assert_eq!(to_hex(leaf), expected);
    }
}

#[test]
fn roots_match_reference_for_every_size() {
    let leaves = reference_leaves();
    for (n, expected) in ROOTS.iter().enumerate() {
        assert_eq!(to_hex(&root(&leaves[..n])), *expected, "size {n}");
    }
    assert_eq!(empty_root(), h(ROOTS[0]));
}

#[test]
fn audit_paths_match_reference() {
    let leaves = reference_leaves();
    for (index, size, expected) in INCLUSION {
        let path = audit_path(&leaves[..size as usize], index as usize).unwrap();
        let path: Vec<String> = path.iter().map(|p| to_hex(p)).collect();
        assert_eq!(path, expected, "leaf {index} of {size}");
    }
    assert!(audit_path(&leaves[..3], 3).is_none());
    assert_eq!(audit_path(&leaves[..1], 0), Some(vec![]));
}

#[test]
fn reference_proofs_verify_and_corruptions_do_not() {
    let leaves = reference_leaves();
    for (index, size, path) in INCLUSION {
        let path: Vec<Hash> = path.iter().map(|p| h(p)).collect();
        let root = h(ROOTS[size as usize]);
        let leaf = leaves[index as usize];
        assert!(
            verify_inclusion(index, size, &leaf, &path, &root),
            "leaf {index} of {size}"
        );
        // The probes transparency-dev's verifier tests use.
        assert!(!verify_inclusion(index.wrapping_sub(1), size, &leaf, &path, &root));
        assert!(!verify_inclusion(index + 1, size, &leaf, &path, &root));
        assert!(!verify_inclusion(index ^ 2, size, &leaf, &path, &root));
        assert!(!verify_inclusion(index, size * 2, &leaf, &path, &root));
        assert!(!verify_inclusion(index, size / 2, &leaf, &path, &root));
        assert!(!verify_inclusion(index, size, &leaf_hash(b"WrongLeaf"), &path, &root));
        assert!(!verify_inclusion(index, size, &leaf, &path, &empty_root()));
        let mut longer = path.clone();
        longer.push(root);
        assert!(!verify_inclusion(index, size, &leaf, &longer, &root));
        let mut front = vec![root];
        front.extend_from_slice(&path);
        assert!(!verify_inclusion(index, size, &leaf, &front, &root));
        for i in 0..path.len() {
            let mut flipped = path.clone();
            flipped[i][0] ^= 8;
            assert!(!verify_inclusion(index, size, &leaf, &flipped, &root));
        }
        assert!(!verify_inclusion(index, size, &leaf, &path[..path.len() - 1], &root));
    }
}

#[test]
fn single_leaf_and_out_of_range() {
    let leaf = leaf_hash(b"data");
    assert_eq!(root(&[leaf]), leaf);
    assert!(verify_inclusion(0, 1, &leaf, &[], &leaf));
    assert!(!verify_inclusion(0, 0, &leaf, &[], &leaf));
    assert!(!verify_inclusion(1, 1, &leaf, &[], &leaf));
}

/// The definition of MTH in RFC 6962 §2.1, written recursively; the one-pass builder must agree
/// with it on every shape (sizes that are and are not powers of two).
fn recursive_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            node_hash(&recursive_root(&leaves[..k]), &recursive_root(&leaves[k..]))
        }
    }
}

#[test]
fn every_size_and_every_leaf_up_to_70() {
    let leaves: Vec<Hash> = (0u32..70).map(|i| leaf_hash(&i.to_le_bytes())).collect();
    for n in 0..=leaves.len() {
        let tree = &leaves[..n];
        let r = root(tree);
        assert_eq!(r, recursive_root(tree), "size {n}");
        for i in 0..n {
            let path = audit_path(tree, i).unwrap();
            assert!(verify_inclusion(i as u64, n as u64, &tree[i], &path, &r));
            if n > 1 {
                let other = (i + 1) % n;
                assert!(!verify_inclusion(other as u64, n as u64, &tree[i], &path, &r) || tree[i] == tree[other]);
            }
        }
    }
}

#[test]
fn split_is_largest_power_of_two_below() {
    for (n, k) in [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (1000, 512)] {
        assert_eq!(split_point(n), k, "n = {n}");
    }
}

#[test]
fn block_sized_trees_agree_with_the_definition() {
    let leaves: Vec<Hash> = (0u32..2049).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let mut builder = RootBuilder::new();
    for (n, leaf) in leaves.iter().enumerate() {
        if [1000, 1024, 1025, 2048].contains(&n) {
            // A builder's root part-way is the root of the prefix (no leaves are kept).
            assert_eq!(builder.finish(), recursive_root(&leaves[..n]), "size {n}");
            assert_eq!(root(&leaves[..n]), recursive_root(&leaves[..n]), "size {n}");
            for i in [0, 1, n / 2, n - 2, n - 1] {
                let path = audit_path(&leaves[..n], i).unwrap();
                assert!(verify_inclusion(
                    i as u64,
                    n as u64,
                    &leaves[i],
                    &path,
                    &builder.finish()
                ));
                // (A path for size n can also fit a size with the same shape along it, such as
                // n + 1: a tree size is bound by what signs or hashes it, here the block header's
                // row_count, not by the path.)
                assert!(!verify_inclusion(
                    i as u64,
                    n as u64 * 2,
                    &leaves[i],
                    &path,
                    &builder.finish()
                ));
            }
        }
        builder.push(*leaf);
    }
    assert_eq!(builder.len(), 2049);
    assert_eq!(builder.finish(), recursive_root(&leaves));
}
