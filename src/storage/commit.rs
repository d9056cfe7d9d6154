//! Group commit, and the disk barrier that makes sled itself durable at a checkpoint.
//!
//! # Group commit
//!
//! Each commit, after its atomic apply and still under the commit gate, takes the next LSN
//! and appends its record to the commit log (`commit_log.rs`), so LSN order is apply order. A
//! `Sync` committer then waits until the durable LSN reaches its own. If nobody is syncing,
//! it becomes the leader: it writes every record appended so far and fdatasyncs the log once,
//! publishes the last LSN written as durable and wakes the others. Committers that arrive
//! during a leader's fdatasync wait for the next round, which one of them leads on behalf of
//! all: N concurrent committers cost about two fdatasyncs, not N.
//!
//! # Why sled's `flush()` is not enough (checkpoints)
//!
//! A checkpoint (`Store::sync`) makes sled durable so the log can forget the records it
//! covers. In sled 0.34.7 `Tree::flush` waits until every reserved log buffer has been written
//! (`pagecache::iobuf::make_stable`), but on Linux the write path ends with
//! `sync_file_range(WAIT_BEFORE | WRITE | WAIT_AFTER)` on the `db` file: that pushes the
//! dirty pages to the device but flushes neither the drive's volatile cache nor the file's
//! metadata (its size grows as the log is appended). Values too large for a log segment go to
//! separate files under `blobs/`, written with `create_new` + `write_all` and never fsynced,
//! and the directory entries of new files are never fsynced either. So after `flush()` we:
//!
//! 1. `fdatasync` the `db` file (data + the size needed to read it back + a cache flush);
//! 2. `fsync` every blob file not yet known durable, then the `blobs/` directory if any new
//!    blob appeared (so its entry survives);
//!
//! 3. `fsync` the store directory whenever its modification time changed since the last
//!    time (entries for `db`, `conf`, `blobs/` at creation, and sled's snapshot files
//!    `snap.*`, which sled fsyncs but renames into place without a directory fsync).
//!
//! `Store::open` also fsyncs the parent directory when it created the store directory.
//! This is the barrier PostgreSQL relies on too (fdatasync of the WAL); it survives kill -9
//! trivially (the data is in the page cache after `flush()`) and power loss as far as the
//! device honours cache flushes.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use parking_lot::{Condvar, Mutex};

use crate::error::Result;

/// Sequence numbers of applied and durable commits.
pub(super) struct GroupCommit {
    state: Mutex<GroupState>,
    wake: Condvar,
}

struct GroupState {
    /// Highest sequence number handed to an applied commit.
    applied: u64,
    /// Every commit with a sequence up to this one is on disk.
    durable: u64,
    /// A leader is flushing right now.
    syncing: bool,
}

impl GroupCommit {
    /// Starts counting after `lsn`, the last batch recovered (already durable).
    pub(super) fn new(lsn: u64) -> GroupCommit {
        GroupCommit {
            state: Mutex::new(GroupState {
                applied: lsn,
                durable: lsn,
                syncing: false,
            }),
            wake: Condvar::new(),
        }
    }

    /// The sequence number of the latest applied batch (moves only under the commit gate).
    pub(super) fn applied(&self) -> u64 {
        self.state.lock().applied
    }

    /// Records one more applied batch and returns its sequence number. Call it right after
    /// the apply, before anything else can apply.
    pub(super) fn note_applied(&self) -> u64 {
        let mut state = self.state.lock();
        state.applied += 1;
        state.applied
    }

    /// Every commit up to this sequence number is durable.
    pub(super) fn durable(&self) -> u64 {
        self.state.lock().durable
    }

    /// Records that everything up to `seq` was made durable by other means (a checkpoint).
    pub(super) fn mark_durable(&self, seq: u64) {
        let mut state = self.state.lock();
        if seq > state.durable {
            state.durable = seq;
            self.wake.notify_all();
        }
    }

    /// Returns once every commit up to `seq` is durable, running `sync` (which makes durable
    /// everything applied so far and returns the sequence number that reached) as the leader
    /// when nobody else is.
    pub(super) fn wait_durable(&self, seq: u64, sync: impl Fn() -> Result<u64>) -> Result<()> {
        let mut state = self.state.lock();
        loop {
            if state.durable >= seq {
                return Ok(());
            }
            if state.syncing {
                self.wake.wait(&mut state);
                continue;
            }
            state.syncing = true;
            drop(state);
            let outcome = sync();
            state = self.state.lock();
            state.syncing = false;
            if let Ok(target) = outcome {
                state.durable = state.durable.max(target);
            }
            self.wake.notify_all();
            // On failure the waiters retry as leaders themselves, each getting the error
            // from its own attempt if the disk keeps failing.
            outcome?;
        }
    }
}

/// The files that must be fsynced after sled's flush.
pub(super) struct DiskSync {
    db_file: File,
    dir: PathBuf,
    /// Modification time of the store directory when it was last fsynced.
    dir_synced_at: Mutex<Option<SystemTime>>,
    blobs_dir: PathBuf,
    /// Blob files already fsynced, with their length then: a blob caught while sled was
    /// still writing it is fsynced again once it has grown.
    synced_blobs: Mutex<HashMap<OsString, u64>>,
}

impl DiskSync {
    pub(super) fn open(dir: &Path) -> Result<DiskSync> {
        // fsync works on a read-only descriptor on Linux and flushes the inode's pages,
        // whichever descriptor dirtied them.
        let db_file = File::open(dir.join("db"))?;
        Ok(DiskSync {
            db_file,
            dir: dir.to_path_buf(),
            dir_synced_at: Mutex::new(None),
            blobs_dir: dir.join("blobs"),
            synced_blobs: Mutex::new(HashMap::new()),
        })
    }

    /// Makes everything sled has written so far durable. Call after `sled::Db::flush`.
    pub(super) fn sync(&self) -> Result<()> {
        self.db_file.sync_data()?;
        self.sync_store_dir()?;
        self.sync_blobs()
    }

    fn sync_store_dir(&self) -> Result<()> {
        let mut synced_at = self.dir_synced_at.lock();
        // Read before the fsync: a change racing with it is caught next time.
        let modified = std::fs::metadata(&self.dir)?.modified()?;
        if *synced_at != Some(modified) {
            fsync_dir(&self.dir)?;
            *synced_at = Some(modified);
        }
        Ok(())
    }

    fn sync_blobs(&self) -> Result<()> {
        let entries = match std::fs::read_dir(&self.blobs_dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let mut synced = self.synced_blobs.lock();
        let mut present = HashMap::new();
        let mut new_blob = false;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            // sled removes blobs of aborted reservations and after snapshots.
            let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
            // The length is read before the fsync, so a later growth is noticed next time.
            let len = match entry.metadata() {
                Ok(m) => m.len(),
                Err(e) if gone(&e) => continue,
                Err(e) => return Err(e.into()),
            };
            if synced.get(&name) != Some(&len) {
                match File::open(entry.path()) {
                    Ok(file) => file.sync_all()?,
                    Err(e) if gone(&e) => continue,
                    Err(e) => return Err(e.into()),
                }
                new_blob |= !synced.contains_key(&name);
            }
            present.insert(name, len);
        }
        if new_blob {
            fsync_dir(&self.blobs_dir)?;
        }
        *synced = present;
        Ok(())
    }
}

/// Makes the entries of directory `dir` durable.
pub(super) fn fsync_dir(dir: &Path) -> Result<()> {
    File::open(dir)?.sync_all()?;
    Ok(())
}
