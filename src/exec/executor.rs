//! The per-statement executor: plan dispatch, cancellation checks, and the state a statement
//! carries (outer rows of correlated subqueries, caches of uncorrelated subqueries and CTEs,
//! work tables of recursive CTEs). One `Executor` lives for exactly one statement, so its caches
//! never outlive the snapshot they were computed from.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::catalog::Catalog;
use crate::error::{sqlstate, Error, Result};
use crate::plan::{Expr, JoinKind, Plan, ScanSource, SortKey};
use crate::storage::Txn;
use crate::types::functions::FunctionContext;
use crate::types::{Row, Value};

use super::subquery::SubqueryResult;

/// How many rows an operator handles between two looks at the cancel flag.
const CANCEL_CHECK_INTERVAL: u32 = 4096;

/// Executes the plans of one statement.
pub struct Executor<'a> {
    pub(super) catalog: &'a Catalog,
    pub(super) params: &'a [Value],
    pub(super) functions: &'a FunctionContext,
    cancel: Option<&'a AtomicBool>,
    ticks: u32,
    /// Rows that correlated subqueries are being evaluated against, innermost last.
    pub(super) outer: Vec<Row>,
    /// Results of uncorrelated subqueries, keyed by the address of their plan (stable for the
    /// statement, which borrows the plan throughout).
    pub(super) subqueries: HashMap<usize, Rc<SubqueryResult>>,
    /// Materialized CTEs by id, with the outer-row depth they were computed at: a CTE computed
    /// inside a correlated subquery may depend on the outer row, so it is dropped when that
    /// evaluation ends.
    pub(super) ctes: HashMap<usize, (usize, Rc<Vec<Row>>)>,
    /// Correlated subqueries analysed for hash partitioning, by plan address (`None`: not
    /// splittable), and the partitions of those already run, by work-table slot.
    pub(super) splits: HashMap<usize, Option<Rc<super::correlated::Split>>>,
    pub(super) partitions: HashMap<usize, super::correlated::Partitions>,
    /// Hashed IN lists of constants by list address (`None`: not all constants).
    pub(super) in_lists: HashMap<usize, Option<Rc<super::eval::ConstantList>>>,
    /// The current iteration's rows of each running recursive CTE.
    pub(super) work_tables: HashMap<usize, Rc<Vec<Row>>>,
    /// Seals asked for by `seal_blockchain_block` (table id, target block id), handed to the
    /// transaction when the statement ends (the statement only reads the transaction).
    pub(super) seals: Vec<(u32, u64)>,
    /// Purges decided by `purge_blockchain*`, applied when the statement ends.
    pub(super) purges: Vec<super::purge::PlannedPurge>,
    /// Signatures attached by `sign_blockchain_block`, written when the statement ends.
    pub(super) signatures: Vec<super::signing::PendingSignature>,
    /// Per blockchain table scanned: where its sealed blocks start (hidden columns).
    pub(super) chain_rows: HashMap<u32, crate::ledger::rows::ChainRows<'a>>,
    /// The database's cache of sealed chain data (see `ExecContext::chain_cache`).
    pub(super) chain_cache: Option<&'a crate::ledger::rows::ChainCache>,
    /// Signs `blockchain_digest` (see `ExecContext::identity`).
    pub(super) identity: Option<&'a crate::crypto::ed25519::KeyPair>,
    /// The table columns each scan of the statement's query reads, by the scan's plan address
    /// (`columns.rs`); scans not listed decode whole rows.
    scan_columns: super::columns::ScanColumns,
}

