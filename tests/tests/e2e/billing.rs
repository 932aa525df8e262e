//! Billing end to end through the local stack: a booked order of a published episode, the
//! monthly job drafting its December on the organization's invoice day, an admin issuing it (its
//! PDF downloads, opens and says its number and total), the client user and the seller reading
//! it while others cannot, a credit note, a partial payment and the rest, the receivables report
//! on the way, and every change in the audit trail.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use podcastflow_billing_job::{BillingJob, run};
use podcastflow_tests::live::Live;
use podcastflow_tests::org::{self, TestOrg};
use podcastflow_tests::stack::TestStack;
use podcastflow_tests::wait::until_async;
use serde_json::{Value, json};

use super::delivery::{booked_line, measured_episode};

const WAIT: Duration = Duration::from_secs(20);

/// A booked order of `o` (its advertiser `o.client_id`, direct, assigned to `o.seller`) for the
/// pre-roll of an episode airing on 7 December 2026, published; its December invoice drafted by
/// the billing job on 1 January 2027 (the default invoice day). Answers (invoice, order).
pub(crate) async fn drafted_invoice(s: &TestStack, o: &TestOrg) -> (String, String) {
    let (_, ep) = measured_episode(o).await;
    let (_, order) = booked_line(o, &ep, 30_000).await;
    for to in ["recording", "editing", "published"] {
        let r = o.admin.api.post(&format!("/episodes/{ep}/transitions"), json!({"to": to})).await;
        assert_eq!(r.status, 200, "{to}: {:?}", r.body);
    }
    let job = BillingJob { ctx: s.stack.services.ctx.clone() };
    let at = Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap();
    let report = run(&job, at, "billing-job-run").await.unwrap();
    assert!(report.drafted >= 1, "{report:?}");
    let list = o.admin.api.get(&format!("/invoices?orderId={order}")).await;
    assert_eq!(list.status, 200, "{:?}", list.body);
    let id = list.body["items"][0]["id"].as_str().expect("the drafted invoice").to_owned();
    (id, order)
}

