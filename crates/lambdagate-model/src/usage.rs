//! API keys, usage plans and method settings: throttling, quotas and caching.

use serde::Serialize;

use crate::SourceLocation;

/// A rate limit: a token bucket's refill rate and size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Throttle {
    /// `BurstLimit`: the bucket size.
    pub burst_limit: Option<u32>,
    /// `RateLimit`: requests per second.
    pub rate_limit: Option<f64>,
}

/// A stage's settings for the methods a selector names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodSetting {
    /// `ResourcePath` (`/*` for all, `/items`), or an HTTP API route path; `$default` for the
    /// HTTP API `$default` route.
    pub resource_path: String,
    /// `HttpMethod` (`*` for all).
    pub http_method: String,
    /// Throttling for the selected methods.
    pub throttle: Throttle,
    /// `CachingEnabled`.
    pub caching_enabled: bool,
    /// `CacheTtlInSeconds` (default 300).
    pub cache_ttl_secs: Option<u32>,
    /// `LoggingLevel`, `MetricsEnabled`, `DataTraceEnabled` and other settings read but not
    /// served, by name, so they can be reported.
    pub other: Vec<String>,
}

/// An API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    /// Logical id.
    pub logical_id: String,
    /// `Name`.
    pub name: Option<String>,
    /// `Value`, when the template sets one (otherwise one is generated when served).
    pub value: Option<String>,
    /// `Enabled`.
    pub enabled: bool,
    /// `StageKeys`: (API logical id, stage name).
    pub stage_keys: Vec<(String, String)>,
    /// Where it is defined.
    pub source: SourceLocation,
}

/// A quota's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum QuotaPeriod {
    /// `DAY`.
    Day,
    /// `WEEK`.
    Week,
    /// `MONTH`.
    Month,
}

/// A usage plan's quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Quota {
    /// `Limit`: requests per period.
    pub limit: u64,
    /// `Offset`: requests subtracted from the first period.
    pub offset: u64,
    /// `Period`.
    pub period: QuotaPeriod,
}

/// One API stage a usage plan covers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsagePlanStage {
    /// API logical id.
    pub api: String,
    /// Stage name.
    pub stage: String,
    /// Per-method throttles (`"/items/GET"` → throttle).
    pub throttle: Vec<(String, Throttle)>,
}

/// A usage plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsagePlan {
    /// Logical id.
    pub logical_id: String,
    /// `UsagePlanName`.
    pub name: Option<String>,
    /// `ApiStages`.
    pub api_stages: Vec<UsagePlanStage>,
    /// `Throttle`.
    pub throttle: Option<Throttle>,
    /// `Quota`.
    pub quota: Option<Quota>,
    /// The plan's keys (API key logical ids, from `AWS::ApiGateway::UsagePlanKey`).
    pub keys: Vec<String>,
    /// Where it is defined.
    pub source: SourceLocation,
}

impl ApiKey {
    /// The key's value as served: `Value` when the template sets one, else a 40-character
    /// value derived from the stack name and logical id, so that it stays the same across
    /// restarts and `lambdagate routes` prints the value the server accepts.
    pub fn served_value(&self, stack_name: &str) -> String {
        if let Some(value) = &self.value {
            return value.clone();
        }
        (0..4)
            .map(|i| crate::api_id_for(&format!("{stack_name}/{}/{i}", self.logical_id)))
            .collect()
    }

    /// The key's id (`$context.identity.apiKeyId`), stable like API ids.
    pub fn key_id(&self) -> String {
        crate::api_id_for(&format!("apikey/{}", self.logical_id))
    }
}
