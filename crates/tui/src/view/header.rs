//! The header bar: environment, database status, age of the newest data, READ-ONLY
//! badge, clock.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use super::format;
use crate::app::{App, Source};

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let right = right_side(app);
    let right_width = u16::try_from(right.width()).unwrap_or(u16::MAX);
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_width)]).areas(area);
    frame.render_widget(
        Line::from(left_side(app)).style(app.theme.header),
        left_area,
    );
    frame.render_widget(right.style(app.theme.header), right_area);
}

fn left_side(app: &App) -> Vec<Span<'static>> {
    let sep = app.symbols.separator;
    let mut spans = vec![Span::styled(" launchdeck", app.theme.title)];
    if let Some(env) = &app.options.environment_name {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            launchdeck_core::redact::sanitize_provider_text(env),
            app.theme.title,
        ));
    }
    spans.push(Span::raw(sep));
    spans.extend(database_status(app));
    spans.push(Span::raw(sep));
    spans.push(Span::raw(data_age(app)));
    spans
}

/// `✓ DB ok 3 ms`, `✗ database unreachable since 12:03:04`, or `? DB connecting...`.
fn database_status(app: &App) -> Vec<Span<'static>> {
    let s = &app.symbols;
    let health = app.health(Source::Live);
    if let (Some(since), Some(error)) = (health.failing_since, &health.last_error) {
        let what = if error.transient {
            "database unreachable"
        } else {
            "database error"
        };
        let since = format::clock_time(since, app.options.timezone);
        return vec![Span::styled(
            format!("{} {what} since {since}", s.fail),
            app.theme.fail,
        )];
    }
    match &app.data.live {
        Some(live) => vec![
            Span::styled(s.ok, app.theme.ok),
            Span::raw(format!(" DB ok {} ms", live.round_trip.as_millis())),
        ],
        None => vec![Span::raw(format!("{} DB connecting...", s.unknown))],
    }
}

fn data_age(app: &App) -> String {
    match app.data.newest_received() {
        Some(at) => format!(
            "data {} old",
            format::age(app.clock.now.saturating_duration_since(at))
        ),
        None => "no data yet".to_string(),
    }
}

fn right_side(app: &App) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    if app.options.read_only {
        spans.push(Span::styled("[READ-ONLY]", app.theme.badge));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::raw(format::clock_time(
        app.clock.wall,
        app.options.timezone,
    )));
    spans.push(Span::raw(" "));
    Line::from(spans)
}
