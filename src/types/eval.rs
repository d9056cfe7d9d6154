//! Evaluation of operators on values already coerced to the signature `ops::resolve_binary`
//! chose: checked integer arithmetic per width, float overflow checks, NUMERIC with
//! PostgreSQL's scales, calendar arithmetic, concatenation and the jsonb operators.
//!
//! Hot paths (same-width integers, floats, numerics, comparisons) never allocate.

use std::cmp::Ordering;

use chrono::NaiveTime;
use rust_decimal::Decimal;

use super::interval::MICROS_PER_DAY;
use super::ops::{no_operator, numeric_common, BinaryOp, UnaryOp};
use super::pattern::regex_match;
use super::{datetime, json, numeric, DataType, Value};
use crate::error::{sqlstate, Error, Result};

fn float_overflow() -> Error {
    Error::sql(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: overflow")
}

fn float_underflow() -> Error {
    Error::sql(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: underflow")
}

/// Checks a float result as PostgreSQL's `float_overflow_error`/`float_underflow_error` do.
fn check_float(r: f64, a: f64, b: f64, zero_ok: bool) -> Result<f64> {
    if r.is_infinite() && !a.is_infinite() && !b.is_infinite() {
        return Err(float_overflow());
    }
    if r == 0.0 && !zero_ok {
        return Err(float_underflow());
    }
    Ok(r)
}

macro_rules! int_arith {
    ($op:expr, $a:expr, $b:expr, $variant:path, $name:expr) => {{
        let (a, b) = ($a, $b);
        let r = match $op {
            BinaryOp::Add => a.checked_add(b),
            BinaryOp::Sub => a.checked_sub(b),
            BinaryOp::Mul => a.checked_mul(b),
            BinaryOp::Div => {
                if b == 0 {
                    return Err(Error::division_by_zero());
                }
                a.checked_div(b)
            }
            BinaryOp::Mod => {
                if b == 0 {
                    return Err(Error::division_by_zero());
                }
                // MIN % -1 overflows in Rust; mathematically (and in PostgreSQL) it is 0.
                Some(if b == -1 { 0 } else { a % b })
            }
            BinaryOp::BitAnd => Some(a & b),
            BinaryOp::BitOr => Some(a | b),
            BinaryOp::BitXor => Some(a ^ b),
            _ => return eval_other($op, &$variant(a), &$variant(b)),
        };
        r.map($variant).ok_or_else(|| Error::out_of_range($name))
    }};
}

fn float8_arith(op: BinaryOp, a: f64, b: f64) -> Result<f64> {
    match op {
        BinaryOp::Add => check_float(a + b, a, b, true),
        BinaryOp::Sub => check_float(a - b, a, b, true),
        BinaryOp::Mul => check_float(a * b, a, b, a == 0.0 || b == 0.0),
        BinaryOp::Div => {
            if b == 0.0 {
                return Err(Error::division_by_zero());
            }
            check_float(a / b, a, b, a == 0.0 || b.is_infinite())
        }
        BinaryOp::Pow => pow_f64(a, b),
        _ => Err(Error::bug(format!("float operator {}", op.symbol()))),
    }
}

/// `float8 ^ float8` with PostgreSQL's domain errors.
pub fn pow_f64(a: f64, b: f64) -> Result<f64> {
    if a == 0.0 && b < 0.0 {
        return Err(Error::sql("2201F", "zero raised to a negative power is undefined"));
    }
    if a < 0.0 && b.fract() != 0.0 && b.is_finite() {
        return Err(Error::sql(
            "2201F",
            "a negative number raised to a non-integer power yields a complex result",
        ));
    }
    let r = a.powf(b);
    if r.is_infinite() && a.is_finite() && b.is_finite() {
        return Err(float_overflow());
    }
    if r == 0.0 && a != 0.0 && a.is_finite() && b.is_finite() {
        return Err(float_underflow());
    }
    Ok(r)
}

/// Pads `d` to at least `scale` fractional digits (never rounds: only zeros are added).
fn with_scale(mut d: Decimal, scale: u32) -> Decimal {
    let scale = scale.min(numeric::MAX_SCALE);
    if d.scale() < scale {
        d.rescale(scale);
    }
    d
}

fn numeric_arith(op: BinaryOp, a: &Decimal, b: &Decimal) -> Result<Decimal> {
    match op {
        // PostgreSQL's display scales: max(s1, s2) for + and -, s1 + s2 for *. rust_decimal
        // drops the scale of zero results (0 * 2.50 = 0), so it is restored here.
        BinaryOp::Add => Ok(with_scale(
            a.checked_add(*b).ok_or_else(numeric::overflow)?,
            a.scale().max(b.scale()),
        )),
        BinaryOp::Sub => Ok(with_scale(
            a.checked_sub(*b).ok_or_else(numeric::overflow)?,
            a.scale().max(b.scale()),
        )),
        BinaryOp::Mul => Ok(with_scale(
            a.checked_mul(*b).ok_or_else(numeric::overflow)?,
            a.scale() + b.scale(),
        )),
        BinaryOp::Div => numeric::div(a, b),
        BinaryOp::Mod => {
            if b.is_zero() {
                return Err(Error::division_by_zero());
            }
            Ok(with_scale(
                a.checked_rem(*b).ok_or_else(numeric::overflow)?,
                a.scale().max(b.scale()),
            ))
        }
        BinaryOp::Pow => numeric::pow(a, b),
        _ => Err(Error::bug(format!("numeric operator {}", op.symbol()))),
    }
}

/// Evaluates a binary operator (not And/Or) on operands already coerced per `resolve_binary`.
/// NULL in → NULL out (except where PostgreSQL differs). Overflow → 22003, x/0 → 22012.
pub fn eval_binary(op: BinaryOp, left: &Value, right: &Value) -> Result<Value> {
    use Value::*;
    if op.is_comparison() {
        return Ok(match sql_compare(left, right)? {
            None => Null,
            Some(ord) => Bool(match op {
                BinaryOp::Eq => ord == Ordering::Equal,
                BinaryOp::NotEq => ord != Ordering::Equal,
                BinaryOp::Lt => ord == Ordering::Less,
                BinaryOp::LtEq => ord != Ordering::Greater,
                BinaryOp::Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            }),
        });
    }
    match (left, right) {
        (Null, _) | (_, Null) => Ok(Null),
        (Int4(a), Int4(b)) => int_arith!(op, *a, *b, Int4, "integer"),
        (Int8(a), Int8(b)) => int_arith!(op, *a, *b, Int8, "bigint"),
        (Int2(a), Int2(b)) => int_arith!(op, *a, *b, Int2, "smallint"),
        (Float8(a), Float8(b)) if op != BinaryOp::Mod => float8_arith(op, *a, *b).map(Float8),
        (Float4(a), Float4(b)) if op != BinaryOp::Mod && op != BinaryOp::Pow => {
            let r = float8_arith(op, *a as f64, *b as f64)?;
            let n = r as f32;
            if n.is_infinite() && r.is_finite() {
                return Err(float_overflow());
            }
            Ok(Float4(n))
        }
        (Numeric(a), Numeric(b)) if !matches!(op, BinaryOp::Concat) => numeric_arith(op, a, b).map(Numeric),
        _ => eval_other(op, left, right),
    }
}

/// Operators off the hot path: temporal arithmetic, concatenation, JSON, regex, shifts, and
/// operands of mixed widths (tolerated when a caller did not coerce).
fn eval_other(op: BinaryOp, left: &Value, right: &Value) -> Result<Value> {
    use BinaryOp::*;
    use Value::*;
    let mismatch = || no_operator(op, &left.data_type(), &right.data_type());
    Ok(match (op, left, right) {
        (ShiftLeft | ShiftRight, _, _) => {
            let shift = as_i64(right).ok_or_else(mismatch)?;
            let s = (shift as u32) & 63;
            match (left, op) {
                (Int2(a), ShiftLeft) => Int2(a.wrapping_shl(s & 15)),
                (Int2(a), _) => Int2(a.wrapping_shr(s & 15)),
                (Int4(a), ShiftLeft) => Int4(a.wrapping_shl(s & 31)),
                (Int4(a), _) => Int4(a.wrapping_shr(s & 31)),
                (Int8(a), ShiftLeft) => Int8(a.wrapping_shl(s)),
                (Int8(a), _) => Int8(a.wrapping_shr(s)),
                _ => return Err(mismatch()),
            }
        }
        (Add | Sub | Mul | Div | Mod | Pow | BitAnd | BitOr | BitXor, _, _)
            if is_number(left) && is_number(right) && !matches!((left, right), (Interval(_), _) | (_, Interval(_))) =>
        {
            return eval_mixed_numbers(op, left, right)
        }
        (Add, Date(d), _) if as_i64(right).is_some() => Date(date_plus_days(*d, as_i64(right).unwrap_or(0))?),
        (Add, _, Date(d)) if as_i64(left).is_some() => Date(date_plus_days(*d, as_i64(left).unwrap_or(0))?),
        (Sub, Date(d), _) if as_i64(right).is_some() => Date(date_plus_days(
            *d,
            as_i64(right)
                .unwrap_or(0)
                .checked_neg()
                .ok_or_else(datetime::date_out_of_range)?,
        )?),
        (Sub, Date(a), Date(b)) => Int4((*a - *b).num_days() as i32),
        (Add, Date(d), Interval(i)) | (Add, Interval(i), Date(d)) => {
            Timestamp(datetime::add_interval(d.and_time(NaiveTime::MIN), i)?)
        }
        (Sub, Date(d), Interval(i)) => Timestamp(datetime::sub_interval(d.and_time(NaiveTime::MIN), i)?),
        (Add, Date(d), Time(t)) | (Add, Time(t), Date(d)) => Timestamp(d.and_time(*t)),
        (Add, Timestamp(t), Interval(i)) | (Add, Interval(i), Timestamp(t)) => {
            Timestamp(datetime::add_interval(*t, i)?)
        }
        (Sub, Timestamp(t), Interval(i)) => Timestamp(datetime::sub_interval(*t, i)?),
        (Add, TimestampTz(t), Interval(i)) | (Add, Interval(i), TimestampTz(t)) => {
            TimestampTz(datetime::add_interval(t.naive_utc(), i)?.and_utc())
        }
        (Sub, TimestampTz(t), Interval(i)) => TimestampTz(datetime::sub_interval(t.naive_utc(), i)?.and_utc()),
        (Sub, Timestamp(a), Timestamp(b)) => Interval(datetime::timestamp_diff(*a, *b)?),
        (Sub, TimestampTz(a), TimestampTz(b)) => Interval(datetime::timestamp_diff(a.naive_utc(), b.naive_utc())?),
        (Add, Time(t), Interval(i)) | (Add, Interval(i), Time(t)) => Time(datetime::time_from_micros(
            datetime::time_micros(t) + i.micros % MICROS_PER_DAY,
        )),
        (Sub, Time(t), Interval(i)) => Time(datetime::time_from_micros(
            datetime::time_micros(t) - i.micros % MICROS_PER_DAY,
        )),
        (Sub, Time(a), Time(b)) => Interval(super::Interval::new(
            0,
            0,
            datetime::time_micros(a) - datetime::time_micros(b),
        )),
        (Add, Interval(a), Interval(b)) => Interval(a.checked_add(b)?),
        (Sub, Interval(a), Interval(b)) => Interval(a.checked_add(&b.checked_neg()?)?),
        (Mul, Interval(i), n) | (Mul, n, Interval(i)) if is_number(n) => Interval(i.mul_f64(as_f64(n))?),
        (Div, Interval(i), n) if is_number(n) => {
            let f = as_f64(n);
            if f == 0.0 {
                return Err(Error::division_by_zero());
            }
            Interval(i.mul_f64(1.0 / f)?)
        }
        (Concat, Text(a), Text(b)) => {
            let mut s = String::with_capacity(a.len() + b.len());
            s.push_str(a);
            s.push_str(b);
            Text(s)
        }
        (Concat, Bytea(a), Bytea(b)) => Bytea([a.as_slice(), b.as_slice()].concat()),
        (Concat, Jsonb(a), Jsonb(b)) => Jsonb(json::concat(a, b)),
        (Concat, Array(a), Array(b)) => Array(a.iter().chain(b).cloned().collect()),
        (Concat, Array(a), e) => Array(a.iter().cloned().chain(std::iter::once(e.clone())).collect()),
        (Concat, e, Array(a)) => Array(std::iter::once(e.clone()).chain(a.iter().cloned()).collect()),
        (Concat, Text(_), other) | (Concat, other, Text(_)) => {
            let as_text = |v: &Value| super::cast::cast(v, &DataType::Text);
            let (Text(a), Text(b)) = (as_text(left)?, as_text(right)?) else {
                return Err(mismatch());
            };
            let _ = other;
            Text(a + &b)
        }
        (JsonGet | JsonGetText, Jsonb(j), key) => {
            let found = match key {
                Text(k) => json::get_key(j, k),
                other => json::get_index(j, as_i64(other).ok_or_else(mismatch)?),
            };
            match (found, op) {
                (None, _) => Null,
                (Some(v), JsonGet) => Jsonb(v.clone()),
                (Some(v), _) => json::as_text(v).map(Text).unwrap_or(Null),
            }
        }
        (JsonPath | JsonPathText, Jsonb(j), Array(path)) => {
            let steps: Vec<Option<String>> = path.iter().map(super::text::format).collect();
            match (json::get_path(j, &steps), op) {
                (None, _) => Null,
                (Some(v), JsonPath) => Jsonb(v.clone()),
                (Some(v), _) => json::as_text(v).map(Text).unwrap_or(Null),
            }
        }
        (JsonContains, Jsonb(a), Jsonb(b)) => Bool(json::contains(a, b)),
        (JsonContainedBy, Jsonb(a), Jsonb(b)) => Bool(json::contains(b, a)),
        (JsonContains, Array(a), Array(b)) => Bool(array_contains(a, b)),
        (JsonContainedBy, Array(a), Array(b)) => Bool(array_contains(b, a)),
        (JsonExists, Jsonb(j), Text(k)) => Bool(json::exists(j, k)),
        (
            RegexMatch {
                case_insensitive,
                negated,
            },
            Text(s),
            Text(p),
        ) => Bool(regex_match(s, p, case_insensitive)? != negated),
        _ => return Err(mismatch()),
    })
}

/// PostgreSQL's `@>` on arrays: every non-NULL element of `b` occurs in `a` (NULLs never match).
fn array_contains(a: &[Value], b: &[Value]) -> bool {
    b.iter()
        .all(|x| !x.is_null() && a.iter().any(|y| !y.is_null() && y == x))
}

fn date_plus_days(d: chrono::NaiveDate, days: i64) -> Result<chrono::NaiveDate> {
    d.checked_add_signed(chrono::Duration::days(days))
        .ok_or_else(datetime::date_out_of_range)
}

fn is_number(v: &Value) -> bool {
    matches!(
        v,
        Value::Int2(_) | Value::Int4(_) | Value::Int8(_) | Value::Float4(_) | Value::Float8(_) | Value::Numeric(_)
    )
}

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Int2(x) => Some(*x as i64),
        Value::Int4(x) => Some(*x as i64),
        Value::Int8(x) => Some(*x),
        _ => None,
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int2(x) => *x as f64,
        Value::Int4(x) => *x as f64,
        Value::Int8(x) => *x as f64,
        Value::Float4(x) => *x as f64,
        Value::Float8(x) => *x,
        Value::Numeric(d) => numeric::to_f64(d),
        _ => f64::NAN,
    }
}

