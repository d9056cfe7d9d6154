//! Name scopes: which columns a FROM clause makes visible, under which qualifiers, at which
//! positions of the row its plan produces. Resolution errors are worded as PostgreSQL's.

use crate::error::{sqlstate, Error, Result};
use crate::types::DataType;

/// A relation's column as a scope is built from it: name, type, RowDescription source.
pub(super) type RelationColumn = (String, DataType, Option<(u32, usize)>);

/// One name visible in a scope. Several entries may point at one row position (a USING
/// column is visible merged, unqualified, and through each side's qualifier).
#[derive(Debug, Clone)]
pub(super) struct ScopeColumn {
    /// The relation alias that qualifies this column (`None` for merged USING columns).
    pub table: Option<String>,
    pub name: String,
    pub data_type: DataType,
    /// Position in the row the FROM clause's plan produces.
    pub index: usize,
    /// Table id and column position for RowDescription, when a plain table column.
    pub source: Option<(u32, usize)>,
    /// Not reachable unqualified and not part of `*` (the per-side copies of a USING column).
    pub merged_away: bool,
    /// Read straight from a base table scan (so its primary key identifies the row).
    pub base_table: bool,
    /// Selectable by name but not part of `*` (a blockchain table's `_block_id`, `_row_index`).
    pub hidden: bool,
}

/// The columns a FROM clause exposes, plus the relation names it binds.
#[derive(Debug, Clone, Default)]
pub(super) struct Scope {
    pub columns: Vec<ScopeColumn>,
    /// Relation aliases in FROM order (for `t.*` and "missing FROM-clause entry").
    pub relations: Vec<String>,
    /// Width of the row the FROM plan produces.
    pub width: usize,
}

/// What a name lookup in one scope found.
pub(super) enum Lookup {
    Found(usize, DataType),
    /// The qualifier names no relation here: try enclosing scopes.
    NoRelation,
    /// Not found here (the relation, if qualified, exists): try enclosing scopes.
    NotFound,
}

impl Scope {
    /// A scope over one relation whose columns occupy positions `0..columns.len()`.
    pub fn relation(alias: &str, columns: Vec<RelationColumn>) -> Scope {
        let width = columns.len();
        let columns = columns
            .into_iter()
            .enumerate()
            .map(|(index, (name, data_type, source))| ScopeColumn {
                table: Some(alias.to_string()),
                name,
                data_type,
                index,
                source,
                merged_away: false,
                base_table: false,
                hidden: false,
            })
            .collect();
        Scope {
            columns,
            relations: vec![alias.to_string()],
            width,
        }
    }

    /// The scope of `left ++ right` (a join): right positions shift by the left width.
    pub fn join(left: Scope, right: Scope) -> Result<Scope> {
        for r in &right.relations {
            if left.relations.contains(r) {
                return Err(Error::sql(
                    sqlstate::DUPLICATE_ALIAS,
                    format!("table name \"{r}\" specified more than once"),
                ));
            }
        }
        let shift = left.width;
        let mut columns = left.columns;
        columns.extend(right.columns.into_iter().map(|mut c| {
            c.index += shift;
            c
        }));
        let mut relations = left.relations;
        relations.extend(right.relations);
        Ok(Scope {
            columns,
            relations,
            width: shift + right.width,
        })
    }

    /// Looks up `name`, qualified by `table` when given.
    pub fn lookup(&self, table: Option<&str>, name: &str) -> Result<Lookup> {
        match table {
            Some(t) => {
                if !self.relations.iter().any(|r| r == t) {
                    return Ok(Lookup::NoRelation);
                }
                let found: Vec<&ScopeColumn> = self
                    .columns
                    .iter()
                    .filter(|c| c.table.as_deref() == Some(t) && c.name == name)
                    .collect();
                match found.as_slice() {
                    [] => Ok(Lookup::NotFound),
                    [c] => Ok(Lookup::Found(c.index, c.data_type.clone())),
                    [c, rest @ ..] => {
                        if rest.iter().all(|o| o.index == c.index) {
                            Ok(Lookup::Found(c.index, c.data_type.clone()))
                        } else {
                            Err(ambiguous(&format!("{t}.{name}")))
                        }
                    }
                }
            }
            None => {
                let found: Vec<&ScopeColumn> = self
                    .columns
                    .iter()
                    .filter(|c| !c.merged_away && c.name == name)
                    .collect();
                match found.as_slice() {
                    [] => Ok(Lookup::NotFound),
                    [c] => Ok(Lookup::Found(c.index, c.data_type.clone())),
                    [c, rest @ ..] => {
                        if rest.iter().all(|o| o.index == c.index) {
                            Ok(Lookup::Found(c.index, c.data_type.clone()))
                        } else {
                            Err(ambiguous(name))
                        }
                    }
                }
            }
        }
    }

    /// Entries `*` expands to, in order.
    pub fn star(&self) -> Vec<&ScopeColumn> {
        self.columns.iter().filter(|c| !c.merged_away && !c.hidden).collect()
    }

    /// Entries `t.*` expands to; `None` when no relation is called `t`.
    pub fn qualified_star(&self, table: &str) -> Option<Vec<&ScopeColumn>> {
        if !self.relations.iter().any(|r| r == table) {
            return None;
        }
        Some(
            self.columns
                .iter()
                .filter(|c| c.table.as_deref() == Some(table) && !c.hidden)
                .collect(),
        )
    }

    /// A qualified display name for row position `index` (`t.b`), for grouping errors.
    pub fn display_name(&self, index: usize) -> String {
        match self.columns.iter().find(|c| c.index == index && c.table.is_some()) {
            Some(c) => format!("{}.{}", c.table.as_deref().unwrap_or_default(), c.name),
            None => self
                .columns
                .iter()
                .find(|c| c.index == index)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
        }
    }

    /// The first entry at row position `index`.
    pub fn column_at(&self, index: usize) -> Option<&ScopeColumn> {
        self.columns.iter().find(|c| c.index == index)
    }
}

fn ambiguous(name: &str) -> Error {
    Error::sql(
        sqlstate::AMBIGUOUS_COLUMN,
        format!("column reference \"{name}\" is ambiguous"),
    )
}
