//! Users and their membership of an organization.
//!
//! Keys and access patterns:
//! - the user record: `ORG#<o>#USER#<u>` / `PROFILE` (get by id within the tenant);
//! - list the organization's users by name: GSI1 `ORG#<o>#USERS` / `NAME#<name>#<u>`;
//! - list by role: GSI2 `ORG#<o>#USERS#ROLE#<role>` / `NAME#<name>#<u>`;
//! - sign-in lookup and uniqueness of e-mail: [`crate::keys::platform::email`];
//! - the membership the authorizer reads: `ORG#<o>#USER#<u>` / `MEMBERSHIP`, found by the user
//!   alone through the lookup GSI1 [`crate::keys::lookup::user`] / `MEMBERSHIP`;
//! - a revoked sign-in: `ORG#<o>#USER#<u>` / `REVOKED#<origin_jti>`, in the same lookup
//!   partition (GSI1 sort key `REVOKED#<origin_jti>`), so one Query answers both.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::{Entity, Index, Key, PROFILE, org_pk, sortable_name};
use crate::{ClientId, OrgId, Role, Stamp, UserId, ValidationErrors};

/// Whether a user may act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// Invited, has not signed in yet.
    Invited,
    /// Normal.
    Active,
    /// Denied on the next request.
    Disabled,
}

/// A person using PodcastFlow within one organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// Its organization.
    pub org_id: OrgId,
    /// Unique across the platform, compared case-insensitively.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role within the organization.
    pub role: Role,
    /// Invited, active or disabled.
    pub status: UserStatus,
    /// For role client: the client they belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
    /// IANA time zone for dates shown to them.
    pub timezone: String,
    /// Picture shown beside their name (an https URL they chose).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// Bookkeeping.
    #[serde(flatten)]
    pub stamp: Stamp,
}

/// What the authorizer needs to know about a user on every request: kept in the user's
/// organization beside their record, found through [`crate::keys::lookup::user`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    /// The user.
    pub user_id: UserId,
    /// Their organization.
    pub org_id: OrgId,
    /// Their role.
    pub role: Role,
    /// Their status.
    pub status: UserStatus,
    /// For client users, their client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
    /// Tokens issued before this instant are refused (role change, disable, sign-out everywhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_valid_after: Option<DateTime<Utc>>,
    /// Version, bumped with the user record.
    pub version: u64,
}

/// GSI1 sort key of a membership in its user's lookup partition.
pub const MEMBERSHIP_SK: &str = "MEMBERSHIP";

/// GSI1 (and table) sort key prefix of a revoked sign-in in its user's partitions.
pub const REVOKED_PREFIX: &str = "REVOKED#";

impl Membership {
    /// Where `user`'s membership of `org` is kept.
    pub fn key_of(org: &OrgId, user: &UserId) -> Key {
        Key::new(org_pk(org, format!("USER#{user}")), MEMBERSHIP_SK)
    }

    /// Where a revoked sign-in (by the `origin_jti` every token of that sign-in carries) of
    /// `user` of `org` is kept: the authorizer refuses those tokens.
    pub fn revoked_key(org: &OrgId, user: &UserId, origin: &str) -> Key {
        Key::new(org_pk(org, format!("USER#{user}")), format!("{REVOKED_PREFIX}{origin}"))
    }
}

/// A user's own preferences (`GET/PUT /users/me/preferences`).
///
/// Key: `ORG#<o>#USER#<u>` / `PREFERENCES`, beside the user record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Preferences {
    /// Per notification type (e.g. `campaign.transitioned`): whether to e-mail it. Types not
    /// named follow the default: e-mail for high and urgent priority.
    #[serde(default)]
    pub email: std::collections::BTreeMap<String, bool>,
    /// A daily digest of unread notifications instead of single e-mails.
    #[serde(default)]
    pub daily_digest: bool,
}

/// Most notification types a preference list may name.
pub const MAX_PREFERENCE_TYPES: usize = 64;

impl Preferences {
    /// Whether a notification of `kind` and `priority` is e-mailed on its own: security notices
    /// always; a type the user named as they chose; otherwise urgent ones, and high ones unless
    /// the user takes the daily digest (which gathers what they did not read).
    pub fn emails(&self, kind: &str, priority: crate::notification::Priority) -> bool {
        use crate::notification::{NotificationType, Priority};
        if kind.parse::<NotificationType>().is_ok_and(|t| t.is_security()) {
            return true;
        }
        match self.email.get(kind) {
            Some(chosen) => *chosen,
            None => priority == Priority::Urgent || (!self.daily_digest && priority.emailed_by_default()),
        }
    }

    /// Field errors, if any.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut v = ValidationErrors::new();
        if self.email.len() > MAX_PREFERENCE_TYPES {
            v.add("email", "too_many", format!("at most {MAX_PREFERENCE_TYPES} notification types"));
        }
        for t in self.email.keys() {
            if t.parse::<crate::notification::NotificationType>().is_err() {
                v.add(format!("email.{t}"), "unknown", "a notification type such as campaign.approved");
            }
        }
        v.into_result()
    }

    /// The key of a user's preferences.
    pub fn key_of(org: &OrgId, user: &UserId) -> Key {
        Key::new(org_pk(org, format!("USER#{user}")), "PREFERENCES")
    }
}

