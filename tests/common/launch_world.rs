//! The first-campaign world of the end-to-end tests: a PostgreSQL database loaded with
//! the data set, the provider fakes holding what it says (agents, numbers, trunk, the
//! calls in flight, a calendar grant), and the settings the binary gets for them —
//! Retell and Twilio from the environment, the rest from a config file — so both
//! sources of secrets are used.

// Each test binary uses its own part.
#![allow(dead_code)]

#[path = "../../crates/ops/tests/world/mod.rs"]
pub mod world;

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use launchdeck_seed::first_campaign::SeedFacts;
use launchdeck_seed::{SeedData, pg};
use launchdeck_sim::fakes::{
    CallPlan, Faults, PastCall, RecordedRequest, TwilioCallPlan, TwilioOutcome,
};
use launchdeck_testkit::TestDb;
use serde_json::Value;
use uuid::Uuid;
use world::Fakes;

/// Numbers the operator owns (the test broadcast's allowlist); not lead numbers.
pub const OWNED: [&str; 2] = ["+12025550181", "+12025550182"];

/// A call still live at its provider long after the test is over.
const LIVE: Duration = Duration::from_secs(4 * 3600);

pub struct LaunchWorld {
    pub db: TestDb,
    pub fakes: Fakes,
    pub facts: SeedFacts,
    /// The rows as loaded.
    pub data: SeedData,
}

impl LaunchWorld {
    pub async fn new() -> LaunchWorld {
        let db = TestDb::create().await;
        let audio = world::audio_server().await;
        let (mut data, facts) = world::seed_data(&audio.base_url());
        give_the_calendar_a_refresh_token(&mut data);
        keep_few_calls_to_ask(&mut data, &facts);
        pg::load(db.pool(), &data)
            .await
            .expect("load first-campaign seed");
        let fakes = world::start_fakes(&facts, audio).await;
        know_the_seeded_calls(&fakes, &data, &facts);
        // Test calls: answered at once, ended a second later.
        fakes.retell.state().set_default_plan(CallPlan::answered(
            Duration::from_millis(300),
            Duration::from_secs(1),
        ));
        LaunchWorld {
            db,
            fakes,
            facts,
            data,
        }
    }

    /// Every secret the binary is given, a fake holds, or the platform keeps in its
    /// vault (the service role key the reconciler's health check needs).
    pub fn secrets(&self) -> Vec<String> {
        let vault = self
            .data
            .rows("vault.decrypted_secrets")
            .iter()
            .filter(|row| row.get("name").and_then(Value::as_str) != Some("project_url"))
            .filter_map(|row| row.get("decrypted_secret").and_then(Value::as_str));
        world::secrets()
            .into_iter()
            .chain(vault)
            .map(str::to_string)
            .collect()
    }

    /// Retell and Twilio: their keys and base URLs, as the environment gives them.
    pub fn provider_env(&self) -> Vec<(&'static str, String)> {
        let f = &self.fakes;
        vec![
            ("RETELL_AI_API_KEY", world::RETELL_KEY.to_string()),
            ("LAUNCHDECK_RETELL_BASE_URL", f.retell.base_url()),
            ("TWILIO_ACCOUNT_SID", world::TWILIO_SID.to_string()),
            ("TWILIO_AUTH_TOKEN", world::TWILIO_TOKEN.to_string()),
            ("LAUNCHDECK_TWILIO_BASE_URL", f.twilio.base_url()),
            (
                "LAUNCHDECK_TWILIO_TRUNKING_BASE_URL",
                f.twilio.trunking_base_url(),
            ),
        ]
    }

    /// The rest as a config file: the database, ElevenLabs, Google, the test
    /// broadcast's allowlist, and trace logging.
    pub fn config_text(&self, database_url: &str) -> String {
        let f = &self.fakes;
        let allowlist = OWNED.map(|n| format!("\"{n}\"")).join(", ");
        format!(
            "[database]\nurl = \"{database_url}\"\n\n\
             [elevenlabs]\napi_key = \"{eleven}\"\nbase_url = \"{eleven_url}\"\n\n\
             [google]\nclient_id = \"{client}\"\nclient_secret = \"{secret}\"\n\
             token_url = \"{token_url}\"\ncalendar_base_url = \"{calendar_url}\"\n\n\
             [test_broadcast]\nallowlist = [{allowlist}]\n\n\
             [logging]\nlevel = \"trace\"\n",
            eleven = world::ELEVENLABS_KEY,
            eleven_url = f.elevenlabs.base_url(),
            client = world::GOOGLE_CLIENT_ID,
            secret = world::GOOGLE_CLIENT_SECRET,
            token_url = f.google.token_url(),
            calendar_url = f.google.calendar_base_url(),
        )
    }

