//! The providers' own records of Logs rows (product.md Decision 11): asked for when the
//! operator opens a row's detail, kept per row and provider call id, and shown again
//! instead of asking again while younger than [`REUSE_FOR`].

use std::collections::HashMap;
use std::time::{Duration, Instant};

use launchdeck_core::domain::{CallLogEntry, CallProvider, ProviderCallRecord};
use launchdeck_ops::CallRecordError;

use crate::model::RowKey;

/// A record (or a failure) fetched less than this long ago is reused when the pane is
/// opened again; older ones are fetched again.
pub const REUSE_FOR: Duration = Duration::from_secs(30);

/// Identifies a record: the row and the provider call id it had when it was asked for.
pub type RecordKey = (RowKey, String);

/// A row's provider record as the pane shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordState {
    Fetching,
    Fetched(Result<ProviderCallRecord, CallRecordError>),
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    state: RecordState,
    /// When the fetch started, or when its result arrived.
    since: Instant,
}

/// Every record asked for recently, fetched or in flight.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallRecords {
    entries: HashMap<RecordKey, Entry>,
}

/// What a row's detail asks its provider for: the record's key and the provider, when
/// the row has a provider call id.
pub fn target(entry: &CallLogEntry) -> Option<(RecordKey, CallProvider)> {
    let call_id = entry.provider_call_id.as_deref()?.trim();
    if call_id.is_empty() {
        return None;
    }
    let provider = CallProvider::of_row(entry.provider.as_deref(), call_id);
    Some((((entry.source, entry.id), call_id.to_string()), provider))
}

impl CallRecords {
    pub fn get(&self, key: &RecordKey) -> Option<&RecordState> {
        self.entries.get(key).map(|e| &e.state)
    }

    /// False while a fetch is in flight or a result younger than [`REUSE_FOR`] is kept.
    /// (A fetch in flight for that long lost its answer: it may be asked again.)
    pub fn needs_fetch(&self, key: &RecordKey, now: Instant) -> bool {
        self.entries
            .get(key)
            .is_none_or(|e| now.saturating_duration_since(e.since) >= REUSE_FOR)
    }

    pub fn fetching(&mut self, key: RecordKey, now: Instant) {
        let entry = Entry {
            state: RecordState::Fetching,
            since: now,
        };
        self.entries.insert(key, entry);
    }

    /// Keeps a result under its own key, whichever row is open now.
    pub fn received(
        &mut self,
        key: RecordKey,
        at: Instant,
        result: Result<ProviderCallRecord, CallRecordError>,
    ) {
        let entry = Entry {
            state: RecordState::Fetched(result),
            since: at,
        };
        self.entries.insert(key, entry);
    }

    /// Drops what could not be reused any more, except `keep` (the open row's).
    pub fn forget_stale(&mut self, now: Instant, keep: Option<&RecordKey>) {
        self.entries.retain(|key, e| {
            Some(key) == keep || now.saturating_duration_since(e.since) < REUSE_FOR
        });
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
