//! The ledger: everything that makes a blockchain table tamper-evident. It owns the hashing
//! contract (DESIGN.md) and its formats: RFC 6962 Merkle trees, block headers and their hash,
//! the canonical table definition, the running hash of pending rows, inclusion proofs, and
//! the blockchain table options — pure functions over bytes — plus the chain as stored
//! (`chain`, `audit`, `sealer`), which reads and writes through `storage`.
//!
//! It may use `types`, `crypto`, `storage` and catalog definitions; it must not use `sql`,
//! `plan`, `exec`, `server` (the SQL functions over it live in `exec::ledger`). The formats
//! are specified for other implementations in `grammar/ledger-format.md` and pinned by
//! `tests/vectors/ledger-v1.json`.
//!
//! # Storage layout
//!
//! Prefixes in `storage::keys`, numbers big-endian so scans come out in order:
//!
//! ```text
//! 0x10 table_id:u32 row_key             the row's entry: its seq u64 LE once committed
//! 0x20 table_id:u32 block_id:u64        sealed block: one value holding the whole block
//! 0x21 table_id:u32 block_id:u64        block header (block::HEADER_LEN bytes, block.rs layout)
//! 0x22 table_id:u32 seq:u64             pending batch: the rows one commit left pending
//! 0x23 table_id:u32                     chain tip (chain.rs layout)
//! 0x24 table_id:u32 block_id:u64 name   a signer's signature of a block (signature.rs)
//! ```
//!
//! - A sealed block is **one** sled value, `body::BlockBuilder`'s output: the canonical row
//!   bytes concatenated with their lengths, encoded and hashed in one pass. Headers live
//!   apart (0x21) so `blockchain_metadata` and chain verification scan 130-byte values
//!   without reading rows.
//! - A row's bytes are stored once, in the chain (its block body or pending batch). The
//!   table's row keys (0x10) and indexes (0x11) keep serving uniqueness, index lookups and
//!   the transaction's own uncommitted rows; a committed entry holds only the row's seq,
//!   which `rows::ChainRows` follows into the chain and turns into the hidden `_block_id`
//!   and `_row_index`. Full scans walk the chain itself (`rows::for_each_chained`).
//!   Verification (`audit.rs`) checks the entries lead to the chained rows, once each.
//! - Positions and hashes are assigned at commit, under the store's commit gate, by
//!   `chain::LedgerHook` (a `storage::ChainHook`): concurrent inserters never conflict and
//!   make one linear chain; a rolled-back transaction leaves nothing.
//! - A table created with `compression = 'ZSTD'` or `encryption = 'TDE'` stores its bodies
//!   (and, encrypted, its pending batches) in an envelope (`envelope.rs`, ledger-format §11)
//!   with its data key wrapped under the master key (`at_rest.rs`, key `0x01 'k' table_id`);
//!   `chain.rs` seals and opens them, so every reader and verification sees plain bodies and
//!   the hashes stay over the plaintext rows.
//! - Sealing (by size at commit, on request through `seal_blockchain_block`, by age through
//!   `sealer::Sealer`) takes all pending rows, writes the block value, the header and the new
//!   tip, and deletes the pending batches, in the same atomic batch as its commit.

/// Anchor blocks: what a purge leaves in place of the blocks it removed.
pub mod anchor;
/// Compression and encryption at rest: per-table records, data keys, the payload codec.
pub mod at_rest;
/// Verification of a stored chain (blocks, pending rows, tip, table rows).
pub mod audit;
/// Block headers, the block hash and their stored form.
pub mod block;
/// Sealed block bodies: rows stored together, encoded and hashed in one pass.
pub mod body;
/// The chain in storage: genesis, commit-time appends, sealing, the tip.
pub mod chain;
/// The canonical table definition and its hash (the genesis Merkle root).
pub mod definition;
/// Signed external digests of a chain, for keeping outside the database.
pub mod digest;
/// The at-rest envelope of stored payloads: zstd compression, AES-256-GCM encryption.
pub mod envelope;
/// Hex text of hashes.
pub mod hex;
/// The server's identity key, which signs digests.
pub mod identity;
/// Row leaves and the running hash of pending rows.
pub mod leaf;
/// RFC 6962 Merkle tree hashes and audit paths.
pub mod merkle;
/// Blockchain table options: domains, defaults, validation.
pub mod options;
/// Inclusion proofs and their JSON form.
pub mod proof;
/// Purge policies: which sealed blocks a table lets go.
pub mod purge;
/// Verification of a table's row entries (0x10) against the rows of its chain.
mod row_entries;
/// Reading committed rows back from the chain, by seq and in chain order.
pub mod rows;
/// The background thread sealing pending rows older than their table's interval.
pub mod sealer;
/// Server-held signing keys, their key files, and signing at seal time.
pub mod server_signers;
/// Block signatures: the signed message, their stored form, confirmation, verification.
pub mod signature;
/// Chain verification over stored blocks and pending rows, with named findings.
pub mod verify;

pub use block::{BlockHeader, BlockType};
pub use merkle::Hash;
pub use proof::InclusionProof;
