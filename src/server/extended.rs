//! The extended query protocol: Parse, Bind, Describe, Execute, Close and Sync over named and
//! unnamed prepared statements and portals.
//!
//! A portal's statement runs to completion at its first Execute (as PostgreSQL runs DML and
//! materialized queries); a row limit then hands the buffered rows out in pieces with
//! PortalSuspended. Any error skips messages until Sync, which answers ReadyForQuery.

use std::sync::Arc;

use bytes::Bytes;

use crate::error::{sqlstate, Error, Result};
use crate::plan::OutputColumn;
use crate::session::{Prepared, StatementResult};
use crate::sql::ast;
use crate::types::{text, DataType, Row, Value};

use super::binary;
use super::connection::{Closed, Connection};
use super::wire::{self, Out, Severity, BINARY, TEXT};

/// A prepared statement of this connection.
pub(super) struct PreparedStatement {
    prepared: Prepared,
    /// COPY and DEALLOCATE are not prepared statements for the session: the connection runs
    /// them itself.
    copy: Option<ast::Statement>,
}

impl PreparedStatement {
    fn columns(&self) -> &[OutputColumn] {
        if self.copy.is_some() {
            &[]
        } else {
            &self.prepared.columns
        }
    }
}

/// A bound statement, and its rows once executed.
pub(super) struct Portal {
    statement: Arc<PreparedStatement>,
    params: Vec<Value>,
    formats: Vec<i16>,
    state: PortalState,
}

enum PortalState {
    Ready,
    /// Executed; rows not yet sent (row-limited Execute) and the statement's tag.
    Rows {
        rows: std::vec::IntoIter<Row>,
        tag: String,
    },
    Done,
}

/// The Vellum type a client names by OID in Parse (0 or an unknown OID: infer it).
fn type_for_oid(oid: u32) -> DataType {
    match DataType::from_oid(oid) {
        Some(t) => t,
        None if oid == 114 => DataType::Jsonb, // json parameters are accepted as jsonb
        None => DataType::Unknown,
    }
}

/// Decodes Bind's parameter values against the statement's parameter types.
fn decode_params(types: &[DataType], formats: &[i16], params: Vec<Option<Bytes>>) -> Result<Vec<Value>> {
    if params.len() != types.len() {
        return Err(Error::sql(
            sqlstate::PROTOCOL_VIOLATION,
            format!(
                "bind message supplies {} parameters, but prepared statement requires {}",
                params.len(),
                types.len()
            ),
        ));
    }
    if formats.len() > 1 && formats.len() != params.len() {
        return Err(Error::sql(
            sqlstate::PROTOCOL_VIOLATION,
            format!(
                "bind message has {} parameter formats but {} parameters",
                formats.len(),
                params.len()
            ),
        ));
    }
    let mut values = Vec::with_capacity(params.len());
    for (i, (param, ty)) in params.into_iter().zip(types).enumerate() {
        let format = match formats {
            [] => TEXT,
            [one] => *one,
            many => many.get(i).copied().unwrap_or(TEXT),
        };
        let Some(bytes) = param else {
            values.push(Value::Null);
            continue;
        };
        values.push(match format {
            TEXT => {
                let s = std::str::from_utf8(&bytes).map_err(|_| {
                    Error::sql(
                        sqlstate::CHARACTER_NOT_IN_REPERTOIRE,
                        "invalid byte sequence for encoding \"UTF8\"",
                    )
                })?;
                text::parse(s, ty)?
            }
            BINARY => binary::decode(&bytes, ty)?,
            other => {
                return Err(Error::sql(
                    sqlstate::PROTOCOL_VIOLATION,
                    format!("unsupported format code: {other}"),
                ))
            }
        });
    }
    Ok(values)
}

impl Connection {
    fn extended_error(&mut self, e: &Error) {
        self.out.error(e, Severity::Error);
        self.skip_to_sync = true;
        self.fail_transaction();
    }

    pub(super) async fn parse(&mut self, name: String, sql: String, types: Vec<u32>) -> Result<(), Closed> {
        if !name.is_empty() && self.statements.contains_key(&name) {
            self.extended_error(&Error::sql(
                "42P05",
                format!("prepared statement \"{name}\" already exists"),
            ));
            return Ok(());
        }
        let types: Vec<DataType> = types.into_iter().map(type_for_oid).collect();
        let prepared = self.blocking(move |session| session.prepare(&sql, &types)).await?;
        match prepared {
            Ok(prepared) => {
                let copy = match &prepared.statement {
                    Some(s @ (ast::Statement::Copy { .. } | ast::Statement::Deallocate { .. })) => Some(s.clone()),
                    _ => None,
                };
                self.statements
                    .insert(name, Arc::new(PreparedStatement { prepared, copy }));
                self.out.parse_complete();
            }
            Err(e) => self.extended_error(&e),
        }
        Ok(())
    }

