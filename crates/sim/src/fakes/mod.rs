//! Faithful fake providers: real HTTP servers on loopback, one per provider, each with
//! scriptable in-memory state and a fault queue (providers.md §5).
//!
//! ```text
//! let fake = RetellFake::start(RetellState::new("key_…")).await?;
//! fake.state().add_agent(FakeAgent::new("agent_1"));
//! fake.faults().inject(Route::get("/get-concurrency"), Fault::status(503), 1);
//! ```

pub mod clock;
pub mod elevenlabs;
pub mod faults;
pub mod google;
pub mod retell;
pub mod server;
pub mod twilio;

pub use clock::Clock;
pub use elevenlabs::{ElevenLabsFake, ElevenLabsState, KeyScope};
pub use faults::{Fault, Faults, RecordedRequest, Route};
pub use google::{GoogleFake, GoogleState};
pub use retell::{
    CallPlan, FakeAgent, FakeNumber, PastCall, PathMode, PlanOutcome, RetellFake, RetellState,
};
pub use server::FakeServer;
pub use twilio::{TwilioCallPlan, TwilioFake, TwilioOutcome, TwilioState};

/// The `auth_token` inside the Twilio account body. Must never leave the client.
pub const CANARY_TWILIO_AUTH_TOKEN: &str = "canary0twilio0auth0token0f3b9c1e";
/// The `xi_api_key` inside ElevenLabs `GET /v1/user`. Must never leave the client.
pub const CANARY_ELEVENLABS_XI_API_KEY: &str = "sk_canary0elevenlabs0key0d1e95b2";
/// Prefix of every access token the Google fake issues. Must never leave the client.
pub const CANARY_GOOGLE_ACCESS_TOKEN: &str = "ya29.canary0google0access0token";
/// A refresh token the Google fake returns when rotation is switched on.
pub const CANARY_GOOGLE_REFRESH_TOKEN: &str = "1//canary0google0rotated0refresh";

/// Every canary, for tests that search output for leaks.
pub const CANARIES: [&str; 4] = [
    CANARY_TWILIO_AUTH_TOKEN,
    CANARY_ELEVENLABS_XI_API_KEY,
    CANARY_GOOGLE_ACCESS_TOKEN,
    CANARY_GOOGLE_REFRESH_TOKEN,
];

use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// A JSON reply.
pub(crate) fn json_reply(status: u16, body: Value) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The query string as ordered pairs.
pub(crate) fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

/// A form body's pairs; empty unless the body is `application/x-www-form-urlencoded`.
pub(crate) fn form_pairs(headers: &HeaderMap, body: &[u8]) -> Vec<(String, String)> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Vec::new();
    }
    url::form_urlencoded::parse(body).into_owned().collect()
}

pub(crate) fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Path segments, percent-decoded (`%2B` → `+`; a literal `+` stays `+`).
pub(crate) fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect()
}

fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Offset-based page of `items` for an opaque `prefix:<offset>` key.
pub(crate) fn page_of<T: Clone>(
    items: &[T],
    offset: usize,
    limit: usize,
) -> (Vec<T>, Option<usize>) {
    let start = offset.min(items.len());
    let end = start.saturating_add(limit.max(1)).min(items.len());
    let next = (end < items.len()).then_some(end);
    (items[start..end].to_vec(), next)
}

/// Reads `prefix:<offset>` page keys.
pub(crate) fn offset_from_key(key: Option<&str>, prefix: &str) -> Option<usize> {
    match key {
        None => Some(0),
        Some(key) => key.strip_prefix(prefix)?.strip_prefix(':')?.parse().ok(),
    }
}

/// Once `items` holds more than `limit` (plus an eighth, so pruning runs once per many
/// additions), drops the finished items that ended longest ago until `limit` are left.
/// Items still going (`ended_at` is None) always stay, and a call that only just ended
/// stays however long ago it began, so whoever follows it still sees how it ended.
pub(crate) fn prune_finished<T>(
    items: &mut Vec<T>,
    limit: Option<usize>,
    ended_at: impl Fn(&T) -> Option<i64>,
) {
    let Some(limit) = limit else { return };
    if items.len() <= limit + limit / 8 {
        return;
    }
    let mut ends: Vec<i64> = items.iter().filter_map(&ended_at).collect();
    let drop = (items.len() - limit).min(ends.len());
    if drop == 0 {
        return;
    }
    let (_, cutoff, _) = ends.select_nth_unstable(drop - 1);
    let cutoff = *cutoff;
    let mut dropped = 0;
    items.retain(|item| match ended_at(item) {
        Some(end) if end <= cutoff && dropped < drop => {
            dropped += 1;
            false
        }
        _ => true,
    });
}

pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_decode_plus_forms() {
        assert_eq!(
            segments("/get-phone-number/%2B14155550123"),
            vec!["get-phone-number", "+14155550123"]
        );
        assert_eq!(
            segments("/get-phone-number/+1415"),
            vec!["get-phone-number", "+1415"]
        );
        assert_eq!(segments("/a/%zz"), vec!["a", "%zz"]);
    }

    #[test]
    fn pruning_drops_the_items_that_ended_longest_ago() {
        // (id, ended at); item 0 began first but ended last.
        let ends = [
            Some(90),
            None,
            Some(10),
            Some(20),
            None,
            Some(30),
            Some(40),
            Some(50),
        ];
        let mut items: Vec<(u32, Option<i64>)> = (0..8).map(|i| (i, ends[i as usize])).collect();
        prune_finished(&mut items, None, |i| i.1);
        assert_eq!(items.len(), 8, "no limit keeps everything");
        prune_finished(&mut items, Some(8), |i| i.1);
        assert_eq!(items.len(), 8, "at the limit nothing is pruned");
        prune_finished(&mut items, Some(4), |i| i.1);
        let kept: Vec<u32> = items.iter().map(|i| i.0).collect();
        assert_eq!(kept, vec![0, 1, 4, 7]);
        let mut live: Vec<(u32, Option<i64>)> = (0..20).map(|i| (i, None)).collect();
        prune_finished(&mut live, Some(5), |i| i.1);
        assert_eq!(live.len(), 20, "calls still in progress are never dropped");
    }

    #[test]
    fn pages() {
        let items = [1, 2, 3, 4, 5];
        assert_eq!(page_of(&items, 0, 2), (vec![1, 2], Some(2)));
        assert_eq!(page_of(&items, 4, 2), (vec![5], None));
        assert_eq!(page_of(&items, 9, 2), (vec![], None));
        assert_eq!(offset_from_key(Some("agents:4"), "agents"), Some(4));
        assert_eq!(offset_from_key(Some("junk"), "agents"), None);
    }
}
