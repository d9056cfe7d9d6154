//! Block signatures: what the server cannot forge. A signer (`catalog::SignerDef`) signs a
//! block's hash with an Ed25519 key; signatures are stored apart from the block headers, so
//! attaching one never changes a block hash, and verification checks each of them.
//!
//! # Signed message (signature format version 1)
//!
//! ```text
//! offset size field
//!      0   15 "vellum/block/v1" (ASCII, domain separation: no other Vellum message starts so)
//!     15    4 table oid u32 LE (pg_class.oid, `'t'::regclass::oid`: 16384 + catalog id)
//!     19    8 block_id u64 LE
//!     27   32 block hash (the hashing contract's, recomputed from the header)
//!     59      end
//! ```
//!
//! The table and block are inside the message, so a signature cannot be replayed onto another
//! block or another table, even one whose block happens to share the hash. The table is named
//! by its oid so that an external signer can learn it with plain SQL.
//!
//! # Stored form
//!
//! Key `0x24 table_id:u32 block_id:u64 signer_name` (`storage::keys::signature_key`), value:
//!
//! ```text
//!      0    1 SIGNATURE_FORMAT_VERSION (= 1)
//!      1   32 the signer's public key when it signed
//!     33   64 Ed25519 signature (RFC 8032) of the message above
//!     97      end
//! ```
//!
//! The public key travels with the signature, so a signature stays checkable after its
//! signer is dropped; whether it counts is decided by the table's `authorized_signers`.
//!
//! # Confirmation
//!
//! A block is confirmed when signatures by at least `required_signatures` distinct keys of
//! `authorized_signers` verify (always, when `required_signatures` is 0). Verification
//! reports `signature_invalid` for a stored signature that does not verify, whose key is not
//! authorized, or whose block does not exist, and `unconfirmed` for a block older than the
//! table's seal interval that is not confirmed (not tampering: a signer may simply be late).

use std::collections::{BTreeSet, HashMap};

use crate::catalog::TableDef;
use crate::crypto::ed25519;
use crate::error::{Error, Result};
use crate::storage::keys::{chain_key, chain_prefix, signature_key_parts, SIGNATURE_TAG};
use crate::storage::Txn;

use super::chain::read_headers;
use super::hex::to_hex;
use super::merkle::Hash;
use super::verify::{Finding, FindingKind};

/// Domain separation prefix of every signed block message.
pub const DOMAIN: &[u8] = b"vellum/block/v1";
/// First byte of a stored signature.
pub const SIGNATURE_FORMAT_VERSION: u8 = 1;
/// Length of a stored signature value.
pub const STORED_LEN: usize = 1 + ed25519::PUBLIC_KEY_LEN + ed25519::SIGNATURE_LEN;

/// The oid `pg_class` shows for table `table_id` (catalog ids stay far below the wrap).
pub fn table_oid(table_id: u32) -> u32 {
    crate::catalog::system::FIRST_USER_OID.wrapping_add(table_id)
}

/// The message a signer signs for block `block_id` (hash `block_hash`) of the table whose
/// oid is `table_oid`.
pub fn signing_message(table_oid: u32, block_id: u64, block_hash: &Hash) -> Vec<u8> {
    let mut out = Vec::with_capacity(DOMAIN.len() + 4 + 8 + 32);
    out.extend_from_slice(DOMAIN);
    out.extend_from_slice(&table_oid.to_le_bytes());
    out.extend_from_slice(&block_id.to_le_bytes());
    out.extend_from_slice(block_hash);
    out
}

/// One stored signature's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureRecord {
    pub public_key: [u8; 32],
    pub signature: [u8; 64],
}

impl SignatureRecord {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(STORED_LEN);
        out.push(SIGNATURE_FORMAT_VERSION);
        out.extend_from_slice(&self.public_key);
        out.extend_from_slice(&self.signature);
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<SignatureRecord> {
        if bytes.len() != STORED_LEN || bytes.first() != Some(&SIGNATURE_FORMAT_VERSION) {
            return Err(Error::corrupted("block signature", "bad length or format version"));
        }
        let mut public_key = [0u8; 32];
        public_key.copy_from_slice(&bytes[1..33]);
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&bytes[33..]);
        Ok(SignatureRecord { public_key, signature })
    }

    /// Whether this signature verifies for the given block.
    pub fn verifies(&self, table_id: u32, block_id: u64, block_hash: &Hash) -> bool {
        ed25519::verify(
            &self.public_key,
            &signing_message(table_oid(table_id), block_id, block_hash),
            &self.signature,
        )
    }
}

