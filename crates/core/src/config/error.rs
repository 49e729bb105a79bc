//! Configuration errors. Each one names where the bad value came from (file, line and
//! column, or the environment variable or flag) and says how to fix it. None of them
//! ever carries a secret value.

use std::fmt;
use std::path::PathBuf;

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Built-in default.
    Default,
    /// The config file, at the key's position (1-based line and column).
    File {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    /// An environment variable, by name.
    Env(String),
    /// A command-line flag, e.g. `--database-url`.
    Flag(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => write!(f, "default"),
            Origin::File { path, line, column } => {
                write!(f, "{}:{line}:{column}", path.display())
            }
            Origin::Env(name) => write!(f, "{name}"),
            Origin::Flag(name) => write!(f, "{name}"),
        }
    }
}

/// A configuration problem; [`ConfigError::kind`] tells which. Boxed to keep
/// `Result`s small.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ConfigError(Box<ConfigErrorKind>);

impl ConfigError {
    pub fn kind(&self) -> &ConfigErrorKind {
        &self.0
    }
}

impl From<ConfigErrorKind> for ConfigError {
    fn from(kind: ConfigErrorKind) -> Self {
        ConfigError(Box::new(kind))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigErrorKind {
    #[error(
        "config file '{}' (from {chosen_by}) does not exist. Fix: create it with `launchdeck config init`, or point {chosen_by} at an existing file",
        path.display()
    )]
    Missing { path: PathBuf, chosen_by: String },

    #[error(
        "cannot read config file '{}': {reason}. Fix: make it a readable UTF-8 TOML file",
        path.display()
    )]
    Unreadable { path: PathBuf, reason: String },

    #[error("{at}: invalid TOML: {message}. Fix: correct the syntax at that position")]
    Syntax { at: Origin, message: String },

    #[error(
        "{at}: unknown section [{section}] — known sections: {known}. Fix: correct the section name or remove it"
    )]
    UnknownSection {
        at: Origin,
        section: String,
        known: String,
    },

    #[error(
        "{at}: unknown key \"{key}\" in [{section}] — known keys: {known}. Fix: correct the key name or remove it"
    )]
    UnknownKey {
        at: Origin,
        section: String,
        key: String,
        known: String,
    },

    #[error(
        "{at}: [{section}] must be a table of keys, found {found}. Fix: write a [{section}] header followed by key = value lines"
    )]
    NotATable {
        at: Origin,
        section: String,
        found: String,
    },

    #[error(
        "{at}: [{section}] {key} must be {expected}, found {found}. Fix: write it as {expected}"
    )]
    WrongType {
        at: Origin,
        section: String,
        key: String,
        expected: &'static str,
        found: String,
    },

    #[error("{at}: [{section}] {key}: {problem}. Fix: {fix}")]
    Invalid {
        at: Origin,
        section: String,
        key: String,
        problem: String,
        fix: String,
    },

    #[error(
        "Permissions {mode:04o} for '{}' are too open. It is required that a config file holding secrets is not accessible by others. Fix: chmod 600 {}",
        path.display(),
        path.display()
    )]
    TooOpen { path: PathBuf, mode: u32 },

    #[error(
        "no home directory to keep launchdeck's data in. Fix: set LAUNCHDECK_DATA_DIR to a writable directory"
    )]
    NoDataDir,
}

/// 1-based line and column (in characters) of a byte offset into `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one() {
        let text = "a = 1\n[retell]\nrétel = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        let key = text.find("= 2").unwrap_or(0);
        assert_eq!(line_column(text, key), (3, 7));
        assert_eq!(line_column(text, 10_000).0, 4);
    }

    #[test]
    fn line_column_survives_offsets_inside_a_character() {
        let text = "é";
        assert_eq!(line_column(text, 1), (1, 1));
    }
}
