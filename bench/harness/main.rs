//! `vellum-bench`: Vellum beside PostgreSQL 15 in one run, on the same machine, through the same
//! client library (tokio-postgres over TCP loopback).
//!
//! It starts a fresh `vellum serve` (the release binary built next to this one) and, with
//! `--compare-postgres`, a fresh PostgreSQL 15 (default configuration, throw-away data directory);
//! runs each selected workload on both, alternating, for `--rounds` rounds; prints a table of
//! medians, ratios, spreads and the targets they are held to; and writes it to bench/RESULTS.md
//! between the `vellum-bench` markers (unless `--no-write`). Without PostgreSQL it runs Vellum alone
//! and says so.
//!
//! The defaults (1,000,000 rows, 3 rounds, 5 s per time-boxed round) take about 10 minutes on a
//! 2-core machine: the bulk loads are sized by `--rows`, everything else by `--duration`.
//!
//! Usage: `cargo build --release --bin vellum && cargo run --release --bin vellum-bench --
//! --compare-postgres [--rows N] [--rounds N] [--duration SECONDS] [--workloads copy,point,...]`

mod client;
mod data;
mod machine;
mod report;
mod servers;
mod stats;
mod workloads;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// mimalloc instead of the system allocator: the engine allocates small row and key buffers at a
/// high rate from many threads, where glibc's malloc spent a third of a bulk COPY (bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use crate::client::{Engine, Side};
use crate::report::Metric;
use crate::servers::{free_port, PostgresServer, VellumServer};
use crate::workloads::{Context, WORKLOADS};

