//! COPY's data formats on the wire: text (tab-separated, backslash escapes, `\N` for NULL) and
//! CSV (RFC 4180 quoting, unquoted empty field for NULL), as PostgreSQL 15 reads and writes them.
//!
//! Incoming data arrives in CopyData chunks that split rows anywhere (even inside a UTF-8
//! sequence or a quoted CSV field); `CopyReader` keeps the unfinished tail between chunks and
//! scans each byte once. The rows go to `Session::copy_in`; this file never touches the engine.

use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{CopyLegacyCsvOption, CopyLegacyOption, CopyOption};

/// The options of one COPY statement that shape its data.
#[derive(Debug, Clone)]
pub struct CopyFormat {
    pub csv: bool,
    pub delimiter: u8,
    pub null: String,
    pub header: bool,
    pub quote: u8,
    pub escape: u8,
}

fn one_byte(c: char, what: &str) -> Result<u8> {
    u8::try_from(c as u32)
        .ok()
        .filter(u8::is_ascii)
        .ok_or_else(|| Error::unsupported(format!("COPY {what} must be a single one-byte character")))
}

impl CopyFormat {
    pub fn from_options(options: &[CopyOption], legacy: &[CopyLegacyOption]) -> Result<CopyFormat> {
        let mut csv = false;
        let (mut delimiter, mut null, mut header, mut quote, mut escape) = (None, None, false, None, None);
        for option in options {
            match option {
                CopyOption::Format(name) => match name.value.to_ascii_lowercase().as_str() {
                    "text" => csv = false,
                    "csv" => csv = true,
                    "binary" => return Err(Error::unsupported("COPY in binary format")),
                    other => {
                        return Err(Error::sql(
                            sqlstate::INVALID_PARAMETER_VALUE,
                            format!("COPY format \"{other}\" not recognized"),
                        ))
                    }
                },
                CopyOption::Delimiter(c) => delimiter = Some(one_byte(*c, "delimiter")?),
                CopyOption::Null(s) => null = Some(s.clone()),
                CopyOption::Header(h) => header = *h,
                CopyOption::Quote(c) => quote = Some(one_byte(*c, "quote")?),
                CopyOption::Escape(c) => escape = Some(one_byte(*c, "escape")?),
                // A hint that rows may be stored frozen (pgbench sends it); Vellum has no
                // row-visibility bits to set, so every COPY already is what FREEZE asks for.
                CopyOption::Freeze(_) => {}
                CopyOption::Encoding(e) if e.eq_ignore_ascii_case("utf8") || e.eq_ignore_ascii_case("utf-8") => {}
                other => return Err(Error::unsupported(format!("COPY option {other}"))),
            }
        }
        for option in legacy {
            match option {
                CopyLegacyOption::Binary => return Err(Error::unsupported("COPY in binary format")),
                CopyLegacyOption::Delimiter(c) => delimiter = Some(one_byte(*c, "delimiter")?),
                CopyLegacyOption::Null(s) => null = Some(s.clone()),
                CopyLegacyOption::Csv(csv_options) => {
                    csv = true;
                    for o in csv_options {
                        match o {
                            CopyLegacyCsvOption::Header => header = true,
                            CopyLegacyCsvOption::Quote(c) => quote = Some(one_byte(*c, "quote")?),
                            CopyLegacyCsvOption::Escape(c) => escape = Some(one_byte(*c, "escape")?),
                            other => return Err(Error::unsupported(format!("COPY option {other}"))),
                        }
                    }
                }
                other => return Err(Error::unsupported(format!("COPY option {other}"))),
            }
        }
        if !csv && (quote.is_some() || escape.is_some()) {
            return Err(Error::unsupported(
                "COPY quote and escape are available only in CSV mode",
            ));
        }
        let delimiter = delimiter.unwrap_or(if csv { b',' } else { b'\t' });
        let quote = quote.unwrap_or(b'"');
        if delimiter == b'\n' || delimiter == b'\r' || (!csv && delimiter == b'\\') {
            return Err(Error::sql(
                sqlstate::INVALID_PARAMETER_VALUE,
                "COPY delimiter cannot be newline, carriage return or backslash",
            ));
        }
        if csv && delimiter == quote {
            return Err(Error::sql(
                sqlstate::INVALID_PARAMETER_VALUE,
                "COPY delimiter and quote must be different",
            ));
        }
        Ok(CopyFormat {
            csv,
            delimiter,
            null: null.unwrap_or_else(|| if csv { String::new() } else { "\\N".into() }),
            header,
            quote,
            escape: escape.unwrap_or(quote),
        })
    }

