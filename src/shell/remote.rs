//! The remote backend: a connection to a running server (Vellum's or PostgreSQL's) over the
//! PostgreSQL protocol, using only the simple query protocol. Schema questions are asked of
//! `pg_catalog`, as psql asks them.
//!
//! The simple protocol reports a statement's row count but not its command tag, nor column
//! types: tags are rebuilt from the statement's leading keywords and the count, and a column is
//! right-aligned when every value in it reads as a number.

use std::sync::Arc;

use parking_lot::Mutex;
use postgres::{Client, Config, NoTls, SimpleQueryMessage};

use super::backend::{
    Backend, Canceller, ColumnInfo, Names, Outcome, Relation, Reply, Report, ResultColumn, ResultSet, TableInfo,
    TxnState,
};
use super::embedded::fold_identifier;
use crate::types::quote::quote_literal;

pub struct Remote {
    client: Client,
    notices: Arc<Mutex<Vec<Report>>>,
    target: String,
}

impl Remote {
    /// Connects to `url` (`postgres://user@host:port/db`).
    pub fn connect(url: &str) -> Result<Remote, Report> {
        let mut config: Config = url
            .parse()
            .map_err(|e: postgres::Error| Report::error("08001", format!("invalid connection string: {e}")))?;
        // As libpq: a password in the URL wins, else PGPASSWORD.
        if let (None, Ok(password)) = (config.get_password(), std::env::var("PGPASSWORD")) {
            config.password(password);
        }
        let notices = Arc::new(Mutex::new(Vec::new()));
        let sink = notices.clone();
        config.notice_callback(move |notice| sink.lock().push(db_report(&notice)));
        let client = config.connect(NoTls).map_err(|e| error_report(&e))?;
        Ok(Remote {
            client,
            notices,
            target: url.to_string(),
        })
    }

    pub(super) fn rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, Report> {
        let messages = self.client.simple_query(sql).map_err(|e| error_report(&e))?;
        Ok(messages
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some((0..row.len()).map(|i| row.get(i).map(str::to_string)).collect()),
                _ => None,
            })
            .collect())
    }
}

impl Backend for Remote {
    fn execute(&mut self, sql: &str) -> Reply {
        let result = match self.client.simple_query(sql) {
            Ok(messages) => Ok(outcomes(sql, messages)),
            Err(e) => Err(error_report(&e)),
        };
        let notices = std::mem::take(&mut *self.notices.lock());
        Reply { result, notices }
    }

    fn canceller(&self) -> Canceller {
        let token = self.client.cancel_token();
        Arc::new(move || {
            // Nothing to do if the cancel request cannot be delivered: the statement runs on.
            let _ = token.cancel_query(NoTls);
        })
    }

