//! Fake Retell AI API (providers.md §1.1, §2, §5): Bearer auth, exact error bodies,
//! both path generations, paging, call lifecycles driven by a [`Clock`], concurrency.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::clock::{Clock, duration_ms};
use super::faults::{FaultContext, Faults, fault_middleware};
use super::server::FakeServer;
use super::{
    json_reply, lock, offset_from_key, page_of, param, prune_finished, query_pairs, segments,
};

const MAX_LIMIT: usize = 1000;
/// A fixed "last modified" for seeded objects (2026-01-01).
const SEED_TIMESTAMP_MS: i64 = 1_767_225_600_000;

/// Which list paths answer (the other generation's list paths 404).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathMode {
    /// Envelopes: `POST /v2/list-agents`, `GET /v2/list-phone-numbers`, `POST /v3/list-calls`.
    Current,
    /// Bare arrays: `GET /list-agents`, `GET /list-phone-numbers`, `POST /v2/list-calls`.
    Legacy,
}

/// How a created call ends.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanOutcome {
    /// `registered → ongoing → ended` after `talk`.
    Answered { talk: Duration, reason: String },
    /// `registered → not_connected` (`dial_no_answer`, `dial_busy`, `dial_failed`, …).
    NotConnected { reason: String },
    /// `registered → error`.
    Error { reason: String },
}

/// A call's scripted lifecycle: `ring` in `registered`, then the outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct CallPlan {
    pub ring: Duration,
    pub outcome: PlanOutcome,
}

impl CallPlan {
    /// Answered after `ring`, ended by the user after `talk`.
    pub fn answered(ring: Duration, talk: Duration) -> CallPlan {
        CallPlan::answered_with(ring, talk, "user_hangup")
    }

    pub fn answered_with(ring: Duration, talk: Duration, reason: &str) -> CallPlan {
        CallPlan {
            ring,
            outcome: PlanOutcome::Answered {
                talk,
                reason: reason.to_string(),
            },
        }
    }

    pub fn not_connected(ring: Duration, reason: &str) -> CallPlan {
        CallPlan {
            ring,
            outcome: PlanOutcome::NotConnected {
                reason: reason.to_string(),
            },
        }
    }

    pub fn error(ring: Duration, reason: &str) -> CallPlan {
        CallPlan {
            ring,
            outcome: PlanOutcome::Error {
                reason: reason.to_string(),
            },
        }
    }
}

impl Default for CallPlan {
    fn default() -> Self {
        CallPlan::answered(Duration::from_secs(3), Duration::from_secs(45))
    }
}

/// A Retell agent as the fake stores it (raw JSON, so tests can script odd values).
#[derive(Debug, Clone, PartialEq)]
pub struct FakeAgent(Value);

impl FakeAgent {
    pub fn new(agent_id: &str) -> FakeAgent {
        FakeAgent(json!({
            "agent_id": agent_id,
            "version": 1,
            "agent_name": format!("Agent {agent_id}"),
            "channel": "voice",
            "response_engine": { "type": "retell-llm", "llm_id": format!("llm_{agent_id}"), "version": 1 },
            "voice_id": "11labs-Adrian",
            "last_modification_timestamp": SEED_TIMESTAMP_MS,
            "is_published": true,
            "webhook_url": null,
        }))
    }

    pub fn name(self, name: &str) -> FakeAgent {
        self.field("agent_name", json!(name))
    }

    /// An int or a tag such as `"latest"`.
    pub fn version(self, version: Value) -> FakeAgent {
        self.field("version", version)
    }

    /// Sets any field (null to blank it).
    pub fn field(mut self, key: &str, value: Value) -> FakeAgent {
        self.0[key] = value;
        self
    }

    fn id(&self) -> &str {
        self.0["agent_id"].as_str().unwrap_or_default()
    }
}

/// A Retell phone number as the fake stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeNumber(Value);

impl FakeNumber {
    /// A Retell-Twilio number with empty agent lists and a null trunk config.
    pub fn new(phone_number: &str) -> FakeNumber {
        FakeNumber(json!({
            "phone_number": phone_number,
            "phone_number_type": "retell-twilio",
            "nickname": null,
            "last_modification_timestamp": SEED_TIMESTAMP_MS,
            "inbound_agents": [],
            "outbound_agents": [],
            "sip_outbound_trunk_config": null,
        }))
    }

    /// A custom (SIP) number with its termination URI nested in `sip_outbound_trunk_config`.
    pub fn custom(phone_number: &str, termination_uri: &str) -> FakeNumber {
        FakeNumber::new(phone_number)
            .field("phone_number_type", json!("custom"))
            .field(
                "sip_outbound_trunk_config",
                json!({ "termination_uri": termination_uri, "auth_username": "retell", "transport": "TCP" }),
            )
    }

