//! Relations and their parts: `pg_namespace`, `pg_class`, `pg_attribute`, `pg_attrdef`,
//! `pg_index`, `pg_constraint`.

use super::pg_type::type_collation;
use super::{
    check_constraint_oid, cols, int2_array, oid, oid_array, pkey_constraint_oid, pkey_index_oid, relation_oid,
    role_oid, text, text_array, unique_constraint_oid, SystemContext, SystemRelation, BTREE_AM_OID, HEAP_AM_OID,
    INFORMATION_SCHEMA_OID, OID, OWNER_OID, PG_CATALOG_OID, PG_TOAST_OID, PUBLIC_OID, RELATIONS,
};
use crate::catalog::{Catalog, ColumnDef, TableDef};
use crate::types::{DataType, Value};

/// One `pg_class` row, before it becomes values.
pub(super) struct ClassRow {
    pub oid: i64,
    pub name: String,
    pub namespace: u32,
    pub kind: &'static str,
    pub natts: usize,
    pub checks: usize,
    pub has_index: bool,
    pub am: u32,
    /// `reloptions`: a blockchain table's options as `key=value`.
    pub options: Option<Vec<String>>,
    /// The owning role's oid.
    pub owner: i64,
    /// The id whose grants `relacl` shows (tables and views).
    pub acl_of: Option<u32>,
}

/// The columns a user relation shows in `pg_attribute`: (name, type, not null, default).
pub(super) struct AttributeRow {
    pub relid: i64,
    pub num: usize,
    pub name: String,
    pub data_type: DataType,
    pub not_null: bool,
    pub default: Option<String>,
}

pub(super) fn class_rows(catalog: &Catalog, ctx: &SystemContext) -> Vec<ClassRow> {
    let mut rows = Vec::new();
    for t in catalog.tables() {
        let has_index = t.primary_key.is_some() || !catalog.table_indexes(t.id).is_empty();
        rows.push(ClassRow {
            oid: relation_oid(t.id),
            name: t.name.clone(),
            namespace: if catalog.is_system_table(t.id) {
                PG_CATALOG_OID
            } else {
                PUBLIC_OID
            },
            kind: "r",
            natts: t.columns.len(),
            checks: t.checks.len(),
            has_index,
            am: HEAP_AM_OID,
            options: t.blockchain_options().map(|o| o.reloptions()),
            owner: role_oid(catalog.owner_of(t.id)),
            acl_of: Some(t.id),
        });
        if let (Some(pk), Some(name)) = (&t.primary_key, &t.primary_key_name) {
            rows.push(ClassRow {
                oid: pkey_index_oid(t),
                name: name.clone(),
                namespace: PUBLIC_OID,
                kind: "i",
                natts: pk.len(),
                checks: 0,
                has_index: false,
                am: BTREE_AM_OID,
                options: None,
                owner: role_oid(catalog.owner_of(t.id)),
                acl_of: None,
            });
        }
    }
    for i in catalog.indexes() {
        rows.push(ClassRow {
            oid: relation_oid(i.id),
            name: i.name.clone(),
            namespace: PUBLIC_OID,
            kind: "i",
            natts: i.columns.len(),
            checks: 0,
            has_index: false,
            am: BTREE_AM_OID,
            options: None,
            owner: role_oid(catalog.owner_of(i.table_id)),
            acl_of: None,
        });
    }
    for v in catalog.views() {
        rows.push(ClassRow {
            oid: relation_oid(v.id),
            name: v.name.clone(),
            namespace: PUBLIC_OID,
            kind: "v",
            natts: ctx.view_columns.get(&v.id).map_or(0, Vec::len),
            checks: 0,
            has_index: false,
            am: 0,
            options: None,
            owner: role_oid(catalog.owner_of(v.id)),
            acl_of: Some(v.id),
        });
    }
    for (schema, name, rel_oid) in RELATIONS {
        let natts = if ctx.columns_only {
            0
        } else {
            super::system_columns(*schema, name).len()
        };
        let (namespace, kind) = match schema {
            super::SystemSchema::PgCatalog if !name.starts_with("pg_") || is_view(name) => (PG_CATALOG_OID, "v"),
            super::SystemSchema::PgCatalog => (PG_CATALOG_OID, "r"),
            super::SystemSchema::InformationSchema => (INFORMATION_SCHEMA_OID, "v"),
        };
        rows.push(ClassRow {
            oid: i64::from(*rel_oid),
            name: name.to_string(),
            namespace,
            kind,
            natts,
            checks: 0,
            has_index: false,
            am: if kind == "r" { HEAP_AM_OID } else { 0 },
            options: None,
            owner: i64::from(OWNER_OID),
            acl_of: None,
        });
    }
    rows
}

