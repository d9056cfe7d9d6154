//! The row-entry half of chain verification (`audit.rs`): a blockchain table's 0x10 entries
//! against the rows its chain holds. A committed entry is the seq of its row (`chain.rs`), so
//! what remains to check is that the entries lead to the right rows: every chained row is
//! pointed at by exactly one entry, and, for a table with a primary key, by the entry whose key
//! is that row's key. It must not read blocks itself: `audit.rs` hands it the chain's rows as
//! [`ChainRows`] and reads the entries through [`read_entries`].
//!
//! Both sides are kept compact, because a table has as many entries as rows: entry keys and
//! the keys rows must be stored under live in a few large buffers, and the chain is a list of
//! runs (one per block, one for an anchor's purged rows, one for the pending rows), not one
//! record per row. Keys are compared without the table prefix every entry key starts with.

use std::collections::HashSet;
use std::ops::Range;

use crate::catalog::TableDef;
use crate::error::Result;
use crate::storage::keys::{encode_key, table_prefix};
use crate::storage::row::decode_columns;
use crate::storage::Txn;
use crate::types::Value;

use super::chain::{stored_row, StoredRow};
use super::verify::{ChainVerifier, FindingKind};

/// Computes the primary-key entry key (0x10, without the table prefix) a chained row must be
/// stored under.
pub(super) struct RowKeys {
    columns: Vec<usize>,
    wanted: Vec<bool>,
}

impl RowKeys {
    /// `None` for a table without a primary key (its entries are keyed by row id).
    pub(super) fn of(table: &TableDef) -> Option<RowKeys> {
        let columns = table.primary_key.clone()?;
        let mut wanted = vec![false; table.columns.len()];
        for c in &columns {
            *wanted.get_mut(*c)? = true;
        }
        Some(RowKeys { columns, wanted })
    }

    /// Appends the key of the row with these canonical bytes to `out`; `false` (and nothing
    /// appended) when they do not decode.
    fn push_key(&self, row: &[u8], out: &mut Vec<u8>, key: &mut Vec<Value>) -> bool {
        let Ok(mut values) = decode_columns(row, &self.wanted) else {
            return false;
        };
        key.clear();
        for c in &self.columns {
            match values.get_mut(*c) {
                Some(v) => key.push(std::mem::replace(v, Value::Null)),
                None => return false,
            }
        }
        let start = out.len();
        if encode_key(key, out).is_err() {
            out.truncate(start);
            return false;
        }
        true
    }
}

/// The keys a run of chained rows must be stored under, in row order.
#[derive(Default)]
pub(super) struct KeyRun {
    bytes: Vec<u8>,
    /// Per row, where its key lies in `bytes`; `None` when the row does not decode.
    spans: Vec<Option<Range<u32>>>,
}

impl KeyRun {
    /// The keys of `rows` (canonical bytes).
    pub(super) fn of<'a>(keys: &RowKeys, rows: impl IntoIterator<Item = &'a [u8]>) -> KeyRun {
        let mut run = KeyRun::default();
        let mut scratch = Vec::new();
        for row in rows {
            let start = run.bytes.len();
            let span = keys
                .push_key(row, &mut run.bytes, &mut scratch)
                .then(|| Some(u32::try_from(start).ok()?..u32::try_from(run.bytes.len()).ok()?))
                .flatten();
            run.spans.push(span);
        }
        run
    }

    fn get(&self, index: u64) -> Option<&[u8]> {
        let span = self.spans.get(usize::try_from(index).ok()?)?.clone()?;
        self.bytes.get(span.start as usize..span.end as usize)
    }
}

/// A run of consecutive chained rows that share their block.
pub(super) struct Run {
    /// The sealing block (None: pending); for purged rows, the anchor that replaced their blocks.
    pub block: Option<u64>,
    pub len: u64,
    /// The rows were purged: no entry may point at them.
    pub purged: bool,
    /// With a primary key, the keys the rows must be stored under.
    pub keys: Option<KeyRun>,
}

/// The chain's rows in seq order, as runs.
#[derive(Default)]
pub(super) struct ChainRows {
    runs: Vec<Run>,
    /// The seq of each run's first row.
    starts: Vec<u64>,
    len: u64,
}

impl ChainRows {
    pub(super) fn push(&mut self, run: Run) {
        self.starts.push(self.len);
        self.len = self.len.saturating_add(run.len);
        self.runs.push(run);
    }

    /// Rows in the chain, purged ones included.
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// The run holding `seq` and the row's index in it.
    fn find(&self, seq: u64) -> Option<(usize, u64)> {
        if seq >= self.len {
            return None;
        }
        let run = self.starts.partition_point(|s| *s <= seq).checked_sub(1)?;
        Some((run, seq - self.starts.get(run)?))
    }
}

/// What a row entry (0x10) holds, as verification reads it.
enum Kind {
    Unreadable,
    Uncommitted,
    Chained(u64),
}

/// Every row entry of a table, in key order.
pub(super) struct Entries {
    /// Entry keys without the table prefix, kept for uncommitted entries and, with a primary
    /// key, for all.
    keys: Vec<u8>,
    items: Vec<(Kind, Range<usize>)>,
}

