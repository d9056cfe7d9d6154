//! UNION / INTERSECT / EXCEPT, with set semantics or (ALL) bag semantics. NULLs compare equal,
//! as rows do in set operations. Output keeps the left input's order.

use super::hashing::FastMap;

use crate::plan::SetOpKind;
use crate::types::Row;

pub(super) fn set_op(op: SetOpKind, all: bool, left: Vec<Row>, right: Vec<Row>) -> Vec<Row> {
    match (op, all) {
        (SetOpKind::Union, true) => {
            let mut out = left;
            out.extend(right);
            out
        }
        (SetOpKind::Union, false) => {
            let mut seen: FastMap<Row, ()> = FastMap::default();
            let mut out = Vec::new();
            for row in left.into_iter().chain(right) {
                if !seen.contains_key(&row) {
                    seen.insert(row.clone(), ());
                    out.push(row);
                }
            }
            out
        }
        (SetOpKind::Intersect | SetOpKind::Except, _) => {
            // How many copies of each row the right side still offers (ALL) or whether it has any.
            let mut counts: FastMap<Row, usize> = FastMap::default();
            for row in right {
                *counts.entry(row).or_insert(0) += 1;
            }
            let mut emitted: FastMap<Row, ()> = FastMap::default();
            let mut out = Vec::new();
            for row in left {
                let in_right = counts.get_mut(&row);
                let keep = match (op, all) {
                    (SetOpKind::Intersect, true) => match in_right {
                        Some(n) if *n > 0 => {
                            *n -= 1;
                            true
                        }
                        _ => false,
                    },
                    (SetOpKind::Except, true) => match in_right {
                        Some(n) if *n > 0 => {
                            *n -= 1;
                            false
                        }
                        _ => true,
                    },
                    (SetOpKind::Intersect, false) => in_right.is_some() && !emitted.contains_key(&row),
                    _ => in_right.is_none() && !emitted.contains_key(&row),
                };
                if keep {
                    if !all {
                        emitted.insert(row.clone(), ());
                    }
                    out.push(row);
                }
            }
            out
        }
    }
}
