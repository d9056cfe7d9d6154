//! Blockchain tables at rest: `compression = 'ZSTD'` stores smaller bodies that read and verify
//! as before; `encryption = 'TDE'` leaves no plaintext of its rows' values in the store's files,
//! needs its master key to be read, written or verified (and only that table needs it), and
//! survives a master key rotation that rewrites no block. Stored bytes are inspected with
//! `Store` and by scanning the raw files, bypassing the engine.

mod ledger_common;

use std::path::{Path, PathBuf};

use ledger_common::{one, rows, table_id, wait_until_sealed};
use vellum::crypto::aead::AeadKey;
use vellum::storage::keys::{chain_key, chain_prefix, BLOCK_BODY_TAG, PENDING_TAG};
use vellum::storage::Store;
use vellum::types::Value;
use vellum::{Database, OpenOptions, Session};

fn run(s: &mut Session, sql: &str) {
    s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn open(dir: &Path, key: Option<&AeadKey>) -> Database {
    let options = OpenOptions {
        master_key: key.cloned(),
        ..Default::default()
    };
    Database::open_with_options(dir, options).unwrap()
}

/// The stored (raw) values of `tag` keys of a table, in key order.
fn stored(store: &Store, tag: u8, table: u32) -> Vec<(Vec<u8>, Vec<u8>)> {
    store.raw_scan_prefix(&chain_prefix(tag, table)).unwrap()
}

/// `(sqlstate, message, hint)` of a statement that must fail.
fn failure(s: &mut Session, sql: &str) -> (String, String, String) {
    match s.execute(sql) {
        Ok(r) => panic!("{sql}: expected an error, got {r:?}"),
        Err(e) => (
            e.sqlstate().to_string(),
            e.message(),
            e.hint().unwrap_or_default().to_string(),
        ),
    }
}

/// Text of the second column, as inserted: long, repetitive, and distinct per row.
fn note(i: i64) -> String {
    format!(
        "reading {i:05} from sensor bay {}, status nominal, calibration ok; ",
        i % 7
    )
    .repeat(3)
}

#[test]
fn a_zstd_table_reads_and_verifies_as_before_with_smaller_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let (z, p) = {
        let db = open(dir.path(), None);
        let mut s = db.session();
        for (name, with) in [("z", ", compression = 'ZSTD'"), ("p", "")] {
            run(
                &mut s,
                &format!(
                    "CREATE BLOCKCHAIN TABLE {name} (id bigint PRIMARY KEY, note text) WITH (block_size = 100{with})"
                ),
            );
            for chunk in 0..5 {
                let values: Vec<String> = (chunk * 50..chunk * 50 + 50)
                    .map(|i| format!("({i}, '{}')", note(i)))
                    .collect();
                run(&mut s, &format!("INSERT INTO {name} VALUES {}", values.join(", ")));
            }
        }
        // 250 rows: two sealed blocks of 100 and 50 pending rows each.
        for name in ["z", "p"] {
            assert_eq!(one(&mut s, &format!("SELECT count(*) FROM {name}")), Value::Int8(250));
            assert_eq!(
                one(&mut s, &format!("SELECT verify_blockchain('{name}')")),
                Value::Bool(true)
            );
            assert_eq!(
                one(&mut s, &format!("SELECT note FROM {name} WHERE id = 123")),
                Value::Text(note(123))
            );
        }
        let all = rows(&mut s, "SELECT id, note, _block_id FROM z ORDER BY id");
        for (i, row) in all.iter().enumerate() {
            let i = i as i64;
            let block = if i < 200 { Value::Int8(i / 100 + 1) } else { Value::Null };
            assert_eq!(row, &vec![Value::Int8(i), Value::Text(note(i)), block]);
        }
        // The same rows give the same Merkle roots: hashes are over the plaintext rows.
        let roots = |s: &mut Session, t: &str| {
            rows(
                s,
                &format!("SELECT merkle_root FROM blockchain_metadata('{t}') WHERE block_id > 0"),
            )
        };
        assert_eq!(roots(&mut s, "z"), roots(&mut s, "p"));
        (table_id(&db, "z"), table_id(&db, "p"))
    };
    let store = Store::open(dir.path()).unwrap();
    let (zs, ps) = (stored(&store, BLOCK_BODY_TAG, z), stored(&store, BLOCK_BODY_TAG, p));
    assert_eq!((zs.len(), ps.len()), (2, 2));
    for ((_, zb), (_, pb)) in zs.iter().zip(&ps) {
        // The plain table's body is the unchanged body format (version byte 1); the compressed
        // one is an envelope (0xE5, version 1, flag COMPRESSED) holding a zstd frame.
        assert_eq!(pb[0], 1);
        assert_eq!(&zb[..3], &[0xE5, 1, 0x01]);
        assert_eq!(&zb[7..11], &[0x28, 0xB5, 0x2F, 0xFD], "zstd frame magic");
        assert_eq!(u32::from_le_bytes(zb[3..7].try_into().unwrap()) as usize, pb.len());
        assert!(zb.len() * 4 < pb.len(), "compressed {} of {}", zb.len(), pb.len());
    }
    // Pending batches are not compressed: the same bytes as the plain table's.
    assert_eq!(
        stored(&store, PENDING_TAG, z)
            .into_iter()
            .map(|(_, v)| v.len())
            .collect::<Vec<_>>(),
        stored(&store, PENDING_TAG, p)
            .into_iter()
            .map(|(_, v)| v.len())
            .collect::<Vec<_>>()
    );
    drop(store);
    // A compressed body that is altered is found by verification, as a plain one would be.
    {
        let store = Store::open(dir.path()).unwrap();
        let key = chain_key(BLOCK_BODY_TAG, z, 2);
        let mut value = zs[1].1.clone();
        let at = value.len() / 2;
        value[at] ^= 0x10;
        store.raw_put(&key, Some(&value)).unwrap();
    }
    let db = open(dir.path(), None);
    let mut s = db.session();
    assert_eq!(one(&mut s, "SELECT verify_blockchain('z')"), Value::Bool(false));
    assert_eq!(one(&mut s, "SELECT verify_blockchain('p')"), Value::Bool(true));
    let report = rows(&mut s, "SELECT block_id, finding FROM blockchain_tamper_report('z')");
    assert!(
        report.contains(&vec![Value::Int8(2), Value::Text("row_altered".into())]),
        "{report:?}"
    );
}

