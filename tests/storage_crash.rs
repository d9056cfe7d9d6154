//! Crash safety of `Durability::Sync`: a child process commits numbered multi-key transactions
//! and acknowledges each on stdout only after `commit` returned; the parent kills it with
//! SIGKILL at random moments, reopens the store and checks that every acknowledged transaction
//! is present in full and that no transaction is present in part. Several rounds share one
//! directory, so recovery after recovery is exercised too.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use vellum::storage::{Conflict, Durability, Store};

const TEST_NAME: &str = "sync_commits_survive_sigkill";
const DIR_VAR: &str = "VELLUM_CRASH_CHILD_DIR";
const START_VAR: &str = "VELLUM_CRASH_CHILD_START";
/// Keys written by every transaction.
const KEYS_PER_TXN: u64 = 4;
/// Committing threads in the child: group commit is under test too.
const THREADS: u64 = 3;
const ROUNDS: usize = 10;

/// The value of key `j` of transaction `n`: self-describing, and now and then larger than
/// sled's log segments allow inline, so blob files are covered as well.
fn value_of(n: u64, j: u64) -> Vec<u8> {
    let len = if n % 37 == 5 && j == 0 {
        200_000
    } else {
        16 + ((n * 7 + j * 13) % 300) as usize
    };
    let mut v = format!("{n}:{j}:").into_bytes();
    v.extend((0..len).map(|i| ((n as usize + i) % 251) as u8));
    v
}

fn txn_key(n: u64, j: u64) -> Vec<u8> {
    format!("t/{n:012}/{j}").into_bytes()
}

fn thread_key(t: u64) -> Vec<u8> {
    format!("c/{t}").into_bytes()
}

fn run_child(dir: &Path, start: u64) -> ! {
    let store = Store::open(dir).expect("child opens the store");
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(20);
                let mut k = 0;
                while Instant::now() < deadline {
                    let n = start + k * THREADS + t;
                    k += 1;
                    let mut txn = store.begin();
                    for j in 0..KEYS_PER_TXN {
                        txn.put(
                            txn_key(n, j),
                            value_of(n, j),
                            Conflict::MustBeAbsent(vellum::Error::bug("dup")),
                        )
                        .expect("put");
                    }
                    // An overwrite in the same batch: the thread's latest transaction number.
                    txn.put(thread_key(t), n.to_be_bytes().to_vec(), Conflict::Unchanged)
                        .expect("put");
                    txn.commit(Durability::Sync).expect("commit");
                    println!("ACK {n}");
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    std::process::exit(0)
}

/// Reads the store back: transaction number → the set of its keys present (verified values).
fn verify(dir: &Path, acknowledged: &BTreeSet<u64>) -> u64 {
    let store = Store::open(dir).expect("reopen after crash");
    let txn = store.begin();
    let mut present: BTreeMap<u64, u64> = BTreeMap::new();
    for pair in txn.scan_prefix(b"t/").expect("scan") {
        let (key, value) = pair.expect("scan item");
        let key = String::from_utf8(key).expect("utf8 key");
        let mut parts = key.trim_start_matches("t/").split('/');
        let n: u64 = parts.next().and_then(|p| p.parse().ok()).expect("txn number");
        let j: u64 = parts.next().and_then(|p| p.parse().ok()).expect("key number");
        assert_eq!(value, value_of(n, j), "value of {key}");
        *present.entry(n).or_default() += 1;
    }
    for (n, count) in &present {
        assert_eq!(*count, KEYS_PER_TXN, "transaction {n} is present in part");
    }
    for n in acknowledged {
        assert!(present.contains_key(n), "acknowledged transaction {n} lost");
    }
    for t in 0..THREADS {
        if let Some(v) = txn.get(&thread_key(t)).expect("get") {
            let last = u64::from_be_bytes(v.as_slice().try_into().expect("8 bytes"));
            assert!(
                present.contains_key(&last),
                "thread key names missing transaction {last}"
            );
            let newest = present.keys().filter(|n| *n % THREADS == t % THREADS).max();
            assert_eq!(
                newest,
                Some(&last),
                "thread key not from the same batch as its newest rows"
            );
        }
    }
    present.keys().next_back().copied().unwrap_or(0)
}

#[test]
fn sync_commits_survive_sigkill() {
    if let Ok(dir) = std::env::var(DIR_VAR) {
        let start = std::env::var(START_VAR).ok().and_then(|s| s.parse().ok()).unwrap_or(1);
        run_child(Path::new(&dir), start);
    }
    let began = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let mut seed = began.elapsed().as_nanos() as u64 ^ 0x9E37_79B9_7F4A_7C15 ^ u64::from(std::process::id());
    let mut random = move |bound: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % bound
    };
    let mut acknowledged = BTreeSet::new();
    let mut next_start = 1;
    for round in 0..ROUNDS {
        // Each round continues above everything present, keeping numbers (and thread
        // residues) distinct across rounds.
        let start = (next_start / THREADS + 1) * THREADS;
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
            .env(DIR_VAR, &dir)
            .env(START_VAR, start.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(n) = line.strip_prefix("ACK ").and_then(|n| n.parse::<u64>().ok()) {
                    if tx.send(n).is_err() {
                        break;
                    }
                }
            }
        });
        // Let some commits through, then kill at a random moment.
        let first = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("child acknowledged nothing");
        acknowledged.insert(first);
        std::thread::sleep(Duration::from_millis(random(400)));
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        let before = acknowledged.len();
        acknowledged.extend(rx.try_iter());
        let newest = verify(&dir, &acknowledged);
        eprintln!(
            "round {round}: {} acknowledged, newest present {newest}",
            acknowledged.len() - before + 1
        );
        next_start = newest.max(next_start);
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "crash test overran its time box"
        );
    }
}
