//! Operators: resolving the types an operator application coerces to, and evaluating it.
//!
//! The binder calls `resolve_binary`/`resolve_unary` once per expression; the executor calls
//! `eval_binary`/`eval_unary` per row on values already coerced to the resolved operand types.
//! This file owns the typing rules; evaluation lives in `eval`, LIKE/regex in `pattern`, both
//! re-exported here so callers need only `types::ops`.

use super::DataType;
use crate::error::{sqlstate, Error, Result};

pub use super::eval::{eval_binary, eval_unary, pow_f64, sql_compare, sqrt_f64};
pub use super::pattern::{compile_regex, like_match, regex_match};

/// Binary operators reachable from SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    /// `^` (PostgreSQL power, always float or numeric)
    Pow,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    /// Three-valued AND/OR are evaluated lazily by the executor; listed for typing.
    And,
    Or,
    /// `||` string/bytea/array/jsonb concatenation
    Concat,
    BitAnd,
    BitOr,
    BitXor,
    ShiftLeft,
    ShiftRight,
    /// `->` jsonb field/element as jsonb
    JsonGet,
    /// `->>` jsonb field/element as text
    JsonGetText,
    /// `#>` / `#>>` path extraction
    JsonPath,
    JsonPathText,
    /// `@>` / `<@` containment
    JsonContains,
    JsonContainedBy,
    /// `?` key exists
    JsonExists,
    /// `~`, `~*`, `!~`, `!~*`
    RegexMatch {
        case_insensitive: bool,
        negated: bool,
    },
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Neg,
    Plus,
    Not,
    BitNot,
    /// `|/` square root, `@` absolute value
    Sqrt,
    Abs,
}

/// How an operator application is typed: coerce each operand, produce `result`.
#[derive(Debug, Clone, PartialEq)]
pub struct BinarySignature {
    pub left: DataType,
    pub right: DataType,
    pub result: DataType,
}

impl BinaryOp {
    /// The operator as SQL spells it, for error messages.
    pub fn symbol(&self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Pow => "^",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::And => "AND",
            BinaryOp::Or => "OR",
            BinaryOp::Concat => "||",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitOr => "|",
            BinaryOp::BitXor => "#",
            BinaryOp::ShiftLeft => "<<",
            BinaryOp::ShiftRight => ">>",
            BinaryOp::JsonGet => "->",
            BinaryOp::JsonGetText => "->>",
            BinaryOp::JsonPath => "#>",
            BinaryOp::JsonPathText => "#>>",
            BinaryOp::JsonContains => "@>",
            BinaryOp::JsonContainedBy => "<@",
            BinaryOp::JsonExists => "?",
            BinaryOp::RegexMatch {
                case_insensitive: false,
                negated: false,
            } => "~",
            BinaryOp::RegexMatch {
                case_insensitive: true,
                negated: false,
            } => "~*",
            BinaryOp::RegexMatch {
                case_insensitive: false,
                negated: true,
            } => "!~",
            BinaryOp::RegexMatch {
                case_insensitive: true,
                negated: true,
            } => "!~*",
        }
    }

    pub fn is_comparison(&self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq
        )
    }
}

impl UnaryOp {
    pub fn symbol(&self) -> &'static str {
        match self {
            UnaryOp::Neg => "-",
            UnaryOp::Plus => "+",
            UnaryOp::Not => "NOT",
            UnaryOp::BitNot => "~",
            UnaryOp::Sqrt => "|/",
            UnaryOp::Abs => "@",
        }
    }
}

pub(super) fn no_operator(op: BinaryOp, left: &DataType, right: &DataType) -> Error {
    Error::sql(
        sqlstate::UNDEFINED_FUNCTION,
        format!(
            "operator does not exist: {} {} {}",
            left.error_name(),
            op.symbol(),
            right.error_name()
        ),
    )
    .with_hint("No operator matches the given name and argument types. You might need to add explicit type casts.")
}

