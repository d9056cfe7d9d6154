use super::*;
use crate::ledger::body::BlockBuilder;
use crate::ledger::leaf::row_leaf;
use crate::storage::row::encode_row;
use crate::types::Value;

struct Chain {
    headers: Vec<BlockHeader>,
    bodies: Vec<Option<Vec<u8>>>,
    definition: Hash,
}

fn chain(blocks: u64) -> Chain {
    let definition = [9; 32];
    let genesis = BlockHeader::genesis(definition, 10, 1);
    let mut headers = vec![genesis];
    let mut bodies = vec![None];
    for id in 1..=blocks {
        let mut builder = BlockBuilder::new();
        for i in 0..3 {
            builder.push(&[Value::Int8((id * 10 + i) as i64)]);
        }
        let prev = headers.last().unwrap().hash();
        let (header, body) = builder.seal(id, prev, 10 + id as i64, id);
        headers.push(header);
        bodies.push(Some(body));
    }
    Chain {
        headers,
        bodies,
        definition,
    }
}

/// Feeds `(key id, index of the stored value)` pairs: what a scan of the block keys returns.
fn verify(c: &Chain, stored: &[(u64, usize)]) -> Vec<(FindingKind, Option<u64>)> {
    let mut v = ChainVerifier::new(c.definition);
    for &(key_id, i) in stored {
        let header = c.headers[i].clone();
        let stored_hash = header.hash();
        v.block(StoredBlock {
            key_id,
            header,
            stored_hash,
            body: c.bodies[i].as_deref(),
        });
    }
    v.findings.iter().map(|f| (f.kind, f.block_id)).collect()
}

#[test]
fn intact_chain_has_no_findings() {
    let c = chain(4);
    assert_eq!(verify(&c, &[(0, 0), (1, 1), (2, 2), (3, 3), (4, 4)]), vec![]);
}

#[test]
fn each_tampering_is_named() {
    use FindingKind::*;
    // One byte of a sealed row.
    let mut c = chain(3);
    let body = c.bodies[2].as_mut().unwrap();
    let last = body.len() - 1;
    body[last] ^= 1;
    assert_eq!(
        verify(&c, &[(0, 0), (1, 1), (2, 2), (3, 3)]),
        vec![(RowAltered, Some(2))]
    );
    // A header field, stored hash left as it was.
    let c = chain(3);
    let mut v = ChainVerifier::new(c.definition);
    for (i, h) in c.headers.iter().enumerate() {
        let mut header = h.clone();
        let stored_hash = header.hash();
        if i == 2 {
            header.timestamp += 1;
        }
        v.block(StoredBlock {
            key_id: i as u64,
            header,
            stored_hash,
            body: c.bodies[i].as_deref(),
        });
    }
    let found: Vec<_> = v.findings.iter().map(|f| (f.kind, f.block_id)).collect();
    assert_eq!(found, vec![(HeaderAltered, Some(2)), (LinkBroken, Some(3))]);
    // A block deleted: reported missing, and the next one's link breaks.
    let c = chain(3);
    let found = verify(&c, &[(0, 0), (1, 1), (3, 3)]);
    assert_eq!(found, vec![(BlockMissing, Some(2)), (LinkBroken, Some(3))]);
    // A block slipped in under an id already used.
    let found = verify(&c, &[(0, 0), (1, 1), (1, 2), (2, 2), (3, 3)]);
    assert_eq!(found, vec![(BlockInserted, Some(1))]);
    // Two blocks swapped: each sits under the other's key.
    let found = verify(&c, &[(0, 0), (1, 2), (2, 1), (3, 3)]);
    assert!(found.contains(&(HeaderAltered, Some(1))), "{found:?}");
    assert!(found.contains(&(LinkBroken, Some(1))), "{found:?}");
    // The definition changed since the genesis.
    let mut v = ChainVerifier::new([8; 32]);
    let g = c.headers[0].clone();
    v.block(StoredBlock {
        key_id: 0,
        stored_hash: g.hash(),
        header: g,
        body: None,
    });
    assert_eq!(v.findings[0].kind, DefinitionAltered);
    assert_eq!(v.findings[0].kind.name(), "definition_altered");
}

#[test]
fn pending_rows_chain_from_the_tip() {
    let c = chain(2);
    let mut v = ChainVerifier::new(c.definition);
    for (i, h) in c.headers.iter().enumerate() {
        v.block(StoredBlock {
            key_id: i as u64,
            header: h.clone(),
            stored_hash: h.hash(),
            body: c.bodies[i].as_deref(),
        });
    }
    let rows: Vec<Vec<u8>> = (0..4)
        .map(|i| {
            let mut b = Vec::new();
            encode_row(&[Value::Int4(i)], &mut b);
            b
        })
        .collect();
    let mut running = v.tip();
    let mut entries = Vec::new();
    for (seq, row) in rows.iter().enumerate() {
        let leaf = row_leaf(&[Value::Int4(seq as i32)]);
        running = running_hash(&running, &leaf);
        entries.push((seq as u64, leaf, running, row.as_slice()));
    }
    v.pending(entries.clone());
    assert!(v.is_intact(), "{:?}", v.findings);
    let mut altered = entries.clone();
    let other = [0u8; 3];
    altered[1].3 = &other;
    v.pending(altered);
    assert_eq!(v.findings.len(), 1);
    assert_eq!(
        (v.findings[0].kind, v.findings[0].block_id),
        (FindingKind::PendingAltered, None)
    );
    let mut reordered = entries.clone();
    reordered.swap(1, 2);
    let mut v2 = ChainVerifier::new(c.definition);
    v2.last_hash = v.tip();
    v2.pending(reordered);
    assert!(!v2.is_intact());
}
