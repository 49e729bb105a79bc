//! Fake Google: the OAuth token endpoint (form-only refresh grant) and Calendar's
//! calendarList and freeBusy (providers.md §1.4, §5).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::clock::{Clock, duration_ms};
use super::faults::{FaultContext, Faults, fault_middleware};
use super::server::FakeServer;
use super::{
    CANARY_GOOGLE_ACCESS_TOKEN, CANARY_GOOGLE_REFRESH_TOKEN, form_pairs, json_reply, lock,
    offset_from_key, page_of, param, query_pairs,
};

const TOKEN_PATH: &str = "/token";
const CALENDAR_PREFIX: &str = "/calendar/v3";
const SCOPES: &str = "https://www.googleapis.com/auth/calendar.readonly https://www.googleapis.com/auth/calendar.events";

#[derive(Debug, Clone)]
struct RefreshToken {
    client_id: String,
    revoked: bool,
}

#[derive(Debug)]
struct GoogleData {
    clients: HashMap<String, String>,
    refresh_tokens: HashMap<String, RefreshToken>,
    access_tokens: HashMap<String, i64>,
    expires_in: i64,
    rotate_refresh_token: bool,
    issued: u64,
    calendars: Vec<Value>,
    busy: HashMap<String, Vec<Value>>,
    calendar_errors: HashMap<String, String>,
    insufficient_scope: bool,
}

/// Shared, scriptable state of the Google fake.
#[derive(Debug, Clone)]
pub struct GoogleState {
    data: Arc<Mutex<GoogleData>>,
    clock: Clock,
}

impl GoogleState {
    /// One OAuth client with one valid refresh token, one primary calendar.
    pub fn new(client_id: &str, client_secret: &str, refresh_token: &str) -> GoogleState {
        let state = GoogleState {
            data: Arc::new(Mutex::new(GoogleData {
                clients: HashMap::from([(client_id.to_string(), client_secret.to_string())]),
                refresh_tokens: HashMap::new(),
                access_tokens: HashMap::new(),
                expires_in: 3599,
                rotate_refresh_token: false,
                issued: 0,
                calendars: Vec::new(),
                busy: HashMap::new(),
                calendar_errors: HashMap::new(),
                insufficient_scope: false,
            })),
            clock: Clock::system(),
        };
        state.add_refresh_token(refresh_token, client_id);
        state.add_calendar("ops@example.com", "Ops", true, "owner");
        state
    }

    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    pub fn add_client(&self, client_id: &str, client_secret: &str) {
        lock(&self.data)
            .clients
            .insert(client_id.to_string(), client_secret.to_string());
    }

    pub fn add_refresh_token(&self, token: &str, client_id: &str) {
        lock(&self.data).refresh_tokens.insert(
            token.to_string(),
            RefreshToken {
                client_id: client_id.to_string(),
                revoked: false,
            },
        );
    }

    /// Revoked (or expired after 7 days in "Testing"): `invalid_grant` from now on.
    pub fn revoke_refresh_token(&self, token: &str) {
        if let Some(entry) = lock(&self.data).refresh_tokens.get_mut(token) {
            entry.revoked = true;
        }
    }

    /// `expires_in` of issued access tokens (seconds; may be short).
    pub fn set_expires_in(&self, seconds: i64) {
        lock(&self.data).expires_in = seconds;
    }

    /// Also return a (canary) `refresh_token` on success.
    pub fn set_rotate_refresh_token(&self, rotate: bool) {
        lock(&self.data).rotate_refresh_token = rotate;
    }

    /// An access token the Calendar API accepts for `ttl`.
    pub fn add_access_token(&self, token: &str, ttl: Duration) {
        let expires = self.clock.now_ms() + duration_ms(ttl);
        lock(&self.data)
            .access_tokens
            .insert(token.to_string(), expires);
    }

    pub fn add_calendar(&self, id: &str, summary: &str, primary: bool, access_role: &str) {
        let mut entry = json!({
            "kind": "calendar#calendarListEntry",
            "etag": format!("\"{}\"", id.len()),
            "id": id,
            "summary": summary,
            "timeZone": "America/New_York",
            "accessRole": access_role,
        });
        if primary {
            entry["primary"] = json!(true);
        }
        let mut data = lock(&self.data);
        data.calendars.retain(|c| c["id"].as_str() != Some(id));
        data.calendars.push(entry);
    }

    pub fn add_busy(&self, calendar_id: &str, start: &str, end: &str) {
        lock(&self.data)
            .busy
            .entry(calendar_id.to_string())
            .or_default()
            .push(json!({ "start": start, "end": end }));
    }

    /// freeBusy reports `errors:[{domain:"global",reason}]` for this calendar inside a 200.
    pub fn set_calendar_error(&self, calendar_id: &str, reason: &str) {
        lock(&self.data)
            .calendar_errors
            .insert(calendar_id.to_string(), reason.to_string());
    }

