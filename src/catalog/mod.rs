//! The catalog: tables, columns, constraints, indexes, views, roles and privileges, as one
//! immutable snapshot.
//!
//! A transaction that runs DDL works on its own copy (`Catalog` is cheap to clone: tables are
//! behind `Arc`) and publishes it at commit; everyone else reads the published snapshot.
//! Records persist in the storage keyspace under `keys::CATALOG_PREFIX` (relations),
//! `keys::ROLE_PREFIX` (roles), `keys::ACL_PREFIX` (owners and grants) and
//! `keys::SIGNER_PREFIX` (block signers).

/// Blockchain table options and the append-only rule.
mod blockchain;
/// The on-disk encoding of catalog records.
pub mod codec;
/// Lineage edges: which relations a table's or view's data came from.
pub mod lineage;
/// Owners, access control lists and the privilege check.
pub mod privilege;
/// Catalog records and the snapshot that holds them.
mod schema;
/// Block signers (named Ed25519 public keys).
mod signer;
/// `pg_catalog` and `information_schema` relations computed from a snapshot.
pub mod system;

pub use blockchain::{BlockchainOptions, BLOCKCHAIN_REFUSAL};
pub use privilege::{Access, AclItem, ObjectAcl, Privileges};
pub use schema::*;
pub use signer::SignerDef;
