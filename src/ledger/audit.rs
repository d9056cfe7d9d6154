//! Verification of a stored chain: reads headers, bodies, pending batches, the tip and the
//! table's row entries through a transaction (the caller holds the statement's read gate, so
//! the state is consistent) and feeds `verify::ChainVerifier`, which names the findings.
//!
//! Beyond the block and pending checks of `verify.rs`, this checks:
//! - the tip against what is stored (`tip_altered`; a missing last block is `block_missing`);
//! - the table's row entries (0x10) against the chain (`row_entries.rs`): every chained row is
//!   pointed at by exactly one entry, and, for a table with a primary key, by the entry whose
//!   key is that row's key (else a lookup by key would return another row, or none). An entry
//!   pointing beyond the chain, twice at one row, from the wrong key, or a chained row no entry
//!   points at is `row_altered` with its block (`pending_altered` for a pending row); an
//!   uncommitted entry not inserted by the reading transaction is `row_altered`. When blocks
//!   are missing or unreadable the seqs cannot be trusted, and only the counts are compared
//!   (block id NULL).
//!
//! Work is spread over the machine's cores: one thread reads the row entries while the
//! others each take the next block not taken yet, read its body and hash it (and, with a
//! primary key, compute the keys its rows must be stored under). No body is held beyond its
//! hashing; only the chain's per-row keys are kept until the entries are compared.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::catalog::{IndexDef, TableDef};
use crate::error::{Error, Result};
use crate::storage::keys::{chain_key, BLOCK_BODY_TAG};
use crate::storage::Txn;

use super::anchor::AnchorRecord;
use super::at_rest::Codec;
use super::chain::{read_body, read_header, read_headers, read_pending_batches, read_tip, PendingEntry, StoredHeader};
use super::definition::definition_hash;
use super::hex::to_hex;
use super::merkle::Hash;
use super::row_entries::{check_rows, read_entries, ChainRows, KeyRun, RowKeys, Run};
use super::verify::{summarize_rows, BodySummary, ChainVerifier, Finding, FindingKind, StoredBlock};
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
        check_rows(
            &mut v,
            &chain,
            table.primary_key.is_some(),
            aligned,
            &entries?,
            own,
            table.id,
        );
        Ok(v.findings)
    })
}

/// What reading and hashing one stored block gave.
#[derive(Default)]
struct BlockRead {
    /// An anchor's body (its record); data bodies are dropped once hashed.
    record: Option<Vec<u8>>,
    /// A data block's body summary, or why any body did not open at rest.
    summary: Option<BodySummary>,
    /// With a primary key, the keys of a data block's rows.
    keys: Option<KeyRun>,
}

/// Reads and hashes the bodies of `headers`, on all cores: each thread takes the next block
/// not taken yet, reads its body and hashes it, so reading overlaps hashing and a body is
/// held only while it is hashed. Returns one `BlockRead` per header, in order.
fn read_blocks(txn: &Txn, table_id: u32, headers: &[StoredHeader], keys: Option<&RowKeys>) -> Result<Vec<BlockRead>> {
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, headers.len().max(1));
    let work = || -> Result<Vec<(usize, BlockRead)>> {
        let mut done = Vec::new();
        // Loaded at the first body, once per thread; an at-rest record that does not decode
        // makes every body unreadable, as opening each of them would.
        let mut codec: Option<std::result::Result<Codec, String>> = None;
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some((id, decoded)) = headers.get(i) else {
                return Ok(done);
            };
            let block_type = match decoded {
                Ok((h, _)) if h.block_type != BlockType::Genesis => h.block_type,
                _ => continue,
            };
            let key = chain_key(BLOCK_BODY_TAG, table_id, *id);
            let body = match txn.get(&key)? {
                None => None,
                Some(stored) => {
                    if codec.is_none() {
                        codec = Some(match Codec::load(txn, table_id) {
                            Ok(codec) => Ok(codec),
                            Err(e @ Error::Corrupted { .. }) => Err(e.to_string()),
                            Err(e) => return Err(e),
                        });
                    }
                    match codec.as_ref().map(|c| c.as_ref().map(|c| c.open(&key, stored))) {
                        Some(Ok(Ok(body))) => Some(body),
                        // A body that does not open at rest (altered or moved) is unreadable.
                        Some(Ok(Err(e @ Error::Corrupted { .. }))) => {
                            done.push((i, unopened(e.to_string())));
                            continue;
                        }
                        Some(Ok(Err(e))) => return Err(e),
                        Some(Err(reason)) => {
                            done.push((i, unopened(reason.clone())));
                            continue;
                        }
                        None => return Err(Error::bug("a table's at-rest codec was not loaded")),
                    }
                }
            };
            let read = match block_type {
                BlockType::Data => {
                    let (summary, rows) = summarize_rows(body.as_deref());
                    let keys = match (keys, &body) {
                        (Some(keys), Some(body)) if !rows.is_empty() => {
                            Some(KeyRun::of(keys, rows.into_iter().filter_map(|r| body.get(r))))
                        }
                        _ => None,
                    };
                    BlockRead {
                        record: None,
                        summary: Some(summary),
                        keys,
                    }
                }
                _ => BlockRead {
                    record: body,
                    ..BlockRead::default()
                },
            };
            done.push((i, read));
        }
    };
    let mut out: Vec<BlockRead> = Vec::new();
    out.resize_with(headers.len(), BlockRead::default);
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut all = vec![work()];
        for helper in helpers {
            all.push(
                helper
                    .join()
                    .map_err(|_| Error::bug("hashing a chain's blocks panicked"))?,
            );
        }
        for done in all {
            for (i, read) in done? {
                if let Some(slot) = out.get_mut(i) {
                    *slot = read;
                }
            }
        }
        Ok::<_, Error>(())
    })?;
    Ok(out)
}

