//! Quoting for SQL text (`quote_ident`, `quote_literal`) and the `format()` function built on
//! them.

use super::{text, Value};
use crate::error::{sqlstate, Error, Result};

/// Quotes an identifier when PostgreSQL would (`quote_ident`): anything but lower-case letters,
/// digits and `_`, or a reserved word.
pub fn quote_ident(s: &str) -> String {
    let plain = s.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !is_reserved(s);
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

/// A few reserved words that must be quoted as identifiers (PostgreSQL's reserved list, common part).
fn is_reserved(s: &str) -> bool {
    matches!(
        s,
        "all"
            | "and"
            | "any"
            | "array"
            | "as"
            | "asc"
            | "both"
            | "case"
            | "cast"
            | "check"
            | "column"
            | "constraint"
            | "create"
            | "default"
            | "desc"
            | "distinct"
            | "do"
            | "else"
            | "end"
            | "except"
            | "false"
            | "for"
            | "foreign"
            | "from"
            | "grant"
            | "group"
            | "having"
            | "in"
            | "intersect"
            | "into"
            | "leading"
            | "limit"
            | "not"
            | "null"
            | "offset"
            | "on"
            | "only"
            | "or"
            | "order"
            | "primary"
            | "references"
            | "select"
            | "table"
            | "then"
            | "to"
            | "trailing"
            | "true"
            | "union"
            | "unique"
            | "user"
            | "using"
            | "when"
            | "where"
            | "with"
    )
}

pub fn quote_literal(s: &str) -> String {
    let body = s.replace('\'', "''");
    if s.contains('\\') {
        format!("E'{}'", body.replace('\\', "\\\\"))
    } else {
        format!("'{body}'")
    }
}

/// The text a value shows inside `concat`/`format`: its output form.
pub(super) fn display(v: &Value) -> String {
    text::format(v).unwrap_or_default()
}

/// `format(fmt, ...)` with `%s`, `%I`, `%L`, `%%`, positions (`%2$s`) and widths (`%-10s`).
pub(super) fn format_sql(fmt: &str, args: &[Value]) -> Result<String> {
    let bad = |m: &str| Error::sql(sqlstate::INVALID_PARAMETER_VALUE, m.to_string());
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    let mut next_arg = 0usize;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let mut spec = String::new();
        while let Some(&d) = chars.peek() {
            if d.is_ascii_digit() || d == '$' || d == '-' {
                spec.push(d);
                chars.next();
            } else {
                break;
            }
        }
        let conv = chars
            .next()
            .ok_or_else(|| bad("unterminated format() type specifier"))?;
        let (position, flags) = match spec.split_once('$') {
            Some((p, rest)) => (
                Some(p.parse::<usize>().map_err(|_| bad("invalid argument position"))?),
                rest,
            ),
            None => (None, spec.as_str()),
        };
        let left_align = flags.starts_with('-');
        let width: usize = flags.trim_start_matches('-').parse().unwrap_or(0);
        let index = match position {
            Some(0) => return Err(bad("format specifies argument 0, but arguments are numbered from 1")),
            Some(p) => p - 1,
            None => next_arg,
        };
        next_arg = index + 1;
        let value = args.get(index).ok_or_else(|| bad("too few arguments for format()"))?;
        let piece = match conv {
            's' => display(value),
            'I' => {
                if value.is_null() {
                    return Err(Error::sql(
                        "22004",
                        "null values cannot be formatted as an SQL identifier",
                    ));
                }
                quote_ident(&display(value))
            }
            'L' => {
                if value.is_null() {
                    "NULL".to_string()
                } else {
                    quote_literal(&display(value))
                }
            }
            other => return Err(bad(&format!("unrecognized format() type specifier \"{other}\""))),
        };
        let len = piece.chars().count();
        if len < width {
            let fill = " ".repeat(width - len);
            if left_align {
                out.push_str(&piece);
                out.push_str(&fill);
            } else {
                out.push_str(&fill);
                out.push_str(&piece);
            }
        } else {
            out.push_str(&piece);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::Text(v.into())
    }

    #[test]
    fn quoting_and_format() {
        assert_eq!(quote_ident("abc"), "abc");
        assert_eq!(quote_ident("Abc"), "\"Abc\"");
        assert_eq!(quote_ident("select"), "\"select\"");
        assert_eq!(quote_literal("O'Reilly"), "'O''Reilly'");
        assert_eq!(quote_literal("a\\b"), "E'a\\\\b'");
        let f = format_sql_test(&[s("Hello %s, %I = %L %%"), s("World"), s("My Col"), Value::Null]);
        assert_eq!(f, s("Hello World, \"My Col\" = NULL %"));
        assert_eq!(format_sql_test(&[s("%2$s %1$s|%-4s|"), s("a"), s("b")]), s("b a|b   |"));
    }

    fn format_sql_test(args: &[Value]) -> Value {
        let (Value::Text(fmt), rest) = (&args[0], &args[1..]) else {
            panic!("format string must be text")
        };
        Value::Text(format_sql(fmt, rest).unwrap())
    }
}
