//! Scans through the primary key and secondary indexes: results must equal a filtered full scan.

use super::*;
use crate::plan::IndexLookup;

fn people(f: &mut Fixture) -> Arc<TableDef> {
    let table = f.table(
        10,
        "people",
        &[
            ("id", DataType::Int4, false),
            ("name", DataType::Text, true),
            ("age", DataType::Int4, true),
        ],
        Some(vec![0]),
    );
    let rows = vec![
        vec![i4(5), t("eve"), i4(30)],
        vec![i4(1), t("ann"), i4(40)],
        vec![i4(3), t("cid"), Value::Null],
        vec![i4(2), t("bob"), i4(30)],
        vec![i4(4), t("dan"), i4(25)],
    ];
    f.insert(&table, rows).unwrap();
    table
}

fn ids(rows: Vec<Row>) -> Vec<i32> {
    rows.into_iter()
        .map(|r| match r[0] {
            Value::Int4(i) => i,
            ref o => panic!("{o:?}"),
        })
        .collect()
}

fn pk_scan(table: &Arc<TableDef>, lookup: IndexLookup) -> Plan {
    Plan::Scan {
        table: table.clone(),
        source: ScanSource::PrimaryKey(lookup),
        filter: None,
        emit_key: false,
    }
}

fn idx_scan(table: &Arc<TableDef>, index: &Arc<IndexDef>, lookup: IndexLookup) -> Plan {
    Plan::Scan {
        table: table.clone(),
        source: ScanSource::Index(index.clone(), lookup),
        filter: None,
        emit_key: false,
    }
}

#[test]
fn full_scan_is_in_key_order_with_filter_and_key() {
    let mut f = Fixture::new();
    let table = people(&mut f);
    assert_eq!(ids(f.rows(&table)), vec![1, 2, 3, 4, 5]);
    let filtered = scan(&table, Some(eq(col(2), int(30))));
    assert_eq!(ids(f.query(filtered).unwrap()), vec![2, 5]);
    let keyed = f.query(scan_keyed(&table, None)).unwrap();
    assert!(keyed.iter().all(|r| r.len() == 4 && matches!(r[3], Value::Bytea(_))));
}

#[test]
fn primary_key_lookups() {
    let mut f = Fixture::new();
    let table = people(&mut f);
    assert_eq!(
        ids(f.query(pk_scan(&table, IndexLookup::Eq(vec![int(3)]))).unwrap()),
        vec![3]
    );
    assert_eq!(
        ids(f.query(pk_scan(&table, IndexLookup::Eq(vec![int(9)]))).unwrap()),
        Vec::<i32>::new()
    );
    assert_eq!(
        ids(f.query(pk_scan(&table, IndexLookup::Eq(vec![null()]))).unwrap()),
        Vec::<i32>::new()
    );
    let range = |lower: Option<(Expr, bool)>, upper: Option<(Expr, bool)>| IndexLookup::Range {
        prefix: vec![],
        lower,
        upper,
    };
    assert_eq!(
        ids(f
            .query(pk_scan(&table, range(Some((int(2), true)), Some((int(4), true)))))
            .unwrap()),
        vec![2, 3, 4]
    );
    assert_eq!(
        ids(f
            .query(pk_scan(&table, range(Some((int(2), false)), Some((int(4), false)))))
            .unwrap()),
        vec![3]
    );
    assert_eq!(
        ids(f.query(pk_scan(&table, range(None, Some((int(2), false))))).unwrap()),
        vec![1]
    );
    assert_eq!(
        ids(f.query(pk_scan(&table, range(Some((int(4), false)), None))).unwrap()),
        vec![5]
    );
    assert_eq!(
        ids(f.query(pk_scan(&table, range(Some((null(), true)), None))).unwrap()),
        Vec::<i32>::new()
    );
    let list = IndexLookup::InList(vec![int(4), int(1), null(), int(4), int(8)]);
    assert_eq!(ids(f.query(pk_scan(&table, list)).unwrap()), vec![1, 4]);
}

#[test]
fn secondary_index_lookups_skip_nulls() {
    let mut f = Fixture::new();
    let table = people(&mut f);
    let by_age = f.index(11, "people_age", &table, vec![2], false).unwrap();
    assert_eq!(
        ids(f
            .query(idx_scan(&table, &by_age, IndexLookup::Eq(vec![int(30)])))
            .unwrap()),
        vec![2, 5]
    );
    let above = IndexLookup::Range {
        prefix: vec![],
        lower: Some((int(25), false)),
        upper: None,
    };
    // age > 25: 30, 30, 40; the NULL age never qualifies.
    let mut got = ids(f.query(idx_scan(&table, &by_age, above)).unwrap());
    got.sort();
    assert_eq!(got, vec![1, 2, 5]);
    let below = IndexLookup::Range {
        prefix: vec![],
        lower: None,
        upper: Some((int(30), true)),
    };
    let mut got = ids(f.query(idx_scan(&table, &by_age, below)).unwrap());
    got.sort();
    assert_eq!(got, vec![2, 4, 5]);
    let by_name = f.index(12, "people_name", &table, vec![1], true).unwrap();
    assert_eq!(
        ids(f
            .query(idx_scan(&table, &by_name, IndexLookup::Eq(vec![text("dan")])))
            .unwrap()),
        vec![4]
    );
    let list = IndexLookup::InList(vec![text("eve"), text("ann"), text("zed")]);
    assert_eq!(ids(f.query(idx_scan(&table, &by_name, list)).unwrap()), vec![1, 5]);
}

