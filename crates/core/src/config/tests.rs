//! Loading tests: defaults, precedence, environment overrides, errors, permissions,
//! and that secrets never show.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::prelude::*;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::*;

const RETELL_KEY: &str = "key_canary_retell_0123456789_9f3c";
const TWILIO_TOKEN: &str = "canary_twilio_token_abcdef_77aa";
const DB_PASSWORD: &str = "canary_db_password_5511";

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a config file with the given mode.
    fn write(&self, name: &str, text: &str, mode: u32) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write config");
        set_mode(&path, mode);
        path
    }

    /// Options whose default config path is inside the fixture and env is `env`.
    fn options(&self, env: &[(&str, &str)]) -> LoadOptions {
        LoadOptions {
            config_path: None,
            env: env_map(env),
            default_config_path: Some(self.path("default.toml")),
            default_data_dir: Some(self.path("data")),
            flags: Flags::default(),
        }
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) {}

fn env_map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn load_ok(opts: &LoadOptions) -> LoadedConfig {
    Config::load(opts).unwrap_or_else(|e| panic!("load failed: {e}"))
}

fn load_err(opts: &LoadOptions) -> String {
    match Config::load(opts) {
        Ok(_) => panic!("load succeeded, expected an error"),
        Err(e) => e.to_string(),
    }
}

fn exposed(secret: Option<&SecretString>) -> Option<&str> {
    secret.map(|s| s.expose_secret())
}

#[test]
fn missing_default_file_gives_all_defaults() {
    let fx = Fixture::new();
    let loaded = load_ok(&fx.options(&[]));
    assert_eq!(loaded.file.chosen_by, PathChoice::Default);
    assert!(!loaded.file.exists);
    let c = &loaded.config;
    assert_eq!(c.thresholds, Thresholds::default());
    assert_eq!(c.thresholds.broadcast_stuck_after, Duration::from_secs(300));
    assert_eq!(c.thresholds.claim_stuck_after, Duration::from_secs(90));
    assert_eq!(c.thresholds.max_call_duration, Duration::from_secs(3600));
    assert_eq!(c.thresholds.error_rate_warn, 0.25);
    assert_eq!(c.thresholds.calls_per_minute_warn, 100);
    assert_eq!(c.poll.live_interval, Duration::from_secs(1));
    assert_eq!(c.poll.logs_interval, Duration::from_secs(2));
    assert_eq!(c.poll.progress_interval, Duration::from_secs(5));
    assert_eq!(c.poll.full_read_interval, Duration::from_secs(5));
    assert_eq!(c.poll.providers_interval, Duration::from_secs(60));
    assert_eq!(c.test_broadcast.max_calls, 3);
    assert!(c.test_broadcast.allowlist.is_empty());
    assert_eq!(c.retell.base_url.as_str(), "https://api.retellai.com");
    assert_eq!(
        c.twilio.trunking_base_url.as_str(),
        "https://trunking.twilio.com"
    );
    assert_eq!(
        c.google.calendar_base_url.as_str(),
        "https://www.googleapis.com/calendar/v3"
    );
    assert!(c.non_default_endpoints().is_empty());
    assert!(c.database.url.is_none() && c.retell.api_key.is_none());
    assert!(!c.ui.read_only);
    assert_eq!(c.logging.level, "info");
    assert_eq!(c.keys, KeyMap::default());
    assert!(loaded.warnings.is_empty());
    assert!(loaded.origins.is_empty());
    assert_eq!(loaded.data_dir().ok(), Some(fx.path("data")));
}

#[test]
fn a_missing_explicit_file_is_an_error() {
    let fx = Fixture::new();
    let mut opts = fx.options(&[]);
    opts.config_path = Some(fx.path("nope.toml"));
    let err = load_err(&opts);
    assert!(
        err.contains("nope.toml") && err.contains("--config"),
        "{err}"
    );
    assert!(err.contains("config init"), "{err}");

    let missing = fx.path("missing.toml");
    let opts = fx.options(&[("LAUNCHDECK_CONFIG", missing.to_str().unwrap_or_default())]);
    let err = load_err(&opts);
    assert!(err.contains("LAUNCHDECK_CONFIG"), "{err}");
}

