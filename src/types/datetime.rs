//! DATE, TIME, TIMESTAMP and TIMESTAMPTZ: text input and output in PostgreSQL's ISO style
//! (DateStyle ISO, MDY; session time zone UTC), and calendar arithmetic with intervals.
//!
//! Values are chrono types; infinite dates and BC years are not represented.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

use super::interval::{Interval, MICROS_PER_DAY};
use crate::error::{sqlstate, Error, Result};

fn bad_syntax(ty: &str, input: &str) -> Error {
    Error::sql(
        sqlstate::INVALID_DATETIME_FORMAT,
        format!("invalid input syntax for type {ty}: \"{input}\""),
    )
}

fn field_overflow(input: &str) -> Error {
    Error::sql(
        sqlstate::DATETIME_FIELD_OVERFLOW,
        format!("date/time field value out of range: \"{input}\""),
    )
}

/// `timestamp out of range` (22008), raised when arithmetic leaves chrono's range.
pub fn timestamp_out_of_range() -> Error {
    Error::sql(sqlstate::DATETIME_FIELD_OVERFLOW, "timestamp out of range")
}

/// `date out of range` (22008).
pub fn date_out_of_range() -> Error {
    Error::sql(sqlstate::DATETIME_FIELD_OVERFLOW, "date out of range")
}

/// Month names in lower case, January first (input parsing and `to_date`/`to_timestamp`).
pub(crate) const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn month_from_name(word: &str) -> Option<u32> {
    let w = word.to_ascii_lowercase();
    let w = w.trim_end_matches('.');
    if w.len() < 3 {
        return None;
    }
    MONTHS.iter().position(|m| m.starts_with(w)).map(|i| i as u32 + 1)
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses a date part: `YYYY-MM-DD`, `MM/DD/YYYY`, `YYYYMMDD`, `Month D, YYYY`, `D Month YYYY`.
/// `Ok(None)` means the syntax did not match; `Err` means a field was out of range.
fn parse_date_part(s: &str, whole: &str) -> Result<Option<NaiveDate>> {
    let make = |y: u32, m: u32, d: u32| -> Result<Option<NaiveDate>> {
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return Err(field_overflow(whole));
        }
        NaiveDate::from_ymd_opt(y as i32, m, d)
            .map(Some)
            .ok_or_else(|| field_overflow(whole))
    };
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() == 3 {
        if let (Some(y), Some(m), Some(d)) = (digits(parts[0]), digits(parts[1]), digits(parts[2])) {
            if parts[0].len() >= 3 {
                return make(y, m, d);
            }
        }
        if let (Some(y), Some(m), Some(d)) = (digits(parts[0]), month_from_name(parts[1]), digits(parts[2])) {
            return make(y, m, d);
        }
        return Ok(None);
    }
    let parts: Vec<&str> = s.split('/').collect();
    if parts.len() == 3 {
        if let (Some(a), Some(b), Some(c)) = (digits(parts[0]), digits(parts[1]), digits(parts[2])) {
            return if parts[0].len() >= 3 {
                make(a, b, c)
            } else {
                make(c, a, b)
            };
        }
        return Ok(None);
    }
    if s.len() == 8 {
        if let Some(n) = digits(s) {
            return make(n / 10000, n / 100 % 100, n % 100);
        }
    }
    let words: Vec<&str> = s.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    if words.len() == 3 {
        if let (Some(m), Some(d), Some(y)) = (month_from_name(words[0]), digits(words[1]), digits(words[2])) {
            return make(y, m, d);
        }
        if let (Some(d), Some(m), Some(y)) = (digits(words[0]), month_from_name(words[1]), digits(words[2])) {
            return make(y, m, d);
        }
    }
    Ok(None)
}

