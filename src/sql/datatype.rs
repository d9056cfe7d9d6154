//! SQL type names (sqlparser's `DataType`) to Vellum's `DataType`.

use crate::error::{sqlstate, Error, Result};
use crate::types::DataType;

use super::ast::{self, ArrayElemTypeDef, CharacterLength, ExactNumberInfo, TimezoneInfo};

/// Converts a type name as written in SQL (`varchar(10)`, `timestamptz`, `int[]`) to a `DataType`.
/// Unknown names → 42704 `type "x" does not exist`.
pub fn data_type(ty: &ast::DataType) -> Result<DataType> {
    use ast::DataType as A;
    Ok(match ty {
        A::Bool | A::Boolean => DataType::Bool,
        A::SmallInt(_) | A::Int2(_) => DataType::Int2,
        A::Int(_) | A::Integer(_) | A::Int4(_) => DataType::Int4,
        A::BigInt(_) | A::Int8(_) => DataType::Int8,
        A::Real | A::Float4 => DataType::Float4,
        A::DoublePrecision | A::Float8 | A::Double(ExactNumberInfo::None) => DataType::Float8,
        A::Float(info) => match info {
            ExactNumberInfo::Precision(p) if *p <= 24 => DataType::Float4,
            _ => DataType::Float8,
        },
        A::Numeric(info) | A::Decimal(info) | A::Dec(info) => DataType::Numeric(numeric_typmod(info)?),
        A::Text | A::String(None) => DataType::Text,
        A::Varchar(len) | A::CharacterVarying(len) | A::CharVarying(len) => DataType::Varchar(char_length(len)?),
        A::Char(len) | A::Character(len) => DataType::Char(Some(char_length(len)?.unwrap_or(1))),
        A::Bytea => DataType::Bytea,
        A::Date => DataType::Date,
        A::Time(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => DataType::Time,
        A::Timestamp(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => DataType::Timestamp,
        A::Timestamp(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => DataType::TimestampTz,
        A::Interval { .. } => DataType::Interval,
        A::JSON | A::JSONB => DataType::Jsonb,
        A::Uuid => DataType::Uuid,
        A::Array(elem) => match elem {
            ArrayElemTypeDef::AngleBracket(t)
            | ArrayElemTypeDef::SquareBracket(t, _)
            | ArrayElemTypeDef::Parenthesis(t)
            | ArrayElemTypeDef::Qualified(t, _) => DataType::Array(Box::new(data_type(t)?)),
            ArrayElemTypeDef::None => return Err(unknown_type(ty)),
        },
        A::Custom(name, modifiers) => custom(&name.to_string().to_lowercase(), modifiers, ty)?,
        _ => return Err(unknown_type(ty)),
    })
}

fn custom(name: &str, modifiers: &[String], ty: &ast::DataType) -> Result<DataType> {
    let name = name.trim_matches('"');
    let name = name.strip_prefix("pg_catalog.").unwrap_or(name);
    Ok(match (name, modifiers) {
        ("timestamptz", _) => DataType::TimestampTz,
        ("bpchar", []) => DataType::Char(None),
        ("bpchar", [n]) => DataType::Char(Some(length_modifier(n)?)),
        ("float", []) => DataType::Float8,
        ("serial" | "serial4" | "bigserial" | "serial8" | "smallserial" | "serial2", _) => {
            return Err(Error::unsupported("SERIAL columns (sequences)"))
        }
        ("int" | "int4" | "integer", []) => DataType::Int4,
        ("int2" | "smallint", []) => DataType::Int2,
        ("int8" | "bigint", []) => DataType::Int8,
        ("bool", []) => DataType::Bool,
        ("json" | "jsonb", []) => DataType::Jsonb,
        ("text", []) => DataType::Text,
        ("varchar", []) => DataType::Varchar(None),
        ("varchar", [n]) => DataType::Varchar(Some(length_modifier(n)?)),
        ("numeric" | "decimal", []) => DataType::Numeric(None),
        _ => return Err(unknown_type(ty)),
    })
}

fn unknown_type(ty: &ast::DataType) -> Error {
    Error::sql(
        sqlstate::UNDEFINED_OBJECT,
        format!("type \"{}\" does not exist", ty.to_string().to_lowercase()),
    )
}

fn length_modifier(text: &str) -> Result<u32> {
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=10_485_760).contains(&n) => Ok(n),
        _ => Err(Error::sql(
            sqlstate::INVALID_PARAMETER_VALUE,
            format!("length for type varchar must be at least 1 and at most 10485760, got {text}"),
        )),
    }
}

fn char_length(len: &Option<CharacterLength>) -> Result<Option<u32>> {
    match len {
        None | Some(CharacterLength::Max) => Ok(None),
        Some(CharacterLength::IntegerLength { length, .. }) => match u32::try_from(*length) {
            Ok(n) if (1..=10_485_760).contains(&n) => Ok(Some(n)),
            _ => Err(Error::sql(
                sqlstate::INVALID_PARAMETER_VALUE,
                format!("length for type varchar must be at least 1 and at most 10485760, got {length}"),
            )),
        },
    }
}

fn numeric_typmod(info: &ExactNumberInfo) -> Result<Option<(u32, u32)>> {
    let (p, s) = match info {
        ExactNumberInfo::None => return Ok(None),
        ExactNumberInfo::Precision(p) => (*p, 0i64),
        ExactNumberInfo::PrecisionAndScale(p, s) => (*p, *s),
    };
    // Vellum's NUMERIC is a 96-bit decimal: 28 significant digits.
    if !(1..=28).contains(&p) {
        return Err(Error::sql(
            sqlstate::INVALID_PARAMETER_VALUE,
            format!("NUMERIC precision {p} must be between 1 and 28"),
        ));
    }
    if s < 0 || s as u64 > p {
        return Err(Error::sql(
            sqlstate::INVALID_PARAMETER_VALUE,
            format!("NUMERIC scale {s} must be between 0 and precision {p}"),
        ));
    }
    Ok(Some((p as u32, s as u32)))
}
