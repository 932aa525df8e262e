//! Host reads, their comments and the campaigns' briefs (keys in
//! `podcastflow_domain::ad_read`).
//!
//! **One read per booked line.** A booking delivered twice must not make two reads: each read is
//! created in one transaction with the claim `ORG#<o>#ORDER#<order>` / `ADREAD#<line>`, written
//! only if absent. Lines are read first (one Query of the order's claims), so a repeat writes
//! nothing; a race between two deliveries loses on the claim and changes nothing.
//!
//! **Moves** are read-modify-writes on the read's version: a handler answers 412 to a stale
//! If-Match, and a stream processor ([`AdReadRepo::modify`]) reads again when another write came
//! first.

use chrono::{DateTime, NaiveDate, Utc};
use podcastflow_domain::ad_read::AdRead;
use podcastflow_domain::ad_read::brief::Brief;
use podcastflow_domain::ad_read::comment::Comment;
use podcastflow_domain::keys::{Index, Key};
use podcastflow_domain::{AdReadId, BriefId, CampaignId, CommentId, EpisodeId, OrderId, ShowId, UserId};
use serde_json::json;

use super::{EntityPage, RepoError, Write, commit};
use crate::item::{self};
use crate::table::{KeyCondition, Query, Table};
use crate::tenant::TenantTable;

/// How often a processor's read-modify-write reads again after another write moved the read.
const REREADS: u32 = 8;
/// Reads created per transaction (each with its line claim: two writes).
const READS_PER_TRANSACTION: usize = 50;

/// Reads and writes one organization's host reads, comments and briefs.
pub struct AdReadRepo<'a> {
    t: &'a TenantTable,
}

impl<'a> AdReadRepo<'a> {
    /// A repository on the organization's table.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    // ---- briefs

    /// A campaign's briefs (the campaign-wide one first, then one per show).
    pub async fn briefs(&self, campaign: &CampaignId) -> Result<Vec<Brief>, RepoError> {
        let q = Query::partition(Index::Main, Brief::pk_of(self.t.org(), campaign))
            .sort(KeyCondition::BeginsWith(Brief::SK_PREFIX.into()));
        let out = self.t.query(&q).await?;
        out.items.into_iter().map(|i| item::from_item(i).map_err(RepoError::from)).collect()
    }

    /// One brief of a campaign.
    pub async fn brief(&self, campaign: &CampaignId, id: &BriefId) -> Result<Option<Brief>, RepoError> {
        Ok(self.briefs(campaign).await?.into_iter().find(|b| b.id == *id))
    }

    /// Creates a brief; [`RepoError::AlreadyExists`] when its scope (the campaign, or the show)
    /// has one.
    pub async fn create_brief(&self, b: &Brief) -> Result<(), RepoError> {
        commit(self.t, vec![Write::create(b)?]).await
    }

    /// Replaces the brief read at version `expected`.
    pub async fn replace_brief(&self, next: &Brief, expected: u64) -> Result<(), RepoError> {
        commit(self.t, vec![Write::replace(next, expected)?]).await
    }

    // ---- reads

    /// One read.
    pub async fn get(&self, id: &AdReadId) -> Result<Option<AdRead>, RepoError> {
        super::get(self.t, &AdRead::key_of(self.t.org(), id)).await
    }

