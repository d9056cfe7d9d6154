//! The at-rest envelope of a stored chain payload (a sealed block body, 0x20, or a pending
//! batch, 0x22) of a table created with `compression = 'ZSTD'` or `encryption = 'TDE'`: the
//! payload zstd-compressed, AES-256-GCM-encrypted, or both, behind a small versioned head.
//! Pure functions over bytes; `at_rest` decides which tables use it and holds the keys. The
//! `zstd` crate enters Vellum only here.
//!
//! Hashes never see the envelope: leaves, Merkle roots and running hashes are over the
//! plaintext canonical rows (ledger-format §1-§3), so a payload is opened before anything
//! reads or verifies it, and what verification checks is exactly what SELECT returns.
//!
//! # Layout (envelope version 1; ledger-format §11)
//!
//! ```text
//! offset size field
//!      0    1 ENVELOPE_TAG (= 0xE5); a plain body or batch starts with its format version (1)
//!      1    1 ENVELOPE_VERSION (= 1)
//!      2    1 flags: 0x01 COMPRESSED (zstd frame), 0x02 ENCRYPTED (AES-256-GCM); others 0
//!      3    4 plain_len u32 LE: length of the payload once opened
//!      7      if ENCRYPTED: nonce[12], then ciphertext of `inner` followed by its 16-byte tag
//!             else: `inner`
//! inner := zstd frame of the payload if COMPRESSED, else the payload
//! AD    := "vellum at-rest v1" ++ bytes 0..7 ++ the payload's storage key (tag, table id,
//!          block id or first seq), so a ciphertext moved to another block, batch or table,
//!          or a changed head, does not decrypt
//! ```
//!
//! Payloads of ordinary tables have no envelope (their bytes are unchanged from before
//! envelopes existed), and a compressed-only table stores a body plain when zstd does not
//! make it smaller: the first byte tells which.
//!
//! ```
//! use vellum::crypto::aead::AeadKey;
//! use vellum::ledger::envelope::{open, seal};
//!
//! let body = b"\x01 some rows, some rows, some rows, some rows".to_vec();
//! let key = AeadKey::from_bytes([9; 32]);
//! let stored = seal(body.clone(), true, Some(&key), b"\x20 table 7, block 1").unwrap();
//! assert_ne!(stored, body);
//! let opened = open(&stored, || Ok(key.clone()), b"\x20 table 7, block 1").unwrap();
//! assert_eq!(opened, body);
//! assert!(open(&stored, || Ok(key.clone()), b"\x20 table 7, block 2").is_err());
//! ```

use std::io::Read;

use crate::crypto::aead::{random_nonce, AeadKey, NONCE_LEN};
use crate::error::{sqlstate, Error, Result};

/// First byte of an envelope.
pub const ENVELOPE_TAG: u8 = 0xE5;
/// Second byte of an envelope.
pub const ENVELOPE_VERSION: u8 = 1;
/// Flag: `inner` is a zstd frame.
pub const COMPRESSED: u8 = 0x01;
/// Flag: `inner` is AES-256-GCM encrypted.
pub const ENCRYPTED: u8 = 0x02;
/// Bytes before `inner` (or before the nonce).
pub const HEAD_LEN: usize = 7;
/// zstd's default level: most of the ratio of higher levels at a fraction of their time.
const ZSTD_LEVEL: i32 = 3;
/// Domain separation of the associated data.
const AD_PREFIX: &[u8] = b"vellum at-rest v1";

/// Whether stored bytes are an envelope (else they are a plain payload).
pub fn is_envelope(stored: &[u8]) -> bool {
    stored.first() == Some(&ENVELOPE_TAG)
}

/// The flags of an envelope (`None` for a plain payload or a truncated head).
pub fn flags(stored: &[u8]) -> Option<u8> {
    if is_envelope(stored) {
        stored.get(2).copied()
    } else {
        None
    }
}

fn associated_data(head: &[u8], at: &[u8]) -> Vec<u8> {
    let mut ad = Vec::with_capacity(AD_PREFIX.len() + head.len() + at.len());
    ad.extend_from_slice(AD_PREFIX);
    ad.extend_from_slice(head);
    ad.extend_from_slice(at);
    ad
}

