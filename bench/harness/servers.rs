//! The two servers under test, each fresh for one run: `vellum serve` from the same build as this
//! harness, and PostgreSQL 15 with its default configuration. Both live in a throw-away directory
//! that is removed, servers stopped, when the handles drop.
//!
//! PostgreSQL refuses to run as root; when the harness runs as root its binaries run as the
//! unprivileged user `postgres` (or `nobody`) through `su`, on a private socket directory.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the PostgreSQL 15 server binaries are installed (Debian/Ubuntu layout).
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// A directory removed with everything in it when dropped.
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    pub fn new(label: &str) -> Result<ScratchDir, String> {
        let path = std::env::temp_dir().join(format!(
            "vellum-bench-{label}.{}.{}",
            std::process::id(),
            fastrand::u32(..)
        ));
        std::fs::create_dir_all(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(ScratchDir(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A loopback port nobody listens on right now (`0`: ask the kernel).
pub fn free_port(requested: u16) -> Result<u16, String> {
    if requested != 0 {
        return Ok(requested);
    }
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free loopback port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// The `vellum` binary built beside this harness (`target/release/vellum` for a release build).
pub fn vellum_binary() -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|e| format!("cannot locate the running executable: {e}"))?;
    let dir = me.parent().ok_or("the running executable has no directory")?;
    let binary = dir.join(format!("vellum{}", std::env::consts::EXE_SUFFIX));
    if !binary.is_file() {
        return Err(format!(
            "{} is missing: build the server first with `cargo build --release --bin vellum` \
             (the same profile as this harness)",
            binary.display()
        ));
    }
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(server), Some(harness)) = (modified(&binary), modified(&me)) {
        if server < harness {
            eprintln!(
                "warning: {} is older than this harness; `cargo build --release --bin vellum` if the \
                 sources changed since",
                binary.display()
            );
        }
    }
    Ok(binary)
}

/// A running `vellum serve`, killed when dropped.
pub struct VellumServer {
    child: Child,
    pub port: u16,
    _dir: ScratchDir,
}

impl VellumServer {
    pub fn start(port: u16, no_audit: bool) -> Result<VellumServer, String> {
        let binary = vellum_binary()?;
        let dir = ScratchDir::new("vellum")?;
        let log = std::fs::File::create(dir.path().join("server.log")).map_err(|e| e.to_string())?;
        let child = Command::new(&binary)
            .arg("serve")
            .arg("--data")
            .arg(dir.path().join("data"))
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .args(no_audit.then_some("--no-audit"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut server = VellumServer { child, port, _dir: dir };
        wait_for_port(port, Duration::from_secs(30), || match server.child.try_wait() {
            Ok(Some(status)) => Some(format!("vellum serve exited ({status})")),
            _ => None,
        })
        .map_err(|e| format!("{e}; log: {}", server.log_tail()))?;
        Ok(server)
    }

    pub fn connection_string(&self) -> String {
        format!("host=127.0.0.1 port={} user=vellum dbname=vellum", self.port)
    }

    fn log_tail(&mut self) -> String {
        let text = std::fs::read_to_string(self._dir.path().join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(10)..].join("\n")
    }
}

impl Drop for VellumServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running PostgreSQL 15, stopped (`pg_ctl stop -m fast`) when dropped.
pub struct PostgresServer {
    pub port: u16,
    dir: ScratchDir,
    user: Option<String>,
}

impl PostgresServer {
    /// Whether PostgreSQL 15's server binaries are installed.
    pub fn available() -> bool {
        Path::new(PG_BIN).join("initdb").is_file() && Path::new(PG_BIN).join("pg_ctl").is_file()
    }

    pub fn start(port: u16) -> Result<PostgresServer, String> {
        let dir = ScratchDir::new("postgres")?;
        let user = if running_as_root() {
            Some(unprivileged_user())
        } else {
            None
        };
        if let Some(user) = &user {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
            run(Command::new("chown").arg(user).arg(dir.path()))?;
        }
        let server = PostgresServer { port, dir, user };
        let data = server.dir.path().join("data");
        server.run_pg(&[
            &format!("{PG_BIN}/initdb"),
            "-D",
            &data.display().to_string(),
            "-A",
            "trust",
            "-U",
            "postgres",
        ])?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1",
            server.dir.path().display()
        );
        let log = server.dir.path().join("log").display().to_string();
        if let Err(e) = server.run_pg(&[
            &format!("{PG_BIN}/pg_ctl"),
            "-D",
            &data.display().to_string(),
            "-o",
            &options,
            "-l",
            &log,
            "-w",
            "start",
        ]) {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(format!("{e}\n{text}"));
        }
        wait_for_port(port, Duration::from_secs(30), || None)?;
        Ok(server)
    }

    pub fn connection_string(&self) -> String {
        format!("host=127.0.0.1 port={} user=postgres dbname=postgres", self.port)
    }

    /// Runs a PostgreSQL binary, as the unprivileged user when the harness runs as root.
    fn run_pg(&self, argv: &[&str]) -> Result<(), String> {
        match &self.user {
            None => run(Command::new(argv[0]).args(&argv[1..])),
            Some(user) => {
                let line: Vec<String> = argv.iter().map(|a| shell_quote(a)).collect();
                run(Command::new("su")
                    .arg(user)
                    .arg("-s")
                    .arg("/bin/sh")
                    .arg("-c")
                    .arg(line.join(" ")))
            }
        }
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let data = self.dir.path().join("data").display().to_string();
        let _ = self.run_pg(&[&format!("{PG_BIN}/pg_ctl"), "-D", &data, "-m", "fast", "-w", "stop"]);
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn unprivileged_user() -> String {
    let exists = Command::new("id")
        .arg("postgres")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match exists {
        Ok(status) if status.success() => "postgres".into(),
        _ => "nobody".into(),
    }
}

fn shell_quote(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', "'\\''"))
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Waits until something accepts TCP connections on the loopback `port`; `dead` reports a server
/// that exited meanwhile.
fn wait_for_port(port: u16, limit: Duration, mut dead: impl FnMut() -> Option<String>) -> Result<(), String> {
    let start = Instant::now();
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if let Some(why) = dead() {
            return Err(why);
        }
        if start.elapsed() > limit {
            return Err(format!("nothing listens on 127.0.0.1:{port} after {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
