#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| launchdeck_core::fuzzing::availability(data));
