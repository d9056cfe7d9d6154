//! The ledger format's test vectors (`tests/vectors/ledger-v1.json`, specified by
//! `grammar/ledger-format.md`): every output in the file is recomputed here from its inputs —
//! the table definition, the row values, the header fields — with Vellum's code. The file was
//! produced by a separate implementation of the format document, so agreement means the code
//! and the document say the same thing; any change to the hashing contract fails here.

use std::str::FromStr;

use chrono::DateTime;
use rust_decimal::Decimal;
use serde_json::Value as Json;
use vellum::catalog::{BlockchainOptions, CheckDef, ColumnDef, TableDef, TableKind};
use vellum::ledger::block::{BlockHeader, BlockType};
use vellum::ledger::definition::{definition_bytes, definition_hash};
use vellum::ledger::hex::{hash_from_hex, to_hex};
use vellum::ledger::leaf::{encode_row_leaf, running_hash};
use vellum::ledger::merkle::{audit_path, root, Hash};
use vellum::ledger::InclusionProof;
use vellum::types::{DataType, Interval, Value};

fn vectors() -> Json {
    let text = include_str!("vectors/ledger-v1.json");
    serde_json::from_str(text).expect("vector file is JSON")
}

fn s<'a>(v: &'a Json, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} is not a string"))
}

fn h(v: &Json, key: &str) -> Hash {
    hash_from_hex(s(v, key)).unwrap_or_else(|| panic!("{key} is not a hash"))
}

fn data_type(name: &str) -> DataType {
    match name {
        "integer" => DataType::Int4,
        "text" => DataType::Text,
        "numeric(12,2)" => DataType::Numeric(Some((12, 2))),
        "varchar(40)" => DataType::Varchar(Some(40)),
        "timestamptz" => DataType::TimestampTz,
        "boolean" => DataType::Bool,
        other => panic!("type {other} not used by the vectors"),
    }
}

fn table_def(t: &Json) -> TableDef {
    let columns = t["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| ColumnDef {
            name: s(c, "name").into(),
            data_type: data_type(s(c, "type")),
            nullable: c["nullable"].as_bool().unwrap(),
            default: c["default"].as_str().map(String::from),
        })
        .collect();
    let interval = &t["options"]["block_seal_interval"];
    let options = BlockchainOptions {
        block_size: t["options"]["block_size"].as_u64().unwrap() as u32,
        block_seal_interval: Interval::new(
            interval["months"].as_i64().unwrap() as i32,
            interval["days"].as_i64().unwrap() as i32,
            interval["micros"].as_i64().unwrap(),
        ),
        ..BlockchainOptions::default()
    };
    assert_eq!(t["uniques"].as_array().unwrap().len(), 0);
    TableDef {
        id: 1,
        name: s(t, "name").into(),
        columns,
        primary_key: Some(
            t["primary_key"]["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_u64().unwrap() as usize)
                .collect(),
        ),
        primary_key_name: Some(s(&t["primary_key"], "name").into()),
        checks: t["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| CheckDef {
                name: s(c, "name").into(),
                expr: s(c, "expr").into(),
            })
            .collect(),
        kind: TableKind::Blockchain(Box::new(options)),
    }
}

fn value(v: &Json) -> Value {
    let (kind, x) = v.as_object().unwrap().iter().next().unwrap();
    match kind.as_str() {
        "null" => Value::Null,
        "int4" => Value::Int4(x.as_i64().unwrap() as i32),
        "text" => Value::Text(x.as_str().unwrap().into()),
        "numeric" => Value::Numeric(Decimal::from_str(x.as_str().unwrap()).unwrap()),
        "timestamptz" => Value::TimestampTz(DateTime::from_timestamp_micros(x.as_i64().unwrap()).unwrap()),
        "bool" => Value::Bool(x.as_bool().unwrap()),
        other => panic!("value kind {other} not used by the vectors"),
    }
}

