//! Binding of `lineage(relation text [, depth integer])` in FROM (also `depth => n`): the
//! lineage edges within `depth` hops (default 1) of a table or view, upstream and downstream
//! (`catalog::lineage`). The relation is resolved when the function runs.

use crate::error::{Error, Result};
use crate::sql::ast;
use crate::types::DataType;

use super::binder::Binder;
use super::scope::Scope;
use super::{Plan, TableFunc};

/// The output columns of `lineage`.
pub(super) const LINEAGE_COLUMNS: &[(&str, DataType)] = &[
    ("source", DataType::Text),
    ("target", DataType::Text),
    ("operation", DataType::Text),
    ("tx_id", DataType::Int8),
    ("timestamp", DataType::TimestampTz),
    ("direction", DataType::Text),
];

impl Binder<'_> {
    pub(super) fn bind_lineage_function(
        &mut self,
        name: &str,
        args: &[ast::FunctionArg],
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, Scope)> {
        let missing = || {
            Error::sql(
                crate::error::sqlstate::UNDEFINED_FUNCTION,
                format!("function {name} with {} arguments does not exist", args.len()),
            )
            .with_hint("lineage takes a relation name and, optionally, depth => integer.")
        };
        let empty = Scope::default();
        let mut relation = None;
        let mut depth = None;
        for (i, arg) in args.iter().enumerate() {
            let (slot, expr) = match super::bind_ledger::function_argument(arg) {
                Some((None, e)) if i == 0 => (&mut relation, e),
                Some((None, e)) if i == 1 => (&mut depth, e),
                Some((Some(wanted), e)) if wanted == "relation" => (&mut relation, e),
                Some((Some(wanted), e)) if wanted == "depth" => (&mut depth, e),
                _ => return Err(missing()),
            };
            if slot.is_some() {
                return Err(missing());
            }
            *slot = Some(self.without_aggregates("functions in FROM", |b| b.bind_expr(expr, &empty))?);
        }
        let Some((relation, t)) = relation else {
            return Err(missing());
        };
        if !matches!(t, DataType::Text | DataType::Unknown | DataType::Varchar(_)) {
            return Err(missing());
        }
        let mut bound = vec![self.coerce(relation, &t, &DataType::Text)];
        if let Some((depth, t)) = depth {
            if !matches!(t, DataType::Int2 | DataType::Int4 | DataType::Int8 | DataType::Unknown) {
                return Err(missing());
            }
            bound.push(self.coerce(depth, &t, &DataType::Int8));
        }
        let alias_name = alias
            .map(|a| super::sql_type::fold_ident(&a.name))
            .unwrap_or_else(|| name.to_string());
        let output = Binder::ledger_output(LINEAGE_COLUMNS);
        let scope = super::bind_from::output_scope(&alias_name, &output, alias)?;
        Ok((
            Plan::TableFunction {
                func: TableFunc::Lineage,
                args: bound,
                width: output.len(),
            },
            scope,
        ))
    }
}
