//! The facts of a page of entities for one reader, read in batches: what a list that names many
//! kinds of entity (a person's own activity) needs to show each entry through its entity's lens,
//! at a cost that follows neither the organization nor the number of entities on the page.
//!
//! Three batch reads at most: the records (with the reader's membership of each campaign), then
//! what they hang off (an order's or host read's campaign, an episode's show, an invoice's
//! clients), then the campaigns' clients and shows (their sellers and producers). A reader's
//! membership is all of a team the policy and the lens look at. The one fact that takes a Query
//! per entity, the clients of the campaigns targeting a show, is read only for client users.

use std::collections::{BTreeSet, HashMap};

use podcastflow_domain::ad_read::AdRead;
use podcastflow_domain::billing::invoice::Invoice;
use podcastflow_domain::campaign::Campaign;
use podcastflow_domain::campaign::team::TeamMember;
use podcastflow_domain::client::Client;
use podcastflow_domain::episode::Episode;
use podcastflow_domain::keys::Key;
use podcastflow_domain::notification::EntityRef;
use podcastflow_domain::order::Order;
use podcastflow_domain::show::Show;
use podcastflow_domain::user::User;
use podcastflow_domain::visibility::{EntityKind, Lens};
use podcastflow_domain::{
    AdReadId, CampaignId, ClientId, EpisodeId, InvoiceId, OrderId, OrgId, Principal, ShowId, UserId,
};
use podcastflow_store::repo::RepoError;
use podcastflow_store::{Item, Table, TenantTable, item};
use serde::de::DeserializeOwned;

use super::{CampaignRelations, Facts, Needs, assigned_sellers};

/// Records read by key, and which keys were asked for (a missing record is asked once).
#[derive(Default)]
struct Fetched {
    items: HashMap<Key, Item>,
    asked: BTreeSet<Key>,
}

impl Fetched {
    /// Reads the records of `keys` not asked for yet, in one batch read (none if all were).
    async fn more(&mut self, t: &TenantTable, keys: impl IntoIterator<Item = Key>) -> Result<(), RepoError> {
        let keys: BTreeSet<Key> = keys.into_iter().filter(|k| !self.asked.contains(k)).collect();
        if keys.is_empty() {
            return Ok(());
        }
        let keys: Vec<Key> = keys.into_iter().collect();
        for i in t.batch_get(&keys).await? {
            self.items.insert(item::key_of(&i)?, i);
        }
        self.asked.extend(keys);
        Ok(())
    }

    /// The record under `key`, if it was read and exists.
    fn get<E: DeserializeOwned>(&self, key: &Key) -> Result<Option<E>, RepoError> {
        Ok(self.items.get(key).cloned().map(item::from_item).transpose()?)
    }
}

/// An entity of the page, its id parsed for its kind (`Invalid`: an id no entity has).
#[derive(Clone, Copy)]
enum Named {
    Invalid,
    Organization,
    Talent(UserId),
    ApiKey,
    Backup,
    Webhook,
    User(UserId),
    Client(ClientId),
    Campaign(CampaignId),
    Show(ShowId),
    Episode(EpisodeId),
    Order(OrderId),
    AdRead(AdReadId),
    Invoice(InvoiceId),
}

impl Named {
    fn of(org: &OrgId, e: &EntityRef) -> Named {
        fn parsed<T: std::str::FromStr>(id: &str, named: impl Fn(T) -> Named) -> Named {
            id.parse().map_or(Named::Invalid, named)
        }
        match e.kind {
            EntityKind::Organization if e.id == org.to_string() => Named::Organization,
            EntityKind::Organization => Named::Invalid,
            EntityKind::Talent => parsed(&e.id, Named::Talent),
            EntityKind::ApiKey => Named::ApiKey,
            EntityKind::Backup => Named::Backup,
            EntityKind::Webhook => Named::Webhook,
            EntityKind::User => parsed(&e.id, Named::User),
            EntityKind::Client => parsed(&e.id, Named::Client),
            EntityKind::Campaign => parsed(&e.id, Named::Campaign),
            EntityKind::Show => parsed(&e.id, Named::Show),
            EntityKind::Episode => parsed(&e.id, Named::Episode),
            EntityKind::Order => parsed(&e.id, Named::Order),
            EntityKind::AdRead => parsed(&e.id, Named::AdRead),
            EntityKind::Invoice => parsed(&e.id, Named::Invoice),
        }
    }

