//! Scalar functions callable from SQL, resolved by name and argument types.
//!
//! Functions that need the database (catalog lookups, ledger functions, settings) are not here:
//! the binder resolves those names itself. Everything here is pure given a `FunctionContext`.
//!
//! Resolution follows PostgreSQL's `func_select_candidate` loosely: candidates by name and arity,
//! then the most exact argument-type matches, then preferred types (float8, text, timestamptz)
//! where coercion is needed, then the string category for untyped literals. SQL syntax forms map
//! onto names here: `EXTRACT(f FROM x)` → `extract(f, x)` (numeric), `POSITION(a IN b)` →
//! `position(b, a)`, `SUBSTRING(s FROM a FOR b)` → `substring(s, a, b)`, `TRIM(LEADING c FROM s)`
//! → `ltrim(s, c)`, `CURRENT_DATE` etc. → zero-argument calls of the same name.

use chrono::{DateTime, Utc};

use super::{array, cast, json, math, string, temporal, DataType, Value};
use crate::error::{sqlstate, Error, Result};

/// Identifies a resolved scalar function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScalarFunc {
    // Math.
    Abs,
    Ceil,
    Floor,
    Round,
    Trunc,
    Sign,
    Sqrt,
    Cbrt,
    Power,
    Exp,
    Ln,
    /// `log(x)` (base 10) and `log(b, x)`.
    Log,
    Mod,
    Div,
    Pi,
    Random,
    Gcd,
    Lcm,
    Degrees,
    Radians,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Atan2,
    // Strings.
    Lower,
    Upper,
    Length,
    OctetLength,
    BitLength,
    Substr,
    /// `strpos(string, substring)`; `POSITION(a IN b)` binds as `position(b, a)`.
    Position,
    Btrim,
    Ltrim,
    Rtrim,
    Replace,
    /// Not strict: NULL arguments are skipped.
    Concat,
    /// Not strict: NULL separator gives NULL, NULL arguments are skipped.
    ConcatWs,
    Left,
    Right,
    Repeat,
    Reverse,
    Lpad,
    Rpad,
    Initcap,
    SplitPart,
    StartsWith,
    Ascii,
    Chr,
    Md5,
    Sha256,
    ToHex,
    Translate,
    RegexpReplace,
    RegexpMatch,
    Encode,
    Decode,
    Overlay,
    /// `substring(string, pattern)`: the regular-expression form of `SUBSTRING(s FROM pattern)`.
    SubstringRegex,
    RegexpSplitToArray,
    /// `similar_to_escape(pattern [, escape])`: `a SIMILAR TO b [ESCAPE e]` binds as
    /// `a ~ similar_to_escape(b [, e])`, as PostgreSQL rewrites it.
    SimilarToEscape,
    /// Not strict in the delimiter (NULL splits into characters).
    StringToArray,
    /// Not strict in the null string.
    ArrayToString,
    ArrayLength,
    Cardinality,
    /// Not strict: a NULL array is treated as empty.
    ArrayAppend,
    /// Not strict: a NULL array is treated as empty.
    ArrayPrepend,
    /// Not strict: a NULL side is treated as empty.
    ArrayCat,
    /// Not strict: removing NULL removes NULL elements.
    ArrayRemove,
    /// Not strict: searching for NULL finds a NULL element.
    ArrayPosition,
    ArrayUpper,
    ArrayLower,
    ArrayNdims,
    ArrayDims,
    QuoteIdent,
    QuoteLiteral,
    /// Not strict.
    QuoteNullable,
    /// Not strict in the arguments after the format string.
    Format,
    // Date and time.
    /// `now()`, `current_timestamp`, `transaction_timestamp()`.
    Now,
    StatementTimestamp,
    ClockTimestamp,
    CurrentDate,
    /// `current_time` / `localtime` (Vellum has no `timetz`: returns `time`).
    CurrentTime,
    LocalTimestamp,
    DateTrunc,
    /// `date_part(field, x)`: double precision.
    DatePart,
    /// `EXTRACT(field FROM x)`: numeric, as PostgreSQL 14+.
    Extract,
    Age,
    MakeDate,
    MakeTime,
    MakeTimestamp,
    MakeInterval,
    /// `to_timestamp(float8)` (epoch seconds) and `to_timestamp(text, template)`.
    ToTimestamp,
    ToDate,
    ToChar,
    JustifyDays,
    JustifyHours,
    IsFinite,
    // JSON.
    JsonbTypeof,
    JsonbArrayLength,
    /// Not strict.
    JsonbBuildObject,
    /// Not strict.
    JsonbBuildArray,
    ToJsonb,
    JsonbExtractPath,
    JsonbExtractPathText,
    JsonbPretty,
    JsonbStripNulls,
    JsonbSet,
    // Misc.
    GenRandomUuid,
    /// Not strict.
    NumNulls,
    /// Not strict.
    NumNonnulls,
}

