//! EXPLAIN: one line per plan node, indented by depth, PostgreSQL-style node names.
//! Expressions print compactly: `#3` is the input row's fourth column, `$1` a parameter,
//! `outer1.#0` a column of the enclosing query's row.

use crate::types::Value;

use super::rewrite::visit_expr;
use super::{
    BoundStatement, Expr, IndexLookup, JoinKind, Plan, ScanSource, SetOpKind, SortKey, SubqueryKind, TableFunc,
    WindowFunc,
};

/// Renders the chosen plan, e.g. `Hash Join (inner) on #0 = #3` / `  Seq Scan on t1 filter: ...`.
pub fn explain(stmt: &BoundStatement) -> Vec<String> {
    let mut out = Vec::new();
    match stmt {
        BoundStatement::Query(q) => node(&q.plan, 0, &mut out),
        BoundStatement::Insert(i) => {
            let mut line = format!("Insert on {}", i.table.name);
            if i.on_conflict.is_some() {
                line.push_str(" (on conflict)");
            }
            out.push(line);
            node(&i.source, 1, &mut out);
        }
        BoundStatement::Update(u) => {
            out.push(format!("Update on {}", u.table.name));
            node(&u.input, 1, &mut out);
        }
        BoundStatement::Delete(d) => {
            out.push(format!("Delete on {}", d.table.name));
            node(&d.input, 1, &mut out);
        }
    }
    out
}

fn join_kind(k: JoinKind) -> &'static str {
    match k {
        JoinKind::Inner => "inner",
        JoinKind::Left => "left",
        JoinKind::Right => "right",
        JoinKind::Full => "full",
        JoinKind::Semi => "semi",
        JoinKind::Anti => "anti",
    }
}

