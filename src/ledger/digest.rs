//! External digests: a signed statement "table T's chain held block N with hash H at time S",
//! meant to be kept outside the database. Whoever can rewrite the whole store can recompute
//! every hash and even re-sign with a key kept beside it, but cannot change a digest already
//! saved elsewhere: `verify_blockchain(t, digest)` is true only while the chain still holds
//! that block with that hash (and verifies), so a consistent rewrite of anything up to that
//! block is caught. Signatures make a digest attributable: it was made by the server whose
//! identity key (`identity.rs`) signed it, not typed up by whoever wants a chain to pass.
//!
//! # Digest format (version 1)
//!
//! JSON text:
//!
//! ```text
//! {"version": 1, "table": "t", "table_oid": 16400, "block_id": 12,
//!  "block_hash": "<64 hex>", "timestamp": "2026-11-22T08:00:00.123456Z",
//!  "public_key": "<64 hex>", "signature": "<128 hex>"}
//! ```
//!
//! The Ed25519 signature is over the bytes
//! `"vellum/digest/v1" ‖ table_oid u32 LE ‖ block_id u64 LE ‖ block_hash[32] ‖
//! timestamp i64 LE (µs since the epoch) ‖ name_length u32 LE ‖ table name (UTF-8)`,
//! domain-separated from block signatures (`signature.rs`). Members not listed are ignored;
//! another `version` is refused.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value as Json};

use crate::crypto::ed25519::{self, KeyPair, PUBLIC_KEY_LEN, SIGNATURE_LEN};
use crate::error::{sqlstate, Error, Result};

use super::hex::{from_hex, hash_from_hex, to_hex};
use super::merkle::Hash;

/// Domain separation of digest signatures.
pub const DIGEST_DOMAIN: &[u8] = b"vellum/digest/v1";
/// The `version` member this module writes and reads.
pub const DIGEST_VERSION: u64 = 1;

/// A digest of one table's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub table: String,
    pub table_oid: u32,
    pub block_id: u64,
    pub block_hash: Hash,
    /// When the digest was taken, µs since the epoch.
    pub timestamp: i64,
    pub public_key: [u8; PUBLIC_KEY_LEN],
    pub signature: [u8; SIGNATURE_LEN],
}

