//! The rest of `pg_catalog`: database, roles, access methods, settings, functions, and the
//! relations for features Vellum does not have (policies, publications, inheritance,
//! triggers, ...), which are present and empty so that clients' queries over them work.

use super::{
    cols, empty, int2_array, oid, oid_array, relation_oid, role_oid, text, text_array, SystemContext, SystemRelation,
    BTREE_AM_OID, DATABASE_NAME, DATABASE_OID, HEAP_AM_OID, OID, OWNER_OID, PG_CATALOG_OID,
};
use crate::catalog::Catalog;
use crate::types::{DataType, Value};

const T: DataType = DataType::Text;
const B: DataType = DataType::Bool;
const I2: DataType = DataType::Int2;
const I4: DataType = DataType::Int4;

/// Functions listed in `pg_proc` (name, return type oid): the catalog functions clients probe.
const PROCS: &[(&str, u32)] = &[
    ("array_to_string", 25),
    ("current_database", 19),
    ("current_schema", 19),
    ("current_schemas", 1003),
    ("current_setting", 25),
    ("format_type", 25),
    ("has_database_privilege", 16),
    ("has_schema_privilege", 16),
    ("has_table_privilege", 16),
    ("obj_description", 25),
    ("col_description", 25),
    ("pg_backend_pid", 23),
    ("pg_encoding_to_char", 19),
    ("pg_get_constraintdef", 25),
    ("pg_get_expr", 25),
    ("pg_get_indexdef", 25),
    ("pg_get_userbyid", 19),
    ("pg_get_viewdef", 25),
    ("pg_relation_size", 20),
    ("pg_table_is_visible", 16),
    ("pg_total_relation_size", 20),
    ("pg_type_is_visible", 16),
    ("set_config", 25),
    ("version", 25),
];

