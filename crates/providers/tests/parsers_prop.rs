//! Property tests: every response parser takes arbitrary bytes (and arbitrary JSON)
//! and returns a value or an error, never a panic, with the invariants the fuzz targets
//! check (`launchdeck_providers::fuzzing`). A small corpus of tricky bodies is replayed
//! on every run; the fuzz targets' own corpus is replayed by `tests/fuzz_corpus.rs`.

use launchdeck_providers::{Provider, fuzzing, parsers};
use proptest::prelude::*;
use serde_json::{Value, json};

fn feed_all(body: &[u8]) {
    fuzzing::retell_responses(body);
    fuzzing::twilio_responses(body);
    fuzzing::elevenlabs_responses(body);
    fuzzing::google_responses(body);
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,20}".prop_map(Value::String),
        prop_oneof![
            Just("call_id"),
            Just("call_status"),
            Just("agent_version"),
            Just("outbound_agents"),
            Just("detail"),
            Just("error"),
            Just("message"),
            Just("code"),
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop_oneof![
            Just("call_id".to_string()),
            Just("call_status".to_string()),
            Just("phone_number".to_string()),
            Just("outbound_agents".to_string()),
            Just("agent_version".to_string()),
            Just("duration_ms".to_string()),
            Just("sid".to_string()),
            Just("status".to_string()),
            Just("duration".to_string()),
            Just("detail".to_string()),
            Just("error".to_string()),
            Just("errors".to_string()),
            Just("calendars".to_string()),
            Just("message".to_string()),
            Just("code".to_string()),
            Just("concurrency_limit".to_string()),
            Just("current_concurrency".to_string()),
            Just("character_limit".to_string()),
            Just("character_count".to_string()),
            Just("items".to_string()),
            Just("auth_token".to_string()),
            Just("next_page_uri".to_string()),
            Just("access_token".to_string()),
            Just("refresh_token".to_string()),
            "[a-z_]{1,12}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        feed_all(&body);
    }

    #[test]
    fn arbitrary_json_never_panics(value in json_value()) {
        feed_all(value.to_string().as_bytes());
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        feed_all(text.as_bytes());
    }
}

#[test]
fn corpus_replays() {
    let corpus: [&[u8]; 14] = [
        b"",
        b"null",
        b"[]",
        b"{\"call_id\":null}",
        b"{\"call_id\":\"c\",\"call_status\":5}",
        b"{\"call_id\":\"c\",\"call_status\":\"ended\",\"duration_ms\":1e400}",
        b"{\"call_id\":\"c\",\"call_status\":\"ended\",\"agent_version\":{\"x\":1}}",
        b"{\"phone_number\":\"+1\",\"outbound_agents\":[{\"agent_id\":1}]}",
        b"{\"detail\":[{\"loc\":[1,{\"a\":[]}],\"msg\":7}]}",
        b"{\"error\":{\"errors\":\"nope\",\"code\":\"x\"}}",
        b"{\"error\":{\"errors\":[{}]}}",
        b"{\"code\":1e999,\"message\":[\"x\"]}",
        "\u{1b}]0;title\u{7}\u{1b}[31m<html>".as_bytes(),
        &[0xff, 0xfe, 0x00, b'{', 0xc3],
    ];
    for body in corpus {
        feed_all(body);
    }
    let huge = "x".repeat(100_000);
    let err = parsers::error_reply(Provider::Retell, 502, huge.as_bytes());
    assert!(err.message().chars().count() <= 260);
}
