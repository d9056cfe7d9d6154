//! `vellum keygen` and `vellum sign`: an external block signer, run where its private key
//! lives, never on the server.
//!
//! `keygen` writes a key file (`crypto::ed25519`'s format, mode 0600) and returns the public
//! key to register with `CREATE SIGNER name PUBLIC KEY 'hex'`. `sign` connects to a running
//! server over the PostgreSQL protocol (`Remote`), finds the signer registered with its key
//! (`blockchain_signers()`), the table's oid (`'t'::regclass::oid`) and the block hashes
//! (`blockchain_metadata`), signs each block's message (`ledger::signature`) locally and
//! attaches the signature with `sign_blockchain_block`. Before signing it checks that each
//! block links to the hash of the block before it as the server reports them, so a signer
//! never attests a chain that is visibly broken.
//!
//! `--all-unsigned` signs every block this signer has not signed yet: blocks whose signature
//! is already attached answer 23505 and are skipped.

use std::path::Path;

use crate::crypto::ed25519::KeyPair;
use crate::ledger::hex::{hash_from_hex, to_hex};
use crate::ledger::signature::signing_message;

use super::Remote;
use crate::types::quote::quote_literal;

/// Which blocks `vellum sign` signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockChoice {
    One(u64),
    AllUnsigned,
}

/// What `vellum sign` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SignOutcome {
    /// Blocks signed now, with whether each is now confirmed.
    pub signed: Vec<(u64, bool)>,
    /// Blocks this signer had already signed.
    pub already: Vec<u64>,
}

/// Makes a new key pair, writes it to `out` (never overwriting) and returns its public key
/// in hex.
pub fn keygen(out: &Path) -> Result<String, String> {
    let pair = KeyPair::generate().map_err(|e| e.to_string())?;
    pair.write_key_file(out).map_err(|e| e.to_string())?;
    Ok(to_hex(&pair.public_key()))
}

/// Signs blocks of `table` on the server at `url` with the key in `key_file`.
pub fn sign(key_file: &Path, url: &str, table: &str, blocks: BlockChoice) -> Result<SignOutcome, String> {
    let pair = KeyPair::read_key_file(key_file).map_err(|e| e.to_string())?;
    let public = to_hex(&pair.public_key());
    let mut remote = Remote::connect(url).map_err(|r| r.brief())?;
    let signer = match remote
        .rows(&format!(
            "SELECT signer_name FROM blockchain_signers() WHERE public_key = '{public}'"
        ))
        .map_err(|r| r.brief())?
        .as_slice()
    {
        [row] => row.first().cloned().flatten().unwrap_or_default(),
        _ => {
            return Err(format!(
                "no signer is registered with public key {public}; register it with \
                 CREATE SIGNER name PUBLIC KEY '{public}'"
            ))
        }
    };
    let table_literal = quote_literal(table);
    let oid: u32 = first_value(&mut remote, &format!("SELECT {table_literal}::regclass::oid"))?
        .parse()
        .map_err(|_| format!("table {table} has no usable oid"))?;
    let rows = remote
        .rows(&format!(
            "SELECT block_id, block_hash, prev_hash FROM blockchain_metadata({table_literal}) ORDER BY block_id"
        ))
        .map_err(|r| r.brief())?;
    let mut chain = Vec::with_capacity(rows.len());
    for row in &rows {
        let field = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        let id: u64 = field(0)
            .parse()
            .map_err(|_| "blockchain_metadata returned a bad block id".to_string())?;
        let hash = hash_from_hex(&field(1)).ok_or("blockchain_metadata returned a bad block hash")?;
        let prev = hash_from_hex(&field(2)).ok_or("blockchain_metadata returned a bad previous hash")?;
        chain.push((id, hash, prev));
    }
    let wanted: Vec<usize> = match blocks {
        BlockChoice::One(id) => match chain.iter().position(|(b, _, _)| *b == id) {
            Some(i) => vec![i],
            None => return Err(format!("block {id} of blockchain table {table} does not exist")),
        },
        BlockChoice::AllUnsigned => (0..chain.len()).collect(),
    };
    let mut outcome = SignOutcome::default();
    for i in wanted {
        let (id, hash, prev) = chain[i];
        let expected_prev = match i.checked_sub(1) {
            Some(p) => chain[p].1,
            None => [0; 32],
        };
        if (i == 0 && id != 0) || prev != expected_prev {
            return Err(format!(
                "refusing to sign block {id}: its previous hash {} does not link to the block before it",
                to_hex(&prev)
            ));
        }
        let signature = to_hex(&pair.sign(&signing_message(oid, id, &hash)));
        let sql = format!(
            "SELECT sign_blockchain_block({table_literal}, {id}, {}, '{signature}')",
            quote_literal(&signer)
        );
        match remote.rows(&sql) {
            Ok(rows) => {
                let confirmed = rows.first().and_then(|r| r.first().cloned().flatten()).as_deref() == Some("t");
                outcome.signed.push((id, confirmed));
            }
            Err(e) if e.sqlstate == "23505" && blocks == BlockChoice::AllUnsigned => outcome.already.push(id),
            Err(e) => return Err(e.brief()),
        }
    }
    Ok(outcome)
}

fn first_value(remote: &mut Remote, sql: &str) -> Result<String, String> {
    remote
        .rows(sql)
        .map_err(|r| r.brief())?
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .ok_or_else(|| format!("no result for {sql}"))
}