    /// Appends one row (text values, `None` for NULL) in this format, newline included.
    pub fn write_row(&self, fields: &[Option<String>], out: &mut Vec<u8>) {
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                out.push(self.delimiter);
            }
            match field {
                None => out.extend_from_slice(self.null.as_bytes()),
                Some(s) if self.csv => self.write_csv_field(s, out),
                Some(s) => self.write_text_field(s, out),
            }
        }
        out.push(b'\n');
    }

    fn write_text_field(&self, s: &str, out: &mut Vec<u8>) {
        for &b in s.as_bytes() {
            match b {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' if self.delimiter == b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0c => out.extend_from_slice(b"\\f"),
                0x0b => out.extend_from_slice(b"\\v"),
                b if b == self.delimiter => {
                    out.push(b'\\');
                    out.push(b);
                }
                b => out.push(b),
            }
        }
    }

    fn write_csv_field(&self, s: &str, out: &mut Vec<u8>) {
        let needs_quotes = s == self.null
            || s == "\\."
            || s.bytes()
                .any(|b| b == self.delimiter || b == self.quote || b == b'\n' || b == b'\r');
        if !needs_quotes {
            out.extend_from_slice(s.as_bytes());
            return;
        }
        out.push(self.quote);
        for &b in s.as_bytes() {
            if b == self.quote || b == self.escape {
                out.push(self.escape);
            }
            out.push(b);
        }
        out.push(self.quote);
    }
}

/// Splits a COPY FROM stream into rows of text fields.
pub struct CopyReader {
    format: CopyFormat,
    columns: Vec<String>,
    pending: Vec<u8>,
    /// Where scanning resumes in `pending`, and whether that point is inside CSV quotes.
    scanned: usize,
    in_quotes: bool,
    line: usize,
    ended: bool,
    pub rows: Vec<Vec<Option<String>>>,
}

impl CopyReader {
    pub fn new(format: CopyFormat, columns: Vec<String>) -> CopyReader {
        CopyReader {
            format,
            columns,
            pending: Vec::new(),
            scanned: 0,
            in_quotes: false,
            line: 0,
            ended: false,
            rows: Vec::new(),
        }
    }

