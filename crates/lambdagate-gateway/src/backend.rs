//! What the pipeline invokes functions through: the function service, or a stand-in for tests.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use lambdagate_lambda::{FunctionService, Invocation, InvocationResult, InvokeError};

/// A function of the application, resolved at load time: invoking it needs no lookup by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionHandle {
    /// Its position in the application's functions.
    pub index: usize,
    /// Its logical id (for logs and stand-in backends).
    pub name: Arc<str>,
}

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Invokes a function, resolved at load time, with an event and a trace id.
pub trait Backend: Send + Sync + 'static {
    /// Invokes `function` and waits for its answer. Dropping the future abandons the wait only.
    fn invoke<'a>(
        &'a self,
        function: &'a FunctionHandle,
        invocation: Invocation,
    ) -> BoxFuture<'a, Result<InvocationResult, InvokeError>>;
}

impl Backend for FunctionService {
    fn invoke<'a>(
        &'a self,
        function: &'a FunctionHandle,
        invocation: Invocation,
    ) -> BoxFuture<'a, Result<InvocationResult, InvokeError>> {
        Box::pin(FunctionService::invoke_at(
            self,
            function.index,
            &function.name,
            invocation,
        ))
    }
}

/// A backend made of an async closure: in-process functions for fast tests of the pipeline.
pub struct FnBackend<F>(pub F);

impl<F, Fut> Backend for FnBackend<F>
where
    F: Fn(String, Invocation) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<InvocationResult, InvokeError>> + Send + 'static,
{
    fn invoke<'a>(
        &'a self,
        function: &'a FunctionHandle,
        invocation: Invocation,
    ) -> BoxFuture<'a, Result<InvocationResult, InvokeError>> {
        Box::pin((self.0)(function.name.to_string(), invocation))
    }
}
