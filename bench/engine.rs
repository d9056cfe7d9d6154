//! Engine micro-benchmarks through the public `Session` API: point lookup by primary key (SQL
//! text, and prepared with a parameter),
//! a filtered scan over 1M rows, a primary-key range of 500k rows into count and sum, a 3-way
//! hash join, and multi-row INSERT throughput.
//! Run: `cargo bench --bench engine`; figures are recorded in bench/RESULTS.md.

mod common;

use std::time::Duration;

use common::exec;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use vellum::types::Value;
use vellum::{Database, Session};

/// Loads `rows` rows of `(id bigint primary key, account bigint, amount numeric(18,2), currency varchar(3))`.
fn load(s: &mut Session, table: &str, rows: i64) {
    exec(
        s,
        &format!(
            "CREATE TABLE {table} (id bigint PRIMARY KEY, account bigint, amount numeric(18,2), currency varchar(3))"
        ),
    );
    let batch = 5000;
    for start in (0..rows).step_by(batch as usize) {
        let end = (start + batch).min(rows);
        let values: Vec<String> = (start..end)
            .map(|i| {
                format!(
                    "({i}, {}, {}.{:02}, '{}')",
                    i % 1000,
                    i % 10_000,
                    i % 100,
                    ["EUR", "USD", "GBP"][(i % 3) as usize]
                )
            })
            .collect();
        exec(s, &format!("INSERT INTO {table} VALUES {}", values.join(",")));
    }
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    exec(&mut s, "SET synchronous_commit = off");

    load(&mut s, "big", 1_000_000);
    load(&mut s, "small", 100_000);
    exec(&mut s, "CREATE TABLE accounts (account bigint PRIMARY KEY, owner text)");
    let owners: Vec<String> = (0..1000).map(|i| format!("({i}, 'owner {i}')")).collect();
    exec(&mut s, &format!("INSERT INTO accounts VALUES {}", owners.join(",")));
    exec(
        &mut s,
        "CREATE TABLE currencies (code varchar(3) PRIMARY KEY, name text)",
    );
    exec(
        &mut s,
        "INSERT INTO currencies VALUES ('EUR', 'euro'), ('USD', 'dollar'), ('GBP', 'pound')",
    );

    let mut group = c.benchmark_group("engine");
    group.measurement_time(Duration::from_secs(5));

    let mut key = 0i64;
    group.throughput(Throughput::Elements(1));
    group.bench_function("point_lookup_pk", |b| {
        b.iter(|| {
            key = (key + 7919) % 100_000;
            exec(&mut s, &format!("SELECT amount FROM small WHERE id = {key}"));
        })
    });

    // The extended query protocol's path: parsed and bound once, executed with a parameter.
    let lookup = s.prepare("SELECT amount FROM small WHERE id = $1", &[]).unwrap();
    group.bench_function("point_lookup_pk_prepared", |b| {
        b.iter(|| {
            key = (key + 7919) % 100_000;
            if let Err(e) = s.execute_prepared(&lookup, &[Value::Int8(key)]) {
                panic!("prepared lookup of {key}: {e}");
            }
        })
    });

    group.sample_size(10);
    group.throughput(Throughput::Elements(1_000_000));
    group.bench_function("scan_filter_1m", |b| {
        b.iter(|| {
            exec(
                &mut s,
                "SELECT count(*) FROM big WHERE account < 100 AND currency = 'EUR'",
            )
        })
    });

    // vellum-bench's range workload: half the table through a primary-key range into two aggregates.
    group.throughput(Throughput::Elements(500_000));
    group.bench_function("range_sum_500k", |b| {
        b.iter(|| {
            exec(
                &mut s,
                "SELECT count(*), sum(amount) FROM big WHERE id BETWEEN 250000 AND 749999",
            )
        })
    });

    group.throughput(Throughput::Elements(100_000));
    group.bench_function("hash_join_3way_100k", |b| {
        b.iter(|| {
            exec(
                &mut s,
                "SELECT c.name, count(*), sum(t.amount) FROM small t JOIN accounts a ON t.account = a.account \
                 JOIN currencies c ON t.currency = c.code GROUP BY c.name",
            )
        })
    });

    let mut next = 10_000_000i64;
    group.throughput(Throughput::Elements(1000));
    group.bench_with_input(BenchmarkId::new("insert_multirow", 1000), &1000, |b, &n| {
        b.iter(|| {
            let values: Vec<String> = (next..next + n)
                .map(|i| format!("({i}, {}, {}.50, 'EUR')", i % 1000, i % 10_000))
                .collect();
            next += n;
            exec(&mut s, &format!("INSERT INTO big VALUES {}", values.join(",")));
        })
    });
    group.finish();
}

criterion_group!(engine, benches);
criterion_main!(engine);
