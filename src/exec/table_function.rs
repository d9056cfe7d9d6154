//! Set-returning functions in FROM: `generate_series` over integers, numerics and timestamps,
//! and `unnest` of an array.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use crate::error::{sqlstate, Error, Result};
use crate::plan::{Expr, TableFunc};
use crate::storage::Txn;
use crate::types::ops::{eval_binary, sql_compare, BinaryOp};
use crate::types::{Row, Value};

use super::Executor;

fn zero_step() -> Error {
    Error::sql(sqlstate::INVALID_PARAMETER_VALUE, "step size cannot equal zero")
}

fn flatten(items: &[Value], out: &mut Vec<Value>) {
    for item in items {
        match item {
            Value::Array(inner) => flatten(inner, out),
            other => out.push(other.clone()),
        }
    }
}

fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Int2(n) => Some(i64::from(*n)),
        Value::Int4(n) => Some(i64::from(*n)),
        Value::Int8(n) => Some(*n),
        _ => None,
    }
}

impl Executor<'_> {
    pub(super) fn table_function(
        &mut self,
        txn: &Txn,
        func: TableFunc,
        args: &[Expr],
        width: usize,
    ) -> Result<Vec<Row>> {
        let mut values = Vec::with_capacity(args.len());
        for a in args {
            values.push(self.eval(txn, a, &[])?);
        }
        let column = match func {
            TableFunc::BlockchainSigners => return Ok(self.signer_rows()),
            TableFunc::Lineage => return self.lineage_rows(txn, &values),
            TableFunc::BlockchainMetadata | TableFunc::BlockchainTamperReport | TableFunc::BlockchainPurgeLog => {
                return self.ledger_table_function(txn, func, &values);
            }
            TableFunc::GenerateSeries => self.generate_series(&values)?,
            TableFunc::Unnest => match values.as_slice() {
                [Value::Null] => Vec::new(),
                [Value::Array(items)] => {
                    // A multidimensional array unnests to all its elements in storage order.
                    let mut flat = Vec::with_capacity(items.len());
                    flatten(items, &mut flat);
                    flat
                }
                [other] => {
                    return Err(Error::datatype_mismatch(format!(
                        "cannot unnest type {}",
                        other.data_type()
                    )))
                }
                _ => return Err(Error::unsupported("unnest with other than one argument")),
            },
        };
        if width != 1 {
            return Err(Error::bug(format!(
                "{func:?} produces one column, plan expects {width}"
            )));
        }
        Ok(column.into_iter().map(|v| vec![v]).collect())
    }

    fn generate_series(&mut self, args: &[Value]) -> Result<Vec<Value>> {
        if args.iter().any(Value::is_null) {
            return Ok(Vec::new());
        }
        let (start, stop, step) = match args {
            [a, b] => (a, b, None),
            [a, b, c] => (a, b, Some(c)),
            _ => return Err(Error::bug("generate_series takes two or three arguments")),
        };
        let mut out = Vec::new();
        if let (Some(a), Some(b)) = (int_of(start), int_of(stop)) {
            let s = match step {
                Some(v) => int_of(v).ok_or_else(|| Error::bug("generate_series step is not an integer"))?,
                None => 1,
            };
            if s == 0 {
                return Err(zero_step());
            }
            let wide = matches!(start, Value::Int8(_)) || matches!(stop, Value::Int8(_));
            let mut i = a;
            while (s > 0 && i <= b) || (s < 0 && i >= b) {
                self.tick()?;
                out.push(if wide { Value::Int8(i) } else { Value::Int4(i as i32) });
                match i.checked_add(s) {
                    Some(n) => i = n,
                    None => break,
                }
            }
            return Ok(out);
        }
        if let (Value::Numeric(a), Value::Numeric(b)) = (start, stop) {
            let s = match step {
                Some(Value::Numeric(d)) => *d,
                Some(_) => return Err(Error::bug("generate_series step is not numeric")),
                None => Decimal::ONE,
            };
            if s.is_zero() {
                return Err(zero_step());
            }
            let mut i = *a;
            while (s.is_sign_positive() && i <= *b) || (s.is_sign_negative() && i >= *b) {
                self.tick()?;
                out.push(Value::Numeric(i));
                i = i.checked_add(s).ok_or_else(|| Error::out_of_range("numeric"))?;
            }
            return Ok(out);
        }
        // Timestamps (with an interval step): step by `+`, compare by SQL order.
        let Some(Value::Interval(iv)) = step else {
            return Err(Error::unsupported(format!(
                "generate_series({}, {})",
                start.data_type(),
                stop.data_type()
            )));
        };
        let direction = iv.comparable_micros().cmp(&0);
        if direction == Ordering::Equal {
            return Err(zero_step());
        }
        let past = if direction == Ordering::Greater {
            Ordering::Greater
        } else {
            Ordering::Less
        };
        let mut cur = start.clone();
        loop {
            self.tick()?;
            match sql_compare(&cur, stop)? {
                Some(o) if o == past => break,
                None => break,
                _ => {}
            }
            let next = eval_binary(BinaryOp::Add, &cur, &Value::Interval(*iv))?;
            out.push(cur);
            cur = next;
        }
        Ok(out)
    }
}
