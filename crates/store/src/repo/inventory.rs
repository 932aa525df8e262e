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
use podcastflow_domain::inventory::hold::{HeldSpot, Hold, HoldStatus};
use podcastflow_domain::inventory::spot::{Claim, SpotClaim, SpotRef, spots_of};
use podcastflow_domain::keys::{EXPIRES_AT, Index};
use podcastflow_domain::show::Show;
use podcastflow_domain::{CampaignId, EpisodeId, HoldId};
use thiserror::Error;

use super::{RepoError, all_items};
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
    /// The store refused or failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

impl From<StoreError> for HoldCommitError {
    fn from(e: StoreError) -> Self {
        HoldCommitError::Repo(e.into())
    }
}

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

    /// Commits `hold` (its status `Active`, version 1): every spot taken at `now` or none.
    pub async fn commit_hold(&self, hold: &Hold, now: DateTime<Utc>) -> Result<(), HoldCommitError> {
        let claims = Self::claims_of(hold, now)?;
        if claims.len() <= SPOTS_PER_TRANSACTION {
            let mut ops = vec![TransactOp::Put { item: item::to_item(hold)?, condition: Condition::NotExists }];
            ops.extend(claims.into_iter().map(|item| TransactOp::Put { item, condition: free_at(now) }));
            return match self.t.transact(ops).await {
                Ok(()) => Ok(()),
                Err(StoreError::TransactionConflict { index: 0, .. }) => Err(RepoError::AlreadyExists.into()),
                Err(StoreError::TransactionConflict { index, .. }) => {
                    Err(HoldCommitError::Taken(hold.spots[index - 1].spot))
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
        let mut written = 0;
        for chunk in claims.chunks(SPOTS_PER_TRANSACTION) {
            let ops =
                chunk.iter().map(|item| TransactOp::Put { item: item.clone(), condition: free_at(now) }).collect();
            match self.t.transact(ops).await {
                Ok(()) => written += chunk.len(),
                Err(StoreError::TransactionConflict { index, .. }) => {
                    let lost = hold.spots[written + index].spot;
                    self.undo(&pending, &hold.spots[..written]).await?;
                    return Err(HoldCommitError::Taken(lost));
                }
                Err(e) => {
                    self.undo(&pending, &hold.spots[..written]).await?;
                    return Err(e.into());
                }
            }
        }
        // The record becomes what the caller asked for; its claims already hold the spots.
        match self.t.put(item::to_item(hold)?, Condition::Equals("status".into(), "pending".into())).await {
            Ok(()) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Gives back the spots of a commit that failed halfway, and marks its record failed.
    async fn undo(&self, pending: &Hold, written: &[HeldSpot]) -> Result<(), RepoError> {
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

    /// A campaign's hold.
    pub async fn hold(&self, campaign: &CampaignId, id: &HoldId) -> Result<Option<Hold>, RepoError> {
        super::get(self.t, &Hold::key_of(self.t.org(), campaign, id)).await
    }

    /// The claims of a campaign's spots (held or booked), by air date.
    pub async fn campaign_claims(&self, campaign: &CampaignId) -> Result<Vec<SpotClaim>, RepoError> {
        let q = Query::partition(Index::Gsi2, SpotClaim::by_campaign_pk(self.t.org(), campaign));
        all_items(self.t, &q).await?.into_iter().map(|i| Ok(item::from_item(i)?)).collect()
    }
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
