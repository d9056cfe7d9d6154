//! pgjdbc (Debian's libpostgresql-jdbc-java) against the real `vellum` binary: a prepared
//! statement past pgjdbc's switch to server-side statements and binary transfer, typed
//! parameters and NULLs, DatabaseMetaData.getTables and getColumns, and transactions with
//! autocommit off (tests/clients/JdbcClient.java).

mod client_common;

use std::path::Path;
use std::process::Command;

use client_common::{assert_success, clients_dir, find_tool, require, text, VellumProcess};

const JAR: &str = "/usr/share/java/postgresql.jar";

#[test]
fn pgjdbc_prepared_statements_metadata_and_transactions() {
    let javac = find_tool(&["javac"]);
    let java = find_tool(&["java"]);
    if !require(
        javac.is_some() && java.is_some() && Path::new(JAR).exists(),
        "a JDK (javac, java) and pgjdbc (libpostgresql-jdbc-java)",
    ) {
        return;
    }
    let classes = tempfile::tempdir().unwrap();
    let compiled = Command::new(javac.unwrap())
        .args(["-cp", JAR, "-d"])
        .arg(classes.path())
        .arg(clients_dir().join("JdbcClient.java"))
        .output()
        .expect("javac runs");
    assert_success("javac JdbcClient.java", &compiled);

    let server = VellumProcess::start();
    let classpath = format!("{JAR}:{}", classes.path().display());
    let output = Command::new(java.unwrap())
        .args(["-cp", &classpath, "JdbcClient"])
        .arg(format!("jdbc:postgresql://127.0.0.1:{}/vellum", server.port))
        .arg("vellum")
        .output()
        .expect("java runs");
    assert_success("JdbcClient", &output);
    assert_eq!(text(&output.stdout).trim(), "ok 275");
    assert_eq!(
        server.psql(
            "SELECT count(*), count(big), sum(amount), string_agg(name, ',' ORDER BY id) FROM jdbc_items WHERE id <= 3"
        ),
        "3|3|-6.375|name 1,committed,name 3"
    );
}
