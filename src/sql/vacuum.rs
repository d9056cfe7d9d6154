//! PostgreSQL's `VACUUM` and `ANALYZE`, which sqlparser parses only in Redshift's form (one
//! table, no option list) or not for the PostgreSQL dialect at all:
//!
//! ```text
//! VACUUM [ ( option [ value ] [, ...] ) ] [ FULL ] [ FREEZE ] [ VERBOSE ] [ ANALYZE ] [ table [ ( column [, ...] ) ] [, ...] ]
//! ANALYZE [ ( option [ value ] [, ...] ) ] [ VERBOSE ] [ table [ ( column [, ...] ) ] [, ...] ]
//! ```
//!
//! Each statement becomes one sqlparser `Statement::Vacuum` (or `Statement::Analyze`) per named
//! table, or a single one without a table; options are checked for form only, since Vellum has
//! neither dead row versions nor planner statistics for them to act on. A list of tables thus
//! cannot be prepared as one statement over the extended protocol (42601), where PostgreSQL
//! accepts it.

use sqlparser::ast::{Analyze, Ident, ObjectName, Statement, VacuumStatement};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{IsOptional, Parser, ParserError};
use sqlparser::tokenizer::Token;

/// `VACUUM ...` or `ANALYZE ...` (the caller peeked one of the two keywords).
pub(super) fn vacuum_or_analyze(p: &mut Parser) -> Result<Vec<Statement>, ParserError> {
    let vacuum = match p.parse_one_of_keywords(&[Keyword::VACUUM, Keyword::ANALYZE]) {
        Some(Keyword::VACUUM) => true,
        Some(_) => false,
        None => return p.expected_ref("VACUUM or ANALYZE", p.peek_token_ref()),
    };
    let mut full = false;
    if p.consume_token(&Token::LParen) {
        p.parse_comma_separated(|p| {
            let name = p.parse_identifier()?;
            full |= vacuum && name.value.eq_ignore_ascii_case("full");
            // An option's optional value: a Boolean word, a number or a quoted string.
            if !matches!(p.peek_token_ref().token, Token::Comma | Token::RParen) {
                p.next_token();
            }
            Ok(())
        })?;
        p.expect_token(&Token::RParen)?;
    } else {
        let flags: &[Keyword] = if vacuum {
            &[Keyword::FULL, Keyword::FREEZE, Keyword::VERBOSE, Keyword::ANALYZE]
        } else {
            &[Keyword::VERBOSE]
        };
        for flag in flags {
            let found = p.parse_keyword(*flag);
            full |= found && *flag == Keyword::FULL;
        }
    }
    let mut tables: Vec<(ObjectName, Vec<Ident>)> = Vec::new();
    if !matches!(p.peek_token_ref().token, Token::SemiColon | Token::EOF) {
        tables = p.parse_comma_separated(|p| {
            let name = p.parse_object_name(false)?;
            let columns = p.parse_parenthesized_column_list(IsOptional::Optional, false)?;
            Ok((name, columns))
        })?;
    }
    if !matches!(p.peek_token_ref().token, Token::SemiColon | Token::EOF) {
        return p.expected_ref("end of statement", p.peek_token_ref());
    }
    let one = |table: Option<(ObjectName, Vec<Ident>)>| {
        let (table_name, columns) = table.map_or((None, vec![]), |(t, c)| (Some(t), c));
        if vacuum {
            Statement::Vacuum(VacuumStatement {
                full,
                sort_only: false,
                delete_only: false,
                reindex: false,
                recluster: false,
                table_name,
                threshold: None,
                boost: false,
            })
        } else {
            Statement::Analyze(Analyze {
                table_name,
                partitions: None,
                for_columns: false,
                columns,
                cache_metadata: false,
                noscan: false,
                compute_statistics: false,
                has_table_keyword: false,
            })
        }
    };
    Ok(if tables.is_empty() {
        vec![one(None)]
    } else {
        tables.into_iter().map(|t| one(Some(t))).collect()
    })
}

#[cfg(test)]
mod tests {
    use crate::sql::ast::Statement;
    use crate::sql::parse;

    fn tables(sql: &str) -> Vec<(bool, Option<String>)> {
        parse(sql)
            .unwrap()
            .into_iter()
            .map(|s| match s {
                Statement::Vacuum(v) => (true, v.table_name.map(|t| t.to_string())),
                Statement::Analyze(a) => (false, a.table_name.map(|t| t.to_string())),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn postgresql_forms() {
        assert_eq!(
            tables("vacuum analyze pgbench_branches"),
            [(true, Some("pgbench_branches".into()))]
        );
        assert_eq!(tables("VACUUM"), [(true, None)]);
        assert_eq!(
            tables("VACUUM (VERBOSE, ANALYZE on, PARALLEL 2) a, s.b (x, y); ANALYZE VERBOSE c"),
            [
                (true, Some("a".into())),
                (true, Some("s.b".into())),
                (false, Some("c".into()))
            ]
        );
        assert_eq!(tables("analyze"), [(false, None)]);
        assert_eq!(parse("VACUUM FULL FULL t").unwrap_err().sqlstate(), "42601");
        assert_eq!(parse("VACUUM t u").unwrap_err().sqlstate(), "42601");
    }
}
