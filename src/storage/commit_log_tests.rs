//! Tests of the commit log: record round trip, replay from a chosen LSN, torn tails, and
//! recovery of a store whose sled state is behind (or ahead of) its log.

use std::io::Write;
use std::path::Path;

use super::commit_log::{CommitLog, Op, Record};
use super::{Conflict, Durability, Store};

/// What a replay delivered: per record, its LSN and its writes (`None` value: a remove).
type Replayed = Vec<(u64, Vec<(Vec<u8>, Option<Vec<u8>>)>)>;

fn replay(dir: &Path, applied: u64) -> crate::Result<(u64, Replayed)> {
    let mut seen = Vec::new();
    let last = CommitLog::recover(dir, applied, |lsn, ops| {
        let mut writes = Vec::new();
        for op in ops {
            match op? {
                Op::Put(k, v) => writes.push((k.to_vec(), Some(v.to_vec()))),
                Op::Remove(k) => writes.push((k.to_vec(), None)),
            }
        }
        seen.push((lsn, writes));
        Ok(())
    })?;
    Ok((last, seen))
}

/// A log in `dir` holding records 1..=3: (a=1), (b=2, remove a), (c=3).
fn three_records(dir: &Path) {
    CommitLog::recover(dir, 0, |_, _| Ok(())).unwrap();
    let log = CommitLog::open(dir, 0).unwrap();
    let mut one = Record::new(1);
    one.put(b"a", b"1");
    log.append(1, one);
    let mut two = Record::new(2);
    two.put(b"b", b"2");
    two.remove(b"a");
    log.append(2, two);
    assert_eq!(log.sync().unwrap(), 2);
    let mut three = Record::new(3);
    three.put(b"c", b"");
    log.append(3, three);
    assert_eq!(log.sync().unwrap(), 3);
}

fn segment_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

#[test]
fn replay_delivers_the_records_above_the_applied_lsn_in_order() {
    let dir = tempfile::tempdir().unwrap();
    three_records(dir.path());
    let (last, all) = replay(dir.path(), 0).unwrap();
    assert_eq!(last, 3);
    assert_eq!(
        all,
        vec![
            (1, vec![(b"a".to_vec(), Some(b"1".to_vec()))]),
            (2, vec![(b"b".to_vec(), Some(b"2".to_vec())), (b"a".to_vec(), None)]),
            (3, vec![(b"c".to_vec(), Some(Vec::new()))]),
        ]
    );
    // sled already holds batches 1 and 2: only 3 is replayed.
    let (last, newer) = replay(dir.path(), 2).unwrap();
    assert_eq!((last, newer.iter().map(|r| r.0).collect::<Vec<_>>()), (3, vec![3]));
    // sled is ahead of the whole log: nothing is replayed, and its LSN stands.
    let (last, none) = replay(dir.path(), 7).unwrap();
    assert_eq!((last, none.len()), (7, 0));
}

#[test]
fn a_record_cut_short_ends_the_last_segment() {
    let dir = tempfile::tempdir().unwrap();
    three_records(dir.path());
    let files = segment_files(dir.path());
    assert_eq!(files.len(), 1);
    let len = std::fs::metadata(&files[0]).unwrap().len();
    // Cut record 3 in half, as a crash during its write would.
    let file = std::fs::OpenOptions::new().write(true).open(&files[0]).unwrap();
    file.set_len(len - 3).unwrap();
    let (last, records) = replay(dir.path(), 0).unwrap();
    assert_eq!((last, records.len()), (2, 2));
    // A flipped byte inside record 2 fails its checksum: the log ends after record 1.
    let mut bytes = std::fs::read(&files[0]).unwrap();
    // Record 1 is 27 bytes (8 of header, 19 of payload); this is 10 bytes into record 2's payload.
    let at = 27 + 8 + 10;
    bytes[at] ^= 0x40;
    std::fs::write(&files[0], &bytes).unwrap();
    let (last, records) = replay(dir.path(), 0).unwrap();
    assert_eq!((last, records.len()), (1, 1));
}

