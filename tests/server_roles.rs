//! Roles over the wire: a role created with SQL logs in with its SCRAM password through
//! tokio-postgres and then acts as itself (current_user, privilege checks with PostgreSQL 15's
//! 42501 errors, grants taking effect for a connection that is already open).

mod server_common;

use server_common::TestServer;
use tokio_postgres::error::SqlState;
use vellum::server::{AuthMethod, ServerConfig};

async fn connect(
    server: &TestServer,
    user: &str,
    password: &str,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let conninfo = format!(
        "host=127.0.0.1 port={} user={user} dbname=vellum password='{password}'",
        server.port
    );
    let (client, connection) = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

#[tokio::test]
async fn a_role_made_with_sql_logs_in_and_is_checked() {
    let config = ServerConfig {
        auth: AuthMethod::Scram,
        ..ServerConfig::default()
    };
    let server = TestServer::start_with(config, |db| {
        db.session()
            .execute(
                "ALTER ROLE vellum PASSWORD 'root pw';
                 CREATE USER app PASSWORD 'app pw';
                 CREATE ROLE nologin PASSWORD 'x';
                 CREATE TABLE accounts (id int PRIMARY KEY, balance int);
                 INSERT INTO accounts VALUES (1, 100);
                 GRANT SELECT ON accounts TO app",
            )
            .expect("setup");
    });

    let app = connect(&server, "app", "app pw").await.expect("app logs in");
    let who: String = app.query_one("SELECT current_user", &[]).await.unwrap().get(0);
    assert_eq!(who, "app");
    let balance: i32 = app
        .query_one("SELECT balance FROM accounts WHERE id = $1", &[&1i32])
        .await
        .unwrap()
        .get(0);
    assert_eq!(balance, 100);

    let err = app
        .execute("UPDATE accounts SET balance = 0", &[])
        .await
        .expect_err("no UPDATE");
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    assert_eq!(
        err.as_db_error().unwrap().message(),
        "permission denied for table accounts"
    );

    // A grant made by another connection applies to the open one at its next statement.
    let root = connect(&server, "vellum", "root pw").await.expect("root logs in");
    root.batch_execute("GRANT UPDATE ON accounts TO app").await.unwrap();
    assert_eq!(app.execute("UPDATE accounts SET balance = 0", &[]).await.unwrap(), 1);

    // A prepared statement stops working once its privilege is revoked.
    let select = app.prepare("SELECT balance FROM accounts").await.unwrap();
    assert_eq!(app.query(&select, &[]).await.unwrap().len(), 1);
    root.batch_execute("REVOKE SELECT ON accounts FROM app").await.unwrap();
    let err = app.query(&select, &[]).await.expect_err("revoked");
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));

    // NOLOGIN roles cannot connect even with the right password.
    assert!(connect(&server, "nologin", "x").await.is_err());
}
