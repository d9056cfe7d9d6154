//! A COMMIT that returned survives kill -9: a child process commits multi-row transactions
//! through `Session` and reports each one only after COMMIT returns; the parent kills it with
//! SIGKILL at random moments, reopens the database, and checks that every acknowledged
//! transaction is present in full, no transaction is present in part, and the secondary index
//! agrees with the table. Several rounds reuse the same directory.

mod kill_child;

use kill_child::{assert_whole_transactions, child_role, int, next_random, rows, run_until_killed};
use vellum::Database;

const ROWS_PER_TXN: i64 = 3;

/// The child role: commits transactions forever (until killed), acknowledging each on stdout.
fn run_child(dir: &str, round: i64) -> ! {
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
    if let Some((dir, round)) = child_role() {
        run_child(&dir, round);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut acknowledged = Vec::new();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..4 {
        let kill_after = 5 + (next_random(&mut seed) % 60) as usize;
        acknowledged.extend(run_until_killed(
            "committed_transactions_survive_kill_9",
            dir.path(),
            round,
            kill_after,
        ));

        let db = Database::open(dir.path()).unwrap();
        let mut s = db.session();
        let present = assert_whole_transactions(&mut s, "ledger", ROWS_PER_TXN, &acknowledged, round);
        let by_index = rows(&mut s, "SELECT count(*) FROM ledger WHERE txn >= 0");
        let total = rows(&mut s, "SELECT count(*) FROM ledger");
        assert_eq!(by_index, total);
        assert_eq!(int(&total[0][0]), present.len() as i64 * ROWS_PER_TXN);
    }
}