/// The system relations PostgreSQL defines as views rather than tables.
fn is_view(name: &str) -> bool {
    matches!(
        name,
        "pg_roles" | "pg_settings" | "pg_tables" | "pg_user" | "pg_views" | "pg_indexes"
    )
}

/// Attributes of user tables, indexes and views, in relation then column order.
pub(super) fn attribute_rows(catalog: &Catalog, ctx: &SystemContext) -> Vec<AttributeRow> {
    let mut rows = Vec::new();
    let column_rows = |relid: i64, columns: &[ColumnDef], rows: &mut Vec<AttributeRow>| {
        for (k, c) in columns.iter().enumerate() {
            rows.push(AttributeRow {
                relid,
                num: k + 1,
                name: c.name.clone(),
                data_type: c.data_type.clone(),
                not_null: !c.nullable,
                default: c.default.clone(),
            });
        }
    };
    for t in catalog.tables() {
        column_rows(relation_oid(t.id), &t.columns, &mut rows);
        if let Some(pk) = &t.primary_key {
            index_attributes(t, pkey_index_oid(t), pk, &mut rows);
        }
        for i in catalog.table_indexes(t.id) {
            index_attributes(t, relation_oid(i.id), &i.columns, &mut rows);
        }
    }
    for v in catalog.views() {
        for (k, (name, ty)) in ctx.view_columns.get(&v.id).into_iter().flatten().enumerate() {
            rows.push(AttributeRow {
                relid: relation_oid(v.id),
                num: k + 1,
                name: name.clone(),
                data_type: ty.clone(),
                not_null: false,
                default: None,
            });
        }
    }
    if !ctx.columns_only {
        for (schema, name, rel_oid) in RELATIONS {
            for (k, (col, ty)) in super::system_columns(*schema, name).into_iter().enumerate() {
                rows.push(AttributeRow {
                    relid: i64::from(*rel_oid),
                    num: k + 1,
                    name: col,
                    data_type: ty,
                    // The oid-like first columns of PostgreSQL's catalogs are NOT NULL.
                    not_null: k == 0,
                    default: None,
                });
            }
        }
    }
    rows
}

fn index_attributes(t: &TableDef, relid: i64, columns: &[usize], rows: &mut Vec<AttributeRow>) {
    for (k, pos) in columns.iter().enumerate() {
        if let Some(c) = t.columns.get(*pos) {
            rows.push(AttributeRow {
                relid,
                num: k + 1,
                name: c.name.clone(),
                data_type: c.data_type.clone(),
                not_null: false,
                default: None,
            });
        }
    }
}

/// 1-based column numbers of table positions (`conkey`, `indkey`).
fn attnums(columns: &[usize]) -> Value {
    Value::Array(columns.iter().map(|c| Value::Int2(*c as i16 + 1)).collect())
}

