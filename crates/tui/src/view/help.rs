//! The help overlay: every key with what it does, grouped, from the effective bindings.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::App;
use crate::keys::{HelpGroup, KeyAction, offered};

const WIDTH: u16 = 76;
const HEIGHT: u16 = 22;
const KEY_COLUMN: usize = 11;

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let width = WIDTH.min(area.width);
    let height = HEIGHT.min(area.height);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    let close = app.keymap.label(crate::keys::KeyAction::Back);
    let block = Block::new()
        .border_set(app.symbols.border)
        .borders(Borders::ALL)
        .title(Span::styled(" Keys ", app.theme.title))
        .title_bottom(Line::from(format!(" {close} closes ")).right_aligned());
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    let [left, right] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(inner);
    // Balanced for 80x24: 20 lines a column at most.
    let left_groups = [HelpGroup::General, HelpGroup::Screens, HelpGroup::Lists];
    let right_groups = [HelpGroup::Move, HelpGroup::Actions];
    frame.render_widget(Paragraph::new(group_lines(app, &left_groups)), left);
    frame.render_widget(Paragraph::new(group_lines(app, &right_groups)), right);
}

fn group_lines(app: &App, groups: &[HelpGroup]) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (i, group) in groups.iter().enumerate() {
        if i > 0 {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(format!(" {}", group.title()), app.theme.title));
        for def in offered().filter(|d| HelpGroup::of(d.action) == Some(*group)) {
            let help = match def.action {
                KeyAction::Quit => format!("{} (ctrl-c always)", def.help),
                _ => def.help.to_string(),
            };
            lines.push(key_line(app, app.keymap.label(def.action), &help));
        }
    }
    lines
}

fn key_line(app: &App, keys: String, help: &str) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("  {keys:<KEY_COLUMN$}"), app.theme.key),
        Span::raw(help.to_string()),
    ])
}
