//! Nested-loop and hash joins of every kind; both must agree.

use super::*;
use crate::plan::JoinKind;

fn left() -> Plan {
    values(vec![
        vec![i4(1), t("l1")],
        vec![i4(2), t("l2")],
        vec![Value::Null, t("lnull")],
        vec![i4(2), t("l2b")],
    ])
}

/// Right keys are bigint: equal numbers of different widths must match.
fn right() -> Plan {
    values(vec![
        vec![i8v(2), t("r2")],
        vec![i8v(3), t("r3")],
        vec![Value::Null, t("rnull")],
        vec![i8v(2), t("r2b")],
    ])
}

fn nested(kind: JoinKind) -> Plan {
    Plan::NestedLoopJoin {
        left: Box::new(left()),
        right: Box::new(right()),
        kind,
        condition: Some(eq(col(0), col(2))),
    }
}

fn hashed(kind: JoinKind) -> Plan {
    Plan::HashJoin {
        left: Box::new(left()),
        right: Box::new(right()),
        kind,
        left_keys: vec![col(0)],
        right_keys: vec![col(0)],
        residual: None,
    }
}

fn labels(rows: Vec<Row>) -> Vec<String> {
    let mut out: Vec<String> = rows
        .into_iter()
        .map(|r| {
            r.iter()
                .filter_map(|v| match v {
                    Value::Text(s) => Some(s.clone()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    out.sort();
    out
}

fn expected(kind: JoinKind) -> Vec<&'static str> {
    let mut v = match kind {
        JoinKind::Inner => vec!["l2+r2", "l2+r2b", "l2b+r2", "l2b+r2b"],
        JoinKind::Left => vec!["l1", "l2+r2", "l2+r2b", "l2b+r2", "l2b+r2b", "lnull"],
        JoinKind::Right => vec!["l2+r2", "l2+r2b", "l2b+r2", "l2b+r2b", "r3", "rnull"],
        JoinKind::Full => vec!["l1", "l2+r2", "l2+r2b", "l2b+r2", "l2b+r2b", "lnull", "r3", "rnull"],
        JoinKind::Semi => vec!["l2", "l2b"],
        JoinKind::Anti => vec!["l1", "lnull"],
    };
    v.sort();
    v
}

#[test]
fn every_join_kind_both_algorithms() {
    let mut f = Fixture::new();
    for kind in [
        JoinKind::Inner,
        JoinKind::Left,
        JoinKind::Right,
        JoinKind::Full,
        JoinKind::Semi,
        JoinKind::Anti,
    ] {
        let want = expected(kind);
        assert_eq!(labels(f.query(nested(kind)).unwrap()), want, "nested loop {kind:?}");
        assert_eq!(labels(f.query(hashed(kind)).unwrap()), want, "hash {kind:?}");
    }
}

#[test]
fn outer_join_padding_has_full_width() {
    let mut f = Fixture::new();
    let rows = f.query(hashed(JoinKind::Full)).unwrap();
    assert!(rows.iter().all(|r| r.len() == 4));
    let r3 = rows.iter().find(|r| r[3] == t("r3")).unwrap();
    assert_eq!(r3[..2], [Value::Null, Value::Null]);
    // An empty right side still pads to its width.
    let empty = Plan::Filter {
        input: Box::new(right()),
        predicate: lit(Value::Bool(false)),
    };
    let plan = Plan::NestedLoopJoin {
        left: Box::new(left()),
        right: Box::new(empty),
        kind: JoinKind::Left,
        condition: None,
    };
    let rows = f.query(plan).unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0], vec![i4(1), t("l1"), Value::Null, Value::Null]);
}

#[test]
fn residual_and_cross_join() {
    let mut f = Fixture::new();
    let plan = Plan::HashJoin {
        left: Box::new(left()),
        right: Box::new(right()),
        kind: JoinKind::Left,
        left_keys: vec![col(0)],
        right_keys: vec![col(0)],
        residual: Some(eq(col(3), text("r2b"))),
    };
    assert_eq!(labels(f.query(plan).unwrap()), vec!["l1", "l2+r2b", "l2b+r2b", "lnull"]);
    let cross = Plan::NestedLoopJoin {
        left: Box::new(left()),
        right: Box::new(right()),
        kind: JoinKind::Inner,
        condition: None,
    };
    assert_eq!(f.query(cross).unwrap().len(), 16);
}

#[test]
fn hash_join_builds_on_smaller_left_keeps_column_order() {
    let mut f = Fixture::new();
    let small = values(vec![vec![i4(5), t("s")]]);
    let big = values((0..100).map(|i| vec![i4(i % 10), t("b")]).collect());
    let plan = Plan::HashJoin {
        left: Box::new(small),
        right: Box::new(big),
        kind: JoinKind::Inner,
        left_keys: vec![col(0)],
        right_keys: vec![col(0)],
        residual: None,
    };
    let rows = f.query(plan).unwrap();
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|r| r == &vec![i4(5), t("s"), i4(5), t("b")]));
}
