//! Bound expressions: names resolved to row positions, operators and functions resolved to
//! typed implementations, coercions made explicit as `Cast` nodes.

use crate::types::functions::ScalarFunc;
use crate::types::ops::{BinaryOp, UnaryOp};
use crate::types::{DataType, Value};

use super::plan::Plan;

/// A bound scalar expression, evaluated against one input row.
#[derive(Debug, Clone)]
pub enum Expr {
    Constant(Value),
    /// Position in the input row.
    Column(usize),
    /// A column of an enclosing query's row (correlated subquery): `levels_up` = 1 is the
    /// immediately enclosing query.
    Outer {
        levels_up: usize,
        index: usize,
    },
    /// `$n` parameter (0-based here), already coerced where its type was inferred.
    Param(usize),
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    /// Any binary operator except AND/OR; operands already coerced to the resolved signature.
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// Three-valued AND over all terms (lazy).
    And(Vec<Expr>),
    /// Three-valued OR over all terms (lazy).
    Or(Vec<Expr>),
    Not(Box<Expr>),
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    /// `IS [NOT] TRUE/FALSE/UNKNOWN`: `value` None means UNKNOWN.
    IsBool {
        expr: Box<Expr>,
        value: Option<bool>,
        negated: bool,
    },
    IsDistinctFrom {
        left: Box<Expr>,
        right: Box<Expr>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        escape: Option<Box<Expr>>,
        case_insensitive: bool,
        negated: bool,
    },
    /// `expr [NOT] IN (list)` with SQL NULL semantics.
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    /// Searched (`operand` None) or simple CASE.
    Case {
        operand: Option<Box<Expr>>,
        branches: Vec<(Expr, Expr)>,
        else_expr: Option<Box<Expr>>,
    },
    Cast {
        expr: Box<Expr>,
        to: DataType,
    },
    Function {
        func: ScalarFunc,
        args: Vec<Expr>,
    },
    /// A blockchain-table function: reads (or, for seal, asks to change) stored chains, so it
    /// is evaluated with the transaction and never folded.
    Ledger {
        func: LedgerFunc,
        args: Vec<Expr>,
    },
    /// Lazy: stops at the first non-NULL.
    Coalesce(Vec<Expr>),
    NullIf {
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// GREATEST / LEAST (NULLs ignored).
    Greatest(Vec<Expr>),
    Least(Vec<Expr>),
    /// `ARRAY[...]`
    Array(Vec<Expr>),
    /// `arr[i]` (1-based, NULL when out of range)
    ArrayIndex {
        array: Box<Expr>,
        index: Box<Expr>,
    },
    Subquery {
        plan: Box<Plan>,
        kind: SubqueryKind,
        correlated: bool,
    },
}

/// Scalar functions over blockchain tables (evaluated in `exec::ledger`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerFunc {
    /// `verify_blockchain(table text) → boolean`
    Verify,
    /// `verify_blockchain_block(table text, block_id bigint) → boolean`
    VerifyBlock,
    /// `seal_blockchain_block(table text) → bigint`
    Seal,
    /// `blockchain_proof(table text, block_id bigint, row_index bigint) → text (JSON)`
    Proof,
    /// `verify_blockchain_proof(proof text) → boolean`
    VerifyProof,
    /// `sign_blockchain_block(table text, block_id bigint, signer text, signature text) → boolean`
    Sign,
    /// `blockchain_digest(table text) → text (JSON)`
    Digest,
    /// `verify_blockchain(table text, digest text) → boolean`
    VerifyDigest,
    /// `purge_blockchain(table text [, as_of timestamptz]) → bigint`
    Purge,
    /// `purge_blockchain_blocks(table text, first bigint, last bigint, reason text) → bigint`
    PurgeBlocks,
}

/// How a subquery's rows become a value.
#[derive(Debug, Clone)]
pub enum SubqueryKind {
    /// One column, at most one row (21000 otherwise); no rows → NULL.
    Scalar,
    Exists,
    /// `expr [NOT] IN (subquery)`.
    In {
        expr: Box<Expr>,
        negated: bool,
    },
    /// `expr op ANY|ALL (subquery)`; `all` false = ANY/SOME. `op` is a comparison, operands coerced.
    Quantified {
        expr: Box<Expr>,
        op: BinaryOp,
        all: bool,
    },
}

