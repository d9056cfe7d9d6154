//! Private key files on disk, for Ed25519 key pairs (`ed25519`) and master keys (`aead`): created
//! new with mode 0600 and made durable with their directory entry, and refused when read if group
//! or others may access them. `kind` names the file in messages ("key file", "master key file").

use std::io::Write;
use std::path::Path;

use crate::error::{sqlstate, Error, Result};

/// Creates `path` (failing if it exists) with mode 0600 holding `bytes`, durably.
pub(crate) fn write_new(path: &Path, bytes: &[u8], kind: &str) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| io_error("create", kind, path, &e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error("write", kind, path, &e))?;
    sync_dir_of(path, kind)
}

/// Makes `path`'s directory entry durable (after creating or renaming it).
pub(crate) fn sync_dir_of(path: &Path, kind: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("sync the directory of", kind, path, &e))
}

/// The bytes of `path`, refusing a file that group or others may access (42501).
pub(crate) fn read_private(path: &Path, kind: &str) -> Result<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(|e| io_error("read", kind, path, &e))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::sql(
                sqlstate::INSUFFICIENT_PRIVILEGE,
                format!(
                    "{kind} \"{}\" has group or world access (mode {mode:04o}); it must be 0600 or less",
                    path.display()
                ),
            ));
        }
    }
    std::fs::read(path).map_err(|e| io_error("read", kind, path, &e))
}

pub(crate) fn io_error(what: &str, kind: &str, path: &Path, e: &std::io::Error) -> Error {
    Error::sql(
        sqlstate::IO_ERROR,
        format!("could not {what} {kind} \"{}\": {e}", path.display()),
    )
}
