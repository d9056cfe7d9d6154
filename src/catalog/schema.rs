use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{sqlstate, Error, Result};
use crate::types::DataType;

/// A column of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDef {
    pub name: String,
    pub data_type: DataType,
    pub nullable: bool,
    /// DEFAULT expression as SQL text, bound when used.
    pub default: Option<String>,
}

/// A CHECK constraint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckDef {
    pub name: String,
    /// Boolean SQL expression over the table's columns.
    pub expr: String,
}

/// What kind of table this is. New variants go last: bincode stores the variant's position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TableKind {
    Ordinary,
    /// Append-only, its rows sealed into hash-chained blocks (`ledger`).
    Blockchain(Box<super::BlockchainOptions>),
}

/// A table definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableDef {
    pub id: u32,
    pub name: String,
    pub columns: Vec<ColumnDef>,
    /// Column positions of the primary key; rows are stored keyed by it. `None`: keyed by a
    /// hidden, never reused row id.
    pub primary_key: Option<Vec<usize>>,
    /// Name of the primary key constraint (`t_pkey`).
    pub primary_key_name: Option<String>,
    pub checks: Vec<CheckDef>,
    pub kind: TableKind,
}

impl TableDef {
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// A secondary index (also how UNIQUE constraints are enforced).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexDef {
    pub id: u32,
    pub name: String,
    pub table_id: u32,
    /// Indexed column positions in the table.
    pub columns: Vec<usize>,
    pub unique: bool,
    /// True when created by a UNIQUE constraint rather than CREATE INDEX.
    pub constraint: bool,
}

/// A view: stored as its defining query text, expanded at bind time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewDef {
    pub id: u32,
    pub name: String,
    pub sql: String,
    /// Optional column aliases from `CREATE VIEW v (a, b) AS ...`.
    pub column_names: Vec<String>,
}

/// Name of the superuser every database starts with.
pub const BOOTSTRAP_SUPERUSER: &str = "vellum";

/// A role: who may log in, and with which powers. Table privileges are granted to roles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleDef {
    pub id: u32,
    pub name: String,
    pub superuser: bool,
    pub login: bool,
    pub create_role: bool,
    pub create_db: bool,
    /// A SCRAM-SHA-256 verifier in PostgreSQL's text form (`crypto::scram::Verifier`); never the
    /// password itself. `None`: the role has no password and cannot pass password authentication.
    pub password: Option<String>,
}

impl RoleDef {
    /// The built-in superuser as it exists before anyone alters it.
    pub fn bootstrap() -> RoleDef {
        RoleDef {
            id: 10,
            name: BOOTSTRAP_SUPERUSER.to_string(),
            superuser: true,
            login: true,
            create_role: true,
            create_db: true,
            password: None,
        }
    }
}

/// One persisted catalog record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CatalogRecord {
    Table(TableDef),
    Index(IndexDef),
    View(ViewDef),
    Role(RoleDef),
    /// Owner and grants of a relation (appended last: older records keep their tags).
    Acl(super::ObjectAcl),
    /// A block signer (appended last, as `Acl`).
    Signer(super::SignerDef),
}

/// An immutable snapshot of every schema object.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    tables: BTreeMap<String, Arc<TableDef>>,
    indexes: BTreeMap<String, Arc<IndexDef>>,
    views: BTreeMap<String, Arc<ViewDef>>,
    roles: BTreeMap<String, Arc<RoleDef>>,
    /// Owner and grants by relation id (see `privilege`).
    pub(super) acls: BTreeMap<u32, Arc<super::ObjectAcl>>,
    /// Block signers by name (`signer`).
    pub(super) signers: BTreeMap<String, Arc<super::SignerDef>>,
    /// Bumped by every committed DDL; a DDL transaction whose base version is stale fails.
    pub version: u64,
    /// The id of the audit chain (`AUDIT_TABLE`), a system table: stored under the meta key
    /// `keys::AUDIT_TABLE_META` rather than in its table record, so that a user table that
    /// happens to bear the name is never taken for it.
    pub audit_table: Option<u32>,
}

/// The name of the audit chain, the system blockchain table of every write (`ledger::audit_log`).
pub const AUDIT_TABLE: &str = "vellum_audit";

impl Catalog {
    pub fn table(&self, name: &str) -> Option<&Arc<TableDef>> {
        self.tables.get(name)
    }

    /// The table or 42P01.
    pub fn table_or_err(&self, name: &str) -> Result<&Arc<TableDef>> {
        self.tables.get(name).ok_or_else(|| Error::undefined_table(name))
    }

    /// The audit chain's table, when this database has one.
    pub fn audit_table(&self) -> Option<&Arc<TableDef>> {
        self.tables.get(AUDIT_TABLE).filter(|t| Some(t.id) == self.audit_table)
    }

    /// Whether relation `id` is a system table: readable as granted, written only by Vellum.
    pub fn is_system_table(&self, id: u32) -> bool {
        self.audit_table == Some(id)
    }

    /// 42501 for any change to a system table, whoever asks (superusers included).
    pub fn refuse_system_table(&self, id: u32, name: &str) -> Result<()> {
        if self.is_system_table(id) {
            return Err(Error::sql(
                crate::error::sqlstate::INSUFFICIENT_PRIVILEGE,
                format!("permission denied: \"{name}\" is a system table"),
            )
            .with_hint("Only Vellum itself writes the audit chain."));
        }
        Ok(())
    }

