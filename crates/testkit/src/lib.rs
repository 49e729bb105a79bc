//! Test support for launchdeck.
//!
//! - [`TestDb`]: a fresh PostgreSQL database cloned from the platform fixture
//!   template that `scripts/test` loads into a throwaway cluster.
//! - [`TcpProxy`]: a loopback TCP proxy that can cut every connection, to
//!   simulate a database (or provider) outage without stopping the shared cluster.
//! - [`wait_until`] / [`wait_for`]: poll a condition with a deadline instead of
//!   sleeping to synchronise.

mod db;
mod proxy;
mod wait;

pub use db::{PG_TEMPLATE_ENV, PG_URL_ENV, TestDb};
pub use proxy::{HoldAt, TcpProxy};
pub use wait::{wait_for, wait_until};