    /// Calendar calls answer 403 `insufficientPermissions`.
    pub fn set_insufficient_scope(&self, insufficient: bool) {
        lock(&self.data).insufficient_scope = insufficient;
    }
}

/// A running Google fake: token endpoint and Calendar on one server.
#[derive(Debug)]
pub struct GoogleFake {
    server: FakeServer,
    state: GoogleState,
    faults: Faults,
}

impl GoogleFake {
    pub async fn start(state: GoogleState) -> std::io::Result<GoogleFake> {
        let faults = Faults::default();
        let context = FaultContext {
            faults: faults.clone(),
            error_reply: google_error,
        };
        let router = Router::new()
            .fallback(handle)
            .with_state(state.clone())
            .layer(axum::middleware::from_fn_with_state(
                context,
                fault_middleware,
            ));
        let server = FakeServer::start(router).await?;
        Ok(GoogleFake {
            server,
            state,
            faults,
        })
    }

    /// `[google] token_url`.
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.server.base_url())
    }

    /// `[google] calendar_base_url`.
    pub fn calendar_base_url(&self) -> String {
        format!("{}{CALENDAR_PREFIX}", self.server.base_url())
    }

    pub fn state(&self) -> &GoogleState {
        &self.state
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }
}

/// Error reply for a path: OAuth style on the token endpoint, Calendar style elsewhere.
pub fn google_error(path: &str, status: u16, code: Option<&str>) -> Response {
    if path.starts_with(TOKEN_PATH) {
        let code = code.unwrap_or(match status {
            400 => "invalid_grant",
            401 => "invalid_client",
            _ => "internal_failure",
        });
        return oauth_error(status, code);
    }
    let reason = code.unwrap_or(match status {
        400 => "badRequest",
        401 => "authError",
        403 => "insufficientPermissions",
        404 => "notFound",
        429 => "rateLimitExceeded",
        _ => "backendError",
    });
    json_reply(status, calendar_error(status, reason))
}

fn oauth_error(status: u16, code: &str) -> Response {
    let description = match (code, status) {
        ("invalid_grant", _) => "Token has been expired or revoked.",
        ("invalid_client", 401) => "The OAuth client was not found.",
        ("unauthorized_client", _) => "Unauthorized",
        ("unsupported_grant_type", _) => "Invalid grant_type.",
        ("invalid_request", _) => "Invalid request: send a form-encoded body.",
        _ => "Internal error.",
    };
    json_reply(
        status,
        json!({ "error": code, "error_description": description }),
    )
}

fn calendar_error(status: u16, reason: &str) -> Value {
    let (domain, message) = match reason {
        "authError" => ("global", "Invalid Credentials"),
        "insufficientPermissions" => ("global", "Insufficient Permission"),
        "rateLimitExceeded" => ("usageLimits", "Rate Limit Exceeded"),
        "userRateLimitExceeded" => ("usageLimits", "User Rate Limit Exceeded"),
        "calendarUsageLimitsExceeded" => ("usageLimits", "Calendar usage limits exceeded."),
        "notFound" => ("global", "Not Found"),
        "required" => ("global", "Missing timeMin parameter."),
        "backendError" => ("global", "Backend Error"),
        _ => ("global", "Bad Request"),
    };
    let mut entry = json!({ "domain": domain, "reason": reason, "message": message });
    let mut error = json!({ "errors": [], "code": status, "message": message });
    match reason {
        "authError" => {
            entry["locationType"] = json!("header");
            entry["location"] = json!("Authorization");
            error["status"] = json!("UNAUTHENTICATED");
        }
        "insufficientPermissions" => {
            error["status"] = json!("PERMISSION_DENIED");
            error["details"] = json!([{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                "domain": "googleapis.com",
            }]);
        }
        _ => {}
    }
    error["errors"] = json!([entry]);
    json!({ "error": error })
}

async fn handle(
    State(state): State<GoogleState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    if path == TOKEN_PATH {
        return token(&state, &method, &headers, &body);
    }
    let Some(calendar_path) = path.strip_prefix(CALENDAR_PREFIX) else {
        return google_error(path, 404, Some("notFound"));
    };
    if !access_token_valid(&state, &headers) {
        return json_reply(401, calendar_error(401, "authError"));
    }
    if lock(&state.data).insufficient_scope {
        return json_reply(403, calendar_error(403, "insufficientPermissions"));
    }
    match (method.as_str(), calendar_path) {
        ("GET", "/users/me/calendarList") => calendar_list(&state, &uri),
        ("POST", "/freeBusy") => free_busy(&state, &body),
        _ => json_reply(404, calendar_error(404, "notFound")),
    }
}

