//! Purges as stored: anchors and the purge log caught when tampered with (opened directly with
//! `Store`), a purge refused on a chain that does not verify, a digest of a purged block still
//! held by its anchor, and a purge killed at any point leaving the old chain or the anchored one.

mod kill_child;
mod ledger_common;

use std::path::Path;

use kill_child::{child_role, int, next_random, run_until_killed};

use ledger_common::{one, rows, tampered_report};
use vellum::ledger::anchor::AnchorRecord;
use vellum::ledger::BlockHeader;
use vellum::storage::keys::{chain_key, table_prefix, BLOCK_BODY_TAG, BLOCK_HEADER_TAG};
use vellum::storage::Store;
use vellum::types::Value;
use vellum::Database;

/// Table `t` (block_size 2, 10 rows: blocks 1-5) with two purges: blocks 1-2 (anchor 2)
/// and block 3 (anchor 3); blocks 4 and 5 remain. Returns t's table id.
fn setup(dir: &Path) -> u32 {
    let db = Database::open(dir).unwrap();
    let mut s = db.session();
    s.execute(
        "CREATE BLOCKCHAIN TABLE t (id int PRIMARY KEY, v text)
           WITH (block_size = 2, block_seal_interval = '0', purge_policy = 'manual');
         CREATE BLOCKCHAIN TABLE other (id int) WITH (block_size = 2);
         INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 10) g;
         INSERT INTO other VALUES (1), (2);
         SELECT purge_blockchain_blocks('t', 1, 2, 'first request');
         SELECT purge_blockchain_blocks('t', 3, 3, 'second request')",
    )
    .unwrap();
    assert_eq!(one(&mut s, "SELECT verify_blockchain('t')"), Value::Bool(true));
    let id = db.catalog().table("t").unwrap().id;
    id
}

/// Tampers with the stopped store, reopens, and returns t's findings after checking that `t`
/// no longer verifies while `other` does.
fn tampered(tamper: impl FnOnce(&Store, u32)) -> Vec<(Value, String)> {
    let dir = tempfile::tempdir().unwrap();
    let t = setup(dir.path());
    tampered_report(dir.path(), "t", "other", |store| tamper(store, t))
}

fn has(report: &[(Value, String)], block: i64, finding: &str) -> bool {
    report.iter().any(|(b, f)| *b == Value::Int8(block) && f == finding)
}

fn get(store: &Store, key: &[u8]) -> Vec<u8> {
    store.raw_scan_prefix(key).unwrap().remove(0).1
}

#[test]
fn a_changed_anchor_record_is_anchor_altered() {
    let report = tampered(|store, t| {
        let key = chain_key(BLOCK_BODY_TAG, t, 2);
        let mut record = AnchorRecord::decode(&get(store, &key)).unwrap();
        record.reason = "routine".into();
        store.raw_put(&key, Some(&record.encode())).unwrap();
    });
    assert!(has(&report, 2, "anchor_altered"), "{report:?}");
}

#[test]
fn an_anchor_rewritten_consistently_breaks_the_purge_log() {
    // The first purge's reason and authorizer changed, its header re-hashed to match: the
    // anchor checks out alone, but the second purge names the first one's old hash.
    let report = tampered(|store, t| {
        let body_key = chain_key(BLOCK_BODY_TAG, t, 2);
        let header_key = chain_key(BLOCK_HEADER_TAG, t, 2);
        let mut record = AnchorRecord::decode(&get(store, &body_key)).unwrap();
        record.reason = "routine".into();
        record.authorized_by = "system".into();
        let bytes = record.encode();
        let (old, _) = BlockHeader::decode(&get(store, &header_key)).unwrap();
        let header = record.header(&bytes, old.nonce);
        store.raw_put(&body_key, Some(&bytes)).unwrap();
        store.raw_put(&header_key, Some(&header.encode())).unwrap();
    });
    assert!(has(&report, 3, "purge_log_broken"), "{report:?}");
    assert!(!report.iter().any(|(_, f)| f == "anchor_altered"), "{report:?}");
}

#[test]
fn a_removed_anchor_leaves_its_blocks_missing() {
    let report = tampered(|store, t| {
        store.raw_put(&chain_key(BLOCK_HEADER_TAG, t, 3), None).unwrap();
        store.raw_put(&chain_key(BLOCK_BODY_TAG, t, 3), None).unwrap();
    });
    assert!(has(&report, 3, "block_missing"), "{report:?}");
    assert!(has(&report, 4, "link_broken"), "{report:?}");
}

