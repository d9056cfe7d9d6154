//! `CREATE SIGNER` and `DROP SIGNER`, Vellum's statements for block signers:
//!
//! ```text
//! CREATE SIGNER name PUBLIC KEY 'hex'     register an external signer (64 hex digits)
//! CREATE SIGNER name GENERATE KEY         a server-held key, signing at seal time
//! DROP SIGNER [ IF EXISTS ] name
//! ```
//!
//! Recognised before sqlparser sees the statement (SIGNER is not a keyword: compared as a
//! word). sqlparser's `Statement` is a closed enum, so each travels as the DuckDB-only
//! `CREATE SECRET` / `DROP SECRET` form with a storage specifier no SQL text can produce;
//! only this module writes or reads that marker ([`signer_statement`]).

use sqlparser::ast::{Ident, SecretOption, Statement};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use super::names::ident;

/// The storage specifier no SQL text can produce.
const MARKER: &str = "\u{0}vellum_signer";

/// A parsed signer statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerStatement {
    /// `CREATE SIGNER name PUBLIC KEY 'hex'` (`Some(hex)`) or `... GENERATE KEY` (`None`).
    Create {
        name: String,
        public_key: Option<String>,
    },
    Drop {
        name: String,
        if_exists: bool,
    },
}

fn is_word(p: &Parser, n: usize, text: &str) -> bool {
    match &p.peek_nth_token_ref(n).token {
        Token::Word(w) => w.quote_style.is_none() && w.value.eq_ignore_ascii_case(text),
        _ => false,
    }
}

/// Whether the next tokens are `CREATE SIGNER` or `DROP SIGNER`.
pub(super) fn starts_here(p: &Parser) -> bool {
    (is_word(p, 0, "CREATE") || is_word(p, 0, "DROP")) && is_word(p, 1, "SIGNER")
}

/// Parses a signer statement (the caller has checked [`starts_here`]).
pub(super) fn parse(p: &mut Parser) -> Result<Statement, ParserError> {
    let create = p.parse_keyword(Keyword::CREATE);
    if !create {
        p.expect_keyword_is(Keyword::DROP)?;
    }
    p.next_token(); // SIGNER
    if !create {
        let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
        let name = p.parse_identifier()?;
        return Ok(Statement::DropSecret {
            if_exists,
            temporary: None,
            name,
            storage_specifier: Some(Ident::new(MARKER)),
        });
    }
    let name = p.parse_identifier()?;
    let (secret_type, options) = if is_word(p, 0, "GENERATE") {
        p.next_token();
        p.expect_keyword_is(Keyword::KEY)?;
        ("generate", vec![])
    } else if p.parse_keywords(&[Keyword::PUBLIC, Keyword::KEY]) {
        let hex = p.parse_literal_string()?;
        let option = SecretOption {
            key: Ident::new("public_key"),
            value: Ident::with_quote('\'', hex),
        };
        ("public_key", vec![option])
    } else {
        return p.expected_ref("PUBLIC KEY 'hex' or GENERATE KEY", p.peek_token_ref());
    };
    Ok(Statement::CreateSecret {
        or_replace: false,
        temporary: None,
        if_not_exists: false,
        name: Some(name),
        storage_specifier: Some(Ident::new(MARKER)),
        secret_type: Ident::new(secret_type),
        options,
    })
}

/// The signer statement `statement` carries, if it is one.
pub fn signer_statement(statement: &Statement) -> Option<SignerStatement> {
    let marked = |s: &Option<Ident>| s.as_ref().is_some_and(|s| s.value == MARKER);
    match statement {
        Statement::CreateSecret {
            name: Some(name),
            storage_specifier,
            secret_type,
            options,
            ..
        } if marked(storage_specifier) => Some(SignerStatement::Create {
            name: ident(name),
            public_key: match secret_type.value.as_str() {
                "public_key" => Some(options.first()?.value.value.clone()),
                _ => None,
            },
        }),
        Statement::DropSecret {
            if_exists,
            name,
            storage_specifier,
            ..
        } if marked(storage_specifier) => Some(SignerStatement::Drop {
            name: ident(name),
            if_exists: *if_exists,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse;

    fn one(sql: &str) -> Option<SignerStatement> {
        let mut statements = parse(sql).unwrap();
        assert_eq!(statements.len(), 1);
        signer_statement(&statements.remove(0))
    }

    #[test]
    fn signer_statements() {
        assert_eq!(
            one("create signer Alice public key 'ab01'"),
            Some(SignerStatement::Create {
                name: "alice".into(),
                public_key: Some("ab01".into())
            })
        );
        assert_eq!(
            one("CREATE SIGNER \"Bob\" GENERATE KEY;"),
            Some(SignerStatement::Create {
                name: "Bob".into(),
                public_key: None
            })
        );
        assert_eq!(
            one("DROP SIGNER IF EXISTS carol"),
            Some(SignerStatement::Drop {
                name: "carol".into(),
                if_exists: true
            })
        );
        assert_eq!(
            one("drop signer carol"),
            Some(SignerStatement::Drop {
                name: "carol".into(),
                if_exists: false
            })
        );
        // A table named signer is untouched.
        assert_eq!(one("DROP TABLE signer"), None);
        for bad in [
            "CREATE SIGNER a",
            "CREATE SIGNER a PUBLIC KEY",
            "CREATE SIGNER a GENERATE",
            "CREATE SIGNER a PUBLIC KEY 'ab' extra",
            "DROP SIGNER",
        ] {
            assert_eq!(parse(bad).unwrap_err().sqlstate(), "42601", "{bad}");
        }
    }
}
