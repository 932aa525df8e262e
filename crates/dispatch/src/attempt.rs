//! One attempt of one delivery, from claim to record: the delivery is claimed (a versioned
//! write, so two dispatchers never send it twice at once), signed with every secret the endpoint
//! signs with now, posted, and recorded on its schedule; then the endpoint's failing streak is
//! kept, which turns it off after three days of failures (the change stream tells the admins).

use chrono::{DateTime, Utc};
use podcastflow_domain::UserId;
use podcastflow_domain::webhook::delivery::{Attempt, WebhookDelivery};
use podcastflow_domain::webhook::endpoint::WebhookEndpoint;
use podcastflow_domain::webhook::signature::signature_header;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::webhooks::WebhookRepo;

use crate::sender::{Sender, Signed};

/// Saves tried on a version conflict before giving up (another writer keeps winning).
const SAVE_TRIES: usize = 3;

/// Why an attempt could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum AttemptError {
    /// The table failed.
    #[error(transparent)]
    Store(#[from] RepoError),
}

/// What one call did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Sent and recorded: the delivery as saved.
    Sent(WebhookDelivery),
    /// Not sent: the endpoint is turned off (the delivery is kept `skipped`).
    Skipped(WebhookDelivery),
    /// Another dispatcher or an admin holds it now.
    Taken,
}

/// A random draw from `[-1, 1]` for the retry's jitter.
fn jitter() -> f64 {
    let random = ulid::Ulid::new().random() as f64 / ((1u128 << 80) - 1) as f64;
    random * 2.0 - 1.0
}

/// Makes the attempt `d` is due, to `endpoint`, at `now`. Whether the endpoint was turned off by
/// this attempt's failure is in the second part.
pub async fn attempt(
    repo: &WebhookRepo<'_>,
    sender: &Sender,
    endpoint: &WebhookEndpoint,
    mut d: WebhookDelivery,
    now: DateTime<Utc>,
) -> Result<(Outcome, bool), AttemptError> {
    let expected = d.version;
    d.version += 1;
    if !endpoint.enabled {
        d.skip();
        return Ok(match repo.save_delivery(&d, expected).await {
            Ok(()) => (Outcome::Skipped(d), false),
            Err(RepoError::VersionConflict { .. }) => (Outcome::Taken, false),
            Err(e) => return Err(e.into()),
        });
    }
    d.claim(now);
    match repo.save_delivery(&d, expected).await {
        Ok(()) => {}
        Err(RepoError::VersionConflict { .. }) => return Ok((Outcome::Taken, false)),
        Err(e) => return Err(e.into()),
    }
    let result = match endpoint.signing_secrets(now) {
        Ok(secrets) => {
            let refs: Vec<_> = secrets.iter().collect();
            let timestamp = now.timestamp();
            let signature = signature_header(&refs, &d.id, timestamp, d.body.as_bytes());
            let signed = Signed { id: &d.id, timestamp, signature: &signature, body: &d.body };
            sender.post(&endpoint.url, signed, now).await
        }
        // Not the receiver's fault, but nothing can be signed: recorded as a failed attempt.
        Err(e) => Attempt {
            at: now,
            status: None,
            error: Some(format!("the endpoint's secret cannot be read: {e}")),
            latency_ms: 0,
            response: String::new(),
            manual: false,
        },
    };
    let ok = result.succeeded();
    let saved = record(repo, d, result).await?;
    let disabled = streak(repo, endpoint, ok, now).await?;
    Ok((Outcome::Sent(saved), disabled))
}

/// Records `result` on `d` (claimed at its version); on a conflict (an admin asked for a
/// redelivery meanwhile) the attempt is added to what is stored, which keeps its own plan.
async fn record(
    repo: &WebhookRepo<'_>,
    mut d: WebhookDelivery,
    result: Attempt,
) -> Result<WebhookDelivery, AttemptError> {
    let expected = d.version;
    d.record(result.clone(), jitter());
    d.version += 1;
    match repo.save_delivery(&d, expected).await {
        Ok(()) => return Ok(d),
        Err(RepoError::VersionConflict { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    for _ in 0..SAVE_TRIES {
        let Some(mut current) = repo.delivery(&d.org_id, &d.endpoint_id, &d.id).await? else { return Ok(d) };
        let expected = current.version;
        current.attempts.push(result.clone());
        current.version += 1;
        match repo.save_delivery(&current, expected).await {
            Ok(()) => return Ok(current),
            Err(RepoError::VersionConflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(RepoError::Conflict("webhook delivery kept changing").into())
}

/// Keeps the endpoint's failing streak after an attempt that `succeeded` or not; `true` when this
/// turned the endpoint off. Written only when the streak changes.
async fn streak(
    repo: &WebhookRepo<'_>,
    endpoint: &WebhookEndpoint,
    succeeded: bool,
    now: DateTime<Utc>,
) -> Result<bool, AttemptError> {
    let mut seen = endpoint.clone();
    for _ in 0..SAVE_TRIES {
        let before = (seen.enabled, seen.failing_since);
        let mut next = seen.clone();
        let disabled = next.delivered(succeeded, now);
        if (next.enabled, next.failing_since) == before {
            return Ok(false);
        }
        let expected = next.stamp.version;
        next.stamp = next.stamp.touched(UserId::SYSTEM, now);
        match repo.save(&next, expected).await {
            Ok(()) => return Ok(disabled),
            Err(RepoError::VersionConflict { .. }) => match repo.get(&endpoint.org_id, &endpoint.id).await? {
                Some(fresh) => seen = fresh,
                None => return Ok(false),
            },
            Err(e) => return Err(e.into()),
        }
    }
    Err(RepoError::Conflict("webhook endpoint kept changing").into())
}
