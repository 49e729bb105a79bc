//! The shared HTTP layer: one reqwest client per provider with timeouts, no redirects,
//! retries only where a request says they are safe, a retry budget and a circuit breaker.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, HeaderValue};
use reqwest::{Method, redirect};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use crate::breaker::{Breaker, BreakerSettings, BreakerState, Outcome};
use crate::error::{ErrorKind, Provider, ProviderError};
use crate::error_body::error_from_reply;
use crate::retry::{RETRY_COST, RETRY_COST_TIMEOUT, RetryBudget, RetryPolicy, parse_retry_after};

/// Connect and total timeouts (providers.md §3 "Timeouts").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    /// Total time for a read (GET, read-only POST).
    pub read: Duration,
    /// Total time for a mutation or a token refresh.
    pub mutation: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            read: Duration::from_secs(15),
            mutation: Duration::from_secs(30),
        }
    }
}

/// Everything tunable about how a client talks HTTP. `Default` is the production profile;
/// tests shorten the timings.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpConfig {
    pub timeouts: Timeouts,
    /// Backoff for safe retries (reads, read-only POSTs, token refresh).
    pub retry: RetryPolicy,
    /// Backoff for Twilio 429 code 20429 (safe even on a POST).
    pub throttle_retry: RetryPolicy,
    pub breaker: BreakerSettings,
    /// Tokens in the per-provider retry budget.
    pub retry_budget: u32,
    /// A whole action, retries included, never waits past this.
    pub action_deadline: Duration,
    /// A `Retry-After` longer than this is shown, not obeyed.
    pub max_retry_after: Duration,
    /// The largest reply body read; a longer one is refused, not held in memory.
    pub max_reply_bytes: usize,
}

/// The default reply cap: Retell's page of 1,000 finished calls with their transcripts is
/// tens of MB at most; a reply past this is a fault, not data.
pub const MAX_REPLY_BYTES: usize = 128 * 1024 * 1024;

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            timeouts: Timeouts::default(),
            retry: RetryPolicy::STANDARD,
            throttle_retry: RetryPolicy::TWILIO_THROTTLE,
            breaker: BreakerSettings::default(),
            retry_budget: 500,
            action_deadline: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            max_reply_bytes: MAX_REPLY_BYTES,
        }
    }
}

/// Installs the ring TLS provider for rustls once per process (an already installed
/// provider is fine).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A validated base URL: `https://`, or `http://` for loopback hosts only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BaseUrl(String);

impl BaseUrl {
    /// `setting` names the configuration key for the error message, e.g. `[retell] base_url`.
    pub fn parse(provider: Provider, setting: &str, raw: &str) -> Result<Self, ProviderError> {
        let invalid = |why: &str| {
            ProviderError::new(
                provider,
                ErrorKind::Other,
                format!("{setting} is not usable: {why}"),
            )
        };
        let trimmed = raw.trim().trim_end_matches('/');
        let url = url::Url::parse(trimmed).map_err(|_| invalid("not a valid URL"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("credentials must not be part of the URL"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("remove the query string or fragment"));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(invalid(
                    "use https:// (http:// is allowed only for loopback hosts)",
                ));
            }
            _ => return Err(invalid("the scheme must be https://")),
        }
        Ok(BaseUrl(trimmed.to_string()))
    }

    /// Base (without trailing `/`) + path, as providers.md §0 says: a fake's prefix is kept.
    pub fn join(&self, path: &str) -> String {
        if path.is_empty() {
            self.0.clone()
        } else if path.starts_with('/') {
            format!("{}{path}", self.0)
        } else {
            format!("{}/{path}", self.0)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Percent-encodes one path segment (ids, E.164 numbers: `+` is kept as Retell expects).
pub(crate) fn segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~+@:".contains(&byte);
        if keep {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// When a failed request may be sent again (providers.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryRule {
    /// Never retried (creates, PATCH, stop; Twilio 20429 excepted).
    Never,
    /// GETs and read-only POSTs: 408/429/500/502/503/504, timeouts, connection errors.
    Reads,
    /// Google token refresh: 5xx, timeouts, connection errors only.
    ServerAndTransport,
}

/// Which total timeout applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Read,
    Mutation,
}

#[derive(Debug, Clone)]
pub(crate) enum Target {
    Path(String),
    Absolute(String),
}

#[derive(Debug, Clone)]
pub(crate) enum Body {
    Empty,
    Json(serde_json::Value),
    Form(Vec<(String, String)>),
}

#[derive(Clone, Copy)]
pub(crate) enum Auth<'a> {
    None,
    Bearer(&'a SecretString),
    Basic(&'a str, &'a SecretString),
    /// A custom header holding a key (ElevenLabs `xi-api-key`), marked sensitive.
    KeyHeader(&'static str, &'a SecretString),
}

/// One logical request; retries send it again unchanged.
pub(crate) struct Request<'a> {
    method: Method,
    target: Target,
    query: Vec<(String, String)>,
    body: Body,
    auth: Auth<'a>,
    retry: RetryRule,
    weight: Weight,
    bypass_breaker: bool,
}

impl<'a> Request<'a> {
    fn new(method: Method, path: impl Into<String>, retry: RetryRule, weight: Weight) -> Self {
        Request {
            method,
            target: Target::Path(path.into()),
            query: Vec::new(),
            body: Body::Empty,
            auth: Auth::None,
            retry,
            weight,
            bypass_breaker: false,
        }
    }

