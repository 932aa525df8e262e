//! Outbound webhooks (issue 27): signed deliveries of business events to an organization's
//! endpoints. The rules live here, without I/O: the endpoints and their secrets ([`endpoint`]),
//! the event catalogue and envelope ([`event`]), one event's delivery and its attempts
//! ([`delivery`]), the signature ([`signature`]), which addresses a delivery may reach
//! ([`destination`]) and when a failed delivery is tried again and a failing endpoint disabled
//! ([`schedule`]).

pub mod delivery;
pub mod destination;
pub mod endpoint;
pub mod event;
pub mod schedule;
pub mod signature;
