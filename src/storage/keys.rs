//! Every key prefix of the keyspace, and an order-preserving encoding of values in keys.
//!
//! Layout (all integers big-endian so byte order is numeric order):
//!
//! ```text
//! 0x01 'c' object_id:u32            catalog record of table/index/view `object_id`
//! 0x01 'm' name bytes               catalog metadata (format version, counters, the audit
//!                                   chain's table id under `AUDIT_TABLE_META`, the LSN of
//!                                   the last applied batch under "commit-lsn")
//! 0x01 'l' edge_id:u64              one lineage edge (catalog::lineage)
//! 0x01 'p' object_id:u32            owner and grants of table/view `object_id`
//! 0x01 'r' name bytes               catalog record of role `name` (the bootstrap role has a
//!                                   fixed id that object ids may reach, so roles key by name)
//! 0x01 's' name bytes               catalog record of block signer `name`
//! 0x01 'k' table_id:u32             at-rest record of a compressed or encrypted blockchain
//!                                   table: its mode and its data key wrapped under the
//!                                   master key (ledger::at_rest); none for other tables
//! 0x10 table_id:u32 key_bytes       one row; key_bytes = encoded primary key, or row id (u64)
//! 0x11 index_id:u32 key_bytes [pk]  one secondary-index entry; value = the row's key_bytes
//! 0x20 table_id:u32 block_id:u64    sealed block body of a blockchain table (ledger::body)
//! 0x21 table_id:u32 block_id:u64    block header (ledger::block's stored form)
//! 0x22 table_id:u32 seq:u64         pending (not yet sealed) rows of one commit (ledger::chain)
//! 0x23 table_id:u32                 chain tip (ledger::chain)
//! 0x24 table_id:u32 block_id:u64 signer_name bytes
//!                                   one signer's signature of a block (ledger::signature);
//!                                   apart from headers, so signing never changes a block hash
//! ```
//!
//! # Value encoding in keys
//!
//! Each value is a family tag byte followed by a self-delimiting payload, so a sequence of
//! values (a composite key) compares value by value, and a key that is a prefix of another
//! (fewer columns) sorts first. Within one family byte order is SQL order:
//!
//! ```text
//! tag   family       payload
//! 0x10  bool         0x00 false | 0x01 true
//! 0x20  integer      i64 (int2/int4/int8 widened) with the sign bit flipped, 8 bytes BE
//! 0x21  float        f64 (float4 widened) bits, BE: positive → sign bit set, negative → all
//!                    bits inverted; -0.0 is encoded as 0.0, every NaN as the canonical NaN,
//!                    which sorts above +Infinity (PostgreSQL's NaN order)
//! 0x22  numeric      0x00 negative | 0x01 zero | 0x02 positive; for non-zero values with
//!                    |v| = 0.d1d2…dn × 10^e (d1 ≠ 0, dn ≠ 0, trailing zeros stripped so
//!                    1.0 and 1.00 are equal): (e + 128) as one byte, each digit as d + 1,
//!                    then 0x00; for negatives those bytes are all inverted (255 - b), so
//!                    bigger magnitudes sort first and the terminator 0xFF sorts last
//! 0x30  text         UTF-8 bytes, 0x00 escaped as 0x00 0xFF, terminated by 0x00 0x00
//! 0x31  bytea        as text
//! 0x40  date         i32 days from 0001-01-01 (proleptic Gregorian), sign-flipped, 4 bytes BE
//! 0x41  time         u64 microseconds since midnight, 8 bytes BE
//! 0x42  timestamp    i64 microseconds since 1970-01-01 00:00, sign-flipped, 8 bytes BE
//! 0x43  timestamptz  as timestamp, in UTC
//! 0x44  interval     i128 comparable microseconds (30-day months, 24-hour days), sign-
//!                    flipped, 16 bytes BE. Only that: PostgreSQL's btree treats '1 mon'
//!                    and '30 days' as equal (a unique index rejects the second), and so
//!                    do `Value`'s Eq and Hash; the row keeps the three fields
//! 0x50  uuid         16 bytes
//! 0x60  jsonb        canonical compact text (row.rs), escaped as text: equality only
//! 0x70  array        per element 0x01 then the element's encoding; 0x00 at the end (a
//!                    shorter array sorts before its extensions, as in PostgreSQL)
//! 0xFF  NULL         (no payload): after every value, as ASC NULLS LAST wants
//! ```
//!
//! Integers, floats and numerics are different families: the binder coerces a lookup value
//! to the column's type before a key is built.

