//! `COPY table FROM STDIN`: the session's side of a bulk load.
//!
//! The wire format (text or CSV framing, escapes, NULL markers) belongs to the server; the session
//! receives rows already split into fields and runs them through the ordinary INSERT path, so
//! assignment casts, DEFAULTs for the columns left out, NOT NULL, CHECK and uniqueness apply
//! exactly as they do for `INSERT`. The statement is bound once per COPY and the values are parsed
//! with each column's text input function: no SQL is built or parsed per row.

use crate::catalog::{Access, Privileges};
use crate::error::{Error, Result};
use crate::plan::{BoundStatement, Expr, Plan};
use crate::sql::{self, ast};
use crate::types::{text, DataType, Value};

use super::{aborted, Prepared, Session, TxnState, Work};

/// The destination of one `COPY ... FROM STDIN`, checked before the client sends any data.
pub struct CopyTarget {
    /// `INSERT INTO t (cols) VALUES ($1, ...)`, whose parameter types are the column types.
    insert: Prepared,
    /// The copied columns' names, in the order the data carries them.
    pub columns: Vec<String>,
    /// Whether a batch already recorded the COPY's lineage edge (`stdin` → table).
    lineage_recorded: std::sync::atomic::AtomicBool,
    /// The target table's name and the statement's hash, for the audit record.
    table: String,
    statement_sha256: [u8; 32],
}

impl CopyTarget {
    /// The declared type of each copied column.
    pub fn column_types(&self) -> &[DataType] {
        &self.insert.param_types
    }

    pub(super) fn audit_entry(&self) -> super::audit::AuditEntry {
        super::audit::AuditEntry {
            operation: "COPY".into(),
            object: Some(self.table.clone()),
            statement_sha256: self.statement_sha256,
        }
    }
}

impl Session {
    /// Resolves the table and column list of a `COPY ... FROM STDIN` (42P01 / 42703 before any
    /// data is read, as PostgreSQL reports them).
    pub fn copy_target(&mut self, table: &ast::ObjectName, columns: &[ast::Ident]) -> Result<CopyTarget> {
        if let TxnState::Failed(_) = self.state {
            return Err(aborted());
        }
        let name = sql::object_name(table)?;
        let catalog = self.catalog();
        let def = catalog.table(&name).ok_or_else(|| Error::undefined_table(&name))?;
        let columns_given = columns;
        let columns: Vec<String> = if columns.is_empty() {
            def.columns.iter().map(|c| c.name.clone()).collect()
        } else {
            columns.iter().map(sql::ident).collect()
        };
        let quoted: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
        let params: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
        let insert_sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            quote_ident(&name),
            quoted.join(", "),
            params.join(", ")
        );
        let insert = self.prepare(&insert_sql, &[])?;
        // PostgreSQL refuses a COPY it may not do before reading any data.
        let access = Access {
            relation: def.id,
            name: def.name.clone(),
            is_view: false,
            privileges: Privileges::INSERT,
            checked_as: None,
        };
        catalog.check_accesses(self.settings.identity.current(), &[access])?;
        Ok(CopyTarget {
            insert,
            columns,
            lineage_recorded: std::sync::atomic::AtomicBool::new(false),
            statement_sha256: super::audit::copy_statement_hash(table, columns_given),
            table: name,
        })
    }

    /// Inserts `rows` (one text field per copied column, `None` for NULL) in one statement and
    /// returns how many rows were inserted. Either every row goes in or none does.
    pub fn copy_in(&mut self, target: &CopyTarget, rows: Vec<Vec<Option<String>>>) -> Result<u64> {
        let types = target.column_types();
        let mut values = Vec::with_capacity(rows.len());
        for (line, row) in rows.into_iter().enumerate() {
            if row.len() != types.len() {
                return Err(Error::bug(format!(
                    "COPY row {} has {} fields for {} columns",
                    line + 1,
                    row.len(),
                    types.len()
                )));
            }
            let mut exprs = Vec::with_capacity(row.len());
            for ((field, ty), column) in row.into_iter().zip(types).zip(&target.columns) {
                let value = match field {
                    None => Value::Null,
                    Some(s) => text::parse(&s, ty).map_err(|e| in_copy(e, line + 1, column))?,
                };
                exprs.push(Expr::Constant(value));
            }
            values.push(exprs);
        }
        let count = values.len() as u64;
        let mut bound = {
            let _reading = self.db.store().read_guard();
            let catalog = self.catalog();
            let private = matches!(&self.state, TxnState::Block(open) | TxnState::Failed(open) if open.ddl);
            let (bound, accesses) = target.insert.plan(&catalog, private, &self.settings)?;
            catalog.check_accesses(self.settings.identity.current(), &accesses)?;
            bound
        };
        let BoundStatement::Insert(plan) = std::sync::Arc::make_mut(&mut bound) else {
            return Err(Error::bug("COPY target is not an INSERT"));
        };
        plan.source = Plan::Values {
            rows: values,
            width: types.len(),
        };
        self.cancel.store(false, std::sync::atomic::Ordering::Relaxed);
        let lineage = (!target.lineage_recorded.swap(true, std::sync::atomic::Ordering::Relaxed)).then_some("stdin");
        self.run(Work::Bound(&bound, lineage))?;
        Ok(count)
    }

    /// Ends a COPY whose every batch went in: appends its one audit record (every batch's
    /// rows counted and hashed together) to the transaction the batches ran in.
    pub fn copy_finish(&mut self, target: &CopyTarget) -> Result<()> {
        self.run(Work::CopyEnd(target)).map(|_| ())
    }

    /// An error raised outside the engine (a syntax error, bad COPY data, a Bind parameter that
    /// does not parse) aborts the open transaction block, as any failed statement does.
    pub fn fail_transaction(&mut self) {
        self.fail_block();
    }
}

/// PostgreSQL names the COPY and the line in the error's context; Vellum errors carry no
/// context field, so the position goes into the detail.
fn in_copy(e: Error, line: usize, column: &str) -> Error {
    let detail = format!("COPY line {line}, column {column}");
    e.with_detail(detail)
}

/// A double-quoted identifier, so the catalog name is used exactly as stored.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