fn amount(v: &Value) -> i64 {
    v["amount"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_drafted_by_the_job_issued_with_its_pdf_credited_paid_and_aged() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let other = org::create(&s, &master).await;
    let (admin, seller, client) = (&o.admin.api, &o.seller.api, &o.client.api);
    let (id, order) = drafted_invoice(&s, &o).await;
    let path = format!("/invoices/{id}");

    // The draft: the line's contract (30,000 impressions at $25.00 CPM) for December, no number.
    let draft = admin.get(&path).await;
    assert_eq!(draft.status, 200, "{:?}", draft.body);
    let d = &draft.body;
    assert_eq!((d["status"].as_str(), d["number"].as_str()), (Some("draft"), None));
    assert_eq!((d["month"]["year"].as_i64(), d["month"]["month"].as_i64()), (Some(2026), Some(12)));
    assert_eq!((d["period"]["start"].as_str(), d["period"]["end"].as_str()), (Some("2026-12-01"), Some("2026-12-31")));
    assert_eq!(d["lines"].as_array().unwrap().len(), 1);
    assert_eq!((d["lines"][0]["type"].as_str(), d["lines"][0]["charge"].as_str()), (Some("charge"), Some("contract")));
    assert_eq!((d["lines"][0]["quantity"].as_i64(), amount(&d["total"])), (Some(30_000), 75_000));
    assert_eq!(
        (d["billTo"].as_str(), d["advertiserId"].as_str()),
        (Some(o.client_id.as_str()), Some(o.client_id.as_str()))
    );
    assert_eq!(d["createdBy"], podcastflow_domain::UserId::SYSTEM.to_string(), "drafted by the job");

    // The job again (the month's drafts are done), and an admin by hand: December is not over
    // by the real clock, and November owes nothing (the spot airs in December).
    let job = BillingJob { ctx: s.stack.services.ctx.clone() };
    let again = run(&job, Utc.with_ymd_and_hms(2027, 1, 1, 13, 0, 0).unwrap(), "again").await.unwrap();
    assert_eq!(again.drafted, 0);
    let problem =
        |r: &podcastflow_tests::client::Answer| (r.status.as_u16(), r.body["type"].as_str().map(str::to_owned));
    let kind = |k: &str| (409, Some(format!("https://podcastflow.dev/problems/{k}")));
    let open = admin.post("/invoices", json!({"orderId": order, "year": 2031, "month": 1})).await;
    assert_eq!(problem(&open), kind("month-not-over"), "{:?}", open.body);
    let november = admin.post("/invoices", json!({"orderId": order, "year": 2026, "month": 11})).await;
    assert_eq!(problem(&november), kind("nothing-to-bill"), "{:?}", november.body);
    assert_eq!(seller.post("/invoices", json!({"orderId": order, "year": 2026, "month": 11})).await.status, 403);

    // The payer's billing contact, where the issued invoice is e-mailed.
    let c = admin.get(&format!("/clients/{}", o.client_id)).await;
    let mut edited = c.body.clone();
    edited["billing"]["email"] = json!("ap@acme.example");
    let keep = ["name", "type", "assignedSellerIds", "billing", "contacts"];
    edited.as_object_mut().unwrap().retain(|k, _| keep.contains(&k.as_str()));
    let put = admin.send("PUT", &format!("/clients/{}", o.client_id), Some(edited), Some(&c.etag())).await;
    assert_eq!(put.status, 200, "{:?}", put.body);

    // Live: the admin follows the organization's billing, the client user this invoice; the
    // producer may not follow it.
    let url = &s.stack.endpoints.websocket;
    let (mut admin_live, mut client_live) = (Live::connect(url, admin).await, Live::connect(url, client).await);
    let topic = format!("invoice:{id}");
    assert_eq!(admin_live.subscribe(&["org:billing"]).await["accepted"], json!(["org:billing"]));
    assert_eq!(client_live.subscribe(&[&topic]).await["accepted"], json!([topic]));
    let mut producer_live = Live::connect(url, &o.producer.api).await;
    assert_eq!(producer_live.subscribe(&[&topic]).await["accepted"], json!([]), "the producer reads no invoice");

    // Notes for the accountants only; then the issue, numbered, due after the order's terms.
    let noted = admin.send("PUT", &path, Some(json!({"internalNotes": "chase in January"})), Some(&draft.etag())).await;
    assert_eq!(noted.status, 200, "{:?}", noted.body);
    assert_eq!(admin_live.expect("invoice.updated").await["data"]["internalNotes"], "chase in January");
    let issued = admin.post(&format!("{path}/issue"), json!({})).await;
    assert_eq!(issued.status, 200, "{:?}", issued.body);
    // The client user's first update is the issue (the note was nothing they see), in their view.
    let m = client_live.expect("invoice.updated").await;
    assert_eq!((m["topic"].as_str(), m["data"]["status"].as_str()), (Some(topic.as_str()), Some("issued")), "{m}");
    assert!(m["data"].get("internalNotes").is_none(), "the client view: {m}");
    let number = issued.body["number"].as_str().unwrap().to_owned();
    assert!(number.starts_with("INV-") && number.ends_with("-00001"), "{number}");
    assert_eq!(issued.body["status"], "issued");
    assert!(issued.body["dueDate"].is_string() && issued.body["document"].is_string());
    assert_eq!(admin.post(&format!("{path}/issue"), json!({})).await.status, 409, "once");
    assert_eq!(issued.body["emailedTo"], "ap@acme.example");
    let sent = s.stack.services.outbox.messages().unwrap().into_iter().rfind(|m| m.to == "ap@acme.example").unwrap();
    assert!(sent.subject.starts_with(&format!("Invoice {number}: USD 750.00 due ")), "{}", sent.subject);
    assert_eq!(sent.attachments.len(), 1);
    assert_eq!(sent.attachments[0].file_name, format!("{number}.pdf"));
    assert!(sent.attachments[0].bytes.starts_with(b"%PDF-"));

    // The document: a PDF that opens and says its number, the payer and the total.
    let link = client.get(&format!("{path}/document")).await;
    assert_eq!(link.status, 200, "{:?}", link.body);
    let pdf = reqwest::get(link.body["url"].as_str().unwrap()).await.unwrap().bytes().await.unwrap();
    let doc = lopdf::Document::load_mem(&pdf).expect("the document opens");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).unwrap();
    for said in [number.as_str(), "USD 750.00", "Balance due", "IO-"] {
        assert!(text.contains(said), "{said:?} in {text}");
    }

    // Who reads it: the payer's client user (client view), its seller; not the producer, the
    // talent or another organization. The client user may not pay it.
    let seen = client.get(&path).await;
    assert_eq!(seen.status, 200);
    assert!(seen.body.get("internalNotes").is_none(), "the client view");
    assert_eq!(seller.get(&path).await.body["internalNotes"], "chase in January");
    for outsider in [&o.producer.api, &o.talent.api, &other.admin.api] {
        assert_eq!(outsider.get(&path).await.status, 404);
        assert_eq!(outsider.get(&format!("{path}/document")).await.status, 404);
    }
    let sneaky = json!({"amount": {"amount": 100, "currency": "USD"}, "date": "2026-12-01", "method": "card"});
    assert_eq!(client.post(&format!("{path}/payments"), sneaky.clone()).await.status, 403);
    assert_eq!(seller.post(&format!("{path}/payments"), sneaky).await.status, 403);
    let listed = client.get("/invoices").await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert!(other.admin.api.get("/invoices").await.body["items"].as_array().unwrap().is_empty());

    // The receivables: all of it current.
    let aged = admin.get("/reports/receivables").await;
    assert_eq!(aged.status, 200, "{:?}", aged.body);
    assert_eq!(amount(&aged.body["items"][0]["buckets"]["current"]), 75_000);
    let csv = admin.with_header("accept", "text/csv").get("/reports/receivables").await;
    assert_eq!(csv.status, 200);
    assert_eq!(seller.get("/reports/receivables").await.status, 403);

    // A credit note of $50.00, then $300.00 paid, then the rest: paid.
    let note =
        json!({"reason": "discount", "description": "Launch goodwill", "amount": {"amount": 5_000, "currency": "USD"}});
    let credited = admin.post(&format!("{path}/credit-notes"), note).await;
    assert_eq!(credited.status, 201, "{:?}", credited.body);
    assert!(credited.body["number"].as_str().unwrap().ends_with("-00001"));
    let pay = |cents: i64| json!({"amount": {"amount": cents, "currency": "USD"}, "date": "2026-12-04", "method": "bank_transfer", "reference": "TX-1"});
    let over = admin.post(&format!("{path}/payments"), pay(70_001)).await;
    assert_eq!(over.status, 422, "an overpayment is refused: {:?}", over.body);
    let part = admin.post(&format!("{path}/payments"), pay(30_000)).await;
    assert_eq!(part.status, 201, "{:?}", part.body);
    assert_eq!((part.body["status"].as_str(), amount(&part.body["balance"])), (Some("partially_paid"), 40_000));
    let rest = admin.post(&format!("{path}/payments"), pay(40_000)).await;
    assert_eq!((rest.body["status"].as_str(), amount(&rest.body["balance"])), (Some("paid"), 0));
    assert_eq!(
        admin.post(&format!("{path}/void"), json!({"reason": "x"})).await.status,
        409,
        "paid: credited, not voided"
    );
    assert!(admin.get("/reports/receivables").await.body["items"].as_array().unwrap().is_empty());
    // Revenue in December: booked at the contract, nothing delivered yet (no logs), invoiced in
    // full, $700.00 collected (the $50.00 credit is not money received).
    let rev = admin.get("/reports/revenue?from=2026-12-01&to=2026-12-31").await;
    assert_eq!(rev.status, 200, "{:?}", rev.body);
    let row = &rev.body["items"][0];
    assert_eq!(row["key"], "2026-12");
    let money: Vec<i64> = ["booked", "delivered", "invoiced", "collected"].iter().map(|k| amount(&row[*k])).collect();
    assert_eq!(money, [75_000, 0, 75_000, 70_000]);
    let by_show = admin
        .with_header("accept", "text/csv")
        .get("/reports/revenue?from=2026-12-01&to=2026-12-31&groupBy=show")
        .await;
    assert_eq!(by_show.status, 200);
    let bad = admin.get("/reports/revenue?from=2026-01-01&to=2027-12-31").await;
    assert_eq!(bad.status, 400, "more than 366 days");
    assert_eq!(admin.get("/reports/revenue?from=2026-12-01&to=2026-12-31&groupBy=planet").await.status, 400);
    // The client's statement of account: the invoice, the credit, both payments, nothing owed.
    let st = client.get(&format!("/clients/{}/statement?from=2026-12-01&to=2026-12-31", o.client_id)).await;
    assert_eq!(st.status, 200, "{:?}", st.body);
    let usd = &st.body["statements"][0];
    let kinds: Vec<&str> = usd["entries"].as_array().unwrap().iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    assert_eq!((amount(&usd["opening"]), amount(&usd["closing"])), (0, 0));
    assert!(usd["open"].as_array().unwrap().is_empty());
    assert_eq!(other.admin.api.get(&format!("/clients/{}/statement", o.client_id)).await.status, 404);
    assert_eq!(o.producer.api.get(&format!("/clients/{}/statement", o.client_id)).await.status, 404);
    // The show's revenue share: 25 % of what its lines collected in December, all to its one
    // talent, who reads their statement; a producer not of the show and a seller may not.
    let show = admin.get(&format!("/orders/{order}")).await.body["lines"][0]["showId"].as_str().unwrap().to_owned();
    let assign = json!({"talentIds": [o.talent.id]});
    assert_eq!(admin.send("PUT", &format!("/shows/{show}/assignments"), Some(assign), Some("*")).await.status, 200);
    let terms = json!({"terms": {"kind": "percent_of_net_collected", "hundredths": 2500}});
    let set = admin.send("PUT", &format!("/shows/{show}/revenue-share"), Some(terms), None).await;
    assert_eq!(set.status, 200, "{:?}", set.body);
    assert_eq!(set.body["revenueShare"]["terms"]["hundredths"], 2500);
    // What the show's people are paid is for admins and producers: its talent and sellers read
    // the show without it (each talent reads their own part on the statement).
    assert!(admin.get(&format!("/shows/{show}")).await.body.get("revenueShare").is_some());
    for reader in [&o.talent.api, seller] {
        let seen = reader.get(&format!("/shows/{show}")).await;
        assert_eq!(seen.status, 200);
        assert!(seen.body.get("revenueShare").is_none() && seen.body.get("name").is_some(), "{:?}", seen.body);
    }
    let stranger = json!({"terms": {"kind": "percent_of_net_collected", "hundredths": 2500}, "splits": [{"talentId": o.seller.id, "weight": 1}]});
    assert_eq!(admin.send("PUT", &format!("/shows/{show}/revenue-share"), Some(stranger), None).await.status, 400);
    let st = o.talent.api.get(&format!("/statements?showId={show}&month=2026-12")).await;
    assert_eq!(st.status, 200, "{:?}", st.body);
    let item = &st.body["items"][0];
    assert_eq!(
        (amount(&item["netCollected"]), amount(&item["owed"]), item["episodesPublished"].as_i64()),
        (70_000, 17_500, Some(1))
    );
    assert_eq!(item["talent"][0]["talentId"], o.talent.id.as_str());
    assert_eq!(amount(&item["talent"][0]["amount"]), 17_500);
    assert_eq!(
        o.producer.api.get(&format!("/statements?showId={show}&month=2026-12")).await.status,
        403,
        "reads the show, not its money"
    );
    assert_eq!(seller.get(&format!("/statements?showId={show}&month=2026-12")).await.status, 403);
    let notes = client.get(&format!("{path}/credit-notes")).await;
    assert_eq!(notes.body["items"].as_array().unwrap().len(), 1);

    // Every change is in the audit trail; the client user was told of the issue.
    let log = until_async(WAIT, "the invoice's activity", || async {
        let a = admin.get(&format!("/activities?entityType=invoice&entityId={id}&limit=100")).await;
        let items = a.body["items"].as_array()?.clone();
        (items.len() >= 7).then_some(items)
    })
    .await;
    let actions: Vec<&str> = log.iter().filter_map(|i| i["action"].as_str()).collect();
    for a in ["invoice.created", "invoice.transitioned", "invoice.creditNote.created", "invoice.updated"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    until_async(WAIT, "the client user's notice", || async {
        let n = client.get("/notifications").await;
        n.body["items"].as_array()?.iter().any(|i| i["type"] == "invoice.issued").then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agency_is_billed_with_its_commission_and_the_advertiser_shown() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let (admin, seller) = (&o.admin.api, &o.seller.api);
    let (_, ep) = measured_episode(&o).await;
    let (_, order) = booked_line(&o, &ep, 30_000).await;
    for to in ["recording", "editing", "published"] {
        assert_eq!(admin.post(&format!("/episodes/{ep}/transitions"), json!({"to": to})).await.status, 200);
    }
    // The advertiser buys through an agency taking 15 %, whose accounts payable get the invoice.
    let agency = admin
        .post(
            "/clients",
            json!({"name": "Media Agency", "type": "agency",
                "billing": {"currency": "USD", "commissionBps": 1500, "email": "ap@agency.example"}}),
        )
        .await;
    assert_eq!(agency.status, 201, "{:?}", agency.body);
    let agency = agency.body["id"].as_str().unwrap().to_owned();
    let advertiser =
        json!({"name": "Acme", "type": "advertiser", "agencyId": agency, "assignedSellerIds": [o.seller.id]});
    let put = admin.send("PUT", &format!("/clients/{}", o.client_id), Some(advertiser), Some("*")).await;
    assert_eq!(put.status, 200, "{:?}", put.body);

    let job = BillingJob { ctx: s.stack.services.ctx.clone() };
    run(&job, Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap(), "agency-run").await.unwrap();
    let list = admin.get(&format!("/invoices?orderId={order}")).await;
    let i = &list.body["items"][0];
    assert_eq!((i["billTo"].as_str(), i["billToName"].as_str()), (Some(agency.as_str()), Some("Media Agency")));
    assert_eq!((i["advertiserId"].as_str(), i["advertiserName"].as_str()), (Some(o.client_id.as_str()), Some("Acme")));
    let lines = i["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "the charge, then the commission: {lines:?}");
    assert_eq!((lines[1]["type"].as_str(), amount(&lines[1]["amount"])), (Some("agency_commission"), -11_250));
    assert_eq!(amount(&i["total"]), 63_750, "$750.00 less 15 %");
    let id = i["id"].as_str().unwrap().to_owned();

    // The advertiser's own client user does not see what its agency is billed; its seller does.
    assert_eq!(o.client.api.get(&format!("/invoices/{id}")).await.status, 404);
    assert!(o.client.api.get("/invoices").await.body["items"].as_array().unwrap().is_empty());
    assert_eq!(seller.get(&format!("/invoices/{id}")).await.status, 200);

    let issued = admin.post(&format!("/invoices/{id}/issue"), json!({})).await;
    assert_eq!((issued.status.as_u16(), issued.body["emailedTo"].as_str()), (200, Some("ap@agency.example")));
    let sent = s.stack.services.outbox.messages().unwrap().into_iter().rfind(|m| m.to == "ap@agency.example").unwrap();
    assert!(sent.body.contains("advertiser: Acme") && sent.subject.contains("USD 637.50"), "{sent:?}");
    let doc = lopdf::Document::load_mem(&sent.attachments[0].bytes).unwrap();
    let text = doc.extract_text(&doc.get_pages().keys().copied().collect::<Vec<_>>()).unwrap();
    for said in ["Media Agency", "Advertiser: Acme", "Agency commission, 15.00 %", "USD -112.50", "USD 637.50"] {
        assert!(text.contains(said), "{said:?} in {text}");
    }
}
