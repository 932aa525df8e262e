//! What each reader sees of a campaign. The API and the change stream's live updates render a
//! campaign through [`render`], so a pushed change never shows more than a GET would.
//!
//! - the client view (client users) hides internal fields: internal notes, probability and the
//!   team's permissions;
//! - producers and talent see the budget only with the team permission `viewFinancials`;
//! - everyone else with read access sees everything.

use serde_json::{Value, json};

use super::Campaign;
use super::team::{TeamMember, TeamPermission};
use crate::policy::View;
use crate::{Role, UserId};

/// How much of a campaign one reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignView {
    /// Every field.
    Full,
    /// Every field but the budget.
    WithoutFinancials,
    /// The client view.
    Client,
}

/// Fields the client view leaves out.
const INTERNAL: [&str; 2] = ["internalNotes", "probability"];

impl CampaignView {
    /// The view of a reader the policy allowed with `view`, given their role and the team.
    pub fn of(view: View, role: Role, me: UserId, team: &[TeamMember]) -> Self {
        if view == View::ClientView || role == Role::Client {
            return CampaignView::Client;
        }
        let sees_money = match role {
            Role::Producer | Role::Talent => {
                team.iter().any(|m| m.user_id == me && m.has(TeamPermission::ViewFinancials))
            }
            _ => true,
        };
        if sees_money { CampaignView::Full } else { CampaignView::WithoutFinancials }
    }
}

/// A campaign as a reader with `view` sees it; `team`, when given, is included as `team`.
pub fn render(c: &Campaign, view: CampaignView, team: Option<&[TeamMember]>) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut v {
        match view {
            CampaignView::Full => {}
            CampaignView::WithoutFinancials => {
                fields.remove("budget");
            }
            CampaignView::Client => {
                for f in INTERNAL {
                    fields.remove(f);
                }
            }
        }
        if let Some(team) = team {
            let members: Vec<Value> = team
                .iter()
                .map(|m| match view {
                    CampaignView::Client => json!({"userId": m.user_id, "role": m.role}),
                    _ => json!({
                        "userId": m.user_id,
                        "role": m.role,
                        "permissions": m.permissions,
                        "addedAt": m.added_at,
                        "addedBy": m.added_by,
                        "version": m.version,
                    }),
                })
                .collect();
            fields.insert("team".into(), Value::Array(members));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::Utc;

    use super::*;
    use crate::campaign::team::TeamRole;
    use crate::campaign::tests::campaign;

    fn member(user: UserId, permissions: &[TeamPermission]) -> TeamMember {
        let c = campaign();
        TeamMember {
            campaign_id: c.id,
            org_id: c.org_id,
            user_id: user,
            role: TeamRole::Producer,
            permissions: permissions.iter().copied().collect::<BTreeSet<_>>(),
            added_at: Utc::now(),
            added_by: c.owner_id,
            updated_by: None,
            updated_at: None,
            version: 1,
        }
    }

    #[test]
    fn the_client_view_hides_internal_fields_and_team_permissions() {
        let mut c = campaign();
        c.internal_notes = Some("margin 40%".into());
        let team = [member(UserId::new(), &[TeamPermission::Edit])];
        let v = render(&c, CampaignView::Client, Some(&team));
        assert!(v.get("internalNotes").is_none() && v.get("probability").is_none());
        assert!(v.get("budget").is_some(), "the client sees what it pays");
        assert!(v["team"][0].get("permissions").is_none());
        let full = render(&c, CampaignView::Full, Some(&team));
        assert_eq!(full["internalNotes"], "margin 40%");
        assert_eq!(full["team"][0]["permissions"], json!(["edit"]));
    }

    #[test]
    fn producers_see_the_budget_only_with_view_financials() {
        let me = UserId::new();
        let without = [member(me, &[TeamPermission::View])];
        let with = [member(me, &[TeamPermission::ViewFinancials])];
        assert_eq!(CampaignView::of(View::Full, Role::Producer, me, &without), CampaignView::WithoutFinancials);
        assert_eq!(CampaignView::of(View::Full, Role::Producer, me, &with), CampaignView::Full);
        assert_eq!(CampaignView::of(View::Full, Role::Seller, me, &without), CampaignView::Full);
        assert_eq!(CampaignView::of(View::ClientView, Role::Client, me, &[]), CampaignView::Client);
        assert!(render(&campaign(), CampaignView::WithoutFinancials, None).get("budget").is_none());
    }
}
