//! Retell AI client (providers.md §1.1, §2, §3).

mod models;

pub use models::*;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use reqwest::Method;
use secrecy::SecretString;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::breaker::BreakerState;
use crate::de::{PageGuard, lenient_bool, lenient_string, null_as_empty};
use crate::error::{ErrorKind, Provider, ProviderError};
use crate::http::{Auth, BaseUrl, HttpConfig, HttpLayer, Request, decode_json, segment};
use crate::outcome::{CreateCallOutcome, EndCallOutcome};
use crate::retry::RetryBudget;

pub const DEFAULT_BASE_URL: &str = "https://api.retellai.com";
/// Retell's largest page.
const MAX_PAGE_SIZE: u32 = 1000;

/// Which generation of list paths a Retell base URL answers (providers.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathGeneration {
    /// Envelope lists: `POST /v2/list-agents`, `GET /v2/list-phone-numbers`, `POST /v3/list-calls`.
    Current,
    /// Bare arrays: `GET /list-agents`, `GET /list-phone-numbers`, `POST /v2/list-calls`.
    Legacy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ListKind {
    Agents,
    Numbers,
    Calls,
}

/// Generations learnt this session, per base URL and list.
fn generations() -> &'static Mutex<HashMap<(String, ListKind), PathGeneration>> {
    static GENERATIONS: OnceLock<Mutex<HashMap<(String, ListKind), PathGeneration>>> =
        OnceLock::new();
    GENERATIONS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// A call to place.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCall {
    /// A number bought from or imported into Retell.
    pub from_number: String,
    /// E.164.
    pub to_number: String,
    pub override_agent_id: Option<String>,
    /// `retell_llm_dynamic_variables`.
    pub dynamic_variables: BTreeMap<String, String>,
    /// Sent as `metadata.launchdeck_request_id`, for reconciling an unknown acceptance.
    pub request_id: uuid::Uuid,
}

/// Filter for `list_calls`.
#[derive(Debug, Clone, PartialEq)]
pub struct CallFilter {
    pub to_number: Option<String>,
    pub from_number: Option<String>,
    /// Filterable: `not_connected`, `ongoing`, `ended`, `error`.
    pub statuses: Vec<CallStatus>,
    /// Items per page (≤ 1000).
    pub limit: u32,
    /// Pages to read at most.
    pub max_pages: usize,
}

impl Default for CallFilter {
    fn default() -> Self {
        CallFilter {
            to_number: None,
            from_number: None,
            statuses: Vec::new(),
            limit: 50,
            max_pages: 1,
        }
    }
}

#[derive(Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
struct Envelope<T> {
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    items: Vec<T>,
    #[serde(default, deserialize_with = "lenient_bool")]
    has_more: Option<bool>,
    #[serde(default, deserialize_with = "lenient_string")]
    pagination_key: Option<String>,
}

/// Retell API client. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct RetellClient {
    http: HttpLayer,
    api_key: SecretString,
    page_size: u32,
}

impl RetellClient {
    /// `base_url` is `[retell] base_url` (https, or http on loopback).
    pub fn new(
        base_url: &str,
        api_key: SecretString,
        config: &HttpConfig,
    ) -> Result<Self, ProviderError> {
        let base = BaseUrl::parse(Provider::Retell, "[retell] base_url", base_url)?;
        let budget = Arc::new(RetryBudget::new(config.retry_budget));
        Ok(RetellClient {
            http: HttpLayer::new(Provider::Retell, base, config, budget)?,
            api_key,
            page_size: MAX_PAGE_SIZE,
        })
    }

