//! `encode(bytea, format)` / `decode(text, format)` for the `hex`, `base64` and `escape`
//! formats, as PostgreSQL writes and reads them (base64 lines wrap at 76 characters).

use super::text::{format_bytea, parse_bytea};
use crate::error::{sqlstate, Error, Result};

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn unknown_encoding(name: &str) -> Error {
    Error::sql(
        sqlstate::INVALID_PARAMETER_VALUE,
        format!("unrecognized encoding: \"{name}\""),
    )
}

pub fn encode(data: &[u8], format: &str) -> Result<String> {
    match format.to_ascii_lowercase().as_str() {
        "hex" => Ok(format_bytea(data).split_off(2)),
        "base64" => Ok(base64(data)),
        "escape" => {
            let mut out = String::with_capacity(data.len());
            for &b in data {
                match b {
                    b'\\' => out.push_str("\\\\"),
                    0 | 0x80..=0xff => out.push_str(&format!("\\{b:03o}")),
                    b => out.push(b as char),
                }
            }
            Ok(out)
        }
        other => Err(unknown_encoding(other)),
    }
}

pub fn decode(text: &str, format: &str) -> Result<Vec<u8>> {
    match format.to_ascii_lowercase().as_str() {
        "hex" => parse_bytea(&format!("\\x{text}")),
        "base64" => unbase64(text),
        "escape" => parse_bytea(text),
        other => Err(unknown_encoding(other)),
    }
}

fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4 + data.len() / 57);
    let mut line = 0;
    for chunk in data.chunks(3) {
        if line == 76 {
            out.push('\n');
            line = 0;
        }
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
        line += 4;
    }
    out
}

fn unbase64(text: &str) -> Result<Vec<u8>> {
    let bad_end = || {
        Error::sql(sqlstate::INVALID_PARAMETER_VALUE, "invalid base64 end sequence")
            .with_hint("Input data is missing padding, is truncated, or is otherwise corrupted.")
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits, mut count, mut padding) = (0u32, 0u32, 0usize, 0usize);
    for c in text.chars() {
        if c.is_ascii_whitespace() {
            continue;
        }
        if c == '=' {
            padding += 1;
            count += 1;
            continue;
        }
        if padding > 0 {
            return Err(bad_end());
        }
        let v = B64.iter().position(|&b| b as char == c).ok_or_else(|| {
            Error::sql(
                sqlstate::INVALID_PARAMETER_VALUE,
                format!("invalid symbol \"{c}\" found while decoding base64 sequence"),
            )
        })?;
        acc = acc << 6 | v as u32;
        bits += 6;
        count += 1;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits & 0xff) as u8);
        }
    }
    if count % 4 != 0 || padding > 2 {
        return Err(bad_end());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_postgres() {
        // select encode('hello'::bytea, 'base64'), encode('\x00ff'::bytea, 'hex'),
        //        decode('aGVsbG8=', 'base64'), decode('00ff', 'hex'), encode(repeat('x', 60)::bytea, 'base64')
        assert_eq!(encode(b"hello", "base64").unwrap(), "aGVsbG8=");
        assert_eq!(encode(&[0, 255], "hex").unwrap(), "00ff");
        assert_eq!(decode("aGVsbG8=", "base64").unwrap(), b"hello");
        assert_eq!(decode("00ff", "hex").unwrap(), vec![0, 255]);
        let wrapped = "eHh4".repeat(19) + "\neHh4";
        assert_eq!(encode(&[b'x'; 60], "base64").unwrap(), wrapped);
        assert_eq!(decode(&wrapped, "base64").unwrap(), vec![b'x'; 60]);
        assert_eq!(encode(b"a\\\x00\xff", "escape").unwrap(), "a\\\\\\000\\377");
        assert_eq!(decode("a\\000b", "escape").unwrap(), vec![b'a', 0, b'b']);
        assert_eq!(
            decode("zz", "hex").unwrap_err().message(),
            "invalid hexadecimal digit: \"z\""
        );
        assert_eq!(
            decode("a", "base64").unwrap_err().message(),
            "invalid base64 end sequence"
        );
        assert!(encode(b"x", "rot13").is_err());
        for n in 0..10 {
            let data: Vec<u8> = (0..n).map(|i: u8| i.wrapping_mul(37)).collect();
            assert_eq!(decode(&encode(&data, "base64").unwrap(), "base64").unwrap(), data);
        }
    }
}
