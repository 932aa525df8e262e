//! Insertion orders: numbered without gaps or reuse, booked all or nothing, cancelled whole.
//!
//! **Numbers.** The year's counter (`last`) is read, then the order is created in one
//! transaction with the counter moved to `last + 1` on the condition that it is still `last`.
//! Two creations racing for one number: one wins, the other reads again and takes the next. A
//! failed creation moves nothing, so no number is skipped; a created one is never given again.
//!
//! **Booking.** Each line's spot turns from held (by the line's hold, not yet expired) into
//! booked (by the order's line) with a conditional put, and each category its holds claimed
//! becomes the advertiser's for good. Up to [`OPS_PER_TRANSACTION`] writes, that is one
//! transaction with the order's record. A larger order is booked in several:
//! 1. the record moves to `booking` (on its version), so nothing else moves it meanwhile;
//! 2. transactions of up to 100 spots, each spot on the condition that it is still held by its
//!    hold and not expired, *or already booked by this very line* (so a repeat after a crash
//!    picks up where it stopped);
//! 3. the categories, then the record as `booked`.
//!
//! If a transaction of step 2 loses (a hold expired or a spot was taken), every spot already
//! booked by the order goes back to its hold (only those still booked by this order, as they
//! were held, until the hold's own expiry) and the record back to `approved`: nothing changed,
//! and the answer names the lines. A spot is one item, so it is held or booked, never both, and
//! a booking racing a hold's expiry either books before the instant or fails.
//!
//! **Cancelling** gives back every booked spot (only those booked by this order), settles the
//! categories, then moves the record; repeating it after a crash finishes it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use podcastflow_domain::billing::numbering::Series;
use podcastflow_domain::inventory::hold::{Hold, HoldStatus};
use podcastflow_domain::inventory::separation::scope_key;
use podcastflow_domain::inventory::spot::{Claim, SpotClaim};
use podcastflow_domain::keys::{EXPIRES_AT, Index, Key};
use podcastflow_domain::order::{Order, OrderLine, OrderStatus};
use podcastflow_domain::{CampaignId, ClientId, HoldId, OrderId};
use thiserror::Error;

use super::inventory::{InventoryRepo, Place};
use super::numbers::take_number;
use super::{EntityPage, RepoError, Write, commit};
use crate::condition::{Condition, Update};
use crate::item::{self, Item};
use crate::table::{Query, StoreError, Table, TransactOp};
use crate::tenant::TenantTable;

/// The most writes one transaction takes (DynamoDB's limit).
pub const OPS_PER_TRANSACTION: usize = 100;

/// How often a read-modify-write of an order reads it again after another write moved it.
const REREADS: u32 = 8;

/// Why an order was not booked.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum BookError {
    /// These lines' spots are no longer held by their holds (expired or taken): nothing was
    /// booked.
    #[error("lines no longer held: {0:?}")]
    NotHeld(Vec<u32>),
    /// The store refused or failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

impl From<StoreError> for BookError {
    fn from(e: StoreError) -> Self {
        BookError::Repo(e.into())
    }
}

/// Reads and writes one organization's insertion orders.
pub struct OrderRepo<'a> {
    t: &'a TenantTable,
}

impl<'a> OrderRepo<'a> {
    /// A repository on the organization's table.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    /// Creates `order` (version 1) with the next number of `year`, which it returns numbered.
    pub async fn create(&self, mut order: Order, year: i32) -> Result<Order, RepoError> {
        let draft = order.clone();
        order.number = take_number(
            self.t,
            Series::Order,
            year,
            "order-number-contended",
            || RepoError::AlreadyExists,
            |number| {
                let numbered = Order { number: number.to_owned(), ..draft.clone() };
                Ok(vec![TransactOp::Put { item: item::to_item(&numbered)?, condition: Condition::NotExists }])
            },
        )
        .await?;
        Ok(order)
    }

    /// One order.
    pub async fn get(&self, id: &OrderId) -> Result<Option<Order>, RepoError> {
        super::get(self.t, &Order::key_of(self.t.org(), id)).await
    }

    /// Many orders (missing ones left out), in the order of `ids`.
    pub async fn get_many(&self, ids: &[OrderId]) -> Result<Vec<Order>, RepoError> {
        let keys: Vec<_> = ids.iter().map(|id| Order::key_of(self.t.org(), id)).collect();
        super::get_many(self.t, &keys).await
    }

