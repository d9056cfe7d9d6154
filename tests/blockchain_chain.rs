//! Blockchain tables' chains as stored: concurrent inserting sessions make one linear chain
//! holding every committed row exactly once, and tampering with the stored bytes (opened
//! directly with `Store`, bypassing the engine) is caught by verification with the right
//! finding, while other tables still verify.

mod ledger_common;

use std::collections::BTreeMap;
use std::path::Path;

use ledger_common::{one, rows, table_id, tampered_report, wait_until_sealed};
use vellum::catalog::{codec, CatalogRecord};
use vellum::ledger::body::body_rows;
use vellum::ledger::chain::{decode_pending, uncommitted_row, Tip};
use vellum::ledger::BlockHeader;
use vellum::storage::keys::{
    chain_key, chain_key_item, chain_prefix, table_prefix, BLOCK_BODY_TAG, BLOCK_HEADER_TAG, CHAIN_TIP_TAG, PENDING_TAG,
};
use vellum::storage::row::decode_row;
use vellum::storage::Store;
use vellum::types::Value;
use vellum::Database;

/// The first integer column of every row the chain holds (sealed blocks in order, then
/// pending), decoded straight from the stored bytes.
fn chained_ids(store: &Store, table: u32) -> (Vec<i64>, u64) {
    let mut ids = Vec::new();
    let headers = store.raw_scan_prefix(&chain_prefix(BLOCK_HEADER_TAG, table)).unwrap();
    let mut prev = [0u8; 32];
    for (expected_id, (key, value)) in headers.iter().enumerate() {
        let id = chain_key_item(key).unwrap();
        assert_eq!(id, expected_id as u64, "block ids are consecutive");
        let (header, stored) = BlockHeader::decode(value).unwrap();
        assert_eq!(header.prev_block_hash, prev, "block {id} links to its predecessor");
        assert_eq!(header.hash(), stored);
        prev = stored;
        if id == 0 {
            continue;
        }
        let body = store
            .raw_scan_prefix(&chain_key(BLOCK_BODY_TAG, table, id))
            .unwrap()
            .remove(0)
            .1;
        for row in body_rows(&body).unwrap() {
            ids.push(first_int(&decode_row(row).unwrap()));
        }
    }
    let pending = store.raw_scan_prefix(&chain_prefix(PENDING_TAG, table)).unwrap();
    for (key, value) in &pending {
        for entry in decode_pending(chain_key_item(key).unwrap(), value).unwrap() {
            ids.push(first_int(&decode_row(&entry.row).unwrap()));
        }
    }
    (ids, headers.len() as u64 - 1)
}

fn first_int(row: &[Value]) -> i64 {
    match row.first() {
        Some(Value::Int4(n)) => i64::from(*n),
        Some(Value::Int8(n)) => *n,
        other => panic!("unexpected first column {other:?}"),
    }
}

