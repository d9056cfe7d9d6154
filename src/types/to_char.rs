//! `to_char(timestamp|interval|number, format)`: PostgreSQL's formatting templates for the
//! common patterns (YYYY MM DD HH24 MI SS MS US Mon Month Day Dy AM, FM, quoted text; number
//! masks with 9 0 . D , G S MI FM). Unsupported patterns give 0A000 rather than wrong output.

use chrono::{Datelike, NaiveDateTime, Timelike};
use rust_decimal::{Decimal, RoundingStrategy};

use super::interval::MICROS_PER_SECOND;
use super::{numeric, Value};
use crate::error::{Error, Result};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

pub fn to_char(value: &Value, format: &str) -> Result<String> {
    match value {
        Value::Timestamp(ts) => format_datetime(&Fields::from_timestamp(ts), format, false),
        Value::TimestampTz(ts) => format_datetime(&Fields::from_timestamp(&ts.naive_utc()), format, true),
        Value::Interval(iv) => {
            let mut micros = iv.micros;
            let hours = micros / (3600 * MICROS_PER_SECOND);
            micros -= hours * 3600 * MICROS_PER_SECOND;
            let f = Fields {
                year: (iv.months / 12) as i64,
                month: (iv.months % 12) as i64,
                day: iv.days as i64,
                hour: hours,
                minute: micros / (60 * MICROS_PER_SECOND),
                second: micros / MICROS_PER_SECOND % 60,
                micros: micros % MICROS_PER_SECOND,
                weekday: 0,
                yday: 0,
                iso_week: 0,
            };
            format_datetime(&f, format, false)
        }
        Value::Int2(v) => format_number(&Decimal::from(*v), format),
        Value::Int4(v) => format_number(&Decimal::from(*v), format),
        Value::Int8(v) => format_number(&Decimal::from(*v), format),
        Value::Numeric(d) => format_number(d, format),
        Value::Float4(f) => format_number(&numeric::from_f64(*f as f64, 6)?, format),
        Value::Float8(f) => format_number(&numeric::from_f64(*f, 15)?, format),
        other => Err(Error::unsupported(format!(
            "to_char for {}",
            other.data_type().display_name()
        ))),
    }
}

struct Fields {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    micros: i64,
    /// 0 = Sunday.
    weekday: usize,
    yday: i64,
    iso_week: i64,
}

impl Fields {
    fn from_timestamp(ts: &NaiveDateTime) -> Fields {
        let d = ts.date();
        let t = ts.time();
        Fields {
            year: d.year() as i64,
            month: d.month() as i64,
            day: d.day() as i64,
            hour: t.hour() as i64,
            minute: t.minute() as i64,
            second: t.second() as i64,
            micros: (t.nanosecond() / 1000) as i64,
            weekday: d.weekday().num_days_from_sunday() as usize,
            yday: d.ordinal() as i64,
            iso_week: d.iso_week().week() as i64,
        }
    }
}

fn cased(word: &str, pattern: &str) -> String {
    if pattern.chars().all(|c| c.is_ascii_uppercase()) {
        word.to_uppercase()
    } else if pattern.chars().all(|c| c.is_ascii_lowercase()) {
        word.to_lowercase()
    } else {
        word.to_string()
    }
}

/// Date/time patterns, longest first so `HH24` wins over `HH` and `MONTH` over `MON`.
const PATTERNS: &[&str] = &[
    "HH24", "HH12", "HH", "MI", "SSSS", "SS", "MS", "US", "AM", "am", "PM", "pm", "A.M.", "a.m.", "P.M.", "p.m.",
    "YYYY", "YYY", "YY", "Y", "MONTH", "Month", "month", "MON", "Mon", "mon", "MM", "DAY", "Day", "day", "DY", "Dy",
    "dy", "DDD", "DD", "D", "ID", "IW", "WW", "Q", "CC", "J", "TZ", "tz", "OF",
];

