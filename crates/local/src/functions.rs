//! The functions the local stack runs in process, by their logical id in template.yaml, each
//! built once on the stack's [`Services`] as its `main` would build it in AWS.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use lambda_http::{Body, BoxFuture, Error, Request, Response};
use podcastflow_activities::ActivitiesApp;
use podcastflow_auth::AuthApp;
use podcastflow_authorization::Authorizer;
use podcastflow_backup_job::BackupJobApp;
use podcastflow_backups::BackupsApp;
use podcastflow_campaign_job::CampaignJob;
use podcastflow_campaigns::CampaignsApp;
use podcastflow_clients::ClientsApp;
use podcastflow_episodes::EpisodesApp;
use podcastflow_media::MediaApp;
use podcastflow_monitoring::MonitoringApp;
use podcastflow_monitoring::health::{BucketProbe, ConnectionsProbe, IdentityProbe, TableProbe};
use podcastflow_monitoring::metrics::RegistrySource;
use podcastflow_notifications::NotificationsApp;
use podcastflow_organizations::OrganizationsApp;
use podcastflow_shows::ShowsApp;
use podcastflow_stream::StreamApp;
use podcastflow_talent::TalentApp;
use podcastflow_users::UsersApp;
use podcastflow_websocket::WebSocketApp;

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

/// The monitoring function on the stack's stand-ins: the registry for metrics and alarms, a
/// probe of each dependency.
fn monitoring_app(s: &Services) -> MonitoringApp {
    let identity: Arc<dyn podcastflow_identity::Identity> = s.identity.clone();
    let ctx = s.ctx_of("MonitoringFunction");
    MonitoringApp {
        authorizer: Authorizer {
            verifier: s.verifier.clone(),
            table: ctx.table.clone(),
            tenants: ctx.tenants.clone(),
            interactive_usage_key: None,
        },
        probes: vec![
            Arc::new(TableProbe(ctx.table.clone())),
            Arc::new(IdentityProbe(identity)),
            Arc::new(BucketProbe("backups-bucket", s.backups.clone())),
            Arc::new(BucketProbe("media-bucket", s.media.clone())),
            Arc::new(ConnectionsProbe(s.push.clone())),
        ],
        metrics: Arc::new(RegistrySource(s.metrics.clone())),
    }
}

