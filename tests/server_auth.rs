//! Password authentication over the wire: SCRAM-SHA-256 with a real driver (tokio-postgres) and
//! psql, the default loopback-trust mode, the real binary's refusals, and hostile SASL messages.
//! Expected errors are PostgreSQL 15's (SQLSTATE 28P01 `password authentication failed for user
//! "x"` for wrong passwords and unknown roles alike, 08P01 for broken exchanges).

mod binary_common;
mod server_common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use binary_common::Served;
use server_common::TestServer;
use tokio_postgres::error::SqlState;
use vellum::crypto::scram::Verifier;
use vellum::server::{AuthMethod, ServerConfig};

const PASSWORD: &str = "correct horse";
const PSQL: &str = "psql";

fn scram_config() -> ServerConfig {
    ServerConfig {
        auth: AuthMethod::Scram,
        ..ServerConfig::default()
    }
}

/// A server whose `vellum` role has `PASSWORD`.
fn server_with_password(config: ServerConfig) -> TestServer {
    TestServer::start_with(config, |db| {
        db.set_role_password("vellum", Verifier::from_password(PASSWORD).to_string())
            .expect("set password");
    })
}

async fn connect(
    server: &TestServer,
    user: &str,
    password: Option<&str>,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let mut conninfo = format!("host=127.0.0.1 port={} user={user} dbname=vellum", server.port);
    if let Some(p) = password {
        conninfo.push_str(&format!(" password='{p}'"));
    }
    let (client, connection) = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

async fn select_one(client: &tokio_postgres::Client) -> i32 {
    client.query_one("SELECT 1 + 1", &[]).await.expect("query").get(0)
}

#[tokio::test]
async fn scram_accepts_the_right_password_only() {
    let server = server_with_password(scram_config());
    let client = connect(&server, "vellum", Some(PASSWORD))
        .await
        .expect("right password");
    assert_eq!(select_one(&client).await, 2);

    let err = connect(&server, "vellum", Some("wrong"))
        .await
        .expect_err("wrong password fails");
    assert_eq!(err.code(), Some(&SqlState::INVALID_PASSWORD));
    let db = err.as_db_error().expect("server error");
    assert_eq!(db.message(), "password authentication failed for user \"vellum\"");
    assert_eq!(db.severity(), "FATAL");

    // An unknown role looks exactly like a wrong password.
    let err = connect(&server, "nobody", Some(PASSWORD))
        .await
        .expect_err("unknown user fails");
    assert_eq!(err.code(), Some(&SqlState::INVALID_PASSWORD));
    assert_eq!(
        err.as_db_error().unwrap().message(),
        "password authentication failed for user \"nobody\""
    );

    // The driver refuses to go on without a password once the server asks for one.
    assert!(connect(&server, "vellum", None).await.is_err());

    // The first client is unaffected by the failures around it.
    assert_eq!(select_one(&client).await, 2);
}

#[tokio::test]
async fn a_wrong_database_is_reported_after_authentication() {
    let server = server_with_password(scram_config());
    let conninfo = format!(
        "host=127.0.0.1 port={} user=vellum dbname=other password='{PASSWORD}'",
        server.port
    );
    let Err(err) = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls).await else {
        panic!("connected to a database that does not exist");
    };
    assert_eq!(err.code(), Some(&SqlState::INVALID_CATALOG_NAME));
    // With a wrong password, the database's existence is not revealed.
    let conninfo = format!(
        "host=127.0.0.1 port={} user=vellum dbname=other password=wrong",
        server.port
    );
    let Err(err) = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls).await else {
        panic!("connected with a wrong password");
    };
    assert_eq!(err.code(), Some(&SqlState::INVALID_PASSWORD));
}

#[tokio::test]
async fn scram_without_any_password_set_lets_nobody_in() {
    // check_config refuses to start such a server; run_with itself must still fail closed.
    let server = TestServer::start_with(scram_config(), |_| {});
    let err = connect(&server, "vellum", Some("anything"))
        .await
        .expect_err("no password set");
    assert_eq!(err.code(), Some(&SqlState::INVALID_PASSWORD));
}

