//! The compiled application a request is served by, and the swap point that replaces it.
//!
//! A [`Snapshot`] is immutable. The [`crate::Gateway`] holds the current one in an `ArcSwap`; a
//! request loads it once at arrival and keeps it to the end, so a reload never changes the
//! configuration under a request that is already in flight.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::compile::CompiledApp;

/// One compiled application and the per-application state that goes with it.
#[derive(Debug)]
pub struct Snapshot {
    /// The compiled APIs, routers and domains.
    pub app: CompiledApp,
    pub(crate) dice: CanaryDice,
}

impl Snapshot {
    /// A snapshot of `app`; `seed` fixes the canary's choices (tests), `None` picks one.
    pub fn new(app: CompiledApp, seed: Option<u64>) -> Snapshot {
        Snapshot {
            app,
            dice: CanaryDice::new(seed.unwrap_or_else(|| fastrand::u64(..))),
        }
    }
}

/// Decides which requests a canary serves: a counter run through SplitMix64, so that with a
/// fixed seed the sequence of choices is reproducible, and no lock is taken per request.
#[derive(Debug)]
pub(crate) struct CanaryDice {
    seed: u64,
    counter: AtomicU64,
}

impl CanaryDice {
    fn new(seed: u64) -> CanaryDice {
        CanaryDice {
            seed,
            counter: AtomicU64::new(0),
        }
    }

    /// True for `percent` percent of calls; 0 never and 100 always, exactly.
    pub(crate) fn roll(&self, percent: f64) -> bool {
        if percent <= 0.0 {
            return false;
        }
        if percent >= 100.0 {
            return true;
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut z = self
            .seed
            .wrapping_add(n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        // 53 random bits as a fraction in [0, 1).
        let fraction = (z >> 11) as f64 / (1u64 << 53) as f64;
        fraction * 100.0 < percent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dice_are_exact_at_the_ends_and_fair_between() {
        let dice = CanaryDice::new(7);
        assert!((0..1000).all(|_| !dice.roll(0.0)));
        assert!((0..1000).all(|_| dice.roll(100.0)));
        let hits = (0..10_000).filter(|_| dice.roll(25.0)).count();
        assert!((2_300..2_700).contains(&hits), "{hits}");
        let again = CanaryDice::new(7);
        let first: Vec<bool> = (0..50).map(|_| again.roll(50.0)).collect();
        let replay = CanaryDice::new(7);
        assert_eq!(
            first,
            (0..50).map(|_| replay.roll(50.0)).collect::<Vec<_>>()
        );
    }
}
