//! Renders a result as psql's aligned format: centred headers, left-aligned text, right-aligned
//! numbers, NULL shown as `NULL` (distinct from an empty string), and a `(n rows)` footer.

use crate::plan::OutputColumn;
use crate::types::{text, Row};

pub fn render(columns: &[OutputColumn], rows: &[Row]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| text::format(v).unwrap_or_else(|| "NULL".to_string()))
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = columns.iter().map(|c| c.name.chars().count()).collect();
    for row in &cells {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let header: Vec<String> = columns.iter().zip(&widths).map(|(c, &w)| centre(&c.name, w)).collect();
    out.push(' ');
    out.push_str(&header.join(" | "));
    out.push('\n');
    out.push_str(&widths.iter().map(|&w| "-".repeat(w + 2)).collect::<Vec<_>>().join("+"));
    out.push('\n');
    for row in &cells {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let w = widths.get(i).copied().unwrap_or(0);
                let numeric = columns.get(i).is_some_and(|c| c.data_type.is_numeric());
                if numeric {
                    format!("{cell:>w$}")
                } else {
                    format!("{cell:<w$}")
                }
            })
            .collect();
        out.push(' ');
        out.push_str(line.join(" | ").trim_end());
        out.push('\n');
    }
    out.push_str(&format!(
        "({} row{})\n\n",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    ));
    out
}

fn centre(text: &str, width: usize) -> String {
    let len = text.chars().count();
    let left = (width.saturating_sub(len)) / 2;
    let right = width.saturating_sub(len + left);
    format!("{}{}{}", " ".repeat(left), text, " ".repeat(right))
}
