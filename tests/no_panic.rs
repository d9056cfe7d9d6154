//! Nothing a client sends may panic the engine: statements from our suites, cut short and with
//! tokens swapped, duplicated or dropped, must each produce a result or an error with a
//! SQLSTATE — and the session must keep working afterwards.

use std::panic::{catch_unwind, AssertUnwindSafe};

use vellum::Database;

/// SQL statements from the .slt suites (the lines between a `statement`/`query` header and
/// the next blank line or `----`).
fn corpus() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sqllogictest");
    let mut statements = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "slt")) {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut current: Option<String> = None;
        for line in text.lines() {
            if line.starts_with("statement ") || line.starts_with("query ") {
                current = Some(String::new());
            } else if line.trim().is_empty() || line.starts_with("----") {
                if let Some(sql) = current.take().filter(|s| !s.trim().is_empty()) {
                    statements.push(sql);
                }
            } else if let Some(sql) = current.as_mut() {
                sql.push_str(line);
                sql.push('\n');
            }
        }
    }
    statements
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(sql: &str, rng: &mut Rng) -> String {
    let mut tokens: Vec<&str> = sql.split_whitespace().collect();
    if tokens.is_empty() {
        return String::new();
    }
    match rng.below(5) {
        0 => tokens.truncate(rng.below(tokens.len()) + 1),
        1 => {
            let (a, b) = (rng.below(tokens.len()), rng.below(tokens.len()));
            tokens.swap(a, b);
        }
        2 => {
            let i = rng.below(tokens.len());
            tokens.remove(i);
        }
        3 => {
            let i = rng.below(tokens.len());
            let t = tokens[rng.below(tokens.len())];
            tokens.insert(i, t);
        }
        _ => {
            let cut = rng.below(sql.len());
            return sql
                .char_indices()
                .take_while(|(i, _)| *i < cut)
                .map(|(_, c)| c)
                .collect();
        }
    }
    tokens.join(" ")
}

#[test]
fn mutated_statements_never_panic() {
    let statements = corpus();
    assert!(
        statements.len() > 300,
        "expected the suites' statements, found {}",
        statements.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut session = db.session();
    session.execute("SET synchronous_commit = off").unwrap();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut errors = 0;
    let mut executed = 0;
    for round in 0..8 {
        for sql in &statements {
            let text = if round == 0 { sql.clone() } else { mutate(sql, &mut rng) };
            let outcome = catch_unwind(AssertUnwindSafe(|| session.execute(&text)));
            match outcome {
                Ok(Ok(_)) => executed += 1,
                Ok(Err(e)) => {
                    assert_eq!(e.sqlstate().len(), 5, "{text}: {e}");
                    assert!(!e.sqlstate().starts_with("XX"), "internal error for {text:?}: {e}");
                    errors += 1;
                    // Leave an aborted block so later statements are really executed.
                    if session.transaction_status() == vellum::session::TransactionStatus::Failed {
                        session.execute("ROLLBACK").unwrap();
                    }
                }
                Err(_) => panic!("the engine panicked on: {text}"),
            }
        }
        session.execute("ROLLBACK").unwrap();
    }
    // The session still works after all of that.
    session.execute("ROLLBACK").unwrap();
    assert!(session.execute("SELECT 1").is_ok());
    assert!(executed > 0 && errors > 0, "executed {executed}, errors {errors}");
}
