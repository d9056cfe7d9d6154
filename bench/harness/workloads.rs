//! The seven workloads of the comparison. Each one names the rows it reports (`metrics`) and runs
//! one round on one engine (`run_round`), appending that round's figures to its rows; the caller
//! alternates engines and rounds. Tables a workload needs but did not create itself are loaded,
//! untimed, by the `ensure_*` functions.

use std::time::{Duration, Instant};

use crate::client::{run_clients, ClientOp, Engine, Side};
use crate::data::{self, CopyData, COLUMNS};
use crate::report::{Better, Metric, Target};
use crate::stats::{percentile, Latencies};

/// Every workload, in the order they run: (key, description).
pub const WORKLOADS: [(&str, &str); 7] = [
    ("copy", "bulk ingest with COPY FROM STDIN"),
    ("insert", "multi-row INSERT, 1000 rows per statement"),
    ("single", "single-row autocommit INSERT, 1 and 8 clients"),
    ("point", "point SELECT by primary key, prepared, 1 and 8 clients"),
    ("scan", "range scan with aggregate, and a 3-table join"),
    ("verify", "full-chain verification"),
    ("seal", "seal latency of a 1000-row block"),
];

/// Rows per seal in the seal workload, and per statement in the multi-row INSERT workload.
const BLOCK_ROWS: i64 = 1_000;

/// What every round of every workload shares.
pub struct Context {
    pub rows: i64,
    pub duration: Duration,
    pub data: CopyData,
}

/// Whether `workload` has anything to run on `engine` (PostgreSQL has no blocks to seal).
pub fn runs_on(workload: &str, engine: Engine) -> bool {
    !(workload == "seal" && engine == Engine::Postgres)
}

/// The rows `workload` reports, without figures yet.
pub fn metrics(workload: &str, rows: i64) -> Vec<Metric> {
    let higher = |name: &str, unit: &str| Metric::new(name, unit, Better::Higher);
    let lower = |name: &str, unit: &str| Metric::new(name, unit, Better::Lower);
    match workload {
        "copy" => vec![
            higher("1. COPY: Vellum blockchain table vs PostgreSQL plain table", "rows/s")
                .with_target(Target::RatioAtLeast(2.5)),
            higher(
                "1. COPY: Vellum blockchain table vs PostgreSQL hash-chain trigger",
                "rows/s",
            )
            .with_target(Target::RatioAtLeast(5.0)),
        ],
        "insert" => vec![higher("2. multi-row INSERT (1000 rows/statement)", "rows/s")],
        "single" => [1, 8]
            .into_iter()
            .flat_map(|c| {
                let p95 = lower(&format!("3. single-row INSERT, {}: p95", clients(c)), "ms")
                    .with_target(Target::RatioAtMost(1.0));
                let ops = higher(&format!("3. single-row INSERT, {}", clients(c)), "ops/s");
                vec![
                    if c == 8 {
                        ops.with_target(Target::RatioAtLeast(1.0))
                    } else {
                        ops
                    },
                    lower(&format!("3. single-row INSERT, {}: p50", clients(c)), "ms"),
                    p95,
                    lower(&format!("3. single-row INSERT, {}: p99", clients(c)), "ms"),
                ]
            })
            .collect(),
        "point" => [1, 8]
            .into_iter()
            .flat_map(|c| {
                vec![
                    higher(&format!("4. point SELECT, {}", clients(c)), "ops/s").with_target(Target::RatioAtLeast(1.0)),
                    lower(&format!("4. point SELECT, {}: p50", clients(c)), "ms"),
                    lower(&format!("4. point SELECT, {}: p99", clients(c)), "ms"),
                ]
            })
            .collect(),
        "scan" => vec![
            lower(
                &format!("5. range scan + aggregate over {} rows", range_rows(rows)),
                "ms",
            ),
            lower(
                &format!("5. 3-table join + aggregate over {} rows", join_rows(rows)),
                "ms",
            ),
        ],
        "verify" => {
            // The target is per core: 70% of one core's SHA-256 bandwidth on every core verification uses.
            let mut sha = higher(
                &format!("6. verification vs this machine's SHA-256 × {} cores", cores()),
                "MB/s",
            )
            .with_target(Target::RatioAtLeast(0.7));
            sha.baseline_name = Some(format!("SHA-256 × {}", cores()));
            vec![
                higher(
                    "6. full-chain verification (PostgreSQL recomputes its trigger chain)",
                    "rows/s",
                ),
                higher(
                    "6. full-chain verification (PostgreSQL recomputes its trigger chain)",
                    "MB/s",
                ),
                sha,
            ]
        }
        "seal" => vec![
            lower("7. seal of a 1000-row block: p50 (Vellum only)", "ms"),
            lower("7. seal of a 1000-row block: p99 (Vellum only)", "ms").with_target(Target::VellumBelow(2.0)),
        ],
        _ => Vec::new(),
    }
}

