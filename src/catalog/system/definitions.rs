//! The SQL text PostgreSQL's `pg_get_indexdef`, `pg_get_constraintdef` and `pg_get_viewdef`
//! return, keyed by the oid the system relations give each object.

use super::{check_constraint_oid, pkey_constraint_oid, pkey_index_oid, relation_oid, unique_constraint_oid};
use crate::catalog::{Catalog, TableDef};
use crate::types::quote::quote_ident;

/// An index's definition: oid, `CREATE [UNIQUE] INDEX ...`, and its key column names
/// (`pg_get_indexdef(oid, k, ...)` with k > 0 returns column k).
pub struct IndexDefinition {
    pub oid: i64,
    /// Schema-qualified, as `pg_get_indexdef(oid)` and `pg_indexes` give it.
    pub definition: String,
    /// Without the schema of a visible table, as `pg_get_indexdef(oid, 0, true)` gives it.
    pub pretty: String,
    pub columns: Vec<String>,
}

fn column_names(t: &TableDef, positions: &[usize]) -> Vec<String> {
    positions
        .iter()
        .filter_map(|p| t.columns.get(*p).map(|c| quote_ident(&c.name)))
        .collect()
}

pub fn index_definitions(catalog: &Catalog) -> Vec<IndexDefinition> {
    let mut defs = Vec::new();
    for t in catalog.tables() {
        let mut add = |oid: i64, name: &str, unique: bool, positions: &[usize]| {
            let columns = column_names(t, positions);
            let definition = |schema: &str| {
                format!(
                    "CREATE {}INDEX {} ON {schema}{} USING btree ({})",
                    if unique { "UNIQUE " } else { "" },
                    quote_ident(name),
                    quote_ident(&t.name),
                    columns.join(", ")
                )
            };
            defs.push(IndexDefinition {
                oid,
                definition: definition("public."),
                pretty: definition(""),
                columns,
            });
        };
        if let (Some(pk), Some(name)) = (&t.primary_key, &t.primary_key_name) {
            add(pkey_index_oid(t), name, true, pk);
        }
        for i in catalog.table_indexes(t.id) {
            add(relation_oid(i.id), &i.name, i.unique, &i.columns);
        }
    }
    defs
}

/// `pg_get_constraintdef`: `PRIMARY KEY (id)`, `UNIQUE (a, b)`, `CHECK (expr)`.
pub fn constraint_definitions(catalog: &Catalog) -> Vec<(i64, String)> {
    let mut defs = Vec::new();
    for t in catalog.tables() {
        if let Some(pk) = &t.primary_key {
            defs.push((
                pkey_constraint_oid(t),
                format!("PRIMARY KEY ({})", column_names(t, pk).join(", ")),
            ));
        }
        for i in catalog.table_indexes(t.id).iter().filter(|i| i.constraint) {
            defs.push((
                unique_constraint_oid(i),
                format!("UNIQUE ({})", column_names(t, &i.columns).join(", ")),
            ));
        }
        for (k, c) in t.checks.iter().enumerate() {
            defs.push((check_constraint_oid(t, k), format!("CHECK ({})", c.expr)));
        }
    }
    defs
}

/// `pg_get_viewdef`: the view's defining query.
pub fn view_definitions(catalog: &Catalog) -> Vec<(i64, String)> {
    catalog
        .views()
        .map(|v| (relation_oid(v.id), format!(" {};", v.sql.trim_end_matches(';'))))
        .collect()
}
