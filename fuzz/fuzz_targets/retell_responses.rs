#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| launchdeck_providers::fuzzing::retell_responses(data));
