//! The demo organization's sample data: clients, shows with episodes around today, a talent's
//! availability, campaigns at several points of the sales pipeline with their history and teams,
//! and the live campaign's inventory: a hold, a booked insertion order and a producer's block, and
//! its host reads (`crate::demo_reads`). Written through the same repositories and state machines as the API, so every item is
//! one the API could have produced.

use chrono::{Duration, NaiveDate, Utc};
use podcastflow_domain::availability::{AvailabilityWindow, WindowKind};
use podcastflow_domain::campaign::team::{TeamMember, TeamPermission, TeamRole};
use podcastflow_domain::campaign::transitions::{Actor, check};
use podcastflow_domain::campaign::{Campaign, CampaignStatus, Goals, HistoryEntry, Position, Targeting};
use podcastflow_domain::client::{Billing, Client, ClientStatus, ClientType, Contact};
use podcastflow_domain::episode::{Episode, EpisodeStatus};
use podcastflow_domain::inventory::avails::spot_price;
use podcastflow_domain::inventory::hold::{self, HeldSpot, Hold, HoldStatus};
use podcastflow_domain::inventory::spot::{Claim, SpotClaim, SpotRef};
use podcastflow_domain::order::{
    AdType, BillingCalendar, BillingMode, DEFAULT_PAYMENT_TERMS_DAYS, Order, OrderHistoryEntry, OrderLine, OrderStatus,
    Rate, number_year,
};
use podcastflow_domain::show::{AdConfig, PositionPrices, ReleaseFrequency, Show, ShowStatus, Slots};
use podcastflow_domain::{
    CampaignId, ClientId, Currency, EpisodeId, HoldId, Money, OrderId, OrgId, Role, ShowId, Stamp, UserId, WindowId,
};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::availability::AvailabilityRepo;
use podcastflow_store::repo::campaigns::CampaignRepo;
use podcastflow_store::repo::clients::ClientRepo;
use podcastflow_store::repo::episodes::EpisodeRepo;
use podcastflow_store::repo::inventory::{HoldCommitError, InventoryRepo};
use podcastflow_store::repo::orders::{BookError, OrderRepo};
use podcastflow_store::repo::shows::ShowRepo;

/// The demo users by role.
pub struct DemoPeople {
    /// The admin.
    pub admin: UserId,
    /// The seller.
    pub seller: UserId,
    /// The producer.
    pub producer: UserId,
    /// The talent.
    pub talent: UserId,
    /// The client user.
    pub client_user: UserId,
}

fn usd(dollars: i64) -> Money {
    Money::new(dollars * 100, Currency::USD)
}

fn client(org: OrgId, id: ClientId, name: &str, kind: ClientType, seller: UserId, by: UserId) -> Client {
    Client {
        id,
        org_id: org,
        name: name.into(),
        kind,
        agency_id: None,
        industry: None,
        competitive_category: None,
        contacts: Vec::new(),
        assigned_seller_ids: vec![seller],
        requires_read_approval: false,
        billing: Billing::default(),
        status: ClientStatus::Active,
        stamp: Stamp::created(by, Utc::now()),
    }
}

fn show(org: OrgId, name: &str, category: &str, frequency: ReleaseFrequency, people: &DemoPeople) -> Show {
    Show {
        id: ShowId::new(),
        org_id: org,
        name: name.into(),
        description: None,
        category: Some(category.into()),
        artwork: None,
        release_frequency: frequency,
        producer_ids: vec![people.producer],
        talent_ids: vec![people.talent],
        ad_config: AdConfig::default(),
        average_downloads: None,
        feed_hosts: vec![],
        revenue_share: None,
        status: ShowStatus::Active,
        stamp: Stamp::created(people.admin, Utc::now()),
    }
}

/// A campaign walked from draft along `path`, each step checked by the state machine and recorded
/// in its history, with `team` beside its owner.
struct CampaignPlan<'a> {
    name: &'a str,
    client: ClientId,
    start: NaiveDate,
    days: i64,
    budget: Option<Money>,
    shows: Vec<ShowId>,
    path: &'a [(CampaignStatus, Option<&'a str>)],
    team: Vec<(UserId, TeamRole, &'a [TeamPermission])>,
    notes: Option<&'a str>,
}

