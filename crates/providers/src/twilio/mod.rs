//! Twilio client: the 2010 API (account, numbers, calls) and Elastic SIP Trunking
//! (providers.md §1.2). Form bodies, `.json` paths, HTTP Basic auth.

mod models;

pub use models::*;

use std::sync::Arc;

use reqwest::Method;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::breaker::BreakerState;
use crate::de::PageGuard;
use crate::error::{ErrorKind, Provider, ProviderError};
use crate::http::{
    Auth, BaseUrl, HttpConfig, HttpLayer, Request, decode_error, decode_json, segment,
};
use crate::outcome::{CreateCallOutcome, EndCallOutcome};
use crate::retry::RetryBudget;

pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";
pub const DEFAULT_TRUNKING_BASE_URL: &str = "https://trunking.twilio.com";
const PAGE_SIZE: u32 = 1000;

/// Twilio API client.
#[derive(Debug)]
pub struct TwilioClient {
    api: HttpLayer,
    trunking: HttpLayer,
    account_sid: String,
    auth_token: SecretString,
    page_size: u32,
}

impl TwilioClient {
    pub fn new(
        base_url: &str,
        trunking_base_url: &str,
        account_sid: &str,
        auth_token: SecretString,
        config: &HttpConfig,
    ) -> Result<Self, ProviderError> {
        let api_base = BaseUrl::parse(Provider::Twilio, "[twilio] base_url", base_url)?;
        let trunking_base = BaseUrl::parse(
            Provider::Twilio,
            "[twilio] trunking_base_url",
            trunking_base_url,
        )?;
        let budget = Arc::new(RetryBudget::new(config.retry_budget));
        Ok(TwilioClient {
            api: HttpLayer::new(Provider::Twilio, api_base, config, budget.clone())?,
            trunking: HttpLayer::new(Provider::Twilio, trunking_base, config, budget)?,
            account_sid: account_sid.trim().to_string(),
            auth_token,
            page_size: PAGE_SIZE,
        })
    }

