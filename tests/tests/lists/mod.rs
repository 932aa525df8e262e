//! Lists read through the reader index hold exactly what the reader's GETs answer, tried from the
//! attacker's side: entries planted for campaigns and episodes the reader may not read, and under
//! dates their items have left, show nothing and name nothing twice.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::NaiveDate;
use lambda_http::{Body, Request, Response};
use podcastflow_domain::keys::Key;
use podcastflow_domain::readers::{Listed, READER_ENTRY, ReaderEntry, Relation};
use podcastflow_domain::{CampaignId, EpisodeId, UserId};
use podcastflow_platform::AppContext;
use podcastflow_store::embedded::EmbeddedTable;
use podcastflow_store::{Condition, CursorCodec, Table, TenantTable, item};
use podcastflow_tests::large_org::{LargeOrg, Size, generate};
use podcastflow_tests::org_costs::request;
use serde_json::Value;

fn body(r: &Response<Body>) -> Value {
    match r.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap(),
        other => panic!("a text body, not {other:?}"),
    }
}

/// Plants an entry for `user` as if a race or a restore had left it.
async fn plant<I: Listed>(t: &TenantTable, user: UserId, item: I, date: Option<NaiveDate>, relation: Relation) {
    let e = ReaderEntry { org_id: *t.org(), user_id: user, item, date, relation };
    let it = item::value_item(&e.key(), READER_ENTRY, &e).unwrap();
    t.put(it, Condition::Always).await.unwrap();
}

/// The functions under test on one table.
struct Served {
    org: LargeOrg,
    campaigns: podcastflow_campaigns::CampaignsApp,
    episodes: podcastflow_episodes::EpisodesApp,
}

impl Served {
    async fn get(&self, path: &str, user: UserId, role: &str) -> Response<Body> {
        let req: Request = request(path, user, self.org.org, role, None);
        let r = match path.starts_with("/campaigns") {
            true => podcastflow_campaigns::handle(&self.campaigns, req).await,
            false => podcastflow_episodes::handle(&self.episodes, req).await,
        };
        r.unwrap()
    }

    /// Every id a list names, page after page of 3, each page's ids in order.
    async fn listed(&self, path: &str, user: UserId, role: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..200 {
            let page = match &cursor {
                Some(c) => format!("{path}?limit=3&cursor={c}"),
                None => format!("{path}?limit=3"),
            };
            let r = self.get(&page, user, role).await;
            assert_eq!(r.status(), 200, "{page} as {role}: {:?}", body(&r));
            let b = body(&r);
            ids.extend(b["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()));
            match b["nextCursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return ids,
            }
        }
        panic!("{path} as {role} did not end");
    }

    /// The reader's list of `path` names each item once, exactly those of `all` their GET of
    /// `path/{id}` answers, and some but not all of them.
    async fn holds_what_gets_answer(&self, path: &str, all: &[String], user: UserId, role: &str) {
        let listed = self.listed(path, user, role).await;
        let distinct: BTreeSet<String> = listed.iter().cloned().collect();
        assert_eq!(distinct.len(), listed.len(), "{role} {user}: {path} names an item twice");
        let can = self.readable(path, all, user, role).await;
        assert_eq!(distinct, can, "{role} {user}: {path} holds what their GETs answer");
        assert!(!can.is_empty() && can.len() < all.len(), "{role} {user} reads some of {path}, not all");
    }

    /// Which of `ids` the reader's GET of `path/{id}` answers.
    async fn readable(&self, path: &str, ids: &[String], user: UserId, role: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for id in ids {
            if self.get(&format!("{path}/{id}"), user, role).await.status() == 200 {
                out.insert(id.clone());
            }
        }
        out
    }
}

#[tokio::test]
async fn lists_through_the_reader_index_hold_what_the_readers_gets_answer_and_no_planted_entry() {
    let dir = tempfile::tempdir().unwrap();
    let table: Arc<dyn Table> = Arc::new(EmbeddedTable::open(dir.path()).unwrap());
    let size =
        Size { sellers: 2, producers: 2, talent: 2, clients: 4, campaigns: 12, shows: 2, episodes: 6, activities: 4 };
    let o = generate(table.clone(), size, 5).await.unwrap();
    let t = TenantTable::new(table.clone(), o.org, CursorCodec::new(b"lists".to_vec()));
    let ctx = AppContext::new(table.clone(), b"lists".to_vec());
    let campaigns: Vec<String> = o.campaigns.iter().map(|c| c.to_string()).collect();
    let served = Served {
        org: o,
        campaigns: podcastflow_campaigns::CampaignsApp { ctx: ctx.clone() },
        episodes: podcastflow_episodes::EpisodesApp { ctx },
    };
    let o = &served.org;
    let admin_episodes = served.listed("/episodes", o.admin, "admin").await;
    let readers = [
        (o.sellers[0], "seller"),
        (o.sellers[1], "seller"),
        (o.producers[0], "producer"),
        (o.producers[1], "producer"),
        (o.talent[0], "talent"),
        (o.talent[1], "talent"),
    ];
    // Plant, for every reader, entries for every campaign and episode under a date no item has
    // (a relation they may or may not have), and one under the item's true date for the first
    // campaign and episode they may not read.
    let never = NaiveDate::from_ymd_opt(1999, 1, 1);
    for (user, role) in readers {
        for id in &o.campaigns {
            plant(&t, user, *id, never, Relation::Client).await;
        }
        for id in &admin_episodes {
            plant(&t, user, id.parse::<EpisodeId>().unwrap(), never, Relation::Host).await;
        }
        let can = served.readable("/campaigns", &campaigns, user, role).await;
        if let Some(other) = campaigns.iter().find(|c| !can.contains(*c)) {
            let c = podcastflow_store::repo::campaigns::CampaignRepo::new(&t)
                .get(&other.parse::<CampaignId>().unwrap())
                .await
                .unwrap()
                .unwrap();
            plant(&t, user, c.id, c.start_date, Relation::Client).await;
        }
    }
    for (user, role) in readers {
        served.holds_what_gets_answer("/campaigns", &campaigns, user, role).await;
        if role == "talent" {
            served.holds_what_gets_answer("/episodes", &admin_episodes, user, role).await;
        }
    }
    // The planted entries are there to be passed over.
    let planted = Key::new(ReaderEntry::<CampaignId>::reader_pk(&o.org, &o.sellers[0]), "");
    let q = podcastflow_store::Query::partition(podcastflow_domain::keys::Index::Main, planted.pk);
    assert!(t.query(&q).await.unwrap().items.len() > o.campaigns.len());
}
