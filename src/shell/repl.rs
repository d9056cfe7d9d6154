//! The read–eval–print loop shared by every backend: reads lines (rustyline on a terminal, plain
//! lines otherwise), gathers them into statements with the splitter, runs them and prints
//! results, errors and notices the way psql does. Meta-commands live in `meta`.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::RwLock;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config, Editor};

use super::backend::{Backend, Names, Outcome, TxnState};
use super::completion::SqlHelper;
use super::splitter::{split, Continuation};
use super::table::{render, Style};
use crate::error::Error;

/// How the shell was started.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Where line history is kept between sessions (interactive use only).
    pub history: Option<PathBuf>,
    /// Run these statements and exit (`-c`).
    pub command: Option<String>,
    /// Run this file and exit (`-f`).
    pub file: Option<PathBuf>,
}

/// Whether the loop goes on after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    Continue,
    Quit,
}

pub(super) struct Shell<'a> {
    pub(super) backend: &'a mut dyn Backend,
    pub(super) timing: bool,
    pub(super) style: Style,
    pub(super) names: Arc<RwLock<Names>>,
    /// Set while a statement runs, so Ctrl-C cancels it rather than the shell.
    running: Arc<AtomicBool>,
    /// Whether any statement or meta-command failed.
    pub(super) failed: bool,
    /// Nesting of `\i`, bounded so a file including itself stops.
    pub(super) include_depth: usize,
}

/// Runs the shell on `backend` until `\q`, end of input or Ctrl-D. Returns false when a
/// non-interactive run (`-c`, `-f`, piped input) had a failing statement.
pub fn run(backend: &mut dyn Backend, options: Options) -> Result<bool, Error> {
    let interactive = options.command.is_none() && options.file.is_none() && std::io::stdin().is_terminal();
    let running = Arc::new(AtomicBool::new(false));
    install_interrupt_handler(backend, running.clone(), interactive);
    let names = Arc::new(RwLock::new(backend.names()));
    let mut shell = Shell {
        backend,
        timing: false,
        style: Style::default(),
        names,
        running,
        failed: false,
        include_depth: 0,
    };
    if let Some(command) = &options.command {
        shell.run_text(command);
    } else if let Some(file) = &options.file {
        shell.run_file(file);
    } else if interactive {
        shell.interactive(options.history.as_deref())?;
    } else {
        shell.piped()?;
    }
    // An interactive user saw each error already; only scripted use reports failure by status.
    Ok(interactive || !shell.failed)
}

/// Ctrl-C while a statement runs cancels it (the line editor sees Ctrl-C as a key itself, so
/// this handler only fires outside it). Piped input has no editor: there Ctrl-C also ends the
/// shell when nothing runs, as a user expects of a command in a pipeline.
fn install_interrupt_handler(backend: &dyn Backend, running: Arc<AtomicBool>, interactive: bool) {
    let cancel = backend.canceller();
    // The only failure is a handler already installed (a second shell in one process); Ctrl-C
    // then keeps its previous meaning, which is acceptable.
    let _ = ctrlc::set_handler(move || {
        if running.load(Ordering::SeqCst) {
            cancel();
        } else if !interactive {
            std::process::exit(130);
        }
    });
}

/// psql's prompts: `=` when a new statement starts, `-` or the open quote/bracket while one
/// continues; `*` and `!` mark an open and a failed transaction block.
fn prompt(buffer: &str, continuation: &Continuation, txn: TxnState) -> String {
    let state = match continuation {
        Continuation::Quote => "'",
        Continuation::DoubleQuote => "\"",
        Continuation::Comment => "*",
        Continuation::Dollar => "$",
        Continuation::Paren => "(",
        Continuation::None if buffer.is_empty() => "=",
        Continuation::None => "-",
    };
    let txn = match txn {
        TxnState::Idle => "",
        TxnState::InBlock => "*",
        TxnState::Failed => "!",
    };
    format!("vellum{state}{txn}> ")
}

