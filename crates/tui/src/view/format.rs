//! Text forms of ages, durations, money, rates, times and numbers.

use std::time::Duration;

use chrono::{DateTime, Local, Utc};
use launchdeck_core::redact::mask_phone;

use super::theme::Symbols;

/// The one age format of launchdeck (`42s`, `12m03s`, `3h05m`, `2d04h`), for every
/// duration the screens show.
pub use launchdeck_core::stuck::format_age as age;

/// A call duration from whole seconds; negative values (bad data) show as `?`.
pub fn call_duration(seconds: Option<i32>) -> String {
    match seconds {
        None => String::new(),
        Some(s) if s < 0 => "?".to_string(),
        Some(s) => age(Duration::from_secs(s.unsigned_abs().into())),
    }
}

/// US dollars: `$0.12`, or `$0.004` below a cent.
pub fn cost(dollars: Option<f64>) -> String {
    match dollars {
        None => String::new(),
        Some(d) if !d.is_finite() => "?".to_string(),
        Some(d) if d != 0.0 && d.abs() < 0.01 => format!("${d:.3}"),
        Some(d) => format!("${d:.2}"),
    }
}

/// A share as a whole percentage; `-` when there is nothing to divide.
pub fn percent(share: Option<f64>) -> String {
    match share {
        Some(s) if s.is_finite() => format!("{:.0}%", s * 100.0),
        _ => "-".to_string(),
    }
}

/// Time to finish: `done`, `-` (no rate), or a compact duration.
pub fn eta(eta: Option<Duration>) -> String {
    match eta {
        Some(d) if d.is_zero() => "done".to_string(),
        Some(d) if d.as_secs() > 99 * 86_400 => "> 99d".to_string(),
        Some(d) => age(Duration::from_secs(d.as_secs().max(60) / 60 * 60)),
        None => "-".to_string(),
    }
}

/// Wall time `HH:MM:SS` in the display zone (`None` = the system's).
pub fn clock_time(t: DateTime<Utc>, zone: Option<chrono_tz::Tz>) -> String {
    match zone {
        Some(tz) => t.with_timezone(&tz).format("%H:%M:%S").to_string(),
        None => t.with_timezone(&Local).format("%H:%M:%S").to_string(),
    }
}

/// Date and time `YYYY-MM-DD HH:MM:SS` in the display zone.
pub fn date_time(t: DateTime<Utc>, zone: Option<chrono_tz::Tz>) -> String {
    match zone {
        Some(tz) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string(),
        None => t
            .with_timezone(&Local)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
    }
}

/// A lead's number: masked to the last 4 digits unless revealed for the session.
pub fn phone(number: &str, revealed: bool, symbols: &Symbols) -> String {
    if revealed {
        return number.to_string();
    }
    let masked = mask_phone(number);
    if symbols.mask == '•' {
        masked
    } else {
        masked.replace('•', &symbols.mask.to_string())
    }
}

/// The first `max` characters, with an ellipsis when cut.
pub fn shorten(text: &str, max: usize, symbols: &Symbols) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push(symbols.ellipsis);
    out
}

/// Text written by launchdeck itself (check reasons and fixes), with its typographic
/// characters spelled in ASCII when the terminal has no UTF-8.
pub fn terminal_text<'a>(text: &'a str, symbols: &Symbols) -> std::borrow::Cow<'a, str> {
    if symbols.ascii {
        launchdeck_core::text::ascii_spelling(text)
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Thousands separators: `12,345`.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A sparkline of per-minute counts, one character per minute.
pub fn sparkline(values: &[u64], symbols: &Symbols) -> String {
    let levels = symbols.spark;
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            let top = (levels.len() - 1) as u64;
            let level = match v {
                0 => 0,
                _ if max == 1 => top,
                // 1 → the lowest non-zero level, max → the top one
                _ => 1 + (v - 1) * (top - 1) / (max - 1),
            };
            levels[level.min(top) as usize]
        })
        .collect()
}

/// A text gauge `━━━━────` of `width` cells, `share` (0–1) of it done.
pub fn gauge(share: f64, width: usize, symbols: &Symbols) -> (String, String) {
    let share = if share.is_finite() {
        share.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let done = (share * width as f64).round() as usize;
    let done_part = symbols.gauge_done.to_string().repeat(done);
    let left_part = symbols
        .gauge_left
        .to_string()
        .repeat(width - done.min(width));
    (done_part, left_part)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_rates_and_counts() {
        assert_eq!(cost(Some(0.12)), "$0.12");
        assert_eq!(cost(Some(0.004)), "$0.004");
        assert_eq!(cost(Some(f64::NAN)), "?");
        assert_eq!(percent(Some(0.5)), "50%");
        assert_eq!(percent(None), "-");
        assert_eq!(count(12_345), "12,345");
        assert_eq!(count(-1_000), "-1,000");
        assert_eq!(count(999), "999");
        assert_eq!(call_duration(Some(-3)), "?");
    }

    #[test]
    fn sparkline_keeps_zero_distinct_and_peaks_at_top() {
        let s = Symbols::new(false);
        assert_eq!(sparkline(&[0, 1, 6], &s), "▁▂█");
        assert_eq!(sparkline(&[0, 0], &s), "▁▁");
        let a = Symbols::new(true);
        assert_eq!(sparkline(&[0, 6], &a), "_#");
    }

    #[test]
    fn numbers_masked_in_both_symbol_sets() {
        assert_eq!(
            phone("+14155550199", false, &Symbols::new(false)),
            "••••0199"
        );
        assert_eq!(
            phone("+14155550199", false, &Symbols::new(true)),
            "****0199"
        );
        assert_eq!(
            phone("+14155550199", true, &Symbols::new(true)),
            "+14155550199"
        );
    }

    #[test]
    fn launchdeck_texts_are_spelled_in_ascii_for_ascii_terminals() {
        let text = "key_••••3f2a — export X=… (Campaign → Release)";
        assert_eq!(terminal_text(text, &Symbols::new(false)), text);
        assert_eq!(
            terminal_text(text, &Symbols::new(true)),
            "key_****3f2a - export X=... (Campaign -> Release)"
        );
    }

    #[test]
    fn gauge_fills_its_share() {
        let s = Symbols::new(true);
        assert_eq!(gauge(0.5, 10, &s), ("#####".into(), "-----".into()));
        assert_eq!(gauge(2.0, 4, &s), ("####".into(), String::new()));
        assert_eq!(gauge(f64::NAN, 2, &s), (String::new(), "--".into()));
    }
}
