//! The database handle: owns the store and the published catalog; hands out sessions.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::catalog::{codec, Catalog, CatalogRecord};
use crate::crypto::aead::AeadKey;
use crate::crypto::scram::Verifier;
use crate::error::{sqlstate, Error, Result};
use crate::ledger::sealer::Sealer;
use crate::ledger::server_signers::ServerSigners;
use crate::session::Session;
use crate::storage::{keys, Conflict, Durability, Store};

/// How often the purge policies run in the background.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// How [`Database::open_with_options`] opens a database.
#[derive(Debug, Default, Clone)]
pub struct OpenOptions {
    /// The master key wrapping the data keys of encrypted tables (`ledger::at_rest`); without
    /// it everything but those tables works.
    pub master_key: Option<AeadKey>,
    /// No background services (the sealer), no audit chain created: nothing changes unless a
    /// session writes ([`Database::open_quiet`]).
    pub quiet: bool,
}

/// An open database. Clone it freely: clones share one store.
#[derive(Clone)]
pub struct Database {
    pub(crate) inner: Arc<DatabaseInner>,
}

pub(crate) struct DatabaseInner {
    pub(crate) store: Store,
    /// The committed catalog; replaced (never mutated) by committing DDL.
    pub(crate) catalog: RwLock<Arc<Catalog>>,
    /// Serializes catalog publication with the commit of the DDL that produced it.
    pub(crate) ddl_lock: Mutex<()>,
    /// Server-held signing keys (`CREATE SIGNER ... GENERATE KEY`), shared with the commit hook.
    pub(crate) signers: Arc<ServerSigners>,
    /// Signs digests (`ledger::identity`); `None` only for a database opened quietly before
    /// it ever had one.
    pub(crate) identity: Option<Arc<crate::crypto::ed25519::KeyPair>>,
    /// Sealed chain data (block starts, recent bodies) shared by statements (`ledger::rows`).
    pub(crate) chain_cache: Arc<crate::ledger::rows::ChainCache>,
    /// Whether statements append to the audit chain (`session::audit`); on unless turned off.
    audit: AtomicBool,
    /// Seals pending rows by age. It holds its own `Store` clone; dropping the last handle
    /// stops and joins its thread, so the store is closed when the drop returns.
    _sealer: Option<Sealer>,
    /// Stops the purge policies' thread (it holds a weak handle; see `start_purger`).
    purger: Mutex<Option<std::sync::mpsc::Sender<()>>>,
}

impl Drop for DatabaseInner {
    fn drop(&mut self) {
        // The purger notices on its next look; it never keeps the database alive.
        self.purger.get_mut().take();
    }
}

