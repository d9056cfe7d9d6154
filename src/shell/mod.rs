//! The interactive shell: line editing and history (rustyline), multi-line statements ending
//! with `;`, psql-like result tables and a few meta-commands. Talks to an embedded database
//! through `Session`; knows nothing of storage.

/// Result tables as psql prints them.
mod table;

use std::path::{Path, PathBuf};
use std::time::Instant;

use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

use crate::error::Error;
use crate::session::{Session, StatementResult};

pub use table::render;

/// Runs the shell until `\q` or Ctrl-D.
pub fn run(mut session: Session, history: Option<PathBuf>) -> Result<(), Error> {
    let mut editor = DefaultEditor::new().map_err(|e| Error::Io(e.to_string()))?;
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!("Vellum {} — type \\? for help, \\q to quit.", env!("CARGO_PKG_VERSION"));
    let mut shell = Shell { timing: false };
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() { "vellum=> " } else { "vellum-> " };
        match editor.readline(prompt) {
            Ok(line) => {
                let trimmed = line.trim();
                if buffer.is_empty() && trimmed.starts_with('\\') {
                    let _ = editor.add_history_entry(trimmed);
                    if !shell.meta(trimmed, &mut session) {
                        break;
                    }
                    continue;
                }
                if !buffer.is_empty() {
                    buffer.push('\n');
                }
                buffer.push_str(&line);
                if trimmed.ends_with(';') {
                    let _ = editor.add_history_entry(buffer.trim());
                    shell.run_sql(&buffer, &mut session);
                    buffer.clear();
                }
            }
            Err(ReadlineError::Interrupted) => buffer.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(Error::Io(e.to_string())),
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    Ok(())
}

struct Shell {
    timing: bool,
}

impl Shell {
    /// Handles a meta-command; false means quit.
    fn meta(&mut self, line: &str, session: &mut Session) -> bool {
        let mut parts = line.split_whitespace();
        let command = parts.next().unwrap_or("");
        let arg = parts.next();
        match command {
            "\\q" | "\\quit" => return false,
            "\\?" => println!(
                "  \\dt            list tables\n  \\d NAME        describe a table\n  \\i FILE        run a file\n  \\timing        toggle timing\n  \\q             quit"
            ),
            "\\timing" => {
                self.timing = !self.timing;
                println!("Timing is {}.", if self.timing { "on" } else { "off" });
            }
            "\\dt" => {
                let catalog = session.catalog();
                let mut names: Vec<_> = catalog.tables().map(|t| t.name.clone()).collect();
                names.extend(catalog.views().map(|v| format!("{} (view)", v.name)));
                if names.is_empty() {
                    println!("Did not find any relations.");
                }
                for n in names {
                    println!("  {n}");
                }
            }
            "\\d" => match arg {
                Some(name) => describe(session, name),
                None => {
                    self.meta("\\dt", session);
                }
            },
            "\\i" => match arg {
                Some(file) => self.run_file(Path::new(file), session),
                None => eprintln!("\\i: missing required argument"),
            },
            other => eprintln!("invalid command {other}; try \\? for help"),
        }
        true
    }

    fn run_file(&mut self, path: &Path, session: &mut Session) {
        match std::fs::read_to_string(path) {
            Ok(text) => self.run_sql(&text, session),
            Err(e) => eprintln!("{}: {e}", path.display()),
        }
    }

    fn run_sql(&mut self, sql: &str, session: &mut Session) {
        let started = Instant::now();
        let outcome = session.execute(sql);
        for notice in session.take_notices() {
            eprintln!("NOTICE:  {notice}");
        }
        match outcome {
            Ok(results) => {
                for result in results {
                    match result {
                        StatementResult::Query { columns, rows, .. } => print!("{}", render(&columns, &rows)),
                        StatementResult::Command { tag } => println!("{tag}"),
                    }
                }
            }
            Err(e) => print_error(&e),
        }
        if self.timing {
            println!("Time: {:.3} ms", started.elapsed().as_secs_f64() * 1000.0);
        }
    }
}

fn print_error(e: &Error) {
    eprintln!("ERROR:  {} (SQLSTATE {})", e.message(), e.sqlstate());
    if let Some(d) = e.detail() {
        eprintln!("DETAIL:  {d}");
    }
    if let Some(h) = e.hint() {
        eprintln!("HINT:  {h}");
    }
}

fn describe(session: &Session, name: &str) {
    let catalog = session.catalog();
    let name = name.trim_matches('"');
    let Some(table) = catalog.table(&name.to_lowercase()).or_else(|| catalog.table(name)) else {
        eprintln!("Did not find any relation named \"{name}\".");
        return;
    };
    println!("Table \"public.{}\"", table.name);
    for column in &table.columns {
        let mut line = format!("  {} {}", column.name, column.data_type);
        if !column.nullable {
            line.push_str(" not null");
        }
        if let Some(d) = &column.default {
            line.push_str(&format!(" default {d}"));
        }
        println!("{line}");
    }
    if let (Some(pk), Some(pk_name)) = (&table.primary_key, &table.primary_key_name) {
        let cols: Vec<&str> = pk.iter().map(|&c| table.columns[c].name.as_str()).collect();
        println!("Indexes:\n  \"{pk_name}\" PRIMARY KEY ({})", cols.join(", "));
    }
    for index in catalog.table_indexes(table.id) {
        let cols: Vec<&str> = index
            .columns
            .iter()
            .filter_map(|&c| table.columns.get(c))
            .map(|c| c.name.as_str())
            .collect();
        println!(
            "  \"{}\"{} ({})",
            index.name,
            if index.unique { " UNIQUE" } else { "" },
            cols.join(", ")
        );
    }
    for check in &table.checks {
        println!("Check: \"{}\" CHECK ({})", check.name, check.expr);
    }
}
