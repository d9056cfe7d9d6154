//! Hash aggregation: rows grouped by their group-by values (groups kept in first-seen order),
//! one accumulator per aggregate call per group. Results follow PostgreSQL: count → bigint,
//! sum(int2/int4) → bigint, sum(int8)/avg(integers) → numeric with PostgreSQL's division scale,
//! empty input without GROUP BY → one row (count 0, the rest NULL).
//!
//! DISTINCT and ORDER BY inside an aggregate buffer the group's inputs and replay them, sorted
//! and deduplicated, into a plain accumulator when the group is finished.
//!
//! Input rows stream in from the pipeline below (`stream.rs`) and are only read, never kept. A
//! numeric sum adds mantissas in an i128 at the largest scale seen (`Sum::Scaled`): exact, and
//! an integer addition per row instead of a Decimal one; it becomes a Decimal when finished.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::plan::{AggCall, AggFunc, Expr, Plan};
use crate::storage::Txn;
use crate::types::ops::{eval_binary, BinaryOp};
use crate::types::{text, DataType, Row, Value};

use super::hashing::{FastMap, FastSet};
use super::numeric_scale;
use super::sort::compare_keys;
use super::Executor;

/// A running sum: exact for integers and numerics.
#[derive(Debug, Clone)]
enum Sum {
    Empty,
    Int(i128),
    /// A numeric sum as `m × 10^-scale`, at the largest scale added so far (the scale a
    /// numeric sum has): an integer addition per row instead of a Decimal one. Becomes a
    /// `Num` in the (theoretical) case where the mantissa would leave i128.
    Scaled {
        m: i128,
        scale: u32,
    },
    Num(Decimal),
    Float(f64),
    /// Intervals and anything else that adds with `+`.
    Other(Value),
}

#[derive(Debug, Clone)]
enum Acc {
    Count(i64),
    Sum {
        sum: Sum,
        count: i64,
    },
    Extreme(Value),
    Bool(Option<bool>),
    Text(Option<String>),
    List(Vec<Value>),
    /// Youngs–Cramer running variance, as PostgreSQL's float8_accum.
    VarFloat {
        n: f64,
        sx: f64,
        sxx: f64,
    },
    VarNum {
        n: i64,
        sx: Decimal,
        sxx: Decimal,
    },
    /// (ORDER BY values, arguments) awaiting DISTINCT/ORDER BY.
    Buffered(Vec<(Vec<Value>, Vec<Value>)>),
    /// DISTINCT for aggregates whose result does not depend on input order: each new value
    /// goes straight into the inner accumulator.
    Distinct {
        seen: FastSet<Value>,
        inner: Box<Acc>,
    },
}

fn overflow() -> Error {
    Error::out_of_range("numeric")
}

fn to_decimal(v: &Value) -> Result<Decimal> {
    match v {
        Value::Int2(n) => Ok(Decimal::from(*n)),
        Value::Int4(n) => Ok(Decimal::from(*n)),
        Value::Int8(n) => Ok(Decimal::from(*n)),
        Value::Numeric(d) => Ok(*d),
        other => Err(Error::bug(format!("numeric aggregate over {}", other.data_type()))),
    }
}

fn to_f64(v: &Value) -> Result<f64> {
    match v {
        Value::Int2(n) => Ok(f64::from(*n)),
        Value::Int4(n) => Ok(f64::from(*n)),
        Value::Int8(n) => Ok(*n as f64),
        Value::Float4(f) => Ok(f64::from(*f)),
        Value::Float8(f) => Ok(*f),
        Value::Numeric(d) => d.to_f64().ok_or_else(overflow),
        other => Err(Error::bug(format!("float aggregate over {}", other.data_type()))),
    }
}

fn i128_to_decimal(i: i128) -> Result<Decimal> {
    Decimal::try_from_i128_with_scale(i, 0).map_err(|_| overflow())
}

/// The largest mantissa a Decimal holds (2^96 − 1).
const DECIMAL_MANTISSA_MAX: u128 = (1 << 96) - 1;

/// `m × 10^-scale` as a Decimal. A mantissa too wide for one loses the fewest fraction digits
/// that make it fit (rounded once, half away from zero, as numeric rounds); one that does not
/// fit even without fraction digits is 22003.
fn scaled_to_decimal(m: i128, scale: u32) -> Result<Decimal> {
    for dropped in 0..=scale {
        let p = 10i128.pow(dropped);
        let (q, r) = (m / p, m % p);
        let rounded = match r.unsigned_abs() * 2 >= p.unsigned_abs() && r != 0 {
            true => q + m.signum(),
            false => q,
        };
        if rounded.unsigned_abs() <= DECIMAL_MANTISSA_MAX {
            return Decimal::try_from_i128_with_scale(rounded, scale - dropped).map_err(|_| overflow());
        }
    }
    Err(overflow())
}

