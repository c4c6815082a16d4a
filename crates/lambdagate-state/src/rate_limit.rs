//! Token buckets with API Gateway's rate and burst semantics, keyed by strings.
//!
//! A bucket holds at most `burst` tokens and starts full; it refills at `rate` tokens a second;
//! each admitted request takes one token. `burst` 0 admits nothing. Local limits are exact
//! (AWS calls its own best-effort): in a full bucket of `burst` tokens the `burst + 1`th request
//! at the same instant is refused, every time.
//!
//! Tokens are counted in integer units (a token is [`UNITS_PER_TOKEN`] units) so that refills
//! never drift: a rate of 0.1 refills exactly one token every ten seconds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::Pending;
use crate::clock::Clock;

/// Units a token is divided into (refills are counted in units per millisecond).
pub const UNITS_PER_TOKEN: u64 = 1_000_000_000;

/// A bucket's size and refill rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Requests a second, in the long run (fractions allowed; 0 never refills).
    pub rate: f64,
    /// Bucket size: requests admitted at once (0 admits nothing).
    pub burst: u32,
}

impl Limit {
    /// A limit of `rate` requests a second with bursts of `burst`.
    pub fn new(rate: f64, burst: u32) -> Limit {
        Limit { rate, burst }
    }

    fn capacity(self) -> u64 {
        u64::from(self.burst) * UNITS_PER_TOKEN
    }

    /// Refill in units per millisecond (rates below a millionth of a request a second
    /// round to zero).
    fn per_ms(self) -> u64 {
        if !self.rate.is_finite() || self.rate <= 0.0 {
            return 0;
        }
        let exact = self.rate * (UNITS_PER_TOKEN as f64 / 1000.0);
        // Decimal rates (0.1) land a hair off an integer in binary; anything else rounds down,
        // so a limit is never looser than written. The cast saturates far above AWS's limits.
        let nearest = exact.round();
        if (exact - nearest).abs() < 1e-6 {
            nearest as u64
        } else {
            exact.floor() as u64
        }
    }
}

/// Rate limits for many keys (stage, method, usage plan, API key buckets).
pub trait RateLimiter: Send + Sync {
    /// Takes one token from `key`'s bucket, created full with `limit` when first seen; `true`
    /// when the request is admitted. A bucket whose limit changed (a reload) keeps its tokens,
    /// capped at the new size.
    fn try_acquire<'a>(&'a self, key: &'a str, limit: Limit) -> Pending<'a, bool>;
}

/// An in-memory [`RateLimiter`] driven by a [`Clock`].
///
/// Memory stays bounded: a full bucket is the same as no bucket, so full buckets are forgotten
/// whenever the number of buckets doubles since the last sweep. The keys themselves come from
/// the configuration (stages, methods, plans, known API keys), never from arbitrary input.
pub struct MemoryRateLimiter {
    clock: Arc<dyn Clock>,
    inner: Mutex<Buckets>,
}

struct Buckets {
    map: HashMap<String, Bucket>,
    sweep_at: usize,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    units: u64,
    at_ms: u64,
    // The limit last used, so that a sweep knows when the bucket is full.
    limit: Limit,
}

/// Sweeps start once this many buckets exist.
const FIRST_SWEEP: usize = 1024;

impl Bucket {
    /// The bucket's units at `now`, refilled since it was last touched.
    fn refilled(self, limit: Limit, now: u64) -> u64 {
        let elapsed = now.saturating_sub(self.at_ms);
        let added = elapsed.saturating_mul(limit.per_ms());
        self.units.saturating_add(added).min(limit.capacity())
    }
}

impl MemoryRateLimiter {
    /// An empty limiter reading time from `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> MemoryRateLimiter {
        MemoryRateLimiter {
            clock,
            inner: Mutex::new(Buckets {
                map: HashMap::new(),
                sweep_at: FIRST_SWEEP,
            }),
        }
    }

    /// [`RateLimiter::try_acquire`] without going through a future.
    pub fn try_acquire_now(&self, key: &str, limit: Limit) -> bool {
        let now = self.clock.now_ms();
        let mut buckets = self.lock();
        let capacity = limit.capacity();
        let units = match buckets.map.get(key) {
            Some(bucket) => bucket.refilled(limit, now),
            None => capacity,
        };
        let admitted = units >= UNITS_PER_TOKEN;
        let left = if admitted {
            units - UNITS_PER_TOKEN
        } else {
            units
        };
        match buckets.map.get_mut(key) {
            Some(bucket) => {
                bucket.units = left;
                // A clock that steps back refills nothing until it has caught up.
                bucket.at_ms = bucket.at_ms.max(now);
                bucket.limit = limit;
            }
            // A bucket that stays full needs no entry.
            None if left >= capacity => {}
            None => {
                buckets.map.insert(
                    key.to_string(),
                    Bucket {
                        units: left,
                        at_ms: now,
                        limit,
                    },
                );
                if buckets.map.len() >= buckets.sweep_at {
                    buckets.sweep(now);
                }
            }
        }
        admitted
    }

    /// How many buckets are held.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether no bucket is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Buckets> {
        // Every update is one step under the lock, so a poisoned lock holds consistent data.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Buckets {
    /// Forgets buckets that have refilled: they admit exactly what a new bucket would.
    fn sweep(&mut self, now: u64) {
        self.map
            .retain(|_, b| b.refilled(b.limit, now) < b.limit.capacity());
        self.sweep_at = (self.map.len() * 2).max(FIRST_SWEEP);
    }
}