    /// The key of its record, for the kinds that have one.
    fn record_key(&self, org: &OrgId) -> Option<Key> {
        Some(match self {
            Named::User(id) => User::key_of(org, id),
            Named::Client(id) => Client::key_of(org, id),
            Named::Campaign(id) => Campaign::key_of(org, id),
            Named::Show(id) => Show::key_of(org, id),
            Named::Episode(id) => Episode::key_of(org, id),
            Named::Order(id) => Order::key_of(org, id),
            Named::AdRead(id) => AdRead::key_of(org, id),
            Named::Invoice(id) => Invoice::key_of(org, id),
            _ => return None,
        })
    }
}

/// Reads a page's facts for one reader.
struct PageReader<'a> {
    t: &'a TenantTable,
    org: OrgId,
    me: UserId,
    needs: Needs,
    fetched: Fetched,
}

impl PageReader<'_> {
    /// The campaign `id` (with the reader's membership) when read.
    fn campaign(&self, id: &CampaignId) -> Result<Option<Campaign>, RepoError> {
        self.fetched.get(&Campaign::key_of(&self.org, id))
    }

    /// The keys of a campaign's record and of the reader's membership of its team.
    fn campaign_keys(&self, id: &CampaignId) -> [Key; 2] {
        [Campaign::key_of(&self.org, id), TeamMember::key_of(&self.org, id, &self.me)]
    }

    /// The keys a campaign's relations need read: its client (sellers) and its shows (producers).
    /// None when the reader owns it or is on its team: that settles their reading, and no lens
    /// looks further.
    fn relation_keys(&self, c: &Campaign) -> Result<Vec<Key>, RepoError> {
        let mut keys = Vec::new();
        let member = self.fetched.items.contains_key(&TeamMember::key_of(&self.org, &c.id, &self.me));
        if c.owner_id == self.me || member {
            return Ok(keys);
        }
        if let (true, Some(client)) = (self.needs.client_sellers, c.client_id) {
            keys.push(Client::key_of(&self.org, &client));
        }
        if self.needs.show_producers {
            keys.extend(c.targeting.show_ids.iter().map(|s| Show::key_of(&self.org, s)));
        }
        Ok(keys)
    }

    /// A campaign's relations as the reader's judgement needs them, from what was read.
    fn relations(&self, c: &Campaign) -> Result<CampaignRelations, RepoError> {
        let team: Vec<TeamMember> =
            self.fetched.get(&TeamMember::key_of(&self.org, &c.id, &self.me))?.into_iter().collect();
        let client_sellers = match (self.needs.client_sellers, c.client_id) {
            (true, Some(client)) => {
                self.fetched.get::<Client>(&Client::key_of(&self.org, &client))?.map(|c| c.assigned_seller_ids)
            }
            _ => None,
        };
        let mut show_producers = Vec::new();
        if self.needs.show_producers {
            for s in &c.targeting.show_ids {
                show_producers.extend(self.show(s)?.map(|s| s.producer_ids).unwrap_or_default());
            }
        }
        Ok(CampaignRelations { team, client_sellers: client_sellers.unwrap_or_default(), show_producers })
    }

    fn show(&self, id: &ShowId) -> Result<Option<Show>, RepoError> {
        self.fetched.get(&Show::key_of(&self.org, id))
    }

    /// The campaign a record hangs off, read in the second round.
    fn parent_campaign(&self, n: &Named) -> Result<Option<CampaignId>, RepoError> {
        Ok(match n {
            Named::Order(_) => self.record::<Order>(n)?.map(|o| o.campaign_id),
            Named::AdRead(_) => self.record::<AdRead>(n)?.map(|r| r.campaign_id),
            _ => None,
        })
    }

    /// The record of an entity of a kind that has one, when read and there.
    fn record<E: DeserializeOwned>(&self, n: &Named) -> Result<Option<E>, RepoError> {
        match n.record_key(&self.org) {
            Some(key) => self.fetched.get(&key),
            None => Ok(None),
        }
    }

    /// The facts of one entity from what was read (a show's campaign clients read now, for client
    /// users only).
    async fn facts(&self, n: &Named) -> Result<Option<Facts>, RepoError> {
        let org = self.org;
        Ok(match n {
            Named::Invalid => None,
            Named::Organization => Some(Facts::Organization(org)),
            Named::Talent(u) => Some(Facts::Talent(org, *u)),
            Named::ApiKey => Some(Facts::ApiKey(org)),
            Named::Backup => Some(Facts::Backup(org)),
            Named::Webhook => Some(Facts::Webhook(org)),
            Named::User(_) => self.record(n)?.map(Facts::User),
            Named::Client(_) => self.record(n)?.map(Facts::Client),
            Named::Campaign(id) => match self.campaign(id)? {
                Some(c) => {
                    let rel = self.relations(&c)?;
                    Some(Facts::Campaign(c, rel))
                }
                None => None,
            },
            Named::Show(_) => match self.record::<Show>(n)? {
                Some(s) => Some(Facts::show(self.t, self.needs, s).await?),
                None => None,
            },
            Named::Episode(_) => match self.record::<Episode>(n)? {
                Some(e) => self.show(&e.show_id)?.map(|s| Facts::Episode(e, s)),
                None => None,
            },
            Named::Order(_) => {
                let Some(o) = self.record::<Order>(n)? else { return Ok(None) };
                let Some(c) = self.campaign(&o.campaign_id)? else { return Ok(None) };
                let rel = self.relations(&c)?;
                Some(Facts::Order(o, c, rel))
            }
            Named::AdRead(_) => {
                let Some(r) = self.record::<AdRead>(n)? else { return Ok(None) };
                let Some(c) = self.campaign(&r.campaign_id)? else { return Ok(None) };
                let producers = match self.needs.show_producers {
                    true => self.show(&r.show_id)?.map(|s| s.producer_ids).unwrap_or_default(),
                    false => Vec::new(),
                };
                let rel = self.relations(&c)?;
                Some(Facts::AdRead(Box::new(r), c, rel, producers))
            }
            Named::Invoice(_) => {
                let Some(i) = self.record::<Invoice>(n)? else { return Ok(None) };
                let mut clients = Vec::new();
                if self.needs.client_sellers {
                    for id in [i.bill_to, i.advertiser_id] {
                        clients.extend(self.fetched.get::<Client>(&Client::key_of(&org, &id))?);
                    }
                }
                Some(Facts::Invoice(Box::new(i), assigned_sellers(clients)))
            }
        })
    }
}

