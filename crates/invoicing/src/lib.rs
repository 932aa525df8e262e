//! Billing's work on the store, shared by the `billing` function (an admin's draft by hand) and
//! the `billing-job` (the monthly drafts): gathering how each order line was used in a month
//! ([`usage`]) and drafting an order's invoice with its claims ([`drafting`]). The rules are in
//! `podcastflow_domain::billing`; this crate only reads and writes.

pub mod document;
pub mod drafting;
pub mod usage;
