//! Purge policies: which sealed blocks a table's `purge_policy` lets go, decided from the
//! block headers alone (pure functions: the caller reads headers and sizes, `exec::purge`
//! removes the blocks and writes their anchors, `anchor.rs`).
//!
//! | `purge_policy` | purges | needs |
//! |---|---|---|
//! | `TIME_BASED` (also `time`) | data blocks sealed before now − `retention_period` | `retention_period` |
//! | `COUNT_BASED` (also `blocks`) | all but the newest `retention_blocks` data blocks | `retention_blocks` |
//! | `SIZE_BASED` (also `size`) | the oldest data blocks while the table's stored blocks exceed `max_total_size` | `max_total_size` |
//! | `COMPLIANCE_BASED` | data blocks older than the longest retention `compliance_rules` names | a rule with a period |
//! | `CUSTOM` (also `function`) | each data block for which `purge_function`, a boolean SQL expression over `blockchain_metadata`'s columns, is true | `purge_function` |
//! | `none`, `manual` | nothing by policy | — |
//!
//! Only data blocks are ever purged: never the genesis, never an anchor, never pending rows
//! (a purge asks for them to be sealed in the same commit, and they form the newest block).
//! Erasure of an explicit range on request (`purge_blockchain_blocks`) is allowed only by
//! `COMPLIANCE_BASED` with `"gdpr_right_to_erasure": true`, or by `manual`.
//!
//! `compliance_rules` is a JSON object: every member whose value is an interval text
//! (`"hipaa_retention": "6 years"`) is a retention period, the longest wins; the member
//! `gdpr_right_to_erasure` (a boolean) allows erasure. It is stored as sorted `name=value`
//! texts in the table definition.

use crate::catalog::BlockchainOptions;
use crate::error::{sqlstate, Error, Result};
use crate::types::Interval;

use super::block::{BlockHeader, BlockType};

/// What a table's options say about purging.
#[derive(Debug, Clone, PartialEq)]
pub enum Policy {
    /// Nothing is purged by policy; `erasure`: explicit ranges may be erased on request.
    Never {
        erasure: bool,
    },
    OlderThan {
        period: Interval,
        erasure: bool,
    },
    KeepNewest(u64),
    MaxSize(u64),
    Custom(String),
}

impl Policy {
    /// The policy of a table with `options`.
    pub fn of(options: &BlockchainOptions) -> Result<Policy> {
        let missing = |what: &str| {
            Error::sql(
                sqlstate::INVALID_PARAMETER_VALUE,
                format!("purge_policy '{}' requires {what}", options.purge_policy),
            )
        };
        Ok(match canonical(&options.purge_policy) {
            "TIME_BASED" => Policy::OlderThan {
                period: options.retention_period.ok_or_else(|| missing("retention_period"))?,
                erasure: false,
            },
            "COUNT_BASED" => Policy::KeepNewest(options.retention_blocks.ok_or_else(|| missing("retention_blocks"))?),
            "SIZE_BASED" => Policy::MaxSize(options.max_total_size.ok_or_else(|| missing("max_total_size"))?),
            "CUSTOM" => Policy::Custom(
                options
                    .purge_function
                    .clone()
                    .ok_or_else(|| missing("purge_function"))?,
            ),
            "COMPLIANCE_BASED" => {
                let rules = ComplianceRules::from_stored(&options.compliance_rules)?;
                match rules.retention {
                    Some(period) => Policy::OlderThan {
                        period,
                        erasure: rules.erasure,
                    },
                    None => Policy::Never { erasure: rules.erasure },
                }
            }
            "MANUAL" => Policy::Never { erasure: true },
            _ => Policy::Never { erasure: false },
        })
    }

    /// Whether `purge_blockchain_blocks` may erase ranges on request.
    pub fn allows_erasure(&self) -> bool {
        matches!(
            self,
            Policy::Never { erasure: true } | Policy::OlderThan { erasure: true, .. }
        )
    }
}

/// The policy name as the vocabulary spells it (`time` → `TIME_BASED`, …).
pub fn canonical(policy: &str) -> &'static str {
    match policy.to_ascii_lowercase().as_str() {
        "time" | "time_based" => "TIME_BASED",
        "blocks" | "count_based" => "COUNT_BASED",
        "size" | "size_based" => "SIZE_BASED",
        "function" | "custom" => "CUSTOM",
        "compliance_based" => "COMPLIANCE_BASED",
        "manual" => "MANUAL",
        _ => "NONE",
    }
}

/// `compliance_rules` read back: the longest retention named, and whether erasure is allowed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComplianceRules {
    pub retention: Option<Interval>,
    pub erasure: bool,
}

impl ComplianceRules {
    /// Reads the stored `name=value` texts (a bare name, as older definitions stored rule
    /// names, names a framework without a period).
    pub fn from_stored(rules: &[String]) -> Result<ComplianceRules> {
        let mut out = ComplianceRules::default();
        for rule in rules {
            let Some((name, value)) = rule.split_once('=') else {
                continue;
            };
            if name == "gdpr_right_to_erasure" {
                out.erasure = value == "true";
                continue;
            }
            let period = Interval::parse(value).map_err(|_| {
                Error::sql(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    format!("compliance_rules: \"{name}\" is not a period: \"{value}\""),
                )
            })?;
            if out
                .retention
                .is_none_or(|r| period.comparable_micros() > r.comparable_micros())
            {
                out.retention = Some(period);
            }
        }
        Ok(out)
    }
}

/// A sealed block as policies see it.
#[derive(Debug, Clone)]
pub struct BlockInfo {
    pub header: BlockHeader,
    /// Bytes stored for the block (header and body).
    pub stored_bytes: u64,
    /// The block the pending rows will form: counted, never purged.
    pub pending: bool,
}

