//! The bytes of a file a listener's requests delivered: their ranges reassembled, overlaps
//! counted once.

/// A set of half-open byte ranges, kept sorted and merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    spans: Vec<(u64, u64)>,
}

impl Coverage {
    /// Adds the bytes `[start, end)`.
    pub fn add(&mut self, start: u64, end: u64) {
        if end <= start {
            return;
        }
        let at = self.spans.partition_point(|s| s.1 < start);
        let mut merged = (start, end);
        let mut last = at;
        while last < self.spans.len() && self.spans[last].0 <= merged.1 {
            merged = (merged.0.min(self.spans[last].0), merged.1.max(self.spans[last].1));
            last += 1;
        }
        self.spans.splice(at..last, [merged]);
    }

    /// How many distinct bytes are covered.
    pub fn total(&self) -> u64 {
        self.spans.iter().map(|(a, b)| b - a).sum()
    }

    /// Whether every byte of `[start, end)` is covered.
    pub fn covers(&self, start: u64, end: u64) -> bool {
        end <= start || self.spans.iter().any(|&(a, b)| a <= start && end <= b)
    }

    /// The merged spans, in order.
    pub fn spans(&self) -> &[(u64, u64)] {
        &self.spans
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_and_touching_ranges_merge_and_count_once() {
        let mut c = Coverage::default();
        c.add(100, 200);
        c.add(0, 50);
        c.add(150, 300);
        assert_eq!(c.spans(), [(0, 50), (100, 300)]);
        assert_eq!(c.total(), 250);
        c.add(50, 100);
        assert_eq!(c.spans(), [(0, 300)], "touching spans join");
        c.add(400, 400);
        c.add(500, 450);
        assert_eq!(c.total(), 300, "empty spans add nothing");
        c.add(350, 360);
        c.add(340, 370);
        c.add(10, 20);
        assert_eq!(c.spans(), [(0, 300), (340, 370)]);
        assert!(c.covers(0, 300) && c.covers(345, 370) && c.covers(5, 5));
        assert!(!c.covers(290, 345), "a gap is not covered");
        assert!(!c.covers(0, 301));
    }
}
