#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| launchdeck_providers::fuzzing::google_responses(data));
