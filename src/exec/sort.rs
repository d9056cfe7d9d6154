//! Ordering and trimming: ORDER BY (stable), LIMIT/OFFSET, DISTINCT and DISTINCT ON.

use std::cmp::Ordering;

use crate::error::{sqlstate, Error, Result};
use crate::plan::{Expr, Plan, SortKey};
use crate::storage::Txn;
use crate::types::{Row, Value};

use super::hashing::FastSet;
use super::Executor;

/// Compares two sort-key tuples: `Value::cmp` between non-NULLs, NULL placement per key.
pub(super) fn compare_keys(keys: &[SortKey], a: &[Value], b: &[Value]) -> Ordering {
    for ((key, x), y) in keys.iter().zip(a).zip(b) {
        let ord = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if key.nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if key.nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (false, false) => {
                let o = x.cmp(y);
                if key.desc {
                    o.reverse()
                } else {
                    o
                }
            }
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

impl Executor<'_> {
    pub(super) fn sort(&mut self, txn: &Txn, rows: Vec<Row>, keys: &[SortKey]) -> Result<Vec<Row>> {
        // Keys are evaluated once per row, then the rows move into their sorted places.
        let mut keyed: Vec<(Vec<Value>, Row)> = Vec::with_capacity(rows.len());
        for row in rows {
            self.tick()?;
            let mut k = Vec::with_capacity(keys.len());
            for key in keys {
                k.push(self.eval(txn, &key.expr, &row)?);
            }
            keyed.push((k, row));
        }
        keyed.sort_by(|a, b| compare_keys(keys, &a.0, &b.0));
        Ok(keyed.into_iter().map(|(_, row)| row).collect())
    }

    pub(super) fn limit(
        &mut self,
        txn: &Txn,
        input: &Plan,
        limit: Option<&Expr>,
        offset: Option<&Expr>,
    ) -> Result<Vec<Row>> {
        let offset = match offset {
            Some(e) => self.count(
                txn,
                e,
                sqlstate::INVALID_ROW_COUNT_IN_OFFSET,
                "OFFSET must not be negative",
            )?,
            None => None,
        };
        let limit = match limit {
            Some(e) => self.count(
                txn,
                e,
                sqlstate::INVALID_ROW_COUNT_IN_LIMIT,
                "LIMIT must not be negative",
            )?,
            None => None,
        };
        let skip = usize::try_from(offset.unwrap_or(0)).unwrap_or(usize::MAX);
        let take = limit
            .map(|l| usize::try_from(l).unwrap_or(usize::MAX))
            .unwrap_or(usize::MAX);
        let rows = self.query_upto(txn, input, skip.saturating_add(take))?;
        Ok(rows.into_iter().skip(skip).take(take).collect())
    }

    /// A LIMIT/OFFSET count: NULL = none, negative is an error.
    fn count(&mut self, txn: &Txn, expr: &Expr, code: &'static str, negative: &str) -> Result<Option<i64>> {
        let n = match self.eval(txn, expr, &[])? {
            Value::Null => return Ok(None),
            Value::Int2(n) => i64::from(n),
            Value::Int4(n) => i64::from(n),
            Value::Int8(n) => n,
            Value::Numeric(d) => {
                let rounded = d.round();
                i64::try_from(rounded).map_err(|_| Error::out_of_range("bigint"))?
            }
            Value::Float8(f) => float_count(f)?,
            Value::Float4(f) => float_count(f64::from(f))?,
            other => {
                return Err(Error::datatype_mismatch(format!(
                    "argument of LIMIT must be type bigint, not type {}",
                    other.data_type()
                )))
            }
        };
        if n < 0 {
            return Err(Error::sql(code, negative));
        }
        Ok(Some(n))
    }

    pub(super) fn distinct(&mut self, rows: Vec<Row>) -> Vec<Row> {
        let mut seen: FastSet<Row> = FastSet::with_capacity_and_hasher(rows.len(), Default::default());
        let mut out = Vec::new();
        for row in rows {
            if !seen.contains(&row) {
                seen.insert(row.clone());
                out.push(row);
            }
        }
        out
    }

    pub(super) fn distinct_on(&mut self, txn: &Txn, rows: Vec<Row>, keys: &[Expr]) -> Result<Vec<Row>> {
        let mut seen: FastSet<Vec<Value>> = FastSet::default();
        let mut out = Vec::new();
        for row in rows {
            self.tick()?;
            let mut k = Vec::with_capacity(keys.len());
            for e in keys {
                k.push(self.eval(txn, e, &row)?);
            }
            if seen.insert(k) {
                out.push(row);
            }
        }
        Ok(out)
    }
}

fn float_count(f: f64) -> Result<i64> {
    let r = f.round();
    if !r.is_finite() || r < i64::MIN as f64 || r >= i64::MAX as f64 {
        return Err(Error::out_of_range("bigint"));
    }
    Ok(r as i64)
}
