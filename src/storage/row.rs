//! The row format: versioned and type-tagged, deterministic (no platform-width integers, no map
//! order), so the same bytes serve for storage and as the canonical bytes rows are hashed over.

use crate::error::Result;
use crate::types::Value;

/// Current row format version (first byte of every encoded row).
pub const ROW_FORMAT_VERSION: u8 = 1;

/// Appends the encoding of `row` to `out`.
pub fn encode_row(row: &[Value], out: &mut Vec<u8>) {
    let _ = (row, out);
    todo!("storage::row::encode_row")
}

/// Decodes a row; unknown version or tag → `Error::Corrupted`.
pub fn decode_row(bytes: &[u8]) -> Result<Vec<Value>> {
    let _ = bytes;
    todo!("storage::row::decode_row")
}
