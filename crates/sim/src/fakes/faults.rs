//! Scripted faults and the request log shared by every fake.
//!
//! Tests queue a [`Fault`] for the next N requests matching a [`Route`]; the fault
//! middleware applies it and records every request so tests can count retries.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::server::ConnectionKill;

/// Largest request body a fake reads.
const MAX_BODY: usize = 1 << 20;

/// One way a request can go wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// The provider's own error reply for `status`; `code` picks a documented variant
    /// (Twilio code, ElevenLabs `detail.status`, Google reason or OAuth error);
    /// `retry_after` adds a `Retry-After` header with that exact text.
    Error {
        status: u16,
        code: Option<String>,
        retry_after: Option<String>,
    },
    /// A non-JSON HTML page, as a proxy in front of the provider sends.
    HtmlPage { status: u16 },
    /// Wait, then handle normally (longer than the client timeout → a timeout).
    Delay(Duration),
    /// Close the connection before handling or replying.
    DropBeforeReply,
    /// Handle the request (its effects happen), then close without replying.
    LostReply,
    /// Handle normally but cut the body half-way and close the connection.
    CutBody,
    /// Handle normally but reply with malformed JSON (same status).
    MalformedJson,
    /// Handle normally, adding unknown fields to every JSON object of the reply.
    ExtraFields,
    /// Reply 200 with `bytes` of JSON whitespace, streamed; `declared` sends its length.
    HugeBody { bytes: usize, declared: bool },
}

impl Fault {
    /// The provider's documented error body for `status`.
    pub fn status(status: u16) -> Fault {
        Fault::Error {
            status,
            code: None,
            retry_after: None,
        }
    }

    /// A documented error with a specific code (e.g. Twilio `20429`, `system_busy`,
    /// `invalid_grant`, `rateLimitExceeded`).
    pub fn code(status: u16, code: &str) -> Fault {
        Fault::Error {
            status,
            code: Some(code.to_string()),
            retry_after: None,
        }
    }

    /// A 429 with an optional `Retry-After` header value (e.g. `"1"`, `"120"`).
    pub fn rate_limited(retry_after: Option<&str>) -> Fault {
        Fault::Error {
            status: 429,
            code: None,
            retry_after: retry_after.map(str::to_string),
        }
    }
}

/// Which requests a fault applies to: a method (or any) and a path prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    method: Option<Method>,
    path_prefix: String,
}

impl Route {
    pub fn any(path_prefix: &str) -> Route {
        Route {
            method: None,
            path_prefix: path_prefix.to_string(),
        }
    }

    pub fn get(path_prefix: &str) -> Route {
        Route::with(Method::GET, path_prefix)
    }

    pub fn post(path_prefix: &str) -> Route {
        Route::with(Method::POST, path_prefix)
    }

    pub fn patch(path_prefix: &str) -> Route {
        Route::with(Method::PATCH, path_prefix)
    }

    /// Every request.
    pub fn all() -> Route {
        Route::any("/")
    }

    fn with(method: Method, path_prefix: &str) -> Route {
        Route {
            method: Some(method),
            path_prefix: path_prefix.to_string(),
        }
    }

    pub fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self
            .method
            .as_ref()
            .is_none_or(|m| m.as_str().eq_ignore_ascii_case(method));
        method_ok && path.starts_with(&self.path_prefix)
    }
}

/// A request as the fake saw it (path still percent-encoded).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
    /// When the fake began to read it (for pacing assertions).
    pub at: std::time::Instant,
}

#[derive(Debug)]
struct Rule {
    route: Route,
    fault: Fault,
    remaining: Option<usize>,
}

#[derive(Debug, Default)]
struct Inner {
    rules: Vec<Rule>,
    log: Vec<RecordedRequest>,
}

/// The fault queue and request log of one fake. Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<Inner>>,
}

impl Faults {
    /// Applies `fault` to the next `times` requests matching `route`.
    pub fn inject(&self, route: Route, fault: Fault, times: usize) {
        self.lock().rules.push(Rule {
            route,
            fault,
            remaining: Some(times),
        });
    }

    /// Applies `fault` to every request matching `route` until [`Faults::clear`].
    pub fn inject_always(&self, route: Route, fault: Fault) {
        self.lock().rules.push(Rule {
            route,
            fault,
            remaining: None,
        });
    }

    /// Removes every queued fault.
    pub fn clear(&self) {
        self.lock().rules.clear();
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().log.clone()
    }

    /// Requests received so far that match `route`.
    pub fn count(&self, route: &Route) -> usize {
        self.lock()
            .log
            .iter()
            .filter(|r| route.matches(&r.method, &r.path))
            .count()
    }

    /// Forgets the request log.
    pub fn reset_log(&self) {
        self.lock().log.clear();
    }

