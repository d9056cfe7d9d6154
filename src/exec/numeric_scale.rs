//! PostgreSQL's NUMERIC division scale (`select_div_scale` in numeric.c), so `avg` and the
//! variance family print the digits PostgreSQL prints: at least 16 significant digits, and never
//! fewer decimals than either operand has. PostgreSQL reasons in base-10000 digits; the weight
//! and leading digit below are those of that representation.

use rust_decimal::{Decimal, MathematicalOps, RoundingStrategy};

use crate::error::{Error, Result};

/// Significant digits a quotient keeps at minimum (`NUMERIC_MIN_SIG_DIGITS`).
const MIN_SIG_DIGITS: i64 = 16;
/// Decimal digits per base-10000 digit (`DEC_DIGITS`).
const DEC_DIGITS: i64 = 4;
/// rust_decimal holds at most 28 decimals; PostgreSQL allows 1000.
const MAX_SCALE: i64 = 28;

/// Base-10000 weight and leading base-10000 digit of `d` (zero: weight 0, digit 0).
fn weight_and_first_digit(d: &Decimal) -> (i64, u128) {
    let m = d.mantissa().unsigned_abs();
    if m == 0 {
        return (0, 0);
    }
    let digits = i64::from(m.ilog10()) + 1;
    // Decimal exponent of the leading digit.
    let exp = digits - 1 - i64::from(d.scale());
    let weight = exp.div_euclid(DEC_DIGITS);
    // Leading group = floor(|d| / 10000^weight) = m * 10^(-scale - 4*weight).
    let shift = -i64::from(d.scale()) - DEC_DIGITS * weight;
    let first = if shift >= 0 {
        m.saturating_mul(10u128.saturating_pow(shift as u32))
    } else {
        m / 10u128.saturating_pow((-shift) as u32)
    };
    (weight, first)
}

/// The result scale PostgreSQL gives `num / den`.
pub(super) fn div_scale(num: &Decimal, den: &Decimal) -> u32 {
    let (w1, f1) = weight_and_first_digit(num);
    let (w2, f2) = weight_and_first_digit(den);
    let mut qweight = w1 - w2;
    if f1 <= f2 {
        qweight -= 1;
    }
    let rscale = (MIN_SIG_DIGITS - qweight * DEC_DIGITS)
        .max(i64::from(num.scale()))
        .max(i64::from(den.scale()))
        .clamp(0, MAX_SCALE);
    rscale as u32
}

/// `num / den` rounded (half away from zero) to PostgreSQL's scale, trailing zeros kept.
pub(super) fn divide(num: &Decimal, den: &Decimal) -> Result<Decimal> {
    if den.is_zero() {
        return Err(Error::division_by_zero());
    }
    let scale = div_scale(num, den);
    let q = num.checked_div(*den).ok_or_else(|| Error::out_of_range("numeric"))?;
    let mut q = q.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
    q.rescale(scale);
    Ok(q)
}

/// Square root rounded to `scale` decimals (the variance family's stddev).
pub(super) fn sqrt(value: &Decimal, scale: u32) -> Result<Decimal> {
    let r = value
        .sqrt()
        .ok_or_else(|| Error::bug("square root of a negative variance"))?;
    let mut r = r.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(scale);
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    // Expected texts are PostgreSQL 15's output for the avg() over the same inputs.
    #[test]
    fn avg_scales_match_postgres() {
        // avg of (1), (2)
        assert_eq!(divide(&d("3"), &d("2")).unwrap().to_string(), "1.5000000000000000");
        // avg of (1000000), (0), (0)
        assert_eq!(
            divide(&d("1000000"), &d("3")).unwrap().to_string(),
            "333333.333333333333"
        );
        // avg of (0.001), (0.002)
        assert_eq!(
            divide(&d("0.003"), &d("2")).unwrap().to_string(),
            "0.00150000000000000000"
        );
        // avg of (1.5), (2.25)
        assert_eq!(divide(&d("3.75"), &d("2")).unwrap().to_string(), "1.8750000000000000");
        // var_samp of 1..4: (4*30 - 100) / (4*3)
        assert_eq!(divide(&d("20"), &d("12")).unwrap().to_string(), "1.6666666666666667");
    }
}
