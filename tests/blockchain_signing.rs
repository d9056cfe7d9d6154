//! Block signatures through the SQL surface: external signatures checked against the signer's
//! key over the documented message (`"vellum/block/v1" ‖ table oid u32 LE ‖ block id u64 LE ‖
//! block hash`, built here from that description, not by Vellum's code), forgeries, replays
//! onto another block or table, unauthorized keys, concurrent duplicates, stored signatures
//! changed behind the engine's back, and server-held keys across restarts. The command-line
//! signer is tested in `blockchain_sign_cli.rs`.

use vellum::crypto::ed25519::KeyPair;
use vellum::storage::keys::{chain_key, chain_prefix, signature_key, BLOCK_HEADER_TAG, SIGNATURE_TAG};
use vellum::storage::Store;
use vellum::types::Value;
use vellum::{Database, Session, StatementResult};

fn rows(s: &mut Session, sql: &str) -> Vec<Vec<Value>> {
    match s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).pop() {
        Some(StatementResult::Query { rows, .. }) => rows,
        other => panic!("{sql}: {other:?}"),
    }
}

fn one(s: &mut Session, sql: &str) -> Value {
    rows(s, sql).remove(0).remove(0)
}

fn text(v: Value) -> String {
    match v {
        Value::Text(t) => t,
        other => panic!("not text: {other:?}"),
    }
}

