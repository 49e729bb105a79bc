//! Following the placed test calls: each is polled at its provider (in the provider's
//! paced lane) until it ends or the longest call time passes; a call whose acceptance
//! is unknown is reconciled (providers.md §3: the provider's calls to/from the numbers,
//! matched on the request id — Twilio: its calls to the number from the caller, created
//! since the create — every 5 s for 2 min), never re-sent. Each final state is written
//! from the provider's answer, conditional on the row being as the previous step left
//! it, in one statement: dropping the future (cancel) leaves every row whole; a call
//! left in flight is later handled by `launchdeck cleanup`.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use launchdeck_core::redact::sanitize_provider_text;
use launchdeck_core::test_broadcast::{
    FinalState, TestCallUpdate, TestCallWrite, TestProvider, retell_final_status,
    twilio_final_status,
};
use launchdeck_providers::Provider;
use launchdeck_providers::retell::Call as RetellCall;
use launchdeck_providers::twilio::TwilioCall;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use super::super::support;
use super::{Placement, TestBroadcastPlan, TestCall};
use crate::actions::ActionEnv;

/// How often and how long [`follow`] asks; tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowTimings {
    /// Between two rounds of polls (each request still waits its lane's turn).
    pub poll_interval: Duration,
    /// Between two reconcile lists for one call.
    pub reconcile_every: Duration,
    /// How long a call whose acceptance is unknown is looked for.
    pub reconcile_window: Duration,
    /// A call still going after this long is left to `launchdeck cleanup`.
    pub max_call_duration: Duration,
}

impl FollowTimings {
    /// The production timings: poll every second, reconcile every 5 s for 2 min,
    /// `[thresholds] max_call_duration`.
    pub fn for_plan(plan: &TestBroadcastPlan) -> Self {
        FollowTimings {
            poll_interval: Duration::from_secs(1),
            reconcile_every: Duration::from_secs(5),
            reconcile_window: Duration::from_secs(120),
            max_call_duration: plan.max_call_duration,
        }
    }
}

/// One destination's state, in words via `Display`.
#[derive(Debug, Clone, PartialEq)]
pub enum CallState {
    Placing,
    Ringing,
    InProgress,
    Ended {
        status: String,
        reason: String,
        duration_seconds: Option<i64>,
    },
    Rejected(String),
    NotSent(String),
    AcceptanceUnknown(String),
    Reconciling,
    /// Reconcile found the call (its id).
    Found(String),
    ProbablyNotPlaced,
    /// Still going when the longest call time passed: left in flight.
    StillLive,
}

impl CallState {
    /// No more changes will follow for this call.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            CallState::Ended { .. }
                | CallState::Rejected(_)
                | CallState::NotSent(_)
                | CallState::ProbablyNotPlaced
                | CallState::StillLive
        )
    }
}

impl fmt::Display for CallState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallState::Placing => write!(f, "placing"),
            CallState::Ringing => write!(f, "ringing"),
            CallState::InProgress => write!(f, "in progress"),
            CallState::Ended {
                status,
                reason,
                duration_seconds,
            } => {
                write!(f, "ended: {status}")?;
                if !reason.is_empty() {
                    write!(f, " ({reason})")?;
                }
                if let Some(secs) = duration_seconds {
                    write!(f, ", {secs} s")?;
                }
                Ok(())
            }
            CallState::Rejected(why) => write!(f, "rejected: {why}"),
            CallState::NotSent(why) => write!(f, "not sent: {why}"),
            CallState::AcceptanceUnknown(why) => {
                write!(f, "acceptance unknown ({why}): not redialled, reconciling")
            }
            CallState::Reconciling => write!(f, "reconciling: looking for the call"),
            CallState::Found(id) => write!(f, "found: the call was placed ({id})"),
            CallState::ProbablyNotPlaced => write!(
                f,
                "probably not placed: not found at the provider within the reconcile window; \
                 a new test needs a fresh confirmation"
            ),
            CallState::StillLive => write!(
                f,
                "still live after the longest call time: left in flight for `launchdeck cleanup`"
            ),
        }
    }
}

/// A change of one destination's state.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCallProgress {
    /// Position in the plan's destinations.
    pub index: usize,
    /// The destination, masked (last 4 digits).
    pub to: String,
    pub state: CallState,
}

