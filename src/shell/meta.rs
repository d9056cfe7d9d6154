//! Backslash meta-commands (`\dt`, `\d name`, `\verify name`, `\i file`, `\timing`, `\pset`, `\q`, `\?`) and
//! the psql-shaped listings they print. They reach the database only through `Backend`.

use std::path::Path;

use super::backend::{ResultColumn, ResultSet, TableInfo};
use super::repl::{Flow, Shell};
use super::table::{render, Style};

const HELP: &str = "\
General
  \\q                     quit the shell (also Ctrl-D)
  \\? or \\help            show this help
  \\conninfo              show where the shell is connected

Query
  \\i FILE                run the statements in FILE
  \\timing [on|off]       show how long each statement takes
  \\pset null TEXT        show NULL as TEXT (default NULL)
  \\pset footer [on|off]  show the (n rows) footer

Informational
  \\d                     list tables and views
  \\dt                    list tables
  \\dv                    list views
  \\d NAME                describe a table or view
  \\verify NAME           verify a blockchain table: its blocks, and what is found if tampered

Input
  Statements end with ';' and may span lines. Ctrl-C clears the statement being typed, or
  cancels the one running. Tab completes keywords, table and column names.
";

/// `\i` nesting beyond this is a file including itself.
const MAX_INCLUDE_DEPTH: usize = 16;

impl Shell<'_> {
    /// Runs a meta-command line; `Flow::Quit` for `\q`.
    pub(super) fn meta(&mut self, line: &str) -> Flow {
        let (command, arg) = match line.split_once(char::is_whitespace) {
            Some((c, a)) => (c, a.trim()),
            None => (line, ""),
        };
        match command {
            "\\q" | "\\quit" => return Flow::Quit,
            "\\?" | "\\help" | "\\h" => print!("{HELP}"),
            "\\conninfo" => println!("Connected to {}.", self.backend.target()),
            "\\timing" => match on_off(arg, self.timing) {
                Some(value) => {
                    self.timing = value;
                    println!("Timing is {}.", if value { "on" } else { "off" });
                }
                None => self.fail(&format!(
                    "unrecognized value \"{arg}\" for \"\\timing\": Boolean expected"
                )),
            },
            "\\pset" => self.pset(arg),
            "\\d" if !arg.is_empty() => self.describe(arg),
            "\\d" | "\\dt" | "\\dv" => self.list(command),
            "\\verify" if !arg.is_empty() => self.verify(arg),
            "\\verify" => self.fail("\\verify: missing required argument"),
            "\\i" | "\\include" => {
                if arg.is_empty() {
                    self.fail("\\i: missing required argument");
                } else {
                    return self.run_file(Path::new(arg));
                }
            }
            other => self.fail(&format!("invalid command {other}\nTry \\? for help.")),
        }
        Flow::Continue
    }

    fn fail(&mut self, message: &str) {
        self.failed = true;
        eprintln!("{message}");
    }

    pub(super) fn run_file(&mut self, path: &Path) -> Flow {
        if self.include_depth >= MAX_INCLUDE_DEPTH {
            self.fail(&format!("{}: \\i nested too deeply", path.display()));
            return Flow::Continue;
        }
        match std::fs::read_to_string(path) {
            Ok(text) => {
                self.include_depth += 1;
                let flow = self.run_text(&text);
                self.include_depth -= 1;
                self.refresh_names();
                flow
            }
            Err(e) => {
                self.fail(&format!("{}: {e}", path.display()));
                Flow::Continue
            }
        }
    }

    fn pset(&mut self, arg: &str) {
        let (option, value) = match arg.split_once(char::is_whitespace) {
            Some((o, v)) => (o, v.trim()),
            None => (arg, ""),
        };
        match option {
            "null" => {
                self.style.null = value.trim_matches('\'').to_string();
                println!("Null display is \"{}\".", self.style.null);
            }
            "footer" => match on_off(value, self.style.footer) {
                Some(v) => {
                    self.style.footer = v;
                    println!("Default footer is {}.", if v { "on" } else { "off" });
                }
                None => self.fail(&format!(
                    "unrecognized value \"{value}\" for \"footer\": Boolean expected"
                )),
            },
            _ => self.fail(&format!("\\pset: unknown option: {option}")),
        }
    }

    fn list(&mut self, command: &str) {
        let relations = match self.backend.relations() {
            Ok(r) => r,
            Err(report) => return self.fail(&report.to_string()),
        };
        let wanted: Vec<_> = relations
            .into_iter()
            .filter(|r| match command {
                "\\dt" => r.kind == "table",
                "\\dv" => r.kind == "view",
                _ => true,
            })
            .collect();
        if wanted.is_empty() {
            println!("Did not find any relations.");
            return;
        }
        let set = ResultSet {
            columns: ["Schema", "Name", "Type"].iter().map(|n| text_column(n)).collect(),
            rows: wanted
                .into_iter()
                .map(|r| vec![Some("public".to_string()), Some(r.name), Some(r.kind)])
                .collect(),
        };
        print!("{}", render(&set, Some("List of relations"), &self.style));
    }

    /// `\verify t`: whether the chain of blockchain table `t` is intact, how many blocks it has,
    /// and the tamper report (empty when intact), through the same SQL functions a client calls.
    fn verify(&mut self, name: &str) {
        let literal = format!("'{}'", name.replace('\'', "''"));
        self.run_sql(&format!(
            "SELECT verify_blockchain({literal}) AS verified, \
             (SELECT count(*) FROM blockchain_metadata({literal})) AS blocks; \
             SELECT block_id, finding, detail FROM blockchain_tamper_report({literal})"
        ));
    }

    fn describe(&mut self, name: &str) {
        match self.backend.describe(name) {
            Ok(Some(info)) => print!("{}", describe_text(&info)),
            Ok(None) => self.fail(&format!("Did not find any relation named \"{name}\".")),
            Err(report) => self.fail(&report.to_string()),
        }
    }
}

