//! What running one sqllogictest file found: counts, and the first failures in full.

use std::fmt;
use std::path::PathBuf;

/// The outcome of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileReport {
    pub path: PathBuf,
    /// Statement and query records executed.
    pub run: usize,
    pub passed: usize,
    pub failed: usize,
    /// Records not run: excluded by `onlyif`/`skipif`, or of a kind the runner does not execute
    /// (`system`, `let`, `include`).
    pub skipped: usize,
    /// The file ended early with `halt`.
    pub halted: bool,
    /// The first failures, up to `SltOptions::max_reported_failures`.
    pub failures: Vec<Failure>,
    /// Records of kinds the runner does not execute, by line.
    pub unsupported: Vec<(u32, String)>,
}

/// One record whose outcome differed from the file's expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub line: u32,
    pub sql: String,
    pub expected: String,
    pub actual: String,
}

impl FileReport {
    pub(crate) fn new(path: PathBuf) -> FileReport {
        FileReport {
            path,
            ..FileReport::default()
        }
    }

    pub(crate) fn note_unsupported(&mut self, line: u32, what: &str) {
        self.unsupported.push((line, what.to_string()));
    }

    /// True when every executed record passed.
    pub fn is_success(&self) -> bool {
        self.failed == 0
    }
}

impl fmt::Display for FileReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} run, {} passed, {} failed, {} skipped{}",
            self.path.display(),
            self.run,
            self.passed,
            self.failed,
            self.skipped,
            if self.halted { " (halted)" } else { "" }
        )?;
        for (line, what) in &self.unsupported {
            write!(f, "\n  line {line}: not run (unsupported record): {}", first_line(what))?;
        }
        for failure in &self.failures {
            write!(f, "\n{failure}")?;
        }
        if self.failed > self.failures.len() {
            write!(f, "\n  ... and {} more failure(s)", self.failed - self.failures.len())?;
        }
        Ok(())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  line {}:", self.line)?;
        writeln!(f, "{}", indent(&self.sql, "    sql      | "))?;
        writeln!(f, "{}", indent(&self.expected, "    expected | "))?;
        write!(f, "{}", indent(&self.actual, "    actual   | "))
    }
}

fn indent(text: &str, prefix: &str) -> String {
    let lines: Vec<String> = text.lines().map(|l| format!("{prefix}{l}")).collect();
    if lines.is_empty() {
        prefix.trim_end().to_string()
    } else {
        lines.join("\n")
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_lists_counts_and_failures() {
        let mut report = FileReport::new(PathBuf::from("x.slt"));
        report.run = 3;
        report.passed = 1;
        report.failed = 2;
        report.failures.push(Failure {
            line: 7,
            sql: "SELECT 1".into(),
            expected: "1".into(),
            actual: "2".into(),
        });
        let text = report.to_string();
        assert!(
            text.starts_with("x.slt: 3 run, 1 passed, 2 failed, 0 skipped"),
            "{text}"
        );
        assert!(
            text.contains("line 7:\n    sql      | SELECT 1\n    expected | 1\n    actual   | 2"),
            "{text}"
        );
        assert!(text.contains("and 1 more failure(s)"), "{text}");
        assert!(!report.is_success());
    }
}
