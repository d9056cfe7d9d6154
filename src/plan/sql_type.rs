//! Maps type names as written in SQL (sqlparser's `DataType`) to Vellum's `DataType`, with
//! PostgreSQL's spellings and defaults (`char` = `char(1)`, `float` = double precision).

use crate::error::{sqlstate, Error, Result};
use crate::sql::ast;
use crate::types::DataType;

/// Converts a parsed type name; unknown names are 42704 `type "foo" does not exist`.
pub fn convert_type(t: &ast::DataType) -> Result<DataType> {
    use ast::DataType as A;
    let char_len = |l: &Option<ast::CharacterLength>| -> Result<Option<u32>> {
        match l {
            None => Ok(None),
            Some(ast::CharacterLength::IntegerLength { length, .. }) => {
                if *length == 0 {
                    return Err(Error::sql(
                        sqlstate::SYNTAX_ERROR,
                        "length for type varchar must be at least 1",
                    ));
                }
                u32::try_from(*length)
                    .map(Some)
                    .map_err(|_| Error::sql(sqlstate::SYNTAX_ERROR, "length for type varchar cannot exceed 10485760"))
            }
            Some(ast::CharacterLength::Max) => Ok(None),
        }
    };
    let numeric = |info: &ast::ExactNumberInfo| -> Result<DataType> {
        match info {
            ast::ExactNumberInfo::None => Ok(DataType::Numeric(None)),
            ast::ExactNumberInfo::Precision(p) => numeric_typmod(*p, 0),
            ast::ExactNumberInfo::PrecisionAndScale(p, s) => numeric_typmod(*p, *s),
        }
    };
    Ok(match t {
        A::Int(_) | A::Integer(_) | A::Int4(_) | A::Int32 => DataType::Int4,
        A::SmallInt(_) | A::Int2(_) | A::Int16 => DataType::Int2,
        A::BigInt(_) | A::Int8(_) | A::Int64 => DataType::Int8,
        A::Real | A::Float4 | A::Float32 => DataType::Float4,
        A::DoublePrecision | A::Float8 | A::Float64 | A::Double(_) => DataType::Float8,
        A::Float(info) => match info {
            ast::ExactNumberInfo::Precision(p) if *p >= 1 && *p <= 24 => DataType::Float4,
            ast::ExactNumberInfo::Precision(p) if *p == 0 || *p > 53 => {
                return Err(Error::sql(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    "precision for type float must be at least 1 bit and less than 54 bits",
                ))
            }
            _ => DataType::Float8,
        },
        A::Numeric(info) | A::Decimal(info) | A::Dec(info) => numeric(info)?,
        A::Text | A::String(None) => DataType::Text,
        A::Varchar(l) | A::CharacterVarying(l) | A::CharVarying(l) => DataType::Varchar(char_len(l)?),
        A::Char(l) | A::Character(l) => DataType::Char(Some(char_len(l)?.unwrap_or(1))),
        A::Bytea => DataType::Bytea,
        A::Date => DataType::Date,
        A::Time(_, ast::TimezoneInfo::None | ast::TimezoneInfo::WithoutTimeZone) => DataType::Time,
        A::Timestamp(_, ast::TimezoneInfo::None | ast::TimezoneInfo::WithoutTimeZone) => DataType::Timestamp,
        A::Timestamp(_, ast::TimezoneInfo::WithTimeZone | ast::TimezoneInfo::Tz) => DataType::TimestampTz,
        A::Interval { .. } => DataType::Interval,
        A::JSON | A::JSONB => DataType::Jsonb,
        A::Uuid => DataType::Uuid,
        A::Bool | A::Boolean => DataType::Bool,
        A::Array(elem) => match elem {
            ast::ArrayElemTypeDef::SquareBracket(inner, _)
            | ast::ArrayElemTypeDef::AngleBracket(inner)
            | ast::ArrayElemTypeDef::Parenthesis(inner)
            | ast::ArrayElemTypeDef::Qualified(inner, _) => DataType::Array(Box::new(convert_type(inner)?)),
            ast::ArrayElemTypeDef::None => return Err(Error::syntax("syntax error: array element type missing")),
        },
        A::Custom(name, mods) => {
            let n = object_name_last(name);
            let len = mods.first().and_then(|m| m.parse::<u32>().ok());
            match n.as_str() {
                "int" | "int4" | "integer" => DataType::Int4,
                "int2" | "smallint" => DataType::Int2,
                "int8" | "bigint" => DataType::Int8,
                "float4" => DataType::Float4,
                "float8" => DataType::Float8,
                "bpchar" => DataType::Char(len),
                "varchar" => DataType::Varchar(len),
                "text" | "name" => DataType::Text,
                "bool" | "boolean" => DataType::Bool,
                "timestamptz" => DataType::TimestampTz,
                "jsonb" | "json" => DataType::Jsonb,
                "uuid" => DataType::Uuid,
                "bytea" => DataType::Bytea,
                "date" => DataType::Date,
                "interval" => DataType::Interval,
                "numeric" | "decimal" => DataType::Numeric(None),
                _ => return Err(undefined_type(&n)),
            }
        }
        other => return Err(undefined_type(&other.to_string().to_lowercase())),
    })
}

fn numeric_typmod(p: u64, s: i64) -> Result<DataType> {
    if !(1..=1000).contains(&p) {
        return Err(Error::sql(
            sqlstate::INVALID_PARAMETER_VALUE,
            format!("NUMERIC precision {p} must be between 1 and 1000"),
        ));
    }
    if s < 0 || s as u64 > p {
        return Err(Error::sql(
            sqlstate::INVALID_PARAMETER_VALUE,
            format!("NUMERIC scale {s} must be between 0 and precision {p}"),
        ));
    }
    Ok(DataType::Numeric(Some((p as u32, s as u32))))
}

fn undefined_type(name: &str) -> Error {
    Error::sql(sqlstate::UNDEFINED_OBJECT, format!("type \"{name}\" does not exist"))
}

/// Last part of a possibly qualified name, folded as PostgreSQL folds identifiers.
pub fn object_name_last(name: &ast::ObjectName) -> String {
    match name.0.last() {
        Some(ast::ObjectNamePart::Identifier(i)) => fold_ident(i),
        Some(ast::ObjectNamePart::Function(f)) => fold_ident(&f.name),
        None => String::new(),
    }
}

/// Unquoted identifiers fold to lower case; quoted ones keep their spelling.
pub fn fold_ident(i: &ast::Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

/// PostgreSQL's internal type name (`pg_type.typname`), which names the output column of a
/// cast of a non-column expression (`SELECT 1::int` → `int4`).
pub fn typname(t: &DataType) -> String {
    match t {
        DataType::Unknown => "unknown".into(),
        DataType::Bool => "bool".into(),
        DataType::Int2 => "int2".into(),
        DataType::Int4 => "int4".into(),
        DataType::Int8 => "int8".into(),
        DataType::Float4 => "float4".into(),
        DataType::Float8 => "float8".into(),
        DataType::Numeric(_) => "numeric".into(),
        DataType::Text => "text".into(),
        DataType::Varchar(_) => "varchar".into(),
        DataType::Char(_) => "bpchar".into(),
        DataType::Bytea => "bytea".into(),
        DataType::Date => "date".into(),
        DataType::Time => "time".into(),
        DataType::Timestamp => "timestamp".into(),
        DataType::TimestampTz => "timestamptz".into(),
        DataType::Interval => "interval".into(),
        DataType::Jsonb => "jsonb".into(),
        DataType::Uuid => "uuid".into(),
        DataType::Array(_) => "array".into(),
    }
}
