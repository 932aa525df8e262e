//! The cases of the Table contract. Each takes a fresh fixture and must pass on every adapter.

use std::sync::Arc;

use futures::future::join_all;
use podcastflow_domain::OrgId;
use podcastflow_domain::keys::{Index, Key, org_pk};
use podcastflow_store::table::MAX_TRANSACT_ITEMS;
use podcastflow_store::{
    ChangeKind, Condition, CursorCodec, Item, KeyCondition, Query, StoreError, Table, TenantTable, TransactOp, Update,
};
use podcastflow_tests::fixture::Fixture;
use serde_json::{Value, json};

fn item(v: Value) -> Item {
    v.as_object().cloned().expect("an object")
}

fn key(pk: &str, sk: &str) -> Key {
    Key::new(pk, sk)
}

fn sks(items: &[Item]) -> Vec<String> {
    items.iter().map(|i| i["SK"].as_str().unwrap_or_default().to_owned()).collect()
}

fn codec() -> CursorCodec {
    CursorCodec::new(b"contract-suite-cursor-secret-0123456789".to_vec())
}

async fn seed(t: &dyn Table, pk: &str, sks: &[&str]) {
    for sk in sks {
        t.put(item(json!({"PK": pk, "SK": sk, "n": 1})), Condition::Always).await.expect("seed");
    }
}

pub async fn put_and_get_round_trip_every_json_type(f: Fixture) {
    let original = item(json!({
        "PK": "P", "SK": "S",
        "text": "héllo ✓", "empty": "", "int": 42, "negative": -7, "big": 9_007_199_254_740_993_i64,
        "yes": true, "no": false, "nothing": null,
        "list": [1, "two", {"three": 3}], "map": {"nested": {"deep": ["x"]}}, "emptyList": [], "emptyMap": {}
    }));
    f.table.put(original.clone(), Condition::Always).await.unwrap();
    assert_eq!(f.table.get(&key("P", "S")).await.unwrap(), Some(original));
    assert_eq!(f.table.get(&key("P", "missing")).await.unwrap(), None);
}

/// What a list decodes from a queried item, straight from the adapter's stored form: a type with
/// every kind of field, and a flattened rest (as entities flatten their stamp).
#[derive(Debug, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Decoded {
    text: String,
    int: u8,
    negative: i64,
    big: i64,
    yes: bool,
    nothing: Option<String>,
    absent: Option<String>,
    list: Vec<Value>,
    map: std::collections::BTreeMap<String, Value>,
    #[serde(flatten)]
    rest: std::collections::BTreeMap<String, Value>,
}

pub async fn queried_items_decode_straight_into_types_as_their_items_do(f: Fixture) {
    let original = item(json!({
        "PK": "P", "SK": "S", "GSI1PK": "G", "GSI1SK": "g",
        "text": "héllo ✓", "empty": "", "int": 42, "negative": -7, "big": 9_007_199_254_740_993_i64,
        "yes": true, "no": false, "nothing": null,
        "list": [1, "two", {"three": 3}], "map": {"nested": {"deep": ["x"]}}, "emptyList": [], "emptyMap": {}
    }));
    f.table.put(original.clone(), Condition::Always).await.unwrap();
    for index in [Index::Main, Index::Gsi1] {
        let partition = if index == Index::Main { "P" } else { "G" };
        let out = f.table.query_stored(&Query::partition(index, partition).limit(1)).await.unwrap();
        let [stored] = <[_; 1]>::try_from(out.items).unwrap();
        assert_eq!(stored.key().unwrap(), key("P", "S"));
        assert_eq!(stored.position_in(index).unwrap(), podcastflow_store::item::position_in(&original, index));
        let direct: Decoded = stored.clone().decode().unwrap();
        assert_eq!(direct, podcastflow_store::item::from_item::<Decoded>(original.clone()).unwrap());
        assert_eq!((direct.int, direct.big, direct.nothing, direct.absent), (42, 9_007_199_254_740_993, None, None));
        assert_eq!(direct.rest.get("emptyMap"), Some(&json!({})));
        assert_eq!(stored.clone().into_item().unwrap(), original);
        // A type the item does not fit is refused as corrupt, not a panic.
        let wrong = stored.decode::<std::collections::BTreeMap<String, u8>>().unwrap_err();
        assert!(matches!(wrong, StoreError::Corrupt(_)), "{wrong:?}");
    }
}

pub async fn put_if_absent_refuses_an_existing_item(f: Fixture) {
    let first = item(json!({"PK": "P", "SK": "S", "v": 1}));
    f.table.put(first.clone(), Condition::NotExists).await.unwrap();
    let err = f.table.put(item(json!({"PK": "P", "SK": "S", "v": 2})), Condition::NotExists).await.unwrap_err();
    assert_eq!(err, StoreError::ConditionFailed { key: key("P", "S") });
    assert_eq!(f.table.get(&key("P", "S")).await.unwrap(), Some(first));
    // Exists is the opposite guard.
    let err = f.table.put(item(json!({"PK": "P", "SK": "T"})), Condition::Exists).await.unwrap_err();
    assert!(matches!(err, StoreError::ConditionFailed { .. }));
    assert_eq!(f.table.get(&key("P", "T")).await.unwrap(), None);
}

