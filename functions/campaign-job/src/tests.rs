//! The job fed the sample scheduled event of events/.

use std::sync::Arc;

use podcastflow_store::embedded::EmbeddedTable;

use super::*;

#[tokio::test]
async fn the_sample_event_runs_for_the_day_of_its_scheduled_time() {
    let dir = tempfile::tempdir().unwrap();
    let job = CampaignJob { ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()) };
    let event: Value = serde_json::from_str(include_str!("../../../events/campaign-job/scheduled.json")).unwrap();
    let report = handle(&job, LambdaEvent::new(event, lambda_http::Context::default())).await.unwrap();
    assert_eq!(report.at.map(|t| t.to_rfc3339()).as_deref(), Some("2026-11-22T00:05:00+00:00"));
    assert_eq!((report.organizations, report.started, report.completed), (0, 0, 0));
    let by_hand = handle(&job, LambdaEvent::new(serde_json::json!({}), lambda_http::Context::default())).await.unwrap();
    assert!(by_hand.at.is_some_and(|t| (Utc::now() - t).num_seconds().abs() < 60));
}

mod deadlines {
    use chrono::{DateTime, NaiveDate, Utc};
    use podcastflow_domain::ad_read::deadlines::{Deadlines, Tz, next_business_day};
    use podcastflow_domain::ad_read::{AdRead, AdReadStatus};
    use podcastflow_domain::campaign::Position;
    use podcastflow_domain::inventory::spot::SpotRef;
    use podcastflow_domain::organization::{OrgSettings, OrgStatus, Organization};
    use podcastflow_domain::{AdReadId, CampaignId, ClientId, EpisodeId, OrderId, OrgId, ShowId, Stamp, UserId};
    use podcastflow_store::repo::ad_reads::AdReadRepo;
    use podcastflow_store::repo::organizations::OrganizationRepo;

    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn read(org: OrgId, line: u32, status: AdReadStatus, deadlines: Deadlines) -> AdRead {
        AdRead {
            id: AdReadId::new(),
            org_id: org,
            campaign_id: CampaignId::new(),
            advertiser_id: ClientId::new(),
            order_id: OrderId::new(),
            line,
            spot: SpotRef { episode_id: EpisodeId::new(), position: Position::Mid, index: 0 },
            show_id: ShowId::new(),
            air_date: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
            talent_id: Some(UserId::new()),
            status,
            brief_id: None,
            brief_changed: false,
            requires_client_approval: false,
            client_approval: None,
            submissions: Vec::new(),
            override_reason: None,
            aired_at: None,
            aircheck: None,
            aircheck_missing: false,
            makegood: None,
            deadlines,
            notices: Vec::new(),
            history: Vec::new(),
            stamp: Stamp::created(UserId::SYSTEM, utc("2026-12-04T20:00:00Z")),
        }
    }

    /// The job run by a clock the test sets, for an organization in New York with a weekend between
    /// a Friday submission and its review.
    #[tokio::test]
    async fn deadline_notices_come_once_each_by_the_organizations_business_days() {
        let dir = tempfile::tempdir().unwrap();
        let job =
            CampaignJob { ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()) };
        let org_id = OrgId::new();
        let settings = OrgSettings { timezone: "America/New_York".into(), ..OrgSettings::default() };
        let org = Organization {
            id: org_id,
            name: "Network".into(),
            slug: "network-ny".into(),
            status: OrgStatus::Active,
            plan: "pro".into(),
            settings,
            stamp: Stamp::created(UserId::SYSTEM, Utc::now()),
        };
        let table = job.ctx.org_table(&org_id);
        OrganizationRepo::new(table.as_ref(), &job.ctx.cursors).create(&org).await.unwrap();
        // Submitted on Friday at 15:00 in New York: the review is due on Monday at 15:00 there.
        let ny: Tz = "America/New_York".parse().unwrap();
        let review_due = next_business_day(utc("2026-12-04T20:00:00Z"), ny);
        assert_eq!(review_due, utc("2026-12-07T20:00:00Z"));
        let submitted = read(
            org_id,
            1,
            AdReadStatus::Submitted,
            Deadlines { review_due_at: Some(review_due), ..Deadlines::default() },
        );
        let aircheck_due = utc("2026-12-11T15:00:00Z");
        let aired = read(
            org_id,
            1,
            AdReadStatus::Aired,
            Deadlines { aircheck_due_at: Some(aircheck_due), ..Deadlines::default() },
        );
        let t = TenantTable::new(job.ctx.tenants.for_org(&org_id), org_id, job.ctx.cursors.as_ref().clone());
        let repo = AdReadRepo::new(&t);
        assert_eq!(repo.create_for_lines(vec![submitted.clone()]).await.unwrap(), 1);
        assert_eq!(repo.create_for_lines(vec![aired.clone()]).await.unwrap(), 1);
        let notices = |at: &'static str| {
            let job = &job;
            async move { run(job, utc(at), "r").await.unwrap().read_notices }
        };
        // Saturday: nothing is a day from due yet.
        assert_eq!(notices("2026-12-05T12:00:00Z").await, 0);
        // Sunday 15:00 in New York: a day ahead of Monday's deadline, told once.
        assert_eq!(notices("2026-12-06T20:00:00Z").await, 1);
        assert_eq!(notices("2026-12-06T21:00:00Z").await, 0);
        let r = repo.get(&submitted.id).await.unwrap().unwrap();
        assert_eq!(r.notices, ["review:ahead:2026-12-07T20:00:00Z"]);
        // Monday 15:00 there: due, told once, and then nothing more to tell.
        assert_eq!(notices("2026-12-07T20:00:00Z").await, 1);
        assert_eq!(notices("2026-12-08T20:00:00Z").await, 0);
        let r = repo.get(&submitted.id).await.unwrap().unwrap();
        assert_eq!(r.notices.len(), 2);
        assert!(r.deadlines.next_notice_at(&r.notices).is_none());
        // An aircheck a day late: both of its notices at once, and the read flagged.
        assert!(!repo.get(&aired.id).await.unwrap().unwrap().aircheck_missing);
        assert_eq!(notices("2026-12-12T00:00:00Z").await, 1);
        let late = repo.get(&aired.id).await.unwrap().unwrap();
        assert!(late.aircheck_missing);
        assert_eq!(late.notices.len(), 2);
    }
}
