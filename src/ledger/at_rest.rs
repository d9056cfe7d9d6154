//! Compression and encryption at rest of blockchain tables: which tables use them, their data
//! keys, and the codec the chain (`chain.rs`) reads and writes their payloads through. The
//! envelope itself is `envelope.rs`.
//!
//! # What is stored
//!
//! A table created with `compression = 'ZSTD'` or `encryption = 'TDE'` gets an at-rest record
//! under `0x01 'k' table_id` (`storage::keys::at_rest_key`), written by CREATE in its own
//! transaction and deleted by DROP (which makes an encrypted table's remaining bytes, if any
//! survive in old files, unreadable for good). Ordinary tables have none, so their payloads
//! and their keyspace are byte for byte what they were before this existed.
//!
//! ```text
//! record (format version 1):
//!   offset size field
//!        0    1 RECORD_VERSION (= 1)
//!        1    1 mode: 0x01 COMPRESSED (sealed bodies), 0x02 ENCRYPTED (bodies and pending)
//!   if ENCRYPTED:
//!        2    8 fingerprint of the master key the data key is wrapped under
//!       10   12 nonce
//!       22   48 the 32-byte data key, AES-256-GCM under the master key, then its tag;
//!               AD = "vellum data key v1" ++ the record's key ++ bytes 0..10
//!       70      end
//! ```
//!
//! The data key is random (32 bytes from the operating system) per table. The master key is
//! never stored: the server is given it (`--master-key-file`, `VELLUM_MASTER_KEY_FILE`) and
//! holds it in memory (`Store::master_key`). Rotating the master key ([`rotate_master_key`])
//! re-wraps every data key and rewrites no block.
//!
//! # What is encrypted
//!
//! An encrypted table's block bodies (and purge anchors) and pending batches: every byte of
//! its rows' values.
//! Not encrypted: its row keys (0x10: the primary key's values, or row ids), its index entries
//! (0x11: the indexed values), block headers (ids, hashes, Merkle roots, row counts, times),
//! the chain tip, signatures, the catalog (names, columns, options), and the audit chain,
//! which holds SHA-256 digests of row images (a short value can be guessed from its digest).
//!
//! # Without the key
//!
//! Opening the database needs no key. Reading, inserting into or verifying an encrypted table
//! without its master key fails with 55000 and a hint naming the option; everything else works,
//! and the background sealer passes such tables by.
//!
//! It may use `crypto`, `storage` and the catalog's table definitions; the chain calls it with
//! storage keys and bytes.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::sync::Arc;

use crate::catalog::TableDef;
use crate::crypto::aead::{random_nonce, AeadKey, KEY_LEN, NONCE_LEN, TAG_LEN};
use crate::error::{sqlstate, Error, Result};
use crate::storage::keys::{at_rest_key, AT_REST_PREFIX};
use crate::storage::{Conflict, Store, Txn};

use super::envelope;
use super::signature::table_oid;

/// First byte of an at-rest record.
pub const RECORD_VERSION: u8 = 1;
/// Mode flag: sealed bodies are zstd-compressed (when that makes them smaller).
pub const COMPRESSED: u8 = 0x01;
/// Mode flag: bodies and pending batches are AES-256-GCM encrypted.
pub const ENCRYPTED: u8 = 0x02;
const FINGERPRINT_LEN: usize = 8;
const WRAPPED_LEN: usize = KEY_LEN + TAG_LEN;
/// Length of an encrypted table's record.
pub const ENCRYPTED_RECORD_LEN: usize = 2 + FINGERPRINT_LEN + NONCE_LEN + WRAPPED_LEN;
const DATA_KEY_AD: &[u8] = b"vellum data key v1";

/// The hint of every error about a missing or wrong master key.
pub const KEY_HINT: &str = "The table was created with encryption = 'TDE'. Give its master key with \
     --master-key-file FILE (or the VELLUM_MASTER_KEY_FILE environment variable).";

/// A table's at-rest record, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub mode: u8,
    /// For an encrypted table: master key fingerprint, nonce, wrapped data key.
    pub wrapped: Option<Wrapped>,
}

/// A data key wrapped under a master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrapped {
    pub fingerprint: [u8; FINGERPRINT_LEN],
    pub nonce: [u8; NONCE_LEN],
    pub sealed: [u8; WRAPPED_LEN],
}

