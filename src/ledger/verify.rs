//! Verification of a chain from what is stored, as pure functions: the caller (the SQL
//! functions, `vellum verify`) reads headers, bodies and pending entries from storage in order
//! and feeds them here; this module decides what is intact and names what is not, so online
//! and offline verification report the same findings.
//!
//! Rules, for blocks in key order (key id = the block id in the storage key):
//! - ids are consecutive from 0: a gap is `block_missing` (one finding per missing id), a key
//!   id at or below one already seen is `block_inserted`;
//! - the header's own `block_id` equals its key id and the recomputed hash equals the stored
//!   one, else `header_altered`;
//! - `prev_block_hash` equals the previous block's recomputed hash (zero for block 0), else
//!   `link_broken`;
//! - block 0 is a genesis with no rows whose root is the current definition's hash, else
//!   `definition_altered`; a genesis anywhere else is `block_inserted`;
//! - a data block's body hashes to its `merkle_root` with `row_count` rows, else `row_altered`;
//! - an anchor (`anchor.rs`) stands for the ids its record covers (they are not missing); its
//!   record hashes to its `merkle_root` and agrees with its header, else `anchor_altered`; the
//!   next block links to the record's `last_purged_hash`; and the anchors, ordered by purge
//!   id, are 1, 2, … each naming the previous one's hash, else `purge_log_broken`;
//! - pending rows: each stored leaf equals the leaf of its stored bytes, and the running hash
//!   recomputes from the last block's hash, else `pending_altered` (from that row on the
//!   running hash is re-seeded with the stored value, so one change gives one finding).

use std::ops::Range;

use super::anchor::AnchorRecord;
use super::block::{BlockHeader, BlockType};
use super::body::body_row_ranges;
use super::hex::to_hex;
use super::leaf::running_hash;
use super::merkle::{leaf_hash, Hash, RootBuilder};

/// What verification found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingKind {
    RowAltered,
    HeaderAltered,
    LinkBroken,
    BlockMissing,
    BlockInserted,
    PendingAltered,
    DefinitionAltered,
    /// The chain tip (derived state: last block, next row) disagrees with what is stored.
    TipAltered,
    /// An attached block signature does not verify, or its key is not authorized
    /// (`ledger::signature`).
    SignatureInvalid,
    /// A block older than the seal interval lacks its required signatures. Not tampering:
    /// `verify_blockchain` still passes; the tamper report lists it apart.
    Unconfirmed,
    /// An anchor's record is missing, unreadable, or disagrees with its header or position.
    AnchorAltered,
    /// The anchors do not form the purge log: purge ids not 1, 2, … or a broken
    /// `prev_anchor_hash` link (an anchor rewritten, removed or added).
    PurgeLogBroken,
}

impl FindingKind {
    /// The text `blockchain_tamper_report` shows.
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::RowAltered => "row_altered",
            FindingKind::HeaderAltered => "header_altered",
            FindingKind::LinkBroken => "link_broken",
            FindingKind::BlockMissing => "block_missing",
            FindingKind::BlockInserted => "block_inserted",
            FindingKind::PendingAltered => "pending_altered",
            FindingKind::DefinitionAltered => "definition_altered",
            FindingKind::TipAltered => "tip_altered",
            FindingKind::SignatureInvalid => "signature_invalid",
            FindingKind::Unconfirmed => "unconfirmed",
            FindingKind::AnchorAltered => "anchor_altered",
            FindingKind::PurgeLogBroken => "purge_log_broken",
        }
    }

    /// Whether this finding means stored data was changed (everything but `unconfirmed`).
    pub fn is_tampering(self) -> bool {
        self != FindingKind::Unconfirmed
    }
}

/// One finding: what, where (`None` for pending rows), and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: FindingKind,
    pub block_id: Option<u64>,
    pub detail: String,
}

/// One stored block as read: its key id, its decoded header and stored hash, and its body
/// (`None` for the genesis and for anchors, which have no rows).
pub struct StoredBlock<'a> {
    pub key_id: u64,
    pub header: BlockHeader,
    pub stored_hash: Hash,
    pub body: Option<&'a [u8]>,
}

/// A data block's body as verification needs it: its row count and their Merkle root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodySummary {
    Missing,
    Unreadable(String),
    Hashed { rows: u64, root: Hash },
}

/// Hashes a stored body's rows (pure: may run on any thread).
pub fn summarize_body(body: Option<&[u8]>) -> BodySummary {
    summarize_rows(body).0
}