fn node(p: &Plan, depth: usize, out: &mut Vec<String>) {
    let pad = "  ".repeat(depth);
    let mut exprs: Vec<&Expr> = Vec::new();
    let (line, children): (String, Vec<&Plan>) = match p {
        Plan::Values { rows, width } => {
            for r in rows {
                exprs.extend(r.iter());
            }
            if *width == 0 && rows.len() == 1 {
                ("Result".into(), vec![])
            } else {
                (format!("Values Scan ({} rows)", rows.len()), vec![])
            }
        }
        Plan::Scan {
            table,
            source,
            filter,
            emit_key,
        } => {
            let mut s = match source {
                ScanSource::Table => format!("Seq Scan on {}", table.name),
                ScanSource::PrimaryKey(l) => format!(
                    "Index Scan using {} on {} ({})",
                    table
                        .primary_key_name
                        .clone()
                        .unwrap_or_else(|| format!("{}_pkey", table.name)),
                    table.name,
                    lookup(l)
                ),
                ScanSource::Index(i, l) => format!("Index Scan using {} on {} ({})", i.name, table.name, lookup(l)),
            };
            if let Some(f) = filter {
                s.push_str(&format!(" (filter: {})", expr(f)));
                exprs.push(f);
            }
            if *emit_key {
                s.push_str(" (with keys)");
            }
            (s, vec![])
        }
        Plan::TableFunction { func, args, .. } => {
            exprs.extend(args.iter());
            (
                format!(
                    "Function Scan on {}({})",
                    match func {
                        TableFunc::GenerateSeries => "generate_series",
                        TableFunc::Unnest => "unnest",
                        TableFunc::BlockchainMetadata => "blockchain_metadata",
                        TableFunc::BlockchainTamperReport => "blockchain_tamper_report",
                        TableFunc::BlockchainPurgeLog => "blockchain_purge_log",
                        TableFunc::BlockchainSigners => "blockchain_signers",
                        TableFunc::Lineage => "lineage",
                    },
                    list(args)
                ),
                vec![],
            )
        }
        Plan::Filter { input, predicate } => {
            exprs.push(predicate);
            (format!("Filter: {}", expr(predicate)), vec![input.as_ref()])
        }
        Plan::Project { input, exprs: es } => {
            exprs.extend(es.iter());
            (format!("Project: {}", list(es)), vec![input.as_ref()])
        }
        Plan::NestedLoopJoin {
            left,
            right,
            kind,
            condition,
        } => {
            let mut s = format!("Nested Loop ({})", join_kind(*kind));
            if let Some(c) = condition {
                s.push_str(&format!(" on {}", expr(c)));
                exprs.push(c);
            }
            (s, vec![left.as_ref(), right.as_ref()])
        }
        Plan::HashJoin {
            left,
            right,
            kind,
            left_keys,
            right_keys,
            residual,
        } => {
            let keys: Vec<String> = left_keys
                .iter()
                .zip(right_keys)
                .map(|(l, r)| format!("{} = {}", expr(l), expr(r)))
                .collect();
            let mut s = format!("Hash Join ({}) on {}", join_kind(*kind), keys.join(" AND "));
            if let Some(r) = residual {
                s.push_str(&format!(" (filter: {})", expr(r)));
                exprs.push(r);
            }
            (s, vec![left.as_ref(), right.as_ref()])
        }
        Plan::Aggregate {
            input,
            group_by,
            aggregates,
        } => {
            exprs.extend(group_by.iter());
            let aggs: Vec<String> = aggregates
                .iter()
                .map(|a| {
                    let name = format!("{:?}", a.func).to_lowercase();
                    let distinct = if a.distinct { "DISTINCT " } else { "" };
                    format!("{name}({distinct}{})", list(&a.args))
                })
                .collect();
            let kind = if group_by.is_empty() {
                "Aggregate"
            } else {
                "HashAggregate"
            };
            let mut s = format!("{kind}: {}", aggs.join(", "));
            if !group_by.is_empty() {
                s.push_str(&format!(" (group by: {})", list(group_by)));
            }
            (s, vec![input.as_ref()])
        }
        Plan::Window { input, calls } => {
            let mut parts = Vec::with_capacity(calls.len());
            for c in calls {
                exprs.extend(c.partition_by.iter());
                exprs.extend(c.order_by.iter().map(|k| &k.expr));
                let mut over = Vec::new();
                if !c.partition_by.is_empty() {
                    over.push(format!("PARTITION BY {}", list(&c.partition_by)));
                }
                if !c.order_by.is_empty() {
                    over.push(format!("ORDER BY {}", sort_keys(&c.order_by)));
                }
                let name = match c.func {
                    WindowFunc::RowNumber => "row_number",
                    WindowFunc::Rank => "rank",
                    WindowFunc::DenseRank => "dense_rank",
                };
                parts.push(format!("{name}() OVER ({})", over.join(" ")));
            }
            (format!("WindowAgg: {}", parts.join(", ")), vec![input.as_ref()])
        }
        Plan::Sort { input, keys } => {
            exprs.extend(keys.iter().map(|k| &k.expr));
            (format!("Sort: {}", sort_keys(keys)), vec![input.as_ref()])
        }
        Plan::Limit { input, limit, offset } => {
            let mut s = "Limit".to_string();
            if let Some(l) = limit {
                s.push_str(&format!(" {}", expr(l)));
            }
            if let Some(o) = offset {
                s.push_str(&format!(" offset {}", expr(o)));
            }
            (s, vec![input.as_ref()])
        }
        Plan::Distinct { input } => ("Unique".into(), vec![input.as_ref()]),
        Plan::DistinctOn { input, keys } => {
            exprs.extend(keys.iter());
            (format!("Unique on {}", list(keys)), vec![input.as_ref()])
        }
        Plan::SetOp { op, all, left, right } => {
            let name = match op {
                SetOpKind::Union => "Union",
                SetOpKind::Intersect => "Intersect",
                SetOpKind::Except => "Except",
            };
            (
                format!("SetOp {name}{}", if *all { " All" } else { "" }),
                vec![left.as_ref(), right.as_ref()],
            )
        }
        Plan::RecursiveCte {
            id,
            base,
            recursive,
            distinct,
        } => (
            format!("Recursive Union cte{id}{}", if *distinct { "" } else { " All" }),
            vec![base.as_ref(), recursive.as_ref()],
        ),
        Plan::WorkTable { id, .. } => (format!("WorkTable Scan on cte{id}"), vec![]),
        Plan::CteScan { id, plan } => (format!("CTE Scan on cte{id}"), vec![plan.as_ref()]),
    };
    out.push(format!("{pad}{line}"));
    for c in children {
        node(c, depth + 1, out);
    }
    for e in exprs {
        subplans(e, depth + 1, out);
    }
}