/// Every file under `dir`, recursively.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Whether any file of the store's directory contains `needle`.
fn on_disk(dir: &Path, needle: &str) -> bool {
    let mut all = Vec::new();
    files(dir, &mut all);
    all.iter().any(|f| {
        let bytes = std::fs::read(f).unwrap();
        bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
    })
}

const SECRET: &str = "quetzal-aubergine-7731";
const VISIBLE: &str = "pelican-marmalade-4402";

/// Creates `enc` (encrypted), `open_bc` (blockchain, not encrypted) and `plain` (ordinary),
/// with 25 rows each in the blockchain tables (two sealed blocks of 10, 5 pending).
fn setup_encrypted(dir: &Path, key: &AeadKey) {
    let db = open(dir, Some(key));
    let mut s = db.session();
    run(
        &mut s,
        "CREATE BLOCKCHAIN TABLE enc (id int PRIMARY KEY, secret text, amount numeric) \
         WITH (encryption = 'TDE', tde_algorithm = 'AES256-GCM', block_size = 10)",
    );
    run(
        &mut s,
        "CREATE BLOCKCHAIN TABLE open_bc (id int PRIMARY KEY, note text) WITH (block_size = 10)",
    );
    run(&mut s, "CREATE TABLE plain (id int PRIMARY KEY, v text)");
    for i in 0..25 {
        run(&mut s, &format!("INSERT INTO enc VALUES ({i}, '{SECRET}-{i}', {i}.25)"));
        run(&mut s, &format!("INSERT INTO open_bc VALUES ({i}, '{VISIBLE}-{i}')"));
    }
    run(&mut s, "INSERT INTO plain VALUES (1, 'one')");
    check_encrypted_reads(&mut s, 25);
}

