//! One client connection: after `negotiation.rs` has read the startup packet (over TLS or not),
//! the startup checks, authentication (`auth.rs`) and the session's start, then the message loop
//! of the simple query protocol. The extended protocol lives in `extended.rs`, COPY in
//! `copy_flow.rs`; both extend `Connection`. A connection registers for cancellation only once
//! its session starts, and the registration goes with the connection however it ends.
//!
//! The session is synchronous, so every call into it runs on tokio's blocking pool: the session
//! moves into the blocking task and comes back with the result. Statement results are encoded
//! into protocol bytes inside that task too, keeping value formatting off the reactor.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::runtime::RuntimeFlavor;

use crate::error::{sqlstate, Error, Result};
use crate::session::{Prepared, Session, Settings, StatementResult};
use crate::sql::{self, ast};

use super::extended::{Portal, PreparedStatement};
use super::frontend::{self, Message, ReadError};
use super::listener::{stopping, Shared};
use super::negotiation::{negotiate, Transport};
use super::wire::{Out, Severity, TEXT};

/// The only database a Vellum server holds.
pub const DATABASE_NAME: &str = "vellum";

/// Session parameters reported to the client in ParameterStatus whenever they change
/// (PostgreSQL's GUC_REPORT set that sessions can change): wire name, setting name.
const REPORTED: [(&str, &str); 5] = [
    ("application_name", "application_name"),
    ("client_encoding", "client_encoding"),
    ("DateStyle", "datestyle"),
    ("IntervalStyle", "intervalstyle"),
    ("TimeZone", "timezone"),
];

/// Startup packet keys that are not session parameters.
const STARTUP_KEYS: [&str; 4] = ["user", "database", "replication", "options"];

/// The connection cannot continue (socket gone, protocol broken, session lost, shutdown).
#[derive(Debug)]
pub(super) struct Closed;

/// The client's side of the socket, plain or TLS, as the connection reads it.
pub(super) type Reader = BufReader<Box<dyn AsyncRead + Send + Unpin>>;
type Writer = Box<dyn AsyncWrite + Send + Unpin>;

/// A session's entry in the cancel registry, removed whenever the connection goes, however it goes.
struct Registration {
    shared: Arc<Shared>,
    pid: i32,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.shared.registry.unregister(self.pid);
    }
}

pub(super) struct Connection {
    pub(super) reader: Reader,
    writer: Writer,
    pub(super) out: Out,
    session: Option<Session>,
    pub(super) shared: Arc<Shared>,
    pub(super) peer: SocketAddr,
    pub(super) statements: HashMap<String, Arc<PreparedStatement>>,
    pub(super) portals: HashMap<String, Portal>,
    /// After an extended-protocol error, messages are skipped until Sync.
    pub(super) skip_to_sync: bool,
    /// The values of `REPORTED` the client was last told.
    reported: Vec<String>,
    /// The settings those values were read from: while the session's are equal, none changed.
    reported_from: Option<Settings>,
    registration: Option<Registration>,
}

/// Serves one accepted socket to the end; never panics the server and never outlives shutdown.
pub(super) async fn serve(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    let timeout = shared.config.startup_timeout;
    // One deadline from accept to the end of authentication, as PostgreSQL's authentication_timeout.
    // A connection still starting when the server stops is dropped: it has no session to end.
    let shutdown = stopping(shared.shutdown.clone());
    let started = tokio::select! {
        biased;
        _ = shutdown => return,
        started = tokio::time::timeout(timeout, start(stream, peer, shared)) => started,
    };
    let mut conn = match started {
        Ok(Some(conn)) => conn,
        Ok(None) => return,
        Err(_) => {
            tracing::info!(%peer, "connection closed: startup and authentication took longer than {timeout:?}");
            return;
        }
    };
    let pid = conn.registration.as_ref().map(|r| r.pid).unwrap_or_default();
    tracing::debug!(%peer, pid, "session started");
    loop {
        // Messages already buffered are handled without waiting on the socket or on shutdown
        // (a shutdown is noticed as soon as the connection would wait for more input).
        let buffered = frontend::buffered_message(&mut conn.reader);
        let message = match buffered {
            Some(m) => m,
            None => tokio::select! {
                biased;
                _ = stopping(conn.shared.shutdown.clone()) => {
                    conn.fatal(&Error::sql(sqlstate::ADMIN_SHUTDOWN, "terminating connection due to administrator command")).await;
                    break;
                }
                m = frontend::read_message(&mut conn.reader) => m,
            },
        };
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                conn.read_failed(e).await;
                break;
            }
        };
        if conn.handle(message).await.is_err() {
            break;
        }
    }
    // Dropping the session rolls back its open transaction.
    drop(conn.session.take());
    drop(conn.registration.take());
    tracing::debug!(%peer, pid, "session ended");
}

