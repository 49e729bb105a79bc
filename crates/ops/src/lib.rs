//! launchdeck-ops: the work behind the console's readiness screen and `launchdeck check`.
//!
//! # Readiness
//!
//! A [`Gatherer`] reads everything the readiness rules look at — the platform's
//! database through a [`launchdeck_store::Store`], Retell, Twilio, ElevenLabs, the
//! Google calendars and each broadcast's audio file — and runs the rules of
//! [`launchdeck_core::readiness`] area by area, as soon as each area's inputs are in.
//!
//! ```text
//! // once, at start-up; cheap to clone
//! let gatherer = Gatherer::from_loaded(&loaded_config, store, GatherOptions::default());
//!
//! // each run (the `R` key, the readiness poll):
//! let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
//! let run = tokio::spawn({
//!     let gatherer = gatherer.clone();
//!     async move { gatherer.run(Focus::All, tx).await }     // -> Report
//! });
//! while let Some(AreaChecks { area, checks }) = rx.recv().await {
//!     // one message per area (10 per run), in the order the areas complete
//! }
//! let report = run.await?;                                  // every check, area order
//! ```
//!
//! `Focus` and `Report` are [`launchdeck_core::readiness`]'s; [`Gatherer::report`] runs
//! without the channel (what `launchdeck check` does). A check's `action` (e.g.
//! `FixAction::AssignOutboundAgent`) is what the `F` key runs.
//!
//! For the TUI:
//! - Each run sends exactly one [`AreaChecks`] per [`launchdeck_core::readiness::Area`],
//!   then the channel's sender is dropped (so `rx.recv()` returns `None` once the run
//!   is over). Environment arrives at once; areas that need only the database
//!   (Database, Numbers, Safety) arrive after its queries; an area that needs a
//!   provider arrives when that provider answered, failed or timed out. A slow
//!   provider never delays an area that does not need it.
//! - Every source is bounded by [`GatherOptions::source_timeout`] (10 s by default):
//!   a provider that does not answer becomes an `unknown` check ("no answer in time"),
//!   never a stuck screen. Dropping the `run` future (or aborting its task) cancels
//!   every request it started.
//! - A failed send (the receiver was dropped) is ignored: the run still completes and
//!   returns its [`launchdeck_core::readiness::Report`].
//! - Re-running is safe at any time; runs share one request pacer per provider.
//!
//! # Request budget
//!
//! The console shares the providers' account limits with live traffic: polling stays at
//! or under 1 request/s per provider (product.md Decision 5). The gatherer asks each
//! provider its questions one at a time and spaces their starts by
//! [`GatherOptions::provider_spacing`] (1 s), also across runs. A run costs Retell 3
//! requests (get-concurrency, list agents, list numbers), Twilio 2 + 1 + 2 per Twilio
//! trunk the database references (account, incoming numbers, trunk list, then each
//! referenced trunk's numbers and origination URLs), ElevenLabs 1, Google 1 per Google
//! integration; list calls use the largest page size, so a workspace of fewer than
//! 1,000 items is one page. Agent details (`get-agent`) are not fetched: the webhook
//! check falls back to `retell_agents.webhook_url`. When the first question to a
//! provider fails, its other questions are not asked and share that answer. Audio
//! files live on other hosts and are probed at most 4 at a time.
//!
//! # Call records
//!
//! [`Gatherer::call_record`] fetches one call as its provider reports it (Retell
//! get-call, Twilio call fetch) for the Logs detail (product.md Decision 11), mapped to
//! [`launchdeck_core::domain::ProviderCallRecord`]. It is one request, waits its turn in
//! the same per-provider lane as the readiness requests (so the 1 request/s budget
//! holds) and is bounded by [`GatherOptions::source_timeout`]. Failures are a
//! [`CallRecordError`] whose text is safe to show: "Retell has no call call_… (HTTP
//! 422)", "Twilio is not configured: set TWILIO_ACCOUNT_SID and …", or the client's own
//! wording. Telnyx calls are not fetched (Decision 13).
//!
//! # Actions
//!
//! [`actions`] holds the operator actions (pause, resume, clean up stuck calls), each
//! a `plan` (preview) and an `apply` (conditional write, result counts, audit records),
//! shared by the CLI and the TUI's keys. The cleanup asks the providers about stuck
//! rows' calls through the same paced lanes as [`Gatherer::call_record`].
//!
//! # Reconciliation
//!
//! [`Gatherer::reconcile`] sets the calls in flight against Retell's ongoing calls and
//! each row's call at its provider (ghosts, orphans, impossible ages), in the same paced
//! lanes; [`reconcile`] lists what it costs in requests.

pub mod actions;
pub mod call_record;
pub mod readiness;
pub mod reconcile;

pub use call_record::CallRecordError;
pub use readiness::{AreaChecks, GatherOptions, Gatherer};
pub use reconcile::{ConcurrencyGauge, ReconcileError, ReconcileReport};
