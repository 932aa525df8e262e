//! X-Ray annotations in AWS: after each request, a subsegment of the function's trace carrying
//! the request id, route, status and tenant as annotations (searchable in the X-Ray console),
//! sent to the X-Ray daemon Lambda runs beside the function (`AWS_XRAY_DAEMON_ADDRESS`, UDP).
//! Only for sampled traces; nothing when there is no daemon (locally, in tests).

use std::net::UdpSocket;
use std::time::SystemTime;

use serde_json::json;

/// What a subsegment records of one request.
#[derive(Debug, Clone)]
pub struct Annotations<'a> {
    /// API Gateway's request id.
    pub request_id: &'a str,
    /// The correlation id.
    pub correlation_id: &'a str,
    /// `METHOD /resource`.
    pub route: &'a str,
    /// The status answered.
    pub status: u16,
    /// The organization, when known.
    pub org_id: &'a str,
}

/// The root and parent of a sampled trace header (`Root=...;Parent=...;Sampled=1`).
pub fn sampled_parent(header: &str) -> Option<(&str, &str)> {
    let field = |name: &str| header.split(';').find_map(|kv| kv.trim().strip_prefix(name)?.strip_prefix('='));
    (field("Sampled") == Some("1")).then_some(())?;
    Some((field("Root")?, field("Parent")?))
}

fn seconds(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// The daemon datagram of a subsegment: the header line, then the document.
pub fn datagram(trace_header: &str, start: SystemTime, end: SystemTime, a: &Annotations<'_>) -> Option<String> {
    let (root, parent) = sampled_parent(trace_header)?;
    // A subsegment id is 16 hex digits; the low bits of a fresh ULID are random.
    let id = format!("{:016x}", ulid::Ulid::new().random() as u64);
    let doc = json!({
        "name": "podcastflow-request",
        "id": id,
        "trace_id": root,
        "parent_id": parent,
        "type": "subsegment",
        "start_time": seconds(start),
        "end_time": seconds(end),
        "annotations": {
            "requestId": a.request_id,
            "correlationId": a.correlation_id,
            "route": a.route,
            "status": a.status,
            "orgId": a.org_id,
        },
    });
    Some(format!("{{\"format\": \"json\", \"version\": 1}}\n{doc}"))
}

/// Sends the subsegment to the daemon at `AWS_XRAY_DAEMON_ADDRESS`; a failure is only logged.
pub fn send(trace_header: &str, start: SystemTime, end: SystemTime, a: &Annotations<'_>) {
    let Ok(daemon) = std::env::var("AWS_XRAY_DAEMON_ADDRESS") else { return };
    let Some(datagram) = datagram(trace_header, start, end, a) else { return };
    let sent = UdpSocket::bind("0.0.0.0:0").and_then(|s| s.send_to(datagram.as_bytes(), daemon.as_str()));
    if let Err(e) = sent {
        tracing::debug!(error = %e, "x-ray subsegment not sent");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

    fn annotations() -> Annotations<'static> {
        Annotations { request_id: "rid", correlation_id: "cid", route: "GET /campaigns", status: 200, org_id: "o" }
    }

    #[test]
    fn only_sampled_traces_get_a_subsegment() {
        assert_eq!(sampled_parent(HEADER), Some(("1-5759e988-bd862e3fe1be46a994272793", "53995c3f42cd8ad8")));
        assert_eq!(sampled_parent("Root=1-a-b;Parent=c;Sampled=0"), None);
        assert_eq!(sampled_parent("Root=1-a-b;Sampled=1"), None);
    }

    #[test]
    fn the_datagram_reaches_a_daemon_as_a_subsegment_of_the_trace() {
        let daemon = UdpSocket::bind("127.0.0.1:0").unwrap();
        let now = SystemTime::now();
        let d = datagram(HEADER, now, now, &annotations()).unwrap();
        UdpSocket::bind("127.0.0.1:0").unwrap().send_to(d.as_bytes(), daemon.local_addr().unwrap()).unwrap();
        let mut buf = [0u8; 4096];
        let n = daemon.recv(&mut buf).unwrap();
        let text = std::str::from_utf8(&buf[..n]).unwrap();
        let (header, doc) = text.split_once('\n').unwrap();
        assert_eq!(serde_json::from_str::<serde_json::Value>(header).unwrap(), json!({"format": "json", "version": 1}));
        let doc: serde_json::Value = serde_json::from_str(doc).unwrap();
        assert_eq!(doc["trace_id"], "1-5759e988-bd862e3fe1be46a994272793");
        assert_eq!(doc["parent_id"], "53995c3f42cd8ad8");
        assert_eq!(doc["annotations"]["route"], "GET /campaigns");
        assert_eq!(doc["id"].as_str().unwrap().len(), 16);
    }
}
