//! Storage: one sled keyspace holding every table, index and catalog record; transactions that
//! buffer their writes and apply them atomically; durable commits with shared fsyncs.
//!
//! Knows bytes and keys, never SQL. Layout of the keyspace is in `keys.rs`, the row format in
//! `row.rs`. Usage:
//!
//! ```ignore
//! let store = Store::open(dir)?;
//! let mut txn = store.begin();
//! txn.put(key, value)?;
//! txn.commit(Durability::Sync)?;
//! ```

/// Group commit: many committers share one flush + fsync.
mod commit;
/// Every key prefix of the keyspace, and the order-preserving key encoding of values.
pub mod keys;
/// The versioned, type-tagged row encoding (also the canonical bytes rows are hashed over).
pub mod row;
/// The sled database handle and the read gate.
mod store;
/// Transactions: a private write buffer merged over committed data, validated and applied at commit.
mod txn;

pub use store::{ReadGuard, Store};
pub use txn::{Conflict, Durability, Txn};
