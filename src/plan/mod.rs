//! Planning: binds parsed SQL against the catalog (names, types, coercions) into the plan
//! structures below, then optimizes them (predicate pushdown, join keys for hash joins, index
//! selection). Does no I/O: the executor runs what this produces.

/// DML binding: INSERT, UPDATE, DELETE.
mod bind_catalog;
mod bind_dml;
/// Scalar expression binding.
mod bind_expr;
/// FROM items and joins.
mod bind_from;
/// Function, aggregate and subquery expressions.
mod bind_function;
/// GROUP BY rewriting over aggregate output.
mod bind_group;
/// Blockchain-table functions (verify, seal, proofs, metadata).
mod bind_ledger;
/// `lineage(relation [, depth])` in FROM.
mod bind_lineage;
/// Operators and predicates.
mod bind_operator;
/// `current_user`, `pg_get_userbyid`, `has_table_privilege`.
mod bind_privilege;
/// WITH, set operations, VALUES around SELECT blocks.
mod bind_query;
mod bind_reg_cast;
/// SELECT blocks: target list, grouping, ORDER BY, LIMIT.
mod bind_select;
/// Window function calls (`OVER`).
mod bind_window;
/// The binder's state and entry points.
pub mod binder;
/// Implicit and explicit casts, parameter inference.
mod coercion;
/// PostgreSQL's names for unaliased output columns.
mod column_name;
/// EXPLAIN output.
pub mod explain;
/// Bound expressions.
pub mod expr;
/// Rule-based rewrites: pushdown, hash-join keys, index selection.
pub mod optimizer;
/// Logical/physical plan nodes and bound statements.
// `plan::plan` is the public path the other layers already use.
#[allow(clippy::module_inception)]
pub mod plan;
/// Point reads: bounded plans a server may run without a thread hand-off.
mod point;
/// Expression and plan walkers.
mod rewrite;
/// Name scopes for column resolution.
mod scope;
/// SQL type names to `DataType`.
pub mod sql_type;

#[cfg(test)]
mod tests;

pub use binder::Binder;
pub use expr::{AggCall, AggFunc, Expr, LedgerFunc, SortKey, SubqueryKind, WindowCall, WindowFunc};
pub use plan::{
    BoundStatement, DeletePlan, IndexLookup, InsertPlan, JoinKind, OnConflict, OutputColumn, Plan, QueryPlan,
    ScanSource, SetOpKind, TableFunc, UpdatePlan,
};
/// Which input columns an expression reads (scans decode only those before filtering).
pub(crate) use rewrite::columns_used;
