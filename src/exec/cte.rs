//! WITH: CTEs computed once per statement, and recursive CTEs iterated to a fixpoint.

use std::rc::Rc;

use crate::error::{sqlstate, Error, Result};
use crate::plan::Plan;
use crate::storage::Txn;
use crate::types::Row;

use super::hashing::FastSet;
use super::Executor;

/// A recursive CTE producing more rows than this is almost surely unbounded; stop it with an
/// error instead of exhausting memory.
const RECURSIVE_ROW_LIMIT: usize = 10_000_000;

impl Executor<'_> {
    pub(super) fn cte_scan(&mut self, txn: &Txn, id: usize, plan: &Plan) -> Result<Vec<Row>> {
        if let Some((_, rows)) = self.ctes.get(&id) {
            return Ok(rows.as_ref().clone());
        }
        let rows = Rc::new(self.query(txn, plan)?);
        self.ctes.insert(id, (self.outer.len(), rows.clone()));
        Ok(rows.as_ref().clone())
    }

    pub(super) fn recursive_cte(
        &mut self,
        txn: &Txn,
        id: usize,
        base: &Plan,
        recursive: &Plan,
        distinct: bool,
    ) -> Result<Vec<Row>> {
        let mut seen: FastSet<Row> = FastSet::default();
        let mut all = Vec::new();
        let mut working = Vec::new();
        for row in self.query(txn, base)? {
            if !distinct || seen.insert(row.clone()) {
                working.push(row);
            }
        }
        let saved = self.work_tables.remove(&id);
        let result = loop {
            all.extend(working.iter().cloned());
            if working.is_empty() {
                break Ok(());
            }
            if all.len() > RECURSIVE_ROW_LIMIT {
                break Err(Error::sql(
                    sqlstate::PROGRAM_LIMIT_EXCEEDED,
                    format!("recursive query produced more than {RECURSIVE_ROW_LIMIT} rows"),
                )
                .with_hint("Check the recursive term's stop condition."));
            }
            if let Err(e) = self.check_cancel() {
                break Err(e);
            }
            self.work_tables.insert(id, Rc::new(std::mem::take(&mut working)));
            let produced = match self.query(txn, recursive) {
                Ok(rows) => rows,
                Err(e) => break Err(e),
            };
            for row in produced {
                if !distinct || seen.insert(row.clone()) {
                    working.push(row);
                }
            }
        };
        self.work_tables.remove(&id);
        if let Some(previous) = saved {
            self.work_tables.insert(id, previous);
        }
        result.map(|()| all)
    }
}
