//! The detail pane drawn over a screen's table: a centred box of labelled fields whose
//! long values wrap under themselves.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::App;
use crate::keys::KeyAction;

/// ` name       ` before each value.
pub const LABEL_WIDTH: usize = 12;

/// The room for a value in a pane drawn over `body`.
pub fn value_width(body: Rect) -> usize {
    usize::from(pane_width(body).saturating_sub(2)).saturating_sub(LABEL_WIDTH)
}

fn pane_width(body: Rect) -> u16 {
    body.width.saturating_sub(4).min(100)
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

/// The box for `line_count` lines over `body`: as tall as they need, at most the body
/// less a line above and below.
fn pane_area(body: Rect, line_count: usize) -> Rect {
    let width = pane_width(body);
    let wanted = u16::try_from(line_count + 2).unwrap_or(u16::MAX);
    let height = wanted.min(body.height.saturating_sub(2));
    Rect::new(
        body.x + (body.width - width) / 2,
        body.y + (body.height - height) / 2,
        width,
        height,
    )
}

/// How many of `line_count` lines the box over `body` shows at once.
pub fn visible_rows(body: Rect, line_count: usize) -> u16 {
    pane_area(body, line_count).height.saturating_sub(2)
}

/// How far `line_count` lines can be scrolled in the box over `body` (0 when they fit).
pub fn scroll_limit(body: Rect, line_count: usize) -> u16 {
    let lines = u16::try_from(line_count).unwrap_or(u16::MAX);
    lines.saturating_sub(visible_rows(body, line_count))
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
