//! Date/time SQL functions: the clock (`now()` and friends), `date_trunc`, `EXTRACT` /
//! `date_part`, `age`, the `make_*` constructors and `to_timestamp`.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use rust_decimal::Decimal;

use super::functions::{arg, f64_arg, int_arg, text_arg, FunctionContext, ScalarFunc};
use super::interval::{Interval, MICROS_PER_DAY, MICROS_PER_SECOND};
use super::{datetime, numeric, to_char, to_date, Value};
use crate::error::{sqlstate, Error, Result};

fn unit_not_recognized(unit: &str, ty: &str) -> Error {
    Error::sql(
        sqlstate::INVALID_PARAMETER_VALUE,
        format!("unit \"{unit}\" not recognized for type {ty}"),
    )
}

fn unit_not_supported(unit: &str, ty: &str) -> Error {
    Error::sql(
        sqlstate::FEATURE_NOT_SUPPORTED,
        format!("unit \"{unit}\" not supported for type {ty}"),
    )
}

/// PostgreSQL accepts plurals and abbreviations of field names.
fn normalize_unit(unit: &str) -> String {
    let u = unit.trim().to_ascii_lowercase();
    match u.as_str() {
        "microseconds" | "microsecond" | "us" | "usec" | "usecs" => "microseconds",
        "milliseconds" | "millisecond" | "ms" | "msec" | "msecs" => "milliseconds",
        "second" | "seconds" | "s" | "sec" | "secs" => "second",
        "minute" | "minutes" | "m" | "min" | "mins" => "minute",
        "hour" | "hours" | "h" | "hr" | "hrs" => "hour",
        "day" | "days" | "d" => "day",
        "week" | "weeks" | "w" => "week",
        "month" | "months" | "mon" | "mons" => "month",
        "quarter" | "qtr" => "quarter",
        "year" | "years" | "y" | "yr" | "yrs" => "year",
        "decade" | "decades" => "decade",
        "century" | "centuries" => "century",
        "millennium" | "millennia" | "millenniums" => "millennium",
        other => return other.to_string(),
    }
    .to_string()
}

fn trunc_timestamp(unit: &str, ts: NaiveDateTime, ty: &str) -> Result<NaiveDateTime> {
    let d = ts.date();
    let t = ts.time();
    let midnight = |d: NaiveDate| d.and_time(NaiveTime::MIN);
    let ymd = |y: i32, m: u32| {
        NaiveDate::from_ymd_opt(y, m, 1)
            .map(midnight)
            .ok_or_else(datetime::timestamp_out_of_range)
    };
    Ok(match normalize_unit(unit).as_str() {
        "microseconds" => ts,
        "milliseconds" => d.and_time(t.with_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000).unwrap_or(t)),
        "second" => d.and_time(t.with_nanosecond(0).unwrap_or(t)),
        "minute" => d.and_hms_opt(t.hour(), t.minute(), 0).unwrap_or(ts),
        "hour" => d.and_hms_opt(t.hour(), 0, 0).unwrap_or(ts),
        "day" => midnight(d),
        "week" => midnight(d - Duration::days(d.weekday().num_days_from_monday() as i64)),
        "month" => ymd(d.year(), d.month())?,
        "quarter" => ymd(d.year(), (d.month0() / 3) * 3 + 1)?,
        "year" => ymd(d.year(), 1)?,
        "decade" => ymd(d.year().div_euclid(10) * 10, 1)?,
        "century" => ymd((d.year() - 1).div_euclid(100) * 100 + 1, 1)?,
        "millennium" => ymd((d.year() - 1).div_euclid(1000) * 1000 + 1, 1)?,
        _ => return Err(unit_not_recognized(unit, ty)),
    })
}