pub(super) fn relation(catalog: &Catalog, name: &str, ctx: &SystemContext) -> Option<SystemRelation> {
    Some(match name {
        "pg_am" => SystemRelation {
            columns: cols(&[("oid", OID), ("amname", T), ("amhandler", T), ("amtype", T)]),
            rows: vec![
                vec![oid(HEAP_AM_OID), text("heap"), text("heap_tableam_handler"), text("t")],
                vec![oid(BTREE_AM_OID), text("btree"), text("bthandler"), text("i")],
            ],
        },
        "pg_database" => SystemRelation {
            columns: cols(&[
                ("oid", OID),
                ("datname", T),
                ("datdba", OID),
                ("encoding", I4),
                ("datlocprovider", T),
                ("datistemplate", B),
                ("datallowconn", B),
                ("datconnlimit", I4),
                ("dattablespace", OID),
                ("datcollate", T),
                ("datctype", T),
                ("daticulocale", T),
                ("datcollversion", T),
                ("datacl", text_array()),
            ]),
            rows: vec![vec![
                oid(DATABASE_OID),
                text(DATABASE_NAME),
                oid(OWNER_OID),
                Value::Int4(6),
                text("c"),
                Value::Bool(false),
                Value::Bool(true),
                Value::Int4(-1),
                oid(1663),
                text("C"),
                text("C"),
                Value::Null,
                Value::Null,
                Value::Null,
            ]],
        },
        "pg_roles" | "pg_authid" | "pg_user" => roles(catalog, name),
        "pg_auth_members" => empty(&[("roleid", OID), ("member", OID), ("grantor", OID), ("admin_option", B)]),
        "pg_description" => empty(&[("objoid", OID), ("classoid", OID), ("objsubid", I4), ("description", T)]),
        "pg_settings" => SystemRelation {
            columns: cols(&[
                ("name", T),
                ("setting", T),
                ("unit", T),
                ("category", T),
                ("short_desc", T),
                ("extra_desc", T),
                ("context", T),
                ("vartype", T),
                ("source", T),
                ("min_val", T),
                ("max_val", T),
                ("enumvals", text_array()),
                ("boot_val", T),
                ("reset_val", T),
                ("sourcefile", T),
                ("sourceline", I4),
                ("pending_restart", B),
            ]),
            rows: ctx
                .settings
                .iter()
                .map(|(n, v, d)| {
                    vec![
                        text(n),
                        text(v),
                        Value::Null,
                        text("Ungrouped"),
                        text(d),
                        Value::Null,
                        text("user"),
                        text("string"),
                        text("session"),
                        Value::Null,
                        Value::Null,
                        Value::Null,
                        text(v),
                        text(v),
                        Value::Null,
                        Value::Null,
                        Value::Bool(false),
                    ]
                })
                .collect(),
        },
        "pg_proc" => SystemRelation {
            columns: cols(&[
                ("oid", OID),
                ("proname", T),
                ("pronamespace", OID),
                ("proowner", OID),
                ("prolang", OID),
                ("prokind", T),
                ("proretset", B),
                ("prorettype", OID),
                ("pronargs", I2),
                ("proargtypes", oid_array()),
                ("prosrc", T),
            ]),
            rows: PROCS
                .iter()
                .enumerate()
                .map(|(k, (n, ret))| {
                    vec![
                        oid(14000 + k as i64),
                        text(n),
                        oid(PG_CATALOG_OID),
                        oid(OWNER_OID),
                        oid(12),
                        text("f"),
                        Value::Bool(false),
                        oid(*ret),
                        Value::Int2(0),
                        Value::Array(Vec::new()),
                        text(n),
                    ]
                })
                .collect(),
        },
        "pg_collation" => SystemRelation {
            columns: cols(&[
                ("oid", OID),
                ("collname", T),
                ("collnamespace", OID),
                ("collowner", OID),
                ("collprovider", T),
                ("collisdeterministic", B),
                ("collencoding", I4),
                ("collcollate", T),
                ("collctype", T),
            ]),
            rows: [
                (100, "default", "d", Value::Null),
                (950, "C", "c", text("C")),
                (951, "POSIX", "c", text("POSIX")),
            ]
            .into_iter()
            .map(|(o, n, p, locale)| {
                vec![
                    oid(o),
                    text(n),
                    oid(PG_CATALOG_OID),
                    oid(OWNER_OID),
                    text(p),
                    Value::Bool(true),
                    Value::Int4(-1),
                    locale.clone(),
                    locale,
                ]
            })
            .collect(),
        },
        "pg_tablespace" => SystemRelation {
            columns: cols(&[
                ("oid", OID),
                ("spcname", T),
                ("spcowner", OID),
                ("spcacl", text_array()),
            ]),
            rows: vec![
                vec![oid(1663), text("pg_default"), oid(OWNER_OID), Value::Null],
                vec![oid(1664), text("pg_global"), oid(OWNER_OID), Value::Null],
            ],
        },
        "pg_tables" => SystemRelation {
            columns: cols(&[
                ("schemaname", T),
                ("tablename", T),
                ("tableowner", T),
                ("tablespace", T),
                ("hasindexes", B),
                ("hasrules", B),
                ("hastriggers", B),
                ("rowsecurity", B),
            ]),
            rows: catalog
                .tables()
                .map(|t| {
                    let has_index = t.primary_key.is_some() || !catalog.table_indexes(t.id).is_empty();
                    vec![
                        text("public"),
                        text(&t.name),
                        Value::Text(catalog.role_name(catalog.owner_of(t.id))),
                        Value::Null,
                        Value::Bool(has_index),
                        Value::Bool(false),
                        Value::Bool(false),
                        Value::Bool(false),
                    ]
                })
                .collect(),
        },
        "pg_views" => SystemRelation {
            columns: cols(&[("schemaname", T), ("viewname", T), ("viewowner", T), ("definition", T)]),
            rows: super::view_definitions(catalog)
                .into_iter()
                .zip(catalog.views())
                .map(|((_, def), v)| {
                    let owner = catalog.role_name(catalog.owner_of(v.id));
                    vec![text("public"), text(&v.name), Value::Text(owner), Value::Text(def)]
                })
                .collect(),
        },
        "pg_indexes" => SystemRelation {
            columns: cols(&[
                ("schemaname", T),
                ("tablename", T),
                ("indexname", T),
                ("tablespace", T),
                ("indexdef", T),
            ]),
            rows: index_rows(catalog),
        },
        "pg_policy" => empty(&[
            ("oid", OID),
            ("polname", T),
            ("polrelid", OID),
            ("polcmd", T),
            ("polpermissive", B),
            ("polroles", oid_array()),
            ("polqual", T),
            ("polwithcheck", T),
        ]),
        "pg_statistic_ext" => empty(&[
            ("oid", OID),
            ("stxrelid", OID),
            ("stxname", T),
            ("stxnamespace", OID),
            ("stxowner", OID),
            ("stxstattarget", I4),
            ("stxkeys", int2_array()),
            ("stxkind", text_array()),
            ("stxexprs", T),
        ]),
        "pg_publication" => empty(&[
            ("oid", OID),
            ("pubname", T),
            ("pubowner", OID),
            ("puballtables", B),
            ("pubinsert", B),
            ("pubupdate", B),
            ("pubdelete", B),
            ("pubtruncate", B),
            ("pubviaroot", B),
        ]),
        "pg_publication_rel" => empty(&[
            ("oid", OID),
            ("prpubid", OID),
            ("prrelid", OID),
            ("prqual", T),
            ("prattrs", int2_array()),
        ]),
        "pg_publication_namespace" => empty(&[("oid", OID), ("pnpubid", OID), ("pnnspid", OID)]),
        "pg_inherits" => empty(&[
            ("inhrelid", OID),
            ("inhparent", OID),
            ("inhseqno", I4),
            ("inhdetachpending", B),
        ]),
        "pg_partitioned_table" => empty(&[
            ("partrelid", OID),
            ("partstrat", T),
            ("partnatts", I2),
            ("partdefid", OID),
            ("partattrs", int2_array()),
            ("partclass", oid_array()),
            ("partcollation", oid_array()),
            ("partexprs", T),
        ]),
        "pg_trigger" => empty(&[
            ("oid", OID),
            ("tgrelid", OID),
            ("tgparentid", OID),
            ("tgname", T),
            ("tgfoid", OID),
            ("tgtype", I2),
            ("tgenabled", T),
            ("tgisinternal", B),
            ("tgconstrrelid", OID),
            ("tgconstrindid", OID),
            ("tgconstraint", OID),
            ("tgdeferrable", B),
            ("tginitdeferred", B),
            ("tgnargs", I2),
            ("tgattr", int2_array()),
            ("tgargs", DataType::Bytea),
            ("tgqual", T),
            ("tgoldtable", T),
            ("tgnewtable", T),
        ]),
        "pg_rewrite" => empty(&[
            ("oid", OID),
            ("rulename", T),
            ("ev_class", OID),
            ("ev_type", T),
            ("ev_enabled", T),
            ("is_instead", B),
            ("ev_qual", T),
            ("ev_action", T),
        ]),
        "pg_foreign_table" => empty(&[("ftrelid", OID), ("ftserver", OID), ("ftoptions", text_array())]),
        "pg_sequence" => empty(&[
            ("seqrelid", OID),
            ("seqtypid", OID),
            ("seqstart", DataType::Int8),
            ("seqincrement", DataType::Int8),
            ("seqmax", DataType::Int8),
            ("seqmin", DataType::Int8),
            ("seqcache", DataType::Int8),
            ("seqcycle", B),
        ]),
        "pg_depend" => empty(&[
            ("classid", OID),
            ("objid", OID),
            ("objsubid", I4),
            ("refclassid", OID),
            ("refobjid", OID),
            ("refobjsubid", I4),
            ("deptype", T),
        ]),
        "pg_enum" => empty(&[
            ("oid", OID),
            ("enumtypid", OID),
            ("enumsortorder", DataType::Float4),
            ("enumlabel", T),
        ]),
        "pg_range" => empty(&[
            ("rngtypid", OID),
            ("rngsubtype", OID),
            ("rngmultitypid", OID),
            ("rngcollation", OID),
            ("rngsubopc", OID),
            ("rngcanonical", T),
            ("rngsubdiff", T),
        ]),
        "pg_extension" => empty(&[
            ("oid", OID),
            ("extname", T),
            ("extowner", OID),
            ("extnamespace", OID),
            ("extrelocatable", B),
            ("extversion", T),
            ("extconfig", oid_array()),
            ("extcondition", text_array()),
        ]),
        _ => return None,
    })
}