fn check_encrypted_reads(s: &mut Session, count: i64) {
    assert_eq!(one(s, "SELECT count(*) FROM enc"), Value::Int8(count));
    assert_eq!(
        one(s, "SELECT secret FROM enc WHERE id = 13"),
        Value::Text(format!("{SECRET}-13"))
    );
    assert_eq!(
        one(s, "SELECT secret FROM enc WHERE id = 22"),
        Value::Text(format!("{SECRET}-22"))
    );
    let all = rows(s, "SELECT id, secret, _block_id FROM enc WHERE id < 25 ORDER BY id");
    assert_eq!(all.len(), 25);
    for (i, row) in all.iter().enumerate() {
        let block = if i < 20 {
            Value::Int8(i as i64 / 10 + 1)
        } else {
            Value::Null
        };
        assert_eq!(
            row,
            &vec![Value::Int4(i as i32), Value::Text(format!("{SECRET}-{i}")), block]
        );
    }
    assert_eq!(one(s, "SELECT verify_blockchain('enc')"), Value::Bool(true));
    assert_eq!(one(s, "SELECT verify_blockchain_block('enc', 2)"), Value::Bool(true));
}

#[test]
fn an_encrypted_table_leaves_no_plaintext_on_disk_and_needs_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = AeadKey::generate().unwrap();
    setup_encrypted(dir.path(), &key);
    // The scan can fail: the unencrypted blockchain table's values are there to be found.
    assert!(on_disk(dir.path(), VISIBLE), "the raw scan finds nothing at all");
    assert!(!on_disk(dir.path(), SECRET), "plaintext of the encrypted table on disk");
    assert!(
        !on_disk(dir.path(), "quetzal"),
        "plaintext of the encrypted table on disk"
    );

    // Stored bodies and pending batches are encrypted envelopes.
    {
        let db = open(dir.path(), Some(&key));
        let enc = table_id(&db, "enc");
        drop(db);
        let store = Store::open(dir.path()).unwrap();
        let bodies = stored(&store, BLOCK_BODY_TAG, enc);
        let pending = stored(&store, PENDING_TAG, enc);
        assert_eq!((bodies.len(), pending.len()), (2, 5));
        for (_, v) in bodies.iter().chain(&pending) {
            assert_eq!(&v[..3], &[0xE5, 1, 0x02]);
        }
    }

    // Restarted without the key: the database opens, only `enc` is refused.
    {
        let db = open(dir.path(), None);
        let mut s = db.session();
        for sql in [
            "SELECT * FROM enc",
            "SELECT secret FROM enc WHERE id = 3",
            "INSERT INTO enc VALUES (100, 'x', 1)",
            "SELECT verify_blockchain('enc')",
        ] {
            let (code, message, hint) = failure(&mut s, sql);
            assert_eq!(code, "55000", "{sql}: {message}");
            assert!(message.contains("no master key"), "{sql}: {message}");
            assert!(
                hint.contains("--master-key-file") && hint.contains("encryption = 'TDE'"),
                "{hint}"
            );
        }
        let (_, message, _) = failure(&mut s, "SELECT * FROM enc");
        assert!(message.contains("\"enc\""), "{message}");
        let (code, message, hint) = failure(
            &mut s,
            "CREATE BLOCKCHAIN TABLE enc2 (id int) WITH (encryption = 'TDE')",
        );
        assert_eq!(code, "55000");
        assert!(message.contains("cannot create encrypted table \"enc2\""), "{message}");
        assert!(hint.contains("vellum master-key"), "{hint}");
        // Everything else works: reads, writes, verification, new tables, headers of `enc`.
        assert_eq!(one(&mut s, "SELECT count(*) FROM open_bc"), Value::Int8(25));
        assert_eq!(one(&mut s, "SELECT verify_blockchain('open_bc')"), Value::Bool(true));
        run(&mut s, "INSERT INTO open_bc VALUES (25, 'more')");
        run(&mut s, "INSERT INTO plain VALUES (2, 'two')");
        assert_eq!(one(&mut s, "SELECT count(*) FROM plain"), Value::Int8(2));
        run(
            &mut s,
            "CREATE BLOCKCHAIN TABLE zz (id int) WITH (compression = 'zstd')",
        );
        run(&mut s, "INSERT INTO zz VALUES (1)");
        assert_eq!(
            one(&mut s, "SELECT count(*) FROM blockchain_metadata('enc')"),
            Value::Int8(3)
        );
        // Nothing of `enc` changed meanwhile (the audit chain recorded the refused statements
        // or not; the table itself has the same rows).
    }

    // With a wrong key: refused too, saying the key is not the one.
    {
        let db = open(dir.path(), Some(&AeadKey::generate().unwrap()));
        let mut s = db.session();
        let (code, message, _) = failure(&mut s, "SELECT * FROM enc");
        assert_eq!(code, "55000");
        assert!(message.contains("not the one"), "{message}");
        assert_eq!(one(&mut s, "SELECT count(*) FROM open_bc"), Value::Int8(26));
    }

    // With the key again: everything is there, and it takes new rows.
    let db = open(dir.path(), Some(&key));
    let mut s = db.session();
    check_encrypted_reads(&mut s, 25);
    run(&mut s, &format!("INSERT INTO enc VALUES (25, '{SECRET}-25', 1)"));
    assert_eq!(one(&mut s, "SELECT count(*) FROM enc"), Value::Int8(26));
    assert_eq!(one(&mut s, "SELECT verify_blockchain('enc')"), Value::Bool(true));
    drop(s);
    drop(db);
    assert!(!on_disk(dir.path(), SECRET));
}