/// Adds `x × 10^-xs` to `m × 10^-ms` at the larger scale, in i128 while it fits.
fn add_scaled(m: i128, ms: u32, x: i128, xs: u32) -> Result<Sum> {
    if ms == xs {
        if let Some(sum) = m.checked_add(x) {
            return Ok(Sum::Scaled { m: sum, scale: ms });
        }
    }
    let scale = ms.max(xs);
    let widen = |v: i128, from: u32| 10i128.checked_pow(scale - from).and_then(|p| v.checked_mul(p));
    if let Some(sum) = widen(m, ms).zip(widen(x, xs)).and_then(|(a, b)| a.checked_add(b)) {
        return Ok(Sum::Scaled { m: sum, scale });
    }
    let sum = scaled_to_decimal(m, ms)?.checked_add(scaled_to_decimal(x, xs)?);
    Ok(Sum::Num(sum.ok_or_else(overflow)?))
}

/// A value as a jsonb element (jsonb_agg).
fn to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int2(n) => J::from(*n),
        Value::Int4(n) => J::from(*n),
        Value::Int8(n) => J::from(*n),
        Value::Float4(f) => serde_json::Number::from_f64(f64::from(*f))
            .map(J::Number)
            .unwrap_or(J::Null),
        Value::Float8(f) => serde_json::Number::from_f64(*f).map(J::Number).unwrap_or(J::Null),
        Value::Numeric(d) => serde_json::from_str(&d.to_string()).unwrap_or(J::Null),
        Value::Text(s) => J::String(s.clone()),
        Value::Jsonb(j) => j.clone(),
        Value::Array(items) => J::Array(items.iter().map(to_json).collect()),
        other => text::format(other).map(J::String).unwrap_or(J::Null),
    }
}

impl Acc {
    fn new(call: &AggCall) -> Acc {
        let order_free = match call.func {
            AggFunc::Count | AggFunc::Min | AggFunc::Max | AggFunc::BoolAnd | AggFunc::BoolOr => true,
            // Exact sums only: a float sum's last bits depend on the order PostgreSQL adds in.
            AggFunc::Sum | AggFunc::Avg => !call.return_type.is_float(),
            _ => false,
        };
        if call.distinct && order_free && call.args.len() == 1 {
            return Acc::Distinct {
                seen: FastSet::default(),
                inner: Box::new(Acc::plain(call)),
            };
        }
        if call.distinct || !call.order_by.is_empty() {
            return Acc::Buffered(Vec::new());
        }
        Acc::plain(call)
    }

    fn plain(call: &AggCall) -> Acc {
        match call.func {
            AggFunc::CountStar | AggFunc::Count => Acc::Count(0),
            AggFunc::Sum | AggFunc::Avg => Acc::Sum {
                sum: Sum::Empty,
                count: 0,
            },
            AggFunc::Min | AggFunc::Max => Acc::Extreme(Value::Null),
            AggFunc::BoolAnd | AggFunc::BoolOr => Acc::Bool(None),
            AggFunc::StringAgg => Acc::Text(None),
            AggFunc::ArrayAgg | AggFunc::JsonbAgg => Acc::List(Vec::new()),
            AggFunc::StddevSamp | AggFunc::StddevPop | AggFunc::VarSamp | AggFunc::VarPop => {
                if call.return_type.is_float() {
                    Acc::VarFloat {
                        n: 0.0,
                        sx: 0.0,
                        sxx: 0.0,
                    }
                } else {
                    Acc::VarNum {
                        n: 0,
                        sx: Decimal::ZERO,
                        sxx: Decimal::ZERO,
                    }
                }
            }
        }
    }