/// Every HTTP function of the template. A template route whose function is missing stops the
/// stack at start-up rather than answering 404 later.
pub fn http_functions(s: &Services) -> HashMap<String, HttpHandler> {
    let identity: Arc<dyn podcastflow_identity::Identity> = s.identity.clone();
    let auth = Arc::new(AuthApp { ctx: s.ctx_of("AuthFunction"), identity: identity.clone() });
    let users =
        Arc::new(UsersApp { ctx: s.ctx_of("UsersFunction"), identity: identity.clone(), usage: s.usage.clone() });
    let orgs = Arc::new(OrganizationsApp { ctx: s.ctx_of("OrganizationsFunction"), identity });
    let clients = Arc::new(ClientsApp { ctx: s.ctx_of("ClientsFunction") });
    let campaigns = Arc::new(CampaignsApp { ctx: s.ctx_of("CampaignsFunction") });
    let notifications = Arc::new(NotificationsApp { ctx: s.ctx_of("NotificationsFunction") });
    let activities = Arc::new(ActivitiesApp { ctx: s.ctx_of("ActivitiesFunction") });
    let talent = Arc::new(TalentApp { ctx: s.ctx_of("TalentFunction") });
    let episodes = Arc::new(EpisodesApp { ctx: s.ctx_of("EpisodesFunction") });
    let shows = Arc::new(ShowsApp { ctx: s.ctx_of("ShowsFunction") });
    let websocket = Arc::new(WebSocketApp { ctx: s.ctx_of("WebSocketFunction"), push: s.push.clone() });
    let backups = Arc::new(BackupsApp { ctx: s.ctx_of("BackupsFunction"), objects: s.backups.clone() });
    let media = Arc::new(MediaApp { ctx: s.ctx_of("MediaFunction"), objects: s.media.clone() });
    let monitoring = Arc::new(monitoring_app(s));
    HashMap::from([
        (
            "MonitoringFunction".to_owned(),
            http(move |req| {
                let app = monitoring.clone();
                async move { podcastflow_monitoring::handle(&app, req).await }
            }),
        ),
        (
            "AuthFunction".to_owned(),
            http(move |req| {
                let app = auth.clone();
                async move { podcastflow_auth::handle(&app, req).await }
            }),
        ),
        (
            "UsersFunction".to_owned(),
            http(move |req| {
                let app = users.clone();
                async move { podcastflow_users::handle(&app, req).await }
            }),
        ),
        (
            "OrganizationsFunction".to_owned(),
            http(move |req| {
                let app = orgs.clone();
                async move { podcastflow_organizations::handle(&app, req).await }
            }),
        ),
        (
            "ClientsFunction".to_owned(),
            http(move |req| {
                let app = clients.clone();
                async move { podcastflow_clients::handle(&app, req).await }
            }),
        ),
        (
            "CampaignsFunction".to_owned(),
            http(move |req| {
                let app = campaigns.clone();
                async move { podcastflow_campaigns::handle(&app, req).await }
            }),
        ),
        (
            "NotificationsFunction".to_owned(),
            http(move |req| {
                let app = notifications.clone();
                async move { podcastflow_notifications::handle(&app, req).await }
            }),
        ),
        (
            "ActivitiesFunction".to_owned(),
            http(move |req| {
                let app = activities.clone();
                async move { podcastflow_activities::handle(&app, req).await }
            }),
        ),
        (
            "TalentFunction".to_owned(),
            http(move |req| {
                let app = talent.clone();
                async move { podcastflow_talent::handle(&app, req).await }
            }),
        ),
        (
            "EpisodesFunction".to_owned(),
            http(move |req| {
                let app = episodes.clone();
                async move { podcastflow_episodes::handle(&app, req).await }
            }),
        ),
        (
            "MediaFunction".to_owned(),
            http(move |req| {
                let app = media.clone();
                async move { podcastflow_media::handle(&app, req).await }
            }),
        ),
        (
            "BackupsFunction".to_owned(),
            http(move |req| {
                let app = backups.clone();
                async move { podcastflow_backups::handle(&app, req).await }
            }),
        ),
        (
            "WebSocketFunction".to_owned(),
            http(move |req| {
                let app = websocket.clone();
                async move { podcastflow_websocket::handle(&app, req).await }
            }),
        ),
        (
            "ShowsFunction".to_owned(),
            http(move |req| {
                let app = shows.clone();
                async move { podcastflow_shows::handle(&app, req).await }
            }),
        ),
    ])
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

/// Every event function of the template (the stream function and the scheduled jobs register
/// here as they arrive).
pub fn event_functions(s: &Services) -> HashMap<String, EventHandler> {
    let ctx = s.ctx_of("AuthorizerFunction");
    let authorizer = Arc::new(Authorizer {
        verifier: s.verifier.clone(),
        table: ctx.table,
        tenants: ctx.tenants,
        interactive_usage_key: s.interactive_usage_key.clone(),
    });
    let campaign_job = Arc::new(CampaignJob { ctx: s.ctx_of("CampaignJobFunction") });
    let backup_job = Arc::new(BackupJobApp { ctx: s.ctx_of("BackupJobFunction"), objects: s.backups.clone() });
    let backup_schedule =
        Arc::new(BackupJobApp { ctx: s.ctx_of("BackupScheduleFunction"), objects: s.backups.clone() });
    let stream = Arc::new(StreamApp::new(s.ctx_of("StreamFunction"), Arc::new(s.outbox.clone()), s.push.clone()));
    HashMap::from([
        (
            "AuthorizerFunction".to_owned(),
            event(move |e| {
                let a = authorizer.clone();
                async move { podcastflow_authorization::handle(&a, e).await }
            }),
        ),
        (
            "StreamFunction".to_owned(),
            event(move |e| {
                let app = stream.clone();
                async move { podcastflow_stream::handle(&app, e).await }
            }),
        ),
        (
            "BackupJobFunction".to_owned(),
            event(move |e| {
                let app = backup_job.clone();
                async move { podcastflow_backup_job::handle(&app, e).await }
            }),
        ),
        (
            "BackupScheduleFunction".to_owned(),
            event(move |e| {
                let app = backup_schedule.clone();
                async move { podcastflow_backup_job::handle_schedule(&app, e).await }
            }),
        ),
        (
            "CampaignJobFunction".to_owned(),
            event(move |e| {
                let job = campaign_job.clone();
                async move { podcastflow_campaign_job::handle(&job, e).await }
            }),
        ),
    ])
}
