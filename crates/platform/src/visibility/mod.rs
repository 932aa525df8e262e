//! The one loader of the relationship facts the policy looks at, per kind of entity, and the
//! questions every exit asks with them: may this reader take this action ([`Facts::permits`]),
//! and what do they see of it ([`Facts::lens`]). The functions that guard an entity (campaigns,
//! shows, episodes, clients) and those that only refer to it (activities, media, live updates,
//! subscriptions) load and judge through this module, so they cannot disagree.

mod page;

pub use page::{facts_of_page, lenses_of_page};

use podcastflow_domain::ad_read::AdRead;
use podcastflow_domain::billing::invoice::Invoice;
use podcastflow_domain::campaign::Campaign;
use podcastflow_domain::campaign::team::TeamMember;
use podcastflow_domain::client::Client;
use podcastflow_domain::episode::Episode;
use podcastflow_domain::notification::EntityRef;
use podcastflow_domain::order::Order;
use podcastflow_domain::permissions::{Action, CampaignFacts, Denial, Resource, View, authorize};
use podcastflow_domain::show::Show;
use podcastflow_domain::user::User;
use podcastflow_domain::visibility::{EntityKind, Lens};
use podcastflow_domain::{ClientId, OrgId, Principal, Role, ShowId, UserId};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::ad_reads::AdReadRepo;
use podcastflow_store::repo::billing::BillingRepo;
use podcastflow_store::repo::campaigns::CampaignRepo;
use podcastflow_store::repo::clients::ClientRepo;
use podcastflow_store::repo::episodes::EpisodeRepo;
use podcastflow_store::repo::orders::OrderRepo;
use podcastflow_store::repo::shows::ShowRepo;
use podcastflow_store::repo::users::UserRepo;

/// Which role-dependent facts to load: those of the roles about to be judged (one reader's, or
/// every subscriber's of a live update). Facts no role needs cost no read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// A campaign's client's assigned sellers (sellers).
    pub client_sellers: bool,
    /// A campaign's targeted shows' producers (producers).
    pub show_producers: bool,
    /// The clients of the campaigns targeting a show (client users).
    pub campaign_clients: bool,
}

impl Needs {
    /// What judging a reader of `role` needs.
    pub fn of(role: Role) -> Self {
        Self {
            client_sellers: role == Role::Seller,
            show_producers: role == Role::Producer,
            campaign_clients: role == Role::Client,
        }
    }

    /// What judging readers of any of `roles` needs.
    pub fn of_all(roles: impl IntoIterator<Item = Role>) -> Self {
        roles.into_iter().map(Self::of).fold(Self::default(), |a, b| Self {
            client_sellers: a.client_sellers || b.client_sellers,
            show_producers: a.show_producers || b.show_producers,
            campaign_clients: a.campaign_clients || b.campaign_clients,
        })
    }
}

/// The relationship facts of a campaign: its team always; the client's sellers and the shows'
/// producers when asked.
#[derive(Debug, Clone, Default)]
pub struct CampaignRelations {
    /// The team.
    pub team: Vec<TeamMember>,
    /// Sellers assigned to the campaign's client (when needed).
    pub client_sellers: Vec<UserId>,
    /// Producers of the targeted shows (when needed).
    pub show_producers: Vec<UserId>,
}

impl CampaignRelations {
    /// The campaign `id` with the facts `needs` asks for, the team read with the record (one
    /// Query, plus one read for the client's sellers or one batch read for the shows'
    /// producers); `None` if it does not exist.
    pub async fn load_campaign(
        t: &TenantTable,
        needs: Needs,
        id: &podcastflow_domain::CampaignId,
    ) -> Result<Option<(Campaign, Self)>, RepoError> {
        let Some((c, team)) = CampaignRepo::new(t).get_with_team(id).await? else { return Ok(None) };
        let rel = Self::with_team(t, &c, team, needs).await?;
        Ok(Some((c, rel)))
    }

    /// The facts of a campaign already read (a live update's image), its team read now.
    pub async fn load_for(t: &TenantTable, c: &Campaign, needs: Needs) -> Result<Self, RepoError> {
        let team = CampaignRepo::new(t).team(&c.id).await?;
        Self::with_team(t, c, team, needs).await
    }

