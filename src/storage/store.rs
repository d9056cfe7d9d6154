use std::path::Path;

use crate::error::Result;

use super::Txn;

/// The open store. Cheap to clone (shared handle).
#[derive(Clone)]
pub struct Store {}

/// Held by a statement while it reads: commits wait for it, so a statement never sees half of
/// another transaction's writes. Never call `Txn::commit` while holding one on the same thread.
pub struct ReadGuard<'a> {
    _marker: std::marker::PhantomData<&'a ()>,
}

impl Store {
    /// Opens (creating if needed) the store in directory `path`.
    pub fn open(path: &Path) -> Result<Store> {
        let _ = path;
        todo!("storage::Store::open")
    }

    /// Starts a transaction reading committed data as of each call (read committed) plus its own writes.
    pub fn begin(&self) -> Txn {
        todo!("storage::Store::begin")
    }

    /// Takes the read gate for the duration of one statement.
    pub fn read_guard(&self) -> ReadGuard<'_> {
        todo!("storage::Store::read_guard")
    }

    /// Allocates the next value of a persistent monotonically increasing counter (row ids,
    /// object ids). Values are unique across concurrent transactions and never reused, even
    /// after a crash; they need not be gap-free.
    pub fn next_id(&self, counter: &[u8]) -> Result<u64> {
        let _ = counter;
        todo!("storage::Store::next_id")
    }

    /// Flushes and fsyncs everything applied so far.
    pub fn sync(&self) -> Result<()> {
        todo!("storage::Store::sync")
    }
}