    pub fn outbound_agents(self, agent_ids: &[&str]) -> FakeNumber {
        self.field("outbound_agents", weighted(agent_ids))
    }

    pub fn inbound_agents(self, agent_ids: &[&str]) -> FakeNumber {
        self.field("inbound_agents", weighted(agent_ids))
    }

    /// The deprecated single-agent field.
    pub fn legacy_outbound_agent(self, agent_id: &str) -> FakeNumber {
        self.field("outbound_agent_id", json!(agent_id))
    }

    /// The deprecated single-agent field.
    pub fn legacy_inbound_agent(self, agent_id: &str) -> FakeNumber {
        self.field("inbound_agent_id", json!(agent_id))
    }

    /// Sets any field (null to blank it; e.g. a top-level legacy `termination_uri`).
    pub fn field(mut self, key: &str, value: Value) -> FakeNumber {
        self.0[key] = value;
        self
    }

    fn phone(&self) -> &str {
        self.0["phone_number"].as_str().unwrap_or_default()
    }
}

fn weighted(agent_ids: &[&str]) -> Value {
    let weight = if agent_ids.is_empty() {
        1.0
    } else {
        1.0 / agent_ids.len() as f64
    };
    Value::Array(
        agent_ids
            .iter()
            .map(|id| json!({ "agent_id": id, "agent_version": 1, "weight": weight }))
            .collect(),
    )
}

#[derive(Debug, Clone)]
struct Forced {
    at_ms: i64,
    status: &'static str,
    reason: String,
}

#[derive(Debug, Clone)]
struct StoredCall {
    call_id: String,
    agent_id: String,
    agent_version: Value,
    from_number: String,
    to_number: String,
    metadata: Value,
    created_ms: i64,
    plan: CallPlan,
    forced: Option<Forced>,
    twilio_call_sid: String,
}

/// Who a call placed before the fake started was between (see
/// [`RetellState::add_past_call`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastCall {
    pub call_id: String,
    pub agent_id: String,
    pub from_number: String,
    pub to_number: String,
}

/// Where a call is at a moment.
struct Progress {
    status: &'static str,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
    reason: Option<String>,
}

impl StoredCall {
    fn answered_at(&self) -> Option<i64> {
        match self.plan.outcome {
            PlanOutcome::Answered { .. } => Some(self.created_ms + duration_ms(self.plan.ring)),
            _ => None,
        }
    }

    fn progress(&self, now: i64) -> Progress {
        if let Some(forced) = self.forced.as_ref().filter(|f| now >= f.at_ms) {
            return Progress {
                status: forced.status,
                start_ms: self.answered_at().filter(|s| *s <= forced.at_ms),
                end_ms: Some(forced.at_ms),
                reason: Some(forced.reason.clone()),
            };
        }
        let ring_end = self.created_ms + duration_ms(self.plan.ring);
        if now < ring_end {
            return Progress {
                status: "registered",
                start_ms: None,
                end_ms: None,
                reason: None,
            };
        }
        match &self.plan.outcome {
            PlanOutcome::Answered { talk, reason } => {
                let end = ring_end + duration_ms(*talk);
                let ended = now >= end;
                Progress {
                    status: if ended { "ended" } else { "ongoing" },
                    start_ms: Some(ring_end),
                    end_ms: ended.then_some(end),
                    reason: ended.then(|| reason.clone()),
                }
            }
            PlanOutcome::NotConnected { reason } => terminal_at(ring_end, "not_connected", reason),
            PlanOutcome::Error { reason } => terminal_at(ring_end, "error", reason),
        }
    }

    fn is_live(&self, now: i64) -> bool {
        matches!(self.progress(now).status, "registered" | "ongoing")
    }

