//! The catalogue of notification types: the `type` of every notification, the key a user's
//! e-mail preferences name, and the list `docs/domain.md` documents (a test keeps them equal).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum NotificationType {
    /// A user was added to a campaign's team.
    #[serde(rename = "campaign.team.added")]
    CampaignTeamAdded,
    /// A campaign waits for an admin's approval.
    #[serde(rename = "campaign.needs_approval")]
    CampaignNeedsApproval,
    /// A campaign was approved (won).
    #[serde(rename = "campaign.approved")]
    CampaignApproved,
    /// A campaign went back from approval to negotiation.
    #[serde(rename = "campaign.rejected")]
    CampaignRejected,
    /// A campaign was lost.
    #[serde(rename = "campaign.lost")]
    CampaignLost,
    /// Talent was put on an episode.
    #[serde(rename = "episode.assigned")]
    EpisodeAssigned,
    /// An episode was scheduled.
    #[serde(rename = "episode.scheduled")]
    EpisodeScheduled,
    /// A backup completed.
    #[serde(rename = "backup.completed")]
    BackupCompleted,
    /// A backup failed.
    #[serde(rename = "backup.failed")]
    BackupFailed,
    /// Someone was invited to the organization.
    #[serde(rename = "user.invited")]
    UserInvited,
    /// The reader's own role changed (a security notice).
    #[serde(rename = "security.role_changed")]
    SecurityRoleChanged,
    /// An insertion order waits for an admin's approval.
    #[serde(rename = "order.needs_approval")]
    OrderNeedsApproval,
    /// An insertion order's spots were booked.
    #[serde(rename = "order.booked")]
    OrderBooked,
    /// A hold expires within a day.
    #[serde(rename = "hold.expiring")]
    HoldExpiring,
    /// A host read was given to the talent to record.
    #[serde(rename = "adread.assigned")]
    AdReadAssigned,
    /// A host read's recording was submitted for review.
    #[serde(rename = "adread.submitted")]
    AdReadSubmitted,
    /// A reviewer (or the client) asked for another take.
    #[serde(rename = "adread.revisions_requested")]
    AdReadRevisionsRequested,
    /// A host read waits for the client's approval.
    #[serde(rename = "adread.approval_needed")]
    AdReadApprovalNeeded,
    /// A host read was approved for air.
    #[serde(rename = "adread.approved")]
    AdReadApproved,
    /// A host read did not air as sold; a makegood is owed.
    #[serde(rename = "adread.makegood")]
    AdReadMakegood,
    /// The brief of a host read in production changed.
    #[serde(rename = "adread.brief_changed")]
    AdReadBriefChanged,
    /// A deadline of a host read is near or has passed.
    #[serde(rename = "adread.deadline")]
    AdReadDeadline,
    /// Someone mentioned the user in a comment on a host read.
    #[serde(rename = "adread.mentioned")]
    AdReadMentioned,
    /// A booked line is behind pace, or delivered beyond a capped goal.
    #[serde(rename = "delivery.pacing_alert")]
    DeliveryPacingAlert,
    /// A webhook endpoint was turned off after failing for days.
    #[serde(rename = "webhook.disabled")]
    WebhookDisabled,
    /// An invoice was issued (its payer's client users, the sellers of its clients).
    #[serde(rename = "invoice.issued")]
    InvoiceIssued,
    /// An invoice passed its due date unpaid (the admins, the sellers of its clients).
    #[serde(rename = "invoice.overdue")]
    InvoiceOverdue,
    /// A payment was recorded on an invoice (the admins, the sellers of its clients).
    #[serde(rename = "invoice.payment_received")]
    InvoicePaymentReceived,
}

