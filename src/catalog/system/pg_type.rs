//! `pg_type` and `format_type()`: the built-in types Vellum knows, with PostgreSQL's oids.

use super::{cols, oid, text, SystemRelation, OID, PG_CATALOG_OID};
use crate::types::{DataType, Value};

/// One built-in type: oid, typname, typlen, typbyval, typcategory, typelem, typarray,
/// typalign, and the name `format_type` prints without a modifier.
pub struct BuiltinType {
    pub oid: u32,
    pub name: &'static str,
    pub len: i16,
    pub byval: bool,
    pub category: &'static str,
    pub elem: u32,
    pub array: u32,
    pub align: &'static str,
    pub display: &'static str,
}

/// `storage` is (typlen, typbyval, typalign).
const fn ty(
    oid: u32,
    name: &'static str,
    storage: (i16, bool, &'static str),
    category: &'static str,
    array: u32,
    display: &'static str,
) -> BuiltinType {
    let (len, byval, align) = storage;
    BuiltinType {
        oid,
        name,
        len,
        byval,
        category,
        elem: 0,
        array,
        align,
        display,
    }
}

/// Scalar types; their array types are derived (`_name`, category `A`).
pub const BUILTIN_TYPES: &[BuiltinType] = &[
    ty(16, "bool", (1, true, "c"), "B", 1000, "boolean"),
    ty(17, "bytea", (-1, false, "i"), "U", 1001, "bytea"),
    ty(18, "char", (1, true, "c"), "Z", 1002, "\"char\""),
    ty(19, "name", (64, false, "c"), "S", 1003, "name"),
    ty(20, "int8", (8, true, "d"), "N", 1016, "bigint"),
    ty(21, "int2", (2, true, "s"), "N", 1005, "smallint"),
    ty(23, "int4", (4, true, "i"), "N", 1007, "integer"),
    ty(24, "regproc", (4, true, "i"), "N", 1008, "regproc"),
    ty(25, "text", (-1, false, "i"), "S", 1009, "text"),
    ty(26, "oid", (4, true, "i"), "N", 1028, "oid"),
    ty(114, "json", (-1, false, "i"), "U", 199, "json"),
    ty(700, "float4", (4, true, "i"), "N", 1021, "real"),
    ty(701, "float8", (8, true, "d"), "N", 1022, "double precision"),
    ty(705, "unknown", (-2, false, "c"), "X", 0, "unknown"),
    ty(1042, "bpchar", (-1, false, "i"), "S", 1014, "bpchar"),
    ty(1043, "varchar", (-1, false, "i"), "S", 1015, "character varying"),
    ty(1082, "date", (4, true, "i"), "D", 1182, "date"),
    ty(1083, "time", (8, true, "d"), "D", 1183, "time without time zone"),
    ty(
        1114,
        "timestamp",
        (8, true, "d"),
        "D",
        1115,
        "timestamp without time zone",
    ),
    ty(
        1184,
        "timestamptz",
        (8, true, "d"),
        "D",
        1185,
        "timestamp with time zone",
    ),
    ty(1186, "interval", (16, false, "d"), "T", 1187, "interval"),
    ty(1700, "numeric", (-1, false, "i"), "N", 1231, "numeric"),
    ty(2205, "regclass", (4, true, "i"), "N", 2210, "regclass"),
    ty(2206, "regtype", (4, true, "i"), "N", 2211, "regtype"),
    ty(2950, "uuid", (16, false, "c"), "U", 2951, "uuid"),
    ty(3802, "jsonb", (-1, false, "i"), "U", 3807, "jsonb"),
];

/// Array types that are not `_elem` of a scalar above (vector types).
const VECTOR_TYPES: &[(u32, &str, u32, &str)] =
    &[(22, "int2vector", 21, "int2vector"), (30, "oidvector", 26, "oidvector")];

/// `format_type(oid, typmod)`: the SQL name of a type with its modifier; `None` for an oid
/// no type has (PostgreSQL prints `???` then).
pub fn format_type(type_oid: i64, typmod: i32) -> Option<String> {
    if let Some(t) = BUILTIN_TYPES.iter().find(|t| i64::from(t.oid) == type_oid) {
        return Some(with_modifier(t, typmod));
    }
    if let Some(t) = BUILTIN_TYPES.iter().find(|t| i64::from(t.array) == type_oid) {
        return Some(format!("{}[]", with_modifier(t, typmod)));
    }
    VECTOR_TYPES
        .iter()
        .find(|v| i64::from(v.0) == type_oid)
        .map(|v| v.3.to_string())
}

fn with_modifier(t: &BuiltinType, typmod: i32) -> String {
    if typmod < 0 {
        return t.display.to_string();
    }
    match t.oid {
        1042 => format!("character({})", typmod - 4),
        1043 => format!("character varying({})", typmod - 4),
        1700 => {
            let m = typmod - 4;
            format!("numeric({},{})", (m >> 16) & 0xffff, m & 0xffff)
        }
        _ => t.display.to_string(),
    }
}

/// The oid of a type named as `::regtype` input accepts it (`int4`, `integer`, `text[]`).
pub fn type_oid_by_name(name: &str) -> Option<i64> {
    let name = name.trim().strip_prefix("pg_catalog.").unwrap_or(name.trim());
    if let Some(elem) = name.strip_suffix("[]") {
        return type_oid_by_name(elem).and_then(|e| {
            BUILTIN_TYPES
                .iter()
                .find(|t| i64::from(t.oid) == e)
                .map(|t| i64::from(t.array))
        });
    }
    let alias = match name {
        "int" | "integer" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "real" => "float4",
        "double precision" => "float8",
        "boolean" => "bool",
        "character varying" => "varchar",
        "character" | "char" => "bpchar",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        "time without time zone" => "time",
        "decimal" => "numeric",
        "\"char\"" => "char",
        other => other,
    };
    if let Some(t) = BUILTIN_TYPES.iter().find(|t| t.name == alias) {
        return Some(i64::from(t.oid));
    }
    if let Some(elem) = alias.strip_prefix('_') {
        return BUILTIN_TYPES
            .iter()
            .find(|t| t.name == elem)
            .map(|t| i64::from(t.array));
    }
    VECTOR_TYPES.iter().find(|v| v.1 == alias).map(|v| i64::from(v.0))
}

/// The collation a type's values carry (`default` = 100 for strings, else none).
pub fn type_collation(type_oid: u32) -> i64 {
    match type_oid {
        19 => 950,
        25 | 1042 | 1043 => 100,
        _ => 0,
    }
}

/// `pg_type` for `DataType`s too: the oid `DataType::oid` gives is always one of the rows.
pub fn relation(name: &str) -> Option<SystemRelation> {
    if name != "pg_type" {
        return None;
    }
    let columns = cols(&[
        ("oid", OID),
        ("typname", DataType::Text),
        ("typnamespace", OID),
        ("typowner", OID),
        ("typlen", DataType::Int2),
        ("typbyval", DataType::Bool),
        ("typtype", DataType::Text),
        ("typcategory", DataType::Text),
        ("typispreferred", DataType::Bool),
        ("typisdefined", DataType::Bool),
        ("typdelim", DataType::Text),
        ("typrelid", OID),
        ("typelem", OID),
        ("typarray", OID),
        ("typinput", DataType::Text),
        ("typoutput", DataType::Text),
        ("typreceive", DataType::Text),
        ("typsend", DataType::Text),
        ("typalign", DataType::Text),
        ("typstorage", DataType::Text),
        ("typnotnull", DataType::Bool),
        ("typbasetype", OID),
        ("typtypmod", DataType::Int4),
        ("typndims", DataType::Int4),
        ("typcollation", OID),
        ("typdefaultbin", DataType::Text),
        ("typdefault", DataType::Text),
        ("typacl", DataType::Array(Box::new(DataType::Text))),
    ]);
    let mut rows = Vec::new();
    let mut push =
        |type_oid: u32, name: String, len: i16, byval: bool, category: &str, elem: u32, array: u32, align: &str| {
            let storage = if len == -1 { "x" } else { "p" };
            rows.push(vec![
                oid(type_oid),
                Value::Text(name.clone()),
                oid(PG_CATALOG_OID),
                oid(super::OWNER_OID),
                Value::Int2(len),
                Value::Bool(byval),
                text("b"),
                text(category),
                Value::Bool(matches!(
                    name.as_str(),
                    "bool" | "text" | "float8" | "oid" | "timestamptz" | "interval"
                )),
                Value::Bool(true),
                text(","),
                oid(0),
                oid(elem),
                oid(array),
                Value::Text(format!("{}in", io_name(&name, category))),
                Value::Text(format!("{}out", io_name(&name, category))),
                Value::Text(format!("{}recv", io_name(&name, category))),
                Value::Text(format!("{}send", io_name(&name, category))),
                text(align),
                text(storage),
                Value::Bool(false),
                oid(0),
                Value::Int4(-1),
                Value::Int4(0),
                oid(type_collation(type_oid)),
                Value::Null,
                Value::Null,
                Value::Null,
            ]);
        };
    for t in BUILTIN_TYPES {
        push(
            t.oid,
            t.name.to_string(),
            t.len,
            t.byval,
            t.category,
            0,
            t.array,
            t.align,
        );
    }
    for t in BUILTIN_TYPES.iter().filter(|t| t.array != 0) {
        let align = if t.align == "d" { "d" } else { "i" };
        push(t.array, format!("_{}", t.name), -1, false, "A", t.oid, 0, align);
    }
    for (type_oid, name, elem, _) in VECTOR_TYPES {
        push(*type_oid, name.to_string(), -1, false, "A", *elem, 0, "i");
    }
    Some(SystemRelation { columns, rows })
}

fn io_name(name: &str, category: &str) -> String {
    if category == "A" {
        "array_".to_string()
    } else {
        name.to_string()
    }
}
