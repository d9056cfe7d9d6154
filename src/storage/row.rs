//! The row format: versioned and type-tagged, deterministic (no platform-width integers, no map
//! order), so the same bytes serve for storage and as the canonical bytes rows are hashed over.
//!
//! # Layout (version 1)
//!
//! ```text
//! row      := version:u8 (= 1)  count:u32 LE  value{count}
//! value    := tag:u8 payload
//!
//! tag  type         payload
//!  0   NULL         —
//!  1   bool         u8: 0 false, 1 true (anything else is corrupt)
//!  2   int2         i16 LE
//!  3   int4         i32 LE
//!  4   int8         i64 LE
//!  5   float4       IEEE-754 bits u32 LE; every NaN written as the canonical quiet NaN
//!                   (0x7FC00000) so equal rows hash equally; -0.0 kept (PostgreSQL prints it)
//!  6   float8       IEEE-754 bits u64 LE; NaN as 0x7FF8000000000000; -0.0 kept
//!  7   numeric      mantissa i128 LE (16 bytes, |m| < 2^96), scale u8 (0..=28): the value is
//!                   m × 10^-scale; the scale is kept (1.0 and 1.00 display differently), a
//!                   negative zero is stored as zero
//!  8   text         len:u32 LE, UTF-8 bytes
//!  9   bytea        len:u32 LE, bytes
//! 10   date         i32 LE days from 0001-01-01 (proleptic Gregorian)
//! 11   time         u64 LE microseconds since midnight
//! 12   timestamp    i64 LE microseconds since 1970-01-01 00:00:00
//! 13   timestamptz  i64 LE microseconds since 1970-01-01 00:00:00 UTC
//! 14   interval     months i32 LE, days i32 LE, micros i64 LE
//! 15   jsonb        len:u32 LE, canonical compact JSON text (see `canonical_json`)
//! 16   uuid         16 bytes (RFC 4122 byte order)
//! 17   array        count:u32 LE, value{count} (nesting deeper than 32 is corrupt)
//! ```
//!
//! Times carry microsecond precision, as PostgreSQL's do; finer digits are dropped.
//! Decoding rejects an unknown version or tag, a truncated value, invalid UTF-8, an
//! out-of-range date/time/numeric, and trailing bytes, all as `Error::Corrupted`.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime};
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::types::{Interval, Value};

/// Current row format version (first byte of every encoded row).
pub const ROW_FORMAT_VERSION: u8 = 1;

/// Deepest array nesting a stored row may have (bounds recursion on corrupt input).
const MAX_ARRAY_DEPTH: u32 = 32;

/// Value tags of the row format.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Null = 0,
    Bool = 1,
    Int2 = 2,
    Int4 = 3,
    Int8 = 4,
    Float4 = 5,
    Float8 = 6,
    Numeric = 7,
    Text = 8,
    Bytea = 9,
    Date = 10,
    Time = 11,
    Timestamp = 12,
    TimestampTz = 13,
    Interval = 14,
    Jsonb = 15,
    Uuid = 16,
    Array = 17,
}

impl Tag {
    fn from_byte(b: u8) -> Option<Tag> {
        const ALL: [Tag; 18] = [
            Tag::Null,
            Tag::Bool,
            Tag::Int2,
            Tag::Int4,
            Tag::Int8,
            Tag::Float4,
            Tag::Float8,
            Tag::Numeric,
            Tag::Text,
            Tag::Bytea,
            Tag::Date,
            Tag::Time,
            Tag::Timestamp,
            Tag::TimestampTz,
            Tag::Interval,
            Tag::Jsonb,
            Tag::Uuid,
            Tag::Array,
        ];
        // ALL lists the tags in byte order, so the byte is the position.
        ALL.get(usize::from(b)).copied()
    }
}

