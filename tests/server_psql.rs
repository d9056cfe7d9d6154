//! psql (the PostgreSQL 15 client) running a script against `vellum serve`.

mod server_common;

use std::io::Write;
use std::process::Command;

use server_common::TestServer;

const PSQL: &str = "/usr/bin/psql";

fn psql(server: &TestServer, script: &str) -> (bool, String, String) {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(script.as_bytes()).unwrap();
    let output = Command::new(PSQL)
        .args(["-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p"])
        .arg(server.port.to_string())
        .args(["-U", "vellum", "-d", "vellum", "-f"])
        .arg(file.path())
        .env("PGCONNECT_TIMEOUT", "10")
        .output()
        .expect("psql runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn psql_script_with_copy_from_stdin() {
    if !std::path::Path::new(PSQL).exists() {
        panic!("{PSQL} is required for this test (PostgreSQL 15 client)");
    }
    let server = TestServer::start();
    let script = "\
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(8,2));
INSERT INTO items VALUES (1, 'pen', 1.5), (2, 'ink', NULL);
COPY items (id, name, price) FROM STDIN;
3\tpad\t2.25
4\tcup\t\\N
\\.
\\pset format unaligned
SELECT id, name, price FROM items ORDER BY id;
BEGIN;
UPDATE items SET price = 0 WHERE price IS NULL;
COMMIT;
SELECT count(*) AS n, sum(price) AS total FROM items;
";
    let (ok, stdout, stderr) = psql(&server, script);
    assert!(ok, "psql failed: {stderr}");
    assert_eq!(
        stdout,
        "CREATE TABLE\n\
         INSERT 0 2\n\
         COPY 2\n\
         Output format is unaligned.\n\
         id|name|price\n\
         1|pen|1.50\n\
         2|ink|\n\
         3|pad|2.25\n\
         4|cup|\n\
         (4 rows)\n\
         BEGIN\n\
         UPDATE 2\n\
         COMMIT\n\
         n|total\n\
         4|3.75\n\
         (1 row)\n"
    );
}

#[test]
fn psql_stops_at_the_first_error_with_its_sqlstate_message() {
    let server = TestServer::start();
    let (ok, stdout, stderr) = psql(&server, "SELECT 1 AS a;\nSELECT 1/0;\nSELECT 2 AS b;\n");
    assert!(!ok);
    assert_eq!(stdout, " a \n---\n 1\n(1 row)\n\n");
    assert!(stderr.contains("ERROR:  division by zero"), "{stderr}");
}

/// A blockchain table driven entirely from psql: created, bulk-loaded with COPY FROM STDIN,
/// sealed, verified, proven, and refusing UPDATE with its SQLSTATE.
#[test]
fn psql_drives_a_blockchain_table() {
    let server = TestServer::start();
    let script = "\
\\pset format unaligned
CREATE BLOCKCHAIN TABLE payments (id bigint PRIMARY KEY, payer text NOT NULL, amount numeric(12,2)) WITH (block_size = 4, block_seal_interval = '0');
COPY payments FROM STDIN;
1\tada\t10.00
2\tbob\t2.50
3\tcy\t7.25
4\tdee\t1.00
5\teve\t3.00
\\.
SELECT id, _block_id, _row_index FROM payments ORDER BY id;
SELECT seal_blockchain_block('payments') AS sealed;
SELECT block_id, row_count, block_type, length(block_hash) AS hash_len FROM blockchain_metadata('payments') ORDER BY block_id;
SELECT verify_blockchain('payments') AS intact, verify_blockchain_proof(blockchain_proof('payments', 2, 0)) AS proof_ok;
SELECT reloptions::text FROM pg_class WHERE relname = 'payments';
\\dt
SELECT operation, object, row_count FROM vellum_audit ORDER BY tx_id, statement_no;
UPDATE payments SET amount = 0 WHERE id = 1;
";
    let (ok, stdout, stderr) = psql(&server, script);
    assert!(!ok, "the UPDATE must fail: {stdout}");
    assert_eq!(
        stdout,
        "Output format is unaligned.\n\
         CREATE TABLE\n\
         COPY 5\n\
         id|_block_id|_row_index\n\
         1|1|0\n\
         2|1|1\n\
         3|1|2\n\
         4|1|3\n\
         5||0\n\
         (5 rows)\n\
         sealed\n\
         2\n\
         (1 row)\n\
         block_id|row_count|block_type|hash_len\n\
         0|0|genesis|64\n\
         1|4|data|64\n\
         2|1|data|64\n\
         (3 rows)\n\
         intact|proof_ok\n\
         t|t\n\
         (1 row)\n\
         reloptions\n\
         {block_size=4,block_seal_interval=00:00:00,hash_algorithm=SHA256,enable_merkle_tree=true}\n\
         (1 row)\n\
         List of relations\n\
         Schema|Name|Type|Owner\n\
         public|payments|table|vellum\n\
         (1 row)\n\
         operation|object|row_count\n\
         CREATE TABLE|payments|0\n\
         COPY|payments|5\n\
         SEAL BLOCK|payments|0\n\
         (3 rows)\n"
    );
    assert!(
        stderr.contains("ERROR:  UPDATE not allowed on blockchain table 'payments'"),
        "{stderr}"
    );
}
