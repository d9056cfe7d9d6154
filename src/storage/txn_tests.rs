//! Tests of transactions: merged scans, write conflicts, atomic visibility, counters.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{sqlstate, Error};

use super::{Conflict, Durability, Store};

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s")).unwrap();
    (dir, store)
}

fn k(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// The pairs of a scan, leaving out the store's own bookkeeping (the commit LSN every batch
/// writes under the metadata prefix).
fn collect(iter: super::txn::PairIterFor<'_>) -> Vec<(String, String)> {
    iter.map(|r| r.unwrap())
        .filter(|(key, _)| !key.starts_with(super::keys::META_PREFIX))
        .map(|(key, value)| (String::from_utf8(key).unwrap(), String::from_utf8(value).unwrap()))
        .collect()
}

fn seed(store: &Store, pairs: &[(&str, &str)]) {
    let mut txn = store.begin();
    for (key, value) in pairs {
        txn.put(k(key), k(value), Conflict::None).unwrap();
    }
    txn.commit(Durability::Sync).unwrap();
}

#[test]
fn merge_scan_interleaves_own_writes_deletes_and_prefix_deletes() {
    let (_dir, store) = store();
    seed(
        &store,
        &[
            ("a1", "c"),
            ("a3", "c"),
            ("a5", "c"),
            ("b1", "c"),
            ("b2", "c"),
            ("c1", "c"),
        ],
    );
    let mut txn = store.begin();
    txn.put(k("a2"), k("own"), Conflict::None).unwrap();
    txn.put(k("a3"), k("own"), Conflict::Unchanged).unwrap();
    txn.delete(k("a5")).unwrap();
    txn.put(k("a6"), k("own"), Conflict::None).unwrap();
    txn.put(k("b0"), k("own-before-prefix-delete"), Conflict::None).unwrap();
    txn.delete_prefix(b"b").unwrap();
    txn.put(k("b2"), k("own-after"), Conflict::None).unwrap();
    txn.delete(k("zz")).unwrap();

    let expected: Vec<(String, String)> = [
        ("a1", "c"),
        ("a2", "own"),
        ("a3", "own"),
        ("a6", "own"),
        ("b2", "own-after"),
        ("c1", "c"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(collect(txn.scan(Bound::Unbounded, Bound::Unbounded).unwrap()), expected);
    assert_eq!(collect(txn.scan_prefix(b"a").unwrap()), expected[..4].to_vec());
    assert_eq!(collect(txn.scan_prefix(b"b").unwrap()), expected[4..5].to_vec());
    assert_eq!(
        collect(txn.scan(Bound::Excluded(b"a2"), Bound::Included(b"b2")).unwrap()),
        expected[2..5].to_vec()
    );
    assert_eq!(
        collect(txn.scan(Bound::Included(b"c"), Bound::Excluded(b"a")).unwrap()),
        vec![]
    );
    assert_eq!(txn.get(b"b1").unwrap(), None);
    assert_eq!(txn.get(b"a5").unwrap(), None);
    assert_eq!(txn.get(b"a3").unwrap(), Some(k("own")));
    assert_eq!(txn.get(b"c1").unwrap(), Some(k("c")));

    // Another transaction sees none of it until commit.
    let other = store.begin();
    assert_eq!(collect(other.scan_prefix(b"").unwrap()).len(), 6);
    txn.commit(Durability::Sync).unwrap();
    assert_eq!(
        collect(other.scan(Bound::Unbounded, Bound::Unbounded).unwrap()),
        expected
    );
}

#[test]
fn merge_scan_matches_a_model_under_random_operations() {
    let (_dir, store) = store();
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut committed: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    for round in 0..30 {
        let mut txn = store.begin();
        let mut model = committed.clone();
        for op in 0..40 {
            let key = vec![b'a' + (next() % 3) as u8, b'0' + (next() % 10) as u8];
            let prefix = [key[0]];
            match next() % 10 {
                0 => {
                    let prefix = &key[..1];
                    txn.delete_prefix(prefix).unwrap();
                    model.retain(|k, _| !k.starts_with(prefix));
                }
                1..=3 => {
                    txn.delete(key.clone()).unwrap();
                    model.remove(&key);
                }
                _ => {
                    let value = format!("{round}-{op}").into_bytes();
                    txn.put(key.clone(), value.clone(), Conflict::None).unwrap();
                    model.insert(key, value);
                }
            }
            let got: Vec<_> = txn
                .scan(Bound::Unbounded, Bound::Unbounded)
                .unwrap()
                .map(|r| r.unwrap())
                .filter(|(key, _)| !key.starts_with(super::keys::META_PREFIX))
                .collect();
            let want: Vec<_> = model.iter().map(|(a, b)| (a.clone(), b.clone())).collect();
            assert_eq!(got, want, "round {round} op {op}");
            let shared: Vec<_> = txn
                .scan_prefix_shared(&prefix)
                .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())).unwrap())
                .collect();
            let want: Vec<_> = want.into_iter().filter(|(k, _)| k.starts_with(&prefix)).collect();
            assert_eq!(shared, want, "shared scan, round {round} op {op}");
        }
        if next() % 4 == 0 {
            txn.rollback();
        } else {
            txn.commit(Durability::Async).unwrap();
            committed = model;
        }
        let fresh = store.begin();
        let got: Vec<_> = fresh
            .scan_prefix(b"")
            .unwrap()
            .map(|r| r.unwrap())
            .filter(|(key, _)| !key.starts_with(super::keys::META_PREFIX))
            .collect();
        let want: Vec<_> = committed.iter().map(|(a, b)| (a.clone(), b.clone())).collect();
        assert_eq!(got, want, "after round {round}");
    }
}

