//! `lineage(relation [, depth])`: the recorded lineage edges (`catalog::lineage`) within
//! `depth` hops of a table or view. Needs SELECT on that relation (its history tells what it
//! holds); checked when the function runs, as the relation is a value.

use crate::catalog::lineage::{read_all, walk};
use crate::catalog::{Access, Privileges};
use crate::error::{sqlstate, Error, Result};
use crate::storage::Txn;
use crate::types::{Row, Value};

use super::Executor;

/// Hops a walk may take at most (a longer chain of derivations than this is not a lineage
/// anyone reads, and the bound keeps the walk's work proportional to the edges).
const MAX_DEPTH: i64 = 1000;

impl Executor<'_> {
    pub(super) fn lineage_rows(&mut self, txn: &Txn, values: &[Value]) -> Result<Vec<Row>> {
        let name = match values.first() {
            Some(Value::Text(name)) => name,
            Some(Value::Null) => return Ok(Vec::new()),
            _ => return Err(Error::bug("lineage called without a relation name")),
        };
        let depth = match values.get(1) {
            None => 1,
            Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Int8(n)) if *n >= 0 => (*n).min(MAX_DEPTH) as u32,
            Some(Value::Int8(_)) => {
                return Err(Error::sql(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    "lineage depth must not be negative",
                ))
            }
            Some(_) => return Err(Error::bug("lineage depth is not bigint")),
        };
        let (id, relation, is_view) = match (self.catalog.table(name), self.catalog.view(name)) {
            (Some(t), _) => (t.id, t.name.clone(), false),
            (None, Some(v)) => (v.id, v.name.clone(), true),
            (None, None) => return Err(Error::undefined_table(name)),
        };
        if let Some(user) = self.functions.user {
            let access = Access {
                relation: id,
                name: relation.clone(),
                is_view,
                privileges: Privileges::SELECT,
                checked_as: None,
            };
            self.catalog.check_accesses(user, &[access])?;
        }
        let edges = read_all(txn)?;
        Ok(walk(&edges, &relation, depth)
            .into_iter()
            .map(|(edge, direction)| {
                vec![
                    Value::Text(edge.source.clone()),
                    Value::Text(edge.target.clone()),
                    Value::Text(edge.operation.clone()),
                    Value::Int8(i64::try_from(edge.tx_id).unwrap_or(i64::MAX)),
                    super::ledger::micros_value(edge.timestamp),
                    Value::Text(direction.to_string()),
                ]
            })
            .collect())
    }
}
