//! Every response parser of the clients, exposed for property tests and fuzzing (see
//! [`crate::fuzzing`]): each takes a reply's bytes as the client receives them and
//! returns what the client would read from them, or the error it would report.

use crate::error::{Provider, ProviderError};
use crate::http::{BaseUrl, decode_json};
use crate::retell::{self, PathGeneration};
use crate::{elevenlabs, google, twilio};

/// One page of a list and its link to the next page, when it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

pub fn retell_call(body: &[u8]) -> Result<retell::Call, ProviderError> {
    decode_json(Provider::Retell, body, "call")
}

pub fn retell_number(body: &[u8]) -> Result<retell::PhoneNumber, ProviderError> {
    decode_json(Provider::Retell, body, "phone number")
}

pub fn retell_concurrency(body: &[u8]) -> Result<retell::Concurrency, ProviderError> {
    decode_json(Provider::Retell, body, "concurrency")
}

pub fn retell_agent(body: &[u8]) -> Result<retell::Agent, ProviderError> {
    decode_json(Provider::Retell, body, "agent")
}

/// A one-page agent list of either generation, one entry per agent id.
pub fn retell_agent_list(
    generation: PathGeneration,
    body: &[u8],
) -> Result<Vec<retell::AgentSummary>, ProviderError> {
    retell::decode_list_page(generation, body, "agent list").map(retell::dedupe_agents)
}

pub fn retell_number_list(
    generation: PathGeneration,
    body: &[u8],
) -> Result<Vec<retell::PhoneNumber>, ProviderError> {
    retell::decode_list_page(generation, body, "phone number list")
}

pub fn retell_call_list(
    generation: PathGeneration,
    body: &[u8],
) -> Result<Vec<retell::Call>, ProviderError> {
    retell::decode_list_page(generation, body, "call list")
}

pub fn twilio_account(body: &[u8]) -> Result<twilio::Account, ProviderError> {
    decode_json(Provider::Twilio, body, "account")
}

pub fn twilio_call(body: &[u8]) -> Result<twilio::TwilioCall, ProviderError> {
    decode_json(Provider::Twilio, body, "call")
}

pub fn twilio_call_list(body: &[u8]) -> Result<Vec<twilio::TwilioCall>, ProviderError> {
    decode_json::<twilio::CallsPage>(Provider::Twilio, body, "call list").map(|page| page.calls)
}

/// A page of incoming numbers; `next` is its relative `next_page_uri`.
pub fn twilio_incoming_numbers(body: &[u8]) -> Result<Page<twilio::IncomingNumber>, ProviderError> {
    let page: twilio::IncomingNumbersPage =
        decode_json(Provider::Twilio, body, "incoming numbers")?;
    Ok(Page {
        items: page.incoming_phone_numbers,
        next: page.next_page_uri.filter(|uri| !uri.is_empty()),
    })
}

pub fn twilio_trunk(body: &[u8]) -> Result<twilio::Trunk, ProviderError> {
    decode_json(Provider::Twilio, body, "trunk")
}

pub fn twilio_trunks(body: &[u8]) -> Result<Page<twilio::Trunk>, ProviderError> {
    trunking_page(body, "trunks")
}

pub fn twilio_trunk_numbers(body: &[u8]) -> Result<Page<twilio::TrunkPhoneNumber>, ProviderError> {
    trunking_page(body, "phone_numbers")
}

pub fn twilio_origination_urls(body: &[u8]) -> Result<Page<twilio::OriginationUrl>, ProviderError> {
    trunking_page(body, "origination_urls")
}

fn trunking_page<T: serde::de::DeserializeOwned>(
    body: &[u8],
    key: &str,
) -> Result<Page<T>, ProviderError> {
    twilio::trunking_page(body, key).map(|(items, next)| Page { items, next })
}

/// The URL a next-page link leads to from `base`, or the refusal when it leaves the
/// base (the credentials are sent only there).
pub fn twilio_next_page(base: &str, link: &str) -> Result<String, ProviderError> {
    let base = BaseUrl::parse(Provider::Twilio, "[twilio] base_url", base)?;
    twilio::same_base_url(&base, link)
}

pub fn elevenlabs_subscription(body: &[u8]) -> Result<elevenlabs::Subscription, ProviderError> {
    decode_json(Provider::ElevenLabs, body, "subscription")
}

pub fn google_free_busy(body: &[u8]) -> Result<google::FreeBusy, ProviderError> {
    decode_json(Provider::Google, body, "freeBusy reply")
}

/// A refresh-token grant's reply, as [`google::GoogleOAuthClient::refresh`] returns it.
pub fn google_token_grant(body: &[u8]) -> Result<google::TokenGrant, ProviderError> {
    decode_json::<google::TokenReply>(Provider::Google, body, "token reply")
        .map(google::TokenReply::into_grant)
}

/// A calendarList page; `next` is its `nextPageToken`.
pub fn google_calendar_list(body: &[u8]) -> Result<Page<google::CalendarListEntry>, ProviderError> {
    let page: google::CalendarListPage = decode_json(Provider::Google, body, "calendar list")?;
    Ok(Page {
        items: page.items,
        next: page.next_page_token,
    })
}

/// The error built from a non-2xx reply with this body, for any provider.
pub fn error_reply(provider: Provider, status: u16, body: &[u8]) -> ProviderError {
    crate::error_body::error_from_reply(provider, status, None, body)
}
