//! What the shell needs from a database, whether embedded in this process or reached over the
//! PostgreSQL protocol: run one statement, cancel it from another thread, and describe the
//! schema for `\dt`, `\d` and tab completion. Results arrive already as text, so the REPL and the
//! table renderer never see engine values.

use std::fmt;
use std::sync::Arc;

/// A column of a result as the shell shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultColumn {
    pub name: String,
    /// Numbers are right-aligned, everything else left-aligned (psql's rule).
    pub numeric: bool,
}

/// Rows as text; `None` is SQL NULL.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResultSet {
    pub columns: Vec<ResultColumn>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// What one statement produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Rows, with the command tag (`SELECT 2`, `INSERT 0 1` for RETURNING).
    Rows { set: ResultSet, tag: String },
    /// A command without rows, with its tag (`CREATE TABLE`, `INSERT 0 3`).
    Command { tag: String },
}

/// An error or notice from the database, with PostgreSQL's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// `ERROR`, `NOTICE`, `WARNING`, `FATAL`...
    pub severity: String,
    pub sqlstate: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl Report {
    /// `message (SQLSTATE)` on one line, for command-line tools' error messages.
    pub fn brief(&self) -> String {
        format!("{} ({})", self.message, self.sqlstate)
    }

    pub fn error(sqlstate: &str, message: impl Into<String>) -> Report {
        Report {
            severity: "ERROR".to_string(),
            sqlstate: sqlstate.to_string(),
            message: message.into(),
            detail: None,
            hint: None,
        }
    }
}

impl fmt::Display for Report {
    /// psql's layout: `ERROR:  message` (two spaces), then DETAIL and HINT lines. The SQLSTATE
    /// is always shown, which psql does only with `\set VERBOSITY verbose`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:  {}", self.severity, self.message)?;
        let error = matches!(self.severity.as_str(), "ERROR" | "FATAL" | "PANIC");
        if error && !self.sqlstate.is_empty() {
            write!(f, " (SQLSTATE {})", self.sqlstate)?;
        }
        if let Some(d) = &self.detail {
            write!(f, "\nDETAIL:  {d}")?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\nHINT:  {h}")?;
        }
        Ok(())
    }
}

/// The reply to one statement: the outcome or error, and the notices raised meanwhile.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub result: Result<Vec<Outcome>, Report>,
    pub notices: Vec<Report>,
}

/// A relation for `\dt` and `\d`.
#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    pub name: String,
    /// `table` or `view`.
    pub kind: String,
}

/// A column for `\d name`.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInfo {
    pub name: String,
    pub type_name: String,
    pub nullable: bool,
    pub default: Option<String>,
}

/// Everything `\d name` shows.
#[derive(Debug, Clone, PartialEq)]
pub struct TableInfo {
    pub name: String,
    /// `table` or `view`.
    pub kind: String,
    pub columns: Vec<ColumnInfo>,
    /// psql's index lines: `"t_pkey" PRIMARY KEY, btree (id)`.
    pub indexes: Vec<String>,
    /// psql's check lines: `"t_c_check" CHECK (c > 0)`.
    pub checks: Vec<String>,
    /// A view's defining query.
    pub definition: Option<String>,
}

/// Names offered by tab completion.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Names {
    pub relations: Vec<String>,
    pub columns: Vec<String>,
}

/// Where the session stands transaction-wise, for the prompt (psql's `=`, `*`, `!`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnState {
    /// Not in a transaction block, or not known (the remote protocol client does not say).
    Idle,
    /// Inside `BEGIN ... COMMIT`.
    InBlock,
    /// Inside a failed transaction block: only ROLLBACK helps.
    Failed,
}

/// Cancels the statement running on the backend it came from; callable from any thread.
pub type Canceller = Arc<dyn Fn() + Send + Sync>;

/// A database the shell talks to.
///
/// To ensure correctness:
/// - `execute` receives one statement as the user typed it and never panics on its contents;
///   every failure comes back as a `Report`.
/// - The `Canceller` stays valid for the backend's whole life and does nothing when no
///   statement runs.
/// - The schema methods see the schema as the next statement would (including uncommitted DDL
///   of the session's open transaction).
pub trait Backend {
    /// Runs `sql` (normally one statement ending with `;`).
    fn execute(&mut self, sql: &str) -> Reply;
    /// A handle that cancels the running statement.
    fn canceller(&self) -> Canceller;
    /// Tables and views, sorted by name.
    fn relations(&mut self) -> Result<Vec<Relation>, Report>;
    /// `\d name`; `Ok(None)` when no such relation exists.
    fn describe(&mut self, name: &str) -> Result<Option<TableInfo>, Report>;
    /// Relation and column names for completion.
    fn names(&mut self) -> Names;
    /// The transaction state after the last statement.
    fn transaction(&self) -> TxnState;
    /// Where the shell is connected, for the banner.
    fn target(&self) -> String;
}
