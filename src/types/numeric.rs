//! NUMERIC helpers: PostgreSQL's input rules, result scales, and exact conversions to and from
//! integers and floats (rust_decimal holds at most 28 fractional digits and ~28 significant ones).

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::{sqlstate, Error, Result};

/// Largest scale rust_decimal can hold.
pub const MAX_SCALE: u32 = 28;

pub fn overflow() -> Error {
    Error::sql(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, "value overflows numeric format")
}

/// NUMERIC input: decimal or scientific notation, surrounding whitespace allowed; the written
/// scale is kept (`1.50` stays `1.50`).
pub fn parse(input: &str) -> Result<Decimal> {
    let s = input.trim();
    let bad = || Error::invalid_text("numeric", input);
    if s.is_empty() {
        return Err(bad());
    }
    let lower = s.to_ascii_lowercase();
    if matches!(lower.trim_start_matches(['+', '-']), "nan" | "infinity" | "inf") {
        return Err(Error::unsupported("NaN and infinite numeric values"));
    }
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let valid_mantissa = !mantissa.is_empty()
        && mantissa != "."
        && mantissa.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && mantissa.bytes().filter(|b| *b == b'.').count() <= 1;
    if !valid_mantissa {
        return Err(bad());
    }
    let negative = s.starts_with('-');
    let mant = mantissa.trim_start_matches('0');
    let mant = if mant.is_empty() || mant.starts_with('.') {
        format!("0{mant}")
    } else {
        mant.to_string()
    };
    let mant = if mant.ends_with('.') {
        mant.trim_end_matches('.').to_string()
    } else {
        mant
    };
    let mut d = Decimal::from_str_exact(&mant).or_else(|_| {
        // Too many fractional digits for rust_decimal: round to the scale it can hold.
        let (int, frac) = mant.split_once('.').unwrap_or((&mant, ""));
        let keep = MAX_SCALE.saturating_sub(int.len().saturating_sub(1) as u32) as usize;
        let cut = format!("{int}.{}", &frac[..frac.len().min(keep)]);
        Decimal::from_str_exact(&cut).map_err(|_| overflow())
    })?;
    if let Some(exp) = exp {
        let e: i64 = exp.parse().map_err(|_| bad())?;
        d = scale_by_pow10(d, e)?;
    }
    if negative {
        d.set_sign_negative(true);
    }
    Ok(d)
}

/// `d * 10^e` keeping PostgreSQL's display scale (`1.5e3` → `1500`, `1e-3` → `0.001`).
fn scale_by_pow10(d: Decimal, e: i64) -> Result<Decimal> {
    if e == 0 {
        return Ok(d);
    }
    if !(-60..=60).contains(&e) {
        return Err(overflow());
    }
    let scale = d.scale() as i64 - e;
    if scale >= 0 {
        if scale > MAX_SCALE as i64 {
            return Ok(d.round_dp(MAX_SCALE));
        }
        let mut r = d;
        r.set_scale(scale as u32).map_err(|_| overflow())?;
        Ok(r)
    } else {
        let mut r = d;
        r.set_scale(0).map_err(|_| overflow())?;
        let factor = Decimal::from_i128_with_scale(10i128.pow((-scale) as u32), 0);
        r.checked_mul(factor).ok_or_else(overflow)
    }
}

/// NUMERIC → integer, rounding half away from zero as PostgreSQL's `numeric_int4` does.
pub fn to_i64_rounded(d: &Decimal) -> Option<i64> {
    d.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
}

/// float → NUMERIC as PostgreSQL does: through the float's text with `digits` significant digits
/// (15 for float8, 6 for float4), so `0.1::float8::numeric` is exactly `0.1`.
pub fn from_f64(f: f64, digits: usize) -> Result<Decimal> {
    if f.is_nan() || f.is_infinite() {
        return Err(Error::unsupported("NaN and infinite numeric values"));
    }
    let text = format!("{:.*e}", digits.saturating_sub(1), f);
    parse(&text).map(|d| d.normalize()).map_err(|_| overflow())
}