#[test]
fn config_path_precedence_flag_then_env_then_default() {
    let fx = Fixture::new();
    let flag = fx.write("flag.toml", "[ui]\nenvironment_name = \"flag\"\n", 0o600);
    let env = fx.write("env.toml", "[ui]\nenvironment_name = \"env\"\n", 0o600);
    fx.write(
        "default.toml",
        "[ui]\nenvironment_name = \"default\"\n",
        0o600,
    );
    let env_str = env.to_string_lossy().into_owned();

    let mut opts = fx.options(&[("LAUNCHDECK_CONFIG", &env_str)]);
    opts.config_path = Some(flag.clone());
    let loaded = load_ok(&opts);
    assert_eq!(loaded.config.ui.environment_name.as_deref(), Some("flag"));
    assert_eq!(loaded.file.chosen_by, PathChoice::Flag);
    assert_eq!(loaded.file.path.as_deref(), Some(flag.as_path()));

    let loaded = load_ok(&fx.options(&[("LAUNCHDECK_CONFIG", &env_str)]));
    assert_eq!(loaded.config.ui.environment_name.as_deref(), Some("env"));
    assert_eq!(loaded.file.chosen_by, PathChoice::Env);

    let loaded = load_ok(&fx.options(&[]));
    assert_eq!(
        loaded.config.ui.environment_name.as_deref(),
        Some("default")
    );
    assert!(loaded.file.exists);
}

