//! Verification of a stored chain: reads headers, bodies, pending batches, the tip and the
//! table's row entries through a transaction (the caller holds the statement's read gate, so
//! the state is consistent) and feeds `verify::ChainVerifier`, which names the findings.
//!
//! Beyond the block and pending checks of `verify.rs`, this checks:
//! - the tip against what is stored (`tip_altered`; a missing last block is `block_missing`);
//! - the table's row entries (0x10) against the chain. A committed entry is the seq of its
//!   row, whose bytes only the chain holds (`chain.rs`), so what SELECT returns is what the
//!   Merkle roots cover; what remains to check is that the entries lead to the right rows:
//!   every chained row is pointed at by exactly one entry, and, for a table with a primary
//!   key, by the entry whose key is that row's key (else a lookup by key would return another
//!   row, or none). An entry pointing beyond the chain, twice at one row, from the wrong key,
//!   or a chained row no entry points at is `row_altered` with its block (`pending_altered`
//!   for a pending row); an uncommitted entry not inserted by the reading transaction is
//!   `row_altered`. When blocks are missing or unreadable the seqs cannot be trusted, and
//!   only the counts are compared (block id NULL).

use std::collections::HashSet;

use crate::catalog::{IndexDef, TableDef};
use crate::error::{Error, Result};
use crate::storage::keys::{encode_key, table_prefix};
use crate::storage::row::decode_columns;
use crate::storage::Txn;
use crate::types::Value;

use super::anchor::AnchorRecord;
use super::body::body_rows;
use super::chain::{
    read_body, read_header, read_headers, read_pending_batches, read_tip, stored_row, PendingEntry, StoredHeader,
    StoredRow,
};
use super::definition::definition_hash;
use super::hex::to_hex;
use super::merkle::Hash;
use super::verify::{summarize_body, BodySummary, ChainVerifier, Finding, FindingKind, StoredBlock};
use super::BlockType;

/// Every finding about `table`'s chain; empty when intact.
///
/// `own`: the row keys of rows the reading transaction itself inserted and has not
/// committed; they are in its view of the table but not in the chain yet.
pub fn verify_chain(txn: &Txn, table: &TableDef, indexes: &[IndexDef], own: &[Vec<u8>]) -> Result<Vec<Finding>> {
    let definition = definition_hash(table, indexes)?;
    // The row entries are read on their own thread while the blocks are hashed: both are
    // about as long, and independent until they are compared.
    std::thread::scope(|scope| {
        let entries = scope.spawn(|| read_entries(txn, table));
        let chain = verify_blocks(txn, table, definition);
        let entries = entries
            .join()
            .map_err(|_| Error::bug("reading a table's row entries panicked"))?;
        let (mut v, chain, aligned) = chain?;
        check_rows(&mut v, &chain, table.primary_key.is_some(), aligned, &entries?, own);
        Ok(v.findings)
    })
}

/// A row entry (0x10) as verification reads it.
enum Entry {
    Unreadable,
    Uncommitted,
    Chained(u64),
}

/// Every row entry of `table` with its key (kept only when a primary key is to be checked).
fn read_entries(txn: &Txn, table: &TableDef) -> Result<Vec<(Vec<u8>, Entry)>> {
    let keyed = table.primary_key.is_some();
    let mut out = Vec::new();
    for item in txn.scan_prefix_shared(&table_prefix(table.id)) {
        let (key, stored) = item?;
        let entry = match stored_row(stored.as_ref()) {
            Err(_) => Entry::Unreadable,
            Ok(StoredRow::Uncommitted(_)) => Entry::Uncommitted,
            Ok(StoredRow::Chained(seq)) => Entry::Chained(seq),
        };
        // Uncommitted entries are matched with the transaction's own keys.
        let key = match (&entry, keyed) {
            (Entry::Uncommitted, _) | (_, true) => key.as_ref().to_vec(),
            _ => Vec::new(),
        };
        out.push((key, entry));
    }
    Ok(out)
}