impl Record {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![RECORD_VERSION, self.mode];
        if let Some(w) = &self.wrapped {
            out.extend_from_slice(&w.fingerprint);
            out.extend_from_slice(&w.nonce);
            out.extend_from_slice(&w.sealed);
        }
        out
    }

    pub fn decode(table_id: u32, bytes: &[u8]) -> Result<Record> {
        let corrupt =
            |reason: &str| Error::corrupted(format!("at-rest record of table {table_id}"), reason.to_string());
        let (Some(&RECORD_VERSION), Some(&mode)) = (bytes.first(), bytes.get(1)) else {
            return Err(corrupt("bad length or format version"));
        };
        if mode & !(COMPRESSED | ENCRYPTED) != 0 || mode == 0 {
            return Err(corrupt(&format!("bad mode {mode:#04x}")));
        }
        let wrapped = match (mode & ENCRYPTED != 0, bytes.len()) {
            (false, 2) => None,
            (true, ENCRYPTED_RECORD_LEN) => {
                let mut w = Wrapped {
                    fingerprint: [0; FINGERPRINT_LEN],
                    nonce: [0; NONCE_LEN],
                    sealed: [0; WRAPPED_LEN],
                };
                w.fingerprint.copy_from_slice(&bytes[2..10]);
                w.nonce.copy_from_slice(&bytes[10..22]);
                w.sealed.copy_from_slice(&bytes[22..]);
                Some(w)
            }
            _ => return Err(corrupt("bad length for its mode")),
        };
        Ok(Record { mode, wrapped })
    }
}

fn data_key_ad(table_id: u32, head: &[u8]) -> Vec<u8> {
    let mut ad = DATA_KEY_AD.to_vec();
    ad.extend_from_slice(&at_rest_key(table_id));
    ad.extend_from_slice(head);
    ad
}