fn trunc_interval(unit: &str, iv: &Interval) -> Result<Interval> {
    let m = iv.micros;
    Ok(match normalize_unit(unit).as_str() {
        "microseconds" => *iv,
        "milliseconds" => Interval::new(iv.months, iv.days, m - m % 1000),
        "second" => Interval::new(iv.months, iv.days, m - m % MICROS_PER_SECOND),
        "minute" => Interval::new(iv.months, iv.days, m - m % (60 * MICROS_PER_SECOND)),
        "hour" => Interval::new(iv.months, iv.days, m - m % (3600 * MICROS_PER_SECOND)),
        "day" => Interval::new(iv.months, iv.days, 0),
        "month" => Interval::new(iv.months, 0, 0),
        "quarter" => Interval::new(iv.months - iv.months % 3, 0, 0),
        "year" => Interval::new(iv.months - iv.months % 12, 0, 0),
        "decade" => Interval::new(iv.months - iv.months % 120, 0, 0),
        "century" => Interval::new(iv.months - iv.months % 1200, 0, 0),
        "millennium" => Interval::new(iv.months - iv.months % 12000, 0, 0),
        _ => return Err(unit_not_recognized(unit, "interval")),
    })
}

/// A field value as a NUMERIC of PostgreSQL 15's scale (seconds carry 6 digits, milliseconds 3).
fn micros_field(total_micros: i128, unit: &str) -> Option<Decimal> {
    Some(match unit {
        "microseconds" => Decimal::from_i128_with_scale(total_micros, 0),
        "milliseconds" => Decimal::from_i128_with_scale(total_micros, 3),
        "second" | "epoch" => Decimal::from_i128_with_scale(total_micros, 6),
        _ => return None,
    })
}

fn int_field(v: i64) -> Decimal {
    Decimal::from(v)
}

/// EXTRACT over a date/time value with a time part (timestamps and times).
fn extract_timestamp(unit: &str, ts: NaiveDateTime, is_tz: bool, ty: &str) -> Result<Decimal> {
    let d = ts.date();
    let t = ts.time();
    let sec_micros = (t.second() as i128) * 1_000_000 + (t.nanosecond() / 1000) as i128;
    let u = normalize_unit(unit);
    if let Some(v) = micros_field(sec_micros, &u).filter(|_| u != "epoch") {
        return Ok(v);
    }
    Ok(match u.as_str() {
        "epoch" => Decimal::from_i128_with_scale(ts.and_utc().timestamp_micros() as i128, 6),
        "minute" => int_field(t.minute() as i64),
        "hour" => int_field(t.hour() as i64),
        "timezone" | "timezone_hour" | "timezone_minute" if is_tz => int_field(0),
        _ => extract_date_part(&u, d).ok_or_else(|| unit_not_recognized(unit, ty))?,
    })
}

/// Calendar fields shared by dates and timestamps.
fn extract_date_part(u: &str, d: NaiveDate) -> Option<Decimal> {
    let y = d.year() as i64;
    Some(int_field(match u {
        "day" => d.day() as i64,
        "month" => d.month() as i64,
        "quarter" => (d.month0() / 3 + 1) as i64,
        "year" => y,
        "decade" => y.div_euclid(10),
        "century" => (y - 1).div_euclid(100) + 1,
        "millennium" => (y - 1).div_euclid(1000) + 1,
        "dow" => d.weekday().num_days_from_sunday() as i64,
        "isodow" => d.weekday().number_from_monday() as i64,
        "doy" => d.ordinal() as i64,
        "week" => d.iso_week().week() as i64,
        "isoyear" => d.iso_week().year() as i64,
        "julian" => d.num_days_from_ce() as i64 + 1_721_425,
        _ => return None,
    }))
}

