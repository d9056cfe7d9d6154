//! `COPY ... [WITH] (option [value], ...)` with PostgreSQL's option values, which sqlparser's
//! own COPY parser narrows: it takes only `TRUE`/`FALSE` after a Boolean option, so pgbench's
//! `copy pgbench_accounts from stdin with (freeze on)` fails there.
//!
//! Only the parenthesized option list differs from sqlparser's `parse_copy`: anything else
//! (legacy options such as `WITH CSV HEADER`, no option list at all) is left to sqlparser by
//! failing here, which the statement loop in `parser.rs` takes as "not this form".
//! Boolean values follow PostgreSQL's `defGetBoolean`: none (true), `true`/`false`, `on`/`off`,
//! `1`/`0`, case-insensitive.

use sqlparser::ast::{CopyOption, CopySource, CopyTarget, Statement};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{IsOptional, Parser, ParserError};
use sqlparser::tokenizer::Token;

/// A COPY statement with a parenthesized option list.
pub(super) fn copy_with_option_list(p: &mut Parser) -> Result<Statement, ParserError> {
    p.expect_keyword_is(Keyword::COPY)?;
    let source = if p.consume_token(&Token::LParen) {
        let query = p.parse_query()?;
        p.expect_token(&Token::RParen)?;
        CopySource::Query(query)
    } else {
        let table_name = p.parse_object_name(false)?;
        let columns = p.parse_parenthesized_column_list(IsOptional::Optional, false)?;
        CopySource::Table { table_name, columns }
    };
    let to = match p.parse_one_of_keywords(&[Keyword::FROM, Keyword::TO]) {
        Some(Keyword::FROM) => false,
        Some(Keyword::TO) => true,
        _ => return p.expected_ref("FROM or TO", p.peek_token_ref()),
    };
    if !to && matches!(source, CopySource::Query(_)) {
        return Err(ParserError::ParserError(
            "COPY ... FROM does not support query as a source".into(),
        ));
    }
    let target = if p.parse_keyword(Keyword::STDIN) {
        CopyTarget::Stdin
    } else if p.parse_keyword(Keyword::STDOUT) {
        CopyTarget::Stdout
    } else if p.parse_keyword(Keyword::PROGRAM) {
        CopyTarget::Program {
            command: p.parse_literal_string()?,
        }
    } else {
        CopyTarget::File {
            filename: p.parse_literal_string()?,
        }
    };
    let _ = p.parse_keyword(Keyword::WITH);
    p.expect_token(&Token::LParen)?;
    let options = p.parse_comma_separated(copy_option)?;
    p.expect_token(&Token::RParen)?;
    // Legacy options after the list, and inline data, are sqlparser's to parse.
    if !matches!(p.peek_token_ref().token, Token::SemiColon | Token::EOF) {
        return p.expected_ref("end of statement", p.peek_token_ref());
    }
    Ok(Statement::Copy {
        source,
        to,
        target,
        options,
        legacy_options: vec![],
        values: vec![],
    })
}

fn copy_option(p: &mut Parser) -> Result<CopyOption, ParserError> {
    let Some(keyword) = p.parse_one_of_keywords(&[
        Keyword::FORMAT,
        Keyword::FREEZE,
        Keyword::DELIMITER,
        Keyword::NULL,
        Keyword::HEADER,
        Keyword::QUOTE,
        Keyword::ESCAPE,
        Keyword::FORCE_QUOTE,
        Keyword::FORCE_NOT_NULL,
        Keyword::FORCE_NULL,
        Keyword::ENCODING,
    ]) else {
        return p.expected_ref("COPY option", p.peek_token_ref());
    };
    Ok(match keyword {
        Keyword::FORMAT => CopyOption::Format(p.parse_identifier()?),
        Keyword::FREEZE => CopyOption::Freeze(boolean(p, "freeze")?),
        Keyword::HEADER => CopyOption::Header(boolean(p, "header")?),
        Keyword::DELIMITER => CopyOption::Delimiter(one_char(p)?),
        Keyword::QUOTE => CopyOption::Quote(one_char(p)?),
        Keyword::ESCAPE => CopyOption::Escape(one_char(p)?),
        Keyword::NULL => CopyOption::Null(p.parse_literal_string()?),
        Keyword::ENCODING => CopyOption::Encoding(p.parse_literal_string()?),
        Keyword::FORCE_QUOTE => {
            CopyOption::ForceQuote(p.parse_parenthesized_column_list(IsOptional::Mandatory, false)?)
        }
        Keyword::FORCE_NOT_NULL => {
            CopyOption::ForceNotNull(p.parse_parenthesized_column_list(IsOptional::Mandatory, false)?)
        }
        _ => CopyOption::ForceNull(p.parse_parenthesized_column_list(IsOptional::Mandatory, false)?),
    })
}

/// An optional Boolean value: absent means true.
fn boolean(p: &mut Parser, option: &str) -> Result<bool, ParserError> {
    let value = match &p.peek_token_ref().token {
        Token::Comma | Token::RParen => return Ok(true),
        Token::Word(w) => w.value.to_ascii_lowercase(),
        Token::SingleQuotedString(s) => s.to_ascii_lowercase(),
        Token::Number(n, _) => n.clone(),
        _ => String::new(),
    };
    let parsed = match value.as_str() {
        "true" | "on" | "1" => true,
        "false" | "off" | "0" => false,
        _ => return Err(ParserError::ParserError(format!("{option} requires a Boolean value"))),
    };
    p.next_token();
    Ok(parsed)
}

fn one_char(p: &mut Parser) -> Result<char, ParserError> {
    let s = p.parse_literal_string()?;
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(ParserError::ParserError(format!("Expect a char, found {s:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::ast::{CopyOption, Statement};
    use crate::sql::parse;

    fn options(sql: &str) -> Vec<CopyOption> {
        match parse(sql).unwrap().remove(0) {
            Statement::Copy { options, .. } => options,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn boolean_option_values_as_postgresql_takes_them() {
        assert_eq!(
            options("copy pgbench_accounts from stdin with (freeze on)"),
            [CopyOption::Freeze(true)]
        );
        assert_eq!(
            options("COPY t FROM STDIN (FORMAT csv, HEADER off, FREEZE 0, DELIMITER ';')"),
            [
                CopyOption::Format("csv".into()),
                CopyOption::Header(false),
                CopyOption::Freeze(false),
                CopyOption::Delimiter(';'),
            ]
        );
        assert_eq!(
            options("COPY t TO STDOUT WITH (HEADER, FREEZE TRUE)"),
            [CopyOption::Header(true), CopyOption::Freeze(true)]
        );
        // Legacy syntax still goes through sqlparser.
        match &parse("COPY t FROM STDIN WITH CSV HEADER").unwrap()[0] {
            Statement::Copy {
                options,
                legacy_options,
                ..
            } => assert!(options.is_empty() && !legacy_options.is_empty(), "{legacy_options:?}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse("COPY t FROM STDIN (FREEZE maybe)").unwrap_err().sqlstate(),
            "42601"
        );
    }
}