#[test]
fn concurrent_inserters_make_one_chain_with_every_row_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    s.execute(
        "CREATE BLOCKCHAIN TABLE t (id int, who int, note text) WITH (block_size = 7, block_seal_interval = '0')",
    )
    .unwrap();
    const THREADS: i64 = 4;
    const PER_THREAD: i64 = 60;
    let handles: Vec<_> = (0..THREADS)
        .map(|thread| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut s = db.session();
                let mut i = 0;
                while i < PER_THREAD {
                    let id = thread * 1000 + i;
                    if i % 10 == 3 {
                        // A multi-row insert in an explicit transaction, and a rolled-back one.
                        s.execute(&format!(
                            "BEGIN; INSERT INTO t VALUES ({id}, {thread}, 'a'), ({}, {thread}, 'b'); COMMIT",
                            id + 1
                        ))
                        .unwrap_or_else(|e| panic!("thread {thread}: {e}"));
                        s.execute(&format!(
                            "BEGIN; INSERT INTO t VALUES ({}, -1, 'x'); ROLLBACK",
                            id + 500
                        ))
                        .unwrap();
                        i += 2;
                    } else {
                        s.execute(&format!("INSERT INTO t VALUES ({id}, {thread}, 'row {id}')"))
                            .unwrap_or_else(|e| panic!("thread {thread}: {e}"));
                        i += 1;
                    }
                    if i % 25 == 0 {
                        s.execute("SELECT seal_blockchain_block('t')").unwrap();
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(one(&mut s, "SELECT count(*) FROM t"), Value::Int8(THREADS * PER_THREAD));
    assert_eq!(one(&mut s, "SELECT verify_blockchain('t')"), Value::Bool(true));
    // Every row has its own position, shown by the hidden columns.
    assert_eq!(
        one(
            &mut s,
            "SELECT count(*) FROM (SELECT DISTINCT _block_id, _row_index FROM t WHERE _row_index IS NOT NULL) p"
        ),
        Value::Int8(THREADS * PER_THREAD)
    );
    let blocks = one(
        &mut s,
        "SELECT count(*) FROM blockchain_metadata('t') WHERE block_type = 'data'",
    );
    let id = table_id(&db, "t");
    drop(s);
    drop(db);

    let store = Store::open(dir.path()).unwrap();
    let (mut ids, data_blocks) = chained_ids(&store, id);
    assert_eq!(Value::Int8(data_blocks as i64), blocks);
    assert_eq!(
        ids.len() as i64,
        THREADS * PER_THREAD,
        "every committed row chained once"
    );
    ids.sort();
    let mut expected: Vec<i64> = (0..THREADS)
        .flat_map(|t| (0..PER_THREAD).map(move |i| t * 1000 + i))
        .collect();
    expected.sort();
    assert_eq!(ids, expected);
    // Fewer than block_size rows are ever left pending.
    let tip = Tip::decode(&store.raw_scan_prefix(&chain_prefix(CHAIN_TIP_TAG, id)).unwrap()[0].1).unwrap();
    assert!(tip.pending() < 7);
    assert_eq!(tip.next_seq, (THREADS * PER_THREAD) as u64);
}

/// A database with blockchain tables `a` (2 sealed blocks of 3 rows, 2 rows pending) and
/// `b` (one sealed block), and an ordinary table.
fn setup(dir: &Path) -> (u32, u32) {
    let db = Database::open(dir).unwrap();
    let mut s = db.session();
    s.execute(
        "CREATE BLOCKCHAIN TABLE a (id int PRIMARY KEY, v text) WITH (block_size = 3, block_seal_interval = '0');
         CREATE BLOCKCHAIN TABLE b (id int, v text) WITH (block_size = 3, block_seal_interval = '0');
         CREATE TABLE plain (id int);
         INSERT INTO a VALUES (1, 'one'), (2, 'two'), (3, 'three'), (4, 'four'), (5, 'five'), (6, 'six');
         INSERT INTO a VALUES (7, 'seven'), (8, 'eight');
         INSERT INTO b VALUES (1, 'x'), (2, 'y'), (3, 'z');
         INSERT INTO plain VALUES (1)",
    )
    .unwrap();
    assert_eq!(one(&mut s, "SELECT verify_blockchain('a')"), Value::Bool(true));
    assert_eq!(
        one(&mut s, "SELECT count(*) FROM blockchain_tamper_report('a')"),
        Value::Int8(0)
    );
    (table_id(&db, "a"), table_id(&db, "b"))
}

/// Applies `tamper` to the stopped store, reopens, and returns the tamper report of `a`
/// (block_id, finding) after checking verify is false for `a` and true for `b`.
fn tampered(tamper: impl FnOnce(&Store, u32)) -> Vec<(Value, String)> {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = setup(dir.path());
    tampered_report(dir.path(), "a", "b", |store| tamper(store, a))
}

fn flip_in(store: &Store, key: &[u8], at: impl FnOnce(usize) -> usize) {
    let mut value = store.raw_scan_prefix(key).unwrap().remove(0).1;
    let i = at(value.len());
    value[i] ^= 0x01;
    store.raw_put(key, Some(&value)).unwrap();
}

fn has(report: &[(Value, String)], block: Option<i64>, finding: &str) -> bool {
    let id = block.map_or(Value::Null, Value::Int8);
    report.iter().any(|(b, f)| *b == id && f == finding)
}

#[test]
fn a_flipped_byte_of_a_sealed_row_is_row_altered() {
    let report = tampered(|store, a| flip_in(store, &chain_key(BLOCK_BODY_TAG, a, 2), |len| len - 1));
    assert!(has(&report, Some(2), "row_altered"), "{report:?}");
}

#[test]
fn a_flipped_byte_of_a_header_is_header_altered() {
    // Offset 80 lies in the timestamp (74..82), a hashed field.
    let report = tampered(|store, a| flip_in(store, &chain_key(BLOCK_HEADER_TAG, a, 1), |_| 80));
    assert!(has(&report, Some(1), "header_altered"), "{report:?}");
}

#[test]
fn a_flipped_byte_of_a_pending_row_is_pending_altered() {
    // Rows 7 and 8 (positions 6 and 7) were inserted by one statement: one batch from 6.
    let report = tampered(|store, a| flip_in(store, &chain_key(PENDING_TAG, a, 6), |len| len - 1));
    assert!(has(&report, None, "pending_altered"), "{report:?}");
}

#[test]
fn a_deleted_block_is_block_missing() {
    let report = tampered(|store, a| {
        store.raw_put(&chain_key(BLOCK_HEADER_TAG, a, 1), None).unwrap();
        store.raw_put(&chain_key(BLOCK_BODY_TAG, a, 1), None).unwrap();
    });
    assert!(has(&report, Some(1), "block_missing"), "{report:?}");
    let report = tampered(|store, a| {
        store.raw_put(&chain_key(BLOCK_HEADER_TAG, a, 2), None).unwrap();
        store.raw_put(&chain_key(BLOCK_BODY_TAG, a, 2), None).unwrap();
    });
    assert!(has(&report, Some(2), "block_missing"), "{report:?}");
}

#[test]
fn swapped_blocks_break_the_links() {
    let report = tampered(|store, a| {
        let h1 = store
            .raw_scan_prefix(&chain_key(BLOCK_HEADER_TAG, a, 1))
            .unwrap()
            .remove(0)
            .1;
        let h2 = store
            .raw_scan_prefix(&chain_key(BLOCK_HEADER_TAG, a, 2))
            .unwrap()
            .remove(0)
            .1;
        store.raw_put(&chain_key(BLOCK_HEADER_TAG, a, 1), Some(&h2)).unwrap();
        store.raw_put(&chain_key(BLOCK_HEADER_TAG, a, 2), Some(&h1)).unwrap();
    });
    assert!(has(&report, Some(1), "header_altered"), "{report:?}");
    assert!(has(&report, Some(1), "link_broken"), "{report:?}");
}

#[test]
fn a_table_entry_pointed_at_another_row_is_row_altered_in_its_block() {
    // A committed row's entry (key 0x10) is its chain position, u64 LE: the entry of id 1
    // (position 0, block 1) now points at id 2's row, so `WHERE id = 1` would find id 2.
    let report = tampered(|store, a| {
        let rows = store.raw_scan_prefix(&table_prefix(a)).unwrap();
        let (key, value) = rows[0].clone();
        assert_eq!(value, 0u64.to_le_bytes());
        store.raw_put(&key, Some(&1u64.to_le_bytes())).unwrap();
    });
    assert!(has(&report, Some(1), "row_altered"), "{report:?}");
}

#[test]
fn swapped_table_entries_are_row_altered_although_every_row_is_pointed_at_once() {
    // Only the primary-key check can see this: positions 0 and 1 are each claimed once.
    let report = tampered(|store, a| {
        let rows = store.raw_scan_prefix(&table_prefix(a)).unwrap();
        let (k1, v1) = rows[0].clone();
        let (k2, v2) = rows[1].clone();
        store.raw_put(&k1, Some(&v2)).unwrap();
        store.raw_put(&k2, Some(&v1)).unwrap();
    });
    assert!(has(&report, Some(1), "row_altered"), "{report:?}");
}

#[test]
fn a_row_slipped_in_outside_the_chain_is_row_altered() {
    // An entry carrying row bytes (the form only an open transaction's own rows have) under
    // a new key: SELECT by key would return it, no block covers it.
    let report = tampered(|store, a| {
        let mut key = table_prefix(a);
        vellum::storage::keys::encode_key(&[Value::Int4(99)], &mut key).unwrap();
        let mut row = Vec::new();
        vellum::storage::row::encode_row(&[Value::Int4(99), Value::Text("forged".into())], &mut row);
        store.raw_put(&key, Some(&uncommitted_row(&row))).unwrap();
    });
    assert!(has(&report, None, "row_altered"), "{report:?}");
}

#[test]
fn a_removed_pending_table_row_is_pending_altered() {
    // Row 8 is the last pending row (positions 6 and 7 are pending).
    let report = tampered(|store, a| {
        let rows = store.raw_scan_prefix(&table_prefix(a)).unwrap();
        let (key, _) = rows.last().unwrap().clone();
        store.raw_put(&key, None).unwrap();
    });
    assert!(has(&report, None, "pending_altered"), "{report:?}");
}

#[test]
fn a_changed_definition_is_definition_altered() {
    let report = tampered(|store, a| {
        // The genesis commits to the definition; a different stored root stands for a
        // definition changed under it (re-hashing the header so only the definition differs).
        let key = chain_key(BLOCK_HEADER_TAG, a, 0);
        let (mut header, _) = BlockHeader::decode(&store.raw_scan_prefix(&key).unwrap()[0].1).unwrap();
        header.merkle_root[0] ^= 1;
        store.raw_put(&key, Some(&header.encode())).unwrap();
    });
    assert!(has(&report, Some(0), "definition_altered"), "{report:?}");
}

#[test]
fn a_changed_catalog_record_is_definition_altered() {
    let report = tampered(|store, a| {
        // Rewrite the table's stored catalog record as someone editing the store would: make a
        // nullable column NOT NULL. The genesis block still commits to the original definition.
        let key = vellum::storage::keys::catalog_key(a);
        let bytes = store.raw_scan_prefix(&key).unwrap().remove(0).1;
        let CatalogRecord::Table(mut table) = codec::decode(&key, &bytes).unwrap() else {
            panic!("table record expected");
        };
        let v = table.column_index("v").unwrap();
        assert!(table.columns[v].nullable);
        table.columns[v].nullable = false;
        store
            .raw_put(&key, Some(&codec::encode(&CatalogRecord::Table(table)).unwrap()))
            .unwrap();
    });
    assert!(has(&report, Some(0), "definition_altered"), "{report:?}");
}

#[test]
fn chain_survives_restart_and_keeps_sealing() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    s.execute("INSERT INTO a VALUES (9, 'nine')").unwrap();
    let meta = rows(
        &mut s,
        "SELECT block_id, row_count FROM blockchain_metadata('a') ORDER BY block_id",
    );
    assert_eq!(
        meta,
        (0..=3)
            .map(|i| vec![Value::Int8(i), Value::Int8(if i == 0 { 0 } else { 3 })])
            .collect::<Vec<_>>()
    );
    assert_eq!(one(&mut s, "SELECT verify_blockchain('a')"), Value::Bool(true));
    let ids: BTreeMap<i64, ()> = rows(&mut s, "SELECT id FROM a")
        .into_iter()
        .map(|r| (first_int(&r), ()))
        .collect();
    assert_eq!(ids.len(), 9);
}

#[test]
fn the_background_sealer_seals_old_pending_rows_and_only_those_of_tables_with_an_interval() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    s.execute(
        "CREATE BLOCKCHAIN TABLE never (id int) WITH (block_size = 100, block_seal_interval = '0');
         CREATE BLOCKCHAIN TABLE soon (id int) WITH (block_size = 100, block_seal_interval = '200 milliseconds');
         INSERT INTO never VALUES (1), (2);
         INSERT INTO soon VALUES (1), (2)",
    )
    .unwrap();
    wait_until_sealed(&mut s, "soon", 2);
    // 'never' committed before 'soon' and is older, yet stays pending.
    assert_eq!(
        one(&mut s, "SELECT count(*) FROM blockchain_metadata('never')"),
        Value::Int8(1)
    );
    assert_eq!(one(&mut s, "SELECT verify_blockchain('soon')"), Value::Bool(true));
    assert_eq!(one(&mut s, "SELECT verify_blockchain('never')"), Value::Bool(true));
    drop(s);
    drop(db);
    // The sealer thread is gone with the database: the store opens again at once.
    Database::open(dir.path()).unwrap();
}