    async fn with_team(t: &TenantTable, c: &Campaign, team: Vec<TeamMember>, needs: Needs) -> Result<Self, RepoError> {
        let client_sellers = match (needs.client_sellers, c.client_id) {
            (true, Some(client)) => {
                ClientRepo::new(t).get(&client).await?.map(|c| c.assigned_seller_ids).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        let show_producers = match needs.show_producers {
            true => ShowRepo::new(t)
                .get_many(&c.targeting.show_ids)
                .await?
                .into_iter()
                .flat_map(|s| s.producer_ids)
                .collect(),
            false => Vec::new(),
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

    /// What `p` sees of the campaign `c` when the policy allowed them with `view`.
    pub fn lens(&self, p: &Principal, view: View) -> Lens {
        Lens::of_campaign(view, p.role, p.user_id, &self.team)
    }
}

/// The clients whose campaigns target a show (what a client user's access to the show rests on).
pub async fn show_campaign_clients(t: &TenantTable, show: &ShowId) -> Result<Vec<ClientId>, RepoError> {
    Ok(CampaignRepo::new(t).on_show(show).await?.into_iter().filter_map(|c| c.client_id).collect())
}

/// A show as the policy takes it, given the clients of the campaigns targeting it.
pub fn show_resource<'a>(s: &'a Show, campaign_clients: &'a [ClientId]) -> Resource<'a> {
    Resource::Show { org: s.org_id, producers: &s.producer_ids, talent: &s.talent_ids, campaign_clients }
}

/// An episode as the policy takes it, given its show.
pub fn episode_resource<'a>(e: &'a Episode, show: &'a Show) -> Resource<'a> {
    Resource::Episode {
        org: e.org_id,
        show_producers: &show.producer_ids,
        show_talent: &show.talent_ids,
        episode_talent: &e.talent_ids,
    }
}

/// A host read as the policy takes it, given its campaign's relations and its show's producers.
pub fn ad_read_resource<'a>(
    r: &'a AdRead,
    c: &'a Campaign,
    rel: &'a CampaignRelations,
    show_producers: &'a [UserId],
) -> Resource<'a> {
    Resource::AdRead { campaign: rel.facts(c), show_producers, talent: r.talent_id, seen_by_client: r.seen_by_client() }
}

/// The sellers assigned to any of `clients`, each once (one batch read).
pub async fn sellers_of(t: &TenantTable, clients: &[ClientId]) -> Result<Vec<UserId>, RepoError> {
    let mut ids = clients.to_vec();
    ids.sort();
    ids.dedup();
    Ok(assigned_sellers(ClientRepo::new(t).get_many(&ids).await?))
}

/// The sellers assigned to any of `clients`, each once.
fn assigned_sellers(clients: impl IntoIterator<Item = Client>) -> Vec<UserId> {
    let mut sellers: Vec<UserId> = clients.into_iter().flat_map(|c| c.assigned_seller_ids).collect();
    sellers.sort();
    sellers.dedup();
    sellers
}

/// The sellers assigned to the client who pays an invoice or to its advertiser (the same client
/// when it is bought direct): who among sellers reads its invoices.
pub async fn invoice_sellers(
    t: &TenantTable,
    bill_to: &ClientId,
    advertiser: &ClientId,
) -> Result<Vec<UserId>, RepoError> {
    sellers_of(t, &[*bill_to, *advertiser]).await
}

/// One entity with the relationship facts the policy needs to judge its readers.
#[derive(Debug, Clone)]
pub enum Facts {
    /// The organization itself.
    Organization(OrgId),
    /// A user.
    User(User),
    /// A client.
    Client(Client),
    /// A campaign and its relations.
    Campaign(Campaign, CampaignRelations),
    /// A show and the clients of the campaigns targeting it (when needed).
    Show(Show, Vec<ClientId>),
    /// An episode and its show (an episode whose show is gone is not found).
    Episode(Episode, Show),
    /// A talent's availability.
    Talent(OrgId, UserId),
    /// The organization's API keys.
    ApiKey(OrgId),
    /// The organization's backups.
    Backup(OrgId),
    /// A webhook endpoint: the organization's.
    Webhook(OrgId),
    /// An insertion order, judged by its campaign's relations.
    Order(Order, Campaign, CampaignRelations),
    /// A host read, judged by its campaign's relations, its show's producers (when needed) and
    /// its talent.
    AdRead(Box<AdRead>, Campaign, CampaignRelations, Vec<UserId>),
    /// An invoice and, for sellers, the sellers assigned to its payer and its advertiser.
    Invoice(Box<Invoice>, Vec<UserId>),
}

impl Facts {
    /// The entity `e` of `t`'s organization with the facts `needs` asks for; `None` if it does
    /// not exist (or its id is malformed).
    pub async fn load(t: &TenantTable, needs: Needs, e: &EntityRef) -> Result<Option<Facts>, RepoError> {
        let org = *t.org();
        Ok(match e.kind {
            EntityKind::Organization => (e.id == org.to_string()).then_some(Facts::Organization(org)),
            EntityKind::User => match e.id.parse() {
                Ok(id) => UserRepo::new(t, t.cursors()).get(&org, &id).await?.map(Facts::User),
                Err(_) => None,
            },
            EntityKind::Client => match e.id.parse() {
                Ok(id) => ClientRepo::new(t).get(&id).await?.map(Facts::Client),
                Err(_) => None,
            },
            EntityKind::Campaign => match e.id.parse() {
                Ok(id) => CampaignRelations::load_campaign(t, needs, &id).await?.map(|(c, r)| Facts::Campaign(c, r)),
                Err(_) => None,
            },
            EntityKind::Show => match e.id.parse() {
                Ok(id) => match ShowRepo::new(t).get(&id).await? {
                    Some(s) => Some(Self::show(t, needs, s).await?),
                    None => None,
                },
                Err(_) => None,
            },
            EntityKind::Episode => match e.id.parse() {
                Ok(id) => match EpisodeRepo::new(t).get(&id).await? {
                    Some(ep) => Self::episode(t, ep).await?,
                    None => None,
                },
                Err(_) => None,
            },
            EntityKind::Talent => e.id.parse().ok().map(|talent| Facts::Talent(org, talent)),
            EntityKind::ApiKey => Some(Facts::ApiKey(org)),
            EntityKind::Backup => Some(Facts::Backup(org)),
            EntityKind::Webhook => Some(Facts::Webhook(org)),
            EntityKind::Order => match e.id.parse() {
                Ok(id) => match OrderRepo::new(t).get(&id).await? {
                    Some(o) => Self::order(t, needs, o).await?,
                    None => None,
                },
                Err(_) => None,
            },
            EntityKind::AdRead => match e.id.parse() {
                Ok(id) => match AdReadRepo::new(t).get(&id).await? {
                    Some(r) => Self::ad_read(t, needs, r).await?,
                    None => None,
                },
                Err(_) => None,
            },
            EntityKind::Invoice => match e.id.parse() {
                Ok(id) => match BillingRepo::new(t).get(&id).await? {
                    Some(i) => Some(Self::invoice(t, needs, i).await?),
                    None => None,
                },
                Err(_) => None,
            },
        })
    }

    /// The facts of a host read already read: its campaign's relations and, for producers, its
    /// show's producers; `None` when the campaign is gone.
    pub async fn ad_read(t: &TenantTable, needs: Needs, r: AdRead) -> Result<Option<Facts>, RepoError> {
        let Some((c, rel)) = CampaignRelations::load_campaign(t, needs, &r.campaign_id).await? else {
            return Ok(None);
        };
        let producers = match needs.show_producers {
            true => ShowRepo::new(t).get(&r.show_id).await?.map(|s| s.producer_ids).unwrap_or_default(),
            false => Vec::new(),
        };
        Ok(Some(Facts::AdRead(Box::new(r), c, rel, producers)))
    }

    /// The facts of a show already read.
    pub async fn show(t: &TenantTable, needs: Needs, s: Show) -> Result<Facts, RepoError> {
        let clients = if needs.campaign_clients { show_campaign_clients(t, &s.id).await? } else { Vec::new() };
        Ok(Facts::Show(s, clients))
    }

    /// The facts of an episode already read: its show, or `None` when the show is gone.
    pub async fn episode(t: &TenantTable, e: Episode) -> Result<Option<Facts>, RepoError> {
        Ok(ShowRepo::new(t).get(&e.show_id).await?.map(|s| Facts::Episode(e, s)))
    }

    /// The facts of an order already read: its campaign's relations, or `None` when the
    /// campaign is gone.
    pub async fn order(t: &TenantTable, needs: Needs, o: Order) -> Result<Option<Facts>, RepoError> {
        let loaded = CampaignRelations::load_campaign(t, needs, &o.campaign_id).await?;
        Ok(loaded.map(|(c, rel)| Facts::Order(o, c, rel)))
    }

    /// The facts of an invoice already read: for sellers, who is assigned to its payer and its
    /// advertiser (one read each).
    pub async fn invoice(t: &TenantTable, needs: Needs, i: Invoice) -> Result<Facts, RepoError> {
        let sellers = match needs.client_sellers {
            true => invoice_sellers(t, &i.bill_to, &i.advertiser_id).await?,
            false => Vec::new(),
        };
        Ok(Facts::Invoice(Box::new(i), sellers))
    }

    /// The kind of entity.
    pub fn kind(&self) -> EntityKind {
        match self {
            Facts::Organization(_) => EntityKind::Organization,
            Facts::User(_) => EntityKind::User,
            Facts::Client(_) => EntityKind::Client,
            Facts::Campaign(..) => EntityKind::Campaign,
            Facts::Show(..) => EntityKind::Show,
            Facts::Episode(..) => EntityKind::Episode,
            Facts::Talent(..) => EntityKind::Talent,
            Facts::ApiKey(_) => EntityKind::ApiKey,
            Facts::Backup(_) => EntityKind::Backup,
            Facts::Webhook(_) => EntityKind::Webhook,
            Facts::Order(..) => EntityKind::Order,
            Facts::AdRead(..) => EntityKind::AdRead,
            Facts::Invoice(..) => EntityKind::Invoice,
        }
    }

    /// The entity as the policy takes it.
    pub fn resource(&self) -> Resource<'_> {
        match self {
            Facts::Organization(org) | Facts::ApiKey(org) | Facts::Backup(org) | Facts::Webhook(org) => {
                Resource::Org(*org)
            }
            Facts::User(u) => Resource::User { org: u.org_id, id: u.id, role: u.role },
            Facts::Client(c) => Resource::Client { org: c.org_id, id: c.id, assigned_sellers: &c.assigned_seller_ids },
            Facts::Campaign(c, rel) | Facts::Order(_, c, rel) => Resource::Campaign(rel.facts(c)),
            Facts::Show(s, clients) => show_resource(s, clients),
            Facts::Episode(e, s) => episode_resource(e, s),
            Facts::Talent(org, talent) => Resource::Availability { org: *org, talent: *talent },
            Facts::AdRead(r, c, rel, producers) => ad_read_resource(r, c, rel, producers),
            Facts::Invoice(i, sellers) => Resource::Invoice { org: i.org_id, bill_to: i.bill_to, sellers },
        }
    }

    /// The policy's answer for `p` taking `action` on this entity.
    pub fn authorize(&self, p: &Principal, action: Action) -> Result<View, Denial> {
        authorize(p, action, &self.resource())
    }

    /// Whether `p` may take `action` on this entity.
    pub fn permits(&self, p: &Principal, action: Action) -> bool {
        self.authorize(p, action).is_ok()
    }

    /// What `p` sees of this entity (`None`: they may not read it). Every exit that shows the
    /// entity, or something about it, shows it through this lens.
    pub fn lens(&self, p: &Principal) -> Option<Lens> {
        let view = self.authorize(p, self.kind().read_action()).ok()?;
        Some(match self {
            Facts::Campaign(_, rel) => rel.lens(p, view),
            Facts::Show(..) => Lens::of_show(view, p.role),
            _ => Lens::of(view),
        })
    }
}

/// Whether `p` may take `action` on the entity `e` of their organization (a missing entity is not
/// permitted).
pub async fn permitted(t: &TenantTable, p: &Principal, e: &EntityRef, action: Action) -> Result<bool, RepoError> {
    Ok(Facts::load(t, Needs::of(p.role), e).await?.is_some_and(|f| f.permits(p, action)))
}

/// What `p` sees of the entity `e` of their organization (`None`: missing, or not readable).
pub async fn lens_of(t: &TenantTable, p: &Principal, e: &EntityRef) -> Result<Option<Lens>, RepoError> {
    Ok(Facts::load(t, Needs::of(p.role), e).await?.and_then(|f| f.lens(p)))
}
