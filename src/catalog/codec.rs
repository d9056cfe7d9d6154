//! Catalog records on disk: bincode 2 (serde) behind this one module, so the codec can be
//! swapped without touching callers. Catalog records are never hashed, so a serde format is fine
//! here; row bytes use Vellum's own canonical encoding (`storage::row`).
//!
//! Layout of a record value: `CATALOG_FORMAT_VERSION` (one byte) then bincode's standard
//! configuration (little-endian, variable-length integers) of `CatalogRecord`.

use crate::error::{Error, Result};

use super::CatalogRecord;

/// Bumped whenever `CatalogRecord`'s serialized shape changes so that existing records would
/// decode differently. Appending an enum variant (as `TableKind::Blockchain` was) does not:
/// bincode stores a variant's position, so every record written before still decodes.
pub const CATALOG_FORMAT_VERSION: u8 = 1;

pub fn encode(record: &CatalogRecord) -> Result<Vec<u8>> {
    let mut out = vec![CATALOG_FORMAT_VERSION];
    let body = bincode::serde::encode_to_vec(record, bincode::config::standard())
        .map_err(|e| Error::bug(format!("cannot encode catalog record: {e}")))?;
    out.extend_from_slice(&body);
    Ok(out)
}

pub fn decode(key: &[u8], bytes: &[u8]) -> Result<CatalogRecord> {
    match bytes.split_first() {
        Some((&CATALOG_FORMAT_VERSION, body)) => {
            let (record, used) = bincode::serde::decode_from_slice(body, bincode::config::standard())
                .map_err(|e| Error::corrupted(format!("catalog record {key:02x?}"), e.to_string()))?;
            if used != body.len() {
                return Err(Error::corrupted(format!("catalog record {key:02x?}"), "trailing bytes"));
            }
            Ok(record)
        }
        Some((v, _)) => Err(Error::corrupted(
            format!("catalog record {key:02x?}"),
            format!("unknown format version {v}"),
        )),
        None => Err(Error::corrupted(format!("catalog record {key:02x?}"), "empty record")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ColumnDef, TableDef, TableKind};
    use crate::types::DataType;

    #[test]
    fn round_trips_and_rejects_corruption() {
        let record = CatalogRecord::Table(TableDef {
            id: 7,
            name: "t".into(),
            columns: vec![ColumnDef {
                name: "a".into(),
                data_type: DataType::Numeric(Some((10, 2))),
                nullable: false,
                default: Some("0".into()),
            }],
            primary_key: Some(vec![0]),
            primary_key_name: Some("t_pkey".into()),
            checks: vec![],
            kind: TableKind::Ordinary,
        });
        let bytes = encode(&record).unwrap();
        assert_eq!(bytes[0], CATALOG_FORMAT_VERSION);
        assert_eq!(decode(b"k", &bytes).unwrap(), record);
        let mut bad = bytes.clone();
        bad[0] = 99;
        assert!(matches!(decode(b"k", &bad), Err(Error::Corrupted { .. })));
        assert!(matches!(
            decode(b"k", &bytes[..bytes.len() - 3]),
            Err(Error::Corrupted { .. })
        ));
        assert!(matches!(decode(b"k", &[]), Err(Error::Corrupted { .. })));
    }

    #[test]
    fn blockchain_table_round_trips_and_ordinary_bytes_are_unchanged() {
        let table = TableDef {
            id: 9,
            name: "b".into(),
            columns: vec![],
            primary_key: None,
            primary_key_name: None,
            checks: vec![],
            kind: TableKind::Ordinary,
        };
        // An ordinary table's kind is variant 0, the last byte, as before blockchain tables existed.
        let ordinary = encode(&CatalogRecord::Table(table.clone())).unwrap();
        assert_eq!(ordinary.last(), Some(&0));
        let record = CatalogRecord::Table(TableDef {
            kind: TableKind::Blockchain(Box::new(crate::catalog::BlockchainOptions {
                block_size: 10,
                authorized_signers: vec![[7; 32]],
                ..Default::default()
            })),
            ..table
        });
        assert_eq!(decode(b"k", &encode(&record).unwrap()).unwrap(), record);
    }

    #[test]
    fn role_and_grant_records_round_trip() {
        use crate::catalog::{AclItem, ObjectAcl, Privileges, RoleDef};
        let role = CatalogRecord::Role(RoleDef {
            password: Some("SCRAM-SHA-256$4096:c2FsdA==$AAAA:BBBB".into()),
            ..RoleDef::bootstrap()
        });
        let acl = CatalogRecord::Acl(ObjectAcl {
            object_id: 10,
            owner: 21,
            acl: Some(vec![AclItem {
                grantee: 0,
                grantor: 21,
                privileges: Privileges::SELECT.union(Privileges::INSERT),
            }]),
        });
        for record in [role, acl] {
            let bytes = encode(&record).unwrap();
            assert_eq!(decode(b"k", &bytes).unwrap(), record);
        }
        // Records written before roles existed keep their variant tags: a table is still tag 0.
        let table = encode(&CatalogRecord::Table(TableDef {
            id: 1,
            name: "t".into(),
            columns: vec![],
            primary_key: None,
            primary_key_name: None,
            checks: vec![],
            kind: TableKind::Ordinary,
        }))
        .unwrap();
        assert_eq!(table[1], 0);
    }
}