pub async fn delete_is_conditional_and_returns_the_old_item(f: Fixture) {
    let stored = item(json!({"PK": "P", "SK": "S", "version": 2}));
    f.table.put(stored.clone(), Condition::Always).await.unwrap();
    let err = f.table.delete(&key("P", "S"), Condition::VersionIs(1)).await.unwrap_err();
    assert_eq!(err, StoreError::ConditionFailed { key: key("P", "S") });
    assert!(f.table.get(&key("P", "S")).await.unwrap().is_some());
    assert_eq!(f.table.delete(&key("P", "S"), Condition::VersionIs(2)).await.unwrap(), Some(stored));
    assert_eq!(f.table.get(&key("P", "S")).await.unwrap(), None);
    assert_eq!(f.table.delete(&key("P", "S"), Condition::Always).await.unwrap(), None);
    assert!(matches!(f.table.delete(&key("P", "S"), Condition::Exists).await, Err(StoreError::ConditionFailed { .. })));
}

pub async fn stale_version_updates_are_refused(f: Fixture) {
    f.table.put(item(json!({"PK": "P", "SK": "S", "version": 1, "name": "a"})), Condition::NotExists).await.unwrap();
    // Two writers read version 1; the first wins, the second is refused and loses nothing.
    let first = Update::new().set("name", "b").add("version", 1);
    let after = f.table.update(&key("P", "S"), first, Condition::VersionIs(1)).await.unwrap();
    assert_eq!(after["version"], json!(2));
    let second = Update::new().set("name", "c").add("version", 1);
    let err = f.table.update(&key("P", "S"), second, Condition::VersionIs(1)).await.unwrap_err();
    assert_eq!(err, StoreError::ConditionFailed { key: key("P", "S") });
    let now = f.table.get(&key("P", "S")).await.unwrap().unwrap();
    assert_eq!((now["name"].clone(), now["version"].clone()), (json!("b"), json!(2)));
    // A versioned put on a missing item fails too.
    let err = f.table.put(item(json!({"PK": "P", "SK": "X"})), Condition::VersionIs(1)).await.unwrap_err();
    assert!(matches!(err, StoreError::ConditionFailed { .. }));
}

pub async fn update_upserts_and_returns_the_new_item(f: Fixture) {
    let created =
        f.table.update(&key("P", "S"), Update::new().set("a", "x").add("n", 3), Condition::Always).await.unwrap();
    assert_eq!(Value::Object(created), json!({"PK": "P", "SK": "S", "a": "x", "n": 3}));
    let changed = f
        .table
        .update(&key("P", "S"), Update::new().remove("a").set("b", json!({"c": [1]})).add("n", -5), Condition::Exists)
        .await
        .unwrap();
    assert_eq!(Value::Object(changed.clone()), json!({"PK": "P", "SK": "S", "b": {"c": [1]}, "n": -2}));
    assert_eq!(f.table.get(&key("P", "S")).await.unwrap(), Some(changed));
    assert!(matches!(
        f.table.update(&key("P", "new"), Update::new().set("a", 1), Condition::Exists).await,
        Err(StoreError::ConditionFailed { .. })
    ));
    assert!(matches!(
        f.table.update(&key("P", "S"), Update::new(), Condition::Always).await,
        Err(StoreError::InvalidRequest(_))
    ));
}

pub async fn attribute_conditions_equals_in_and_missing(f: Fixture) {
    f.table.put(item(json!({"PK": "P", "SK": "S", "status": "draft"})), Condition::Always).await.unwrap();
    let k = key("P", "S");
    let set = |v: &str| Update::new().set("status", v.to_owned());
    let eq = |v: &str| Condition::Equals("status".into(), json!(v));
    assert!(f.table.update(&k, set("proposal"), eq("draft")).await.is_ok());
    assert!(matches!(f.table.update(&k, set("won"), eq("draft")).await, Err(StoreError::ConditionFailed { .. })));
    let among = Condition::In("status".into(), vec![json!("negotiation"), json!("proposal")]);
    assert!(f.table.update(&k, set("negotiation"), among).await.is_ok());
    let none = Condition::In("status".into(), vec![]);
    assert!(matches!(f.table.update(&k, set("x"), none).await, Err(StoreError::ConditionFailed { .. })));
    assert!(
        f.table
            .update(&k, Update::new().set("archivedAt", "now"), Condition::AttributeMissing("archivedAt".into()))
            .await
            .is_ok()
    );
    let again = f
        .table
        .update(&k, Update::new().set("archivedAt", "later"), Condition::AttributeMissing("archivedAt".into()))
        .await;
    assert!(matches!(again, Err(StoreError::ConditionFailed { .. })));
    let both = Condition::All(vec![Condition::Exists, eq("negotiation"), Condition::AttributeMissing("nope".into())]);
    assert!(f.table.update(&k, set("pending_approval"), both).await.is_ok());
    assert_eq!(f.table.get(&k).await.unwrap().unwrap()["status"], json!("pending_approval"));
}

