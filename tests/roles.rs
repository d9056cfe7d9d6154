//! Roles and privileges across what one .slt file cannot show: sessions logged in as different
//! users, prepared statements outliving a REVOKE, COPY, and roles, owners and grants surviving
//! a restart of the database.

use vellum::crypto::scram::Verifier;
use vellum::types::Value;
use vellum::{Database, Session, StatementResult};

fn query(s: &mut Session, sql: &str) -> Vec<Vec<Value>> {
    match s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).pop() {
        Some(StatementResult::Query { rows, .. }) => rows,
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

fn one_text(s: &mut Session, sql: &str) -> String {
    match query(s, sql).first().and_then(|r| r.first()) {
        Some(Value::Text(t)) => t.clone(),
        other => panic!("{sql}: expected text, got {other:?}"),
    }
}

fn run(s: &mut Session, p: &vellum::session::Prepared, params: &[Value]) -> vellum::Result<Option<StatementResult>> {
    s.execute_prepared(p, params)
}

fn error(s: &mut Session, sql: &str) -> (String, String) {
    match s.execute(sql) {
        Err(e) => (e.sqlstate().to_string(), e.message()),
        Ok(r) => panic!("{sql}: expected an error, got {r:?}"),
    }
}

#[test]
fn login_sessions_act_as_their_role() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut admin = db.session();
    admin
        .execute(
            "CREATE USER alice PASSWORD 'pw'; CREATE ROLE nologin;
             CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a');
             GRANT SELECT ON t TO alice",
        )
        .unwrap();
    assert_eq!(one_text(&mut admin, "SELECT current_user"), "vellum");

    let mut alice = db.session_for("alice").unwrap();
    assert_eq!(one_text(&mut alice, "SELECT current_user"), "alice");
    assert_eq!(one_text(&mut alice, "SELECT session_user"), "alice");
    assert_eq!(one_text(&mut alice, "SHOW session_authorization"), "alice");
    assert_eq!(one_text(&mut alice, "SHOW is_superuser"), "off");
    assert_eq!(
        query(&mut alice, "SELECT v FROM t"),
        vec![vec![Value::Text("a".into())]]
    );
    assert_eq!(
        error(&mut alice, "INSERT INTO t VALUES (2, 'b')"),
        ("42501".to_string(), "permission denied for table t".to_string())
    );
    // Logged in as a non-superuser, there is no becoming someone else.
    assert_eq!(error(&mut alice, "SET SESSION AUTHORIZATION vellum").0, "42501");
    assert_eq!(error(&mut alice, "SET ROLE vellum").0, "42501");

    // 28000 for a role that may not log in or does not exist.
    assert_eq!(db.session_for("nologin").err().unwrap().sqlstate(), "28000");
    assert_eq!(db.session_for("nobody").err().unwrap().sqlstate(), "28000");

    // The password is stored as a SCRAM verifier that checks out against the password.
    let role = db.catalog().role("alice").unwrap();
    let stored = role.password.clone().unwrap();
    assert!(stored.starts_with("SCRAM-SHA-256$4096:"), "{stored}");
    assert!(!stored.contains("pw$"));
    assert!(Verifier::parse(&stored).is_some());

    // A verifier given as the password is kept as is (pg_dump writes roles that way).
    let verifier = Verifier::from_password("other").to_string();
    admin
        .execute(&format!("ALTER ROLE alice PASSWORD '{verifier}'"))
        .unwrap();
    assert_eq!(
        db.catalog().role("alice").unwrap().password.as_deref(),
        Some(verifier.as_str())
    );

    // The current user cannot be dropped from under its session, nor the bootstrap superuser.
    assert_eq!(
        error(&mut admin, "DROP ROLE vellum"),
        ("55006".to_string(), "current user cannot be dropped".to_string())
    );
    admin
        .execute("CREATE ROLE boss SUPERUSER; SET SESSION AUTHORIZATION boss")
        .unwrap();
    assert_eq!(
        error(&mut admin, "DROP ROLE vellum"),
        (
            "2BP01".to_string(),
            "cannot drop role vellum because it is required by the database system".to_string()
        )
    );
}

#[test]
fn revoke_stops_a_prepared_statement() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut admin = db.session();
    admin
        .execute(
            "CREATE USER bob; CREATE TABLE t (id int PRIMARY KEY, v text);
             INSERT INTO t VALUES (1, 'a'); GRANT SELECT, UPDATE ON t TO bob",
        )
        .unwrap();
    let mut bob = db.session_for("bob").unwrap();
    let select = bob.prepare("SELECT v FROM t WHERE id = $1", &[]).unwrap();
    let update = bob.prepare("UPDATE t SET v = $1", &[]).unwrap();
    assert!(run(&mut bob, &select, &[Value::Int4(1)]).is_ok());
    assert!(run(&mut bob, &update, &[Value::Text("b".into())]).is_ok());

    admin.execute("REVOKE SELECT ON t FROM bob").unwrap();
    let err = run(&mut bob, &select, &[Value::Int4(1)]).unwrap_err();
    assert_eq!(
        (err.sqlstate(), err.message().as_str()),
        ("42501", "permission denied for table t")
    );
    // An UPDATE that reads no column needs UPDATE alone; one with a WHERE over a column needs
    // SELECT too, as in PostgreSQL.
    assert!(run(&mut bob, &update, &[Value::Text("c".into())]).is_ok());
    assert_eq!(error(&mut bob, "UPDATE t SET v = 'd' WHERE id = 1").0, "42501");

    admin.execute("GRANT SELECT ON t TO bob").unwrap();
    assert!(run(&mut bob, &select, &[Value::Int4(1)]).is_ok());

    // A plan cached for the superuser is checked again after SET ROLE.
    let as_admin = admin.prepare("SELECT count(*) FROM t", &[]).unwrap();
    assert!(run(&mut admin, &as_admin, &[]).is_ok());
    admin.execute("CREATE ROLE nobody; SET ROLE nobody").unwrap();
    assert_eq!(run(&mut admin, &as_admin, &[]).unwrap_err().sqlstate(), "42501");
    admin.execute("RESET ROLE").unwrap();
    assert!(run(&mut admin, &as_admin, &[]).is_ok());
}

