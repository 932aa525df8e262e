//! End to end through the local stack over real HTTP.

mod activities;
mod ad_reads;
mod authorizer;
mod backups;
pub(crate) mod campaigns;
mod clients;
mod episodes;
mod gateway;
mod hardening;
mod identity;
mod inventory;
mod live;
mod media;
mod notifications;
mod operations;
mod orders;
mod readers;
mod resources;
mod robustness;
mod roles;
mod s3;
mod schedules;
mod shows;
mod stream;
mod usage;
mod views;
mod websocket;