    fn relations(&mut self) -> Result<Vec<Relation>, Report> {
        let rows = self.rows(
            "SELECT c.relname, CASE c.relkind WHEN 'v' THEN 'view' ELSE 'table' END \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v') ORDER BY 1",
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|r| match r.as_slice() {
                [Some(name), Some(kind)] => Some(Relation {
                    name: name.clone(),
                    kind: kind.clone(),
                }),
                _ => None,
            })
            .collect())
    }

    fn describe(&mut self, name: &str) -> Result<Option<TableInfo>, Report> {
        let name = fold_identifier(name);
        let literal = quote_literal(&name);
        let relation = self.rows(&format!(
            "SELECT c.oid, c.relkind FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname IN ('public', 'pg_catalog') AND c.relname = {literal} \
             AND c.relkind IN ('r', 'p', 'v') ORDER BY n.nspname = 'public' DESC LIMIT 1"
        ))?;
        let Some([Some(oid), Some(relkind)]) = relation.first().map(Vec::as_slice) else {
            return Ok(None);
        };
        let (oid, view) = (quote_literal(oid), relkind == "v");
        let columns = self
            .rows(&format!(
                "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                 pg_catalog.pg_get_expr(d.adbin, d.adrelid) \
                 FROM pg_catalog.pg_attribute a \
                 LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                 WHERE a.attrelid = {oid}::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
            ))?
            .into_iter()
            .filter_map(|r| match r.as_slice() {
                [Some(name), Some(type_name), Some(not_null), default] => Some(ColumnInfo {
                    name: name.clone(),
                    type_name: type_name.clone(),
                    nullable: not_null != "t",
                    default: default.clone(),
                }),
                _ => None,
            })
            .collect();
        let mut info = TableInfo {
            name: name.clone(),
            kind: if view { "view" } else { "table" }.to_string(),
            columns,
            indexes: Vec::new(),
            checks: Vec::new(),
            definition: None,
        };
        if view {
            let definition = self.rows(&format!("SELECT pg_catalog.pg_get_viewdef({oid}::oid)"))?;
            info.definition = definition
                .into_iter()
                .next()
                .and_then(|r| r.into_iter().next().flatten());
            return Ok(Some(info));
        }
        for row in self.rows(&format!(
            "SELECT c2.relname, i.indisprimary, i.indisunique, \
             EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype = 'u'), \
             pg_catalog.pg_get_indexdef(i.indexrelid) \
             FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c2 ON c2.oid = i.indexrelid \
             WHERE i.indrelid = {oid}::oid ORDER BY i.indisprimary DESC, c2.relname"
        ))? {
            if let [Some(index), Some(primary), Some(unique), Some(constraint), Some(def)] = row.as_slice() {
                let kind = match (primary.as_str(), unique.as_str(), constraint.as_str()) {
                    ("t", _, _) => "PRIMARY KEY, ",
                    (_, "t", "t") => "UNIQUE CONSTRAINT, ",
                    (_, "t", _) => "UNIQUE, ",
                    _ => "",
                };
                // pg_get_indexdef gives `CREATE INDEX ... USING btree (a)`; psql shows `btree (a)`.
                let method = def.split_once(" USING ").map_or(def.as_str(), |(_, m)| m);
                info.indexes.push(format!("\"{index}\" {kind}{method}"));
            }
        }
        for row in self.rows(&format!(
            "SELECT conname, pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint \
             WHERE conrelid = {oid}::oid AND contype = 'c' ORDER BY conname"
        ))? {
            if let [Some(check), Some(def)] = row.as_slice() {
                info.checks.push(format!("\"{check}\" {def}"));
            }
        }
        Ok(Some(info))
    }

    fn names(&mut self) -> Names {
        let mut names = Names::default();
        // Completion is a convenience: a server without these catalogs simply completes keywords.
        if let Ok(rows) = self.rows(
            "SELECT c.relname, a.attname FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v')",
        ) {
            for row in rows {
                if let Some(Some(relation)) = row.first() {
                    names.relations.push(relation.clone());
                }
                if let Some(Some(column)) = row.get(1) {
                    names.columns.push(column.clone());
                }
            }
        }
        for list in [&mut names.relations, &mut names.columns] {
            list.sort();
            list.dedup();
        }
        names
    }

    fn transaction(&self) -> TxnState {
        TxnState::Idle
    }

    fn target(&self) -> String {
        self.target.clone()
    }
}

/// Groups simple-protocol messages into one outcome per statement.
fn outcomes(sql: &str, messages: Vec<SimpleQueryMessage>) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let mut set: Option<ResultSet> = None;
    for message in messages {
        match message {
            SimpleQueryMessage::RowDescription(columns) => {
                set = Some(ResultSet {
                    columns: result_columns(columns.iter().map(|c| c.name())),
                    rows: Vec::new(),
                });
            }
            SimpleQueryMessage::Row(row) => {
                let set = set.get_or_insert_with(|| ResultSet {
                    columns: result_columns(row.columns().iter().map(|c| c.name())),
                    rows: Vec::new(),
                });
                set.rows
                    .push((0..row.len()).map(|i| row.get(i).map(str::to_string)).collect());
            }
            SimpleQueryMessage::CommandComplete(count) => {
                let tag = command_tag(sql, count);
                outcomes.push(match set.take() {
                    Some(mut set) => {
                        for (i, column) in set.columns.iter_mut().enumerate() {
                            column.numeric = !set.rows.is_empty()
                                && set
                                    .rows
                                    .iter()
                                    .all(|r| r.get(i).is_none_or(|v| v.as_deref().is_none_or(looks_numeric)));
                        }
                        Outcome::Rows { set, tag }
                    }
                    None => Outcome::Command { tag },
                });
            }
            _ => {}
        }
    }
    outcomes
}

