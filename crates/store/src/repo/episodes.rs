//! Episodes and the schedule items of their talent.

use chrono::NaiveDate;
use podcastflow_domain::episode::{Episode, EpisodeStatus};
use podcastflow_domain::keys::{Index, org_pk};
use podcastflow_domain::{EpisodeId, ShowId, UserId};
use serde::{Deserialize, Serialize};

use super::readers::{ReaderRepo, commit_with_entries, entry_writes};
use super::{EntityPage, RepoError, Write, all_decoded, get, link_diff};
use crate::condition::Condition;
use crate::item;
use crate::table::{KeyCondition, Query};
use crate::tenant::TenantTable;

/// One line of a talent's schedule: an episode they are on, with its dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleEntry {
    /// The episode.
    pub episode_id: EpisodeId,
    /// Its show.
    pub show_id: ShowId,
    /// Its title.
    pub title: String,
    /// When it is recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_date: Option<NaiveDate>,
    /// When it airs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub air_date: Option<NaiveDate>,
    /// The episode's status (cancelled episodes leave the upcoming schedule).
    #[serde(default)]
    pub status: Option<EpisodeStatus>,
}

/// Reads and writes one tenant's episodes.
pub struct EpisodeRepo<'a> {
    t: &'a TenantTable,
}

/// A sort key above every episode id after a date prefix.
const AFTER_IDS: &str = "~";

