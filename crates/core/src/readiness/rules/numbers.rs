//! Numbers: ≥1 active, not spam, not quarantined number (0 fail [B], 1–2 warn); numbers
//! at ≥ 90% of their daily cap warn; audio broadcasts need Twilio/Telnyx numbers [B];
//! a campaign needs an active number with a `retell_phone_id` [B].

use chrono::NaiveDate;
use uuid::Uuid;

use crate::domain::PhoneNumber;
use crate::readiness::rules::{
    broadcasts_in_focus, campaigns_in_focus, clean, database, is_audio_broadcast, is_usable,
    no_database, number_provider, present, preview,
};
use crate::readiness::snapshot::{DatabaseFacts, Snapshot};
use crate::readiness::{Area, Check, Status};

const AREA: Area = Area::Numbers;

pub fn check_numbers(snap: &Snapshot) -> Vec<Check> {
    let Some(db) = database(snap) else {
        return vec![no_database(snap, AREA, "numbers.database", true)];
    };
    let today = snap.now.date_naive();
    vec![
        usable(snap, db, today),
        daily_cap(snap, db, today),
        audio_capable(snap, db, today),
        campaign_retell(snap, db, today),
    ]
}

fn check(snap: &Snapshot, id: &str, status: Status, reason: impl Into<String>) -> Check {
    Check::new(AREA, id, status, reason, snap.now)
}

fn usable_numbers(db: &DatabaseFacts, today: NaiveDate) -> impl Iterator<Item = &PhoneNumber> {
    db.phone_numbers.iter().filter(move |n| is_usable(n, today))
}

fn usable(snap: &Snapshot, db: &DatabaseFacts, today: NaiveDate) -> Check {
    let id = "numbers.usable";
    let count = usable_numbers(db, today).count();
    let result = match count {
        0 => check(
            snap,
            id,
            Status::Fail,
            format!(
                "no usable caller number: none of {} phone_numbers is active, not spam and not quarantined",
                db.phone_numbers.len()
            ),
        )
        .with_fix("add a number, or return one to status 'active' once its quarantine or cooldown is over"),
        1 | 2 => check(
            snap,
            id,
            Status::Warn,
            format!("only {}: a spam flag or quarantine could stop the launch", super::count(count, "usable caller number")),
        )
        .with_fix("add caller numbers so rotation has at least 3"),
        _ => check(snap, id, Status::Pass, format!("{count} usable caller numbers")),
    };
    result.blocking(true)
}

/// `daily_calls / max_daily_calls` when the number has a cap.
fn cap_use(number: &PhoneNumber) -> Option<f64> {
    let cap = number.max_daily_calls.filter(|cap| *cap > 0)?;
    Some(f64::from(number.daily_calls) / f64::from(cap))
}

fn daily_cap(snap: &Snapshot, db: &DatabaseFacts, today: NaiveDate) -> Check {
    let id = "numbers.daily_cap";
    let limit = snap.thresholds.daily_cap_warn;
    let near: Vec<String> = usable_numbers(db, today)
        .filter(|n| cap_use(n).is_some_and(|used| used >= limit))
        .map(|n| {
            format!(
                "{} ({}/{})",
                n.number,
                n.daily_calls,
                n.max_daily_calls.unwrap_or_default()
            )
        })
        .collect();
    if near.is_empty() {
        return check(
            snap,
            id,
            Status::Pass,
            format!(
                "no usable number is at {:.0}% of its daily cap",
                limit * 100.0
            ),
        );
    }
    check(
        snap,
        id,
        Status::Warn,
        format!(
            "numbers at ≥ {:.0}% of max_daily_calls: {}",
            limit * 100.0,
            preview(&near, 4)
        ),
    )
    .with_fix("add caller numbers or raise phone_numbers.max_daily_calls; the counts reset daily")
}

/// Twilio or Telnyx numbers can play a recording; Retell-only numbers cannot.
fn plays_audio(number: &PhoneNumber) -> bool {
    matches!(number_provider(number), "twilio" | "telnyx")
}

fn owner_has(
    db: &DatabaseFacts,
    today: NaiveDate,
    owner: Uuid,
    want: fn(&PhoneNumber) -> bool,
) -> bool {
    usable_numbers(db, today).any(|n| n.user_id == owner && want(n))
}

fn audio_capable(snap: &Snapshot, db: &DatabaseFacts, today: NaiveDate) -> Check {
    let id = "numbers.audio_capable";
    let audio: Vec<_> = broadcasts_in_focus(snap, db)
        .into_iter()
        .filter(|b| is_audio_broadcast(b))
        .collect();
    let lacking: Vec<String> = audio
        .iter()
        .filter(|b| !owner_has(db, today, b.user_id, plays_audio))
        .map(|b| format!("'{}'", clean(&b.name)))
        .collect();
    let result = if audio.is_empty() {
        check(snap, id, Status::Pass, "no audio broadcast to launch")
    } else if lacking.is_empty() {
        check(
            snap,
            id,
            Status::Pass,
            format!(
                "every audio broadcast has a Twilio/Telnyx caller number ({})",
                super::count(audio.len(), "broadcast")
            ),
        )
    } else {
        check(
            snap,
            id,
            Status::Fail,
            format!(
                "audio broadcasts without a usable Twilio/Telnyx number (Retell-only numbers cannot play audio): {}",
                preview(&lacking, 3)
            ),
        )
        .with_fix("add an active Twilio number for the broadcast's owner (provider 'twilio')")
    };
    result.blocking(true)
}

