//! Vellum: a PostgreSQL-flavoured SQL database over sled whose tables can be blockchain-secured.
//!
//! # Layout
//!
//! Dependencies point downwards only:
//! `types → crypto → storage → catalog / ledger → sql → plan → exec → session → (server, shell, slt)`.
//! Each external crate enters through one module: sled only in `storage`, sqlparser only in
//! `sql`, rustyline only in `shell`, pgwire only in `server`.
//!
//! # The life of a query
//!
//! `SELECT name FROM t WHERE id = 5`, sent to [`Session::execute`]:
//!
//! 1. `sql::parse` turns the text into sqlparser statements (Vellum's own statement forms are
//!    recognised there, at the statement boundary).
//! 2. The session takes the transaction (a new one in autocommit), refreshes its catalog
//!    snapshot (read committed), and takes the store's read gate for the statement.
//! 3. `plan::binder::Binder` resolves `t` and `name` against the snapshot, types every
//!    expression and makes coercions explicit; `plan::optimizer` pushes `id = 5` into the scan
//!    and, `id` being the primary key, turns the scan into a key lookup.
//! 4. `exec::execute` encodes `5` with `storage::keys::encode_key`, reads the row through the
//!    transaction (its own writes merged over sled), decodes it with `storage::row`, projects
//!    `name`, and hands back `types::Value`s, which `types::text` formats for clients (and `server` encodes for the wire).
//!
//! # The life of a commit
//!
//! An `INSERT` buffers its row and index entries in the transaction (`storage::Txn`), checking
//! uniqueness against its own writes and committed data and recording what must still hold at
//! commit; the rows it writes are counted and hashed (`storage::changes`), and when it succeeds
//! `session::audit` appends its record to the audit chain `vellum_audit` in the same
//! transaction. `COMMIT` re-validates those expectations under the commit gate, applies every write
//! atomically under the gate (tables, indexes and catalog records share one keyspace), appends
//! the same writes as one record to the commit log (`storage::commit_log`), then waits for
//! group commit: one leader writes and fdatasyncs the log for everyone who committed
//! meanwhile. Only then does COMMIT return, so it survives kill -9 (recovery replays the log
//! past what sled holds). Rows of blockchain
//! tables are chained in that same batch: under the gate, `ledger::chain::LedgerHook` gives each
//! appended row its position, leaf and running hash, moves its bytes into the chain (a
//! blockchain row is stored once, in its block or pending batch; its 0x10 entry keeps only its
//! position), and seals a block once enough are pending. DDL commits the same way and then
//! publishes its new catalog snapshot.

/// Catalog snapshots: tables, columns, constraints, indexes, views, roles and privileges.
pub mod catalog;
/// SHA-256, SCRAM-SHA-256 and Ed25519 (block signatures).
pub mod crypto;
/// The database handle: store, published catalog, background services.
pub mod database;
/// Umbrella error type and SQLSTATE mapping.
pub mod error;
/// Operators and expression evaluation over bound plans.
pub mod exec;
/// Blockchain tables: Merkle trees, block headers, chain hashes, proofs (the hashing contract).
pub mod ledger;
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

pub use database::{Database, OpenOptions};
pub use error::{Error, Result};
pub use session::{Session, StatementResult};
