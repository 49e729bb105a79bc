//! What both stores share for the stuck-call cleanup: the redial-hold conditions and
//! how the per-row results are assembled from what each statement changed.

use std::collections::{HashMap, HashSet};

use launchdeck_core::cleanup::{CleanupWrite, CleanupWriteResult};
use launchdeck_core::domain::CallSource;
use uuid::Uuid;

/// A dialing row under a redial hold (schema.md §5): an open dispatch claim, or a
/// quarantined call_log pointing at it. `dq` is the row's alias.
pub(crate) const DIALING_NOT_HELD: &str = "
   AND NOT EXISTS (SELECT 1 FROM provider_dispatch_claims pdc
                    WHERE pdc.queue_id = dq.id AND pdc.status IN ('claimed', 'acceptance_unknown'))
   AND NOT EXISTS (SELECT 1 FROM call_logs hold
                    WHERE hold.provider_reconciliation_queue_id = dq.id
                      AND hold.provider_reconciliation_required)";

/// The writes of one source, in the order given.
pub(crate) fn of_source(writes: &[CleanupWrite], source: CallSource) -> Vec<&CleanupWrite> {
    writes.iter().filter(|w| w.source == source).collect()
}

/// One result per write: changed when its statement changed the row, else skipped
/// with the status the row has now (`None`: gone).
pub(crate) fn results(
    writes: &[CleanupWrite],
    changed: &HashSet<(CallSource, Uuid)>,
    status_now: &HashMap<(CallSource, Uuid), String>,
) -> Vec<CleanupWriteResult> {
    writes
        .iter()
        .map(|w| {
            let key = (w.source, w.id);
            let changed = changed.contains(&key);
            CleanupWriteResult {
                source: w.source,
                id: w.id,
                changed,
                status_now: if changed {
                    Some(w.new_status.clone())
                } else {
                    status_now.get(&key).cloned()
                },
            }
        })
        .collect()
}
