//! Valid entities for the repository cases.

use chrono::{NaiveDate, Utc};
use podcastflow_domain::campaign::team::{TeamMember, TeamPermission, TeamRole};
use podcastflow_domain::campaign::{Campaign, CampaignStatus, Goals, Targeting};
use podcastflow_domain::client::{Billing, Client, ClientStatus, ClientType};
use podcastflow_domain::episode::{Episode, EpisodeStatus};
use podcastflow_domain::organization::{OrgSettings, OrgStatus, Organization};
use podcastflow_domain::show::{AdConfig, ReleaseFrequency, Show, ShowStatus};
use podcastflow_domain::user::{User, UserStatus};
use podcastflow_domain::*;

pub fn stamp() -> Stamp {
    Stamp::created(UserId::new(), Utc::now())
}

pub fn date(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

pub fn organization(slug: &str) -> Organization {
    Organization {
        id: OrgId::new(),
        name: format!("Org {slug}"),
        slug: slug.into(),
        status: OrgStatus::Active,
        plan: "pro".into(),
        settings: OrgSettings::default(),
        stamp: stamp(),
    }
}

pub fn user(org: OrgId, email: &str, role: Role) -> User {
    User {
        id: UserId::new(),
        org_id: org,
        email: email.into(),
        name: email.split('@').next().unwrap_or("user").into(),
        role,
        status: UserStatus::Active,
        client_id: (role == Role::Client).then(ClientId::new),
        timezone: "UTC".into(),
        avatar_url: None,
        stamp: stamp(),
    }
}

pub fn client(org: OrgId, name: &str, sellers: Vec<UserId>) -> Client {
    Client {
        id: ClientId::new(),
        org_id: org,
        name: name.into(),
        kind: ClientType::Advertiser,
        agency_id: None,
        industry: None,
        competitive_category: None,
        contacts: vec![],
        assigned_seller_ids: sellers,
        requires_read_approval: false,
        billing: Billing::default(),
        status: ClientStatus::Active,
        stamp: stamp(),
    }
}

pub fn campaign(org: OrgId, client: ClientId, owner: UserId, start: &str) -> Campaign {
    Campaign {
        id: CampaignId::new(),
        org_id: org,
        name: format!("Campaign from {start}"),
        client_id: Some(client),
        agency_id: None,
        owner_id: owner,
        start_date: Some(date(start)),
        end_date: Some(date(start) + chrono::Duration::days(30)),
        budget: Some(Money::new(500_000, Currency::USD)),
        goals: Goals::default(),
        targeting: Targeting::default(),
        internal_notes: Some("margin 40%".into()),
        rate_overrides: Vec::new(),
        status: CampaignStatus::Draft,
        probability: 10,
        archived: false,
        stamp: stamp(),
    }
}

pub fn member(c: &Campaign, user: UserId, role: TeamRole, perms: &[TeamPermission]) -> TeamMember {
    TeamMember {
        campaign_id: c.id,
        org_id: c.org_id,
        user_id: user,
        role,
        permissions: perms.iter().copied().collect(),
        added_at: Utc::now(),
        added_by: c.owner_id,
        updated_by: None,
        updated_at: None,
        version: 1,
    }
}

pub fn show(org: OrgId, name: &str, producers: Vec<UserId>, talent: Vec<UserId>) -> Show {
    Show {
        id: ShowId::new(),
        org_id: org,
        name: name.into(),
        description: None,
        category: Some("news".into()),
        artwork: None,
        release_frequency: ReleaseFrequency::Weekly,
        producer_ids: producers,
        talent_ids: talent,
        ad_config: AdConfig::default(),
        average_downloads: None,
        feed_hosts: vec![],
        revenue_share: None,
        status: ShowStatus::Active,
        stamp: stamp(),
    }
}

pub fn episode(s: &Show, title: &str, air: Option<&str>, talent: Vec<UserId>) -> Episode {
    Episode {
        id: EpisodeId::new(),
        org_id: s.org_id,
        show_id: s.id,
        title: title.into(),
        number: None,
        air_date: air.map(date),
        recording_date: air.map(|a| date(a) - chrono::Duration::days(3)),
        duration_seconds: Some(1800),
        talent_ids: talent,
        status: EpisodeStatus::Draft,
        published_at: None,
        enclosure_urls: vec![],
        file_size_bytes: None,
        header_bytes: None,
        ad_markers: vec![],
        stamp: stamp(),
    }
}

/// The entity after one more write by someone.
pub fn touched(s: &Stamp) -> Stamp {
    s.touched(UserId::new(), Utc::now())
}

/// The history entry of moving `c` from `from` to its current status.
pub fn history(c: &Campaign, from: CampaignStatus, by: Option<UserId>) -> podcastflow_domain::campaign::HistoryEntry {
    podcastflow_domain::campaign::HistoryEntry {
        campaign_id: c.id,
        org_id: c.org_id,
        id: ulid::Ulid::new(),
        by,
        at: Utc::now(),
        from,
        to: c.status,
        reason: None,
    }
}