#[test]
fn altered_or_moved_ciphertext_is_found_by_verification() {
    let dir = tempfile::tempdir().unwrap();
    let key = AeadKey::generate().unwrap();
    setup_encrypted(dir.path(), &key);
    let enc = {
        let db = open(dir.path(), Some(&key));
        table_id(&db, "enc")
    };
    {
        let store = Store::open(dir.path()).unwrap();
        // Block 1's ciphertext copied over block 2's: authentic bytes, wrong place.
        let one_body = store
            .raw_scan_prefix(&chain_key(BLOCK_BODY_TAG, enc, 1))
            .unwrap()
            .remove(0)
            .1;
        store
            .raw_put(&chain_key(BLOCK_BODY_TAG, enc, 2), Some(&one_body))
            .unwrap();
        // One flipped bit in the last pending batch.
        let (pending_key, mut batch) = stored(&store, PENDING_TAG, enc).pop().unwrap();
        let last = batch.len() - 1;
        batch[last] ^= 0x01;
        store.raw_put(&pending_key, Some(&batch)).unwrap();
    }
    let db = open(dir.path(), Some(&key));
    let mut s = db.session();
    assert_eq!(one(&mut s, "SELECT verify_blockchain('enc')"), Value::Bool(false));
    assert_eq!(one(&mut s, "SELECT verify_blockchain('open_bc')"), Value::Bool(true));
    let report = rows(&mut s, "SELECT block_id, finding FROM blockchain_tamper_report('enc')");
    assert!(
        report.contains(&vec![Value::Int8(2), Value::Text("row_altered".into())]),
        "{report:?}"
    );
    assert!(
        report.contains(&vec![Value::Null, Value::Text("pending_altered".into())]),
        "{report:?}"
    );
    assert_eq!(
        one(&mut s, "SELECT verify_blockchain_block('enc', 1)"),
        Value::Bool(true)
    );
    assert_eq!(
        one(&mut s, "SELECT verify_blockchain_block('enc', 2)"),
        Value::Bool(false)
    );
    // Reading the moved block is corruption, not a key problem.
    assert_eq!(failure(&mut s, "SELECT secret FROM enc WHERE id = 15").0, "XX001");
}

