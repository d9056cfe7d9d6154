//! Scalar functions callable from SQL, resolved by name and argument types.
//!
//! Functions that need the database (catalog lookups, ledger functions, settings) are not here:
//! the binder resolves those names itself. Everything here is pure given a `FunctionContext`.

use chrono::{DateTime, Utc};

use super::{DataType, Value};
use crate::error::Result;

/// Identifies a resolved scalar function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScalarFunc {
    Abs,
    Lower,
    Upper,
    Length,
    Now,
}

/// What a function needs from the statement that calls it.
#[derive(Debug, Clone)]
pub struct FunctionContext {
    /// `now()` / `current_timestamp`: the transaction's start time, as in PostgreSQL.
    pub transaction_start: DateTime<Utc>,
    /// `clock_timestamp()`.
    pub statement_start: DateTime<Utc>,
}

/// A resolved call: the function, the types to coerce each argument to, and the result type.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedFunction {
    pub func: ScalarFunc,
    pub arg_types: Vec<DataType>,
    pub return_type: DataType,
}

/// Looks up `name` (lower-case) for the given argument types. `Ok(None)` if no such function
/// name exists at all; 42883 "function f(integer) does not exist" if the name exists but no
/// signature matches.
pub fn resolve(name: &str, args: &[DataType]) -> Result<Option<ResolvedFunction>> {
    let _ = (name, args);
    todo!("types::functions::resolve")
}

/// Calls a resolved function on arguments already coerced to `arg_types`. Most functions are
/// strict (NULL in → NULL out); `concat`, `concat_ws` and friends are not.
pub fn call(func: ScalarFunc, args: &[Value], ctx: &FunctionContext) -> Result<Value> {
    let _ = (func, args, ctx);
    todo!("types::functions::call")
}