    /// A page of the organization's orders by number.
    pub async fn list(&self, cursor: Option<&str>, limit: u32) -> Result<EntityPage<Order>, RepoError> {
        let q = Query::partition(Index::Gsi1, Order::all_pk(self.t.org())).limit(limit);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// A page of one advertiser's orders by number.
    pub async fn of_advertiser(
        &self,
        advertiser: &ClientId,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Order>, RepoError> {
        let q = Query::partition(Index::Gsi3, Order::by_advertiser_pk(self.t.org(), advertiser)).limit(limit);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// A page of one campaign's orders by number.
    pub async fn of_campaign(
        &self,
        campaign: &CampaignId,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Order>, RepoError> {
        let q = Query::partition(Index::Gsi2, Order::by_campaign_pk(self.t.org(), campaign)).limit(limit);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// Replaces the order read at version `expected` with `next` (its lines and terms in draft,
    /// or a move that touches no spot).
    pub async fn replace(&self, next: &Order, expected: u64) -> Result<(), RepoError> {
        commit(self.t, vec![Write::replace(next, expected)?]).await
    }

    /// The booked claim of `line` of `order`.
    fn booked_claim(order: &Order, hold: &Hold, line: &OrderLine, now: DateTime<Utc>) -> SpotClaim {
        let price = hold.spots.iter().find(|s| s.spot == line.spot).map(|s| s.price).unwrap_or_default();
        SpotClaim {
            org_id: order.org_id,
            show_id: line.show_id,
            air_date: line.air_date,
            spot: line.spot,
            claim: Claim::Booked {
                order_id: order.id,
                line: line.line,
                campaign_id: order.campaign_id,
                advertiser_id: order.advertiser_id,
                price,
                amount: line.amount(),
            },
            at: now,
        }
    }

    /// The held claim `line`'s spot had under `hold` (what a failed booking puts back).
    fn held_claim(hold: &Hold, line: &OrderLine, now: DateTime<Utc>) -> SpotClaim {
        let price = hold.spots.iter().find(|s| s.spot == line.spot).map(|s| s.price).unwrap_or_default();
        SpotClaim {
            org_id: hold.org_id,
            show_id: line.show_id,
            air_date: line.air_date,
            spot: line.spot,
            claim: Claim::Held {
                hold_id: hold.id,
                campaign_id: hold.campaign_id,
                advertiser_id: hold.advertiser_id,
                expires_at: hold.expires_at,
                price,
            },
            at: now,
        }
    }

    /// The condition under which `line`'s spot may be booked by `order` at `now`: still held by
    /// its hold and not expired, or already booked by this very line (a repeat).
    fn bookable(order: &Order, line: &OrderLine, now: DateTime<Utc>) -> Condition {
        Condition::Any(vec![
            Condition::All(vec![
                Condition::Equals("holdId".into(), line.hold_id.to_string().into()),
                Condition::After(EXPIRES_AT.into(), now.timestamp()),
            ]),
            booked_by(order, line),
        ])
    }

    /// Of `order`'s lines at `now` (their spots read in batches of 100): those whose spots cannot
    /// be booked, and those already booked by the order (an interrupted booking's).
    async fn bookable_now(&self, order: &Order, now: DateTime<Utc>) -> Result<(Vec<u32>, Vec<u32>), RepoError> {
        let mut found: BTreeMap<Key, Item> = BTreeMap::new();
        for chunk in order.lines.chunks(100) {
            let keys: Vec<Key> = chunk.iter().map(|l| SpotClaim::key_of(self.t.org(), &l.spot)).collect();
            for i in self.t.batch_get(&keys).await? {
                found.insert(item::key_of(&i)?, i);
            }
        }
        let (mut lost, mut ours) = (Vec::new(), Vec::new());
        for l in &order.lines {
            let there = found.get(&SpotClaim::key_of(self.t.org(), &l.spot));
            if booked_by(order, l).holds(there) {
                ours.push(l.line);
            } else if !Self::bookable(order, l, now).holds(there) {
                lost.push(l.line);
            }
        }
        Ok((lost, ours))
    }

    /// The category claims `order`'s holds made, each once: made the advertiser's for good.
    fn category_ops(order: &Order, holds: &BTreeMap<HoldId, Hold>) -> Vec<TransactOp> {
        let mut keys: Vec<Key> = Vec::new();
        for l in &order.lines {
            let Some(c) = holds.get(&l.hold_id).and_then(|h| h.separation.as_ref()) else { continue };
            let key = scope_key(&order.org_id, c.scope, &l.spot.episode_id, &l.show_id, l.air_date, &c.category);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys.into_iter()
            .map(|key| TransactOp::Update {
                key,
                update: Update::new().remove(EXPIRES_AT),
                condition: Condition::Equals("advertiserId".into(), order.advertiser_id.to_string().into()),
            })
            .collect()
    }

    /// Books `current` (approved, or `booking` after an interrupted attempt) as `next` (status
    /// `booked`, one version on): every line's spot from its hold in `holds`, all or none. The
    /// holds whose every spot the order booked become `booked`. Returns the order as stored.
    pub async fn book(
        &self,
        current: &Order,
        mut next: Order,
        holds: &BTreeMap<HoldId, Hold>,
        now: DateTime<Utc>,
    ) -> Result<Order, BookError> {
        let (lost, mut ours) = self.bookable_now(current, now).await?;
        if !lost.is_empty() {
            return Err(BookError::NotHeld(lost));
        }
        let hold_of = |l: &OrderLine| holds.get(&l.hold_id).ok_or(RepoError::Conflict("hold-missing"));
        let mut claims = Vec::with_capacity(current.lines.len());
        for l in &current.lines {
            let c = Self::booked_claim(current, hold_of(l)?, l, now);
            claims.push(TransactOp::Put { item: item::to_item(&c)?, condition: Self::bookable(current, l, now) });
        }
        let categories = Self::category_ops(current, holds);
        if claims.len() + categories.len() < OPS_PER_TRANSACTION {
            let mut ops = vec![Write::replace(&next, current.stamp.version)?.op];
            let n = categories.len();
            ops.extend(categories);
            ops.extend(claims);
            match self.t.transact(ops).await {
                Ok(()) => {}
                Err(StoreError::TransactionConflict { index: 0, key }) => {
                    return Err(match self.t.get(&key).await? {
                        Some(i) => RepoError::VersionConflict { current: item::version_of(&i) },
                        None => RepoError::NotFound,
                    }
                    .into());
                }
                Err(StoreError::TransactionConflict { index, .. }) if index <= n => {
                    return Err(RepoError::Conflict("competitor").into());
                }
                Err(StoreError::TransactionConflict { index, .. }) => {
                    return Err(BookError::NotHeld(vec![current.lines[index - 1 - n].line]));
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            let mut expected = current.stamp.version;
            let mut booking = current.clone();
            if current.status != OrderStatus::Booking {
                booking.status = OrderStatus::Booking;
                booking.stamp = current.stamp.touched(next.stamp.updated_by, now);
                self.replace(&booking, expected).await?;
                expected = booking.stamp.version;
            }
            // On a refusal every spot booked so far goes back to its hold, and the record to
            // approved: nothing changed.
            let undo = |booking: Order, ours: Vec<u32>| async move {
                self.unbook(&booking, &ours, holds, now).await?;
                let mut back = booking.clone();
                back.status = OrderStatus::Approved;
                back.stamp = booking.stamp.touched(next.stamp.updated_by, now);
                self.replace(&back, expected).await
            };
            let mut done = 0;
            for chunk in claims.chunks(OPS_PER_TRANSACTION) {
                if let Err(e) = self.t.transact(chunk.to_vec()).await {
                    ours.extend(current.lines[..done].iter().map(|l| l.line));
                    undo(booking, ours).await?;
                    return Err(match e {
                        StoreError::TransactionConflict { index, .. } => {
                            BookError::NotHeld(vec![current.lines[done + index].line])
                        }
                        e => e.into(),
                    });
                }
                done += chunk.len();
            }
            for chunk in categories.chunks(OPS_PER_TRANSACTION) {
                if let Err(e) = self.t.transact(chunk.to_vec()).await {
                    undo(booking, current.lines.iter().map(|l| l.line).collect()).await?;
                    return Err(match e {
                        StoreError::TransactionConflict { .. } => RepoError::Conflict("competitor").into(),
                        e => e.into(),
                    });
                }
            }
            next.stamp.version = expected + 1;
            self.replace(&next, expected).await?;
        }
        self.mark_holds_booked(&next, holds, now).await?;
        Ok(next)
    }

    /// The spots of `lines` of `order` go back to their holds as they were held (only those still
    /// booked by it; a hold that has expired meanwhile frees them at once), 100 to a transaction;
    /// a transaction refused because a spot is no longer the order's is redone spot by spot.
    async fn unbook(
        &self,
        order: &Order,
        lines: &[u32],
        holds: &BTreeMap<HoldId, Hold>,
        now: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let mut puts = Vec::new();
        for l in order.lines.iter().filter(|l| lines.contains(&l.line)) {
            let Some(hold) = holds.get(&l.hold_id) else { continue };
            let held = item::to_item(&Self::held_claim(hold, l, now))?;
            puts.push(TransactOp::Put { item: held, condition: booked_by(order, l) });
        }
        self.each_or_one_by_one(puts).await
    }

    /// Applies `ops` 100 to a transaction; a transaction refused on a condition is redone op by
    /// op, each refused one left as it is.
    async fn each_or_one_by_one(&self, ops: Vec<TransactOp>) -> Result<(), RepoError> {
        for chunk in ops.chunks(OPS_PER_TRANSACTION) {
            match self.t.transact(chunk.to_vec()).await {
                Ok(()) => {}
                Err(StoreError::TransactionConflict { .. }) => {
                    for op in chunk.iter().cloned() {
                        let done = match op {
                            TransactOp::Put { item, condition } => self.t.put(item, condition).await,
                            TransactOp::Delete { key, condition } => self.t.delete(&key, condition).await.map(|_| ()),
                            TransactOp::Update { key, update, condition } => {
                                self.t.update(&key, update, condition).await.map(|_| ())
                            }
                            TransactOp::Check { .. } => Ok(()),
                        };
                        match done {
                            Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                            Err(e) => return Err(e.into()),
                        }
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Holds whose every spot `order` booked become `booked` (a hold with spots left keeps
    /// holding them until its expiry).
    async fn mark_holds_booked(
        &self,
        order: &Order,
        holds: &BTreeMap<HoldId, Hold>,
        now: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        for hold in holds.values() {
            let all_booked = hold.spots.iter().all(|s| order.lines.iter().any(|l| l.spot == s.spot));
            if !all_booked || hold.status != HoldStatus::Active {
                continue;
            }
            let mut next = hold.clone();
            next.status = HoldStatus::Booked;
            next.stamp = hold.stamp.touched(order.stamp.updated_by, now);
            match self.replace_hold(&next, hold.stamp.version).await {
                Ok(()) | Err(RepoError::VersionConflict { .. }) | Err(RepoError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn replace_hold(&self, next: &Hold, expected: u64) -> Result<(), RepoError> {
        commit(self.t, vec![Write::replace(next, expected)?]).await
    }

    /// Cancels `current` as `next` (status `cancelled`, one version on): when it has bookings,
    /// every spot it booked is free again and its categories settle (with the separation its
    /// holds in `holds` kept), then the record moves.
    pub async fn cancel(
        &self,
        current: &Order,
        next: &Order,
        holds: &BTreeMap<HoldId, Hold>,
        now: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        if current.status.has_bookings() {
            self.release_bookings(current).await?;
            let inventory = InventoryRepo::new(self.t);
            let mut settled = Vec::new();
            for hold in holds.values() {
                let Some(c) = &hold.separation else { continue };
                if settled.contains(&(c.scope, c.category.clone())) {
                    continue;
                }
                settled.push((c.scope, c.category.clone()));
                let places: Vec<Place> =
                    current.lines.iter().map(|l| (l.spot.episode_id, l.show_id, l.air_date)).collect();
                inventory.settle(&current.advertiser_id, c, &places, now).await?;
            }
        }
        self.replace(next, current.stamp.version).await
    }

    /// Deletes every spot claim `order` booked (only its own), 100 to a transaction.
    async fn release_bookings(&self, order: &Order) -> Result<(), RepoError> {
        let ops = order
            .lines
            .iter()
            .map(|l| TransactOp::Delete {
                key: SpotClaim::key_of(self.t.org(), &l.spot),
                condition: booked_by(order, l),
            })
            .collect();
        self.each_or_one_by_one(ops).await
    }

    /// Flags `lines` of the order `id` as owed a makegood (their episode was cancelled after
    /// booking), read and written on its version, read again if it moved meanwhile. Whether
    /// anything changed (a repeat changes nothing).
    pub async fn flag_makegoods(
        &self,
        id: &OrderId,
        lines: &[u32],
        by: podcastflow_domain::UserId,
        now: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        for _ in 0..REREADS {
            let Some(o) = self.get(id).await? else { return Ok(false) };
            let mut next = o.clone();
            for l in next.lines.iter_mut().filter(|l| lines.contains(&l.line)) {
                l.needs_makegood = true;
            }
            if next.lines == o.lines {
                return Ok(false);
            }
            next.stamp = o.stamp.touched(by, now);
            match self.replace(&next, o.stamp.version).await {
                Ok(()) => return Ok(true),
                Err(RepoError::VersionConflict { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(RepoError::Conflict("order-contended"))
    }

    /// A campaign's holds by id (what an order's lines are booked from).
    pub async fn holds_of(&self, campaign: &CampaignId) -> Result<BTreeMap<HoldId, Hold>, RepoError> {
        let holds = InventoryRepo::new(self.t).holds_of(campaign).await?;
        Ok(holds.into_iter().map(|h| (h.id, h)).collect())
    }
}

/// The condition that a spot is booked by `line` of `order`.
fn booked_by(order: &Order, line: &OrderLine) -> Condition {
    Condition::All(vec![
        Condition::Equals("orderId".into(), order.id.to_string().into()),
        Condition::Equals("line".into(), line.line.into()),
    ])
}
