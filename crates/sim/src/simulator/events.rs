//! The breakages that happen to a live platform now and then: a Google access token
//! expires, a Retell number loses its outbound agent.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::Rng;
use serde_json::{Value, json};

use super::{Sim, bump, db};
use crate::fakes::FakeNumber;

impl Sim {
    /// Every Google integration's access token stops working at the fake, and the
    /// database says it expired now (readiness then warns: press `t`). A token the
    /// operator refreshed meanwhile is left alone.
    pub(super) async fn expire_google_tokens(&mut self) {
        let rows: Vec<(String, Option<String>)> = match sqlx::query_as(
            "SELECT id, access_token_encrypted FROM calendar_integrations WHERE provider = 'google'",
        )
        .fetch_all(&self.pool)
        .await
        {
            Ok(rows) => rows,
            Err(e) => return self.db_error("reading calendar integrations", &e),
        };
        for (id, stored) in rows {
            if let Some(token) = stored.as_deref().and_then(decode_token) {
                self.providers
                    .google
                    .add_access_token(&token, Duration::ZERO);
            }
            let expired = sqlx::query(
                "UPDATE calendar_integrations SET token_expires_at = ?1
                 WHERE id = ?2 AND access_token_encrypted IS ?3",
            )
            .bind(db::now())
            .bind(&id)
            .bind(stored.as_deref())
            .execute(&self.pool)
            .await;
            match expired {
                Ok(done) if done.rows_affected() == 1 => {
                    bump(&self.stats.token_expiries, 1);
                    tracing::info!("simulator: the Google token of integration {id} expired");
                }
                Ok(_) => {}
                Err(e) => self.db_error("expiring a calendar token", &e),
            }
        }
    }

    /// One Retell number that still has an outbound agent loses it (the old bug: a
    /// number updated with its inbound agent only) — unless a number already lacks
    /// one, or the operator changed a number's agents within the respite.
    pub(super) fn lose_an_outbound_agent(&mut self) {
        let retell = &self.providers.retell;
        let numbers: Vec<Value> = self
            .providers
            .retell_numbers
            .iter()
            .filter_map(|phone| retell.number(phone))
            .collect();
        let now_ms = retell.clock().now_ms();
        let respite = i64::try_from(self.config.agent_loss_respite.as_millis()).unwrap_or(i64::MAX);
        let fixed_lately = |n: &Value| {
            n["last_modification_timestamp"]
                .as_i64()
                .is_some_and(|at| (0..respite).contains(&(now_ms - at)))
        };
        if numbers.is_empty()
            || numbers
                .iter()
                .any(|n| !has_outbound_agent(n) || fixed_lately(n))
        {
            return;
        }
        let number = &numbers[self.rng.random_range(0..numbers.len())];
        let phone = number["phone_number"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        retell.add_number(without_outbound_agent(number, now_ms));
        bump(&self.stats.agents_lost, 1);
        tracing::info!("simulator: Retell number {phone} lost its outbound agent");
    }
}

/// A stored token is base64 of the plaintext (schema.md calendar_integrations).
fn decode_token(stored: &str) -> Option<String> {
    let bytes = BASE64.decode(stored.trim()).ok()?;
    String::from_utf8(bytes).ok().filter(|t| !t.is_empty())
}

fn has_outbound_agent(number: &Value) -> bool {
    let listed = number["outbound_agents"]
        .as_array()
        .is_some_and(|agents| !agents.is_empty());
    listed
        || number["outbound_agent_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
}

/// The same number with an empty outbound list and no deprecated outbound agent,
/// modified at `now_ms`.
fn without_outbound_agent(number: &Value, now_ms: i64) -> FakeNumber {
    let phone = number["phone_number"].as_str().unwrap_or_default();
    let mut rebuilt = FakeNumber::new(phone);
    if let Some(fields) = number.as_object() {
        for (key, value) in fields {
            rebuilt = rebuilt.field(key, value.clone());
        }
    }
    rebuilt
        .field("outbound_agents", json!([]))
        .field("outbound_agent_id", Value::Null)
        .field("last_modification_timestamp", json!(now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_decode_from_storage() {
        assert_eq!(
            decode_token(&BASE64.encode("ya29.x")).as_deref(),
            Some("ya29.x")
        );
        assert_eq!(decode_token("%%%"), None);
        assert_eq!(decode_token(""), None);
    }

    #[test]
    fn outbound_agents_are_removed_in_both_forms() {
        let listed = json!({"phone_number": "+1415", "outbound_agents": [{"agent_id": "a"}]});
        assert!(has_outbound_agent(&listed));
        let legacy =
            json!({"phone_number": "+1415", "outbound_agents": [], "outbound_agent_id": "a"});
        assert!(has_outbound_agent(&legacy));
        assert!(!has_outbound_agent(&json!({"outbound_agents": []})));
        let state = crate::fakes::RetellState::new("k");
        state.add_number(without_outbound_agent(&legacy, 7));
        let stored = state.number("+1415").unwrap_or_default();
        assert!(!has_outbound_agent(&stored));
        assert_eq!(stored["phone_number"], "+1415");
        assert_eq!(stored["last_modification_timestamp"], 7);
    }
}
