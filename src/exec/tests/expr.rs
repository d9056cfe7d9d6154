//! Expression semantics: three-valued logic, NULL rules, laziness, subqueries.

use super::*;
use crate::plan::SubqueryKind;

fn and(terms: Vec<Expr>) -> Expr {
    Expr::And(terms)
}

fn or(terms: Vec<Expr>) -> Expr {
    Expr::Or(terms)
}

fn b(v: bool) -> Expr {
    lit(Value::Bool(v))
}

fn div_zero() -> Expr {
    eq(bin(BinaryOp::Div, int(1), int(0)), int(1))
}

#[test]
fn three_valued_and_or() {
    let mut f = Fixture::new();
    assert_eq!(f.eval(and(vec![null(), b(false)])).unwrap(), Value::Bool(false));
    assert_eq!(f.eval(and(vec![null(), b(true)])).unwrap(), Value::Null);
    assert_eq!(f.eval(and(vec![b(true), b(true)])).unwrap(), Value::Bool(true));
    assert_eq!(f.eval(or(vec![null(), b(true)])).unwrap(), Value::Bool(true));
    assert_eq!(f.eval(or(vec![null(), b(false)])).unwrap(), Value::Null);
    assert_eq!(f.eval(Expr::Not(Box::new(null()))).unwrap(), Value::Null);
    // FALSE AND <error>: the error is never evaluated.
    assert_eq!(f.eval(and(vec![b(false), div_zero()])).unwrap(), Value::Bool(false));
    assert_eq!(f.eval(or(vec![b(true), div_zero()])).unwrap(), Value::Bool(true));
    assert_eq!(code(f.eval(and(vec![b(true), div_zero()]))), "22012");
    // NULL does not short-circuit: the later term is still evaluated, in a filter too.
    assert_eq!(code(f.eval(and(vec![null(), div_zero()]))), "22012");
    let filter = Plan::Filter {
        input: Box::new(one_row()),
        predicate: and(vec![null(), div_zero()]),
    };
    assert_eq!(code(f.query(filter)), "22012");
    let filter = Plan::Filter {
        input: Box::new(one_row()),
        predicate: and(vec![b(false), div_zero()]),
    };
    assert_eq!(f.query(filter).unwrap(), Vec::<Row>::new());
}

#[test]
fn and_or_written_as_binary_operators_stay_lazy() {
    let mut f = Fixture::new();
    let cases = [
        (BinaryOp::And, null(), b(false), Value::Bool(false)),
        (BinaryOp::And, b(true), null(), Value::Null),
        (BinaryOp::And, b(true), b(true), Value::Bool(true)),
        (BinaryOp::Or, null(), b(true), Value::Bool(true)),
        (BinaryOp::Or, b(false), null(), Value::Null),
        (BinaryOp::Or, b(false), b(false), Value::Bool(false)),
        (BinaryOp::And, b(false), div_zero(), Value::Bool(false)),
        (BinaryOp::Or, b(true), div_zero(), Value::Bool(true)),
    ];
    for (op, l, r, want) in cases {
        assert_eq!(
            f.eval(bin(op, l.clone(), r.clone())).unwrap(),
            want,
            "{l:?} {op:?} {r:?}"
        );
    }
}

#[test]
fn is_tests() {
    let mut f = Fixture::new();
    let is_null = |e, negated| Expr::IsNull {
        expr: Box::new(e),
        negated,
    };
    assert_eq!(f.eval(is_null(null(), false)).unwrap(), Value::Bool(true));
    assert_eq!(f.eval(is_null(int(1), true)).unwrap(), Value::Bool(true));
    let is_bool = |e, value, negated| Expr::IsBool {
        expr: Box::new(e),
        value,
        negated,
    };
    assert_eq!(f.eval(is_bool(null(), None, false)).unwrap(), Value::Bool(true));
    assert_eq!(f.eval(is_bool(null(), Some(true), true)).unwrap(), Value::Bool(true));
    assert_eq!(
        f.eval(is_bool(b(false), Some(false), false)).unwrap(),
        Value::Bool(true)
    );
    let distinct = |l, r, negated| Expr::IsDistinctFrom {
        left: Box::new(l),
        right: Box::new(r),
        negated,
    };
    assert_eq!(f.eval(distinct(null(), null(), false)).unwrap(), Value::Bool(false));
    assert_eq!(f.eval(distinct(int(1), null(), false)).unwrap(), Value::Bool(true));
    assert_eq!(
        f.eval(distinct(int(1), lit(i8v(1)), false)).unwrap(),
        Value::Bool(false)
    );
    assert_eq!(f.eval(distinct(int(1), int(2), true)).unwrap(), Value::Bool(false));
}

