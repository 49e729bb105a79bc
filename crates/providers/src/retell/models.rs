//! Retell objects as launchdeck reads them (providers.md §1.1, §2). Unknown fields are
//! ignored; only ids are required; enums keep unknown values.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::de::{lenient_bool, lenient_f64, lenient_i64, null_as_empty, string_enum};

string_enum! {
    /// `call_status`.
    pub enum CallStatus {
        Registered = "registered",
        Ongoing = "ongoing",
        Ended = "ended",
        NotConnected = "not_connected",
        Error = "error",
    }
}

impl CallStatus {
    /// `ended`, `not_connected` and `error` are final.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            CallStatus::Ended | CallStatus::NotConnected | CallStatus::Error
        )
    }

    /// Still occupying a concurrency slot.
    pub fn is_live(&self) -> bool {
        matches!(self, CallStatus::Registered | CallStatus::Ongoing)
    }
}

string_enum! {
    /// `phone_number_type`.
    pub enum PhoneNumberType {
        RetellTwilio = "retell-twilio",
        RetellTelnyx = "retell-telnyx",
        Custom = "custom",
    }
}

string_enum! {
    /// `call_type`.
    pub enum CallType { PhoneCall = "phone_call", WebCall = "web_call" }
}

string_enum! {
    /// `direction`.
    pub enum Direction { Inbound = "inbound", Outbound = "outbound" }
}

string_enum! {
    /// `disconnection_reason` (SDK 5.60 values plus the platform's `machine_detected`).
    pub enum DisconnectionReason {
        UserHangup = "user_hangup",
        AgentHangup = "agent_hangup",
        CallTransfer = "call_transfer",
        TransferBridged = "transfer_bridged",
        TransferCancelled = "transfer_cancelled",
        VoicemailReached = "voicemail_reached",
        IvrReached = "ivr_reached",
        Inactivity = "inactivity",
        MaxDurationReached = "max_duration_reached",
        ManualStopped = "manual_stopped",
        CallTakeOver = "call_take_over",
        MachineDetected = "machine_detected",
        DialBusy = "dial_busy",
        DialFailed = "dial_failed",
        DialNoAnswer = "dial_no_answer",
        InvalidDestination = "invalid_destination",
        UserDeclined = "user_declined",
        MarkedAsSpam = "marked_as_spam",
        RegisteredCallTimeout = "registered_call_timeout",
        ErrorUserNotJoined = "error_user_not_joined",
        ConcurrencyLimitReached = "concurrency_limit_reached",
        NoConcurrencyFallback = "no_concurrency_fallback",
        NoValidPayment = "no_valid_payment",
        ScamDetected = "scam_detected",
        TelephonyProviderPermissionDenied = "telephony_provider_permission_denied",
        TelephonyProviderUnavailable = "telephony_provider_unavailable",
        SipRoutingError = "sip_routing_error",
        ErrorLlmWebsocketOpen = "error_llm_websocket_open",
        ErrorLlmWebsocketLostConnection = "error_llm_websocket_lost_connection",
        ErrorLlmWebsocketRuntime = "error_llm_websocket_runtime",
        ErrorLlmWebsocketCorruptPayload = "error_llm_websocket_corrupt_payload",
        ErrorNoAudioReceived = "error_no_audio_received",
        ErrorAsr = "error_asr",
        ErrorRetell = "error_retell",
        ErrorUnknown = "error_unknown",
    }
}

/// Grouping of disconnection reasons [LD].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectionGroup {
    Normal,
    NotConnected,
    Limits,
    Telephony,
    Errors,
    /// A value launchdeck does not know.
    Unrecognised,
}

