//! Repository cases: each aggregate's items stay in step, conflicts mean what they say.

use chrono::NaiveDate;
use chrono::{Duration, Utc};
use podcastflow_domain::activity::Activity;
use podcastflow_domain::availability::{AvailabilityWindow, WindowKind};
use podcastflow_domain::backup::{Backup, BackupKind, BackupStatus};
use podcastflow_domain::campaign::Position;
use podcastflow_domain::campaign::team::{TeamPermission, TeamRole};
use podcastflow_domain::campaign::{CampaignStatus, HistoryEntry};
use podcastflow_domain::client::ClientStatus;
use podcastflow_domain::episode::EpisodeStatus;
use podcastflow_domain::inventory::hold::{HeldCategory, HeldSpot, Hold, HoldStatus};
use podcastflow_domain::inventory::separation::SeparationScope;
use podcastflow_domain::inventory::spot::{Claim, SpotClaim, SpotPrice, SpotRef};
use podcastflow_domain::notification::{EntityRef, Notification, Priority};
use podcastflow_domain::order::{AdType, BillingCalendar, BillingMode, Order, OrderLine, OrderStatus, Rate};
use podcastflow_domain::readers::{Listed, ReaderEntry, Relation, distinct_items};
use podcastflow_domain::show::{Show, Slots};
use podcastflow_domain::*;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::activities::ActivityRepo;
use podcastflow_store::repo::availability::AvailabilityRepo;
use podcastflow_store::repo::backups::BackupRepo;
use podcastflow_store::repo::campaigns::{CampaignList, CampaignRepo, ListSource};
use podcastflow_store::repo::clients::{ClientFilter, ClientRepo};
use podcastflow_store::repo::episodes::EpisodeRepo;
use podcastflow_store::repo::inventory::{HoldCommitError, InventoryRepo};
use podcastflow_store::repo::notifications::NotificationRepo;
use podcastflow_store::repo::orders::{BookError, OrderRepo};
use podcastflow_store::repo::organizations::OrganizationRepo;
use podcastflow_store::repo::readers::{PlacedCampaign, ReaderRepo, Restored};
use podcastflow_store::repo::shows::ShowRepo;
use podcastflow_store::repo::users::UserRepo;
use podcastflow_store::repo::webhooks::WebhookRepo;
use podcastflow_store::{CursorCodec, Table, TenantTable};
use podcastflow_tests::fixture::Fixture;

use super::build::*;

fn codec() -> CursorCodec {
    CursorCodec::new(b"repository-suite-cursor-secret".to_vec())
}

fn tenant(f: &Fixture, org: OrgId) -> TenantTable {
    TenantTable::new(f.table.clone(), org, codec())
}

pub async fn organizations_claim_unique_slugs_and_list(f: Fixture) {
    let c = codec();
    let repo = OrganizationRepo::new(f.table.as_ref(), &c);
    let acme = organization("acme");
    repo.create(&acme).await.unwrap();
    assert_eq!(repo.create(&organization("acme")).await, Err(RepoError::Taken("slug")));
    assert_eq!(repo.create(&acme).await, Err(RepoError::AlreadyExists));
    assert_eq!(repo.get(&acme.id).await.unwrap(), Some(acme.clone()));

    // Renaming the slug frees the old one; a stale write is refused with the current version.
    let mut renamed = acme.clone();
    renamed.slug = "acme-media".into();
    renamed.stamp = touched(&acme.stamp);
    repo.update(&renamed, 1).await.unwrap();
    assert_eq!(repo.update(&renamed, 1).await, Err(RepoError::VersionConflict { current: 2 }));
    repo.create(&organization("acme")).await.unwrap();
    assert_eq!(repo.create(&organization("acme-media")).await, Err(RepoError::Taken("slug")));

    let mut slugs = Vec::new();
    let mut cursor = None;
    loop {
        let page = repo.list(cursor.as_deref(), 1).await.unwrap();
        slugs.extend(page.items.into_iter().map(|o| o.slug));
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    slugs.sort();
    assert_eq!(slugs, vec!["acme", "acme-media"]);
}

pub async fn users_claim_emails_and_keep_membership_in_step(f: Fixture) {
    let c = codec();
    let repo = UserRepo::new(f.table.as_ref(), &c);
    let org = OrgId::new();
    let ada = user(org, "Ada@Example.com", Role::Seller);
    repo.create(&ada).await.unwrap();
    // E-mails are unique across the platform, whatever the case and the organization.
    assert_eq!(repo.create(&user(OrgId::new(), "ada@example.COM", Role::Admin)).await, Err(RepoError::Taken("email")));
    let claim = repo.find_by_email("ADA@example.com").await.unwrap().unwrap();
    assert_eq!((claim.user_id, claim.org_id), (ada.id, org));
    assert_eq!(repo.membership(&ada.id).await.unwrap().unwrap().role, Role::Seller);

    let revoked = Utc::now();
    let mut promoted = ada.clone();
    promoted.role = Role::Admin;
    promoted.email = "ada@new.example".into();
    promoted.stamp = touched(&ada.stamp);
    repo.update(&promoted, 1, Some(revoked)).await.unwrap();
    let m = repo.membership(&ada.id).await.unwrap().unwrap();
    assert_eq!((m.role, m.version, m.tokens_valid_after), (Role::Admin, 2, Some(revoked)));
    assert!(repo.find_by_email("ada@example.com").await.unwrap().is_none());
    assert_eq!(repo.find_by_email("ada@new.example").await.unwrap().unwrap().user_id, ada.id);
    // A later update without a revocation keeps the earlier one.
    let mut renamed = promoted.clone();
    renamed.name = "Ada L.".into();
    renamed.stamp = touched(&promoted.stamp);
    repo.update(&renamed, 2, None).await.unwrap();
    assert_eq!(repo.membership(&ada.id).await.unwrap().unwrap().tokens_valid_after, Some(revoked));
    assert_eq!(repo.update(&renamed, 2, None).await, Err(RepoError::VersionConflict { current: 3 }));

    repo.create(&user(org, "bob@example.com", Role::Seller)).await.unwrap();
    repo.create(&user(org, "cy@example.com", Role::Producer)).await.unwrap();
    assert_eq!(repo.list(&org, None, None, 10).await.unwrap().items.len(), 3);
    let sellers = repo.list(&org, Some(Role::Seller), None, 10).await.unwrap().items;
    assert_eq!(sellers.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(), vec!["bob@example.com"]);
    assert!(repo.list(&OrgId::new(), None, None, 10).await.unwrap().items.is_empty());
}

pub async fn clients_track_seller_assignments_and_filter(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let repo = ClientRepo::new(&t);
    let (s1, s2) = (UserId::new(), UserId::new());
    let acme = client(org, "Acme", vec![s1, s2]);
    let beta = client(org, "beta foods", vec![s1]);
    let mut gone = client(org, "Acorn", vec![]);
    gone.status = ClientStatus::Archived;
    for c in [&acme, &beta, &gone] {
        repo.create(c).await.unwrap();
    }
    let mut assigned = repo.assigned_to(&s1).await.unwrap();
    assigned.sort();
    let mut want = vec![acme.id, beta.id];
    want.sort();
    assert_eq!(assigned, want);

    let mut moved = acme.clone();
    moved.assigned_seller_ids = vec![s2];
    moved.stamp = touched(&acme.stamp);
    repo.update(&moved, 1).await.unwrap();
    assert_eq!(repo.assigned_to(&s1).await.unwrap(), vec![beta.id]);
    assert_eq!(repo.update(&moved, 1).await, Err(RepoError::VersionConflict { current: 2 }));

    let by_prefix =
        repo.list(&ClientFilter { name_prefix: Some("AC".into()), ..Default::default() }, None, 10).await.unwrap();
    assert_eq!(by_prefix.items.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), vec!["Acme", "Acorn"]);
    let active = ClientFilter { status: Some(ClientStatus::Active), name_prefix: Some("a".into()) };
    assert_eq!(repo.list(&active, None, 10).await.unwrap().items.len(), 1);
    let all = repo.list(&ClientFilter::default(), None, 10).await.unwrap();
    assert_eq!(all.items.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), vec!["Acme", "Acorn", "beta foods"]);
    let many = repo.get_many(&[beta.id, ClientId::new(), acme.id]).await.unwrap();
    assert_eq!(many.iter().map(|c| c.id).collect::<Vec<_>>(), vec![beta.id, acme.id]);
    // Another tenant sees none of it.
    let other = tenant(&f, OrgId::new());
    assert!(ClientRepo::new(&other).get(&acme.id).await.unwrap().is_none());
}

pub async fn campaigns_keep_team_and_history_with_their_record(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let repo = CampaignRepo::new(&t);
    let owner = UserId::new();
    let c = campaign(org, ClientId::new(), owner, "2026-03-01");
    repo.create(&c, &member(&c, owner, TeamRole::Owner, &TeamPermission::ALL)).await.unwrap();
    let helper = UserId::new();
    repo.add_member(&c, &member(&c, helper, TeamRole::Seller, &[TeamPermission::View])).await.unwrap();
    assert_eq!(repo.add_member(&c, &member(&c, helper, TeamRole::Seller, &[])).await, Err(RepoError::AlreadyExists));
    let ghost = campaign(org, ClientId::new(), owner, "2026-01-01");
    assert_eq!(repo.add_member(&ghost, &member(&ghost, helper, TeamRole::Seller, &[])).await, Err(RepoError::NotFound));
    assert_eq!(repo.team(&c.id).await.unwrap().len(), 2);
    let mine: Vec<_> = repo.memberships(&helper).await.unwrap().iter().map(|m| m.campaign_id).collect();
    assert_eq!(mine, vec![c.id]);

    let mut upgraded = member(&c, helper, TeamRole::Seller, &[TeamPermission::View, TeamPermission::Edit]);
    upgraded.version = 2;
    repo.update_member(&upgraded, 1).await.unwrap();
    assert!(repo.team(&c.id).await.unwrap().iter().any(|m| m.user_id == helper && m.has(TeamPermission::Edit)));
    assert_eq!(repo.remove_member(&c, &helper, 1).await, Err(RepoError::VersionConflict { current: 2 }));
    repo.remove_member(&c, &helper, 2).await.unwrap();
    assert_eq!(repo.remove_member(&c, &helper, 2).await, Err(RepoError::NotFound));
    assert!(repo.memberships(&helper).await.unwrap().is_empty());

    // A transition writes the record and its history entry together, from the status read.
    let mut moved = c.clone();
    moved.status = CampaignStatus::Proposal;
    moved.probability = 35;
    moved.stamp = touched(&c.stamp);
    let entry = history(&moved, CampaignStatus::Draft, Some(owner));
    repo.transition(&moved, 1, &entry).await.unwrap();
    let again = HistoryEntry { id: ulid::Ulid::new(), ..entry.clone() };
    assert_eq!(repo.transition(&moved, 1, &again).await, Err(RepoError::VersionConflict { current: 2 }));
    let history = repo.history(&c.id, None, 10).await.unwrap().items;
    assert_eq!(history, vec![entry]);
    assert_eq!(repo.get(&c.id).await.unwrap().unwrap().status, CampaignStatus::Proposal);

    // Lists by start date, in a range, both directions.
    for start in ["2026-01-15", "2026-02-01", "2026-04-01"] {
        let other = campaign(org, ClientId::new(), owner, start);
        repo.create(&other, &member(&other, owner, TeamRole::Owner, &[])).await.unwrap();
    }
    let by_start = |source, start_range, descending| CampaignList { source, start_range, descending };
    let range = Some((date("2026-02-01"), date("2026-03-01")));
    let march = repo.list(&by_start(ListSource::All, range, false), None, 10).await.unwrap();
    let starts: Vec<String> =
        march.items.iter().map(|c| c.start_date.map(|d| d.to_string()).unwrap_or_default()).collect();
    assert_eq!(starts, vec!["2026-02-01", "2026-03-01"]);
    let newest = repo.list(&by_start(ListSource::All, None, true), None, 2).await.unwrap();
    assert_eq!(newest.items[0].start_date, Some(date("2026-04-01")));
    assert!(newest.cursor.is_some());

    // By status (the transition moved it between status lists), by client, by last update.
    let drafts = repo.list(&by_start(ListSource::Status(CampaignStatus::Draft), None, false), None, 10).await.unwrap();
    assert_eq!(drafts.items.len(), 3);
    let proposals = repo.list(&by_start(ListSource::Status(CampaignStatus::Proposal), range, false), None, 10).await;
    assert_eq!(proposals.unwrap().items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![c.id]);
    let of_client = repo.list(&by_start(ListSource::Client(c.client_id.unwrap()), None, false), None, 10).await;
    assert_eq!(of_client.unwrap().items.len(), 1);
    let recent = repo.list(&by_start(ListSource::Updated, None, true), None, 10).await.unwrap();
    assert_eq!(recent.items.len(), 4);
    assert!(recent.items.windows(2).all(|w| w[0].stamp.updated_at >= w[1].stamp.updated_at));
}