/// Operand types stripped of typmods and with all character types as TEXT: operators never
/// depend on either.
fn base(t: &DataType) -> DataType {
    match t {
        DataType::Varchar(_) | DataType::Char(_) => DataType::Text,
        DataType::Numeric(_) => DataType::Numeric(None),
        DataType::Array(inner) => DataType::Array(Box::new(base(inner))),
        other => other.clone(),
    }
}

fn int_rank(t: &DataType) -> u8 {
    match t {
        DataType::Int2 => 1,
        DataType::Int4 => 2,
        _ => 3,
    }
}

/// The type two numbers meet in: floats win (float4 only with float4), then numeric, then the
/// wider integer.
pub(super) fn numeric_common(l: &DataType, r: &DataType) -> DataType {
    use DataType::*;
    match (l, r) {
        (Float4, Float4) => Float4,
        _ if l.is_float() || r.is_float() => Float8,
        (Numeric(_), _) | (_, Numeric(_)) => Numeric(None),
        _ if int_rank(l) >= int_rank(r) => l.clone(),
        _ => r.clone(),
    }
}

fn sig(left: DataType, right: DataType, result: DataType) -> Option<BinarySignature> {
    Some(BinarySignature { left, right, result })
}

/// Signatures for known (non-`unknown`) operand types.
fn known_signature(op: BinaryOp, l: &DataType, r: &DataType) -> Option<BinarySignature> {
    use BinaryOp::*;
    use DataType::*;
    let text_array = || Array(Box::new(Text));
    match op {
        Add | Sub | Mul | Div | Mod | Pow if l.is_numeric() && r.is_numeric() => {
            let t = numeric_common(l, r);
            match op {
                Pow if matches!(t, Numeric(_)) => sig(t.clone(), t.clone(), t),
                Pow => sig(Float8, Float8, Float8),
                Mod if t.is_float() => None,
                _ => sig(t.clone(), t.clone(), t),
            }
        }
        Add => match (l, r) {
            (Date, i) if i.is_integer() => sig(Date, Int4, Date),
            (i, Date) if i.is_integer() => sig(Int4, Date, Date),
            (Date, Interval) => sig(Date, Interval, Timestamp),
            (Interval, Date) => sig(Interval, Date, Timestamp),
            (Date, Time) => sig(Date, Time, Timestamp),
            (Time, Date) => sig(Time, Date, Timestamp),
            (Timestamp, Interval) | (TimestampTz, Interval) => sig(l.clone(), Interval, l.clone()),
            (Interval, Timestamp) | (Interval, TimestampTz) => sig(Interval, r.clone(), r.clone()),
            (Time, Interval) => sig(Time, Interval, Time),
            (Interval, Time) => sig(Interval, Time, Time),
            (Interval, Interval) => sig(Interval, Interval, Interval),
            _ => None,
        },
        Sub => match (l, r) {
            (Date, i) if i.is_integer() => sig(Date, Int4, Date),
            (Date, Date) => sig(Date, Date, Int4),
            (Date, Interval) => sig(Date, Interval, Timestamp),
            (Timestamp, Interval) | (TimestampTz, Interval) => sig(l.clone(), Interval, l.clone()),
            (Time, Interval) => sig(Time, Interval, Time),
            (Time, Time) => sig(Time, Time, Interval),
            (Interval, Interval) => sig(Interval, Interval, Interval),
            (Timestamp, Timestamp) | (Date, Timestamp) | (Timestamp, Date) => sig(Timestamp, Timestamp, Interval),
            (TimestampTz, TimestampTz | Timestamp | Date) | (Timestamp | Date, TimestampTz) => {
                sig(TimestampTz, TimestampTz, Interval)
            }
            _ => None,
        },
        Mul => match (l, r) {
            (Interval, n) if n.is_numeric() => sig(Interval, Float8, Interval),
            (n, Interval) if n.is_numeric() => sig(Float8, Interval, Interval),
            _ => None,
        },
        Div => match (l, r) {
            (Interval, n) if n.is_numeric() => sig(Interval, Float8, Interval),
            _ => None,
        },
        Eq | NotEq | Lt | LtEq | Gt | GtEq => {
            let t = comparison_type(l, r)?;
            sig(t.clone(), t, Bool)
        }
        And | Or => match (l, r) {
            (Bool, Bool) => sig(Bool, Bool, Bool),
            _ => None,
        },
        Concat => match (l, r) {
            (Bytea, Bytea) => sig(Bytea, Bytea, Bytea),
            (Jsonb, Jsonb) => sig(Jsonb, Jsonb, Jsonb),
            (Array(a), Array(b)) => {
                let t = Array(Box::new(element_common(a, b)?));
                sig(t.clone(), t.clone(), t)
            }
            (Array(a), e) => {
                let t = element_common(a, e)?;
                sig(Array(Box::new(t.clone())), t.clone(), Array(Box::new(t)))
            }
            (e, Array(a)) => {
                let t = element_common(a, e)?;
                sig(t.clone(), Array(Box::new(t.clone())), Array(Box::new(t)))
            }
            // anynonarray || text and text || anynonarray: the other side is cast to text.
            (Text, _) | (_, Text) => sig(Text, Text, Text),
            _ => None,
        },
        BitAnd | BitOr | BitXor if l.is_integer() && r.is_integer() => {
            let t = numeric_common(l, r);
            sig(t.clone(), t.clone(), t)
        }
        ShiftLeft | ShiftRight if l.is_integer() && r.is_integer() => sig(l.clone(), Int4, l.clone()),
        JsonGet | JsonGetText => {
            let result = if op == JsonGet { Jsonb } else { Text };
            match (l, r) {
                (Jsonb, Text) => sig(Jsonb, Text, result),
                (Jsonb, i) if i.is_integer() => sig(Jsonb, Int4, result),
                _ => None,
            }
        }
        JsonPath | JsonPathText => match (l, r) {
            (Jsonb, Array(e)) if **e == Text => sig(Jsonb, text_array(), if op == JsonPath { Jsonb } else { Text }),
            _ => None,
        },
        JsonContains | JsonContainedBy => match (l, r) {
            (Jsonb, Jsonb) => sig(Jsonb, Jsonb, Bool),
            (Array(a), Array(b)) => {
                let t = Array(Box::new(element_common(a, b)?));
                sig(t.clone(), t, Bool)
            }
            _ => None,
        },
        JsonExists => match (l, r) {
            (Jsonb, Text) => sig(Jsonb, Text, Bool),
            _ => None,
        },
        RegexMatch { .. } => match (l, r) {
            (Text, Text) => sig(Text, Text, Bool),
            _ => None,
        },
        _ => None,
    }
}

