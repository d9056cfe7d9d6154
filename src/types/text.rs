//! Text input and output of values, exactly as PostgreSQL prints them (psql, drivers and
//! sqllogictest compare these strings).
//!
//! Dates, times and intervals are delegated to `datetime`/`interval`, JSONB to `json`, NUMERIC
//! input to `numeric`; this file owns scalars, floats, bytea, UUIDs and arrays.

use super::{datetime, json, numeric, DataType, Interval, Value};
use crate::error::{sqlstate, Error, Result};

/// Parses text into a value of `ty` (the `typinput` function). Bad input → 22P02 / 22007 / 22008.
pub fn parse(input: &str, ty: &DataType) -> Result<Value> {
    Ok(match ty {
        DataType::Unknown | DataType::Text | DataType::Varchar(None) | DataType::Char(None) => {
            Value::Text(input.to_string())
        }
        DataType::Varchar(Some(_)) | DataType::Char(Some(_)) => {
            return super::cast::cast(&Value::Text(input.to_string()), ty)
        }
        DataType::Bool => Value::Bool(parse_bool(input)?),
        DataType::Int2 => Value::Int2(parse_int(input, ty, i16::MIN as i64, i16::MAX as i64)? as i16),
        DataType::Int4 => Value::Int4(parse_int(input, ty, i32::MIN as i64, i32::MAX as i64)? as i32),
        DataType::Int8 => Value::Int8(parse_int(input, ty, i64::MIN, i64::MAX)?),
        DataType::Float4 => {
            let f = parse_float(input, ty)?;
            let narrow = f as f32;
            if narrow.is_infinite() && f.is_finite() {
                return Err(float_range(input, ty));
            }
            Value::Float4(narrow)
        }
        DataType::Float8 => Value::Float8(parse_float(input, ty)?),
        DataType::Numeric(None) => Value::Numeric(numeric::parse(input)?),
        DataType::Numeric(Some((p, s))) => Value::Numeric(numeric::apply_typmod(&numeric::parse(input)?, *p, *s)?),
        DataType::Bytea => Value::Bytea(parse_bytea(input)?),
        DataType::Date => Value::Date(datetime::parse_date(input)?),
        DataType::Time => Value::Time(datetime::parse_time(input)?),
        DataType::Timestamp => Value::Timestamp(datetime::parse_timestamp(input)?),
        DataType::TimestampTz => Value::TimestampTz(datetime::parse_timestamptz(input)?),
        DataType::Interval => Value::Interval(Interval::parse(input)?),
        DataType::Jsonb => Value::Jsonb(json::parse(input)?),
        DataType::Uuid => Value::Uuid(parse_uuid(input)?),
        DataType::Array(elem) => parse_array(input, elem)?,
    })
}

/// Formats a value as PostgreSQL's text output (`typoutput`): booleans `t`/`f`, floats in
/// shortest round-trip form (`Infinity`, `NaN`), timestamps `2024-01-02 03:04:05.5`, timestamptz
/// with `+00` offset, intervals `1 year 2 mons 3 days 04:05:06`, bytea `\x0102`, arrays `{1,2}`.
/// NULL has no text form: callers decide how to show it; this returns `None` for NULL.
pub fn format(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => (if *b { "t" } else { "f" }).to_string(),
        Value::Int2(v) => v.to_string(),
        Value::Int4(v) => v.to_string(),
        Value::Int8(v) => v.to_string(),
        Value::Float4(v) => format_float4(*v),
        Value::Float8(v) => format_float8(*v),
        // NUMERIC has no negative zero: `-0.000` prints as `0.000`.
        Value::Numeric(d) if d.is_zero() && d.is_sign_negative() => (-*d).to_string(),
        Value::Numeric(d) => d.to_string(),
        Value::Text(s) => s.clone(),
        Value::Bytea(b) => format_bytea(b),
        Value::Date(d) => datetime::format_date(d),
        Value::Time(t) => datetime::format_time(t),
        Value::Timestamp(t) => datetime::format_timestamp(t),
        Value::TimestampTz(t) => datetime::format_timestamptz(t),
        Value::Interval(i) => i.to_postgres_string(),
        Value::Jsonb(j) => json::format(j),
        Value::Uuid(u) => u.hyphenated().to_string(),
        Value::Array(items) => format_array(items),
    })
}