#[test]
fn two_column_index_prefix_and_range() {
    let mut f = Fixture::new();
    let table = f.table(
        20,
        "pts",
        &[("a", DataType::Int4, false), ("b", DataType::Int4, false)],
        Some(vec![0, 1]),
    );
    let rows = (1..=3).flat_map(|a| (1..=4).map(move |b| vec![i4(a), i4(b)])).collect();
    f.insert(&table, rows).unwrap();
    let scan_pk = |l| Plan::Scan {
        table: table.clone(),
        source: ScanSource::PrimaryKey(l),
        filter: None,
        emit_key: false,
    };
    let rows = f.query(scan_pk(IndexLookup::Eq(vec![int(2)]))).unwrap();
    assert_eq!(rows, (1..=4).map(|b| vec![i4(2), i4(b)]).collect::<Vec<_>>());
    let range = IndexLookup::Range {
        prefix: vec![int(2)],
        lower: Some((int(2), false)),
        upper: Some((int(4), true)),
    };
    assert_eq!(
        f.query(scan_pk(range)).unwrap(),
        vec![vec![i4(2), i4(3)], vec![i4(2), i4(4)]]
    );
    let point = IndexLookup::Eq(vec![int(3), int(1)]);
    assert_eq!(f.query(scan_pk(point)).unwrap(), vec![vec![i4(3), i4(1)]]);
}

#[test]
fn limit_and_exists_over_scans() {
    let mut f = Fixture::new();
    let table = people(&mut f);
    // SELECT id FROM people WHERE age >= 30 LIMIT 2 OFFSET 1 (in key order: 1, 2, 5).
    let plan = Plan::Limit {
        input: Box::new(Plan::Project {
            input: Box::new(scan(&table, Some(bin(BinaryOp::GtEq, col(2), int(30))))),
            exprs: vec![col(0)],
        }),
        limit: Some(lit(i8v(2))),
        offset: Some(lit(i8v(1))),
    };
    assert_eq!(ids(f.query(plan).unwrap()), vec![2, 5]);
    // SELECT x FROM (VALUES (30), (31)) o(x) WHERE EXISTS (SELECT 1 FROM people WHERE age = o.x)
    let exists = Expr::Subquery {
        plan: Box::new(Plan::Project {
            input: Box::new(scan(&table, Some(eq(col(2), Expr::Outer { levels_up: 1, index: 0 })))),
            exprs: vec![int(1)],
        }),
        kind: crate::plan::SubqueryKind::Exists,
        correlated: true,
    };
    let plan = Plan::Filter {
        input: Box::new(values(vec![vec![i4(30)], vec![i4(31)]])),
        predicate: exists,
    };
    assert_eq!(f.query(plan).unwrap(), vec![vec![i4(30)]]);
    // A scalar subquery over a scan still notices a second row.
    let scalar = Expr::Subquery {
        plan: Box::new(Plan::Project {
            input: Box::new(scan(&table, Some(eq(col(2), int(30))))),
            exprs: vec![col(0)],
        }),
        kind: crate::plan::SubqueryKind::Scalar,
        correlated: false,
    };
    assert_eq!(code(f.eval(scalar)), "21000");
}

#[test]
fn cte_inside_correlated_subquery_follows_outer_row() {
    let mut f = Fixture::new();
    // SELECT (WITH c AS (SELECT o.x * 10) SELECT sum(c1) FROM c a, c b) FROM (VALUES (1), (2)) o(x)
    let cte = || Plan::CteScan {
        id: 3,
        plan: Box::new(Plan::Project {
            input: Box::new(one_row()),
            exprs: vec![bin(BinaryOp::Mul, Expr::Outer { levels_up: 1, index: 0 }, int(10))],
        }),
    };
    let body = Plan::Aggregate {
        input: Box::new(Plan::NestedLoopJoin {
            left: Box::new(cte()),
            right: Box::new(cte()),
            kind: crate::plan::JoinKind::Inner,
            condition: None,
        }),
        group_by: vec![],
        aggregates: vec![agg(
            AggFunc::Sum,
            vec![bin(BinaryOp::Add, col(0), col(1))],
            Some(DataType::Int4),
        )],
    };
    let e = Expr::Subquery {
        plan: Box::new(body),
        kind: crate::plan::SubqueryKind::Scalar,
        correlated: true,
    };
    let plan = Plan::Project {
        input: Box::new(values(vec![vec![i4(1)], vec![i4(2)]])),
        exprs: vec![e],
    };
    assert_eq!(f.query(plan).unwrap(), vec![vec![i8v(20)], vec![i8v(40)]]);
}