impl DisconnectionReason {
    pub fn group(&self) -> DisconnectionGroup {
        use DisconnectionReason as R;
        match self {
            R::UserHangup
            | R::AgentHangup
            | R::CallTransfer
            | R::TransferBridged
            | R::TransferCancelled
            | R::VoicemailReached
            | R::IvrReached
            | R::Inactivity
            | R::MaxDurationReached
            | R::ManualStopped
            | R::CallTakeOver
            | R::MachineDetected => DisconnectionGroup::Normal,
            R::DialBusy
            | R::DialFailed
            | R::DialNoAnswer
            | R::InvalidDestination
            | R::UserDeclined
            | R::MarkedAsSpam
            | R::RegisteredCallTimeout
            | R::ErrorUserNotJoined => DisconnectionGroup::NotConnected,
            R::ConcurrencyLimitReached
            | R::NoConcurrencyFallback
            | R::NoValidPayment
            | R::ScamDetected => DisconnectionGroup::Limits,
            R::TelephonyProviderPermissionDenied
            | R::TelephonyProviderUnavailable
            | R::SipRoutingError => DisconnectionGroup::Telephony,
            R::ErrorLlmWebsocketOpen
            | R::ErrorLlmWebsocketLostConnection
            | R::ErrorLlmWebsocketRuntime
            | R::ErrorLlmWebsocketCorruptPayload
            | R::ErrorNoAudioReceived
            | R::ErrorAsr
            | R::ErrorRetell
            | R::ErrorUnknown => DisconnectionGroup::Errors,
            R::Other(_) => DisconnectionGroup::Unrecognised,
        }
    }
}

/// `agent_version`: an integer or a tag (`latest`, `latest_published`, `prod`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentVersion {
    Number(i64),
    Tag(String),
}

impl<'de> Deserialize<'de> for AgentVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Ok(match &value {
            Value::String(tag) => match tag.parse::<i64>() {
                Ok(n) => AgentVersion::Number(n),
                Err(_) => AgentVersion::Tag(tag.clone()),
            },
            other => match crate::de::value_to_i64(other) {
                Some(n) => AgentVersion::Number(n),
                None => AgentVersion::Tag(other.to_string()),
            },
        })
    }
}

impl std::fmt::Display for AgentVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AgentVersion::Number(n) => write!(f, "{n}"),
            AgentVersion::Tag(tag) => f.write_str(tag),
        }
    }
}

fn lenient_version<'de, D: Deserializer<'de>>(d: D) -> Result<Option<AgentVersion>, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    Ok(match value {
        None | Some(Value::Null) => None,
        Some(v) => serde_json::from_value(v).ok(),
    })
}

/// get-concurrency. Outbound headroom = limit − reserved inbound − current.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Concurrency {
    #[serde(default, deserialize_with = "lenient_i64")]
    pub current_concurrency: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub concurrency_limit: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub base_concurrency: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub purchased_concurrency: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub concurrency_purchase_limit: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub remaining_purchase_limit: Option<i64>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub concurrency_burst_enabled: Option<bool>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub concurrency_burst_limit: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub reserved_inbound_concurrency: Option<i64>,
}

impl Concurrency {
    /// Free outbound slots, when the limit and current count are known (and the
    /// difference of the reply's figures fits an `i64`).
    pub fn outbound_headroom(&self) -> Option<i64> {
        let limit = self.concurrency_limit?;
        let current = self.current_concurrency?;
        limit
            .checked_sub(self.reserved_inbound_concurrency.unwrap_or(0))?
            .checked_sub(current)
    }
}

/// An agent as a list returns it (v2 summary, or a full legacy agent).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AgentSummary {
    pub agent_id: String,
    #[serde(default)]
    pub agent_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_version")]
    pub version: Option<AgentVersion>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_published: Option<bool>,
}

/// `response_engine`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ResponseEngine {
    #[serde(default, rename = "type")]
    pub engine_type: Option<String>,
    #[serde(default)]
    pub llm_id: Option<String>,
    #[serde(default)]
    pub llm_websocket_url: Option<String>,
    #[serde(default)]
    pub conversation_flow_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_version")]
    pub version: Option<AgentVersion>,
}

