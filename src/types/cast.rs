//! Casts between types and the implicit coercion rules the binder applies.
//!
//! `cast` is PostgreSQL's explicit cast (`CAST(x AS t)`, `x::t`); `assign` is the assignment
//! cast used when storing into a column; `can_coerce_implicitly` and `common_type` are the
//! rules the binder uses to insert casts of its own.

use chrono::{NaiveTime, Timelike};
use rust_decimal::Decimal;

use super::interval::MICROS_PER_DAY;
use super::{datetime, json, numeric, text, DataType, Interval, Value};
use crate::error::{sqlstate, Error, Result};

/// Explicit cast (`CAST(x AS t)`, `x::t`, and assignment to a column of type `t`).
/// Enforces typmods: NUMERIC(p,s) rounds to s and errors (22003) past p; VARCHAR(n) errors
/// (22001) past n except for trailing spaces; CHAR(n) pads. Bad text → 22P02; out of range → 22003.
pub fn cast(value: &Value, to: &DataType) -> Result<Value> {
    convert(value, to, false)
}

/// Cast applied when storing into a column (PostgreSQL's assignment cast): like `cast`, but
/// `too long for type character varying(n)` follows PostgreSQL's assignment rule.
pub fn assign(value: &Value, to: &DataType) -> Result<Value> {
    convert(value, to, true)
}

fn cannot_cast(from: &DataType, to: &DataType) -> Error {
    Error::sql(
        "42846",
        format!("cannot cast type {} to {}", from.display_name(), to.display_name()),
    )
}

fn int_range(to: &DataType) -> Error {
    Error::out_of_range(match to {
        DataType::Int2 => "smallint",
        DataType::Int4 => "integer",
        _ => "bigint",
    })
}

fn int_value(v: i64, to: &DataType) -> Result<Value> {
    match to {
        DataType::Int2 => i16::try_from(v).map(Value::Int2).map_err(|_| int_range(to)),
        DataType::Int4 => i32::try_from(v).map(Value::Int4).map_err(|_| int_range(to)),
        _ => Ok(Value::Int8(v)),
    }
}

const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// float → integer as PostgreSQL's `dtoi4`: round half to even (rint), range-checked.
fn float_to_int(f: f64, to: &DataType) -> Result<Value> {
    let r = f.round_ties_even();
    if r.is_nan() || !(-TWO_POW_63..TWO_POW_63).contains(&r) {
        return Err(int_range(to));
    }
    int_value(r as i64, to)
}

fn numeric_value(d: Decimal, to: &DataType) -> Result<Value> {
    match to {
        DataType::Numeric(Some((p, s))) => numeric::apply_typmod(&d, *p, *s).map(Value::Numeric),
        _ => Ok(Value::Numeric(d)),
    }
}

fn float4_value(f: f64) -> Result<Value> {
    let n = f as f32;
    if n.is_infinite() && f.is_finite() {
        return Err(Error::sql(
            sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
            "value out of range: overflow",
        ));
    }
    if n == 0.0 && f != 0.0 {
        return Err(Error::sql(
            sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
            "value out of range: underflow",
        ));
    }
    Ok(Value::Float4(n))
}

/// Applies VARCHAR(n) / CHAR(n) to a string. Explicit casts truncate; assignment errors unless
/// only spaces are cut. CHAR pads with spaces.
fn fit_string(s: &str, to: &DataType, assignment: bool) -> Result<Value> {
    let (limit, pad) = match to {
        DataType::Varchar(Some(n)) => (*n as usize, false),
        DataType::Char(Some(n)) => (*n as usize, true),
        // Unsized bpchar is what CHAR(n) values become when used as text: trailing spaces go.
        DataType::Char(None) => return Ok(Value::Text(s.trim_end_matches(' ').to_string())),
        _ => return Ok(Value::Text(s.to_string())),
    };
    let len = s.chars().count();
    if len > limit {
        let cut = s.char_indices().nth(limit).map(|(i, _)| i).unwrap_or(s.len());
        if assignment && !s[cut..].chars().all(|c| c == ' ') {
            return Err(Error::sql(
                sqlstate::STRING_DATA_RIGHT_TRUNCATION,
                format!("value too long for type {}", to.display_name()),
            ));
        }
        return Ok(Value::Text(s[..cut].to_string()));
    }
    if pad && len < limit {
        let mut out = String::with_capacity(s.len() + limit - len);
        out.push_str(s);
        out.extend(std::iter::repeat_n(' ', limit - len));
        return Ok(Value::Text(out));
    }
    Ok(Value::Text(s.to_string()))
}

