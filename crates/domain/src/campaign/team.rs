//! A campaign's team: members, their team role and their permissions.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::{Entity, Index, Key, org_pk};
use crate::{CampaignId, OrgId, Principal, Role, UserId};

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

/// Why a change to a team is refused to someone who may manage it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeamChangeRefusal {
    /// Nobody adds, changes or removes their own entry.
    #[error("nobody changes their own team entry")]
    OwnEntry,
    /// A member grants only permissions they hold.
    #[error("you can grant only permissions you hold")]
    BeyondOwnPermissions(Vec<TeamPermission>),
}

/// Whether `actor`, whom the policy lets manage the team, may give `target` the permissions
/// `granted` (empty for a removal): nobody changes their own entry, and a member who is neither
/// the owner nor an admin grants only permissions they hold themselves.
pub fn check_team_change(
    actor: &Principal,
    team: &[TeamMember],
    target: UserId,
    granted: &BTreeSet<TeamPermission>,
) -> Result<(), TeamChangeRefusal> {
    if target == actor.user_id {
        return Err(TeamChangeRefusal::OwnEntry);
    }
    if matches!(actor.role, Role::Master | Role::Admin) {
        return Ok(());
    }
    let held = |p: &TeamPermission| team.iter().any(|m| m.user_id == actor.user_id && m.has(*p));
    let beyond: Vec<TeamPermission> = granted.iter().filter(|p| !held(p)).copied().collect();
    if beyond.is_empty() { Ok(()) } else { Err(TeamChangeRefusal::BeyondOwnPermissions(beyond)) }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PrincipalKind;

    fn member(user: UserId, role: TeamRole, permissions: &[TeamPermission]) -> TeamMember {
        TeamMember {
            campaign_id: CampaignId::new(),
            org_id: OrgId::new(),
            user_id: user,
            role,
            permissions: permissions.iter().copied().collect(),
            added_at: Utc::now(),
            added_by: user,
            updated_by: None,
            updated_at: None,
            version: 1,
        }
    }

    fn principal(user: UserId, role: Role) -> Principal {
        Principal { user_id: user, org_id: OrgId::new(), role, client_id: None, kind: PrincipalKind::User }
    }

    fn set(p: &[TeamPermission]) -> BTreeSet<TeamPermission> {
        p.iter().copied().collect()
    }

    #[test]
    fn members_grant_only_what_they_hold_and_never_to_themselves() {
        use TeamPermission::*;
        let (me, owner, other) = (UserId::new(), UserId::new(), UserId::new());
        let team = [member(owner, TeamRole::Owner, &[]), member(me, TeamRole::Producer, &[View, Edit, ManageTeam])];
        let producer = principal(me, Role::Producer);
        assert_eq!(check_team_change(&producer, &team, other, &set(&[View, Edit])), Ok(()));
        assert_eq!(
            check_team_change(&producer, &team, other, &set(&[View, Approve, ViewFinancials])),
            Err(TeamChangeRefusal::BeyondOwnPermissions(vec![Approve, ViewFinancials]))
        );
        assert_eq!(check_team_change(&producer, &team, me, &set(&[View])), Err(TeamChangeRefusal::OwnEntry));
        assert_eq!(check_team_change(&producer, &team, me, &set(&[])), Err(TeamChangeRefusal::OwnEntry));
        // The owner holds every permission; admins grant anything, but not to themselves.
        let seller = principal(owner, Role::Seller);
        assert_eq!(check_team_change(&seller, &team, other, &TeamPermission::ALL.into_iter().collect()), Ok(()));
        let admin = principal(UserId::new(), Role::Admin);
        assert_eq!(check_team_change(&admin, &team, other, &set(&[Approve])), Ok(()));
        assert_eq!(check_team_change(&admin, &team, admin.user_id, &set(&[])), Err(TeamChangeRefusal::OwnEntry));
        // Someone not on the team (a seller of the client) holds nothing to grant.
        let outsider = principal(UserId::new(), Role::Seller);
        assert!(check_team_change(&outsider, &team, other, &set(&[View])).is_err());
        assert_eq!(check_team_change(&outsider, &team, other, &set(&[])), Ok(()));
    }
}
