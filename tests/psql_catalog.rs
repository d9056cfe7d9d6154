//! psql 15's meta-command queries (captured with `psql -E` into tests/fixtures/psql15) and
//! drivers' metadata queries, run through `Session::execute` over a known schema. Expected
//! values are what PostgreSQL's catalogs document for that schema (psql's own output for the
//! same schema on PostgreSQL 15, with Vellum's database and role name `vellum`).

use vellum::types::Value;
use vellum::{Database, Session, StatementResult};

const SCHEMA: &str = "create table t (id int primary key, name varchar(20) not null default 'x', \
     price numeric(10,2) check (price > 0), note text); \
     create index t_name_idx on t(name); \
     create view v as select id from t;";

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/psql15/{name}.sql", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn rows(session: &mut Session, sql: &str) -> Vec<Vec<Value>> {
    match session.execute(sql).unwrap_or_else(|e| panic!("{sql}\n=> {e}")).pop() {
        Some(StatementResult::Query { rows, .. }) => rows,
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

fn setup() -> (tempfile::TempDir, Session) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut session = db.session();
    session.execute(SCHEMA).unwrap();
    (dir, session)
}

fn t(s: &str) -> Value {
    Value::Text(s.into())
}

fn b(v: bool) -> Value {
    Value::Bool(v)
}

/// Runs psql's `\d NAME` lookup (query 1) and returns the relation's oid as psql quotes it.
fn describe_oid(s: &mut Session, lookup: &str, name: &str) -> String {
    describe_oid_in(s, lookup, "public", name)
}

fn describe_oid_in(s: &mut Session, lookup: &str, schema: &str, name: &str) -> String {
    let sql = fixture(lookup)
        .replace("'^(t)$'", &format!("'^({name})$'"))
        .replace("'^(v)$'", &format!("'^({name})$'"));
    let found = rows(s, &sql);
    assert_eq!(found.len(), 1, "{name}: {found:?}");
    assert_eq!(found[0][1..], [t(schema), t(name)]);
    match &found[0][0] {
        Value::Int8(oid) => oid.to_string(),
        other => panic!("oid is {other:?}"),
    }
}

/// psql substitutes the oid it found into the later queries.
fn with_oid(name: &str, captured_oid: &str, oid: &str) -> String {
    fixture(name).replace(&format!("'{captured_oid}'"), &format!("'{oid}'"))
}

#[test]
fn dt_lists_tables() {
    let (_dir, mut s) = setup();
    assert_eq!(
        rows(&mut s, &fixture("dt_1")),
        vec![vec![t("public"), t("t"), t("table"), t("vellum")]]
    );
}

#[test]
fn di_lists_indexes_with_their_tables() {
    let (_dir, mut s) = setup();
    assert_eq!(
        rows(&mut s, &fixture("di_1")),
        vec![
            vec![t("public"), t("t_name_idx"), t("index"), t("vellum"), t("t")],
            vec![t("public"), t("t_pkey"), t("index"), t("vellum"), t("t")],
        ]
    );
}

#[test]
fn dv_lists_views() {
    let (_dir, mut s) = setup();
    assert_eq!(
        rows(&mut s, &fixture("dv_1")),
        vec![vec![t("public"), t("v"), t("view"), t("vellum")]]
    );
}

#[test]
fn l_lists_the_database() {
    let (_dir, mut s) = setup();
    let r = rows(&mut s, &fixture("l_1"));
    assert_eq!(r.len(), 1);
    assert_eq!(r[0][..3], [t("vellum"), t("vellum"), t("UTF8")]);
    assert_eq!(r[0][6], t("libc"));
    assert_eq!(r[0][7], Value::Null);
}

#[test]
fn du_lists_the_role() {
    let (_dir, mut s) = setup();
    let r = rows(&mut s, &fixture("du_1"));
    assert_eq!(
        r,
        vec![vec![
            t("vellum"),
            b(true),
            b(true),
            b(true),
            b(true),
            b(true),
            Value::Int4(-1),
            Value::Null,
            Value::Array(vec![]),
            b(true),
            b(true),
        ]]
    );
}

