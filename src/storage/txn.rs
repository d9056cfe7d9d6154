//! Transactions: a private write buffer merged over committed data, validated and applied
//! atomically at commit.
//!
//! Reads see committed data as of the moment of each read (the statement holds the read gate,
//! so one statement sees a consistent state) plus this transaction's own writes. Writes stay in
//! the buffer until `commit`, which under the exclusive gate re-checks every recorded
//! expectation and applies the whole buffer: as one sled batch, or (a commit of more than
//! `LARGE_COMMIT_WRITES` writes) logged durably first and then written key by key, still under the gate.

use std::collections::btree_map::{self, BTreeMap};
use std::iter::Peekable;
use std::ops::Bound;

use crate::error::{sqlstate, Error, Result};

use super::changes::{Image, RowChanges};
use super::commit_log::{Record, COMMIT_LSN_KEY};
use super::keys::prefix_end;
use super::store::sled_error;
use super::{ChainWork, Store};

/// Whether `commit` waits for the commit to be on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Returns only after the commit log record is written and fdatasynced (shared with concurrent committers).
    Sync,
    /// Returns after the atomic apply; the log writer makes it durable within 200 ms
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

/// A recorded expectation about one key's committed state.
#[derive(Debug)]
enum Expect {
    /// Committed value must equal this (`None`: still absent).
    Value(Option<Vec<u8>>),
    /// Committed key must be absent, else this error.
    Absent(Error),
}

/// A transaction: reads see committed data merged with this transaction's own writes.
pub struct Txn {
    store: Store,
    /// Own writes: `None` is a delete.
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// At most one expectation per key, checked at commit.
    expects: BTreeMap<Vec<u8>, Expect>,
    /// Prefixes whose committed keys this transaction deleted.
    deleted_prefixes: Vec<Vec<u8>>,
    /// The applied-batch sequence number before the earliest expectation was taken. If no
    /// batch was applied since, committed data is exactly what every expectation saw, and
    /// commit skips re-reading them.
    expects_since: Option<u64>,
    /// An expectation was recorded without reading the key (a plain `MustBeAbsent` put), so
    /// it has to be checked at commit whatever happened since.
    unverified: bool,
    /// Per chain id: what the commit hook must complete (see `chain.rs`).
    chains: BTreeMap<u32, ChainWork>,
    /// Row changes noted since last taken (the audit chain's row count and digest).
    changes: RowChanges,
    /// Whether row changes are noted at all (off unless a session records them for audit).
    track_changes: bool,
}

type Pair = (Vec<u8>, Vec<u8>);
type PairIter<'a> = Box<dyn Iterator<Item = Result<Pair>> + 'a>;
#[cfg(test)]
pub(super) type PairIterFor<'a> = PairIter<'a>;

/// Commits with more writes than this are logged durably first and applied write by write
/// (see `Txn::commit`).
const LARGE_COMMIT_WRITES: usize = 8192;

fn serialization_failure() -> Error {
    Error::sql(
        sqlstate::SERIALIZATION_FAILURE,
        "could not serialize access due to concurrent update",
    )
}

impl Txn {
    pub(super) fn new(store: Store) -> Txn {
        Txn {
            store,
            writes: BTreeMap::new(),
            expects: BTreeMap::new(),
            deleted_prefixes: Vec::new(),
            expects_since: None,
            unverified: false,
            chains: BTreeMap::new(),
            changes: RowChanges::default(),
            track_changes: false,
        }
    }

    /// Notes that an expectation is about to be taken from committed data.
    fn note_expectation(&mut self) {
        if self.expects_since.is_none() {
            self.expects_since = Some(self.store.inner.group.applied());
        }
    }

    /// The store this transaction belongs to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Allocates the next value of a persistent counter (see `Store::next_id`).
    pub fn next_id(&self, counter: &[u8]) -> Result<u64> {
        self.store.next_id(counter)
    }

    fn hidden_by_prefix_delete(&self, key: &[u8]) -> bool {
        self.deleted_prefixes.iter().any(|p| key.starts_with(p))
    }

