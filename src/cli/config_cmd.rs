//! `launchdeck config check | path | init`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use clap::{Args, Subcommand};
use launchdeck_core::config::{
    BaseUrl, KeyMap, LoadedConfig, Origin, SecretStatus, format_duration, resolve_config_path,
};
use launchdeck_core::redact::mask_phone;

use super::exit::Exit;
use super::output::Mark;
use super::{Context, logging, report_error};

/// The commented example written by `config init`.
const EXAMPLE_CONFIG: &str = include_str!("../../config.example.toml");

#[derive(Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Load and validate the configuration; show each section, secrets masked with
    /// their source (exit 0 valid, 2 invalid)
    Check,
    /// Print the config file path in use and whether it exists
    Path,
    /// Write a commented example config file (mode 0600) at the config path
    Init {
        /// Replace an existing file
        #[arg(long)]
        force: bool,
    },
}

pub fn run(args: ConfigArgs, ctx: &Context) -> Exit {
    match args.command {
        ConfigCommand::Check => check(ctx),
        ConfigCommand::Path => path(ctx),
        ConfigCommand::Init { force } => init(ctx, force),
    }
}

/// One line of the report: a mark, a label and the detail.
struct Line {
    mark: Mark,
    label: String,
    detail: String,
    /// A detail of the line above (a section's secret).
    indent: bool,
}

fn line(mark: Mark, label: &str, detail: impl Into<String>) -> Line {
    Line {
        mark,
        label: label.to_string(),
        detail: detail.into(),
        indent: false,
    }
}

fn check(ctx: &Context) -> Exit {
    let loaded = match ctx.load_config() {
        Ok(loaded) => loaded,
        Err(e) => return report_error(e),
    };
    println!("{}", file_summary(&loaded));
    let mut lines = section_lines(&loaded);
    let logging_ok = match logging::init_logging(&loaded, &ctx.global, &ctx.env) {
        Ok(guard) => {
            tracing::info!("config check passed");
            let detail = format!("{} → {}", guard.filter, guard.file.display());
            lines.push(line(Mark::Ok, "logging", detail));
            true
        }
        Err(problem) => {
            lines.push(line(Mark::Fail, "logging", problem));
            false
        }
    };
    for warning in &loaded.warnings {
        lines.push(line(Mark::Warn, "environment", warning.clone()));
    }
    for l in &lines {
        let mark = ctx.painter.mark(l.mark);
        if l.indent {
            println!("    {mark} {} {}", l.label, l.detail);
        } else {
            println!("{mark} {:<16} {}", l.label, l.detail);
        }
    }
    let warnings = lines.iter().filter(|l| l.mark == Mark::Warn).count();
    if !logging_ok {
        eprintln!("error: the logging settings are not usable (see above)");
        return Exit::CouldNotRun;
    }
    match warnings {
        0 => println!("Configuration OK."),
        n => println!("Configuration OK, {n} warning(s)."),
    }
    Exit::Done
}

fn file_summary(loaded: &LoadedConfig) -> String {
    match &loaded.file.path {
        Some(path) if loaded.file.exists => format!(
            "Config file: {} (from {})",
            path.display(),
            loaded.file.chosen_by
        ),
        Some(path) => format!(
            "Config file: none at {} (from {}); using defaults and the environment",
            path.display(),
            loaded.file.chosen_by
        ),
        None => {
            "Config file: none (no home directory); using defaults and the environment".to_string()
        }
    }
}

fn section_lines(loaded: &LoadedConfig) -> Vec<Line> {
    let c = &loaded.config;
    let secrets = loaded.secrets();
    let mut lines = vec![database_line(&secrets), scope_line(loaded)];
    let providers: [(&str, Vec<(&str, &BaseUrl)>); 4] = [
        ("retell", vec![("base_url", &c.retell.base_url)]),
        (
            "twilio",
            vec![
                ("base_url", &c.twilio.base_url),
                ("trunking_base_url", &c.twilio.trunking_base_url),
            ],
        ),
        ("elevenlabs", vec![("base_url", &c.elevenlabs.base_url)]),
        (
            "google",
            vec![
                ("token_url", &c.google.token_url),
                ("calendar_base_url", &c.google.calendar_base_url),
            ],
        ),
    ];
    for (section, urls) in providers {
        lines.extend(provider_lines(loaded, &secrets, section, &urls));
    }
    let t = &c.thresholds;
    lines.push(line(
        Mark::Ok,
        "thresholds",
        format!(
            "stuck after: broadcast {}, call {}, dialing {}, claim {}; max call {}; token margin {}; warn at error rate {}, {} calls/min, ElevenLabs quota {}, daily cap {}",
            format_duration(t.broadcast_stuck_after),
            format_duration(t.call_stuck_after),
            format_duration(t.dialing_stuck_after),
            format_duration(t.claim_stuck_after),
            format_duration(t.max_call_duration),
            format_duration(t.token_refresh_margin),
            t.error_rate_warn,
            t.calls_per_minute_warn,
            t.elevenlabs_quota_warn,
            t.daily_cap_warn
        ),
    ));
    let p = &c.poll;
    lines.push(line(
        Mark::Ok,
        "poll",
        format!(
            "live {}, logs {}, config {}, readiness {}, providers {}",
            format_duration(p.live_interval),
            format_duration(p.logs_interval),
            format_duration(p.config_interval),
            format_duration(p.readiness_interval),
            format_duration(p.providers_interval)
        ),
    ));
    lines.push(test_broadcast_line(loaded));
    lines.push(ui_line(loaded));
    lines.push(keys_line(&c.keys));
    lines
}