    /// A GET: retried where safe, read timeout.
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path, RetryRule::Reads, Weight::Read)
    }

    /// A read-only POST (list endpoints, freeBusy): retried like a GET.
    pub fn read_post(path: impl Into<String>) -> Self {
        Self::new(Method::POST, path, RetryRule::Reads, Weight::Read)
    }

    /// A mutation: never retried automatically, mutation timeout.
    pub fn mutation(method: Method, path: impl Into<String>) -> Self {
        Self::new(method, path, RetryRule::Never, Weight::Mutation)
    }

    pub fn absolute(mut self, url: String) -> Self {
        self.target = Target::Absolute(url);
        self
    }

    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_string(), value.to_string()));
        self
    }

    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.body = Body::Json(body);
        self
    }

    pub fn form(mut self, pairs: Vec<(String, String)>) -> Self {
        self.body = Body::Form(pairs);
        self
    }

    pub fn auth(mut self, auth: Auth<'a>) -> Self {
        self.auth = auth;
        self
    }

    pub fn retry(mut self, rule: RetryRule) -> Self {
        self.retry = rule;
        self
    }

    /// Sent even while the breaker is open (stop and hang-up must always go out).
    pub fn bypass_breaker(mut self) -> Self {
        self.bypass_breaker = true;
        self
    }
}

/// A 2xx reply.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Shared per-provider machinery: client, base URL, budget, breaker.
#[derive(Debug)]
pub(crate) struct HttpLayer {
    provider: Provider,
    base: BaseUrl,
    client: reqwest::Client,
    config: HttpConfig,
    budget: Arc<RetryBudget>,
    breaker: Breaker,
}