    fn committed(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.store.inner.db.get(key).map_err(sled_error)?.map(|v| v.to_vec()))
    }

    /// The value of `key`: this transaction's write if any, else committed data.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(w) = self.writes.get(key) {
            return Ok(w.clone());
        }
        if self.hidden_by_prefix_delete(key) {
            return Ok(None);
        }
        self.committed(key)
    }

    /// Ordered (ascending) key/value pairs in `[start, end)` bounds, own writes merged in,
    /// own deletes hidden.
    pub fn scan(&self, start: Bound<&[u8]>, end: Bound<&[u8]>) -> Result<PairIter<'_>> {
        if range_is_empty(start, end) {
            return Ok(Box::new(std::iter::empty()));
        }
        let own = self.writes.range::<[u8], _>((start, end)).peekable();
        let committed = self.store.inner.db.range::<&[u8], _>((start, end)).peekable();
        Ok(Box::new(MergeScan {
            txn: self,
            own,
            committed,
        }))
    }

    /// As `scan_prefix`, without copying each key and value into a fresh buffer: the bytes
    /// are borrowed from this transaction's writes or shared with sled's cache.
    pub fn scan_prefix_shared(&self, prefix: &[u8]) -> SharedScan<'_> {
        let end = prefix_end(prefix);
        let end = match &end {
            Some(end) => Bound::Excluded(end.as_slice()),
            None => Bound::Unbounded,
        };
        let start = Bound::Included(prefix);
        SharedScan(Some(MergeScan {
            txn: self,
            own: self.writes.range::<[u8], _>((start, end)).peekable(),
            committed: self.store.inner.db.range::<&[u8], _>((start, end)).peekable(),
        }))
    }

    /// As `scan`, without copying each key and value into a fresh buffer (see
    /// `scan_prefix_shared`).
    pub fn scan_shared(&self, start: Bound<&[u8]>, end: Bound<&[u8]>) -> SharedScan<'_> {
        if range_is_empty(start, end) {
            return SharedScan(None);
        }
        SharedScan(Some(MergeScan {
            txn: self,
            own: self.writes.range::<[u8], _>((start, end)).peekable(),
            committed: self.store.inner.db.range::<&[u8], _>((start, end)).peekable(),
        }))
    }

    /// All pairs whose key starts with `prefix`, ascending.
    pub fn scan_prefix(&self, prefix: &[u8]) -> Result<PairIter<'_>> {
        match prefix_end(prefix) {
            Some(end) => self.scan(Bound::Included(prefix), Bound::Excluded(&end)),
            None => self.scan(Bound::Included(prefix), Bound::Unbounded),
        }
    }

    fn record(&mut self, key: &[u8], conflict: Conflict) -> Result<()> {
        self.record_checked(key, conflict, false)
    }

    /// `absent_seen`: the caller read `key` as absent in this transaction's view after
    /// `note_expectation`, so a `MustBeAbsent` expectation holds as of that read.
    fn record_checked(&mut self, key: &[u8], conflict: Conflict, absent_seen: bool) -> Result<()> {
        match conflict {
            Conflict::None => {}
            Conflict::Unchanged => {
                if !self.expects.contains_key(key) {
                    self.note_expectation();
                    let seen = self.committed(key)?;
                    self.expects.insert(key.to_vec(), Expect::Value(seen));
                }
            }
            Conflict::MustBeAbsent(err) => {
                if self.hidden_by_prefix_delete(key) {
                    // Committed keys under a deleted prefix go away at commit; what must
                    // hold is only that nobody changed this one meanwhile.
                    if !self.expects.contains_key(key) {
                        self.note_expectation();
                        let seen = self.committed(key)?;
                        self.expects.insert(key.to_vec(), Expect::Value(seen));
                    }
                    return Ok(());
                }
                match self.expects.get(key) {
                    // This transaction deleted or replaced the committed value itself:
                    // the earlier expectation already says nobody else touched it.
                    Some(Expect::Value(Some(_))) | Some(Expect::Absent(_)) => {}
                    // Seen absent: a concurrent insert should report the caller's error
                    // (a unique violation), not a serialization failure.
                    Some(Expect::Value(None)) | None => {
                        if absent_seen {
                            self.note_expectation();
                        } else {
                            self.unverified = true;
                        }
                        self.expects.insert(key.to_vec(), Expect::Absent(err));
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes `value` at `key`, checked at commit as `conflict` says.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>, conflict: Conflict) -> Result<()> {
        self.record(&key, conflict)?;
        self.writes.insert(key, Some(value));
        Ok(())
    }

    /// Writes `value` at a key that must hold nothing, now (else fails with `err()`) and at
    /// commit (else commit fails with `err()`): a new primary or unique key.
    pub fn put_absent(&mut self, key: Vec<u8>, value: Vec<u8>, err: impl Fn() -> Error) -> Result<()> {
        // Taken before the read, so an apply between the two only makes commit re-check.
        self.note_expectation();
        if self.get(&key)?.is_some() {
            return Err(err());
        }
        self.record_checked(&key, Conflict::MustBeAbsent(err()), true)?;
        self.writes.insert(key, Some(value));
        Ok(())
    }

    /// Deletes `key` (checked as `Conflict::Unchanged`).
    pub fn delete(&mut self, key: Vec<u8>) -> Result<()> {
        self.record(&key, Conflict::Unchanged)?;
        self.writes.insert(key, None);
        Ok(())
    }

    /// Deletes `key` with no check at commit (keys nobody else writes, e.g. a chain's pending
    /// batches removed by the commit hook under the gate).
    pub fn remove(&mut self, key: Vec<u8>) {
        self.writes.insert(key, None);
    }

    /// Deletes every key with this prefix (TRUNCATE, DROP TABLE).
    pub fn delete_prefix(&mut self, prefix: &[u8]) -> Result<()> {
        // Own writes under the prefix are dropped; committed keys are hidden now and deleted
        // at commit by a scan, so the buffer never holds a whole table.
        self.writes.retain(|k, _| !k.starts_with(prefix));
        if !self.hidden_by_prefix_delete(prefix) {
            self.deleted_prefixes.retain(|p| !p.starts_with(prefix));
            self.deleted_prefixes.push(prefix.to_vec());
        }
        Ok(())
    }

    /// Records that the value this transaction wrote at `key` is appended to chain `chain`
    /// when it commits (after every earlier append of this transaction to that chain).
    pub fn chain_append(&mut self, chain: u32, key: Vec<u8>) {
        self.chains.entry(chain).or_default().appended.push(key);
    }

    /// Asks the commit hook to seal chain `chain` up to `target` when this transaction
    /// commits (the highest target asked wins).
    pub fn chain_seal(&mut self, chain: u32, target: u64) {
        let work = self.chains.entry(chain).or_default();
        work.seal_target = Some(work.seal_target.map_or(target, |t| t.max(target)));
    }

    /// Records that this transaction removes sealed blocks of chain `chain` (a purge), so the
    /// commit hook drops what readers cached of it.
    pub fn chain_purged(&mut self, chain: u32) {
        self.chains.entry(chain).or_default().purged = true;
    }

    /// The keys this transaction appends to chain `chain` when it commits.
    pub fn chain_appended(&self, chain: u32) -> &[Vec<u8>] {
        self.chains.get(&chain).map_or(&[], |w| w.appended.as_slice())
    }

    /// Forgets what this transaction asked of chain `chain` (the chain was dropped).
    pub fn chain_forget(&mut self, chain: u32) {
        self.chains.remove(&chain);
    }

    /// Turns noting row changes on (for the audit chain) or off (the default: no per-row
    /// hashing for a transaction whose changes nobody records).
    pub fn track_row_changes(&mut self, on: bool) {
        self.track_changes = on;
    }

    /// Whether row changes are being noted.
    pub fn tracks_row_changes(&self) -> bool {
        self.track_changes
    }

    /// Notes one image of a changed row of table `table` (`storage::changes`).
    pub fn note_row(&mut self, image: Image, table: u32, bytes: &[u8]) {
        if self.track_changes {
            self.changes.note(image, table, bytes);
        }
    }

    /// Counts one changed row, after its images were noted.
    pub fn count_row(&mut self) {
        if self.track_changes {
            self.changes.count();
        }
    }

    /// The row changes noted since the last take, leaving none.
    pub fn take_row_changes(&mut self) -> RowChanges {
        std::mem::take(&mut self.changes)
    }

    /// Puts back changes taken earlier (work that must not count, like an ALTER TABLE's
    /// rewrite of every row, takes them first and restores them after).
    pub fn restore_row_changes(&mut self, changes: RowChanges) {
        self.changes = changes;
    }

    /// True if this transaction has written nothing.
    pub fn is_read_only(&self) -> bool {
        self.writes.is_empty() && self.deleted_prefixes.is_empty() && self.chains.is_empty()
    }

    /// Validates the recorded conflicts and applies every write atomically; with
    /// `Durability::Sync` returns only once the writes survive kill -9.
    pub fn commit(mut self, durability: Durability) -> Result<()> {
        if self.is_read_only() {
            return Ok(());
        }
        let store = self.store.clone();
        let inner = &store.inner;
        let seq = {
            let _gate = store.write_gate();
            let unchanged_since = !self.unverified && self.expects_since == Some(inner.group.applied());
            for (key, expect) in self.expects.iter().filter(|_| !unchanged_since) {
                let now = inner.db.get(key).map_err(sled_error)?;
                match expect {
                    Expect::Value(seen) => {
                        if now.as_deref() != seen.as_deref() {
                            return Err(serialization_failure());
                        }
                    }
                    Expect::Absent(err) => {
                        if now.is_some() {
                            return Err(err.clone());
                        }
                    }
                }
            }
            if !self.chains.is_empty() {
                let hook = inner
                    .chain_hook
                    .get()
                    .cloned()
                    .ok_or_else(|| Error::bug("chain appends without a chain hook"))?;
                for (chain, work) in std::mem::take(&mut self.chains) {
                    hook.finish(&mut self, chain, &work)?;
                }
            }
            inner.log.check()?;
            // Log order is apply order: both happen here, under the gate.
            let lsn = inner.group.applied() + 1;
            let mut record = Record::new(lsn);
            let mut removed = Vec::new();
            for prefix in &self.deleted_prefixes {
                for pair in inner.db.scan_prefix(prefix) {
                    let (key, _) = pair.map_err(sled_error)?;
                    if !self.writes.contains_key(key.as_ref()) {
                        record.remove(&key);
                        removed.push(key);
                    }
                }
            }
            for (key, value) in &self.writes {
                match value {
                    Some(v) => record.put(key, v),
                    None => record.remove(key),
                }
            }
            let writes = removed.len() + self.writes.len();
            let ops = removed.into_iter().map(|key| (key, None)).chain(
                self.writes
                    .iter()
                    .map(|(k, v)| (sled::IVec::from(k.as_slice()), v.as_deref())),
            );
            if writes <= LARGE_COMMIT_WRITES {
                let mut batch = sled::Batch::default();
                for (key, value) in ops {
                    match value {
                        Some(v) => batch.insert(key, v),
                        None => batch.remove(key),
                    }
                }
                batch.insert(COMMIT_LSN_KEY, &lsn.to_be_bytes());
                inner.db.apply_batch(batch).map_err(sled_error)?;
                inner.log.append(lsn, record);
            } else {
                // A large commit is made durable in the log first, then applied write by write:
                // sled keeps every page a batch replaces until the batch ends, which made one
                // huge batch (a bulk COPY) spend most of its time on memory it could not yet
                // reuse, and building the batch (a hash map) cost a sixth more. Readers wait at
                // the gate, so none sees a part; a crash part-way is completed by replaying the
                // record, since sled's LSN moves only after the last write.
                inner.log.append(lsn, record);
                store.wait_durable(lsn)?;
                // sled's LSN is written last, so it claims the commit only once all of it is in.
                let lsn_bytes = lsn.to_be_bytes();
                let last = std::iter::once((sled::IVec::from(COMMIT_LSN_KEY), Some(&lsn_bytes[..])));
                for (key, value) in ops.chain(last) {
                    let applied = match value {
                        Some(v) => inner.db.insert(key, v).map(|_| ()),
                        None => inner.db.remove(key).map(|_| ()),
                    };
                    if let Err(e) = applied {
                        // The commit is in the log and will be completed at the next open;
                        // until then nothing else may commit over a half-applied one.
                        inner.log.fail(&format!("applying a logged commit failed: {e}"));
                        return Err(sled_error(e));
                    }
                }
            }
            let seq = inner.group.note_applied();
            debug_assert_eq!(seq, lsn);
            lsn
        };
        match durability {
            Durability::Sync => store.wait_durable(seq),
            Durability::Async => Ok(()),
        }
    }

    /// Discards every write.
    pub fn rollback(self) {}
}

/// True when no key can lie in the bounds (BTreeMap::range would panic on some of these).
fn range_is_empty(start: Bound<&[u8]>, end: Bound<&[u8]>) -> bool {
    match (start, end) {
        (Bound::Included(s), Bound::Included(e)) => s > e,
        (Bound::Included(s), Bound::Excluded(e))
        | (Bound::Excluded(s), Bound::Included(e))
        | (Bound::Excluded(s), Bound::Excluded(e)) => s >= e,
        _ => false,
    }
}

/// Streams committed pairs and own writes in key order; own writes win, own deletes and
/// prefix deletes hide committed pairs.
struct MergeScan<'a> {
    txn: &'a Txn,
    own: Peekable<btree_map::Range<'a, Vec<u8>, Option<Vec<u8>>>>,
    committed: Peekable<sled::Iter>,
}

/// Bytes of a pair from `Txn::scan_prefix_shared`.
pub enum SharedBytes<'a> {
    Own(&'a [u8]),
    Committed(sled::IVec),
}

impl std::ops::Deref for SharedBytes<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            SharedBytes::Own(b) => b,
            SharedBytes::Committed(b) => b,
        }
    }
}