/// A hold is booked only while it holds: `After`, an expiry still ahead (and never a text, a
/// missing attribute or a missing item).
pub async fn an_expiry_still_ahead(f: Fixture) {
    let k = key("SPOT", "MID#0");
    let live = |now: i64| Condition::After("expiresAt".into(), now);
    let booked = || item(json!({"PK": "SPOT", "SK": "MID#0", "state": "booked"}));
    let absent = f.table.put(booked(), live(0)).await;
    assert!(matches!(absent, Err(StoreError::ConditionFailed { .. })), "nothing held: {absent:?}");
    f.table.put(item(json!({"PK": "SPOT", "SK": "MID#0", "expiresAt": 100})), Condition::Always).await.unwrap();
    let at = f.table.put(booked(), live(100)).await;
    assert!(matches!(at, Err(StoreError::ConditionFailed { .. })), "expired at its instant: {at:?}");
    f.table.put(booked(), live(99)).await.expect("still held at 99");
    assert_eq!(f.table.get(&k).await.unwrap().unwrap()["state"], json!("booked"));
    assert!(f.table.put(booked(), live(i64::MIN)).await.is_err(), "no expiry at all");
    f.table.put(item(json!({"PK": "SPOT", "SK": "MID#0", "expiresAt": "200"})), Condition::Always).await.unwrap();
    assert!(f.table.put(booked(), live(0)).await.is_err(), "a text is no expiry");
}

/// A spot's claim is taken when absent or when its hold has expired: `Any` and `AtMost`.
pub async fn either_condition_and_an_expiry_that_has_passed(f: Fixture) {
    let k = key("SPOT", "PRE#0");
    let free = |now: i64| Condition::Any(vec![Condition::NotExists, Condition::AtMost("expiresAt".into(), now)]);
    let hold = |who: &str, until: i64| item(json!({"PK": "SPOT", "SK": "PRE#0", "who": who, "expiresAt": until}));
    f.table.put(hold("a", 100), free(50)).await.expect("absent: free");
    let taken = f.table.put(hold("b", 200), free(99)).await;
    assert!(matches!(taken, Err(StoreError::ConditionFailed { .. })), "held until 100, now 99: {taken:?}");
    f.table.put(hold("b", 200), free(100)).await.expect("expired at its instant");
    assert_eq!(f.table.get(&k).await.unwrap().unwrap()["who"], json!("b"));
    // A claim without an expiry (booked) is never free; neither is a text or a missing item.
    f.table.put(item(json!({"PK": "SPOT", "SK": "PRE#0", "who": "c"})), Condition::Always).await.unwrap();
    assert!(f.table.put(hold("d", 1), free(i64::MAX)).await.is_err());
    f.table.put(item(json!({"PK": "SPOT", "SK": "PRE#0", "expiresAt": "100"})), Condition::Always).await.unwrap();
    assert!(f.table.put(hold("d", 1), free(i64::MAX)).await.is_err());
    let missing =
        f.table.update(&key("SPOT", "NONE"), Update::new().set("x", 1), Condition::AtMost("n".into(), 5)).await;
    assert!(matches!(missing, Err(StoreError::ConditionFailed { .. })));
    // Inside a transaction too: the second spot is held, so neither is taken.
    f.table.put(hold("e", 500), Condition::Always).await.unwrap();
    let both = f
        .table
        .transact(vec![
            TransactOp::Put { item: item(json!({"PK": "SPOT", "SK": "PRE#1", "who": "f"})), condition: free(400) },
            TransactOp::Put { item: hold("f", 900), condition: free(400) },
        ])
        .await;
    assert!(matches!(both, Err(StoreError::TransactionConflict { index: 1, .. })), "{both:?}");
    assert_eq!(f.table.get(&key("SPOT", "PRE#1")).await.unwrap(), None);
    assert!(f.table.put(hold("g", 1), Condition::Any(Vec::new())).await.is_err(), "no alternative never holds");
}

const SORT_KEYS: [&str; 6] = ["A#0", "A#1", "A#10", "A#2", "B#1", "C"];

fn sort_cases() -> Vec<(KeyCondition, Vec<&'static str>)> {
    vec![
        (KeyCondition::Eq("A#1".into()), vec!["A#1"]),
        (KeyCondition::BeginsWith("A#1".into()), vec!["A#1", "A#10"]),
        (KeyCondition::BeginsWith("A#".into()), vec!["A#0", "A#1", "A#10", "A#2"]),
        (KeyCondition::Between("A#1".into(), "A#2".into()), vec!["A#1", "A#10", "A#2"]),
        (KeyCondition::Lt("A#1".into()), vec!["A#0"]),
        (KeyCondition::Le("A#1".into()), vec!["A#0", "A#1"]),
        (KeyCondition::Gt("A#2".into()), vec!["B#1", "C"]),
        (KeyCondition::Ge("B#1".into()), vec!["B#1", "C"]),
        (KeyCondition::BeginsWith("Z".into()), vec![]),
    ]
}

