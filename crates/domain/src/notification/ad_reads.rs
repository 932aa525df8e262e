//! Which changes of a host read (and its comments) notify whom. The stream function resolves the
//! recipients and tells only those who may read the read, each as they stand.
//!
//! | change | who | type | priority |
//! |---|---|---|---|
//! | a read made with its talent, or given to another | the talent | `adread.assigned` | normal |
//! | a recording submitted | the campaign's owner and team members with `approve` | `adread.submitted` | normal |
//! | another take asked for | the talent | `adread.revisions_requested` | high |
//! | a read waits for the client's approval | the advertiser's client users | `adread.approval_needed` | high |
//! | a read approved | the talent | `adread.approved` | normal |
//! | a makegood asked for | the campaign's owner and team members with `approve` | `adread.makegood` | high |
//! | the brief of a read in production changed | the talent | `adread.brief_changed` | normal |
//! | a deadline near (24 h) / passed | recording: the talent; review: the reviewers; client approval: the client users; aircheck: the show's producers | `adread.deadline` | normal / high |
//! | a comment mentions someone | each mentioned (never a client user for an internal comment) | `adread.mentioned` | normal |

use serde_json::Value;

use super::rules::{Planned, Recipients, text, user, users};
use super::{EntityRef, NotificationType, Priority};
use crate::permissions::Action;
use crate::record::RecordType;
use crate::visibility::EntityKind;

