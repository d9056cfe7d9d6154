//! `information_schema`: the SQL-standard views over the same snapshot, for user relations
//! in `public` (PostgreSQL also lists its own catalogs there, which clients filter out).

use super::pg_class::attribute_rows;
use super::{cols, relation_oid, text, SystemContext, SystemRelation, DATABASE_NAME, OWNER_NAME};
use crate::catalog::privilege::PUBLIC;
use crate::catalog::Catalog;
use crate::types::{DataType, Value};

const T: DataType = DataType::Text;
const I4: DataType = DataType::Int4;

fn yes_no(b: bool) -> Value {
    text(if b { "YES" } else { "NO" })
}

pub(super) fn relation(catalog: &Catalog, name: &str, ctx: &SystemContext) -> Option<SystemRelation> {
    Some(match name {
        "schemata" => SystemRelation {
            columns: cols(&[
                ("catalog_name", T),
                ("schema_name", T),
                ("schema_owner", T),
                ("default_character_set_catalog", T),
                ("default_character_set_schema", T),
                ("default_character_set_name", T),
                ("sql_path", T),
            ]),
            rows: ["information_schema", "pg_catalog", "pg_toast", "public"]
                .iter()
                .map(|s| {
                    vec![
                        text(DATABASE_NAME),
                        text(s),
                        text(OWNER_NAME),
                        Value::Null,
                        Value::Null,
                        Value::Null,
                        Value::Null,
                    ]
                })
                .collect(),
        },
        "tables" => {
            let mut rows: Vec<Vec<Value>> = catalog
                .tables()
                .map(|t| (t.id, t.name.clone(), "BASE TABLE"))
                .chain(catalog.views().map(|v| (v.id, v.name.clone(), "VIEW")))
                .map(|(id, n, kind)| {
                    vec![
                        text(DATABASE_NAME),
                        text(catalog.schema_of(id)),
                        Value::Text(n),
                        text(kind),
                        Value::Null,
                        Value::Null,
                        Value::Null,
                        Value::Null,
                        Value::Null,
                        yes_no(kind == "BASE TABLE"),
                        text("NO"),
                        Value::Null,
                    ]
                })
                .collect();
            rows.sort_by(|a, b| format!("{:?}", a.get(2)).cmp(&format!("{:?}", b.get(2))));
            SystemRelation {
                columns: cols(&[
                    ("table_catalog", T),
                    ("table_schema", T),
                    ("table_name", T),
                    ("table_type", T),
                    ("self_referencing_column_name", T),
                    ("reference_generation", T),
                    ("user_defined_type_catalog", T),
                    ("user_defined_type_schema", T),
                    ("user_defined_type_name", T),
                    ("is_insertable_into", T),
                    ("is_typed", T),
                    ("commit_action", T),
                ]),
                rows,
            }
        }
        "columns" => columns(catalog, ctx),
        "table_privileges" | "role_table_grants" => table_privileges(catalog, name, ctx),
        "views" => SystemRelation {
            columns: cols(&[
                ("table_catalog", T),
                ("table_schema", T),
                ("table_name", T),
                ("view_definition", T),
                ("check_option", T),
                ("is_updatable", T),
                ("is_insertable_into", T),
                ("is_trigger_updatable", T),
                ("is_trigger_deletable", T),
                ("is_trigger_insertable_into", T),
            ]),
            rows: super::view_definitions(catalog)
                .into_iter()
                .zip(catalog.views())
                .map(|((_, def), v)| {
                    vec![
                        text(DATABASE_NAME),
                        text("public"),
                        text(&v.name),
                        Value::Text(def),
                        text("NONE"),
                        text("NO"),
                        text("NO"),
                        text("NO"),
                        text("NO"),
                        text("NO"),
                    ]
                })
                .collect(),
        },
        "table_constraints" => {
            let mut rows = Vec::new();
            for (name, table, kind) in constraints(catalog) {
                rows.push(vec![
                    text(DATABASE_NAME),
                    text("public"),
                    Value::Text(name),
                    text(DATABASE_NAME),
                    text("public"),
                    Value::Text(table),
                    text(kind),
                    text("NO"),
                    text("NO"),
                    text("YES"),
                    if kind == "CHECK" { Value::Null } else { text("YES") },
                ]);
            }
            SystemRelation {
                columns: cols(&[
                    ("constraint_catalog", T),
                    ("constraint_schema", T),
                    ("constraint_name", T),
                    ("table_catalog", T),
                    ("table_schema", T),
                    ("table_name", T),
                    ("constraint_type", T),
                    ("is_deferrable", T),
                    ("initially_deferred", T),
                    ("enforced", T),
                    ("nulls_distinct", T),
                ]),
                rows,
            }
        }
        "key_column_usage" => {
            let mut rows = Vec::new();
            for t in catalog.tables() {
                let mut keys: Vec<(String, Vec<usize>)> = Vec::new();
                if let (Some(pk), Some(n)) = (&t.primary_key, &t.primary_key_name) {
                    keys.push((n.clone(), pk.clone()));
                }
                for i in catalog.table_indexes(t.id).iter().filter(|i| i.constraint) {
                    keys.push((i.name.clone(), i.columns.clone()));
                }
                for (cname, positions) in keys {
                    for (k, p) in positions.iter().enumerate() {
                        let Some(col) = t.columns.get(*p) else { continue };
                        rows.push(vec![
                            text(DATABASE_NAME),
                            text("public"),
                            text(&cname),
                            text(DATABASE_NAME),
                            text("public"),
                            text(&t.name),
                            text(&col.name),
                            Value::Int4(k as i32 + 1),
                            Value::Null,
                        ]);
                    }
                }
            }
            SystemRelation {
                columns: cols(&[
                    ("constraint_catalog", T),
                    ("constraint_schema", T),
                    ("constraint_name", T),
                    ("table_catalog", T),
                    ("table_schema", T),
                    ("table_name", T),
                    ("column_name", T),
                    ("ordinal_position", I4),
                    ("position_in_unique_constraint", I4),
                ]),
                rows,
            }
        }
        _ => return None,
    })
}

