//! The database handle: owns the store and the published catalog; hands out sessions.

use std::path::Path;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::catalog::{codec, Catalog};
use crate::error::{sqlstate, Error, Result};
use crate::session::Session;
use crate::storage::{keys, Store};

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
}

impl Database {
    /// Opens or creates the database stored in directory `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        let store = Store::open(path.as_ref())?;
        let catalog = load_catalog(&store)?;
        Ok(Database {
            inner: Arc::new(DatabaseInner {
                store,
                catalog: RwLock::new(Arc::new(catalog)),
                ddl_lock: Mutex::new(()),
            }),
        })
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
    for prefix in [keys::CATALOG_PREFIX, keys::ROLE_PREFIX, keys::ACL_PREFIX] {
        for entry in txn.scan_prefix(prefix)? {
            let (key, value) = entry?;
            catalog.put(codec::decode(&key, &value)?);
        }
    }
    txn.rollback();
    Ok(catalog)
}
