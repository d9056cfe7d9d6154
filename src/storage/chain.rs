//! The commit-time hook for append-only chains (blockchain tables), kept free of SQL and of
//! the ledger's formats: storage only knows that a transaction appended the values at some
//! keys to chain `id` (a table id), in order, and may ask for the chain to be sealed up to
//! an opaque target.
//!
//! Why at commit: a chain position and its running hash depend on every row appended before
//! it. Computed at statement time from a tip that concurrent transactions both read, they
//! would collide (one of them failing with 40001). Under the commit gate, commits are
//! serialized, so the hook reads the tip as left by the previous commit, assigns positions,
//! and writes its entries and the new tip into the transaction's own batch: plain inserters
//! never conflict, the chain stays linear, and a rolled-back transaction leaves nothing.
//!
//! # To ensure correctness (for implementations of [`ChainHook`])
//!
//! - `finish` runs with the commit gate held: it must not take the read gate, commit another
//!   transaction, or wait for anything a committer may hold.
//! - It reads through the given `Txn` (committed data as of now, plus this transaction's
//!   writes, including the ones it made itself) and writes only with `Txn::put`/`delete`
//!   using `Conflict::None`; those writes join the transaction's atomic apply.
//! - An error aborts the commit: nothing of the transaction is applied.

use super::Txn;
use crate::error::Result;

/// What one transaction asks of one chain.
#[derive(Debug, Default, Clone)]
pub struct ChainWork {
    /// Keys whose (final) values the transaction appends, in append order.
    pub appended: Vec<Vec<u8>>,
    /// The highest seal target asked for (meaning defined by the hook).
    pub seal_target: Option<u64>,
    /// The transaction removed sealed blocks (a purge): what readers cached of the chain is stale.
    pub purged: bool,
}

/// Completes chain appends and seals at commit, under the commit gate.
pub trait ChainHook: Send + Sync {
    /// Called once per chain the committing transaction touched, in chain id order.
    fn finish(&self, txn: &mut Txn, chain: u32, work: &ChainWork) -> Result<()>;
}
