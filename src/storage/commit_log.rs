//! The commit log: a write-ahead log of applied batches that makes a durable commit cost one
//! `write` and one `fdatasync`, shared by every committer waiting at that moment.
//!
//! # Why
//!
//! A durable commit used to flush sled (its log buffers written, then `sync_file_range` of the
//! `db` file) and then `fdatasync` the `db` file: two trips to the device, and sled's flush
//! writes whatever else is dirty in its page cache. PostgreSQL pays one `fdatasync` of its
//! WAL. Now each commit's batch is also encoded as one record of this log, and durability
//! means the log is on disk; sled itself is flushed only by its own background flusher and by
//! checkpoints, which then let the log forget what sled holds.
//!
//! # Format
//!
//! Files `<store>/commit-log/<segment:016x>.log`, each a sequence of records:
//!
//! ```text
//! len:u32 BE   crc32(payload):u32 BE   payload (len bytes)
//! payload: lsn:u64 BE, then per write: 0x01 klen:u32 key vlen:u32 value  (put)
//!                                       0x02 klen:u32 key                 (remove)
//! ```
//!
//! The LSN (log sequence number) is the batch's apply order, persistent across restarts:
//! every batch also writes its LSN under `COMMIT_LSN_KEY`, atomically with its other writes.
//!
//! # Recovery
//!
//! sled recovers an atomic prefix of the batches it applied: exactly those up to the LSN it
//! stores under `COMMIT_LSN_KEY`. `recover` replays, in order, every logged record with a
//! higher LSN, which rebuilds the state as of the last record on disk. A record at or below
//! sled's LSN is skipped: replaying it would roll back keys later batches changed. A record
//! cut short by a crash (bad length or checksum) ends the last segment; anywhere else it is
//! corruption and the store refuses to open.
//!
//! # To ensure correctness
//!
//! - Records are appended (to the in-memory tail) under the commit gate, right after their
//!   batch is applied (a large commit: right before it is written key by key, once the record
//!   is durable), so log order is apply order.
//! - A commit is durable once the record is written and `fdatasync`ed; a failed write or sync
//!   poisons the log (every later commit fails) rather than leave a hole in it.
//! - A segment is deleted only after a checkpoint made sled durable past its last LSN.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use crate::error::{Error, Result};

use super::commit::fsync_dir;

/// Where each batch stores its LSN (in `keys::META_PREFIX`; no counter bears this name).
pub(super) const COMMIT_LSN_KEY: &[u8] = &[0x01, b'm', b'c', b'o', b'm', b'm', b'i', b't', b'-', b'l', b's', b'n'];

/// A segment this large is retired at its next sync, to be deleted after a checkpoint.
const SEGMENT_BYTES: u64 = 64 << 20;

const PUT: u8 = 0x01;
const REMOVE: u8 = 0x02;
const HEADER: usize = 8;

/// One record being encoded (under the commit gate).
pub(super) struct Record {
    payload: Vec<u8>,
}

impl Record {
    pub(super) fn new(lsn: u64) -> Record {
        let mut payload = Vec::with_capacity(256);
        payload.extend_from_slice(&lsn.to_be_bytes());
        Record { payload }
    }

    pub(super) fn put(&mut self, key: &[u8], value: &[u8]) {
        self.payload.push(PUT);
        push_bytes(&mut self.payload, key);
        push_bytes(&mut self.payload, value);
    }

    pub(super) fn remove(&mut self, key: &[u8]) {
        self.payload.push(REMOVE);
        push_bytes(&mut self.payload, key);
    }
}

fn push_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    // Keys and values are far below 4 GiB (sled's own limit); a larger one fails the encode.
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// One write of a replayed record.
pub(super) enum Op<'a> {
    Put(&'a [u8], &'a [u8]),
    Remove(&'a [u8]),
}

/// The log of one store.
pub(super) struct CommitLog {
    dir: PathBuf,
    /// Encoded records not yet written, and the LSN of the last one.
    tail: Mutex<Tail>,
    /// The segment being written; held by the one writer (a group-commit leader).
    writer: Mutex<Writer>,
}

struct Tail {
    bytes: Vec<u8>,
    last_lsn: u64,
    /// Set by a failed write or sync: the log may have lost records, so nothing more commits.
    failed: Option<String>,
}

