//! The state the gateway keeps between requests, behind traits.
//!
//! Everything here is keyed by strings and answers through boxed futures, so the in-memory
//! implementations used today can be replaced by a shared store (Redis) for several nodes
//! without touching the stages. All of it reads time from a [`Clock`], so tests move time by
//! hand instead of sleeping. State lives in memory and starts empty at each start.

pub mod clock;
pub mod quota;
pub mod rate_limit;
pub mod ttl_cache;

pub use clock::{Clock, ManualClock, SystemClock};
pub use quota::{MemoryQuotas, Period, QuotaLimit, Quotas};
pub use rate_limit::{Limit, MemoryRateLimiter, RateLimiter};
pub use ttl_cache::{MemoryTtlCache, TtlCache};

use std::future::Future;
use std::pin::Pin;

/// The future a state operation answers with: boxed, so the traits stay object-safe.
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