    /// The call as get-call returns it (`full`) or as list items (no transcript).
    fn render(&self, now: i64, full: bool) -> Value {
        let progress = self.progress(now);
        let mut call = json!({
            "call_id": self.call_id,
            "call_type": "phone_call",
            "agent_id": self.agent_id,
            "agent_version": self.agent_version,
            "call_status": progress.status,
            "direction": "outbound",
            "from_number": self.from_number,
            "to_number": self.to_number,
            "metadata": self.metadata,
            "retell_llm_dynamic_variables": {},
            "telephony_identifier": { "twilio_call_sid": self.twilio_call_sid },
        });
        if let Some(start) = progress.start_ms {
            call["start_timestamp"] = json!(start);
        }
        if let Some(end) = progress.end_ms {
            call["end_timestamp"] = json!(end);
            call["disconnection_reason"] = json!(progress.reason);
        }
        if progress.status == "ended" {
            let end = progress.end_ms.unwrap_or(now);
            let duration = end - progress.start_ms.unwrap_or(end);
            call["duration_ms"] = json!(duration);
            call["call_cost"] = json!({ "combined_cost": (duration as f64 / 60_000.0 * 7.0 * 100.0).round() / 100.0 });
            call["call_analysis"] = json!({
                "call_summary": "The agent introduced the offer and the user listened.",
                "user_sentiment": "Neutral",
                "call_successful": duration > 10_000,
                "in_voicemail": false,
            });
            if full {
                call["transcript"] =
                    json!("Agent: Hello, this is a call from the fake.\nUser: Okay.");
                call["recording_url"] = json!("https://example.invalid/recording.wav");
            }
        }
        call
    }
}

fn terminal_at(at: i64, status: &'static str, reason: &str) -> Progress {
    Progress {
        status,
        start_ms: None,
        end_ms: Some(at),
        reason: Some(reason.to_string()),
    }
}

#[derive(Debug)]
struct RetellData {
    api_key: String,
    mode: PathMode,
    agents: Vec<Value>,
    numbers: Vec<Value>,
    calls: Vec<StoredCall>,
    /// Finished calls beyond this many are forgotten, oldest first (None: keep all).
    call_history: Option<usize>,
    concurrency_limit: i64,
    reserved_inbound: i64,
    default_plan: CallPlan,
    next_plans: VecDeque<CallPlan>,
    missing_number_status: u16,
    stop_ended_status: u16,
    trial_ended: bool,
}

impl RetellData {
    fn remember(&mut self, call: StoredCall, now: i64) {
        self.calls.push(call);
        prune_finished(&mut self.calls, self.call_history, |c| {
            c.progress(now).end_ms
        });
    }
}

/// Shared, scriptable state of the Retell fake. Clones share it.
#[derive(Debug, Clone)]
pub struct RetellState {
    data: Arc<Mutex<RetellData>>,
    clock: Clock,
}

impl RetellState {
    /// Empty workspace accepting `Bearer <api_key>`, current paths, concurrency 20.
    pub fn new(api_key: &str) -> RetellState {
        RetellState {
            data: Arc::new(Mutex::new(RetellData {
                api_key: api_key.to_string(),
                mode: PathMode::Current,
                agents: Vec::new(),
                numbers: Vec::new(),
                calls: Vec::new(),
                call_history: None,
                concurrency_limit: 20,
                reserved_inbound: 0,
                default_plan: CallPlan::default(),
                next_plans: VecDeque::new(),
                missing_number_status: 404,
                stop_ended_status: 204,
                trial_ended: false,
            })),
            clock: Clock::system(),
        }
    }

    /// The clock call lifecycles follow; `advance` it to move every call forward.
    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    pub fn set_path_mode(&self, mode: PathMode) {
        lock(&self.data).mode = mode;
    }

    pub fn add_agent(&self, agent: FakeAgent) {
        let mut data = lock(&self.data);
        data.agents
            .retain(|a| a["agent_id"].as_str() != Some(agent.id()));
        data.agents.push(agent.0);
    }

    pub fn add_number(&self, number: FakeNumber) {
        let mut data = lock(&self.data);
        data.numbers
            .retain(|n| n["phone_number"].as_str() != Some(number.phone()));
        data.numbers.push(number.0);
    }

    /// The number as the fake holds it now.
    pub fn number(&self, phone_number: &str) -> Option<Value> {
        lock(&self.data)
            .numbers
            .iter()
            .find(|n| n["phone_number"].as_str() == Some(phone_number))
            .cloned()
    }

    /// Replaces a number's weighted outbound agents.
    pub fn set_outbound_agents(&self, phone_number: &str, agent_ids: &[&str]) -> bool {
        let mut data = lock(&self.data);
        let Some(number) = find_number(&mut data.numbers, phone_number) else {
            return false;
        };
        number["outbound_agents"] = weighted(agent_ids);
        true
    }

    /// Keeps at most `limit` finished calls (the real Retell keeps all; a long demo can't).
    pub fn set_call_history(&self, limit: usize) {
        lock(&self.data).call_history = Some(limit);
    }

    pub fn set_concurrency_limit(&self, limit: i64) {
        lock(&self.data).concurrency_limit = limit;
    }

    pub fn set_reserved_inbound(&self, reserved: i64) {
        lock(&self.data).reserved_inbound = reserved;
    }

    /// The plan for calls without a queued one.
    pub fn set_default_plan(&self, plan: CallPlan) {
        lock(&self.data).default_plan = plan;
    }

