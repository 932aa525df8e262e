//! PodcastFlow's pure domain: everything the business rules need and nothing that does I/O.
//!
//! A newcomer's map:
//! - [`ids`], [`money`], [`validation`]: value types shared by every entity.
//! - [`role`]: roles and the verified [`role::Principal`] a request acts as.
//! - [`permissions`]: the permission table of docs/domain.md as data, and [`permissions::authorize`].
//! - one module per entity ([`organization`], [`user`], [`client`], [`campaign`], [`show`],
//!   [`episode`], [`availability`], [`notification`], [`activity`], [`backup`], [`api_key`]), each owning its
//!   fields, validation and key builders with the access patterns beside them.
//! - [`campaign::transitions`] and [`episode::transitions`]: the state machines.
//! - [`keys`]: the single-table key shape and the tenant prefix rule; [`record`]: the kinds of
//!   record in the table, which the change stream dispatches on.
//! - [`visibility`]: the kinds of entity and the one rule of which fields each reader sees of
//!   them ([`visibility::Lens`]), applied at every exit.
//! - [`topic`]: live-update topics and which changes concern them.
//! - [`connection`]: WebSocket connections, their subscriptions and presence.

pub mod activity;
pub mod ad_read;
pub mod api_key;
pub mod availability;
pub mod backup;
pub mod billing;
pub mod campaign;
pub mod client;
pub mod connection;
pub mod delivery;
pub mod episode;
pub mod ids;
pub mod inventory;
pub mod keys;
pub mod media;
pub mod money;
pub mod notification;
pub mod order;
pub mod organization;
pub mod permissions;
pub mod readers;
pub mod record;
pub mod role;
pub mod show;
pub mod stamp;
pub mod topic;
pub mod user;
pub mod validation;
pub mod visibility;
pub mod webhook;

pub use ids::*;
pub use money::{Currency, Money};
pub use role::{Principal, PrincipalKind, Role};
pub use stamp::Stamp;
pub use validation::{FieldError, ValidationErrors};
