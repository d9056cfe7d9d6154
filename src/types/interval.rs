//! INTERVAL in PostgreSQL's three-field form: months, days and microseconds are kept apart
//! because a month has no fixed number of days and a day no fixed number of seconds (DST).

use serde::{Deserialize, Serialize};

use crate::error::{sqlstate, Error, Result};

/// An interval value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Interval {
    pub months: i32,
    pub days: i32,
    pub micros: i64,
}

pub const MICROS_PER_SECOND: i64 = 1_000_000;
pub const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

impl Interval {
    pub const fn new(months: i32, days: i32, micros: i64) -> Interval {
        Interval { months, days, micros }
    }

    /// The comparison key PostgreSQL uses (30-day months, 24-hour days), as i128 microseconds.
    pub fn comparable_micros(&self) -> i128 {
        self.months as i128 * 30 * MICROS_PER_DAY as i128
            + self.days as i128 * MICROS_PER_DAY as i128
            + self.micros as i128
    }
}

const MICROS_PER_HOUR: i64 = 3600 * MICROS_PER_SECOND;
const MICROS_PER_MINUTE: i64 = 60 * MICROS_PER_SECOND;

fn bad_interval(input: &str) -> Error {
    Error::sql(
        sqlstate::INVALID_DATETIME_FORMAT,
        format!("invalid input syntax for type interval: \"{input}\""),
    )
}

fn interval_overflow() -> Error {
    Error::out_of_range("interval")
}

/// Accumulates interval fields in wide types; fractions of a unit spill into the smaller
/// fields the way PostgreSQL's `AdjustFractDays`/`AdjustFractSeconds` do.
#[derive(Default)]
struct Acc {
    months: f64,
    days: f64,
    micros: f64,
}

impl Acc {
    fn add(&mut self, value: f64, unit: &str) -> bool {
        let (months, days, micros): (f64, f64, f64) = match unit {
            "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds" => (0.0, 0.0, 1.0),
            "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds" => (0.0, 0.0, 1000.0),
            "second" | "seconds" | "s" | "sec" | "secs" => (0.0, 0.0, 1e6),
            "minute" | "minutes" | "m" | "min" | "mins" => (0.0, 0.0, 6e7),
            "hour" | "hours" | "h" | "hr" | "hrs" => (0.0, 0.0, 3.6e9),
            "day" | "days" | "d" => (0.0, 1.0, 0.0),
            "week" | "weeks" | "w" => (0.0, 7.0, 0.0),
            "month" | "months" | "mon" | "mons" => (1.0, 0.0, 0.0),
            "year" | "years" | "y" | "yr" | "yrs" => (12.0, 0.0, 0.0),
            "decade" | "decades" => (120.0, 0.0, 0.0),
            "century" | "centuries" => (1200.0, 0.0, 0.0),
            "millennium" | "millennia" | "millenniums" => (12000.0, 0.0, 0.0),
            _ => return false,
        };
        if months != 0.0 {
            let m = value * months;
            let whole = m.trunc();
            self.months += whole;
            // A fractional month is 30 days.
            let d = (m - whole) * 30.0;
            let dw = d.trunc();
            self.days += dw;
            self.micros += ((d - dw) * MICROS_PER_DAY as f64).round();
        } else if days != 0.0 {
            let d = value * days;
            let dw = d.trunc();
            self.days += dw;
            self.micros += ((d - dw) * MICROS_PER_DAY as f64).round();
        } else {
            self.micros += (value * micros).round();
        }
        true
    }
}

impl Interval {
    /// Parses PostgreSQL's interval input: `1 year 2 mons`, `5 minutes`, `1.5 hours`, `01:02:03`,
    /// `-1 day +02:00:00`, `@ 1 minute ago`, a bare number (seconds).
    pub fn parse(input: &str) -> Result<Interval> {
        let lower = input.trim().to_ascii_lowercase();
        let mut s = lower.as_str();
        if let Some(rest) = s.strip_prefix('@') {
            s = rest.trim_start();
        }
        let mut ago = false;
        if let Some(rest) = s.strip_suffix("ago") {
            ago = true;
            s = rest.trim_end();
        }
        if let Some(iso) = s.strip_prefix('p') {
            return parse_iso8601(iso).ok_or_else(|| bad_interval(input));
        }
        let tokens: Vec<&str> = s.split_whitespace().collect();
        if tokens.is_empty() {
            return Err(bad_interval(input));
        }
        let mut acc = Acc::default();
        let mut i = 0;
        while i < tokens.len() {
            let tok = tokens[i];
            if tok.contains(':') {
                acc.micros += parse_clock(tok).ok_or_else(|| bad_interval(input))?;
                i += 1;
                continue;
            }
            // A number directly followed by its unit ("5min") or a separate unit token.
            let split = tok.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(tok.len());
            let (num, unit) = tok.split_at(split);
            let value: f64 = num.parse().map_err(|_| bad_interval(input))?;
            if !value.is_finite() {
                return Err(bad_interval(input));
            }
            let unit = if unit.is_empty() {
                match tokens.get(i + 1) {
                    Some(u) if u.starts_with(|c: char| c.is_ascii_alphabetic()) => {
                        i += 1;
                        *u
                    }
                    _ => "second",
                }
            } else {
                unit
            };
            if !acc.add(value, unit) {
                return Err(bad_interval(input));
            }
            i += 1;
        }
        let sign = if ago { -1.0 } else { 1.0 };
        let fit_i32 = |v: f64| -> Result<i32> {
            if v.abs() > i32::MAX as f64 {
                Err(interval_overflow())
            } else {
                Ok((v * sign) as i32)
            }
        };
        let micros = acc.micros * sign;
        if micros.abs() >= 9.2e18 {
            return Err(interval_overflow());
        }
        Ok(Interval::new(fit_i32(acc.months)?, fit_i32(acc.days)?, micros as i64))
    }

