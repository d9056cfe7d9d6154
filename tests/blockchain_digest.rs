//! External digests against a consistent rewrite of the whole store: someone with the store
//! changes a sealed row and recomputes every hash after it (Merkle root, block hash, every
//! later link, the tip), so `verify_blockchain` alone still passes — and a digest saved
//! before, outside the database, catches it, in SQL and through `vellum digest` /
//! `vellum verify --digest` against a real server.

mod binary_common;

use std::path::Path;

use binary_common::{serve_loopback, vellum};

use vellum::ledger::block::BlockHeader;
use vellum::ledger::body::{body_rows, BlockBuilder};
use vellum::ledger::chain::Tip;
use vellum::storage::keys::{chain_key, chain_prefix, BLOCK_BODY_TAG, BLOCK_HEADER_TAG, CHAIN_TIP_TAG};
use vellum::storage::row::{decode_row, encode_row};
use vellum::storage::Store;
use vellum::types::Value;
use vellum::{Database, StatementResult};

fn one(db: &Database, sql: &str) -> Value {
    match db.session().execute(sql).unwrap().pop() {
        Some(StatementResult::Query { rows, .. }) => rows[0][0].clone(),
        other => panic!("{other:?}"),
    }
}

fn text(v: Value) -> String {
    match v {
        Value::Text(t) => t,
        other => panic!("{other:?}"),
    }
}

/// Rewrites row `index` of block `block` of table `table` (its text column becomes
/// "rewritten"), then recomputes that block's root and hash and re-links every later block
/// and the tip, as an attacker holding the store would.
fn rewrite_consistently(store: &Store, table: u32, block: u64, index: usize) {
    let raw = |key: &[u8]| store.raw_scan_prefix(key).unwrap().remove(0).1;
    let tip_key = chain_prefix(CHAIN_TIP_TAG, table);
    let mut tip = Tip::decode(&raw(&tip_key)).unwrap();
    let mut prev_hash = None;
    for id in block..=tip.last_block_id {
        let (mut header, _) = BlockHeader::decode(&raw(&chain_key(BLOCK_HEADER_TAG, table, id))).unwrap();
        if id == block {
            let body = raw(&chain_key(BLOCK_BODY_TAG, table, id));
            let mut builder = BlockBuilder::new();
            for (i, row) in body_rows(&body).unwrap().into_iter().enumerate() {
                let mut values = decode_row(row).unwrap();
                if i == index {
                    values[1] = Value::Text("rewritten".into());
                }
                let mut bytes = Vec::new();
                encode_row(&values, &mut bytes);
                builder.push_encoded(&bytes);
            }
            let (rebuilt, new_body) = builder.seal(id, header.prev_block_hash, header.timestamp, header.nonce);
            assert_ne!(rebuilt.merkle_root, header.merkle_root);
            header.merkle_root = rebuilt.merkle_root;
            store
                .raw_put(&chain_key(BLOCK_BODY_TAG, table, id), Some(&new_body))
                .unwrap();
        }
        if let Some(prev) = prev_hash {
            header.prev_block_hash = prev;
        }
        store
            .raw_put(&chain_key(BLOCK_HEADER_TAG, table, id), Some(&header.encode()))
            .unwrap();
        prev_hash = Some(header.hash());
    }
    let last = prev_hash.unwrap();
    tip.last_block_hash = last;
    assert_eq!(tip.pending(), 0, "the rewrite below assumes no pending rows");
    tip.running_hash = last;
    store.raw_put(&tip_key, Some(&tip.encode())).unwrap();
}

/// A database with blockchain table `t` (id int primary key, note text): 3 sealed blocks of 2
/// rows, nothing pending.
fn setup(dir: &Path) -> u32 {
    let db = Database::open(dir).unwrap();
    db.session()
        .execute(
            "CREATE BLOCKCHAIN TABLE t (id int PRIMARY KEY, note text) WITH (block_size = 2, block_seal_interval = '0');
             CREATE BLOCKCHAIN TABLE other (id int) WITH (block_size = 1);
             INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e'), (6, 'f');
             INSERT INTO other VALUES (1)",
        )
        .unwrap();
    let id = db.catalog().table("t").unwrap().id;
    id
}

