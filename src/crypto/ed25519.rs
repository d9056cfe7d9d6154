//! Ed25519 (RFC 8032) keys, signatures and key files: the only door through which
//! `ed25519-dalek` enters Vellum. Callers hand in bytes and get bytes or verdicts back.
//!
//! Verification is strict (`verify_strict`: canonical encodings, no small-order keys), so a
//! signature that verifies here verifies under every RFC 8032 implementation, and one signer
//! cannot make a second valid signature for the same message out of a first (malleability).
//!
//! # Key file (format version 1)
//!
//! Written by `vellum keygen` and by `CREATE SIGNER ... GENERATE KEY`, read by `vellum sign`
//! and by the server at seal time. UTF-8 text, three lines, each ending in `\n`:
//!
//! ```text
//! vellum-ed25519-key v1
//! secret <64 lowercase hex digits: the 32-byte RFC 8032 private key (seed)>
//! public <64 lowercase hex digits: the 32-byte public key>
//! ```
//!
//! # Wrapped key file (format version 1)
//!
//! A server-held key when the server has a master key (`aead`'s master key file): the seed
//! encrypted under the master key, so a copied data directory does not give the key away.
//!
//! ```text
//! vellum-ed25519-key-wrapped v1
//! master <16 hex digits: the master key's fingerprint>
//! nonce <24 hex digits>
//! sealed <96 hex digits: AES-256-GCM(master key, nonce, AD, seed[32]) || tag[16]>
//! public <64 hex digits: the public key>
//! ```
//!
//! with AD = `"vellum signer key v1" || fingerprint[8] || public key[32]`.
//!
//! Files are created with mode 0600 (never world- or group-readable, even for a moment), and
//! a key file that group or others may read or write is refused on Unix, as ssh refuses one:
//! a private key others could copy proves nothing. The public line must be the key the seed
//! derives (a truncated or mixed-up file is refused rather than signing with the wrong key).

use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::aead::{random_nonce, AeadKey, NONCE_LEN, TAG_LEN};
use crate::error::{sqlstate, Error, Result};

/// Length of a public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of a signature.
pub const SIGNATURE_LEN: usize = 64;

/// First line of a key file.
const KEY_FILE_HEADER: &str = "vellum-ed25519-key v1";
/// First line of a wrapped key file.
const WRAPPED_HEADER: &str = "vellum-ed25519-key-wrapped v1";

/// An Ed25519 private key with its public key.
pub struct KeyPair(SigningKey);

