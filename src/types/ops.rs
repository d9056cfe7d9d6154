//! Operators: resolving the types an operator application coerces to, and evaluating it.
//!
//! The binder calls `resolve_binary`/`resolve_unary` once per expression; the executor calls
//! `eval_binary`/`eval_unary` per row on values already coerced to the resolved operand types.

use std::cmp::Ordering;

use super::{DataType, Value};
use crate::error::Result;

/// Binary operators reachable from SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    /// `^` (PostgreSQL power, always float or numeric)
    Pow,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    /// Three-valued AND/OR are evaluated lazily by the executor; listed for typing.
    And,
    Or,
    /// `||` string/bytea/array/jsonb concatenation
    Concat,
    BitAnd,
    BitOr,
    BitXor,
    ShiftLeft,
    ShiftRight,
    /// `->` jsonb field/element as jsonb
    JsonGet,
    /// `->>` jsonb field/element as text
    JsonGetText,
    /// `#>` / `#>>` path extraction
    JsonPath,
    JsonPathText,
    /// `@>` / `<@` containment
    JsonContains,
    JsonContainedBy,
    /// `?` key exists
    JsonExists,
    /// `~`, `~*`, `!~`, `!~*`
    RegexMatch {
        case_insensitive: bool,
        negated: bool,
    },
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Neg,
    Plus,
    Not,
    BitNot,
    /// `|/` square root, `@` absolute value
    Sqrt,
    Abs,
}

/// How an operator application is typed: coerce each operand, produce `result`.
#[derive(Debug, Clone, PartialEq)]
pub struct BinarySignature {
    pub left: DataType,
    pub right: DataType,
    pub result: DataType,
}

/// Resolves `left op right` for operand types, with PostgreSQL's coercions (e.g. int4 + int8 →
/// both int8; int + numeric → numeric; text literal (`Unknown`) against a date → date).
/// Errors with 42883 "operator does not exist: integer + boolean" when no match.
pub fn resolve_binary(op: BinaryOp, left: &DataType, right: &DataType) -> Result<BinarySignature> {
    let _ = (op, left, right);
    todo!("types::ops::resolve_binary")
}

/// Resolves a unary operator; returns (operand coercion target, result type).
pub fn resolve_unary(op: UnaryOp, operand: &DataType) -> Result<(DataType, DataType)> {
    let _ = (op, operand);
    todo!("types::ops::resolve_unary")
}

/// Evaluates a binary operator (not And/Or) on operands already coerced per `resolve_binary`.
/// NULL in → NULL out (except where PostgreSQL differs). Overflow → 22003, x/0 → 22012.
pub fn eval_binary(op: BinaryOp, left: &Value, right: &Value) -> Result<Value> {
    let _ = (op, left, right);
    todo!("types::ops::eval_binary")
}

/// Evaluates a unary operator.
pub fn eval_unary(op: UnaryOp, operand: &Value) -> Result<Value> {
    let _ = (op, operand);
    todo!("types::ops::eval_unary")
}

/// SQL comparison of two non-NULL values of compatible types (numeric types compare across
/// widths). `None` when either is NULL.
pub fn sql_compare(left: &Value, right: &Value) -> Result<Option<Ordering>> {
    let _ = (left, right);
    todo!("types::ops::sql_compare")
}

/// SQL `LIKE`/`ILIKE` matching with `%`, `_` and an escape character (default `\`).
pub fn like_match(text: &str, pattern: &str, escape: Option<char>, case_insensitive: bool) -> Result<bool> {
    let _ = (text, pattern, escape, case_insensitive);
    todo!("types::ops::like_match")
}