/// The text a value becomes under a cast to a character type (booleans spell `true`/`false`
/// there, unlike their output form).
fn to_text(value: &Value) -> String {
    match value {
        Value::Bool(b) => (if *b { "true" } else { "false" }).to_string(),
        other => text::format(other).unwrap_or_default(),
    }
}

fn convert(value: &Value, to: &DataType, assignment: bool) -> Result<Value> {
    use DataType as T;
    use Value as V;
    let from_type = || value.data_type();
    Ok(match (value, to) {
        (V::Null, _) | (_, T::Unknown) => value.clone(),
        // Same type: only typmods can change anything.
        (V::Int4(_), T::Int4) | (V::Int8(_), T::Int8) | (V::Int2(_), T::Int2) => value.clone(),
        (V::Text(s), T::Text | T::Varchar(None)) => V::Text(s.clone()),
        (V::Text(s), T::Varchar(_) | T::Char(_)) => fit_string(s, to, assignment)?,
        (_, T::Text | T::Varchar(_) | T::Char(_)) => fit_string(&to_text(value), to, assignment)?,
        (V::Text(s), _) => text::parse(s, to)?,

        (V::Int2(v), T::Int4 | T::Int8) => int_value(*v as i64, to)?,
        (V::Int4(v), T::Int2 | T::Int8) => int_value(*v as i64, to)?,
        (V::Int8(v), T::Int2 | T::Int4) => int_value(*v, to)?,
        (V::Int2(_) | V::Int4(_) | V::Int8(_), T::Float4 | T::Float8 | T::Numeric(_)) => {
            let i = match value {
                V::Int2(v) => *v as i64,
                V::Int4(v) => *v as i64,
                V::Int8(v) => *v,
                _ => 0,
            };
            match to {
                T::Float4 => V::Float4(i as f32),
                T::Float8 => V::Float8(i as f64),
                _ => numeric_value(Decimal::from(i), to)?,
            }
        }
        (V::Float4(f), T::Float4) => V::Float4(*f),
        (V::Float8(f), T::Float8) => V::Float8(*f),
        (V::Float4(f), T::Float8) => V::Float8(*f as f64),
        (V::Float8(f), T::Float4) => float4_value(*f)?,
        (V::Float4(f), T::Int2 | T::Int4 | T::Int8) => float_to_int(*f as f64, to)?,
        (V::Float8(f), T::Int2 | T::Int4 | T::Int8) => float_to_int(*f, to)?,
        (V::Float4(f), T::Numeric(_)) => numeric_value(numeric::from_f64(*f as f64, 6)?, to)?,
        (V::Float8(f), T::Numeric(_)) => numeric_value(numeric::from_f64(*f, 15)?, to)?,
        (V::Numeric(d), T::Numeric(_)) => numeric_value(*d, to)?,
        (V::Numeric(d), T::Int2 | T::Int4 | T::Int8) => {
            int_value(numeric::to_i64_rounded(d).ok_or_else(|| int_range(to))?, to)?
        }
        (V::Numeric(d), T::Float8) => V::Float8(numeric::to_f64(d)),
        (V::Numeric(d), T::Float4) => float4_value(numeric::to_f64(d))?,

        (V::Bool(b), T::Bool) => V::Bool(*b),
        (V::Bool(b), T::Int4) => V::Int4(*b as i32),
        (V::Int4(i), T::Bool) => V::Bool(*i != 0),

        (V::Date(d), T::Date) => V::Date(*d),
        (V::Date(d), T::Timestamp) => V::Timestamp(d.and_time(NaiveTime::MIN)),
        (V::Date(d), T::TimestampTz) => V::TimestampTz(d.and_time(NaiveTime::MIN).and_utc()),
        (V::Timestamp(t), T::Timestamp) => V::Timestamp(*t),
        (V::Timestamp(t), T::Date) => V::Date(t.date()),
        (V::Timestamp(t), T::Time) => V::Time(t.time()),
        (V::Timestamp(t), T::TimestampTz) => V::TimestampTz(t.and_utc()),
        (V::TimestampTz(t), T::TimestampTz) => V::TimestampTz(*t),
        (V::TimestampTz(t), T::Timestamp) => V::Timestamp(t.naive_utc()),
        (V::TimestampTz(t), T::Date) => V::Date(t.date_naive()),
        (V::TimestampTz(t), T::Time) => V::Time(t.time()),
        (V::Time(t), T::Time) => V::Time(*t),
        (V::Time(t), T::Interval) => V::Interval(Interval::new(0, 0, datetime::time_micros(t))),
        (V::Interval(i), T::Interval) => V::Interval(*i),
        (V::Interval(i), T::Time) => V::Time(datetime::time_from_micros(i.micros.rem_euclid(MICROS_PER_DAY))),

        (V::Jsonb(j), T::Jsonb) => V::Jsonb(j.clone()),
        (V::Jsonb(j), T::Bool) => match j {
            serde_json::Value::Bool(b) => V::Bool(*b),
            other => return Err(jsonb_scalar_error(other, to)),
        },
        (V::Jsonb(j), T::Int2 | T::Int4 | T::Int8 | T::Float4 | T::Float8 | T::Numeric(_)) => match j {
            serde_json::Value::Number(n) => {
                // jsonb numbers are NUMERIC: convert from their exact digits.
                let text = n.to_string();
                match (numeric::parse(&text), to) {
                    (Ok(d), _) => convert(&V::Numeric(d), to, assignment)?,
                    (Err(_), T::Float4 | T::Float8) => text::parse(&text, to)?,
                    (Err(e), _) => return Err(e),
                }
            }
            other => return Err(jsonb_scalar_error(other, to)),
        },
        (V::Uuid(u), T::Uuid) => V::Uuid(*u),
        (V::Bytea(b), T::Bytea) => V::Bytea(b.clone()),
        (V::Array(items), T::Array(elem)) => V::Array(
            items
                .iter()
                .map(|i| convert(i, elem, assignment))
                .collect::<Result<Vec<_>>>()?,
        ),
        (V::Int2(_) | V::Int4(_) | V::Int8(_) | V::Float4(_) | V::Float8(_) | V::Numeric(_) | V::Bool(_), T::Jsonb) => {
            V::Jsonb(to_json(value))
        }
        _ => return Err(cannot_cast(&from_type(), to)),
    })
}

