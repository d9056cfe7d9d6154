//! Verification of a stored chain: reads headers, bodies, pending entries, the tip and the
//! table's rows through a transaction (the caller holds the statement's read gate, so the
//! state is consistent) and feeds `verify::ChainVerifier`, which names the findings.
//!
//! Beyond the block and pending checks of `verify.rs`, this checks:
//! - the tip against what is stored (`tip_altered`; a missing last block is `block_missing`);
//! - the table's rows (0x10, what SELECT returns) against the chain: each row carries its
//!   chain position (`chain.rs`), which must hold a chained row with the same leaf, and every
//!   chained row must have its table row; a row changed, added, moved or removed behind the
//!   engine's back is `row_altered` with its block (`pending_altered` for a pending one).
//!   When blocks are missing or unreadable the positions cannot be trusted, and the leaves
//!   are compared as multisets (block id NULL).

use std::collections::HashMap;

use crate::catalog::{IndexDef, TableDef};
use crate::error::Result;
use crate::storage::keys::table_prefix;
use crate::storage::Txn;

use super::chain::{
    read_body, read_header, read_headers, read_pending, read_tip, split_position, PendingEntry, StoredHeader,
    UNCOMMITTED,
};
use super::definition::definition_hash;
use super::hex::to_hex;
use super::merkle::{leaf_hash, Hash};
use super::verify::{summarize_body, BodySummary, ChainVerifier, Finding, FindingKind, StoredBlock};
use super::BlockType;

