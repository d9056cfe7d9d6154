//! Function calls, aggregate calls and subquery expressions.
//!
//! Aggregates met while binding a SELECT's target list, HAVING or ORDER BY are collected in
//! `Binder::agg` and stand in the bound tree as `Column(AGG_BASE + k)` placeholders until
//! `bind_group` rewrites the tree over the aggregate's output row.

use crate::error::{sqlstate, Error, Result};
use crate::sql::ast;
use crate::types::functions::resolve;
use crate::types::ops::{resolve_binary, BinaryOp};
use crate::types::{DataType, Value};

use super::bind_expr::Typed;
use super::bind_operator::binary_op;
use super::binder::Binder;
use super::scope::Scope;
use super::sql_type::object_name_last;
use super::{AggCall, AggFunc, Expr, Plan, SortKey, SubqueryKind, TableFunc};

/// Placeholder column numbers for collected aggregate calls (never a real row position).
pub(super) const AGG_BASE: usize = usize::MAX / 2;

fn agg_func(name: &str) -> Option<AggFunc> {
    Some(match name {
        "count" => AggFunc::Count,
        "sum" => AggFunc::Sum,
        "avg" => AggFunc::Avg,
        "min" => AggFunc::Min,
        "max" => AggFunc::Max,
        "string_agg" => AggFunc::StringAgg,
        "array_agg" => AggFunc::ArrayAgg,
        "jsonb_agg" | "json_agg" => AggFunc::JsonbAgg,
        "bool_and" | "every" => AggFunc::BoolAnd,
        "bool_or" => AggFunc::BoolOr,
        "stddev" | "stddev_samp" => AggFunc::StddevSamp,
        "stddev_pop" => AggFunc::StddevPop,
        "variance" | "var_samp" => AggFunc::VarSamp,
        "var_pop" => AggFunc::VarPop,
        _ => return None,
    })
}

pub(super) fn function_not_found(name: &str, types: &[DataType]) -> Error {
    let list: Vec<String> = types.iter().map(|t| t.display_name()).collect();
    Error::sql(
        sqlstate::UNDEFINED_FUNCTION,
        format!("function {name}({}) does not exist", list.join(", ")),
    )
    .with_hint("No function matches the given name and argument types. You might need to add explicit type casts.")
}