/// One position of the chain as verification saw it.
struct Slot {
    /// The sealing block (None: pending); for a purged row, the anchor that replaced its block.
    block: Option<u64>,
    /// With a primary key, the key the row must be stored under.
    key: Option<Vec<u8>>,
    /// The row was purged: no entry may point at it.
    purged: bool,
}

/// The chain's rows in seq order.
type ChainRowsSeen = Vec<Slot>;

/// Checks blocks, pending rows and the tip; returns the verifier, the chain's rows and
/// whether their seqs are certain.
fn verify_blocks(txn: &Txn, table: &TableDef, definition: Hash) -> Result<(ChainVerifier, ChainRowsSeen, bool)> {
    let mut v = ChainVerifier::new(definition);
    let keys = RowKeys::of(table);
    // The chain's rows in sequence order: sealing block (None: pending) and, with a primary
    // key, the row's key. `aligned` stays true while stored blocks and pending rows leave no
    // doubt about each row's seq.
    let mut chain: ChainRowsSeen = Vec::new();
    let mut aligned = true;
    let mut last_id: Option<u64> = None;
    let mut sealed_rows: u64 = 0;
    let headers = read_headers(txn, table.id)?;
    for window in headers.chunks(WINDOW) {
        // A body that does not open at rest (altered or moved) is unreadable, not an error.
        let mut unopened: Vec<Option<String>> = vec![None; window.len()];
        let bodies: Vec<Option<Vec<u8>>> = window
            .iter()
            .zip(unopened.iter_mut())
            .map(|((id, decoded), unopened)| match decoded {
                Ok((h, _)) if h.block_type != BlockType::Genesis => match read_body(txn, table.id, *id) {
                    Err(e @ Error::Corrupted { .. }) => {
                        *unopened = Some(e.to_string());
                        Ok(None)
                    }
                    other => other,
                },
                _ => Ok(None),
            })
            .collect::<Result<_>>()?;
        let mut summaries = summarize_all(window, &bodies, keys.as_ref());
        for (summary, unopened) in summaries.iter_mut().zip(unopened) {
            if let Some(reason) = unopened {
                *summary = Some((BodySummary::Unreadable(reason), Vec::new()));
            }
        }
        for (((id, decoded), body), summary) in window.iter().zip(&bodies).zip(summaries) {
            let id = *id;
            // An anchor stands for the blocks its record covers, and for their rows.
            let anchor = match decoded {
                Ok((h, _)) if h.block_type == BlockType::Anchor => {
                    body.as_deref().and_then(|b| AnchorRecord::decode(b).ok())
                }
                _ => None,
            };
            let first_id = anchor.as_ref().map_or(id, |r| r.first_block);
            if first_id != last_id.map_or(0, |l| l + 1) {
                aligned = false;
            }
            match (decoded, &anchor) {
                (Ok((h, _)), Some(r)) if r.purged_rows == h.row_count => {
                    chain.extend((0..r.purged_rows).map(|_| Slot {
                        block: Some(id),
                        key: None,
                        purged: true,
                    }));
                }
                (Ok((h, _)), _) if h.block_type == BlockType::Anchor => aligned = false,
                _ => {}
            }
            let (header, stored_hash) = match decoded {
                Ok((h, stored)) => (h.clone(), *stored),
                Err(e) => {
                    aligned = false;
                    v.report(
                        FindingKind::HeaderAltered,
                        Some(id),
                        format!("header of block {id} is unreadable: {e}"),
                    );
                    last_id = Some(id);
                    continue;
                }
            };
            let summary = summary.map(|(summary, row_keys)| {
                match &summary {
                    BodySummary::Hashed { leaves, .. } => {
                        let mut row_keys = row_keys.into_iter();
                        chain.extend(leaves.iter().map(|_| Slot {
                            block: Some(id),
                            key: row_keys.next().flatten(),
                            purged: false,
                        }));
                    }
                    _ => aligned = false,
                }
                summary
            });
            sealed_rows += header.row_count;
            v.block_summarized(
                StoredBlock {
                    key_id: id,
                    header,
                    stored_hash,
                    body: body.as_deref(),
                },
                summary,
            );
            last_id = Some(id);
        }
    }
    let mut pending: Vec<PendingEntry> = Vec::new();
    for (first, batch) in read_pending_batches(txn, table.id)? {
        match batch {
            Ok(entries) => pending.extend(entries),
            Err(e) => {
                aligned = false;
                v.report(
                    FindingKind::PendingAltered,
                    None,
                    format!("the pending rows stored from position {first} are unreadable: {e}"),
                );
            }
        }
    }
    for p in &pending {
        if p.seq != chain.len() as u64 {
            aligned = false;
        }
        chain.push(Slot {
            block: None,
            key: keys.as_ref().and_then(|k| k.of_row(&p.row)),
            purged: false,
        });
    }
    let last_running = pending.last().map(|p| p.running).unwrap_or(v.tip());
    v.pending(pending.iter().map(|p| (p.seq, p.leaf, p.running, p.row.as_slice())));
    v.finish_anchors();
    check_tip(txn, table, &mut v, last_id, sealed_rows, &pending, last_running);
    Ok((v, chain, aligned))
}

