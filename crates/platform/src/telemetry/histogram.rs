//! A latency histogram with log-spaced buckets (10 % wide), small enough to keep one per series
//! per time slot, precise enough for p50/p95/p99 within 10 %.

use std::collections::BTreeMap;
use std::time::Duration;

/// Growth factor between bucket bounds.
const GROWTH: f64 = 1.1;

/// Counts of latencies by bucket (sparse).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    buckets: BTreeMap<u16, u64>,
    count: u64,
}

fn bucket_of(d: Duration) -> u16 {
    let micros = d.as_micros().max(1) as f64;
    (micros.ln() / GROWTH.ln()).floor().clamp(0.0, f64::from(u16::MAX)) as u16
}

fn upper_bound_ms(bucket: u16) -> f64 {
    GROWTH.powi(i32::from(bucket) + 1) / 1000.0
}

impl Histogram {
    /// Counts one latency.
    pub fn record(&mut self, d: Duration) {
        *self.buckets.entry(bucket_of(d)).or_default() += 1;
        self.count += 1;
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Histogram) {
        for (b, n) in &other.buckets {
            *self.buckets.entry(*b).or_default() += n;
        }
        self.count += other.count;
    }

    /// Latencies counted.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The latency under which a share `q` (0..=1) of the counted ones fall, in milliseconds
    /// (the upper bound of its bucket); `None` when nothing was counted.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (b, n) in &self.buckets {
            seen += n;
            if seen >= rank {
                return Some(upper_bound_ms(*b));
            }
        }
        self.buckets.keys().next_back().map(|b| upper_bound_ms(*b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_ten_percent() {
        let mut h = Histogram::default();
        for ms in 1..=100 {
            h.record(Duration::from_millis(ms));
        }
        for (q, want) in [(0.5, 50.0), (0.95, 95.0), (0.99, 99.0)] {
            let got = h.quantile_ms(q).unwrap();
            assert!(got >= want && got <= want * 1.1, "q{q}: {got}");
        }
        assert_eq!(Histogram::default().quantile_ms(0.5), None);
    }

    #[test]
    fn merged_histograms_count_both() {
        let (mut a, mut b) = (Histogram::default(), Histogram::default());
        a.record(Duration::from_millis(1));
        b.record(Duration::from_secs(2));
        a.merge(&b);
        assert_eq!(a.count(), 2);
        assert!(a.quantile_ms(1.0).unwrap() >= 2000.0);
    }
}
