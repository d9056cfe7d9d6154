//! Cryptographic primitives, each behind one small API: SHA-256 (the only hash Vellum uses, for
//! block and row hashes and for SCRAM), SCRAM-SHA-256 password verifiers and exchanges,
//! Ed25519 keys and signatures (block signatures, key files), and AES-256-GCM (encryption at
//! rest, data keys wrapped under the master key).
//!
//! Nothing here knows SQL, storage or the wire protocol; callers hand in bytes and get bytes or
//! verdicts back. The `sha2`, `hmac`, `pbkdf2`, `base64`, `ed25519-dalek` and `aes-gcm` crates
//! enter Vellum only here.

/// AES-256-GCM keys, encryption and decryption.
pub mod aead;
/// Ed25519 keys, signatures and key files.
pub mod ed25519;
/// SHA-256 digests.
mod hash;
/// Private key files: created 0600, refused when others may read them.
mod key_file;
/// Operating-system randomness.
mod random;
/// SCRAM-SHA-256 (RFC 5802 / RFC 7677): password verifiers and the server side of the exchange.
pub mod scram;

pub use hash::{sha256, sha256_parts, Sha256, DIGEST_LEN};
pub use random::random_u64;
