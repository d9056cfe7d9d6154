//! `CREATE BLOCKCHAIN TABLE`: recognised before sqlparser sees the statement, parsed by
//! sqlparser's own CREATE TABLE parser, and marked so the DDL layer knows the table's kind.
//!
//! sqlparser's `Statement` is a closed enum, so the kind travels as a marker inside the
//! `CreateTable` it produced: a `with_tags` entry, a Snowflake-only clause the PostgreSQL
//! dialect never fills. Only this module writes or reads the marker ([`is_blockchain_table`]);
//! every other field (columns, constraints, `WITH (...)` options) is exactly sqlparser's
//! CREATE TABLE parse.

use sqlparser::ast::{CreateTable, Ident, ObjectName, Statement, Tag};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// The tag key no SQL text can produce under the PostgreSQL dialect.
const MARKER: &str = "\u{0}vellum_blockchain_table";

/// Whether the next tokens are `CREATE BLOCKCHAIN TABLE` (BLOCKCHAIN is not a keyword:
/// compared as a word, case-insensitively, unquoted only).
pub(super) fn starts_here(p: &Parser) -> bool {
    let is_word = |n: usize, text: &str| match &p.peek_nth_token_ref(n).token {
        Token::Word(w) => w.quote_style.is_none() && w.value.eq_ignore_ascii_case(text),
        _ => false,
    };
    is_word(0, "CREATE") && is_word(1, "BLOCKCHAIN") && is_word(2, "TABLE")
}

/// Parses `CREATE BLOCKCHAIN TABLE [IF NOT EXISTS] name (...) [WITH (...)]` (the caller has
/// checked [`starts_here`]).
pub(super) fn parse(p: &mut Parser) -> Result<Statement, ParserError> {
    p.expect_keyword_is(Keyword::CREATE)?;
    p.next_token(); // BLOCKCHAIN
    p.expect_keyword_is(Keyword::TABLE)?;
    let mut create = p.parse_create_table(false, false, false, None, false, false, None)?;
    if create.query.is_some() {
        return Err(ParserError::ParserError(
            "CREATE BLOCKCHAIN TABLE ... AS is not supported: create the table, then INSERT ... SELECT".into(),
        ));
    }
    if create.with_tags.is_some() {
        return Err(ParserError::ParserError("WITH TAG is not supported".into()));
    }
    create.with_tags = Some(vec![Tag::new(
        ObjectName::from(vec![Ident::new(MARKER)]),
        String::new(),
    )]);
    Ok(Statement::CreateTable(create))
}

/// Whether `create` came from `CREATE BLOCKCHAIN TABLE`.
pub fn is_blockchain_table(create: &CreateTable) -> bool {
    create
        .with_tags
        .as_ref()
        .is_some_and(|tags| tags.iter().any(|t| t.key.to_string() == MARKER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::ast::{CreateTableOptions, DataType};
    use crate::sql::parse;

    fn create(sql: &str) -> CreateTable {
        match parse(sql).unwrap().pop() {
            Some(Statement::CreateTable(c)) => c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn blockchain_table_keeps_the_create_table_parse() {
        let c = create(
            "create Blockchain table if not exists ledger (id int primary key, note text not null, \
             check (id > 0)) with (block_size = 10, block_seal_interval = '30 seconds')",
        );
        assert!(is_blockchain_table(&c));
        assert!(c.if_not_exists);
        assert_eq!(c.name.to_string(), "ledger");
        assert_eq!(c.columns.len(), 2);
        assert_eq!(c.columns[0].data_type, DataType::Int(None));
        assert_eq!(c.constraints.len(), 1);
        match &c.table_options {
            CreateTableOptions::With(options) => assert_eq!(options.len(), 2),
            other => panic!("{other:?}"),
        }
        assert!(!is_blockchain_table(&create("CREATE TABLE t (a int)")));
        // A table named blockchain is still an ordinary table.
        assert!(!is_blockchain_table(&create("CREATE TABLE blockchain (a int)")));
        assert!(!is_blockchain_table(&create("CREATE TABLE \"blockchain\" (a int)")));
    }

    #[test]
    fn errors_inside_are_reported() {
        let err = parse("CREATE BLOCKCHAIN TABLE t (a int,)").unwrap_err();
        assert_eq!(err.sqlstate(), "42601");
        let err = parse("CREATE BLOCKCHAIN TABLE t AS SELECT 1").unwrap_err();
        assert_eq!(err.sqlstate(), "42601");
        assert!(parse("CREATE BLOCKCHAIN t (a int)").is_err());
    }
}