/// Computes the primary-key entry key (0x10) a chained row must be stored under.
struct RowKeys {
    table_id: u32,
    columns: Vec<usize>,
    wanted: Vec<bool>,
}

impl RowKeys {
    /// `None` for a table without a primary key (its entries are keyed by row id).
    fn of(table: &TableDef) -> Option<RowKeys> {
        let columns = table.primary_key.clone()?;
        let mut wanted = vec![false; table.columns.len()];
        for c in &columns {
            *wanted.get_mut(*c)? = true;
        }
        Some(RowKeys {
            table_id: table.id,
            columns,
            wanted,
        })
    }

    /// The key of the row with these canonical bytes; `None` when they do not decode.
    fn of_row(&self, row: &[u8]) -> Option<Vec<u8>> {
        let values = decode_columns(row, &self.wanted).ok()?;
        let key: Vec<Value> = self
            .columns
            .iter()
            .map(|c| values.get(*c).cloned())
            .collect::<Option<_>>()?;
        let mut out = table_prefix(self.table_id);
        encode_key(&key, &mut out).ok()?;
        Some(out)
    }
}

/// Blocks read and hashed together: bounds the bodies held in memory at once.
const WINDOW: usize = 128;

/// A data block's body summary and, with a primary key, each row's key.
type Summarized = (BodySummary, Vec<Option<Vec<u8>>>);

/// The body summaries of a window of blocks (`None` for blocks without rows), hashed on all
/// cores: hashing is the bulk of verification and blocks are independent.
fn summarize_all(
    window: &[StoredHeader],
    bodies: &[Option<Vec<u8>>],
    keys: Option<&RowKeys>,
) -> Vec<Option<Summarized>> {
    let mut out: Vec<Option<Summarized>> = Vec::new();
    out.resize_with(window.len(), || None);
    if window.is_empty() {
        return out;
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, window.len());
    let chunk = window.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for ((headers, bodies), slots) in window
            .chunks(chunk)
            .zip(bodies.chunks(chunk))
            .zip(out.chunks_mut(chunk))
        {
            scope.spawn(move || {
                for (((_, decoded), body), slot) in headers.iter().zip(bodies).zip(slots.iter_mut()) {
                    if matches!(decoded, Ok((h, _)) if h.block_type == BlockType::Data) {
                        let summary = summarize_body(body.as_deref());
                        let row_keys = match (keys, body.as_deref().map(body_rows)) {
                            (Some(keys), Some(Ok(rows))) => rows.into_iter().map(|r| keys.of_row(r)).collect(),
                            _ => Vec::new(),
                        };
                        *slot = Some((summary, row_keys));
                    }
                }
            });
        }
    });
    out
}

