//! The options of a blockchain table as the catalog keeps them (already validated: see
//! `ledger::options` for the value domains), and the rule that its stored rows never change.

use serde::{Deserialize, Serialize};

use crate::error::{sqlstate, Error, Result};
use crate::types::Interval;

use super::{TableDef, TableKind};

/// `CREATE BLOCKCHAIN TABLE ... WITH (...)`, every option resolved to its value or default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockchainOptions {
    /// Rows per sealed block, 1..=100000.
    pub block_size: u32,
    /// Pending rows older than this are sealed; zero: only by size or on request.
    pub block_seal_interval: Interval,
    /// Upper-case name; only `SHA256` exists.
    pub hash_algorithm: String,
    pub enable_merkle_tree: bool,
    /// `none`, `time`, `blocks`, `size` or `manual`.
    pub purge_policy: String,
    pub retention_period: Option<Interval>,
    pub retention_blocks: Option<u64>,
    /// Bytes.
    pub max_total_size: Option<u64>,
    /// Lower-case rule names, sorted, without duplicates.
    pub compliance_rules: Vec<String>,
    pub purge_function: Option<String>,
    pub required_signatures: u32,
    /// Ed25519 public keys, in the order given.
    pub authorized_signers: Vec<[u8; 32]>,
    /// `none` or `zstd`.
    pub compression: String,
    pub encryption: bool,
    /// Upper-case name (`AES256GCM`) when encryption is on.
    pub tde_algorithm: Option<String>,
}

impl Default for BlockchainOptions {
    fn default() -> Self {
        BlockchainOptions {
            block_size: 1000,
            block_seal_interval: Interval::new(0, 0, 5 * 60 * 1_000_000),
            hash_algorithm: "SHA256".into(),
            enable_merkle_tree: true,
            purge_policy: "none".into(),
            retention_period: None,
            retention_blocks: None,
            max_total_size: None,
            compliance_rules: Vec::new(),
            purge_function: None,
            required_signatures: 0,
            authorized_signers: Vec::new(),
            compression: "none".into(),
            encryption: false,
            tde_algorithm: None,
        }
    }
}

impl BlockchainOptions {
    /// `key=value` texts as `pg_class.reloptions` shows them (and psql's `\d` footer).
    pub fn reloptions(&self) -> Vec<String> {
        let mut out = vec![
            format!("block_size={}", self.block_size),
            format!("block_seal_interval={}", self.block_seal_interval.to_postgres_string()),
            format!("hash_algorithm={}", self.hash_algorithm),
            format!("enable_merkle_tree={}", self.enable_merkle_tree),
        ];
        if self.purge_policy != "none" {
            out.push(format!("purge_policy={}", self.purge_policy));
        }
        if let Some(p) = &self.retention_period {
            out.push(format!("retention_period={}", p.to_postgres_string()));
        }
        if let Some(n) = self.retention_blocks {
            out.push(format!("retention_blocks={n}"));
        }
        if let Some(n) = self.max_total_size {
            out.push(format!("max_total_size={n}"));
        }
        if !self.compliance_rules.is_empty() {
            out.push(format!("compliance_rules={}", self.compliance_rules.join(",")));
        }
        if let Some(f) = &self.purge_function {
            out.push(format!("purge_function={f}"));
        }
        if self.required_signatures > 0 {
            out.push(format!("required_signatures={}", self.required_signatures));
        }
        if !self.authorized_signers.is_empty() {
            let keys: Vec<String> = self
                .authorized_signers
                .iter()
                .map(|k| k.iter().map(|b| format!("{b:02x}")).collect())
                .collect();
            out.push(format!("authorized_signers={}", keys.join(",")));
        }
        if self.compression != "none" {
            out.push(format!("compression={}", self.compression));
        }
        if self.encryption {
            out.push("encryption=true".into());
        }
        if let Some(a) = &self.tde_algorithm {
            out.push(format!("tde_algorithm={a}"));
        }
        out
    }
}

/// SQLSTATE of every statement refused because it would change a blockchain table's stored
/// rows or shape: 55000 object_not_in_prerequisite_state (the table's kind forbids it).
pub const BLOCKCHAIN_REFUSAL: &str = sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE;

/// The hidden columns of a blockchain table, after its own columns in every scan's rows:
/// selectable by name, never part of `*` (both bigint; `ledger::chain` documents their values).
pub const HIDDEN_COLUMNS: [&str; 2] = ["_block_id", "_row_index"];

impl TableDef {
    /// The hidden columns this table's scans add after its own columns.
    pub fn hidden_columns(&self) -> &'static [&'static str] {
        if self.is_blockchain() {
            &HIDDEN_COLUMNS
        } else {
            &[]
        }
    }

    /// Width of a scan's rows: own columns, then hidden ones.
    pub fn scan_width(&self) -> usize {
        self.columns.len() + self.hidden_columns().len()
    }

    pub fn blockchain_options(&self) -> Option<&BlockchainOptions> {
        match &self.kind {
            TableKind::Blockchain(options) => Some(options.as_ref()),
            TableKind::Ordinary => None,
        }
    }

    pub fn is_blockchain(&self) -> bool {
        self.blockchain_options().is_some()
    }

    /// `<OPERATION> not allowed on blockchain table 'name'` when this is a blockchain table.
    pub fn refuse_on_blockchain(&self, operation: &str) -> Result<()> {
        if self.is_blockchain() {
            return Err(Error::sql(
                BLOCKCHAIN_REFUSAL,
                format!("{operation} not allowed on blockchain table '{}'", self.name),
            ));
        }
        Ok(())
    }
}
