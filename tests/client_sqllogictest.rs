//! sqllogictest-bin (the `sqllogictest` command, 0.29 like our `sqllogictest` crate) runs our
//! own suites in `sqllogictest/*.slt` against the real `vellum` binary over the wire, with the
//! simple query protocol (`-e postgres`) and the extended one (`-e postgres-extended`); each
//! file and engine on a fresh server, labelled `postgresql` as our embedded runner labels them.
//!
//! Records the extended engine cannot run (it panics on bpchar, bytea, jsonb and uuid results
//! and prints floats with Rust's formatting, against PostgreSQL as against Vellum) carry
//! `skipif postgres-extended` in the suites. No file is excluded.

mod client_common;

use std::path::{Path, PathBuf};
use std::process::Command;

use client_common::{find_tool, require, text, VellumProcess};

/// Files left out of the wire runs, with the reason. Empty: every suite runs over the wire.
const EXCLUDED: &[(&str, &str)] = &[];

fn suites() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sqllogictest");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("sqllogictest/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            !EXCLUDED.iter().any(|(excluded, _)| *excluded == name)
        })
        .collect();
    files.sort();
    files
}

fn sqllogictest_bin() -> Option<PathBuf> {
    let home_bin = std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo/bin/sqllogictest"));
    let found = find_tool(&["sqllogictest"]).or_else(|| home_bin.filter(|p| p.exists()))?;
    let version = Command::new(&found).arg("--version").output().ok()?;
    // Our .slt syntax is sqllogictest 0.29's.
    text(&version.stdout)
        .contains("sqllogictest-bin 0.29.")
        .then_some(found)
}

fn run_engine(engine: &str) {
    let Some(bin) = sqllogictest_bin() else {
        require(
            false,
            "sqllogictest-bin 0.29 (cargo install sqllogictest-bin --locked --version 0.29.1)",
        );
        return;
    };
    let files = suites();
    assert!(files.len() >= 10, "suites found: {files:?}");
    let mut failures = Vec::new();
    for file in &files {
        let server = VellumProcess::start();
        let output = Command::new(&bin)
            .args([
                "-e",
                engine,
                "--label",
                "postgresql",
                "--color",
                "never",
                "--host",
                "127.0.0.1",
            ])
            .args(["--port", &server.port.to_string(), "--user", "vellum", "--db", "vellum"])
            .arg(file)
            .env("RUST_BACKTRACE", "0")
            .output()
            .expect("sqllogictest runs");
        let stdout = text(&output.stdout);
        if !output.status.success() || !stdout.contains("[OK]") {
            failures.push(format!("{}:\n{stdout}\n{}", file.display(), text(&output.stderr)));
        }
    }
    assert!(
        failures.is_empty(),
        "sqllogictest -e {engine} failed:\n{}",
        failures.join("\n")
    );
}

#[test]
fn suites_over_the_simple_query_protocol() {
    run_engine("postgres");
}

#[test]
fn suites_over_the_extended_query_protocol() {
    run_engine("postgres-extended");
}
