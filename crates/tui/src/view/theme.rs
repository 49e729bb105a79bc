//! Named styles and symbols. Colour is never the only carrier of meaning: every status
//! also has a symbol or a word. Without colour only modifiers (bold, reverse) remain.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;

/// Box borders drawn with `+`, `-` and `|` only.
const ASCII_BORDER: border::Set<'static> = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub header: Style,
    pub title: Style,
    pub ok: Style,
    pub warn: Style,
    pub fail: Style,
    pub dim: Style,
    pub key: Style,
    pub badge: Style,
    pub selected: Style,
    pub marked: Style,
    pub tab_active: Style,
    pub tab_inactive: Style,
    pub gauge_done: Style,
    pub gauge_left: Style,
    pub table_header: Style,
}

impl Theme {
    pub fn new(no_color: bool) -> Theme {
        if no_color {
            Theme::plain()
        } else {
            Theme::colored()
        }
    }

    fn colored() -> Theme {
        let bold = Style::new().add_modifier(Modifier::BOLD);
        Theme {
            header: Style::new().add_modifier(Modifier::REVERSED),
            title: bold,
            ok: Style::new().fg(Color::Green),
            warn: Style::new().fg(Color::Yellow),
            fail: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            dim: Style::new().fg(Color::DarkGray),
            key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            badge: Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            marked: Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
            tab_active: Style::new()
                .add_modifier(Modifier::BOLD)
                .add_modifier(Modifier::UNDERLINED),
            tab_inactive: Style::new().fg(Color::DarkGray),
            gauge_done: Style::new().fg(Color::Green),
            gauge_left: Style::new().fg(Color::DarkGray),
            table_header: bold.add_modifier(Modifier::UNDERLINED),
        }
    }

    fn plain() -> Theme {
        let none = Style::new();
        let bold = Style::new().add_modifier(Modifier::BOLD);
        Theme {
            header: Style::new().add_modifier(Modifier::REVERSED),
            title: bold,
            ok: none,
            warn: bold,
            fail: bold,
            dim: none,
            key: bold,
            badge: Style::new().add_modifier(Modifier::REVERSED),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            marked: bold,
            tab_active: bold.add_modifier(Modifier::UNDERLINED),
            tab_inactive: none,
            gauge_done: none,
            gauge_left: none,
            table_header: bold.add_modifier(Modifier::UNDERLINED),
        }
    }
}

/// Status symbols and drawing characters: Unicode, or ASCII for non-UTF-8 terminals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbols {
    /// Only ASCII is drawn (texts are transliterated, see `format::terminal_text`).
    pub ascii: bool,
    pub ok: &'static str,
    pub warn: &'static str,
    pub fail: &'static str,
    pub unknown: &'static str,
    pub info: &'static str,
    /// A provider that answers well (header dots).
    pub dot: &'static str,
    /// A result still being worked out.
    pub checking: &'static str,
    /// Spinner frames, shown while readiness checks run.
    pub spinner: &'static [&'static str],
    /// Marks a row picked with `space`.
    pub mark: &'static str,
    /// Points at the selected item.
    pub pointer: &'static str,
    pub separator: &'static str,
    /// Replaces the hidden digits of a masked number.
    pub mask: char,
    pub gauge_done: char,
    pub gauge_left: char,
    /// Sparkline levels, lowest (zero) first.
    pub spark: &'static [char],
    pub ellipsis: char,
    pub border: border::Set<'static>,
}

impl Symbols {
    pub fn new(ascii: bool) -> Symbols {
        if ascii {
            Symbols {
                ascii: true,
                ok: "[ok]",
                warn: "[!!]",
                fail: "[XX]",
                unknown: "[??]",
                info: "[ii]",
                dot: "[ok]",
                checking: "[..]",
                spinner: &["|", "/", "-", "\\"],
                mark: "*",
                pointer: ">",
                separator: " | ",
                mask: '*',
                gauge_done: '#',
                gauge_left: '-',
                spark: &['_', '.', ',', '-', '=', '+', '*', '#'],
                ellipsis: '~',
                border: ASCII_BORDER,
            }
        } else {
            Symbols {
                ascii: false,
                ok: "✓",
                warn: "!",
                fail: "✗",
                unknown: "?",
                info: "i",
                dot: "●",
                checking: "…",
                spinner: &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"],
                mark: "●",
                pointer: "›",
                separator: " │ ",
                mask: '•',
                gauge_done: '━',
                gauge_left: '─',
                spark: &['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'],
                ellipsis: '…',
                border: border::PLAIN,
            }
        }
    }
}