impl Database {
    /// Opens or creates the database stored in directory `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        Database::open_with_options(path, OpenOptions::default())
    }

    /// Opens the database without its background services (the sealer), so nothing changes
    /// unless a session writes: what offline verification (`vellum verify`) uses.
    pub fn open_quiet(path: impl AsRef<Path>) -> Result<Database> {
        Database::open_with_options(
            path,
            OpenOptions {
                quiet: true,
                ..Default::default()
            },
        )
    }

    /// Opens or creates the database stored in directory `path`, as `options` say.
    pub fn open_with_options(path: impl AsRef<Path>, options: OpenOptions) -> Result<Database> {
        let path = path.as_ref();
        let services = !options.quiet;
        let store = Store::open(path)?;
        store.set_master_key(options.master_key);
        match crate::ledger::at_rest::locked_tables(&store) {
            Ok((_, 0)) => {}
            Ok((encrypted, locked)) => tracing::warn!(
                "{locked} of {encrypted} encrypted tables cannot be read or written: {}",
                if store.master_key().is_some() {
                    "the master key given does not open their data keys"
                } else {
                    "no master key is configured (--master-key-file)"
                }
            ),
            Err(e) => tracing::warn!("cannot read the at-rest records: {e}"),
        }
        let catalog = load_catalog(&store)?;
        let signers = Arc::new(ServerSigners::open(
            path,
            &catalog,
            services,
            store.master_key().as_deref().cloned(),
        ));
        // A damaged or exposed key file must not lock users out of their data: digests are
        // then refused, with the reason in the log.
        let identity = crate::ledger::identity::open_identity(path, services, store.master_key().as_deref())
            .unwrap_or_else(|e| {
                tracing::warn!("cannot load the identity key: {e}");
                None
            })
            .map(Arc::new);
        let chain_cache = Arc::new(crate::ledger::rows::ChainCache::default());
        crate::ledger::chain::LedgerHook::install(&store, signers.clone(), chain_cache.clone());
        let sealer = if services {
            Some(Sealer::start(store.clone())?)
        } else {
            None
        };
        let db = Database {
            inner: Arc::new(DatabaseInner {
                store,
                catalog: RwLock::new(Arc::new(catalog)),
                ddl_lock: Mutex::new(()),
                signers,
                identity,
                chain_cache,
                audit: AtomicBool::new(true),
                _sealer: sealer,
                purger: Mutex::new(None),
            }),
        };
        // A quiet open changes nothing; any other creates the audit chain the first time.
        if services {
            db.session().create_audit_chain()?;
            db.start_purger()?;
        }
        Ok(db)
    }

    /// Applies every blockchain table's purge policy once a minute (`PURGE_EVERY`), as
    /// `SELECT purge_blockchain('t')` by the bootstrap superuser, recorded as authorized by
    /// `system`. The thread holds only a weak handle, so dropping the database ends it.
    fn start_purger(&self) -> Result<()> {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let weak = Arc::downgrade(&self.inner);
        std::thread::Builder::new()
            .name("vellum-purger".into())
            .spawn(move || loop {
                match stopped.recv_timeout(PURGE_EVERY) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
                let Some(inner) = weak.upgrade() else { return };
                let db = Database { inner };
                db.apply_purge_policies();
            })?;
        *self.inner.purger.lock() = Some(stop);
        Ok(())
    }

    /// Runs every table's purge policy now; failures are logged and retried next time.
    pub fn apply_purge_policies(&self) {
        let catalog = self.catalog();
        for table in catalog.tables() {
            let Some(options) = table.blockchain_options() else {
                continue;
            };
            if matches!(
                crate::ledger::purge::canonical(&options.purge_policy),
                "NONE" | "MANUAL"
            ) {
                continue;
            }
            let sql = format!(
                "SELECT purge_blockchain({})",
                crate::types::quote::quote_literal(&table.name)
            );
            if let Err(e) = self.session().execute(&sql) {
                tracing::warn!("purge policy of {}: {e}", table.name);
            }
        }
    }

    /// Whether statements append to the audit chain.
    pub fn audit_enabled(&self) -> bool {
        self.inner.audit.load(Ordering::Relaxed)
    }

    /// Turns the audit chain on or off for this process (`vellum serve --no-audit`): what is
    /// not recorded while it is off is never recorded.
    pub fn set_audit(&self, on: bool) {
        if !on {
            tracing::warn!("the audit chain is off: statements are not recorded in vellum_audit");
        }
        self.inner.audit.store(on, Ordering::Relaxed);
    }

    /// A new session (one per connection) acting as the bootstrap superuser, for embedded use.
    pub fn session(&self) -> Session {
        Session::new(self.clone())
    }

    /// A new session for a connection authenticated as `user`: 28000 when no such role exists
    /// or it may not log in. Authentication itself (passwords) is the caller's job.
    pub fn session_for(&self, user: &str) -> Result<Session> {
        match self.catalog().role(user) {
            Some(role) if role.login => {
                let mut session = Session::new(self.clone());
                session.settings_mut().identity = crate::session::identity::Identity::of(role.id);
                Ok(session)
            }
            Some(_) => Err(Error::sql(
                sqlstate::INVALID_AUTHORIZATION_SPECIFICATION,
                format!("role \"{user}\" is not permitted to log in"),
            )),
            None => Err(Error::sql(
                sqlstate::INVALID_AUTHORIZATION_SPECIFICATION,
                format!("role \"{user}\" does not exist"),
            )),
        }
    }

    /// Gives role `name` (the bootstrap superuser included) the password whose SCRAM-SHA-256
    /// verifier is `verifier` (PostgreSQL's text form), durably, outside any session: what
    /// `vellum serve --password-file` does before the first client connects.
    pub fn set_role_password(&self, name: &str, verifier: String) -> Result<()> {
        if !Verifier::is_verifier(&verifier) {
            return Err(Error::sql(
                sqlstate::INVALID_PARAMETER_VALUE,
                "not a SCRAM-SHA-256 password verifier",
            ));
        }
        let inner = &self.inner;
        let _ddl = inner.ddl_lock.lock();
        let current = self.catalog();
        let Some(role) = current.role(name) else {
            return Err(Error::sql(
                sqlstate::UNDEFINED_OBJECT,
                format!("role \"{name}\" does not exist"),
            ));
        };
        let role_id = role.id;
        let mut role = (*role).clone();
        role.password = Some(verifier);
        let record = CatalogRecord::Role(role);
        let mut txn = inner.store.begin();
        txn.put(keys::role_key(name), codec::encode(&record)?, Conflict::Unchanged)?;
        if self.audit_enabled() {
            // Recorded as the role itself altering its password, in the same transaction.
            let audit = crate::session::audit::AuditRecord {
                tx_id: txn.next_id(b"txid")?,
                statement_no: 1,
                actor: role_id,
                role: role_id,
                entry: crate::session::audit::password_entry(name),
                changes: Default::default(),
            };
            crate::session::audit::append(&mut txn, &current, audit)?;
        }
        txn.commit(Durability::Sync)?;
        let mut catalog = (*current).clone();
        catalog.put(record);
        catalog.version += 1;
        *inner.catalog.write() = Arc::new(catalog);
        Ok(())
    }

    /// Re-wraps every encrypted table's data key under `new`, which becomes this database's
    /// master key; no block is rewritten (`ledger::at_rest::rotate_master_key`), and re-wraps the
    /// key files of server-held signers and of the identity key. The current master key must open them. Returns how
    /// many data keys were re-wrapped.
    pub fn rotate_master_key(&self, new: AeadKey) -> Result<usize> {
        let _ddl = self.inner.ddl_lock.lock();
        let count = crate::ledger::at_rest::rotate_master_key(&self.inner.store, new.clone())?;
        self.inner.signers.rewrap(&new)?;
        if let Some(identity) = &self.inner.identity {
            crate::ledger::identity::rewrap_identity(self.inner.store.path(), identity, &new)?;
        }
        Ok(count)
    }

    /// The committed catalog snapshot.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.inner.catalog.read().clone()
    }

    /// Flushes and fsyncs everything committed so far (clean shutdown).
    pub fn sync(&self) -> Result<()> {
        self.inner.store.sync()
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }
}

