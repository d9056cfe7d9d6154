//! Runs one statement inside an open transaction: dispatches to the binder and executor, to DDL,
//! or to session commands (SET/SHOW/RESET/EXPLAIN).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use chrono::Utc;

use crate::catalog::lineage::{self, LineageEdge};
use crate::catalog::{Access, Privileges};
use crate::database::Database;
use crate::error::{sqlstate, Error, Notice, Notices, Result};
use crate::exec::{self, ddl, ExecContext, ExecOutput};
use crate::plan::binder::Binder;
use crate::plan::{explain, BoundStatement, OutputColumn};
use crate::sql::{ast, ident};
use crate::types::functions::FunctionContext;
use crate::types::{DataType, Value};

use super::{audit, OpenTxn, Prepared, Settings, StatementResult};

pub(super) struct StatementRunner<'a> {
    pub(super) db: &'a Database,
    pub(super) open: &'a mut OpenTxn,
    pub(super) settings: &'a mut Settings,
    pub(super) cancel: &'a AtomicBool,
    pub(super) notices: &'a mut Notices,
    /// The ledger changes of the last bound statement executed (for its audit record).
    pub(super) effects: exec::LedgerEffects,
}

impl StatementRunner<'_> {
    pub(super) fn run(&mut self, statement: &ast::Statement) -> Result<StatementResult> {
        use ast::Statement as S;
        if let Some((name, value, local)) = match statement {
            S::Query(query) => set_config_call(query),
            _ => None,
        } {
            self.change_settings(local, |s, _| s.set(&name, &value))?;
            let value = self.settings.get(&name)?;
            return Ok(text_result("set_config", vec![value], "SELECT 1"));
        }
        match statement {
            S::Query(_) | S::Insert(_) | S::Update(_) | S::Delete(_) => {
                let _reading = self.db.store().read_guard();
                let catalog = self.open.catalog.clone();
                let mut binder = Binder::new(&catalog, &[]).with_settings(&*self.settings);
                let bound = binder.bind_statement(statement)?;
                catalog.check_accesses(self.settings.identity.current(), binder.accesses())?;
                // Only an INSERT records lineage from what it read.
                let accesses = matches!(bound, BoundStatement::Insert(_)).then(|| binder.accesses().to_vec());
                let result = self.execute_bound(&bound, &[])?;
                if let Some(accesses) = accesses {
                    self.insert_lineage(&bound, &accesses)?;
                }
                let effects = std::mem::take(&mut self.effects);
                self.audit_bound(&bound, &effects, || audit::statement_hash(statement))?;
                Ok(result)
            }
            S::Explain { statement, analyze, .. } => self.explain(statement, *analyze),
            S::Vacuum(v) => self.maintenance(v.table_name.as_ref(), "VACUUM"),
            // Named prepared statements live in a server connection, which runs DEALLOCATE
            // itself; an embedded session has none.
            S::Deallocate { name, .. } if name.quote_style.is_none() && name.value.eq_ignore_ascii_case("all") => {
                Ok(StatementResult::Command {
                    tag: "DEALLOCATE ALL".into(),
                })
            }
            S::Deallocate { name, .. } => Err(Error::sql(
                crate::error::sqlstate::INVALID_SQL_STATEMENT_NAME,
                format!("prepared statement \"{}\" does not exist", ident(name)),
            )),
            S::Analyze(a) => self.maintenance(a.table_name.as_ref(), "ANALYZE"),
            S::Set(set) => self.set(set),
            S::ShowVariable { variable } => self.show(variable),
            S::Reset(reset) => {
                self.change_settings(false, |settings, catalog| {
                    match &reset.reset {
                        ast::Reset::ALL => settings.reset_all(),
                        ast::Reset::ConfigurationParameter(name) if name.to_string().eq_ignore_ascii_case("role") => {
                            settings.identity.role = None;
                        }
                        ast::Reset::ConfigurationParameter(name) => settings.reset(&name.to_string())?,
                        ast::Reset::SessionAuthorization => {
                            settings.identity.set_session_authorization(catalog, None)?
                        }
                    }
                    Ok(())
                })?;
                Ok(StatementResult::Command { tag: "RESET".into() })
            }
            S::CreateTable(_)
            | S::CreateIndex(_)
            | S::CreateView(_)
            | S::Drop { .. }
            | S::AlterTable(_)
            | S::Truncate(_)
            | S::CreateRole(_)
            | S::AlterRole { .. }
            | S::Grant(_)
            | S::Revoke(_) => self.ddl(statement),
            S::CreateSecret { .. } | S::DropSecret { .. } if crate::sql::signer_statement(statement).is_some() => {
                self.ddl(statement)
            }
            other => Err(Error::unsupported(format!("statement \"{}\"", statement_name(other)))),
        }
    }

    /// Runs a prepared (bindable) statement, reusing its plan while the schema is unchanged.
    pub(super) fn run_prepared(&mut self, prepared: &Prepared, params: &[Value]) -> Result<StatementResult> {
        let _reading = self.db.store().read_guard();
        let catalog = self.open.catalog.clone();
        // A transaction's own uncommitted DDL must not leak into the shared plan cache.
        let (plan, accesses) = prepared.plan(&catalog, self.open.ddl, &*self.settings)?;
        // Checked at every execution: a REVOKE or SET ROLE since the last one counts.
        catalog.check_accesses(self.settings.identity.current(), &accesses)?;
        let result = self.execute_bound(&plan, params)?;
        self.insert_lineage(&plan, &accesses)?;
        let effects = std::mem::take(&mut self.effects);
        self.audit_bound(&plan, &effects, || prepared.statement_hash())?;
        Ok(result)
    }

    /// Lineage of an `INSERT` that read other relations (`INSERT … SELECT`): an edge from each
    /// relation the statement itself names to its target.
    fn insert_lineage(&mut self, bound: &BoundStatement, accesses: &[Access]) -> Result<()> {
        let BoundStatement::Insert(plan) = bound else {
            return Ok(());
        };
        let sources = read_relations(accesses, Some(plan.table.id));
        self.record_lineage(&sources, &plan.table.name, "INSERT SELECT")
    }

    /// Records edges from `sources` to `target` in this transaction (`catalog::lineage`).
    pub(super) fn record_lineage(&mut self, sources: &[String], target: &str, operation: &str) -> Result<()> {
        if sources.is_empty() {
            return Ok(());
        }
        let tx_id = self.open.tx_id()?;
        let timestamp = Utc::now().timestamp_micros();
        for source in sources {
            let edge = LineageEdge {
                source: source.clone(),
                target: target.to_string(),
                operation: operation.to_string(),
                tx_id,
                timestamp,
            };
            lineage::record(&mut self.open.txn, &edge)?;
        }
        Ok(())
    }

    /// Executes a bound statement with parameter values.
    pub(super) fn execute_bound(&mut self, bound: &BoundStatement, params: &[Value]) -> Result<StatementResult> {
        let catalog = self.open.catalog.clone();
        let mut ctx = ExecContext {
            txn: &mut self.open.txn,
            catalog: &catalog,
            params,
            functions: FunctionContext {
                transaction_start: self.open.started,
                statement_start: Utc::now(),
                user: Some(self.settings.identity.current()),
            },
            cancel: Some(self.cancel),
            identity: self.db.inner.identity.as_deref(),
            chain_cache: Some(&self.db.inner.chain_cache),
            effects: Default::default(),
        };
        let output = exec::execute(bound, &mut ctx)?;
        self.effects = ctx.effects;
        Ok(match (bound, output) {
            (BoundStatement::Query(q), ExecOutput::Rows(rows)) => {
                let tag = format!("SELECT {}", rows.len());
                StatementResult::Query {
                    columns: q.columns.clone(),
                    rows,
                    tag,
                }
            }
            (stmt, ExecOutput::Affected { count, returning }) => {
                let (tag, columns) = match stmt {
                    BoundStatement::Insert(p) => {
                        (format!("INSERT 0 {count}"), p.returning.as_ref().map(|r| r.1.clone()))
                    }
                    BoundStatement::Update(p) => (format!("UPDATE {count}"), p.returning.as_ref().map(|r| r.1.clone())),
                    BoundStatement::Delete(p) => (format!("DELETE {count}"), p.returning.as_ref().map(|r| r.1.clone())),
                    BoundStatement::Query(_) => return Err(Error::bug("query produced an affected-row count")),
                };
                match (columns, returning) {
                    (Some(columns), Some(rows)) => StatementResult::Query { columns, rows, tag },
                    _ => StatementResult::Command { tag },
                }
            }
            (_, ExecOutput::Rows(_)) => return Err(Error::bug("DML produced a row set without a count")),
        })
    }

    fn ddl(&mut self, statement: &ast::Statement) -> Result<StatementResult> {
        let _reading = self.db.store().read_guard();
        let mut catalog = (*self.open.catalog).clone();
        let functions = FunctionContext {
            transaction_start: self.open.started,
            statement_start: Utc::now(),
            user: Some(self.settings.identity.current()),
        };
        let tag = ddl::execute(
            statement,
            &mut ddl::DdlContext {
                txn: &mut self.open.txn,
                catalog: &mut catalog,
                store: self.db.store(),
                signers: &self.db.inner.signers,
                functions,
                cancel: Some(self.cancel),
                notices: self.notices,
                user: self.settings.identity.current(),
                session_user: self.settings.identity.session_user,
            },
        )?;
        self.open.catalog = Arc::new(catalog);
        self.open.ddl = true;
        self.ddl_lineage(statement)?;
        let operation = match statement {
            ast::Statement::CreateTable(create) if create.query.is_some() => "CREATE TABLE AS".to_string(),
            _ => tag.clone(),
        };
        self.audit(audit::AuditEntry {
            operation,
            object: audit::ddl_object(statement),
            statement_sha256: audit::statement_hash(statement),
        })?;
        Ok(StatementResult::Command { tag })
    }

    /// Lineage of `CREATE TABLE … AS` and `CREATE VIEW`: an edge from each relation their query
    /// names to the new relation. The query is bound again against the catalog that now holds
    /// the new relation, which only yields the relations it reads.
    fn ddl_lineage(&mut self, statement: &ast::Statement) -> Result<()> {
        let (query, name, operation) = match statement {
            ast::Statement::CreateTable(create) => match &create.query {
                Some(query) => (query.as_ref(), &create.name, "CREATE TABLE AS"),
                None => return Ok(()),
            },
            ast::Statement::CreateView(view) => (view.query.as_ref(), &view.name, "CREATE VIEW"),
            _ => return Ok(()),
        };
        let target = crate::sql::object_name(name)?;
        let catalog = self.open.catalog.clone();
        let mut binder = Binder::new(&catalog, &[]).with_settings(&*self.settings);
        binder.bind_statement(&ast::Statement::Query(Box::new(query.clone())))?;
        let target_id = catalog
            .table(&target)
            .map(|t| t.id)
            .or_else(|| catalog.view(&target).map(|v| v.id));
        let sources = read_relations(binder.accesses(), target_id);
        drop(binder);
        self.record_lineage(&sources, &target, operation)
    }

    /// VACUUM and ANALYZE check the relation they name and do nothing else: Vellum keeps no
    /// dead row versions to reclaim and no planner statistics to gather. Unlike PostgreSQL,
    /// VACUUM is accepted inside a transaction block (`VACUUM a, b` arrives as two statements).
    fn maintenance(&mut self, table: Option<&ast::ObjectName>, tag: &str) -> Result<StatementResult> {
        if let Some(name) = table {
            let name = crate::sql::object_name(name)?;
            let catalog = &self.open.catalog;
            if catalog.table(&name).is_none() {
                if catalog.view(&name).is_none() {
                    return Err(Error::sql(
                        crate::error::sqlstate::UNDEFINED_TABLE,
                        format!("relation \"{name}\" does not exist"),
                    ));
                }
                self.notices.push(Notice::warning(
                    sqlstate::WARNING,
                    format!(
                        "skipping \"{name}\" --- cannot {} non-tables or special system tables",
                        tag.to_lowercase()
                    ),
                ));
            }
        }
        Ok(StatementResult::Command { tag: tag.into() })
    }

    fn explain(&mut self, statement: &ast::Statement, analyze: bool) -> Result<StatementResult> {
        let _reading = self.db.store().read_guard();
        let catalog = self.open.catalog.clone();
        let mut binder = Binder::new(&catalog, &[]).with_settings(&*self.settings);
        let bound = binder.bind_statement(statement)?;
        catalog.check_accesses(self.settings.identity.current(), binder.accesses())?;
        let mut lines = explain::explain(&bound);
        if analyze {
            drop(_reading);
            let started = std::time::Instant::now();
            let result = {
                let _reading = self.db.store().read_guard();
                let result = self.execute_bound(&bound, &[])?;
                // EXPLAIN ANALYZE runs the statement: its changes are audited as its own.
                let effects = std::mem::take(&mut self.effects);
                self.audit_bound(&bound, &effects, || audit::statement_hash(statement))?;
                result
            };
            let rows = match &result {
                StatementResult::Query { rows, .. } => rows.len().to_string(),
                StatementResult::Command { tag } => tag.rsplit(' ').next().unwrap_or("0").to_string(),
            };
            lines.push(format!(
                "Execution: {rows} rows in {:.3} ms",
                started.elapsed().as_secs_f64() * 1000.0
            ));
        }
        Ok(text_result("QUERY PLAN", lines, "EXPLAIN"))
    }

    fn set(&mut self, set: &ast::Set) -> Result<StatementResult> {
        let local = match set {
            ast::Set::SingleAssignment { scope, .. } => matches!(scope, Some(ast::ContextModifier::Local)),
            ast::Set::SetRole {
                context_modifier: Some(ast::ContextModifier::Local),
                ..
            } => return Err(Error::unsupported("SET LOCAL ROLE")),
            ast::Set::SetSessionAuthorization(param) if param.scope == ast::ContextModifier::Local => {
                return Err(Error::unsupported("SET LOCAL SESSION AUTHORIZATION"))
            }
            _ => false,
        };
        self.change_settings(local, |settings, catalog| apply_set(settings, set, catalog))?;
        Ok(StatementResult::Command { tag: "SET".into() })
    }

    /// Applies a change to the session's settings as PostgreSQL scopes it: inside a transaction
    /// block a plain SET lasts past COMMIT and is undone by ROLLBACK (`OpenTxn::settings_before`),
    /// a LOCAL one lasts until the block ends either way (`OpenTxn::settings_after`). Outside a
    /// block, LOCAL has no effect (WARNING 25P01, as PostgreSQL).
    fn change_settings(
        &mut self,
        local: bool,
        change: impl Fn(&mut Settings, &crate::catalog::Catalog) -> Result<()>,
    ) -> Result<()> {
        let catalog = self.open.catalog.clone();
        if local {
            if self.open.settings_before.is_none() {
                self.notices.push(Notice::warning(
                    sqlstate::NO_ACTIVE_SQL_TRANSACTION,
                    "SET LOCAL can only be used in transaction blocks",
                ));
                return Ok(());
            }
            if self.open.settings_after.is_none() {
                self.open.settings_after = Some(self.settings.clone());
            }
            return change(self.settings, &catalog);
        }
        change(self.settings, &catalog)?;
        if let Some(after) = self.open.settings_after.as_mut() {
            change(after, &catalog)?;
        }
        Ok(())
    }

    fn show(&mut self, variable: &[ast::Ident]) -> Result<StatementResult> {
        let name = variable
            .iter()
            .map(|i| i.value.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        let name = match name.as_str() {
            "transaction isolation level" => "transaction_isolation".to_string(),
            "time zone" => "timezone".to_string(),
            _ => name,
        };
        if name == "all" {
            let columns = ["name", "setting", "description"]
                .iter()
                .map(|n| OutputColumn {
                    name: n.to_string(),
                    data_type: DataType::Text,
                    source: None,
                })
                .collect();
            let rows: Vec<_> = self
                .settings
                .all()
                .into_iter()
                .map(|(n, v, d)| vec![Value::Text(n), Value::Text(v), Value::Text(d)])
                .collect();
            return Ok(StatementResult::Query {
                columns,
                rows,
                tag: "SHOW".into(),
            });
        }
        let catalog = self.open.catalog.clone();
        let identity = self.settings.identity;
        let value = match name.as_str() {
            "session_authorization" => catalog.role_name(identity.session_user),
            "role" => identity
                .role
                .map_or_else(|| "none".to_string(), |r| catalog.role_name(r)),
            "is_superuser" => if catalog.is_superuser(identity.current()) {
                "on"
            } else {
                "off"
            }
            .to_string(),
            _ => self.settings.get(&name)?,
        };
        let column = match name.as_str() {
            "datestyle" => "DateStyle",
            "timezone" => "TimeZone",
            "intervalstyle" => "IntervalStyle",
            other => other,
        };
        Ok(text_result(column, vec![value], "SHOW"))
    }
}