fn extract(unit: &str, v: &Value) -> Result<Decimal> {
    let u = normalize_unit(unit);
    match v {
        Value::Timestamp(ts) => extract_timestamp(unit, *ts, false, "timestamp without time zone"),
        Value::TimestampTz(ts) => extract_timestamp(unit, ts.naive_utc(), true, "timestamp with time zone"),
        Value::Date(d) => match u.as_str() {
            "epoch" => Ok(int_field(d.and_time(NaiveTime::MIN).and_utc().timestamp())),
            "hour" | "minute" | "second" | "milliseconds" | "microseconds" => Err(unit_not_supported(unit, "date")),
            _ => extract_date_part(&u, *d).ok_or_else(|| unit_not_recognized(unit, "date")),
        },
        Value::Time(t) => {
            let micros = datetime::time_micros(t) as i128;
            match u.as_str() {
                "epoch" => Ok(Decimal::from_i128_with_scale(micros, 6)),
                "hour" => Ok(int_field(t.hour() as i64)),
                "minute" => Ok(int_field(t.minute() as i64)),
                _ => micros_field(micros % 60_000_000, &u)
                    .ok_or_else(|| unit_not_recognized(unit, "time without time zone")),
            }
        }
        Value::Interval(iv) => {
            let sec_micros = (iv.micros % (60 * MICROS_PER_SECOND)) as i128;
            if let Some(v) = micros_field(sec_micros, &u).filter(|_| u != "epoch") {
                return Ok(v);
            }
            let years = (iv.months / 12) as i64;
            Ok(match u.as_str() {
                "epoch" => {
                    // PostgreSQL counts a year as 365.25 days and a month as 30 days here.
                    let secs_months = (years as i128) * 31_557_600 + ((iv.months % 12) as i128) * 2_592_000;
                    let micros = (secs_months + iv.days as i128 * 86_400) * 1_000_000 + iv.micros as i128;
                    Decimal::from_i128_with_scale(micros, 6)
                }
                "minute" => int_field(iv.micros / (60 * MICROS_PER_SECOND) % 60),
                "hour" => int_field(iv.micros / (3600 * MICROS_PER_SECOND)),
                "day" => int_field(iv.days as i64),
                "month" => int_field((iv.months % 12) as i64),
                "quarter" => int_field(((iv.months % 12) / 3 + 1) as i64),
                "year" => int_field(years),
                "decade" => int_field(years / 10),
                "century" => int_field(years / 100),
                "millennium" => int_field(years / 1000),
                _ => return Err(unit_not_recognized(unit, "interval")),
            })
        }
        other => Err(Error::bug(format!("extract from {:?}", other.data_type()))),
    }
}

fn days_in_month(year: i32, month: u32) -> i64 {
    let (ny, nm) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    match (
        NaiveDate::from_ymd_opt(ny, nm, 1),
        NaiveDate::from_ymd_opt(year, month, 1),
    ) {
        (Some(a), Some(b)) => (a - b).num_days(),
        _ => 30,
    }
}

/// `age(a, b)`: symbolic years/months/days as PostgreSQL's `timestamp_age`, borrowing days from
/// the month of the earlier timestamp.
fn age(a: NaiveDateTime, b: NaiveDateTime) -> Result<Interval> {
    if a < b {
        return age(b, a)?.checked_neg();
    }
    let mut micros = datetime::time_micros(&a.time()) - datetime::time_micros(&b.time());
    let mut days = a.day() as i64 - b.day() as i64;
    let mut months = a.month() as i64 - b.month() as i64;
    let mut years = a.year() as i64 - b.year() as i64;
    if micros < 0 {
        micros += MICROS_PER_DAY;
        days -= 1;
    }
    if days < 0 {
        days += days_in_month(b.year(), b.month());
        months -= 1;
    }
    if months < 0 {
        months += 12;
        years -= 1;
    }
    let months = i32::try_from(years * 12 + months).map_err(|_| Error::out_of_range("interval"))?;
    Ok(Interval::new(months, days as i32, micros))
}

fn seconds_text(sec: f64) -> String {
    let s = super::text::format_float8(sec);
    if (0.0..10.0).contains(&sec) {
        format!("0{s}")
    } else {
        s
    }
}

