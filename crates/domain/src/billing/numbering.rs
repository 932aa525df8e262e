//! The numbers documents are given: `<prefix>-<year>-00001`, one series per kind and year of an
//! organization, each drawn from an atomic counter when the document is issued (a draft has
//! none), so two concurrent issues never share a number and a failed issue leaves no gap.

use serde::{Deserialize, Serialize};

use crate::OrgId;
use crate::keys::{Key, org_pk};

/// A numbered series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Series {
    /// Insertion orders: `IO-`.
    Order,
    /// Invoices: `INV-`.
    Invoice,
    /// Credit notes: `CN-`.
    CreditNote,
}

impl Series {
    /// Its prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            Series::Order => "IO",
            Series::Invoice => "INV",
            Series::CreditNote => "CN",
        }
    }

    /// The `seq`th number of `year`: `INV-2026-00001` (five digits, more past 99,999).
    pub fn number(self, year: i32, seq: u64) -> String {
        format!("{}-{year}-{seq:05}", self.prefix())
    }

    /// The key of its counter for `year` in `org`: an item whose `last` is the last number
    /// given, moved in the transaction that writes the numbered document.
    pub fn counter_key(self, org: &OrgId, year: i32) -> Key {
        let name = match self {
            Series::Order => "ORDER",
            Series::Invoice => "INVOICE",
            Series::CreditNote => "CREDIT_NOTE",
        };
        Key::new(org_pk(org, "COUNTER"), format!("{name}#{year}"))
    }

    /// The year and sequence of one of its numbers, if it is one.
    pub fn parse(self, number: &str) -> Option<(i32, u64)> {
        let rest = number.strip_prefix(self.prefix())?.strip_prefix('-')?;
        let (year, seq) = rest.split_once('-')?;
        if year.len() != 4 || seq.len() < 5 || !seq.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((year.parse().ok()?, seq.parse().ok().filter(|s| *s > 0)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_prefix_year_and_five_digits() {
        assert_eq!(Series::Invoice.number(2026, 1), "INV-2026-00001");
        assert_eq!(Series::CreditNote.number(2027, 42), "CN-2027-00042");
        assert_eq!(Series::Order.number(2026, 123_456), "IO-2026-123456");
    }

    #[test]
    fn each_series_counts_apart_per_organization_and_year() {
        let o = OrgId::new();
        let pk = format!("ORG#{o}#COUNTER");
        assert_eq!(Series::Order.counter_key(&o, 2026), Key::new(pk.clone(), "ORDER#2026"));
        assert_eq!(Series::Invoice.counter_key(&o, 2027), Key::new(pk.clone(), "INVOICE#2027"));
        assert_eq!(Series::CreditNote.counter_key(&o, 2027), Key::new(pk, "CREDIT_NOTE#2027"));
    }

    #[test]
    fn a_number_reads_back_and_nothing_else_does() {
        assert_eq!(Series::Invoice.parse("INV-2026-00017"), Some((2026, 17)));
        assert_eq!(Series::CreditNote.parse("CN-2026-123456"), Some((2026, 123_456)));
        for bad in
            ["CN-2026-00017", "INV-2026-0017", "INV-26-00017", "INV-2026-00000", "INV2026-00001", "INV-2026-0000a"]
        {
            assert_eq!(Series::Invoice.parse(bad), None, "{bad}");
        }
        assert_eq!(Series::Order.parse(&Series::Order.number(2030, 9)), Some((2030, 9)));
    }
}
