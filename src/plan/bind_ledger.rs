//! Binding of the blockchain-table functions: `verify_blockchain(text)`,
//! `verify_blockchain(text, digest text)`, `blockchain_digest(text)`,
//! `verify_blockchain_block(text, bigint)` (the block also by name, `block_id => n`),
//! `seal_blockchain_block(text)`, `blockchain_proof(text, bigint, bigint)`,
//! `verify_blockchain_proof(text)`, `sign_blockchain_block(text, bigint, text, text)`,
//! `purge_blockchain(text [, timestamptz])`, `purge_blockchain_blocks(text, bigint, bigint,
//! text)`, and in FROM `blockchain_metadata(text)`, `blockchain_tamper_report(text)`,
//! `blockchain_purge_log(text)` and `blockchain_signers()`. Arguments are coerced as PostgreSQL coerces them to a declared
//! signature; the table itself is resolved when the function runs.

use crate::error::{sqlstate, Error, Result};
use crate::sql::ast;
use crate::types::DataType;

use super::binder::Binder;
use super::scope::Scope;
use super::{Expr, LedgerFunc, OutputColumn, Plan, TableFunc};

/// Named, typed parameters of a function.
type Params = &'static [(&'static str, DataType)];

/// `(function, parameter names and types, result type)` of each scalar ledger function.
/// `arguments`: how many the call passes (`verify_blockchain` has a one- and a two-argument form).
fn signature(name: &str, arguments: usize) -> Option<(LedgerFunc, Params, DataType)> {
    const TABLE: (&str, DataType) = ("table_name", DataType::Text);
    Some(match name {
        "verify_blockchain" if arguments == 2 => (
            LedgerFunc::VerifyDigest,
            &[TABLE, ("digest", DataType::Text)],
            DataType::Bool,
        ),
        "verify_blockchain" => (LedgerFunc::Verify, &[TABLE], DataType::Bool),
        "blockchain_digest" => (LedgerFunc::Digest, &[TABLE], DataType::Text),
        "verify_blockchain_block" => (
            LedgerFunc::VerifyBlock,
            &[TABLE, ("block_id", DataType::Int8)],
            DataType::Bool,
        ),
        "seal_blockchain_block" => (LedgerFunc::Seal, &[TABLE], DataType::Int8),
        "purge_blockchain" if arguments == 2 => (
            LedgerFunc::Purge,
            &[TABLE, ("as_of", DataType::TimestampTz)],
            DataType::Int8,
        ),
        "purge_blockchain" => (LedgerFunc::Purge, &[TABLE], DataType::Int8),
        "purge_blockchain_blocks" => (
            LedgerFunc::PurgeBlocks,
            &[
                TABLE,
                ("first_block", DataType::Int8),
                ("last_block", DataType::Int8),
                ("reason", DataType::Text),
            ],
            DataType::Int8,
        ),
        "blockchain_proof" => (
            LedgerFunc::Proof,
            &[TABLE, ("block_id", DataType::Int8), ("row_index", DataType::Int8)],
            DataType::Text,
        ),
        "verify_blockchain_proof" => (LedgerFunc::VerifyProof, &[("proof", DataType::Text)], DataType::Bool),
        "sign_blockchain_block" => (
            LedgerFunc::Sign,
            &[
                TABLE,
                ("block_id", DataType::Int8),
                ("signer_name", DataType::Text),
                ("signature", DataType::Text),
            ],
            DataType::Bool,
        ),
        _ => return None,
    })
}

