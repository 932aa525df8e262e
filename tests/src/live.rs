//! A live-update client as a browser would be: a WebSocket to the stack's gateway with the access
//! token in the query, JSON messages both ways.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::client::Api;

/// One open connection.
pub struct Live {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// The bearer token of a signed-in client.
fn token(api: &Api) -> String {
    api.authorization.as_deref().and_then(|a| a.strip_prefix("Bearer ")).unwrap_or_default().to_owned()
}

impl Live {
    /// Connects as `api`'s user to the WebSocket URL `url`.
    pub async fn connect(url: &str, api: &Api) -> Self {
        match connect_async(format!("{url}?token={}", token(api))).await {
            Ok((ws, _)) => Self { ws },
            Err(tokio_tungstenite::tungstenite::Error::Http(refused)) => {
                let body = refused.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default();
                panic!("WebSocket connect refused: {} {body}", refused.status())
            }
            Err(e) => panic!("WebSocket connect: {e}"),
        }
    }

    /// Sends one JSON message.
    pub async fn send(&mut self, message: Value) {
        self.ws.send(Message::Text(message.to_string().into())).await.expect("send");
    }

    /// The next JSON message, within `wait`; `None` when none came.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.ws.next()).await.ok()? {
                Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).ok(),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    }

    /// The next message of type `kind` (others are skipped), within 10 s.
    pub async fn expect(&mut self, kind: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let m = self.next_within(left).await.unwrap_or_else(|| panic!("no {kind} message in time"));
            if m["type"] == kind {
                return m;
            }
        }
    }

    /// The messages that arrive before the server closes the connection, and whether it did
    /// within `wait`.
    pub async fn until_closed(&mut self, wait: Duration) -> (Vec<Value>, bool) {
        let deadline = Instant::now() + wait;
        let mut seen = Vec::new();
        loop {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else { return (seen, false) };
            match tokio::time::timeout(left, self.ws.next()).await {
                Err(_) => return (seen, false),
                Ok(Some(Ok(Message::Text(t)))) => seen.extend(serde_json::from_str::<Value>(&t).ok()),
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return (seen, true),
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Subscribes and returns the `subscribe.result`.
    pub async fn subscribe(&mut self, topics: &[&str]) -> Value {
        self.send(json!({"action": "subscribe", "topics": topics})).await;
        self.expect("subscribe.result").await
    }

    /// Closes the connection.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// What one fan-out measurement saw.
#[derive(Debug, Clone, Copy)]
pub struct FanoutTiming {
    /// Connections subscribed.
    pub connections: usize,
    /// From the write's answer to the first delivery.
    pub first: Duration,
    /// From the write's answer to the last delivery.
    pub last: Duration,
}

/// Opens `n` connections as `api`'s user, subscribes each to `topic`, then runs `write` and
/// waits until every connection has received a message of type `kind`: the time from `write`'s
/// return to the first and the last delivery. Panics if one does not arrive within 60 s.
pub async fn fan_out<F, Fut>(url: &str, api: &Api, topic: &str, n: usize, kind: &str, write: F) -> FanoutTiming
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut conns = subscribed(url, api, topic, n).await;
    write().await;
    let written = Instant::now();
    let arrivals = arrivals(&mut conns, kind).await;
    let first = arrivals.iter().min().map_or(Duration::ZERO, |t| t.duration_since(written));
    let last = arrivals.iter().max().map_or(Duration::ZERO, |t| t.duration_since(written));
    for live in conns {
        live.close().await;
    }
    FanoutTiming { connections: n, first, last }
}

/// `n` connections as `api`'s user, each subscribed to `topic`.
pub async fn subscribed(url: &str, api: &Api, topic: &str, n: usize) -> Vec<Live> {
    let mut conns = Vec::with_capacity(n);
    // Connect and subscribe in waves, as many browsers would, without flooding the loopback.
    for wave in (0..n).collect::<Vec<_>>().chunks(50) {
        let opened = futures_util::future::join_all(wave.iter().map(|_| async {
            let mut live = Live::connect(url, api).await;
            let r = live.subscribe(&[topic]).await;
            assert_eq!(r["accepted"], json!([topic]), "{r}");
            live
        }))
        .await;
        conns.extend(opened);
    }
    conns
}

/// When each connection received its first message of type `kind`; panics if one does not
/// arrive within 60 s.
pub async fn arrivals(conns: &mut [Live], kind: &str) -> Vec<Instant> {
    futures_util::future::join_all(conns.iter_mut().map(|live| async move {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let m = live.next_within(left).await.unwrap_or_else(|| panic!("no {kind} in time"));
            if m["type"] == kind {
                return Instant::now();
            }
        }
    }))
    .await
}
