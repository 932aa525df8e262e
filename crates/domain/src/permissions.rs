//! The permission policy of docs/domain.md: a table of rules (one per action and role) and one
//! [`authorize`] function. Deny is the default. Reading what the principal may not see answers
//! [`Denial::NotFound`], so ids are not confirmed to exist; other refusals are
//! [`Denial::Forbidden`].

use crate::campaign::team::{TeamMember, TeamPermission};
use crate::{ClientId, OrgId, Principal, Role, UserId};

/// Everything a principal can ask to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Create an organization.
    OrganizationCreate,
    /// List every organization.
    OrganizationListAll,
    /// Suspend or reactivate an organization.
    OrganizationSuspend,
    /// Read the organization (own, or any for master).
    OrganizationRead,
    /// Update the organization's settings.
    OrganizationUpdateSettings,
    /// List the organization's users.
    UserList,
    /// Read one user.
    UserRead,
    /// Invite a user with a role.
    UserInvite,
    /// Update a user's details.
    UserUpdate,
    /// Disable or re-enable a user.
    UserDisable,
    /// Change a user's role.
    UserChangeRole,
    /// Read one's own profile and preferences.
    ProfileRead,
    /// Update one's own profile and preferences.
    ProfileUpdate,
    /// Create a client.
    ClientCreate,
    /// Read a client.
    ClientRead,
    /// Update a client (including seller assignment).
    ClientUpdate,
    /// Archive a client.
    ClientArchive,
    /// Create a campaign.
    CampaignCreate,
    /// Read a campaign.
    CampaignRead,
    /// Update a campaign or move its status.
    CampaignUpdate,
    /// Add, change or remove team members.
    CampaignManageTeam,
    /// Archive a campaign past draft (drafts are deleted by whoever may update them).
    CampaignArchive,
    /// Create a show.
    ShowCreate,
    /// Archive a show.
    ShowArchive,
    /// Read a show.
    ShowRead,
    /// Update a show, assign producers and talent, configure ads.
    ShowUpdate,
    /// Create an episode.
    EpisodeCreate,
    /// Read an episode.
    EpisodeRead,
    /// Update, schedule, transition an episode or assign talent.
    EpisodeUpdate,
    /// Read a talent's availability.
    AvailabilityRead,
    /// Write a talent's availability.
    AvailabilityWrite,
    /// Schedule talent over an unavailable window (`force`).
    AvailabilityOverride,
    /// Read recordings of an episode or ad read.
    RecordingRead,
    /// Upload or replace recordings.
    RecordingWrite,
    /// Read and mark one's own notifications.
    NotificationsOwn,
    /// Read activity.
    ActivityRead,
    /// Record a client-side activity.
    ActivityRecord,
    /// Run, list, download, restore and schedule backups.
    BackupManage,
    /// Read monitoring metrics and alerts.
    MonitoringRead,
    /// Create, list and revoke the organization's API keys.
    ApiKeyManage,
    /// Manage the organization's webhook endpoints and read their deliveries.
    WebhookManage,
    /// Read avails and sell-through of a show.
    InventoryRead,
    /// Hold spots for a campaign (preview, commit), extend and release its holds.
    CampaignHold,
    /// Hold or book beside a competitor of the advertiser (with a reason for the activity log).
    SeparationOverride,
    /// Block and unblock spots of a show's episodes.
    SpotBlock,
    /// Read a campaign's insertion orders.
    OrderRead,
    /// Create an insertion order from a campaign's holds, edit it in draft, move it (approval is
    /// an admin's edge of the state machine; cancelling a booked order too).
    OrderWrite,
    /// Write a campaign's briefs for host reads.
    BriefWrite,
    /// Read a host read, its comments and files; comment on it.
    AdReadRead,
    /// Submit a host read's recording, and take it up again after a revision request.
    AdReadSubmit,
    /// Review a host read: take it up, ask for revisions, approve, verify, ask for a makegood.
    AdReadReview,
    /// Approve a host read, or ask for changes, for the advertiser.
    AdReadClientApprove,
    /// Attach the aired excerpt (aircheck) to a host read.
    AdReadAircheck,
    /// Upload files to a host read (recordings, airchecks).
    AdReadUpload,
    /// Read a campaign's or an order's measured delivery and pacing.
    DeliveryRead,
    /// Read a show's or an episode's download analytics.
    AnalyticsRead,
    /// Read an invoice, its credit notes and document; a client's statement of account.
    InvoiceRead,
    /// Draft an order's invoice, issue it, record payments and refunds, credit it, void it.
    InvoiceWrite,
    /// Read the billing reports (receivables by age, revenue).
    BillingReport,
    /// Read a show's revenue share statements.
    StatementRead,
}

