//! Binds sqlparser's AST (re-exported as `crate::sql::ast`) against a catalog snapshot.
//!
//! The binder state lives here; the work is split by clause: `bind_expr` (expression forms,
//! names, literals), `bind_operator` (operators and predicates), `coercion` (casts and
//! parameter inference), `bind_function` (function, aggregate and subquery calls),
//! `bind_query` (WITH, set operations, VALUES), `bind_select` (one SELECT block),
//! `bind_from` (FROM items and joins), `bind_group` (aggregation), `bind_dml`
//! (INSERT/UPDATE/DELETE), `bind_catalog` (system relations and catalog functions),
//! `bind_reg_cast` (`::regclass` and the other object-identifier casts). Binding never does
//! I/O; the result is optimized by `optimizer` before it is returned.

use std::sync::Arc;

use crate::catalog::{Access, Catalog, Privileges, TableDef};
use crate::error::{Error, Result};
use crate::sql::ast;
use crate::types::DataType;

use super::expr::AggCall;
use super::plan::Plan;
use super::scope::Scope;
use super::{optimizer, BoundStatement, Expr, QueryPlan};

/// The session's settings as the binder reads them (`current_setting()`, `pg_settings`).
pub trait SettingsView {
    /// The current value, or 42704 for an unknown name.
    fn value(&self, name: &str) -> Result<String>;
    /// Every setting as (name, value, description).
    fn all(&self) -> Vec<(String, String, String)>;
    /// The role ids of `current_user` and `session_user`.
    fn user(&self) -> (u32, u32) {
        let id = crate::catalog::RoleDef::bootstrap().id;
        (id, id)
    }
}

/// A CTE visible by name while binding.
#[derive(Debug, Clone)]
pub(super) struct CteBinding {
    pub name: String,
    pub columns: Vec<(String, DataType)>,
    pub kind: CteKind,
    /// Query nesting depth (`outer.len()`) where the CTE was defined: a reference from a
    /// deeper subquery shifts the CTE's references to enclosing rows by the difference.
    pub depth: usize,
}

#[derive(Debug, Clone)]
pub(super) enum CteKind {
    /// A bound CTE: each reference clones this plan (a `CteScan` or `RecursiveCte`).
    Bound(Box<Plan>),
    /// Inside a recursive CTE's recursive term: references read the work table.
    WorkTable { id: usize, referenced: bool },
}

/// Aggregate calls collected while binding one SELECT's target list, HAVING and ORDER BY.
#[derive(Debug, Default)]
pub(super) struct AggState {
    pub calls: Vec<AggCall>,
    /// Set while binding an aggregate's own arguments (nesting is an error).
    pub inside: bool,
}

/// Binds statements against one catalog snapshot. Parameters `$n` get the types given in
/// `param_types` (from the client) or, when `Unknown`, the type inferred from context.
pub struct Binder<'a> {
    pub(super) catalog: &'a Catalog,
    pub(super) param_types: Vec<DataType>,
    /// Scopes of the enclosing query levels, outermost first (for correlated references).
    pub(super) outer: Vec<Scope>,
    /// Per enclosing level: whether the subquery being bound inside it referenced it or
    /// anything further out.
    pub(super) correlated: Vec<bool>,
    /// Aggregate collection for the SELECT being bound; `None` where aggregates are not allowed.
    pub(super) agg: Option<AggState>,
    /// Window calls collected for the SELECT being bound; `None` where they are not allowed.
    pub(super) win: Option<Vec<super::WindowCall>>,
    /// Clause name for "aggregate functions are not allowed in X".
    pub(super) clause: &'static str,
    /// Set while binding CHECK/DEFAULT expressions, where subqueries are not allowed.
    pub(super) table_expr: Option<&'static str>,
    pub(super) ctes: Vec<CteBinding>,
    pub(super) next_cte_id: usize,
    pub(super) view_depth: usize,
    /// Set while binding an INSERT's source query: its first SELECT block keeps `unknown`
    /// output types (PostgreSQL coerces `INSERT ... SELECT '5'` to the column type).
    pub(super) insert_source: bool,
    /// The session's settings, for `current_setting()` and `pg_settings`.
    pub(super) settings: Option<&'a dyn SettingsView>,
    /// Set when a setting's value was bound in as a constant (the plan must not be reused
    /// after the session's settings change).
    pub(super) settings_used: bool,
    /// Privileges the statement needs, found while binding (checked before it runs).
    pub(super) accesses: Vec<Access>,
    /// While binding a view's query: the view owner, whose privileges count there.
    pub(super) checked_as: Option<u32>,
}