/// UUID input as PostgreSQL accepts it: hyphens optional (after any group of four digits),
/// optional braces, any case.
fn parse_uuid(input: &str) -> Result<uuid::Uuid> {
    let s = input.trim();
    let s = s.strip_prefix('{').and_then(|r| r.strip_suffix('}')).unwrap_or(s);
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    let hyphens_ok = !s.starts_with('-') && !s.ends_with('-') && !s.contains("--");
    if hex.len() != 32 || !hyphens_ok || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::invalid_text("uuid", input));
    }
    uuid::Uuid::parse_str(&hex).map_err(|_| Error::invalid_text("uuid", input))
}

/// PostgreSQL's `parse_bool`: any unambiguous prefix of true/false/yes/no/on/off, or 1/0.
pub fn parse_bool(input: &str) -> Result<bool> {
    let s = input.trim().to_ascii_lowercase();
    let prefix_of = |word: &str, min: usize| s.len() >= min && word.starts_with(s.as_str());
    if prefix_of("true", 1) || prefix_of("yes", 1) || prefix_of("on", 2) || s == "1" {
        Ok(true)
    } else if prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2) || s == "0" {
        Ok(false)
    } else {
        Err(Error::invalid_text("boolean", input))
    }
}

fn parse_int(input: &str, ty: &DataType, min: i64, max: i64) -> Result<i64> {
    let s = input.trim();
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid_text(&ty.error_name(), input));
    }
    let range = || {
        Error::sql(
            sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
            format!("value \"{input}\" is out of range for type {}", ty.error_name()),
        )
    };
    let v: i64 = s.parse().map_err(|_| range())?;
    if v < min || v > max {
        return Err(range());
    }
    Ok(v)
}

fn float_range(input: &str, ty: &DataType) -> Error {
    Error::sql(
        sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
        format!("\"{input}\" is out of range for type {}", ty.error_name()),
    )
}

fn parse_float(input: &str, ty: &DataType) -> Result<f64> {
    let s = input.trim();
    let f: f64 = s.parse().map_err(|_| Error::invalid_text(&ty.error_name(), input))?;
    if f.is_infinite() && !s.to_ascii_lowercase().contains("inf") {
        return Err(float_range(input, ty));
    }
    Ok(f)
}

/// Shortest round-trip digits, in exponent form when the decimal exponent is below -4 or at
/// least `max_exp` (15 for float8, 6 for float4), as PostgreSQL's `float8out` prints.
fn format_shortest(sci: String, plain: String, max_exp: i32) -> String {
    // `sci` looks like "1.2345e17" / "-1e-5".
    let Some((mant, exp)) = sci.split_once('e') else {
        return plain;
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= max_exp {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        plain
    }
}

pub fn format_float8(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        (if f > 0.0 { "Infinity" } else { "-Infinity" }).into()
    } else {
        format_shortest(format!("{f:e}"), format!("{f}"), 15)
    }
}

pub fn format_float4(f: f32) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        (if f > 0.0 { "Infinity" } else { "-Infinity" }).into()
    } else {
        format_shortest(format!("{f:e}"), format!("{f}"), 6)
    }
}

pub fn format_bytea(b: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 + b.len() * 2);
    s.push_str("\\x");
    for byte in b {
        s.push(HEX[(byte >> 4) as usize] as char);
        s.push(HEX[(byte & 15) as usize] as char);
    }
    s
}

/// bytea input: hex (`\x0a0b`) or escape format (`ab\\c`, `\001`).
pub fn parse_bytea(input: &str) -> Result<Vec<u8>> {
    if let Some(hex) = input.strip_prefix("\\x").or_else(|| input.strip_prefix("\\X")) {
        let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        let val = |c: u8| -> Result<u8> {
            (c as char).to_digit(16).map(|d| d as u8).ok_or_else(|| {
                Error::sql(
                    sqlstate::INVALID_TEXT_REPRESENTATION,
                    format!("invalid hexadecimal digit: \"{}\"", c as char),
                )
            })
        };
        if !digits.len().is_multiple_of(2) {
            return Err(Error::sql(
                sqlstate::INVALID_TEXT_REPRESENTATION,
                "invalid hexadecimal data: odd number of digits",
            ));
        }
        return digits.chunks(2).map(|p| Ok(val(p[0])? << 4 | val(p[1])?)).collect();
    }
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
        } else if bytes.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if let Some(oct) = bytes
            .get(i + 1..i + 4)
            .filter(|o| o[0] >= b'0' && o[0] <= b'3' && o[1..].iter().all(|d| (b'0'..=b'7').contains(d)))
        {
            out.push((oct[0] - b'0') * 64 + (oct[1] - b'0') * 8 + (oct[2] - b'0'));
            i += 4;
        } else {
            return Err(Error::invalid_text("bytea", input));
        }
    }
    Ok(out)
}

