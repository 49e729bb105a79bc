//! Display forms for secrets, phone numbers and untrusted provider text.
//!
//! Every surface (screen, log, JSON, error text) goes through these helpers, so a
//! secret or a lead's full number never leaves the process by accident.

/// `••••` plus the last 4 characters; just `••••` when the value is shorter than 12
/// characters (too short to show any of it safely).
pub fn mask_secret(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 12 {
        return "••••".to_string();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("••••{tail}")
}

/// A Twilio AccountSid as logs show it: `AC••••` plus the last 4 characters.
pub fn mask_account_sid(sid: &str) -> String {
    let chars: Vec<char> = sid.chars().collect();
    if chars.len() < 8 {
        return "AC••••".to_string();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("AC••••{tail}")
}

/// A lead's phone number masked to its last 4 digits, e.g. `•••• 0199`.
pub fn mask_phone(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() <= 4 {
        return "••••".to_string();
    }
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("••••{tail}")
}

/// Provider-supplied text made safe for a terminal or a log line: control characters
/// and ANSI escape sequences removed, cut to 200 characters.
pub fn sanitize_provider_text(text: &str) -> String {
    const MAX: usize = 200;
    let mut out = String::with_capacity(text.len().min(MAX));
    let mut chars = text.chars().peekable();
    let mut kept = 0;
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            skip_escape_sequence(&mut chars);
            continue;
        }
        if c.is_control() {
            if c == '\n' || c == '\t' || c == '\r' {
                out.push(' ');
                kept += 1;
            }
        } else {
            out.push(c);
            kept += 1;
        }
        if kept >= MAX {
            out.push('…');
            break;
        }
    }
    out
}

fn skip_escape_sequence(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            // CSI: parameters and intermediates, then one final byte in @..~
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
        Some(']') => {
            chars.next();
            // OSC: until BEL or ST (ESC \)
            while let Some(c) = chars.next() {
                if c == '\u{7}' {
                    break;
                }
                if c == '\u{1b}' {
                    if chars.peek() == Some(&'\\') {
                        chars.next();
                    }
                    break;
                }
            }
        }
        Some(_) => {
            chars.next();
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_show_only_last_four() {
        assert_eq!(mask_secret("key_0123456789abcdef"), "••••cdef");
        assert_eq!(mask_secret("short"), "••••");
        assert_eq!(mask_secret("elevenchars"), "••••");
        assert_eq!(mask_secret("twelve_chars"), "••••hars");
    }

    #[test]
    fn phones_show_only_last_four_digits() {
        assert_eq!(mask_phone("+14155550199"), "••••0199");
        assert_eq!(mask_phone("(415) 555-0123"), "••••0123");
        assert_eq!(mask_phone("123"), "••••");
    }

    #[test]
    fn account_sid_masked() {
        assert_eq!(
            mask_account_sid("AC0123456789abcdef0123456789abcdef"),
            "AC••••cdef"
        );
    }

    #[test]
    fn provider_text_loses_escapes_and_is_cut() {
        assert_eq!(
            sanitize_provider_text("bad\u{1b}[31mred\u{1b}[0m\u{7}ok"),
            "badredok"
        );
        assert_eq!(
            sanitize_provider_text("title\u{1b}]0;pwned\u{7}x"),
            "titlex"
        );
        let long = "a".repeat(500);
        assert_eq!(sanitize_provider_text(&long).chars().count(), 201);
        assert_eq!(sanitize_provider_text("a\nb"), "a b");
    }
}
