//! `vellum keygen` and `vellum sign --connect` against a real `vellum serve` process: the key
//! file, signing one block and every unsigned one, confirmation as the server reports it, and
//! the refusals (a block signed twice, a key no signer is registered with, a key file others
//! can read).

mod binary_common;

use binary_common::{serve_loopback, vellum};
use vellum::crypto::ed25519::KeyPair;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `vellum sign --key key --connect url --table t what…`.
fn sign(key: &str, url: &str, what: &[&str]) -> (i32, String, String) {
    let mut args = vec!["sign", "--key", key, "--connect", url, "--table", "t"];
    args.extend_from_slice(what);
    vellum(&args)
}

#[test]
fn keygen_and_sign_over_the_wire_against_vellum_serve() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("alice.key");
    let key_file = key_path.to_str().unwrap();

    let (code, public, err) = vellum(&["keygen", "--out", key_file]);
    assert_eq!(code, 0, "{err}");
    let public = public.trim().to_string();
    let pair = KeyPair::read_key_file(&key_path).unwrap();
    assert_eq!(public, hex(&pair.public_key()));
    // Never overwrites an existing key.
    assert_ne!(vellum(&["keygen", "--out", key_file]).0, 0);
    assert_eq!(
        KeyPair::read_key_file(&key_path).unwrap().public_key(),
        pair.public_key()
    );

    let server = serve_loopback(&dir.path().join("data"));
    let port = server.port;
    let url = format!("postgres://vellum@127.0.0.1:{port}/vellum");
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!(
            "CREATE SIGNER alice PUBLIC KEY '{public}';
             CREATE BLOCKCHAIN TABLE t (id int) WITH (block_size = 2, block_seal_interval = '0',
               required_signatures = 1, authorized_signers = ['alice']);
             INSERT INTO t VALUES (1), (2), (3), (4)"
        ))
        .unwrap();
    // Over the extended protocol too (tokio-postgres' Parse/Describe/Execute).
    client.execute("CREATE SIGNER spare GENERATE KEY", &[]).unwrap();
    let n: i64 = client
        .query_one("SELECT count(*) FROM blockchain_signers() WHERE server_held", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    client.execute("DROP SIGNER spare", &[]).unwrap();
    let report = |client: &mut postgres::Client| -> Vec<(i64, String)> {
        client
            .query(
                "SELECT block_id, finding FROM blockchain_tamper_report('t') ORDER BY 1",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    };
    let unconfirmed = |ids: &[i64]| ids.iter().map(|i| (*i, "unconfirmed".to_string())).collect::<Vec<_>>();
    assert_eq!(report(&mut client), unconfirmed(&[0, 1, 2]));

    let (code, out, err) = sign(key_file, &url, &["--block", "1"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("signed block 1 of t (confirmed)"), "{out}");
    assert_eq!(report(&mut client), unconfirmed(&[0, 2]));

    let (code, out, err) = sign(key_file, &url, &["--all-unsigned"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 blocks signed, 1 already signed"), "{out}");
    assert_eq!(report(&mut client), vec![]);
    let confirmed: Vec<(i64, i32, bool)> = client
        .query(
            "SELECT block_id, signature_count, confirmed FROM blockchain_metadata('t') ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(confirmed, vec![(0, 1, true), (1, 1, true), (2, 1, true)]);
    let verified: bool = client.query_one("SELECT verify_blockchain('t')", &[]).unwrap().get(0);
    assert!(verified);

    // Signing the same block again fails (exit 1, the duplicate named).
    let (code, _, err) = sign(key_file, &url, &["--block", "1"]);
    assert_eq!(code, 1);
    assert!(err.contains("already signed"), "{err}");
    // A key no signer is registered with is refused before anything is signed.
    let stranger = dir.path().join("stranger.key");
    assert_eq!(vellum(&["keygen", "--out", stranger.to_str().unwrap()]).0, 0);
    let (code, _, err) = sign(stranger.to_str().unwrap(), &url, &["--all-unsigned"]);
    assert_eq!(code, 1);
    assert!(err.contains("no signer is registered"), "{err}");
    // A key file others can read is refused.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (code, _, err) = sign(key_file, &url, &["--block", "2"]);
        assert_eq!(code, 1);
        assert!(err.contains("group or world access"), "{err}");
    }
}
