//! Loading a campaign with the facts the policy looks at, and what its reader sees.

use podcastflow_domain::campaign::Campaign;
use podcastflow_domain::campaign::team::TeamMember;
use podcastflow_domain::permissions::{Action, CampaignFacts, Resource};
use podcastflow_domain::visibility::Lens;
use podcastflow_domain::{CampaignId, Principal};
use podcastflow_platform::visibility::{CampaignRelations, Needs};
use podcastflow_platform::{Failure, allow, not_found};
use podcastflow_store::TenantTable;

use crate::CampaignsApp;

/// A campaign the principal may act on, with its team and the principal's view of it.
pub(crate) struct Loaded {
    /// The campaign as stored.
    pub campaign: Campaign,
    /// Its team and the other relations the policy looked at.
    pub relations: CampaignRelations,
    /// What the principal sees of it.
    pub view: Lens,
}

impl Loaded {
    /// The campaign's team.
    pub fn team(&self) -> &[TeamMember] {
        &self.relations.team
    }

    /// The facts the policy judges the campaign by.
    pub fn facts(&self) -> CampaignFacts<'_> {
        self.relations.facts(&self.campaign)
    }
}

impl CampaignsApp {
    /// A campaign the principal may apply `action` to: 404 when they may not read it (or it does
    /// not exist), 403 when they read it but may not do this. Costs one get and one query, plus one
    /// get for a seller (the client's sellers) or one batch get for a producer (the shows' producers).
    pub(crate) async fn authorized(
        &self,
        p: &Principal,
        t: &TenantTable,
        id: &str,
        action: Action,
    ) -> Result<Loaded, Failure> {
        let id: CampaignId = id.parse().map_err(|_| not_found())?;
        let (campaign, rel) =
            CampaignRelations::load_campaign(t, Needs::of(p.role), &id).await?.ok_or_else(not_found)?;
        let granted = allow(p, action, &Resource::Campaign(rel.facts(&campaign)))?;
        let view = rel.lens(p, granted);
        Ok(Loaded { campaign, relations: rel, view })
    }
}
