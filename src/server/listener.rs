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
use super::wire::{Out, Severity};

/// How clients prove who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AuthMethod {
    /// Every user name is accepted without a password (loopback only).
    #[default]
    Trust,
}

/// Server settings that are not per-session.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub auth: AuthMethod,
    /// Connections beyond this are refused with 53300 (PostgreSQL's default max_connections).
    pub max_connections: usize,
    /// How long a new connection may take to send its startup packet.
    pub startup_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            auth: AuthMethod::Trust,
            max_connections: 100,
            startup_timeout: Duration::from_secs(60),
        }
    }
}

/// Whether a listen address may be used with `auth`: beyond loopback, only with password
/// authentication (which Vellum does not have yet).
pub fn check_listen_address(addr: &SocketAddr, auth: AuthMethod) -> Result<(), String> {
    if addr.ip().is_loopback() || auth != AuthMethod::Trust {
        return Ok(());
    }
    Err(format!(
        "refusing to listen on {addr} without password authentication: trust authentication is allowed on \
         loopback addresses only; listen on 127.0.0.1 or ::1, or configure SCRAM-SHA-256 passwords \
         (the --password-file option, not available yet)"
    ))
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

/// Serves `listener` with trust authentication until `shutdown` completes.
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
        let ok = |a: &str| check_listen_address(&a.parse().unwrap(), AuthMethod::Trust).is_ok();
        assert!(ok("127.0.0.1:5433"));
        assert!(ok("[::1]:5433"));
        assert!(!ok("0.0.0.0:5433"));
        assert!(!ok("192.168.1.10:5433"));
        assert!(!ok("[::]:5433"));
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
