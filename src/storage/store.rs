//! The open store: the sled database (one tree for the whole keyspace), the read gate that keeps
//! statements from observing half a commit, persistent counters, and the durability machinery.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::crypto::aead::AeadKey;
use crate::error::{Error, Result};

use super::commit::{DiskSync, GroupCommit};
use super::commit_log::{CommitLog, Op, COMMIT_LSN_KEY};
use super::keys;
use super::{ChainHook, Txn};

/// How often sled's background flusher persists `Durability::Async` commits, in milliseconds
/// (PostgreSQL's default `wal_writer_delay` is 200 ms).
const ASYNC_FLUSH_EVERY_MS: u64 = 200;

/// How often the log writer writes and syncs `Durability::Async` commits' log records, and
/// checks whether a checkpoint can free log segments, in milliseconds.
const LOG_WRITER_EVERY_MS: u64 = 200;

/// How long `Store::open` waits for a store closed a moment ago to release its lock.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// How many counter values one durable reservation covers: one fsync per this many ids.
const COUNTER_BLOCK: u64 = 4096;

/// The open store. Cheap to clone (shared handle).
#[derive(Clone)]
pub struct Store {
    pub(super) inner: Arc<StoreInner>,
}

pub(super) struct StoreInner {
    pub(super) db: sled::Db,
    /// Statements hold it shared while they read; a commit holds it exclusively while it
    /// validates and applies, which also serializes commits against each other.
    gate: RwLock<()>,
    pub(super) group: GroupCommit,
    /// Records of applied batches: a durable commit is one write + fdatasync of it.
    pub(super) log: CommitLog,
    disk: DiskSync,
    /// Serializes checkpoints (sled flush + fsync of its files).
    checkpoint: Mutex<()>,
    /// Per counter: the next value to hand out and the durable reservation limit (exclusive).
    counters: Mutex<HashMap<Vec<u8>, (u64, u64)>>,
    path: PathBuf,
    /// Completes chain appends at commit (installed once by the database).
    pub(super) chain_hook: std::sync::OnceLock<Arc<dyn ChainHook>>,
    /// The key that wraps per-table data keys (`ledger::at_rest`), when one was given: held
    /// only in memory, never written to the store.
    master_key: RwLock<Option<Arc<AeadKey>>>,
}

/// Held by a statement while it reads: commits wait for it, so a statement never sees half of
/// another transaction's writes.
///
/// To ensure progress: take one guard per statement and drop it before the statement's
/// transaction commits. Never call `Txn::commit` or take a second guard while holding one on
/// the same thread: the gate is fair, so a nested guard waits behind a waiting commit, which
/// waits for the outer guard (deadlock).
pub struct ReadGuard<'a> {
    _guard: RwLockReadGuard<'a, ()>,
}

/// Converts a sled failure into Vellum's error kinds.
pub(super) fn sled_error(e: sled::Error) -> Error {
    match e {
        sled::Error::Io(io) => Error::Io(io.to_string()),
        sled::Error::Corruption { at, .. } => {
            Error::corrupted(format!("sled log {at:?}"), "checksum or structure mismatch")
        }
        sled::Error::Unsupported(m) => Error::Io(format!("storage format not supported: {m}")),
        sled::Error::ReportableBug(m) => Error::bug(format!("sled: {m}")),
        sled::Error::CollectionNotFound(name) => Error::bug(format!("sled tree {name:?} not found")),
    }
}