struct Writer {
    file: File,
    number: u64,
    len: u64,
    /// The highest LSN written and synced.
    synced_lsn: u64,
    /// Full segments: (number, highest LSN in it), deleted by the next checkpoint.
    retired: Vec<(u64, u64)>,
}

fn segment_path(dir: &Path, number: u64) -> PathBuf {
    dir.join(format!("{number:016x}.log"))
}

/// The segment numbers present in `dir`, ascending.
fn segments(dir: &Path) -> Result<Vec<u64>> {
    let mut numbers = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if let Some(number) = name.strip_suffix(".log").and_then(|n| u64::from_str_radix(n, 16).ok()) {
            numbers.push(number);
        }
    }
    numbers.sort_unstable();
    Ok(numbers)
}

impl CommitLog {
    /// Replays into `apply` every record of the log in `dir` whose LSN is above `applied_lsn`,
    /// in order, and returns the highest LSN seen (at least `applied_lsn`). The caller makes
    /// the replayed state durable, then calls `open`, which starts a fresh segment and
    /// deletes the replayed ones.
    pub(super) fn recover(
        dir: &Path,
        applied_lsn: u64,
        mut apply: impl FnMut(u64, &mut dyn Iterator<Item = Result<Op<'_>>>) -> Result<()>,
    ) -> Result<u64> {
        std::fs::create_dir_all(dir)?;
        let numbers = segments(dir)?;
        let mut last = applied_lsn;
        for (i, &number) in numbers.iter().enumerate() {
            let path = segment_path(dir, number);
            let mut bytes = Vec::new();
            File::open(&path)?.read_to_end(&mut bytes)?;
            let mut at = 0usize;
            while at < bytes.len() {
                let Some(payload) = record_at(&bytes, at) else {
                    if i + 1 == numbers.len() {
                        break; // the tail of the last segment, cut short by a crash
                    }
                    return Err(Error::corrupted(
                        format!("commit log {} at byte {at}", path.display()),
                        "record length or checksum mismatch before the end of the log",
                    ));
                };
                at += HEADER + payload.len();
                let corrupt = || Error::corrupted(format!("commit log {}", path.display()), "malformed record");
                let lsn = u64::from_be_bytes(
                    payload
                        .get(..8)
                        .ok_or_else(corrupt)?
                        .try_into()
                        .map_err(|_| corrupt())?,
                );
                if lsn <= last {
                    continue;
                }
                let mut ops = Ops {
                    rest: &payload[8..],
                    what: &path,
                };
                apply(lsn, &mut ops)?;
                last = lsn;
            }
        }
        Ok(last)
    }

    /// Opens the log for appending after `recover`: a fresh segment, the old ones deleted
    /// (their records are in sled, made durable by the caller).
    pub(super) fn open(dir: &Path, last_lsn: u64) -> Result<CommitLog> {
        let old = segments(dir)?;
        let number = old.last().map_or(1, |n| n + 1);
        let file = create_segment(dir, number)?;
        for n in old {
            std::fs::remove_file(segment_path(dir, n))?;
        }
        Ok(CommitLog {
            dir: dir.to_path_buf(),
            tail: Mutex::new(Tail {
                bytes: Vec::new(),
                last_lsn,
                failed: None,
            }),
            writer: Mutex::new(Writer {
                file,
                number,
                len: 0,
                synced_lsn: last_lsn,
                retired: Vec::new(),
            }),
        })
    }

    /// Fails if an earlier write or sync failed (the log may have a hole).
    pub(super) fn check(&self) -> Result<()> {
        match &self.tail.lock().failed {
            Some(why) => Err(Error::Io(format!("the commit log failed earlier: {why}"))),
            None => Ok(()),
        }
    }

    /// Stops every later commit: the log and sled may disagree until the store is reopened.
    pub(super) fn fail(&self, why: &str) {
        self.tail.lock().failed = Some(why.to_string());
    }

    /// Appends a record of an applied batch (under the commit gate, in LSN order).
    pub(super) fn append(&self, lsn: u64, record: Record) {
        let mut tail = self.tail.lock();
        let payload = record.payload;
        tail.bytes.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        tail.bytes.extend_from_slice(&crc32fast::hash(&payload).to_be_bytes());
        tail.bytes.extend_from_slice(&payload);
        tail.last_lsn = lsn;
    }

    /// Writes every appended record and fdatasyncs it; returns the highest LSN now durable.
    /// One caller at a time does the work (the group-commit leader); others wait on `writer`.
    pub(super) fn sync(&self) -> Result<u64> {
        let mut writer = self.writer.lock();
        let (bytes, last_lsn) = {
            let mut tail = self.tail.lock();
            if let Some(why) = &tail.failed {
                return Err(Error::Io(format!("the commit log failed earlier: {why}")));
            }
            (std::mem::take(&mut tail.bytes), tail.last_lsn)
        };
        if bytes.is_empty() {
            return Ok(writer.synced_lsn);
        }
        let written = writer.file.write_all(&bytes).and_then(|()| writer.file.sync_data());
        if let Err(e) = written {
            self.tail.lock().failed = Some(e.to_string());
            return Err(e.into());
        }
        writer.len += bytes.len() as u64;
        writer.synced_lsn = last_lsn;
        if writer.len >= SEGMENT_BYTES {
            let next = writer.number + 1;
            match create_segment(&self.dir, next) {
                Ok(file) => {
                    let full = (writer.number, last_lsn);
                    writer.retired.push(full);
                    writer.file = file;
                    writer.number = next;
                    writer.len = 0;
                }
                // The records are durable; the segment just grows until a later try works.
                Err(e) => tracing::warn!("could not start a new commit log segment: {e}"),
            }
        }
        Ok(last_lsn)
    }

    /// Whether the log holds bytes a checkpoint could free (retired segments).
    pub(super) fn has_retired(&self) -> bool {
        !self.writer.lock().retired.is_empty()
    }

    /// Deletes the retired segments whose records are all at or below `durable_lsn`, the LSN
    /// sled was made durable past by a checkpoint.
    pub(super) fn forget_through(&self, durable_lsn: u64) -> Result<()> {
        let done: Vec<u64> = {
            let mut writer = self.writer.lock();
            let (done, keep): (Vec<_>, Vec<_>) = writer.retired.iter().partition(|(_, last)| *last <= durable_lsn);
            writer.retired = keep;
            done.into_iter().map(|(n, _)| n).collect()
        };
        for n in done {
            std::fs::remove_file(segment_path(&self.dir, n))?;
        }
        Ok(())
    }

    /// The highest LSN appended so far.
    pub(super) fn last_lsn(&self) -> u64 {
        self.tail.lock().last_lsn
    }
}

/// Creates segment `number` and makes its directory entry durable.
fn create_segment(dir: &Path, number: u64) -> Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(segment_path(dir, number))?;
    fsync_dir(dir)?;
    Ok(file)
}

