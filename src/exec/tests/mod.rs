//! Executor tests: plans and expressions built by hand (as the binder would produce them) run
//! against a real store in a temporary directory. Expected values come from PostgreSQL's
//! documented behaviour, never from running this code.

mod correlated;
mod dml;
mod expr;
mod join;
mod query;
mod scan;

use std::sync::Arc;

use chrono::Utc;

use crate::catalog::{Catalog, CatalogRecord, ColumnDef, IndexDef, TableDef, TableKind};
use crate::error::Result;
use crate::plan::{
    AggCall, AggFunc, BoundStatement, DeletePlan, Expr, InsertPlan, Plan, QueryPlan, ScanSource, SortKey, UpdatePlan,
};
use crate::storage::{Store, Txn};
use crate::types::functions::FunctionContext;
use crate::types::ops::BinaryOp;
use crate::types::{DataType, Row, Value};

use super::{execute, ExecContext, ExecOutput};

/// A store, a catalog and one open transaction.
pub(super) struct Fixture {
    _dir: tempfile::TempDir,
    _store: Store,
    pub txn: Txn,
    pub catalog: Catalog,
    pub params: Vec<Value>,
    pub cancel: Option<Arc<std::sync::atomic::AtomicBool>>,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let txn = store.begin();
        Fixture {
            _dir: dir,
            _store: store,
            txn,
            catalog: Catalog::default(),
            params: Vec::new(),
            cancel: None,
        }
    }

    /// Creates a table: columns as (name, type, nullable); `pk` column positions.
    pub fn table(
        &mut self,
        id: u32,
        name: &str,
        cols: &[(&str, DataType, bool)],
        pk: Option<Vec<usize>>,
    ) -> Arc<TableDef> {
        let def = TableDef {
            id,
            name: name.to_string(),
            columns: cols
                .iter()
                .map(|(n, t, nullable)| ColumnDef {
                    name: n.to_string(),
                    data_type: t.clone(),
                    nullable: *nullable,
                    default: None,
                })
                .collect(),
            primary_key_name: pk.as_ref().map(|_| format!("{name}_pkey")),
            primary_key: pk,
            checks: Vec::new(),
            kind: TableKind::Ordinary,
        };
        self.catalog.insert(CatalogRecord::Table(def)).unwrap();
        self.catalog.table(name).unwrap().clone()
    }

    pub fn index(
        &mut self,
        id: u32,
        name: &str,
        table: &TableDef,
        columns: Vec<usize>,
        unique: bool,
    ) -> Result<Arc<IndexDef>> {
        let def = IndexDef {
            id,
            name: name.to_string(),
            table_id: table.id,
            columns,
            unique,
            constraint: false,
        };
        super::table::build_index(&mut self.txn, table, &def)?;
        self.catalog.insert(CatalogRecord::Index(def)).unwrap();
        Ok(self.catalog.index(name).unwrap().clone())
    }

    pub fn run(&mut self, stmt: BoundStatement) -> Result<ExecOutput> {
        let functions = FunctionContext {
            transaction_start: Utc::now(),
            statement_start: Utc::now(),
            user: None,
        };
        let mut ctx = ExecContext {
            txn: &mut self.txn,
            catalog: &self.catalog,
            params: &self.params,
            functions,
            cancel: self.cancel.as_deref(),
            identity: None,
            chain_cache: None,
            effects: Default::default(),
        };
        execute(&stmt, &mut ctx)
    }

    pub fn query(&mut self, plan: Plan) -> Result<Vec<Row>> {
        match self.run(BoundStatement::Query(QueryPlan {
            plan,
            columns: Vec::new(),
        }))? {
            ExecOutput::Rows(rows) => Ok(rows),
            other => panic!("query returned {other:?}"),
        }
    }

    /// Evaluates one expression (as `SELECT expr`).
    pub fn eval(&mut self, expr: Expr) -> Result<Value> {
        let rows = self.query(Plan::Project {
            input: Box::new(one_row()),
            exprs: vec![expr],
        })?;
        Ok(rows.into_iter().next().unwrap().into_iter().next().unwrap())
    }

    /// Inserts literal rows into every column of `table`.
    pub fn insert(&mut self, table: &Arc<TableDef>, rows: Vec<Row>) -> Result<ExecOutput> {
        let plan = insert_plan(table, rows);
        self.run(BoundStatement::Insert(plan))
    }

    pub fn update(
        &mut self,
        table: &Arc<TableDef>,
        filter: Option<Expr>,
        assignments: Vec<(usize, Expr)>,
    ) -> Result<ExecOutput> {
        self.run(BoundStatement::Update(UpdatePlan {
            table: table.clone(),
            input: scan_keyed(table, filter),
            assignments,
            checks: Vec::new(),
            returning: None,
        }))
    }

    pub fn delete(&mut self, table: &Arc<TableDef>, filter: Option<Expr>) -> Result<ExecOutput> {
        self.run(BoundStatement::Delete(DeletePlan {
            table: table.clone(),
            input: scan_keyed(table, filter),
            returning: None,
        }))
    }

    /// The table's rows in key order.
    pub fn rows(&mut self, table: &Arc<TableDef>) -> Vec<Row> {
        self.query(scan(table, None)).unwrap()
    }
}