fn load_catalog(store: &Store) -> Result<Catalog> {
    let txn = store.begin();
    let mut catalog = Catalog::default();
    for prefix in [
        keys::CATALOG_PREFIX,
        keys::ROLE_PREFIX,
        keys::ACL_PREFIX,
        keys::SIGNER_PREFIX,
    ] {
        for entry in txn.scan_prefix(prefix)? {
            let (key, value) = entry?;
            catalog.put(codec::decode(&key, &value)?);
        }
    }
    if let Some(bytes) = txn.get(keys::AUDIT_TABLE_META)? {
        let id: [u8; 4] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| Error::corrupted("the audit table's id", "not 4 bytes"))?;
        catalog.audit_table = Some(u32::from_be_bytes(id));
    }
    txn.rollback();
    Ok(catalog)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_password_persists_without_touching_other_records() {
        let dir = tempfile::tempdir().unwrap();
        let verifier = Verifier::from_password("pw").to_string();
        {
            let db = Database::open(dir.path()).unwrap();
            let mut session = db.session();
            // Enough objects that object ids pass the bootstrap role's id (10).
            for i in 0..12 {
                session.execute(&format!("CREATE TABLE t{i} (a int)")).unwrap();
            }
            db.set_role_password("vellum", verifier.clone()).unwrap();
            assert_eq!(
                db.catalog().role("vellum").unwrap().password.as_deref(),
                Some(verifier.as_str())
            );
            assert_eq!(
                db.set_role_password("nobody", verifier.clone()).unwrap_err().sqlstate(),
                "42704"
            );
            assert_eq!(
                db.set_role_password("vellum", "plain text".into())
                    .unwrap_err()
                    .sqlstate(),
                "22023"
            );
            db.sync().unwrap();
        }
        let db = Database::open(dir.path()).unwrap();
        let role = db.catalog().role("vellum").unwrap();
        assert_eq!(role.password.as_deref(), Some(verifier.as_str()));
        assert!(role.superuser && role.login);
        for i in 0..12 {
            assert!(db.catalog().table(&format!("t{i}")).is_some(), "t{i} lost");
        }
        // The audit chain kept the one password change that went through (and not the refused
        // ones), hashed as the statement that would have made it, the password masked.
        let mut session = db.session();
        let rows = match session
            .execute("SELECT actor, object, statement_sha256 FROM vellum_audit WHERE operation = 'ALTER ROLE'")
            .unwrap()
            .pop()
        {
            Some(crate::session::StatementResult::Query { rows, .. }) => rows,
            other => panic!("{other:?}"),
        };
        let hash: String = crate::crypto::sha256(b"ALTER ROLE vellum PASSWORD '********'")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        use crate::types::Value::Text;
        assert_eq!(
            rows,
            vec![vec![Text("vellum".into()), Text("vellum".into()), Text(hash)]]
        );
    }
}
