//! Running a function in Lambda: its app, built once at init, shared by every invocation.

use std::future::Future;
use std::sync::Arc;

use lambda_http::{Body, Error, Request, Response};

/// Serves API Gateway requests with `handler`, each call getting the app built at init.
pub async fn serve_http<A, F, Fut>(app: A, handler: F) -> Result<(), Error>
where
    A: Send + Sync + 'static,
    F: Fn(Arc<A>, Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, Error>> + Send,
{
    let app = Arc::new(app);
    lambda_http::run(lambda_http::service_fn(|req| handler(app.clone(), req))).await
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
    let app = Arc::new(app);
    lambda_http::lambda_runtime::run(lambda_http::service_fn(|event| handler(app.clone(), event))).await
}