#[derive(Parser)]
#[command(name = "vellum-bench", about = "Vellum against PostgreSQL 15, side by side")]
struct Args {
    /// Also start a fresh PostgreSQL 15 and run every workload on it.
    #[arg(long)]
    compare_postgres: bool,
    /// Rows of the big table and of each bulk ingest.
    #[arg(long, default_value_t = 1_000_000)]
    rows: i64,
    /// Rounds per workload, alternating the engines.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Seconds per round of the time-boxed workloads (multi-row INSERT, single-row INSERT, point
    /// SELECT, scans, seals).
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Workloads to run, comma-separated, by name or number: copy (1), insert (2), single (3),
    /// point (4), scan (5), verify (6), seal (7). All by default.
    #[arg(long, value_delimiter = ',')]
    workloads: Vec<String>,
    /// Print the table only; leave bench/RESULTS.md alone.
    #[arg(long)]
    no_write: bool,
    /// Vellum's loopback port (0: any free one).
    #[arg(long, default_value_t = 0)]
    vellum_port: u16,
    /// PostgreSQL's loopback port (0: any free one).
    #[arg(long, default_value_t = 0)]
    pg_port: u16,
    /// Run Vellum without its audit chain (`vellum serve --no-audit`), to measure what the
    /// audit costs against a run without this flag.
    #[arg(long)]
    no_audit: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("vellum-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> Result<(), String> {
    let selected = selected_workloads(&args.workloads)?;
    if args.rows < 1 || args.rounds < 1 || args.duration.is_nan() || args.duration <= 0.0 {
        return Err("--rows, --rounds and --duration must be positive".into());
    }
    let machine = machine::describe();
    let command = std::iter::once("cargo run --release --bin vellum-bench --".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");

    let vellum = VellumServer::start(free_port(args.vellum_port)?, args.no_audit)?;
    eprintln!("vellum serve listening on 127.0.0.1:{}", vellum.port);
    let (postgres, alone) = match (args.compare_postgres, PostgresServer::available()) {
        (false, _) => (None, Some("--compare-postgres not given".to_string())),
        (true, false) => (
            None,
            Some(format!("PostgreSQL 15 is not installed under {}", servers::PG_BIN)),
        ),
        (true, true) => {
            let server = PostgresServer::start(free_port(args.pg_port)?)?;
            eprintln!("PostgreSQL 15 listening on 127.0.0.1:{}", server.port);
            (Some(server), None)
        }
    };
    if let Some(why) = &alone {
        eprintln!("running Vellum alone: {why}");
    }

    let mut sides = vec![Side::connect(Engine::Vellum, vellum.connection_string()).await?];
    if let Some(pg) = &postgres {
        let side = Side::connect(Engine::Postgres, pg.connection_string()).await?;
        side.batch(data::PG_CHAIN_FUNCTION).await?;
        sides.push(side);
    }
    eprintln!("generating {} rows", args.rows);
    let ctx = Context {
        rows: args.rows,
        duration: Duration::from_secs_f64(args.duration),
        data: data::CopyData::generate(args.rows),
    };

    let mut table: Vec<Metric> = Vec::new();
    let mut not_measured: Vec<String> = Vec::new();
    for workload in selected {
        let mut metrics = workloads::metrics(workload, args.rows);
        // An engine that fails a workload sits out its remaining rounds; the other one goes on.
        let mut failed = vec![false; sides.len()];
        for round in 1..=args.rounds {
            // Alternate which engine goes first, so neither always runs on a warmer machine.
            let order: Vec<usize> = if round % 2 == 1 {
                (0..sides.len()).collect()
            } else {
                (0..sides.len()).rev().collect()
            };
            for i in order {
                let Some(side) = sides.get_mut(i) else { continue };
                if failed.get(i).copied().unwrap_or(true) || !workloads::runs_on(workload, side.engine) {
                    continue;
                }
                eprintln!("round {round}/{}: {workload} on {:?}", args.rounds, side.engine);
                if let Err(e) = workloads::run_round(workload, round, side, &ctx, &mut metrics).await {
                    eprintln!("  {workload} not available on {:?}: {e}", side.engine);
                    not_measured.push(format!("{workload} on {:?} ({e})", side.engine));
                    for m in &mut metrics {
                        match side.engine {
                            Engine::Vellum => m.unavailable = Some(e.clone()),
                            Engine::Postgres => m.baseline_unavailable = Some(e.clone()),
                        }
                    }
                    if let Some(f) = failed.get_mut(i) {
                        *f = true;
                    }
                }
            }
        }
        table.extend(metrics);
    }
    drop(sides);
    drop(postgres);
    drop(vellum);

    let section = section(args, &machine, &command, &table, &not_measured, alone.as_deref());
    println!("{section}");
    if !args.no_write {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/RESULTS.md");
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        std::fs::write(&path, report::replace_section(&text, &section))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("written to {}", path.display());
    }
    Ok(())
}

/// The workload keys `requested` names (all when empty), in run order.
fn selected_workloads(requested: &[String]) -> Result<Vec<&'static str>, String> {
    if requested.is_empty() {
        return Ok(WORKLOADS.iter().map(|(key, _)| *key).collect());
    }
    let mut keys = Vec::new();
    for name in requested {
        let found = WORKLOADS
            .iter()
            .enumerate()
            .find(|(i, (key, _))| *key == name.trim() || (i + 1).to_string() == name.trim());
        match found {
            Some((_, (key, _))) => keys.push(*key),
            None => {
                let known: Vec<&str> = WORKLOADS.iter().map(|(key, _)| *key).collect();
                return Err(format!("unknown workload {name:?}; known: {}", known.join(", ")));
            }
        }
    }
    Ok(WORKLOADS
        .iter()
        .map(|(key, _)| *key)
        .filter(|key| keys.contains(key))
        .collect())
}

/// The RESULTS.md section: how and where the figures were taken, the table, and the misses.
fn section(
    args: &Args,
    machine: &machine::Machine,
    command: &str,
    table: &[Metric],
    not_measured: &[String],
    alone: Option<&str>,
) -> String {
    let compared = match alone {
        None => "alternating Vellum and PostgreSQL 15 (default configuration, `synchronous_commit = on`; Vellum \
                 fsyncs each COMMIT with group commit)"
            .to_string(),
        Some(why) => format!("**Vellum alone, PostgreSQL 15 did not run: {why}**"),
    };
    let mut out = format!(
        "## Side by side: vellum-bench\n\n\
         Measured {} on {}, {} cores, {} memory, load average at start {}, with\n\
         `{command}`:\n{} rows of ~100 bytes, {} round(s) per workload, {compared}; {} s per round of the \
         time-boxed workloads. Every client is tokio-postgres over TCP loopback. Ratios are Vellum ÷ \
         PostgreSQL of the figure shown (for ms, below 1 means Vellum is faster); MB/s counts the rows' \
         COPY text.\n\n",
        machine.date, machine.cpu, machine.cores, machine.memory, machine.load, args.rows, args.rounds, args.duration,
    );
    out.push_str(&report::render_table(table));
    let misses: Vec<&str> = table
        .iter()
        .filter(|m| m.missed())
        .map(|m| m.workload.as_str())
        .collect();
    if !misses.is_empty() {
        out.push_str(&format!("\nTargets missed: {}.\n", misses.join("; ")));
    }
    if !not_measured.is_empty() {
        out.push_str(&format!("\nNot measured: {}.\n", not_measured.join("; ")));
    }
    out
}