/// The stored form of `payload`, kept under storage key `at`: compressed when `compress` and
/// zstd makes it smaller, encrypted when `key` is given. Without either it is `payload`
/// itself (no envelope).
pub fn seal(payload: Vec<u8>, compress: bool, key: Option<&AeadKey>, at: &[u8]) -> Result<Vec<u8>> {
    let mut flags = 0u8;
    let mut inner = payload;
    let plain_len = inner.len();
    if compress {
        let packed = zstd::bulk::compress(&inner, ZSTD_LEVEL)
            .map_err(|e| Error::bug(format!("zstd could not compress a block body: {e}")))?;
        if packed.len() < inner.len() {
            inner = packed;
            flags |= COMPRESSED;
        }
    }
    if flags == 0 && key.is_none() {
        return Ok(inner);
    }
    let plain_len = u32::try_from(plain_len).map_err(|_| {
        Error::sql(
            sqlstate::PROGRAM_LIMIT_EXCEEDED,
            "a block body of 4 GB or more cannot be compressed or encrypted",
        )
    })?;
    if key.is_some() {
        flags |= ENCRYPTED;
    }
    let mut out = Vec::with_capacity(HEAD_LEN + NONCE_LEN + inner.len() + 16);
    out.push(ENVELOPE_TAG);
    out.push(ENVELOPE_VERSION);
    out.push(flags);
    out.extend_from_slice(&plain_len.to_le_bytes());
    match key {
        Some(key) => {
            let nonce = random_nonce()?;
            let sealed = key.encrypt(&nonce, &associated_data(&out, at), &inner);
            out.extend_from_slice(&nonce);
            out.extend_from_slice(&sealed);
        }
        None => out.extend_from_slice(&inner),
    }
    Ok(out)
}

/// The payload held by stored bytes `stored` found under storage key `at`: plain bytes are
/// returned as they are; an envelope is decrypted (with the key `key` yields, asked only for
/// encrypted envelopes; its errors are returned as they are) and decompressed. An envelope
/// that does not open (altered, moved, or under another key) is `Corrupted`.
pub fn open(stored: &[u8], key: impl FnOnce() -> Result<AeadKey>, at: &[u8]) -> Result<Vec<u8>> {
    if !is_envelope(stored) {
        return Ok(stored.to_vec());
    }
    let corrupt = |reason: &str| Error::corrupted(format!("stored payload under key {}", hex(at)), reason.to_string());
    let head = stored
        .get(..HEAD_LEN)
        .ok_or_else(|| corrupt("truncated envelope head"))?;
    if head[1] != ENVELOPE_VERSION {
        return Err(corrupt(&format!("unknown envelope version {}", head[1])));
    }
    let flags = head[2];
    if flags & !(COMPRESSED | ENCRYPTED) != 0 || flags == 0 {
        return Err(corrupt(&format!("bad envelope flags {flags:#04x}")));
    }
    let plain_len = u32::from_le_bytes([head[3], head[4], head[5], head[6]]) as usize;
    let rest = &stored[HEAD_LEN..];
    let decrypted;
    let inner: &[u8] = if flags & ENCRYPTED != 0 {
        let nonce: [u8; NONCE_LEN] = rest
            .get(..NONCE_LEN)
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| corrupt("truncated nonce"))?;
        let key = key()?;
        decrypted = key
            .decrypt(&nonce, &associated_data(head, at), &rest[NONCE_LEN..])
            .ok_or_else(|| corrupt("its AES-256-GCM tag does not authenticate it (altered or moved bytes)"))?;
        &decrypted
    } else {
        rest
    };
    let payload = if flags & COMPRESSED != 0 {
        decompress(inner, plain_len).map_err(|reason| corrupt(&reason))?
    } else {
        inner.to_vec()
    };
    if payload.len() != plain_len {
        return Err(corrupt(&format!(
            "opens to {} bytes, its head says {plain_len}",
            payload.len()
        )));
    }
    Ok(payload)
}

