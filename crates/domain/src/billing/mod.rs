//! Billing (issue 26): what a sales house invoices from its orders and their delivery. The rules
//! live here without I/O: the billing periods of the two calendars ([`period`]), what each line
//! of an order costs in a period under each billing mode, in exact integer minor units
//! ([`charge`]), an order's invoice lines for a month with an agency's commission ([`draft`]),
//! the numbers invoices and credit notes are given ([`numbering`]), the invoice ([`invoice`]) and
//! what may happen to it ([`transitions`]), credit notes ([`credit_note`]), receivables by age
//! ([`aging`]), a client's statement of account ([`account`]), the revenue report ([`revenue`]) and what a show's people are owed ([`revenue_share`]); how each line was used in a
//! month, from the schedule, production and delivery ([`usage`]); and what each reader sees of an
//! invoice ([`view`]).

pub mod account;
pub mod aging;
pub mod charge;
pub mod credit_note;
pub mod draft;
pub mod invoice;
pub mod numbering;
pub mod period;
pub mod revenue;
pub mod revenue_share;
pub mod transitions;
pub mod usage;
pub mod view;