impl Action {
    /// Every action (the rows of the policy).
    pub const ALL: [Action; 60] = [
        Action::OrganizationCreate,
        Action::OrganizationListAll,
        Action::OrganizationSuspend,
        Action::OrganizationRead,
        Action::OrganizationUpdateSettings,
        Action::UserList,
        Action::UserRead,
        Action::UserInvite,
        Action::UserUpdate,
        Action::UserDisable,
        Action::UserChangeRole,
        Action::ProfileRead,
        Action::ProfileUpdate,
        Action::ClientCreate,
        Action::ClientRead,
        Action::ClientUpdate,
        Action::ClientArchive,
        Action::CampaignCreate,
        Action::CampaignRead,
        Action::CampaignUpdate,
        Action::CampaignManageTeam,
        Action::CampaignArchive,
        Action::ShowCreate,
        Action::ShowArchive,
        Action::ShowRead,
        Action::ShowUpdate,
        Action::EpisodeCreate,
        Action::EpisodeRead,
        Action::EpisodeUpdate,
        Action::AvailabilityRead,
        Action::AvailabilityWrite,
        Action::AvailabilityOverride,
        Action::RecordingRead,
        Action::RecordingWrite,
        Action::NotificationsOwn,
        Action::ActivityRead,
        Action::ActivityRecord,
        Action::BackupManage,
        Action::MonitoringRead,
        Action::ApiKeyManage,
        Action::WebhookManage,
        Action::InventoryRead,
        Action::CampaignHold,
        Action::SeparationOverride,
        Action::SpotBlock,
        Action::OrderRead,
        Action::OrderWrite,
        Action::BriefWrite,
        Action::AdReadRead,
        Action::AdReadSubmit,
        Action::AdReadReview,
        Action::AdReadClientApprove,
        Action::AdReadAircheck,
        Action::AdReadUpload,
        Action::DeliveryRead,
        Action::AnalyticsRead,
        Action::InvoiceRead,
        Action::InvoiceWrite,
        Action::BillingReport,
        Action::StatementRead,
    ];

    /// The read action guarding the same entity: refusing a write on something the principal
    /// cannot even read answers 404 rather than 403.
    pub fn read_counterpart(&self) -> Option<Action> {
        use Action::*;
        match self {
            UserRead | UserUpdate | UserDisable | UserChangeRole => Some(UserRead),
            ClientRead | ClientUpdate | ClientArchive => Some(ClientRead),
            CampaignRead | CampaignUpdate | CampaignManageTeam | CampaignArchive | CampaignHold | BriefWrite
            | DeliveryRead => Some(CampaignRead),
            ShowRead | ShowUpdate | ShowArchive | AnalyticsRead | StatementRead => Some(ShowRead),
            InvoiceRead | InvoiceWrite => Some(InvoiceRead),
            EpisodeRead | EpisodeUpdate => Some(EpisodeRead),
            OrderRead | OrderWrite => Some(OrderRead),
            AdReadRead | AdReadSubmit | AdReadReview | AdReadClientApprove | AdReadAircheck | AdReadUpload => {
                Some(AdReadRead)
            }
            AvailabilityRead | AvailabilityWrite => Some(AvailabilityRead),
            RecordingRead | RecordingWrite => Some(RecordingRead),
            ActivityRead => Some(ActivityRead),
            _ => None,
        }
    }
}

