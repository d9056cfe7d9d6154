//! Binder and optimizer tests against a hand-built catalog. Expected names, types and
//! SQLSTATEs are PostgreSQL 15's documented behaviour.

use crate::catalog::{Catalog, CatalogRecord, CheckDef, ColumnDef, IndexDef, TableDef, TableKind, ViewDef};
use crate::error::Result;
use crate::types::{DataType, Value};

use super::rewrite::visit_plan;
use super::{
    explain::explain, Binder, BoundStatement, Expr, IndexLookup, JoinKind, Plan, QueryPlan, ScanSource, SubqueryKind,
};

fn col(name: &str, t: DataType) -> ColumnDef {
    ColumnDef {
        name: name.into(),
        data_type: t,
        nullable: true,
        default: None,
    }
}

fn table(id: u32, name: &str, columns: Vec<ColumnDef>, pk: Option<Vec<usize>>) -> CatalogRecord {
    CatalogRecord::Table(TableDef {
        id,
        name: name.into(),
        columns,
        primary_key_name: pk.as_ref().map(|_| format!("{name}_pkey")),
        primary_key: pk,
        checks: vec![],
        kind: TableKind::Ordinary,
    })
}

fn catalog() -> Catalog {
    let mut c = Catalog::default();
    let mut t = table(
        1,
        "t",
        vec![
            col("id", DataType::Int4),
            col("name", DataType::Text),
            col("b", DataType::Int4),
        ],
        Some(vec![0]),
    );
    if let CatalogRecord::Table(def) = &mut t {
        def.columns[1].default = Some("'anon'".into());
        def.checks.push(CheckDef {
            name: "t_b_check".into(),
            expr: "b > 0".into(),
        });
    }
    c.insert(t).unwrap();
    c.insert(table(
        2,
        "u",
        vec![
            col("id", DataType::Int4),
            col("t_id", DataType::Int4),
            col("v", DataType::Text),
        ],
        None,
    ))
    .unwrap();
    c.insert(table(
        3,
        "big",
        vec![col("k", DataType::Int8), col("x", DataType::Int4)],
        Some(vec![0]),
    ))
    .unwrap();
    for i in 1..=8u32 {
        c.insert(table(
            10 + i,
            &format!("t{i}"),
            vec![
                col(&format!("a{i}"), DataType::Int4),
                col(&format!("b{i}"), DataType::Int4),
                col(&format!("c{i}"), DataType::Int4),
                col(&format!("d{i}"), DataType::Int4),
                col(&format!("e{i}"), DataType::Int4),
                col(&format!("x{i}"), DataType::Varchar(Some(40))),
            ],
            None,
        ))
        .unwrap();
    }
    c.insert(CatalogRecord::Index(IndexDef {
        id: 100,
        name: "u_t_id_idx".into(),
        table_id: 2,
        columns: vec![1],
        unique: false,
        constraint: false,
    }))
    .unwrap();
    c.insert(CatalogRecord::View(ViewDef {
        id: 200,
        name: "v".into(),
        sql: "SELECT id, name FROM t WHERE b > 1".into(),
        column_names: vec!["vid".into()],
    }))
    .unwrap();
    c
}

fn bind_with(sql: &str, params: &[DataType]) -> Result<(BoundStatement, Vec<DataType>)> {
    let cat = catalog();
    let stmts = crate::sql::parse(sql)?;
    let mut b = Binder::new(&cat, params);
    let stmt = b.bind_statement(&stmts[0])?;
    Ok((stmt, b.param_types()))
}

fn bind(sql: &str) -> Result<BoundStatement> {
    bind_with(sql, &[]).map(|(s, _)| s)
}

fn query(sql: &str) -> QueryPlan {
    match bind(sql) {
        Ok(BoundStatement::Query(q)) => q,
        Ok(other) => panic!("not a query: {other:?}"),
        Err(e) => panic!("{sql}: {e:?}"),
    }
}

fn err_code(sql: &str) -> (String, String) {
    match bind(sql) {
        Ok(s) => panic!("{sql}: expected an error, bound {s:?}"),
        Err(e) => (e.sqlstate().to_string(), e.message()),
    }
}

fn names(q: &QueryPlan) -> Vec<String> {
    q.columns.iter().map(|c| c.name.clone()).collect()
}

fn types(q: &QueryPlan) -> Vec<DataType> {
    q.columns.iter().map(|c| c.data_type.clone()).collect()
}

