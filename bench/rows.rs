//! Per-row micro-benchmarks: what one row costs a scan or an insert before sled sees it.
//!
//! Rows are `(id bigint, account bigint, amount numeric(18,2), currency varchar(3), at timestamp,
//! doc jsonb)`, 100 bytes each in the row format; every benchmark handles 1000 distinct rows (or
//! keys) per iteration, so its throughput is in rows per second.
//!
//! - `encode_row`: `storage::row::encode_row` into a fresh buffer, as `exec::table::insert_row` does;
//!   `encode_row_without_jsonb`: the same rows without `doc` (58 bytes);
//! - `decode_row`: `storage::row::decode_row`, the whole row (a scan's output row);
//! - `decode_columns_3of6`: `storage::row::decode_columns` with the mask a filter on `id`,
//!   `account` and `currency` gives (what a filtered scan decodes before evaluating);
//!   `decode_columns_5of6`: every column but `doc`;
//! - `encode_key_int8` / `encode_key_int8_text`: a row key as `exec::table::primary_key` builds
//!   it (table prefix, then `storage::keys::encode_key`) for an `int8` and an `(int8, text)` key;
//! - `eval_filter`: `(id * 2 + account) % 7 = 3 AND currency LIKE 'E%'` through the public
//!   `exec::Executor::eval_predicate` on decoded rows. The predicate is the bound, optimized scan
//!   filter of `SELECT id FROM t WHERE ...` (`plan::Binder::bind_statement`), so it is the
//!   expression a scan evaluates; its transaction comes from a store of its own, as the
//!   predicate runs no subquery. `eval_arithmetic` and `eval_like` evaluate its two halves;
//! - `decode_columns_and_eval_filter`: the two above together, a filtered scan's work per
//!   rejected row, sled aside;
//! - `scan_count_100k` / `scan_count_filtered_100k`: `SELECT count(*) FROM t` with and without
//!   that filter through `Session`, over 100k rows, for what the per-row figures weigh in a
//!   whole statement (the filtered scan decodes three columns of each row and the whole of the
//!   rows it keeps, the other decodes every row whole).
//!
//! The benchmark runs on mimalloc, the allocator of the `vellum` binary, so allocation costs are
//! those of the server (the other benches under bench/ use the system allocator).
//!
//! Run: `cargo bench --bench rows`; figures are recorded in bench/RESULTS.md.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::exec;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vellum::catalog::Catalog;
use vellum::exec::Executor;
use vellum::plan::{Binder, BoundStatement, Expr, Plan};
use vellum::storage::keys::{encode_key, table_prefix};
use vellum::storage::row::{decode_columns, decode_row, encode_row};
use vellum::storage::Store;
use vellum::types::functions::FunctionContext;
use vellum::types::{text, DataType, Value};
use vellum::Database;

/// The `vellum` binary's allocator (src/main.rs): rows and keys are small, short-lived allocations.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TABLE: &str = "CREATE TABLE t (id bigint PRIMARY KEY, account bigint, amount numeric(18,2), \
                     currency varchar(3), at timestamp, doc jsonb)";
const FILTER: &str = "(id * 2 + account) % 7 = 3 AND currency LIKE 'E%'";
/// The two halves of `FILTER`.
const ARITHMETIC: &str = "(id * 2 + account) % 7 = 3";
const LIKE: &str = "currency LIKE 'E%'";
/// Which columns `FILTER` reads: id, account, currency.
const FILTER_COLUMNS: [bool; 6] = [true, true, false, true, false, false];
const CURRENCIES: [&str; 3] = ["EUR", "USD", "GBP"];

/// Row `i` as SQL literals, in column order.
fn literals(i: i64) -> [String; 6] {
    [
        i.to_string(),
        (i % 1000).to_string(),
        format!("{}.{:02}", i % 10_000, i % 100),
        CURRENCIES[(i % 3) as usize].to_string(),
        format!(
            "2026-11-{:02} {:02}:{:02}:{:02}.{:06}",
            1 + i % 28,
            i % 24,
            i % 60,
            (i / 60) % 60,
            (i * 7919) % 1_000_000
        ),
        format!(
            r#"{{"ip": "10.0.{:03}.{:03}", "memo": "refund"}}"#,
            (i / 256) % 256,
            i % 256
        ),
    ]
}

