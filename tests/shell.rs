//! Drives the real `vellum shell` binary: interactively in a pseudo-terminal (line editing,
//! multi-line input, completion, Ctrl-C, meta-commands) and with piped standard input.
//! Expected output is psql 15's layout for the same statements.

mod server_common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use rexpect::reader::Options;
use rexpect::session::{spawn_with_options, PtySession};

const TIMEOUT_MS: u64 = 30_000;

/// Starts `vellum shell` on an embedded database in `dir`, with `dir` as HOME so the history
/// file lands there.
fn start(dir: &Path) -> PtySession {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vellum"));
    command
        .arg("shell")
        .arg("--data")
        .arg(dir.join("data"))
        .env("HOME", dir)
        .env("TERM", "xterm");
    let options = Options {
        timeout_ms: Some(TIMEOUT_MS),
        strip_ansi_escape_codes: true,
    };
    let mut shell = spawn_with_options(command, options).expect("spawn vellum shell");
    shell.exp_string("Type \\? for help").expect("banner");
    shell.exp_string("vellum=> ").expect("first prompt");
    shell
}

/// Sends a line and waits for the shell's next main prompt, returning what came before it.
/// Lines stay shorter than the terminal is wide: the editor redraws a wrapped line with its
/// prompt, which would look like the next prompt. Like a person, the tests wait for each prompt
/// before typing: the line editor discards input typed ahead of it.
fn run(shell: &mut PtySession, line: &str) -> String {
    shell.send_line(line).expect("send");
    shell.exp_string("vellum=> ").expect("prompt after line")
}

/// Sends a line that continues a statement and waits for the given continuation prompt.
fn continue_with(shell: &mut PtySession, line: &str, prompt: &str) {
    shell.send_line(line).expect("send");
    shell.exp_string(prompt).expect("continuation prompt");
}

fn setup(shell: &mut PtySession) {
    continue_with(shell, "create table items (", "vellum(> ");
    continue_with(shell, "  id int primary key,", "vellum(> ");
    continue_with(shell, "  name text not null,", "vellum(> ");
    let out = run(shell, "  note text);");
    assert!(out.contains("CREATE TABLE"), "{out}");
    continue_with(shell, "insert into items values", "vellum-> ");
    continue_with(shell, "  (1, 'pen; blue', NULL),", "vellum-> ");
    let out = run(shell, "  (2, 'ink', '');");
    assert!(out.contains("INSERT 0 2"), "{out}");
}

#[test]
fn multi_line_statements_print_aligned_tables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut shell = start(dir.path());
    setup(&mut shell);
    continue_with(&mut shell, "select id, name, note", "vellum-> ");
    let out = run(&mut shell, "from items order by id;");
    // NULL is shown as NULL, the empty string as nothing; the `;` inside the literal did not
    // end the INSERT above.
    let expected = [
        " id |   name    | note ",
        "----+-----------+------",
        "  1 | pen; blue | NULL",
        "  2 | ink       | ",
        "(2 rows)",
    ];
    let lines: Vec<&str> = out.lines().map(|l| l.trim_end_matches('\r')).collect();
    let start = lines
        .iter()
        .position(|l| *l == expected[0])
        .unwrap_or_else(|| panic!("no header in {out:?}"));
    assert_eq!(&lines[start..start + expected.len()], &expected);

    shell.send_line("\\q").expect("send");
    shell.exp_eof().expect("exit after \\q");
    let history = std::fs::read_to_string(dir.path().join(".vellum_history")).expect("history file");
    assert!(history.contains("create table items ("), "{history}");
}

