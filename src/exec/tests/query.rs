//! Aggregation, ordering, set operations, CTEs and table functions.

use super::*;
use crate::plan::{SetOpKind, TableFunc};
use crate::types::Interval;

fn rows_of(vals: Vec<Vec<Value>>) -> Plan {
    values(vals)
}

fn aggregate(input: Plan, group_by: Vec<Expr>, aggregates: Vec<AggCall>) -> Plan {
    Plan::Aggregate {
        input: Box::new(input),
        group_by,
        aggregates,
    }
}

#[test]
fn aggregates_follow_postgres_types() {
    let mut f = Fixture::new();
    let input = || rows_of(vec![vec![i4(1)], vec![i4(2)], vec![Value::Null], vec![i4(4)]]);
    let calls = vec![
        agg(AggFunc::CountStar, vec![], None),
        agg(AggFunc::Count, vec![col(0)], Some(DataType::Int4)),
        agg(AggFunc::Sum, vec![col(0)], Some(DataType::Int4)),
        agg(AggFunc::Avg, vec![col(0)], Some(DataType::Int4)),
        agg(AggFunc::Min, vec![col(0)], Some(DataType::Int4)),
        agg(AggFunc::Max, vec![col(0)], Some(DataType::Int4)),
    ];
    let rows = f.query(aggregate(input(), vec![], calls)).unwrap();
    // avg(1, 2, 4) = 7/3 at numeric's 16 significant digits.
    assert_eq!(
        rows,
        vec![vec![i8v(4), i8v(3), i8v(7), num("2.3333333333333333"), i4(1), i4(4)]]
    );
    let avg_text = match &rows[0][3] {
        Value::Numeric(d) => d.to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(avg_text, "2.3333333333333333");
    // sum(int8) is numeric, and does not overflow bigint.
    let big = rows_of(vec![vec![i8v(i64::MAX)], vec![i8v(i64::MAX)]]);
    let rows = f
        .query(aggregate(
            big,
            vec![],
            vec![agg(AggFunc::Sum, vec![col(0)], Some(DataType::Int8))],
        ))
        .unwrap();
    assert_eq!(rows, vec![vec![num("18446744073709551614")]]);
    // avg(1, 2) prints 1.5000000000000000 in PostgreSQL.
    let two = rows_of(vec![vec![i4(1)], vec![i4(2)]]);
    let rows = f
        .query(aggregate(
            two,
            vec![],
            vec![agg(AggFunc::Avg, vec![col(0)], Some(DataType::Int4))],
        ))
        .unwrap();
    match &rows[0][0] {
        Value::Numeric(d) => assert_eq!(d.to_string(), "1.5000000000000000"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn empty_input_with_and_without_group_by() {
    let mut f = Fixture::new();
    let empty = || Plan::Filter {
        input: Box::new(rows_of(vec![vec![i4(1)]])),
        predicate: lit(Value::Bool(false)),
    };
    let calls = || {
        vec![
            agg(AggFunc::CountStar, vec![], None),
            agg(AggFunc::Sum, vec![col(0)], Some(DataType::Int4)),
            agg(AggFunc::StringAgg, vec![col(0), text(",")], Some(DataType::Text)),
        ]
    };
    let rows = f.query(aggregate(empty(), vec![], calls())).unwrap();
    assert_eq!(rows, vec![vec![i8v(0), Value::Null, Value::Null]]);
    let rows = f.query(aggregate(empty(), vec![col(0)], calls())).unwrap();
    assert!(rows.is_empty());
}

#[test]
fn grouping_distinct_filter_and_ordered_aggregates() {
    let mut f = Fixture::new();
    let input = rows_of(vec![
        vec![t("a"), i4(3)],
        vec![t("b"), i4(1)],
        vec![t("a"), i4(1)],
        vec![t("a"), i4(3)],
        vec![Value::Null, i4(9)],
        vec![t("b"), Value::Null],
    ]);
    let mut count_distinct = agg(AggFunc::Count, vec![col(1)], Some(DataType::Int4));
    count_distinct.distinct = true;
    let mut filtered = agg(AggFunc::Sum, vec![col(1)], Some(DataType::Int4));
    filtered.filter = Some(bin(BinaryOp::Gt, col(1), int(1)));
    let mut ordered = agg(
        AggFunc::StringAgg,
        vec![
            Expr::Cast {
                expr: Box::new(col(1)),
                to: DataType::Text,
            },
            text("-"),
        ],
        Some(DataType::Text),
    );
    ordered.order_by = vec![desc(col(1))];
    let plan = Plan::Sort {
        input: Box::new(aggregate(input, vec![col(0)], vec![count_distinct, filtered, ordered])),
        keys: vec![asc(col(0))],
    };
    let rows = f.query(plan).unwrap();
    assert_eq!(
        rows,
        vec![
            vec![t("a"), i8v(2), i8v(6), t("3-3-1")],
            vec![t("b"), i8v(1), Value::Null, t("1")],
            // NULLs form one group, sorted last.
            vec![Value::Null, i8v(1), i8v(9), t("9")],
        ]
    );
}

#[test]
fn variance_bool_and_array_aggregates() {
    let mut f = Fixture::new();
    let input = rows_of(vec![
        vec![i4(1), Value::Bool(true)],
        vec![i4(2), Value::Bool(false)],
        vec![i4(3), Value::Null],
        vec![i4(4), Value::Bool(true)],
    ]);
    let calls = vec![
        agg(AggFunc::VarSamp, vec![col(0)], Some(DataType::Int4)),
        agg(AggFunc::StddevSamp, vec![col(0)], Some(DataType::Int4)),
        agg(AggFunc::VarPop, vec![col(0)], Some(DataType::Int4)),
        agg(AggFunc::BoolAnd, vec![col(1)], Some(DataType::Bool)),
        agg(AggFunc::BoolOr, vec![col(1)], Some(DataType::Bool)),
        agg(AggFunc::ArrayAgg, vec![col(1)], Some(DataType::Bool)),
        agg(
            AggFunc::StddevPop,
            vec![Expr::Cast {
                expr: Box::new(col(0)),
                to: DataType::Float8,
            }],
            Some(DataType::Float8),
        ),
    ];
    let rows = f.query(aggregate(input, vec![], calls)).unwrap();
    let r = &rows[0];
    // PostgreSQL 15: var_samp 1.6666666666666667, stddev_samp 1.2909944487358056, var_pop 1.2500000000000000.
    let texts: Vec<String> = r[..3]
        .iter()
        .map(|v| match v {
            Value::Numeric(d) => d.to_string(),
            o => format!("{o:?}"),
        })
        .collect();
    assert_eq!(
        texts,
        ["1.6666666666666667", "1.2909944487358056", "1.2500000000000000"]
    );
    assert_eq!(r[3], Value::Bool(false));
    assert_eq!(r[4], Value::Bool(true));
    assert_eq!(
        r[5],
        Value::Array(vec![
            Value::Bool(true),
            Value::Bool(false),
            Value::Null,
            Value::Bool(true)
        ])
    );
    match r[6] {
        Value::Float8(x) => assert!((x - 1.118_033_988_749_895).abs() < 1e-12),
        ref o => panic!("{o:?}"),
    }
}

#[test]
fn sort_nulls_and_stability() {
    let mut f = Fixture::new();
    let input = || {
        rows_of(vec![
            vec![i4(2), t("x")],
            vec![Value::Null, t("n")],
            vec![i4(1), t("y")],
            vec![i4(2), t("z")],
        ])
    };
    let rows = f
        .query(Plan::Sort {
            input: Box::new(input()),
            keys: vec![asc(col(0))],
        })
        .unwrap();
    let order: Vec<Value> = rows.into_iter().map(|r| r[1].clone()).collect();
    assert_eq!(order, vec![t("y"), t("x"), t("z"), t("n")]);
    let rows = f
        .query(Plan::Sort {
            input: Box::new(input()),
            keys: vec![desc(col(0))],
        })
        .unwrap();
    let order: Vec<Value> = rows.into_iter().map(|r| r[1].clone()).collect();
    assert_eq!(order, vec![t("n"), t("x"), t("z"), t("y")]);
    let nulls_first_asc = SortKey {
        expr: col(0),
        desc: false,
        nulls_first: true,
    };
    let rows = f
        .query(Plan::Sort {
            input: Box::new(input()),
            keys: vec![nulls_first_asc],
        })
        .unwrap();
    assert_eq!(rows[0][1], t("n"));
}

#[test]
fn limit_and_offset() {
    let mut f = Fixture::new();
    let input = || rows_of((1..=5).map(|i| vec![i4(i)]).collect());
    let lim = |l: Option<Expr>, o: Option<Expr>| Plan::Limit {
        input: Box::new(input()),
        limit: l,
        offset: o,
    };
    assert_eq!(
        f.query(lim(Some(lit(i8v(2))), Some(lit(i8v(1))))).unwrap(),
        vec![vec![i4(2)], vec![i4(3)]]
    );
    assert_eq!(
        f.query(lim(Some(null()), Some(lit(i8v(4))))).unwrap(),
        vec![vec![i4(5)]]
    );
    assert_eq!(f.query(lim(Some(lit(i8v(0))), None)).unwrap(), Vec::<Row>::new());
    let err = f.query(lim(Some(lit(i8v(-1))), None)).unwrap_err();
    assert_eq!(
        (err.sqlstate(), err.message().as_str()),
        ("2201W", "LIMIT must not be negative")
    );
    let err = f.query(lim(None, Some(lit(i8v(-1))))).unwrap_err();
    assert_eq!(
        (err.sqlstate(), err.message().as_str()),
        ("2201X", "OFFSET must not be negative")
    );
}

#[test]
fn distinct_and_distinct_on() {
    let mut f = Fixture::new();
    let input = || {
        rows_of(vec![
            vec![i4(1), t("a")],
            vec![i4(1), t("b")],
            vec![Value::Null, t("c")],
            vec![i4(1), t("a")],
            vec![Value::Null, t("c")],
        ])
    };
    let rows = f
        .query(Plan::Distinct {
            input: Box::new(input()),
        })
        .unwrap();
    assert_eq!(
        rows,
        vec![vec![i4(1), t("a")], vec![i4(1), t("b")], vec![Value::Null, t("c")]]
    );
    let rows = f
        .query(Plan::DistinctOn {
            input: Box::new(input()),
            keys: vec![col(0)],
        })
        .unwrap();
    assert_eq!(rows, vec![vec![i4(1), t("a")], vec![Value::Null, t("c")]]);
}

#[test]
fn set_operations_with_bag_semantics() {
    let mut f = Fixture::new();
    let l = || {
        rows_of(vec![
            vec![i4(1)],
            vec![i4(1)],
            vec![i4(2)],
            vec![Value::Null],
            vec![i4(3)],
        ])
    };
    let r = || rows_of(vec![vec![i4(1)], vec![Value::Null], vec![i4(4)]]);
    let mut run = |op, all| {
        sorted(
            f.query(Plan::SetOp {
                op,
                all,
                left: Box::new(l()),
                right: Box::new(r()),
            })
            .unwrap(),
        )
    };
    let col = |v: Vec<Value>| v.into_iter().map(|x| vec![x]).collect::<Vec<_>>();
    assert_eq!(
        run(SetOpKind::Union, false),
        col(vec![i4(1), i4(2), i4(3), i4(4), Value::Null])
    );
    assert_eq!(run(SetOpKind::Union, true).len(), 8);
    assert_eq!(run(SetOpKind::Intersect, false), col(vec![i4(1), Value::Null]));
    assert_eq!(run(SetOpKind::Intersect, true), col(vec![i4(1), Value::Null]));
    assert_eq!(run(SetOpKind::Except, false), col(vec![i4(2), i4(3)]));
    assert_eq!(run(SetOpKind::Except, true), col(vec![i4(1), i4(2), i4(3)]));
}

#[test]
fn recursive_cte_counts_and_union_stops_cycles() {
    let mut f = Fixture::new();
    // WITH RECURSIVE c(n) AS (VALUES (1) UNION ALL SELECT n + 1 FROM c WHERE n < 5)
    let recursive = Plan::Project {
        input: Box::new(Plan::Filter {
            input: Box::new(Plan::WorkTable { id: 0, width: 1 }),
            predicate: bin(BinaryOp::Lt, col(0), int(5)),
        }),
        exprs: vec![bin(BinaryOp::Add, col(0), int(1))],
    };
    let plan = Plan::RecursiveCte {
        id: 0,
        base: Box::new(rows_of(vec![vec![i4(1)]])),
        recursive: Box::new(recursive),
        distinct: false,
    };
    assert_eq!(f.query(plan).unwrap(), (1..=5).map(|i| vec![i4(i)]).collect::<Vec<_>>());
    // UNION (distinct) over a cycle 0 -> 1 -> 2 -> 0 terminates with the three nodes.
    let step = Plan::Project {
        input: Box::new(Plan::WorkTable { id: 1, width: 1 }),
        exprs: vec![bin(BinaryOp::Mod, bin(BinaryOp::Add, col(0), int(1)), int(3))],
    };
    let plan = Plan::RecursiveCte {
        id: 1,
        base: Box::new(rows_of(vec![vec![i4(0)]])),
        recursive: Box::new(step),
        distinct: true,
    };
    assert_eq!(f.query(plan).unwrap(), vec![vec![i4(0)], vec![i4(1)], vec![i4(2)]]);
}

#[test]
fn cte_scan_is_computed_once() {
    let mut f = Fixture::new();
    let cte = || Plan::CteScan {
        id: 7,
        plan: Box::new(rows_of(vec![vec![i4(1)], vec![i4(2)]])),
    };
    let plan = Plan::NestedLoopJoin {
        left: Box::new(cte()),
        right: Box::new(cte()),
        kind: crate::plan::JoinKind::Inner,
        condition: None,
    };
    assert_eq!(f.query(plan).unwrap().len(), 4);
}

#[test]
fn generate_series_and_unnest() {
    let mut f = Fixture::new();
    let gs = |args: Vec<Expr>| Plan::TableFunction {
        func: TableFunc::GenerateSeries,
        args,
        width: 1,
    };
    assert_eq!(
        f.query(gs(vec![int(1), int(3)])).unwrap(),
        vec![vec![i4(1)], vec![i4(2)], vec![i4(3)]]
    );
    assert_eq!(
        f.query(gs(vec![int(10), int(1), int(-4)])).unwrap(),
        vec![vec![i4(10)], vec![i4(6)], vec![i4(2)]]
    );
    assert_eq!(f.query(gs(vec![int(3), int(1)])).unwrap(), Vec::<Row>::new());
    assert_eq!(f.query(gs(vec![int(1), null()])).unwrap(), Vec::<Row>::new());
    let err = f.query(gs(vec![int(1), int(3), int(0)])).unwrap_err();
    assert_eq!(
        (err.sqlstate(), err.message().as_str()),
        ("22023", "step size cannot equal zero")
    );
    let day = |d: u32| {
        Value::Timestamp(
            chrono::NaiveDate::from_ymd_opt(2024, 1, d)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        )
    };
    let twelve_hours = lit(Value::Interval(Interval::new(0, 0, 12 * 3600 * 1_000_000)));
    let rows = f.query(gs(vec![lit(day(1)), lit(day(2)), twelve_hours])).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2], vec![day(2)]);
    let un = Plan::TableFunction {
        func: TableFunc::Unnest,
        args: vec![Expr::Array(vec![int(1), null(), int(3)])],
        width: 1,
    };
    assert_eq!(f.query(un).unwrap(), vec![vec![i4(1)], vec![Value::Null], vec![i4(3)]]);
}

#[test]
fn cancel_flag_stops_long_work() {
    let mut f = Fixture::new();
    f.cancel = Some(Arc::new(std::sync::atomic::AtomicBool::new(true)));
    let plan = Plan::TableFunction {
        func: TableFunc::GenerateSeries,
        args: vec![int(1), int(100_000)],
        width: 1,
    };
    let err = f.query(plan).unwrap_err();
    assert_eq!(
        (err.sqlstate(), err.message().as_str()),
        ("57014", "canceling statement due to user request")
    );
}

#[test]
fn unnest_flattens_multidimensional_arrays() {
    let mut f = Fixture::new();
    let matrix = Expr::Array(vec![
        Expr::Array(vec![int(1), int(2)]),
        Expr::Array(vec![int(3), int(4)]),
    ]);
    let plan = Plan::TableFunction {
        func: TableFunc::Unnest,
        args: vec![matrix],
        width: 1,
    };
    assert_eq!(f.query(plan).unwrap(), (1..=4).map(|i| vec![i4(i)]).collect::<Vec<_>>());
    let plan = Plan::TableFunction {
        func: TableFunc::Unnest,
        args: vec![null()],
        width: 1,
    };
    assert_eq!(f.query(plan).unwrap(), Vec::<Row>::new());
}

#[test]
fn float_text_and_json_aggregates() {
    let mut f = Fixture::new();
    let input = rows_of(vec![
        vec![Value::Float4(1.5), t("b"), i4(1)],
        vec![Value::Float4(2.0), t("a"), Value::Null],
        vec![Value::Null, t("b"), i4(3)],
    ]);
    let mut distinct_names = agg(AggFunc::StringAgg, vec![col(1), text(",")], Some(DataType::Text));
    distinct_names.distinct = true;
    let calls = vec![
        agg(AggFunc::Sum, vec![col(0)], Some(DataType::Float4)),
        agg(AggFunc::Avg, vec![col(0)], Some(DataType::Float4)),
        agg(AggFunc::Min, vec![col(1)], Some(DataType::Text)),
        agg(AggFunc::Max, vec![col(1)], Some(DataType::Text)),
        distinct_names,
        agg(AggFunc::JsonbAgg, vec![col(2)], Some(DataType::Int4)),
    ];
    let rows = f.query(aggregate(input, vec![], calls)).unwrap();
    assert_eq!(
        rows,
        vec![vec![
            Value::Float4(3.5),
            Value::Float8(1.75),
            t("a"),
            t("b"),
            // DISTINCT without ORDER BY aggregates in sorted order.
            t("a,b"),
            Value::Jsonb(serde_json::json!([1, null, 3])),
        ]]
    );
}

#[test]
fn sum_of_integers_overflows_past_bigint_only() {
    let mut f = Fixture::new();
    // sum(int4) is bigint: 2147483647 + 1 does not overflow.
    let input = rows_of(vec![vec![i4(i32::MAX)], vec![i4(1)]]);
    let rows = f
        .query(aggregate(
            input,
            vec![],
            vec![agg(AggFunc::Sum, vec![col(0)], Some(DataType::Int4))],
        ))
        .unwrap();
    assert_eq!(rows, vec![vec![i8v(2_147_483_648)]]);
}

#[test]
fn distinct_sum_avg_and_count_skip_repeats_and_nulls() {
    let mut f = Fixture::new();
    let input = rows_of(vec![
        vec![i4(1)],
        vec![i4(1)],
        vec![i4(2)],
        vec![Value::Null],
        vec![i4(2)],
    ]);
    let distinct = |func, ty: Option<DataType>| {
        let mut c = agg(func, vec![col(0)], ty);
        c.distinct = true;
        c
    };
    let calls = vec![
        distinct(AggFunc::Sum, Some(DataType::Int4)),
        distinct(AggFunc::Avg, Some(DataType::Int4)),
        distinct(AggFunc::Count, Some(DataType::Int4)),
        distinct(AggFunc::Max, Some(DataType::Int4)),
    ];
    let rows = f.query(aggregate(input, vec![], calls)).unwrap();
    assert_eq!(rows, vec![vec![i8v(3), num("1.5"), i8v(2), i4(2)]]);
    match &rows[0][1] {
        Value::Numeric(d) => assert_eq!(d.to_string(), "1.5000000000000000"),
        other => panic!("{other:?}"),
    }
}