pub async fn every_sort_key_condition_on_the_main_table(f: Fixture) {
    seed(f.table.as_ref(), "P", &SORT_KEYS).await;
    seed(f.table.as_ref(), "P2", &SORT_KEYS).await;
    for (cond, expected) in sort_cases() {
        let out = f.table.query(&Query::partition(Index::Main, "P").sort(cond.clone())).await.unwrap();
        assert_eq!(sks(&out.items), expected, "{cond:?}");
        assert!(out.items.iter().all(|i| i["PK"] == json!("P")));
    }
    let all = f.table.query(&Query::partition(Index::Main, "P")).await.unwrap();
    assert_eq!(sks(&all.items), SORT_KEYS);
    assert!(f.table.query(&Query::partition(Index::Main, "nobody")).await.unwrap().items.is_empty());
}

pub async fn every_sort_key_condition_on_a_gsi(f: Fixture) {
    for (i, sk) in SORT_KEYS.iter().enumerate() {
        let it = item(
            json!({"PK": format!("ITEM#{i}"), "SK": "PROFILE", "GSI1PK": "LIST", "GSI1SK": sk, "GSI2PK": "OTHER", "GSI2SK": sk}),
        );
        f.table.put(it, Condition::Always).await.unwrap();
    }
    for (cond, expected) in sort_cases() {
        let out = f.table.query(&Query::partition(Index::Gsi1, "LIST").sort(cond.clone())).await.unwrap();
        let got: Vec<String> = out.items.iter().map(|i| i["GSI1SK"].as_str().unwrap_or_default().to_owned()).collect();
        assert_eq!(got, expected, "{cond:?}");
        let out2 = f.table.query(&Query::partition(Index::Gsi2, "OTHER").sort(cond.clone())).await.unwrap();
        assert_eq!(out2.items.len(), expected.len(), "GSI2 {cond:?}");
    }
}

pub async fn gsi_membership_follows_the_item(f: Fixture) {
    let k = key("ITEM", "PROFILE");
    f.table
        .put(item(json!({"PK": "ITEM", "SK": "PROFILE", "GSI1PK": "L1", "GSI1SK": "a"})), Condition::Always)
        .await
        .unwrap();
    let in_list = |pk: &'static str| {
        let t = f.table.clone();
        async move { t.query(&Query::partition(Index::Gsi1, pk)).await.unwrap().items.len() }
    };
    assert_eq!(in_list("L1").await, 1);
    // Moving the index key moves the item between lists.
    f.table.update(&k, Update::new().set("GSI1PK", "L2"), Condition::Exists).await.unwrap();
    assert_eq!((in_list("L1").await, in_list("L2").await), (0, 1));
    // Removing it takes the item out of the sparse index.
    f.table.update(&k, Update::new().remove("GSI1PK"), Condition::Exists).await.unwrap();
    assert_eq!(in_list("L2").await, 0);
    f.table.update(&k, Update::new().set("GSI1PK", "L2"), Condition::Exists).await.unwrap();
    assert_eq!(in_list("L2").await, 1);
    f.table.delete(&k, Condition::Always).await.unwrap();
    assert_eq!(in_list("L2").await, 0);
}

pub async fn queries_read_both_directions(f: Fixture) {
    seed(f.table.as_ref(), "P", &SORT_KEYS).await;
    let rev = f.table.query(&Query::partition(Index::Main, "P").reverse()).await.unwrap();
    let mut expected = SORT_KEYS.to_vec();
    expected.reverse();
    assert_eq!(sks(&rev.items), expected);
    let rev_begins = f
        .table
        .query(&Query::partition(Index::Main, "P").sort(KeyCondition::BeginsWith("A#1".into())).reverse())
        .await
        .unwrap();
    assert_eq!(sks(&rev_begins.items), vec!["A#10", "A#1"]);
    let newest = f.table.query(&Query::partition(Index::Main, "P").reverse().limit(2)).await.unwrap();
    assert_eq!(sks(&newest.items), vec!["C", "B#1"]);
    assert!(newest.last_key.is_some());
}

