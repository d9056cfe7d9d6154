//! The canonical bytes of a blockchain table's definition, and their hash: the genesis block's
//! Merkle root, compared with the catalog by verification so a changed definition is caught.
//!
//! Our own encoding, not a serde format: every integer has a fixed width and byte order, every
//! list a fixed order, every type and option a tag. Nothing depends on the catalog's storage
//! codec, on map iteration order or on the platform's `usize`.
//!
//! # Layout (format version 1)
//!
//! ```text
//! definition  := version:u8 (= 1)  name:str
//!                column_count:u32  column{column_count}
//!                primary_key  uniques  checks  options
//! str         := len:u32 LE, UTF-8 bytes
//! opt_str     := 0x00 | 0x01 str
//! column      := name:str  type  nullable:u8 (0 NOT NULL, 1 nullable)  default:opt_str
//! type        := tag:u8 payload
//!    tag type         payload
//!     1  boolean      —
//!     2  smallint     —
//!     3  integer      —
//!     4  bigint       —
//!     5  real         —
//!     6  double       —
//!     7  numeric      0x00 (unconstrained) | 0x01 precision:u32 scale:u32
//!     8  text         —
//!     9  varchar      0x00 | 0x01 length:u32
//!    10  char         0x00 | 0x01 length:u32
//!    11  bytea        —
//!    12  date         —
//!    13  time         —
//!    14  timestamp    —
//!    15  timestamptz  —
//!    16  interval     —
//!    17  jsonb        —
//!    18  uuid         —
//!    19  array        element type
//! primary_key := 0x00 | 0x01 constraint_name:str count:u32 column_position:u32{count}
//! uniques     := count:u32 (constraint_name:str count:u32 column_position:u32{count}){count}
//!                sorted by constraint name
//! checks      := count:u32 (name:str expression:str){count}, in the catalog's order
//!                (constraint order as written)
//! options     := count:u32 (tag:u8 value){count}, tags ascending, every option present
//!    tag option               value
//!     1  block_size           u32
//!     2  block_seal_interval  interval
//!     3  hash_algorithm       str (upper case)
//!     4  enable_merkle_tree   u8 (0|1)
//!     5  purge_policy         str (lower case)
//!     6  retention_period     0x00 | 0x01 interval
//!     7  retention_blocks     0x00 | 0x01 u64
//!     8  max_total_size       0x00 | 0x01 u64 (bytes)
//!     9  compliance_rules     count:u32 str{count} (sorted)
//!    10  purge_function       opt_str
//!    11  required_signatures  u32
//!    12  authorized_signers   count:u32 key[32]{count} (order as given)
//!    13  compression          str (lower case)
//!    14  encryption           u8 (0|1)
//!    15  tde_algorithm        opt_str
//! interval    := months:i32 LE  days:i32 LE  micros:i64 LE
//! ```
//!
//! All integers are little-endian. Defaults and CHECK expressions are the SQL text the catalog
//! keeps. The catalog's object id is not part of the definition: it is an internal detail,
//! and the table's identity is bound by its own chain (the genesis hash).

use crate::catalog::{BlockchainOptions, IndexDef, TableDef};
use crate::crypto::sha256;
use crate::error::{Error, Result};
use crate::types::{DataType, Interval};

use super::merkle::Hash;

/// First byte of the canonical definition.
pub const DEFINITION_FORMAT_VERSION: u8 = 1;

/// The canonical bytes of `table` (a blockchain table) with its UNIQUE constraints (`indexes`
/// may hold any of the table's indexes; only constraint ones are part of the definition).
pub fn definition_bytes(table: &TableDef, indexes: &[IndexDef]) -> Result<Vec<u8>> {
    let options = table
        .blockchain_options()
        .ok_or_else(|| Error::bug(format!("definition of \"{}\", not a blockchain table", table.name)))?;
    let mut out = Vec::with_capacity(256);
    out.push(DEFINITION_FORMAT_VERSION);
    put_str(&table.name, &mut out);
    put_count(table.columns.len(), &mut out);
    for column in &table.columns {
        put_str(&column.name, &mut out);
        put_type(&column.data_type, &mut out)?;
        out.push(u8::from(column.nullable));
        put_opt_str(column.default.as_deref(), &mut out);
    }
    match (&table.primary_key, &table.primary_key_name) {
        (Some(columns), name) => {
            out.push(1);
            put_str(name.as_deref().unwrap_or(""), &mut out);
            put_positions(columns, &mut out);
        }
        (None, _) => out.push(0),
    }
    let mut uniques: Vec<&IndexDef> = indexes
        .iter()
        .filter(|i| i.table_id == table.id && i.constraint)
        .collect();
    uniques.sort_by(|a, b| a.name.cmp(&b.name));
    put_count(uniques.len(), &mut out);
    for unique in uniques {
        put_str(&unique.name, &mut out);
        put_positions(&unique.columns, &mut out);
    }
    put_count(table.checks.len(), &mut out);
    for check in &table.checks {
        put_str(&check.name, &mut out);
        put_str(&check.expr, &mut out);
    }
    put_options(options, &mut out);
    Ok(out)
}

