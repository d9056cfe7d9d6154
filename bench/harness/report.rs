//! The comparison table: one row per measured quantity, its medians on both engines, their ratio,
//! the spread across rounds and the target it is held to; rendered as Markdown for stdout and for
//! bench/RESULTS.md, where it replaces the text between its own markers and nothing else.

use crate::stats::{median, min_max};

/// Marks the start of this harness's section in bench/RESULTS.md.
pub const BEGIN_MARKER: &str = "<!-- vellum-bench:begin -->";
/// Marks the end of this harness's section in bench/RESULTS.md.
pub const END_MARKER: &str = "<!-- vellum-bench:end -->";

/// Which way a quantity improves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Better {
    Higher,
    Lower,
}

/// A target from the issue, checked against a row's figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    /// Vellum's median ÷ the baseline's median must be at least this.
    RatioAtLeast(f64),
    /// Vellum's median ÷ the baseline's median must be at most this.
    RatioAtMost(f64),
    /// Vellum's median must be below this, in the row's unit.
    VellumBelow(f64),
}

impl Target {
    fn describe(self) -> String {
        match self {
            Target::RatioAtLeast(r) => format!("ratio ≥ {}", trim_number(r)),
            Target::RatioAtMost(r) => format!("ratio ≤ {}", trim_number(r)),
            Target::VellumBelow(v) => format!("Vellum < {}", trim_number(v)),
        }
    }

    fn met(self, vellum: f64, ratio: Option<f64>) -> Option<bool> {
        match self {
            Target::RatioAtLeast(r) => ratio.map(|x| x >= r),
            Target::RatioAtMost(r) => ratio.map(|x| x <= r),
            Target::VellumBelow(v) => Some(vellum < v),
        }
    }
}

/// One measured quantity, with each round's value on both sides.
#[derive(Clone, Debug)]
pub struct Metric {
    pub workload: String,
    pub unit: String,
    pub better: Better,
    pub vellum: Vec<f64>,
    /// The values compared against: PostgreSQL's, unless `baseline` names something else.
    pub baseline: Vec<f64>,
    /// What the baseline column holds when it is not PostgreSQL (e.g. SHA-256 bandwidth).
    pub baseline_name: Option<String>,
    pub target: Option<Target>,
    /// Why Vellum has no figures (a workload it cannot run yet, or that failed).
    pub unavailable: Option<String>,
    /// Why the baseline has no figures.
    pub baseline_unavailable: Option<String>,
}

impl Metric {
    pub fn new(workload: impl Into<String>, unit: impl Into<String>, better: Better) -> Metric {
        Metric {
            workload: workload.into(),
            unit: unit.into(),
            better,
            vellum: Vec::new(),
            baseline: Vec::new(),
            baseline_name: None,
            target: None,
            unavailable: None,
            baseline_unavailable: None,
        }
    }

    pub fn with_target(mut self, target: Target) -> Metric {
        self.target = Some(target);
        self
    }

    /// Vellum's median ÷ the baseline's median.
    pub fn ratio(&self) -> Option<f64> {
        if self.unavailable.is_some() || self.baseline_unavailable.is_some() {
            return None;
        }
        let (v, b) = (median(&self.vellum)?, median(&self.baseline)?);
        (b != 0.0).then_some(v / b)
    }

    /// "met", "missed", or "—" when the row has no target or not enough figures to check it.
    pub fn verdict(&self) -> &'static str {
        let Some(target) = self.target else { return "—" };
        if self.unavailable.is_some() {
            return "—";
        }
        match median(&self.vellum).and_then(|v| target.met(v, self.ratio())) {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "—",
        }
    }

    /// Whether the row's target was checked and missed.
    pub fn missed(&self) -> bool {
        self.verdict() == "**missed**"
    }
}

/// The Markdown table of `metrics`.
pub fn render_table(metrics: &[Metric]) -> String {
    let mut out = String::from(
        "| Workload | Unit | Vellum (median) | PostgreSQL (median) | Ratio Vellum/PostgreSQL | Vellum min–max | \
         PostgreSQL min–max | Target | Result |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for m in metrics {
        let direction = match m.better {
            Better::Higher => "higher is better",
            Better::Lower => "lower is better",
        };
        let unit = format!("{} ({direction})", m.unit);
        let vellum = match (&m.unavailable, median(&m.vellum)) {
            (Some(reason), _) => format!("not available: {}", escape(reason)),
            (None, Some(v)) => format_value(v),
            (None, None) => "—".into(),
        };
        let baseline = match (&m.baseline_unavailable, &m.baseline_name, median(&m.baseline)) {
            (Some(reason), _, _) => format!("not available: {}", escape(reason)),
            (None, _, None) => "—".to_string(),
            (None, None, Some(b)) => format_value(b),
            (None, Some(name), Some(b)) => format!("{} ({name})", format_value(b)),
        };
        out.push_str(&format!(
            "| {} | {unit} | {vellum} | {baseline} | {} | {} | {} | {} | {} |\n",
            m.workload,
            m.ratio().map(|r| format!("{r:.2}")).unwrap_or_else(|| "—".into()),
            format_range(&m.vellum),
            format_range(&m.baseline),
            m.target.map(Target::describe).unwrap_or_else(|| "—".into()),
            m.verdict(),
        ));
    }
    out
}

/// A figure with three significant digits at most, no exponent: 123456 → "123456", 12.345 → "12.3",
/// 0.01234 → "0.0123".
pub fn format_value(v: f64) -> String {
    let magnitude = v.abs();
    if magnitude >= 100.0 || magnitude == 0.0 {
        format!("{v:.0}")
    } else if magnitude >= 10.0 {
        format!("{v:.1}")
    } else if magnitude >= 1.0 {
        format!("{v:.2}")
    } else {
        let decimals = (2 - magnitude.log10().floor() as i32).clamp(3, 9) as usize;
        format!("{v:.decimals$}")
    }
}

