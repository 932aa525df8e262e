//! The HTTP side of a delivery: one POST of a signed body, as the Standard Webhooks
//! specification names its headers.
//!
//! Safety: the URL is checked again ([`check_url`]), a literal address is judged at once, and a
//! host name is resolved by [`CheckedResolver`], which refuses the attempt when any address the
//! name resolves to is one the rules refuse (loopback, private, link-local, metadata...). The
//! connection goes only to the addresses judged, so a name that changes its answer between the
//! check and the connection (DNS rebinding) gains nothing. Redirects are never followed (a 3xx is
//! a failed attempt), proxies from the environment are not used, and the whole attempt has
//! [`ATTEMPT_TIMEOUT_SECONDS`] seconds. Only the first KiB of an answer is read.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use podcastflow_domain::webhook::delivery::{ATTEMPT_TIMEOUT_SECONDS, Attempt, RESPONSE_EXCERPT_BYTES, excerpt};
use podcastflow_domain::webhook::destination::{DestinationRules, check_address, check_url};
use reqwest::dns::{Name, Resolve, Resolving};

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("webhook client: {0}")]
pub struct SenderError(String);

/// A host name that resolves to an address the rules refuse.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to a refused address: {why}")]
pub struct RefusedName {
    /// The name.
    pub host: String,
    /// The address refused, and why.
    pub why: podcastflow_domain::webhook::destination::RefusedAddress,
}

/// Resolves a host name and refuses it when any of its addresses is refused by the rules.
#[derive(Debug, Clone, Copy)]
pub struct CheckedResolver {
    rules: DestinationRules,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let (host, rules) = (name.as_str().to_owned(), self.rules);
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                return Err(format!("{host} has no address").into());
            }
            for a in &addrs {
                check_address(a.ip(), rules).map_err(|why| RefusedName { host: host.clone(), why })?;
            }
            Ok(Box::new(addrs.into_iter()) as Box<dyn Iterator<Item = SocketAddr> + Send>)
        })
    }
}

/// Posts deliveries: one client (its connection pool shared), held to `rules`.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    rules: DestinationRules,
}

/// What a POST carries besides the URL.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    /// `webhook-id`.
    pub id: &'a str,
    /// `webhook-timestamp` (epoch seconds).
    pub timestamp: i64,
    /// `webhook-signature`: one `v1,<base64>` per secret, space-separated.
    pub signature: &'a str,
    /// The body, as signed.
    pub body: &'a str,
}

impl Sender {
    /// A sender held to `rules` (AWS: public HTTPS only; the local stack: loopback too).
    pub fn new(rules: DestinationRules) -> Result<Sender, SenderError> {
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(CheckedResolver { rules }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(ATTEMPT_TIMEOUT_SECONDS))
            .user_agent(concat!("PodcastFlow-Webhooks/", env!("CARGO_PKG_VERSION")))
            .https_only(!rules.allow_http)
            .build()
            .map_err(|e| SenderError(e.to_string()))?;
        Ok(Sender { client, rules })
    }

    /// The rules it is held to.
    pub fn rules(&self) -> DestinationRules {
        self.rules
    }

    /// Posts `signed` to `url` at `at`: the attempt as the delivery records it (never an error:
    /// a refused address, a timeout or a 500 are all failed attempts).
    pub async fn post(&self, url: &str, signed: Signed<'_>, at: DateTime<Utc>) -> Attempt {
        let started = Instant::now();
        let failed = |error: String, started: Instant| Attempt {
            at,
            status: None,
            error: Some(error),
            latency_ms: started.elapsed().as_millis() as u64,
            response: String::new(),
            manual: false,
        };
        let destination = match check_url(url, self.rules) {
            Ok(d) => d,
            Err(e) => return failed(format!("refused: {e}"), started),
        };
        if let Ok(ip) = destination.host.parse::<IpAddr>()
            && let Err(e) = check_address(ip, self.rules)
        {
            return failed(format!("refused: {e}"), started);
        }
        let sent = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", signed.id)
            .header("webhook-timestamp", signed.timestamp.to_string())
            .header("webhook-signature", signed.signature)
            .body(signed.body.to_owned())
            .send()
            .await;
        let mut answer = match sent {
            Ok(a) => a,
            Err(e) => return failed(describe(&e), started),
        };
        let status = answer.status().as_u16();
        let mut head = Vec::new();
        // The start of the answer only: a receiver's large or endless body costs nothing more.
        while head.len() < RESPONSE_EXCERPT_BYTES {
            match answer.chunk().await {
                Ok(Some(bytes)) => head.extend_from_slice(&bytes),
                Ok(None) | Err(_) => break,
            }
        }
        head.truncate(RESPONSE_EXCERPT_BYTES);
        Attempt {
            at,
            status: Some(status),
            error: None,
            latency_ms: started.elapsed().as_millis() as u64,
            response: excerpt(&String::from_utf8_lossy(&head)),
            manual: false,
        }
    }
}

