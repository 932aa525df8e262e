//! Billing (issue 26): what a sales house invoices from its orders and their delivery. The rules
//! live here without I/O: the billing periods of the two calendars ([`period`]), what each line
//! of an order costs in a period under each billing mode, in exact integer minor units
//! ([`charge`]), the numbers invoices and credit notes are given ([`numbering`]), the invoice
//! ([`invoice`]) and what may happen to it ([`transitions`]).

pub mod charge;
pub mod invoice;
pub mod numbering;
pub mod period;
pub mod transitions;