pub(super) fn insert_plan(table: &Arc<TableDef>, rows: Vec<Row>) -> InsertPlan {
    let width = table.columns.len();
    InsertPlan {
        table: table.clone(),
        columns: (0..width).collect(),
        source: values(rows),
        defaults: vec![None; width],
        checks: Vec::new(),
        on_conflict: None,
        returning: None,
    }
}

pub(super) fn one_row() -> Plan {
    Plan::Values {
        rows: vec![vec![]],
        width: 0,
    }
}

pub(super) fn values(rows: Vec<Row>) -> Plan {
    let width = rows.first().map_or(0, Vec::len);
    Plan::Values {
        rows: rows
            .into_iter()
            .map(|r| r.into_iter().map(Expr::Constant).collect())
            .collect(),
        width,
    }
}

pub(super) fn scan(table: &Arc<TableDef>, filter: Option<Expr>) -> Plan {
    Plan::Scan {
        table: table.clone(),
        source: ScanSource::Table,
        filter,
        emit_key: false,
    }
}

pub(super) fn scan_keyed(table: &Arc<TableDef>, filter: Option<Expr>) -> Plan {
    Plan::Scan {
        table: table.clone(),
        source: ScanSource::Table,
        filter,
        emit_key: true,
    }
}

pub(super) fn col(i: usize) -> Expr {
    Expr::Column(i)
}

pub(super) fn lit(v: Value) -> Expr {
    Expr::Constant(v)
}

pub(super) fn int(n: i32) -> Expr {
    Expr::Constant(Value::Int4(n))
}

pub(super) fn null() -> Expr {
    Expr::Constant(Value::Null)
}

pub(super) fn text(s: &str) -> Expr {
    Expr::Constant(Value::Text(s.to_string()))
}

pub(super) fn bin(op: BinaryOp, l: Expr, r: Expr) -> Expr {
    Expr::Binary {
        op,
        left: Box::new(l),
        right: Box::new(r),
    }
}

pub(super) fn eq(l: Expr, r: Expr) -> Expr {
    bin(BinaryOp::Eq, l, r)
}

pub(super) fn i4(n: i32) -> Value {
    Value::Int4(n)
}

pub(super) fn i8v(n: i64) -> Value {
    Value::Int8(n)
}

pub(super) fn t(s: &str) -> Value {
    Value::Text(s.to_string())
}

pub(super) fn num(s: &str) -> Value {
    Value::Numeric(s.parse().unwrap())
}

pub(super) fn asc(e: Expr) -> SortKey {
    SortKey {
        expr: e,
        desc: false,
        nulls_first: false,
    }
}

pub(super) fn desc(e: Expr) -> SortKey {
    SortKey {
        expr: e,
        desc: true,
        nulls_first: true,
    }
}

pub(super) fn agg(func: AggFunc, args: Vec<Expr>, arg_type: Option<DataType>) -> AggCall {
    AggCall {
        func,
        args,
        distinct: false,
        filter: None,
        order_by: Vec::new(),
        return_type: func.return_type(arg_type.as_ref()),
    }
}

pub(super) fn sorted(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort();
    rows
}

/// The SQLSTATE of a failed result.
pub(super) fn code<T: std::fmt::Debug>(r: Result<T>) -> &'static str {
    r.unwrap_err().sqlstate()
}