#[test]
fn in_list_null_semantics() {
    let mut f = Fixture::new();
    let in_list = |e, list, negated| Expr::InList {
        expr: Box::new(e),
        list,
        negated,
    };
    assert_eq!(
        f.eval(in_list(int(1), vec![int(2), int(1)], false)).unwrap(),
        Value::Bool(true)
    );
    assert_eq!(
        f.eval(in_list(int(1), vec![int(2), null()], false)).unwrap(),
        Value::Null
    );
    assert_eq!(
        f.eval(in_list(int(1), vec![int(1), null()], false)).unwrap(),
        Value::Bool(true)
    );
    assert_eq!(
        f.eval(in_list(int(1), vec![int(2), null()], true)).unwrap(),
        Value::Null
    );
    assert_eq!(
        f.eval(in_list(int(3), vec![int(2), int(1)], true)).unwrap(),
        Value::Bool(true)
    );
    assert_eq!(f.eval(in_list(null(), vec![int(1)], false)).unwrap(), Value::Null);
}

#[test]
fn long_constant_in_lists_keep_null_semantics() {
    let mut f = Fixture::new();
    let list = |with_null: bool| {
        let mut l: Vec<Expr> = (10..20).map(int).collect();
        if with_null {
            l.push(null());
        }
        l
    };
    let in_list = |e, list, negated| Expr::InList {
        expr: Box::new(e),
        list,
        negated,
    };
    assert_eq!(f.eval(in_list(int(15), list(false), false)).unwrap(), Value::Bool(true));
    assert_eq!(
        f.eval(in_list(lit(i8v(15)), list(false), false)).unwrap(),
        Value::Bool(true)
    );
    assert_eq!(f.eval(in_list(int(5), list(false), false)).unwrap(), Value::Bool(false));
    assert_eq!(f.eval(in_list(int(5), list(false), true)).unwrap(), Value::Bool(true));
    assert_eq!(f.eval(in_list(int(5), list(true), false)).unwrap(), Value::Null);
    assert_eq!(f.eval(in_list(int(5), list(true), true)).unwrap(), Value::Null);
    assert_eq!(f.eval(in_list(int(12), list(true), true)).unwrap(), Value::Bool(false));
    assert_eq!(f.eval(in_list(null(), list(false), false)).unwrap(), Value::Null);
    // Over many rows the hashed list gives what the linear scan gives.
    let rows: Vec<Row> = (0..30).map(|i| vec![i4(i)]).collect();
    let plan = Plan::Filter {
        input: Box::new(values(rows)),
        predicate: in_list(col(0), list(true), false),
    };
    assert_eq!(
        f.query(plan).unwrap(),
        (10..20).map(|i| vec![i4(i)]).collect::<Vec<_>>()
    );
}

#[test]
fn case_coalesce_nullif_greatest() {
    let mut f = Fixture::new();
    let simple = Expr::Case {
        operand: Some(Box::new(null())),
        branches: vec![(null(), text("null matched")), (int(1), text("one"))],
        else_expr: Some(Box::new(text("else"))),
    };
    // A NULL operand equals nothing, not even NULL.
    assert_eq!(f.eval(simple).unwrap(), t("else"));
    let searched = Expr::Case {
        operand: None,
        branches: vec![(null(), text("a")), (eq(int(1), int(1)), text("b"))],
        else_expr: None,
    };
    assert_eq!(f.eval(searched).unwrap(), t("b"));
    let no_else = Expr::Case {
        operand: Some(Box::new(int(5))),
        branches: vec![(int(1), text("one"))],
        else_expr: None,
    };
    assert_eq!(f.eval(no_else).unwrap(), Value::Null);
    // COALESCE stops at the first non-NULL: the division is never evaluated.
    let lazy = Expr::Coalesce(vec![null(), int(7), bin(BinaryOp::Div, int(1), int(0))]);
    assert_eq!(f.eval(lazy).unwrap(), i4(7));
    assert_eq!(f.eval(Expr::Coalesce(vec![null(), null()])).unwrap(), Value::Null);
    let nullif = |l, r| Expr::NullIf {
        left: Box::new(l),
        right: Box::new(r),
    };
    assert_eq!(f.eval(nullif(int(1), int(1))).unwrap(), Value::Null);
    assert_eq!(f.eval(nullif(int(1), int(2))).unwrap(), i4(1));
    assert_eq!(f.eval(nullif(null(), int(2))).unwrap(), Value::Null);
    assert_eq!(
        f.eval(Expr::Greatest(vec![int(3), null(), int(9), int(2)])).unwrap(),
        i4(9)
    );
    assert_eq!(
        f.eval(Expr::Least(vec![int(3), null(), int(9), int(2)])).unwrap(),
        i4(2)
    );
    assert_eq!(f.eval(Expr::Greatest(vec![null(), null()])).unwrap(), Value::Null);
}