fn jsonb_scalar_error(j: &serde_json::Value, to: &DataType) -> Error {
    Error::sql(
        sqlstate::INVALID_PARAMETER_VALUE,
        format!("cannot cast jsonb {} to type {}", json::type_name(j), to.display_name()),
    )
}

/// `to_jsonb(value)`: numbers stay numbers, strings become JSON strings, arrays become arrays,
/// everything else its text form as a string.
pub fn to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int2(v) => J::from(*v),
        Value::Int4(v) => J::from(*v),
        Value::Int8(v) => J::from(*v),
        Value::Float4(f) => float_json(f.is_finite(), text::format_float4(*f)),
        Value::Float8(f) => float_json(f.is_finite(), text::format_float8(*f)),
        Value::Numeric(d) => json::number(&d.to_string()).unwrap_or(J::Null),
        Value::Text(s) => J::String(s.clone()),
        Value::Jsonb(j) => j.clone(),
        Value::Array(items) => J::Array(items.iter().map(to_json).collect()),
        // Timestamps appear in JSON in ISO 8601 with a `T`, as PostgreSQL writes them.
        Value::Timestamp(t) => J::String(datetime::format_timestamp(t).replacen(' ', "T", 1)),
        Value::TimestampTz(t) => {
            let s = datetime::format_timestamptz(t).replacen(' ', "T", 1);
            J::String(format!("{s}:00"))
        }
        other => J::String(text::format(other).unwrap_or_default()),
    }
}

