//! The audit chain over the wire: COPY (one record for all its batches, none when it fails),
//! prepared statements (one record per execution), and row digests recomputed here from the
//! documented layout (`storage::changes`) over the rows' canonical encodings.

mod server_common;

use bytes::Bytes;
use futures_util::{pin_mut, SinkExt};
use server_common::TestServer;
use sha2::{Digest, Sha256};
use vellum::types::Value;

/// The row digest of `images` ((kind, row) in the order written) of table `table_id`, computed
/// from the layout `storage::changes` documents.
fn rows_digest(table_id: u32, images: &[(u8, Vec<Value>)]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"vellum/audit/rows/v1");
    for (kind, row) in images {
        let mut bytes = Vec::new();
        vellum::storage::row::encode_row(row, &mut bytes);
        hasher.update([*kind]);
        hasher.update(table_id.to_be_bytes());
        hasher.update((bytes.len() as u32).to_be_bytes());
        hasher.update(&bytes);
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn table_id(client: &tokio_postgres::Client, name: &str) -> u32 {
    let row = client
        .query_one("SELECT oid::int8 FROM pg_class WHERE relname = $1", &[&name])
        .await
        .unwrap();
    let oid: i64 = row.get(0);
    u32::try_from(oid - 16384).unwrap()
}

/// (operation, object, row_count, rows_sha256, statement_sha256) of every record on `object`.
async fn records(client: &tokio_postgres::Client, object: &str) -> Vec<(String, String, i64, Option<String>, String)> {
    client
        .query(
            "SELECT operation, object, row_count, rows_sha256, statement_sha256 FROM vellum_audit \
             WHERE object = $1 ORDER BY tx_id, statement_no",
            &[&object],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect()
}

async fn copy_rows(
    client: &tokio_postgres::Client,
    statement: &str,
    lines: &[String],
) -> Result<u64, tokio_postgres::Error> {
    let sink = client.copy_in(statement).await?;
    pin_mut!(sink);
    for chunk in lines.chunks(1000) {
        sink.send(Bytes::from(chunk.concat())).await?;
    }
    sink.finish().await
}

#[tokio::test]
async fn a_copy_is_one_record_over_all_its_batches_and_a_failed_copy_none() {
    let server = TestServer::start();
    let client = server.client().await;
    client
        .batch_execute("CREATE BLOCKCHAIN TABLE feed (id bigint PRIMARY KEY, note text)")
        .await
        .unwrap();
    let id = table_id(&client, "feed").await;
    // 25,000 rows: three batches inside the server.
    let lines: Vec<String> = (1..=25_000).map(|i| format!("{i}\tnote {i}\n")).collect();
    let copied = copy_rows(&client, "COPY feed (id, note) FROM STDIN", &lines)
        .await
        .unwrap();
    assert_eq!(copied, 25_000);
    let expected: Vec<(u8, Vec<Value>)> = (1..=25_000)
        .map(|i| (b'+', vec![Value::Int8(i), Value::Text(format!("note {i}"))]))
        .collect();
    let found = records(&client, "feed").await;
    assert_eq!(found.len(), 2, "{found:?}");
    let (operation, _, count, rows, statement) = &found[1];
    assert_eq!(operation, "COPY");
    assert_eq!(*count, 25_000);
    assert_eq!(rows.as_deref(), Some(rows_digest(id, &expected).as_str()));
    assert_eq!(statement, &hex_sha256("COPY feed (id, note) FROM STDIN"));

    // A COPY that fails in its second batch leaves neither rows nor a record.
    let mut bad: Vec<String> = (30_001..=45_000).map(|i| format!("{i}\tlater\n")).collect();
    bad[12_000] = "not-a-number\tbroken\n".to_string();
    let err = copy_rows(&client, "COPY feed (id, note) FROM STDIN", &bad)
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::INVALID_TEXT_REPRESENTATION)
    );
    assert_eq!(records(&client, "feed").await.len(), 2);
    let count: i64 = client.query_one("SELECT count(*) FROM feed", &[]).await.unwrap().get(0);
    assert_eq!(count, 25_000);

    // Inside a transaction block the record goes with the block: rolled back, gone.
    client.batch_execute("BEGIN").await.unwrap();
    let more: Vec<String> = (50_001..=50_010).map(|i| format!("{i}\tblock\n")).collect();
    copy_rows(&client, "COPY feed FROM STDIN", &more).await.unwrap();
    client.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(records(&client, "feed").await.len(), 2);
    server.stop();
}

#[tokio::test]
async fn prepared_statements_record_every_execution_with_old_and_new_images() {
    let server = TestServer::start();
    let client = server.client().await;
    client
        .batch_execute("CREATE TABLE u (id int PRIMARY KEY, v int)")
        .await
        .unwrap();
    let id = table_id(&client, "u").await;
    let insert = client.prepare("INSERT INTO u VALUES ($1, $2)").await.unwrap();
    for (k, v) in [(1i32, 10i32), (2, 20)] {
        client.execute(&insert, &[&k, &v]).await.unwrap();
    }
    let bump = client.prepare("UPDATE u SET v = v + $1").await.unwrap();
    client.execute(&bump, &[&1i32]).await.unwrap();
    client.execute("DELETE FROM u WHERE id = $1", &[&1i32]).await.unwrap();

    let row = |k: i32, v: i32| vec![Value::Int4(k), Value::Int4(v)];
    let found = records(&client, "u").await;
    let summary: Vec<(&str, i64)> = found.iter().map(|r| (r.0.as_str(), r.2)).collect();
    assert_eq!(
        summary,
        [
            ("CREATE TABLE", 0),
            ("INSERT", 1),
            ("INSERT", 1),
            ("UPDATE", 2),
            ("DELETE", 1)
        ]
    );
    assert_eq!(found[0].3, None);
    // Both executions of one prepared INSERT: its text's hash, each its own row's digest.
    assert_eq!(found[1].4, hex_sha256("INSERT INTO u VALUES ($1, $2)"));
    assert_eq!(found[2].4, found[1].4);
    assert_eq!(found[1].3, Some(rows_digest(id, &[(b'+', row(1, 10))])));
    assert_eq!(found[2].3, Some(rows_digest(id, &[(b'+', row(2, 20))])));
    // An UPDATE hashes each row's old image, then its new one, in key order.
    let update = [
        (b'-', row(1, 10)),
        (b'+', row(1, 11)),
        (b'-', row(2, 20)),
        (b'+', row(2, 21)),
    ];
    assert_eq!(found[3].3, Some(rows_digest(id, &update)));
    assert_eq!(found[3].4, hex_sha256("UPDATE u SET v = v + $1"));
    assert_eq!(found[4].3, Some(rows_digest(id, &[(b'-', row(1, 11))])));

    // A failing execution records nothing.
    let err = client.execute(&insert, &[&2i32, &0i32]).await.unwrap_err();
    assert_eq!(err.code(), Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION));
    assert_eq!(records(&client, "u").await.len(), 5);
    // And the chain holding all of this verifies.
    let intact: bool = client
        .query_one("SELECT verify_blockchain('vellum_audit')", &[])
        .await
        .unwrap()
        .get(0);
    assert!(intact);
    server.stop();
}
