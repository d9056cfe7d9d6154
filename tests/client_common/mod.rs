//! The real `vellum` binary serving a temporary data directory on a free loopback port, and the
//! lookup of the client programs the client_* tests drive.
//!
//! A missing client fails the test under CI (`CI=true`, where `.ci/run` installs every client);
//! elsewhere the test prints why and passes without running.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "../binary_common/mod.rs"]
mod binary_common;

/// `vellum serve` over a temporary data directory, stopped when dropped.
pub struct VellumProcess {
    pub port: u16,
    _served: binary_common::Served,
    _dir: tempfile::TempDir,
}

impl VellumProcess {
    pub fn start() -> VellumProcess {
        let dir = tempfile::tempdir().expect("temp dir");
        // With a master key, so the suites can create encrypted blockchain tables over the wire
        // as they do on the embedded runner.
        let key = dir.path().join("master.key");
        vellum::crypto::aead::AeadKey::generate()
            .and_then(|k| k.write_key_file(&key))
            .expect("master key file");
        let key = key.to_str().expect("UTF-8 temp path");
        let served = binary_common::serve(
            &dir.path().join("data"),
            &["--listen", "127.0.0.1:0", "--master-key-file", key],
        );
        VellumProcess {
            port: served.port,
            _served: served,
            _dir: dir,
        }
    }

    /// `host=... port=... user=vellum dbname=vellum` for libpq-style clients.
    pub fn conninfo(&self) -> String {
        format!("host=127.0.0.1 port={} user=vellum dbname=vellum", self.port)
    }

    /// Runs one SQL command with psql (unaligned, tuples only) and returns its output as is.
    pub fn psql_output(&self, sql: &str) -> Output {
        Command::new("/usr/bin/psql")
            .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .args(["-U", "vellum", "-d", "vellum", "-c", sql])
            .output()
            .expect("psql runs")
    }

    /// Runs one SQL command with psql and returns its unaligned, tuples-only output.
    pub fn psql(&self, sql: &str) -> String {
        let output = self.psql_output(sql);
        assert!(output.status.success(), "psql -c {sql}: {}", text(&output.stderr));
        text(&output.stdout).trim().to_string()
    }
}

/// The first of `candidates` that exists (absolute paths) or is on PATH (bare names).
pub fn find_tool(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().find_map(|c| {
        let path = Path::new(c);
        if path.is_absolute() {
            return path.exists().then(|| path.to_path_buf());
        }
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(c))
                .find(|p| p.is_file())
        })
    })
}

/// Whether the test may run: true when `available`; otherwise fails under CI and skips (with a
/// message) elsewhere.
pub fn require(available: bool, what: &str) -> bool {
    if available {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{what} is required under CI (.ci/run installs it)");
    }
    eprintln!("skipped: {what} is not installed (.ci/run installs it)");
    false
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts a client program succeeded, showing its output otherwise.
pub fn assert_success(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// The directory of the client programs the tests run (`tests/clients`).
pub fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}
