//! The Logs screen: the newest call-log rows, a filter line and a detail pane.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use launchdeck_core::domain::{CallLogEntry, CallSource, ProviderCallRecord};

use super::{format, frame_areas, pane, source_problem};
use crate::app::{App, Source};
use crate::records::{self, RecordState};

/// From this width on, the source and broadcast/campaign columns are shown too.
const WIDE: u16 = 120;

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let [summary_area, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let logs = app.shown().logs.as_deref();
    let entries = app.shown_logs();
    match source_problem(app, Source::Logs, logs.map(|l| l.received)) {
        Some(problem) if !app.logs.filter.editing => frame.render_widget(problem, summary_area),
        _ => render_summary(frame, summary_area, app, entries.len()),
    }
    if logs.is_none() {
        frame.render_widget(
            Paragraph::new("  waiting for the first poll of the call log..."),
            table_area,
        );
    } else if entries.is_empty() {
        let text = if app.logs.filter.text().is_empty() {
            "  no calls in the log yet"
        } else {
            "  no call matches the filter"
        };
        frame.render_widget(Paragraph::new(text), table_area);
    } else {
        render_table(frame, table_area, app, &entries);
    }
    if let Some(entry) = &app.logs.detail {
        render_detail(frame, area, app, entry);
    }
}

fn render_summary(frame: &mut Frame, area: Rect, app: &App, shown: usize) {
    let t = &app.theme;
    let mut spans = vec![
        Span::styled(" Call log", t.title),
        Span::raw(format!(
            " newest {}, {} shown",
            app.options.log_window,
            format::count(shown as i64)
        )),
    ];
    let text = app.logs.filter.text();
    if app.logs.filter.editing || !text.is_empty() {
        spans.push(Span::raw(app.symbols.separator));
        spans.push(Span::styled("filter: ", t.key));
        let prefix_width: usize = spans.iter().map(Span::width).sum();
        spans.push(Span::raw(text.to_string()));
        if app.logs.filter.editing {
            let column = prefix_width + app.logs.filter.input.visual_cursor();
            let x = area
                .x
                .saturating_add(u16::try_from(column).unwrap_or(u16::MAX));
            if x < area.right() {
                frame.set_cursor_position(Position::new(x, area.y));
            }
        }
    }
    frame.render_widget(Line::from(spans), area);
}

fn widths(app: &App, wide: bool) -> Vec<Constraint> {
    let number = if app.numbers_revealed { 16 } else { 8 };
    let mut widths = vec![Constraint::Length(8)];
    if wide {
        widths.push(Constraint::Length(5));
    }
    widths.extend([
        Constraint::Length(11),
        Constraint::Length(12),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Length(number),
    ]);
    if wide {
        widths.push(Constraint::Length(26));
    }
    widths.push(Constraint::Fill(1));
    widths
}

fn header_row(app: &App, wide: bool) -> Row<'static> {
    let mut names = vec!["time"];
    if wide {
        names.push("src");
    }
    names.extend(["status", "outcome", "dur", "cost", "number"]);
    if wide {
        names.push("broadcast/campaign");
    }
    names.push("notes");
    Row::new(names.into_iter().map(Cell::from)).style(app.theme.table_header)
}

fn render_table(frame: &mut Frame, area: Rect, app: &App, entries: &[&CallLogEntry]) {
    let wide = area.width >= WIDE;
    let page = usize::from(area.height.saturating_sub(1));
    let start = app.logs.nav.offset.min(entries.len().saturating_sub(page));
    let end = (start + page).min(entries.len());
    let rows = entries[start..end].iter().enumerate().map(|(i, entry)| {
        let row = log_row(app, entry, wide);
        if start + i == app.logs.nav.selected {
            row.style(app.theme.selected)
        } else {
            row
        }
    });
    let table = Table::new(rows, widths(app, wide))
        .header(header_row(app, wide))
        .column_spacing(1);
    frame.render_widget(table, area);
}