#[test]
fn a_row_entry_pointing_at_a_purged_row_is_row_altered() {
    // Row 1 was in block 1 (position 0), purged under anchor 2: an entry for it reappears.
    let report = tampered(|store, t| {
        let mut key = table_prefix(t);
        vellum::storage::keys::encode_key(&[Value::Int4(1)], &mut key).unwrap();
        store.raw_put(&key, Some(&0u64.to_le_bytes())).unwrap();
    });
    assert!(has(&report, 2, "row_altered"), "{report:?}");
}

#[test]
fn a_purge_is_refused_on_a_chain_that_does_not_verify() {
    let dir = tempfile::tempdir().unwrap();
    let t = setup(dir.path());
    {
        let store = Store::open(dir.path()).unwrap();
        let key = chain_key(BLOCK_BODY_TAG, t, 4);
        let mut body = get(&store, &key);
        let last = body.len() - 1;
        body[last] ^= 1;
        store.raw_put(&key, Some(&body)).unwrap();
    }
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    let err = s
        .execute("SELECT purge_blockchain_blocks('t', 4, 5, 'cover it up')")
        .unwrap_err();
    assert_eq!(err.sqlstate(), "XX001", "{err}");
    assert!(err.to_string().contains("refusing to purge"), "{err}");
    // Nothing was purged: block 4 is still there to show what happened.
    assert_eq!(
        one(
            &mut s,
            "SELECT count(*) FROM blockchain_metadata('t') WHERE block_id = 4 AND block_type = 'data'"
        ),
        Value::Int8(1)
    );
}

#[test]
fn a_digest_of_a_purged_block_is_held_by_its_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    s.execute(
        "CREATE BLOCKCHAIN TABLE t (id int) WITH (block_size = 2, purge_policy = 'manual');
         INSERT INTO t SELECT g FROM generate_series(1, 6) g",
    )
    .unwrap();
    // Digests of block 3 (the tip) and, taken differently, of block 2 by its stored hash.
    let digest = match one(&mut s, "SELECT blockchain_digest('t')") {
        Value::Text(d) => d,
        other => panic!("{other:?}"),
    };
    assert!(digest.contains("\"block_id\":3"), "{digest}");
    s.execute("SELECT purge_blockchain_blocks('t', 1, 3, 'retention')")
        .unwrap();
    let check = format!("SELECT verify_blockchain('t', '{digest}')");
    assert_eq!(one(&mut s, &check), Value::Bool(true));
    // A digest naming another hash for that block does not hold (its signature fails too,
    // so change the block id instead: block 2's hash is not block 3's).
    let moved = digest.replace("\"block_id\":3", "\"block_id\":2");
    assert_eq!(
        one(&mut s, &format!("SELECT verify_blockchain('t', '{moved}')")),
        Value::Bool(false)
    );
}

/// The child: inserts two blocks' worth of rows and applies the COUNT_BASED policy, over and
/// over; after each purge commits it prints the number of purges the log holds.
fn run_purging_child(dir: &str) -> ! {
    let db = Database::open(dir).unwrap();
    let mut s = db.session();
    s.execute(
        "CREATE BLOCKCHAIN TABLE IF NOT EXISTS kept (id bigint PRIMARY KEY, v text)
         WITH (block_size = 2, block_seal_interval = '0', purge_policy = 'COUNT_BASED', retention_blocks = 3)",
    )
    .unwrap();
    let start = int(&one(&mut s, "SELECT coalesce(max(id), 0) FROM kept"));
    for i in 0.. {
        let base = start + 1 + i * 4;
        s.execute(&format!(
            "INSERT INTO kept SELECT g, 'v' || g FROM generate_series({base}, {}) g",
            base + 3
        ))
        .unwrap();
        s.execute("SELECT purge_blockchain('kept')").unwrap();
        let purges = int(&one(&mut s, "SELECT count(*) FROM blockchain_purge_log('kept')"));
        println!("committed {purges}");
    }
    unreachable!("the child purges until it is killed")
}

