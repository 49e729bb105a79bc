//! The test broadcast's store contract: the target (any status, scope-checked), the
//! draft test broadcast created once as a copy, the rows inserted as the platform
//! writes them before dialling, and each write applied only while the row is still as
//! the previous step left it.

use launchdeck_core::actions::StatusTarget;
use launchdeck_core::domain::{CallSource, Scope};
use launchdeck_core::test_broadcast::{
    FinalState, TestCallUpdate, TestCallWrite, TestRowInsert, test_broadcast_name,
};
use launchdeck_store::Store;
use serde_json::json;
use uuid::Uuid;

use super::{
    ORG_A, Seeder, USER_A1, USER_B1, all, broadcast, campaign, id, new_seed, org_of, phone,
};

async fn row(seeder: &dyn Seeder, sql: &str) -> Vec<Option<String>> {
    let mut rows = seeder.texts(sql).await;
    assert_eq!(rows.len(), 1, "{sql}");
    rows.remove(0)
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

/// Broadcasts and campaigns are found whatever their status, with their owner and
/// whether they lie in the scope; an unknown id is `None`.
pub async fn test_targets_and_scope(store: &dyn Store, seeder: &dyn Seeder) {
    let mut data = new_seed(seeder);
    let (b, c, other) = (id(900), id(901), id(902));
    broadcast(&mut data, b, USER_A1, "Spring promo", "completed");
    if let Some(row) = data.table("voice_broadcasts").rows.last_mut() {
        row.insert("audio_url".into(), json!("https://cdn.example/spring.mp3"));
        row.insert("ivr_mode".into(), json!("dtmf"));
    }
    campaign(&mut data, c, USER_A1, "Renewals", "paused");
    campaign(&mut data, other, USER_B1, "Theirs", "active");
    seeder.load(&data).await;

    let found = store
        .test_target(StatusTarget::broadcast(b), &all())
        .await
        .expect("read")
        .expect("broadcast");
    assert_eq!(
        (found.name.as_str(), found.status.as_str(), found.user_id),
        ("Spring promo", "completed", USER_A1)
    );
    assert_eq!(
        found.audio_url.as_deref(),
        Some("https://cdn.example/spring.mp3")
    );
    assert_eq!(found.caller_id.as_deref(), Some("+14155550000"));
    assert_eq!(found.ivr_mode.as_deref(), Some("dtmf"));
    assert!(found.in_scope && found.organization_id.is_none());

    let camp = store
        .test_target(StatusTarget::campaign(c), &all())
        .await
        .expect("read")
        .expect("campaign");
    assert_eq!(camp.agent_id.as_deref(), Some("agent_123"));
    assert_eq!(camp.organization_id, Some(ORG_A));
    let org_a = Scope {
        user_id: None,
        org_id: Some(ORG_A),
    };
    let theirs = store
        .test_target(StatusTarget::campaign(other), &org_a)
        .await
        .expect("read")
        .expect("found whatever the scope");
    assert!(!theirs.in_scope);
    assert!(
        store
            .test_target(StatusTarget::broadcast(id(999)), &all())
            .await
            .expect("read")
            .is_none()
    );
}

/// The draft test broadcast is a copy of the original's message, audio and DTMF
/// settings, in `draft`; asked again (or by two consoles at once) it is found, not
/// created twice. The original is untouched.
pub async fn test_broadcast_draft_created_once(store: &dyn Store, seeder: &dyn Seeder) {
    let mut data = new_seed(seeder);
    let b = id(910);
    broadcast(&mut data, b, USER_A1, "Spring promo", "active");
    if let Some(row) = data.table("voice_broadcasts").rows.last_mut() {
        row.insert("audio_url".into(), json!("https://cdn.example/spring.mp3"));
        row.insert(
            "dtmf_actions".into(),
            json!([{"digit": "1", "label": "Talk", "action": "transfer", "transfer_to": "+14155550111"}]),
        );
        row.insert("calls_made".into(), json!(7));
    }
    seeder.load(&data).await;
    let name = test_broadcast_name("Spring promo");

    let (first, second) = tokio::join!(
        store.ensure_test_broadcast(b, &name),
        store.ensure_test_broadcast(b, &name)
    );
    let (first, second) = (first.expect("ensure"), second.expect("ensure"));
    assert_eq!(first.0, second.0, "one draft for both");
    assert_eq!(
        [first.1, second.1].iter().filter(|c| **c).count(),
        1,
        "created once: {first:?} {second:?}"
    );
    let again = store.ensure_test_broadcast(b, &name).await.expect("ensure");
    assert_eq!(again, (first.0, false));

    let copies = seeder
        .texts(&format!(
            "SELECT CAST(id AS text), status, message_text, audio_url, CAST(user_id AS text), \
             CAST(dtmf_actions AS text), CAST(coalesce(calls_made, 0) AS text) \
             FROM voice_broadcasts WHERE name = '{name}'"
        ))
        .await;
    assert_eq!(copies.len(), 1, "{copies:?}");
    let copy = &copies[0];
    assert_eq!(copy[0], Some(first.0.to_string()));
    assert_eq!(copy[1], s("draft"));
    assert_eq!(copy[2], s("Hello from Spring promo"));
    assert_eq!(copy[3], s("https://cdn.example/spring.mp3"));
    assert_eq!(copy[4], Some(USER_A1.to_string()));
    let dtmf: serde_json::Value =
        serde_json::from_str(copy[5].as_deref().expect("dtmf")).expect("JSON");
    assert_eq!(dtmf[0]["transfer_to"], "+14155550111");
    assert_eq!(copy[6], s("0"), "the copy's counters start at zero");
    let original = row(
        seeder,
        &format!("SELECT status, CAST(calls_made AS text) FROM voice_broadcasts WHERE id = '{b}'"),
    )
    .await;
    assert_eq!(original, vec![s("active"), s("7")]);
}

fn write(source: CallSource, id: Uuid, update: TestCallUpdate) -> TestCallWrite {
    TestCallWrite { source, id, update }
}

fn ended(status: &str, outcome: Option<&str>, secs: i64) -> FinalState {
    FinalState {
        status: status.into(),
        outcome: outcome.map(String::from),
        duration_seconds: Some(secs),
        started_at: Some(chrono::Utc::now() - chrono::Duration::seconds(secs)),
        ended_at: Some(chrono::Utc::now()),
        reason: "user_hangup".into(),
    }
}

/// Rows are inserted in the state the platform writes before dialling; each write
/// applies once, only from the state the previous step left; the call_logs values
/// satisfy the platform's CHECKs and its evidence guard (a Retell id is set once).
pub async fn test_rows_and_conditional_writes(store: &dyn Store, seeder: &dyn Seeder) {
    let mut data = new_seed(seeder);
    let b = id(920);
    broadcast(&mut data, b, USER_A1, "launchdeck test — Spring", "draft");
    seeder.load(&data).await;

    // broadcast_queue: calling, attempts 1; placed → call sid; ended → completed.
    let q = store
        .insert_test_row(&TestRowInsert::BroadcastQueue {
            broadcast_id: b,
            phone_number: phone(101),
            lead_name: "launchdeck test call".into(),
        })
        .await
        .expect("insert");
    let q_sql = format!(
        "SELECT status, CAST(attempts AS text), call_sid, error_code, \
         CAST(call_duration_seconds AS text) FROM broadcast_queue WHERE id = '{q}'"
    );
    assert_eq!(
        row(seeder, &q_sql).await,
        vec![s("calling"), s("1"), None, None, None]
    );
    let placed = write(
        CallSource::BroadcastQueue,
        q,
        TestCallUpdate::Placed {
            provider_call_id: "CA0001".into(),
        },
    );
    assert!(store.write_test_call(&placed).await.expect("placed"));
    assert!(
        !store.write_test_call(&placed).await.expect("again"),
        "once"
    );
    let rejected = write(
        CallSource::BroadcastQueue,
        q,
        TestCallUpdate::Failed {
            code: "TEST_CALL_REJECTED".into(),
            reason: "r".into(),
        },
    );
    assert!(!store.write_test_call(&rejected).await.expect("moved on"));
    let wrong_sid = write(
        CallSource::BroadcastQueue,
        q,
        TestCallUpdate::Final {
            provider_call_id: "CA0002".into(),
            state: ended("completed", None, 20),
        },
    );
    assert!(!store.write_test_call(&wrong_sid).await.expect("other call"));
    let done = write(
        CallSource::BroadcastQueue,
        q,
        TestCallUpdate::Final {
            provider_call_id: "CA0001".into(),
            state: ended("completed", None, 20),
        },
    );
    assert!(store.write_test_call(&done).await.expect("final"));
    assert!(!store.write_test_call(&done).await.expect("final again"));
    assert_eq!(
        row(seeder, &q_sql).await,
        vec![s("completed"), s("1"), s("CA0001"), None, s("20")]
    );

    // broadcast_queue: acceptance unknown → not found → failed.
    let q2 = store
        .insert_test_row(&TestRowInsert::BroadcastQueue {
            broadcast_id: b,
            phone_number: phone(102),
            lead_name: "launchdeck test call".into(),
        })
        .await
        .expect("insert");
    let unknown = write(
        CallSource::BroadcastQueue,
        q2,
        TestCallUpdate::AcceptanceUnknown {
            reason: "Twilio HTTP 500".into(),
        },
    );
    assert!(store.write_test_call(&unknown).await.expect("unknown"));
    let q2_sql = format!(
        "SELECT status, call_sid, error_code, error_message FROM broadcast_queue WHERE id = '{q2}'"
    );
    assert_eq!(
        row(seeder, &q2_sql).await,
        vec![
            s("calling"),
            None,
            s("ACCEPTANCE_UNKNOWN"),
            s("Twilio HTTP 500")
        ]
    );
    let not_found = write(
        CallSource::BroadcastQueue,
        q2,
        TestCallUpdate::NotFound {
            reason: "probably not placed".into(),
        },
    );
    assert!(store.write_test_call(&not_found).await.expect("not found"));
    assert_eq!(row(seeder, &q2_sql).await[0], s("failed"));

    // call_logs: queued, campaign NULL, the note; unknown → found → ended.
    let c = store
        .insert_test_row(&TestRowInsert::CallLogs {
            user_id: USER_A1,
            organization_id: org_of(USER_A1),
            phone_number: phone(103),
            caller_id: phone(9),
            agent_id: "agent_123".into(),
            notes: "launchdeck test call for campaign \"Renewals\"".into(),
        })
        .await
        .expect("insert call log");
    let c_sql = format!(
        "SELECT status, retell_call_id, CAST(campaign_id AS text), notes, outcome, \
         CASE WHEN provider_reconciliation_required THEN 'held' ELSE 'free' END, \
         CAST(duration_seconds AS text), CASE WHEN ended_at IS NULL THEN 'open' ELSE 'ended' END \
         FROM call_logs WHERE id = '{c}'"
    );
    let before = row(seeder, &c_sql).await;
    assert_eq!(before[0], s("queued"));
    assert_eq!(before[2], None, "campaign_id stays NULL");
    assert_eq!(before[5], s("free"));
    let unknown = write(
        CallSource::CallLogs,
        c,
        TestCallUpdate::AcceptanceUnknown {
            reason: "Retell HTTP 500".into(),
        },
    );
    assert!(store.write_test_call(&unknown).await.expect("unknown"));
    assert!(!store.write_test_call(&unknown).await.expect("once"));
    let held = row(seeder, &c_sql).await;
    assert_eq!((held[0].clone(), held[5].clone()), (s("queued"), s("held")));
    assert!(
        held[3]
            .as_deref()
            .is_some_and(|n| n.contains("ACCEPTANCE_UNKNOWN: Retell HTTP 500")
                && n.starts_with("launchdeck test call for campaign")),
        "{held:?}"
    );
    let found = write(
        CallSource::CallLogs,
        c,
        TestCallUpdate::Found {
            provider_call_id: "call_abc".into(),
        },
    );
    assert!(store.write_test_call(&found).await.expect("found"));
    let ringing = row(seeder, &c_sql).await;
    assert_eq!(
        (ringing[0].clone(), ringing[1].clone(), ringing[5].clone()),
        (s("ringing"), s("call_abc"), s("free"))
    );
    // The evidence guard: a set Retell id is never rewritten (the write does not match).
    let other = write(
        CallSource::CallLogs,
        c,
        TestCallUpdate::Placed {
            provider_call_id: "call_other".into(),
        },
    );
    assert!(!store.write_test_call(&other).await.expect("no rewrite"));
    let end = write(
        CallSource::CallLogs,
        c,
        TestCallUpdate::Final {
            provider_call_id: "call_abc".into(),
            state: ended("completed", Some("completed"), 45),
        },
    );
    assert!(store.write_test_call(&end).await.expect("final"));
    let after = row(seeder, &c_sql).await;
    assert_eq!(
        (
            after[0].clone(),
            after[4].clone(),
            after[6].clone(),
            after[7].clone()
        ),
        (s("completed"), s("completed"), s("45"), s("ended"))
    );

    // call_logs: rejected → failed with the reason; nothing after that.
    let r = store
        .insert_test_row(&TestRowInsert::CallLogs {
            user_id: USER_A1,
            organization_id: ORG_A,
            phone_number: phone(104),
            caller_id: phone(9),
            agent_id: "agent_123".into(),
            notes: "launchdeck test call".into(),
        })
        .await
        .expect("insert");
    let failed = write(
        CallSource::CallLogs,
        r,
        TestCallUpdate::Failed {
            code: "TEST_CALL_REJECTED".into(),
            reason: "Retell HTTP 402".into(),
        },
    );
    assert!(store.write_test_call(&failed).await.expect("failed"));
    let r_sql = format!("SELECT status, outcome, notes FROM call_logs WHERE id = '{r}'");
    let failed_row = row(seeder, &r_sql).await;
    assert_eq!(
        (failed_row[0].clone(), failed_row[1].clone()),
        (s("failed"), s("failed"))
    );
    assert!(
        failed_row[2]
            .as_deref()
            .is_some_and(|n| n.ends_with("TEST_CALL_REJECTED: Retell HTTP 402")),
        "{failed_row:?}"
    );
}