pub async fn campaign_show_links_follow_targeting_and_drafts_delete_whole(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let repo = CampaignRepo::new(&t);
    let owner = UserId::new();
    let (a, b, c) = (ShowId::new(), ShowId::new(), ShowId::new());
    let mut draft = campaign(org, ClientId::new(), owner, "2026-03-01");
    draft.targeting.show_ids = vec![a, b];
    repo.create(&draft, &member(&draft, owner, TeamRole::Owner, &[])).await.unwrap();
    assert_eq!(repo.ids_for_show(&a).await.unwrap(), vec![draft.id]);
    let mut next = draft.clone();
    next.targeting.show_ids = vec![b, c];
    next.stamp = touched(&draft.stamp);
    repo.update(&draft, &next, 1).await.unwrap();
    assert!(repo.ids_for_show(&a).await.unwrap().is_empty());
    assert_eq!(repo.ids_for_show(&c).await.unwrap(), vec![draft.id]);
    assert_eq!(repo.delete_draft(&next, 1).await, Err(RepoError::VersionConflict { current: 2 }));
    repo.delete_draft(&next, 2).await.unwrap();
    assert!(repo.get(&draft.id).await.unwrap().is_none());
    assert!(repo.team(&draft.id).await.unwrap().is_empty() && repo.memberships(&owner).await.unwrap().is_empty());
    assert!(repo.ids_for_show(&b).await.unwrap().is_empty() && repo.ids_for_show(&c).await.unwrap().is_empty());
}

/// The ids of a reader's campaigns, page after page of `size`, by start date.
async fn reader_list<I: Listed>(t: &TenantTable, user: &UserId, descending: bool, size: u32) -> Vec<I> {
    let repo = ReaderRepo::new(t);
    let (mut ids, mut cursor) = (Vec::new(), None);
    loop {
        let page = repo.page::<I>(user, None, descending, cursor.as_deref(), size).await.unwrap();
        ids.extend(distinct_items(&page.items));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return ids,
        }
    }
}

pub async fn reader_entries_follow_teams_clients_shows_and_dates(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let (repo, clients, shows) = (CampaignRepo::new(&t), ClientRepo::new(&t), ShowRepo::new(&t));
    let (owner, seller, producer, host) = (UserId::new(), UserId::new(), UserId::new(), UserId::new());
    let acme = client(org, "Acme", vec![seller]);
    clients.create(&acme).await.unwrap();
    let s = show(org, "Morning Brief", vec![producer], vec![host]);
    shows.create(&s).await.unwrap();
    // Three campaigns: the seller reaches all through the client, the producer the targeting ones.
    let mut made = Vec::new();
    for start in ["2026-03-01", "2026-01-01", "2026-02-01"] {
        let mut c = campaign(org, acme.id, owner, start);
        if start != "2026-01-01" {
            c.targeting.show_ids = vec![s.id];
        }
        repo.create(&c, &member(&c, owner, TeamRole::Owner, &[])).await.unwrap();
        made.push(c);
    }
    let (march, jan, feb) = (made[0].clone(), made[1].clone(), made[2].clone());
    assert_eq!(reader_list::<CampaignId>(&t, &owner, false, 10).await, vec![jan.id, feb.id, march.id]);
    assert_eq!(reader_list::<CampaignId>(&t, &seller, true, 10).await, vec![march.id, feb.id, jan.id]);
    assert_eq!(reader_list::<CampaignId>(&t, &producer, false, 10).await, vec![feb.id, march.id]);
    // A member reached through two relations is named once, across pages of one too.
    repo.add_member(&feb, &member(&feb, seller, TeamRole::Seller, &[TeamPermission::View])).await.unwrap();
    repo.add_member(&feb, &member(&feb, producer, TeamRole::Producer, &[TeamPermission::View])).await.unwrap();
    for descending in [false, true] {
        let mut want = vec![jan.id, feb.id, march.id];
        if descending {
            want.reverse();
        }
        assert_eq!(reader_list::<CampaignId>(&t, &seller, descending, 1).await, want);
    }
    assert_eq!(reader_list::<CampaignId>(&t, &producer, false, 1).await, vec![feb.id, march.id]);
    // A range of start dates.
    let range = Some((date("2026-02-01"), date("2026-03-01")));
    let page = ReaderRepo::new(&t).page::<CampaignId>(&seller, range, false, None, 10).await.unwrap();
    assert_eq!(distinct_items(&page.items), vec![feb.id, march.id]);
    // A host put on a team reads that campaign; taken off, no longer. A team change filed under a
    // start date the campaign has left is refused.
    repo.add_member(&jan, &member(&jan, host, TeamRole::Talent, &[TeamPermission::View])).await.unwrap();
    assert_eq!(reader_list::<CampaignId>(&t, &host, false, 10).await, vec![jan.id]);
    let mut stale = jan.clone();
    stale.start_date = Some(date("2025-01-01"));
    assert!(matches!(repo.remove_member(&stale, &host, 1).await, Err(RepoError::VersionConflict { .. })));
    repo.remove_member(&jan, &host, 1).await.unwrap();
    assert!(reader_list::<CampaignId>(&t, &host, false, 10).await.is_empty());
    // A new start date moves every entry; a new client and targeting move its readers.
    let mut later = jan.clone();
    later.start_date = Some(date("2026-12-01"));
    later.targeting.show_ids = vec![s.id];
    later.stamp = touched(&jan.stamp);
    repo.update(&jan, &later, 1).await.unwrap();
    assert_eq!(reader_list::<CampaignId>(&t, &seller, false, 10).await, vec![feb.id, march.id, jan.id]);
    assert_eq!(reader_list::<CampaignId>(&t, &producer, false, 10).await, vec![feb.id, march.id, jan.id]);
    let other = client(org, "Other", vec![]);
    clients.create(&other).await.unwrap();
    let mut moved = later.clone();
    moved.client_id = Some(other.id);
    moved.targeting.show_ids = vec![];
    moved.stamp = touched(&later.stamp);
    repo.update(&later, &moved, 2).await.unwrap();
    assert_eq!(reader_list::<CampaignId>(&t, &seller, false, 10).await, vec![feb.id, march.id]);
    assert_eq!(reader_list::<CampaignId>(&t, &producer, false, 10).await, vec![feb.id, march.id]);
    assert_eq!(reader_list::<CampaignId>(&t, &owner, false, 10).await, vec![feb.id, march.id, jan.id]);
    // Assignments: a seller added to a client reads its campaigns, one taken off no longer; a
    // producer likewise with a show's campaigns.
    let newcomer = UserId::new();
    let mut reassigned = acme.clone();
    reassigned.assigned_seller_ids = vec![newcomer];
    reassigned.stamp = touched(&acme.stamp);
    clients.update(&reassigned, 1).await.unwrap();
    assert_eq!(reader_list::<CampaignId>(&t, &newcomer, false, 10).await, vec![feb.id, march.id]);
    assert_eq!(reader_list::<CampaignId>(&t, &seller, false, 10).await, vec![feb.id], "still on feb's team");
    let mut handed = s.clone();
    handed.producer_ids = vec![newcomer];
    handed.stamp = touched(&s.stamp);
    shows.update(&handed, 1).await.unwrap();
    assert_eq!(reader_list::<CampaignId>(&t, &producer, false, 10).await, vec![feb.id], "still on feb's team");
    // A rebuild finds what there should be, and a draft's delete takes its entries along.
    let readers = ReaderRepo::new(&t);
    let before = readers.of_item(&march.id).await.unwrap();
    for e in &before {
        t.delete(&e.key(), podcastflow_store::Condition::Always).await.unwrap();
    }
    assert!(readers.of_item(&march.id).await.unwrap().is_empty());
    readers.rebuild_campaign(&march.id).await.unwrap();
    assert_eq!(readers.of_item(&march.id).await.unwrap(), before);
    // What a restore put back calls for its entries: a restored client or show places each of its
    // campaigns anew (its client's sellers and its shows' producers); a campaign record with its
    // members adds the team's.
    let wipe = || async {
        for e in readers.of_item(&march.id).await.unwrap() {
            t.delete(&e.key(), podcastflow_store::Condition::Always).await.unwrap();
        }
    };
    let relations = |entries: std::collections::BTreeSet<ReaderEntry<CampaignId>>| {
        entries.into_iter().map(|e| e.relation).collect::<Vec<_>>()
    };
    wipe().await;
    let restored = Restored { clients: [acme.id].into(), ..Restored::default() };
    readers.restore(&restored).await.unwrap();
    assert_eq!(relations(readers.of_item(&march.id).await.unwrap()), [Relation::Client, Relation::Show(s.id)]);
    wipe().await;
    let restored = Restored { shows: [s.id].into(), ..Restored::default() };
    readers.restore(&restored).await.unwrap();
    assert_eq!(relations(readers.of_item(&march.id).await.unwrap()), [Relation::Client, Relation::Show(s.id)]);
    wipe().await;
    let restored = Restored {
        campaigns: [(march.id, PlacedCampaign::from(&march))].into(),
        members: vec![(march.id, owner)],
        ..Restored::default()
    };
    assert_eq!(readers.restore(&restored).await.unwrap(), 3);
    assert_eq!(readers.of_item(&march.id).await.unwrap(), before);
    repo.delete_draft(&march, 1).await.unwrap();
    assert!(readers.of_item(&march.id).await.unwrap().is_empty());
    assert_eq!(reader_list::<CampaignId>(&t, &newcomer, false, 10).await, vec![feb.id]);
    // Another tenant reads none of it.
    assert!(reader_list::<CampaignId>(&tenant(&f, OrgId::new()), &owner, false, 10).await.is_empty());
}

pub async fn a_page_of_entities_is_judged_as_each_one_alone(f: Fixture) {
    use podcastflow_domain::ad_read::AdRead;
    use podcastflow_domain::billing::invoice::{Invoice, Parties};
    use podcastflow_domain::billing::period::BillingMonth;
    use podcastflow_domain::visibility::EntityKind;
    use podcastflow_platform::visibility::{lens_of, lenses_of_page};
    use podcastflow_tests::large_org::{Size, generate};
    let size =
        Size { sellers: 2, producers: 2, talent: 2, clients: 4, campaigns: 8, shows: 2, episodes: 4, activities: 8 };
    let o = generate(f.table.clone(), size, 11).await.unwrap();
    let t = tenant(&f, o.org);
    // An order, a host read and an invoice of the first campaign, on the first show; its client
    // also assigned to a seller who owns none of its campaigns (who reads them as its seller).
    let campaign = CampaignRepo::new(&t).get(&o.campaigns[0]).await.unwrap().unwrap();
    let client = campaign.client_id.unwrap();
    let mut assigned = ClientRepo::new(&t).get(&client).await.unwrap().unwrap();
    assert!(!assigned.assigned_seller_ids.contains(&o.sellers[1]) && campaign.owner_id != o.sellers[1]);
    assigned.assigned_seller_ids.push(o.sellers[1]);
    let expected = assigned.stamp.version;
    assigned.stamp = touched(&assigned.stamp);
    ClientRepo::new(&t).update(&assigned, expected).await.unwrap();
    let s = ShowRepo::new(&t).get(&o.shows[0]).await.unwrap().unwrap();
    let spot = SpotRef { episode_id: o.first_episodes[0], position: Position::Pre, index: 0 };
    let mut hold = hold_of(o.org, &[(spot, &s, date("2027-01-04"))], Utc::now());
    (hold.campaign_id, hold.advertiser_id) = (campaign.id, client);
    let order = order_of(&hold);
    let read = AdRead::of_line(&order, &order.lines[0], Some(o.talent[0]), None, Utc::now());
    let parties = Parties {
        order_id: order.id,
        order_number: "ORD-1".into(),
        advertiser_id: client,
        advertiser_name: "Advertiser".into(),
        bill_to: client,
        bill_to_name: "Advertiser".into(),
    };
    let month = BillingMonth::new(BillingCalendar::Standard, 2027, 1).unwrap();
    let invoice = Invoice::new_draft(o.org, parties, month, Currency::USD, vec![], 30, stamp()).unwrap();
    for it in [
        podcastflow_store::item::to_item(&order).unwrap(),
        podcastflow_store::item::to_item(&read).unwrap(),
        podcastflow_store::item::to_item(&invoice).unwrap(),
    ] {
        t.put(it, podcastflow_store::Condition::NotExists).await.unwrap();
    }
    // Every kind, with ids that name nothing and ids no entity has.
    let of = |kind: EntityKind, id: String| EntityRef { kind, id };
    let mut entities = vec![
        of(EntityKind::Organization, o.org.to_string()),
        of(EntityKind::Organization, OrgId::new().to_string()),
        of(EntityKind::Talent, o.talent[0].to_string()),
        of(EntityKind::ApiKey, "any".into()),
        of(EntityKind::Backup, "any".into()),
        of(EntityKind::Webhook, "any".into()),
        of(EntityKind::Order, order.id.to_string()),
        of(EntityKind::AdRead, read.id.to_string()),
        of(EntityKind::Invoice, invoice.id.to_string()),
        of(EntityKind::User, o.admin.to_string()),
        of(EntityKind::User, o.talent[1].to_string()),
    ];
    entities.extend(o.clients.iter().map(|c| of(EntityKind::Client, c.to_string())));
    entities.extend(o.campaigns.iter().map(|c| of(EntityKind::Campaign, c.to_string())));
    entities.extend(o.shows.iter().map(|c| of(EntityKind::Show, c.to_string())));
    entities.extend(o.first_episodes.iter().map(|c| of(EntityKind::Episode, c.to_string())));
    for kind in [
        EntityKind::User,
        EntityKind::Client,
        EntityKind::Campaign,
        EntityKind::Show,
        EntityKind::Episode,
        EntityKind::Order,
        EntityKind::AdRead,
        EntityKind::Invoice,
    ] {
        entities.push(of(kind, ulid::Ulid::new().to_string()));
        entities.push(of(kind, "not-an-id".into()));
    }
    let as_user = |user_id, role, client_id| Principal {
        user_id,
        org_id: o.org,
        role,
        client_id,
        kind: podcastflow_domain::PrincipalKind::User,
    };
    let mut readers =
        vec![as_user(o.admin, Role::Admin, None), as_user(o.client_user, Role::Client, Some(o.clients[0]))];
    readers.extend(o.sellers.iter().map(|u| as_user(*u, Role::Seller, None)));
    readers.extend(o.producers.iter().map(|u| as_user(*u, Role::Producer, None)));
    readers.extend(o.talent.iter().map(|u| as_user(*u, Role::Talent, None)));
    // The whole list, and the entities whose facts hang off others alone (so what they hang off
    // is read for them, not found among the page's own records).
    let only = |kinds: &[EntityKind]| -> Vec<EntityRef> {
        entities.iter().filter(|e| kinds.contains(&e.kind)).cloned().collect()
    };
    let hanging = only(&[EntityKind::Campaign, EntityKind::Order, EntityKind::AdRead, EntityKind::Invoice]);
    let (episodes, invoices) = (only(&[EntityKind::Episode]), only(&[EntityKind::Invoice]));
    let (mut seen, mut hidden) = (0, 0);
    for p in &readers {
        for list in [&entities, &hanging, &episodes, &invoices] {
            let page = lenses_of_page(&t, p, list).await.unwrap();
            for e in list.iter() {
                let alone = lens_of(&t, p, e).await.unwrap();
                assert_eq!(page.get(e).copied(), Some(alone), "{:?} reading {e:?}", p.role);
                if alone.is_some() { seen += 1 } else { hidden += 1 }
            }
        }
    }
    assert!(seen > 0 && hidden > 0, "the page holds what some read and others do not: {seen} / {hidden}");
}