/// The tip against what is stored.
fn check_tip(
    txn: &Txn,
    table: &TableDef,
    v: &mut ChainVerifier,
    last_id: Option<u64>,
    sealed_rows: u64,
    pending: &[PendingEntry],
    last_running: Hash,
) {
    match read_tip(txn, table.id) {
        Ok(Some(tip)) => {
            if last_id.is_none_or(|id| id < tip.last_block_id) {
                let from = last_id.map_or(0, |id| id + 1);
                for missing in from..=tip.last_block_id.min(from.saturating_add(1000)) {
                    v.report(
                        FindingKind::BlockMissing,
                        Some(missing),
                        format!("block {missing} is missing"),
                    );
                }
            } else if last_id != Some(tip.last_block_id) || tip.last_block_hash != v.tip() {
                v.report(
                    FindingKind::TipAltered,
                    None,
                    format!(
                        "the chain tip names block {} ({}), the last stored block is {} ({})",
                        tip.last_block_id,
                        to_hex(&tip.last_block_hash),
                        last_id.unwrap_or(0),
                        to_hex(&v.tip())
                    ),
                );
            }
            let seqs_ok = pending
                .iter()
                .enumerate()
                .all(|(i, p)| p.seq == tip.sealed_seq + i as u64);
            if tip.sealed_seq != sealed_rows
                || tip.pending() != pending.len() as u64
                || !seqs_ok
                || tip.running_hash != last_running
            {
                v.report(
                    FindingKind::TipAltered,
                    None,
                    format!(
                        "the chain tip counts {} sealed and {} pending rows; {} sealed and {} pending are stored",
                        tip.sealed_seq,
                        tip.pending(),
                        sealed_rows,
                        pending.len()
                    ),
                );
            }
        }
        Ok(None) => v.report(FindingKind::TipAltered, None, "the chain tip is missing".into()),
        Err(e) => v.report(
            FindingKind::TipAltered,
            None,
            format!("the chain tip is unreadable: {e}"),
        ),
    }
}

/// At most this many findings about single table rows; a summary follows beyond.
const MAX_ROW_FINDINGS: usize = 100;

/// The table's row entries (0x10) against the chain (module docs). `chain`: per seq, the
/// sealing block (None: pending) and, when `keyed`, the key the row must be stored under.
fn check_rows(
    v: &mut ChainVerifier,
    chain: &[Slot],
    keyed: bool,
    aligned: bool,
    entries: &[(Vec<u8>, Entry)],
    own: &[Vec<u8>],
) {
    let own: HashSet<&[u8]> = own.iter().map(Vec::as_slice).collect();
    let mut claimed: Vec<bool> = chain.iter().map(|s| s.purged).collect();
    let mut reported = 0usize;
    let mut report = |v: &mut ChainVerifier, kind: FindingKind, block: Option<u64>, detail: String| {
        reported += 1;
        if reported <= MAX_ROW_FINDINGS {
            v.report(kind, block, detail);
        }
    };
    let kind_of = |block: &Option<u64>| match block {
        Some(_) => FindingKind::RowAltered,
        None => FindingKind::PendingAltered,
    };
    let mut count = 0usize;
    for (key, entry) in entries {
        let key = key.as_slice();
        let seq = match entry {
            Entry::Unreadable => {
                report(
                    v,
                    FindingKind::RowAltered,
                    None,
                    "a stored table row entry is unreadable".into(),
                );
                continue;
            }
            Entry::Uncommitted => {
                if !own.contains(key) {
                    report(
                        v,
                        FindingKind::RowAltered,
                        None,
                        "a stored table row is in no block and no open transaction inserted it".into(),
                    );
                }
                continue;
            }
            Entry::Chained(seq) => *seq,
        };
        count += 1;
        if !aligned {
            continue;
        }
        let Some(i) = usize::try_from(seq).ok().filter(|i| *i < chain.len()) else {
            report(
                v,
                FindingKind::RowAltered,
                None,
                format!("a table row entry points at chain position {seq}, beyond the chain"),
            );
            continue;
        };
        let Slot {
            block,
            key: row_key,
            purged,
        } = &chain[i];
        if *purged {
            report(
                v,
                FindingKind::RowAltered,
                *block,
                format!(
                    "a table row entry points at position {seq}, a row purged under anchor {}",
                    block.unwrap_or(0)
                ),
            );
            continue;
        }
        if claimed[i] {
            report(
                v,
                kind_of(block),
                *block,
                format!("two table row entries point at the chained row at position {seq}"),
            );
        } else if keyed && row_key.as_deref() != Some(key) {
            report(
                v,
                kind_of(block),
                *block,
                format!("the chained row at position {seq} is pointed at from another row's key"),
            );
        }
        claimed[i] = true;
    }
    if aligned {
        for (i, Slot { block, .. }) in chain.iter().enumerate() {
            if !claimed[i] {
                report(
                    v,
                    kind_of(block),
                    *block,
                    format!("no table row entry points at the chained row at position {i}"),
                );
            }
        }
    } else if count != chain.iter().filter(|s| !s.purged).count() {
        report(
            v,
            FindingKind::RowAltered,
            None,
            format!("{count} table row entries for {} chained rows", chain.len()),
        );
    }
    if reported > MAX_ROW_FINDINGS {
        v.report(
            FindingKind::RowAltered,
            None,
            format!(
                "{} more table row entries differ from the chain",
                reported - MAX_ROW_FINDINGS
            ),
        );
    }
}

