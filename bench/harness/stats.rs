//! Order statistics of measured samples: medians across rounds, latency percentiles within a run.
//!
//! Pure functions over `f64` slices, no I/O; the harness's only arithmetic that tests pin down.

/// The median of `values`: the middle value, or the mean of the two middle values of an even count;
/// `None` for no values.
pub fn median(values: &[f64]) -> Option<f64> {
    let sorted = sorted(values);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => sorted.get(n / 2).copied(),
        _ => Some((sorted.get(n / 2 - 1)? + sorted.get(n / 2)?) / 2.0),
    }
}

/// The `p`-th percentile (0–100) of `values` by the nearest-rank method: the smallest value with at
/// least `p`% of the values at or below it (pgbench and most latency reports use it); `None` for no
/// values.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let sorted = sorted(values);
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// The smallest and largest of `values`; `None` for no values.
pub fn min_max(values: &[f64]) -> Option<(f64, f64)> {
    let sorted = sorted(values);
    Some((*sorted.first()?, *sorted.last()?))
}

/// Latency percentiles of one run, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Latencies {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

impl Latencies {
    /// The percentiles of `millis`; `None` when no operation completed.
    pub fn of(millis: &[f64]) -> Option<Latencies> {
        Some(Latencies {
            p50: percentile(millis, 50.0)?,
            p95: percentile(millis, 95.0)?,
            p99: percentile(millis, 99.0)?,
        })
    }
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[7.0]), Some(7.0));
        assert_eq!(median(&[9.0, 1.0, 5.0]), Some(5.0));
        // 2, 4, 6, 10 → (4 + 6) / 2
        assert_eq!(median(&[10.0, 2.0, 6.0, 4.0]), Some(5.0));
    }

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        // 100 values 1..=100: the p-th percentile by nearest rank is p itself.
        assert_eq!(percentile(&values, 50.0), Some(50.0));
        assert_eq!(percentile(&values, 95.0), Some(95.0));
        assert_eq!(percentile(&values, 99.0), Some(99.0));
        assert_eq!(percentile(&values, 100.0), Some(100.0));
        assert_eq!(percentile(&values, 0.0), Some(1.0));
        // 5 values: rank ceil(0.5 * 5) = 3 → 30; ceil(0.95 * 5) = 5 → 50; ceil(0.2 * 5) = 1 → 10.
        let five = [50.0, 10.0, 40.0, 20.0, 30.0];
        assert_eq!(percentile(&five, 50.0), Some(30.0));
        assert_eq!(percentile(&five, 95.0), Some(50.0));
        assert_eq!(percentile(&five, 20.0), Some(10.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(
            Latencies::of(&five),
            Some(Latencies {
                p50: 30.0,
                p95: 50.0,
                p99: 50.0
            })
        );
    }

    #[test]
    fn range_of_values() {
        assert_eq!(min_max(&[3.0, -1.0, 8.5]), Some((-1.0, 8.5)));
        assert_eq!(min_max(&[]), None);
    }
}
