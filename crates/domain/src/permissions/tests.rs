//! Every cell of the permission table, from both sides: with the relationship the rule asks for
//! (positive fixture) and without it (negative fixture), plus the denial kinds and tenancy.

use std::collections::BTreeSet;

use chrono::Utc;

use super::*;
use crate::PrincipalKind;
use crate::campaign::team::TeamRole;
use crate::{CampaignId, Role};

/// Facts about the world a resource borrows from.
struct World {
    org: OrgId,
    me: UserId,
    my_client: ClientId,
    related_users: Vec<UserId>,
    related_clients: Vec<ClientId>,
    team: Vec<TeamMember>,
    positive: bool,
}

impl World {
    fn new(me: UserId, my_client: ClientId, positive: bool) -> Self {
        let other = UserId::new();
        let subject = if positive { me } else { other };
        let team = vec![TeamMember {
            campaign_id: CampaignId::new(),
            org_id: OrgId::new(),
            user_id: subject,
            role: TeamRole::Seller,
            permissions: TeamPermission::ALL.into_iter().collect(),
            added_at: Utc::now(),
            added_by: other,
            updated_by: None,
            updated_at: None,
            version: 1,
        }];
        World {
            org: OrgId::new(),
            me,
            my_client,
            related_users: vec![subject],
            related_clients: vec![if positive { my_client } else { ClientId::new() }],
            team,
            positive,
        }
    }

    fn subject(&self) -> UserId {
        self.related_users[0]
    }

    fn campaign(&self) -> CampaignFacts<'_> {
        CampaignFacts {
            org: self.org,
            owner: self.subject(),
            client: Some(self.related_clients[0]),
            team: &self.team,
            client_sellers: &self.related_users,
            show_producers: &self.related_users,
        }
    }

    fn resource(&self, action: Action) -> Resource<'_> {
        use Action::*;
        let org = self.org;
        match action {
            OrganizationCreate | OrganizationListAll => Resource::Platform,
            OrganizationSuspend
            | OrganizationRead
            | OrganizationUpdateSettings
            | UserList
            | ClientCreate
            | ShowCreate
            | ActivityRecord
            | AvailabilityOverride
            | BackupManage
            | MonitoringRead
            | SeparationOverride
            | ApiKeyManage
            | WebhookManage
            | BillingReport => Resource::Org(org),
            InvoiceRead | InvoiceWrite => {
                Resource::Invoice { org, bill_to: self.related_clients[0], sellers: &self.related_users }
            }
            // Admins may manage anyone but themselves and masters: the negative case is themselves.
            UserRead | UserUpdate | UserDisable => {
                Resource::User { org, id: if self.positive { UserId::new() } else { self.me }, role: Role::Seller }
            }
            UserInvite => Resource::Invite { org, role: if self.positive { Role::Seller } else { Role::Master } },
            UserChangeRole => Resource::RoleChange {
                org,
                id: if self.positive { UserId::new() } else { self.me },
                from: Role::Seller,
                to: Role::Producer,
            },
            ProfileRead | ProfileUpdate | NotificationsOwn => Resource::OwnedBy(self.subject()),
            ClientRead | ClientUpdate | ClientArchive => {
                Resource::Client { org, id: self.related_clients[0], assigned_sellers: &self.related_users }
            }
            CampaignCreate => Resource::NewCampaign { org, client_sellers: &self.related_users },
            CampaignRead | CampaignUpdate | CampaignManageTeam | CampaignArchive | CampaignHold | OrderRead
            | OrderWrite | BriefWrite | DeliveryRead => Resource::Campaign(self.campaign()),
            AdReadRead | AdReadSubmit | AdReadReview | AdReadClientApprove | AdReadAircheck | AdReadUpload => {
                Resource::AdRead {
                    campaign: self.campaign(),
                    show_producers: &self.related_users,
                    talent: Some(self.subject()),
                    seen_by_client: self.positive,
                }
            }
            ShowRead | ShowUpdate | ShowArchive | InventoryRead | SpotBlock | AnalyticsRead | StatementRead => {
                Resource::Show {
                    org,
                    producers: &self.related_users,
                    talent: &self.related_users,
                    campaign_clients: &self.related_clients,
                }
            }
            EpisodeCreate | EpisodeRead | EpisodeUpdate | RecordingRead | RecordingWrite => Resource::Episode {
                org,
                show_producers: &self.related_users,
                show_talent: &self.related_users,
                episode_talent: &self.related_users,
            },
            AvailabilityRead | AvailabilityWrite => Resource::Availability { org, talent: self.subject() },
            ActivityRead => Resource::Activity { org, entity_readable: Some(self.positive) },
        }
    }
}