pub(super) fn relation(catalog: &Catalog, name: &str, ctx: &SystemContext) -> Option<SystemRelation> {
    Some(match name {
        "pg_namespace" => SystemRelation {
            columns: cols(&[
                ("oid", OID),
                ("nspname", DataType::Text),
                ("nspowner", OID),
                ("nspacl", text_array()),
            ]),
            rows: [
                (PG_CATALOG_OID, "pg_catalog"),
                (PG_TOAST_OID, "pg_toast"),
                (PUBLIC_OID, "public"),
                (INFORMATION_SCHEMA_OID, "information_schema"),
            ]
            .iter()
            .map(|(o, n)| vec![oid(*o), text(n), oid(OWNER_OID), Value::Null])
            .collect(),
        },
        "pg_class" => pg_class(catalog, ctx),
        "pg_attribute" => pg_attribute(catalog, ctx),
        "pg_attrdef" => SystemRelation {
            columns: cols(&[
                ("oid", OID),
                ("adrelid", OID),
                ("adnum", DataType::Int2),
                ("adbin", DataType::Text),
            ]),
            rows: attribute_rows(catalog, ctx)
                .into_iter()
                .filter_map(|a| {
                    let def = a.default?;
                    // One attrdef per column: the relation oid and column number identify it.
                    let def_oid = a.relid * 1600 + a.num as i64;
                    Some(vec![
                        oid(def_oid),
                        oid(a.relid),
                        Value::Int2(a.num as i16),
                        Value::Text(def),
                    ])
                })
                .collect(),
        },
        "pg_index" => pg_index(catalog),
        "pg_constraint" => pg_constraint(catalog),
        _ => return None,
    })
}

fn pg_class(catalog: &Catalog, ctx: &SystemContext) -> SystemRelation {
    let columns = cols(&[
        ("oid", OID),
        ("relname", DataType::Text),
        ("relnamespace", OID),
        ("reltype", OID),
        ("reloftype", OID),
        ("relowner", OID),
        ("relam", OID),
        ("relfilenode", OID),
        ("reltablespace", OID),
        ("relpages", DataType::Int4),
        ("reltuples", DataType::Float4),
        ("relallvisible", DataType::Int4),
        ("reltoastrelid", OID),
        ("relhasindex", DataType::Bool),
        ("relisshared", DataType::Bool),
        ("relpersistence", DataType::Text),
        ("relkind", DataType::Text),
        ("relnatts", DataType::Int2),
        ("relchecks", DataType::Int2),
        ("relhasrules", DataType::Bool),
        ("relhastriggers", DataType::Bool),
        ("relhassubclass", DataType::Bool),
        ("relrowsecurity", DataType::Bool),
        ("relforcerowsecurity", DataType::Bool),
        ("relispopulated", DataType::Bool),
        ("relreplident", DataType::Text),
        ("relispartition", DataType::Bool),
        ("relrewrite", OID),
        ("relacl", text_array()),
        ("reloptions", text_array()),
        ("relpartbound", DataType::Text),
    ]);
    let rows = class_rows(catalog, ctx)
        .into_iter()
        .map(|r| {
            let replident = if r.kind == "r" { "d" } else { "n" };
            vec![
                oid(r.oid),
                Value::Text(r.name),
                oid(r.namespace),
                oid(0),
                oid(0),
                oid(r.owner),
                oid(r.am),
                oid(if r.kind == "v" { 0 } else { r.oid }),
                oid(0),
                Value::Int4(0),
                Value::Float4(-1.0),
                Value::Int4(0),
                oid(0),
                Value::Bool(r.has_index),
                Value::Bool(false),
                text("p"),
                text(r.kind),
                Value::Int2(r.natts as i16),
                Value::Int2(r.checks as i16),
                // A view is a rewrite rule in PostgreSQL.
                Value::Bool(r.kind == "v"),
                Value::Bool(false),
                Value::Bool(false),
                Value::Bool(false),
                Value::Bool(false),
                Value::Bool(true),
                text(replident),
                Value::Bool(false),
                oid(0),
                r.acl_of
                    .and_then(|id| catalog.acl_text(id))
                    .map_or(Value::Null, |items| {
                        Value::Array(items.into_iter().map(Value::Text).collect())
                    }),
                match r.options {
                    Some(options) => Value::Array(options.into_iter().map(Value::Text).collect()),
                    None => Value::Null,
                },
                Value::Null,
            ]
        })
        .collect();
    SystemRelation { columns, rows }
}

