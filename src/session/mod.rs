//! A connection's state — its transaction and settings — and the single entry point
//! `Session::execute` that the server, the shell and the test runner all use.
//!
//! Transactions follow PostgreSQL: each statement outside `BEGIN` runs in its own transaction;
//! inside one, a failed statement puts the transaction in the aborted state, where every
//! statement but `ROLLBACK`/`COMMIT` fails with 25P02. Isolation is READ COMMITTED: each
//! statement sees everything committed before it started (never half a transaction — see
//! `storage`), plus its own transaction's writes; a write to a row another transaction changed
//! and committed meanwhile fails at commit with 40001 (first committer wins).

/// The audit chain of every write.
pub(crate) mod audit;
/// Bulk loads (`COPY ... FROM STDIN`) through the INSERT path.
mod copy;
/// Who the session acts as.
pub mod identity;
/// Prepared statements.
mod prepared;
/// Session parameters.
pub mod settings;
/// Running one statement inside a transaction.
mod statement;
/// Verification of every blockchain table (`vellum verify`).
pub mod verify;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::catalog::Catalog;
use crate::database::Database;
use crate::error::{sqlstate, Error, Notice, Notices, Result};
use crate::plan::OutputColumn;
use crate::sql::{self, ast};
use crate::storage::{Durability, Txn};
use crate::types::{cast, DataType, Row, Value};

pub use copy::CopyTarget;
pub use prepared::Prepared;
pub use settings::Settings;

/// The result of one statement.
#[derive(Debug, Clone, PartialEq)]
pub enum StatementResult {
    /// A statement that returns rows (SELECT, VALUES, SHOW, EXPLAIN, DML with RETURNING).
    Query {
        columns: Vec<OutputColumn>,
        rows: Vec<Row>,
        tag: String,
    },
    /// A statement without rows, with PostgreSQL's command tag (`INSERT 0 3`, `CREATE TABLE`, ...).
    Command { tag: String },
}

impl StatementResult {
    /// The command tag sent in CommandComplete.
    pub fn tag(&self) -> &str {
        match self {
            StatementResult::Query { tag, .. } | StatementResult::Command { tag } => tag,
        }
    }
}

/// Transaction status as the wire protocol reports it in ReadyForQuery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionStatus {
    /// `I`: not in a transaction block.
    Idle,
    /// `T`: in a transaction block.
    InBlock,
    /// `E`: in a failed transaction block.
    Failed,
}

/// An open transaction block (or the implicit transaction of one statement).
pub(crate) struct OpenTxn {
    pub(crate) txn: Txn,
    /// The catalog this transaction sees: the committed one, plus its own DDL if `ddl`.
    pub(crate) catalog: Arc<Catalog>,
    /// Whether this transaction changed the catalog.
    pub(crate) ddl: bool,
    /// Committed catalog version the transaction's DDL was based on.
    pub(crate) base_version: u64,
    pub(crate) started: DateTime<Utc>,
    /// In a transaction block: the settings when it began, restored by ROLLBACK (`None` for a
    /// single statement's own transaction).
    pub(crate) settings_before: Option<Settings>,
    /// The settings the block leaves at COMMIT once a SET LOCAL made them differ from the
    /// current ones (plain SETs are applied to both).
    pub(crate) settings_after: Option<Settings>,
    /// The transaction's id in lineage edges and audit records, drawn from a store counter
    /// on first use (`OpenTxn::tx_id`).
    pub(crate) tx_id: Option<u64>,
    /// Audit records this transaction wrote so far (the next one's `statement_no` - 1).
    pub(crate) audit_records: u32,
}

impl OpenTxn {
    /// The transaction's id, drawn on first use.
    pub(crate) fn tx_id(&mut self) -> Result<u64> {
        match self.tx_id {
            Some(id) => Ok(id),
            None => {
                let id = self.txn.next_id(b"txid")?;
                self.tx_id = Some(id);
                Ok(id)
            }
        }
    }
}