/// Every plan node, pre-order (subquery plans not included).
fn nodes(p: &Plan) -> Vec<&Plan> {
    let mut out = vec![p];
    let children: Vec<&Plan> = match p {
        Plan::Filter { input, .. }
        | Plan::Project { input, .. }
        | Plan::Aggregate { input, .. }
        | Plan::Sort { input, .. }
        | Plan::Limit { input, .. }
        | Plan::Distinct { input }
        | Plan::DistinctOn { input, .. } => vec![input],
        Plan::NestedLoopJoin { left, right, .. }
        | Plan::HashJoin { left, right, .. }
        | Plan::SetOp { left, right, .. } => {
            vec![left, right]
        }
        Plan::RecursiveCte { base, recursive, .. } => vec![base, recursive],
        Plan::CteScan { plan, .. } => vec![plan],
        _ => vec![],
    };
    for c in children {
        out.extend(nodes(c));
    }
    out
}

fn scans(p: &Plan) -> Vec<(&str, &ScanSource, bool)> {
    nodes(p)
        .into_iter()
        .filter_map(|n| match n {
            Plan::Scan {
                table, source, filter, ..
            } => Some((table.name.as_str(), source, filter.is_some())),
            _ => None,
        })
        .collect()
}

#[test]
fn output_names_follow_postgres() {
    let q = query(
        "SELECT id, t.name, id + 1, 1::int, b::text, 'x', CASE WHEN b > 1 THEN 1 END, count(*), \
         COALESCE(b, 0), true, DATE '2024-01-01', (SELECT max(v) FROM u) FROM t GROUP BY id, t.name, b",
    );
    assert_eq!(
        names(&q),
        ["id", "name", "?column?", "int4", "b", "?column?", "case", "count", "coalesce", "?column?", "date", "max"]
    );
    let t = types(&q);
    assert_eq!(t[0], DataType::Int4);
    assert_eq!(t[1], DataType::Text);
    assert_eq!(t[2], DataType::Int4);
    assert_eq!(t[5], DataType::Text, "an unknown literal's column is text");
    assert_eq!(t[7], DataType::Int8, "count is bigint");
    assert_eq!(t[10], DataType::Date);
    assert_eq!(q.columns[0].source, Some((1, 0)));
}

#[test]
fn integer_literals_widen_by_magnitude() {
    let q = query("SELECT 1, 3000000000, 10000000000000000000000, 1.5, -2147483648");
    assert_eq!(
        types(&q),
        [
            DataType::Int4,
            DataType::Int8,
            DataType::Numeric(None),
            DataType::Numeric(None),
            DataType::Int4
        ]
    );
}

#[test]
fn star_with_using_shows_merged_column_once() {
    let q = query("SELECT * FROM t JOIN u USING (id)");
    assert_eq!(names(&q), ["id", "name", "b", "t_id", "v"]);
    let q = query("SELECT * FROM t1 NATURAL JOIN t1 AS z");
    assert_eq!(names(&q), ["a1", "b1", "c1", "d1", "e1", "x1"]);
    let q = query("SELECT t.*, u.id FROM t FULL JOIN u USING (id)");
    assert_eq!(names(&q), ["id", "name", "b", "id"]);
}

#[test]
fn resolution_errors_carry_postgres_sqlstates() {
    assert_eq!(
        err_code("SELECT zz FROM t"),
        ("42703".into(), "column \"zz\" does not exist".into())
    );
    assert_eq!(
        err_code("SELECT id FROM t, u"),
        ("42702".into(), "column reference \"id\" is ambiguous".into())
    );
    assert_eq!(
        err_code("SELECT * FROM nope"),
        ("42P01".into(), "relation \"nope\" does not exist".into())
    );
    assert_eq!(
        err_code("SELECT x.id FROM t"),
        ("42P01".into(), "missing FROM-clause entry for table \"x\"".into())
    );
    assert_eq!(err_code("SELECT t.zz FROM t").0, "42703");
    assert_eq!(
        err_code("SELECT id FROM t WHERE count(*) > 1"),
        ("42803".into(), "aggregate functions are not allowed in WHERE".into())
    );
    assert_eq!(
        err_code("SELECT t_id, v FROM u GROUP BY t_id").1,
        "column \"u.v\" must appear in the GROUP BY clause or be used in an aggregate function"
    );
    // Grouping by the primary key makes the table's other columns functionally dependent.
    let q = query("SELECT id, b FROM t GROUP BY id");
    assert_eq!(names(&q), ["id", "b"]);
    assert_eq!(
        err_code("SELECT count(*) FROM t ORDER BY b").1,
        "column \"t.b\" must appear in the GROUP BY clause or be used in an aggregate function"
    );
    assert_eq!(
        err_code("SELECT id FROM t WHERE b AND true"),
        (
            "42804".into(),
            "argument of AND must be type boolean, not type integer".into()
        )
    );
    assert_eq!(
        err_code("SELECT id FROM t WHERE b"),
        (
            "42804".into(),
            "argument of WHERE must be type boolean, not type integer".into()
        )
    );
    assert_eq!(
        err_code("SELECT foo(1)"),
        ("42883".into(), "function foo(integer) does not exist".into())
    );
    assert_eq!(
        err_code("SELECT 1::foo"),
        ("42704".into(), "type \"foo\" does not exist".into())
    );
    assert_eq!(err_code("SELECT count(sum(b)) FROM t").0, "42803");
}