#[tokio::test]
async fn loopback_trust_trusts_roles_without_a_password() {
    let server = TestServer::start_with(ServerConfig::default(), |_| {});
    let client = connect(&server, "vellum", None).await.expect("trusted");
    assert_eq!(select_one(&client).await, 2);
    // A password the server did not ask for is not checked.
    let client = connect(&server, "vellum", Some("whatever")).await.expect("trusted");
    assert_eq!(select_one(&client).await, 2);
    // Trusted, but the role must exist: 28000 as in PostgreSQL.
    let err = connect(&server, "nobody", None).await.expect_err("unknown role");
    assert_eq!(err.code(), Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION));
    assert_eq!(err.as_db_error().unwrap().message(), "role \"nobody\" does not exist");
}

#[tokio::test]
async fn loopback_trust_asks_roles_with_a_password() {
    let server = server_with_password(ServerConfig::default());
    assert!(connect(&server, "vellum", None).await.is_err());
    let err = connect(&server, "vellum", Some("wrong"))
        .await
        .expect_err("wrong password");
    assert_eq!(err.code(), Some(&SqlState::INVALID_PASSWORD));
    let client = connect(&server, "vellum", Some(PASSWORD))
        .await
        .expect("right password");
    assert_eq!(select_one(&client).await, 2);
}

// ---- psql and the real binary ----

fn password_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("pw");
    std::fs::write(&path, format!("{PASSWORD}\n")).unwrap();
    path
}

/// A `vellum serve` child over a temporary directory that outlives it.
struct Binary {
    served: Served,
    _dir: Option<tempfile::TempDir>,
}

impl std::ops::Deref for Binary {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.served
    }
}

/// Starts `vellum serve` with `args` over a fresh directory (`PWFILE` in `args` stands for a
/// file holding `PASSWORD`).
fn serve(args: &[&str]) -> Binary {
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve_in(dir.path(), args);
    server._dir = Some(dir);
    server
}

/// Starts `vellum serve` over `dir`/data; returns once it logged its listening address (so the
/// password file, if any, has been applied).
fn serve_in(dir: &std::path::Path, args: &[&str]) -> Binary {
    let pw = password_file(dir);
    let args: Vec<&str> = args
        .iter()
        .map(|a| if *a == "PWFILE" { pw.to_str().unwrap() } else { a })
        .collect();
    Binary {
        served: binary_common::serve(&dir.join("data"), &args),
        _dir: None,
    }
}

/// `vellum serve` with `args` that must refuse to start; returns its stderr.
fn refused(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let pw = password_file(dir.path());
    let output = Command::new(env!("CARGO_BIN_EXE_vellum"))
        .arg("serve")
        .arg("--data")
        .arg(dir.path().join("data"))
        .args(
            args.iter()
                .map(|a| if *a == "PWFILE" { pw.to_str().unwrap() } else { a }),
        )
        .stdin(Stdio::null())
        .output()
        .expect("run vellum serve");
    assert!(!output.status.success(), "vellum serve {args:?} started");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn psql(port: u16, password: Option<&str>, sql: &str) -> std::process::Output {
    let mut command = Command::new(PSQL);
    command
        .args(["-X", "-w", "-At", "-h", "127.0.0.1", "-p"])
        .arg(port.to_string())
        .args(["-U", "vellum", "-d", "vellum", "-c", sql])
        .env_remove("PGPASSWORD")
        .env("PGPASSFILE", "/nonexistent")
        .stdin(Stdio::null());
    if let Some(p) = password {
        command.env("PGPASSWORD", p);
    }
    command.output().expect("run psql")
}

#[test]
fn psql_logs_in_with_pgpassword_and_fails_without() {
    let server = serve(&[
        "--listen",
        "127.0.0.1:0",
        "--auth",
        "scram",
        "--password-file",
        "PWFILE",
    ]);
    let ok = psql(server.port, Some(PASSWORD), "SELECT 40 + 2");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "42");

    let wrong = psql(server.port, Some("nope"), "SELECT 1");
    assert!(!wrong.status.success());
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        stderr.contains("password authentication failed for user \"vellum\""),
        "{stderr}"
    );

    let without = psql(server.port, None, "SELECT 1");
    assert!(!without.status.success());
    let stderr = String::from_utf8_lossy(&without.stderr);
    assert!(stderr.contains("no password supplied"), "{stderr}");

    // The shell passes PGPASSWORD on as libpq does.
    let shell = Command::new(env!("CARGO_BIN_EXE_vellum"))
        .args(["shell", "--connect"])
        .arg(format!("postgres://vellum@127.0.0.1:{}/vellum", server.port))
        .args(["-c", "SELECT 6 * 7 AS answer"])
        .env("PGPASSWORD", PASSWORD)
        .stdin(Stdio::null())
        .output()
        .expect("run vellum shell");
    assert!(shell.status.success(), "{}", String::from_utf8_lossy(&shell.stderr));
    assert!(String::from_utf8_lossy(&shell.stdout).contains("42"));
}

