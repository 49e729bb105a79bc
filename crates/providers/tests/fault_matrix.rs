//! The provider fault matrix (quality.md "Reliability"): every client operation the
//! console uses × every fault a provider or the path to it can produce, in one table.
//! For each pair: no panic; an error that names the provider and what went wrong, with
//! no secret in it; the readiness verdict it maps to; how many requests reached the
//! fake (retries bounded, a `Retry-After` obeyed or refused when too long); and for
//! every mutation that a request the provider may have acted on is never re-sent
//! blindly.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use common::*;
use launchdeck_providers::{
    CheckVerdict, CreateCallOutcome, ElevenLabsClient, ErrorKind, GoogleCalendarClient,
    GoogleOAuthClient, HttpConfig, ProviderError,
};
use launchdeck_sim::fakes::{CallPlan, Fault, PathMode, Route, TwilioCallPlan, TwilioOutcome};

/// What an operation came to, whatever its return type.
#[derive(Debug)]
enum Outcome {
    Ok,
    Failed(ProviderError),
    /// A create whose fate is unknown (never redialled; reconciled instead).
    Unknown(ProviderError),
    /// A create that certainly reached no provider.
    NotSent(ProviderError),
}

impl Outcome {
    fn error(&self) -> Option<&ProviderError> {
        match self {
            Outcome::Ok => None,
            Outcome::Failed(e) | Outcome::Unknown(e) | Outcome::NotSent(e) => Some(e),
        }
    }
}

fn result<T>(r: Result<T, ProviderError>) -> Outcome {
    r.map_or_else(Outcome::Failed, |_| Outcome::Ok)
}