/// SSL negotiation, the startup packet and authentication; `None` when the connection ends there.
async fn start(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>) -> Option<Connection> {
    let (transport, (version, params)) = negotiate(stream, &shared).await?;
    let tls = matches!(transport, Transport::Tls(_));
    let (read, write): (Box<dyn AsyncRead + Send + Unpin>, Writer) = match transport {
        Transport::Plain(tcp) => {
            let (r, w) = tcp.into_split();
            (Box::new(r), Box::new(w))
        }
        Transport::Tls(stream) => {
            let (r, w) = tokio::io::split(*stream);
            (Box::new(r), Box::new(w))
        }
    };
    let mut conn = Connection {
        reader: BufReader::with_capacity(64 * 1024, read),
        writer: write,
        out: Out::default(),
        session: None,
        shared,
        peer,
        statements: HashMap::new(),
        portals: HashMap::new(),
        skip_to_sync: false,
        reported: Vec::new(),
        reported_from: None,
        registration: None,
    };
    match conn.startup(version, params, tls).await {
        Ok(true) => Some(conn),
        Ok(false) | Err(Closed) => None,
    }
}

impl Connection {
    /// The startup packet's checks, authentication and the session's start. Returns whether the
    /// session started; `false` or `Err` when the connection ends here (the client was told why).
    async fn startup(
        &mut self,
        version: u32,
        params: Vec<(String, String)>,
        tls: bool,
    ) -> std::result::Result<bool, Closed> {
        if version >> 16 != 3 {
            self.fatal(&Error::sql(
                sqlstate::FEATURE_NOT_SUPPORTED,
                format!(
                    "unsupported frontend protocol {}.{}: server supports 3.0 to 3.0",
                    version >> 16,
                    version & 0xffff
                ),
            ))
            .await;
            return Ok(false);
        }
        let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let Some(user) = param("user").filter(|u| !u.is_empty()) else {
            self.fatal(&Error::sql(
                sqlstate::INVALID_AUTHORIZATION_SPECIFICATION,
                "no PostgreSQL user name specified in startup packet",
            ))
            .await;
            return Ok(false);
        };
        // As in PostgreSQL, the database defaults to the user name.
        let database = param("database")
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| user.clone());
        if self.shared.config.refuses_unencrypted(self.peer.ip(), tls) {
            tracing::info!(peer = %self.peer, user, "unencrypted connection refused (--tls-required)");
            self.fatal(
                &Error::sql(
                    sqlstate::INVALID_AUTHORIZATION_SPECIFICATION,
                    format!(
                        "unencrypted connection refused for host \"{}\", user \"{user}\", database \"{database}\", no encryption",
                        self.peer.ip()
                    ),
                )
                .with_hint("This server accepts connections from other hosts over TLS only: connect with sslmode=require."),
            )
            .await;
            return Ok(false);
        }
        // As in PostgreSQL, the client authenticates before it learns whether the database or
        // the role exists.
        self.authenticate(&user).await?;
        if database != DATABASE_NAME {
            self.fatal(&Error::sql(
                sqlstate::INVALID_CATALOG_NAME,
                format!("database \"{database}\" does not exist"),
            ))
            .await;
            return Ok(false);
        }
        let mut session = match self.shared.db.session_for(&user) {
            Ok(session) => session,
            Err(e) => {
                tracing::info!(peer = %self.peer, user, "login refused: {}", e.message());
                self.fatal(&e).await;
                return Ok(false);
            }
        };
        let superuser = self.shared.db.catalog().role(&user).is_some_and(|r| r.superuser);
        for (key, value) in &params {
            if STARTUP_KEYS.contains(&key.as_str()) || key.starts_with("_pq_.") {
                continue;
            }
            // Clients send what their environment suggests (e.g. a locale's encoding); a value
            // Vellum cannot honour keeps the default, which ParameterStatus then reports.
            if let Err(e) = session.settings_mut().set(key, value) {
                tracing::debug!("startup parameter {key}={value} ignored: {e}");
            }
        }
        let (pid, secret) = self.shared.registry.register(session.cancel_handle());
        self.registration = Some(Registration {
            shared: self.shared.clone(),
            pid,
        });
        self.session = Some(session);
        let unsupported: Vec<String> = params
            .iter()
            .filter(|(k, _)| k.starts_with("_pq_."))
            .map(|(k, _)| k.clone())
            .collect();
        if version & 0xffff != 0 || !unsupported.is_empty() {
            self.out.negotiate_protocol(0, unsupported);
        }
        self.out.auth_ok();
        for (name, value) in [
            ("default_transaction_read_only", "off"),
            ("in_hot_standby", "off"),
            ("integer_datetimes", "on"),
            ("is_superuser", if superuser { "on" } else { "off" }),
            ("server_encoding", "UTF8"),
            ("server_version", "15.0"),
            ("session_authorization", user.as_str()),
            ("standard_conforming_strings", "on"),
        ] {
            self.out.parameter(name, value);
        }
        self.report_parameter_changes();
        self.out.backend_key(pid, secret);
        self.ready();
        self.flush().await?;
        Ok(true)
    }

    /// Dispatches one message. `Err` ends the connection.
    async fn handle(&mut self, message: Message) -> std::result::Result<(), Closed> {
        if self.skip_to_sync && !matches!(message, Message::Sync | Message::Terminate) {
            return Ok(());
        }
        match message {
            Message::Query(sql) => {
                self.simple_query(sql).await?;
                self.ready();
                self.flush().await?;
            }
            Message::Parse { name, sql, types } => self.parse(name, sql, types).await?,
            Message::Bind {
                portal,
                statement,
                param_formats,
                params,
                result_formats,
            } => self.bind(portal, statement, param_formats, params, result_formats),
            Message::Describe { kind, name } => self.describe(kind, &name),
            Message::Execute { portal, max_rows } => self.execute(portal, max_rows).await?,
            Message::Close { kind, name } => self.close(kind, &name),
            Message::Sync => self.sync().await?,
            Message::Flush => self.flush().await?,
            Message::Terminate => return Err(Closed),
            // Stray COPY messages outside COPY are ignored, as PostgreSQL does.
            Message::CopyData(_) | Message::CopyDone | Message::CopyFail(_) => {}
            Message::Password => {
                self.fatal(&Error::sql(
                    sqlstate::PROTOCOL_VIOLATION,
                    "unexpected password message: no password was requested",
                ))
                .await;
                return Err(Closed);
            }
        }
        if self.out.len() > 1024 * 1024 {
            self.flush().await?;
        }
        Ok(())
    }

    /// A Query message: every statement in order, stopping at the first error.
    async fn simple_query(&mut self, sql: String) -> std::result::Result<(), Closed> {
        let parsed = self.blocking(move |_| sql::parse(&sql)).await?;
        let statements = match parsed {
            Ok(s) => s,
            Err(e) => {
                self.out.error(&e, Severity::Error);
                self.fail_transaction();
                return Ok(());
            }
        };
        if statements.is_empty() {
            self.out.empty_query();
            return Ok(());
        }
        // As in PostgreSQL, several statements in one Query run in one implicit transaction
        // unless they manage transactions themselves.
        let implicit = statements.len() > 1 && self.transaction_idle() && !statements.iter().any(controls_transaction);
        if implicit {
            if let Err(e) = self.blocking(|session| session.execute("BEGIN")).await? {
                self.out.error(&e, Severity::Error);
                return Ok(());
            }
        }
        let failed = self.run_statements(statements).await?;
        if implicit {
            let end = if failed { "ROLLBACK" } else { "COMMIT" };
            let ended = self
                .blocking(move |session| {
                    let r = session.execute(end);
                    session.take_notices();
                    r
                })
                .await?;
            if let Err(e) = ended {
                self.out.error(&e, Severity::Error);
            }
        }
        Ok(())
    }

    /// Runs statements in order until one fails; returns whether one did.
    async fn run_statements(&mut self, statements: Vec<ast::Statement>) -> std::result::Result<bool, Closed> {
        for statement in statements {
            // DEALLOCATE and COPY involve the connection's own state, not only the session's.
            let handled = match &statement {
                ast::Statement::Deallocate { name, .. } => Some(self.deallocate(name, self.transaction_failed())),
                ast::Statement::Copy { .. } => Some(self.copy(statement.clone()).await?),
                _ => None,
            };
            match handled {
                Some(Ok(tag)) => {
                    self.out.command_complete(&tag);
                    continue;
                }
                Some(Err(e)) => {
                    self.out.error(&e, Severity::Error);
                    self.fail_transaction();
                    return Ok(true);
                }
                None => {}
            }
            let (bytes, failed) = self
                .blocking(move |session| {
                    let result = session.execute_statement(&statement);
                    let mut out = Out::default();
                    for notice in session.take_notices() {
                        out.notice(&notice);
                    }
                    let failed = match result.and_then(|r| encode_result(&r, &mut out)) {
                        Ok(()) => false,
                        Err(e) => {
                            out.error(&e, Severity::Error);
                            true
                        }
                    };
                    (out.take(), failed)
                })
                .await?;
            self.out.buf.extend_from_slice(&bytes);
            self.report_parameter_changes();
            if failed {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Runs `f` with the session where blocking is allowed. On the multi-threaded runtime that is
    /// this worker thread itself (`block_in_place`: tokio moves the worker's other tasks
    /// elsewhere), which spares every statement two thread hand-offs, about a third of a
    /// prepared point SELECT's round trip; elsewhere it is the blocking pool. A panic in `f` ends
    /// only this connection.
    pub(super) async fn blocking<R, F>(&mut self, f: F) -> std::result::Result<R, Closed>
    where
        R: Send + 'static,
        F: FnOnce(&mut Session) -> R + Send + 'static,
    {
        self.run_session(false, f).await
    }

    /// Whether `prepared` may run right here, on this worker thread (`Session::is_quick`).
    pub(super) fn is_quick(&self, prepared: &Prepared) -> bool {
        self.session.as_ref().is_some_and(|s| s.is_quick(prepared))
    }

    /// As `blocking`, but when `quick` (`is_quick`: a point read that cannot wait on
    /// anything) `f` runs right here: handing this worker's other tasks to another thread, as
    /// `block_in_place` does, cost more than such a statement, halving a prepared point
    /// SELECT's rate at 8 clients.
    pub(super) async fn run_session<R, F>(&mut self, quick: bool, f: F) -> std::result::Result<R, Closed>
    where
        R: Send + 'static,
        F: FnOnce(&mut Session) -> R + Send + 'static,
    {
        let Some(mut session) = self.session.take() else {
            return Err(Closed);
        };
        let outcome = if quick {
            std::panic::catch_unwind(AssertUnwindSafe(|| f(&mut session)))
                .map(|r| (session, r))
                .map_err(|_| "panicked".to_string())
        } else if tokio::runtime::Handle::current().runtime_flavor() == RuntimeFlavor::MultiThread {
            tokio::task::block_in_place(|| {
                std::panic::catch_unwind(AssertUnwindSafe(|| f(&mut session)))
                    .map(|r| (session, r))
                    .map_err(|_| "panicked".to_string())
            })
        } else {
            tokio::task::spawn_blocking(move || {
                let r = f(&mut session);
                (session, r)
            })
            .await
            .map_err(|e| e.to_string())
        };
        match outcome {
            Ok((session, r)) => {
                self.session = Some(session);
                Ok(r)
            }
            Err(e) => {
                tracing::error!("session task failed: {e}");
                self.fatal(&Error::bug(
                    "the session failed; please report this with the statement that ran",
                ))
                .await;
                Err(Closed)
            }
        }
    }

    /// ParameterStatus for each reported parameter whose value changed (SET, RESET, startup).
    pub(super) fn report_parameter_changes(&mut self) {
        let Some(session) = &self.session else {
            return;
        };
        if self.reported_from.as_ref() == Some(session.settings()) {
            return;
        }
        self.reported_from = Some(session.settings().clone());
        let current: Vec<String> = REPORTED
            .iter()
            .map(|(_, setting)| session.settings().get(setting).unwrap_or_default())
            .collect();
        for (i, (wire_name, _)) in REPORTED.iter().enumerate() {
            let value = current.get(i).map(String::as_str).unwrap_or_default();
            if self.reported.get(i).map(String::as_str) != Some(value) {
                self.out.parameter(wire_name, value);
            }
        }
        self.reported = current;
    }

    pub(super) fn ready(&mut self) {
        if let Some(session) = &self.session {
            self.out.ready(session.transaction_status());
        }
    }

    /// Any error inside a transaction block aborts it (25P02 until ROLLBACK), as in PostgreSQL.
    pub(super) fn fail_transaction(&mut self) {
        if let Some(session) = &mut self.session {
            session.fail_transaction();
        }
    }

    pub(super) fn transaction_failed(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|s| s.transaction_status() == crate::session::TransactionStatus::Failed)
    }

    pub(super) fn transaction_idle(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|s| s.transaction_status() == crate::session::TransactionStatus::Idle)
    }

    pub(super) async fn flush(&mut self) -> std::result::Result<(), Closed> {
        if self.out.len() == 0 {
            return Ok(());
        }
        let bytes = self.out.take();
        self.writer.write_all(&bytes).await.map_err(|_| Closed)?;
        self.writer.flush().await.map_err(|_| Closed)
    }

    /// Sends a FATAL error and closes the socket's write side.
    pub(super) async fn fatal(&mut self, e: &Error) {
        self.out.error(e, Severity::Fatal);
        let _ = self.flush().await;
        let _ = self.writer.shutdown().await;
    }

    pub(super) async fn read_failed(&mut self, e: ReadError) {
        match e {
            ReadError::Closed => {}
            ReadError::Io(e) => tracing::debug!("connection read failed: {e}"),
            ReadError::Protocol(msg) => {
                tracing::info!("closing connection after protocol violation: {msg}");
                self.fatal(&Error::sql(sqlstate::PROTOCOL_VIOLATION, msg)).await;
            }
        }
    }
}

/// Statements that open or end transactions themselves.
fn controls_transaction(statement: &ast::Statement) -> bool {
    matches!(
        statement,
        ast::Statement::StartTransaction { .. }
            | ast::Statement::Commit { .. }
            | ast::Statement::Rollback { .. }
            | ast::Statement::Savepoint { .. }
            | ast::Statement::ReleaseSavepoint { .. }
    )
}

/// RowDescription (text format), DataRows and CommandComplete for a simple-query result.
fn encode_result(result: &StatementResult, out: &mut Out) -> Result<()> {
    if let StatementResult::Query { columns, rows, .. } = result {
        let formats = vec![TEXT; columns.len()];
        out.row_description(columns, &formats);
        for row in rows {
            out.data_row(row, columns, &formats)?;
        }
    }
    out.command_complete(result.tag());
    Ok(())
}