    /// The plan for the next created call (queued in order).
    pub fn push_plan(&self, plan: CallPlan) {
        lock(&self.data).next_plans.push_back(plan);
    }

    /// Re-plans an existing call (measured from its creation).
    pub fn set_call_plan(&self, call_id: &str, plan: CallPlan) -> bool {
        let mut data = lock(&self.data);
        match data.calls.iter_mut().find(|c| c.call_id == call_id) {
            Some(call) => {
                call.plan = plan;
                true
            }
            None => false,
        }
    }

    /// Moves a call's creation back to `created`: a call that began before the fake
    /// started (its plan's durations count from then).
    pub fn set_call_created(&self, call_id: &str, created: DateTime<Utc>) -> bool {
        let mut data = lock(&self.data);
        match data.calls.iter_mut().find(|c| c.call_id == call_id) {
            Some(call) => {
                call.created_ms = created.timestamp_millis();
                true
            }
            None => false,
        }
    }

    /// Records a call the fake did not place itself (one from before it started: a data
    /// set's history, or an earlier run of the demo) under its own id, created at
    /// `created` (the plan's durations count from then). Returns false, changing nothing,
    /// when the id is already known.
    pub fn add_past_call(&self, call: PastCall, plan: CallPlan, created: DateTime<Utc>) -> bool {
        let now = self.clock.now_ms();
        let mut data = lock(&self.data);
        if data.calls.iter().any(|c| c.call_id == call.call_id) {
            return false;
        }
        let agent_version = data
            .agents
            .iter()
            .find(|a| a["agent_id"].as_str() == Some(&call.agent_id))
            .map(|a| a["version"].clone())
            .unwrap_or(json!(0));
        let stored = StoredCall {
            call_id: call.call_id,
            agent_id: call.agent_id,
            agent_version,
            from_number: call.from_number,
            to_number: call.to_number,
            metadata: json!({}),
            created_ms: created.timestamp_millis(),
            plan,
            forced: None,
            twilio_call_sid: format!("CA{}", uuid::Uuid::new_v4().simple()),
        };
        data.remember(stored, now);
        true
    }

    /// 404 (default, the platform's test) or 422 for an unknown number.
    pub fn set_missing_number_status(&self, status: u16) {
        lock(&self.data).missing_number_status = status;
    }

    /// What stop-call on a finished call answers: 204 (default), 400 or 422.
    pub fn set_stop_ended_status(&self, status: u16) {
        lock(&self.data).stop_ended_status = status;
    }

    /// Create-call answers 402 "Trial has ended".
    pub fn set_trial_ended(&self, ended: bool) {
        lock(&self.data).trial_ended = ended;
    }

    /// Every call as get-call would show it now.
    pub fn calls(&self) -> Vec<Value> {
        let now = self.clock.now_ms();
        lock(&self.data)
            .calls
            .iter()
            .map(|c| c.render(now, true))
            .collect()
    }

    pub fn call(&self, call_id: &str) -> Option<Value> {
        let now = self.clock.now_ms();
        lock(&self.data)
            .calls
            .iter()
            .find(|c| c.call_id == call_id)
            .map(|c| c.render(now, true))
    }

    /// Calls still registered or ongoing.
    pub fn live_calls(&self) -> usize {
        let now = self.clock.now_ms();
        lock(&self.data)
            .calls
            .iter()
            .filter(|c| c.is_live(now))
            .count()
    }

    fn api_key(&self) -> String {
        lock(&self.data).api_key.clone()
    }
}

fn find_number<'a>(numbers: &'a mut [Value], phone_number: &str) -> Option<&'a mut Value> {
    numbers
        .iter_mut()
        .find(|n| n["phone_number"].as_str() == Some(phone_number))
}

/// A running Retell fake.
#[derive(Debug)]
pub struct RetellFake {
    server: FakeServer,
    state: RetellState,
    faults: Faults,
}

impl RetellFake {
    pub async fn start(state: RetellState) -> std::io::Result<RetellFake> {
        let faults = Faults::default();
        let context = FaultContext {
            faults: faults.clone(),
            error_reply: |_, status, _| retell_error(status),
        };
        let router = Router::new()
            .fallback(handle)
            .with_state(state.clone())
            .layer(axum::middleware::from_fn_with_state(
                context,
                fault_middleware,
            ));
        let server = FakeServer::start(router).await?;
        Ok(RetellFake {
            server,
            state,
            faults,
        })
    }

    /// `[retell] base_url` for this fake.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    pub fn state(&self) -> &RetellState {
        &self.state
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }
}