fn strings(v: Option<&Value>, field: &str) -> Vec<String> {
    v.and_then(|v| v.get(field))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn pending_approval(v: Option<&Value>) -> Option<u64> {
    let a = v?.get("clientApproval")?;
    (a.get("decision")?.as_str()? == "pending").then(|| a.get("submission").and_then(Value::as_u64).unwrap_or(0))
}

/// The notifications a change of a read or a comment calls for.
pub fn plan(record: RecordType, before: Option<&Value>, after: Option<&Value>) -> Vec<Planned> {
    let mut out = Vec::new();
    if record == RecordType::Comment {
        if before.is_none()
            && let Some(read) = text(after, "adReadId")
        {
            let mentioned = users(after, "mentions");
            if !mentioned.is_empty() {
                let internal = after.and_then(|a| a.get("internal")).and_then(Value::as_bool).unwrap_or(true);
                out.push(Planned {
                    to: if internal { Recipients::Staff(mentioned) } else { Recipients::Users(mentioned) },
                    kind: NotificationType::AdReadMentioned,
                    title: "You were mentioned on a host read".into(),
                    body: text(after, "text").unwrap_or_default().chars().take(280).collect(),
                    priority: Priority::Normal,
                    entity: EntityRef { kind: EntityKind::AdRead, id: read.into() },
                });
            }
        }
        return out;
    }
    let (Some(id), Some(campaign), Some(status)) =
        (text(after, "id"), text(after, "campaignId").and_then(|c| c.parse().ok()), text(after, "status"))
    else {
        return out;
    };
    let entity = EntityRef { kind: EntityKind::AdRead, id: id.into() };
    let air = text(after, "airDate").unwrap_or_default();
    let talent = user(after, "talentId");
    let reviewers = || Recipients::CampaignPeople(campaign, Action::AdReadReview);
    let mut tell = |to: Recipients, kind, title: String, body: String, priority| {
        out.push(Planned { to, kind, title, body, priority, entity: entity.clone() });
    };
    if let Some(t) = talent
        && user(before, "talentId") != Some(t)
        && status != "cancelled"
    {
        tell(
            Recipients::Users(vec![t]),
            NotificationType::AdReadAssigned,
            format!("A host read to record, airing {air}"),
            "Read the brief and submit your recording before it is due.".into(),
            Priority::Normal,
        );
    }
    let moved = before.is_some() && text(before, "status") != Some(status);
    if moved {
        match (status, talent) {
            ("submitted", _) => tell(
                reviewers(),
                NotificationType::AdReadSubmitted,
                format!("A host read airing {air} was submitted"),
                "Review the recording and its conformance check.".into(),
                Priority::Normal,
            ),
            ("revisions_requested", Some(t)) => tell(
                Recipients::Users(vec![t]),
                NotificationType::AdReadRevisionsRequested,
                format!("Another take of the host read airing {air} is needed"),
                "See the request and the comments, then record it again.".into(),
                Priority::High,
            ),
            ("approved", Some(t)) => tell(
                Recipients::Users(vec![t]),
                NotificationType::AdReadApproved,
                format!("Your host read airing {air} was approved"),
                "It is ready for air.".into(),
                Priority::Normal,
            ),
            ("makegood_required", _) => tell(
                reviewers(),
                NotificationType::AdReadMakegood,
                format!("The host read of {air} needs a makegood"),
                "It did not air as sold; a replacement spot was held where one was free.".into(),
                Priority::High,
            ),
            _ => {}
        }
    }
    if let Some(submission) = pending_approval(after)
        && pending_approval(before) != Some(submission)
        && let Some(advertiser) = text(after, "advertiserId").and_then(|a| a.parse().ok())
    {
        tell(
            Recipients::ClientUsers(advertiser),
            NotificationType::AdReadApprovalNeeded,
            format!("A host read airing {air} waits for your approval"),
            "Listen to the recording and approve it, or ask for changes.".into(),
            Priority::High,
        );
    }
    let changed = |v: Option<&Value>| v.and_then(|v| v.get("briefChanged")).and_then(Value::as_bool).unwrap_or(false);
    if let Some(t) = talent
        && changed(after)
        && !changed(before)
        && before.is_some()
    {
        tell(
            Recipients::Users(vec![t]),
            NotificationType::AdReadBriefChanged,
            format!("The brief of your host read airing {air} changed"),
            "Read it again before you record or submit.".into(),
            Priority::Normal,
        );
    }
    let told = strings(before, "notices");
    for notice in strings(after, "notices").into_iter().filter(|n| !told.contains(n)) {
        let mut parts = notice.splitn(3, ':');
        let (Some(kind), Some(stage), Some(due)) = (parts.next(), parts.next(), parts.next()) else { continue };
        let to = match kind {
            "recording" => match talent {
                Some(t) => Recipients::Users(vec![t]),
                None => continue,
            },
            "review" => reviewers(),
            "clientApproval" => match text(after, "advertiserId").and_then(|a| a.parse().ok()) {
                Some(a) => Recipients::ClientUsers(a),
                None => continue,
            },
            "aircheck" => match text(after, "showId").and_then(|s| s.parse().ok()) {
                Some(show) => Recipients::UsersAndShowProducers(Vec::new(), show),
                None => continue,
            },
            _ => continue,
        };
        let what = match kind {
            "recording" => "recording",
            "review" => "review",
            "clientApproval" => "client approval",
            _ => "aircheck",
        };
        let (title, priority) = match stage {
            "due" => (format!("The {what} of the host read airing {air} is overdue"), Priority::High),
            _ => (format!("The {what} of the host read airing {air} is due within a day"), Priority::Normal),
        };
        tell(to, NotificationType::AdReadDeadline, title, format!("Due at {due}."), priority);
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{CampaignId, ClientId, ShowId, UserId};

    struct Ids {
        campaign: CampaignId,
        advertiser: ClientId,
        show: ShowId,
        talent: UserId,
    }

    fn ids() -> Ids {
        Ids { campaign: CampaignId::new(), advertiser: ClientId::new(), show: ShowId::new(), talent: UserId::new() }
    }

    fn read(i: &Ids, status: &str) -> Value {
        json!({"id": "r1", "campaignId": i.campaign, "advertiserId": i.advertiser, "showId": i.show,
            "talentId": i.talent, "status": status, "airDate": "2026-12-10", "notices": [], "briefChanged": false})
    }

    fn kinds(p: &[Planned]) -> Vec<(NotificationType, Recipients, Priority)> {
        p.iter().map(|p| (p.kind, p.to.clone(), p.priority)).collect()
    }

    #[test]
    fn each_move_tells_whose_turn_it_is() {
        let i = ids();
        let t = || Recipients::Users(vec![i.talent]);
        let reviewers = Recipients::CampaignPeople(i.campaign, Action::AdReadReview);
        let made = plan(RecordType::AdRead, None, Some(&read(&i, "needs_read")));
        assert_eq!(kinds(&made), [(NotificationType::AdReadAssigned, t(), Priority::Normal)]);
        let born_submitted = plan(RecordType::AdRead, None, Some(&read(&i, "submitted")));
        assert_eq!(
            kinds(&born_submitted),
            [(NotificationType::AdReadAssigned, t(), Priority::Normal)],
            "a record born in a status is no move"
        );
        assert_eq!(made[0].entity, EntityRef { kind: EntityKind::AdRead, id: "r1".into() });
        let cases = [
            ("needs_read", "submitted", NotificationType::AdReadSubmitted, reviewers.clone(), Priority::Normal),
            ("in_review", "revisions_requested", NotificationType::AdReadRevisionsRequested, t(), Priority::High),
            ("in_review", "approved", NotificationType::AdReadApproved, t(), Priority::Normal),
            ("aired", "makegood_required", NotificationType::AdReadMakegood, reviewers.clone(), Priority::High),
        ];
        for (from, to, kind, who, priority) in cases {
            let p = plan(RecordType::AdRead, Some(&read(&i, from)), Some(&read(&i, to)));
            assert_eq!(kinds(&p), [(kind, who, priority)], "{from} -> {to}");
        }
        for (from, to) in
            [("submitted", "in_review"), ("approved", "aired"), ("aired", "verified"), ("in_review", "in_review")]
        {
            assert!(plan(RecordType::AdRead, Some(&read(&i, from)), Some(&read(&i, to))).is_empty(), "{from} -> {to}");
        }
        // Reassigned: the new talent hears of it; a cancelled read tells no one.
        let mut other = read(&i, "needs_read");
        other["talentId"] = json!(UserId::new());
        assert_eq!(
            plan(RecordType::AdRead, Some(&read(&i, "needs_read")), Some(&other))[0].kind,
            NotificationType::AdReadAssigned
        );
        assert!(plan(RecordType::AdRead, Some(&read(&i, "needs_read")), Some(&read(&i, "cancelled"))).is_empty());
        let mut unassigned = read(&i, "revisions_requested");
        unassigned["talentId"] = Value::Null;
        assert!(plan(RecordType::AdRead, Some(&read(&i, "in_review")), Some(&unassigned)).is_empty());
    }

    #[test]
    fn the_client_hears_once_per_submission_waiting_for_them() {
        let i = ids();
        let mut waiting = read(&i, "in_review");
        waiting["clientApproval"] = json!({"decision": "pending", "submission": 1});
        let p = plan(RecordType::AdRead, Some(&read(&i, "submitted")), Some(&waiting));
        assert_eq!(
            kinds(&p),
            [(NotificationType::AdReadApprovalNeeded, Recipients::ClientUsers(i.advertiser), Priority::High)]
        );
        assert!(plan(RecordType::AdRead, Some(&waiting), Some(&waiting)).is_empty(), "told once");
        let mut second = waiting.clone();
        second["clientApproval"]["submission"] = json!(2);
        assert_eq!(plan(RecordType::AdRead, Some(&waiting), Some(&second)).len(), 1, "a new take asks again");
        let mut decided = waiting.clone();
        decided["clientApproval"]["decision"] = json!("approved");
        assert!(plan(RecordType::AdRead, Some(&waiting), Some(&decided)).is_empty());
    }

    #[test]
    fn brief_changes_and_deadlines_tell_whoever_acts_next() {
        let i = ids();
        let mut changed = read(&i, "needs_read");
        changed["briefChanged"] = json!(true);
        let p = plan(RecordType::AdRead, Some(&read(&i, "needs_read")), Some(&changed));
        assert_eq!(
            kinds(&p),
            [(NotificationType::AdReadBriefChanged, Recipients::Users(vec![i.talent]), Priority::Normal)]
        );
        assert!(plan(RecordType::AdRead, Some(&changed), Some(&changed)).is_empty());
        let with = |notices: &[&str]| {
            let mut r = read(&i, "in_review");
            r["notices"] = json!(notices);
            r
        };
        let before = with(&["recording:ahead:2026-12-05T23:00:00Z"]);
        let after = with(&[
            "recording:ahead:2026-12-05T23:00:00Z",
            "recording:due:2026-12-05T23:00:00Z",
            "review:ahead:2026-12-07T15:00:00Z",
            "clientApproval:due:2026-12-07T15:00:00Z",
            "aircheck:due:2026-12-11T10:00:00Z",
            "nonsense",
        ]);
        let p = plan(RecordType::AdRead, Some(&before), Some(&after));
        assert_eq!(
            kinds(&p),
            [
                (NotificationType::AdReadDeadline, Recipients::Users(vec![i.talent]), Priority::High),
                (
                    NotificationType::AdReadDeadline,
                    Recipients::CampaignPeople(i.campaign, Action::AdReadReview),
                    Priority::Normal
                ),
                (NotificationType::AdReadDeadline, Recipients::ClientUsers(i.advertiser), Priority::High),
                (
                    NotificationType::AdReadDeadline,
                    Recipients::UsersAndShowProducers(Vec::new(), i.show),
                    Priority::High
                ),
            ]
        );
        assert_eq!(p[0].title, "The recording of the host read airing 2026-12-10 is overdue");
        assert_eq!(p[1].title, "The review of the host read airing 2026-12-10 is due within a day");
        assert_eq!(p[2].title, "The client approval of the host read airing 2026-12-10 is overdue");
        assert_eq!(p[3].title, "The aircheck of the host read airing 2026-12-10 is overdue");
        assert_eq!(p[0].body, "Due at 2026-12-05T23:00:00Z.");
    }

    #[test]
    fn mentions_in_internal_comments_never_reach_client_users() {
        let (a, b) = (UserId::new(), UserId::new());
        let c = |internal: bool| json!({"id": "k", "adReadId": "r1", "text": "@ana listen at 0:12", "internal": internal, "mentions": [a, b]});
        let p = plan(RecordType::Comment, None, Some(&c(true)));
        assert_eq!(kinds(&p), [(NotificationType::AdReadMentioned, Recipients::Staff(vec![a, b]), Priority::Normal)]);
        assert_eq!(p[0].entity.id, "r1");
        assert_eq!(p[0].body, "@ana listen at 0:12");
        assert_eq!(plan(RecordType::Comment, None, Some(&c(false)))[0].to, Recipients::Users(vec![a, b]));
        assert!(plan(RecordType::Comment, Some(&c(false)), Some(&c(false))).is_empty(), "an edit tells no one again");
        let mut none = c(false);
        none["mentions"] = json!([]);
        assert!(plan(RecordType::Comment, None, Some(&none)).is_empty());
    }
}
