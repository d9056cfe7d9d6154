//! FROM clauses: tables, views, CTE references, derived tables, VALUES, set-returning
//! functions, and joins (ON / USING / NATURAL, comma joins). Produces a plan and the scope
//! naming the columns of its rows.

use crate::catalog::Privileges;
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast;
use crate::types::DataType;

use super::binder::{table_scope, Binder, CteKind};
use super::scope::{Scope, ScopeColumn};
use super::sql_type::fold_ident;
use super::{Expr, JoinKind, OutputColumn, Plan, ScanSource, TableFunc};

const MAX_VIEW_DEPTH: usize = 32;

impl Binder<'_> {
    /// Binds a whole FROM list; an empty one is a single empty row.
    pub(super) fn bind_from(&mut self, from: &[ast::TableWithJoins]) -> Result<(Plan, Scope)> {
        let mut acc: Option<(Plan, Scope)> = None;
        for twj in from {
            let (plan, scope) = self.bind_table_with_joins(twj)?;
            acc = Some(match acc {
                None => (plan, scope),
                Some((lp, ls)) => (
                    Plan::NestedLoopJoin {
                        left: Box::new(lp),
                        right: Box::new(plan),
                        kind: JoinKind::Inner,
                        condition: None,
                    },
                    Scope::join(ls, scope)?,
                ),
            });
        }
        Ok(acc.unwrap_or_else(|| {
            (
                Plan::Values {
                    rows: vec![vec![]],
                    width: 0,
                },
                Scope::default(),
            )
        }))
    }

    fn bind_table_with_joins(&mut self, twj: &ast::TableWithJoins) -> Result<(Plan, Scope)> {
        let (mut plan, mut scope) = self.bind_table_factor(&twj.relation)?;
        for join in &twj.joins {
            let (rplan, rscope) = self.bind_table_factor(&join.relation)?;
            use ast::JoinOperator as J;
            let (kind, constraint) = match &join.join_operator {
                J::Join(c) | J::Inner(c) => (JoinKind::Inner, c),
                J::Left(c) | J::LeftOuter(c) => (JoinKind::Left, c),
                J::Right(c) | J::RightOuter(c) => (JoinKind::Right, c),
                J::FullOuter(c) => (JoinKind::Full, c),
                J::CrossJoin(c) => (JoinKind::Inner, c),
                other => return Err(Error::unsupported(format!("join type {other:?}"))),
            };
            (plan, scope) = self.bind_join(plan, scope, rplan, rscope, kind, constraint)?;
        }
        Ok((plan, scope))
    }

    fn bind_join(
        &mut self,
        left: Plan,
        lscope: Scope,
        right: Plan,
        rscope: Scope,
        kind: JoinKind,
        constraint: &ast::JoinConstraint,
    ) -> Result<(Plan, Scope)> {
        let using: Vec<String> = match constraint {
            ast::JoinConstraint::On(e) => {
                let scope = Scope::join(lscope, rscope)?;
                let cond = self.without_aggregates("JOIN conditions", |b| b.bind_bool(e, &scope, "JOIN/ON"))?;
                let plan = Plan::NestedLoopJoin {
                    left: Box::new(left),
                    right: Box::new(right),
                    kind,
                    condition: Some(cond),
                };
                return Ok((plan, scope));
            }
            ast::JoinConstraint::None => {
                let scope = Scope::join(lscope, rscope)?;
                let plan = Plan::NestedLoopJoin {
                    left: Box::new(left),
                    right: Box::new(right),
                    kind,
                    condition: None,
                };
                return Ok((plan, scope));
            }
            ast::JoinConstraint::Using(names) => names.iter().map(super::sql_type::object_name_last).collect(),
            ast::JoinConstraint::Natural => {
                let rnames: Vec<String> = rscope.star().iter().map(|c| c.name.clone()).collect();
                let mut names: Vec<String> = Vec::new();
                for c in lscope.star() {
                    if rnames.contains(&c.name) && !names.contains(&c.name) {
                        names.push(c.name.clone());
                    }
                }
                names
            }
        };
        let shift = lscope.width;
        let mut pairs = Vec::with_capacity(using.len());
        for name in &using {
            let l = match lscope.lookup(None, name)? {
                super::scope::Lookup::Found(i, t) => (i, t),
                _ => {
                    return Err(Error::sql(
                        sqlstate::UNDEFINED_COLUMN,
                        format!("column \"{name}\" specified in USING clause does not exist in left table"),
                    ))
                }
            };
            let r = match rscope.lookup(None, name)? {
                super::scope::Lookup::Found(i, t) => (i + shift, t),
                _ => {
                    return Err(Error::sql(
                        sqlstate::UNDEFINED_COLUMN,
                        format!("column \"{name}\" specified in USING clause does not exist in right table"),
                    ))
                }
            };
            pairs.push((name.clone(), l, r));
        }
        let mut conds = Vec::with_capacity(pairs.len());
        for (_, (li, lt), (ri, rt)) in &pairs {
            let (e, _) = self.apply_binary(
                crate::types::ops::BinaryOp::Eq,
                (Expr::Column(*li), lt.clone()),
                (Expr::Column(*ri), rt.clone()),
            )?;
            conds.push(e);
        }
        let condition = match conds.len() {
            0 => None,
            1 => conds.pop(),
            _ => Some(Expr::And(conds)),
        };
        let width = shift + rscope.width;
        let mut plan = Plan::NestedLoopJoin {
            left: Box::new(left),
            right: Box::new(right),
            kind,
            condition,
        };
        let mut merged = Vec::with_capacity(pairs.len());
        let mut extra = Vec::new();
        for (name, (li, lt), (ri, rt)) in &pairs {
            let (index, data_type) = match kind {
                JoinKind::Right => (*ri, rt.clone()),
                JoinKind::Full => {
                    let (exprs, t) = self.coerce_common(
                        vec![(Expr::Column(*li), lt.clone()), (Expr::Column(*ri), rt.clone())],
                        "JOIN/USING",
                    )?;
                    extra.push(Expr::Coalesce(exprs));
                    (width + extra.len() - 1, t)
                }
                _ => (*li, lt.clone()),
            };
            merged.push(ScopeColumn {
                table: None,
                name: name.clone(),
                data_type,
                index,
                source: None,
                merged_away: false,
                base_table: false,
                hidden: false,
            });
        }
        let joined_width = width + extra.len();
        if !extra.is_empty() {
            let mut exprs: Vec<Expr> = (0..width).map(Expr::Column).collect();
            exprs.extend(extra);
            plan = Plan::Project {
                input: Box::new(plan),
                exprs,
            };
        }
        let mut scope = Scope::join(lscope, rscope)?;
        for c in scope.columns.iter_mut() {
            if !c.merged_away && using.contains(&c.name) {
                c.merged_away = true;
            }
        }
        merged.extend(std::mem::take(&mut scope.columns));
        scope.columns = merged;
        scope.width = joined_width;
        Ok((plan, scope))
    }

    fn bind_table_factor(&mut self, tf: &ast::TableFactor) -> Result<(Plan, Scope)> {
        match tf {
            ast::TableFactor::Table {
                name,
                alias,
                args,
                with_ordinality,
                ..
            } => {
                if *with_ordinality {
                    return Err(Error::unsupported("WITH ORDINALITY"));
                }
                reject_reserved_name(name)?;
                let parts: Vec<String> = name
                    .0
                    .iter()
                    .map(|p| match p {
                        ast::ObjectNamePart::Identifier(i) => fold_ident(i),
                        ast::ObjectNamePart::Function(f) => fold_ident(&f.name),
                    })
                    .collect();
                if let Some(args) = args {
                    let fname = parts.last().cloned().unwrap_or_default();
                    return self.bind_table_function(&fname, &args.args, alias.as_ref());
                }
                let (schema, rel) = match parts.as_slice() {
                    [t] => (None, t.clone()),
                    [s, t] => (Some(s.clone()), t.clone()),
                    _ => return Err(Error::unsupported(format!("relation name {name}"))),
                };
                if let Some(s @ ("pg_catalog" | "information_schema")) = schema.as_deref() {
                    if let Some(bound) = self.bind_system_relation(Some(s), &rel, alias.as_ref())? {
                        return Ok(bound);
                    }
                }
                if let Some(s) = &schema {
                    if s != "public" && s != "pg_catalog" {
                        return Err(Error::sql(
                            sqlstate::UNDEFINED_TABLE,
                            format!("relation \"{s}.{rel}\" does not exist"),
                        ));
                    }
                }
                self.bind_relation(&rel, schema.is_none(), alias.as_ref())
            }
            ast::TableFactor::Derived {
                lateral,
                subquery,
                alias,
                ..
            } => {
                if *lateral {
                    return Err(Error::unsupported("LATERAL"));
                }
                let Some(alias_ref) = alias.as_ref() else {
                    return Err(Error::syntax("subquery in FROM must have an alias")
                        .with_hint("For example, FROM (SELECT ...) [AS] foo."));
                };
                let qp = self.query(subquery)?;
                let alias_name = fold_ident(&alias_ref.name);
                let scope = output_scope(&alias_name, &qp.columns, alias.as_ref())?;
                Ok((qp.plan, scope))
            }
            ast::TableFactor::UNNEST {
                alias,
                array_exprs,
                with_offset,
                with_ordinality,
                ..
            } => {
                if *with_offset || *with_ordinality || array_exprs.len() != 1 {
                    return Err(Error::unsupported("this form of UNNEST"));
                }
                let args: Vec<ast::FunctionArg> = array_exprs
                    .iter()
                    .map(|e| ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e.clone())))
                    .collect();
                self.bind_table_function("unnest", &args, alias.as_ref())
            }
            ast::TableFactor::Function {
                lateral: false,
                name,
                args,
                with_ordinality: false,
                alias,
            } => {
                let fname = super::sql_type::object_name_last(name);
                self.bind_table_function(&fname, args, alias.as_ref())
            }
            ast::TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => self.bind_table_with_joins(table_with_joins),
            other => Err(Error::unsupported(format!("FROM item {other}"))),
        }
    }

    /// A name in FROM: a CTE (unqualified only), a table, or a view.
    fn bind_relation(&mut self, rel: &str, may_be_cte: bool, alias: Option<&ast::TableAlias>) -> Result<(Plan, Scope)> {
        let alias_name = alias.map(|a| fold_ident(&a.name)).unwrap_or_else(|| rel.to_string());
        if may_be_cte {
            if let Some(pos) = self.ctes.iter().rposition(|c| c.name == rel) {
                let depth = self.outer.len();
                let cte_depth = self.ctes[pos].depth;
                if depth > cte_depth {
                    if let CteKind::Bound(p) = &self.ctes[pos].kind {
                        if super::rewrite::plan_reads_outside(p) {
                            // The subqueries between the definition and this reference now
                            // read enclosing rows too.
                            for flag in self.correlated.iter_mut().skip(cte_depth) {
                                *flag = true;
                            }
                        }
                    }
                }
                let cte = &mut self.ctes[pos];
                let columns: Vec<OutputColumn> = cte
                    .columns
                    .iter()
                    .map(|(n, t)| OutputColumn {
                        name: n.clone(),
                        data_type: t.clone(),
                        source: None,
                    })
                    .collect();
                let plan = match &mut cte.kind {
                    CteKind::Bound(p) => {
                        let mut plan = p.as_ref().clone();
                        super::rewrite::shift_outer_levels(&mut plan, depth.saturating_sub(cte_depth));
                        plan
                    }
                    CteKind::WorkTable { id, referenced } => {
                        *referenced = true;
                        Plan::WorkTable {
                            id: *id,
                            width: columns.len(),
                        }
                    }
                };
                let scope = output_scope(&alias_name, &columns, alias)?;
                return Ok((plan, scope));
            }
        }
        if let Some(table) = self.table_def(rel) {
            self.require(table.id, rel, false, Privileges::SELECT);
            let mut scope = table_scope(&table, &alias_name);
            if let Some(a) = alias {
                rename_columns(&mut scope, a, &alias_name)?;
            }
            let plan = Plan::Scan {
                table,
                source: ScanSource::Table,
                filter: None,
                emit_key: false,
            };
            return Ok((plan, scope));
        }
        if let Some(view) = self.catalog.view(rel).cloned() {
            if self.view_depth >= MAX_VIEW_DEPTH {
                return Err(Error::sql(
                    sqlstate::INVALID_OBJECT_DEFINITION,
                    format!("infinite recursion detected in rules for relation \"{rel}\""),
                ));
            }
            let stmts = crate::sql::parse(&view.sql)?;
            let query = match stmts.as_slice() {
                [ast::Statement::Query(q)] => q.clone(),
                _ => {
                    return Err(Error::corrupted(
                        format!("view {rel}"),
                        "stored definition is not a query",
                    ))
                }
            };
            // The view's query reads with its owner's privileges, as in PostgreSQL.
            self.require(view.id, rel, true, Privileges::SELECT);
            let saved = self.checked_as.replace(self.catalog.owner_of(view.id));
            self.view_depth += 1;
            let result = self.isolated(|b| b.query(&query));
            self.view_depth -= 1;
            self.checked_as = saved;
            let mut qp = result?;
            for (c, n) in qp.columns.iter_mut().zip(&view.column_names) {
                c.name = n.clone();
            }
            let scope = output_scope(&alias_name, &qp.columns, alias)?;
            return Ok((qp.plan, scope));
        }
        if rel.starts_with("pg_") {
            if let Some(bound) = self.bind_system_relation(None, rel, alias)? {
                return Ok(bound);
            }
        }
        Err(Error::undefined_table(rel))
    }

    fn bind_table_function(
        &mut self,
        name: &str,
        args: &[ast::FunctionArg],
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, Scope)> {
        let empty = Scope::default();
        if name == "lineage" {
            return self.bind_lineage_function(name, args, alias);
        }
        if let Some((func, columns)) = super::bind_ledger::table_function_columns(name) {
            if func == TableFunc::BlockchainSigners {
                return self.bind_signers_function(name, args, alias, &columns);
            }
            let [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e))] = args else {
                return Err(function_missing(name, &[]));
            };
            let (e, t) = self.without_aggregates("functions in FROM", |b| b.bind_expr(e, &empty))?;
            if t != DataType::Text
                && t != DataType::Unknown
                && !crate::types::cast::can_coerce_implicitly(&t, &DataType::Text)
            {
                return Err(function_missing(name, &[t]));
            }
            let arg = self.coerce(e, &t, &DataType::Text);
            let alias_name = alias.map(|a| fold_ident(&a.name)).unwrap_or_else(|| name.to_string());
            let output = Binder::ledger_output(&columns);
            let scope = output_scope(&alias_name, &output, alias)?;
            let width = output.len();
            return Ok((
                Plan::TableFunction {
                    func,
                    args: vec![arg],
                    width,
                },
                scope,
            ));
        }
        let mut bound = Vec::with_capacity(args.len());
        for a in args {
            match a {
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => {
                    bound.push(self.without_aggregates("functions in FROM", |b| b.bind_expr(e, &empty))?)
                }
                _ => return Err(Error::unsupported(format!("argument {a} of function {name}"))),
            }
        }
        let types: Vec<DataType> = bound.iter().map(|(_, t)| t.clone()).collect();
        let (func, out_type, arg_types) = match name {
            "generate_series" => {
                let (out, arg_types) = generate_series_types(&types)?;
                (TableFunc::GenerateSeries, out, arg_types)
            }
            "unnest" => match types.as_slice() {
                [DataType::Array(elem)] => (TableFunc::Unnest, elem.as_ref().clone(), types.clone()),
                [DataType::Unknown] => (
                    TableFunc::Unnest,
                    DataType::Text,
                    vec![DataType::Array(Box::new(DataType::Text))],
                ),
                _ => return Err(function_missing(name, &types)),
            },
            _ => return Err(function_missing(name, &types)),
        };
        let args: Vec<Expr> = bound
            .into_iter()
            .zip(&arg_types)
            .map(|((e, t), to)| self.coerce(e, &t, to))
            .collect();
        let alias_name = alias.map(|a| fold_ident(&a.name)).unwrap_or_else(|| name.to_string());
        // A scalar-returning function aliased `AS g` names its column `g`, as in PostgreSQL.
        let column = OutputColumn {
            name: alias_name.clone(),
            data_type: out_type,
            source: None,
        };
        let scope = output_scope(&alias_name, &[column], alias)?;
        Ok((Plan::TableFunction { func, args, width: 1 }, scope))
    }
}

