//! Verification of every blockchain table of a database, for `vellum verify`: runs the same
//! checks as `blockchain_tamper_report` through a session, table by table, reporting progress.

use crate::error::{Error, Result};
use crate::types::Value;
use crate::{Database, StatementResult};

/// One finding: table, block id (None for pending rows and table-wide findings), finding
/// name, detail.
pub type TableFinding = (String, Option<i64>, String, String);

/// What `verify_tables` found.
#[derive(Debug, Default)]
pub struct Verified {
    /// Every finding; empty when every table verified is intact.
    pub findings: Vec<TableFinding>,
    /// Tables that could not be verified here, with why: encrypted ones without their master
    /// key (55000). The others are verified all the same.
    pub unverified: Vec<(String, String)>,
    /// Tables verified.
    pub tables: usize,
}

/// Verifies `tables` (every blockchain table when empty) of `db`; `progress(table, done,
/// total)` is called before each table. An unknown table or one that is not a blockchain
/// table is an error.
pub fn verify_tables(
    db: &Database,
    tables: &[String],
    mut progress: impl FnMut(&str, usize, usize),
) -> Result<Verified> {
    let names: Vec<String> = if tables.is_empty() {
        let mut names: Vec<String> = db
            .catalog()
            .tables()
            .filter(|t| t.is_blockchain())
            .map(|t| t.name.clone())
            .collect();
        names.sort();
        names
    } else {
        tables.to_vec()
    };
    let mut session = db.session();
    let mut out = Verified::default();
    let findings = &mut out.findings;
    for (i, name) in names.iter().enumerate() {
        progress(name, i, names.len());
        let sql = format!(
            "SELECT block_id, finding, detail FROM blockchain_tamper_report('{}')",
            name.replace('\'', "''")
        );
        let rows = match session.execute(&sql) {
            Ok(mut results) => match results.pop() {
                Some(StatementResult::Query { rows, .. }) => rows,
                _ => return Err(Error::bug("tamper report returned no rows")),
            },
            Err(e) if e.sqlstate() == crate::error::sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE => {
                out.unverified.push((name.clone(), e.to_string()));
                continue;
            }
            Err(e) => return Err(e),
        };
        out.tables += 1;
        for row in rows {
            let mut it = row.into_iter();
            let block = match it.next() {
                Some(Value::Int8(b)) => Some(b),
                _ => None,
            };
            let text = |v: Option<Value>| match v {
                Some(Value::Text(t)) => t,
                _ => String::new(),
            };
            let finding = text(it.next());
            let detail = text(it.next());
            findings.push((name.clone(), block, finding, detail));
        }
    }
    progress("", names.len(), names.len());
    Ok(out)
}

/// One saved digest checked: table, block id, whether the chain still holds it and verifies.
pub type DigestCheck = (String, u64, bool);

/// Checks every digest in `file` (a JSON array, as `vellum digest` writes it) against `db`
/// with `verify_blockchain(table, digest)`. A digest of a table that no longer exists fails.
pub fn check_digests(db: &Database, file: &std::path::Path) -> Result<Vec<DigestCheck>> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::Io(format!("cannot read digest file {}: {e}", file.display())))?;
    let digests: Vec<serde_json::Value> = serde_json::from_str(&text).map_err(|e| {
        Error::sql(
            crate::error::sqlstate::INVALID_PARAMETER_VALUE,
            format!("digest file {} is not a JSON array of digests: {e}", file.display()),
        )
    })?;
    let mut session = db.session();
    let mut out = Vec::with_capacity(digests.len());
    for digest in digests {
        let parsed = crate::ledger::digest::Digest::from_json(&digest.to_string())?;
        let exists = db.catalog().table(&parsed.table).is_some();
        let holds = exists
            && {
                let sql = format!(
                    "SELECT verify_blockchain('{}', '{}')",
                    parsed.table.replace('\'', "''"),
                    digest.to_string().replace('\'', "''")
                );
                matches!(
                    session.execute(&sql)?.pop(),
                    Some(StatementResult::Query { rows, .. }) if rows.first().and_then(|r| r.first()) == Some(&Value::Bool(true))
                )
            };
        out.push((parsed.table, parsed.block_id, holds));
    }
    Ok(out)
}