#[test]
fn rotating_the_master_key_rewraps_data_keys_without_rewriting_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let old = AeadKey::generate().unwrap();
    setup_encrypted(dir.path(), &old);
    let enc = {
        let db = open(dir.path(), Some(&old));
        table_id(&db, "enc")
    };
    let before = {
        let store = Store::open(dir.path()).unwrap();
        (stored(&store, BLOCK_BODY_TAG, enc), stored(&store, PENDING_TAG, enc))
    };
    let new = AeadKey::generate().unwrap();
    {
        let db = open(dir.path(), Some(&old));
        assert_eq!(db.rotate_master_key(new.clone()).unwrap(), 1);
        // The open database goes on with the new key.
        let mut s = db.session();
        check_encrypted_reads(&mut s, 25);
        // Rotating again to the same key re-wraps nothing (an interrupted run can be repeated).
        drop(s);
        assert_eq!(db.rotate_master_key(new.clone()).unwrap(), 0);
    }
    {
        let store = Store::open(dir.path()).unwrap();
        let after = (stored(&store, BLOCK_BODY_TAG, enc), stored(&store, PENDING_TAG, enc));
        assert!(after == before, "blocks or pending batches were rewritten");
    }
    {
        let db = open(dir.path(), Some(&new));
        let mut s = db.session();
        check_encrypted_reads(&mut s, 25);
    }
    {
        let db = open(dir.path(), Some(&old));
        let mut s = db.session();
        let (code, message, _) = failure(&mut s, "SELECT * FROM enc");
        assert_eq!(code, "55000");
        assert!(message.contains("not the one"), "{message}");
        // A rotation from a key that does not open the data keys changes nothing.
        drop(s);
        assert_eq!(
            db.rotate_master_key(AeadKey::generate().unwrap())
                .unwrap_err()
                .sqlstate(),
            "55000"
        );
    }
    let db = open(dir.path(), Some(&new));
    check_encrypted_reads(&mut db.session(), 25);
}

fn vellum(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_vellum"))
        .args(args)
        .env_remove("VELLUM_MASTER_KEY_FILE")
        .output()
        .unwrap()
}

#[test]
fn the_command_line_makes_keys_rotates_them_and_verifies_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (a, b) = (dir.path().join("a.key"), dir.path().join("b.key"));
    for key in [&a, &b] {
        let out = vellum(&["master-key", "--out", key.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        // It prints the fingerprint of the key it wrote.
        let printed = String::from_utf8(out.stdout).unwrap();
        let fingerprint: String = AeadKey::read_key_file(key)
            .unwrap()
            .fingerprint()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(printed.trim(), fingerprint);
    }
    assert!(
        !vellum(&["master-key", "--out", a.to_str().unwrap()]).status.success(),
        "overwrote a key file"
    );
    setup_encrypted(&data, &AeadKey::read_key_file(&a).unwrap());
    let d = data.to_str().unwrap();
    let verify = |key: Option<&Path>| {
        let mut args = vec!["verify", "--data", d];
        if let Some(k) = key {
            args.extend(["--master-key-file", k.to_str().unwrap()]);
        }
        vellum(&args)
    };
    let ok = verify(Some(&a));
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let missing = verify(None);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no master key"));
    // The tables it can read are verified all the same (the audit chain at least).
    let stdout = String::from_utf8_lossy(&missing.stdout);
    assert!(stdout.contains("blockchain tables verified: no findings"), "{stdout}");
    assert!(!stdout.starts_with("0 "), "{stdout}");
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not verified"));
    let out = vellum(&[
        "rekey",
        "--data",
        d,
        "--old-key-file",
        a.to_str().unwrap(),
        "--new-key-file",
        b.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("1 data keys re-wrapped"));
    assert_eq!(verify(Some(&b)).status.code(), Some(0));
    let stale = verify(Some(&a));
    assert_eq!(stale.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&stale.stderr).contains("not the one"));
    // The environment variable names the key file too.
    let by_env = std::process::Command::new(env!("CARGO_BIN_EXE_vellum"))
        .args(["verify", "--data", d])
        .env("VELLUM_MASTER_KEY_FILE", &b)
        .output()
        .unwrap();
    assert_eq!(
        by_env.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&by_env.stderr)
    );
}