/// Renders the plans of subqueries inside `e` (at its own level).
fn subplans(e: &Expr, depth: usize, out: &mut Vec<String>) {
    let mut e = e.clone();
    let mut found: Vec<(Plan, bool)> = Vec::new();
    let _ = visit_expr(&mut e, 0, &mut |x, d| {
        if d == 0 {
            if let Expr::Subquery { plan, correlated, .. } = x {
                found.push((plan.as_ref().clone(), *correlated));
            }
        }
        Ok(())
    });
    for (plan, correlated) in found {
        let pad = "  ".repeat(depth);
        out.push(format!("{pad}SubPlan{}", if correlated { " (correlated)" } else { "" }));
        node(&plan, depth + 1, out);
    }
}

fn lookup(l: &IndexLookup) -> String {
    match l {
        IndexLookup::Eq(v) => format!("key = ({})", list(v)),
        IndexLookup::InList(v) => format!("key IN ({})", list(v)),
        IndexLookup::Range { prefix, lower, upper } => {
            let mut parts = Vec::new();
            if !prefix.is_empty() {
                parts.push(format!("prefix = ({})", list(prefix)));
            }
            if let Some((e, inc)) = lower {
                parts.push(format!("{} {}", if *inc { ">=" } else { ">" }, expr(e)));
            }
            if let Some((e, inc)) = upper {
                parts.push(format!("{} {}", if *inc { "<=" } else { "<" }, expr(e)));
            }
            format!("key {}", parts.join(" and "))
        }
    }
}

