//! One SQL datum.
//!
//! Equality, hashing and `Ord` here are the *grouping/sorting* relations (NULL equals NULL and
//! sorts last, NaN equals NaN and sorts above every number, as PostgreSQL sorts), not SQL's
//! three-valued `=`, which lives in `ops`.

use std::cmp::Ordering;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use rust_decimal::prelude::ToPrimitive;
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
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Value) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    /// Total order for sorting and grouping: numbers compare across widths, NULL is greatest.
    fn cmp(&self, other: &Value) -> Ordering {
        use Value::*;
        match (self, other) {
            (Int4(a), Int4(b)) => a.cmp(b),
            (Int8(a), Int8(b)) => a.cmp(b),
            (Text(a), Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Null, Null) => Ordering::Equal,
            (Null, _) => Ordering::Greater,
            (_, Null) => Ordering::Less,
            (Bool(a), Bool(b)) => a.cmp(b),
            (Bytea(a), Bytea(b)) => a.cmp(b),
            (Date(a), Date(b)) => a.cmp(b),
            (Time(a), Time(b)) => a.cmp(b),
            (Timestamp(a), Timestamp(b)) => a.cmp(b),
            (TimestampTz(a), TimestampTz(b)) => a.cmp(b),
            (Interval(a), Interval(b)) => a.comparable_micros().cmp(&b.comparable_micros()),
            (Jsonb(a), Jsonb(b)) => json_cmp(a, b),
            (Uuid(a), Uuid(b)) => a.cmp(b),
            (Array(a), Array(b)) => a.cmp(b),
            _ => match (Num::of(self), Num::of(other)) {
                (Some(a), Some(b)) => a.cmp(&b),
                _ => self.rank().cmp(&other.rank()),
            },
        }
    }
}

impl std::hash::Hash for Value {
    /// Consistent with `Eq`: equal numbers of different widths hash alike.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let rank = self.rank();
        state.write_u8(rank);
        match self {
            Value::Null => {}
            Value::Bool(b) => state.write_u8(*b as u8),
            Value::Int2(v) => state.write_i64(*v as i64),
            Value::Int4(v) => state.write_i64(*v as i64),
            Value::Int8(v) => state.write_i64(*v),
            Value::Float4(v) => hash_float(*v as f64, state),
            Value::Float8(v) => hash_float(*v, state),
            Value::Numeric(d) => hash_decimal(d, state),
            // The terminator keeps ("ab", "c") and ("a", "bc") apart in multi-column keys.
            Value::Text(s) => {
                state.write(s.as_bytes());
                state.write_u8(0xff);
            }
            Value::Bytea(b) => {
                state.write_usize(b.len());
                state.write(b);
            }
            Value::Date(d) => state.write_i32(d.num_days_from_ce()),
            Value::Time(t) => {
                state.write_u32(t.num_seconds_from_midnight());
                state.write_u32(t.nanosecond());
            }
            Value::Timestamp(t) => state.write_i64(t.and_utc().timestamp_micros()),
            Value::TimestampTz(t) => state.write_i64(t.timestamp_micros()),
            Value::Interval(i) => state.write_i128(i.comparable_micros()),
            Value::Jsonb(j) => hash_json(j, state),
            Value::Uuid(u) => state.write(u.as_bytes()),
            Value::Array(items) => {
                state.write_usize(items.len());
                for item in items {
                    item.hash(state);
                }
            }
        }
    }
}

impl Value {
    /// Orders values of unrelated types so that sorting mixed values never panics; the numeric
    /// family shares one rank because its members compare by value.
    fn rank(&self) -> u8 {
        match self {
            Value::Bool(_) => 1,
            Value::Int2(_)
            | Value::Int4(_)
            | Value::Int8(_)
            | Value::Float4(_)
            | Value::Float8(_)
            | Value::Numeric(_) => 2,
            Value::Text(_) => 3,
            Value::Bytea(_) => 4,
            Value::Date(_) => 5,
            Value::Time(_) => 6,
            Value::Timestamp(_) => 7,
            Value::TimestampTz(_) => 8,
            Value::Interval(_) => 9,
            Value::Jsonb(_) => 10,
            Value::Uuid(_) => 11,
            Value::Array(_) => 12,
            Value::Null => 255,
        }
    }
}

/// A number of any SQL width, borrowed for comparison without allocating.
#[derive(Clone, Copy)]
enum Num {
    Int(i64),
    Float(f64),
    Dec(Decimal),
}

impl Num {
    fn of(v: &Value) -> Option<Num> {
        Some(match v {
            Value::Int2(x) => Num::Int(*x as i64),
            Value::Int4(x) => Num::Int(*x as i64),
            Value::Int8(x) => Num::Int(*x),
            Value::Float4(x) => Num::Float(*x as f64),
            Value::Float8(x) => Num::Float(*x),
            Value::Numeric(d) => Num::Dec(*d),
            _ => return None,
        })
    }