impl Shell<'_> {
    fn interactive(&mut self, history: Option<&std::path::Path>) -> Result<(), Error> {
        let config = Config::builder()
            .auto_add_history(false)
            .max_history_size(2000)
            .map_err(readline_error)?;
        let mut editor: Editor<SqlHelper, DefaultHistory> =
            Editor::with_config(config.build()).map_err(readline_error)?;
        editor.set_helper(Some(SqlHelper::new(self.names.clone())));
        if let Some(h) = history {
            // A missing history file is normal on first use.
            let _ = editor.load_history(h);
        }
        println!(
            "Vellum {} ({}). Type \\? for help, \\q to quit.",
            env!("CARGO_PKG_VERSION"),
            self.backend.target()
        );
        let mut buffer = String::new();
        let mut continuation = Continuation::None;
        // The lines of the statement being typed, recorded in history as one entry.
        let mut entry: Vec<String> = Vec::new();
        loop {
            match editor.readline(&prompt(&buffer, &continuation, self.backend.transaction())) {
                Ok(line) => {
                    if !line.trim().is_empty() {
                        entry.push(line.clone());
                    }
                    let (flow, state) = self.feed(&mut buffer, &line);
                    continuation = state;
                    if buffer.is_empty() && !entry.is_empty() {
                        let _ = editor.add_history_entry(entry.join("\n"));
                        entry.clear();
                    }
                    if flow == Flow::Quit {
                        break;
                    }
                }
                Err(ReadlineError::Interrupted) => {
                    buffer.clear();
                    entry.clear();
                    continuation = Continuation::None;
                }
                Err(ReadlineError::Eof) => {
                    println!("\\q");
                    break;
                }
                Err(e) => return Err(readline_error(e)),
            }
        }
        if let Some(h) = history {
            if let Err(e) = editor.save_history(h) {
                eprintln!("could not save history to file \"{}\": {e}", h.display());
            }
        }
        Ok(())
    }

    fn piped(&mut self) -> Result<(), Error> {
        let stdin = std::io::stdin();
        let mut buffer = String::new();
        for line in stdin.lock().lines() {
            let line = line?;
            if self.feed(&mut buffer, &line).0 == Flow::Quit {
                return Ok(());
            }
        }
        self.finish(&mut buffer);
        Ok(())
    }

    /// Runs a whole script: `-c`, `-f` and `\i`.
    pub(super) fn run_text(&mut self, text: &str) -> Flow {
        let mut buffer = String::new();
        for line in text.lines() {
            if self.feed(&mut buffer, line).0 == Flow::Quit {
                return Flow::Quit;
            }
        }
        self.finish(&mut buffer);
        Flow::Continue
    }

    /// At end of input, a statement without its `;` still runs, as psql sends it.
    fn finish(&mut self, buffer: &mut String) {
        if !buffer.trim().is_empty() {
            let statement = std::mem::take(buffer);
            self.run_sql(statement.trim());
        }
    }

    /// Takes one input line: a meta-command when nothing is pending, otherwise more SQL.
    fn feed(&mut self, buffer: &mut String, line: &str) -> (Flow, Continuation) {
        if buffer.is_empty() && line.trim_start().starts_with('\\') {
            return (self.meta(line.trim()), Continuation::None);
        }
        buffer.push_str(line);
        buffer.push('\n');
        let parts = split(buffer);
        for statement in &parts.statements {
            self.run_sql(statement);
        }
        *buffer = parts.rest;
        (Flow::Continue, parts.continuation)
    }

    pub(super) fn run_sql(&mut self, sql: &str) {
        let started = Instant::now();
        self.running.store(true, Ordering::SeqCst);
        let reply = self.backend.execute(sql);
        self.running.store(false, Ordering::SeqCst);
        let elapsed = started.elapsed();
        for notice in &reply.notices {
            eprintln!("{notice}");
        }
        match reply.result {
            Ok(outcomes) => {
                for outcome in outcomes {
                    match outcome {
                        Outcome::Rows { set, tag } => {
                            print!("{}", render(&set, None, &self.style));
                            // psql shows the tag of INSERT/UPDATE/DELETE ... RETURNING after the rows.
                            if ["INSERT", "UPDATE", "DELETE", "MERGE"]
                                .iter()
                                .any(|k| tag.starts_with(k))
                            {
                                println!("{tag}");
                            }
                        }
                        Outcome::Command { tag } => println!("{tag}"),
                    }
                }
            }
            Err(report) => {
                self.failed = true;
                eprintln!("{report}");
            }
        }
        if self.timing {
            println!("Time: {:.3} ms", elapsed.as_secs_f64() * 1000.0);
        }
        if changes_schema(sql) {
            self.refresh_names();
        }
    }

    pub(super) fn refresh_names(&mut self) {
        let fresh = self.backend.names();
        *self.names.write() = fresh;
    }
}

/// Whether `sql` may change which names exist (or undo such a change), so completion reloads.
fn changes_schema(sql: &str) -> bool {
    let first = sql
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .find(|w| !w.is_empty())
        .unwrap_or("")
        .to_uppercase();
    matches!(
        first.as_str(),
        "CREATE" | "ALTER" | "DROP" | "COMMIT" | "END" | "ROLLBACK" | "ABORT"
    )
}

fn readline_error(e: ReadlineError) -> Error {
    Error::Io(e.to_string())
}
