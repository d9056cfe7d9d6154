//! LIKE/ILIKE matching and POSIX-style regular expressions (through the `regex` crate, with
//! compiled patterns cached per thread since patterns are usually constants).

use crate::error::{sqlstate, Error, Result};

/// SQL `LIKE`/`ILIKE` matching with `%`, `_` and an escape character (default `\`).
pub fn like_match(text: &str, pattern: &str, escape: Option<char>, case_insensitive: bool) -> Result<bool> {
    #[derive(PartialEq)]
    enum Tok {
        Any,
        One,
        Lit(char),
    }
    let esc = escape.or(Some('\\'));
    let fold = |c: char| {
        if case_insensitive {
            c.to_lowercase().next().unwrap_or(c)
        } else {
            c
        }
    };
    let mut toks = Vec::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if Some(c) == esc {
            match chars.next() {
                Some(n) => toks.push(Tok::Lit(fold(n))),
                None => {
                    return Err(Error::sql(
                        sqlstate::INVALID_ESCAPE_SEQUENCE,
                        "LIKE pattern must not end with escape character",
                    ))
                }
            }
        } else if c == '%' {
            if toks.last() != Some(&Tok::Any) {
                toks.push(Tok::Any);
            }
        } else if c == '_' {
            toks.push(Tok::One);
        } else {
            toks.push(Tok::Lit(fold(c)));
        }
    }
    let s: Vec<char> = text.chars().map(fold).collect();
    // Greedy matcher with backtracking to the last `%` only: linear in practice.
    let (mut si, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match toks.get(pi) {
            Some(Tok::Any) => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(Tok::One) => {
                si += 1;
                pi += 1;
            }
            Some(Tok::Lit(c)) if *c == s[si] => {
                si += 1;
                pi += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return Ok(false),
            },
        }
    }
    Ok(toks[pi..].iter().all(|t| *t == Tok::Any))
}

thread_local! {
    /// Patterns are usually constants: compiling once per pattern keeps `~` off the hot path.
    static REGEX_CACHE: std::cell::RefCell<Vec<(String, bool, regex::Regex)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Compiles (cached) a POSIX-style regular expression; invalid → 2201B.
pub fn compile_regex(pattern: &str, case_insensitive: bool) -> Result<regex::Regex> {
    REGEX_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((_, _, re)) = cache.iter().find(|(p, ci, _)| p == pattern && *ci == case_insensitive) {
            return Ok(re.clone());
        }
        let re = regex::RegexBuilder::new(pattern)
            .case_insensitive(case_insensitive)
            .build()
            .map_err(|e| {
                Error::sql(
                    sqlstate::INVALID_REGULAR_EXPRESSION,
                    format!("invalid regular expression: {}", regex_error_text(&e)),
                )
            })?;
        if cache.len() >= 32 {
            cache.remove(0);
        }
        cache.push((pattern.to_string(), case_insensitive, re.clone()));
        Ok(re)
    })
}

/// The regex crate's syntax errors span several lines (pattern, caret, reason); PostgreSQL's
/// messages are one line, so keep only the reason.
fn regex_error_text(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map(str::to_string)
        .unwrap_or_else(|| text.lines().next().unwrap_or_default().to_string())
}

/// PostgreSQL's `similar_to_escape`: a SQL `SIMILAR TO` pattern as a POSIX regular expression
/// (`a SIMILAR TO b` is `a ~ similar_to_escape(b)`). `%` and `_` become `.*` and `.`, groups are
/// non-capturing, the whole pattern is anchored; `escape` (default `\`) quotes the next character.
pub fn similar_to_regex(pattern: &str, escape: Option<char>) -> Result<String> {
    let mut out = String::with_capacity(pattern.len() + 8);
    out.push_str("^(?:");
    let mut after_escape = false;
    let mut in_class = false;
    for c in pattern.chars() {
        if after_escape {
            if !c.is_alphanumeric() {
                out.push('\\');
            }
            out.push(c);
            after_escape = false;
        } else if Some(c) == escape {
            after_escape = true;
        } else if in_class {
            if c == '\\' {
                out.push('\\');
            }
            out.push(c);
            if c == ']' {
                in_class = false;
            }
        } else {
            match c {
                '[' => {
                    in_class = true;
                    out.push('[');
                }
                '%' => out.push_str(".*"),
                '_' => out.push('.'),
                '(' => out.push_str("(?:"),
                '\\' | '.' | '^' | '$' => {
                    out.push('\\');
                    out.push(c);
                }
                c => out.push(c),
            }
        }
    }
    if after_escape {
        return Err(Error::sql(sqlstate::INVALID_ESCAPE_SEQUENCE, "invalid escape string")
            .with_hint("Escape string must be empty or one character."));
    }
    out.push_str(")$");
    Ok(out)
}

pub fn regex_match(text: &str, pattern: &str, case_insensitive: bool) -> Result<bool> {
    Ok(compile_regex(pattern, case_insensitive)?.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_errors_are_one_line() {
        let e = regex_match("x", "(", false).unwrap_err();
        assert_eq!(e.sqlstate(), "2201B");
        assert_eq!(e.message(), "invalid regular expression: unclosed group");
        assert!(regex_match("Hello", "^h", true).unwrap());
    }

    #[test]
    fn similar_to_as_regex() {
        let m = |s: &str, p: &str| regex_match(s, &similar_to_regex(p, Some('\\')).unwrap(), false).unwrap();
        // PostgreSQL 15: 'abc' SIMILAR TO 'abc' / 'a' / '%(b|d)%' / '(b|c)%'; 'a.c' SIMILAR TO 'a.c'
        assert!(m("abc", "abc"));
        assert!(!m("abc", "a"));
        assert!(m("abc", "%(b|d)%"));
        assert!(!m("abc", "(b|c)%"));
        assert!(m("a.c", "a.c"));
        assert!(!m("abc", "a.c"));
        assert!(m("a_c", "a\\_c"));
        assert!(!m("abc", "a\\_c"));
        assert!(m("aaa", "a+"));
        assert!(m("b", "[a-c]"));
    }

    #[test]
    fn like_patterns() {
        assert!(like_match("hello", "h%o", None, false).unwrap());
        assert!(like_match("hello", "h_llo", None, false).unwrap());
        assert!(!like_match("hello", "h_lo", None, false).unwrap());
        assert!(like_match("HeLLo", "hel%", None, true).unwrap());
        assert!(!like_match("HeLLo", "hel%", None, false).unwrap());
        assert!(like_match("50%", "50\\%", None, false).unwrap());
        assert!(!like_match("500", "50\\%", None, false).unwrap());
        assert!(like_match("a_b", "a#_b", Some('#'), false).unwrap());
        assert!(like_match("", "%", None, false).unwrap());
        assert!(like_match("abcabc", "%abc", None, false).unwrap());
        assert!(like_match("mississippi", "%iss%pi", None, false).unwrap());
        assert_eq!(like_match("a", "a\\", None, false).unwrap_err().sqlstate(), "22025");
    }
}