impl Store {
    /// Opens (creating if needed) the store in directory `path`.
    pub fn open(path: &Path) -> Result<Store> {
        let existed = path.exists();
        std::fs::create_dir_all(path)?;
        let config = sled::Config::new()
            .path(path)
            .flush_every_ms(Some(ASYNC_FLUSH_EVERY_MS));
        // sled finishes writing a closed store's last buffers on its IO threads, which keep the
        // directory's lock until they are done: a store closed a moment ago (a restart, a
        // tool run right after a server) is waited for, briefly, instead of refused.
        let started = std::time::Instant::now();
        let db = loop {
            match config.open() {
                // sled reports the lock as an error of kind Other naming it.
                Err(sled::Error::Io(e))
                    if e.to_string().contains("could not acquire lock") && started.elapsed() < LOCK_WAIT =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => break other.map_err(sled_error)?,
            }
        };
        let disk = DiskSync::open(path)?;
        if !existed {
            // The new directory's own entry must survive a power loss too.
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                super::commit::fsync_dir(parent)?;
            }
        }
        let log_dir = path.join("commit-log");
        let applied_lsn = stored_lsn(&db)?;
        let last_lsn = CommitLog::recover(&log_dir, applied_lsn, |lsn, ops| replay(&db, lsn, ops))?;
        // sled created `db`, `conf` and `blobs/` on first open, and replay applied what the
        // log held: make both durable before the log forgets it.
        db.flush().map_err(sled_error)?;
        disk.sync()?;
        let log = CommitLog::open(&log_dir, last_lsn)?;
        let store = Store {
            inner: Arc::new(StoreInner {
                db,
                gate: RwLock::new(()),
                group: GroupCommit::new(last_lsn),
                log,
                disk,
                checkpoint: Mutex::new(()),
                counters: Mutex::new(HashMap::new()),
                path: path.to_path_buf(),
                chain_hook: std::sync::OnceLock::new(),
                master_key: RwLock::new(None),
            }),
        };
        start_log_writer(Arc::downgrade(&store.inner));
        Ok(store)
    }

    /// Installs the hook that completes chain appends at commit (first call wins).
    pub fn set_chain_hook(&self, hook: Arc<dyn ChainHook>) {
        let _ = self.inner.chain_hook.set(hook);
    }

    /// Sets (or, with `None`, forgets) the master key that wraps data keys at rest.
    pub fn set_master_key(&self, key: Option<AeadKey>) {
        *self.inner.master_key.write() = key.map(Arc::new);
    }

    /// The master key, if one was given.
    pub fn master_key(&self) -> Option<Arc<AeadKey>> {
        self.inner.master_key.read().clone()
    }

    /// Writes (`Some`) or removes (`None`) one key directly, outside any transaction and
    /// with no hook, under the commit gate, durably. Only for tamper tests and repair tools:
    /// it bypasses every check the engine makes.
    pub fn raw_put(&self, key: &[u8], value: Option<&[u8]>) -> Result<()> {
        let gate = self.write_gate();
        match value {
            Some(v) => self.inner.db.insert(key, v).map(|_| ()),
            None => self.inner.db.remove(key).map(|_| ()),
        }
        .map_err(sled_error)?;
        // Not logged: the checkpoint below makes it durable in sled, past every logged
        // record, so recovery never replays an older value over it.
        self.inner.group.note_applied();
        drop(gate);
        self.sync()
    }

    /// Every committed pair whose key starts with `prefix`, read directly (tamper tests and
    /// offline tools; the engine reads through transactions).
    pub fn raw_scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.inner
            .db
            .scan_prefix(prefix)
            .map(|pair| pair.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(sled_error))
            .collect()
    }

    /// The directory this store lives in.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Starts a transaction reading committed data as of each call (read committed) plus its own writes.
    pub fn begin(&self) -> Txn {
        Txn::new(self.clone())
    }

    /// Takes the read gate for the duration of one statement.
    pub fn read_guard(&self) -> ReadGuard<'_> {
        ReadGuard {
            _guard: self.inner.gate.read(),
        }
    }

    /// The exclusive side of the gate, held by a commit around validation and apply.
    /// Whether a commit holds the commit gate right now (a reader would wait for it).
    pub fn commit_in_progress(&self) -> bool {
        self.inner.gate.is_locked_exclusive()
    }

    pub(super) fn write_gate(&self) -> RwLockWriteGuard<'_, ()> {
        self.inner.gate.write()
    }

    /// Allocates the next value of a persistent monotonically increasing counter (row ids,
    /// object ids). Values are unique across concurrent transactions and never reused, even
    /// after a crash; they need not be gap-free.
    ///
    /// Values are handed out from a block whose upper limit was made durable first (stored
    /// under `META_PREFIX ++ counter`), so after a crash counting resumes above anything
    /// that may have been handed out. The first value of a counter is 1.
    pub fn next_id(&self, counter: &[u8]) -> Result<u64> {
        let mut counters = self.inner.counters.lock();
        if let Some((next, limit)) = counters.get_mut(counter) {
            if *next < *limit {
                let id = *next;
                *next += 1;
                return Ok(id);
            }
        }
        let mut key = keys::META_PREFIX.to_vec();
        key.extend_from_slice(counter);
        let start = match counters.get(counter) {
            Some((next, _)) => *next,
            None => match self.inner.db.get(&key).map_err(sled_error)? {
                Some(bytes) => {
                    let raw: [u8; 8] = bytes
                        .as_ref()
                        .try_into()
                        .map_err(|_| Error::corrupted(format!("counter {counter:?}"), "not 8 bytes"))?;
                    u64::from_be_bytes(raw).max(1)
                }
                None => 1,
            },
        };
        let limit = start
            .checked_add(COUNTER_BLOCK)
            .ok_or_else(|| Error::sql(crate::error::sqlstate::PROGRAM_LIMIT_EXCEEDED, "counter exhausted"))?;
        self.inner.db.insert(&key, &limit.to_be_bytes()).map_err(sled_error)?;
        self.sync()?;
        counters.insert(counter.to_vec(), (start + 1, limit));
        Ok(start)
    }

    /// Makes everything applied so far durable in sled itself (a checkpoint): flushes sled,
    /// fsyncs its files, and lets the commit log forget the records this covers.
    pub fn sync(&self) -> Result<()> {
        let inner = &self.inner;
        let _one = inner.checkpoint.lock();
        // Every batch up to `target` was applied before the flush starts, so the flush covers it.
        let target = inner.group.applied();
        inner.db.flush().map_err(sled_error)?;
        inner.disk.sync()?;
        inner.group.mark_durable(target);
        inner.log.forget_through(target)
    }

    /// Waits until everything up to LSN `seq` is on disk, leading a shared write + fdatasync
    /// of the commit log if no other committer is doing one.
    pub(super) fn wait_durable(&self, seq: u64) -> Result<()> {
        let log = &self.inner.log;
        self.inner.group.wait_durable(seq, || log.sync())
    }
}