impl ScalarFunc {
    /// Strict functions return NULL as soon as any argument is NULL, without being called.
    pub fn is_strict(&self) -> bool {
        !matches!(
            self,
            ScalarFunc::Concat
                | ScalarFunc::ConcatWs
                | ScalarFunc::StringToArray
                | ScalarFunc::ArrayToString
                | ScalarFunc::QuoteNullable
                | ScalarFunc::ArrayAppend
                | ScalarFunc::ArrayPrepend
                | ScalarFunc::ArrayCat
                | ScalarFunc::ArrayRemove
                | ScalarFunc::ArrayPosition
                | ScalarFunc::Format
                | ScalarFunc::JsonbBuildObject
                | ScalarFunc::JsonbBuildArray
                | ScalarFunc::NumNulls
                | ScalarFunc::NumNonnulls
        )
    }

    /// Functions whose result changes between calls with the same arguments: never fold them.
    pub fn is_volatile(&self) -> bool {
        matches!(
            self,
            ScalarFunc::Random | ScalarFunc::ClockTimestamp | ScalarFunc::GenRandomUuid
        )
    }
}

/// What a function needs from the statement that calls it.
#[derive(Debug, Clone)]
pub struct FunctionContext {
    /// `now()` / `current_timestamp`: the transaction's start time, as in PostgreSQL.
    pub transaction_start: DateTime<Utc>,
    /// `clock_timestamp()`.
    pub statement_start: DateTime<Utc>,
    /// The role functions that name a table at run time (the blockchain functions) check
    /// privileges as; `None`: unchecked (internal callers).
    pub user: Option<u32>,
}

/// A resolved call: the function, the types to coerce each argument to, and the result type.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedFunction {
    pub func: ScalarFunc,
    pub arg_types: Vec<DataType>,
    pub return_type: DataType,
}

use super::signatures::{Sig, Ty::*, SIGS};
use ScalarFunc as S;

/// Character types and typmods do not matter for resolution.
fn base(t: &DataType) -> DataType {
    match t {
        DataType::Varchar(_) | DataType::Char(_) => DataType::Text,
        DataType::Numeric(_) => DataType::Numeric(None),
        DataType::Array(inner) => DataType::Array(Box::new(base(inner))),
        other => other.clone(),
    }
}

fn is_preferred(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Float8 | DataType::Text | DataType::TimestampTz | DataType::Interval | DataType::Bool
    )
}

struct Candidate {
    sig: &'static Sig,
    params: Vec<DataType>,
    ret: DataType,
    exact: usize,
    preferred: usize,
    unknown_as_string: usize,
}