#[test]
fn d_table_describes_columns_indexes_and_checks() {
    let (_dir, mut s) = setup();
    let oid = describe_oid(&mut s, "d_table_1", "t");
    let flags = rows(&mut s, &with_oid("d_table_2", "16384", &oid));
    assert_eq!(flags.len(), 1);
    // relchecks, relkind, relhasindex, relhasrules, relhastriggers, relrowsecurity
    assert_eq!(
        flags[0][..6],
        [Value::Int2(1), t("r"), b(true), b(false), b(false), b(false)]
    );
    assert_eq!(flags[0][12..], [t("p"), t("d"), t("heap")]);

    let columns = rows(&mut s, &with_oid("d_table_3", "16384", &oid));
    let summary: Vec<(Value, Value, Value)> = columns
        .iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[3].clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (t("id"), t("integer"), b(true)),
            (t("name"), t("character varying(20)"), b(true)),
            (t("price"), t("numeric(10,2)"), b(false)),
            (t("note"), t("text"), b(false)),
        ]
    );
    let defaults: Vec<&Value> = columns.iter().map(|r| &r[2]).collect();
    assert_eq!(defaults[0], &Value::Null);
    assert!(
        matches!(defaults[1], Value::Text(d) if d.starts_with("'x'")),
        "{defaults:?}"
    );
    assert_eq!(defaults[2..], [&Value::Null, &Value::Null]);

    let indexes = rows(&mut s, &with_oid("d_table_4", "16384", &oid));
    assert_eq!(indexes.len(), 2, "{indexes:?}");
    assert_eq!(
        indexes[0][..8],
        [
            t("t_pkey"),
            b(true),
            b(true),
            b(false),
            b(true),
            t("CREATE UNIQUE INDEX t_pkey ON t USING btree (id)"),
            t("PRIMARY KEY (id)"),
            t("p"),
        ]
    );
    assert_eq!(
        indexes[1][..8],
        [
            t("t_name_idx"),
            b(false),
            b(false),
            b(false),
            b(true),
            t("CREATE INDEX t_name_idx ON t USING btree (name)"),
            Value::Null,
            Value::Null,
        ]
    );

    let checks = rows(&mut s, &with_oid("d_table_5", "16384", &oid));
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0][0], t("t_price_check"));
    assert!(
        matches!(&checks[0][1], Value::Text(d) if d.starts_with("CHECK (price > 0")),
        "{checks:?}"
    );

    // Row security policies, extended statistics, publications, parents, partitions: none.
    for q in ["d_table_6", "d_table_7", "d_table_8", "d_table_9", "d_table_10"] {
        assert_eq!(
            rows(&mut s, &with_oid(q, "16384", &oid)),
            Vec::<Vec<Value>>::new(),
            "{q}"
        );
    }
}

#[test]
fn d_view_describes_view_columns() {
    let (_dir, mut s) = setup();
    let oid = describe_oid(&mut s, "d_view_1", "v");
    let flags = rows(&mut s, &with_oid("d_view_2", "16394", &oid));
    assert_eq!(flags[0][..3], [Value::Int2(0), t("v"), b(false)]);
    let columns = rows(&mut s, &with_oid("d_view_3", "16394", &oid));
    assert_eq!(columns.len(), 1);
    assert_eq!(columns[0][..4], [t("id"), t("integer"), Value::Null, b(false)]);
}

#[test]
fn relhasindex_is_honest() {
    let (_dir, mut s) = setup();
    s.execute("create table plain (a int)").unwrap();
    let r = rows(
        &mut s,
        "select relname, relhasindex from pg_class where relname in ('plain', 't') order by 1",
    );
    assert_eq!(r, vec![vec![t("plain"), b(false)], vec![t("t"), b(true)]]);
}