/// The LSN of the last batch sled holds (0 for a store that has none).
fn stored_lsn(db: &sled::Db) -> Result<u64> {
    match db.get(COMMIT_LSN_KEY).map_err(sled_error)? {
        None => Ok(0),
        Some(bytes) => {
            let raw: [u8; 8] = bytes
                .as_ref()
                .try_into()
                .map_err(|_| Error::corrupted("the commit LSN", "not 8 bytes"))?;
            Ok(u64::from_be_bytes(raw))
        }
    }
}

/// Applies one logged record to sled as one batch, with its LSN.
fn replay(db: &sled::Db, lsn: u64, ops: &mut dyn Iterator<Item = Result<Op<'_>>>) -> Result<()> {
    let mut batch = sled::Batch::default();
    for op in ops {
        match op? {
            Op::Put(key, value) => batch.insert(key, value),
            Op::Remove(key) => batch.remove(key),
        }
    }
    batch.insert(COMMIT_LSN_KEY, &lsn.to_be_bytes());
    db.apply_batch(batch).map_err(sled_error)
}

/// Starts the thread that writes and syncs the log records of `Durability::Async` commits
/// (as PostgreSQL's WAL writer does) and checkpoints when the log has full segments to free.
/// It holds only a weak handle and ends once the store is closed.
fn start_log_writer(store: std::sync::Weak<StoreInner>) {
    let spawned = std::thread::Builder::new()
        .name("vellum-log-writer".into())
        .spawn(move || loop {
            std::thread::sleep(std::time::Duration::from_millis(LOG_WRITER_EVERY_MS));
            let Some(inner) = store.upgrade() else { return };
            let store = Store { inner };
            let outcome = store.log_writer_pass();
            if let Err(e) = outcome {
                tracing::warn!("commit log writer: {e}");
            }
        });
    if let Err(e) = spawned {
        // Sync commits still write the log themselves; async ones wait for the next of them.
        tracing::warn!("could not start the commit log writer: {e}");
    }
}

impl Store {
    fn log_writer_pass(&self) -> Result<()> {
        let inner = &self.inner;
        let appended = inner.log.last_lsn();
        if appended > inner.group.durable() {
            self.wait_durable(appended)?;
        }
        if inner.log.has_retired() {
            self.sync()?;
        }
        Ok(())
    }
}