/// How much of an entity the principal sees when allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Everything.
    Full,
    /// A campaign without internal fields (notes, margins, probability, team permissions).
    ClientView,
    /// A show's public fields: name, description, category, artwork.
    PublicFields,
    /// A user's name and role only.
    NamesAndRoles,
}

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// 404: the principal may not know the entity exists.
    NotFound,
    /// 403: the principal sees it (or there is nothing to hide) but may not do this.
    Forbidden,
}

/// The facts about a campaign the policy looks at.
#[derive(Debug, Clone, Copy)]
pub struct CampaignFacts<'a> {
    /// Its organization.
    pub org: OrgId,
    /// The owning seller.
    pub owner: UserId,
    /// Its client, if set.
    pub client: Option<ClientId>,
    /// Its team.
    pub team: &'a [TeamMember],
    /// Sellers assigned to its client.
    pub client_sellers: &'a [UserId],
    /// Producers of the shows it targets.
    pub show_producers: &'a [UserId],
}

/// What an action is applied to, with the relationship facts the rules need.
#[derive(Debug, Clone, Copy)]
pub enum Resource<'a> {
    /// The platform as a whole (organization create, list all).
    Platform,
    /// One organization (read, settings, suspend; users list; backups; monitoring; creates).
    Org(OrgId),
    /// One user of an organization.
    User {
        /// Its organization.
        org: OrgId,
        /// The user.
        id: UserId,
        /// Their current role.
        role: Role,
    },
    /// A new user about to be invited.
    Invite {
        /// The organization.
        org: OrgId,
        /// The role offered.
        role: Role,
    },
    /// A role change.
    RoleChange {
        /// The organization.
        org: OrgId,
        /// The user.
        id: UserId,
        /// Their current role.
        from: Role,
        /// The new role.
        to: Role,
    },
    /// Something belonging to one user: profile, notifications.
    OwnedBy(UserId),
    /// A client.
    Client {
        /// Its organization.
        org: OrgId,
        /// The client.
        id: ClientId,
        /// Sellers assigned to it.
        assigned_sellers: &'a [UserId],
    },
    /// A campaign about to be created for a client.
    NewCampaign {
        /// The organization.
        org: OrgId,
        /// Sellers assigned to the chosen client (empty when no client is chosen).
        client_sellers: &'a [UserId],
    },
    /// A campaign.
    Campaign(CampaignFacts<'a>),
    /// A show.
    Show {
        /// Its organization.
        org: OrgId,
        /// Its producers.
        producers: &'a [UserId],
        /// Its talent.
        talent: &'a [UserId],
        /// Clients with campaigns targeting it.
        campaign_clients: &'a [ClientId],
    },
    /// An episode (or a recording on it).
    Episode {
        /// Its organization.
        org: OrgId,
        /// Producers of its show.
        show_producers: &'a [UserId],
        /// Talent of its show.
        show_talent: &'a [UserId],
        /// Talent assigned to the episode.
        episode_talent: &'a [UserId],
    },
    /// A talent's availability.
    Availability {
        /// The organization.
        org: OrgId,
        /// The talent.
        talent: UserId,
    },
    /// A host read, judged by its campaign, its show and its talent.
    AdRead {
        /// Its campaign's facts.
        campaign: CampaignFacts<'a>,
        /// Producers of its show.
        show_producers: &'a [UserId],
        /// The talent assigned to it.
        talent: Option<UserId>,
        /// Whether it waits for, or had, the client's approval (what client users read).
        seen_by_client: bool,
    },
    /// An invoice, or the invoices a client pays (its statement of account).
    Invoice {
        /// Its organization.
        org: OrgId,
        /// Who pays it.
        bill_to: ClientId,
        /// Sellers assigned to the payer or to the advertiser.
        sellers: &'a [UserId],
    },
    /// Activity: of one entity (whether the principal may read it), or the whole timeline.
    Activity {
        /// The organization.
        org: OrgId,
        /// `Some(readable)` for one entity's activity; `None` for the organization's timeline.
        entity_readable: Option<bool>,
    },
}