/// Expected outcome of one cell: `F` full in both fixtures, `-` denied in both, `n` names and
/// roles in both, `r` full only with the relationship, `c` client view only with it, `p` public
/// fields only with it; for user records (whose negative fixture is oneself) `s` names and roles
/// of a colleague and oneself whole, `i` oneself only.
const MATRIX: &[(Action, &str)] = &[
    //                                   master admin seller producer talent client
    (Action::OrganizationCreate, "F-----"),
    (Action::OrganizationListAll, "F-----"),
    (Action::OrganizationSuspend, "F-----"),
    (Action::OrganizationRead, "FFFFFF"),
    (Action::OrganizationUpdateSettings, "FF----"),
    (Action::UserList, "FFnnn-"),
    (Action::UserRead, "FFsssi"),
    (Action::UserInvite, "Fr----"),
    (Action::UserUpdate, "Fr----"),
    (Action::UserDisable, "rr----"),
    (Action::UserChangeRole, "rr----"),
    (Action::ProfileRead, "rrrrrr"),
    (Action::ProfileUpdate, "rrrrrr"),
    (Action::ClientCreate, "FFF---"),
    (Action::ClientRead, "FFr--r"),
    (Action::ClientUpdate, "FFr---"),
    (Action::ClientArchive, "FF----"),
    (Action::CampaignCreate, "FFr---"),
    (Action::CampaignRead, "FFrrrc"),
    (Action::CampaignUpdate, "FFrr--"),
    (Action::CampaignManageTeam, "FFrr--"),
    (Action::CampaignArchive, "FF----"),
    (Action::ShowCreate, "FF-F--"),
    (Action::ShowArchive, "FF----"),
    (Action::ShowRead, "FFFFrp"),
    (Action::ShowUpdate, "FF-r--"),
    (Action::EpisodeCreate, "FF-r--"),
    (Action::EpisodeRead, "FFFFr-"),
    (Action::EpisodeUpdate, "FF-r--"),
    (Action::AvailabilityRead, "FFFFr-"),
    (Action::AvailabilityWrite, "FF--r-"),
    (Action::AvailabilityOverride, "FF----"),
    (Action::RecordingRead, "FFFrr-"),
    (Action::RecordingWrite, "FF-rr-"),
    (Action::NotificationsOwn, "rrrrrr"),
    (Action::ActivityRead, "FFrrr-"),
    (Action::ActivityRecord, "FFFFF-"),
    (Action::BackupManage, "FF----"),
    (Action::MonitoringRead, "FF----"),
    (Action::ApiKeyManage, "FF----"),
    (Action::WebhookManage, "FF----"),
    (Action::InventoryRead, "FFFr--"),
    (Action::CampaignHold, "FFr---"),
    (Action::SeparationOverride, "FF----"),
    (Action::SpotBlock, "FF-r--"),
    (Action::OrderRead, "FFr--c"),
    (Action::OrderWrite, "FFr---"),
    (Action::BriefWrite, "FFr---"),
    (Action::AdReadRead, "FFrrrc"),
    (Action::AdReadSubmit, "----r-"),
    (Action::AdReadReview, "FFr---"),
    (Action::AdReadClientApprove, "-----c"),
    (Action::AdReadAircheck, "FF-r--"),
    (Action::AdReadUpload, "FF-rr-"),
    (Action::DeliveryRead, "FFr--c"),
    (Action::AnalyticsRead, "FFFr--"),
    (Action::InvoiceRead, "FFr--c"),
    (Action::InvoiceWrite, "FF----"),
    (Action::BillingReport, "FF----"),
    (Action::StatementRead, "FF-rr-"),
];

fn principal(role: Role, org: OrgId, me: UserId, client: ClientId) -> Principal {
    Principal {
        user_id: me,
        org_id: org,
        role,
        client_id: (role == Role::Client).then_some(client),
        kind: PrincipalKind::User,
    }
}

