//! A COMMIT that returned survives kill -9: a child process commits multi-row transactions
//! through `Session` and reports each one only after COMMIT returns; the parent kills it with
//! SIGKILL at random moments, reopens the database, and checks that every acknowledged
//! transaction is present in full, no transaction is present in part, and the secondary index
//! agrees with the table. Several rounds reuse the same directory.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use vellum::types::Value;
use vellum::{Database, StatementResult};

const CHILD_DIR: &str = "VELLUM_CRASH_DIR";
const CHILD_ROUND: &str = "VELLUM_CRASH_ROUND";
const ROWS_PER_TXN: i64 = 3;

fn rows(session: &mut vellum::Session, sql: &str) -> Vec<Vec<Value>> {
    match session.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).pop() {
        Some(StatementResult::Query { rows, .. }) => rows,
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int2(i) => *i as i64,
        Value::Int4(i) => *i as i64,
        Value::Int8(i) => *i,
        other => panic!("expected an integer, got {other:?}"),
    }
}

/// The child role: commits transactions forever (until killed), acknowledging each on stdout.
fn run_child(dir: &str, round: &str) -> ! {
    let round: i64 = round.parse().unwrap();
    let db = Database::open(dir).unwrap();
    let mut s = db.session();
    s.execute(
        "CREATE TABLE IF NOT EXISTS ledger (id bigint PRIMARY KEY, txn bigint NOT NULL, payload text);
         CREATE INDEX IF NOT EXISTS ledger_txn ON ledger (txn)",
    )
    .unwrap();
    for i in 0.. {
        let txn = round * 1_000_000 + i;
        let mut sql = String::from("BEGIN; INSERT INTO ledger VALUES ");
        let values: Vec<String> = (0..ROWS_PER_TXN)
            .map(|k| {
                format!(
                    "({}, {txn}, 'payload {txn} {k} {}')",
                    txn * ROWS_PER_TXN + k,
                    "x".repeat(40)
                )
            })
            .collect();
        sql.push_str(&values.join(", "));
        sql.push_str("; COMMIT;");
        s.execute(&sql).unwrap();
        println!("committed {txn}");
    }
    unreachable!("the child commits until it is killed")
}

#[test]
fn committed_transactions_survive_kill_9() {
    // Re-executed as the child (see below), this test plays the child's role instead.
    if let (Ok(dir), Ok(round)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_ROUND)) {
        run_child(&dir, &round);
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut acknowledged = Vec::new();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..4 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let kill_after = 5 + (seed % 60) as usize;
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "committed_transactions_survive_kill_9",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_ROUND, round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut seen = 0;
        for line in stdout.lines() {
            let line = line.unwrap();
            if let Some(txn) = line.strip_prefix("committed ") {
                acknowledged.push(txn.parse::<i64>().unwrap());
                seen += 1;
                if seen >= kill_after {
                    break;
                }
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert!(
            seen >= kill_after,
            "child of round {round} stopped early after {seen} commits"
        );

        let db = Database::open(dir.path()).unwrap();
        let mut s = db.session();
        let present = rows(&mut s, "SELECT txn, count(*) FROM ledger GROUP BY txn ORDER BY txn");
        for row in &present {
            assert_eq!(
                int(&row[1]),
                ROWS_PER_TXN,
                "transaction {} is present only in part",
                int(&row[0])
            );
        }
        let present: std::collections::HashSet<i64> = present.iter().map(|r| int(&r[0])).collect();
        for txn in &acknowledged {
            assert!(
                present.contains(txn),
                "acknowledged transaction {txn} was lost (round {round})"
            );
        }
        let by_index = rows(&mut s, "SELECT count(*) FROM ledger WHERE txn >= 0");
        let total = rows(&mut s, "SELECT count(*) FROM ledger");
        assert_eq!(by_index, total);
        assert_eq!(int(&total[0][0]), present.len() as i64 * ROWS_PER_TXN);
    }
}
