//! The in-process S3 endpoint: s3s over a directory of the data dir (s3s-fs), SigV4 enforced, so
//! aws-sdk-s3 and its presigned URLs work against it, and every request held to IAM as AWS would
//! hold it: each access key belongs to an [`S3Principals`] entry (a function's role, or an
//! organization's tenant session) whose template.yaml policies are evaluated for the request's
//! action on its bucket or object (`podcastflow_iam`). The data dir's [`LocalCredentials`] are
//! the operator's, allowed everything, as an account's administrator is.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use axum::http;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use hyper_util::server::graceful::GracefulShutdown;
use podcastflow_iam::{Decision, Policy, Request, evaluate};
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::path::S3Path;
use s3s::service::S3ServiceBuilder;
use s3s::{S3Result, s3_error};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::credentials::LocalCredentials;

/// What IAM evaluates a principal's requests against: its role's policies, its session policy
/// (a tenant session's) and its context (the session's tags).
#[derive(Clone, Default)]
pub struct Grants {
    /// The role's policies.
    pub identity: Arc<Vec<Policy>>,
    /// The session policy, if any.
    pub session: Option<Policy>,
    /// Condition keys of the caller (`aws:PrincipalTag/orgId`).
    pub context: BTreeMap<String, Vec<String>>,
}

#[derive(Clone)]
struct Principal {
    secret: String,
    /// `None`: the operator, allowed everything.
    grants: Option<Grants>,
    who: String,
    expires_at: Option<SystemTime>,
}

/// The access keys the S3 endpoint accepts and what each may do.
pub struct S3Principals {
    keys: RwLock<HashMap<String, Principal>>,
}

impl S3Principals {
    /// Accepting only the operator's key (the data dir's credentials) for now.
    pub fn new(operator: &LocalCredentials) -> Self {
        let op = Principal {
            secret: operator.secret_access_key.clone(),
            grants: None,
            who: "the operator".into(),
            expires_at: None,
        };
        Self { keys: RwLock::new(HashMap::from([(operator.access_key_id.clone(), op)])) }
    }

    /// A new key for `who` (a function's role, or a tenant session until `expires_at`), held to
    /// `grants`. Expired keys are forgotten as new ones come.
    pub fn register(
        &self,
        who: impl Into<String>,
        grants: Grants,
        expires_at: Option<SystemTime>,
    ) -> std::io::Result<LocalCredentials> {
        let random = |bytes| podcastflow_identity::tokens::random_token(bytes).map_err(std::io::Error::other);
        let creds = LocalCredentials {
            access_key_id: format!("ASIA{}", random(12)?.to_uppercase().replace(['-', '_'], "X")),
            secret_access_key: random(30)?,
        };
        let principal =
            Principal { secret: creds.secret_access_key.clone(), grants: Some(grants), who: who.into(), expires_at };
        let mut keys = self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = SystemTime::now();
        keys.retain(|_, p| p.expires_at.is_none_or(|e| e > now));
        keys.insert(creds.access_key_id.clone(), principal);
        Ok(creds)
    }

    fn get(&self, access_key: &str) -> Option<Principal> {
        let keys = self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.get(access_key).filter(|p| p.expires_at.is_none_or(|e| e > SystemTime::now())).cloned()
    }
}

/// The IAM action of an S3 operation: the multipart steps are `PutObject`, a HEAD is `GetObject`,
/// a listing is `ListBucket`; every other operation is its own name.
pub fn iam_action(operation: &str) -> String {
    let action = match operation {
        "HeadObject" => "GetObject",
        "CreateMultipartUpload" | "UploadPart" | "CompleteMultipartUpload" => "PutObject",
        "ListObjects" | "ListObjectsV2" | "HeadBucket" => "ListBucket",
        "ListParts" => "ListMultipartUploadParts",
        "ListMultipartUploads" => "ListBucketMultipartUploads",
        other => other,
    };
    format!("s3:{action}")
}

/// The ARN IAM authorizes an S3 request on.
pub fn resource_arn(path: &S3Path) -> String {
    match path {
        S3Path::Root => "*".into(),
        S3Path::Bucket { bucket } => format!("arn:aws:s3:::{bucket}"),
        S3Path::Object { bucket, key } => format!("arn:aws:s3:::{bucket}/{key}"),
    }
}

/// The endpoint's view of [`S3Principals`]: signatures checked with their secrets, requests with
/// their grants.
#[derive(Clone)]
struct Iam(Arc<S3Principals>);

#[async_trait::async_trait]
impl S3Auth for Iam {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        match self.0.get(access_key) {
            Some(p) => Ok(SecretKey::from(p.secret)),
            None => Err(s3_error!(InvalidAccessKeyId)),
        }
    }
}

