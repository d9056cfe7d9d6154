//! The COPY sub-protocol: `COPY ... FROM STDIN` (CopyInResponse, then CopyData until CopyDone or
//! CopyFail) and `COPY ... TO STDOUT` (CopyOutResponse, CopyData per row, CopyDone). Files and
//! programs on the server are not reachable: a server that reads its own files is a privilege
//! Vellum does not grant.

use std::sync::Arc;

use crate::error::{sqlstate, Error, Result};
use crate::session::{CopyTarget, StatementResult};
use crate::sql::{self, ast};
use crate::types::text;

use super::connection::{Closed, Connection};
use super::copy::{CopyFormat, CopyReader};
use super::frontend::{self, Message};
use super::listener::stopping;
use super::wire::Out;

/// Rows handed to the engine at a time during COPY FROM STDIN.
const COPY_BATCH: usize = 10_000;

impl Connection {
    /// Runs one COPY statement. The outer `Err` ends the connection; the inner one is the
    /// statement's error, for the caller to report by its protocol's rules.
    pub(super) async fn copy(&mut self, statement: ast::Statement) -> std::result::Result<Result<String>, Closed> {
        let ast::Statement::Copy {
            source,
            to,
            target,
            options,
            legacy_options,
            ..
        } = statement
        else {
            return Ok(Err(Error::bug("COPY expected")));
        };
        let format = match CopyFormat::from_options(&options, &legacy_options) {
            Ok(f) => f,
            Err(e) => return Ok(Err(e)),
        };
        match (to, target, source) {
            (false, ast::CopyTarget::Stdin, ast::CopySource::Table { table_name, columns }) => {
                self.copy_in(format, table_name, columns).await
            }
            (true, ast::CopyTarget::Stdout, source) => self.copy_out(format, source).await,
            (false, _, _) => Ok(Err(Error::sql(
                sqlstate::FEATURE_NOT_SUPPORTED,
                "COPY FROM reads only from STDIN",
            )
            .with_hint("Use psql's \\copy to load a file on the client."))),
            (true, _, _) => Ok(Err(Error::sql(
                sqlstate::FEATURE_NOT_SUPPORTED,
                "COPY TO writes only to STDOUT",
            )
            .with_hint("Use psql's \\copy to write a file on the client."))),
        }
    }

    async fn copy_in(
        &mut self,
        format: CopyFormat,
        table: ast::ObjectName,
        columns: Vec<ast::Ident>,
    ) -> std::result::Result<Result<String>, Closed> {
        let target = match self.blocking(move |s| s.copy_target(&table, &columns)).await? {
            Ok(t) => Arc::new(t),
            Err(e) => return Ok(Err(e)),
        };
        // Rows go to the engine in batches, so memory stays bounded however long the stream;
        // outside a transaction block the batches share one implicit transaction, keeping the
        // COPY all-or-nothing.
        let implicit = self.transaction_idle();
        if implicit {
            if let Err(e) = self.blocking(|s| s.execute("BEGIN")).await? {
                return Ok(Err(e));
            }
        }
        self.out.copy_in_response(target.columns.len());
        self.flush().await?;
        let mut reader = CopyReader::new(format, target.columns.clone());
        let mut failure: Option<Error> = None;
        let mut count = 0u64;
        loop {
            let message = tokio::select! {
                m = frontend::read_message(&mut self.reader) => match m {
                    Ok(m) => m,
                    Err(_) => return Err(Closed),
                },
                _ = stopping(self.shared.shutdown.clone()) => return Err(Closed),
            };
            match message {
                Message::CopyData(data) => {
                    if failure.is_some() {
                        continue;
                    }
                    if let Err(e) = reader.feed(&data) {
                        failure = Some(e);
                    } else if reader.rows.len() >= COPY_BATCH {
                        let rows = std::mem::take(&mut reader.rows);
                        match self.insert_batch(&target, Ok(rows)).await? {
                            Ok(n) => count += n,
                            Err(e) => failure = Some(e),
                        }
                    }
                }
                Message::CopyDone => break,
                Message::CopyFail(reason) => {
                    failure = Some(Error::sql(
                        sqlstate::QUERY_CANCELED,
                        format!("COPY from stdin failed: {reason}"),
                    ));
                    break;
                }
                // PostgreSQL ignores these during COPY FROM STDIN (drivers send Sync early).
                Message::Flush | Message::Sync => {}
                Message::Terminate => return Err(Closed),
                _ => {
                    failure = Some(Error::sql(
                        sqlstate::PROTOCOL_VIOLATION,
                        "unexpected message type during COPY from stdin",
                    ));
                    break;
                }
            }
        }
        let result = match failure {
            Some(e) => self.insert_batch(&target, Err(e)).await?,
            None => self.insert_batch(&target, reader.finish()).await?,
        }
        .map(|n| count + n);
        let result = match result {
            Ok(n) => {
                let target = target.clone();
                self.blocking(move |s| s.copy_finish(&target)).await?.map(|()| n)
            }
            Err(e) => Err(e),
        };
        if implicit {
            let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
            if let Err(e) = self.blocking(move |s| s.execute(end)).await? {
                return Ok(Err(e));
            }
        }
        Ok(result.map(|n| format!("COPY {n}")))
    }

    /// Inserts one batch of COPY rows; an error (the batch's own or one from reading the
    /// stream) aborts the transaction.
    async fn insert_batch(
        &mut self,
        target: &Arc<CopyTarget>,
        rows: Result<Vec<Vec<Option<String>>>>,
    ) -> std::result::Result<Result<u64>, Closed> {
        let target = target.clone();
        self.blocking(move |session| match rows {
            Ok(rows) if rows.is_empty() => Ok(0),
            Ok(rows) => session.copy_in(&target, rows),
            Err(e) => {
                session.fail_transaction();
                Err(e)
            }
        })
        .await
    }

    async fn copy_out(
        &mut self,
        format: CopyFormat,
        source: ast::CopySource,
    ) -> std::result::Result<Result<String>, Closed> {
        let query = match source {
            ast::CopySource::Query(q) => ast::Statement::Query(q),
            ast::CopySource::Table { table_name, columns } => {
                let list = if columns.is_empty() {
                    "*".to_string()
                } else {
                    columns.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                };
                match sql::parse(&format!("SELECT {list} FROM {table_name}")).map(|mut s| s.pop()) {
                    Ok(Some(s)) => s,
                    Ok(None) => return Ok(Err(Error::bug("COPY source query vanished"))),
                    Err(e) => return Ok(Err(e)),
                }
            }
        };
        let produced = self
            .blocking(move |session| -> Result<(bytes::Bytes, usize)> {
                let result = session.execute_statement(&query)?;
                let StatementResult::Query { columns, rows, .. } = result else {
                    return Err(Error::bug("COPY source returned no rows"));
                };
                let mut out = Out::default();
                for notice in session.take_notices() {
                    out.notice(&notice);
                }
                out.copy_out_response(columns.len());
                if format.header {
                    let names: Vec<Option<String>> = columns.iter().map(|c| Some(c.name.clone())).collect();
                    let mut line = Vec::new();
                    format.write_row(&names, &mut line);
                    out.copy_data(line);
                }
                for row in &rows {
                    let fields: Vec<Option<String>> = row.iter().map(text::format).collect();
                    let mut line = Vec::new();
                    format.write_row(&fields, &mut line);
                    out.copy_data(line);
                }
                out.copy_done();
                Ok((out.take(), rows.len()))
            })
            .await?;
        Ok(produced.map(|(bytes, n)| {
            self.out.buf.extend_from_slice(&bytes);
            format!("COPY {n}")
        }))
    }
}
