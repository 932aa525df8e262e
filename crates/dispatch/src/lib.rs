//! Webhook deliveries sent (issue 27): [`sender`] posts one signed body to one URL, judging every
//! address it would connect to by the destination rules after DNS resolution; [`attempt`] makes
//! the attempt a delivery is due, records it and keeps the endpoint's failing streak. The
//! dispatcher (scheduled) and the `webhooks` API (a test ping, a redelivery by hand) both send
//! through here.

pub mod attempt;
pub mod sender;

pub use attempt::{AttemptError, Outcome, attempt};
pub use sender::{Sender, SenderError};

use podcastflow_domain::webhook::destination::DestinationRules;

/// The setting that names the destination rules: `local` in the local stack; anything else (or
/// nothing, as in AWS) is AWS's.
pub const DESTINATIONS_SETTING: &str = "WEBHOOK_DESTINATIONS";

/// The rules a setting's value names.
pub fn rules_of(setting: Option<&str>) -> DestinationRules {
    match setting {
        Some("local") => DestinationRules::LOCAL,
        _ => DestinationRules::AWS,
    }
}