fn index_rows(catalog: &Catalog) -> Vec<Vec<Value>> {
    let defs = super::index_definitions(catalog);
    let mut rows = Vec::new();
    for t in catalog.tables() {
        let mut names: Vec<(i64, String)> = Vec::new();
        if let Some(name) = &t.primary_key_name {
            if t.primary_key.is_some() {
                names.push((super::pkey_index_oid(t), name.clone()));
            }
        }
        names.extend(
            catalog
                .table_indexes(t.id)
                .iter()
                .map(|i| (relation_oid(i.id), i.name.clone())),
        );
        for (index_oid, name) in names {
            let def = defs.iter().find(|d| d.oid == index_oid).map(|d| d.definition.clone());
            rows.push(vec![
                text("public"),
                text(&t.name),
                Value::Text(name),
                Value::Null,
                def.map_or(Value::Null, Value::Text),
            ]);
        }
    }
    rows
}

/// `pg_roles`, `pg_authid` and `pg_user` (login roles only), one row per role. Only
/// `pg_authid` shows the stored SCRAM verifier; the binder lets superusers alone read it.
fn roles(catalog: &Catalog, name: &str) -> SystemRelation {
    let roles = catalog.roles();
    if name == "pg_user" {
        return SystemRelation {
            columns: cols(&[
                ("usename", T),
                ("usesysid", OID),
                ("usecreatedb", B),
                ("usesuper", B),
                ("userepl", B),
                ("usebypassrls", B),
                ("passwd", T),
                ("valuntil", DataType::TimestampTz),
                ("useconfig", text_array()),
            ]),
            rows: roles
                .iter()
                .filter(|r| r.login)
                .map(|r| {
                    let bootstrap = r.id == OWNER_OID;
                    vec![
                        text(&r.name),
                        oid(role_oid(r.id)),
                        Value::Bool(r.create_db),
                        Value::Bool(r.superuser),
                        Value::Bool(bootstrap),
                        Value::Bool(bootstrap),
                        text("********"),
                        Value::Null,
                        Value::Null,
                    ]
                })
                .collect(),
        };
    }
    let authid = name == "pg_authid";
    let mut columns = Vec::new();
    if authid {
        columns.push(("oid".to_string(), OID));
    }
    columns.extend(cols(&[
        ("rolname", T),
        ("rolsuper", B),
        ("rolinherit", B),
        ("rolcreaterole", B),
        ("rolcreatedb", B),
        ("rolcanlogin", B),
        ("rolreplication", B),
    ]));
    if authid {
        columns.extend(cols(&[
            ("rolbypassrls", B),
            ("rolconnlimit", I4),
            ("rolpassword", T),
            ("rolvaliduntil", DataType::TimestampTz),
        ]));
    } else {
        columns.extend(cols(&[
            ("rolconnlimit", I4),
            ("rolpassword", T),
            ("rolvaliduntil", DataType::TimestampTz),
            ("rolbypassrls", B),
            ("rolconfig", text_array()),
            ("oid", OID),
        ]));
    }
    let rows = roles
        .iter()
        .map(|r| {
            // PostgreSQL's bootstrap superuser also has REPLICATION and BYPASSRLS.
            let bootstrap = r.id == OWNER_OID;
            let mut row = Vec::new();
            if authid {
                row.push(oid(role_oid(r.id)));
            }
            row.extend([
                text(&r.name),
                Value::Bool(r.superuser),
                Value::Bool(true),
                Value::Bool(r.create_role),
                Value::Bool(r.create_db),
                Value::Bool(r.login),
                Value::Bool(bootstrap),
            ]);
            if authid {
                row.extend([
                    Value::Bool(bootstrap),
                    Value::Int4(-1),
                    r.password.clone().map_or(Value::Null, Value::Text),
                    Value::Null,
                ]);
            } else {
                row.extend([
                    Value::Int4(-1),
                    text("********"),
                    Value::Null,
                    Value::Bool(bootstrap),
                    Value::Null,
                    oid(role_oid(r.id)),
                ]);
            }
            row
        })
        .collect();
    SystemRelation { columns, rows }
}