pub async fn campaign_updates_never_change_status_or_lose_writes(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let repo = CampaignRepo::new(&t);
    let owner = UserId::new();
    let c = campaign(org, ClientId::new(), owner, "2026-03-01");
    repo.create(&c, &member(&c, owner, TeamRole::Owner, &[])).await.unwrap();
    let mut a = c.clone();
    a.name = "First editor".into();
    a.stamp = touched(&c.stamp);
    let mut b = c.clone();
    b.name = "Second editor".into();
    b.stamp = touched(&c.stamp);
    repo.update(&c, &a, 1).await.unwrap();
    assert_eq!(repo.update(&c, &b, 1).await, Err(RepoError::VersionConflict { current: 2 }));
    assert_eq!(repo.get(&c.id).await.unwrap().unwrap().name, "First editor");
    // A plain update carrying another status is refused.
    let mut sneaky = a.clone();
    sneaky.status = CampaignStatus::Won;
    sneaky.stamp = touched(&a.stamp);
    assert!(repo.update(&a, &sneaky, 2).await.is_err());
    assert_eq!(repo.get(&c.id).await.unwrap().unwrap().status, CampaignStatus::Draft);
    // A write claiming the wrong next version is refused before it reaches the table.
    assert!(repo.update(&a, &a, 2).await.is_err());
}

pub async fn client_with_committed_campaigns_is_detected(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let repo = CampaignRepo::new(&t);
    let (owner, client_id) = (UserId::new(), ClientId::new());
    let mut c = campaign(org, client_id, owner, "2026-03-01");
    repo.create(&c, &member(&c, owner, TeamRole::Owner, &[])).await.unwrap();
    assert!(!repo.client_has_committed(&client_id).await.unwrap());
    c.status = CampaignStatus::Paused;
    c.probability = 100;
    c.stamp = touched(&c.stamp);
    let entry = history(&c, CampaignStatus::Draft, None);
    repo.transition(&c, 1, &entry).await.unwrap();
    assert!(repo.client_has_committed(&client_id).await.unwrap());
    assert!(!repo.client_has_committed(&ClientId::new()).await.unwrap());
    let list = CampaignList { source: ListSource::Client(client_id), start_range: None, descending: false };
    assert_eq!(repo.list(&list, None, 10).await.unwrap().items.len(), 1);
}

pub async fn shows_track_producers_and_talent(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let repo = ShowRepo::new(&t);
    let (p, both, host) = (UserId::new(), UserId::new(), UserId::new());
    // One person may produce and host the same show.
    let s = show(org, "Morning Brief", vec![p, both], vec![both, host]);
    repo.create(&s).await.unwrap();
    assert_eq!(repo.assigned_to(&both).await.unwrap(), vec![s.id]);
    let mut changed = s.clone();
    changed.talent_ids = vec![host];
    changed.producer_ids = vec![p];
    changed.stamp = touched(&s.stamp);
    repo.update(&changed, 1).await.unwrap();
    assert!(repo.assigned_to(&both).await.unwrap().is_empty());
    assert_eq!(repo.assigned_to(&host).await.unwrap(), vec![s.id]);
    let other = show(org, "Evening Wrap", vec![], vec![]);
    repo.create(&other).await.unwrap();
    let names: Vec<String> = repo.list(None, None, 10).await.unwrap().items.into_iter().map(|s| s.name).collect();
    assert_eq!(names, vec!["Evening Wrap", "Morning Brief"]);
    assert_eq!(repo.list(Some("morn"), None, 10).await.unwrap().items.len(), 1);
    assert_eq!(repo.get_many(&[other.id, s.id]).await.unwrap().len(), 2);
}

pub async fn episodes_keep_talent_schedules_current(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let repo = EpisodeRepo::new(&t);
    let (a, b) = (UserId::new(), UserId::new());
    let s = show(org, "Show", vec![], vec![a, b]);
    let e1 = episode(&s, "One", Some("2026-05-01"), vec![a, b]);
    let e2 = episode(&s, "Two", Some("2026-05-08"), vec![a]);
    let e3 = episode(&s, "Unscheduled", None, vec![]);
    for e in [&e1, &e2, &e3] {
        repo.create(e).await.unwrap();
    }
    assert_eq!(repo.schedule(&a).await.unwrap().len(), 2);
    let mut moved = e1.clone();
    moved.air_date = Some(date("2026-05-15"));
    moved.talent_ids = vec![a];
    moved.stamp = touched(&e1.stamp);
    repo.update(&moved, 1).await.unwrap();
    assert!(repo.schedule(&b).await.unwrap().is_empty());
    let of_a = repo.schedule(&a).await.unwrap();
    assert!(of_a.iter().any(|s| s.episode_id == e1.id && s.air_date == Some(date("2026-05-15"))));
    let may = repo.list_by_show(&s.id, Some((date("2026-05-01"), date("2026-05-10"))), None, 10).await.unwrap();
    assert_eq!(may.items.iter().map(|e| e.title.as_str()).collect::<Vec<_>>(), vec!["Two"]);
    let all = repo.list(None, None, 10).await.unwrap();
    assert_eq!(all.items.iter().map(|e| e.title.as_str()).collect::<Vec<_>>(), vec!["Two", "One", "Unscheduled"]);
}

pub async fn episode_reader_entries_follow_talent_hosts_and_air_dates(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let (repo, shows) = (EpisodeRepo::new(&t), ShowRepo::new(&t));
    let (host, guest, newcomer) = (UserId::new(), UserId::new(), UserId::new());
    let s = show(org, "Morning", vec![], vec![host]);
    shows.create(&s).await.unwrap();
    let march = episode(&s, "March", Some("2026-03-01"), vec![guest]);
    let feb = episode(&s, "February", Some("2026-02-01"), vec![]);
    let undated = episode(&s, "Someday", None, vec![]);
    for e in [&march, &feb, &undated] {
        repo.create(e).await.unwrap();
    }
    // Hosts read the show's episodes by air date (undated last), guests the ones they are on.
    assert_eq!(reader_list::<EpisodeId>(&t, &host, false, 10).await, vec![feb.id, march.id, undated.id]);
    assert_eq!(reader_list::<EpisodeId>(&t, &host, false, 1).await, vec![feb.id, march.id, undated.id]);
    assert_eq!(reader_list::<EpisodeId>(&t, &guest, false, 10).await, vec![march.id]);
    // A host on the episode too is named once.
    let mut hosted = march.clone();
    hosted.talent_ids = vec![guest, host];
    hosted.stamp = touched(&march.stamp);
    repo.update(&hosted, 1).await.unwrap();
    assert_eq!(reader_list::<EpisodeId>(&t, &host, true, 1).await, vec![undated.id, march.id, feb.id]);
    // A new air date moves the entries; a guest taken off no longer reads it.
    let mut moved = hosted.clone();
    moved.air_date = Some(date("2026-01-01"));
    moved.talent_ids = vec![host];
    moved.stamp = touched(&hosted.stamp);
    repo.update(&moved, 2).await.unwrap();
    assert_eq!(reader_list::<EpisodeId>(&t, &host, false, 10).await, vec![march.id, feb.id, undated.id]);
    assert!(reader_list::<EpisodeId>(&t, &guest, false, 10).await.is_empty());
    // The show's talent handed over: the newcomer reads its episodes, the host only the one they
    // are on.
    let mut handed = s.clone();
    handed.talent_ids = vec![newcomer];
    handed.stamp = touched(&s.stamp);
    shows.update(&handed, 1).await.unwrap();
    assert_eq!(reader_list::<EpisodeId>(&t, &newcomer, false, 10).await, vec![march.id, feb.id, undated.id]);
    assert_eq!(reader_list::<EpisodeId>(&t, &host, false, 10).await, vec![march.id]);
    // A deleted episode takes its entries along.
    repo.delete(&feb, 1).await.unwrap();
    assert!(ReaderRepo::new(&t).of_item(&feb.id).await.unwrap().is_empty());
    assert_eq!(reader_list::<EpisodeId>(&t, &newcomer, false, 10).await, vec![march.id, undated.id]);
    // Campaign lists and episode lists are apart.
    assert!(reader_list::<CampaignId>(&t, &newcomer, false, 10).await.is_empty());
}

pub async fn availability_is_replaced_as_a_set(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let repo = AvailabilityRepo::new(&t);
    let talent = UserId::new();
    let window = |from: &str, days: i64| AvailabilityWindow {
        id: WindowId::new(),
        org_id: org,
        talent_id: talent,
        from: from.parse().expect("a timestamp"),
        to: from.parse::<chrono::DateTime<Utc>>().expect("a timestamp") + Duration::days(days),
        kind: WindowKind::Unavailable,
        note: None,
        version: 1,
    };
    let (w1, w2, w3) =
        (window("2026-06-01T00:00:00Z", 2), window("2026-06-10T00:00:00Z", 1), window("2026-07-01T00:00:00Z", 5));
    assert_eq!(repo.read(&talent).await.unwrap().version, 0);
    assert_eq!(repo.replace(&talent, &[w2.clone(), w1.clone()], 0).await.unwrap(), 1);
    assert_eq!(repo.windows(&talent).await.unwrap(), vec![w1.clone(), w2.clone()]);
    assert_eq!(
        repo.replace(&talent, std::slice::from_ref(&w3), 0).await,
        Err(RepoError::VersionConflict { current: 1 })
    );
    assert_eq!(repo.replace(&talent, &[w2.clone(), w3.clone()], 1).await.unwrap(), 2);
    let set = repo.read(&talent).await.unwrap();
    assert_eq!(set.version, 2);
    assert_eq!(set.windows, vec![AvailabilityWindow { version: 2, ..w2 }, AvailabilityWindow { version: 2, ..w3 }]);
    repo.replace(&talent, &[], 2).await.unwrap();
    assert!(repo.windows(&talent).await.unwrap().is_empty());
    let foreign = AvailabilityWindow { talent_id: UserId::new(), ..w1 };
    assert!(repo.replace(&talent, &[foreign], 3).await.is_err());
}

