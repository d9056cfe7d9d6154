//! Unit tests of the system relations, against PostgreSQL's documented catalog contents.

use super::*;
use crate::catalog::{CatalogRecord, CheckDef, ColumnDef, TableKind};

fn column(name: &str, data_type: DataType, nullable: bool, default: Option<&str>) -> ColumnDef {
    ColumnDef {
        name: name.into(),
        data_type,
        nullable,
        default: default.map(String::from),
    }
}

/// `t (id int primary key, name varchar(20) not null default 'x', price numeric(10,2)
/// check (price > 0))` with index `t_name_idx (name)` and unique constraint `t_price_key`.
fn catalog() -> Catalog {
    let mut c = Catalog::default();
    c.insert(CatalogRecord::Table(TableDef {
        id: 1,
        name: "t".into(),
        columns: vec![
            column("id", DataType::Int4, false, None),
            column("name", DataType::Varchar(Some(20)), false, Some("'x'")),
            column("price", DataType::Numeric(Some((10, 2))), true, None),
        ],
        primary_key: Some(vec![0]),
        primary_key_name: Some("t_pkey".into()),
        checks: vec![CheckDef {
            name: "t_price_check".into(),
            expr: "price > 0".into(),
        }],
        kind: TableKind::Ordinary,
    }))
    .unwrap();
    for (id, name, cols, unique, constraint) in [
        (2, "t_name_idx", vec![1], false, false),
        (3, "t_price_key", vec![2], true, true),
    ] {
        c.insert(CatalogRecord::Index(IndexDef {
            id,
            name: name.into(),
            table_id: 1,
            columns: cols,
            unique,
            constraint,
        }))
        .unwrap();
    }
    c
}

fn rel(c: &Catalog, name: &str) -> SystemRelation {
    system_relation(c, SystemSchema::PgCatalog, name, &SystemContext::default()).unwrap()
}

/// The value of column `col` in every row where column `key` equals `value`.
fn column_where(r: &SystemRelation, key: &str, value: &Value, col: &str) -> Vec<Value> {
    let k = r.columns.iter().position(|(n, _)| n == key).unwrap();
    let c = r.columns.iter().position(|(n, _)| n == col).unwrap();
    r.rows
        .iter()
        .filter(|row| &row[k] == value)
        .map(|row| row[c].clone())
        .collect()
}

#[test]
fn pg_class_lists_table_primary_key_and_indexes() {
    let c = catalog();
    let class = rel(&c, "pg_class");
    let name = |n: &str| Value::Text(n.into());
    assert_eq!(
        column_where(&class, "relname", &name("t"), "oid"),
        vec![Value::Int8(16385)]
    );
    assert_eq!(column_where(&class, "relname", &name("t"), "relkind"), vec![name("r")]);
    assert_eq!(
        column_where(&class, "relname", &name("t"), "relhasindex"),
        vec![Value::Bool(true)]
    );
    assert_eq!(
        column_where(&class, "relname", &name("t"), "relchecks"),
        vec![Value::Int2(1)]
    );
    assert_eq!(
        column_where(&class, "relname", &name("t"), "relnamespace"),
        vec![Value::Int8(2200)]
    );
    for index in ["t_pkey", "t_name_idx", "t_price_key"] {
        assert_eq!(
            column_where(&class, "relname", &name(index), "relkind"),
            vec![name("i")],
            "{index}"
        );
    }
    assert_eq!(
        column_where(&class, "relname", &name("pg_class"), "oid"),
        vec![Value::Int8(1259)]
    );
    assert_eq!(
        column_where(&class, "relname", &name("pg_class"), "relnamespace"),
        vec![Value::Int8(11)]
    );
}

#[test]
fn pg_attribute_carries_typmods_and_not_null() {
    let c = catalog();
    let attr = rel(&c, "pg_attribute");
    let t = Value::Int8(16385);
    // PostgreSQL: varchar(n) has typmod n + 4; numeric(p, s) has ((p << 16) | s) + 4.
    assert_eq!(
        column_where(&attr, "attrelid", &t, "atttypmod"),
        vec![Value::Int4(-1), Value::Int4(24), Value::Int4(655_366)]
    );
    assert_eq!(
        column_where(&attr, "attrelid", &t, "atttypid"),
        vec![Value::Int8(23), Value::Int8(1043), Value::Int8(1700)]
    );
    assert_eq!(
        column_where(&attr, "attrelid", &t, "attnotnull"),
        vec![Value::Bool(true), Value::Bool(true), Value::Bool(false)]
    );
    assert_eq!(
        column_where(&attr, "attrelid", &t, "atthasdef"),
        vec![Value::Bool(false), Value::Bool(true), Value::Bool(false)]
    );
    let def = rel(&c, "pg_attrdef");
    assert_eq!(column_where(&def, "adrelid", &t, "adnum"), vec![Value::Int2(2)]);
}

