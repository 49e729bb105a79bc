//! The readiness results the screens show: the newest checks of each area with when
//! they arrived, and the run in flight. An area keeps its previous results (and their
//! age) until the run in flight delivers it again.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use launchdeck_core::readiness::{Area, Check, Report, Status, Summary};
use launchdeck_core::redact::sanitize_provider_text;

/// The "checking…" spinner's frame time: 4 frames a second, drawn only while a run is
/// in flight.
pub const SPINNER_FRAME: Duration = Duration::from_millis(250);

/// One area's checks from one run, in display order.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaResult {
    pub area: Area,
    /// The area's checks: failures first, then unknown, warnings, passes; blocking
    /// before non-blocking; otherwise in the rules' order.
    pub report: Report,
    /// When they arrived; ages are measured from here.
    pub received: Instant,
}

impl AreaResult {
    /// Sorts the checks for display and strips control characters from their texts.
    pub fn new(area: Area, checks: Vec<Check>, received: Instant) -> AreaResult {
        let mut checks: Vec<Check> = checks.into_iter().map(clean_check).collect();
        checks.sort_by_key(|c| (rank(c.status), !c.blocking));
        AreaResult {
            area,
            report: Report::new(checks),
            received,
        }
    }

    pub fn checks(&self) -> &[Check] {
        &self.report.checks
    }

    /// The most serious status among the checks; `None` when there are none.
    pub fn worst(&self) -> Option<Status> {
        self.checks()
            .iter()
            .map(|c| c.status)
            .min_by_key(|s| rank(*s))
    }

    /// How many checks stop a launch.
    pub fn blocking(&self) -> usize {
        self.report.blockers().count()
    }
}

/// Display order of statuses: failures first, then checks that could not run (an
/// unknown blocking check stops a launch), warnings, passes.
pub fn rank(status: Status) -> u8 {
    match status {
        Status::Fail => 0,
        Status::Unknown => 1,
        Status::Warn => 2,
        Status::Pass => 3,
    }
}

fn clean_check(mut check: Check) -> Check {
    clean(&mut check.id);
    clean(&mut check.reason);
    if let Some(fix) = &mut check.fix {
        clean(fix);
    }
    if let Some(subject) = &mut check.subject {
        clean(subject);
    }
    check
}

/// Texts may quote providers: no control character or escape reaches the terminal.
fn clean(text: &mut String) {
    if text.chars().any(char::is_control) {
        *text = sanitize_provider_text(text);
    }
}

/// A run in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunState {
    pub started: Instant,
    /// The areas this run has not delivered yet.
    pub waiting: BTreeSet<Area>,
}

/// The whole answer so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every area is in and no blocking check fails or is unknown.
    Ready,
    /// This many checks stop a launch (known even before every area is in).
    NotReady { blocking: usize },
    /// No blocker so far, but some areas have never been checked.
    Checking,
}

/// A provider with a status dot in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Retell,
    Twilio,
    ElevenLabs,
    Google,
}

impl Provider {
    pub const ALL: [Provider; 4] = [
        Provider::Retell,
        Provider::Twilio,
        Provider::ElevenLabs,
        Provider::Google,
    ];

    /// The readiness area whose checks give this provider's status.
    pub fn area(self) -> Area {
        match self {
            Provider::Retell => Area::Retell,
            Provider::Twilio => Area::TwilioSip,
            Provider::ElevenLabs => Area::ElevenLabs,
            Provider::Google => Area::Calendar,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Provider::Retell => "Retell",
            Provider::Twilio => "Twilio",
            Provider::ElevenLabs => "ElevenLabs",
            Provider::Google => "Google",
        }
    }

    /// A shorter name for narrow headers.
    pub fn short_name(self) -> &'static str {
        match self {
            Provider::ElevenLabs => "11Labs",
            other => other.name(),
        }
    }
}

/// A provider's dot: the worst status of its area, or still being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderState {
    /// No result yet (the first run has not delivered its area).
    Checking,
    /// The worst status among its area's checks (`Pass` when there are none).
    Is(Status),
}

/// One row of the Readiness table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RowRef<'a> {
    Area(Area),
    Check(&'a Check, Instant),
}

/// Identifies a row across runs (check ids are stable).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RowId {
    Area(Area),
    Check(String),
}

impl RowId {
    pub fn is_check(&self) -> bool {
        matches!(self, RowId::Check(_))
    }
}

/// The newest results of every area and the run in flight.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Readiness {
    pub areas: BTreeMap<Area, AreaResult>,
    pub run: Option<RunState>,
    /// When the last complete run ended.
    pub finished_at: Option<Instant>,
}

impl Readiness {
    /// A run began: every area is being checked again; previous results stay.
    pub fn started(&mut self, at: Instant) {
        self.run = Some(RunState {
            started: at,
            waiting: Area::ALL.into_iter().collect(),
        });
    }

