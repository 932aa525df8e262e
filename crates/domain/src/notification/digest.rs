//! The daily digest: once a day, from 08:00 in their own time zone, a user who chose it gets one
//! e-mail listing the notifications they have not read.
//!
//! Keys and access patterns:
//! - who takes the digest in an organization: the preferences items with `dailyDigest`, in the
//!   sparse GSI1 `ORG#<o>#DIGESTS` / `USER#<u>` ([`subscribers_pk`]);
//! - one digest a day per user: the marker `ORG#<o>#USER#<u>` / `DIGEST#<local date>`
//!   ([`marker_key`]), created only if absent before the e-mail is sent, kept 7 days.

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};

use super::Notification;
use crate::keys::{Key, org_pk};
use crate::{OrgId, UserId};

/// The local hour from which a day's digest goes out.
pub const HOUR: u32 = 8;

/// Most notifications one digest lists (the rest are counted).
pub const MAX_ITEMS: usize = 50;

/// How long the marker of a sent digest is kept.
pub const MARKER_DAYS: i64 = 7;

/// GSI1 partition of an organization's users who take the digest.
pub fn subscribers_pk(org: &OrgId) -> String {
    org_pk(org, "DIGESTS")
}

/// GSI1 sort key of one subscriber.
pub fn subscriber_sk(user: &UserId) -> String {
    format!("USER#{user}")
}

/// The marker of one user's digest for one local date.
pub fn marker_key(org: &OrgId, user: &UserId, date: NaiveDate) -> Key {
    Key::new(org_pk(org, format!("USER#{user}")), format!("DIGEST#{date}"))
}

/// The local date whose digest is due at `at` for a user in time zone `tz`: from 08:00 local
/// time until midnight (a run that misses 08:00 still sends that day's), `None` before 08:00.
pub fn due(tz: &str, at: DateTime<Utc>) -> Option<NaiveDate> {
    let local = at.with_timezone(&crate::organization::zone_of(tz));
    (local.hour() >= HOUR).then(|| local.date_naive())
}

/// The TTL of a marker written at `at`.
pub fn marker_expiry(at: DateTime<Utc>) -> i64 {
    (at + Duration::days(MARKER_DAYS)).timestamp()
}

/// The digest e-mail's subject and text for `name`'s unread notifications (newest first, at
/// most [`MAX_ITEMS`] of them given) of `total` unread; `None` when there is nothing unread.
pub fn compose(name: &str, unread: &[Notification], total: usize) -> Option<(String, String)> {
    if unread.is_empty() {
        return None;
    }
    let subject = match total {
        1 => "PodcastFlow: 1 unread notification".to_owned(),
        n => format!("PodcastFlow: {n} unread notifications"),
    };
    let mut body = format!("Hello {name},\n\nhere is what you have not read yet:\n\n");
    for n in unread.iter().take(MAX_ITEMS) {
        body.push_str(&format!("- {} ({})\n", n.title, n.created_at.format("%Y-%m-%d %H:%M UTC")));
        if !n.body.is_empty() && n.body != n.title {
            body.push_str(&format!("  {}\n", n.body));
        }
    }
    let listed = unread.len().min(MAX_ITEMS);
    if total > listed {
        body.push_str(&format!("\n... and {} more.\n", total - listed));
    }
    body.push_str("\nYou get this e-mail once a day because you chose the daily digest in your preferences.\n");
    Some((subject, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notification::Priority;
    use crate::{NotificationId, OrgId};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn the_digest_is_due_from_eight_in_the_user_s_zone_until_midnight() {
        assert_eq!(due("UTC", at("2026-12-01T07:59:59Z")), None);
        assert_eq!(due("UTC", at("2026-12-01T08:00:00Z")).map(|d| d.to_string()).as_deref(), Some("2026-12-01"));
        assert_eq!(due("UTC", at("2026-12-01T23:59:00Z")).map(|d| d.to_string()).as_deref(), Some("2026-12-01"));
        // 08:00 in New York (UTC-5 in December) is 13:00 UTC.
        assert_eq!(due("America/New_York", at("2026-12-01T12:59:00Z")), None);
        let ny = due("America/New_York", at("2026-12-01T13:00:00Z"));
        assert_eq!(ny.map(|d| d.to_string()).as_deref(), Some("2026-12-01"));
        // 08:00 in Tokyo is 23:00 UTC the day before.
        let tokyo = due("Asia/Tokyo", at("2026-11-30T23:00:00Z"));
        assert_eq!(tokyo.map(|d| d.to_string()).as_deref(), Some("2026-12-01"));
        assert_eq!(
            due("Nowhere/Zone", at("2026-12-01T08:00:00Z")).map(|d| d.to_string()).as_deref(),
            Some("2026-12-01")
        );
    }

    fn note(title: &str) -> Notification {
        let now = at("2026-12-01T09:30:00Z");
        Notification {
            id: NotificationId::new(),
            org_id: OrgId::new(),
            user_id: UserId::new(),
            kind: "campaign.approved".into(),
            title: title.into(),
            body: format!("{title}, in detail"),
            priority: Priority::High,
            entity: None,
            read_at: None,
            created_at: now,
            expires_at: Notification::expiry(now),
            version: 1,
        }
    }

    #[test]
    fn the_e_mail_lists_the_unread_and_counts_the_rest() {
        assert_eq!(compose("Ada", &[], 0), None);
        let (subject, body) = compose("Ada", &[note("Campaign A was approved")], 1).unwrap();
        assert_eq!(subject, "PodcastFlow: 1 unread notification");
        assert!(body.contains("Hello Ada") && body.contains("- Campaign A was approved (2026-12-01 09:30 UTC)"));
        assert!(body.contains("Campaign A was approved, in detail"));
        assert!(!body.contains("more."), "all listed: {body}");
        // A body that only repeats the title, or is empty, adds no line.
        let mut same = note("Backup completed");
        same.body = same.title.clone();
        let mut empty = note("Backup failed");
        empty.body.clear();
        let (_, body) = compose("Ada", &[same, empty], 2).unwrap();
        assert_eq!(body.matches("Backup completed").count(), 1, "{body}");
        assert!(!body.contains("\n  \n"), "{body}");
        let many: Vec<Notification> = (0..MAX_ITEMS + 5).map(|i| note(&format!("N{i}"))).collect();
        let (subject, body) = compose("Ada", &many, 70).unwrap();
        assert_eq!(subject, "PodcastFlow: 70 unread notifications");
        assert!(body.contains("- N49 ") && !body.contains("- N50 "));
        assert!(body.contains("... and 20 more."));
    }

    #[test]
    fn keys_are_the_user_s() {
        let (o, u) = (OrgId::new(), UserId::new());
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let k = marker_key(&o, &u, date);
        assert_eq!(k.pk, org_pk(&o, format!("USER#{u}")));
        assert_eq!(k.sk, "DIGEST#2026-12-01");
        assert_eq!(subscribers_pk(&o), org_pk(&o, "DIGESTS"));
        assert_eq!(subscriber_sk(&u), format!("USER#{u}"));
        assert_eq!(marker_expiry(at("2026-12-01T00:00:00Z")), at("2026-12-08T00:00:00Z").timestamp());
    }
}