/// Retell's documented error body for a status.
pub fn retell_error(status: u16) -> Response {
    let message = match status {
        400 => "Invalid request format, please check API reference.",
        401 => "API key is missing or invalid.",
        402 => "Trial has ended, please add payment method.",
        403 => "Forbidden",
        404 => "The requested resource was not found.",
        422 => "Cannot find requested asset under given api key.",
        429 => "Account rate limited, please throttle your requests.",
        _ => "An unexpected server error occurred.",
    };
    json_reply(status, json!({ "status": "error", "message": message }))
}

async fn handle(
    State(state): State<RetellState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorized(&headers, &state.api_key()) {
        return retell_error(401);
    }
    let segs = segments(uri.path());
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let query = query_pairs(&uri);
    let mode = lock(&state.data).mode;
    let current = mode == PathMode::Current;
    match (method.as_str(), segs.as_slice()) {
        ("GET", ["get-concurrency"]) => concurrency(&state),
        ("POST", ["v2", "list-agents"]) if current => list_agents(&state, &query),
        ("GET", ["list-agents"]) if !current => list_agents_legacy(&state, &query),
        ("GET", ["get-agent", id]) => get_agent(&state, id),
        ("GET", ["v2", "list-phone-numbers"]) if current => list_numbers(&state, &query),
        ("GET", ["list-phone-numbers"]) if !current => {
            json_reply(200, Value::Array(lock(&state.data).numbers.clone()))
        }
        ("GET", ["get-phone-number", number]) => get_number(&state, number),
        ("PATCH", ["update-phone-number", number]) => update_number(&state, number, &body),
        ("POST", ["v2", "create-phone-call"]) => create_call(&state, &body),
        ("GET", ["v2", "get-call", id]) => match state.call(id) {
            Some(call) => json_reply(200, call),
            None => retell_error(422),
        },
        ("POST", ["v2", "stop-call", id]) => stop_call(&state, id),
        ("POST", ["v3", "list-calls"]) if current => list_calls(&state, &body),
        ("POST", ["v2", "list-calls"]) if !current => list_calls_legacy(&state, &body),
        _ => retell_error(404),
    }
}

fn authorized(headers: &HeaderMap, api_key: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|key| key == api_key)
}

fn concurrency(state: &RetellState) -> Response {
    let live = state.live_calls() as i64;
    let data = lock(&state.data);
    let limit = data.concurrency_limit;
    json_reply(
        200,
        json!({
            "current_concurrency": live,
            "concurrency_limit": limit,
            "base_concurrency": limit,
            "purchased_concurrency": 0,
            "concurrency_purchase_limit": 100,
            "remaining_purchase_limit": 100,
            "concurrency_burst_enabled": false,
            "concurrency_burst_limit": (3 * limit).min(limit + 300),
            "reserved_inbound_concurrency": data.reserved_inbound,
        }),
    )
}