/// psql's `\d name` layout, without the Collation column (Vellum has no collations).
pub fn describe_text(info: &TableInfo) -> String {
    let set = ResultSet {
        columns: ["Column", "Type", "Nullable", "Default"]
            .iter()
            .map(|n| text_column(n))
            .collect(),
        rows: info
            .columns
            .iter()
            .map(|c| {
                vec![
                    Some(c.name.clone()),
                    Some(c.type_name.clone()),
                    Some(if c.nullable { "" } else { "not null" }.to_string()),
                    Some(c.default.clone().unwrap_or_default()),
                ]
            })
            .collect(),
    };
    let kind = if info.kind == "view" { "View" } else { "Table" };
    let title = format!("{kind} \"public.{}\"", info.name);
    let style = Style {
        null: String::new(),
        footer: false,
    };
    let mut out = render(&set, Some(&title), &style);
    // render ends with a blank line; the footers follow the table directly.
    out.pop();
    let mut section = |heading: &str, lines: &[String]| {
        if !lines.is_empty() {
            out.push_str(heading);
            out.push('\n');
            for line in lines {
                out.push_str("    ");
                out.push_str(line);
                out.push('\n');
            }
        }
    };
    section("Indexes:", &info.indexes);
    section("Check constraints:", &info.checks);
    if let Some(definition) = &info.definition {
        section("View definition:", std::slice::from_ref(definition));
    }
    out.push('\n');
    out
}

fn text_column(name: &str) -> ResultColumn {
    ResultColumn {
        name: name.to_string(),
        numeric: false,
    }
}

/// psql's boolean argument: empty toggles.
fn on_off(arg: &str, current: bool) -> Option<bool> {
    match arg.to_lowercase().as_str() {
        "" => Some(!current),
        "on" | "true" | "yes" | "1" => Some(true),
        "off" | "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::backend::ColumnInfo;
    use super::*;

    /// The expected text is psql 15's `\d t` for
    /// `create table t (id int primary key, name text not null default 'x', c int check (c>0) unique);
    ///  create index ti on t(name);` with the Collation column removed.
    #[test]
    fn describe_matches_psql() {
        let column = |name: &str, type_name: &str, nullable: bool, default: Option<&str>| ColumnInfo {
            name: name.to_string(),
            type_name: type_name.to_string(),
            nullable,
            default: default.map(str::to_string),
        };
        let info = TableInfo {
            name: "t".to_string(),
            kind: "table".to_string(),
            columns: vec![
                column("id", "integer", false, None),
                column("name", "text", false, Some("'x'::text")),
                column("c", "integer", true, None),
            ],
            indexes: vec![
                "\"t_pkey\" PRIMARY KEY, btree (id)".to_string(),
                "\"t_c_key\" UNIQUE CONSTRAINT, btree (c)".to_string(),
                "\"ti\" btree (name)".to_string(),
            ],
            checks: vec!["\"t_c_check\" CHECK (c > 0)".to_string()],
            definition: None,
        };
        let expected = concat!(
            "            Table \"public.t\"\n",
            " Column |  Type   | Nullable |  Default  \n",
            "--------+---------+----------+-----------\n",
            " id     | integer | not null | \n",
            " name   | text    | not null | 'x'::text\n",
            " c      | integer |          | \n",
            "Indexes:\n",
            "    \"t_pkey\" PRIMARY KEY, btree (id)\n",
            "    \"t_c_key\" UNIQUE CONSTRAINT, btree (c)\n",
            "    \"ti\" btree (name)\n",
            "Check constraints:\n",
            "    \"t_c_check\" CHECK (c > 0)\n",
            "\n",
        );
        assert_eq!(describe_text(&info), expected);
    }
}
