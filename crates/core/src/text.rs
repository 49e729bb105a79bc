//! Text for terminals without UTF-8 (product.md Decision 12).

use std::borrow::Cow;

/// Typographic characters launchdeck writes, as ASCII.
const SPELLED: [(char, &str); 10] = [
    ('•', "*"),
    ('…', "..."),
    ('→', "->"),
    ('—', "-"),
    ('–', "-"),
    ('×', "x"),
    ('≥', ">="),
    ('≤', "<="),
    ('·', "-"),
    ('±', "+/-"),
];

/// `text` with every character a non-UTF-8 terminal cannot show spelled in ASCII: the
/// typographic ones as above, anything else (a name from the database in another
/// script) as `?`, as the C library's conversion does.
pub fn ascii_spelling(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match SPELLED.iter().find(|(from, _)| *from == c) {
            Some((_, to)) => out.push_str(to),
            None if c.is_ascii() => out.push(c),
            None => out.push('?'),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typographic_characters_are_spelled_and_the_rest_is_a_question_mark() {
        assert_eq!(
            ascii_spelling("≥ 90% — 09:00–17:00 • Café → x×2…"),
            ">= 90% - 09:00-17:00 * Caf? -> xx2..."
        );
        assert!(matches!(ascii_spelling("plain"), Cow::Borrowed("plain")));
    }
}