impl Resource<'_> {
    fn org(&self) -> Option<OrgId> {
        match *self {
            Resource::Platform | Resource::OwnedBy(_) => None,
            Resource::Org(org)
            | Resource::User { org, .. }
            | Resource::Invite { org, .. }
            | Resource::RoleChange { org, .. }
            | Resource::Client { org, .. }
            | Resource::NewCampaign { org, .. }
            | Resource::Show { org, .. }
            | Resource::Episode { org, .. }
            | Resource::Availability { org, .. }
            | Resource::Invoice { org, .. }
            | Resource::Activity { org, .. } => Some(org),
            Resource::Campaign(f) | Resource::AdRead { campaign: f, .. } => Some(f.org),
        }
    }
}

/// One cell of the policy table: the condition under which a role may take an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Never.
    Deny,
    /// Always (within the organization), with this view.
    Allow(View),
    /// When the resource belongs to the principal (profile, notifications, own availability, own
    /// user record).
    Own,
    /// A user record: one's own whole, a colleague's with this view.
    Colleague(View),
    /// Admin's user management: never to or on master, never their own role or status.
    AdminManagesUsers,
    /// Anyone but oneself (nobody changes their own role or status, master included).
    NotSelf,
    /// Seller assigned to the client.
    AssignedSeller,
    /// Client user of that very client.
    OwnClient,
    /// Seller assigned to the client the campaign is created for.
    SellerForAssignedClient,
    /// Seller: owns the campaign, is on its team, or is assigned to its client.
    SellerReadsCampaign,
    /// Producer: produces a targeted show, or is on the team.
    ProducerReadsCampaign,
    /// On the campaign's team.
    OnTeam,
    /// Client user whose client the campaign is for (client view).
    ClientReadsCampaign,
    /// The owner, or a team member with this permission.
    OwnerOrTeam(TeamPermission),
    /// A team member with this permission.
    TeamWith(TeamPermission),
    /// A team member with every one of these permissions.
    TeamWithAll(&'static [TeamPermission]),
    /// Talent of the show.
    ShowTalent,
    /// Producer of the show.
    ShowProducer,
    /// Client user with a campaign on the show (public fields).
    ShowOfOwnCampaigns,
    /// Producer of the episode's show.
    EpisodeShowProducer,
    /// Talent on the episode or of its show.
    EpisodeTalentReads,
    /// Talent assigned to the episode.
    EpisodeTalent,
    /// Activity of an entity the principal may read.
    ReadableEntity,
    /// Producer of the host read's show.
    ReadShowProducer,
    /// The talent assigned to the host read.
    ReadTalent,
    /// Client user of the read's advertiser, once the read waits for or had their approval
    /// (client view).
    ClientApprovesRead,
    /// Seller assigned to the client who pays the invoice, or to its advertiser.
    InvoiceSeller,
    /// Client user of the client who pays the invoice (client view).
    InvoiceClient,
}

use Rule::*;

const ALLOW: Rule = Allow(View::Full);
const COLLEAGUE: Rule = Colleague(View::NamesAndRoles);
const MASTER_ONLY: [Rule; 6] = [ALLOW, Deny, Deny, Deny, Deny, Deny];
const ADMINS: [Rule; 6] = [ALLOW, ALLOW, Deny, Deny, Deny, Deny];
const EVERYONE: [Rule; 6] = [ALLOW; 6];
const OWN: [Rule; 6] = [Own; 6];
/// docs/domain.md: producers manage a team only as members who also edit the campaign.
const PRODUCER_MANAGES_TEAM: &[TeamPermission] = &[TeamPermission::Edit, TeamPermission::ManageTeam];

