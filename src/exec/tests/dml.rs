//! INSERT / UPDATE / DELETE: constraint order and messages, index maintenance, ON CONFLICT,
//! RETURNING.

use super::*;
use crate::plan::{IndexLookup, OnConflict};

fn affected(out: ExecOutput) -> (u64, Option<Vec<Row>>) {
    match out {
        ExecOutput::Affected { count, returning } => (count, returning),
        other => panic!("{other:?}"),
    }
}

fn items(f: &mut Fixture) -> Arc<TableDef> {
    f.table(
        30,
        "items",
        &[
            ("id", DataType::Int4, false),
            ("name", DataType::Varchar(Some(5)), false),
            ("qty", DataType::Int4, true),
        ],
        Some(vec![0]),
    )
}

#[test]
fn insert_casts_defaults_and_returns() {
    let mut f = Fixture::new();
    let table = items(&mut f);
    let mut plan = insert_plan(&table, vec![vec![i8v(1), t("ab")]]);
    plan.columns = vec![0, 1];
    plan.defaults = vec![None, None, Some(bin(BinaryOp::Add, int(40), int(2)))];
    plan.returning = Some((vec![col(2), col(0)], Vec::new()));
    let (count, returning) = affected(f.run(BoundStatement::Insert(plan)).unwrap());
    assert_eq!(count, 1);
    // The bigint 1 was assigned to an integer column.
    assert_eq!(returning, Some(vec![vec![i4(42), i4(1)]]));
    assert_eq!(f.rows(&table), vec![vec![i4(1), t("ab"), i4(42)]]);
}

#[test]
fn constraint_errors_in_postgres_order_and_words() {
    let mut f = Fixture::new();
    let table = items(&mut f);
    let err = f.insert(&table, vec![vec![i4(1), Value::Null, i4(1)]]).unwrap_err();
    assert_eq!(err.sqlstate(), "23502");
    assert_eq!(
        err.message(),
        "null value in column \"name\" of relation \"items\" violates not-null constraint"
    );
    assert_eq!(err.detail(), Some("Failing row contains (1, null, 1)."));
    let err = f.insert(&table, vec![vec![i4(1), t("toolong"), i4(1)]]).unwrap_err();
    assert_eq!(err.sqlstate(), "22001");
    let mut plan = insert_plan(&table, vec![vec![i4(1), t("a"), i4(-1)]]);
    plan.checks = vec![("items_qty_check".into(), bin(BinaryOp::GtEq, col(2), int(0)))];
    let err = f.run(BoundStatement::Insert(plan.clone())).unwrap_err();
    assert_eq!(err.sqlstate(), "23514");
    assert_eq!(
        err.message(),
        "new row for relation \"items\" violates check constraint \"items_qty_check\""
    );
    // A CHECK that evaluates to NULL passes.
    plan.source = values(vec![vec![i4(1), t("a"), Value::Null]]);
    assert_eq!(affected(f.run(BoundStatement::Insert(plan)).unwrap()).0, 1);
    let err = f.insert(&table, vec![vec![i4(1), t("b"), i4(2)]]).unwrap_err();
    assert_eq!(err.sqlstate(), "23505");
    assert_eq!(
        err.message(),
        "duplicate key value violates unique constraint \"items_pkey\""
    );
    assert_eq!(err.detail(), Some("Key (id)=(1) already exists."));
    // Duplicates within one statement are caught too.
    let err = f
        .insert(&table, vec![vec![i4(7), t("x"), i4(1)], vec![i4(7), t("y"), i4(1)]])
        .unwrap_err();
    assert_eq!(err.sqlstate(), "23505");
}

#[test]
fn unique_index_allows_many_nulls() {
    let mut f = Fixture::new();
    let table = items(&mut f);
    f.index(31, "items_qty_key", &table, vec![2], true).unwrap();
    f.insert(
        &table,
        vec![
            vec![i4(1), t("a"), Value::Null],
            vec![i4(2), t("b"), Value::Null],
            vec![i4(3), t("c"), i4(5)],
        ],
    )
    .unwrap();
    let err = f.insert(&table, vec![vec![i4(4), t("d"), i4(5)]]).unwrap_err();
    assert_eq!(
        err.message(),
        "duplicate key value violates unique constraint \"items_qty_key\""
    );
    assert_eq!(err.detail(), Some("Key (qty)=(5) already exists."));
    // CREATE UNIQUE INDEX over duplicates fails.
    f.insert(&table, vec![vec![i4(5), t("c"), i4(6)]]).unwrap();
    let err = f.index(32, "items_name_key", &table, vec![1], true).unwrap_err();
    assert_eq!(err.sqlstate(), "23505");
    assert_eq!(err.message(), "could not create unique index \"items_name_key\"");
    assert_eq!(err.detail(), Some("Key (name)=(c) is duplicated."));
}