/// Runs one round of `workload` on `side`, appending its figures to `metrics` (as returned by
/// `metrics`), Vellum's or the baseline's by the side's engine.
pub async fn run_round(
    workload: &str,
    round: usize,
    side: &mut Side,
    ctx: &Context,
    metrics: &mut [Metric],
) -> Result<(), String> {
    let engine = side.engine;
    let rows = ctx.rows as f64;
    match workload {
        "copy" => match engine {
            Engine::Vellum => {
                let table = format!("ledger_{round}");
                side.batch(&format!(
                    "CREATE BLOCKCHAIN TABLE {table} ({COLUMNS}) WITH (block_size = 1000)"
                ))
                .await?;
                let secs = side.copy_in(&table, &ctx.data).await?.as_secs_f64();
                record(metrics, engine, 0, rows / secs);
                record(metrics, engine, 1, rows / secs);
                if let Some(previous) = side.ledger.replace(table) {
                    // Blockchain tables may refuse DROP; then the old round's rows just stay.
                    let _ = side.batch(&format!("DROP TABLE {previous}")).await;
                }
            }
            Engine::Postgres => {
                side.has_big = false;
                side.batch(&format!("DROP TABLE IF EXISTS big; CREATE TABLE big ({COLUMNS})"))
                    .await?;
                record(
                    metrics,
                    engine,
                    0,
                    rows / side.copy_in("big", &ctx.data).await?.as_secs_f64(),
                );
                side.has_big = true;
                side.ledger = None;
                side.batch(&data::pg_chain_table_sql()).await?;
                record(
                    metrics,
                    engine,
                    1,
                    rows / side.copy_in("ledger_chain", &ctx.data).await?.as_secs_f64(),
                );
                side.ledger = Some("ledger_chain".into());
            }
        },
        "insert" => {
            let table = format!("multi_{round}");
            side.batch(&format!("CREATE TABLE {table} ({COLUMNS})")).await?;
            let start = Instant::now();
            let mut inserted = 0;
            while inserted < ctx.rows && start.elapsed() < ctx.duration {
                let count = BLOCK_ROWS.min(ctx.rows - inserted);
                side.batch(&data::insert_statement(&table, inserted + 1, count)).await?;
                inserted += count;
            }
            record(metrics, engine, 0, inserted as f64 / start.elapsed().as_secs_f64());
            side.batch(&format!("DROP TABLE {table}")).await?;
        }
        "single" => {
            side.batch(&format!("CREATE TABLE IF NOT EXISTS singles ({COLUMNS})"))
                .await?;
            for (offset, clients) in [(0, 1), (4, 8)] {
                let run = run_clients(side, clients, ctx.duration, ClientOp::Insert).await?;
                let lat = Latencies::of(&run.latencies_ms).ok_or("no INSERT completed")?;
                for (i, v) in [run.ops_per_sec, lat.p50, lat.p95, lat.p99].into_iter().enumerate() {
                    record(metrics, engine, offset + i, v);
                }
            }
        }
        "point" => {
            ensure_big(side, ctx).await?;
            for (offset, clients) in [(0, 1), (3, 8)] {
                let run = run_clients(side, clients, ctx.duration, ClientOp::PointSelect { rows: ctx.rows }).await?;
                let lat = Latencies::of(&run.latencies_ms).ok_or("no SELECT completed")?;
                for (i, v) in [run.ops_per_sec, lat.p50, lat.p99].into_iter().enumerate() {
                    record(metrics, engine, offset + i, v);
                }
            }
        }
        "scan" => {
            ensure_big(side, ctx).await?;
            ensure_join_tables(side).await?;
            let lo = ctx.rows / 4 + 1;
            let range = format!(
                "SELECT count(*), sum(amount) FROM big WHERE id BETWEEN {lo} AND {}",
                lo + range_rows(ctx.rows) - 1
            );
            let join = format!(
                "SELECT c.name, count(*), sum(b.amount) FROM big b JOIN accounts a ON a.id = b.account \
                 JOIN currencies c ON c.code = b.currency WHERE b.id <= {} GROUP BY c.name ORDER BY c.name",
                join_rows(ctx.rows)
            );
            for (i, sql) in [range, join].iter().enumerate() {
                record(metrics, engine, i, repeat_query(side, sql, ctx.duration).await?);
            }
        }
        "verify" => {
            ensure_ledger(side, ctx).await?;
            if engine == Engine::Vellum {
                // Measured before the verification, so the baseline stands even if that fails.
                if let Some(sha) = metrics.get_mut(2) {
                    sha.baseline.push(sha256_bandwidth() * cores() as f64);
                }
            }
            let table = side.ledger.clone().ok_or("no chained table")?;
            let start = Instant::now();
            match engine {
                Engine::Vellum => {
                    let ok = side.scalar(&format!("SELECT verify_blockchain('{table}')")).await?;
                    if ok.as_deref() != Some("t") {
                        return Err(format!("verify_blockchain('{table}') returned {ok:?}"));
                    }
                }
                Engine::Postgres => {
                    let broken = side.scalar(data::PG_CHAIN_VERIFY).await?;
                    if broken.as_deref() != Some("0") {
                        return Err(format!("the trigger chain has {broken:?} broken links"));
                    }
                }
            }
            let secs = start.elapsed().as_secs_f64();
            let mb_per_sec = ctx.data.bytes as f64 / 1e6 / secs;
            record(metrics, engine, 0, rows / secs);
            record(metrics, engine, 1, mb_per_sec);
            if engine == Engine::Vellum {
                record(metrics, engine, 2, mb_per_sec);
            }
        }
        "seal" => {
            if runs_on("seal", engine) {
                let table = format!("seal_{round}");
                // A block size above the rows pending at each seal, so only the explicit seal closes blocks.
                side.batch(&format!(
                    "CREATE BLOCKCHAIN TABLE {table} ({COLUMNS}) WITH (block_size = 10000)"
                ))
                .await?;
                let mut seals = Vec::new();
                let start = Instant::now();
                let mut next = 1;
                while seals.is_empty() || (start.elapsed() < ctx.duration && seals.len() < 500) {
                    side.batch(&data::insert_statement(&table, next, BLOCK_ROWS)).await?;
                    next += BLOCK_ROWS;
                    let sealed = Instant::now();
                    side.scalar(&format!("SELECT seal_blockchain_block('{table}')")).await?;
                    seals.push(sealed.elapsed().as_secs_f64() * 1e3);
                }
                record(metrics, engine, 0, percentile(&seals, 50.0).unwrap_or(f64::NAN));
                record(metrics, engine, 1, percentile(&seals, 99.0).unwrap_or(f64::NAN));
            }
        }
        other => return Err(format!("unknown workload {other}")),
    }
    Ok(())
}

