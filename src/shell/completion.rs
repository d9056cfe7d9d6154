//! Tab completion for the line editor: SQL keywords, relation names and column names, file
//! names after `\i`. Names come from a shared list the REPL refreshes after statements that can
//! change the schema; completing never talks to the database itself.

use std::sync::Arc;

use parking_lot::RwLock;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use super::backend::Names;

const KEYWORDS: &[&str] = &[
    "ABORT",
    "ADD",
    "ALL",
    "ALTER",
    "AND",
    "ANY",
    "AS",
    "ASC",
    "BEGIN",
    "BETWEEN",
    "BIGINT",
    "BOOLEAN",
    "BY",
    "BYTEA",
    "CASCADE",
    "CASE",
    "CAST",
    "CHECK",
    "COALESCE",
    "COLUMN",
    "COMMIT",
    "CONSTRAINT",
    "COUNT",
    "CREATE",
    "CROSS",
    "CURRENT_DATE",
    "CURRENT_TIMESTAMP",
    "DATE",
    "DEFAULT",
    "DELETE",
    "DESC",
    "DISTINCT",
    "DOUBLE PRECISION",
    "DROP",
    "ELSE",
    "END",
    "EXCEPT",
    "EXISTS",
    "EXPLAIN",
    "FALSE",
    "FETCH",
    "FILTER",
    "FIRST",
    "FOREIGN",
    "FROM",
    "FULL",
    "GROUP BY",
    "HAVING",
    "IF",
    "ILIKE",
    "IN",
    "INDEX",
    "INNER",
    "INSERT",
    "INTEGER",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IS",
    "JOIN",
    "JSONB",
    "KEY",
    "LAST",
    "LATERAL",
    "LEFT",
    "LIKE",
    "LIMIT",
    "NOT",
    "NULL",
    "NULLS",
    "NUMERIC",
    "OFFSET",
    "ON",
    "OR",
    "ORDER BY",
    "OUTER",
    "OVER",
    "PARTITION",
    "PRIMARY KEY",
    "REAL",
    "REFERENCES",
    "RENAME",
    "RETURNING",
    "RIGHT",
    "ROLLBACK",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "SHOW",
    "SMALLINT",
    "TABLE",
    "TEXT",
    "THEN",
    "TIMESTAMP",
    "TIMESTAMPTZ",
    "TO",
    "TRANSACTION",
    "TRUE",
    "TRUNCATE",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "UUID",
    "VALUES",
    "VARCHAR",
    "VIEW",
    "WHEN",
    "WHERE",
    "WITH",
];

/// Keywords after which only a relation name makes sense.
const BEFORE_RELATION: &[&str] = &[
    "FROM", "JOIN", "INTO", "UPDATE", "TABLE", "\\D", "\\DT", "TRUNCATE", "ON",
];

/// The rustyline helper: completion only; no hints, highlighting or validation.
pub struct SqlHelper {
    names: Arc<RwLock<Names>>,
    files: FilenameCompleter,
}

impl SqlHelper {
    pub fn new(names: Arc<RwLock<Names>>) -> SqlHelper {
        SqlHelper {
            names,
            files: FilenameCompleter::new(),
        }
    }
}

impl Completer for SqlHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = line.get(..pos).unwrap_or(line);
        if before.trim_start().starts_with("\\i ") || before.trim_start().starts_with("\\include ") {
            return self.files.complete(line, pos, ctx);
        }
        let names = self.names.read();
        Ok(candidates(before, &names))
    }
}

/// The start of the word being completed and what may replace it.
pub fn candidates(before: &str, names: &Names) -> (usize, Vec<Pair>) {
    let start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_alphanumeric() || c == '_' || c == '"')
        .last()
        .map_or(before.len(), |(i, _)| i);
    let word = before.get(start..).unwrap_or("");
    let previous = before
        .get(..start)
        .unwrap_or("")
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(')
        .rfind(|w| !w.is_empty())
        .unwrap_or("")
        .to_uppercase();
    let lower = word.to_lowercase();
    let quoted = word.starts_with('"');
    let mut out = Vec::new();
    let mut push_name = |name: &str| {
        let spelled = if quoted {
            format!("\"{name}\"")
        } else {
            name.to_string()
        };
        if spelled.to_lowercase().starts_with(&lower) && !out.iter().any(|p: &Pair| p.replacement == spelled) {
            out.push(Pair {
                display: spelled.clone(),
                replacement: spelled,
            });
        }
    };
    for relation in &names.relations {
        push_name(relation);
    }
    if !BEFORE_RELATION.contains(&previous.as_str()) {
        for column in &names.columns {
            push_name(column);
        }
        if !quoted && !word.is_empty() {
            // psql's keyword case follows what the user started typing.
            let upper = !word.chars().any(|c| c.is_lowercase());
            for keyword in KEYWORDS.iter().filter(|k| k.to_lowercase().starts_with(&lower)) {
                let spelled = if upper {
                    keyword.to_string()
                } else {
                    keyword.to_lowercase()
                };
                out.push(Pair {
                    display: spelled.clone(),
                    replacement: spelled,
                });
            }
        }
    }
    (start, out)
}

impl Hinter for SqlHelper {
    type Hint = String;
}

impl Highlighter for SqlHelper {}

impl Validator for SqlHelper {}

impl Helper for SqlHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names {
            relations: vec!["orders".to_string(), "customers".to_string()],
            columns: vec!["order_id".to_string(), "customer_id".to_string()],
        }
    }

    fn replacements(before: &str) -> (usize, Vec<String>) {
        let (start, pairs) = candidates(before, &names());
        (start, pairs.into_iter().map(|p| p.replacement).collect())
    }

    #[test]
    fn relation_after_from() {
        assert_eq!(replacements("select * from ord"), (14, vec!["orders".to_string()]));
        // Only relations after FROM, even when a column shares the prefix.
        assert_eq!(replacements("SELECT * FROM cust"), (14, vec!["customers".to_string()]));
    }

    #[test]
    fn columns_and_keywords_elsewhere() {
        let (start, got) = replacements("select cust");
        assert_eq!(start, 7);
        assert_eq!(got, vec!["customers".to_string(), "customer_id".to_string()]);
        assert_eq!(replacements("SEL").1, vec!["SELECT".to_string()]);
        assert_eq!(replacements("sel").1, vec!["select".to_string()]);
    }

    #[test]
    fn describe_completes_relations() {
        assert_eq!(replacements("\\d ord").1, vec!["orders".to_string()]);
    }
}