/// Aggregate functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggFunc {
    CountStar,
    Count,
    Sum,
    Avg,
    Min,
    Max,
    StringAgg,
    BoolAnd,
    BoolOr,
    ArrayAgg,
    JsonbAgg,
    StddevSamp,
    StddevPop,
    VarSamp,
    VarPop,
}

/// One aggregate call in an `Aggregate` node.
#[derive(Debug, Clone)]
pub struct AggCall {
    pub func: AggFunc,
    /// Arguments over the aggregate's input row (string_agg has two: value, delimiter).
    pub args: Vec<Expr>,
    pub distinct: bool,
    /// `FILTER (WHERE ...)`
    pub filter: Option<Expr>,
    /// `string_agg(x, ',' ORDER BY y)` / `array_agg(x ORDER BY y)`
    pub order_by: Vec<SortKey>,
    pub return_type: DataType,
}

/// A sort key: PostgreSQL defaults are NULLS LAST for ASC and NULLS FIRST for DESC.
#[derive(Debug, Clone)]
pub struct SortKey {
    pub expr: Expr,
    pub desc: bool,
    pub nulls_first: bool,
}

/// A ranking window function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowFunc {
    /// `row_number()`: 1, 2, 3, ... within the partition.
    RowNumber,
    /// `rank()`: the row number of the first peer (rows equal in the window's ORDER BY).
    Rank,
    /// `dense_rank()`: 1 + the number of distinct peer groups before the row's.
    DenseRank,
}

/// `func() OVER (PARTITION BY partition_by ORDER BY order_by)`, evaluated over a SELECT's
/// input rows; the result is `bigint`.
#[derive(Debug, Clone)]
pub struct WindowCall {
    pub func: WindowFunc,
    pub partition_by: Vec<Expr>,
    pub order_by: Vec<SortKey>,
}

impl AggFunc {
    /// PostgreSQL's result type: count → bigint; sum(int2/int4) → bigint; sum(int8/numeric) →
    /// numeric; sum(float4) → real; avg(integer/numeric) → numeric; avg(float) → double precision;
    /// min/max → input type; string_agg → text; bool_and/or → boolean.
    pub fn return_type(self, arg: Option<&DataType>) -> DataType {
        use DataType as T;
        match (self, arg) {
            (AggFunc::CountStar | AggFunc::Count, _) => T::Int8,
            (AggFunc::Sum, Some(T::Int2 | T::Int4)) => T::Int8,
            (AggFunc::Sum, Some(T::Int8 | T::Numeric(_))) => T::Numeric(None),
            (AggFunc::Sum, Some(T::Float4)) => T::Float4,
            (AggFunc::Sum, Some(T::Interval)) => T::Interval,
            (AggFunc::Sum, _) => T::Float8,
            (AggFunc::Avg, Some(T::Int2 | T::Int4 | T::Int8 | T::Numeric(_))) => T::Numeric(None),
            (AggFunc::Avg, Some(T::Interval)) => T::Interval,
            (AggFunc::Avg, _) => T::Float8,
            (AggFunc::Min | AggFunc::Max, Some(t)) => match t {
                T::Varchar(_) | T::Char(_) | T::Unknown => T::Text,
                other => other.clone(),
            },
            (AggFunc::Min | AggFunc::Max, None) => T::Text,
            (AggFunc::StringAgg, _) => T::Text,
            (AggFunc::BoolAnd | AggFunc::BoolOr, _) => T::Bool,
            (AggFunc::ArrayAgg, Some(t)) => T::Array(Box::new(t.clone())),
            (AggFunc::ArrayAgg, None) => T::Array(Box::new(T::Text)),
            (AggFunc::JsonbAgg, _) => T::Jsonb,
            (AggFunc::StddevSamp | AggFunc::StddevPop | AggFunc::VarSamp | AggFunc::VarPop, Some(t))
                if t.is_float() =>
            {
                T::Float8
            }
            (AggFunc::StddevSamp | AggFunc::StddevPop | AggFunc::VarSamp | AggFunc::VarPop, _) => T::Numeric(None),
        }
    }
}
