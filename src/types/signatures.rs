//! The table of SQL function signatures: every name, parameter list and result type that
//! `functions::resolve` chooses among (overloads listed in PostgreSQL's catalog order).

use super::functions::ScalarFunc;
use super::DataType;

/// Parameter and result types of the signature table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Ty {
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
    pub(super) fn concrete(self) -> Option<DataType> {
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

pub(super) struct Sig {
    pub(super) name: &'static str,
    pub(super) func: ScalarFunc,
    pub(super) args: &'static [Ty],
    /// The last parameter repeats zero or more times.
    pub(super) variadic: bool,
    pub(super) ret: Ty,
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
pub(super) static SIGS: &[Sig] = &[
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
    f("sha256", S::Sha256, &[Bytea], Bytea),
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