#[test]
fn update_moves_rows_and_maintains_indexes() {
    let mut f = Fixture::new();
    let table = items(&mut f);
    let by_qty = f.index(33, "items_qty", &table, vec![2], false).unwrap();
    f.insert(&table, vec![vec![i4(1), t("a"), i4(10)], vec![i4(2), t("b"), i4(20)]])
        .unwrap();
    // UPDATE items SET id = id + 10, qty = qty + 1 WHERE id = 1 (both read the old row).
    let assignments = vec![
        (0, bin(BinaryOp::Add, col(0), int(10))),
        (2, bin(BinaryOp::Add, col(0), col(2))),
    ];
    let (count, _) = affected(f.update(&table, Some(eq(col(0), int(1))), assignments).unwrap());
    assert_eq!(count, 1);
    assert_eq!(
        f.rows(&table),
        vec![vec![i4(2), t("b"), i4(20)], vec![i4(11), t("a"), i4(11)]]
    );
    let lookup = |v| Plan::Scan {
        table: table.clone(),
        source: ScanSource::Index(by_qty.clone(), IndexLookup::Eq(vec![int(v)])),
        filter: None,
        emit_key: false,
    };
    assert_eq!(f.query(lookup(10)).unwrap(), Vec::<Row>::new());
    assert_eq!(f.query(lookup(11)).unwrap(), vec![vec![i4(11), t("a"), i4(11)]]);
    // Moving onto an existing key is a unique violation.
    let err = f
        .update(&table, Some(eq(col(0), int(2))), vec![(0, int(11))])
        .unwrap_err();
    assert_eq!(err.detail(), Some("Key (id)=(11) already exists."));
    // NOT NULL applies to updates.
    let err = f.update(&table, None, vec![(1, null())]).unwrap_err();
    assert_eq!(err.sqlstate(), "23502");
}

#[test]
fn delete_removes_rows_and_index_entries() {
    let mut f = Fixture::new();
    let table = items(&mut f);
    let by_qty = f.index(34, "items_qty", &table, vec![2], false).unwrap();
    f.insert(
        &table,
        vec![
            vec![i4(1), t("a"), i4(10)],
            vec![i4(2), t("b"), i4(10)],
            vec![i4(3), t("c"), i4(30)],
        ],
    )
    .unwrap();
    let plan = DeletePlan {
        table: table.clone(),
        input: scan_keyed(&table, Some(eq(col(2), int(10)))),
        returning: Some((vec![col(1)], Vec::new())),
    };
    let (count, returning) = affected(f.run(BoundStatement::Delete(plan)).unwrap());
    assert_eq!(count, 2);
    assert_eq!(returning, Some(vec![vec![t("a")], vec![t("b")]]));
    assert_eq!(f.rows(&table), vec![vec![i4(3), t("c"), i4(30)]]);
    let lookup = Plan::Scan {
        table: table.clone(),
        source: ScanSource::Index(by_qty, IndexLookup::Eq(vec![int(10)])),
        filter: None,
        emit_key: false,
    };
    assert_eq!(f.query(lookup).unwrap(), Vec::<Row>::new());
    // The freed key can be used again.
    f.insert(&table, vec![vec![i4(1), t("z"), i4(10)]]).unwrap();
}

#[test]
fn on_conflict_do_nothing_and_do_update() {
    let mut f = Fixture::new();
    let table = items(&mut f);
    f.insert(&table, vec![vec![i4(1), t("a"), i4(10)]]).unwrap();
    let mut plan = insert_plan(&table, vec![vec![i4(1), t("b"), i4(5)], vec![i4(2), t("c"), i4(7)]]);
    plan.on_conflict = Some(OnConflict::DoNothing);
    assert_eq!(affected(f.run(BoundStatement::Insert(plan.clone())).unwrap()).0, 1);
    // DO UPDATE SET qty = items.qty + excluded.qty (existing row ++ excluded row).
    plan.source = values(vec![vec![i4(1), t("b"), i4(5)], vec![i4(3), t("d"), i4(1)]]);
    plan.on_conflict = Some(OnConflict::DoUpdate {
        assignments: vec![(2, bin(BinaryOp::Add, col(2), col(5)))],
        filter: None,
    });
    plan.returning = Some((vec![col(0), col(2)], Vec::new()));
    let (count, returning) = affected(f.run(BoundStatement::Insert(plan.clone())).unwrap());
    assert_eq!(count, 2);
    assert_eq!(returning, Some(vec![vec![i4(1), i4(15)], vec![i4(3), i4(1)]]));
    assert_eq!(
        f.rows(&table),
        vec![
            vec![i4(1), t("a"), i4(15)],
            vec![i4(2), t("c"), i4(7)],
            vec![i4(3), t("d"), i4(1)]
        ]
    );
    // The same row twice in one command is an error.
    plan.source = values(vec![vec![i4(2), t("x"), i4(1)], vec![i4(2), t("y"), i4(1)]]);
    assert_eq!(code(f.run(BoundStatement::Insert(plan))), "21000");
}

