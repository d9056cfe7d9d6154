//! A connection's state — its transaction and settings — and the single entry point
//! `Session::execute` that the server, the shell and the test runner all use.

use crate::error::Result;
use crate::plan::OutputColumn;
use crate::types::Row;

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

/// One client's session.
pub struct Session {}

impl Session {
    /// Runs every `;`-separated statement in `sql`, stopping at the first error.
    pub fn execute(&mut self, sql: &str) -> Result<Vec<StatementResult>> {
        let _ = sql;
        todo!("Session::execute")
    }
}