impl fmt::Display for TestCallProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.to, self.state)
    }
}

/// How the test calls ended.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FollowSummary {
    /// Every call, in the plan's order, with its final status when known.
    pub calls: Vec<TestCall>,
}

impl FollowSummary {
    /// Every call was placed (or found) and ended with a status other than `failed`.
    pub fn all_finished(&self) -> bool {
        !self.calls.is_empty()
            && self.calls.iter().all(|c| {
                c.placed == Some(Placement::Placed)
                    && c.final_status.as_deref().is_some_and(|s| s != "failed")
            })
    }
}

/// [`follow_with`] at the production timings.
pub async fn follow(
    env: &ActionEnv,
    plan: &TestBroadcastPlan,
    calls: Vec<TestCall>,
    progress: UnboundedSender<TestCallProgress>,
) -> FollowSummary {
    follow_with(env, calls, progress, FollowTimings::for_plan(plan)).await
}

/// A call being followed.
struct Followed {
    call: TestCall,
    /// The last state sent.
    state: CallState,
    done: bool,
    /// When the call was placed (or found): the longest call time counts from here.
    since: Instant,
    /// When reconcile last asked.
    asked: Option<Instant>,
}

/// Follows the calls `apply` placed (`Placed::calls`) until each has ended, its
/// reconcile window passed, or the longest call time passed. Calls that already ended
/// (a summary's calls, followed again) are not asked about. Cancel by dropping the
/// future.
pub async fn follow_with(
    env: &ActionEnv,
    calls: Vec<TestCall>,
    progress: UnboundedSender<TestCallProgress>,
    timings: FollowTimings,
) -> FollowSummary {
    let started = Instant::now();
    let sent_elapsed = |call: &TestCall| {
        (Utc::now() - call.sent_at)
            .to_std()
            .unwrap_or(Duration::ZERO)
    };
    let mut calls: Vec<Followed> = calls
        .into_iter()
        .map(|call| {
            let (state, done) = match call.placed {
                // Followed to its end before (a second follow of the same plan).
                _ if call.final_status.is_some() && call.placed == Some(Placement::Placed) => (
                    CallState::Ended {
                        status: call.final_status.clone().unwrap_or_default(),
                        reason: call.reason.clone().unwrap_or_default(),
                        duration_seconds: call.duration_seconds,
                    },
                    true,
                ),
                Some(Placement::Placed) => (CallState::Ringing, false),
                Some(Placement::AcceptanceUnknown) if call.final_status.is_some() => {
                    (CallState::ProbablyNotPlaced, true)
                }
                Some(Placement::AcceptanceUnknown) => (CallState::Reconciling, false),
                Some(Placement::Rejected) => (
                    CallState::Rejected(call.reason.clone().unwrap_or_default()),
                    true,
                ),
                Some(Placement::NotSent) | None => (
                    CallState::NotSent(call.reason.clone().unwrap_or_default()),
                    true,
                ),
            };
            let since = started.checked_sub(sent_elapsed(&call)).unwrap_or(started);
            Followed {
                call,
                state,
                done,
                since,
                asked: None,
            }
        })
        .collect();
    for f in calls.iter().filter(|f| !f.done) {
        say(&progress, &f.call, f.state.clone());
    }
    loop {
        for f in calls.iter_mut().filter(|f| !f.done) {
            let next = match f.call.placed {
                Some(Placement::Placed) => poll(env, f, &timings).await,
                _ => reconcile(env, f, &timings).await,
            };
            if let Some(state) = next {
                f.done = state.is_final();
                if state != f.state {
                    say(&progress, &f.call, state.clone());
                    f.state = state;
                }
            }
        }
        if calls.iter().all(|f| f.done) {
            break;
        }
        tokio::time::sleep(timings.poll_interval).await;
    }
    FollowSummary {
        calls: calls.into_iter().map(|f| f.call).collect(),
    }
}

fn say(progress: &UnboundedSender<TestCallProgress>, call: &TestCall, state: CallState) {
    let _ = progress.send(TestCallProgress {
        index: call.index,
        to: call.to_masked(),
        state,
    });
}