    /// PostgreSQL's `postgres` IntervalStyle: `1 year 2 mons 3 days 04:05:06`, `-1 days +02:00:00`,
    /// `00:00:00` for zero.
    pub fn to_postgres_string(&self) -> String {
        let mut out = String::new();
        let mut negative_seen = false;
        let years = self.months / 12;
        let months = self.months % 12;
        for (value, unit) in [(years, "year"), (months, "mon"), (self.days, "day")] {
            if value != 0 {
                if !out.is_empty() {
                    out.push(' ');
                }
                let plus = if negative_seen && value > 0 { "+" } else { "" };
                out.push_str(&format!("{plus}{value} {unit}{}", if value != 1 { "s" } else { "" }));
                negative_seen |= value < 0;
            }
        }
        if self.micros != 0 || out.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            let m = self.micros.unsigned_abs();
            if self.micros < 0 {
                out.push('-');
            } else if negative_seen {
                out.push('+');
            }
            let hours = m / MICROS_PER_HOUR as u64;
            let minutes = m / MICROS_PER_MINUTE as u64 % 60;
            let seconds = m / MICROS_PER_SECOND as u64 % 60;
            let frac = m % MICROS_PER_SECOND as u64;
            out.push_str(&format!("{hours:02}:{minutes:02}:{seconds:02}"));
            if frac != 0 {
                let f = format!("{frac:06}");
                out.push('.');
                out.push_str(f.trim_end_matches('0'));
            }
        }
        out
    }

    pub fn checked_add(&self, o: &Interval) -> Result<Interval> {
        Ok(Interval::new(
            self.months.checked_add(o.months).ok_or_else(interval_overflow)?,
            self.days.checked_add(o.days).ok_or_else(interval_overflow)?,
            self.micros.checked_add(o.micros).ok_or_else(interval_overflow)?,
        ))
    }

    pub fn checked_neg(&self) -> Result<Interval> {
        Ok(Interval::new(
            self.months.checked_neg().ok_or_else(interval_overflow)?,
            self.days.checked_neg().ok_or_else(interval_overflow)?,
            self.micros.checked_neg().ok_or_else(interval_overflow)?,
        ))
    }

    /// `interval * float8` as PostgreSQL's `interval_mul`: fractional months spill into days and
    /// fractional days into microseconds.
    pub fn mul_f64(&self, factor: f64) -> Result<Interval> {
        if factor.is_nan() {
            return Err(interval_overflow());
        }
        let months = self.months as f64 * factor;
        let days = self.days as f64 * factor;
        if months.abs() > i32::MAX as f64 || days.abs() > i32::MAX as f64 {
            return Err(interval_overflow());
        }
        let whole_months = months.trunc();
        let month_rest_days = (months - whole_months) * 30.0;
        let total_days = days + month_rest_days;
        let whole_days = total_days.trunc();
        let micros = self.micros as f64 * factor + (total_days - whole_days) * MICROS_PER_DAY as f64;
        if micros.abs() >= 9.2e18 || whole_days.abs() > i32::MAX as f64 {
            return Err(interval_overflow());
        }
        Ok(Interval::new(
            whole_months as i32,
            whole_days as i32,
            micros.round() as i64,
        ))
    }

    /// `justify_hours`: whole 24-hour spans of the time become days.
    pub fn justify_hours(&self) -> Interval {
        let mut days = self.days as i64 + self.micros / MICROS_PER_DAY;
        let mut micros = self.micros % MICROS_PER_DAY;
        if days > 0 && micros < 0 {
            micros += MICROS_PER_DAY;
            days -= 1;
        } else if days < 0 && micros > 0 {
            micros -= MICROS_PER_DAY;
            days += 1;
        }
        Interval::new(self.months, days.clamp(i32::MIN as i64, i32::MAX as i64) as i32, micros)
    }

    /// `justify_days`: whole 30-day spans become months.
    pub fn justify_days(&self) -> Interval {
        let mut months = self.months + self.days / 30;
        let mut days = self.days % 30;
        if months > 0 && days < 0 {
            days += 30;
            months -= 1;
        } else if months < 0 && days > 0 {
            days -= 30;
            months += 1;
        }
        Interval::new(months, days, self.micros)
    }
}

