//! The server's identity key: an Ed25519 key pair in `<data>/identity.key`
//! (`crypto::ed25519`'s key file format, mode 0600), made when the database is first opened.
//! It signs external digests (`digest.rs`), so a digest shows which database made it; the key
//! file moves with the data directory. With a master key (the one of encrypted tables,
//! `at_rest`) the file is written wrapped under it (`crypto::ed25519`'s wrapped key file; a plain
//! one is re-written wrapped when the database opens with its services), and rotating the master
//! key re-wraps it; without one the key is only as safe as the data directory, which is why a
//! digest is checked against what is stored, never trusted for its signature alone.

use std::path::Path;

use crate::crypto::aead::AeadKey;
use crate::crypto::ed25519::KeyPair;
use crate::error::Result;

/// The identity key's file name in the data directory.
pub const IDENTITY_FILE: &str = "identity.key";

/// The identity key of the database in `data_dir`: read, or with `create` made (and written
/// durably) when there is none. `None` when there is none and `create` is false. `master`:
/// the database's master key, which a wrapped file needs and (with `create`) a plain one is
/// re-written under.
pub fn open_identity(data_dir: &Path, create: bool, master: Option<&AeadKey>) -> Result<Option<KeyPair>> {
    let path = data_dir.join(IDENTITY_FILE);
    if path.exists() {
        let key = KeyPair::read_any_key_file(&path, master)?;
        if let (Some(master), true) = (master, create) {
            let plain = std::fs::read_to_string(&path).is_ok_and(|t| !KeyPair::is_wrapped_key_file(&t));
            if plain {
                if let Err(e) = key.rewrap_key_file(&path, master) {
                    tracing::warn!("cannot wrap the identity key file: {e}");
                }
            }
        }
        return Ok(Some(key));
    }
    if !create {
        return Ok(None);
    }
    let key = KeyPair::generate()?;
    match master {
        Some(master) => key.write_wrapped_key_file(&path, master)?,
        None => key.write_key_file(&path)?,
    }
    Ok(Some(key))
}

/// Re-wraps the identity key file of the database in `data_dir` under `master` (rotation).
pub fn rewrap_identity(data_dir: &Path, key: &KeyPair, master: &AeadKey) -> Result<()> {
    key.rewrap_key_file(&data_dir.join(IDENTITY_FILE), master)
}