impl KeyPair {
    /// A new key from the operating system's random generator.
    pub fn generate() -> Result<KeyPair> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| {
            Error::sql(
                sqlstate::IO_ERROR,
                format!("could not read the operating system's random number generator: {e}"),
            )
        })?;
        Ok(KeyPair::from_seed(&seed))
    }

    /// The key whose RFC 8032 private key (seed) is `seed`.
    pub fn from_seed(seed: &[u8; 32]) -> KeyPair {
        KeyPair(SigningKey::from_bytes(seed))
    }

    pub fn public_key(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.0.verifying_key().to_bytes()
    }

    /// The signature of `message` (deterministic, RFC 8032 §5.1.6).
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.0.sign(message).to_bytes()
    }

    /// The key file text (module docs).
    pub fn to_key_file(&self) -> String {
        format!(
            "{KEY_FILE_HEADER}\nsecret {}\npublic {}\n",
            hex(&self.0.to_bytes()),
            hex(&self.public_key())
        )
    }

    /// The wrapped key file text (module docs) of this key under `master`.
    pub fn to_wrapped_key_file(&self, master: &AeadKey) -> Result<String> {
        let fingerprint = master.fingerprint();
        let nonce = random_nonce()?;
        let public = self.public_key();
        let sealed = master.encrypt(&nonce, &wrap_ad(&fingerprint, &public), &self.0.to_bytes());
        Ok(format!(
            "{WRAPPED_HEADER}\nmaster {}\nnonce {}\nsealed {}\npublic {}\n",
            hex(&fingerprint),
            hex(&nonce),
            hex(&sealed),
            hex(&public)
        ))
    }

    /// Whether key file text is a wrapped key file.
    pub fn is_wrapped_key_file(text: &str) -> bool {
        text.lines().next() == Some(WRAPPED_HEADER)
    }

    /// Parses key file text of either kind; a wrapped one needs `master`, the key it is
    /// wrapped under (55000 without it or with another, 22023 when the text is damaged).
    pub fn from_any_key_file(text: &str, origin: &str, master: Option<&AeadKey>) -> Result<KeyPair> {
        if !KeyPair::is_wrapped_key_file(text) {
            return KeyPair::from_key_file(text, origin);
        }
        let bad = |why: &str| {
            Error::sql(
                sqlstate::INVALID_PARAMETER_VALUE,
                format!("{origin} is not a Vellum wrapped key file: {why}"),
            )
        };
        let mut fields = std::collections::HashMap::new();
        for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let (name, value) = line.split_once(' ').ok_or_else(|| bad("a line without a value"))?;
            let bytes = from_hex(value).ok_or_else(|| bad(&format!("\"{name}\" is not hex")))?;
            if fields.insert(name, bytes).is_some() {
                return Err(bad(&format!("\"{name}\" appears twice")));
            }
        }
        let mut field = |name: &str, len: usize| {
            fields
                .remove(name)
                .filter(|b| b.len() == len)
                .ok_or_else(|| bad(&format!("no \"{name}\" line of {} hex digits", 2 * len)))
        };
        let fingerprint = field("master", 8)?;
        let nonce = field("nonce", NONCE_LEN)?;
        let sealed = field("sealed", 32 + TAG_LEN)?;
        let public = field("public", PUBLIC_KEY_LEN)?;
        if !fields.is_empty() {
            return Err(bad("unexpected lines"));
        }
        let Some(master) = master.filter(|m| m.fingerprint()[..] == fingerprint[..]) else {
            return Err(Error::sql(
                sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!(
                    "{origin} is wrapped under master key {}, which is not configured",
                    hex(&fingerprint)
                ),
            ));
        };
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| bad("bad nonce"))?;
        let seed = master
            .decrypt(&nonce, &wrap_ad(&fingerprint, &public), &sealed)
            .and_then(|seed| <[u8; 32]>::try_from(seed).ok())
            .ok_or_else(|| bad("its sealed key does not authenticate under the master key"))?;
        let pair = KeyPair::from_seed(&seed);
        if pair.public_key()[..] != public[..] {
            return Err(bad("its public key is not the one its secret key derives"));
        }
        Ok(pair)
    }

    /// Parses key file text; 22023 naming `origin` when it is not a valid key file.
    pub fn from_key_file(text: &str, origin: &str) -> Result<KeyPair> {
        let bad = |why: &str| {
            Error::sql(
                sqlstate::INVALID_PARAMETER_VALUE,
                format!("{origin} is not a Vellum key file: {why}"),
            )
        };
        let mut lines = text.lines();
        if lines.next() != Some(KEY_FILE_HEADER) {
            return Err(bad(&format!("its first line is not \"{KEY_FILE_HEADER}\"")));
        }
        let mut field = |name: &str| -> Result<[u8; 32]> {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix(' '))
                .and_then(from_hex32)
                .ok_or_else(|| bad(&format!("no \"{name} <64 hex digits>\" line")))
        };
        let seed = field("secret")?;
        let public = field("public")?;
        if lines.any(|l| !l.trim().is_empty()) {
            return Err(bad("unexpected lines after the public key"));
        }
        let pair = KeyPair::from_seed(&seed);
        if pair.public_key() != public {
            return Err(bad("its public key is not the one its secret key derives"));
        }
        Ok(pair)
    }

    /// Writes a new key file at `path` with mode 0600, durably (its bytes and its directory
    /// entry); fails if the file exists.
    pub fn write_key_file(&self, path: &Path) -> Result<()> {
        write_new(path, &self.to_key_file())
    }

    /// Writes this key as a new wrapped key file under `master` at `path`, as `write_key_file`.
    pub fn write_wrapped_key_file(&self, path: &Path, master: &AeadKey) -> Result<()> {
        write_new(path, &self.to_wrapped_key_file(master)?)
    }

    /// Replaces the key file at `path` by this key wrapped under `master`, atomically (a new
    /// file renamed over it): the file holds either the old text or the new, never neither.
    pub fn rewrap_key_file(&self, path: &Path, master: &AeadKey) -> Result<()> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".new");
        let tmp = std::path::PathBuf::from(tmp);
        let _ = std::fs::remove_file(&tmp);
        write_new(&tmp, &self.to_wrapped_key_file(master)?)?;
        std::fs::rename(&tmp, path).map_err(|e| super::key_file::io_error("replace", "key file", path, &e))?;
        super::key_file::sync_dir_of(path, "key file")
    }

    /// Reads the key file (either kind) at `path`, refusing one that group or others may
    /// access; a wrapped one needs `master`.
    pub fn read_any_key_file(path: &Path, master: Option<&AeadKey>) -> Result<KeyPair> {
        let text = read_private(path)?;
        KeyPair::from_any_key_file(&text, &format!("\"{}\"", path.display()), master)
    }
}

