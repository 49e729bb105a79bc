//! Everything the rules read from the platform's database, in two rounds of
//! concurrent queries: the connection facts first (a failure there means the database
//! is unreachable and nothing else is asked), then the tables and functions.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use launchdeck_core::domain::{Campaign, Scope};
use launchdeck_core::readiness::{ContactRelease, DatabaseFacts, Focus, KeptFinished, Observed};
use launchdeck_store::{PlatformAnswer, Store, StoreResult};
use uuid::Uuid;

use super::lane::{Failure, bounded};

/// Unacknowledged alerts read for the Broadcasts area (newest first).
const ALERT_LIMIT: u32 = 500;

/// The database part of a snapshot and the database's clock.
pub(crate) struct DatabaseAnswer {
    pub facts: Observed<DatabaseFacts>,
    pub now: Option<DateTime<Utc>>,
}

/// Reads one thing with the time limit; the failure names what was read.
async fn read<T>(
    limit: Duration,
    what: &str,
    query: impl Future<Output = StoreResult<T>>,
) -> Result<T, Failure> {
    bounded(limit, async {
        query
            .await
            .map_err(|e| Failure::from_store(&e).reading(what))
    })
    .await
}

fn platform<T>(answer: Result<PlatformAnswer<T>, Failure>) -> Observed<T> {
    match answer {
        Ok(PlatformAnswer::Answer(value)) => Observed::Ok(value),
        Ok(PlatformAnswer::NotApplicable(why)) => Observed::NotApplicable(why),
        Err(failure) => failure.observed(),
    }
}

pub(crate) async fn gather(
    store: Arc<dyn Store>,
    scope: Scope,
    focus: Focus,
    limit: Duration,
    kept: &KeptAnswers,
) -> DatabaseAnswer {
    let info = match read(limit, "the connection facts", store.db_info()).await {
        Ok(info) => info,
        Err(failure) => {
            return DatabaseAnswer {
                facts: failure.observed(),
                now: None,
            };
        }
    };
    let mut facts = DatabaseFacts {
        round_trip: info.round_trip,
        backend: info.backend.to_string(),
        transaction_pooler: info.transaction_pooler,
        ..DatabaseFacts::default()
    };
    let result = match read_tables(store.as_ref(), &scope, limit, kept, &mut facts).await {
        Ok(()) => {
            read_functions(store.as_ref(), focus, limit, &kept.releases, &mut facts).await;
            Observed::Ok(facts)
        }
        Err(failure) => failure.observed(),
    };
    DatabaseAnswer {
        facts: result,
        now: Some(info.db_now),
    }
}

/// The tables every area needs; one failed read fails the database part.
async fn read_tables(
    store: &dyn Store,
    scope: &Scope,
    limit: Duration,
    kept: &KeptAnswers,
    facts: &mut DatabaseFacts,
) -> Result<(), Failure> {
    let (schema, functions) = tokio::join!(
        read(limit, "the schema", store.missing_schema()),
        read(limit, "the functions", store.missing_platform_functions()),
    );
    facts.missing_schema = super::lane::observe(schema);
    facts.missing_functions = platform(functions);
    let kept_finished = kept.finished.fresh();
    let (numbers, trunks, agents, broadcasts, stats, campaigns) = tokio::join!(
        read(limit, "phone_numbers", store.phone_numbers(scope)),
        read(limit, "sip_trunk_configs", store.sip_trunks(scope)),
        read(limit, "retell_agents", store.retell_agents(scope)),
        read(limit, "voice_broadcasts", store.broadcasts(scope)),
        read(
            limit,
            "broadcast_queue",
            store.broadcast_readiness_stats(scope, &kept_finished)
        ),
        read(limit, "campaigns", store.campaigns(scope)),
    );
    facts.phone_numbers = numbers?;
    facts.sip_trunks = trunks?;
    facts.retell_agents = agents?;
    facts.broadcasts = broadcasts?;
    let stats = stats?;
    for (id, entry) in &stats {
        let reused = kept_finished
            .get(id)
            .is_some_and(|k| k.marker == entry.finished_marker);
        if !reused {
            let marker = entry.finished_marker.clone();
            kept.finished
                .put(*id, marker, entry.recent_finished.clone());
        }
    }
    facts.broadcast_stats = stats;
    facts.campaigns = campaigns?;
    let (budgets, max_concurrent, integrations, availability, stops, alerts) = tokio::join!(
        read(limit, "budget_settings", store.budget_settings(scope)),
        read(limit, "system_settings", store.retell_max_concurrent(scope)),
        read(
            limit,
            "calendar_integrations",
            store.calendar_integrations(scope)
        ),
        read(
            limit,
            "calendar_availability",
            store.calendar_availability(scope)
        ),
        read(limit, "contact_stop_controls", store.active_stops(scope)),
        read(
            limit,
            "system_alerts",
            store.unacknowledged_alerts(scope, ALERT_LIMIT)
        ),
    );
    facts.budget_settings = budgets?;
    facts.retell_max_concurrent = max_concurrent?;
    facts.calendar_integrations = integrations?;
    facts.calendar_availability = availability?;
    facts.stops = stops?;
    facts.unacknowledged_alerts = alerts?;
    Ok(())
}