    /// Items per list page (1–1000); smaller pages are for tests.
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size.clamp(1, MAX_PAGE_SIZE);
        self
    }

    pub fn breaker_state(&self) -> BreakerState {
        self.http.breaker_state()
    }

    fn auth(&self) -> Auth<'_> {
        Auth::Bearer(&self.api_key)
    }

    /// `GET /get-concurrency`: the cheap key check and the headroom.
    pub async fn get_concurrency(&self) -> Result<Concurrency, ProviderError> {
        let request = Request::get("/get-concurrency").auth(self.auth());
        self.http.send_json(&request, "concurrency").await
    }

    /// Every agent (one entry per agent id), current path first, legacy on 404/405.
    pub async fn list_agents(&self) -> Result<Vec<AgentSummary>, ProviderError> {
        let agents = self
            .with_fallback(
                ListKind::Agents,
                self.list_agents_current(),
                self.list_agents_legacy(),
            )
            .await?;
        Ok(dedupe_agents(agents))
    }

    async fn list_agents_current(&self) -> Result<Vec<AgentSummary>, ProviderError> {
        self.collect_envelope("agent list", |key| {
            let request = Request::read_post("/v2/list-agents")
                .query("limit", self.page_size)
                .json(json!({}))
                .auth(self.auth());
            match key {
                Some(key) => request.query("pagination_key", key),
                None => request,
            }
        })
        .await
    }

    async fn list_agents_legacy(&self) -> Result<Vec<AgentSummary>, ProviderError> {
        let mut agents: Vec<AgentSummary> = Vec::new();
        let mut guard = PageGuard::default();
        let mut cursor: Option<(String, Option<String>)> = None;
        loop {
            let mut request = Request::get("/list-agents")
                .query("limit", self.page_size)
                .auth(self.auth());
            if let Some((agent_id, version)) = &cursor {
                request = request.query("pagination_key", agent_id);
                if let Some(version) = version {
                    request = request.query("pagination_key_version", version);
                }
            }
            let page: Vec<AgentSummary> = self.http.send_json(&request, "agent list").await?;
            let full_page = page.len() >= self.page_size as usize;
            let last = page.last().map(|a| {
                (
                    a.agent_id.clone(),
                    a.version.as_ref().map(|v| v.to_string()),
                )
            });
            agents.extend(page);
            let next = if full_page { last } else { None };
            let marker = next.as_ref().map(|(id, v)| format!("{id}#{v:?}"));
            if guard.next_cursor(marker).is_none() {
                return Ok(agents);
            }
            cursor = next;
        }
    }

    /// `GET /get-agent/{id}`; `Ok(None)` when Retell says it does not exist (404/422).
    pub async fn get_agent(&self, agent_id: &str) -> Result<Option<Agent>, ProviderError> {
        let request = Request::get(format!("/get-agent/{}", segment(agent_id))).auth(self.auth());
        missing_as_none(self.http.send_json(&request, "agent").await)
    }

    /// Every phone number, current path first, legacy on 404/405.
    pub async fn list_numbers(&self) -> Result<Vec<PhoneNumber>, ProviderError> {
        self.with_fallback(
            ListKind::Numbers,
            self.list_numbers_current(),
            self.list_numbers_legacy(),
        )
        .await
    }

    async fn list_numbers_current(&self) -> Result<Vec<PhoneNumber>, ProviderError> {
        self.collect_envelope("phone number list", |key| {
            let request = Request::get("/v2/list-phone-numbers")
                .query("limit", self.page_size)
                .auth(self.auth());
            match key {
                Some(key) => request.query("pagination_key", key),
                None => request,
            }
        })
        .await
    }

    async fn list_numbers_legacy(&self) -> Result<Vec<PhoneNumber>, ProviderError> {
        let request = Request::get("/list-phone-numbers").auth(self.auth());
        self.http.send_json(&request, "phone number list").await
    }

    /// `GET /get-phone-number/{E.164}`; `Ok(None)` on 404 or 422.
    pub async fn get_number(
        &self,
        phone_number: &str,
    ) -> Result<Option<PhoneNumber>, ProviderError> {
        let request =
            Request::get(format!("/get-phone-number/{}", segment(phone_number))).auth(self.auth());
        missing_as_none(self.http.send_json(&request, "phone number").await)
    }

    /// Sets the number's outbound agent, sending only
    /// `{"outbound_agents":[{"agent_id":…,"weight":1}]}`. After a 5xx or timeout it reads
    /// the number back and re-sends once only if the change is not there.
    pub async fn set_outbound_agent(
        &self,
        phone_number: &str,
        agent_id: &str,
    ) -> Result<PhoneNumber, ProviderError> {
        let request = Request::mutation(
            Method::PATCH,
            format!("/update-phone-number/{}", segment(phone_number)),
        )
        .json(json!({ "outbound_agents": [{ "agent_id": agent_id, "weight": 1 }] }))
        .auth(self.auth());
        let first = self
            .http
            .send_json::<PhoneNumber>(&request, "updated phone number")
            .await;
        let err = match first {
            Err(err) if outcome_ambiguous(&err) => err,
            other => return other,
        };
        match self.get_number(phone_number).await {
            Ok(Some(number)) if has_only_outbound_agent(&number, agent_id) => Ok(number),
            Ok(Some(_)) => self.http.send_json(&request, "updated phone number").await,
            _ => Err(err),
        }
    }

    /// `POST /v2/create-phone-call`. Never retried; see [`CreateCallOutcome`].
    pub async fn create_call(&self, call: &NewCall) -> CreateCallOutcome<Call> {
        let request = Request::mutation(Method::POST, "/v2/create-phone-call")
            .json(create_call_body(call))
            .auth(self.auth());
        match self.http.send(&request).await {
            Ok(reply) => match decode_json::<Call>(Provider::Retell, &reply.body, "created call") {
                Ok(created) => CreateCallOutcome::Placed(created),
                Err(err) => CreateCallOutcome::AcceptanceUnknown(err.with_status(reply.status)),
            },
            Err(err) => CreateCallOutcome::from_error(err),
        }
    }

    /// `GET /v2/get-call/{id}`.
    pub async fn get_call(&self, call_id: &str) -> Result<Call, ProviderError> {
        self.fetch_call(call_id, false).await
    }

    async fn fetch_call(&self, call_id: &str, bypass_breaker: bool) -> Result<Call, ProviderError> {
        let mut request =
            Request::get(format!("/v2/get-call/{}", segment(call_id))).auth(self.auth());
        if bypass_breaker {
            request = request.bypass_breaker();
        }
        self.http.send_json(&request, "call").await
    }

    /// `POST /v2/stop-call/{id}` (204). Sent even while the breaker is open. On a
    /// failure it reads the call: already finished → done; still live after a 5xx,
    /// timeout or lost connection → sent once more.
    pub async fn stop_call(&self, call_id: &str) -> Result<EndCallOutcome, ProviderError> {
        let request =
            Request::mutation(Method::POST, format!("/v2/stop-call/{}", segment(call_id)))
                .bypass_breaker()
                .auth(self.auth());
        let err = match self.http.send(&request).await {
            Ok(_) => return Ok(EndCallOutcome::Ended),
            Err(err) => err,
        };
        if matches!(
            err.kind(),
            ErrorKind::Unauthorized | ErrorKind::Forbidden | ErrorKind::RateLimited { .. }
        ) {
            return Err(err);
        }
        match self.fetch_call(call_id, true).await {
            Ok(call) if call.call_status.is_terminal() => Ok(EndCallOutcome::AlreadyEnded {
                status: call.call_status.to_string(),
            }),
            Ok(_) if err.is_provider_failure() => self
                .http
                .send(&request)
                .await
                .map(|_| EndCallOutcome::Ended),
            _ => Err(err),
        }
    }

    /// Lists calls, newest first (`/v3/list-calls`, legacy `/v2/list-calls`).
    pub async fn list_calls(&self, filter: &CallFilter) -> Result<Vec<Call>, ProviderError> {
        self.with_fallback(
            ListKind::Calls,
            self.list_calls_current(filter),
            self.list_calls_legacy(filter),
        )
        .await
    }

    /// The list-calls generation learnt for this base URL this session, if any: a caller
    /// that paces its own requests asks [`RetellClient::list_calls_as`] in that one, or
    /// probes the current one first and asks the legacy one in its next turn.
    pub fn known_calls_generation(&self) -> Option<PathGeneration> {
        lock(generations())
            .get(&self.generation_key(ListKind::Calls))
            .copied()
    }

    /// Lists calls in one path generation, without falling back (one request per page);
    /// an answer teaches the generation for the session.
    pub async fn list_calls_as(
        &self,
        generation: PathGeneration,
        filter: &CallFilter,
    ) -> Result<Vec<Call>, ProviderError> {
        let calls = match generation {
            PathGeneration::Current => self.list_calls_current(filter).await?,
            PathGeneration::Legacy => self.list_calls_legacy(filter).await?,
        };
        lock(generations()).insert(self.generation_key(ListKind::Calls), generation);
        Ok(calls)
    }

    fn generation_key(&self, kind: ListKind) -> (String, ListKind) {
        (self.http.base().as_str().to_string(), kind)
    }

    /// Reconcile step (providers.md §3): the newest 10 calls from `from_number` to
    /// `to_number`, matched on `metadata.launchdeck_request_id`.
    pub async fn find_call_by_request_id(
        &self,
        from_number: &str,
        to_number: &str,
        request_id: &str,
    ) -> Result<Option<Call>, ProviderError> {
        let filter = CallFilter {
            to_number: Some(to_number.to_string()),
            from_number: Some(from_number.to_string()),
            statuses: Vec::new(),
            limit: 10,
            max_pages: 1,
        };
        let calls = self.list_calls(&filter).await?;
        Ok(calls
            .into_iter()
            .find(|call| call.launchdeck_request_id() == Some(request_id)))
    }

    async fn list_calls_current(&self, filter: &CallFilter) -> Result<Vec<Call>, ProviderError> {
        let mut calls = Vec::new();
        let mut guard = PageGuard::default();
        let mut key: Option<String> = None;
        for _ in 0..filter.max_pages.max(1) {
            let mut body = json!({
                "filter_criteria": v3_filter(filter),
                "sort_order": "descending",
                "limit": filter.limit.clamp(1, MAX_PAGE_SIZE),
            });
            if let Some(key) = &key {
                body["pagination_key"] = Value::String(key.clone());
            }
            let request = Request::read_post("/v3/list-calls")
                .json(body)
                .auth(self.auth());
            let page: Envelope<Call> = self.http.send_json(&request, "call list").await?;
            let empty = page.items.is_empty();
            calls.extend(page.items);
            key = guard.next_key(page.has_more, page.pagination_key, empty);
            if key.is_none() {
                break;
            }
        }
        Ok(calls)
    }

    async fn list_calls_legacy(&self, filter: &CallFilter) -> Result<Vec<Call>, ProviderError> {
        let mut calls: Vec<Call> = Vec::new();
        let mut guard = PageGuard::default();
        let limit = filter.limit.clamp(1, MAX_PAGE_SIZE);
        let mut key: Option<String> = None;
        for _ in 0..filter.max_pages.max(1) {
            let mut body = json!({
                "filter_criteria": legacy_filter(filter),
                "sort_order": "descending",
                "limit": limit,
            });
            if let Some(key) = &key {
                body["pagination_key"] = Value::String(key.clone());
            }
            let request = Request::read_post("/v2/list-calls")
                .json(body)
                .auth(self.auth());
            let page: Vec<Call> = self.http.send_json(&request, "call list").await?;
            let full_page = page.len() >= limit as usize;
            let last = page.last().map(|c| c.call_id.clone());
            calls.extend(page);
            key = guard.next_cursor(if full_page { last } else { None });
            if key.is_none() {
                break;
            }
        }
        Ok(calls)
    }

    /// Runs the current-generation list unless this base URL is known to be legacy; on
    /// 404/405 from the current path, runs the legacy one and remembers the answer.
    async fn with_fallback<T>(
        &self,
        kind: ListKind,
        current: impl Future<Output = Result<T, ProviderError>>,
        legacy: impl Future<Output = Result<T, ProviderError>>,
    ) -> Result<T, ProviderError> {
        let key = self.generation_key(kind);
        let known = lock(generations()).get(&key).copied();
        if known == Some(PathGeneration::Legacy) {
            return legacy.await;
        }
        match current.await {
            Ok(items) => {
                lock(generations()).insert(key, PathGeneration::Current);
                Ok(items)
            }
            Err(err) if known.is_none() && matches!(err.status(), Some(404 | 405)) => {
                let items = legacy.await?;
                lock(generations()).insert(key, PathGeneration::Legacy);
                Ok(items)
            }
            Err(err) => Err(err),
        }
    }

    /// Reads an envelope list to the end (providers.md §1.1 "Envelope").
    async fn collect_envelope<'a, T: DeserializeOwned>(
        &'a self,
        what: &str,
        request_for: impl Fn(Option<&str>) -> Request<'a>,
    ) -> Result<Vec<T>, ProviderError> {
        let mut items = Vec::new();
        let mut guard = PageGuard::default();
        let mut key: Option<String> = None;
        loop {
            let request = request_for(key.as_deref());
            let page: Envelope<T> = self.http.send_json(&request, what).await?;
            let empty = page.items.is_empty();
            items.extend(page.items);
            key = guard.next_key(page.has_more, page.pagination_key, empty);
            if key.is_none() {
                return Ok(items);
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// 404 and 422 on a get-by-id mean "no such item".
fn missing_as_none<T>(result: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match result {
        Ok(item) => Ok(Some(item)),
        Err(err) if matches!(err.kind(), ErrorKind::NotFound | ErrorKind::Unprocessable) => {
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

/// The request may or may not have taken effect.
fn outcome_ambiguous(err: &ProviderError) -> bool {
    matches!(
        err.kind(),
        ErrorKind::Server { .. } | ErrorKind::Timeout | ErrorKind::Disconnected | ErrorKind::Decode
    )
}

fn has_only_outbound_agent(number: &PhoneNumber, agent_id: &str) -> bool {
    number.outbound_agents.len() == 1 && number.outbound_agents[0].agent_id == agent_id
}

/// One page of a list as the given generation sends it: an envelope's items, or a bare array.
pub(crate) fn decode_list_page<T: DeserializeOwned>(
    generation: PathGeneration,
    body: &[u8],
    what: &str,
) -> Result<Vec<T>, ProviderError> {
    match generation {
        PathGeneration::Current => {
            decode_json::<Envelope<T>>(Provider::Retell, body, what).map(|page| page.items)
        }
        PathGeneration::Legacy => decode_json(Provider::Retell, body, what),
    }
}

/// Legacy lists return every version of an agent; keep the newest per id.
pub(crate) fn dedupe_agents(agents: Vec<AgentSummary>) -> Vec<AgentSummary> {
    let mut by_id: Vec<AgentSummary> = Vec::with_capacity(agents.len());
    for agent in agents {
        match by_id.iter_mut().find(|a| a.agent_id == agent.agent_id) {
            Some(existing) => {
                if version_number(&agent) > version_number(existing) {
                    *existing = agent;
                }
            }
            None => by_id.push(agent),
        }
    }
    by_id
}

fn version_number(agent: &AgentSummary) -> i64 {
    match agent.version {
        Some(AgentVersion::Number(n)) => n,
        _ => i64::MIN,
    }
}

fn create_call_body(call: &NewCall) -> Value {
    let mut body = json!({
        "from_number": call.from_number,
        "to_number": call.to_number,
        "metadata": { "launchdeck_request_id": call.request_id.to_string() },
    });
    if let Some(agent_id) = &call.override_agent_id {
        body["override_agent_id"] = Value::String(agent_id.clone());
    }
    if !call.dynamic_variables.is_empty() {
        body["retell_llm_dynamic_variables"] = json!(call.dynamic_variables);
    }
    body
}

/// v3 typed filters: `{"to_number":{"op":"eq","type":"string","value":…}, …}`.
fn v3_filter(filter: &CallFilter) -> Value {
    let mut criteria = serde_json::Map::new();
    for (field, value) in [
        ("to_number", &filter.to_number),
        ("from_number", &filter.from_number),
    ] {
        if let Some(value) = value {
            criteria.insert(
                field.to_string(),
                json!({ "op": "eq", "type": "string", "value": value }),
            );
        }
    }
    if !filter.statuses.is_empty() {
        let statuses: Vec<&str> = filter.statuses.iter().map(CallStatus::as_str).collect();
        criteria.insert(
            "call_status".to_string(),
            json!({ "op": "in", "type": "enum", "value": statuses }),
        );
    }
    Value::Object(criteria)
}

/// Legacy array filters: `{"to_number":["…"],"call_status":["ongoing"]}`.
fn legacy_filter(filter: &CallFilter) -> Value {
    let mut criteria = serde_json::Map::new();
    for (field, value) in [
        ("to_number", &filter.to_number),
        ("from_number", &filter.from_number),
    ] {
        if let Some(value) = value {
            criteria.insert(field.to_string(), json!([value]));
        }
    }
    if !filter.statuses.is_empty() {
        let statuses: Vec<&str> = filter.statuses.iter().map(CallStatus::as_str).collect();
        criteria.insert("call_status".to_string(), json!(statuses));
    }
    Value::Object(criteria)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_body_carries_request_id_and_nothing_secret() {
        let call = NewCall {
            from_number: "+14155550123".into(),
            to_number: "+14155550199".into(),
            override_agent_id: Some("agent_1".into()),
            dynamic_variables: BTreeMap::from([("name".to_string(), "Ada".to_string())]),
            request_id: uuid::Uuid::nil(),
        };
        let body = create_call_body(&call);
        assert_eq!(
            body["metadata"]["launchdeck_request_id"],
            "00000000-0000-0000-0000-000000000000"
        );
        assert_eq!(body["override_agent_id"], "agent_1");
        assert_eq!(body["retell_llm_dynamic_variables"]["name"], "Ada");
    }

    #[test]
    fn filters_in_both_dialects() {
        let filter = CallFilter {
            to_number: Some("+1999".into()),
            statuses: vec![CallStatus::Ongoing],
            ..CallFilter::default()
        };
        assert_eq!(
            v3_filter(&filter),
            json!({"to_number":{"op":"eq","type":"string","value":"+1999"},"call_status":{"op":"in","type":"enum","value":["ongoing"]}})
        );
        assert_eq!(
            legacy_filter(&filter),
            json!({"to_number":["+1999"],"call_status":["ongoing"]})
        );
    }

    #[test]
    fn legacy_agent_versions_collapse() {
        let agents: Vec<AgentSummary> = serde_json::from_str(
            r#"[{"agent_id":"a","version":1},{"agent_id":"a","version":3},{"agent_id":"b","version":0}]"#,
        )
        .expect("agents");
        let deduped = dedupe_agents(agents);
        assert_eq!(deduped.len(), 2);
        assert_eq!(deduped[0].version, Some(AgentVersion::Number(3)));
    }
}
