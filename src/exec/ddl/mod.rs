//! DDL: CREATE/DROP/ALTER of tables, indexes, views and roles, TRUNCATE, CREATE TABLE AS,
//! GRANT/REVOKE, CREATE/DROP SIGNER. Each runs as `DdlContext::user`, who owns what it creates and whose ownership
//! or privileges are checked (`catalog::privilege`).
//!
//! DDL is transactional, as in PostgreSQL: it edits the transaction's private copy of the
//! catalog and writes the changed catalog records into the same transaction as any row
//! rewrites, so a ROLLBACK (or a crash before COMMIT) leaves no trace.

mod alter_table;
mod create_index;
mod create_table;
mod create_view;
mod drop;
mod grant;
mod role;
mod signer;
mod truncate;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::catalog::{codec, privilege, Catalog, CatalogRecord, IndexDef, ObjectAcl, TableDef};
use crate::error::{sqlstate, Error, Notices, Result};
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
    /// Server-held signing keys (CREATE SIGNER ... GENERATE KEY).
    pub signers: &'a crate::ledger::server_signers::ServerSigners,
    pub functions: FunctionContext,
    pub cancel: Option<&'a AtomicBool>,
    pub notices: &'a mut Notices,
    /// The role running the statement (`current_user`): it owns what it creates, and its
    /// privileges are checked.
    pub user: u32,
    /// The role the session is authorized as (`session_user`).
    pub session_user: u32,
}

/// Executes a DDL statement; returns its command tag.
pub fn execute(statement: &ast::Statement, ctx: &mut DdlContext<'_>) -> Result<String> {
    use ast::Statement as S;
    match statement {
        S::CreateTable(create) => create_table::execute(create, ctx),
        S::CreateIndex(create) => create_index::execute(create, ctx),
        S::CreateView(create) => create_view::execute(create, ctx),
        S::Drop {
            object_type: ast::ObjectType::Role | ast::ObjectType::User,
            if_exists,
            names,
            ..
        } => role::drop(*if_exists, names, ctx),
        S::Drop {
            object_type,
            if_exists,
            names,
            cascade,
            ..
        } => drop::execute(*object_type, *if_exists, names, *cascade, ctx),
        S::AlterTable(alter) => alter_table::execute(alter, ctx),
        S::Truncate(truncate) => truncate::execute(truncate, ctx),
        S::CreateRole(create) => role::create(create, ctx),
        S::AlterRole { name, operation } => role::alter(name, operation, ctx),
        S::Grant(grant) => grant::grant(grant, ctx),
        S::Revoke(revoke) => grant::revoke(revoke, ctx),
        S::CreateSecret { .. } | S::DropSecret { .. } => match crate::sql::signer_statement(statement) {
            Some(signer) => signer::execute(signer, ctx),
            None => Err(Error::unsupported("CREATE SECRET")),
        },
        _ => Err(Error::bug("non-DDL statement routed to DDL")),
    }
}

impl DdlContext<'_> {
    /// A new object id, never reused.
    fn new_object_id(&self) -> Result<u32> {
        let id = self.store.next_id(b"object")?;
        u32::try_from(id + 1).map_err(|_| Error::sql(sqlstate::PROGRAM_LIMIT_EXCEEDED, "object ids exhausted"))
    }

    /// Writes a catalog record into the transaction and the working catalog. A new table or
    /// view is owned by the current user.
    fn persist(&mut self, record: CatalogRecord, replace: bool) -> Result<()> {
        let key = match &record {
            CatalogRecord::Table(t) => keys::catalog_key(t.id),
            CatalogRecord::Index(i) => keys::catalog_key(i.id),
            CatalogRecord::View(v) => keys::catalog_key(v.id),
            CatalogRecord::Role(r) => keys::role_key(&r.name),
            CatalogRecord::Acl(a) => keys::acl_key(a.object_id),
            CatalogRecord::Signer(s) => keys::signer_key(&s.name),
        };
        // CREATE OR REPLACE VIEW keeps the view's owner and grants.
        let owned = match &record {
            CatalogRecord::Table(t) if !replace => Some(t.id),
            CatalogRecord::View(v) if !replace => Some(v.id),
            _ => None,
        }
        .filter(|id| self.catalog.acl_record(*id).is_none());
        self.txn.put(key, codec::encode(&record)?, Conflict::Unchanged)?;
        if let Some(object_id) = owned {
            let acl = ObjectAcl {
                object_id,
                owner: self.user,
                acl: None,
            };
            self.persist(CatalogRecord::Acl(acl), true)?;
        }
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
            identity: None,
            chain_cache: None,
            effects: Default::default(),
        };
        match crate::exec::execute(bound, &mut exec_ctx)? {
            ExecOutput::Rows(rows) => Ok(rows),
            ExecOutput::Affected { .. } => Err(Error::bug("DDL's internal query produced an affected-row count")),
        }
    }

    /// Deletes relation `id`'s record, with its owner and grants.
    fn unpersist(&mut self, id: u32) -> Result<()> {
        if self.catalog.remove_acl(id).is_some() {
            self.txn.delete(keys::acl_key(id))?;
        }
        self.txn.delete(keys::catalog_key(id))
    }

    /// The table `name`, which the current user must own (42501 `must be owner of table t`).
    fn owned_table(&self, name: &ast::ObjectName) -> Result<Arc<TableDef>> {
        let table = self.table(name)?;
        privilege::require_owner(self.catalog, self.user, table.id, "table", &table.name)?;
        Ok(table)
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
