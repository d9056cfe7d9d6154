//! How a result value is printed for comparison with a sqllogictest record, and how results
//! are sorted and hashed — the conventions of SQLite's sqllogictest, which the corpus and our own
//! suites share.
//!
//! The type letter a record declares decides the printing, not the value's SQL type: the same
//! integer is `7` under `I` and `7.000` under `R`. Our own suites, checked against PostgreSQL's
//! text output, use `I` for integer columns only and `T` for everything else, where both
//! conventions print the same string.

use md5::{Digest, Md5};
use rust_decimal::prelude::ToPrimitive;
use sqllogictest::SortMode;

use crate::types::{text, Value};

/// Prints one value the way a record with column type letter `letter` expects it.
pub fn format_value(value: &Value, letter: char) -> String {
    if value.is_null() {
        return "NULL".to_string();
    }
    match letter {
        'I' => format_integer(value),
        'R' => format_real(value),
        _ => format_text(value),
    }
}

/// `T` (and any unknown letter): PostgreSQL's text output; the empty string as `(empty)` so a
/// result line never loses a column.
fn format_text(value: &Value) -> String {
    match text::format(value) {
        None => "NULL".to_string(),
        Some(s) if s.is_empty() => "(empty)".to_string(),
        Some(s) => s,
    }
}

/// `I`: integers as they are; other numbers truncated toward zero, as SQLite's
/// `sqlite3_column_int64` does for the corpus; booleans as 1/0 (SQLite has no booleans, and the
/// corpus expects its comparison results as integers).
fn format_integer(value: &Value) -> String {
    match value {
        Value::Int2(v) => v.to_string(),
        Value::Int4(v) => v.to_string(),
        Value::Int8(v) => v.to_string(),
        Value::Bool(b) => u8::from(*b).to_string(),
        Value::Float4(v) => float_as_integer(f64::from(*v)).unwrap_or_else(|| format_text(value)),
        Value::Float8(v) => float_as_integer(*v).unwrap_or_else(|| format_text(value)),
        Value::Numeric(d) => d
            .trunc()
            .to_i64()
            .map(|i| i.to_string())
            .unwrap_or_else(|| format_text(value)),
        Value::Text(t) => text_integer_prefix(t).to_string(),
        _ => format_text(value),
    }
}

/// SQLite's reading of text as an integer (`sqlite3_column_int64`): the leading integer after
/// optional blanks and sign, 0 when there is none (`'apdbu'` → 0, `'12ab'` → 12). The corpus
/// prints TEXT columns under `I` this way.
fn text_integer_prefix(text: &str) -> i64 {
    let t = text.trim_start();
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut n: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if negative {
        n.saturating_neg()
    } else {
        n
    }
}

/// Truncates a finite float that fits in i64; NaN and infinities keep their text form.
fn float_as_integer(v: f64) -> Option<String> {
    // 2^63: every finite f64 strictly inside (-2^63, 2^63) truncates to a valid i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    let t = v.trunc();
    if t.is_finite() && t > -LIMIT && t < LIMIT {
        // The range check above makes this conversion exact.
        Some(format!("{}", t as i64))
    } else {
        None
    }
}

/// `R`: any number with three decimals (`printf("%.3f")`); booleans as 1.000/0.000.
fn format_real(value: &Value) -> String {
    let number = match value {
        Value::Int2(v) => Some(f64::from(*v)),
        Value::Int4(v) => Some(f64::from(*v)),
        Value::Int8(v) => Some(*v as f64),
        Value::Float4(v) => Some(f64::from(*v)),
        Value::Float8(v) => Some(*v),
        Value::Numeric(d) => d.to_f64(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    };
    match number {
        Some(n) if n.is_finite() => format!("{n:.3}"),
        _ => format_text(value),
    }
}

/// Applies a record's sort mode to printed rows. `valuesort` turns every value into its own row.
pub fn sort_rows(rows: Vec<Vec<String>>, mode: Option<SortMode>) -> Vec<Vec<String>> {
    match mode {
        None | Some(SortMode::NoSort) => rows,
        Some(SortMode::RowSort) => {
            let mut rows = rows;
            rows.sort_unstable();
            rows
        }
        Some(SortMode::ValueSort) => {
            let mut values: Vec<Vec<String>> = rows.into_iter().flatten().map(|v| vec![v]).collect();
            values.sort_unstable();
            values
        }
    }
}

/// The `N values hashing to <md5>` line: the md5 of every printed value followed by `\n`, in
/// result order (after sorting).
pub fn hash_line(rows: &[Vec<String>]) -> String {
    let mut md5 = Md5::new();
    let mut count = 0usize;
    for value in rows.iter().flatten() {
        md5.update(value.as_bytes());
        md5.update(b"\n");
        count += 1;
    }
    let digest = md5.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{count} values hashing to {hex}")
}

/// Whitespace-normalised text of a whole result: values separated by single spaces, whether
/// the file lists one value per line (the SQLite corpus) or one row per line (our suites).
pub fn normalize_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for word in lines.into_iter().flat_map(str::split_whitespace) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn integer_letter_truncates_like_sqlite() {
        assert_eq!(format_value(&Value::Int4(-7), 'I'), "-7");
        assert_eq!(format_value(&Value::Float8(2.9), 'I'), "2");
        assert_eq!(format_value(&Value::Float8(-2.9), 'I'), "-2");
        assert_eq!(format_value(&Value::Numeric(Decimal::new(12345, 2)), 'I'), "123");
        assert_eq!(format_value(&Value::Bool(true), 'I'), "1");
        assert_eq!(format_value(&Value::Null, 'I'), "NULL");
        // SQLite reads text as its leading integer, 0 without one.
        assert_eq!(format_value(&Value::Text("apdbu".into()), 'I'), "0");
        assert_eq!(format_value(&Value::Text(" -12ab".into()), 'I'), "-12");
        assert_eq!(format_value(&Value::Text("7".into()), 'I'), "7");
    }

    #[test]
    fn real_letter_prints_three_decimals() {
        assert_eq!(format_value(&Value::Int8(7), 'R'), "7.000");
        assert_eq!(format_value(&Value::Float8(-0.5), 'R'), "-0.500");
        assert_eq!(format_value(&Value::Float8(2.0 / 3.0), 'R'), "0.667");
        assert_eq!(format_value(&Value::Numeric(Decimal::new(-125, 1)), 'R'), "-12.500");
        assert_eq!(format_value(&Value::Null, 'R'), "NULL");
    }

    #[test]
    fn hash_matches_md5_of_newline_terminated_values() {
        // Expected digest from `printf '1\n2\nabc\n' | md5sum`.
        let rows = vec![vec!["1".to_string(), "2".to_string()], vec!["abc".to_string()]];
        assert_eq!(hash_line(&rows), "3 values hashing to afdedcd40ff871afb7b56ea83536be10");
    }

    #[test]
    fn sort_modes() {
        let rows = vec![
            vec!["b".to_string(), "1".to_string()],
            vec!["a".to_string(), "2".to_string()],
        ];
        assert_eq!(sort_rows(rows.clone(), Some(SortMode::NoSort)), rows);
        assert_eq!(sort_rows(rows.clone(), Some(SortMode::RowSort))[0][0], "a");
        let by_value = sort_rows(rows, Some(SortMode::ValueSort));
        assert_eq!(by_value, vec![vec!["1"], vec!["2"], vec!["a"], vec!["b"]]);
    }

    #[test]
    fn normalization_ignores_row_layout() {
        assert_eq!(normalize_lines(["1  a", "2 b "]), normalize_lines(["1", "a", "2", "b"]));
    }
}