fn limit_param(query: &[(String, String)], default: usize) -> usize {
    param(query, "limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(default)
        .clamp(1, MAX_LIMIT)
}

/// `{"items":…,"has_more":…,"pagination_key":…}` over an offset key.
fn envelope(items: &[Value], key: Option<&str>, prefix: &str, limit: usize) -> Response {
    let Some(offset) = offset_from_key(key, prefix) else {
        return retell_error(400);
    };
    let (page, next) = page_of(items, offset, limit);
    let mut body = json!({ "items": page, "has_more": next.is_some() });
    if let Some(next) = next {
        body["pagination_key"] = json!(format!("{prefix}:{next}"));
    }
    json_reply(200, body)
}

fn list_agents(state: &RetellState, query: &[(String, String)]) -> Response {
    let summaries: Vec<Value> = lock(&state.data)
        .agents
        .iter()
        .map(|a| {
            json!({
                "agent_id": a["agent_id"],
                "agent_name": a["agent_name"],
                "channel": a.get("channel").cloned().unwrap_or(json!("voice")),
                "tags": [],
                "user_modified_timestamp": a["last_modification_timestamp"],
            })
        })
        .collect();
    envelope(
        &summaries,
        param(query, "pagination_key"),
        "agents",
        limit_param(query, 50),
    )
}

/// Legacy: bare array of full agents; next page after `pagination_key` (+ version).
fn list_agents_legacy(state: &RetellState, query: &[(String, String)]) -> Response {
    let agents = lock(&state.data).agents.clone();
    let limit = limit_param(query, MAX_LIMIT);
    let start = match param(query, "pagination_key") {
        None => 0,
        Some(after) => {
            let version = param(query, "pagination_key_version");
            match agents.iter().position(|a| {
                a["agent_id"].as_str() == Some(after)
                    && version.is_none_or(|v| a["version"].to_string().trim_matches('"') == v)
            }) {
                Some(index) => index + 1,
                None => return retell_error(400),
            }
        }
    };
    let (page, _) = page_of(&agents, start, limit);
    json_reply(200, Value::Array(page))
}

fn get_agent(state: &RetellState, agent_id: &str) -> Response {
    let data = lock(&state.data);
    match data
        .agents
        .iter()
        .find(|a| a["agent_id"].as_str() == Some(agent_id))
    {
        Some(agent) => json_reply(200, agent.clone()),
        None => retell_error(422),
    }
}

fn list_numbers(state: &RetellState, query: &[(String, String)]) -> Response {
    let mut numbers = lock(&state.data).numbers.clone();
    if param(query, "sort_order") != Some("ascending") {
        numbers.reverse();
    }
    envelope(
        &numbers,
        param(query, "pagination_key"),
        "numbers",
        limit_param(query, 50),
    )
}

fn get_number(state: &RetellState, phone_number: &str) -> Response {
    let data = lock(&state.data);
    match data
        .numbers
        .iter()
        .find(|n| n["phone_number"].as_str() == Some(phone_number))
    {
        Some(number) => json_reply(200, number.clone()),
        None => retell_error(data.missing_number_status),
    }
}

const AGENT_LIST_FIELDS: [&str; 4] = [
    "inbound_agents",
    "outbound_agents",
    "inbound_sms_agents",
    "outbound_sms_agents",
];
const PLAIN_FIELDS: [&str; 6] = [
    "inbound_agent_version",
    "outbound_agent_version",
    "nickname",
    "auth_username",
    "transport",
    "inbound_webhook_url",
];

fn update_number(state: &RetellState, phone_number: &str, body: &[u8]) -> Response {
    let Ok(Value::Object(patch)) = serde_json::from_slice::<Value>(body) else {
        return retell_error(400);
    };
    let now = state.clock.now_ms();
    let mut data = lock(&state.data);
    let known_agent = |id: &str| {
        data.agents
            .iter()
            .any(|a| a["agent_id"].as_str() == Some(id))
    };
    if !patch_agents_known(&patch, known_agent) {
        return retell_error(422);
    }
    let missing = data.missing_number_status;
    let Some(number) = find_number(&mut data.numbers, phone_number) else {
        return retell_error(missing);
    };
    for (key, value) in &patch {
        if AGENT_LIST_FIELDS.contains(&key.as_str()) {
            number[key] = strip_to_weighted(value);
        } else if key == "inbound_agent_id"
            || key == "outbound_agent_id"
            || PLAIN_FIELDS.contains(&key.as_str())
        {
            number[key] = value.clone();
        } else if key == "termination_uri" {
            set_termination_uri(number, value);
        }
        // auth_password and unknown fields are accepted and never stored or echoed.
    }
    number["last_modification_timestamp"] = json!(now);
    json_reply(200, number.clone())
}

fn patch_agents_known(
    patch: &serde_json::Map<String, Value>,
    known: impl Fn(&str) -> bool,
) -> bool {
    let listed = AGENT_LIST_FIELDS
        .iter()
        .filter_map(|field| patch.get(*field)?.as_array())
        .flatten()
        .filter_map(|entry| entry["agent_id"].as_str());
    let single = ["inbound_agent_id", "outbound_agent_id"]
        .iter()
        .filter_map(|field| patch.get(*field)?.as_str());
    listed.chain(single).all(known)
}

fn strip_to_weighted(value: &Value) -> Value {
    match value.as_array() {
        Some(entries) => Value::Array(
            entries
                .iter()
                .map(|e| {
                    let mut entry = json!({ "agent_id": e["agent_id"], "weight": e.get("weight").cloned().unwrap_or(json!(1)) });
                    if let Some(version) = e.get("agent_version") {
                        entry["agent_version"] = version.clone();
                    }
                    entry
                })
                .collect(),
        ),
        None => Value::Null,
    }
}

fn set_termination_uri(number: &mut Value, uri: &Value) {
    if !number["sip_outbound_trunk_config"].is_object() {
        number["sip_outbound_trunk_config"] = json!({ "transport": "TCP" });
    }
    number["sip_outbound_trunk_config"]["termination_uri"] = uri.clone();
}

fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

fn create_call(state: &RetellState, body: &[u8]) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return retell_error(400);
    };
    let (Some(from), Some(to)) = (
        request["from_number"].as_str(),
        request["to_number"].as_str(),
    ) else {
        return retell_error(400);
    };
    let skip_e164 = request["ignore_e164_validation"].as_bool() == Some(true);
    if !skip_e164 && !is_e164(to) {
        return retell_error(400);
    }
    let now = state.clock.now_ms();
    let live = state.live_calls() as i64;
    let mut data = lock(&state.data);
    if data.trial_ended {
        return retell_error(402);
    }
    let Some(number) = data
        .numbers
        .iter()
        .find(|n| n["phone_number"].as_str() == Some(from))
    else {
        return retell_error(422);
    };
    let agent_id = match request["override_agent_id"].as_str() {
        Some(id) => id.to_string(),
        None => match outbound_agent_of(number) {
            Some(id) => id,
            None => return retell_error(400),
        },
    };
    let Some(agent) = data
        .agents
        .iter()
        .find(|a| a["agent_id"].as_str() == Some(&agent_id))
    else {
        return retell_error(422);
    };
    let agent_version = agent["version"].clone();
    let plan = data
        .next_plans
        .pop_front()
        .unwrap_or_else(|| data.default_plan.clone());
    let forced = (live >= data.concurrency_limit).then(|| Forced {
        at_ms: now,
        status: "ended",
        reason: "concurrency_limit_reached".to_string(),
    });
    let call = StoredCall {
        call_id: format!("call_{}", uuid::Uuid::new_v4().simple()),
        agent_id,
        agent_version,
        from_number: from.to_string(),
        to_number: to.to_string(),
        metadata: request.get("metadata").cloned().unwrap_or(json!({})),
        created_ms: now,
        plan,
        forced,
        twilio_call_sid: format!("CA{}", uuid::Uuid::new_v4().simple()),
    };
    // The 201 shows the call as just registered, whatever happens next.
    let reply = call.render(now - 1, false);
    let mut reply = reply;
    reply["call_status"] = json!("registered");
    data.remember(call, now);
    json_reply(201, reply)
}