fn format_datetime(f: &Fields, format: &str, with_tz: bool) -> Result<String> {
    let mut out = String::new();
    let mut rest = format;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('"') {
            let end = r.find('"').unwrap_or(r.len());
            out.push_str(&r[..end]);
            rest = r.get(end + 1..).unwrap_or("");
            continue;
        }
        if let Some(r) = rest.strip_prefix('\\') {
            let mut chars = r.chars();
            if let Some(c) = chars.next() {
                out.push(c);
            }
            rest = chars.as_str();
            continue;
        }
        let (fm, body) = match rest.strip_prefix("FM").or_else(|| rest.strip_prefix("fm")) {
            Some(b) => (true, b),
            None => (false, rest),
        };
        let Some(pat) = PATTERNS.iter().find(|p| body.starts_with(**p)) else {
            let mut chars = rest.chars();
            if let Some(c) = chars.next() {
                out.push(c);
            }
            rest = chars.as_str();
            continue;
        };
        rest = &body[pat.len()..];
        let num = |v: i64, width: usize| if fm { v.to_string() } else { format!("{v:0width$}") };
        let word = |w: &str, pad: bool| {
            let w = cased(w, pat);
            if pad && !fm {
                format!("{w:<9}")
            } else {
                w
            }
        };
        let hour12 = if f.hour % 12 == 0 { 12 } else { f.hour % 12 };
        let pm = f.hour >= 12;
        let month_name = MONTHS.get((f.month.max(1) - 1) as usize).copied().unwrap_or("");
        let day_name = DAYS.get(f.weekday).copied().unwrap_or("");
        let piece = match *pat {
            "HH24" => num(f.hour, 2),
            "HH12" | "HH" => num(hour12, 2),
            "MI" => num(f.minute, 2),
            "SS" => num(f.second, 2),
            "SSSS" => (f.hour * 3600 + f.minute * 60 + f.second).to_string(),
            "MS" => num(f.micros / 1000, 3),
            "US" => num(f.micros, 6),
            "AM" | "PM" => (if pm { "PM" } else { "AM" }).to_string(),
            "am" | "pm" => (if pm { "pm" } else { "am" }).to_string(),
            "A.M." | "P.M." => (if pm { "P.M." } else { "A.M." }).to_string(),
            "a.m." | "p.m." => (if pm { "p.m." } else { "a.m." }).to_string(),
            "YYYY" => num(f.year, 4),
            "YYY" => num(f.year % 1000, 3),
            "YY" => num(f.year % 100, 2),
            "Y" => (f.year % 10).to_string(),
            "MONTH" | "Month" | "month" => word(month_name, true),
            "MON" | "Mon" | "mon" => word(&month_name[..month_name.len().min(3)], false),
            "MM" => num(f.month, 2),
            "DAY" | "Day" | "day" => word(day_name, true),
            "DY" | "Dy" | "dy" => word(&day_name[..day_name.len().min(3)], false),
            "DDD" => num(f.yday, 3),
            "DD" => num(f.day, 2),
            "D" => (f.weekday + 1).to_string(),
            "ID" => (if f.weekday == 0 { 7 } else { f.weekday }).to_string(),
            "IW" => num(f.iso_week, 2),
            "WW" => num((f.yday - 1) / 7 + 1, 2),
            "Q" => ((f.month - 1) / 3 + 1).to_string(),
            "CC" => num((f.year - 1) / 100 + 1, 2),
            "J" => return Err(Error::unsupported("to_char pattern J")),
            "TZ" => (if with_tz { "UTC" } else { "" }).to_string(),
            "tz" => (if with_tz { "utc" } else { "" }).to_string(),
            "OF" => (if with_tz { "+00" } else { "" }).to_string(),
            _ => String::new(),
        };
        out.push_str(&piece);
        // `TH`/`th` after a number adds its ordinal suffix (1st, 2nd, 3rd, 4th, 11th).
        let ordinal = rest
            .strip_prefix("TH")
            .map(|r| (r, true))
            .or_else(|| rest.strip_prefix("th").map(|r| (r, false)));
        if let (Some((after, upper)), Ok(n)) = (ordinal, piece.trim().parse::<i64>()) {
            let suffix = match (n % 100, n % 10) {
                (11..=13, _) => "th",
                (_, 1) => "st",
                (_, 2) => "nd",
                (_, 3) => "rd",
                _ => "th",
            };
            out.push_str(&if upper {
                suffix.to_uppercase()
            } else {
                suffix.to_string()
            });
            rest = after;
        }
    }
    Ok(out)
}