fn element_common(a: &DataType, b: &DataType) -> Option<DataType> {
    if a == b {
        Some(a.clone())
    } else if a.is_numeric() && b.is_numeric() {
        Some(numeric_common(a, b))
    } else {
        comparison_type(a, b)
    }
}

/// The type both sides of a comparison are coerced to.
fn comparison_type(l: &DataType, r: &DataType) -> Option<DataType> {
    use DataType::*;
    if l == r {
        return Some(l.clone());
    }
    if l.is_numeric() && r.is_numeric() {
        return Some(numeric_common(l, r));
    }
    match (l, r) {
        (Date, Timestamp) | (Timestamp, Date) => Some(Timestamp),
        (TimestampTz, Date | Timestamp) | (Date | Timestamp, TimestampTz) => Some(TimestampTz),
        (Array(a), Array(b)) => Some(Array(Box::new(comparison_type(a, b)?))),
        _ => None,
    }
}

/// What an untyped literal becomes when the other operand's type does not apply to it.
fn unknown_default(op: BinaryOp, known: &DataType, unknown_is_right: bool) -> DataType {
    use BinaryOp::*;
    use DataType::*;
    match (op, known) {
        (JsonGet | JsonGetText | JsonExists | RegexMatch { .. }, _) => Text,
        (JsonPath | JsonPathText, _) => Array(Box::new(Text)),
        (Add | Sub, Date | Timestamp | TimestampTz | Time) if unknown_is_right => Interval,
        (Add, Date | Timestamp | TimestampTz | Time) => Interval,
        (Mul | Div, Interval) => Float8,
        (Concat, Array(e)) => (**e).clone(),
        (And | Or, _) => Bool,
        _ => Text,
    }
}

