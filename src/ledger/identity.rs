//! The server's identity key: an Ed25519 key pair in `<data>/identity.key`
//! (`crypto::ed25519`'s key file format, mode 0600), made when the database is first opened.
//! It signs external digests (`digest.rs`), so a digest shows which database made it; the key
//! file moves with the data directory. Until a master key exists to wrap it, the key is only
//! as safe as the data directory, which is why a digest is checked against what is stored,
//! never trusted for its signature alone.

use std::path::Path;

use crate::crypto::ed25519::KeyPair;
use crate::error::Result;

/// The identity key's file name in the data directory.
pub const IDENTITY_FILE: &str = "identity.key";

/// The identity key of the database in `data_dir`: read, or with `create` made (and written
/// durably) when there is none. `None` when there is none and `create` is false.
pub fn open_identity(data_dir: &Path, create: bool) -> Result<Option<KeyPair>> {
    let path = data_dir.join(IDENTITY_FILE);
    if path.exists() {
        return KeyPair::read_key_file(&path).map(Some);
    }
    if !create {
        return Ok(None);
    }
    let key = KeyPair::generate()?;
    key.write_key_file(&path)?;
    Ok(Some(key))
}
