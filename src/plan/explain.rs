//! EXPLAIN: one line per plan node, indented by depth, PostgreSQL-style node names.

use super::BoundStatement;

/// Renders the chosen plan, e.g. `Hash Join (inner) on #0 = #3` / `  Seq Scan on t1 filter: ...`.
pub fn explain(stmt: &BoundStatement) -> Vec<String> {
    let _ = stmt;
    Vec::new()
}