pub async fn notifications_list_newest_first_and_track_unread(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let repo = NotificationRepo::new(&t);
    let user = UserId::new();
    let base = Utc::now() - Duration::hours(10);
    let mut ids = Vec::new();
    for i in 0..5 {
        let at = base + Duration::hours(i);
        let n = Notification {
            id: NotificationId::from(ulid::Ulid::from_parts(
                u64::try_from(at.timestamp_millis()).unwrap_or(0),
                u128::from(i as u32),
            )),
            org_id: org,
            user_id: user,
            kind: "campaign.transitioned".into(),
            title: format!("n{i}"),
            body: "body".into(),
            priority: Priority::Normal,
            entity: Some(EntityRef {
                kind: podcastflow_domain::visibility::EntityKind::Campaign,
                id: CampaignId::new().to_string(),
            }),
            read_at: None,
            created_at: at,
            expires_at: Notification::expiry(at),
            version: 1,
        };
        repo.create(&n).await.unwrap();
        ids.push(n.id);
    }
    let titles = |p: Vec<Notification>| p.into_iter().map(|n| n.title).collect::<Vec<_>>();
    assert_eq!(titles(repo.list(&user, false, None, 10).await.unwrap().items), vec!["n4", "n3", "n2", "n1", "n0"]);
    assert_eq!(repo.unread_count(&user).await.unwrap(), 5);
    // As a restore left it: an update through the tenant handle drops its marks, so the stream
    // tells the reading apart from the restore's write (`made_by_restore`).
    let key = podcastflow_domain::keys::Key::new(Notification::inbox_pk(&org, &user), ids[4].to_string());
    let raw = |t: &TenantTable, key: podcastflow_domain::keys::Key| {
        let t = t.clone();
        async move { t.batch_get(std::slice::from_ref(&key)).await.unwrap().pop().expect("the notification's item") }
    };
    let mut restored = raw(&t, key.clone()).await;
    for mark in [podcastflow_domain::keys::RESTORED_BY, podcastflow_domain::keys::REMOVED_BY_RESTORE] {
        restored.insert(mark.into(), serde_json::json!("b@1"));
    }
    t.batch_write(vec![restored], Vec::new()).await.unwrap();
    repo.mark_read(&user, &ids[4], Utc::now()).await.unwrap();
    let read = raw(&t, key).await;
    assert!(read.contains_key("readAt"), "{read:?}");
    assert!(!read.contains_key(podcastflow_domain::keys::RESTORED_BY), "{read:?}");
    assert!(!read.contains_key(podcastflow_domain::keys::REMOVED_BY_RESTORE), "{read:?}");
    repo.mark_read(&user, &ids[4], Utc::now()).await.unwrap();
    assert_eq!(repo.mark_read(&user, &NotificationId::new(), Utc::now()).await, Err(RepoError::NotFound));
    assert_eq!(titles(repo.list(&user, true, None, 10).await.unwrap().items), vec!["n3", "n2", "n1", "n0"]);
    assert_eq!(repo.mark_many_read(&user, None, Some(base + Duration::minutes(90)), Utc::now()).await.unwrap(), 2);
    assert_eq!(repo.mark_many_read(&user, Some(&[ids[3]]), None, Utc::now()).await.unwrap(), 1);
    assert_eq!(titles(repo.list(&user, true, None, 10).await.unwrap().items), vec!["n2"]);
    assert_eq!(repo.unread_count(&user).await.unwrap(), 1);
    assert!(repo.list(&user, false, None, 10).await.unwrap().items.iter().filter(|n| n.read_at.is_some()).count() == 4);
}

