//! Inventory: a show's taken spots read beside its episodes, and holds committed all or nothing.
//!
//! A spot is taken by a conditional put of its claim: only when no claim is there, or the one
//! there is a hold whose expiry (`expiresAt`, epoch seconds) has passed. A hold of up to
//! [`SPOTS_PER_TRANSACTION`] spots is one transaction with its record. A larger one is written in
//! several: its record first as `pending` (its claims hold their spots from the moment they are
//! written, as any hold's do), then each transaction of claims; if one loses a race, the claims
//! already written are deleted (only those carrying this hold's id) and the record marked
//! `failed`, so the commit as a whole takes nothing. A crash between leaves claims that end by
//! themselves at the hold's expiry, like any hold's.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use podcastflow_domain::episode::Episode;
use podcastflow_domain::inventory::avails::EpisodeInventory;
use podcastflow_domain::inventory::hold::{HeldCategory, HeldSpot, Hold, HoldStatus};
use podcastflow_domain::inventory::separation::{CategoryClaim, SeparationScope, category_of, scope_key};
use podcastflow_domain::inventory::spot::{Claim, SpotClaim, SpotRef, spots_of};
use podcastflow_domain::keys::{EXPIRES_AT, Index, Key};
use podcastflow_domain::show::Show;
use podcastflow_domain::{CampaignId, ClientId, EpisodeId, HoldId, ShowId};
use thiserror::Error;

use super::{RepoError, all_decoded, all_items};
use crate::condition::Condition;
use crate::item::{self, Item};
use crate::table::{KeyCondition, Query, StoreError, Table, TransactOp};
use crate::tenant::TenantTable;

/// The most spots one transaction writes beside its hold's record (DynamoDB takes 100 items).
pub const SPOTS_PER_TRANSACTION: usize = 99;

/// Why a hold was not committed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum HoldCommitError {
    /// A spot was taken meanwhile (held, booked or blocked): nothing of the hold was kept.
    #[error("spot {0:?} was taken meanwhile")]
    Taken(SpotRef),
    /// A competitor of the advertiser has the scope of this spot (its episode, or its show's
    /// day): nothing of the hold was kept.
    #[error("a competitor is in the scope of spot {0:?}")]
    Competitive(SpotRef),
    /// The store refused or failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

impl From<StoreError> for HoldCommitError {
    fn from(e: StoreError) -> Self {
        HoldCommitError::Repo(e.into())
    }
}

/// One category claim a commit writes, with what was there before (to give it back).
struct CategoryWrite {
    item: Item,
    condition: Condition,
    /// The first of the hold's spots in this scope (named when a competitor has it).
    spot: SpotRef,
    key: Key,
    before: Option<CategoryClaim>,
    ours: CategoryClaim,
}

/// Where a spot is, as competitive separation's scopes need it: its episode, show and air date.
pub type Place = (EpisodeId, ShowId, NaiveDate);

/// Reads and writes spots and holds of one organization.
pub struct InventoryRepo<'a> {
    t: &'a TenantTable,
}

/// A spot is free to take when nothing claims it or its hold has expired at `now`.
pub fn free_at(now: DateTime<Utc>) -> Condition {
    Condition::Any(vec![Condition::NotExists, Condition::AtMost(EXPIRES_AT.into(), now.timestamp())])
}

/// The sort keys of the air dates `[from, to]` in a by-air-date index.
fn air_range(from: NaiveDate, to: NaiveDate) -> KeyCondition {
    // `~` sorts after every id and spot that follows a date.
    KeyCondition::Between(Episode::air_sk(Some(from)), format!("{}#~", Episode::air_sk(Some(to))))
}