/// Numbers of different widths: promote as `resolve_binary` would have, then evaluate.
fn eval_mixed_numbers(op: BinaryOp, left: &Value, right: &Value) -> Result<Value> {
    let t = match op {
        BinaryOp::Pow => {
            if matches!(left, Value::Numeric(_)) || matches!(right, Value::Numeric(_)) {
                DataType::Numeric(None)
            } else {
                DataType::Float8
            }
        }
        _ => numeric_common(&left.data_type(), &right.data_type()),
    };
    let l = super::cast::cast(left, &t)?;
    let r = super::cast::cast(right, &t)?;
    if l.data_type() == left.data_type() && r.data_type() == right.data_type() {
        return Err(no_operator(op, &left.data_type(), &right.data_type()));
    }
    eval_binary(op, &l, &r)
}

/// Evaluates a unary operator.
pub fn eval_unary(op: UnaryOp, operand: &Value) -> Result<Value> {
    use Value::*;
    Ok(match (op, operand) {
        (_, Null) => Null,
        (UnaryOp::Plus, v) => v.clone(),
        (UnaryOp::Neg, Int2(a)) => Int2(a.checked_neg().ok_or_else(|| Error::out_of_range("smallint"))?),
        (UnaryOp::Neg, Int4(a)) => Int4(a.checked_neg().ok_or_else(|| Error::out_of_range("integer"))?),
        (UnaryOp::Neg, Int8(a)) => Int8(a.checked_neg().ok_or_else(|| Error::out_of_range("bigint"))?),
        (UnaryOp::Neg, Float4(a)) => Float4(-a),
        (UnaryOp::Neg, Float8(a)) => Float8(-a),
        (UnaryOp::Neg, Numeric(a)) => Numeric(-a),
        (UnaryOp::Neg, Interval(i)) => Interval(i.checked_neg()?),
        (UnaryOp::Abs, Int2(a)) => Int2(a.checked_abs().ok_or_else(|| Error::out_of_range("smallint"))?),
        (UnaryOp::Abs, Int4(a)) => Int4(a.checked_abs().ok_or_else(|| Error::out_of_range("integer"))?),
        (UnaryOp::Abs, Int8(a)) => Int8(a.checked_abs().ok_or_else(|| Error::out_of_range("bigint"))?),
        (UnaryOp::Abs, Float4(a)) => Float4(a.abs()),
        (UnaryOp::Abs, Float8(a)) => Float8(a.abs()),
        (UnaryOp::Abs, Numeric(a)) => Numeric(a.abs()),
        (UnaryOp::Not, Bool(b)) => Bool(!b),
        (UnaryOp::BitNot, Int2(a)) => Int2(!a),
        (UnaryOp::BitNot, Int4(a)) => Int4(!a),
        (UnaryOp::BitNot, Int8(a)) => Int8(!a),
        (UnaryOp::Sqrt, Numeric(d)) => Numeric(numeric::sqrt(d)?),
        (UnaryOp::Sqrt, v) if is_number(v) => Float8(sqrt_f64(as_f64(v))?),
        (op, v) => {
            return Err(Error::sql(
                sqlstate::UNDEFINED_FUNCTION,
                format!(
                    "operator does not exist: {} {}",
                    op.symbol(),
                    v.data_type().display_name()
                ),
            ))
        }
    })
}