/// Parses `HH:MM[:SS[.fff]]` with an optional `AM`/`PM`; `Ok(None)` when the syntax does not match.
fn parse_time_part(s: &str, whole: &str) -> Result<Option<NaiveTime>> {
    let upper = s.trim_end().to_ascii_uppercase();
    for (suffix, shift) in [("AM", 0), ("PM", 12)] {
        if let Some(body) = upper.strip_suffix(suffix) {
            let Some(t) = parse_time_part(body.trim_end(), whole)? else {
                return Ok(None);
            };
            if t.hour() == 0 || t.hour() > 12 {
                return Err(field_overflow(whole));
            }
            let hour = t.hour() % 12 + shift;
            return Ok(t.with_hour(hour));
        }
    }
    let mut it = s.splitn(3, ':');
    let (Some(h), Some(m)) = (it.next(), it.next()) else {
        return Ok(None);
    };
    let sec = it.next().unwrap_or("0");
    let (Some(h), Some(m)) = (digits(h), digits(m)) else {
        return Ok(None);
    };
    let (whole_sec, frac) = match sec.split_once('.') {
        Some((a, b)) => (a, b),
        None => (sec, ""),
    };
    let Some(s_int) = digits(whole_sec) else {
        return Ok(None);
    };
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let mut micros: u64 = 0;
    for (i, b) in frac.bytes().take(7).enumerate() {
        let d = (b - b'0') as u64;
        if i < 6 {
            micros = micros * 10 + d;
        } else if d >= 5 {
            micros += 1;
        }
    }
    for _ in frac.len().min(6)..6 {
        micros *= 10;
    }
    if h > 23 || m > 59 || s_int > 59 {
        if h == 24 && m == 0 && s_int == 0 && micros == 0 {
            return Err(Error::unsupported("time 24:00:00"));
        }
        return Err(field_overflow(whole));
    }
    let base = NaiveTime::from_hms_opt(h, m, s_int).ok_or_else(|| field_overflow(whole))?;
    // A fraction rounding up to a whole second may carry into the next minute (PostgreSQL does too).
    let t = base + Duration::microseconds(micros as i64);
    // Rounding 23:59:59.9999995 up would wrap to midnight; PostgreSQL gives 24:00:00, which
    // chrono cannot hold, so stay on the same day.
    if t < base {
        return Ok(NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999));
    }
    Ok(Some(t))
}

/// Splits a trailing time-zone designation (`Z`, `UTC`, `+02`, `-05:30`, `+0530`) off the input,
/// returning the remainder and the offset in seconds east of UTC.
fn split_zone(s: &str) -> (&str, Option<i32>) {
    let t = s.trim_end();
    for suffix in ["UTC", "utc", "GMT", "gmt", "Z", "z"] {
        if let Some(rest) = t.strip_suffix(suffix) {
            if rest.ends_with(|c: char| c.is_ascii_digit() || c == ' ') {
                return (rest.trim_end(), Some(0));
            }
        }
    }
    if let Some(pos) = t.rfind(['+', '-']) {
        let (rest, zone) = t.split_at(pos);
        // A '-' inside the date part (YYYY-MM-DD) is not a zone: zones follow a time.
        if rest.contains(':') {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let z = &zone[1..];
            let (h, m) = match z.split_once(':') {
                Some((h, m)) => (digits(h), digits(m)),
                None if z.len() == 4 && z.is_ascii() => (digits(&z[..2]), digits(&z[2..])),
                None => (digits(z), Some(0)),
            };
            if let (Some(h), Some(m)) = (h, m) {
                if h <= 15 && m < 60 {
                    return (rest.trim_end(), Some(sign * (h as i32 * 3600 + m as i32 * 60)));
                }
            }
        }
    }
    (t, None)
}

pub fn parse_date(input: &str) -> Result<NaiveDate> {
    let s = input.trim();
    match s.to_ascii_lowercase().as_str() {
        "epoch" => return NaiveDate::from_ymd_opt(1970, 1, 1).ok_or_else(|| bad_syntax("date", input)),
        "today" | "now" => return Ok(Utc::now().date_naive()),
        "infinity" | "-infinity" => return Err(Error::unsupported("infinite dates")),
        _ => {}
    }
    if let Some(d) = parse_date_part(s, input)? {
        return Ok(d);
    }
    // A timestamp's date part is accepted as a date, as PostgreSQL does.
    parse_timestamp_inner(s, input, "date").map(|(ts, _)| ts.date())
}

pub fn parse_time(input: &str) -> Result<NaiveTime> {
    let s = input.trim();
    let (body, _) = split_zone(s);
    if let Some(t) = parse_time_part(body, input)? {
        return Ok(t);
    }
    // `2024-01-05 04:05:06` is accepted as a time, keeping the time part.
    parse_timestamp_inner(s, input, "time")
        .map(|(ts, _)| ts.time())
        .map_err(|_| bad_syntax("time", input))
}

