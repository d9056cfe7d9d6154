//! Type and identifier names as the binder needs them: conversion (delegated to `sql`), the
//! last part of qualified names, and PostgreSQL's internal type names for output columns.

use crate::error::Result;
use crate::sql::ast;
use crate::types::DataType;

/// Converts a parsed type name; unknown names are 42704 `type "foo" does not exist`. The
/// mapping is `sql::data_type`'s, shared with DDL so a cast and a column agree on a type.
pub fn convert_type(t: &ast::DataType) -> Result<DataType> {
    crate::sql::data_type(t)
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
    crate::sql::ident(i)
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
