//! The ledger: everything that makes a blockchain table tamper-evident, as pure functions over
//! bytes and catalog definitions. It owns the hashing contract (DESIGN.md) and its formats:
//! RFC 6962 Merkle trees, block headers and their hash, the canonical table definition, the
//! running hash of pending rows, inclusion proofs, and the blockchain table options.
//!
//! It may use `types`, `crypto`, `storage::row` and catalog definitions; it must not use
//! `sql`, `plan`, `exec`, `server` (the SQL functions over it live in `exec`). Nothing here touches
//! storage yet: sealing and verification will read and write through `storage` using the layout
//! below. The formats are specified for other implementations in `grammar/ledger-format.md`
//! and pinned by `tests/vectors/ledger-v1.json`.
//!
//! # Storage layout (proposed for sealing; not written yet)
//!
//! New prefixes in `storage::keys`, numbers big-endian so scans come out in order:
//!
//! ```text
//! 0x20 table_id:u32 block_id:u64        sealed block: one value holding the whole block
//! 0x21 table_id:u32 block_id:u64        block header (block::HEADER_LEN bytes, block.rs layout)
//! 0x22 table_id:u32 seq:u64             pending row: leaf_hash[32] running_hash[32] row bytes
//! 0x23 table_id:u32                     chain tip: last block_id u64, its hash, next pending seq
//! ```
//!
//! - A sealed block is **one** sled value, `body::BlockBuilder`'s output: the canonical row
//!   bytes concatenated with their lengths. Sealing encodes and hashes in the same pass (each
//!   row's leaf is hashed from the buffer it was just appended to, and fed to
//!   `merkle::RootBuilder`), so a 1000-row block costs one sled write and ~2000 SHA-256
//!   compressions, not 1000 writes. Headers live apart (0x21) so `blockchain_metadata`
//!   and chain verification scan 130-byte values without reading rows.
//! - The table's ordinary row keys (0x10) and indexes (0x11) keep serving SELECT, joins and
//!   index lookups unchanged; each row's value gains its position (`_block_id`, `_row_index`,
//!   or its pending seq) so the hidden columns need no lookup. Verification compares the rows
//!   under 0x10 with the sealed blocks and pending entries, so changing either is detected.
//! - Pending rows (0x22) are written by the INSERT's own transaction, with their leaf and
//!   running hash computed under the commit gate from the chain tip (0x23), which the same
//!   batch advances: concurrent inserters serialize on the tip key (a commit-time conflict),
//!   so the chain stays linear and a rolled-back transaction leaves no pending row.
//! - Sealing takes the oldest `block_size` pending rows, writes the block value, the header
//!   and the new tip, and deletes those pending entries, in one atomic batch.

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
/// Hex text of hashes.
pub mod hex;
/// Row leaves and the running hash of pending rows.
pub mod leaf;
/// RFC 6962 Merkle tree hashes and audit paths.
pub mod merkle;
/// Blockchain table options: domains, defaults, validation.
pub mod options;
/// Inclusion proofs and their JSON form.
pub mod proof;
/// The background thread sealing pending rows older than their table's interval.
pub mod sealer;
/// Chain verification over stored blocks and pending rows, with named findings.
pub mod verify;

pub use block::{BlockHeader, BlockType};
pub use merkle::Hash;
pub use proof::InclusionProof;
