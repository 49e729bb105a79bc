//! The `config` commands and `--help`, run as the real binary with a clean
//! environment and a temporary home.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const RETELL_KEY: &str = "key_canary_retell_0123456789_9f3c";
const TWILIO_TOKEN: &str = "canary_twilio_token_abcdef_77aa";
const DB_PASSWORD: &str = "canary_db_password_5511";

/// A temporary home with XDG dirs, and a way to run the binary inside it.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("temp home"),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn config_dir(&self) -> PathBuf {
        self.path("xdg-config/launchdeck")
    }

    fn data_dir(&self) -> PathBuf {
        self.path("xdg-data/launchdeck")
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_launchdeck"));
        command
            .args(args)
            .env_clear()
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.path("xdg-config"))
            .env("XDG_DATA_HOME", self.path("xdg-data"))
            .env("LANG", "C.UTF-8");
        for (k, v) in env {
            command.env(k, v);
        }
        let output = command.output().expect("run launchdeck");
        Run::from(output)
    }

    /// Writes a config file at `rel` with `mode`.
    fn write_config(&self, rel: &str, text: &str, mode: u32) -> PathBuf {
        let path = self.path(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("config dir");
        }
        std::fs::write(&path, text).expect("write config");
        set_mode(&path, mode);
        path
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Run {
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    fn assert_code(&self, code: i32) {
        assert_eq!(
            self.code,
            Some(code),
            "stdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
    }
}

fn good_config() -> String {
    format!(
        "[database]\nurl = \"postgres://app:{DB_PASSWORD}@db.example.com:6543/postgres\"\n\
         [retell]\napi_key = \"{RETELL_KEY}\"\nbase_url = \"http://127.0.0.1:8700/retell\"\n\
         [thresholds]\ncall_stuck_after = \"3m\"\n\
         [test_broadcast]\nallowlist = [\"+14155550199\"]\nmax_calls = 2\n\
         [ui]\nenvironment_name = \"staging\"\n"
    )
}

#[test]
fn help_describes_commands_and_exit_codes() {
    let home = Home::new();
    let run = home.run(&["--help"], &[]);
    run.assert_code(0);
    for text in [
        "config",
        "completions",
        "--config",
        "--database-url",
        "--read-only",
        "--user",
        "--org",
        "--log-file",
        "--no-color",
        "Exit codes:",
        "3  confirmation needed",
    ] {
        assert!(
            run.stdout.contains(text),
            "--help lacks {text:?}:\n{}",
            run.stdout
        );
    }
    let run = home.run(&["config", "--help"], &[]);
    run.assert_code(0);
    for text in ["check", "path", "init"] {
        assert!(run.stdout.contains(text), "{}", run.stdout);
    }
}

#[test]
fn bad_usage_exits_2() {
    let home = Home::new();
    home.run(&["config", "frobnicate"], &[]).assert_code(2);
    home.run(&["--user", "not-a-uuid", "config", "check"], &[])
        .assert_code(2);
}

#[test]
fn completions_are_generated() {
    let home = Home::new();
    let run = home.run(&["completions", "bash"], &[]);
    run.assert_code(0);
    assert!(run.stdout.contains("launchdeck"), "{}", run.stdout);
}

#[test]
fn check_accepts_a_good_file_and_masks_secrets() {
    let home = Home::new();
    let path = home.write_config("xdg-config/launchdeck/config.toml", &good_config(), 0o600);
    let run = home.run(
        &["config", "check"],
        &[
            ("TWILIO_AUTH_TOKEN", TWILIO_TOKEN),
            ("LAUNCHDECK_RETEL_API_KEY", "x"),
        ],
    );
    run.assert_code(0);
    let out = &run.stdout;
    assert!(out.contains(&path.display().to_string()), "{out}");
    assert!(out.contains("retell.api_key"), "{out}");
    assert!(
        out.contains("••••9f3c (from the config file, line 4)"),
        "{out}"
    );
    assert!(out.contains("••••77aa (from TWILIO_AUTH_TOKEN)"), "{out}");
    assert!(
        out.contains("postgres://app:••••@db.example.com:6543/postgres"),
        "{out}"
    );
    assert!(out.contains("non-production endpoint"), "{out}");
    assert!(
        out.contains("LAUNCHDECK_RETEL_API_KEY is not a launchdeck setting"),
        "{out}"
    );
    assert!(out.contains("Configuration OK"), "{out}");
    // no colour codes when stdout is not a terminal
    assert!(!out.contains('\u{1b}'), "{out}");

    let log = std::fs::read_to_string(home.data_dir().join("launchdeck.log")).expect("log file");
    assert!(log.contains("config check passed"), "{log}");
    for canary in [RETELL_KEY, TWILIO_TOKEN, DB_PASSWORD] {
        assert!(
            !run.all().contains(canary),
            "{canary} leaked:\n{}",
            run.all()
        );
        assert!(!log.contains(canary), "{canary} leaked into the log");
    }
}

#[test]
fn check_with_a_broken_file_names_file_line_column_and_key() {
    let home = Home::new();
    let text = "[retell]\nbase_url = \"https://api.retellai.com\"\nretel = \"x\"\n";
    let path = home.write_config("elsewhere/launchdeck.toml", text, 0o600);
    let path_text = path.display().to_string();
    let run = home.run(&["config", "check", "--config", &path_text], &[]);
    run.assert_code(2);
    let expected = format!("{path_text}:3:1: unknown key \"retel\" in [retell]");
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    assert!(run.stderr.contains("Fix:"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);

    let text = "[thresholds]\n\ncall_stuck_after = \"soon\"\n";
    home.write_config("elsewhere/launchdeck.toml", text, 0o600);
    let run = home.run(&["config", "check"], &[("LAUNCHDECK_CONFIG", &path_text)]);
    run.assert_code(2);
    let expected =
        format!("{path_text}:3:1: [thresholds] call_stuck_after: \"soon\" is not a duration");
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
}

#[test]
fn check_with_a_missing_explicit_file_exits_2() {
    let home = Home::new();
    let run = home.run(
        &[
            "config",
            "check",
            "--config",
            "/nonexistent/launchdeck.toml",
        ],
        &[],
    );
    run.assert_code(2);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn check_refuses_a_world_readable_file_holding_a_secret() {
    let home = Home::new();
    let path = home.write_config("xdg-config/launchdeck/config.toml", &good_config(), 0o644);
    let run = home.run(&["config", "check"], &[]);
    run.assert_code(2);
    let shown = path.display();
    let expected = format!(
        "Permissions 0644 for '{shown}' are too open. It is required that a config file holding secrets is not accessible by others. Fix: chmod 600 {shown}"
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    for canary in [RETELL_KEY, DB_PASSWORD] {
        assert!(!run.all().contains(canary), "{canary} leaked");
    }
}

#[cfg(unix)]
#[test]
fn init_writes_a_private_example_that_check_accepts() {
    let home = Home::new();
    let run = home.run(&["config", "path"], &[]);
    run.assert_code(0);
    let default_path = home.config_dir().join("config.toml");
    assert!(
        run.stdout.starts_with(&default_path.display().to_string()),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("exists: no"), "{}", run.stdout);

    let run = home.run(&["config", "init"], &[]);
    run.assert_code(0);
    assert_eq!(mode_of(&default_path), 0o600);
    let written = std::fs::read_to_string(&default_path).expect("written config");
    assert!(written.contains("[thresholds]") && written.contains("broadcast_stuck_after"));

    home.run(&["config", "path"], &[])
        .stdout
        .contains("exists: yes");
    let run = home.run(&["config", "check"], &[("RETELL_AI_API_KEY", RETELL_KEY)]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("••••9f3c (from RETELL_AI_API_KEY)"),
        "{}",
        run.stdout
    );
    assert!(!run.all().contains(RETELL_KEY));

    // no overwrite without --force
    std::fs::write(&default_path, "# mine\n").expect("edit config");
    let run = home.run(&["config", "init"], &[]);
    run.assert_code(2);
    assert!(run.stderr.contains("already exists") && run.stderr.contains("--force"));
    assert_eq!(
        std::fs::read_to_string(&default_path).ok().as_deref(),
        Some("# mine\n")
    );

    set_mode(&default_path, 0o644);
    home.run(&["config", "init", "--force"], &[]).assert_code(0);
    assert_eq!(mode_of(&default_path), 0o600);
    assert_eq!(std::fs::read_to_string(&default_path).ok(), Some(written));
}

#[cfg(unix)]
#[test]
fn init_honours_the_config_flag_and_creates_parent_dirs() {
    let home = Home::new();
    let target = home.path("deep/er/launchdeck.toml");
    let target_text = target.display().to_string();
    home.run(&["config", "init", "--config", &target_text], &[])
        .assert_code(0);
    assert_eq!(mode_of(&target), 0o600);
    let run = home.run(&["config", "path"], &[("LAUNCHDECK_CONFIG", &target_text)]);
    run.assert_code(0);
    assert!(run.stdout.contains("LAUNCHDECK_CONFIG") && run.stdout.contains("exists: yes"));
}

#[test]
fn log_file_flag_and_ascii_marks_without_a_utf8_locale() {
    let home = Home::new();
    let log = home.path("logs/ld.log");
    let log_text = log.display().to_string();
    let run = home.run(
        &["--log-file", &log_text, "config", "check"],
        &[
            ("LANG", "C"),
            ("DATABASE_URL", &format!("postgres://u:{DB_PASSWORD}@h/db")),
        ],
    );
    run.assert_code(0);
    assert!(
        run.stdout.contains("[ok]") && !run.stdout.contains('✓'),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(&log_text), "{}", run.stdout);
    let written = std::fs::read_to_string(&log).expect("log written");
    assert!(!written.contains(DB_PASSWORD));
    assert!(!run.all().contains(DB_PASSWORD));
}

#[test]
fn a_bad_log_filter_is_reported() {
    let home = Home::new();
    let run = home.run(&["config", "check"], &[("RUST_LOG", "launchdeck=loud")]);
    run.assert_code(2);
    assert!(run.stdout.contains("invalid log filter"), "{}", run.stdout);
}
