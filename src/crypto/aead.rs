//! AES-256-GCM (NIST SP 800-38D) with 96-bit nonces and 128-bit tags: what encrypts blockchain
//! tables at rest and wraps their data keys under the master key. The `aes-gcm` crate enters
//! Vellum only here.
//!
//! Callers choose the associated data (what a ciphertext is bound to: its storage key, its
//! table) and store the nonce beside the ciphertext; nonces are drawn at random for every
//! encryption, which keeps the chance of a repeat under one key negligible for far more
//! messages than one table's blocks and pending batches will ever number (NIST's 2^32 bound).
//!
//! # Master key file
//!
//! Written by `vellum master-key --out FILE`, read by `--master-key-file FILE`: the 32 key
//! bytes as 64 hex digits and a newline (a file of exactly 32 raw bytes is read too). Created
//! with mode 0600; a file group or others may access is refused on Unix, as for Ed25519 key
//! files. A key is named in messages by its fingerprint, the first 8 bytes of
//! `SHA-256("vellum master key fingerprint" || key)` in hex, which tells keys apart without
//! revealing them.
//!
//! ```
//! use vellum::crypto::aead::{AeadKey, NONCE_LEN};
//!
//! let key = AeadKey::from_bytes([7; 32]);
//! let nonce = [1u8; NONCE_LEN];
//! let sealed = key.encrypt(&nonce, b"table 5 block 1", b"rows");
//! assert_eq!(key.decrypt(&nonce, b"table 5 block 1", &sealed).as_deref(), Some(&b"rows"[..]));
//! assert_eq!(key.decrypt(&nonce, b"table 6 block 1", &sealed), None);
//! ```

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};

use crate::error::{sqlstate, Error, Result};

/// Bytes of a key.
/// How messages name a master key file.
const KIND: &str = "master key file";

pub const KEY_LEN: usize = 32;
/// Bytes of a nonce.
pub const NONCE_LEN: usize = 12;
/// Bytes of the authentication tag appended to every ciphertext.
pub const TAG_LEN: usize = 16;

/// An AES-256-GCM key. Its bytes never appear in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct AeadKey([u8; KEY_LEN]);

impl std::fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AeadKey(..)")
    }
}

impl AeadKey {
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> AeadKey {
        AeadKey(bytes)
    }

    /// A fresh key from the operating system's generator.
    pub fn generate() -> Result<AeadKey> {
        let mut bytes = [0u8; KEY_LEN];
        fill_random(&mut bytes)?;
        Ok(AeadKey(bytes))
    }

    /// The key's bytes (to wrap it under another key, or to write a key file).
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The key's fingerprint (module docs): 16 hex digits.
    pub fn fingerprint(&self) -> [u8; 8] {
        let digest = super::sha256_parts(&[b"vellum master key fingerprint", &self.0]);
        let mut out = [0u8; 8];
        out.copy_from_slice(&digest[..8]);
        out
    }

    /// The key in a master key file at `path` (module docs), refusing a file that group or
    /// others may access.
    pub fn read_key_file(path: &Path) -> Result<AeadKey> {
        let bytes = super::key_file::read_private(path, KIND)?;
        if let Ok(raw) = <[u8; KEY_LEN]>::try_from(bytes.as_slice()) {
            return Ok(AeadKey(raw));
        }
        let text = String::from_utf8_lossy(&bytes);
        let digits = text.trim();
        let mut key = [0u8; KEY_LEN];
        let valid = digits.len() == 2 * KEY_LEN
            && digits.is_ascii()
            && key.iter_mut().enumerate().all(|(i, b)| {
                u8::from_str_radix(&digits[2 * i..2 * i + 2], 16)
                    .map(|v| *b = v)
                    .is_ok()
            });
        if !valid {
            return Err(Error::sql(
                sqlstate::INVALID_PARAMETER_VALUE,
                format!(
                    "master key file \"{}\" must hold a 32-byte key: 64 hex digits, or the 32 raw bytes",
                    path.display()
                ),
            ));
        }
        Ok(AeadKey(key))
    }

    /// Writes this key as a new master key file at `path` with mode 0600, durably (its bytes
    /// and its directory entry); fails if the file exists.
    pub fn write_key_file(&self, path: &Path) -> Result<()> {
        let text: String = self
            .0
            .iter()
            .map(|b| format!("{b:02x}"))
            .chain(["\n".to_string()])
            .collect();
        super::key_file::write_new(path, text.as_bytes(), KIND)
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0))
    }

    /// `plaintext` encrypted under `nonce`, bound to `aad`: ciphertext followed by the tag
    /// (`plaintext.len() + TAG_LEN` bytes).
    pub fn encrypt(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        self.cipher()
            .encrypt(Nonce::from_slice(nonce), Payload { msg: plaintext, aad })
            // aes-gcm fails only for inputs beyond 2^36 bytes, which no stored value reaches.
            .unwrap_or_default()
    }

    /// The plaintext of `sealed` (ciphertext followed by tag); `None` when the tag does not
    /// authenticate it under this key, nonce and `aad` (wrong key, altered or moved bytes).
    pub fn decrypt(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < TAG_LEN {
            return None;
        }
        self.cipher()
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
            .ok()
    }
}