#[test]
fn every_cell_of_the_permission_table() {
    let mut cells = 0;
    for (action, row) in MATRIX {
        for (role, code) in Role::ALL.into_iter().zip(row.chars()) {
            let me = UserId::new();
            let my_client = ClientId::new();
            for positive in [true, false] {
                let world = World::new(me, my_client, positive);
                let p = principal(role, world.org, me, my_client);
                let got = authorize(&p, *action, &world.resource(*action));
                let expected = match (code, positive) {
                    ('F', _) | ('r', true) => Some(View::Full),
                    ('n', _) | ('s', true) => Some(View::NamesAndRoles),
                    ('s', false) | ('i', false) => Some(View::Full),
                    ('i', true) => None,
                    ('c', true) => Some(View::ClientView),
                    ('p', true) => Some(View::PublicFields),
                    ('-', _) | ('r' | 'c' | 'p', false) => None,
                    _ => unreachable!("bad matrix code {code}"),
                };
                assert_eq!(got.ok(), expected, "{action:?} as {role} (positive fixture: {positive}): {got:?}");
            }
            cells += 1;
        }
    }
    assert_eq!(cells, Action::ALL.len() * 6);
}

#[test]
fn the_matrix_and_the_policy_cover_every_action_once() {
    let in_matrix: Vec<Action> = MATRIX.iter().map(|(a, _)| *a).collect();
    let in_policy: Vec<Action> = POLICY.iter().map(|(a, _)| *a).collect();
    assert_eq!(in_matrix, Action::ALL.to_vec());
    assert_eq!(in_policy, Action::ALL.to_vec());
    // Exhaustive match: adding an action without listing it in ALL fails to compile here.
    for a in Action::ALL {
        match a {
            Action::OrganizationCreate
            | Action::OrganizationListAll
            | Action::OrganizationSuspend
            | Action::OrganizationRead
            | Action::OrganizationUpdateSettings
            | Action::UserList
            | Action::UserRead
            | Action::UserInvite
            | Action::UserUpdate
            | Action::UserDisable
            | Action::UserChangeRole
            | Action::ProfileRead
            | Action::ProfileUpdate
            | Action::ClientCreate
            | Action::ClientRead
            | Action::ClientUpdate
            | Action::ClientArchive
            | Action::CampaignCreate
            | Action::CampaignRead
            | Action::CampaignUpdate
            | Action::CampaignManageTeam
            | Action::CampaignArchive
            | Action::ShowCreate
            | Action::ShowArchive
            | Action::ShowRead
            | Action::ShowUpdate
            | Action::EpisodeCreate
            | Action::EpisodeRead
            | Action::EpisodeUpdate
            | Action::AvailabilityRead
            | Action::AvailabilityWrite
            | Action::AvailabilityOverride
            | Action::RecordingRead
            | Action::RecordingWrite
            | Action::NotificationsOwn
            | Action::ActivityRead
            | Action::ActivityRecord
            | Action::BackupManage
            | Action::MonitoringRead
            | Action::ApiKeyManage
            | Action::WebhookManage
            | Action::InventoryRead
            | Action::CampaignHold
            | Action::SeparationOverride
            | Action::SpotBlock
            | Action::OrderRead
            | Action::OrderWrite
            | Action::BriefWrite
            | Action::AdReadRead
            | Action::AdReadSubmit
            | Action::AdReadReview
            | Action::AdReadClientApprove
            | Action::AdReadAircheck
            | Action::AdReadUpload
            | Action::DeliveryRead
            | Action::AnalyticsRead
            | Action::InvoiceRead
            | Action::InvoiceWrite
            | Action::BillingReport
            | Action::StatementRead => {}
        }
    }
}

#[test]
fn another_tenant_is_invisible_except_to_master() {
    let world = World::new(UserId::new(), ClientId::new(), true);
    for role in Role::ALL {
        // The principal acts in a different organization from the resource.
        let p = principal(role, OrgId::new(), world.me, world.my_client);
        for action in [Action::OrganizationRead, Action::CampaignRead, Action::ShowRead, Action::BackupManage] {
            let got = authorize(&p, action, &world.resource(action));
            if role == Role::Master {
                assert!(got.is_ok(), "{action:?}");
            } else {
                assert_eq!(got, Err(Denial::NotFound), "{action:?} as {role}");
            }
        }
    }
}

