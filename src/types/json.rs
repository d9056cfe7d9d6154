//! JSONB values: canonical form (keys sorted as jsonb stores them, last duplicate wins), text
//! output exactly as PostgreSQL prints jsonb, and the jsonb operators.
//!
//! A `serde_json::Value` inside `Value::Jsonb` is always canonical: every constructor in Vellum
//! goes through `canonical` or `parse`, so equality and output need no re-sorting.

use std::cmp::Ordering;

use serde_json::{Map, Value as J};

use crate::error::{sqlstate, Error, Result};

/// jsonb's key order: shorter keys first, then bytewise.
pub fn key_cmp(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

/// Sorts object keys into jsonb order, recursively.
pub fn canonical(v: J) -> J {
    match v {
        J::Object(map) => {
            let mut entries: Vec<(String, J)> = map.into_iter().map(|(k, v)| (k, canonical(v))).collect();
            entries.sort_by(|a, b| key_cmp(&a.0, &b.0));
            J::Object(entries.into_iter().collect::<Map<String, J>>())
        }
        J::Array(items) => J::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

pub fn parse(input: &str) -> Result<J> {
    serde_json::from_str::<J>(input).map(canonical).map_err(|e| {
        Error::sql(
            sqlstate::INVALID_JSON_TEXT,
            "invalid input syntax for type json".to_string(),
        )
        .with_detail(format!("{e}"))
    })
}

/// PostgreSQL's jsonb text form: `{"a": 1, "b": [1, 2]}`.
pub fn format(v: &J) -> String {
    let mut out = String::new();
    write(v, &mut out);
    out
}

fn write(v: &J, out: &mut String) {
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Number(n) => write_number(n, out),
        J::String(s) => write_string(s, out),
        J::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(item, out);
            }
            out.push(']');
        }
        J::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(k, out);
                out.push_str(": ");
                write(item, out);
            }
            out.push('}');
        }
    }
}

/// jsonb numbers are NUMERIC: printed without exponent.
/// serde_json keeps each number's text (`arbitrary_precision`); printed as NUMERIC prints it:
/// `1.50` stays, `1e2` becomes `100`, `-0.0` becomes `0.0`.
pub fn write_number(n: &serde_json::Number, out: &mut String) {
    let raw = n.to_string();
    if raw.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        out.push_str(&raw);
        return;
    }
    match crate::types::numeric::parse(&raw) {
        Ok(d) if d.is_zero() => out.push_str(&(d.abs()).to_string()),
        Ok(d) => out.push_str(&d.to_string()),
        // Beyond NUMERIC's range in Vellum: keep the digits as written.
        Err(_) => out.push_str(&raw),
    }
}

/// A JSON number holding exactly `text` (a NUMERIC or float8 output form).
pub fn number(text: &str) -> Option<J> {
    let canonical = match crate::types::numeric::parse(text) {
        Ok(d) => d.to_string(),
        Err(_) => text.to_string(),
    };
    serde_json::from_str::<serde_json::Number>(&canonical)
        .ok()
        .map(J::Number)
}

pub fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `jsonb_pretty`: four-space indentation, as PostgreSQL prints it.
pub fn pretty(v: &J) -> String {
    let mut out = String::new();
    pretty_into(v, 0, &mut out);
    out
}

fn pretty_into(v: &J, level: usize, out: &mut String) {
    let pad = |n: usize, out: &mut String| out.push_str(&"    ".repeat(n));
    match v {
        J::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                pad(level + 1, out);
                pretty_into(item, level + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            pad(level, out);
            out.push(']');
        }
        J::Object(map) if !map.is_empty() => {
            out.push_str("{\n");
            for (i, (k, item)) in map.iter().enumerate() {
                pad(level + 1, out);
                write_string(k, out);
                out.push_str(": ");
                pretty_into(item, level + 1, out);
                out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
            }
            pad(level, out);
            out.push('}');
        }
        // Empty containers still break the line, as PostgreSQL's jsonb_pretty does.
        J::Array(_) | J::Object(_) => {
            let (open, close) = if v.is_array() { ('[', ']') } else { ('{', '}') };
            out.push(open);
            out.push('\n');
            pad(level, out);
            out.push(close);
        }
        other => write(other, out),
    }
}

/// The text `->>` returns: strings unquoted, JSON null as SQL NULL, others as jsonb text.
pub fn as_text(v: &J) -> Option<String> {
    match v {
        J::Null => None,
        J::String(s) => Some(s.clone()),
        other => Some(format(other)),
    }
}

/// `->` with a key (objects only).
pub fn get_key<'a>(v: &'a J, key: &str) -> Option<&'a J> {
    match v {
        J::Object(map) => map.get(key),
        _ => None,
    }
}

