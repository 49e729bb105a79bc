//! The Calls screen: every call in flight from the three sources, stuck rows first.
//! Only the visible window of rows is built per frame.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use launchdeck_core::stuck::{Stuckness, age};

use super::{format, source_problem};
use crate::app::{App, Source};
use crate::model::{CallRow, LiveData};

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let [summary_area, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let live = app.shown().live.as_deref();
    let summary = source_problem(app, Source::Live, live.map(|l| l.received))
        .unwrap_or_else(|| summary_line(app, live));
    frame.render_widget(summary, summary_area);
    match live {
        None => frame.render_widget(
            Paragraph::new("  waiting for the first poll of calls in flight..."),
            table_area,
        ),
        Some(live) if live.rows.is_empty() => frame.render_widget(
            Paragraph::new(format!("  {} no calls in flight", app.symbols.ok)),
            table_area,
        ),
        Some(live) => render_table(frame, table_area, app, live),
    }
}

fn summary_line(app: &App, live: Option<&LiveData>) -> Line<'static> {
    let (s, t) = (&app.symbols, &app.theme);
    let Some(live) = live else {
        return Line::styled(" Calls in flight", t.title);
    };
    let stuck = live
        .rows
        .iter()
        .filter(|r| r.stuckness == Stuckness::Stuck)
        .count();
    let ask = live.flagged_count() - stuck;
    let mut spans = vec![
        Span::styled(" Calls in flight ", t.title),
        Span::styled(format::count(live.rows.len() as i64), t.title),
        Span::raw(s.separator),
    ];
    if stuck > 0 {
        spans.push(Span::styled(format!("{} {stuck} stuck", s.fail), t.fail));
    } else {
        spans.push(Span::styled(format!("{} none stuck", s.ok), t.ok));
    }
    if ask > 0 {
        spans.push(Span::raw(s.separator));
        spans.push(Span::styled(
            format!("{} {ask} ask provider", s.unknown),
            t.warn,
        ));
    }
    if !app.calls.marks.is_empty() {
        spans.push(Span::raw(s.separator));
        spans.push(Span::styled(
            format!("{} {} marked", s.mark, app.calls.marks.len()),
            t.marked,
        ));
    }
    Line::from(spans)
}

/// From this width on, provider ids are shown whole.
const WIDE: u16 = 120;

/// The provider id column: room for a whole Twilio SID (34) or Retell call id when wide.
fn provider_width(area: Rect) -> u16 {
    if area.width >= WIDE { 36 } else { 14 }
}

fn widths(app: &App, area: Rect) -> [Constraint; 10] {
    let marker = u16::try_from(app.symbols.fail.chars().count()).unwrap_or(4);
    let number = if app.numbers_revealed { 16 } else { 8 };
    [
        Constraint::Length(marker),
        Constraint::Length(1),
        Constraint::Length(5),
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Length(number),
        Constraint::Fill(1),
        Constraint::Length(provider_width(area)),
        Constraint::Length(5),
        Constraint::Length(4),
    ]
}

fn header_row(app: &App) -> Row<'static> {
    let names = [
        "",
        "",
        "src",
        "state",
        "age",
        "number",
        "broadcast/campaign",
        "provider id",
        "tries",
        "hold",
    ];
    Row::new(names.map(Cell::from)).style(app.theme.table_header)
}

fn render_table(frame: &mut Frame, area: Rect, app: &App, live: &LiveData) {
    let page = usize::from(area.height.saturating_sub(1));
    let len = live.rows.len();
    let start = app.calls.nav.offset.min(len.saturating_sub(page));
    let end = (start + page).min(len);
    let db_now = live.db_time_at(app.shown_now());
    let provider_width = usize::from(provider_width(area));
    let rows = live.rows[start..end].iter().enumerate().map(|(i, row)| {
        let built = call_row(app, row, db_now, provider_width);
        if start + i == app.calls.nav.selected {
            built.style(app.theme.selected)
        } else {
            built
        }
    });
    let table = Table::new(rows, widths(app, area))
        .header(header_row(app))
        .column_spacing(1);
    frame.render_widget(table, area);
}

fn call_row(
    app: &App,
    row: &CallRow,
    db_now: chrono::DateTime<chrono::Utc>,
    provider_width: usize,
) -> Row<'static> {
    let (s, t) = (&app.symbols, &app.theme);
    let call = &row.call;
    let marker = match row.stuckness {
        Stuckness::Stuck => Span::styled(s.fail, t.fail),
        Stuckness::AskProvider => Span::styled(s.unknown, t.warn),
        Stuckness::Live => Span::raw(""),
    };
    let mark = if app.calls.marks.contains(&row.key()) {
        Span::styled(s.mark, t.marked)
    } else {
        Span::raw("")
    };
    let provider_id = call
        .provider_call_id
        .as_deref()
        .map(|id| format::shorten(id, provider_width, s))
        .unwrap_or_default();
    let attempts = format!("{}/{}", call.attempts, call.max_attempts);
    let hold = if call.redial_hold { "hold" } else { "" };
    Row::new([
        Cell::from(marker),
        Cell::from(mark),
        Cell::from(call.source.short_label()),
        Cell::from(call.state.clone()),
        Cell::from(format::age(age(call.since, db_now))),
        Cell::from(format::phone(&call.phone, app.numbers_revealed, s)),
        Cell::from(call.parent_name.clone().unwrap_or_default()),
        Cell::from(provider_id),
        Cell::from(attempts),
        Cell::from(hold),
    ])
}