    fn cmp(&self, other: &Num) -> Ordering {
        match (*self, *other) {
            (Num::Int(a), Num::Int(b)) => a.cmp(&b),
            (Num::Float(a), Num::Float(b)) => float_cmp(a, b),
            (Num::Dec(a), Num::Dec(b)) => a.cmp(&b),
            (Num::Int(a), Num::Float(b)) => int_float_cmp(a, b),
            (Num::Float(a), Num::Int(b)) => int_float_cmp(b, a).reverse(),
            (Num::Int(a), Num::Dec(b)) => Decimal::from(a).cmp(&b),
            (Num::Dec(a), Num::Int(b)) => a.cmp(&Decimal::from(b)),
            (Num::Dec(a), Num::Float(b)) => dec_float_cmp(&a, b),
            (Num::Float(a), Num::Dec(b)) => dec_float_cmp(&b, a).reverse(),
        }
    }
}

/// Float order as PostgreSQL sorts: NaN equals NaN and is above every number; -0 equals 0.
pub fn float_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        // Neither is NaN, so partial_cmp is total here (and treats -0 == 0).
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// Exact comparison of an i64 with an f64 (casting the integer would round above 2^53).
fn int_float_cmp(a: i64, b: f64) -> Ordering {
    if b.is_nan() || b >= TWO_POW_63 {
        return Ordering::Less;
    }
    if b < -TWO_POW_63 {
        return Ordering::Greater;
    }
    let whole = b.trunc();
    // |whole| < 2^63 here, so the conversion is exact.
    let wi = whole as i64;
    match a.cmp(&wi) {
        Ordering::Equal => float_cmp(0.0, b - whole),
        ord => ord,
    }
}

fn dec_float_cmp(a: &Decimal, b: f64) -> Ordering {
    if a.fract().is_zero() {
        if let Some(i) = a.to_i64() {
            return int_float_cmp(i, b);
        }
    }
    float_cmp(a.to_f64().unwrap_or(f64::NAN), b)
}

fn hash_float<H: std::hash::Hasher>(f: f64, state: &mut H) {
    if f.is_nan() {
        state.write_u64(f64::NAN.to_bits());
    } else if f.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&f) {
        state.write_i64(f as i64);
    } else {
        state.write_u64(f.to_bits());
    }
}

fn hash_decimal<H: std::hash::Hasher>(d: &Decimal, state: &mut H) {
    if d.fract().is_zero() {
        if let Some(i) = d.to_i64() {
            state.write_i64(i);
            return;
        }
    }
    hash_float(d.normalize().to_f64().unwrap_or(f64::NAN), state);
}

