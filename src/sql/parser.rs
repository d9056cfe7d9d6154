use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::error::{Error, Result};

use super::ast::Statement;

/// Parses one or more `;`-separated statements. Errors are 42601 with the parser's message.
pub fn parse(sql: &str) -> Result<Vec<Statement>> {
    Parser::parse_sql(&PostgreSqlDialect {}, sql).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.strip_prefix("sql parser error: ").unwrap_or(&msg).to_string();
        Error::syntax(format!("syntax error: {msg}"))
    })
}