async fn campaign(t: &TenantTable, people: &DemoPeople, plan: CampaignPlan<'_>) -> Result<Campaign, RepoError> {
    let now = Utc::now();
    let mut c = Campaign {
        id: CampaignId::new(),
        org_id: *t.org(),
        name: plan.name.into(),
        client_id: Some(plan.client),
        agency_id: None,
        owner_id: people.seller,
        start_date: Some(plan.start),
        end_date: Some(plan.start + Duration::days(plan.days)),
        budget: plan.budget,
        goals: Goals { impressions: plan.budget.map(|b| u64::try_from(b.amount).unwrap_or(0) / 5) },
        targeting: Targeting { show_ids: plan.shows, positions: vec![Position::Pre, Position::Mid], notes: None },
        internal_notes: plan.notes.map(str::to_owned),
        rate_overrides: Vec::new(),
        status: CampaignStatus::Draft,
        probability: CampaignStatus::Draft.probability(),
        archived: false,
        stamp: Stamp::created(people.seller, now),
    };
    let repo = CampaignRepo::new(t);
    let owner = TeamMember {
        campaign_id: c.id,
        org_id: c.org_id,
        user_id: people.seller,
        role: TeamRole::Owner,
        permissions: TeamPermission::ALL.into_iter().collect(),
        added_at: now,
        added_by: people.seller,
        updated_by: None,
        updated_at: None,
        version: 1,
    };
    repo.create(&c, &owner).await?;
    for (user, role, permissions) in plan.team {
        let m = TeamMember { user_id: user, role, permissions: permissions.iter().copied().collect(), ..owner.clone() };
        repo.add_member(&c, &m).await?;
    }
    for (to, reason) in plan.path {
        let by = if matches!(to, CampaignStatus::Won) { people.admin } else { people.seller };
        let role = if by == people.admin { Role::Admin } else { Role::Seller };
        if check(c.status, *to, Actor::User(role), &c.guard_facts(), *reason, now.date_naive()).is_err() {
            return Err(RepoError::Conflict("a demo campaign step is not a transition"));
        }
        let mut next = c.clone();
        next.status = *to;
        next.probability = to.probability();
        next.stamp = c.stamp.touched(by, Utc::now());
        let entry = HistoryEntry {
            campaign_id: c.id,
            org_id: c.org_id,
            id: ulid::Ulid::new(),
            by: Some(by),
            at: next.stamp.updated_at,
            from: c.status,
            to: *to,
            reason: reason.map(str::to_owned),
        };
        repo.transition(&next, c.stamp.version, &entry).await?;
        c = next;
    }
    Ok(c)
}

/// A sample episode: its show, number, title, status, recording and air dates.
type EpisodePlan<'a> = (&'a Show, u32, &'a str, EpisodeStatus, Option<NaiveDate>, Option<NaiveDate>);