/// The policy: for each action, the rule of each role in the order master, admin, seller,
/// producer, talent, client (the columns of docs/domain.md's table).
pub const POLICY: &[(Action, [Rule; 6])] = &[
    (Action::OrganizationCreate, MASTER_ONLY),
    (Action::OrganizationListAll, MASTER_ONLY),
    (Action::OrganizationSuspend, MASTER_ONLY),
    (Action::OrganizationRead, EVERYONE),
    (Action::OrganizationUpdateSettings, ADMINS),
    (
        Action::UserList,
        [ALLOW, ALLOW, Allow(View::NamesAndRoles), Allow(View::NamesAndRoles), Allow(View::NamesAndRoles), Deny],
    ),
    (Action::UserRead, [ALLOW, ALLOW, COLLEAGUE, COLLEAGUE, COLLEAGUE, Own]),
    (Action::UserInvite, [ALLOW, AdminManagesUsers, Deny, Deny, Deny, Deny]),
    (Action::UserUpdate, [ALLOW, AdminManagesUsers, Deny, Deny, Deny, Deny]),
    (Action::UserDisable, [NotSelf, AdminManagesUsers, Deny, Deny, Deny, Deny]),
    (Action::UserChangeRole, [NotSelf, AdminManagesUsers, Deny, Deny, Deny, Deny]),
    (Action::ProfileRead, OWN),
    (Action::ProfileUpdate, OWN),
    (Action::ClientCreate, [ALLOW, ALLOW, ALLOW, Deny, Deny, Deny]),
    (Action::ClientRead, [ALLOW, ALLOW, AssignedSeller, Deny, Deny, OwnClient]),
    (Action::ClientUpdate, [ALLOW, ALLOW, AssignedSeller, Deny, Deny, Deny]),
    (Action::ClientArchive, ADMINS),
    (Action::CampaignCreate, [ALLOW, ALLOW, SellerForAssignedClient, Deny, Deny, Deny]),
    (Action::CampaignRead, [ALLOW, ALLOW, SellerReadsCampaign, ProducerReadsCampaign, OnTeam, ClientReadsCampaign]),
    (
        Action::CampaignUpdate,
        [ALLOW, ALLOW, OwnerOrTeam(TeamPermission::Edit), TeamWith(TeamPermission::Edit), Deny, Deny],
    ),
    (
        Action::CampaignManageTeam,
        [ALLOW, ALLOW, OwnerOrTeam(TeamPermission::ManageTeam), TeamWithAll(PRODUCER_MANAGES_TEAM), Deny, Deny],
    ),
    (Action::CampaignArchive, ADMINS),
    (Action::ShowCreate, [ALLOW, ALLOW, Deny, ALLOW, Deny, Deny]),
    (Action::ShowArchive, ADMINS),
    (Action::ShowRead, [ALLOW, ALLOW, ALLOW, ALLOW, ShowTalent, ShowOfOwnCampaigns]),
    (Action::ShowUpdate, [ALLOW, ALLOW, Deny, ShowProducer, Deny, Deny]),
    (Action::EpisodeCreate, [ALLOW, ALLOW, Deny, EpisodeShowProducer, Deny, Deny]),
    (Action::EpisodeRead, [ALLOW, ALLOW, ALLOW, ALLOW, EpisodeTalentReads, Deny]),
    (Action::EpisodeUpdate, [ALLOW, ALLOW, Deny, EpisodeShowProducer, Deny, Deny]),
    (Action::AvailabilityRead, [ALLOW, ALLOW, ALLOW, ALLOW, Own, Deny]),
    (Action::AvailabilityWrite, [ALLOW, ALLOW, Deny, Deny, Own, Deny]),
    (Action::AvailabilityOverride, ADMINS),
    (Action::RecordingRead, [ALLOW, ALLOW, ALLOW, EpisodeShowProducer, EpisodeTalent, Deny]),
    (Action::RecordingWrite, [ALLOW, ALLOW, Deny, EpisodeShowProducer, EpisodeTalent, Deny]),
    (Action::NotificationsOwn, OWN),
    (Action::ActivityRead, [ALLOW, ALLOW, ReadableEntity, ReadableEntity, ReadableEntity, Deny]),
    (Action::ActivityRecord, [ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, Deny]),
    (Action::BackupManage, ADMINS),
    (Action::MonitoringRead, ADMINS),
    (Action::ApiKeyManage, ADMINS),
    (Action::WebhookManage, ADMINS),
    (Action::InventoryRead, [ALLOW, ALLOW, ALLOW, ShowProducer, Deny, Deny]),
    (Action::CampaignHold, [ALLOW, ALLOW, OwnerOrTeam(TeamPermission::Edit), Deny, Deny, Deny]),
    (Action::SeparationOverride, ADMINS),
    (Action::SpotBlock, [ALLOW, ALLOW, Deny, ShowProducer, Deny, Deny]),
    (Action::OrderRead, [ALLOW, ALLOW, SellerReadsCampaign, Deny, Deny, ClientReadsCampaign]),
    (Action::OrderWrite, [ALLOW, ALLOW, OwnerOrTeam(TeamPermission::Edit), Deny, Deny, Deny]),
    (Action::BriefWrite, [ALLOW, ALLOW, OwnerOrTeam(TeamPermission::Edit), Deny, Deny, Deny]),
    (Action::AdReadRead, [ALLOW, ALLOW, SellerReadsCampaign, ReadShowProducer, ReadTalent, ClientApprovesRead]),
    (Action::AdReadSubmit, [Deny, Deny, Deny, Deny, ReadTalent, Deny]),
    (Action::AdReadReview, [ALLOW, ALLOW, OwnerOrTeam(TeamPermission::Approve), Deny, Deny, Deny]),
    (Action::AdReadClientApprove, [Deny, Deny, Deny, Deny, Deny, ClientApprovesRead]),
    (Action::AdReadAircheck, [ALLOW, ALLOW, Deny, ReadShowProducer, Deny, Deny]),
    (Action::AdReadUpload, [ALLOW, ALLOW, Deny, ReadShowProducer, ReadTalent, Deny]),
    (Action::DeliveryRead, [ALLOW, ALLOW, SellerReadsCampaign, Deny, Deny, ClientReadsCampaign]),
    (Action::AnalyticsRead, [ALLOW, ALLOW, ALLOW, ShowProducer, Deny, Deny]),
    (Action::InvoiceRead, [ALLOW, ALLOW, InvoiceSeller, Deny, Deny, InvoiceClient]),
    (Action::InvoiceWrite, ADMINS),
    (Action::BillingReport, ADMINS),
    (Action::StatementRead, [ALLOW, ALLOW, Deny, ShowProducer, ShowTalent, Deny]),
];