#[test]
fn the_password_file_persists_and_default_mode_then_asks_for_it() {
    let dir = tempfile::tempdir().unwrap();
    // Default mode with a password file: the password is required even on loopback.
    let server = serve_in(dir.path(), &["--listen", "127.0.0.1:0", "--password-file", "PWFILE"]);
    assert!(!psql(server.port, None, "SELECT 1").status.success());
    assert!(psql(server.port, Some(PASSWORD), "SELECT 1").status.success());
    drop(server);
    // Restarted without the file: the stored verifier still guards the role, and --auth scram
    // may start because a role has a password.
    let server = serve_in(dir.path(), &["--listen", "127.0.0.1:0", "--auth", "scram"]);
    let ok = psql(server.port, Some(PASSWORD), "SELECT 1");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(!psql(server.port, Some("nope"), "SELECT 1").status.success());
}

#[test]
fn non_loopback_listening_needs_scram() {
    let stderr = refused(&["--listen", "0.0.0.0:0"]);
    assert!(stderr.contains("--auth scram"), "{stderr}");
    assert!(stderr.contains("0.0.0.0:0"), "{stderr}");
    // Password authentication without any password could never be logged into.
    let stderr = refused(&["--listen", "127.0.0.1:0", "--auth", "scram"]);
    assert!(stderr.contains("--password-file"), "{stderr}");

    let server = serve(&["--listen", "0.0.0.0:0", "--auth", "scram", "--password-file", "PWFILE"]);
    let ok = psql(server.port, Some(PASSWORD), "SELECT 'in'");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "in");
    assert!(!psql(server.port, None, "SELECT 1").status.success());
}

// ---- hostile SASL messages ----

fn raw(server: &TestServer) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

fn startup(user: &str) -> Vec<u8> {
    let mut body = 196_608u32.to_be_bytes().to_vec();
    body.extend_from_slice(format!("user\0{user}\0database\0vellum\0\0").as_bytes());
    let mut m = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    m.extend(body);
    m
}

