//! What the gateway remembers between requests: throttle buckets, quota counters and stage
//! caches. One value per [`crate::Gateway`], created with it and kept across reloads (a hot
//! reload must not hand every caller a fresh quota).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use lambdagate_state::{
    Clock, MemoryQuotas, MemoryRateLimiter, MemoryTtlCache, Quotas, RateLimiter, TtlCache,
};

/// An answer kept in a stage cache.
#[derive(Debug)]
pub struct CachedReply {
    /// Status code.
    pub status: u16,
    /// The integration's headers as the client got them (the gateway's per-request ids are
    /// set anew on every hit).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
    /// The function that produced it.
    pub function: Option<String>,
}

impl CachedReply {
    /// Roughly what the entry costs in memory.
    fn weight(key: &str, value: &Arc<CachedReply>) -> usize {
        key.len()
            + value.body.len()
            + value
                .headers
                .iter()
                .map(|(n, v)| n.len() + v.len() + 16)
                .sum::<usize>()
            + 64
    }
}

type StageCache = Arc<dyn TtlCache<Arc<CachedReply>>>;

/// The gateway's state.
pub struct GatewayState {
    /// Token buckets.
    pub limiter: Arc<dyn RateLimiter>,
    /// Usage-plan quotas.
    pub quotas: Arc<dyn Quotas>,
    clock: Arc<dyn Clock>,
    caches: Mutex<HashMap<String, StageCache>>,
    filling: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Held while one request fills a cache entry; others asking for the same key wait for it.
pub struct FillGuard {
    key: String,
    lock: Option<tokio::sync::OwnedMutexGuard<()>>,
    state: Arc<GatewayState>,
}

impl Drop for FillGuard {
    fn drop(&mut self) {
        drop(self.lock.take());
        let mut filling = self.state.lock_filling();
        // Forget the key's lock once nobody else waits on it.
        if filling
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            filling.remove(&self.key);
        }
    }
}

impl GatewayState {
    /// Empty in-memory state reading time from `clock`.
    pub fn in_memory(clock: Arc<dyn Clock>) -> GatewayState {
        GatewayState {
            limiter: Arc::new(MemoryRateLimiter::new(clock.clone())),
            quotas: Arc::new(MemoryQuotas::new(clock.clone())),
            clock,
            caches: Mutex::new(HashMap::new()),
            filling: Mutex::new(HashMap::new()),
        }
    }

    /// The cache of a stage (`namespace` names the API and stage), with `budget` bytes; a
    /// changed budget (a reload) starts a new cache.
    pub fn stage_cache(&self, namespace: &str, budget: usize) -> StageCache {
        let id = format!("{namespace}#{budget}");
        let mut caches = self.caches.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(cache) = caches.get(&id) {
            return cache.clone();
        }
        caches.retain(|k, _| !k.starts_with(&format!("{namespace}#")));
        let cache: StageCache = Arc::new(MemoryTtlCache::weighted(
            self.clock.clone(),
            budget,
            CachedReply::weight,
        ));
        caches.insert(id, cache.clone());
        cache
    }

    /// Waits until no other request is filling `key`, then lets this one fill it.
    pub async fn fill(self: &Arc<Self>, key: &str) -> FillGuard {
        let lock = {
            let mut filling = self.lock_filling();
            filling
                .entry(key.to_string())
                .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(())))
                .clone()
        };
        let guard = lock.lock_owned().await;
        FillGuard {
            key: key.to_string(),
            lock: Some(guard),
            state: self.clone(),
        }
    }

    fn lock_filling(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, Arc<tokio::sync::Mutex<()>>>> {
        self.filling.lock().unwrap_or_else(|p| p.into_inner())
    }
}