impl Binder<'_> {
    pub(super) fn bind_function(&mut self, f: &ast::Function, scope: &Scope) -> Result<Typed> {
        let name = object_name_last(&f.name);
        if let Some(over) = &f.over {
            return self.bind_window_call(f, &name, agg_func(&name).is_some(), over, scope);
        }
        let (arg_list, distinct, clauses) = match &f.args {
            ast::FunctionArguments::None => (Vec::new(), false, Vec::new()),
            ast::FunctionArguments::List(l) => (
                l.args.clone(),
                matches!(l.duplicate_treatment, Some(ast::DuplicateTreatment::Distinct)),
                l.clauses.clone(),
            ),
            ast::FunctionArguments::Subquery(q) if name == "array" => return self.bind_array_subquery(q, scope),
            ast::FunctionArguments::Subquery(_) => {
                return Err(Error::unsupported(format!("function {name}(subquery)")))
            }
        };
        if let Some(bound) = self.bind_ledger_function(&name, &arg_list, scope)? {
            return Ok(bound);
        }
        if let Some(func) = agg_func(&name) {
            return self.bind_aggregate(func, &name, &arg_list, distinct, &clauses, f.filter.as_deref(), scope);
        }
        if distinct || f.filter.is_some() || !clauses.is_empty() {
            return Err(Error::sql(
                sqlstate::WRONG_OBJECT_TYPE,
                format!("DISTINCT specified, but {name} is not an aggregate function"),
            ));
        }
        let mut args = Vec::with_capacity(arg_list.len());
        for a in &arg_list {
            match a {
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => args.push(self.bind_expr(e, scope)?),
                _ => return Err(Error::unsupported(format!("argument {a} of function {name}"))),
            }
        }
        if let Some(bound) = self.bind_catalog_function(&name, args.clone())? {
            return Ok(bound);
        }
        match name.as_str() {
            // Answered from the binder's knowledge, as PostgreSQL answers them from its catalogs.
            "pg_typeof" => match args.as_slice() {
                [(_, t)] => Ok((Expr::Constant(Value::Text(t.display_name())), DataType::Text)),
                _ => Err(function_not_found(
                    &name,
                    &args.iter().map(|a| a.1.clone()).collect::<Vec<_>>(),
                )),
            },
            "current_schema" if args.is_empty() => Ok((Expr::Constant(Value::Text("public".into())), DataType::Text)),
            "version" if args.is_empty() => Ok((
                Expr::Constant(Value::Text(format!(
                    "PostgreSQL 15.0 (Vellum {})",
                    env!("CARGO_PKG_VERSION")
                ))),
                DataType::Text,
            )),
            "coalesce" | "greatest" | "least" => {
                if args.is_empty() {
                    return Err(Error::syntax(format!("syntax error: {name} needs arguments")));
                }
                let context = name.to_uppercase();
                let (exprs, t) = self.coerce_common(args, &context)?;
                let x = match name.as_str() {
                    "coalesce" => Expr::Coalesce(exprs),
                    "greatest" => Expr::Greatest(exprs),
                    _ => Expr::Least(exprs),
                };
                Ok((x, t))
            }
            "nullif" => {
                let mut it = args.into_iter();
                match (it.next(), it.next(), it.next()) {
                    (Some(l), Some(r), None) => {
                        let result_type = if l.1 == DataType::Unknown {
                            DataType::Text
                        } else {
                            l.1.clone()
                        };
                        match self.apply_binary(BinaryOp::Eq, l, r)? {
                            // PostgreSQL types the result as the comparison's (coerced) left
                            // input: NULLIF(53, 80.0) is numeric.
                            (Expr::Binary { left, right, .. }, _) => {
                                let t = left_type_of(&left, &result_type);
                                Ok((Expr::NullIf { left, right }, t))
                            }
                            _ => Err(Error::bug("apply_binary returned a non-binary expression")),
                        }
                    }
                    _ => Err(Error::syntax("syntax error: NULLIF takes two arguments")),
                }
            }
            _ => self.call_scalar(&[name.as_str()], args),
        }
    }

    /// Resolves a scalar function under the first of `names` that exists and coerces the
    /// arguments to its signature.
    pub(super) fn call_scalar(&mut self, names: &[&str], args: Vec<Typed>) -> Result<Typed> {
        let types: Vec<DataType> = args.iter().map(|(_, t)| t.clone()).collect();
        for name in names {
            if let Some(rf) = resolve(name, &types)? {
                let mut exprs = Vec::with_capacity(args.len());
                for (i, (e, t)) in args.into_iter().enumerate() {
                    let to = rf.arg_types.get(i).cloned().unwrap_or_else(|| t.clone());
                    exprs.push(self.coerce(e, &t, &to));
                }
                return Ok((
                    Expr::Function {
                        func: rf.func,
                        args: exprs,
                    },
                    rf.return_type,
                ));
            }
        }
        Err(function_not_found(names.first().copied().unwrap_or("?"), &types))
    }

    #[allow(clippy::too_many_arguments)]
    fn bind_aggregate(
        &mut self,
        func: AggFunc,
        name: &str,
        arg_list: &[ast::FunctionArg],
        distinct: bool,
        clauses: &[ast::FunctionArgumentClause],
        filter: Option<&ast::Expr>,
        scope: &Scope,
    ) -> Result<Typed> {
        match &self.agg {
            None => {
                return Err(Error::sql(
                    sqlstate::GROUPING_ERROR,
                    format!("aggregate functions are not allowed in {}", self.clause),
                ))
            }
            Some(state) if state.inside => {
                return Err(Error::sql(
                    sqlstate::GROUPING_ERROR,
                    "aggregate function calls cannot be nested",
                ))
            }
            Some(_) => {}
        }
        if let Some(state) = self.agg.as_mut() {
            state.inside = true;
        }
        let result = self.bind_aggregate_inner(func, name, arg_list, distinct, clauses, filter, scope);
        if let Some(state) = self.agg.as_mut() {
            state.inside = false;
        }
        let call = result?;
        let return_type = call.return_type.clone();
        let state = self
            .agg
            .as_mut()
            .ok_or_else(|| Error::bug("aggregate state vanished"))?;
        state.calls.push(call);
        Ok((Expr::Column(AGG_BASE + state.calls.len() - 1), return_type))
    }

    #[allow(clippy::too_many_arguments)]
    fn bind_aggregate_inner(
        &mut self,
        mut func: AggFunc,
        name: &str,
        arg_list: &[ast::FunctionArg],
        distinct: bool,
        clauses: &[ast::FunctionArgumentClause],
        filter: Option<&ast::Expr>,
        scope: &Scope,
    ) -> Result<AggCall> {
        let mut args: Vec<Typed> = Vec::new();
        for a in arg_list {
            match a {
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard) if func == AggFunc::Count => {
                    func = AggFunc::CountStar;
                }
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => args.push(self.bind_expr(e, scope)?),
                _ => return Err(Error::unsupported(format!("argument {a} of aggregate {name}"))),
            }
        }
        let types: Vec<DataType> = args.iter().map(|(_, t)| t.clone()).collect();
        let expected = match func {
            AggFunc::CountStar => 0,
            AggFunc::StringAgg => 2,
            _ => 1,
        };
        if args.len() != expected {
            return Err(function_not_found(name, &types));
        }
        let mut exprs = Vec::with_capacity(args.len());
        for (e, t) in args {
            let to = match func {
                AggFunc::StringAgg => {
                    if !(t.is_string() || t == DataType::Unknown) {
                        return Err(function_not_found(name, &types));
                    }
                    DataType::Text
                }
                AggFunc::BoolAnd | AggFunc::BoolOr => {
                    if !(t == DataType::Bool || t == DataType::Unknown) {
                        return Err(function_not_found(name, &types));
                    }
                    DataType::Bool
                }
                AggFunc::Sum | AggFunc::Avg => {
                    if !(t.is_numeric() || t == DataType::Interval) {
                        return Err(function_not_found(name, &types));
                    }
                    t.clone()
                }
                AggFunc::StddevSamp | AggFunc::StddevPop | AggFunc::VarSamp | AggFunc::VarPop => {
                    if !t.is_numeric() {
                        return Err(function_not_found(name, &types));
                    }
                    t.clone()
                }
                _ if t == DataType::Unknown => DataType::Text,
                _ => t.clone(),
            };
            exprs.push(self.coerce(e, &t, &to));
        }
        let arg_type = match func {
            AggFunc::CountStar => None,
            _ => types.first().map(|t| {
                if *t == DataType::Unknown {
                    DataType::Text
                } else {
                    t.clone()
                }
            }),
        };
        let filter = match filter {
            Some(f) => Some(self.bind_bool(f, scope, "FILTER")?),
            None => None,
        };
        let mut order_by = Vec::new();
        for c in clauses {
            match c {
                ast::FunctionArgumentClause::OrderBy(items) => {
                    for item in items {
                        let (e, _) = self.bind_expr(&item.expr, scope)?;
                        order_by.push(sort_key(e, &item.options));
                    }
                }
                other => return Err(Error::unsupported(format!("{other} in aggregate calls"))),
            }
        }
        let return_type = func.return_type(arg_type.as_ref());
        Ok(AggCall {
            func,
            args: exprs,
            distinct,
            filter,
            order_by,
            return_type,
        })
    }

    fn no_subquery_here(&self) -> Result<()> {
        match self.table_expr {
            Some(what) => Err(Error::unsupported(format!("subquery in {what}"))),
            None => Ok(()),
        }
    }

    pub(super) fn bind_scalar_subquery(&mut self, q: &ast::Query, scope: &Scope) -> Result<Typed> {
        self.no_subquery_here()?;
        let (qp, correlated) = self.nested_level(scope, |b| b.query(q))?;
        if qp.columns.len() != 1 {
            return Err(Error::syntax("subquery must return only one column"));
        }
        let t = qp.columns[0].data_type.clone();
        Ok((
            Expr::Subquery {
                plan: Box::new(qp.plan),
                kind: SubqueryKind::Scalar,
                correlated,
            },
            t,
        ))
    }

    pub(super) fn bind_exists(&mut self, q: &ast::Query, scope: &Scope) -> Result<Expr> {
        self.no_subquery_here()?;
        let (qp, correlated) = self.nested_level(scope, |b| b.query(q))?;
        Ok(Expr::Subquery {
            plan: Box::new(qp.plan),
            kind: SubqueryKind::Exists,
            correlated,
        })
    }

    /// Binds a one-column subquery compared with `op` against `x`: returns the coerced
    /// left operand, the subquery plan (its column coerced) and whether it is correlated.
    fn bind_compared_subquery(
        &mut self,
        x: &ast::Expr,
        q: &ast::Query,
        op: BinaryOp,
        scope: &Scope,
    ) -> Result<(Expr, Plan, bool)> {
        self.no_subquery_here()?;
        let (x, xt) = self.bind_expr(x, scope)?;
        let (qp, correlated) = self.nested_level(scope, |b| b.query(q))?;
        if qp.columns.len() != 1 {
            return Err(Error::syntax("subquery has too many columns"));
        }
        let ct = qp.columns[0].data_type.clone();
        let xt = self.infer_operand_type(&x, xt, &ct);
        let sig = resolve_binary(op, &xt, &ct)?;
        let x = self.coerce(x, &xt, &sig.left);
        let plan = if ct != sig.right {
            let col = self.coerce(Expr::Column(0), &ct, &sig.right);
            Plan::Project {
                input: Box::new(qp.plan),
                exprs: vec![col],
            }
        } else {
            qp.plan
        };
        Ok((x, plan, correlated))
    }

    pub(super) fn bind_in_subquery(
        &mut self,
        x: &ast::Expr,
        q: &ast::Query,
        negated: bool,
        scope: &Scope,
    ) -> Result<Typed> {
        let (x, plan, correlated) = self.bind_compared_subquery(x, q, BinaryOp::Eq, scope)?;
        let kind = SubqueryKind::In {
            expr: Box::new(x),
            negated,
        };
        Ok((
            Expr::Subquery {
                plan: Box::new(plan),
                kind,
                correlated,
            },
            DataType::Bool,
        ))
    }

    pub(super) fn bind_quantified(
        &mut self,
        left: &ast::Expr,
        op: &ast::BinaryOperator,
        right: &ast::Expr,
        all: bool,
        scope: &Scope,
    ) -> Result<Typed> {
        let op = binary_op(op)?;
        let mut inner = right;
        while let ast::Expr::Nested(x) = inner {
            inner = x;
        }
        match inner {
            ast::Expr::Subquery(q) => {
                let (x, plan, correlated) = self.bind_compared_subquery(left, q, op, scope)?;
                let kind = SubqueryKind::Quantified {
                    expr: Box::new(x),
                    op,
                    all,
                };
                Ok((
                    Expr::Subquery {
                        plan: Box::new(plan),
                        kind,
                        correlated,
                    },
                    DataType::Bool,
                ))
            }
            ast::Expr::Array(arr) => {
                // `x op ANY (ARRAY[a, b])` is `x op a OR x op b` (ALL: AND), with SQL NULL rules.
                let mut terms = Vec::with_capacity(arr.elem.len());
                for item in &arr.elem {
                    let l = self.bind_expr(left, scope)?;
                    let r = self.bind_expr(item, scope)?;
                    terms.push(self.apply_binary(op, l, r)?.0);
                }
                if terms.is_empty() {
                    return Ok((Expr::Constant(Value::Bool(all)), DataType::Bool));
                }
                Ok((if all { Expr::And(terms) } else { Expr::Or(terms) }, DataType::Bool))
            }
            other => {
                // `x op ANY (array)` is `x op ANY (SELECT unnest(array))`: the array moves one
                // query level down, and the subquery's NULL rules are exactly ANY/ALL's.
                self.no_subquery_here()?;
                let (x, xt) = self.bind_expr(left, scope)?;
                let (arr, at) = self.bind_expr(other, scope)?;
                let elem = match &at {
                    DataType::Array(e) => e.as_ref().clone(),
                    DataType::Unknown if xt == DataType::Unknown => DataType::Text,
                    DataType::Unknown => xt.clone(),
                    t => {
                        return Err(Error::sql(
                            sqlstate::WRONG_OBJECT_TYPE,
                            format!("op ANY/ALL (array) requires array on right side, not {t}"),
                        ))
                    }
                };
                let arr = self.coerce(arr, &at, &DataType::Array(Box::new(elem.clone())));
                let xt = self.infer_operand_type(&x, xt, &elem);
                let sig = resolve_binary(op, &xt, &elem)?;
                let x = self.coerce(x, &xt, &sig.left);
                // A NULL array makes the comparison NULL, not the empty set's false/true.
                let null_test = Expr::IsNull {
                    expr: Box::new(arr.clone()),
                    negated: false,
                };
                let mut arr = arr;
                let correlated = super::rewrite::push_down_level(&mut arr);
                let mut plan = Plan::TableFunction {
                    func: TableFunc::Unnest,
                    args: vec![arr],
                    width: 1,
                };
                if elem != sig.right {
                    let col = self.coerce(Expr::Column(0), &elem, &sig.right);
                    plan = Plan::Project {
                        input: Box::new(plan),
                        exprs: vec![col],
                    };
                }
                let kind = SubqueryKind::Quantified {
                    expr: Box::new(x),
                    op,
                    all,
                };
                let sub = Expr::Subquery {
                    plan: Box::new(plan),
                    kind,
                    correlated,
                };
                let x = Expr::Case {
                    operand: None,
                    branches: vec![(null_test, Expr::Constant(Value::Null))],
                    else_expr: Some(Box::new(sub)),
                };
                Ok((x, DataType::Bool))
            }
        }
    }
}

/// The type of NULLIF's coerced first argument (`written` when it was not cast).
fn left_type_of(left: &Expr, written: &DataType) -> DataType {
    match left {
        Expr::Cast { to, .. } => to.clone(),
        _ => written.clone(),
    }
}

/// A sort key with PostgreSQL's defaults: NULLS LAST for ASC, NULLS FIRST for DESC.
pub(super) fn sort_key(expr: Expr, options: &ast::OrderByOptions) -> SortKey {
    let desc = matches!(options.sort, Some(ast::OrderBySort::Desc));
    let nulls_first = options.nulls_first.unwrap_or(desc);
    SortKey {
        expr,
        desc,
        nulls_first,
    }
}
