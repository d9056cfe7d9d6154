//! Accepting connections, the cancel-key registry, the connection cap and clean shutdown.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use crate::database::Database;
use crate::error::Error;

use super::connection;
use super::tls::Tls;
use super::wire::{Out, Severity};

/// How clients prove who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AuthMethod {
    /// Connections from loopback addresses of roles without a password are trusted; a role that
    /// has a password must pass SCRAM-SHA-256 even there. Only loopback listen addresses.
    #[default]
    LoopbackTrust,
    /// Every connection must pass SCRAM-SHA-256 (PostgreSQL's `scram-sha-256` in pg_hba.conf);
    /// roles without a password cannot log in.
    Scram,
}

/// Server settings that are not per-session.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub auth: AuthMethod,
    /// Connections beyond this are refused with 53300 (PostgreSQL's default max_connections).
    pub max_connections: usize,
    /// How long a new connection may take from accept to the end of authentication
    /// (PostgreSQL's authentication_timeout).
    pub startup_timeout: Duration,
    /// Certificate and key offered after SSLRequest; `None` answers 'N' (no TLS).
    pub tls: Option<Tls>,
    /// Refuse unencrypted connections from beyond loopback (pg_hba.conf's `hostssl`).
    pub tls_required: bool,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            auth: AuthMethod::LoopbackTrust,
            max_connections: 100,
            startup_timeout: Duration::from_secs(60),
            tls: None,
            tls_required: false,
        }
    }
}

impl ServerConfig {
    /// Whether a connection from `peer` must be refused for not using TLS (`tls_required`, as
    /// pg_hba.conf's `hostssl`: loopback is exempt, so local tools keep working without certificates).
    pub(super) fn refuses_unencrypted(&self, peer: std::net::IpAddr, tls: bool) -> bool {
        self.tls_required && !tls && !peer.is_loopback()
    }
}

/// Whether a listen address may be used with `auth`: beyond loopback, only with password
/// authentication for every connection.
pub fn check_listen_address(addr: &SocketAddr, auth: AuthMethod) -> Result<(), String> {
    if addr.ip().is_loopback() || auth == AuthMethod::Scram {
        return Ok(());
    }
    Err(format!(
        "refusing to listen on {addr} without password authentication: connections without a password \
         are trusted on loopback addresses only. Listen on 127.0.0.1 or [::1], or require SCRAM-SHA-256 \
         passwords with --auth scram (and --password-file FILE to give the \"{}\" role a password)",
        crate::catalog::BOOTSTRAP_SUPERUSER
    ))
}

/// Whether the server can be started with `config` over `db`: password authentication needs at
/// least one role with a password, or nobody could ever log in; `tls_required` needs TLS.
pub fn check_config(db: &Database, config: &ServerConfig) -> Result<(), String> {
    if config.tls_required && config.tls.is_none() {
        return Err("--tls-required needs a certificate and key: pass --tls-cert FILE --tls-key FILE".into());
    }
    if config.auth == AuthMethod::Scram && !db.catalog().roles().iter().any(|r| r.login && r.password.is_some()) {
        return Err(format!(
            "password authentication is required but no role that can log in has a password: start once with \
             --password-file FILE (its first line becomes the password of the \"{}\" role)",
            crate::catalog::BOOTSTRAP_SUPERUSER
        ));
    }
    Ok(())
}

/// Live sessions by (process id, secret key), for CancelRequest and shutdown.
#[derive(Default)]
pub(super) struct Registry {
    next_pid: AtomicI32,
    sessions: Mutex<HashMap<i32, (i32, Arc<AtomicBool>)>>,
}

impl Registry {
    /// Registers a session's cancel flag; returns its (pid, secret) BackendKeyData.
    pub(super) fn register(&self, cancel: Arc<AtomicBool>) -> (i32, i32) {
        let pid = self.next_pid.fetch_add(1, Ordering::Relaxed).wrapping_add(1).max(1);
        let secret = fastrand::i32(..);
        self.sessions.lock().insert(pid, (secret, cancel));
        (pid, secret)
    }

    pub(super) fn unregister(&self, pid: i32) {
        self.sessions.lock().remove(&pid);
    }

    /// A CancelRequest: only the matching secret cancels, and the requester learns nothing.
    fn cancel(&self, pid: i32, secret: i32) {
        if let Some((s, flag)) = self.sessions.lock().get(&pid) {
            if *s == secret {
                flag.store(true, Ordering::Relaxed);
            }
        }
    }

    fn cancel_all(&self) {
        for (_, flag) in self.sessions.lock().values() {
            flag.store(true, Ordering::Relaxed);
        }
    }
}