use rust_decimal::Decimal;

use crate::error::Result;
use crate::types::Value;

pub const CATALOG_PREFIX: &[u8] = &[0x01, b'c'];
pub const META_PREFIX: &[u8] = &[0x01, b'm'];
/// Per blockchain table (`++ table_id u32 BE`): how many purges it has had (u64 BE). Every
/// purge rewrites it expecting the value it started from, so two purges of one table that
/// overlap in time cannot both commit (one anchor per purge id).
pub const PURGE_COUNT_META: &[u8] = &[0x01, b'm', b'p', b'u', b'r', b'g', b'e', b's', b'-'];

/// The key of `PURGE_COUNT_META` for one table.
pub fn purge_count_key(table_id: u32) -> Vec<u8> {
    let mut key = PURGE_COUNT_META.to_vec();
    key.extend_from_slice(&table_id.to_be_bytes());
    key
}

/// The audit chain's table id (u32 BE); no counter bears this name.
pub const AUDIT_TABLE_META: &[u8] = &[
    0x01, b'm', b'a', b'u', b'd', b'i', b't', b'-', b't', b'a', b'b', b'l', b'e',
];
pub const ROLE_PREFIX: &[u8] = &[0x01, b'r'];
pub const ACL_PREFIX: &[u8] = &[0x01, b'p'];
pub const LINEAGE_PREFIX: &[u8] = &[0x01, b'l'];
pub const SIGNER_PREFIX: &[u8] = &[0x01, b's'];
pub const AT_REST_PREFIX: &[u8] = &[0x01, b'k'];
pub const ROW_TAG: u8 = 0x10;
pub const INDEX_TAG: u8 = 0x11;
pub const BLOCK_BODY_TAG: u8 = 0x20;
pub const BLOCK_HEADER_TAG: u8 = 0x21;
pub const PENDING_TAG: u8 = 0x22;
pub const CHAIN_TIP_TAG: u8 = 0x23;
pub const SIGNATURE_TAG: u8 = 0x24;

/// Prefix of chain keys with `tag` (one of the 0x2_ tags) of table `table_id`.
pub fn chain_prefix(tag: u8, table_id: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(13);
    k.push(tag);
    k.extend_from_slice(&table_id.to_be_bytes());
    k
}

/// Key of item `n` (block id or pending seq) under `chain_prefix(tag, table_id)`.
pub fn chain_key(tag: u8, table_id: u32, n: u64) -> Vec<u8> {
    let mut k = chain_prefix(tag, table_id);
    k.extend_from_slice(&n.to_be_bytes());
    k
}

/// The item number at the end of a chain key (`None` when the key is not 13 bytes long).
pub fn chain_key_item(key: &[u8]) -> Option<u64> {
    let tail: [u8; 8] = key.get(5..)?.try_into().ok()?;
    Some(u64::from_be_bytes(tail))
}

/// Key of signer `signer`'s signature of block `block_id` of table `table_id`.
pub fn signature_key(table_id: u32, block_id: u64, signer: &str) -> Vec<u8> {
    let mut k = chain_key(SIGNATURE_TAG, table_id, block_id);
    k.extend_from_slice(signer.as_bytes());
    k
}