fn wrap_ad(fingerprint: &[u8], public: &[u8]) -> Vec<u8> {
    let mut ad = b"vellum signer key v1".to_vec();
    ad.extend_from_slice(fingerprint);
    ad.extend_from_slice(public);
    ad
}

fn write_new(path: &Path, text: &str) -> Result<()> {
    super::key_file::write_new(path, text.as_bytes(), "key file")
}

impl KeyPair {
    /// Reads the key file at `path`, refusing one that group or others may access.
    pub fn read_key_file(path: &Path) -> Result<KeyPair> {
        let text = read_private(path)?;
        KeyPair::from_key_file(&text, &format!("\"{}\"", path.display()))
    }
}

/// The text of a key file, refusing one that group or others may access.
fn read_private(path: &Path) -> Result<String> {
    let bytes = super::key_file::read_private(path, "key file")?;
    String::from_utf8(bytes).map_err(|_| {
        Error::sql(
            sqlstate::INVALID_PARAMETER_VALUE,
            format!("key file \"{}\" is not text", path.display()),
        )
    })
}

/// Whether `signature` is `public_key`'s valid signature of `message` (strict RFC 8032
/// verification; a malformed key or signature is simply not valid).
pub fn verify(public_key: &[u8; PUBLIC_KEY_LEN], message: &[u8], signature: &[u8; SIGNATURE_LEN]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(public_key) else {
        return false;
    };
    key.verify_strict(message, &Signature::from_bytes(signature)).is_ok()
}

