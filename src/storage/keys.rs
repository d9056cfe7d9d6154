//! Every key prefix of the keyspace, and an order-preserving encoding of values in keys.
//!
//! Layout (all integers big-endian so byte order is numeric order):
//!
//! ```text
//! 0x01 'c' object_id:u32            catalog record of table/index/view `object_id`
//! 0x01 'm' name bytes               catalog metadata (format version, counters)
//! 0x10 table_id:u32 key_bytes       one row; key_bytes = encoded primary key, or row id (u64)
//! 0x11 index_id:u32 key_bytes [pk]  one secondary-index entry; value = the row's key_bytes
//! ```

use crate::error::Result;
use crate::types::Value;

pub const CATALOG_PREFIX: &[u8] = &[0x01, b'c'];
pub const META_PREFIX: &[u8] = &[0x01, b'm'];
pub const ROW_TAG: u8 = 0x10;
pub const INDEX_TAG: u8 = 0x11;

/// Prefix of every row of table `table_id`.
pub fn table_prefix(table_id: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(5);
    k.push(ROW_TAG);
    k.extend_from_slice(&table_id.to_be_bytes());
    k
}

/// Prefix of every entry of index `index_id`.
pub fn index_prefix(index_id: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(5);
    k.push(INDEX_TAG);
    k.extend_from_slice(&index_id.to_be_bytes());
    k
}

/// Key of catalog object `id`.
pub fn catalog_key(id: u32) -> Vec<u8> {
    let mut k = CATALOG_PREFIX.to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// Appends an order-preserving, self-delimiting encoding of `values` to `out`: for values of
/// the same type family, byte order equals SQL order (NULL sorts last, as in PostgreSQL's
/// ASC NULLS LAST). All integer widths encode alike (so int4 5 and int8 5 give the same key);
/// so do float4/float8; NUMERIC encodes by value (1.0 and 1.00 give the same key).
pub fn encode_key(values: &[Value], out: &mut Vec<u8>) -> Result<()> {
    let _ = (values, out);
    todo!("storage::keys::encode_key")
}

/// The smallest byte string greater than every key starting with `prefix` (for range ends).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}
