//! The running sums of `aggregate.rs`: exact numeric sums at the largest scale, and what happens
//! past the 96 bits of mantissa a Vellum numeric holds.

use super::*;

fn numeric(text: &str) -> Value {
    Value::Numeric(text.parse().unwrap())
}

fn sum_of(values: &[Value]) -> Result<Value> {
    let mut sum = Sum::Empty;
    for v in values {
        sum = add(sum, v.clone())?;
    }
    finish_sum(sum, &DataType::Numeric(None))
}

#[test]
fn numeric_sums_are_exact_at_the_largest_scale() {
    let sum = sum_of(&[numeric("1.5"), numeric("2.25"), numeric("-0.125"), numeric("3")]).unwrap();
    assert_eq!(sum, numeric("6.625"));
    let Value::Numeric(d) = sum else { panic!("not numeric") };
    assert_eq!(d.scale(), 3);
    // 0.10 + -0.1 is 0.00 in PostgreSQL: the scale survives a zero.
    let Value::Numeric(zero) = sum_of(&[numeric("0.10"), numeric("-0.1")]).unwrap() else {
        panic!("not numeric")
    };
    assert_eq!(zero.to_string(), "0.00");
}

#[test]
fn partial_sums_beyond_decimal_range_come_back() {
    // 79228162514264337593543950335 is rust_decimal's largest value (2^96 - 1): the partial
    // sum leaves it, the final one does not.
    let max = numeric("79228162514264337593543950335");
    let sum = sum_of(&[max.clone(), numeric("1"), numeric("-2")]).unwrap();
    assert_eq!(sum, numeric("79228162514264337593543950334"));
}

#[test]
fn a_sum_beyond_decimal_range_is_22003() {
    let max = numeric("79228162514264337593543950335");
    let err = sum_of(&[max.clone(), numeric("1")]).unwrap_err();
    assert_eq!(err.sqlstate(), crate::error::sqlstate::NUMERIC_VALUE_OUT_OF_RANGE);
    // Vellum's numeric holds 96 bits of mantissa, where PostgreSQL's has no such limit: a sum
    // past them gives up fraction digits (rounded once, half away from zero) instead.
    let sum = sum_of(&[numeric("7922816251426433759354395033.5"), numeric("0.1")]).unwrap();
    assert_eq!(sum, numeric("7922816251426433759354395034"));
    let sum = sum_of(&[numeric("7922816251426433759354395033.44"), numeric("0.05")]).unwrap();
    assert_eq!(sum, numeric("7922816251426433759354395033.5"));
}

#[test]
fn the_mantissa_leaving_i128_falls_back_to_decimal() {
    // 10^20 widened to scale 28 is 10^48, past i128.
    let Sum::Num(d) = add_scaled(10i128.pow(20), 0, 1, 28).unwrap() else {
        panic!("expected the Decimal fallback")
    };
    assert_eq!(d.trunc().to_string(), "100000000000000000000");
}
