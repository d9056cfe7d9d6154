//! Casts between types and the implicit coercion rules the binder applies.

use super::{DataType, Value};
use crate::error::Result;

/// Explicit cast (`CAST(x AS t)`, `x::t`, and assignment to a column of type `t`).
/// Enforces typmods: NUMERIC(p,s) rounds to s and errors (22003) past p; VARCHAR(n) errors
/// (22001) past n except for trailing spaces; CHAR(n) pads. Bad text → 22P02; out of range → 22003.
pub fn cast(value: &Value, to: &DataType) -> Result<Value> {
    let _ = (value, to);
    todo!("types::cast::cast")
}

/// Cast applied when storing into a column (PostgreSQL's assignment cast): like `cast`, but
/// `too long for type character varying(n)` follows PostgreSQL's assignment rule.
pub fn assign(value: &Value, to: &DataType) -> Result<Value> {
    let _ = (value, to);
    todo!("types::cast::assign")
}

/// Whether `from` converts to `to` implicitly (PostgreSQL's `i` casts, plus `Unknown` → anything).
pub fn can_coerce_implicitly(from: &DataType, to: &DataType) -> bool {
    let _ = (from, to);
    todo!("types::cast::can_coerce_implicitly")
}

/// The common type for UNION branches, CASE results, IN lists, COALESCE arguments
/// (PostgreSQL's `select_common_type`); 42804 "X types a and b cannot be matched" if none.
pub fn common_type(types: &[DataType], context: &str) -> Result<DataType> {
    let _ = (types, context);
    todo!("types::cast::common_type")
}
