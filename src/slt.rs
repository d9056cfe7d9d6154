//! The sqllogictest conformance runner behind `vellum slt FILES...` and the `sqllogictest`
//! test target.
//!
//! Each file runs against a fresh database in its own temporary directory, one session per
//! `connection` name. Unlike the `sqllogictest` crate's runner, which stops at the first
//! mismatch, this one runs every record and counts: a conformance run over SQLite's corpus
//! wants "how many of 10,000 queries pass", not "the first one that fails". Records are parsed
//! with the `sqllogictest` crate, and `onlyif`/`skipif` are evaluated against
//! [`SltOptions::labels`]. Values are printed by the record's type letters (see [`format`]).
//!
//! This module drives sessions only through `Session::execute`; it must not reach into the
//! engine's internals.

pub mod format;
pub mod report;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sqllogictest::{
    Condition, Connection, Control, DefaultColumnType, ExpectedError, QueryExpect, Record, ResultMode, SortMode,
    StatementExpect,
};

use crate::database::Database;
use crate::error::{Error, Result};
use crate::session::{Session, StatementResult};

pub use report::{Failure, FileReport};

/// How a file is run.
#[derive(Debug, Clone)]
pub struct SltOptions {
    /// Labels that `onlyif LABEL` requires and `skipif LABEL` avoids.
    pub labels: Vec<String>,
    /// Results with more values than this are compared as `N values hashing to <md5>`;
    /// 0 never hashes. A `hash-threshold` record in the file overrides it.
    pub hash_threshold: usize,
    /// How many failures a report keeps in full (all are counted).
    pub max_reported_failures: usize,
}

impl Default for SltOptions {
    /// Vellum answers as PostgreSQL does, so it takes the corpus's `postgresql` label; the hash
    /// threshold of 8 is the one SQLite's corpus was generated with (select1.test hashes
    /// without declaring it). Our own suites declare `hash-threshold 0`.
    fn default() -> SltOptions {
        SltOptions {
            labels: vec!["postgresql".to_string()],
            hash_threshold: 8,
            max_reported_failures: 10,
        }
    }
}

/// Runs one `.slt`/`.test` file against a fresh database in a temporary directory.
pub fn run_file(path: &Path, opts: &SltOptions) -> Result<FileReport> {
    let script =
        std::fs::read_to_string(path).map_err(|e| Error::Io(format!("could not read \"{}\": {e}", path.display())))?;
    run_script(&path.display().to_string(), &script, opts)
}

/// Runs the records in `script` (named `name` in reports) against a fresh database.
pub fn run_script(name: &str, script: &str, opts: &SltOptions) -> Result<FileReport> {
    let dir = ScratchDir::new()?;
    // A fresh master key per file, so suites can create encrypted blockchain tables.
    let options = crate::OpenOptions {
        master_key: Some(crate::crypto::aead::AeadKey::generate()?),
        ..Default::default()
    };
    let db = catch_unwind(|| Database::open_with_options(dir.path(), options))
        .map_err(|panic| Error::Bug(format!("opening a database panicked: {}", panic_text(&panic))))??;
    let report = run_script_with(name, script, opts, &mut || db.session());
    // Sessions (dropped inside) and the database must be closed before their directory goes.
    drop(db);
    drop(dir);
    report
}

/// What the runner needs from a session: Vellum's `Session`, or a scripted stand-in in tests.
pub trait SqlSession {
    fn execute(&mut self, sql: &str) -> Result<Vec<StatementResult>>;
}

impl SqlSession for Session {
    fn execute(&mut self, sql: &str) -> Result<Vec<StatementResult>> {
        Session::execute(self, sql)
    }
}

/// Runs the records in `script` on sessions made by `new_session` (one per `connection` name).
pub fn run_script_with<S: SqlSession>(
    name: &str,
    script: &str,
    opts: &SltOptions,
    new_session: &mut dyn FnMut() -> S,
) -> Result<FileReport> {
    let script = strip_condition_comments(script);
    let records = sqllogictest::parse_with_name::<DefaultColumnType>(&script, name)
        .map_err(|e| Error::sql(crate::error::sqlstate::SYNTAX_ERROR, e.to_string()))?;
    let mut runner = FileRunner::new(name, new_session, opts);
    for record in records {
        if !runner.step(record) {
            break;
        }
    }
    Ok(runner.report)
}

