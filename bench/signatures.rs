//! Block signature costs: Ed25519 signing and verification of one block message (the work a
//! server-held signer adds to each seal, and verification adds per stored signature), and,
//! through the public `Session` API, a one-row INSERT whose commit seals a one-row block
//! (block_size 1) with no signer, with one server-held signer, and with two.
//! Run: `cargo bench --bench signatures`; figures are recorded in bench/RESULTS.md.

mod common;

use std::time::Duration;

use common::exec;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vellum::crypto::ed25519::{verify, KeyPair};
use vellum::ledger::signature::signing_message;
use vellum::Database;

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("signature");
    group.throughput(Throughput::Elements(1));
    let pair = KeyPair::from_seed(&[7; 32]);
    let public = pair.public_key();
    let hash = [0x42u8; 32];
    group.bench_function("sign_block_message", |b| {
        b.iter(|| pair.sign(&signing_message(16400, 12, &hash)))
    });
    let signature = pair.sign(&signing_message(16400, 12, &hash));
    group.bench_function("verify_block_signature", |b| {
        b.iter(|| verify(&public, &signing_message(16400, 12, &hash), &signature))
    });
    group.finish();

    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    exec(&mut s, "SET synchronous_commit = off");
    exec(&mut s, "CREATE SIGNER one GENERATE KEY; CREATE SIGNER two GENERATE KEY");
    for (table, signers) in [("none", ""), ("one", "one"), ("two", "one, two")] {
        exec(
            &mut s,
            &format!(
                "CREATE BLOCKCHAIN TABLE seal_{table} (id bigint, note text) \
                 WITH (block_size = 1, block_seal_interval = '0', authorized_signers = '{signers}')"
            ),
        );
    }
    let mut group = c.benchmark_group("seal_per_commit");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(6));
    for table in ["none", "one", "two"] {
        let mut next = 0i64;
        group.bench_function(format!("insert_1_row_block_size_1_signers_{table}"), |b| {
            b.iter(|| {
                exec(&mut s, &format!("INSERT INTO seal_{table} VALUES ({next}, 'payment')"));
                next += 1;
            })
        });
    }
    group.finish();
    for table in ["one", "two"] {
        let mut check = db.session();
        match check.execute(&format!(
            "SELECT count(*) FROM blockchain_metadata('seal_{table}') WHERE signature_count = 0"
        )) {
            Ok(mut r) => match r.pop() {
                Some(vellum::StatementResult::Query { rows, .. }) => {
                    assert_eq!(
                        rows[0][0],
                        vellum::types::Value::Int8(0),
                        "unsigned blocks in seal_{table}"
                    )
                }
                other => panic!("{other:?}"),
            },
            Err(e) => panic!("{e}"),
        }
    }
}

criterion_group!(signature_benches, benches);
criterion_main!(signature_benches);
