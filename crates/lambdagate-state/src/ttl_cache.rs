//! A cache whose entries expire after a time to live, bounded in size.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::Pending;
use crate::clock::Clock;

/// A map from string keys to values that expire.
///
/// Used for authorizer results, JWKS documents and the stage cache. Entries past their TTL are
/// never returned; when the cache is full, the oldest entries are dropped first.
pub trait TtlCache<V: Clone + Send + Sync + 'static>: Send + Sync {
    /// The live value for `key`, if any.
    fn get<'a>(&'a self, key: &'a str) -> Pending<'a, Option<V>>;

    /// Keeps `value` for `ttl`; a zero TTL keeps nothing.
    fn insert(&self, key: String, value: V, ttl: Duration) -> Pending<'_, ()>;

    /// Forgets `key`.
    fn remove<'a>(&'a self, key: &'a str) -> Pending<'a, ()>;
}

/// How much room an entry takes against the cache's budget.
pub type Weigher<V> = fn(&str, &V) -> usize;

/// An in-memory [`TtlCache`] with a budget: by default one unit an entry, or the weight a
/// [`Weigher`] gives (bytes, for the stage cache).
pub struct MemoryTtlCache<V> {
    clock: Arc<dyn Clock>,
    budget: usize,
    weigher: Weigher<V>,
    inner: Mutex<Entries<V>>,
}

struct Entries<V> {
    map: HashMap<String, Entry<V>>,
    // Insertion order, for eviction; stale keys (removed or re-inserted) are skipped on pop.
    order: VecDeque<(String, u64)>,
    used: usize,
    generation: u64,
}

struct Entry<V> {
    value: V,
    expires_ms: u64,
    weight: usize,
    generation: u64,
}