/// Reads every row entry of `table`.
pub(super) fn read_entries(txn: &Txn, table: &TableDef) -> Result<Entries> {
    let keyed = table.primary_key.is_some();
    let prefix = table_prefix(table.id);
    let mut out = Entries {
        keys: Vec::new(),
        items: Vec::new(),
    };
    for item in txn.scan_prefix_shared(&prefix) {
        let (key, stored) = item?;
        let kind = match stored_row(stored.as_ref()) {
            Err(_) => Kind::Unreadable,
            Ok(StoredRow::Uncommitted(_)) => Kind::Uncommitted,
            Ok(StoredRow::Chained(seq)) => Kind::Chained(seq),
        };
        let start = out.keys.len();
        // Uncommitted entries are matched with the transaction's own keys.
        if keyed || matches!(kind, Kind::Uncommitted) {
            out.keys.extend_from_slice(key.get(prefix.len()..).unwrap_or_default());
        }
        out.items.push((kind, start..out.keys.len()));
    }
    Ok(out)
}

/// At most this many findings about single table rows; a summary follows beyond.
const MAX_ROW_FINDINGS: usize = 100;

/// The table's row entries against the chain (module docs). `aligned`: whether the chain's
/// seqs are certain (else only counts are compared); `own`: the full keys of rows the reading
/// transaction inserted and has not committed; `table_id`: whose prefix they carry.
pub(super) fn check_rows(
    v: &mut ChainVerifier,
    chain: &ChainRows,
    keyed: bool,
    aligned: bool,
    entries: &Entries,
    own: &[Vec<u8>],
    table_id: u32,
) {
    let prefix = table_prefix(table_id);
    let own: HashSet<&[u8]> = own.iter().filter_map(|k| k.strip_prefix(prefix.as_slice())).collect();
    let mut claimed: Vec<Vec<bool>> = chain
        .runs
        .iter()
        .map(|r| match r.purged {
            true => Vec::new(),
            false => vec![false; usize::try_from(r.len).unwrap_or(0)],
        })
        .collect();
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
    let mut count = 0u64;
    for (kind, span) in &entries.items {
        let key = entries.keys.get(span.clone()).unwrap_or_default();
        let seq = match kind {
            Kind::Unreadable => {
                report(
                    v,
                    FindingKind::RowAltered,
                    None,
                    "a stored table row entry is unreadable".into(),
                );
                continue;
            }
            Kind::Uncommitted => {
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
            Kind::Chained(seq) => *seq,
        };
        count += 1;
        if !aligned {
            continue;
        }
        let Some((r, i)) = chain.find(seq) else {
            report(
                v,
                FindingKind::RowAltered,
                None,
                format!("a table row entry points at chain position {seq}, beyond the chain"),
            );
            continue;
        };
        let run = &chain.runs[r];
        if run.purged {
            report(
                v,
                FindingKind::RowAltered,
                run.block,
                format!(
                    "a table row entry points at position {seq}, a row purged under anchor {}",
                    run.block.unwrap_or(0)
                ),
            );
            continue;
        }
        let Some(claim) = claimed[r].get_mut(i as usize) else {
            continue;
        };
        if *claim {
            report(
                v,
                kind_of(&run.block),
                run.block,
                format!("two table row entries point at the chained row at position {seq}"),
            );
        } else if keyed && run.keys.as_ref().and_then(|k| k.get(i)) != Some(key) {
            report(
                v,
                kind_of(&run.block),
                run.block,
                format!("the chained row at position {seq} is pointed at from another row's key"),
            );
        }
        *claim = true;
    }
    let unpurged: u64 = chain.runs.iter().filter(|r| !r.purged).map(|r| r.len).sum();
    if aligned {
        for ((run, start), claims) in chain.runs.iter().zip(&chain.starts).zip(&claimed) {
            for (i, _) in claims.iter().enumerate().filter(|(_, c)| !**c) {
                report(
                    v,
                    kind_of(&run.block),
                    run.block,
                    format!(
                        "no table row entry points at the chained row at position {}",
                        start + i as u64
                    ),
                );
            }
        }
    } else if count != unpurged {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn run(block: Option<u64>, len: u64, purged: bool) -> Run {
        Run {
            block,
            len,
            purged,
            keys: None,
        }
    }

    #[test]
    fn seqs_are_found_in_their_runs() {
        let mut chain = ChainRows::default();
        chain.push(run(Some(2), 3, true));
        chain.push(run(Some(3), 0, false));
        chain.push(run(Some(4), 2, false));
        chain.push(run(None, 1, false));
        assert_eq!(chain.len(), 6);
        // Seqs 0..3 purged under anchor 2, 3..5 in block 4 (block 3 holds none), 5 pending.
        let found: Vec<_> = (0..7).map(|s| chain.find(s)).collect();
        assert_eq!(
            found,
            [
                Some((0, 0)),
                Some((0, 1)),
                Some((0, 2)),
                Some((2, 0)),
                Some((2, 1)),
                Some((3, 0)),
                None
            ]
        );
    }

    #[test]
    fn key_runs_keep_rows_that_do_not_decode_apart() {
        use crate::storage::row::encode_row;
        let keys = RowKeys {
            columns: vec![0],
            wanted: vec![true, false],
        };
        let mut a = Vec::new();
        encode_row(&[Value::Int8(7), Value::Text("x".into())], &mut a);
        let mut b = Vec::new();
        encode_row(&[Value::Int8(8), Value::Null], &mut b);
        let run = KeyRun::of(&keys, [a.as_slice(), b"\x09garbage", b.as_slice()]);
        let expect = |v: i64| {
            let mut out = Vec::new();
            encode_key(&[Value::Int8(v)], &mut out).unwrap();
            out
        };
        assert_eq!(run.get(0), Some(expect(7).as_slice()));
        assert_eq!(run.get(1), None);
        assert_eq!(run.get(2), Some(expect(8).as_slice()));
        assert_eq!(run.get(3), None);
    }
}
