//! A campaign's team: members, their team role and their permissions.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::{Entity, Index, Key, org_pk};
use crate::{CampaignId, OrgId, UserId};

use super::Campaign;

/// The part a member plays on the campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TeamRole {
    /// The owning seller; has every permission.
    Owner,
    /// A supporting seller.
    Seller,
    /// A producer of a targeted show.
    Producer,
    /// Talent reading the ads.
    Talent,
    /// A client user following the campaign (only on their own client's campaigns).
    ClientContact,
}

/// What a member may do on the campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TeamPermission {
    /// Read the campaign.
    View,
    /// Change its fields and move its status.
    Edit,
    /// Add, change and remove members.
    ManageTeam,
    /// Approve deliverables on behalf of the team.
    Approve,
    /// See budget and financial fields.
    ViewFinancials,
}

impl TeamPermission {
    /// Every permission (what the owner has).
    pub const ALL: [TeamPermission; 5] = [
        TeamPermission::View,
        TeamPermission::Edit,
        TeamPermission::ManageTeam,
        TeamPermission::Approve,
        TeamPermission::ViewFinancials,
    ];
}

/// One member of a campaign team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamMember {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Its organization.
    pub org_id: OrgId,
    /// The member.
    pub user_id: UserId,
    /// Their part.
    pub role: TeamRole,
    /// What they may do (the owner implicitly has all).
    pub permissions: BTreeSet<TeamPermission>,
    /// When they were added.
    pub added_at: DateTime<Utc>,
    /// Who added them.
    pub added_by: UserId,
    /// Who last changed their role or permissions (the change stream's actor for that change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<UserId>,
    /// When their role or permissions last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Version of this membership.
    pub version: u64,
}

impl TeamMember {
    /// Whether the member holds a permission (owners hold all).
    pub fn has(&self, p: TeamPermission) -> bool {
        self.role == TeamRole::Owner || self.permissions.contains(&p)
    }

    /// Largest team: a draft's delete removes the record, the team and the show links in one
    /// transaction of at most 100 items.
    pub const MAX_MEMBERS: usize = 40;

    /// Sort key prefix of member items in the campaign's collection.
    pub const PREFIX: &'static str = "MEMBER#";

    /// Key of a member item.
    pub fn key_of(org: &OrgId, campaign: &CampaignId, user: &UserId) -> Key {
        Key::new(Campaign::collection_pk(org, campaign), format!("{}{user}", Self::PREFIX))
    }

    /// GSI1 partition listing the campaigns a user is on.
    pub fn by_user_pk(org: &OrgId, user: &UserId) -> String {
        org_pk(org, format!("USER#{user}#CAMPAIGNS"))
    }
}

impl Entity for TeamMember {
    const TYPE: &'static str = "teamMember";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.campaign_id, &self.user_id)
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        vec![(
            Index::Gsi1,
            Key::new(Self::by_user_pk(&self.org_id, &self.user_id), format!("CAMPAIGN#{}", self.campaign_id)),
        )]
    }
    fn version(&self) -> u64 {
        self.version
    }
}
