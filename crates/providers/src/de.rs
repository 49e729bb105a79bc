//! Tolerant parsing helpers: string enums with a raw catch-all, loose numbers and
//! strings, and the page-loop guard shared by the list endpoints.

use std::collections::HashSet;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Defines a string enum whose unknown values are kept as `Other(raw)`.
macro_rules! string_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($variant,)+
            /// A value this version does not know, kept as sent.
            Other(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(raw) => raw,
                }
            }

            pub fn parse(raw: &str) -> Self {
                match raw {
                    $($text => Self::$variant,)+
                    other => Self::Other(other.to_string()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Ok(Self::parse(&raw))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

/// An integer sent as a number (int or float) or a numeric string; anything else → `None`.
pub(crate) fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    Ok(value.and_then(|v| value_to_i64(&v)))
}

pub(crate) fn value_to_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| f as i64),
        _ => None,
    }
}

/// A number sent as a number or a numeric string; anything else → `None`.
pub(crate) fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    Ok(match value {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    })
}

/// A string sent as a string or a number; null or empty → `None`.
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    Ok(match value {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    })
}

/// A boolean, tolerating `"true"`/`"false"` strings; anything else → `None`.
pub(crate) fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    Ok(match value {
        Some(Value::Bool(b)) => Some(b),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    })
}

/// A list that may be null or absent → empty.
pub(crate) fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Hard stop for any page loop [LD].
pub(crate) const MAX_PAGES: usize = 100;

/// Decides whether an envelope list goes on (providers.md §1.1 "Envelope"): stop when
/// `has_more` is false, or absent with no key, on empty items, a repeated key, or after
/// 100 pages.
#[derive(Debug, Default)]
pub(crate) struct PageGuard {
    pages: usize,
    seen_keys: HashSet<String>,
}

impl PageGuard {
    pub fn next_key(
        &mut self,
        has_more: Option<bool>,
        key: Option<String>,
        page_was_empty: bool,
    ) -> Option<String> {
        self.pages += 1;
        if self.pages >= MAX_PAGES || page_was_empty || has_more == Some(false) {
            return None;
        }
        let key = key.filter(|k| !k.is_empty())?;
        self.seen_keys.insert(key.clone()).then_some(key)
    }

    /// For cursor loops without `has_more` (Twilio, Google, Retell legacy).
    pub fn next_cursor(&mut self, cursor: Option<String>) -> Option<String> {
        self.next_key(None, cursor, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    string_enum! {
        enum Colour { Red = "red", Blue = "blue" }
    }

    #[test]
    fn unknown_enum_values_are_kept() {
        let c: Colour = serde_json::from_str("\"green\"").expect("string");
        assert_eq!(c, Colour::Other("green".into()));
        assert_eq!(serde_json::to_string(&Colour::Red).expect("ser"), "\"red\"");
        assert_eq!(Colour::parse("blue"), Colour::Blue);
    }

    #[test]
    fn page_guard_stops() {
        let mut guard = PageGuard::default();
        assert_eq!(
            guard.next_key(Some(true), Some("a".into()), false),
            Some("a".into())
        );
        assert_eq!(
            guard.next_key(Some(true), Some("a".into()), false),
            None,
            "repeated"
        );
        let mut guard = PageGuard::default();
        assert_eq!(
            guard.next_key(None, None, false),
            None,
            "absent with no key"
        );
        assert_eq!(guard.next_key(Some(false), Some("b".into()), false), None);
        assert_eq!(
            guard.next_key(Some(true), Some("c".into()), true),
            None,
            "empty page"
        );
        let mut guard = PageGuard::default();
        let mut pages = 1;
        while guard
            .next_key(Some(true), Some(format!("k{pages}")), false)
            .is_some()
        {
            pages += 1;
        }
        assert_eq!(pages, MAX_PAGES);
    }
}