#[test]
fn refused_writes_are_403_when_readable_and_404_when_not() {
    let me = UserId::new();
    let other = UserId::new();
    let org = OrgId::new();
    let seller = principal(Role::Seller, org, me, ClientId::new());
    // A viewer on the team: reads, may not edit or manage the team.
    let team = vec![TeamMember {
        campaign_id: CampaignId::new(),
        org_id: org,
        user_id: me,
        role: TeamRole::Seller,
        permissions: BTreeSet::from([TeamPermission::View]),
        added_at: Utc::now(),
        added_by: other,
        updated_by: None,
        updated_at: None,
        version: 1,
    }];
    let facts =
        CampaignFacts { org, owner: other, client: None, team: &team, client_sellers: &[], show_producers: &[] };
    let c = Resource::Campaign(facts);
    assert_eq!(authorize(&seller, Action::CampaignRead, &c), Ok(View::Full));
    assert_eq!(authorize(&seller, Action::CampaignUpdate, &c), Err(Denial::Forbidden));
    assert_eq!(authorize(&seller, Action::CampaignManageTeam, &c), Err(Denial::Forbidden));
    // Not on the team at all: the campaign does not exist for them.
    let hidden = Resource::Campaign(CampaignFacts { team: &[], ..facts });
    assert_eq!(authorize(&seller, Action::CampaignRead, &hidden), Err(Denial::NotFound));
    assert_eq!(authorize(&seller, Action::CampaignUpdate, &hidden), Err(Denial::NotFound));
    // Assigned to the client: reads, but only owners and editors edit.
    let sellers = [me];
    let assigned = Resource::Campaign(CampaignFacts { team: &[], client_sellers: &sellers, ..facts });
    assert_eq!(authorize(&seller, Action::CampaignRead, &assigned), Ok(View::Full));
    assert_eq!(authorize(&seller, Action::CampaignUpdate, &assigned), Err(Denial::Forbidden));
    // Creating and listing have nothing to hide: 403.
    assert_eq!(authorize(&seller, Action::ShowCreate, &Resource::Org(org)), Err(Denial::Forbidden));
    assert_eq!(authorize(&seller, Action::BackupManage, &Resource::Org(org)), Err(Denial::Forbidden));
}

#[test]
fn admins_never_grant_master_nor_change_their_own_role_or_status() {
    let me = UserId::new();
    let org = OrgId::new();
    let admin = principal(Role::Admin, org, me, ClientId::new());
    let other = UserId::new();
    let to_master = Resource::RoleChange { org, id: other, from: Role::Seller, to: Role::Master };
    let from_master = Resource::RoleChange { org, id: other, from: Role::Master, to: Role::Admin };
    let own = Resource::RoleChange { org, id: me, from: Role::Admin, to: Role::Seller };
    for r in [to_master, from_master, own] {
        assert_eq!(authorize(&admin, Action::UserChangeRole, &r), Err(Denial::Forbidden));
    }
    let master_user = Resource::User { org, id: other, role: Role::Master };
    assert_eq!(authorize(&admin, Action::UserDisable, &master_user), Err(Denial::Forbidden));
    assert_eq!(
        authorize(&admin, Action::UserDisable, &Resource::User { org, id: me, role: Role::Admin }),
        Err(Denial::Forbidden)
    );
    assert!(
        authorize(
            &admin,
            Action::UserChangeRole,
            &Resource::RoleChange { org, id: other, from: Role::Seller, to: Role::Admin }
        )
        .is_ok()
    );
}

#[test]
fn client_users_see_only_their_own_client_in_client_view() {
    let org = OrgId::new();
    let mine = ClientId::new();
    let p = principal(Role::Client, org, UserId::new(), mine);
    let facts = CampaignFacts {
        org,
        owner: UserId::new(),
        client: Some(ClientId::new()),
        team: &[],
        client_sellers: &[],
        show_producers: &[],
    };
    assert_eq!(authorize(&p, Action::CampaignRead, &Resource::Campaign(facts)), Err(Denial::NotFound));
    let own = CampaignFacts { client: Some(mine), ..facts };
    assert_eq!(authorize(&p, Action::CampaignRead, &Resource::Campaign(own)), Ok(View::ClientView));
    assert_eq!(authorize(&p, Action::CampaignUpdate, &Resource::Campaign(own)), Err(Denial::Forbidden));
    // A client user without a client id never matches a campaign without a client.
    let orphan = Principal { client_id: None, ..p };
    let no_client = CampaignFacts { client: None, ..facts };
    assert_eq!(authorize(&orphan, Action::CampaignRead, &Resource::Campaign(no_client)), Err(Denial::NotFound));
}