/// PostgreSQL's reserved words cannot name a relation unquoted; sqlparser accepts some of
/// them there (`SELECT FROM FROM t` parses as a table named "from").
fn reject_reserved_name(name: &ast::ObjectName) -> Result<()> {
    const RESERVED: &[&str] = &[
        "all",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "case",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "default",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "grant",
        "group",
        "having",
        "in",
        "intersect",
        "into",
        "leading",
        "limit",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "primary",
        "references",
        "returning",
        "select",
        "some",
        "table",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "when",
        "where",
        "window",
        "with",
    ];
    for part in &name.0 {
        if let ast::ObjectNamePart::Identifier(i) = part {
            if i.quote_style.is_none() && RESERVED.contains(&i.value.to_lowercase().as_str()) {
                return Err(Error::syntax(format!("syntax error at or near \"{}\"", i.value)));
            }
        }
    }
    Ok(())
}

fn function_missing(name: &str, types: &[DataType]) -> Error {
    let list: Vec<String> = types.iter().map(|t| t.display_name()).collect();
    Error::sql(
        sqlstate::UNDEFINED_FUNCTION,
        format!("function {name}({}) does not exist", list.join(", ")),
    )
}

/// Output and argument types of generate_series for the given argument types.
fn generate_series_types(types: &[DataType]) -> Result<(DataType, Vec<DataType>)> {
    let err = || function_missing("generate_series", types);
    if types.len() != 2 && types.len() != 3 {
        return Err(err());
    }
    let bounds = &types[..2];
    let step = types.get(2);
    let temporal = bounds
        .iter()
        .find(|t| matches!(t, DataType::Timestamp | DataType::TimestampTz | DataType::Date));
    if let Some(t) = temporal {
        let t = if *t == DataType::Date {
            DataType::Timestamp
        } else {
            t.clone()
        };
        if !matches!(step, Some(DataType::Interval | DataType::Unknown)) {
            return Err(err());
        }
        return Ok((t.clone(), vec![t.clone(), t, DataType::Interval]));
    }
    if step == Some(&DataType::Interval) {
        return Ok((
            DataType::Timestamp,
            vec![DataType::Timestamp, DataType::Timestamp, DataType::Interval],
        ));
    }
    let mut out = DataType::Int4;
    for t in types {
        out = match (t, &out) {
            (DataType::Unknown | DataType::Int2 | DataType::Int4, o) => o.clone(),
            (DataType::Int8, DataType::Numeric(_)) => DataType::Numeric(None),
            (DataType::Int8, _) => DataType::Int8,
            (DataType::Numeric(_), _) => DataType::Numeric(None),
            _ => return Err(err()),
        };
    }
    Ok((out.clone(), vec![out; types.len()]))
}

/// The scope of a derived relation (subquery, view, CTE, function) under `alias`, with the
/// alias's column list renaming its leading columns.
pub(super) fn output_scope(
    alias_name: &str,
    columns: &[OutputColumn],
    alias: Option<&ast::TableAlias>,
) -> Result<Scope> {
    let mut scope = Scope::relation(
        alias_name,
        columns
            .iter()
            .map(|c| (c.name.clone(), c.data_type.clone(), c.source))
            .collect(),
    );
    if let Some(a) = alias {
        rename_columns(&mut scope, a, alias_name)?;
    }
    Ok(scope)
}

fn rename_columns(scope: &mut Scope, alias: &ast::TableAlias, alias_name: &str) -> Result<()> {
    let visible = scope.columns.iter().filter(|c| !c.hidden).count();
    if alias.columns.len() > visible {
        return Err(Error::sql(
            sqlstate::INVALID_COLUMN_REFERENCE,
            format!(
                "table \"{alias_name}\" has {} columns available but {} columns specified",
                visible,
                alias.columns.len()
            ),
        ));
    }
    for (c, a) in scope.columns.iter_mut().zip(&alias.columns) {
        c.name = fold_ident(&a.name);
    }
    Ok(())
}