impl<V: Clone + Send + Sync + 'static> MemoryTtlCache<V> {
    /// A cache holding at most `max_entries` entries.
    pub fn new(clock: Arc<dyn Clock>, max_entries: usize) -> Self {
        MemoryTtlCache::weighted(clock, max_entries, |_, _| 1)
    }

    /// A cache whose entries weigh what `weigher` says, holding at most `budget` in total.
    pub fn weighted(clock: Arc<dyn Clock>, budget: usize, weigher: Weigher<V>) -> Self {
        MemoryTtlCache {
            clock,
            budget,
            weigher,
            inner: Mutex::new(Entries {
                map: HashMap::new(),
                order: VecDeque::new(),
                used: 0,
                generation: 0,
            }),
        }
    }

    /// The live value for `key`, without going through a future.
    pub fn get_now(&self, key: &str) -> Option<V> {
        let now = self.clock.now_ms();
        let mut entries = self.lock();
        match entries.map.get(key) {
            Some(entry) if entry.expires_ms > now => Some(entry.value.clone()),
            Some(_) => {
                entries.take(key);
                None
            }
            None => None,
        }
    }

    /// Keeps `value` for `ttl`, without going through a future.
    pub fn insert_now(&self, key: String, value: V, ttl: Duration) {
        let weight = (self.weigher)(&key, &value);
        let mut entries = self.lock();
        entries.take(&key);
        if ttl.is_zero() || weight > self.budget {
            return;
        }
        let now = self.clock.now_ms();
        let expires_ms = now.saturating_add(ttl.as_millis().min(u64::MAX as u128) as u64);
        while entries.used + weight > self.budget {
            if !entries.evict_one(now) {
                break;
            }
        }
        entries.generation += 1;
        let generation = entries.generation;
        entries.order.push_back((key.clone(), generation));
        entries.used += weight;
        entries.map.insert(
            key,
            Entry {
                value,
                expires_ms,
                weight,
                generation,
            },
        );
    }

    /// Forgets `key`, without going through a future.
    pub fn remove_now(&self, key: &str) {
        self.lock().take(key);
    }

    /// How many entries are held (expired ones included until they are next touched).
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<V>> {
        // A panic while holding the lock leaves consistent data (every update is one step).
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<V> Entries<V> {
    fn take(&mut self, key: &str) -> Option<Entry<V>> {
        let entry = self.map.remove(key)?;
        self.used -= entry.weight;
        Some(entry)
    }

    /// Drops the oldest live entry; false when nothing is left to drop.
    fn evict_one(&mut self, _now: u64) -> bool {
        while let Some((key, generation)) = self.order.pop_front() {
            if self
                .map
                .get(&key)
                .is_some_and(|e| e.generation == generation)
            {
                self.take(&key);
                return true;
            }
        }
        false
    }
}

impl<V: Clone + Send + Sync + 'static> TtlCache<V> for MemoryTtlCache<V> {
    fn get<'a>(&'a self, key: &'a str) -> Pending<'a, Option<V>> {
        let value = self.get_now(key);
        Box::pin(async move { value })
    }

    fn insert(&self, key: String, value: V, ttl: Duration) -> Pending<'_, ()> {
        self.insert_now(key, value, ttl);
        Box::pin(async {})
    }

    fn remove<'a>(&'a self, key: &'a str) -> Pending<'a, ()> {
        self.remove_now(key);
        Box::pin(async {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn cache(max: usize) -> (Arc<ManualClock>, MemoryTtlCache<u32>) {
        let clock = Arc::new(ManualClock::at(1_000_000));
        (clock.clone(), MemoryTtlCache::new(clock, max))
    }

    #[test]
    fn entries_expire_with_the_clock() {
        let (clock, cache) = cache(10);
        cache.insert_now("a".into(), 1, Duration::from_secs(300));
        clock.advance(Duration::from_secs(299));
        assert_eq!(cache.get_now("a"), Some(1));
        clock.advance(Duration::from_secs(1));
        assert_eq!(cache.get_now("a"), None);
        assert!(cache.is_empty());
    }

    #[test]
    fn zero_ttl_keeps_nothing() {
        let (_, cache) = cache(10);
        cache.insert_now("a".into(), 1, Duration::ZERO);
        assert_eq!(cache.get_now("a"), None);
    }

    #[test]
    fn the_oldest_entry_goes_first_when_full() {
        let (_, cache) = cache(2);
        cache.insert_now("a".into(), 1, Duration::from_secs(60));
        cache.insert_now("b".into(), 2, Duration::from_secs(60));
        // Re-inserting moves "a" to the back.
        cache.insert_now("a".into(), 3, Duration::from_secs(60));
        cache.insert_now("c".into(), 4, Duration::from_secs(60));
        assert_eq!(cache.get_now("b"), None);
        assert_eq!(cache.get_now("a"), Some(3));
        assert_eq!(cache.get_now("c"), Some(4));
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn weights_count_against_the_budget() {
        let clock = Arc::new(ManualClock::at(0));
        let cache: MemoryTtlCache<Vec<u8>> =
            MemoryTtlCache::weighted(clock, 10, |k, v| k.len() + v.len());
        cache.insert_now("a".into(), vec![0; 5], Duration::from_secs(1));
        cache.insert_now("b".into(), vec![0; 5], Duration::from_secs(1));
        assert_eq!(cache.get_now("a"), None, "a made room for b");
        assert!(cache.get_now("b").is_some());
        cache.insert_now("huge".into(), vec![0; 50], Duration::from_secs(1));
        assert_eq!(
            cache.get_now("huge"),
            None,
            "an entry over the budget is not kept"
        );
        assert!(cache.get_now("b").is_some(), "and evicts nothing");
    }

    #[test]
    fn removal_frees_room() {
        let (_, cache) = cache(1);
        cache.insert_now("a".into(), 1, Duration::from_secs(60));
        cache.remove_now("a");
        cache.insert_now("b".into(), 2, Duration::from_secs(60));
        assert_eq!(cache.get_now("b"), Some(2));
    }
}
