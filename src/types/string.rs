//! String and array SQL functions (`lower`, `substr`, `lpad`, `split_part`, `regexp_replace`,
//! `string_to_array`, `format`, ...), with PostgreSQL's edge cases (negative lengths, empty
//! delimiters, NULL handling of the non-strict ones).

use md5::{Digest, Md5};

use super::functions::{arg, int_arg, text_arg, ScalarFunc};
use super::ops::compile_regex;
use super::quote::display;
use super::Value;
use crate::error::{sqlstate, Error, Result};

/// Guards functions that build strings from a client-chosen count.
const MAX_STRING_BYTES: usize = 1 << 30;

fn too_large() -> Error {
    Error::sql(sqlstate::PROGRAM_LIMIT_EXCEEDED, "requested length too large")
}

/// Case mapping one character at a time, as PostgreSQL does (`ß` stays `ß` in upper()).
fn map_case(s: &str, upper: bool) -> String {
    if s.is_ascii() {
        return if upper {
            s.to_ascii_uppercase()
        } else {
            s.to_ascii_lowercase()
        };
    }
    s.chars()
        .map(|c| {
            let mut m: Vec<char> = if upper {
                c.to_uppercase().collect()
            } else {
                c.to_lowercase().collect()
            };
            if m.len() == 1 {
                m.pop().unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

fn chars_slice(s: &str, start: usize, end: usize) -> String {
    s.chars().skip(start).take(end.saturating_sub(start)).collect()
}

/// `substr(s, from [, count])` with SQL's 1-based positions that may start before 1.
fn substr(s: &str, from: i64, count: Option<i64>) -> Result<String> {
    let end = match count {
        Some(c) if c < 0 => {
            return Err(Error::sql("22011", "negative substring length not allowed"));
        }
        Some(c) => from.saturating_add(c),
        None => i64::MAX,
    };
    let start = from.max(1);
    if end <= start {
        return Ok(String::new());
    }
    Ok(chars_slice(
        s,
        (start - 1) as usize,
        (end - 1).min(i64::MAX / 2) as usize,
    ))
}

fn trim_chars<'a>(s: &'a str, chars: &str, left: bool, right: bool) -> &'a str {
    let set = |c: char| chars.contains(c);
    let s = if left { s.trim_start_matches(set) } else { s };
    if right {
        s.trim_end_matches(set)
    } else {
        s
    }
}

fn pad(s: &str, len: i64, fill: &str, left: bool) -> Result<String> {
    if len <= 0 {
        return Ok(String::new());
    }
    let len = len as usize;
    if len.saturating_mul(4) > MAX_STRING_BYTES {
        return Err(too_large());
    }
    let have = s.chars().count();
    if have >= len || fill.is_empty() {
        return Ok(s.chars().take(len).collect());
    }
    let padding: String = fill.chars().cycle().take(len - have).collect();
    Ok(if left { padding + s } else { s.to_string() + &padding })
}

fn initcap(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_word = false;
    for c in s.chars() {
        if c.is_alphanumeric() {
            if in_word {
                out.extend(c.to_lowercase());
            } else {
                out.extend(c.to_uppercase());
            }
            in_word = true;
        } else {
            out.push(c);
            in_word = false;
        }
    }
    out
}

fn split_part(s: &str, delim: &str, n: i64) -> Result<String> {
    if n == 0 {
        return Err(Error::sql(
            sqlstate::INVALID_PARAMETER_VALUE,
            "field position must not be zero",
        ));
    }
    if delim.is_empty() {
        return Ok(if n == 1 || n == -1 {
            s.to_string()
        } else {
            String::new()
        });
    }
    let parts: Vec<&str> = s.split(delim).collect();
    let idx = if n > 0 { n - 1 } else { parts.len() as i64 + n };
    Ok(usize::try_from(idx)
        .ok()
        .and_then(|i| parts.get(i))
        .map(|p| p.to_string())
        .unwrap_or_default())
}

fn translate(s: &str, from: &str, to: &str) -> String {
    let from: Vec<char> = from.chars().collect();
    let to: Vec<char> = to.chars().collect();
    s.chars()
        .filter_map(|c| match from.iter().position(|f| *f == c) {
            Some(i) => to.get(i).copied(),
            None => Some(c),
        })
        .collect()
}

/// PostgreSQL replacement syntax (`\1`, `\&`) in the regex crate's (`${1}`, `${0}`).
fn convert_replacement(r: &str) -> String {
    let mut out = String::with_capacity(r.len());
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(d) if d.is_ascii_digit() => out.push_str(&format!("${{{d}}}")),
                Some('&') => out.push_str("${0}"),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

fn regex_flags(flags: &str) -> Result<(bool, bool)> {
    let mut global = false;
    let mut ci = false;
    for c in flags.chars() {
        match c {
            'g' => global = true,
            'i' => ci = true,
            'c' => ci = false,
            _ => {
                return Err(Error::sql(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    format!("invalid regular expression option: \"{c}\""),
                ))
            }
        }
    }
    Ok((global, ci))
}

/// Evaluates a string function; `None` when `func` is not one.
pub(super) fn call(func: ScalarFunc, args: &[Value]) -> Result<Option<Value>> {
    use ScalarFunc as S;
    use Value::*;
    let t = |i| text_arg(args, i);
    Ok(Some(match func {
        S::Lower => Text(map_case(t(0)?, false)),
        S::Upper => Text(map_case(t(0)?, true)),
        S::Length => Int4(t(0)?.chars().count() as i32),
        S::OctetLength | S::BitLength => {
            let bytes = match arg(args, 0)? {
                Bytea(b) => b.len(),
                _ => t(0)?.len(),
            };
            Int4((if func == S::BitLength { bytes * 8 } else { bytes }) as i32)
        }
        S::Substr => {
            let count = if args.len() > 2 { Some(int_arg(args, 2)?) } else { None };
            Text(substr(t(0)?, int_arg(args, 1)?, count)?)
        }
        S::Position => {
            let (s, sub) = (t(0)?, t(1)?);
            Int4(s.find(sub).map(|b| s[..b].chars().count() as i32 + 1).unwrap_or(0))
        }
        S::Btrim | S::Ltrim | S::Rtrim => {
            let chars = if args.len() > 1 { t(1)? } else { " " };
            Text(trim_chars(t(0)?, chars, func != S::Rtrim, func != S::Ltrim).to_string())
        }
        S::Replace => {
            let (s, from, to) = (t(0)?, t(1)?, t(2)?);
            Text(if from.is_empty() {
                s.to_string()
            } else {
                s.replace(from, to)
            })
        }
        S::Concat => Text(args.iter().filter(|a| !a.is_null()).map(display).collect()),
        S::ConcatWs => match arg(args, 0)? {
            Null => Null,
            sep => {
                let sep = display(sep);
                let parts: Vec<String> = args.iter().skip(1).filter(|a| !a.is_null()).map(display).collect();
                Text(parts.join(&sep))
            }
        },
        S::Left | S::Right => {
            let s = t(0)?;
            let n = int_arg(args, 1)?;
            let len = s.chars().count() as i64;
            let keep = if n >= 0 { n.min(len) } else { (len + n).max(0) } as usize;
            Text(if func == S::Left {
                s.chars().take(keep).collect()
            } else {
                s.chars().skip(len as usize - keep).collect()
            })
        }
        S::Repeat => {
            let (s, n) = (t(0)?, int_arg(args, 1)?);
            let n = n.max(0) as usize;
            if s.len().saturating_mul(n) > MAX_STRING_BYTES {
                return Err(too_large());
            }
            Text(s.repeat(n))
        }
        S::Reverse => Text(t(0)?.chars().rev().collect()),
        S::Lpad | S::Rpad => {
            let fill = if args.len() > 2 { t(2)? } else { " " };
            Text(pad(t(0)?, int_arg(args, 1)?, fill, func == S::Lpad)?)
        }
        S::Initcap => Text(initcap(t(0)?)),
        S::SplitPart => Text(split_part(t(0)?, t(1)?, int_arg(args, 2)?)?),
        S::StartsWith => Bool(t(0)?.starts_with(t(1)?)),
        S::Ascii => Int4(t(0)?.chars().next().map(|c| c as i32).unwrap_or(0)),
        S::Chr => {
            let n = int_arg(args, 0)?;
            if n == 0 {
                return Err(Error::sql(
                    sqlstate::PROGRAM_LIMIT_EXCEEDED,
                    "null character not permitted",
                ));
            }
            let c = u32::try_from(n).ok().and_then(char::from_u32).ok_or_else(|| {
                Error::sql(
                    sqlstate::PROGRAM_LIMIT_EXCEEDED,
                    "requested character too large for encoding",
                )
            })?;
            Text(c.to_string())
        }
        S::Md5 => {
            let digest = match arg(args, 0)? {
                Bytea(b) => Md5::digest(b),
                _ => Md5::digest(t(0)?.as_bytes()),
            };
            Text(digest.iter().map(|b| format!("{b:02x}")).collect())
        }
        S::Sha256 => match arg(args, 0)? {
            Bytea(b) => Bytea(crate::crypto::sha256(b).to_vec()),
            _ => Bytea(crate::crypto::sha256(t(0)?.as_bytes()).to_vec()),
        },
        S::ToHex => Text(match arg(args, 0)? {
            Int4(v) => format!("{:x}", *v as u32),
            _ => format!("{:x}", int_arg(args, 0)? as u64),
        }),
        S::Translate => Text(translate(t(0)?, t(1)?, t(2)?)),
        S::RegexpReplace => {
            let (global, ci) = regex_flags(if args.len() > 3 { t(3)? } else { "" })?;
            let re = compile_regex(t(1)?, ci)?;
            let rep = convert_replacement(t(2)?);
            Text(
                if global {
                    re.replace_all(t(0)?, rep.as_str())
                } else {
                    re.replace(t(0)?, rep.as_str())
                }
                .into_owned(),
            )
        }
        S::Encode => match arg(args, 0)? {
            Bytea(b) => Text(super::encoding::encode(b, t(1)?)?),
            _ => return Err(Error::bug("encode() of non-bytea")),
        },
        S::Decode => Bytea(super::encoding::decode(t(0)?, t(1)?)?),
        S::Overlay => {
            // overlay(s placing r from n for m) = substr(s, 1, n-1) || r || substr(s, n+m)
            let (s, r, from) = (t(0)?, t(1)?, int_arg(args, 2)?);
            let count = if args.len() > 3 {
                int_arg(args, 3)?
            } else {
                r.chars().count() as i64
            };
            if from < 1 {
                return Err(Error::sql("22011", "negative substring length not allowed"));
            }
            let head = substr(s, 1, Some(from - 1))?;
            let tail = substr(s, from.saturating_add(count.max(0)), None)?;
            Text(head + r + &tail)
        }
        S::SubstringRegex => {
            let re = compile_regex(t(1)?, false)?;
            match re.captures(t(0)?) {
                None => Null,
                // With a group, the first group's text; otherwise the whole match.
                Some(caps) => match caps.get(1).or_else(|| if caps.len() == 1 { caps.get(0) } else { None }) {
                    Some(m) => Text(m.as_str().to_string()),
                    None => Null,
                },
            }
        }
        S::RegexpSplitToArray => {
            let (_, ci) = regex_flags(if args.len() > 2 { t(2)? } else { "" })?;
            let re = compile_regex(t(1)?, ci)?;
            Array(re.split(t(0)?).map(|p| Text(p.to_string())).collect())
        }
        S::SimilarToEscape => {
            let escape = if args.len() > 1 {
                let e = t(1)?;
                let mut chars = e.chars();
                match (chars.next(), chars.next()) {
                    (None, _) => None,
                    (Some(c), None) => Some(c),
                    _ => {
                        return Err(Error::sql(sqlstate::INVALID_ESCAPE_SEQUENCE, "invalid escape string")
                            .with_hint("Escape string must be empty or one character."))
                    }
                }
            } else {
                Some('\\')
            };
            Text(super::pattern::similar_to_regex(t(0)?, escape)?)
        }
        S::RegexpMatch => {
            let (global, ci) = regex_flags(if args.len() > 2 { t(2)? } else { "" })?;
            if global {
                return Err(Error::sql(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    "regexp_match() does not support the \"global\" option",
                ));
            }
            let re = compile_regex(t(1)?, ci)?;
            match re.captures(t(0)?) {
                None => Null,
                Some(caps) if caps.len() == 1 => {
                    Array(vec![caps.get(0).map(|m| Text(m.as_str().to_string())).unwrap_or(Null)])
                }
                Some(caps) => Array(
                    caps.iter()
                        .skip(1)
                        .map(|m| m.map(|m| Text(m.as_str().to_string())).unwrap_or(Null))
                        .collect(),
                ),
            }
        }
        S::QuoteIdent => Text(super::quote::quote_ident(t(0)?)),
        S::QuoteLiteral => Text(super::quote::quote_literal(t(0)?)),
        S::QuoteNullable => match arg(args, 0)? {
            Null => Text("NULL".into()),
            v => Text(super::quote::quote_literal(&display(v))),
        },
        S::Format => match arg(args, 0)? {
            Null => Null,
            _ => Text(super::quote::format_sql(t(0)?, args.get(1..).unwrap_or(&[]))?),
        },
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::Text(v.into())
    }

    fn run(func: ScalarFunc, args: &[Value]) -> Value {
        call(func, args).unwrap().unwrap()
    }

    #[test]
    fn substrings_and_padding() {
        // select substr('hello', 2, 3), substr('hello', 0, 3), substr('hello', 3), left('hello', -2),
        //        right('hello', 2), lpad('hi', 5, 'xy'), rpad('hello', 3), lpad('hi', 5)
        assert_eq!(
            run(ScalarFunc::Substr, &[s("hello"), Value::Int4(2), Value::Int4(3)]),
            s("ell")
        );
        assert_eq!(
            run(ScalarFunc::Substr, &[s("hello"), Value::Int4(0), Value::Int4(3)]),
            s("he")
        );
        assert_eq!(run(ScalarFunc::Substr, &[s("hello"), Value::Int4(3)]), s("llo"));
        assert_eq!(
            call(ScalarFunc::Substr, &[s("x"), Value::Int4(1), Value::Int4(-1)])
                .unwrap_err()
                .sqlstate(),
            "22011"
        );
        assert_eq!(run(ScalarFunc::Left, &[s("hello"), Value::Int4(-2)]), s("hel"));
        assert_eq!(run(ScalarFunc::Right, &[s("hello"), Value::Int4(2)]), s("lo"));
        assert_eq!(run(ScalarFunc::Right, &[s("hello"), Value::Int4(-2)]), s("llo"));
        assert_eq!(run(ScalarFunc::Lpad, &[s("hi"), Value::Int4(5), s("xy")]), s("xyxhi"));
        assert_eq!(run(ScalarFunc::Rpad, &[s("hello"), Value::Int4(3)]), s("hel"));
        assert_eq!(run(ScalarFunc::Lpad, &[s("hi"), Value::Int4(5)]), s("   hi"));
        assert_eq!(run(ScalarFunc::Position, &[s("héllo"), s("llo")]), Value::Int4(3));
        assert_eq!(run(ScalarFunc::Position, &[s("hello"), s("z")]), Value::Int4(0));
    }

    #[test]
    fn misc_string_functions() {
        assert_eq!(run(ScalarFunc::Btrim, &[s("xxhixx"), s("x")]), s("hi"));
        assert_eq!(run(ScalarFunc::Ltrim, &[s("  hi  ")]), s("hi  "));
        assert_eq!(run(ScalarFunc::Initcap, &[s("hello wORLD-foo")]), s("Hello World-Foo"));
        assert_eq!(
            run(ScalarFunc::SplitPart, &[s("a,b,c"), s(","), Value::Int4(2)]),
            s("b")
        );
        assert_eq!(
            run(ScalarFunc::SplitPart, &[s("a,b,c"), s(","), Value::Int4(-1)]),
            s("c")
        );
        assert_eq!(run(ScalarFunc::SplitPart, &[s("a,b,c"), s(","), Value::Int4(5)]), s(""));
        assert_eq!(run(ScalarFunc::Md5, &[s("abc")]), s("900150983cd24fb0d6963f7d28e17f72"));
        // FIPS 180-2's example.
        let Value::Bytea(digest) = run(ScalarFunc::Sha256, &[Value::Bytea(b"abc".to_vec())]) else {
            panic!("sha256 returns bytea");
        };
        assert_eq!(
            digest.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(run(ScalarFunc::ToHex, &[Value::Int4(-1)]), s("ffffffff"));
        assert_eq!(run(ScalarFunc::ToHex, &[Value::Int8(255)]), s("ff"));
        assert_eq!(run(ScalarFunc::Translate, &[s("12345"), s("143"), s("ax")]), s("a2x5"));
        assert_eq!(run(ScalarFunc::Chr, &[Value::Int4(65)]), s("A"));
        assert_eq!(run(ScalarFunc::Ascii, &[s("A")]), Value::Int4(65));
        assert_eq!(run(ScalarFunc::Repeat, &[s("ab"), Value::Int4(3)]), s("ababab"));
        assert_eq!(
            run(ScalarFunc::ConcatWs, &[s(","), s("a"), Value::Null, Value::Int4(2)]),
            s("a,2")
        );
        assert_eq!(run(ScalarFunc::ConcatWs, &[Value::Null, s("a")]), Value::Null);
        assert_eq!(run(ScalarFunc::Concat, &[Value::Bool(true), s("x")]), s("tx"));
    }

    #[test]
    fn overlay_substring_split() {
        // select overlay('Txxxxas' placing 'hom' from 2 for 4), overlay('abc' placing 'X' from 2),
        //        substring('foobar' from 'o(.)b'), substring('foobar' from 'z'), substring('foobar' from 'o.b'),
        //        regexp_split_to_array('a1b22c', '[0-9]+')
        let i = Value::Int4;
        assert_eq!(
            run(ScalarFunc::Overlay, &[s("Txxxxas"), s("hom"), i(2), i(4)]),
            s("Thomas")
        );
        assert_eq!(run(ScalarFunc::Overlay, &[s("abc"), s("X"), i(2)]), s("aXc"));
        assert_eq!(run(ScalarFunc::SubstringRegex, &[s("foobar"), s("o(.)b")]), s("o"));
        assert_eq!(run(ScalarFunc::SubstringRegex, &[s("foobar"), s("z")]), Value::Null);
        assert_eq!(run(ScalarFunc::SubstringRegex, &[s("foobar"), s("o.b")]), s("oob"));
        let parts = run(ScalarFunc::RegexpSplitToArray, &[s("a1b22c"), s("[0-9]+")]);
        assert_eq!(parts, Value::Array(vec![s("a"), s("b"), s("c")]));
        assert_eq!(
            run(ScalarFunc::Encode, &[Value::Bytea(b"hi".to_vec()), s("hex")]),
            s("6869")
        );
    }

    #[test]
    fn regexes() {
        let r = run(
            ScalarFunc::RegexpReplace,
            &[s("foobarbaz"), s("b(..)"), s("X\\1Y"), s("g")],
        );
        assert_eq!(r, s("fooXarYXazY"));
        assert_eq!(run(ScalarFunc::RegexpReplace, &[s("aaa"), s("a"), s("b")]), s("baa"));
        let m = run(ScalarFunc::RegexpMatch, &[s("foobarbequebaz"), s("(bar)(beque)")]);
        assert_eq!(m, Value::Array(vec![s("bar"), s("beque")]));
        assert_eq!(run(ScalarFunc::RegexpMatch, &[s("abc"), s("x")]), Value::Null);
    }
}