fn parse_timestamp_inner(s: &str, input: &str, ty: &str) -> Result<(NaiveDateTime, Option<i32>)> {
    match s.to_ascii_lowercase().as_str() {
        "epoch" => return Ok((DateTime::UNIX_EPOCH.naive_utc(), Some(0))),
        "now" => return Ok((Utc::now().naive_utc(), Some(0))),
        "today" => return Ok((Utc::now().date_naive().and_time(NaiveTime::MIN), Some(0))),
        "infinity" | "-infinity" => return Err(Error::unsupported("infinite timestamps")),
        _ => {}
    }
    let (body, zone) = split_zone(s);
    if let Some(d) = parse_date_part(body, input)? {
        return Ok((d.and_time(NaiveTime::MIN), zone));
    }
    // The date may itself contain spaces (`Jan 5 2024 04:05`): try each separator in turn.
    for (split, _) in body.match_indices([' ', 'T']) {
        let (date_s, time_s) = (body[..split].trim_end(), body[split + 1..].trim());
        if let Some(date) = parse_date_part(date_s, input)? {
            if let Some(time) = parse_time_part(time_s, input)? {
                return Ok((date.and_time(time), zone));
            }
        }
    }
    Err(bad_syntax(ty, input))
}

/// TIMESTAMP input; a time-zone designation is accepted and ignored, as PostgreSQL does.
pub fn parse_timestamp(input: &str) -> Result<NaiveDateTime> {
    parse_timestamp_inner(input.trim(), input, "timestamp").map(|(ts, _)| ts)
}

/// TIMESTAMPTZ input: an explicit offset is converted to UTC, none means the session zone (UTC).
pub fn parse_timestamptz(input: &str) -> Result<DateTime<Utc>> {
    let (ts, zone) = parse_timestamp_inner(input.trim(), input, "timestamp with time zone")?;
    let utc = ts - Duration::seconds(zone.unwrap_or(0) as i64);
    Ok(utc.and_utc())
}

pub fn format_date(d: &NaiveDate) -> String {
    let y = d.year();
    if y <= 0 {
        format!("{:04}-{:02}-{:02} BC", 1 - y, d.month(), d.day())
    } else {
        format!("{:04}-{:02}-{:02}", y, d.month(), d.day())
    }
}

/// `HH:MM:SS` plus the fraction with trailing zeros dropped, as PostgreSQL prints seconds.
pub fn format_time(t: &NaiveTime) -> String {
    let mut s = format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
    push_fraction(&mut s, (t.nanosecond() / 1000) as i64);
    s
}

