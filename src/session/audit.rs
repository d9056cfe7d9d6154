//! The audit chain: one record in the system blockchain table `vellum_audit` for every
//! statement that changes data, schema, roles, grants, signers or a chain (seals and
//! signatures), written into the statement's own transaction so that it commits or vanishes
//! with it.
//!
//! A record holds:
//!
//! | column | what |
//! |---|---|
//! | `tx_id` | the transaction's id (shared with lineage edges), drawn on its first record |
//! | `statement_no` | 1, 2, ... within the transaction |
//! | `ts` | when the statement finished |
//! | `actor` | the session user |
//! | `role` | the current role (differs from `actor` after `SET ROLE`) |
//! | `operation` | the command: `INSERT`, `UPDATE`, `DELETE`, `COPY`, `CREATE TABLE`, `GRANT`, `SIGN BLOCK`, `SEAL BLOCK`, `PURGE`, ... |
//! | `object` | what it acted on: a relation, role or signer name; `relations TO/FROM grantees` for GRANT/REVOKE |
//! | `row_count` | rows inserted, updated or deleted (TRUNCATE counts what it removed) |
//! | `rows_sha256` | `storage::changes`'s digest over the old and new row images, NULL when no row changed |
//! | `statement_sha256` | SHA-256 of the statement as Vellum parsed it and prints it back (so whitespace and comments do not count), with passwords replaced by `'********'` so that the hash cannot be used to guess them |
//!
//! The table is created when a database without one is opened (`Session::create_audit_chain`)
//! and identified by the id stored under `keys::AUDIT_TABLE_META` (`Catalog::audit_table`).
//! It lives in `pg_catalog` as far as clients see (so `\dt` does not list it), is owned by
//! the bootstrap superuser, readable by superusers and by roles granted SELECT, and refused
//! to every writer (`Catalog::refuse_system_table`). Its blocks seal like any blockchain
//! table's, so `verify_blockchain('vellum_audit')` checks it.
//!
//! A password set outside any session (`Database::set_role_password`) is recorded by `append`
//! in the transaction that sets it.
//!
//! Failed statements leave no record: their changes are undone with them, and a failed
//! statement inside a block aborts the block, whose records all vanish at ROLLBACK.

use std::sync::Arc;

use chrono::Utc;

use crate::catalog::{Catalog, AUDIT_TABLE};
use crate::crypto::sha256;
use crate::error::{Error, Result};
use crate::exec::LedgerEffects;
use crate::ledger::hex::to_hex;
use crate::plan::BoundStatement;
use crate::sql::{self, ast};
use crate::storage::changes::RowChanges;
use crate::storage::{keys, Conflict, Txn};
use crate::types::Value;

use super::statement::StatementRunner;
use super::{Session, Work};

/// The audit chain's definition: every column NOT NULL but those a record may leave empty.
pub(crate) const AUDIT_TABLE_SQL: &str = "CREATE BLOCKCHAIN TABLE vellum_audit (\
    tx_id bigint NOT NULL, \
    statement_no integer NOT NULL, \
    ts timestamptz NOT NULL, \
    actor text NOT NULL, \
    role text NOT NULL, \
    operation text NOT NULL, \
    object text, \
    row_count bigint NOT NULL, \
    rows_sha256 text, \
    statement_sha256 text NOT NULL\
) WITH (block_size = 1000, block_seal_interval = '1 minute')";

/// What one audited statement did, before the transaction's and session's part is added.
pub(crate) struct AuditEntry {
    pub operation: String,
    pub object: Option<String>,
    pub statement_sha256: [u8; 32],
}

impl StatementRunner<'_> {
    /// Appends the record of one statement to the audit chain, in the statement's
    /// transaction; takes the row changes noted since the statement began.
    pub(super) fn audit(&mut self, entry: AuditEntry) -> Result<()> {
        let changes = self.open.txn.take_row_changes();
        if !self.db.audit_enabled() {
            return Ok(());
        }
        let catalog = self.open.catalog.clone();
        if catalog.audit_table().is_none() {
            return Ok(());
        }
        let tx_id = self.open.tx_id()?;
        self.open.audit_records += 1;
        let identity = self.settings.identity;
        let record = AuditRecord {
            tx_id,
            statement_no: self.open.audit_records,
            actor: identity.session_user,
            role: identity.current(),
            entry,
            changes,
        };
        append(&mut self.open.txn, &catalog, record)
    }

    /// Audits a bound statement that ran: its DML, or the seals and signatures it asked for.
    /// `hash` is only computed when there is something to record: a plain SELECT costs nothing.
    pub(super) fn audit_bound(
        &mut self,
        bound: &BoundStatement,
        effects: &LedgerEffects,
        hash: impl FnOnce() -> [u8; 32],
    ) -> Result<()> {
        let catalog = self.open.catalog.clone();
        let operations = bound_operations(&catalog, bound, effects);
        if operations.is_empty() {
            return Ok(());
        }
        let hash = hash();
        for (operation, object) in operations {
            self.audit(AuditEntry {
                operation,
                object,
                statement_sha256: hash,
            })?;
        }
        Ok(())
    }
}

