//! Fake Twilio: the 2010 API (`.json` required, else XML; form bodies; Basic auth) and
//! Elastic SIP Trunking (JSON, absolute `meta.next_page_url` on the fake's own base).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::clock::{Clock, duration_ms, ms_to_datetime};
use super::faults::{FaultContext, Faults, fault_middleware};
use super::server::FakeServer;
use super::{
    CANARY_TWILIO_AUTH_TOKEN, form_pairs, json_reply, lock, param, prune_finished, query_pairs,
    segments,
};

const API_PREFIX: &str = "/2010-04-01/Accounts";

/// How a Twilio call ends.
#[derive(Debug, Clone, PartialEq)]
pub enum TwilioOutcome {
    /// Answered, then `completed` after `talk`.
    Completed {
        talk: Duration,
    },
    Busy,
    NoAnswer,
    Failed,
}

/// `queued` for `queued`, `ringing` for `ringing`, then the outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct TwilioCallPlan {
    pub queued: Duration,
    pub ringing: Duration,
    pub outcome: TwilioOutcome,
}

impl Default for TwilioCallPlan {
    fn default() -> Self {
        TwilioCallPlan {
            queued: Duration::from_secs(1),
            ringing: Duration::from_secs(4),
            outcome: TwilioOutcome::Completed {
                talk: Duration::from_secs(20),
            },
        }
    }
}

#[derive(Debug, Clone)]
struct StoredCall {
    sid: String,
    to: String,
    from: String,
    created_ms: i64,
    plan: TwilioCallPlan,
    /// A hang-up: (when, status).
    forced: Option<(i64, &'static str)>,
}

impl StoredCall {
    fn answered_at(&self) -> Option<i64> {
        match self.plan.outcome {
            TwilioOutcome::Completed { .. } => Some(
                self.created_ms + duration_ms(self.plan.queued) + duration_ms(self.plan.ringing),
            ),
            _ => None,
        }
    }

    /// (status, start, end) at `now`.
    fn progress(&self, now: i64) -> (&'static str, Option<i64>, Option<i64>) {
        if let Some((at, status)) = self.forced.filter(|(at, _)| now >= *at) {
            return (status, self.answered_at().filter(|s| *s <= at), Some(at));
        }
        let ring_at = self.created_ms + duration_ms(self.plan.queued);
        let decided_at = ring_at + duration_ms(self.plan.ringing);
        if now < ring_at {
            return ("queued", None, None);
        }
        if now < decided_at {
            return ("ringing", None, None);
        }
        match self.plan.outcome {
            TwilioOutcome::Completed { talk } => {
                let end = decided_at + duration_ms(talk);
                if now < end {
                    ("in-progress", Some(decided_at), None)
                } else {
                    ("completed", Some(decided_at), Some(end))
                }
            }
            TwilioOutcome::Busy => ("busy", None, Some(decided_at)),
            TwilioOutcome::NoAnswer => ("no-answer", None, Some(decided_at)),
            TwilioOutcome::Failed => ("failed", None, Some(decided_at)),
        }
    }

    fn render(&self, account_sid: &str, now: i64) -> Value {
        let (status, start, end) = self.progress(now);
        let duration = end.map(|e| ((e - start.unwrap_or(e)) / 1000).to_string());
        let price = match (status, &duration) {
            ("completed", Some(d)) if d != "0" => Some("-0.01300"),
            _ => None,
        };
        json!({
            "sid": self.sid,
            "account_sid": account_sid,
            "to": self.to,
            "from": self.from,
            "status": status,
            "direction": "outbound-api",
            "start_time": start.map(rfc2822),
            "end_time": end.map(rfc2822),
            "duration": duration,
            "price": price,
            "price_unit": "USD",
            "answered_by": null,
            "date_created": rfc2822(self.created_ms),
            "date_updated": rfc2822(now),
            "uri": format!("{API_PREFIX}/{account_sid}/Calls/{}.json", self.sid),
        })
    }
}

fn rfc2822(ms: i64) -> String {
    ms_to_datetime(ms)
        .format("%a, %d %b %Y %H:%M:%S +0000")
        .to_string()
}

fn iso8601(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Debug, Clone)]
struct StoredTrunk {
    trunk: Value,
    numbers: Vec<Value>,
    origination_urls: Vec<Value>,
}