fn make_time(h: i64, m: i64, sec: f64) -> Result<NaiveTime> {
    if !(0..24).contains(&h) || !(0..60).contains(&m) || !(0.0..60.0).contains(&sec) {
        return Err(Error::sql(
            sqlstate::DATETIME_FIELD_OVERFLOW,
            format!("time field value out of range: {h}:{m:02}:{}", seconds_text(sec)),
        ));
    }
    let micros = (sec * 1e6).round() as i64;
    Ok(NaiveTime::MIN + Duration::microseconds((h * 3600 + m * 60) * MICROS_PER_SECOND + micros))
}

fn make_date(y: i64, m: i64, d: i64) -> Result<NaiveDate> {
    if y == 0 {
        return Err(Error::sql(
            sqlstate::DATETIME_FIELD_OVERFLOW,
            format!("date field value out of range: {y}-{m:02}-{d:02}"),
        ));
    }
    // Negative years are BC: year -1 is 1 BC, which chrono numbers 0.
    let year = if y < 0 { y + 1 } else { y };
    i32::try_from(year)
        .ok()
        .and_then(|yy| NaiveDate::from_ymd_opt(yy, u32::try_from(m).ok()?, u32::try_from(d).ok()?))
        .ok_or_else(|| {
            Error::sql(
                sqlstate::DATETIME_FIELD_OVERFLOW,
                format!("date field value out of range: {y}-{m:02}-{d:02}"),
            )
        })
}