#[test]
fn order_by_primary_key_uses_scan_order() {
    let mut f = Fixture::new();
    let table = people(&mut f);
    let sorted_by = |keys: Vec<SortKey>| Plan::Limit {
        input: Box::new(Plan::Sort {
            input: Box::new(scan(&table, None)),
            keys,
        }),
        limit: Some(lit(i8v(2))),
        offset: None,
    };
    assert_eq!(ids(f.query(sorted_by(vec![asc(col(0))])).unwrap()), vec![1, 2]);
    assert_eq!(ids(f.query(sorted_by(vec![desc(col(0))])).unwrap()), vec![5, 4]);
    // Not the key: a real sort (age 25 is the smallest; NULL sorts last).
    assert_eq!(ids(f.query(sorted_by(vec![asc(col(2))])).unwrap()), vec![4, 2]);
    // Two-column key: ORDER BY a, then a prefix sort of the key order.
    let pts = f.table(
        21,
        "pts2",
        &[("a", DataType::Int4, false), ("b", DataType::Int4, false)],
        Some(vec![0, 1]),
    );
    f.insert(&pts, vec![vec![i4(2), i4(1)], vec![i4(1), i4(9)], vec![i4(1), i4(3)]])
        .unwrap();
    let plan = Plan::Sort {
        input: Box::new(scan(&pts, None)),
        keys: vec![asc(col(0))],
    };
    assert_eq!(
        f.query(plan).unwrap(),
        vec![vec![i4(1), i4(3)], vec![i4(1), i4(9)], vec![i4(2), i4(1)]]
    );
    let plan = Plan::Sort {
        input: Box::new(scan(&pts, None)),
        keys: vec![asc(col(1))],
    };
    assert_eq!(
        f.query(plan).unwrap(),
        vec![vec![i4(2), i4(1)], vec![i4(1), i4(3)], vec![i4(1), i4(9)]]
    );
}

/// `SELECT count(*), max(name) FROM people WHERE id BETWEEN 2 AND 4` as the binder plans it.
fn range_aggregate(table: &Arc<TableDef>) -> Plan {
    Plan::Aggregate {
        input: Box::new(pk_scan(
            table,
            IndexLookup::Range {
                prefix: vec![],
                lower: Some((int(2), true)),
                upper: Some((int(4), true)),
            },
        )),
        group_by: vec![],
        aggregates: vec![
            agg(AggFunc::CountStar, vec![], None),
            agg(AggFunc::Max, vec![col(1)], Some(DataType::Text)),
        ],
    }
}

#[test]
fn a_scan_reads_only_the_columns_its_query_uses() {
    let mut f = Fixture::new();
    let table = people(&mut f);
    let plan = range_aggregate(&table);
    let Plan::Aggregate { input: scan_node, .. } = &plan else {
        unreachable!()
    };
    let columns = crate::exec::columns::scan_columns(&plan);
    // `name` for max(), `id` to re-check the key range; `age` is never read.
    let read = columns.get(&(scan_node.as_ref() as *const Plan as usize)).unwrap();
    assert_eq!(read.as_ref(), &[true, true, false]);
    assert_eq!(f.query(plan).unwrap(), vec![vec![i8v(3), t("dan")]]);

    // A filter adds what it reads; a projection of every column needs them all.
    let filtered = Plan::Project {
        input: Box::new(scan(&table, Some(eq(col(2), int(30))))),
        exprs: vec![col(1)],
    };
    let Plan::Project { input: scan_node, .. } = &filtered else {
        unreachable!()
    };
    let columns = crate::exec::columns::scan_columns(&filtered);
    let read = columns.get(&(scan_node.as_ref() as *const Plan as usize)).unwrap();
    assert_eq!(read.as_ref(), &[false, true, true]);
    assert_eq!(sorted(f.query(filtered).unwrap()), vec![vec![t("bob")], vec![t("eve")]]);
    assert!(crate::exec::columns::scan_columns(&scan(&table, None)).is_empty());
}

#[test]
fn a_distinct_or_a_join_condition_keeps_the_columns_it_compares() {
    let mut f = Fixture::new();
    let table = people(&mut f);
    // SELECT DISTINCT age FROM (SELECT age, name FROM people): DISTINCT compares whole rows.
    let distinct = Plan::Distinct {
        input: Box::new(Plan::Project {
            input: Box::new(scan(&table, None)),
            exprs: vec![col(2), col(1)],
        }),
    };
    assert_eq!(f.query(distinct).unwrap().len(), 5);
    // people p JOIN people q ON p.age = q.age AND p.id < q.id: pairs sharing an age.
    let join = Plan::Project {
        input: Box::new(Plan::HashJoin {
            left: Box::new(scan(&table, None)),
            right: Box::new(scan(&table, None)),
            kind: crate::plan::JoinKind::Inner,
            left_keys: vec![col(2)],
            right_keys: vec![col(2)],
            residual: Some(bin(BinaryOp::Lt, col(0), col(3))),
        }),
        exprs: vec![col(1), col(4)],
    };
    assert_eq!(f.query(join).unwrap(), vec![vec![t("bob"), t("eve")]]);
}