/// Result columns as the shell shows them; `numeric` is refined from the values later.
fn result_columns<'a>(names: impl Iterator<Item = &'a str>) -> Vec<ResultColumn> {
    names
        .map(|name| ResultColumn {
            name: name.to_string(),
            numeric: true,
        })
        .collect()
}

fn looks_numeric(text: &str) -> bool {
    !text.is_empty()
        && text.parse::<f64>().is_ok()
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
}

/// The command tag PostgreSQL would have sent, rebuilt from the statement and its row count.
fn command_tag(sql: &str, count: u64) -> String {
    let words: Vec<String> = sql
        .split(|c: char| c.is_whitespace() || c == ';' || c == '(')
        .filter(|w| !w.is_empty())
        .take(6)
        .map(str::to_uppercase)
        .collect();
    let first = words.first().map(String::as_str).unwrap_or("");
    match first {
        "INSERT" => format!("INSERT 0 {count}"),
        "SELECT" | "VALUES" | "TABLE" | "WITH" => format!("SELECT {count}"),
        "UPDATE" | "DELETE" | "MERGE" | "COPY" | "FETCH" | "MOVE" => format!("{first} {count}"),
        "CREATE" | "DROP" | "ALTER" => {
            let object: Vec<&str> = words
                .iter()
                .skip(1)
                .map(String::as_str)
                .filter(|w| !matches!(*w, "OR" | "REPLACE" | "TEMP" | "TEMPORARY" | "UNLOGGED" | "UNIQUE"))
                .collect();
            match object.as_slice() {
                ["MATERIALIZED", "VIEW", ..] => format!("{first} MATERIALIZED VIEW"),
                [kind, ..] => format!("{first} {kind}"),
                [] => first.to_string(),
            }
        }
        "START" | "BEGIN" => "BEGIN".to_string(),
        "END" => "COMMIT".to_string(),
        "ABORT" => "ROLLBACK".to_string(),
        _ => first.to_string(),
    }
}

fn db_report(e: &postgres::error::DbError) -> Report {
    Report {
        severity: e.severity().to_string(),
        sqlstate: e.code().code().to_string(),
        message: e.message().to_string(),
        detail: e.detail().map(str::to_string),
        hint: e.hint().map(str::to_string),
    }
}

fn error_report(e: &postgres::Error) -> Report {
    match e.as_db_error() {
        Some(db) => db_report(db),
        // Not an error from the server: the connection itself failed.
        None => Report::error("08006", e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_match_postgresql() {
        assert_eq!(command_tag("insert into t values (1), (2);", 2), "INSERT 0 2");
        assert_eq!(command_tag("CREATE TABLE t (a int);", 0), "CREATE TABLE");
        assert_eq!(command_tag("create unique index i on t (a);", 0), "CREATE INDEX");
        assert_eq!(command_tag("drop table if exists t;", 0), "DROP TABLE");
        assert_eq!(command_tag("update t set a = 1;", 3), "UPDATE 3");
        assert_eq!(command_tag("begin;", 0), "BEGIN");
        assert_eq!(command_tag("create or replace view v as select 1;", 0), "CREATE VIEW");
    }

    #[test]
    fn numeric_text() {
        assert!(looks_numeric("-12.50"));
        assert!(looks_numeric("1e3"));
        assert!(!looks_numeric("inf"));
        assert!(!looks_numeric("12a"));
        assert!(!looks_numeric(""));
    }
}