/// Number masks: `9` (digit or blank), `0` (digit), `.`/`D` (point), `,`/`G` (group), `S`
/// (sign), `MI` (trailing minus), `FM` (no padding).
fn format_number(value: &Decimal, format: &str) -> Result<String> {
    let upper = format.to_ascii_uppercase();
    let fm = upper.contains("FM");
    let mask = upper.replace("FM", "");
    let sign_mi = mask.ends_with("MI");
    let mask = mask.trim_end_matches("MI").to_string();
    let (sign_lead, sign_trail) = (mask.starts_with('S'), mask.ends_with('S') && !mask.starts_with('S'));
    let mask = mask.trim_matches('S').to_string();
    if mask.chars().any(|c| !matches!(c, '9' | '0' | '.' | 'D' | ',' | 'G')) {
        return Err(Error::unsupported(format!("to_char number format \"{format}\"")));
    }
    let (int_mask, frac_mask) = match mask.find(['.', 'D']) {
        Some(i) => (&mask[..i], Some(&mask[i + 1..])),
        None => (mask.as_str(), None),
    };
    let frac_digits = frac_mask
        .map(|m| m.chars().filter(|c| *c == '9' || *c == '0').count())
        .unwrap_or(0);
    let rounded = value
        .abs()
        .round_dp_with_strategy(frac_digits as u32, RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{:.*}", frac_digits, rounded);
    let (int_text, frac_text) = text.split_once('.').unwrap_or((&text, ""));
    // A zero integer part prints no digit before a decimal point (`  .50`), but `0` on its own.
    let int_digits: Vec<char> = if int_text == "0" && frac_mask.is_some() {
        Vec::new()
    } else {
        int_text.chars().collect()
    };
    let positions = int_mask.chars().filter(|c| *c == '9' || *c == '0').count();
    let overflow = int_digits.len() > positions;
    // The integer part, right to left; zero-fill starts at the leftmost `0` of the mask.
    let zero_from = int_mask.find('0');
    let mut int_out: Vec<char> = Vec::new();
    let mut remaining = int_digits.len();
    for (i, c) in int_mask.char_indices().rev() {
        let zero_fill = zero_from.is_some_and(|z| i >= z);
        match c {
            '9' | '0' => {
                if overflow {
                    int_out.push('#');
                } else if remaining > 0 {
                    remaining -= 1;
                    int_out.push(int_digits[remaining]);
                } else if zero_fill {
                    int_out.push('0');
                } else {
                    int_out.push(' ');
                }
            }
            _ => {
                // A group separator shows only between printed digits.
                let printed_left = remaining > 0 || zero_fill;
                int_out.push(if printed_left { ',' } else { ' ' });
            }
        }
    }
    int_out.reverse();
    let mut body: String = int_out.into_iter().collect();
    if let Some(frac_mask) = frac_mask {
        body.push('.');
        let mut digits = frac_text.chars();
        let mut frac = String::new();
        for c in frac_mask.chars() {
            if c == '9' || c == '0' {
                frac.push(if overflow { '#' } else { digits.next().unwrap_or('0') });
            }
        }
        if fm {
            // FM drops trailing zeros where the mask says 9.
            let mut keep = frac.len();
            let kinds: Vec<char> = frac_mask.chars().filter(|c| *c == '9' || *c == '0').collect();
            for (i, c) in kinds.into_iter().enumerate().rev() {
                if c == '9' && frac.as_bytes().get(i) == Some(&b'0') && keep == i + 1 {
                    keep = i;
                }
            }
            frac.truncate(keep);
        }
        body.push_str(&frac);
    }
    let negative = value.is_sign_negative() && !rounded.is_zero();
    let sign = if negative {
        '-'
    } else if sign_lead || sign_trail {
        '+'
    } else {
        ' '
    };
    let mut out = if sign_mi {
        let mut s = body;
        s.push(if negative { '-' } else { ' ' });
        s
    } else if sign_trail {
        let mut s = body;
        s.push(sign);
        s
    } else {
        // The sign sits just left of the first printed character.
        let first = body.find(|c| c != ' ').unwrap_or(body.len());
        format!("{}{}{}", &body[..first], sign, &body[first..])
    };
    if fm {
        out = out.trim().to_string();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{text, DataType};
    use std::str::FromStr;

    fn ts(s: &str) -> Value {
        text::parse(s, &DataType::Timestamp).unwrap()
    }

    fn n(s: &str) -> Value {
        Value::Numeric(Decimal::from_str(s).unwrap())
    }

    #[test]
    fn datetime_patterns_match_postgres() {
        // Expected strings from PostgreSQL 15.
        let t = ts("2024-01-05 14:05:06.789");
        assert_eq!(
            to_char(&t, "YYYY-MM-DD HH24:MI:SS.MS US").unwrap(),
            "2024-01-05 14:05:06.789 789000"
        );
        let t = ts("2024-01-05 14:05:06");
        assert_eq!(
            to_char(&t, "Mon Month Day Dy HH12 AM am FMMonth FMDD DDD D Q YY").unwrap(),
            "Jan January   Friday    Fri 02 PM pm January 5 005 6 1 24"
        );
        assert_eq!(to_char(&t, "\"Year\" YYYY").unwrap(), "Year 2024");
        assert_eq!(to_char(&ts("2024-01-01"), "DDth FMDDTH").unwrap(), "01st 1ST");
        assert_eq!(to_char(&ts("2024-01-12"), "FMDDth").unwrap(), "12th");
        let iv = text::parse("1 day 02:03:04", &DataType::Interval).unwrap();
        assert_eq!(to_char(&iv, "HH24:MI:SS").unwrap(), "02:03:04");
    }

    #[test]
    fn number_masks_match_postgres() {
        assert_eq!(to_char(&Value::Int4(123), "999").unwrap(), " 123");
        assert_eq!(to_char(&n("123.456"), "999.99").unwrap(), " 123.46");
        assert_eq!(to_char(&n("-123.456"), "999.99").unwrap(), "-123.46");
        assert_eq!(to_char(&Value::Int4(5), "000").unwrap(), " 005");
        assert_eq!(to_char(&Value::Int4(1234567), "9,999,999").unwrap(), " 1,234,567");
        assert_eq!(to_char(&Value::Int4(12345), "999").unwrap(), " ###");
        assert_eq!(to_char(&n("0.5"), "9.99").unwrap(), "  .50");
        assert_eq!(to_char(&n("0.5"), "0.99").unwrap(), " 0.50");
        assert_eq!(to_char(&n("1.5"), "FM999.99").unwrap(), "1.5");
        assert_eq!(to_char(&Value::Int4(-5), "S999").unwrap(), "  -5");
        assert_eq!(to_char(&Value::Int4(5), "S999").unwrap(), "  +5");
        assert_eq!(to_char(&Value::Int4(-5), "999MI").unwrap(), "  5-");
        assert_eq!(to_char(&Value::Int4(1485), "9G999").unwrap(), " 1,485");
        assert_eq!(to_char(&n("12.5"), "99D9").unwrap(), " 12.5");
        assert_eq!(to_char(&Value::Int4(0), "999").unwrap(), "   0");
        assert_eq!(to_char(&n("-0.5"), "FM9990.00").unwrap(), "-0.50");
        assert_eq!(to_char(&n("1234.5"), "FM9,999.99").unwrap(), "1,234.5");
        assert_eq!(to_char(&n("1"), "FM999.99").unwrap(), "1.");
    }
}