#[test]
fn second_committer_of_the_same_key_gets_serialization_failure() {
    let (_dir, store) = store();
    seed(&store, &[("row", "v0")]);
    let mut first = store.begin();
    let mut second = store.begin();
    first.put(k("row"), k("v1"), Conflict::Unchanged).unwrap();
    second.put(k("row"), k("v2"), Conflict::Unchanged).unwrap();
    first.commit(Durability::Sync).unwrap();
    let err = second.commit(Durability::Sync).unwrap_err();
    assert_eq!(err.sqlstate(), "40001");
    assert_eq!(err.message(), "could not serialize access due to concurrent update");
    assert_eq!(store.begin().get(b"row").unwrap(), Some(k("v1")));

    // A delete conflicts with a concurrent update too.
    let mut deleter = store.begin();
    deleter.delete(k("row")).unwrap();
    seed(&store, &[("row", "v3")]);
    assert_eq!(deleter.commit(Durability::Sync).unwrap_err().sqlstate(), "40001");

    // Writes with no check never conflict.
    let mut blind = store.begin();
    blind.put(k("row"), k("v4"), Conflict::None).unwrap();
    seed(&store, &[("row", "v5")]);
    blind.commit(Durability::Sync).unwrap();
    assert_eq!(store.begin().get(b"row").unwrap(), Some(k("v4")));
}

#[test]
fn must_be_absent_reports_the_given_error() {
    let (_dir, store) = store();
    let dup = || {
        Error::sql(
            sqlstate::UNIQUE_VIOLATION,
            "duplicate key value violates unique constraint \"t_pkey\"",
        )
        .with_detail("Key (id)=(1) already exists.")
    };
    let mut first = store.begin();
    let mut second = store.begin();
    first.put(k("t/1"), k("a"), Conflict::MustBeAbsent(dup())).unwrap();
    second.put(k("t/1"), k("b"), Conflict::MustBeAbsent(dup())).unwrap();
    first.commit(Durability::Sync).unwrap();
    assert_eq!(second.commit(Durability::Sync).unwrap_err(), dup());

    // Deleting then re-inserting the same key in one transaction is not a violation.
    let mut txn = store.begin();
    txn.delete(k("t/1")).unwrap();
    txn.put(k("t/1"), k("c"), Conflict::MustBeAbsent(dup())).unwrap();
    txn.commit(Durability::Sync).unwrap();
    assert_eq!(store.begin().get(b"t/1").unwrap(), Some(k("c")));

    // Nor after truncating the prefix.
    let mut txn = store.begin();
    txn.delete_prefix(b"t/").unwrap();
    txn.put(k("t/1"), k("d"), Conflict::MustBeAbsent(dup())).unwrap();
    txn.commit(Durability::Sync).unwrap();
    assert_eq!(store.begin().get(b"t/1").unwrap(), Some(k("d")));

    // A failed commit applies nothing.
    let mut txn = store.begin();
    txn.put(k("t/2"), k("x"), Conflict::None).unwrap();
    txn.put(k("t/1"), k("x"), Conflict::MustBeAbsent(dup())).unwrap();
    assert!(txn.commit(Durability::Sync).is_err());
    assert_eq!(store.begin().get(b"t/2").unwrap(), None);
}

#[test]
fn put_absent_checks_now_and_at_commit() {
    let (_dir, store) = store();
    let dup = || {
        Error::sql(
            sqlstate::UNIQUE_VIOLATION,
            "duplicate key value violates unique constraint \"u\"",
        )
    };
    seed(&store, &[("t/1", "a")]);
    // Present now: fails at once.
    let mut txn = store.begin();
    assert_eq!(txn.put_absent(k("t/1"), k("b"), dup).unwrap_err(), dup());
    // Absent when written, inserted by another transaction before commit: fails at commit.
    let mut first = store.begin();
    let mut second = store.begin();
    first.put_absent(k("t/2"), k("a"), dup).unwrap();
    second.put_absent(k("t/2"), k("b"), dup).unwrap();
    first.commit(Durability::Async).unwrap();
    assert_eq!(second.commit(Durability::Async).unwrap_err(), dup());
    assert_eq!(store.begin().get(b"t/2").unwrap(), Some(k("a")));
    // An update this transaction read is still re-checked after any other commit.
    let mut updater = store.begin();
    updater.put(k("t/1"), k("c"), Conflict::Unchanged).unwrap();
    updater.put_absent(k("t/3"), k("c"), dup).unwrap();
    seed(&store, &[("t/1", "z")]);
    assert_eq!(updater.commit(Durability::Async).unwrap_err().sqlstate(), "40001");
    // Nothing committed in between: the transaction commits.
    let mut alone = store.begin();
    alone.put_absent(k("t/3"), k("d"), dup).unwrap();
    alone.put(k("t/1"), k("d"), Conflict::Unchanged).unwrap();
    alone.commit(Durability::Async).unwrap();
    assert_eq!(store.begin().get(b"t/3").unwrap(), Some(k("d")));
}