#[test]
fn pg_index_and_pg_constraint_agree() {
    let c = catalog();
    let index = rel(&c, "pg_index");
    let primary = column_where(&index, "indisprimary", &Value::Bool(true), "indkey");
    assert_eq!(primary, vec![Value::Array(vec![Value::Int2(1)])]);
    let con = rel(&c, "pg_constraint");
    let kinds = column_where(&con, "conrelid", &Value::Int8(16385), "contype");
    assert_eq!(
        kinds,
        vec![
            Value::Text("p".into()),
            Value::Text("u".into()),
            Value::Text("c".into())
        ]
    );
    // Every p/u constraint points at an index that pg_index lists.
    let index_oids = column_where(&index, "indrelid", &Value::Int8(16385), "indexrelid");
    for conindid in column_where(&con, "conrelid", &Value::Int8(16385), "conindid") {
        assert!(
            conindid == Value::Int8(0) || index_oids.contains(&conindid),
            "{conindid:?}"
        );
    }
    let defs: Vec<String> = constraint_definitions(&c).into_iter().map(|(_, d)| d).collect();
    assert_eq!(defs, vec!["PRIMARY KEY (id)", "UNIQUE (price)", "CHECK (price > 0)"]);
    let idx: Vec<String> = index_definitions(&c).into_iter().map(|d| d.definition).collect();
    assert_eq!(
        idx,
        vec![
            "CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)",
            "CREATE INDEX t_name_idx ON public.t USING btree (name)",
            "CREATE UNIQUE INDEX t_price_key ON public.t USING btree (price)",
        ]
    );
}

#[test]
fn format_type_matches_postgresql() {
    assert_eq!(format_type(1043, 24).as_deref(), Some("character varying(20)"));
    assert_eq!(format_type(1043, -1).as_deref(), Some("character varying"));
    assert_eq!(format_type(1042, -1).as_deref(), Some("bpchar"));
    assert_eq!(format_type(1042, 5).as_deref(), Some("character(1)"));
    assert_eq!(format_type(1700, 655_366).as_deref(), Some("numeric(10,2)"));
    assert_eq!(format_type(1015, 14).as_deref(), Some("character varying(10)[]"));
    assert_eq!(format_type(1184, -1).as_deref(), Some("timestamp with time zone"));
    assert_eq!(format_type(18, -1).as_deref(), Some("\"char\""));
    assert_eq!(format_type(4_000_000, -1), None);
}

#[test]
fn type_names_resolve_to_oids() {
    assert_eq!(type_oid_by_name("integer"), Some(23));
    assert_eq!(type_oid_by_name("int4"), Some(23));
    assert_eq!(type_oid_by_name("pg_catalog.text"), Some(25));
    assert_eq!(type_oid_by_name("text[]"), Some(1009));
    assert_eq!(type_oid_by_name("_int4"), Some(1007));
    assert_eq!(type_oid_by_name("character varying"), Some(1043));
    assert_eq!(type_oid_by_name("no_such_type"), None);
}

#[test]
fn pg_type_has_a_row_for_every_storable_type() {
    let types = rel(&Catalog::default(), "pg_type");
    let oids: Vec<Value> = types.rows.iter().map(|r| r[0].clone()).collect();
    let arrays = DataType::SCALARS.iter().map(|t| DataType::Array(Box::new(t.clone())));
    for t in DataType::SCALARS.iter().cloned().chain(arrays) {
        assert!(oids.contains(&Value::Int8(i64::from(t.oid()))), "{t}");
    }
}

#[test]
fn unknown_names_are_not_system_relations() {
    let c = Catalog::default();
    assert!(system_relation(&c, SystemSchema::PgCatalog, "pg_nope", &SystemContext::default()).is_none());
    assert!(system_relation(
        &c,
        SystemSchema::InformationSchema,
        "pg_class",
        &SystemContext::default()
    )
    .is_none());
    assert!(system_relation(
        &c,
        SystemSchema::InformationSchema,
        "columns",
        &SystemContext::default()
    )
    .is_some());
}