#[test]
fn dml_errors() {
    assert_eq!(
        err_code("INSERT INTO t (id, zz) VALUES (1, 2)"),
        ("42703".into(), "column \"zz\" of relation \"t\" does not exist".into())
    );
    assert_eq!(
        err_code("INSERT INTO t VALUES (1, 'a', 2, 3)"),
        ("42601".into(), "INSERT has more expressions than target columns".into())
    );
    assert_eq!(err_code("INSERT INTO t (id, id) VALUES (1, 2)").0, "42701");
    assert_eq!(err_code("UPDATE t SET zz = 1").0, "42703");
    assert_eq!(
        err_code("INSERT INTO t (id, b) VALUES (1, true)"),
        (
            "42804".into(),
            "column \"b\" is of type integer but expression is of type boolean".into()
        )
    );
    assert_eq!(err_code("UPDATE t SET b = name").0, "42804");
    // Numeric to integer and anything to text are assignment casts.
    assert!(bind("INSERT INTO t (id, name, b) VALUES (1.5, 2, 3.7)").is_ok());
    assert_eq!(err_code("DELETE FROM nope").0, "42P01");
}

#[test]
fn primary_key_equality_uses_the_key() {
    let q = query("SELECT * FROM t WHERE id = 5");
    let s = scans(&q.plan);
    assert_eq!(s.len(), 1);
    match s[0].1 {
        ScanSource::PrimaryKey(IndexLookup::Eq(v)) => {
            assert!(matches!(v.as_slice(), [Expr::Constant(Value::Int4(5))]), "{v:?}")
        }
        other => panic!("expected a primary-key lookup, got {other:?}"),
    }
    assert!(!s[0].2, "the lookup enforces the predicate: the filter is gone");
    // Conjuncts the lookup does not enforce stay.
    let q = query("SELECT * FROM t WHERE id = 5 AND b > 1");
    assert!(scans(&q.plan)[0].2);
    // A bigint key compared with an integer literal still uses the key.
    let q = query("SELECT * FROM big WHERE 7 = k");
    assert!(matches!(
        scans(&q.plan)[0].1,
        ScanSource::PrimaryKey(IndexLookup::Eq(_))
    ));
}

#[test]
fn ranges_in_lists_and_indexes() {
    let q = query("SELECT * FROM t WHERE id BETWEEN 2 AND 5");
    match scans(&q.plan)[0].1 {
        ScanSource::PrimaryKey(IndexLookup::Range {
            prefix,
            lower: Some((_, true)),
            upper: Some((_, true)),
        }) => {
            assert!(prefix.is_empty())
        }
        other => panic!("expected a range, got {other:?}"),
    }
    assert!(!scans(&q.plan)[0].2, "both bounds are enforced by the range");
    // Only the first bound of each side is a key bound; the other one stays a filter.
    let q = query("SELECT * FROM t WHERE id > 2 AND id > 3");
    assert!(scans(&q.plan)[0].2);
    let q = query("SELECT * FROM t WHERE id IN (1, 2, 3)");
    assert!(matches!(scans(&q.plan)[0].1, ScanSource::PrimaryKey(IndexLookup::InList(l)) if l.len() == 3));
    let q = query("SELECT * FROM u WHERE t_id = $1");
    assert!(matches!(scans(&q.plan)[0].1, ScanSource::Index(i, IndexLookup::Eq(_)) if i.name == "u_t_id_idx"));
    let q = query("SELECT * FROM t WHERE b = 5");
    assert!(matches!(scans(&q.plan)[0].1, ScanSource::Table));
    let q = query("SELECT * FROM t WHERE id + 0 = 5");
    assert!(matches!(scans(&q.plan)[0].1, ScanSource::Table));
}