    pub(super) fn bind(
        &mut self,
        portal: String,
        statement: String,
        param_formats: Vec<i16>,
        params: Vec<Option<Bytes>>,
        result_formats: Vec<i16>,
    ) {
        let Some(stmt) = self.statements.get(&statement).cloned() else {
            self.extended_error(&Error::sql(
                sqlstate::INVALID_SQL_STATEMENT_NAME,
                format!("prepared statement \"{statement}\" does not exist"),
            ));
            return;
        };
        if !portal.is_empty() && self.portals.contains_key(&portal) {
            self.extended_error(&Error::sql("42P03", format!("cursor \"{portal}\" already exists")));
            return;
        }
        let bound = decode_params(&stmt.prepared.param_types, &param_formats, params)
            .and_then(|params| Ok((params, wire::result_formats(&result_formats, stmt.columns().len())?)));
        match bound {
            Ok((params, formats)) => {
                self.portals.insert(
                    portal,
                    Portal {
                        statement: stmt,
                        params,
                        formats,
                        state: PortalState::Ready,
                    },
                );
                self.out.bind_complete();
            }
            Err(e) => self.extended_error(&e),
        }
    }

    pub(super) fn describe(&mut self, kind: u8, name: &str) {
        match kind {
            b'S' => {
                let Some(stmt) = self.statements.get(name).cloned() else {
                    self.extended_error(&Error::sql(
                        sqlstate::INVALID_SQL_STATEMENT_NAME,
                        format!("prepared statement \"{name}\" does not exist"),
                    ));
                    return;
                };
                self.out.parameter_description(&stmt.prepared.param_types);
                describe_rows(&mut self.out, stmt.columns(), &vec![TEXT; stmt.columns().len()]);
            }
            b'P' => {
                let Some(portal) = self.portals.get(name) else {
                    self.extended_error(&Error::sql(
                        sqlstate::UNDEFINED_CURSOR,
                        format!("portal \"{name}\" does not exist"),
                    ));
                    return;
                };
                let (stmt, formats) = (portal.statement.clone(), portal.formats.clone());
                describe_rows(&mut self.out, stmt.columns(), &formats);
            }
            other => self.extended_error(&Error::sql(
                sqlstate::PROTOCOL_VIOLATION,
                format!("invalid DESCRIBE message subtype {other}"),
            )),
        }
    }

    pub(super) async fn execute(&mut self, name: String, max_rows: i32) -> Result<(), Closed> {
        let Some(mut portal) = self.portals.remove(&name) else {
            self.extended_error(&Error::sql(
                sqlstate::UNDEFINED_CURSOR,
                format!("portal \"{name}\" does not exist"),
            ));
            return Ok(());
        };
        let first_run = matches!(portal.state, PortalState::Ready);
        if first_run {
            if let Some(copy) = portal.statement.copy.clone() {
                let done = match &copy {
                    ast::Statement::Deallocate { name, .. } => {
                        let failed_block = self.transaction_failed();
                        self.deallocate(name, failed_block)
                    }
                    _ => self.copy(copy).await?,
                };
                match done {
                    Ok(tag) => self.out.command_complete(&tag),
                    Err(e) => self.extended_error(&e),
                }
                portal.state = PortalState::Done;
                self.portals.insert(name, portal);
                return Ok(());
            }
            let stmt = portal.statement.clone();
            let params = std::mem::take(&mut portal.params);
            let formats = std::mem::take(&mut portal.formats);
            let unlimited = max_rows <= 0;
            let quick = self.is_quick(&stmt.prepared);
            // The results are encoded straight into the connection's output buffer, which
            // goes to the session's thread and comes back with them.
            let mut out = std::mem::take(&mut self.out);
            let (out, formats, outcome) = self
                .run_session(quick, move |session| {
                    let result = session.execute_prepared(&stmt.prepared, &params);
                    for notice in session.take_notices() {
                        out.notice(&notice);
                    }
                    let outcome = match result {
                        Ok(None) => {
                            out.empty_query();
                            Ok(None)
                        }
                        Ok(Some(StatementResult::Query { rows, tag, columns })) if unlimited => {
                            let sent = rows
                                .iter()
                                .try_for_each(|row| out.data_row(row, &columns, &formats))
                                .map(|()| Some(PortalState::Done));
                            if sent.is_ok() {
                                out.command_complete(&tag);
                            }
                            sent
                        }
                        Ok(Some(StatementResult::Query { rows, tag, .. })) => Ok(Some(PortalState::Rows {
                            rows: rows.into_iter(),
                            tag,
                        })),
                        Ok(Some(StatementResult::Command { tag })) => {
                            out.command_complete(&tag);
                            Ok(None)
                        }
                        Err(e) => Err(e),
                    };
                    (out, formats, outcome)
                })
                .await?;
            self.out = out;
            portal.formats = formats;
            self.report_parameter_changes();
            match outcome {
                Ok(Some(state)) => portal.state = state,
                Ok(None) => portal.state = PortalState::Done,
                Err(e) => {
                    self.extended_error(&e);
                    return Ok(());
                }
            }
        }
        let statement = portal.statement.clone();
        let columns = statement.columns();
        match &mut portal.state {
            PortalState::Rows { rows, tag } => {
                let limit = if max_rows <= 0 { usize::MAX } else { max_rows as usize };
                let mut sent = 0usize;
                let mut failure = None;
                for row in rows.by_ref().take(limit) {
                    if let Err(e) = self.out.data_row(&row, columns, &portal.formats) {
                        failure = Some(e);
                        break;
                    }
                    sent += 1;
                }
                if let Some(e) = failure {
                    self.extended_error(&e);
                } else if rows.len() > 0 {
                    self.out.portal_suspended();
                } else {
                    let tag = if tag.starts_with("SELECT ") {
                        format!("SELECT {sent}")
                    } else {
                        tag.clone()
                    };
                    self.out.command_complete(&tag);
                    portal.state = PortalState::Done;
                }
            }
            // Executing a finished portal again returns nothing more, as PostgreSQL does.
            PortalState::Done if !first_run && !columns.is_empty() => self.out.command_complete("SELECT 0"),
            PortalState::Ready | PortalState::Done => {}
        }
        self.portals.insert(name, portal);
        Ok(())
    }

