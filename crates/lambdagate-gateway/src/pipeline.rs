//! `Gateway::handle`: one request through the stages, in AWS's order, and nothing else.

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::authorization::AuthSettings;
use crate::backend::Backend;
use crate::clock::{Clock, SystemClock};
use crate::compile::CompiledApp;
use crate::context::RequestContext;
use crate::ids::RequestTime;
use crate::reply::Reply;
use crate::request::IncomingRequest;
use crate::responses::{self, GatewayError};
use crate::snapshot::Snapshot;
use crate::stages;
use crate::stages::authorize::AuthorizerCache;
use crate::state::GatewayState;

/// Serves an application's APIs.
pub struct Gateway {
    current: ArcSwap<Snapshot>,
    backend: Arc<dyn Backend>,
    clock: Arc<dyn Clock>,
    auth: AuthSettings,
    /// Lambda authorizers' answers; replaced on `swap`, as a redeployment flushes AWS's.
    auth_cache: ArcSwap<AuthorizerCache>,
    // Buckets, quotas and caches: created with the gateway and kept across `swap`.
    state: Arc<GatewayState>,
}

impl Gateway {
    /// A gateway for a compiled application, invoking functions through `backend`.
    pub fn new(app: CompiledApp, backend: Arc<dyn Backend>) -> Gateway {
        Gateway::with_clock(Snapshot::new(app, None), backend, Arc::new(SystemClock))
    }

    /// A gateway over `snapshot` that reads time from `clock`.
    pub fn with_clock(
        snapshot: Snapshot,
        backend: Arc<dyn Backend>,
        clock: Arc<dyn Clock>,
    ) -> Gateway {
        Gateway {
            current: ArcSwap::from_pointee(snapshot),
            backend,
            auth_cache: ArcSwap::from_pointee(AuthorizerCache::new(clock.clone())),
            state: Arc::new(GatewayState::in_memory(clock.clone())),
            clock,
            auth: AuthSettings::default(),
        }
    }

    /// The same gateway authenticating callers as `auth` says.
    pub fn with_auth(mut self, auth: AuthSettings) -> Gateway {
        self.auth = auth;
        self
    }

    /// The application being served now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Serves `snapshot` from the next request on; requests in flight finish on the old one.
    /// Throttle buckets, quotas and stage caches are kept.
    pub fn swap(&self, snapshot: Snapshot) {
        self.current.store(Arc::new(snapshot));
        self.auth_cache
            .store(Arc::new(AuthorizerCache::new(self.clock.clone())));
    }

    /// Answers with a gateway error before the request is handled (a body over the limit, a URL
    /// too long), in the shape of the API that owns the address.
    pub fn reject(&self, request: IncomingRequest, error: GatewayError) -> Reply {
        let snapshot = self.current.load_full();
        let mut cx = RequestContext::new(&snapshot, request, self.now());
        // Only to learn whose address it is: the request is refused whatever matches.
        let _ = stages::select::run(&mut cx);
        let mut reply = responses::render(&cx, &error);
        stages::log::run(&cx, &mut reply);
        reply
    }

    /// Handles one request.
    pub async fn handle(&self, request: IncomingRequest) -> Reply {
        // One load per request: a reload never changes the configuration under it.
        let snapshot = self.current.load_full();
        let mut cx = RequestContext::new(&snapshot, request, self.now());
        let mut reply = match self.stages(&mut cx).await {
            Ok(reply) => reply,
            Err(error) => responses::render(&cx, &error),
        };
        // Last, so that it sees the answer whatever stage produced it.
        stages::log::run(&cx, &mut reply);
        reply
    }

    /// The stages, in AWS's order; the first that answers or fails ends the request.
    async fn stages(&self, cx: &mut RequestContext<'_>) -> Result<Reply, GatewayError> {
        let backend = self.backend.as_ref();
        let clock = self.clock.as_ref();
        // First: every later stage (and every error's shape) depends on the API and route.
        stages::select::run(cx)?;
        // HTTP API preflights are answered before throttling and authorizers, as AWS does.
        if let Some(reply) = stages::cors::preflight(cx) {
            return Ok(reply);
        }
        // Only now does a missing route fail: a preflight needs none.
        stages::select::route(cx)?;
        // Limits apply before any work is spent on the request, authorizer calls included.
        stages::throttle::run(cx, &self.state).await?;
        // The caller's identity, before anything that depends on it.
        let auth_cache = self.auth_cache.load();
        stages::authorize::run(cx, &self.auth, &auth_cache, backend, clock).await?;
        // After the authorizer, which can supply the key (`apiKeySource: AUTHORIZER`).
        stages::api_key::run(cx, &self.state).await?;
        // Validation only for callers allowed in, so it reveals nothing to others.
        stages::validate::run(cx)?;
        // A cached answer spares the integration; the key covers validated requests only.
        let fill = match stages::cache::lookup(cx, &self.state).await {
            stages::cache::Lookup::Hit(reply) => return Ok(reply),
            stages::cache::Lookup::Miss(fill) => fill,
        };
        // The backend call.
        let output = stages::integrate::run(cx, backend).await?;
        // The method response: the integration's answer with the gateway's headers.
        let mut reply = stages::respond::run(cx, output);
        // Stored as the client receives it (the fill ends here, releasing waiting requests).
        stages::cache::store(&mut reply, fill).await;
        Ok(reply)
    }

    fn now(&self) -> RequestTime {
        RequestTime::at(self.clock.now_ms())
    }
}
