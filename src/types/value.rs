//! One SQL datum.
//!
//! Equality, hashing and `Ord` here are the *grouping/sorting* relations (NULL equals NULL and
//! sorts last, NaN equals NaN and sorts above every number, as PostgreSQL sorts), not SQL's
//! three-valued `=`, which lives in `ops`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;

use super::{DataType, Interval};

/// A row: values in column order.
pub type Row = Vec<Value>;

/// A SQL value. Character types (TEXT, VARCHAR, CHAR) all become `Text` at runtime.
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int2(i16),
    Int4(i32),
    Int8(i64),
    Float4(f32),
    Float8(f64),
    Numeric(Decimal),
    Text(String),
    Bytea(Vec<u8>),
    Date(NaiveDate),
    Time(NaiveTime),
    Timestamp(NaiveDateTime),
    TimestampTz(DateTime<Utc>),
    Interval(Interval),
    Jsonb(serde_json::Value),
    Uuid(uuid::Uuid),
    Array(Vec<Value>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The natural type of this value (`Unknown` for NULL, `Text` for strings).
    pub fn data_type(&self) -> DataType {
        match self {
            Value::Null => DataType::Unknown,
            Value::Bool(_) => DataType::Bool,
            Value::Int2(_) => DataType::Int2,
            Value::Int4(_) => DataType::Int4,
            Value::Int8(_) => DataType::Int8,
            Value::Float4(_) => DataType::Float4,
            Value::Float8(_) => DataType::Float8,
            Value::Numeric(_) => DataType::Numeric(None),
            Value::Text(_) => DataType::Text,
            Value::Bytea(_) => DataType::Bytea,
            Value::Date(_) => DataType::Date,
            Value::Time(_) => DataType::Time,
            Value::Timestamp(_) => DataType::Timestamp,
            Value::TimestampTz(_) => DataType::TimestampTz,
            Value::Interval(_) => DataType::Interval,
            Value::Jsonb(_) => DataType::Jsonb,
            Value::Uuid(_) => DataType::Uuid,
            Value::Array(items) => DataType::Array(Box::new(
                items
                    .iter()
                    .find(|v| !v.is_null())
                    .map(Value::data_type)
                    .unwrap_or(DataType::Text),
            )),
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Value) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    /// Total order for sorting and grouping: numbers compare across widths, NULL is greatest.
    fn cmp(&self, other: &Value) -> std::cmp::Ordering {
        let _ = other;
        todo!("Value::cmp")
    }
}

impl std::hash::Hash for Value {
    /// Consistent with `Eq`: equal numbers of different widths hash alike.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let _ = state;
        todo!("Value::hash")
    }
}
