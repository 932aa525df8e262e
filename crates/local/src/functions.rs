//! The functions the local stack runs in process, by their logical id in template.yaml, each
//! built once on the stack's [`Services`] by the same `build` its `main` calls in AWS
//! (`podcastflow_wiring`), and mounted generically.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use lambda_http::{Body, BoxFuture, Error, Request, Response};
use podcastflow_activities::ActivitiesApp;
use podcastflow_ad_reads::AdReadsApp;
use podcastflow_auth::AuthApp;
use podcastflow_authorization::Authorizer;
use podcastflow_backup_job::{BackupJobApp, BackupSchedule};
use podcastflow_backups::BackupsApp;
use podcastflow_billing::BillingApp;
use podcastflow_billing_job::BillingJob;
use podcastflow_campaign_job::CampaignJob;
use podcastflow_campaigns::CampaignsApp;
use podcastflow_clients::ClientsApp;
use podcastflow_delivery::DeliveryApp;
use podcastflow_delivery_ingest::IngestApp;
use podcastflow_digest_job::DigestJob;
use podcastflow_episodes::EpisodesApp;
use podcastflow_identity::TokenVerifier;
use podcastflow_inventory::InventoryApp;
use podcastflow_media::MediaApp;
use podcastflow_monitoring::MonitoringApp;
use podcastflow_notifications::NotificationsApp;
use podcastflow_objects::Objects;
use podcastflow_orders::OrdersApp;
use podcastflow_organizations::OrganizationsApp;
use podcastflow_platform::AppContext;
use podcastflow_shows::ShowsApp;
use podcastflow_stream::StreamApp;
use podcastflow_talent::TalentApp;
use podcastflow_users::UsersApp;
use podcastflow_webhook_dispatcher::Dispatcher as WebhookDispatcher;
use podcastflow_webhooks::WebhooksApp;
use podcastflow_websocket::WebSocketApp;
use podcastflow_wiring::{Bucket, Dependencies, EventFunction, HttpFunction};

use crate::services::Services;
use podcastflow_platform::crossorg::AccessLog;
use podcastflow_platform::observe::observe;
use podcastflow_platform::telemetry::Telemetry;

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

/// `handler` run in the platform's request wrapper (logs, metrics, rate limits, deadline,
/// master's cross-organization requests recorded through `log`) as function `name`, as
/// `serve_http` runs it in Lambda: it always answers.
pub fn observed(telemetry: Arc<Telemetry>, log: AccessLog, name: String, handler: HttpHandler) -> HttpHandler {
    let name: Arc<str> = name.into();
    Arc::new(move |req| {
        let (telemetry, log, name, handler) = (telemetry.clone(), log.clone(), name.clone(), handler.clone());
        Box::pin(async move { Ok(observe(&telemetry, Some(&log), &name, req, |req| handler(req)).await) })
    })
}

/// The stack's stand-ins as the dependencies of function `function` (its logical id in
/// template.yaml, whose IAM policies its table calls are held to).
pub struct LocalDependencies<'a> {
    services: &'a Services,
    function: &'a str,
}

impl Dependencies for LocalDependencies<'_> {
    async fn context(&self) -> Result<AppContext, Error> {
        Ok(self.services.ctx_of(self.function))
    }

    async fn identity(&self) -> Result<Arc<dyn podcastflow_identity::Identity>, Error> {
        Ok(self.services.identity.clone())
    }

    async fn push(&self) -> Result<Arc<dyn podcastflow_push::Push>, Error> {
        Ok(self.services.push.clone())
    }

    async fn mail(&self) -> Result<Arc<dyn podcastflow_mail::Mail>, Error> {
        Ok(Arc::new(self.services.outbox.clone()))
    }

    async fn usage(&self) -> Result<Arc<dyn podcastflow_usage::UsageKeys>, Error> {
        Ok(self.services.usage.clone())
    }

    /// The bucket with the function's own key, held to its role's policies.
    async fn objects(&self, bucket: Bucket) -> Result<Objects, Error> {
        let bucket = match bucket {
            Bucket::Backups => &self.services.backups,
            Bucket::Media => &self.services.media,
            Bucket::Logs => &self.services.logs,
        };
        Ok(self.services.bucket_of(self.function, bucket)?)
    }

    async fn verifier(&self) -> Result<Arc<TokenVerifier>, Error> {
        Ok(self.services.verifier.clone())
    }

    fn setting(&self, name: &str) -> Option<String> {
        match name {
            "INTERACTIVE_USAGE_KEY" => self.services.interactive_usage_key.clone(),
            // The local stack's receivers are on loopback, over plain HTTP.
            podcastflow_dispatch::DESTINATIONS_SETTING => Some("local".to_owned()),
            _ => None,
        }
    }
}

/// HTTP function `F` built as its `main` builds it in AWS, on the stack's stand-ins.
async fn mount<F: HttpFunction>(s: &Services, function: &str) -> Result<HttpHandler, Error> {
    let app = Arc::new(F::build(&LocalDependencies { services: s, function }).await?);
    Ok(http(move |req| {
        let app = app.clone();
        async move { app.handle(req).await }
    }))
}

