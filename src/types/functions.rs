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
}

/// A resolved call: the function, the types to coerce each argument to, and the result type.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedFunction {
    pub func: ScalarFunc,
    pub arg_types: Vec<DataType>,
    pub return_type: DataType,
}

/// Parameter and result types of the signature table.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ty {
    Bool,
    I2,
    I4,
    I8,
    F4,
    F8,
    N,
    T,
    Bytea,
    Date,
    Time,
    Ts,
    Tstz,
    Iv,
    J,
    Uuid,
    TArr,
    /// `anyarray`; `Elem` is its element type (`anyelement`).
    AnyArr,
    Elem,
    /// `"any"`: the argument keeps its own type.
    Any,
}

impl Ty {
    fn concrete(self) -> Option<DataType> {
        Some(match self {
            Ty::Bool => DataType::Bool,
            Ty::I2 => DataType::Int2,
            Ty::I4 => DataType::Int4,
            Ty::I8 => DataType::Int8,
            Ty::F4 => DataType::Float4,
            Ty::F8 => DataType::Float8,
            Ty::N => DataType::Numeric(None),
            Ty::T => DataType::Text,
            Ty::Bytea => DataType::Bytea,
            Ty::Date => DataType::Date,
            Ty::Time => DataType::Time,
            Ty::Ts => DataType::Timestamp,
            Ty::Tstz => DataType::TimestampTz,
            Ty::Iv => DataType::Interval,
            Ty::J => DataType::Jsonb,
            Ty::Uuid => DataType::Uuid,
            Ty::TArr => DataType::Array(Box::new(DataType::Text)),
            Ty::AnyArr | Ty::Elem | Ty::Any => return None,
        })
    }
}

struct Sig {
    name: &'static str,
    func: ScalarFunc,
    args: &'static [Ty],
    /// The last parameter repeats zero or more times.
    variadic: bool,
    ret: Ty,
}

const fn f(name: &'static str, func: ScalarFunc, args: &'static [Ty], ret: Ty) -> Sig {
    Sig {
        name,
        func,
        args,
        variadic: false,
        ret,
    }
}

const fn v(name: &'static str, func: ScalarFunc, args: &'static [Ty], ret: Ty) -> Sig {
    Sig {
        name,
        func,
        args,
        variadic: true,
        ret,
    }
}

use ScalarFunc as S;
use Ty::*;