#[async_trait::async_trait]
impl S3Access for Iam {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let Some(creds) = cx.credentials() else { return Err(s3_error!(AccessDenied, "an unsigned request")) };
        let Some(principal) = self.0.get(&creds.access_key) else { return Err(s3_error!(InvalidAccessKeyId)) };
        let Some(grants) = principal.grants else { return Ok(()) };
        let mut request = Request::new(iam_action(cx.s3_op().name()), resource_arn(cx.s3_path()));
        request.context.extend(grants.context.clone());
        match evaluate(&grants.identity, grants.session.as_ref(), &request) {
            Ok(Decision::Allowed) => Ok(()),
            Ok(d) => {
                let why = format!("{} may not {} {} ({d:?})", principal.who, request.action, request.resource);
                tracing::warn!("{why}");
                Err(s3_error!(AccessDenied, "{why}"))
            }
            Err(e) => Err(s3_error!(AccessDenied, "{}: {e}", principal.who)),
        }
    }
}

/// Creates the buckets (directories of the S3 root) that do not exist yet.
pub fn create_buckets(root: &Path, buckets: &[String]) -> std::io::Result<()> {
    for b in buckets {
        std::fs::create_dir_all(root.join(b))?;
    }
    Ok(())
}

/// An object S3 created, as its event notification tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectCreated {
    /// The bucket's name.
    pub bucket: String,
    /// The object's key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// `ObjectCreated:Put`, `:Copy` or `:CompleteMultipartUpload`.
    pub event: &'static str,
}

/// The object a successful request created, if it created one: a path-style `PUT` of an object
/// (not of a part, whose query names a `partNumber`), or the `POST` completing a multipart upload.
pub fn created_by(method: &http::Method, uri: &http::Uri, copy: bool) -> Option<(String, String, &'static str)> {
    let query = uri.query().unwrap_or_default();
    let has = |name: &str| query.split('&').any(|p| p.split('=').next() == Some(name));
    let event = match *method {
        http::Method::PUT if !has("partNumber") && !has("uploadId") && copy => "ObjectCreated:Copy",
        http::Method::PUT if !has("partNumber") && !has("uploadId") => "ObjectCreated:Put",
        http::Method::POST if has("uploadId") => "ObjectCreated:CompleteMultipartUpload",
        _ => return None,
    };
    let path = uri.path().strip_prefix('/')?;
    let (bucket, key) = path.split_once('/')?;
    let key = percent_encoding::percent_decode_str(key).decode_utf8().ok()?.into_owned();
    (!bucket.is_empty() && !key.is_empty() && !key.ends_with('/')).then(|| (bucket.to_owned(), key, event))
}

/// The s3s service, telling `notify` of every object it created.
#[derive(Clone)]
struct Notifying {
    inner: s3s::service::S3Service,
    root: PathBuf,
    notify: Option<tokio::sync::mpsc::UnboundedSender<ObjectCreated>>,
}

impl hyper::service::Service<http::Request<hyper::body::Incoming>> for Notifying {
    type Response =
        <s3s::service::S3Service as hyper::service::Service<http::Request<hyper::body::Incoming>>>::Response;
    type Error = <s3s::service::S3Service as hyper::service::Service<http::Request<hyper::body::Incoming>>>::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn call(&self, req: http::Request<hyper::body::Incoming>) -> Self::Future {
        let created = self
            .notify
            .as_ref()
            .and_then(|_| created_by(req.method(), req.uri(), req.headers().contains_key("x-amz-copy-source")));
        let answer = hyper::service::Service::call(&self.inner, req);
        let (notify, root) = (self.notify.clone(), self.root.clone());
        Box::pin(async move {
            let resp = answer.await?;
            if let (true, Some((bucket, key, event)), Some(notify)) = (resp.status().is_success(), created, notify) {
                let size = std::fs::metadata(root.join(&bucket).join(&key)).map(|m| m.len()).unwrap_or(0);
                let _ = notify.send(ObjectCreated { bucket, key, size, event });
            }
            Ok(resp)
        })
    }
}

/// Serves S3 on `listener` until `stop` turns true, storing objects under `root`, to the
/// principals of `principals`; each object created is told to `notify`, if given.
pub fn serve(
    root: PathBuf,
    principals: Arc<S3Principals>,
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
    notify: Option<tokio::sync::mpsc::UnboundedSender<ObjectCreated>>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let fs = s3s_fs::FileSystem::new(&root).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
    let inner = {
        let mut b = S3ServiceBuilder::new(fs);
        b.set_auth(Iam(principals.clone()));
        b.set_access(Iam(principals));
        b.build()
    };
    let service = Notifying { inner, root, notify };
    Ok(tokio::spawn(async move {
        let http = ConnBuilder::new(TokioExecutor::new());
        let graceful = GracefulShutdown::new();
        loop {
            let socket = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((socket, _)) => socket,
                    Err(e) => {
                        tracing::warn!(error = %e, "S3 accept failed");
                        continue;
                    }
                },
                _ = stop.changed() => break,
            };
            // Small requests (presigned GETs, HEADs) must not wait for Nagle's algorithm.
            let _ = socket.set_nodelay(true);
            let conn = http.serve_connection(TokioIo::new(socket), service.clone());
            let conn = graceful.watch(conn.into_owned());
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
        }
    }))
}