/// (constraint name, table name, constraint_type) of every table constraint.
fn constraints(catalog: &Catalog) -> Vec<(String, String, &'static str)> {
    let mut out = Vec::new();
    for t in catalog.tables() {
        if let (Some(_), Some(n)) = (&t.primary_key, &t.primary_key_name) {
            out.push((n.clone(), t.name.clone(), "PRIMARY KEY"));
        }
        for i in catalog.table_indexes(t.id).iter().filter(|i| i.constraint) {
            out.push((i.name.clone(), t.name.clone(), "UNIQUE"));
        }
        for c in &t.checks {
            out.push((c.name.clone(), t.name.clone(), "CHECK"));
        }
        // PostgreSQL 15 reports NOT NULL columns as CHECK constraints named by oid here.
        for (k, _) in t.columns.iter().enumerate().filter(|(_, c)| !c.nullable) {
            out.push((
                format!("{}_{}_{}_not_null", super::PUBLIC_OID, relation_oid(t.id), k + 1),
                t.name.clone(),
                "CHECK",
            ));
        }
    }
    out
}

fn columns(catalog: &Catalog, ctx: &SystemContext) -> SystemRelation {
    let columns = cols(&[
        ("table_catalog", T),
        ("table_schema", T),
        ("table_name", T),
        ("column_name", T),
        ("ordinal_position", I4),
        ("column_default", T),
        ("is_nullable", T),
        ("data_type", T),
        ("character_maximum_length", I4),
        ("character_octet_length", I4),
        ("numeric_precision", I4),
        ("numeric_precision_radix", I4),
        ("numeric_scale", I4),
        ("datetime_precision", I4),
        ("interval_type", T),
        ("udt_catalog", T),
        ("udt_schema", T),
        ("udt_name", T),
        ("is_identity", T),
        ("is_generated", T),
        ("is_updatable", T),
    ]);
    let mut names: Vec<(i64, String, bool, &str)> = catalog
        .tables()
        .map(|t| (relation_oid(t.id), t.name.clone(), true, catalog.schema_of(t.id)))
        .chain(
            catalog
                .views()
                .map(|v| (relation_oid(v.id), v.name.clone(), false, catalog.schema_of(v.id))),
        )
        .collect();
    names.sort_by(|a, b| a.1.cmp(&b.1));
    let attrs = attribute_rows(catalog, ctx);
    let mut rows = Vec::new();
    for (relid, table, is_table, schema) in names {
        for a in attrs.iter().filter(|a| a.relid == relid) {
            let (char_len, octet_len) = match &a.data_type {
                DataType::Varchar(Some(n)) | DataType::Char(Some(n)) => {
                    (Value::Int4(*n as i32), Value::Int4((*n as i32).saturating_mul(4)))
                }
                DataType::Text | DataType::Varchar(None) | DataType::Char(None) => {
                    (Value::Null, Value::Int4(1_073_741_824))
                }
                _ => (Value::Null, Value::Null),
            };
            let (precision, radix, scale) = match &a.data_type {
                DataType::Int2 => (Value::Int4(16), Value::Int4(2), Value::Int4(0)),
                DataType::Int4 => (Value::Int4(32), Value::Int4(2), Value::Int4(0)),
                DataType::Int8 => (Value::Int4(64), Value::Int4(2), Value::Int4(0)),
                DataType::Float4 => (Value::Int4(24), Value::Int4(2), Value::Null),
                DataType::Float8 => (Value::Int4(53), Value::Int4(2), Value::Null),
                DataType::Numeric(Some((p, s))) => (Value::Int4(*p as i32), Value::Int4(10), Value::Int4(*s as i32)),
                DataType::Numeric(None) => (Value::Null, Value::Int4(10), Value::Null),
                _ => (Value::Null, Value::Null, Value::Null),
            };
            let datetime_precision = match &a.data_type {
                DataType::Date => Value::Int4(0),
                DataType::Time | DataType::Timestamp | DataType::TimestampTz | DataType::Interval => Value::Int4(6),
                _ => Value::Null,
            };
            let (data_type, udt) = sql_type_names(&a.data_type);
            rows.push(vec![
                text(DATABASE_NAME),
                text(schema),
                text(&table),
                text(&a.name),
                Value::Int4(a.num as i32),
                a.default.clone().map_or(Value::Null, Value::Text),
                yes_no(!a.not_null),
                Value::Text(data_type),
                char_len,
                octet_len,
                precision,
                radix,
                scale,
                datetime_precision,
                Value::Null,
                text(DATABASE_NAME),
                text("pg_catalog"),
                Value::Text(udt),
                text("NO"),
                text("NEVER"),
                yes_no(is_table),
            ]);
        }
    }
    SystemRelation { columns, rows }
}