fn message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![tag];
    m.extend(((body.len() + 4) as u32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

fn read_message(s: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut head = [0u8; 5];
    s.read_exact(&mut head).unwrap();
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    let mut body = vec![0u8; len - 4];
    s.read_exact(&mut body).unwrap();
    (head[0], body)
}

/// Connects and reads the AuthenticationSASL request.
fn sasl_started(server: &TestServer) -> TcpStream {
    let mut s = raw(server);
    s.write_all(&startup("vellum")).unwrap();
    let (tag, body) = read_message(&mut s);
    assert_eq!(tag, b'R');
    // Authentication code 10 (SASL), then the mechanism list.
    assert_eq!(&body[..4], &10u32.to_be_bytes());
    assert_eq!(&body[4..], b"SCRAM-SHA-256\0\0");
    s
}

fn initial_response(mechanism: &str, data: &[u8]) -> Vec<u8> {
    let mut body = format!("{mechanism}\0").into_bytes();
    body.extend((data.len() as i32).to_be_bytes());
    body.extend_from_slice(data);
    message(b'p', &body)
}

/// Reads until the server closes; returns the SQLSTATE of the FATAL error it sent.
fn fatal_code(s: &mut TcpStream) -> String {
    let mut all = Vec::new();
    let _ = s.read_to_end(&mut all);
    let start = all.iter().position(|b| *b == b'E').expect("an ErrorResponse");
    let fields = &all[start + 5..];
    let mut code = None;
    let mut fatal = false;
    for field in fields.split(|b| *b == 0) {
        match field.split_first() {
            Some((b'C', c)) => code = Some(String::from_utf8_lossy(c).into_owned()),
            Some((b'S', s)) => fatal |= s == b"FATAL",
            _ => {}
        }
    }
    assert!(fatal, "error was not FATAL");
    code.expect("SQLSTATE")
}

#[tokio::test]
async fn hostile_sasl_messages_end_only_their_connection() {
    let server = server_with_password(scram_config());
    let client = connect(&server, "vellum", Some(PASSWORD)).await.unwrap();

    // A mechanism the server did not offer.
    let mut s = sasl_started(&server);
    s.write_all(&initial_response(
        "SCRAM-SHA-256-PLUS",
        b"p=tls-server-end-point,,n=,r=abc",
    ))
    .unwrap();
    assert_eq!(fatal_code(&mut s), "08P01");

    // Garbage as the client-first message.
    let mut s = sasl_started(&server);
    s.write_all(&initial_response("SCRAM-SHA-256", &[0xff, 0x00, 0x13, 0x37]))
        .unwrap();
    assert_eq!(fatal_code(&mut s), "08P01");

    // A SASLInitialResponse whose data length lies.
    let mut s = sasl_started(&server);
    let mut body = b"SCRAM-SHA-256\0".to_vec();
    body.extend(1000i32.to_be_bytes());
    body.extend(b"n,,n=,r=x");
    s.write_all(&message(b'p', &body)).unwrap();
    assert_eq!(fatal_code(&mut s), "08P01");

    // An oversized message: refused from its header, before any body is sent.
    let mut s = sasl_started(&server);
    let mut head = vec![b'p'];
    head.extend(100_000_000u32.to_be_bytes());
    s.write_all(&head).unwrap();
    assert_eq!(fatal_code(&mut s), "08P01");

    // A query instead of the SASL response.
    let mut s = sasl_started(&server);
    s.write_all(&message(b'Q', b"SELECT 1\0")).unwrap();
    assert_eq!(fatal_code(&mut s), "08P01");

    // A valid client-first, then a client-final with a nonce that is not the server's.
    let mut s = sasl_started(&server);
    s.write_all(&initial_response("SCRAM-SHA-256", b"n,,n=,r=clientnonce"))
        .unwrap();
    let (tag, body) = read_message(&mut s);
    assert_eq!(tag, b'R');
    assert_eq!(&body[..4], &11u32.to_be_bytes(), "AuthenticationSASLContinue");
    let server_first = String::from_utf8(body[4..].to_vec()).unwrap();
    assert!(server_first.starts_with("r=clientnonce"), "{server_first}");
    assert!(
        server_first.contains(",s=") && server_first.ends_with(",i=4096"),
        "{server_first}"
    );
    s.write_all(&message(
        b'p',
        b"c=biws,r=clientnonceXX,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    ))
    .unwrap();
    assert_eq!(fatal_code(&mut s), "08P01");

    // The right nonce with a made-up proof: a wrong password.
    let mut s = sasl_started(&server);
    s.write_all(&initial_response("SCRAM-SHA-256", b"n,,n=,r=clientnonce"))
        .unwrap();
    let (_, body) = read_message(&mut s);
    let nonce = String::from_utf8(body[4..].to_vec()).unwrap();
    let nonce = nonce.split(',').next().unwrap().strip_prefix("r=").unwrap().to_string();
    let client_final = format!("c=biws,r={nonce},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    s.write_all(&message(b'p', client_final.as_bytes())).unwrap();
    assert_eq!(fatal_code(&mut s), "28P01");

    // Truncated: a header promising more than ever comes, then the client leaves.
    let mut s = sasl_started(&server);
    let mut partial = vec![b'p'];
    partial.extend(200u32.to_be_bytes());
    partial.extend(b"SCRAM");
    s.write_all(&partial).unwrap();
    drop(s);

    // Leaving in the middle of the exchange.
    let mut s = sasl_started(&server);
    s.write_all(&initial_response("SCRAM-SHA-256", b"n,,n=,r=clientnonce"))
        .unwrap();
    let _ = read_message(&mut s);
    drop(s);

    // Everyone else is still served.
    assert_eq!(select_one(&client).await, 2);
    let again = connect(&server, "vellum", Some(PASSWORD)).await.expect("new login");
    assert_eq!(select_one(&again).await, 2);
}

#[test]
fn authentication_has_a_deadline() {
    let config = ServerConfig {
        startup_timeout: Duration::from_millis(300),
        ..scram_config()
    };
    let server = server_with_password(config);
    let mut s = sasl_started(&server);
    // Say nothing: the server must give up on its own and close the socket.
    let mut rest = Vec::new();
    let read = s.read_to_end(&mut rest);
    assert!(read.is_ok(), "the server did not close the connection: {read:?}");
}