pub async fn activity_is_listed_by_entity_actor_and_timeline(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let repo = ActivityRepo::new(&t);
    let (alice, bob) = (UserId::new(), UserId::new());
    let campaign =
        EntityRef { kind: podcastflow_domain::visibility::EntityKind::Campaign, id: CampaignId::new().to_string() };
    let show = EntityRef { kind: podcastflow_domain::visibility::EntityKind::Show, id: ShowId::new().to_string() };
    let mut recorded = Vec::new();
    for (actor, entity) in [(alice, &campaign), (bob, &campaign), (alice, &show)] {
        let at = Utc::now();
        let a = Activity {
            id: ActivityId::new(),
            org_id: org,
            actor_id: Some(actor),
            action: format!("{}.updated", entity.kind),
            entity: entity.clone(),
            changes: Default::default(),
            request_id: Some("req-1".into()),
            at,
            expires_at: Activity::expiry(at),
        };
        assert!(repo.record(&a).await.unwrap(), "recorded the first time");
        assert!(!repo.record(&a).await.unwrap(), "not twice");
        recorded.push(a.id);
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert_eq!(repo.of_entity(&campaign, None, 10).await.unwrap().items.len(), 2);
    let timeline: Vec<ActivityId> = repo.timeline(None, 10).await.unwrap().items.into_iter().map(|a| a.id).collect();
    assert_eq!(timeline, recorded.iter().rev().copied().collect::<Vec<_>>());
    assert_eq!(repo.of_actor(&alice, None, 10).await.unwrap().items.len(), 2);
    assert_eq!(repo.of_actor(&bob, None, 10).await.unwrap().items.len(), 1);
}

pub async fn backups_are_listed_newest_first_and_deleted_by_version(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let repo = BackupRepo::new(&t);
    let mk = |kind| Backup {
        id: BackupId::new(),
        org_id: org,
        kind,
        status: BackupStatus::Queued,
        progress: 0,
        counts: Default::default(),
        size_bytes: None,
        sha256: None,
        error: None,
        expires_at: Backup::expiry(kind, Utc::now()),
        checkpoint: None,
        restore: None,
        stamp: stamp(),
    };
    let first = mk(BackupKind::Manual);
    std::thread::sleep(std::time::Duration::from_millis(2));
    let second = mk(BackupKind::Daily);
    repo.create(&first).await.unwrap();
    repo.create(&second).await.unwrap();
    let ids: Vec<BackupId> = repo.list(None, 10).await.unwrap().items.into_iter().map(|b| b.id).collect();
    assert_eq!(ids, vec![second.id, first.id]);
    let mut done = first.clone();
    done.status = BackupStatus::Completed;
    done.progress = 100;
    done.stamp = touched(&first.stamp);
    repo.update(&done, 1).await.unwrap();
    assert_eq!(repo.delete(&first.id, 1).await, Err(RepoError::VersionConflict { current: 2 }));
    repo.delete(&first.id, 2).await.unwrap();
    assert!(repo.get(&first.id).await.unwrap().is_none());
    assert_eq!(repo.delete(&first.id, 2).await, Err(RepoError::NotFound));
}

pub async fn connections_fan_out_by_topic_and_close_whole(f: Fixture) {
    use podcastflow_domain::connection::{Connection, MAX_TOPICS, Presence, PresenceState};
    use podcastflow_domain::topic::Topic;
    use podcastflow_store::repo::connections::ConnectionRepo;

    let org = OrgId::new();
    let t = tenant(&f, org);
    let repo = ConnectionRepo::new(&t);
    let now = Utc::now();
    let p = |role| Principal { user_id: UserId::new(), org_id: org, role, client_id: None, kind: PrincipalKind::User };
    let campaign = Topic::Campaign(CampaignId::new());
    let mut conns = Vec::new();
    for (i, role) in [Role::Admin, Role::Seller, Role::Client].into_iter().enumerate() {
        let c = Connection::open(&format!("conn-{i}"), &p(role), now);
        repo.open(&c).await.unwrap();
        assert_eq!(repo.open(&c).await, Err(RepoError::AlreadyExists), "a connection id is recorded once");
        let c = repo.subscribe(&c, &[campaign, Topic::OrgCampaigns]).await.unwrap();
        assert_eq!(c.topics, vec![campaign.to_string(), "org:campaigns".to_owned()]);
        conns.push(c);
    }
    let subs = repo.subscribers(&campaign, now).await.unwrap();
    assert_eq!(subs.len(), 3);
    assert!(subs.iter().any(|s| s.reader.role == Role::Client), "each subscriber carries its reader");
    // Another tenant sees none of them.
    let other = tenant(&f, OrgId::new());
    assert!(ConnectionRepo::new(&other).subscribers(&campaign, now).await.unwrap().is_empty());

    // A stale copy of the connection cannot overwrite a newer one.
    let stale = conns[0].clone();
    repo.subscribe(&conns[0], &[Topic::OrgShows]).await.unwrap();
    assert!(matches!(repo.subscribe(&stale, &[Topic::OrgEpisodes]).await, Err(RepoError::VersionConflict { .. })));
    let fresh = repo.get("conn-0", now).await.unwrap().unwrap();
    assert_eq!(fresh.topics.len(), 3);
    let fresh = repo.unsubscribe(&fresh, &[campaign]).await.unwrap();
    assert_eq!(repo.subscribers(&campaign, now).await.unwrap().len(), 2);
    assert!(!fresh.topics.contains(&campaign.to_string()));
    let many: Vec<Topic> = (0..MAX_TOPICS).map(|_| Topic::Show(ShowId::new())).collect();
    assert_eq!(repo.subscribe(&fresh, &many).await, Err(RepoError::Conflict("too many topics")));

    // Presence lists the live ones; an expired one is left out before the table deletes it.
    for (c, state, ttl) in [(&conns[1], PresenceState::Viewing, 120), (&conns[2], PresenceState::Editing, -1)] {
        let presence = Presence {
            topic: campaign.to_string(),
            org_id: org,
            connection_id: c.id.clone(),
            user_id: c.reader.user_id,
            state,
            since: now,
            expires_at: now.timestamp() + ttl,
            version: 1,
        };
        repo.set_presence(&presence).await.unwrap();
    }
    let present = repo.presence(&campaign, now).await.unwrap();
    assert_eq!(present.iter().map(|p| p.connection_id.as_str()).collect::<Vec<_>>(), vec!["conn-1"]);

    // Closing deletes the record, every subscription and the presence.
    repo.close("conn-1").await.unwrap();
    assert!(repo.get("conn-1", now).await.unwrap().is_none());
    assert_eq!(repo.subscribers(&campaign, now).await.unwrap().len(), 1);
    assert!(repo.subscribers(&Topic::OrgCampaigns, now).await.unwrap().iter().all(|s| s.connection_id != "conn-1"));
    assert!(repo.presence(&campaign, now).await.unwrap().is_empty());
    repo.close("conn-1").await.unwrap();
    // An expired connection reads as gone.
    assert!(repo.get("conn-2", now + Duration::hours(3)).await.unwrap().is_none());
}

/// A hold of `spots` for a campaign of its own, until `until`.
fn hold_of(org: OrgId, spots: &[(SpotRef, &Show, NaiveDate)], until: chrono::DateTime<Utc>) -> Hold {
    Hold {
        id: HoldId::new(),
        org_id: org,
        campaign_id: CampaignId::new(),
        advertiser_id: ClientId::new(),
        spots: spots
            .iter()
            .map(|(spot, show, air)| HeldSpot {
                spot: *spot,
                show_id: show.id,
                air_date: *air,
                price: SpotPrice::default(),
            })
            .collect(),
        expires_at: until,
        extensions: 0,
        status: HoldStatus::Active,
        override_reason: None,
        separation: None,
        expiry_notice_for: None,
        makegood_for: None,
        stamp: stamp(),
    }
}

pub async fn holds_take_free_spots_all_or_nothing_and_never_twice(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let mut s = show(org, "Spots", vec![], vec![]);
    s.ad_config.slots = Some(Slots { pre: 2, mid: 2, post: 1 });
    ShowRepo::new(&t).create(&s).await.unwrap();
    let mut live = episode(&s, "Live", Some("2026-12-07"), vec![]);
    live.status = EpisodeStatus::Scheduled;
    let draft = episode(&s, "Draft", Some("2026-12-08"), vec![]);
    let mut cancelled = episode(&s, "Cancelled", Some("2026-12-09"), vec![]);
    cancelled.status = EpisodeStatus::Cancelled;
    for e in [&live, &draft, &cancelled] {
        EpisodeRepo::new(&t).create(e).await.unwrap();
    }
    let inventory = InventoryRepo::new(&t);
    let (from, to) = (date("2026-12-01"), date("2026-12-31"));
    let read = inventory.show_inventory(&s, from, to).await.unwrap();
    assert_eq!(read.iter().map(|e| e.episode_id).collect::<Vec<_>>(), [live.id], "only a scheduled episode sells");
    let spots: Vec<_> = [Position::Pre, Position::Mid, Position::Post]
        .iter()
        .flat_map(|p| read[0].spots(*p, Utc::now()))
        .map(|(spot, _)| spot)
        .collect();
    assert_eq!(spots.len(), 5);

    // Twenty sellers race for the last five spots, four for each: exactly one wins each spot.
    let now = Utc::now();
    let until = now + Duration::hours(48);
    let attempts: Vec<Hold> =
        (0..20).map(|i| hold_of(org, &[(spots[i % 5], &s, live.air_date.unwrap())], until)).collect();
    let mut race = tokio::task::JoinSet::new();
    for h in attempts.clone() {
        let t = tenant(&f, org);
        race.spawn(async move { InventoryRepo::new(&t).commit_hold(&h, now).await.map(|()| h.spots[0].spot) });
    }
    let results = race.join_all().await;
    let won: std::collections::BTreeSet<_> = results.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
    assert_eq!(won.len(), 5, "{results:?}");
    assert_eq!(results.iter().filter(|r| matches!(r, Err(HoldCommitError::Taken(_)))).count(), 15, "{results:?}");
    let after = inventory.show_inventory(&s, from, to).await.unwrap();
    assert_eq!(after[0].claims.len(), 5);
    for p in [Position::Pre, Position::Mid, Position::Post] {
        assert_eq!(after[0].counts(p, now).available, 0);
    }

    // A hold ends at its expiry exactly: a second before, the spot is taken; at it, free.
    let first = after[0].claims[0].clone();
    let retry = hold_of(org, &[(first.spot, &s, first.air_date)], until + Duration::hours(1));
    let early = inventory.commit_hold(&retry, until - Duration::seconds(1)).await;
    assert_eq!(early, Err(HoldCommitError::Taken(first.spot)));
    inventory.commit_hold(&retry, until).await.expect("the expired hold no longer holds it");
    let Some(c) = inventory.claim(&first.spot).await.unwrap() else { panic!("claimed") };
    assert!(matches!(c.claim, Claim::Held { hold_id, .. } if hold_id == retry.id));
    assert_eq!(inventory.campaign_claims(&retry.campaign_id).await.unwrap().len(), 1);
    assert!(inventory.hold(&retry.campaign_id, &retry.id).await.unwrap().is_some());
}

/// A show of 30 spots an episode (10 of each position) with a scheduled episode on each of
/// `days`, and every spot of them in air order, with its air date.
async fn big_show(t: &TenantTable, name: &str, days: &[&str]) -> (Show, Vec<(SpotRef, NaiveDate)>) {
    let mut s = show(*t.org(), name, vec![], vec![]);
    s.ad_config.slots = Some(Slots { pre: 10, mid: 10, post: 10 });
    ShowRepo::new(t).create(&s).await.unwrap();
    for d in days {
        let mut e = episode(&s, d, Some(d), vec![]);
        e.status = EpisodeStatus::Scheduled;
        EpisodeRepo::new(t).create(&e).await.unwrap();
    }
    let read = InventoryRepo::new(t).show_inventory(&s, date("2026-12-01"), date("2026-12-31")).await.unwrap();
    let spots = read
        .iter()
        .flat_map(|e| {
            [Position::Pre, Position::Mid, Position::Post]
                .into_iter()
                .flat_map(|p| e.spots(p, Utc::now()))
                .map(|(spot, _)| (spot, e.air_date))
        })
        .collect();
    (s, spots)
}

pub async fn a_hold_larger_than_a_transaction_is_still_all_or_nothing(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let (s, spots) = big_show(&t, "Big", &["2026-12-07", "2026-12-14", "2026-12-21", "2026-12-28"]).await;
    let inventory = InventoryRepo::new(&t);
    let all: Vec<_> = spots.iter().map(|(spot, air)| (*spot, &s, *air)).collect();
    assert_eq!(all.len(), 120);
    let now = Utc::now();
    let until = now + Duration::hours(48);
    // Another campaign holds a spot the big hold's second transaction wants.
    let blocker = hold_of(org, &[all[110]], until);
    inventory.commit_hold(&blocker, now).await.unwrap();
    let big = hold_of(org, &all, until);
    assert_eq!(inventory.commit_hold(&big, now).await, Err(HoldCommitError::Taken(all[110].0)));
    let read = inventory.show_inventory(&s, date("2026-12-01"), date("2026-12-31")).await.unwrap();
    assert_eq!(read.iter().map(|e| e.claims.len()).sum::<usize>(), 1, "nothing of the big hold stays");
    let record = inventory.hold(&big.campaign_id, &big.id).await.unwrap().unwrap();
    assert_eq!(record.status, HoldStatus::Failed);
    // Without the blocker (its hold expired), the same spots go in one piece.
    let mut again = hold_of(org, &all, until);
    again.campaign_id = big.campaign_id;
    inventory.commit_hold(&again, until).await.unwrap();
    assert_eq!(inventory.campaign_claims(&big.campaign_id).await.unwrap().len(), 120);
    assert_eq!(inventory.hold(&again.campaign_id, &again.id).await.unwrap().unwrap().status, HoldStatus::Active);
}

/// A show with `slots`, one scheduled episode airing 2026-12-07, and its spots (pre, mid, post).
async fn one_episode_show(t: &TenantTable, name: &str, slots: Slots) -> (Show, NaiveDate, Vec<SpotRef>) {
    let mut s = show(*t.org(), name, vec![], vec![]);
    s.ad_config.slots = Some(slots);
    ShowRepo::new(t).create(&s).await.unwrap();
    let mut e = episode(&s, "One", Some("2026-12-07"), vec![]);
    e.status = EpisodeStatus::Scheduled;
    EpisodeRepo::new(t).create(&e).await.unwrap();
    let air = date("2026-12-07");
    let read = InventoryRepo::new(t).show_inventory(&s, air, air).await.unwrap();
    let spots = [Position::Pre, Position::Mid, Position::Post]
        .into_iter()
        .flat_map(|p| read[0].spots(p, Utc::now()))
        .map(|(spot, _)| spot)
        .collect();
    (s, air, spots)
}

pub async fn competitors_racing_for_one_episode_get_one_hold(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let (s, air, spots) = one_episode_show(&t, "Separated", Slots { pre: 2, mid: 2, post: 0 }).await;
    let inventory = InventoryRepo::new(&t);
    let banks = Some(HeldCategory { scope: SeparationScope::Episode, category: "IAB13".into() });
    let with = |mut h: Hold, c: &Option<HeldCategory>| {
        h.separation = c.clone();
        h
    };
    let now = Utc::now();
    let until = now + Duration::hours(48);
    // Two banks race for the same episode, each for a different spot: one wins, one is refused.
    let (a, b) = (
        with(hold_of(org, &[(spots[0], &s, air)], until), &banks),
        with(hold_of(org, &[(spots[1], &s, air)], until), &banks),
    );
    let (ta, tb) = (tenant(&f, org), tenant(&f, org));
    let (ia, ib) = (InventoryRepo::new(&ta), InventoryRepo::new(&tb));
    let (ra, rb) = tokio::join!(ia.commit_hold(&a, now), ib.commit_hold(&b, now));
    let outcomes = [ra.clone(), rb.clone()];
    assert_eq!(outcomes.iter().filter(|r| r.is_ok()).count(), 1, "{outcomes:?}");
    assert_eq!(
        outcomes.iter().filter(|r| matches!(r, Err(HoldCommitError::Competitive(_)))).count(),
        1,
        "{outcomes:?}"
    );
    let winner = if ra.is_ok() { &a } else { &b };
    // The winner's advertiser holds more in the same episode, later: its claim lasts the longer.
    let mut more = with(hold_of(org, &[(spots[2], &s, air)], until + Duration::hours(10)), &banks);
    more.advertiser_id = winner.advertiser_id;
    inventory.commit_hold(&more, now).await.expect("its own category");
    // Another category is no competitor; a competitor can come in once every hold has expired.
    let travel = Some(HeldCategory { scope: SeparationScope::Episode, category: "IAB20".into() });
    let airline = with(hold_of(org, &[(spots[3], &s, air)], until), &travel);
    inventory.commit_hold(&airline, now).await.expect("another category");
    // A bank at `until`: the first bank hold has expired, the winner's later one still holds.
    let rival = with(hold_of(org, &[(spots[3], &s, air)], until + Duration::hours(20)), &banks);
    assert!(
        matches!(inventory.commit_hold(&rival, until).await, Err(HoldCommitError::Competitive(_))),
        "the later hold still holds the category"
    );
    let late = until + Duration::hours(10);
    let free: Vec<_> = inventory.show_inventory(&s, air, air).await.unwrap()[0]
        .spots(Position::Mid, late)
        .into_iter()
        .filter(|(_, st)| *st == podcastflow_domain::inventory::spot::SpotState::Available)
        .map(|(sp, _)| sp)
        .collect();
    let rival = with(hold_of(org, &[(free[0], &s, air)], late + Duration::hours(1)), &banks);
    inventory.commit_hold(&rival, late).await.expect("every bank hold has expired");
}

pub async fn released_and_extended_holds_move_their_spots_and_category(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let (s, air, spots) = one_episode_show(&t, "Release", Slots { pre: 3, mid: 0, post: 0 }).await;
    let inventory = InventoryRepo::new(&t);
    let banks = Some(HeldCategory { scope: SeparationScope::Episode, category: "IAB13".into() });
    let now = Utc::now();
    let until = podcastflow_domain::inventory::hold::expiry(now, 48);
    let mut a = hold_of(org, &[(spots[0], &s, air)], until);
    a.separation = banks.clone();
    let mut b = hold_of(org, &[(spots[1], &s, air)], until + Duration::hours(5));
    b.separation = banks.clone();
    b.advertiser_id = a.advertiser_id;
    inventory.commit_hold(&a, now).await.unwrap();
    inventory.commit_hold(&b, now).await.unwrap();
    let mut rival = hold_of(org, &[(spots[2], &s, air)], until);
    rival.separation = banks.clone();
    assert!(matches!(inventory.commit_hold(&rival, now).await, Err(HoldCommitError::Competitive(_))));

    // Releasing one hold frees its spot; the other keeps the category, until its own expiry.
    let mut released = b.clone();
    released.status = HoldStatus::Released;
    released.stamp = touched(&b.stamp);
    inventory.release_hold(&released, 1, now).await.unwrap();
    assert!(inventory.claim(&spots[1]).await.unwrap().is_none());
    assert_eq!(inventory.hold(&b.campaign_id, &b.id).await.unwrap().unwrap().status, HoldStatus::Released);
    assert!(matches!(inventory.release_hold(&released, 1, now).await, Err(RepoError::VersionConflict { .. })));
    let at_a_expiry = inventory.commit_hold(&rival, until).await;
    assert!(at_a_expiry.is_ok(), "b no longer stretches the category past a's expiry: {at_a_expiry:?}");

    // Extending moves the claims and the category with the record.
    let org2 = OrgId::new();
    let t2 = tenant(&f, org2);
    let (s2, _, spots) = one_episode_show(&t2, "Extend", Slots { pre: 2, mid: 0, post: 0 }).await;
    let inventory = InventoryRepo::new(&t2);
    let mut h = hold_of(org2, &[(spots[0], &s2, air)], until);
    h.separation = banks.clone();
    inventory.commit_hold(&h, now).await.unwrap();
    let mut longer = h.clone();
    longer.expires_at = podcastflow_domain::inventory::hold::extend(h.expires_at, 0, 48, now).unwrap();
    longer.extensions = 1;
    longer.stamp = touched(&h.stamp);
    inventory.extend_hold(&longer, 1, h.expires_at, now).await.unwrap();
    let record = inventory.hold(&h.campaign_id, &h.id).await.unwrap().unwrap();
    assert_eq!((record.expires_at, record.extensions), (longer.expires_at, 1));
    let held = inventory.claim(&spots[0]).await.unwrap().unwrap();
    assert_eq!(held.state_at(until), podcastflow_domain::inventory::spot::SpotState::Held, "past the old expiry");
    let mut rival = hold_of(org2, &[(spots[1], &s2, air)], longer.expires_at);
    rival.separation = banks.clone();
    assert!(matches!(inventory.commit_hold(&rival, until).await, Err(HoldCommitError::Competitive(_))));
    // Released: the category goes with it, and a competitor comes in.
    let mut gone = longer.clone();
    gone.status = HoldStatus::Released;
    gone.stamp = touched(&longer.stamp);
    inventory.release_hold(&gone, 2, now).await.unwrap();
    inventory.commit_hold(&rival, now).await.expect("nothing of the first bank is left");
}

/// A draft order of `hold`'s campaign, one flat-priced line per held spot.
fn order_of(hold: &Hold) -> Order {
    let lines = hold
        .spots
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let rate = Rate::Flat(Money::new(40_000, Currency::USD));
            OrderLine::of_held(i as u32 + 1, hold.id, s, AdType::HostRead, rate, None)
        })
        .collect();
    Order {
        id: OrderId::new(),
        org_id: hold.org_id,
        number: String::new(),
        campaign_id: hold.campaign_id,
        advertiser_id: hold.advertiser_id,
        status: OrderStatus::Approved,
        lines,
        currency: Currency::USD,
        billing_mode: BillingMode::Contract,
        billing_calendar: BillingCalendar::Standard,
        payment_terms_days: 30,
        external_order_number: None,
        internal_notes: None,
        history: Vec::new(),
        stamp: stamp(),
    }
}

/// `o` moved to `status`, one version on.
fn moved(o: &Order, status: OrderStatus) -> Order {
    let mut next = o.clone();
    next.status = status;
    next.stamp = touched(&o.stamp);
    next
}

pub async fn order_numbers_are_never_given_twice_nor_skipped(f: Fixture) {
    let org = OrgId::new();
    let (s, air, spots) = one_episode_show(&tenant(&f, org), "Numbers", Slots { pre: 1, mid: 0, post: 0 }).await;
    let hold = hold_of(org, &[(spots[0], &s, air)], Utc::now() + Duration::hours(1));
    let mut race = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (t, mut o) = (tenant(&f, org), order_of(&hold));
        o.status = OrderStatus::Draft;
        race.spawn(async move { OrderRepo::new(&t).create(o, 2026).await.map(|o| o.number) });
    }
    let mut numbers: Vec<String> =
        race.join_all().await.into_iter().map(|r| r.expect("every order numbered")).collect();
    numbers.sort();
    let expected: Vec<String> = (1..=10).map(|n| format!("IO-2026-{n:05}")).collect();
    assert_eq!(numbers, expected, "one each, none skipped");
    let t = tenant(&f, org);
    let repo = OrderRepo::new(&t);
    let next_year = repo.create(order_of(&hold), 2027).await.unwrap();
    assert_eq!(next_year.number, "IO-2027-00001");
    // An order that cannot be created (its id exists) takes no number.
    assert_eq!(repo.create(next_year.clone(), 2027).await, Err(RepoError::AlreadyExists));
    assert_eq!(repo.create(order_of(&hold), 2027).await.unwrap().number, "IO-2027-00002");
    let listed = repo.list(None, 100).await.unwrap().items;
    assert_eq!(listed.len(), 12);
    assert_eq!(listed[0].number, "IO-2026-00001", "by number");
    assert_eq!(repo.of_campaign(&hold.campaign_id, None, 100).await.unwrap().items.len(), 12);
    assert_eq!(repo.of_advertiser(&hold.advertiser_id, None, 100).await.unwrap().items.len(), 12);
    assert!(repo.of_advertiser(&ClientId::new(), None, 100).await.unwrap().items.is_empty());
}

