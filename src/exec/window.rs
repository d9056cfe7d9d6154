//! Window functions over a SELECT's input rows: `row_number()`, `rank()` and `dense_rank()`
//! within `PARTITION BY` groups in `ORDER BY` order. Rows keep their input order; each gets
//! one `bigint` per call appended. Partition keys group NULLs together, as PostgreSQL does.

use std::cmp::Ordering;

use crate::error::Result;
use crate::plan::{SortKey, WindowCall, WindowFunc};
use crate::storage::Txn;
use crate::types::{Row, Value};

use super::sort::compare_keys;
use super::Executor;

impl Executor<'_> {
    pub(super) fn window(&mut self, txn: &Txn, mut rows: Vec<Row>, calls: &[WindowCall]) -> Result<Vec<Row>> {
        for call in calls {
            let numbers = self.window_numbers(txn, &rows, call)?;
            for (row, n) in rows.iter_mut().zip(numbers) {
                row.push(Value::Int8(n));
            }
        }
        Ok(rows)
    }

    /// The call's value for each row, by input position.
    fn window_numbers(&mut self, txn: &Txn, rows: &[Row], call: &WindowCall) -> Result<Vec<i64>> {
        // Partition values compare as an ascending sort key would (NULLs equal to each other).
        let partition_keys: Vec<SortKey> = call
            .partition_by
            .iter()
            .map(|e| SortKey {
                expr: e.clone(),
                desc: false,
                nulls_first: false,
            })
            .collect();
        let mut keyed: Vec<(Vec<Value>, Vec<Value>, usize)> = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            self.tick()?;
            let mut partition = Vec::with_capacity(partition_keys.len());
            for k in &partition_keys {
                partition.push(self.eval(txn, &k.expr, row)?);
            }
            let mut order = Vec::with_capacity(call.order_by.len());
            for k in &call.order_by {
                order.push(self.eval(txn, &k.expr, row)?);
            }
            keyed.push((partition, order, i));
        }
        // Stable: rows equal in both keys keep their input order, as a sort in PostgreSQL's
        // WindowAgg leaves them in the order its input delivered.
        keyed.sort_by(|a, b| {
            compare_keys(&partition_keys, &a.0, &b.0).then_with(|| compare_keys(&call.order_by, &a.1, &b.1))
        });
        let mut numbers = vec![0i64; rows.len()];
        let (mut row_number, mut rank, mut dense_rank) = (0i64, 0i64, 0i64);
        for (k, (partition, order, index)) in keyed.iter().enumerate() {
            let previous = k.checked_sub(1).and_then(|p| keyed.get(p));
            let same_partition =
                previous.is_some_and(|p| compare_keys(&partition_keys, &p.0, partition) == Ordering::Equal);
            if same_partition {
                row_number += 1;
                let peer = previous.is_some_and(|p| compare_keys(&call.order_by, &p.1, order) == Ordering::Equal);
                if !peer {
                    rank = row_number;
                    dense_rank += 1;
                }
            } else {
                (row_number, rank, dense_rank) = (1, 1, 1);
            }
            if let Some(slot) = numbers.get_mut(*index) {
                *slot = match call.func {
                    WindowFunc::RowNumber => row_number,
                    WindowFunc::Rank => rank,
                    WindowFunc::DenseRank => dense_rank,
                };
            }
        }
        Ok(numbers)
    }
}