/// The facts of each of `entities` (in their order; `None`: missing, or an id no entity has) as
/// judging `p`'s reading of them needs: [`Facts::lens`] and [`Facts::permits`] with a read action
/// answer as they would for each loaded alone (a campaign the reader owns or is on the team of is
/// loaded without its client's sellers and its shows' producers, which that reading never needs).
/// Three batch reads at most.
pub async fn facts_of_page(
    t: &TenantTable,
    p: &Principal,
    entities: &[EntityRef],
) -> Result<Vec<Option<Facts>>, RepoError> {
    let org = *t.org();
    let mut r = PageReader { t, org, me: p.user_id, needs: Needs::of(p.role), fetched: Fetched::default() };
    let named: Vec<Named> = entities.iter().map(|e| Named::of(&org, e)).collect();
    // The records, with the reader's membership of each campaign.
    let mut first: Vec<Key> = named.iter().filter_map(|n| n.record_key(&org)).collect();
    for n in &named {
        if let Named::Campaign(id) = n {
            first.extend(r.campaign_keys(id));
        }
    }
    r.fetched.more(t, first).await?;
    // What the records hang off.
    let mut second = Vec::new();
    for n in &named {
        if let Some(c) = r.parent_campaign(n)? {
            second.extend(r.campaign_keys(&c));
        }
        match n {
            Named::Episode(_) => {
                second.extend(r.record::<Episode>(n)?.map(|e| Show::key_of(&org, &e.show_id)));
            }
            Named::AdRead(_) if r.needs.show_producers => {
                second.extend(r.record::<AdRead>(n)?.map(|a| Show::key_of(&org, &a.show_id)));
            }
            Named::Invoice(_) if r.needs.client_sellers => {
                if let Some(i) = r.record::<Invoice>(n)? {
                    second.extend([Client::key_of(&org, &i.bill_to), Client::key_of(&org, &i.advertiser_id)]);
                }
            }
            _ => {}
        }
    }
    r.fetched.more(t, second).await?;
    // The campaigns' clients and shows.
    let mut third = Vec::new();
    for n in &named {
        let campaign = match n {
            Named::Campaign(id) => Some(*id),
            _ => r.parent_campaign(n)?,
        };
        if let Some(c) = campaign.map(|id| r.campaign(&id)).transpose()?.flatten() {
            third.extend(r.relation_keys(&c)?);
        }
    }
    r.fetched.more(t, third).await?;
    let mut out = Vec::with_capacity(named.len());
    for n in &named {
        out.push(r.facts(n).await?);
    }
    Ok(out)
}

/// What `p` sees of each of `entities` (`None`: missing, or not readable by them), judged as
/// [`super::lens_of`] judges one, in three batch reads at most.
pub async fn lenses_of_page(
    t: &TenantTable,
    p: &Principal,
    entities: &[EntityRef],
) -> Result<HashMap<EntityRef, Option<Lens>>, RepoError> {
    let facts = facts_of_page(t, p, entities).await?;
    Ok(entities.iter().cloned().zip(facts.into_iter().map(|f| f.and_then(|f| f.lens(p)))).collect())
}
