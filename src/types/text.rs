//! Text input and output of values, exactly as PostgreSQL prints them (psql, drivers and
//! sqllogictest compare these strings).

use super::{DataType, Value};
use crate::error::Result;

/// Parses text into a value of `ty` (the `typinput` function). Bad input → 22P02 / 22007 / 22008.
pub fn parse(input: &str, ty: &DataType) -> Result<Value> {
    let _ = (input, ty);
    todo!("types::text::parse")
}

/// Formats a value as PostgreSQL's text output (`typoutput`): booleans `t`/`f`, floats in
/// shortest round-trip form (`Infinity`, `NaN`), timestamps `2024-01-02 03:04:05.5`, timestamptz
/// with `+00` offset, intervals `1 year 2 mons 3 days 04:05:06`, bytea `\x0102`, arrays `{1,2}`.
/// NULL has no text form: callers decide how to show it; this returns `None` for NULL.
pub fn format(value: &Value) -> Option<String> {
    let _ = value;
    todo!("types::text::format")
}
