//! launchdeck-sim

pub mod demo;
pub mod fakes;
pub mod simulator;