impl<'a> Binder<'a> {
    pub fn new(catalog: &'a Catalog, param_types: &[DataType]) -> Binder<'a> {
        Binder {
            catalog,
            param_types: param_types.to_vec(),
            outer: Vec::new(),
            correlated: Vec::new(),
            agg: None,
            win: None,
            clause: "WHERE",
            table_expr: None,
            ctes: Vec::new(),
            next_cte_id: 0,
            view_depth: 0,
            insert_source: false,
            settings: None,
            settings_used: false,
            accesses: Vec::new(),
            checked_as: None,
        }
    }

    /// Whether the bound statement holds values of the session's settings.
    pub fn uses_settings(&self) -> bool {
        self.settings_used
    }

    /// The privileges the bound statement needs.
    pub fn accesses(&self) -> &[Access] {
        &self.accesses
    }

    /// `current_user` and `session_user` of the binding session (the bootstrap superuser
    /// when no session binds); binding them makes the plan depend on the session.
    pub(super) fn user(&mut self) -> (u32, u32) {
        self.settings_used = true;
        match self.settings {
            Some(s) => s.user(),
            None => {
                let id = crate::catalog::RoleDef::bootstrap().id;
                (id, id)
            }
        }
    }

    /// Records that the statement needs `privileges` on a relation.
    pub(super) fn require(&mut self, relation: u32, name: &str, is_view: bool, privileges: Privileges) {
        self.accesses.push(Access {
            relation,
            name: name.to_string(),
            is_view,
            privileges,
            checked_as: self.checked_as,
        });
    }

    /// Gives the binder the session's settings.
    pub fn with_settings(mut self, settings: &'a dyn SettingsView) -> Self {
        self.settings = Some(settings);
        self
    }

    /// Binds and optimizes a SELECT/VALUES/INSERT/UPDATE/DELETE statement.
    pub fn bind_statement(&mut self, stmt: &ast::Statement) -> Result<BoundStatement> {
        let stmt = match stmt {
            ast::Statement::Query(q) => BoundStatement::Query(self.query(q)?),
            ast::Statement::Insert(insert) => BoundStatement::Insert(self.bind_insert(insert)?),
            ast::Statement::Update(update) => BoundStatement::Update(self.bind_update(update)?),
            ast::Statement::Delete(delete) => BoundStatement::Delete(self.bind_delete(delete)?),
            other => {
                let text = other.to_string();
                let word = text.split_whitespace().next().unwrap_or("statement").to_uppercase();
                return Err(Error::unsupported(format!("{word} statement")));
            }
        };
        Ok(optimizer::optimize_statement(stmt, self.catalog))
    }

    /// Binds and optimizes a query (CREATE TABLE AS, CREATE VIEW validation, subqueries).
    pub fn bind_query(&mut self, query: &ast::Query) -> Result<QueryPlan> {
        let q = self.query(query)?;
        Ok(QueryPlan {
            plan: optimizer::optimize_with(q.plan, self.catalog),
            columns: q.columns,
        })
    }

    /// Binds an expression over one table's row (CHECK constraints, DEFAULTs with no columns
    /// in scope when `table` is None), returning it with its type.
    pub fn bind_table_expr(&mut self, expr: &ast::Expr, table: Option<&TableDef>) -> Result<(Expr, DataType)> {
        let (scope, what) = match table {
            Some(t) => (table_scope(t, &t.name), "check constraints"),
            None => (Scope::default(), "DEFAULT expressions"),
        };
        let saved_agg = self.agg.take();
        let saved_clause = std::mem::replace(&mut self.clause, what);
        let saved_table_expr = self.table_expr.replace(what);
        let result = self.bind_expr(expr, &scope);
        self.agg = saved_agg;
        self.clause = saved_clause;
        self.table_expr = saved_table_expr;
        result
    }

    /// The parameter types after binding: inferred where the client left them unknown
    /// (still-unknown ones become `Text`).
    pub fn param_types(&self) -> Vec<DataType> {
        self.param_types
            .iter()
            .map(|t| {
                if *t == DataType::Unknown {
                    DataType::Text
                } else {
                    t.clone()
                }
            })
            .collect()
    }

    /// Runs `f` with `clause` as the aggregate-context name and no aggregate collection.
    pub(super) fn without_aggregates<T>(
        &mut self,
        clause: &'static str,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let saved_agg = self.agg.take();
        let saved_clause = std::mem::replace(&mut self.clause, clause);
        let result = f(self);
        self.agg = saved_agg;
        self.clause = saved_clause;
        result
    }

    /// Binds `f` as a nested query level whose enclosing row is described by `scope`;
    /// returns its result and whether it referenced any enclosing level.
    pub(super) fn nested_level<T>(
        &mut self,
        scope: &Scope,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<(T, bool)> {
        self.outer.push(scope.clone());
        self.correlated.push(false);
        let saved_agg = self.agg.take();
        let saved_clause = self.clause;
        let result = f(self);
        self.agg = saved_agg;
        self.clause = saved_clause;
        self.outer.pop();
        let correlated = self.correlated.pop().unwrap_or(false);
        Ok((result?, correlated))
    }

    /// Binds `f` with no enclosing levels and no CTEs in sight (view bodies).
    pub(super) fn isolated<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let outer = std::mem::take(&mut self.outer);
        let correlated = std::mem::take(&mut self.correlated);
        let ctes = std::mem::take(&mut self.ctes);
        let agg = self.agg.take();
        let result = f(self);
        self.outer = outer;
        self.correlated = correlated;
        self.ctes = ctes;
        self.agg = agg;
        result
    }

    /// Ensures parameter `$n` (1-based) has a slot.
    pub(super) fn param_slot(&mut self, n: usize) {
        if self.param_types.len() < n {
            self.param_types.resize(n, DataType::Unknown);
        }
    }

    pub(super) fn table_def(&self, name: &str) -> Option<Arc<TableDef>> {
        self.catalog.table(name).cloned()
    }
}

/// The scope of one table's row under `alias`.
pub(super) fn table_scope(t: &TableDef, alias: &str) -> Scope {
    let mut scope = Scope::relation(
        alias,
        t.columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), c.data_type.clone(), Some((t.id, i))))
            .collect(),
    );
    for c in &mut scope.columns {
        c.base_table = true;
    }
    for (i, name) in t.hidden_columns().iter().enumerate() {
        scope.columns.push(super::scope::ScopeColumn {
            table: Some(alias.to_string()),
            name: (*name).to_string(),
            data_type: crate::types::DataType::Int8,
            index: t.columns.len() + i,
            source: None,
            merged_away: false,
            base_table: false,
            hidden: true,
        });
    }
    scope.width = t.scan_width();
    scope
}