/// jsonb's order: Object > Array > Boolean > Number > String > Null; arrays and objects compare
/// first by length, objects then by their (sorted) keys and values.
pub fn json_cmp(a: &serde_json::Value, b: &serde_json::Value) -> Ordering {
    use serde_json::Value as J;
    fn rank(v: &J) -> u8 {
        match v {
            J::Null => 0,
            J::String(_) => 1,
            J::Number(_) => 2,
            J::Bool(_) => 3,
            J::Array(_) => 4,
            J::Object(_) => 5,
        }
    }
    match (a, b) {
        (J::String(x), J::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (J::Number(x), J::Number(y)) => json_num(x).cmp(&json_num(y)),
        (J::Bool(x), J::Bool(y)) => x.cmp(y),
        (J::Array(x), J::Array(y)) => x.len().cmp(&y.len()).then_with(|| {
            x.iter()
                .zip(y)
                .map(|(p, q)| json_cmp(p, q))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        }),
        (J::Object(x), J::Object(y)) => x.len().cmp(&y.len()).then_with(|| {
            x.iter()
                .zip(y)
                .map(|((ka, va), (kb, vb))| crate::types::json::key_cmp(ka, kb).then_with(|| json_cmp(va, vb)))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        }),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// jsonb numbers compare as NUMERIC: exactly when they fit rust_decimal, else as floats.
fn json_num(n: &serde_json::Number) -> Num {
    if let Some(i) = n.as_i64() {
        Num::Int(i)
    } else if let Ok(d) = crate::types::numeric::parse(&n.to_string()) {
        Num::Dec(d)
    } else {
        Num::Float(n.as_f64().unwrap_or(f64::NAN))
    }
}

fn hash_json<H: std::hash::Hasher>(v: &serde_json::Value, state: &mut H) {
    use serde_json::Value as J;
    match v {
        J::Null => state.write_u8(0),
        J::String(s) => {
            state.write_u8(1);
            state.write(s.as_bytes());
        }
        J::Number(n) => {
            state.write_u8(2);
            match json_num(n) {
                Num::Int(i) => state.write_i64(i),
                Num::Float(f) => hash_float(f, state),
                Num::Dec(d) => hash_decimal(&d, state),
            }
        }
        J::Bool(b) => {
            state.write_u8(3);
            state.write_u8(*b as u8);
        }
        J::Array(items) => {
            state.write_u8(4);
            state.write_usize(items.len());
            for item in items {
                hash_json(item, state);
            }
        }
        J::Object(map) => {
            state.write_u8(5);
            state.write_usize(map.len());
            for (k, item) in map {
                state.write(k.as_bytes());
                hash_json(item, state);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{DefaultHasher, Hash, Hasher};
    use std::str::FromStr;

    fn h(v: &Value) -> u64 {
        let mut s = DefaultHasher::new();
        v.hash(&mut s);
        s.finish()
    }

    #[test]
    fn numbers_compare_and_hash_across_widths() {
        let five = [
            Value::Int2(5),
            Value::Int4(5),
            Value::Int8(5),
            Value::Numeric(Decimal::from_str("5.00").unwrap()),
            Value::Float8(5.0),
            Value::Float4(5.0),
        ];
        for a in &five {
            for b in &five {
                assert_eq!(a, b);
                assert_eq!(h(a), h(b));
            }
        }
        let half = Value::Numeric(Decimal::from_str("0.50").unwrap());
        assert_eq!(half, Value::Float8(0.5));
        assert_eq!(h(&half), h(&Value::Float8(0.5)));
        assert!(Value::Int8(i64::MAX) < Value::Float8(9.3e18));
        assert!(Value::Int8(9_007_199_254_740_993) > Value::Float8(9_007_199_254_740_992.0));
        assert!(Value::Int4(-1) < Value::Numeric(Decimal::from_str("-0.5").unwrap()));
    }

    #[test]
    fn equal_values_hash_equal_under_random_mixing() {
        // Any two values that compare equal must hash equal (hash joins and GROUP BY rely on it).
        let mut rng = fastrand::Rng::with_seed(7);
        let mut values = Vec::new();
        for _ in 0..400 {
            let n = rng.i64(-50..50);
            values.push(match rng.u8(0..6) {
                0 => Value::Int2(n as i16),
                1 => Value::Int4(n as i32),
                2 => Value::Int8(n),
                3 => Value::Float8(n as f64 / 4.0),
                4 => Value::Float4(n as f32 / 2.0),
                _ => Value::Numeric(Decimal::new(n * 10, rng.u32(0..3))),
            });
        }
        for a in &values {
            for b in &values {
                if a == b {
                    assert_eq!(h(a), h(b), "{a:?} vs {b:?}");
                }
                assert_eq!(a.cmp(b), b.cmp(a).reverse(), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn floats_nan_and_zero() {
        assert_eq!(Value::Float8(f64::NAN), Value::Float8(f64::NAN));
        assert_eq!(h(&Value::Float8(f64::NAN)), h(&Value::Float4(f32::NAN)));
        assert!(Value::Float8(f64::NAN) > Value::Float8(f64::INFINITY));
        assert!(Value::Float8(f64::NAN) > Value::Int8(i64::MAX));
        assert_eq!(Value::Float8(-0.0), Value::Float8(0.0));
        assert_eq!(h(&Value::Float8(-0.0)), h(&Value::Int4(0)));
    }

    #[test]
    fn null_last_text_bytewise_and_mixed_types() {
        assert!(Value::Null > Value::Int4(i32::MAX));
        assert!(Value::Null > Value::Text("zzz".into()));
        assert_eq!(Value::Null, Value::Null);
        assert!(Value::Text("B".into()) < Value::Text("a".into()));
        assert!(Value::Text("ab".into()) < Value::Text("b".into()));
        let mut mixed = [Value::Text("x".into()), Value::Null, Value::Bool(true), Value::Int4(1)];
        mixed.sort();
        assert_eq!(mixed.last(), Some(&Value::Null));
        assert_ne!(Value::Bool(true), Value::Int4(1));
        let a = Value::Interval(Interval::new(1, 0, 0));
        let b = Value::Interval(Interval::new(0, 30, 0));
        assert_eq!(a, b);
        assert_eq!(h(&a), h(&b));
    }

    #[test]
    fn jsonb_order() {
        let j = |s: &str| Value::Jsonb(crate::types::json::parse(s).unwrap());
        assert!(j("null") < j("\"a\""));
        assert!(j("\"a\"") < j("1"));
        assert!(j("1") < j("true"));
        assert!(j("[1, 2]") < j("{}"));
        assert_eq!(j("1.0"), j("1"));
        assert_eq!(j("1.50"), j("1.5"));
        assert_eq!(h(&j("1.50")), h(&j("1.5")));
        assert!(j("0.1000000000000000000001") > j("0.1"));
        assert_eq!(h(&j("1.0")), h(&j("1")));
        assert!(j("[3]") < j("[1, 2]"));
    }
}