/// The time the log is ordered by: a call's creation, a queue row's last change.
fn listed_at(e: &CallLogEntry) -> DateTime<Utc> {
    match e.source {
        CallSource::BroadcastQueue => e.updated_at,
        CallSource::CallLogs | CallSource::DialingQueues => e.created_at,
    }
}

fn log_row(app: &App, e: &CallLogEntry, wide: bool) -> Row<'static> {
    let s = &app.symbols;
    let mut cells = vec![Cell::from(format::clock_time(
        listed_at(e),
        app.options.timezone,
    ))];
    if wide {
        cells.push(Cell::from(e.source.short_label()));
    }
    cells.extend([
        Cell::from(e.status.clone()),
        Cell::from(e.outcome.clone().unwrap_or_default()),
        Cell::from(format::call_duration(e.duration_seconds)),
        Cell::from(format::cost(e.cost)),
        Cell::from(format::phone(&e.phone, app.numbers_revealed, s)),
    ]);
    if wide {
        cells.push(Cell::from(e.parent_name.clone().unwrap_or_default()));
    }
    cells.push(Cell::from(e.notes.clone().unwrap_or_default()));
    Row::new(cells)
}

/// The detail pane over the table: timeline, ids, outcome, cost, notes and summary,
/// then the provider's own record of the call.
fn render_detail(frame: &mut Frame, body: Rect, app: &App, e: &CallLogEntry) {
    let lines = all_detail_lines(app, e, pane::value_width(body));
    let title = format!(" Call {} {} ", e.source.as_str(), e.id);
    pane::render_scrolled(frame, body, app, title, lines, app.logs.detail_scroll);
}

fn all_detail_lines(app: &App, e: &CallLogEntry, width: usize) -> Vec<Line<'static>> {
    let mut lines = detail_lines(app, e, width);
    lines.extend(record_lines(app, e, width));
    lines
}

/// The open detail's line count on this terminal (0 when no detail is open): what the
/// runtime reports to `update` after a frame, for scrolling.
pub fn detail_line_count(app: &App) -> usize {
    let body = frame_areas(app.size).body;
    app.logs.detail.as_ref().map_or(0, |e| {
        all_detail_lines(app, e, pane::value_width(body)).len()
    })
}

/// How many lines the open detail can be scrolled down by.
pub fn detail_scroll_limit(app: &App) -> u16 {
    pane::scroll_limit(frame_areas(app.size).body, detail_line_count(app))
}

fn detail_lines(app: &App, e: &CallLogEntry, width: usize) -> Vec<Line<'static>> {
    let zone = app.options.timezone;
    let none = || "-".to_string();
    let status = match &e.outcome {
        Some(outcome) => format!("{}, outcome {outcome}", e.status),
        None => e.status.clone(),
    };
    let parent = match (&e.parent_name, e.source, e.campaign_id, e.broadcast_id) {
        (Some(name), CallSource::BroadcastQueue, _, _) => format!("broadcast {name}"),
        (Some(name), _, Some(_), _) => format!("campaign {name}"),
        (Some(name), _, _, Some(_)) => format!("broadcast {name}"),
        (Some(name), _, _, _) => name.clone(),
        (None, _, _, _) => none(),
    };
    let provider = match (&e.provider, &e.provider_call_id) {
        (Some(p), Some(id)) => format!("{p} {id}"),
        (None, Some(id)) => id.clone(),
        (Some(p), None) => format!("{p}, no call id"),
        (None, None) => none(),
    };
    let number = format::phone(&e.phone, app.numbers_revealed, &app.symbols);
    let mut fields = vec![
        ("status", status),
        ("number", number),
        ("caller id", e.caller_id.clone().unwrap_or_else(none)),
        ("for", parent),
        ("created", format::date_time(e.created_at, zone)),
        (
            "answered",
            timeline_point(e.answered_at, e.created_at, zone),
        ),
        ("ended", timeline_point(e.ended_at, e.created_at, zone)),
        (
            "duration",
            non_empty(format::call_duration(e.duration_seconds)),
        ),
        ("cost", non_empty(format::cost(e.cost))),
        ("provider", provider),
        ("agent", e.agent_id.clone().unwrap_or_else(none)),
    ];
    if e.source == CallSource::BroadcastQueue {
        // Queue rows keep no answer/end times: their last change is when they finished.
        let finished = timeline_point(Some(e.updated_at), e.created_at, zone);
        fields.insert(7, ("finished", finished));
    }
    if e.reconciliation_required {
        let hold = format!(
            "{} provider reconciliation required (never redialled)",
            app.symbols.warn
        );
        fields.push(("hold", hold));
    }
    fields.push(("notes", e.notes.clone().unwrap_or_else(none)));
    fields.push(("summary", e.call_summary.clone().unwrap_or_else(none)));
    fields
        .into_iter()
        .flat_map(|(name, value)| pane::field(name, value, width))
        .collect()
}

