//! INSERT, UPDATE and DELETE.
//!
//! Each statement first materializes its input completely (so it never sees its own writes:
//! `INSERT INTO t SELECT * FROM t` and `UPDATE t SET k = k + 1` read the table as it was), then
//! applies the rows one by one. Per row, in PostgreSQL's order: assignment cast to the column
//! type, DEFAULTs (INSERT), NOT NULL (23502), CHECK (23514, NULL passes), uniqueness (23505).

use super::hashing::FastSet;
use std::sync::Arc;

use crate::catalog::{IndexDef, TableDef};
use crate::error::{sqlstate, Error, Result};
use crate::plan::{DeletePlan, Expr, InsertPlan, OnConflict, OutputColumn, UpdatePlan};
use crate::storage::Txn;
use crate::types::{cast, Row, Value};

use super::eval::truth;
use super::table;
use super::{ExecOutput, Executor};

type Returning = Option<(Vec<Expr>, Vec<OutputColumn>)>;

/// Collects RETURNING rows when the statement asked for them.
struct Output<'p> {
    count: u64,
    returning: Option<(&'p [Expr], Vec<Row>)>,
    /// Hidden columns RETURNING may name after the table's own (a blockchain table's
    /// `_block_id`, `_row_index`): NULL, the row having no chain position before commit.
    hidden: usize,
}