#[test]
fn a_rule_on_the_wrong_resource_refuses() {
    let org = OrgId::new();
    let p = principal(Role::Seller, org, UserId::new(), ClientId::new());
    assert!(authorize(&p, Action::CampaignRead, &Resource::Org(org)).is_err());
    assert!(authorize(&p, Action::ClientRead, &Resource::Org(org)).is_err());
}

#[test]
fn producers_manage_a_team_only_as_members_who_edit_and_manage() {
    let (org, me) = (OrgId::new(), UserId::new());
    let p = principal(Role::Producer, org, me, ClientId::new());
    for (perms, allowed) in [
        (vec![TeamPermission::ManageTeam], false),
        (vec![TeamPermission::Edit], false),
        (vec![TeamPermission::Edit, TeamPermission::ManageTeam], true),
    ] {
        let team = vec![team_member(org, me, TeamRole::Producer, &perms)];
        let facts = CampaignFacts {
            org,
            owner: UserId::new(),
            client: None,
            team: &team,
            client_sellers: &[],
            show_producers: &[me],
        };
        let got = authorize(&p, Action::CampaignManageTeam, &Resource::Campaign(facts));
        assert_eq!(got.is_ok(), allowed, "{perms:?}");
    }
}

#[test]
fn listings_cover_all_the_related_set_or_nothing() {
    assert_eq!(scope(Action::CampaignRead, Role::Admin), Scope::All(View::Full));
    assert_eq!(scope(Action::CampaignRead, Role::Seller), Scope::Related);
    assert_eq!(scope(Action::CampaignRead, Role::Client), Scope::Related);
    assert_eq!(scope(Action::UserList, Role::Seller), Scope::All(View::NamesAndRoles));
    assert_eq!(scope(Action::UserList, Role::Client), Scope::None);
    assert_eq!(scope(Action::ShowRead, Role::Talent), Scope::Related);
    assert_eq!(scope(Action::ActivityRead, Role::Producer), Scope::Related);
}

#[test]
fn every_write_is_refused_as_its_read_would_be() {
    use Action::*;
    let pairs = [
        (UserRead, Some(UserRead)),
        (UserUpdate, Some(UserRead)),
        (UserDisable, Some(UserRead)),
        (UserChangeRole, Some(UserRead)),
        (ClientUpdate, Some(ClientRead)),
        (ClientArchive, Some(ClientRead)),
        (CampaignUpdate, Some(CampaignRead)),
        (CampaignManageTeam, Some(CampaignRead)),
        (ShowUpdate, Some(ShowRead)),
        (ShowArchive, Some(ShowRead)),
        (EpisodeUpdate, Some(EpisodeRead)),
        (AvailabilityWrite, Some(AvailabilityRead)),
        (RecordingWrite, Some(RecordingRead)),
        (ActivityRead, Some(ActivityRead)),
        (CampaignHold, Some(CampaignRead)),
        (CampaignArchive, Some(CampaignRead)),
        (BriefWrite, Some(CampaignRead)),
        (OrderRead, Some(OrderRead)),
        (OrderWrite, Some(OrderRead)),
        (AdReadRead, Some(AdReadRead)),
        (DeliveryRead, Some(CampaignRead)),
        (AnalyticsRead, Some(ShowRead)),
        (StatementRead, Some(ShowRead)),
        (InvoiceRead, Some(InvoiceRead)),
        (InvoiceWrite, Some(InvoiceRead)),
        (BillingReport, None),
        (AdReadSubmit, Some(AdReadRead)),
        (AdReadReview, Some(AdReadRead)),
        (AdReadClientApprove, Some(AdReadRead)),
        (AdReadAircheck, Some(AdReadRead)),
        (AdReadUpload, Some(AdReadRead)),
        (ShowCreate, None),
        (AvailabilityOverride, None),
        (BackupManage, None),
    ];
    for (action, read) in pairs {
        assert_eq!(action.read_counterpart(), read, "{action:?}");
    }
}

