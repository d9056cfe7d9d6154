//! Plan nodes. Every node produces rows of a fixed width; expressions in a node refer to
//! positions in its input row (for joins: the left row followed by the right row).

use std::sync::Arc;

use crate::catalog::{IndexDef, TableDef};
use crate::types::DataType;

use super::expr::{AggCall, Expr, SortKey, WindowCall};

/// A result column as clients see it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputColumn {
    pub name: String,
    pub data_type: DataType,
    /// Source table id and column position, when the column is a plain table column
    /// (RowDescription's table OID / attnum).
    pub source: Option<(u32, usize)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
    /// Rows of the left input that have a match (from EXISTS/IN decorrelation).
    Semi,
    /// Rows of the left input without a match (NOT EXISTS).
    Anti,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOpKind {
    Union,
    Intersect,
    Except,
}

/// Where a scan reads: the whole table, or a range of the primary key or a secondary index.
#[derive(Debug, Clone)]
pub enum ScanSource {
    /// Full table scan in primary-key (or row-id) order.
    Table,
    /// Primary key lookup/range (`lookup` over the PK columns in PK order).
    PrimaryKey(IndexLookup),
    /// Secondary index lookup/range.
    Index(Arc<IndexDef>, IndexLookup),
}

/// Which index entries a scan visits. Expressions are constant for the scan (constants,
/// parameters, outer references) and already coerced to the indexed columns' types.
#[derive(Debug, Clone)]
pub enum IndexLookup {
    /// Equality on the first `values.len()` indexed columns.
    Eq(Vec<Expr>),
    /// Equality on a prefix, then a range on the next column. Bounds: (expr, inclusive).
    Range {
        prefix: Vec<Expr>,
        lower: Option<(Expr, bool)>,
        upper: Option<(Expr, bool)>,
    },
    /// `col IN (v1, v2, ...)` on the first indexed column: one Eq probe per distinct value.
    InList(Vec<Expr>),
}

/// Set-returning functions usable in FROM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFunc {
    /// generate_series(start, stop [, step]) over integers or timestamps.
    GenerateSeries,
    /// unnest(array)
    Unnest,
    /// blockchain_metadata(table): one row per stored block header.
    BlockchainMetadata,
    /// blockchain_tamper_report(table): one row per verification finding.
    BlockchainTamperReport,
    /// `blockchain_purge_log(table)`.
    BlockchainPurgeLog,
    /// blockchain_signers(): one row per registered block signer.
    BlockchainSigners,
    /// lineage(relation [, depth]): lineage edges around a table or view.
    Lineage,
}

