//! Inventory: the spots of the episodes a network sells, what of them is free, and placing a
//! plan on them (docs/domain.md, "Inventory, holds and insertion orders").
//!
//! - [`spot`]: spots (counted from an episode's slots), the claims that take them (held until an
//!   instant, booked, blocked) with their keys and access patterns, and the price copied onto
//!   them;
//! - [`avails`]: one episode's inventory at an instant, the counts per position, the rate card;
//! - [`separation`]: competitive separation's rule and setting;
//! - [`placement`]: a plan placed on the inventory, with every refusal's reason;
//! - [`hold`]: how long holds last and how often they extend;
//! - [`guard`]: what an episode or slot change may not take away.

pub mod avails;
#[cfg(test)]
mod fixtures;
pub mod guard;
pub mod hold;
pub mod placement;
pub mod separation;
pub mod spot;
