//! The bodies of the provider fuzz targets, shared by `cargo fuzz` (the `fuzz/` project,
//! on nightly) and the stable replay of their committed corpus (`tests/fuzz_corpus.rs`),
//! so both run the same code. Each takes the fuzzer's bytes as a reply body, feeds them
//! to every parser of one provider and to its error-reply reading for the statuses that
//! matter, and panics when an invariant the product relies on breaks:
//!
//! - a parser returns a value or a decode error, never panics; a decode error is written
//!   from fixed words and positions only, so it never echoes the body;
//! - an error reply keeps at most a bounded, sanitised excerpt of the body (no control
//!   characters reach a screen or a log), its kind follows the status;
//! - what the readiness checks compute from a reply never overflows;
//! - secrets in a reply (Twilio's account `auth_token`, Google's tokens) never reach
//!   what the client returns or its `Debug`;
//! - a next-page link never leads the credentials to another origin.

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::error::{CheckVerdict, ErrorKind, Provider, ProviderError};
use crate::parsers;
use crate::retell::{self, PathGeneration};
use crate::{google, twilio};

/// The statuses every error body is read with.
const ERROR_STATUSES: [u16; 10] = [400, 401, 402, 403, 404, 408, 422, 429, 500, 503];

/// The most of a provider's text an error keeps: 200 characters and an ellipsis.
pub const MAX_EXCERPT_CHARS: usize = 201;

/// The longest error as shown: provider, summary, message and code.
pub const MAX_ERROR_CHARS: usize = 600;

/// Bases a next-page link is resolved against: production's, a fake's, one with a path.
const TWILIO_BASES: [&str; 4] = [
    twilio::DEFAULT_BASE_URL,
    twilio::DEFAULT_TRUNKING_BASE_URL,
    "http://127.0.0.1:4010",
    "http://127.0.0.1:4010/twilio",
];

/// Target `retell_responses`.
pub fn retell_responses(data: &[u8]) {
    if let Some(call) = parsed(parsers::retell_call(data)) {
        check_retell_call(&call);
    }
    if let Some(number) = parsed(parsers::retell_number(data)) {
        check_retell_number(&number);
    }
    if let Some(concurrency) = parsed(parsers::retell_concurrency(data)) {
        check_headroom(&concurrency);
    }
    parsed(parsers::retell_agent(data));
    for generation in [PathGeneration::Current, PathGeneration::Legacy] {
        if let Some(agents) = parsed(parsers::retell_agent_list(generation, data)) {
            check_one_entry_per_agent(&agents);
        }
        if let Some(numbers) = parsed(parsers::retell_number_list(generation, data)) {
            numbers.iter().for_each(check_retell_number);
        }
        if let Some(calls) = parsed(parsers::retell_call_list(generation, data)) {
            calls.iter().for_each(check_retell_call);
        }
    }
    check_error_replies(Provider::Retell, data);
}

/// Target `twilio_responses`.
pub fn twilio_responses(data: &[u8]) {
    if let Some(account) = parsed(parsers::twilio_account(data)) {
        check_account_ignores_auth_token(data, &account);
    }
    if let Some(call) = parsed(parsers::twilio_call(data)) {
        check_twilio_call(&call);
    }
    if let Some(calls) = parsed(parsers::twilio_call_list(data)) {
        calls.iter().for_each(check_twilio_call);
    }
    if let Some(page) = parsed(parsers::twilio_incoming_numbers(data)) {
        check_next_page(page.next.as_deref());
    }
    if let Some(trunk) = parsed(parsers::twilio_trunk(data)) {
        check_trunk(&trunk);
    }
    if let Some(page) = parsed(parsers::twilio_trunks(data)) {
        page.items.iter().for_each(check_trunk);
        check_next_page(page.next.as_deref());
    }
    if let Some(page) = parsed(parsers::twilio_trunk_numbers(data)) {
        check_next_page(page.next.as_deref());
    }
    if let Some(page) = parsed(parsers::twilio_origination_urls(data)) {
        check_next_page(page.next.as_deref());
    }
    check_error_replies(Provider::Twilio, data);
}