#[test]
fn prefix_delete_removes_committed_keys_at_commit_only() {
    let (_dir, store) = store();
    seed(&store, &[("p1", "1"), ("p2", "2"), ("q1", "3")]);
    let mut txn = store.begin();
    txn.delete_prefix(b"p").unwrap();
    assert_eq!(store.begin().get(b"p1").unwrap(), Some(k("1")));
    txn.commit(Durability::Sync).unwrap();
    let after = store.begin();
    assert_eq!(
        collect(after.scan_prefix(b"").unwrap()),
        vec![("q1".to_string(), "3".to_string())]
    );
}

#[test]
fn readers_never_see_half_a_transaction() {
    let (_dir, store) = store();
    const KEYS: u32 = 20;
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let store = store.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut scans = 0u64;
            while !stop.load(Ordering::Relaxed) || scans < 50 {
                let txn = store.begin();
                let _gate = store.read_guard();
                let values: Vec<Vec<u8>> = txn.scan_prefix(b"x").unwrap().map(|r| r.unwrap().1).collect();
                assert!(
                    values.is_empty() || values.len() == KEYS as usize,
                    "saw {} keys",
                    values.len()
                );
                assert!(values.windows(2).all(|w| w[0] == w[1]), "mixed generations: {values:?}");
                scans += 1;
            }
            scans
        })
    };
    for generation in 0u32..200 {
        let mut txn = store.begin();
        for i in 0..KEYS {
            txn.put(
                format!("x{i:03}").into_bytes(),
                generation.to_be_bytes().to_vec(),
                Conflict::None,
            )
            .unwrap();
        }
        txn.commit(if generation % 2 == 0 {
            Durability::Sync
        } else {
            Durability::Async
        })
        .unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    assert!(reader.join().unwrap() >= 50);
}

#[test]
fn counters_are_unique_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s");
    let mut seen = std::collections::HashSet::new();
    {
        let store = Store::open(&path).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let store = store.clone();
                std::thread::spawn(move || (0..3000).map(|_| store.next_id(b"rows").unwrap()).collect::<Vec<_>>())
            })
            .collect();
        for t in threads {
            for id in t.join().unwrap() {
                assert!(seen.insert(id), "id {id} handed out twice");
            }
        }
        assert_eq!(store.next_id(b"other").unwrap(), 1);
    }
    let store = Store::open(&path).unwrap();
    let max = seen.iter().copied().max().unwrap();
    let after = store.next_id(b"rows").unwrap();
    assert!(after > max, "{after} not above {max}");
    assert!(store.next_id(b"other").unwrap() > 1);
}

#[test]
fn committed_data_survives_reopen_and_txn_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<super::Txn>();
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Store>();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s");
    {
        let store = Store::open(&path).unwrap();
        seed(&store, &[("a", "1"), ("b", "2")]);
        // Values large enough to be stored by sled outside its log.
        let mut txn = store.begin();
        txn.put(k("big"), vec![7u8; 3 << 20], Conflict::None).unwrap();
        txn.commit(Durability::Sync).unwrap();
        // The fsync of blob files is exercised only if sled really put the value there.
        let blobs = std::fs::read_dir(path.join("blobs")).unwrap().count();
        assert!(blobs > 0, "sled stored the large value inline");
    }
    let store = Store::open(&path).unwrap();
    let txn = store.begin();
    assert_eq!(txn.get(b"a").unwrap(), Some(k("1")));
    assert_eq!(txn.get(b"big").unwrap(), Some(vec![7u8; 3 << 20]));
}

#[test]
fn a_store_closed_a_moment_ago_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut txn = store.begin();
    txn.put(b"k".to_vec(), b"v".to_vec(), Conflict::None).unwrap();
    txn.commit(Durability::Sync).unwrap();
    let closer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        drop(store);
    });
    // Opened while the first handle still holds the directory's lock.
    let again = Store::open(dir.path()).unwrap();
    closer.join().unwrap();
    assert_eq!(again.begin().get(b"k").unwrap(), Some(b"v".to_vec()));
}
