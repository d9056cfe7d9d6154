//! Tests of the row format: byte layout, round trips of every value kind, corrupt input.

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use rust_decimal::Decimal;

use crate::error::Error;
use crate::types::{Interval, Value};

use super::row::{canonical_json, decode_columns, decode_row, encode_row, ROW_FORMAT_VERSION};

fn every_kind() -> Vec<Value> {
    let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let time = NaiveTime::from_hms_micro_opt(23, 59, 58, 123_456).unwrap();
    vec![
        Value::Null,
        Value::Bool(true),
        Value::Bool(false),
        Value::Int2(-32768),
        Value::Int4(2_147_483_647),
        Value::Int8(i64::MIN),
        Value::Float4(-1.5),
        Value::Float4(f32::INFINITY),
        Value::Float8(-0.0),
        Value::Float8(f64::NAN),
        Value::Float8(1e308),
        Value::Numeric(Decimal::new(100, 2)),
        Value::Numeric(Decimal::from_i128_with_scale(
            -79_228_162_514_264_337_593_543_950_335,
            28,
        )),
        Value::Numeric(Decimal::ZERO),
        Value::Text(String::new()),
        Value::Text("héllo\0wörld ✓".into()),
        Value::Bytea(vec![0, 1, 2, 255]),
        Value::Date(date),
        Value::Date(NaiveDate::from_ymd_opt(-4713, 11, 24).unwrap()),
        Value::Time(time),
        Value::Time(NaiveTime::MIN),
        Value::Timestamp(date.and_time(time)),
        Value::Timestamp(
            NaiveDate::from_ymd_opt(1900, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        ),
        Value::TimestampTz(Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap()),
        Value::Interval(Interval::new(-14, 3, -4_000_001)),
        Value::Jsonb(serde_json::json!({"b": [1, 2.5, null], "a": {"x": "y"}, "long": true})),
        Value::Uuid(uuid::Uuid::from_bytes([0xA0; 16])),
        Value::Array(vec![]),
        Value::Array(vec![
            Value::Int4(1),
            Value::Null,
            Value::Array(vec![Value::Text("n".into())]),
        ]),
    ]
}

/// Exact representation (Debug keeps numeric scale, NaN, -0.0), independent of `Value`'s Ord.
fn repr(row: &[Value]) -> String {
    format!("{row:?}")
}

#[test]
fn every_value_kind_round_trips() {
    let row = every_kind();
    let mut bytes = Vec::new();
    encode_row(&row, &mut bytes);
    let back = decode_row(&bytes).unwrap();
    // JSON keys come back in canonical order; compare canonical texts for those.
    for (a, b) in row.iter().zip(&back) {
        match (a, b) {
            (Value::Jsonb(x), Value::Jsonb(y)) => {
                let (mut sx, mut sy) = (String::new(), String::new());
                canonical_json(x, &mut sx);
                canonical_json(y, &mut sy);
                assert_eq!(sx, sy);
            }
            (Value::Float8(x), Value::Float8(y)) => assert_eq!(x.to_bits(), y.to_bits()),
            _ => assert_eq!(repr(std::slice::from_ref(a)), repr(std::slice::from_ref(b))),
        }
    }
    assert_eq!(back.len(), row.len());
    let mut again = Vec::new();
    encode_row(&back, &mut again);
    assert_eq!(again, bytes, "re-encoding is byte-identical");
}

#[test]
fn byte_layout_matches_the_documented_format() {
    let row = vec![
        Value::Int4(1),
        Value::Text("ab".into()),
        Value::Null,
        Value::Numeric(Decimal::new(-150, 2)),
        Value::Interval(Interval::new(1, 2, 3)),
    ];
    let mut bytes = Vec::new();
    encode_row(&row, &mut bytes);
    let mut want = vec![1u8, 5, 0, 0, 0];
    want.extend([3, 1, 0, 0, 0]);
    want.extend([8, 2, 0, 0, 0, b'a', b'b']);
    want.push(0);
    want.push(7);
    want.extend((-150i128).to_le_bytes());
    want.push(2);
    want.extend([14, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(bytes, want);
    assert_eq!(bytes[0], ROW_FORMAT_VERSION);
}

#[test]
fn jsonb_text_is_canonical() {
    let a: serde_json::Value = serde_json::from_str(r#"{ "bb": 1, "a": {"z": [1, "x"], "y": null}, "c": 2 }"#).unwrap();
    let b: serde_json::Value = serde_json::from_str(r#"{"c":2,"a":{"y":null,"z":[1,"x"]},"bb":1}"#).unwrap();
    let (mut sa, mut sb) = (String::new(), String::new());
    canonical_json(&a, &mut sa);
    canonical_json(&b, &mut sb);
    // PostgreSQL prints this jsonb as {"a": {"y": null, "z": [1, "x"]}, "c": 2, "bb": 1}.
    assert_eq!(sa, r#"{"a":{"y":null,"z":[1,"x"]},"c":2,"bb":1}"#);
    assert_eq!(sa, sb);
}

fn assert_corrupt(bytes: &[u8]) {
    match decode_row(bytes) {
        Err(Error::Corrupted { .. }) => {}
        other => panic!("{bytes:?} decoded as {other:?}"),
    }
}

#[test]
fn corrupt_and_truncated_rows_are_errors() {
    let mut bytes = Vec::new();
    encode_row(&every_kind(), &mut bytes);
    // Every proper prefix is truncated.
    for len in 0..bytes.len() {
        assert_corrupt(&bytes[..len]);
    }
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_corrupt(&trailing);
    assert_corrupt(&[2, 0, 0, 0, 0]); // unknown version
    assert_corrupt(&[1, 1, 0, 0, 0, 99]); // unknown tag
    assert_corrupt(&[1, 1, 0, 0, 0, 1, 2]); // bool 2
    assert_corrupt(&[1, 1, 0, 0, 0, 8, 2, 0, 0, 0, 0xC3, 0x28]); // invalid UTF-8
    assert_corrupt(&[1, 0xFF, 0xFF, 0xFF, 0xFF]); // count larger than the input
    assert_corrupt(&[1, 1, 0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFF]); // length larger than the input
    let mut scale = vec![1, 1, 0, 0, 0, 7];
    scale.extend(1i128.to_le_bytes());
    scale.push(29);
    assert_corrupt(&scale); // numeric scale > 28
    let mut mantissa = vec![1, 1, 0, 0, 0, 7];
    mantissa.extend((1i128 << 100).to_le_bytes());
    mantissa.push(0);
    assert_corrupt(&mantissa); // mantissa beyond 96 bits
    let mut time = vec![1, 1, 0, 0, 0, 11];
    time.extend((90_000u64 * 1_000_000).to_le_bytes());
    assert_corrupt(&time); // 25:00
    let mut date = vec![1, 1, 0, 0, 0, 10];
    date.extend(i32::MAX.to_le_bytes());
    assert_corrupt(&date);
    let mut json = vec![1, 1, 0, 0, 0, 15, 3, 0, 0, 0];
    json.extend(b"{x}");
    assert_corrupt(&json);
    // Arrays nested beyond the limit.
    let mut deep = vec![1, 1, 0, 0, 0];
    for _ in 0..40 {
        deep.extend([17, 1, 0, 0, 0]);
    }
    deep.push(0);
    assert_corrupt(&deep);

    // Random corruption never panics.
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..5000 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let mut mutated = bytes.clone();
        let at = (rng % mutated.len() as u64) as usize;
        mutated[at] ^= (rng >> 32) as u8 | 1;
        let _ = decode_row(&mutated);
    }
}

#[test]
fn decode_columns_keeps_wanted_and_nulls_the_rest() {
    let mut bytes = Vec::new();
    encode_row(&every_kind(), &mut bytes);
    // jsonb comes back canonical, so the reference is the full decode.
    let row = decode_row(&bytes).unwrap();
    // Every other column, so each kind is both skipped and decoded somewhere in the sweep.
    for parity in 0..2 {
        let wanted: Vec<bool> = (0..row.len()).map(|i| i % 2 == parity).collect();
        let partial = decode_columns(&bytes, &wanted).unwrap();
        assert_eq!(partial.len(), row.len());
        for (i, (got, full)) in partial.iter().zip(&row).enumerate() {
            if wanted[i] {
                assert_eq!(format!("{got:?}"), format!("{full:?}"), "column {i}");
            } else {
                assert!(matches!(got, Value::Null), "column {i} should be skipped");
            }
        }
    }
    let none = decode_columns(&bytes, &[]).unwrap();
    assert!(none.iter().all(|v| matches!(v, Value::Null)));
}

#[test]
fn decode_columns_rejects_truncated_and_trailing_bytes() {
    let mut bytes = Vec::new();
    encode_row(&[Value::Int8(1), Value::Text("abc".into())], &mut bytes);
    let mut truncated = bytes.clone();
    truncated.pop();
    assert!(matches!(
        decode_columns(&truncated, &[true, false]),
        Err(Error::Corrupted { .. })
    ));
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(matches!(
        decode_columns(&trailing, &[false, false]),
        Err(Error::Corrupted { .. })
    ));
}
