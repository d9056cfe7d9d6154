//! Helpers shared by the blockchain-table tests that read a chain through SQL or change its
//! stored bytes with `Store` (bypassing the engine).

#![allow(dead_code)]

use std::path::Path;

use vellum::storage::Store;
use vellum::types::Value;
use vellum::{Database, Session, StatementResult};

/// The rows of the last statement in `sql`.
pub fn rows(s: &mut Session, sql: &str) -> Vec<Vec<Value>> {
    match s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).pop() {
        Some(StatementResult::Query { rows, .. }) => rows,
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

/// The first value of the first row of the last statement in `sql`.
pub fn one(s: &mut Session, sql: &str) -> Value {
    rows(s, sql).remove(0).remove(0)
}

pub fn table_id(db: &Database, name: &str) -> u32 {
    db.catalog().table(name).unwrap().id
}

/// Applies `tamper` to the stopped store at `dir`, reopens it, checks that `table` no longer
/// verifies while `intact` still does, and returns `table`'s tamper report as (block_id,
/// finding).
pub fn tampered_report(dir: &Path, table: &str, intact: &str, tamper: impl FnOnce(&Store)) -> Vec<(Value, String)> {
    {
        let store = Store::open(dir).unwrap();
        tamper(&store);
    }
    let db = Database::open(dir).unwrap();
    let mut s = db.session();
    assert_eq!(
        one(&mut s, &format!("SELECT verify_blockchain('{table}')")),
        Value::Bool(false)
    );
    assert_eq!(
        one(&mut s, &format!("SELECT verify_blockchain('{intact}')")),
        Value::Bool(true)
    );
    rows(
        &mut s,
        &format!("SELECT block_id, finding FROM blockchain_tamper_report('{table}')"),
    )
    .into_iter()
    .map(|mut r| {
        let finding = match r.remove(1) {
            Value::Text(t) => t,
            other => panic!("{other:?}"),
        };
        (r.remove(0), finding)
    })
    .collect()
}

/// Waits (up to 30 s) until the background sealer has sealed `table`'s first data block of
/// `rows` rows.
pub fn wait_until_sealed(s: &mut Session, table: &str, rows: i64) {
    let sealed =
        format!("SELECT count(*) FROM blockchain_metadata('{table}') WHERE block_type = 'data' AND row_count = {rows}");
    let mut waited = 0;
    while one(s, &sealed) != Value::Int8(1) {
        assert!(waited < 600, "pending rows of '{table}' were never sealed");
        std::thread::sleep(std::time::Duration::from_millis(50));
        waited += 1;
    }
}