/// get-agent.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Agent {
    pub agent_id: String,
    #[serde(default, deserialize_with = "lenient_version")]
    pub version: Option<AgentVersion>,
    #[serde(default)]
    pub agent_name: Option<String>,
    #[serde(default)]
    pub response_engine: Option<ResponseEngine>,
    #[serde(default)]
    pub voice_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub last_modification_timestamp: Option<i64>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_published: Option<bool>,
    #[serde(default)]
    pub webhook_url: Option<String>,
}

/// One entry of a weighted agent list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WeightedAgent {
    pub agent_id: String,
    #[serde(default, deserialize_with = "lenient_version")]
    pub agent_version: Option<AgentVersion>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub weight: Option<f64>,
}

/// `sip_outbound_trunk_config` (never carries a password).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct SipOutboundTrunkConfig {
    #[serde(default)]
    pub termination_uri: Option<String>,
    #[serde(default)]
    pub auth_username: Option<String>,
    #[serde(default)]
    pub transport: Option<String>,
}

/// A Retell phone number (its id is the E.164 `phone_number`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PhoneNumber {
    pub phone_number: String,
    #[serde(default)]
    pub phone_number_type: Option<PhoneNumberType>,
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub last_modification_timestamp: Option<i64>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub inbound_agents: Vec<WeightedAgent>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub outbound_agents: Vec<WeightedAgent>,
    #[serde(default)]
    pub inbound_agent_id: Option<String>,
    #[serde(default)]
    pub outbound_agent_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_version")]
    pub inbound_agent_version: Option<AgentVersion>,
    #[serde(default, deserialize_with = "lenient_version")]
    pub outbound_agent_version: Option<AgentVersion>,
    #[serde(default)]
    pub sip_outbound_trunk_config: Option<SipOutboundTrunkConfig>,
    /// Legacy top-level termination URI.
    #[serde(default)]
    pub termination_uri: Option<String>,
}

impl PhoneNumber {
    /// Outbound agents: the weighted list if non-empty, else the deprecated single id.
    pub fn outbound_agent_ids(&self) -> Vec<&str> {
        agent_ids(&self.outbound_agents, self.outbound_agent_id.as_deref())
    }

    /// Inbound agents: the weighted list if non-empty, else the deprecated single id.
    pub fn inbound_agent_ids(&self) -> Vec<&str> {
        agent_ids(&self.inbound_agents, self.inbound_agent_id.as_deref())
    }

    /// Termination URI: nested in `sip_outbound_trunk_config`, else the top-level field.
    pub fn termination_uri(&self) -> Option<&str> {
        self.sip_outbound_trunk_config
            .as_ref()
            .and_then(|c| c.termination_uri.as_deref())
            .filter(|uri| !uri.is_empty())
            .or(self
                .termination_uri
                .as_deref()
                .filter(|uri| !uri.is_empty()))
    }
}

fn agent_ids<'a>(list: &'a [WeightedAgent], single: Option<&'a str>) -> Vec<&'a str> {
    if list.is_empty() {
        single.filter(|id| !id.is_empty()).into_iter().collect()
    } else {
        list.iter().map(|a| a.agent_id.as_str()).collect()
    }
}

/// `call_cost`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct CallCost {
    /// Cents.
    #[serde(default, deserialize_with = "lenient_f64")]
    pub combined_cost: Option<f64>,
}

/// `call_analysis`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct CallAnalysis {
    #[serde(default)]
    pub call_summary: Option<String>,
    #[serde(default)]
    pub user_sentiment: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub call_successful: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub in_voicemail: Option<bool>,
}

/// `telephony_identifier`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct TelephonyIdentifier {
    #[serde(default)]
    pub twilio_call_sid: Option<String>,
}