#[test]
fn table_without_primary_key_and_clear() {
    let mut f = Fixture::new();
    let table = f.table(40, "log", &[("msg", DataType::Text, true)], None);
    f.insert(&table, vec![vec![t("x")], vec![t("x")], vec![Value::Null]])
        .unwrap();
    assert_eq!(f.rows(&table), vec![vec![t("x")], vec![t("x")], vec![Value::Null]]);
    let (count, _) = affected(
        f.delete(
            &table,
            Some(Expr::IsNull {
                expr: Box::new(col(0)),
                negated: false,
            }),
        )
        .unwrap(),
    );
    assert_eq!(count, 1);
    let indexes = f.catalog.table_indexes(table.id);
    super::super::table::clear_table(&mut f.txn, &table, &indexes).unwrap();
    assert_eq!(f.rows(&table), Vec::<Row>::new());
}

#[test]
fn update_returning_and_unique_index_conflicts() {
    let mut f = Fixture::new();
    let table = f.table(
        50,
        "acct",
        &[("name", DataType::Text, false), ("code", DataType::Int4, true)],
        None,
    );
    f.index(51, "acct_code_key", &table, vec![1], true).unwrap();
    f.insert(&table, vec![vec![t("a"), i4(1)], vec![t("b"), i4(2)]])
        .unwrap();
    let plan = UpdatePlan {
        table: table.clone(),
        input: scan_keyed(&table, Some(eq(col(0), text("a")))),
        assignments: vec![(1, int(10))],
        checks: Vec::new(),
        returning: Some((vec![col(0), col(1)], Vec::new())),
    };
    let (count, returning) = affected(f.run(BoundStatement::Update(plan)).unwrap());
    assert_eq!((count, returning), (1, Some(vec![vec![t("a"), i4(10)]])));
    // Rows of a table without a primary key keep their place (row id) when updated.
    assert_eq!(f.rows(&table), vec![vec![t("a"), i4(10)], vec![t("b"), i4(2)]]);
    let err = f
        .update(&table, Some(eq(col(0), text("b"))), vec![(1, int(10))])
        .unwrap_err();
    assert_eq!(
        err.message(),
        "duplicate key value violates unique constraint \"acct_code_key\""
    );
    assert_eq!(err.detail(), Some("Key (code)=(10) already exists."));
    // The old value is free again after the first update moved away from it.
    f.update(&table, Some(eq(col(0), text("b"))), vec![(1, int(1))])
        .unwrap();
    assert_eq!(f.rows(&table), vec![vec![t("a"), i4(10)], vec![t("b"), i4(1)]]);
}

#[test]
fn update_subqueries_read_the_table_as_the_statement_found_it() {
    let mut f = Fixture::new();
    let table = f.table(
        70,
        "seq",
        &[("id", DataType::Int4, false), ("v", DataType::Int4, true)],
        Some(vec![0]),
    );
    f.insert(&table, (1..=4).map(|i| vec![i4(i), i4(i)]).collect()).unwrap();
    // UPDATE seq SET v = (SELECT sum(v) FROM seq s WHERE s.id < seq.id): with the old values
    // 1, 2, 3, 4 the sums are NULL, 1, 3, 6 — not running totals of already updated rows.
    let earlier = Plan::Aggregate {
        input: Box::new(scan(
            &table,
            Some(bin(BinaryOp::Lt, col(0), Expr::Outer { levels_up: 1, index: 0 })),
        )),
        group_by: vec![],
        aggregates: vec![agg(AggFunc::Sum, vec![col(1)], Some(DataType::Int4))],
    };
    let sum = Expr::Subquery {
        plan: Box::new(earlier),
        kind: crate::plan::SubqueryKind::Scalar,
        correlated: true,
    };
    let cast = Expr::Cast {
        expr: Box::new(sum),
        to: DataType::Int4,
    };
    f.update(&table, None, vec![(1, cast)]).unwrap();
    assert_eq!(
        f.rows(&table),
        vec![
            vec![i4(1), Value::Null],
            vec![i4(2), i4(1)],
            vec![i4(3), i4(3)],
            vec![i4(4), i4(6)]
        ]
    );
}