/// The iterator of `Txn::scan_prefix_shared`.
pub struct SharedScan<'a>(Option<MergeScan<'a>>);

impl<'a> Iterator for SharedScan<'a> {
    type Item = Result<(SharedBytes<'a>, SharedBytes<'a>)>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.as_mut()?.next_shared()
    }
}

impl Iterator for MergeScan<'_> {
    type Item = Result<Pair>;

    fn next(&mut self) -> Option<Result<Pair>> {
        self.next_shared()
            .map(|pair| pair.map(|(key, value)| (key.to_vec(), value.to_vec())))
    }
}

impl<'a> MergeScan<'a> {
    fn next_shared(&mut self) -> Option<Result<(SharedBytes<'a>, SharedBytes<'a>)>> {
        loop {
            let take_own = match (self.own.peek(), self.committed.peek()) {
                (None, None) => return None,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(_), Some(Err(_))) => false,
                (Some((own_key, _)), Some(Ok((committed_key, _)))) => {
                    match own_key.as_slice().cmp(committed_key.as_ref()) {
                        std::cmp::Ordering::Less => true,
                        std::cmp::Ordering::Equal => {
                            // Shadowed by the own write: drop the committed pair.
                            self.committed.next();
                            true
                        }
                        std::cmp::Ordering::Greater => false,
                    }
                }
            };
            if take_own {
                let (key, value) = self.own.next()?;
                if let Some(value) = value {
                    return Some(Ok((SharedBytes::Own(key), SharedBytes::Own(value))));
                }
                continue;
            }
            match self.committed.next()? {
                Err(e) => return Some(Err(sled_error(e))),
                Ok((key, value)) => {
                    if self.txn.hidden_by_prefix_delete(&key) {
                        continue;
                    }
                    return Some(Ok((SharedBytes::Committed(key), SharedBytes::Committed(value))));
                }
            }
        }
    }
}
