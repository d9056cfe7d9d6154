//! Planning: binds parsed SQL against the catalog (names, types, coercions) into the plan
//! structures below, then optimizes them (predicate pushdown, join keys for hash joins, index
//! selection). Does no I/O: the executor runs what this produces.

/// Statement binding: SELECT, INSERT, UPDATE, DELETE, VALUES and expressions.
pub mod binder;
/// EXPLAIN output.
pub mod explain;
/// Bound expressions.
pub mod expr;
/// Rule-based rewrites: pushdown, hash-join keys, index selection.
pub mod optimizer;
/// Logical/physical plan nodes and bound statements.
pub mod plan;

pub use expr::{AggCall, AggFunc, Expr, SortKey, SubqueryKind};
pub use plan::{
    BoundStatement, DeletePlan, IndexLookup, InsertPlan, JoinKind, OnConflict, OutputColumn, Plan, QueryPlan,
    ScanSource, SetOpKind, TableFunc, UpdatePlan,
};