/// As [`summarize_body`], also returning where each row lies in the body (empty unless
/// hashed), for callers that look at the rows too.
pub fn summarize_rows(body: Option<&[u8]>) -> (BodySummary, Vec<Range<usize>>) {
    let Some(body) = body else {
        return (BodySummary::Missing, Vec::new());
    };
    match body_row_ranges(body) {
        Err(e) => (BodySummary::Unreadable(e.to_string()), Vec::new()),
        Ok(ranges) => {
            let mut tree = RootBuilder::new();
            for row in ranges.iter().filter_map(|r| body.get(r.clone())) {
                tree.push(leaf_hash(row));
            }
            let summary = BodySummary::Hashed {
                rows: ranges.len() as u64,
                root: tree.finish(),
            };
            (summary, ranges)
        }
    }
}

fn body_hash(body: Option<&[u8]>) -> Option<Hash> {
    body.map(crate::crypto::sha256)
}

/// Checks blocks fed in key order; collects findings.
pub struct ChainVerifier {
    definition_hash: Hash,
    next_id: u64,
    last_hash: Hash,
    /// Anchors seen: (purge id, previous anchor's hash, this anchor's recomputed hash, block id).
    anchors: Vec<(u64, Hash, Hash, u64)>,
    pub findings: Vec<Finding>,
}

impl ChainVerifier {
    /// `definition_hash`: the hash of the table's definition as the catalog holds it now.
    pub fn new(definition_hash: Hash) -> ChainVerifier {
        ChainVerifier {
            definition_hash,
            next_id: 0,
            last_hash: [0; 32],
            anchors: Vec::new(),
            findings: Vec::new(),
        }
    }

    /// A verifier that continues a chain at block `next_id`, after a block whose
    /// recomputed hash is `last_hash` (to check one block against its predecessor).
    pub fn resume(definition_hash: Hash, next_id: u64, last_hash: Hash) -> ChainVerifier {
        ChainVerifier {
            definition_hash,
            next_id,
            last_hash,
            anchors: Vec::new(),
            findings: Vec::new(),
        }
    }

    /// Records a finding made outside the block and pending checks (e.g. about the tip).
    pub fn report(&mut self, kind: FindingKind, block_id: Option<u64>, detail: String) {
        self.findings.push(Finding { kind, block_id, detail });
    }

    pub fn block(&mut self, block: StoredBlock<'_>) {
        let summary = (block.header.block_type == BlockType::Data).then(|| summarize_body(block.body));
        self.block_summarized(block, summary);
    }

    /// As `block`, with the body already summarized by [`summarize_body`] (`None` for blocks
    /// without rows), so bodies can be hashed in parallel and their leaves reused.
    pub fn block_summarized(&mut self, block: StoredBlock<'_>, summary: Option<BodySummary>) {
        let id = block.key_id;
        let h = &block.header;
        let record = (h.block_type == BlockType::Anchor).then(|| match block.body {
            Some(body) => AnchorRecord::decode(body).map_err(|e| e.to_string()),
            None => Err("its record is missing".to_string()),
        });
        // The blocks an anchor replaced are not missing.
        let covered_from = match &record {
            Some(Ok(r)) if r.last_block == id && r.first_block >= self.next_id => r.first_block,
            _ => id,
        };
        if id < self.next_id {
            self.report(
                FindingKind::BlockInserted,
                Some(id),
                format!("block {id} appears again after block {}", self.next_id - 1),
            );
            return;
        }
        for missing in self.next_id..covered_from.min(self.next_id.saturating_add(1000)) {
            self.report(
                FindingKind::BlockMissing,
                Some(missing),
                format!("block {missing} is missing"),
            );
        }
        let computed = h.hash();
        if h.block_id != id || computed != block.stored_hash {
            self.report(
                FindingKind::HeaderAltered,
                Some(id),
                format!(
                    "header of block {id} hashes to {}, stored hash is {}",
                    to_hex(&computed),
                    to_hex(&block.stored_hash)
                ),
            );
        }
        if h.prev_block_hash != self.last_hash {
            self.report(
                FindingKind::LinkBroken,
                Some(id),
                format!(
                    "block {id} links to {}, the previous block's hash is {}",
                    to_hex(&h.prev_block_hash),
                    to_hex(&self.last_hash)
                ),
            );
        }
        match (id, h.block_type) {
            (0, BlockType::Genesis) => {
                if h.merkle_root != self.definition_hash || h.row_count != 0 {
                    self.report(
                        FindingKind::DefinitionAltered,
                        Some(0),
                        "the genesis block does not commit to the table's current definition".into(),
                    );
                }
            }
            (0, _) => self.report(
                FindingKind::DefinitionAltered,
                Some(0),
                "block 0 is not a genesis block".into(),
            ),
            (_, BlockType::Genesis) => self.report(
                FindingKind::BlockInserted,
                Some(id),
                format!("block {id} claims to be a genesis"),
            ),
            (_, BlockType::Data) => self.check_body(id, h, summary.unwrap_or_else(|| summarize_body(block.body))),
            (_, BlockType::Anchor) => {
                if let Some(link) = self.check_anchor(id, h, body_hash(block.body), record, computed) {
                    self.next_id = id + 1;
                    self.last_hash = link;
                    return;
                }
            }
        }
        self.next_id = id + 1;
        self.last_hash = computed;
    }