#[test]
fn env_overrides_win_over_the_file_and_map_to_known_keys() {
    let fx = Fixture::new();
    let text = "[retell]\nbase_url = \"http://127.0.0.1:9000\"\n[test_broadcast]\nmax_calls = 1\n";
    fx.write("default.toml", text, 0o600);
    let opts = fx.options(&[
        (
            "LAUNCHDECK_RETELL_BASE_URL",
            "http://127.0.0.1:8700/retell/",
        ),
        ("LAUNCHDECK_TEST_BROADCAST_MAX_CALLS", "2"),
        (
            "LAUNCHDECK_TEST_BROADCAST_ALLOWLIST",
            "+14155550199, +442071838750",
        ),
        ("LAUNCHDECK_THRESHOLDS_CALL_STUCK_AFTER", "3m"),
        ("LAUNCHDECK_THRESHOLDS_ERROR_RATE_WARN", "0.5"),
        ("LAUNCHDECK_UI_READ_ONLY", "yes"),
        ("LAUNCHDECK_UI_TIMEZONE", "America/New_York"),
        (
            "LAUNCHDECK_SCOPE_ORG_ID",
            "6f1c9a2e-5b4d-4c3b-9a8e-1f2d3c4b5a69",
        ),
        ("LAUNCHDECK_KEYS_QUIT", "ctrl-q"),
        ("LAUNCHDECK_LOGGING_LEVEL", "debug"),
    ]);
    let loaded = load_ok(&opts);
    let c = &loaded.config;
    assert_eq!(c.retell.base_url.as_str(), "http://127.0.0.1:8700/retell");
    assert_eq!(c.test_broadcast.max_calls, 2);
    assert_eq!(
        c.test_broadcast.allowlist,
        vec!["+14155550199".to_string(), "+442071838750".to_string()]
    );
    assert_eq!(c.thresholds.call_stuck_after, Duration::from_secs(180));
    assert_eq!(c.thresholds.error_rate_warn, 0.5);
    assert!(c.ui.read_only);
    assert_eq!(c.ui.timezone, Some(chrono_tz::America::New_York));
    assert!(c.scope.org_id.is_some() && c.scope.user_id.is_none());
    let ctrl_q = KeyBinding::parse("ctrl-q").ok();
    assert_eq!(c.keys.keys(KeyAction::Quit).first().copied(), ctrl_q);
    assert_eq!(c.logging.level, "debug");
    assert_eq!(
        loaded.origin("test_broadcast", "max_calls"),
        Origin::Env("LAUNCHDECK_TEST_BROADCAST_MAX_CALLS".to_string())
    );
    assert_eq!(c.non_default_endpoints().len(), 1);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn unknown_launchdeck_variables_warn_except_harness_ones() {
    let fx = Fixture::new();
    let opts = fx.options(&[
        ("LAUNCHDECK_RETEL_API_KEY", "x"),
        ("LAUNCHDECK_DATA_DIR", "/somewhere"),
        ("LAUNCHDECK_CONFIG", ""),
        ("LAUNCHDECK_TEST_PG_BIN", "/usr/lib/postgresql/bin"),
        ("LAUNCHDECK_DATABASE_URL", "postgres://u@localhost/db"),
        ("UNRELATED", "x"),
    ]);
    let loaded = load_ok(&opts);
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert!(loaded.warnings[0].starts_with("LAUNCHDECK_RETEL_API_KEY is not a launchdeck setting"));
    assert_eq!(loaded.data_dir().ok(), Some(PathBuf::from("/somewhere")));
}

#[test]
fn bad_env_values_name_the_variable() {
    let fx = Fixture::new();
    let cases = [
        (
            "LAUNCHDECK_TEST_BROADCAST_MAX_CALLS",
            "three",
            "is not a whole number",
        ),
        ("LAUNCHDECK_TEST_BROADCAST_MAX_CALLS", "4", "outside 1 to 3"),
        ("LAUNCHDECK_POLL_LIVE_INTERVAL", "soon", "is not a duration"),
        ("LAUNCHDECK_UI_READ_ONLY", "maybe", "is not true or false"),
        (
            "LAUNCHDECK_TWILIO_BASE_URL",
            "http://api.twilio.com",
            "not loopback",
        ),
    ];
    for (var, value, problem) in cases {
        let err = load_err(&fx.options(&[(var, value)]));
        assert!(err.starts_with(&format!("{var}: ")), "{err}");
        assert!(err.contains(problem), "{err}");
        assert!(err.contains("Fix:"), "{err}");
    }
}

#[test]
fn platform_secret_names_win_over_launchdeck_vars_and_the_file() {
    let fx = Fixture::new();
    let text = "[retell]\napi_key = \"file_retell_key_000000\"\n[twilio]\nauth_token = \"file_twilio_token_0000\"\naccount_sid = \"ACfile0000000000000000000000000000\"\n";
    fx.write("default.toml", text, 0o600);
    let opts = fx.options(&[
        ("RETELL_AI_API_KEY", RETELL_KEY),
        ("LAUNCHDECK_RETELL_API_KEY", "launchdeck_retell_key_111"),
        ("LAUNCHDECK_TWILIO_AUTH_TOKEN", TWILIO_TOKEN),
        ("TWILIO_ACCOUNT_SID", ""),
        ("ELEVENLABS_API_KEY", "eleven_key_0123456789"),
        ("GOOGLE_CLIENT_ID", "client-id.apps.googleusercontent.com"),
        ("GOOGLE_CLIENT_SECRET", "GOCSPX-client-secret-0000"),
    ]);
    let loaded = load_ok(&opts);
    let c = &loaded.config;
    assert_eq!(exposed(c.retell.api_key.as_ref()), Some(RETELL_KEY));
    assert_eq!(exposed(c.twilio.auth_token.as_ref()), Some(TWILIO_TOKEN));
    // an empty variable counts as unset, so the file's value stays
    assert_eq!(
        exposed(c.twilio.account_sid.as_ref()),
        Some("ACfile0000000000000000000000000000")
    );
    assert_eq!(
        exposed(c.elevenlabs.api_key.as_ref()),
        Some("eleven_key_0123456789")
    );
    assert_eq!(
        loaded.origin("retell", "api_key"),
        Origin::Env("RETELL_AI_API_KEY".into())
    );
    assert_eq!(
        loaded.origin("twilio", "auth_token"),
        Origin::Env("LAUNCHDECK_TWILIO_AUTH_TOKEN".into())
    );
    assert!(matches!(
        loaded.origin("twilio", "account_sid"),
        Origin::File { line: 5, .. }
    ));

    let statuses = loaded.secrets();
    let retell = statuses
        .iter()
        .find(|s| s.section == "retell" && s.key == "api_key")
        .expect("retell secret listed");
    assert_eq!(retell.masked.as_deref(), Some("••••9f3c"));
    let sid = statuses
        .iter()
        .find(|s| s.key == "account_sid")
        .expect("sid listed");
    assert_eq!(sid.masked.as_deref(), Some("AC••••0000"));
    let db = statuses
        .iter()
        .find(|s| s.section == "database")
        .expect("db listed");
    assert_eq!(db.masked, None);
    assert_eq!(db.origin, Origin::Default);
}

#[test]
fn database_url_precedence() {
    let fx = Fixture::new();
    let url = |name: &str| format!("postgres://u:{DB_PASSWORD}@{name}:5432/postgres");
    let text = format!("[database]\nurl = \"{}\"\n", url("file"));
    fx.write("default.toml", &text, 0o600);
    let all = [
        ("LAUNCHDECK_DATABASE_URL", url("launchdeck")),
        ("DATABASE_URL", url("database")),
        ("SUPABASE_DB_URL", url("supabase")),
    ];
    let host = |loaded: &LoadedConfig| {
        let shown = database_url_for_display(
            exposed(loaded.config.database.url.as_ref()).unwrap_or_default(),
        );
        assert!(!shown.contains(DB_PASSWORD));
        shown
            .split('@')
            .nth(1)
            .and_then(|rest| rest.split(':').next())
            .unwrap_or_default()
            .to_string()
    };
    let env_from = |skip: usize| {
        let pairs: Vec<(&str, &str)> = all[skip..].iter().map(|(k, v)| (*k, v.as_str())).collect();
        fx.options(&pairs)
    };

    let mut opts = env_from(0);
    opts.flags.database_url = Some(SecretString::from(url("flag")));
    let loaded = load_ok(&opts);
    assert_eq!(host(&loaded), "flag");
    assert_eq!(
        loaded.origin("database", "url"),
        Origin::Flag("--database-url".into())
    );

    assert_eq!(host(&load_ok(&env_from(0))), "launchdeck");
    assert_eq!(host(&load_ok(&env_from(1))), "database");
    assert_eq!(host(&load_ok(&env_from(2))), "supabase");
    assert_eq!(host(&load_ok(&env_from(3))), "file");
}

#[test]
fn flags_override_env_and_file() {
    let fx = Fixture::new();
    fx.write(
        "default.toml",
        "[scope]\nuser_id = \"00000000-0000-0000-0000-000000000001\"\n[logging]\nfile = \"from-file.log\"\n",
        0o600,
    );
    let mut opts = fx.options(&[("LAUNCHDECK_UI_READ_ONLY", "false")]);
    let user = Uuid::from_u128(42);
    opts.flags = Flags {
        database_url: None,
        read_only: true,
        user_id: Some(user),
        org_id: None,
        log_file: Some(PathBuf::from("flag.log")),
    };
    let loaded = load_ok(&opts);
    assert!(loaded.config.ui.read_only);
    assert_eq!(loaded.config.scope.user_id, Some(user));
    assert_eq!(loaded.config.logging.file, Some(PathBuf::from("flag.log")));
    assert_eq!(
        loaded.origin("scope", "user_id"),
        Origin::Flag("--user".into())
    );
}

#[test]
fn unknown_key_error_has_file_line_column_and_known_keys() {
    let fx = Fixture::new();
    let text =
        "# launchdeck\n\n[retell]\nbase_url = \"https://api.retellai.com\"\n\n  retel = \"x\"\n";
    let path = fx.write("default.toml", text, 0o600);
    let err = load_err(&fx.options(&[]));
    assert_eq!(
        err,
        format!(
            "{}:6:3: unknown key \"retel\" in [retell] — known keys: api_key, base_url. Fix: correct the key name or remove it",
            path.display()
        )
    );
}

#[test]
fn unknown_key_binding_action_is_an_error() {
    let fx = Fixture::new();
    fx.write(
        "default.toml",
        "[keys]\nquit = \"q\"\nexplode = \"x\"\n",
        0o600,
    );
    let err = load_err(&fx.options(&[]));
    assert!(
        err.contains(":3:1: unknown key \"explode\" in [keys]"),
        "{err}"
    );
    assert!(err.contains("quit, help"), "{err}");
}

#[test]
fn bad_values_in_the_file_name_position_and_key() {
    let fx = Fixture::new();
    let cases = [
        (
            "[thresholds]\ncall_stuck_after = \"5 parsecs\"\n",
            "2:1: [thresholds] call_stuck_after: \"5 parsecs\" is not a duration",
        ),
        (
            "[poll]\nlive_interval = \"0s\"\n",
            "2:1: [poll] live_interval: \"0s\" is zero",
        ),
        (
            "[poll]\nproviders_interval = \"500ms\"\n",
            "2:1: [poll] providers_interval: shorter than 1s",
        ),
        (
            "[poll]\nprogress_interval = \"6s\"\n",
            "2:1: [poll] progress_interval: longer than 5s",
        ),
        (
            "[poll]\nfull_read_interval = \"10s\"\n",
            "2:1: [poll] full_read_interval: longer than 5s",
        ),
        (
            "[retell]\nbase_url = \"http://api.retellai.com\"\n",
            "2:1: [retell] base_url: \"http://api.retellai.com\" uses http://",
        ),
        (
            "[google]\ntoken_url = \"not a url\"\n",
            "2:1: [google] token_url: \"not a url\" is not a URL",
        ),
        (
            "[scope]\norg_id = \"acme\"\n",
            "2:1: [scope] org_id: \"acme\" is not a UUID",
        ),
        (
            "[test_broadcast]\nmax_calls = 10\n",
            "2:1: [test_broadcast] max_calls: 10 is outside 1 to 3",
        ),
        (
            "[test_broadcast]\nallowlist = [\"+14155550199\", \"555-0199\"]\n",
            "2:1: [test_broadcast] allowlist: entry 2 (\"555-0199\") is not an E.164 number",
        ),
        (
            "[test_broadcast]\nallowlist = [\"+10005550100\"]\n",
            "2:1: [test_broadcast] allowlist: entry 1 (\"+10005550100\") is not a valid phone number",
        ),
        (
            "[thresholds]\nerror_rate_warn = 25\n",
            "2:1: [thresholds] error_rate_warn: 25 is not a fraction",
        ),
        (
            "[ui]\ntimezone = \"Mars/Olympus\"\n",
            "2:1: [ui] timezone: \"Mars/Olympus\" is not an IANA time zone",
        ),
        (
            "[keys]\nrefresh = \"q\"\n",
            "2:1: [keys] refresh: key \"q\" is bound to both quit and refresh",
        ),
        (
            "[keys]\nquit = \"ctrl-c\"\n",
            "2:1: [keys] quit: ctrl-c is reserved",
        ),
        (
            "[keys]\nhelp = \"F1\"\n",
            "2:1: [keys] help: \"F1\" is not a key",
        ),
        (
            "[poll]\nlive_interval = 5\n",
            "2:17: [poll] live_interval must be a duration in quotes, e.g. \"90s\"",
        ),
        (
            "[ui]\nread_only = \"yes\"\n",
            "2:13: [ui] read_only must be true or false, found a string",
        ),
    ];
    for (text, expected) in cases {
        let path = fx.write("default.toml", text, 0o600);
        let Err(err) = Config::load(&fx.options(&[])) else {
            panic!("loaded without error: {text}");
        };
        let err = err.to_string();
        let expected = format!("{}:{expected}", path.display());
        assert!(
            err.starts_with(&expected),
            "\n got: {err}\nwant: {expected}"
        );
        assert!(err.contains("Fix: "), "{err}");
    }
}

#[test]
fn bad_database_url_never_echoes_the_password() {
    let fx = Fixture::new();
    let text = format!("[database]\nurl = \"mysql://u:{DB_PASSWORD}@h/db\"\n");
    fx.write("default.toml", &text, 0o600);
    let err = load_err(&fx.options(&[]));
    assert!(err.contains("[database] url"), "{err}");
    assert!(!err.contains(DB_PASSWORD), "{err}");
}

#[cfg(unix)]
#[test]
fn a_readable_file_with_secrets_is_refused_ssh_style() {
    let fx = Fixture::new();
    let text = format!("[retell]\napi_key = \"{RETELL_KEY}\"\n");
    for mode in [0o644, 0o640, 0o604, 0o660] {
        let path = fx.write("default.toml", &text, mode);
        let err = load_err(&fx.options(&[]));
        let shown = path.display();
        assert_eq!(
            err,
            format!(
                "Permissions {mode:04o} for '{shown}' are too open. It is required that a config file holding secrets is not accessible by others. Fix: chmod 600 {shown}"
            )
        );
        assert!(!err.contains(RETELL_KEY));
    }
    fx.write("default.toml", &text, 0o600);
    load_ok(&fx.options(&[]));
    fx.write("default.toml", &text, 0o400);
    load_ok(&fx.options(&[]));
}

#[cfg(unix)]
#[test]
fn a_readable_file_without_secrets_is_fine() {
    let fx = Fixture::new();
    fx.write(
        "default.toml",
        "[retell]\napi_key = \"\"\n[ui]\nenvironment_name = \"staging\"\n",
        0o644,
    );
    let loaded = load_ok(&fx.options(&[]));
    assert!(loaded.config.retell.api_key.is_none());
}

#[test]
fn secrets_never_appear_in_debug_or_display() {
    let fx = Fixture::new();
    let text = format!(
        "[database]\nurl = \"postgres://app:{DB_PASSWORD}@db.example.com/postgres\"\n[retell]\napi_key = \"{RETELL_KEY}\"\n"
    );
    fx.write("default.toml", &text, 0o600);
    let mut opts = fx.options(&[("TWILIO_AUTH_TOKEN", TWILIO_TOKEN)]);
    opts.flags.database_url = Some(SecretString::from(format!(
        "postgres://app:{DB_PASSWORD}@flag.example.com/postgres"
    )));
    let loaded = load_ok(&opts);
    let mut shown = format!("{loaded:?}\n{opts:?}\n{:?}", loaded.config);
    for status in loaded.secrets() {
        shown.push_str(&format!("{status:?} {}\n", status.origin));
    }
    for canary in [RETELL_KEY, TWILIO_TOKEN, DB_PASSWORD] {
        assert!(!shown.contains(canary), "{canary} leaked");
    }
    assert!(shown.contains("••••9f3c"));
}

#[test]
fn errors_on_secret_keys_never_show_the_value() {
    let fx = Fixture::new();
    let cases = [
        format!("[retell]\napi_key = \"{RETELL_KEY}\"\nbase_url = 5\n"),
        format!("[retell]\napi_key = \"{RETELL_KEY}\n"),
        format!("[retell]\napi_key = [\"{RETELL_KEY}\", 1]\n"),
        format!("[retell]\napi_key = \"{RETELL_KEY}\"\napi_key = \"{RETELL_KEY}\"\n"),
        format!("[retell]\napi_key = \"{RETELL_KEY}\"\n[retell]\n"),
    ];
    for text in cases {
        fx.write("default.toml", &text, 0o600);
        let err = load_err(&fx.options(&[]));
        assert!(!err.contains(RETELL_KEY), "{err}");
    }
}

#[test]
fn data_dir_honours_the_override() {
    let env = env_map(&[("LAUNCHDECK_DATA_DIR", "/var/lib/launchdeck")]);
    assert_eq!(
        data_dir(&env).ok(),
        Some(PathBuf::from("/var/lib/launchdeck"))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_file_text_never_panics(text in any::<String>()) {
        let fx = Fixture::new();
        fx.write("default.toml", &text, 0o600);
        let _ = Config::load(&fx.options(&[]));
    }

    #[test]
    fn toml_shaped_text_never_panics(
        section in prop::sample::select(vec!["retell", "thresholds", "poll", "keys", "test_broadcast", "ui", "bogus"]),
        key in "[a-z_]{1,24}",
        value in prop_oneof![
            "\"[ -~]{0,30}\"",
            "-?[0-9]{1,20}",
            "[0-9]{1,5}\\.[0-9]{1,5}",
            Just("true".to_string()),
            "\\[\"[ -~&&[^\"\\\\]]{0,12}\"\\]",
        ],
    ) {
        let fx = Fixture::new();
        fx.write("default.toml", &format!("[{section}]\n{key} = {value}\n"), 0o600);
        let _ = Config::load(&fx.options(&[]));
    }

    #[test]
    fn arbitrary_env_values_never_panic(
        var in prop::sample::select(schema::all_keys().iter().map(|(s, k)| env_var_name(s, k.name)).collect::<Vec<_>>()),
        value in any::<String>(),
    ) {
        let fx = Fixture::new();
        let _ = Config::load(&fx.options(&[(&var, &value)]));
    }

    #[test]
    fn arbitrary_key_strings_and_durations_never_panic(text in any::<String>()) {
        let _ = KeyBinding::parse(&text);
        let _ = parse_duration(&text);
        let _ = BaseUrl::parse(&text);
        let _ = database_url_for_display(&text);
    }
}

#[test]
fn a_read_replica_needs_the_primary_too_and_its_lag_bound_defaults_to_10s() {
    let fx = Fixture::new();
    let replica = "postgres://reader:hunter2@replica.example.com/postgres";
    let err = load_err(&fx.options(&[("LAUNCHDECK_DATABASE_READ_URL", replica)]));
    assert!(err.contains("[database] read_url"), "{err}");
    assert!(err.contains("set the primary's URL too"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");

    let loaded = load_ok(&fx.options(&[
        (
            "LAUNCHDECK_DATABASE_URL",
            "postgres://u@primary.example.com/db",
        ),
        ("LAUNCHDECK_DATABASE_READ_URL", replica),
    ]));
    let database = &loaded.config.database;
    assert!(database.read_url.is_some());
    assert_eq!(database.max_replica_lag, Duration::from_secs(10));
    let loaded = load_ok(&fx.options(&[
        (
            "LAUNCHDECK_DATABASE_URL",
            "postgres://u@primary.example.com/db",
        ),
        ("LAUNCHDECK_DATABASE_MAX_REPLICA_LAG", "2s"),
    ]));
    assert_eq!(
        loaded.config.database.max_replica_lag,
        Duration::from_secs(2)
    );
}

/// Hostile values (issue #11): each is refused with the file, the line, the key and a
/// fix; none panics, none is taken silently.
#[test]
fn hostile_values_are_refused_by_name() {
    let fx = Fixture::new();
    let cases = [
        (
            "[thresholds]\ncall_stuck_after = \"-5m\"\n",
            "[thresholds] call_stuck_after",
        ),
        (
            "[thresholds]\nclaim_stuck_after = \"0s\"\n",
            "[thresholds] claim_stuck_after",
        ),
        ("[poll]\nlive_interval = \"-1s\"\n", "[poll] live_interval"),
        (
            "[poll]\nreadiness_interval = \"0s\"\n",
            "[poll] readiness_interval",
        ),
        (
            "[poll]\nlive_interval = \"99999999999999999999d\"\n",
            "[poll] live_interval",
        ),
        (
            "[poll]\nlogs_interval = \"100000d\"\n",
            "[poll] logs_interval",
        ),
        (
            "[thresholds]\ncall_stuck_after = \"10000000000000h\"\n",
            "[thresholds] call_stuck_after",
        ),
        ("[ui]\nlog_window = -5\n", "[ui] log_window"),
        ("[ui]\nlog_window = 0\n", "[ui] log_window"),
        ("[ui]\nlog_window = 99999999999\n", "[ui] log_window"),
        (
            "[test_broadcast]\nmax_calls = 4\n",
            "[test_broadcast] max_calls",
        ),
        (
            "[test_broadcast]\nmax_calls = -1\n",
            "[test_broadcast] max_calls",
        ),
        (
            "[twilio]\nbase_url = \"ftp://api.twilio.com\"\n",
            "[twilio] base_url",
        ),
        (
            "[elevenlabs]\nbase_url = \"file:///etc/passwd\"\n",
            "[elevenlabs] base_url",
        ),
        (
            "[scope]\nuser_id = \"00000000-0000-0000-0000-00000000000\"\n",
            "[scope] user_id",
        ),
        (
            "[thresholds]\nerror_rate_warn = -0.5\n",
            "[thresholds] error_rate_warn",
        ),
    ];
    let mut wrong = Vec::new();
    for (text, key) in cases {
        fx.write("default.toml", text, 0o600);
        match std::panic::catch_unwind(|| Config::load(&fx.options(&[]))) {
            Err(_) => wrong.push(format!("panicked on {text:?}")),
            Ok(Ok(_)) => wrong.push(format!("took {text:?}")),
            Ok(Err(err)) => {
                let err = err.to_string();
                if !(err.contains(key) && err.contains("2:") && err.contains("Fix: ")) {
                    wrong.push(format!("{text:?} → {err}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A file that is not a configuration at all: one of a megabyte, one that is not UTF-8.
#[test]
fn absurd_files_are_refused_with_a_clear_error() {
    let fx = Fixture::new();
    let huge = format!("# {}\n", "x".repeat(1 << 20));
    let path = fx.path("default.toml");
    for (bytes, says) in [
        (huge.into_bytes(), "too large"),
        (b"[poll]\nlive_interval = \"\xff\xfe\"\n".to_vec(), "UTF-8"),
    ] {
        std::fs::write(&path, &bytes).expect("write");
        set_mode(&path, 0o600);
        let err = load_err(&fx.options(&[]));
        assert!(err.contains(says), "{err}");
        assert!(err.contains(&path.display().to_string()), "{err}");
    }
}
