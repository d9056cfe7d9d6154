//! psycopg 3 (Debian's python3-psycopg) against the real `vellum` binary: typed parameters in
//! text and binary, NULLs, transactions with autocommit off, an error inside a transaction,
//! server-side prepared statements, executemany and COPY (tests/clients/psycopg_client.py).

mod client_common;

use std::process::Command;

use client_common::{assert_success, clients_dir, find_tool, require, text, VellumProcess};

#[test]
fn psycopg_parameters_transactions_and_prepared_statements() {
    // Debian's psycopg is installed for the system interpreter, which may not be first on PATH.
    let python = ["/usr/bin/python3", "python3"].iter().find_map(|p| {
        let path = find_tool(&[p])?;
        let imports = Command::new(&path).args(["-c", "import psycopg"]).output().ok()?;
        imports.status.success().then_some(path)
    });
    if !require(python.is_some(), "python3 with psycopg 3 (python3-psycopg)") {
        return;
    }
    let server = VellumProcess::start();
    let output = Command::new(python.unwrap())
        .arg(clients_dir().join("psycopg_client.py"))
        .arg(server.conninfo())
        .output()
        .expect("python runs");
    assert_success("psycopg_client.py", &output);
    assert_eq!(text(&output.stdout).trim(), "ok 34");
    // What the client committed is there for another client.
    assert_eq!(server.psql("SELECT count(*), sum(amount) FROM py_items"), "26|59.84");
}
