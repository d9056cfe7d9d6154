//! Correlated subqueries whose correlation is one equality: run by hash partition, and must
//! give exactly what re-running the subquery per row gives.

use super::*;
use crate::plan::SubqueryKind;

fn outer(i: usize) -> Expr {
    Expr::Outer { levels_up: 1, index: i }
}

/// customers(cid, name): 1 ann, 2 bob, 3 cid (no orders), NULL nul.
/// orders(oid, cid, total): (10, 1, 50), (11, 1, 150), (12, 2, 300), (13, NULL, 5).
fn fixture() -> (Fixture, Plan, Arc<TableDef>) {
    let mut f = Fixture::new();
    let orders = f.table(
        60,
        "orders",
        &[
            ("oid", DataType::Int4, false),
            ("cid", DataType::Int4, true),
            ("total", DataType::Int4, true),
        ],
        Some(vec![0]),
    );
    f.insert(
        &orders,
        vec![
            vec![i4(10), i4(1), i4(50)],
            vec![i4(11), i4(1), i4(150)],
            vec![i4(12), i4(2), i4(300)],
            vec![i4(13), Value::Null, i4(5)],
        ],
    )
    .unwrap();
    let customers = values(vec![
        vec![i4(1), t("ann")],
        vec![i4(2), t("bob")],
        vec![i4(3), t("cid")],
        vec![Value::Null, t("nul")],
    ]);
    (f, customers, orders)
}

fn sub(plan: Plan, kind: SubqueryKind) -> Expr {
    Expr::Subquery {
        plan: Box::new(plan),
        kind,
        correlated: true,
    }
}

#[test]
fn scalar_count_per_key_includes_empty_and_null_keys() {
    let (mut f, customers, orders) = fixture();
    // SELECT name, (SELECT count(*) FROM orders o WHERE o.cid = c.cid) FROM customers c
    let count = Plan::Aggregate {
        input: Box::new(scan(&orders, Some(eq(col(1), outer(0))))),
        group_by: vec![],
        aggregates: vec![agg(AggFunc::CountStar, vec![], None)],
    };
    let plan = Plan::Project {
        input: Box::new(customers),
        exprs: vec![col(1), sub(count, SubqueryKind::Scalar)],
    };
    assert_eq!(
        f.query(plan).unwrap(),
        vec![
            vec![t("ann"), i8v(2)],
            vec![t("bob"), i8v(1)],
            vec![t("cid"), i8v(0)],
            vec![t("nul"), i8v(0)]
        ]
    );
}

#[test]
fn exists_and_not_exists_with_extra_conditions() {
    let (mut f, customers, orders) = fixture();
    // WHERE EXISTS (SELECT 1 FROM orders o WHERE o.cid = c.cid AND o.total >= 100)
    let big = || Plan::Project {
        input: Box::new(Plan::Filter {
            input: Box::new(scan(&orders, None)),
            predicate: Expr::And(vec![bin(BinaryOp::GtEq, col(2), int(100)), eq(outer(0), col(1))]),
        }),
        exprs: vec![int(1)],
    };
    let exists = Plan::Filter {
        input: Box::new(customers.clone()),
        predicate: sub(big(), SubqueryKind::Exists),
    };
    assert_eq!(
        f.query(exists).unwrap(),
        vec![vec![i4(1), t("ann")], vec![i4(2), t("bob")]]
    );
    let not_exists = Plan::Filter {
        input: Box::new(customers),
        predicate: Expr::Not(Box::new(sub(big(), SubqueryKind::Exists))),
    };
    assert_eq!(
        f.query(not_exists).unwrap(),
        vec![vec![i4(3), t("cid")], vec![Value::Null, t("nul")]]
    );
}

#[test]
fn in_and_scalar_errors_through_partitions() {
    let (mut f, customers, orders) = fixture();
    // c.cid * 100 + 50 IN (SELECT o.total FROM orders o WHERE o.cid = c.cid)
    let totals = || Plan::Project {
        input: Box::new(scan(&orders, Some(eq(col(1), outer(0))))),
        exprs: vec![col(2)],
    };
    let probe = bin(BinaryOp::Add, bin(BinaryOp::Mul, col(0), int(100)), int(50));
    let e = sub(
        totals(),
        SubqueryKind::In {
            expr: Box::new(probe),
            negated: false,
        },
    );
    let plan = Plan::Project {
        input: Box::new(customers.clone()),
        exprs: vec![col(1), e],
    };
    assert_eq!(
        f.query(plan).unwrap(),
        vec![
            vec![t("ann"), Value::Bool(true)],
            vec![t("bob"), Value::Bool(false)],
            vec![t("cid"), Value::Bool(false)],
            // NULL IN (empty set) is false.
            vec![t("nul"), Value::Bool(false)],
        ]
    );
    // (SELECT o.total FROM orders o WHERE o.cid = c.cid): ann has two orders.
    let plan = Plan::Project {
        input: Box::new(customers),
        exprs: vec![sub(totals(), SubqueryKind::Scalar)],
    };
    assert_eq!(code(f.query(plan)), "21000");
}

#[test]
fn correlation_outside_one_equality_runs_per_row() {
    let (mut f, customers, orders) = fixture();
    // (SELECT sum(total) FROM orders o WHERE o.cid = c.cid OR o.cid IS NULL): not splittable.
    let predicate = Expr::Or(vec![
        eq(col(1), outer(0)),
        Expr::IsNull {
            expr: Box::new(col(1)),
            negated: false,
        },
    ]);
    let sum = Plan::Aggregate {
        input: Box::new(scan(&orders, Some(predicate))),
        group_by: vec![],
        aggregates: vec![agg(AggFunc::Sum, vec![col(2)], Some(DataType::Int4))],
    };
    let plan = Plan::Project {
        input: Box::new(customers),
        exprs: vec![sub(sum, SubqueryKind::Scalar)],
    };
    assert_eq!(
        f.query(plan).unwrap(),
        vec![vec![i8v(205)], vec![i8v(305)], vec![i8v(5)], vec![i8v(5)]]
    );
}