/// The signed bytes of a digest (module docs).
pub fn digest_message(table: &str, table_oid: u32, block_id: u64, block_hash: &Hash, timestamp: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(DIGEST_DOMAIN.len() + 56 + table.len());
    out.extend_from_slice(DIGEST_DOMAIN);
    out.extend_from_slice(&table_oid.to_le_bytes());
    out.extend_from_slice(&block_id.to_le_bytes());
    out.extend_from_slice(block_hash);
    out.extend_from_slice(&timestamp.to_le_bytes());
    out.extend_from_slice(&u32::try_from(table.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(table.as_bytes());
    out
}

fn bad(reason: impl Into<String>) -> Error {
    Error::sql(
        sqlstate::INVALID_PARAMETER_VALUE,
        format!("invalid blockchain digest: {}", reason.into()),
    )
}

impl Digest {
    /// Signs a digest of `block_id` (hash `block_hash`) of `table` with `key`.
    pub fn sign(table: &str, table_oid: u32, block_id: u64, block_hash: Hash, timestamp: i64, key: &KeyPair) -> Digest {
        Digest {
            table: table.to_string(),
            table_oid,
            block_id,
            block_hash,
            timestamp,
            public_key: key.public_key(),
            signature: key.sign(&digest_message(table, table_oid, block_id, &block_hash, timestamp)),
        }
    }

    /// Whether the signature is the embedded public key's over this digest's fields.
    pub fn signature_holds(&self) -> bool {
        let message = digest_message(
            &self.table,
            self.table_oid,
            self.block_id,
            &self.block_hash,
            self.timestamp,
        );
        ed25519::verify(&self.public_key, &message, &self.signature)
    }

    pub fn to_json(&self) -> String {
        let timestamp = DateTime::<Utc>::from_timestamp_micros(self.timestamp)
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Micros, true))
            .unwrap_or_default();
        json!({
            "version": DIGEST_VERSION,
            "table": self.table,
            "table_oid": self.table_oid,
            "block_id": self.block_id,
            "block_hash": to_hex(&self.block_hash),
            "timestamp": timestamp,
            "public_key": to_hex(&self.public_key),
            "signature": to_hex(&self.signature),
        })
        .to_string()
    }

    /// Parses a digest; malformed text is 22023 naming what is wrong.
    pub fn from_json(text: &str) -> Result<Digest> {
        let v: Json = serde_json::from_str(text).map_err(|e| bad(format!("not JSON ({e})")))?;
        let member = |name: &str| v.get(name).ok_or_else(|| bad(format!("member \"{name}\" is missing")));
        let int = |name: &str| -> Result<u64> {
            member(name)?
                .as_u64()
                .ok_or_else(|| bad(format!("\"{name}\" is not a non-negative integer")))
        };
        let text_of = |name: &str| -> Result<&str> {
            member(name)?
                .as_str()
                .ok_or_else(|| bad(format!("\"{name}\" is not a string")))
        };
        let fixed = |name: &str, len: usize| -> Result<Vec<u8>> {
            from_hex(text_of(name)?)
                .filter(|b| b.len() == len)
                .ok_or_else(|| bad(format!("\"{name}\" is not {} hex digits", len * 2)))
        };
        if int("version")? != DIGEST_VERSION {
            return Err(bad(format!("version {} is not supported", int("version")?)));
        }
        let timestamp = DateTime::parse_from_rfc3339(text_of("timestamp")?)
            .map_err(|_| bad("\"timestamp\" is not an RFC 3339 time"))?
            .with_timezone(&Utc)
            .timestamp_micros();
        let mut public_key = [0u8; PUBLIC_KEY_LEN];
        public_key.copy_from_slice(&fixed("public_key", PUBLIC_KEY_LEN)?);
        let mut signature = [0u8; SIGNATURE_LEN];
        signature.copy_from_slice(&fixed("signature", SIGNATURE_LEN)?);
        Ok(Digest {
            table: text_of("table")?.to_string(),
            table_oid: u32::try_from(int("table_oid")?).map_err(|_| bad("\"table_oid\" is out of range"))?,
            block_id: int("block_id")?,
            block_hash: hash_from_hex(text_of("block_hash")?)
                .ok_or_else(|| bad("\"block_hash\" is not 64 hex digits"))?,
            timestamp,
            public_key,
            signature,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (KeyPair, Digest) {
        let key = KeyPair::from_seed(&[7; 32]);
        let digest = Digest::sign("t", 16400, 12, [0xAB; 32], 1_790_000_000_123_456, &key);
        (key, digest)
    }

    #[test]
    fn the_message_is_the_documented_layout() {
        let m = digest_message("ab", 0x0102_0304, 5, &[0xCC; 32], -2);
        let mut expected = b"vellum/digest/v1".to_vec();
        expected.extend_from_slice(&[4, 3, 2, 1]);
        expected.extend_from_slice(&[5, 0, 0, 0, 0, 0, 0, 0]);
        expected.extend_from_slice(&[0xCC; 32]);
        expected.extend_from_slice(&[0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        expected.extend_from_slice(&[2, 0, 0, 0]);
        expected.extend_from_slice(b"ab");
        assert_eq!(m, expected);
    }

    #[test]
    fn json_round_trips_and_the_signature_covers_every_field() {
        let (_, digest) = sample();
        let text = digest.to_json();
        assert!(text.contains("\"timestamp\":\"2026-09-21T"), "{text}");
        let back = Digest::from_json(&text).unwrap();
        assert_eq!(back, digest);
        assert!(back.signature_holds());
        let changed: [fn(&mut Digest); 5] = [
            |d| d.table.push('x'),
            |d| d.table_oid += 1,
            |d| d.block_id += 1,
            |d| d.block_hash[0] ^= 1,
            |d| d.timestamp += 1,
        ];
        for change in changed {
            let mut d = digest.clone();
            change(&mut d);
            assert!(!d.signature_holds(), "{d:?}");
        }
    }

    #[test]
    fn malformed_digests_are_22023() {
        let (_, digest) = sample();
        let good: Json = serde_json::from_str(&digest.to_json()).unwrap();
        let mut cases = vec!["not json".to_string(), "{}".to_string()];
        for (member, value) in [
            ("version", json!(2)),
            ("block_id", json!(-1)),
            ("block_hash", json!("abc")),
            ("signature", json!("00")),
            ("timestamp", json!("yesterday")),
            ("table_oid", json!(1u64 << 40)),
        ] {
            let mut v = good.clone();
            v[member] = value;
            cases.push(v.to_string());
        }
        for case in cases {
            let e = Digest::from_json(&case).unwrap_err();
            assert_eq!(e.sqlstate(), "22023", "{case}");
        }
    }
}
