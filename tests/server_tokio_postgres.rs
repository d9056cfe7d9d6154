//! tokio-postgres against `vellum serve`: simple and extended queries, every type in binary,
//! transactions, SQLSTATEs, COPY, portals and cancellation.

mod server_common;

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use futures_util::{pin_mut, SinkExt, TryStreamExt};
use server_common::TestServer;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, Type};
use tokio_postgres::SimpleQueryMessage;

/// A value's raw binary bytes, for types the driver has no Rust mapping for here.
struct Raw(Vec<u8>);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Raw, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw.to_vec()))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

fn simple_rows(messages: &[SimpleQueryMessage]) -> Vec<Vec<Option<String>>> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect()),
            _ => None,
        })
        .collect()
}

fn command_counts(messages: &[SimpleQueryMessage]) -> Vec<u64> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(*n),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn simple_queries_return_text_rows_and_counts() {
    let server = TestServer::start();
    let client = server.client().await;
    let messages = client
        .simple_query(
            "CREATE TABLE t (id int PRIMARY KEY, name text); \
             INSERT INTO t VALUES (1, 'one'), (2, NULL); \
             SELECT id, name FROM t ORDER BY id; \
             UPDATE t SET name = 'x' WHERE id > 0",
        )
        .await
        .unwrap();
    assert_eq!(
        simple_rows(&messages),
        vec![vec![Some("1".into()), Some("one".into())], vec![Some("2".into()), None]]
    );
    // CREATE TABLE 0, INSERT 2, SELECT 2, UPDATE 2.
    assert_eq!(command_counts(&messages), vec![0, 2, 2, 2]);
    let empty = client.simple_query("").await.unwrap();
    assert!(simple_rows(&empty).is_empty());
}

#[tokio::test]
async fn prepared_statements_take_parameters_of_many_types() {
    let server = TestServer::start();
    let client = server.client().await;
    client
        .batch_execute(
            "CREATE TABLE v (i2 smallint, i4 int, i8 bigint, f4 real, f8 double precision, b bool, \
             t text, vc varchar(10), by bytea, d date, tm time, ts timestamp, tz timestamptz, j jsonb, u uuid)",
        )
        .await
        .unwrap();
    let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let time = NaiveTime::from_hms_micro_opt(13, 14, 15, 250_000).unwrap();
    let ts = NaiveDateTime::new(NaiveDate::from_ymd_opt(1999, 12, 31).unwrap(), time);
    let tz: DateTime<Utc> = DateTime::from_naive_utc_and_offset(ts, Utc);
    let json = serde_json::json!({"a": [1, 2], "b": "c"});
    let uuid = uuid::Uuid::parse_str("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").unwrap();
    let inserted = client
        .execute(
            "INSERT INTO v VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            &[
                &-7i16,
                &2_000_000_000i32,
                &-9_000_000_000_000i64,
                &1.5f32,
                &-0.125f64,
                &true,
                &"héllo",
                &"short",
                &vec![0u8, 255, 10],
                &date,
                &time,
                &ts,
                &tz,
                &json,
                &uuid,
            ],
        )
        .await
        .unwrap();
    assert_eq!(inserted, 1);
    // Results come back in binary (tokio-postgres asks for binary on every column).
    let row = client.query_one("SELECT * FROM v", &[]).await.unwrap();
    assert_eq!(row.get::<_, i16>(0), -7);
    assert_eq!(row.get::<_, i32>(1), 2_000_000_000);
    assert_eq!(row.get::<_, i64>(2), -9_000_000_000_000);
    assert_eq!(row.get::<_, f32>(3), 1.5);
    assert_eq!(row.get::<_, f64>(4), -0.125);
    assert!(row.get::<_, bool>(5));
    assert_eq!(row.get::<_, String>(6), "héllo");
    assert_eq!(row.get::<_, String>(7), "short");
    assert_eq!(row.get::<_, Vec<u8>>(8), vec![0u8, 255, 10]);
    assert_eq!(row.get::<_, NaiveDate>(9), date);
    assert_eq!(row.get::<_, NaiveTime>(10), time);
    assert_eq!(row.get::<_, NaiveDateTime>(11), ts);
    assert_eq!(row.get::<_, DateTime<Utc>>(12), tz);
    assert_eq!(row.get::<_, serde_json::Value>(13), json);
    assert_eq!(row.get::<_, uuid::Uuid>(14), uuid);
    assert_eq!(row.columns()[7].type_(), &Type::VARCHAR);
    assert_eq!(row.columns()[13].type_(), &Type::JSONB);

    // Parameters typed by inference and compared in WHERE.
    let rows = client
        .query("SELECT t FROM v WHERE i4 = $1 AND d = $2", &[&2_000_000_000i32, &date])
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let none = client.query("SELECT t FROM v WHERE i8 = $1", &[&1i64]).await.unwrap();
    assert!(none.is_empty());
    let null: Option<String> = client.query_one("SELECT NULL::text", &[]).await.unwrap().get(0);
    assert_eq!(null, None);
}