/// ISO 8601 durations after the `P`: `1Y2M3DT4H5M6.5S`, `2W`.
fn parse_iso8601(s: &str) -> Option<Interval> {
    let mut acc = Acc::default();
    let mut in_time = false;
    let mut num = String::new();
    for c in s.chars() {
        match c {
            't' => in_time = true,
            '0'..='9' | '.' | '-' | '+' => num.push(c),
            unit => {
                let value: f64 = num.parse().ok()?;
                num.clear();
                let name = match (unit, in_time) {
                    ('y', false) => "year",
                    ('m', false) => "month",
                    ('w', false) => "week",
                    ('d', false) => "day",
                    ('h', true) => "hour",
                    ('m', true) => "minute",
                    ('s', true) => "second",
                    _ => return None,
                };
                acc.add(value, name);
            }
        }
    }
    if !num.is_empty() {
        return None;
    }
    Some(Interval::new(acc.months as i32, acc.days as i32, acc.micros as i64))
}

/// `[-]HH:MM[:SS[.fff]]` as microseconds.
fn parse_clock(tok: &str) -> Option<f64> {
    let (neg, body) = match tok.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, tok.strip_prefix('+').unwrap_or(tok)),
    };
    let mut parts = body.split(':');
    let h: f64 = parts.next()?.parse::<u64>().ok()? as f64;
    let m: f64 = parts.next()?.parse::<u64>().ok()? as f64;
    let s: f64 = match parts.next() {
        Some(x) if !x.is_empty() && !x.starts_with(['-', '+']) => x.parse().ok()?,
        Some(_) => return None,
        None => 0.0,
    };
    if parts.next().is_some() || m >= 60.0 || s >= 60.0 {
        return None;
    }
    let micros = ((h * 3600.0 + m * 60.0) * 1e6 + (s * 1e6).round()).round();
    Some(if neg { -micros } else { micros })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(s: &str) -> String {
        Interval::parse(s).unwrap().to_postgres_string()
    }

    #[test]
    fn postgres_style_output() {
        // Expected strings as PostgreSQL 15 prints them.
        assert_eq!(show("-1 year"), "-1 years");
        assert_eq!(show("-1 day 2 hours"), "-1 days +02:00:00");
        assert_eq!(show("1.5 hours"), "01:30:00");
        assert_eq!(show("1.5 days"), "1 day 12:00:00");
        assert_eq!(show("1.5 months"), "1 mon 15 days");
        assert_eq!(show("1.5 years"), "1 year 6 mons");
        assert_eq!(show("@ 1 minute ago"), "-00:01:00");
        assert_eq!(show("-00:00:01"), "-00:00:01");
        assert_eq!(show("0"), "00:00:00");
        assert_eq!(
            show("1 year 2 months 3 days 4 hours 5 minutes 6.789 seconds"),
            "1 year 2 mons 3 days 04:05:06.789"
        );
        assert_eq!(show("2 weeks"), "14 days");
        assert_eq!(show("5"), "00:00:05");
        assert_eq!(show("01:02"), "01:02:00");
        assert_eq!(show("1 day -1 hour"), "1 day -01:00:00");
        assert_eq!(show("-1 day -1 hour"), "-1 days -01:00:00");
        assert_eq!(show("36 hours"), "36:00:00");
        assert_eq!(show("30 seconds"), "00:00:30");
        assert_eq!(show("P1D"), "1 day");
        assert_eq!(show("P1Y2M3DT4H5M6.5S"), "1 year 2 mons 3 days 04:05:06.5");
        assert_eq!(show("3 days ago"), "-3 days");
        assert_eq!(show("-1.5 days"), "-1 days -12:00:00");
        assert_eq!(show("10 ms"), "00:00:00.01");
        assert!(Interval::parse("abc").is_err());
    }

    #[test]
    fn multiplication_spills_fractions() {
        let iv = Interval::new(1, 0, 0).mul_f64(1.5).unwrap();
        assert_eq!(iv, Interval::new(1, 15, 0));
    }
}