fn pg_attribute(catalog: &Catalog, ctx: &SystemContext) -> SystemRelation {
    let columns = cols(&[
        ("attrelid", OID),
        ("attname", DataType::Text),
        ("atttypid", OID),
        ("attstattarget", DataType::Int4),
        ("attlen", DataType::Int2),
        ("attnum", DataType::Int2),
        ("attndims", DataType::Int4),
        ("attcacheoff", DataType::Int4),
        ("atttypmod", DataType::Int4),
        ("attbyval", DataType::Bool),
        ("attalign", DataType::Text),
        ("attstorage", DataType::Text),
        ("attcompression", DataType::Text),
        ("attnotnull", DataType::Bool),
        ("atthasdef", DataType::Bool),
        ("atthasmissing", DataType::Bool),
        ("attidentity", DataType::Text),
        ("attgenerated", DataType::Text),
        ("attisdropped", DataType::Bool),
        ("attislocal", DataType::Bool),
        ("attinhcount", DataType::Int4),
        ("attcollation", OID),
        ("attacl", text_array()),
        ("attoptions", text_array()),
    ]);
    let rows = attribute_rows(catalog, ctx)
        .into_iter()
        .map(|a| {
            let type_oid = a.data_type.oid();
            let builtin = super::BUILTIN_TYPES
                .iter()
                .find(|t| t.oid == type_oid || t.array == type_oid);
            let is_array = matches!(a.data_type, DataType::Array(_));
            let (len, byval, align) = match builtin {
                Some(t) if !is_array => (t.len, t.byval, t.align),
                _ => (-1, false, "i"),
            };
            vec![
                oid(a.relid),
                Value::Text(a.name),
                oid(type_oid),
                Value::Int4(-1),
                Value::Int2(len),
                Value::Int2(a.num as i16),
                Value::Int4(i32::from(is_array)),
                Value::Int4(-1),
                Value::Int4(a.data_type.typmod()),
                Value::Bool(byval),
                text(align),
                text(if len == -1 { "x" } else { "p" }),
                text(""),
                Value::Bool(a.not_null),
                Value::Bool(a.default.is_some()),
                Value::Bool(false),
                text(""),
                text(""),
                Value::Bool(false),
                Value::Bool(true),
                Value::Int4(0),
                oid(type_collation(if is_array { 0 } else { type_oid })),
                Value::Null,
                Value::Null,
            ]
        })
        .collect();
    SystemRelation { columns, rows }
}

fn pg_index(catalog: &Catalog) -> SystemRelation {
    let columns = cols(&[
        ("indexrelid", OID),
        ("indrelid", OID),
        ("indnatts", DataType::Int2),
        ("indnkeyatts", DataType::Int2),
        ("indisunique", DataType::Bool),
        ("indnullsnotdistinct", DataType::Bool),
        ("indisprimary", DataType::Bool),
        ("indisexclusion", DataType::Bool),
        ("indimmediate", DataType::Bool),
        ("indisclustered", DataType::Bool),
        ("indisvalid", DataType::Bool),
        ("indcheckxmin", DataType::Bool),
        ("indisready", DataType::Bool),
        ("indislive", DataType::Bool),
        ("indisreplident", DataType::Bool),
        ("indkey", int2_array()),
        ("indcollation", oid_array()),
        ("indclass", oid_array()),
        ("indoption", int2_array()),
        ("indexprs", DataType::Text),
        ("indpred", DataType::Text),
    ]);
    let row = |index_oid: i64, t: &TableDef, key: &[usize], unique: bool, primary: bool| {
        let n = key.len() as i16;
        vec![
            oid(index_oid),
            oid(relation_oid(t.id)),
            Value::Int2(n),
            Value::Int2(n),
            Value::Bool(unique),
            Value::Bool(false),
            Value::Bool(primary),
            Value::Bool(false),
            Value::Bool(true),
            Value::Bool(false),
            Value::Bool(true),
            Value::Bool(false),
            Value::Bool(true),
            Value::Bool(true),
            Value::Bool(false),
            attnums(key),
            Value::Array(
                key.iter()
                    .map(|c| oid(t.columns.get(*c).map_or(0, |c| type_collation(c.data_type.oid()))))
                    .collect(),
            ),
            Value::Array(key.iter().map(|_| oid(0)).collect()),
            Value::Array(key.iter().map(|_| Value::Int2(0)).collect()),
            Value::Null,
            Value::Null,
        ]
    };
    let mut rows = Vec::new();
    for t in catalog.tables() {
        if let Some(pk) = &t.primary_key {
            rows.push(row(pkey_index_oid(t), t, pk, true, true));
        }
        for i in catalog.table_indexes(t.id) {
            rows.push(row(relation_oid(i.id), t, &i.columns, i.unique, false));
        }
    }
    SystemRelation { columns, rows }
}

