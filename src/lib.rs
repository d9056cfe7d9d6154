//! Vellum: a PostgreSQL-flavoured SQL database over sled whose tables can be blockchain-secured.
//!
//! # Layout
//!
//! Dependencies point downwards only:
//! `types → storage → catalog → sql → plan → exec → session → (server, shell, slt)`.
//! A query travels `Session::execute` → `sql::parse` → `plan::Binder` (names, types) →
//! `plan::optimizer` → `exec::execute` → `storage::Txn` → sled, and rows travel back as
//! `types::Value`s.

/// Catalog snapshots: tables, columns, constraints, indexes, views.
pub mod catalog;
/// The database handle: store, published catalog, background services.
pub mod database;
/// Umbrella error type and SQLSTATE mapping.
pub mod error;
/// Operators and expression evaluation over bound plans.
pub mod exec;
/// Binding, plans, optimizer, EXPLAIN.
pub mod plan;
/// `vellum serve`: the PostgreSQL wire protocol server.
pub mod server;
/// A connection's state and the single entry point `Session::execute`.
pub mod session;
/// The interactive shell (`vellum shell`).
pub mod shell;
/// The sqllogictest runner used by `vellum slt` and the test suites.
pub mod slt;
/// SQL parsing (the only door for sqlparser).
pub mod sql;
/// The sled keyspace, row/key encodings, transactions and durable group commit.
pub mod storage;
/// SQL types and values.
pub mod types;

pub use database::Database;
pub use error::{Error, Result};
pub use session::{Session, StatementResult};
