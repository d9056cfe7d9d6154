//! `to_date(text, template)` and `to_timestamp(text, template)`: reading dates with
//! PostgreSQL's formatting templates (YYYY MM DD HH24 HH12 MI SS MS US Mon Month AM, FM).
//!
//! Like PostgreSQL outside FX mode, separators and spaces in the template match any single
//! separator in the input, and runs of spaces are skipped.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

use crate::error::{sqlstate, Error, Result};

use super::datetime::MONTHS;

/// Longest first, so `HH24` wins over `HH` and `MONTH` over `MON`.
const PATTERNS: &[&str] = &[
    "YYYY", "YYY", "YY", "Y", "MONTH", "MON", "MM", "DDD", "DD", "HH24", "HH12", "HH", "MI", "SSSS", "SS", "MS", "US",
    "AM", "PM", "A.M.", "P.M.", "DAY", "DY",
];

#[derive(Default)]
struct Parsed {
    year: Option<i64>,
    year_digits: usize,
    month: Option<i64>,
    day: Option<i64>,
    yday: Option<i64>,
    hour: i64,
    minute: i64,
    second: i64,
    micros: i64,
    pm: Option<bool>,
}

fn invalid_value(value: &str, pattern: &str) -> Error {
    Error::sql(
        sqlstate::INVALID_DATETIME_FORMAT,
        format!("invalid value \"{value}\" for \"{pattern}\""),
    )
    .with_detail("Value must be an integer.")
}

fn take_number(input: &mut &str, max_digits: usize, pattern: &str) -> Result<i64> {
    let s = input.trim_start();
    let (sign, body) = match s.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, s),
    };
    let len = body.bytes().take(max_digits).take_while(u8::is_ascii_digit).count();
    if len == 0 {
        let shown: String = s.chars().take(max_digits.max(1)).collect();
        return Err(invalid_value(&shown, pattern));
    }
    let value: i64 = body[..len].parse().map_err(|_| invalid_value(&body[..len], pattern))?;
    *input = &body[len..];
    Ok(sign * value)
}

fn parse(input: &str, template: &str) -> Result<Parsed> {
    let mut p = Parsed::default();
    let mut rest = input;
    let mut tpl = template;
    while !tpl.is_empty() {
        if let Some(t) = tpl.strip_prefix("FM").or_else(|| tpl.strip_prefix("fm")) {
            tpl = t;
            continue;
        }
        let upper = tpl.to_ascii_uppercase();
        if let Some(pat) = PATTERNS.iter().find(|p| upper.starts_with(**p)) {
            tpl = &tpl[pat.len()..];
            match *pat {
                "YYYY" | "YYY" | "YY" | "Y" => {
                    let before = rest.trim_start().len();
                    // A four-digit year takes more digits when the input has them (year 10000+).
                    let width = if *pat == "YYYY" && tpl.is_empty() { 9 } else { pat.len() };
                    p.year = Some(take_number(&mut rest, width, pat)?);
                    p.year_digits = before - rest.len();
                }
                "MM" => p.month = Some(take_number(&mut rest, 2, pat)?),
                "DD" => p.day = Some(take_number(&mut rest, 2, pat)?),
                "DDD" => p.yday = Some(take_number(&mut rest, 3, pat)?),
                "HH24" | "HH12" | "HH" => p.hour = take_number(&mut rest, 2, pat)?,
                "MI" => p.minute = take_number(&mut rest, 2, pat)?,
                "SS" => p.second = take_number(&mut rest, 2, pat)?,
                "SSSS" => {
                    let total = take_number(&mut rest, 5, pat)?;
                    p.hour = total / 3600;
                    p.minute = total / 60 % 60;
                    p.second = total % 60;
                }
                "MS" => {
                    let before = rest.len();
                    let v = take_number(&mut rest, 3, pat)?;
                    let digits = before - rest.len();
                    p.micros = v * 10i64.pow(6 - digits.min(6) as u32);
                }
                "US" => {
                    let before = rest.len();
                    let v = take_number(&mut rest, 6, pat)?;
                    let digits = before - rest.len();
                    p.micros = v * 10i64.pow(6 - digits.min(6) as u32);
                }
                "AM" | "PM" | "A.M." | "P.M." => {
                    let s = rest.trim_start();
                    let u = s.to_ascii_uppercase();
                    let (is_pm, len) = if u.starts_with("A.M.") || u.starts_with("P.M.") {
                        (u.starts_with('P'), 4)
                    } else if u.starts_with("AM") || u.starts_with("PM") {
                        (u.starts_with('P'), 2)
                    } else {
                        return Err(Error::sql(
                            sqlstate::INVALID_DATETIME_FORMAT,
                            format!(
                                "invalid value \"{}\" for \"{pat}\"",
                                s.chars().take(2).collect::<String>()
                            ),
                        )
                        .with_detail("The given value did not match any of the allowed values for this field."));
                    };
                    p.pm = Some(is_pm);
                    rest = &s[len..];
                }
                "MONTH" | "MON" => {
                    let s = rest.trim_start();
                    let word: String = s.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
                    let lower = word.to_ascii_lowercase();
                    let idx = MONTHS
                        .iter()
                        .position(|m| {
                            if *pat == "MON" {
                                lower.len() == 3 && m.starts_with(&lower)
                            } else {
                                *m == lower
                            }
                        })
                        .ok_or_else(|| {
                            Error::sql(
                                sqlstate::INVALID_DATETIME_FORMAT,
                                format!("invalid value \"{word}\" for \"{pat}\""),
                            )
                            .with_detail("The given value did not match any of the allowed values for this field.")
                        })?;
                    p.month = Some(idx as i64 + 1);
                    rest = &s[word.len()..];
                }
                // Day names are read and ignored, as PostgreSQL does.
                _ => {
                    let s = rest.trim_start();
                    let len = s.chars().take_while(|c| c.is_ascii_alphabetic()).count();
                    rest = &s[len..];
                }
            }
            continue;
        }
        if let Some(t) = tpl.strip_prefix('"') {
            let end = t.find('"').unwrap_or(t.len());
            for _ in t[..end].chars() {
                let mut chars = rest.chars();
                chars.next();
                rest = chars.as_str();
            }
            tpl = t.get(end + 1..).unwrap_or("");
            continue;
        }
        let mut tchars = tpl.chars();
        let tc = tchars.next().unwrap_or(' ');
        tpl = tchars.as_str();
        if tc.is_whitespace() {
            rest = rest.trim_start();
        } else {
            // A separator in the template consumes one non-alphanumeric input character.
            let trimmed = rest.trim_start();
            let mut chars = trimmed.chars();
            match chars.next() {
                Some(c) if !c.is_alphanumeric() => rest = chars.as_str(),
                _ => rest = trimmed,
            }
        }
    }
    Ok(p)
}