impl HttpLayer {
    pub fn new(
        provider: Provider,
        base: BaseUrl,
        config: &HttpConfig,
        budget: Arc<RetryBudget>,
    ) -> Result<Self, ProviderError> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(config.timeouts.connect)
            .redirect(redirect::Policy::none())
            .user_agent(concat!("launchdeck/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                ProviderError::new(
                    provider,
                    ErrorKind::Other,
                    format!(
                        "could not build the HTTP client: {}",
                        root_cause(&e.without_url())
                    ),
                )
            })?;
        Ok(HttpLayer {
            provider,
            base,
            client,
            config: config.clone(),
            budget,
            breaker: Breaker::new(config.breaker),
        })
    }

    pub fn base(&self) -> &BaseUrl {
        &self.base
    }

    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    /// Sends a request, retrying as its rule allows; `Ok` only for a 2xx reply.
    pub async fn send(&self, request: &Request<'_>) -> Result<Reply, ProviderError> {
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            let err = match self.attempt(request, started).await {
                Ok(reply) => return Ok(reply),
                Err(err) => err,
            };
            let Some(wait) = self.retry_wait(request, &err, attempt, started) else {
                return Err(err);
            };
            tracing::debug!(provider = %self.provider, attempt, ?wait, error = %err, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// Sends and decodes a JSON reply; `what` names the payload in a decode error.
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        request: &Request<'_>,
        what: &str,
    ) -> Result<T, ProviderError> {
        let reply = self.send(request).await?;
        decode_json(self.provider, &reply.body, what)
    }

    async fn attempt(
        &self,
        request: &Request<'_>,
        started: Instant,
    ) -> Result<Reply, ProviderError> {
        if !request.bypass_breaker
            && let Err(wait) = self.breaker.try_acquire()
        {
            return Err(ProviderError::new(
                self.provider,
                ErrorKind::BreakerOpen,
                format!(
                    "{} failed repeatedly; next try in {} s",
                    self.provider,
                    wait.as_secs_f64().ceil() as u64
                ),
            ));
        }
        let result = self.exchange(request, started).await;
        match &result {
            Ok(_) => {
                self.breaker.record(Outcome::Answered);
                self.budget.refill_one();
            }
            Err(err) if err.is_provider_failure() => self.breaker.record(Outcome::Failed),
            Err(err) if err.status().is_some() => self.breaker.record(Outcome::Answered),
            Err(_) => {}
        }
        result
    }

    async fn exchange(
        &self,
        request: &Request<'_>,
        started: Instant,
    ) -> Result<Reply, ProviderError> {
        let url = match &request.target {
            Target::Path(path) => self.base.join(path),
            Target::Absolute(url) => url.clone(),
        };
        let per_attempt = match request.weight {
            Weight::Read => self.config.timeouts.read,
            Weight::Mutation => self.config.timeouts.mutation,
        };
        // A retry never runs past the whole action's deadline.
        let left = self
            .config
            .action_deadline
            .saturating_sub(started.elapsed());
        let timeout = per_attempt.min(left.max(Duration::from_millis(1)));
        let mut builder = self
            .client
            .request(request.method.clone(), url)
            .timeout(timeout)
            .header(ACCEPT, "application/json");
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        builder = match &request.body {
            Body::Empty => builder,
            Body::Json(value) => builder.json(value),
            Body::Form(pairs) => builder.form(pairs),
        };
        builder = self.apply_auth(builder, request.auth)?;
        let response = builder.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status().as_u16();
        let retry_after = parse_retry_after(response.headers());
        let body = self.read_capped(response).await?;
        if (200..300).contains(&status) {
            Ok(Reply { status, body })
        } else if (300..400).contains(&status) {
            Err(ProviderError::new(
                self.provider,
                ErrorKind::Other,
                "unexpected redirect; redirects are not followed (check the base URL)",
            )
            .with_status(status))
        } else {
            Err(error_from_reply(self.provider, status, retry_after, &body)
                .with_retry_hint(retry_after))
        }
    }

    fn apply_auth(
        &self,
        builder: reqwest::RequestBuilder,
        auth: Auth<'_>,
    ) -> Result<reqwest::RequestBuilder, ProviderError> {
        Ok(match auth {
            Auth::None => builder,
            Auth::Bearer(token) => builder.bearer_auth(token.expose_secret()),
            Auth::Basic(user, password) => builder.basic_auth(user, Some(password.expose_secret())),
            Auth::KeyHeader(name, key) => {
                let mut value = HeaderValue::from_str(key.expose_secret()).map_err(|_| {
                    ProviderError::new(
                        self.provider,
                        ErrorKind::Other,
                        "the API key contains characters not allowed in an HTTP header; copy it again",
                    )
                })?;
                value.set_sensitive(true);
                builder.header(name, value)
            }
        })
    }

    /// The reply's body, refused (and not retried) once it passes `max_reply_bytes`:
    /// by its declared length before reading, or as it streams in.
    async fn read_capped(&self, mut response: reqwest::Response) -> Result<Vec<u8>, ProviderError> {
        let cap = self.config.max_reply_bytes;
        let too_large = || {
            ProviderError::new(
                self.provider,
                ErrorKind::Decode,
                format!(
                    "the reply is larger than {} MB and was refused (a proxy or the provider \
                     sent far more than any answer holds)",
                    cap.div_ceil(1024 * 1024)
                ),
            )
        };
        if response.content_length().is_some_and(|n| n > cap as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(e))?
        {
            if body.len() + chunk.len() > cap {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport_error(&self, err: reqwest::Error) -> ProviderError {
        let err = err.without_url();
        let kind = if err.is_connect() {
            ErrorKind::Connect
        } else if err.is_timeout() {
            ErrorKind::Timeout
        } else if err.is_builder() || err.is_redirect() {
            ErrorKind::Other
        } else {
            ErrorKind::Disconnected
        };
        ProviderError::new(self.provider, kind, root_cause(&err))
    }

    /// How long to wait before retrying `err`, or `None` when it must not be retried.
    fn retry_wait(
        &self,
        request: &Request<'_>,
        err: &ProviderError,
        attempt: u32,
        started: Instant,
    ) -> Option<Duration> {
        let policy = self.retry_policy_for(request.retry, err)?;
        if attempt >= policy.max_retries {
            return None;
        }
        let wait = match err.retry_hint() {
            Some(hint) if hint > self.config.max_retry_after => return None,
            Some(hint) => hint,
            None => policy.backoff(attempt),
        };
        if started.elapsed() + wait >= self.config.action_deadline {
            return None;
        }
        let cost = match err.kind() {
            ErrorKind::Timeout | ErrorKind::RateLimited { .. } => RETRY_COST_TIMEOUT,
            _ => RETRY_COST,
        };
        self.budget.try_spend(cost).then_some(wait)
    }

    fn retry_policy_for(&self, rule: RetryRule, err: &ProviderError) -> Option<RetryPolicy> {
        let twilio_throttle = self.provider == Provider::Twilio
            && err.status() == Some(429)
            && err.code() == Some("20429");
        if twilio_throttle {
            return Some(self.config.throttle_retry);
        }
        let retryable = match rule {
            RetryRule::Never => false,
            RetryRule::Reads => is_retryable_read(err),
            RetryRule::ServerAndTransport => {
                err.oauth_failure().is_none() && err.is_provider_failure()
                    || err.status() == Some(408)
            }
        };
        retryable.then_some(self.config.retry)
    }
}

fn is_retryable_read(err: &ProviderError) -> bool {
    match err.status() {
        Some(status) => {
            matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
                || matches!(err.kind(), ErrorKind::RateLimited { .. })
        }
        None => matches!(
            err.kind(),
            ErrorKind::Timeout | ErrorKind::Connect | ErrorKind::Disconnected
        ),
    }
}

/// Decodes a JSON body. The error names the position and category, never the body's
/// content (a body can hold credentials).
pub(crate) fn decode_json<T: DeserializeOwned>(
    provider: Provider,
    body: &[u8],
    what: &str,
) -> Result<T, ProviderError> {
    serde_json::from_slice(body).map_err(|err| decode_error(provider, what, &err))
}

pub(crate) fn decode_error(
    provider: Provider,
    what: &str,
    err: &serde_json::Error,
) -> ProviderError {
    use serde_json::error::Category;
    let text = err.to_string();
    let problem = match err.classify() {
        Category::Syntax => "malformed JSON".to_string(),
        Category::Eof => "JSON cut short".to_string(),
        Category::Io => "read error".to_string(),
        Category::Data if text.starts_with("missing field") => text
            .split(" at line")
            .next()
            .unwrap_or("missing field")
            .to_string(),
        Category::Data => "unexpected JSON shape".to_string(),
    };
    ProviderError::new(
        provider,
        ErrorKind::Decode,
        format!(
            "{what}: {problem} at line {}, column {}",
            err.line(),
            err.column()
        ),
    )
}

/// The innermost cause's text (e.g. "Connection refused (os error 111)").
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        let parse = |raw| BaseUrl::parse(Provider::Retell, "[retell] base_url", raw);
        assert_eq!(
            parse("https://api.retellai.com/")
                .expect("https")
                .join("/get-concurrency"),
            "https://api.retellai.com/get-concurrency"
        );
        assert_eq!(
            parse("http://127.0.0.1:8700/retell")
                .expect("loopback")
                .join("/v2/list-agents"),
            "http://127.0.0.1:8700/retell/v2/list-agents"
        );
        assert!(parse("http://localhost:1/").is_ok());
        assert!(parse("http://[::1]:9/").is_ok());
        let err = parse("http://api.retellai.com").expect_err("http to a remote host");
        assert!(err.to_string().contains("[retell] base_url"), "{err}");
        assert!(parse("https://user:pw@example.com").is_err());
        assert!(parse("ftp://example.com").is_err());
        assert!(parse("not a url").is_err());
    }

    #[test]
    fn path_segments_keep_plus() {
        assert_eq!(segment("+14155550123"), "+14155550123");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn decode_errors_never_echo_values() {
        #[derive(serde::Deserialize, Debug)]
        struct Shape {
            #[allow(dead_code)]
            n: i64,
        }
        let err = decode_json::<Shape>(Provider::Retell, br#"{"n":"sk_live_secret"}"#, "thing")
            .expect_err("wrong type");
        assert!(!err.to_string().contains("sk_live_secret"), "{err}");
        let err = decode_json::<Shape>(Provider::Retell, b"{}", "thing").expect_err("missing");
        assert!(err.message().contains("missing field `n`"), "{err}");
    }
}
