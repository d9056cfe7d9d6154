//! PostgreSQL's binary wire format of values (`typsend`/`typreceive`), both ways.
//!
//! Layouts, as PostgreSQL 15 defines them (all integers big-endian):
//! - bool: one byte 0/1; int2/int4/int8: two's complement; float4/float8: IEEE 754 bits.
//! - text, varchar, bpchar, unknown: the UTF-8 bytes; bytea: the raw bytes.
//! - date: i32 days since 2000-01-01; time: i64 µs since midnight;
//!   timestamp/timestamptz: i64 µs since 2000-01-01 00:00:00 (UTC for timestamptz).
//! - interval: i64 µs, i32 days, i32 months.
//! - numeric: i16 ndigits, i16 weight, u16 sign (0x0000 +, 0x4000 −, 0xC000 NaN), i16 dscale,
//!   then ndigits base-10000 digits (i16); value = Σ digit[i] · 10000^(weight − i).
//! - jsonb: version byte 1, then the JSON text; uuid: 16 bytes.
//! - one-dimensional arrays: i32 ndim, i32 has-nulls, u32 element OID, then per dimension i32
//!   length and i32 lower bound (1), then per element i32 length (−1 NULL) and the bytes.

use bytes::{Buf, BufMut, BytesMut};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use rust_decimal::Decimal;

use crate::error::{sqlstate, Error, Result};
use crate::types::{cast, text, DataType, Interval, Value};

fn pg_epoch_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default()
}

fn pg_epoch() -> NaiveDateTime {
    pg_epoch_date().and_time(NaiveTime::MIN)
}

fn bad_binary(ty: &DataType) -> Error {
    Error::sql(
        sqlstate::INVALID_BINARY_REPRESENTATION,
        format!(
            "incorrect binary data format in bind parameter of type {}",
            ty.display_name()
        ),
    )
}

/// Appends the binary form of `value` as a column of type `ty` (not NULL: callers write −1).
pub fn encode(value: &Value, ty: &DataType, out: &mut BytesMut) -> Result<()> {
    if *ty == DataType::Unknown {
        // `unknown` is sent as its text, in either format.
        out.put_slice(text::format(value).unwrap_or_default().as_bytes());
        return Ok(());
    }
    if !fits(value, ty) {
        return encode(&cast::cast(value, ty)?, ty, out);
    }
    match value {
        Value::Null => return Err(Error::bug("NULL reached the binary encoder")),
        Value::Bool(b) => out.put_u8(*b as u8),
        Value::Int2(v) => out.put_i16(*v),
        Value::Int4(v) => out.put_i32(*v),
        Value::Int8(v) => out.put_i64(*v),
        Value::Float4(v) => out.put_f32(*v),
        Value::Float8(v) => out.put_f64(*v),
        Value::Numeric(d) => encode_numeric(d, out),
        Value::Text(s) => out.put_slice(s.as_bytes()),
        Value::Bytea(b) => out.put_slice(b),
        Value::Date(d) => {
            let days = d.signed_duration_since(pg_epoch_date()).num_days();
            out.put_i32(i32::try_from(days).map_err(|_| Error::out_of_range("date"))?);
        }
        Value::Time(t) => {
            out.put_i64(t.num_seconds_from_midnight() as i64 * 1_000_000 + (t.nanosecond() / 1000) as i64)
        }
        Value::Timestamp(t) => out.put_i64(micros_since_epoch(t)?),
        Value::TimestampTz(t) => out.put_i64(micros_since_epoch(&t.naive_utc())?),
        Value::Interval(i) => {
            out.put_i64(i.micros);
            out.put_i32(i.days);
            out.put_i32(i.months);
        }
        Value::Jsonb(_) => {
            out.put_u8(1);
            out.put_slice(text::format(value).unwrap_or_default().as_bytes());
        }
        Value::Uuid(u) => out.put_slice(u.as_bytes()),
        Value::Array(items) => {
            let DataType::Array(elem) = ty else {
                return Err(Error::bug("array value in a non-array column"));
            };
            out.put_i32(1);
            out.put_i32(items.iter().any(Value::is_null) as i32);
            out.put_u32(elem.oid());
            out.put_i32(i32::try_from(items.len()).map_err(|_| Error::out_of_range("array"))?);
            out.put_i32(1);
            for item in items {
                if item.is_null() {
                    out.put_i32(-1);
                    continue;
                }
                let at = out.len();
                out.put_i32(0);
                encode(item, elem, out)?;
                let len = i32::try_from(out.len() - at - 4).map_err(|_| Error::out_of_range("array"))?;
                out[at..at + 4].copy_from_slice(&len.to_be_bytes());
            }
        }
    }
    Ok(())
}

