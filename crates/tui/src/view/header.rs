//! The header bar: environment, database status, age of the newest data, provider
//! status dots, READ-ONLY badge, clock. On a narrow terminal the texts shorten step by
//! step (see [`FITS`]) until the bar fits.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use launchdeck_core::readiness::Status;
use launchdeck_store::ReplicaInfo;

use super::format;
use crate::app::{App, Source};
use crate::readiness::{Provider, ProviderState};

/// How much of the header is spelled out.
#[derive(Debug, Clone, Copy)]
struct Fit {
    /// `11Labs` for ElevenLabs.
    short_names: bool,
    /// No `launchdeck` before an environment name; `DB 3 ms`; `DB unreachable`.
    compact: bool,
    /// No space between a provider's symbol and its name.
    tight_dots: bool,
    data_age: bool,
    clock: bool,
}

/// From the most spelled out to the least; the first that fits is drawn (the last
/// one is cut at the right edge of its left part when even it does not fit).
const FITS: [Fit; 6] = [
    Fit {
        short_names: false,
        compact: false,
        tight_dots: false,
        data_age: true,
        clock: true,
    },
    Fit {
        short_names: true,
        compact: false,
        tight_dots: false,
        data_age: true,
        clock: true,
    },
    Fit {
        short_names: true,
        compact: true,
        tight_dots: false,
        data_age: true,
        clock: true,
    },
    Fit {
        short_names: true,
        compact: true,
        tight_dots: true,
        data_age: true,
        clock: true,
    },
    Fit {
        short_names: true,
        compact: true,
        tight_dots: true,
        data_age: false,
        clock: true,
    },
    Fit {
        short_names: true,
        compact: true,
        tight_dots: true,
        data_age: false,
        clock: false,
    },
];

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let width = usize::from(area.width);
    let sides = |fit: Fit| (Line::from(left_side(app, fit)), right_side(app, fit));
    let (left, right) = FITS
        .iter()
        .map(|fit| sides(*fit))
        .find(|(left, right)| left.width() + right.width() <= width)
        .unwrap_or_else(|| sides(FITS[FITS.len() - 1]));
    let right_width = u16::try_from(right.width()).unwrap_or(u16::MAX);
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_width)]).areas(area);
    frame.render_widget(left.style(app.theme.header), left_area);
    frame.render_widget(right.style(app.theme.header), right_area);
}

fn left_side(app: &App, fit: Fit) -> Vec<Span<'static>> {
    let sep = app.symbols.separator;
    let env = app
        .options
        .environment_name
        .as_deref()
        .map(launchdeck_core::redact::sanitize_provider_text);
    let mut spans = Vec::new();
    match env {
        Some(env) if fit.compact => spans.push(Span::styled(format!(" {env}"), app.theme.title)),
        Some(env) => spans.push(Span::styled(format!(" launchdeck {env}"), app.theme.title)),
        None => spans.push(Span::styled(" launchdeck", app.theme.title)),
    }
    spans.push(Span::raw(sep));
    spans.extend(database_status(app, fit.compact));
    if fit.data_age {
        spans.push(Span::raw(sep));
        spans.push(Span::raw(data_age(app)));
    }
    spans
}

/// `✓ DB ok 3 ms`, `✗ database unreachable since 12:03:04`, or `? DB connecting...`.
fn database_status(app: &App, compact: bool) -> Vec<Span<'static>> {
    let s = &app.symbols;
    let health = app.health(Source::Live);
    if let (Some(since), Some(error)) = (health.failing_since, &health.last_error) {
        let what = match (error.transient, compact) {
            (true, false) => "database unreachable",
            (true, true) => "DB unreachable",
            (false, false) => "database error",
            (false, true) => "DB error",
        };
        let since = format::clock_time(since, app.options.timezone);
        return vec![Span::styled(
            format!("{} {what} since {since}", s.fail),
            app.theme.fail,
        )];
    }
    let ok = if compact { "DB" } else { "DB ok" };
    match &app.data.live {
        Some(live) => {
            let mut spans = vec![
                Span::styled(s.ok, app.theme.ok),
                Span::raw(format!(" {ok} {} ms", live.round_trip.as_millis())),
            ];
            if let Some(replica) = &live.replica {
                spans.push(replica_status(app, replica, compact));
            }
            spans
        }
        None => vec![Span::raw(format!("{} DB connecting...", s.unknown))],
    }
}

/// ` replica lag 0.4 s`, or ` ! reading the primary: replica unreachable` (compact:
/// ` ! primary: replica unreachable`).
fn replica_status(app: &App, replica: &ReplicaInfo, compact: bool) -> Span<'static> {
    match (&replica.problem, compact) {
        (None, _) => {
            let lag = replica.lag.unwrap_or_default().as_secs_f64();
            Span::raw(format!(" replica lag {lag:.1} s"))
        }
        (Some(problem), true) => Span::styled(
            format!(" {} primary: {problem}", app.symbols.warn),
            app.theme.warn,
        ),
        (Some(problem), false) => Span::styled(
            format!(" {} reading the primary: {problem}", app.symbols.warn),
            app.theme.warn,
        ),
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

fn right_side(app: &App, fit: Fit) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    if app.options.read_only {
        spans.push(Span::styled("[READ-ONLY]", app.theme.badge));
        spans.push(Span::raw(" "));
    }
    spans.extend(provider_dots(app, fit));
    if fit.clock {
        spans.push(Span::raw("  "));
        spans.push(Span::raw(format::clock_time(
            app.clock.wall,
            app.options.timezone,
        )));
    }
    spans.push(Span::raw(" "));
    Line::from(spans)
}

/// `● Retell ! Twilio ✗ ElevenLabs ? Google`, from the newest readiness results.
fn provider_dots(app: &App, fit: Fit) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for (i, provider) in Provider::ALL.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        let (symbol, style) = dot(app, app.readiness.results.provider(provider));
        spans.push(Span::styled(symbol, style));
        let name = if fit.short_names {
            provider.short_name()
        } else {
            provider.name()
        };
        let gap = if fit.tight_dots { "" } else { " " };
        spans.push(Span::raw(format!("{gap}{name}")));
    }
    spans
}

fn dot(app: &App, state: ProviderState) -> (&'static str, Style) {
    let (s, t) = (&app.symbols, &app.theme);
    match state {
        ProviderState::Checking => (s.checking, t.dim),
        ProviderState::Is(Status::Pass) => (s.dot, t.ok),
        ProviderState::Is(Status::Warn) => (s.warn, t.warn),
        ProviderState::Is(Status::Fail) => (s.fail, t.fail),
        ProviderState::Is(Status::Unknown) => (s.unknown, t.warn),
    }
}