impl<'p> Output<'p> {
    fn new(returning: &'p Returning) -> Output<'p> {
        Output {
            count: 0,
            returning: returning.as_ref().map(|(exprs, _)| (exprs.as_slice(), Vec::new())),
            hidden: 0,
        }
    }

    fn push(&mut self, exec: &mut Executor<'_>, txn: &Txn, row: &[Value]) -> Result<()> {
        self.count += 1;
        if let Some((exprs, rows)) = &mut self.returning {
            let padded;
            let row = if self.hidden > 0 {
                let mut r = row.to_vec();
                r.extend(std::iter::repeat_n(Value::Null, self.hidden));
                padded = r;
                &padded[..]
            } else {
                row
            };
            let mut out = Vec::with_capacity(exprs.len());
            for e in exprs.iter() {
                out.push(exec.eval(txn, e, row)?);
            }
            rows.push(out);
        }
        Ok(())
    }

    fn finish(self) -> ExecOutput {
        ExecOutput::Affected {
            count: self.count,
            returning: self.returning.map(|(_, rows)| rows),
        }
    }
}

/// NOT NULL then CHECK constraints of a finished row.
fn check_row(
    exec: &mut Executor<'_>,
    txn: &Txn,
    table: &TableDef,
    checks: &[(String, Expr)],
    row: &[Value],
) -> Result<()> {
    for (i, (col, value)) in table.columns.iter().zip(row).enumerate() {
        let in_pk = table.primary_key.as_ref().is_some_and(|pk| pk.contains(&i));
        if value.is_null() && (!col.nullable || in_pk) {
            return Err(Error::sql(
                sqlstate::NOT_NULL_VIOLATION,
                format!(
                    "null value in column \"{}\" of relation \"{}\" violates not-null constraint",
                    col.name, table.name
                ),
            )
            .with_detail(table::failing_row(row)));
        }
    }
    for (name, predicate) in checks {
        let v = exec.eval(txn, predicate, row)?;
        if truth(&v)? == Some(false) {
            return Err(Error::sql(
                sqlstate::CHECK_VIOLATION,
                format!(
                    "new row for relation \"{}\" violates check constraint \"{name}\"",
                    table.name
                ),
            )
            .with_detail(table::failing_row(row)));
        }
    }
    Ok(())
}

fn assign_to(table: &TableDef, col: usize, value: &Value) -> Result<Value> {
    let Some(column) = table.columns.get(col) else {
        return Err(Error::bug(format!("column {col} outside table \"{}\"", table.name)));
    };
    cast::assign(value, &column.data_type)
}

fn row_key(row: &[Value], width: usize) -> Result<Vec<u8>> {
    match row.get(width) {
        Some(Value::Bytea(k)) => Ok(k.clone()),
        _ => Err(Error::bug("DML input row lacks its storage key")),
    }
}

pub fn insert(exec: &mut Executor<'_>, txn: &mut Txn, plan: &InsertPlan) -> Result<ExecOutput> {
    let table = plan.table.as_ref();
    let indexes = exec.catalog.table_indexes(table.id);
    let source = exec.query(txn, &plan.source)?;
    let mut output = Output::new(&plan.returning);
    output.hidden = table.hidden_columns().len();
    // Rows this statement inserted or updated: ON CONFLICT may not touch one twice.
    let mut touched: FastSet<Vec<u8>> = FastSet::default();
    for src in source {
        exec.tick()?;
        let row = build_insert_row(exec, txn, plan, src)?;
        check_row(exec, txn, table, &plan.checks, &row)?;
        match &plan.on_conflict {
            None => {
                // RETURNING sees the row as stored, so it can be computed before the row moves in.
                output.push(exec, txn, &row)?;
                table::insert_row(txn, table, &indexes, row)?;
            }
            Some(action) => {
                let Some(existing_key) = table::find_conflict(txn, table, &indexes, &row)? else {
                    output.push(exec, txn, &row)?;
                    let key = table::insert_row(txn, table, &indexes, row)?;
                    touched.insert(key);
                    continue;
                };
                let OnConflict::DoUpdate { assignments, filter } = action else {
                    continue;
                };
                if touched.contains(&existing_key) {
                    return Err(Error::sql(
                        sqlstate::CARDINALITY_VIOLATION,
                        "ON CONFLICT DO UPDATE command cannot affect row a second time",
                    )
                    .with_hint(
                        "Ensure that no rows proposed for insertion within the same command have duplicate constrained values.",
                    ));
                }
                let Some(existing) = table::fetch_row(txn, &existing_key)? else {
                    return Err(Error::bug("conflicting row vanished"));
                };
                let mut combined = existing.clone();
                combined.extend(row.iter().cloned());
                if let Some(f) = filter {
                    if !exec.eval_predicate(txn, f, &combined)? {
                        continue;
                    }
                }
                let mut new_row = existing.clone();
                for (col, expr) in assignments {
                    let v = exec.eval(txn, expr, &combined)?;
                    let slot = new_row
                        .get_mut(*col)
                        .ok_or_else(|| Error::bug("assignment outside the row"))?;
                    *slot = assign_to(table, *col, &v)?;
                }
                check_row(exec, txn, table, &plan.checks, &new_row)?;
                let key = table::update_row(txn, table, &indexes, &existing_key, &existing, new_row.clone())?;
                touched.insert(key);
                output.push(exec, txn, &new_row)?;
            }
        }
    }
    Ok(output.finish())
}

/// The full table row for one source row: given columns cast, the rest from DEFAULTs.
fn build_insert_row(exec: &mut Executor<'_>, txn: &Txn, plan: &InsertPlan, src: Row) -> Result<Row> {
    let table = plan.table.as_ref();
    let width = table.columns.len();
    let mut row = vec![Value::Null; width];
    let mut given = vec![false; width];
    if src.len() != plan.columns.len() {
        return Err(Error::bug(format!(
            "INSERT source has {} values for {} columns",
            src.len(),
            plan.columns.len()
        )));
    }
    for (value, &col) in src.into_iter().zip(&plan.columns) {
        let slot = row
            .get_mut(col)
            .ok_or_else(|| Error::bug("INSERT column outside the table"))?;
        *slot = assign_to(table, col, &value)?;
        if let Some(g) = given.get_mut(col) {
            *g = true;
        }
    }
    for col in 0..width {
        if given.get(col).copied().unwrap_or(true) {
            continue;
        }
        if let Some(Some(default)) = plan.defaults.get(col) {
            let v = exec.eval(txn, default, &[])?;
            if let Some(slot) = row.get_mut(col) {
                *slot = assign_to(table, col, &v)?;
            }
        }
    }
    Ok(row)
}

pub fn update(exec: &mut Executor<'_>, txn: &mut Txn, plan: &UpdatePlan) -> Result<ExecOutput> {
    let table = plan.table.as_ref();
    let width = table.columns.len();
    let indexes: Vec<Arc<IndexDef>> = exec.catalog.table_indexes(table.id);
    let input = exec.query(txn, &plan.input)?;
    // Every new row is computed before the first write, so subqueries in SET read the table as
    // the statement found it, never a half-updated one.
    let mut changes: Vec<(Vec<u8>, Row, Row)> = Vec::with_capacity(input.len());
    let mut done: FastSet<Vec<u8>> = FastSet::default();
    for mut row in input {
        exec.tick()?;
        let key = row_key(&row, width)?;
        if !done.insert(key.clone()) {
            // UPDATE ... FROM joining one target row to several source rows updates it once.
            continue;
        }
        let mut new_row = row
            .get(..width)
            .ok_or_else(|| Error::bug("UPDATE input narrower than its table"))?
            .to_vec();
        for (col, expr) in &plan.assignments {
            let v = exec.eval(txn, expr, &row)?;
            let slot = new_row
                .get_mut(*col)
                .ok_or_else(|| Error::bug("assignment outside the row"))?;
            *slot = assign_to(table, *col, &v)?;
        }
        row.truncate(width);
        changes.push((key, row, new_row));
    }
    drop(done);
    let mut output = Output::new(&plan.returning);
    for (key, old, new_row) in changes {
        exec.tick()?;
        check_row(exec, txn, table, &plan.checks, &new_row)?;
        output.push(exec, txn, &new_row)?;
        table::update_row(txn, table, &indexes, &key, &old, new_row)?;
    }
    Ok(output.finish())
}

pub fn delete(exec: &mut Executor<'_>, txn: &mut Txn, plan: &DeletePlan) -> Result<ExecOutput> {
    let table = plan.table.as_ref();
    let width = table.columns.len();
    let indexes = exec.catalog.table_indexes(table.id);
    let input = exec.query(txn, &plan.input)?;
    let mut output = Output::new(&plan.returning);
    let mut done: FastSet<Vec<u8>> = FastSet::default();
    for row in input {
        exec.tick()?;
        let key = row_key(&row, width)?;
        if !done.insert(key.clone()) {
            continue;
        }
        let old = row
            .get(..width)
            .ok_or_else(|| Error::bug("DELETE input narrower than its table"))?;
        table::delete_row(txn, table, &indexes, &key, old)?;
        output.push(exec, txn, old)?;
    }
    Ok(output.finish())
}