/// The one key file in `<data>/signers/`, as text.
fn signer_file(data: &Path) -> String {
    let mut all = Vec::new();
    files(&data.join("signers"), &mut all);
    assert_eq!(all.len(), 1, "{all:?}");
    std::fs::read_to_string(&all[0]).unwrap()
}

fn fingerprint_hex(key: &AeadKey) -> String {
    key.fingerprint().iter().map(|b| format!("{b:02x}")).collect()
}

/// Seals a new block of `t` and returns its signature count.
fn signed_block(s: &mut Session, id: i64) -> Value {
    run(s, &format!("INSERT INTO t VALUES ({id})"));
    let block = one(s, "SELECT seal_blockchain_block('t')");
    one(
        s,
        &format!(
            "SELECT signature_count FROM blockchain_metadata('t') WHERE block_id = {}",
            match block {
                Value::Int8(n) => n,
                other => panic!("{other:?}"),
            }
        ),
    )
}

#[test]
fn server_held_signer_keys_are_wrapped_under_the_master_key() {
    let dir = tempfile::tempdir().unwrap();
    // Made before the database had a master key: a plain key file.
    {
        let db = open(dir.path(), None);
        let mut s = db.session();
        run(&mut s, "CREATE SIGNER notary GENERATE KEY");
        run(
            &mut s,
            "CREATE BLOCKCHAIN TABLE t (id int) WITH (authorized_signers = 'notary', required_signatures = 1)",
        );
        assert_eq!(signed_block(&mut s, 1), Value::Int4(1));
    }
    assert!(signer_file(dir.path()).starts_with("vellum-ed25519-key v1\nsecret "));
    // Opened with a master key: the file is re-written wrapped, and signing goes on.
    let first = AeadKey::generate().unwrap();
    {
        let db = open(dir.path(), Some(&first));
        let mut s = db.session();
        assert_eq!(signed_block(&mut s, 2), Value::Int4(1));
    }
    let text = signer_file(dir.path());
    assert!(text.starts_with("vellum-ed25519-key-wrapped v1\n"), "{text}");
    assert!(text.contains(&format!("master {}\n", fingerprint_hex(&first))));
    assert!(!text.contains("secret"));
    // So is the identity key that signs digests.
    let identity = std::fs::read_to_string(dir.path().join("identity.key")).unwrap();
    assert!(
        identity.contains(&format!("master {}\n", fingerprint_hex(&first))),
        "{identity}"
    );
    // Without the master key the database still opens; blocks then go unsigned.
    {
        let db = open(dir.path(), None);
        let mut s = db.session();
        assert_eq!(signed_block(&mut s, 3), Value::Int4(0));
    }
    // Rotation re-wraps the key file too.
    let second = AeadKey::generate().unwrap();
    {
        let db = open(dir.path(), Some(&first));
        db.rotate_master_key(second.clone()).unwrap();
    }
    let text = signer_file(dir.path());
    assert!(
        text.contains(&format!("master {}\n", fingerprint_hex(&second))),
        "{text}"
    );
    let identity = std::fs::read_to_string(dir.path().join("identity.key")).unwrap();
    assert!(
        identity.contains(&format!("master {}\n", fingerprint_hex(&second))),
        "{identity}"
    );
    let db = open(dir.path(), Some(&second));
    let mut s = db.session();
    assert_eq!(signed_block(&mut s, 4), Value::Int4(1));
    // The identity key opens: digests are signed.
    assert!(matches!(one(&mut s, "SELECT blockchain_digest('t')"), Value::Text(_)));
    // A signer created now gets a wrapped file from the start.
    run(&mut s, "CREATE SIGNER clerk GENERATE KEY");
    let mut all = Vec::new();
    files(&dir.path().join("signers"), &mut all);
    assert_eq!(all.len(), 2);
    for f in all {
        assert!(std::fs::read_to_string(f)
            .unwrap()
            .starts_with("vellum-ed25519-key-wrapped v1\n"));
    }
}