#[tokio::test]
async fn numeric_and_interval_use_postgres_binary_layouts() {
    let server = TestServer::start();
    let client = server.client().await;
    let row = client
        .query_one(
            "SELECT 12345.678::numeric, -0.0001::numeric, '1 mon 2 days 00:00:03'::interval",
            &[],
        )
        .await
        .unwrap();
    // numeric_send: ndigits, weight, sign, dscale, base-10000 digits (PostgreSQL's numeric.c).
    assert_eq!(
        row.get::<_, Raw>(0).0,
        vec![0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c]
    );
    assert_eq!(row.get::<_, Raw>(1).0, vec![0, 1, 0xff, 0xff, 0x40, 0, 0, 4, 0, 1]);
    // interval_send: microseconds, days, months.
    let mut interval = 3_000_000i64.to_be_bytes().to_vec();
    interval.extend(2i32.to_be_bytes());
    interval.extend(1i32.to_be_bytes());
    assert_eq!(row.get::<_, Raw>(2).0, interval);
}

#[tokio::test]
async fn transactions_commit_roll_back_and_abort() {
    let server = TestServer::start();
    let mut client = server.client().await;
    client.batch_execute("CREATE TABLE a (x int)").await.unwrap();
    let tx = client.transaction().await.unwrap();
    tx.execute("INSERT INTO a VALUES (1)", &[]).await.unwrap();
    tx.rollback().await.unwrap();
    let tx = client.transaction().await.unwrap();
    tx.execute("INSERT INTO a VALUES (2)", &[]).await.unwrap();
    tx.commit().await.unwrap();
    let n: i64 = client.query_one("SELECT count(*) FROM a", &[]).await.unwrap().get(0);
    assert_eq!(n, 1);

    // Several statements in one Query run as one implicit transaction: the failure undoes all.
    let e = client
        .batch_execute("INSERT INTO a VALUES (3); INSERT INTO a VALUES (4); SELECT 1/0")
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(&SqlState::DIVISION_BY_ZERO));
    let n: i64 = client.query_one("SELECT count(*) FROM a", &[]).await.unwrap().get(0);
    assert_eq!(n, 1);
    client
        .batch_execute("INSERT INTO a VALUES (3); INSERT INTO a VALUES (4)")
        .await
        .unwrap();
    let n: i64 = client.query_one("SELECT count(*) FROM a", &[]).await.unwrap().get(0);
    assert_eq!(n, 3);

    client.batch_execute("BEGIN").await.unwrap();
    let e = client.batch_execute("SELECT 1/0").await.unwrap_err();
    assert_eq!(e.code(), Some(&SqlState::DIVISION_BY_ZERO));
    let e = client.batch_execute("SELECT 1").await.unwrap_err();
    assert_eq!(e.code(), Some(&SqlState::IN_FAILED_SQL_TRANSACTION));
    client.batch_execute("ROLLBACK").await.unwrap();
    client.batch_execute("SELECT 1").await.unwrap();
}

