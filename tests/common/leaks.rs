//! Looking for leaks in whatever launchdeck printed, drew, logged or audited: known
//! secret values, and lead phone numbers shown in full (quality.md "Security": secrets
//! never in full, lead numbers masked to their last 4 digits, `••••0199`).
//!
//! ```text
//! let leaks = Leaks::new(SECRETS).lead_numbers(seed_lead_numbers(&data));
//! leaks.assert_clean("check --json stdout", &stdout);
//! ```

// Each test binary uses its own part.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use launchdeck_seed::SeedData;

/// A secret counts as leaked when this many of its characters show in a row: its
/// display form (`••••` plus the last 4) never does, a cut or prefixed copy does.
const SECRET_WINDOW: usize = 16;

/// The digits of a lead number that are looked for: the national number (NANP: the
/// last 10). A masked number shows only its last 4.
const NATIONAL_DIGITS: usize = 10;

/// Characters an operator's terminal or a formatter may put between a number's digits
/// (`+1 (415) 555-0199`, `415.555.0199`).
const NUMBER_PUNCTUATION: &[char] = &[' ', '-', '.', '(', ')', '+'];

pub struct Leaks {
    /// Every run of [`SECRET_WINDOW`] characters of every secret, with the secret's
    /// display form (to say which one leaked without showing it).
    secret_windows: HashMap<Vec<u8>, String>,
    /// Secrets as the platform stores tokens (base64), whole.
    encoded: Vec<String>,
    lead_numbers: HashSet<String>,
}

impl Leaks {
    /// Looks for `secrets`, plain and base64-encoded.
    pub fn new<S: AsRef<str>>(secrets: impl IntoIterator<Item = S>) -> Leaks {
        let mut leaks = Leaks {
            secret_windows: HashMap::new(),
            encoded: Vec::new(),
            lead_numbers: HashSet::new(),
        };
        for secret in secrets {
            leaks.add_secret(secret.as_ref());
        }
        leaks
    }

    fn add_secret(&mut self, secret: &str) {
        let bytes = secret.as_bytes();
        assert!(
            bytes.len() >= SECRET_WINDOW,
            "a test secret needs {SECRET_WINDOW} characters at least to be looked for: {secret:?}"
        );
        let shown = format!("••••{}", &secret[secret.len() - 4..]);
        for window in bytes.windows(SECRET_WINDOW) {
            self.secret_windows.insert(window.to_vec(), shown.clone());
        }
        // By whole 3-byte groups, so a longer value starting with the secret is caught.
        self.encoded
            .push(BASE64.encode(&bytes[..bytes.len() / 3 * 3]));
    }

    /// Also looks for these lead numbers shown in full (in any punctuation).
    pub fn lead_numbers<S: AsRef<str>>(mut self, numbers: impl IntoIterator<Item = S>) -> Leaks {
        for number in numbers {
            if let Some(national) = national_digits(number.as_ref()) {
                self.lead_numbers.insert(national);
            }
        }
        self
    }

    pub fn lead_number_count(&self) -> usize {
        self.lead_numbers.len()
    }

    /// What leaked in `text`: a short description of each find (never the secret).
    pub fn find(&self, text: &str) -> Vec<String> {
        let mut found = self.secrets_in(text);
        found.extend(self.numbers_in(text));
        found
    }

    /// Panics, naming `what` and the finds, when anything leaked in `text`.
    pub fn assert_clean(&self, what: &str, text: &str) {
        let found = self.find(text);
        assert!(found.is_empty(), "{what} leaks: {found:?}");
    }

    fn secrets_in(&self, text: &str) -> Vec<String> {
        let mut found: Vec<String> = text
            .as_bytes()
            .windows(SECRET_WINDOW)
            .enumerate()
            .find_map(|(at, w)| {
                let secret = self.secret_windows.get(w)?;
                Some(format!(
                    "{SECRET_WINDOW} characters of secret {secret} at byte {at}"
                ))
            })
            .into_iter()
            .collect();
        found.extend(
            self.encoded
                .iter()
                .filter(|e| text.contains(e.as_str()))
                .map(|e| format!("a base64-encoded secret ({}…)", &e[..4])),
        );
        found
    }

