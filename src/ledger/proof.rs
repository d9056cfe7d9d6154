//! Inclusion proofs of one row in one sealed block, as JSON text that anyone can check
//! without Vellum: the leaf is in the block's Merkle tree (RFC 6962 audit path) and the header
//! fields hash to the block hash. This backs `blockchain_proof(...)` and
//! `verify_blockchain_proof(proof)`.
//!
//! # JSON (proof format version 1)
//!
//! ```json
//! {
//!   "version": 1,
//!   "block_id": 1, "row_index": 2, "tree_size": 3,
//!   "leaf_hash": "<64 hex>", "path": ["<64 hex>", ...],
//!   "merkle_root": "<64 hex>", "prev_block_hash": "<64 hex>",
//!   "timestamp": 1700000000000000, "row_count": 3, "nonce": 12345,
//!   "block_hash": "<64 hex>",
//!   "row": "<hex of canonical row bytes>"            (optional)
//! }
//! ```
//!
//! Hashes are lowercase hex (upper case is accepted on input). Integers are JSON numbers and
//! may exceed 2^53: a verifier in a language whose numbers are doubles must read them as
//! 64-bit integers. `row_index` is 0-based within the block. Unknown members are ignored so
//! later versions can add fields; a higher `version` is refused.

use serde_json::{json, Map, Value as Json};

use crate::error::{sqlstate, Error, Result};

use super::block::{block_hash, BlockHeader};
use super::body::body_rows;
use super::hex::{from_hex, hash_from_hex, to_hex};
use super::merkle::{audit_path, leaf_hash, root_from_path, Hash};

/// Highest proof format this code reads and the one it writes.
pub const PROOF_FORMAT_VERSION: u64 = 1;

/// Everything needed to check one row's membership in one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    pub block_id: u64,
    pub row_index: u64,
    pub tree_size: u64,
    pub leaf_hash: Hash,
    pub path: Vec<Hash>,
    pub merkle_root: Hash,
    pub prev_block_hash: Hash,
    pub timestamp: i64,
    pub row_count: u64,
    pub nonce: u64,
    pub block_hash: Hash,
    /// The canonical row bytes, when the proof carries the row itself.
    pub row: Option<Vec<u8>>,
}

/// Why a proof does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofFailure {
    /// `row` is present and does not hash to `leaf_hash`.
    RowMismatch,
    /// The tree size is not the block's row count.
    SizeMismatch,
    /// The path does not lead from the leaf to `merkle_root` (or has the wrong length).
    PathMismatch,
    /// The header fields do not hash to `block_hash`.
    HeaderMismatch,
}

impl InclusionProof {
    /// The proof of row `row_index` (0-based) of a sealed data block, from its header and stored
    /// body; `None` when the block has no such row. The proof carries the row's bytes.
    pub fn for_row(header: &BlockHeader, body: &[u8], row_index: u64) -> Result<Option<InclusionProof>> {
        let rows = body_rows(body)?;
        let Some(row) = usize::try_from(row_index).ok().and_then(|i| rows.get(i)) else {
            return Ok(None);
        };
        let leaves: Vec<Hash> = rows.iter().map(|r| leaf_hash(r)).collect();
        let index = row_index as usize;
        let path = audit_path(&leaves, index).ok_or_else(|| Error::bug("row index checked above"))?;
        Ok(Some(InclusionProof {
            block_id: header.block_id,
            row_index,
            tree_size: leaves.len() as u64,
            leaf_hash: leaves[index],
            path,
            merkle_root: header.merkle_root,
            prev_block_hash: header.prev_block_hash,
            timestamp: header.timestamp,
            row_count: header.row_count,
            nonce: header.nonce,
            block_hash: header.hash(),
            row: Some(row.to_vec()),
        }))
    }