pub async fn pagination_visits_every_item_once_in_order(f: Fixture) {
    let org = OrgId::new();
    let pk = org_pk(&org, "LIST");
    let expected: Vec<String> = (0..25).map(|i| format!("ITEM#{i:03}")).collect();
    for sk in &expected {
        f.table.put(item(json!({"PK": pk, "SK": sk})), Condition::Always).await.unwrap();
    }
    let tenant = TenantTable::new(f.table.clone(), org, codec());
    for forward in [true, false] {
        let mut q = Query::partition(Index::Main, pk.clone()).limit(7);
        q.forward = forward;
        let (mut seen, mut cursor, mut pages) = (Vec::new(), None::<String>, Vec::new());
        loop {
            let page = tenant.page(&q, cursor.as_deref()).await.unwrap();
            pages.push(page.items.len());
            let items: Vec<Item> = page.items.into_iter().map(|i| i.into_item().unwrap()).collect();
            seen.extend(sks(&items));
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let mut want = expected.clone();
        if !forward {
            want.reverse();
        }
        assert_eq!(seen, want, "forward={forward}");
        assert_eq!(pages, vec![7, 7, 7, 4], "forward={forward}");
    }
    // An exact multiple of the page size ends without an empty page or a dangling cursor.
    let q = Query::partition(Index::Main, pk.clone()).sort(KeyCondition::Lt("ITEM#014".into())).limit(7);
    let p1 = tenant.page(&q, None).await.unwrap();
    let p2 = tenant.page(&q, p1.cursor.as_deref()).await.unwrap();
    assert_eq!((p1.items.len(), p2.items.len(), p2.cursor), (7, 7, None));
}

pub async fn tampered_or_foreign_cursors_are_refused(f: Fixture) {
    let (org, other) = (OrgId::new(), OrgId::new());
    let mine = org_pk(&org, "LIST");
    let theirs = org_pk(&other, "LIST");
    for pk in [&mine, &theirs] {
        for i in 0..5 {
            f.table.put(item(json!({"PK": pk, "SK": format!("{i}")})), Condition::Always).await.unwrap();
        }
    }
    let tenant = TenantTable::new(f.table.clone(), org, codec());
    let q = Query::partition(Index::Main, mine.clone()).limit(2);
    let c = tenant.page(&q, None).await.unwrap().cursor.expect("a second page");
    assert_eq!(tenant.page(&q, Some(&c)).await.unwrap().items.len(), 2);
    let (payload, tag) = c.split_once('.').unwrap();
    let flipped: String = payload.chars().rev().collect();
    for bad in [format!("{flipped}.{tag}"), format!("{payload}.{}", &tag[1..]), "garbage".into(), String::new()] {
        assert_eq!(tenant.page(&q, Some(&bad)).await.unwrap_err(), StoreError::InvalidCursor, "{bad}");
    }
    // Another query (other sort condition or direction) cannot reuse it.
    let narrowed = q.clone().sort(KeyCondition::Ge("0".into()));
    assert_eq!(tenant.page(&narrowed, Some(&c)).await.unwrap_err(), StoreError::InvalidCursor);
    // Another tenant's handle refuses it, and a handle with another secret too.
    let them = TenantTable::new(f.table.clone(), other, codec());
    let their_q = Query::partition(Index::Main, theirs.clone()).limit(2);
    assert_eq!(them.page(&their_q, Some(&c)).await.unwrap_err(), StoreError::InvalidCursor);
    let other_secret = TenantTable::new(f.table.clone(), org, CursorCodec::new(b"another-secret".to_vec()));
    assert_eq!(other_secret.page(&q, Some(&c)).await.unwrap_err(), StoreError::InvalidCursor);
}

pub async fn transactions_fail_as_a_whole_and_name_the_item(f: Fixture) {
    f.table.put(item(json!({"PK": "P", "SK": "exists", "version": 3})), Condition::Always).await.unwrap();
    let ops = vec![
        TransactOp::Put { item: item(json!({"PK": "P", "SK": "new"})), condition: Condition::NotExists },
        TransactOp::Update {
            key: key("P", "counter"),
            update: Update::new().add("n", 1),
            condition: Condition::Always,
        },
        TransactOp::Update {
            key: key("P", "exists"),
            update: Update::new().set("x", 1),
            condition: Condition::VersionIs(2),
        },
        TransactOp::Delete { key: key("P", "other"), condition: Condition::Always },
    ];
    let err = f.table.transact(ops).await.unwrap_err();
    assert_eq!(err, StoreError::TransactionConflict { index: 2, key: key("P", "exists") });
    assert_eq!(f.table.get(&key("P", "new")).await.unwrap(), None);
    assert_eq!(f.table.get(&key("P", "counter")).await.unwrap(), None);
    assert!(!f.table.get(&key("P", "exists")).await.unwrap().unwrap().contains_key("x"));
    // A failing check alone cancels the writes beside it.
    let ops = vec![
        TransactOp::Put { item: item(json!({"PK": "P", "SK": "new"})), condition: Condition::Always },
        TransactOp::Check { key: key("P", "absent"), condition: Condition::Exists },
    ];
    assert_eq!(
        f.table.transact(ops).await.unwrap_err(),
        StoreError::TransactionConflict { index: 1, key: key("P", "absent") }
    );
    assert_eq!(f.table.get(&key("P", "new")).await.unwrap(), None);
}

pub async fn transactions_apply_every_operation(f: Fixture) {
    f.table.put(item(json!({"PK": "P", "SK": "a", "version": 1})), Condition::Always).await.unwrap();
    f.table.put(item(json!({"PK": "P", "SK": "gone"})), Condition::Always).await.unwrap();
    let ops = vec![
        TransactOp::Put {
            item: item(json!({"PK": "P", "SK": "b", "GSI1PK": "L", "GSI1SK": "b"})),
            condition: Condition::NotExists,
        },
        TransactOp::Update {
            key: key("P", "a"),
            update: Update::new().add("version", 1),
            condition: Condition::VersionIs(1),
        },
        TransactOp::Delete { key: key("P", "gone"), condition: Condition::Exists },
        TransactOp::Check { key: key("P", "a"), condition: Condition::Always },
    ];
    // The check and the update name the same item: that is refused below; here use distinct keys.
    let ops: Vec<TransactOp> = ops.into_iter().take(3).collect();
    f.table.transact(ops).await.unwrap();
    assert!(f.table.get(&key("P", "b")).await.unwrap().is_some());
    assert_eq!(f.table.get(&key("P", "a")).await.unwrap().unwrap()["version"], json!(2));
    assert_eq!(f.table.get(&key("P", "gone")).await.unwrap(), None);
    assert_eq!(f.table.query(&Query::partition(Index::Gsi1, "L")).await.unwrap().items.len(), 1);
    let check = vec![
        TransactOp::Check { key: key("P", "a"), condition: Condition::VersionIs(2) },
        TransactOp::Put { item: item(json!({"PK": "P", "SK": "c"})), condition: Condition::Always },
    ];
    f.table.transact(check).await.unwrap();
    assert!(f.table.get(&key("P", "c")).await.unwrap().is_some());
}

pub async fn transactions_refuse_one_item_twice(f: Fixture) {
    let twice = vec![
        TransactOp::Put { item: item(json!({"PK": "P", "SK": "a"})), condition: Condition::Always },
        TransactOp::Check { key: key("P", "a"), condition: Condition::Always },
    ];
    assert!(matches!(f.table.transact(twice).await, Err(StoreError::InvalidRequest(_))));
    assert!(matches!(f.table.transact(vec![]).await, Err(StoreError::InvalidRequest(_))));
    let too_many: Vec<TransactOp> = (0..=MAX_TRANSACT_ITEMS)
        .map(|i| TransactOp::Put { item: item(json!({"PK": "P", "SK": format!("{i}")})), condition: Condition::Always })
        .collect();
    assert!(matches!(f.table.transact(too_many).await, Err(StoreError::InvalidRequest(_))));
    assert_eq!(f.table.get(&key("P", "a")).await.unwrap(), None);
}

pub async fn counters_lose_no_increment_under_concurrency(f: Fixture) {
    let k = key("COUNTER", "INVOICES");
    let tasks = 16;
    let per_task = 10;
    let runs = (0..tasks).map(|_| {
        let t: Arc<dyn Table> = f.table.clone();
        let k = k.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..per_task {
                seen.push(t.increment(&k, "next", 1).await.expect("increment"));
            }
            seen
        })
    });
    let mut all: Vec<i64> = join_all(runs).await.into_iter().flat_map(|r| r.expect("task")).collect();
    all.sort_unstable();
    // Every increment returned a distinct value: no two callers got the same invoice number.
    assert_eq!(all, (1..=i64::from(tasks * per_task)).collect::<Vec<_>>());
    assert_eq!(f.table.get(&k).await.unwrap().unwrap()["next"], json!(tasks * per_task));
    assert_eq!(f.table.increment(&k, "next", -10).await.unwrap(), i64::from(tasks * per_task) - 10);
}