/// One stored signature as read: block id and signer name from its key (`None` when the key
/// does not parse), and its decoded value.
pub struct StoredSignature {
    pub key: Option<(u64, String)>,
    pub record: Result<SignatureRecord>,
}

/// Every stored signature of a table, in (block id, signer name) order.
pub fn read_signatures(txn: &Txn, table_id: u32) -> Result<Vec<StoredSignature>> {
    scan(txn, &chain_prefix(SIGNATURE_TAG, table_id))
}

/// The stored signatures of one block.
pub fn read_block_signatures(txn: &Txn, table_id: u32, block_id: u64) -> Result<Vec<StoredSignature>> {
    scan(txn, &chain_key(SIGNATURE_TAG, table_id, block_id))
}

fn scan(txn: &Txn, prefix: &[u8]) -> Result<Vec<StoredSignature>> {
    let mut out = Vec::new();
    for item in txn.scan_prefix(prefix)? {
        let (key, value) = item?;
        out.push(StoredSignature {
            key: signature_key_parts(&key).map(|(b, n)| (b, n.to_string())),
            record: SignatureRecord::decode(&value),
        });
    }
    Ok(out)
}

/// The authorized keys whose signatures of block `block_id` (hash `hash`) verify, among
/// `signatures`.
pub fn valid_signers(
    table: &TableDef,
    block_id: u64,
    hash: &Hash,
    signatures: &[StoredSignature],
) -> BTreeSet<[u8; 32]> {
    let authorized = authorized(table);
    signatures
        .iter()
        .filter_map(|s| s.record.as_ref().ok())
        .filter(|r| authorized.contains(&r.public_key) && r.verifies(table.id, block_id, hash))
        .map(|r| r.public_key)
        .collect()
}

/// Whether `valid` distinct authorized signatures confirm a block of `table`.
pub fn is_confirmed(table: &TableDef, valid: usize) -> bool {
    valid >= required(table)
}

fn required(table: &TableDef) -> usize {
    table.blockchain_options().map_or(0, |o| o.required_signatures as usize)
}

fn authorized(table: &TableDef) -> &[[u8; 32]] {
    table.blockchain_options().map_or(&[], |o| &o.authorized_signers)
}

/// Per block id, the number of distinct authorized keys whose signatures verify against the
/// block's recomputed hash (blocks without any are absent).
pub fn tally(txn: &Txn, table: &TableDef) -> Result<HashMap<u64, usize>> {
    let hashes = block_hashes(txn, table.id)?;
    let mut by_block: HashMap<u64, Vec<StoredSignature>> = HashMap::new();
    for s in read_signatures(txn, table.id)? {
        if let Some((block, _)) = &s.key {
            by_block.entry(*block).or_default().push(s);
        }
    }
    Ok(by_block
        .into_iter()
        .filter_map(|(block, sigs)| {
            let hash = hashes.get(&block)?;
            Some((block, valid_signers(table, block, &hash.0, &sigs).len()))
        })
        .collect())
}

/// Recomputed hash and timestamp of each block whose header decodes.
fn block_hashes(txn: &Txn, table_id: u32) -> Result<HashMap<u64, (Hash, i64)>> {
    Ok(read_headers(txn, table_id)?
        .into_iter()
        .filter_map(|(id, decoded)| decoded.ok().map(|(h, _)| (id, (h.hash(), h.timestamp))))
        .collect())
}

