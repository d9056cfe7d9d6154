//! The embedded backend: a `Session` on a database opened in this process. Schema questions
//! are answered from the session's catalog snapshot, so they include the open transaction's DDL.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::backend::{
    Backend, Canceller, ColumnInfo, Names, Outcome, Relation, Reply, Report, ResultColumn, ResultSet, TableInfo,
    TxnState,
};
use crate::catalog::TableDef;
use crate::error::Error;
use crate::session::{Session, StatementResult, TransactionStatus};
use crate::types::quote::quote_ident;
use crate::types::text;

pub struct Embedded {
    session: Session,
    target: String,
}

impl Embedded {
    pub fn new(session: Session, target: String) -> Embedded {
        Embedded { session, target }
    }

    fn view_columns(&mut self, name: &str) -> Result<Vec<ColumnInfo>, Report> {
        let sql = format!("SELECT * FROM {} LIMIT 0", quote_ident(name));
        let results = self.session.execute(&sql).map_err(|e| report(&e))?;
        // This probe is the shell's, not the user's: its notices would only confuse.
        self.session.take_notices();
        let columns = match results.into_iter().next() {
            Some(StatementResult::Query { columns, .. }) => columns,
            _ => Vec::new(),
        };
        Ok(columns
            .into_iter()
            .map(|c| ColumnInfo {
                name: c.name,
                type_name: c.data_type.to_string(),
                nullable: true,
                default: None,
            })
            .collect())
    }
}

/// An `Error` as the shell reports it.
pub fn report(e: &Error) -> Report {
    Report {
        severity: "ERROR".to_string(),
        sqlstate: e.sqlstate().to_string(),
        message: e.message(),
        detail: e.detail().map(str::to_string),
        hint: e.hint().map(str::to_string),
    }
}

impl Backend for Embedded {
    fn execute(&mut self, sql: &str) -> Reply {
        let result = self.session.execute(sql);
        let notices = self
            .session
            .take_notices()
            .into_iter()
            .map(|notice| Report {
                severity: notice.severity.as_str().to_string(),
                sqlstate: notice.code.to_string(),
                message: notice.message,
                detail: None,
                hint: None,
            })
            .collect();
        let result = result
            .map(|results| results.into_iter().map(outcome).collect())
            .map_err(|e| report(&e));
        Reply { result, notices }
    }

    fn canceller(&self) -> Canceller {
        let flag = self.session.cancel_handle();
        Arc::new(move || flag.store(true, Ordering::Relaxed))
    }

    fn relations(&mut self) -> Result<Vec<Relation>, Report> {
        let catalog = self.session.catalog();
        let mut relations: Vec<Relation> = catalog
            .tables()
            .filter(|t| !catalog.is_system_table(t.id))
            .map(|t| Relation {
                name: t.name.clone(),
                kind: "table".to_string(),
            })
            .chain(catalog.views().map(|v| Relation {
                name: v.name.clone(),
                kind: "view".to_string(),
            }))
            .collect();
        relations.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(relations)
    }

    fn describe(&mut self, name: &str) -> Result<Option<TableInfo>, Report> {
        let name = fold_identifier(name);
        let catalog = self.session.catalog();
        if let Some(table) = catalog.table(&name) {
            let indexes = index_lines(table, &catalog);
            return Ok(Some(TableInfo {
                name: table.name.clone(),
                kind: "table".to_string(),
                columns: table
                    .columns
                    .iter()
                    .map(|c| ColumnInfo {
                        name: c.name.clone(),
                        type_name: c.data_type.to_string(),
                        nullable: c.nullable,
                        default: c.default.clone(),
                    })
                    .collect(),
                indexes,
                checks: table
                    .checks
                    .iter()
                    .map(|c| format!("\"{}\" CHECK ({})", c.name, c.expr))
                    .collect(),
                definition: None,
            }));
        }
        let Some(view) = catalog.view(&name).cloned() else {
            return Ok(None);
        };
        let columns = self.view_columns(&view.name)?;
        Ok(Some(TableInfo {
            name: view.name.clone(),
            kind: "view".to_string(),
            columns,
            indexes: Vec::new(),
            checks: Vec::new(),
            definition: Some(view.sql.clone()),
        }))
    }

    fn names(&mut self) -> Names {
        let catalog = self.session.catalog();
        let mut names = Names::default();
        for table in catalog.tables() {
            names.relations.push(table.name.clone());
            names.columns.extend(table.columns.iter().map(|c| c.name.clone()));
        }
        names.relations.extend(catalog.views().map(|v| v.name.clone()));
        names.columns.sort();
        names.columns.dedup();
        names
    }

    fn transaction(&self) -> TxnState {
        match self.session.transaction_status() {
            TransactionStatus::Idle => TxnState::Idle,
            TransactionStatus::InBlock => TxnState::InBlock,
            TransactionStatus::Failed => TxnState::Failed,
        }
    }

    fn target(&self) -> String {
        self.target.clone()
    }
}

fn outcome(result: StatementResult) -> Outcome {
    match result {
        StatementResult::Query { columns, rows, tag } => Outcome::Rows {
            set: ResultSet {
                columns: columns
                    .iter()
                    .map(|c| ResultColumn {
                        name: c.name.clone(),
                        numeric: c.data_type.is_numeric(),
                    })
                    .collect(),
                rows: rows.iter().map(|row| row.iter().map(text::format).collect()).collect(),
            },
            tag,
        },
        StatementResult::Command { tag } => Outcome::Command { tag },
    }
}

/// psql's index lines for `\d`: primary key first, then the others by name.
fn index_lines(table: &TableDef, catalog: &crate::catalog::Catalog) -> Vec<String> {
    let column_list = |positions: &[usize]| {
        positions
            .iter()
            .filter_map(|&p| table.columns.get(p))
            .map(|c| quote_ident(&c.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut lines = Vec::new();
    if let (Some(pk), Some(pk_name)) = (&table.primary_key, &table.primary_key_name) {
        lines.push(format!("\"{pk_name}\" PRIMARY KEY, btree ({})", column_list(pk)));
    }
    let mut indexes = catalog.table_indexes(table.id);
    indexes.sort_by(|a, b| a.name.cmp(&b.name));
    for index in indexes {
        let kind = match (index.unique, index.constraint) {
            (true, true) => "UNIQUE CONSTRAINT, ",
            (true, false) => "UNIQUE, ",
            _ => "",
        };
        lines.push(format!(
            "\"{}\" {kind}btree ({})",
            index.name,
            column_list(&index.columns)
        ));
    }
    lines
}

/// A name as `\d` receives it: unquoted folds to lower case, `"Quoted"` keeps its case.
pub fn fold_identifier(name: &str) -> String {
    let name = name.strip_prefix("public.").unwrap_or(name);
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => name.to_lowercase(),
    }
}
