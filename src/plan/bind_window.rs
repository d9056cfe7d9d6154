//! Window function calls: `row_number()`, `rank()` and `dense_rank()` with
//! `OVER ([PARTITION BY ...] [ORDER BY ...])`, in a SELECT's target list and ORDER BY.
//!
//! Calls met while binding those clauses are collected in `Binder::win` and stand in the bound
//! tree as `Column(WIN_BASE + k)` placeholders; `bind_select` then puts a `Plan::Window` over
//! the SELECT's input (after WHERE, as PostgreSQL evaluates windows) and renumbers the
//! placeholders to the window node's trailing columns. The ranking functions ignore a frame
//! clause, as PostgreSQL's do. Aggregates used as window functions and windows over grouped
//! rows are not supported (0A000).

use crate::error::{sqlstate, Error, Result};
use crate::sql::ast;
use crate::types::DataType;

use super::bind_expr::Typed;
use super::bind_function::{function_not_found, sort_key};
use super::binder::Binder;
use super::rewrite::remap_columns;
use super::scope::Scope;
use super::{Expr, WindowCall, WindowFunc};

/// Placeholder column numbers for collected window calls (never a real row position, and
/// apart from the aggregate placeholders).
pub(super) const WIN_BASE: usize = usize::MAX / 4 * 3;

impl Binder<'_> {
    pub(super) fn bind_window_call(
        &mut self,
        f: &ast::Function,
        name: &str,
        is_aggregate: bool,
        over: &ast::WindowType,
        scope: &Scope,
    ) -> Result<Typed> {
        if self.win.is_none() {
            return Err(Error::sql(
                sqlstate::WINDOWING_ERROR,
                format!("window functions are not allowed in {}", self.clause),
            ));
        }
        let func = match name {
            "row_number" => WindowFunc::RowNumber,
            "rank" => WindowFunc::Rank,
            "dense_rank" => WindowFunc::DenseRank,
            _ if is_aggregate => {
                return Err(Error::unsupported(format!(
                    "aggregate function {name} as a window function"
                )))
            }
            _ => {
                return Err(Error::sql(
                    sqlstate::WRONG_OBJECT_TYPE,
                    format!("OVER specified, but {name} is not a window function nor an aggregate function"),
                ))
            }
        };
        match &f.args {
            ast::FunctionArguments::None => {}
            ast::FunctionArguments::List(l) if l.args.is_empty() => {}
            ast::FunctionArguments::List(l) => {
                let mut types = Vec::with_capacity(l.args.len());
                for a in &l.args {
                    match a {
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => {
                            types.push(self.bind_expr(e, scope)?.1)
                        }
                        _ => return Err(Error::unsupported(format!("argument {a} of function {name}"))),
                    }
                }
                return Err(function_not_found(name, &types));
            }
            ast::FunctionArguments::Subquery(_) => {
                return Err(Error::unsupported(format!("function {name}(subquery)")))
            }
        }
        if f.filter.is_some() {
            return Err(Error::unsupported(
                "FILTER is not implemented for non-aggregate window functions",
            ));
        }
        let spec = match over {
            ast::WindowType::WindowSpec(spec) if spec.window_name.is_none() => spec,
            ast::WindowType::WindowSpec(_) => return Err(Error::unsupported("references to named windows")),
            ast::WindowType::NamedWindow(n) => {
                return Err(Error::sql(
                    sqlstate::UNDEFINED_OBJECT,
                    format!("window \"{}\" does not exist", n.value),
                ))
            }
        };
        // The window's own expressions are over the input row: no aggregates, no nested windows.
        let saved_win = self.win.take();
        let saved_agg = self.agg.take();
        let saved_clause = std::mem::replace(&mut self.clause, "window definitions");
        let bound = (|| -> Result<_> {
            let mut partition_by = Vec::with_capacity(spec.partition_by.len());
            for e in &spec.partition_by {
                partition_by.push(self.bind_expr(e, scope)?.0);
            }
            let mut order_by = Vec::with_capacity(spec.order_by.len());
            for o in &spec.order_by {
                order_by.push(sort_key(self.bind_expr(&o.expr, scope)?.0, &o.options));
            }
            Ok((partition_by, order_by))
        })();
        self.win = saved_win;
        self.agg = saved_agg;
        self.clause = saved_clause;
        let (partition_by, order_by) = bound?;
        let calls = self
            .win
            .as_mut()
            .ok_or_else(|| Error::bug("window calls collected outside a SELECT"))?;
        calls.push(WindowCall {
            func,
            partition_by,
            order_by,
        });
        Ok((Expr::Column(WIN_BASE + calls.len() - 1), DataType::Int8))
    }
}

/// Renumbers window placeholders in `exprs` to the columns a `Plan::Window` appends after
/// `input_width` input columns.
pub(super) fn place_window_columns(exprs: &mut [Expr], input_width: usize) {
    for e in exprs {
        remap_columns(e, &|i| if i >= WIN_BASE { input_width + (i - WIN_BASE) } else { i });
    }
}
