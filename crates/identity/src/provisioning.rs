//! Creating users with their identity, shared by `users` (invitations), `organizations` (an
//! organization with its first admin) and the local stack (the platform operator). The table
//! records are written first, in one transaction, so a taken e-mail or slug fails before any
//! identity exists; if the identity then cannot be made, the records are removed again.

use chrono::Utc;
use podcastflow_domain::organization::{OrgSettings, OrgStatus, Organization};
use podcastflow_domain::user::{User, UserStatus};
use podcastflow_domain::{OrgId, Role, Stamp, UserId};
use podcastflow_store::Table;
use podcastflow_store::cursor::CursorCodec;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::organizations::OrganizationRepo;
use podcastflow_store::repo::users::UserRepo;
use thiserror::Error;

use crate::port::{Identity, IdentityError};

/// Why a user could not be created.
#[derive(Debug, Error)]
pub enum ProvisionError {
    /// The table refused (e-mail or slug taken) or failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The identity provider refused (weak temporary password) or failed.
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

/// Creates an invited user and their identity (temporary password given, or generated and mailed).
pub async fn create_user(
    table: &dyn Table,
    cursors: &CursorCodec,
    identity: &dyn Identity,
    user: &User,
    temporary_password: Option<&str>,
) -> Result<(), ProvisionError> {
    let users = UserRepo::new(table, cursors);
    users.create(user).await?;
    if let Err(e) = identity.admin_create_user(&user.id.to_string(), &user.email, temporary_password).await {
        users.undo_create(user).await?;
        return Err(e.into());
    }
    Ok(())
}

/// Creates an organization with its first admin and the admin's identity, all or nothing.
pub async fn create_organization(
    table: &dyn Table,
    cursors: &CursorCodec,
    identity: &dyn Identity,
    org: &Organization,
    admin: &User,
    temporary_password: Option<&str>,
) -> Result<(), ProvisionError> {
    let orgs = OrganizationRepo::new(table, cursors);
    orgs.create_with_admin(org, admin).await?;
    if let Err(e) = identity.admin_create_user(&admin.id.to_string(), &admin.email, temporary_password).await {
        orgs.undo_create_with_admin(org, admin).await?;
        return Err(e.into());
    }
    Ok(())
}

/// Slug of the platform operator's own organization.
pub const PLATFORM_SLUG: &str = "platform";

/// Makes sure the platform operator (master) exists: on first start, creates the platform
/// organization and the master user with `password` as their permanent password. Returns the
/// master's id when it was created now, `None` when the e-mail was already taken.
pub async fn ensure_master(
    table: &dyn Table,
    cursors: &CursorCodec,
    identity: &dyn Identity,
    email: &str,
    password: &str,
) -> Result<Option<UserId>, ProvisionError> {
    if UserRepo::new(table, cursors).find_by_email(email).await?.is_some() {
        return Ok(None);
    }
    let (org_id, master_id, now) = (OrgId::new(), UserId::new(), Utc::now());
    let stamp = Stamp::created(master_id, now);
    let org = Organization {
        id: org_id,
        name: "PodcastFlow platform".into(),
        slug: PLATFORM_SLUG.into(),
        status: OrgStatus::Active,
        plan: "platform".into(),
        settings: OrgSettings::default(),
        stamp: stamp.clone(),
    };
    let master = User {
        id: master_id,
        org_id,
        email: email.to_owned(),
        name: "Platform operator".into(),
        role: Role::Master,
        status: UserStatus::Active,
        client_id: None,
        timezone: "UTC".into(),
        avatar_url: None,
        stamp,
    };
    create_organization(table, cursors, identity, &org, &master, Some(password)).await?;
    identity.admin_set_password(&master_id.to_string(), password).await?;
    Ok(Some(master_id))
}