/// Which entities of a kind a role's listing covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// All of the organization's, with this view.
    All(View),
    /// Those the principal is related to (each still judged by [`authorize`]).
    Related,
    /// None: the role does not list them.
    None,
}

/// What a listing of the entities `action` reads covers for `role`: listings ask this instead
/// of matching rules, so a new relationship rule lists the related set, never everything.
pub fn scope(action: Action, role: Role) -> Scope {
    match rule(action, role) {
        Allow(view) => Scope::All(view),
        Deny => Scope::None,
        _ => Scope::Related,
    }
}

/// The rule for one action and role; `Deny` when the table has no row (deny by default).
pub fn rule(action: Action, role: Role) -> Rule {
    let column = Role::ALL.iter().position(|r| *r == role).unwrap_or(0);
    POLICY.iter().find(|(a, _)| *a == action).map_or(Deny, |(_, rules)| rules[column])
}

/// Decides whether `principal` may take `action` on `resource`, and with which view.
pub fn authorize(principal: &Principal, action: Action, resource: &Resource<'_>) -> Result<View, Denial> {
    // Tenancy first: outside their organization only master may act, and nothing is confirmed.
    if let Some(org) = resource.org()
        && principal.role != Role::Master
        && org != principal.org_id
    {
        return Err(Denial::NotFound);
    }
    if let Some(view) = evaluate(principal, rule(action, principal.role), resource) {
        return Ok(view);
    }
    Err(match action.read_counterpart() {
        // A refused read is its own counterpart, and refused again: not found.
        Some(read) => match evaluate(principal, rule(read, principal.role), resource) {
            Some(_) => Denial::Forbidden,
            None => Denial::NotFound,
        },
        None => Denial::Forbidden,
    })
}