/// Appends `value` to Vellum's or the baseline's figures of `metrics[index]`, by `engine`.
fn record(metrics: &mut [Metric], engine: Engine, index: usize, value: f64) {
    if let Some(m) = metrics.get_mut(index) {
        match engine {
            Engine::Vellum => m.vellum.push(value),
            Engine::Postgres => m.baseline.push(value),
        }
    }
}

fn clients(n: usize) -> String {
    if n == 1 {
        "1 client".into()
    } else {
        format!("{n} clients")
    }
}

/// Rows the range scan reads: the middle half of the table.
fn range_rows(rows: i64) -> i64 {
    (rows / 2).max(1)
}

/// Rows of `big` the join reads: at most 100,000, so one query stays within seconds on either engine.
fn join_rows(rows: i64) -> i64 {
    rows.min(100_000)
}

/// Runs `sql` back to back until `duration` has passed (at least once); the median time in ms.
async fn repeat_query(side: &Side, sql: &str, duration: Duration) -> Result<f64, String> {
    let start = Instant::now();
    let mut times = Vec::new();
    while times.is_empty() || start.elapsed() < duration {
        let one = Instant::now();
        side.scalar(sql).await?;
        times.push(one.elapsed().as_secs_f64() * 1e3);
    }
    crate::stats::median(&times).ok_or_else(|| "no query completed".into())
}

/// The cores verification hashes on (it uses all of them).
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// This machine's single-core SHA-256 bandwidth in MB/s, hashing a 64 MiB buffer.
fn sha256_bandwidth() -> f64 {
    let buffer: Vec<u8> = (0..64u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let start = Instant::now();
    let digest = vellum::crypto::sha256(&buffer);
    let secs = start.elapsed().as_secs_f64();
    std::hint::black_box(digest);
    buffer.len() as f64 / 1e6 / secs
}

/// Loads `big` (plain table, all rows) unless a workload already did.
async fn ensure_big(side: &mut Side, ctx: &Context) -> Result<(), String> {
    if !side.has_big {
        eprintln!("  loading {} rows into big on {:?} (untimed)", ctx.rows, side.engine);
        side.batch(&format!("DROP TABLE IF EXISTS big; CREATE TABLE big ({COLUMNS})"))
            .await?;
        side.copy_in("big", &ctx.data).await?;
        side.has_big = true;
    }
    Ok(())
}

/// Loads the chained table (Vellum: a blockchain table; PostgreSQL: the trigger chain) unless the
/// COPY workload left one.
async fn ensure_ledger(side: &mut Side, ctx: &Context) -> Result<(), String> {
    if side.ledger.is_none() {
        eprintln!(
            "  loading {} rows into the chained table on {:?} (untimed)",
            ctx.rows, side.engine
        );
        let table = match side.engine {
            Engine::Vellum => {
                side.batch(&format!(
                    "CREATE BLOCKCHAIN TABLE ledger ({COLUMNS}) WITH (block_size = 1000)"
                ))
                .await?;
                "ledger"
            }
            Engine::Postgres => {
                side.batch(&data::pg_chain_table_sql()).await?;
                "ledger_chain"
            }
        };
        side.copy_in(table, &ctx.data).await?;
        side.ledger = Some(table.into());
    }
    Ok(())
}

async fn ensure_join_tables(side: &mut Side) -> Result<(), String> {
    if !side.has_join_tables {
        side.batch(&data::join_tables_sql()).await?;
        side.has_join_tables = true;
    }
    Ok(())
}