/// Whether `value`'s runtime representation is what the binary form of `ty` expects.
fn fits(value: &Value, ty: &DataType) -> bool {
    matches!(
        (value, ty),
        (Value::Bool(_), DataType::Bool)
            | (Value::Int2(_), DataType::Int2)
            | (Value::Int4(_), DataType::Int4)
            | (Value::Int8(_), DataType::Int8)
            | (Value::Float4(_), DataType::Float4)
            | (Value::Float8(_), DataType::Float8)
            | (Value::Numeric(_), DataType::Numeric(_))
            | (
                Value::Text(_),
                DataType::Text | DataType::Varchar(_) | DataType::Char(_) | DataType::Unknown
            )
            | (Value::Bytea(_), DataType::Bytea)
            | (Value::Date(_), DataType::Date)
            | (Value::Time(_), DataType::Time)
            | (Value::Timestamp(_), DataType::Timestamp)
            | (Value::TimestampTz(_), DataType::TimestampTz)
            | (Value::Interval(_), DataType::Interval)
            | (Value::Jsonb(_), DataType::Jsonb)
            | (Value::Uuid(_), DataType::Uuid)
            | (Value::Array(_), DataType::Array(_))
    )
}

fn micros_since_epoch(t: &NaiveDateTime) -> Result<i64> {
    t.signed_duration_since(pg_epoch())
        .num_microseconds()
        .ok_or_else(|| Error::out_of_range("timestamp"))
}

fn encode_numeric(d: &Decimal, out: &mut BytesMut) {
    let scale = d.scale();
    let digits = d.abs().mantissa().unsigned_abs().to_string();
    // Split the decimal digits at the point, then pad each side to whole base-10000 groups.
    let point = digits.len() as i64 - scale as i64;
    let (int_part, frac_part) = if point > 0 {
        let (i, f) = digits.split_at(point as usize);
        (i.to_string(), f.to_string())
    } else {
        (String::new(), format!("{}{}", "0".repeat((-point) as usize), digits))
    };
    let int_pad = (4 - int_part.len() % 4) % 4;
    let frac_pad = (4 - frac_part.len() % 4) % 4;
    let all = format!(
        "{}{}{}{}",
        "0".repeat(int_pad),
        int_part,
        frac_part,
        "0".repeat(frac_pad)
    );
    let mut groups: Vec<i16> = all
        .as_bytes()
        .chunks(4)
        .map(|c| c.iter().fold(0i16, |acc, b| acc * 10 + (b - b'0') as i16))
        .collect();
    let mut weight = ((int_part.len() + int_pad) / 4) as i16 - 1;
    while groups.first() == Some(&0) {
        groups.remove(0);
        weight -= 1;
    }
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    out.put_i16(groups.len() as i16);
    out.put_i16(weight);
    out.put_u16(if d.is_sign_negative() && !groups.is_empty() {
        0x4000
    } else {
        0
    });
    out.put_i16(scale as i16);
    for g in groups {
        out.put_i16(g);
    }
}