/// Event function `F` built as its `main` builds it in AWS, on the stack's stand-ins.
async fn mount_event<F: EventFunction>(s: &Services, function: &str) -> Result<EventHandler, Error> {
    let app = Arc::new(F::build(&LocalDependencies { services: s, function }).await?);
    Ok(event(move |e: lambda_http::LambdaEvent<F::Event>| {
        let app = app.clone();
        async move { app.handle(e).await }
    }))
}

/// Every HTTP function of the template, by logical id. A template route whose function is
/// missing stops the stack at start-up rather than answering 404 later.
pub async fn http_functions(s: &Services) -> Result<HashMap<String, HttpHandler>, Error> {
    let mounts = [
        ("MonitoringFunction", mount::<MonitoringApp>(s, "MonitoringFunction").await?),
        ("AuthFunction", mount::<AuthApp>(s, "AuthFunction").await?),
        ("UsersFunction", mount::<UsersApp>(s, "UsersFunction").await?),
        ("OrganizationsFunction", mount::<OrganizationsApp>(s, "OrganizationsFunction").await?),
        ("ClientsFunction", mount::<ClientsApp>(s, "ClientsFunction").await?),
        ("CampaignsFunction", mount::<CampaignsApp>(s, "CampaignsFunction").await?),
        ("NotificationsFunction", mount::<NotificationsApp>(s, "NotificationsFunction").await?),
        ("ActivitiesFunction", mount::<ActivitiesApp>(s, "ActivitiesFunction").await?),
        ("TalentFunction", mount::<TalentApp>(s, "TalentFunction").await?),
        ("InventoryFunction", mount::<InventoryApp>(s, "InventoryFunction").await?),
        ("OrdersFunction", mount::<OrdersApp>(s, "OrdersFunction").await?),
        ("WebhooksFunction", mount::<WebhooksApp>(s, "WebhooksFunction").await?),
        ("BillingFunction", mount::<BillingApp>(s, "BillingFunction").await?),
        ("AdReadsFunction", mount::<AdReadsApp>(s, "AdReadsFunction").await?),
        ("DeliveryFunction", mount::<DeliveryApp>(s, "DeliveryFunction").await?),
        ("EpisodesFunction", mount::<EpisodesApp>(s, "EpisodesFunction").await?),
        ("MediaFunction", mount::<MediaApp>(s, "MediaFunction").await?),
        ("BackupsFunction", mount::<BackupsApp>(s, "BackupsFunction").await?),
        ("WebSocketFunction", mount::<WebSocketApp>(s, "WebSocketFunction").await?),
        ("ShowsFunction", mount::<ShowsApp>(s, "ShowsFunction").await?),
    ];
    Ok(mounts.into_iter().map(|(id, h)| (id.to_owned(), h)).collect())
}

/// An event-triggered function (authorizer, stream, schedule): JSON payload in, JSON result out,
/// as the Lambda runtime passes them.
pub type EventHandler =
    Arc<dyn Fn(serde_json::Value) -> BoxFuture<'static, Result<serde_json::Value, Error>> + Send + Sync>;

/// Wraps a `LambdaEvent<T>` handler as an [`EventHandler`]: the payload is deserialized into `T`
/// (a payload that does not fit is an error, as in the runtime) and the result serialized.
pub fn event<T, R, F, Fut>(f: F) -> EventHandler
where
    T: serde::de::DeserializeOwned + Send + 'static,
    R: serde::Serialize + Send + 'static,
    F: Fn(lambda_http::LambdaEvent<T>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, Error>> + Send + 'static,
{
    let f = Arc::new(f);
    Arc::new(move |payload| {
        let f = f.clone();
        Box::pin(async move {
            let typed: T = serde_json::from_value(payload)?;
            let mut context = lambda_http::Context::default();
            context.request_id = ulid::Ulid::new().to_string().to_lowercase();
            let out = f(lambda_http::LambdaEvent::new(typed, context)).await?;
            Ok(serde_json::to_value(out)?)
        })
    })
}

/// Every event function of the template, by logical id.
pub async fn event_functions(s: &Services) -> Result<HashMap<String, EventHandler>, Error> {
    let mounts = [
        ("AuthorizerFunction", mount_event::<Authorizer>(s, "AuthorizerFunction").await?),
        ("StreamFunction", mount_event::<StreamApp>(s, "StreamFunction").await?),
        ("BackupJobFunction", mount_event::<BackupJobApp>(s, "BackupJobFunction").await?),
        ("BackupScheduleFunction", mount_event::<BackupSchedule>(s, "BackupScheduleFunction").await?),
        ("CampaignJobFunction", mount_event::<CampaignJob>(s, "CampaignJobFunction").await?),
        ("BillingJobFunction", mount_event::<BillingJob>(s, "BillingJobFunction").await?),
        ("DigestJobFunction", mount_event::<DigestJob>(s, "DigestJobFunction").await?),
        ("WebhookDispatcherFunction", mount_event::<WebhookDispatcher>(s, "WebhookDispatcherFunction").await?),
        ("DeliveryIngestFunction", mount_event::<IngestApp>(s, "DeliveryIngestFunction").await?),
    ];
    Ok(mounts.into_iter().map(|(id, h)| (id.to_owned(), h)).collect())
}
