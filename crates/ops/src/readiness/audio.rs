//! Audio probes: is each broadcast's `audio_url` a reachable audio file? A HEAD
//! answered 200 with an audio content type, else a `Range: bytes=0-0` GET answered
//! 200/206 (some hosts refuse HEAD, e.g. URLs signed for GET). Redirects are followed
//! only within the same host; the body is never read.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use launchdeck_core::domain::Broadcast;
use launchdeck_core::readiness::{AudioProbe, FailureKind, Focus, Observed};
use reqwest::header::{CONTENT_TYPE, RANGE};
use reqwest::{Client, Method, Response, redirect};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use uuid::Uuid;

use super::lane::{Failure, bounded};

/// How many files are probed at once.
const PARALLEL_PROBES: usize = 4;
const MAX_REDIRECTS: usize = 5;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The HTTP client for audio hosts: timeouts, same-host redirects only.
pub(crate) fn client(limit: Duration) -> Result<Client, Failure> {
    launchdeck_providers::install_crypto_provider();
    let policy = redirect::Policy::custom(|attempt| {
        let same_host = attempt
            .previous()
            .first()
            .is_some_and(|first| first.host_str() == attempt.url().host_str());
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if same_host {
            attempt.follow()
        } else {
            attempt.stop()
        }
    });
    Client::builder()
        .redirect(policy)
        .connect_timeout(CONNECT_TIMEOUT.min(limit))
        .timeout(limit)
        .build()
        .map_err(|e| {
            Failure::new(
                FailureKind::Other,
                format!("cannot build the audio probe client: {}", e.without_url()),
            )
        })
}

/// The broadcasts whose audio the rules look at: audio (not AI conversational)
/// broadcasts in focus that have an `audio_url`.
pub(crate) fn to_probe(broadcasts: &[Broadcast], focus: Focus) -> Vec<(Uuid, String)> {
    broadcasts
        .iter()
        .filter(|b| match focus {
            Focus::All => true,
            Focus::Broadcast(id) => b.id == id,
            Focus::Campaign(_) => false,
        })
        .filter(|b| b.ivr_mode.as_deref() != Some("ai_conversational"))
        .filter_map(|b| {
            let url = b.audio_url.as_deref()?.trim();
            (!url.is_empty()).then(|| (b.id, url.to_string()))
        })
        .collect()
}

pub(crate) async fn probe_all(
    client: Result<Client, Failure>,
    limit: Duration,
    targets: Vec<(Uuid, String)>,
) -> BTreeMap<Uuid, Observed<AudioProbe>> {
    let client = match client {
        Ok(client) => client,
        Err(failure) => {
            return targets
                .into_iter()
                .map(|(id, _)| (id, failure.observed()))
                .collect();
        }
    };
    let permits = Arc::new(Semaphore::new(PARALLEL_PROBES));
    let mut probes = JoinSet::new();
    for (id, url) in targets {
        let (client, permits) = (client.clone(), permits.clone());
        probes.spawn(async move {
            let _permit = permits.acquire_owned().await;
            (id, probe(&client, limit, &url).await)
        });
    }
    let mut results = BTreeMap::new();
    while let Some(joined) = probes.join_next().await {
        if let Ok((id, probe)) = joined {
            results.insert(id, probe);
        }
    }
    results
}

/// One file: HEAD, then the one-byte ranged GET when HEAD does not show audio.
pub(crate) async fn probe(client: &Client, limit: Duration, url: &str) -> Observed<AudioProbe> {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Observed::failed(FailureKind::Other, "audio_url is not a valid URL");
    };
    if !matches!(parsed.scheme(), "http" | "https") {
        return Observed::failed(FailureKind::Other, "audio_url is not an http(s) URL");
    }
    let result = bounded(limit, async {
        let head = send(client, Method::HEAD, parsed.clone()).await?;
        if head.http_status == 200 && is_audio(&head) {
            return Ok(head);
        }
        send(client, Method::GET, parsed).await
    })
    .await;
    match result {
        Ok(probe) => Observed::Ok(probe),
        Err(failure) => failure.observed(),
    }
}

async fn send(client: &Client, method: Method, url: reqwest::Url) -> Result<AudioProbe, Failure> {
    let mut request = client.request(method.clone(), url);
    if method == Method::GET {
        request = request.header(RANGE, "bytes=0-0");
    }
    let response = request.send().await.map_err(|e| request_failure(&e))?;
    Ok(probe_of(&response))
}

fn probe_of(response: &Response) -> AudioProbe {
    AudioProbe {
        http_status: response.status().as_u16(),
        content_type: response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    }
}

fn is_audio(probe: &AudioProbe) -> bool {
    probe
        .content_type
        .as_deref()
        .is_some_and(|ct| ct.trim().to_ascii_lowercase().starts_with("audio/"))
}

/// A transport error without its URL (which may carry a signature).
fn request_failure(err: &reqwest::Error) -> Failure {
    let kind = if err.is_timeout() {
        FailureKind::Timeout
    } else if err.is_redirect() {
        FailureKind::Other
    } else {
        FailureKind::Unavailable
    };
    let what = if err.is_timeout() {
        "no answer in time"
    } else if err.is_connect() {
        "could not connect to the audio host"
    } else if err.is_redirect() {
        "too many redirects"
    } else {
        "the audio host did not answer properly"
    };
    Failure::new(kind, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broadcast(id: u128, mode: Option<&str>, url: Option<&str>) -> Broadcast {
        Broadcast {
            id: Uuid::from_u128(id),
            user_id: Uuid::nil(),
            name: "b".into(),
            status: "active".into(),
            message_text: "m".into(),
            audio_url: url.map(str::to_string),
            ivr_enabled: true,
            ivr_mode: mode.map(str::to_string),
            dtmf_actions: None,
            max_attempts: None,
            calling_hours_start: None,
            calling_hours_end: None,
            timezone: None,
            bypass_calling_hours: false,
            calls_per_minute: None,
            caller_id: None,
            use_sip_trunk: false,
            broadcast_provider: None,
            voice_id: None,
        }
    }

    #[test]
    fn only_audio_broadcasts_in_focus_with_a_url_are_probed() {
        let all = [
            broadcast(1, Some("dtmf"), Some("https://a.example/1.mp3")),
            broadcast(
                2,
                Some("ai_conversational"),
                Some("https://a.example/2.mp3"),
            ),
            broadcast(3, None, Some("  ")),
            broadcast(4, None, Some("https://a.example/4.mp3")),
        ];
        let ids = |focus| -> Vec<u128> {
            to_probe(&all, focus)
                .into_iter()
                .map(|(id, _)| id.as_u128())
                .collect()
        };
        assert_eq!(ids(Focus::All), vec![1, 4]);
        assert_eq!(ids(Focus::Broadcast(Uuid::from_u128(4))), vec![4]);
        assert!(ids(Focus::Campaign(Uuid::from_u128(1))).is_empty());
    }

    #[tokio::test]
    async fn a_bad_url_is_a_failure_without_a_request() {
        let client = client(Duration::from_secs(1)).expect("client");
        let probe = probe(&client, Duration::from_secs(1), "not a url").await;
        assert!(matches!(
            probe,
            Observed::Failed {
                kind: FailureKind::Other,
                ..
            }
        ));
    }
}