impl RateLimiter for MemoryRateLimiter {
    fn try_acquire<'a>(&'a self, key: &'a str, limit: Limit) -> Pending<'a, bool> {
        let admitted = self.try_acquire_now(key, limit);
        Box::pin(async move { admitted })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::time::Duration;

    fn limiter() -> (Arc<ManualClock>, MemoryRateLimiter) {
        let clock = Arc::new(ManualClock::at(1_700_000_000_000));
        (clock.clone(), MemoryRateLimiter::new(clock))
    }

    #[test]
    fn a_full_bucket_admits_exactly_burst() {
        let (_, l) = limiter();
        let limit = Limit::new(1.0, 5);
        assert!((0..5).all(|_| l.try_acquire_now("k", limit)));
        assert!(!l.try_acquire_now("k", limit), "the sixth is refused");
        assert!(!l.try_acquire_now("k", limit));
    }

    #[test]
    fn burst_zero_blocks_everything() {
        let (clock, l) = limiter();
        for _ in 0..3 {
            assert!(!l.try_acquire_now("k", Limit::new(100.0, 0)));
            clock.advance(Duration::from_secs(10));
        }
    }

    #[test]
    fn refills_at_the_rate_and_never_beyond_burst() {
        let (clock, l) = limiter();
        let limit = Limit::new(2.0, 2);
        assert!(l.try_acquire_now("k", limit));
        assert!(l.try_acquire_now("k", limit));
        assert!(!l.try_acquire_now("k", limit));
        clock.advance(Duration::from_millis(499));
        assert!(!l.try_acquire_now("k", limit), "half a token short");
        clock.advance(Duration::from_millis(1));
        assert!(l.try_acquire_now("k", limit));
        assert!(!l.try_acquire_now("k", limit));
        clock.advance(Duration::from_secs(3600));
        assert!(l.try_acquire_now("k", limit));
        assert!(l.try_acquire_now("k", limit));
        assert!(!l.try_acquire_now("k", limit), "capped at burst");
    }

    #[test]
    fn fractional_rates_refill_exactly() {
        let (clock, l) = limiter();
        let limit = Limit::new(0.1, 1);
        assert!(l.try_acquire_now("k", limit));
        clock.advance(Duration::from_millis(9_999));
        assert!(!l.try_acquire_now("k", limit));
        clock.advance(Duration::from_millis(1));
        assert!(
            l.try_acquire_now("k", limit),
            "one token in exactly ten seconds"
        );
        assert!(!l.try_acquire_now("k", limit));
    }

    #[test]
    fn keys_are_independent() {
        let (_, l) = limiter();
        let limit = Limit::new(1.0, 1);
        assert!(l.try_acquire_now("a", limit));
        assert!(!l.try_acquire_now("a", limit));
        assert!(l.try_acquire_now("b", limit));
    }

    #[test]
    fn full_buckets_are_forgotten() {
        let (clock, l) = limiter();
        let limit = Limit::new(1.0, 1);
        for i in 0..5000 {
            assert!(l.try_acquire_now(&format!("k{i}"), limit));
            // Each bucket is full again a second later.
            clock.advance(Duration::from_secs(1));
        }
        assert!(l.len() < 2 * FIRST_SWEEP, "{} buckets held", l.len());
        // A bucket that never empties is never held.
        let (_, l) = limiter();
        assert!(l.try_acquire_now("x", Limit::new(1.0, 3)));
        assert_eq!(l.len(), 1);
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Under any arrivals, a bucket never admits more than burst + rate × elapsed.
            #[test]
            fn never_admits_more_than_burst_plus_rate_times_time(
                rate_milli in 0u32..5_000,
                burst in 0u32..20,
                gaps in proptest::collection::vec(0u64..2_000, 1..300),
            ) {
                let rate = f64::from(rate_milli) / 1000.0;
                let clock = Arc::new(ManualClock::at(1_000_000));
                let l = MemoryRateLimiter::new(clock.clone());
                let limit = Limit::new(rate, burst);
                let mut admitted = 0u64;
                let mut elapsed_ms = 0u64;
                for gap in gaps {
                    clock.advance(Duration::from_millis(gap));
                    elapsed_ms += gap;
                    if l.try_acquire_now("k", limit) {
                        admitted += 1;
                    }
                    let bound = f64::from(burst) + rate * elapsed_ms as f64 / 1000.0;
                    prop_assert!(admitted as f64 <= bound + 1e-9,
                        "{admitted} admitted, bound {bound}");
                }
            }

            /// And a bucket never refuses while it holds a token: n requests at one instant
            /// after a full refill are all admitted up to burst.
            #[test]
            fn admits_burst_after_a_full_refill(burst in 1u32..50, rate_milli in 1u32..5_000) {
                let clock = Arc::new(ManualClock::at(0));
                let l = MemoryRateLimiter::new(clock.clone());
                let limit = Limit::new(f64::from(rate_milli) / 1000.0, burst);
                for _ in 0..burst { prop_assert!(l.try_acquire_now("k", limit)); }
                prop_assert!(!l.try_acquire_now("k", limit));
                // Long enough to refill burst tokens at the slowest rate tested.
                clock.advance(Duration::from_secs(u64::from(burst) * 1000 + 1));
                for _ in 0..burst { prop_assert!(l.try_acquire_now("k", limit)); }
                prop_assert!(!l.try_acquire_now("k", limit));
            }
        }
    }
}
