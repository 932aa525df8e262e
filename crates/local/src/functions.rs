//! The functions the local stack runs in process, by their logical id in template.yaml.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use lambda_http::{Body, BoxFuture, Error, Request, Response};

/// An HTTP-triggered function: what `lambda_http::run` would call in AWS.
pub type HttpHandler = Arc<dyn Fn(Request) -> BoxFuture<'static, Result<Response<Body>, Error>> + Send + Sync>;

/// Wraps an async handler function as an [`HttpHandler`].
pub fn http<F, Fut>(f: F) -> HttpHandler
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response<Body>, Error>> + Send + 'static,
{
    Arc::new(move |req| Box::pin(f(req)))
}

/// Every HTTP function by logical id. A template route whose function is missing here stops the
/// stack at start-up rather than answering 404 later.
pub fn http_functions() -> HashMap<&'static str, HttpHandler> {
    HashMap::from([("MonitoringFunction", http(podcastflow_monitoring::handle))])
}