/// The payload of the record at `at`, if it is whole and its checksum holds.
fn record_at(bytes: &[u8], at: usize) -> Option<&[u8]> {
    let header = bytes.get(at..at.checked_add(HEADER)?)?;
    let len = u32::from_be_bytes(header[..4].try_into().ok()?) as usize;
    let crc = u32::from_be_bytes(header[4..].try_into().ok()?);
    let start = at + HEADER;
    let payload = bytes.get(start..start.checked_add(len)?)?;
    (len >= 8 && crc32fast::hash(payload) == crc).then_some(payload)
}

/// The writes of one replayed record.
struct Ops<'a> {
    rest: &'a [u8],
    what: &'a Path,
}

impl<'a> Ops<'a> {
    fn corrupt(&self) -> Error {
        Error::corrupted(format!("commit log {}", self.what.display()), "malformed record")
    }

    fn bytes(&mut self) -> Result<&'a [u8]> {
        let rest = self.rest;
        let len = rest.get(..4).ok_or_else(|| self.corrupt())?;
        let len = u32::from_be_bytes(len.try_into().map_err(|_| self.corrupt())?) as usize;
        let bytes = rest.get(4..4 + len).ok_or_else(|| self.corrupt())?;
        self.rest = &rest[4 + len..];
        Ok(bytes)
    }

    fn next_op(&mut self) -> Result<Op<'a>> {
        let (&kind, rest) = self.rest.split_first().ok_or_else(|| self.corrupt())?;
        self.rest = rest;
        match kind {
            PUT => {
                let key = self.bytes()?;
                let value = self.bytes()?;
                Ok(Op::Put(key, value))
            }
            REMOVE => Ok(Op::Remove(self.bytes()?)),
            _ => Err(self.corrupt()),
        }
    }
}

impl<'a> Iterator for Ops<'a> {
    type Item = Result<Op<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let op = self.next_op();
        if op.is_err() {
            self.rest = &[];
        }
        Some(op)
    }
}