/// Floats enter JSON through their text form, as PostgreSQL's `to_jsonb` does; NaN and the
/// infinities have no JSON number and become strings.
fn float_json(finite: bool, text: String) -> serde_json::Value {
    if finite {
        json::number(&text).unwrap_or(serde_json::Value::String(text))
    } else {
        serde_json::Value::String(text)
    }
}

/// PostgreSQL's type categories, used by `common_type`.
fn category(t: &DataType) -> u8 {
    match t {
        DataType::Bool => 1,
        t if t.is_numeric() => 2,
        t if t.is_string() => 3,
        // PostgreSQL's categories: time is a datetime (D), interval a timespan (T).
        DataType::Date | DataType::Time | DataType::Timestamp | DataType::TimestampTz => 4,
        DataType::Interval => 5,
        DataType::Bytea => 6,
        DataType::Jsonb => 7,
        DataType::Uuid => 8,
        DataType::Array(_) => 9,
        _ => 10,
    }
}

fn is_preferred(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Float8 | DataType::Text | DataType::TimestampTz | DataType::Interval | DataType::Bool
    )
}

fn numeric_rank(t: &DataType) -> u8 {
    match t {
        DataType::Int2 => 1,
        DataType::Int4 => 2,
        DataType::Int8 => 3,
        DataType::Numeric(_) => 4,
        DataType::Float4 => 5,
        _ => 6,
    }
}

/// Whether `from` converts to `to` implicitly (PostgreSQL's `i` casts, plus `Unknown` → anything).
pub fn can_coerce_implicitly(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    if from == to || *from == Unknown {
        return true;
    }
    match (from, to) {
        (Numeric(_), Numeric(_)) => true,
        (f, t) if f.is_numeric() && t.is_numeric() => numeric_rank(f) < numeric_rank(t),
        (f, t) if f.is_string() && t.is_string() => true,
        (Date, Timestamp | TimestampTz) | (Timestamp, TimestampTz) => true,
        (Time, Interval) => true,
        (Array(a), Array(b)) => can_coerce_implicitly(a, b),
        _ => false,
    }
}

/// The common type for UNION branches, CASE results, IN lists, COALESCE arguments
/// (PostgreSQL's `select_common_type`); 42804 "X types a and b cannot be matched" if none.
pub fn common_type(types: &[DataType], context: &str) -> Result<DataType> {
    let mut candidate: Option<DataType> = None;
    for t in types.iter().filter(|t| **t != DataType::Unknown) {
        let Some(p) = candidate.take() else {
            candidate = Some(t.clone());
            continue;
        };
        if p == *t {
            candidate = Some(p);
            continue;
        }
        if category(&p) != category(t) {
            return Err(Error::datatype_mismatch(format!(
                "{context} types {} and {} cannot be matched",
                p.display_name(),
                t.display_name()
            )));
        }
        candidate = Some(match (&p, t) {
            // Same type, different typmods: the typmod is dropped.
            (DataType::Numeric(_), DataType::Numeric(_)) => DataType::Numeric(None),
            (DataType::Varchar(_), DataType::Varchar(_)) => DataType::Varchar(None),
            (DataType::Char(_), DataType::Char(_)) => DataType::Char(None),
            (DataType::Array(a), DataType::Array(b)) => {
                DataType::Array(Box::new(common_type(&[(**a).clone(), (**b).clone()], context)?))
            }
            // Different string types meet in TEXT, as PostgreSQL's preferred string type.
            _ if p.is_string() => DataType::Text,
            _ if !is_preferred(&p) && can_coerce_implicitly(&p, t) && !can_coerce_implicitly(t, &p) => t.clone(),
            _ => p,
        });
    }
    // PostgreSQL keeps a typmod only when every input agrees on it.
    let mut known = types.iter().filter(|t| **t != DataType::Unknown);
    let first = known.next();
    let uniform = known.all(|t| Some(t) == first);
    Ok(match candidate {
        None => DataType::Text,
        Some(DataType::Numeric(_)) if !uniform => DataType::Numeric(None),
        Some(DataType::Varchar(_)) if !uniform => DataType::Varchar(None),
        Some(DataType::Char(_)) if !uniform => DataType::Char(None),
        Some(t) => t,
    })
}