fn has_retell_link(number: &PhoneNumber) -> bool {
    present(&number.retell_phone_id).is_some()
}

fn campaign_retell(snap: &Snapshot, db: &DatabaseFacts, today: NaiveDate) -> Check {
    let id = "numbers.campaign_retell";
    let campaigns = campaigns_in_focus(snap, db);
    let lacking: Vec<String> = campaigns
        .iter()
        .filter(|c| !owner_has(db, today, c.user_id, has_retell_link))
        .map(|c| format!("'{}'", clean(&c.name)))
        .collect();
    let result = if campaigns.is_empty() {
        check(snap, id, Status::Pass, "no campaign to launch")
    } else if lacking.is_empty() {
        check(
            snap,
            id,
            Status::Pass,
            format!(
                "every campaign has an active Retell-linked number ({})",
                super::count(campaigns.len(), "campaign")
            ),
        )
    } else {
        check(
            snap,
            id,
            Status::Fail,
            format!(
                "campaigns whose owner has no usable number with a retell_phone_id: {}",
                preview(&lacking, 3)
            ),
        )
        .with_fix("import a number into Retell and link it (phone_numbers.retell_phone_id), or buy one in Retell")
    };
    result.blocking(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readiness::rules::fixture;

    fn find(snap: &Snapshot, id: &str) -> Check {
        check_numbers(snap)
            .into_iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no check {id}"))
    }

    #[test]
    fn healthy_numbers_pass() {
        let checks = check_numbers(&fixture::healthy());
        assert!(
            checks.iter().all(|c| c.status == Status::Pass),
            "{checks:#?}"
        );
    }

    #[test]
    fn usable_count_table() {
        for (active, want) in [
            (0, Status::Fail),
            (1, Status::Warn),
            (2, Status::Warn),
            (3, Status::Pass),
        ] {
            let mut snap = fixture::healthy();
            let db = fixture::db(&mut snap);
            db.phone_numbers = (0..active)
                .map(|i| fixture::phone(&format!("+1415555020{i}"), "twilio", true))
                .collect();
            // numbers that never count: quarantined, spam, cooldown, quarantine date ahead
            let mut quarantined = fixture::phone("+14155550290", "twilio", true);
            quarantined.status = "quarantined".into();
            let mut spam = fixture::phone("+14155550291", "twilio", true);
            spam.is_spam = true;
            let mut cooldown = fixture::phone("+14155550292", "twilio", true);
            cooldown.status = "cooldown".into();
            let mut until_today = fixture::phone("+14155550293", "twilio", true);
            until_today.quarantine_until = Some(fixture::now().date_naive());
            db.phone_numbers
                .extend([quarantined, spam, cooldown, until_today]);
            let check = find(&snap, "numbers.usable");
            assert_eq!(check.status, want, "{active} active numbers");
            assert!(check.blocking);
        }
    }

    #[test]
    fn past_quarantine_counts_again() {
        let mut snap = fixture::healthy();
        let db = fixture::db(&mut snap);
        db.phone_numbers.truncate(2);
        let mut released = fixture::phone("+14155550294", "twilio", true);
        released.quarantine_until = Some(fixture::now().date_naive() - chrono::Days::new(1));
        db.phone_numbers.push(released);
        assert_eq!(find(&snap, "numbers.usable").status, Status::Pass);
    }

    #[test]
    fn daily_cap_table() {
        for (calls, cap, want) in [
            (89, Some(100), Status::Pass),
            (90, Some(100), Status::Warn),
            (100, Some(100), Status::Warn),
            (500, None, Status::Pass),
            (5, Some(0), Status::Pass),
        ] {
            let mut snap = fixture::healthy();
            let number = &mut fixture::db(&mut snap).phone_numbers[0];
            number.daily_calls = calls;
            number.max_daily_calls = cap;
            let check = find(&snap, "numbers.daily_cap");
            assert_eq!(
                (check.status, check.blocking),
                (want, false),
                "{calls}/{cap:?}"
            );
        }
    }

    #[test]
    fn audio_broadcast_with_retell_only_numbers_fails() {
        let mut snap = fixture::healthy();
        let db = fixture::db(&mut snap);
        db.phone_numbers
            .iter_mut()
            .for_each(|n| n.provider = Some("retell_native".into()));
        let check = find(&snap, "numbers.audio_capable");
        assert_eq!((check.status, check.blocking), (Status::Fail, true));
        assert!(
            check
                .reason
                .contains("Retell-only numbers cannot play audio")
        );

        // an AI conversational broadcast does not play audio
        fixture::db(&mut snap).broadcasts[0].ivr_mode = Some("ai_conversational".into());
        assert_eq!(find(&snap, "numbers.audio_capable").status, Status::Pass);
    }

    #[test]
    fn campaign_needs_a_retell_linked_number() {
        let mut snap = fixture::healthy();
        fixture::db(&mut snap)
            .phone_numbers
            .iter_mut()
            .for_each(|n| n.retell_phone_id = None);
        let check = find(&snap, "numbers.campaign_retell");
        assert_eq!((check.status, check.blocking), (Status::Fail, true));
        assert!(check.reason.contains("First campaign"));
    }
}