    /// Checks the proof from its own contents alone.
    pub fn verify(&self) -> std::result::Result<(), ProofFailure> {
        if let Some(row) = &self.row {
            if leaf_hash(row) != self.leaf_hash {
                return Err(ProofFailure::RowMismatch);
            }
        }
        if self.tree_size != self.row_count {
            return Err(ProofFailure::SizeMismatch);
        }
        match root_from_path(self.row_index, self.tree_size, &self.leaf_hash, &self.path) {
            Some(root) if root == self.merkle_root => {}
            _ => return Err(ProofFailure::PathMismatch),
        }
        let computed = block_hash(
            self.block_id,
            &self.prev_block_hash,
            &self.merkle_root,
            self.timestamp,
            self.row_count,
            self.nonce,
        );
        if computed != self.block_hash {
            return Err(ProofFailure::HeaderMismatch);
        }
        Ok(())
    }

    pub fn to_json(&self) -> String {
        let mut obj = Map::new();
        obj.insert("version".into(), json!(PROOF_FORMAT_VERSION));
        obj.insert("block_id".into(), json!(self.block_id));
        obj.insert("row_index".into(), json!(self.row_index));
        obj.insert("tree_size".into(), json!(self.tree_size));
        obj.insert("leaf_hash".into(), json!(to_hex(&self.leaf_hash)));
        let path: Vec<Json> = self.path.iter().map(|p| Json::String(to_hex(p))).collect();
        obj.insert("path".into(), Json::Array(path));
        obj.insert("merkle_root".into(), json!(to_hex(&self.merkle_root)));
        obj.insert("prev_block_hash".into(), json!(to_hex(&self.prev_block_hash)));
        obj.insert("timestamp".into(), json!(self.timestamp));
        obj.insert("row_count".into(), json!(self.row_count));
        obj.insert("nonce".into(), json!(self.nonce));
        obj.insert("block_hash".into(), json!(to_hex(&self.block_hash)));
        if let Some(row) = &self.row {
            obj.insert("row".into(), json!(to_hex(row)));
        }
        Json::Object(obj).to_string()
    }

    /// Parses proof JSON; malformed text or members are 22P02 naming what is wrong.
    pub fn from_json(text: &str) -> Result<InclusionProof> {
        let value: Json = serde_json::from_str(text).map_err(|e| invalid(format!("not JSON: {e}")))?;
        let obj = value.as_object().ok_or_else(|| invalid("not a JSON object".into()))?;
        let version = u64_member(obj, "version")?;
        if version == 0 || version > PROOF_FORMAT_VERSION {
            return Err(invalid(format!("unsupported proof version {version}")));
        }
        let path = match obj.get("path") {
            Some(Json::Array(items)) => items
                .iter()
                .map(|item| item.as_str().and_then(hash_from_hex))
                .collect::<Option<Vec<Hash>>>()
                .ok_or_else(|| invalid("\"path\" must be an array of 64-digit hex hashes".into()))?,
            _ => return Err(invalid("missing array member \"path\"".into())),
        };
        let row = match obj.get("row") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) => Some(from_hex(s).ok_or_else(|| invalid("\"row\" is not hex".into()))?),
            Some(_) => return Err(invalid("\"row\" must be a hex string".into())),
        };
        Ok(InclusionProof {
            block_id: u64_member(obj, "block_id")?,
            row_index: u64_member(obj, "row_index")?,
            tree_size: u64_member(obj, "tree_size")?,
            leaf_hash: hash_member(obj, "leaf_hash")?,
            path,
            merkle_root: hash_member(obj, "merkle_root")?,
            prev_block_hash: hash_member(obj, "prev_block_hash")?,
            timestamp: obj
                .get("timestamp")
                .and_then(Json::as_i64)
                .ok_or_else(|| invalid("missing integer member \"timestamp\"".into()))?,
            row_count: u64_member(obj, "row_count")?,
            nonce: u64_member(obj, "nonce")?,
            block_hash: hash_member(obj, "block_hash")?,
            row,
        })
    }
}

fn invalid(reason: String) -> Error {
    Error::sql(
        sqlstate::INVALID_TEXT_REPRESENTATION,
        format!("invalid blockchain proof: {reason}"),
    )
}

fn u64_member(obj: &Map<String, Json>, name: &str) -> Result<u64> {
    obj.get(name)
        .and_then(Json::as_u64)
        .ok_or_else(|| invalid(format!("missing non-negative integer member \"{name}\"")))
}