#[test]
fn lookups_by_key_stay_right_while_blocks_are_sealed_between_them() {
    // Statements share the database's cache of block starts and bodies: every lookup must
    // still see the chain as it is now. With block_size 3 and rows inserted in id order, row
    // id n has seq n: sealed in block n / 3 + 1 at index n % 3 once 3 * (n / 3 + 1) rows exist,
    // pending at index n - sealed before.
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    s.execute(
        "CREATE BLOCKCHAIN TABLE c (id int PRIMARY KEY, v text) WITH (block_size = 3, block_seal_interval = '0')",
    )
    .unwrap();
    let mut total = 0i64;
    for round in 0..6 {
        let values: Vec<String> = (total..total + 4).map(|n| format!("({n}, 'v{n}')")).collect();
        s.execute(&format!("INSERT INTO c VALUES {}", values.join(", ")))
            .unwrap();
        total += 4;
        let sealed = total / 3 * 3;
        for n in (0..total).rev() {
            let row = rows(
                &mut s,
                &format!("SELECT v, _block_id, _row_index FROM c WHERE id = {n}"),
            );
            let (block, index) = if n < sealed {
                (Value::Int8(n / 3 + 1), Value::Int8(n % 3))
            } else {
                (Value::Null, Value::Int8(n - sealed))
            };
            assert_eq!(
                row,
                vec![vec![Value::Text(format!("v{n}")), block, index]],
                "round {round}, id {n}"
            );
        }
    }
    assert_eq!(one(&mut s, "SELECT verify_blockchain('c')"), Value::Bool(true));
}