/// State carried from record to record within one file.
struct FileRunner<'a, S> {
    new_session: &'a mut dyn FnMut() -> S,
    opts: &'a SltOptions,
    sessions: HashMap<Connection, S>,
    hash_threshold: usize,
    sort_mode: Option<SortMode>,
    /// `onlyif`/`skipif` lines seen since the last record they apply to. Tracked here rather than
    /// taken from the parsed records because the parser does not attach them to `halt`: SQLite's
    /// corpus guards halts with them (`onlyif mssql` / `halt`), and would otherwise both halt
    /// wrongly and pass the halt's conditions on to the next statement.
    pending: Vec<Condition>,
    report: FileReport,
}

/// What running one SQL text produced, reduced to what records compare.
enum Outcome {
    Rows(Vec<Vec<crate::types::Value>>),
    Done { count: u64 },
    Failed(Error),
}

impl<'a, S: SqlSession> FileRunner<'a, S> {
    fn new(name: &str, new_session: &'a mut dyn FnMut() -> S, opts: &'a SltOptions) -> FileRunner<'a, S> {
        FileRunner {
            new_session,
            opts,
            sessions: HashMap::new(),
            hash_threshold: opts.hash_threshold,
            sort_mode: None,
            pending: Vec::new(),
            report: FileReport::new(PathBuf::from(name)),
        }
    }

    /// Handles one record; false once the file says `halt`.
    fn step(&mut self, record: Record<DefaultColumnType>) -> bool {
        match record {
            Record::Condition(condition) => self.pending.push(condition),
            Record::Statement {
                loc,
                connection,
                sql,
                expected,
                ..
            } => {
                if self.take_skip() {
                    self.report.skipped += 1;
                    return true;
                }
                let outcome = self.execute(connection, &sql);
                let verdict = check_statement(&expected, outcome);
                self.record_verdict(loc.line(), &sql, verdict);
            }
            Record::Query {
                loc,
                connection,
                sql,
                expected,
                ..
            } => {
                if self.take_skip() {
                    self.report.skipped += 1;
                    return true;
                }
                let outcome = self.execute(connection, &sql);
                let verdict = self.check_query(&expected, outcome);
                self.record_verdict(loc.line(), &sql, verdict);
            }
            Record::HashThreshold { threshold, .. } => {
                self.hash_threshold = usize::try_from(threshold).unwrap_or(usize::MAX);
            }
            Record::Control(Control::SortMode(mode)) => self.sort_mode = Some(mode),
            // Rows are compared value by value whatever the layout, so result modes need no state.
            Record::Control(_) => {}
            Record::Halt { .. } => {
                let skipped = self.take_skip();
                if !skipped {
                    self.report.halted = true;
                    return false;
                }
            }
            Record::Let { loc, sql, .. } | Record::System { loc, command: sql, .. } => {
                self.report.skipped += 1;
                if !self.take_skip() {
                    self.report.note_unsupported(loc.line(), &sql);
                }
            }
            Record::Include { loc, filename } => {
                self.report.skipped += 1;
                self.report.note_unsupported(loc.line(), &format!("include {filename}"));
            }
            _ => {}
        }
        true
    }

    /// Whether the conditions pending for the current record exclude it; consumes them.
    fn take_skip(&mut self) -> bool {
        let conditions = std::mem::take(&mut self.pending);
        is_skipped(&conditions, &self.opts.labels)
    }

    fn record_verdict(&mut self, line: u32, sql: &str, verdict: std::result::Result<(), (String, String)>) {
        self.report.run += 1;
        match verdict {
            Ok(()) => self.report.passed += 1,
            Err((expected, actual)) => {
                self.report.failed += 1;
                if self.report.failures.len() < self.opts.max_reported_failures {
                    self.report.failures.push(Failure {
                        line,
                        sql: sql.to_string(),
                        expected,
                        actual,
                    });
                }
            }
        }
    }

    /// Runs `sql` on the record's session. A panic is caught and counted as that record's failure
    /// so one engine bug does not hide the rest of the file.
    fn execute(&mut self, connection: Connection, sql: &str) -> Outcome {
        let session = self.sessions.entry(connection).or_insert_with(&mut *self.new_session);
        let result = catch_unwind(AssertUnwindSafe(|| session.execute(sql)));
        match result {
            Err(panic) => Outcome::Failed(Error::Bug(format!("panicked: {}", panic_text(&panic)))),
            Ok(Err(e)) => Outcome::Failed(e),
            Ok(Ok(results)) => {
                // A multi-statement record answers with its last result, as psql shows it.
                match results.into_iter().last() {
                    Some(StatementResult::Query { rows, .. }) => Outcome::Rows(rows),
                    Some(StatementResult::Command { tag }) => Outcome::Done { count: tag_count(&tag) },
                    None => Outcome::Done { count: 0 },
                }
            }
        }
    }

    fn check_query(
        &self,
        expected: &QueryExpect<DefaultColumnType>,
        outcome: Outcome,
    ) -> std::result::Result<(), (String, String)> {
        match (expected, outcome) {
            (QueryExpect::Error(want), Outcome::Failed(e)) => check_error(want, &e),
            (QueryExpect::Error(want), _) => Err((error_text(want), "success".to_string())),
            (QueryExpect::Results { .. }, Outcome::Failed(e)) => Err(("success".to_string(), error_report(&e))),
            (QueryExpect::Results { results, .. }, Outcome::Done { .. }) => {
                if results.is_empty() {
                    Ok(())
                } else {
                    Err((results.join("\n"), "(no rows)".to_string()))
                }
            }
            (
                QueryExpect::Results {
                    types,
                    sort_mode,
                    result_mode,
                    results,
                    ..
                },
                Outcome::Rows(rows),
            ) => {
                let letters: Vec<char> = types.iter().map(sqllogictest::ColumnType::to_char).collect();
                if let Some(width) = rows.first().map(Vec::len) {
                    if width != letters.len() {
                        return Err((
                            format!("{} column(s) ({})", letters.len(), letters.iter().collect::<String>()),
                            format!("{width} column(s)"),
                        ));
                    }
                }
                let printed: Vec<Vec<String>> = rows
                    .iter()
                    .map(|row| {
                        row.iter()
                            .zip(&letters)
                            .map(|(v, l)| format::format_value(v, *l))
                            .collect()
                    })
                    .collect();
                let value_count = printed.len() * letters.len();
                let sorted = format::sort_rows(printed, sort_mode.or(self.sort_mode));
                let actual_lines: Vec<String> = if self.hash_threshold > 0 && value_count > self.hash_threshold {
                    vec![format::hash_line(&sorted)]
                } else if *result_mode == Some(ResultMode::ValueWise) {
                    sorted.into_iter().flatten().collect()
                } else {
                    sorted.iter().map(|row| row.join(" ")).collect()
                };
                let want = format::normalize_lines(results.iter().map(String::as_str));
                let got = format::normalize_lines(actual_lines.iter().map(String::as_str));
                if want == got {
                    Ok(())
                } else {
                    Err((results.join("\n"), actual_lines.join("\n")))
                }
            }
        }
    }
}

