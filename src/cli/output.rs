//! Doctor-style status marks for terminal output: ✓ / ! / ✗ in colour on a UTF-8
//! terminal, `[ok]` / `[!!]` / `[XX]` otherwise (product.md Decision 12).

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Ok,
    Warn,
    Fail,
    Unknown,
}

#[derive(Debug, Clone, Copy)]
pub struct Painter {
    pub color: bool,
    pub unicode: bool,
}

impl Painter {
    /// Colour only on a terminal, never with `--no-color` or a non-empty `NO_COLOR`.
    pub fn detect(env: &BTreeMap<String, String>, no_color_flag: bool, is_terminal: bool) -> Self {
        let no_color_env = env.get("NO_COLOR").is_some_and(|v| !v.is_empty());
        Painter {
            color: is_terminal && !no_color_flag && !no_color_env,
            unicode: utf8_locale(env),
        }
    }

    /// Text for the terminal: as is on UTF-8, spelled in ASCII otherwise.
    pub fn text<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        if self.unicode {
            std::borrow::Cow::Borrowed(text)
        } else {
            launchdeck_core::text::ascii_spelling(text)
        }
    }

    pub fn mark(&self, mark: Mark) -> String {
        let (symbol, ascii, color) = match mark {
            Mark::Ok => ("✓", "[ok]", "32"),
            Mark::Warn => ("!", "[!!]", "33"),
            Mark::Fail => ("✗", "[XX]", "31"),
            Mark::Unknown => ("?", "[??]", "35"),
        };
        let text = if self.unicode { symbol } else { ascii };
        if self.color {
            format!("\u{1b}[{color}m{text}\u{1b}[0m")
        } else {
            text.to_string()
        }
    }
}

/// The locale as the C library picks it: the first non-empty of LC_ALL, LC_CTYPE, LANG.
fn utf8_locale(env: &BTreeMap<String, String>) -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|name| env.get(*name).filter(|v| !v.is_empty()))
        .is_some_and(|locale| {
            let locale = locale.to_ascii_lowercase();
            locale.contains("utf-8") || locale.contains("utf8")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn no_color_wins() {
        assert!(Painter::detect(&env(&[]), false, true).color);
        assert!(!Painter::detect(&env(&[]), true, true).color);
        assert!(!Painter::detect(&env(&[("NO_COLOR", "1")]), false, true).color);
        assert!(Painter::detect(&env(&[("NO_COLOR", "")]), false, true).color);
        assert!(!Painter::detect(&env(&[]), false, false).color);
    }

    #[test]
    fn ascii_marks_without_a_utf8_locale() {
        let utf8 = Painter::detect(&env(&[("LANG", "en_US.UTF-8")]), true, false);
        assert_eq!(utf8.mark(Mark::Ok), "✓");
        let c = Painter::detect(
            &env(&[("LC_ALL", "C"), ("LANG", "en_US.UTF-8")]),
            true,
            false,
        );
        assert_eq!(c.mark(Mark::Fail), "[XX]");
    }
}
