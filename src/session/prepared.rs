//! Prepared statements: parsed once, described once (parameter and result types), and bound
//! again only when the schema they were bound against changes.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::catalog::{Access, Catalog};
use crate::error::{Error, Result};
use crate::plan::binder::{Binder, SettingsView};
use crate::plan::{BoundStatement, OutputColumn};
use crate::sql::ast;
use crate::types::DataType;

/// A bound plan with the privileges it needs (checked at each execution).
type CachedPlan = (u64, Arc<BoundStatement>, Arc<Vec<Access>>);

/// A statement prepared by `Session::prepare`.
pub struct Prepared {
    /// `None` for an empty query string.
    pub(crate) statement: Option<ast::Statement>,
    /// Parameter types, inferred where the client left them unspecified.
    pub param_types: Vec<DataType>,
    /// Result columns; empty for statements that return no rows.
    pub columns: Vec<OutputColumn>,
    /// The bound plan, the privileges it needs and the catalog version it was bound against.
    plan: Mutex<Option<CachedPlan>>,
    /// The statement's hash in audit records, computed on first use.
    hash: std::sync::OnceLock<[u8; 32]>,
}

impl Prepared {
    /// `cacheable` is false when `catalog` holds uncommitted DDL: a plan bound against it must
    /// not outlive the transaction.
    pub(crate) fn new(
        statement: Option<ast::Statement>,
        catalog: &Catalog,
        param_types: &[DataType],
        cacheable: bool,
        settings: &dyn SettingsView,
    ) -> Result<Prepared> {
        let Some(stmt) = &statement else {
            return Ok(Prepared {
                statement,
                param_types: vec![],
                columns: vec![],
                plan: Mutex::new(None),
                hash: std::sync::OnceLock::new(),
            });
        };
        if let Some(index) = max_param(stmt) {
            if param_types.len() < index {
                let mut types = param_types.to_vec();
                types.resize(index, DataType::Unknown);
                return Prepared::new(statement, catalog, &types, cacheable, settings);
            }
        }
        let (param_types, columns, plan) = if is_bindable(stmt) {
            let mut binder = Binder::new(catalog, param_types).with_settings(settings);
            let bound = binder.bind_statement(stmt)?;
            let columns = result_columns(&bound);
            // A plan holding a setting's value as a constant is rebound at every execution.
            let cacheable = cacheable && !binder.uses_settings();
            (
                binder.param_types(),
                columns,
                cacheable.then(|| (catalog.version, Arc::new(bound), Arc::new(binder.accesses().to_vec()))),
            )
        } else {
            if !param_types.is_empty() && max_param(stmt).is_some() {
                return Err(Error::unsupported("parameters in utility statements"));
            }
            (param_types.to_vec(), utility_columns(stmt), None)
        };
        Ok(Prepared {
            statement,
            param_types,
            columns,
            plan: Mutex::new(plan),
            hash: std::sync::OnceLock::new(),
        })
    }

    /// The statement's hash in audit records (`session::audit::statement_hash`).
    pub(crate) fn statement_hash(&self) -> [u8; 32] {
        *self.hash.get_or_init(|| match &self.statement {
            Some(statement) => super::audit::statement_hash(statement),
            None => crate::crypto::sha256(b""),
        })
    }

    /// The plan for `catalog`, rebinding if the schema changed since it was bound.
    /// `settings` are the session's current ones, for statements that read them.
    pub(crate) fn plan(
        &self,
        catalog: &Catalog,
        fresh: bool,
        settings: &dyn SettingsView,
    ) -> Result<(Arc<BoundStatement>, Arc<Vec<Access>>)> {
        let stmt = self
            .statement
            .as_ref()
            .ok_or_else(|| Error::bug("planning an empty statement"))?;
        let mut cached = self.plan.lock();
        if let Some((version, plan, accesses)) = cached.as_ref() {
            if *version == catalog.version && !fresh {
                return Ok((plan.clone(), accesses.clone()));
            }
        }
        let mut binder = Binder::new(catalog, &self.param_types).with_settings(settings);
        let bound = Arc::new(binder.bind_statement(stmt)?);
        let accesses = Arc::new(binder.accesses().to_vec());
        if !fresh && !binder.uses_settings() {
            *cached = Some((catalog.version, bound.clone(), accesses.clone()));
        }
        Ok((bound, accesses))
    }
}

impl Prepared {
    /// Whether executing this statement against catalog version `version` reuses a cached
    /// plan that is a point read (`BoundStatement::is_point_read`).
    pub(crate) fn is_point_read(&self, version: u64) -> bool {
        self.plan
            .lock()
            .as_ref()
            .is_some_and(|(cached, plan, _)| *cached == version && plan.is_point_read())
    }
}

/// Statements the binder plans (the rest are DDL and session commands).
pub(crate) fn is_bindable(stmt: &ast::Statement) -> bool {
    match stmt {
        // set_config() changes the session: it runs as the utility statement SET does.
        ast::Statement::Query(query) => super::statement::set_config_call(query).is_none(),
        ast::Statement::Insert(_) | ast::Statement::Update(_) | ast::Statement::Delete(_) => true,
        _ => false,
    }
}

fn result_columns(bound: &BoundStatement) -> Vec<OutputColumn> {
    match bound {
        BoundStatement::Query(q) => q.columns.clone(),
        BoundStatement::Insert(p) => p.returning.as_ref().map(|r| r.1.clone()).unwrap_or_default(),
        BoundStatement::Update(p) => p.returning.as_ref().map(|r| r.1.clone()).unwrap_or_default(),
        BoundStatement::Delete(p) => p.returning.as_ref().map(|r| r.1.clone()).unwrap_or_default(),
    }
}

/// Result columns of session commands that return rows.
fn utility_columns(stmt: &ast::Statement) -> Vec<OutputColumn> {
    let text = |name: &str| OutputColumn {
        name: name.to_string(),
        data_type: DataType::Text,
        source: None,
    };
    match stmt {
        ast::Statement::Explain { .. } => vec![text("QUERY PLAN")],
        ast::Statement::Query(_) => vec![text("set_config")],
        ast::Statement::ShowVariable { variable } => {
            let name = variable
                .iter()
                .map(|i| i.value.to_lowercase())
                .collect::<Vec<_>>()
                .join(" ");
            match name.as_str() {
                "all" => vec![text("name"), text("setting"), text("description")],
                "datestyle" => vec![text("DateStyle")],
                "timezone" | "time zone" => vec![text("TimeZone")],
                "intervalstyle" => vec![text("IntervalStyle")],
                "transaction isolation level" => vec![text("transaction_isolation")],
                other => vec![text(other)],
            }
        }
        _ => vec![],
    }
}

/// The highest `$n` in a statement, if any.
fn max_param(stmt: &ast::Statement) -> Option<usize> {
    let mut max = None;
    let _ = ast::visit_expressions(stmt, |e| {
        if let ast::Expr::Value(v) = e {
            if let ast::Value::Placeholder(p) = &v.value {
                if let Some(n) = p.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
                    max = Some(max.map_or(n, |m: usize| m.max(n)));
                }
            }
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    max
}