impl User {
    /// Field errors, if any.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut v = ValidationErrors::new();
        v.email("email", &self.email);
        v.text("name", &self.name, 120);
        match (self.role, self.client_id) {
            (Role::Client, None) => v.add("clientId", "required", "required for role client"),
            (r, Some(_)) if r != Role::Client => {
                v.add("clientId", "not_allowed", "only users with role client belong to a client")
            }
            _ => {}
        }
        if !crate::organization::is_plausible_timezone(&self.timezone) {
            v.add("timezone", "invalid", "must be an IANA time zone such as Europe/Berlin");
        }
        if let Some(url) = &self.avatar_url {
            v.https_url("avatarUrl", url);
        }
        v.into_result()
    }

    /// The record's key.
    pub fn key_of(org: &OrgId, id: &UserId) -> Key {
        Key::new(org_pk(org, format!("USER#{id}")), PROFILE)
    }

    /// GSI1 partition listing the organization's users.
    pub fn list_pk(org: &OrgId) -> String {
        org_pk(org, "USERS")
    }

    /// GSI2 partition listing the organization's users of one role.
    pub fn by_role_pk(org: &OrgId, role: Role) -> String {
        org_pk(org, format!("USERS#ROLE#{role}"))
    }

    /// The membership the authorizer reads for this user.
    pub fn membership(&self, tokens_valid_after: Option<DateTime<Utc>>) -> Membership {
        Membership {
            user_id: self.id,
            org_id: self.org_id,
            role: self.role,
            status: self.status,
            client_id: self.client_id,
            tokens_valid_after,
            version: self.stamp.version,
        }
    }
}

impl Entity for User {
    const TYPE: &'static str = "user";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.id)
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        let sk = format!("NAME#{}#{}", sortable_name(&self.name), self.id);
        vec![
            (Index::Gsi1, Key::new(Self::list_pk(&self.org_id), sk.clone())),
            (Index::Gsi2, Key::new(Self::by_role_pk(&self.org_id, self.role), sk)),
        ]
    }
    fn version(&self) -> u64 {
        self.stamp.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn user(role: Role) -> User {
        User {
            id: UserId::new(),
            org_id: OrgId::new(),
            email: "ada@example.com".into(),
            name: "Ada".into(),
            role,
            status: UserStatus::Active,
            client_id: None,
            timezone: "UTC".into(),
            avatar_url: None,
            stamp: Stamp::created(UserId::new(), Utc::now()),
        }
    }

    #[test]
    fn client_users_need_a_client_and_others_must_not_have_one() {
        let mut u = user(Role::Client);
        assert!(u.validate().unwrap_err().has("clientId"));
        u.client_id = Some(ClientId::new());
        assert!(u.validate().is_ok());
        u.role = Role::Seller;
        assert!(u.validate().unwrap_err().has("clientId"));
    }

    #[test]
    fn bad_email_name_and_timezone_are_reported_together() {
        let mut u = user(Role::Admin);
        u.email = "nope".into();
        u.name = "".into();
        u.timezone = "Mars".into();
        let e = u.validate().unwrap_err();
        assert!(e.has("email") && e.has("name") && e.has("timezone"));
    }

    #[test]
    fn e_mail_follows_priority_unless_the_user_chose() {
        use crate::notification::Priority;
        let mut p = Preferences::default();
        assert!(p.emails("campaign.approved", Priority::High) && !p.emails("episode.assigned", Priority::Normal));
        p.email.insert("episode.assigned".into(), true);
        p.email.insert("campaign.approved".into(), false);
        assert!(p.emails("episode.assigned", Priority::Normal) && !p.emails("campaign.approved", Priority::High));
        p.daily_digest = true;
        assert!(!p.emails("campaign.lost", Priority::High), "the digest instead");
        assert!(p.emails("backup.failed", Priority::Urgent), "urgent unless chosen otherwise");
        p.email.insert("backup.failed".into(), false);
        assert!(!p.emails("backup.failed", Priority::Urgent), "urgent ones follow the user's choice");
        p.email.insert("security.role_changed".into(), false);
        assert!(p.emails("security.role_changed", Priority::Urgent), "security notices always");
        assert!(p.emails("security.role_changed", Priority::Low), "whatever their priority");
        p.daily_digest = false;
        p.email.clear();
        assert!(p.emails("backup.failed", Priority::Urgent) && p.emails("campaign.lost", Priority::High));
        assert!(!p.emails("user.invited", Priority::Low));
    }

    #[test]
    fn at_most_64_types_are_named() {
        let many = |n: usize| Preferences {
            email: (0..n).map(|i| (format!("campaign.approved{i}"), true)).collect(),
            daily_digest: false,
        };
        assert!(!many(MAX_PREFERENCE_TYPES).validate().unwrap_err().has("email"));
        assert!(many(MAX_PREFERENCE_TYPES + 1).validate().unwrap_err().has("email"));
    }

    #[test]
    fn a_user_is_listed_by_name_and_by_role_in_its_organization() {
        let mut u = user(Role::Seller);
        u.stamp.version = 7;
        assert_eq!(u.org_id(), &u.org_id);
        assert_eq!(Entity::version(&u), 7);
        let keys = u.index_keys();
        let pk = |i: Index| keys.iter().find(|(x, _)| *x == i).map(|(_, k)| k.pk.clone());
        assert_eq!(pk(Index::Gsi1), Some(org_pk(&u.org_id, "USERS")));
        assert_eq!(pk(Index::Gsi2), Some(org_pk(&u.org_id, "USERS#ROLE#seller")));
        assert_eq!(keys[0].1.sk, keys[1].1.sk);
        assert!(keys[0].1.sk.ends_with(&u.id.to_string()));
    }

    #[test]
    fn preferences_name_only_known_notification_types() {
        let mut p = Preferences::default();
        p.email.insert("campaign.approved".into(), false);
        assert!(p.validate().is_ok());
        p.email.insert("backup.finished".into(), true);
        p.email.insert("campaign.transitioned".into(), true);
        let errors = p.validate().unwrap_err();
        assert!(errors.has("email.backup.finished") && errors.has("email.campaign.transitioned"));
    }
}
