//! Commit throughput of the storage layer: single-key `Durability::Sync` transactions with 1
//! and with 8 threads (group commit lets concurrent committers share fsyncs), and rows/s of
//! 1000-row transactions. Prints figures; asserts nothing about time.
//!
//! `cargo bench --bench storage_throughput` (`VELLUM_BENCH_SECS` sets seconds per figure, default 3)

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vellum::storage::{Conflict, Durability, Store};

fn single_key_commits(store: &Store, threads: u64, run: Duration) -> f64 {
    let counter = Arc::new(AtomicU64::new(0));
    let began = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let store = store.clone();
            let counter = counter.clone();
            std::thread::spawn(move || {
                let mut i = 0u64;
                while began.elapsed() < run {
                    let mut txn = store.begin();
                    let key = format!("s{threads}/{t}/{i:010}").into_bytes();
                    txn.put(key, vec![7u8; 100], Conflict::None).expect("put");
                    txn.commit(Durability::Sync).expect("commit");
                    i += 1;
                }
                counter.fetch_add(i, Ordering::Relaxed);
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    counter.load(Ordering::Relaxed) as f64 / began.elapsed().as_secs_f64()
}

fn batch_rows(store: &Store, durability: Durability, run: Duration) -> f64 {
    let began = Instant::now();
    let mut rows = 0u64;
    while began.elapsed() < run {
        let mut txn = store.begin();
        for _ in 0..1000 {
            let id = store.next_id(b"bench_rows").expect("id");
            let mut key = vellum::storage::keys::table_prefix(1);
            key.extend_from_slice(&id.to_be_bytes());
            txn.put(key, vec![3u8; 100], Conflict::None).expect("put");
        }
        txn.commit(durability).expect("commit");
        rows += 1000;
    }
    rows as f64 / began.elapsed().as_secs_f64()
}

fn main() {
    let secs: u64 = std::env::var("VELLUM_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let run = Duration::from_secs(secs);
    let dir = std::env::temp_dir().join(format!("vellum-throughput-{}", std::process::id()));
    let store = Store::open(&dir).expect("open");
    println!(
        "single-key Sync commits, 1 thread:  {:>9.0} txn/s",
        single_key_commits(&store, 1, run)
    );
    println!(
        "single-key Sync commits, 8 threads: {:>9.0} txn/s",
        single_key_commits(&store, 8, run)
    );
    println!(
        "1000-row Sync transactions:         {:>9.0} rows/s",
        batch_rows(&store, Durability::Sync, run)
    );
    println!(
        "1000-row Async transactions:        {:>9.0} rows/s",
        batch_rows(&store, Durability::Async, run)
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
