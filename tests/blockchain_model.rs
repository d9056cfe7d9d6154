//! A model test of a blockchain table: seeded random sequences of inserts (single and
//! multi-row, committed or rolled back), explicit seals and restarts, compared after every
//! step with a reference model of the chain: which rows are committed, in which order, and
//! how they are cut into blocks (a block when `block_size` rows are pending, or on request).

use vellum::types::Value;
use vellum::{Database, Session, StatementResult};

const BLOCK_SIZE: usize = 4;

fn rows(s: &mut Session, sql: &str) -> Vec<Vec<Value>> {
    match s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).pop() {
        Some(StatementResult::Query { rows, .. }) => rows,
        other => panic!("{sql}: expected rows, got {other:?}"),
    }
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int4(i) => i64::from(*i),
        Value::Int8(i) => *i,
        other => panic!("expected an integer, got {other:?}"),
    }
}

/// The reference: committed ids in chain order, and the row count of each sealed block.
#[derive(Default)]
struct Model {
    chain: Vec<i64>,
    blocks: Vec<usize>,
}

impl Model {
    fn pending(&self) -> usize {
        self.chain.len() - self.blocks.iter().sum::<usize>()
    }

    fn commit(&mut self, ids: &[i64]) {
        for id in ids {
            self.chain.push(*id);
            if self.pending() == BLOCK_SIZE {
                self.blocks.push(BLOCK_SIZE);
            }
        }
    }

    /// What `seal_blockchain_block` returns, and its effect.
    fn seal(&mut self) -> Option<i64> {
        let pending = self.pending();
        if pending == 0 {
            return None;
        }
        self.blocks.push(pending);
        Some(self.blocks.len() as i64)
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

fn check(s: &mut Session, model: &Model, step: usize) {
    // Chain order: sealed rows by block and index, then pending rows by index.
    let chain: Vec<i64> = rows(
        s,
        "SELECT id FROM m ORDER BY coalesce(_block_id, 9223372036854775807), _row_index",
    )
    .iter()
    .map(|r| int(&r[0]))
    .collect();
    assert_eq!(chain, model.chain, "step {step}: chain order");
    let blocks: Vec<usize> = rows(
        s,
        "SELECT row_count FROM blockchain_metadata('m') WHERE block_type = 'data' ORDER BY block_id",
    )
    .iter()
    .map(|r| int(&r[0]) as usize)
    .collect();
    assert_eq!(blocks, model.blocks, "step {step}: blocks");
    assert_eq!(
        rows(s, "SELECT verify_blockchain('m')")[0][0],
        Value::Bool(true),
        "step {step}"
    );
}

#[test]
fn random_inserts_seals_rollbacks_and_restarts_match_the_model() {
    for seed in [0x1234_5678_9abc_def1u64, 0x0fed_cba9_8765_4321] {
        let dir = tempfile::tempdir().unwrap();
        let mut db = Database::open(dir.path()).unwrap();
        let mut s = db.session();
        s.execute(&format!(
            "CREATE BLOCKCHAIN TABLE m (id int PRIMARY KEY, note text) \
             WITH (block_size = {BLOCK_SIZE}, block_seal_interval = '0')"
        ))
        .unwrap();
        let mut model = Model::default();
        let mut rng = Rng(seed);
        let mut next_id = 0i64;
        for step in 0..120 {
            match rng.next(10) {
                0..=3 => {
                    let n = 1 + rng.next(6) as i64;
                    let ids: Vec<i64> = (next_id..next_id + n).collect();
                    next_id += n;
                    let values: Vec<String> = ids.iter().map(|i| format!("({i}, 'n{i}')")).collect();
                    s.execute(&format!("INSERT INTO m VALUES {}", values.join(", ")))
                        .unwrap();
                    model.commit(&ids);
                }
                4 => {
                    // Two statements in one transaction, committed.
                    let ids = [next_id, next_id + 1];
                    next_id += 2;
                    s.execute(&format!(
                        "BEGIN; INSERT INTO m VALUES ({}, 'a'); INSERT INTO m VALUES ({}, 'b'); COMMIT",
                        ids[0], ids[1]
                    ))
                    .unwrap();
                    model.commit(&ids);
                }
                5 => {
                    s.execute(&format!("BEGIN; INSERT INTO m VALUES ({next_id}, 'gone'); ROLLBACK"))
                        .unwrap();
                    next_id += 1;
                }
                6 => {
                    // A failing statement rolls its transaction back entirely.
                    let dup = model.chain.first().copied().unwrap_or(-1);
                    let result = s.execute(&format!(
                        "INSERT INTO m VALUES ({next_id}, 'x'), ({}, 'dup')",
                        if dup >= 0 { dup } else { next_id }
                    ));
                    assert!(result.is_err(), "step {step}: duplicate key accepted");
                    next_id += 1;
                }
                7 | 8 => {
                    let expected = model.seal().map_or(Value::Null, Value::Int8);
                    assert_eq!(
                        rows(&mut s, "SELECT seal_blockchain_block('m')")[0][0],
                        expected,
                        "step {step}: seal"
                    );
                }
                _ => {
                    drop(s);
                    drop(db);
                    db = Database::open(dir.path()).unwrap();
                    s = db.session();
                }
            }
            check(&mut s, &model, step);
        }
    }
}
