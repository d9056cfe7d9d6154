//! `vellum digest --connect URL --out FILE`: takes a signed digest (`ledger::digest`) of every
//! blockchain table on a running server and saves them, as a JSON array, in a file meant to be
//! kept away from the database (`vellum verify --data DIR --digest FILE` checks them later).

use std::path::Path;

use super::remote::Remote;
use crate::types::quote::quote_literal;

/// Digests of every blockchain table the connected role may read (the audit chain included), written to `out` (which must
/// not exist: a saved digest is evidence, never silently replaced). Returns the tables.
pub fn save_digests(url: &str, out: &Path) -> Result<Vec<String>, String> {
    let mut remote = Remote::connect(url).map_err(|r| r.brief())?;
    let tables = remote
        .rows(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'r' AND (n.nspname = 'public' OR (n.nspname = 'pg_catalog' AND c.relname = 'vellum_audit')) \
             ORDER BY c.relname",
        )
        .map_err(|r| r.brief())?;
    let mut names = Vec::new();
    let mut digests = Vec::new();
    for row in tables {
        let Some(Some(name)) = row.into_iter().next() else {
            continue;
        };
        match remote.rows(&format!("SELECT blockchain_digest({})", quote_literal(&name))) {
            Ok(rows) => {
                let digest = rows
                    .first()
                    .and_then(|r| r.first().cloned().flatten())
                    .ok_or_else(|| format!("no digest for table {name}"))?;
                let parsed: serde_json::Value =
                    serde_json::from_str(&digest).map_err(|e| format!("digest of {name} is not JSON: {e}"))?;
                digests.push(parsed);
                names.push(name);
            }
            // Not a blockchain table (42809) or not readable by this role (42501).
            Err(r) if r.sqlstate == "42809" || r.sqlstate == "42501" => {}
            Err(r) => return Err(r.brief()),
        }
    }
    let text = serde_json::to_string_pretty(&digests).map_err(|e| e.to_string())? + "\n";
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    let mut file = options
        .open(out)
        .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    Ok(names)
}