/// Row `i` as values, through each type's text input (as a literal in an INSERT becomes one).
fn row(i: i64) -> Vec<Value> {
    let types = [
        DataType::Int8,
        DataType::Int8,
        DataType::Numeric(Some((18, 2))),
        DataType::Varchar(Some(3)),
        DataType::Timestamp,
        DataType::Jsonb,
    ];
    literals(i)
        .iter()
        .zip(&types)
        .map(|(literal, ty)| text::parse(literal, ty).unwrap_or_else(|e| panic!("{literal}: {e}")))
        .collect()
}

/// `predicate` bound and optimized as the scan filter of `SELECT id FROM t WHERE predicate`.
fn bind_filter(catalog: &Catalog, predicate: &str) -> Expr {
    let statements = vellum::sql::parse(&format!("SELECT id FROM t WHERE {predicate}")).unwrap();
    let bound = Binder::new(catalog, &[]).bind_statement(&statements[0]).unwrap();
    let BoundStatement::Query(query) = &bound else {
        panic!("a SELECT binds to a query")
    };
    match filter_of(&query.plan) {
        Some(filter) => filter.clone(),
        None => panic!("no filter in {:?}", query.plan),
    }
}

/// The filter the optimizer leaves on the scan (or above it) of a one-table query.
fn filter_of(plan: &Plan) -> Option<&Expr> {
    match plan {
        Plan::Scan { filter, .. } => filter.as_ref(),
        Plan::Filter { predicate, .. } => Some(predicate),
        Plan::Project { input, .. } => filter_of(input),
        _ => None,
    }
}

/// The 1000 rows every benchmark here works on, and their stored forms.
fn sample_rows() -> (Vec<Vec<Value>>, Vec<Vec<u8>>) {
    let rows: Vec<Vec<Value>> = (0..1000).map(row).collect();
    let encoded = rows
        .iter()
        .map(|r| {
            let mut bytes = Vec::new();
            encode_row(r, &mut bytes);
            bytes
        })
        .collect();
    (rows, encoded)
}

fn codec(c: &mut Criterion) {
    let (rows, encoded) = sample_rows();
    assert!(
        encoded.iter().all(|b| b.len() == 100),
        "rows are 100 bytes in the row format"
    );

    let mut group = c.benchmark_group("rows");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("encode_row", |b| {
        b.iter(|| {
            let mut total = 0;
            for r in &rows {
                let mut bytes = Vec::new();
                encode_row(r, &mut bytes);
                total += bytes.len();
            }
            total
        })
    });
    // The same rows without `doc`: how much of encoding is the jsonb column's canonical text.
    let without_doc: Vec<Vec<Value>> = rows.iter().map(|r| r[..5].to_vec()).collect();
    group.bench_function("encode_row_without_jsonb", |b| {
        b.iter(|| {
            let mut total = 0;
            for r in &without_doc {
                let mut bytes = Vec::new();
                encode_row(r, &mut bytes);
                total += bytes.len();
            }
            total
        })
    });
    group.bench_function("decode_row", |b| {
        b.iter(|| {
            let mut total = 0;
            for bytes in &encoded {
                total += decode_row(bytes).map_or(0, |r| r.len());
            }
            total
        })
    });
    group.bench_function("decode_columns_3of6", |b| {
        b.iter(|| {
            let mut total = 0;
            for bytes in &encoded {
                total += decode_columns(bytes, &FILTER_COLUMNS).map_or(0, |r| r.len());
            }
            total
        })
    });

    // Every column but `doc`: how much of decoding is parsing the jsonb column.
    let all_but_doc = [true, true, true, true, true, false];
    group.bench_function("decode_columns_5of6", |b| {
        b.iter(|| {
            let mut total = 0;
            for bytes in &encoded {
                total += decode_columns(bytes, &all_but_doc).map_or(0, |r| r.len());
            }
            total
        })
    });

    let int8_keys: Vec<Vec<Value>> = rows.iter().map(|r| vec![r[0].clone()]).collect();
    let composite_keys: Vec<Vec<Value>> = (0..1000i64)
        .map(|i| vec![Value::Int8(i % 100), Value::Text(format!("customer-{i:06}"))])
        .collect();
    for (name, keys) in [
        ("encode_key_int8", &int8_keys),
        ("encode_key_int8_text", &composite_keys),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut total = 0;
                for values in keys {
                    let mut key = table_prefix(42);
                    if encode_key(values, &mut key).is_ok() {
                        total += key.len();
                    }
                }
                total
            })
        });
    }
    group.finish();
}