/// A block whose body did not open at rest.
fn unopened(reason: String) -> BlockRead {
    BlockRead {
        summary: Some(BodySummary::Unreadable(reason)),
        ..BlockRead::default()
    }
}

/// Checks blocks, pending rows and the tip; returns the verifier, the chain's rows and
/// whether their seqs are certain.
fn verify_blocks(txn: &Txn, table: &TableDef, definition: Hash) -> Result<(ChainVerifier, ChainRows, bool)> {
    let mut v = ChainVerifier::new(definition);
    let keys = RowKeys::of(table);
    // The chain's rows in sequence order: sealing block (None: pending) and, with a primary
    // key, the rows' keys. `aligned` stays true while stored blocks and pending rows leave no
    // doubt about each row's seq.
    let mut chain = ChainRows::default();
    let mut aligned = true;
    let mut last_id: Option<u64> = None;
    let mut sealed_rows: u64 = 0;
    let headers = read_headers(txn, table.id)?;
    let reads = read_blocks(txn, table.id, &headers, keys.as_ref())?;
    for ((id, decoded), read) in headers.iter().zip(reads) {
        let id = *id;
        let BlockRead { record, summary, keys } = read;
        // An anchor stands for the blocks its record covers, and for their rows.
        let anchor = match decoded {
            Ok((h, _)) if h.block_type == BlockType::Anchor => {
                record.as_deref().and_then(|b| AnchorRecord::decode(b).ok())
            }
            _ => None,
        };
        let first_id = anchor.as_ref().map_or(id, |r| r.first_block);
        if first_id != last_id.map_or(0, |l| l + 1) {
            aligned = false;
        }
        match (decoded, &anchor) {
            (Ok((h, _)), Some(r)) if r.purged_rows == h.row_count => chain.push(Run {
                block: Some(id),
                len: r.purged_rows,
                purged: true,
                keys: None,
            }),
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
        match &summary {
            Some(BodySummary::Hashed { rows, .. }) => chain.push(Run {
                block: Some(id),
                len: *rows,
                purged: false,
                keys,
            }),
            Some(_) => aligned = false,
            None => {}
        }
        sealed_rows += header.row_count;
        v.block_summarized(
            StoredBlock {
                key_id: id,
                header,
                stored_hash,
                body: record.as_deref(),
            },
            summary,
        );
        last_id = Some(id);
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
    if pending
        .iter()
        .enumerate()
        .any(|(i, p)| p.seq != chain.len().saturating_add(i as u64))
    {
        aligned = false;
    }
    chain.push(Run {
        block: None,
        len: pending.len() as u64,
        purged: false,
        keys: keys
            .as_ref()
            .map(|k| KeyRun::of(k, pending.iter().map(|p| p.row.as_slice()))),
    });
    let last_running = pending.last().map(|p| p.running).unwrap_or(v.tip());
    v.pending(pending.iter().map(|p| (p.seq, p.leaf, p.running, p.row.as_slice())));
    v.finish_anchors();
    check_tip(txn, table, &mut v, last_id, sealed_rows, &pending, last_running);
    Ok((v, chain, aligned))
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
