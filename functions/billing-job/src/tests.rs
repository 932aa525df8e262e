//! The job fed the sample scheduled event of events/, and its two passes on the embedded store
//! (drafting end to end is driven through the local stack in the e2e suite).

use std::sync::Arc;

use chrono::{Duration, TimeZone};
use podcastflow_domain::billing::charge::{ChargeKind, Unit};
use podcastflow_domain::billing::invoice::{Invoice, InvoiceLine, LineKind, Parties};
use podcastflow_domain::order::BillingCalendar;
use podcastflow_domain::organization::{OrgSettings, OrgStatus};
use podcastflow_domain::{ClientId, Currency, Money, OrderId, Stamp};
use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_store::repo::organizations::OrganizationRepo;

use super::*;

fn job() -> (BillingJob, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let job = BillingJob { ctx: AppContext::new(Arc::new(EmbeddedTable::open(dir.path()).unwrap()), b"s".to_vec()) };
    (job, dir)
}

#[tokio::test]
async fn the_sample_event_runs_for_the_day_of_its_scheduled_time() {
    let (job, _dir) = job();
    let event: Value = serde_json::from_str(include_str!("../../../events/billing-job/scheduled.json")).unwrap();
    let report = handle(&job, LambdaEvent::new(event, lambda_http::Context::default())).await.unwrap();
    assert_eq!(report.at.map(|t| t.to_rfc3339()).as_deref(), Some("2026-11-22T00:05:00+00:00"));
    assert_eq!((report.organizations, report.drafted, report.overdue), (0, 0, 0));
}

#[test]
fn the_month_billed_is_the_last_one_of_the_orders_calendar_that_ended() {
    let mut o = podcastflow_domain::order::Order {
        billing_calendar: BillingCalendar::Standard,
        ..serde_json::from_value(serde_json::json!({
            "id": OrderId::new(), "orgId": OrgId::new(), "number": "IO-2026-00001", "campaignId": OrderId::new(),
            "advertiserId": ClientId::new(), "status": "booked", "lines": [], "currency": "USD",
            "billingMode": "contract", "billingCalendar": "standard", "paymentTermsDays": 30,
            "createdAt": Utc::now(), "createdBy": UserId::SYSTEM, "updatedAt": Utc::now(), "updatedBy": UserId::SYSTEM,
            "version": 1
        }))
        .unwrap()
    };
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let month = |o: &Order, d| {
        let m = month_to_bill(o, d);
        (m.year, m.month)
    };
    assert_eq!(month(&o, day(2027, 1, 1)), (2026, 12));
    assert_eq!(month(&o, day(2027, 3, 28)), (2027, 2));
    o.billing_calendar = BillingCalendar::Broadcast;
    // Broadcast January 2027 runs from 28 December to 31 January: on 1 January, December (to the
    // 27th) is the one that ended; on 28 December too.
    assert_eq!(month(&o, day(2027, 1, 1)), (2026, 12));
    assert_eq!(month(&o, day(2026, 12, 28)), (2026, 12));
    assert_eq!(month(&o, day(2026, 12, 27)), (2026, 11));
}

#[tokio::test]
async fn drafts_wait_for_the_invoice_day_run_once_a_month_and_open_invoices_past_due_become_overdue() {
    let (job, _dir) = job();
    let org_id = OrgId::new();
    let mut settings = OrgSettings { timezone: "America/New_York".into(), ..OrgSettings::default() };
    settings.billing.invoice_day = 3;
    let org = Organization {
        id: org_id,
        name: "Network".into(),
        slug: "network-bill".into(),
        status: OrgStatus::Active,
        plan: "pro".into(),
        settings,
        stamp: Stamp::created(UserId::SYSTEM, Utc::now()),
    };
    let table = job.ctx.org_table(&org_id);
    OrganizationRepo::new(table.as_ref(), &job.ctx.cursors).create(&org).await.unwrap();
    let t = TenantTable::new(job.ctx.tenants.for_org(&org_id), org_id, job.ctx.cursors.as_ref().clone());
    let repo = BillingRepo::new(&t);
    // An invoice issued on 2 December on 30 days: due 1 January.
    let month = BillingMonth::new(BillingCalendar::Standard, 2026, 11).unwrap();
    let usd = |a| Money::new(a, Currency::USD);
    let client = ClientId::new();
    let parties = Parties {
        order_id: OrderId::new(),
        order_number: "IO-2026-00001".into(),
        advertiser_id: client,
        advertiser_name: "Acme".into(),
        bill_to: client,
        bill_to_name: "Acme".into(),
    };
    let line = InvoiceLine {
        kind: LineKind::Charge(ChargeKind::Contract),
        order_line: Some(1),
        description: "Line 1".into(),
        quantity: 1,
        unit: Unit::Spots,
        unit_price: usd(50_000),
        amount: usd(50_000),
    };
    let stamp = Stamp::created(UserId::SYSTEM, Utc::now());
    let mut i = Invoice::new_draft(org_id, parties, month, Currency::USD, vec![line], 30, stamp).unwrap();
    repo.create_draft(&i).await.unwrap();
    let issued_on = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    i.issue(String::new(), Utc::now(), issued_on).unwrap();
    i.stamp = i.stamp.touched(UserId::SYSTEM, Utc::now());
    let i = repo.issue(i, 1, 2026).await.unwrap();

    // 2 January, 04:00 UTC is still 1 January in New York: not yet past due, not the invoice day.
    let at = Utc.with_ymd_and_hms(2027, 1, 2, 4, 0, 0).unwrap();
    let first = run(&job, at, "r1").await.unwrap();
    assert_eq!((first.organizations, first.overdue, first.drafted), (1, 0, 0));
    assert!(!repo.drafts_done(2027, 1).await.unwrap(), "before the invoice day");
    // 2 January in New York: past due; still before the 3rd.
    let second = run(&job, at + Duration::hours(6), "r2").await.unwrap();
    assert_eq!(second.overdue, 1);
    let stored = repo.get(&i.id).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.stamp.updated_by), (InvoiceStatus::Overdue, UserId::SYSTEM));
    let again = run(&job, at + Duration::hours(7), "r3").await.unwrap();
    assert_eq!(again.overdue, 0, "marked once");
    assert!(!repo.drafts_done(2027, 1).await.unwrap());
    // The 3rd: the month's drafts are made (none owed here) and marked done, once.
    run(&job, Utc.with_ymd_and_hms(2027, 1, 3, 12, 0, 0).unwrap(), "r4").await.unwrap();
    assert!(repo.drafts_done(2027, 1).await.unwrap());
    assert!(!repo.drafts_done(2027, 2).await.unwrap());
}