/// Decodes a binary parameter of type `ty`.
pub fn decode(bytes: &[u8], ty: &DataType) -> Result<Value> {
    let mut buf = bytes;
    let need = |buf: &[u8], n: usize| if buf.len() == n { Ok(()) } else { Err(bad_binary(ty)) };
    let value = match ty {
        DataType::Bool => {
            need(buf, 1)?;
            Value::Bool(buf.get_u8() != 0)
        }
        DataType::Int2 => {
            need(buf, 2)?;
            Value::Int2(buf.get_i16())
        }
        DataType::Int4 => {
            need(buf, 4)?;
            Value::Int4(buf.get_i32())
        }
        DataType::Int8 => {
            need(buf, 8)?;
            Value::Int8(buf.get_i64())
        }
        DataType::Float4 => {
            need(buf, 4)?;
            Value::Float4(buf.get_f32())
        }
        DataType::Float8 => {
            need(buf, 8)?;
            Value::Float8(buf.get_f64())
        }
        DataType::Numeric(_) => Value::Numeric(decode_numeric(buf).ok_or_else(|| bad_binary(ty))?),
        DataType::Unknown | DataType::Text | DataType::Varchar(_) | DataType::Char(_) => {
            let s = std::str::from_utf8(buf).map_err(|_| {
                Error::sql(
                    sqlstate::CHARACTER_NOT_IN_REPERTOIRE,
                    "invalid byte sequence for encoding \"UTF8\"",
                )
            })?;
            Value::Text(s.to_string())
        }
        DataType::Bytea => Value::Bytea(buf.to_vec()),
        DataType::Date => {
            need(buf, 4)?;
            let days = buf.get_i32();
            Value::Date(
                pg_epoch_date()
                    .checked_add_signed(Duration::days(days as i64))
                    .ok_or_else(|| Error::out_of_range("date"))?,
            )
        }
        DataType::Time => {
            need(buf, 8)?;
            let us = buf.get_i64();
            let secs = u32::try_from(us.div_euclid(1_000_000)).map_err(|_| bad_binary(ty))?;
            let nanos = (us.rem_euclid(1_000_000) * 1000) as u32;
            Value::Time(NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos).ok_or_else(|| bad_binary(ty))?)
        }
        DataType::Timestamp | DataType::TimestampTz => {
            need(buf, 8)?;
            let t = pg_epoch()
                .checked_add_signed(Duration::microseconds(buf.get_i64()))
                .ok_or_else(|| Error::out_of_range("timestamp"))?;
            if matches!(ty, DataType::Timestamp) {
                Value::Timestamp(t)
            } else {
                Value::TimestampTz(DateTime::<Utc>::from_naive_utc_and_offset(t, Utc))
            }
        }
        DataType::Interval => {
            need(buf, 16)?;
            let micros = buf.get_i64();
            let days = buf.get_i32();
            let months = buf.get_i32();
            Value::Interval(Interval { months, days, micros })
        }
        DataType::Jsonb => {
            if buf.first() != Some(&1) {
                return Err(Error::sql(
                    sqlstate::INVALID_BINARY_REPRESENTATION,
                    "unsupported jsonb version number",
                ));
            }
            let s = std::str::from_utf8(&buf[1..]).map_err(|_| bad_binary(ty))?;
            text::parse(s, ty)?
        }
        DataType::Uuid => Value::Uuid(uuid::Uuid::from_slice(buf).map_err(|_| bad_binary(ty))?),
        DataType::Array(elem) => decode_array(buf, elem).ok_or_else(|| bad_binary(ty))??,
    };
    Ok(value)
}

fn decode_numeric(mut buf: &[u8]) -> Option<Decimal> {
    if buf.len() < 8 {
        return None;
    }
    let ndigits = buf.get_i16();
    let weight = buf.get_i16() as i64;
    let sign = buf.get_u16();
    let dscale = buf.get_i16();
    if ndigits < 0 || dscale < 0 || buf.len() != ndigits as usize * 2 || sign == 0xC000 {
        return None;
    }
    // Rebuild the decimal digits as text and let rust_decimal round-trip them exactly.
    let mut mantissa = String::new();
    let mut exponent = 0i64; // power of ten of the last digit written
    for i in 0..ndigits as i64 {
        let g = buf.get_i16();
        if !(0..10000).contains(&g) {
            return None;
        }
        mantissa.push_str(&format!("{g:04}"));
        exponent = (weight - i) * 4;
    }
    if mantissa.is_empty() {
        return Some(Decimal::new(0, dscale as u32));
    }
    let mut d = Decimal::from_str_exact(mantissa.trim_start_matches('0').max("0")).ok()?;
    if exponent >= 0 {
        for _ in 0..exponent {
            d = d.checked_mul(Decimal::TEN)?;
        }
    } else {
        d.set_scale(u32::try_from(-exponent).ok()?).ok()?;
    }
    if sign == 0x4000 {
        d.set_sign_negative(true);
    }
    d.rescale(dscale as u32);
    Some(d)
}