    fn faults(&self) -> [(&'static str, &Faults); 4] {
        let f = &self.fakes;
        [
            ("retell", f.retell.faults()),
            ("twilio", f.twilio.faults()),
            ("elevenlabs", f.elevenlabs.faults()),
            ("google", f.google.faults()),
        ]
    }

    /// Every request that changes something at a provider (a create, an update, a
    /// hang-up, a token grant), as `provider METHOD path`.
    pub fn mutations(&self) -> Vec<String> {
        self.faults()
            .iter()
            .flat_map(|(provider, faults)| {
                faults
                    .requests()
                    .into_iter()
                    .filter(is_mutation)
                    .map(move |r| format!("{provider} {} {}", r.method, r.path))
            })
            .collect()
    }

    /// How many requests the fakes received.
    pub fn requests(&self) -> usize {
        self.faults().iter().map(|(_, f)| f.requests().len()).sum()
    }

    /// Every fake answers every request with `status` until [`LaunchWorld::recover`].
    pub fn providers_answer(&self, status: u16) {
        use launchdeck_sim::fakes::{Fault, Route};
        for (_, faults) in self.faults() {
            faults.inject_always(Route::all(), Fault::status(status));
        }
    }

    pub fn providers_recover(&self) {
        for (_, faults) in self.faults() {
            faults.clear();
        }
    }
}

/// Reads are GETs and the POSTs that list (Retell's agents and calls).
fn is_mutation(request: &RecordedRequest) -> bool {
    const LISTS: [&str; 3] = ["/v2/list-agents", "/v3/list-calls", "/v2/list-calls"];
    request.method != "GET" && !LISTS.contains(&request.path.as_str())
}

/// Writes `text` at `path` with mode 0600 (a file holding secrets must be private).
pub fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().expect("a parent dir")).expect("config dir");
    std::fs::write(path, text).expect("write the config file");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod 600");
}

/// The seed's calendar has no refresh token; production's do: a known one.
fn give_the_calendar_a_refresh_token(data: &mut SeedData) {
    let token = BASE64.encode(world::GOOGLE_REFRESH_TOKEN);
    for row in &mut data.table("calendar_integrations").rows {
        row.insert(
            "refresh_token_encrypted".into(),
            Value::String(token.clone()),
        );
    }
}

/// How many of the seed's stuck calls of each provider keep their provider call id:
/// cleanup asks the provider about each, one a second, at every plan.
const ASKED_PER_PROVIDER: usize = 4;

/// The other stuck calls lose their provider call id, so the platform's timeout rule
/// settles them without a question.
fn keep_few_calls_to_ask(data: &mut SeedData, facts: &SeedFacts) {
    let forget = |table: &'static str, column: &str, ids: &[Uuid], data: &mut SeedData| {
        let ids: Vec<String> = ids
            .iter()
            .skip(ASKED_PER_PROVIDER)
            .map(Uuid::to_string)
            .collect();
        for row in &mut data.table(table).rows {
            if row
                .get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| ids.iter().any(|i| i == id))
            {
                row.insert(column.into(), Value::Null);
            }
        }
    };
    forget(
        "call_logs",
        "retell_call_id",
        &facts.stale.call_logs_past_max_duration,
        data,
    );
    forget(
        "broadcast_queue",
        "call_sid",
        &facts.stale.broadcast_queue_calling,
        data,
    );
}

/// The fakes learn the seed's calls in flight, so cleanup's questions get answers
/// that carry lead numbers: half of the stuck broadcast calls still live at Twilio
/// (hung up with `--hang-up`), half ended; the Retell calls as the seed says.
fn know_the_seeded_calls(fakes: &Fakes, data: &SeedData, facts: &SeedFacts) {
    let stale: Vec<String> = facts
        .stale
        .broadcast_queue_calling
        .iter()
        .map(Uuid::to_string)
        .collect();
    let rows = data.rows("broadcast_queue").iter().filter(|row| {
        let has_sid = row.get("call_sid").and_then(Value::as_str).is_some();
        let is_stale = row
            .get("id")
            .and_then(Value::as_str)
            .is_some_and(|id| stale.iter().any(|s| s == id));
        has_sid && is_stale
    });
    for (i, row) in rows.enumerate() {
        let field = |key: &str| row.get(key).and_then(Value::as_str).unwrap_or_default();
        let talk = if i % 2 == 0 {
            LIVE
        } else {
            Duration::from_secs(30)
        };
        let plan = TwilioCallPlan {
            queued: Duration::ZERO,
            ringing: Duration::from_secs(1),
            outcome: TwilioOutcome::Completed { talk },
        };
        let created = field("updated_at")
            .parse::<DateTime<Utc>>()
            .unwrap_or_else(|_| Utc::now());
        fakes.twilio.state().add_past_call(
            field("call_sid"),
            field("phone_number"),
            &facts.broadcast_a.caller_id,
            plan,
            created,
        );
    }
    for call in &facts.retell_calls {
        let plan = match call.ended_at {
            Some(ended) => CallPlan::answered(
                Duration::ZERO,
                (ended - call.started_at).to_std().unwrap_or_default(),
            ),
            None => CallPlan::answered(Duration::ZERO, LIVE),
        };
        let past = PastCall {
            call_id: call.call_id.clone(),
            agent_id: call.agent_id.clone(),
            from_number: call.from_number.clone(),
            to_number: call.to_number.clone(),
        };
        fakes
            .retell
            .state()
            .add_past_call(past, plan, call.started_at);
    }
}