fn format_array(items: &[Value]) -> String {
    let mut s = String::from("{");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        match item {
            Value::Null => s.push_str("NULL"),
            Value::Array(_) => s.push_str(&format(item).unwrap_or_default()),
            other => {
                let text = format(other).unwrap_or_default();
                let needs_quotes = text.is_empty()
                    || text.eq_ignore_ascii_case("null")
                    || text
                        .bytes()
                        .any(|b| matches!(b, b'{' | b'}' | b',' | b'"' | b'\\') || b.is_ascii_whitespace());
                if needs_quotes {
                    s.push('"');
                    for c in text.chars() {
                        if c == '"' || c == '\\' {
                            s.push('\\');
                        }
                        s.push(c);
                    }
                    s.push('"');
                } else {
                    s.push_str(&text);
                }
            }
        }
    }
    s.push('}');
    s
}

fn malformed_array(input: &str) -> Error {
    Error::sql(
        sqlstate::INVALID_TEXT_REPRESENTATION,
        format!("malformed array literal: \"{input}\""),
    )
}

/// Array input `{1,2,NULL}`, `{"a b",c}`, nested `{{1,2},{3,4}}`.
fn parse_array(input: &str, elem: &DataType) -> Result<Value> {
    let chars: Vec<char> = input.trim().chars().collect();
    let mut pos = 0;
    let v = parse_array_at(&chars, &mut pos, elem, input)?;
    if chars.get(pos..).unwrap_or_default().iter().any(|c| !c.is_whitespace()) {
        return Err(malformed_array(input));
    }
    Ok(v)
}