impl NotificationType {
    /// Every type, in the order the domain document lists them.
    pub const ALL: [NotificationType; 28] = [
        NotificationType::CampaignTeamAdded,
        NotificationType::CampaignNeedsApproval,
        NotificationType::CampaignApproved,
        NotificationType::CampaignRejected,
        NotificationType::CampaignLost,
        NotificationType::EpisodeAssigned,
        NotificationType::EpisodeScheduled,
        NotificationType::BackupCompleted,
        NotificationType::BackupFailed,
        NotificationType::UserInvited,
        NotificationType::SecurityRoleChanged,
        NotificationType::OrderNeedsApproval,
        NotificationType::OrderBooked,
        NotificationType::HoldExpiring,
        NotificationType::AdReadAssigned,
        NotificationType::AdReadSubmitted,
        NotificationType::AdReadRevisionsRequested,
        NotificationType::AdReadApprovalNeeded,
        NotificationType::AdReadApproved,
        NotificationType::AdReadMakegood,
        NotificationType::AdReadBriefChanged,
        NotificationType::AdReadDeadline,
        NotificationType::AdReadMentioned,
        NotificationType::DeliveryPacingAlert,
        NotificationType::WebhookDisabled,
        NotificationType::InvoiceIssued,
        NotificationType::InvoiceOverdue,
        NotificationType::InvoicePaymentReceived,
    ];

    /// The dotted name, e.g. `campaign.approved`.
    pub fn as_str(&self) -> &'static str {
        match self {
            NotificationType::CampaignTeamAdded => "campaign.team.added",
            NotificationType::CampaignNeedsApproval => "campaign.needs_approval",
            NotificationType::CampaignApproved => "campaign.approved",
            NotificationType::CampaignRejected => "campaign.rejected",
            NotificationType::CampaignLost => "campaign.lost",
            NotificationType::EpisodeAssigned => "episode.assigned",
            NotificationType::EpisodeScheduled => "episode.scheduled",
            NotificationType::BackupCompleted => "backup.completed",
            NotificationType::BackupFailed => "backup.failed",
            NotificationType::UserInvited => "user.invited",
            NotificationType::SecurityRoleChanged => "security.role_changed",
            NotificationType::OrderNeedsApproval => "order.needs_approval",
            NotificationType::OrderBooked => "order.booked",
            NotificationType::HoldExpiring => "hold.expiring",
            NotificationType::AdReadAssigned => "adread.assigned",
            NotificationType::AdReadSubmitted => "adread.submitted",
            NotificationType::AdReadRevisionsRequested => "adread.revisions_requested",
            NotificationType::AdReadApprovalNeeded => "adread.approval_needed",
            NotificationType::AdReadApproved => "adread.approved",
            NotificationType::AdReadMakegood => "adread.makegood",
            NotificationType::AdReadBriefChanged => "adread.brief_changed",
            NotificationType::AdReadDeadline => "adread.deadline",
            NotificationType::AdReadMentioned => "adread.mentioned",
            NotificationType::DeliveryPacingAlert => "delivery.pacing_alert",
            NotificationType::WebhookDisabled => "webhook.disabled",
            NotificationType::InvoiceIssued => "invoice.issued",
            NotificationType::InvoiceOverdue => "invoice.overdue",
            NotificationType::InvoicePaymentReceived => "invoice.payment_received",
        }
    }

    /// Security notices are e-mailed whatever the user chose: they tell of a change to their
    /// own account that someone else may have made.
    pub fn is_security(&self) -> bool {
        matches!(self, NotificationType::SecurityRoleChanged)
    }
}

impl fmt::Display for NotificationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for NotificationType {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        NotificationType::ALL.into_iter().find(|t| t.as_str() == s).ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_only_security_notices_are_security() {
        for t in NotificationType::ALL {
            assert_eq!(t.as_str().parse::<NotificationType>(), Ok(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
            assert_eq!(t.to_string(), t.as_str());
            assert_eq!(t.is_security(), t.as_str().starts_with("security."), "{t}");
        }
        assert!("backup.finished".parse::<NotificationType>().is_err());
    }
}