/// `data_type` and `udt_name` as information_schema.columns reports them.
fn sql_type_names(t: &DataType) -> (String, String) {
    let udt = super::BUILTIN_TYPES
        .iter()
        .find(|b| b.oid == t.oid())
        .map(|b| b.name.to_string());
    match t {
        DataType::Array(inner) => {
            let elem = super::BUILTIN_TYPES
                .iter()
                .find(|b| b.oid == inner.oid())
                .map_or("text", |b| b.name);
            ("ARRAY".into(), format!("_{elem}"))
        }
        DataType::Varchar(_) => ("character varying".into(), "varchar".into()),
        DataType::Char(_) => ("character".into(), "bpchar".into()),
        DataType::Numeric(_) => ("numeric".into(), "numeric".into()),
        other => (other.display_name(), udt.unwrap_or_else(|| other.display_name())),
    }
}

/// `table_privileges` (and `role_table_grants`): one row per privilege of each access control
/// item, the owner's default included. As in PostgreSQL, a role sees the rows it granted or
/// received and those granted to PUBLIC (a superuser sees all); `role_table_grants` shows only
/// the rows the current role granted or received.
fn table_privileges(catalog: &Catalog, name: &str, ctx: &SystemContext) -> SystemRelation {
    let columns = cols(&[
        ("grantor", T),
        ("grantee", T),
        ("table_catalog", T),
        ("table_schema", T),
        ("table_name", T),
        ("privilege_type", T),
        ("is_grantable", T),
        ("with_hierarchy", T),
    ]);
    let user = ctx.user;
    let sees_all = name == "table_privileges" && catalog.is_superuser(user);
    let relations = catalog
        .tables()
        .map(|t| (t.id, t.name.clone()))
        .chain(catalog.views().map(|v| (v.id, v.name.clone())));
    let mut rows = Vec::new();
    for (id, relname) in relations {
        let acl = catalog.object_acl(id);
        for item in acl.effective() {
            let visible = sees_all
                || item.grantor == user
                || item.grantee == user
                || (name == "table_privileges" && item.grantee == PUBLIC);
            if !visible {
                continue;
            }
            let grantee = if item.grantee == PUBLIC {
                "PUBLIC".to_string()
            } else {
                catalog.role_name(item.grantee)
            };
            let grantable = item.grantee == acl.owner || catalog.is_superuser(item.grantee);
            for privilege in item.privileges.names() {
                rows.push(vec![
                    Value::Text(catalog.role_name(item.grantor)),
                    Value::Text(grantee.clone()),
                    text(DATABASE_NAME),
                    text(catalog.schema_of(id)),
                    Value::Text(relname.clone()),
                    text(privilege),
                    yes_no(grantable),
                    yes_no(privilege == "SELECT"),
                ]);
            }
        }
    }
    SystemRelation { columns, rows }
}
