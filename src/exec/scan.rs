//! Table scans: full, primary-key lookups/ranges, and secondary-index lookups/ranges.
//!
//! A lookup becomes one or more probes over encoded keys: a point `get` when a whole unique key
//! is given, otherwise a key range. Every row a probe returns is re-checked against the lookup
//! with SQL comparison, so the key ranges only need to be supersets (NULLs, which encode last,
//! are removed by that check), and the optimizer drops the conjuncts a lookup enforces.
//!
//! Rows go to a sink as they are read (`scan_into`, see `stream.rs`); `scan` collects them.
//! Ordinary tables decode only the columns the statement reads (`columns.rs`).

use std::cmp::Ordering;
use std::ops::Bound;

use crate::catalog::{IndexDef, TableDef};
use crate::error::{Error, Result};
use crate::plan::{columns_used, Expr, IndexLookup, ScanSource};
use crate::storage::keys::{encode_key, index_prefix, prefix_end, table_prefix};
use crate::storage::row::{decode_columns, decode_row};
use crate::storage::Txn;
use crate::types::ops::sql_compare;
use crate::types::{Row, Value};

use super::stream::Sink;
use super::Executor;

/// One evaluated probe: equality on a key prefix, then optional bounds on the next column.
struct Probe {
    eq: Vec<Value>,
    lower: Option<(Value, bool)>,
    upper: Option<(Value, bool)>,
}

/// Where a probe reads.
enum KeyRange {
    Point(Vec<u8>),
    Range(Bound<Vec<u8>>, Bound<Vec<u8>>),
}

impl Probe {
    /// Whether a row's key columns satisfy the probe (SQL semantics: NULL matches nothing).
    fn matches(&self, row: &[Value], columns: &[usize]) -> Result<bool> {
        for (value, col) in self.eq.iter().zip(columns) {
            if sql_compare(column(row, *col)?, value)? != Some(Ordering::Equal) {
                return Ok(false);
            }
        }
        if self.lower.is_none() && self.upper.is_none() {
            return Ok(true);
        }
        let Some(col) = columns.get(self.eq.len()) else {
            return Err(Error::bug("range lookup past the key"));
        };
        let v = column(row, *col)?;
        if let Some((bound, inclusive)) = &self.lower {
            match sql_compare(v, bound)? {
                Some(Ordering::Greater) => {}
                Some(Ordering::Equal) if *inclusive => {}
                _ => return Ok(false),
            }
        }
        if let Some((bound, inclusive)) = &self.upper {
            match sql_compare(v, bound)? {
                Some(Ordering::Less) => {}
                Some(Ordering::Equal) if *inclusive => {}
                _ => return Ok(false),
            }
        }
        Ok(true)
    }

    /// The keys to visit under `base`; `whole_key` columns make an equality probe a point get.
    fn key_range(&self, base: &[u8], whole_key: Option<usize>) -> Result<Option<KeyRange>> {
        let mut prefix = base.to_vec();
        encode_key(&self.eq, &mut prefix)?;
        if self.lower.is_none() && self.upper.is_none() {
            if whole_key == Some(self.eq.len()) {
                return Ok(Some(KeyRange::Point(prefix)));
            }
            return Ok(Some(KeyRange::Range(Bound::Included(prefix.clone()), end_of(&prefix))));
        }
        let bounded = |v: &Value| -> Result<Vec<u8>> {
            let mut values = self.eq.clone();
            values.push(v.clone());
            let mut k = base.to_vec();
            encode_key(&values, &mut k)?;
            Ok(k)
        };
        let start = match &self.lower {
            None => Bound::Included(prefix.clone()),
            Some((v, true)) => Bound::Included(bounded(v)?),
            Some((v, false)) => match prefix_end(&bounded(v)?) {
                Some(k) => Bound::Included(k),
                None => return Ok(None),
            },
        };
        let end = match &self.upper {
            None => end_of(&prefix),
            Some((v, true)) => end_of(&bounded(v)?),
            Some((v, false)) => Bound::Excluded(bounded(v)?),
        };
        Ok(Some(KeyRange::Range(start, end)))
    }
}

/// The columns a scan filter reads, as a mask over the table's columns, when that is fewer
/// than all of them (otherwise decoding twice would only cost).
fn filter_columns(filter: &Expr, width: usize) -> Option<Vec<bool>> {
    let mut wanted = vec![false; width];
    for i in columns_used(filter) {
        *wanted.get_mut(i)? = true;
    }
    wanted.contains(&false).then_some(wanted)
}

fn end_of(prefix: &[u8]) -> Bound<Vec<u8>> {
    match prefix_end(prefix) {
        Some(k) => Bound::Excluded(k),
        None => Bound::Unbounded,
    }
}