impl<'a> EpisodeRepo<'a> {
    /// A repository on one tenant.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    fn schedule_writes(&self, before: Option<&Episode>, e: &Episode) -> Result<Vec<Write>, RepoError> {
        let (_, removed) = link_diff(before.map_or(&[][..], |b| &b.talent_ids), &e.talent_ids);
        let entry = ScheduleEntry {
            episode_id: e.id,
            show_id: e.show_id,
            title: e.title.clone(),
            recording_date: e.recording_date,
            air_date: e.air_date,
            status: Some(e.status),
        };
        let mut writes = Vec::new();
        // Every current talent's entry is rewritten so its dates follow the episode.
        for talent in &e.talent_ids {
            let key = Episode::talent_key(self.t.org(), talent, &e.id);
            writes.push(Write::put(item::value_item(&key, "scheduleEntry", &entry)?));
        }
        for talent in &removed {
            writes.push(Write::delete(Episode::talent_key(self.t.org(), talent, &e.id)));
        }
        Ok(writes)
    }

    /// Creates an episode with its talent's schedule entries and its reader entries (its show's
    /// talent read for them).
    pub async fn create(&self, e: &Episode) -> Result<(), RepoError> {
        let mut writes = vec![Write::create(e)?];
        writes.extend(self.schedule_writes(None, e)?);
        let wanted = ReaderRepo::new(self.t).episode_wanted(e).await?;
        commit_with_entries(self.t, writes, entry_writes(&Default::default(), &wanted)?).await
    }

    /// The reader entry writes of a change from `before` to `e`: none unless its air date, show
    /// or talent changed, else its entries moved to what they give now.
    async fn reader_changes(&self, before: &Episode, e: &Episode) -> Result<Vec<Write>, RepoError> {
        if before.air_date == e.air_date && before.show_id == e.show_id && before.talent_ids == e.talent_ids {
            return Ok(Vec::new());
        }
        let readers = ReaderRepo::new(self.t);
        let current = readers.of_item(&e.id).await?;
        Ok(entry_writes(&current, &readers.episode_wanted(e).await?)?)
    }

    /// Reads an episode.
    pub async fn get(&self, id: &EpisodeId) -> Result<Option<Episode>, RepoError> {
        get(self.t, &Episode::key_of(self.t.org(), id)).await
    }

    /// Replaces an episode read at version `expected`, keeping schedules and reader entries in step.
    pub async fn update(&self, e: &Episode, expected: u64) -> Result<(), RepoError> {
        let before = self.get(&e.id).await?.ok_or(RepoError::NotFound)?;
        let mut writes = vec![Write::replace(e, expected)?];
        writes.extend(self.schedule_writes(Some(&before), e)?);
        let entries = self.reader_changes(&before, e).await?;
        commit_with_entries(self.t, writes, entries).await
    }

    /// Updates `e` as [`EpisodeRepo::update`], in one transaction with the check that each of
    /// `dropped` (spots the change takes away) is free at `now`, expired or blocked: a spot held
    /// or booked meanwhile refuses the change (`Conflict("spot-taken")`).
    pub async fn update_dropping(
        &self,
        e: &Episode,
        expected: u64,
        dropped: &[podcastflow_domain::inventory::spot::SpotRef],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), RepoError> {
        let before = self.get(&e.id).await?.ok_or(RepoError::NotFound)?;
        let mut writes = vec![Write::replace(e, expected)?];
        writes.extend(self.schedule_writes(Some(&before), e)?);
        let not_sold = Condition::Any(vec![
            Condition::NotExists,
            Condition::AtMost(podcastflow_domain::keys::EXPIRES_AT.into(), now.timestamp()),
            Condition::Equals("state".into(), "blocked".into()),
        ]);
        for spot in dropped {
            let key = podcastflow_domain::inventory::spot::SpotClaim::key_of(self.t.org(), spot);
            writes.push(Write::check(key, not_sold.clone(), super::OnConflict::Conflict("spot-taken")));
        }
        let entries = self.reader_changes(&before, e).await?;
        // The spot checks must hold with the episode's write: only the entries may follow it.
        commit_with_entries(self.t, writes, entries).await
    }

    fn ranged(q: Query, range: Option<(NaiveDate, NaiveDate)>) -> Query {
        match range {
            Some((from, to)) => q.sort(KeyCondition::Between(
                Episode::air_sk(Some(from)),
                format!("{}#{AFTER_IDS}", Episode::air_sk(Some(to))),
            )),
            None => q,
        }
    }

    /// A show's episodes by air date, optionally within `[from, to]`.
    pub async fn list_by_show(
        &self,
        show: &ShowId,
        range: Option<(NaiveDate, NaiveDate)>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Episode>, RepoError> {
        let q =
            Self::ranged(Query::partition(Index::Gsi1, Episode::by_show_pk(self.t.org(), show)).limit(limit), range);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// Lists the episodes in one status by air date, optionally within `[from, to]`.
    pub async fn list_by_status(
        &self,
        status: EpisodeStatus,
        range: Option<(NaiveDate, NaiveDate)>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Episode>, RepoError> {
        let q = Query::partition(Index::Gsi3, Episode::by_status_pk(self.t.org(), status)).limit(limit);
        EntityPage::decode(self.t.page(&Self::ranged(q, range), cursor).await?)
    }

    /// Deletes an episode read at version `expected`, with its talent's schedule items and its
    /// reader entries.
    pub async fn delete(&self, e: &Episode, expected: u64) -> Result<(), RepoError> {
        let mut writes = vec![Write::delete_versioned(Episode::key_of(self.t.org(), &e.id), expected)];
        for talent in &e.talent_ids {
            writes.push(Write::delete(Episode::talent_key(self.t.org(), talent, &e.id)));
        }
        let current = ReaderRepo::new(self.t).of_item(&e.id).await?;
        commit_with_entries(self.t, writes, entry_writes(&current, &Default::default())?).await
    }

    /// Reads many episodes (missing ones left out), in the order of `ids`.
    pub async fn get_many(&self, ids: &[EpisodeId]) -> Result<Vec<Episode>, RepoError> {
        let keys: Vec<_> = ids.iter().map(|id| Episode::key_of(self.t.org(), id)).collect();
        super::get_many(self.t, &keys).await
    }

    /// Which of `ids` were published (one batch read).
    pub async fn published_among(&self, ids: &[EpisodeId]) -> Result<std::collections::BTreeSet<EpisodeId>, RepoError> {
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        let found = self.get_many(&ids).await?;
        Ok(found.into_iter().filter(|e| e.status == EpisodeStatus::Published).map(|e| e.id).collect())
    }

    /// All episodes by air date, optionally within `[from, to]`.
    pub async fn list(
        &self,
        range: Option<(NaiveDate, NaiveDate)>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Episode>, RepoError> {
        let q = Self::ranged(Query::partition(Index::Gsi2, Episode::list_pk(self.t.org())).limit(limit), range);
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// A talent's schedule entries, in episode order.
    pub async fn schedule(&self, talent: &UserId) -> Result<Vec<ScheduleEntry>, RepoError> {
        let q = Query::partition(Index::Main, org_pk(self.t.org(), format!("TALENT#{talent}")))
            .sort(KeyCondition::BeginsWith("EPISODE#".into()));
        all_decoded(self.t, &q).await
    }
}