/// Matches one signature against the argument types, binding polymorphic parameters.
fn try_sig(sig: &'static Sig, args: &[DataType]) -> Option<Candidate> {
    let n = sig.args.len();
    let arity_ok = if sig.variadic {
        args.len() + 1 >= n
    } else {
        args.len() == n
    };
    if !arity_ok {
        return None;
    }
    // anyarray binds from the array argument, else anyelement from an element argument.
    let mut elem: Option<DataType> = None;
    for (i, a) in args.iter().enumerate() {
        let p = sig.args.get(i).or(sig.args.last()).copied().unwrap_or(Any);
        if p == AnyArr {
            match base(a) {
                DataType::Array(e) => elem = Some(*e),
                DataType::Unknown => {}
                _ => return None,
            }
        }
    }
    if elem.is_none() {
        for (i, a) in args.iter().enumerate() {
            let p = sig.args.get(i).or(sig.args.last()).copied().unwrap_or(Any);
            if p == Elem && base(a) != DataType::Unknown {
                elem = Some(base(a));
            }
        }
    }
    let mut cand = Candidate {
        sig,
        params: Vec::new(),
        ret: DataType::Text,
        exact: 0,
        preferred: 0,
        unknown_as_string: 0,
    };
    for (i, a) in args.iter().enumerate() {
        let p = sig.args.get(i).or(sig.args.last()).copied().unwrap_or(Any);
        let a = base(a);
        let target = match p {
            Any => {
                cand.exact += 1;
                if a == DataType::Unknown {
                    DataType::Text
                } else {
                    a.clone()
                }
            }
            AnyArr => DataType::Array(Box::new(elem.clone().unwrap_or(DataType::Text))),
            Elem => elem.clone().unwrap_or(DataType::Text),
            other => other.concrete()?,
        };
        if a == target {
            if p != Any {
                cand.exact += 1;
            }
        } else if a == DataType::Unknown {
            if target.is_string() {
                cand.unknown_as_string += 1;
            }
        } else if cast::can_coerce_implicitly(&a, &target) {
            if is_preferred(&target) {
                cand.preferred += 1;
            }
        } else {
            return None;
        }
        // CHAR(n) arguments to text parameters lose their padding, as bpchar → text does.
        let target = match (target, args.get(i)) {
            (DataType::Text, Some(DataType::Char(_))) => DataType::Char(None),
            (t, _) => t,
        };
        cand.params.push(target);
    }
    cand.ret = match sig.ret {
        AnyArr => DataType::Array(Box::new(elem.clone().unwrap_or(DataType::Text))),
        Elem => elem.clone().unwrap_or(DataType::Text),
        other => other.concrete().unwrap_or(DataType::Text),
    };
    Some(cand)
}

/// Looks up `name` (lower-case) for the given argument types. `Ok(None)` if no such function
/// name exists at all; 42883 "function f(integer) does not exist" if the name exists but no
/// signature matches.
pub fn resolve(name: &str, args: &[DataType]) -> Result<Option<ResolvedFunction>> {
    let mut named = SIGS.iter().filter(|s| s.name == name).peekable();
    if named.peek().is_none() {
        return Ok(None);
    }
    let best = named.filter_map(|s| try_sig(s, args)).max_by(|a, b| {
        // `max_by` keeps the last of equals: compare table order reversed so the first wins.
        (a.exact, a.preferred, a.unknown_as_string)
            .cmp(&(b.exact, b.preferred, b.unknown_as_string))
            .then_with(|| (b.sig as *const Sig as usize).cmp(&(a.sig as *const Sig as usize)))
    });
    match best {
        Some(c) => Ok(Some(ResolvedFunction {
            func: c.sig.func,
            arg_types: c.params,
            return_type: c.ret,
        })),
        None => {
            let list: Vec<String> = args.iter().map(|a| a.error_name()).collect();
            Err(Error::sql(
                sqlstate::UNDEFINED_FUNCTION,
                format!("function {name}({}) does not exist", list.join(", ")),
            )
            .with_hint(
                "No function matches the given name and argument types. You might need to add explicit type casts.",
            ))
        }
    }
}

/// Calls a resolved function on arguments already coerced to `arg_types`. Most functions are
/// strict (NULL in → NULL out); `concat`, `concat_ws` and friends are not.
pub fn call(func: ScalarFunc, args: &[Value], ctx: &FunctionContext) -> Result<Value> {
    if func.is_strict() && args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    if let Some(v) = math::call(func, args)? {
        return Ok(v);
    }
    if let Some(v) = array::call(func, args)? {
        return Ok(v);
    }
    if let Some(v) = string::call(func, args)? {
        return Ok(v);
    }
    if let Some(v) = temporal::call(func, args, ctx)? {
        return Ok(v);
    }
    if let Some(v) = json::call(func, args)? {
        return Ok(v);
    }
    Ok(match func {
        S::GenRandomUuid => Value::Uuid(uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid()),
        S::NumNulls => Value::Int4(args.iter().filter(|a| a.is_null()).count() as i32),
        S::NumNonnulls => Value::Int4(args.iter().filter(|a| !a.is_null()).count() as i32),
        other => return Err(Error::bug(format!("function {other:?} has no implementation"))),
    })
}

