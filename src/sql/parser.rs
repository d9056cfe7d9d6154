//! Statement parsing with the PostgreSQL dialect.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::error::{Error, Result};

use super::ast::Statement;

/// How deeply expressions may nest. sqlparser's default (50) rejects machine-generated
/// predicates that PostgreSQL accepts (sqllogictest's `index/between` nests ~60 levels);
/// the bound keeps parser recursion well inside a 2 MiB thread stack.
const RECURSION_LIMIT: usize = 200;

/// Parses one or more `;`-separated statements. Errors are 42601 with the parser's message.
pub fn parse(sql: &str) -> Result<Vec<Statement>> {
    let syntax = |e: sqlparser::parser::ParserError| {
        let msg = e.to_string();
        let msg = msg.strip_prefix("sql parser error: ").unwrap_or(&msg).to_string();
        Error::syntax(format!("syntax error: {msg}"))
    };
    Parser::new(&PostgreSqlDialect {})
        .with_recursion_limit(RECURSION_LIMIT)
        .try_with_sql(sql)
        .map_err(syntax)?
        .parse_statements()
        .map_err(syntax)
}
