//! `vellum verify --data DIR [TABLE…]` on a stopped database: exit 0 and no findings when
//! intact, exit 1 with the finding printed after a stored byte changed, 2 for an unknown
//! table, and it changes nothing (pending rows stay pending: no background sealing).

use std::process::Command;

use vellum::storage::keys::{chain_key, BLOCK_BODY_TAG};
use vellum::storage::Store;
use vellum::types::Value;
use vellum::{Database, StatementResult};

fn verify(dir: &std::path::Path, tables: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vellum"))
        .arg("verify")
        .arg("--data")
        .arg(dir)
        .args(tables)
        .output()
        .unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn verify_reports_findings_and_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let table_id = {
        // Quiet: no background sealer, so `good` keeps a pending row although its interval
        // has long passed by the time `vellum verify` runs.
        let db = Database::open_quiet(dir.path()).unwrap();
        let mut s = db.session();
        s.execute(
            "CREATE BLOCKCHAIN TABLE good (id int) WITH (block_size = 2, block_seal_interval = '1 millisecond');
             CREATE BLOCKCHAIN TABLE bad (id int) WITH (block_size = 2, block_seal_interval = '1 millisecond');
             INSERT INTO good VALUES (1), (2), (3);
             INSERT INTO bad VALUES (1), (2)",
        )
        .unwrap();
        db.catalog().table("bad").unwrap().id
    };
    let (code, out) = verify(dir.path(), &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no findings"), "{out}");

    {
        let store = Store::open(dir.path()).unwrap();
        let key = chain_key(BLOCK_BODY_TAG, table_id, 1);
        let mut body = store.raw_scan_prefix(&key).unwrap().remove(0).1;
        let last = body.len() - 1;
        body[last] ^= 1;
        store.raw_put(&key, Some(&body)).unwrap();
    }
    let (code, out) = verify(dir.path(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("bad: row_altered (block 1)"), "{out}");
    assert!(!out.contains("good:"), "{out}");
    let (code, out) = verify(dir.path(), &["good"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(verify(dir.path(), &["nope"]).0, 2);

    // The pending row of `good` is still pending, though overdue: verify sealed nothing.
    let db = Database::open_quiet(dir.path()).unwrap();
    let mut s = db.session();
    match s
        .execute("SELECT count(*) FROM good WHERE _block_id IS NULL")
        .unwrap()
        .pop()
    {
        Some(StatementResult::Query { rows, .. }) => assert_eq!(rows[0][0], Value::Int8(1)),
        other => panic!("{other:?}"),
    }
}
