//! Environment: each secret present (shown masked); [B] for the database URL, Retell
//! and Twilio; Google client id/secret (needed for token refresh) and ElevenLabs warn.

use crate::readiness::snapshot::{SecretFact, Snapshot};
use crate::readiness::{Area, Check, Status};

/// How much a missing secret matters.
fn importance(section: &str, key: &str) -> (bool, &'static str) {
    match (section, key) {
        ("database", "url") => (true, "launchdeck cannot read the platform without it"),
        ("retell", _) => (true, "campaign calls and the Retell checks need it"),
        ("twilio", _) => (true, "audio broadcasts and the Twilio checks need it"),
        ("google", _) => (false, "needed to refresh calendar tokens"),
        ("elevenlabs", _) => (false, "the ElevenLabs quota cannot be checked"),
        _ => (false, "some checks cannot run without it"),
    }
}

pub fn check_environment(snap: &Snapshot) -> Vec<Check> {
    if snap.environment.secrets.is_empty() {
        return vec![
            Check::new(
                Area::Environment,
                "environment.secrets",
                Status::Unknown,
                "no information about the configured secrets was supplied",
                snap.now,
            )
            .with_fix("run `launchdeck config check` to see which secrets are set"),
        ];
    }
    snap.environment
        .secrets
        .iter()
        .filter(|secret| secret.masked.is_some() || !optional(&secret.section, &secret.key))
        .map(|secret| secret_check(snap, secret))
        .collect()
}

/// A secret whose absence is a choice, not a gap: no check when it is unset.
fn optional(section: &str, key: &str) -> bool {
    matches!((section, key), ("database", "read_url"))
}

fn secret_check(snap: &Snapshot, secret: &SecretFact) -> Check {
    let setting = format!("{}.{}", secret.section, secret.key);
    let label = secret
        .env_vars
        .first()
        .cloned()
        .unwrap_or_else(|| setting.clone());
    let (blocking, why) = importance(&secret.section, &secret.key);
    let id = format!("environment.secret:{setting}");
    let check = match &secret.masked {
        Some(masked) => Check::new(
            Area::Environment,
            id,
            Status::Pass,
            format!("{label} is set ({masked}, from {})", secret.source),
            snap.now,
        ),
        None => {
            let status = if blocking { Status::Fail } else { Status::Warn };
            Check::new(
                Area::Environment,
                id,
                status,
                format!("{label} is not set: {why}"),
                snap.now,
            )
            .with_fix(format!(
                "export {label}=… before starting launchdeck, or set [{}] {} in the config file (chmod 600 it)",
                secret.section, secret.key
            ))
        }
    };
    check.blocking(blocking).with_subject(setting)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readiness::rules::fixture;

    #[test]
    fn secrets_table() {
        // (section, key, set?, status, blocking)
        let cases = [
            ("retell", "api_key", true, Status::Pass, true),
            ("retell", "api_key", false, Status::Fail, true),
            ("twilio", "auth_token", false, Status::Fail, true),
            ("database", "url", false, Status::Fail, true),
            ("google", "client_id", false, Status::Warn, false),
            ("google", "client_secret", true, Status::Pass, false),
            ("elevenlabs", "api_key", false, Status::Warn, false),
        ];
        for (section, key, set, status, blocking) in cases {
            let mut snap = fixture::healthy();
            snap.environment.secrets = vec![fixture::secret(section, key, set)];
            let checks = check_environment(&snap);
            let check = &checks[0];
            assert_eq!(check.status, status, "{section}.{key} set={set}");
            assert_eq!(check.blocking, blocking, "{section}.{key}");
            assert_eq!(check.id, format!("environment.secret:{section}.{key}"));
            assert_eq!(check.fix.is_some(), !set);
        }
    }

    #[test]
    fn an_unset_read_replica_is_a_choice_not_a_gap() {
        let mut snap = fixture::healthy();
        snap.environment.secrets = vec![
            fixture::secret("database", "url", true),
            fixture::secret("database", "read_url", false),
        ];
        let ids: Vec<String> = check_environment(&snap).into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["environment.secret:database.url"]);
        snap.environment.secrets = vec![fixture::secret("database", "read_url", true)];
        let checks = check_environment(&snap);
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].status, Status::Pass);
    }

    #[test]
    fn present_secret_is_shown_masked_with_its_source() {
        let snap = fixture::healthy();
        let checks = check_environment(&snap);
        let retell = checks
            .iter()
            .find(|c| c.id == "environment.secret:retell.api_key")
            .expect("retell key check");
        assert!(retell.reason.contains("••••"), "{}", retell.reason);
        assert!(
            retell.reason.contains("from RETELL_AI_API_KEY"),
            "{}",
            retell.reason
        );
    }

    #[test]
    fn missing_secret_fix_names_the_variable() {
        let mut snap = fixture::healthy();
        snap.environment.secrets = vec![fixture::secret("retell", "api_key", false)];
        let check = &check_environment(&snap)[0];
        let fix = check.fix.as_deref().unwrap_or_default();
        assert!(fix.contains("export RETELL_AI_API_KEY="), "{fix}");
    }
}
