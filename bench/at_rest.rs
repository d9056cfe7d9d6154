//! Blockchain tables at rest: what `compression = 'ZSTD'` saves and what it and
//! `encryption = 'TDE'` cost. Through `Session` with `synchronous_commit = off` and no audit
//! chain (CPU and sled cost, not fsync): multi-row INSERTs of 1000 rows into blockchain tables
//! with block_size 1000 (every commit seals one block), plain, compressed, encrypted, and
//! both; a full scan of 100,000 rows and `verify_blockchain` of each. Before the timings it
//! prints the stored size of each table's sealed bodies against the plain table's, for two
//! kinds of rows: invoice-like text (repetitive) and random hex (close to incompressible).
//! Run: `cargo bench --bench at_rest`; figures are recorded in bench/RESULTS.md.

mod common;

use std::time::Duration;

use common::{exec, invoices};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vellum::crypto::aead::AeadKey;
use vellum::storage::keys::{chain_prefix, BLOCK_BODY_TAG};
use vellum::storage::Store;
use vellum::{Database, OpenOptions};

/// `n` rows whose text is 64 hex digits of a 64-bit mixing function: about as long, and
/// close to incompressible beyond hex's 4 bits per character.
fn random_hex(start: i64, n: i64) -> String {
    let mix = |mut x: u64| {
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    };
    (start..start + n)
        .map(|i| {
            let text: String = (0..4).map(|k| format!("{:016x}", mix((i as u64) << 2 | k))).collect();
            format!("({i}, {}, '{text}')", i % 1000)
        })
        .collect::<Vec<_>>()
        .join(",")
}

const KINDS: [(&str, &str); 4] = [
    ("plain", ""),
    ("zstd", ", compression = 'ZSTD'"),
    ("tde", ", encryption = 'TDE'"),
    ("zstd_tde", ", compression = 'ZSTD', encryption = 'TDE'"),
];

fn open(dir: &std::path::Path, key: &AeadKey) -> Database {
    let options = OpenOptions {
        master_key: Some(key.clone()),
        quiet: true,
    };
    Database::open_with_options(dir, options).unwrap()
}

/// Loads 100 blocks of each row kind into each table kind and prints the stored body sizes.
fn size_ratios(key: &AeadKey) {
    for (rows, make) in [
        ("invoice", invoices as fn(i64, i64) -> String),
        ("random_hex", random_hex),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut ids = Vec::new();
        {
            let db = open(dir.path(), key);
            let mut s = db.session();
            db.set_audit(false);
            exec(&mut s, "SET synchronous_commit = off");
            for (kind, with) in KINDS {
                exec(
                    &mut s,
                    &format!(
                        "CREATE BLOCKCHAIN TABLE {kind} (id bigint, account bigint, note text) \
                         WITH (block_size = 1000, block_seal_interval = '0'{with})"
                    ),
                );
                for start in (0..100_000).step_by(1000) {
                    exec(&mut s, &format!("INSERT INTO {kind} VALUES {}", make(start, 1000)));
                }
                ids.push(db.catalog().table(kind).unwrap().id);
            }
            db.sync().unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let sizes: Vec<usize> = ids
            .iter()
            .map(|id| {
                store
                    .raw_scan_prefix(&chain_prefix(BLOCK_BODY_TAG, *id))
                    .unwrap()
                    .iter()
                    .map(|(_, v)| v.len())
                    .sum()
            })
            .collect();
        for ((kind, _), size) in KINDS.iter().zip(&sizes) {
            println!(
                "at_rest size {rows:>10} {kind:>8}: {size:>9} bytes in 100 bodies, {:.3} of plain",
                *size as f64 / sizes[0] as f64
            );
        }
    }
}

fn benches(c: &mut Criterion) {
    let key = AeadKey::generate().unwrap();
    size_ratios(&key);

    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path(), &key);
    db.set_audit(false);
    let mut s = db.session();
    exec(&mut s, "SET synchronous_commit = off");
    for (kind, with) in KINDS {
        exec(
            &mut s,
            &format!(
                "CREATE BLOCKCHAIN TABLE {kind} (id bigint, account bigint, note text) \
                 WITH (block_size = 1000, block_seal_interval = '0'{with})"
            ),
        );
    }
    let mut group = c.benchmark_group("at_rest_ingest");
    group.throughput(Throughput::Elements(1000));
    group.measurement_time(Duration::from_secs(8));
    let mut next = 0i64;
    for (kind, _) in KINDS {
        group.bench_function(format!("insert_1000_rows_{kind}"), |b| {
            b.iter(|| {
                exec(&mut s, &format!("INSERT INTO {kind} VALUES {}", invoices(next, 1000)));
                next += 1000;
            })
        });
    }
    group.finish();

    // The same 100,000 rows in each table kind, read back and verified.
    for (kind, with) in KINDS {
        let name = format!("read_{kind}");
        exec(
            &mut s,
            &format!(
                "CREATE BLOCKCHAIN TABLE {name} (id bigint, account bigint, note text) \
                 WITH (block_size = 1000, block_seal_interval = '0'{with})"
            ),
        );
        for start in (0..100_000).step_by(5000) {
            exec(&mut s, &format!("INSERT INTO {name} VALUES {}", invoices(start, 5000)));
        }
    }
    let mut group = c.benchmark_group("at_rest_read");
    group.throughput(Throughput::Elements(100_000));
    group.sample_size(10);
    for (kind, _) in KINDS {
        group.bench_function(format!("scan_100k_rows_{kind}"), |b| {
            b.iter(|| exec(&mut s, &format!("SELECT count(*) FROM read_{kind} WHERE account = 7")))
        });
        group.bench_function(format!("verify_100k_rows_{kind}"), |b| {
            b.iter(|| exec(&mut s, &format!("SELECT verify_blockchain('read_{kind}')")))
        });
    }
    group.finish();
}

criterion_group!(at_rest, benches);
criterion_main!(at_rest);