fn out_of_range(input: &str) -> Error {
    Error::sql(
        sqlstate::DATETIME_FIELD_OVERFLOW,
        format!("date/time field value out of range: \"{input}\""),
    )
}

fn build(p: &Parsed, input: &str) -> Result<NaiveDateTime> {
    let mut year = p.year.unwrap_or(1);
    // Two-digit years pick the century closest to 2020, as PostgreSQL does.
    if p.year_digits == 2 && year < 100 {
        year += if year < 70 { 2000 } else { 1900 };
    }
    let year = i32::try_from(year).map_err(|_| out_of_range(input))?;
    let date = match (p.yday, p.month, p.day) {
        (Some(yd), None, None) => NaiveDate::from_yo_opt(year, u32::try_from(yd).map_err(|_| out_of_range(input))?),
        (_, m, d) => NaiveDate::from_ymd_opt(
            year,
            u32::try_from(m.unwrap_or(1)).map_err(|_| out_of_range(input))?,
            u32::try_from(d.unwrap_or(1)).map_err(|_| out_of_range(input))?,
        ),
    }
    .ok_or_else(|| out_of_range(input))?;
    let mut hour = p.hour;
    if let Some(pm) = p.pm {
        if !(1..=12).contains(&hour) {
            return Err(Error::sql(
                sqlstate::INVALID_DATETIME_FORMAT,
                format!("hour \"{hour}\" is invalid for the 12-hour clock"),
            )
            .with_hint("Use the 24-hour clock, or give an hour between 1 and 12."));
        }
        hour = hour % 12 + if pm { 12 } else { 0 };
    }
    if !(0..=24).contains(&hour) || !(0..60).contains(&p.minute) || !(0..60).contains(&p.second) {
        return Err(out_of_range(input));
    }
    let secs = hour * 3600 + p.minute * 60 + p.second;
    Ok(date.and_time(NaiveTime::MIN) + Duration::seconds(secs) + Duration::microseconds(p.micros))
}

/// `to_date(text, template)`.
pub fn to_date(input: &str, template: &str) -> Result<NaiveDate> {
    Ok(build(&parse(input, template)?, input)?.date())
}

/// `to_timestamp(text, template)`: a time in the session zone (UTC).
pub fn to_timestamp(input: &str, template: &str) -> Result<NaiveDateTime> {
    build(&parse(input, template)?, input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::datetime::{format_date, format_timestamp};

    #[test]
    fn templates_match_postgres() {
        // select to_date('2024-01-05', 'YYYY-MM-DD'), to_date('05 Jan 2024', 'DD Mon YYYY'),
        //        to_timestamp('2024-01-05 14:05:06', 'YYYY-MM-DD HH24:MI:SS'),
        //        to_timestamp('01/05/2024 02:05 PM', 'MM/DD/YYYY HH12:MI AM'), to_date('20240105', 'YYYYMMDD'),
        //        to_timestamp('2024-01-05 14:05:06.123', 'YYYY-MM-DD HH24:MI:SS.MS')
        let d = |s: &str, t: &str| format_date(&to_date(s, t).unwrap());
        let ts = |s: &str, t: &str| format_timestamp(&to_timestamp(s, t).unwrap());
        assert_eq!(d("2024-01-05", "YYYY-MM-DD"), "2024-01-05");
        assert_eq!(d("05 Jan 2024", "DD Mon YYYY"), "2024-01-05");
        assert_eq!(d("20240105", "YYYYMMDD"), "2024-01-05");
        assert_eq!(d("March 3, 24", "Month DD, YY"), "2024-03-03");
        assert_eq!(
            ts("2024-01-05 14:05:06", "YYYY-MM-DD HH24:MI:SS"),
            "2024-01-05 14:05:06"
        );
        assert_eq!(
            ts("01/05/2024 02:05 PM", "MM/DD/YYYY HH12:MI AM"),
            "2024-01-05 14:05:00"
        );
        assert_eq!(
            ts("2024-01-05 14:05:06.123", "YYYY-MM-DD HH24:MI:SS.MS"),
            "2024-01-05 14:05:06.123"
        );
        let e = to_date("2024-13-05", "YYYY-MM-DD").unwrap_err();
        assert_eq!(
            (e.sqlstate(), e.message().as_str()),
            ("22008", "date/time field value out of range: \"2024-13-05\"")
        );
        let e = to_date("abc", "YYYY-MM-DD").unwrap_err();
        assert_eq!(
            (e.sqlstate(), e.message().as_str()),
            ("22007", "invalid value \"abc\" for \"YYYY\"")
        );
    }
}