/// `data_key` wrapped under `master` for table `table_id`, as record mode `mode` stores it.
fn wrap(table_id: u32, mode: u8, data_key: &AeadKey, master: &AeadKey) -> Result<Wrapped> {
    let fingerprint = master.fingerprint();
    let nonce = random_nonce()?;
    let mut head = vec![RECORD_VERSION, mode];
    head.extend_from_slice(&fingerprint);
    let sealed = master.encrypt(&nonce, &data_key_ad(table_id, &head), data_key.as_bytes());
    let sealed: [u8; WRAPPED_LEN] = sealed
        .try_into()
        .map_err(|_| Error::bug("a wrapped data key is not 48 bytes"))?;
    Ok(Wrapped {
        fingerprint,
        nonce,
        sealed,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The error of an encrypted table that cannot be opened for want of a master key.
pub fn no_master_key(table: &str) -> Error {
    Error::sql(
        sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE,
        format!("cannot access encrypted table {table}: no master key is configured"),
    )
    .with_hint(KEY_HINT)
}

/// The data key `wrapped` holds for table `table_id` (`what` names it in messages).
fn unwrap(table_id: u32, mode: u8, wrapped: &Wrapped, master: Option<&AeadKey>, what: &str) -> Result<AeadKey> {
    let Some(master) = master else {
        return Err(no_master_key(what));
    };
    if master.fingerprint() != wrapped.fingerprint {
        return Err(Error::sql(
            sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("cannot access encrypted table {what}: the master key given is not the one its data key is wrapped with"),
        )
        .with_detail(format!(
            "The master key given has fingerprint {}; the table's data key is wrapped under {}.",
            hex(&master.fingerprint()),
            hex(&wrapped.fingerprint)
        ))
        .with_hint(KEY_HINT));
    }
    let mut head = vec![RECORD_VERSION, mode];
    head.extend_from_slice(&wrapped.fingerprint);
    let bytes = master
        .decrypt(&wrapped.nonce, &data_key_ad(table_id, &head), &wrapped.sealed)
        .ok_or_else(|| {
            Error::corrupted(
                format!("at-rest record of table {table_id}"),
                "its wrapped data key does not authenticate under the master key",
            )
        })?;
    let bytes: [u8; KEY_LEN] = bytes
        .try_into()
        .map_err(|_| Error::bug("an unwrapped data key is not 32 bytes"))?;
    Ok(AeadKey::from_bytes(bytes))
}

/// Writes the at-rest record of a new blockchain table (in CREATE's transaction); nothing for
/// a table neither compressed nor encrypted. An encrypted table needs a master key.
pub fn create_record(txn: &mut Txn, table: &TableDef) -> Result<()> {
    let Some(options) = table.blockchain_options() else {
        return Ok(());
    };
    let mut mode = 0u8;
    if options.compression == "zstd" {
        mode |= COMPRESSED;
    }
    if options.encryption {
        mode |= ENCRYPTED;
    }
    if mode == 0 {
        return Ok(());
    }
    let wrapped = if options.encryption {
        let Some(master) = txn.store().master_key() else {
            return Err(Error::sql(
                sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!(
                    "cannot create encrypted table \"{}\": no master key is configured",
                    table.name
                ),
            )
            .with_hint(
                "encryption = 'TDE' needs a master key: create one with vellum master-key --out FILE and start \
                 Vellum with --master-key-file FILE (or VELLUM_MASTER_KEY_FILE).",
            ));
        };
        Some(wrap(table.id, mode, &AeadKey::generate()?, &master)?)
    } else {
        None
    };
    txn.put(at_rest_key(table.id), Record { mode, wrapped }.encode(), Conflict::None)
}

/// Deletes a table's at-rest record (DROP).
pub fn drop_record(txn: &mut Txn, table_id: u32) -> Result<()> {
    txn.delete(at_rest_key(table_id))
}

/// Checks, cheaply, that an encrypted table can be accessed: 55000 naming it when no master
/// key is configured (a wrong key is found when its data key is unwrapped).
pub fn check_access(store: &Store, table: &TableDef) -> Result<()> {
    match table.blockchain_options() {
        Some(o) if o.encryption && store.master_key().is_none() => Err(no_master_key(&format!("\"{}\"", table.name))),
        _ => Ok(()),
    }
}

/// Whether the chain of `table_id` can be written now: false only for an encrypted table whose
/// data key the configured master key (if any) does not unwrap. The sealer asks before sealing.
pub fn writable(txn: &Txn, table_id: u32) -> bool {
    match Codec::load(txn, table_id) {
        Ok(codec) => !codec.encrypted() || codec.key().is_ok(),
        // An unreadable record fails the seal itself, with the reason.
        Err(_) => true,
    }
}

/// How one table's chain payloads are stored: loaded once per commit or read (one get).
pub struct Codec {
    table_id: u32,
    mode: u8,
    wrapped: Option<Wrapped>,
    master: Option<Arc<AeadKey>>,
    key: OnceCell<AeadKey>,
}

impl Codec {
    /// The codec of table `table_id` as `txn` sees it.
    pub fn load(txn: &Txn, table_id: u32) -> Result<Codec> {
        let record = match txn.get(&at_rest_key(table_id))? {
            Some(bytes) => Record::decode(table_id, &bytes)?,
            None => Record { mode: 0, wrapped: None },
        };
        Ok(Codec {
            table_id,
            mode: record.mode,
            wrapped: record.wrapped,
            master: txn.store().master_key(),
            key: OnceCell::new(),
        })
    }

    /// Whether payloads of this table are stored plain (no record).
    pub fn is_plain(&self) -> bool {
        self.mode == 0
    }

    fn encrypted(&self) -> bool {
        self.mode & ENCRYPTED != 0
    }

    /// The table's data key (unwrapped on first use).
    fn key(&self) -> Result<&AeadKey> {
        if let Some(key) = self.key.get() {
            return Ok(key);
        }
        let Some(wrapped) = &self.wrapped else {
            return Err(Error::corrupted(
                format!("table {}", self.table_id),
                "an encrypted payload in a table that is not encrypted",
            ));
        };
        let what = format!("with OID {}", table_oid(self.table_id));
        let key = unwrap(self.table_id, self.mode, wrapped, self.master.as_deref(), &what)?;
        Ok(self.key.get_or_init(|| key))
    }

    /// The stored form of a sealed block body kept under storage key `at`.
    pub fn seal_body(&self, at: &[u8], body: Vec<u8>) -> Result<Vec<u8>> {
        if self.is_plain() {
            return Ok(body);
        }
        let key = if self.encrypted() { Some(self.key()?) } else { None };
        envelope::seal(body, self.mode & COMPRESSED != 0, key, at)
    }

    /// The stored form of a pending batch kept under storage key `at`: encrypted for an
    /// encrypted table, never compressed (batches are small and short-lived).
    pub fn seal_pending(&self, at: &[u8], batch: Vec<u8>) -> Result<Vec<u8>> {
        if !self.encrypted() {
            return Ok(batch);
        }
        envelope::seal(batch, false, Some(self.key()?), at)
    }

    /// The payload of stored bytes found under storage key `at`. An encrypted table's
    /// payloads must be encrypted envelopes, and only its payloads may be.
    pub fn open(&self, at: &[u8], stored: Vec<u8>) -> Result<Vec<u8>> {
        match self.open_ref(at, &stored)? {
            Cow::Borrowed(_) => Ok(stored),
            Cow::Owned(plain) => Ok(plain),
        }
    }

    /// As [`Codec::open`], borrowing `stored` when it is the plain payload itself (what a
    /// seal reading pending batches wants: no copy of a batch it only reads once).
    pub fn open_ref<'a>(&self, at: &[u8], stored: &'a [u8]) -> Result<Cow<'a, [u8]>> {
        let flags = envelope::flags(stored);
        let encrypted = flags.is_some_and(|f| f & envelope::ENCRYPTED != 0);
        if encrypted != self.encrypted() {
            let reason = match encrypted {
                true => "an encrypted payload in a table that is not encrypted",
                false => "an unencrypted payload in an encrypted table",
            };
            return Err(Error::corrupted(
                format!("stored payload of table {}", self.table_id),
                reason,
            ));
        }
        if flags.is_none() {
            return Ok(Cow::Borrowed(stored));
        }
        envelope::open(stored, || self.key().cloned(), at).map(Cow::Owned)
    }
}

/// Re-wraps the data key of every encrypted table under `new` (the data keys, and so every
/// stored block, stay as they are), in one transaction; the store's master key becomes `new`.
/// The store's current master key must unwrap them; tables already wrapped under `new` are
/// left as they are, so an interrupted rotation can be run again. Returns how many data keys
/// were re-wrapped. Meant for a database no server is serving (`vellum rekey`).
pub fn rotate_master_key(store: &Store, new: AeadKey) -> Result<usize> {
    let old = store.master_key();
    let mut txn = store.begin();
    let mut rewrapped = 0;
    let records: Vec<(Vec<u8>, Vec<u8>)> = txn.scan_prefix(AT_REST_PREFIX)?.collect::<Result<_>>()?;
    for (key, bytes) in records {
        let table_id = key
            .get(AT_REST_PREFIX.len()..)
            .and_then(|id| <[u8; 4]>::try_from(id).ok())
            .map(u32::from_be_bytes)
            .ok_or_else(|| Error::corrupted("at-rest record key", "bad length"))?;
        let record = Record::decode(table_id, &bytes)?;
        let Some(wrapped) = &record.wrapped else {
            continue;
        };
        if wrapped.fingerprint == new.fingerprint() {
            continue;
        }
        let what = format!("with OID {}", table_oid(table_id));
        let data_key = unwrap(table_id, record.mode, wrapped, old.as_deref(), &what)?;
        let rewrapped_record = Record {
            mode: record.mode,
            wrapped: Some(wrap(table_id, record.mode, &data_key, &new)?),
        };
        txn.put(key, rewrapped_record.encode(), Conflict::Unchanged)?;
        rewrapped += 1;
    }
    txn.commit(crate::storage::Durability::Sync)?;
    store.set_master_key(Some(new));
    Ok(rewrapped)
}

/// How many tables have encrypted data keys, and how many of them the store's master key
/// (if any) does not open: what `Database::open` logs.
pub fn locked_tables(store: &Store) -> Result<(usize, usize)> {
    let master = store.master_key();
    let (mut encrypted, mut locked) = (0, 0);
    for (key, bytes) in store.raw_scan_prefix(AT_REST_PREFIX)? {
        let Some(table_id) = key
            .get(AT_REST_PREFIX.len()..)
            .and_then(|id| <[u8; 4]>::try_from(id).ok())
            .map(u32::from_be_bytes)
        else {
            continue;
        };
        let Ok(record) = Record::decode(table_id, &bytes) else {
            continue;
        };
        if let Some(wrapped) = &record.wrapped {
            encrypted += 1;
            if unwrap(table_id, record.mode, wrapped, master.as_deref(), "").is_err() {
                locked += 1;
            }
        }
    }
    Ok((encrypted, locked))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_encrypted_tables_without_their_key_are_unwritable() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let master = AeadKey::from_bytes([3; 32]);
        let mut txn = store.begin();
        let encrypted = Record {
            mode: ENCRYPTED,
            wrapped: Some(wrap(2, ENCRYPTED, &AeadKey::from_bytes([4; 32]), &master).unwrap()),
        };
        let compressed = Record {
            mode: COMPRESSED,
            wrapped: None,
        };
        txn.put(at_rest_key(2), encrypted.encode(), Conflict::None).unwrap();
        txn.put(at_rest_key(3), compressed.encode(), Conflict::None).unwrap();
        txn.commit(crate::storage::Durability::Sync).unwrap();
        let txn = store.begin();
        // Table 1 has no record (an ordinary blockchain table), 3 is compressed only.
        assert!(writable(&txn, 1) && writable(&txn, 3));
        assert!(!writable(&txn, 2));
        store.set_master_key(Some(AeadKey::from_bytes([5; 32])));
        assert!(!writable(&txn, 2));
        store.set_master_key(Some(master));
        assert!(writable(&txn, 1) && writable(&txn, 2) && writable(&txn, 3));
    }

    #[test]
    fn records_have_the_documented_layout() {
        let compressed = Record {
            mode: COMPRESSED,
            wrapped: None,
        };
        assert_eq!(compressed.encode(), vec![1, 1]);
        assert_eq!(Record::decode(5, &[1, 1]).unwrap(), compressed);
        let master = AeadKey::from_bytes([3; 32]);
        let data = AeadKey::from_bytes([4; 32]);
        let wrapped = wrap(5, ENCRYPTED | COMPRESSED, &data, &master).unwrap();
        let record = Record {
            mode: ENCRYPTED | COMPRESSED,
            wrapped: Some(wrapped.clone()),
        };
        let bytes = record.encode();
        assert_eq!(bytes.len(), ENCRYPTED_RECORD_LEN);
        assert_eq!(&bytes[..2], &[1, 3]);
        assert_eq!(&bytes[2..10], &master.fingerprint());
        assert_eq!(&bytes[10..22], &wrapped.nonce);
        assert!(
            !bytes.windows(32).any(|w| w == data.as_bytes()),
            "data key in the clear"
        );
        // The wrapped key is AES-256-GCM under the master key, with the documented AD.
        let mut ad = b"vellum data key v1".to_vec();
        ad.extend_from_slice(&[0x01, b'k', 0, 0, 0, 5]);
        ad.extend_from_slice(&bytes[..10]);
        assert_eq!(
            master.decrypt(&wrapped.nonce, &ad, &bytes[22..]).unwrap(),
            data.as_bytes()
        );
        assert_eq!(Record::decode(5, &bytes).unwrap(), record);
        for bad in [
            &[][..],
            &[2, 1][..],
            &[1, 0][..],
            &[1, 4][..],
            &[1, 2][..],
            &bytes[..69],
        ] {
            assert_eq!(Record::decode(5, bad).unwrap_err().sqlstate(), "XX001");
        }
    }

    #[test]
    fn unwrapping_needs_the_right_master_key_table_and_bytes() {
        let master = AeadKey::from_bytes([3; 32]);
        let data = AeadKey::from_bytes([4; 32]);
        let wrapped = wrap(5, ENCRYPTED, &data, &master).unwrap();
        assert_eq!(unwrap(5, ENCRYPTED, &wrapped, Some(&master), "t").unwrap(), data);
        let none = unwrap(5, ENCRYPTED, &wrapped, None, "\"t\"").unwrap_err();
        assert_eq!(none.sqlstate(), "55000");
        assert!(none.message().contains("no master key"), "{}", none.message());
        assert!(none.hint().unwrap().contains("--master-key-file"));
        let wrong = unwrap(5, ENCRYPTED, &wrapped, Some(&AeadKey::from_bytes([9; 32])), "t").unwrap_err();
        assert_eq!(wrong.sqlstate(), "55000");
        assert!(wrong.message().contains("not the one"), "{}", wrong.message());
        // Moved to another table's record, or its mode changed: no longer authenticates.
        assert_eq!(
            unwrap(6, ENCRYPTED, &wrapped, Some(&master), "t")
                .unwrap_err()
                .sqlstate(),
            "XX001"
        );
        assert_eq!(
            unwrap(5, ENCRYPTED | COMPRESSED, &wrapped, Some(&master), "t")
                .unwrap_err()
                .sqlstate(),
            "XX001"
        );
        let mut altered = wrapped.clone();
        altered.sealed[0] ^= 1;
        assert_eq!(
            unwrap(5, ENCRYPTED, &altered, Some(&master), "t")
                .unwrap_err()
                .sqlstate(),
            "XX001"
        );
    }
}