/// Target `elevenlabs_responses`.
pub fn elevenlabs_responses(data: &[u8]) {
    if let Some(subscription) = parsed(parsers::elevenlabs_subscription(data)) {
        let exact = exact_difference(
            subscription.character_limit,
            &[subscription.character_count],
        );
        assert_eq!(subscription.characters_left(), exact, "characters left");
        let _ = subscription.status_blocks_tts();
    }
    check_error_replies(Provider::ElevenLabs, data);
}

/// Target `google_responses`.
pub fn google_responses(data: &[u8]) {
    if let Some(reply) = parsed(parsers::google_free_busy(data)) {
        check_free_busy(&reply);
    }
    if let Some(grant) = parsed(parsers::google_token_grant(data)) {
        check_grant_hides_tokens(&grant);
    }
    parsed(parsers::google_calendar_list(data));
    check_error_replies(Provider::Google, data);
}

/// The value, or `None` after checking the decode error.
fn parsed<T>(result: Result<T, ProviderError>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(err) => {
            assert_eq!(err.kind(), &ErrorKind::Decode, "{err}");
            assert!(
                is_generic_decode_message(err.message()),
                "a decode error echoes the body: {err}"
            );
            check_shown(&err);
            None
        }
    }
}

/// `<what>: <problem> at line N, column M`, every part from a fixed vocabulary.
fn is_generic_decode_message(message: &str) -> bool {
    let Some((head, position)) = message.rsplit_once(" at line ") else {
        return false;
    };
    let Some((line, column)) = position.split_once(", column ") else {
        return false;
    };
    let Some((what, problem)) = head.split_once(": ") else {
        return false;
    };
    let is_number = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let missing_field = problem
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'));
    is_number(line)
        && is_number(column)
        && is_label(what)
        && (matches!(
            problem,
            "malformed JSON" | "JSON cut short" | "read error" | "unexpected JSON shape"
        ) || missing_field.is_some_and(is_label))
}

/// A name written in the code: a few words of letters and underscores.
fn is_label(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 40
        && text
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == ' ' || c == '_')
}

/// Bounded and printable, as screens, logs and `--json` show an error.
fn check_shown(err: &ProviderError) {
    let shown = err.to_string();
    assert!(
        shown.chars().count() <= MAX_ERROR_CHARS,
        "{} characters: {shown:.300}",
        shown.chars().count()
    );
    assert!(
        !shown.chars().any(char::is_control),
        "control characters in {shown:?}"
    );
    assert!(err.message().chars().count() <= MAX_EXCERPT_CHARS);
    assert!(
        err.code()
            .is_none_or(|code| code.chars().count() <= MAX_EXCERPT_CHARS)
    );
}

fn check_error_replies(provider: Provider, body: &[u8]) {
    for status in ERROR_STATUSES {
        let err = parsers::error_reply(provider, status, body);
        check_shown(&err);
        assert_eq!(err.provider(), provider);
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.is_provider_failure(), status >= 500, "{err}");
        match status {
            401 => assert_eq!(err.kind(), &ErrorKind::Unauthorized, "{err}"),
            429 => assert!(matches!(err.kind(), ErrorKind::RateLimited { .. }), "{err}"),
            500..=599 => assert_eq!(err.kind(), &ErrorKind::Server { status }, "{err}"),
            _ => {}
        }
        if err.oauth_failure().is_some() {
            assert_eq!(err.check_verdict(), CheckVerdict::Fail, "{err}");
        }
    }
}

fn check_retell_call(call: &retell::Call) {
    // an unknown status is kept as sent, never taken for a known one
    let status = &call.call_status;
    assert_eq!(&retell::CallStatus::parse(status.as_str()), status);
    assert!(!(status.is_terminal() && status.is_live()), "{status}");
    let _ = call.launchdeck_request_id();
    let _ = call.disconnection_reason.as_ref().map(|r| r.group());
}