fn origin_note(origin: &Origin) -> String {
    match origin {
        Origin::Default => "default".to_string(),
        Origin::File { line, .. } => format!("from the config file, line {line}"),
        Origin::Env(name) | Origin::Flag(name) => format!("from {name}"),
    }
}

fn secret_line(status: &SecretStatus) -> Line {
    let label = format!("{}.{}", status.section, status.key);
    let mut l = match &status.masked {
        Some(masked) => line(
            Mark::Ok,
            &label,
            format!("{masked} ({})", origin_note(&status.origin)),
        ),
        None => line(
            Mark::Warn,
            &label,
            format!(
                "not set. Fix: export {} or set [{}] {}",
                status.env_vars.first().copied().unwrap_or("it"),
                status.section,
                status.key
            ),
        ),
    };
    l.indent = true;
    l
}

fn database_line(secrets: &[SecretStatus]) -> Line {
    match secrets.iter().find(|s| s.section == "database") {
        Some(SecretStatus {
            masked: Some(url),
            origin,
            ..
        }) => line(
            Mark::Ok,
            "database",
            format!("{url} ({})", origin_note(origin)),
        ),
        _ => line(
            Mark::Warn,
            "database",
            "url not set. Fix: export DATABASE_URL (or LAUNCHDECK_DATABASE_URL), pass --database-url, or set [database] url",
        ),
    }
}

fn scope_line(loaded: &LoadedConfig) -> Line {
    let scope = &loaded.config.scope;
    let mut parts = Vec::new();
    if let Some(user) = scope.user_id {
        parts.push(format!(
            "user {user} ({})",
            origin_note(&loaded.origin("scope", "user_id"))
        ));
    }
    if let Some(org) = scope.org_id {
        parts.push(format!(
            "org {org} ({})",
            origin_note(&loaded.origin("scope", "org_id"))
        ));
    }
    if parts.is_empty() {
        parts.push("every tenant the connection sees".to_string());
    }
    line(Mark::Ok, "scope", parts.join(", "))
}

fn provider_lines(
    loaded: &LoadedConfig,
    secrets: &[SecretStatus],
    section: &str,
    urls: &[(&str, &BaseUrl)],
) -> Vec<Line> {
    let described: Vec<String> = urls
        .iter()
        .map(|(key, url)| match loaded.origin(section, key) {
            Origin::Default => url.to_string(),
            origin => format!("{url} ({}, non-production endpoint)", origin_note(&origin)),
        })
        .collect();
    let section_secrets: Vec<&SecretStatus> =
        secrets.iter().filter(|s| s.section == section).collect();
    let mark = if section_secrets.iter().all(|s| s.masked.is_some()) {
        Mark::Ok
    } else {
        Mark::Warn
    };
    let mut lines = vec![line(mark, section, described.join(", "))];
    lines.extend(section_secrets.into_iter().map(secret_line));
    lines
}

fn test_broadcast_line(loaded: &LoadedConfig) -> Line {
    let tb = &loaded.config.test_broadcast;
    if tb.allowlist.is_empty() {
        return line(
            Mark::Warn,
            "test_broadcast",
            "no allowlisted numbers: test broadcasts are refused. Fix: set [test_broadcast] allowlist to numbers you own",
        );
    }
    let numbers: Vec<String> = tb.allowlist.iter().map(|n| mask_phone(n)).collect();
    line(
        Mark::Ok,
        "test_broadcast",
        format!(
            "{} allowlisted number(s) ({}), at most {} call(s) per run",
            numbers.len(),
            numbers.join(", "),
            tb.max_calls
        ),
    )
}

fn ui_line(loaded: &LoadedConfig) -> Line {
    let ui = &loaded.config.ui;
    let environment = ui
        .environment_name
        .as_deref()
        .map_or("unnamed environment".to_string(), |n| {
            format!("environment {n:?}")
        });
    let read_only = if ui.read_only {
        format!(
            "read-only ({})",
            origin_note(&loaded.origin("ui", "read_only"))
        )
    } else {
        "read-write".to_string()
    };
    let timezone = ui
        .timezone
        .map_or("system time zone".to_string(), |tz| tz.name().to_string());
    line(
        Mark::Ok,
        "ui",
        format!(
            "{environment}, {read_only}, logs window {} rows, {timezone}",
            ui.log_window
        ),
    )
}