pub async fn an_order_of_250_lines_books_all_or_nothing(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let days: Vec<String> = (1..=9).map(|d| format!("2026-12-{d:02}")).collect();
    let (s, spots) = big_show(&t, "Booked", &days.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let inventory = InventoryRepo::new(&t);
    let read = inventory.show_inventory(&s, date("2026-12-01"), date("2026-12-31")).await.unwrap();
    let all: Vec<_> = spots.iter().take(250).map(|(spot, air)| (*spot, &s, *air)).collect();
    let now = Utc::now();
    let until = now + Duration::hours(48);
    let mut hold = hold_of(org, &all, until);
    hold.separation = Some(HeldCategory { scope: SeparationScope::Episode, category: "IAB13".into() });
    inventory.commit_hold(&hold, now).await.unwrap();
    let repo = OrderRepo::new(&t);
    let order = repo.create(order_of(&hold), 2026).await.unwrap();
    let holds = repo.holds_of(&hold.campaign_id).await.unwrap();

    // Line 200's spot went to someone else (its hold expired and it was taken): nothing books.
    let lost = all[199].0;
    let key = SpotClaim::key_of(&org, &lost);
    t.delete(&key, podcastflow_store::Condition::Always).await.unwrap();
    let other = hold_of(org, &[all[199]], until);
    inventory.commit_hold(&other, now).await.unwrap();
    let refused = repo.book(&order, moved(&order, OrderStatus::Booked), &holds, now).await;
    assert_eq!(refused, Err(BookError::NotHeld(vec![200])));
    let claims = inventory.campaign_claims(&hold.campaign_id).await.unwrap();
    assert_eq!(claims.len(), 249);
    assert!(claims.iter().all(|c| matches!(c.claim, Claim::Held { .. })), "nothing booked");

    // Given back (the other hold released, the claim held again by ours), but taken again between
    // the check and the second transaction: the first hundred booked go back to the hold, the
    // record to approved, and the answer names the line.
    let released = {
        let mut r = other.clone();
        r.status = HoldStatus::Released;
        r.stamp = touched(&other.stamp);
        r
    };
    inventory.release_hold(&released, 1, now).await.unwrap();
    let ours = |hold: &Hold| {
        podcastflow_store::item::to_item(&SpotClaim {
            org_id: org,
            show_id: s.id,
            air_date: all[199].2,
            spot: lost,
            claim: Claim::Held {
                hold_id: hold.id,
                campaign_id: hold.campaign_id,
                advertiser_id: hold.advertiser_id,
                expires_at: until,
                price: SpotPrice::default(),
            },
            at: now,
        })
        .unwrap()
    };
    t.put(ours(&hold), podcastflow_store::Condition::Always).await.unwrap();
    let sabotaged = std::sync::Arc::new(TakeAtTransaction::new(f.table.clone(), 2, ours(&other)));
    let st = TenantTable::new(sabotaged, org, codec());
    let raced = OrderRepo::new(&st).book(&order, moved(&order, OrderStatus::Booked), &holds, now).await;
    assert_eq!(raced, Err(BookError::NotHeld(vec![200])));
    let claims = inventory.campaign_claims(&hold.campaign_id).await.unwrap();
    assert_eq!(claims.len(), 249, "line 200 is the other campaign's");
    assert!(claims.iter().all(|c| matches!(c.claim, Claim::Held { hold_id, .. } if hold_id == hold.id)), "all back");
    let order = repo.get(&order.id).await.unwrap().unwrap();
    assert_eq!((order.status, order.stamp.version), (OrderStatus::Approved, 3), "through booking and back");
    t.put(ours(&hold), podcastflow_store::Condition::Always).await.unwrap();
    let booked = repo.book(&order, moved(&order, OrderStatus::Booked), &holds, now).await.expect("all 250 booked");
    assert_eq!(booked.status, OrderStatus::Booked);
    let stored = repo.get(&order.id).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.stamp.version), (OrderStatus::Booked, booked.stamp.version));
    let claims = inventory.campaign_claims(&hold.campaign_id).await.unwrap();
    assert_eq!(claims.len(), 250);
    assert!(claims.iter().all(|c| matches!(c.claim, Claim::Booked { order_id, .. } if order_id == order.id)));
    assert_eq!(inventory.hold(&hold.campaign_id, &hold.id).await.unwrap().unwrap().status, HoldStatus::Booked);
    // Booked for good: long after the hold's expiry the spots stay booked and the category stays.
    let later = until + Duration::days(30);
    let free = read[0].spots(Position::Post, later).last().unwrap().0;
    let mut rival = hold_of(org, &[(free, &s, read[0].air_date)], later + Duration::hours(1));
    rival.separation = hold.separation.clone();
    assert!(matches!(
        inventory.commit_hold(&rival, later).await,
        Err(HoldCommitError::Competitive(_) | HoldCommitError::Taken(_))
    ));

    // Cancelling gives every spot back, and the category with them.
    let cancelled = moved(&stored, OrderStatus::Cancelled);
    repo.cancel(&stored, &cancelled, &holds, later).await.unwrap();
    assert!(inventory.campaign_claims(&hold.campaign_id).await.unwrap().is_empty());
    assert_eq!(repo.get(&order.id).await.unwrap().unwrap().status, OrderStatus::Cancelled);
    inventory.commit_hold(&rival, later).await.expect("nothing of the order is left");
}

pub async fn a_booking_racing_a_holds_expiry_never_leaves_a_spot_held_and_booked(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let (s, air, spots) = one_episode_show(&t, "Race", Slots { pre: 2, mid: 1, post: 0 }).await;
    let inventory = InventoryRepo::new(&t);
    let now = Utc::now();
    let until = podcastflow_domain::inventory::hold::expiry(now, 1);
    let hold = hold_of(org, &[(spots[0], &s, air), (spots[1], &s, air)], until);
    inventory.commit_hold(&hold, now).await.unwrap();
    let repo = OrderRepo::new(&t);
    let order = repo.create(order_of(&hold), 2026).await.unwrap();
    let holds = repo.holds_of(&hold.campaign_id).await.unwrap();
    // At its expiry the hold holds nothing: nothing books.
    let at = repo.book(&order, moved(&order, OrderStatus::Booked), &holds, until).await;
    assert_eq!(at, Err(BookError::NotHeld(vec![1, 2])));

    // A booking a second before the expiry races a new hold made at the expiry: one wins.
    let rival = hold_of(org, &[(spots[1], &s, air)], until + Duration::hours(1));
    let (tb, th) = (tenant(&f, org), tenant(&f, org));
    let (ob, ih) = (OrderRepo::new(&tb), InventoryRepo::new(&th));
    let (booking, holding) = tokio::join!(
        ob.book(&order, moved(&order, OrderStatus::Booked), &holds, until - Duration::seconds(1)),
        ih.commit_hold(&rival, until)
    );
    assert!(booking.is_ok() != holding.is_ok(), "exactly one wins: {booking:?} {holding:?}");
    let claim = inventory.claim(&spots[1]).await.unwrap().unwrap();
    match (&booking, &claim.claim) {
        (Ok(_), Claim::Booked { order_id, .. }) => assert_eq!(*order_id, order.id),
        (Err(BookError::NotHeld(_)), Claim::Held { hold_id, .. }) => {
            assert_eq!(*hold_id, rival.id);
            let first = inventory.claim(&spots[0]).await.unwrap().unwrap();
            assert!(matches!(first.claim, Claim::Held { hold_id, .. } if hold_id == hold.id), "nothing booked");
        }
        other => panic!("a spot both ways: {other:?}"),
    }
}

/// A table on which someone else writes `item` just before the `nth` transaction: a race at
/// a chosen instant, on either adapter.
struct TakeAtTransaction {
    inner: std::sync::Arc<dyn Table>,
    seen: std::sync::atomic::AtomicUsize,
    nth: usize,
    item: podcastflow_store::Item,
}

impl TakeAtTransaction {
    fn new(inner: std::sync::Arc<dyn Table>, nth: usize, item: podcastflow_store::Item) -> Self {
        Self { inner, seen: std::sync::atomic::AtomicUsize::new(0), nth, item }
    }
}

#[async_trait::async_trait]
impl Table for TakeAtTransaction {
    async fn get(
        &self,
        key: &podcastflow_domain::keys::Key,
    ) -> Result<Option<podcastflow_store::Item>, podcastflow_store::StoreError> {
        self.inner.get(key).await
    }
    async fn put(
        &self,
        item: podcastflow_store::Item,
        c: podcastflow_store::Condition,
    ) -> Result<(), podcastflow_store::StoreError> {
        self.inner.put(item, c).await
    }
    async fn update(
        &self,
        key: &podcastflow_domain::keys::Key,
        u: podcastflow_store::Update,
        c: podcastflow_store::Condition,
    ) -> Result<podcastflow_store::Item, podcastflow_store::StoreError> {
        self.inner.update(key, u, c).await
    }
    async fn delete(
        &self,
        key: &podcastflow_domain::keys::Key,
        c: podcastflow_store::Condition,
    ) -> Result<Option<podcastflow_store::Item>, podcastflow_store::StoreError> {
        self.inner.delete(key, c).await
    }
    async fn query_stored(
        &self,
        q: &podcastflow_store::Query,
    ) -> Result<podcastflow_store::QueryOutput<podcastflow_store::StoredItem>, podcastflow_store::StoreError> {
        self.inner.query_stored(q).await
    }
    async fn transact(&self, ops: Vec<podcastflow_store::TransactOp>) -> Result<(), podcastflow_store::StoreError> {
        if self.seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == self.nth {
            self.inner.put(self.item.clone(), podcastflow_store::Condition::Always).await?;
        }
        self.inner.transact(ops).await
    }
    async fn batch_get(
        &self,
        keys: &[podcastflow_domain::keys::Key],
    ) -> Result<Vec<podcastflow_store::Item>, podcastflow_store::StoreError> {
        self.inner.batch_get(keys).await
    }
}

pub async fn an_episode_change_drops_no_sold_spot_and_cancelling_owes_the_booked_ones(f: Fixture) {
    let org = OrgId::new();
    let t = tenant(&f, org);
    let (s, air, spots) = one_episode_show(&t, "Changes", Slots { pre: 0, mid: 3, post: 0 }).await;
    let inventory = InventoryRepo::new(&t);
    let now = Utc::now();
    let until = podcastflow_domain::inventory::hold::expiry(now, 1);
    let hold = hold_of(org, &[(spots[1], &s, air), (spots[2], &s, air)], until);
    inventory.commit_hold(&hold, now).await.unwrap();
    let episodes = EpisodeRepo::new(&t);
    let e = episodes.get(&spots[0].episode_id).await.unwrap().unwrap();
    let mut next = e.clone();
    next.title = "Shorter".into();
    next.stamp = touched(&e.stamp);
    // Dropping mid-2 while it is held is refused in the same transaction as the change.
    let refused = episodes.update_dropping(&next, e.stamp.version, &[spots[2]], now).await;
    assert_eq!(refused, Err(RepoError::Conflict("spot-taken")));
    assert_eq!(episodes.get(&e.id).await.unwrap().unwrap().title, e.title, "nothing changed");
    // Once the hold has expired, the same change goes through.
    episodes.update_dropping(&next, e.stamp.version, &[spots[2]], until).await.expect("an expired hold holds nothing");

    // An order books mid-1; the episode is cancelled: its line is owed, once.
    let repo = OrderRepo::new(&t);
    let mut order = order_of(&hold);
    order.lines.truncate(1);
    let order = repo.create(order, 2027).await.unwrap();
    let holds = repo.holds_of(&hold.campaign_id).await.unwrap();
    repo.book(&order, moved(&order, OrderStatus::Booked), &holds, now).await.unwrap();
    let by = UserId::new();
    assert!(repo.flag_makegoods(&order.id, &[1], by, now).await.unwrap());
    assert!(!repo.flag_makegoods(&order.id, &[1], by, now).await.unwrap(), "a repeat changes nothing");
    let stored = repo.get(&order.id).await.unwrap().unwrap();
    assert!(stored.lines[0].needs_makegood);
    // The still-held spot goes back to nobody; the booked one stays booked.
    inventory.release_spot(&hold, &spots[2], now).await.unwrap();
    assert!(inventory.claim(&spots[2]).await.unwrap().is_none());
    let record = inventory.hold(&hold.campaign_id, &hold.id).await.unwrap().unwrap();
    assert_eq!(record.spots.iter().map(|s| s.spot).collect::<Vec<_>>(), [spots[1]], "the record lists what it holds");
    inventory.release_spot(&record, &spots[2], now).await.expect("a repeat changes nothing");
    let claims = inventory.episode_claims(&e.id).await.unwrap();
    assert_eq!(claims.len(), 1);
    assert!(matches!(claims[0].claim, Claim::Booked { .. }));
    assert_eq!(inventory.show_claims(&s.id).await.unwrap().len(), 1);
}