#[test]
fn copy_from_needs_insert() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut admin = db.session();
    admin
        .execute("CREATE USER carol; CREATE TABLE t (id int, v text); GRANT SELECT ON t TO carol")
        .unwrap();
    let mut carol = db.session_for("carol").unwrap();
    let name = vellum::sql::ast::ObjectName::from(vec![vellum::sql::ast::Ident::new("t")]);
    let err = carol.copy_target(&name, &[]).err().unwrap();
    assert_eq!(
        (err.sqlstate(), err.message().as_str()),
        ("42501", "permission denied for table t")
    );
    admin.execute("GRANT INSERT ON t TO carol").unwrap();
    let target = carol.copy_target(&name, &[]).unwrap();
    let n = carol
        .copy_in(&target, vec![vec![Some("1".into()), Some("x".into())]])
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn roles_owners_and_grants_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        let mut s = db.session();
        // Enough objects that a table takes id 10, the bootstrap superuser's id.
        for i in 0..12 {
            s.execute(&format!("CREATE TABLE filler{i} (a int)")).unwrap();
        }
        s.execute(
            "ALTER ROLE vellum PASSWORD 'root-pw';
             CREATE USER dave CREATEDB PASSWORD 'pw';
             CREATE TABLE t (id int);
             ALTER TABLE t OWNER TO dave;
             GRANT SELECT ON filler3 TO dave, PUBLIC;
             ALTER ROLE dave RENAME TO david",
        )
        .unwrap();
        db.sync().unwrap();
    }
    let db = Database::open(dir.path()).unwrap();
    let catalog = db.catalog();
    let root = catalog.role("vellum").unwrap();
    assert!(root.superuser && root.login);
    assert!(root
        .password
        .as_deref()
        .is_some_and(|p| p.starts_with("SCRAM-SHA-256$")));
    let david = catalog.role("david").unwrap();
    assert!(david.login && david.create_db && !david.superuser);
    assert!(catalog.role("dave").is_none());
    // Every filler table is still there, whatever ids they and the roles share.
    assert_eq!(catalog.tables().filter(|t| !catalog.is_system_table(t.id)).count(), 13);

    let mut s = db.session();
    assert_eq!(
        query(&mut s, "SELECT tableowner FROM pg_tables WHERE tablename = 't'"),
        vec![vec![Value::Text("david".into())]]
    );
    assert_eq!(
        one_text(&mut s, "SELECT relacl::text FROM pg_class WHERE relname = 'filler3'"),
        "{vellum=arwdDxt/vellum,david=r/vellum,=r/vellum}"
    );
    let mut david = db.session_for("david").unwrap();
    assert!(david.execute("SELECT * FROM filler3").is_ok());
    assert_eq!(error(&mut david, "SELECT * FROM filler4").0, "42501");
    assert!(david.execute("INSERT INTO t VALUES (1)").is_ok());
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/psql15/{name}.sql", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// psql 15's `\dt` and `\dp` queries show owners and grants as PostgreSQL 15 shows them for the
/// same statements (`\dp` lines joined by newlines, as psql prints them with `+`).
#[test]
fn psql_dt_and_dp_show_owners_and_grants() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    s.execute(
        "CREATE ROLE bob; CREATE ROLE alice; CREATE TABLE t (a int); CREATE TABLE u (a int);
         CREATE VIEW w AS SELECT a FROM u;
         ALTER TABLE t OWNER TO bob; GRANT SELECT ON t TO alice; GRANT INSERT, DELETE ON t TO PUBLIC",
    )
    .unwrap();
    let t = |s: &str| Value::Text(s.into());
    assert_eq!(
        query(&mut s, &fixture("dt_1")),
        vec![
            vec![t("public"), t("t"), t("table"), t("bob")],
            vec![t("public"), t("u"), t("table"), t("vellum")],
        ]
    );
    assert_eq!(
        query(&mut s, &fixture("dp_1")),
        vec![
            vec![
                t("public"),
                t("t"),
                t("table"),
                t("bob=arwdDxt/bob\nalice=r/bob\n=ad/bob"),
                t(""),
                t("")
            ],
            vec![t("public"), t("u"), t("table"), Value::Null, t(""), t("")],
            vec![t("public"), t("w"), t("view"), Value::Null, t(""), t("")],
        ]
    );
}