fn keys_line(keys: &KeyMap) -> Line {
    let defaults = KeyMap::default();
    let changed = keys
        .iter()
        .filter(|(action, bound)| defaults.keys(*action) != *bound)
        .count();
    line(
        Mark::Ok,
        "keys",
        format!(
            "{} actions bound, {changed} changed from the defaults",
            keys.iter().count()
        ),
    )
}

fn path(ctx: &Context) -> Exit {
    let opts = ctx.load_options();
    let file = resolve_config_path(&opts);
    let Some(path) = file.path else {
        return report_error(
            "no config location: there is no home directory. Fix: pass --config PATH or set LAUNCHDECK_CONFIG",
        );
    };
    println!("{}", path.display());
    println!("  chosen by: {}", file.chosen_by);
    if file.exists {
        println!("  exists: yes");
    } else {
        println!("  exists: no (create it with `launchdeck config init`)");
    }
    Exit::Done
}

fn init(ctx: &Context, force: bool) -> Exit {
    let file = resolve_config_path(&ctx.load_options());
    let Some(path) = file.path else {
        return report_error(
            "no config location: there is no home directory. Fix: pass --config PATH or set LAUNCHDECK_CONFIG",
        );
    };
    if path.exists() && !force {
        return report_error(format!(
            "'{}' already exists. Fix: edit it, or pass --force to replace it with the example",
            path.display()
        ));
    }
    if let Err(e) = write_private(&path, EXAMPLE_CONFIG) {
        return report_error(format!(
            "cannot write '{}': {e}. Fix: choose a writable location with --config PATH",
            path.display()
        ));
    }
    println!("Wrote {} (mode 0600).", path.display());
    println!(
        "Next: export the secrets (DATABASE_URL, RETELL_AI_API_KEY, …), edit the file, then run `launchdeck config check`."
    );
    Exit::Done
}

/// Writes `text` to `path` readable by the owner only, creating parent directories.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path)?;
        // an existing file keeps its mode on open: tighten it before writing
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(text.as_bytes())?;
        file.sync_all()
    }
    #[cfg(not(unix))]
    {
        let mut file = options.open(path)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use launchdeck_core::config::{Config, LoadOptions};

    /// Every `# key = value` line of the example, uncommented.
    fn uncommented_example() -> String {
        EXAMPLE_CONFIG
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if looks_like_assignment(rest) => rest,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn looks_like_assignment(text: &str) -> bool {
        text.split_once(" = ").is_some_and(|(key, _)| {
            !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        })
    }

    fn load(text: &str) -> LoadedConfig {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.toml");
        write_private(&path, text).expect("write config");
        let mut opts = LoadOptions::new(Default::default());
        opts.config_path = Some(path);
        Config::load(&opts).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_example_as_written_loads_as_all_defaults() {
        let loaded = load(EXAMPLE_CONFIG);
        assert!(loaded.origins.is_empty(), "{:?}", loaded.origins.keys());
    }

    #[test]
    fn the_example_documents_every_key_with_its_true_default() {
        let text = uncommented_example()
            // the documented placeholders for optional settings
            .replace(
                "url = \"postgres://USER:PASSWORD@HOST:5432/postgres?sslmode=require\"",
                "",
            )
            .replace(
                "read_url = \"postgres://USER:PASSWORD@REPLICA-HOST:5432/postgres?sslmode=require\"",
                "",
            )
            .replace("user_id = \"00000000-0000-0000-0000-000000000000\"", "")
            .replace("org_id = \"00000000-0000-0000-0000-000000000000\"", "")
            .replace("allowlist = [\"+14155550199\"]", "")
            .replace("timezone = \"America/New_York\"", "")
            .replace("file = \"/var/log/launchdeck/launchdeck.log\"", "");
        let loaded = load(&text);
        let defaults = Config::default();
        let c = &loaded.config;
        assert_eq!(c.thresholds, defaults.thresholds);
        assert_eq!(c.poll, defaults.poll);
        assert_eq!(c.test_broadcast, defaults.test_broadcast);
        assert_eq!(c.ui, defaults.ui);
        assert_eq!(c.keys, defaults.keys);
        assert_eq!(c.logging, defaults.logging);
        assert!(c.non_default_endpoints().is_empty());
        // every key of every section is documented
        for section in launchdeck_core::config::SECTIONS {
            for key in section.key_names() {
                let documented = loaded
                    .origins
                    .contains_key(&format!("{}.{key}", section.name))
                    || uncommented_example().contains(&format!("\n{key} = "));
                assert!(
                    documented,
                    "{}.{key} is not in config.example.toml",
                    section.name
                );
            }
        }
    }
}