/// `->` with an index (arrays only; negative counts from the end).
pub fn get_index(v: &J, index: i64) -> Option<&J> {
    match v {
        J::Array(items) => {
            let len = items.len() as i64;
            let i = if index < 0 { len + index } else { index };
            if (0..len).contains(&i) {
                items.get(i as usize)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// `#>`: follows a path of keys / array indexes.
pub fn get_path<'a>(v: &'a J, path: &[Option<String>]) -> Option<&'a J> {
    let mut cur = v;
    for step in path {
        let step = step.as_deref()?;
        cur = match cur {
            J::Object(_) => get_key(cur, step)?,
            J::Array(_) => get_index(cur, step.trim().parse::<i64>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// `@>`: jsonb containment as PostgreSQL defines it (arrays contain elements in any order, a
/// top-level array contains a scalar equal to one of its elements).
pub fn contains(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Object(x), J::Object(y)) => y.iter().all(|(k, vb)| x.get(k).is_some_and(|va| contains(va, vb))),
        (J::Array(x), J::Array(y)) => y.iter().all(|vb| {
            x.iter().any(|va| {
                if vb.is_array() || vb.is_object() {
                    contains(va, vb)
                } else {
                    scalar_eq(va, vb)
                }
            })
        }),
        (J::Array(x), scalar) if !scalar.is_object() => x.iter().any(|va| scalar_eq(va, scalar)),
        _ => scalar_eq(a, b),
    }
}

fn scalar_eq(a: &J, b: &J) -> bool {
    crate::types::value::json_cmp(a, b) == Ordering::Equal
}

/// `?`: a key of an object, or a string element of an array, or the string itself.
pub fn exists(v: &J, key: &str) -> bool {
    match v {
        J::Object(map) => map.contains_key(key),
        J::Array(items) => items.iter().any(|i| i.as_str() == Some(key)),
        J::String(s) => s == key,
        _ => false,
    }
}

/// `jsonb || jsonb`: objects merge (right wins), otherwise both sides become arrays and append.
pub fn concat(a: &J, b: &J) -> J {
    match (a, b) {
        (J::Object(x), J::Object(y)) => {
            let mut m = x.clone();
            for (k, v) in y {
                m.insert(k.clone(), v.clone());
            }
            canonical(J::Object(m))
        }
        _ => {
            let mut items = match a {
                J::Array(x) => x.clone(),
                other => vec![other.clone()],
            };
            match b {
                J::Array(y) => items.extend(y.iter().cloned()),
                other => items.push(other.clone()),
            }
            J::Array(items)
        }
    }
}

pub fn type_name(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "boolean",
        J::Number(_) => "number",
        J::String(_) => "string",
        J::Array(_) => "array",
        J::Object(_) => "object",
    }
}

pub fn strip_nulls(v: &J) -> J {
    match v {
        J::Object(map) => J::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        J::Array(items) => J::Array(items.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

/// `jsonb_set(target, path, value, create_missing => true)`.
pub fn set_path(target: &J, path: &[Option<String>], value: &J) -> Result<J> {
    let mut out = target.clone();
    if path.is_empty() {
        return Ok(out);
    }
    let mut cur = &mut out;
    for (i, step) in path.iter().enumerate() {
        let step = step.as_deref().ok_or_else(|| {
            Error::sql(
                sqlstate::INVALID_PARAMETER_VALUE,
                format!("path element at position {} is null", i + 1),
            )
        })?;
        let last = i + 1 == path.len();
        cur = match cur {
            J::Object(map) => {
                if last {
                    map.insert(step.to_string(), value.clone());
                    return Ok(canonical(out));
                }
                match map.get_mut(step) {
                    Some(next) => next,
                    None => return Ok(canonical(out)),
                }
            }
            J::Array(items) => {
                let idx: i64 = step.trim().parse().map_err(|_| {
                    Error::sql(
                        sqlstate::INVALID_TEXT_REPRESENTATION,
                        format!("path element at position {} is not an integer: \"{step}\"", i + 1),
                    )
                })?;
                let len = items.len() as i64;
                let pos = if idx < 0 { len + idx } else { idx };
                if last {
                    if pos < 0 {
                        items.insert(0, value.clone());
                    } else if pos >= len {
                        items.push(value.clone());
                    } else if let Some(slot) = items.get_mut(pos as usize) {
                        *slot = value.clone();
                    }
                    return Ok(canonical(out));
                }
                match usize::try_from(pos).ok().and_then(|p| items.get_mut(p)) {
                    Some(next) => next,
                    None => return Ok(canonical(out)),
                }
            }
            _ => {
                return Err(Error::sql(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    "cannot set path in scalar",
                ))
            }
        };
    }
    Ok(canonical(out))
}

fn path_steps(values: &[crate::types::Value]) -> Vec<Option<String>> {
    values.iter().map(crate::types::text::format).collect()
}

/// Evaluates a jsonb function; `None` when `func` is not one.
pub(crate) fn call(
    func: crate::types::functions::ScalarFunc,
    args: &[crate::types::Value],
) -> Result<Option<crate::types::Value>> {
    use crate::types::cast::to_json;
    use crate::types::functions::{arg, ScalarFunc as S};
    use crate::types::Value;
    let jsonb = |i: usize| -> Result<&J> {
        match arg(args, i)? {
            Value::Jsonb(j) => Ok(j),
            other => Err(Error::bug(format!(
                "argument {} should be jsonb, got {:?}",
                i + 1,
                other.data_type()
            ))),
        }
    };
    Ok(Some(match func {
        S::JsonbTypeof => Value::Text(type_name(jsonb(0)?).to_string()),
        S::JsonbArrayLength => match jsonb(0)? {
            J::Array(items) => Value::Int4(items.len() as i32),
            J::Object(_) => {
                return Err(Error::sql(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    "cannot get array length of a non-array",
                ))
            }
            _ => {
                return Err(Error::sql(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    "cannot get array length of a scalar",
                ))
            }
        },
        S::JsonbBuildObject => {
            if !args.len().is_multiple_of(2) {
                return Err(Error::sql(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    "argument list must have even number of elements",
                )
                .with_hint("The arguments of jsonb_build_object() must consist of alternating keys and values."));
            }
            let mut map = Map::new();
            for (i, pair) in args.chunks(2).enumerate() {
                let key = match &pair[0] {
                    Value::Null => {
                        return Err(Error::sql(
                            "22004",
                            format!("argument {}: key must not be null", i * 2 + 1),
                        ))
                    }
                    k => crate::types::text::format(k).unwrap_or_default(),
                };
                map.insert(key, to_json(&pair[1]));
            }
            Value::Jsonb(canonical(J::Object(map)))
        }
        S::JsonbBuildArray => Value::Jsonb(J::Array(args.iter().map(to_json).collect())),
        S::ToJsonb => Value::Jsonb(canonical(to_json(arg(args, 0)?))),
        S::JsonbExtractPath | S::JsonbExtractPathText => {
            let steps = path_steps(args.get(1..).unwrap_or(&[]));
            match (get_path(jsonb(0)?, &steps), func) {
                (None, _) => Value::Null,
                (Some(v), S::JsonbExtractPath) => Value::Jsonb(v.clone()),
                (Some(v), _) => as_text(v).map(Value::Text).unwrap_or(Value::Null),
            }
        }
        S::JsonbPretty => Value::Text(pretty(jsonb(0)?)),
        S::JsonbStripNulls => Value::Jsonb(strip_nulls(jsonb(0)?)),
        S::JsonbSet => {
            let path = match arg(args, 1)? {
                Value::Array(items) => path_steps(items),
                _ => return Err(Error::bug("jsonb_set path is not an array")),
            };
            let create_missing = !matches!(args.get(3), Some(Value::Bool(false)));
            if !create_missing && get_path(jsonb(0)?, &path).is_none() {
                Value::Jsonb(jsonb(0)?.clone())
            } else {
                Value::Jsonb(set_path(jsonb(0)?, &path, jsonb(2)?)?)
            }
        }
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_as_postgres_jsonb() {
        // PostgreSQL 15: select '{"b":1,"a":[1,2.50],"aa":null,"a":true}'::jsonb
        let v = parse(r#"{"b":1,"a":[1,2.5],"aa":null,"a":true}"#).unwrap();
        assert_eq!(format(&v), r#"{"a": true, "b": 1, "aa": null}"#);
        assert_eq!(format(&parse(r#""x\ny""#).unwrap()), r#""x\ny""#);
        assert_eq!(format(&parse("[]").unwrap()), "[]");
        assert_eq!(format(&parse("1e2").unwrap()), "100");
        // select '[1.50, 1.0e-10, -0.0, 12345678901234567890123]'::jsonb
        let v = parse("[1.50, 1.0e-10, -0.0, 12345678901234567890123]").unwrap();
        assert_eq!(format(&v), "[1.50, 0.00000000010, 0.0, 12345678901234567890123]");
        assert!(parse("{").is_err());
        // select jsonb_pretty('{"a":[1,{"b":null}],"c":{}}')
        let v = parse(r#"{"a":[1,{"b":null}],"c":{}}"#).unwrap();
        let expected = "{\n    \"a\": [\n        1,\n        {\n            \"b\": null\n        }\n    ],\n    \"c\": {\n    }\n}";
        assert_eq!(pretty(&v), expected);
    }

    #[test]
    fn containment_and_paths() {
        let v = parse(r#"{"a": {"b": [1, 2, 3]}, "c": "x"}"#).unwrap();
        assert!(contains(&v, &parse(r#"{"a": {"b": [3, 1]}}"#).unwrap()));
        assert!(!contains(&v, &parse(r#"{"c": "y"}"#).unwrap()));
        assert!(contains(&parse("[1, 2]").unwrap(), &parse("1").unwrap()));
        let path = vec![Some("a".to_string()), Some("b".to_string()), Some("-1".to_string())];
        assert_eq!(get_path(&v, &path), Some(&J::from(3)));
        assert!(exists(&v, "c"));
        let set = set_path(&v, &[Some("c".into())], &J::from(5)).unwrap();
        assert_eq!(format(&set), r#"{"a": {"b": [1, 2, 3]}, "c": 5}"#);
    }
}
