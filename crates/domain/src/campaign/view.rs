//! What each reader sees of a campaign. The API and the change stream's live updates render a
//! campaign through [`render`], with the reader's [`Lens`] (the one field rule of
//! [`crate::visibility`]), so a pushed change never shows more than a GET would:
//!
//! - the client view (client users) hides internal fields: internal notes, probability and the
//!   team's permissions;
//! - producers and talent see the budget only with the team permission `viewFinancials`;
//! - everyone else with read access sees everything.

use serde_json::Value;

use super::Campaign;
use super::team::TeamMember;
use crate::visibility::{EntityKind, Lens, Part};

/// A campaign as a reader with `lens` sees it; `team`, when given, is included as `team`.
pub fn render(c: &Campaign, lens: Lens, team: Option<&[TeamMember]>) -> Value {
    let mut v = lens.render(EntityKind::Campaign, c);
    if let (Value::Object(fields), Some(team)) = (&mut v, team) {
        let members = team.iter().map(|m| render_member(m, lens)).collect();
        fields.insert("team".into(), Value::Array(members));
    }
    v
}

/// One team member as a reader of the campaign with `lens` sees them.
pub fn render_member(m: &TeamMember, lens: Lens) -> Value {
    let mut v = serde_json::to_value(m).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut v {
        // The member's own keys say nothing the campaign does not.
        fields.remove("campaignId");
        fields.remove("orgId");
    }
    lens.apply(EntityKind::Campaign, Part::TeamMember, v)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::Utc;

    use serde_json::json;

    use super::*;
    use crate::campaign::team::{TeamPermission, TeamRole};
    use crate::campaign::tests::campaign;
    use crate::permissions::View;
    use crate::{Role, UserId};

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
        let v = render(&c, Lens::Client, Some(&team));
        assert!(v.get("internalNotes").is_none() && v.get("probability").is_none());
        assert!(v.get("budget").is_some(), "the client sees what it pays");
        assert!(v["team"][0].get("permissions").is_none());
        let full = render(&c, Lens::Full, Some(&team));
        assert_eq!(full["internalNotes"], "margin 40%");
        assert_eq!(full["team"][0]["permissions"], json!(["edit"]));
        assert!(full["team"][0].get("campaignId").is_none());
    }

    #[test]
    fn producers_see_the_budget_only_with_view_financials() {
        let me = UserId::new();
        let without = [member(me, &[TeamPermission::View])];
        let with = [member(me, &[TeamPermission::ViewFinancials])];
        assert_eq!(Lens::of_campaign(View::Full, Role::Producer, me, &without), Lens::WithoutFinancials);
        assert_eq!(Lens::of_campaign(View::Full, Role::Producer, me, &with), Lens::Full);
        assert_eq!(Lens::of_campaign(View::Full, Role::Seller, me, &without), Lens::Full);
        assert_eq!(Lens::of_campaign(View::ClientView, Role::Client, me, &[]), Lens::Client);
        assert!(render(&campaign(), Lens::WithoutFinancials, None).get("budget").is_none());
    }
}
