//! The detail pane drawn over a screen's table: a centred box of labelled fields whose
//! long values wrap under themselves.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::App;
use crate::keys::KeyAction;
pub use crate::layout::pane_scroll_limit as scroll_limit;
use crate::layout::{self, pane_area};

/// ` name       ` before each value.
pub const LABEL_WIDTH: usize = 12;

/// The room for a value in a pane drawn over `body`.
pub fn value_width(body: Rect) -> usize {
    layout::pane_value_width(body, LABEL_WIDTH)
}

/// Draws `lines` in a bordered box titled `title`, centred over `body`; lines that do
/// not fit are cut.
pub fn render(frame: &mut Frame, body: Rect, app: &App, title: String, lines: Vec<Line<'static>>) {
    let area = pane_area(body, lines.len());
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block(app, title)), area);
}

fn block(app: &App, title: String) -> Block<'static> {
    Block::new()
        .border_set(app.symbols.border)
        .borders(Borders::ALL)
        .title(Span::styled(title, app.theme.title))
}

/// [`render`] with the first `scroll` lines scrolled out of view (at most as many as
/// the box cannot show); the bottom border says how many lines are below.
pub fn render_scrolled(
    frame: &mut Frame,
    body: Rect,
    app: &App,
    title: String,
    lines: Vec<Line<'static>>,
    scroll: u16,
) {
    let area = pane_area(body, lines.len());
    let limit = scroll_limit(body, lines.len());
    let scroll = scroll.min(limit);
    let mut block = block(app, title);
    if scroll < limit {
        let below = limit - scroll;
        let keys = match (
            app.keymap.first_key(KeyAction::MoveDown),
            app.keymap.first_key(KeyAction::MoveUp),
        ) {
            (Some(down), Some(up)) => format!(", {down}/{up} scroll"),
            _ => String::new(),
        };
        let note = format!(" {below} more below{keys} ");
        block = block.title_bottom(Line::from(Span::styled(note, app.theme.key)).right_aligned());
    }
    frame.render_widget(Clear, area);
    let paragraph = Paragraph::new(lines).block(block).scroll((scroll, 0));
    frame.render_widget(paragraph, area);
}

/// One field; a long value wraps at word boundaries under itself.
pub fn field(name: &str, value: String, width: usize) -> Vec<Line<'static>> {
    wrap_words(&value, width.max(10))
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let label = if i == 0 { name } else { "" };
            Line::raw(format!(" {label:<10} {part}"))
        })
        .collect()
}

/// Splits text into lines of at most `width` characters, at spaces where possible.
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        while word.chars().count() > width {
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            lines.push(head);
        }
        let needed =
            current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
        if needed > width && !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    lines.push(current);
    lines
}

#[cfg(test)]
mod tests {
    use super::wrap_words;

    #[test]
    fn wraps_at_spaces_and_cuts_words_longer_than_a_line() {
        assert_eq!(wrap_words("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap_words("abcdefghij xy", 4), ["abcd", "efgh", "ij", "xy"]);
        assert_eq!(wrap_words("", 4), [""]);
        assert_eq!(wrap_words("exactly six", 11), ["exactly six"]);
    }
}