/// NUMERIC → float8, correctly rounded (through text, as PostgreSQL's `numeric_float8`).
pub fn to_f64(d: &Decimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

/// Number of base-10000 digits before the point minus one, and the leading base-10000 digit:
/// PostgreSQL's `weight` and first digit, which its division uses to pick the result scale.
fn weight_and_first(d: &Decimal) -> (i64, u32) {
    let m = d.mantissa().unsigned_abs();
    if m == 0 {
        return (0, 0);
    }
    let digits = m.ilog10() as i64 + 1;
    // Decimal exponent of the most significant digit.
    let e = digits - 1 - d.scale() as i64;
    let weight = e.div_euclid(4);
    // Leading digits forming the first base-10000 group.
    let lead_len = (e - weight * 4 + 1) as u32;
    let first = (m / 10u128.pow((digits as u32).saturating_sub(lead_len))) as u32;
    (weight, first)
}

/// PostgreSQL's `select_div_scale`: at least 16 significant digits, never less than either
/// input's scale.
pub fn div_scale(a: &Decimal, b: &Decimal) -> u32 {
    let (w1, f1) = weight_and_first(a);
    let (w2, f2) = weight_and_first(b);
    let mut qweight = w1 - w2;
    if f1 <= f2 {
        qweight -= 1;
    }
    let rscale = (16 - qweight * 4).max(a.scale() as i64).max(b.scale() as i64).max(0);
    rscale.min(MAX_SCALE as i64) as u32
}

/// NUMERIC division with PostgreSQL's result scale.
pub fn div(a: &Decimal, b: &Decimal) -> Result<Decimal> {
    if b.is_zero() {
        return Err(Error::division_by_zero());
    }
    let q = a.checked_div(*b).ok_or_else(overflow)?;
    let scale = div_scale(a, b);
    let mut r = q.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
    if r.scale() < scale {
        r.rescale(scale);
    }
    Ok(r)
}

/// Rounds to `scale` digits (half away from zero) and pads to exactly that scale.
pub fn round_to_scale(d: &Decimal, scale: u32) -> Decimal {
    let scale = scale.min(MAX_SCALE);
    let mut r = d.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(scale);
    r
}

/// Applies NUMERIC(p,s): round to s, then 22003 when more than p-s integer digits remain.
pub fn apply_typmod(d: &Decimal, precision: u32, scale: u32) -> Result<Decimal> {
    let r = round_to_scale(d, scale);
    let int_digits = precision.saturating_sub(scale);
    let limit = Decimal::from_i128_with_scale(10i128.pow(int_digits.min(28)), 0);
    if int_digits < 29 && r.abs() >= limit {
        return Err(
            Error::sql(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, "numeric field overflow").with_detail(format!(
                "A field with precision {precision}, scale {scale} must round to an absolute value less than {}.",
                if int_digits == 0 {
                    "1".to_string()
                } else {
                    format!("10^{int_digits}")
                }
            )),
        );
    }
    Ok(r)
}

fn domain(code: &'static str, message: &str) -> Error {
    Error::sql(code, message)
}

/// `(int) log10(|x|)` as PostgreSQL's scale estimates compute it (truncating toward zero).
fn trunc_log10(x: f64) -> i64 {
    if x == 0.0 || !x.is_finite() {
        0
    } else {
        x.abs().log10() as i64
    }
}

/// Rounds a transcendental result to PostgreSQL's display scale: about 16 significant digits
/// (the weight estimated as `(int) log10(result)`), never fewer fractional digits than `min_scale`.
fn to_sig_digits(r: Decimal, min_scale: u32) -> Decimal {
    let scale = (16 - trunc_log10(to_f64(&r)))
        .max(min_scale as i64)
        .clamp(0, MAX_SCALE as i64) as u32;
    round_to_scale(&r, scale)
}

/// `numeric ^ numeric`.
pub fn pow(a: &Decimal, b: &Decimal) -> Result<Decimal> {
    use rust_decimal::MathematicalOps;
    if a.is_zero() && b.is_sign_negative() && !b.is_zero() {
        return Err(domain("2201F", "zero raised to a negative power is undefined"));
    }
    if a.is_sign_negative() && !a.is_zero() && !b.fract().is_zero() {
        return Err(domain(
            "2201F",
            "a negative number raised to a non-integer power yields a complex result",
        ));
    }
    if b.fract().is_zero() {
        // Integral exponents: PostgreSQL's power_var_int keeps max(16, base scale) digits.
        let e = b.to_i64().ok_or_else(overflow)?;
        let r = a.checked_powi(e).ok_or_else(overflow)?;
        return Ok(round_to_scale(&r, a.scale().max(16)));
    }
    let r = a.checked_powd(*b).ok_or_else(overflow)?;
    Ok(to_sig_digits(r, a.scale().max(b.scale())))
}

/// `sqrt(numeric)` with PostgreSQL's result scale.
pub fn sqrt(d: &Decimal) -> Result<Decimal> {
    use rust_decimal::MathematicalOps;
    if d.is_sign_negative() && !d.is_zero() {
        return Err(domain("2201F", "cannot take square root of a negative number"));
    }
    let r = d.sqrt().ok_or_else(overflow)?;
    let (weight, _) = weight_and_first(d);
    let sweight = (weight + 1) * 4 / 2 - 1;
    let scale = (16 - sweight).max(d.scale() as i64).clamp(0, MAX_SCALE as i64) as u32;
    Ok(round_to_scale(&r, scale))
}

/// `exp(numeric)`.
pub fn exp(d: &Decimal) -> Result<Decimal> {
    use rust_decimal::MathematicalOps;
    let r = d.checked_exp().ok_or_else(overflow)?;
    let est = (to_f64(d) * std::f64::consts::LOG10_E) as i64;
    let scale = (16 - est).max(d.scale() as i64).clamp(0, MAX_SCALE as i64) as u32;
    Ok(round_to_scale(&r, scale))
}

fn check_log_arg(d: &Decimal) -> Result<()> {
    if d.is_zero() {
        return Err(domain("2201E", "cannot take logarithm of zero"));
    }
    if d.is_sign_negative() {
        return Err(domain("2201E", "cannot take logarithm of a negative number"));
    }
    Ok(())
}

/// `ln(numeric)`.
pub fn ln(d: &Decimal) -> Result<Decimal> {
    use rust_decimal::MathematicalOps;
    check_log_arg(d)?;
    let r = d.checked_ln().ok_or_else(overflow)?;
    let (weight, _) = weight_and_first(d);
    let dec_digits = (weight + 1) * 4;
    let scale = match dec_digits {
        x if x > 1 => 16 - ((x - 1) as f64).log10() as i64,
        x if x < 1 => 16 - ((1 - x) as f64).log10() as i64,
        _ => 16,
    };
    let scale = scale.max(d.scale() as i64).clamp(0, MAX_SCALE as i64) as u32;
    Ok(round_to_scale(&r, scale))
}

/// `log(base, x)` on numerics.
pub fn log(base: &Decimal, x: &Decimal) -> Result<Decimal> {
    use rust_decimal::MathematicalOps;
    check_log_arg(base)?;
    check_log_arg(x)?;
    let lb = base.checked_ln().ok_or_else(overflow)?;
    if lb.is_zero() {
        return Err(Error::division_by_zero());
    }
    let lx = x.checked_ln().ok_or_else(overflow)?;
    let r = lx.checked_div(lb).ok_or_else(overflow)?;
    // ln's last digits are noisy: snap to 20 places first so exact results stay exact.
    let r = r.round_dp(20);
    // PostgreSQL's log_var: weight(ln x) - weight(ln b), each estimated as (int) log10(|ln|).
    let result_dwt = trunc_log10(to_f64(&lx)) - trunc_log10(to_f64(&lb));
    let scale = (16 - result_dwt)
        .max(base.scale().max(x.scale()) as i64)
        .clamp(0, MAX_SCALE as i64) as u32;
    Ok(round_to_scale(&r, scale))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn input_keeps_scale() {
        assert_eq!(parse(" 1.50 ").unwrap().to_string(), "1.50");
        assert_eq!(parse("1e5").unwrap().to_string(), "100000");
        assert_eq!(parse("1e-5").unwrap().to_string(), "0.00001");
        assert_eq!(parse("-.5").unwrap().to_string(), "-0.5");
        assert_eq!(parse("abc").unwrap_err().sqlstate(), "22P02");
    }

    #[test]
    fn division_scale_matches_postgres() {
        // select 1/3.0, 10/4.0, 2.000/3, 10::numeric/4
        assert_eq!(
            div(&dec("1"), &dec("3.0")).unwrap().to_string(),
            "0.33333333333333333333"
        );
        assert_eq!(div(&dec("10"), &dec("4.0")).unwrap().to_string(), "2.5000000000000000");
        assert_eq!(
            div(&dec("2.000"), &dec("3")).unwrap().to_string(),
            "0.66666666666666666667"
        );
        assert_eq!(div(&dec("10"), &dec("4")).unwrap().to_string(), "2.5000000000000000");
    }

    #[test]
    fn conversions() {
        assert_eq!(from_f64(0.1, 15).unwrap().to_string(), "0.1");
        assert_eq!(from_f64(1e20, 15).unwrap().to_string(), "100000000000000000000");
        assert_eq!(to_i64_rounded(&dec("2.5")), Some(3));
        assert_eq!(to_i64_rounded(&dec("-2.5")), Some(-3));
        assert_eq!(apply_typmod(&dec("123.456"), 5, 1).unwrap().to_string(), "123.5");
        assert_eq!(apply_typmod(&dec("12345.678"), 5, 2).unwrap_err().sqlstate(), "22003");
    }

    #[test]
    fn transcendental_scales_match_postgres() {
        // select 2.0^3, 2.0^0.5, sqrt(2.0), exp(1.0), ln(2.0), log(100.0), log(2.0, 8.0)
        assert_eq!(pow(&dec("2.0"), &dec("3")).unwrap().to_string(), "8.0000000000000000");
        assert_eq!(pow(&dec("2.0"), &dec("0.5")).unwrap().to_string(), "1.4142135623730950");
        assert_eq!(sqrt(&dec("2.0")).unwrap().to_string(), "1.414213562373095");
        assert_eq!(exp(&dec("1.0")).unwrap().to_string(), "2.7182818284590452");
        assert_eq!(ln(&dec("2.0")).unwrap().to_string(), "0.6931471805599453");
        assert_eq!(
            log(&dec("10"), &dec("100.0")).unwrap().to_string(),
            "2.0000000000000000"
        );
        assert_eq!(log(&dec("2.0"), &dec("8.0")).unwrap().to_string(), "3.0000000000000000");
        assert_eq!(pow(&dec("2"), &dec("10")).unwrap().to_string(), "1024.0000000000000000");
        assert_eq!(pow(&dec("1.5"), &dec("2.5")).unwrap().to_string(), "2.7556759606310754");
        assert_eq!(log(&dec("2"), &dec("1024")).unwrap().to_string(), "10.0000000000000000");
        assert_eq!(exp(&dec("2.5")).unwrap().to_string(), "12.182493960703473");
        assert_eq!(ln(&dec("0.5")).unwrap().to_string(), "-0.6931471805599453");
        assert_eq!(sqrt(&dec("12345678.9")).unwrap().to_string(), "3513.6418286444622");
        assert_eq!(ln(&dec("0")).unwrap_err().message(), "cannot take logarithm of zero");
        assert_eq!(sqrt(&dec("-1")).unwrap_err().sqlstate(), "2201F");
    }
}