#[test]
fn a_bad_record_before_the_last_segment_is_corruption() {
    let dir = tempfile::tempdir().unwrap();
    three_records(dir.path());
    let first = segment_files(dir.path()).remove(0);
    // A later segment exists, so the damage cannot be a torn tail.
    std::fs::write(dir.path().join(format!("{:016x}.log", u64::MAX - 1)), b"").unwrap();
    let mut file = std::fs::OpenOptions::new().append(true).open(first).unwrap();
    file.write_all(&[0, 0, 0, 9, 1, 2, 3, 4, 5]).unwrap();
    let err = replay(dir.path(), 0).unwrap_err();
    assert_eq!(err.sqlstate(), "XX001", "{err}");
}

fn value(store: &Store, key: &[u8]) -> Option<Vec<u8>> {
    store.begin().get(key).unwrap()
}

fn put(store: &Store, key: &[u8], value: &[u8]) {
    let mut txn = store.begin();
    txn.put(key.to_vec(), value.to_vec(), Conflict::None).unwrap();
    txn.commit(Durability::Sync).unwrap();
}

#[test]
fn a_store_behind_its_log_replays_the_missing_commits() {
    let dir = tempfile::tempdir().unwrap();
    let (path, behind) = (dir.path().join("s"), dir.path().join("behind"));
    {
        let store = Store::open(&path).unwrap();
        put(&store, b"k", b"first");
        store.sync().unwrap();
    }
    // A copy of the store as of "first": what sled holds if it never wrote what follows.
    copy_dir(&path, &behind);
    {
        let store = Store::open(&path).unwrap();
        put(&store, b"k", b"second");
        put(&store, b"other", b"x");
    }
    // The log of the later commits, beside the older sled state.
    copy_log(&path, &behind);
    let store = Store::open(&behind).unwrap();
    assert_eq!(value(&store, b"k"), Some(b"second".to_vec()));
    assert_eq!(value(&store, b"other"), Some(b"x".to_vec()));
    // Replay made them durable in sled and cleared the log: a second open agrees.
    drop(store);
    let store = Store::open(&behind).unwrap();
    assert_eq!(value(&store, b"k"), Some(b"second".to_vec()));
}

#[test]
fn records_sled_already_holds_are_not_replayed_over_later_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s");
    {
        let store = Store::open(&path).unwrap();
        put(&store, b"k", b"logged");
        // A write outside any transaction (as a repair tool makes), after the logged one.
        store.raw_put(b"k", Some(b"repaired")).unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(value(&store, b"k"), Some(b"repaired".to_vec()));
    // LSNs continue above the recovered ones: a new commit is not mistaken for an old one.
    put(&store, b"k", b"after");
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(value(&store, b"k"), Some(b"after".to_vec()));
}

/// Puts the commit log segments of store `from` into store `to`.
fn copy_log(from: &Path, to: &Path) {
    for file in segment_files(&from.join("commit-log")) {
        std::fs::copy(&file, to.join("commit-log").join(file.file_name().unwrap())).unwrap();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_commit_written_key_by_key_is_whole_after_commit_and_after_replay() {
    let dir = tempfile::tempdir().unwrap();
    let (path, behind) = (dir.path().join("s"), dir.path().join("behind"));
    let keys = 20_000u32;
    {
        let store = Store::open(&path).unwrap();
        put(&store, b"before", b"1");
        store.sync().unwrap();
    }
    copy_dir(&path, &behind);
    {
        let store = Store::open(&path).unwrap();
        let mut txn = store.begin();
        for i in 0..keys {
            txn.put(
                format!("big/{i:06}").into_bytes(),
                i.to_be_bytes().to_vec(),
                Conflict::None,
            )
            .unwrap();
        }
        txn.delete(b"before".to_vec()).unwrap();
        txn.commit(Durability::Sync).unwrap();
        let got: Vec<_> = store
            .begin()
            .scan_prefix(b"big/")
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(got.len(), keys as usize);
        assert_eq!(value(&store, b"before"), None);
    }
    copy_log(&path, &behind);
    let store = Store::open(&behind).unwrap();
    let got: Vec<_> = store
        .begin()
        .scan_prefix(b"big/")
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(got.len(), keys as usize);
    assert_eq!(got[1234], (b"big/001234".to_vec(), 1234u32.to_be_bytes().to_vec()));
    assert_eq!(value(&store, b"before"), None);
}