    fn numbers_in(&self, text: &str) -> Vec<String> {
        digit_runs(text)
            .iter()
            .flat_map(|run| run.as_bytes().windows(NATIONAL_DIGITS))
            .filter_map(|w| std::str::from_utf8(w).ok())
            .filter(|w| self.lead_numbers.contains(*w))
            .map(|w| format!("lead number …{} in full", &w[6..]))
            .collect()
    }
}

/// The national number of `number` (its last 10 digits), if it has that many.
fn national_digits(number: &str) -> Option<String> {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= NATIONAL_DIGITS).then(|| digits[digits.len() - NATIONAL_DIGITS..].to_string())
}

/// Runs of digits, joined across the punctuation a phone number may be written with:
/// at most two such characters between two digits, at most one of them a space (table
/// columns, two spaces apart or more, stay apart).
fn digit_runs(text: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut current = String::new();
    let mut gap = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            let joins = gap.chars().count() <= 2 && gap.matches(' ').count() <= 1;
            if !joins {
                runs.push(std::mem::take(&mut current));
            }
            gap.clear();
            current.push(c);
        } else if NUMBER_PUNCTUATION.contains(&c) {
            gap.push(c);
        } else {
            runs.push(std::mem::take(&mut current));
            gap.clear();
        }
    }
    runs.push(current);
    runs.retain(|r| r.len() >= NATIONAL_DIGITS);
    runs
}

/// Every contact phone number of a data set: `phone_number` and
/// `phone_number_normalized` of every table but the platform's own `phone_numbers`.
pub fn seed_lead_numbers(data: &SeedData) -> Vec<String> {
    let mut numbers: Vec<String> = data
        .tables
        .iter()
        .filter(|t| t.table != "phone_numbers")
        .flat_map(|t| &t.rows)
        .flat_map(|row| ["phone_number", "phone_number_normalized"].map(|c| row.get(c)))
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    numbers.sort();
    numbers.dedup();
    numbers
}

/// `text` without terminal escape sequences (CSI and OSC), so what a pty received can
/// be searched like the screen it drew.
pub fn without_escapes(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "key_leaks0test0secret0value0aa11";

    fn leaks() -> Leaks {
        Leaks::new([SECRET]).lead_numbers(["+14155550199", "(212) 555-0123"])
    }

    #[test]
    fn a_secret_is_found_whole_cut_or_encoded_and_its_display_form_is_not() {
        let leaks = leaks();
        assert_eq!(leaks.find(&format!("key {SECRET} set")).len(), 1);
        assert_eq!(leaks.find(&format!("key {}…", &SECRET[..20])).len(), 1);
        assert_eq!(
            leaks.find(&BASE64.encode(format!("{SECRET}-more"))).len(),
            1
        );
        assert!(leaks.find("key ••••aa11 set").is_empty());
    }

    #[test]
    fn a_lead_number_is_found_in_any_punctuation_and_its_masked_form_is_not() {
        let leaks = leaks();
        for text in [
            "to +14155550199.",
            "to 14155550199",
            "(415) 555-0199",
            "+1 415.555.0199",
            "\"phone\":\"+12125550123\"",
        ] {
            assert_eq!(leaks.find(text).len(), 1, "{text}");
        }
        for text in [
            "to ••••0199",
            "+14155550101",
            "415-555-019",
            "4155550198",
            "415  5550199",
        ] {
            assert!(leaks.find(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn escapes_are_removed_from_raw_output() {
        assert_eq!(
            without_escapes(b"\x1b[1;1H\x1b[38;5;2mok\x1b[0m \x1b]0;title\x07x"),
            "ok x"
        );
    }
}