#[test]
fn arrays_and_params() {
    let mut f = Fixture::new();
    let arr = Expr::Array(vec![int(10), int(20), null()]);
    assert_eq!(
        f.eval(arr.clone()).unwrap(),
        Value::Array(vec![i4(10), i4(20), Value::Null])
    );
    let index = |i| Expr::ArrayIndex {
        array: Box::new(arr.clone()),
        index: Box::new(i),
    };
    assert_eq!(f.eval(index(int(1))).unwrap(), i4(10));
    assert_eq!(f.eval(index(int(2))).unwrap(), i4(20));
    assert_eq!(f.eval(index(int(0))).unwrap(), Value::Null);
    assert_eq!(f.eval(index(int(4))).unwrap(), Value::Null);
    assert_eq!(f.eval(index(null())).unwrap(), Value::Null);
    f.params = vec![i4(5), t("x")];
    assert_eq!(f.eval(Expr::Param(1)).unwrap(), t("x"));
    assert_eq!(code(f.eval(Expr::Param(2))), "42P02");
}

#[test]
fn like_with_escape() {
    let mut f = Fixture::new();
    let like = |s: &str, p: &str, esc: Option<&str>, negated| Expr::Like {
        expr: Box::new(text(s)),
        pattern: Box::new(text(p)),
        escape: esc.map(|e| Box::new(text(e))),
        case_insensitive: false,
        negated,
    };
    assert_eq!(f.eval(like("abc", "a%", None, false)).unwrap(), Value::Bool(true));
    assert_eq!(f.eval(like("abc", "a_", None, false)).unwrap(), Value::Bool(false));
    assert_eq!(f.eval(like("abc", "a%", None, true)).unwrap(), Value::Bool(false));
    assert_eq!(
        f.eval(like("a%c", "a#%c", Some("#"), false)).unwrap(),
        Value::Bool(true)
    );
    assert_eq!(
        f.eval(like("abc", "a#%c", Some("#"), false)).unwrap(),
        Value::Bool(false)
    );
    assert_eq!(code(f.eval(like("abc", "a", Some("##"), false))), "22025");
}

fn sub(plan: Plan, kind: SubqueryKind) -> Expr {
    Expr::Subquery {
        plan: Box::new(plan),
        kind,
        correlated: false,
    }
}

fn column_of(vals: Vec<Value>) -> Plan {
    values(vals.into_iter().map(|v| vec![v]).collect())
}

#[test]
fn scalar_and_exists_subqueries() {
    let mut f = Fixture::new();
    assert_eq!(
        f.eval(sub(column_of(vec![i4(4)]), SubqueryKind::Scalar)).unwrap(),
        i4(4)
    );
    let empty = Plan::Filter {
        input: Box::new(column_of(vec![i4(4)])),
        predicate: lit(Value::Bool(false)),
    };
    assert_eq!(f.eval(sub(empty.clone(), SubqueryKind::Scalar)).unwrap(), Value::Null);
    let err = f
        .eval(sub(column_of(vec![i4(1), i4(2)]), SubqueryKind::Scalar))
        .unwrap_err();
    assert_eq!(err.sqlstate(), "21000");
    assert_eq!(
        err.message(),
        "more than one row returned by a subquery used as an expression"
    );
    assert_eq!(f.eval(sub(empty, SubqueryKind::Exists)).unwrap(), Value::Bool(false));
    assert_eq!(
        f.eval(sub(column_of(vec![Value::Null]), SubqueryKind::Exists)).unwrap(),
        Value::Bool(true)
    );
}