/// SQLite's corpus annotates conditions (`onlyif mysql # DIV for integer division`); SQLite's
/// runner reads only the first two words, while the `sqllogictest` crate rejects the line. Keep
/// just `onlyif LABEL` / `skipif LABEL`, leaving line numbers as they are.
fn strip_condition_comments(script: &str) -> std::borrow::Cow<'_, str> {
    let annotated = |line: &str| {
        let mut words = line.split_whitespace();
        matches!(words.next(), Some("onlyif" | "skipif")) && words.nth(1).is_some()
    };
    if !script.lines().any(annotated) {
        return std::borrow::Cow::Borrowed(script);
    }
    let mut out = String::with_capacity(script.len());
    for line in script.split_inclusive('\n') {
        if annotated(line) {
            let words: Vec<&str> = line.split_whitespace().take(2).collect();
            out.push_str(&words.join(" "));
            out.push('\n');
        } else {
            out.push_str(line);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `onlyif L` runs only when L is one of our labels; `skipif L` runs only when it is not.
fn is_skipped(conditions: &[Condition], labels: &[String]) -> bool {
    conditions.iter().any(|c| match c {
        Condition::OnlyIf { label } => !labels.contains(label),
        Condition::SkipIf { label } => labels.contains(label),
    })
}

fn check_statement(expected: &StatementExpect, outcome: Outcome) -> std::result::Result<(), (String, String)> {
    match (expected, outcome) {
        (StatementExpect::Error(want), Outcome::Failed(e)) => check_error(want, &e),
        (StatementExpect::Error(want), _) => Err((error_text(want), "success".to_string())),
        (_, Outcome::Failed(e)) => Err(("success".to_string(), error_report(&e))),
        (StatementExpect::Ok, _) => Ok(()),
        (StatementExpect::Count(n), Outcome::Done { count }) if *n == count => Ok(()),
        (StatementExpect::Count(n), Outcome::Rows(rows)) if *n == rows.len() as u64 => Ok(()),
        (StatementExpect::Count(n), Outcome::Done { count }) => Err((format!("{n} rows"), format!("{count} rows"))),
        (StatementExpect::Count(n), Outcome::Rows(rows)) => {
            Err((format!("{n} rows"), format!("{} rows returned", rows.len())))
        }
    }
}

/// A record's error expectation: a SQLSTATE in parentheses is compared with the error's code;
/// otherwise the regex is searched in the error as PostgreSQL's clients print it
/// (`ERROR: message`, then `DETAIL:` and `HINT:` lines), so suites written against
/// PostgreSQL match the same text here.
fn check_error(want: &ExpectedError, err: &Error) -> std::result::Result<(), (String, String)> {
    if want.is_match(&error_report(err), Some(err.sqlstate())) {
        Ok(())
    } else {
        Err((error_text(want), error_report(err)))
    }
}

fn error_text(want: &ExpectedError) -> String {
    format!("error {want}")
}

/// The error as PostgreSQL's clients show it, with the SQLSTATE appended for the report.
fn error_report(err: &Error) -> String {
    let mut text = format!("ERROR: {}", err.message());
    if let Some(detail) = err.detail() {
        text.push_str("\nDETAIL: ");
        text.push_str(detail);
    }
    if let Error::Sql { hint: Some(hint), .. } = err {
        text.push_str("\nHINT: ");
        text.push_str(hint);
    }
    text.push_str(&format!(" ({})", err.sqlstate()));
    text
}

/// Rows affected according to a command tag: its last number (`INSERT 0 3` → 3, `UPDATE 2` → 2).
fn tag_count(tag: &str) -> u64 {
    tag.split_whitespace().last().and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

/// A directory of its own under the system temp dir, removed when dropped.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> Result<ScratchDir> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let name = format!(
            "vellum-slt-{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path)
            .map_err(|e| Error::Io(format!("could not create \"{}\": {e}", path.display())))?;
        Ok(ScratchDir(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        // Best effort: a leftover directory in /tmp is harmless, a panic in drop is not.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn condition_comments_are_dropped() {
        let script = "skipif mysql # not compatible\nquery I\nSELECT 1 # not a condition\n----\n1\n";
        assert_eq!(
            strip_condition_comments(script),
            "skipif mysql\nquery I\nSELECT 1 # not a condition\n----\n1\n"
        );
        assert!(matches!(
            strip_condition_comments("onlyif x\n"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn tag_counts() {
        assert_eq!(tag_count("INSERT 0 3"), 3);
        assert_eq!(tag_count("UPDATE 2"), 2);
        assert_eq!(tag_count("CREATE TABLE"), 0);
    }

    #[test]
    fn errors_match_by_sqlstate_or_message() {
        let err = Error::sql(
            crate::error::sqlstate::UNIQUE_VIOLATION,
            "duplicate key value violates unique constraint \"t_pkey\"",
        )
        .with_detail("Key (id)=(1) already exists.");
        let by_code = sqllogictest::parse::<DefaultColumnType>("statement error (23505)\nselect 1\n").unwrap();
        let by_text =
            sqllogictest::parse::<DefaultColumnType>("statement error Key \\(id\\)=\\(1\\)\nselect 1\n").unwrap();
        let wrong = sqllogictest::parse::<DefaultColumnType>("statement error (23502)\nselect 1\n").unwrap();
        let expectation = |records: &[Record<DefaultColumnType>]| match records.first() {
            Some(Record::Statement {
                expected: StatementExpect::Error(e),
                ..
            }) => e.clone(),
            other => panic!("not an error record: {other:?}"),
        };
        assert!(check_error(&expectation(&by_code), &err).is_ok());
        assert!(check_error(&expectation(&by_text), &err).is_ok());
        assert!(check_error(&expectation(&wrong), &err).is_err());
    }

    #[test]
    fn conditions_follow_labels() {
        let opts = SltOptions::default();
        let records = sqllogictest::parse::<DefaultColumnType>(
            "skipif postgresql\nstatement ok\nselect 1\n\nonlyif mysql\nstatement ok\nselect 1\n\nonlyif postgresql\nstatement ok\nselect 1\n",
        )
        .unwrap();
        let skips: Vec<bool> = records
            .iter()
            .filter_map(|r| match r {
                Record::Statement { conditions, .. } => Some(is_skipped(conditions, &opts.labels)),
                _ => None,
            })
            .collect();
        assert_eq!(skips, vec![true, true, false]);
    }
}
