//! Mathematical SQL functions (`abs`, `round`, `power`, `ln`, trigonometry, ...), with
//! PostgreSQL's domain errors and NUMERIC result scales.

use rust_decimal::{Decimal, RoundingStrategy};

use super::functions::{arg, f64_arg, int_arg, ScalarFunc};
use super::ops::{self, BinaryOp, UnaryOp};
use super::{numeric, Value};
use crate::error::{sqlstate, Error, Result};

fn overflow() -> Error {
    Error::sql(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: overflow")
}

fn out_of_range_input() -> Error {
    Error::sql(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, "input is out of range")
}

fn float_log(x: f64, base10: bool) -> Result<f64> {
    if x == 0.0 {
        return Err(Error::sql("2201E", "cannot take logarithm of zero"));
    }
    if x < 0.0 {
        return Err(Error::sql("2201E", "cannot take logarithm of a negative number"));
    }
    Ok(if base10 { x.log10() } else { x.ln() })
}

/// `round(numeric, s)` / `trunc(numeric, s)`; a negative `s` rounds left of the point.
fn round_numeric(d: &Decimal, scale: i64, strategy: RoundingStrategy) -> Result<Decimal> {
    if scale >= 0 {
        let s = scale.min(numeric::MAX_SCALE as i64) as u32;
        let mut r = d.round_dp_with_strategy(s, strategy);
        r.rescale(s);
        Ok(r)
    } else {
        let k = (-scale).min(28) as u32;
        let factor = Decimal::from_i128_with_scale(10i128.pow(k), 0);
        let shifted = d.checked_div(factor).ok_or_else(numeric::overflow)?;
        let r = shifted
            .round_dp_with_strategy(0, strategy)
            .checked_mul(factor)
            .ok_or_else(numeric::overflow)?;
        Ok(r.trunc())
    }
}

fn gcd_i64(a: i64, b: i64) -> Option<i64> {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    i64::try_from(a).ok()
}

fn int_result(v: i64, like: &Value) -> Result<Value> {
    match like {
        Value::Int4(_) => i32::try_from(v)
            .map(Value::Int4)
            .map_err(|_| Error::out_of_range("integer")),
        Value::Int2(_) => i16::try_from(v)
            .map(Value::Int2)
            .map_err(|_| Error::out_of_range("smallint")),
        _ => Ok(Value::Int8(v)),
    }
}

/// Evaluates a math function; `None` when `func` is not one.
pub(super) fn call(func: ScalarFunc, args: &[Value]) -> Result<Option<Value>> {
    use ScalarFunc as S;
    use Value::*;
    let first = || arg(args, 0);
    Ok(Some(match func {
        S::Abs => ops::eval_unary(UnaryOp::Abs, first()?)?,
        S::Ceil | S::Floor => match first()? {
            Numeric(d) => Numeric(if func == S::Ceil { d.ceil() } else { d.floor() }),
            _ => {
                let x = f64_arg(args, 0)?;
                Float8(if func == S::Ceil { x.ceil() } else { x.floor() })
            }
        },
        S::Round | S::Trunc => {
            let strategy = if func == S::Round {
                RoundingStrategy::MidpointAwayFromZero
            } else {
                RoundingStrategy::ToZero
            };
            match first()? {
                Numeric(d) => {
                    let scale = if args.len() > 1 { int_arg(args, 1)? } else { 0 };
                    Numeric(round_numeric(d, scale, strategy)?)
                }
                // round(float8) is rint: halves go to the even neighbour.
                _ if func == S::Round => Float8(f64_arg(args, 0)?.round_ties_even()),
                _ => Float8(f64_arg(args, 0)?.trunc()),
            }
        }
        S::Sign => match first()? {
            Numeric(d) => Numeric(Decimal::from(if d.is_zero() {
                0
            } else if d.is_sign_negative() {
                -1
            } else {
                1
            })),
            _ => {
                let x = f64_arg(args, 0)?;
                Float8(if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                })
            }
        },
        S::Sqrt => ops::eval_unary(UnaryOp::Sqrt, first()?)?,
        S::Cbrt => Float8(f64_arg(args, 0)?.cbrt()),
        S::Power => ops::eval_binary(BinaryOp::Pow, first()?, arg(args, 1)?)?,
        S::Exp => match first()? {
            Numeric(d) => Numeric(numeric::exp(d)?),
            _ => {
                let x = f64_arg(args, 0)?;
                let r = x.exp();
                if r.is_infinite() && x.is_finite() {
                    return Err(overflow());
                }
                if r == 0.0 && x.is_finite() {
                    return Err(Error::sql(
                        sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
                        "value out of range: underflow",
                    ));
                }
                Float8(r)
            }
        },
        S::Ln => match first()? {
            Numeric(d) => Numeric(numeric::ln(d)?),
            _ => Float8(float_log(f64_arg(args, 0)?, false)?),
        },
        S::Log => match (first()?, args.get(1)) {
            (Numeric(b), Some(Numeric(x))) => Numeric(numeric::log(b, x)?),
            (Numeric(x), None) => Numeric(numeric::log(&Decimal::TEN, x)?),
            _ => Float8(float_log(f64_arg(args, 0)?, true)?),
        },
        S::Mod => ops::eval_binary(BinaryOp::Mod, first()?, arg(args, 1)?)?,
        S::Div => match (first()?, arg(args, 1)?) {
            (Numeric(a), Numeric(b)) => {
                if b.is_zero() {
                    return Err(Error::division_by_zero());
                }
                Numeric(a.checked_div(*b).ok_or_else(numeric::overflow)?.trunc())
            }
            _ => return Err(Error::bug("div() on non-numeric arguments")),
        },
        S::Pi => Float8(std::f64::consts::PI),
        S::Random => Float8(fastrand::f64()),
        S::Gcd | S::Lcm => {
            let (a, b) = (int_arg(args, 0)?, int_arg(args, 1)?);
            let like = first()?;
            let g = gcd_i64(a, b)
                .ok_or_else(|| Error::out_of_range(if matches!(like, Int4(_)) { "integer" } else { "bigint" }));
            if func == S::Gcd {
                int_result(g?, like)?
            } else if a == 0 || b == 0 {
                int_result(0, like)?
            } else {
                let l = (a / g?).checked_mul(b).map(|v| v.checked_abs());
                let name = if matches!(like, Int4(_)) { "integer" } else { "bigint" };
                int_result(l.flatten().ok_or_else(|| Error::out_of_range(name))?, like)?
            }
        }
        S::Degrees => Float8(f64_arg(args, 0)?.to_degrees()),
        S::Radians => Float8(f64_arg(args, 0)?.to_radians()),
        S::Sin => Float8(f64_arg(args, 0)?.sin()),
        S::Cos => Float8(f64_arg(args, 0)?.cos()),
        S::Tan => Float8(f64_arg(args, 0)?.tan()),
        S::Asin | S::Acos => {
            let x = f64_arg(args, 0)?;
            if !(-1.0..=1.0).contains(&x) {
                return Err(out_of_range_input());
            }
            Float8(if func == S::Asin { x.asin() } else { x.acos() })
        }
        S::Atan => Float8(f64_arg(args, 0)?.atan()),
        S::Atan2 => Float8(f64_arg(args, 0)?.atan2(f64_arg(args, 1)?)),
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn num(s: &str) -> Value {
        Value::Numeric(Decimal::from_str(s).unwrap())
    }

    fn run(func: ScalarFunc, args: &[Value]) -> String {
        super::super::text::format(&call(func, args).unwrap().unwrap()).unwrap()
    }

    #[test]
    fn rounding_like_postgres() {
        // select round(2.5), round(-2.5::float8), round(2.5::float8), round(1.2345, 2), trunc(-1.57, 1),
        //        ceil(-1.5), floor(-1.5), sign(-2.5), round(1234.5, -2), round(1.2, 3)
        assert_eq!(run(ScalarFunc::Round, &[num("2.5")]), "3");
        assert_eq!(run(ScalarFunc::Round, &[Value::Float8(-2.5)]), "-2");
        assert_eq!(run(ScalarFunc::Round, &[Value::Float8(2.5)]), "2");
        assert_eq!(run(ScalarFunc::Round, &[num("1.2345"), Value::Int4(2)]), "1.23");
        assert_eq!(run(ScalarFunc::Round, &[num("1.2"), Value::Int4(3)]), "1.200");
        assert_eq!(run(ScalarFunc::Round, &[num("1234.5"), Value::Int4(-2)]), "1200");
        assert_eq!(run(ScalarFunc::Trunc, &[num("-1.57"), Value::Int4(1)]), "-1.5");
        assert_eq!(run(ScalarFunc::Ceil, &[num("-1.5")]), "-1");
        assert_eq!(run(ScalarFunc::Floor, &[num("-1.5")]), "-2");
        assert_eq!(run(ScalarFunc::Sign, &[num("-2.5")]), "-1");
    }

    #[test]
    fn domains_and_misc() {
        assert_eq!(run(ScalarFunc::Sqrt, &[Value::Float8(16.0)]), "4");
        let e = call(ScalarFunc::Sqrt, &[Value::Float8(-1.0)]).unwrap_err();
        assert_eq!(
            (e.sqlstate(), e.message().as_str()),
            ("2201F", "cannot take square root of a negative number")
        );
        let e = call(ScalarFunc::Ln, &[Value::Float8(-1.0)]).unwrap_err();
        assert_eq!(
            (e.sqlstate(), e.message().as_str()),
            ("2201E", "cannot take logarithm of a negative number")
        );
        let e = call(ScalarFunc::Log, &[Value::Float8(0.0)]).unwrap_err();
        assert_eq!(e.message(), "cannot take logarithm of zero");
        assert_eq!(run(ScalarFunc::Log, &[Value::Float8(100.0)]), "2");
        assert_eq!(run(ScalarFunc::Exp, &[Value::Float8(1.0)]), "2.718281828459045");
        assert_eq!(run(ScalarFunc::Div, &[num("7"), num("2")]), "3");
        assert_eq!(run(ScalarFunc::Mod, &[Value::Int4(-7), Value::Int4(3)]), "-1");
        assert_eq!(run(ScalarFunc::Gcd, &[Value::Int4(12), Value::Int4(-18)]), "6");
        assert_eq!(run(ScalarFunc::Lcm, &[Value::Int4(4), Value::Int4(6)]), "12");
        assert_eq!(
            run(ScalarFunc::Power, &[Value::Float8(2.0), Value::Float8(10.0)]),
            "1024"
        );
        assert_eq!(run(ScalarFunc::Degrees, &[Value::Float8(std::f64::consts::PI)]), "180");
        assert_eq!(
            call(ScalarFunc::Asin, &[Value::Float8(2.0)]).unwrap_err().sqlstate(),
            "22003"
        );
        let r = call(ScalarFunc::Random, &[]).unwrap().unwrap();
        assert!(matches!(r, Value::Float8(x) if (0.0..1.0).contains(&x)));
    }
}
