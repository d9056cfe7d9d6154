//! The database handle: owns the store and the published catalog; hands out sessions.

use std::path::Path;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::catalog::Catalog;
use crate::error::Result;
use crate::session::Session;
use crate::storage::Store;

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
        let _ = path;
        todo!("Database::open")
    }

    /// A new session (one per connection).
    pub fn session(&self) -> Session {
        todo!("Database::session")
    }
}