/// What `run` executes.
#[derive(Clone, Copy)]
enum Work<'a> {
    Statement(&'a ast::Statement),
    Prepared(&'a Prepared, &'a [Value]),
    /// An already bound statement without parameters (COPY's INSERT over literal rows), and
    /// the lineage source its rows come from when an edge is to be recorded (a COPY's first batch).
    Bound(&'a crate::plan::BoundStatement, Option<&'a str>),
    /// The end of a COPY whose batches went in as `Bound`: its audit record.
    CopyEnd(&'a CopyTarget),
}

enum TxnState {
    Idle,
    Block(Box<OpenTxn>),
    Failed(Box<OpenTxn>),
}

/// One client's session.
pub struct Session {
    db: Database,
    state: TxnState,
    settings: Settings,
    cancel: Arc<AtomicBool>,
    /// Notices for the client (e.g. "there is already a transaction in progress").
    notices: Notices,
}

impl Session {
    pub(crate) fn new(db: Database) -> Session {
        Session {
            db,
            state: TxnState::Idle,
            settings: Settings::default(),
            cancel: Arc::new(AtomicBool::new(false)),
            notices: Notices::default(),
        }
    }

    /// Runs every `;`-separated statement in `sql`, stopping at the first error.
    pub fn execute(&mut self, sql: &str) -> Result<Vec<StatementResult>> {
        let statements = sql::parse(sql)?;
        let mut results = Vec::with_capacity(statements.len());
        for statement in &statements {
            results.push(self.execute_statement(statement)?);
        }
        Ok(results)
    }

    /// Runs one parsed statement.
    pub fn execute_statement(&mut self, statement: &ast::Statement) -> Result<StatementResult> {
        self.cancel.store(false, Ordering::Relaxed);
        match statement {
            ast::Statement::StartTransaction { .. } => self.begin(),
            ast::Statement::Commit { chain: false, .. } => self.commit(),
            ast::Statement::Rollback {
                chain: false,
                savepoint: None,
            } => Ok(self.rollback()),
            ast::Statement::Rollback { savepoint: Some(_), .. } | ast::Statement::Savepoint { .. } => {
                self.fail_block();
                Err(Error::unsupported("SAVEPOINT"))
            }
            _ => self.run(Work::Statement(statement)),
        }
    }

    /// Parses and describes one statement for later execution (the extended query protocol).
    /// `param_types` may leave types `Unknown` to be inferred; an empty string prepares an
    /// empty statement.
    pub fn prepare(&mut self, sql: &str, param_types: &[DataType]) -> Result<Prepared> {
        let mut statements = sql::parse(sql)?;
        if statements.len() > 1 {
            return Err(Error::syntax(
                "cannot insert multiple commands into a prepared statement",
            ));
        }
        let catalog = self.catalog();
        let private = matches!(&self.state, TxnState::Block(open) | TxnState::Failed(open) if open.ddl);
        let _reading = self.db.store().read_guard();
        Prepared::new(statements.pop(), &catalog, param_types, !private, &self.settings)
    }

    /// Executes a prepared statement with parameter values (cast to the parameter types).
    /// Returns `None` for an empty statement.
    /// Whether executing `prepared` now is a short, bounded piece of work that cannot wait on
    /// anything: a point read (`plan::point`) on a cached plan of the catalog this session
    /// sees, with no commit being applied (which would hold the read gate). A server may then
    /// run it without handing it to a thread that is allowed to block.
    pub fn is_quick(&self, prepared: &Prepared) -> bool {
        let version = match &self.state {
            TxnState::Idle => self.db.catalog().version,
            TxnState::Block(open) if !open.ddl => open.catalog.version,
            _ => return false,
        };
        prepared.is_point_read(version) && !self.db.store().commit_in_progress()
    }

    pub fn execute_prepared(&mut self, prepared: &Prepared, params: &[Value]) -> Result<Option<StatementResult>> {
        let Some(statement) = &prepared.statement else {
            return Ok(None);
        };
        if params.len() != prepared.param_types.len() {
            return Err(Error::sql(
                sqlstate::PROTOCOL_VIOLATION,
                format!(
                    "bind message supplies {} parameters, but prepared statement requires {}",
                    params.len(),
                    prepared.param_types.len()
                ),
            ));
        }
        if !prepared::is_bindable(statement) {
            return self.execute_statement(statement).map(Some);
        }
        let params = params
            .iter()
            .zip(&prepared.param_types)
            .map(|(v, t)| {
                if v.is_null() || v.data_type() == *t {
                    Ok(v.clone())
                } else {
                    cast::cast(v, t)
                }
            })
            .collect::<Result<Vec<_>>>()?;
        self.cancel.store(false, Ordering::Relaxed);
        self.run(Work::Prepared(prepared, &params)).map(Some)
    }

    /// The ReadyForQuery status.
    pub fn transaction_status(&self) -> TransactionStatus {
        match self.state {
            TxnState::Idle => TransactionStatus::Idle,
            TxnState::Block(_) => TransactionStatus::InBlock,
            TxnState::Failed(_) => TransactionStatus::Failed,
        }
    }

    /// A flag that, when set from another thread, cancels the running statement (57014).
    pub fn cancel_handle(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    /// Notices raised since the last call.
    pub fn take_notices(&mut self) -> Vec<Notice> {
        self.notices.take()
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Settings for a connection's startup parameters (application_name, TimeZone, ...).
    pub fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The catalog this session currently sees (its own uncommitted DDL included).
    pub fn catalog(&self) -> Arc<Catalog> {
        match &self.state {
            TxnState::Block(open) | TxnState::Failed(open) if open.ddl => open.catalog.clone(),
            _ => self.db.catalog(),
        }
    }

    fn begin(&mut self) -> Result<StatementResult> {
        match self.state {
            TxnState::Idle => {
                let mut open = self.open_txn();
                open.settings_before = Some(self.settings.clone());
                self.state = TxnState::Block(Box::new(open));
            }
            TxnState::Block(_) => self.notices.push(Notice::warning(
                sqlstate::ACTIVE_SQL_TRANSACTION,
                "there is already a transaction in progress",
            )),
            TxnState::Failed(_) => return Err(aborted()),
        }
        Ok(StatementResult::Command { tag: "BEGIN".into() })
    }

    fn commit(&mut self) -> Result<StatementResult> {
        match std::mem::replace(&mut self.state, TxnState::Idle) {
            TxnState::Idle => {
                self.notices.push(Notice::warning(
                    sqlstate::NO_ACTIVE_SQL_TRANSACTION,
                    "there is no transaction in progress",
                ));
                Ok(StatementResult::Command { tag: "COMMIT".into() })
            }
            TxnState::Block(mut open) => {
                let (before, after) = (open.settings_before.take(), open.settings_after.take());
                match self.commit_txn(*open) {
                    Ok(()) => {
                        if let Some(after) = after {
                            self.settings = after;
                        }
                        Ok(StatementResult::Command { tag: "COMMIT".into() })
                    }
                    Err(e) => {
                        self.restore_settings(before);
                        Err(e)
                    }
                }
            }
            TxnState::Failed(mut open) => {
                self.restore_settings(open.settings_before.take());
                open.txn.rollback();
                Ok(StatementResult::Command { tag: "ROLLBACK".into() })
            }
        }
    }

    fn rollback(&mut self) -> StatementResult {
        match std::mem::replace(&mut self.state, TxnState::Idle) {
            TxnState::Idle => self.notices.push(Notice::warning(
                sqlstate::NO_ACTIVE_SQL_TRANSACTION,
                "there is no transaction in progress",
            )),
            TxnState::Block(mut open) | TxnState::Failed(mut open) => {
                self.restore_settings(open.settings_before.take());
                open.txn.rollback()
            }
        }
        StatementResult::Command { tag: "ROLLBACK".into() }
    }

    /// Undoes a rolled-back block's SETs (and SET LOCALs).
    fn restore_settings(&mut self, before: Option<Settings>) {
        if let Some(before) = before {
            self.settings = before;
        }
    }

    /// Marks an open block as failed (the statement that failed ran inside it).
    fn fail_block(&mut self) {
        if let TxnState::Block(_) = self.state {
            if let TxnState::Block(open) = std::mem::replace(&mut self.state, TxnState::Idle) {
                self.state = TxnState::Failed(open);
            }
        }
    }

    fn open_txn(&self) -> OpenTxn {
        let catalog = self.db.catalog();
        let mut txn = self.db.store().begin();
        // Rows are hashed only when the audit chain will record them.
        txn.track_row_changes(self.db.audit_enabled() && catalog.audit_table.is_some());
        OpenTxn {
            txn,
            base_version: catalog.version,
            catalog,
            ddl: false,
            started: Utc::now(),
            settings_before: None,
            settings_after: None,
            tx_id: None,
            audit_records: 0,
        }
    }

    /// Runs a statement in the open block, or in its own transaction when none is open.
    fn run(&mut self, work: Work<'_>) -> Result<StatementResult> {
        match std::mem::replace(&mut self.state, TxnState::Idle) {
            TxnState::Failed(open) => {
                self.state = TxnState::Failed(open);
                Err(aborted())
            }
            TxnState::Block(mut open) => {
                let result = self.run_in(&mut open, work);
                self.state = if result.is_ok() {
                    TxnState::Block(open)
                } else {
                    TxnState::Failed(open)
                };
                result
            }
            TxnState::Idle => {
                let mut open = self.open_txn();
                match self.run_in(&mut open, work) {
                    Ok(result) => {
                        self.commit_txn(open)?;
                        Ok(result)
                    }
                    Err(e) => {
                        open.txn.rollback();
                        Err(e)
                    }
                }
            }
        }
    }

    fn run_in(&mut self, open: &mut OpenTxn, work: Work<'_>) -> Result<StatementResult> {
        if !open.ddl {
            // Read committed: each statement sees the latest committed schema.
            open.catalog = self.db.catalog();
            open.base_version = open.catalog.version;
        }
        // Row changes count from here, for the audit record of this statement; the batches
        // of one COPY after its first add up to one record (`Session::copy_finish`).
        if !matches!(work, Work::Bound(_, None) | Work::CopyEnd(_)) {
            open.txn.take_row_changes();
        }
        let mut runner = statement::StatementRunner {
            db: &self.db,
            open,
            settings: &mut self.settings,
            cancel: &self.cancel,
            notices: &mut self.notices,
            effects: Default::default(),
        };
        match work {
            Work::Statement(statement) => runner.run(statement),
            Work::Prepared(prepared, params) => runner.run_prepared(prepared, params),
            Work::Bound(bound, lineage) => {
                let _reading = self.db.store().read_guard();
                let result = runner.execute_bound(bound, &[])?;
                if let (Some(source), crate::plan::BoundStatement::Insert(plan)) = (lineage, bound) {
                    runner.record_lineage(&[source.to_string()], &plan.table.name, "COPY")?;
                }
                Ok(result)
            }
            Work::CopyEnd(target) => {
                let _reading = self.db.store().read_guard();
                runner.audit(target.audit_entry())?;
                Ok(StatementResult::Command { tag: "COPY".into() })
            }
        }
    }

    fn commit_txn(&self, open: OpenTxn) -> Result<()> {
        // A read-only statement's transaction has nothing to apply or wait for.
        if !open.ddl && open.txn.is_read_only() {
            return Ok(());
        }
        let durability = if self.settings.synchronous_commit() {
            Durability::Sync
        } else {
            Durability::Async
        };
        if !open.ddl {
            return open.txn.commit(durability);
        }
        let inner = &self.db.inner;
        let _ddl = inner.ddl_lock.lock();
        if inner.catalog.read().version != open.base_version {
            open.txn.rollback();
            return Err(Error::sql(
                sqlstate::SERIALIZATION_FAILURE,
                "could not serialize access due to concurrent schema change",
            )
            .with_hint("Retry the transaction."));
        }
        open.txn.commit(durability)?;
        let mut catalog = (*open.catalog).clone();
        catalog.version = open.base_version + 1;
        let catalog = Arc::new(catalog);
        *inner.catalog.write() = catalog.clone();
        // A committed DROP SIGNER destroys its server-held key only now.
        inner.signers.retain(&catalog);
        Ok(())
    }
}

impl Drop for Session {
    /// An open transaction of a closed session is rolled back (its writes were never applied).
    fn drop(&mut self) {
        if let TxnState::Block(open) | TxnState::Failed(open) = std::mem::replace(&mut self.state, TxnState::Idle) {
            open.txn.rollback();
        }
    }
}

fn aborted() -> Error {
    Error::sql(
        sqlstate::IN_FAILED_SQL_TRANSACTION,
        "current transaction is aborted, commands ignored until end of transaction block",
    )
}
