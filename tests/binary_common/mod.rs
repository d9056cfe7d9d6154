//! The `vellum` binary as the integration tests run it: `vellum serve` as a child process that
//! is killed when dropped, and one-shot commands (`vellum verify`, `keygen`, `digest`...).

#![allow(dead_code)]

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running `vellum serve`, killed (and reaped) on drop.
pub struct Served {
    child: Child,
    pub port: u16,
}

impl Served {
    /// Stops the server now (as dropping it would).
    pub fn stop(self) {}
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `vellum serve --data data` with `args` (which must include a `--listen` address,
/// port 0 for a free one) and returns once it logged its listening address.
pub fn serve(data: &Path, args: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vellum"))
        .arg("serve")
        .arg("--data")
        .arg(data)
        .args(args)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start vellum serve");
    let mut stderr = child.stderr.take().expect("stderr piped");
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    let port = loop {
        match stderr.read(&mut byte) {
            Ok(1) => seen.push(byte[0]),
            _ => panic!("vellum serve exited: {}", String::from_utf8_lossy(&seen)),
        }
        if byte[0] != b'\n' {
            continue;
        }
        let text = String::from_utf8_lossy(&seen);
        if let Some(rest) = text.lines().find_map(|l| l.split("listening on ").nth(1)) {
            let addr: std::net::SocketAddr = rest.split_whitespace().next().unwrap().parse().unwrap();
            break addr.port();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
    });
    Served { child, port }
}

/// `vellum serve` over `data` on a free loopback port, default options.
pub fn serve_loopback(data: &Path) -> Served {
    serve(data, &["--listen", "127.0.0.1:0"])
}

/// Runs `vellum args…` to completion: (exit code, stdout, stderr).
pub fn vellum(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vellum"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run vellum");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
