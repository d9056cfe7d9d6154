//! TLS: SSLRequest answered 'S' and the connection upgraded when a certificate is configured,
//! 'N' otherwise; the server's certificate verified by real clients (tokio-postgres with rustls,
//! psql with sslmode=verify-full); ALPN `postgresql`; plain clients still served; garbage after
//! SSLRequest ends only that connection. Certificates are generated per test with rcgen.

mod server_common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use server_common::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use vellum::crypto::scram::Verifier;
use vellum::server::{AuthMethod, ServerConfig, Tls};

/// A self-signed certificate for `localhost`: (certificate PEM, key PEM).
fn certificate() -> (String, String) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("certificate");
    (cert.cert.pem(), cert.signing_key.serialize_pem())
}

struct TlsServer {
    server: TestServer,
    cert_pem: String,
    dir: tempfile::TempDir,
}

impl TlsServer {
    fn start(config: ServerConfig, password: Option<&str>) -> TlsServer {
        let (cert_pem, key_pem) = certificate();
        let config = ServerConfig {
            tls: Some(Tls::from_pem(cert_pem.as_bytes(), key_pem.as_bytes()).expect("tls")),
            ..config
        };
        let password = password.map(str::to_string);
        let server = TestServer::start_with(config, move |db| {
            if let Some(p) = password {
                db.set_role_password("vellum", Verifier::from_password(&p).to_string())
                    .unwrap();
            }
        });
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("root.pem"), &cert_pem).unwrap();
        TlsServer { server, cert_pem, dir }
    }

    fn root_file(&self) -> std::path::PathBuf {
        self.dir.path().join("root.pem")
    }
}

/// A rustls client configuration that trusts only `root_pem`.
fn client_config(root_pem: &str, alpn: &[&[u8]]) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(root_pem.as_bytes()).expect("PEM certificate"))
        .expect("root certificate");
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