    /// Checks an anchor against its record; returns the hash the next block links to (the
    /// last purged block's) when the record is sound.
    fn check_anchor(
        &mut self,
        id: u64,
        h: &BlockHeader,
        body_hash: Option<Hash>,
        record: Option<std::result::Result<AnchorRecord, String>>,
        computed: Hash,
    ) -> Option<Hash> {
        let altered = |v: &mut ChainVerifier, why: String| {
            v.report(FindingKind::AnchorAltered, Some(id), format!("anchor {id}: {why}"));
        };
        let record = match record {
            Some(Ok(r)) => r,
            Some(Err(e)) => {
                altered(self, format!("its record is unreadable: {e}"));
                return None;
            }
            None => return None,
        };
        if body_hash != Some(h.merkle_root) {
            altered(self, "its record does not hash to its Merkle root".into());
        }
        if record.last_block != id || record.first_block < 1 {
            altered(
                self,
                format!(
                    "its record covers blocks {} to {}",
                    record.first_block, record.last_block
                ),
            );
        }
        if record.prev_hash != h.prev_block_hash || record.purged_rows != h.row_count {
            altered(self, "its record and its header disagree".into());
        }
        self.anchors
            .push((record.purge_id, record.prev_anchor_hash, computed, id));
        Some(record.last_purged_hash)
    }

    /// Checks the anchors seen form the purge log: purge ids 1, 2, … each linked to the
    /// previous one's hash. Call once after the last block.
    pub fn finish_anchors(&mut self) {
        let mut anchors = std::mem::take(&mut self.anchors);
        anchors.sort_by_key(|a| a.0);
        let mut prev: Hash = [0; 32];
        for (i, (purge_id, prev_anchor, hash, id)) in anchors.into_iter().enumerate() {
            if purge_id != i as u64 + 1 || prev_anchor != prev {
                self.report(
                    FindingKind::PurgeLogBroken,
                    Some(id),
                    format!("anchor {id} (purge {purge_id}) does not follow purge {i} in the purge log"),
                );
            }
            prev = hash;
        }
    }

    fn check_body(&mut self, id: u64, h: &BlockHeader, summary: BodySummary) {
        match summary {
            BodySummary::Missing => self.report(
                FindingKind::RowAltered,
                Some(id),
                format!("the rows of block {id} are missing"),
            ),
            BodySummary::Unreadable(e) => self.report(
                FindingKind::RowAltered,
                Some(id),
                format!("the rows of block {id} are unreadable: {e}"),
            ),
            BodySummary::Hashed { rows, root } => {
                if rows != h.row_count || root != h.merkle_root {
                    self.report(
                        FindingKind::RowAltered,
                        Some(id),
                        format!("the {rows} rows of block {id} do not hash to its Merkle root"),
                    );
                }
            }
        }
    }

    /// The hash pending rows must be seeded from: the last block's recomputed hash.
    pub fn tip(&self) -> Hash {
        self.last_hash
    }

    /// Checks the pending rows `(seq, stored leaf, stored running hash, row bytes)` in order.
    pub fn pending<'a>(&mut self, entries: impl IntoIterator<Item = (u64, Hash, Hash, &'a [u8])>) {
        let mut running = self.last_hash;
        for (seq, leaf, stored_running, row) in entries {
            let actual = leaf_hash(row);
            let expected = running_hash(&running, &leaf);
            if actual != leaf || expected != stored_running {
                self.report(
                    FindingKind::PendingAltered,
                    None,
                    format!("pending row {seq} does not match its leaf or running hash"),
                );
            }
            running = stored_running;
        }
    }

    pub fn is_intact(&self) -> bool {
        self.findings.is_empty()
    }
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