/// Appends the encoding of `row` to `out`.
pub fn encode_row(row: &[Value], out: &mut Vec<u8>) {
    out.push(ROW_FORMAT_VERSION);
    put_len(row.len(), out);
    for value in row {
        encode_value(value, out);
    }
}

/// Decodes a row; unknown version or tag → `Error::Corrupted`.
pub fn decode_row(bytes: &[u8]) -> Result<Vec<Value>> {
    let mut r = Reader { bytes, pos: 0 };
    let version = r.u8()?;
    if version != ROW_FORMAT_VERSION {
        return Err(r.corrupt(format!("unknown row format version {version}")));
    }
    let values = r.values(0)?;
    if r.pos != bytes.len() {
        return Err(r.corrupt(format!("{} trailing bytes", bytes.len() - r.pos)));
    }
    Ok(values)
}

/// Decodes only the columns `wanted` marks; the others come back as NULL, checked only for
/// their framing. A scan evaluates its filter on such a row before paying for the whole row.
pub fn decode_columns(bytes: &[u8], wanted: &[bool]) -> Result<Vec<Value>> {
    let mut r = Reader { bytes, pos: 0 };
    let version = r.u8()?;
    if version != ROW_FORMAT_VERSION {
        return Err(r.corrupt(format!("unknown row format version {version}")));
    }
    let count = r.count()?;
    let mut values = Vec::with_capacity(count);
    for i in 0..count {
        if wanted.get(i).copied().unwrap_or(false) {
            values.push(r.value(0)?);
        } else {
            r.skip(0)?;
            values.push(Value::Null);
        }
    }
    if r.pos != bytes.len() {
        return Err(r.corrupt(format!("{} trailing bytes", bytes.len() - r.pos)));
    }
    Ok(values)
}

