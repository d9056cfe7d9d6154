//! Engine behaviour that single-session sqllogictest files cannot show: restarts, several
//! sessions at once, transaction isolation and conflicts, EXPLAIN plan choice.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use vellum::session::TransactionStatus;
use vellum::types::Value;
use vellum::{Database, Session, StatementResult};

fn query(s: &mut Session, sql: &str) -> Vec<Vec<Value>> {
    match s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).pop() {
        Some(StatementResult::Query { rows, .. }) => rows,
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

fn count(s: &mut Session, sql: &str) -> i64 {
    match query(s, sql).first().and_then(|r| r.first()) {
        Some(Value::Int8(n)) => *n,
        other => panic!("{sql}: expected a bigint, got {other:?}"),
    }
}

fn error_code(s: &mut Session, sql: &str) -> String {
    match s.execute(sql) {
        Err(e) => e.sqlstate().to_string(),
        Ok(r) => panic!("{sql}: expected an error, got {r:?}"),
    }
}

#[test]
fn data_and_schema_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        let mut s = db.session();
        s.execute(
            "CREATE TABLE t (id int PRIMARY KEY, name varchar(10) NOT NULL DEFAULT 'x', n numeric(6,2) CHECK (n > 0));
             CREATE UNIQUE INDEX t_name ON t (name);
             INSERT INTO t VALUES (1, 'a', 1.5), (2, 'b', 2.25);
             INSERT INTO t (id, n) VALUES (3, 9);
             CREATE VIEW v AS SELECT id, name FROM t WHERE id > 1",
        )
        .unwrap();
    }
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    assert_eq!(
        query(&mut s, "SELECT id, name, n FROM t ORDER BY id"),
        vec![
            vec![
                Value::Int4(1),
                Value::Text("a".into()),
                Value::Numeric("1.50".parse().unwrap())
            ],
            vec![
                Value::Int4(2),
                Value::Text("b".into()),
                Value::Numeric("2.25".parse().unwrap())
            ],
            vec![
                Value::Int4(3),
                Value::Text("x".into()),
                Value::Numeric("9.00".parse().unwrap())
            ],
        ]
    );
    assert_eq!(count(&mut s, "SELECT count(*) FROM v"), 2);
    // Constraints were persisted with the schema.
    assert_eq!(error_code(&mut s, "INSERT INTO t VALUES (4, 'a', 1)"), "23505");
    assert_eq!(error_code(&mut s, "INSERT INTO t VALUES (1, 'z', 1)"), "23505");
    assert_eq!(error_code(&mut s, "INSERT INTO t VALUES (5, 'q', -1)"), "23514");
    assert_eq!(error_code(&mut s, "INSERT INTO t VALUES (6, NULL, 1)"), "23502");
}

#[test]
fn failed_statement_aborts_the_block_until_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    s.execute("CREATE TABLE t (a int PRIMARY KEY)").unwrap();
    s.execute("BEGIN; INSERT INTO t VALUES (1)").unwrap();
    assert_eq!(s.transaction_status(), TransactionStatus::InBlock);
    assert_eq!(error_code(&mut s, "SELECT 1/0"), "22012");
    assert_eq!(s.transaction_status(), TransactionStatus::Failed);
    assert_eq!(error_code(&mut s, "SELECT 1"), "25P02");
    // COMMIT of a failed block rolls back, as PostgreSQL reports it.
    let tags: Vec<String> = s
        .execute("COMMIT")
        .unwrap()
        .iter()
        .map(|r| r.tag().to_string())
        .collect();
    assert_eq!(tags, vec!["ROLLBACK"]);
    assert_eq!(s.transaction_status(), TransactionStatus::Idle);
    assert_eq!(count(&mut s, "SELECT count(*) FROM t"), 0);
}