#[test]
fn errors_show_sqlstate_and_detail_without_ending_the_shell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut shell = start(dir.path());
    setup(&mut shell);
    let out = run(&mut shell, "select 1/0;");
    assert!(out.contains("ERROR:  division by zero (SQLSTATE 22012)"), "{out}");
    let out = run(&mut shell, "insert into items values (1, 'x', null);");
    assert!(
        out.contains("ERROR:  duplicate key value violates unique constraint \"items_pkey\" (SQLSTATE 23505)"),
        "{out}"
    );
    assert!(out.contains("DETAIL:  Key (id)=(1) already exists."), "{out}");
    let out = run(&mut shell, "select 'still here' as s;");
    assert!(out.contains(" still here"), "{out}");
    // psql's prompt marks an open (`*`) and a failed (`!`) transaction block.
    continue_with(&mut shell, "begin;", "vellum=*> ");
    continue_with(&mut shell, "select 1/0;", "vellum=!> ");
    let out = run(&mut shell, "rollback;");
    assert!(out.contains("ROLLBACK"), "{out}");
    shell.send_line("\\q").expect("send");
    shell.exp_eof().expect("exit");
}

#[test]
fn meta_commands_list_and_describe() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut shell = start(dir.path());
    setup(&mut shell);
    run(&mut shell, "create unique index items_name on items (name);");
    continue_with(&mut shell, "alter table items", "vellum-> ");
    run(&mut shell, "add constraint positive check (id > 0);");
    let out = run(&mut shell, "\\dt");
    assert!(out.contains("List of relations"), "{out}");
    assert!(out.contains(" public | items | table"), "{out}");
    let out = run(&mut shell, "\\d items");
    for line in [
        "Table \"public.items\"",
        " Column |  Type   | Nullable | Default ",
        " id     | integer | not null | ",
        " name   | text    | not null | ",
        " note   | text    |          | ",
        "Indexes:",
        "    \"items_pkey\" PRIMARY KEY, btree (id)",
        "    \"items_name\" UNIQUE, btree (name)",
        "Check constraints:",
        "    \"positive\" CHECK (id > 0)",
    ] {
        assert!(out.contains(line), "missing {line:?} in {out}");
    }
    let out = run(&mut shell, "\\d nosuch");
    assert!(out.contains("Did not find any relation named \"nosuch\"."), "{out}");
    let out = run(&mut shell, "\\timing on");
    assert!(out.contains("Timing is on."), "{out}");
    let out = run(&mut shell, "select 1;");
    assert!(out.contains("Time: "), "{out}");

    let script = dir.path().join("script.sql");
    std::fs::write(
        &script,
        "insert into items values (3, 'from file', 'x');\nselect count(*) from items;\n",
    )
    .expect("write script");
    let out = run(&mut shell, &format!("\\i {}", script.display()));
    assert!(out.contains("INSERT 0 1"), "{out}");
    assert!(out.contains("     3\r\n(1 row)"), "{out}");
    shell.send_line("\\q").expect("send");
    shell.exp_eof().expect("exit");
}

#[test]
fn tab_completes_table_names_created_in_the_session() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut shell = start(dir.path());
    setup(&mut shell);
    // `ite` only runs if completion turned it into `items`: otherwise relation "ite" is unknown.
    shell.send("select count(*) from ite").expect("send");
    shell.send("\t").expect("tab");
    shell.flush().expect("flush");
    shell.exp_string("from items").expect("completed name echoed");
    let out = run(&mut shell, ";");
    assert!(!out.contains("ERROR"), "{out}");
    assert!(out.contains("     2\r\n(1 row)"), "{out}");
    shell.send_line("\\q").expect("send");
    shell.exp_eof().expect("exit");
}

#[test]
fn ctrl_c_clears_partial_input_and_cancels_a_running_statement() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut shell = start(dir.path());
    shell.send_line("select 'partial'").expect("send");
    shell.exp_string("vellum-> ").expect("continuation prompt");
    shell.send_control('c').expect("ctrl-c");
    shell.exp_string("vellum=> ").expect("fresh prompt after ctrl-c");
    // Had the partial line survived, this would be a syntax error.
    let out = run(&mut shell, "select 'after' as x;");
    assert!(!out.contains("ERROR"), "{out}");
    assert!(out.contains(" after\r\n(1 row)"), "{out}");

    // Ten billion rows: only a cancel ends this within the test's timeout.
    continue_with(&mut shell, "select count(*)", "vellum-> ");
    continue_with(&mut shell, "from generate_series(1, 100000) a,", "vellum-> ");
    shell.send_line("generate_series(1, 100000) b;").expect("send");
    std::thread::sleep(std::time::Duration::from_millis(500));
    shell.send_control('c').expect("ctrl-c");
    shell
        .exp_string("ERROR:  canceling statement due to user request (SQLSTATE 57014)")
        .expect("statement cancelled");
    shell.exp_string("vellum=> ").expect("prompt after cancel");
    let out = run(&mut shell, "select 'alive' as x;");
    assert!(out.contains(" alive"), "{out}");
    shell.send_control('d').expect("ctrl-d");
    shell.exp_eof().expect("ctrl-d exits");
}

