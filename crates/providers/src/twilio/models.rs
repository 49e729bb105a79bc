//! Twilio objects as launchdeck reads them (providers.md §1.2). The account struct has
//! no `auth_token` field on purpose: serde drops it and the raw body is never kept.

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

use crate::de::{lenient_bool, lenient_i64, lenient_string, null_as_empty, string_enum};

string_enum! {
    /// Account `status`.
    pub enum AccountStatus { Active = "active", Suspended = "suspended", Closed = "closed" }
}

string_enum! {
    /// Account `type`.
    pub enum AccountType { Trial = "Trial", Full = "Full" }
}

string_enum! {
    /// Call `status`.
    pub enum TwilioCallStatus {
        Queued = "queued",
        Ringing = "ringing",
        InProgress = "in-progress",
        Completed = "completed",
        Busy = "busy",
        Failed = "failed",
        NoAnswer = "no-answer",
        Canceled = "canceled",
    }
}

impl TwilioCallStatus {
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            TwilioCallStatus::Completed
                | TwilioCallStatus::Busy
                | TwilioCallStatus::Failed
                | TwilioCallStatus::NoAnswer
                | TwilioCallStatus::Canceled
        )
    }
}

/// `GET /2010-04-01/Accounts/{Sid}.json`, without the auth token.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Account {
    pub sid: String,
    #[serde(default)]
    pub friendly_name: Option<String>,
    #[serde(default)]
    pub status: Option<AccountStatus>,
    #[serde(default, rename = "type")]
    pub account_type: Option<AccountType>,
    /// RFC 2822.
    #[serde(default)]
    pub date_created: Option<String>,
}

/// `capabilities`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Capabilities {
    #[serde(default, deserialize_with = "lenient_bool")]
    pub voice: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub sms: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub mms: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub fax: Option<bool>,
}

/// An incoming phone number of the account.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct IncomingNumber {
    pub sid: String,
    pub phone_number: String,
    #[serde(default)]
    pub friendly_name: Option<String>,
    #[serde(default)]
    pub capabilities: Option<Capabilities>,
    /// Null unless the number is on a SIP trunk.
    #[serde(default)]
    pub trunk_sid: Option<String>,
    #[serde(default)]
    pub voice_url: Option<String>,
}

/// A Twilio call.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TwilioCall {
    pub sid: String,
    pub status: TwilioCallStatus,
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// RFC 2822.
    #[serde(default, deserialize_with = "lenient_string")]
    pub start_time: Option<String>,
    /// RFC 2822.
    #[serde(default, deserialize_with = "lenient_string")]
    pub end_time: Option<String>,
    /// Whole seconds as a string; empty until the call completes.
    #[serde(default, deserialize_with = "lenient_string")]
    pub duration: Option<String>,
    /// Negative decimal string, e.g. `-0.0130`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub price: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub answered_by: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub error_code: Option<i64>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub error_message: Option<String>,
    /// RFC 2822; when Twilio created the call (reconciling a test call whose create
    /// got no readable answer).
    #[serde(default, deserialize_with = "lenient_string")]
    pub date_created: Option<String>,
}

impl TwilioCall {
    pub fn duration_secs(&self) -> Option<u64> {
        self.duration.as_deref()?.trim().parse().ok()
    }

    pub fn start_time_parsed(&self) -> Option<DateTime<FixedOffset>> {
        parse_rfc2822(self.start_time.as_deref()?)
    }

    pub fn end_time_parsed(&self) -> Option<DateTime<FixedOffset>> {
        parse_rfc2822(self.end_time.as_deref()?)
    }

    pub fn date_created_parsed(&self) -> Option<DateTime<FixedOffset>> {
        parse_rfc2822(self.date_created.as_deref()?)
    }
}

/// A 2010 API date (`Thu, 30 Jul 2015 20:00:00 +0000`).
pub fn parse_rfc2822(raw: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc2822(raw.trim()).ok()
}

/// A Trunking API date (ISO 8601).
pub fn parse_iso8601(raw: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(raw.trim()).ok()
}

/// An Elastic SIP trunk.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Trunk {
    pub sid: String,
    #[serde(default)]
    pub friendly_name: Option<String>,
    /// Ends in `pstn.twilio.com`: the termination URI Retell needs.
    #[serde(default)]
    pub domain_name: Option<String>,
    /// `IP_ACL`/`CREDENTIAL_LIST`, comma-joined; empty means the domain gets no traffic.
    #[serde(default, deserialize_with = "lenient_string")]
    pub auth_type: Option<String>,
    /// ISO 8601.
    #[serde(default)]
    pub date_created: Option<String>,
}

impl Trunk {
    pub fn auth_types(&self) -> Vec<&str> {
        self.auth_type
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect()
    }
}

/// A number attached to a trunk.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TrunkPhoneNumber {
    pub sid: String,
    pub phone_number: String,
    #[serde(default)]
    pub trunk_sid: Option<String>,
}

/// An origination URL of a trunk.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OriginationUrl {
    #[serde(default)]
    pub sid: Option<String>,
    pub sip_url: String,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub weight: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub priority: Option<i64>,
    #[serde(default)]
    pub friendly_name: Option<String>,
}

/// 2010 list page: items beside a relative `next_page_uri`.
#[derive(Debug, Deserialize)]
pub(crate) struct IncomingNumbersPage {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub incoming_phone_numbers: Vec<IncomingNumber>,
    #[serde(default)]
    pub next_page_uri: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CallsPage {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub calls: Vec<TwilioCall>,
}

/// Trunking `meta`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TrunkingMeta {
    #[serde(default)]
    pub next_page_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ignores_auth_token() {
        let account: Account = serde_json::from_str(
            r#"{"sid":"AC1","status":"suspended","type":"Trial","auth_token":"tok"}"#,
        )
        .expect("account");
        assert_eq!(account.status, Some(AccountStatus::Suspended));
        assert_eq!(account.account_type, Some(AccountType::Trial));
        assert!(!format!("{account:?}").contains("tok"));
    }

    #[test]
    fn call_durations_and_dates() {
        let call: TwilioCall = serde_json::from_str(
            r#"{"sid":"CA1","status":"completed","duration":"61","price":null,"start_time":"Thu, 30 Jul 2015 20:00:00 +0000"}"#,
        )
        .expect("call");
        assert_eq!(call.duration_secs(), Some(61));
        assert!(call.start_time_parsed().is_some());
        let ongoing: TwilioCall =
            serde_json::from_str(r#"{"sid":"CA2","status":"in-progress","duration":""}"#)
                .expect("call");
        assert_eq!(ongoing.duration, None);
        assert!(!ongoing.status.is_terminal());
    }
}
