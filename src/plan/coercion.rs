//! Coercions the binder makes explicit: implicit casts to an operator's or context's type,
//! explicit casts, parameter type inference, and common types of expression lists.

use crate::error::{Error, Result};
use crate::types::cast::common_type;
use crate::types::{DataType, Value};

use super::bind_expr::Typed;
use super::binder::Binder;
use super::Expr;

impl Binder<'_> {
    /// Implicit coercion of an expression of type `from` to `to`. Unknown-typed parameters
    /// take the type; string-to-text needs no runtime work.
    pub(super) fn coerce(&mut self, e: Expr, from: &DataType, to: &DataType) -> Expr {
        if from == to || *to == DataType::Unknown {
            return e;
        }
        if let Expr::Param(i) = e {
            if let Some(slot) = self.param_types.get_mut(i) {
                if *slot == DataType::Unknown {
                    *slot = to.clone();
                    return e;
                }
            }
        }
        if matches!(e, Expr::Constant(Value::Null)) {
            return e;
        }
        // An untyped string literal already holds its text.
        if *from == DataType::Unknown && *to == DataType::Text && matches!(e, Expr::Constant(Value::Text(_))) {
            return e;
        }
        if let (DataType::Char(_), DataType::Text | DataType::Varchar(_)) = (from, to) {
            return bpchar_to_text(e, to);
        }
        if from.is_string() && *to == DataType::Text {
            return e;
        }
        Expr::Cast {
            expr: Box::new(e),
            to: to.clone(),
        }
    }

    /// Like `coerce`, but fails (42804) when PostgreSQL has no implicit cast.
    /// The type an operand compared with a value of type `other` takes: an untyped parameter
    /// is inferred to be `other` (and recorded as such); anything else keeps its type.
    pub(super) fn infer_operand_type(&mut self, x: &Expr, xt: DataType, other: &DataType) -> DataType {
        if matches!(x, Expr::Param(_)) && xt == DataType::Unknown {
            self.coerce(x.clone(), &xt, other);
            other.clone()
        } else {
            xt
        }
    }

    pub(super) fn coerce_to(&mut self, e: Expr, from: &DataType, to: &DataType, what: &str) -> Result<Expr> {
        if from != to && *from != DataType::Unknown && !crate::types::cast::can_coerce_implicitly(from, to) {
            return Err(Error::datatype_mismatch(format!(
                "{what} must be type {to}, not type {from}"
            )));
        }
        Ok(self.coerce(e, from, to))
    }

    /// `CAST(e AS to)`: a parameter of unknown type simply takes the type.
    pub(super) fn explicit_cast(&mut self, e: Expr, from: &DataType, to: &DataType) -> Expr {
        if from == to {
            return e;
        }
        if let (DataType::Char(_), DataType::Text | DataType::Varchar(_)) = (from, to) {
            return bpchar_to_text(e, to);
        }
        if let Expr::Param(i) = e {
            if let Some(slot) = self.param_types.get_mut(i) {
                if *slot == DataType::Unknown {
                    *slot = to.clone();
                    return e;
                }
            }
        }
        Expr::Cast {
            expr: Box::new(e),
            to: to.clone(),
        }
    }

    pub(super) fn infer_param(&mut self, x: &Expr, t: DataType, other: &DataType) -> DataType {
        if let Expr::Param(i) = x {
            if t == DataType::Unknown && *other != DataType::Unknown {
                if let Some(slot) = self.param_types.get_mut(*i) {
                    *slot = other.clone();
                }
                return other.clone();
            }
        }
        t
    }

    /// Coerces a list of expressions to their common type (COALESCE, GREATEST, ...).
    pub(super) fn coerce_common(&mut self, items: Vec<Typed>, context: &str) -> Result<(Vec<Expr>, DataType)> {
        let types: Vec<DataType> = items.iter().map(|(_, t)| t.clone()).collect();
        let common = common_type(&types, context)?;
        let common = if common == DataType::Unknown {
            DataType::Text
        } else {
            common
        };
        let exprs = items.into_iter().map(|(e, t)| self.coerce(e, &t, &common)).collect();
        Ok((exprs, common))
    }
}

/// `character(n)` to `text`/`varchar` drops the padding, as PostgreSQL's bpchar conversion
/// does; at run time every string is plain text, so the binder makes it explicit.
fn bpchar_to_text(e: Expr, to: &DataType) -> Expr {
    let trimmed = match crate::types::functions::resolve("rtrim", &[DataType::Text]) {
        Ok(Some(rf)) => Expr::Function {
            func: rf.func,
            args: vec![e],
        },
        _ => e,
    };
    match to {
        DataType::Text => trimmed,
        other => Expr::Cast {
            expr: Box::new(trimmed),
            to: other.clone(),
        },
    }
}
