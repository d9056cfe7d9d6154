//! Execution: runs bound plans against a transaction. Scans, filters, projections and the
//! probe side of hash joins push their rows straight into the consumer (`stream.rs`); other
//! operators materialize their output (`Vec<Row>`). Scans apply pushed-down filters while
//! decoding so rejected rows are never kept, and decode only the columns a query reads
//! (`columns.rs`).
//! Never encodes bytes for disk itself: keys and rows go through `storage`.
//!
//! `execute` builds one `Executor` per statement; it carries the statement's state (outer-row
//! stack of correlated subqueries, cached uncorrelated subqueries and CTEs, recursive work
//! tables). The transaction is passed to each call rather than held, so a scan can iterate the
//! transaction while expressions (which may run subqueries) borrow the executor mutably.

/// Aggregation: hash grouping and aggregate accumulators.
mod aggregate;
/// Which table columns a query reads (scans decode only those).
mod columns;
/// Correlated subqueries run by hash partition.
mod correlated;
/// WITH: cached CTEs and recursive CTEs with their work tables.
mod cte;
/// CREATE / DROP / ALTER / TRUNCATE.
pub mod ddl;
/// INSERT / UPDATE / DELETE with constraint checks.
pub mod dml;
/// Expression evaluation.
pub mod eval;
/// The per-statement executor and plan dispatch.
mod executor;
/// Hash joins.
mod hash_join;
/// The fast hasher of the executor's hash tables.
mod hashing;
/// Blockchain-table functions: verify, seal, metadata, tamper report, proofs.
mod ledger;
/// `lineage(relation [, depth])`.
mod lineage;
/// Nested-loop joins.
mod nested_loop;
/// NUMERIC division scale rules shared by avg and variance.
mod numeric_scale;
/// Purging sealed blocks: by policy, on request, and the purge log.
pub mod purge;
/// Table and index scans, including primary-key and index lookups.
mod scan;
/// UNION / INTERSECT / EXCEPT.
mod set_op;
/// sign_blockchain_block and blockchain_signers.
mod signing;
/// Sort, LIMIT/OFFSET, DISTINCT and DISTINCT ON.
mod sort;
/// Pipelines pushing rows from scans through filters, projections and join probes.
mod stream;
/// Subquery evaluation (scalar, EXISTS, IN, ANY/ALL) with per-statement caching.
mod subquery;
/// Table and index access: row keys, index maintenance, uniqueness checks.
pub mod table;
/// Set-returning functions in FROM: generate_series, unnest.
mod table_function;
/// Window functions (row_number, rank, dense_rank).
mod window;

use std::sync::atomic::AtomicBool;

use crate::catalog::Catalog;
use crate::error::Result;
use crate::plan::BoundStatement;
use crate::storage::Txn;
use crate::types::functions::FunctionContext;
use crate::types::{Row, Value};

pub use executor::Executor;

/// Everything a statement executes with.
pub struct ExecContext<'a> {
    pub txn: &'a mut Txn,
    pub catalog: &'a Catalog,
    pub params: &'a [Value],
    pub functions: FunctionContext,
    /// Set by a cancel request; long loops check it and fail with 57014.
    pub cancel: Option<&'a AtomicBool>,
    /// The server's identity key, which signs `blockchain_digest` (None: digests refused).
    pub identity: Option<&'a crate::crypto::ed25519::KeyPair>,
    /// The database's cache of sealed chain data, shared by statements (None: read everything).
    pub chain_cache: Option<&'a crate::ledger::rows::ChainCache>,
    /// What the statement asked of blockchain tables beyond rows, filled by `execute`.
    pub effects: LedgerEffects,
}

/// Changes a query made through ledger functions (the audit chain records them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LedgerEffects {
    /// Tables `seal_blockchain` asked to seal, once per call.
    pub sealed: Vec<u32>,
    /// Tables `sign_blockchain_block` attached a signature to, once per signature.
    pub signed: Vec<u32>,
    /// Tables a purge removed blocks of, once per purge.
    pub purged: Vec<u32>,
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
    let mut exec = Executor::new(ctx.catalog, ctx.params, &ctx.functions, ctx.cancel);
    exec.identity = ctx.identity;
    exec.chain_cache = ctx.chain_cache;
    let output = match stmt {
        BoundStatement::Query(q) => {
            exec.prune_columns(&q.plan);
            ExecOutput::Rows(exec.query(ctx.txn, &q.plan)?)
        }
        BoundStatement::Insert(p) => dml::insert(&mut exec, ctx.txn, p)?,
        BoundStatement::Update(p) => dml::update(&mut exec, ctx.txn, p)?,
        BoundStatement::Delete(p) => dml::delete(&mut exec, ctx.txn, p)?,
    };
    ctx.effects.purged = exec.finish_purges(ctx.txn)?;
    ctx.effects.sealed = exec.finish_seals(ctx.txn);
    ctx.effects.signed = exec.finish_signatures(ctx.txn)?;
    Ok(output)
}

#[cfg(test)]
mod tests;