fn push_fraction(s: &mut String, micros: i64) {
    if micros != 0 {
        let frac = format!("{micros:06}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
}

pub fn format_timestamp(ts: &NaiveDateTime) -> String {
    let d = ts.date();
    let mut s = format!(
        "{:04}-{:02}-{:02} {}",
        d.year().max(1),
        d.month(),
        d.day(),
        format_time(&ts.time())
    );
    if d.year() <= 0 {
        s = format!(
            "{:04}-{:02}-{:02} {} BC",
            1 - d.year(),
            d.month(),
            d.day(),
            format_time(&ts.time())
        );
    }
    s
}

pub fn format_timestamptz(ts: &DateTime<Utc>) -> String {
    let mut s = format_timestamp(&ts.naive_utc());
    if let Some(bc) = s.strip_suffix(" BC") {
        s = format!("{bc}+00 BC");
    } else {
        s.push_str("+00");
    }
    s
}

/// Adds months with PostgreSQL's clamp to the last day of the target month.
pub fn add_months(d: NaiveDate, months: i32) -> Result<NaiveDate> {
    let total = d.year() as i64 * 12 + d.month0() as i64 + months as i64;
    let year = i32::try_from(total.div_euclid(12)).map_err(|_| timestamp_out_of_range())?;
    let month = total.rem_euclid(12) as u32 + 1;
    let mut day = d.day();
    loop {
        if let Some(nd) = NaiveDate::from_ymd_opt(year, month, day) {
            return Ok(nd);
        }
        if day <= 28 {
            return Err(timestamp_out_of_range());
        }
        day -= 1;
    }
}

/// `timestamp + interval`: months first (clamped), then days, then the time.
pub fn add_interval(ts: NaiveDateTime, iv: &Interval) -> Result<NaiveDateTime> {
    let date = add_months(ts.date(), iv.months)?;
    let date = date
        .checked_add_signed(Duration::days(iv.days as i64))
        .ok_or_else(timestamp_out_of_range)?;
    date.and_time(ts.time())
        .checked_add_signed(Duration::microseconds(iv.micros))
        .ok_or_else(timestamp_out_of_range)
}

pub fn sub_interval(ts: NaiveDateTime, iv: &Interval) -> Result<NaiveDateTime> {
    let neg = Interval::new(
        iv.months.checked_neg().ok_or_else(timestamp_out_of_range)?,
        iv.days.checked_neg().ok_or_else(timestamp_out_of_range)?,
        iv.micros.checked_neg().ok_or_else(timestamp_out_of_range)?,
    );
    add_interval(ts, &neg)
}

/// `timestamp - timestamp`: days and microseconds, never months (PostgreSQL's `timestamp_mi`
/// then `justify_hours`).
pub fn timestamp_diff(a: NaiveDateTime, b: NaiveDateTime) -> Result<Interval> {
    let micros = (a - b)
        .num_microseconds()
        .ok_or_else(|| Error::out_of_range("interval"))?;
    let days = micros / MICROS_PER_DAY;
    let rest = micros % MICROS_PER_DAY;
    Ok(Interval::new(
        0,
        i32::try_from(days).map_err(|_| Error::out_of_range("interval"))?,
        rest,
    ))
}

/// Microseconds since midnight.
pub fn time_micros(t: &NaiveTime) -> i64 {
    t.num_seconds_from_midnight() as i64 * 1_000_000 + (t.nanosecond() / 1000) as i64
}

pub fn time_from_micros(micros: i64) -> NaiveTime {
    let m = micros.rem_euclid(MICROS_PER_DAY);
    NaiveTime::MIN + Duration::microseconds(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    #[test]
    fn date_forms() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 5).unwrap();
        for s in [
            "2024-01-05",
            "01/05/2024",
            "20240105",
            "January 5, 2024",
            "5 Jan 2024",
            " 2024-01-05 ",
        ] {
            assert_eq!(parse_date(s).unwrap(), d, "{s}");
        }
        assert_eq!(parse_date("2024-02-30").unwrap_err().sqlstate(), "22008");
        assert_eq!(parse_date("xyz").unwrap_err().sqlstate(), "22007");
        // Multi-byte text where a zone offset could be must not split a character.
        assert!(parse_timestamptz("2024-01-05 04:05:06+1é1").is_err());
        assert_eq!(format_date(&d), "2024-01-05");
    }

    #[test]
    fn timestamps_and_zones() {
        assert_eq!(
            parse_timestamp("2024-01-05T04:05:06").unwrap(),
            ts("2024-01-05 04:05:06")
        );
        let tz = parse_timestamptz("2024-01-05 04:05:06.5+02").unwrap();
        assert_eq!(format_timestamptz(&tz), "2024-01-05 02:05:06.5+00");
        let tz = parse_timestamptz("2024-01-05 04:05:06-05:30").unwrap();
        assert_eq!(format_timestamptz(&tz), "2024-01-05 09:35:06+00");
        let tz = parse_timestamptz("2024-01-05 04:05:06Z").unwrap();
        assert_eq!(format_timestamptz(&tz), "2024-01-05 04:05:06+00");
        assert_eq!(format_time(&parse_time("04:05:06.789").unwrap()), "04:05:06.789");
        assert_eq!(format_timestamp(&ts("2024-01-05 04:05:06.5")), "2024-01-05 04:05:06.5");
    }

    #[test]
    fn month_arithmetic_clamps() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 31).unwrap();
        assert_eq!(add_months(d, 1).unwrap(), NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
        assert_eq!(
            add_months(d, -2).unwrap(),
            NaiveDate::from_ymd_opt(2023, 11, 30).unwrap()
        );
        let diff = timestamp_diff(ts("2024-01-02 12:00:00"), ts("2024-01-01 00:00:00")).unwrap();
        assert_eq!(diff, Interval::new(0, 1, 12 * 3_600_000_000));
    }
}
