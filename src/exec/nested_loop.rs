//! Nested-loop join of two materialized inputs, for every join kind; a missing condition is a
//! cross join. Output: left ++ right (Semi/Anti: left only), outer-join padding is NULLs.

use crate::error::Result;
use crate::plan::{Expr, JoinKind};
use crate::storage::Txn;
use crate::types::{Row, Value};

use super::Executor;

impl Executor<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn nested_loop_join(
        &mut self,
        txn: &Txn,
        left: Vec<Row>,
        right: Vec<Row>,
        left_width: usize,
        right_width: usize,
        kind: JoinKind,
        condition: Option<&Expr>,
    ) -> Result<Vec<Row>> {
        let mut out = Vec::new();
        let mut right_matched = vec![false; right.len()];
        let mut joined: Row = Vec::with_capacity(left_width + right_width);
        for l in left {
            let mut matched = false;
            for (j, r) in right.iter().enumerate() {
                self.tick()?;
                joined.clear();
                joined.extend_from_slice(&l);
                joined.extend_from_slice(r);
                let hit = match condition {
                    Some(c) => self.eval_predicate(txn, c, &joined)?,
                    None => true,
                };
                if !hit {
                    continue;
                }
                matched = true;
                match kind {
                    JoinKind::Semi | JoinKind::Anti => break,
                    JoinKind::Inner | JoinKind::Left => out.push(joined.clone()),
                    JoinKind::Right | JoinKind::Full => {
                        if let Some(m) = right_matched.get_mut(j) {
                            *m = true;
                        }
                        out.push(joined.clone());
                    }
                }
            }
            match kind {
                JoinKind::Semi if matched => out.push(l),
                JoinKind::Anti if !matched => out.push(l),
                JoinKind::Left | JoinKind::Full if !matched => out.push(pad_right(l, right_width)),
                _ => {}
            }
        }
        if matches!(kind, JoinKind::Right | JoinKind::Full) {
            for (r, matched) in right.into_iter().zip(right_matched) {
                if !matched {
                    out.push(pad_left(left_width, r));
                }
            }
        }
        Ok(out)
    }
}

/// `left ++ NULLs` for an unmatched left row.
pub(super) fn pad_right(mut left: Row, right_width: usize) -> Row {
    left.resize(left.len() + right_width, Value::Null);
    left
}

/// `NULLs ++ right` for an unmatched right row.
pub(super) fn pad_left(left_width: usize, right: Row) -> Row {
    let mut row = Vec::with_capacity(left_width + right.len());
    row.resize(left_width, Value::Null);
    row.extend(right);
    row
}
