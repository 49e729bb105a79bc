#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| launchdeck_providers::fuzzing::twilio_responses(data));