/// Resolves `left op right` for operand types, with PostgreSQL's coercions (e.g. int4 + int8 →
/// both int8; int + numeric → numeric; text literal (`Unknown`) against a date → date).
/// Errors with 42883 "operator does not exist: integer + boolean" when no match.
pub fn resolve_binary(op: BinaryOp, left: &DataType, right: &DataType) -> Result<BinarySignature> {
    let (l, r) = (base(left), base(right));
    let found =
        match (&l, &r) {
            (DataType::Unknown, DataType::Unknown) => {
                let t = if matches!(op, BinaryOp::And | BinaryOp::Or) {
                    DataType::Bool
                } else {
                    DataType::Text
                };
                known_signature(op, &t, &t)
            }
            // An untyped literal first takes the other side's type (PostgreSQL's rule for unknown
            // operands), then the operator's natural type for that position.
            (DataType::Unknown, known) => known_signature(op, known, known)
                .or_else(|| known_signature(op, &unknown_default(op, known, false), known)),
            (known, DataType::Unknown) => known_signature(op, known, known)
                .or_else(|| known_signature(op, known, &unknown_default(op, known, true))),
            _ => known_signature(op, &l, &r),
        };
    let mut sig = found.ok_or_else(|| no_operator(op, left, right))?;
    // CHAR(n) values carry their padding; used as text, PostgreSQL drops trailing spaces
    // (bpchar → text), and compares them space-insensitively. Coercing such operands to
    // `Char(None)` makes the binder insert the cast that trims them.
    let is_char = |t: &DataType| matches!(t, DataType::Char(_));
    let char_side = is_char(left) || is_char(right);
    let comparison_with_literal = op.is_comparison()
        && char_side
        && (is_char(left) || *left == DataType::Unknown)
        && (is_char(right) || *right == DataType::Unknown);
    if sig.left == DataType::Text && (is_char(left) || comparison_with_literal) {
        sig.left = DataType::Char(None);
    }
    if sig.right == DataType::Text && (is_char(right) || comparison_with_literal) {
        sig.right = DataType::Char(None);
    }
    Ok(sig)
}