    /// Takes one CopyData chunk.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<()> {
        if self.ended {
            return Ok(());
        }
        self.pending.extend_from_slice(chunk);
        let mut start = 0;
        let mut i = self.scanned;
        while i < self.pending.len() {
            let b = self.pending[i];
            if self.format.csv && b == self.format.quote {
                self.in_quotes = !self.in_quotes;
            } else if b == b'\n' && !self.in_quotes {
                let record = self.pending[start..i].to_vec();
                start = i + 1;
                self.record(&record)?;
                if self.ended {
                    break;
                }
            }
            i += 1;
        }
        self.pending.drain(..start);
        self.scanned = self.pending.len();
        Ok(())
    }

    /// The stream ended (CopyDone): a last row without a newline still counts.
    pub fn finish(mut self) -> Result<Vec<Vec<Option<String>>>> {
        if !self.ended && !self.pending.is_empty() {
            if self.in_quotes {
                return Err(bad_copy("unterminated CSV quoted field"));
            }
            let record = std::mem::take(&mut self.pending);
            self.record(&record)?;
        }
        Ok(self.rows)
    }

    fn record(&mut self, raw: &[u8]) -> Result<()> {
        self.line += 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw == b"\\." {
            self.ended = true;
            return Ok(());
        }
        if self.line == 1 && self.format.header {
            return Ok(());
        }
        let text = std::str::from_utf8(raw).map_err(|_| {
            Error::sql(
                sqlstate::CHARACTER_NOT_IN_REPERTOIRE,
                "invalid byte sequence for encoding \"UTF8\"",
            )
        })?;
        let fields = if self.format.csv {
            self.csv_fields(text)
        } else {
            self.text_fields(text)
        };
        if fields.len() > self.columns.len() {
            return Err(
                bad_copy("extra data after last expected column").with_detail(format!("COPY line {}", self.line))
            );
        }
        if let Some(missing) = self.columns.get(fields.len()) {
            return Err(bad_copy(format!("missing data for column \"{missing}\""))
                .with_detail(format!("COPY line {}", self.line)));
        }
        self.rows.push(fields);
        Ok(())
    }

    fn text_fields(&self, line: &str) -> Vec<Option<String>> {
        let delimiter = self.format.delimiter as char;
        let mut fields = Vec::new();
        let mut raw_start = 0;
        let mut value = String::new();
        let mut chars = line.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            if c == delimiter {
                fields.push(self.text_field(&line[raw_start..at], std::mem::take(&mut value)));
                raw_start = at + c.len_utf8();
                continue;
            }
            if c != '\\' {
                value.push(c);
                continue;
            }
            let Some((_, e)) = chars.next() else {
                break;
            };
            match e {
                'b' => value.push('\x08'),
                'f' => value.push('\x0c'),
                'n' => value.push('\n'),
                'r' => value.push('\r'),
                't' => value.push('\t'),
                'v' => value.push('\x0b'),
                '0'..='7' => {
                    let mut code = e.to_digit(8).unwrap_or(0);
                    for _ in 0..2 {
                        match chars.peek().and_then(|(_, d)| d.to_digit(8)) {
                            Some(d) => {
                                code = code * 8 + d;
                                chars.next();
                            }
                            None => break,
                        }
                    }
                    value.push(char::from_u32(code & 0xff).unwrap_or('\u{fffd}'));
                }
                'x' if chars.peek().is_some_and(|(_, d)| d.is_ascii_hexdigit()) => {
                    let mut code = 0;
                    for _ in 0..2 {
                        match chars.peek().and_then(|(_, d)| d.to_digit(16)) {
                            Some(d) => {
                                code = code * 16 + d;
                                chars.next();
                            }
                            None => break,
                        }
                    }
                    value.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                other => value.push(other),
            }
        }
        fields.push(self.text_field(&line[raw_start..], value));
        fields
    }

    /// The NULL marker is matched against the field as written, before de-escaping.
    fn text_field(&self, raw: &str, value: String) -> Option<String> {
        (raw != self.format.null).then_some(value)
    }

    fn csv_fields(&self, record: &str) -> Vec<Option<String>> {
        let CopyFormat {
            delimiter,
            quote,
            escape,
            ..
        } = self.format;
        let (delimiter, quote, escape) = (delimiter as char, quote as char, escape as char);
        let mut fields = Vec::new();
        let mut value = String::new();
        let mut raw = String::new();
        let mut quoted = false;
        let mut in_quotes = false;
        let mut chars = record.chars().peekable();
        while let Some(c) = chars.next() {
            if in_quotes {
                if c == escape
                    && chars
                        .peek()
                        .is_some_and(|n| *n == quote || (*n == escape && escape != quote))
                {
                    if let Some(n) = chars.next() {
                        value.push(n);
                    }
                } else if c == quote {
                    in_quotes = false;
                } else {
                    value.push(c);
                }
                continue;
            }
            if c == delimiter {
                fields.push(self.csv_field(&raw, quoted, std::mem::take(&mut value)));
                raw.clear();
                quoted = false;
            } else if c == quote {
                in_quotes = true;
                quoted = true;
            } else {
                value.push(c);
                raw.push(c);
            }
        }
        fields.push(self.csv_field(&raw, quoted, value));
        fields
    }

    /// In CSV, only an unquoted field equal to the NULL string is NULL.
    fn csv_field(&self, raw: &str, quoted: bool, value: String) -> Option<String> {
        (quoted || raw != self.format.null).then_some(value)
    }
}