#[tokio::test]
async fn errors_carry_sqlstate_severity_and_detail() {
    let server = TestServer::start();
    let client = server.client().await;
    client
        .batch_execute("CREATE TABLE u (id int PRIMARY KEY); INSERT INTO u VALUES (1)")
        .await
        .unwrap();
    let e = client.execute("INSERT INTO u VALUES (1)", &[]).await.unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code(), &SqlState::UNIQUE_VIOLATION);
    assert_eq!(db.severity(), "ERROR");
    assert_eq!(
        db.message(),
        "duplicate key value violates unique constraint \"u_pkey\""
    );
    assert_eq!(db.detail(), Some("Key (id)=(1) already exists."));
    let e = client.query("SELECT * FROM missing", &[]).await.unwrap_err();
    assert_eq!(e.code(), Some(&SqlState::UNDEFINED_TABLE));
    let e = client.batch_execute("SELEC 1").await.unwrap_err();
    assert_eq!(e.code(), Some(&SqlState::SYNTAX_ERROR));
    // The connection survives its errors.
    let one: i32 = client.query_one("SELECT 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
}

#[tokio::test]
async fn copy_in_and_out() {
    let server = TestServer::start();
    let client = server.client().await;
    client
        .batch_execute("CREATE TABLE c (id int PRIMARY KEY, name text, note text DEFAULT 'dflt')")
        .await
        .unwrap();
    let sink = client.copy_in("COPY c (id, name) FROM STDIN").await.unwrap();
    pin_mut!(sink);
    sink.send(Bytes::from_static(b"1\tone\n2\t\\N\n3\ttab\\there"))
        .await
        .unwrap();
    sink.send(Bytes::from_static(b"\n")).await.unwrap();
    let n = sink.finish().await.unwrap();
    assert_eq!(n, 3);

    let sink = client
        .copy_in("COPY c FROM STDIN WITH (FORMAT csv, HEADER true)")
        .await
        .unwrap();
    pin_mut!(sink);
    sink.send(Bytes::from_static(b"id,name,note\n4,\"a,b\",\n5,\"\",x\n"))
        .await
        .unwrap();
    assert_eq!(sink.finish().await.unwrap(), 2);

    let stream = client.copy_out("COPY c TO STDOUT").await.unwrap();
    let chunks: Vec<Bytes> = stream.try_collect().await.unwrap();
    let text: Vec<u8> = chunks.concat();
    assert_eq!(
        String::from_utf8(text).unwrap(),
        "1\tone\tdflt\n2\t\\N\tdflt\n3\ttab\\there\tdflt\n4\ta,b\t\\N\n5\t\tx\n"
    );
    let stream = client
        .copy_out("COPY (SELECT id, name FROM c WHERE id >= 4 ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)")
        .await
        .unwrap();
    let chunks: Vec<Bytes> = stream.try_collect().await.unwrap();
    assert_eq!(
        String::from_utf8(chunks.concat()).unwrap(),
        "id,name\n4,\"a,b\"\n5,\"\"\n"
    );

    // A bad row loads nothing.
    let sink = client.copy_in("COPY c (id) FROM STDIN").await.unwrap();
    pin_mut!(sink);
    sink.send(Bytes::from_static(b"6\nseven\n")).await.unwrap();
    let e = sink.finish().await.unwrap_err();
    assert_eq!(e.code(), Some(&SqlState::INVALID_TEXT_REPRESENTATION));
    let n: i64 = client.query_one("SELECT count(*) FROM c", &[]).await.unwrap().get(0);
    assert_eq!(n, 5);
}