fn created<C>(outcome: CreateCallOutcome<C>) -> Outcome {
    match outcome {
        CreateCallOutcome::Placed(_) => Outcome::Ok,
        CreateCallOutcome::Rejected(e) => Outcome::Failed(e),
        CreateCallOutcome::NotSent(e) => Outcome::NotSent(e),
        CreateCallOutcome::AcceptanceUnknown(e) => Outcome::Unknown(e),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Safe to repeat: retried on 5xx, timeouts, lost connections and rate limits.
    Read,
    /// Repeating it asks for a second effect (a second call): never re-sent.
    Create,
    /// Idempotent in effect, re-sent at most once and only after reading back that the
    /// first did not take (update number, stop call).
    CheckedMutation,
    /// A token grant: repeating it only yields another access token.
    Grant,
}

#[derive(Debug, Clone, Copy)]
enum Op {
    RetellConcurrency,
    RetellListAgents(PathMode),
    RetellUpdateNumber,
    RetellCreateCall,
    RetellStopCall,
    TwilioAccount,
    TwilioNumbers,
    TwilioTrunks,
    TwilioCreateCall,
    TwilioHangUp,
    ElevenLabsSubscription,
    GoogleRefresh,
    GoogleCalendarList,
}

const OPS: [Op; 14] = [
    Op::RetellConcurrency,
    Op::RetellListAgents(PathMode::Current),
    Op::RetellListAgents(PathMode::Legacy),
    Op::RetellUpdateNumber,
    Op::RetellCreateCall,
    Op::RetellStopCall,
    Op::TwilioAccount,
    Op::TwilioNumbers,
    Op::TwilioTrunks,
    Op::TwilioCreateCall,
    Op::TwilioHangUp,
    Op::ElevenLabsSubscription,
    Op::GoogleRefresh,
    Op::GoogleCalendarList,
];

impl Op {
    fn kind(self) -> Kind {
        match self {
            Op::RetellCreateCall | Op::TwilioCreateCall => Kind::Create,
            Op::RetellUpdateNumber | Op::RetellStopCall | Op::TwilioHangUp => Kind::CheckedMutation,
            Op::GoogleRefresh => Kind::Grant,
            _ => Kind::Read,
        }
    }

    /// The requests the fault is put on.
    fn route(self) -> Route {
        let account = format!("/2010-04-01/Accounts/{TWILIO_SID}");
        match self {
            Op::RetellConcurrency => Route::get("/get-concurrency"),
            Op::RetellListAgents(PathMode::Current) => Route::post("/v2/list-agents"),
            Op::RetellListAgents(PathMode::Legacy) => Route::get("/list-agents"),
            Op::RetellUpdateNumber => Route::patch("/update-phone-number/"),
            Op::RetellCreateCall => Route::post("/v2/create-phone-call"),
            Op::RetellStopCall => Route::post("/v2/stop-call/"),
            Op::TwilioAccount => Route::get(&format!("{account}.json")),
            Op::TwilioNumbers => Route::get(&format!("{account}/IncomingPhoneNumbers.json")),
            Op::TwilioTrunks => Route::get("/v1/Trunks"),
            Op::TwilioCreateCall => Route::post(&format!("{account}/Calls.json")),
            Op::TwilioHangUp => Route::post(&format!("{account}/Calls/")),
            Op::ElevenLabsSubscription => Route::get("/v1/user/subscription"),
            Op::GoogleRefresh => Route::post("/token"),
            Op::GoogleCalendarList => Route::get("/calendar/v3/users/me/calendarList"),
        }
    }
}

#[derive(Debug, Clone)]
enum Injected {
    /// The fault on every request of the route.
    Always(Fault),
    /// The fault on the first request only.
    Once(Fault),
    /// The client points at a port nothing listens on.
    Refused,
}

#[derive(Debug, Clone)]
struct Case {
    name: &'static str,
    injected: Injected,
}

fn cases() -> Vec<Case> {
    let always = |name, fault| Case {
        name,
        injected: Injected::Always(fault),
    };
    let once = |name, fault| Case {
        name,
        injected: Injected::Once(fault),
    };
    vec![
        always("401", Fault::status(401)),
        always("403", Fault::status(403)),
        always("404", Fault::status(404)),
        always("422", Fault::status(422)),
        always("429", Fault::rate_limited(None)),
        once("429 Retry-After 1 s", Fault::rate_limited(Some("1"))),
        always("429 Retry-After 120 s", Fault::rate_limited(Some("120"))),
        always("500", Fault::status(500)),
        always("503", Fault::status(503)),
        once("503 once", Fault::status(503)),
        always("timeout", Fault::Delay(LATE)),
        Case {
            name: "connection refused",
            injected: Injected::Refused,
        },
        always("body cut mid-way", Fault::CutBody),
        always("malformed JSON", Fault::MalformedJson),
        always("HTML error page", Fault::HtmlPage { status: 502 }),
        always("unknown fields", Fault::ExtraFields),
        once("reply lost after the request", Fault::LostReply),
    ]
}

/// Near-zero backoff; a short time limit only where the fake answers too late.
fn config(case: &Case) -> HttpConfig {
    if case.name == "timeout" {
        short_timeout()
    } else {
        fast()
    }
}

/// A port bound but not listening (connections are refused), held for the run so that
/// no other fake of the matrix can take it.
fn refused_port() -> (tokio::net::TcpSocket, String) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("address"))
        .expect("bind");
    let addr = socket.local_addr().expect("addr");
    (socket, format!("http://{addr}"))
}

/// A Retell call still ringing for the whole run, created before the fault.
async fn live_retell_call(fake: &launchdeck_sim::fakes::RetellFake) -> String {
    let long = Duration::from_secs(600);
    fake.state().push_plan(CallPlan::answered(long, long));
    let client = retell_client(fake, &fast());
    match client.create_call(&new_call()).await {
        CreateCallOutcome::Placed(call) => call.call_id,
        other => panic!("a call before the fault: {other:?}"),
    }
}

/// A Twilio call that rings for the whole run.
fn long_twilio_call() -> TwilioCallPlan {
    TwilioCallPlan {
        queued: Duration::ZERO,
        ringing: Duration::from_secs(600),
        outcome: TwilioOutcome::NoAnswer,
    }
}

/// What one run observed.
#[derive(Debug)]
struct Observed {
    outcome: Outcome,
    /// Requests that reached the faulted route.
    sent: usize,
    elapsed: Duration,
}

type Run = Pin<Box<dyn Future<Output = Observed> + Send>>;

