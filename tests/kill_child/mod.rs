//! The kill -9 harness shared by the crash tests: the test binary re-runs one of its own tests as
//! a child process that commits forever and prints `committed N` after each COMMIT returns; the
//! parent kills it with SIGKILL after a random number of acknowledgements and then checks the
//! data directory itself.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use vellum::types::Value;
use vellum::StatementResult;

/// Set in the child's environment: the data directory, and the round number.
pub const CHILD_DIR: &str = "VELLUM_CRASH_DIR";
pub const CHILD_ROUND: &str = "VELLUM_CRASH_ROUND";

/// `Some((dir, round))` when this process is the child and should play its role.
pub fn child_role() -> Option<(String, i64)> {
    let dir = std::env::var(CHILD_DIR).ok()?;
    let round = std::env::var(CHILD_ROUND).ok()?.parse().ok()?;
    Some((dir, round))
}

/// A xorshift step: where in the run each round's kill lands, reproducibly.
pub fn next_random(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// Runs test `test_name` of this binary as the child over `dir`, waits for `kill_after`
/// acknowledged commits, kills it with SIGKILL and returns the acknowledged transaction numbers.
pub fn run_until_killed(test_name: &str, dir: &Path, round: u32, kill_after: usize) -> Vec<i64> {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--exact", test_name, "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .env(CHILD_ROUND, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut acknowledged = Vec::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        if let Some(txn) = line.strip_prefix("committed ") {
            acknowledged.push(txn.parse::<i64>().unwrap());
            if acknowledged.len() >= kill_after {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        acknowledged.len() >= kill_after,
        "child of round {round} stopped early after {} commits",
        acknowledged.len()
    );
    acknowledged
}

/// The rows of the last statement in `sql`.
pub fn rows(session: &mut vellum::Session, sql: &str) -> Vec<Vec<Value>> {
    match session.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).pop() {
        Some(StatementResult::Query { rows, .. }) => rows,
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

pub fn int(v: &Value) -> i64 {
    match v {
        Value::Int2(i) => *i as i64,
        Value::Int4(i) => *i as i64,
        Value::Int8(i) => *i,
        other => panic!("expected an integer, got {other:?}"),
    }
}

/// Checks what survived a round: every transaction in `table` (column `txn`) has all its
/// `rows_per_txn` rows, and every `acknowledged` one is there. Returns the transactions present.
pub fn assert_whole_transactions(
    session: &mut vellum::Session,
    table: &str,
    rows_per_txn: i64,
    acknowledged: &[i64],
    round: u32,
) -> std::collections::HashSet<i64> {
    let present = rows(session, &format!("SELECT txn, count(*) FROM {table} GROUP BY txn"));
    for row in &present {
        assert_eq!(
            int(&row[1]),
            rows_per_txn,
            "transaction {} is present only in part",
            int(&row[0])
        );
    }
    let present: std::collections::HashSet<i64> = present.iter().map(|r| int(&r[0])).collect();
    for txn in acknowledged {
        assert!(
            present.contains(txn),
            "acknowledged transaction {txn} was lost (round {round})"
        );
    }
    present
}