    /// Adds one input row's arguments (taken out of `args`).
    fn feed(&mut self, func: AggFunc, args: &mut [Value]) -> Result<()> {
        if func == AggFunc::CountStar {
            if let Acc::Count(n) = self {
                *n += 1;
            }
            return Ok(());
        }
        let Some(first) = args.first_mut() else {
            return Err(Error::bug("aggregate call without arguments"));
        };
        let v = std::mem::replace(first, Value::Null);
        if v.is_null() && !matches!(func, AggFunc::ArrayAgg | AggFunc::JsonbAgg) {
            return Ok(());
        }
        match self {
            Acc::Count(n) => *n += 1,
            Acc::Sum { sum, count } => {
                *count += 1;
                *sum = add(std::mem::replace(sum, Sum::Empty), v)?;
            }
            Acc::Extreme(best) => {
                let replace = best.is_null()
                    || match func {
                        AggFunc::Min => v < *best,
                        _ => v > *best,
                    };
                if replace {
                    *best = v;
                }
            }
            Acc::Bool(state) => {
                let Value::Bool(b) = v else {
                    return Err(Error::bug("bool aggregate over a non-boolean"));
                };
                *state = Some(match (*state, func) {
                    (None, _) => b,
                    (Some(s), AggFunc::BoolAnd) => s && b,
                    (Some(s), _) => s || b,
                });
            }
            Acc::Text(state) => {
                let piece = match v {
                    Value::Text(s) => s,
                    other => text::format(&other).unwrap_or_default(),
                };
                match state {
                    None => *state = Some(piece),
                    Some(s) => {
                        if let Some(Value::Text(delim)) = args.get(1) {
                            s.push_str(delim);
                        }
                        s.push_str(&piece);
                    }
                }
            }
            Acc::List(items) => items.push(v),
            Acc::VarFloat { n, sx, sxx } => {
                let x = to_f64(&v)?;
                *n += 1.0;
                *sx += x;
                if *n > 1.0 {
                    let t = x * *n - *sx;
                    *sxx += t * t / (*n * (*n - 1.0));
                }
            }
            Acc::VarNum { n, sx, sxx } => {
                let x = to_decimal(&v)?;
                *n += 1;
                *sx = sx.checked_add(x).ok_or_else(overflow)?;
                let sq = x.checked_mul(x).ok_or_else(overflow)?;
                *sxx = sxx.checked_add(sq).ok_or_else(overflow)?;
            }
            Acc::Distinct { seen, inner } => {
                if !seen.contains(&v) {
                    seen.insert(v.clone());
                    if let Some(first) = args.first_mut() {
                        *first = v;
                    }
                    inner.feed(func, args)?;
                }
            }
            Acc::Buffered(_) => return Err(Error::bug("buffered aggregate fed directly")),
        }
        Ok(())
    }

    fn finish(self, call: &AggCall) -> Result<Value> {
        match self {
            Acc::Count(n) => Ok(Value::Int8(n)),
            Acc::Sum { count: 0, .. } => Ok(Value::Null),
            Acc::Sum { sum, count } => {
                if call.func == AggFunc::Avg {
                    average(sum, count, &call.return_type)
                } else {
                    finish_sum(sum, &call.return_type)
                }
            }
            Acc::Extreme(v) => Ok(v),
            Acc::Bool(b) => Ok(b.map(Value::Bool).unwrap_or(Value::Null)),
            Acc::Text(s) => Ok(s.map(Value::Text).unwrap_or(Value::Null)),
            Acc::List(items) if items.is_empty() => Ok(Value::Null),
            Acc::List(items) => Ok(if call.func == AggFunc::JsonbAgg {
                Value::Jsonb(serde_json::Value::Array(items.iter().map(to_json).collect()))
            } else {
                Value::Array(items)
            }),
            Acc::VarFloat { n, sxx, .. } => {
                let (sample, root) = variance_kind(call.func);
                let denom = if sample { n - 1.0 } else { n };
                if n == 0.0 || denom <= 0.0 {
                    return Ok(Value::Null);
                }
                let var = sxx / denom;
                Ok(Value::Float8(if root { var.sqrt() } else { var }))
            }
            Acc::VarNum { n, sx, sxx } => numeric_variance(call.func, n, sx, sxx),
            Acc::Distinct { inner, .. } => inner.finish(call),
            Acc::Buffered(mut items) => {
                if !call.order_by.is_empty() {
                    items.sort_by(|a, b| compare_keys(&call.order_by, &a.0, &b.0));
                } else if call.distinct {
                    items.sort_by(|a, b| a.1.cmp(&b.1));
                }
                let mut acc = Acc::plain(call);
                let mut seen: FastSet<Vec<Value>> = FastSet::default();
                for (_, mut args) in items {
                    if call.distinct {
                        // DISTINCT compares the aggregated value only (string_agg's delimiter is not part of it).
                        let key: Vec<Value> = args.iter().take(1).cloned().collect();
                        if !seen.insert(key) {
                            continue;
                        }
                    }
                    acc.feed(call.func, &mut args)?;
                }
                acc.finish(call)
            }
        }
    }
}

fn variance_kind(func: AggFunc) -> (bool, bool) {
    match func {
        AggFunc::VarSamp => (true, false),
        AggFunc::StddevSamp => (true, true),
        AggFunc::VarPop => (false, false),
        _ => (false, true),
    }
}

