//! SQL conformance tests: one test per `sqllogictest/**/*.slt` file (each must pass fully), and one
//! per file of SQLite's sqllogictest corpus (`select1–5`, `random/*`), whose failures may not exceed
//! the count recorded for that file in `sqllogictest/corpus-baseline.txt`.
//!
//! The corpus lives beside the repository in `../shared/sqllogictest-sqlite` (or wherever
//! `VELLUM_SLT_CORPUS` points); without it the corpus tests are reported as ignored.
//! The corpus holds about 10,000 queries: run it with `cargo test --release`.
//!
//! Environment: `VELLUM_SLT_CORPUS` (corpus directory), `VELLUM_SLT_PANICS=1` (print engine panics).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use vellum::slt::{run_file, SltOptions};

fn main() {
    let args = Arguments::from_args();
    // The runner turns an engine panic into that record's failure, with the panic's message, and
    // goes on; printing every one would bury the reports under thousands of backtraces on the
    // corpus. VELLUM_SLT_PANICS=1 restores the default hook to find where a panic comes from.
    if std::env::var_os("VELLUM_SLT_PANICS").is_none() {
        std::panic::set_hook(Box::new(|_| {}));
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut trials = suite_trials(&root.join("sqllogictest"));
    trials.extend(corpus_trials(&root));
    libtest_mimic::run(&args, trials).exit();
}

/// Our own suites: every record must pass. Their expected results come from PostgreSQL 15.
fn suite_trials(dir: &Path) -> Vec<Trial> {
    let mut files = Vec::new();
    collect_files(dir, "slt", &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = format!("suite::{}", relative(&path, dir));
            Trial::test(name, move || {
                let report = run_file(&path, &SltOptions::default()).map_err(|e| Failed::from(e.to_string()))?;
                if report.is_success() && report.run > 0 {
                    Ok(())
                } else {
                    Err(Failed::from(report.to_string()))
                }
            })
        })
        .collect()
}

/// SQLite's corpus: a file fails when it has more failing records than its baseline allows.
fn corpus_trials(root: &Path) -> Vec<Trial> {
    let corpus = std::env::var_os("VELLUM_SLT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/sqllogictest-sqlite"));
    if !corpus.is_dir() {
        eprintln!(
            "note: SQLite sqllogictest corpus not found at {}; corpus tests ignored (set VELLUM_SLT_CORPUS)",
            corpus.display()
        );
        return vec![Trial::test("corpus::absent", || Ok(())).with_ignored_flag(true)];
    }
    let baseline = match read_baseline(&root.join("sqllogictest/corpus-baseline.txt")) {
        Ok(b) => b,
        Err(message) => {
            return vec![Trial::test("corpus::baseline", move || {
                Err(Failed::from(message.clone()))
            })]
        }
    };
    let mut files: Vec<PathBuf> = (1..=5)
        .map(|i| corpus.join(format!("select{i}.test")))
        .filter(|p| p.is_file())
        .collect();
    let mut random = Vec::new();
    collect_files(&corpus.join("random"), "test", &mut random);
    random.sort();
    files.extend(random);
    files
        .into_iter()
        .map(|path| {
            let rel = relative(&path, &corpus);
            let allowed = baseline.get(&rel).copied().unwrap_or(0);
            Trial::test(format!("corpus::{rel}"), move || {
                let report = run_file(&path, &SltOptions::default()).map_err(|e| Failed::from(e.to_string()))?;
                if report.failed > allowed {
                    Err(Failed::from(format!(
                        "{} failures, baseline allows {allowed} (sqllogictest/corpus-baseline.txt)\n{report}",
                        report.failed
                    )))
                } else {
                    if report.failed < allowed {
                        eprintln!(
                            "{rel}: {} failures, fewer than the baseline's {allowed}: lower it in corpus-baseline.txt",
                            report.failed
                        );
                    }
                    Ok(())
                }
            })
        })
        .collect()
}

/// `path failures` per line; `#` starts a comment.
fn read_baseline(path: &Path) -> Result<BTreeMap<String, usize>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut map = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(file), Some(count), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("{}:{}: expected `FILE FAILURES`", path.display(), n + 1));
        };
        let count = count
            .parse()
            .map_err(|_| format!("{}:{}: bad failure count {count:?}", path.display(), n + 1))?;
        map.insert(file.to_string(), count);
    }
    Ok(map)
}

fn collect_files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}