#[test]
fn comma_joins_become_hash_joins_without_cross_products() {
    let q = query(
        "SELECT x1, x2, x3, x4 FROM t1, t2, t3, t4 \
         WHERE a3 = b4 AND a1 = b2 AND c2 = d3 AND e1 < 10 AND a4 IN (1, 2)",
    );
    let all = nodes(&q.plan);
    let hash = all
        .iter()
        .filter(|n| {
            matches!(
                n,
                Plan::HashJoin {
                    kind: JoinKind::Inner,
                    ..
                }
            )
        })
        .count();
    let nested = all.iter().filter(|n| matches!(n, Plan::NestedLoopJoin { .. })).count();
    assert_eq!(hash, 3);
    assert_eq!(nested, 0);
    let filtered: Vec<&str> = scans(&q.plan).iter().filter(|s| s.2).map(|s| s.0).collect();
    assert!(filtered.contains(&"t1") && filtered.contains(&"t4"), "{filtered:?}");
    assert_eq!(q.columns.len(), 4);
}

#[test]
fn eight_way_join_is_fully_hashed() {
    let q = query(
        "SELECT a1, b8 FROM t8, t7, t6, t5, t4, t3, t2, t1 WHERE a1 = b5 AND a5 = b8 AND a8 = b2 AND a2 = b7 \
         AND a7 = b3 AND a3 = b6 AND a6 = b4 AND e4 = 3",
    );
    let all = nodes(&q.plan);
    assert_eq!(all.iter().filter(|n| matches!(n, Plan::HashJoin { .. })).count(), 7);
    assert_eq!(
        all.iter().filter(|n| matches!(n, Plan::NestedLoopJoin { .. })).count(),
        0
    );
}

#[test]
fn outer_join_pushdown_is_safe() {
    let q = query("SELECT * FROM t LEFT JOIN u ON t.id = u.t_id AND u.v = 'x' WHERE t.b > 1");
    let all = nodes(&q.plan);
    assert!(all.iter().any(|n| matches!(
        n,
        Plan::HashJoin {
            kind: JoinKind::Left,
            ..
        }
    )));
    let s = scans(&q.plan);
    assert!(
        s.iter().all(|(_, _, filtered)| *filtered),
        "both sides filtered below the join: {s:?}"
    );
    // A WHERE condition on the nullable side must stay above the join.
    let q = query("SELECT * FROM t LEFT JOIN u ON t.id = u.t_id WHERE u.v IS NULL");
    assert!(matches!(q.plan, Plan::Filter { .. }), "{:?}", q.plan);
}

#[test]
fn order_by_hidden_column_alias_and_position() {
    let q = query("SELECT name FROM t ORDER BY b DESC, 1");
    assert_eq!(names(&q), ["name"]);
    let Plan::Project { input, exprs } = &q.plan else {
        panic!("{:?}", q.plan)
    };
    assert_eq!(exprs.len(), 1);
    let Plan::Sort { keys, .. } = input.as_ref() else {
        panic!("{input:?}")
    };
    assert!(keys[0].desc && keys[0].nulls_first, "DESC defaults to NULLS FIRST");
    assert!(!keys[1].desc && !keys[1].nulls_first, "ASC defaults to NULLS LAST");
    assert!(matches!(keys[1].expr, Expr::Column(0)));
    let q = query("SELECT b AS z FROM t ORDER BY z NULLS FIRST LIMIT 2 OFFSET 1");
    assert!(matches!(q.plan, Plan::Limit { .. }));
    assert_eq!(err_code("SELECT b FROM t ORDER BY 3").0, "42P10");
}