/// `sqrt(float8)` with PostgreSQL's domain error.
pub fn sqrt_f64(f: f64) -> Result<f64> {
    if f < 0.0 {
        return Err(Error::sql("2201F", "cannot take square root of a negative number"));
    }
    Ok(f.sqrt())
}

/// SQL comparison of two non-NULL values of compatible types (numeric types compare across
/// widths). `None` when either is NULL.
pub fn sql_compare(left: &Value, right: &Value) -> Result<Option<Ordering>> {
    if left.is_null() || right.is_null() {
        return Ok(None);
    }
    // Value's total order is PostgreSQL's comparison for every type pair the binder lets
    // through (NaN = NaN, C collation, intervals by 30-day months, arrays element-wise).
    Ok(Some(left.cmp(right)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;
    use DataType as T;

    fn num(s: &str) -> Value {
        Value::Numeric(Decimal::from_str(s).unwrap())
    }

    fn show(v: Result<Value>) -> String {
        super::super::text::format(&v.unwrap()).unwrap_or_else(|| "NULL".into())
    }

    fn err(v: Result<Value>) -> (String, String) {
        let e = v.unwrap_err();
        (e.sqlstate().to_string(), e.message())
    }

    #[test]
    fn integer_arithmetic_like_postgres() {
        // select 7 / -2, -7 % 3, 7 % -3, -7 / 2
        assert_eq!(
            eval_binary(BinaryOp::Div, &Value::Int4(7), &Value::Int4(-2)).unwrap(),
            Value::Int4(-3)
        );
        assert_eq!(
            eval_binary(BinaryOp::Mod, &Value::Int4(-7), &Value::Int4(3)).unwrap(),
            Value::Int4(-1)
        );
        assert_eq!(
            eval_binary(BinaryOp::Mod, &Value::Int4(7), &Value::Int4(-3)).unwrap(),
            Value::Int4(1)
        );
        assert_eq!(
            eval_binary(BinaryOp::Mod, &Value::Int4(i32::MIN), &Value::Int4(-1)).unwrap(),
            Value::Int4(0)
        );
        let ovf = eval_binary(BinaryOp::Add, &Value::Int4(i32::MAX), &Value::Int4(1));
        assert_eq!(err(ovf), ("22003".into(), "integer out of range".into()));
        let ovf = eval_binary(BinaryOp::Div, &Value::Int4(i32::MIN), &Value::Int4(-1));
        assert_eq!(err(ovf).1, "integer out of range");
        let ovf = eval_binary(BinaryOp::Add, &Value::Int2(32767), &Value::Int2(1));
        assert_eq!(err(ovf).1, "smallint out of range");
        let ovf = eval_binary(BinaryOp::Mul, &Value::Int8(i64::MAX), &Value::Int8(2));
        assert_eq!(err(ovf).1, "bigint out of range");
        let z = eval_binary(BinaryOp::Div, &Value::Int4(1), &Value::Int4(0));
        assert_eq!(err(z), ("22012".into(), "division by zero".into()));
        assert_eq!(
            eval_binary(BinaryOp::Add, &Value::Null, &Value::Int4(1)).unwrap(),
            Value::Null
        );
        assert_eq!(
            eval_binary(BinaryOp::ShiftLeft, &Value::Int4(1), &Value::Int4(4)).unwrap(),
            Value::Int4(16)
        );
    }

    #[test]
    fn float_and_numeric_arithmetic() {
        // select 0.1::float4 + 0.2::float4, 1e300::float8 * 1e300::float8, 1.0::float8 / 0, 5.0 % 0,
        //        1.50 * 2, 1.50 + 1, 1 / 3.0, 5.5 % 2, 2 ^ 3
        assert_eq!(
            show(eval_binary(BinaryOp::Add, &Value::Float4(0.1), &Value::Float4(0.2))),
            "0.3"
        );
        let o = eval_binary(BinaryOp::Mul, &Value::Float8(1e300), &Value::Float8(1e300));
        assert_eq!(err(o), ("22003".into(), "value out of range: overflow".into()));
        assert_eq!(
            err(eval_binary(BinaryOp::Div, &Value::Float8(1.0), &Value::Float8(0.0))).0,
            "22012"
        );
        assert_eq!(err(eval_binary(BinaryOp::Mod, &num("5.0"), &num("0"))).0, "22012");
        assert_eq!(err(eval_binary(BinaryOp::Div, &num("5.0"), &num("0"))).0, "22012");
        assert_eq!(show(eval_binary(BinaryOp::Mul, &num("1.50"), &num("2"))), "3.00");
        assert_eq!(show(eval_binary(BinaryOp::Add, &num("1.50"), &num("1"))), "2.50");
        // select 0 * 2.50, 1.50 - 1.50, 2.50 % 0.5, 0.0 + 0.00
        assert_eq!(show(eval_binary(BinaryOp::Mul, &num("0"), &num("2.50"))), "0.00");
        assert_eq!(show(eval_binary(BinaryOp::Sub, &num("1.50"), &num("1.50"))), "0.00");
        assert_eq!(show(eval_binary(BinaryOp::Mod, &num("2.50"), &num("0.5"))), "0.00");
        assert_eq!(show(eval_binary(BinaryOp::Add, &num("0.0"), &num("0.00"))), "0.00");
        assert_eq!(
            show(eval_binary(BinaryOp::Div, &num("1"), &num("3.0"))),
            "0.33333333333333333333"
        );
        assert_eq!(show(eval_binary(BinaryOp::Mod, &num("5.5"), &num("2"))), "1.5");
        assert_eq!(
            show(eval_binary(BinaryOp::Pow, &Value::Float8(2.0), &Value::Float8(3.0))),
            "8"
        );
        assert_eq!(show(eval_unary(UnaryOp::Sqrt, &Value::Float8(16.0))), "4");
        assert_eq!(
            err(eval_unary(UnaryOp::Neg, &Value::Int4(i32::MIN))).1,
            "integer out of range"
        );
    }

    #[test]
    fn temporal_arithmetic() {
        let p = |s: &str, t: &T| super::super::text::parse(s, t).unwrap();
        // select '2024-02-29'::date + 1, date '2024-01-05' - date '2024-01-01', timestamp + interval
        assert_eq!(
            show(eval_binary(BinaryOp::Add, &p("2024-02-29", &T::Date), &Value::Int4(1))),
            "2024-03-01"
        );
        assert_eq!(
            eval_binary(BinaryOp::Sub, &p("2024-01-05", &T::Date), &p("2024-01-01", &T::Date)).unwrap(),
            Value::Int4(4)
        );
        let ts = p("2024-01-31 10:00:00", &T::Timestamp);
        assert_eq!(
            show(eval_binary(BinaryOp::Add, &ts, &p("1 mon 1 day 2 hours", &T::Interval))),
            "2024-03-01 12:00:00"
        );
        let d = eval_binary(BinaryOp::Sub, &ts, &p("2024-01-30 09:00:00", &T::Timestamp));
        assert_eq!(show(d), "1 day 01:00:00");
        let d = eval_binary(BinaryOp::Add, &p("2024-01-05", &T::Date), &p("01:30", &T::Time));
        assert_eq!(show(d), "2024-01-05 01:30:00");
        let i = eval_binary(BinaryOp::Mul, &p("1 hour", &T::Interval), &Value::Float8(2.5));
        assert_eq!(show(i), "02:30:00");
    }

    #[test]
    fn comparisons_text_json_regex() {
        assert_eq!(
            sql_compare(&Value::Int4(5), &Value::Int8(5)).unwrap(),
            Some(Ordering::Equal)
        );
        assert_eq!(sql_compare(&Value::Null, &Value::Int8(5)).unwrap(), None);
        assert_eq!(
            eval_binary(BinaryOp::Lt, &Value::Text("B".into()), &Value::Text("a".into())).unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            eval_binary(BinaryOp::Eq, &Value::Null, &Value::Null).unwrap(),
            Value::Null
        );
        let j = Value::Jsonb(json::parse(r#"{"a": {"b": 2}, "c": [1, "x"]}"#).unwrap());
        assert_eq!(
            show(eval_binary(BinaryOp::JsonGet, &j, &Value::Text("a".into()))),
            r#"{"b": 2}"#
        );
        assert_eq!(
            show(eval_binary(BinaryOp::JsonGetText, &j, &Value::Text("c".into()))),
            r#"[1, "x"]"#
        );
        let path = Value::Array(vec![Value::Text("c".into()), Value::Text("1".into())]);
        assert_eq!(
            eval_binary(BinaryOp::JsonPathText, &j, &path).unwrap(),
            Value::Text("x".into())
        );
        assert_eq!(
            eval_binary(BinaryOp::JsonGet, &j, &Value::Text("zz".into())).unwrap(),
            Value::Null
        );
        assert_eq!(
            eval_binary(BinaryOp::JsonExists, &j, &Value::Text("c".into())).unwrap(),
            Value::Bool(true)
        );
        let re = BinaryOp::RegexMatch {
            case_insensitive: true,
            negated: false,
        };
        assert_eq!(
            eval_binary(re, &Value::Text("Hello".into()), &Value::Text("^h.l".into())).unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            err(eval_binary(re, &Value::Text("x".into()), &Value::Text("(".into()))).0,
            "2201B"
        );
        let cat = eval_binary(BinaryOp::Concat, &Value::Text("a".into()), &Value::Int4(1));
        assert_eq!(cat.unwrap(), Value::Text("a1".into()));
    }
}