/// The provider's record of the row (product.md Decision 11): fetching, fetched, why
/// it could not be, or why it is not fetched for this provider. Nothing without a
/// provider call id.
fn record_lines(app: &App, e: &CallLogEntry, width: usize) -> Vec<Line<'static>> {
    let Some((key, provider)) = records::target(e) else {
        return Vec::new();
    };
    let values = match (provider.why_not_fetched(), app.records.get(&key)) {
        (Some(why), _) => vec![why],
        (None, None) => return Vec::new(),
        (None, Some(RecordState::Fetching)) => vec![format!("{}: fetching…", provider.name())],
        (None, Some(RecordState::Fetched(Ok(record)))) => record_values(app, e, record),
        (None, Some(RecordState::Fetched(Err(err)))) => vec![err.to_string()],
    };
    values
        .into_iter()
        .enumerate()
        .flat_map(|(i, value)| {
            let name = if i == 0 { "record" } else { "" };
            let value = format::terminal_text(&value, &app.symbols).into_owned();
            pane::field(name, value, width)
        })
        .collect()
}

/// `Retell: ended, reason user_hangup` then the provider's timeline, duration and cost.
fn record_values(app: &App, e: &CallLogEntry, r: &ProviderCallRecord) -> Vec<String> {
    let mut status = format!("{}: {}", r.provider.name(), r.status);
    if let Some(reason) = &r.reason {
        status.push_str(&format!(", reason {reason}"));
    }
    let zone = app.options.timezone;
    let point = |at| timeline_point(Some(at), e.created_at, zone);
    let mut timeline = Vec::new();
    match (r.started_at, r.ended_at) {
        (Some(start), Some(end)) => timeline.push(format!("{} → {}", point(start), point(end))),
        (Some(start), None) => timeline.push(format!("started {}", point(start))),
        (None, Some(end)) => timeline.push(format!("ended {}", point(end))),
        (None, None) => {}
    }
    if let Some(seconds) = r.duration_seconds {
        timeline.push(record_duration(seconds));
    }
    if let Some(cost) = r.cost {
        timeline.push(format!("cost {}", format::cost(Some(cost))));
    }
    let mut values = vec![status];
    if !timeline.is_empty() {
        values.push(timeline.join(", "));
    }
    values
}

fn record_duration(seconds: i64) -> String {
    match u64::try_from(seconds) {
        Ok(s) => format::age(Duration::from_secs(s)),
        Err(_) => "?".to_string(),
    }
}

fn non_empty(text: String) -> String {
    if text.is_empty() {
        "-".to_string()
    } else {
        text
    }
}

/// A timeline time with its offset from creation, e.g. `12:01:12 (+7s)`.
fn timeline_point(
    at: Option<DateTime<Utc>>,
    created: DateTime<Utc>,
    zone: Option<chrono_tz::Tz>,
) -> String {
    match at {
        None => "-".to_string(),
        Some(t) => {
            let offset = (t - created).to_std().unwrap_or_default();
            format!("{} (+{})", format::clock_time(t, zone), format::age(offset))
        }
    }
}