impl<'a> Executor<'a> {
    pub fn new(
        catalog: &'a Catalog,
        params: &'a [Value],
        functions: &'a FunctionContext,
        cancel: Option<&'a AtomicBool>,
    ) -> Executor<'a> {
        Executor {
            catalog,
            params,
            functions,
            cancel,
            ticks: 0,
            outer: Vec::new(),
            subqueries: HashMap::new(),
            ctes: HashMap::new(),
            work_tables: HashMap::new(),
            splits: HashMap::new(),
            in_lists: HashMap::new(),
            partitions: HashMap::new(),
            seals: Vec::new(),
            purges: Vec::new(),
            signatures: Vec::new(),
            chain_rows: HashMap::new(),
            chain_cache: None,
            identity: None,
            scan_columns: Default::default(),
        }
    }

    /// Hands the seals this statement asked for to the transaction, to run at its commit.
    /// Returns the tables asked to seal.
    pub fn finish_seals(&mut self, txn: &mut Txn) -> Vec<u32> {
        let mut tables = Vec::new();
        for (table_id, target) in self.seals.drain(..) {
            txn.chain_seal(table_id, target);
            tables.push(table_id);
        }
        tables
    }

    /// Counts one unit of work and fails with 57014 once a cancel request arrived.
    #[inline]
    pub(super) fn tick(&mut self) -> Result<()> {
        self.ticks += 1;
        if self.ticks >= CANCEL_CHECK_INTERVAL {
            self.ticks = 0;
            self.check_cancel()?;
        }
        Ok(())
    }

    pub(super) fn check_cancel(&self) -> Result<()> {
        match self.cancel {
            Some(flag) if flag.load(Ordering::Relaxed) => Err(Error::sql(
                sqlstate::QUERY_CANCELED,
                "canceling statement due to user request",
            )),
            _ => Ok(()),
        }
    }

    /// Lets the scans of `plan` decode only the columns the query reads. Only for a plan whose
    /// rows go to the client: DML reads whole rows to rewrite them.
    pub fn prune_columns(&mut self, plan: &Plan) {
        self.scan_columns = super::columns::scan_columns(plan);
    }

    /// The columns a scan node reads (`None`: all).
    pub(super) fn scan_columns_of(&self, scan: &Plan) -> Option<Rc<[bool]>> {
        self.scan_columns.get(&(scan as *const Plan as usize)).cloned()
    }

    /// Runs a plan to completion.
    pub fn query(&mut self, txn: &Txn, plan: &Plan) -> Result<Vec<Row>> {
        match plan {
            Plan::Values { rows, .. } => {
                let mut out = Vec::with_capacity(rows.len());
                for exprs in rows {
                    let mut row = Vec::with_capacity(exprs.len());
                    for e in exprs {
                        row.push(self.eval(txn, e, &[])?);
                    }
                    out.push(row);
                }
                Ok(out)
            }
            Plan::Scan {
                table,
                source,
                filter,
                emit_key,
            } => {
                let columns = self.scan_columns_of(plan);
                self.scan(
                    txn,
                    table,
                    source,
                    filter.as_ref(),
                    *emit_key,
                    columns.as_deref(),
                    usize::MAX,
                )
            }
            Plan::TableFunction { func, args, width } => self.table_function(txn, *func, args, *width),
            Plan::Filter { .. }
            | Plan::Project { .. }
            | Plan::HashJoin {
                kind: JoinKind::Inner | JoinKind::Left | JoinKind::Semi | JoinKind::Anti,
                ..
            } => self.collect(txn, plan),
            Plan::NestedLoopJoin {
                left,
                right,
                kind,
                condition,
            } => {
                let l = self.query(txn, left)?;
                let r = self.query(txn, right)?;
                self.nested_loop_join(
                    txn,
                    l,
                    r,
                    plan_width(left),
                    plan_width(right),
                    *kind,
                    condition.as_ref(),
                )
            }
            Plan::HashJoin {
                left,
                right,
                kind,
                left_keys,
                right_keys,
                residual,
            } => {
                let l = self.query(txn, left)?;
                let r = self.query(txn, right)?;
                let spec = super::hash_join::HashJoinSpec {
                    kind: *kind,
                    left_keys,
                    right_keys,
                    residual: residual.as_ref(),
                    left_width: plan_width(left),
                    right_width: plan_width(right),
                };
                self.hash_join(txn, l, r, &spec)
            }
            Plan::Aggregate {
                input,
                group_by,
                aggregates,
            } => self.aggregate(txn, input, group_by, aggregates),
            Plan::Window { input, calls } => {
                let rows = self.query(txn, input)?;
                self.window(txn, rows, calls)
            }
            Plan::Sort { input, keys } if in_key_order(input, keys) => self.query(txn, input),
            Plan::Sort { input, keys } => {
                let rows = self.query(txn, input)?;
                self.sort(txn, rows, keys)
            }
            Plan::Limit { input, limit, offset } => self.limit(txn, input, limit.as_ref(), offset.as_ref()),
            Plan::Distinct { input } => {
                let rows = self.query(txn, input)?;
                Ok(self.distinct(rows))
            }
            Plan::DistinctOn { input, keys } => {
                let rows = self.query(txn, input)?;
                self.distinct_on(txn, rows, keys)
            }
            Plan::SetOp { op, all, left, right } => {
                let l = self.query(txn, left)?;
                let r = self.query(txn, right)?;
                Ok(super::set_op::set_op(*op, *all, l, r))
            }
            Plan::RecursiveCte {
                id,
                base,
                recursive,
                distinct,
            } => self.recursive_cte(txn, *id, base, recursive, *distinct),
            Plan::WorkTable { id, .. } => match self.work_tables.get(id) {
                Some(rows) => Ok(rows.as_ref().clone()),
                None => Err(Error::bug(format!(
                    "work table of recursive CTE {id} read outside its iteration"
                ))),
            },
            Plan::CteScan { id, plan } => self.cte_scan(txn, *id, plan),
        }
    }
}

