//! Replays every fuzz target's committed corpus (`fuzz/corpus/<target>/`) and findings
//! (`fuzz/regressions/<target>/`) on the stable toolchain, through the same functions
//! the `cargo fuzz` targets call (`launchdeck_core::fuzzing`,
//! `launchdeck_providers::fuzzing`). A target whose corpus is missing or empty fails,
//! and so does a corpus folder no target replays.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use launchdeck_core::fuzzing as core_fuzzing;
use launchdeck_providers::fuzzing as provider_fuzzing;

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 6] = [
    ("retell_responses", provider_fuzzing::retell_responses),
    ("twilio_responses", provider_fuzzing::twilio_responses),
    (
        "elevenlabs_responses",
        provider_fuzzing::elevenlabs_responses,
    ),
    ("google_responses", provider_fuzzing::google_responses),
    ("config_file", core_fuzzing::config_file),
    ("availability", core_fuzzing::availability),
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of a folder, sorted; none when it does not exist.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a readable folder entry").path())
        .filter(|path| path.is_file())
        .filter(|path| {
            !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    files
}

/// Runs every input through the target; each failure is reported with its file.
fn replay(name: &str, target: Target) {
    let corpus = files_in(&fuzz_dir().join("corpus").join(name));
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{name}/ is missing or empty: the replay would test nothing"
    );
    let regressions = files_in(&fuzz_dir().join("regressions").join(name));
    let mut failures = Vec::new();
    for path in corpus.iter().chain(&regressions) {
        let data = std::fs::read(path).expect("a readable corpus file");
        if catch_unwind(AssertUnwindSafe(|| target(&data))).is_err() {
            failures.push(path.display().to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "{name} failed on (see the panics above):\n{}",
        failures.join("\n")
    );
}

fn replay_target(name: &str) {
    let (_, target) = TARGETS
        .iter()
        .find(|(known, _)| *known == name)
        .expect("a known target");
    replay(name, *target);
}

#[test]
fn retell_responses() {
    replay_target("retell_responses");
}

#[test]
fn twilio_responses() {
    replay_target("twilio_responses");
}

#[test]
fn elevenlabs_responses() {
    replay_target("elevenlabs_responses");
}

#[test]
fn google_responses() {
    replay_target("google_responses");
}

#[test]
fn config_file() {
    replay_target("config_file");
}

#[test]
fn availability() {
    replay_target("availability");
}

/// Every folder under `fuzz/corpus/` and `fuzz/regressions/`, and every `[[bin]]` of
/// `fuzz/Cargo.toml`, is a target replayed here.
#[test]
fn every_fuzz_target_is_replayed() {
    let known: BTreeSet<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    for folder in ["corpus", "regressions"] {
        let entries = std::fs::read_dir(fuzz_dir().join(folder)).expect("a fuzz folder");
        for entry in entries {
            let path = entry.expect("a readable folder entry").path();
            if path.is_dir() {
                let name = path.file_name().expect("a name").to_string_lossy();
                assert!(
                    known.contains(&*name),
                    "fuzz/{folder}/{name} is not replayed"
                );
            }
        }
    }
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz/Cargo.toml");
    let bins: BTreeSet<&str> = manifest
        .lines()
        .filter_map(|line| line.strip_prefix("name = \""))
        .filter_map(|rest| rest.strip_suffix('"'))
        .filter(|name| *name != "launchdeck-fuzz")
        .collect();
    assert_eq!(
        bins, known,
        "fuzz/Cargo.toml's targets and the replayed ones"
    );
}
