//! An organization of a given size written through the repositories, for measuring what requests
//! cost as an organization grows (issue 28): [`Size::LARGE`] is 100 times [`Size::DEMO`] (2,000
//! clients, 20,000 campaigns with history and teams, 500 shows, 50,000 episodes, 200,000 activity
//! entries, 50 sellers owning 400 campaigns each). Every id and timestamp comes from the seed, so
//! two runs with one seed write the same keys.
//!
//! Who relates to what (each relation spreads evenly, so every seller, producer and talent has the
//! same share):
//! - client `i` is assigned to seller `i % sellers`; campaign `j` is client `j % clients`'s and
//!   owned by that client's seller;
//! - campaign `j` targets show `j % shows`; every third campaign has talent `j % talent` on its
//!   team; its status is draft, proposal, negotiation or won in turn, with the history to get there;
//! - show `k` is produced by producer `k % producers` and hosted by talent `k % talent`; its
//!   episodes air weekly;
//! - activity entry `a` is about campaign `a % campaigns`, by its owner.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use futures::{StreamExt, TryStreamExt};
use podcastflow_domain::activity::Activity;
use podcastflow_domain::campaign::team::{TeamMember, TeamPermission, TeamRole};
use podcastflow_domain::campaign::{Campaign, CampaignStatus, Goals, HistoryEntry, Targeting};
use podcastflow_domain::client::{Billing, Client, ClientStatus, ClientType};
use podcastflow_domain::episode::{Episode, EpisodeStatus};
use podcastflow_domain::notification::EntityRef;
use podcastflow_domain::organization::{OrgSettings, OrgStatus, Organization};
use podcastflow_domain::show::{AdConfig, ReleaseFrequency, Show, ShowStatus};
use podcastflow_domain::user::{User, UserStatus};
use podcastflow_domain::visibility::EntityKind;
use podcastflow_domain::{
    ActivityId, CampaignId, ClientId, Currency, EpisodeId, Money, OrgId, Role, ShowId, Stamp, UserId,
};
use podcastflow_store::cursor::CursorCodec;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::activities::ActivityRepo;
use podcastflow_store::repo::campaigns::CampaignRepo;
use podcastflow_store::repo::clients::ClientRepo;
use podcastflow_store::repo::episodes::EpisodeRepo;
use podcastflow_store::repo::organizations::OrganizationRepo;
use podcastflow_store::repo::shows::ShowRepo;
use podcastflow_store::repo::users::UserRepo;
use podcastflow_store::{Table, TenantTable};

/// Writes in flight at once (the embedded table groups them into shared commits).
const IN_FLIGHT: usize = 64;

/// How much of everything an organization holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Sellers (each owns `campaigns / sellers` campaigns).
    pub sellers: usize,
    /// Producers.
    pub producers: usize,
    /// Talent.
    pub talent: usize,
    /// Clients (a multiple of `sellers`).
    pub clients: usize,
    /// Campaigns.
    pub campaigns: usize,
    /// Shows.
    pub shows: usize,
    /// Episodes (a multiple of `shows`).
    pub episodes: usize,
    /// Activity entries.
    pub activities: usize,
}

impl Size {
    /// The demo organization's order of size.
    pub const DEMO: Size = Size {
        sellers: 5,
        producers: 2,
        talent: 4,
        clients: 20,
        campaigns: 200,
        shows: 5,
        episodes: 500,
        activities: 2_000,
    };
    /// A network with years of data: 100 times the demo.
    pub const LARGE: Size = Size {
        sellers: 50,
        producers: 25,
        talent: 100,
        clients: 2_000,
        campaigns: 20_000,
        shows: 500,
        episodes: 50_000,
        activities: 200_000,
    };
}

/// The people and records of a generated organization that requests name.
#[derive(Debug, Clone)]
pub struct LargeOrg {
    /// Its id.
    pub org: OrgId,
    /// Its admin.
    pub admin: UserId,
    /// Its sellers, in order.
    pub sellers: Vec<UserId>,
    /// Its producers.
    pub producers: Vec<UserId>,
    /// Its talent.
    pub talent: Vec<UserId>,
    /// A client user of the first client.
    pub client_user: UserId,
    /// Its clients, in order.
    pub clients: Vec<ClientId>,
    /// Its campaigns, in order.
    pub campaigns: Vec<CampaignId>,
    /// Its shows, in order.
    pub shows: Vec<ShowId>,
    /// The first episode of each show.
    pub first_episodes: Vec<EpisodeId>,
}

/// SplitMix64: a few lines of well-known arithmetic, enough to make ids repeatable.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A ULID at `at` with seeded randomness.
    fn ulid(&mut self, at: DateTime<Utc>) -> ulid::Ulid {
        let random = (u128::from(self.next()) << 64) | u128::from(self.next());
        ulid::Ulid::from_parts(u64::try_from(at.timestamp_millis()).unwrap_or(0), random)
    }
}

/// When the generated organization's history begins.
fn epoch() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-01-06T09:00:00Z").map(|d| d.with_timezone(&Utc)).unwrap_or_default()
}

