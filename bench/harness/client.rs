//! One engine as the workloads see it: a tokio-postgres connection string plus the tables loaded
//! so far, and the few client calls the workloads share (simple statements, COPY, timed clients).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

use crate::data::CopyData;

/// Vellum or PostgreSQL.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Engine {
    Vellum,
    Postgres,
}

/// One engine under test and what has been loaded into it.
pub struct Side {
    pub engine: Engine,
    pub conninfo: String,
    pub client: Client,
    /// `big`: the plain table of `rows` rows the reading workloads use.
    pub has_big: bool,
    /// The chained table holding `rows` rows: Vellum's blockchain table, PostgreSQL's `ledger_chain`.
    pub ledger: Option<String>,
    pub has_join_tables: bool,
    /// Next id for single-row INSERTs (shared by the clients of a run).
    pub next_id: Arc<AtomicI64>,
}

impl Side {
    pub async fn connect(engine: Engine, conninfo: String) -> Result<Side, String> {
        let client = connect(&conninfo).await?;
        Ok(Side {
            engine,
            conninfo,
            client,
            has_big: false,
            ledger: None,
            has_join_tables: false,
            next_id: Arc::new(AtomicI64::new(1)),
        })
    }

    /// Runs `sql` (one or more statements) through the simple query protocol.
    pub async fn batch(&self, sql: &str) -> Result<(), String> {
        self.client.batch_execute(sql).await.map_err(|e| describe(&e))
    }

    /// The first column of the first row of `sql`, as text.
    pub async fn scalar(&self, sql: &str) -> Result<Option<String>, String> {
        let messages = self.client.simple_query(sql).await.map_err(|e| describe(&e))?;
        for message in messages {
            if let SimpleQueryMessage::Row(row) = message {
                return Ok(row.get(0).map(str::to_string));
            }
        }
        Err(format!("no row from {sql}"))
    }

    /// COPY of all of `data` into `table`; returns the elapsed time.
    pub async fn copy_in(&self, table: &str, data: &CopyData) -> Result<Duration, String> {
        let start = Instant::now();
        let sink = self
            .client
            .copy_in::<_, bytes::Bytes>(&format!(
                "COPY {table} (id, account, amount, currency, ts, meta) FROM STDIN"
            ))
            .await
            .map_err(|e| describe(&e))?;
        futures_util::pin_mut!(sink);
        for chunk in &data.chunks {
            sink.send(chunk.clone()).await.map_err(|e| describe(&e))?;
        }
        let copied = sink.finish().await.map_err(|e| describe(&e))?;
        if copied != data.rows as u64 {
            return Err(format!("COPY into {table} reported {copied} rows, {} sent", data.rows));
        }
        Ok(start.elapsed())
    }
}

pub async fn connect(conninfo: &str) -> Result<Client, String> {
    let (client, connection) = tokio_postgres::connect(conninfo, NoTls)
        .await
        .map_err(|e| describe(&e))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("connection error: {e}");
        }
    });
    Ok(client)
}

/// A tokio-postgres error with the server's message and SQLSTATE when there is one.
pub fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

/// What one statement of a client loop does.
#[derive(Clone, Copy)]
pub enum ClientOp {
    /// `INSERT INTO singles` of one row, autocommit.
    Insert,
    /// Point SELECT of a random id among `1..=rows` of `big`.
    PointSelect { rows: i64 },
}

/// The outcome of `clients` connections each running `op` back to back for `duration`.
pub struct ClientRun {
    pub ops_per_sec: f64,
    pub latencies_ms: Vec<f64>,
}

/// Runs `clients` connections, each preparing its statement once (extended protocol) and executing
/// it until `duration` has passed.
pub async fn run_clients(side: &Side, clients: usize, duration: Duration, op: ClientOp) -> Result<ClientRun, String> {
    let mut connections = Vec::new();
    for _ in 0..clients {
        connections.push(connect(&side.conninfo).await?);
    }
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for client in connections {
        let next_id = side.next_id.clone();
        tasks.push(tokio::spawn(
            async move { client_loop(client, op, deadline, next_id).await },
        ));
    }
    let mut latencies_ms = Vec::new();
    for task in tasks {
        latencies_ms.extend(task.await.map_err(|e| e.to_string())??);
    }
    let elapsed = start.elapsed().as_secs_f64();
    Ok(ClientRun {
        ops_per_sec: latencies_ms.len() as f64 / elapsed,
        latencies_ms,
    })
}

async fn client_loop(
    client: Client,
    op: ClientOp,
    deadline: Instant,
    next_id: Arc<AtomicI64>,
) -> Result<Vec<f64>, String> {
    let sql = match op {
        ClientOp::Insert => {
            r#"INSERT INTO singles VALUES ($1, $2, 12.34, 'EUR', '2024-01-01 00:00:00', '{"ref": "single"}')"#
        }
        ClientOp::PointSelect { .. } => "SELECT account FROM big WHERE id = $1",
    };
    let statement = client.prepare(sql).await.map_err(|e| describe(&e))?;
    let mut latencies = Vec::new();
    while Instant::now() < deadline {
        let start = Instant::now();
        match op {
            ClientOp::Insert => {
                let id = next_id.fetch_add(1, Ordering::Relaxed);
                let account = id % 1000 + 1;
                let n = client
                    .execute(&statement, &[&id, &account])
                    .await
                    .map_err(|e| describe(&e))?;
                if n != 1 {
                    return Err(format!("INSERT reported {n} rows"));
                }
            }
            ClientOp::PointSelect { rows } => {
                let id = fastrand::i64(1..=rows);
                let found = client.query(&statement, &[&id]).await.map_err(|e| describe(&e))?;
                if found.len() != 1 {
                    return Err(format!("SELECT of id {id} returned {} rows", found.len()));
                }
            }
        }
        latencies.push(start.elapsed().as_secs_f64() * 1e3);
    }
    Ok(latencies)
}