/// The block id and signer name of a signature key (`None` when it is too short or the
/// name is not UTF-8).
pub fn signature_key_parts(key: &[u8]) -> Option<(u64, &str)> {
    let block: [u8; 8] = key.get(5..13)?.try_into().ok()?;
    let name = std::str::from_utf8(key.get(13..)?).ok()?;
    Some((u64::from_be_bytes(block), name))
}

/// Key of the at-rest record (mode, wrapped data key) of table `table_id`.
pub fn at_rest_key(table_id: u32) -> Vec<u8> {
    let mut k = AT_REST_PREFIX.to_vec();
    k.extend_from_slice(&table_id.to_be_bytes());
    k
}

/// Key of the catalog record of signer `name`.
pub fn signer_key(name: &str) -> Vec<u8> {
    let mut k = SIGNER_PREFIX.to_vec();
    k.extend_from_slice(name.as_bytes());
    k
}

/// Family tags of encoded key values.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyTag {
    Bool = 0x10,
    Int = 0x20,
    Float = 0x21,
    Numeric = 0x22,
    Text = 0x30,
    Bytea = 0x31,
    Date = 0x40,
    Time = 0x41,
    Timestamp = 0x42,
    TimestampTz = 0x43,
    Interval = 0x44,
    Uuid = 0x50,
    Jsonb = 0x60,
    Array = 0x70,
    Null = 0xFF,
}

/// Prefix of every row of table `table_id`.
pub fn table_prefix(table_id: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(5);
    k.push(ROW_TAG);
    k.extend_from_slice(&table_id.to_be_bytes());
    k
}

/// Prefix of every entry of index `index_id`.
pub fn index_prefix(index_id: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(5);
    k.push(INDEX_TAG);
    k.extend_from_slice(&index_id.to_be_bytes());
    k
}

/// Key of catalog object `id`.
pub fn catalog_key(id: u32) -> Vec<u8> {
    let mut k = CATALOG_PREFIX.to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// Key of the owner-and-grants record of relation `object_id`.
pub fn acl_key(object_id: u32) -> Vec<u8> {
    let mut k = ACL_PREFIX.to_vec();
    k.extend_from_slice(&object_id.to_be_bytes());
    k
}

/// Key of the catalog record of role `name`.
pub fn role_key(name: &str) -> Vec<u8> {
    let mut k = ROLE_PREFIX.to_vec();
    k.extend_from_slice(name.as_bytes());
    k
}

/// Appends an order-preserving, self-delimiting encoding of `values` to `out`: for values of
/// the same type family, byte order equals SQL order (NULL sorts last, as in PostgreSQL's
/// ASC NULLS LAST). All integer widths encode alike (so int4 5 and int8 5 give the same key);
/// so do float4/float8; NUMERIC encodes by value (1.0 and 1.00 give the same key).
pub fn encode_key(values: &[Value], out: &mut Vec<u8>) -> Result<()> {
    for value in values {
        encode_value(value, out);
    }
    Ok(())
}

fn encode_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.push(KeyTag::Null as u8),
        Value::Bool(b) => {
            out.push(KeyTag::Bool as u8);
            out.push(u8::from(*b));
        }
        Value::Int2(i) => encode_int(i64::from(*i), out),
        Value::Int4(i) => encode_int(i64::from(*i), out),
        Value::Int8(i) => encode_int(*i, out),
        Value::Float4(f) => encode_float(f64::from(*f), out),
        Value::Float8(f) => encode_float(*f, out),
        Value::Numeric(d) => {
            out.push(KeyTag::Numeric as u8);
            encode_numeric(d, out);
        }
        Value::Text(s) => {
            out.push(KeyTag::Text as u8);
            encode_bytes(s.as_bytes(), out);
        }
        Value::Bytea(b) => {
            out.push(KeyTag::Bytea as u8);
            encode_bytes(b, out);
        }
        Value::Date(d) => {
            out.push(KeyTag::Date as u8);
            out.extend_from_slice(&flip32(chrono::Datelike::num_days_from_ce(d)));
        }
        Value::Time(t) => {
            out.push(KeyTag::Time as u8);
            out.extend_from_slice(&time_micros(t).to_be_bytes());
        }
        Value::Timestamp(ts) => {
            out.push(KeyTag::Timestamp as u8);
            out.extend_from_slice(&flip64(ts.and_utc().timestamp_micros()));
        }
        Value::TimestampTz(ts) => {
            out.push(KeyTag::TimestampTz as u8);
            out.extend_from_slice(&flip64(ts.timestamp_micros()));
        }
        Value::Interval(iv) => {
            out.push(KeyTag::Interval as u8);
            let comparable = (iv.comparable_micros() as u128) ^ (1u128 << 127);
            out.extend_from_slice(&comparable.to_be_bytes());
        }
        Value::Uuid(u) => {
            out.push(KeyTag::Uuid as u8);
            out.extend_from_slice(u.as_bytes());
        }
        Value::Jsonb(j) => {
            out.push(KeyTag::Jsonb as u8);
            let mut text = String::new();
            super::row::canonical_json(j, &mut text);
            encode_bytes(text.as_bytes(), out);
        }
        Value::Array(items) => {
            out.push(KeyTag::Array as u8);
            for item in items {
                out.push(0x01);
                encode_value(item, out);
            }
            out.push(0x00);
        }
    }
}

