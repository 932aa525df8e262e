//! One wiring point per function. Each function crate says once how its app is built from its
//! dependencies ([`HttpFunction::build`], [`EventFunction::build`]); its `main.rs` builds it from
//! the Lambda's environment ([`FromEnv`]) and serves it ([`run_http`], [`run_events`]), and the
//! local stack builds it from its stand-ins and mounts it, through the same `build`.
//!
//! `build` is generic over the [`Dependencies`], so a function compiles in the constructors of
//! only the dependencies it asks for: a Lambda's binary holds no client it never makes.

use std::future::Future;
use std::sync::Arc;

use lambda_http::{Body, Error, LambdaEvent, Request, Response};
use podcastflow_identity::cognito::CognitoIdentity;
use podcastflow_identity::{HttpKeySource, Identity, TokenVerifier};
use podcastflow_mail::Mail;
use podcastflow_objects::Objects;
use podcastflow_platform::AppContext;
use podcastflow_platform::context::setting;
use podcastflow_push::{ApiGatewayPush, Push};
use podcastflow_usage::UsageKeys;
use podcastflow_usage::apigateway::ApiGatewayUsageKeys;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The buckets functions read and write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// Backups (`BACKUPS_BUCKET`).
    Backups,
    /// Uploaded media (`MEDIA_BUCKET`).
    Media,
    /// CDN request logs (`LOGS_BUCKET`).
    Logs,
}

impl Bucket {
    /// The environment variable naming the bucket in AWS.
    pub fn setting(self) -> &'static str {
        match self {
            Bucket::Backups => "BACKUPS_BUCKET",
            Bucket::Media => "MEDIA_BUCKET",
            Bucket::Logs => "LOGS_BUCKET",
        }
    }
}

/// What functions are built from, each made when a function asks for it.
pub trait Dependencies: Sync {
    /// The function's table context: its table, tenant sessions, cursors and telemetry.
    fn context(&self) -> impl Future<Output = Result<AppContext, Error>> + Send;
    /// The identity provider.
    fn identity(&self) -> impl Future<Output = Result<Arc<dyn Identity>, Error>> + Send;
    /// Posting to WebSocket connections.
    fn push(&self) -> impl Future<Output = Result<Arc<dyn Push>, Error>> + Send;
    /// Sending e-mail.
    fn mail(&self) -> impl Future<Output = Result<Arc<dyn Mail>, Error>> + Send;
    /// The usage plan API keys are registered with.
    fn usage(&self) -> impl Future<Output = Result<Arc<dyn UsageKeys>, Error>> + Send;
    /// A bucket.
    fn objects(&self, bucket: Bucket) -> impl Future<Output = Result<Objects, Error>> + Send;
    /// The access-token verifier (the issuer's JWKS).
    fn verifier(&self) -> impl Future<Output = Result<Arc<TokenVerifier>, Error>> + Send;
    /// An optional setting, by its environment variable's name.
    fn setting(&self, name: &str) -> Option<String>;
}

/// An HTTP-triggered function (API Gateway REST or WebSocket).
pub trait HttpFunction: Send + Sync + Sized + 'static {
    /// Builds the app once, at init.
    fn build<D: Dependencies>(deps: &D) -> impl Future<Output = Result<Self, Error>> + Send;
    /// Its context (the request wrapper's telemetry and tenant tables).
    fn context(&self) -> &AppContext;
    /// Handles one request.
    fn handle(&self, req: Request) -> impl Future<Output = Result<Response<Body>, Error>> + Send;
}

/// An event-triggered function (authorizer, stream, schedule).
pub trait EventFunction: Send + Sync + Sized + 'static {
    /// The payload it takes.
    type Event: DeserializeOwned + Send + 'static;
    /// What it answers.
    type Output: Serialize + Send + 'static;
    /// Builds the app once, at init.
    fn build<D: Dependencies>(deps: &D) -> impl Future<Output = Result<Self, Error>> + Send;
    /// Handles one event.
    fn handle(&self, event: LambdaEvent<Self::Event>) -> impl Future<Output = Result<Self::Output, Error>> + Send;
}

/// The dependencies in Lambda: each made from the function's environment.
pub struct FromEnv;

impl Dependencies for FromEnv {
    async fn context(&self) -> Result<AppContext, Error> {
        AppContext::from_env().await
    }

    async fn identity(&self) -> Result<Arc<dyn Identity>, Error> {
        Ok(Arc::new(CognitoIdentity::from_env().await?))
    }

    async fn push(&self) -> Result<Arc<dyn Push>, Error> {
        Ok(Arc::new(ApiGatewayPush::from_env().await?))
    }

    async fn mail(&self) -> Result<Arc<dyn Mail>, Error> {
        Ok(Arc::new(podcastflow_mail::ses::SesMail::from_env().await?))
    }