#[derive(Debug)]
struct TwilioData {
    account_sid: String,
    auth_token: String,
    account_status: String,
    account_type: String,
    numbers: Vec<Value>,
    calls: Vec<StoredCall>,
    /// Finished calls beyond this many are forgotten, oldest first (None: keep all).
    call_history: Option<usize>,
    trunks: Vec<StoredTrunk>,
    default_plan: TwilioCallPlan,
    next_plans: VecDeque<TwilioCallPlan>,
    base_url: String,
    next_page_base: Option<String>,
}

impl TwilioData {
    fn remember(&mut self, call: StoredCall, now: i64) {
        self.calls.push(call);
        prune_finished(&mut self.calls, self.call_history, |c| c.progress(now).2);
    }
}

/// Shared, scriptable state of the Twilio fake.
#[derive(Debug, Clone)]
pub struct TwilioState {
    data: Arc<Mutex<TwilioData>>,
    clock: Clock,
}

fn new_sid(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

impl TwilioState {
    /// An active Full account accepting Basic `account_sid:auth_token`.
    pub fn new(account_sid: &str, auth_token: &str) -> TwilioState {
        TwilioState {
            data: Arc::new(Mutex::new(TwilioData {
                account_sid: account_sid.to_string(),
                auth_token: auth_token.to_string(),
                account_status: "active".to_string(),
                account_type: "Full".to_string(),
                numbers: Vec::new(),
                calls: Vec::new(),
                call_history: None,
                trunks: Vec::new(),
                default_plan: TwilioCallPlan::default(),
                next_plans: VecDeque::new(),
                base_url: String::new(),
                next_page_base: None,
            })),
            clock: Clock::system(),
        }
    }

    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    /// `active`, `suspended` or `closed`.
    pub fn set_account_status(&self, status: &str) {
        lock(&self.data).account_status = status.to_string();
    }

    /// Keeps at most `limit` finished calls (Twilio keeps all; a long demo can't).
    pub fn set_call_history(&self, limit: usize) {
        lock(&self.data).call_history = Some(limit);
    }

    /// `Trial` or `Full`.
    pub fn set_account_type(&self, account_type: &str) {
        lock(&self.data).account_type = account_type.to_string();
    }

    /// Adds an incoming number; returns its `PN…` sid.
    pub fn add_incoming_number(&self, phone_number: &str, trunk_sid: Option<&str>) -> String {
        let sid = new_sid("PN");
        let mut data = lock(&self.data);
        let number = json!({
            "sid": sid,
            "account_sid": data.account_sid,
            "friendly_name": phone_number,
            "phone_number": phone_number,
            "capabilities": { "voice": true, "sms": true, "mms": true, "fax": false },
            "trunk_sid": trunk_sid,
            "voice_url": if trunk_sid.is_some() { Value::Null } else { json!("https://example.invalid/voice") },
            "status": "in-use",
            "date_created": rfc2822(SEED_MS),
        });
        data.numbers.push(number);
        sid
    }

    /// Adds a trunk; `auth_type` may be empty ("no traffic").
    pub fn add_trunk(&self, sid: &str, domain_name: &str, auth_type: &str) {
        let now = self.clock.now();
        let mut data = lock(&self.data);
        let trunk = json!({
            "sid": sid,
            "account_sid": data.account_sid,
            "friendly_name": format!("trunk {domain_name}"),
            "domain_name": domain_name,
            "auth_type": auth_type,
            "auth_type_set": auth_type.split(',').filter(|t| !t.is_empty()).collect::<Vec<_>>(),
            "disaster_recovery_url": null,
            "secure": false,
            "cnam_lookup_enabled": false,
            "transfer_mode": "disable-all",
            "date_created": iso8601(now),
            "date_updated": iso8601(now),
        });
        data.trunks.retain(|t| t.trunk["sid"].as_str() != Some(sid));
        data.trunks.push(StoredTrunk {
            trunk,
            numbers: Vec::new(),
            origination_urls: Vec::new(),
        });
    }

    /// Attaches a number to a trunk (and marks the incoming number as trunked).
    pub fn attach_number(&self, trunk_sid: &str, phone_number: &str) -> bool {
        let mut data = lock(&self.data);
        let pn_sid = match data
            .numbers
            .iter_mut()
            .find(|n| n["phone_number"].as_str() == Some(phone_number))
        {
            Some(number) => {
                number["trunk_sid"] = json!(trunk_sid);
                number["sid"].as_str().unwrap_or_default().to_string()
            }
            None => new_sid("PN"),
        };
        let Some(trunk) = data
            .trunks
            .iter_mut()
            .find(|t| t.trunk["sid"].as_str() == Some(trunk_sid))
        else {
            return false;
        };
        trunk.numbers.push(json!({
            "sid": pn_sid,
            "trunk_sid": trunk_sid,
            "phone_number": phone_number,
            "friendly_name": phone_number,
            "capabilities": { "voice": true },
        }));
        true
    }

    pub fn add_origination_url(
        &self,
        trunk_sid: &str,
        sip_url: &str,
        enabled: bool,
        weight: u16,
        priority: u16,
    ) -> bool {
        let mut data = lock(&self.data);
        let Some(trunk) = data
            .trunks
            .iter_mut()
            .find(|t| t.trunk["sid"].as_str() == Some(trunk_sid))
        else {
            return false;
        };
        trunk.origination_urls.push(json!({
            "sid": new_sid("OU"),
            "trunk_sid": trunk_sid,
            "friendly_name": sip_url,
            "sip_url": sip_url,
            "enabled": enabled,
            "weight": weight,
            "priority": priority,
        }));
        true
    }

    pub fn set_default_plan(&self, plan: TwilioCallPlan) {
        lock(&self.data).default_plan = plan;
    }

    /// The plan for the next created call.
    pub fn push_plan(&self, plan: TwilioCallPlan) {
        lock(&self.data).next_plans.push_back(plan);
    }

    /// Seeds a call as if created now (for hang-up tests); returns its `CA…` sid.
    pub fn add_call(&self, to: &str, from: &str, plan: TwilioCallPlan) -> String {
        let sid = new_sid("CA");
        let now = self.clock.now_ms();
        let call = StoredCall {
            sid: sid.clone(),
            to: to.to_string(),
            from: from.to_string(),
            created_ms: now,
            plan,
            forced: None,
        };
        lock(&self.data).remember(call, now);
        sid
    }

    /// Records a call the fake did not place itself (one from before it started: a data
    /// set's history, or an earlier run of the demo) under its own sid, created at
    /// `created` (the plan's durations count from then). Returns false, changing nothing,
    /// when the sid is already known.
    pub fn add_past_call(
        &self,
        sid: &str,
        to: &str,
        from: &str,
        plan: TwilioCallPlan,
        created: DateTime<Utc>,
    ) -> bool {
        let now = self.clock.now_ms();
        let mut data = lock(&self.data);
        if data.calls.iter().any(|c| c.sid == sid) {
            return false;
        }
        let call = StoredCall {
            sid: sid.to_string(),
            to: to.to_string(),
            from: from.to_string(),
            created_ms: created.timestamp_millis(),
            plan,
            forced: None,
        };
        data.remember(call, now);
        true
    }

    pub fn call(&self, sid: &str) -> Option<Value> {
        let now = self.clock.now_ms();
        let data = lock(&self.data);
        data.calls
            .iter()
            .find(|c| c.sid == sid)
            .map(|c| c.render(&data.account_sid, now))
    }

    /// Makes Trunking `next_page_url` point at another base (to test the client's guard).
    pub fn set_trunking_next_page_base(&self, base: Option<&str>) {
        lock(&self.data).next_page_base = base.map(str::to_string);
    }
}

const SEED_MS: i64 = 1_438_286_400_000;

/// A running Twilio fake (2010 API and Trunking on the same server).
#[derive(Debug)]
pub struct TwilioFake {
    server: FakeServer,
    state: TwilioState,
    faults: Faults,
}

impl TwilioFake {
    pub async fn start(state: TwilioState) -> std::io::Result<TwilioFake> {
        let faults = Faults::default();
        let context = FaultContext {
            faults: faults.clone(),
            error_reply: |path, status, code| {
                let (status, body) = twilio_error(status, code.and_then(|c| c.parse().ok()), path);
                json_reply(status, body)
            },
        };
        let router = Router::new()
            .fallback(handle)
            .with_state(state.clone())
            .layer(axum::middleware::from_fn_with_state(
                context,
                fault_middleware,
            ));
        let server = FakeServer::start(router).await?;
        lock(&state.data).base_url = server.base_url();
        Ok(TwilioFake {
            server,
            state,
            faults,
        })
    }

    /// `[twilio] base_url`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// `[twilio] trunking_base_url` (same server, `/v1/…` paths).
    pub fn trunking_base_url(&self) -> String {
        self.server.base_url()
    }

    pub fn state(&self) -> &TwilioState {
        &self.state
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }
}

/// Twilio's error body: `{"code","message","more_info","status"}`.
pub fn twilio_error(status: u16, code: Option<u32>, path: &str) -> (u16, Value) {
    let code = code.unwrap_or(match status {
        401 => 20003,
        403 => 20403,
        404 => 20404,
        405 => 20004,
        429 => 20429,
        503 => 20503,
        400 => 21201,
        _ => 20500,
    });
    let message = match code {
        20003 => "Authenticate".to_string(),
        20403 => "Forbidden".to_string(),
        20404 => format!("The requested resource {path} was not found"),
        20004 => "Method not allowed".to_string(),
        20429 => "Too Many Requests".to_string(),
        20503 => "Service unavailable".to_string(),
        21201 => "No 'To' number is specified".to_string(),
        21213 => "No 'From' number is specified".to_string(),
        21205 => "Url parameter is required.".to_string(),
        21218 => "Invalid Status".to_string(),
        10004 => "Call concurrency limit exceeded".to_string(),
        _ => "An internal server error has occurred".to_string(),
    };
    let mut body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    });
    if code == 20003 {
        body["detail"] = json!("Your AccountSid or AuthToken was incorrect.");
    }
    (status, body)
}

