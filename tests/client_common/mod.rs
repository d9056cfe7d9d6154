//! The real `vellum` binary serving a temporary data directory on a free loopback port, and the
//! lookup of the client programs the client_* tests drive.
//!
//! A missing client fails the test under CI (`CI=true`, where `.ci/run` installs every client);
//! elsewhere the test prints why and passes without running.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct VellumProcess {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl VellumProcess {
    pub fn start() -> VellumProcess {
        let dir = tempfile::tempdir().expect("temp dir");
        // The port is free when asked for; another process taking it before `vellum serve`
        // binds makes the start fail, and a new port is tried.
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("free port")
                .port();
            let mut child = Command::new(env!("CARGO_BIN_EXE_vellum"))
                .args(["serve", "--data"])
                .arg(dir.path().join("data"))
                .args(["--listen", &format!("127.0.0.1:{port}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("vellum serve starts");
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return VellumProcess { port, child, _dir: dir };
                }
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("vellum serve did not start listening");
    }

    /// `host=... port=... user=vellum dbname=vellum` for libpq-style clients.
    pub fn conninfo(&self) -> String {
        format!("host=127.0.0.1 port={} user=vellum dbname=vellum", self.port)
    }

    /// Runs one SQL command with psql and returns its unaligned, tuples-only output.
    pub fn psql(&self, sql: &str) -> String {
        let output = Command::new("/usr/bin/psql")
            .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .args(["-U", "vellum", "-d", "vellum", "-c", sql])
            .output()
            .expect("psql runs");
        assert!(output.status.success(), "psql -c {sql}: {}", text(&output.stderr));
        text(&output.stdout).trim().to_string()
    }
}

impl Drop for VellumProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
