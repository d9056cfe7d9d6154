//! Lineage: which relations the data of a table or view came from, recorded as edges when a
//! statement moves data between relations — `CREATE TABLE … AS SELECT`, `INSERT … SELECT`,
//! `CREATE VIEW`, `COPY … FROM STDIN` (source `stdin`). Each edge is written in the statement's
//! own transaction, so a rolled-back statement leaves none, under key `0x01 'l' edge_id u64 BE`
//! (ids from a store counter, so key order is recording order).
//!
//! Relations are named as they were when the edge was recorded: renaming or dropping a table
//! later leaves its edges as history.
//!
//! # Stored edge (lineage format version 1)
//!
//! ```text
//! version u8 (= 1) | tx_id u64 LE | timestamp i64 LE (µs since the epoch)
//! | source, target, operation: each len u32 LE + UTF-8 bytes
//! ```

use crate::error::{Error, Result};
use crate::storage::keys::LINEAGE_PREFIX;
use crate::storage::{Conflict, Txn};

/// First byte of a stored edge.
pub const LINEAGE_FORMAT_VERSION: u8 = 1;

/// One recorded movement of data from `source` into `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineageEdge {
    pub source: String,
    pub target: String,
    /// `CREATE TABLE AS`, `INSERT SELECT`, `CREATE VIEW` or `COPY`.
    pub operation: String,
    pub tx_id: u64,
    /// µs since the epoch.
    pub timestamp: i64,
}

impl LineageEdge {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(29 + self.source.len() + self.target.len() + self.operation.len());
        out.push(LINEAGE_FORMAT_VERSION);
        out.extend_from_slice(&self.tx_id.to_le_bytes());
        out.extend_from_slice(&self.timestamp.to_le_bytes());
        for text in [&self.source, &self.target, &self.operation] {
            out.extend_from_slice(&u32::try_from(text.len()).unwrap_or(u32::MAX).to_le_bytes());
            out.extend_from_slice(text.as_bytes());
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<LineageEdge> {
        let corrupt = |why: &str| Error::corrupted("lineage edge", why.to_string());
        if bytes.first() != Some(&LINEAGE_FORMAT_VERSION) {
            return Err(corrupt("unknown format version"));
        }
        let fixed = |at: usize| -> Result<[u8; 8]> {
            bytes
                .get(at..at + 8)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| corrupt("truncated"))
        };
        let tx_id = u64::from_le_bytes(fixed(1)?);
        let timestamp = i64::from_le_bytes(fixed(9)?);
        let mut pos = 17;
        let mut texts = Vec::with_capacity(3);
        for _ in 0..3 {
            let len = bytes
                .get(pos..pos + 4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
                .ok_or_else(|| corrupt("truncated"))? as usize;
            let text = pos
                .checked_add(4 + len)
                .and_then(|end| bytes.get(pos + 4..end))
                .ok_or_else(|| corrupt("truncated"))?;
            texts.push(String::from_utf8(text.to_vec()).map_err(|_| corrupt("not UTF-8"))?);
            pos += 4 + len;
        }
        if pos != bytes.len() {
            return Err(corrupt("trailing bytes"));
        }
        let operation = texts.pop().unwrap_or_default();
        let target = texts.pop().unwrap_or_default();
        let source = texts.pop().unwrap_or_default();
        Ok(LineageEdge {
            source,
            target,
            operation,
            tx_id,
            timestamp,
        })
    }
}

/// Records `edge` in `txn`.
pub fn record(txn: &mut Txn, edge: &LineageEdge) -> Result<()> {
    let mut key = LINEAGE_PREFIX.to_vec();
    key.extend_from_slice(&txn.next_id(b"lineage")?.to_be_bytes());
    txn.put(key, edge.encode(), Conflict::None)
}

/// Every edge in `txn`'s view, in recording order.
pub fn read_all(txn: &Txn) -> Result<Vec<LineageEdge>> {
    txn.scan_prefix(LINEAGE_PREFIX)?
        .map(|item| item.and_then(|(_, value)| LineageEdge::decode(&value)))
        .collect()
}

/// The edges within `depth` hops of `relation`: upstream (where its data came from, walking
/// targets to sources) and downstream (where its data went), each with its direction.
pub fn walk<'e>(edges: &'e [LineageEdge], relation: &str, depth: u32) -> Vec<(&'e LineageEdge, &'static str)> {
    let mut out = Vec::new();
    for (direction, upstream) in [("upstream", true), ("downstream", false)] {
        let mut frontier = vec![relation.to_string()];
        let mut seen_nodes = std::collections::HashSet::from([relation.to_string()]);
        let mut taken = vec![false; edges.len()];
        for _ in 0..depth {
            let mut next = Vec::new();
            for (i, edge) in edges.iter().enumerate() {
                let (near, far) = if upstream {
                    (&edge.target, &edge.source)
                } else {
                    (&edge.source, &edge.target)
                };
                if !taken[i] && frontier.contains(near) {
                    taken[i] = true;
                    out.push((edge, direction));
                    if seen_nodes.insert(far.clone()) {
                        next.push(far.clone());
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(source: &str, target: &str) -> LineageEdge {
        LineageEdge {
            source: source.into(),
            target: target.into(),
            operation: "INSERT SELECT".into(),
            tx_id: 7,
            timestamp: -3,
        }
    }

    #[test]
    fn stored_form_is_the_documented_layout() {
        let e = edge("a", "bc");
        let mut expected = vec![1u8];
        expected.extend_from_slice(&7u64.to_le_bytes());
        expected.extend_from_slice(&(-3i64).to_le_bytes());
        expected.extend_from_slice(&[1, 0, 0, 0, b'a', 2, 0, 0, 0, b'b', b'c', 13, 0, 0, 0]);
        expected.extend_from_slice(b"INSERT SELECT");
        assert_eq!(e.encode(), expected);
        assert_eq!(LineageEdge::decode(&expected).unwrap(), e);
        for cut in 0..expected.len() {
            assert!(LineageEdge::decode(&expected[..cut]).is_err(), "cut {cut}");
        }
        let mut long = expected;
        long.push(0);
        assert!(LineageEdge::decode(&long).is_err());
    }

    #[test]
    fn walks_go_as_deep_as_asked_in_both_directions_and_survive_cycles() {
        // raw → clean → report → dash, and dash → raw closes a cycle.
        let edges = vec![
            edge("raw", "clean"),
            edge("clean", "report"),
            edge("report", "dash"),
            edge("dash", "raw"),
        ];
        let names = |w: Vec<(&LineageEdge, &str)>| -> Vec<String> {
            w.into_iter()
                .map(|(e, d)| format!("{}>{} {d}", e.source, e.target))
                .collect()
        };
        assert_eq!(
            names(walk(&edges, "report", 1)),
            ["clean>report upstream", "report>dash downstream"]
        );
        assert_eq!(
            names(walk(&edges, "report", 2)),
            [
                "clean>report upstream",
                "raw>clean upstream",
                "report>dash downstream",
                "dash>raw downstream"
            ]
        );
        // Deep enough to go round: every edge once per direction, no endless loop.
        assert_eq!(walk(&edges, "report", 100).len(), 8);
        assert!(walk(&edges, "nowhere", 3).is_empty());
    }
}
