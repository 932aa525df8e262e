//! Whether a principal may read an entity, loading the relationship facts the policy needs. The
//! functions that guard an entity and those that only refer to it (activities, later live
//! updates) ask the same question through the same code.

use podcastflow_domain::campaign::Campaign;
use podcastflow_domain::campaign::team::TeamMember;
use podcastflow_domain::notification::EntityRef;
use podcastflow_domain::policy::{Action, CampaignFacts, Resource, authorize};
use podcastflow_domain::{CampaignId, ClientId, Principal, Role, ShowId, UserId};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::campaigns::CampaignRepo;
use podcastflow_store::repo::clients::ClientRepo;
use podcastflow_store::repo::episodes::EpisodeRepo;
use podcastflow_store::repo::shows::ShowRepo;
use podcastflow_store::repo::users::UserRepo;

use crate::AppContext;

/// The relationship facts of a campaign that the principal's role makes the policy look at: its
/// team always; the client's sellers for a seller; the targeted shows' producers for a producer.
pub struct CampaignRelations {
    /// The team.
    pub team: Vec<TeamMember>,
    /// Sellers assigned to the campaign's client (sellers only).
    pub client_sellers: Vec<UserId>,
    /// Producers of the targeted shows (producers only).
    pub show_producers: Vec<UserId>,
}

impl CampaignRelations {
    /// The campaign `id` and the facts `p`'s role needs, the team read with the record (one
    /// Query, plus one read for a seller or one batch read for a producer); `None` if it does
    /// not exist.
    pub async fn load_campaign(
        t: &TenantTable,
        p: &Principal,
        id: &CampaignId,
    ) -> Result<Option<(Campaign, Self)>, RepoError> {
        let Some((c, team)) = CampaignRepo::new(t).get_with_team(id).await? else { return Ok(None) };
        let rel = Self::with_team(t, &c, team, p.role == Role::Seller, p.role == Role::Producer).await?;
        Ok(Some((c, rel)))
    }

    /// Loads the team, and the client's sellers and the shows' producers when asked: what many
    /// readers of one campaign need at once (the live-update fan-out).
    pub async fn load_for(t: &TenantTable, c: &Campaign, sellers: bool, producers: bool) -> Result<Self, RepoError> {
        let team = CampaignRepo::new(t).team(&c.id).await?;
        Self::with_team(t, c, team, sellers, producers).await
    }

    async fn with_team(
        t: &TenantTable,
        c: &Campaign,
        team: Vec<TeamMember>,
        sellers: bool,
        producers: bool,
    ) -> Result<Self, RepoError> {
        let client_sellers = match (sellers, c.client_id) {
            (true, Some(client)) => {
                ClientRepo::new(t).get(&client).await?.map(|c| c.assigned_seller_ids).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        let show_producers = match producers {
            true => ShowRepo::new(t)
                .get_many(&c.targeting.show_ids)
                .await?
                .into_iter()
                .flat_map(|s| s.producer_ids)
                .collect(),
            _ => Vec::new(),
        };
        Ok(Self { team, client_sellers, show_producers })
    }

    /// The facts as the policy takes them.
    pub fn facts<'a>(&'a self, c: &Campaign) -> CampaignFacts<'a> {
        CampaignFacts {
            org: c.org_id,
            owner: c.owner_id,
            client: c.client_id,
            team: &self.team,
            client_sellers: &self.client_sellers,
            show_producers: &self.show_producers,
        }
    }
}

/// The clients whose campaigns target a show (what a client user's access to the show rests on).
pub async fn show_campaign_clients(t: &TenantTable, show: &ShowId) -> Result<Vec<ClientId>, RepoError> {
    let repo = CampaignRepo::new(t);
    let ids = repo.ids_for_show(show).await?;
    let mut clients = Vec::new();
    for chunk in ids.chunks(100) {
        clients.extend(repo.get_many(chunk).await?.into_iter().filter_map(|c| c.client_id));
    }
    Ok(clients)
}

/// Whether `p` may take `action` on the campaign, show or episode `e` of their organization,
/// loading the facts the policy needs (a missing entity, or another kind, is not permitted).
pub async fn permitted(t: &TenantTable, p: &Principal, e: &EntityRef, action: Action) -> Result<bool, RepoError> {
    let org = *t.org();
    let ok = |resource: &Resource<'_>| authorize(p, action, resource).is_ok();
    Ok(match e.kind.as_str() {
        "campaign" => match e.id.parse() {
            Ok(id) => match CampaignRelations::load_campaign(t, p, &id).await? {
                Some((c, rel)) => ok(&Resource::Campaign(rel.facts(&c))),
                None => false,
            },
            Err(_) => false,
        },
        "show" => match e.id.parse() {
            Ok(id) => match ShowRepo::new(t).get(&id).await? {
                Some(s) => {
                    let clients =
                        if p.role == Role::Client { show_campaign_clients(t, &s.id).await? } else { Vec::new() };
                    ok(&Resource::Show {
                        org,
                        producers: &s.producer_ids,
                        talent: &s.talent_ids,
                        campaign_clients: &clients,
                    })
                }
                None => false,
            },
            Err(_) => false,
        },
        "episode" => match e.id.parse() {
            Ok(id) => match EpisodeRepo::new(t).get(&id).await? {
                Some(ep) => {
                    let show = ShowRepo::new(t).get(&ep.show_id).await?;
                    let (producers, talent) =
                        show.as_ref().map_or((&[][..], &[][..]), |s| (&s.producer_ids[..], &s.talent_ids[..]));
                    ok(&Resource::Episode {
                        org,
                        show_producers: producers,
                        show_talent: talent,
                        episode_talent: &ep.talent_ids,
                    })
                }
                None => false,
            },
            Err(_) => false,
        },
        _ => false,
    })
}

/// Whether `p` may read the entity `e` of their organization (a missing entity is not readable).
pub async fn readable(ctx: &AppContext, t: &TenantTable, p: &Principal, e: &EntityRef) -> Result<bool, RepoError> {
    let org = *t.org();
    let ok = |action, resource: &Resource<'_>| authorize(p, action, resource).is_ok();
    Ok(match e.kind.as_str() {
        "campaign" => permitted(t, p, e, Action::CampaignRead).await?,
        "show" => permitted(t, p, e, Action::ShowRead).await?,
        "episode" => permitted(t, p, e, Action::EpisodeRead).await?,
        "client" => match e.id.parse() {
            Ok(id) => match ClientRepo::new(t).get(&id).await? {
                Some(c) => ok(
                    Action::ClientRead,
                    &Resource::Client { org, id: c.id, assigned_sellers: &c.assigned_seller_ids },
                ),
                None => false,
            },
            Err(_) => false,
        },
        "user" => match e.id.parse() {
            Ok(id) => match UserRepo::new(t, &ctx.cursors).get(&org, &id).await? {
                Some(u) => ok(Action::UserRead, &Resource::User { org, id: u.id, role: u.role }),
                None => false,
            },
            Err(_) => false,
        },
        "talent" => match e.id.parse() {
            Ok(talent) => ok(Action::AvailabilityRead, &Resource::Availability { org, talent }),
            Err(_) => false,
        },
        "organization" => e.id == org.to_string() && ok(Action::OrganizationRead, &Resource::Org(org)),
        "apiKey" => ok(Action::ApiKeyManage, &Resource::Org(org)),
        _ => false,
    })
}
