//! SQL text to statements: sqlparser with the PostgreSQL dialect. This module is the only door
//! through which sqlparser enters Vellum: everything above uses `sql::ast`.

/// The AST types other layers bind against (sqlparser's, re-exported at one pinned version).
pub mod ast {
    pub use sqlparser::ast::*;
}

/// `CREATE BLOCKCHAIN TABLE` recognition and its marker.
mod blockchain;
/// COPY with PostgreSQL's option values.
mod copy;
/// SQL type names to `DataType`.
mod datatype;
/// Identifier folding and relation names.
mod names;
/// Statement parsing.
mod parser;
/// `CREATE SIGNER` / `DROP SIGNER`.
mod signer;
/// VACUUM and ANALYZE in PostgreSQL's forms.
mod vacuum;

pub use blockchain::is_blockchain_table;
pub use datatype::data_type;
pub use names::{ident, object_name};
pub use parser::parse;
pub use signer::{signer_statement, SignerStatement};
