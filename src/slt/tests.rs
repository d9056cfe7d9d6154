//! The runner's record handling, driven by a scripted session whose answers are fixed here, so
//! these tests check the runner alone and not the engine.

use std::cell::RefCell;
use std::rc::Rc;

use super::*;
use crate::error::sqlstate;
use crate::plan::OutputColumn;
use crate::types::{DataType, Value};

/// Answers each SQL text from a fixed table and logs `(session number, sql)`.
struct Scripted {
    id: usize,
    log: Rc<RefCell<Vec<(usize, String)>>>,
}

fn rows(values: Vec<Vec<Value>>) -> Result<Vec<StatementResult>> {
    let width = values.first().map_or(0, Vec::len);
    let columns = (0..width)
        .map(|i| OutputColumn {
            name: format!("c{i}"),
            data_type: DataType::Text,
            source: None,
        })
        .collect();
    let tag = format!("SELECT {}", values.len());
    Ok(vec![StatementResult::Query {
        columns,
        rows: values,
        tag,
    }])
}

fn command(tag: &str) -> Result<Vec<StatementResult>> {
    Ok(vec![StatementResult::Command { tag: tag.to_string() }])
}

impl SqlSession for Scripted {
    fn execute(&mut self, sql: &str) -> Result<Vec<StatementResult>> {
        self.log.borrow_mut().push((self.id, sql.to_string()));
        match sql {
            "INSERT 3" => command("INSERT 0 3"),
            "CREATE" => command("CREATE TABLE"),
            "ONE ROW" => rows(vec![vec![
                Value::Int4(1),
                Value::Text("a b".into()),
                Value::Text(String::new()),
            ]]),
            "NUMBERS" => rows(vec![
                vec![Value::Int8(3), Value::Float8(2.5)],
                vec![Value::Int8(1), Value::Float8(-0.25)],
                vec![Value::Null, Value::Null],
            ]),
            "TEN" => rows((1..=10).map(|i| vec![Value::Int4(i)]).collect()),
            "NONE" => rows(vec![]),
            "DUP" => Err(Error::sql(
                sqlstate::UNIQUE_VIOLATION,
                "duplicate key value violates unique constraint \"t_pkey\"",
            )
            .with_detail("Key (id)=(1) already exists.")),
            "PANIC" => panic!("scripted engine panic"),
            other => Err(Error::sql(sqlstate::SYNTAX_ERROR, format!("unscripted: {other}"))),
        }
    }
}

fn run(script: &str) -> (FileReport, Vec<(usize, String)>) {
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut next = 0;
    let log_for_sessions = Rc::clone(&log);
    let mut new_session = || {
        next += 1;
        Scripted {
            id: next,
            log: Rc::clone(&log_for_sessions),
        }
    };
    let opts = SltOptions {
        max_reported_failures: 100,
        ..SltOptions::default()
    };
    let report = run_script_with("t.slt", script, &opts, &mut new_session).expect("script parses");
    let log = log.borrow().clone();
    (report, log)
}

#[test]
fn statements_and_counts() {
    let (report, _) = run("statement ok\nCREATE\n\nstatement count 3\nINSERT 3\n\nstatement count 2\nINSERT 3\n");
    assert_eq!((report.run, report.passed, report.failed), (3, 2, 1));
    assert_eq!(report.failures[0].line, 7);
    assert_eq!(report.failures[0].actual, "3 rows");
}

#[test]
fn rows_print_by_type_letter_and_compare_whitespace_insensitively() {
    let (report, _) =
        run("query ITT\nONE ROW\n----\n1   a b   (empty)\n\nquery IR\nNUMBERS\n----\n3 2.500\n1 -0.250\nNULL NULL\n");
    assert!(report.is_success(), "{report}");
    // The same values with the other letters print differently and so fail.
    let (report, _) = run("query II\nNUMBERS\n----\n3 2.5\n1 -0.25\nNULL NULL\n");
    assert_eq!(report.failed, 1, "{report}");
    assert_eq!(report.failures[0].actual, "3 2\n1 0\nNULL NULL");
}

#[test]
fn one_value_per_line_matches_rows() {
    let (report, _) = run("query IR\nNUMBERS\n----\n3\n2.500\n1\n-0.250\nNULL\nNULL\n");
    assert!(report.is_success(), "{report}");
}