fn pg_constraint(catalog: &Catalog) -> SystemRelation {
    let columns = cols(&[
        ("oid", OID),
        ("conname", DataType::Text),
        ("connamespace", OID),
        ("contype", DataType::Text),
        ("condeferrable", DataType::Bool),
        ("condeferred", DataType::Bool),
        ("convalidated", DataType::Bool),
        ("conrelid", OID),
        ("contypid", OID),
        ("conindid", OID),
        ("conparentid", OID),
        ("confrelid", OID),
        ("confupdtype", DataType::Text),
        ("confdeltype", DataType::Text),
        ("confmatchtype", DataType::Text),
        ("conislocal", DataType::Bool),
        ("coninhcount", DataType::Int4),
        ("connoinherit", DataType::Bool),
        ("conkey", int2_array()),
        ("confkey", int2_array()),
        ("conbin", DataType::Text),
    ]);
    let row = |con_oid: i64, name: &str, kind: &str, t: &TableDef, index: i64, key: Value, bin: Value| {
        vec![
            oid(con_oid),
            text(name),
            oid(PUBLIC_OID),
            text(kind),
            Value::Bool(false),
            Value::Bool(false),
            Value::Bool(true),
            oid(relation_oid(t.id)),
            oid(0),
            oid(index),
            oid(0),
            oid(0),
            text(" "),
            text(" "),
            text(" "),
            Value::Bool(true),
            Value::Int4(0),
            Value::Bool(false),
            key,
            Value::Null,
            bin,
        ]
    };
    let mut rows = Vec::new();
    for t in catalog.tables() {
        if let (Some(pk), Some(name)) = (&t.primary_key, &t.primary_key_name) {
            rows.push(row(
                pkey_constraint_oid(t),
                name,
                "p",
                t,
                pkey_index_oid(t),
                attnums(pk),
                Value::Null,
            ));
        }
        for i in catalog.table_indexes(t.id).iter().filter(|i| i.constraint) {
            rows.push(row(
                unique_constraint_oid(i),
                &i.name,
                "u",
                t,
                relation_oid(i.id),
                attnums(&i.columns),
                Value::Null,
            ));
        }
        for (k, c) in t.checks.iter().enumerate() {
            let used: Vec<usize> = (0..t.columns.len())
                .filter(|p| t.columns.get(*p).is_some_and(|col| mentions(&c.expr, &col.name)))
                .collect();
            rows.push(row(
                check_constraint_oid(t, k),
                &c.name,
                "c",
                t,
                0,
                attnums(&used),
                Value::Text(c.expr.clone()),
            ));
        }
    }
    SystemRelation { columns, rows }
}

/// Whether SQL text mentions an identifier as a whole word (for a CHECK's `conkey`).
fn mentions(sql: &str, ident: &str) -> bool {
    sql.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| w.eq_ignore_ascii_case(ident))
}