fn column(row: &[Value], i: usize) -> Result<&Value> {
    row.get(i)
        .ok_or_else(|| Error::corrupted("row", format!("stored row lacks column {i}")))
}

fn as_ref_bound(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(k.as_slice()),
        Bound::Excluded(k) => Bound::Excluded(k.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// Decodes a stored row of an ordinary table: only the `columns` marked (the others NULL), or
/// the whole row.
fn decode(bytes: &[u8], columns: Option<&[bool]>) -> Result<Row> {
    match columns {
        Some(wanted) => decode_columns(bytes, wanted),
        None => decode_row(bytes),
    }
}

impl<'a> Executor<'a> {
    /// Reads at most `cap` rows of a table (after the filter).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn scan(
        &mut self,
        txn: &Txn,
        table: &TableDef,
        source: &ScanSource,
        filter: Option<&Expr>,
        emit_key: bool,
        columns: Option<&[bool]>,
        cap: usize,
    ) -> Result<Vec<Row>> {
        let mut out = Vec::new();
        if cap == 0 {
            return Ok(out);
        }
        if let ScanSource::Table = source {
            if table.is_blockchain() && !emit_key {
                let prefilter = filter.and_then(|f| filter_columns(f, table.columns.len()));
                self.scan_chain(txn, table, filter, prefilter.as_deref(), cap, &mut out)?;
                return Ok(out);
            }
        }
        self.scan_into(txn, table, source, filter, emit_key, columns, &mut |_, row| {
            out.push(std::mem::take(row));
            Ok(out.len() < cap)
        })?;
        Ok(out)
    }

    /// Pushes the rows of a table that pass `filter` into `sink`, in the scan's order, until the
    /// sink returns false (then returns false). `columns`: the table columns the statement
    /// reads (the others come back NULL; `None`: all of them; blockchain tables always decode
    /// whole rows).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn scan_into(
        &mut self,
        txn: &Txn,
        table: &TableDef,
        source: &ScanSource,
        filter: Option<&Expr>,
        emit_key: bool,
        columns: Option<&[bool]>,
        sink: &mut Sink<'_, 'a>,
    ) -> Result<bool> {
        let columns = columns.filter(|_| !table.is_blockchain());
        match source {
            ScanSource::Table if table.is_blockchain() && !emit_key => {
                for mut row in self.scan(txn, table, source, filter, emit_key, None, usize::MAX)? {
                    if !sink(self, &mut row)? {
                        return Ok(false);
                    }
                }
            }
            ScanSource::Table => {
                // Rows the filter rejects are decoded only as far as the filter reads, when the
                // statement reads every column anyway.
                let prefilter = filter
                    .filter(|_| !table.is_blockchain() && columns.is_none())
                    .and_then(|f| filter_columns(f, table.columns.len()));
                for item in txn.scan_prefix_shared(&table_prefix(table.id)) {
                    let (key, bytes) = item?;
                    self.tick()?;
                    let mut row = match (&prefilter, filter) {
                        (Some(wanted), Some(f)) => {
                            if !self.eval_predicate(txn, f, &decode_columns(&bytes, wanted)?)? {
                                continue;
                            }
                            self.decode_stored(txn, table, &bytes)?
                        }
                        _ => {
                            let row = match columns {
                                Some(_) => decode(&bytes, columns)?,
                                None => self.decode_stored(txn, table, &bytes)?,
                            };
                            if let Some(f) = filter {
                                if !self.eval_predicate(txn, f, &row)? {
                                    continue;
                                }
                            }
                            row
                        }
                    };
                    if emit_key {
                        row.push(Value::Bytea(key.to_vec()));
                    }
                    if !sink(self, &mut row)? {
                        return Ok(false);
                    }
                }
            }
            ScanSource::PrimaryKey(lookup) => {
                let Some(pk) = &table.primary_key else {
                    return Err(Error::bug(format!(
                        "primary-key scan of \"{}\" without a primary key",
                        table.name
                    )));
                };
                let base = table_prefix(table.id);
                for probe in self.probes(txn, lookup)? {
                    match probe.key_range(&base, Some(pk.len()))? {
                        None => {}
                        Some(KeyRange::Point(key)) => {
                            if let Some(bytes) = txn.get(&key)? {
                                let row = match columns {
                                    Some(_) => decode(&bytes, columns)?,
                                    None => self.decode_stored(txn, table, &bytes)?,
                                };
                                if probe.matches(&row, pk)? && !self.keep(txn, row, &key, filter, emit_key, sink)? {
                                    return Ok(false);
                                }
                            }
                        }
                        Some(KeyRange::Range(start, end)) => {
                            for item in txn.scan_shared(as_ref_bound(&start), as_ref_bound(&end)) {
                                let (key, bytes) = item?;
                                self.tick()?;
                                let row = match columns {
                                    Some(_) => decode(&bytes, columns)?,
                                    None => self.decode_stored(txn, table, &bytes)?,
                                };
                                if probe.matches(&row, pk)? && !self.keep(txn, row, &key, filter, emit_key, sink)? {
                                    return Ok(false);
                                }
                            }
                        }
                    }
                }
            }
            ScanSource::Index(index, lookup) => {
                for probe in self.probes(txn, lookup)? {
                    if !self.index_probe(txn, table, index, &probe, filter, emit_key, columns, sink)? {
                        return Ok(false);
                    }
                }
            }
        }
        Ok(true)
    }

    #[allow(clippy::too_many_arguments)]
    fn index_probe(
        &mut self,
        txn: &Txn,
        table: &TableDef,
        index: &IndexDef,
        probe: &Probe,
        filter: Option<&Expr>,
        emit_key: bool,
        columns: Option<&[bool]>,
        sink: &mut Sink<'_, 'a>,
    ) -> Result<bool> {
        let whole = index.unique.then_some(index.columns.len());
        let row_keys: Vec<Vec<u8>> = match probe.key_range(&index_prefix(index.id), whole)? {
            None => Vec::new(),
            Some(KeyRange::Point(entry)) => txn.get(&entry)?.into_iter().collect(),
            Some(KeyRange::Range(start, end)) => txn
                .scan(as_ref_bound(&start), as_ref_bound(&end))?
                .map(|item| item.map(|(_, row_key)| row_key))
                .collect::<Result<_>>()?,
        };
        for key in row_keys {
            self.tick()?;
            let Some(bytes) = txn.get(&key)? else {
                return Err(Error::corrupted(
                    format!("index \"{}\"", index.name),
                    "entry points to a missing row",
                ));
            };
            let row = match columns {
                Some(_) => decode(&bytes, columns)?,
                None => self.decode_stored(txn, table, &bytes)?,
            };
            if probe.matches(&row, &index.columns)? && !self.keep(txn, row, &key, filter, emit_key, sink)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn keep(
        &mut self,
        txn: &Txn,
        mut row: Row,
        key: &[u8],
        filter: Option<&Expr>,
        emit_key: bool,
        sink: &mut Sink<'_, 'a>,
    ) -> Result<bool> {
        if let Some(f) = filter {
            if !self.eval_predicate(txn, f, &row)? {
                return Ok(true);
            }
        }
        if emit_key {
            row.push(Value::Bytea(key.to_vec()));
        }
        sink(self, &mut row)
    }

    /// Evaluates a lookup into probes; probes with a NULL value are dropped (they match nothing).
    fn probes(&mut self, txn: &Txn, lookup: &IndexLookup) -> Result<Vec<Probe>> {
        match lookup {
            IndexLookup::Eq(exprs) => {
                let eq = self.eval_all(txn, exprs)?;
                if eq.iter().any(Value::is_null) {
                    return Ok(Vec::new());
                }
                Ok(vec![Probe {
                    eq,
                    lower: None,
                    upper: None,
                }])
            }
            IndexLookup::Range { prefix, lower, upper } => {
                let eq = self.eval_all(txn, prefix)?;
                let lower = match lower {
                    Some((e, inclusive)) => Some((self.eval(txn, e, &[])?, *inclusive)),
                    None => None,
                };
                let upper = match upper {
                    Some((e, inclusive)) => Some((self.eval(txn, e, &[])?, *inclusive)),
                    None => None,
                };
                let null_bound = |b: &Option<(Value, bool)>| b.as_ref().is_some_and(|(v, _)| v.is_null());
                if eq.iter().any(Value::is_null) || null_bound(&lower) || null_bound(&upper) {
                    return Ok(Vec::new());
                }
                Ok(vec![Probe { eq, lower, upper }])
            }
            IndexLookup::InList(exprs) => {
                let mut values: Vec<Value> = self
                    .eval_all(txn, exprs)?
                    .into_iter()
                    .filter(|v| !v.is_null())
                    .collect();
                values.sort();
                values.dedup();
                Ok(values
                    .into_iter()
                    .map(|v| Probe {
                        eq: vec![v],
                        lower: None,
                        upper: None,
                    })
                    .collect())
            }
        }
    }

    fn eval_all(&mut self, txn: &Txn, exprs: &[Expr]) -> Result<Vec<Value>> {
        exprs.iter().map(|e| self.eval(txn, e, &[])).collect()
    }
}