    /// One area's new results replace its previous ones.
    pub fn received(&mut self, result: AreaResult) {
        if let Some(run) = &mut self.run {
            run.waiting.remove(&result.area);
        }
        self.areas.insert(result.area, result);
    }

    pub fn finished(&mut self, at: Instant) {
        self.run = None;
        self.finished_at = Some(at);
    }

    pub fn running(&self) -> bool {
        self.run.is_some()
    }

    /// The run in flight has not delivered this area yet.
    pub fn checking(&self, area: Area) -> bool {
        self.run.as_ref().is_some_and(|r| r.waiting.contains(&area))
    }

    pub fn area(&self, area: Area) -> Option<&AreaResult> {
        self.areas.get(&area)
    }

    pub fn verdict(&self) -> Verdict {
        let blocking: usize = self.areas.values().map(AreaResult::blocking).sum();
        if blocking > 0 {
            Verdict::NotReady { blocking }
        } else if self.areas.len() == Area::ALL.len() {
            Verdict::Ready
        } else {
            Verdict::Checking
        }
    }

    /// Counts of every status over the results shown.
    pub fn summary(&self) -> Summary {
        self.areas
            .values()
            .map(|a| a.report.summary())
            .fold(Summary::default(), |total, s| Summary {
                pass: total.pass + s.pass,
                warn: total.warn + s.warn,
                fail: total.fail + s.fail,
                unknown: total.unknown + s.unknown,
            })
    }

    pub fn provider(&self, provider: Provider) -> ProviderState {
        match self.area(provider.area()) {
            Some(result) => ProviderState::Is(result.worst().unwrap_or(Status::Pass)),
            None => ProviderState::Checking,
        }
    }

    /// Every area's header row followed by its checks, in area order.
    pub fn rows(&self) -> Vec<RowRef<'_>> {
        let mut rows = Vec::new();
        for area in Area::ALL {
            rows.push(RowRef::Area(area));
            if let Some(result) = self.area(area) {
                rows.extend(
                    result
                        .checks()
                        .iter()
                        .map(|c| RowRef::Check(c, result.received)),
                );
            }
        }
        rows
    }

    pub fn row_ids(&self) -> Vec<RowId> {
        self.rows()
            .into_iter()
            .map(|row| match row {
                RowRef::Area(area) => RowId::Area(area),
                RowRef::Check(check, _) => RowId::Check(check.id.clone()),
            })
            .collect()
    }

    /// The check with this id in the results shown.
    pub fn find(&self, id: &str) -> Option<&Check> {
        self.areas
            .values()
            .flat_map(AreaResult::checks)
            .find(|c| c.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn check(id: &str, status: Status, blocking: bool) -> Check {
        Check::new(Area::Retell, id, status, "why", Utc::now()).blocking(blocking)
    }

    #[test]
    fn failures_come_first_then_unknown_warn_pass_blocking_first() {
        let result = AreaResult::new(
            Area::Retell,
            vec![
                check("a", Status::Pass, true),
                check("b", Status::Warn, false),
                check("c", Status::Fail, false),
                check("d", Status::Unknown, true),
                check("e", Status::Fail, true),
                check("f", Status::Pass, false),
            ],
            Instant::now(),
        );
        let ids: Vec<&str> = result.checks().iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["e", "c", "d", "b", "a", "f"]);
        assert_eq!(result.worst(), Some(Status::Fail));
        assert_eq!(result.blocking(), 2);
    }

    #[test]
    fn control_characters_never_reach_the_screen() {
        let mut hostile = check("x", Status::Fail, false);
        hostile.reason = "said \u{1b}[31mno\u{1b}[0m\u{7}".to_string();
        let result = AreaResult::new(Area::Retell, vec![hostile], Instant::now());
        assert_eq!(result.checks()[0].reason, "said no");
    }

    #[test]
    fn verdict_needs_every_area_unless_a_blocker_is_known() {
        let now = Instant::now();
        let mut readiness = Readiness::default();
        assert_eq!(readiness.verdict(), Verdict::Checking);
        for area in Area::ALL {
            let ok = Check::new(area, "ok", Status::Pass, "fine", Utc::now()).blocking(true);
            readiness.received(AreaResult::new(area, vec![ok], now));
        }
        assert_eq!(readiness.verdict(), Verdict::Ready);
        let unknown = check("retell.api_key", Status::Unknown, true);
        readiness.received(AreaResult::new(Area::Retell, vec![unknown], now));
        assert_eq!(readiness.verdict(), Verdict::NotReady { blocking: 1 });
        assert_eq!(
            readiness.provider(Provider::Retell),
            ProviderState::Is(Status::Unknown)
        );
    }
}
