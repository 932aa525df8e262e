//! Loading a campaign with the facts the policy looks at, and what its reader sees.

use podcastflow_domain::campaign::Campaign;
use podcastflow_domain::campaign::team::TeamMember;
use podcastflow_domain::campaign::view::CampaignView;
use podcastflow_domain::policy::{Action, CampaignFacts, Resource};
use podcastflow_domain::{CampaignId, Principal, Role};
use podcastflow_platform::{Failure, allow, not_found};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::campaigns::CampaignRepo;
use podcastflow_store::repo::clients::ClientRepo;
use podcastflow_store::repo::shows::ShowRepo;

use crate::CampaignsApp;

/// A campaign the principal may act on, with its team and the principal's view of it.
pub(crate) struct Loaded {
    /// The campaign as stored.
    pub campaign: Campaign,
    /// Its team.
    pub team: Vec<TeamMember>,
    /// What the principal sees of it.
    pub view: CampaignView,
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
        let repo = CampaignRepo::new(t);
        let campaign = repo.get(&id).await?.ok_or_else(not_found)?;
        let team = repo.team(&id).await?;
        let client_sellers = match (p.role, campaign.client_id) {
            (Role::Seller, Some(client)) => {
                ClientRepo::new(t).get(&client).await?.map(|c| c.assigned_seller_ids).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        let show_producers = match p.role {
            Role::Producer => ShowRepo::new(t)
                .get_many(&campaign.targeting.show_ids)
                .await?
                .into_iter()
                .flat_map(|s| s.producer_ids)
                .collect(),
            _ => Vec::new(),
        };
        let facts = CampaignFacts {
            org: campaign.org_id,
            owner: campaign.owner_id,
            client: campaign.client_id,
            team: &team,
            client_sellers: &client_sellers,
            show_producers: &show_producers,
        };
        let granted = allow(p, action, &Resource::Campaign(facts))?;
        let view = CampaignView::of(granted, p.role, p.user_id, &team);
        Ok(Loaded { campaign, team, view })
    }
}