fn parse_array_at(chars: &[char], pos: &mut usize, elem: &DataType, input: &str) -> Result<Value> {
    let skip_ws = |pos: &mut usize| {
        while chars.get(*pos).is_some_and(|c| c.is_whitespace()) {
            *pos += 1;
        }
    };
    skip_ws(pos);
    if chars.get(*pos) != Some(&'{') {
        return Err(malformed_array(input));
    }
    *pos += 1;
    let mut items = Vec::new();
    skip_ws(pos);
    if chars.get(*pos) == Some(&'}') {
        *pos += 1;
        return Ok(Value::Array(items));
    }
    loop {
        skip_ws(pos);
        match chars.get(*pos) {
            Some('{') => items.push(parse_array_at(chars, pos, elem, input)?),
            Some('"') => {
                *pos += 1;
                let mut text = String::new();
                loop {
                    match chars.get(*pos) {
                        Some('"') => break,
                        Some('\\') => {
                            *pos += 1;
                            text.push(*chars.get(*pos).ok_or_else(|| malformed_array(input))?);
                        }
                        Some(c) => text.push(*c),
                        None => return Err(malformed_array(input)),
                    }
                    *pos += 1;
                }
                *pos += 1;
                items.push(parse(&text, elem)?);
            }
            Some(_) => {
                let mut text = String::new();
                while let Some(c) = chars.get(*pos) {
                    match c {
                        ',' | '}' => break,
                        '\\' => {
                            *pos += 1;
                            text.push(*chars.get(*pos).ok_or_else(|| malformed_array(input))?);
                        }
                        '"' | '{' => return Err(malformed_array(input)),
                        c => text.push(*c),
                    }
                    *pos += 1;
                }
                let text = text.trim_end();
                if text.eq_ignore_ascii_case("null") {
                    items.push(Value::Null);
                } else {
                    items.push(parse(text, elem)?);
                }
            }
            None => return Err(malformed_array(input)),
        }
        skip_ws(pos);
        match chars.get(*pos) {
            Some(',') => *pos += 1,
            Some('}') => {
                *pos += 1;
                return Ok(Value::Array(items));
            }
            _ => return Err(malformed_array(input)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_postgres() {
        // select 1e20::float8, 1e15::float8, 123456789012345678::float8, 1.5e-5::float8, 0.0001::float8,
        //        1.0::float8/3, 100::float4/3, 1e6::float4, 1234567::float4, 0.1::float4::float8
        assert_eq!(format_float8(1e20), "1e+20");
        assert_eq!(format_float8(1e15), "1e+15");
        assert_eq!(format_float8(1e14), "100000000000000");
        assert_eq!(format_float8(123456789012345678.0), "1.2345678901234568e+17");
        assert_eq!(format_float8(1.5e-5), "1.5e-05");
        assert_eq!(format_float8(0.0001), "0.0001");
        assert_eq!(format_float8(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(format_float8(1e301), "1e+301");
        assert_eq!(format_float8(-1.5e-7), "-1.5e-07");
        assert_eq!(format_float4(100.0 / 3.0), "33.333332");
        assert_eq!(format_float4(1e6), "1e+06");
        assert_eq!(format_float4(1e5), "100000");
        assert_eq!(format_float4(1234567.0), "1.234567e+06");
        assert_eq!(format_float4(0.1 + 0.2), "0.3");
        assert_eq!(format_float8(0.1f32 as f64), "0.10000000149011612");
        assert_eq!(format_float8(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(format_float8(f64::NAN), "NaN");
    }

    #[test]
    fn integers_and_errors() {
        assert_eq!(parse(" 12 ", &DataType::Int4).unwrap(), Value::Int4(12));
        let e = parse("abc", &DataType::Int4).unwrap_err();
        assert_eq!(
            (e.sqlstate(), e.message().as_str()),
            ("22P02", "invalid input syntax for type integer: \"abc\"")
        );
        let e = parse("1.5", &DataType::Int4).unwrap_err();
        assert_eq!(e.sqlstate(), "22P02");
        let e = parse("99999999999", &DataType::Int4).unwrap_err();
        assert_eq!(e.message(), "value \"99999999999\" is out of range for type integer");
        assert_eq!(parse("1e400", &DataType::Float8).unwrap_err().sqlstate(), "22003");
        assert_eq!(
            parse("-inf", &DataType::Float8).unwrap(),
            Value::Float8(f64::NEG_INFINITY)
        );
    }

    #[test]
    fn bools_bytea_uuid() {
        for t in ["t", "TRUE", "yes", "on", "1", " y "] {
            assert!(parse_bool(t).unwrap(), "{t}");
        }
        for f in ["f", "false", "no", "off", "0"] {
            assert!(!parse_bool(f).unwrap(), "{f}");
        }
        assert!(parse_bool("o").is_err());
        assert_eq!(parse_bytea("\\x0a0B").unwrap(), vec![10, 11]);
        assert_eq!(parse_bytea("ab\\\\c\\001").unwrap(), vec![b'a', b'b', b'\\', b'c', 1]);
        assert_eq!(format_bytea(b"abc"), "\\x616263");
        let u = parse("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", &DataType::Uuid).unwrap();
        assert_eq!(format(&u).unwrap(), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        // PostgreSQL accepts braces, no hyphens, and hyphens after any group of four digits.
        for form in [
            "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "{a0eebc999c0b4ef8bb6d6bb9bd380a11}",
            "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
        ] {
            assert_eq!(parse(form, &DataType::Uuid).unwrap(), u, "{form}");
        }
        assert!(parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", &DataType::Uuid).is_err());
        assert!(parse("-a0eebc999c0b4ef8bb6d6bb9bd380a11", &DataType::Uuid).is_err());
    }

    #[test]
    fn random_input_never_panics() {
        // Client text reaches every parser: garbage must give errors, never panics.
        let alphabet: Vec<char> = "0123456789-+:./ ,TZ{}\"\\eEaPMé日 \tnNuUlLxX[]".chars().collect();
        // Every scalar type, plus modified and array forms whose parsers differ.
        let mut types = DataType::SCALARS.to_vec();
        types.extend([
            DataType::Numeric(Some((5, 2))),
            DataType::Char(Some(3)),
            DataType::Varchar(Some(2)),
            DataType::Array(Box::new(DataType::Int4)),
            DataType::Array(Box::new(DataType::Text)),
        ]);
        let mut rng = fastrand::Rng::with_seed(42);
        for _ in 0..20_000 {
            let len = rng.usize(0..24);
            let s: String = (0..len).map(|_| alphabet[rng.usize(0..alphabet.len())]).collect();
            for ty in &types {
                if let Ok(v) = parse(&s, ty) {
                    let _ = format(&v);
                }
            }
        }
    }

    #[test]
    fn arrays_round_trip_with_quoting() {
        let v = Value::Array(vec![
            Value::Text("a b".into()),
            Value::Text("".into()),
            Value::Text("NULL".into()),
            Value::Text("x\"y".into()),
            Value::Null,
        ]);
        let text = format(&v).unwrap();
        assert_eq!(text, r#"{"a b","","NULL","x\"y",NULL}"#);
        assert_eq!(parse(&text, &DataType::Array(Box::new(DataType::Text))).unwrap(), v);
        let ints = parse("{1, 2 ,NULL}", &DataType::Array(Box::new(DataType::Int4))).unwrap();
        assert_eq!(ints, Value::Array(vec![Value::Int4(1), Value::Int4(2), Value::Null]));
        assert_eq!(format(&ints).unwrap(), "{1,2,NULL}");
        assert!(parse("{1,2", &DataType::Array(Box::new(DataType::Int4))).is_err());
    }
}