    async fn usage(&self) -> Result<Arc<dyn UsageKeys>, Error> {
        Ok(Arc::new(ApiGatewayUsageKeys::from_env().await?))
    }

    async fn objects(&self, bucket: Bucket) -> Result<Objects, Error> {
        Ok(Objects::from_env(bucket.setting()).await?)
    }

    /// `TOKEN_ISSUER` and `TOKEN_CLIENT_ID`; the key set at `JWKS_URL`, by default the issuer's
    /// `/.well-known/jwks.json`.
    async fn verifier(&self) -> Result<Arc<TokenVerifier>, Error> {
        let issuer = setting("TOKEN_ISSUER")?;
        let client_id = setting("TOKEN_CLIENT_ID")?;
        let jwks = std::env::var("JWKS_URL").unwrap_or_else(|_| format!("{issuer}/.well-known/jwks.json"));
        Ok(Arc::new(TokenVerifier::new(issuer, client_id, Arc::new(HttpKeySource::new(jwks)))))
    }

    fn setting(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// Runs HTTP function `F` in Lambda: built once from the environment, every request in the
/// platform's request wrapper.
pub async fn run_http<F: HttpFunction>() -> Result<(), Error> {
    let app = F::build(&FromEnv).await?;
    let ctx = app.context().clone();
    podcastflow_platform::serve_http(ctx, app, |app, req| async move { app.handle(req).await }).await
}

/// Runs event function `F` in Lambda, built once from the environment.
pub async fn run_events<F: EventFunction>() -> Result<(), Error> {
    let app = F::build(&FromEnv).await?;
    // Boxed: a job's future (a backup's export, say) nests deep enough that the runtime's future
    // around it would exceed the compiler's layout depth; one allocation per event is nothing.
    podcastflow_platform::serve_events(app, |app, event| {
        let run: std::pin::Pin<Box<dyn Future<Output = Result<F::Output, Error>> + Send>> =
            Box::pin(async move { app.handle(event).await });
        run
    })
    .await
}

/// The runtime a request function's `main` runs on: one thread. Lambda hands an instance one
/// event at a time, so worker threads only add hand-offs between them (a sixth of a warm
/// invocation's CPU, BENCHMARKS.md), and starting none makes the cold start shorter and the
/// process smaller; what one invocation does side by side still overlaps.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()
}

/// The `main` of an HTTP function's binary: [`run_http`] on [`runtime`].
///
/// ```ignore
/// podcastflow_wiring::http_main!(podcastflow_campaigns::CampaignsApp);
/// ```
#[macro_export]
macro_rules! http_main {
    ($app:ty) => {
        fn main() -> Result<(), $crate::__private::Error> {
            $crate::runtime()?.block_on($crate::run_http::<$app>())
        }
    };
}

/// The `main` of an event function on the request path (the authorizer): [`run_events`] on
/// [`runtime`]. The jobs keep tokio's multi-threaded runtime, so their CPU work (compression,
/// parsing) runs beside their I/O on instances with more than one vCPU.
#[macro_export]
macro_rules! events_main {
    ($app:ty) => {
        fn main() -> Result<(), $crate::__private::Error> {
            $crate::runtime()?.block_on($crate::run_events::<$app>())
        }
    };
}

/// What [`http_function!`], [`http_main!`] and [`events_main!`] expand to refers to through here,
/// so a function crate needs no dependency of its own for it.
#[doc(hidden)]
pub mod __private {
    pub use lambda_http::{Body, Error, Request, Response};
    pub use podcastflow_platform::AppContext;
}

/// Implements [`HttpFunction`] for an app whose fields are its context (`ctx`) and the named
/// dependencies, handled by the free function `handle(&App, Request)`:
///
/// ```ignore
/// podcastflow_wiring::http_function!(UsersApp, handle, identity = identity(), usage = usage());
/// podcastflow_wiring::http_function!(MediaApp, handle, objects = objects(Bucket::Media));
/// ```
#[macro_export]
macro_rules! http_function {
    ($app:ty, $handle:path $(, $field:ident = $dep:ident ( $($arg:expr)? ) )* $(,)?) => {
        impl $crate::HttpFunction for $app {
            async fn build<D: $crate::Dependencies>(deps: &D) -> Result<Self, $crate::__private::Error> {
                Ok(Self { ctx: deps.context().await?, $( $field: deps.$dep($($arg)?).await?, )* })
            }

            fn context(&self) -> &$crate::__private::AppContext {
                &self.ctx
            }

            async fn handle(
                &self,
                req: $crate::__private::Request,
            ) -> Result<$crate::__private::Response<$crate::__private::Body>, $crate::__private::Error> {
                $handle(self, req).await
            }
        }
    };
}
