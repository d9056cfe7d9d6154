use std::ops::Bound;

use crate::error::{Error, Result};

/// Whether `commit` waits for the commit to be on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Returns only after flush + fsync (shared with concurrent committers).
    Sync,
    /// Returns after the atomic apply; the background flusher persists it soon after
    /// (`SET synchronous_commit = off`).
    Async,
}

/// What a write expects of the committed state when the transaction commits.
#[derive(Debug, Clone)]
pub enum Conflict {
    /// The key must still hold what it held when this transaction first wrote it; otherwise
    /// commit fails with 40001 (another transaction changed the row concurrently).
    Unchanged,
    /// The key must be absent in committed data at commit; otherwise commit fails with this error
    /// (e.g. a 23505 unique violation naming the constraint).
    MustBeAbsent(Error),
    /// No check (keys nobody else can produce, e.g. freshly allocated row ids).
    None,
}

/// A transaction: reads see committed data merged with this transaction's own writes.
pub struct Txn {}

impl Txn {
    /// The value of `key`: this transaction's write if any, else committed data.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let _ = key;
        todo!("storage::Txn::get")
    }

    /// Ordered (ascending) key/value pairs in `[start, end)` bounds, own writes merged in,
    /// own deletes hidden.
    pub fn scan(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
    ) -> Result<Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>)>> + '_>> {
        let _ = (start, end);
        todo!("storage::Txn::scan")
    }

    /// All pairs whose key starts with `prefix`, ascending.
    pub fn scan_prefix(&self, prefix: &[u8]) -> Result<Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>)>> + '_>> {
        let _ = prefix;
        todo!("storage::Txn::scan_prefix")
    }

    /// Writes `value` at `key`, checked at commit as `conflict` says.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>, conflict: Conflict) -> Result<()> {
        let _ = (key, value, conflict);
        todo!("storage::Txn::put")
    }

    /// Deletes `key` (checked as `Conflict::Unchanged`).
    pub fn delete(&mut self, key: Vec<u8>) -> Result<()> {
        let _ = key;
        todo!("storage::Txn::delete")
    }

    /// Deletes every key with this prefix (TRUNCATE, DROP TABLE).
    pub fn delete_prefix(&mut self, prefix: &[u8]) -> Result<()> {
        let _ = prefix;
        todo!("storage::Txn::delete_prefix")
    }

    /// True if this transaction has written nothing.
    pub fn is_read_only(&self) -> bool {
        todo!("storage::Txn::is_read_only")
    }

    /// Validates the recorded conflicts and applies every write atomically; with
    /// `Durability::Sync` returns only once the writes survive kill -9.
    pub fn commit(self, durability: Durability) -> Result<()> {
        let _ = durability;
        todo!("storage::Txn::commit")
    }

    /// Discards every write.
    pub fn rollback(self) {}
}
