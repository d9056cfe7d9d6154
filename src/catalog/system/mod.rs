//! PostgreSQL's system relations (`pg_catalog.*`, `information_schema.*`) as virtual tables.
//!
//! Nothing here is stored: every relation is computed from the catalog snapshot a statement
//! binds against, so it can never disagree with the real schema. A prepared statement is
//! rebound when the catalog version changes, which keeps rows built at bind time correct.
//! This module only produces rows and the text that catalog functions return
//! (`pg_get_indexdef`, ...); name resolution and function binding stay in `plan`.
//!
//! Object identifiers follow PostgreSQL's conventions: built-in objects keep the oids
//! PostgreSQL gives them (`pg_catalog` = 11, `public` = 2200, `int4` = 23, `pg_class` = 1259),
//! user objects get `FIRST_USER_OID + catalog id`, which is stable across restarts.

mod definitions;
mod information_schema;
mod pg_class;
mod pg_misc;
mod pg_type;

pub use definitions::{constraint_definitions, index_definitions, view_definitions};
pub use pg_type::{format_type, type_oid_by_name, BUILTIN_TYPES};

use std::collections::BTreeMap;

use super::{Catalog, IndexDef, TableDef};
use crate::types::{DataType, Value};

/// First oid handed to user objects, as in PostgreSQL.
pub const FIRST_USER_OID: u32 = 16384;
pub const PG_CATALOG_OID: u32 = 11;
pub const PG_TOAST_OID: u32 = 99;
pub const PUBLIC_OID: u32 = 2200;
pub const INFORMATION_SCHEMA_OID: u32 = 13000;
/// The single role: owner of every object.
pub const OWNER_OID: u32 = 10;
pub const OWNER_NAME: &str = "vellum";
pub const DATABASE_OID: u32 = 5;
pub const DATABASE_NAME: &str = "vellum";
/// `pg_am` rows.
pub const HEAP_AM_OID: u32 = 2;
pub const BTREE_AM_OID: u32 = 403;
/// A primary key is the table's storage key, not a catalog index; its `pg_index` row gets an
/// oid from this range so that it never collides with an object id.
const PKEY_INDEX_BASE: u32 = 1 << 30;
/// Constraint oids: `CONSTRAINT_BASE + table id * CONSTRAINTS_PER_TABLE + k`.
const CONSTRAINT_BASE: u32 = 1 << 29;
const CONSTRAINTS_PER_TABLE: u32 = 256;
/// Unique constraints take the oid of their index shifted into this range.
const UNIQUE_CONSTRAINT_BASE: u32 = (1 << 29) + (1 << 28);

/// The oid `pg_class` gives a user table, view or index.
pub fn relation_oid(id: u32) -> i64 {
    i64::from(FIRST_USER_OID) + i64::from(id)
}

/// The oid of role `id`: the bootstrap superuser keeps PostgreSQL's 10; other roles take
/// their ids from the object counter, like relations, so the two never share an oid.
pub fn role_oid(id: u32) -> i64 {
    if id == OWNER_OID {
        i64::from(id)
    } else {
        relation_oid(id)
    }
}

/// The oid of the index that enforces a table's primary key.
pub fn pkey_index_oid(table: &TableDef) -> i64 {
    i64::from(PKEY_INDEX_BASE) + i64::from(table.id)
}

fn pkey_constraint_oid(table: &TableDef) -> i64 {
    i64::from(CONSTRAINT_BASE) + i64::from(table.id) * i64::from(CONSTRAINTS_PER_TABLE)
}

fn check_constraint_oid(table: &TableDef, k: usize) -> i64 {
    pkey_constraint_oid(table) + 1 + k as i64
}

fn unique_constraint_oid(index: &IndexDef) -> i64 {
    i64::from(UNIQUE_CONSTRAINT_BASE) + i64::from(index.id)
}

/// The `pg_type` oid type for oid-valued columns (Vellum has no `oid` type; `bigint` holds
/// every unsigned 32-bit value and compares with integer literals as `oid` does).
pub const OID: DataType = DataType::Int8;

/// One system relation: its columns and (for a given snapshot) its rows.
#[derive(Debug, Clone)]
pub struct SystemRelation {
    pub columns: Vec<(String, DataType)>,
    pub rows: Vec<Vec<Value>>,
}

/// Schema of a system relation name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemSchema {
    PgCatalog,
    InformationSchema,
}

