//! Splits what the user typed into complete SQL statements, the way psql does: a `;` ends a
//! statement only outside string literals (`'...'`, `E'...'`, `$tag$...$tag$`), quoted
//! identifiers, comments (`--`, nested `/* */`) and parentheses. Text after the last `;` stays
//! pending until more input arrives. Knows nothing of SQL beyond its lexical shape.

/// Where the scanner stands at the end of the pending text; the prompt shows it as psql does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Continuation {
    /// Nothing pending, or the pending text ended between tokens.
    None,
    /// Inside a `'...'` literal.
    Quote,
    /// Inside a `"..."` identifier.
    DoubleQuote,
    /// Inside a `/* */` comment.
    Comment,
    /// Inside a `$tag$` literal.
    Dollar,
    /// Inside unclosed parentheses.
    Paren,
}

/// The result of splitting: the complete statements (each with its `;`) and the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub statements: Vec<String>,
    pub rest: String,
    pub continuation: Continuation,
}

#[derive(Clone)]
enum State {
    Normal,
    Quote { backslash_escapes: bool },
    DoubleQuote,
    LineComment,
    BlockComment { depth: usize },
    Dollar { tag: String },
}

/// Splits `input` at every statement-ending `;`. Statements holding nothing but whitespace and
/// comments (a bare `;`) are dropped, as psql sends nothing for them.
pub fn split(input: &str) -> Split {
    let chars: Vec<char> = input.chars().collect();
    let mut statements = Vec::new();
    let mut state = State::Normal;
    let mut parens = 0usize;
    let mut start = 0usize;
    // Whether the current statement has any token (not only whitespace/comments).
    let mut has_token = false;
    let mut i = 0usize;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match &mut state {
            State::Normal => match c {
                '\'' => {
                    let prefix = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
                    let before_prefix = i.checked_sub(2).and_then(|p| chars.get(p)).copied();
                    let escaped = matches!(prefix, Some('e' | 'E')) && !before_prefix.is_some_and(is_ident_char);
                    state = State::Quote {
                        backslash_escapes: escaped,
                    };
                    has_token = true;
                }
                '"' => {
                    state = State::DoubleQuote;
                    has_token = true;
                }
                '-' if next == Some('-') => {
                    state = State::LineComment;
                    i += 1;
                }
                '/' if next == Some('*') => {
                    state = State::BlockComment { depth: 1 };
                    i += 1;
                }
                '$' => {
                    has_token = true;
                    let preceded_by_ident = i
                        .checked_sub(1)
                        .and_then(|p| chars.get(p))
                        .is_some_and(|&p| is_ident_char(p));
                    if let Some(tag) = dollar_tag(&chars, i).filter(|_| !preceded_by_ident) {
                        i += tag.chars().count() - 1;
                        state = State::Dollar { tag };
                    }
                }
                '(' => {
                    parens += 1;
                    has_token = true;
                }
                ')' => {
                    parens = parens.saturating_sub(1);
                    has_token = true;
                }
                ';' if parens == 0 => {
                    if has_token {
                        statements.push(chars[start..=i].iter().collect::<String>().trim().to_string());
                    }
                    start = i + 1;
                    has_token = false;
                }
                c if c.is_whitespace() => {}
                _ => has_token = true,
            },
            State::Quote { backslash_escapes } => {
                if *backslash_escapes && c == '\\' {
                    i += 1;
                } else if c == '\'' {
                    if next == Some('\'') {
                        i += 1;
                    } else {
                        state = State::Normal;
                    }
                }
            }
            State::DoubleQuote => {
                if c == '"' {
                    if next == Some('"') {
                        i += 1;
                    } else {
                        state = State::Normal;
                    }
                }
            }
            State::LineComment => {
                if c == '\n' {
                    state = State::Normal;
                }
            }
            State::BlockComment { depth } => {
                if c == '/' && next == Some('*') {
                    *depth += 1;
                    i += 1;
                } else if c == '*' && next == Some('/') {
                    *depth -= 1;
                    i += 1;
                    if *depth == 0 {
                        state = State::Normal;
                    }
                }
            }
            State::Dollar { tag } => {
                if c == '$' && starts_with_at(&chars, i, tag) {
                    i += tag.chars().count() - 1;
                    state = State::Normal;
                }
            }
        }
        i += 1;
    }
    let rest: String = chars.get(start..).map(|r| r.iter().collect()).unwrap_or_default();
    let continuation = match state {
        State::Quote { .. } => Continuation::Quote,
        State::DoubleQuote => Continuation::DoubleQuote,
        State::BlockComment { .. } => Continuation::Comment,
        State::Dollar { .. } => Continuation::Dollar,
        State::Normal | State::LineComment if parens > 0 => Continuation::Paren,
        State::Normal | State::LineComment => Continuation::None,
    };
    let rest = if has_token || continuation != Continuation::None {
        rest
    } else {
        String::new()
    };
    Split {
        statements,
        rest,
        continuation,
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The `$tag$` opening at `at`, if one does: a tag is empty or an identifier not starting with
/// a digit (so `$1` stays a parameter).
fn dollar_tag(chars: &[char], at: usize) -> Option<String> {
    let mut end = at + 1;
    while let Some(&c) = chars.get(end) {
        if c == '$' {
            let body: String = chars.get(at + 1..end)?.iter().collect();
            if body.chars().next().is_some_and(|f| f.is_ascii_digit()) {
                return None;
            }
            return Some(format!("${body}$"));
        }
        if !is_ident_char(c) {
            return None;
        }
        end += 1;
    }
    None
}

fn starts_with_at(chars: &[char], at: usize, tag: &str) -> bool {
    tag.chars().enumerate().all(|(k, t)| chars.get(at + k) == Some(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_ends_at_semicolon_and_keeps_rest() {
        let s = split("select 1; select 2;\nselect");
        assert_eq!(s.statements, vec!["select 1;", "select 2;"]);
        assert_eq!(s.rest, "\nselect");
        assert_eq!(s.continuation, Continuation::None);
    }

    #[test]
    fn semicolon_in_string_literal_does_not_end() {
        let s = split("insert into t values ('a;b');");
        assert_eq!(s.statements, vec!["insert into t values ('a;b');"]);
        let s = split("select 'it''s;");
        assert!(s.statements.is_empty());
        assert_eq!(s.continuation, Continuation::Quote);
        let s = split("select 'it''s;'; x");
        assert_eq!(s.statements, vec!["select 'it''s;';"]);
        assert_eq!(s.rest, " x");
    }

    #[test]
    fn escape_string_backslash_quote() {
        // E'a\';' is the string «a';»: the backslash escapes the quote.
        let s = split("select E'a\\';'; select 2;");
        assert_eq!(s.statements, vec!["select E'a\\';';", "select 2;"]);
        // Without E, a backslash is an ordinary character (standard_conforming_strings).
        let s = split("select 'a\\'; select 2;");
        assert_eq!(s.statements, vec!["select 'a\\';", "select 2;"]);
    }

    #[test]
    fn semicolon_in_comments_and_identifiers() {
        let s = split("select 1 -- not; the end\n;");
        assert_eq!(s.statements, vec!["select 1 -- not; the end\n;"]);
        let s = split("select /* a /* nested; */ still; */ 1;");
        assert_eq!(s.statements.len(), 1);
        let s = split("select /* open; ");
        assert_eq!(s.continuation, Continuation::Comment);
        let s = split("select 1 as \"a;b\";");
        assert_eq!(s.statements, vec!["select 1 as \"a;b\";"]);
    }

    #[test]
    fn dollar_quotes_and_parameters() {
        let s = split("select $$a;b$$; select $x$ $$; $x$;");
        assert_eq!(s.statements, vec!["select $$a;b$$;", "select $x$ $$; $x$;"]);
        let s = split("select $1; select 2;");
        assert_eq!(s.statements, vec!["select $1;", "select 2;"]);
        let s = split("select $$ open;");
        assert_eq!(s.continuation, Continuation::Dollar);
    }

    #[test]
    fn parentheses_hold_semicolons() {
        let s = split("select (1;");
        assert!(s.statements.is_empty());
        assert_eq!(s.continuation, Continuation::Paren);
    }

    #[test]
    fn empty_statements_are_dropped() {
        let s = split(" ; -- nothing\n;");
        assert!(s.statements.is_empty());
        assert_eq!(s.rest, "");
        let s = split("   ");
        assert_eq!(s.rest, "");
    }
}