/// Writes the sample data of the demo organization.
/// Writes the demo organization's data; answers the files it refers to (the host reads'
/// recordings), to be put in the media bucket once S3 serves.
pub async fn write(
    t: &TenantTable,
    people: &DemoPeople,
    fizzy: ClientId,
) -> Result<Vec<crate::demo_reads::DemoFile>, RepoError> {
    let org = *t.org();
    let today = Utc::now().date_naive();
    let clients = ClientRepo::new(t);
    let mut fizzy_client = client(org, fizzy, "Fizzy Cola", ClientType::Advertiser, people.seller, people.admin);
    fizzy_client.industry = Some("beverages".into());
    fizzy_client.competitive_category = Some("soft drinks".into());
    fizzy_client.contacts =
        vec![Contact { name: "Mia Buyer".into(), email: Some("mia@fizzy.example".into()), phone: None }];
    let agency = client(org, ClientId::new(), "Northwind Media", ClientType::Agency, people.seller, people.admin);
    let mut trailhead =
        client(org, ClientId::new(), "Trailhead Outfitters", ClientType::Advertiser, people.seller, people.admin);
    trailhead.agency_id = Some(agency.id);
    trailhead.industry = Some("outdoor retail".into());
    for c in [&fizzy_client, &agency, &trailhead] {
        clients.create(c).await?;
    }

    let mut brew = show(org, "Morning Brew", "news", ReleaseFrequency::Daily, people);
    brew.description = Some("Coffee and the day's headlines in twenty minutes.".into());
    brew.ad_config = AdConfig {
        slots: None,
        cpm: PositionPrices { pre: Some(usd(25)), mid: Some(usd(30)), post: Some(usd(15)) },
        flat_spot_price: Some(usd(400)),
    };
    let mut run = show(org, "The Long Run", "sports", ReleaseFrequency::Weekly, people);
    run.ad_config.slots = Some(Slots { pre: 1, mid: 2, post: 1 });
    let mut cuts = show(org, "Deep Cuts", "music", ReleaseFrequency::Monthly, people);
    cuts.talent_ids.clear();
    let shows = ShowRepo::new(t);
    for s in [&brew, &run, &cuts] {
        shows.create(s).await?;
    }

    let episodes = EpisodeRepo::new(t);
    let day = |d: i64| Some(today + Duration::days(d));
    let plan: [EpisodePlan<'_>; 6] = [
        (&brew, 41, "Markets open higher", EpisodeStatus::Published, day(-8), day(-7)),
        (&brew, 42, "The coffee supply chain", EpisodeStatus::Editing, day(-2), day(2)),
        (&brew, 43, "Election week", EpisodeStatus::Scheduled, day(1), day(3)),
        (&brew, 44, "Untitled", EpisodeStatus::Draft, None, None),
        (&run, 12, "Marathon season", EpisodeStatus::Scheduled, day(6), day(10)),
        (&run, 13, "Trail running 101", EpisodeStatus::Draft, day(13), day(17)),
    ];
    let mut made = Vec::new();
    for (s, number, title, status, recording, air) in plan {
        let now = Utc::now();
        let e = Episode {
            id: EpisodeId::new(),
            org_id: org,
            show_id: s.id,
            title: title.into(),
            number: Some(number),
            air_date: air,
            recording_date: recording,
            duration_seconds: Some(if s.id == brew.id { 1200 } else { 3300 }),
            talent_ids: if status == EpisodeStatus::Draft { Vec::new() } else { vec![people.talent] },
            status,
            published_at: air
                .filter(|_| status == EpisodeStatus::Published)
                .and_then(|d| d.and_hms_opt(6, 0, 0))
                .map(|t| t.and_utc()),
            enclosure_urls: vec![],
            file_size_bytes: None,
            header_bytes: None,
            ad_markers: vec![],
            stamp: Stamp::created(people.producer, now),
        };
        episodes.create(&e).await?;
        made.push(e);
    }

    let vacation = today + Duration::days(20);
    let window = AvailabilityWindow {
        id: WindowId::new(),
        org_id: org,
        talent_id: people.talent,
        from: vacation.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_else(Utc::now),
        to: (vacation + Duration::days(7)).and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_else(Utc::now),
        kind: WindowKind::Unavailable,
        note: Some("Vacation".into()),
        version: 1,
    };
    AvailabilityRepo::new(t).replace(&people.talent, &[window], 0).await?;

    use CampaignStatus as S;
    let to_live: &[(CampaignStatus, Option<&str>)] =
        &[(S::Proposal, None), (S::Negotiation, None), (S::PendingApproval, None), (S::Won, None), (S::Live, None)];
    let editor: &[TeamPermission] = &[TeamPermission::View, TeamPermission::Edit];
    let viewer: &[TeamPermission] = &[TeamPermission::View];
    let plans = [
        CampaignPlan {
            name: "Fizzy Summer Refresh",
            client: fizzy,
            start: today - Duration::days(14),
            days: 44,
            budget: Some(usd(48_000)),
            shows: vec![brew.id, run.id],
            path: to_live,
            team: vec![
                (people.producer, TeamRole::Producer, editor),
                (people.talent, TeamRole::Talent, viewer),
                (people.client_user, TeamRole::ClientContact, viewer),
            ],
            notes: Some("Renewal likely if completion rate stays above 80%."),
        },
        CampaignPlan {
            name: "Fizzy Holiday Sparkle",
            client: fizzy,
            start: today + Duration::days(40),
            days: 30,
            budget: Some(usd(65_000)),
            shows: vec![brew.id],
            path: &[(S::Proposal, None), (S::Negotiation, None)],
            team: vec![(people.producer, TeamRole::Producer, viewer)],
            notes: Some("Asked for a 10% discount on mid-rolls."),
        },
        CampaignPlan {
            name: "Trailhead Spring Trails",
            client: trailhead.id,
            start: today + Duration::days(90),
            days: 60,
            budget: Some(usd(30_000)),
            shows: vec![run.id],
            path: &[(S::Proposal, None)],
            team: Vec::new(),
            notes: None,
        },
        CampaignPlan {
            name: "Fizzy Q1 test",
            client: fizzy,
            start: today + Duration::days(120),
            days: 14,
            budget: None,
            shows: Vec::new(),
            path: &[],
            team: Vec::new(),
            notes: Some("Waiting on a budget."),
        },
        CampaignPlan {
            name: "Trailhead Winter Gear",
            client: trailhead.id,
            start: today - Duration::days(60),
            days: 30,
            budget: Some(usd(12_000)),
            shows: vec![cuts.id],
            path: &[(S::Proposal, None), (S::Lost, Some("Budget moved to paid social"))],
            team: Vec::new(),
            notes: None,
        },
    ];
    let mut campaigns = Vec::new();
    for plan in plans {
        campaigns.push(campaign(t, people, plan).await?);
    }
    let order = inventory(t, people, &campaigns[0], &made, &[&brew, &run]).await?;
    let tz: podcastflow_domain::ad_read::deadlines::Tz = "America/New_York".parse().unwrap_or_default();
    crate::demo_reads::write(t, people, &campaigns[0], &order, tz).await
}

