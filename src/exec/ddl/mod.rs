//! DDL: CREATE/DROP/ALTER of tables, indexes and views, TRUNCATE, CREATE TABLE AS.
//!
//! DDL is transactional, as in PostgreSQL: it edits the transaction's private copy of the
//! catalog and writes the changed catalog records into the same transaction as any row
//! rewrites, so a ROLLBACK (or a crash before COMMIT) leaves no trace.

mod alter_table;
mod create_index;
mod create_table;
mod create_view;
mod drop;
mod truncate;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::catalog::{codec, Catalog, CatalogRecord, IndexDef, TableDef};
use crate::error::{sqlstate, Error, Result};
use crate::exec::{ExecContext, ExecOutput};
use crate::plan::BoundStatement;
use crate::sql::ast;
use crate::storage::{keys, Conflict, Store, Txn};
use crate::types::functions::FunctionContext;
use crate::types::Row;

/// What DDL executes with.
pub struct DdlContext<'a> {
    pub txn: &'a mut Txn,
    /// The transaction's working catalog: edited in place.
    pub catalog: &'a mut Catalog,
    pub store: &'a Store,
    pub functions: FunctionContext,
    pub cancel: Option<&'a AtomicBool>,
    pub notices: &'a mut Vec<String>,
}

/// Executes a DDL statement; returns its command tag.
pub fn execute(statement: &ast::Statement, ctx: &mut DdlContext<'_>) -> Result<String> {
    use ast::Statement as S;
    match statement {
        S::CreateTable(create) => create_table::execute(create, ctx),
        S::CreateIndex(create) => create_index::execute(create, ctx),
        S::CreateView(create) => create_view::execute(create, ctx),
        S::Drop {
            object_type,
            if_exists,
            names,
            cascade,
            ..
        } => drop::execute(*object_type, *if_exists, names, *cascade, ctx),
        S::AlterTable(alter) => alter_table::execute(alter, ctx),
        S::Truncate(truncate) => truncate::execute(truncate, ctx),
        _ => Err(Error::bug("non-DDL statement routed to DDL")),
    }
}

impl DdlContext<'_> {
    /// A new object id, never reused.
    fn new_object_id(&self) -> Result<u32> {
        let id = self.store.next_id(b"object")?;
        u32::try_from(id + 1).map_err(|_| Error::sql(sqlstate::PROGRAM_LIMIT_EXCEEDED, "object ids exhausted"))
    }

    /// Writes a catalog record into the transaction and the working catalog.
    fn persist(&mut self, record: CatalogRecord, replace: bool) -> Result<()> {
        let id = match &record {
            CatalogRecord::Table(t) => t.id,
            CatalogRecord::Index(i) => i.id,
            CatalogRecord::View(v) => v.id,
            CatalogRecord::Role(r) => r.id,
        };
        self.txn
            .put(keys::catalog_key(id), codec::encode(&record)?, Conflict::Unchanged)?;
        if replace {
            self.catalog.put(record);
            Ok(())
        } else {
            self.catalog.insert(record)
        }
    }

    /// Creates, fills and records a secondary index; 42P07 if the name is taken.
    fn add_index(
        &mut self,
        table: &TableDef,
        name: String,
        columns: Vec<usize>,
        unique: bool,
        constraint: bool,
    ) -> Result<()> {
        if self.catalog.relation_exists(&name) {
            return Err(duplicate_relation(&name));
        }
        let index = IndexDef {
            id: self.new_object_id()?,
            name,
            table_id: table.id,
            columns,
            unique,
            constraint,
        };
        crate::exec::table::build_index(self.txn, table, &index)?;
        self.persist(CatalogRecord::Index(index), false)
    }

    /// Runs a bound statement inside the DDL's transaction, against its working catalog, and
    /// returns its rows.
    fn query(&mut self, bound: &BoundStatement) -> Result<Vec<Row>> {
        let catalog = self.catalog.clone();
        let mut exec_ctx = ExecContext {
            txn: self.txn,
            catalog: &catalog,
            params: &[],
            functions: self.functions.clone(),
            cancel: self.cancel,
        };
        match crate::exec::execute(bound, &mut exec_ctx)? {
            ExecOutput::Rows(rows) => Ok(rows),
            ExecOutput::Affected { .. } => Err(Error::bug("DDL's internal query produced an affected-row count")),
        }
    }

    fn unpersist(&mut self, id: u32) -> Result<()> {
        self.txn.delete(keys::catalog_key(id))
    }

    fn table(&self, name: &ast::ObjectName) -> Result<Arc<TableDef>> {
        let name = crate::sql::object_name(name)?;
        match self.catalog.table(&name) {
            Some(t) => Ok(t.clone()),
            None if self.catalog.view(&name).is_some() => Err(Error::sql(
                sqlstate::WRONG_OBJECT_TYPE,
                format!("\"{name}\" is not a table"),
            )),
            None => Err(Error::undefined_table(&name)),
        }
    }

    /// Replaces a table definition (same id) in the transaction and the working catalog.
    fn replace_table(&mut self, old_name: &str, table: TableDef) -> Result<()> {
        self.catalog.remove_table(old_name);
        self.persist(CatalogRecord::Table(table), true)
    }
}

/// Names of the relations a view's stored query reads (for dependency checks).
pub(crate) fn view_dependencies(sql: &str) -> Vec<String> {
    let mut names = Vec::new();
    if let Ok(statements) = crate::sql::parse(sql) {
        let _ = ast::visit_relations(&statements, |name| {
            if let Ok(n) = crate::sql::object_name(name) {
                names.push(n);
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
    }
    names
}

/// 42P07 `relation "x" already exists`.
fn duplicate_relation(name: &str) -> Error {
    Error::sql(sqlstate::DUPLICATE_TABLE, format!("relation \"{name}\" already exists"))
}

/// A PostgreSQL-style generated name that is not yet taken: `base`, `base1`, `base2`, ...
fn unique_relation_name(catalog: &Catalog, base: &str) -> String {
    let base: String = base.chars().take(63).collect();
    if !catalog.relation_exists(&base) {
        return base;
    }
    (1..)
        .map(|n| format!("{base}{n}"))
        .find(|n| !catalog.relation_exists(n))
        .unwrap_or(base)
}
