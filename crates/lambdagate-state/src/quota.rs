//! Usage-plan quotas: requests per key per day, week or month (UTC), read from the [`Clock`].
//!
//! A quota of `limit` requests admits `limit` requests in each period; in the initial period
//! (the one the quota state was created in, i.e. when the gateway started) `offset` requests
//! are subtracted from the limit, as AWS's `QuotaSettings.offset` says ("the number of requests
//! subtracted from the given limit in the initial time period"). Days start at 00:00 UTC, weeks
//! on Sunday 00:00 UTC, months on the 1st at 00:00 UTC.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::Pending;
use crate::clock::Clock;

/// The period a quota counts over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// A UTC calendar day.
    Day,
    /// A week from Sunday 00:00 UTC.
    Week,
    /// A UTC calendar month.
    Month,
}

impl Period {
    /// The number of the period `epoch_ms` falls in (comparable within one kind of period).
    pub fn index(self, epoch_ms: u64) -> u64 {
        let days = epoch_ms / 86_400_000;
        match self {
            Period::Day => days,
            // 1970-01-01 was a Thursday: shift so that indices change on Sundays.
            Period::Week => (days + 4) / 7,
            Period::Month => {
                let (year, month) = year_month(days);
                year * 12 + u64::from(month - 1)
            }
        }
    }
}

/// (year, month 1-12) of a day counted from 1970-01-01 (proleptic Gregorian).
fn year_month(days: u64) -> (u64, u32) {
    // Eras of 400 years starting on March 1st, so leap days fall at the end of a year.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month)
}

/// A quota: `limit` requests a `period`, `offset` fewer in the initial period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaLimit {
    /// Requests per period.
    pub limit: u64,
    /// Requests subtracted from the limit in the initial period.
    pub offset: u64,
    /// The period.
    pub period: Period,
}

/// Quotas for many keys (one per usage plan and API key).
pub trait Quotas: Send + Sync {
    /// Counts one request against `key`; `true` when it is within the quota (and counted),
    /// `false` once the period's requests are spent (nothing counted).
    fn try_consume<'a>(&'a self, key: &'a str, quota: QuotaLimit) -> Pending<'a, bool>;
}

/// In-memory [`Quotas`] driven by a [`Clock`]. One entry per key that made a request this
/// period; entries of past periods are dropped as the map grows.
pub struct MemoryQuotas {
    clock: Arc<dyn Clock>,
    started_ms: u64,
    inner: Mutex<Counts>,
}

struct Counts {
    map: HashMap<String, Count>,
    sweep_at: usize,
}

#[derive(Debug, Clone, Copy)]
struct Count {
    period: Period,
    index: u64,
    used: u64,
}

const FIRST_SWEEP: usize = 1024;

impl MemoryQuotas {
    /// Quotas whose initial period is the one `clock` reads now.
    pub fn new(clock: Arc<dyn Clock>) -> MemoryQuotas {
        MemoryQuotas {
            started_ms: clock.now_ms(),
            clock,
            inner: Mutex::new(Counts {
                map: HashMap::new(),
                sweep_at: FIRST_SWEEP,
            }),
        }
    }

    /// [`Quotas::try_consume`] without going through a future.
    pub fn try_consume_now(&self, key: &str, quota: QuotaLimit) -> bool {
        let now = self.clock.now_ms();
        let index = quota.period.index(now);
        let allowed = if index == quota.period.index(self.started_ms) {
            quota.limit.saturating_sub(quota.offset)
        } else {
            quota.limit
        };
        let mut counts = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let fresh = Count {
            period: quota.period,
            index,
            used: 0,
        };
        let count = match counts.map.get_mut(key) {
            Some(c) => {
                // A new period (or a reload that changed the period) starts from zero; a clock
                // stepping back into an earlier period keeps counting the later one.
                if c.period != quota.period || c.index < index {
                    *c = fresh;
                }
                c
            }
            None => {
                if counts.map.len() >= counts.sweep_at {
                    counts.sweep(now);
                }
                counts.map.entry(key.to_string()).or_insert(fresh)
            }
        };
        if count.used >= allowed {
            return false;
        }
        count.used += 1;
        true
    }