#[test]
fn the_sealer_passes_an_encrypted_table_without_its_key_and_seals_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let key = AeadKey::generate().unwrap();
    {
        let db = open(dir.path(), Some(&key));
        let mut s = db.session();
        // Intervals long enough that nothing is sealed before the restart.
        run(
            &mut s,
            "CREATE BLOCKCHAIN TABLE locked (id int) WITH (encryption = 'TDE', block_seal_interval = '3 seconds');
             CREATE BLOCKCHAIN TABLE soon (id int) WITH (block_seal_interval = '3 seconds');
             INSERT INTO locked VALUES (1), (2);
             INSERT INTO soon VALUES (1), (2)",
        );
    }
    // Restarted without the key: both become due; only `soon` can be sealed, and is.
    let db = open(dir.path(), None);
    let mut s = db.session();
    wait_until_sealed(&mut s, "soon", 2);
    assert_eq!(
        one(&mut s, "SELECT count(*) FROM blockchain_metadata('locked')"),
        Value::Int8(1)
    );
    drop(s);
    drop(db);
    // With the key back, its rows are sealed too.
    let db = open(dir.path(), Some(&key));
    let mut s = db.session();
    wait_until_sealed(&mut s, "locked", 2);
    assert_eq!(one(&mut s, "SELECT verify_blockchain('locked')"), Value::Bool(true));
}

#[test]
fn an_anchor_of_an_encrypted_table_is_stored_encrypted_and_verifies_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = AeadKey::generate().unwrap();
    let id = {
        let db = open(dir.path(), Some(&key));
        let mut s = db.session();
        run(
            &mut s,
            "CREATE BLOCKCHAIN TABLE kept (id int PRIMARY KEY, v text) WITH (block_size = 2, \
             block_seal_interval = '0', purge_policy = 'manual', encryption = 'TDE')",
        );
        run(
            &mut s,
            "INSERT INTO kept SELECT g, 'erasable reason row ' || g FROM generate_series(1, 6) g",
        );
        assert_eq!(
            one(
                &mut s,
                "SELECT purge_blockchain_blocks('kept', 1, 2, 'erasure of quetzal-request')"
            ),
            Value::Int8(2)
        );
        assert_eq!(one(&mut s, "SELECT verify_blockchain('kept')"), Value::Bool(true));
        table_id(&db, "kept")
    };
    {
        let store = Store::open(dir.path()).unwrap();
        let anchor = store.raw_scan_prefix(&chain_key(BLOCK_BODY_TAG, id, 2)).unwrap();
        assert_eq!(&anchor[0].1[..3], &[0xE5, 1, 0x02]);
    }
    assert!(
        !on_disk(dir.path(), "quetzal-request"),
        "the anchor's reason in the clear"
    );
    {
        let db = open(dir.path(), Some(&key));
        let mut s = db.session();
        assert_eq!(one(&mut s, "SELECT verify_blockchain('kept')"), Value::Bool(true));
        assert_eq!(one(&mut s, "SELECT count(*) FROM kept"), Value::Int8(2));
    }
    // The anchor's ciphertext altered: verification fails at the anchor.
    {
        let store = Store::open(dir.path()).unwrap();
        let key = chain_key(BLOCK_BODY_TAG, id, 2);
        let mut value = store.raw_scan_prefix(&key).unwrap().remove(0).1;
        let last = value.len() - 1;
        value[last] ^= 0x01;
        store.raw_put(&key, Some(&value)).unwrap();
    }
    let db = open(dir.path(), Some(&key));
    let mut s = db.session();
    assert_eq!(one(&mut s, "SELECT verify_blockchain('kept')"), Value::Bool(false));
    let report = rows(&mut s, "SELECT block_id, finding FROM blockchain_tamper_report('kept')");
    assert!(report.iter().any(|r| r[0] == Value::Int8(2)), "{report:?}");
}