async fn handle(
    State(state): State<TwilioState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let wants_xml = path.starts_with("/2010-04-01/") && !path.ends_with(".json");
    let (status, reply) = route(&state, &method, &uri, &headers, &body);
    if status == 204 {
        return StatusCode::NO_CONTENT.into_response();
    }
    if wants_xml {
        xml_reply(status, &reply)
    } else {
        json_reply(status, reply)
    }
}

fn route(
    state: &TwilioState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> (u16, Value) {
    let path = uri.path();
    let (account_sid, auth_token) = {
        let data = lock(&state.data);
        (data.account_sid.clone(), data.auth_token.clone())
    };
    if !basic_auth_ok(headers, &account_sid, &auth_token) {
        return twilio_error(401, None, path);
    }
    let segs: Vec<String> = segments(path)
        .into_iter()
        .map(|s| s.strip_suffix(".json").map(str::to_string).unwrap_or(s))
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let query = query_pairs(uri);
    let form = form_pairs(headers, body);
    match (method.as_str(), segs.as_slice()) {
        ("GET", ["2010-04-01", "Accounts", sid]) => account(state, sid, path),
        (_, ["2010-04-01", "Accounts", sid, ..]) if *sid != account_sid => {
            twilio_error(404, None, path)
        }
        ("GET", ["2010-04-01", "Accounts", _, "IncomingPhoneNumbers"]) => {
            incoming_numbers(state, &query)
        }
        ("GET", ["2010-04-01", "Accounts", _, "Calls"]) => list_calls(state, &query),
        ("POST", ["2010-04-01", "Accounts", _, "Calls"]) => create_call(state, &form),
        ("GET", ["2010-04-01", "Accounts", _, "Calls", sid]) => match state.call(sid) {
            Some(call) => (200, call),
            None => twilio_error(404, None, path),
        },
        ("POST", ["2010-04-01", "Accounts", _, "Calls", sid]) => {
            update_call(state, sid, &form, path)
        }
        ("GET", ["v1", "Trunks"]) => {
            let trunks: Vec<Value> = lock(&state.data)
                .trunks
                .iter()
                .map(|t| t.trunk.clone())
                .collect();
            trunking_page(state, &trunks, "trunks", "/v1/Trunks", &query)
        }
        ("GET", ["v1", "Trunks", sid]) => match find_trunk(state, sid) {
            Some(trunk) => (200, trunk.trunk),
            None => twilio_error(404, None, path),
        },
        ("GET", ["v1", "Trunks", sid, "PhoneNumbers"]) => match find_trunk(state, sid) {
            Some(trunk) => trunking_page(state, &trunk.numbers, "phone_numbers", path, &query),
            None => twilio_error(404, None, path),
        },
        ("GET", ["v1", "Trunks", sid, "OriginationUrls"]) => match find_trunk(state, sid) {
            Some(trunk) => trunking_page(
                state,
                &trunk.origination_urls,
                "origination_urls",
                path,
                &query,
            ),
            None => twilio_error(404, None, path),
        },
        _ => twilio_error(404, None, path),
    }
}

fn basic_auth_ok(headers: &HeaderMap, user: &str, password: &str) -> bool {
    let Some(encoded) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    decoded == format!("{user}:{password}").as_bytes()
}

fn account(state: &TwilioState, sid: &str, path: &str) -> (u16, Value) {
    let data = lock(&state.data);
    if sid != data.account_sid {
        return twilio_error(404, None, path);
    }
    (
        200,
        json!({
            "sid": data.account_sid,
            "friendly_name": "launchdeck fake account",
            "status": data.account_status,
            "type": data.account_type,
            "auth_token": CANARY_TWILIO_AUTH_TOKEN,
            "owner_account_sid": data.account_sid,
            "date_created": rfc2822(SEED_MS),
            "date_updated": rfc2822(SEED_MS),
            "uri": format!("{API_PREFIX}/{}.json", data.account_sid),
        }),
    )
}

fn page_params(query: &[(String, String)]) -> (usize, usize) {
    let size = param(query, "PageSize")
        .and_then(|s| s.parse().ok())
        .unwrap_or(50usize)
        .clamp(1, 1000);
    let page = param(query, "Page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0usize);
    (size, page)
}

/// A 2010 list page: items under `key` beside relative `*_page_uri` links.
fn page_2010(
    items: &[Value],
    key: &str,
    list_path: &str,
    query: &[(String, String)],
) -> (u16, Value) {
    let (size, page) = page_params(query);
    let start = page.saturating_mul(size).min(items.len());
    let end = (start + size).min(items.len());
    let slice = &items[start..end];
    let next = (end < items.len()).then(|| {
        let token = slice
            .last()
            .and_then(|i| i["sid"].as_str())
            .unwrap_or_default();
        format!(
            "{list_path}?PageSize={size}&Page={}&PageToken=PA{token}",
            page + 1
        )
    });
    let previous = (page > 0).then(|| format!("{list_path}?PageSize={size}&Page={}", page - 1));
    (
        200,
        json!({
            key: slice,
            "page": page,
            "page_size": size,
            "start": start,
            "end": end.saturating_sub(1).max(start),
            "uri": format!("{list_path}?PageSize={size}&Page={page}"),
            "first_page_uri": format!("{list_path}?PageSize={size}&Page=0"),
            "previous_page_uri": previous,
            "next_page_uri": next,
        }),
    )
}

fn incoming_numbers(state: &TwilioState, query: &[(String, String)]) -> (u16, Value) {
    let data = lock(&state.data);
    let wanted = param(query, "PhoneNumber").map(|p| p.replace('*', ""));
    let numbers: Vec<Value> = data
        .numbers
        .iter()
        .filter(|n| {
            wanted
                .as_deref()
                .is_none_or(|w| n["phone_number"].as_str().is_some_and(|p| p.contains(w)))
        })
        .cloned()
        .collect();
    let list_path = format!(
        "{API_PREFIX}/{}/IncomingPhoneNumbers.json",
        data.account_sid
    );
    page_2010(&numbers, "incoming_phone_numbers", &list_path, query)
}

fn list_calls(state: &TwilioState, query: &[(String, String)]) -> (u16, Value) {
    let now = state.clock.now_ms();
    let data = lock(&state.data);
    let calls: Vec<Value> = data
        .calls
        .iter()
        .rev()
        .map(|c| c.render(&data.account_sid, now))
        .filter(|c| {
            ["To", "From", "Status"].iter().all(|key| {
                param(query, key)
                    .is_none_or(|wanted| c[key.to_ascii_lowercase()].as_str() == Some(wanted))
            })
        })
        .collect();
    let list_path = format!("{API_PREFIX}/{}/Calls.json", data.account_sid);
    page_2010(&calls, "calls", &list_path, query)
}

fn create_call(state: &TwilioState, form: &[(String, String)]) -> (u16, Value) {
    let Some(to) = param(form, "To") else {
        return twilio_error(400, Some(21201), "");
    };
    let Some(from) = param(form, "From") else {
        return twilio_error(400, Some(21213), "");
    };
    if param(form, "Twiml").is_none() && param(form, "Url").is_none() {
        return twilio_error(400, Some(21205), "");
    }
    let now = state.clock.now_ms();
    let mut data = lock(&state.data);
    let plan = data
        .next_plans
        .pop_front()
        .unwrap_or_else(|| data.default_plan.clone());
    let call = StoredCall {
        sid: new_sid("CA"),
        to: to.to_string(),
        from: from.to_string(),
        created_ms: now,
        plan,
        forced: None,
    };
    let reply = call.render(&data.account_sid, now);
    data.remember(call, now);
    (201, reply)
}

/// `Status=canceled` ends a queued/ringing call; `Status=completed` an in-progress one.
/// Any other combination leaves the call as it is.
fn update_call(
    state: &TwilioState,
    sid: &str,
    form: &[(String, String)],
    path: &str,
) -> (u16, Value) {
    let now = state.clock.now_ms();
    let mut data = lock(&state.data);
    let account_sid = data.account_sid.clone();
    let Some(call) = data.calls.iter_mut().find(|c| c.sid == sid) else {
        return twilio_error(404, None, path);
    };
    let (current, _, _) = call.progress(now);
    match (param(form, "Status"), current) {
        (Some("canceled"), "queued" | "ringing") => call.forced = Some((now, "canceled")),
        (Some("completed"), "in-progress") => call.forced = Some((now, "completed")),
        (Some("canceled" | "completed"), _) | (None, _) => {}
        (Some(_), _) => return twilio_error(400, Some(21218), path),
    }
    (200, call.render(&account_sid, now))
}

fn find_trunk(state: &TwilioState, sid: &str) -> Option<StoredTrunk> {
    lock(&state.data)
        .trunks
        .iter()
        .find(|t| t.trunk["sid"].as_str() == Some(sid))
        .cloned()
}

/// A Trunking page: items under `key`, absolute URLs in `meta`.
fn trunking_page(
    state: &TwilioState,
    items: &[Value],
    key: &str,
    list_path: &str,
    query: &[(String, String)],
) -> (u16, Value) {
    let (base, next_base) = {
        let data = lock(&state.data);
        (data.base_url.clone(), data.next_page_base.clone())
    };
    let (size, page) = page_params(query);
    let start = page.saturating_mul(size).min(items.len());
    let end = (start + size).min(items.len());
    let next = (end < items.len()).then(|| {
        let link_base = next_base.as_deref().unwrap_or(&base);
        format!(
            "{link_base}{list_path}?PageSize={size}&Page={}&PageToken=PT{}",
            page + 1,
            end
        )
    });
    (
        200,
        json!({
            key: &items[start..end],
            "meta": {
                "page": page,
                "page_size": size,
                "first_page_url": format!("{base}{list_path}?PageSize={size}&Page=0"),
                "previous_page_url": (page > 0).then(|| format!("{base}{list_path}?PageSize={size}&Page={}", page - 1)),
                "url": format!("{base}{list_path}?PageSize={size}&Page={page}"),
                "next_page_url": next,
                "key": key,
            }
        }),
    )
}

/// The 2010 API's XML answer when the path lacks `.json`.
fn xml_reply(status: u16, body: &Value) -> Response {
    let inner = if body.get("code").is_some() && body.get("more_info").is_some() {
        format!("<RestException>{}</RestException>", xml_fields(body))
    } else {
        xml_fields(body)
    };
    let xml =
        format!("<?xml version='1.0' encoding='UTF-8'?>\n<TwilioResponse>{inner}</TwilioResponse>");
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, [(header::CONTENT_TYPE, "application/xml")], xml).into_response()
}

fn xml_fields(value: &Value) -> String {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(key, child)| {
                let tag = pascal_case(key);
                format!("<{tag}>{}</{tag}>", xml_fields(child))
            })
            .collect(),
        Value::Array(items) => items
            .iter()
            .map(|i| format!("<Item>{}</Item>", xml_fields(i)))
            .collect(),
        Value::Null => String::new(),
        Value::String(s) => xml_escape(s),
        other => other.to_string(),
    }
}

fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_and_duration_empty_until_the_end() {
        let call = StoredCall {
            sid: "CA1".into(),
            to: "+1".into(),
            from: "+2".into(),
            created_ms: 0,
            plan: TwilioCallPlan {
                queued: Duration::from_secs(1),
                ringing: Duration::from_secs(1),
                outcome: TwilioOutcome::Completed {
                    talk: Duration::from_secs(10),
                },
            },
            forced: None,
        };
        assert_eq!(call.render("AC", 500)["status"], "queued");
        assert_eq!(call.render("AC", 1_500)["status"], "ringing");
        let live = call.render("AC", 5_000);
        assert_eq!(live["status"], "in-progress");
        assert_eq!(live["duration"], Value::Null);
        let done = call.render("AC", 13_000);
        assert_eq!(done["status"], "completed");
        assert_eq!(done["duration"], "10");
    }

    #[test]
    fn a_call_history_limit_forgets_the_oldest_finished_calls() {
        let state = TwilioState::new("AC1", "token");
        state.set_call_history(4);
        let finished: Vec<String> = (0..4)
            .map(|_| state.add_call("+1", "+2", TwilioCallPlan::default()))
            .collect();
        state.clock().advance(Duration::from_secs(60));
        let live: Vec<String> = (0..4)
            .map(|_| state.add_call("+1", "+2", TwilioCallPlan::default()))
            .collect();
        assert!(finished.iter().all(|sid| state.call(sid).is_none()));
        assert!(live.iter().all(|sid| state.call(sid).is_some()));
    }

    #[test]
    fn a_past_call_keeps_its_sid_and_times() {
        let state = TwilioState::new("AC1", "token");
        let created = Utc::now() - chrono::Duration::minutes(30);
        let plan = TwilioCallPlan {
            queued: Duration::from_secs(1),
            ringing: Duration::from_secs(4),
            outcome: TwilioOutcome::Completed {
                talk: Duration::from_secs(65),
            },
        };
        let sid = "CA0123456789abcdef0123456789abcdef";
        assert!(state.add_past_call(sid, "+1", "+2", plan.clone(), created));
        assert!(!state.add_past_call(sid, "+1", "+2", plan, created));
        let call = state.call(sid).expect("known");
        assert_eq!(call["status"], "completed");
        assert_eq!(call["duration"], "65");
        let end = created.timestamp_millis() + 70_000;
        assert_eq!(call["end_time"], rfc2822(end));
    }

    #[test]
    fn xml_for_plain_paths() {
        let (_, body) = twilio_error(404, None, "/x");
        let response = xml_reply(404, &body);
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