fn evaluate(p: &Principal, rule: Rule, r: &Resource<'_>) -> Option<View> {
    let me = p.user_id;
    let full = |ok: bool| ok.then_some(View::Full);
    match (rule, *r) {
        (Allow(view), _) => Some(view),
        (Own, Resource::OwnedBy(owner))
        | (Own, Resource::Availability { talent: owner, .. })
        | (Own, Resource::User { id: owner, .. }) => full(owner == me),
        (Colleague(view), Resource::User { id, .. }) => Some(if id == me { View::Full } else { view }),
        (NotSelf, Resource::User { id, .. }) | (NotSelf, Resource::RoleChange { id, .. }) => full(id != me),
        (AdminManagesUsers, Resource::Invite { role, .. }) => full(role != Role::Master),
        (AdminManagesUsers, Resource::User { id, role, .. }) => full(role != Role::Master && id != me),
        (AdminManagesUsers, Resource::RoleChange { id, from, to, .. }) => {
            full(from != Role::Master && to != Role::Master && id != me)
        }
        (AssignedSeller, Resource::Client { assigned_sellers, .. }) => full(assigned_sellers.contains(&me)),
        (OwnClient, Resource::Client { id, .. }) => full(p.client_id == Some(id)),
        (SellerForAssignedClient, Resource::NewCampaign { client_sellers, .. }) => full(client_sellers.contains(&me)),
        (SellerReadsCampaign, Resource::Campaign(c) | Resource::AdRead { campaign: c, .. }) => {
            full(c.owner == me || on_team(c.team, me).is_some() || c.client_sellers.contains(&me))
        }
        (ProducerReadsCampaign, Resource::Campaign(c)) => {
            full(c.show_producers.contains(&me) || on_team(c.team, me).is_some())
        }
        (OnTeam, Resource::Campaign(c)) => full(on_team(c.team, me).is_some()),
        (ClientReadsCampaign, Resource::Campaign(c)) => {
            (p.client_id.is_some() && c.client == p.client_id).then_some(View::ClientView)
        }
        (OwnerOrTeam(perm), Resource::Campaign(c) | Resource::AdRead { campaign: c, .. }) => {
            full(c.owner == me || on_team(c.team, me).is_some_and(|m| m.has(perm)))
        }
        (TeamWith(perm), Resource::Campaign(c)) => full(on_team(c.team, me).is_some_and(|m| m.has(perm))),
        (TeamWithAll(perms), Resource::Campaign(c)) => {
            full(on_team(c.team, me).is_some_and(|m| perms.iter().all(|p| m.has(*p))))
        }
        (ShowTalent, Resource::Show { talent, .. }) => full(talent.contains(&me)),
        (ShowProducer, Resource::Show { producers, .. }) => full(producers.contains(&me)),
        (ShowOfOwnCampaigns, Resource::Show { campaign_clients, .. }) => {
            p.client_id.is_some_and(|c| campaign_clients.contains(&c)).then_some(View::PublicFields)
        }
        (EpisodeShowProducer, Resource::Episode { show_producers, .. }) => full(show_producers.contains(&me)),
        (EpisodeTalentReads, Resource::Episode { show_talent, episode_talent, .. }) => {
            full(episode_talent.contains(&me) || show_talent.contains(&me))
        }
        (EpisodeTalent, Resource::Episode { episode_talent, .. }) => full(episode_talent.contains(&me)),
        (ReadableEntity, Resource::Activity { entity_readable, .. }) => full(entity_readable == Some(true)),
        (ReadShowProducer, Resource::AdRead { show_producers, .. }) => full(show_producers.contains(&me)),
        (ReadTalent, Resource::AdRead { talent, .. }) => full(talent == Some(me)),
        (ClientApprovesRead, Resource::AdRead { campaign, seen_by_client, .. }) => {
            (seen_by_client && p.client_id.is_some() && campaign.client == p.client_id).then_some(View::ClientView)
        }
        (InvoiceSeller, Resource::Invoice { sellers, .. }) => full(sellers.contains(&me)),
        (InvoiceClient, Resource::Invoice { bill_to, .. }) => {
            (p.client_id == Some(bill_to)).then_some(View::ClientView)
        }
        // Deny, and a rule applied to a resource it does not describe: a refusal, never a grant.
        _ => None,
    }
}

fn on_team(team: &[TeamMember], user: UserId) -> Option<&TeamMember> {
    team.iter().find(|m| m.user_id == user)
}

#[cfg(test)]
mod tests;