/// The output columns of a blockchain table function.
pub(super) fn table_function_columns(name: &str) -> Option<(TableFunc, Vec<(&'static str, DataType)>)> {
    match name {
        "blockchain_metadata" => Some((
            TableFunc::BlockchainMetadata,
            vec![
                ("block_id", DataType::Int8),
                ("block_hash", DataType::Text),
                ("prev_hash", DataType::Text),
                ("merkle_root", DataType::Text),
                ("row_count", DataType::Int8),
                ("timestamp", DataType::TimestampTz),
                ("nonce", DataType::Int8),
                ("block_type", DataType::Text),
                ("signature_count", DataType::Int4),
                ("confirmed", DataType::Bool),
            ],
        )),
        "blockchain_signers" => Some((
            TableFunc::BlockchainSigners,
            vec![
                ("signer_name", DataType::Text),
                ("public_key", DataType::Text),
                ("server_held", DataType::Bool),
                ("created_at", DataType::TimestampTz),
            ],
        )),
        "blockchain_purge_log" => Some((
            TableFunc::BlockchainPurgeLog,
            vec![
                ("purge_id", DataType::Int8),
                ("block_range", DataType::Text),
                ("reason", DataType::Text),
                ("timestamp", DataType::TimestampTz),
                ("authorized_by", DataType::Text),
                ("rows_purged", DataType::Int8),
                ("anchor_block_id", DataType::Int8),
                ("anchor_hash", DataType::Text),
            ],
        )),
        "blockchain_tamper_report" => Some((
            TableFunc::BlockchainTamperReport,
            vec![
                ("block_id", DataType::Int8),
                ("finding", DataType::Text),
                ("detail", DataType::Text),
            ],
        )),
        _ => None,
    }
}

impl Binder<'_> {
    /// Binds a call of a scalar ledger function; `None` when `name` is not one.
    pub(super) fn bind_ledger_function(
        &mut self,
        name: &str,
        args: &[ast::FunctionArg],
        scope: &Scope,
    ) -> Result<Option<(Expr, DataType)>> {
        let Some((func, params, result)) = signature(name, args.len()) else {
            return Ok(None);
        };
        let mut slots: Vec<Option<(Expr, DataType)>> = vec![None; params.len()];
        let mut named_seen = false;
        for (i, arg) in args.iter().enumerate() {
            let (slot, expr) = match function_argument(arg) {
                Some((None, e)) => {
                    if named_seen {
                        return Err(Error::syntax("positional argument cannot follow named argument"));
                    }
                    (i, e)
                }
                Some((Some(wanted), e)) => {
                    named_seen = true;
                    match params.iter().position(|(p, _)| *p == wanted) {
                        Some(pos) => (pos, e),
                        None => return Err(missing(name, args.len())),
                    }
                }
                None => return Err(missing(name, args.len())),
            };
            let Some(place) = slots.get_mut(slot) else {
                return Err(missing(name, args.len()));
            };
            if place.is_some() {
                return Err(Error::syntax(format!(
                    "argument name \"{}\" used more than once",
                    params.get(slot).map_or("?", |p| p.0)
                )));
            }
            *place = Some(self.bind_expr(expr, scope)?);
        }
        let mut bound = Vec::with_capacity(params.len());
        for (slot, (_, to)) in slots.into_iter().zip(params) {
            let Some((e, t)) = slot else {
                return Err(missing(name, args.len()));
            };
            if t != *to && t != DataType::Unknown && !crate::types::cast::can_coerce_implicitly(&t, to) {
                return Err(missing(name, args.len()));
            }
            bound.push(self.coerce(e, &t, to));
        }
        Ok(Some((Expr::Ledger { func, args: bound }, result)))
    }

    /// `blockchain_signers()`: no arguments (42883 otherwise).
    pub(super) fn bind_signers_function(
        &mut self,
        name: &str,
        args: &[ast::FunctionArg],
        alias: Option<&ast::TableAlias>,
        columns: &[(&'static str, DataType)],
    ) -> Result<(Plan, Scope)> {
        if !args.is_empty() {
            return Err(missing(name, args.len()));
        }
        let alias_name = alias
            .map(|a| super::sql_type::fold_ident(&a.name))
            .unwrap_or_else(|| name.to_string());
        let output = Binder::ledger_output(columns);
        let scope = super::bind_from::output_scope(&alias_name, &output, alias)?;
        let width = output.len();
        Ok((
            Plan::TableFunction {
                func: TableFunc::BlockchainSigners,
                args: vec![],
                width,
            },
            scope,
        ))
    }

    /// The output columns of a ledger table function, as a FROM item sees them.
    pub(super) fn ledger_output(columns: &[(&'static str, DataType)]) -> Vec<OutputColumn> {
        columns
            .iter()
            .map(|(name, data_type)| OutputColumn {
                name: (*name).to_string(),
                data_type: data_type.clone(),
                source: None,
            })
            .collect()
    }
}

/// A call's argument: its name (folded) when given as `name => value`, else `None`; and its value.
/// The whole result is `None` for forms no Vellum function takes (`*`, `t.*`).
pub(super) fn function_argument(arg: &ast::FunctionArg) -> Option<(Option<String>, &ast::Expr)> {
    match arg {
        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some((None, e)),
        // `block_id => n` parses as Named or ExprNamed depending on the operator.
        ast::FunctionArg::Named {
            name,
            arg: ast::FunctionArgExpr::Expr(e),
            ..
        }
        | ast::FunctionArg::ExprNamed {
            name: ast::Expr::Identifier(name),
            arg: ast::FunctionArgExpr::Expr(e),
            ..
        } => Some((Some(super::sql_type::fold_ident(name)), e)),
        _ => None,
    }
}

/// PostgreSQL's 42883 for a call no signature matches (`n`: the number of arguments given).
fn missing(name: &str, n: usize) -> Error {
    let plural = if n == 1 { "argument" } else { "arguments" };
    Error::sql(
        sqlstate::UNDEFINED_FUNCTION,
        format!("function {name} with {n} {plural} of these types does not exist"),
    )
    .with_hint("No function matches the given name and argument types. You might need to add explicit type casts.")
}