/// Every finding about `table`'s chain; empty when intact.
///
/// `uncommitted`: leaf hashes of rows the reading transaction itself appended and has not
/// committed; they are in its view of the table but not in the chain yet.
pub fn verify_chain(txn: &Txn, table: &TableDef, indexes: &[IndexDef], uncommitted: &[Hash]) -> Result<Vec<Finding>> {
    let mut v = ChainVerifier::new(definition_hash(table, indexes)?);
    // The chain's rows in sequence order: leaf and sealing block (None: pending). `aligned`
    // stays true while stored blocks and pending rows leave no doubt about each row's seq.
    let mut chain: Vec<(Hash, Option<u64>)> = Vec::new();
    let mut aligned = true;
    let mut last_id: Option<u64> = None;
    let mut sealed_rows: u64 = 0;
    let headers = read_headers(txn, table.id)?;
    for window in headers.chunks(WINDOW) {
        let bodies: Vec<Option<Vec<u8>>> = window
            .iter()
            .map(|(id, decoded)| match decoded {
                Ok((h, _)) if h.block_type == BlockType::Data => read_body(txn, table.id, *id),
                _ => Ok(None),
            })
            .collect::<Result<_>>()?;
        let summaries = summarize_all(window, &bodies);
        for (((id, decoded), body), summary) in window.iter().zip(&bodies).zip(summaries) {
            let id = *id;
            if id != last_id.map_or(0, |l| l + 1) {
                aligned = false;
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
                Some(BodySummary::Hashed { leaves, .. }) => chain.extend(leaves.iter().map(|leaf| (*leaf, Some(id)))),
                Some(_) => aligned = false,
                None => {}
            }
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
    let pending = read_pending(txn, table.id)?;
    for p in &pending {
        if p.seq != chain.len() as u64 {
            aligned = false;
        }
        chain.push((leaf_hash(&p.row), None));
    }
    let last_running = pending.last().map(|p| p.running).unwrap_or(v.tip());
    v.pending(pending.iter().map(|p| (p.seq, p.leaf, p.running, p.row.as_slice())));
    check_tip(txn, table, &mut v, last_id, sealed_rows, &pending, last_running);
    check_rows(txn, table, &mut v, &chain, aligned, uncommitted)?;
    Ok(v.findings)
}

/// Blocks read and hashed together: bounds the bodies held in memory at once.
const WINDOW: usize = 128;

/// The body summaries of a window of blocks (`None` for blocks without rows), hashed on all
/// cores: hashing is the bulk of verification and blocks are independent.
fn summarize_all(window: &[StoredHeader], bodies: &[Option<Vec<u8>>]) -> Vec<Option<BodySummary>> {
    let mut out: Vec<Option<BodySummary>> = vec![None; window.len()];
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
                        *slot = Some(summarize_body(body.as_deref()));
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

/// The table's rows (what SELECT returns) against the chain: each row's position must hold a
/// chained row with the same leaf, and every chained row must have its table row. When the
/// chain's own structure is broken (positions unknowable), the leaves are compared as
/// multisets instead.
fn check_rows(
    txn: &Txn,
    table: &TableDef,
    v: &mut ChainVerifier,
    chain: &[(Hash, Option<u64>)],
    aligned: bool,
    uncommitted: &[Hash],
) -> Result<()> {
    let mut own: HashMap<Hash, i64> = HashMap::new();
    for leaf in uncommitted {
        *own.entry(*leaf).or_default() += 1;
    }
    let mut claimed = vec![false; chain.len()];
    // Leaves of rows whose position could not be checked (+1 chain, -1 table).
    let mut loose: HashMap<Hash, i64> = HashMap::new();
    let mut reported = 0usize;
    let mut report = |v: &mut ChainVerifier, kind: FindingKind, block: Option<u64>, detail: String| {
        reported += 1;
        if reported <= MAX_ROW_FINDINGS {
            v.report(kind, block, detail);
        }
    };
    for item in txn.scan_prefix_shared(&table_prefix(table.id)) {
        let (_, stored) = item?;
        let Ok((row, seq)) = split_position(&stored) else {
            report(
                v,
                FindingKind::RowAltered,
                None,
                "a stored table row is unreadable".into(),
            );
            continue;
        };
        let leaf = leaf_hash(row);
        if seq == UNCOMMITTED {
            match own.get_mut(&leaf) {
                Some(n) if *n > 0 => *n -= 1,
                _ => report(
                    v,
                    FindingKind::RowAltered,
                    None,
                    "a stored table row has no position in the chain".into(),
                ),
            }
            continue;
        }
        if !aligned {
            *loose.entry(leaf).or_default() -= 1;
            continue;
        }
        match usize::try_from(seq).ok().and_then(|i| chain.get(i).map(|c| (i, c))) {
            Some((i, (chained, block))) if !claimed[i] && *chained == leaf => claimed[i] = true,
            Some((_, (_, block))) => {
                let kind = if block.is_some() {
                    FindingKind::RowAltered
                } else {
                    FindingKind::PendingAltered
                };
                report(
                    v,
                    kind,
                    *block,
                    format!("the table row at chain position {seq} differs from the chained row"),
                );
            }
            None => report(
                v,
                FindingKind::RowAltered,
                None,
                format!("a table row claims chain position {seq}, beyond the chain"),
            ),
        }
    }
    if aligned {
        for (i, (_, block)) in chain.iter().enumerate() {
            if !claimed[i] {
                report(
                    v,
                    if block.is_some() {
                        FindingKind::RowAltered
                    } else {
                        FindingKind::PendingAltered
                    },
                    *block,
                    format!("the chained row at position {i} has no table row"),
                );
            }
        }
    } else {
        for (leaf, _) in chain {
            *loose.entry(*leaf).or_default() += 1;
        }
        let (extra, missing) = loose
            .values()
            .fold((0i64, 0i64), |(e, m), n| if *n > 0 { (e, m + n) } else { (e - n, m) });
        if extra > 0 || missing > 0 {
            report(
                v,
                FindingKind::RowAltered,
                None,
                format!("{extra} stored table rows match no chained row; {missing} chained rows have no table row"),
            );
        }
    }
    if reported > MAX_ROW_FINDINGS {
        v.report(
            FindingKind::RowAltered,
            None,
            format!("{} more table rows differ from the chain", reported - MAX_ROW_FINDINGS),
        );
    }
    Ok(())
}

/// Findings about block `block_id` alone (its header, its link to the block before, its
/// rows); `None` when no such block is stored.
pub fn verify_block(txn: &Txn, table: &TableDef, indexes: &[IndexDef], block_id: u64) -> Result<Option<Vec<Finding>>> {
    let Some(decoded) = read_header(txn, table.id, block_id)? else {
        return Ok(None);
    };
    let prev_hash = match block_id.checked_sub(1) {
        None => [0; 32],
        Some(prev) => match read_header(txn, table.id, prev)? {
            Some(Ok((h, _))) => h.hash(),
            // Without a readable predecessor the link cannot hold.
            _ => {
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
        Ok((header, stored_hash)) => {
            let body = read_body(txn, table.id, block_id)?;
            v.block(StoredBlock {
                key_id: block_id,
                header,
                stored_hash,
                body: body.as_deref(),
            });
        }
        Err(e) => v.report(
            FindingKind::HeaderAltered,
            Some(block_id),
            format!("header of block {block_id} is unreadable: {e}"),
        ),
    }
    Ok(Some(v.findings))
}
