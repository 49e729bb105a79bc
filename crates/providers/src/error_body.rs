//! Turning a provider's non-2xx reply into a [`ProviderError`]: the provider's own
//! documented error body gives the code and message; nothing else of the body is kept.

use std::time::Duration;

use serde_json::Value;

use crate::error::{ErrorKind, Provider, ProviderError};

/// The parts of an error body launchdeck keeps.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ErrorDetails {
    pub code: Option<String>,
    pub message: Option<String>,
}

/// Google Calendar reasons that mean "back off", even when sent with a 403.
const GOOGLE_RATE_REASONS: [&str; 4] = [
    "rateLimitExceeded",
    "userRateLimitExceeded",
    "calendarUsageLimitsExceeded",
    "quotaExceeded",
];

/// Builds the error for a non-2xx reply.
pub(crate) fn error_from_reply(
    provider: Provider,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> ProviderError {
    let details = parse_error_body(provider, body);
    let kind = kind_for(provider, status, &details, retry_after);
    let message = details
        .message
        .clone()
        .unwrap_or_else(|| "no error message in the reply".to_string());
    ProviderError::new(provider, kind, message)
        .with_status(status)
        .with_code(details.code)
}

fn kind_for(
    provider: Provider,
    status: u16,
    details: &ErrorDetails,
    retry_after: Option<Duration>,
) -> ErrorKind {
    let code = details.code.as_deref().unwrap_or("");
    let message = details.message.as_deref().unwrap_or("");
    let rate_limited = status == 429
        || (provider == Provider::Google && status == 403 && GOOGLE_RATE_REASONS.contains(&code))
        || (provider == Provider::Retell
            && (400..500).contains(&status)
            && status != 401
            && status != 402
            && message.to_ascii_lowercase().contains("concurrency"));
    if rate_limited {
        return ErrorKind::RateLimited { retry_after };
    }
    match status {
        401 => ErrorKind::Unauthorized,
        403 => ErrorKind::Forbidden,
        404 => ErrorKind::NotFound,
        408 => ErrorKind::Timeout,
        422 => ErrorKind::Unprocessable,
        400..=499 => ErrorKind::BadRequest { status },
        500..=599 => ErrorKind::Server { status },
        _ => ErrorKind::Other,
    }
}

/// Reads the provider's documented error body. A non-JSON body (a proxy's 502 page)
/// gives at most 200 sanitised characters of its text.
pub(crate) fn parse_error_body(provider: Provider, body: &[u8]) -> ErrorDetails {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return ErrorDetails {
            code: None,
            message: non_json_excerpt(body),
        };
    };
    match provider {
        Provider::Retell => retell_details(&json),
        Provider::Twilio => twilio_details(&json),
        Provider::ElevenLabs => elevenlabs_details(&json),
        Provider::Google => google_details(&json),
    }
}

fn non_json_excerpt(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return None;
    }
    let cut: String = collapsed.chars().take(200).collect();
    Some(format!("non-JSON reply: {cut}"))
}

fn str_field(json: &Value, key: &str) -> Option<String> {
    json.get(key)?.as_str().map(str::to_string)
}

/// `{"status":"error","message":"…"}`
fn retell_details(json: &Value) -> ErrorDetails {
    ErrorDetails {
        code: None,
        message: str_field(json, "message"),
    }
}

/// `{"code":20003,"message":"Authenticate","detail":"…","more_info":"…","status":401}`
fn twilio_details(json: &Value) -> ErrorDetails {
    let code = json.get("code").and_then(|c| match c {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    });
    let message = match (str_field(json, "message"), str_field(json, "detail")) {
        (Some(message), Some(detail)) => Some(format!("{message}: {detail}")),
        (message, detail) => message.or(detail),
    };
    ErrorDetails { code, message }
}

/// `{"detail":{"status":"…","message":"…"}}`, or a 422 `{"detail":[{"loc","msg","type"}]}`.
fn elevenlabs_details(json: &Value) -> ErrorDetails {
    match json.get("detail") {
        Some(Value::Object(_)) => {
            let detail = &json["detail"];
            ErrorDetails {
                code: str_field(detail, "status"),
                message: str_field(detail, "message"),
            }
        }
        Some(Value::Array(items)) => ErrorDetails {
            code: None,
            message: Some(validation_summary(items)),
        },
        Some(Value::String(text)) => ErrorDetails {
            code: None,
            message: Some(text.clone()),
        },
        _ => ErrorDetails::default(),
    }
}

fn validation_summary(items: &[Value]) -> String {
    let parts: Vec<String> = items
        .iter()
        .take(3)
        .map(|item| {
            let location = item
                .get("loc")
                .and_then(Value::as_array)
                .map(|loc| {
                    loc.iter()
                        .map(|part| match part {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join(".")
                })
                .unwrap_or_default();
            let msg = str_field(item, "msg").unwrap_or_default();
            format!("{location}: {msg}")
        })
        .collect();
    format!("validation failed: {}", parts.join("; "))
}

/// Token endpoint `{"error":"invalid_grant","error_description":"…"}` or Calendar
/// `{"error":{"errors":[{"reason","message"}],"code":401,"message":"…"}}`.
fn google_details(json: &Value) -> ErrorDetails {
    match json.get("error") {
        Some(Value::String(code)) => ErrorDetails {
            code: Some(code.clone()),
            message: str_field(json, "error_description").or_else(|| Some(code.clone())),
        },
        Some(error @ Value::Object(_)) => {
            let reason = error
                .get("errors")
                .and_then(Value::as_array)
                .and_then(|errors| errors.first())
                .and_then(|first| str_field(first, "reason"));
            ErrorDetails {
                code: reason.or_else(|| str_field(error, "status")),
                message: str_field(error, "message"),
            }
        }
        _ => ErrorDetails::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilio_code_and_message() {
        let body = br#"{"code":20003,"detail":"Your AccountSid or AuthToken was incorrect.","message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}"#;
        let err = error_from_reply(Provider::Twilio, 401, None, body);
        assert_eq!(err.kind(), &ErrorKind::Unauthorized);
        assert_eq!(err.code(), Some("20003"));
        assert_eq!(
            err.message(),
            "Authenticate: Your AccountSid or AuthToken was incorrect."
        );
    }

    #[test]
    fn google_calendar_rate_reason_on_403_is_a_rate_limit() {
        let body = br#"{"error":{"errors":[{"domain":"usageLimits","reason":"rateLimitExceeded","message":"Rate Limit Exceeded"}],"code":403,"message":"Rate Limit Exceeded"}}"#;
        let err = error_from_reply(Provider::Google, 403, None, body);
        assert_eq!(err.kind(), &ErrorKind::RateLimited { retry_after: None });
        assert_eq!(err.code(), Some("rateLimitExceeded"));
    }

    #[test]
    fn non_json_page_keeps_status_and_short_text() {
        let page = format!("<html><body>{}</body></html>", "Bad gateway ".repeat(100));
        let err = error_from_reply(Provider::Retell, 502, None, page.as_bytes());
        assert_eq!(err.kind(), &ErrorKind::Server { status: 502 });
        assert_eq!(err.status(), Some(502));
        assert!(err.message().chars().count() <= 201);
    }

    #[test]
    fn elevenlabs_validation_list() {
        let body = br#"{"detail":[{"loc":["body","text"],"msg":"field required","type":"value_error.missing"}]}"#;
        let details = parse_error_body(Provider::ElevenLabs, body);
        assert_eq!(
            details.message.as_deref(),
            Some("validation failed: body.text: field required")
        );
    }
}
