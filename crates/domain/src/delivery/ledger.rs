//! The ledger's unit: one listener's kept requests for one episode, and the downloads they were
//! last counted as. Log files arrive in any order and more than once, so each file's requests
//! are merged into the listener's ledger (a request already there adds nothing), the listener is
//! counted again from all of them, and only the difference from the last count moves the daily
//! rollups ([`changes`]). A file read twice changes nothing; a late file that opens a window
//! earlier moves its download rather than adding one.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::count::{Served, count_listener};
use super::file::EpisodeFile;
use super::windows::WindowMethod;

/// The most requests one listener's ledger keeps for one episode; later ones are not kept
/// (a player that sends thousands of ranges for one episode has long passed the threshold).
pub const MAX_SERVED: usize = 5_000;

/// A kept request as stored: `[epoch milliseconds, first byte, end byte, whole]`, the span empty
/// when it delivered nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StoredServed(pub i64, pub u64, pub u64, pub bool);

impl From<Served> for StoredServed {
    fn from(s: Served) -> Self {
        let (a, b) = s.span.unwrap_or((0, 0));
        StoredServed(s.at.timestamp_millis(), a, b, s.whole)
    }
}

impl StoredServed {
    /// The request it stands for (an unreadable time is the epoch).
    pub fn served(&self) -> Served {
        let at = DateTime::from_timestamp_millis(self.0).unwrap_or_default();
        Served { at, span: (self.2 > self.1).then_some((self.1, self.2)), whole: self.3 }
    }
}

/// A download as counted: when its window opened (epoch seconds) and the ads it delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counted(pub i64, pub Vec<usize>);

/// One listener's ledger for one episode.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerLedger {
    /// Kept requests in time order, each once.
    #[serde(default)]
    pub served: Vec<StoredServed>,
    /// The downloads they were last counted as.
    #[serde(default)]
    pub counted: Vec<Counted>,
}

impl ListenerLedger {
    /// Adds `new` requests; whether any was not already there.
    pub fn merge(&mut self, new: impl IntoIterator<Item = Served>) -> bool {
        let before = self.served.len();
        let before_last = self.served.last().copied();
        self.served.extend(new.into_iter().map(StoredServed::from));
        self.served.sort_unstable();
        self.served.dedup();
        self.served.truncate(MAX_SERVED);
        self.served.len() != before || self.served.last().copied() != before_last
    }

    /// The downloads the kept requests make for `file` under `method`.
    pub fn recount(&self, file: &EpisodeFile, method: WindowMethod) -> Vec<Counted> {
        let served: Vec<Served> = self.served.iter().map(StoredServed::served).collect();
        count_listener(&served, file, method)
            .downloads
            .into_iter()
            .map(|(opened, ads)| Counted(opened.timestamp(), ads))
            .collect()
    }
}

/// How one day's rollup moves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayChange {
    /// Downloads added (or taken back).
    pub downloads: i64,
    /// The listener became (1) or stopped being (-1) one of the day's listeners.
    pub listeners: i64,
    /// Deliveries of each ad, by its index in the episode's markers.
    pub ads: BTreeMap<usize, i64>,
}

impl DayChange {
    /// Whether it moves nothing.
    pub fn is_empty(&self) -> bool {
        self.downloads == 0 && self.listeners == 0 && self.ads.values().all(|n| *n == 0)
    }
}

/// The day (in `zone`) a download opened on.
pub fn day_of(opened_epoch_seconds: i64, zone: Tz) -> NaiveDate {
    DateTime::from_timestamp(opened_epoch_seconds, 0).unwrap_or_default().with_timezone(&zone).date_naive()
}