/// The text of a SET value as PostgreSQL takes it: quotes removed, identifiers as written.
/// The relations a statement itself reads (not those read through a view on its owner's
/// behalf), other than `target`, in order and once each.
fn read_relations(accesses: &[Access], target: Option<u32>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in accesses {
        if a.checked_as.is_none()
            && a.privileges.contains(Privileges::SELECT)
            && Some(a.relation) != target
            && !out.contains(&a.name)
        {
            out.push(a.name.clone());
        }
    }
    out
}

/// One SET statement's change to `settings` (LOCAL scoping is the caller's).
fn apply_set(settings: &mut Settings, set: &ast::Set, catalog: &crate::catalog::Catalog) -> Result<()> {
    match set {
        ast::Set::SingleAssignment { variable, values, .. } => {
            let name = variable.to_string();
            let value = values.iter().map(setting_value).collect::<Vec<_>>().join(", ");
            if value.eq_ignore_ascii_case("default") {
                settings.reset(&name)
            } else {
                settings.set(&name, &value)
            }
        }
        ast::Set::SetTimeZone { value, .. } => settings.set("timezone", &setting_value(value)),
        ast::Set::SetNames { charset_name, .. } => settings.set("client_encoding", &ident(charset_name)),
        ast::Set::SetNamesDefault {} => settings.reset("client_encoding"),
        ast::Set::SetTransaction { .. } => Ok(()),
        ast::Set::SetRole { role_name, .. } => {
            let name = role_name.as_ref().map(ident);
            settings.identity.set_role(catalog, name.as_deref())
        }
        ast::Set::SetSessionAuthorization(param) => {
            let name = match &param.kind {
                ast::SetSessionAuthorizationParamKind::Default => None,
                ast::SetSessionAuthorizationParamKind::User(name) => Some(ident(name)),
            };
            settings.identity.set_session_authorization(catalog, name.as_deref())
        }
        other => Err(Error::unsupported(format!("SET form \"{other}\""))),
    }
}

