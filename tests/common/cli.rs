//! Running the real binary headless against a database, on a fresh machine: an empty
//! home and config, a temp data dir, only the database URL set.

use std::process::{Command, Output};

pub fn launchdeck(db_url: &str, args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("temp home");
    Command::new(env!("CARGO_BIN_EXE_launchdeck"))
        .args(args)
        .env_clear()
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("LAUNCHDECK_DATA_DIR", home.path().join("data"))
        .env("LAUNCHDECK_DATABASE_URL", db_url)
        .env("LANG", "C.UTF-8")
        .output()
        .expect("run launchdeck")
}