#[test]
fn regclass_and_regtype_casts() {
    let (_dir, mut s) = setup();
    let r = rows(
        &mut s,
        "select relkind from pg_catalog.pg_class where oid = 't'::pg_catalog.regclass",
    );
    assert_eq!(r, vec![vec![t("r")]]);
    let r = rows(
        &mut s,
        "select c.oid::regclass::text from pg_class c where c.relname = 't_pkey'",
    );
    assert_eq!(r, vec![vec![t("t_pkey")]]);
    assert_eq!(
        rows(&mut s, "select 'pg_class'::regclass::oid"),
        vec![vec![Value::Int8(1259)]]
    );
    assert_eq!(rows(&mut s, "select 'int4'::regtype::oid"), vec![vec![Value::Int8(23)]]);
    assert_eq!(rows(&mut s, "select 23::regtype::text"), vec![vec![t("integer")]]);
    let err = s.execute("select 'nope'::regclass").unwrap_err();
    assert_eq!(err.sqlstate(), "42P01");
}

#[test]
fn catalog_functions() {
    let (_dir, mut s) = setup();
    let r = rows(
        &mut s,
        "select current_database(), current_user, current_schema(), current_schemas(true), \
         pg_catalog.format_type(1043, 24), format_type(1700, 655366), format_type(23, NULL), \
         format_type(1007, -1), pg_encoding_to_char(6), has_table_privilege('t', 'SELECT')",
    );
    assert_eq!(
        r,
        vec![vec![
            t("vellum"),
            t("vellum"),
            t("public"),
            Value::Array(vec![t("pg_catalog"), t("public")]),
            t("character varying(20)"),
            t("numeric(10,2)"),
            t("integer"),
            t("integer[]"),
            t("UTF8"),
            b(true),
        ]]
    );
    s.execute("set application_name = 'psql'").unwrap();
    assert_eq!(
        rows(&mut s, "select current_setting('application_name')"),
        vec![vec![t("psql")]]
    );
    let err = s.execute("select current_setting('no_such_setting')").unwrap_err();
    assert_eq!(err.sqlstate(), "42704");
}

#[test]
fn information_schema_columns_and_tables() {
    let (_dir, mut s) = setup();
    let r = rows(
        &mut s,
        "select column_name, ordinal_position, is_nullable, data_type, character_maximum_length, \
         numeric_precision, numeric_scale from information_schema.columns \
         where table_schema = 'public' and table_name = 't' order by ordinal_position",
    );
    assert_eq!(
        r,
        vec![
            vec![
                t("id"),
                Value::Int4(1),
                t("NO"),
                t("integer"),
                Value::Null,
                Value::Int4(32),
                Value::Int4(0)
            ],
            vec![
                t("name"),
                Value::Int4(2),
                t("NO"),
                t("character varying"),
                Value::Int4(20),
                Value::Null,
                Value::Null
            ],
            vec![
                t("price"),
                Value::Int4(3),
                t("YES"),
                t("numeric"),
                Value::Null,
                Value::Int4(10),
                Value::Int4(2)
            ],
            vec![
                t("note"),
                Value::Int4(4),
                t("YES"),
                t("text"),
                Value::Null,
                Value::Null,
                Value::Null
            ],
        ]
    );
    let r = rows(
        &mut s,
        "select table_name, table_type from information_schema.tables where table_schema = 'public' order by 1",
    );
    assert_eq!(r, vec![vec![t("t"), t("BASE TABLE")], vec![t("v"), t("VIEW")]]);
    let r = rows(
        &mut s,
        "select constraint_name, constraint_type from information_schema.table_constraints \
         where table_name = 't' and constraint_type <> 'CHECK' or constraint_name = 't_price_check' order by 1",
    );
    assert_eq!(
        r,
        vec![
            vec![t("t_pkey"), t("PRIMARY KEY")],
            vec![t("t_price_check"), t("CHECK")]
        ]
    );
}