#[test]
fn rollback_undoes_rows_and_ddl() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    s.execute("CREATE TABLE keep (a int)").unwrap();
    s.execute("INSERT INTO keep VALUES (1)").unwrap();
    s.execute("BEGIN; CREATE TABLE gone (a int); INSERT INTO gone VALUES (1); DROP TABLE keep; ROLLBACK")
        .unwrap();
    assert_eq!(error_code(&mut s, "SELECT * FROM gone"), "42P01");
    assert_eq!(count(&mut s, "SELECT count(*) FROM keep"), 1);
}

#[test]
fn other_sessions_see_only_committed_work() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut a = db.session();
    let mut b = db.session();
    a.execute("CREATE TABLE t (id int PRIMARY KEY, v int)").unwrap();
    a.execute("BEGIN; INSERT INTO t VALUES (1, 10), (2, 20)").unwrap();
    assert_eq!(count(&mut a, "SELECT count(*) FROM t"), 2, "own writes are visible");
    assert_eq!(
        count(&mut b, "SELECT count(*) FROM t"),
        0,
        "uncommitted writes are invisible"
    );
    a.execute("COMMIT").unwrap();
    assert_eq!(count(&mut b, "SELECT count(*) FROM t"), 2);
    // DDL inside an open block is invisible to others until commit.
    a.execute("BEGIN; CREATE TABLE later (x int)").unwrap();
    assert_eq!(error_code(&mut b, "SELECT * FROM later"), "42P01");
    a.execute("COMMIT").unwrap();
    assert_eq!(count(&mut b, "SELECT count(*) FROM later"), 0);
}

#[test]
fn concurrent_update_of_one_row_fails_the_second_committer() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut a = db.session();
    let mut b = db.session();
    a.execute("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0)")
        .unwrap();
    a.execute("BEGIN; UPDATE t SET v = v + 1 WHERE id = 1").unwrap();
    b.execute("BEGIN; UPDATE t SET v = v + 10 WHERE id = 1").unwrap();
    a.execute("COMMIT").unwrap();
    assert_eq!(error_code(&mut b, "COMMIT"), "40001");
    assert_eq!(query(&mut a, "SELECT v FROM t"), vec![vec![Value::Int4(1)]]);
    // Two sessions inserting the same key: the loser gets a unique violation at commit.
    a.execute("BEGIN; INSERT INTO t VALUES (2, 0)").unwrap();
    b.execute("BEGIN; INSERT INTO t VALUES (2, 1)").unwrap();
    a.execute("COMMIT").unwrap();
    assert_eq!(error_code(&mut b, "COMMIT"), "23505");
}

#[test]
fn readers_never_see_half_a_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut setup = db.session();
    // Transfers keep the total at 1000; a reader must always see 1000.
    setup
        .execute("CREATE TABLE acct (id int PRIMARY KEY, bal int); INSERT INTO acct VALUES (1, 500), (2, 500)")
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let db = db.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut s = db.session();
            s.execute("SET synchronous_commit = off").unwrap();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) && i < 2000 {
                let amount = i % 7 - 3;
                s.execute(&format!(
                    "BEGIN; UPDATE acct SET bal = bal - {amount} WHERE id = 1; UPDATE acct SET bal = bal + {amount} WHERE id = 2; COMMIT"
                ))
                .unwrap();
                i += 1;
            }
        })
    };
    let mut reader = db.session();
    for _ in 0..300 {
        let total = query(&mut reader, "SELECT sum(bal) FROM acct");
        assert_eq!(total, vec![vec![Value::Int8(1000)]]);
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
}

