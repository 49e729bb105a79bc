#![no_main]

libfuzzer_sys::fuzz_target!(
    |data: &[u8]| launchdeck_providers::fuzzing::elevenlabs_responses(data)
);