fn outbound_agent_of(number: &Value) -> Option<String> {
    number["outbound_agents"]
        .as_array()
        .and_then(|list| list.first())
        .and_then(|first| first["agent_id"].as_str())
        .or_else(|| number["outbound_agent_id"].as_str())
        .map(str::to_string)
}

fn stop_call(state: &RetellState, call_id: &str) -> Response {
    let now = state.clock.now_ms();
    let mut data = lock(&state.data);
    let stop_ended_status = data.stop_ended_status;
    let Some(call) = data.calls.iter_mut().find(|c| c.call_id == call_id) else {
        return retell_error(422);
    };
    if call.is_live(now) {
        call.forced = Some(Forced {
            at_ms: now,
            status: "ended",
            reason: "manual_stopped".to_string(),
        });
        return StatusCode::NO_CONTENT.into_response();
    }
    if stop_ended_status == 204 {
        StatusCode::NO_CONTENT.into_response()
    } else {
        retell_error(stop_ended_status)
    }
}

/// Calls newest first (or oldest first for `ascending`).
fn ordered_calls(state: &RetellState, sort_order: Option<&str>) -> Vec<Value> {
    let now = state.clock.now_ms();
    let mut calls: Vec<Value> = lock(&state.data)
        .calls
        .iter()
        .map(|c| c.render(now, false))
        .collect();
    if sort_order != Some("ascending") {
        calls.reverse();
    }
    calls
}

fn list_calls(state: &RetellState, body: &[u8]) -> Response {
    let request = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => v,
            Err(_) => return retell_error(400),
        }
    };
    let calls: Vec<Value> = ordered_calls(state, request["sort_order"].as_str())
        .into_iter()
        .filter(|call| matches_v3_filters(call, &request["filter_criteria"]))
        .collect();
    let limit = request["limit"]
        .as_u64()
        .map_or(50, |l| l as usize)
        .clamp(1, MAX_LIMIT);
    let offset_key = request["pagination_key"].as_str();
    let Some(offset) = offset_from_key(offset_key, "calls") else {
        return retell_error(400);
    };
    let (page, next) = page_of(&calls, offset, limit);
    let mut reply = json!({ "items": page, "has_more": next.is_some() });
    if let Some(next) = next {
        reply["pagination_key"] = json!(format!("calls:{next}"));
    }
    if request["include_total"].as_bool() == Some(true) {
        reply["total"] = json!(calls.len());
    }
    json_reply(200, reply)
}

/// v3 typed filters: each field holds one filter object or a list of them.
fn matches_v3_filters(call: &Value, criteria: &Value) -> bool {
    let Some(criteria) = criteria.as_object() else {
        return true;
    };
    criteria.iter().all(|(field, filters)| {
        let filters: Vec<&Value> = match filters {
            Value::Array(list) => list.iter().collect(),
            single => vec![single],
        };
        filters
            .iter()
            .all(|filter| matches_typed(&call[field.as_str()], filter))
    })
}

