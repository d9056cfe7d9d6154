//! Renders result sets in psql's aligned format: centred headers, left-aligned text,
//! right-aligned numbers, multi-line values continued with `+`, an optional centred title and a
//! `(n rows)` footer. NULL is shown as a configurable marker so it never looks like `''`.

use super::backend::ResultSet;

/// How a table is printed.
#[derive(Debug, Clone, PartialEq)]
pub struct Style {
    /// Shown for NULL (psql's `\pset null`).
    pub null: String,
    /// Whether to print `(n rows)`.
    pub footer: bool,
}

impl Default for Style {
    fn default() -> Style {
        Style {
            null: "NULL".to_string(),
            footer: true,
        }
    }
}

/// The text for `set`, ending with a blank line as psql's does.
pub fn render(set: &ResultSet, title: Option<&str>, style: &Style) -> String {
    let header: Vec<Vec<&str>> = set.columns.iter().map(|c| c.name.split('\n').collect()).collect();
    let cells: Vec<Vec<Vec<&str>>> = set
        .rows
        .iter()
        .map(|row| {
            (0..set.columns.len())
                .map(|i| match row.get(i) {
                    Some(Some(text)) => text.split('\n').collect(),
                    Some(None) => vec![style.null.as_str()],
                    None => vec![""],
                })
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|lines| max_width(lines)).collect();
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(max_width(cell));
        }
    }
    let total = if widths.is_empty() {
        2
    } else {
        widths.iter().map(|w| w + 3).sum::<usize>() - 1
    };

    let mut out = String::new();
    if let Some(title) = title {
        let pad = total.saturating_sub(width(title)) / 2;
        out.push_str(&" ".repeat(pad));
        out.push_str(title);
        out.push('\n');
    }
    if !set.columns.is_empty() {
        for line in 0..header.iter().map(Vec::len).max().unwrap_or(1) {
            for (i, lines) in header.iter().enumerate() {
                let text = lines.get(line).copied().unwrap_or("");
                let more = line + 1 < lines.len();
                out.push_str(if i == 0 { " " } else { "| " });
                out.push_str(&centre(text, widths.get(i).copied().unwrap_or(0)));
                out.push(if more { '+' } else { ' ' });
            }
            out.push('\n');
        }
    }
    let dashes: Vec<String> = widths.iter().map(|&w| "-".repeat(w + 2)).collect();
    out.push_str(if dashes.is_empty() { "--" } else { "" });
    out.push_str(&dashes.join("+"));
    out.push('\n');
    for row in &cells {
        let height = row.iter().map(Vec::len).max().unwrap_or(1);
        for line in 0..height {
            let last = row.len().saturating_sub(1);
            for (i, lines) in row.iter().enumerate() {
                let text = lines.get(line).copied().unwrap_or("");
                let more = line + 1 < lines.len();
                let w = widths.get(i).copied().unwrap_or(0);
                let numeric = set.columns.get(i).is_some_and(|c| c.numeric);
                out.push_str(if i == 0 { " " } else { "| " });
                if numeric {
                    out.push_str(&" ".repeat(w.saturating_sub(width(text))));
                    out.push_str(text);
                } else {
                    out.push_str(text);
                    // psql leaves the last column unpadded unless a continuation mark follows.
                    if i != last || more {
                        out.push_str(&" ".repeat(w.saturating_sub(width(text))));
                    }
                }
                if i != last || more {
                    out.push(if more { '+' } else { ' ' });
                }
            }
            out.push('\n');
        }
    }
    if style.footer {
        let n = set.rows.len();
        out.push_str(&format!("({n} row{})\n", if n == 1 { "" } else { "s" }));
    }
    out.push('\n');
    out
}

fn width(text: &str) -> usize {
    text.chars().count()
}

fn max_width(lines: &[&str]) -> usize {
    lines.iter().map(|l| width(l)).max().unwrap_or(0)
}

/// Centres as psql does: the odd space goes to the right.
fn centre(text: &str, width_: usize) -> String {
    let len = width(text);
    let left = width_.saturating_sub(len) / 2;
    let right = width_.saturating_sub(len + left);
    format!("{}{}{}", " ".repeat(left), text, " ".repeat(right))
}

#[cfg(test)]
mod tests {
    use super::super::backend::ResultColumn;
    use super::*;

    fn column(name: &str, numeric: bool) -> ResultColumn {
        ResultColumn {
            name: name.to_string(),
            numeric,
        }
    }

    fn text(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    /// The expected text is psql 15's output for
    /// `select 1 as id, 'a'::text as name, null as n, E'x\ny' as ml, 'long value' as z
    ///  union all select 22, '', 'q', 'z', 'b'` (with `\pset null` left empty).
    #[test]
    fn matches_psql_aligned_output() {
        let set = ResultSet {
            columns: vec![
                column("id", true),
                column("name", false),
                column("n", false),
                column("ml", false),
                column("z", false),
            ],
            rows: vec![
                vec![text("1"), text("a"), None, text("x\ny"), text("long value")],
                vec![text("22"), text(""), text("q"), text("z"), text("b")],
            ],
        };
        let style = Style {
            null: String::new(),
            footer: true,
        };
        let expected = concat!(
            " id | name | n | ml |     z      \n",
            "----+------+---+----+------------\n",
            "  1 | a    |   | x +| long value\n",
            "    |      |   | y  | \n",
            " 22 |      | q | z  | b\n",
            "(2 rows)\n",
            "\n",
        );
        assert_eq!(render(&set, None, &style), expected);
    }

    #[test]
    fn null_marker_differs_from_empty_string() {
        let set = ResultSet {
            columns: vec![column("a", false)],
            rows: vec![vec![None], vec![text("")]],
        };
        let out = render(&set, None, &Style::default());
        assert_eq!(out, "  a   \n------\n NULL\n \n(2 rows)\n\n");
    }

    #[test]
    fn title_is_centred_and_single_row_footer() {
        // psql's `\dt` for one table, without its Owner column.
        let set = ResultSet {
            columns: vec![column("Schema", false), column("Name", false), column("Type", false)],
            rows: vec![vec![text("public"), text("t"), text("table")]],
        };
        let expected = concat!(
            "   List of relations\n",
            " Schema | Name | Type  \n",
            "--------+------+-------\n",
            " public | t    | table\n",
            "(1 row)\n",
            "\n",
        );
        assert_eq!(render(&set, Some("List of relations"), &Style::default()), expected);
    }

    #[test]
    fn no_columns() {
        let out = render(&ResultSet::default(), None, &Style::default());
        assert_eq!(out, "--\n(0 rows)\n\n");
    }
}
