//! Shows and the assignment items of their producers and talent.

use podcastflow_domain::keys::{Index, Key};
use podcastflow_domain::show::{Show, ShowPart};
use podcastflow_domain::{ShowId, UserId};
use serde_json::json;

use super::readers::ReaderRepo;
use super::{EntityPage, RepoError, Write, all_items, commit, get, get_many, ids_in, link_diff, link_item};
use crate::table::{KeyCondition, Query};
use crate::tenant::TenantTable;

/// Reads and writes one tenant's shows.
pub struct ShowRepo<'a> {
    t: &'a TenantTable,
}

impl<'a> ShowRepo<'a> {
    /// A repository on one tenant.
    pub fn new(t: &'a TenantTable) -> Self {
        Self { t }
    }

    fn link(&self, user: &UserId, show: &ShowId, part: ShowPart) -> Result<Write, RepoError> {
        let key = Show::assignment_key(self.t.org(), user, show, part);
        Ok(Write::put(link_item(&key, "showAssignment", json!({"showId": show, "userId": user, "part": part}))?))
    }

    fn link_changes(&self, before: Option<&Show>, after: &Show) -> Result<Vec<Write>, RepoError> {
        let mut writes = Vec::new();
        let empty = Vec::new();
        for (part, old, new) in [
            (ShowPart::Producer, before.map_or(&empty, |b| &b.producer_ids), &after.producer_ids),
            (ShowPart::Talent, before.map_or(&empty, |b| &b.talent_ids), &after.talent_ids),
        ] {
            let (added, removed) = link_diff(old, new);
            for u in &added {
                writes.push(self.link(u, &after.id, part)?);
            }
            for u in &removed {
                writes.push(Write::delete(Show::assignment_key(self.t.org(), u, &after.id, part)));
            }
        }
        Ok(writes)
    }

    /// Creates a show with its assignments.
    pub async fn create(&self, s: &Show) -> Result<(), RepoError> {
        let mut writes = vec![Write::create(s)?];
        writes.extend(self.link_changes(None, s)?);
        commit(self.t, writes).await
    }

    /// Reads a show.
    pub async fn get(&self, id: &ShowId) -> Result<Option<Show>, RepoError> {
        get(self.t, &Show::key_of(self.t.org(), id)).await
    }

    /// Replaces a show read at version `expected`, moving assignments as they changed, and then the
    /// reader entries of the campaigns targeting it with its producers and of its episodes with its
    /// talent.
    pub async fn update(&self, s: &Show, expected: u64) -> Result<(), RepoError> {
        let before = self.get(&s.id).await?.ok_or(RepoError::NotFound)?;
        let mut writes = vec![Write::replace(s, expected)?];
        writes.extend(self.link_changes(Some(&before), s)?);
        commit(self.t, writes).await?;
        ReaderRepo::new(self.t).follow_show(&before, s).await
    }

    /// Lists shows by name, optionally those starting with a prefix.
    pub async fn list(
        &self,
        name_prefix: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage<Show>, RepoError> {
        let mut q = Query::partition(Index::Gsi1, Show::list_pk(self.t.org())).limit(limit);
        if let Some(p) = name_prefix {
            q = q.sort(KeyCondition::BeginsWith(format!("NAME#{}", podcastflow_domain::keys::sortable_name(p))));
        }
        EntityPage::decode(self.t.page(&q, cursor).await?)
    }

    /// The shows a user is assigned to (as producer or talent), each once.
    pub async fn assigned_to(&self, user: &UserId) -> Result<Vec<ShowId>, RepoError> {
        let q = Query::partition(Index::Main, Show::assignments_pk(self.t.org(), user));
        let mut ids: Vec<ShowId> = ids_in(&all_items(self.t, &q).await?, "showId");
        ids.dedup();
        Ok(ids)
    }

    /// Reads many shows (missing ones left out), in the order of `ids`.
    pub async fn get_many(&self, ids: &[ShowId]) -> Result<Vec<Show>, RepoError> {
        let keys: Vec<Key> = ids.iter().map(|id| Show::key_of(self.t.org(), id)).collect();
        get_many(self.t, &keys).await
    }
}
