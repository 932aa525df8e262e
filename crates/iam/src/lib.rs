//! Who may touch which keys of the table, in IAM's terms: the session policy that confines a
//! tenant's credentials to its own items, and an evaluator that proves what a policy allows
//! without calling AWS.

pub mod policy;
pub mod tenant;

pub use policy::{Decision, Policy, PolicyError, Request, evaluate};
