//! SQL types and values: what a column can hold, how values compare, convert, print and combine.
//!
//! Owns no storage and no SQL syntax; every layer above speaks in these terms.
//! `Value` is the runtime representation; `DataType` is what the binder reasons about.

/// Array SQL functions.
pub(crate) mod array;
/// Casts and implicit coercion rules between types.
pub mod cast;
/// `DataType`: the SQL types Vellum supports, with their PostgreSQL names and OIDs.
pub mod datatype;
/// DATE/TIME/TIMESTAMP[TZ] text forms and calendar arithmetic.
pub mod datetime;
/// `encode`/`decode` of bytea as hex, base64 and escape text.
pub(crate) mod encoding;
/// Operator evaluation on coerced values.
pub(crate) mod eval;
/// Scalar functions callable from SQL (string, math, date/time, JSON), resolved by name and argument types.
pub mod functions;
/// `INTERVAL` values in PostgreSQL's months/days/microseconds representation.
pub mod interval;
/// JSONB canonical form, output and operators.
pub mod json;
/// Mathematical SQL functions.
pub(crate) mod math;
/// NUMERIC input, result scales and conversions.
pub mod numeric;
/// Unary and binary operators: result-type resolution and evaluation.
pub mod ops;
/// LIKE and regular-expression matching.
pub(crate) mod pattern;
/// SQL quoting and `format()`.
pub mod quote;
/// The signature table scalar functions are resolved against.
pub(crate) mod signatures;
/// String and array SQL functions.
pub(crate) mod string;
/// Date/time SQL functions.
pub(crate) mod temporal;
/// Text input and output of values in PostgreSQL's formats.
pub mod text;
/// `to_char` formatting templates.
pub(crate) mod to_char;
/// `to_date`/`to_timestamp` reading text with a formatting template.
pub(crate) mod to_date;
/// `Value`: one SQL datum, with equality, hashing and the total order used by sorts.
pub mod value;

pub use datatype::DataType;
pub use interval::Interval;
pub use value::{Row, Value};
