//! Reading a blockchain table's committed rows from its chain, the only place their bytes are
//! stored (chain format version 2, `chain.rs`): by seq for lookups that came through a 0x10
//! key, and in chain order for full scans.
//!
//! A [`ChainRows`] lives for one statement (the caller holds the read gate, so headers, bodies
//! and pending batches do not move under it): it maps seqs to blocks from the headers' row
//! counts, keeps the bodies it read (lookups by key in insertion order hit the same body again
//! and again) and the pending rows. Rows the reading transaction inserted and has not committed
//! are not in the chain; callers take them from the 0x10 value itself.
//!
//! A [`ChainCache`] (one per database) keeps what never changes once sealed across statements:
//! each table's block starts and the bodies read last, so a point SELECT reads the tip and no
//! header or body it has seen before. Only committed, sealed blocks enter it, and every reader
//! holding the read gate sees the same committed chain, so its contents are what any statement
//! would read itself. A purge, which removes blocks, clears its table's entries when it commits
//! (`LedgerHook`, under the commit gate, so no reader sees the purged chain with stale starts).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::storage::Txn;

use super::block::BlockType;
use super::body::body_row_ranges;
use super::chain::{read_body, read_headers, read_headers_from, read_pending, read_tip};

/// Bodies kept per statement and table; beyond, the cache starts over (a scan in key order
/// that jumps between blocks re-reads bodies instead of holding the whole table).
const BODY_CACHE: usize = 32;

/// Bodies the shared cache keeps, all tables together (about 100 KB each with 1000 rows).
const SHARED_BODIES: usize = 64;

/// `(first seq, block id)` of each data block of a table, ascending.
type Starts = Vec<(u64, u64)>;

/// What a database keeps of its chains across statements (module docs).
#[derive(Default)]
pub struct ChainCache {
    /// Per table: `(first seq, block id)` of each data block, and the last block id covered.
    starts: Mutex<HashMap<u32, (Starts, u64)>>,
    /// Recently read bodies by (table, block id).
    bodies: Mutex<HashMap<(u32, u64), Arc<Body>>>,
}

impl ChainCache {
    /// Drops everything kept of `table_id` (its sealed blocks changed: a purge committed).
    pub fn forget(&self, table_id: u32) {
        self.starts.lock().remove(&table_id);
        self.bodies.lock().retain(|(table, _), _| *table != table_id);
    }

    /// The block starts of `table_id` up to `last_block_id`, reading only headers not seen yet.
    fn starts(&self, txn: &Txn, table_id: u32, last_block_id: u64) -> Result<Starts> {
        let cached = self.starts.lock().get(&table_id).cloned();
        let (mut starts, covered) = match cached {
            Some((starts, covered)) if covered <= last_block_id => (starts, Some(covered)),
            _ => (Vec::new(), None),
        };
        if covered == Some(last_block_id) {
            return Ok(starts);
        }
        let from = covered.map_or(0, |c| c + 1);
        extend_starts(txn, table_id, from, &mut starts)?;
        self.starts.lock().insert(table_id, (starts.clone(), last_block_id));
        Ok(starts)
    }

    fn body(&self, table_id: u32, block_id: u64) -> Option<Arc<Body>> {
        self.bodies.lock().get(&(table_id, block_id)).cloned()
    }

    fn keep_body(&self, table_id: u32, block_id: u64, body: Arc<Body>) {
        let mut bodies = self.bodies.lock();
        if bodies.len() >= SHARED_BODIES {
            bodies.clear();
        }
        bodies.insert((table_id, block_id), body);
    }
}

/// Appends the starts of the data blocks from `from` on (block ids ascending).
fn extend_starts(txn: &Txn, table_id: u32, from: u64, starts: &mut Starts) -> Result<()> {
    let mut next = starts.last().map_or(Ok(0), |(first, id)| {
        // The next block starts after the last cached one's rows: its header says how many.
        match super::chain::read_header(txn, table_id, *id)? {
            Some(Ok((h, _))) => Ok(first.saturating_add(h.row_count)),
            _ => Err(Error::corrupted(
                format!("block {id} of table {table_id}"),
                "its header is missing or unreadable",
            )),
        }
    })?;
    for (id, decoded) in read_headers_from(txn, table_id, from)? {
        let (header, _) = decoded?;
        if header.block_type == BlockType::Data {
            starts.push((next, id));
        }
        // An anchor counts the rows of the blocks it replaced: positions after it stay put.
        next = next.saturating_add(header.row_count);
    }
    Ok(())
}

/// A body as read, with where each row's bytes are.
struct Body {
    bytes: Vec<u8>,
    rows: Vec<Range<usize>>,
}

/// Where a seq is: sealed in a block at an index, or pending at an index of the next block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Sealed { block_id: u64, index: u64 },
    Pending { index: u64 },
}

/// One table's chain, as a statement reads rows from it.
pub struct ChainRows<'c> {
    table_id: u32,
    sealed_seq: u64,
    next_seq: u64,
    starts: Starts,
    bodies: HashMap<u64, Arc<Body>>,
    /// The pending rows' bytes, from `sealed_seq` on (read on first use).
    pending: Option<Vec<Vec<u8>>>,
    cache: Option<&'c ChainCache>,
}

