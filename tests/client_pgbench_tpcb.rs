//! pgbench's standard initialization (`pgbench -i -s 1`: DROP/CREATE with fillfactor, COPY ...
//! WITH (FREEZE ON) inside a transaction, VACUUM ANALYZE, ALTER TABLE ADD PRIMARY KEY) and its
//! built-in TPC-B-like script with 4 clients (simple protocol), then 2 (prepared statements),
//! against the real `vellum` binary; afterwards the balances must agree as the script's updates
//! make them: every transaction adds the same delta to one account, teller and branch and
//! records it in pgbench_history.

mod client_common;

use std::process::Command;

use client_common::{assert_success, require, text, VellumProcess};

const PGBENCH: &str = "/usr/lib/postgresql/15/bin/pgbench";
const CLIENTS: u32 = 4;
const TRANSACTIONS_PER_CLIENT: u32 = 50;

fn pgbench(server: &VellumProcess, args: &[&str]) -> String {
    let output = Command::new(PGBENCH)
        .args(["-h", "127.0.0.1", "-p", &server.port.to_string(), "-U", "vellum"])
        .args(args)
        .arg("vellum")
        .output()
        .expect("pgbench runs");
    assert_success(&format!("pgbench {}", args.join(" ")), &output);
    text(&output.stdout) + &text(&output.stderr)
}

#[test]
fn pgbench_initialization_and_tpcb_like_run() {
    if !require(std::path::Path::new(PGBENCH).exists(), PGBENCH) {
        return;
    }
    let server = VellumProcess::start();
    let init = pgbench(&server, &["-i", "-s", "1"]);
    for step in ["creating tables", "vacuuming", "creating primary keys", "done in"] {
        assert!(init.contains(step), "pgbench -i output lacks {step:?}:\n{init}");
    }
    // Scale 1: 1 branch, 10 tellers, 100,000 accounts, all balances 0, empty history.
    assert_eq!(
        server.psql(
            "SELECT (SELECT count(*) FROM pgbench_branches), (SELECT count(*) FROM pgbench_tellers), \
             (SELECT count(*) FROM pgbench_accounts), (SELECT count(*) FROM pgbench_history), \
             (SELECT sum(abalance) FROM pgbench_accounts), (SELECT count(DISTINCT aid) FROM pgbench_accounts)"
        ),
        "1|10|100000|0|0|100000"
    );
    // The primary keys pgbench added hold.
    let duplicate = server.psql_output("INSERT INTO pgbench_accounts VALUES (1, 1, 0, '')");
    assert!(
        text(&duplicate.stderr).contains("duplicate key value violates unique constraint \"pgbench_accounts_pkey\""),
        "{}",
        text(&duplicate.stderr)
    );

    // All clients update the single branch row. Vellum's transactions are optimistic: where
    // PostgreSQL's row lock makes a concurrent UPDATE wait, Vellum fails the later commit with
    // 40001, which pgbench retries (--max-tries) as it does under REPEATABLE READ.
    let run = pgbench(
        &server,
        &[
            "-c",
            &CLIENTS.to_string(),
            "-t",
            &TRANSACTIONS_PER_CLIENT.to_string(),
            "--max-tries=1000",
        ],
    );
    let total = CLIENTS * TRANSACTIONS_PER_CLIENT;
    assert!(
        run.contains(&format!("number of transactions actually processed: {total}/{total}")),
        "{run}"
    );
    assert!(run.contains("number of failed transactions: 0 (0.000%)"), "{run}");
    // Again over the extended protocol with named prepared statements; -n keeps the history
    // (the default run truncates it first).
    let prepared = pgbench(
        &server,
        &["-n", "-M", "prepared", "-c", "2", "-t", "25", "--max-tries=1000"],
    );
    assert!(
        prepared.contains("number of transactions actually processed: 50/50"),
        "{prepared}"
    );
    let total = total + 50;
    let sums = server.psql(
        "SELECT (SELECT count(*) FROM pgbench_history), (SELECT sum(delta) FROM pgbench_history), \
         (SELECT sum(abalance) FROM pgbench_accounts), (SELECT sum(tbalance) FROM pgbench_tellers), \
         (SELECT sum(bbalance) FROM pgbench_branches)",
    );
    let fields: Vec<&str> = sums.split('|').collect();
    assert_eq!(fields.len(), 5, "{sums}");
    assert_eq!(fields[0], total.to_string(), "history rows: {sums}");
    assert!(
        fields[1..].iter().all(|f| *f == fields[1]),
        "balances disagree with the history (delta, accounts, tellers, branches): {sums}"
    );
    // Each history row's delta is also in its account's balance: accounts touched once agree.
    let mismatched = server.psql(
        "SELECT count(*) FROM (SELECT aid, sum(delta) AS d FROM pgbench_history GROUP BY aid) h \
         JOIN pgbench_accounts a ON a.aid = h.aid WHERE a.abalance <> h.d",
    );
    assert_eq!(mismatched, "0");
}
