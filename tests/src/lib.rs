//! Shared helpers of the black-box suites: fixtures that stand up each Table adapter.

pub mod fixture;
