//! Hash join: builds a table over one input's keys and probes it with the other's.
//!
//! The right input is the build side, so RIGHT/FULL joins can flag matched build rows; an
//! inner join builds on whichever input is smaller. Keys hash by `Value`'s Hash/Eq (numerics
//! equal across widths); a NULL in any key never matches. Rows sharing a key are chained
//! through one `next` array instead of a vector per key, and chains keep input order.

use std::collections::hash_map::Entry;

use crate::error::Result;
use crate::plan::{Expr, JoinKind};
use crate::storage::Txn;
use crate::types::{Row, Value};

use super::hashing::FastMap;
use super::nested_loop::{pad_left, pad_right};
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

/// A row's join key; the single-column case (by far the most common) needs no vector.
#[derive(PartialEq, Eq, Hash)]
enum JoinKey {
    One(Value),
    Many(Vec<Value>),
}

/// Build rows grouped by key: `heads[key]` is the first row, `next[i]` the row after `i`.
struct HashTable {
    heads: FastMap<JoinKey, usize>,
    next: Vec<usize>,
}

impl Executor<'_> {
    fn build(&mut self, txn: &Txn, rows: &[Row], keys: &[Expr]) -> Result<HashTable> {
        let mut heads: FastMap<JoinKey, usize> = FastMap::with_capacity_and_hasher(rows.len(), Default::default());
        let mut next = vec![END; rows.len()];
        // Walk backwards so each chain lists rows in input order.
        for (i, row) in rows.iter().enumerate().rev() {
            self.tick()?;
            let Some(key) = self.join_key(txn, keys, row)? else {
                continue;
            };
            match heads.entry(key) {
                Entry::Occupied(mut head) => {
                    if let Some(n) = next.get_mut(i) {
                        *n = *head.get();
                    }
                    *head.get_mut() = i;
                }
                Entry::Vacant(slot) => {
                    slot.insert(i);
                }
            }
        }
        Ok(HashTable { heads, next })
    }

    /// The key values of a row, or `None` when one is NULL.
    fn join_key(&mut self, txn: &Txn, keys: &[Expr], row: &[Value]) -> Result<Option<JoinKey>> {
        if let [only] = keys {
            let v = self.eval(txn, only, row)?;
            return Ok((!v.is_null()).then_some(JoinKey::One(v)));
        }
        let mut key = Vec::with_capacity(keys.len());
        for k in keys {
            let v = self.eval(txn, k, row)?;
            if v.is_null() {
                return Ok(None);
            }
            key.push(v);
        }
        Ok(Some(JoinKey::Many(key)))
    }

    pub(super) fn hash_join(
        &mut self,
        txn: &Txn,
        left: Vec<Row>,
        right: Vec<Row>,
        spec: &HashJoinSpec<'_>,
    ) -> Result<Vec<Row>> {
        if spec.kind == JoinKind::Inner && left.len() < right.len() {
            return self.inner_build_left(txn, left, right, spec);
        }
        let table = self.build(txn, &right, spec.right_keys)?;
        let mut right_matched = vec![false; right.len()];
        let mut out = Vec::new();
        let mut joined: Row = Vec::with_capacity(spec.left_width + spec.right_width);
        for l in left {
            self.tick()?;
            let mut matched = false;
            if let Some(key) = self.join_key(txn, spec.left_keys, &l)? {
                let mut j = table.heads.get(&key).copied().unwrap_or(END);
                while let Some(r) = right.get(j) {
                    let this = j;
                    j = table.next.get(j).copied().unwrap_or(END);
                    joined.clear();
                    joined.extend_from_slice(&l);
                    joined.extend_from_slice(r);
                    if let Some(res) = spec.residual {
                        if !self.eval_predicate(txn, res, &joined)? {
                            continue;
                        }
                    }
                    matched = true;
                    match spec.kind {
                        JoinKind::Semi | JoinKind::Anti => break,
                        JoinKind::Inner | JoinKind::Left => out.push(joined.clone()),
                        JoinKind::Right | JoinKind::Full => {
                            if let Some(m) = right_matched.get_mut(this) {
                                *m = true;
                            }
                            out.push(joined.clone());
                        }
                    }
                }
            }
            match spec.kind {
                JoinKind::Semi if matched => out.push(l),
                JoinKind::Anti if !matched => out.push(l),
                JoinKind::Left | JoinKind::Full if !matched => out.push(pad_right(l, spec.right_width)),
                _ => {}
            }
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

    /// Inner join with the (smaller) left input as build side; output stays left ++ right.
    fn inner_build_left(
        &mut self,
        txn: &Txn,
        left: Vec<Row>,
        right: Vec<Row>,
        spec: &HashJoinSpec<'_>,
    ) -> Result<Vec<Row>> {
        let table = self.build(txn, &left, spec.left_keys)?;
        let mut out = Vec::new();
        let mut joined: Row = Vec::with_capacity(spec.left_width + spec.right_width);
        for r in right {
            self.tick()?;
            let Some(key) = self.join_key(txn, spec.right_keys, &r)? else {
                continue;
            };
            let mut i = table.heads.get(&key).copied().unwrap_or(END);
            while let Some(l) = left.get(i) {
                i = table.next.get(i).copied().unwrap_or(END);
                joined.clear();
                joined.extend_from_slice(l);
                joined.extend_from_slice(&r);
                if let Some(res) = spec.residual {
                    if !self.eval_predicate(txn, res, &joined)? {
                        continue;
                    }
                }
                out.push(joined.clone());
            }
        }
        Ok(out)
    }
}