/// Writes the canonical compact text of a JSON value: no whitespace, object keys ordered as
/// PostgreSQL's jsonb orders them (shorter keys first, then bytewise), duplicate keys already
/// collapsed by the parser, numbers and strings as serde_json prints them.
pub fn canonical_json(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
            entries.sort_by(|a, b| {
                a.0.len()
                    .cmp(&b.0.len())
                    .then_with(|| a.0.as_bytes().cmp(b.0.as_bytes()))
            });
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                canonical_json(item, out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Lengths are u32 on disk. No stored value can approach 4 GiB (sled keeps each value in one
/// in-memory buffer; PostgreSQL caps a field at 1 GB), and `encode_row` has no error path, so
/// the length is clamped rather than checked.
fn put_len(len: usize, out: &mut Vec<u8>) {
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_le_bytes());
}

fn put_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    put_len(bytes.len(), out);
    out.extend_from_slice(bytes);
}

fn encode_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.push(Tag::Null as u8),
        Value::Bool(b) => {
            out.push(Tag::Bool as u8);
            out.push(u8::from(*b));
        }
        Value::Int2(i) => {
            out.push(Tag::Int2 as u8);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Int4(i) => {
            out.push(Tag::Int4 as u8);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Int8(i) => {
            out.push(Tag::Int8 as u8);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Float4(f) => {
            out.push(Tag::Float4 as u8);
            let f = if f.is_nan() { f32::NAN } else { *f };
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Value::Float8(f) => {
            out.push(Tag::Float8 as u8);
            let f = if f.is_nan() { f64::NAN } else { *f };
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Value::Numeric(d) => {
            out.push(Tag::Numeric as u8);
            out.extend_from_slice(&d.mantissa().to_le_bytes());
            out.push(d.scale() as u8);
        }
        Value::Text(s) => {
            out.push(Tag::Text as u8);
            put_bytes(s.as_bytes(), out);
        }
        Value::Bytea(b) => {
            out.push(Tag::Bytea as u8);
            put_bytes(b, out);
        }
        Value::Date(d) => {
            out.push(Tag::Date as u8);
            out.extend_from_slice(&d.num_days_from_ce().to_le_bytes());
        }
        Value::Time(t) => {
            out.push(Tag::Time as u8);
            out.extend_from_slice(&super::keys::time_micros(t).to_le_bytes());
        }
        Value::Timestamp(ts) => {
            out.push(Tag::Timestamp as u8);
            out.extend_from_slice(&ts.and_utc().timestamp_micros().to_le_bytes());
        }
        Value::TimestampTz(ts) => {
            out.push(Tag::TimestampTz as u8);
            out.extend_from_slice(&ts.timestamp_micros().to_le_bytes());
        }
        Value::Interval(iv) => {
            out.push(Tag::Interval as u8);
            out.extend_from_slice(&iv.months.to_le_bytes());
            out.extend_from_slice(&iv.days.to_le_bytes());
            out.extend_from_slice(&iv.micros.to_le_bytes());
        }
        Value::Jsonb(j) => {
            out.push(Tag::Jsonb as u8);
            let mut text = String::new();
            canonical_json(j, &mut text);
            put_bytes(text.as_bytes(), out);
        }
        Value::Uuid(u) => {
            out.push(Tag::Uuid as u8);
            out.extend_from_slice(u.as_bytes());
        }
        Value::Array(items) => {
            out.push(Tag::Array as u8);
            put_len(items.len(), out);
            for item in items {
                encode_value(item, out);
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn corrupt(&self, reason: impl Into<String>) -> Error {
        Error::corrupted(format!("row byte {}", self.pos), reason)
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        let slice = self.slice(N)?;
        slice.try_into().map_err(|_| Error::bug("slice length mismatch"))
    }

    fn slice(&mut self, n: usize) -> Result<&[u8]> {
        let end = self.pos.checked_add(n).filter(|end| *end <= self.bytes.len());
        match end {
            Some(end) => {
                let s = self
                    .bytes
                    .get(self.pos..end)
                    .ok_or_else(|| Error::bug("checked range"))?;
                self.pos = end;
                Ok(s)
            }
            None => Err(self.corrupt(format!("truncated: {n} more bytes expected"))),
        }
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take::<1>()?[0])
    }

    fn len(&mut self) -> Result<usize> {
        Ok(u32::from_le_bytes(self.take()?) as usize)
    }

    fn var(&mut self) -> Result<&[u8]> {
        let n = self.len()?;
        self.slice(n)
    }

    fn text(&mut self) -> Result<String> {
        let at = self.pos;
        let bytes = self.var()?.to_vec();
        String::from_utf8(bytes).map_err(|_| Error::corrupted(format!("row byte {at}"), "text is not valid UTF-8"))
    }

    /// A value count, checked against the bytes left.
    fn count(&mut self) -> Result<usize> {
        let count = self.len()?;
        // Every value takes at least one byte: a count beyond what remains is corrupt, and
        // must not drive an allocation.
        if count > self.bytes.len() - self.pos {
            return Err(self.corrupt(format!("{count} values announced, fewer bytes remain")));
        }
        Ok(count)
    }

    /// Steps over one value, checking only its tag and length.
    fn skip(&mut self, depth: u32) -> Result<()> {
        let tag_byte = self.u8()?;
        let tag = Tag::from_byte(tag_byte).ok_or_else(|| self.corrupt(format!("unknown value tag {tag_byte}")))?;
        let width = match tag {
            Tag::Null => 0,
            Tag::Bool => 1,
            Tag::Int2 => 2,
            Tag::Int4 | Tag::Float4 | Tag::Date => 4,
            Tag::Int8 | Tag::Float8 | Tag::Time | Tag::Timestamp | Tag::TimestampTz => 8,
            Tag::Interval | Tag::Uuid => 16,
            Tag::Numeric => 17,
            Tag::Text | Tag::Bytea | Tag::Jsonb => self.len()?,
            Tag::Array => {
                if depth >= MAX_ARRAY_DEPTH {
                    return Err(self.corrupt("invalid array nesting"));
                }
                for _ in 0..self.count()? {
                    self.skip(depth + 1)?;
                }
                return Ok(());
            }
        };
        self.slice(width).map(|_| ())
    }

    fn values(&mut self, depth: u32) -> Result<Vec<Value>> {
        let count = self.count()?;
        let mut values = Vec::with_capacity(count);
        for _ in 0..count {
            values.push(self.value(depth)?);
        }
        Ok(values)
    }

    fn value(&mut self, depth: u32) -> Result<Value> {
        let at = self.pos;
        let tag_byte = self.u8()?;
        let tag = Tag::from_byte(tag_byte).ok_or_else(|| self.corrupt(format!("unknown value tag {tag_byte}")))?;
        let bad = |what: &str| Error::corrupted(format!("row byte {at}"), format!("invalid {what}"));
        Ok(match tag {
            Tag::Null => Value::Null,
            Tag::Bool => match self.u8()? {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                _ => return Err(bad("bool")),
            },
            Tag::Int2 => Value::Int2(i16::from_le_bytes(self.take()?)),
            Tag::Int4 => Value::Int4(i32::from_le_bytes(self.take()?)),
            Tag::Int8 => Value::Int8(i64::from_le_bytes(self.take()?)),
            Tag::Float4 => Value::Float4(f32::from_bits(u32::from_le_bytes(self.take()?))),
            Tag::Float8 => Value::Float8(f64::from_bits(u64::from_le_bytes(self.take()?))),
            Tag::Numeric => {
                let mantissa = i128::from_le_bytes(self.take()?);
                let scale = self.u8()?;
                Value::Numeric(
                    Decimal::try_from_i128_with_scale(mantissa, u32::from(scale)).map_err(|_| bad("numeric"))?,
                )
            }
            Tag::Text => Value::Text(self.text()?),
            Tag::Bytea => Value::Bytea(self.var()?.to_vec()),
            Tag::Date => {
                let days = i32::from_le_bytes(self.take()?);
                Value::Date(NaiveDate::from_num_days_from_ce_opt(days).ok_or_else(|| bad("date"))?)
            }
            Tag::Time => {
                let micros = u64::from_le_bytes(self.take()?);
                let secs = u32::try_from(micros / 1_000_000).map_err(|_| bad("time"))?;
                let nanos = (micros % 1_000_000) as u32 * 1_000;
                // A leap second's extra second is chrono's nanoseconds beyond 10^9.
                let (secs, nanos) = if secs == 86_400 {
                    (86_399, nanos + 1_000_000_000)
                } else {
                    (secs, nanos)
                };
                Value::Time(NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos).ok_or_else(|| bad("time"))?)
            }
            Tag::Timestamp => {
                let micros = i64::from_le_bytes(self.take()?);
                Value::Timestamp(
                    DateTime::from_timestamp_micros(micros)
                        .ok_or_else(|| bad("timestamp"))?
                        .naive_utc(),
                )
            }
            Tag::TimestampTz => {
                let micros = i64::from_le_bytes(self.take()?);
                Value::TimestampTz(DateTime::from_timestamp_micros(micros).ok_or_else(|| bad("timestamptz"))?)
            }
            Tag::Interval => {
                let months = i32::from_le_bytes(self.take()?);
                let days = i32::from_le_bytes(self.take()?);
                let micros = i64::from_le_bytes(self.take()?);
                Value::Interval(Interval::new(months, days, micros))
            }
            Tag::Jsonb => {
                let text = self.text()?;
                Value::Jsonb(serde_json::from_str(&text).map_err(|_| bad("jsonb"))?)
            }
            Tag::Uuid => Value::Uuid(uuid::Uuid::from_bytes(self.take()?)),
            Tag::Array => {
                if depth >= MAX_ARRAY_DEPTH {
                    return Err(bad("array nesting"));
                }
                Value::Array(self.values(depth + 1)?)
            }
        })
    }
}
