//! Ledger hashing micro-benchmarks: what sealing and verifying a 1000-row block costs in hashing
//! alone (DESIGN.md: the root of 1000 rows × 100 B ≈ 0.3 ms on this machine class).
//!
//! - `leaves_and_root_1000x100B`: canonical encoding + leaf hash of 1000 rows of ~100 bytes,
//!   then their RFC 6962 root (the work of sealing a block, storage aside);
//! - `root_1000_leaves`: the root alone over 1000 leaf hashes, beside `sha256_65B_x999`, the
//!   same number of bare SHA-256 calls on node-sized inputs (the floor);
//! - `audit_path_1000` / `verify_proof_1000`: an audit path in a 1000-leaf block (O(n) from the
//!   leaves), and its verification (O(log n));
//! - `block_hash`: `BlockHeader::hash` of a data block's header (SHA-256 of its 96 hashed bytes),
//!   what sealing adds per block and verification recomputes per header.
//!
//! Run: `cargo bench --bench ledger`; figures are recorded in bench/RESULTS.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vellum::ledger::leaf::encode_row_leaf;
use vellum::ledger::merkle::{audit_path, root, verify_inclusion, Hash, RootBuilder};
use vellum::ledger::BlockHeader;
use vellum::types::Value;

/// 1000 rows of (int8, int8, text of 72 bytes): 100 bytes each in the canonical encoding.
fn rows() -> Vec<Vec<Value>> {
    (0..1000i64)
        .map(|i| vec![Value::Int8(i), Value::Int8(i * 7), Value::Text(format!("{i:072}"))])
        .collect()
}

fn bench(c: &mut Criterion) {
    let rows = rows();
    let mut buf = Vec::new();
    encode_row_leaf(&rows[0], &mut buf);
    assert_eq!(buf.len(), 100, "rows are 100 canonical bytes");

    let mut group = c.benchmark_group("ledger");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("leaves_and_root_1000x100B", |b| {
        let mut buf = Vec::with_capacity(128);
        b.iter(|| {
            let mut tree = RootBuilder::new();
            for row in &rows {
                tree.push(encode_row_leaf(row, &mut buf));
            }
            tree.finish()
        })
    });
    let leaves: Vec<Hash> = rows.iter().map(|r| encode_row_leaf(r, &mut buf)).collect();
    group.bench_function("root_1000_leaves", |b| b.iter(|| root(&leaves)));
    // The floor for the line above: 999 SHA-256 of 65-byte inputs, the same work without a tree.
    group.bench_function("sha256_65B_x999", |b| {
        let input = [1u8; 65];
        b.iter(|| {
            let mut acc = [0u8; 32];
            for _ in 0..999 {
                acc = vellum::crypto::sha256(&input);
            }
            acc
        })
    });
    group.throughput(Throughput::Elements(1));
    let r = root(&leaves);
    group.bench_function("audit_path_1000", |b| b.iter(|| audit_path(&leaves, 617)));
    let path = audit_path(&leaves, 617).unwrap_or_default();
    group.bench_function("verify_proof_1000", |b| {
        b.iter(|| verify_inclusion(617, 1000, &leaves[617], &path, &r))
    });
    let header = BlockHeader::data(41, leaves[0], r, 1_795_000_000_000_000, 1000, 0x5eed_1234_5678_9abc);
    group.bench_function("block_hash", |b| b.iter(|| std::hint::black_box(&header).hash()));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
