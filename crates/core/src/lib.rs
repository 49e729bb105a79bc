//! launchdeck-core: domain types, configuration, readiness and stuck rules, action
//! planning. No terminal, no network, no SQL.

pub mod actions;
pub mod cleanup;
pub mod config;
pub mod domain;
pub mod fixes;
pub mod fuzzing;
pub mod in_flight;
pub mod progress;
pub mod rates;
pub mod readiness;
pub mod reconcile;
pub mod redact;
pub mod stop;
pub mod stuck;
pub mod test_broadcast;
pub mod text;