/// SHA-256 of the canonical definition: the genesis block's Merkle root.
pub fn definition_hash(table: &TableDef, indexes: &[IndexDef]) -> Result<Hash> {
    Ok(sha256(&definition_bytes(table, indexes)?))
}

fn put_u32(n: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(&n.to_le_bytes());
}

/// Counts and lengths are u32; catalog objects are far below 4 G items, and a clamp keeps the
/// encoder total (a clamped count could only make a definition fail to match itself later).
fn put_count(n: usize, out: &mut Vec<u8>) {
    put_u32(u32::try_from(n).unwrap_or(u32::MAX), out);
}

fn put_str(s: &str, out: &mut Vec<u8>) {
    put_count(s.len(), out);
    out.extend_from_slice(s.as_bytes());
}

fn put_opt_str(s: Option<&str>, out: &mut Vec<u8>) {
    match s {
        Some(s) => {
            out.push(1);
            put_str(s, out);
        }
        None => out.push(0),
    }
}

fn put_positions(columns: &[usize], out: &mut Vec<u8>) {
    put_count(columns.len(), out);
    for &c in columns {
        put_count(c, out);
    }
}

fn put_opt_u32(n: Option<u32>, out: &mut Vec<u8>) {
    match n {
        Some(n) => {
            out.push(1);
            put_u32(n, out);
        }
        None => out.push(0),
    }
}

fn put_interval(iv: &Interval, out: &mut Vec<u8>) {
    out.extend_from_slice(&iv.months.to_le_bytes());
    out.extend_from_slice(&iv.days.to_le_bytes());
    out.extend_from_slice(&iv.micros.to_le_bytes());
}

fn put_type(data_type: &DataType, out: &mut Vec<u8>) -> Result<()> {
    // Exhaustive on purpose: a new SQL type must be given a tag here before it can be used
    // in a blockchain table.
    let tag = match data_type {
        DataType::Unknown => return Err(Error::bug("column of type unknown in a table definition")),
        DataType::Bool => 1,
        DataType::Int2 => 2,
        DataType::Int4 => 3,
        DataType::Int8 => 4,
        DataType::Float4 => 5,
        DataType::Float8 => 6,
        DataType::Numeric(typmod) => {
            out.push(7);
            match typmod {
                Some((precision, scale)) => {
                    out.push(1);
                    put_u32(*precision, out);
                    put_u32(*scale, out);
                }
                None => out.push(0),
            }
            return Ok(());
        }
        DataType::Text => 8,
        DataType::Varchar(n) => {
            out.push(9);
            put_opt_u32(*n, out);
            return Ok(());
        }
        DataType::Char(n) => {
            out.push(10);
            put_opt_u32(*n, out);
            return Ok(());
        }
        DataType::Bytea => 11,
        DataType::Date => 12,
        DataType::Time => 13,
        DataType::Timestamp => 14,
        DataType::TimestampTz => 15,
        DataType::Interval => 16,
        DataType::Jsonb => 17,
        DataType::Uuid => 18,
        DataType::Array(element) => {
            out.push(19);
            return put_type(element, out);
        }
    };
    out.push(tag);
    Ok(())
}

