//! What a statement did to rows, as the audit chain records it (`ledger::audit_log`): how many
//! rows it inserted, updated or deleted, and a SHA-256 over their images.
//!
//! The digest is deterministic, so anyone holding the row images (a backup, a replica, the
//! statement replayed on a copy) can recompute it:
//!
//! ```text
//! SHA-256( "vellum/audit/rows/v1"
//!          ‖ per image, in the order the statement wrote them:
//!            kind u8 ('-' old image, '+' new image) ‖ table id u32 BE
//!            ‖ length u32 BE ‖ the row's canonical encoding (storage::row) )
//! ```
//!
//! An INSERT contributes its new image, a DELETE (or TRUNCATE) its old one, an UPDATE the old
//! image then the new. A statement that changed no row has no digest.

use crate::crypto::{Sha256, DIGEST_LEN};

/// The domain tag that starts every row digest.
pub const ROWS_DOMAIN: &[u8] = b"vellum/audit/rows/v1";

/// One side of a row change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Image {
    /// The row as it was before (UPDATE, DELETE, TRUNCATE).
    Old,
    /// The row as written (INSERT, UPDATE).
    New,
}

/// Row changes noted since they were last taken.
#[derive(Clone, Default)]
pub struct RowChanges {
    hasher: Option<Sha256>,
    /// Rows changed: an UPDATE counts once for its two images.
    pub rows: u64,
}

impl RowChanges {
    /// Adds one image of a row of table `table` (`bytes`: its canonical encoding).
    pub fn note(&mut self, image: Image, table: u32, bytes: &[u8]) {
        let hasher = self.hasher.get_or_insert_with(|| {
            let mut h = Sha256::new();
            h.update(ROWS_DOMAIN);
            h
        });
        hasher.update(&[match image {
            Image::Old => b'-',
            Image::New => b'+',
        }]);
        hasher.update(&table.to_be_bytes());
        // A row longer than 4 GiB cannot be stored; saturate rather than wrap all the same.
        hasher.update(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
        hasher.update(bytes);
    }

    /// Counts one changed row (after noting its images).
    pub fn count(&mut self) {
        self.rows += 1;
    }

    /// The digest over every image noted, `None` when there was none.
    pub fn digest(self) -> Option<[u8; DIGEST_LEN]> {
        self.hasher.map(Sha256::finish)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::sha256_parts;

    #[test]
    fn digest_follows_the_documented_layout() {
        let mut changes = RowChanges::default();
        assert!(changes.clone().digest().is_none());
        changes.note(Image::Old, 7, b"ab");
        changes.note(Image::New, 7, b"xyz");
        changes.count();
        assert_eq!(changes.rows, 1);
        let expected = sha256_parts(&[
            b"vellum/audit/rows/v1",
            b"-",
            &[0, 0, 0, 7],
            &[0, 0, 0, 2],
            b"ab",
            b"+",
            &[0, 0, 0, 7],
            &[0, 0, 0, 3],
            b"xyz",
        ]);
        assert_eq!(changes.digest(), Some(expected));
    }

    #[test]
    fn order_and_kind_change_the_digest() {
        let digest = |images: &[(Image, &[u8])]| {
            let mut c = RowChanges::default();
            for (image, bytes) in images {
                c.note(*image, 1, bytes);
            }
            c.digest()
        };
        let a = digest(&[(Image::New, b"1"), (Image::New, b"2")]);
        assert_ne!(a, digest(&[(Image::New, b"2"), (Image::New, b"1")]));
        assert_ne!(a, digest(&[(Image::Old, b"1"), (Image::New, b"2")]));
        // Lengths delimit images: "1" + "2" is not "12".
        assert_ne!(a, digest(&[(Image::New, b"12")]));
    }
}
