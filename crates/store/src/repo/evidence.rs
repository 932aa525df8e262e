//! Evidence of the delivery counts: the index of the ingest's evidence objects and the exports
//! users ask for (keys and access patterns in `podcastflow_domain::delivery::evidence`).

use chrono::NaiveDate;
use podcastflow_domain::EpisodeId;
use podcastflow_domain::delivery::evidence::{
    EVIDENCE_CHUNK, EVIDENCE_EXPORT, EvidenceChunk, EvidenceExport, evidence_pk,
};
use podcastflow_domain::keys::{Index, Key};

use super::RepoError;
use crate::condition::Condition;
use crate::item;
use crate::table::{KeyCondition, Query, StoreError, Table};
use crate::tenant::TenantTable;

/// Reads and writes one organization's evidence index and exports.
pub struct EvidenceRepo<'a> {
    t: &'a TenantTable,
}

impl<'a> EvidenceRepo<'a> {
    /// A repository on the organization's table.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    /// Records that `chunk` is stored (again, for a replayed chunk: the same key).
    pub async fn record_chunk(&self, key: &Key, chunk: &EvidenceChunk) -> Result<(), RepoError> {
        let item = item::value_item(key, EVIDENCE_CHUNK, chunk)?;
        Ok(self.t.put(item, Condition::Always).await?)
    }

    /// The evidence objects of `episode` for the UTC days `[from, to]`.
    pub async fn chunks(
        &self,
        episode: &EpisodeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<EvidenceChunk>, RepoError> {
        let range = KeyCondition::Between(format!("DAY#{from}"), format!("DAY#{to}~"));
        let mut q = Query::partition(Index::Main, evidence_pk(self.t.org(), episode)).sort(range).limit(500);
        let mut out = Vec::new();
        loop {
            let page = self.t.query(&q).await?;
            for it in page.items {
                out.push(item::from_item(item::without_bookkeeping(it))?);
            }
            match page.last_key {
                Some(last) => q.start_after = Some(last),
                None => return Ok(out),
            }
        }
    }

    /// Stores a new export.
    pub async fn create(&self, export: &EvidenceExport) -> Result<(), RepoError> {
        let item = item::value_item(&EvidenceExport::key_of(self.t.org(), &export.id), EVIDENCE_EXPORT, export)?;
        match self.t.put(item, Condition::NotExists).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed { .. }) => Err(RepoError::Conflict("evidence export exists")),
            Err(e) => Err(e.into()),
        }
    }

    /// Export `id`, if any.
    pub async fn get(&self, id: &str) -> Result<Option<EvidenceExport>, RepoError> {
        match self.t.get(&EvidenceExport::key_of(self.t.org(), id)).await? {
            Some(it) => Ok(Some(item::from_item(item::without_bookkeeping(it))?)),
            None => Ok(None),
        }
    }

    /// Saves an export's outcome.
    pub async fn save(&self, export: &EvidenceExport) -> Result<(), RepoError> {
        let item = item::value_item(&EvidenceExport::key_of(self.t.org(), &export.id), EVIDENCE_EXPORT, export)?;
        Ok(self.t.put(item, Condition::Always).await?)
    }
}
