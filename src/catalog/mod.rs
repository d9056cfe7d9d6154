//! The catalog: tables, columns, constraints, indexes and views, as one immutable snapshot.
//!
//! A transaction that runs DDL works on its own copy (`Catalog` is cheap to clone: tables are
//! behind `Arc`) and publishes it at commit; everyone else reads the published snapshot.
//! Records persist in the storage keyspace under `keys::CATALOG_PREFIX`.

/// Blockchain table options and the append-only rule.
mod blockchain;
/// The on-disk encoding of catalog records.
pub mod codec;
/// Catalog records and the snapshot that holds them.
mod schema;
/// `pg_catalog` and `information_schema` relations computed from a snapshot.
pub mod system;

pub use blockchain::{BlockchainOptions, BLOCKCHAIN_REFUSAL};
pub use schema::*;
