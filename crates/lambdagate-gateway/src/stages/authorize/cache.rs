//! The Lambda authorizer result cache: answers kept per identity (TTL from
//! `AuthorizerResultTtlInSeconds` / `ReauthorizeEvery`), and concurrent misses for one identity
//! sharing a single invocation.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lambdagate_state::{Clock, MemoryTtlCache};
use tokio::sync::OnceCell;

use super::policy::Verdict;
use crate::responses::error::GatewayError;

/// What one authorizer invocation produced, shared by every request that waited for it.
pub type Answer = Result<Arc<Verdict>, GatewayError>;

/// How much the kept answers may weigh in all (bytes, roughly); the oldest go first. Keys hold
/// client-chosen tokens and answers client-influenced contexts, so the bound is on size, not count.
const BUDGET_BYTES: usize = 32 * 1024 * 1024;

/// Cached authorizer answers and the invocations in flight.
pub struct AuthorizerCache {
    results: MemoryTtlCache<Arc<Verdict>>,
    inflight: Mutex<HashMap<String, Arc<OnceCell<Answer>>>>,
}

impl AuthorizerCache {
    /// An empty cache reading time from `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> AuthorizerCache {
        AuthorizerCache {
            results: MemoryTtlCache::weighted(clock, BUDGET_BYTES, |key, verdict| {
                key.len() + verdict.weight()
            }),
            inflight: Mutex::new(HashMap::new()),
        }
    }

    /// The kept answer for `key`, else the answer of `invoke` (kept for `ttl` when it is a
    /// verdict; errors are never kept). Concurrent callers with the same key wait for one call.
    /// The flag says whether the answer came from the cache.
    pub async fn get_or_invoke<F>(&self, key: String, ttl: Duration, invoke: F) -> (Answer, bool)
    where
        F: Future<Output = Answer>,
    {
        if let Some(verdict) = self.results.get_now(&key) {
            return (Ok(verdict), true);
        }
        let cell = self
            .lock()
            .entry(key.clone())
            .or_insert_with(|| Arc::new(OnceCell::new()))
            .clone();
        let mut hit = true;
        let answer = cell
            .get_or_init(|| async {
                hit = false;
                // The call that filled the cache may have finished between the lookup above
                // and joining this cell.
                if let Some(verdict) = self.results.get_now(&key) {
                    return Ok(verdict);
                }
                let answer = invoke.await;
                if let Ok(verdict) = &answer {
                    self.results.insert_now(key.clone(), verdict.clone(), ttl);
                }
                answer
            })
            .await
            .clone();
        let mut inflight = self.lock();
        if inflight.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            inflight.remove(&key);
        }
        (answer, hit)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<OnceCell<Answer>>>> {
        // Every update is one step: a panic elsewhere leaves the map consistent.
        self.inflight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The cache key of an authorizer's answer: the API, stage and authorizer, and the identity
/// source values (the token for TOKEN authorizers) in order. `None` when the answer must not be
/// cached (TTL 0, or nothing to key on).
pub fn key(
    api_id: &str,
    stage: &str,
    authorizer: &str,
    values: &[String],
    ttl: Duration,
) -> Option<String> {
    if ttl.is_zero() || values.is_empty() {
        return None;
    }
    // NUL cannot occur in header values, query values or names, so keys cannot collide.
    let mut key = format!("{api_id}\0{stage}\0{authorizer}");
    for value in values {
        key.push('\0');
        key.push_str(value);
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambdagate_state::ManualClock;
    use serde_json::{Map, Value};

    #[tokio::test]
    async fn big_answers_are_bounded_by_size() {
        let cache = AuthorizerCache::new(Arc::new(ManualClock::at(0)));
        let ttl = Duration::from_secs(300);
        let mut context = Map::new();
        context.insert("blob".into(), Value::String("x".repeat(1024 * 1024)));
        for i in 0..100 {
            let verdict = Verdict::Simple {
                authorized: true,
                context: context.clone(),
            };
            let (answer, hit) = cache
                .get_or_invoke(format!("k{i}"), ttl, async { Ok(Arc::new(verdict)) })
                .await;
            assert!(answer.is_ok() && !hit);
        }
        assert!(cache.results.len() <= BUDGET_BYTES / (1024 * 1024));
        // The newest is still there; the oldest made room.
        let (_, hit) = cache
            .get_or_invoke("k99".into(), ttl, async { unreachable!() })
            .await;
        assert!(hit);
        assert!(cache.results.get_now("k0").is_none());
    }

    #[test]
    fn keys() {
        let ttl = Duration::from_secs(300);
        let a = key("api", "Prod", "Auth", &["t".into()], ttl);
        assert_eq!(a.as_deref(), Some("api\0Prod\0Auth\0t"));
        assert_ne!(a, key("api", "Dev", "Auth", &["t".into()], ttl));
        assert_ne!(a, key("api", "Prod", "Other", &["t".into()], ttl));
        assert_ne!(
            key("api", "Prod", "Auth", &["a".into(), "b".into()], ttl),
            key("api", "Prod", "Auth", &["ab".into()], ttl)
        );
        assert_eq!(
            key("api", "Prod", "Auth", &["t".into()], Duration::ZERO),
            None
        );
        assert_eq!(key("api", "Prod", "Auth", &[], ttl), None);
    }
}