/// Every system relation: schema, name, fixed oid.
const RELATIONS: &[(SystemSchema, &str, u32)] = {
    use SystemSchema::{InformationSchema as I, PgCatalog as P};
    &[
        (P, "pg_am", 2601),
        (P, "pg_attrdef", 2604),
        (P, "pg_attribute", 1249),
        (P, "pg_auth_members", 1261),
        (P, "pg_authid", 1260),
        (P, "pg_class", 1259),
        (P, "pg_collation", 3456),
        (P, "pg_constraint", 2606),
        (P, "pg_database", 1262),
        (P, "pg_depend", 2608),
        (P, "pg_description", 2609),
        (P, "pg_enum", 3501),
        (P, "pg_extension", 3079),
        (P, "pg_foreign_table", 3118),
        (P, "pg_index", 2610),
        (P, "pg_inherits", 2611),
        (P, "pg_namespace", 2615),
        (P, "pg_partitioned_table", 3350),
        (P, "pg_policy", 3256),
        (P, "pg_proc", 1255),
        (P, "pg_publication", 6104),
        (P, "pg_publication_namespace", 6237),
        (P, "pg_publication_rel", 6106),
        (P, "pg_range", 3541),
        (P, "pg_rewrite", 2618),
        (P, "pg_roles", 12001),
        (P, "pg_sequence", 2224),
        (P, "pg_settings", 12002),
        (P, "pg_statistic_ext", 3381),
        (P, "pg_tables", 12003),
        (P, "pg_tablespace", 1213),
        (P, "pg_trigger", 2620),
        (P, "pg_type", 1247),
        (P, "pg_user", 12004),
        (P, "pg_views", 12005),
        (P, "pg_indexes", 12006),
        (I, "columns", 13101),
        (I, "key_column_usage", 13102),
        (I, "role_table_grants", 13107),
        (I, "schemata", 13103),
        (I, "table_constraints", 13104),
        (I, "table_privileges", 13108),
        (I, "tables", 13105),
        (I, "views", 13106),
    ]
};

/// Whether `name` is a system relation of `schema`.
pub fn is_system_relation(schema: SystemSchema, name: &str) -> bool {
    RELATIONS.iter().any(|(s, n, _)| *s == schema && *n == name)
}

/// The fixed oid of a system relation.
pub fn system_relation_oid(name: &str) -> Option<i64> {
    RELATIONS
        .iter()
        .find(|(_, n, _)| *n == name)
        .map(|(_, _, oid)| i64::from(*oid))
}

/// Oids of the `information_schema` relations: not on the search path, so not "visible".
pub fn information_schema_oids() -> Vec<i64> {
    RELATIONS
        .iter()
        .filter(|(schema, _, _)| *schema == SystemSchema::InformationSchema)
        .map(|(_, _, oid)| i64::from(*oid))
        .collect()
}

/// What the layers above know that the catalog does not: the session's settings and the
/// output columns of each view (only binding its query can tell them).
#[derive(Debug, Clone, Default)]
pub struct SystemContext {
    /// (name, value, description) for `pg_settings`.
    pub settings: Vec<(String, String, String)>,
    /// View id → output columns.
    pub view_columns: BTreeMap<u32, Vec<(String, DataType)>>,
    /// Set while computing a system relation only for its columns: `pg_attribute` then
    /// leaves out the system relations' own columns (which would ask for its own).
    pub columns_only: bool,
    /// The current role's id (for the views that show only what it may see).
    pub user: u32,
}

/// The columns of a system relation (schema, name).
fn system_columns(schema: SystemSchema, name: &str) -> Vec<(String, DataType)> {
    let ctx = SystemContext {
        columns_only: true,
        ..SystemContext::default()
    };
    system_relation(&Catalog::default(), schema, name, &ctx).map_or_else(Vec::new, |r| r.columns)
}

/// Whether producing `name` needs the views' output columns.
pub fn needs_view_columns(name: &str) -> bool {
    matches!(name, "pg_attribute" | "pg_class" | "columns")
}

/// Columns and rows of a system relation over `catalog`. `None` if no such relation.
pub fn system_relation(
    catalog: &Catalog,
    schema: SystemSchema,
    name: &str,
    ctx: &SystemContext,
) -> Option<SystemRelation> {
    if !is_system_relation(schema, name) {
        return None;
    }
    match schema {
        SystemSchema::PgCatalog => pg_class::relation(catalog, name, ctx)
            .or_else(|| pg_type::relation(name))
            .or_else(|| pg_misc::relation(catalog, name, ctx)),
        SystemSchema::InformationSchema => information_schema::relation(catalog, name, ctx),
    }
}

/// The oid of a relation named `name` (user relations first, then system ones).
pub fn relation_oid_by_name(catalog: &Catalog, name: &str) -> Option<i64> {
    if let Some(t) = catalog.table(name) {
        return Some(relation_oid(t.id));
    }
    if let Some(v) = catalog.view(name) {
        return Some(relation_oid(v.id));
    }
    if let Some(i) = catalog.index(name) {
        return Some(relation_oid(i.id));
    }
    if let Some(t) = catalog.tables().find(|t| t.primary_key_name.as_deref() == Some(name)) {
        return Some(pkey_index_oid(t));
    }
    system_relation_oid(name)
}

/// Every relation's oid and name (for `oid::regclass` output).
pub fn relation_names(catalog: &Catalog) -> Vec<(i64, String)> {
    pg_class::class_rows(catalog, &SystemContext::default())
        .into_iter()
        .map(|r| (r.oid, r.name))
        .collect()
}

/// Column list helper: `cols(&[("oid", OID), ...])`.
fn cols(list: &[(&str, DataType)]) -> Vec<(String, DataType)> {
    list.iter().map(|(n, t)| (n.to_string(), t.clone())).collect()
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn oid(o: impl Into<i64>) -> Value {
    Value::Int8(o.into())
}

fn text_array() -> DataType {
    DataType::Array(Box::new(DataType::Text))
}

fn int2_array() -> DataType {
    DataType::Array(Box::new(DataType::Int2))
}

fn oid_array() -> DataType {
    DataType::Array(Box::new(OID))
}

/// An empty relation with the given columns.
fn empty(list: &[(&str, DataType)]) -> SystemRelation {
    SystemRelation {
        columns: cols(list),
        rows: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
