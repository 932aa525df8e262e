//! Inventory end to end: avails of a show, a plan previewed and held, the hold listed, extended
//! and released, competitive separation between two advertisers, and every role and another
//! organization from the attacker's side.

use podcastflow_tests::org;
use podcastflow_tests::stack::TestStack;
use serde_json::{Value, json};

/// The avails row of one position of the only episode in `page`.
fn row<'a>(page: &'a Value, position: &str) -> &'a Value {
    page["items"].as_array().unwrap().iter().find(|r| r["position"] == position).expect("the position's row")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avails_preview_hold_extend_and_release_with_separation_and_roles() {
    let s = TestStack::start().await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let other = org::create(&s, &master).await;
    let show = o
        .admin
        .api
        .post(
            "/shows",
            json!({"name": "Markets", "releaseFrequency": "weekly", "producerIds": [o.producer.id],
                "adConfig": {"slots": {"pre": 1, "mid": 2, "post": 0}, "cpm": {"mid": {"amount": 2500, "currency": "USD"}}}}),
        )
        .await;
    assert_eq!(show.status, 201, "{:?}", show.body);
    let show = show.body["id"].as_str().unwrap().to_owned();
    let ep = o.producer.api.post("/episodes", json!({"showId": show, "title": "Rates", "airDate": "2027-03-08"})).await;
    let ep = ep.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        o.producer.api.post(&format!("/episodes/{ep}/transitions"), json!({"to": "scheduled"})).await.status,
        200
    );
    // Two banks: the org's client and a competitor, each with a campaign of the seller's.
    let banks = |name: &str| json!({"name": name, "type": "advertiser", "competitiveCategory": "IAB13", "assignedSellerIds": [o.seller.id]});
    let ours = o.admin.api.send("PUT", &format!("/clients/{}", o.client_id), Some(banks("Acme Bank")), Some("*")).await;
    assert_eq!(ours.status, 200, "{:?}", ours.body);
    let rival = o.admin.api.post("/clients", banks("Rival Bank")).await;
    let rival = rival.body["id"].as_str().unwrap().to_owned();
    let campaign = |client: String| json!({"name": "Spring", "clientId": client, "ownerId": o.seller.id, "startDate": "2027-03-01", "endDate": "2027-03-31"});
    let c1 = o.seller.api.post("/campaigns", campaign(o.client_id.clone())).await;
    assert_eq!(c1.status, 201, "{:?}", c1.body);
    let c1 = c1.body["id"].as_str().unwrap().to_owned();
    let c2 = o.seller.api.post("/campaigns", campaign(rival)).await.body["id"].as_str().unwrap().to_owned();

    // Avails: sellers, admins and the show's producer; not talent or client users; not another org.
    let avails = format!("/inventory?showIds={show}&from=2027-03-01&to=2027-03-31");
    let page = o.seller.api.get(&avails).await;
    assert_eq!(page.status, 200, "{:?}", page.body);
    let mid = row(&page.body, "mid");
    assert_eq!((mid["total"].as_u64(), mid["available"].as_u64()), (Some(2), Some(2)));
    assert_eq!(mid["price"]["cpm"]["amount"], 2500);
    assert_eq!(o.producer.api.get(&avails).await.status, 200);
    for api in [&o.talent.api, &o.client.api] {
        assert_eq!(api.get(&avails).await.status, 403);
    }
    assert_eq!(other.admin.api.get(&avails).await.status, 404);
    assert_eq!(o.seller.api.get(&format!("/inventory?showIds={show}&from=2027-03-31&to=2027-03-01")).await.status, 400);

    // Preview changes nothing; the commit holds; avails say so.
    let plan = json!({"plan": {"showIds": [show], "from": "2027-03-01", "to": "2027-03-31", "positions": ["mid"], "spotsPerEpisode": 1}});
    let preview = o.seller.api.post(&format!("/campaigns/{c1}/holds?preview=true"), plan.clone()).await;
    assert_eq!(preview.status, 200, "{:?}", preview.body);
    assert_eq!(preview.body["spots"][0]["spot"], "mid-0");
    assert_eq!(row(&o.seller.api.get(&avails).await.body, "mid")["held"], 0);
    let held = o.seller.api.post(&format!("/campaigns/{c1}/holds"), plan.clone()).await;
    assert_eq!(held.status, 201, "{:?}", held.body);
    let hold = held.body["id"].as_str().unwrap().to_owned();
    assert_eq!(held.body["separation"]["category"], "IAB13");
    let mid = o.seller.api.get(&avails).await;
    assert_eq!(
        (row(&mid.body, "mid")["held"].as_u64(), row(&mid.body, "mid")["available"].as_u64()),
        (Some(1), Some(1))
    );

    // The competitor cannot hold in the same episode; the refusal says why.
    let refused = o.seller.api.post(&format!("/campaigns/{c2}/holds"), plan.clone()).await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    assert!(refused.body["type"].as_str().unwrap().ends_with("/competitive"), "{:?}", refused.body);
    let why = o.seller.api.post(&format!("/campaigns/{c2}/holds?preview=true"), plan.clone()).await;
    assert_eq!(why.body["unplaced"][0]["reason"], "competitive");

    // Holds are the campaign's owner's and admins': others are refused, another org sees nothing.
    assert_eq!(o.producer.api.post(&format!("/campaigns/{c1}/holds"), plan.clone()).await.status, 404);
    assert_eq!(o.client.api.post(&format!("/campaigns/{c1}/holds"), plan.clone()).await.status, 403);
    assert_eq!(other.admin.api.post(&format!("/campaigns/{c1}/holds"), plan.clone()).await.status, 404);
    assert_eq!(other.admin.api.send("DELETE", &format!("/campaigns/{c1}/holds/{hold}"), None, None).await.status, 404);

    let listed = o.admin.api.get(&format!("/campaigns/{c1}/holds")).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1), "{:?}", listed.body);
    let extended = o.seller.api.post(&format!("/campaigns/{c1}/holds/{hold}/extend"), json!({})).await;
    assert_eq!((extended.status.as_u16(), extended.body["extensions"].as_u64()), (200, Some(1)), "{:?}", extended.body);
    let released = o.seller.api.send("DELETE", &format!("/campaigns/{c1}/holds/{hold}"), None, None).await;
    assert_eq!(released.status, 204);
    assert_eq!(row(&o.seller.api.get(&avails).await.body, "mid")["available"], 2);
    // Spots named explicitly, one of them twice: held once.
    let twice = json!({"spots": [{"episodeId": ep, "spot": "pre-0"}, {"episodeId": ep, "spot": "pre-0"}]});
    let named = o.seller.api.post(&format!("/campaigns/{c1}/holds"), twice).await;
    assert_eq!(named.status, 201, "{:?}", named.body);
    assert_eq!(named.body["spots"].as_array().map(Vec::len), Some(1));
    let named = named.body["id"].as_str().unwrap().to_owned();
    assert_eq!(o.seller.api.send("DELETE", &format!("/campaigns/{c1}/holds/{named}"), None, None).await.status, 204);
    // Released, the competitor comes in.
    let theirs = o.seller.api.post(&format!("/campaigns/{c2}/holds"), plan).await;
    assert_eq!(theirs.status, 201, "{:?}", theirs.body);
    assert_eq!(o.seller.api.post(&format!("/campaigns/{c1}/holds/{hold}/extend"), json!({})).await.status, 409);

    // Producers block free spots of their show, with a reason; never a held one.
    let block = |spot: &str| format!("/episodes/{ep}/spots/{spot}/block");
    let reason = json!({"reason": "live interview, no ads"});
    assert_eq!(o.seller.api.post(&block("pre-0"), reason.clone()).await.status, 403);
    assert_eq!(other.admin.api.post(&block("pre-0"), reason.clone()).await.status, 404);
    assert_eq!(o.producer.api.post(&block("post-0"), reason.clone()).await.status, 404, "the show sells no post-roll");
    let blocked = o.producer.api.post(&block("pre-0"), reason.clone()).await;
    assert_eq!((blocked.status.as_u16(), blocked.body["state"].as_str()), (200, Some("blocked")), "{:?}", blocked.body);
    assert_eq!(row(&o.seller.api.get(&avails).await.body, "pre")["blocked"], 1);
    let held_spot = theirs.body["spots"][0]["position"].as_str().unwrap().to_owned();
    let taken = o.producer.api.post(&block(&format!("{held_spot}-0")), reason).await;
    assert_eq!(taken.status, 409, "{:?}", taken.body);
    assert_eq!(o.producer.api.send("DELETE", &block("pre-0"), None, None).await.status, 204);
    assert_eq!(row(&o.seller.api.get(&avails).await.body, "pre")["available"], 1);

    // Sell-through: per position, for those who read avails.
    let through = format!("/shows/{show}/sell-through?from=2027-03-01&to=2027-03-31");
    let st = o.admin.api.get(&through).await;
    assert_eq!(st.status, 200, "{:?}", st.body);
    let mid = st.body["positions"].as_array().unwrap().iter().find(|p| p["position"] == "mid").unwrap().clone();
    assert_eq!((mid["total"].as_u64(), mid["held"].as_u64(), mid["booked"].as_u64()), (Some(2), Some(1), Some(0)));
    assert_eq!(mid["sellThroughRate"], 0.0);
    assert_eq!(o.talent.api.get(&through).await.status, 403);
    assert_eq!(other.admin.api.get(&through).await.status, 404);
    assert_eq!(o.seller.api.get(&format!("/shows/{show}/sell-through")).await.status, 400);
}