fn token(state: &GoogleState, method: &Method, headers: &HeaderMap, body: &[u8]) -> Response {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if method != Method::POST || !is_form {
        return oauth_error(400, "invalid_request");
    }
    let form = form_pairs(headers, body);
    if param(&form, "grant_type") != Some("refresh_token") {
        return oauth_error(400, "unsupported_grant_type");
    }
    let client_id = param(&form, "client_id").unwrap_or_default();
    let mut data = lock(&state.data);
    let Some(secret) = data.clients.get(client_id) else {
        return oauth_error(401, "invalid_client");
    };
    if param(&form, "client_secret") != Some(secret.as_str()) {
        return json_reply(
            401,
            json!({ "error": "invalid_client", "error_description": "Unauthorized" }),
        );
    }
    let refresh = param(&form, "refresh_token").unwrap_or_default();
    match data.refresh_tokens.get(refresh) {
        Some(entry) if entry.revoked => return oauth_error(400, "invalid_grant"),
        Some(entry) if entry.client_id != client_id => {
            return oauth_error(401, "unauthorized_client");
        }
        Some(_) => {}
        None => return oauth_error(400, "invalid_grant"),
    }
    data.issued += 1;
    let access_token = format!("{CANARY_GOOGLE_ACCESS_TOKEN}-{}", data.issued);
    let expires_in = data.expires_in;
    let expires_at = state.clock.now_ms() + expires_in.max(0) * 1000;
    data.access_tokens.insert(access_token.clone(), expires_at);
    let mut reply = json!({
        "access_token": access_token,
        "expires_in": expires_in,
        "scope": SCOPES,
        "token_type": "Bearer",
    });
    if data.rotate_refresh_token {
        reply["refresh_token"] = json!(CANARY_GOOGLE_REFRESH_TOKEN);
        let client = client_id.to_string();
        data.refresh_tokens.insert(
            CANARY_GOOGLE_REFRESH_TOKEN.to_string(),
            RefreshToken {
                client_id: client,
                revoked: false,
            },
        );
    }
    json_reply(200, reply)
}

fn access_token_valid(state: &GoogleState, headers: &HeaderMap) -> bool {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let now = state.clock.now_ms();
    lock(&state.data)
        .access_tokens
        .get(token)
        .is_some_and(|expires| *expires > now)
}

/// Paged by `pageToken`; `nextSyncToken` only on the last page.
fn calendar_list(state: &GoogleState, uri: &Uri) -> Response {
    let query = query_pairs(uri);
    let limit = param(&query, "maxResults")
        .and_then(|m| m.parse().ok())
        .unwrap_or(100usize)
        .clamp(1, 250);
    let Some(offset) = offset_from_key(param(&query, "pageToken"), "cl") else {
        return json_reply(400, calendar_error(400, "badRequest"));
    };
    let calendars = lock(&state.data).calendars.clone();
    let (items, next) = page_of(&calendars, offset, limit);
    let mut reply = json!({ "kind": "calendar#calendarList", "etag": "\"p33\"", "items": items });
    match next {
        Some(next) => reply["nextPageToken"] = json!(format!("cl:{next}")),
        None => reply["nextSyncToken"] = json!("CPDAlvWDx70CEPDAlvWDx70CGAU="),
    }
    json_reply(200, reply)
}

fn free_busy(state: &GoogleState, body: &[u8]) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return json_reply(400, calendar_error(400, "parseError"));
    };
    let (Some(time_min), Some(time_max)) =
        (request["timeMin"].as_str(), request["timeMax"].as_str())
    else {
        return json_reply(400, calendar_error(400, "required"));
    };
    let data = lock(&state.data);
    let primary_id = data
        .calendars
        .iter()
        .find(|c| c["primary"].as_bool() == Some(true))
        .and_then(|c| c["id"].as_str())
        .map(str::to_string);
    let mut calendars = serde_json::Map::new();
    for item in request["items"].as_array().into_iter().flatten() {
        let Some(asked) = item["id"].as_str() else {
            continue;
        };
        let id = if asked == "primary" {
            primary_id.clone().unwrap_or_default()
        } else {
            asked.to_string()
        };
        let known = data
            .calendars
            .iter()
            .any(|c| c["id"].as_str() == Some(id.as_str()));
        let error = data
            .calendar_errors
            .get(&id)
            .cloned()
            .or_else(|| (!known).then(|| "notFound".to_string()));
        let entry = match error {
            Some(reason) => {
                json!({ "errors": [{ "domain": "global", "reason": reason }], "busy": [] })
            }
            None => json!({ "busy": data.busy.get(&id).cloned().unwrap_or_default() }),
        };
        calendars.insert(asked.to_string(), entry);
    }
    json_reply(
        200,
        json!({ "kind": "calendar#freeBusy", "timeMin": time_min, "timeMax": time_max, "calendars": calendars }),
    )
}