/// Resolves a unary operator; returns (operand coercion target, result type).
pub fn resolve_unary(op: UnaryOp, operand: &DataType) -> Result<(DataType, DataType)> {
    use DataType::*;
    let t = base(operand);
    let ok = |t: DataType| Ok((t.clone(), t));
    match (op, &t) {
        (UnaryOp::Neg | UnaryOp::Plus | UnaryOp::Abs, n) if n.is_numeric() => ok(t.clone()),
        (UnaryOp::Neg | UnaryOp::Plus, Interval) => ok(Interval),
        (UnaryOp::Neg | UnaryOp::Plus | UnaryOp::Abs, Unknown) => ok(Float8),
        (UnaryOp::Not, Bool | Unknown) => ok(Bool),
        (UnaryOp::BitNot, n) if n.is_integer() => ok(t.clone()),
        // `|/` exists for double precision only: other numbers are converted.
        (UnaryOp::Sqrt, n) if n.is_numeric() => Ok((Float8, Float8)),
        (UnaryOp::Sqrt, Unknown) => ok(Float8),
        _ => Err(Error::sql(
            sqlstate::UNDEFINED_FUNCTION,
            format!("operator does not exist: {} {}", op.symbol(), operand.error_name()),
        )
        .with_hint(
            "No operator matches the given name and argument type. You might need to add an explicit type cast.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DataType as T;

    #[test]
    fn resolution_follows_postgres() {
        let r = |op, l: &T, rt: &T| resolve_binary(op, l, rt).unwrap();
        assert_eq!(r(BinaryOp::Add, &T::Int4, &T::Int8).left, T::Int8);
        assert_eq!(r(BinaryOp::Add, &T::Int2, &T::Int2).result, T::Int2);
        assert_eq!(
            r(BinaryOp::Add, &T::Int4, &T::Numeric(Some((5, 2)))).result,
            T::Numeric(None)
        );
        assert_eq!(r(BinaryOp::Mul, &T::Float4, &T::Int4).result, T::Float8);
        assert_eq!(r(BinaryOp::Add, &T::Float4, &T::Float4).result, T::Float4);
        assert_eq!(r(BinaryOp::Pow, &T::Int4, &T::Int4).result, T::Float8);
        assert_eq!(r(BinaryOp::Pow, &T::Numeric(None), &T::Int4).result, T::Numeric(None));
        assert_eq!(r(BinaryOp::Add, &T::Int4, &T::Unknown).right, T::Int4);
        assert_eq!(r(BinaryOp::Eq, &T::Unknown, &T::Unknown).left, T::Text);
        assert_eq!(r(BinaryOp::Lt, &T::Text, &T::Varchar(Some(3))).right, T::Text);
        assert_eq!(r(BinaryOp::Add, &T::Date, &T::Int4).result, T::Date);
        assert_eq!(r(BinaryOp::Sub, &T::Date, &T::Date).result, T::Int4);
        assert_eq!(r(BinaryOp::Add, &T::Date, &T::Time).result, T::Timestamp);
        assert_eq!(r(BinaryOp::Add, &T::Date, &T::Interval).result, T::Timestamp);
        assert_eq!(r(BinaryOp::Add, &T::Timestamp, &T::Unknown).right, T::Interval);
        assert_eq!(r(BinaryOp::Sub, &T::Timestamp, &T::Unknown).right, T::Timestamp);
        assert_eq!(r(BinaryOp::Sub, &T::TimestampTz, &T::TimestampTz).result, T::Interval);
        assert_eq!(r(BinaryOp::Mul, &T::Interval, &T::Int4).right, T::Float8);
        let c = r(BinaryOp::Concat, &T::Int4, &T::Unknown);
        assert_eq!((c.left, c.right, c.result), (T::Text, T::Text, T::Text));
        let arr = T::Array(Box::new(T::Int4));
        assert_eq!(r(BinaryOp::Concat, &arr, &T::Int4).result, arr);
        assert_eq!(r(BinaryOp::JsonGet, &T::Jsonb, &T::Unknown).right, T::Text);
        assert_eq!(r(BinaryOp::JsonGet, &T::Jsonb, &T::Int4).result, T::Jsonb);
        assert_eq!(
            r(BinaryOp::JsonPathText, &T::Jsonb, &T::Unknown).right,
            T::Array(Box::new(T::Text))
        );
        // CHAR(n) operands are trimmed (bpchar semantics); literals compared with them too.
        let c = r(BinaryOp::Eq, &T::Char(Some(4)), &T::Unknown);
        assert_eq!((c.left, c.right), (T::Char(None), T::Char(None)));
        let c = r(BinaryOp::Concat, &T::Char(Some(4)), &T::Unknown);
        assert_eq!((c.left, c.right), (T::Char(None), T::Text));
        let c = r(BinaryOp::Eq, &T::Varchar(Some(4)), &T::Unknown);
        assert_eq!((c.left, c.right), (T::Text, T::Text));
        let e = resolve_binary(BinaryOp::Add, &T::Int4, &T::Bool).unwrap_err();
        assert_eq!(
            (e.sqlstate(), e.message().as_str()),
            ("42883", "operator does not exist: integer + boolean")
        );
        assert!(resolve_binary(BinaryOp::Mod, &T::Float8, &T::Float8).is_err());
    }
}
