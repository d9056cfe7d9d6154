//! Hash join: builds a table over one input's keys and probes it with the other's.
//!
//! The right input is the build side, so RIGHT/FULL joins can flag matched build rows; an
//! inner join builds on whichever input is smaller. Keys hash by `Value`'s Hash/Eq (numerics
//! equal across widths); a NULL in any key never matches. Rows sharing a key are chained
//! through one `next` array instead of a vector per key, and chains keep input order.
//!
//! INNER, LEFT, SEMI and ANTI joins stream their left input (`stream_hash_join`): each left row
//! probes as it arrives and matches go straight to the consumer. An inner join first buffers
//! left rows up to the size of the right input, so it still builds on the left when that turns
//! out smaller. A single-column key is probed with the value borrowed from the row.

use crate::error::Result;
use crate::plan::{Expr, JoinKind, Plan};
use crate::storage::Txn;
use crate::types::{Row, Value};

use super::hashing::FastMap;
use super::nested_loop::{pad_left, pad_right};
use super::stream::Sink;
use super::Executor;

/// A hash join's description, borrowed from its plan node.
pub(super) struct HashJoinSpec<'p> {
    pub kind: JoinKind,
    pub left_keys: &'p [Expr],
    pub right_keys: &'p [Expr],
    pub residual: Option<&'p Expr>,
    pub left_width: usize,
    pub right_width: usize,
}

const END: usize = usize::MAX;

/// Build rows grouped by key: the head of each key's chain, `next[i]` the row after `i`. The
/// single-column case (by far the most common) keys by the value itself.
struct HashTable {
    heads: Heads,
    next: Vec<usize>,
}

enum Heads {
    One(FastMap<Value, usize>),
    Many(FastMap<Vec<Value>, usize>),
}

impl HashTable {
    fn next(&self, i: usize) -> usize {
        self.next.get(i).copied().unwrap_or(END)
    }
}

/// What a streamed inner join is doing with its left rows.
enum Phase {
    /// Not yet more left rows than right ones: the left side may still be the smaller one.
    Buffering(Vec<Row>),
    /// Built on the right input; every left row probes it.
    Probing(HashTable),
}

impl<'a> Executor<'a> {
    fn build(&mut self, txn: &Txn, rows: &[Row], keys: &[Expr]) -> Result<HashTable> {
        let mut next = vec![END; rows.len()];
        let capacity = rows.len();
        let mut heads = match keys {
            [_] => Heads::One(FastMap::with_capacity_and_hasher(capacity, Default::default())),
            _ => Heads::Many(FastMap::with_capacity_and_hasher(capacity, Default::default())),
        };
        // Walk backwards so each chain lists rows in input order.
        for (i, row) in rows.iter().enumerate().rev() {
            self.tick()?;
            let head = match (&mut heads, keys) {
                (Heads::One(map), [only]) => {
                    let v = self.eval(txn, only, row)?;
                    if v.is_null() {
                        continue;
                    }
                    map.insert(v, i)
                }
                (Heads::Many(map), _) => {
                    let Some(key) = self.multi_key(txn, keys, row)? else {
                        continue;
                    };
                    map.insert(key, i)
                }
                (Heads::One(_), _) => return Err(crate::error::Error::bug("single-key hash table over many keys")),
            };
            if let (Some(previous), Some(n)) = (head, next.get_mut(i)) {
                *n = previous;
            }
        }
        Ok(HashTable { heads, next })
    }

    /// The key values of a row, or `None` when one is NULL.
    fn multi_key(&mut self, txn: &Txn, keys: &[Expr], row: &[Value]) -> Result<Option<Vec<Value>>> {
        let mut key = Vec::with_capacity(keys.len());
        for k in keys {
            let v = self.eval(txn, k, row)?;
            if v.is_null() {
                return Ok(None);
            }
            key.push(v);
        }
        Ok(Some(key))
    }

    /// The first build row matching `row`'s key (`END`: none, or a NULL key).
    fn probe_head(&mut self, txn: &Txn, table: &HashTable, keys: &[Expr], row: &[Value]) -> Result<usize> {
        Ok(match (&table.heads, keys) {
            (Heads::One(map), [only]) => {
                let v = self.operand(txn, only, row)?;
                match v.is_null() {
                    true => END,
                    false => map.get(&*v).copied().unwrap_or(END),
                }
            }
            (Heads::Many(map), _) => match self.multi_key(txn, keys, row)? {
                Some(key) => map.get(&key).copied().unwrap_or(END),
                None => END,
            },
            (Heads::One(_), _) => END,
        })
    }