/// A Retell call. Transcripts and recording URLs are never read.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Call {
    pub call_id: String,
    pub call_status: CallStatus,
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_version")]
    pub agent_version: Option<AgentVersion>,
    #[serde(default)]
    pub call_type: Option<CallType>,
    #[serde(default)]
    pub from_number: Option<String>,
    #[serde(default)]
    pub to_number: Option<String>,
    #[serde(default)]
    pub direction: Option<Direction>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub start_timestamp: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub end_timestamp: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub duration_ms: Option<i64>,
    #[serde(default)]
    pub disconnection_reason: Option<DisconnectionReason>,
    #[serde(default)]
    pub metadata: Option<Value>,
    #[serde(default)]
    pub call_cost: Option<CallCost>,
    #[serde(default)]
    pub call_analysis: Option<CallAnalysis>,
    #[serde(default)]
    pub telephony_identifier: Option<TelephonyIdentifier>,
}

impl Call {
    /// `metadata.launchdeck_request_id`, set by launchdeck on create.
    pub fn launchdeck_request_id(&self) -> Option<&str> {
        self.metadata
            .as_ref()?
            .get("launchdeck_request_id")?
            .as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_prefers_lists_then_single_ids() {
        let both: PhoneNumber = serde_json::from_str(
            r#"{"phone_number":"+14155550123","outbound_agents":[{"agent_id":"a1","weight":0.5},{"agent_id":"a2","weight":0.5}],"outbound_agent_id":"old"}"#,
        )
        .expect("number");
        assert_eq!(both.outbound_agent_ids(), vec!["a1", "a2"]);
        let single: PhoneNumber = serde_json::from_str(
            r#"{"phone_number":"+1","outbound_agents":[],"outbound_agent_id":"old","inbound_agents":null}"#,
        )
        .expect("number");
        assert_eq!(single.outbound_agent_ids(), vec!["old"]);
        assert!(single.inbound_agent_ids().is_empty());
    }

    #[test]
    fn termination_uri_nested_else_top_level() {
        let nested: PhoneNumber = serde_json::from_str(
            r#"{"phone_number":"+1","sip_outbound_trunk_config":{"termination_uri":"a.pstn.twilio.com"},"termination_uri":"old"}"#,
        )
        .expect("number");
        assert_eq!(nested.termination_uri(), Some("a.pstn.twilio.com"));
        let top: PhoneNumber = serde_json::from_str(
            r#"{"phone_number":"+1","sip_outbound_trunk_config":null,"termination_uri":"old.pstn.twilio.com"}"#,
        )
        .expect("number");
        assert_eq!(top.termination_uri(), Some("old.pstn.twilio.com"));
    }

    #[test]
    fn loose_versions_and_unknown_reasons() {
        let call: Call = serde_json::from_str(
            r#"{"call_id":"c","call_status":"ended","agent_version":"latest","disconnection_reason":"machine_detected","extra":{"x":1}}"#,
        )
        .expect("call");
        assert_eq!(call.agent_version, Some(AgentVersion::Tag("latest".into())));
        assert_eq!(
            call.disconnection_reason,
            Some(DisconnectionReason::MachineDetected)
        );
        let call: Call = serde_json::from_str(
            r#"{"call_id":"c","call_status":"transferring","agent_version":3,"disconnection_reason":"brand_new"}"#,
        )
        .expect("call");
        assert_eq!(call.call_status, CallStatus::Other("transferring".into()));
        assert_eq!(call.agent_version, Some(AgentVersion::Number(3)));
        assert_eq!(
            call.disconnection_reason.map(|r| r.group()),
            Some(DisconnectionGroup::Unrecognised)
        );
    }

    #[test]
    fn headroom() {
        let c: Concurrency = serde_json::from_str(
            r#"{"current_concurrency":3,"concurrency_limit":20,"reserved_inbound_concurrency":2}"#,
        )
        .expect("concurrency");
        assert_eq!(c.outbound_headroom(), Some(15));
    }
}