/// The data blocks `policy` purges now (`now`: µs since the epoch; `cutoff` of a period
/// policy already computed by the caller as now − period, µs), in id order. `Custom` is the
/// caller's: it evaluates SQL.
pub fn select(policy: &Policy, blocks: &[BlockInfo], cutoff: Option<i64>) -> Vec<u64> {
    let data: Vec<&BlockInfo> = blocks
        .iter()
        .filter(|b| b.header.block_type == BlockType::Data)
        .collect();
    let mut selected = select_among(policy, blocks, &data, cutoff);
    selected.retain(|id| data.iter().any(|b| b.header.block_id == *id && !b.pending));
    selected
}

fn select_among(policy: &Policy, blocks: &[BlockInfo], data: &[&BlockInfo], cutoff: Option<i64>) -> Vec<u64> {
    match policy {
        Policy::Never { .. } | Policy::Custom(_) => Vec::new(),
        Policy::OlderThan { .. } => match cutoff {
            Some(cutoff) => data
                .iter()
                .take_while(|b| b.header.timestamp < cutoff)
                .map(|b| b.header.block_id)
                .collect(),
            None => Vec::new(),
        },
        Policy::KeepNewest(keep) => {
            let excess = (data.len() as u64).saturating_sub(*keep);
            data.iter()
                .take(usize::try_from(excess).unwrap_or(usize::MAX))
                .map(|b| b.header.block_id)
                .collect()
        }
        Policy::MaxSize(limit) => {
            let mut total: u64 = blocks.iter().map(|b| b.stored_bytes).sum();
            let mut out = Vec::new();
            for b in data.iter().filter(|b| !b.pending) {
                if total <= *limit {
                    break;
                }
                total = total.saturating_sub(b.stored_bytes);
                out.push(b.header.block_id);
            }
            out
        }
    }
}

/// Splits block ids (ascending) into maximal runs of data blocks that are adjacent in the
/// chain (no other block between them), one anchor each.
pub fn runs(selected: &[u64], blocks: &[BlockInfo]) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    let position = |id: u64| blocks.iter().position(|b| b.header.block_id == id);
    for &id in selected {
        match out.last_mut() {
            Some((_, last)) if position(*last).map(|p| p + 1) == position(id) => *last = id,
            _ => out.push((id, id)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(id: u64, kind: BlockType, timestamp: i64, bytes: u64) -> BlockInfo {
        BlockInfo {
            header: BlockHeader {
                block_id: id,
                prev_block_hash: [0; 32],
                merkle_root: [0; 32],
                timestamp,
                row_count: 10,
                nonce: 0,
                block_type: kind,
            },
            stored_bytes: bytes,
            pending: false,
        }
    }

    fn chain() -> Vec<BlockInfo> {
        vec![
            block(0, BlockType::Genesis, 0, 200),
            block(1, BlockType::Data, 100, 1000),
            block(3, BlockType::Anchor, 150, 300),
            block(4, BlockType::Data, 200, 1000),
            block(5, BlockType::Data, 300, 1000),
            block(6, BlockType::Data, 400, 1000),
        ]
    }

    #[test]
    fn each_policy_picks_the_oldest_data_blocks_it_lets_go() {
        let blocks = chain();
        let period = Interval::new(0, 0, 1);
        let older = Policy::OlderThan { period, erasure: false };
        assert_eq!(select(&older, &blocks, Some(250)), [1, 4]);
        assert_eq!(select(&older, &blocks, Some(100)), Vec::<u64>::new());
        assert_eq!(select(&Policy::KeepNewest(2), &blocks, None), [1, 4]);
        assert_eq!(select(&Policy::KeepNewest(9), &blocks, None), Vec::<u64>::new());
        // 4500 bytes stored: down to 2500 takes blocks 1 and 4 (1000 each).
        assert_eq!(select(&Policy::MaxSize(2500), &blocks, None), [1, 4]);
        assert_eq!(select(&Policy::MaxSize(2499), &blocks, None), [1, 4, 5]);
        assert_eq!(
            select(&Policy::Never { erasure: true }, &blocks, Some(1000)),
            Vec::<u64>::new()
        );
    }

    #[test]
    fn the_pending_block_counts_but_is_never_purged() {
        let mut blocks = chain();
        let mut pending = block(7, BlockType::Data, i64::MAX, 0);
        pending.pending = true;
        blocks.push(pending);
        // Five data blocks with the pending one: keeping 2 lets three go.
        assert_eq!(select(&Policy::KeepNewest(2), &blocks, None), [1, 4, 5]);
        assert_eq!(select(&Policy::MaxSize(1), &blocks, None), [1, 4, 5, 6]);
    }

    #[test]
    fn runs_break_at_anchors_and_gaps() {
        let blocks = chain();
        assert_eq!(runs(&[1, 4, 5], &blocks), [(1, 1), (4, 5)]);
        assert_eq!(runs(&[4, 6], &blocks), [(4, 4), (6, 6)]);
        assert_eq!(runs(&[], &blocks), Vec::<(u64, u64)>::new());
    }

    #[test]
    fn compliance_takes_the_longest_period_and_the_erasure_flag() {
        let rules = [
            "gdpr_right_to_erasure=true".to_string(),
            "hipaa_retention=6 years".to_string(),
            "sox_audit_trail=7 years".to_string(),
        ];
        let read = ComplianceRules::from_stored(&rules).unwrap();
        assert_eq!(read.retention, Some(Interval::new(84, 0, 0)));
        assert!(read.erasure);
        let bad = ["sox=forever".to_string()];
        assert!(ComplianceRules::from_stored(&bad).is_err());
        assert_eq!(
            ComplianceRules::from_stored(&["gdpr".to_string()]).unwrap(),
            ComplianceRules::default()
        );
    }
}
