//! `sign_blockchain_block(table, block_id, signer, signature)` and `blockchain_signers()`.
//!
//! `sign_blockchain_block` attaches an external signature to a block after checking it, and
//! returns whether the block is now confirmed (`ledger::signature`). It needs SELECT on the
//! table: the signature itself is the authorization. Its errors, each distinct:
//!
//! | condition | SQLSTATE | message |
//! |---|---|---|
//! | no such signer | 42704 undefined_object | `signer "x" does not exist` |
//! | signer's key not in the table's `authorized_signers` | 42501 insufficient_privilege | `signer "x" is not an authorized signer of blockchain table "t"` |
//! | the block already carries this signer's signature | 23505 unique_violation | `block N of blockchain table "t" is already signed by "x"` |
//! | signature text is not 128 hex digits | 22P02 invalid_text_representation | `invalid signature: expected 128 hexadecimal digits` |
//! | signature does not verify | 22023 invalid_parameter_value | `signature by "x" does not verify for block N of blockchain table "t"` |
//! | no such block | 22023 invalid_parameter_value | `block N of blockchain table "t" does not exist` |
//!
//! The signature is written when the statement ends, into the statement's transaction, as a
//! key that must still be absent at commit: two sessions attaching the same signer's
//! signature to the same block concurrently cannot both succeed.

use crate::catalog::Privileges;
use crate::error::{sqlstate, Error, Result};
use crate::ledger::chain::read_header;
use crate::ledger::hex::{from_hex, to_hex};
use crate::ledger::signature::{is_confirmed, read_block_signatures, valid_signers, SignatureRecord};
use crate::storage::keys::signature_key;
use crate::storage::{Conflict, Txn};
use crate::types::{Row, Value};

use super::Executor;

/// A signature to write when the statement ends.
pub(super) struct PendingSignature {
    table_id: u32,
    key: Vec<u8>,
    value: Vec<u8>,
    duplicate: String,
}

impl Executor<'_> {
    pub(super) fn sign_block(&mut self, txn: &Txn, args: &[Value]) -> Result<Value> {
        let [name, Value::Int8(block), Value::Text(signer_name), Value::Text(signature)] = args else {
            return Err(Error::bug("sign_blockchain_block called with other arguments"));
        };
        let (table, _) = self.blockchain_table(name, Privileges::SELECT)?;
        let signer = self.catalog.signer(signer_name).cloned().ok_or_else(|| {
            Error::sql(
                sqlstate::UNDEFINED_OBJECT,
                format!("signer \"{signer_name}\" does not exist"),
            )
        })?;
        let authorized = table
            .blockchain_options()
            .is_some_and(|o| o.authorized_signers.contains(&signer.public_key));
        if !authorized {
            return Err(Error::sql(
                sqlstate::INSUFFICIENT_PRIVILEGE,
                format!(
                    "signer \"{signer_name}\" is not an authorized signer of blockchain table \"{}\"",
                    table.name
                ),
            ));
        }
        let no_block = || {
            Error::sql(
                sqlstate::INVALID_PARAMETER_VALUE,
                format!("block {block} of blockchain table \"{}\" does not exist", table.name),
            )
        };
        let block_id = u64::try_from(*block).map_err(|_| no_block())?;
        let header = match read_header(txn, table.id, block_id)? {
            Some(decoded) => decoded?.0,
            None => return Err(no_block()),
        };
        let key = signature_key(table.id, block_id, &signer.name);
        let duplicate = format!(
            "block {block_id} of blockchain table \"{}\" is already signed by \"{signer_name}\"",
            table.name
        );
        if txn.get(&key)?.is_some() || self.signatures.iter().any(|p| p.key == key) {
            return Err(Error::sql(sqlstate::UNIQUE_VIOLATION, duplicate));
        }
        let signature: [u8; 64] = from_hex(signature.trim())
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                Error::sql(
                    sqlstate::INVALID_TEXT_REPRESENTATION,
                    "invalid signature: expected 128 hexadecimal digits",
                )
            })?;
        let record = SignatureRecord {
            public_key: signer.public_key,
            signature,
        };
        let hash = header.hash();
        if !record.verifies(table.id, block_id, &hash) {
            return Err(Error::sql(
                sqlstate::INVALID_PARAMETER_VALUE,
                format!(
                    "signature by \"{signer_name}\" does not verify for block {block_id} of blockchain table \"{}\"",
                    table.name
                ),
            )
            .with_detail(format!(
                "The signed message is \"vellum/block/v1\", table oid {} (u32 LE), block id (u64 LE) and block hash {}.",
                crate::ledger::signature::table_oid(table.id),
                to_hex(&hash)
            )));
        }
        let mut valid = valid_signers(
            &table,
            block_id,
            &hash,
            &read_block_signatures(txn, table.id, block_id)?,
        );
        valid.insert(signer.public_key);
        self.signatures.push(PendingSignature {
            table_id: table.id,
            key,
            value: record.encode(),
            duplicate,
        });
        Ok(Value::Bool(is_confirmed(&table, valid.len())))
    }

    /// Hands the signatures this statement attached to the transaction; returns the table of
    /// each.
    pub fn finish_signatures(&mut self, txn: &mut Txn) -> Result<Vec<u32>> {
        let mut tables = Vec::new();
        for p in self.signatures.drain(..) {
            tables.push(p.table_id);
            let conflict = Conflict::MustBeAbsent(Error::sql(sqlstate::UNIQUE_VIOLATION, p.duplicate));
            txn.put(p.key, p.value, conflict)?;
        }
        Ok(tables)
    }

    /// `blockchain_signers()`: name, public key, whether the server holds the key, created at.
    pub(super) fn signer_rows(&self) -> Vec<Row> {
        self.catalog
            .signers()
            .map(|s| {
                vec![
                    Value::Text(s.name.clone()),
                    Value::Text(to_hex(&s.public_key)),
                    Value::Bool(s.server_held),
                    super::ledger::micros_value(s.created_at),
                ]
            })
            .collect()
    }
}