#[test]
fn in_subquery_null_semantics() {
    let mut f = Fixture::new();
    let in_sub = |v, vals, negated| {
        sub(
            column_of(vals),
            SubqueryKind::In {
                expr: Box::new(v),
                negated,
            },
        )
    };
    assert_eq!(
        f.eval(in_sub(int(1), vec![i4(1), i4(2)], false)).unwrap(),
        Value::Bool(true)
    );
    assert_eq!(
        f.eval(in_sub(lit(i8v(2)), vec![i4(1), i4(2)], false)).unwrap(),
        Value::Bool(true)
    );
    assert_eq!(
        f.eval(in_sub(int(3), vec![i4(1), i4(2)], false)).unwrap(),
        Value::Bool(false)
    );
    // NOT IN with a NULL in the subquery is never true.
    assert_eq!(
        f.eval(in_sub(int(3), vec![i4(1), Value::Null], true)).unwrap(),
        Value::Null
    );
    assert_eq!(
        f.eval(in_sub(int(1), vec![i4(1), Value::Null], true)).unwrap(),
        Value::Bool(false)
    );
    assert_eq!(f.eval(in_sub(null(), vec![i4(1)], false)).unwrap(), Value::Null);
    // Against an empty subquery, IN is false even for NULL.
    let empty = Plan::Filter {
        input: Box::new(column_of(vec![i4(4)])),
        predicate: lit(Value::Bool(false)),
    };
    let e = sub(
        empty,
        SubqueryKind::In {
            expr: Box::new(null()),
            negated: true,
        },
    );
    assert_eq!(f.eval(e).unwrap(), Value::Bool(true));
}

#[test]
fn quantified_subqueries() {
    let mut f = Fixture::new();
    let q = |v, op, all, vals| {
        sub(
            column_of(vals),
            SubqueryKind::Quantified {
                expr: Box::new(v),
                op,
                all,
            },
        )
    };
    assert_eq!(
        f.eval(q(int(5), BinaryOp::Gt, true, vec![i4(1), i4(2)])).unwrap(),
        Value::Bool(true)
    );
    assert_eq!(
        f.eval(q(int(2), BinaryOp::Gt, true, vec![i4(1), i4(2)])).unwrap(),
        Value::Bool(false)
    );
    assert_eq!(
        f.eval(q(int(5), BinaryOp::Gt, true, vec![i4(1), Value::Null])).unwrap(),
        Value::Null
    );
    assert_eq!(
        f.eval(q(int(1), BinaryOp::Eq, false, vec![i4(2), Value::Null]))
            .unwrap(),
        Value::Null
    );
    assert_eq!(
        f.eval(q(int(2), BinaryOp::Eq, false, vec![i4(2), Value::Null]))
            .unwrap(),
        Value::Bool(true)
    );
    let empty = || Plan::Filter {
        input: Box::new(column_of(vec![i4(4)])),
        predicate: lit(Value::Bool(false)),
    };
    let all_empty = sub(
        empty(),
        SubqueryKind::Quantified {
            expr: Box::new(int(1)),
            op: BinaryOp::Lt,
            all: true,
        },
    );
    assert_eq!(f.eval(all_empty).unwrap(), Value::Bool(true));
    let any_empty = sub(
        empty(),
        SubqueryKind::Quantified {
            expr: Box::new(int(1)),
            op: BinaryOp::Lt,
            all: false,
        },
    );
    assert_eq!(f.eval(any_empty).unwrap(), Value::Bool(false));
}

#[test]
fn correlated_subquery_reads_outer_row() {
    let mut f = Fixture::new();
    // SELECT x, (SELECT count(*) FROM (VALUES (1),(2),(3)) v(y) WHERE y <= x) FROM (VALUES (0),(2),(5)) o(x)
    let inner = Plan::Aggregate {
        input: Box::new(Plan::Filter {
            input: Box::new(column_of(vec![i4(1), i4(2), i4(3)])),
            predicate: bin(BinaryOp::LtEq, col(0), Expr::Outer { levels_up: 1, index: 0 }),
        }),
        group_by: vec![],
        aggregates: vec![agg(AggFunc::CountStar, vec![], None)],
    };
    let e = Expr::Subquery {
        plan: Box::new(inner),
        kind: SubqueryKind::Scalar,
        correlated: true,
    };
    let plan = Plan::Project {
        input: Box::new(column_of(vec![i4(0), i4(2), i4(5)])),
        exprs: vec![col(0), e],
    };
    let rows = f.query(plan).unwrap();
    assert_eq!(
        rows,
        vec![vec![i4(0), i8v(0)], vec![i4(2), i8v(2)], vec![i4(5), i8v(3)]]
    );
}