fn setting_value(expr: &ast::Expr) -> String {
    match expr {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        ast::Expr::Identifier(id) => id.value.clone(),
        other => other.to_string(),
    }
}

/// `SELECT [pg_catalog.]set_config('name', 'value', is_local)` with constant arguments, the form
/// drivers and pg_dump scripts send, as (name, value, is_local): it runs as SET, or as SET LOCAL
/// when `is_local`. set_config inside other expressions
/// is refused by the binder (0A000): a function with a side effect on the session would need
/// the planner to order its evaluation.
pub(super) fn set_config_call(query: &ast::Query) -> Option<(String, String, bool)> {
    let ast::SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    if query.with.is_some() || !select.from.is_empty() || select.selection.is_some() || select.projection.len() != 1 {
        return None;
    }
    let expr = match &select.projection[0] {
        ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } => e,
        _ => return None,
    };
    let ast::Expr::Function(function) = expr else {
        return None;
    };
    let name = function.name.0.last()?.as_ident()?.value.to_lowercase();
    if name != "set_config" {
        return None;
    }
    let ast::FunctionArguments::List(list) = &function.args else {
        return None;
    };
    let mut texts = list.args.iter().map(|arg| match arg {
        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ast::Expr::Value(v))) => Some(&v.value),
        _ => None,
    });
    let (Some(Some(name)), Some(Some(value)), Some(Some(ast::Value::Boolean(local))), None) =
        (texts.next(), texts.next(), texts.next(), texts.next())
    else {
        return None;
    };
    match (name, value) {
        (ast::Value::SingleQuotedString(name), ast::Value::SingleQuotedString(value)) => {
            Some((name.clone(), value.clone(), *local))
        }
        _ => None,
    }
}

/// A one-text-column result.
fn text_result(column: &str, lines: Vec<String>, tag: &str) -> StatementResult {
    StatementResult::Query {
        columns: vec![OutputColumn {
            name: column.to_string(),
            data_type: DataType::Text,
            source: None,
        }],
        rows: lines.into_iter().map(|l| vec![Value::Text(l)]).collect(),
        tag: tag.to_string(),
    }
}

/// The statement's leading keywords, for "not supported" messages.
fn statement_name(statement: &ast::Statement) -> String {
    let text = statement.to_string();
    text.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}
