//! Point reads: queries whose work is bounded by one key lookup, with no function calls or
//! subqueries. The server runs them on the connection's I/O thread instead of handing the
//! statement to a thread that may block (`server::connection`): for a prepared point SELECT
//! that hand-off cost more than the lookup itself.
//!
//! A plan qualifies when it is a scan of one ordinary table by its whole primary key or a whole
//! unique index key, under only filters, projections and limits, every expression built from
//! columns, constants, parameters, casts and operators. Blockchain tables are excluded: their
//! rows are read through the chain (`ledger::rows`), which first reads the table's headers.

use super::expr::Expr;
use super::plan::{BoundStatement, IndexLookup, Plan, ScanSource};

impl BoundStatement {
    /// Whether this statement is a point read (module docs).
    pub fn is_point_read(&self) -> bool {
        match self {
            BoundStatement::Query(q) => point_plan(&q.plan),
            _ => false,
        }
    }
}

fn point_plan(plan: &Plan) -> bool {
    match plan {
        Plan::Scan {
            table,
            source,
            filter,
            emit_key: false,
        } if !table.is_blockchain() => {
            let values = match source {
                ScanSource::PrimaryKey(IndexLookup::Eq(values))
                    if table.primary_key.as_ref().is_some_and(|pk| pk.len() == values.len()) =>
                {
                    values
                }
                ScanSource::Index(index, IndexLookup::Eq(values))
                    if index.unique && index.columns.len() == values.len() =>
                {
                    values
                }
                _ => return false,
            };
            values.iter().all(simple) && filter.as_ref().is_none_or(simple)
        }
        Plan::Filter { input, predicate } => simple(predicate) && point_plan(input),
        Plan::Project { input, exprs } => exprs.iter().all(simple) && point_plan(input),
        Plan::Limit { input, limit, offset } => {
            limit.as_ref().is_none_or(simple) && offset.as_ref().is_none_or(simple) && point_plan(input)
        }
        _ => false,
    }
}

/// Expressions whose cost is bounded by their operands' sizes.
fn simple(e: &Expr) -> bool {
    match e {
        Expr::Constant(_) | Expr::Column(_) | Expr::Param(_) => true,
        Expr::Unary { expr, .. }
        | Expr::Not(expr)
        | Expr::IsNull { expr, .. }
        | Expr::IsBool { expr, .. }
        | Expr::Cast { expr, .. } => simple(expr),
        Expr::Binary { left, right, .. } | Expr::IsDistinctFrom { left, right, .. } => simple(left) && simple(right),
        Expr::And(terms) | Expr::Or(terms) => terms.iter().all(simple),
        _ => false,
    }
}
