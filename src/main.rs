//! The `vellum` command: the interactive shell and the sqllogictest runner.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use vellum::Database;

#[derive(Parser)]
#[command(
    name = "vellum",
    version,
    about = "Vellum: a SQL database whose tables can be blockchain-secured"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Interactive SQL shell on an embedded database directory.
    Shell {
        /// Data directory (created if missing).
        #[arg(long, default_value = "./vellum-data")]
        data: PathBuf,
    },
    /// Runs sqllogictest files against a fresh embedded database each, reporting per-file counts.
    Slt {
        /// .slt / .test files or directories.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Shell { data } => {
            let db = match Database::open(&data) {
                Ok(db) => db,
                Err(e) => {
                    eprintln!("vellum: cannot open {}: {e}", data.display());
                    return ExitCode::FAILURE;
                }
            };
            let history = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".vellum_history"));
            let result = vellum::shell::run(db.session(), history);
            if let Err(e) = db.sync() {
                eprintln!("vellum: {e}");
                return ExitCode::FAILURE;
            }
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("vellum: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Slt { files } => {
            let _ = files;
            eprintln!("vellum slt: runner not yet wired");
            ExitCode::FAILURE
        }
    }
}
