//! The SQL types Vellum supports.
//!
//! Type modifiers (NUMERIC precision/scale, VARCHAR/CHAR length) live inside the variant so a
//! column's declared type round-trips exactly through the catalog and `format_type`.

use serde::{Deserialize, Serialize};

/// A SQL data type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DataType {
    /// PostgreSQL's `unknown`: an untyped NULL or string literal not yet coerced.
    Unknown,
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    /// NUMERIC(precision, scale); `None` = unconstrained.
    Numeric(Option<(u32, u32)>),
    Text,
    /// VARCHAR(n); `None` = unlimited.
    Varchar(Option<u32>),
    /// CHAR(n) (`bpchar`): blank-padded to n on input.
    Char(Option<u32>),
    Bytea,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Interval,
    Jsonb,
    Uuid,
    Array(Box<DataType>),
}

impl DataType {
    /// Every scalar type, unmodified (no length or precision), in the order of `pg_type`'s OIDs
    /// as Vellum lists them; each also exists as an array element type.
    pub const SCALARS: [DataType; 18] = [
        DataType::Bool,
        DataType::Int2,
        DataType::Int4,
        DataType::Int8,
        DataType::Float4,
        DataType::Float8,
        DataType::Numeric(None),
        DataType::Text,
        DataType::Varchar(None),
        DataType::Char(None),
        DataType::Bytea,
        DataType::Date,
        DataType::Time,
        DataType::Timestamp,
        DataType::TimestampTz,
        DataType::Interval,
        DataType::Jsonb,
        DataType::Uuid,
    ];

    /// The type PostgreSQL knows by `oid`, scalar or array of a scalar; `None` for OIDs Vellum
    /// has no type for.
    pub fn from_oid(oid: u32) -> Option<DataType> {
        if let Some(t) = DataType::SCALARS.iter().find(|t| t.oid() == oid) {
            return Some(t.clone());
        }
        DataType::SCALARS
            .iter()
            .map(|t| DataType::Array(Box::new(t.clone())))
            .find(|t| t.oid() == oid)
    }

    /// The PostgreSQL type OID (as `pg_type.oid`), used on the wire and in catalogs.
    pub fn oid(&self) -> u32 {
        match self {
            DataType::Unknown => 705,
            DataType::Bool => 16,
            DataType::Int2 => 21,
            DataType::Int4 => 23,
            DataType::Int8 => 20,
            DataType::Float4 => 700,
            DataType::Float8 => 701,
            DataType::Numeric(_) => 1700,
            DataType::Text => 25,
            DataType::Varchar(_) => 1043,
            DataType::Char(_) => 1042,
            DataType::Bytea => 17,
            DataType::Date => 1082,
            DataType::Time => 1083,
            DataType::Timestamp => 1114,
            DataType::TimestampTz => 1184,
            DataType::Interval => 1186,
            DataType::Jsonb => 3802,
            DataType::Uuid => 2950,
            DataType::Array(inner) => match inner.as_ref() {
                DataType::Bool => 1000,
                DataType::Int2 => 1005,
                DataType::Int4 => 1007,
                DataType::Int8 => 1016,
                DataType::Float4 => 1021,
                DataType::Float8 => 1022,
                DataType::Numeric(_) => 1231,
                DataType::Varchar(_) => 1015,
                DataType::Char(_) => 1014,
                DataType::Bytea => 1001,
                DataType::Date => 1182,
                DataType::Time => 1183,
                DataType::Timestamp => 1115,
                DataType::TimestampTz => 1185,
                DataType::Interval => 1187,
                DataType::Jsonb => 3807,
                DataType::Uuid => 2951,
                _ => 1009, // text[]
            },
        }
    }

    /// The PostgreSQL type modifier (`atttypmod`), -1 when none.
    pub fn typmod(&self) -> i32 {
        match self {
            DataType::Numeric(Some((p, s))) => (((*p as i32) << 16) | (*s as i32)) + 4,
            DataType::Varchar(Some(n)) | DataType::Char(Some(n)) => *n as i32 + 4,
            _ => -1,
        }
    }

    /// The type as `format_type()` and error messages print it, e.g. `character varying(10)`.
    pub fn display_name(&self) -> String {
        match self {
            DataType::Unknown => "unknown".into(),
            DataType::Bool => "boolean".into(),
            DataType::Int2 => "smallint".into(),
            DataType::Int4 => "integer".into(),
            DataType::Int8 => "bigint".into(),
            DataType::Float4 => "real".into(),
            DataType::Float8 => "double precision".into(),
            DataType::Numeric(None) => "numeric".into(),
            DataType::Numeric(Some((p, s))) => format!("numeric({p},{s})"),
            DataType::Text => "text".into(),
            DataType::Varchar(None) => "character varying".into(),
            DataType::Varchar(Some(n)) => format!("character varying({n})"),
            DataType::Char(None) => "character".into(),
            DataType::Char(Some(n)) => format!("character({n})"),
            DataType::Bytea => "bytea".into(),
            DataType::Date => "date".into(),
            DataType::Time => "time without time zone".into(),
            DataType::Timestamp => "timestamp without time zone".into(),
            DataType::TimestampTz => "timestamp with time zone".into(),
            DataType::Interval => "interval".into(),
            DataType::Jsonb => "jsonb".into(),
            DataType::Uuid => "uuid".into(),
            DataType::Array(inner) => format!("{}[]", inner.display_name()),
        }
    }

    /// The short name used in "invalid input syntax for type X" messages (PostgreSQL's typname
    /// family: `integer`, `bigint`, `numeric`, `boolean`, ...).
    pub fn error_name(&self) -> String {
        match self {
            DataType::Numeric(_) => "numeric".into(),
            DataType::Varchar(_) => "character varying".into(),
            DataType::Char(_) => "character".into(),
            other => other.display_name(),
        }
    }

    pub fn is_integer(&self) -> bool {
        matches!(self, DataType::Int2 | DataType::Int4 | DataType::Int8)
    }

    pub fn is_float(&self) -> bool {
        matches!(self, DataType::Float4 | DataType::Float8)
    }

    pub fn is_numeric(&self) -> bool {
        self.is_integer() || self.is_float() || matches!(self, DataType::Numeric(_))
    }

    pub fn is_string(&self) -> bool {
        matches!(self, DataType::Text | DataType::Varchar(_) | DataType::Char(_))
    }

    /// Types in the same family compare and hash alike once coerced to their common type.
    pub fn is_temporal(&self) -> bool {
        matches!(
            self,
            DataType::Date | DataType::Time | DataType::Timestamp | DataType::TimestampTz
        )
    }
}

impl std::fmt::Display for DataType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display_name())
    }
}