/// PostgreSQL's numeric_stddev_internal: (N·Σx² − (Σx)²) / (N·(N−1)) at the division scale.
fn numeric_variance(func: AggFunc, n: i64, sx: Decimal, sxx: Decimal) -> Result<Value> {
    let (sample, root) = variance_kind(func);
    if n == 0 || (sample && n == 1) {
        return Ok(Value::Null);
    }
    let nd = Decimal::from(n);
    let numerator = nd
        .checked_mul(sxx)
        .and_then(|a| a.checked_sub(sx.checked_mul(sx)?))
        .ok_or_else(overflow)?;
    if numerator <= Decimal::ZERO {
        return Ok(Value::Numeric(Decimal::ZERO));
    }
    let denominator = if sample { nd * Decimal::from(n - 1) } else { nd * nd };
    let scale = numeric_scale::div_scale(&numerator, &denominator);
    let var = numeric_scale::divide(&numerator, &denominator)?;
    Ok(Value::Numeric(if root {
        numeric_scale::sqrt(&var, scale)?
    } else {
        var
    }))
}

fn add(sum: Sum, v: Value) -> Result<Sum> {
    Ok(match (sum, v) {
        (Sum::Empty, Value::Int2(n)) => Sum::Int(i128::from(n)),
        (Sum::Empty, Value::Int4(n)) => Sum::Int(i128::from(n)),
        (Sum::Empty, Value::Int8(n)) => Sum::Int(i128::from(n)),
        (Sum::Int(s), Value::Int2(n)) => Sum::Int(s + i128::from(n)),
        (Sum::Int(s), Value::Int4(n)) => Sum::Int(s + i128::from(n)),
        (Sum::Int(s), Value::Int8(n)) => Sum::Int(s + i128::from(n)),
        (Sum::Empty, Value::Numeric(d)) => Sum::Scaled {
            m: d.mantissa(),
            scale: d.scale(),
        },
        (Sum::Scaled { m, scale }, Value::Numeric(d)) => add_scaled(m, scale, d.mantissa(), d.scale())?,
        (Sum::Scaled { m, scale }, Value::Int2(n)) => add_scaled(m, scale, i128::from(n), 0)?,
        (Sum::Scaled { m, scale }, Value::Int4(n)) => add_scaled(m, scale, i128::from(n), 0)?,
        (Sum::Scaled { m, scale }, Value::Int8(n)) => add_scaled(m, scale, i128::from(n), 0)?,
        (Sum::Int(s), Value::Numeric(d)) => add_scaled(s, 0, d.mantissa(), d.scale())?,
        (Sum::Num(s), Value::Numeric(d)) => Sum::Num(s.checked_add(d).ok_or_else(overflow)?),
        (Sum::Num(s), v @ (Value::Int2(_) | Value::Int4(_) | Value::Int8(_))) => {
            Sum::Num(s.checked_add(to_decimal(&v)?).ok_or_else(overflow)?)
        }
        (Sum::Empty, Value::Float4(f)) => Sum::Float(f64::from(f)),
        (Sum::Empty, Value::Float8(f)) => Sum::Float(f),
        (Sum::Float(s), v) => Sum::Float(s + to_f64(&v)?),
        (Sum::Empty, v) => Sum::Other(v),
        (Sum::Other(s), v) => Sum::Other(eval_binary(BinaryOp::Add, &s, &v)?),
        (s, v) => return Err(Error::bug(format!("sum mixes {s:?} with {}", v.data_type()))),
    })
}

fn finish_sum(sum: Sum, ty: &DataType) -> Result<Value> {
    Ok(match (sum, ty) {
        (Sum::Empty, _) => Value::Null,
        (Sum::Int(i), DataType::Int8) => Value::Int8(i64::try_from(i).map_err(|_| Error::out_of_range("bigint"))?),
        (Sum::Int(i), _) => Value::Numeric(i128_to_decimal(i)?),
        (Sum::Scaled { m, scale }, _) => Value::Numeric(scaled_to_decimal(m, scale)?),
        (Sum::Num(d), _) => Value::Numeric(d),
        (Sum::Float(f), DataType::Float4) => Value::Float4(f as f32),
        (Sum::Float(f), _) => Value::Float8(f),
        (Sum::Other(v), _) => v,
    })
}