fn matches_typed(actual: &Value, filter: &Value) -> bool {
    let op = filter["op"].as_str().unwrap_or("eq");
    let wanted = &filter["value"];
    match (op, actual.as_str(), wanted) {
        ("in", _, Value::Array(options)) => options.contains(actual),
        ("eq", _, _) => actual == wanted,
        ("ne", _, _) => actual != wanted,
        ("sw", Some(a), Value::String(w)) => a.starts_with(w.as_str()),
        ("ew", Some(a), Value::String(w)) => a.ends_with(w.as_str()),
        ("co", Some(a), Value::String(w)) => a.contains(w.as_str()),
        _ => true,
    }
}

/// Legacy `/v2/list-calls`: array filters, bare array, next page after a call id.
fn list_calls_legacy(state: &RetellState, body: &[u8]) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(if body.is_empty() { b"{}" } else { body })
    else {
        return retell_error(400);
    };
    let criteria = &request["filter_criteria"];
    let calls: Vec<Value> = ordered_calls(state, request["sort_order"].as_str())
        .into_iter()
        .filter(|call| matches_legacy_filters(call, criteria))
        .collect();
    let limit = request["limit"]
        .as_u64()
        .map_or(MAX_LIMIT, |l| l as usize)
        .clamp(1, MAX_LIMIT);
    let start = match request["pagination_key"].as_str() {
        None => 0,
        Some(after) => match calls
            .iter()
            .position(|c| c["call_id"].as_str() == Some(after))
        {
            Some(index) => index + 1,
            None => return retell_error(400),
        },
    };
    let (page, _) = page_of(&calls, start, limit);
    json_reply(200, Value::Array(page))
}

fn matches_legacy_filters(call: &Value, criteria: &Value) -> bool {
    let Some(criteria) = criteria.as_object() else {
        return true;
    };
    criteria.iter().all(|(field, wanted)| match wanted {
        Value::Array(options) => options.is_empty() || options.contains(&call[field.as_str()]),
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_with(plan: CallPlan) -> StoredCall {
        StoredCall {
            call_id: "call_1".into(),
            agent_id: "a".into(),
            agent_version: json!(1),
            from_number: "+14155550123".into(),
            to_number: "+14155550199".into(),
            metadata: json!({}),
            created_ms: 1_000,
            plan,
            forced: None,
            twilio_call_sid: "CA1".into(),
        }
    }

    #[test]
    fn answered_lifecycle_reveals_fields_only_when_due() {
        let call = call_with(CallPlan::answered(
            Duration::from_secs(2),
            Duration::from_secs(10),
        ));
        let registered = call.render(1_500, true);
        assert_eq!(registered["call_status"], "registered");
        assert!(registered.get("start_timestamp").is_none());
        let ongoing = call.render(5_000, true);
        assert_eq!(ongoing["call_status"], "ongoing");
        assert_eq!(ongoing["start_timestamp"], 3_000);
        assert!(ongoing.get("duration_ms").is_none());
        assert!(ongoing.get("disconnection_reason").is_none());
        let ended = call.render(20_000, true);
        assert_eq!(ended["call_status"], "ended");
        assert_eq!(ended["duration_ms"], 10_000);
        assert_eq!(ended["end_timestamp"], 13_000);
        assert_eq!(ended["disconnection_reason"], "user_hangup");
        assert!(call.render(20_000, false).get("transcript").is_none());
    }

    #[test]
    fn not_connected_and_error_lifecycles() {
        let call = call_with(CallPlan::not_connected(Duration::from_secs(1), "dial_busy"));
        assert_eq!(call.render(1_500, false)["call_status"], "registered");
        let done = call.render(2_500, false);
        assert_eq!(done["call_status"], "not_connected");
        assert_eq!(done["disconnection_reason"], "dial_busy");
        let call = call_with(CallPlan::error(Duration::ZERO, "error_retell"));
        assert_eq!(call.render(1_000, false)["call_status"], "error");
    }

    #[test]
    fn typed_and_legacy_filters() {
        let call = json!({"to_number":"+1999","call_status":"ongoing"});
        assert!(matches_v3_filters(
            &call,
            &json!({"to_number":{"op":"eq","type":"string","value":"+1999"}})
        ));
        assert!(!matches_v3_filters(
            &call,
            &json!({"call_status":{"op":"in","type":"enum","value":["ended"]}})
        ));
        assert!(matches_legacy_filters(
            &call,
            &json!({"call_status":["ongoing","ended"]})
        ));
        assert!(!matches_legacy_filters(
            &call,
            &json!({"to_number":["+1000"]})
        ));
    }
}
