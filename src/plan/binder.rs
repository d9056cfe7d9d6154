//! Binds sqlparser's AST (re-exported as `crate::sql::ast`) against a catalog snapshot.

use crate::catalog::{Catalog, TableDef};
use crate::error::Result;
use crate::sql::ast;
use crate::types::DataType;

use super::{BoundStatement, Expr, QueryPlan};

/// Binds statements against one catalog snapshot. Parameters `$n` get the types given in
/// `param_types` (from the client) or, when `Unknown`, the type inferred from context.
pub struct Binder<'a> {
    catalog: &'a Catalog,
    param_types: Vec<DataType>,
}

impl<'a> Binder<'a> {
    pub fn new(catalog: &'a Catalog, param_types: &[DataType]) -> Binder<'a> {
        Binder {
            catalog,
            param_types: param_types.to_vec(),
        }
    }

    /// Binds and optimizes a SELECT/VALUES/INSERT/UPDATE/DELETE statement.
    pub fn bind_statement(&mut self, stmt: &ast::Statement) -> Result<BoundStatement> {
        let _ = (stmt, self.catalog);
        todo!("plan::binder::bind_statement")
    }

    /// Binds and optimizes a query (CREATE TABLE AS, CREATE VIEW validation, subqueries).
    pub fn bind_query(&mut self, query: &ast::Query) -> Result<QueryPlan> {
        let _ = query;
        todo!("plan::binder::bind_query")
    }

    /// Binds an expression over one table's row (CHECK constraints, DEFAULTs with no columns
    /// in scope when `table` is None), returning it with its type.
    pub fn bind_table_expr(&mut self, expr: &ast::Expr, table: Option<&TableDef>) -> Result<(Expr, DataType)> {
        let _ = (expr, table);
        todo!("plan::binder::bind_table_expr")
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
}