fn average(sum: Sum, count: i64, ty: &DataType) -> Result<Value> {
    Ok(match sum {
        Sum::Empty => Value::Null,
        Sum::Int(i) => Value::Numeric(numeric_scale::divide(&i128_to_decimal(i)?, &Decimal::from(count))?),
        Sum::Scaled { m, scale } => Value::Numeric(numeric_scale::divide(
            &scaled_to_decimal(m, scale)?,
            &Decimal::from(count),
        )?),
        Sum::Num(d) => Value::Numeric(numeric_scale::divide(&d, &Decimal::from(count))?),
        Sum::Float(f) if ty.is_float() => Value::Float8(f / count as f64),
        Sum::Float(f) => Value::Float8(f / count as f64),
        Sum::Other(v) => eval_binary(BinaryOp::Div, &v, &Value::Float8(count as f64))?,
    })
}

/// The groups of one aggregation in first-seen order, with their accumulators.
struct Grouping {
    index: FastMap<Vec<Value>, usize>,
    groups: Vec<(Vec<Value>, Vec<Acc>)>,
    /// Reused for each row's key and arguments.
    key: Vec<Value>,
    args: Vec<Value>,
}

impl Grouping {
    fn new(group_by: &[Expr], calls: &[AggCall]) -> Grouping {
        let mut grouping = Grouping {
            index: FastMap::default(),
            groups: Vec::new(),
            key: Vec::new(),
            args: Vec::new(),
        };
        if group_by.is_empty() {
            grouping.index.insert(Vec::new(), 0);
            grouping.groups.push((Vec::new(), calls.iter().map(Acc::new).collect()));
        }
        grouping
    }

    fn finish(self, calls: &[AggCall]) -> Result<Vec<Row>> {
        let mut out = Vec::with_capacity(self.groups.len());
        for (mut key, accs) in self.groups {
            for (acc, call) in accs.into_iter().zip(calls) {
                key.push(acc.finish(call)?);
            }
            out.push(key);
        }
        Ok(out)
    }
}

impl<'a> Executor<'a> {
    /// Aggregates the rows of `input` as they stream in.
    pub(super) fn aggregate(
        &mut self,
        txn: &Txn,
        input: &Plan,
        group_by: &[Expr],
        calls: &[AggCall],
    ) -> Result<Vec<Row>> {
        let mut grouping = Grouping::new(group_by, calls);
        self.stream(txn, input, &mut |ex, row| {
            ex.tick()?;
            ex.aggregate_row(txn, &mut grouping, row, group_by, calls)?;
            Ok(true)
        })?;
        grouping.finish(calls)
    }

    fn aggregate_row(
        &mut self,
        txn: &Txn,
        grouping: &mut Grouping,
        row: &[Value],
        group_by: &[Expr],
        calls: &[AggCall],
    ) -> Result<()> {
        // A single grouping column is looked up borrowed from the row; its key is cloned only
        // when it starts a new group.
        let found = match group_by {
            [] => Some(0),
            [Expr::Column(i)] => grouping.index.get(std::slice::from_ref(column(row, *i)?)).copied(),
            _ => {
                grouping.key.clear();
                for e in group_by {
                    let v = self.eval(txn, e, row)?;
                    grouping.key.push(v);
                }
                grouping.index.get(grouping.key.as_slice()).copied()
            }
        };
        let g = match found {
            Some(g) => g,
            None => {
                let key = match group_by {
                    [Expr::Column(i)] => vec![column(row, *i)?.clone()],
                    _ => std::mem::take(&mut grouping.key),
                };
                let g = grouping.groups.len();
                grouping
                    .groups
                    .push((key.clone(), calls.iter().map(Acc::new).collect()));
                grouping.index.insert(key, g);
                g
            }
        };
        for (i, call) in calls.iter().enumerate() {
            if let Some(f) = &call.filter {
                if !self.eval_predicate(txn, f, row)? {
                    continue;
                }
            }
            let args = &mut grouping.args;
            args.clear();
            for a in &call.args {
                args.push(self.eval(txn, a, row)?);
            }
            let Some(acc) = grouping.groups.get_mut(g).and_then(|(_, accs)| accs.get_mut(i)) else {
                return Err(Error::bug("aggregate group out of range"));
            };
            if let Acc::Buffered(items) = acc {
                let mut order = Vec::with_capacity(call.order_by.len());
                for k in &call.order_by {
                    order.push(self.eval(txn, &k.expr, row)?);
                }
                items.push((order, std::mem::take(args)));
            } else {
                acc.feed(call.func, args)?;
            }
        }
        Ok(())
    }
}

fn column(row: &[Value], i: usize) -> Result<&Value> {
    row.get(i)
        .ok_or_else(|| Error::bug(format!("column {i} outside a row of {}", row.len())))
}

#[cfg(test)]
#[path = "aggregate_tests.rs"]
mod tests;
