//! Execution: runs bound plans against a transaction. Operators materialize their output
//! (`Vec<Row>`); scans apply pushed-down filters while decoding so rejected rows never
//! allocate. Never encodes bytes for disk itself: keys and rows go through `storage`.

/// INSERT / UPDATE / DELETE with constraint checks.
pub mod dml;
/// Expression evaluation.
pub mod eval;
/// Operators over plans (scans, joins, aggregation, sort, set operations, CTEs).
pub mod query;
/// Table and index access: row keys, index maintenance, uniqueness checks.
pub mod table;

use std::sync::atomic::AtomicBool;

use crate::catalog::Catalog;
use crate::error::Result;
use crate::plan::BoundStatement;
use crate::storage::Txn;
use crate::types::functions::FunctionContext;
use crate::types::{Row, Value};

/// Everything a statement executes with.
pub struct ExecContext<'a> {
    pub txn: &'a mut Txn,
    pub catalog: &'a Catalog,
    pub params: &'a [Value],
    pub functions: FunctionContext,
    /// Set by a cancel request; long loops check it and fail with 57014.
    pub cancel: Option<&'a AtomicBool>,
}

/// What a statement produced.
#[derive(Debug, Clone, PartialEq)]
pub enum ExecOutput {
    Rows(Vec<Row>),
    /// Rows affected by DML, with RETURNING rows when asked for.
    Affected {
        count: u64,
        returning: Option<Vec<Row>>,
    },
}

/// Executes a bound statement.
pub fn execute(stmt: &BoundStatement, ctx: &mut ExecContext<'_>) -> Result<ExecOutput> {
    let _ = (stmt, ctx);
    todo!("exec::execute")
}