/// The live campaign's inventory: episode 43's pre-roll and mid-roll held, episode 42's and
/// Marathon season's mid-rolls booked by an approved insertion order, and Marathon season's
/// post-roll blocked by its producer.
async fn inventory(
    t: &TenantTable,
    people: &DemoPeople,
    summer: &Campaign,
    episodes: &[Episode],
    shows: &[&Show],
) -> Result<OrderId, RepoError> {
    let now = Utc::now();
    let Some(advertiser) = summer.client_id else { return Err(RepoError::Conflict("the demo campaign has no client")) };
    let spot = |n: usize, position: Position| -> Option<HeldSpot> {
        let e = episodes.get(n)?;
        let show = shows.iter().find(|s| s.id == e.show_id)?;
        Some(HeldSpot {
            spot: SpotRef { episode_id: e.id, position, index: 0 },
            show_id: e.show_id,
            air_date: e.air_date?,
            price: spot_price(&show.ad_config, &summer.rate_overrides, show.id, position),
        })
    };
    let hold_of = |spots: Vec<HeldSpot>| Hold {
        id: HoldId::new(),
        org_id: summer.org_id,
        campaign_id: summer.id,
        advertiser_id: advertiser,
        spots,
        expires_at: hold::expiry(now, hold::DEFAULT_HOLD_HOURS),
        extensions: 0,
        status: HoldStatus::Active,
        override_reason: None,
        separation: None,
        expiry_notice_for: None,
        makegood_for: None,
        stamp: Stamp::created(people.seller, now),
    };
    let repo = &InventoryRepo::new(t);
    let commit = |h: Hold| async move {
        match repo.commit_hold(&h, now).await {
            Ok(()) => Ok(h),
            Err(HoldCommitError::Repo(e)) => Err(e),
            Err(_) => Err(RepoError::Conflict("a demo spot is taken")),
        }
    };
    commit(hold_of([spot(2, Position::Pre), spot(2, Position::Mid)].into_iter().flatten().collect())).await?;
    let sold =
        commit(hold_of([spot(1, Position::Mid), spot(4, Position::Mid)].into_iter().flatten().collect())).await?;
    let lines: Vec<OrderLine> = sold
        .spots
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let rate = Rate::of_price(&s.price).unwrap_or(Rate::Flat(usd(300)));
            OrderLine::of_held(i as u32 + 1, sold.id, s, AdType::HostRead, rate, None)
        })
        .collect();
    let order = Order {
        id: OrderId::new(),
        org_id: summer.org_id,
        number: String::new(),
        campaign_id: summer.id,
        advertiser_id: advertiser,
        status: OrderStatus::Draft,
        currency: Currency::USD,
        lines,
        billing_mode: BillingMode::Contract,
        billing_calendar: BillingCalendar::Broadcast,
        payment_terms_days: DEFAULT_PAYMENT_TERMS_DAYS,
        external_order_number: Some("FZ-PO-2231".into()),
        internal_notes: Some("Mid-rolls at rate card; host reads.".into()),
        history: Vec::new(),
        stamp: Stamp::created(people.seller, now),
    };
    let orders = OrderRepo::new(t);
    let mut order = orders.create(order, number_year(now)).await?;
    // Submitted by the seller, approved by the admin, then booked: each move in the history.
    for (to, by) in [(OrderStatus::PendingApproval, people.seller), (OrderStatus::Approved, people.admin)] {
        let mut next = order.clone();
        next.history.push(OrderHistoryEntry { by, at: now, from: order.status, to, reason: None });
        next.status = to;
        next.stamp = order.stamp.touched(by, now);
        orders.replace(&next, order.stamp.version).await?;
        order = next;
    }
    let mut booked = order.clone();
    booked.history.push(OrderHistoryEntry {
        by: people.seller,
        at: now,
        from: order.status,
        to: OrderStatus::Booked,
        reason: None,
    });
    booked.status = OrderStatus::Booked;
    booked.stamp = order.stamp.touched(people.seller, now);
    let holds = orders.holds_of(&summer.id).await?;
    match orders.book(&order, booked, &holds, now).await {
        Ok(_) => {}
        Err(BookError::Repo(e)) => return Err(e),
        Err(BookError::NotHeld(_)) => return Err(RepoError::Conflict("a demo spot is not held")),
    }
    if let Some(marathon) = episodes.get(4).filter(|e| e.air_date.is_some()) {
        let blocked = SpotClaim {
            org_id: summer.org_id,
            show_id: marathon.show_id,
            air_date: marathon.air_date.unwrap_or_default(),
            spot: SpotRef { episode_id: marathon.id, position: Position::Post, index: 0 },
            claim: Claim::Blocked { reason: "A sponsor-free segment closes this episode".into(), by: people.producer },
            at: now,
        };
        if let Err(there) = repo.block(&blocked, now).await? {
            tracing::warn!(spot = ?there.spot, "the demo block found its spot taken");
        }
    }
    Ok(order.id)
}