/// Seconds since midnight as a float, used by EXTRACT on times.
pub fn time_seconds(t: &NaiveTime) -> f64 {
    t.num_seconds_from_midnight() as f64 + t.nanosecond() as f64 / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn num(s: &str) -> Value {
        Value::Numeric(Decimal::from_str(s).unwrap())
    }

    #[test]
    fn numeric_to_int_rounds_half_away_float_to_even() {
        // select 1.5::int, 2.5::int, (-2.5)::int, 2.5::float8::int, 3.5::float8::int
        assert_eq!(cast(&num("1.5"), &DataType::Int4).unwrap(), Value::Int4(2));
        assert_eq!(cast(&num("2.5"), &DataType::Int4).unwrap(), Value::Int4(3));
        assert_eq!(cast(&num("-2.5"), &DataType::Int4).unwrap(), Value::Int4(-3));
        assert_eq!(cast(&Value::Float8(2.5), &DataType::Int4).unwrap(), Value::Int4(2));
        assert_eq!(cast(&Value::Float8(3.5), &DataType::Int4).unwrap(), Value::Int4(4));
        let e = cast(&Value::Int8(1 << 40), &DataType::Int4).unwrap_err();
        assert_eq!((e.sqlstate(), e.message().as_str()), ("22003", "integer out of range"));
        assert_eq!(
            cast(&Value::Int4(40000), &DataType::Int2).unwrap_err().message(),
            "smallint out of range"
        );
    }

    #[test]
    fn typmods() {
        let t = DataType::Numeric(Some((5, 1)));
        assert_eq!(text::format(&cast(&num("123.456"), &t).unwrap()).unwrap(), "123.5");
        let e = cast(&num("12345.678"), &DataType::Numeric(Some((5, 2)))).unwrap_err();
        assert_eq!(
            (e.sqlstate(), e.message().as_str()),
            ("22003", "numeric field overflow")
        );
        let v3 = DataType::Varchar(Some(3));
        assert_eq!(
            cast(&Value::Text("abcdef".into()), &v3).unwrap(),
            Value::Text("abc".into())
        );
        let e = assign(&Value::Text("abcdef".into()), &v3).unwrap_err();
        assert_eq!(
            (e.sqlstate(), e.message().as_str()),
            ("22001", "value too long for type character varying(3)")
        );
        assert_eq!(
            assign(&Value::Text("ab   ".into()), &v3).unwrap(),
            Value::Text("ab ".into())
        );
        assert_eq!(
            cast(&Value::Text("ab".into()), &DataType::Char(Some(4))).unwrap(),
            Value::Text("ab  ".into())
        );
        assert_eq!(
            cast(&Value::Text("ab  ".into()), &DataType::Char(None)).unwrap(),
            Value::Text("ab".into())
        );
        assert_eq!(
            assign(&Value::Text("abcde".into()), &DataType::Char(Some(4)))
                .unwrap_err()
                .message(),
            "value too long for type character(4)"
        );
    }

    #[test]
    fn cross_type_casts() {
        assert_eq!(
            cast(&Value::Bool(true), &DataType::Text).unwrap(),
            Value::Text("true".into())
        );
        assert_eq!(
            cast(&Value::Text(" yes".into()), &DataType::Bool).unwrap(),
            Value::Bool(true)
        );
        assert_eq!(cast(&Value::Bool(true), &DataType::Int4).unwrap(), Value::Int4(1));
        assert_eq!(cast(&Value::Float8(0.1), &DataType::Numeric(None)).unwrap(), num("0.1"));
        assert_eq!(cast(&num("1.50"), &DataType::Text).unwrap(), Value::Text("1.50".into()));
        let d = cast(&Value::Text("2024-01-05".into()), &DataType::Date).unwrap();
        let ts = cast(&d, &DataType::TimestampTz).unwrap();
        assert_eq!(text::format(&ts).unwrap(), "2024-01-05 00:00:00+00");
        let j = cast(&Value::Text(r#"{"a": 1}"#.into()), &DataType::Jsonb).unwrap();
        assert_eq!(cast(&j, &DataType::Text).unwrap(), Value::Text(r#"{"a": 1}"#.into()));
        let arr = cast(&Value::Text("{1,2}".into()), &DataType::Array(Box::new(DataType::Int8))).unwrap();
        assert_eq!(arr, Value::Array(vec![Value::Int8(1), Value::Int8(2)]));
        assert_eq!(
            cast(&Value::Bool(true), &DataType::Date).unwrap_err().sqlstate(),
            "42846"
        );
        assert_eq!(
            cast(&Value::Text("abc".into()), &DataType::Int4)
                .unwrap_err()
                .sqlstate(),
            "22P02"
        );
    }

    #[test]
    fn values_to_jsonb_like_postgres() {
        // select to_jsonb(1e20::float8), to_jsonb(0.1::float4), to_jsonb('nan'::float8), to_jsonb(1.50),
        //        jsonb_build_array(1.5e-7::float8)
        let j = |v: Value| json::format(&to_json(&v));
        assert_eq!(j(Value::Float8(1e20)), "100000000000000000000");
        assert_eq!(j(Value::Float4(0.1)), "0.1");
        assert_eq!(j(Value::Float8(f64::NAN)), "\"NaN\"");
        assert_eq!(j(num("1.50")), "1.50");
        assert_eq!(j(Value::Float8(1.5e-7)), "0.00000015");
        assert_eq!(j(Value::Array(vec![Value::Int4(1), Value::Null])), "[1, null]");
        // select '2.5'::jsonb::int, '12345678901234567.5'::jsonb::numeric, '"x"'::jsonb::int (error)
        let js = |s: &str| Value::Jsonb(json::parse(s).unwrap());
        assert_eq!(cast(&js("2.5"), &DataType::Int4).unwrap(), Value::Int4(3));
        assert_eq!(
            cast(&js("12345678901234567.5"), &DataType::Numeric(None)).unwrap(),
            num("12345678901234567.5")
        );
        let e = cast(&js("\"x\""), &DataType::Int4).unwrap_err();
        assert_eq!(e.message(), "cannot cast jsonb string to type integer");
    }

    #[test]
    fn implicit_coercions_and_common_types() {
        use DataType::*;
        assert!(can_coerce_implicitly(&Int2, &Int8));
        assert!(can_coerce_implicitly(&Int8, &Numeric(None)));
        assert!(can_coerce_implicitly(&Numeric(None), &Float8));
        assert!(!can_coerce_implicitly(&Float8, &Int4));
        assert!(can_coerce_implicitly(&Date, &TimestampTz));
        assert!(can_coerce_implicitly(&Varchar(Some(3)), &Text));
        assert_eq!(common_type(&[Int4, Int8, Unknown], "UNION").unwrap(), Int8);
        assert_eq!(
            common_type(&[Int4, Numeric(Some((5, 2)))], "CASE").unwrap(),
            Numeric(None)
        );
        assert_eq!(common_type(&[Float8, Int4], "CASE").unwrap(), Float8);
        assert_eq!(common_type(&[Unknown, Unknown], "VALUES").unwrap(), Text);
        assert_eq!(common_type(&[Varchar(Some(3)), Text], "UNION").unwrap(), Text);
        assert_eq!(common_type(&[Date, Timestamp], "COALESCE").unwrap(), Timestamp);
        assert_eq!(common_type(&[Numeric(None), Float4], "UNION").unwrap(), Float4);
        assert!(common_type(&[Interval, Time], "CASE").is_err());
        let e = common_type(&[Int4, Text], "UNION").unwrap_err();
        assert_eq!(
            (e.sqlstate(), e.message().as_str()),
            ("42804", "UNION types integer and text cannot be matched")
        );
    }
}
