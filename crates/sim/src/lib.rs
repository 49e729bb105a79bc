//! launchdeck-sim

pub mod fakes;
