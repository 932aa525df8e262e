//! Roles and the verified principal a request acts as.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{ClientId, OrgId, UserId};

/// The six roles of docs/domain.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The platform operator: creates and oversees organizations.
    Master,
    /// Runs one organization's account.
    Admin,
    /// Wins advertisers and books campaigns.
    Seller,
    /// Runs shows and episodes.
    Producer,
    /// Hosts: records episodes and host-read ads.
    Talent,
    /// An advertiser or agency user following their own campaigns.
    Client,
}

impl Role {
    /// Every role, in the column order of the permission table.
    pub const ALL: [Role; 6] = [Role::Master, Role::Admin, Role::Seller, Role::Producer, Role::Talent, Role::Client];

    /// The lower-case name used in the API and in tokens.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Master => "master",
            Role::Admin => "admin",
            Role::Seller => "seller",
            Role::Producer => "producer",
            Role::Talent => "talent",
            Role::Client => "client",
        }
    }

    /// Master and admin administer an organization.
    pub fn is_admin_or_master(&self) -> bool {
        matches!(self, Role::Master | Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not a role.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown role: expected master, admin, seller, producer, talent or client")]
pub struct UnknownRole;

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, UnknownRole> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or(UnknownRole)
    }
}

/// How the principal authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PrincipalKind {
    /// A person with a bearer token.
    User,
    /// A machine with an API key scoped to one org and role.
    ApiKey,
    /// The platform itself (scheduled jobs, stream processors).
    System,
}

/// The verified identity a request acts as, built only from the authorizer's context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Principal {
    /// The user (or the API key's owner).
    pub user_id: UserId,
    /// The organization the request acts in; for master, the one chosen explicitly.
    pub org_id: OrgId,
    /// The role within that organization.
    pub role: Role,
    /// For client users: the client they belong to.
    pub client_id: Option<ClientId>,
    /// How they authenticated.
    pub kind: PrincipalKind,
}