fn format_range(values: &[f64]) -> String {
    match min_max(values) {
        Some((lo, hi)) => format!("{}–{}", format_value(lo), format_value(hi)),
        None => "—".into(),
    }
}

fn trim_number(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Keeps an error message from breaking the table (pipes, newlines).
fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// `text` with the part between `BEGIN_MARKER` and `END_MARKER` (markers kept) replaced by
/// `section`, or the marked section appended when the markers are missing.
pub fn replace_section(text: &str, section: &str) -> String {
    let block = format!("{BEGIN_MARKER}\n{}\n{END_MARKER}", section.trim_end_matches('\n'));
    if let Some((head, rest)) = text.split_once(BEGIN_MARKER) {
        if let Some((_, tail)) = rest.split_once(END_MARKER) {
            return format!("{head}{block}{tail}");
        }
    }
    format!("{}\n\n{block}\n", text.trim_end_matches('\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(vellum: &[f64], baseline: &[f64], target: Option<Target>) -> Metric {
        let mut m = Metric::new("copy", "rows/s", Better::Higher);
        m.vellum = vellum.to_vec();
        m.baseline = baseline.to_vec();
        m.target = target;
        m
    }

    #[test]
    fn ratio_and_verdicts() {
        // medians 300 and 100 → 3.0
        let m = metric(
            &[300.0, 200.0, 400.0],
            &[100.0, 90.0, 110.0],
            Some(Target::RatioAtLeast(2.5)),
        );
        assert_eq!(m.ratio(), Some(3.0));
        assert_eq!(m.verdict(), "met");
        let m = metric(&[200.0], &[100.0], Some(Target::RatioAtLeast(2.5)));
        assert_eq!(m.verdict(), "**missed**");
        assert!(m.missed());
        let m = metric(&[0.9], &[1.0], Some(Target::RatioAtMost(1.0)));
        assert_eq!(m.verdict(), "met");
        let m = metric(&[2.5], &[], Some(Target::VellumBelow(2.0)));
        assert_eq!(m.ratio(), None);
        assert_eq!(m.verdict(), "**missed**");
        let m = metric(&[5.0], &[], Some(Target::RatioAtLeast(1.0)));
        assert_eq!(m.verdict(), "—");
        assert!(!m.missed());
    }

    #[test]
    fn values_keep_three_significant_digits() {
        assert_eq!(format_value(123456.7), "123457");
        assert_eq!(format_value(12.345), "12.3");
        assert_eq!(format_value(1.2345), "1.23");
        assert_eq!(format_value(0.01234), "0.0123");
        assert_eq!(format_value(0.5), "0.500");
        assert_eq!(format_value(0.0), "0");
    }

    #[test]
    fn table_rows() {
        let mut rows = vec![metric(
            &[300.0, 200.0, 400.0],
            &[100.0, 90.0, 110.0],
            Some(Target::RatioAtLeast(2.5)),
        )];
        let mut sha = Metric::new("verify vs SHA-256", "MB/s", Better::Higher);
        sha.vellum = vec![70.0];
        sha.baseline = vec![200.0];
        sha.baseline_name = Some("SHA-256, 1 core".into());
        sha.target = Some(Target::RatioAtLeast(0.7));
        rows.push(sha);
        let mut gone = Metric::new("seal", "ms", Better::Lower);
        gone.unavailable = Some("db error: function a|b\ndoes not exist".into());
        gone.baseline = vec![4.0];
        rows.push(gone);
        let mut half = Metric::new("scan", "ms", Better::Lower);
        half.vellum = vec![3.0, 1.0];
        half.baseline_unavailable = Some("timeout".into());
        rows.push(half);
        let table = render_table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 6);
        assert_eq!(
            lines[2],
            "| copy | rows/s (higher is better) | 300 | 100 | 3.00 | 200–400 | 90.0–110 | ratio ≥ 2.5 | met |"
        );
        assert_eq!(
            lines[3],
            "| verify vs SHA-256 | MB/s (higher is better) | 70.0 | 200 (SHA-256, 1 core) | 0.35 | 70.0–70.0 | \
             200–200 | ratio ≥ 0.7 | **missed** |"
        );
        assert_eq!(
            lines[4],
            "| seal | ms (lower is better) | not available: db error: function a\\|b does not exist | 4.00 | — | — | \
             4.00–4.00 | — | — |"
        );
        // median of 3 and 1 is 2
        assert_eq!(
            lines[5],
            "| scan | ms (lower is better) | 2.00 | not available: timeout | — | 1.00–3.00 | — | — | — |"
        );
    }

    #[test]
    fn section_replaced_between_markers_only() {
        let text = format!("# Results\n\nkept above\n{BEGIN_MARKER}\nold table\n{END_MARKER}\nkept below\n");
        assert_eq!(
            replace_section(&text, "new table\n"),
            format!("# Results\n\nkept above\n{BEGIN_MARKER}\nnew table\n{END_MARKER}\nkept below\n")
        );
        assert_eq!(
            replace_section("# Results\n", "new"),
            format!("# Results\n\n{BEGIN_MARKER}\nnew\n{END_MARKER}\n")
        );
        // Another tool's markers are not ours.
        let other = "<!-- pgbench-compare:begin -->\nx\n<!-- pgbench-compare:end -->\n";
        assert_eq!(
            replace_section(other, "new"),
            format!("{}\n\n{BEGIN_MARKER}\nnew\n{END_MARKER}\n", other.trim_end())
        );
    }
}
