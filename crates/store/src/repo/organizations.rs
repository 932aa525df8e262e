//! Organizations: the tenant record (listed through the platform lookup of every organization)
//! and its slug claim, always written together.

use podcastflow_domain::keys::{self, Entity};
use podcastflow_domain::keys::{lookup, platform};
use podcastflow_domain::organization::{OrgStatus, Organization};
use podcastflow_domain::user::{Membership, User};
use podcastflow_domain::{OrgId, Stamp};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{EntityPage, RepoError, Write, commit, get};
use crate::cursor::{self, CursorCodec};
use crate::item;
use crate::table::{Query, Table};

/// An organization as the platform list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgSummary {
    /// Its id.
    pub id: OrgId,
    /// Name.
    pub name: String,
    /// Slug.
    pub slug: String,
    /// Status.
    pub status: OrgStatus,
    /// Plan.
    pub plan: String,
    /// Bookkeeping of the organization record.
    #[serde(flatten)]
    pub stamp: Stamp,
}

impl From<&Organization> for OrgSummary {
    fn from(o: &Organization) -> Self {
        Self {
            id: o.id,
            name: o.name.clone(),
            slug: o.slug.clone(),
            status: o.status,
            plan: o.plan.clone(),
            stamp: o.stamp.clone(),
        }
    }
}

/// Reads and writes organizations.
pub struct OrganizationRepo<'a> {
    table: &'a dyn Table,
    cursors: &'a CursorCodec,
}

fn slug_claim(o: &Organization) -> Result<crate::item::Item, RepoError> {
    Ok(item::value_item(&platform::slug(&o.slug), "slugClaim", &json!({"orgId": o.id}))?)
}

impl<'a> OrganizationRepo<'a> {
    /// A repository on the whole table.
    pub fn new(table: &'a dyn Table, cursors: &'a CursorCodec) -> Self {
        Self { table, cursors }
    }

    /// Creates an organization; its slug must be free.
    pub async fn create(&self, org: &Organization) -> Result<(), RepoError> {
        commit(self.table, vec![Write::create(org)?, Write::claim(slug_claim(org)?, "slug")]).await
    }

    /// Creates an organization and its first admin in one transaction: either both exist
    /// afterwards or neither (slug or e-mail taken).
    pub async fn create_with_admin(&self, org: &Organization, admin: &User) -> Result<(), RepoError> {
        commit(
            self.table,
            vec![
                Write::create(org)?,
                Write::claim(slug_claim(org)?, "slug"),
                Write::create(admin)?,
                Write::claim(super::users::claim_item(admin)?, "email"),
                Write::put(super::users::membership_item(admin, None)?),
            ],
        )
        .await
    }

    /// Removes an organization created with [`Self::create_with_admin`] whose other half (the
    /// admin's identity) could not be made.
    pub async fn undo_create_with_admin(&self, org: &Organization, admin: &User) -> Result<(), RepoError> {
        commit(
            self.table,
            vec![
                Write::delete(Organization::key_of(&org.id)),
                Write::delete(platform::slug(&org.slug)),
                Write::delete(User::key_of(&admin.org_id, &admin.id)),
                Write::delete(platform::email(&admin.email)),
                Write::delete(Membership::key_of(&admin.org_id, &admin.id)),
            ],
        )
        .await
    }

    /// Reads an organization.
    pub async fn get(&self, id: &OrgId) -> Result<Option<Organization>, RepoError> {
        get(self.table, &Organization::key_of(id)).await
    }

    /// Replaces an organization read at version `expected` (moving the slug claim if it changed).
    pub async fn update(&self, org: &Organization, expected: u64) -> Result<(), RepoError> {
        let before: Organization = super::require(self.table, &Organization::key_of(&org.id)).await?;
        let mut writes = vec![Write::replace(org, expected)?];
        if before.slug != org.slug {
            writes.push(Write::claim(slug_claim(org)?, "slug"));
            writes.push(Write::delete(platform::slug(&before.slug)));
        }
        commit(self.table, writes).await
    }

    /// Lists every organization, oldest first (a Query of the platform lookup, with platform
    /// credentials). Only organization records are listed, each under its own key: anything
    /// else a tenant put in the lookup is left out.
    pub async fn list(&self, cursor: Option<&str>, limit: u32) -> Result<EntityPage<OrgSummary>, RepoError> {
        let q = Query::partition(lookup::INDEX, lookup::ORGANIZATIONS).limit(limit);
        let page = cursor::page(self.table, self.cursors, &q, cursor).await?;
        let mut items = Vec::with_capacity(page.items.len());
        for i in page.items {
            let i = i.into_item()?;
            let key = item::key_of(&i)?;
            if item::str_attr(&i, keys::ENTITY) != Some(Organization::TYPE) {
                continue;
            }
            let org: Organization = item::from_item(i)?;
            if key == Organization::key_of(&org.id) {
                items.push(OrgSummary::from(&org));
            }
        }
        Ok(EntityPage { items, cursor: page.cursor })
    }

    /// Every organization, across pages: what the scheduled jobs visit.
    pub async fn all(&self) -> Result<Vec<OrgSummary>, RepoError> {
        super::all_pages(|cursor| async move { self.list(cursor.as_deref(), 100).await }).await
    }
}
