//! Primary-key and secondary-index lookups chosen from a scan's filter.
//!
//! The conjuncts a lookup enforces leave the filter: the scan re-checks every row it reads
//! against the lookup with SQL comparison (`exec::scan`), which is what those conjuncts would
//! compute (a NULL key column matches neither), and their values are scan constants evaluated
//! once for the lookup.

use std::sync::Arc;

use crate::catalog::{IndexDef, TableDef};
use crate::types::ops::BinaryOp;
use crate::types::{DataType, Value};

use super::super::rewrite::conjuncts;
use super::super::{Expr, IndexLookup, ScanSource};
use super::Optimizer;

impl Optimizer<'_> {
    /// Picks the best primary-key or index lookup the scan's filter allows, and the filter
    /// left for the rows it reads.
    pub(super) fn choose_source(&self, table: &Arc<TableDef>, filter: Expr) -> (ScanSource, Option<Expr>) {
        let mut parts = Vec::new();
        conjuncts(filter.clone(), &mut parts);
        let preds: Vec<(usize, KeyPred)> = parts
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((i, key_pred(p, table)?)))
            .collect();
        if preds.is_empty() {
            return (ScanSource::Table, Some(filter));
        }
        let mut best: Option<(Choice, ScanSource)> = None;
        if let Some(pk) = &table.primary_key {
            if let Some(choice) = lookup_for(pk, true, &preds) {
                let lookup = choice.lookup.clone();
                best = Some((choice, ScanSource::PrimaryKey(lookup)));
            }
        }
        if let Some(catalog) = self.catalog {
            for index in catalog.table_indexes(table.id) {
                if let Some(choice) = lookup_for(&index.columns, index.unique, &preds) {
                    if best.as_ref().is_none_or(|(b, _)| choice.score > b.score) {
                        let lookup = choice.lookup.clone();
                        best = Some((choice, ScanSource::Index(index_arc(&index), lookup)));
                    }
                }
            }
        }
        let Some((choice, source)) = best else {
            return (ScanSource::Table, Some(filter));
        };
        let rest: Vec<Expr> = parts
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !choice.enforced.contains(i))
            .map(|(_, p)| p)
            .collect();
        let filter = match rest.len() {
            0 => None,
            1 => rest.into_iter().next(),
            _ => Some(Expr::And(rest)),
        };
        (source, filter)
    }
}

/// A lookup an index allows: its score (higher is better) and the filter conjuncts (by
/// position) it enforces.
struct Choice {
    score: u32,
    lookup: IndexLookup,
    enforced: Vec<usize>,
}

fn index_arc(index: &Arc<IndexDef>) -> Arc<IndexDef> {
    Arc::clone(index)
}

/// Constant for the duration of a scan: literals, parameters, enclosing rows.
pub(super) fn is_scan_constant(e: &Expr) -> bool {
    super::super::rewrite::deep(|| is_scan_constant_inner(e))
}

fn is_scan_constant_inner(e: &Expr) -> bool {
    match e {
        Expr::Constant(_) | Expr::Param(_) | Expr::Outer { .. } => true,
        Expr::Cast { expr, .. } | Expr::Unary { expr, .. } => is_scan_constant(expr),
        Expr::Binary { left, right, .. } => is_scan_constant(left) && is_scan_constant(right),
        _ => false,
    }
}

/// A predicate on one table column usable for a key lookup.
enum KeyPred {
    Eq(usize, Expr),
    In(usize, Vec<Expr>),
    Lower(usize, Expr, bool),
    Upper(usize, Expr, bool),
}

/// The column a side of a comparison reads directly, and the value the other side supplies
/// (coerced to the column's type, or `None` when that cannot be done without loss).
fn column_and_value(col_side: &Expr, value: &Expr, table: &TableDef) -> Option<(usize, Expr)> {
    if !is_scan_constant(value) {
        return None;
    }
    match col_side {
        // Operands were coerced to one type by the binder, so an uncast column compares
        // with a value of its own type.
        Expr::Column(c) if *c < table.columns.len() => Some((*c, value.clone())),
        // `int4_col = 5::int8` compares as int8: usable when the constant fits the column.
        Expr::Cast { expr, to } if to.is_integer() => match (expr.as_ref(), value) {
            (Expr::Column(c), Expr::Constant(v)) => {
                let col_type = &table.columns.get(*c)?.data_type;
                narrow_integer(v, col_type).map(|v| (*c, Expr::Constant(v)))
            }
            _ => None,
        },
        _ => None,
    }
}