/// The `i`th argument, or a Bug error when the binder passed too few.
pub(super) fn arg(args: &[Value], i: usize) -> Result<&Value> {
    args.get(i)
        .ok_or_else(|| Error::bug(format!("missing function argument {}", i + 1)))
}

pub(super) fn text_arg(args: &[Value], i: usize) -> Result<&str> {
    match arg(args, i)? {
        Value::Text(s) => Ok(s),
        other => Err(Error::bug(format!(
            "argument {} should be text, got {:?}",
            i + 1,
            other.data_type()
        ))),
    }
}

pub(super) fn int_arg(args: &[Value], i: usize) -> Result<i64> {
    match arg(args, i)? {
        Value::Int2(v) => Ok(*v as i64),
        Value::Int4(v) => Ok(*v as i64),
        Value::Int8(v) => Ok(*v),
        other => Err(Error::bug(format!(
            "argument {} should be an integer, got {:?}",
            i + 1,
            other.data_type()
        ))),
    }
}

pub(super) fn f64_arg(args: &[Value], i: usize) -> Result<f64> {
    match arg(args, i)? {
        Value::Float8(v) => Ok(*v),
        Value::Float4(v) => Ok(*v as f64),
        Value::Int2(v) => Ok(*v as f64),
        Value::Int4(v) => Ok(*v as f64),
        Value::Int8(v) => Ok(*v as f64),
        Value::Numeric(d) => Ok(super::numeric::to_f64(d)),
        other => Err(Error::bug(format!(
            "argument {} should be a float, got {:?}",
            i + 1,
            other.data_type()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DataType as D;

    fn ret(name: &str, args: &[D]) -> D {
        resolve(name, args).unwrap().unwrap().return_type
    }

    #[test]
    fn resolution_prefers_like_postgres() {
        // select pg_typeof(round(5)), pg_typeof(sqrt(4)), pg_typeof(abs(-5::int2)), pg_typeof(mod(5,3)),
        //        pg_typeof(round(5.5, 0)), pg_typeof(div(5,3)), pg_typeof(log(100))
        assert_eq!(ret("round", &[D::Int4]), D::Float8);
        assert_eq!(ret("sqrt", &[D::Int4]), D::Float8);
        assert_eq!(ret("abs", &[D::Int2]), D::Int2);
        assert_eq!(ret("mod", &[D::Int4, D::Int4]), D::Int4);
        assert_eq!(ret("round", &[D::Numeric(None), D::Int4]), D::Numeric(None));
        assert_eq!(ret("div", &[D::Int4, D::Int4]), D::Numeric(None));
        assert_eq!(ret("log", &[D::Int4]), D::Float8);
        assert_eq!(ret("round", &[D::Numeric(Some((5, 2)))]), D::Numeric(None));
        assert_eq!(ret("lower", &[D::Unknown]), D::Text);
        assert_eq!(ret("length", &[D::Varchar(Some(3))]), D::Int4);
        // length('ab'::char(4)) is 2 in PostgreSQL: CHAR arguments are trimmed on the way in.
        assert_eq!(
            resolve("length", &[D::Char(Some(4))]).unwrap().unwrap().arg_types,
            vec![D::Char(None)]
        );
        assert_eq!(ret("date_part", &[D::Unknown, D::Timestamp]), D::Float8);
        assert_eq!(ret("extract", &[D::Text, D::Date]), D::Numeric(None));
        assert_eq!(ret("date_trunc", &[D::Unknown, D::TimestampTz]), D::TimestampTz);
        assert_eq!(ret("array_length", &[D::Array(Box::new(D::Int4)), D::Int4]), D::Int4);
        assert_eq!(ret("concat", &[D::Int4, D::Unknown, D::Bool]), D::Text);
        let ints = D::Array(Box::new(D::Int4));
        let r = resolve("array_append", &[ints.clone(), D::Unknown]).unwrap().unwrap();
        assert_eq!(
            (r.arg_types, r.return_type),
            (vec![ints.clone(), D::Int4], ints.clone())
        );
        let r = resolve("array_prepend", &[D::Unknown, ints.clone()]).unwrap().unwrap();
        assert_eq!(r.return_type, ints);
        assert!(resolve("array_append", &[D::Int4, D::Int4]).is_err());
        let r = resolve("concat", &[D::Int4, D::Unknown]).unwrap().unwrap();
        assert_eq!(r.arg_types, vec![D::Int4, D::Text]);
        assert_eq!(ret("jsonb_build_object", &[]), D::Jsonb);
        assert_eq!(resolve("no_such_function", &[]).unwrap(), None);
        let e = resolve("lower", &[D::Int4]).unwrap_err();
        assert_eq!(
            (e.sqlstate(), e.message().as_str()),
            ("42883", "function lower(integer) does not exist")
        );
        assert_eq!(
            e.hint(),
            Some("No function matches the given name and argument types. You might need to add explicit type casts.")
        );
    }

    #[test]
    fn random_arguments_never_panic() {
        let ctx = FunctionContext {
            transaction_start: Utc::now(),
            statement_start: Utc::now(),
            user: None,
        };
        let alphabet: Vec<char> = "%_\\$1I LsS9.0,DGMIFMHH24YYYYMonthDyTHth\"é-()[]|*+?".chars().collect();
        let mut rng = fastrand::Rng::with_seed(9);
        let text = |rng: &mut fastrand::Rng| -> Value {
            let len = rng.usize(0..16);
            Value::Text((0..len).map(|_| alphabet[rng.usize(0..alphabet.len())]).collect())
        };
        let ts = crate::types::text::parse("2024-01-05 04:05:06.5", &DataType::Timestamp).unwrap();
        let num = Value::Numeric(rust_decimal::Decimal::new(-123456, 3));
        for _ in 0..5_000 {
            let (a, b, c) = (text(&mut rng), text(&mut rng), text(&mut rng));
            let n = Value::Int4(rng.i32(-40..40));
            let calls: [(ScalarFunc, Vec<Value>); 14] = [
                (S::ToDate, vec![b.clone(), a.clone()]),
                (
                    S::ToTimestamp,
                    vec![Value::Text("2024-01-05 10:11:12".into()), a.clone()],
                ),
                (S::ToChar, vec![ts.clone(), a.clone()]),
                (S::ToChar, vec![num.clone(), a.clone()]),
                (S::ToChar, vec![Value::Float8(rng.f64() * 1e6 - 5e5), b.clone()]),
                (S::Format, vec![a.clone(), b.clone(), Value::Null]),
                (S::SimilarToEscape, vec![a.clone()]),
                (
                    S::RegexpReplace,
                    vec![a.clone(), b.clone(), c.clone(), Value::Text("g".into())],
                ),
                (S::SplitPart, vec![a.clone(), b.clone(), n.clone()]),
                (S::Substr, vec![a.clone(), n.clone(), Value::Int4(rng.i32(0..10))]),
                (S::Lpad, vec![a.clone(), n.clone(), b.clone()]),
                (S::Left, vec![a.clone(), n.clone()]),
                (S::Translate, vec![a.clone(), b.clone(), c.clone()]),
                (S::DateTrunc, vec![a.clone(), ts.clone()]),
            ];
            for (f, args) in calls {
                let _ = call(f, &args, &ctx);
            }
            if let (Value::Text(s), Value::Text(p)) = (&a, &b) {
                let _ = crate::types::ops::like_match(s, p, None, rng.bool());
            }
        }
    }

    #[test]
    fn strict_functions_return_null() {
        let ctx = FunctionContext {
            transaction_start: Utc::now(),
            statement_start: Utc::now(),
            user: None,
        };
        assert_eq!(call(S::Lower, &[Value::Null], &ctx).unwrap(), Value::Null);
        let c = call(S::Concat, &[Value::Text("a".into()), Value::Null, Value::Int4(1)], &ctx).unwrap();
        assert_eq!(c, Value::Text("a1".into()));
        assert_eq!(
            call(S::NumNulls, &[Value::Null, Value::Int4(1)], &ctx).unwrap(),
            Value::Int4(1)
        );
        let u = call(S::GenRandomUuid, &[], &ctx).unwrap();
        let Value::Uuid(u) = u else { panic!("not a uuid") };
        assert_eq!(u.get_version_num(), 4);
    }
}