    fn record_and_take(&self, request: RecordedRequest) -> Option<Fault> {
        let mut inner = self.lock();
        let fault = inner
            .rules
            .iter_mut()
            .find(|rule| {
                rule.remaining != Some(0) && rule.route.matches(&request.method, &request.path)
            })
            .map(|rule| {
                if let Some(left) = rule.remaining.as_mut() {
                    *left -= 1;
                }
                rule.fault.clone()
            });
        inner.rules.retain(|rule| rule.remaining != Some(0));
        inner.log.push(request);
        fault
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Builds a provider's documented error reply: `(path, status, code)`.
pub type ErrorReply = fn(&str, u16, Option<&str>) -> Response;

/// State of the fault middleware.
#[derive(Clone)]
pub struct FaultContext {
    pub faults: Faults,
    pub error_reply: ErrorReply,
}

/// Records the request, then applies the first matching fault, if any.
pub async fn fault_middleware(
    State(ctx): State<FaultContext>,
    request: Request,
    next: Next,
) -> Response {
    let at = std::time::Instant::now();
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_BODY).await.unwrap_or_default();
    let path = parts.uri.path().to_string();
    let recorded = RecordedRequest {
        method: parts.method.as_str().to_string(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_string),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: String::from_utf8_lossy(&bytes).into_owned(),
        at,
    };
    let fault = ctx.faults.record_and_take(recorded);
    let kill = parts.extensions.get::<ConnectionKill>().cloned();
    let request = Request::from_parts(parts, Body::from(bytes));
    let Some(fault) = fault else {
        return next.run(request).await;
    };
    match fault {
        Fault::Error {
            status,
            code,
            retry_after,
        } => {
            let mut response = (ctx.error_reply)(&path, status, code.as_deref());
            if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Fault::HtmlPage { status } => html_page(status),
        Fault::Delay(wait) => {
            tokio::time::sleep(wait).await;
            next.run(request).await
        }
        Fault::DropBeforeReply => drop_connection(kill).await,
        Fault::LostReply => {
            let _ = next.run(request).await;
            drop_connection(kill).await
        }
        Fault::CutBody => cut_body(next.run(request).await).await,
        Fault::MalformedJson => malformed(next.run(request).await),
        Fault::ExtraFields => with_extra_fields(next.run(request).await).await,
        Fault::HugeBody { bytes, declared } => huge_body(bytes, declared),
    }
}

fn huge_body(bytes: usize, declared: bool) -> Response {
    const CHUNK: usize = 64 * 1024;
    let chunks = (0..bytes.div_ceil(CHUNK)).map(move |i| {
        let len = CHUNK.min(bytes - i * CHUNK);
        Ok::<Bytes, std::io::Error>(Bytes::from(vec![b' '; len]))
    });
    let mut response = Response::new(Body::from_stream(futures::stream::iter(chunks)));
    if declared {
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes));
    }
    response
}

async fn drop_connection(kill: Option<ConnectionKill>) -> Response {
    match kill {
        Some(kill) => {
            kill.kill();
            std::future::pending::<Response>().await
        }
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "fake could not drop the connection",
        )
            .into_response(),
    }
}

fn html_page(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let page = format!(
        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
        reason = code.canonical_reason().unwrap_or("Error")
    );
    (code, [(header::CONTENT_TYPE, "text/html")], page).into_response()
}

async fn cut_body(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let half = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
    parts.headers.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(bytes.len().max(2)),
    );
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(half),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fake cut the body",
        )),
    ];
    Response::from_parts(parts, Body::from_stream(futures::stream::iter(chunks)))
}

fn malformed(response: Response) -> Response {
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(r#"{"items": [{"id": "x", "status": tru"#))
}

async fn with_extra_fields(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let Ok(mut json) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    add_unknown_fields(&mut json);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(json.to_string()))
}

fn add_unknown_fields(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for child in map.values_mut() {
                add_unknown_fields(child);
            }
            map.insert(
                "x_added_later".to_string(),
                serde_json::json!({ "nested": [1, "two", null], "flag": true }),
            );
            map.insert(
                "x_new_enum".to_string(),
                Value::String("brand_new_value".into()),
            );
        }
        Value::Array(items) => items.iter_mut().for_each(add_unknown_fields),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, path: &str) -> RecordedRequest {
        RecordedRequest {
            method: method.into(),
            path: path.into(),
            query: None,
            content_type: None,
            body: String::new(),
            at: std::time::Instant::now(),
        }
    }

    #[test]
    fn faults_apply_n_times_to_matching_routes() {
        let faults = Faults::default();
        faults.inject(Route::get("/v2/get-call/"), Fault::status(500), 2);
        assert_eq!(faults.record_and_take(req("POST", "/v2/get-call/x")), None);
        assert_eq!(
            faults.record_and_take(req("GET", "/v2/get-call/x")),
            Some(Fault::status(500))
        );
        assert_eq!(
            faults.record_and_take(req("GET", "/v2/get-call/y")),
            Some(Fault::status(500))
        );
        assert_eq!(faults.record_and_take(req("GET", "/v2/get-call/z")), None);
        assert_eq!(faults.count(&Route::get("/v2/get-call/")), 3);
        assert_eq!(faults.count(&Route::all()), 4);
    }
}