fn check_retell_number(number: &retell::PhoneNumber) {
    assert!(number.termination_uri().is_none_or(|uri| !uri.is_empty()));
    for (list, ids) in [
        (&number.outbound_agents, number.outbound_agent_ids()),
        (&number.inbound_agents, number.inbound_agent_ids()),
    ] {
        if list.is_empty() {
            assert!(ids.len() <= 1 && ids.iter().all(|id| !id.is_empty()));
        } else {
            assert_eq!(ids.len(), list.len());
        }
    }
}

fn check_headroom(concurrency: &retell::Concurrency) {
    let reserved = concurrency.reserved_inbound_concurrency.unwrap_or(0);
    let exact = exact_difference(
        concurrency.concurrency_limit,
        &[Some(reserved), concurrency.current_concurrency],
    );
    assert_eq!(concurrency.outbound_headroom(), exact, "outbound headroom");
}

/// `minuend − subtrahends` when it fits an `i64`.
fn exact_difference(minuend: Option<i64>, subtrahends: &[Option<i64>]) -> Option<i64> {
    let mut difference = i128::from(minuend?);
    for subtrahend in subtrahends {
        difference -= i128::from((*subtrahend)?);
    }
    i64::try_from(difference).ok()
}

fn check_one_entry_per_agent(agents: &[retell::AgentSummary]) {
    for (i, agent) in agents.iter().enumerate() {
        assert!(
            agents[..i].iter().all(|a| a.agent_id != agent.agent_id),
            "agent {} listed twice",
            agent.agent_id
        );
    }
}

/// The account read without its `auth_token` is the same account: the token is
/// never read.
fn check_account_ignores_auth_token(body: &[u8], account: &twilio::Account) {
    let Ok(Value::Object(mut fields)) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    if fields.remove("auth_token").is_none() {
        return;
    }
    let without = Value::Object(fields).to_string();
    let again = parsers::twilio_account(without.as_bytes());
    assert_eq!(again.as_ref().ok(), Some(account), "{again:?}");
}

fn check_twilio_call(call: &twilio::TwilioCall) {
    let status = &call.status;
    assert_eq!(&twilio::TwilioCallStatus::parse(status.as_str()), status);
    let _ = call.duration_secs();
    let _ = (call.start_time_parsed(), call.end_time_parsed());
    let _ = call.date_created_parsed();
}

fn check_trunk(trunk: &twilio::Trunk) {
    for auth_type in trunk.auth_types() {
        assert!(!auth_type.is_empty() && !auth_type.contains(','));
        assert_eq!(auth_type, auth_type.trim());
    }
}

/// A link the client follows stays on the base's origin.
fn check_next_page(link: Option<&str>) {
    let Some(link) = link else { return };
    assert!(!link.is_empty());
    for base in TWILIO_BASES {
        let Ok(followed) = parsers::twilio_next_page(base, link) else {
            continue;
        };
        let origin = |url: &str| url::Url::parse(url).map(|u| u.origin());
        if let Ok(followed_origin) = origin(&followed) {
            assert_eq!(
                Ok(followed_origin),
                origin(base),
                "{link:?} from {base} leads to {followed}"
            );
        }
    }
}

fn check_free_busy(reply: &google::FreeBusy) {
    let failing = reply.calendars.values().any(|c| !c.errors.is_empty());
    match reply.ensure_no_errors() {
        Ok(()) => assert!(!failing),
        Err(err) => {
            assert!(failing);
            assert_eq!(err.provider(), Provider::Google);
            check_shown(&err);
        }
    }
}

/// A grant's `Debug` does not depend on its tokens, and a rotated refresh token is
/// never empty.
fn check_grant_hides_tokens(grant: &google::TokenGrant) {
    let placeholder = || SecretString::from("x".to_string());
    assert!(
        grant
            .refresh_token
            .as_ref()
            .is_none_or(|token| !token.expose_secret().is_empty())
    );
    let blank = google::TokenGrant {
        access_token: placeholder(),
        expires_in: grant.expires_in,
        scope: grant.scope.clone(),
        token_type: grant.token_type.clone(),
        refresh_token: grant.refresh_token.as_ref().map(|_| placeholder()),
    };
    assert_eq!(format!("{grant:?}"), format!("{blank:?}"));
}