fn run(op: Op, case: Case) -> Run {
    Box::pin(async move {
        let faults = |f: &launchdeck_sim::fakes::Faults| match &case.injected {
            Injected::Always(fault) => f.inject_always(op.route(), fault.clone()),
            Injected::Once(fault) => f.inject(op.route(), fault.clone(), 1),
            Injected::Refused => {}
        };
        let refused = matches!(case.injected, Injected::Refused);
        let (_held, dead) = refused_port();
        let pick = |live: String| if refused { dead.clone() } else { live };
        let config = config(&case);
        let started = Instant::now();
        match op {
            Op::RetellConcurrency
            | Op::RetellListAgents(_)
            | Op::RetellUpdateNumber
            | Op::RetellCreateCall
            | Op::RetellStopCall => {
                let fake = retell_fake().await;
                if let Op::RetellListAgents(mode) = op {
                    fake.state().set_path_mode(mode);
                }
                let live_call = match op {
                    Op::RetellStopCall => live_retell_call(&fake).await,
                    _ => String::new(),
                };
                faults(fake.faults());
                let client = launchdeck_providers::RetellClient::new(
                    &pick(fake.base_url()),
                    secret(RETELL_KEY),
                    &config,
                )
                .expect("retell client");
                let outcome = match op {
                    Op::RetellConcurrency => result(client.get_concurrency().await),
                    Op::RetellListAgents(_) => result(client.list_agents().await),
                    Op::RetellUpdateNumber => {
                        result(client.set_outbound_agent(FROM, "agent_b").await)
                    }
                    Op::RetellStopCall => result(client.stop_call(&live_call).await),
                    _ => created(client.create_call(&new_call()).await),
                };
                let sent = fake.faults().count(&op.route());
                Observed {
                    outcome,
                    sent,
                    elapsed: started.elapsed(),
                }
            }
            Op::TwilioAccount
            | Op::TwilioNumbers
            | Op::TwilioTrunks
            | Op::TwilioCreateCall
            | Op::TwilioHangUp => {
                let fake = twilio_fake().await;
                let live_call = fake.state().add_call(TO, FROM, long_twilio_call());
                faults(fake.faults());
                let client = launchdeck_providers::TwilioClient::new(
                    &pick(fake.base_url()),
                    &pick(fake.trunking_base_url()),
                    TWILIO_SID,
                    secret(TWILIO_TOKEN),
                    &config,
                )
                .expect("twilio client");
                let outcome = match op {
                    Op::TwilioAccount => result(client.fetch_account().await),
                    Op::TwilioNumbers => result(client.list_incoming_numbers().await),
                    Op::TwilioTrunks => result(client.list_trunks().await),
                    Op::TwilioHangUp => result(client.hang_up(&live_call).await),
                    _ => created(
                        client
                            .create_call(TO, FROM, "<Response><Say>hi</Say></Response>")
                            .await,
                    ),
                };
                let sent = fake.faults().count(&op.route());
                Observed {
                    outcome,
                    sent,
                    elapsed: started.elapsed(),
                }
            }
            Op::ElevenLabsSubscription => {
                let fake = elevenlabs_fake().await;
                faults(fake.faults());
                let client =
                    ElevenLabsClient::new(&pick(fake.base_url()), secret(ELEVEN_KEY), &config)
                        .expect("elevenlabs client");
                let outcome = result(client.subscription().await);
                let sent = fake.faults().count(&op.route());
                Observed {
                    outcome,
                    sent,
                    elapsed: started.elapsed(),
                }
            }
            Op::GoogleRefresh | Op::GoogleCalendarList => {
                let fake = google_fake().await;
                let token = GoogleOAuthClient::new(
                    &fake.token_url(),
                    GOOGLE_CLIENT_ID,
                    secret(GOOGLE_SECRET),
                    &config,
                )
                .expect("oauth client")
                .refresh(&secret(GOOGLE_REFRESH))
                .await
                .expect("a token before the fault")
                .access_token;
                faults(fake.faults());
                let outcome = if let Op::GoogleRefresh = op {
                    let base = fake.token_url();
                    let url = if refused {
                        format!("{dead}/token")
                    } else {
                        base
                    };
                    let client = GoogleOAuthClient::new(
                        &url,
                        GOOGLE_CLIENT_ID,
                        secret(GOOGLE_SECRET),
                        &config,
                    )
                    .expect("oauth client");
                    result(client.refresh(&secret(GOOGLE_REFRESH)).await)
                } else {
                    let client =
                        GoogleCalendarClient::new(&pick(fake.calendar_base_url()), &config)
                            .expect("calendar client");
                    result(client.calendar_list(&token).await)
                };
                // The grant before the fault went to the same route.
                let before = usize::from(op == Op::GoogleRefresh);
                let sent = fake.faults().count(&op.route()) - before;
                Observed {
                    outcome,
                    sent,
                    elapsed: started.elapsed(),
                }
            }
        }
    })
}