pub async fn host_reads_are_made_once_per_line_and_found_by_campaign_talent_episode_and_notice(f: Fixture) {
    use podcastflow_domain::ad_read::brief::Brief;
    use podcastflow_domain::ad_read::comment::Comment;
    use podcastflow_domain::ad_read::deadlines::Deadlines;
    use podcastflow_domain::ad_read::{AdRead, AdReadStatus};
    use podcastflow_store::repo::ad_reads::AdReadRepo;

    let org = OrgId::new();
    let t = tenant(&f, org);
    let repo = AdReadRepo::new(&t);
    let (campaign, order, show, talent) = (CampaignId::new(), OrderId::new(), ShowId::new(), UserId::new());
    let episodes = [EpisodeId::new(), EpisodeId::new()];
    let day = |d: u32| NaiveDate::from_ymd_opt(2027, 3, d).unwrap();
    let read = |line: u32| AdRead {
        id: AdReadId::new(),
        org_id: org,
        campaign_id: campaign,
        advertiser_id: ClientId::new(),
        order_id: order,
        line,
        spot: SpotRef { episode_id: episodes[(line % 2) as usize], position: Position::Mid, index: (line / 2) as u8 },
        show_id: show,
        air_date: day(8 + (line % 2) * 7),
        talent_id: line.is_multiple_of(2).then_some(talent),
        status: AdReadStatus::AwaitingBrief,
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
        deadlines: Deadlines::default(),
        notices: Vec::new(),
        history: Vec::new(),
        stamp: stamp(),
    };
    // More lines than one transaction takes; a repeat (new ids, same lines) makes none.
    assert_eq!(repo.create_for_lines((1..=60).map(read).collect()).await.unwrap(), 60);
    assert_eq!(repo.create_for_lines((1..=60).map(read).collect()).await.unwrap(), 0);
    assert_eq!(repo.create_for_lines((55..=61).map(read).collect()).await.unwrap(), 1, "only the new line");
    let made = repo.of_order(&order).await.unwrap();
    assert_eq!(made.len(), 61);
    assert_eq!(repo.lines_of(&order).await.unwrap().len(), 61);
    let first = repo.of_campaign(&campaign, None, 25).await.unwrap();
    assert_eq!(first.items.len(), 25);
    let rest = repo.of_campaign(&campaign, first.cursor.as_deref(), 100).await.unwrap();
    assert_eq!(rest.items.len(), 36);
    assert!(first.items.iter().all(|r| r.air_date == day(8)), "by air date");
    assert_eq!(repo.of_talent(&talent, None, 100).await.unwrap().items.len(), 30);
    let one = repo.of_episode(&show, day(15), &episodes[1]).await.unwrap();
    assert_eq!(one.len(), 31);
    assert!(one.iter().all(|r| r.spot.episode_id == episodes[1]));
    assert!(repo.of_episode(&show, day(8), &episodes[1]).await.unwrap().is_empty());

    // A read with a deadline joins the notices index at its first notice, and leaves it once told.
    let due = Utc::now() + Duration::days(2);
    let target = made[0].id;
    let set = repo
        .modify(&target, UserId::SYSTEM, Utc::now(), |r| {
            r.deadlines.review_due_at = Some(due);
            true
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(set.stamp.version, 2);
    assert!(
        repo.modify(&target, UserId::SYSTEM, Utc::now(), |_| false).await.unwrap().is_none(),
        "no change, no write"
    );
    assert!(repo.notices_due(due - Duration::days(2), None, 10).await.unwrap().items.is_empty());
    let found = repo.notices_due(due - Duration::hours(24), None, 10).await.unwrap().items;
    assert_eq!(found.iter().map(|r| r.id).collect::<Vec<_>>(), vec![target]);
    repo.modify(&target, UserId::SYSTEM, Utc::now(), |r| {
        let names: Vec<String> = r.deadlines.due_notices(&r.notices, due).iter().map(|n| n.name()).collect();
        r.notices.extend(names);
        true
    })
    .await
    .unwrap();
    assert!(repo.notices_due(due + Duration::days(1), None, 10).await.unwrap().items.is_empty());
    let mut stale = repo.get(&target).await.unwrap().unwrap();
    stale.stamp = touched(&stale.stamp);
    stale.stamp.version = 2;
    assert_eq!(repo.replace(&stale, 1).await, Err(RepoError::VersionConflict { current: 3 }));

    // One brief per scope; edits on their version.
    let brief = |show_id: Option<ShowId>| Brief {
        id: BriefId::new(),
        org_id: org,
        campaign_id: campaign,
        show_id,
        talking_points: vec!["Sleep better".into()],
        required_phrases: Vec::new(),
        forbidden_claims: Vec::new(),
        promo_code: Some("POD20".into()),
        vanity_url: None,
        call_to_action: None,
        disclosure: None,
        pronunciation_notes: None,
        min_seconds: None,
        max_seconds: None,
        attachments: Vec::new(),
        due_lead_days: 5,
        stamp: stamp(),
    };
    let wide = brief(None);
    repo.create_brief(&wide).await.unwrap();
    assert_eq!(repo.create_brief(&brief(None)).await, Err(RepoError::AlreadyExists));
    repo.create_brief(&brief(Some(show))).await.unwrap();
    assert_eq!(repo.briefs(&campaign).await.unwrap().len(), 2);
    let mut edited = wide.clone();
    edited.promo_code = Some("POD30".into());
    edited.stamp = touched(&wide.stamp);
    repo.replace_brief(&edited, 1).await.unwrap();
    assert_eq!(repo.replace_brief(&edited, 1).await, Err(RepoError::VersionConflict { current: 2 }));
    assert_eq!(repo.brief(&campaign, &wide.id).await.unwrap().unwrap().promo_code.as_deref(), Some("POD30"));
    assert!(CampaignRepo::new(&t).get_with_team(&campaign).await.unwrap().is_none(), "briefs are not a campaign");

    // Comments in the order they were written.
    let mut ids = Vec::new();
    for n in 0..3 {
        let c = Comment {
            id: CommentId::new(),
            org_id: org,
            ad_read_id: target,
            text: format!("note {n}"),
            at_seconds: None,
            internal: n != 1,
            mentions: Vec::new(),
            stamp: stamp(),
        };
        repo.create_comment(&c).await.unwrap();
        ids.push(c.id);
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let listed: Vec<CommentId> = repo.comments(&target, None, 10).await.unwrap().items.iter().map(|c| c.id).collect();
    assert_eq!(listed, ids);
    assert!(repo.comment(&target, &ids[1]).await.unwrap().is_some_and(|c| !c.internal));
    assert_eq!(repo.get(&target).await.unwrap().unwrap().id, target, "comments leave the record alone");
}

/// Rollups written to several shards (as concurrent ingest transactions write them) read as one
/// day per episode and show, and one line-day per order line.
pub async fn delivery_rollups_are_read_with_their_shards_summed(f: Fixture) {
    use podcastflow_domain::delivery::records;
    use podcastflow_domain::keys::Key;
    use podcastflow_store::repo::delivery::{DeliveryRepo, RollupChanges};
    let org = OrgId::new();
    let t = tenant(&f, org);
    let repo = DeliveryRepo::new(&t);
    let (episode, show, campaign, order) = (EpisodeId::new(), ShowId::new(), CampaignId::new(), OrderId::new());
    let (d7, d8) = (NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(), NaiveDate::from_ymd_opt(2026, 12, 8).unwrap());
    for (shard, n) in [(0, 1), (3, 2), (15, 4)] {
        let mut changes = RollupChanges::new();
        let ep = Key::new(records::episode_rollup_pk(&org, &episode), records::day_sk(d7));
        let sh = Key::new(records::show_rollup_pk(&org, &show), records::day_sk(d7));
        let line = records::line_rollup_key(&org, &campaign, d7, &order, 1);
        changes.insert(records::shard_key(&ep, shard), [("downloads".into(), n), ("ad0".into(), n)].into());
        changes.insert(records::shard_key(&sh, shard), [("downloads".into(), n)].into());
        changes.insert(records::shard_key(&line, shard), [("impressions".into(), n)].into());
        assert!(repo.apply(&[], &changes).await.unwrap());
    }
    let mut other_day = RollupChanges::new();
    let ep8 = Key::new(records::episode_rollup_pk(&org, &episode), records::day_sk(d8));
    other_day.insert(records::shard_key(&ep8, 5), [("downloads".into(), 10)].into());
    assert!(repo.apply(&[], &other_day).await.unwrap());

    let days = repo.episode_days(&episode, d7, d8).await.unwrap();
    assert_eq!(days.len(), 2, "{days:?}");
    assert_eq!((days[0].day, days[0].get("downloads"), days[0].get("ad0")), (Some(d7), 7, 7));
    assert_eq!((days[1].day, days[1].get("downloads")), (Some(d8), 10));
    let shows = repo.show_days(&show, d7, d7).await.unwrap();
    assert_eq!((shows.len(), shows[0].get("downloads")), (1, 7));
    let lines = repo.campaign_days(&campaign, d7, d8).await.unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!((lines[0].day, lines[0].order_id, lines[0].line, lines[0].impressions), (d7, order, 1, 7));
}

pub async fn webhook_endpoints_are_counted_to_twenty_listed_and_versioned(f: Fixture) {
    use podcastflow_domain::webhook::endpoint::{MAX_ENDPOINTS, StoredSecret, Subscription, WebhookEndpoint};
    use podcastflow_domain::webhook::signature::SigningSecret;

    let org = OrgId::new();
    let t = tenant(&f, org);
    let repo = WebhookRepo::new(&t);
    let make = || WebhookEndpoint {
        id: WebhookId::new(),
        org_id: org,
        url: "https://hooks.example.com/in".into(),
        description: String::new(),
        subscription: Subscription::All,
        enabled: true,
        disabled_reason: None,
        failing_since: None,
        secret: StoredSecret(SigningSecret::from_bytes(&[3u8; 32]).unwrap().shown()),
        previous_secret: None,
        stamp: stamp(),
    };
    let mut made = Vec::new();
    for _ in 0..MAX_ENDPOINTS {
        let e = make();
        repo.create(&e).await.unwrap();
        made.push(e);
    }
    assert_eq!(repo.create(&make()).await, Err(RepoError::Conflict("webhook endpoint limit")));
    let mut listed: Vec<WebhookId> = repo.list(&org).await.unwrap().into_iter().map(|e| e.id).collect();
    let mut ids: Vec<WebhookId> = made.iter().map(|e| e.id).collect();
    listed.sort();
    ids.sort();
    assert_eq!(listed, ids);
    let other = OrgId::new();
    assert!(WebhookRepo::new(&tenant(&f, other)).list(&other).await.unwrap().is_empty());

    // Versioned writes; a stale one is refused.
    let first = &made[0];
    assert_eq!(repo.get(&org, &first.id).await.unwrap().as_ref(), Some(first));
    let changed = WebhookEndpoint {
        description: "CRM".into(),
        stamp: first.stamp.touched(UserId::new(), Utc::now()),
        ..first.clone()
    };
    repo.save(&changed, 1).await.unwrap();
    assert_eq!(repo.save(&changed, 1).await, Err(RepoError::VersionConflict { current: 2 }));
    assert_eq!(repo.get(&org, &first.id).await.unwrap().map(|e| e.description), Some("CRM".into()));

    // Deleting one makes room for another; a stale delete is refused and counts nothing out.
    assert_eq!(repo.delete(&org, &first.id, 1).await, Err(RepoError::VersionConflict { current: 2 }));
    assert_eq!(repo.create(&make()).await, Err(RepoError::Conflict("webhook endpoint limit")));
    repo.delete(&org, &first.id, 2).await.unwrap();
    assert_eq!(repo.get(&org, &first.id).await.unwrap(), None);
    repo.create(&make()).await.unwrap();
    assert_eq!(repo.create(&make()).await, Err(RepoError::Conflict("webhook endpoint limit")));
    assert_eq!(repo.list(&org).await.unwrap().len(), MAX_ENDPOINTS);
}

pub async fn webhook_deliveries_are_made_once_listed_newest_first_and_found_when_due(f: Fixture) {
    use chrono::Duration;
    use podcastflow_domain::webhook::delivery::{Attempt, DeliveryStatus, WebhookDelivery};
    use podcastflow_domain::webhook::event::Envelope;

    let org = OrgId::new();
    let t = tenant(&f, org);
    let repo = WebhookRepo::new(&t);
    let (w, other_endpoint) = (WebhookId::new(), WebhookId::new());
    let t0 = Utc::now() - Duration::hours(3);
    let made: Vec<WebhookDelivery> = (0..3)
        .map(|i| {
            let at = t0 + Duration::minutes(i);
            let id = ulid::Ulid::from_parts(at.timestamp_millis() as u64, 1).to_string();
            let e = Envelope::new(&id, "campaign.created", at, org, serde_json::json!({"n": i}));
            WebhookDelivery::new(w, &e, at).unwrap()
        })
        .collect();
    for d in &made {
        assert!(repo.enqueue(d).await.unwrap());
        assert!(!repo.enqueue(d).await.unwrap(), "a record processed twice makes one delivery");
    }
    let e = Envelope::new(&ulid::Ulid::new().to_string(), "ping", Utc::now(), org, serde_json::json!({}));
    repo.enqueue(&WebhookDelivery::new(other_endpoint, &e, Utc::now()).unwrap()).await.unwrap();

    let page = repo.deliveries(&org, &w, None, None, 2).await.unwrap();
    let ids: Vec<&str> = page.items.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, [made[2].id.as_str(), made[1].id.as_str()], "newest first");
    let rest = repo.deliveries(&org, &w, None, page.cursor.as_deref(), 2).await.unwrap();
    assert_eq!((rest.items.len(), rest.items[0].id.as_str(), rest.cursor), (1, made[0].id.as_str(), None));
    let since = repo.deliveries(&org, &w, Some(t0 + Duration::minutes(1)), None, 10).await.unwrap();
    assert_eq!(since.items.len(), 2, "the events from the second on");

    // Due: the three (and the other endpoint's ping) by now; the first settled leaves the index.
    let due = repo.due(&org, Utc::now(), 10).await.unwrap();
    assert_eq!(due.len(), 4);
    assert_eq!(due[0].id, made[0].id, "soonest first");
    assert_eq!(repo.due(&org, t0 + Duration::seconds(30), 10).await.unwrap().len(), 1, "only what is due");
    let mut first = made[0].clone();
    first.record(
        Attempt { at: Utc::now(), status: Some(200), error: None, latency_ms: 3, response: "ok".into(), manual: false },
        0.0,
    );
    first.version = 2;
    repo.save_delivery(&first, 1).await.unwrap();
    assert_eq!(repo.save_delivery(&first, 1).await, Err(RepoError::VersionConflict { current: 2 }));
    let stored = repo.delivery(&org, &w, &first.id).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.attempts.len()), (DeliveryStatus::Succeeded, 1));
    assert_eq!(repo.due(&org, Utc::now(), 10).await.unwrap().len(), 3);
    let other = OrgId::new();
    assert!(WebhookRepo::new(&tenant(&f, other)).due(&other, Utc::now(), 10).await.unwrap().is_empty());
    repo.forget_delivery(&stored).await.unwrap();
    assert_eq!(repo.delivery(&org, &w, &first.id).await.unwrap(), None);
}