fn filter(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    let mut s = db.session();
    exec(&mut s, "SET synchronous_commit = off");
    exec(&mut s, TABLE);
    let catalog = db.catalog();
    let predicate = bind_filter(&catalog, FILTER);
    let arithmetic = bind_filter(&catalog, ARITHMETIC);
    let like = bind_filter(&catalog, LIKE);

    // Expressions read the transaction only to run subqueries; this one has none.
    let store = Store::open(&dir.path().join("txn")).unwrap();
    let txn = store.begin();
    let functions = FunctionContext {
        transaction_start: Utc::now(),
        statement_start: Utc::now(),
        user: None,
    };
    let mut executor = Executor::new(&catalog, &[], &functions, None);

    let (rows, encoded) = sample_rows();
    // The filter keeps (2i + i mod 1000) mod 7 = 3 of the euro rows: about 1 row in 21.
    let kept = rows
        .iter()
        .filter(|r| executor.eval_predicate(&txn, &predicate, r).unwrap())
        .count();
    let expected = (0..1000i64)
        .filter(|i| (i * 2 + i % 1000) % 7 == 3 && i % 3 == 0)
        .count();
    assert_eq!(kept, expected, "the bound filter is the SQL one");

    let mut group = c.benchmark_group("rows");
    group.throughput(Throughput::Elements(1000));
    for (name, expr) in [
        ("eval_filter", &predicate),
        ("eval_arithmetic", &arithmetic),
        ("eval_like", &like),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut kept = 0;
                for r in &rows {
                    if executor.eval_predicate(&txn, expr, r).unwrap_or(false) {
                        kept += 1;
                    }
                }
                kept
            })
        });
    }
    group.bench_function("decode_columns_and_eval_filter", |b| {
        b.iter(|| {
            let mut kept = 0;
            for bytes in &encoded {
                let Ok(r) = decode_columns(bytes, &FILTER_COLUMNS) else {
                    continue;
                };
                if executor.eval_predicate(&txn, &predicate, &r).unwrap_or(false) {
                    kept += 1;
                }
            }
            kept
        })
    });

    // The same filter in a whole statement: 100k rows, cached by sled after the first pass.
    for start in (0..100_000i64).step_by(5000) {
        let values: Vec<String> = (start..start + 5000)
            .map(|i| {
                let [id, account, amount, currency, at, doc] = literals(i);
                format!("({id}, {account}, {amount}, '{currency}', '{at}', '{doc}')")
            })
            .collect();
        exec(&mut s, &format!("INSERT INTO t VALUES {}", values.join(",")));
    }
    exec(&mut s, "SELECT count(*) FROM t");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("scan_count_100k", |b| b.iter(|| exec(&mut s, "SELECT count(*) FROM t")));
    let filtered = format!("SELECT count(*) FROM t WHERE {FILTER}");
    group.bench_function("scan_count_filtered_100k", |b| b.iter(|| exec(&mut s, &filtered)));
    group.finish();
}

criterion_group!(benches, codec, filter);
criterion_main!(benches);