fn narrow_integer(v: &Value, to: &DataType) -> Option<Value> {
    let n: i64 = match v {
        Value::Int2(x) => i64::from(*x),
        Value::Int4(x) => i64::from(*x),
        Value::Int8(x) => *x,
        _ => return None,
    };
    match to {
        DataType::Int2 => i16::try_from(n).ok().map(Value::Int2),
        DataType::Int4 => i32::try_from(n).ok().map(Value::Int4),
        DataType::Int8 => Some(Value::Int8(n)),
        _ => None,
    }
}

fn key_pred(e: &Expr, table: &TableDef) -> Option<KeyPred> {
    match e {
        Expr::Binary { op, left, right } => {
            let (c, v, flipped) = match column_and_value(left, right, table) {
                Some((c, v)) => (c, v, false),
                None => {
                    let (c, v) = column_and_value(right, left, table)?;
                    (c, v, true)
                }
            };
            let op = if flipped { flip(*op)? } else { *op };
            match op {
                BinaryOp::Eq => Some(KeyPred::Eq(c, v)),
                BinaryOp::Gt => Some(KeyPred::Lower(c, v, false)),
                BinaryOp::GtEq => Some(KeyPred::Lower(c, v, true)),
                BinaryOp::Lt => Some(KeyPred::Upper(c, v, false)),
                BinaryOp::LtEq => Some(KeyPred::Upper(c, v, true)),
                _ => None,
            }
        }
        Expr::InList {
            expr,
            list,
            negated: false,
        } => match expr.as_ref() {
            Expr::Column(c) if list.iter().all(is_scan_constant) && !list.is_empty() => {
                Some(KeyPred::In(*c, list.clone()))
            }
            _ => None,
        },
        _ => None,
    }
}

fn flip(op: BinaryOp) -> Option<BinaryOp> {
    Some(match op {
        BinaryOp::Eq => BinaryOp::Eq,
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        _ => return None,
    })
}

/// The lookup `preds` (with their conjunct positions) allow on an index over `columns`.
fn lookup_for(columns: &[usize], unique: bool, preds: &[(usize, KeyPred)]) -> Option<Choice> {
    let mut prefix = Vec::new();
    let mut enforced = Vec::new();
    for c in columns {
        match preds.iter().find_map(|(i, p)| match p {
            KeyPred::Eq(pc, v) if pc == c => Some((*i, v.clone())),
            _ => None,
        }) {
            Some((i, v)) => {
                prefix.push(v);
                enforced.push(i);
            }
            None => break,
        }
    }
    if prefix.len() == columns.len() && !prefix.is_empty() {
        let score = if unique { 100 } else { 50 } + prefix.len() as u32;
        return Some(Choice {
            score,
            lookup: IndexLookup::Eq(prefix),
            enforced,
        });
    }
    if let Some(next) = columns.get(prefix.len()) {
        let lower = preds.iter().find_map(|(i, p)| match p {
            KeyPred::Lower(c, v, inc) if c == next => Some((*i, (v.clone(), *inc))),
            _ => None,
        });
        let upper = preds.iter().find_map(|(i, p)| match p {
            KeyPred::Upper(c, v, inc) if c == next => Some((*i, (v.clone(), *inc))),
            _ => None,
        });
        if lower.is_some() || upper.is_some() {
            let score = 20 + 2 * prefix.len() as u32 + u32::from(lower.is_some() && upper.is_some());
            enforced.extend(lower.iter().chain(&upper).map(|(i, _)| *i));
            return Some(Choice {
                score,
                lookup: IndexLookup::Range {
                    prefix,
                    lower: lower.map(|(_, b)| b),
                    upper: upper.map(|(_, b)| b),
                },
                enforced,
            });
        }
        if prefix.is_empty() {
            if let Some((i, list)) = preds.iter().find_map(|(i, p)| match p {
                KeyPred::In(c, l) if c == next => Some((*i, l.clone())),
                _ => None,
            }) {
                return Some(Choice {
                    score: 30,
                    lookup: IndexLookup::InList(list),
                    enforced: vec![i],
                });
            }
        }
    }
    if !prefix.is_empty() {
        return Some(Choice {
            score: 40 + prefix.len() as u32,
            lookup: IndexLookup::Eq(prefix),
            enforced,
        });
    }
    None
}
