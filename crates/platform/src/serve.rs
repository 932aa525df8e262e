//! Running a function in Lambda: JSON logs, its app built once at init and shared by every
//! invocation, and (for HTTP) every request in the [`crate::observe`] wrapper.

use std::future::Future;
use std::sync::Arc;

use lambda_http::{Body, Error, Request, Response};

use crate::AppContext;
use crate::crossorg::AccessLog;

/// Serves API Gateway requests with `handler`, each call getting the app built at init, observed
/// with the context's telemetry (the function named by the Lambda's name), master's requests in
/// other organizations recorded through its tenant tables.
pub async fn serve_http<A, F, Fut>(ctx: AppContext, app: A, handler: F) -> Result<(), Error>
where
    A: Send + Sync + 'static,
    F: Fn(Arc<A>, Request) -> Fut + Sync,
    Fut: Future<Output = Result<Response<Body>, Error>> + Send,
{
    crate::logging::init();
    let app = Arc::new(app);
    let handler = &handler;
    let telemetry = ctx.telemetry.clone();
    let log = AccessLog::new(ctx.tenants.clone());
    let log = &log;
    lambda_http::run(lambda_http::service_fn(|req| {
        let (app, telemetry) = (app.clone(), telemetry.clone());
        async move {
            let function = telemetry.function.clone();
            let answer = crate::observe::observe(&telemetry, Some(log), &function, req, |req| handler(app, req));
            Ok::<_, Error>(answer.await)
        }
    }))
    .await
}

/// Serves events of type `E` (schedules, streams, authorizers) with `handler`, likewise.
pub async fn serve_events<A, E, R, F, Fut>(app: A, handler: F) -> Result<(), Error>
where
    A: Send + Sync + 'static,
    E: serde::de::DeserializeOwned + Send + 'static,
    R: serde::Serialize + Send + 'static,
    F: Fn(Arc<A>, lambda_http::LambdaEvent<E>) -> Fut,
    Fut: Future<Output = Result<R, Error>> + Send,
{
    crate::logging::init();
    let app = Arc::new(app);
    lambda_http::lambda_runtime::run(lambda_http::service_fn(|event| handler(app.clone(), event))).await
}