fn piped(dir: &Path, input: &str) -> std::process::Output {
    let data = dir.join("data");
    piped_with(&["shell".as_ref(), "--data".as_ref(), data.as_os_str()], input)
}

/// Runs `vellum` with `args`, feeding `input` on standard input.
fn piped_with(args: &[&std::ffi::OsStr], input: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vellum"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

#[test]
fn piped_input_runs_without_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = piped(dir.path(), "select 1;\n");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        " ?column? \n----------\n        1\n(1 row)\n\n"
    );

    // A failing statement does not stop the script; the exit status reports it. The last
    // statement has no `;` and still runs at end of input, as with psql.
    let out = piped(
        dir.path(),
        "create table t (a text);\nselect 1/0;\ninsert into t values ('x') returning a;\nselect count(*) from t",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "CREATE TABLE\n a \n---\n x\n(1 row)\n\nINSERT 0 1\n count \n-------\n     1\n(1 row)\n\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "ERROR:  division by zero (SQLSTATE 22012)\n"
    );
}

/// `vellum shell --connect` against a running server prints what the embedded shell prints, and
/// the server really holds the data (a second connection sees it).
#[test]
fn connect_talks_to_a_running_server() {
    let server = server_common::TestServer::start();
    let url = format!("postgres://vellum@127.0.0.1:{}/vellum", server.port);
    let remote = |input: &str| piped_with(&["shell".as_ref(), "--connect".as_ref(), url.as_ref()], input);
    let out = remote(
        "create table t (a int primary key, b text);\ninsert into t values (1, 'x'), (2, NULL);\n\
         select * from t order by a;\nselect 1/0;\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        // NULL is shown distinctly by default (psql's `\pset null NULL` layout).
        "CREATE TABLE\nINSERT 0 2\n a |  b   \n---+------\n 1 | x\n 2 | NULL\n(2 rows)\n\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "ERROR:  division by zero (SQLSTATE 22012)\n"
    );

    let out = remote("select count(*) from t where b is null;\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        " count \n-------\n     1\n(1 row)\n\n"
    );

    // An address where nothing listens: a clear error and a failing exit status, no hang.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let out = Command::new(env!("CARGO_BIN_EXE_vellum"))
        .args([
            "shell",
            "--connect",
            &format!("postgres://vellum@127.0.0.1:{port}/vellum"),
        ])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(!out.stderr.is_empty(), "an error message is printed");
}

/// `\verify NAME` reports a blockchain table's state through the ledger functions; a table that
/// is not a blockchain table, or a missing name, is an error that does not end the shell.
#[test]
fn verify_meta_command_checks_a_blockchain_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = piped(
        dir.path(),
        "create blockchain table ledger (id int primary key, note text) with (block_size = 2);\n\
         insert into ledger values (1, 'a'), (2, 'b'), (3, 'c');\n\
         \\verify ledger\n\
         create table plain (a int);\n\
         \\verify plain\n\
         \\verify\n\
         select 'still here' as s;\n",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Genesis plus one sealed block of two rows; the third row is pending.
    assert!(
        stdout.contains(" verified | blocks \n----------+--------\n t        |      2\n(1 row)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(" block_id | finding | detail \n----------+---------+--------\n(0 rows)\n"),
        "{stdout}"
    );
    assert!(stdout.contains(" still here\n"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a blockchain table"), "{stderr}");
    assert!(stderr.contains("\\verify: missing required argument"), "{stderr}");
}
