//! Block signers: named Ed25519 public keys whose signatures confirm blocks of blockchain
//! tables (`ledger::signature`). Only superusers create or drop them (`exec::ddl::signer`).
//!
//! A signer is either external (only its public key is registered; its private key never
//! reaches the server) or server-held (`GENERATE KEY`: the server keeps the private key in a
//! key file in the data directory and signs at seal time). Records persist under
//! `keys::SIGNER_PREFIX` by name, through the catalog codec: a fixed struct, so its bytes are
//! deterministic.

use serde::{Deserialize, Serialize};

use super::Catalog;

/// One registered signer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignerDef {
    pub name: String,
    /// Ed25519 public key.
    pub public_key: [u8; 32],
    /// The server holds the private key (`CREATE SIGNER ... GENERATE KEY`).
    pub server_held: bool,
    /// Role that created it.
    pub created_by: u32,
    /// Creation time, µs since the Unix epoch.
    pub created_at: i64,
}

impl Catalog {
    pub fn signer(&self, name: &str) -> Option<&std::sync::Arc<SignerDef>> {
        self.signers.get(name)
    }

    /// Every signer, by name.
    pub fn signers(&self) -> impl Iterator<Item = &std::sync::Arc<SignerDef>> {
        self.signers.values()
    }

    /// The signer registered with `public_key`, if any.
    pub fn signer_by_key(&self, public_key: &[u8; 32]) -> Option<&std::sync::Arc<SignerDef>> {
        self.signers.values().find(|s| &s.public_key == public_key)
    }

    pub fn remove_signer(&mut self, name: &str) -> Option<std::sync::Arc<SignerDef>> {
        self.signers.remove(name)
    }
}
