//! Clients: advertisers and agencies.
//!
//! Keys and access patterns:
//! - the client record: `ORG#<o>#CLIENT#<c>` / `PROFILE`;
//! - list by name, with name-prefix search: GSI1 `ORG#<o>#CLIENTS` / `NAME#<name>#<c>`;
//! - list by status (active or archived) by name: GSI2 `ORG#<o>#CLIENTS#<status>` / `NAME#<name>#<c>`;
//! - clients assigned to a seller: `ORG#<o>#SELLER#<u>` / `CLIENT#<c>` ([`Client::assignment_key`]);
//! - advertisers bought through an agency (its type-change guard): GSI4 `ORG#<o>#AGENCY#<a>#CLIENTS` /
//!   `NAME#<name>#<c>`.

use serde::{Deserialize, Serialize};

use crate::keys::{Entity, Index, Key, PROFILE, org_pk, sortable_name};
use crate::{ClientId, Currency, OrgId, Stamp, UserId, ValidationErrors};

/// Advertiser (buys ads) or agency (buys on behalf of advertisers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientType {
    /// Buys advertising for itself.
    Advertiser,
    /// Buys on behalf of advertisers.
    Agency,
}

/// Active or archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientStatus {
    /// In use.
    Active,
    /// Hidden from lists; refused while campaigns are won, live or paused.
    Archived,
}

impl ClientStatus {
    /// The name used in keys and the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            ClientStatus::Active => "active",
            ClientStatus::Archived => "archived",
        }
    }
}

/// A person to talk to at a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Contact {
    /// Name.
    pub name: String,
    /// E-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone, free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// Billing terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Billing {
    /// Payment terms in days.
    #[serde(default = "default_terms")]
    pub terms_days: u16,
    /// Invoice currency.
    pub currency: Currency,
    /// The billing contact's address: issued invoices are e-mailed there with their document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// An agency's commission on what it places, in hundredths of a percent (1500 is 15 %):
    /// taken off its invoices as one line.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub commission_bps: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The largest commission: all of it.
pub const MAX_COMMISSION_BPS: u32 = 10_000;

fn default_terms() -> u16 {
    30
}

impl Default for Billing {
    fn default() -> Self {
        Self { terms_days: default_terms(), currency: Currency::USD, email: None, commission_bps: 0 }
    }
}

/// An advertiser or agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    /// Its id.
    pub id: ClientId,
    /// Its organization.
    pub org_id: OrgId,
    /// Name.
    pub name: String,
    /// Advertiser or agency.
    #[serde(rename = "type")]
    pub kind: ClientType,
    /// For advertisers bought through an agency: that agency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_id: Option<ClientId>,
    /// Industry, free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    /// Category for competitive separation (two competitors never in one episode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub competitive_category: Option<String>,
    /// Contacts.
    #[serde(default)]
    pub contacts: Vec<Contact>,
    /// Sellers who may work this client.
    #[serde(default)]
    pub assigned_seller_ids: Vec<UserId>,
    /// Billing terms.
    #[serde(default)]
    pub billing: Billing,
    /// Its host reads wait for a client user's approval before a reviewer approves them.
    #[serde(default)]
    pub requires_read_approval: bool,
    /// Active or archived.
    pub status: ClientStatus,
    /// Bookkeeping.
    #[serde(flatten)]
    pub stamp: Stamp,
}