fn int(v: Value) -> i64 {
    match v {
        Value::Int2(n) => i64::from(n),
        Value::Int4(n) => i64::from(n),
        Value::Int8(n) => n,
        other => panic!("not an integer: {other:?}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// The message of the documented format, built byte by byte.
fn message(table_oid: u32, block_id: u64, block_hash_hex: &str) -> Vec<u8> {
    let mut m = b"vellum/block/v1".to_vec();
    m.extend_from_slice(&table_oid.to_le_bytes());
    m.extend_from_slice(&block_id.to_le_bytes());
    m.extend_from_slice(&unhex(block_hash_hex));
    assert_eq!(m.len(), 59);
    m
}

fn table_oid(s: &mut Session, table: &str) -> u32 {
    u32::try_from(int(one(s, &format!("SELECT '{table}'::regclass::oid")))).unwrap()
}

fn block_hash(s: &mut Session, table: &str, block: u64) -> String {
    text(one(
        s,
        &format!("SELECT block_hash FROM blockchain_metadata('{table}') WHERE block_id = {block}"),
    ))
}

/// `key`'s signature of block `block` of `table`, as an external signer computes it.
fn signature(s: &mut Session, key: &KeyPair, table: &str, block: u64) -> String {
    let oid = table_oid(s, table);
    let hash = block_hash(s, table, block);
    hex(&key.sign(&message(oid, block, &hash)))
}

fn attach(s: &mut Session, table: &str, block: u64, signer: &str, sig: &str) -> Result<bool, (String, String)> {
    let sql = format!("SELECT sign_blockchain_block('{table}', {block}, '{signer}', '{sig}')");
    match s.execute(&sql) {
        Ok(mut results) => match results.pop() {
            Some(StatementResult::Query { mut rows, .. }) => Ok(rows.remove(0).remove(0) == Value::Bool(true)),
            other => panic!("{other:?}"),
        },
        Err(e) => Err((e.sqlstate().to_string(), e.message())),
    }
}

fn findings(s: &mut Session, table: &str) -> Vec<(Option<i64>, String)> {
    rows(
        s,
        &format!("SELECT block_id, finding FROM blockchain_tamper_report('{table}') ORDER BY block_id, finding"),
    )
    .into_iter()
    .map(|r| {
        let mut it = r.into_iter();
        let block = match it.next() {
            Some(Value::Null) => None,
            Some(v) => Some(int(v)),
            None => panic!("no block column"),
        };
        (block, text(it.next().unwrap()))
    })
    .collect()
}

/// Two external signers, `alice` and `bob`, both required; `mallory` registered, not authorized.
fn setup(s: &mut Session, alice: &KeyPair, bob: &KeyPair, mallory: &KeyPair) {
    s.execute(&format!(
        "CREATE SIGNER alice PUBLIC KEY '{}';
         CREATE SIGNER bob PUBLIC KEY '{}';
         CREATE SIGNER mallory PUBLIC KEY '{}';
         CREATE BLOCKCHAIN TABLE t (id int, note text)
           WITH (block_size = 2, block_seal_interval = '1 hour', required_signatures = 2,
                 authorized_signers = 'alice, bob');
         CREATE BLOCKCHAIN TABLE u (id int)
           WITH (block_size = 2, required_signatures = 1, authorized_signers = 'alice');
         INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd');
         INSERT INTO u VALUES (1), (2)",
        hex(&alice.public_key()),
        hex(&bob.public_key()),
        hex(&mallory.public_key()),
    ))
    .unwrap();
}

/// `(block_id, signature_count, confirmed)` of every block of `t`, in block order.
fn confirmations(s: &mut Session) -> Vec<(i64, i32, bool)> {
    rows(
        s,
        "SELECT block_id, signature_count, confirmed FROM blockchain_metadata('t') ORDER BY 1",
    )
    .into_iter()
    .map(|r| match r.as_slice() {
        [Value::Int8(b), Value::Int4(n), Value::Bool(c)] => (*b, *n, *c),
        other => panic!("{other:?}"),
    })
    .collect()
}

#[test]
fn external_signatures_confirm_blocks_and_refuse_forgery_replay_and_strangers() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    let (alice, bob, mallory) = (
        KeyPair::from_seed(&[1; 32]),
        KeyPair::from_seed(&[2; 32]),
        KeyPair::from_seed(&[3; 32]),
    );
    setup(&mut s, &alice, &bob, &mallory);
    let hashes_before = rows(
        &mut s,
        "SELECT block_id, block_hash FROM blockchain_metadata('t') ORDER BY 1",
    );

    // Alice's signature of block 1: one of two.
    let sig = signature(&mut s, &alice, "t", 1);
    assert_eq!(attach(&mut s, "t", 1, "alice", &sig), Ok(false));
    // The same signature again: a duplicate.
    assert_eq!(attach(&mut s, "t", 1, "alice", &sig).unwrap_err().0, "23505");
    // Replayed onto block 2 of the same table, and onto block 1 of another table.
    let replay = attach(&mut s, "t", 2, "alice", &sig).unwrap_err();
    assert_eq!(replay.0, "22023", "{}", replay.1);
    assert!(replay.1.contains("does not verify"), "{}", replay.1);
    assert_eq!(attach(&mut s, "u", 1, "alice", &sig).unwrap_err().0, "22023");
    // Forged: bob's name with alice's key, and a signature with one bit flipped.
    let wrong_key = signature(&mut s, &alice, "t", 2);
    assert_eq!(attach(&mut s, "t", 2, "bob", &wrong_key).unwrap_err().0, "22023");
    let mut flipped = unhex(&signature(&mut s, &bob, "t", 2));
    flipped[10] ^= 0x01;
    assert_eq!(attach(&mut s, "t", 2, "bob", &hex(&flipped)).unwrap_err().0, "22023");
    // A correct signature by a key the table does not authorize.
    let mallory1 = signature(&mut s, &mallory, "t", 1);
    let stranger = attach(&mut s, "t", 1, "mallory", &mallory1).unwrap_err();
    assert_eq!(stranger.0, "42501", "{}", stranger.1);
    // Unknown signer.
    assert_eq!(attach(&mut s, "t", 1, "nobody", &sig).unwrap_err().0, "42704");
    // Not a signature at all.
    assert_eq!(attach(&mut s, "t", 2, "alice", "abc").unwrap_err().0, "22P02");

    // Bob's signature completes block 1.
    let bob1 = signature(&mut s, &bob, "t", 1);
    assert_eq!(attach(&mut s, "t", 1, "bob", &bob1), Ok(true));
    assert_eq!(confirmations(&mut s), [(0, 0, false), (1, 2, true), (2, 0, false)]);
    // Signatures live apart from headers: no block hash changed.
    assert_eq!(
        rows(
            &mut s,
            "SELECT block_id, block_hash FROM blockchain_metadata('t') ORDER BY 1"
        ),
        hashes_before
    );
    assert_eq!(one(&mut s, "SELECT verify_blockchain('t')"), Value::Bool(true));
    // The blocks are younger than the one-hour seal interval: not reported as unconfirmed yet.
    assert_eq!(findings(&mut s, "t"), vec![]);
    // `u` keeps the default seal interval (5 minutes): its blocks are too young as well.
    let alice_u1 = signature(&mut s, &alice, "u", 1);
    assert_eq!(attach(&mut s, "u", 1, "alice", &alice_u1), Ok(true));
    // Each signature attached is a write the audit chain records; refused ones are not.
    assert_eq!(
        rows(
            &mut s,
            "SELECT object, count(*) FROM vellum_audit WHERE operation = 'SIGN BLOCK' GROUP BY object ORDER BY object"
        ),
        vec![
            vec![Value::Text("t".into()), Value::Int8(2)],
            vec![Value::Text("u".into()), Value::Int8(1)],
        ]
    );

    // A signature attached inside a rolled-back transaction leaves nothing.
    s.execute("BEGIN").unwrap();
    let alice2 = signature(&mut s, &alice, "t", 2);
    assert_eq!(attach(&mut s, "t", 2, "alice", &alice2), Ok(false));
    s.execute("ROLLBACK").unwrap();
    assert_eq!(
        one(
            &mut s,
            "SELECT signature_count FROM blockchain_metadata('t') WHERE block_id = 2"
        ),
        Value::Int4(0)
    );
}

#[test]
fn the_same_signature_attached_by_two_open_transactions_commits_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let (alice, bob, mallory) = (
        KeyPair::from_seed(&[7; 32]),
        KeyPair::from_seed(&[8; 32]),
        KeyPair::from_seed(&[9; 32]),
    );
    let mut a = db.session();
    setup(&mut a, &alice, &bob, &mallory);
    let mut b = db.session();
    let sig = signature(&mut a, &alice, "t", 1);
    a.execute("BEGIN").unwrap();
    b.execute("BEGIN").unwrap();
    assert_eq!(attach(&mut a, "t", 1, "alice", &sig), Ok(false));
    // Neither sees the other's uncommitted signature.
    assert_eq!(attach(&mut b, "t", 1, "alice", &sig), Ok(false));
    a.execute("COMMIT").unwrap();
    let err = b.execute("COMMIT").unwrap_err();
    assert_eq!(err.sqlstate(), "23505", "{err}");
    assert_eq!(
        one(
            &mut a,
            "SELECT signature_count FROM blockchain_metadata('t') WHERE block_id = 1"
        ),
        Value::Int4(1)
    );
}

#[test]
fn changed_or_planted_signatures_are_found_by_verification() {
    let dir = tempfile::tempdir().unwrap();
    let (alice, bob, mallory) = (
        KeyPair::from_seed(&[4; 32]),
        KeyPair::from_seed(&[5; 32]),
        KeyPair::from_seed(&[6; 32]),
    );
    let table_id = {
        let db = Database::open_quiet(dir.path()).unwrap();
        let mut s = db.session();
        setup(&mut s, &alice, &bob, &mallory);
        for block in [1, 2] {
            for (name, key) in [("alice", &alice), ("bob", &bob)] {
                let sig = signature(&mut s, key, "t", block);
                attach(&mut s, "t", block, name, &sig).unwrap();
            }
        }
        assert_eq!(one(&mut s, "SELECT verify_blockchain('t')"), Value::Bool(true));
        db.catalog().table("t").unwrap().id
    };
    {
        let store = Store::open(dir.path()).unwrap();
        // 1. One bit of bob's stored signature of block 1.
        let key = signature_key(table_id, 1, "bob");
        let mut value = store.raw_scan_prefix(&key).unwrap().remove(0).1;
        assert_eq!(value.len(), 97, "version, public key, signature");
        value[40] ^= 0x01;
        store.raw_put(&key, Some(&value)).unwrap();
        // 2. Alice's valid signature of block 2 copied under block 0's key.
        let alice2 = store
            .raw_scan_prefix(&signature_key(table_id, 2, "alice"))
            .unwrap()
            .remove(0)
            .1;
        store
            .raw_put(&signature_key(table_id, 0, "alice"), Some(&alice2))
            .unwrap();
        // 3. Mallory's signature of block 0, correct but by a key the table does not authorize,
        //    planted in the documented stored form.
        let planted = {
            let db_hash = store
                .raw_scan_prefix(&chain_key(BLOCK_HEADER_TAG, table_id, 0))
                .unwrap()
                .remove(0)
                .1;
            // The header's stored hash is its last 32 bytes (ledger-format.md).
            let hash = &db_hash[db_hash.len() - 32..];
            let mut m = b"vellum/block/v1".to_vec();
            m.extend_from_slice(&(16384 + table_id).to_le_bytes());
            m.extend_from_slice(&0u64.to_le_bytes());
            m.extend_from_slice(hash);
            let mut v = vec![1u8];
            v.extend_from_slice(&mallory.public_key());
            v.extend_from_slice(&mallory.sign(&m));
            v
        };
        store
            .raw_put(&signature_key(table_id, 0, "mallory"), Some(&planted))
            .unwrap();
        assert_eq!(
            store
                .raw_scan_prefix(&chain_prefix(SIGNATURE_TAG, table_id))
                .unwrap()
                .len(),
            6
        );
    }
    let db = Database::open_quiet(dir.path()).unwrap();
    let mut s = db.session();
    assert_eq!(one(&mut s, "SELECT verify_blockchain('t')"), Value::Bool(false));
    assert_eq!(
        findings(&mut s, "t"),
        vec![
            (Some(0), "signature_invalid".to_string()),
            (Some(0), "signature_invalid".to_string()),
            (Some(1), "signature_invalid".to_string()),
        ]
    );
    // Block 1 lost its confirmation with bob's signature; block 2 keeps both.
    assert_eq!(confirmations(&mut s), [(0, 0, false), (1, 1, false), (2, 2, true)]);
    assert_eq!(
        rows(
            &mut s,
            "SELECT verify_blockchain_block('t', 0), verify_blockchain_block('t', 1), verify_blockchain_block('t', 2)"
        ),
        vec![vec![Value::Bool(false), Value::Bool(false), Value::Bool(true)]]
    );
    // The untouched table still verifies.
    assert_eq!(one(&mut s, "SELECT verify_blockchain('u')"), Value::Bool(true));
}

#[test]
fn server_held_keys_sign_at_seal_time_across_restarts_and_die_with_their_signer() {
    let dir = tempfile::tempdir().unwrap();
    let key_files = |dir: &std::path::Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir.join("signers"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let (srv_key, spare_key) = {
        let db = Database::open(dir.path()).unwrap();
        let mut s = db.session();
        s.execute(
            "CREATE SIGNER srv GENERATE KEY; CREATE SIGNER spare GENERATE KEY;
             CREATE BLOCKCHAIN TABLE t (id int) WITH (block_size = 2, required_signatures = 1, authorized_signers = 'srv');
             INSERT INTO t VALUES (1), (2), (3)",
        )
        .unwrap();
        let key = |s: &mut Session, name: &str| {
            text(one(
                s,
                &format!("SELECT public_key FROM blockchain_signers() WHERE signer_name = '{name}'"),
            ))
        };
        (key(&mut s, "srv"), key(&mut s, "spare"))
    };
    let mut expected_files = vec![format!("{srv_key}.key"), format!("{spare_key}.key")];
    expected_files.sort();
    assert_eq!(key_files(dir.path()), expected_files);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.path().join("signers").join(format!("{srv_key}.key"));
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        // The file holds the key the catalog registered.
        assert_eq!(hex(&KeyPair::read_key_file(&path).unwrap().public_key()), srv_key);
    }

    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    // Reopened: the key is loaded again and signs the next block.
    s.execute("INSERT INTO t VALUES (4)").unwrap();
    assert_eq!(confirmations(&mut s), [(0, 1, true), (1, 1, true), (2, 1, true)]);
    assert_eq!(one(&mut s, "SELECT verify_blockchain('t')"), Value::Bool(true));
    let oid = table_oid(&mut s, "t");
    let table_id = db.catalog().table("t").unwrap().id;
    let hashes: Vec<String> = (0..3).map(|b| block_hash(&mut s, "t", b)).collect();

    // A rolled-back DROP keeps the key; a committed one deletes its file.
    s.execute("BEGIN; DROP SIGNER spare; ROLLBACK").unwrap();
    assert_eq!(key_files(dir.path()), expected_files);
    s.execute("DROP SIGNER spare").unwrap();
    assert_eq!(key_files(dir.path()), vec![format!("{srv_key}.key")]);
    // srv is authorized by t: not droppable.
    assert_eq!(s.execute("DROP SIGNER srv").unwrap_err().sqlstate(), "2BP01");
    drop(s);
    drop(db);

    // Each stored server signature is srv's key over the documented message.
    let srv_pub: [u8; 32] = unhex(&srv_key).try_into().unwrap();
    let store = Store::open(dir.path()).unwrap();
    for (block, hash) in hashes.iter().enumerate() {
        let key = signature_key(table_id, block as u64, "srv");
        let stored = store.raw_scan_prefix(&key).unwrap().remove(0).1;
        assert_eq!(stored.len(), 97);
        assert_eq!(stored[0], 1);
        assert_eq!(&stored[1..33], &srv_pub);
        let sig: [u8; 64] = stored[33..].try_into().unwrap();
        let msg = message(oid, block as u64, hash);
        assert!(vellum::crypto::ed25519::verify(&srv_pub, &msg, &sig), "block {block}");
    }
}