pub async fn batch_get_returns_what_exists(f: Fixture) {
    for i in 0..130 {
        f.table.put(item(json!({"PK": "B", "SK": format!("{i:03}")})), Condition::Always).await.unwrap();
    }
    let mut keys: Vec<Key> = (0..140).map(|i| key("B", &format!("{i:03}"))).collect();
    keys.push(key("B", "000"));
    let mut got = sks(&f.table.batch_get(&keys).await.unwrap());
    got.sort();
    assert_eq!(got, (0..130).map(|i| format!("{i:03}")).collect::<Vec<_>>());
    assert!(f.table.batch_get(&[]).await.unwrap().is_empty());
}

pub async fn tenant_handle_refuses_foreign_keys(f: Fixture) {
    let (org, other) = (OrgId::new(), OrgId::new());
    let mine = org_pk(&org, "CLIENT#1");
    let theirs = org_pk(&other, "CLIENT#1");
    f.table.put(item(json!({"PK": theirs, "SK": "PROFILE", "secret": "theirs"})), Condition::Always).await.unwrap();
    let t = TenantTable::new(f.table.clone(), org, codec());
    let violation = |r: Result<(), StoreError>| assert!(matches!(r, Err(StoreError::TenantViolation { .. })), "{r:?}");
    violation(t.get(&key(&theirs, "PROFILE")).await.map(|_| ()));
    violation(t.put(item(json!({"PK": theirs, "SK": "PROFILE"})), Condition::Always).await);
    violation(t.put(item(json!({"PK": "PLATFORM#X", "SK": "S"})), Condition::Always).await);
    // A tenant item cannot be slipped into another tenant's list through a GSI key.
    violation(
        t.put(
            item(json!({"PK": mine, "SK": "PROFILE", "GSI1PK": org_pk(&other, "CLIENTS"), "GSI1SK": "x"})),
            Condition::Always,
        )
        .await,
    );
    violation(t.put(item(json!({"PK": mine, "SK": "PROFILE", "GSI2PK": 5, "GSI2SK": "x"})), Condition::Always).await);
    violation(
        t.update(&key(&mine, "PROFILE"), Update::new().set("GSI1PK", "CLIENTS"), Condition::Always).await.map(|_| ()),
    );
    violation(
        t.update(&key(&theirs, "PROFILE"), Update::new().set("secret", "mine"), Condition::Always).await.map(|_| ()),
    );
    violation(t.delete(&key(&theirs, "PROFILE"), Condition::Always).await.map(|_| ()));
    violation(t.query(&Query::partition(Index::Main, theirs.clone())).await.map(|_| ()));
    violation(t.query(&Query::partition(Index::Gsi1, org_pk(&other, "CLIENTS"))).await.map(|_| ()));
    violation(t.page(&Query::partition(Index::Main, theirs.clone()), None).await.map(|_| ()));
    violation(t.batch_get(&[key(&mine, "PROFILE"), key(&theirs, "PROFILE")]).await.map(|_| ()));
    violation(t.increment(&key(&theirs, "COUNTER"), "n", 1).await.map(|_| ()));
    violation(
        t.transact(vec![
            TransactOp::Put { item: item(json!({"PK": mine, "SK": "PROFILE"})), condition: Condition::Always },
            TransactOp::Delete { key: key(&theirs, "PROFILE"), condition: Condition::Always },
        ])
        .await,
    );
    // A platform lookup key is allowed on GSI1 only, and no tenant may query a lookup.
    violation(
        t.put(item(json!({"PK": mine, "SK": "PROFILE", "GSI2PK": "LOOKUP#USER#u", "GSI2SK": "x"})), Condition::Always)
            .await,
    );
    violation(t.query(&Query::partition(Index::Gsi1, "LOOKUP#USER#u")).await.map(|_| ()));
    violation(t.put(item(json!({"PK": "LOOKUP#USER#u", "SK": "MEMBERSHIP"})), Condition::Always).await);
    // A prefix that merely starts like the tenant id is still foreign.
    let lookalike = format!("ORG#{org}X#CLIENT#1");
    violation(t.get(&key(&lookalike, "PROFILE")).await.map(|_| ()));
    // Nothing of the other tenant changed, and nothing of ours was half-written.
    assert_eq!(f.table.get(&key(&theirs, "PROFILE")).await.unwrap().unwrap()["secret"], json!("theirs"));
    assert_eq!(f.table.get(&key(&mine, "PROFILE")).await.unwrap(), None);
    // Inside the tenant everything works.
    t.put(
        item(json!({"PK": mine, "SK": "PROFILE", "GSI1PK": org_pk(&org, "CLIENTS"), "GSI1SK": "a"})),
        Condition::NotExists,
    )
    .await
    .unwrap();
    assert_eq!(t.query(&Query::partition(Index::Gsi1, org_pk(&org, "CLIENTS"))).await.unwrap().items.len(), 1);
    let found = json!({"PK": org_pk(&org, "USER#u"), "SK": "MEMBERSHIP", "GSI1PK": "LOOKUP#USER#u", "GSI1SK": "M"});
    t.put(item(found), Condition::NotExists).await.unwrap();
    assert_eq!(f.table.query(&Query::partition(Index::Gsi1, "LOOKUP#USER#u")).await.unwrap().items.len(), 1);
}

