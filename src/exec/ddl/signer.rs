//! CREATE SIGNER / DROP SIGNER, and the signer names of `authorized_signers`. Only superusers
//! manage signers (42501 otherwise): a signer's key decides which blocks count as confirmed.
//!
//! - `CREATE SIGNER name PUBLIC KEY 'hex'` registers an external signer: 64 hex digits, a
//!   valid Ed25519 point (22023 otherwise); the private key never reaches the server.
//! - `CREATE SIGNER name GENERATE KEY` makes a key the server holds (a 0600 key file in the
//!   data directory, `ledger::server_signers`) and signs with at seal time.
//! - A name or a public key used twice is 42710; `DROP SIGNER` of a signer some blockchain
//!   table authorizes is 2BP01 (its authorization is by key and cannot be altered); an
//!   unknown one is 42704 (a notice with IF EXISTS).
//! - `authorized_signers` in CREATE BLOCKCHAIN TABLE may name signers (`'alice, bob'` or
//!   `ARRAY['alice', 'bob']`); each name is resolved here to its public key, which is what
//!   the table keeps: renaming or re-creating a signer never changes who may confirm blocks.

use crate::catalog::{Catalog, CatalogRecord, SignerDef};
use crate::crypto::ed25519::is_valid_public_key;
use crate::error::{sqlstate, Error, Result};
use crate::ledger::hex::{hash_from_hex, to_hex};
use crate::sql::SignerStatement;
use crate::storage::keys;

use super::DdlContext;

pub(super) fn execute(statement: SignerStatement, ctx: &mut DdlContext<'_>) -> Result<String> {
    let (verb, name) = match &statement {
        SignerStatement::Create { name, .. } => ("create", name),
        SignerStatement::Drop { name, .. } => ("drop", name),
    };
    if !ctx.catalog.role_by_id(ctx.user).is_some_and(|r| r.superuser) {
        return Err(Error::sql(
            sqlstate::INSUFFICIENT_PRIVILEGE,
            format!("must be superuser to {verb} signer \"{name}\""),
        ));
    }
    match statement {
        SignerStatement::Create { name, public_key } => create(name, public_key, ctx),
        SignerStatement::Drop { name, if_exists } => drop(&name, if_exists, ctx),
    }
}

fn create(name: String, public_key: Option<String>, ctx: &mut DdlContext<'_>) -> Result<String> {
    if ctx.catalog.signer(&name).is_some() {
        return Err(Error::sql(
            sqlstate::DUPLICATE_OBJECT,
            format!("signer \"{name}\" already exists"),
        ));
    }
    let server_held = public_key.is_none();
    let public_key = match public_key {
        Some(text) => {
            let key = hash_from_hex(text.trim()).ok_or_else(|| {
                Error::sql(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    format!("invalid public key for signer \"{name}\": expected 64 hexadecimal digits"),
                )
            })?;
            if !is_valid_public_key(&key) {
                return Err(Error::sql(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    format!("invalid public key for signer \"{name}\": not a usable Ed25519 public key"),
                ));
            }
            if let Some(other) = ctx.catalog.signer_by_key(&key) {
                return Err(Error::sql(
                    sqlstate::DUPLICATE_OBJECT,
                    format!("public key is already registered as signer \"{}\"", other.name),
                ));
            }
            key
        }
        None => ctx.signers.generate()?,
    };
    let signer = SignerDef {
        name,
        public_key,
        server_held,
        created_by: ctx.user,
        created_at: crate::ledger::chain::now_micros(),
    };
    ctx.persist(CatalogRecord::Signer(signer), false)?;
    Ok("CREATE SIGNER".into())
}

fn drop(name: &str, if_exists: bool, ctx: &mut DdlContext<'_>) -> Result<String> {
    let Some(signer) = ctx.catalog.signer(name).cloned() else {
        if if_exists {
            ctx.notices.push(format!("signer \"{name}\" does not exist, skipping"));
            return Ok("DROP SIGNER".into());
        }
        return Err(Error::sql(
            sqlstate::UNDEFINED_OBJECT,
            format!("signer \"{name}\" does not exist"),
        ));
    };
    let mut users: Vec<&str> = ctx
        .catalog
        .tables()
        .filter(|t| {
            t.blockchain_options()
                .is_some_and(|o| o.authorized_signers.contains(&signer.public_key))
        })
        .map(|t| t.name.as_str())
        .collect();
    users.sort_unstable();
    if let Some(first) = users.first() {
        return Err(Error::sql(
            sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
            format!("cannot drop signer \"{name}\" because blockchain table \"{first}\" authorizes it"),
        )
        .with_detail(format!("authorized by: {}", users.join(", "))));
    }
    ctx.txn.delete(keys::signer_key(name))?;
    ctx.catalog.remove_signer(name);
    Ok("DROP SIGNER".into())
}

/// The `authorized_signers` option text with each signer name replaced by its public key in
/// hex (names as registered, or folded to lower case; 64-hex-digit keys are kept as given).
/// 42704 for a word that is neither.
pub(super) fn resolve_authorized(text: &str, catalog: &Catalog) -> Result<String> {
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let signer = catalog.signer(item).or_else(|| catalog.signer(&item.to_lowercase()));
        match signer {
            Some(s) => out.push(to_hex(&s.public_key)),
            None if hash_from_hex(item).is_some() => out.push(item.to_string()),
            None => {
                return Err(Error::sql(
                    sqlstate::UNDEFINED_OBJECT,
                    format!("authorized_signers: signer \"{item}\" does not exist"),
                ))
            }
        }
    }
    Ok(out.join(","))
}