#[test]
fn correlated_subqueries_reference_outer_rows() {
    let q = query("SELECT id, EXISTS (SELECT 1 FROM u WHERE u.t_id = t.id) FROM t");
    let mut plan = q.plan.clone();
    let mut found = Vec::new();
    visit_plan(&mut plan, 0, &mut |e, depth| {
        if let Expr::Subquery {
            kind: SubqueryKind::Exists,
            correlated,
            ..
        } = e
        {
            found.push(*correlated);
        }
        if let Expr::Outer { levels_up, index } = e {
            assert_eq!((*levels_up, *index, depth), (1, 0, 1));
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(found, [true]);
    let q = query("SELECT id, (SELECT count(*) FROM u) FROM t");
    let mut plan = q.plan;
    let mut flags = Vec::new();
    visit_plan(&mut plan, 0, &mut |e, _| {
        if let Expr::Subquery { correlated, .. } = e {
            flags.push(*correlated);
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(flags, [false]);
    // Two levels up.
    let q = query("SELECT id FROM t WHERE b IN (SELECT t_id FROM u WHERE EXISTS (SELECT 1 FROM t1 WHERE a1 = t.b))");
    let mut plan = q.plan;
    let mut outer = Vec::new();
    visit_plan(&mut plan, 0, &mut |e, depth| {
        if let Expr::Outer { levels_up, index } = e {
            outer.push((*levels_up, *index, depth));
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(outer, [(2, 2, 2)]);
}

#[test]
fn grouped_correlated_reference_reads_group_key() {
    let q = query("SELECT b, (SELECT count(*) FROM u WHERE u.t_id = t.b) FROM t GROUP BY b");
    let mut plan = q.plan;
    let mut outer = Vec::new();
    visit_plan(&mut plan, 0, &mut |e, _| {
        if let Expr::Outer { index, .. } = e {
            outer.push(*index);
        }
        Ok(())
    })
    .unwrap();
    // The reference appears in u's scan filter and in its index lookup.
    assert!(
        !outer.is_empty() && outer.iter().all(|i| *i == 0),
        "t.b is group key 0 of the aggregate row: {outer:?}"
    );
}

#[test]
fn parameters_take_types_from_context() {
    let (_, p) = bind_with("SELECT * FROM t WHERE id = $1 AND name = $2", &[]).unwrap();
    assert_eq!(p, [DataType::Int4, DataType::Text]);
    let (_, p) = bind_with("INSERT INTO big VALUES ($1, $2)", &[]).unwrap();
    assert_eq!(p, [DataType::Int8, DataType::Int4]);
    let (_, p) = bind_with("UPDATE t SET b = $2 WHERE id = $1", &[]).unwrap();
    assert_eq!(p, [DataType::Int4, DataType::Int4]);
}

#[test]
fn insert_binds_defaults_checks_and_default_keyword() {
    let Ok(BoundStatement::Insert(ins)) = bind("INSERT INTO t (id, b) VALUES (1, DEFAULT) RETURNING id, name") else {
        panic!()
    };
    assert_eq!(ins.columns, [0, 2]);
    assert!(ins.defaults[1].is_some());
    assert_eq!(ins.checks.len(), 1);
    assert_eq!(ins.checks[0].0, "t_b_check");
    let Plan::Values { rows, .. } = &ins.source else {
        panic!()
    };
    assert!(
        matches!(rows[0][1], Expr::Constant(Value::Null)),
        "column b has no default"
    );
    let (_, cols) = ins.returning.as_ref().unwrap();
    assert_eq!(cols.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["id", "name"]);
    let Ok(BoundStatement::Insert(ins)) = bind("INSERT INTO t DEFAULT VALUES") else {
        panic!()
    };
    assert!(ins.columns.is_empty());
    let Ok(BoundStatement::Insert(ins)) = bind("INSERT INTO t SELECT id, v, t_id FROM u") else {
        panic!()
    };
    assert_eq!(ins.columns, [0, 1, 2]);
    // An INSERT's own SELECT may supply untyped literals; a derived table's are text already.
    assert!(bind("INSERT INTO t (id, b) SELECT '5', '6'").is_ok());
    assert_eq!(err_code("INSERT INTO t (id) SELECT * FROM (VALUES ('8')) v").0, "42804");
    assert_eq!(types(&query("SELECT '5'")), [DataType::Text]);
}

#[test]
fn update_and_delete_scan_with_keys() {
    let Ok(BoundStatement::Update(u)) = bind("UPDATE t SET b = b + 1 WHERE id = 3") else {
        panic!()
    };
    let Plan::Scan {
        emit_key: true,
        source: ScanSource::PrimaryKey(_),
        ..
    } = &u.input
    else {
        panic!("{:?}", u.input)
    };
    assert_eq!(u.assignments.len(), 1);
    let Ok(BoundStatement::Delete(d)) = bind("DELETE FROM u WHERE v = 'x' RETURNING *") else {
        panic!()
    };
    assert!(matches!(
        d.input,
        Plan::Scan {
            emit_key: true,
            filter: Some(_),
            ..
        }
    ));
}

#[test]
fn set_operations_cte_values_and_views() {
    let q = query("SELECT 1 AS a UNION SELECT 2.5 ORDER BY a DESC");
    assert_eq!(names(&q), ["a"]);
    assert_eq!(types(&q), [DataType::Numeric(None)]);
    assert_eq!(err_code("SELECT 1 UNION SELECT 1, 2").0, "42601");
    let q = query("WITH w AS (SELECT id FROM t) SELECT * FROM w a, w b WHERE a.id = b.id");
    assert_eq!(
        nodes(&q.plan)
            .iter()
            .filter(|n| matches!(n, Plan::CteScan { .. }))
            .count(),
        2
    );
    let q = query("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT n FROM r");
    assert!(nodes(&q.plan)
        .iter()
        .any(|n| matches!(n, Plan::RecursiveCte { distinct: false, .. })));
    let q = query("VALUES (1, 'a'), (2, NULL)");
    assert_eq!(names(&q), ["column1", "column2"]);
    assert_eq!(types(&q), [DataType::Int4, DataType::Text]);
    let q = query("SELECT vid, name FROM v");
    assert_eq!(names(&q), ["vid", "name"]);
    let q = query("SELECT * FROM (SELECT id, b FROM t) AS s(x)");
    assert_eq!(names(&q), ["x", "b"]);
    let q = query("SELECT * FROM generate_series(1, 3) AS g");
    assert_eq!(names(&q), ["g"]);
    assert_eq!(types(&q), [DataType::Int4]);
}

#[test]
fn distinct_group_having() {
    assert_eq!(err_code("SELECT DISTINCT ON (b) b, id FROM t ORDER BY id").0, "42P10");
    let q = query("SELECT DISTINCT ON (b) b, id FROM t ORDER BY b, id DESC");
    assert!(nodes(&q.plan).iter().any(|n| matches!(n, Plan::DistinctOn { .. })));
    let q = query("SELECT b % 2 AS parity, sum(id) FROM t GROUP BY 1 HAVING count(*) > 1");
    assert_eq!(names(&q), ["parity", "sum"]);
    assert_eq!(types(&q), [DataType::Int4, DataType::Int8]);
    assert!(nodes(&q.plan)
        .iter()
        .any(|n| matches!(n, Plan::Aggregate { group_by, aggregates, .. }
        if group_by.len() == 1 && aggregates.len() == 2)));
    let q = query("SELECT count(*) FROM t HAVING count(*) > 0");
    assert_eq!(q.columns.len(), 1);
    assert_eq!(
        err_code("SELECT DISTINCT name FROM t ORDER BY b").0,
        "42P10",
        "for SELECT DISTINCT, ORDER BY expressions must appear in select list"
    );
}

#[test]
fn explain_names_nodes() {
    let stmt = bind("SELECT * FROM t WHERE id = 1").unwrap();
    let lines = explain(&stmt);
    assert!(
        lines.iter().any(|l| l.starts_with("Index Scan using t_pkey on t")),
        "{lines:?}"
    );
    let stmt = bind("SELECT a1 FROM t1, t2 WHERE a1 = a2").unwrap();
    let lines = explain(&stmt);
    assert!(lines.iter().any(|l| l.contains("Hash Join (inner)")), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("    Seq Scan on t") || l.starts_with("  Seq Scan on t")),
        "{lines:?}"
    );
    let stmt = bind("DELETE FROM t WHERE b = 2").unwrap();
    assert_eq!(explain(&stmt)[0], "Delete on t");
}

#[test]
fn table_expressions_for_ddl() {
    let cat = catalog();
    let t = cat.table("t").unwrap().clone();
    let stmts = crate::sql::parse("SELECT b > 0 AND name <> ''").unwrap();
    let crate::sql::ast::Statement::Query(q) = &stmts[0] else {
        panic!()
    };
    let crate::sql::ast::SetExpr::Select(s) = q.body.as_ref() else {
        panic!()
    };
    let crate::sql::ast::SelectItem::UnnamedExpr(e) = &s.projection[0] else {
        panic!()
    };
    let mut b = Binder::new(&cat, &[]);
    let (_, ty) = b.bind_table_expr(e, Some(&t)).unwrap();
    assert_eq!(ty, DataType::Bool);
    assert_eq!(b.bind_table_expr(e, None).unwrap_err().sqlstate(), "42703");
}

#[test]
fn any_over_array_values_is_a_quantified_subquery() {
    let (stmt, params) = bind_with("SELECT id FROM t WHERE id = ANY($1)", &[]).unwrap();
    assert_eq!(params, [DataType::Array(Box::new(DataType::Int4))]);
    let BoundStatement::Query(q) = stmt else { panic!() };
    let mut plan = q.plan;
    let mut seen = Vec::new();
    visit_plan(&mut plan, 0, &mut |e, _| {
        if let Expr::Subquery {
            kind: SubqueryKind::Quantified { all, .. },
            correlated,
            plan,
        } = e
        {
            seen.push((*all, *correlated, matches!(plan.as_ref(), Plan::TableFunction { .. })));
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, [(false, false, true)]);
    // An array read from the row makes the subquery correlated: the column becomes an outer reference.
    let q = query("SELECT id FROM t WHERE b <> ALL (ARRAY[id, 2] || id)");
    let mut plan = q.plan;
    let mut outer = Vec::new();
    visit_plan(&mut plan, 0, &mut |e, depth| {
        if let Expr::Subquery { correlated, .. } = e {
            assert!(*correlated);
        }
        if let Expr::Outer { levels_up, index } = e {
            outer.push((*levels_up, *index, depth));
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(outer, [(1, 0, 1), (1, 0, 1)]);
    assert_eq!(err_code("SELECT 1 = ANY (5)").0, "42809");
}

#[test]
fn update_from_and_delete_using_join_after_the_key() {
    let Ok(BoundStatement::Update(u)) = bind("UPDATE t SET b = u.id FROM u WHERE u.t_id = t.id") else {
        panic!()
    };
    // Target row (3 columns) ++ key ++ u's row: u.id is position 4.
    assert!(
        matches!(u.assignments.as_slice(), [(2, Expr::Column(4))]),
        "{:?}",
        u.assignments
    );
    assert!(nodes(&u.input).iter().any(|n| matches!(n, Plan::HashJoin { .. })));
    let Ok(BoundStatement::Delete(d)) = bind("DELETE FROM t USING u WHERE u.t_id = t.id AND u.v = 'x'") else {
        panic!()
    };
    assert!(nodes(&d.input).iter().any(|n| matches!(n, Plan::HashJoin { .. })));
}

#[test]
fn row_comparisons_and_catalog_answered_functions() {
    let q = query("SELECT (id, b) = (1, 2), (id, b) < (1, 2), (id, b) IN ((1, 2), (3, 4)) FROM t");
    let Plan::Project { exprs, .. } = &q.plan else {
        panic!("{:?}", q.plan)
    };
    assert!(matches!(&exprs[0], Expr::And(v) if v.len() == 2));
    assert!(
        matches!(&exprs[1], Expr::Or(v) if v.len() == 2),
        "a < c OR (a = c AND b < d)"
    );
    assert!(matches!(&exprs[2], Expr::Or(v) if v.len() == 2));
    assert_eq!(err_code("SELECT (1, 2) = (1, 2, 3)").0, "42601");
    let q = query("SELECT pg_typeof(1), pg_typeof(b::bigint), pg_typeof('x') FROM t");
    let Plan::Project { exprs, .. } = &q.plan else {
        panic!("{:?}", q.plan)
    };
    let texts: Vec<String> = exprs
        .iter()
        .map(|e| match e {
            Expr::Constant(Value::Text(s)) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(texts, ["integer", "bigint", "unknown"]);
    assert_eq!(names(&q), ["pg_typeof", "pg_typeof", "pg_typeof"]);
}

#[test]
fn correlated_exists_and_in_become_semi_and_anti_joins() {
    let q = query("SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.t_id = t.id AND u.v <> 'x')");
    let all = nodes(&q.plan);
    assert!(
        all.iter().any(|n| matches!(
            n,
            Plan::HashJoin {
                kind: JoinKind::Semi,
                residual: None,
                ..
            }
        )),
        "{all:?}"
    );
    let q = query("SELECT id FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.t_id = t.id AND u.id > t.b)");
    let anti = nodes(&q.plan)
        .into_iter()
        .find_map(|n| match n {
            Plan::HashJoin {
                kind: JoinKind::Anti,
                left_keys,
                right_keys,
                residual,
                ..
            } => Some((left_keys.clone(), right_keys.clone(), residual.clone())),
            _ => None,
        })
        .expect("an anti join");
    assert!(
        matches!(anti.0.as_slice(), [Expr::Column(0)]),
        "t.id is column 0 of t's row"
    );
    assert!(
        matches!(anti.1.as_slice(), [Expr::Column(1)]),
        "u.t_id is column 1 of u's row"
    );
    // u.id > t.b over (t row ++ u row): u.id is 3 + 0, t.b is 2.
    assert!(
        matches!(&anti.2, Some(Expr::Binary { left, right, .. })
            if matches!(left.as_ref(), Expr::Column(3)) && matches!(right.as_ref(), Expr::Column(2))),
        "{:?}",
        anti.2
    );
    let q = query("SELECT id FROM t WHERE b IN (SELECT id FROM u WHERE u.v = t.name)");
    assert!(nodes(&q.plan)
        .iter()
        .any(|n| matches!(n, Plan::HashJoin { kind: JoinKind::Semi, left_keys, .. }
        if left_keys.len() == 2)));
    // Aggregating subqueries keep their per-row evaluation.
    let q = query("SELECT id FROM t WHERE EXISTS (SELECT count(*) FROM u WHERE u.t_id = t.id)");
    assert!(!nodes(&q.plan).iter().any(|n| matches!(n, Plan::HashJoin { .. })));
}

#[test]
fn literals_and_strings_follow_postgres_types() {
    // NUMERIC holds 28 digits here; a larger literal is a double precision.
    let q = query("SELECT 1e300, 1.5e3");
    assert_eq!(types(&q), [DataType::Float8, DataType::Numeric(None)]);
    // character(n) loses its padding when it becomes text.
    let cat = {
        let mut c = catalog();
        c.insert(table(50, "chars", vec![col("c", DataType::Char(Some(3)))], None))
            .unwrap();
        c
    };
    let stmts = crate::sql::parse("SELECT c::text, c::varchar(5) FROM chars").unwrap();
    let BoundStatement::Query(q) = Binder::new(&cat, &[]).bind_statement(&stmts[0]).unwrap() else {
        panic!()
    };
    let Plan::Project { exprs, .. } = &q.plan else {
        panic!("{:?}", q.plan)
    };
    assert!(matches!(&exprs[0], Expr::Function { args, .. } if matches!(args.as_slice(), [Expr::Column(0)])));
    assert!(matches!(&exprs[1], Expr::Cast { expr, .. } if matches!(expr.as_ref(), Expr::Function { .. })));
    assert_eq!(err_code("SELECT FROM FROM t").1, "syntax error at or near \"FROM\"");
}

#[test]
fn correlated_ctes_are_not_cached_and_follow_their_references() {
    // The CTE reads t's row: it cannot be a per-statement CteScan.
    let q = query("SELECT id, (WITH w AS (SELECT u.id FROM u WHERE u.t_id = t.id) SELECT count(*) FROM w) FROM t");
    let mut plan = q.plan;
    let mut cte_scans = 0;
    let mut outer = Vec::new();
    visit_plan(&mut plan, 0, &mut |e, depth| {
        if let Expr::Subquery { plan, correlated, .. } = e {
            assert!(*correlated);
            cte_scans += nodes(plan).iter().filter(|n| matches!(n, Plan::CteScan { .. })).count();
        }
        if let Expr::Outer { levels_up, index } = e {
            outer.push((*levels_up, *index, depth));
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(cte_scans, 0);
    assert!(!outer.is_empty() && outer.iter().all(|o| *o == (1, 0, 1)), "{outer:?}");
    // Referenced one level deeper than defined: the outer reference reaches one level further.
    let q = query(
        "SELECT id, (WITH w AS (SELECT u.id FROM u WHERE u.t_id = t.id) \
         SELECT count(*) FROM t1 WHERE EXISTS (SELECT 1 FROM w WHERE w.id = t1.a1)) FROM t",
    );
    let mut plan = q.plan;
    let mut outer = Vec::new();
    visit_plan(&mut plan, 0, &mut |e, depth| {
        if let Expr::Outer { levels_up, index } = e {
            outer.push((*levels_up, *index, depth));
        }
        Ok(())
    })
    .unwrap();
    assert!(outer.contains(&(2, 0, 2)), "t.id from two levels down: {outer:?}");
}

#[test]
fn point_reads_are_one_whole_key_lookup_with_plain_expressions() {
    let point = |sql: &str| bind_with(sql, &[DataType::Int4]).unwrap().0.is_point_read();
    assert!(point("SELECT name FROM t WHERE id = $1"));
    assert!(point(
        "SELECT name, b + 1, b IS NULL FROM t WHERE id = $1 AND b > 2 LIMIT 1"
    ));
    assert!(point("SELECT x FROM big WHERE k = 7"));
    // More than one key, a range, a scan, a non-unique index, a function call, a subquery, a
    // join, an aggregate, writes: any of these can take unbounded work.
    assert!(!point("SELECT name FROM t WHERE id IN (1, 2)"));
    assert!(!point("SELECT name FROM t WHERE id > $1"));
    assert!(!point("SELECT name FROM t WHERE b = $1"));
    assert!(!point("SELECT v FROM u WHERE t_id = $1"));
    assert!(!point("SELECT upper(name) FROM t WHERE id = $1"));
    assert!(!point("SELECT (SELECT count(*) FROM big) FROM t WHERE id = $1"));
    assert!(!point("SELECT t.name FROM t JOIN u ON u.t_id = t.id WHERE t.id = $1"));
    assert!(!point("SELECT count(*) FROM t WHERE id = $1"));
    assert!(!point("UPDATE t SET b = 2 WHERE id = $1"));
}
