//! Tests of the key encoding: byte order equals SQL order within each family.

use std::cmp::Ordering;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;

use crate::types::{Interval, Value};

use super::keys::{chain_key, encode_key, prefix_end, signature_key, signature_key_parts, signer_key, SIGNATURE_TAG};

fn key(values: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key(values, &mut out).unwrap();
    out
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Asserts that for every pair, key byte order equals `order` on the originals.
fn assert_order_preserved<T>(items: &[T], to_value: impl Fn(&T) -> Value, order: impl Fn(&T, &T) -> Ordering)
where
    T: std::fmt::Debug,
{
    let keys: Vec<Vec<u8>> = items.iter().map(|x| key(&[to_value(x)])).collect();
    for (i, a) in items.iter().enumerate() {
        for (j, b) in items.iter().enumerate() {
            assert_eq!(keys[i].cmp(&keys[j]), order(a, b), "{a:?} vs {b:?}");
        }
    }
}

#[test]
fn integers_of_every_width_order_and_compare_equal() {
    let ints = [i64::MIN, -70_000, -32768, -1, 0, 1, 255, 256, 32767, 1 << 40, i64::MAX];
    assert_order_preserved(&ints, |i| Value::Int8(*i), |a, b| a.cmp(b));
    assert_eq!(key(&[Value::Int2(5)]), key(&[Value::Int8(5)]));
    assert_eq!(key(&[Value::Int4(-5)]), key(&[Value::Int8(-5)]));
}

#[test]
fn floats_order_with_nan_greatest_and_signed_zero_equal() {
    let floats = [
        f64::NEG_INFINITY,
        -1e300,
        -1.5,
        -f64::MIN_POSITIVE,
        0.0,
        1e-300,
        1.0,
        2.5,
        1e300,
        f64::INFINITY,
    ];
    assert_order_preserved(&floats, |f| Value::Float8(*f), |a, b| a.partial_cmp(b).unwrap());
    assert_eq!(key(&[Value::Float8(-0.0)]), key(&[Value::Float8(0.0)]));
    assert_eq!(key(&[Value::Float4(0.25)]), key(&[Value::Float8(0.25)]));
    let nan = key(&[Value::Float8(f64::NAN)]);
    assert_eq!(nan, key(&[Value::Float8(-f64::NAN)]));
    assert!(nan > key(&[Value::Float8(f64::INFINITY)]));
    assert!(nan < key(&[Value::Null]));
}

#[test]
fn numeric_byte_order_is_numeric_order() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut items: Vec<Decimal> = [
        "0", "1", "1.0", "1.00", "-1", "0.5", "-0.5", "10", "9.99", "100", "0.001", "-0.001",
    ]
    .iter()
    .map(|s| Decimal::from_str(s).unwrap())
    .collect();
    items.push(Decimal::MAX);
    items.push(Decimal::MIN);
    items.push(Decimal::new(1, 28));
    items.push(Decimal::new(-1, 28));
    for _ in 0..300 {
        let digits = rng.next() % 29 + 1;
        let magnitude = (((rng.next() as i128) << 40) ^ rng.next() as i128) % 10i128.pow(digits as u32);
        let mantissa = if rng.next().is_multiple_of(2) {
            magnitude
        } else {
            -magnitude
        };
        let scale = (rng.next() % 29) as u32;
        let Ok(mut d) = Decimal::try_from_i128_with_scale(mantissa, scale) else {
            continue;
        };
        // Trailing zeros in the stored scale must not change the key.
        if rng.next().is_multiple_of(3) && d.scale() < 26 {
            d.rescale(d.scale() + 2);
        }
        items.push(d);
    }
    assert_order_preserved(&items, |d| Value::Numeric(*d), |a, b| a.cmp(b));
}