fn sort_keys(keys: &[SortKey]) -> String {
    keys.iter()
        .map(|k| {
            let mut s = expr(&k.expr);
            if k.desc {
                s.push_str(" DESC");
            }
            if k.nulls_first != k.desc {
                s.push_str(if k.nulls_first { " NULLS FIRST" } else { " NULLS LAST" });
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn list(es: &[Expr]) -> String {
    es.iter().map(expr).collect::<Vec<_>>().join(", ")
}

fn value(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int2(x) => x.to_string(),
        Value::Int4(x) => x.to_string(),
        Value::Int8(x) => x.to_string(),
        Value::Float4(x) => x.to_string(),
        Value::Float8(x) => x.to_string(),
        Value::Numeric(x) => x.to_string(),
        Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
        other => format!("{other:?}"),
    }
}

/// Compact rendering of a bound expression.
pub(super) fn expr(e: &Expr) -> String {
    super::rewrite::deep(|| expr_inner(e))
}

fn expr_inner(e: &Expr) -> String {
    match e {
        Expr::Constant(v) => value(v),
        Expr::Column(i) => format!("#{i}"),
        Expr::Outer { levels_up, index } => format!("outer{levels_up}.#{index}"),
        Expr::Param(i) => format!("${}", i + 1),
        Expr::Unary { op, expr: x } => format!("{op:?}({})", expr(x)),
        Expr::Binary { op, left, right } => format!("({} {} {})", expr(left), binop(op), expr(right)),
        Expr::And(v) => format!("({})", v.iter().map(expr).collect::<Vec<_>>().join(" AND ")),
        Expr::Or(v) => format!("({})", v.iter().map(expr).collect::<Vec<_>>().join(" OR ")),
        Expr::Not(x) => format!("NOT {}", expr(x)),
        Expr::IsNull { expr: x, negated } => format!("({} IS {}NULL)", expr(x), if *negated { "NOT " } else { "" }),
        Expr::IsBool {
            expr: x,
            value,
            negated,
        } => format!(
            "({} IS {}{})",
            expr(x),
            if *negated { "NOT " } else { "" },
            match value {
                Some(true) => "TRUE",
                Some(false) => "FALSE",
                None => "UNKNOWN",
            }
        ),
        Expr::IsDistinctFrom { left, right, negated } => {
            format!(
                "({} IS {}DISTINCT FROM {})",
                expr(left),
                if *negated { "NOT " } else { "" },
                expr(right)
            )
        }
        Expr::Like {
            expr: x,
            pattern,
            case_insensitive,
            negated,
            ..
        } => format!(
            "({} {}{} {})",
            expr(x),
            if *negated { "NOT " } else { "" },
            if *case_insensitive { "ILIKE" } else { "LIKE" },
            expr(pattern)
        ),
        Expr::InList {
            expr: x,
            list: l,
            negated,
        } => {
            format!("({} {}IN ({}))", expr(x), if *negated { "NOT " } else { "" }, list(l))
        }
        Expr::Case {
            branches, else_expr, ..
        } => {
            let mut s = "CASE".to_string();
            for (c, r) in branches {
                s.push_str(&format!(" WHEN {} THEN {}", expr(c), expr(r)));
            }
            if let Some(x) = else_expr {
                s.push_str(&format!(" ELSE {}", expr(x)));
            }
            s.push_str(" END");
            s
        }
        Expr::Cast { expr: x, to } => format!("{}::{}", expr(x), to),
        Expr::Function { func, args } => format!("{}({})", format!("{func:?}").to_lowercase(), list(args)),
        Expr::Ledger { func, args } => format!("{}({})", format!("{func:?}").to_lowercase(), list(args)),
        Expr::Coalesce(v) => format!("COALESCE({})", list(v)),
        Expr::NullIf { left, right } => format!("NULLIF({}, {})", expr(left), expr(right)),
        Expr::Greatest(v) => format!("GREATEST({})", list(v)),
        Expr::Least(v) => format!("LEAST({})", list(v)),
        Expr::Array(v) => format!("ARRAY[{}]", list(v)),
        Expr::ArrayIndex { array, index } => format!("{}[{}]", expr(array), expr(index)),
        Expr::Subquery { kind, .. } => match kind {
            SubqueryKind::Scalar => "(SubPlan)".into(),
            SubqueryKind::Exists => "EXISTS(SubPlan)".into(),
            SubqueryKind::In { expr: x, negated } => {
                format!("({} {}IN (SubPlan))", expr(x), if *negated { "NOT " } else { "" })
            }
            SubqueryKind::Quantified { expr: x, op, all } => {
                format!(
                    "({} {} {}(SubPlan))",
                    expr(x),
                    binop(op),
                    if *all { "ALL" } else { "ANY" }
                )
            }
        },
    }
}

fn binop(op: &crate::types::ops::BinaryOp) -> String {
    use crate::types::ops::BinaryOp as B;
    match op {
        B::Add => "+".into(),
        B::Sub => "-".into(),
        B::Mul => "*".into(),
        B::Div => "/".into(),
        B::Mod => "%".into(),
        B::Pow => "^".into(),
        B::Eq => "=".into(),
        B::NotEq => "<>".into(),
        B::Lt => "<".into(),
        B::LtEq => "<=".into(),
        B::Gt => ">".into(),
        B::GtEq => ">=".into(),
        B::Concat => "||".into(),
        other => format!("{other:?}"),
    }
}