/// Checks one row's canonical bytes and leaf; returns the leaf.
fn check_row(row: &Json) -> Hash {
    let values: Vec<Value> = row["values"].as_array().unwrap().iter().map(value).collect();
    let mut bytes = Vec::new();
    let leaf = encode_row_leaf(&values, &mut bytes);
    assert_eq!(to_hex(&bytes), s(row, "row_bytes"), "row bytes of {:?}", row["values"]);
    assert_eq!(leaf, h(row, "leaf_hash"));
    leaf
}

fn header(b: &Json) -> BlockHeader {
    BlockHeader {
        block_id: b["block_id"].as_u64().unwrap(),
        prev_block_hash: h(b, "prev_block_hash"),
        merkle_root: h(b, "merkle_root"),
        timestamp: b["timestamp"].as_i64().unwrap(),
        row_count: b["row_count"].as_u64().unwrap(),
        nonce: b["nonce"].as_u64().unwrap(),
        block_type: match s(b, "block_type") {
            "genesis" => BlockType::Genesis,
            "data" => BlockType::Data,
            other => panic!("{other}"),
        },
    }
}

#[test]
fn definition_and_genesis() {
    let v = vectors();
    assert_eq!(v["format_version"], 1);
    let table = table_def(&v["table"]);
    assert_eq!(
        to_hex(&definition_bytes(&table, &[]).unwrap()),
        s(&v, "definition_bytes")
    );
    let def_hash = definition_hash(&table, &[]).unwrap();
    assert_eq!(def_hash, h(&v, "definition_hash"));

    let g = &v["genesis"];
    let genesis = BlockHeader::genesis(def_hash, g["timestamp"].as_i64().unwrap(), g["nonce"].as_u64().unwrap());
    assert_eq!(genesis, header(g));
    assert_eq!(genesis.hash(), h(g, "block_hash"));
    assert_eq!(to_hex(&genesis.encode()), s(g, "header_bytes"));
    let (decoded, stored) = BlockHeader::decode(&genesis.encode()).unwrap();
    assert_eq!((decoded, stored), (genesis, h(g, "block_hash")));
}

#[test]
fn rows_block_and_chain() {
    let v = vectors();
    let leaves: Vec<Hash> = v["rows"].as_array().unwrap().iter().map(check_row).collect();
    let b = &v["block"];
    let block = header(b);
    assert_eq!(root(&leaves), block.merkle_root);
    assert_eq!(block.row_count, leaves.len() as u64);
    assert_eq!(
        block.prev_block_hash,
        h(&v["genesis"], "block_hash"),
        "block 1 links to the genesis"
    );
    assert_eq!(block.hash(), h(b, "block_hash"));
    assert_eq!(to_hex(&block.encode()), s(b, "header_bytes"));
}

#[test]
fn pending_running_hashes() {
    let v = vectors();
    let p = &v["pending"];
    let mut running = h(p, "seed");
    assert_eq!(running, h(&v["block"], "block_hash"), "seeded from the last block");
    for row in p["rows"].as_array().unwrap() {
        let leaf = check_row(row);
        running = running_hash(&running, &leaf);
        assert_eq!(running, h(row, "running_hash"));
    }
}

#[test]
fn proof_recomputes_and_verifies() {
    let v = vectors();
    let p = &v["proof"];
    let leaves: Vec<Hash> = v["rows"].as_array().unwrap().iter().map(check_row).collect();
    let index = p["row_index"].as_u64().unwrap() as usize;
    let path: Vec<String> = audit_path(&leaves, index).unwrap().iter().map(|x| to_hex(x)).collect();
    let expected: Vec<&str> = p["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(path, expected);
    let proof = InclusionProof::from_json(&p.to_string()).unwrap();
    assert_eq!(proof.verify(), Ok(()));
    assert_eq!(proof.leaf_hash, leaves[index]);
    assert_eq!(proof.block_hash, h(&v["block"], "block_hash"));
    // The proof we would emit for the same row is the vector's, member for member.
    let ours: Json = serde_json::from_str(&proof.to_json()).unwrap();
    assert_eq!(&ours, p);
    // A forged row does not verify.
    let mut forged = proof.clone();
    forged.row = Some(b"forged".to_vec());
    assert!(forged.verify().is_err());
}