#[cfg(test)]
mod tests {
    use podcastflow_domain::backup::Backup;
    use podcastflow_domain::{BackupId, OrgId};
    use podcastflow_iam::tenant::{ORG_TAG, session_policy};
    use podcastflow_objects::Objects;

    use super::*;
    use crate::iam::{Access, TABLE_ARN};
    use crate::template::{BUNDLED, Template};

    /// The endpoint (served while the sender lives) with template.yaml's grants, its buckets
    /// made, and the operator's key.
    type Endpoint = (String, LocalCredentials, Arc<S3Principals>, Access, tempfile::TempDir, watch::Sender<bool>);

    async fn endpoint() -> Endpoint {
        let dir = tempfile::tempdir().unwrap();
        let buckets: Vec<String> = Template::parse(BUNDLED).unwrap().buckets.into_iter().map(|(_, n)| n).collect();
        create_buckets(dir.path(), &buckets).unwrap();
        let operator = LocalCredentials { access_key_id: "LOCALOPERATOR".into(), secret_access_key: "s3cr3t".into() };
        let principals = Arc::new(S3Principals::new(&operator));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = watch::channel(false);
        serve(dir.path().to_owned(), principals.clone(), listener, stopped, None).unwrap();
        (endpoint, operator, principals, Access::parse(BUNDLED).unwrap(), dir, stop)
    }

    fn backups_bucket() -> String {
        let t = Template::parse(BUNDLED).unwrap();
        t.buckets.into_iter().find(|(id, _)| id == "BackupsBucket").map(|(_, n)| n).unwrap()
    }

    fn bucket(endpoint: &str, key: &LocalCredentials) -> Objects {
        Objects::local(endpoint, "us-east-1", &key.access_key_id, &key.secret_access_key, &backups_bucket())
    }

    #[tokio::test]
    async fn a_tenant_sessions_key_reaches_its_organizations_objects_only_and_a_roles_key_its_grants() {
        let (endpoint, operator, principals, access, _dir, _serving) = endpoint().await;
        let (a, b) = (OrgId::new(), OrgId::new());
        let (theirs, mine) = (Backup::data_key(&b, &BackupId::new()), Backup::data_key(&a, &BackupId::new()));
        let admin = bucket(&endpoint, &operator);
        admin.put(&theirs, b"B's data".to_vec(), "application/gzip").await.unwrap();
        admin.put("health/probe", b"ok".to_vec(), "text/plain").await.unwrap();

        let grants = Grants {
            identity: Arc::new(access.tenant_role.clone()),
            session: Some(session_policy(TABLE_ARN, &a, &[])),
            context: BTreeMap::from([(format!("aws:PrincipalTag/{ORG_TAG}"), vec![a.to_string()])]),
        };
        let key = principals.register("a session for A", grants, None).unwrap();
        let session = bucket(&endpoint, &key);
        session.put(&mine, b"A's data".to_vec(), "application/gzip").await.expect("its own prefix");
        assert_eq!(session.read_all(&mine).await.unwrap(), b"A's data");
        for denied in [session.read_all(&theirs).await.map(|_| ()), session.delete(&theirs).await] {
            let e = denied.expect_err("another organization's object");
            assert!(e.to_string().contains("AccessDenied"), "{e}");
        }
        assert!(session.put(&theirs, b"overwritten".to_vec(), "application/gzip").await.is_err());
        assert!(session.read_all("health/probe").await.is_err());
        // A presigned URL carries the session's rights, no more.
        let client = reqwest::Client::new();
        let url = session.presign_get(&theirs, std::time::Duration::from_secs(60)).await.unwrap();
        assert_eq!(client.get(url).send().await.unwrap().status(), 403);
        let url = session.presign_get(&mine, std::time::Duration::from_secs(60)).await.unwrap();
        assert_eq!(client.get(url).send().await.unwrap().status(), 200);

        // A function's own role: the backups function reaches no organization's objects;
        // monitoring reads its probe only.
        let backups_role = bucket(
            &endpoint,
            &principals.register("backups", access.bucket_grants_of("BackupsFunction"), None).unwrap(),
        );
        assert!(backups_role.read_all(&mine).await.is_err());
        let monitoring = bucket(
            &endpoint,
            &principals.register("monitoring", access.bucket_grants_of("MonitoringFunction"), None).unwrap(),
        );
        assert_eq!(monitoring.read_all("health/probe").await.unwrap(), b"ok");
        assert!(monitoring.read_all(&theirs).await.is_err());
        // An unknown or expired key is refused outright.
        let gone = principals.register("expired", Grants::default(), Some(SystemTime::now())).unwrap();
        assert!(bucket(&endpoint, &gone).read_all("health/probe").await.is_err());
        assert_eq!(admin.read_all(&theirs).await.unwrap(), b"B's data", "nothing of B changed");
    }
}