#[test]
fn each_relationship_alone_opens_a_campaign_or_an_episode() {
    let (org, me) = (OrgId::new(), UserId::new());
    let member = |perms: &[TeamPermission]| team_member(org, me, TeamRole::Seller, perms);
    let on_team = vec![member(&[TeamPermission::View])];
    let none: Vec<TeamMember> = Vec::new();
    let campaign = |owner, team, sellers, producers| authorize_fixture(org, owner, team, sellers, producers);
    let read = |role: Role, f: CampaignFacts<'_>| {
        authorize(&principal(role, org, me, ClientId::new()), Action::CampaignRead, &Resource::Campaign(f)).is_ok()
    };
    let other = UserId::new();
    let (mine, nobody): ([UserId; 1], [UserId; 0]) = ([me], []);
    // A seller: owner alone, team alone, assigned seller of the client alone; none of them: no.
    assert!(read(Role::Seller, campaign(me, &none, &nobody, &nobody)));
    assert!(read(Role::Seller, campaign(other, &on_team, &nobody, &nobody)));
    assert!(read(Role::Seller, campaign(other, &none, &mine, &nobody)));
    assert!(!read(Role::Seller, campaign(other, &none, &nobody, &mine)));
    // A producer: producer of a targeted show alone, or the team alone.
    assert!(read(Role::Producer, campaign(other, &none, &nobody, &mine)));
    assert!(read(Role::Producer, campaign(other, &on_team, &nobody, &nobody)));
    assert!(!read(Role::Producer, campaign(other, &none, &mine, &nobody)));
    // A seller edits as the owner alone, or as a member with edit alone.
    let edit = |role: Role, f: CampaignFacts<'_>| {
        authorize(&principal(role, org, me, ClientId::new()), Action::CampaignUpdate, &Resource::Campaign(f)).is_ok()
    };
    let editor = vec![member(&[TeamPermission::Edit])];
    assert!(edit(Role::Seller, campaign(me, &none, &nobody, &nobody)));
    assert!(edit(Role::Seller, campaign(other, &editor, &nobody, &nobody)));
    assert!(!edit(Role::Seller, campaign(other, &on_team, &mine, &nobody)), "viewing is not editing");
    // Talent read an episode they are on, or of a show they host, either alone.
    let talent = principal(Role::Talent, org, me, ClientId::new());
    let episode = |show_talent: &'_ [UserId], episode_talent: &'_ [UserId]| {
        let r = Resource::Episode { org, show_producers: &[], show_talent, episode_talent };
        authorize(&talent, Action::EpisodeRead, &r).is_ok()
    };
    assert!(episode(&[me], &[]));
    assert!(episode(&[], &[me]));
    assert!(!episode(&[other], &[other]));
}

fn authorize_fixture<'a>(
    org: OrgId,
    owner: UserId,
    team: &'a [TeamMember],
    client_sellers: &'a [UserId],
    show_producers: &'a [UserId],
) -> CampaignFacts<'a> {
    CampaignFacts { org, owner, client: Some(ClientId::new()), team, client_sellers, show_producers }
}

/// A member of some campaign of `org`: `user` as `role` with `permissions`.
fn team_member(org: OrgId, user: UserId, role: TeamRole, permissions: &[TeamPermission]) -> TeamMember {
    TeamMember {
        campaign_id: CampaignId::new(),
        org_id: org,
        user_id: user,
        role,
        permissions: permissions.iter().copied().collect::<BTreeSet<_>>(),
        added_at: Utc::now(),
        added_by: UserId::new(),
        updated_by: None,
        updated_at: None,
        version: 1,
    }
}