#[test]
fn tokio_postgres_type_lookup() {
    let (_dir, mut s) = setup();
    let r = rows(
        &mut s,
        "SELECT t.typname, t.typtype, t.typelem, r.rngsubtype, t.typbasetype, n.nspname, t.typrelid \
         FROM pg_catalog.pg_type t \
         LEFT OUTER JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid \
         INNER JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid \
         WHERE t.oid = 1007",
    );
    assert_eq!(
        r,
        vec![vec![
            t("_int4"),
            t("b"),
            Value::Int8(23),
            Value::Null,
            Value::Int8(0),
            t("pg_catalog"),
            Value::Int8(0),
        ]]
    );
}

#[test]
fn pgjdbc_get_tables() {
    let (_dir, mut s) = setup();
    let sql = "SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, c.relname AS TABLE_NAME, \
        CASE n.nspname ~ '^pg_' OR n.nspname = 'information_schema' WHEN true THEN \
        CASE WHEN n.nspname = 'pg_catalog' OR n.nspname = 'information_schema' THEN \
        CASE c.relkind WHEN 'r' THEN 'SYSTEM TABLE' WHEN 'v' THEN 'SYSTEM VIEW' WHEN 'i' THEN 'SYSTEM INDEX' ELSE NULL END \
        ELSE NULL END \
        WHEN false THEN CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'i' THEN 'INDEX' \
        WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'c' THEN 'TYPE' WHEN 'f' THEN 'FOREIGN TABLE' \
        WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE NULL END ELSE NULL END AS TABLE_TYPE, d.description AS REMARKS, \
        '' as TYPE_CAT, '' as TYPE_SCHEM, '' as TYPE_NAME, '' AS SELF_REFERENCING_COL_NAME, '' AS REF_GENERATION \
        FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c \
        LEFT JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0 and d.classoid = 'pg_class'::regclass) \
        WHERE c.relnamespace = n.oid AND c.relname LIKE '%' AND (false OR ( c.relkind IN ('r','p') \
        AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ) OR ( c.relkind = 'v' \
        AND n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema' ) ) \
        ORDER BY TABLE_TYPE,TABLE_SCHEM,TABLE_NAME";
    let r = rows(&mut s, sql);
    let got: Vec<(Value, Value, Value)> = r.iter().map(|r| (r[1].clone(), r[2].clone(), r[3].clone())).collect();
    assert_eq!(
        got,
        vec![(t("public"), t("t"), t("TABLE")), (t("public"), t("v"), t("VIEW"))]
    );
}

#[test]
fn user_table_shadows_unqualified_system_name() {
    let (_dir, mut s) = setup();
    s.execute("create table pg_settings (x int); insert into pg_settings values (7)")
        .unwrap();
    assert_eq!(rows(&mut s, "select x from pg_settings"), vec![vec![Value::Int4(7)]]);
    let r = rows(&mut s, "select count(*) > 0 from pg_catalog.pg_settings");
    assert_eq!(r, vec![vec![b(true)]]);
}

#[test]
fn prepared_current_setting_follows_set() {
    let (_dir, mut s) = setup();
    let p = s.prepare("select current_setting('application_name')", &[]).unwrap();
    let run = |s: &mut Session| match s.execute_prepared(&p, &[]).unwrap() {
        Some(StatementResult::Query { rows, .. }) => rows,
        other => panic!("{other:?}"),
    };
    s.execute("set application_name = 'first'").unwrap();
    assert_eq!(run(&mut s), vec![vec![t("first")]]);
    s.execute("set application_name = 'second'").unwrap();
    assert_eq!(run(&mut s), vec![vec![t("second")]]);
}

#[test]
fn d_lists_tables_and_views() {
    let (_dir, mut s) = setup();
    assert_eq!(
        rows(&mut s, &fixture("d_1")),
        vec![
            vec![t("public"), t("t"), t("table"), t("vellum")],
            vec![t("public"), t("v"), t("view"), t("vellum")],
        ]
    );
}

#[test]
fn dn_lists_the_public_schema() {
    let (_dir, mut s) = setup();
    assert_eq!(rows(&mut s, &fixture("dn_1")), vec![vec![t("public"), t("vellum")]]);
}