fn day(n: usize) -> NaiveDate {
    epoch().date_naive() + Duration::days(n as i64)
}

fn user(org: OrgId, id: UserId, role: Role, n: usize, client: Option<ClientId>, at: DateTime<Utc>) -> User {
    let name = format!("{role:?} {n}").to_lowercase().replace(' ', "-");
    User {
        id,
        org_id: org,
        email: format!("{name}.{}@example.com", org.to_string().to_lowercase()),
        name,
        role,
        status: UserStatus::Active,
        client_id: client,
        timezone: "UTC".into(),
        avatar_url: None,
        stamp: Stamp::created(id, at),
    }
}

/// The statuses a campaign passes through to reach its own, in order.
fn path_to(j: usize) -> &'static [CampaignStatus] {
    use CampaignStatus::*;
    match j % 4 {
        0 => &[],
        1 => &[Proposal],
        2 => &[Proposal, Negotiation],
        _ => &[Proposal, Negotiation, PendingApproval, Won],
    }
}

/// Runs `write` for every item, [`IN_FLIGHT`] at a time.
async fn each<T, F, Fut>(items: Vec<T>, write: F) -> Result<(), RepoError>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = Result<(), RepoError>>,
{
    futures::stream::iter(items.into_iter().map(write)).buffer_unordered(IN_FLIGHT).try_collect::<()>().await
}

