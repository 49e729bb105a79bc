//! The test broadcast's form, centred over the body: the target, the allowlist with its
//! marks, the typed number, the agent (broadcasts), the last error and the keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::format::terminal_text;
use crate::app::App;
use crate::form::{FormFocus, TestForm};

const MAX_WIDTH: u16 = 76;
const LABEL_WIDTH: usize = 9;

pub fn render(frame: &mut Frame, body: Rect, app: &App, form: &TestForm) {
    let width = body.width.saturating_sub(4).min(MAX_WIDTH);
    let mut lines = vec![Line::raw("")];
    lines.push(field(
        app,
        "test",
        &format!("{} \"{}\"", form.kind.label(), form.name),
    ));
    lines.push(field(
        app,
        "call",
        &format!(
            "at most {} numbers you own ([test_broadcast] allowlist)",
            form.max_calls
        ),
    ));
    for (i, (number, marked)) in form.allowlist.iter().enumerate() {
        let mark = if *marked { "[x]" } else { "[ ]" };
        let here = form.focus == FormFocus::Numbers && i == form.cursor;
        let pointer = if here { app.symbols.pointer } else { " " };
        let style = if here {
            app.theme.selected
        } else {
            app.theme.dim
        };
        lines.push(Line::from(vec![
            Span::raw(format!("  {:<LABEL_WIDTH$}", "")),
            Span::styled(
                format!("{pointer} {mark} {}", terminal_text(number, &app.symbols)),
                style,
            ),
        ]));
    }
    for number in &form.typed_numbers {
        lines.push(Line::raw(format!(
            "  {:<LABEL_WIDTH$}  [x] {number} (typed)",
            ""
        )));
    }
    lines.push(input(
        app,
        "or type",
        form.typed.value(),
        form.focus == FormFocus::Typed,
    ));
    if form.asks_agent() {
        lines.push(input(
            app,
            "agent",
            form.agent.value(),
            form.focus == FormFocus::Agent,
        ));
        lines.push(Line::styled(
            format!(
                "  {:<LABEL_WIDTH$}AI broadcasts only: the Retell agent to talk with",
                ""
            ),
            app.theme.dim,
        ));
    }
    if let Some(error) = &form.error {
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(app.symbols.fail, app.theme.fail),
            Span::raw(format!(" {}", terminal_text(error, &app.symbols))),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(key_line(app));
    let height = u16::try_from(lines.len() + 2)
        .unwrap_or(u16::MAX)
        .min(body.height);
    let area = Rect::new(
        body.x + (body.width - width) / 2,
        body.y + (body.height - height) / 2,
        width,
        height,
    );
    let block = Block::new()
        .border_set(app.symbols.border)
        .borders(Borders::ALL)
        .title(Span::styled(" Test broadcast ", app.theme.title));
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn field(app: &App, label: &str, value: &str) -> Line<'static> {
    Line::from(vec![
        Span::raw("  "),
        Span::styled(format!("{label:<LABEL_WIDTH$}"), app.theme.dim),
        Span::raw(terminal_text(value, &app.symbols).to_string()),
    ])
}

fn input(app: &App, label: &str, value: &str, focused: bool) -> Line<'static> {
    let cursor = match (focused, app.symbols.ascii) {
        (false, _) => "",
        (true, true) => "_",
        (true, false) => "█",
    };
    Line::from(vec![
        Span::raw("  "),
        Span::styled(format!("{label:<LABEL_WIDTH$}"), app.theme.dim),
        Span::raw(format!("> {}", terminal_text(value, &app.symbols))),
        Span::styled(cursor, app.theme.key),
    ])
}

fn key_line(app: &App) -> Line<'static> {
    let mut spans = vec![Span::raw("  ")];
    for (key, what) in keys() {
        spans.push(Span::styled(key, app.theme.key));
        spans.push(Span::raw(format!(" {what}   ")));
    }
    Line::from(spans)
}

/// The keys the form takes.
pub fn keys() -> Vec<(&'static str, &'static str)> {
    vec![
        ("space", "mark"),
        ("tab", "next field"),
        ("enter", "add / preview"),
        ("esc", "cancel"),
    ]
}
