//! Genuine REST v1 proxy requests for the tests of functions and of this crate, built the way
//! the runtime builds them (through lambda_http's own conversion of the event JSON).

use lambda_http::Request;
use serde_json::{Value, json};

/// A REST v1 proxy event under construction.
#[derive(Debug, Clone)]
pub struct TestRequest {
    event: Value,
}

impl TestRequest {
    /// `method path` on stage `dev`, without headers, query, body or authorizer context.
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            event: json!({
                "resource": path, "path": path, "httpMethod": method,
                "headers": {}, "multiValueHeaders": {},
                "queryStringParameters": null, "multiValueQueryStringParameters": null,
                "pathParameters": null, "stageVariables": null,
                "requestContext": {"requestId": "test-request", "stage": "dev", "httpMethod": method,
                                   "resourcePath": path, "path": format!("/dev{path}"), "accountId": "123456789012",
                                   "apiId": "test", "identity": {"sourceIp": "203.0.113.7"}},
                "body": null, "isBase64Encoded": false
            }),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.event["headers"][name] = json!(value);
        self.event["multiValueHeaders"][name] = json!([value]);
        self
    }

    /// Sets the query string parameters (an object of strings, or null).
    pub fn query(mut self, query: Value) -> Self {
        self.event["queryStringParameters"] = query;
        self
    }

    /// Sets a text body.
    pub fn body(mut self, body: &str) -> Self {
        self.event["body"] = json!(body);
        self
    }

    /// Sets the authorizer context.
    pub fn authorizer(mut self, context: Value) -> Self {
        self.event["requestContext"]["authorizer"] = context;
        self
    }

    /// The request a handler receives.
    pub fn build(self) -> Request {
        lambda_http::request::from_str(&self.event.to_string())
            .unwrap_or_else(|e| panic!("test event does not convert: {e}"))
    }
}