#[test]
fn sort_modes_apply_before_comparison() {
    let (report, _) = run("query IR rowsort\nNUMBERS\n----\n1 -0.250\n3 2.500\nNULL NULL\n");
    assert!(report.is_success(), "{report}");
    let (report, _) = run("query IR valuesort\nNUMBERS\n----\n-0.250\n1\n2.500\n3\nNULL\nNULL\n");
    assert!(report.is_success(), "{report}");
    let (report, _) = run("query IR nosort\nNUMBERS\n----\n1 -0.250\n3 2.500\nNULL NULL\n");
    assert_eq!(report.failed, 1);
}

#[test]
fn hashing_above_the_threshold() {
    // The default threshold is 8 values; ten values are compared as their md5.
    let (report, _) = run(&format!("query I\nTEN\n----\n10 values hashing to {SEQ_1_10_MD5}\n"));
    assert!(report.is_success(), "{report}");
    let (report, _) = run("query I\nTEN\n----\n10 values hashing to 00000000000000000000000000000000\n");
    assert_eq!(report.failed, 1);
    // With the threshold off the values are compared one by one.
    let listed: String = (1..=10).map(|i| format!("{i}\n")).collect();
    let (report, _) = run(&format!("hash-threshold 0\n\nquery I\nTEN\n----\n{listed}"));
    assert!(report.is_success(), "{report}");
}

/// `seq 1 10 | md5sum`.
const SEQ_1_10_MD5: &str = "3b0332e02daabf31651a5a0d81ba830a";

#[test]
fn errors_by_sqlstate_and_regex() {
    let script = "statement error (23505)\nDUP\n\nstatement error duplicate key .* \"t_pkey\"\nDUP\n\n\
                  query error Key \\(id\\)=\\(1\\)\nDUP\n\nstatement error (23502)\nDUP\n\nstatement error\nCREATE\n";
    let (report, _) = run(script);
    assert_eq!((report.run, report.passed, report.failed), (5, 3, 2), "{report}");
    assert!(report.failures[0].actual.contains("(23505)"), "{report}");
    assert_eq!(report.failures[1].actual, "success");
}

#[test]
fn empty_results_and_unexpected_errors() {
    let (report, _) = run("query I\nNONE\n----\n\nquery I\nCREATE\n----\n\nquery I\nDUP\n----\n1\n");
    assert_eq!((report.passed, report.failed), (2, 1), "{report}");
    assert_eq!(report.failures[0].expected, "success");
}

#[test]
fn column_count_must_match_letters() {
    let (report, _) = run("query II\nONE ROW\n----\n1 a b (empty)\n");
    assert_eq!(report.failed, 1);
    assert_eq!(report.failures[0].actual, "3 column(s)");
}

#[test]
fn conditions_halt_and_panics() {
    let script = "skipif postgresql\nstatement ok\nDUP\n\nonlyif postgresql\nstatement ok\nCREATE\n\n\
                  statement ok\nPANIC\n\nstatement ok\nCREATE\n\nhalt\n\nstatement ok\nDUP\n";
    let (report, log) = run(script);
    assert_eq!(
        (report.run, report.passed, report.failed, report.skipped),
        (3, 2, 1, 1),
        "{report}"
    );
    assert!(report.halted);
    assert!(report.failures[0].actual.contains("scripted engine panic"), "{report}");
    assert_eq!(log.len(), 3);
}

#[test]
fn connections_get_their_own_sessions() {
    let script = "statement ok\nCREATE\n\nconnection other\nstatement ok\nCREATE\n\nstatement ok\nCREATE\n\n\
                  connection other\nstatement ok\nCREATE\n";
    let (report, log) = run(script);
    assert!(report.is_success(), "{report}");
    let ids: Vec<usize> = log.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, vec![1, 2, 1, 2]);
}

#[test]
fn halts_obey_their_conditions() {
    // As SQLite's corpus writes it: halt only on other engines, and the halt's condition must not
    // leak onto the next statement.
    let script = "onlyif mssql\nhalt\n\nskipif postgresql\nhalt\n\nstatement ok\nCREATE\n\nonlyif postgresql\nhalt\n\nstatement ok\nDUP\n";
    let (report, log) = run(script);
    assert_eq!((report.run, report.passed, report.skipped), (1, 1, 0), "{report}");
    assert!(report.halted);
    assert_eq!(log.len(), 1);
}
