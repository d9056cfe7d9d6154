//! The background sealer: a thread owned by the `Database` that seals pending rows older than
//! their table's `block_seal_interval`, without any client action.
//!
//! It needs no catalog: every chain tip (0x23) carries its table's interval, the commit time
//! of its oldest pending row and its last block id. Each round it reads the tips and, for
//! every table whose oldest pending row is due, commits a transaction asking for a seal up
//! to the next block (`Txn::chain_seal`), which the commit hook performs under the commit
//! gate — so it never races with inserters, and a seal that another commit already did is
//! not repeated. The thread holds only a `Store` handle and stops (and is joined) when the
//! `Sealer` is dropped with the database, before the store closes.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::Result;
use crate::storage::keys::CHAIN_TIP_TAG;
use crate::storage::{Durability, Store};

use super::chain::{now_micros, Tip};

/// How often the sealer looks at the tips when nothing is due sooner.
const MAX_NAP: Duration = Duration::from_millis(250);

/// The running sealer thread; dropping it stops the thread and waits for it.
pub struct Sealer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Sealer {
    /// Starts sealing the chains of `store` by age.
    pub fn start(store: Store) -> Result<Sealer> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("vellum-sealer".into())
            .spawn(move || loop {
                let nap = match seal_due(&store) {
                    Ok(nap) => nap,
                    // A failing disk or a corrupt chain: try again later rather than spin.
                    Err(_) => MAX_NAP,
                };
                match stopped.recv_timeout(nap) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
            })?;
        Ok(Sealer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Sealer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Seals every chain whose oldest pending row is due; returns how long to wait before the
/// next look.
fn seal_due(store: &Store) -> Result<Duration> {
    let now = now_micros();
    let mut nap = MAX_NAP;
    let mut txn = store.begin();
    for (key, value) in store.raw_scan_prefix(&[CHAIN_TIP_TAG])? {
        let (Some(table_id), Ok(tip)) = (table_of(&key), Tip::decode(&value)) else {
            continue;
        };
        if tip.pending() == 0 || tip.seal_interval <= 0 {
            continue;
        }
        let due_at = tip.oldest_pending.saturating_add(tip.seal_interval);
        // An encrypted table without its master key cannot be sealed; it must not hold back
        // the others sealed in this transaction.
        if due_at <= now && !super::at_rest::writable(&txn, table_id) {
            continue;
        }
        if due_at <= now {
            txn.chain_seal(table_id, tip.last_block_id + 1);
        } else {
            let wait = u64::try_from(due_at - now).unwrap_or(0);
            nap = nap.min(Duration::from_micros(wait));
        }
    }
    txn.commit(Durability::Sync)?;
    Ok(nap)
}

/// The table id of a tip key (`0x23 table_id:u32`).
fn table_of(key: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(key.get(1..5)?.try_into().ok()?)).filter(|_| key.len() == 5)
}