impl<'c> ChainRows<'c> {
    /// The chain of `table_id` as `txn` sees it now; `cache`: the database's, if any.
    pub fn load(txn: &Txn, table_id: u32, cache: Option<&'c ChainCache>) -> Result<ChainRows<'c>> {
        let tip = read_tip(txn, table_id)?;
        let (sealed_seq, next_seq) = tip.as_ref().map_or((0, 0), |t| (t.sealed_seq, t.next_seq));
        let starts = match (cache, &tip) {
            (Some(cache), Some(tip)) => cache.starts(txn, table_id, tip.last_block_id)?,
            _ => {
                let mut starts = Vec::new();
                extend_starts(txn, table_id, 0, &mut starts)?;
                starts
            }
        };
        Ok(ChainRows {
            table_id,
            sealed_seq,
            next_seq,
            starts,
            bodies: HashMap::new(),
            pending: None,
            cache,
        })
    }

    /// Where the row with `seq` is; `None` beyond the chain.
    pub fn place(&self, seq: u64) -> Option<Place> {
        if seq >= self.next_seq {
            return None;
        }
        if seq >= self.sealed_seq {
            return Some(Place::Pending {
                index: seq - self.sealed_seq,
            });
        }
        let i = self.starts.partition_point(|(first, _)| *first <= seq);
        let (first, block_id) = i.checked_sub(1).and_then(|i| self.starts.get(i))?;
        Some(Place::Sealed {
            block_id: *block_id,
            index: seq - first,
        })
    }

    /// Runs `f` on the canonical bytes of the committed row with `seq`.
    pub fn with_row<T>(&mut self, txn: &Txn, seq: u64, f: impl FnOnce(&[u8]) -> Result<T>) -> Result<T> {
        let missing = |why: &str| {
            Error::corrupted(
                format!("row at chain position {seq} of table {}", self.table_id),
                why.to_string(),
            )
        };
        match self.place(seq).ok_or_else(|| missing("beyond the chain"))? {
            Place::Pending { index } => {
                if self.pending.is_none() {
                    let rows = read_pending(txn, self.table_id)?.into_iter().map(|e| e.row).collect();
                    self.pending = Some(rows);
                }
                let row = self
                    .pending
                    .as_ref()
                    .and_then(|rows| rows.get(usize::try_from(index).ok()?))
                    .ok_or_else(|| missing("not among the pending rows"))?;
                f(row)
            }
            Place::Sealed { block_id, index } => {
                if !self.bodies.contains_key(&block_id) {
                    let shared = self.cache.and_then(|c| c.body(self.table_id, block_id));
                    let body = match shared {
                        Some(body) => body,
                        None => {
                            let bytes = read_body(txn, self.table_id, block_id)?
                                .ok_or_else(|| missing(&format!("the body of block {block_id} is missing")))?;
                            let rows = body_row_ranges(&bytes)?;
                            let body = Arc::new(Body { bytes, rows });
                            if let Some(cache) = self.cache {
                                cache.keep_body(self.table_id, block_id, body.clone());
                            }
                            body
                        }
                    };
                    if self.bodies.len() >= BODY_CACHE {
                        self.bodies.clear();
                    }
                    self.bodies.insert(block_id, body);
                }
                let body = self
                    .bodies
                    .get(&block_id)
                    .ok_or_else(|| Error::bug("a body just cached is gone"))?;
                let range = usize::try_from(index)
                    .ok()
                    .and_then(|i| body.rows.get(i))
                    .ok_or_else(|| missing(&format!("block {block_id} has fewer rows")))?;
                let bytes = body
                    .bytes
                    .get(range.clone())
                    .ok_or_else(|| Error::bug("a body row range past the body"))?;
                f(bytes)
            }
        }
    }
}

/// Calls `f(place, row bytes)` for every committed row of `table_id` in chain order (sealed
/// blocks, then pending rows) until it returns `false`.
pub fn for_each_chained(txn: &Txn, table_id: u32, mut f: impl FnMut(Place, &[u8]) -> Result<bool>) -> Result<()> {
    for (id, decoded) in read_headers(txn, table_id)? {
        let (header, _) = decoded?;
        if header.block_type != BlockType::Data {
            continue;
        }
        let body = read_body(txn, table_id, id)?
            .ok_or_else(|| Error::corrupted(format!("block {id} of table {table_id}"), "its body is missing"))?;
        for (index, range) in body_row_ranges(&body)?.into_iter().enumerate() {
            let row = body
                .get(range)
                .ok_or_else(|| Error::bug("a body row range past the body"))?;
            let place = Place::Sealed {
                block_id: id,
                index: index as u64,
            };
            if !f(place, row)? {
                return Ok(());
            }
        }
    }
    for (index, entry) in read_pending(txn, table_id)?.into_iter().enumerate() {
        if !f(Place::Pending { index: index as u64 }, &entry.row)? {
            return Ok(());
        }
    }
    Ok(())
}
