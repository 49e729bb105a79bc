//! Fake ElevenLabs: `xi-api-key` auth only, `/v1/user/subscription`, and `/v1/user`
//! whose body carries a canary `xi_api_key` (providers.md §1.3, §5).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::faults::{FaultContext, Faults, fault_middleware};
use super::server::FakeServer;
use super::{CANARY_ELEVENLABS_XI_API_KEY, json_reply, lock};

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyScope {
    /// Every permission.
    Full,
    /// A scoped key without `user_read`: 401 `missing_permissions` on user endpoints.
    WithoutUserRead,
}

#[derive(Debug)]
struct ElevenLabsData {
    keys: HashMap<String, KeyScope>,
    subscription: Value,
}

/// Shared, scriptable state of the ElevenLabs fake.
#[derive(Debug, Clone)]
pub struct ElevenLabsState {
    data: Arc<Mutex<ElevenLabsData>>,
}

impl ElevenLabsState {
    /// One full key; an active creator subscription with plenty left.
    pub fn new(api_key: &str) -> ElevenLabsState {
        ElevenLabsState {
            data: Arc::new(Mutex::new(ElevenLabsData {
                keys: HashMap::from([(api_key.to_string(), KeyScope::Full)]),
                subscription: json!({
                    "tier": "creator",
                    "character_count": 41250,
                    "character_limit": 100000,
                    "can_extend_character_limit": true,
                    "allowed_to_extend_character_limit": false,
                    "next_character_count_reset_unix": 1769904000,
                    "voice_limit": 30,
                    "professional_voice_limit": 1,
                    "can_use_instant_voice_cloning": true,
                    "status": "active",
                    "currency": "usd",
                    "billing_period": "monthly_period",
                }),
            })),
        }
    }

    pub fn add_key(&self, api_key: &str, scope: KeyScope) {
        lock(&self.data).keys.insert(api_key.to_string(), scope);
    }

    /// Sets any subscription field (e.g. `status` = `past_due`, reset = null).
    pub fn set_subscription_field(&self, key: &str, value: Value) {
        lock(&self.data).subscription[key] = value;
    }

    /// 97% of the characters used.
    pub fn near_limit(&self) {
        self.set_subscription_field("character_count", json!(97_000));
        self.set_subscription_field("character_limit", json!(100_000));
    }

    /// `next_character_count_reset_unix: null`.
    pub fn null_reset(&self) {
        self.set_subscription_field("next_character_count_reset_unix", Value::Null);
    }

    /// `status` = `past_due`, `free_disabled`, `trialing`, ….
    pub fn set_status(&self, status: &str) {
        self.set_subscription_field("status", json!(status));
    }
}

/// A running ElevenLabs fake.
#[derive(Debug)]
pub struct ElevenLabsFake {
    server: FakeServer,
    state: ElevenLabsState,
    faults: Faults,
}

impl ElevenLabsFake {
    pub async fn start(state: ElevenLabsState) -> std::io::Result<ElevenLabsFake> {
        let faults = Faults::default();
        let context = FaultContext {
            faults: faults.clone(),
            error_reply: |_, status, code| elevenlabs_error(status, code),
        };
        let router = Router::new()
            .fallback(handle)
            .with_state(state.clone())
            .layer(axum::middleware::from_fn_with_state(
                context,
                fault_middleware,
            ));
        let server = FakeServer::start(router).await?;
        Ok(ElevenLabsFake {
            server,
            state,
            faults,
        })
    }

    /// `[elevenlabs] base_url`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    pub fn state(&self) -> &ElevenLabsState {
        &self.state
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }
}

/// ElevenLabs' error bodies: `{"detail":{"status","message"}}`, or a 422 `detail` list.
pub fn elevenlabs_error(status: u16, code: Option<&str>) -> Response {
    if status == 422 {
        return json_reply(
            422,
            json!({ "detail": [{ "loc": ["body", "text"], "msg": "field required", "type": "value_error.missing" }] }),
        );
    }
    let code = code.unwrap_or(match status {
        401 => "invalid_api_key",
        429 => "too_many_concurrent_requests",
        400 => "quota_exceeded",
        404 => "not_found",
        _ => "internal_error",
    });
    let message = match code {
        "invalid_api_key" => "Invalid API key",
        "missing_permissions" => {
            "The API key you used is missing the permission user_read to execute this operation."
        }
        "too_many_concurrent_requests" => {
            "Too many concurrent requests. Your plan allows 5 concurrent requests."
        }
        "system_busy" => {
            "Our services are experiencing high traffic. If you retry the request, it will succeed."
        }
        "quota_exceeded" => "This request exceeds your quota.",
        "not_found" => "Not found",
        _ => "An internal error occurred.",
    };
    json_reply(
        status,
        json!({ "detail": { "status": code, "message": message } }),
    )
}

async fn handle(
    State(state): State<ElevenLabsState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let scope = headers
        .get("xi-api-key")
        .and_then(|v| v.to_str().ok())
        .and_then(|key| lock(&state.data).keys.get(key).copied());
    let Some(scope) = scope else {
        return elevenlabs_error(401, Some("invalid_api_key"));
    };
    let user_endpoint = matches!(uri.path(), "/v1/user" | "/v1/user/subscription");
    if user_endpoint && scope == KeyScope::WithoutUserRead {
        return elevenlabs_error(401, Some("missing_permissions"));
    }
    let subscription = lock(&state.data).subscription.clone();
    match (method.as_str(), uri.path()) {
        ("GET", "/v1/user/subscription") => json_reply(200, subscription),
        ("GET", "/v1/user") => json_reply(
            200,
            json!({
                "user_id": "user_fake_0001",
                "subscription": subscription,
                "is_new_user": false,
                "xi_api_key": CANARY_ELEVENLABS_XI_API_KEY,
                "xi_api_key_preview": "sk_c...95b2",
                "can_use_delayed_payment_methods": false,
                "first_name": "Fake",
            }),
        ),
        _ => elevenlabs_error(404, Some("not_found")),
    }
}
