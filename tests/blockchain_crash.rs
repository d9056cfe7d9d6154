//! Blockchain tables survive kill -9: a child process inserts into a blockchain table (small
//! blocks, so commits seal; some explicit seals too) and reports each transaction only after
//! COMMIT returns; the parent kills it with SIGKILL at random moments, reopens, and checks
//! that every acknowledged row is present exactly once, every row is in the chain exactly
//! once (sealed or pending), and the chain verifies. Several rounds reuse the directory.

mod kill_child;

use kill_child::{assert_whole_transactions, child_role, int, next_random, rows, run_until_killed};
use vellum::types::Value;
use vellum::Database;

const ROWS_PER_TXN: i64 = 2;

fn run_child(dir: &str, round: i64) -> ! {
    let db = Database::open(dir).unwrap();
    let mut s = db.session();
    s.execute(
        "CREATE BLOCKCHAIN TABLE IF NOT EXISTS chained (id bigint PRIMARY KEY, txn bigint NOT NULL, payload text)
         WITH (block_size = 5, block_seal_interval = '0')",
    )
    .unwrap();
    for i in 0.. {
        let txn = round * 1_000_000 + i;
        let values: Vec<String> = (0..ROWS_PER_TXN)
            .map(|k| format!("({}, {txn}, 'payload {txn} {k}')", txn * ROWS_PER_TXN + k))
            .collect();
        s.execute(&format!("INSERT INTO chained VALUES {}", values.join(", ")))
            .unwrap();
        if i % 7 == 3 {
            s.execute("SELECT seal_blockchain_block('chained')").unwrap();
        }
        println!("committed {txn}");
    }
    unreachable!("the child commits until it is killed")
}

#[test]
fn chained_rows_survive_kill_9_once_each() {
    if let Some((dir, round)) = child_role() {
        run_child(&dir, round);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut acknowledged = Vec::new();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for round in 0..4 {
        let kill_after = 5 + (next_random(&mut seed) % 50) as usize;
        acknowledged.extend(run_until_killed(
            "chained_rows_survive_kill_9_once_each",
            dir.path(),
            round,
            kill_after,
        ));

        let db = Database::open(dir.path()).unwrap();
        let mut s = db.session();
        assert_whole_transactions(&mut s, "chained", ROWS_PER_TXN, &acknowledged, round);
        let total = int(&rows(&mut s, "SELECT count(*) FROM chained")[0][0]);
        // Every row holds its own position: sealed ones by (block, index), pending ones by index.
        let positioned = int(&rows(
            &mut s,
            "SELECT count(*) FROM (SELECT DISTINCT _block_id, _row_index FROM chained WHERE _row_index IS NOT NULL) p",
        )[0][0]);
        assert_eq!(
            positioned, total,
            "round {round}: a row lacks or shares a chain position"
        );
        let sealed = int(&rows(
            &mut s,
            "SELECT coalesce(sum(row_count), 0)::bigint FROM blockchain_metadata('chained')",
        )[0][0]);
        let pending = int(&rows(&mut s, "SELECT count(*) FROM chained WHERE _block_id IS NULL")[0][0]);
        assert_eq!(sealed + pending, total, "round {round}: chain and table disagree");
        assert!(pending < 5, "round {round}: {pending} rows pending, block_size is 5");
        let report = rows(
            &mut s,
            "SELECT block_id, finding, detail FROM blockchain_tamper_report('chained')",
        );
        assert!(report.is_empty(), "round {round}: {report:?}");
        assert_eq!(
            rows(&mut s, "SELECT verify_blockchain('chained')")[0][0],
            Value::Bool(true)
        );
    }
}
