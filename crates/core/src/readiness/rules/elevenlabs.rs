//! ElevenLabs: key valid (401 `invalid_api_key` fail, `missing_permissions` warn);
//! subscription not `past_due`/`free_disabled`; ≥ 10% of the characters left.

use crate::readiness::rules::{ELEVENLABS, Unavailable, answer};
use crate::readiness::snapshot::{ElevenLabsAnswer, ElevenLabsSubscription, Observed, Snapshot};
use crate::readiness::{Area, Check, Status};

const AREA: Area = Area::ElevenLabs;

pub fn check_elevenlabs(snap: &Snapshot) -> Vec<Check> {
    let check = |id: &str, status, reason: String| Check::new(AREA, id, status, reason, snap.now);
    let answer = match &snap.elevenlabs {
        Observed::NotConfigured => {
            return vec![
                check(
                    "elevenlabs.key",
                    Status::Unknown,
                    "not checked: ELEVENLABS_API_KEY is not set".into(),
                )
                .with_fix(ELEVENLABS.credential_fix),
            ];
        }
        observed => match answer(observed, &ELEVENLABS) {
            Ok(answer) => answer,
            Err(u) => return vec![key_failure(snap, &snap.elevenlabs, u)],
        },
    };
    match answer {
        ElevenLabsAnswer::MissingPermissions => vec![
            check(
                "elevenlabs.key",
                Status::Warn,
                "key lacks user_read: valid, but the subscription and quota cannot be read".into(),
            )
            .with_fix("create an ElevenLabs key with the user_read permission, or check the quota in the ElevenLabs dashboard"),
        ],
        ElevenLabsAnswer::Subscription(sub) => vec![
            check("elevenlabs.key", Status::Pass, format!("API key valid ({} plan)", sub.tier)),
            subscription(snap, sub),
            quota(snap, sub),
        ],
    }
}

fn key_failure(snap: &Snapshot, observed: &Observed<ElevenLabsAnswer>, u: Unavailable) -> Check {
    let mut check = u.into_check(snap, AREA, "elevenlabs.key");
    if let Observed::Failed { kind, .. } = observed
        && kind.is_rejection()
    {
        check.reason = format!("key invalid: {}", check.reason);
    }
    check
}

fn subscription(snap: &Snapshot, sub: &ElevenLabsSubscription) -> Check {
    let id = "elevenlabs.subscription";
    let status = sub.status.to_ascii_lowercase();
    if matches!(status.as_str(), "past_due" | "free_disabled") {
        return Check::new(
            AREA,
            id,
            Status::Fail,
            format!("subscription status is {status}: audio generation may be refused"),
            snap.now,
        )
        .with_fix("settle the ElevenLabs billing (Subscription page)");
    }
    Check::new(
        AREA,
        id,
        Status::Pass,
        format!("subscription {status}"),
        snap.now,
    )
}

fn quota(snap: &Snapshot, sub: &ElevenLabsSubscription) -> Check {
    let id = "elevenlabs.quota";
    let limit = sub.character_limit;
    let left = limit.saturating_sub(sub.character_count).max(0);
    let warn_below = snap.thresholds.elevenlabs_quota_warn;
    if limit <= 0 {
        return Check::new(
            AREA,
            id,
            Status::Warn,
            "the plan has no character quota",
            snap.now,
        )
        .with_fix("upgrade the ElevenLabs plan before generating audio");
    }
    let share = left as f64 / limit as f64;
    let figures = format!("{left} of {limit} characters left ({:.0}%)", share * 100.0);
    if share >= warn_below {
        return Check::new(AREA, id, Status::Pass, figures, snap.now);
    }
    Check::new(
        AREA,
        id,
        Status::Warn,
        format!("{figures}: below {:.0}%", warn_below * 100.0),
        snap.now,
    )
    .with_fix("top up or upgrade the ElevenLabs plan, or wait for the monthly reset")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readiness::rules::fixture;
    use crate::readiness::snapshot::FailureKind;

    fn sub(status: &str, count: i64, limit: i64) -> Observed<ElevenLabsAnswer> {
        Observed::Ok(ElevenLabsAnswer::Subscription(ElevenLabsSubscription {
            tier: "creator".into(),
            status: status.into(),
            character_count: count,
            character_limit: limit,
        }))
    }

    fn status_of(snap: &Snapshot, id: &str) -> Option<Status> {
        check_elevenlabs(snap)
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.status)
    }

    #[test]
    fn elevenlabs_table() {
        // (answer, check id, status)
        let cases = [
            (
                sub("active", 41_250, 100_000),
                "elevenlabs.key",
                Status::Pass,
            ),
            (
                sub("active", 41_250, 100_000),
                "elevenlabs.quota",
                Status::Pass,
            ),
            (
                sub("active", 90_000, 100_000),
                "elevenlabs.quota",
                Status::Pass,
            ),
            (
                sub("active", 91_000, 100_000),
                "elevenlabs.quota",
                Status::Warn,
            ),
            (
                sub("active", 120_000, 100_000),
                "elevenlabs.quota",
                Status::Warn,
            ),
            (sub("active", 0, 0), "elevenlabs.quota", Status::Warn),
            (
                sub("active", i64::MIN, 100_000),
                "elevenlabs.quota",
                Status::Pass,
            ),
            (
                sub("past_due", 0, 100_000),
                "elevenlabs.subscription",
                Status::Fail,
            ),
            (
                sub("free_disabled", 0, 100_000),
                "elevenlabs.subscription",
                Status::Fail,
            ),
            (
                sub("trialing", 0, 100_000),
                "elevenlabs.subscription",
                Status::Pass,
            ),
            (
                Observed::Ok(ElevenLabsAnswer::MissingPermissions),
                "elevenlabs.key",
                Status::Warn,
            ),
            (
                Observed::failed(FailureKind::Unauthorized, "Invalid API key"),
                "elevenlabs.key",
                Status::Fail,
            ),
            (
                Observed::failed(FailureKind::RateLimited, "system_busy"),
                "elevenlabs.key",
                Status::Unknown,
            ),
            (Observed::NotConfigured, "elevenlabs.key", Status::Unknown),
        ];
        for (observed, id, want) in cases {
            let mut snap = fixture::healthy();
            snap.elevenlabs = observed.clone();
            assert_eq!(status_of(&snap, id), Some(want), "{observed:?} {id}");
            assert!(check_elevenlabs(&snap).iter().all(|c| !c.blocking));
        }
    }

    #[test]
    fn missing_permissions_names_user_read_and_skips_quota() {
        let mut snap = fixture::healthy();
        snap.elevenlabs = Observed::Ok(ElevenLabsAnswer::MissingPermissions);
        let checks = check_elevenlabs(&snap);
        assert_eq!(checks.len(), 1);
        assert!(checks[0].reason.contains("key lacks user_read"));
    }

    #[test]
    fn invalid_key_says_so() {
        let mut snap = fixture::healthy();
        snap.elevenlabs = Observed::failed(FailureKind::Unauthorized, "Invalid API key");
        let checks = check_elevenlabs(&snap);
        assert!(
            checks[0].reason.starts_with("key invalid"),
            "{}",
            checks[0].reason
        );
    }
}