/// Decompresses a zstd frame into at most `limit` bytes (one more is read to tell an
/// over-long frame, so stored bytes never drive an allocation beyond what they decode to).
fn decompress(frame: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let decoder = zstd::stream::read::Decoder::new(frame).map_err(|e| format!("zstd: {e}"))?;
    let mut out = Vec::new();
    decoder
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("zstd: {e}"))?;
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> Vec<u8> {
        let mut b = vec![1u8, 50, 0, 0, 0];
        for i in 0..50u32 {
            let row = format!("row {i:04} of a repetitive block body, padded with words");
            b.extend_from_slice(&(row.len() as u32).to_le_bytes());
            b.extend_from_slice(row.as_bytes());
        }
        b
    }

    const AT: &[u8] = &[0x20, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1];

    fn key() -> AeadKey {
        AeadKey::from_bytes([0x42; 32])
    }

    fn no_key() -> Result<AeadKey> {
        Err(Error::sql(sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE, "no key"))
    }

    #[test]
    fn plain_payloads_have_no_envelope() {
        assert_eq!(seal(body(), false, None, AT).unwrap(), body());
        assert_eq!(open(&body(), no_key, AT).unwrap(), body());
        // Incompressible bytes of a compressed-only table stay plain.
        let noise: Vec<u8> = (0..64u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 1)
            .collect();
        let mut noisy = vec![1u8];
        noisy.extend_from_slice(&noise);
        assert_eq!(seal(noisy.clone(), true, None, AT).unwrap(), noisy);
    }

    #[test]
    fn compressed_round_trip_and_layout() {
        let stored = seal(body(), true, None, AT).unwrap();
        assert!(stored.len() < body().len() / 2, "{} of {}", stored.len(), body().len());
        assert_eq!(&stored[..3], &[0xE5, 1, COMPRESSED]);
        assert_eq!(&stored[3..7], &(body().len() as u32).to_le_bytes());
        // The rest is a standard zstd frame: its magic number 0xFD2FB528, little-endian.
        assert_eq!(&stored[7..11], &[0x28, 0xB5, 0x2F, 0xFD]);
        assert_eq!(open(&stored, no_key, AT).unwrap(), body());
        // Compression alone binds nothing to the key: another place opens it too.
        assert_eq!(open(&stored, no_key, b"elsewhere").unwrap(), body());
    }

    #[test]
    fn encrypted_round_trip_and_layout() {
        for compress in [false, true] {
            let stored = seal(body(), compress, Some(&key()), AT).unwrap();
            let flags = if compress { COMPRESSED | ENCRYPTED } else { ENCRYPTED };
            assert_eq!(&stored[..3], &[0xE5, 1, flags]);
            assert_eq!(flags_of(&stored), flags);
            assert!(!stored.windows(8).any(|w| w == b"row 0001"), "plaintext visible");
            assert_eq!(open(&stored, || Ok(key()), AT).unwrap(), body());
            if !compress {
                assert_eq!(stored.len(), HEAD_LEN + NONCE_LEN + body().len() + 16);
            }
            // Two seals of the same payload differ (fresh nonce) and both open.
            let again = seal(body(), compress, Some(&key()), AT).unwrap();
            assert_ne!(again, stored);
            assert_eq!(open(&again, || Ok(key()), AT).unwrap(), body());
        }
    }

    fn flags_of(stored: &[u8]) -> u8 {
        flags(stored).unwrap()
    }

    #[test]
    fn tampering_is_corruption() {
        let stored = seal(body(), true, Some(&key()), AT).unwrap();
        for i in 1..stored.len() {
            let mut bad = stored.clone();
            bad[i] ^= 0x04;
            let err = open(&bad, || Ok(key()), AT).unwrap_err();
            assert_eq!(err.sqlstate(), "XX001", "flip at byte {i}");
        }
        assert_eq!(open(&stored[..5], || Ok(key()), AT).unwrap_err().sqlstate(), "XX001");
        assert_eq!(open(&stored[..12], || Ok(key()), AT).unwrap_err().sqlstate(), "XX001");
        let compressed = seal(body(), true, None, AT).unwrap();
        let mut cut = compressed.clone();
        cut.truncate(cut.len() - 3);
        assert_eq!(open(&cut, no_key, AT).unwrap_err().sqlstate(), "XX001");
        let mut long = compressed.clone();
        long[3..7].copy_from_slice(&(body().len() as u32 - 1).to_le_bytes());
        assert_eq!(open(&long, no_key, AT).unwrap_err().sqlstate(), "XX001");
    }

    #[test]
    fn the_wrong_key_or_place_does_not_open() {
        let stored = seal(body(), false, Some(&key()), AT).unwrap();
        let other = AeadKey::from_bytes([0x43; 32]);
        assert_eq!(open(&stored, || Ok(other), AT).unwrap_err().sqlstate(), "XX001");
        // Another block of the same table, the same block of another table, a pending batch.
        for at in [
            &[0x20, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 2][..],
            &[0x20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1][..],
            &[0x22, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1][..],
        ] {
            assert_eq!(open(&stored, || Ok(key()), at).unwrap_err().sqlstate(), "XX001");
        }
        // Without a key, the key's own error is what the reader sees.
        assert_eq!(open(&stored, no_key, AT).unwrap_err().sqlstate(), "55000");
    }
}
