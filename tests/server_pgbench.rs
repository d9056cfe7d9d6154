//! pgbench (PostgreSQL 15's load generator) runs a custom INSERT/SELECT script against
//! `vellum serve` with 4 clients in each query mode, and every transaction must succeed.

mod server_common;

use std::process::Command;

use server_common::TestServer;

const PGBENCH: &str = "/usr/lib/postgresql/15/bin/pgbench";
const CLIENTS: u32 = 4;
const TRANSACTIONS_PER_CLIENT: u32 = 50;

#[test]
fn pgbench_custom_script_in_every_query_mode() {
    assert!(
        std::path::Path::new(PGBENCH).exists(),
        "{PGBENCH} is required (PostgreSQL 15 server package)"
    );
    let server = TestServer::start();
    let created = Command::new("/usr/bin/psql")
        .args([
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            &server.port.to_string(),
        ])
        .args([
            "-U",
            "vellum",
            "-d",
            "vellum",
            "-c",
            "CREATE TABLE kv (id bigint PRIMARY KEY, v text NOT NULL)",
        ])
        .output()
        .expect("psql runs");
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        script.path(),
        "\\set id random(1, 1000000000)\n\
         INSERT INTO kv VALUES (:id, 'value ' || :id) ON CONFLICT DO NOTHING;\n\
         SELECT v FROM kv WHERE id = :id;\n",
    )
    .unwrap();
    for mode in ["simple", "extended", "prepared"] {
        let output = Command::new(PGBENCH)
            .args([
                "-n",
                "-h",
                "127.0.0.1",
                "-p",
                &server.port.to_string(),
                "-U",
                "vellum",
                "-M",
                mode,
            ])
            .args([
                "-c",
                &CLIENTS.to_string(),
                "-t",
                &TRANSACTIONS_PER_CLIENT.to_string(),
                "-f",
            ])
            .arg(script.path())
            .arg("vellum")
            .output()
            .expect("pgbench runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "pgbench -M {mode} failed:\n{stdout}\n{stderr}");
        let expected = CLIENTS * TRANSACTIONS_PER_CLIENT;
        assert!(
            stdout.contains(&format!(
                "number of transactions actually processed: {expected}/{expected}"
            )),
            "pgbench -M {mode}:\n{stdout}"
        );
        assert!(
            stdout.contains("number of failed transactions: 0 (0.000%)"),
            "pgbench -M {mode}:\n{stdout}"
        );
    }
    // Every transaction inserted a row unless its random key repeated: at most 600 rows, and
    // with a billion possible keys, almost surely exactly 600.
    let count = Command::new("/usr/bin/psql")
        .args([
            "-X",
            "-At",
            "-h",
            "127.0.0.1",
            "-p",
            &server.port.to_string(),
            "-U",
            "vellum",
            "-d",
            "vellum",
        ])
        .args(["-c", "SELECT count(*) FROM kv"])
        .output()
        .expect("psql runs");
    let rows: u32 = String::from_utf8_lossy(&count.stdout).trim().parse().expect("a count");
    assert!(
        rows > 590 && rows <= 3 * CLIENTS * TRANSACTIONS_PER_CLIENT,
        "{rows} rows"
    );
}
