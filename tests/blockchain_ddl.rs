//! Blockchain tables through `Session`: the kind and its options survive a restart, psql's
//! `\d+` query shows the options, and the refusals hold after reopening.

use vellum::types::Value;
use vellum::{Database, Session, StatementResult};

fn rows(s: &mut Session, sql: &str) -> Vec<Vec<Value>> {
    match s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).pop() {
        Some(StatementResult::Query { rows, .. }) => rows,
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

fn error(s: &mut Session, sql: &str) -> (String, String) {
    match s.execute(sql) {
        Err(e) => (e.sqlstate().to_string(), e.message()),
        Ok(r) => panic!("{sql}: expected an error, got {r:?}"),
    }
}

/// psql 15's `\d+ t` flag query (captured with `psql -E` from PostgreSQL 15), for `oid`.
fn describe_flags(oid: &str) -> String {
    format!(
        "SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity, \
         c.relforcerowsecurity, false AS relhasoids, c.relispartition, pg_catalog.array_to_string(c.reloptions || \
         array(select 'toast.' || x from pg_catalog.unnest(tc.reloptions) x), ', ')\n, c.reltablespace, CASE WHEN \
         c.reloftype = 0 THEN '' ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END, c.relpersistence, \
         c.relreplident, am.amname\nFROM pg_catalog.pg_class c\n LEFT JOIN pg_catalog.pg_class tc ON \
         (c.reltoastrelid = tc.oid)\nLEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)\nWHERE c.oid = '{oid}';"
    )
}

#[test]
fn kind_and_options_survive_restart_and_show_in_describe() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        let mut s = db.session();
        s.execute(
            "CREATE BLOCKCHAIN TABLE ledger (id int PRIMARY KEY, note text) WITH (block_size = 10, \
             block_seal_interval = '0'); INSERT INTO ledger VALUES (1, 'a'), (2, 'b')",
        )
        .unwrap();
    }
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    let (code, message) = error(&mut s, "UPDATE ledger SET note = 'x'");
    assert_eq!(code, "55000");
    assert_eq!(message, "UPDATE not allowed on blockchain table 'ledger'");
    assert_eq!(error(&mut s, "DROP TABLE ledger").0, "55000");

    let oid = match &rows(&mut s, "SELECT oid FROM pg_class WHERE relname = 'ledger'")[0][0] {
        Value::Int8(n) => n.to_string(),
        Value::Int4(n) => n.to_string(),
        other => other_text(other),
    };
    let flags = rows(&mut s, &describe_flags(&oid));
    assert_eq!(
        flags[0][9],
        Value::Text(
            "block_size=10, block_seal_interval=00:00:00, hash_algorithm=SHA256, enable_merkle_tree=true".into()
        )
    );
    assert_eq!(flags[0][1], Value::Text("r".into()));
    assert_eq!(rows(&mut s, "SELECT count(*) FROM ledger")[0][0], Value::Int8(2));
}

fn other_text(v: &Value) -> String {
    match v {
        Value::Text(t) => t.clone(),
        other => panic!("oid as {other:?}"),
    }
}