/// One record, with everything but its timestamp.
pub(crate) struct AuditRecord {
    pub tx_id: u64,
    pub statement_no: u32,
    /// Role ids of the session user and the current role.
    pub actor: u32,
    pub role: u32,
    pub entry: AuditEntry,
    pub changes: RowChanges,
}

/// Appends `record` to the audit chain of `catalog` (nothing when it has none) in `txn`.
pub(crate) fn append(txn: &mut Txn, catalog: &Catalog, record: AuditRecord) -> Result<()> {
    let Some(table) = catalog.audit_table() else {
        return Ok(());
    };
    let row = vec![
        Value::Int8(i64::try_from(record.tx_id).unwrap_or(i64::MAX)),
        Value::Int4(i32::try_from(record.statement_no).unwrap_or(i32::MAX)),
        Value::TimestampTz(Utc::now()),
        Value::Text(catalog.role_name(record.actor)),
        Value::Text(catalog.role_name(record.role)),
        Value::Text(record.entry.operation),
        record.entry.object.map_or(Value::Null, Value::Text),
        Value::Int8(i64::try_from(record.changes.rows).unwrap_or(i64::MAX)),
        record
            .changes
            .digest()
            .map_or(Value::Null, |d| Value::Text(to_hex(d.as_slice()))),
        Value::Text(to_hex(&record.entry.statement_sha256)),
    ];
    let indexes = catalog.table_indexes(table.id);
    crate::exec::table::insert_row(txn, table, &indexes, row)?;
    // The record's own row is not a change of the next statement.
    txn.take_row_changes();
    Ok(())
}