#[test]
fn dt_plus_adds_persistence_access_method_and_size() {
    let (_dir, mut s) = setup();
    let r = rows(&mut s, &fixture("dt_plus_1"));
    assert_eq!(r.len(), 1);
    assert_eq!(
        r[0][..6],
        [t("public"), t("t"), t("table"), t("vellum"), t("permanent"), t("heap")]
    );
    assert!(matches!(&r[0][6], Value::Text(size) if size.ends_with("bytes") || size.ends_with("kB")));
    assert_eq!(r[0][7], Value::Null);
}

#[test]
fn ds_describes_a_system_catalog() {
    let (_dir, mut s) = setup();
    let oid = describe_oid_in(&mut s, "ds_pg_am_1", "pg_catalog", "pg_am");
    assert_eq!(oid, "2601", "pg_am has oid 2601 in PostgreSQL");
    let flags = rows(&mut s, &fixture("ds_pg_am_2"));
    assert_eq!(flags[0][1], t("r"));
    let columns = rows(&mut s, &fixture("ds_pg_am_3"));
    let names: Vec<&Value> = columns.iter().map(|r| &r[0]).collect();
    assert_eq!(names, [&t("oid"), &t("amname"), &t("amhandler"), &t("amtype")]);
    for k in 4..=9 {
        rows(&mut s, &fixture(&format!("ds_pg_am_{k}")));
    }
}

#[test]
fn size_pretty_matches_postgresql() {
    let (_dir, mut s) = setup();
    let r = rows(
        &mut s,
        "select pg_size_pretty(0::bigint), pg_size_pretty(10239::bigint), pg_size_pretty(10240::bigint), \
         pg_size_pretty(1048576::bigint), pg_size_pretty(20970000::bigint)",
    );
    // PostgreSQL 15: 0 bytes | 10239 bytes | 10 kB | 1024 kB | 20 MB
    assert_eq!(
        r,
        vec![vec![
            t("0 bytes"),
            t("10239 bytes"),
            t("10 kB"),
            t("1024 kB"),
            t("20 MB")
        ]]
    );
}

#[test]
fn regclass_of_a_parameter_as_pgbench_sends_it() {
    let (_dir, mut s) = setup();
    let p = s
        .prepare(
            "SELECT relkind FROM pg_catalog.pg_class WHERE oid=$1::pg_catalog.regclass",
            &[],
        )
        .unwrap();
    let run = |s: &mut Session, name: &str| match s.execute_prepared(&p, &[t(name)]).unwrap() {
        Some(StatementResult::Query { rows, .. }) => rows,
        other => panic!("{other:?}"),
    };
    assert_eq!(run(&mut s, "t"), vec![vec![t("r")]]);
    assert_eq!(run(&mut s, "public.v"), vec![vec![t("v")]]);
    assert_eq!(run(&mut s, "pg_catalog.pg_class"), vec![vec![t("r")]]);
    let q = s
        .prepare("SELECT typname FROM pg_type WHERE oid = to_regtype($1)", &[])
        .unwrap();
    match s.execute_prepared(&q, &[t("integer")]).unwrap() {
        Some(StatementResult::Query { rows, .. }) => assert_eq!(rows, vec![vec![t("int4")]]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pgjdbc_type_lookup() {
    let (_dir, mut s) = setup();
    let sql = "SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, pg_type.oid \
        FROM pg_catalog.pg_type \
        LEFT JOIN (select ns.oid as nspoid, ns.nspname, r.r from pg_namespace as ns \
        join ( select s.r, (current_schemas(false))[s.r] as nspname \
        from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r using ( nspname ) \
        ) as sp ON sp.nspoid = typnamespace WHERE pg_type.oid = 1007 ORDER BY sp.r, pg_type.oid DESC";
    assert_eq!(
        rows(&mut s, sql),
        vec![vec![b(true), t("b"), t("_int4"), Value::Int8(1007)]]
    );
}