impl<'a> InventoryRepo<'a> {
    /// A repository on the organization's table.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    /// `show`'s inventory over the air dates `[from, to]`: each episode that sells spots, with its
    /// slots and taken spots. Two Queries (the episodes, the taken spots), each paged through.
    pub async fn show_inventory(
        &self,
        show: &Show,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<EpisodeInventory>, RepoError> {
        let org = self.t.org();
        let episodes = Query::partition(Index::Gsi1, Episode::by_show_pk(org, &show.id)).sort(air_range(from, to));
        let claims = Query::partition(Index::Gsi1, SpotClaim::by_show_pk(org, &show.id)).sort(air_range(from, to));
        let (episodes, claims) = tokio::try_join!(all_items(self.t, &episodes), all_items(self.t, &claims))?;
        let mut taken: BTreeMap<EpisodeId, Vec<SpotClaim>> = BTreeMap::new();
        for i in claims {
            let c: SpotClaim = item::from_item(i)?;
            taken.entry(c.spot.episode_id).or_default().push(c);
        }
        let mut out = Vec::new();
        for i in episodes {
            let e: Episode = item::from_item(i)?;
            let (Some(slots), Some(air_date)) = (spots_of(&e, &show.ad_config), e.air_date) else { continue };
            let claims = taken.remove(&e.id).unwrap_or_default();
            out.push(EpisodeInventory { episode_id: e.id, show_id: show.id, air_date, slots, claims });
        }
        Ok(out)
    }

    /// The claim of one spot, whatever its state.
    pub async fn claim(&self, spot: &SpotRef) -> Result<Option<SpotClaim>, RepoError> {
        super::get(self.t, &SpotClaim::key_of(self.t.org(), spot)).await
    }

    /// The claims `hold` writes, one per spot, held until its expiry.
    fn claims_of(hold: &Hold, now: DateTime<Utc>) -> Result<Vec<Item>, StoreError> {
        hold.spots
            .iter()
            .map(|s| {
                item::to_item(&SpotClaim {
                    org_id: hold.org_id,
                    show_id: s.show_id,
                    air_date: s.air_date,
                    spot: s.spot,
                    claim: Claim::Held {
                        hold_id: hold.id,
                        campaign_id: hold.campaign_id,
                        advertiser_id: hold.advertiser_id,
                        expires_at: hold.expires_at,
                        price: s.price,
                    },
                    at: now,
                })
            })
            .collect()
    }

    /// The category claims `hold` needs for `competition`, each on the condition that what was read
    /// is still there: nobody's (or an expired one), or the advertiser's own, which is extended to
    /// the later of the two expiries (a booking's, which has none, stays). A competitor's live
    /// claim refuses the hold at once.
    async fn category_writes(
        &self,
        hold: &Hold,
        competition: &HeldCategory,
        now: DateTime<Utc>,
    ) -> Result<Vec<CategoryWrite>, HoldCommitError> {
        let mut scopes: Vec<(Key, SpotRef)> = Vec::new();
        for s in &hold.spots {
            let (episode, show) = (&s.spot.episode_id, &s.show_id);
            let key = scope_key(self.t.org(), competition.scope, episode, show, s.air_date, &competition.category);
            if !scopes.iter().any(|(k, _)| *k == key) {
                scopes.push((key, s.spot));
            }
        }
        let mut found: BTreeMap<Key, CategoryClaim> = BTreeMap::new();
        for chunk in scopes.chunks(100) {
            let keys: Vec<Key> = chunk.iter().map(|(k, _)| k.clone()).collect();
            for i in self.t.batch_get(&keys).await? {
                let key = item::key_of(&i)?;
                let mut c: CategoryClaim = item::from_item(i)?;
                c.key = Some(key.clone());
                found.insert(key, c);
            }
        }
        let mine = |c: &CategoryClaim| c.advertiser_id == hold.advertiser_id;
        let mut writes = Vec::new();
        for (key, spot) in scopes {
            let before = found.remove(&key);
            let condition = match &before {
                Some(c) if mine(c) => held_as(c),
                Some(c) if c.is_live(now) => return Err(HoldCommitError::Competitive(spot)),
                _ => free_at(now),
            };
            let expires_at = match &before {
                Some(c) if mine(c) => c.expires_at.map(|e| e.max(hold.expires_at)),
                _ => Some(hold.expires_at),
            };
            let ours = CategoryClaim {
                org_id: hold.org_id,
                key: Some(key.clone()),
                category: competition.category.clone(),
                advertiser_id: hold.advertiser_id,
                expires_at,
            };
            writes.push(CategoryWrite { item: item::to_item(&ours)?, condition, spot, key, before, ours });
        }
        Ok(writes)
    }

    /// Commits `hold` (its status `Active`, version 1): every spot taken at `now` or none, and
    /// with its `separation`, its advertiser's category in every scope of its spots, or none.
    pub async fn commit_hold(&self, hold: &Hold, now: DateTime<Utc>) -> Result<(), HoldCommitError> {
        let claims = Self::claims_of(hold, now)?;
        let categories = match &hold.separation {
            Some(c) => self.category_writes(hold, c, now).await?,
            None => Vec::new(),
        };
        let put = |c: &CategoryWrite| TransactOp::Put { item: c.item.clone(), condition: c.condition.clone() };
        let n = categories.len();
        if claims.len() + n <= SPOTS_PER_TRANSACTION {
            let mut ops = vec![TransactOp::Put { item: item::to_item(hold)?, condition: Condition::NotExists }];
            ops.extend(categories.iter().map(put));
            ops.extend(claims.into_iter().map(|item| TransactOp::Put { item, condition: free_at(now) }));
            return match self.t.transact(ops).await {
                Ok(()) => Ok(()),
                Err(StoreError::TransactionConflict { index: 0, .. }) => Err(RepoError::AlreadyExists.into()),
                Err(StoreError::TransactionConflict { index, .. }) if index <= n => {
                    Err(HoldCommitError::Competitive(categories[index - 1].spot))
                }
                Err(StoreError::TransactionConflict { index, .. }) => {
                    Err(HoldCommitError::Taken(hold.spots[index - 1 - n].spot))
                }
                Err(e) => Err(e.into()),
            };
        }
        let mut pending = hold.clone();
        pending.status = HoldStatus::Pending;
        match self.t.put(item::to_item(&pending)?, Condition::NotExists).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { .. }) => return Err(RepoError::AlreadyExists.into()),
            Err(e) => return Err(e.into()),
        }
        let mut claimed = 0;
        for chunk in categories.chunks(SPOTS_PER_TRANSACTION) {
            if let Err(e) = self.t.transact(chunk.iter().map(put).collect()).await {
                self.undo(&pending, &categories[..claimed], &[]).await?;
                return Err(match e {
                    StoreError::TransactionConflict { index, .. } => HoldCommitError::Competitive(chunk[index].spot),
                    e => e.into(),
                });
            }
            claimed += chunk.len();
        }
        let mut written = 0;
        for chunk in claims.chunks(SPOTS_PER_TRANSACTION) {
            let ops = chunk.iter().map(|i| TransactOp::Put { item: i.clone(), condition: free_at(now) }).collect();
            if let Err(e) = self.t.transact(ops).await {
                self.undo(&pending, &categories, &hold.spots[..written]).await?;
                return Err(match e {
                    StoreError::TransactionConflict { index, .. } => {
                        HoldCommitError::Taken(hold.spots[written + index].spot)
                    }
                    e => e.into(),
                });
            }
            written += chunk.len();
        }
        // The record becomes what the caller asked for; its claims already hold the spots.
        self.t.put(item::to_item(hold)?, Condition::Equals("status".into(), "pending".into())).await?;
        Ok(())
    }

    /// Gives back the spots and categories of a commit that failed halfway (only what it wrote
    /// itself: a category it extended goes back to what it was), and marks its record failed.
    async fn undo(&self, pending: &Hold, categories: &[CategoryWrite], written: &[HeldSpot]) -> Result<(), RepoError> {
        for c in categories {
            let ours = held_as(&c.ours);
            let done = match &c.before {
                Some(b) if b.advertiser_id == c.ours.advertiser_id => self.t.put(item::to_item(b)?, ours).await,
                _ => self.t.delete(&c.key, ours).await.map(|_| ()),
            };
            match done {
                Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        for s in written {
            let key = SpotClaim::key_of(self.t.org(), &s.spot);
            // Only this hold's own claim: a spot it never took stays as it is.
            match self.t.delete(&key, Condition::Equals("holdId".into(), pending.id.to_string().into())).await {
                Ok(_) | Err(StoreError::ConditionFailed { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let mut failed = pending.clone();
        failed.status = HoldStatus::Failed;
        self.t.put(item::to_item(&failed)?, Condition::Always).await?;
        Ok(())
    }

    /// Releases `hold`, read at version `expected`, at `now`: its record becomes `released`
    /// (`next`, version `expected + 1`), its spots are free again (only claims that are still its
    /// own), and its category ends in every scope where its advertiser holds or has booked
    /// nothing else.
    pub async fn release_hold(&self, next: &Hold, expected: u64, now: DateTime<Utc>) -> Result<(), RepoError> {
        super::commit(self.t, vec![super::Write::replace(next, expected)?]).await?;
        for s in &next.spots {
            let key = SpotClaim::key_of(self.t.org(), &s.spot);
            match self.t.delete(&key, Condition::Equals("holdId".into(), next.id.to_string().into())).await {
                Ok(_) | Err(StoreError::ConditionFailed { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.settle_categories(next, now).await
    }

    /// Extends `next` (read at version `expected`, now carrying its new expiry and count):
    /// every claim still its own, and its category claims, last until the new expiry; then the
    /// record says so. The claims go first, so the record never promises more than they hold.
    pub async fn extend_hold(
        &self,
        next: &Hold,
        expected: u64,
        previous: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let until = next.expires_at.timestamp();
        let ops: Vec<TransactOp> = next
            .spots
            .iter()
            .map(|s| TransactOp::Update {
                key: SpotClaim::key_of(self.t.org(), &s.spot),
                update: crate::condition::Update::new().set(EXPIRES_AT, until),
                condition: Condition::All(vec![
                    Condition::Equals("holdId".into(), next.id.to_string().into()),
                    Condition::Equals(EXPIRES_AT.into(), previous.timestamp().into()),
                ]),
            })
            .collect();
        for chunk in ops.chunks(SPOTS_PER_TRANSACTION + 1) {
            match self.t.transact(chunk.to_vec()).await {
                Ok(()) => {}
                // A spot no longer its own (the hold expired and someone took it): nothing moves.
                Err(StoreError::TransactionConflict { .. }) => return Err(RepoError::Conflict("hold-lost-spots")),
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(c) = &next.separation {
            for w in self.category_writes(next, c, now).await.map_err(|e| match e {
                HoldCommitError::Repo(r) => r,
                _ => RepoError::Conflict("competitor"),
            })? {
                match self.t.put(w.item, w.condition).await {
                    Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        super::commit(self.t, vec![super::Write::replace(next, expected)?]).await
    }

    /// Brings each category claim of `hold`'s scopes in line with what its advertiser still holds
    /// or has booked there at `now`.
    async fn settle_categories(&self, hold: &Hold, now: DateTime<Utc>) -> Result<(), RepoError> {
        let Some(c) = &hold.separation else { return Ok(()) };
        let places: Vec<Place> = hold.spots.iter().map(|s| (s.spot.episode_id, s.show_id, s.air_date)).collect();
        self.settle(&hold.advertiser_id, c, &places, now).await
    }

    /// Brings each of `advertiser`'s category claims (`c`) in the scopes of `places` in line with
    /// what it still holds or has booked there at `now`: gone when nothing, else until the latest
    /// live hold (for good when something is booked). Written on the condition that the claim is
    /// as read; a change meanwhile settled it already.
    pub async fn settle(
        &self,
        advertiser: &ClientId,
        c: &HeldCategory,
        places: &[Place],
        now: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let org = *self.t.org();
        let mut done: Vec<Key> = Vec::new();
        for (episode, show, air_date) in places {
            let key = scope_key(&org, c.scope, episode, show, *air_date, &c.category);
            if done.contains(&key) {
                continue;
            }
            done.push(key.clone());
            let Some(found) = self.t.get(&key).await? else { continue };
            let mut claim: CategoryClaim = item::from_item(found)?;
            claim.key = Some(key.clone());
            if claim.advertiser_id != *advertiser {
                continue;
            }
            let q = match c.scope {
                SeparationScope::Episode => {
                    Query::partition(Index::Main, key.pk.clone()).sort(KeyCondition::BeginsWith("SPOT#".into()))
                }
                SeparationScope::ShowDay => Query::partition(Index::Gsi1, SpotClaim::by_show_pk(&org, show))
                    .sort(KeyCondition::BeginsWith(format!("{}#", Episode::air_sk(Some(*air_date))))),
            };
            let mut booked = false;
            let mut latest: Option<DateTime<Utc>> = None;
            for i in all_items(self.t, &q).await? {
                let other: SpotClaim = item::from_item(i)?;
                if other.advertiser_at(now) != Some(*advertiser) {
                    continue;
                }
                match other.claim {
                    Claim::Booked { .. } => booked = true,
                    Claim::Held { expires_at, .. } => latest = latest.max(Some(expires_at)),
                    Claim::Blocked { .. } => {}
                }
            }
            let done = if !booked && latest.is_none() {
                self.t.delete(&key, held_as(&claim)).await.map(|_| ())
            } else {
                let mut next = claim.clone();
                next.expires_at = if booked { None } else { latest };
                self.t.put(item::to_item(&next)?, held_as(&claim)).await
            };
            match done {
                Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Blocks a spot with `claim` (a `blocked` claim) if it is free at `now`; otherwise the claim
    /// there now (held or booked), which the caller names in its refusal.
    pub async fn block(&self, claim: &SpotClaim, now: DateTime<Utc>) -> Result<Result<(), SpotClaim>, RepoError> {
        match self.t.put(item::to_item(claim)?, free_at(now)).await {
            Ok(()) => Ok(Ok(())),
            Err(StoreError::ConditionFailed { .. }) => match self.claim(&claim.spot).await? {
                Some(there) => Ok(Err(there)),
                // Freed meanwhile: the caller may try again.
                None => Err(RepoError::Conflict("spot-changed")),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// Unblocks a spot: its claim goes if, and only if, it is a block. Whether it was one.
    pub async fn unblock(&self, spot: &SpotRef) -> Result<bool, RepoError> {
        let blocked = Condition::Equals("state".into(), "blocked".into());
        match self.t.delete(&SpotClaim::key_of(self.t.org(), spot), blocked).await {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// A campaign's holds, oldest first (its collection's `HOLD#` items: one Query).
    pub async fn holds_of(&self, campaign: &CampaignId) -> Result<Vec<Hold>, RepoError> {
        let q = Query::partition(Index::Main, Hold::collection_pk(self.t.org(), campaign))
            .sort(KeyCondition::BeginsWith("HOLD#".into()));
        all_decoded(self.t, &q).await
    }

    /// The organization's active holds expiring in `(from, until]`, soonest first (one Query of
    /// the active holds by expiry, paged through).
    pub async fn holds_expiring(&self, from: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<Hold>, RepoError> {
        let at = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        // `~` sorts after every hold id that follows an instant.
        let range = KeyCondition::Between(format!("{}#~", at(from)), format!("{}#~", at(until)));
        let q = Query::partition(Index::Gsi1, Hold::active_pk(self.t.org())).sort(range);
        all_decoded(self.t, &q).await
    }

    /// Marks `hold` (read at version `expected`) as told of its expiry, so the change stream
    /// sends its owner the notice, once per expiry. Whether it was marked (another write since
    /// it was read leaves it to the next run).
    pub async fn mark_expiry_noticed(&self, hold: &Hold, now: DateTime<Utc>) -> Result<bool, RepoError> {
        let mut next = hold.clone();
        next.expiry_notice_for = Some(hold.expires_at);
        next.stamp = hold.stamp.touched(podcastflow_domain::UserId::SYSTEM, now);
        match super::commit(self.t, vec![super::Write::replace(&next, hold.stamp.version)?]).await {
            Ok(()) => Ok(true),
            Err(RepoError::VersionConflict { .. } | RepoError::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// A campaign's hold.
    pub async fn hold(&self, campaign: &CampaignId, id: &HoldId) -> Result<Option<Hold>, RepoError> {
        super::get(self.t, &Hold::key_of(self.t.org(), campaign, id)).await
    }

    /// Every claim of one episode's spots (its item collection's `SPOT#` items: one Query).
    pub async fn episode_claims(&self, episode: &EpisodeId) -> Result<Vec<SpotClaim>, RepoError> {
        let pk = podcastflow_domain::keys::org_pk(self.t.org(), format!("EPISODE#{episode}"));
        let q = Query::partition(Index::Main, pk).sort(KeyCondition::BeginsWith("SPOT#".into()));
        all_decoded(self.t, &q).await
    }

    /// Every claim of a show's spots, whatever their air dates (one Query, paged through).
    pub async fn show_claims(&self, show: &ShowId) -> Result<Vec<SpotClaim>, RepoError> {
        let q = Query::partition(Index::Gsi1, SpotClaim::by_show_pk(self.t.org(), show));
        all_decoded(self.t, &q).await
    }

    /// Gives back a held spot of a cancelled episode: its claim goes if it is still `hold`'s, the
    /// hold's record no longer lists it (so the hold still extends and orders whole; one left
    /// without spots is released), and the hold's category settles.
    pub async fn release_spot(&self, hold: &Hold, spot: &SpotRef, now: DateTime<Utc>) -> Result<(), RepoError> {
        let key = SpotClaim::key_of(self.t.org(), spot);
        match self.t.delete(&key, Condition::Equals("holdId".into(), hold.id.to_string().into())).await {
            Ok(_) | Err(StoreError::ConditionFailed { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let mut current = hold.clone();
        for _ in 0..8 {
            if !current.spots.iter().any(|s| s.spot == *spot) {
                break;
            }
            let mut next = current.clone();
            next.spots.retain(|s| s.spot != *spot);
            if next.spots.is_empty() && next.status == HoldStatus::Active {
                next.status = HoldStatus::Released;
            }
            next.stamp = current.stamp.touched(podcastflow_domain::UserId::SYSTEM, now);
            match super::commit(self.t, vec![super::Write::replace(&next, current.stamp.version)?]).await {
                Ok(()) => break,
                Err(RepoError::VersionConflict { .. }) => match self.hold(&hold.campaign_id, &hold.id).await? {
                    Some(h) => current = h,
                    None => break,
                },
                Err(RepoError::NotFound) => break,
                Err(e) => return Err(e),
            }
        }
        let Some(c) = &hold.separation else { return Ok(()) };
        let places: Vec<Place> =
            hold.spots.iter().filter(|s| s.spot == *spot).map(|s| (s.spot.episode_id, s.show_id, s.air_date)).collect();
        self.settle(&hold.advertiser_id, c, &places, now).await
    }

    /// The claims of a campaign's spots (held or booked), by air date.
    pub async fn campaign_claims(&self, campaign: &CampaignId) -> Result<Vec<SpotClaim>, RepoError> {
        let q = Query::partition(Index::Gsi2, SpotClaim::by_campaign_pk(self.t.org(), campaign));
        all_decoded(self.t, &q).await
    }

    /// The competitive category of every advertiser with a live claim in `episodes` at `now`:
    /// what placement weighs competitive separation with. One batch read of the advertisers,
    /// however many episodes they are in; none without one.
    pub async fn categories_present(
        &self,
        episodes: &[EpisodeInventory],
        now: DateTime<Utc>,
    ) -> Result<BTreeMap<ClientId, String>, RepoError> {
        let advertisers: Vec<ClientId> = episodes
            .iter()
            .flat_map(|e| e.advertisers(now, None))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut out = BTreeMap::new();
        if advertisers.is_empty() {
            return Ok(out);
        }
        for c in super::clients::ClientRepo::new(self.t).get_many(&advertisers).await? {
            if let Some(cat) = c.competitive_category.as_deref().and_then(category_of) {
                out.insert(c.id, cat);
            }
        }
        Ok(out)
    }
}

/// The condition that a category claim is still as `c` was read (or written).
fn held_as(c: &CategoryClaim) -> Condition {
    Condition::All(vec![
        Condition::Equals("advertiserId".into(), c.advertiser_id.to_string().into()),
        match c.expires_at {
            Some(e) => Condition::Equals(EXPIRES_AT.into(), e.timestamp().into()),
            None => Condition::AttributeMissing(EXPIRES_AT.into()),
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spot_is_free_when_absent_or_its_hold_has_expired() {
        let now = DateTime::from_timestamp(1_000, 0).unwrap();
        let held = |until: i64| {
            let mut i = Item::new();
            i.insert(EXPIRES_AT.into(), until.into());
            i
        };
        assert!(free_at(now).holds(None));
        assert!(free_at(now).holds(Some(&held(1_000))));
        assert!(!free_at(now).holds(Some(&held(1_001))));
        assert!(!free_at(now).holds(Some(&Item::new())), "booked or blocked: no expiry");
    }
}