/// Evaluates a date/time function; `None` when `func` is not one.
pub(super) fn call(func: ScalarFunc, args: &[Value], ctx: &FunctionContext) -> Result<Option<Value>> {
    use ScalarFunc as S;
    use Value::*;
    Ok(Some(match func {
        S::Now => TimestampTz(ctx.transaction_start),
        S::StatementTimestamp => TimestampTz(ctx.statement_start),
        S::ClockTimestamp => TimestampTz(Utc::now()),
        S::CurrentDate => Date(ctx.transaction_start.date_naive()),
        S::CurrentTime => Time(ctx.transaction_start.time()),
        S::LocalTimestamp => Timestamp(ctx.transaction_start.naive_utc()),
        S::DateTrunc => {
            let unit = text_arg(args, 0)?;
            match arg(args, 1)? {
                Timestamp(ts) => Timestamp(trunc_timestamp(unit, *ts, "timestamp without time zone")?),
                TimestampTz(ts) => {
                    TimestampTz(trunc_timestamp(unit, ts.naive_utc(), "timestamp with time zone")?.and_utc())
                }
                Interval(iv) => Interval(trunc_interval(unit, iv)?),
                other => return Err(Error::bug(format!("date_trunc on {:?}", other.data_type()))),
            }
        }
        S::Extract => Numeric(extract(text_arg(args, 0)?, arg(args, 1)?)?),
        S::DatePart => Float8(numeric::to_f64(&extract(text_arg(args, 0)?, arg(args, 1)?)?)),
        S::Age => {
            let today = ctx.transaction_start.date_naive().and_time(NaiveTime::MIN);
            let (a, b) = match (arg(args, 0)?, args.get(1)) {
                (Timestamp(a), Some(Timestamp(b))) => (*a, *b),
                (TimestampTz(a), Some(TimestampTz(b))) => (a.naive_utc(), b.naive_utc()),
                (Timestamp(b), None) => (today, *b),
                (TimestampTz(b), None) => (today, b.naive_utc()),
                _ => return Err(Error::bug("age() on non-timestamp arguments")),
            };
            Interval(age(a, b)?)
        }
        S::MakeDate => Date(make_date(int_arg(args, 0)?, int_arg(args, 1)?, int_arg(args, 2)?)?),
        S::MakeTime => Time(make_time(int_arg(args, 0)?, int_arg(args, 1)?, f64_arg(args, 2)?)?),
        S::MakeTimestamp => {
            let d = make_date(int_arg(args, 0)?, int_arg(args, 1)?, int_arg(args, 2)?)?;
            Timestamp(d.and_time(make_time(int_arg(args, 3)?, int_arg(args, 4)?, f64_arg(args, 5)?)?))
        }
        S::MakeInterval => {
            let get = |i: usize| if args.len() > i { int_arg(args, i) } else { Ok(0) };
            let (years, months, weeks, days, hours, mins) = (get(0)?, get(1)?, get(2)?, get(3)?, get(4)?, get(5)?);
            let secs = if args.len() > 6 { f64_arg(args, 6)? } else { 0.0 };
            let total_months = years.checked_mul(12).and_then(|y| y.checked_add(months));
            let total_days = weeks.checked_mul(7).and_then(|w| w.checked_add(days));
            let micros = (hours as f64 * 3600.0 + mins as f64 * 60.0 + secs) * 1e6;
            match (
                total_months.and_then(|m| i32::try_from(m).ok()),
                total_days.and_then(|d| i32::try_from(d).ok()),
            ) {
                (Some(m), Some(d)) if micros.is_finite() && micros.abs() < 9.2e18 => {
                    Interval(super::Interval::new(m, d, micros.round() as i64))
                }
                _ => return Err(Error::out_of_range("interval")),
            }
        }
        S::ToTimestamp if args.len() == 2 => {
            TimestampTz(to_date::to_timestamp(text_arg(args, 0)?, text_arg(args, 1)?)?.and_utc())
        }
        S::ToDate => Date(to_date::to_date(text_arg(args, 0)?, text_arg(args, 1)?)?),
        S::ToTimestamp => {
            let secs = f64_arg(args, 0)?;
            if secs.is_nan() {
                return Err(Error::sql(sqlstate::DATETIME_FIELD_OVERFLOW, "timestamp cannot be NaN"));
            }
            let micros = (secs * 1e6).round();
            if !micros.is_finite() || micros.abs() > 9.2e18 {
                return Err(datetime::timestamp_out_of_range());
            }
            TimestampTz(DateTime::from_timestamp_micros(micros as i64).ok_or_else(datetime::timestamp_out_of_range)?)
        }
        S::ToChar => Text(to_char::to_char(arg(args, 0)?, text_arg(args, 1)?)?),
        S::JustifyDays => match arg(args, 0)? {
            Interval(iv) => Interval(iv.justify_days()),
            _ => return Err(Error::bug("justify_days on non-interval")),
        },
        S::JustifyHours => match arg(args, 0)? {
            Interval(iv) => Interval(iv.justify_hours()),
            _ => return Err(Error::bug("justify_hours on non-interval")),
        },
        // Vellum has no infinite dates or timestamps.
        S::IsFinite => Bool(true),
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{text, DataType};

    fn ctx() -> FunctionContext {
        let t = text::parse("2024-03-10 12:00:00", &DataType::TimestampTz).unwrap();
        let Value::TimestampTz(t) = t else { unreachable!() };
        FunctionContext {
            transaction_start: t,
            statement_start: t,
            user: None,
        }
    }

    fn p(s: &str, t: DataType) -> Value {
        text::parse(s, &t).unwrap()
    }

    fn run(func: ScalarFunc, args: &[Value]) -> String {
        text::format(&call(func, args, &ctx()).unwrap().unwrap()).unwrap()
    }

    fn u(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn extract_matches_postgres15() {
        // select extract(epoch from timestamp '2024-01-05 01:02:03.5'), date_part('epoch', same),
        //        extract(second from time '01:02:03.5'), extract(dow from date '2024-01-07'),
        //        extract(month from interval '14 months'), extract(epoch from interval '1 day')
        let ts = p("2024-01-05 01:02:03.5", DataType::Timestamp);
        assert_eq!(run(ScalarFunc::Extract, &[u("epoch"), ts.clone()]), "1704416523.500000");
        assert_eq!(run(ScalarFunc::DatePart, &[u("epoch"), ts.clone()]), "1704416523.5");
        assert_eq!(
            run(ScalarFunc::Extract, &[u("second"), p("01:02:03.5", DataType::Time)]),
            "3.500000"
        );
        assert_eq!(
            run(ScalarFunc::Extract, &[u("dow"), p("2024-01-07", DataType::Date)]),
            "0"
        );
        assert_eq!(
            run(ScalarFunc::Extract, &[u("month"), p("14 months", DataType::Interval)]),
            "2"
        );
        assert_eq!(
            run(ScalarFunc::Extract, &[u("epoch"), p("1 day", DataType::Interval)]),
            "86400.000000"
        );
        assert_eq!(run(ScalarFunc::Extract, &[u("YEAR"), ts.clone()]), "2024");
        assert_eq!(run(ScalarFunc::Extract, &[u("milliseconds"), ts.clone()]), "3500.000");
        assert_eq!(run(ScalarFunc::Extract, &[u("quarter"), ts]), "1");
        let e = call(
            ScalarFunc::Extract,
            &[u("hour"), p("2024-01-07", DataType::Date)],
            &ctx(),
        )
        .unwrap_err();
        assert_eq!(e.message(), "unit \"hour\" not supported for type date");
    }

    #[test]
    fn trunc_age_and_constructors() {
        let ts = p("2024-05-17 13:45:12.345", DataType::Timestamp);
        assert_eq!(
            run(ScalarFunc::DateTrunc, &[u("month"), ts.clone()]),
            "2024-05-01 00:00:00"
        );
        assert_eq!(
            run(ScalarFunc::DateTrunc, &[u("hour"), ts.clone()]),
            "2024-05-17 13:00:00"
        );
        assert_eq!(
            run(ScalarFunc::DateTrunc, &[u("week"), ts.clone()]),
            "2024-05-13 00:00:00"
        );
        assert_eq!(
            run(ScalarFunc::DateTrunc, &[u("quarter"), ts.clone()]),
            "2024-04-01 00:00:00"
        );
        assert_eq!(
            call(ScalarFunc::DateTrunc, &[u("fortnight"), ts], &ctx())
                .unwrap_err()
                .sqlstate(),
            "22023"
        );
        // select age(timestamp '2001-04-10', timestamp '1957-06-13') → 43 years 9 mons 27 days
        let a = p("2001-04-10", DataType::Timestamp);
        let b = p("1957-06-13", DataType::Timestamp);
        assert_eq!(run(ScalarFunc::Age, &[a.clone(), b.clone()]), "43 years 9 mons 27 days");
        assert_eq!(run(ScalarFunc::Age, &[b, a]), "-43 years -9 mons -27 days");
        assert_eq!(
            run(
                ScalarFunc::MakeDate,
                &[Value::Int4(2024), Value::Int4(2), Value::Int4(29)]
            ),
            "2024-02-29"
        );
        assert!(call(
            ScalarFunc::MakeDate,
            &[Value::Int4(2023), Value::Int4(2), Value::Int4(29)],
            &ctx()
        )
        .is_err());
        assert_eq!(
            run(
                ScalarFunc::MakeTime,
                &[Value::Int4(8), Value::Int4(15), Value::Float8(23.5)]
            ),
            "08:15:23.5"
        );
        let mi = [
            Value::Int4(1),
            Value::Int4(2),
            Value::Int4(1),
            Value::Int4(3),
            Value::Int4(4),
        ];
        assert_eq!(run(ScalarFunc::MakeInterval, &mi), "1 year 2 mons 10 days 04:00:00");
        assert_eq!(
            run(ScalarFunc::ToTimestamp, &[Value::Float8(1_704_416_523.5)]),
            "2024-01-05 01:02:03.5+00"
        );
        assert_eq!(run(ScalarFunc::CurrentDate, &[]), "2024-03-10");
        assert_eq!(run(ScalarFunc::Now, &[]), "2024-03-10 12:00:00+00");
    }
}