/// One poll of a placed call; the new state, if any.
async fn poll(env: &ActionEnv, f: &mut Followed, timings: &FollowTimings) -> Option<CallState> {
    if f.since.elapsed() > timings.max_call_duration {
        f.call.reason = Some("still live after the longest call time".into());
        return Some(CallState::StillLive);
    }
    let id = f.call.provider_call_id.clone()?;
    let clients = env.providers.clients();
    let answer = match f.call.provider {
        TestProvider::Retell => {
            let client = support::ready(&clients.retell, Provider::Retell, "Retell").ok()?;
            match support::ask(&clients.retell_lane, Provider::Retell, client.get_call(&id)).await {
                Ok(call) => Answer::Retell(call),
                Err(e) => {
                    tracing::debug!(error = %e, "polling a test call failed; asking again");
                    return None;
                }
            }
        }
        TestProvider::Twilio => {
            let client = support::ready(&clients.twilio, Provider::Twilio, "Twilio").ok()?;
            match support::ask(
                &clients.twilio_lane,
                Provider::Twilio,
                client.fetch_call(&id),
            )
            .await
            {
                Ok(call) => Answer::Twilio(call),
                Err(e) => {
                    tracing::debug!(error = %e, "polling a test call failed; asking again");
                    return None;
                }
            }
        }
    };
    let Some(state) = answer.final_state() else {
        return Some(answer.live_state());
    };
    finish(env, f, &id, state).await
}

/// The provider's record of one call.
enum Answer {
    Retell(RetellCall),
    Twilio(TwilioCall),
}

fn ms(at: Option<i64>) -> Option<DateTime<Utc>> {
    at.and_then(|ms| Utc.timestamp_millis_opt(ms).single())
}

impl Answer {
    fn live_state(&self) -> CallState {
        let in_progress = match self {
            Answer::Retell(c) => c.call_status.as_str() == "ongoing",
            Answer::Twilio(c) => c.status.as_str() == "in-progress",
        };
        if in_progress {
            CallState::InProgress
        } else {
            CallState::Ringing
        }
    }

    /// The row's final state when the call has ended.
    fn final_state(&self) -> Option<FinalState> {
        match self {
            Answer::Retell(c) if c.call_status.is_terminal() => {
                let secs = c.duration_ms.map(|ms| ms / 1000);
                let reason = c
                    .disconnection_reason
                    .as_ref()
                    .map(|r| sanitize_provider_text(r.as_str()));
                let status = retell_final_status(
                    c.call_status.as_str(),
                    reason.as_deref(),
                    secs.unwrap_or(0),
                );
                Some(FinalState {
                    status: status.to_string(),
                    outcome: Some(status.to_string()),
                    duration_seconds: secs,
                    started_at: ms(c.start_timestamp),
                    ended_at: ms(c.end_timestamp),
                    reason: reason.unwrap_or_else(|| c.call_status.as_str().to_string()),
                })
            }
            Answer::Twilio(c) if c.status.is_terminal() => Some(FinalState {
                status: twilio_final_status(c.status.as_str()).to_string(),
                outcome: None,
                duration_seconds: c.duration_secs().and_then(|s| i64::try_from(s).ok()),
                started_at: c.start_time_parsed().map(|t| t.with_timezone(&Utc)),
                ended_at: c.end_time_parsed().map(|t| t.with_timezone(&Utc)),
                reason: match (&c.error_message, c.error_code) {
                    (Some(message), _) => sanitize_provider_text(message),
                    (None, Some(code)) => format!("Twilio error {code}"),
                    (None, None) => c.status.as_str().to_string(),
                },
            }),
            _ => None,
        }
    }
}