/// A fresh random nonce.
pub fn random_nonce() -> Result<[u8; NONCE_LEN]> {
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut nonce)?;
    Ok(nonce)
}

fn fill_random(bytes: &mut [u8]) -> Result<()> {
    getrandom::fill(bytes).map_err(|e| {
        Error::sql(
            sqlstate::IO_ERROR,
            format!("could not read the operating system's random number generator: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Test case 14 of the GCM specification (McGrew & Viega, "The Galois/Counter Mode of
    /// Operation", appendix B): AES-256, zero key, zero IV, one zero block.
    #[test]
    fn gcm_spec_test_case_14() {
        let key = AeadKey::from_bytes([0; 32]);
        let sealed = key.encrypt(&[0; 12], b"", &[0; 16]);
        assert_eq!(
            sealed,
            unhex("cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919")
        );
        assert_eq!(key.decrypt(&[0; 12], b"", &sealed).unwrap(), vec![0; 16]);
    }

    /// Test case 16 of the same appendix: AES-256 with associated data.
    #[test]
    fn gcm_spec_test_case_16() {
        let key: [u8; 32] = unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
            .try_into()
            .unwrap();
        let nonce: [u8; 12] = unhex("cafebabefacedbaddecaf888").try_into().unwrap();
        let plaintext = unhex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        );
        let aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let expected = unhex(
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662\
             76fc6ece0f4e1768cddf8853bb2d551b",
        );
        let key = AeadKey::from_bytes(key);
        assert_eq!(key.encrypt(&nonce, &aad, &plaintext), expected);
        assert_eq!(key.decrypt(&nonce, &aad, &expected).unwrap(), plaintext);
    }

    #[test]
    fn altered_bytes_other_keys_and_other_aad_do_not_open() {
        let key = AeadKey::generate().unwrap();
        let nonce = random_nonce().unwrap();
        let sealed = key.encrypt(&nonce, b"ad", b"secret");
        assert_eq!(sealed.len(), 6 + TAG_LEN);
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert_eq!(key.decrypt(&nonce, b"ad", &bad), None, "flip at {i}");
        }
        assert_eq!(AeadKey::generate().unwrap().decrypt(&nonce, b"ad", &sealed), None);
        assert_eq!(key.decrypt(&nonce, b"ae", &sealed), None);
        assert_eq!(key.decrypt(&[0; 12], b"ad", &sealed), None);
        assert_eq!(key.decrypt(&nonce, b"ad", &sealed[..TAG_LEN - 1]), None);
        assert_eq!(format!("{key:?}"), "AeadKey(..)");
    }

    #[test]
    fn key_files_round_trip_hex_or_raw_and_refuse_open_modes() {
        let dir = tempfile::tempdir().unwrap();
        let key = AeadKey::from_bytes(core::array::from_fn(|i| i as u8));
        let path = dir.path().join("master.key");
        key.write_key_file(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
        );
        assert_eq!(AeadKey::read_key_file(&path).unwrap(), key);
        assert!(
            key.write_key_file(&path).is_err(),
            "an existing file is never overwritten"
        );
        let raw = dir.path().join("raw.key");
        write_private(&raw, key.as_bytes());
        assert_eq!(AeadKey::read_key_file(&raw).unwrap(), key);
        let short = dir.path().join("short.key");
        write_private(&short, b"0001020304");
        assert_eq!(AeadKey::read_key_file(&short).unwrap_err().sqlstate(), "22023");
        let bad = dir.path().join("bad.key");
        write_private(&bad, "zz".repeat(32).as_bytes());
        assert_eq!(AeadKey::read_key_file(&bad).unwrap_err().sqlstate(), "22023");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
            assert_eq!(AeadKey::read_key_file(&path).unwrap_err().sqlstate(), "42501");
        }
        assert_eq!(
            AeadKey::read_key_file(&dir.path().join("missing"))
                .unwrap_err()
                .sqlstate(),
            "58030"
        );
        // Fingerprints tell keys apart and are not the key's own bytes.
        assert_ne!(key.fingerprint(), AeadKey::from_bytes([0; 32]).fingerprint());
        assert_ne!(&key.fingerprint()[..], &key.as_bytes()[..8]);
    }

    fn write_private(path: &Path, bytes: &[u8]) {
        super::super::key_file::write_new(path, bytes, "test key file").unwrap();
    }
}
