//! End to end through the local stack over real HTTP.

mod gateway;
mod schedules;
mod stream;
