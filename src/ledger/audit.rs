//! Verification of a stored chain: reads headers, bodies, pending entries, the tip and the
//! table's rows through a transaction (the caller holds the statement's read gate, so the
//! state is consistent) and feeds `verify::ChainVerifier`, which names the findings.
//!
//! Beyond the block and pending checks of `verify.rs`, this checks:
//! - the tip against what is stored (`tip_altered`; a missing last block is `block_missing`);
//! - the table's rows (0x10, what SELECT returns) against the chain: the multiset of their
//!   leaf hashes must equal that of the sealed and pending rows, so a row changed, added or
//!   removed behind the engine's back is `row_altered` (block id NULL: rows do not record
//!   their position).

use std::collections::HashMap;

use crate::catalog::{IndexDef, TableDef};
use crate::error::Result;
use crate::storage::keys::table_prefix;
use crate::storage::Txn;

use super::body::body_rows;
use super::chain::{read_body, read_header, read_headers, read_pending, read_tip};
use super::definition::definition_hash;
use super::hex::to_hex;
use super::merkle::{leaf_hash, Hash};
use super::verify::{ChainVerifier, Finding, FindingKind, StoredBlock};
use super::BlockType;

/// Every finding about `table`'s chain; empty when intact.
///
/// `uncommitted`: leaf hashes of rows the reading transaction itself appended and has not
/// committed; they are in its view of the table but not in the chain yet.
pub fn verify_chain(txn: &Txn, table: &TableDef, indexes: &[IndexDef], uncommitted: &[Hash]) -> Result<Vec<Finding>> {
    let mut v = ChainVerifier::new(definition_hash(table, indexes)?);
    // Leaf multiset of the chain's rows (+1) against the table's rows (-1).
    let mut leaves: HashMap<Hash, i64> = HashMap::new();
    for leaf in uncommitted {
        *leaves.entry(*leaf).or_default() += 1;
    }
    let mut last_id: Option<u64> = None;
    let mut sealed_rows: u64 = 0;
    for (id, decoded) in read_headers(txn, table.id)? {
        let (header, stored_hash) = match decoded {
            Ok(h) => h,
            Err(e) => {
                v.report(
                    FindingKind::HeaderAltered,
                    Some(id),
                    format!("header of block {id} is unreadable: {e}"),
                );
                continue;
            }
        };
        let body = if header.block_type == BlockType::Data {
            read_body(txn, table.id, id)?
        } else {
            None
        };
        if let Some(rows) = body.as_deref().and_then(|b| body_rows(b).ok()) {
            for row in rows {
                *leaves.entry(leaf_hash(row)).or_default() += 1;
            }
        }
        sealed_rows += header.row_count;
        v.block(StoredBlock {
            key_id: id,
            header,
            stored_hash,
            body: body.as_deref(),
        });
        last_id = Some(id);
    }
    let pending = read_pending(txn, table.id)?;
    for p in &pending {
        *leaves.entry(leaf_hash(&p.row)).or_default() += 1;
    }
    let last_running = pending.last().map(|p| p.running).unwrap_or(v.tip());
    v.pending(pending.iter().map(|p| (p.seq, p.leaf, p.running, p.row.as_slice())));
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
    for item in txn.scan_prefix_shared(&table_prefix(table.id)) {
        let (_, bytes) = item?;
        *leaves.entry(leaf_hash(&bytes)).or_default() -= 1;
    }
    let mut extra = 0i64;
    let mut missing = 0i64;
    for count in leaves.values() {
        if *count > 0 {
            missing += count;
        } else {
            extra -= count;
        }
    }
    if extra > 0 || missing > 0 {
        v.report(
            FindingKind::RowAltered,
            None,
            format!("{extra} stored table rows match no chained row; {missing} chained rows have no table row"),
        );
    }
    Ok(v.findings)
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