/// A plan node.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Literal rows (`VALUES`, or `SELECT` without FROM as one empty row).
    Values {
        rows: Vec<Vec<Expr>>,
        width: usize,
    },
    /// Reads a table. Output: the table's columns in order, plus — when `emit_key` — one
    /// trailing `Bytea` column holding the row's storage key (for UPDATE/DELETE).
    Scan {
        table: Arc<TableDef>,
        source: ScanSource,
        filter: Option<Expr>,
        emit_key: bool,
    },
    TableFunction {
        func: TableFunc,
        args: Vec<Expr>,
        width: usize,
    },
    Filter {
        input: Box<Plan>,
        predicate: Expr,
    },
    Project {
        input: Box<Plan>,
        exprs: Vec<Expr>,
    },
    /// Nested-loop join; `condition` over (left ++ right). Semi/Anti output only left columns.
    NestedLoopJoin {
        left: Box<Plan>,
        right: Box<Plan>,
        kind: JoinKind,
        condition: Option<Expr>,
    },
    /// Hash join on `left_keys[i] = right_keys[i]` (NULL keys never match), then `residual`
    /// over (left ++ right). Keys are coerced to common types.
    HashJoin {
        left: Box<Plan>,
        right: Box<Plan>,
        kind: JoinKind,
        left_keys: Vec<Expr>,
        right_keys: Vec<Expr>,
        residual: Option<Expr>,
    },
    /// Output: the group-by values then one column per aggregate. No group-by and empty input
    /// still yields one row.
    Aggregate {
        input: Box<Plan>,
        group_by: Vec<Expr>,
        aggregates: Vec<AggCall>,
    },
    /// Window functions: the input rows, in input order, each followed by one `bigint`
    /// column per call.
    Window {
        input: Box<Plan>,
        calls: Vec<WindowCall>,
    },
    Sort {
        input: Box<Plan>,
        keys: Vec<SortKey>,
    },
    /// Both counts are constant expressions; NULL limit = no limit; negative → 2201W/2201X.
    Limit {
        input: Box<Plan>,
        limit: Option<Expr>,
        offset: Option<Expr>,
    },
    /// Removes duplicate rows (NULLs equal).
    Distinct {
        input: Box<Plan>,
    },
    /// `DISTINCT ON (exprs)`: first row per key in input order.
    DistinctOn {
        input: Box<Plan>,
        keys: Vec<Expr>,
    },
    SetOp {
        op: SetOpKind,
        all: bool,
        left: Box<Plan>,
        right: Box<Plan>,
    },
    /// `WITH RECURSIVE`: rows of `base`, then repeatedly `recursive` over the previous
    /// iteration's rows (read through `WorkTable { id }`) until it yields none. `distinct` for
    /// UNION (not ALL).
    RecursiveCte {
        id: usize,
        base: Box<Plan>,
        recursive: Box<Plan>,
        distinct: bool,
    },
    /// The rows of the current iteration of recursive CTE `id`.
    WorkTable {
        id: usize,
        width: usize,
    },
    /// A (non-recursive) CTE referenced more than once: computed once per statement, cached by id.
    CteScan {
        id: usize,
        plan: Box<Plan>,
    },
}

/// A bound query with its result columns.
#[derive(Debug, Clone)]
pub struct QueryPlan {
    pub plan: Plan,
    pub columns: Vec<OutputColumn>,
}

/// `ON CONFLICT` handling for INSERT.
#[derive(Debug, Clone)]
pub enum OnConflict {
    DoNothing,
    /// `DO UPDATE SET` assignments over (existing row ++ excluded row), optional WHERE.
    DoUpdate {
        assignments: Vec<(usize, Expr)>,
        filter: Option<Expr>,
    },
}

/// INSERT: `source` yields rows whose i-th value goes to table column `columns[i]`; other
/// columns get `defaults` (bound DEFAULT expressions, `None` = NULL).
#[derive(Debug, Clone)]
pub struct InsertPlan {
    pub table: Arc<TableDef>,
    pub columns: Vec<usize>,
    pub source: Plan,
    /// Per table column: DEFAULT expression (bound, no column references).
    pub defaults: Vec<Option<Expr>>,
    /// Bound CHECK constraints over a full table row: (constraint name, predicate).
    pub checks: Vec<(String, Expr)>,
    pub on_conflict: Option<OnConflict>,
    /// RETURNING expressions over the inserted table row.
    pub returning: Option<(Vec<Expr>, Vec<OutputColumn>)>,
}

/// UPDATE: `input` is a scan with `emit_key` (table row ++ key); assignments compute new column
/// values from that row.
#[derive(Debug, Clone)]
pub struct UpdatePlan {
    pub table: Arc<TableDef>,
    pub input: Plan,
    pub assignments: Vec<(usize, Expr)>,
    pub checks: Vec<(String, Expr)>,
    pub returning: Option<(Vec<Expr>, Vec<OutputColumn>)>,
}

/// DELETE: `input` is a scan with `emit_key`.
#[derive(Debug, Clone)]
pub struct DeletePlan {
    pub table: Arc<TableDef>,
    pub input: Plan,
    pub returning: Option<(Vec<Expr>, Vec<OutputColumn>)>,
}

/// What the binder hands the executor.
#[derive(Debug, Clone)]
pub enum BoundStatement {
    Query(QueryPlan),
    Insert(InsertPlan),
    Update(UpdatePlan),
    Delete(DeletePlan),
}