fn put_options(o: &BlockchainOptions, out: &mut Vec<u8>) {
    put_u32(15, out);
    out.push(1);
    put_u32(o.block_size, out);
    out.push(2);
    put_interval(&o.block_seal_interval, out);
    out.push(3);
    put_str(&o.hash_algorithm, out);
    out.push(4);
    out.push(u8::from(o.enable_merkle_tree));
    out.push(5);
    put_str(&o.purge_policy, out);
    out.push(6);
    match &o.retention_period {
        Some(iv) => {
            out.push(1);
            put_interval(iv, out);
        }
        None => out.push(0),
    }
    for (tag, value) in [(7, o.retention_blocks), (8, o.max_total_size)] {
        out.push(tag);
        match value {
            Some(n) => {
                out.push(1);
                out.extend_from_slice(&n.to_le_bytes());
            }
            None => out.push(0),
        }
    }
    out.push(9);
    let mut rules: Vec<&String> = o.compliance_rules.iter().collect();
    rules.sort();
    put_count(rules.len(), out);
    for rule in rules {
        put_str(rule, out);
    }
    out.push(10);
    put_opt_str(o.purge_function.as_deref(), out);
    out.push(11);
    put_u32(o.required_signatures, out);
    out.push(12);
    put_count(o.authorized_signers.len(), out);
    for key in &o.authorized_signers {
        out.extend_from_slice(key);
    }
    out.push(13);
    put_str(&o.compression, out);
    out.push(14);
    out.push(u8::from(o.encryption));
    out.push(15);
    put_opt_str(o.tde_algorithm.as_deref(), out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{CheckDef, ColumnDef, TableKind};

    pub(crate) fn sample() -> TableDef {
        TableDef {
            id: 5,
            name: "t".into(),
            columns: vec![
                ColumnDef {
                    name: "id".into(),
                    data_type: DataType::Int4,
                    nullable: false,
                    default: None,
                },
                ColumnDef {
                    name: "v".into(),
                    data_type: DataType::Varchar(Some(10)),
                    nullable: true,
                    default: Some("'x'".into()),
                },
            ],
            primary_key: Some(vec![0]),
            primary_key_name: Some("t_pkey".into()),
            checks: vec![CheckDef {
                name: "t_id_check".into(),
                expr: "id > 0".into(),
            }],
            kind: TableKind::Blockchain(Box::default()),
        }
    }

    #[test]
    fn layout_of_the_leading_fields() {
        let bytes = definition_bytes(&sample(), &[]).unwrap();
        // version, name "t", 2 columns, "id" int4 NOT NULL no default, "v" varchar(10) ...
        let expected_prefix: &[u8] = &[
            1, 1, 0, 0, 0, b't', 2, 0, 0, 0, 2, 0, 0, 0, b'i', b'd', 3, 0, 0, 1, 0, 0, 0, b'v', 9, 1, 10, 0, 0, 0, 1,
            1, 3, 0, 0, 0, b'\'', b'x', b'\'',
        ];
        assert_eq!(&bytes[..expected_prefix.len()], expected_prefix);
    }

    #[test]
    fn every_part_changes_the_hash() {
        let base = definition_hash(&sample(), &[]).unwrap();
        let mut changed = Vec::new();
        let mut t = sample();
        t.name = "u".into();
        changed.push(t);
        let mut t = sample();
        t.columns[1].data_type = DataType::Varchar(Some(11));
        changed.push(t);
        let mut t = sample();
        t.columns[1].nullable = false;
        changed.push(t);
        let mut t = sample();
        t.columns[1].default = None;
        changed.push(t);
        let mut t = sample();
        t.primary_key = None;
        changed.push(t);
        let mut t = sample();
        t.checks[0].expr = "id > 1".into();
        changed.push(t);
        let mut t = sample();
        t.kind = TableKind::Blockchain(Box::new(BlockchainOptions {
            block_size: 999,
            ..BlockchainOptions::default()
        }));
        changed.push(t);
        for t in changed {
            assert_ne!(definition_hash(&t, &[]).unwrap(), base, "{t:?}");
        }
        // The object id is not part of the definition.
        let mut t = sample();
        t.id = 99;
        assert_eq!(definition_hash(&t, &[]).unwrap(), base);
        // Unique constraints count, in name order whatever the order given.
        let unique = |name: &str, col| IndexDef {
            id: 7,
            name: name.into(),
            table_id: 5,
            columns: vec![col],
            unique: true,
            constraint: true,
        };
        let a = [unique("a_key", 0), unique("b_key", 1)];
        let b = [unique("b_key", 1), unique("a_key", 0)];
        assert_ne!(definition_hash(&sample(), &a).unwrap(), base);
        assert_eq!(
            definition_hash(&sample(), &a).unwrap(),
            definition_hash(&sample(), &b).unwrap()
        );
        // An ordinary table has no canonical definition.
        let mut t = sample();
        t.kind = TableKind::Ordinary;
        assert!(definition_hash(&t, &[]).is_err());
    }
}
