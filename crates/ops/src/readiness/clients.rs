//! The provider clients a gatherer asks, built once from the configuration.

use std::sync::Arc;
use std::time::Duration;

use launchdeck_core::config::Config;
use launchdeck_core::readiness::{FailureKind, Observed};
use launchdeck_providers::{
    ElevenLabsClient, GoogleCalendarClient, GoogleOAuthClient, HttpConfig, ProviderError,
    RetellClient, TwilioClient,
};
use secrecy::{ExposeSecret, SecretString};

use super::GatherOptions;
use super::lane::{Failure, Lane, Pacer};

/// A whole user action's provider call, retries included, never waits longer
/// (providers.md §3).
pub(crate) const ACTION_LIMIT: Duration = Duration::from_secs(30);

/// A provider client, or why there is none.
#[derive(Debug)]
pub(crate) enum Client<C> {
    Ready(Arc<C>),
    /// Its secret is not configured.
    NotConfigured,
    /// The configuration is unusable (e.g. a bad base URL).
    Broken(Failure),
}

impl<C> Clone for Client<C> {
    fn clone(&self) -> Self {
        match self {
            Client::Ready(client) => Client::Ready(client.clone()),
            Client::NotConfigured => Client::NotConfigured,
            Client::Broken(failure) => Client::Broken(failure.clone()),
        }
    }
}

impl<C> Client<C> {
    fn build(secret_present: bool, build: impl FnOnce() -> Result<C, ProviderError>) -> Self {
        if !secret_present {
            return Client::NotConfigured;
        }
        match build() {
            Ok(client) => Client::Ready(Arc::new(client)),
            Err(err) => Client::Broken(Failure::new(FailureKind::Other, err.to_string())),
        }
    }

    /// The client, or the value every question to it gets instead of an answer.
    pub fn ready<T>(&self) -> Result<Arc<C>, Observed<T>> {
        match self {
            Client::Ready(client) => Ok(client.clone()),
            Client::NotConfigured => Err(Observed::NotConfigured),
            Client::Broken(failure) => Err(failure.observed()),
        }
    }
}

/// Every provider client with its request lane.
#[derive(Debug, Clone)]
pub(crate) struct Clients {
    pub retell: Client<RetellClient>,
    pub twilio: Client<TwilioClient>,
    pub elevenlabs: Client<ElevenLabsClient>,
    /// Needs no secret of its own: each probe uses the integration's access token.
    pub calendar: Client<GoogleCalendarClient>,
    /// Google's token endpoint, for the refresh-tokens action; needs
    /// GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET.
    pub google_oauth: Client<GoogleOAuthClient>,
    pub retell_lane: Lane,
    pub twilio_lane: Lane,
    pub elevenlabs_lane: Lane,
    pub google_lane: Lane,
    /// The token endpoint's own lane (another host than Calendar's), bounded by
    /// [`ACTION_LIMIT`]: a refresh is a user action, not a poll.
    pub google_oauth_lane: Lane,
}

fn present(secret: &Option<SecretString>) -> bool {
    secret
        .as_ref()
        .is_some_and(|s| !s.expose_secret().trim().is_empty())
}

fn http_config(limit: Duration) -> HttpConfig {
    let mut http = HttpConfig::default();
    http.timeouts.read = limit;
    http.action_deadline = limit;
    http
}

impl Clients {
    pub fn from_config(config: &Config, options: &GatherOptions) -> Self {
        launchdeck_providers::install_crypto_provider();
        let http = http_config(options.source_timeout);
        let lane = || Lane {
            pacer: Pacer::new(options.provider_spacing),
            limit: options.source_timeout,
        };
        Clients {
            retell: retell(config, &http),
            twilio: twilio(config, &http),
            elevenlabs: elevenlabs(config, &http),
            calendar: Client::build(true, || {
                GoogleCalendarClient::new(config.google.calendar_base_url.as_str(), &http)
            }),
            google_oauth: google_oauth(config),
            retell_lane: lane(),
            twilio_lane: lane(),
            elevenlabs_lane: lane(),
            google_lane: lane(),
            google_oauth_lane: Lane {
                pacer: Pacer::new(options.provider_spacing),
                limit: ACTION_LIMIT,
            },
        }
    }
}

fn retell(config: &Config, http: &HttpConfig) -> Client<RetellClient> {
    let key = &config.retell.api_key;
    Client::build(present(key), || {
        let key = key.clone().unwrap_or_else(|| SecretString::from(""));
        RetellClient::new(config.retell.base_url.as_str(), key, http)
    })
}

fn twilio(config: &Config, http: &HttpConfig) -> Client<TwilioClient> {
    let twilio = &config.twilio;
    let configured = present(&twilio.account_sid) && present(&twilio.auth_token);
    Client::build(configured, || {
        let sid = twilio
            .account_sid
            .as_ref()
            .map(|s| s.expose_secret().to_string())
            .unwrap_or_default();
        let token = twilio
            .auth_token
            .clone()
            .unwrap_or_else(|| SecretString::from(""));
        TwilioClient::new(
            twilio.base_url.as_str(),
            twilio.trunking_base_url.as_str(),
            &sid,
            token,
            http,
        )
    })
}

fn elevenlabs(config: &Config, http: &HttpConfig) -> Client<ElevenLabsClient> {
    let key = &config.elevenlabs.api_key;
    Client::build(present(key), || {
        let key = key.clone().unwrap_or_else(|| SecretString::from(""));
        ElevenLabsClient::new(config.elevenlabs.base_url.as_str(), key, http)
    })
}

/// The refresh-token grant client, with the mutation timings of a user action
/// (providers.md §3: connect 5 s, 30 s in all, retries included).
fn google_oauth(config: &Config) -> Client<GoogleOAuthClient> {
    let google = &config.google;
    let configured = present(&google.client_id) && present(&google.client_secret);
    Client::build(configured, || {
        let id = google
            .client_id
            .as_ref()
            .map(|s| s.expose_secret().to_string())
            .unwrap_or_default();
        let secret = google
            .client_secret
            .clone()
            .unwrap_or_else(|| SecretString::from(""));
        let http = HttpConfig {
            action_deadline: ACTION_LIMIT,
            ..HttpConfig::default()
        };
        GoogleOAuthClient::new(google.token_url.as_str(), &id, secret, &http)
    })
}