impl Executor<'_> {
    /// Runs a plan for at least its first `cap` rows (all of them when cheaper): scans, and
    /// projections, filters, streamed joins and limits over them, stop early, so `LIMIT n` and
    /// `EXISTS` do not read a whole table.
    pub(super) fn query_upto(&mut self, txn: &Txn, plan: &Plan, cap: usize) -> Result<Vec<Row>> {
        match plan {
            Plan::Sort { input, keys } if in_key_order(input, keys) => self.query_upto(txn, input, cap),
            Plan::Scan {
                table,
                source,
                filter,
                emit_key,
            } => {
                let columns = self.scan_columns_of(plan);
                self.scan(txn, table, source, filter.as_ref(), *emit_key, columns.as_deref(), cap)
            }
            Plan::Project { input, exprs } => {
                let rows = self.query_upto(txn, input, cap)?;
                self.project(txn, rows, exprs)
            }
            Plan::Filter { .. }
            | Plan::HashJoin {
                kind: JoinKind::Inner | JoinKind::Left | JoinKind::Semi | JoinKind::Anti,
                ..
            } => {
                let mut out = Vec::new();
                if cap > 0 {
                    self.stream(txn, plan, &mut |_, row| {
                        out.push(std::mem::take(row));
                        Ok(out.len() < cap)
                    })?;
                }
                Ok(out)
            }
            _ => self.query(txn, plan),
        }
    }

    fn project(&mut self, txn: &Txn, rows: Vec<Row>, exprs: &[Expr]) -> Result<Vec<Row>> {
        let mut out = Vec::with_capacity(rows.len());
        // A projection that only picks distinct columns moves the values instead of cloning them.
        if let Some(picks) = super::stream::picked_columns(exprs) {
            for mut row in rows {
                self.tick()?;
                let mut projected = Vec::with_capacity(picks.len());
                for &i in &picks {
                    let v = row
                        .get_mut(i)
                        .ok_or_else(|| Error::bug(format!("column {i} outside the input row")))?;
                    projected.push(std::mem::replace(v, Value::Null));
                }
                out.push(projected);
            }
            return Ok(out);
        }
        for row in rows {
            self.tick()?;
            let mut projected = Vec::with_capacity(exprs.len());
            for e in exprs {
                projected.push(self.eval(txn, e, &row)?);
            }
            out.push(projected);
        }
        Ok(out)
    }
}

/// Whether a plan already yields rows in `keys` order: a scan in primary-key order (a full
/// scan of an ordinary table, or a primary-key lookup) sorted by a prefix of the primary key, ascending (`ORDER BY id LIMIT n` then reads n rows, not the
/// table). Key bytes order rows as SQL orders them within a type, and the key has no NULLs.
fn in_key_order(input: &Plan, keys: &[SortKey]) -> bool {
    let Plan::Scan {
        table,
        source: ScanSource::Table | ScanSource::PrimaryKey(_),
        ..
    } = input
    else {
        return false;
    };
    let Some(pk) = &table.primary_key else { return false };
    // A blockchain table's full scan walks its chain, in insertion order.
    let keyed_scan = !table.is_blockchain()
        || matches!(
            input,
            Plan::Scan {
                source: ScanSource::PrimaryKey(_),
                ..
            }
        );
    keyed_scan
        && keys.len() <= pk.len()
        && keys
            .iter()
            .zip(pk)
            .all(|(k, &c)| !k.desc && matches!(k.expr, Expr::Column(i) if i == c))
}

/// The number of columns a plan produces (needed to pad outer joins when an input is empty).
pub(super) fn plan_width(plan: &Plan) -> usize {
    match plan {
        Plan::Values { width, .. } | Plan::TableFunction { width, .. } | Plan::WorkTable { width, .. } => *width,
        Plan::Scan { table, emit_key, .. } => table.scan_width() + usize::from(*emit_key),
        Plan::Filter { input, .. }
        | Plan::Sort { input, .. }
        | Plan::Limit { input, .. }
        | Plan::Distinct { input }
        | Plan::DistinctOn { input, .. } => plan_width(input),
        Plan::Project { exprs, .. } => exprs.len(),
        Plan::Window { input, calls } => plan_width(input) + calls.len(),
        Plan::NestedLoopJoin { left, right, kind, .. } | Plan::HashJoin { left, right, kind, .. } => match kind {
            JoinKind::Semi | JoinKind::Anti => plan_width(left),
            _ => plan_width(left) + plan_width(right),
        },
        Plan::Aggregate {
            group_by, aggregates, ..
        } => group_by.len() + aggregates.len(),
        Plan::SetOp { left, .. } => plan_width(left),
        Plan::RecursiveCte { base, .. } => plan_width(base),
        Plan::CteScan { plan, .. } => plan_width(plan),
    }
}