    /// Items per page (1–1000); smaller pages are for tests.
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size.clamp(1, PAGE_SIZE);
        self
    }

    pub fn breaker_state(&self) -> BreakerState {
        self.api.breaker_state()
    }

    fn auth(&self) -> Auth<'_> {
        Auth::Basic(&self.account_sid, &self.auth_token)
    }

    fn account_path(&self, rest: &str) -> String {
        format!("/2010-04-01/Accounts/{}{rest}", segment(&self.account_sid))
    }

    /// The account (status, type). Its `auth_token` is never read.
    pub async fn fetch_account(&self) -> Result<Account, ProviderError> {
        let request = Request::get(self.account_path(".json")).auth(self.auth());
        self.api.send_json(&request, "account").await
    }

    /// Every incoming number, following the relative `next_page_uri`.
    pub async fn list_incoming_numbers(&self) -> Result<Vec<IncomingNumber>, ProviderError> {
        let mut numbers = Vec::new();
        let mut guard = PageGuard::default();
        let mut request = Request::get(self.account_path("/IncomingPhoneNumbers.json"))
            .query("PageSize", self.page_size)
            .auth(self.auth());
        loop {
            let page: IncomingNumbersPage =
                self.api.send_json(&request, "incoming numbers").await?;
            numbers.extend(page.incoming_phone_numbers);
            let next = page.next_page_uri.filter(|uri| !uri.is_empty());
            let Some(uri) = guard.next_cursor(next) else {
                return Ok(numbers);
            };
            let url = same_base_url(self.api.base(), &uri)?;
            request = Request::get(String::new()).absolute(url).auth(self.auth());
        }
    }

    /// `GET …/Calls/{Sid}.json`.
    pub async fn fetch_call(&self, call_sid: &str) -> Result<TwilioCall, ProviderError> {
        self.fetch_call_with(call_sid, false).await
    }

    async fn fetch_call_with(
        &self,
        call_sid: &str,
        bypass: bool,
    ) -> Result<TwilioCall, ProviderError> {
        let mut request =
            Request::get(self.account_path(&format!("/Calls/{}.json", segment(call_sid))))
                .auth(self.auth());
        if bypass {
            request = request.bypass_breaker();
        }
        self.api.send_json(&request, "call").await
    }

    /// The newest calls to `to` (one page of `limit`), for reconciling a test call.
    pub async fn list_calls_to(
        &self,
        to: &str,
        limit: u32,
    ) -> Result<Vec<TwilioCall>, ProviderError> {
        let request = Request::get(self.account_path("/Calls.json"))
            .query("To", to)
            .query("PageSize", limit.clamp(1, PAGE_SIZE))
            .auth(self.auth());
        let page: CallsPage = self.api.send_json(&request, "call list").await?;
        Ok(page.calls)
    }

    /// Hangs up: reads the call first (terminal → nothing to do), then sends
    /// `Status=canceled` (queued/ringing) or `Status=completed` (in progress). Sent even
    /// while the breaker is open; after a 5xx/timeout it reads again and re-sends once.
    pub async fn hang_up(&self, call_sid: &str) -> Result<EndCallOutcome, ProviderError> {
        let call = self.fetch_call_with(call_sid, true).await?;
        if call.status.is_terminal() {
            return Ok(already_ended(&call));
        }
        let err = match self.send_hang_up(call_sid, &call.status).await {
            Ok(()) => return Ok(EndCallOutcome::Ended),
            Err(err) if err.is_provider_failure() => err,
            Err(err) => return Err(err),
        };
        match self.fetch_call_with(call_sid, true).await {
            Ok(call) if call.status.is_terminal() => Ok(EndCallOutcome::Ended),
            Ok(call) => self
                .send_hang_up(call_sid, &call.status)
                .await
                .map(|()| EndCallOutcome::Ended),
            Err(_) => Err(err),
        }
    }

    async fn send_hang_up(
        &self,
        call_sid: &str,
        status: &TwilioCallStatus,
    ) -> Result<(), ProviderError> {
        let target = match status {
            TwilioCallStatus::Queued | TwilioCallStatus::Ringing => "canceled",
            _ => "completed",
        };
        let request = Request::mutation(
            Method::POST,
            self.account_path(&format!("/Calls/{}.json", segment(call_sid))),
        )
        .form(vec![("Status".to_string(), target.to_string())])
        .bypass_breaker()
        .auth(self.auth());
        self.api.send(&request).await.map(|_| ())
    }

    /// Places a test call with inline TwiML. Never retried, except on Twilio's 20429
    /// ("not processed, safe to retry").
    pub async fn create_call(
        &self,
        to: &str,
        from: &str,
        twiml: &str,
    ) -> CreateCallOutcome<TwilioCall> {
        let form = vec![
            ("To".to_string(), to.to_string()),
            ("From".to_string(), from.to_string()),
            ("Twiml".to_string(), twiml.to_string()),
        ];
        let request = Request::mutation(Method::POST, self.account_path("/Calls.json"))
            .form(form)
            .auth(self.auth());
        match self.api.send(&request).await {
            Ok(reply) => {
                match decode_json::<TwilioCall>(Provider::Twilio, &reply.body, "created call") {
                    Ok(call) => CreateCallOutcome::Placed(call),
                    Err(err) => CreateCallOutcome::AcceptanceUnknown(err.with_status(reply.status)),
                }
            }
            Err(err) => CreateCallOutcome::from_error(err),
        }
    }

    /// Every Elastic SIP trunk.
    pub async fn list_trunks(&self) -> Result<Vec<Trunk>, ProviderError> {
        self.trunking_list("/v1/Trunks", "trunks").await
    }

    /// One trunk; `Ok(None)` when Twilio says it does not exist.
    pub async fn get_trunk(&self, trunk_sid: &str) -> Result<Option<Trunk>, ProviderError> {
        let request = Request::get(format!("/v1/Trunks/{}", segment(trunk_sid))).auth(self.auth());
        match self.trunking.send_json(&request, "trunk").await {
            Ok(trunk) => Ok(Some(trunk)),
            Err(err) if err.kind() == &ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// The numbers attached to a trunk.
    pub async fn trunk_phone_numbers(
        &self,
        trunk_sid: &str,
    ) -> Result<Vec<TrunkPhoneNumber>, ProviderError> {
        let path = format!("/v1/Trunks/{}/PhoneNumbers", segment(trunk_sid));
        self.trunking_list(&path, "phone_numbers").await
    }

    /// The trunk's origination URLs.
    pub async fn origination_urls(
        &self,
        trunk_sid: &str,
    ) -> Result<Vec<OriginationUrl>, ProviderError> {
        let path = format!("/v1/Trunks/{}/OriginationUrls", segment(trunk_sid));
        self.trunking_list(&path, "origination_urls").await
    }

    /// Reads a Trunking list under `key`, following the absolute `meta.next_page_url`
    /// only when it points inside the configured trunking base.
    async fn trunking_list<T: DeserializeOwned>(
        &self,
        path: &str,
        key: &str,
    ) -> Result<Vec<T>, ProviderError> {
        let mut items = Vec::new();
        let mut guard = PageGuard::default();
        let mut request = Request::get(path.to_string())
            .query("PageSize", self.page_size)
            .auth(self.auth());
        loop {
            let reply = self.trunking.send(&request).await?;
            let (page, next) = trunking_page::<T>(&reply.body, key)?;
            items.extend(page);
            let Some(next) = guard.next_cursor(next) else {
                return Ok(items);
            };
            let url = same_base_url(self.trunking.base(), &next)?;
            request = Request::get(String::new()).absolute(url).auth(self.auth());
        }
    }
}

fn already_ended(call: &TwilioCall) -> EndCallOutcome {
    EndCallOutcome::AlreadyEnded {
        status: call.status.to_string(),
    }
}

/// Parses `{"<key>":[…],"meta":{"next_page_url":…}}`.
pub(crate) fn trunking_page<T: DeserializeOwned>(
    body: &[u8],
    key: &str,
) -> Result<(Vec<T>, Option<String>), ProviderError> {
    let what = format!("trunking {key} list");
    let mut json: serde_json::Map<String, Value> = decode_json(Provider::Twilio, body, &what)?;
    let meta: TrunkingMeta = match json.remove("meta") {
        Some(meta) => {
            serde_json::from_value(meta).map_err(|e| decode_error(Provider::Twilio, &what, &e))?
        }
        None => TrunkingMeta::default(),
    };
    let items = match json.remove(key) {
        Some(Value::Null) | None => Vec::new(),
        Some(list) => {
            serde_json::from_value(list).map_err(|e| decode_error(Provider::Twilio, &what, &e))?
        }
    };
    let next = meta.next_page_url.filter(|url| !url.is_empty());
    Ok((items, next))
}

/// A next-page link as a full URL: a relative path is joined to the base; an absolute
/// URL is followed only if it lies inside the base (credentials go only there).
pub(crate) fn same_base_url(base: &BaseUrl, link: &str) -> Result<String, ProviderError> {
    if link.starts_with('/') {
        return Ok(base.join(link));
    }
    let inside = link
        .strip_prefix(base.as_str())
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'));
    if inside {
        Ok(link.to_string())
    } else {
        Err(ProviderError::new(
            Provider::Twilio,
            ErrorKind::Decode,
            "the next-page link points outside the configured base URL; paging stopped",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_stay_inside_the_base() {
        let base = BaseUrl::parse(Provider::Twilio, "k", "http://127.0.0.1:4000").expect("base");
        assert_eq!(
            same_base_url(&base, "/v1/Trunks?Page=1").expect("relative"),
            "http://127.0.0.1:4000/v1/Trunks?Page=1"
        );
        assert!(same_base_url(&base, "http://127.0.0.1:4000/v1/Trunks?Page=1").is_ok());
        assert!(same_base_url(&base, "http://127.0.0.1:40001/v1/Trunks").is_err());
        assert!(same_base_url(&base, "https://evil.example/v1/Trunks").is_err());
    }

    #[test]
    fn trunking_page_reads_key_and_meta() {
        let body = br#"{"trunks":[{"sid":"TK1","domain_name":"a.pstn.twilio.com","auth_type":""}],"meta":{"key":"trunks","next_page_url":null}}"#;
        let (trunks, next) = trunking_page::<Trunk>(body, "trunks").expect("page");
        assert_eq!(trunks.len(), 1);
        assert!(trunks[0].auth_types().is_empty());
        assert_eq!(next, None);
    }
}
