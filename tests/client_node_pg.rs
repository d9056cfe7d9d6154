//! node-postgres (`pg` from npm, installed globally by .ci/run) against the real `vellum`
//! binary: parameterized queries, named statements, transactions and errors inside them
//! (tests/clients/node_pg_client.js).

mod client_common;

use std::process::Command;

use client_common::{assert_success, clients_dir, find_tool, require, text, VellumProcess};

#[test]
fn node_postgres_parameters_and_transactions() {
    let node = find_tool(&["node", "nodejs"]);
    // Globally installed modules resolve through NODE_PATH.
    let node_path = std::env::var("NODE_PATH").ok().or_else(|| {
        let root = Command::new(find_tool(&["npm"])?).args(["root", "-g"]).output().ok()?;
        root.status.success().then(|| text(&root.stdout).trim().to_string())
    });
    let loads = |node: &std::path::Path| {
        let mut probe = Command::new(node);
        probe.args(["-e", "require('pg')"]);
        if let Some(path) = &node_path {
            probe.env("NODE_PATH", path);
        }
        probe.output().is_ok_and(|o| o.status.success())
    };
    if !require(
        node.as_deref().is_some_and(loads),
        "node.js with the pg module (npm install -g pg)",
    ) {
        return;
    }
    let server = VellumProcess::start();
    let mut run = Command::new(node.unwrap());
    run.arg(clients_dir().join("node_pg_client.js"))
        .args([&server.port.to_string(), "vellum", "vellum"]);
    if let Some(path) = &node_path {
        run.env("NODE_PATH", path);
    }
    let output = run.output().expect("node runs");
    assert_success("node_pg_client.js", &output);
    assert_eq!(text(&output.stdout).trim(), "ok 12");
    assert_eq!(
        server.psql("SELECT string_agg(id || ':' || coalesce(name, 'NULL'), ',' ORDER BY id) FROM node_items"),
        "1:it's,2:NULL,3:committed"
    );
}