/// Records the end on the row (only while it is still as placed) and says so.
async fn finish(
    env: &ActionEnv,
    f: &mut Followed,
    provider_call_id: &str,
    state: FinalState,
) -> Option<CallState> {
    let Some((source, id)) = f.call.row else {
        return Some(CallState::Ended {
            status: state.status,
            reason: state.reason,
            duration_seconds: state.duration_seconds,
        });
    };
    let write = TestCallWrite {
        source,
        id,
        update: TestCallUpdate::Final {
            provider_call_id: provider_call_id.to_string(),
            state: state.clone(),
        },
    };
    let mut reason = state.reason.clone();
    match env.store().write_test_call(&write).await {
        Ok(true) => {}
        Ok(false) => reason.push_str("; the row had moved on and was left as it is"),
        Err(e) => {
            // Not recorded: ask again next round (the write is conditional, so a
            // repeat is harmless).
            tracing::warn!(error = %e, "recording a test call's end failed; retrying");
            return None;
        }
    }
    f.call.final_status = Some(state.status.clone());
    f.call.duration_seconds = state.duration_seconds;
    f.call.reason = Some(reason.clone());
    Some(CallState::Ended {
        status: state.status,
        reason,
        duration_seconds: state.duration_seconds,
    })
}

/// One reconcile step for a call whose acceptance is unknown.
async fn reconcile(
    env: &ActionEnv,
    f: &mut Followed,
    timings: &FollowTimings,
) -> Option<CallState> {
    if f.asked
        .is_some_and(|at| at.elapsed() < timings.reconcile_every)
    {
        return None;
    }
    let window_over = f.since.elapsed() >= timings.reconcile_window;
    f.asked = Some(Instant::now());
    let found = find(env, &f.call).await;
    match found {
        Some(Ok(call_id)) => {
            let (source, id) = f.call.row?;
            let write = TestCallWrite {
                source,
                id,
                update: TestCallUpdate::Found {
                    provider_call_id: call_id.clone(),
                },
            };
            match env.store().write_test_call(&write).await {
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "recording a reconciled test call failed");
                    return None;
                }
            }
            f.call.placed = Some(Placement::Placed);
            f.call.provider_call_id = Some(call_id.clone());
            f.call.reason = Some(format!(
                "acceptance was unknown ({}); reconcile found the call",
                f.call.reason.clone().unwrap_or_default()
            ));
            Some(CallState::Found(call_id))
        }
        Some(Err(())) | None if window_over => {
            let (source, id) = f.call.row?;
            let reason = "acceptance unknown; not found at the provider within the reconcile \
                          window: probably not placed (never redialled; a new test needs a \
                          fresh confirmation)"
                .to_string();
            let write = TestCallWrite {
                source,
                id,
                update: TestCallUpdate::NotFound {
                    reason: reason.clone(),
                },
            };
            if let Err(e) = env.store().write_test_call(&write).await {
                tracing::warn!(error = %e, "recording an unreconciled test call failed");
                return None;
            }
            f.call.final_status = Some("failed".into());
            f.call.reason = Some(reason);
            Some(CallState::ProbablyNotPlaced)
        }
        _ => Some(CallState::Reconciling),
    }
}

/// The provider's id of the call, when the provider lists it; `Err` when it answered
/// without it; `None` when it could not be asked.
async fn find(env: &ActionEnv, call: &TestCall) -> Option<Result<String, ()>> {
    let clients = env.providers.clients();
    match call.provider {
        TestProvider::Retell => {
            let client = support::ready(&clients.retell, Provider::Retell, "Retell").ok()?;
            let request_id = call.request_id.to_string();
            let found = support::ask(
                &clients.retell_lane,
                Provider::Retell,
                client.find_call_by_request_id(&call.from, &call.to, &request_id),
            )
            .await
            .ok()?;
            Some(found.map(|c| sanitize_provider_text(&c.call_id)).ok_or(()))
        }
        TestProvider::Twilio => {
            let client = support::ready(&clients.twilio, Provider::Twilio, "Twilio").ok()?;
            let listed = support::ask(
                &clients.twilio_lane,
                Provider::Twilio,
                client.list_calls_to(&call.to, 20),
            )
            .await
            .ok()?;
            // Twilio keeps no request id: the call from the caller to the destination
            // created since the create was sent (a minute's clock skew allowed).
            let since = call.sent_at - chrono::Duration::seconds(60);
            let found = listed.into_iter().find(|c| {
                c.from.as_deref() == Some(call.from.as_str())
                    && c.date_created_parsed()
                        .is_some_and(|at| at.with_timezone(&Utc) >= since)
            });
            Some(found.map(|c| sanitize_provider_text(&c.sid)).ok_or(()))
        }
    }
}