/// Writes an organization of `size` to `table`, its ids drawn from `seed`.
pub async fn generate(table: Arc<dyn Table>, size: Size, seed: u64) -> Result<LargeOrg, RepoError> {
    let mut rng = Seeded(seed);
    let at = epoch();
    let cursors = CursorCodec::new(b"large organization".to_vec());
    let org = OrgId::from(rng.ulid(at));
    let admin = UserId::from(rng.ulid(at));
    let mut people = |n: usize| (0..n).map(|_| UserId::from(rng.ulid(at))).collect::<Vec<_>>();
    let (sellers, producers, talent) = (people(size.sellers), people(size.producers), people(size.talent));
    let client_user = UserId::from(rng.ulid(at));
    let organization = Organization {
        id: org,
        name: "Large Network".into(),
        slug: format!("large-{}", org.to_string().to_lowercase()),
        status: OrgStatus::Active,
        plan: "enterprise".into(),
        settings: OrgSettings::default(),
        stamp: Stamp::created(admin, at),
    };
    OrganizationRepo::new(table.as_ref(), &cursors)
        .create_with_admin(&organization, &user(org, admin, Role::Admin, 0, None, at))
        .await?;
    let clients: Vec<Client> = (0..size.clients)
        .map(|i| {
            let created = at + Duration::seconds(i as i64);
            Client {
                id: ClientId::from(rng.ulid(created)),
                org_id: org,
                name: format!("Advertiser {i:04}"),
                kind: ClientType::Advertiser,
                agency_id: None,
                industry: None,
                competitive_category: None,
                contacts: Vec::new(),
                assigned_seller_ids: vec![sellers[i % size.sellers]],
                requires_read_approval: false,
                billing: Billing::default(),
                status: ClientStatus::Active,
                stamp: Stamp::created(admin, created),
            }
        })
        .collect();
    let mut users: Vec<User> = Vec::new();
    for (role, ids) in [(Role::Seller, &sellers), (Role::Producer, &producers), (Role::Talent, &talent)] {
        users.extend(ids.iter().enumerate().map(|(n, id)| user(org, *id, role, n, None, at)));
    }
    users.push(user(org, client_user, Role::Client, 0, Some(clients[0].id), at));
    let repo = UserRepo::new(table.as_ref(), &cursors);
    each(users, |u| {
        let repo = &repo;
        async move { repo.create(&u).await }
    })
    .await?;
    let t = TenantTable::new(table.clone(), org, cursors.clone());
    each(clients.clone(), |c| {
        let t = &t;
        async move { ClientRepo::new(t).create(&c).await }
    })
    .await?;

    let per_show = size.episodes / size.shows.max(1);
    let shows: Vec<Show> = (0..size.shows)
        .map(|k| Show {
            id: ShowId::from(rng.ulid(at)),
            org_id: org,
            name: format!("Show {k:03}"),
            description: None,
            category: Some(["news", "comedy", "business", "sports"][k % 4].into()),
            artwork: None,
            release_frequency: ReleaseFrequency::Weekly,
            producer_ids: vec![producers[k % size.producers]],
            talent_ids: vec![talent[k % size.talent]],
            ad_config: AdConfig::default(),
            average_downloads: Some(10_000 + 100 * k as u64),
            feed_hosts: Vec::new(),
            revenue_share: None,
            status: ShowStatus::Active,
            stamp: Stamp::created(admin, at),
        })
        .collect();
    each(shows.clone(), |s| {
        let t = &t;
        async move { ShowRepo::new(t).create(&s).await }
    })
    .await?;
    let mut first_episodes = Vec::new();
    let mut episodes = Vec::with_capacity(size.episodes);
    for s in &shows {
        for w in 0..per_show {
            let air = day(7 * w);
            let e = Episode {
                id: EpisodeId::from(rng.ulid(at + Duration::days(7 * w as i64))),
                org_id: org,
                show_id: s.id,
                title: format!("{} #{w}", s.name),
                number: Some(w as u32 + 1),
                air_date: Some(air),
                recording_date: Some(air - Duration::days(3)),
                duration_seconds: Some(1_800),
                talent_ids: s.talent_ids.clone(),
                status: if air < day(700) { EpisodeStatus::Published } else { EpisodeStatus::Scheduled },
                published_at: None,
                enclosure_urls: Vec::new(),
                file_size_bytes: None,
                header_bytes: None,
                ad_markers: Vec::new(),
                stamp: Stamp::created(s.producer_ids[0], at),
            };
            if w == 0 {
                first_episodes.push(e.id);
            }
            episodes.push(e);
        }
    }
    each(episodes, |e| {
        let t = &t;
        async move { EpisodeRepo::new(t).create(&e).await }
    })
    .await?;

    let mut campaigns = Vec::with_capacity(size.campaigns);
    let mut writes = Vec::with_capacity(size.campaigns);
    for j in 0..size.campaigns {
        let client = &clients[j % size.clients];
        let owner = client.assigned_seller_ids[0];
        let created = at + Duration::minutes(j as i64);
        let start = day(j % 730);
        let c = Campaign {
            id: CampaignId::from(rng.ulid(created)),
            org_id: org,
            name: format!("{} campaign {j}", client.name),
            client_id: Some(client.id),
            agency_id: None,
            owner_id: owner,
            start_date: Some(start),
            end_date: Some(start + Duration::days(60)),
            budget: Some(Money::new(1_000_000 + 1_000 * j as i64, Currency::USD)),
            goals: Goals::default(),
            targeting: Targeting { show_ids: vec![shows[j % size.shows].id], ..Targeting::default() },
            internal_notes: None,
            rate_overrides: Vec::new(),
            status: CampaignStatus::Draft,
            probability: 10,
            archived: false,
            stamp: Stamp::created(owner, created),
        };
        let member = |user: UserId, role: TeamRole, permissions: &[TeamPermission]| TeamMember {
            campaign_id: c.id,
            org_id: org,
            user_id: user,
            role,
            permissions: permissions.iter().copied().collect(),
            added_at: created,
            added_by: owner,
            updated_by: None,
            updated_at: None,
            version: 1,
        };
        let owner_member = member(owner, TeamRole::Owner, &TeamPermission::ALL);
        let host = (j % 3 == 0).then(|| member(talent[j % size.talent], TeamRole::Talent, &[TeamPermission::View]));
        let steps: Vec<ulid::Ulid> = path_to(j).iter().map(|_| rng.ulid(created)).collect();
        campaigns.push(c.id);
        writes.push((j, c, owner_member, host, steps));
    }
    each(writes, |(j, c, owner, host, steps)| {
        let t = &t;
        async move {
            let repo = CampaignRepo::new(t);
            repo.create(&c, &owner).await?;
            if let Some(m) = host {
                repo.add_member(&c, &m).await?;
            }
            let mut current = c;
            for (n, (to, id)) in path_to(j).iter().zip(steps).enumerate() {
                let at = current.stamp.updated_at + Duration::hours(n as i64 + 1);
                let mut next = current.clone();
                next.status = *to;
                next.stamp = current.stamp.touched(current.owner_id, at);
                let entry = HistoryEntry {
                    campaign_id: next.id,
                    org_id: next.org_id,
                    id,
                    by: Some(current.owner_id),
                    at,
                    from: current.status,
                    to: *to,
                    reason: None,
                };
                repo.transition(&next, current.stamp.version, &entry).await?;
                current = next;
            }
            Ok(())
        }
    })
    .await?;

    let entries: Vec<Activity> = (0..size.activities)
        .map(|a| {
            let j = a % size.campaigns.max(1);
            let when = at + Duration::seconds(a as i64);
            Activity {
                id: ActivityId::from(rng.ulid(when)),
                org_id: org,
                actor_id: Some(sellers[(j % size.clients) % size.sellers]),
                action: "campaign.updated".into(),
                entity: EntityRef { kind: EntityKind::Campaign, id: campaigns[j].to_string() },
                changes: Default::default(),
                request_id: None,
                at: when,
                expires_at: Activity::expiry(Utc::now()),
            }
        })
        .collect();
    each(entries, |a| {
        let t = &t;
        async move { ActivityRepo::new(t).record(&a).await.map(|_| ()) }
    })
    .await?;

    Ok(LargeOrg {
        org,
        admin,
        sellers,
        producers,
        talent,
        client_user,
        clients: clients.iter().map(|c| c.id).collect(),
        campaigns,
        shows: shows.iter().map(|s| s.id).collect(),
        first_episodes,
    })
}
