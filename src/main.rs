//! The `vellum` command: the server, the interactive shell and the sqllogictest runner.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use vellum::Database;

/// mimalloc instead of the system allocator: the engine allocates small row and key buffers at a
/// high rate from many threads, where glibc's malloc spent a third of a bulk COPY (bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// `vellum serve --auth`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Auth {
    LoopbackTrust,
    Scram,
}

/// `vellum serve`'s options.
struct ServeOptions {
    data: PathBuf,
    listen: std::net::SocketAddr,
    auth: Auth,
    password_file: Option<PathBuf>,
    tls: Option<(PathBuf, PathBuf)>,
    tls_required: bool,
    no_audit: bool,
    master_key_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Interactive SQL shell on an embedded database directory or a running server.
    Shell {
        /// Data directory of the embedded database (created if missing).
        #[arg(long, default_value = "./vellum-data", conflicts_with = "connect")]
        data: PathBuf,
        /// Connect to a running server instead, e.g. postgres://user@localhost:5432/db.
        #[arg(long, value_name = "URL")]
        connect: Option<String>,
        /// Run these statements, then exit.
        #[arg(short = 'c', long, value_name = "SQL", conflicts_with = "file")]
        command: Option<String>,
        /// Run the statements in this file, then exit.
        #[arg(short = 'f', long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Master key file of encrypted blockchain tables (written by `vellum master-key`);
        /// default: the file named by VELLUM_MASTER_KEY_FILE, if set.
        #[arg(long, value_name = "FILE")]
        master_key_file: Option<PathBuf>,
    },
    /// Serves the database over the PostgreSQL wire protocol (psql, drivers).
    Serve {
        /// Data directory (created if missing).
        #[arg(long, default_value = "./vellum-data")]
        data: PathBuf,
        /// Address to listen on; anything beyond loopback requires `--auth scram`.
        #[arg(long, default_value = "127.0.0.1:5433")]
        listen: std::net::SocketAddr,
        /// How clients authenticate: `loopback-trust` trusts loopback connections of roles without
        /// a password (a role with one must give it); `scram` requires a SCRAM-SHA-256 password
        /// for every connection.
        #[arg(long, value_enum, default_value_t = Auth::LoopbackTrust)]
        auth: Auth,
        /// Sets the password of the `vellum` superuser from this file's first line (stored as a
        /// SCRAM-SHA-256 verifier; a line that already is one is stored as given).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        /// PEM certificate (chain) offered to clients that ask for TLS (sslmode=require).
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key of --tls-cert.
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Refuse unencrypted connections from other hosts (loopback may still connect without TLS).
        #[arg(long, requires = "tls_cert")]
        tls_required: bool,
        /// Do not record statements in the audit chain (vellum_audit) while this server runs;
        /// what runs meanwhile is never recorded. Meant for measuring the audit's cost.
        #[arg(long)]
        no_audit: bool,
        /// Master key file of encrypted blockchain tables (written by `vellum master-key`);
        /// default: the file named by VELLUM_MASTER_KEY_FILE, if set.
        #[arg(long, value_name = "FILE")]
        master_key_file: Option<PathBuf>,
    },
    /// Verifies the blockchain tables of a stopped database straight from its directory: prints
    /// every finding and exits with 1 when anything fails (2 on an error, or when an encrypted
    /// table could not be verified without its master key; the others are verified).
    Verify {
        /// Data directory of the database (not served by a running `vellum serve`).
        #[arg(long, default_value = "./vellum-data")]
        data: PathBuf,
        /// Tables to verify (default: every blockchain table).
        tables: Vec<String>,
        /// Also check the digests saved in this file by `vellum digest`: each table's chain must
        /// still hold the digest's block with its hash.
        #[arg(long, value_name = "FILE")]
        digest: Option<PathBuf>,
        /// Master key file of encrypted blockchain tables (written by `vellum master-key`);
        /// default: the file named by VELLUM_MASTER_KEY_FILE, if set.
        #[arg(long, value_name = "FILE")]
        master_key_file: Option<PathBuf>,
    },
    /// Saves a signed digest of every blockchain table on a running server to a new file, to
    /// keep away from the database and check later with `vellum verify --digest`.
    Digest {
        /// The server, e.g. postgres://vellum@localhost:5433/vellum.
        #[arg(long, value_name = "URL")]
        connect: String,
        /// The file to create (never overwritten).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Writes a new random master key file (mode 0600) for encrypted blockchain tables and
    /// prints its fingerprint; give it to `vellum serve --master-key-file`.
    MasterKey {
        /// The key file to create (never overwritten).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Rotates the master key of a stopped database: re-wraps every encrypted table's data key
    /// under the new key (no block is rewritten). Keep the old key until this succeeds.
    Rekey {
        /// Data directory of the database (not served by a running `vellum serve`).
        #[arg(long)]
        data: PathBuf,
        /// The master key file the data keys are wrapped under now.
        #[arg(long, value_name = "FILE")]
        old_key_file: PathBuf,
        /// The master key file to wrap them under (`vellum master-key --out FILE`).
        #[arg(long, value_name = "FILE")]
        new_key_file: PathBuf,
    },
    /// Writes a new Ed25519 key pair file (mode 0600) for an external block signer and prints
    /// its public key, to register with `CREATE SIGNER name PUBLIC KEY 'hex'`.
    Keygen {
        /// The key file to create (never overwritten).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Signs block hashes of a blockchain table on a running server with a key file that stays
    /// here: `--block N` or `--all-unsigned`.
    Sign {
        /// Key file written by `vellum keygen`.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The server, e.g. postgres://vellum@localhost:5433/vellum.
        #[arg(long, value_name = "URL")]
        connect: String,
        /// The blockchain table.
        #[arg(long)]
        table: String,
        /// The block to sign.
        #[arg(
            long,
            value_name = "N",
            required_unless_present = "all_unsigned",
            conflicts_with = "all_unsigned"
        )]
        block: Option<u64>,
        /// Sign every block this signer has not signed yet.
        #[arg(long)]
        all_unsigned: bool,
    },
    /// Runs sqllogictest files against a fresh embedded database each, reporting per-file counts.
    Slt {
        /// .slt / .test files or directories.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print each failing record, not only the per-file counts.
        #[arg(long, short)]
        verbose: bool,
        /// With --verbose, how many failing records to print per file.
        #[arg(long, default_value_t = 10)]
        max_failures: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Shell {
            data,
            connect,
            command,
            file,
            master_key_file,
        } => {
            let options = vellum::shell::Options {
                history: std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".vellum_history")),
                command,
                file,
            };
            run_shell(&data, connect.as_deref(), options, master_key_file)
        }
        Command::Serve {
            data,
            listen,
            auth,
            password_file,
            tls_cert,
            tls_key,
            tls_required,
            no_audit,
            master_key_file,
        } => serve(ServeOptions {
            data,
            listen,
            auth,
            password_file,
            tls: tls_cert.zip(tls_key),
            tls_required,
            no_audit,
            master_key_file,
        }),
        Command::Slt {
            files,
            verbose,
            max_failures,
        } => run_slt(&files, verbose, max_failures),
        Command::Verify {
            data,
            tables,
            digest,
            master_key_file,
        } => verify(&data, &tables, digest.as_deref(), master_key_file),
        Command::MasterKey { out } => {
            let written = vellum::crypto::aead::AeadKey::generate().and_then(|key| {
                key.write_key_file(&out)?;
                Ok(key.fingerprint())
            });
            match written {
                Ok(fingerprint) => {
                    println!("{}", hex(&fingerprint));
                    eprintln!(
                        "wrote {}; keep a copy apart from the data, and start with: vellum serve --master-key-file {}",
                        out.display(),
                        out.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("vellum master-key: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Rekey {
            data,
            old_key_file,
            new_key_file,
        } => rekey(&data, &old_key_file, &new_key_file),
        Command::Digest { connect, out } => match vellum::shell::digests::save_digests(&connect, &out) {
            Ok(tables) => {
                println!(
                    "{} digests written to {}: {}",
                    tables.len(),
                    out.display(),
                    tables.join(", ")
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("vellum digest: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Keygen { out } => match vellum::shell::block_signer::keygen(&out) {
            Ok(public) => {
                println!("{public}");
                eprintln!(
                    "wrote {}; register it with: CREATE SIGNER name PUBLIC KEY '{public}'",
                    out.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("vellum keygen: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Sign {
            key,
            connect,
            table,
            block,
            all_unsigned: _,
        } => sign(&key, &connect, &table, block),
    }
}

/// `vellum sign`: one line per block signed, exit status 1 on any error.
fn sign(key: &std::path::Path, url: &str, table: &str, block: Option<u64>) -> ExitCode {
    use vellum::shell::block_signer::{sign, BlockChoice};
    let choice = block.map_or(BlockChoice::AllUnsigned, BlockChoice::One);
    match sign(key, url, table, choice) {
        Ok(outcome) => {
            for (id, confirmed) in &outcome.signed {
                let state = if *confirmed { "confirmed" } else { "not yet confirmed" };
                println!("signed block {id} of {table} ({state})");
            }
            println!(
                "{} blocks signed, {} already signed",
                outcome.signed.len(),
                outcome.already.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("vellum sign: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `vellum verify`: like pg_amcheck, findings on stdout, progress on stderr, exit status 1
/// when anything fails (blocks only awaiting signatures, `unconfirmed`, are reported but are
/// not a failure), 2 on an error.
fn verify(
    data: &std::path::Path,
    tables: &[String],
    digests: Option<&std::path::Path>,
    master_key_file: Option<PathBuf>,
) -> ExitCode {
    if !data.join("db").exists() {
        eprintln!("vellum verify: no database in {}", data.display());
        return ExitCode::from(2);
    }
    let db = match open_database(data, master_key_file, true) {
        Ok(db) => db,
        Err(message) => {
            eprintln!("vellum verify: {message}");
            return ExitCode::from(2);
        }
    };
    let progress = |table: &str, done: usize, total: usize| {
        let width = 30;
        let filled = (done * width).checked_div(total).unwrap_or(width);
        eprint!(
            "\r[{}{}] {done}/{total} {table:<40}",
            "#".repeat(filled),
            "-".repeat(width - filled)
        );
        if done == total {
            eprintln!();
        }
    };
    let mut failed = false;
    let mut unverified = false;
    match vellum::session::verify::verify_tables(&db, tables, progress) {
        Ok(verified) => {
            for (table, why) in &verified.unverified {
                eprintln!("vellum verify: {table} not verified: {why}");
                unverified = true;
            }
            let findings = &verified.findings;
            if findings.is_empty() && verified.unverified.is_empty() {
                println!("all blockchain tables verified: no findings");
            } else if findings.is_empty() {
                println!("{} blockchain tables verified: no findings", verified.tables);
            } else {
                for (table, block, finding, detail) in findings {
                    let block = block.map_or_else(|| "no block".to_string(), |b| format!("block {b}"));
                    println!("{table}: {finding} ({block}): {detail}");
                    failed |= finding != "unconfirmed";
                }
                println!("{} findings", findings.len());
            }
        }
        Err(e) => {
            eprintln!("vellum verify: {e}");
            return ExitCode::from(2);
        }
    }
    if let Some(file) = digests {
        match vellum::session::verify::check_digests(&db, file) {
            Ok(checks) => {
                for (table, block, holds) in &checks {
                    let verdict = if *holds { "holds" } else { "FAILS" };
                    println!("digest of {table} at block {block}: {verdict}");
                    failed |= !holds;
                }
            }
            Err(e) => {
                eprintln!("vellum verify: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else if unverified {
        // Nothing was found wrong, but not everything could be looked at.
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs the shell on an embedded database at `data`, or on the server at `connect`.
fn run_shell(
    data: &std::path::Path,
    connect: Option<&str>,
    options: vellum::shell::Options,
    master_key_file: Option<PathBuf>,
) -> ExitCode {
    let outcome = match connect {
        Some(url) => match vellum::shell::Remote::connect(url) {
            Ok(mut remote) => vellum::shell::run(&mut remote, options),
            Err(report) => {
                eprintln!("vellum: cannot connect to {url}: {}", report.message);
                return ExitCode::FAILURE;
            }
        },
        None => {
            let db = match open_database(data, master_key_file, false) {
                Ok(db) => db,
                Err(message) => {
                    eprintln!("vellum: {message}");
                    return ExitCode::FAILURE;
                }
            };
            let target = format!("embedded database {}", data.display());
            let mut embedded = vellum::shell::Embedded::new(db.session(), target);
            let outcome = vellum::shell::run(&mut embedded, options);
            if let Err(e) = db.sync() {
                eprintln!("vellum: {e}");
                return ExitCode::FAILURE;
            }
            outcome
        }
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        // Some statement failed: scripts and pipelines see it in the exit status.
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("vellum: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `vellum serve`: logs to stderr (filtered by RUST_LOG, default `info`), stops on SIGINT/SIGTERM.
fn serve(options: ServeOptions) -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let data = options.data.as_path();
    let mut config = vellum::server::ServerConfig {
        auth: match options.auth {
            Auth::LoopbackTrust => vellum::server::AuthMethod::LoopbackTrust,
            Auth::Scram => vellum::server::AuthMethod::Scram,
        },
        tls_required: options.tls_required,
        ..Default::default()
    };
    if let Err(message) = vellum::server::check_listen_address(&options.listen, config.auth) {
        eprintln!("vellum: {message}");
        return ExitCode::FAILURE;
    }
    if let Some((cert, key)) = &options.tls {
        match vellum::server::Tls::from_pem_files(cert, key) {
            Ok(tls) => config.tls = Some(tls),
            Err(message) => {
                eprintln!("vellum: {message}");
                return ExitCode::FAILURE;
            }
        }
    }
    let password = match options.password_file.as_deref().map(read_password_file).transpose() {
        Ok(p) => p,
        Err(message) => {
            eprintln!("vellum: {message}");
            return ExitCode::FAILURE;
        }
    };
    let db = match open_database(data, options.master_key_file.clone(), false) {
        Ok(db) => db,
        Err(message) => {
            eprintln!("vellum: {message}");
            return ExitCode::FAILURE;
        }
    };
    if options.no_audit {
        db.set_audit(false);
    }
    if let Some(verifier) = password {
        if let Err(e) = db.set_role_password(vellum::catalog::BOOTSTRAP_SUPERUSER, verifier) {
            eprintln!("vellum: cannot set the password: {e}");
            return ExitCode::FAILURE;
        }
    }
    if let Err(message) = vellum::server::check_config(&db, &config) {
        eprintln!("vellum: {message}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vellum: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listen = options.listen;
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        tracing::info!(
            data = %data.display(),
            auth = ?config.auth,
            tls = config.tls.is_some(),
            "listening on {}",
            listener.local_addr()?
        );
        vellum::server::run_with(db, listener, stop_signal(), config).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vellum: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The master key from `--master-key-file`, else from the file VELLUM_MASTER_KEY_FILE names;
/// `None` when neither is given.
fn master_key(file: Option<PathBuf>) -> vellum::Result<Option<vellum::crypto::aead::AeadKey>> {
    let file = file.or_else(|| {
        std::env::var_os("VELLUM_MASTER_KEY_FILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    file.map(|f| vellum::crypto::aead::AeadKey::read_key_file(&f))
        .transpose()
}

/// Opens the database at `data` with the master key of `master_key_file` (or the environment's);
/// `quiet`: without background services, changing nothing. The error is a message for stderr.
fn open_database(data: &std::path::Path, master_key_file: Option<PathBuf>, quiet: bool) -> Result<Database, String> {
    let master_key = master_key(master_key_file).map_err(|e| e.to_string())?;
    Database::open_with_options(data, vellum::OpenOptions { master_key, quiet })
        .map_err(|e| format!("cannot open {}: {e}", data.display()))
}

/// `vellum rekey`: re-wraps the data keys of a stopped database under a new master key.
fn rekey(data: &std::path::Path, old: &std::path::Path, new: &std::path::Path) -> ExitCode {
    use vellum::crypto::aead::AeadKey;
    if !data.join("db").exists() {
        eprintln!("vellum rekey: no database in {}", data.display());
        return ExitCode::FAILURE;
    }
    let outcome = (|| {
        let old = AeadKey::read_key_file(old)?;
        let new = AeadKey::read_key_file(new)?;
        let fingerprint = new.fingerprint();
        let options = vellum::OpenOptions {
            master_key: Some(old),
            quiet: true,
        };
        let db = Database::open_with_options(data, options)?;
        let count = db.rotate_master_key(new)?;
        db.sync()?;
        Ok::<_, vellum::Error>((count, fingerprint))
    })();
    match outcome {
        Ok((count, fingerprint)) => {
            println!("{count} data keys re-wrapped under master key {}", hex(&fingerprint));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("vellum rekey: {e}");
            if let Some(hint) = e.hint() {
                eprintln!("HINT: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SCRAM-SHA-256 verifier for the password on the first line of `path` (as `initdb
/// --pwfile` reads it); a line that already is a verifier is kept as it is.
fn read_password_file(path: &std::path::Path) -> Result<String, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read password file {}: {e}", path.display()))?;
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        return Err(format!(
            "password file {} is empty: its first line is the password",
            path.display()
        ));
    }
    if vellum::crypto::scram::Verifier::is_verifier(line) {
        return Ok(line.to_string());
    }
    Ok(vellum::crypto::scram::Verifier::from_password(line).to_string())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("stop signal received");
}

/// Runs every .slt/.test file under `paths`, printing per-file pass/fail counts and a total.
fn run_slt(paths: &[PathBuf], verbose: bool, max_failures: usize) -> ExitCode {
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files);
    }
    files.sort();
    let options = vellum::slt::SltOptions {
        max_reported_failures: max_failures,
        ..Default::default()
    };
    let (mut run, mut passed, mut failed, mut skipped) = (0, 0, 0, 0);
    for file in &files {
        match vellum::slt::run_file(file, &options) {
            Ok(report) => {
                println!(
                    "{}: {} run, {} passed, {} failed, {} skipped{}",
                    file.display(),
                    report.run,
                    report.passed,
                    report.failed,
                    report.skipped,
                    if report.halted { " (halted)" } else { "" }
                );
                if verbose && report.failed > 0 {
                    println!("{report}");
                }
                run += report.run;
                passed += report.passed;
                failed += report.failed;
                skipped += report.skipped;
            }
            Err(e) => {
                println!("{}: cannot run: {e}", file.display());
                failed += 1;
            }
        }
    }
    println!(
        "total: {} files, {run} records run, {passed} passed, {failed} failed, {skipped} skipped",
        files.len()
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn collect(path: &std::path::Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        if let Ok(entries) = std::fs::read_dir(path) {
            for entry in entries.flatten() {
                collect(&entry.path(), out);
            }
        }
    } else if path.extension().is_some_and(|e| e == "slt" || e == "test") {
        out.push(path.to_path_buf());
    }
}