impl PartialEq for Op {
    fn eq(&self, other: &Op) -> bool {
        format!("{self:?}") == format!("{other:?}")
    }
}

/// The most requests an operation may send for one call under a fault that is always
/// there: the first and its retries (two for 5xx, timeouts and lost connections, three
/// for rate limits); a checked mutation once more after reading back; a create once
/// (Twilio's: again after a 20429 only).
fn most_sent(op: Op) -> usize {
    match op.kind() {
        _ if twilio_mutation(op) => 4,
        Kind::Read | Kind::Grant => 4,
        Kind::CheckedMutation => 2,
        Kind::Create => 1,
    }
}

/// Twilio's mutations: its 429 is code 20429, "not processed, safe to retry".
fn twilio_mutation(op: Op) -> bool {
    matches!(op, Op::TwilioCreateCall | Op::TwilioHangUp)
}

/// Whether a 429 may be retried: reads, and Twilio's mutations.
fn safe_after_429(op: Op) -> bool {
    op.kind() == Kind::Read || twilio_mutation(op)
}

/// Checks one observation; returns what is wrong with it.
fn judge(op: Op, case: &Case, seen: &Observed) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut expect = |ok: bool, what: String| {
        if !ok {
            wrong.push(what);
        }
    };
    let kind = op.kind();
    if let Some(err) = seen.outcome.error() {
        let text = format!("{err} {err:?}");
        let leaked = CONFIGURED_SECRETS
            .iter()
            .chain(launchdeck_sim::fakes::CANARIES.iter())
            .any(|s| text.contains(s));
        expect(!leaked, format!("a secret in the error: {text}"));
        expect(
            err.to_string().contains(err.provider().name()),
            format!("the message does not name the provider: {err}"),
        );
        expect(err.message().len() > 3, format!("no message: {err:?}"));
    }
    let refused = matches!(case.injected, Injected::Refused);
    expect(
        refused || seen.sent >= 1,
        "the fault's route was never asked (wrong route?)".to_string(),
    );
    expect(
        seen.sent <= most_sent(op),
        format!("{} requests, at most {}", seen.sent, most_sent(op)),
    );
    let verdict = seen.outcome.error().map(ProviderError::check_verdict);
    match case.name {
        "401" | "403" => {
            expect(
                seen.sent == 1,
                format!("retried a {}: {}", case.name, seen.sent),
            );
            expect(
                verdict == Some(CheckVerdict::Fail),
                format!("verdict {verdict:?}"),
            );
        }
        "404" | "422" => expect(seen.sent == 1, format!("retried a {}", case.name)),
        "429" => {
            let retried = seen.sent > 1;
            expect(
                retried == safe_after_429(op),
                format!("429 sent {} times", seen.sent),
            );
            expect(
                verdict == Some(CheckVerdict::Unknown)
                    || matches!(seen.outcome, Outcome::Failed(_)),
                format!("verdict {verdict:?}"),
            );
        }
        "429 Retry-After 1 s" => {
            if safe_after_429(op) {
                expect(
                    matches!(seen.outcome, Outcome::Ok) && seen.sent == 2,
                    format!("not retried after the wait: {:?}", seen.outcome),
                );
                expect(
                    seen.elapsed >= Duration::from_millis(950),
                    format!("Retry-After not obeyed: {:?}", seen.elapsed),
                );
            } else {
                expect(seen.sent == 1, "a mutation retried after a 429".to_string());
            }
        }
        "429 Retry-After 120 s" => {
            expect(
                seen.sent == 1,
                "waited for a Retry-After over 60 s".to_string(),
            );
            let hint = seen.outcome.error().and_then(ProviderError::retry_after);
            expect(
                hint == Some(Duration::from_secs(120)),
                format!("the hint is not kept for the operator: {hint:?}"),
            );
        }
        "body cut mid-way" | "malformed JSON" if kind == Kind::CheckedMutation => expect(
            matches!(seen.outcome, Outcome::Ok) && seen.sent == 1,
            format!(
                "an update that took (its reply damaged) was not read back: {:?}, {} requests",
                seen.outcome, seen.sent
            ),
        ),
        "500" | "503" | "timeout" | "body cut mid-way" | "HTML error page" => {
            match kind {
                Kind::Read | Kind::Grant => expect(
                    seen.sent == 3 || case.name == "HTML error page",
                    format!("{} sent {} times, want 3", case.name, seen.sent),
                ),
                Kind::Create => expect(
                    matches!(seen.outcome, Outcome::Unknown(_)),
                    format!("a create after {} is not 'acceptance unknown'", case.name),
                ),
                Kind::CheckedMutation => {}
            }
            expect(
                verdict == Some(CheckVerdict::Unknown),
                format!("verdict {verdict:?}"),
            );
        }
        "503 once" => expect(
            match kind {
                Kind::Read | Kind::Grant => matches!(seen.outcome, Outcome::Ok) && seen.sent == 2,
                Kind::Create => matches!(seen.outcome, Outcome::Unknown(_)) && seen.sent == 1,
                Kind::CheckedMutation => matches!(seen.outcome, Outcome::Ok) && seen.sent == 2,
            },
            format!("{:?} after {} requests", seen.outcome, seen.sent),
        ),
        "connection refused" => {
            let err_kind = seen.outcome.error().map(ProviderError::kind);
            expect(
                err_kind == Some(&ErrorKind::Connect),
                format!("refused is {err_kind:?}"),
            );
            if kind == Kind::Create {
                expect(
                    matches!(seen.outcome, Outcome::NotSent(_)),
                    "a refused create is not 'not sent'".to_string(),
                );
            }
        }
        "malformed JSON" => {
            let err_kind = seen.outcome.error().map(ProviderError::kind);
            expect(
                err_kind == Some(&ErrorKind::Decode),
                format!("malformed JSON is {err_kind:?}"),
            );
            if kind == Kind::Create {
                expect(
                    matches!(seen.outcome, Outcome::Unknown(_)) && seen.sent == 1,
                    "a create with an unreadable reply may exist".to_string(),
                );
            }
        }
        "unknown fields" => expect(
            matches!(seen.outcome, Outcome::Ok),
            format!("unknown fields refused: {:?}", seen.outcome),
        ),
        "reply lost after the request" => match kind {
            Kind::Create => expect(
                matches!(seen.outcome, Outcome::Unknown(_)) && seen.sent == 1,
                format!("{:?} after {} requests", seen.outcome, seen.sent),
            ),
            Kind::CheckedMutation => expect(
                matches!(seen.outcome, Outcome::Ok) && seen.sent == 1,
                format!(
                    "an update that took was sent again: {:?}, {} requests",
                    seen.outcome, seen.sent
                ),
            ),
            Kind::Read | Kind::Grant => expect(
                matches!(seen.outcome, Outcome::Ok) && seen.sent == 2,
                format!("{:?} after {} requests", seen.outcome, seen.sent),
            ),
        },
        other => panic!("no expectation for {other}"),
    }
    wrong
}

/// Cells run a few at a time: each has its own fake and client, and the waits (a
/// `Retry-After`, a timeout) overlap.
const AT_ONCE: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_operation_under_every_fault() {
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
    let mut runs = Vec::new();
    for op in OPS {
        for case in cases() {
            let gate = gate.clone();
            let cell = run(op, case.clone());
            let task = tokio::spawn(async move {
                let _turn = gate.acquire_owned().await.expect("gate");
                cell.await
            });
            runs.push((op, case, task));
        }
    }
    let total = runs.len();
    let mut failures = Vec::new();
    for (op, case, task) in runs {
        match task.await {
            Ok(seen) => {
                for wrong in judge(op, &case, &seen) {
                    failures.push(format!("{op:?} × {}: {wrong}", case.name));
                }
            }
            Err(panic) => failures.push(format!("{op:?} × {}: panicked: {panic}", case.name)),
        }
    }
    assert_eq!(total, OPS.len() * cases().len());
    assert!(
        failures.is_empty(),
        "{} of {total} cells wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