fn decode_array(mut buf: &[u8], elem: &DataType) -> Option<Result<Value>> {
    if buf.len() < 12 {
        return None;
    }
    let ndim = buf.get_i32();
    let _has_nulls = buf.get_i32();
    let _elem_oid = buf.get_u32();
    if ndim == 0 {
        return Some(Ok(Value::Array(vec![])));
    }
    if ndim != 1 || buf.len() < 8 {
        return None;
    }
    let len = buf.get_i32();
    let _lower = buf.get_i32();
    let mut items = Vec::new();
    for _ in 0..len.max(0) {
        if buf.len() < 4 {
            return None;
        }
        let n = buf.get_i32();
        if n < 0 {
            items.push(Value::Null);
            continue;
        }
        let n = n as usize;
        if buf.len() < n {
            return None;
        }
        match decode(&buf[..n], elem) {
            Ok(v) => items.push(v),
            Err(e) => return Some(Err(e)),
        }
        buf.advance(n);
    }
    Some(Ok(Value::Array(items)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn numeric_bytes(s: &str) -> Vec<u8> {
        let mut out = BytesMut::new();
        encode_numeric(&Decimal::from_str(s).unwrap(), &mut out);
        out.to_vec()
    }

    #[test]
    fn numeric_layout_matches_postgres() {
        // numeric_send('12345.678'): ndigits 3, weight 1, sign +, dscale 3, digits 1 2345 6780.
        assert_eq!(
            numeric_bytes("12345.678"),
            vec![0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c]
        );
        // numeric_send('-0.0001'): ndigits 1, weight -1, sign -, dscale 4, digit 1.
        assert_eq!(numeric_bytes("-0.0001"), vec![0, 1, 0xff, 0xff, 0x40, 0, 0, 4, 0, 1]);
        // numeric_send('0.00'): no digits, weight 0, dscale 2.
        assert_eq!(numeric_bytes("0.00"), vec![0, 0, 0, 0, 0, 0, 0, 2]);
        // numeric_send('20000'): one digit 2 at weight 1.
        assert_eq!(numeric_bytes("20000"), vec![0, 1, 0, 1, 0, 0, 0, 0, 0, 2]);
    }

    #[test]
    fn numeric_round_trips() {
        for s in [
            "12345.678",
            "-0.0001",
            "0.00",
            "20000",
            "1e-10",
            "-98765432109876543210.5",
            "7",
        ] {
            let d = Decimal::from_str(s).or_else(|_| Decimal::from_scientific(s)).unwrap();
            let mut out = BytesMut::new();
            encode_numeric(&d, &mut out);
            let back = decode_numeric(&out).unwrap();
            assert_eq!(back.to_string(), d.to_string(), "{s}");
        }
    }

    #[test]
    fn dates_count_from_2000() {
        let mut out = BytesMut::new();
        encode(
            &Value::Date(NaiveDate::from_ymd_opt(1999, 12, 31).unwrap()),
            &DataType::Date,
            &mut out,
        )
        .unwrap();
        assert_eq!(out.to_vec(), (-1i32).to_be_bytes().to_vec());
        let back = decode(&(-1i32).to_be_bytes(), &DataType::Date).unwrap();
        assert_eq!(back, Value::Date(NaiveDate::from_ymd_opt(1999, 12, 31).unwrap()));
    }

    #[test]
    fn wrong_width_is_rejected() {
        let e = decode(&[0, 1], &DataType::Int4).unwrap_err();
        assert_eq!(e.sqlstate(), "22P03");
    }
}