pub async fn change_feed_records_each_write(f: Fixture) {
    let k = key("FEED", "ITEM");
    f.table.put(item(json!({"PK": "FEED", "SK": "ITEM", "v": 1})), Condition::NotExists).await.unwrap();
    f.table.update(&k, Update::new().set("v", 2), Condition::Exists).await.unwrap();
    // A refused write leaves no trace in the feed.
    let _ = f.table.put(item(json!({"PK": "FEED", "SK": "ITEM", "v": 9})), Condition::NotExists).await.unwrap_err();
    f.table
        .transact(vec![
            TransactOp::Put { item: item(json!({"PK": "FEED", "SK": "OTHER"})), condition: Condition::Always },
            TransactOp::Update { key: k.clone(), update: Update::new().set("v", 3), condition: Condition::Always },
        ])
        .await
        .unwrap();
    f.table.delete(&k, Condition::Always).await.unwrap();

    let mut records = Vec::new();
    let mut position: Option<String> = None;
    for _ in 0..20 {
        let batch = f.feed.read(position.as_deref(), 100).await.unwrap();
        if batch.records.is_empty() && records.len() >= 5 {
            break;
        }
        records.extend(batch.records);
        position = batch.position.or(position);
    }
    let of_item: Vec<_> = records.iter().filter(|r| r.key.sk == "ITEM").collect();
    let kinds: Vec<ChangeKind> = of_item.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, vec![ChangeKind::Insert, ChangeKind::Modify, ChangeKind::Modify, ChangeKind::Remove]);
    let v = |i: &Option<Item>| i.as_ref().map(|i| i["v"].clone());
    assert_eq!((v(&of_item[0].old_image), v(&of_item[0].new_image)), (None, Some(json!(1))));
    assert_eq!((v(&of_item[1].old_image), v(&of_item[1].new_image)), (Some(json!(1)), Some(json!(2))));
    assert_eq!((v(&of_item[2].old_image), v(&of_item[2].new_image)), (Some(json!(2)), Some(json!(3))));
    assert_eq!((v(&of_item[3].old_image), v(&of_item[3].new_image)), (Some(json!(3)), None));
    assert!(records.iter().any(|r| r.key.sk == "OTHER" && r.kind == ChangeKind::Insert));
    assert_eq!(records.len(), 5);
    // Sequence numbers grow along one item's history.
    let seqs: Vec<u128> = of_item.iter().map(|r| r.sequence.parse().expect("numeric sequence")).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    // Reading on from the last position yields nothing new.
    assert!(f.feed.read(position.as_deref(), 100).await.unwrap().records.is_empty());
}