    /// Requests counted for `key` in the current period.
    pub fn used(&self, key: &str) -> u64 {
        let now = self.clock.now_ms();
        let counts = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        counts
            .map
            .get(key)
            .filter(|c| c.index >= c.period.index(now))
            .map_or(0, |c| c.used)
    }
}

impl Counts {
    fn sweep(&mut self, now: u64) {
        self.map.retain(|_, c| c.index >= c.period.index(now));
        self.sweep_at = (self.map.len() * 2).max(FIRST_SWEEP);
    }
}

impl Quotas for MemoryQuotas {
    fn try_consume<'a>(&'a self, key: &'a str, quota: QuotaLimit) -> Pending<'a, bool> {
        let within = self.try_consume_now(key, quota);
        Box::pin(async move { within })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::time::Duration;

    /// 2026-12-01 (a Tuesday) 10:00 UTC.
    const TUESDAY_10H: u64 = 1_796_119_200_000;
    const HOUR: Duration = Duration::from_secs(3600);
    const DAY: Duration = Duration::from_secs(86_400);

    fn quota(limit: u64, offset: u64, period: Period) -> QuotaLimit {
        QuotaLimit {
            limit,
            offset,
            period,
        }
    }

    #[test]
    fn period_boundaries_are_utc_calendar_ones() {
        assert_eq!(year_month(0), (1970, 1));
        // 2024-02-29 is day 19_782.
        assert_eq!(year_month(19_782), (2024, 2));
        assert_eq!(year_month(19_783), (2024, 3));
        let monday = 1_795_996_800_000; // 2026-11-30 00:00 UTC, a Monday
        let sunday = monday - 86_400_000;
        assert_eq!(
            Period::Week.index(sunday - 1) + 1,
            Period::Week.index(sunday)
        );
        assert_eq!(Period::Week.index(sunday), Period::Week.index(TUESDAY_10H));
        assert_eq!(Period::Day.index(TUESDAY_10H), 20_788);
    }

    #[test]
    fn a_day_quota_resets_at_midnight_utc() {
        let clock = Arc::new(ManualClock::at(TUESDAY_10H));
        let q = MemoryQuotas::new(clock.clone());
        let day = quota(3, 0, Period::Day);
        assert!((0..3).all(|_| q.try_consume_now("k", day)));
        assert!(!q.try_consume_now("k", day));
        clock.advance(13 * HOUR);
        assert!(!q.try_consume_now("k", day), "23:00 is still the same day");
        clock.advance(HOUR);
        assert!(q.try_consume_now("k", day), "a new day");
        assert_eq!(q.used("k"), 1);
    }

    #[test]
    fn offset_applies_to_the_initial_period_only() {
        let clock = Arc::new(ManualClock::at(TUESDAY_10H));
        let q = MemoryQuotas::new(clock.clone());
        let week = quota(5, 2, Period::Week);
        assert!((0..3).all(|_| q.try_consume_now("k", week)));
        assert!(!q.try_consume_now("k", week), "5 - 2 in the first week");
        clock.advance(4 * DAY); // Saturday
        assert!(!q.try_consume_now("k", week));
        clock.advance(DAY); // Sunday: a new week
        assert!((0..5).all(|_| q.try_consume_now("k", week)));
        assert!(!q.try_consume_now("k", week));
    }

    #[test]
    fn months_follow_the_calendar() {
        let clock = Arc::new(ManualClock::at(TUESDAY_10H));
        let q = MemoryQuotas::new(clock.clone());
        let month = quota(1, 0, Period::Month);
        assert!(q.try_consume_now("k", month));
        clock.advance(30 * DAY); // 2026-12-31
        assert!(!q.try_consume_now("k", month));
        clock.advance(DAY); // 2027-01-01
        assert!(q.try_consume_now("k", month));
        assert!(q.try_consume_now("other", month), "keys are separate");
    }

    #[test]
    fn past_periods_are_dropped_as_the_map_grows() {
        let clock = Arc::new(ManualClock::at(TUESDAY_10H));
        let q = MemoryQuotas::new(clock.clone());
        let day = quota(10, 0, Period::Day);
        for i in 0..5000 {
            assert!(q.try_consume_now(&format!("k{i}"), day));
            if i % 100 == 99 {
                clock.advance(DAY);
            }
        }
        let held = q.inner.lock().unwrap().map.len();
        assert!(held < 2 * FIRST_SWEEP, "{held}");
    }
}