/// What went wrong, in a line an admin can act on (the resolver's refusal included).
fn describe(e: &reqwest::Error) -> String {
    let mut chain = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<RefusedName>() {
            return format!("refused: {refused}");
        }
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    if e.is_timeout() {
        format!("timed out after {ATTEMPT_TIMEOUT_SECONDS} s")
    } else if e.is_connect() {
        format!("connection failed: {chain}")
    } else {
        chain
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;

    use super::*;

    async fn receiver(app: Router) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    }

    fn signed() -> Signed<'static> {
        Signed { id: "msg_1", timestamp: 1_700_000_000, signature: "v1,abc", body: "{\"a\":1}" }
    }

    #[tokio::test]
    async fn a_post_carries_the_signature_headers_and_keeps_the_answer_s_start() {
        let app = Router::new().route(
            "/in",
            post(|h: HeaderMap, body: String| async move {
                let got = [&h["webhook-id"], &h["webhook-timestamp"], &h["webhook-signature"], &h["content-type"]];
                let got: Vec<&str> = got.iter().map(|v| v.to_str().unwrap()).collect();
                assert_eq!(got, ["msg_1", "1700000000", "v1,abc", "application/json"]);
                assert_eq!(body, "{\"a\":1}");
                (StatusCode::ACCEPTED, "x".repeat(5000))
            }),
        );
        let addr = receiver(app).await;
        let sender = Sender::new(DestinationRules::LOCAL).unwrap();
        let a = sender.post(&format!("http://{addr}/in"), signed(), Utc::now()).await;
        assert_eq!((a.status, a.error.as_deref(), a.response.len()), (Some(202), None, RESPONSE_EXCERPT_BYTES));
        assert!(a.succeeded());
    }

    #[tokio::test]
    async fn redirects_are_not_followed_and_refused_addresses_not_reached() {
        let app = Router::new().route(
            "/in",
            post(|| async { (StatusCode::TEMPORARY_REDIRECT, [("location", "http://127.0.0.1:1/elsewhere")], "") }),
        );
        let addr = receiver(app).await;
        let local = Sender::new(DestinationRules::LOCAL).unwrap();
        let a = local.post(&format!("http://{addr}/in"), signed(), Utc::now()).await;
        assert_eq!(a.status, Some(307), "answered, not followed");
        assert!(!a.succeeded());

        let aws = Sender::new(DestinationRules::AWS).unwrap();
        for url in [
            format!("http://{addr}/in"),
            format!("https://{addr}/in"),
            "https://169.254.169.254/latest".to_owned(),
            "https://[::ffff:10.0.0.1]/x".to_owned(),
        ] {
            let a = aws.post(&url, signed(), Utc::now()).await;
            assert_eq!(a.status, None, "{url}");
            assert!(a.error.as_deref().is_some_and(|e| e.starts_with("refused")), "{url}: {a:?}");
        }
        // A name is judged by what it resolves to: `localhost` is loopback.
        let a = aws.post(&format!("https://localhost:{}/in", addr.port()), signed(), Utc::now()).await;
        assert!(a.error.as_deref().is_some_and(|e| e.contains("refused")), "{a:?}");
    }

    #[tokio::test]
    async fn a_name_is_judged_by_every_address_it_resolves_to() {
        let name = |n: &str| n.parse::<Name>().unwrap();
        let aws = CheckedResolver { rules: DestinationRules::AWS };
        let refused = match aws.resolve(name("localhost")).await {
            Ok(_) => panic!("localhost resolves to loopback"),
            Err(e) => e,
        };
        let refused = refused.downcast_ref::<RefusedName>().expect("the refusal, typed");
        assert_eq!(refused.host, "localhost");
        let local = CheckedResolver { rules: DestinationRules::LOCAL };
        let addrs: Vec<SocketAddr> = match local.resolve(name("localhost")).await {
            Ok(a) => a.collect(),
            Err(e) => panic!("loopback is allowed locally: {e}"),
        };
        assert!(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }

    #[tokio::test]
    async fn a_receiver_that_does_not_answer_in_time_is_a_failed_attempt() {
        let app = Router::new().route(
            "/slow",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(ATTEMPT_TIMEOUT_SECONDS + 2)).await;
                "late"
            }),
        );
        let addr = receiver(app).await;
        let sender = Sender::new(DestinationRules::LOCAL).unwrap();
        let a = sender.post(&format!("http://{addr}/slow"), signed(), Utc::now()).await;
        assert_eq!((a.status, a.error.as_deref()), (None, Some("timed out after 5 s")));
        assert!(a.latency_ms >= 4_900, "{}", a.latency_ms);
        let closed = sender.post("http://127.0.0.1:9/none", signed(), Utc::now()).await;
        assert!(closed.error.as_deref().is_some_and(|e| e.starts_with("connection failed")), "{closed:?}");
    }
}