    /// The schema relation `id` shows in: `pg_catalog` for system tables, else `public`.
    pub fn schema_of(&self, id: u32) -> &'static str {
        if self.is_system_table(id) {
            "pg_catalog"
        } else {
            "public"
        }
    }

    pub fn table_by_id(&self, id: u32) -> Option<&Arc<TableDef>> {
        self.tables.values().find(|t| t.id == id)
    }

    pub fn tables(&self) -> impl Iterator<Item = &Arc<TableDef>> {
        self.tables.values()
    }

    pub fn view(&self, name: &str) -> Option<&Arc<ViewDef>> {
        self.views.get(name)
    }

    pub fn views(&self) -> impl Iterator<Item = &Arc<ViewDef>> {
        self.views.values()
    }

    /// A role by name. The bootstrap superuser always exists: until a record for it is stored
    /// (its first ALTER ROLE), its built-in definition answers.
    pub fn role(&self, name: &str) -> Option<Arc<RoleDef>> {
        match self.roles.get(name) {
            Some(role) => Some(role.clone()),
            None if name == BOOTSTRAP_SUPERUSER && !self.bootstrap_stored() => Some(Arc::new(RoleDef::bootstrap())),
            None => None,
        }
    }

    /// Every role, the bootstrap superuser included, by name.
    pub fn roles(&self) -> Vec<Arc<RoleDef>> {
        let mut roles: Vec<_> = self.roles.values().cloned().collect();
        if !self.bootstrap_stored() {
            roles.push(Arc::new(RoleDef::bootstrap()));
            roles.sort_by(|a, b| a.name.cmp(&b.name));
        }
        roles
    }

    /// Whether the bootstrap superuser has a stored record (under any name: it may be renamed).
    pub(super) fn bootstrap_stored(&self) -> bool {
        let id = RoleDef::bootstrap().id;
        self.roles.values().any(|r| r.id == id)
    }

    /// A stored role by id, without building the bootstrap default.
    pub(super) fn stored_role(&self, id: u32) -> Option<&Arc<RoleDef>> {
        self.roles.values().find(|r| r.id == id)
    }

    pub fn remove_role(&mut self, name: &str) -> Option<Arc<RoleDef>> {
        self.roles.remove(name)
    }

    pub fn index(&self, name: &str) -> Option<&Arc<IndexDef>> {
        self.indexes.get(name)
    }

    pub fn indexes(&self) -> impl Iterator<Item = &Arc<IndexDef>> {
        self.indexes.values()
    }

    /// Secondary indexes of a table, in creation (id) order.
    pub fn table_indexes(&self, table_id: u32) -> Vec<Arc<IndexDef>> {
        let mut v: Vec<_> = self
            .indexes
            .values()
            .filter(|i| i.table_id == table_id)
            .cloned()
            .collect();
        v.sort_by_key(|i| i.id);
        v
    }

    /// Whether any relation (table, view or index) already uses `name`.
    pub fn relation_exists(&self, name: &str) -> bool {
        self.tables.contains_key(name) || self.views.contains_key(name) || self.indexes.contains_key(name)
    }

    pub fn insert(&mut self, record: CatalogRecord) -> Result<()> {
        let name = match &record {
            CatalogRecord::Table(t) => &t.name,
            CatalogRecord::Index(i) => &i.name,
            CatalogRecord::View(v) => &v.name,
            CatalogRecord::Role(r) => {
                if self.role(&r.name).is_some() {
                    return Err(Error::sql(
                        sqlstate::DUPLICATE_OBJECT,
                        format!("role \"{}\" already exists", r.name),
                    ));
                }
                self.put(record);
                return Ok(());
            }
            CatalogRecord::Acl(_) => {
                self.put(record);
                return Ok(());
            }
            CatalogRecord::Signer(signer) => {
                if self.signers.contains_key(&signer.name) {
                    return Err(Error::sql(
                        sqlstate::DUPLICATE_OBJECT,
                        format!("signer \"{}\" already exists", signer.name),
                    ));
                }
                self.put(record);
                return Ok(());
            }
        };
        if self.relation_exists(name) {
            return Err(Error::sql(
                sqlstate::DUPLICATE_TABLE,
                format!("relation \"{name}\" already exists"),
            ));
        }
        self.put(record);
        Ok(())
    }

    /// Inserts or replaces a record by name (ALTER TABLE).
    pub fn put(&mut self, record: CatalogRecord) {
        match record {
            CatalogRecord::Table(t) => {
                self.tables.insert(t.name.clone(), Arc::new(t));
            }
            CatalogRecord::Index(i) => {
                self.indexes.insert(i.name.clone(), Arc::new(i));
            }
            CatalogRecord::View(v) => {
                self.views.insert(v.name.clone(), Arc::new(v));
            }
            CatalogRecord::Role(r) => {
                self.roles.insert(r.name.clone(), Arc::new(r));
            }
            CatalogRecord::Acl(a) => {
                self.acls.insert(a.object_id, Arc::new(a));
            }
            CatalogRecord::Signer(s) => {
                self.signers.insert(s.name.clone(), Arc::new(s));
            }
        }
    }

    pub fn remove_table(&mut self, name: &str) -> Option<Arc<TableDef>> {
        self.tables.remove(name)
    }

    pub fn remove_index(&mut self, name: &str) -> Option<Arc<IndexDef>> {
        self.indexes.remove(name)
    }

    pub fn remove_acl(&mut self, object_id: u32) -> Option<Arc<super::ObjectAcl>> {
        self.acls.remove(&object_id)
    }

    pub fn remove_view(&mut self, name: &str) -> Option<Arc<ViewDef>> {
        self.views.remove(name)
    }
}