async fn connect_tls(
    port: u16,
    root_pem: &str,
    password: Option<&str>,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let mut conninfo =
        format!("host=localhost hostaddr=127.0.0.1 port={port} user=vellum dbname=vellum sslmode=require");
    if let Some(p) = password {
        conninfo.push_str(&format!(" password='{p}'"));
    }
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(client_config(root_pem, &[]));
    let (client, connection) = tokio_postgres::connect(&conninfo, tls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

#[tokio::test]
async fn a_driver_verifies_the_certificate_and_queries_over_tls() {
    let server = TlsServer::start(ServerConfig::default(), None);
    let client = connect_tls(server.server.port, &server.cert_pem, None)
        .await
        .expect("TLS connect");
    let row = client.query_one("SELECT 'over tls'::text", &[]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "over tls");

    // A client that trusts another certificate refuses this server.
    let (other, _) = certificate();
    let err = connect_tls(server.server.port, &other, None)
        .await
        .expect_err("untrusted certificate");
    assert!(
        err.as_db_error().is_none(),
        "the handshake, not the server, refused: {err}"
    );

    // The TLS session still works after a refused handshake next to it.
    let row = client.query_one("SELECT 2", &[]).await.unwrap();
    assert_eq!(row.get::<_, i32>(0), 2);
}

#[tokio::test]
async fn scram_runs_inside_tls() {
    let config = ServerConfig {
        auth: AuthMethod::Scram,
        ..ServerConfig::default()
    };
    let server = TlsServer::start(config, Some("tls pass"));
    let client = connect_tls(server.server.port, &server.cert_pem, Some("tls pass"))
        .await
        .expect("password over TLS");
    assert_eq!(client.query_one("SELECT 1", &[]).await.unwrap().get::<_, i32>(0), 1);
    let err = connect_tls(server.server.port, &server.cert_pem, Some("nope"))
        .await
        .expect_err("wrong password");
    assert_eq!(err.code(), Some(&tokio_postgres::error::SqlState::INVALID_PASSWORD));
}

fn psql(conninfo: &str, command: &str) -> std::process::Output {
    Command::new("psql")
        .args(["-X", "-w", conninfo, "-c", command])
        .env("PGPASSFILE", "/nonexistent")
        .env_remove("PGSSLMODE")
        .stdin(Stdio::null())
        .output()
        .expect("run psql")
}

#[test]
fn psql_reports_tls_in_conninfo_and_plain_clients_still_work() {
    let server = TlsServer::start(ServerConfig::default(), None);
    let base = format!(
        "host=localhost hostaddr=127.0.0.1 port={} user=vellum dbname=vellum",
        server.server.port
    );
    let verified = psql(
        &format!(
            "{base} sslmode=verify-full sslrootcert={}",
            server.root_file().display()
        ),
        "\\conninfo",
    );
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let out = String::from_utf8_lossy(&verified.stdout);
    assert!(out.contains("SSL connection (protocol: TLSv1."), "{out}");

    let plain = psql(&format!("{base} sslmode=disable"), "\\conninfo");
    assert!(plain.status.success(), "{}", String::from_utf8_lossy(&plain.stderr));
    let out = String::from_utf8_lossy(&plain.stdout);
    assert!(out.contains("You are connected") && !out.contains("SSL"), "{out}");
}

#[test]
fn without_a_certificate_ssl_is_declined() {
    let server = TestServer::start_with(ServerConfig::default(), |_| {});
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(&ssl_request()).unwrap();
    let mut answer = [0u8; 1];
    s.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"N");

    let required = psql(
        &format!(
            "host=127.0.0.1 port={} user=vellum dbname=vellum sslmode=require",
            server.port
        ),
        "SELECT 1",
    );
    assert!(!required.status.success());
    let stderr = String::from_utf8_lossy(&required.stderr);
    assert!(stderr.contains("server does not support SSL"), "{stderr}");
}

fn ssl_request() -> Vec<u8> {
    let mut m = 8u32.to_be_bytes().to_vec();
    m.extend(80_877_103u32.to_be_bytes());
    m
}

#[tokio::test]
async fn garbage_after_ssl_request_ends_only_that_connection() {
    let server = TlsServer::start(ServerConfig::default(), None);
    let mut s = TcpStream::connect(("127.0.0.1", server.server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(&ssl_request()).unwrap();
    let mut answer = [0u8; 1];
    s.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"S");
    // A startup packet in plain text where the TLS ClientHello belongs.
    let mut startup = 196_608u32.to_be_bytes().to_vec();
    startup.extend_from_slice(b"user\0vellum\0database\0vellum\0\0");
    let mut packet = ((startup.len() + 4) as u32).to_be_bytes().to_vec();
    packet.extend(startup);
    let _ = s.write_all(&packet);
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    // The server never answers in plain text: at most a TLS alert record (content type 21).
    assert!(rest.is_empty() || rest[0] == 21, "{rest:?}");

    // Pipelined: SSLRequest and garbage in one write.
    let mut s = TcpStream::connect(("127.0.0.1", server.server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut both = ssl_request();
    both.extend(std::iter::repeat_n(0xAB, 5000));
    s.write_all(&both).unwrap();
    let _ = s.read_to_end(&mut Vec::new());

    let client = connect_tls(server.server.port, &server.cert_pem, None)
        .await
        .expect("still served");
    assert_eq!(client.query_one("SELECT 3", &[]).await.unwrap().get::<_, i32>(0), 3);
}

/// SSLRequest, 'S', then a rustls handshake offering `alpn`; returns the negotiated protocol.
async fn handshake(server: &TlsServer, alpn: &[&[u8]]) -> std::io::Result<Option<Vec<u8>>> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", server.server.port)).await?;
    handshake_on(tcp, &server.cert_pem, alpn).await
}

async fn handshake_on(
    mut tcp: tokio::net::TcpStream,
    cert_pem: &str,
    alpn: &[&[u8]],
) -> std::io::Result<Option<Vec<u8>>> {
    tcp.write_all(&ssl_request()).await?;
    assert_eq!(tcp.read_u8().await?, b'S');
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config(cert_pem, alpn)));
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await?;
    let negotiated = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
    // A startup packet over TLS gets the usual answer (AuthenticationOk under trust).
    let mut startup = 196_608u32.to_be_bytes().to_vec();
    startup.extend_from_slice(b"user\0vellum\0database\0vellum\0\0");
    let mut packet = ((startup.len() + 4) as u32).to_be_bytes().to_vec();
    packet.extend(startup);
    tls.write_all(&packet).await?;
    let mut head = [0u8; 9];
    tls.read_exact(&mut head).await?;
    assert_eq!(head, [b'R', 0, 0, 0, 8, 0, 0, 0, 0], "AuthenticationOk");
    Ok(negotiated)
}

#[tokio::test]
async fn alpn_postgresql_is_accepted_and_others_refused() {
    let server = TlsServer::start(ServerConfig::default(), None);
    assert_eq!(
        handshake(&server, &[b"postgresql"]).await.unwrap(),
        Some(b"postgresql".to_vec())
    );
    assert_eq!(handshake(&server, &[]).await.unwrap(), None);
    assert!(handshake(&server, &[b"http/1.1"]).await.is_err());
}

#[tokio::test]
async fn gss_encryption_is_declined_and_ssl_may_follow() {
    let server = TlsServer::start(ServerConfig::default(), None);
    let mut gss = 8u32.to_be_bytes().to_vec();
    gss.extend(80_877_104u32.to_be_bytes());
    // GSSENCRequest → 'N', then SSLRequest → 'S' and TLS, as libpq with gssencmode=prefer does.
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", server.server.port))
        .await
        .unwrap();
    tcp.write_all(&gss).await.unwrap();
    assert_eq!(tcp.read_u8().await.unwrap(), b'N');
    assert_eq!(handshake_on(tcp, &server.cert_pem, &[]).await.unwrap(), None);

    // Without a certificate: 'N' to SSL too, and asking again is a protocol violation.
    let plain = TestServer::start_with(ServerConfig::default(), |_| {});
    let mut s = TcpStream::connect(("127.0.0.1", plain.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(&ssl_request()).unwrap();
    let mut answer = [0u8; 1];
    s.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"N");
    s.write_all(&ssl_request()).unwrap();
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    assert_eq!(rest.first(), Some(&b'E'), "{rest:?}");
    assert!(rest.windows(6).any(|w| w == b"C08P01"), "{rest:?}");
}

#[test]
fn tls_required_still_serves_plain_loopback() {
    let server = TlsServer::start(
        ServerConfig {
            tls_required: true,
            ..ServerConfig::default()
        },
        None,
    );
    let plain = psql(
        &format!(
            "host=127.0.0.1 port={} user=vellum dbname=vellum sslmode=disable",
            server.server.port
        ),
        "SELECT 1",
    );
    assert!(plain.status.success(), "{}", String::from_utf8_lossy(&plain.stderr));
}

#[test]
fn the_binary_refuses_unusable_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, _) = certificate();
    let (_, other_key) = certificate();
    std::fs::write(dir.path().join("cert.pem"), cert).unwrap();
    std::fs::write(dir.path().join("key.pem"), other_key).unwrap();
    let run = |cert: &str, key: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_vellum"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir.path().join("data"))
            .arg("--tls-cert")
            .arg(dir.path().join(cert))
            .arg("--tls-key")
            .arg(dir.path().join(key))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(!output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let mismatch = run("cert.pem", "key.pem");
    assert!(mismatch.contains("does not match the certificate"), "{mismatch}");
    let missing = run("cert.pem", "missing.pem");
    assert!(missing.contains("could not load private key file"), "{missing}");
}

#[test]
fn a_stalled_handshake_is_cut_off_by_the_startup_deadline() {
    let server = TlsServer::start(
        ServerConfig {
            startup_timeout: Duration::from_millis(300),
            ..ServerConfig::default()
        },
        None,
    );
    let mut s = TcpStream::connect(("127.0.0.1", server.server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(&ssl_request()).unwrap();
    let mut answer = [0u8; 1];
    s.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"S");
    // No ClientHello: the server must close the socket on its own.
    let mut rest = Vec::new();
    let read = s.read_to_end(&mut rest);
    assert!(read.is_ok(), "the server did not close the connection: {read:?}");
}