    /// SQL `DEALLOCATE [PREPARE] name | ALL`: statements prepared with Parse share one namespace
    /// with SQL-level ones, as in PostgreSQL. psycopg sends `DEALLOCATE ALL` after a rollback
    /// that may have lost its prepared statements.
    /// Refused in a failed transaction block, as every command but ROLLBACK is.
    pub(super) fn deallocate(&mut self, name: &ast::Ident, failed_block: bool) -> Result<String> {
        if failed_block {
            return Err(Error::sql(
                sqlstate::IN_FAILED_SQL_TRANSACTION,
                "current transaction is aborted, commands ignored until end of transaction block",
            ));
        }
        if name.quote_style.is_none() && name.value.eq_ignore_ascii_case("all") {
            self.statements.clear();
            return Ok("DEALLOCATE ALL".into());
        }
        let name = crate::sql::ident(name);
        match self.statements.remove(&name) {
            Some(_) => Ok("DEALLOCATE".into()),
            None => Err(Error::sql(
                sqlstate::INVALID_SQL_STATEMENT_NAME,
                format!("prepared statement \"{name}\" does not exist"),
            )),
        }
    }

    pub(super) fn close(&mut self, kind: u8, name: &str) {
        match kind {
            b'S' => {
                self.statements.remove(name);
            }
            b'P' => {
                self.portals.remove(name);
            }
            other => {
                self.extended_error(&Error::sql(
                    sqlstate::PROTOCOL_VIOLATION,
                    format!("invalid CLOSE message subtype {other}"),
                ));
                return;
            }
        }
        self.out.close_complete();
    }

    pub(super) async fn sync(&mut self) -> Result<(), Closed> {
        self.skip_to_sync = false;
        // Portals live until their transaction ends.
        if self.transaction_idle() {
            self.portals.clear();
        }
        self.ready();
        self.flush().await
    }
}

fn describe_rows(out: &mut Out, columns: &[OutputColumn], formats: &[i16]) {
    if columns.is_empty() {
        out.no_data();
    } else {
        out.row_description(columns, formats);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_map_to_types() {
        assert_eq!(type_for_oid(23), DataType::Int4);
        assert_eq!(type_for_oid(1700), DataType::Numeric(None));
        assert_eq!(type_for_oid(1007), DataType::Array(Box::new(DataType::Int4)));
        assert_eq!(type_for_oid(0), DataType::Unknown);
    }

    #[test]
    fn parameters_decode_in_both_formats() {
        let types = [DataType::Int4, DataType::Text, DataType::Int8];
        let params = vec![
            Some(Bytes::from_static(b"42")),
            None,
            Some(Bytes::copy_from_slice(&7i64.to_be_bytes())),
        ];
        let values = decode_params(&types, &[TEXT, TEXT, BINARY], params).unwrap();
        assert_eq!(values, vec![Value::Int4(42), Value::Null, Value::Int8(7)]);
        let e = decode_params(&types, &[], vec![None]).unwrap_err();
        assert_eq!(e.sqlstate(), "08P01");
    }
}