#[test]
fn a_saved_digest_catches_a_rewrite_the_hashes_alone_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let table = setup(dir.path());
    let (digest, other) = {
        let db = Database::open(dir.path()).unwrap();
        let digest = text(one(&db, "SELECT blockchain_digest('t')"));
        let json: serde_json::Value = serde_json::from_str(&digest).unwrap();
        assert_eq!(json["table"], "t");
        assert_eq!(json["block_id"], 3);
        let hash = text(one(
            &db,
            "SELECT block_hash FROM blockchain_metadata('t') WHERE block_id = 3",
        ));
        assert_eq!(json["block_hash"], hash.as_str());
        let check = format!("SELECT verify_blockchain('t', '{digest}')");
        assert_eq!(one(&db, &check), Value::Bool(true));
        // Later blocks do not invalidate an earlier digest.
        db.session().execute("INSERT INTO t VALUES (7, 'g'), (8, 'h')").unwrap();
        assert_eq!(one(&db, &check), Value::Bool(true));
        (digest, text(one(&db, "SELECT blockchain_digest('other')")))
    };
    {
        let store = Store::open(dir.path()).unwrap();
        let tip = Tip::decode(&store.raw_scan_prefix(&chain_prefix(CHAIN_TIP_TAG, table)).unwrap()[0].1).unwrap();
        assert_eq!(tip.last_block_id, 4);
        rewrite_consistently(&store, table, 2, 1);
    }
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(
        one(&db, "SELECT note FROM t WHERE id = 4"),
        Value::Text("rewritten".into())
    );
    // Every hash was recomputed: the chain alone cannot tell.
    assert_eq!(one(&db, "SELECT verify_blockchain('t')"), Value::Bool(true));
    // The digest saved before can.
    let check = format!("SELECT verify_blockchain('t', '{digest}')");
    assert_eq!(one(&db, &check), Value::Bool(false));
    // Nor does editing the digest to the new hash help: its signature no longer holds.
    let forged_hash = text(one(
        &db,
        "SELECT block_hash FROM blockchain_metadata('t') WHERE block_id = 3",
    ));
    let mut forged: serde_json::Value = serde_json::from_str(&digest).unwrap();
    forged["block_hash"] = forged_hash.into();
    let check = format!("SELECT verify_blockchain('t', '{forged}')");
    assert_eq!(one(&db, &check), Value::Bool(false));
    // A digest of another table is an error, not a verdict; malformed text is 22023 too.
    let mut s = db.session();
    let e = s
        .execute(&format!("SELECT verify_blockchain('t', '{other}')"))
        .unwrap_err();
    assert_eq!(e.sqlstate(), "22023", "{e}");
    let e = s.execute("SELECT verify_blockchain('t', '{}')").unwrap_err();
    assert_eq!(e.sqlstate(), "22023", "{e}");
    // The untouched table still verifies against its digest.
    let check = format!("SELECT verify_blockchain('other', '{other}')");
    assert_eq!(one(&db, &check), Value::Bool(true));
}

#[test]
fn a_digest_signed_by_another_database_does_not_vouch_for_this_one() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    setup(a.path());
    setup(b.path());
    let from_b = text(one(&Database::open(b.path()).unwrap(), "SELECT blockchain_digest('t')"));
    let db = Database::open(a.path()).unwrap();
    // Same table name and oid, different identity key (and chain).
    let check = format!("SELECT verify_blockchain('t', '{from_b}')");
    assert_eq!(one(&db, &check), Value::Bool(false));
}

#[test]
fn vellum_digest_saves_what_vellum_verify_digest_checks_offline() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let table = setup(&data);
    let file = dir.path().join("digests.json");
    let file_arg = file.to_str().unwrap();
    {
        let server = serve_loopback(&data);
        let url = format!("postgres://vellum@127.0.0.1:{}/vellum", server.port);
        let (code, out, err) = vellum(&["digest", "--connect", &url, "--out", file_arg]);
        server.stop();
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            out.contains("3 digests written") && out.contains(": other, t, vellum_audit"),
            "{out}"
        );
        // A saved digest is never overwritten.
        let server = serve_loopback(&data);
        let url = format!("postgres://vellum@127.0.0.1:{}/vellum", server.port);
        let (code, _, err) = vellum(&["digest", "--connect", &url, "--out", file_arg]);
        server.stop();
        assert_ne!(code, 0);
        assert!(err.contains("cannot create"), "{err}");
    }
    let saved: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved.len(), 3);
    let data_arg = data.to_str().unwrap();
    let (code, out, err) = vellum(&["verify", "--data", data_arg, "--digest", file_arg]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("digest of t at block 3: holds"), "{out}");
    rewrite_consistently(&Store::open(&data).unwrap(), table, 1, 0);
    let (code, out, err) = vellum(&["verify", "--data", data_arg, "--digest", file_arg]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("no findings"), "the rewrite is consistent: {out}");
    assert!(out.contains("digest of t at block 3: FAILS"), "{out}");
    assert!(out.contains("digest of other at block 1: holds"), "{out}");
}
