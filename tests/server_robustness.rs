//! Hostile and raw protocol input: garbage, truncated, oversized and malformed messages, a flood of
//! connections, ReadyForQuery status bytes, and cancel requests. After each abuse another client
//! must still be served.

mod server_common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use server_common::TestServer;
use tokio_postgres::error::SqlState;

fn connect(server: &TestServer) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

fn message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![tag];
    m.extend(((body.len() + 4) as u32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

fn startup_packet() -> Vec<u8> {
    let mut body = 196_608u32.to_be_bytes().to_vec();
    body.extend_from_slice(b"user\0vellum\0database\0vellum\0\0");
    let mut m = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    m.extend(body);
    m
}

/// Reads backend messages until ReadyForQuery; returns (tag, body) pairs including it.
fn read_until_ready(s: &mut TcpStream) -> Vec<(u8, Vec<u8>)> {
    let mut messages = Vec::new();
    loop {
        let mut head = [0u8; 5];
        s.read_exact(&mut head).unwrap();
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0u8; len - 4];
        s.read_exact(&mut body).unwrap();
        let tag = head[0];
        messages.push((tag, body));
        if tag == b'Z' {
            return messages;
        }
    }
}

/// Reads what the server sends before closing: an ErrorResponse's SQLSTATE if there is one.
fn read_fatal_code(s: &mut TcpStream) -> Option<String> {
    let mut all = Vec::new();
    let _ = s.read_to_end(&mut all);
    let start = all.iter().position(|b| *b == b'E')?;
    let body = all.get(start + 5..)?;
    let mut fields = body.split(|b| *b == 0);
    let mut code = None;
    let mut fatal = false;
    for f in fields.by_ref() {
        match f.first() {
            Some(b'C') => code = Some(String::from_utf8_lossy(&f[1..]).into_owned()),
            Some(b'S') => fatal = &f[1..] == b"FATAL",
            _ => {}
        }
    }
    assert!(fatal, "expected a FATAL error");
    code
}

fn started(server: &TestServer) -> TcpStream {
    let mut s = connect(server);
    s.write_all(&startup_packet()).unwrap();
    let messages = read_until_ready(&mut s);
    assert_eq!(messages.first().map(|m| m.0), Some(b'R'));
    s
}

fn status_after(s: &mut TcpStream, sql: &str) -> (u8, Vec<u8>) {
    let mut body = sql.as_bytes().to_vec();
    body.push(0);
    s.write_all(&message(b'Q', &body)).unwrap();
    let messages = read_until_ready(s);
    let tags: Vec<u8> = messages.iter().map(|m| m.0).collect();
    let status = messages.last().and_then(|m| m.1.first().copied()).unwrap();
    (status, tags)
}

async fn still_serves(server: &TestServer) {
    let client = server.client().await;
    let v: i32 = client.query_one("SELECT 41 + 1", &[]).await.unwrap().get(0);
    assert_eq!(v, 42);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_truncated_and_oversized_input_only_ends_that_connection() {
    let server = TestServer::start();
    let _bystander = server.client().await;

    // An HTTP request instead of a startup packet: its first four bytes are a huge length.
    let mut s = connect(&server);
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert_eq!(read_fatal_code(&mut s).as_deref(), Some("08P01"));

    // Random bytes after a good startup.
    let mut s = started(&server);
    s.write_all(&[0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02]).unwrap();
    assert_eq!(read_fatal_code(&mut s).as_deref(), Some("08P01"));

    // A Bind whose parameter claims more bytes than the message holds.
    let mut s = started(&server);
    s.write_all(&message(b'B', &[0, 0, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, 1]))
        .unwrap();
    assert_eq!(read_fatal_code(&mut s).as_deref(), Some("08P01"));

    // A message announcing 2 GiB.
    let mut s = started(&server);
    s.write_all(&[b'Q', 0x7f, 0xff, 0xff, 0xff, b's']).unwrap();
    assert_eq!(read_fatal_code(&mut s).as_deref(), Some("08P01"));

    // A truncated message, then the client vanishes.
    let mut s = started(&server);
    s.write_all(&[b'Q', 0, 0, 0, 100, b's', b'e']).unwrap();
    drop(s);

    // A truncated startup packet, then the client vanishes.
    let mut s = connect(&server);
    s.write_all(&[0, 0, 0, 40, 0, 3]).unwrap();
    drop(s);

    still_serves(&server).await;
    let v: i32 = _bystander.query_one("SELECT 7", &[]).await.unwrap().get(0);
    assert_eq!(v, 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_connections_is_capped_and_recovers() {
    let server = TestServer::start();
    let mut idle: Vec<TcpStream> = (0..100).map(|_| connect(&server)).collect();
    // Past the cap (100 connections) the server refuses with 53300.
    let mut extra = connect(&server);
    assert_eq!(read_fatal_code(&mut extra).as_deref(), Some("53300"));
    idle.clear();
    // The idle sockets' slots free up as the server sees them close.
    let mut served = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok((client, connection)) = tokio_postgres::connect(&server.conninfo(), tokio_postgres::NoTls).await {
            tokio::spawn(connection);
            let v: i32 = client.query_one("SELECT 1", &[]).await.unwrap().get(0);
            assert_eq!(v, 1);
            served = true;
            break;
        }
    }
    assert!(served, "server did not recover after the flood");
}

#[test]
fn ready_for_query_reports_transaction_status() {
    let server = TestServer::start();
    let mut s = started(&server);
    assert_eq!(status_after(&mut s, "SELECT 1").0, b'I');
    assert_eq!(status_after(&mut s, "BEGIN").0, b'T');
    let (status, tags) = status_after(&mut s, "SELECT 1/0");
    assert_eq!(status, b'E');
    assert_eq!(tags, vec![b'E', b'Z']);
    assert_eq!(status_after(&mut s, "SELECT 1").0, b'E');
    assert_eq!(status_after(&mut s, "ROLLBACK").0, b'I');
    // A syntax error aborts the block too.
    assert_eq!(status_after(&mut s, "BEGIN").0, b'T');
    assert_eq!(status_after(&mut s, "SELEC 1").0, b'E');
    assert_eq!(status_after(&mut s, "ROLLBACK").0, b'I');
    // Changing a reported parameter sends ParameterStatus.
    let (_, tags) = status_after(&mut s, "SET application_name = 'robust'");
    assert_eq!(tags, vec![b'C', b'S', b'Z']);
    // An empty query string answers EmptyQueryResponse.
    assert_eq!(status_after(&mut s, "  ").1, vec![b'I', b'Z']);
    // Several statements: one response each; an error stops the rest.
    let (_, tags) = status_after(&mut s, "SELECT 1; SELECT 1/0; SELECT 3");
    assert_eq!(tags, vec![b'T', b'D', b'C', b'E', b'Z']);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_request_stops_a_running_statement() {
    let server = TestServer::start();
    let client = server.client().await;
    let token = client.cancel_token();
    let running = tokio::spawn(async move {
        client
            .simple_query("SELECT count(*) FROM generate_series(1, 100000) a, generate_series(1, 100000) b")
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    token.cancel_query(tokio_postgres::NoTls).await.unwrap();
    let result = tokio::time::timeout(Duration::from_secs(60), running)
        .await
        .unwrap()
        .unwrap();
    let e = result.unwrap_err();
    assert_eq!(e.code(), Some(&SqlState::QUERY_CANCELED));
    still_serves(&server).await;
}

#[test]
fn serve_refuses_non_loopback_without_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_vellum"))
        .args(["serve", "--listen", "0.0.0.0:0", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("without password authentication"), "{stderr}");
    assert!(stderr.contains("--password-file"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_rolls_back_open_transactions_and_keeps_commits() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_at(dir.path());
    let client = server.client().await;
    client
        .batch_execute("CREATE TABLE k (x int); INSERT INTO k VALUES (1)")
        .await
        .unwrap();
    client.batch_execute("BEGIN; INSERT INTO k VALUES (2)").await.unwrap();
    tokio::task::spawn_blocking(move || server.stop()).await.unwrap();
    // The connection was ended with 57P01 (or closed): the client cannot go on.
    let e = client.batch_execute("COMMIT").await.unwrap_err();
    assert!(e.is_closed() || e.code() == Some(&SqlState::ADMIN_SHUTDOWN), "{e}");
    let db = vellum::Database::open(dir.path()).unwrap();
    let mut session = db.session();
    let result = session.execute("SELECT x FROM k").unwrap();
    match result.first() {
        Some(vellum::StatementResult::Query { rows, .. }) => {
            assert_eq!(rows, &vec![vec![vellum::types::Value::Int4(1)]]);
        }
        other => panic!("unexpected result {other:?}"),
    }
}

fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// The way JDBC talks: untyped parameters (OID 0) in text format, then Describe of the portal.
#[test]
fn extended_protocol_infers_untyped_text_parameters_and_skips_to_sync_after_errors() {
    let server = TestServer::start();
    let mut s = started(&server);
    let mut parse = cstr("s1");
    parse.extend(cstr("SELECT $1 + 1 AS n"));
    parse.extend(1i16.to_be_bytes());
    parse.extend(0u32.to_be_bytes());
    let mut describe_statement = vec![b'S'];
    describe_statement.extend(cstr("s1"));
    let mut bind = cstr("");
    bind.extend(cstr("s1"));
    bind.extend(0i16.to_be_bytes()); // all parameters in text
    bind.extend(1i16.to_be_bytes());
    bind.extend(2i32.to_be_bytes());
    bind.extend_from_slice(b"41");
    bind.extend(0i16.to_be_bytes()); // all results in text
    let mut describe_portal = vec![b'P'];
    describe_portal.extend(cstr(""));
    let mut execute = cstr("");
    execute.extend(0i32.to_be_bytes());
    let mut batch = Vec::new();
    for m in [
        message(b'P', &parse),
        message(b'D', &describe_statement),
        message(b'B', &bind),
        message(b'D', &describe_portal),
        message(b'E', &execute),
        message(b'S', &[]),
    ] {
        batch.extend(m);
    }
    s.write_all(&batch).unwrap();
    let messages = read_until_ready(&mut s);
    let tags: Vec<u8> = messages.iter().map(|m| m.0).collect();
    // ParseComplete, ParameterDescription, RowDescription, BindComplete, RowDescription,
    // DataRow, CommandComplete, ReadyForQuery.
    assert_eq!(tags, b"1tT2TDCZ".to_vec());
    // The untyped parameter was inferred as integer (OID 23).
    assert_eq!(
        messages[1].1,
        [&1i16.to_be_bytes()[..], &23u32.to_be_bytes()[..]].concat()
    );
    // One column, 2 bytes of text: "42".
    assert_eq!(
        messages[5].1,
        [&1i16.to_be_bytes()[..], &2i32.to_be_bytes()[..], b"42"].concat()
    );

    // A failing Parse: Bind and Execute are skipped, Sync answers.
    let mut bad = cstr("");
    bad.extend(cstr("SELEC 1"));
    bad.extend(0i16.to_be_bytes());
    let mut bind = cstr("");
    bind.extend(cstr(""));
    bind.extend([0u8; 6]);
    let mut batch = Vec::new();
    for m in [
        message(b'P', &bad),
        message(b'B', &bind),
        message(b'E', &execute),
        message(b'S', &[]),
    ] {
        batch.extend(m);
    }
    s.write_all(&batch).unwrap();
    let tags: Vec<u8> = read_until_ready(&mut s).iter().map(|m| m.0).collect();
    assert_eq!(tags, b"EZ".to_vec());
    // The connection is still usable.
    assert_eq!(status_after(&mut s, "SELECT 1").1, b"TDCZ".to_vec());
}