fn bad_copy(message: impl Into<String>) -> Error {
    Error::sql("22P04", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> CopyFormat {
        CopyFormat::from_options(&[], &[]).unwrap()
    }

    fn csv(header: bool) -> CopyFormat {
        let mut f = CopyFormat::from_options(&[CopyOption::Format("csv".into())], &[]).unwrap();
        f.header = header;
        f
    }

    fn read(format: CopyFormat, columns: usize, chunks: &[&[u8]]) -> Result<Vec<Vec<Option<String>>>> {
        let mut r = CopyReader::new(format, (0..columns).map(|i| format!("c{i}")).collect());
        for c in chunks {
            r.feed(c)?;
        }
        r.finish()
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn text_format_escapes_and_null() {
        let rows = read(text(), 3, &[b"1\ta\\tb\t\\N\n2\t\\\\x\\101\t\\x41\n"]).unwrap();
        assert_eq!(
            rows,
            vec![vec![s("1"), s("a\tb"), None], vec![s("2"), s("\\xA"), s("A")]]
        );
    }

    #[test]
    fn rows_split_across_chunks_and_end_marker() {
        let rows = read(text(), 2, &[b"1\tab", b"c\n2\t", b"d\n\\.\n3\tignored\n"]).unwrap();
        assert_eq!(rows, vec![vec![s("1"), s("abc")], vec![s("2"), s("d")]]);
    }

    #[test]
    fn csv_quotes_newlines_and_null() {
        let rows = read(csv(true), 3, &[b"a,b,c\n1,\"x,\"\"y\"\"\nz\",\n2,\"\",plain\n"]).unwrap();
        assert_eq!(
            rows,
            vec![vec![s("1"), s("x,\"y\"\nz"), None], vec![s("2"), s(""), s("plain")]]
        );
    }

    #[test]
    fn options_pick_the_format() {
        let f = CopyFormat::from_options(
            &[
                CopyOption::Format("csv".into()),
                CopyOption::Delimiter(';'),
                CopyOption::Null("NULL".into()),
                CopyOption::Freeze(true),
            ],
            &[],
        )
        .unwrap();
        assert!(f.csv);
        assert_eq!(
            (f.delimiter, f.null.as_str(), f.quote, f.escape),
            (b';', "NULL", b'"', b'"')
        );
        let e = CopyFormat::from_options(&[CopyOption::Format("binary".into())], &[]).unwrap_err();
        assert_eq!(e.sqlstate(), "0A000");
        let e = CopyFormat::from_options(&[CopyOption::Quote('\'')], &[]).unwrap_err();
        assert_eq!(e.sqlstate(), "0A000");
    }

    #[test]
    fn wrong_field_counts() {
        let e = read(text(), 2, &[b"1\t2\t3\n"]).unwrap_err();
        assert_eq!(e.message(), "extra data after last expected column");
        let e = read(text(), 2, &[b"1\n"]).unwrap_err();
        assert_eq!(e.message(), "missing data for column \"c1\"");
    }

    #[test]
    fn output_round_trips() {
        let rows = vec![vec![s("a\tb\\c"), None, s("")], vec![s("x,\"y\""), s("\n"), None]];
        for format in [text(), csv(false)] {
            let mut out = Vec::new();
            for r in &rows {
                format.write_row(r, &mut out);
            }
            assert_eq!(read(format, 3, &[&out]).unwrap(), rows);
        }
        let mut out = Vec::new();
        csv(false).write_row(&[s("x,y"), None, s("")], &mut out);
        assert_eq!(out, b"\"x,y\",,\"\"\n");
    }
}