impl Client {
    /// Field errors, if any.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut v = ValidationErrors::new();
        v.text("name", &self.name, 200);
        if self.agency_id.is_some() && self.kind == ClientType::Agency {
            v.add("agencyId", "not_allowed", "only advertisers are bought through an agency");
        }
        if self.agency_id == Some(self.id) {
            v.add("agencyId", "invalid", "a client cannot be its own agency");
        }
        v.opt_text("industry", self.industry.as_deref(), 100);
        v.opt_text("competitiveCategory", self.competitive_category.as_deref(), 100);
        if self.contacts.len() > 50 {
            v.add("contacts", "too_many", "at most 50 contacts");
        }
        for (i, c) in self.contacts.iter().enumerate() {
            v.text(&format!("contacts[{i}].name"), &c.name, 120);
            if let Some(e) = &c.email {
                v.email(&format!("contacts[{i}].email"), e);
            }
            v.opt_text(&format!("contacts[{i}].phone"), c.phone.as_deref(), 40);
        }
        if self.billing.terms_days > 365 {
            v.add("billing.termsDays", "out_of_range", "at most 365 days");
        }
        if let Some(e) = &self.billing.email {
            v.email("billing.email", e);
        }
        if self.billing.commission_bps > MAX_COMMISSION_BPS {
            v.add("billing.commissionBps", "out_of_range", "0 to 10000 hundredths of a percent");
        } else if self.billing.commission_bps > 0 && self.kind != ClientType::Agency {
            v.add("billing.commissionBps", "not_allowed", "only an agency takes a commission");
        }
        if self.assigned_seller_ids.len() > 100 {
            v.add("assignedSellerIds", "too_many", "at most 100 sellers");
        }
        v.into_result()
    }

    /// The record's key.
    pub fn key_of(org: &OrgId, id: &ClientId) -> Key {
        Key::new(org_pk(org, format!("CLIENT#{id}")), PROFILE)
    }

    /// GSI1 partition listing all clients by name.
    pub fn list_pk(org: &OrgId) -> String {
        org_pk(org, "CLIENTS")
    }

    /// GSI4 partition of the advertisers bought through one agency.
    pub fn by_agency_pk(org: &OrgId, agency: &ClientId) -> String {
        org_pk(org, format!("AGENCY#{agency}#CLIENTS"))
    }

    /// GSI2 partition listing clients of one status by name.
    pub fn by_status_pk(org: &OrgId, status: ClientStatus) -> String {
        org_pk(org, format!("CLIENTS#{}", status.as_str()))
    }

    /// GSI sort-key prefix matching names that start with `prefix` (case-insensitive).
    pub fn name_prefix(prefix: &str) -> String {
        format!("NAME#{}", sortable_name(prefix))
    }

    /// The item recording that a seller is assigned to a client.
    pub fn assignment_key(org: &OrgId, seller: &UserId, client: &ClientId) -> Key {
        Key::new(org_pk(org, format!("SELLER#{seller}")), format!("CLIENT#{client}"))
    }
}

impl Entity for Client {
    const TYPE: &'static str = "client";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.id)
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        let sk = format!("NAME#{}#{}", sortable_name(&self.name), self.id);
        let mut keys = vec![
            (Index::Gsi1, Key::new(Self::list_pk(&self.org_id), sk.clone())),
            (Index::Gsi2, Key::new(Self::by_status_pk(&self.org_id, self.status), sk.clone())),
        ];
        if let Some(agency) = &self.agency_id {
            keys.push((Index::Gsi4, Key::new(Self::by_agency_pk(&self.org_id, agency), sk)));
        }
        keys
    }
    fn version(&self) -> u64 {
        self.stamp.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn client() -> Client {
        Client {
            id: ClientId::new(),
            org_id: OrgId::new(),
            name: "Acme".into(),
            kind: ClientType::Advertiser,
            agency_id: None,
            industry: None,
            competitive_category: None,
            contacts: vec![],
            assigned_seller_ids: vec![],
            requires_read_approval: false,
            billing: Billing::default(),
            status: ClientStatus::Active,
            stamp: Stamp::created(UserId::new(), Utc::now()),
        }
    }

    #[test]
    fn valid_client_passes() {
        assert!(client().validate().is_ok());
        assert_eq!(client().billing.terms_days, 30);
    }

    #[test]
    fn agencies_have_no_agency_and_contacts_are_checked() {
        let mut c = client();
        c.kind = ClientType::Agency;
        c.agency_id = Some(ClientId::new());
        c.contacts = vec![Contact { name: "".into(), email: Some("x".into()), phone: None }];
        c.billing.terms_days = 400;
        let e = c.validate().unwrap_err();
        for f in ["agencyId", "contacts[0].name", "contacts[0].email", "billing.termsDays"] {
            assert!(e.has(f), "{f}: {e:?}");
        }
    }

    #[test]
    fn only_an_agency_takes_a_commission_of_at_most_all_and_the_billing_address_is_an_address() {
        let mut c = client();
        c.billing.commission_bps = 1_500;
        assert!(c.validate().unwrap_err().has("billing.commissionBps"), "an advertiser takes none");
        c.kind = ClientType::Agency;
        assert!(c.validate().is_ok());
        c.billing.commission_bps = MAX_COMMISSION_BPS;
        assert!(c.validate().is_ok(), "all of it, at most");
        c.billing.commission_bps = MAX_COMMISSION_BPS + 1;
        assert!(c.validate().unwrap_err().has("billing.commissionBps"));
        c.billing = Billing { email: Some("not an address".into()), ..Billing::default() };
        assert!(c.validate().unwrap_err().has("billing.email"));
        c.billing.email = Some("ap@agency.example".into());
        assert!(c.validate().is_ok());
        let v = serde_json::to_value(Billing::default()).unwrap();
        assert_eq!(v, serde_json::json!({"termsDays": 30, "currency": "USD"}), "unset fields stay out");
    }

    #[test]
    fn name_index_sorts_case_insensitively() {
        let mut c = client();
        c.name = "  Zeta Corp ".into();
        let (_, k) = &c.index_keys()[0];
        assert!(k.sk.starts_with(&Client::name_prefix("ZE")));
    }
}