/// The platform's health and release functions; each failure stays with its check.
async fn read_functions(
    store: &dyn Store,
    focus: Focus,
    limit: Duration,
    releases: &Kept<ContactRelease>,
    facts: &mut DatabaseFacts,
) {
    let exists = |name: &str| match &facts.missing_functions {
        Observed::Ok(missing) => !missing.iter().any(|m| m == name),
        _ => true,
    };
    let (safety_exists, reconciliation_exists, release_exists) = (
        exists("provider_safety_health_check"),
        exists("retell_reconciliation_health_check"),
        exists("get_campaign_contact_release_status"),
    );
    let (safety, reconciliation) = tokio::join!(
        async {
            if !safety_exists {
                return not_called("provider_safety_health_check");
            }
            platform(
                read(
                    limit,
                    "provider_safety_health_check()",
                    store.provider_safety_health(),
                )
                .await,
            )
        },
        async {
            if !reconciliation_exists {
                return not_called("retell_reconciliation_health_check");
            }
            platform(
                read(
                    limit,
                    "retell_reconciliation_health_check()",
                    store.reconciliation_health(),
                )
                .await,
            )
        },
    );
    facts.provider_safety_health = safety;
    facts.reconciliation_health = reconciliation;
    if release_exists {
        facts.contact_releases =
            contact_releases(store, focus, limit, releases, &facts.campaigns).await;
    }
}

fn not_called<T>(function: &str) -> Observed<T> {
    Observed::NotApplicable(format!("{function}() does not exist in this database"))
}

/// How long an answer is reused while its marker stays the same: the marker covers
/// what the answer reads; this bounds anything it might not.
const KEPT_AT_MOST: Duration = Duration::from_secs(600);

/// Costly answers kept between readiness runs, shared by the gatherer's clones:
/// `get_campaign_contact_release_status()` reads every `campaign_leads` row (13 ms a
/// campaign on the scale profile), a broadcast's newest finished rows sort all of its
/// finished rows (61 ms a run for 40 broadcasts); their markers cost index probes.
#[derive(Clone, Default)]
pub(crate) struct KeptAnswers {
    releases: Kept<ContactRelease>,
    finished: Kept<Vec<String>>,
}

/// Answers per campaign or broadcast, each with the marker it was read under.
pub(crate) struct Kept<T>(Arc<Mutex<HashMap<Uuid, KeptAnswer<T>>>>);

impl<T> Clone for Kept<T> {
    fn clone(&self) -> Self {
        Kept(self.0.clone())
    }
}

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Kept(Arc::default())
    }
}

struct KeptAnswer<T> {
    marker: String,
    read_at: Instant,
    value: T,
}

impl<T: Clone> Kept<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, KeptAnswer<T>>> {
        // Plain data: a panicking holder cannot leave it half-written.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, id: Uuid, marker: &str) -> Option<T> {
        let kept = self.lock();
        let kept = kept.get(&id)?;
        (kept.marker == marker && kept.read_at.elapsed() < KEPT_AT_MOST).then(|| kept.value.clone())
    }

    fn put(&self, id: Uuid, marker: String, value: T) {
        let read_at = Instant::now();
        self.lock().insert(
            id,
            KeptAnswer {
                marker,
                read_at,
                value,
            },
        );
    }
}

impl Kept<Vec<String>> {
    /// The finished rows still young enough to be reused, for the store.
    fn fresh(&self) -> BTreeMap<Uuid, KeptFinished> {
        self.lock()
            .iter()
            .filter(|(_, k)| k.read_at.elapsed() < KEPT_AT_MOST)
            .map(|(id, k)| {
                let kept = KeptFinished {
                    marker: k.marker.clone(),
                    recent_finished: k.value.clone(),
                };
                (*id, kept)
            })
            .collect()
    }
}

/// `get_campaign_contact_release_status` for each campaign the Campaigns area checks,
/// as that campaign's owner; the last answer again while nothing it reads changed.
async fn contact_releases(
    store: &dyn Store,
    focus: Focus,
    limit: Duration,
    cache: &Kept<ContactRelease>,
    campaigns: &[Campaign],
) -> BTreeMap<Uuid, Observed<ContactRelease>> {
    let mut releases = BTreeMap::new();
    for campaign in campaigns.iter().filter(|c| in_focus(c, focus)) {
        let marker = match read(
            limit,
            "the contact releases' marker",
            store.contact_release_marker(campaign.id),
        )
        .await
        {
            Ok(PlatformAnswer::Answer(marker)) => Some(marker),
            _ => None,
        };
        if let Some(kept) = marker.as_deref().and_then(|m| cache.get(campaign.id, m)) {
            releases.insert(campaign.id, Observed::Ok(kept));
            continue;
        }
        let status = read(
            limit,
            "get_campaign_contact_release_status()",
            store.contact_release_status(campaign.id, campaign.user_id),
        )
        .await;
        if let (Some(marker), Ok(PlatformAnswer::Answer(release))) = (marker, &status) {
            cache.put(campaign.id, marker, release.clone());
        }
        releases.insert(campaign.id, platform(status));
    }
    releases
}

/// The campaigns the Campaigns area checks: drafts and active ones, or the focused one.
fn in_focus(campaign: &Campaign, focus: Focus) -> bool {
    match focus {
        Focus::All => matches!(campaign.status.as_str(), "draft" | "active"),
        Focus::Campaign(id) => campaign.id == id,
        Focus::Broadcast(_) => false,
    }
}