pub async fn oversized_items_are_refused(f: Fixture) {
    let big = "x".repeat(401 * 1024);
    let err = f.table.put(item(json!({"PK": "P", "SK": "big", "blob": big})), Condition::Always).await.unwrap_err();
    assert!(matches!(err, StoreError::InvalidRequest(_)), "{err:?}");
    assert_eq!(f.table.get(&key("P", "big")).await.unwrap(), None);
    let fits = "x".repeat(300 * 1024);
    f.table.put(item(json!({"PK": "P", "SK": "fits", "blob": fits})), Condition::Always).await.unwrap();
}

pub async fn batch_writes_put_and_delete_many(f: Fixture) {
    let puts: Vec<Item> = (0..60).map(|i| item(json!({"PK": "BATCH", "SK": format!("{i:03}"), "n": i}))).collect();
    f.table.batch_write(puts.clone(), Vec::new()).await.unwrap();
    let all = f.table.query(&Query::partition(Index::Main, "BATCH")).await.unwrap().items;
    assert_eq!(all, puts, "written exactly as given");
    let gone: Vec<Key> = (0..30).map(|i| key("BATCH", &format!("{i:03}"))).chain([key("BATCH", "missing")]).collect();
    let replaced = item(json!({"PK": "BATCH", "SK": "059", "n": "new"}));
    f.table.batch_write(vec![replaced.clone()], gone).await.unwrap();
    let all = f.table.query(&Query::partition(Index::Main, "BATCH")).await.unwrap().items;
    assert_eq!(all.len(), 30);
    assert_eq!(all.last(), Some(&replaced));
    // Through a tenant handle, nothing outside the tenant goes in.
    let org = OrgId::new();
    let t = TenantTable::new(f.table.clone(), org, CursorCodec::new(b"c".to_vec()));
    let foreign = item(json!({"PK": org_pk(&OrgId::new(), "X"), "SK": "S"}));
    let own = item(json!({"PK": org_pk(&org, "X"), "SK": "S"}));
    assert!(matches!(t.batch_write(vec![own, foreign], Vec::new()).await, Err(StoreError::TenantViolation { .. })));
    assert_eq!(f.table.get(&key(&org_pk(&org, "X"), "S")).await.unwrap(), None, "refused before writing");
}

pub async fn tenant_items_are_indexed_for_export(f: Fixture) {
    use podcastflow_domain::keys::{TENANT_SHARDS, tenant_index_pk};
    let org = OrgId::new();
    let other = OrgId::new();
    let mut expected = Vec::new();
    for i in 0..40 {
        let it = item(json!({"PK": org_pk(&org, format!("THING#{i}")), "SK": "PROFILE", "entityType": "thing"}));
        f.table.put(it, Condition::Always).await.unwrap();
        expected.push(format!("{}|PROFILE", org_pk(&org, format!("THING#{i}"))));
    }
    let batch = vec![item(json!({"PK": org_pk(&org, "BATCHED"), "SK": "S"}))];
    f.table.batch_write(batch, Vec::new()).await.unwrap();
    expected.push(format!("{}|S", org_pk(&org, "BATCHED")));
    let ops = vec![TransactOp::Put {
        item: item(json!({"PK": org_pk(&org, "TX"), "SK": "S"})),
        condition: Condition::Always,
    }];
    f.table.transact(ops).await.unwrap();
    expected.push(format!("{}|S", org_pk(&org, "TX")));
    // Ephemeral items, platform items and other tenants stay out.
    let ephemeral = item(json!({"PK": org_pk(&org, "CONN#c"), "SK": "CONNECTION", "entityType": "connection"}));
    f.table.put(ephemeral, Condition::Always).await.unwrap();
    f.table.put(item(json!({"PK": "PLATFORM#X", "SK": "S"})), Condition::Always).await.unwrap();
    f.table.put(item(json!({"PK": org_pk(&other, "THING#1"), "SK": "PROFILE"})), Condition::Always).await.unwrap();

    let mut seen = Vec::new();
    for shard in 0..TENANT_SHARDS {
        let q = Query::partition(Index::Gsi5, tenant_index_pk(&org, shard));
        for it in f.table.query(&q).await.unwrap().items {
            seen.push(it["GSI5SK"].as_str().unwrap().to_owned());
        }
    }
    seen.sort();
    expected.sort();
    assert_eq!(seen, expected);
}
