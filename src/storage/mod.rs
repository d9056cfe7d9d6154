//! Storage: one sled keyspace holding every table, index and catalog record; transactions that
//! buffer their writes and apply them atomically; durable commits with shared fsyncs.
//!
//! Knows bytes and keys, never SQL. Layout of the keyspace is in `keys.rs`, the row format in
//! `row.rs`. Usage:
//!
//! ```no_run
//! # use vellum::storage::{Conflict, Durability, Store};
//! # fn main() -> vellum::Result<()> {
//! # let (dir, key, value) = (std::path::Path::new("data"), b"k".to_vec(), b"v".to_vec());
//! let store = Store::open(dir)?;
//! let mut txn = store.begin();
//! {
//!     let _reading = store.read_guard(); // one per statement, dropped before commit
//!     let _old = txn.get(&key)?;
//!     txn.put(key, value, Conflict::Unchanged)?;
//! }
//! txn.commit(Durability::Sync)?;
//! # Ok(())
//! # }
//! ```
//!
//! # Isolation
//!
//! READ COMMITTED with first-committer-wins write conflicts and statement-level consistent
//! reads:
//! - every read sees the latest committed data plus the transaction's own buffered writes;
//! - a statement holds `Store::read_guard` while it reads, and a commit takes that gate
//!   exclusively only around validation and its apply (one sled batch, or a large commit
//!   logged first and written key by key; `Txn::commit`), so a statement
//!   sees each other transaction entirely or not at all;
//! - a write recorded with `Conflict::Unchanged` remembers the committed value it first
//!   overwrote; if another transaction committed a change to that key first, this commit
//!   fails with 40001 and applies nothing. `Conflict::MustBeAbsent` turns a concurrent insert
//!   of the same key into the caller's error (a unique violation).
//!
//! Unlike PostgreSQL's READ COMMITTED, a concurrent update is not waited for and re-evaluated
//! (no EvalPlanQual): the later committer fails with 40001 instead, as under REPEATABLE READ.
//! Reads are not validated, so write skew is possible (no SERIALIZABLE).
//!
//! The gate's cost: a long scan delays every commit until it ends; a commit delays statements
//! only for its validation and apply (one batch), except that a prefix delete of a large
//! table scans the table under the gate to build that batch.
//!
//! # Chains
//!
//! A transaction may append the values it wrote to a hash chain (`Txn::chain_append`) and ask
//! for a chain to be sealed (`Txn::chain_seal`); the `ChainHook` the database installs
//! completes both at commit, under the gate, in the same batch (`chain.rs`). Storage sees
//! only chain ids and byte strings.
//!
//! # Durability
//!
//! `Durability::Sync` commits return once their commit log record is written and fdatasynced,
//! one write + fdatasync shared among concurrent committers (`commit_log.rs`, `commit.rs`).
//! sled itself is made durable by checkpoints (`Store::sync`: its flush plus the fsyncs
//! `commit.rs` describes), after which the log forgets what they cover.

/// The commit-time hook that appends to and seals hash chains.
mod chain;
/// Row changes of a statement, counted and hashed for the audit chain.
pub mod changes;
/// Group commit: many committers share one write + fdatasync of the commit log.
mod commit;
/// The write-ahead log of applied batches that durable commits wait for.
mod commit_log;
#[cfg(test)]
mod commit_log_tests;
/// Every key prefix of the keyspace, and the order-preserving key encoding of values.
pub mod keys;
#[cfg(test)]
mod keys_tests;
/// The versioned, type-tagged row encoding (also the canonical bytes rows are hashed over).
pub mod row;
#[cfg(test)]
mod row_tests;
/// The sled database handle and the read gate.
mod store;
/// Transactions: a private write buffer merged over committed data, validated and applied at commit.
mod txn;
#[cfg(test)]
mod txn_tests;

pub use chain::{ChainHook, ChainWork};
pub use store::{ReadGuard, Store};
pub use txn::{Conflict, Durability, SharedBytes, SharedScan, Txn};