/// The hash the block after stored block `id` links to: its hash, or for an anchor the
/// last purged block's; `None` when it is missing or unreadable.
fn link_of(txn: &Txn, table_id: u32, id: u64) -> Result<Option<Hash>> {
    Ok(match read_header(txn, table_id, id)? {
        Some(Ok((h, _))) if h.block_type == BlockType::Anchor => read_body(txn, table_id, id)?
            .and_then(|b| AnchorRecord::decode(&b).ok())
            .map(|r| r.last_purged_hash),
        Some(Ok((h, _))) => Some(h.hash()),
        _ => None,
    })
}

/// Findings about block `block_id` alone (its header, its link to the block before, its
/// rows); `None` when no such block is stored.
pub fn verify_block(txn: &Txn, table: &TableDef, indexes: &[IndexDef], block_id: u64) -> Result<Option<Vec<Finding>>> {
    let Some(decoded) = read_header(txn, table.id, block_id)? else {
        return Ok(None);
    };
    // The block this one links to: the one before it, or for an anchor the one before the
    // blocks it replaced; an anchor before it is linked through its record.
    let first = match &decoded {
        Ok((h, _)) if h.block_type == BlockType::Anchor => read_body(txn, table.id, block_id)?
            .and_then(|b| AnchorRecord::decode(&b).ok())
            .map_or(block_id, |r| r.first_block),
        _ => block_id,
    };
    let prev_hash = match first.checked_sub(1) {
        None => [0; 32],
        Some(prev) => match link_of(txn, table.id, prev)? {
            Some(link) => link,
            // Without a readable predecessor the link cannot hold.
            None => {
                return Ok(Some(vec![Finding {
                    kind: FindingKind::BlockMissing,
                    block_id: Some(prev),
                    detail: format!("block {prev} is missing or unreadable"),
                }]))
            }
        },
    };
    let mut v = ChainVerifier::resume(definition_hash(table, indexes)?, block_id, prev_hash);
    match decoded {
        Ok((header, stored_hash)) => match read_body(txn, table.id, block_id) {
            Err(e @ Error::Corrupted { .. }) => v.block_summarized(
                StoredBlock {
                    key_id: block_id,
                    header,
                    stored_hash,
                    body: None,
                },
                Some(BodySummary::Unreadable(e.to_string())),
            ),
            body => {
                let body = body?;
                v.block(StoredBlock {
                    key_id: block_id,
                    header,
                    stored_hash,
                    body: body.as_deref(),
                })
            }
        },
        Err(e) => v.report(
            FindingKind::HeaderAltered,
            Some(block_id),
            format!("header of block {block_id} is unreadable: {e}"),
        ),
    }
    Ok(Some(v.findings))
}