#[rustfmt::skip]
static SIGS: &[Sig] = &[
    f("abs", S::Abs, &[I2], I2), f("abs", S::Abs, &[I4], I4), f("abs", S::Abs, &[I8], I8),
    f("abs", S::Abs, &[F4], F4), f("abs", S::Abs, &[F8], F8), f("abs", S::Abs, &[N], N),
    f("ceil", S::Ceil, &[F8], F8), f("ceil", S::Ceil, &[N], N),
    f("ceiling", S::Ceil, &[F8], F8), f("ceiling", S::Ceil, &[N], N),
    f("floor", S::Floor, &[F8], F8), f("floor", S::Floor, &[N], N),
    f("round", S::Round, &[F8], F8), f("round", S::Round, &[N], N), f("round", S::Round, &[N, I4], N),
    f("trunc", S::Trunc, &[F8], F8), f("trunc", S::Trunc, &[N], N), f("trunc", S::Trunc, &[N, I4], N),
    f("sign", S::Sign, &[F8], F8), f("sign", S::Sign, &[N], N),
    f("sqrt", S::Sqrt, &[F8], F8), f("sqrt", S::Sqrt, &[N], N),
    f("cbrt", S::Cbrt, &[F8], F8),
    f("power", S::Power, &[F8, F8], F8), f("power", S::Power, &[N, N], N),
    f("pow", S::Power, &[F8, F8], F8), f("pow", S::Power, &[N, N], N),
    f("exp", S::Exp, &[F8], F8), f("exp", S::Exp, &[N], N),
    f("ln", S::Ln, &[F8], F8), f("ln", S::Ln, &[N], N),
    f("log", S::Log, &[F8], F8), f("log", S::Log, &[N], N), f("log", S::Log, &[N, N], N),
    f("log10", S::Log, &[F8], F8), f("log10", S::Log, &[N], N),
    f("mod", S::Mod, &[I2, I2], I2), f("mod", S::Mod, &[I4, I4], I4), f("mod", S::Mod, &[I8, I8], I8),
    f("mod", S::Mod, &[N, N], N),
    f("div", S::Div, &[N, N], N),
    f("pi", S::Pi, &[], F8),
    f("random", S::Random, &[], F8),
    f("gcd", S::Gcd, &[I4, I4], I4), f("gcd", S::Gcd, &[I8, I8], I8),
    f("lcm", S::Lcm, &[I4, I4], I4), f("lcm", S::Lcm, &[I8, I8], I8),
    f("degrees", S::Degrees, &[F8], F8), f("radians", S::Radians, &[F8], F8),
    f("sin", S::Sin, &[F8], F8), f("cos", S::Cos, &[F8], F8), f("tan", S::Tan, &[F8], F8),
    f("asin", S::Asin, &[F8], F8), f("acos", S::Acos, &[F8], F8), f("atan", S::Atan, &[F8], F8),
    f("atan2", S::Atan2, &[F8, F8], F8),

    f("lower", S::Lower, &[T], T), f("upper", S::Upper, &[T], T),
    f("length", S::Length, &[T], I4), f("length", S::OctetLength, &[Bytea], I4),
    f("char_length", S::Length, &[T], I4), f("character_length", S::Length, &[T], I4),
    f("octet_length", S::OctetLength, &[T], I4), f("octet_length", S::OctetLength, &[Bytea], I4),
    f("bit_length", S::BitLength, &[T], I4), f("bit_length", S::BitLength, &[Bytea], I4),
    f("substr", S::Substr, &[T, I4], T), f("substr", S::Substr, &[T, I4, I4], T),
    f("substring", S::Substr, &[T, I4], T), f("substring", S::Substr, &[T, I4, I4], T),
    f("position", S::Position, &[T, T], I4), f("strpos", S::Position, &[T, T], I4),
    f("btrim", S::Btrim, &[T], T), f("btrim", S::Btrim, &[T, T], T),
    f("trim", S::Btrim, &[T], T), f("trim", S::Btrim, &[T, T], T),
    f("ltrim", S::Ltrim, &[T], T), f("ltrim", S::Ltrim, &[T, T], T),
    f("rtrim", S::Rtrim, &[T], T), f("rtrim", S::Rtrim, &[T, T], T),
    f("replace", S::Replace, &[T, T, T], T),
    v("concat", S::Concat, &[Any], T), v("concat_ws", S::ConcatWs, &[T, Any], T),
    f("left", S::Left, &[T, I4], T), f("right", S::Right, &[T, I4], T),
    f("repeat", S::Repeat, &[T, I4], T), f("reverse", S::Reverse, &[T], T),
    f("lpad", S::Lpad, &[T, I4], T), f("lpad", S::Lpad, &[T, I4, T], T),
    f("rpad", S::Rpad, &[T, I4], T), f("rpad", S::Rpad, &[T, I4, T], T),
    f("initcap", S::Initcap, &[T], T), f("split_part", S::SplitPart, &[T, T, I4], T),
    f("starts_with", S::StartsWith, &[T, T], Bool),
    f("ascii", S::Ascii, &[T], I4), f("chr", S::Chr, &[I4], T),
    f("md5", S::Md5, &[T], T), f("md5", S::Md5, &[Bytea], T),
    f("to_hex", S::ToHex, &[I4], T), f("to_hex", S::ToHex, &[I8], T),
    f("translate", S::Translate, &[T, T, T], T),
    f("regexp_replace", S::RegexpReplace, &[T, T, T], T), f("regexp_replace", S::RegexpReplace, &[T, T, T, T], T),
    f("regexp_match", S::RegexpMatch, &[T, T], TArr), f("regexp_match", S::RegexpMatch, &[T, T, T], TArr),
    f("encode", S::Encode, &[Bytea, T], T), f("decode", S::Decode, &[T, T], Bytea),
    f("overlay", S::Overlay, &[T, T, I4], T), f("overlay", S::Overlay, &[T, T, I4, I4], T),
    f("substring", S::SubstringRegex, &[T, T], T),
    f("regexp_split_to_array", S::RegexpSplitToArray, &[T, T], TArr),
    f("regexp_split_to_array", S::RegexpSplitToArray, &[T, T, T], TArr),
    f("similar_to_escape", S::SimilarToEscape, &[T], T), f("similar_to_escape", S::SimilarToEscape, &[T, T], T),
    f("string_to_array", S::StringToArray, &[T, T], TArr), f("string_to_array", S::StringToArray, &[T, T, T], TArr),
    f("array_to_string", S::ArrayToString, &[AnyArr, T], T),
    f("array_to_string", S::ArrayToString, &[AnyArr, T, T], T),
    f("array_length", S::ArrayLength, &[AnyArr, I4], I4), f("cardinality", S::Cardinality, &[AnyArr], I4),
    f("array_append", S::ArrayAppend, &[AnyArr, Elem], AnyArr),
    f("array_prepend", S::ArrayPrepend, &[Elem, AnyArr], AnyArr),
    f("array_cat", S::ArrayCat, &[AnyArr, AnyArr], AnyArr),
    f("array_remove", S::ArrayRemove, &[AnyArr, Elem], AnyArr),
    f("array_position", S::ArrayPosition, &[AnyArr, Elem], I4),
    f("array_upper", S::ArrayUpper, &[AnyArr, I4], I4), f("array_lower", S::ArrayLower, &[AnyArr, I4], I4),
    f("array_ndims", S::ArrayNdims, &[AnyArr], I4), f("array_dims", S::ArrayDims, &[AnyArr], T),
    f("quote_ident", S::QuoteIdent, &[T], T), f("quote_literal", S::QuoteLiteral, &[T], T),
    f("quote_nullable", S::QuoteNullable, &[T], T),
    v("format", S::Format, &[T, Any], T),

    f("now", S::Now, &[], Tstz), f("current_timestamp", S::Now, &[], Tstz),
    f("transaction_timestamp", S::Now, &[], Tstz),
    f("statement_timestamp", S::StatementTimestamp, &[], Tstz),
    f("clock_timestamp", S::ClockTimestamp, &[], Tstz),
    f("current_date", S::CurrentDate, &[], Date), f("current_time", S::CurrentTime, &[], Time),
    f("localtime", S::CurrentTime, &[], Time), f("localtimestamp", S::LocalTimestamp, &[], Ts),
    f("date_trunc", S::DateTrunc, &[T, Ts], Ts), f("date_trunc", S::DateTrunc, &[T, Tstz], Tstz),
    f("date_trunc", S::DateTrunc, &[T, Iv], Iv),
    f("date_part", S::DatePart, &[T, Ts], F8), f("date_part", S::DatePart, &[T, Tstz], F8),
    f("date_part", S::DatePart, &[T, Date], F8), f("date_part", S::DatePart, &[T, Time], F8),
    f("date_part", S::DatePart, &[T, Iv], F8),
    f("extract", S::Extract, &[T, Ts], N), f("extract", S::Extract, &[T, Tstz], N),
    f("extract", S::Extract, &[T, Date], N), f("extract", S::Extract, &[T, Time], N),
    f("extract", S::Extract, &[T, Iv], N),
    f("age", S::Age, &[Ts, Ts], Iv), f("age", S::Age, &[Tstz, Tstz], Iv),
    f("age", S::Age, &[Ts], Iv), f("age", S::Age, &[Tstz], Iv),
    f("make_date", S::MakeDate, &[I4, I4, I4], Date), f("make_time", S::MakeTime, &[I4, I4, F8], Time),
    f("make_timestamp", S::MakeTimestamp, &[I4, I4, I4, I4, I4, F8], Ts),
    f("make_interval", S::MakeInterval, &[], Iv), f("make_interval", S::MakeInterval, &[I4], Iv),
    f("make_interval", S::MakeInterval, &[I4, I4], Iv), f("make_interval", S::MakeInterval, &[I4, I4, I4], Iv),
    f("make_interval", S::MakeInterval, &[I4, I4, I4, I4], Iv),
    f("make_interval", S::MakeInterval, &[I4, I4, I4, I4, I4], Iv),
    f("make_interval", S::MakeInterval, &[I4, I4, I4, I4, I4, I4], Iv),
    f("make_interval", S::MakeInterval, &[I4, I4, I4, I4, I4, I4, F8], Iv),
    f("to_timestamp", S::ToTimestamp, &[F8], Tstz), f("to_timestamp", S::ToTimestamp, &[T, T], Tstz),
    f("to_date", S::ToDate, &[T, T], Date),
    f("to_char", S::ToChar, &[Ts, T], T), f("to_char", S::ToChar, &[Tstz, T], T),
    f("to_char", S::ToChar, &[Iv, T], T),
    f("to_char", S::ToChar, &[I4, T], T), f("to_char", S::ToChar, &[I8, T], T),
    f("to_char", S::ToChar, &[N, T], T), f("to_char", S::ToChar, &[F8, T], T),
    f("justify_days", S::JustifyDays, &[Iv], Iv), f("justify_hours", S::JustifyHours, &[Iv], Iv),
    f("isfinite", S::IsFinite, &[Date], Bool), f("isfinite", S::IsFinite, &[Ts], Bool),
    f("isfinite", S::IsFinite, &[Tstz], Bool), f("isfinite", S::IsFinite, &[Iv], Bool),

    f("jsonb_typeof", S::JsonbTypeof, &[J], T), f("jsonb_array_length", S::JsonbArrayLength, &[J], I4),
    v("jsonb_build_object", S::JsonbBuildObject, &[Any], J), v("jsonb_build_array", S::JsonbBuildArray, &[Any], J),
    f("to_jsonb", S::ToJsonb, &[Any], J),
    v("jsonb_extract_path", S::JsonbExtractPath, &[J, T], J),
    v("jsonb_extract_path_text", S::JsonbExtractPathText, &[J, T], T),
    f("jsonb_pretty", S::JsonbPretty, &[J], T), f("jsonb_strip_nulls", S::JsonbStripNulls, &[J], J),
    f("jsonb_set", S::JsonbSet, &[J, TArr, J], J), f("jsonb_set", S::JsonbSet, &[J, TArr, J, Bool], J),
    f("gen_random_uuid", S::GenRandomUuid, &[], Uuid),
    v("num_nulls", S::NumNulls, &[Any], I4), v("num_nonnulls", S::NumNonnulls, &[Any], I4),
];

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