/// What a bound statement did, as (operation, object) records: one for DML, one per kind of
/// ledger change for a query.
fn bound_operations(
    catalog: &Catalog,
    bound: &BoundStatement,
    effects: &LedgerEffects,
) -> Vec<(String, Option<String>)> {
    let (operation, table) = match bound {
        BoundStatement::Insert(p) => ("INSERT", &p.table),
        BoundStatement::Update(p) => ("UPDATE", &p.table),
        BoundStatement::Delete(p) => ("DELETE", &p.table),
        BoundStatement::Query(_) => {
            let names = |ids: &[u32]| {
                let mut names: Vec<String> = Vec::new();
                for id in ids {
                    let name = catalog
                        .table_by_id(*id)
                        .map_or_else(|| id.to_string(), |t| t.name.clone());
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                names.join(", ")
            };
            let mut out = Vec::new();
            if !effects.signed.is_empty() {
                out.push(("SIGN BLOCK".to_string(), Some(names(&effects.signed))));
            }
            if !effects.purged.is_empty() {
                out.push(("PURGE".to_string(), Some(names(&effects.purged))));
            }
            if !effects.sealed.is_empty() {
                out.push(("SEAL BLOCK".to_string(), Some(names(&effects.sealed))));
            }
            return out;
        }
    };
    vec![(operation.to_string(), Some(table.name.clone()))]
}

/// Whether a parsed statement goes to the audit chain when it succeeds, with its operation
/// (the command tag) and object. Queries and DML are described once bound
/// (`bound_operations`); this covers DDL, roles, grants and signers.
pub(super) fn ddl_object(statement: &ast::Statement) -> Option<String> {
    use ast::Statement as S;
    let names = |names: &[ast::ObjectName]| {
        names
            .iter()
            .map(|n| sql::object_name(n).unwrap_or_else(|_| n.to_string()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let name = |n: &ast::ObjectName| sql::object_name(n).unwrap_or_else(|_| n.to_string());
    Some(match statement {
        S::CreateTable(c) => name(&c.name),
        S::CreateIndex(c) => name(&c.table_name),
        S::CreateView(v) => name(&v.name),
        S::Drop { names: n, .. } => names(n),
        S::AlterTable(a) => name(&a.name),
        S::Truncate(t) => t
            .table_names
            .iter()
            .map(|t| name(&t.name))
            .collect::<Vec<_>>()
            .join(", "),
        S::CreateRole(c) => names(&c.names),
        S::AlterRole { name: n, .. } => sql::ident(n),
        S::Grant(g) => grant_object(g.objects.as_ref(), "TO", &g.grantees),
        S::Revoke(r) => grant_object(r.objects.as_ref(), "FROM", &r.grantees),
        other => match sql::signer_statement(other)? {
            sql::SignerStatement::Create { name, .. } | sql::SignerStatement::Drop { name, .. } => name,
        },
    })
}

fn grant_object(objects: Option<&ast::GrantObjects>, preposition: &str, grantees: &[ast::Grantee]) -> String {
    let grantees: Vec<String> = grantees.iter().map(ToString::to_string).collect();
    match objects {
        Some(objects) => format!("{objects} {preposition} {}", grantees.join(", ")),
        None => format!("{preposition} {}", grantees.join(", ")),
    }
}

/// SHA-256 of the statement as printed back from its syntax tree, passwords masked.
pub(super) fn statement_hash(statement: &ast::Statement) -> [u8; 32] {
    let masked;
    let statement = match statement {
        ast::Statement::CreateRole(create) if create.password.is_some() => {
            let mut create = create.clone();
            create.password = Some(masked_password());
            masked = ast::Statement::CreateRole(create);
            &masked
        }
        ast::Statement::AlterRole {
            name,
            operation: ast::AlterRoleOperation::WithOptions { options },
        } if options.iter().any(|o| matches!(o, ast::RoleOption::Password(_))) => {
            let options = options
                .iter()
                .map(|o| match o {
                    ast::RoleOption::Password(_) => ast::RoleOption::Password(masked_password()),
                    other => other.clone(),
                })
                .collect();
            masked = ast::Statement::AlterRole {
                name: name.clone(),
                operation: ast::AlterRoleOperation::WithOptions { options },
            };
            &masked
        }
        other => other,
    };
    sha256(statement.to_string().as_bytes())
}

fn masked_password() -> ast::Password {
    ast::Password::Password(ast::Expr::Value(
        ast::Value::SingleQuotedString("********".into()).into(),
    ))
}

/// The record of a password set outside any session (`vellum serve --password-file`), hashed
/// as the masked statement that would have set it.
pub(crate) fn password_entry(role: &str) -> AuditEntry {
    let text = format!(
        "ALTER ROLE {} PASSWORD '********'",
        crate::types::quote::quote_ident(role)
    );
    AuditEntry {
        operation: "ALTER ROLE".into(),
        object: Some(role.to_string()),
        statement_sha256: sha256(text.as_bytes()),
    }
}

/// The text a `COPY ... FROM STDIN` is hashed as: its target and columns, as written back.
pub(super) fn copy_statement_hash(table: &ast::ObjectName, columns: &[ast::Ident]) -> [u8; 32] {
    let columns: Vec<String> = columns.iter().map(ToString::to_string).collect();
    let text = if columns.is_empty() {
        format!("COPY {table} FROM STDIN")
    } else {
        format!("COPY {table} ({}) FROM STDIN", columns.join(", "))
    };
    sha256(text.as_bytes())
}

impl Session {
    /// Creates the audit chain in a database that has none (a new one, or one written before
    /// audit existed). A user table already named `vellum_audit` keeps the name, and the
    /// database runs without an audit chain (logged).
    pub(crate) fn create_audit_chain(&mut self) -> Result<()> {
        let catalog = self.db.catalog();
        if catalog.audit_table.is_some() {
            return Ok(());
        }
        if catalog.relation_exists(AUDIT_TABLE) {
            tracing::warn!("a relation named {AUDIT_TABLE} exists: this database keeps no audit chain");
            return Ok(());
        }
        let statement = sql::parse(AUDIT_TABLE_SQL)?
            .pop()
            .ok_or_else(|| Error::bug("the audit table's definition is empty"))?;
        let mut open = self.open_txn();
        if let Err(e) = self.run_in(&mut open, Work::Statement(&statement)) {
            open.txn.rollback();
            return Err(e);
        }
        let id = open
            .catalog
            .table(AUDIT_TABLE)
            .map(|t| t.id)
            .ok_or_else(|| Error::bug("the audit table vanished while created"))?;
        open.txn.put(
            keys::AUDIT_TABLE_META.to_vec(),
            id.to_be_bytes().to_vec(),
            Conflict::None,
        )?;
        Arc::make_mut(&mut open.catalog).audit_table = Some(id);
        self.commit_txn(open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition ledger-format.md §9 documents is the one every database creates.
    #[test]
    fn the_documented_definition_is_the_created_one() {
        let doc = include_str!("../../grammar/ledger-format.md");
        let section = doc.split("## 9. Audit records").nth(1).expect("section 9");
        let block = section
            .split("```text")
            .nth(1)
            .and_then(|b| b.split("```").next())
            .expect("definition block");
        let words = |s: &str| {
            s.replace('(', " ( ")
                .replace(')', " ) ")
                .replace(',', " , ")
                .split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(words(block), words(AUDIT_TABLE_SQL));
    }

    #[test]
    fn passwords_are_masked_before_hashing() {
        let parse = |sql: &str| sql::parse(sql).unwrap().pop().unwrap();
        let hash = |sql: &str| statement_hash(&parse(sql));
        assert_eq!(
            hash("ALTER ROLE bob PASSWORD 'one'"),
            hash("ALTER ROLE bob PASSWORD 'two'")
        );
        assert_eq!(
            hash("CREATE ROLE bob LOGIN PASSWORD 'one'"),
            hash("CREATE ROLE bob LOGIN PASSWORD 'two'")
        );
        assert_ne!(
            hash("ALTER ROLE bob PASSWORD 'one'"),
            hash("ALTER ROLE ann PASSWORD 'one'")
        );
        // Everything else is hashed as printed back: case and spacing do not count.
        assert_eq!(hash("delete   from t"), sha256(b"DELETE FROM t"));
        assert_ne!(hash("DELETE FROM t"), hash("DELETE FROM u"));
    }
}