#[test]
fn a_purge_killed_at_any_point_leaves_a_chain_that_verifies() {
    if let Some((dir, _)) = child_role() {
        run_purging_child(&dir);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..4 {
        let kill_after = 3 + (next_random(&mut seed) % 20) as usize;
        let acknowledged = run_until_killed(
            "a_purge_killed_at_any_point_leaves_a_chain_that_verifies",
            dir.path(),
            round,
            kill_after,
        );
        let db = Database::open(dir.path()).unwrap();
        let mut s = db.session();
        assert_eq!(
            one(&mut s, "SELECT verify_blockchain('kept')"),
            Value::Bool(true),
            "round {round}"
        );
        assert_eq!(
            one(&mut s, "SELECT count(*) FROM blockchain_tamper_report('kept')"),
            Value::Int8(0)
        );
        // Every acknowledged purge is in the log, numbered 1, 2, … without gaps.
        let log = rows(
            &mut s,
            "SELECT purge_id FROM blockchain_purge_log('kept') ORDER BY purge_id",
        );
        let ids: Vec<i64> = log.iter().map(|r| int(&r[0])).collect();
        assert_eq!(ids, (1..=ids.len() as i64).collect::<Vec<_>>());
        assert!(ids.len() as i64 >= *acknowledged.iter().max().unwrap());
        // What remains is what the chain's data blocks and pending rows hold.
        let stored = int(&one(&mut s, "SELECT count(*) FROM kept"));
        let chained = int(&one(
            &mut s,
            "SELECT coalesce(sum(row_count), 0)::int8 FROM blockchain_metadata('kept') WHERE block_type = 'data'",
        ));
        let pending = int(&one(&mut s, "SELECT count(*) FROM kept WHERE _block_id IS NULL"));
        assert_eq!(stored, chained + pending, "round {round}");
    }
}

#[test]
fn the_background_pass_applies_every_policy_as_system() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    s.execute(
        "CREATE BLOCKCHAIN TABLE counted (id int) WITH (block_size = 1, purge_policy = 'COUNT_BASED', retention_blocks = 1);
         CREATE BLOCKCHAIN TABLE kept (id int) WITH (block_size = 1);
         INSERT INTO counted VALUES (1), (2), (3);
         INSERT INTO kept VALUES (1), (2), (3)",
    )
    .unwrap();
    // What the purger thread runs once a minute.
    db.apply_purge_policies();
    assert_eq!(
        rows(
            &mut s,
            "SELECT block_range, reason, authorized_by FROM blockchain_purge_log('counted')"
        ),
        vec![vec![
            Value::Text("[1, 2]".into()),
            Value::Text("COUNT_BASED".into()),
            Value::Text("system".into()),
        ]]
    );
    assert_eq!(one(&mut s, "SELECT count(*) FROM counted"), Value::Int8(1));
    assert_eq!(one(&mut s, "SELECT count(*) FROM kept"), Value::Int8(3));
    assert_eq!(
        one(&mut s, "SELECT count(*) FROM blockchain_purge_log('kept')"),
        Value::Int8(0)
    );
}

#[test]
fn two_purges_of_one_table_cannot_both_commit() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut a = db.session();
    let mut b = db.session();
    a.execute(
        "CREATE BLOCKCHAIN TABLE t (id int) WITH (block_size = 1, purge_policy = 'manual');
         INSERT INTO t VALUES (1), (2), (3), (4)",
    )
    .unwrap();
    // Disjoint ranges, each alone fine; together they would both claim purge id 1.
    a.execute("BEGIN; SELECT purge_blockchain_blocks('t', 1, 1, 'first')")
        .unwrap();
    b.execute("BEGIN; SELECT purge_blockchain_blocks('t', 3, 3, 'second')")
        .unwrap();
    a.execute("COMMIT").unwrap();
    let err = b.execute("COMMIT").unwrap_err();
    assert_eq!(err.sqlstate(), "40001", "{err}");
    assert_eq!(
        rows(&mut a, "SELECT purge_id, block_range FROM blockchain_purge_log('t')"),
        vec![vec![Value::Int8(1), Value::Text("[1, 1]".into())]]
    );
    // Retried, the second purge follows the first in the log.
    b.execute("SELECT purge_blockchain_blocks('t', 3, 3, 'second')")
        .unwrap();
    assert_eq!(
        rows(
            &mut b,
            "SELECT purge_id, block_range FROM blockchain_purge_log('t') ORDER BY purge_id"
        ),
        vec![
            vec![Value::Int8(1), Value::Text("[1, 1]".into())],
            vec![Value::Int8(2), Value::Text("[3, 3]".into())],
        ]
    );
    assert_eq!(one(&mut b, "SELECT verify_blockchain('t')"), Value::Bool(true));
}