fn hash_member(obj: &Map<String, Json>, name: &str) -> Result<Hash> {
    obj.get(name)
        .and_then(Json::as_str)
        .and_then(hash_from_hex)
        .ok_or_else(|| invalid(format!("member \"{name}\" must be a 64-digit hex hash")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::block::BlockHeader;
    use crate::ledger::merkle::{audit_path, root};

    fn proof_of(rows: &[&[u8]], index: usize) -> InclusionProof {
        let leaves: Vec<Hash> = rows.iter().map(|r| leaf_hash(r)).collect();
        let header = BlockHeader::data(
            3,
            [5; 32],
            root(&leaves),
            1_700_000_000_000_000,
            leaves.len() as u64,
            77,
        );
        InclusionProof {
            block_id: 3,
            row_index: index as u64,
            tree_size: leaves.len() as u64,
            leaf_hash: leaves[index],
            path: audit_path(&leaves, index).unwrap(),
            merkle_root: header.merkle_root,
            prev_block_hash: header.prev_block_hash,
            timestamp: header.timestamp,
            row_count: header.row_count,
            nonce: header.nonce,
            block_hash: header.hash(),
            row: Some(rows[index].to_vec()),
        }
    }

    #[test]
    fn round_trip_and_verify() {
        let rows: [&[u8]; 5] = [b"a", b"b", b"c", b"d", b"e"];
        for i in 0..rows.len() {
            let proof = proof_of(&rows, i);
            assert_eq!(proof.verify(), Ok(()));
            let parsed = InclusionProof::from_json(&proof.to_json()).unwrap();
            assert_eq!(parsed, proof);
        }
    }

    #[test]
    fn proof_of_a_sealed_row() {
        use crate::ledger::body::BlockBuilder;
        use crate::types::Value;
        let mut block = BlockBuilder::new();
        for i in 0..6 {
            block.push(&[Value::Int4(i)]);
        }
        let (header, body) = block.seal(2, [3; 32], 1_700_000_000_000_000, 9);
        for i in 0..6 {
            let proof = InclusionProof::for_row(&header, &body, i).unwrap().unwrap();
            assert_eq!(proof.verify(), Ok(()));
            assert_eq!(proof.block_hash, header.hash());
            assert_eq!(InclusionProof::from_json(&proof.to_json()).unwrap(), proof);
        }
        assert!(InclusionProof::for_row(&header, &body, 6).unwrap().is_none());
    }

    #[test]
    fn forgeries_fail() {
        let rows: [&[u8]; 5] = [b"a", b"b", b"c", b"d", b"e"];
        let good = proof_of(&rows, 2);
        let mut p = good.clone();
        p.row = Some(b"x".to_vec());
        assert_eq!(p.verify(), Err(ProofFailure::RowMismatch));
        let mut p = good.clone();
        p.row = None;
        p.leaf_hash = leaf_hash(b"x");
        assert_eq!(p.verify(), Err(ProofFailure::PathMismatch));
        let mut p = good.clone();
        p.path[0][3] ^= 1;
        assert_eq!(p.verify(), Err(ProofFailure::PathMismatch));
        let mut p = good.clone();
        p.row_index = 3;
        assert_eq!(p.verify(), Err(ProofFailure::PathMismatch));
        let mut p = good.clone();
        p.nonce += 1;
        assert_eq!(p.verify(), Err(ProofFailure::HeaderMismatch));
        let mut p = good.clone();
        p.tree_size = 4;
        assert_eq!(p.verify(), Err(ProofFailure::SizeMismatch));
    }

    #[test]
    fn malformed_json_is_22p02() {
        let good = proof_of(&[b"a", b"b"], 1).to_json();
        for bad in [
            "nope".to_string(),
            "[]".to_string(),
            good.replace("\"version\":1", "\"version\":2"),
            good.replace("\"block_id\":3", "\"block_id\":-3"),
            good.replace("\"path\":[", "\"path\":[\"zz\","),
        ] {
            let err = InclusionProof::from_json(&bad).unwrap_err();
            assert_eq!(err.sqlstate(), "22P02", "{bad}");
        }
    }
}