#[test]
fn explain_shows_index_choice() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id int PRIMARY KEY, k int, v text); CREATE INDEX t_k ON t (k)")
        .unwrap();
    let plan = |s: &mut Session, sql: &str| -> String {
        query(s, sql)
            .into_iter()
            .map(|r| match &r[0] {
                Value::Text(t) => t.clone(),
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let by_pk = plan(&mut s, "EXPLAIN SELECT v FROM t WHERE id = 5");
    assert!(by_pk.contains("t_pkey"), "{by_pk}");
    let by_index = plan(&mut s, "EXPLAIN SELECT v FROM t WHERE k BETWEEN 1 AND 9");
    assert!(by_index.contains("t_k"), "{by_index}");
    let full = plan(&mut s, "EXPLAIN SELECT v FROM t WHERE v = 'x'");
    assert!(full.contains("Seq Scan"), "{full}");
}

#[test]
fn settings_show_and_set() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    assert_eq!(
        query(&mut s, "SHOW DateStyle"),
        vec![vec![Value::Text("ISO, MDY".into())]]
    );
    s.execute("SET application_name = 'billing'").unwrap();
    assert_eq!(
        query(&mut s, "SHOW application_name"),
        vec![vec![Value::Text("billing".into())]]
    );
    assert_eq!(
        query(&mut s, "SHOW TRANSACTION ISOLATION LEVEL"),
        vec![vec![Value::Text("read committed".into())]]
    );
    assert_eq!(error_code(&mut s, "SET no_such_setting = 1"), "42704");
    assert_eq!(error_code(&mut s, "SELEC 1"), "42601");
}

#[test]
fn prepared_statements_infer_parameters_and_follow_schema_changes() {
    use vellum::types::DataType;
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id bigint PRIMARY KEY, name text, amount numeric(10,2))")
        .unwrap();
    let insert = s.prepare("INSERT INTO t VALUES ($1, $2, $3)", &[]).unwrap();
    assert_eq!(
        insert.param_types,
        vec![DataType::Int8, DataType::Text, DataType::Numeric(Some((10, 2)))]
    );
    assert!(insert.columns.is_empty());
    for i in 0..10i64 {
        let result = s
            .execute_prepared(
                &insert,
                &[Value::Int8(i), Value::Text(format!("n{i}")), Value::Text("1.5".into())],
            )
            .unwrap()
            .unwrap();
        assert_eq!(result.tag(), "INSERT 0 1");
    }
    let select = s.prepare("SELECT name, amount FROM t WHERE id = $1", &[]).unwrap();
    assert_eq!(select.param_types, vec![DataType::Int8]);
    assert_eq!(
        select.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["name", "amount"]
    );
    let run = |s: &mut Session, p: &vellum::session::Prepared, id: i64| match s.execute_prepared(p, &[Value::Int8(id)])
    {
        Ok(Some(StatementResult::Query { rows, .. })) => rows,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        run(&mut s, &select, 3),
        vec![vec![Value::Text("n3".into()), Value::Numeric("1.50".parse().unwrap())]]
    );
    // A schema change rebinds the cached plan instead of reading through a stale one.
    s.execute("ALTER TABLE t RENAME COLUMN name TO label").unwrap();
    assert_eq!(
        s.execute_prepared(&select, &[Value::Int8(3)]).unwrap_err().sqlstate(),
        "42703"
    );
    s.execute("ALTER TABLE t ADD COLUMN name text DEFAULT 'new'").unwrap();
    assert_eq!(
        run(&mut s, &select, 3),
        vec![vec![Value::Text("new".into()), Value::Numeric("1.50".parse().unwrap())]]
    );
    // Wrong parameter count and bad values are errors, not panics.
    assert_eq!(s.execute_prepared(&select, &[]).unwrap_err().sqlstate(), "08P01");
    assert_eq!(
        s.execute_prepared(&insert, &[Value::Int8(1), Value::Null, Value::Text("x".into())])
            .unwrap_err()
            .sqlstate(),
        "22P02"
    );
    // An empty query prepares to nothing.
    let empty = s.prepare("", &[]).unwrap();
    assert!(s.execute_prepared(&empty, &[]).unwrap().is_none());
    // A plan bound inside a transaction's own DDL is not reused after ROLLBACK.
    s.execute("BEGIN; CREATE TABLE tmp (x int)").unwrap();
    let tmp = s.prepare("SELECT count(*) FROM tmp", &[]).unwrap();
    assert!(s.execute_prepared(&tmp, &[]).is_ok());
    s.execute("ROLLBACK").unwrap();
    assert_eq!(s.execute_prepared(&tmp, &[]).unwrap_err().sqlstate(), "42P01");
}