/// How long shutdown waits for connections to end on their own.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Completes once the server is shutting down (also if the signal's sender is gone).
pub(super) async fn stopping(mut rx: watch::Receiver<bool>) {
    while !*rx.borrow_and_update() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// Shared by every connection task.
pub(super) struct Shared {
    pub(super) db: Database,
    pub(super) config: ServerConfig,
    pub(super) registry: Registry,
    pub(super) shutdown: watch::Receiver<bool>,
}

impl Shared {
    pub(super) fn cancel(&self, pid: i32, secret: i32) {
        self.registry.cancel(pid, secret);
    }
}

/// Serves `listener` with the default configuration (loopback trust, no TLS) until `shutdown`
/// completes.
pub async fn run(db: Database, listener: TcpListener, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    run_with(db, listener, shutdown, ServerConfig::default()).await
}

/// Serves `listener` until `shutdown` completes: then stops accepting, ends every connection
/// (their open transactions roll back as their sessions drop) and syncs the database to disk.
pub async fn run_with(
    db: Database,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    config: ServerConfig,
) -> std::io::Result<()> {
    let (stop, stopped) = watch::channel(false);
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let shared = Arc::new(Shared {
        db: db.clone(),
        config,
        registry: Registry::default(),
        shutdown: stopped,
    });
    let mut tasks = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                match slots.clone().try_acquire_owned() {
                    Ok(permit) => {
                        let shared = shared.clone();
                        tasks.spawn(async move {
                            connection::serve(stream, peer, shared).await;
                            drop(permit);
                        });
                    }
                    Err(_) => {
                        tasks.spawn(refuse(stream));
                    }
                }
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    tracing::info!("shutting down: closing {} connection(s)", tasks.len());
    let _ = stop.send(true);
    shared.registry.cancel_all();
    let drain = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        // Clients that stopped reading or stalled mid-COPY: their tasks are dropped, which drops
        // (and so rolls back) any session not inside a running statement.
        tracing::warn!("connections still open after {SHUTDOWN_GRACE:?}; closing them");
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
    drop(shared);
    db.sync().map_err(|e| std::io::Error::other(e.to_string()))?;
    tracing::info!("database synced; server stopped");
    Ok(())
}

async fn refuse(mut stream: TcpStream) {
    let mut out = Out::default();
    out.error(&Error::sql("53300", "sorry, too many clients already"), Severity::Fatal);
    let _ = stream.write_all(&out.take()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_is_confined_to_loopback() {
        let ok = |a: &str, auth| check_listen_address(&a.parse().unwrap(), auth).is_ok();
        for auth in [AuthMethod::LoopbackTrust, AuthMethod::Scram] {
            assert!(ok("127.0.0.1:5433", auth));
            assert!(ok("127.0.0.2:5433", auth));
            assert!(ok("[::1]:5433", auth));
        }
        for addr in ["0.0.0.0:5433", "192.168.1.10:5433", "[::]:5433"] {
            assert!(!ok(addr, AuthMethod::LoopbackTrust), "{addr}");
            assert!(ok(addr, AuthMethod::Scram), "{addr}");
        }
        let message = check_listen_address(&"0.0.0.0:5433".parse().unwrap(), AuthMethod::LoopbackTrust).unwrap_err();
        assert!(message.contains("--auth scram"), "{message}");
    }

    #[test]
    fn tls_required_refuses_only_plain_remote_connections() {
        let required = ServerConfig {
            tls_required: true,
            ..ServerConfig::default()
        };
        let remote: std::net::IpAddr = "192.0.2.7".parse().unwrap();
        let local: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        assert!(required.refuses_unencrypted(remote, false));
        assert!(!required.refuses_unencrypted(remote, true));
        assert!(!required.refuses_unencrypted(local, false));
        assert!(!required.refuses_unencrypted("::1".parse().unwrap(), false));
        assert!(!ServerConfig::default().refuses_unencrypted(remote, false));
    }

    #[test]
    fn password_authentication_needs_a_password_to_exist() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let scram = ServerConfig {
            auth: AuthMethod::Scram,
            ..ServerConfig::default()
        };
        assert!(check_config(&db, &ServerConfig::default()).is_ok());
        assert!(check_config(&db, &scram).unwrap_err().contains("--password-file"));
        db.set_role_password(
            "vellum",
            crate::crypto::scram::Verifier::from_password("pw").to_string(),
        )
        .unwrap();
        assert!(check_config(&db, &scram).is_ok());
        let tls_without_cert = ServerConfig {
            tls_required: true,
            ..ServerConfig::default()
        };
        assert!(check_config(&db, &tls_without_cert).unwrap_err().contains("--tls-cert"));
    }

    #[test]
    fn cancel_needs_the_matching_secret() {
        let registry = Registry::default();
        let flag = Arc::new(AtomicBool::new(false));
        let (pid, secret) = registry.register(flag.clone());
        registry.cancel(pid, secret.wrapping_add(1));
        assert!(!flag.load(Ordering::Relaxed));
        registry.cancel(pid, secret);
        assert!(flag.load(Ordering::Relaxed));
        registry.unregister(pid);
        flag.store(false, Ordering::Relaxed);
        registry.cancel(pid, secret);
        assert!(!flag.load(Ordering::Relaxed));
    }
}