pub async fn fifty_concurrent_issues_take_numbers_one_to_fifty_and_no_line_is_billed_twice(f: Fixture) {
    use podcastflow_domain::billing::charge::{ChargeKind, Unit};
    use podcastflow_domain::billing::invoice::{Invoice, InvoiceLine, InvoiceStatus, LineKind, Parties};
    use podcastflow_domain::billing::period::BillingMonth;
    use podcastflow_domain::order::BillingCalendar;
    use podcastflow_domain::{Currency, Money, OrderId};
    use podcastflow_store::repo::billing::BillingRepo;

    let org = OrgId::new();
    let month = BillingMonth::new(BillingCalendar::Broadcast, 2026, 12).unwrap();
    let draft = |order: OrderId, line: u32| {
        let client = ClientId::new();
        let parties = Parties {
            order_id: order,
            order_number: "IO-2026-00001".into(),
            advertiser_id: client,
            advertiser_name: "Acme".into(),
            bill_to: client,
            bill_to_name: "Acme".into(),
        };
        let l = InvoiceLine {
            kind: LineKind::Charge(ChargeKind::Contract),
            order_line: Some(line),
            description: format!("Line {line}"),
            quantity: 1,
            unit: Unit::Spots,
            unit_price: Money::new(10_000, Currency::USD),
            amount: Money::new(10_000, Currency::USD),
        };
        Invoice::new_draft(org, parties, month, Currency::USD, vec![l], 30, stamp()).unwrap()
    };
    let order = OrderId::new();
    let t = tenant(&f, org);
    let repo = BillingRepo::new(&t);
    let mut drafts = Vec::new();
    for line in 1..=50 {
        let d = draft(order, line);
        repo.create_draft(&d).await.unwrap();
        drafts.push(d);
    }
    // The same line and month again is refused, whole; another month of it is not.
    assert_eq!(
        repo.create_draft(&draft(order, 7)).await,
        Err(RepoError::Conflict("order line already billed for the month"))
    );
    let january = BillingMonth::new(BillingCalendar::Broadcast, 2027, 1).unwrap();
    repo.create_draft(&Invoice { month: january, period: january.period().unwrap(), ..draft(order, 7) }).await.unwrap();

    let issue = |mut i: Invoice| {
        let now = Utc::now();
        i.issue(String::new(), now, now.date_naive()).unwrap();
        i.stamp = i.stamp.touched(UserId::new(), now);
        i
    };
    let mut race = tokio::task::JoinSet::new();
    for d in &drafts {
        let (t, ready) = (tenant(&f, org), issue(d.clone()));
        race.spawn(async move { BillingRepo::new(&t).issue(ready, 1, 2027).await.map(|i| i.number) });
    }
    let mut numbers: Vec<String> =
        race.join_all().await.into_iter().map(|r| r.expect("every invoice numbered").unwrap()).collect();
    numbers.sort();
    let expected: Vec<String> = (1..=50).map(|n| format!("INV-2027-{n:05}")).collect();
    assert_eq!(numbers, expected, "one each, none skipped");
    let stored = repo.get(&drafts[0].id).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.stamp.version), (InvoiceStatus::Issued, 2));
    assert!(stored.number.is_some());
    // An issue of a stale read is refused and takes no number.
    assert_eq!(
        repo.issue(issue(drafts[1].clone()), 1, 2027).await,
        Err(RepoError::Conflict("invoice changed since it was read"))
    );
    let fresh = draft(OrderId::new(), 1);
    repo.create_draft(&fresh).await.unwrap();
    let fresh = repo.issue(issue(fresh), 1, 2027).await.unwrap();
    assert_eq!(fresh.number.as_deref(), Some("INV-2027-00051"));

    // Credit notes: numbered with the invoice's balance in one transaction; two credits racing on
    // one read of the invoice: one is written, the other takes no number.
    use podcastflow_domain::billing::credit_note::{CreditNote, CreditReason};
    use podcastflow_domain::billing::invoice::AppliedCredit;
    use podcastflow_domain::{CreditNoteId, PaymentId};
    let note = |amount: i64| CreditNote {
        id: CreditNoteId::new(),
        org_id: org,
        number: String::new(),
        invoice_id: fresh.id,
        reason: CreditReason::Discount,
        description: "agreed".into(),
        amount: Money::new(amount, Currency::USD),
        at: Utc::now(),
        stamp: stamp(),
    };
    let credited = |n: &CreditNote| {
        let mut i = fresh.clone();
        let c = AppliedCredit { credit_note_id: n.id, number: String::new(), amount: n.amount, on: None };
        i.apply_credit(c, Utc::now().date_naive()).unwrap();
        i.stamp = i.stamp.touched(UserId::new(), Utc::now());
        i
    };
    let (first, second) = (note(2_500), note(1_000));
    let (i, n) = repo.credit(credited(&first), 2, first.clone(), 2027).await.unwrap();
    assert_eq!((n.number.as_str(), i.credits[0].number.as_str()), ("CN-2027-00001", "CN-2027-00001"));
    assert_eq!(
        repo.credit(credited(&second), 2, second.clone(), 2027).await,
        Err(RepoError::Conflict("invoice changed since it was read"))
    );
    assert_eq!(repo.credit_note(&second.id).await.unwrap(), None);
    let stored = repo.get(&fresh.id).await.unwrap().unwrap();
    assert_eq!((stored.balance(), stored.status), (7_500, InvoiceStatus::PartiallyPaid));
    assert_eq!(repo.credit_notes_of(&fresh.id, None, 10).await.unwrap().items, std::slice::from_ref(&n));
    // The next credit, read afresh, is number 2: the refused one left no gap.
    let mut again = stored.clone();
    let third = note(500);
    again
        .apply_credit(
            AppliedCredit { credit_note_id: third.id, number: String::new(), amount: third.amount, on: None },
            Utc::now().date_naive(),
        )
        .unwrap();
    again.stamp = again.stamp.touched(UserId::new(), Utc::now());
    assert_eq!(repo.credit(again, 3, third, 2027).await.unwrap().1.number, "CN-2027-00002");

    // A payment of the rest is a versioned save; the lists find the invoice where it now stands.
    let mut paid = repo.get(&fresh.id).await.unwrap().unwrap();
    let p = podcastflow_domain::billing::invoice::Payment {
        id: PaymentId::new(),
        amount: Money::new(paid.balance(), Currency::USD),
        date: Utc::now().date_naive(),
        method: "bank_transfer".into(),
        reference: "TX-9".into(),
        reason: None,
        by: UserId::new(),
        at: Utc::now(),
    };
    paid.record_payment(p, Utc::now().date_naive()).unwrap();
    paid.stamp = paid.stamp.touched(UserId::new(), Utc::now());
    repo.save(&paid, 4).await.unwrap();
    assert_eq!(repo.save(&paid, 4).await, Err(RepoError::VersionConflict { current: 5 }));
    let paid_ones = repo.in_status(InvoiceStatus::Paid, None, 10).await.unwrap().items;
    assert_eq!(paid_ones.iter().map(|i| i.id).collect::<Vec<_>>(), [fresh.id]);
    assert_eq!(repo.in_status(InvoiceStatus::Issued, None, 100).await.unwrap().items.len(), 50);
    assert_eq!(repo.of_client(&fresh.bill_to, None, 10).await.unwrap().items.len(), 1);
    let newest = repo.list(None, 3).await.unwrap();
    assert_eq!((newest.items.len(), newest.cursor.is_some()), (3, true));
    assert!(newest.items[0].id > newest.items[1].id, "newest first");

    // An order's invoices are found through its claims; a void gives its claims back in the
    // same write, so a corrected draft of that line and month is taken, and the void is kept.
    let of_order: Vec<_> = repo.of_order(&order).await.unwrap().into_iter().map(|i| i.id).collect();
    assert_eq!(of_order.len(), 51, "50 Decembers and one January");
    assert!(of_order.windows(2).all(|w| w[0] < w[1]), "oldest first");
    let mut voided = repo.get(&drafts[6].id).await.unwrap().unwrap();
    let read = voided.stamp.version;
    voided.void("billed the wrong month").unwrap();
    voided.stamp = voided.stamp.touched(UserId::new(), Utc::now());
    repo.void(&voided, read).await.unwrap();
    assert_eq!(repo.void(&voided, read).await, Err(RepoError::VersionConflict { current: read + 1 }));
    assert_eq!(repo.get(&voided.id).await.unwrap().unwrap().status, InvoiceStatus::Void, "kept");
    assert_eq!(repo.of_order(&order).await.unwrap().len(), 50, "no longer holds a claim");
    repo.create_draft(&draft(order, 7)).await.unwrap();

    // An invoice of more lines than one transaction takes: claimed 99 at a time, the draft with
    // the last of them. A larger one meeting it in its last chunk gives back its earlier ones.
    let big = OrderId::new();
    let of_lines = |lines: std::ops::RangeInclusive<u32>, extra: &[u32]| {
        let mut d = draft(big, 1);
        let one = d.lines[0].clone();
        d.lines =
            lines.chain(extra.iter().copied()).map(|n| InvoiceLine { order_line: Some(n), ..one.clone() }).collect();
        d
    };
    let a = of_lines(201..=350, &[]);
    repo.create_draft(&a).await.unwrap();
    assert_eq!(repo.get(&a.id).await.unwrap().unwrap().lines.len(), 150);
    let b = of_lines(1..=200, &[201]);
    assert_eq!(repo.create_draft(&b).await, Err(RepoError::Conflict("order line already billed for the month")));
    assert_eq!(repo.get(&b.id).await.unwrap(), None, "no draft without all its claims");
    repo.create_draft(&of_lines(1..=103, &[])).await.expect("the refused draft gave its claims back");
    assert_eq!(
        repo.create_draft(&of_lines(1..=600, &[])).await,
        Err(RepoError::Conflict("an invoice bills at most 500 order lines"))
    );
    // Voided, every one of its 150 claims is given back.
    let mut voided = repo.get(&a.id).await.unwrap().unwrap();
    voided.void("wrong rates").unwrap();
    voided.stamp = voided.stamp.touched(UserId::new(), Utc::now());
    repo.void(&voided, 1).await.unwrap();
    let again = of_lines(201..=350, &[]);
    repo.create_draft(&again).await.unwrap();

    // A claim left behind by a drafter that stopped half way: cleared once it is 5 minutes old;
    // a fresh one (a drafter still at work) is respected.
    let claim_of = |line: u32, age: i64| {
        let d = of_lines(line..=line, &[]);
        let key = d.claim_keys()[0].clone();
        let at = Utc::now().timestamp() - age;
        podcastflow_store::item::value_item(
            &key,
            "billingClaim",
            &serde_json::json!({"invoiceId": InvoiceId::new(), "at": at}),
        )
        .unwrap()
    };
    use podcastflow_domain::InvoiceId;
    use podcastflow_store::Table;
    t.put(claim_of(480, 600), podcastflow_store::condition::Condition::Always).await.unwrap();
    t.put(claim_of(481, 10), podcastflow_store::condition::Condition::Always).await.unwrap();
    repo.create_draft(&of_lines(480..=480, &[])).await.expect("the stale claim is cleared");
    assert_eq!(
        repo.create_draft(&of_lines(481..=481, &[])).await,
        Err(RepoError::Conflict("order line already billed for the month"))
    );
}