    pub(super) fn hash_join(
        &mut self,
        txn: &Txn,
        left: Vec<Row>,
        right: Vec<Row>,
        spec: &HashJoinSpec<'_>,
    ) -> Result<Vec<Row>> {
        let mut out = Vec::new();
        let mut collect = |_: &mut Executor<'a>, row: &mut Row| {
            out.push(std::mem::take(row));
            Ok(true)
        };
        if spec.kind == JoinKind::Inner && left.len() < right.len() {
            self.inner_build_left(txn, left, &right, spec, &mut collect)?;
            return Ok(out);
        }
        let table = self.build(txn, &right, spec.right_keys)?;
        let mut right_matched = vec![false; right.len()];
        let mut joined: Row = Vec::with_capacity(spec.left_width + spec.right_width);
        for mut l in left {
            self.tick()?;
            self.probe(
                txn,
                &table,
                &right,
                &mut l,
                spec,
                &mut joined,
                &mut right_matched,
                &mut collect,
            )?;
        }
        if matches!(spec.kind, JoinKind::Right | JoinKind::Full) {
            for (r, matched) in right.into_iter().zip(right_matched) {
                if !matched {
                    out.push(pad_left(spec.left_width, r));
                }
            }
        }
        Ok(out)
    }

    /// Joins one left row against the build table, pushing what it yields; false when the sink
    /// stopped.
    #[allow(clippy::too_many_arguments)]
    fn probe(
        &mut self,
        txn: &Txn,
        table: &HashTable,
        right: &[Row],
        l: &mut Row,
        spec: &HashJoinSpec<'_>,
        joined: &mut Row,
        right_matched: &mut [bool],
        sink: &mut Sink<'_, 'a>,
    ) -> Result<bool> {
        let mut matched = false;
        // The left row's last match may take its values instead of cloning them: nothing reads
        // the row afterwards unless a residual can still reject the match.
        let movable = spec.residual.is_none() && matches!(spec.kind, JoinKind::Inner | JoinKind::Left);
        let mut j = self.probe_head(txn, table, spec.left_keys, l)?;
        while let Some(r) = right.get(j) {
            let this = j;
            j = table.next(j);
            joined.clear();
            if movable && j == END {
                joined.append(l);
            } else {
                joined.extend_from_slice(l);
            }
            joined.extend_from_slice(r);
            if let Some(res) = spec.residual {
                if !self.eval_predicate(txn, res, joined)? {
                    continue;
                }
            }
            matched = true;
            match spec.kind {
                JoinKind::Semi | JoinKind::Anti => break,
                JoinKind::Inner | JoinKind::Left => {}
                JoinKind::Right | JoinKind::Full => {
                    if let Some(m) = right_matched.get_mut(this) {
                        *m = true;
                    }
                }
            }
            if !sink(self, joined)? {
                return Ok(false);
            }
        }
        match spec.kind {
            JoinKind::Semi if matched => sink(self, l),
            JoinKind::Anti if !matched => sink(self, l),
            JoinKind::Left | JoinKind::Full if !matched => {
                let mut padded = pad_right(std::mem::take(l), spec.right_width);
                sink(self, &mut padded)
            }
            _ => Ok(true),
        }
    }

    /// Inner join with the (smaller) left input as build side; output stays left ++ right.
    fn inner_build_left(
        &mut self,
        txn: &Txn,
        left: Vec<Row>,
        right: &[Row],
        spec: &HashJoinSpec<'_>,
        sink: &mut Sink<'_, 'a>,
    ) -> Result<bool> {
        let table = self.build(txn, &left, spec.left_keys)?;
        let mut joined: Row = Vec::with_capacity(spec.left_width + spec.right_width);
        for r in right {
            self.tick()?;
            let mut i = self.probe_head(txn, &table, spec.right_keys, r)?;
            while let Some(l) = left.get(i) {
                i = table.next(i);
                joined.clear();
                joined.extend_from_slice(l);
                joined.extend_from_slice(r);
                if let Some(res) = spec.residual {
                    if !self.eval_predicate(txn, res, &joined)? {
                        continue;
                    }
                }
                if !sink(self, &mut joined)? {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// An INNER, LEFT, SEMI or ANTI hash join whose left input streams through the probe.
    pub(super) fn stream_hash_join(
        &mut self,
        txn: &Txn,
        left: &Plan,
        right: &Plan,
        spec: &HashJoinSpec<'_>,
        sink: &mut Sink<'_, 'a>,
    ) -> Result<bool> {
        let right_rows = self.query(txn, right)?;
        let mut phase = match spec.kind {
            JoinKind::Inner => Phase::Buffering(Vec::new()),
            _ => Phase::Probing(self.build(txn, &right_rows, spec.right_keys)?),
        };
        let mut joined: Row = Vec::with_capacity(spec.left_width + spec.right_width);
        let mut unused: [bool; 0] = [];
        let finished = self.stream(txn, left, &mut |ex, l| {
            ex.tick()?;
            let table = match &mut phase {
                Phase::Probing(table) => table,
                Phase::Buffering(buffer) => {
                    buffer.push(std::mem::take(l));
                    if buffer.len() < right_rows.len() {
                        return Ok(true);
                    }
                    let buffered = std::mem::take(buffer);
                    let table = ex.build(txn, &right_rows, spec.right_keys)?;
                    for mut b in buffered {
                        if !ex.probe(txn, &table, &right_rows, &mut b, spec, &mut joined, &mut unused, sink)? {
                            return Ok(false);
                        }
                    }
                    phase = Phase::Probing(table);
                    return Ok(true);
                }
            };
            ex.probe(txn, table, &right_rows, l, spec, &mut joined, &mut unused, sink)
        })?;
        match phase {
            Phase::Buffering(buffer) if finished => self.inner_build_left(txn, buffer, &right_rows, spec, sink),
            _ => Ok(finished),
        }
    }
}