#[test]
fn host_reads_are_guarded_by_their_campaign_show_talent_and_the_clients_turn() {
    let (org, me, other) = (OrgId::new(), UserId::new(), UserId::new());
    let client = ClientId::new();
    let viewer = vec![team_member(org, me, TeamRole::Seller, &[TeamPermission::View])];
    let approver = vec![team_member(org, me, TeamRole::Seller, &[TeamPermission::View, TeamPermission::Approve])];
    let facts = |team| CampaignFacts {
        org,
        owner: other,
        client: Some(client),
        team,
        client_sellers: &[],
        show_producers: &[],
    };
    let read = |team, seen_by_client| Resource::AdRead {
        campaign: facts(team),
        show_producers: &[],
        talent: Some(other),
        seen_by_client,
    };
    let seller = principal(Role::Seller, org, me, client);
    // A seller on the team reads; only one with `approve` (or the owner) reviews.
    assert_eq!(authorize(&seller, Action::AdReadReview, &read(&viewer, false)), Err(Denial::Forbidden));
    assert_eq!(authorize(&seller, Action::AdReadReview, &read(&approver, false)), Ok(View::Full));
    // A seller of another campaign does not learn the read exists.
    assert_eq!(authorize(&seller, Action::AdReadReview, &read(&[], false)), Err(Denial::NotFound));
    // Another talent neither reads nor submits it.
    let talent = principal(Role::Talent, org, me, client);
    assert_eq!(authorize(&talent, Action::AdReadSubmit, &read(&[], false)), Err(Denial::NotFound));
    // The advertiser's client users read it only once it waits for their approval.
    let c = principal(Role::Client, org, me, client);
    assert_eq!(authorize(&c, Action::AdReadRead, &read(&[], false)), Err(Denial::NotFound));
    assert_eq!(authorize(&c, Action::AdReadClientApprove, &read(&[], true)), Ok(View::ClientView));
    let stranger = principal(Role::Client, org, me, ClientId::new());
    assert_eq!(authorize(&stranger, Action::AdReadRead, &read(&[], true)), Err(Denial::NotFound));
    // Another organization's read is not found, whatever the role.
    let outsider = principal(Role::Admin, OrgId::new(), me, client);
    assert_eq!(authorize(&outsider, Action::AdReadRead, &read(&[], true)), Err(Denial::NotFound));
}

#[test]
fn an_invoice_is_read_by_its_payers_users_and_sellers_only_and_written_by_admins() {
    let org = OrgId::new();
    let (agency, advertiser, seller_id) = (ClientId::new(), ClientId::new(), UserId::new());
    let sellers = [seller_id];
    let invoice = Resource::Invoice { org, bill_to: agency, sellers: &sellers };
    let agency_user = principal(Role::Client, org, UserId::new(), agency);
    assert_eq!(authorize(&agency_user, Action::InvoiceRead, &invoice), Ok(View::ClientView));
    assert_eq!(authorize(&agency_user, Action::InvoiceWrite, &invoice), Err(Denial::Forbidden));
    // The advertiser's own users do not see what its agency is billed.
    let advertiser_user = principal(Role::Client, org, UserId::new(), advertiser);
    assert_eq!(authorize(&advertiser_user, Action::InvoiceRead, &invoice), Err(Denial::NotFound));
    assert_eq!(authorize(&advertiser_user, Action::InvoiceWrite, &invoice), Err(Denial::NotFound));
    let orphan = Principal { client_id: None, ..agency_user };
    assert_eq!(authorize(&orphan, Action::InvoiceRead, &invoice), Err(Denial::NotFound));
    let seller = principal(Role::Seller, org, seller_id, ClientId::new());
    assert_eq!(authorize(&seller, Action::InvoiceRead, &invoice), Ok(View::Full));
    assert_eq!(authorize(&seller, Action::InvoiceWrite, &invoice), Err(Denial::Forbidden));
    let stranger = principal(Role::Seller, org, UserId::new(), ClientId::new());
    assert_eq!(authorize(&stranger, Action::InvoiceRead, &invoice), Err(Denial::NotFound));
    assert_eq!(authorize(&stranger, Action::InvoiceWrite, &invoice), Err(Denial::NotFound));
    // Another organization's admin, and its client user of a client with the same id, see nothing.
    let elsewhere = principal(Role::Admin, OrgId::new(), UserId::new(), agency);
    assert_eq!(authorize(&elsewhere, Action::InvoiceRead, &invoice), Err(Denial::NotFound));
    let foreign_client = principal(Role::Client, OrgId::new(), UserId::new(), agency);
    assert_eq!(authorize(&foreign_client, Action::InvoiceRead, &invoice), Err(Denial::NotFound));
    let admin = principal(Role::Admin, org, UserId::new(), agency);
    assert_eq!(authorize(&admin, Action::InvoiceWrite, &invoice), Ok(View::Full));
}
