// Each test binary uses its own part of the harness.
#[allow(dead_code)]
pub mod pty;