/// What moving one listener's count from `old` to `new` does to each day's rollup, days in
/// `zone`; days that do not move are left out.
pub fn changes(old: &[Counted], new: &[Counted], zone: Tz) -> BTreeMap<NaiveDate, DayChange> {
    let mut out: BTreeMap<NaiveDate, DayChange> = BTreeMap::new();
    let mut present: BTreeMap<NaiveDate, (bool, bool)> = BTreeMap::new();
    for (sign, list) in [(-1i64, old), (1, new)] {
        for Counted(opened, ads) in list {
            let day = day_of(*opened, zone);
            let c = out.entry(day).or_default();
            c.downloads += sign;
            for ad in ads {
                *c.ads.entry(*ad).or_default() += sign;
            }
            let p = present.entry(day).or_default();
            if sign < 0 { p.0 = true } else { p.1 = true }
        }
    }
    for (day, (was, is)) in present {
        if let Some(c) = out.get_mut(&day) {
            c.listeners = i64::from(is) - i64::from(was);
            c.ads.retain(|_, n| *n != 0);
        }
    }
    out.retain(|_, c| !c.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};

    use super::*;
    use crate::delivery::file::tests::file;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn served(when: DateTime<Utc>, start: u64, end: u64) -> Served {
        Served { at: when, span: Some((start, end)), whole: false }
    }

    const FIRST: WindowMethod = WindowMethod::FirstTouch;

    #[test]
    fn a_file_merged_twice_adds_nothing_and_stored_requests_round_trip() {
        let t = at("2026-12-07T08:00:00Z");
        let mut l = ListenerLedger::default();
        assert!(l.merge([served(t, 0, 500_000), served(t + Duration::minutes(5), 500_000, 2_000_000)]));
        assert!(!l.merge([served(t, 0, 500_000)]), "already there");
        assert_eq!(l.served.len(), 2);
        assert_eq!(l.served[0].served(), served(t, 0, 500_000));
        let none = Served { at: t, span: None, whole: true };
        assert_eq!(StoredServed::from(none).served(), none);
        let json = serde_json::to_value(&l).unwrap();
        assert_eq!(json["served"][0], serde_json::json!([t.timestamp_millis(), 0, 500_000, false]));
        assert_eq!(serde_json::from_value::<ListenerLedger>(json).unwrap(), l);
        assert!(l.merge([served(t - Duration::hours(1), 0, 10)]), "an earlier request is new too");
    }

    #[test]
    fn a_ledger_keeps_at_most_its_limit_of_requests() {
        let t = at("2026-12-07T08:00:00Z");
        let mut l = ListenerLedger::default();
        l.merge((0..MAX_SERVED as i64 + 10).map(|n| served(t + Duration::seconds(n), 0, 10)));
        assert_eq!(l.served.len(), MAX_SERVED);
        assert_eq!(l.served[0].served().at, t, "the earliest are kept");
    }

    #[test]
    fn the_count_moves_by_its_difference_only() {
        let f = file();
        let t = at("2026-12-07T22:00:00Z");
        let threshold = f.threshold_bytes().unwrap();
        let mut l = ListenerLedger::default();
        l.merge([served(t, 0, threshold / 2)]);
        let first = l.recount(&f, FIRST);
        assert!(first.is_empty(), "half the threshold is no download");
        assert!(changes(&[], &first, Tz::UTC).is_empty());

        l.merge([served(t + Duration::minutes(10), threshold / 2, threshold)]);
        let second = l.recount(&f, FIRST);
        assert_eq!(second, [Counted(t.timestamp(), vec![])]);
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let c = changes(&first, &second, Tz::UTC);
        assert_eq!(c[&day], DayChange { downloads: 1, listeners: 1, ads: BTreeMap::new() });
        assert!(changes(&second, &second, Tz::UTC).is_empty(), "a repeat moves nothing");

        // A late file from 21:00 opens the window an hour earlier: same day, nothing moves.
        l.merge([served(t - Duration::hours(1), 0, 10)]);
        let third = l.recount(&f, FIRST);
        assert_eq!(third, [Counted((t - Duration::hours(1)).timestamp(), vec![])]);
        assert!(changes(&second, &third, Tz::UTC).is_empty());
        // In Auckland the window moved to another day: one day loses what the other gains.
        let nz: Tz = "Pacific/Auckland".parse().unwrap();
        let c = changes(&second, &third, nz);
        assert_eq!(c.len(), 0, "21:00 and 22:00 UTC are the same Auckland day");
        let moved = changes(
            &[Counted(t.timestamp(), vec![0])],
            &[Counted((t - Duration::hours(23)).timestamp(), vec![])],
            Tz::UTC,
        );
        let (d6, d7) = (NaiveDate::from_ymd_opt(2026, 12, 6).unwrap(), day);
        assert_eq!(moved[&d7], DayChange { downloads: -1, listeners: -1, ads: BTreeMap::from([(0, -1)]) });
        assert_eq!(moved[&d6], DayChange { downloads: 1, listeners: 1, ads: BTreeMap::new() });
    }

    #[test]
    fn a_download_that_now_covers_its_ad_moves_only_the_ad() {
        let t = at("2026-12-07T08:00:00Z").timestamp();
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let c = changes(&[Counted(t, vec![])], &[Counted(t, vec![0])], Tz::UTC);
        assert_eq!(c[&day], DayChange { downloads: 0, listeners: 0, ads: BTreeMap::from([(0, 1)]) });
        assert!(!c[&day].is_empty());
        assert!(DayChange::default().is_empty());
        assert!(!DayChange { downloads: 1, ..DayChange::default() }.is_empty());
        assert!(!DayChange { listeners: -1, ..DayChange::default() }.is_empty());
        assert!(DayChange { ads: BTreeMap::from([(2, 0)]), ..DayChange::default() }.is_empty());
    }

    #[test]
    fn a_second_download_on_a_day_is_not_a_second_listener() {
        let d = |h: i64| Counted(at("2026-12-07T00:00:00Z").timestamp() + h * 3600, vec![1]);
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let c = changes(&[d(1)], &[d(1), d(20)], Tz::UTC);
        assert_eq!(c[&day], DayChange { downloads: 1, listeners: 0, ads: BTreeMap::from([(1, 1)]) });
        let c = changes(&[d(1), d(20)], &[], Tz::UTC);
        assert_eq!(c[&day], DayChange { downloads: -2, listeners: -1, ads: BTreeMap::from([(1, -2)]) });
        assert_eq!(day_of(d(25).0, Tz::UTC), day.succ_opt().unwrap());
    }
}