/// `signature_invalid` and `unconfirmed` findings about `table`'s chain (`now`: µs since
/// the epoch; `seal_interval`: µs, from the tip).
pub fn check_signatures(txn: &Txn, table: &TableDef, now: i64, seal_interval: i64) -> Result<Vec<Finding>> {
    let hashes = block_hashes(txn, table.id)?;
    let authorized = authorized(table);
    let mut findings = Vec::new();
    let mut valid: HashMap<u64, BTreeSet<[u8; 32]>> = HashMap::new();
    let invalid = |block: Option<u64>, detail: String| Finding {
        kind: FindingKind::SignatureInvalid,
        block_id: block,
        detail,
    };
    for s in read_signatures(txn, table.id)? {
        let Some((block, signer)) = s.key else {
            findings.push(invalid(None, "a signature key does not parse".into()));
            continue;
        };
        let record = match s.record {
            Ok(r) => r,
            Err(e) => {
                findings.push(invalid(
                    Some(block),
                    format!("signature by \"{signer}\" is unreadable: {e}"),
                ));
                continue;
            }
        };
        let Some((hash, _)) = hashes.get(&block) else {
            findings.push(invalid(
                Some(block),
                format!("signature by \"{signer}\" of a block that does not exist or does not decode"),
            ));
            continue;
        };
        if !record.verifies(table.id, block, hash) {
            findings.push(invalid(
                Some(block),
                format!(
                    "signature by \"{signer}\" (key {}) does not verify against block hash {}",
                    to_hex(&record.public_key),
                    to_hex(hash)
                ),
            ));
        } else if !authorized.contains(&record.public_key) {
            findings.push(invalid(
                Some(block),
                format!(
                    "signature by \"{signer}\" uses key {}, which is not in authorized_signers",
                    to_hex(&record.public_key)
                ),
            ));
        } else {
            valid.entry(block).or_default().insert(record.public_key);
        }
    }
    let required = required(table);
    if required > 0 {
        let mut blocks: Vec<(&u64, &(Hash, i64))> = hashes.iter().collect();
        blocks.sort_by_key(|(id, _)| **id);
        for (id, (_, timestamp)) in blocks {
            let have = valid.get(id).map_or(0, BTreeSet::len);
            if have < required && now.saturating_sub(*timestamp) > seal_interval {
                findings.push(Finding {
                    kind: FindingKind::Unconfirmed,
                    block_id: Some(*id),
                    detail: format!("{have} of {required} required signatures"),
                });
            }
        }
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_layout_is_the_documented_one() {
        let message = signing_message(0x0102_0304, 7, &[0xCC; 32]);
        let mut expected = b"vellum/block/v1".to_vec();
        expected.extend_from_slice(&[0x04, 0x03, 0x02, 0x01]);
        expected.extend_from_slice(&[7, 0, 0, 0, 0, 0, 0, 0]);
        expected.extend_from_slice(&[0xCC; 32]);
        assert_eq!(message, expected);
        assert_eq!(message.len(), 59);
    }

    #[test]
    fn stored_form_round_trips_and_refuses_damage() {
        let record = SignatureRecord {
            public_key: [1; 32],
            signature: [2; 64],
        };
        let bytes = record.encode();
        assert_eq!(bytes.len(), 97);
        assert_eq!(bytes[0], 1);
        assert_eq!(&bytes[1..33], &[1; 32]);
        assert_eq!(&bytes[33..], &[2; 64]);
        assert_eq!(SignatureRecord::decode(&bytes).unwrap(), record);
        assert!(SignatureRecord::decode(&bytes[..96]).is_err());
        let mut bad = bytes.clone();
        bad[0] = 2;
        assert_eq!(SignatureRecord::decode(&bad).unwrap_err().sqlstate(), "XX001");
    }

    #[test]
    fn a_signature_binds_table_block_and_hash() {
        let pair = ed25519::KeyPair::from_seed(&[9; 32]);
        let hash = [0x5A; 32];
        let record = SignatureRecord {
            public_key: pair.public_key(),
            signature: pair.sign(&signing_message(table_oid(16), 3, &hash)),
        };
        assert!(record.verifies(16, 3, &hash));
        assert!(!record.verifies(17, 3, &hash), "replayed onto another table");
        assert!(!record.verifies(16, 4, &hash), "replayed onto another block");
        assert!(!record.verifies(16, 3, &[0x5B; 32]), "another hash");
        // Without the domain prefix the same key's signature is not accepted.
        assert_eq!(table_oid(16), 16400);
        let mut bare = 16400u32.to_le_bytes().to_vec();
        bare.extend_from_slice(&3u64.to_le_bytes());
        bare.extend_from_slice(&hash);
        let undomained = SignatureRecord {
            public_key: pair.public_key(),
            signature: pair.sign(&bare),
        };
        assert!(!undomained.verifies(16, 3, &hash));
    }
}
