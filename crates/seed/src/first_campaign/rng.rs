//! The deterministic generator behind the first-campaign data set: seeded random ids,
//! hex strings, phone numbers and timestamps relative to a fixed `now`.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

/// One independent random stream per section of the data set, so adding rows to one
/// section never shifts the ids of another.
pub(super) struct Gen {
    rng: StdRng,
    pub now: DateTime<Utc>,
}

impl Gen {
    pub fn new(seed: u64, section: &str, now: DateTime<Utc>) -> Gen {
        Gen {
            rng: StdRng::seed_from_u64(seed ^ fnv1a(section)),
            now,
        }
    }

    pub fn uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.rng.random()).into_uuid()
    }

    /// `len` lowercase hex digits.
    pub fn hex(&mut self, len: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        (0..len)
            .map(|_| char::from(DIGITS[self.rng.random_range(0..16)]))
            .collect()
    }

    /// A SHA-256 digest in the platform's form: 64 lowercase hex digits.
    pub fn sha256_hex(&mut self) -> String {
        self.hex(64)
    }

    /// A uniform integer in `lo..=hi`.
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.random_range(lo..=hi)
    }

    pub fn chance(&mut self, probability: f64) -> bool {
        self.rng.random_bool(probability.clamp(0.0, 1.0))
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        *self.pick_ref(items)
    }

    pub fn pick_ref<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.random_range(0..items.len())]
    }

    /// An item chosen with probability proportional to its weight.
    pub fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.random_range(0..total);
        for (item, weight) in items {
            if roll < *weight {
                return *item;
            }
            roll -= weight;
        }
        items[items.len() - 1].0
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        items.shuffle(&mut self.rng);
    }

    /// `now` minus a whole number of seconds.
    pub fn secs_ago(&self, secs: i64) -> DateTime<Utc> {
        self.now - Duration::seconds(secs)
    }

    /// A moment between `lo` and `hi` seconds ago (inclusive).
    pub fn between_secs_ago(&mut self, lo: i64, hi: i64) -> DateTime<Utc> {
        let secs = self.int(lo, hi);
        self.secs_ago(secs)
    }
}

/// A list of `counts` labels, shuffled: exact counts per status in random order.
pub(super) fn exact_mix(g: &mut Gen, counts: &[(&'static str, usize)]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = counts
        .iter()
        .flat_map(|(label, n)| std::iter::repeat_n(*label, *n))
        .collect();
    g.shuffle(&mut out);
    out
}

/// Rounds money to the 4 decimals of `numeric(10,4)`.
pub(super) fn money(amount: f64) -> f64 {
    (amount * 10_000.0).round() / 10_000.0
}

/// Hands out US numbers in E.164 that are unique across the whole data set. The
/// exchange is never 555, so they cannot collide with the platform's own numbers
/// (which use the fictional 555-01xx range).
pub(super) struct PhoneBook {
    used: HashSet<String>,
}

/// Real US area codes, so lookups and masking behave as with production data.
const AREA_CODES: &[&str] = &[
    "212", "213", "303", "305", "312", "404", "415", "469", "480", "503", "512", "602", "617",
    "702", "713", "718", "720", "786", "818", "919",
];

impl PhoneBook {
    pub fn new() -> PhoneBook {
        PhoneBook {
            used: HashSet::new(),
        }
    }

    pub fn fresh(&mut self, g: &mut Gen) -> String {
        loop {
            let area = g.pick(AREA_CODES);
            let exchange = g.int(201, 989);
            if exchange == 555 {
                continue;
            }
            let line = g.int(0, 9999);
            let number = format!("+1{area}{exchange}{line:04}");
            if self.used.insert(number.clone()) {
                return number;
            }
        }
    }
}

/// FNV-1a, to derive a section's seed from its name (stable across builds).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-07-20T15:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn same_seed_and_section_give_the_same_stream() {
        let mut a = Gen::new(7, "leads", now());
        let mut b = Gen::new(7, "leads", now());
        assert_eq!(a.uuid(), b.uuid());
        assert_eq!(a.hex(32), b.hex(32));
        let mut c = Gen::new(7, "calls", now());
        assert_ne!(Gen::new(7, "leads", now()).uuid(), c.uuid());
    }

    #[test]
    fn exact_mix_keeps_counts() {
        let mut g = Gen::new(1, "mix", now());
        let mix = exact_mix(&mut g, &[("a", 3), ("b", 5)]);
        assert_eq!(mix.iter().filter(|s| **s == "a").count(), 3);
        assert_eq!(mix.len(), 8);
    }

    #[test]
    fn phone_book_never_repeats_and_avoids_555() {
        let mut g = Gen::new(1, "phones", now());
        let mut book = PhoneBook::new();
        let numbers: HashSet<String> = (0..2000).map(|_| book.fresh(&mut g)).collect();
        assert_eq!(numbers.len(), 2000);
        assert!(numbers.iter().all(|n| n.len() == 12 && &n[5..8] != "555"));
    }
}