    /// Many reads by id (missing ones left out).
    pub async fn get_many(&self, ids: &[AdReadId]) -> Result<Vec<AdRead>, RepoError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(100) {
            let keys: Vec<Key> = chunk.iter().map(|id| AdRead::key_of(self.t.org(), id)).collect();
            for i in self.t.batch_get(&keys).await? {
                out.push(item::from_item(i)?);
            }
        }
        out.sort_by_key(|r: &AdRead| (r.air_date, r.id));
        Ok(out)
    }

    /// The lines of `order` that have their read, with the read's id.
    pub async fn lines_of(&self, order: &OrderId) -> Result<Vec<(u32, AdReadId)>, RepoError> {
        let pk = AdRead::line_claim_key(self.t.org(), order, 0).pk;
        let q = Query::partition(Index::Main, pk).sort(KeyCondition::BeginsWith(AdRead::LINE_CLAIM_PREFIX.into()));
        let out = self.t.query(&q).await?;
        Ok(out
            .items
            .iter()
            .filter_map(|i| {
                let line = i.get("line")?.as_u64()?;
                let id = i.get("adReadId")?.as_str()?.parse().ok()?;
                Some((u32::try_from(line).ok()?, id))
            })
            .collect())
    }

    /// The reads of `order`'s lines.
    pub async fn of_order(&self, order: &OrderId) -> Result<Vec<AdRead>, RepoError> {
        let ids: Vec<AdReadId> = self.lines_of(order).await?.into_iter().map(|(_, id)| id).collect();
        self.get_many(&ids).await
    }

    /// Creates the reads of booked lines whose line has none yet; answers how many it created.
    /// Each with its line claim, all or nothing per transaction; a transaction that loses to a
    /// concurrent delivery is retried read by read.
    pub async fn create_for_lines(&self, reads: Vec<AdRead>) -> Result<u32, RepoError> {
        let Some(order) = reads.first().map(|r| r.order_id) else { return Ok(0) };
        let have: Vec<u32> = self.lines_of(&order).await?.into_iter().map(|(l, _)| l).collect();
        let fresh: Vec<AdRead> = reads.into_iter().filter(|r| !have.contains(&r.line)).collect();
        let mut created = 0;
        for chunk in fresh.chunks(READS_PER_TRANSACTION) {
            let writes = |rs: &[AdRead]| -> Result<Vec<Write>, RepoError> {
                let mut w = Vec::with_capacity(rs.len() * 2);
                for r in rs {
                    let claim = AdRead::line_claim_key(self.t.org(), &r.order_id, r.line);
                    let claim = item::value_item(&claim, "adReadLine", &json!({"line": r.line, "adReadId": r.id}))?;
                    w.push(Write::claim(claim, "ad read line"));
                    w.push(Write::create(r)?);
                }
                Ok(w)
            };
            match commit(self.t, writes(chunk)?).await {
                Ok(()) => created += chunk.len() as u32,
                Err(RepoError::Taken(_) | RepoError::AlreadyExists) => {
                    for r in chunk {
                        match commit(self.t, writes(std::slice::from_ref(r))?).await {
                            Ok(()) => created += 1,
                            Err(RepoError::Taken(_) | RepoError::AlreadyExists) => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(created)
    }

    /// Replaces the read stored at version `expected` with `next` (one version on).
    pub async fn replace(&self, next: &AdRead, expected: u64) -> Result<(), RepoError> {
        commit(self.t, vec![Write::replace(next, expected)?]).await
    }

    /// Changes the read `id` with `change` (which answers whether it changed anything) on its
    /// current version, reading again when another write came first; answers the read as
    /// stored, or `None` when it does not exist or `change` left it as it was.
    pub async fn modify(
        &self,
        id: &AdReadId,
        by: UserId,
        now: DateTime<Utc>,
        mut change: impl FnMut(&mut AdRead) -> bool,
    ) -> Result<Option<AdRead>, RepoError> {
        for _ in 0..REREADS {
            let Some(current) = self.get(id).await? else { return Ok(None) };
            let mut next = current.clone();
            if !change(&mut next) {
                return Ok(None);
            }
            next.stamp = current.stamp.touched(by, now);
            match self.replace(&next, current.stamp.version).await {
                Ok(()) => return Ok(Some(next)),
                Err(RepoError::VersionConflict { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(RepoError::Conflict("ad-read-contended"))
    }

    /// A page of a campaign's reads by air date.
    pub async fn of_campaign(
        &self,
        campaign: &CampaignId,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<AdRead>, RepoError> {
        let q = Query::partition(Index::Gsi1, AdRead::by_campaign_pk(self.t.org(), campaign)).limit(limit);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// A page of a talent's reads by air date.
    pub async fn of_talent(
        &self,
        talent: &UserId,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<AdRead>, RepoError> {
        let q = Query::partition(Index::Gsi2, AdRead::by_talent_pk(self.t.org(), talent)).limit(limit);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// A page of a show's reads by air date.
    pub async fn of_show(
        &self,
        show: &ShowId,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<AdRead>, RepoError> {
        let q = Query::partition(Index::Gsi3, AdRead::by_show_pk(self.t.org(), show)).limit(limit);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// Every read of one episode (of `show`, airing `air_date`).
    pub async fn of_episode(
        &self,
        show: &ShowId,
        air_date: NaiveDate,
        episode: &EpisodeId,
    ) -> Result<Vec<AdRead>, RepoError> {
        let q = Query::partition(Index::Gsi3, AdRead::by_show_pk(self.t.org(), show))
            .sort(KeyCondition::BeginsWith(AdRead::episode_sk_prefix(air_date, episode)));
        let out = self.t.query(&q).await?;
        out.items.into_iter().map(|i| item::from_item(i).map_err(RepoError::from)).collect()
    }

    /// A page of the reads with a deadline notice due by `now`, earliest first.
    pub async fn notices_due(
        &self,
        now: DateTime<Utc>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<AdRead>, RepoError> {
        let q = Query::partition(Index::Gsi4, AdRead::notices_pk(self.t.org()))
            .sort(KeyCondition::Le(AdRead::notice_sk(now, None)))
            .limit(limit);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    // ---- comments

    /// A page of a read's comments, oldest first.
    pub async fn comments(
        &self,
        read: &AdReadId,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Comment>, RepoError> {
        let q = Query::partition(Index::Main, AdRead::collection_pk(self.t.org(), read))
            .sort(KeyCondition::BeginsWith(Comment::SK_PREFIX.into()))
            .limit(limit);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// One comment of a read.
    pub async fn comment(&self, read: &AdReadId, id: &CommentId) -> Result<Option<Comment>, RepoError> {
        super::get(self.t, &Comment::key_of(self.t.org(), read, id)).await
    }

    /// Adds a comment.
    pub async fn create_comment(&self, c: &Comment) -> Result<(), RepoError> {
        commit(self.t, vec![Write::create(c)?]).await
    }

    /// Replaces the comment read at version `expected`.
    pub async fn replace_comment(&self, next: &Comment, expected: u64) -> Result<(), RepoError> {
        commit(self.t, vec![Write::replace(next, expected)?]).await
    }
}