/// Microseconds since midnight (a leap second's extra nanoseconds count on into the next).
pub(super) fn time_micros(t: &chrono::NaiveTime) -> u64 {
    let secs = u64::from(chrono::Timelike::num_seconds_from_midnight(t));
    secs * 1_000_000 + u64::from(chrono::Timelike::nanosecond(t) / 1_000)
}

fn flip32(i: i32) -> [u8; 4] {
    ((i as u32) ^ (1 << 31)).to_be_bytes()
}

fn flip64(i: i64) -> [u8; 8] {
    ((i as u64) ^ (1 << 63)).to_be_bytes()
}

fn encode_int(i: i64, out: &mut Vec<u8>) {
    out.push(KeyTag::Int as u8);
    out.extend_from_slice(&flip64(i));
}

fn encode_float(f: f64, out: &mut Vec<u8>) {
    out.push(KeyTag::Float as u8);
    let f = if f.is_nan() {
        f64::NAN
    } else if f == 0.0 {
        0.0
    } else {
        f
    };
    let bits = f.to_bits();
    let ordered = if bits >> 63 == 1 { !bits } else { bits | (1 << 63) };
    out.extend_from_slice(&ordered.to_be_bytes());
}

fn encode_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        out.push(b);
        if b == 0x00 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0x00, 0x00]);
}

fn encode_numeric(d: &Decimal, out: &mut Vec<u8>) {
    let d = d.normalize();
    if d.is_zero() {
        out.push(0x01);
        return;
    }
    let negative = d.is_sign_negative();
    // |mantissa| has no trailing zeros after normalize (unless scale is 0, handled below).
    let digits = d.mantissa().unsigned_abs().to_string();
    let trimmed = digits.trim_end_matches('0');
    // |v| = digits × 10^-scale = 0.digits × 10^(len - scale).
    let exponent = digits.len() as i64 - i64::from(d.scale());
    // |exponent| ≤ 29 + 28 for Decimal, so the byte never wraps.
    let mut body = Vec::with_capacity(trimmed.len() + 2);
    body.push((exponent + 128) as u8);
    body.extend(trimmed.bytes().map(|c| c - b'0' + 1));
    body.push(0x00);
    if negative {
        out.push(0x00);
        out.extend(body.iter().map(|b| 255 - b));
    } else {
        out.push(0x02);
        out.extend_from_slice(&body);
    }
}

/// The smallest byte string greater than every key starting with `prefix` (for range ends).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}
