//! Blockchain tables through the public `Session` API: multi-row INSERT into a blockchain
//! table (block_size 1000, so commits seal) against the same load into an ordinary table,
//! each with and without the audit chain, sealing one 1000-row block on request, and full
//! verification of a 100,000-row chain.
//! Run: `cargo bench --bench blockchain`; figures are recorded in bench/RESULTS.md.

mod common;

use std::time::Duration;

use common::{exec, invoices};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use vellum::Database;

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    exec(&mut s, "SET synchronous_commit = off");
    exec(&mut s, "CREATE TABLE plain (id bigint, account bigint, note text)");
    exec(
        &mut s,
        "CREATE BLOCKCHAIN TABLE chained (id bigint, account bigint, note text) \
         WITH (block_size = 1000, block_seal_interval = '0')",
    );
    exec(
        &mut s,
        "CREATE BLOCKCHAIN TABLE unsealed (id bigint, account bigint, note text) \
         WITH (block_size = 100000, block_seal_interval = '0')",
    );

    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Elements(1000));
    group.measurement_time(Duration::from_secs(8));
    // Without the audit chain first, then with it, each on the bigger store the one before
    // left: what recording every statement costs, if anything overstated.
    let mut next = 0i64;
    for (audit, suffix) in [(false, "_no_audit"), (true, "")] {
        db.set_audit(audit);
        group.bench_function(format!("insert_1000_rows_ordinary{suffix}"), |b| {
            b.iter(|| {
                exec(&mut s, &format!("INSERT INTO plain VALUES {}", invoices(next, 1000)));
                next += 1000;
            })
        });
        group.bench_function(format!("insert_1000_rows_blockchain{suffix}"), |b| {
            b.iter(|| {
                exec(&mut s, &format!("INSERT INTO chained VALUES {}", invoices(next, 1000)));
                next += 1000;
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("seal");
    group.throughput(Throughput::Elements(1000));
    let mut next = 0i64;
    let mut sealer = db.session();
    // The seal's own work, without the fsync its commit waits for by default.
    exec(&mut sealer, "SET synchronous_commit = off");
    group.bench_function("seal_1000_row_block", |b| {
        b.iter_batched(
            || {
                exec(&mut s, &format!("INSERT INTO unsealed VALUES {}", invoices(next, 1000)));
                next += 1000;
            },
            |()| exec(&mut sealer, "SELECT seal_blockchain_block('unsealed')"),
            BatchSize::PerIteration,
        )
    });
    group.finish();

    let mut v = db.session();
    exec(
        &mut v,
        "CREATE BLOCKCHAIN TABLE audited (id bigint, account bigint, note text) WITH (block_size = 1000)",
    );
    for start in (0..100_000).step_by(5000) {
        exec(&mut v, &format!("INSERT INTO audited VALUES {}", invoices(start, 5000)));
    }
    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(100_000));
    group.sample_size(10);
    group.bench_function("verify_100k_rows", |b| {
        b.iter(|| exec(&mut v, "SELECT verify_blockchain('audited')"))
    });
    group.bench_function("verify_one_block", |b| {
        b.iter(|| exec(&mut v, "SELECT verify_blockchain_block('audited', 50)"))
    });
    group.finish();
}

criterion_group!(blockchain, benches);
criterion_main!(blockchain);