#[tokio::test]
async fn portals_hand_out_rows_in_pieces() {
    let server = TestServer::start();
    let mut client = server.client().await;
    client
        .batch_execute("CREATE TABLE p (x int); INSERT INTO p VALUES (1), (2), (3), (4), (5)")
        .await
        .unwrap();
    let tx = client.transaction().await.unwrap();
    let portal = tx.bind("SELECT x FROM p ORDER BY x", &[]).await.unwrap();
    let mut seen = Vec::new();
    for expected in [2, 2, 1, 0] {
        let rows = tx.query_portal(&portal, 2).await.unwrap();
        assert_eq!(rows.len(), expected);
        seen.extend(rows.iter().map(|r| r.get::<_, i32>(0)));
    }
    assert_eq!(seen, vec![1, 2, 3, 4, 5]);
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn unknown_database_is_fatal_3d000() {
    let server = TestServer::start();
    let conninfo = format!("host=127.0.0.1 port={} user=vellum dbname=other", server.port);
    let e = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls)
        .await
        .err()
        .unwrap();
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code(), &SqlState::INVALID_CATALOG_NAME);
    assert_eq!(db.severity(), "FATAL");
    assert_eq!(db.message(), "database \"other\" does not exist");
}

#[tokio::test]
async fn copy_larger_than_a_batch_is_all_or_nothing() {
    let server = TestServer::start();
    let client = server.client().await;
    client
        .batch_execute("CREATE TABLE big (id int PRIMARY KEY, v text)")
        .await
        .unwrap();
    let rows: String = (0..25_000).map(|i| format!("{i}\tv{i}\n")).collect();

    // The last row duplicates the first key: nothing of the 25,001 rows may remain.
    let sink = client.copy_in("COPY big FROM STDIN").await.unwrap();
    pin_mut!(sink);
    sink.send(Bytes::from(rows.clone())).await.unwrap();
    sink.send(Bytes::from_static(b"0\tagain\n")).await.unwrap();
    let e = sink.finish().await.unwrap_err();
    assert_eq!(e.code(), Some(&SqlState::UNIQUE_VIOLATION));
    let n: i64 = client.query_one("SELECT count(*) FROM big", &[]).await.unwrap().get(0);
    assert_eq!(n, 0);
    // The failed COPY left no lineage edge either.
    let lineage = "SELECT source, operation, direction FROM lineage('big')";
    assert!(client.query(lineage, &[]).await.unwrap().is_empty());

    let sink = client.copy_in("COPY big FROM STDIN").await.unwrap();
    pin_mut!(sink);
    sink.send(Bytes::from(rows)).await.unwrap();
    assert_eq!(sink.finish().await.unwrap(), 25_000);
    // One edge for the whole COPY, however many batches it took.
    let edges: Vec<(String, String, String)> = client
        .query(lineage, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        edges,
        [("stdin".to_string(), "COPY".to_string(), "upstream".to_string())]
    );
    let row = client
        .query_one("SELECT count(*), max(id), min(v) FROM big", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 25_000);
    assert_eq!(row.get::<_, i32>(1), 24_999);
    assert_eq!(row.get::<_, String>(2), "v0");
}

/// Notices carry PostgreSQL's severity and SQLSTATE: drivers that act on codes (or log warnings
/// apart from notices) see what they would see from PostgreSQL 15.
#[tokio::test]
async fn notices_carry_severity_and_sqlstate() {
    let server = TestServer::start();
    let (client, mut connection) = tokio_postgres::connect(&server.conninfo(), tokio_postgres::NoTls)
        .await
        .expect("connect");
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = futures_util::StreamExt::next(&mut messages).await {
            if let tokio_postgres::AsyncMessage::Notice(notice) = message {
                let _ = sender.send((
                    notice.severity().to_string(),
                    notice.code().code().to_string(),
                    notice.message().to_string(),
                ));
            }
        }
    });
    client
        .batch_execute(
            "CREATE TABLE t (a int); CREATE TABLE IF NOT EXISTS t (a int); DROP TABLE IF EXISTS nope; \
             BEGIN; BEGIN; COMMIT; COMMIT",
        )
        .await
        .expect("batch");
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(receiver.recv().await.expect("a notice"));
    }
    let expected = [
        ("NOTICE", "42P07", "relation \"t\" already exists, skipping"),
        ("NOTICE", "00000", "table \"nope\" does not exist, skipping"),
        ("WARNING", "25001", "there is already a transaction in progress"),
        ("WARNING", "25P01", "there is no transaction in progress"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(s, c, m)| (s.to_string(), c.to_string(), m.to_string()))
        .collect();
    assert_eq!(seen, expected);
}