/// Whether `public_key` is a usable Ed25519 public key (a curve point that is not of small order).
pub fn is_valid_public_key(public_key: &[u8; PUBLIC_KEY_LEN]) -> bool {
    VerifyingKey::from_bytes(public_key).is_ok_and(|k| !k.is_weak())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn from_hex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_key_files_need_their_master_key() {
        let pair = KeyPair::from_seed(&[5; 32]);
        let master = AeadKey::from_bytes([6; 32]);
        let text = pair.to_wrapped_key_file(&master).unwrap();
        assert!(KeyPair::is_wrapped_key_file(&text));
        assert!(!text.contains(&hex(&[5; 32])), "seed in the clear");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "vellum-ed25519-key-wrapped v1");
        assert_eq!(lines[1], format!("master {}", hex(&master.fingerprint())));
        assert_eq!(lines[4], format!("public {}", hex(&pair.public_key())));
        let back = KeyPair::from_any_key_file(&text, "f", Some(&master)).unwrap();
        assert_eq!(back.public_key(), pair.public_key());
        assert_eq!(back.sign(b"m"), pair.sign(b"m"));
        let other = AeadKey::from_bytes([7; 32]);
        for master in [None, Some(&other)] {
            let err = KeyPair::from_any_key_file(&text, "f", master).err().unwrap();
            assert_eq!(err.sqlstate(), "55000");
        }
        // The sealed seed, or its public key, altered: refused.
        let mut sealed = lines.clone();
        let (head, last) = lines[3].split_at(lines[3].len() - 1);
        let flipped = format!("{head}{}", if last == "0" { "1" } else { "0" });
        sealed[3] = &flipped;
        let err = KeyPair::from_any_key_file(&sealed.join("\n"), "f", Some(&master))
            .err()
            .unwrap();
        assert_eq!(err.sqlstate(), "22023");
        let mut public = lines.clone();
        let other_public = format!("public {}", hex(&KeyPair::from_seed(&[8; 32]).public_key()));
        public[4] = &other_public;
        let err = KeyPair::from_any_key_file(&public.join("\n"), "f", Some(&master))
            .err()
            .unwrap();
        assert_eq!(err.sqlstate(), "22023");
        // Plain key files still read, with or without a master key.
        let plain = pair.to_key_file();
        assert_eq!(
            KeyPair::from_any_key_file(&plain, "f", Some(&master))
                .unwrap()
                .public_key(),
            pair.public_key()
        );
    }

    fn unhex<const N: usize>(text: &str) -> [u8; N] {
        let mut out = [0u8; N];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    /// RFC 8032 §7.1, TEST 2 (one-byte message 0x72).
    #[test]
    fn rfc8032_test_vector() {
        let pair = KeyPair::from_seed(&unhex(
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        ));
        let public: [u8; 32] = unhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
        assert_eq!(pair.public_key(), public);
        let expected: [u8; 64] = unhex(
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
             085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        );
        assert_eq!(pair.sign(&[0x72]), expected);
        assert!(verify(&public, &[0x72], &expected));
        assert!(!verify(&public, &[0x73], &expected));
        let mut forged = expected;
        forged[0] ^= 1;
        assert!(!verify(&public, &[0x72], &forged));
        assert!(is_valid_public_key(&public));
        // The identity point has small order: refused as a signer key.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(!is_valid_public_key(&identity));
    }

    #[test]
    fn key_files_round_trip_and_refuse_damage() {
        let pair = KeyPair::from_seed(&[7; 32]);
        let text = pair.to_key_file();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "vellum-ed25519-key v1");
        assert_eq!(lines[1], format!("secret {}", "07".repeat(32)));
        assert_eq!(lines[2], format!("public {}", hex(&pair.public_key())));
        let back = KeyPair::from_key_file(&text, "k").unwrap();
        assert_eq!(back.public_key(), pair.public_key());
        let other = KeyPair::from_seed(&[8; 32]);
        let mixed = format!("{}\n{}\npublic {}\n", lines[0], lines[1], hex(&other.public_key()));
        let err = KeyPair::from_key_file(&mixed, "k").err().unwrap();
        assert_eq!(err.sqlstate(), "22023");
        assert!(KeyPair::from_key_file("hello", "k").is_err());
        assert!(KeyPair::from_key_file(&text.replace("secret", "secrets"), "k").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn key_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.key");
        let pair = KeyPair::generate().unwrap();
        pair.write_key_file(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(KeyPair::read_key_file(&path).unwrap().public_key(), pair.public_key());
        // Never overwrites.
        assert!(pair.write_key_file(&path).is_err());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = KeyPair::read_key_file(&path).err().unwrap();
        assert_eq!(err.sqlstate(), "42501");
    }
}
