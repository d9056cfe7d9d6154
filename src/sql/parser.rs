//! Statement parsing with the PostgreSQL dialect.
//!
//! sqlparser's `parse_statements` loop is reproduced here rather than called, so that Vellum
//! can recognise statement forms sqlparser does not know before handing the rest to
//! `parse_statement` (the extension point: `Dialect::parse_statement` must return sqlparser's
//! closed `Statement` enum, so forms are matched here, at the statement boundary).
//! Forms handled here: `CREATE TABLE t (a, b) AS query` (column names without types),
//! `COPY ... WITH (option value, ...)` with PostgreSQL's Boolean option values (`copy.rs`),
//! PostgreSQL's `VACUUM` and `ANALYZE` (`vacuum.rs`; one statement per named table),
//! `CREATE BLOCKCHAIN TABLE` (`sql::blockchain`), `CREATE/DROP SIGNER` (`sql::signer`), and
//! PostgreSQL's `CREATE USER` (sqlparser reads another dialect's form), which is `CREATE ROLE`
//! with LOGIN unless NOLOGIN is given.

use sqlparser::ast::helpers::stmt_create_table::CreateTableBuilder;
use sqlparser::ast::{ColumnDef, DataType};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{IsOptional, Parser, ParserError};
use sqlparser::tokenizer::Token;

use crate::error::{Error, Result};

use super::ast::Statement;
use super::copy::copy_with_option_list;
use super::vacuum::vacuum_or_analyze;

/// How deeply expressions may nest. sqlparser's default (50) rejects machine-generated
/// predicates that PostgreSQL accepts (sqllogictest's `index/between` nests ~60 levels);
/// the bound keeps parser recursion well inside a 2 MiB thread stack.
const RECURSION_LIMIT: usize = 200;

/// Parses one or more `;`-separated statements. Errors are 42601 with the parser's message.
pub fn parse(sql: &str) -> Result<Vec<Statement>> {
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect)
        .with_recursion_limit(RECURSION_LIMIT)
        .try_with_sql(sql)
        .map_err(syntax)?;
    let mut statements = Vec::new();
    let mut expecting_delimiter = false;
    loop {
        while parser.consume_token(&Token::SemiColon) {
            expecting_delimiter = false;
        }
        if parser.peek_token_ref().token == Token::EOF {
            break;
        }
        if expecting_delimiter {
            return Err(syntax(
                parser
                    .expected_ref::<()>("end of statement", parser.peek_token_ref())
                    .unwrap_err(),
            ));
        }
        if super::blockchain::starts_here(&parser) {
            statements.push(super::blockchain::parse(&mut parser).map_err(syntax)?);
            expecting_delimiter = true;
            continue;
        }
        if super::signer::starts_here(&parser) {
            statements.push(super::signer::parse(&mut parser).map_err(syntax)?);
            expecting_delimiter = true;
            continue;
        }
        if parser.peek_keyword(Keyword::VACUUM) || parser.peek_keyword(Keyword::ANALYZE) {
            statements.extend(vacuum_or_analyze(&mut parser).map_err(syntax)?);
            expecting_delimiter = true;
            continue;
        }
        let own = if parser.peek_keyword(Keyword::COPY) {
            parser.maybe_parse(copy_with_option_list)
        } else {
            parser.maybe_parse(create_table_as_with_names)
        };
        let statement = match own.map_err(syntax)? {
            Some(statement) => statement,
            None => match parser.maybe_parse(create_user).map_err(syntax)? {
                Some(statement) => statement,
                None => parser.parse_statement().map_err(syntax)?,
            },
        };
        statements.push(statement);
        expecting_delimiter = true;
    }
    Ok(statements)
}

fn syntax(e: ParserError) -> Error {
    let msg = e.to_string();
    let msg = msg.strip_prefix("sql parser error: ").unwrap_or(&msg).to_string();
    Error::syntax(format!("syntax error: {msg}"))
}

/// `CREATE USER name [WITH] options`: a `CREATE ROLE` that may log in by default.
fn create_user(p: &mut Parser) -> std::result::Result<Statement, ParserError> {
    p.expect_keyword_is(Keyword::CREATE)?;
    p.expect_keyword_is(Keyword::USER)?;
    let mut create = p.parse_create_role()?;
    create.login.get_or_insert(true);
    Ok(Statement::CreateRole(create))
}

/// `CREATE [TEMP] TABLE [IF NOT EXISTS] name (col, ...) AS query`: column names only, types
/// taken from the query (the column definitions carry `DataType::Unspecified`).
fn create_table_as_with_names(p: &mut Parser) -> std::result::Result<Statement, ParserError> {
    p.expect_keyword_is(Keyword::CREATE)?;
    let temporary = p.parse_one_of_keywords(&[Keyword::TEMP, Keyword::TEMPORARY]).is_some();
    p.expect_keyword_is(Keyword::TABLE)?;
    let if_not_exists = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    let name = p.parse_object_name(false)?;
    let names = p.parse_parenthesized_column_list(IsOptional::Mandatory, false)?;
    p.expect_keyword_is(Keyword::AS)?;
    let query = p.parse_query()?;
    let columns = names
        .into_iter()
        .map(|name| ColumnDef {
            name,
            data_type: DataType::Unspecified,
            options: vec![],
        })
        .collect();
    Ok(Statement::CreateTable(
        CreateTableBuilder::new(name)
            .temporary(temporary)
            .if_not_exists(if_not_exists)
            .columns(columns)
            .query(Some(query))
            .build(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_table_as_with_column_names() {
        let statements = parse("CREATE TABLE t (a, b) AS SELECT 1, 2; SELECT 1").unwrap();
        assert_eq!(statements.len(), 2);
        match &statements[0] {
            Statement::CreateTable(c) => {
                assert_eq!(
                    c.columns.iter().map(|c| c.name.value.as_str()).collect::<Vec<_>>(),
                    ["a", "b"]
                );
                assert!(c.query.is_some());
            }
            other => panic!("{other:?}"),
        }
        // Ordinary CREATE TABLE still goes through sqlparser.
        match &parse("CREATE TABLE t (a int, b text)").unwrap()[0] {
            Statement::CreateTable(c) => assert_eq!(c.columns[0].data_type, DataType::Int(None)),
            other => panic!("{other:?}"),
        }
        assert_eq!(parse("SELECT 1 SELECT 2").unwrap_err().sqlstate(), "42601");
        assert_eq!(parse("SELECT 1;;  ; SELECT 2;").unwrap().len(), 2);
    }
}