#[test]
fn text_and_bytea_order_bytewise_with_prefixes_first() {
    let texts = ["", "\0", "\0\0", "\0a", "a", "a\0", "a\0b", "ab", "b", "é"];
    assert_order_preserved(
        &texts,
        |s| Value::Text(s.to_string()),
        |a, b| a.as_bytes().cmp(b.as_bytes()),
    );
    let blobs: Vec<Vec<u8>> = vec![vec![], vec![0], vec![0, 0xFF], vec![0, 0xFF, 0], vec![1], vec![0xFF, 0]];
    assert_order_preserved(&blobs, |b| Value::Bytea(b.clone()), |a, b| a.cmp(b));
    // Composite keys: the first column decides before the second is looked at.
    let pairs = [("a", 9i64), ("a", 10), ("a\0", 0), ("ab", -1)];
    let keys: Vec<Vec<u8>> = pairs
        .iter()
        .map(|(s, i)| key(&[Value::Text(s.to_string()), Value::Int8(*i)]))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn null_sorts_after_every_value_and_inside_arrays() {
    let samples = [
        Value::Bool(true),
        Value::Int8(i64::MAX),
        Value::Float8(f64::NAN),
        Value::Numeric(Decimal::MAX),
        Value::Text("\u{10FFFF}".into()),
        Value::Bytea(vec![0xFF; 4]),
        Value::Uuid(uuid::Uuid::from_bytes([0xFF; 16])),
        Value::Jsonb(serde_json::json!({"a": 1})),
        Value::Array(vec![Value::Null]),
    ];
    let null = key(&[Value::Null]);
    for v in &samples {
        assert!(key(std::slice::from_ref(v)) < null, "{v:?}");
    }
    // (1, NULL) after (1, 2); (1) before both.
    assert!(key(&[Value::Int4(1), Value::Int4(2)]) < key(&[Value::Int4(1), Value::Null]));
    let arrays = [
        vec![],
        vec![Value::Int4(1)],
        vec![Value::Int4(1), Value::Int4(2)],
        vec![Value::Int4(1), Value::Null],
        vec![Value::Int4(2)],
    ];
    let keys: Vec<Vec<u8>> = arrays.iter().map(|a| key(&[Value::Array(a.clone())])).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
}

#[test]
fn temporal_values_order_chronologically() {
    let dates: Vec<NaiveDate> = [
        (-4713, 11, 24),
        (1, 1, 1),
        (1969, 12, 31),
        (1970, 1, 1),
        (2000, 2, 29),
        (9999, 12, 31),
    ]
    .iter()
    .map(|(y, m, d)| NaiveDate::from_ymd_opt(*y, *m, *d).unwrap())
    .collect();
    assert_order_preserved(&dates, |d| Value::Date(*d), |a, b| a.cmp(b));
    let times: Vec<NaiveTime> = [
        (0, 0, 0, 0),
        (0, 0, 0, 1),
        (11, 59, 59, 999_999),
        (12, 0, 0, 0),
        (23, 59, 59, 999_999),
    ]
    .iter()
    .map(|(h, m, s, us)| NaiveTime::from_hms_micro_opt(*h, *m, *s, *us).unwrap())
    .collect();
    assert_order_preserved(&times, |t| Value::Time(*t), |a, b| a.cmp(b));
    let stamps: Vec<_> = dates
        .iter()
        .flat_map(|d| times.iter().map(move |t| d.and_time(*t)))
        .collect();
    assert_order_preserved(&stamps, |s| Value::Timestamp(*s), |a, b| a.cmp(b));
    assert_order_preserved(&stamps, |s| Value::TimestampTz(s.and_utc()), |a, b| a.cmp(b));
    let intervals = [
        Interval::new(-1, 0, 0),
        Interval::new(0, -1, 5),
        Interval::new(0, 0, 0),
        Interval::new(0, 0, 1),
        Interval::new(0, 1, 0),
        Interval::new(1, 0, 0),
        Interval::new(0, 31, 0),
        Interval::new(i32::MAX, i32::MAX, i64::MAX),
    ];
    // Sorted by PostgreSQL's comparison (30-day months): the list above is ascending.
    assert_order_preserved(
        &intervals,
        |i| Value::Interval(*i),
        |a, b| {
            a.comparable_micros()
                .cmp(&b.comparable_micros())
                .then(a.months.cmp(&b.months))
                .then(a.days.cmp(&b.days))
        },
    );
}

#[test]
fn jsonb_keys_ignore_object_key_order() {
    let a = serde_json::json!({"x": 1, "y": [true]});
    let b: serde_json::Value = serde_json::from_str(r#"{"y":[true],"x":1}"#).unwrap();
    assert_eq!(key(&[Value::Jsonb(a)]), key(&[Value::Jsonb(b)]));
}

#[test]
fn prefix_end_bounds_every_extension() {
    assert_eq!(prefix_end(&[1, 2]), Some(vec![1, 3]));
    assert_eq!(prefix_end(&[1, 0xFF]), Some(vec![2]));
    assert_eq!(prefix_end(&[0xFF, 0xFF]), None);
    let end = prefix_end(b"ab").unwrap();
    assert!(b"ab\xff\xff\xff".as_slice() < end.as_slice());
    assert!(b"ac".as_slice() >= end.as_slice());
}

/// Index order must agree with the executor's sort order (`Value`'s `Ord`), family by family.
#[test]
fn key_order_agrees_with_value_order_within_families() {
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    let mut families: Vec<Vec<Value>> = vec![Vec::new(); 7];
    for _ in 0..60 {
        let r = rng.next();
        let small = (r % 2001) as i64 - 1000;
        families[0].push(match r % 3 {
            0 => Value::Int2(small as i16),
            1 => Value::Int4((r >> 8) as i32),
            _ => Value::Int8(if r.is_multiple_of(5) {
                small
            } else {
                (r >> 3) as i64 - (1 << 59)
            }),
        });
        let f = f64::from_bits(rng.next());
        families[1].push(if r.is_multiple_of(2) {
            Value::Float8(f)
        } else {
            Value::Float4(small as f32 / 7.0)
        });
        families[2].push(Value::Numeric(Decimal::new(small * (r % 1000) as i64, (r % 10) as u32)));
        let len = (r % 4) as usize;
        let text: String = (0..len)
            .map(|i| ['a', 'b', '\0', 'é'][((r >> (8 + i * 2)) % 4) as usize])
            .collect();
        families[3].push(Value::Text(text));
        families[4].push(Value::Interval(Interval::new(
            (small % 13) as i32,
            ((r >> 16) % 61) as i32 - 30,
            ((r >> 24) % 1_000_000_000) as i64 - 500_000_000,
        )));
        let items = (0..(r % 3)).map(|i| {
            if (r >> (20 + i)).is_multiple_of(7) {
                Value::Null
            } else {
                Value::Int4(((r >> (30 + i * 3)) % 4) as i32)
            }
        });
        families[5].push(Value::Array(items.collect()));
        families[6].push(Value::Uuid(uuid::Uuid::from_u128(
            u128::from(rng.next()) << 64 | u128::from(r),
        )));
    }
    for family in &mut families {
        family.push(Value::Null);
        assert_order_preserved(family, Value::clone, |a, b| a.cmp(b));
    }
}

#[test]
fn signature_keys_sort_by_table_block_then_signer() {
    let key = signature_key(0x0102_0304, 0x05, "al");
    assert_eq!(
        key,
        [0x24, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 5, b'a', b'l'],
        "tag, table id BE, block id BE, name"
    );
    assert_eq!(signature_key_parts(&key), Some((5, "al")));
    assert!(signature_key(1, 5, "zz") < signature_key(1, 6, "aa"));
    assert!(key.starts_with(&chain_key(SIGNATURE_TAG, 0x0102_0304, 5)));
    assert_eq!(signature_key_parts(&key[..12]), None);
    assert_eq!(
        signature_key_parts(&[0x24, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF]),
        None
    );
    assert_eq!(signer_key("bob"), [0x01, b's', b'b', b'o', b'b']);
}
