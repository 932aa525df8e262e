//! Reads what template.yaml deploys, so the local stack serves exactly that.

use serde_yaml_ng::Value;
use thiserror::Error;

/// The template compiled into the binary (the repository's template.yaml at build time).
pub const BUNDLED: &str = include_str!("../../../template.yaml");

/// Why the template cannot be used.
#[derive(Debug, Error)]
pub enum TemplateError {
    /// Not YAML.
    #[error("template.yaml is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    /// A required part is missing or of the wrong shape.
    #[error("template.yaml: {0}")]
    Shape(String),
}

/// A Lambda REQUEST authorizer of the REST API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizerDef {
    /// Its name in the API's `Auth.Authorizers`.
    pub name: String,
    /// Logical id of its function.
    pub function: String,
    /// Identity source headers (all must be present, or the request is 401 without a call).
    pub headers: Vec<String>,
    /// Identity source query strings.
    pub query_strings: Vec<String>,
    /// How long a decision is cached per identity (`ReauthorizeEvery`, default 300 s; 0 = never).
    pub ttl_seconds: u64,
}

/// CORS settings of the REST API (`Cors`), header values as the template quotes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    /// `Access-Control-Allow-Origin`.
    pub allow_origin: String,
    /// `Access-Control-Allow-Headers`.
    pub allow_headers: Option<String>,
    /// `Access-Control-Allow-Methods`.
    pub allow_methods: Option<String>,
    /// `Access-Control-Max-Age`.
    pub max_age: Option<String>,
}

/// One REST route: an `Api` event of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRoute {
    /// Logical id of the function serving it.
    pub function: String,
    /// Upper-case HTTP method, or `ANY`.
    pub method: String,
    /// Resource path with `{param}` and `{proxy+}` segments.
    pub path: String,
    /// The authorizer guarding it (the API's default unless the event says otherwise).
    pub authorizer: Option<AuthorizerDef>,
    /// The model its body is validated against (`RequestModel` with `ValidateBody: true`).
    pub request_model: Option<RequestModel>,
    /// Whether requests are metered by a usage plan (`ApiKeyRequired`): the authorizer must name
    /// a key of one, and that plan's throttle and quota apply.
    pub api_key_required: bool,
}

/// A route's `RequestModel`: API Gateway checks the body against the named model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestModel {
    /// A key of the API's `Models`.
    pub name: String,
    /// Whether a request without a body is refused too.
    pub required: bool,
}

/// A DynamoDB table of the template with its key schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    /// Logical id.
    pub logical_id: String,
    /// Partition and sort key attribute names.
    pub key: (String, String),
    /// GSI name -> (partition, sort) attribute names.
    pub indexes: Vec<(String, (String, String))>,
    /// TTL attribute, if enabled.
    pub ttl: Option<String>,
}

/// Where a new stream subscription starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartingPosition {
    /// The oldest record retained.
    TrimHorizon,
    /// Only records written after the subscription starts.
    Latest,
}

/// A `DynamoDB` event of a function: the table's stream delivered in batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSource {
    /// Logical id of the function.
    pub function: String,
    /// Name of the event in the template.
    pub name: String,
    /// Records per invocation (`BatchSize`, default 100).
    pub batch_size: usize,
    /// Where a new subscription starts.
    pub starting_position: StartingPosition,
    /// Retries of a failing batch before it is skipped (`MaximumRetryAttempts`; `None` retries
    /// until the records expire).
    pub max_retries: Option<u32>,
    /// Whether the function reports partial failures (`FunctionResponseTypes:
    /// [ReportBatchItemFailures]`).
    pub report_failures: bool,
    /// `FilterCriteria` patterns: only records matching one reach the function (none: all do).
    pub filters: Vec<serde_json::Value>,
}

/// A `Schedule` or `ScheduleV2` event of a function.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleSource {
    /// Logical id of the function.
    pub function: String,
    /// Name of the event in the template.
    pub name: String,
    /// `rate(...)` or `cron(...)`.
    pub expression: String,
    /// A fixed input that replaces the scheduled event, when given.
    pub input: Option<serde_json::Value>,
}

/// An `S3` event of a function: objects created in a bucket, by key prefix and suffix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectSource {
    /// Logical id of the function.
    pub function: String,
    /// Name of the event in the template.
    pub name: String,
    /// Logical id of the bucket (its name is in [`Template::buckets`]).
    pub bucket: String,
    /// The event types, e.g. `s3:ObjectCreated:*`.
    pub events: Vec<String>,
    /// Only keys starting with this.
    pub prefix: Option<String>,
    /// Only keys ending with this.
    pub suffix: Option<String>,
}

impl ObjectSource {
    /// Whether an object `key` created by `event` (`ObjectCreated:Put`) reaches the function.
    pub fn matches(&self, event: &str, key: &str) -> bool {
        let named = self.events.iter().any(|e| {
            let e = e.strip_prefix("s3:").unwrap_or(e);
            e == event || e.strip_suffix('*').is_some_and(|p| event.starts_with(p))
        });
        named
            && self.prefix.as_deref().is_none_or(|p| key.starts_with(p))
            && self.suffix.as_deref().is_none_or(|s| key.ends_with(s))
    }
}

fn object_source(function: &str, name: &str, ev: &Value) -> Result<ObjectSource, TemplateError> {
    let what = || format!("{function}.Events.{name}");
    let p = ev.get("Properties").ok_or_else(|| TemplateError::Shape(format!("{} has no Properties", what())))?;
    let bucket = p
        .get("Bucket")
        .and_then(|b| referenced(b, false))
        .ok_or_else(|| TemplateError::Shape(format!("{} names no bucket of the template", what())))?;
    let events = match p.get("Events") {
        Some(Value::String(e)) => vec![e.clone()],
        Some(Value::Sequence(es)) => es.iter().filter_map(|e| e.as_str().map(str::to_owned)).collect(),
        _ => return Err(TemplateError::Shape(format!("{} has no Events", what()))),
    };
    let rules = p.get("Filter").and_then(|f| f.get("S3Key")).and_then(|k| k.get("Rules")).and_then(Value::as_sequence);
    let rule = |kind: &str| {
        rules.into_iter().flatten().find_map(|r| {
            str_at(r, &["Name"]).filter(|n| n.eq_ignore_ascii_case(kind)).and(str_at(r, &["Value"])).map(str::to_owned)
        })
    };
    Ok(ObjectSource {
        function: function.to_owned(),
        name: name.to_owned(),
        bucket,
        events,
        prefix: rule("prefix"),
        suffix: rule("suffix"),
    })
}

/// What the local stack needs to know of the template.
#[derive(Debug, Clone, Default)]
pub struct Template {
    /// Every REST route.
    pub routes: Vec<ApiRoute>,
    /// Every DynamoDB table.
    pub tables: Vec<TableDef>,
    /// Every stream subscription.
    pub streams: Vec<StreamSource>,
    /// Every schedule.
    pub schedules: Vec<ScheduleSource>,
    /// Every S3 object notification.
    pub object_events: Vec<ObjectSource>,
    /// Every S3 bucket: (logical id, name as deployed locally).
    pub buckets: Vec<(String, String)>,
    /// CORS of the REST API, if configured.
    pub cors: Option<Cors>,
    /// Every WebSocket route.
    pub websocket_routes: Vec<WsRoute>,
    /// The REST API's request models (`Models`): draft-4 JSON schemas by name.
    pub models: std::collections::BTreeMap<String, serde_json::Value>,
    /// Usage plans (`AWS::ApiGateway::UsagePlan`).
    pub usage_plans: Vec<UsagePlanDef>,
    /// API keys the template creates (`AWS::ApiGateway::ApiKey`), with the plans
    /// `AWS::ApiGateway::UsagePlanKey` puts them in.
    pub usage_keys: Vec<UsageKeyDef>,
}

/// How often a usage plan's quota starts again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaPeriod {
    /// Each UTC day.
    Day,
    /// Each week, from Monday (UTC).
    Week,
    /// Each calendar month (UTC).
    Month,
}

/// A usage plan: the throttle and quota of each key in it.
#[derive(Debug, Clone, PartialEq)]
pub struct UsagePlanDef {
    /// Logical id (the plan's id locally).
    pub id: String,
    /// Token bucket per key: (burst, requests per second).
    pub throttle: Option<(u32, f64)>,
    /// Requests per key and period.
    pub quota: Option<(u64, QuotaPeriod)>,
}

/// An API key of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageKeyDef {
    /// Logical id.
    pub id: String,
    /// The key's value, as the authorizer names it.
    pub value: String,
    /// Whether it is enabled.
    pub enabled: bool,
    /// The usage plans it is in (logical ids).
    pub plans: Vec<String>,
}

/// A route of the WebSocket API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsRoute {
    /// `$connect`, `$disconnect`, `$default` or an action.
    pub key: String,
    /// Logical id of its function.
    pub function: String,
    /// The REQUEST authorizer guarding it (`$connect` only, as in API Gateway).
    pub authorizer: Option<AuthorizerDef>,
}

/// The logical id named by `!Ref X`, `!GetAtt X.Arn`, or the first `${X.Arn}` / `${X}` of a
/// `!Sub`, `!Join` or plain string.
fn referenced(v: &Value, prefer_arn: bool) -> Option<String> {
    match v {
        Value::Tagged(t) if t.tag == "Ref" => t.value.as_str().map(str::to_owned),
        Value::Tagged(t) if t.tag == "GetAtt" => t
            .value
            .as_str()
            .map(|s| s.split('.').next().unwrap_or(s).to_owned())
            .or_else(|| t.value.as_sequence().and_then(|s| s.first()).and_then(Value::as_str).map(str::to_owned)),
        Value::Tagged(t) if t.tag == "Sub" => referenced(&t.value, prefer_arn),
        Value::Tagged(t) if t.tag == "Join" => {
            let parts = t.value.as_sequence()?.get(1)?.as_sequence()?;
            parts.iter().find_map(|p| referenced(p, prefer_arn))
        }
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(start) = rest.find("${") {
                let end = start + rest[start..].find('}')?;
                let name = &rest[start + 2..end];
                if !name.starts_with("AWS::") && (!prefer_arn || name.ends_with(".Arn")) {
                    return Some(name.trim_end_matches(".Arn").to_owned());
                }
                rest = &rest[end + 1..];
            }
            None
        }
        _ => None,
    }
}

/// The values of parameters and pseudo parameters when resolving `!Sub` and `!Ref` locally.
#[derive(Debug, Clone)]
pub struct Resolve<'a> {
    /// `Stage` (and any other parameter by name).
    pub parameters: &'a [(&'a str, &'a str)],
    /// `AWS::Region`.
    pub region: &'a str,
}

impl Resolve<'_> {
    fn var(&self, name: &str) -> Option<String> {
        match name {
            "AWS::AccountId" => Some("000000000000".into()),
            "AWS::Region" => Some(self.region.to_owned()),
            "AWS::Partition" => Some("aws".into()),
            "AWS::URLSuffix" => Some("amazonaws.com".into()),
            _ => self.parameters.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned()),
        }
    }

    /// A string property: plain, `!Sub "...${Var}..."` or `!Ref Param`, if it resolves.
    pub fn string(&self, v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Tagged(t) if t.tag == "Sub" => {
                let mut text = t.value.as_str()?.to_owned();
                while let Some(start) = text.find("${") {
                    let end = start + text[start..].find('}')?;
                    let value = self.var(&text[start + 2..end])?;
                    text.replace_range(start..=end, &value);
                }
                Some(text)
            }
            Value::Tagged(t) if t.tag == "Ref" => self.var(t.value.as_str()?),
            _ => None,
        }
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

fn key_schema(v: &Value) -> Option<(String, String)> {
    let elems = v.as_sequence()?;
    let find = |kind: &str| {
        elems.iter().find(|e| str_at(e, &["KeyType"]) == Some(kind)).and_then(|e| str_at(e, &["AttributeName"]))
    };
    Some((find("HASH")?.to_owned(), find("RANGE")?.to_owned()))
}

/// A REST API's authorizers and CORS.
#[derive(Debug, Default)]
struct RestApiDef {
    default_authorizer: Option<String>,
    authorizers: std::collections::HashMap<String, AuthorizerDef>,
    cors: Option<Cors>,
    models: std::collections::BTreeMap<String, serde_json::Value>,
    api_key_required: bool,
}

/// Strips the single quotes SAM wants around CORS header values.
fn unquote(s: &str) -> String {
    s.trim().trim_matches('\'').to_owned()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_sequence).into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
}

fn rest_apis(
    resources: &serde_yaml_ng::Mapping,
    resolve: &Resolve<'_>,
) -> Result<std::collections::HashMap<String, RestApiDef>, TemplateError> {
    let mut apis = std::collections::HashMap::new();
    for (id, res) in resources {
        let Some(id) = id.as_str() else { continue };
        if str_at(res, &["Type"]) != Some("AWS::Serverless::Api") {
            continue;
        }
        let mut def = RestApiDef::default();
        let props = res.get("Properties");
        if let Some(auth) = props.and_then(|p| p.get("Auth")) {
            def.default_authorizer = str_at(auth, &["DefaultAuthorizer"]).filter(|d| *d != "NONE").map(str::to_owned);
            def.api_key_required = auth.get("ApiKeyRequired").and_then(Value::as_bool).unwrap_or(false);
            for (name, a) in auth.get("Authorizers").and_then(Value::as_mapping).into_iter().flatten() {
                let name = name.as_str().unwrap_or_default().to_owned();
                let function = a
                    .get("FunctionArn")
                    .and_then(|f| referenced(f, true))
                    .ok_or_else(|| TemplateError::Shape(format!("{id} authorizer {name} has no FunctionArn")))?;
                if str_at(a, &["FunctionPayloadType"]).unwrap_or("TOKEN") != "REQUEST" {
                    return Err(TemplateError::Shape(format!(
                        "{id} authorizer {name}: only REQUEST authorizers are supported"
                    )));
                }
                let identity = a.get("Identity");
                let def_auth = AuthorizerDef {
                    name: name.clone(),
                    function,
                    headers: strings(identity.and_then(|i| i.get("Headers"))),
                    query_strings: strings(identity.and_then(|i| i.get("QueryStrings"))),
                    ttl_seconds: identity
                        .and_then(|i| i.get("ReauthorizeEvery"))
                        .and_then(Value::as_u64)
                        .unwrap_or(300),
                };
                def.authorizers.insert(name, def_auth);
            }
        }
        if let Some(cors) = props.and_then(|p| p.get("Cors")) {
            let origin =
                cors.as_str().map(str::to_owned).or_else(|| cors.get("AllowOrigin").and_then(|o| resolve.string(o)));
            def.cors = origin.map(|o| Cors {
                allow_origin: unquote(&o),
                allow_headers: str_at(cors, &["AllowHeaders"]).map(unquote),
                allow_methods: str_at(cors, &["AllowMethods"]).map(unquote),
                max_age: str_at(cors, &["MaxAge"]).map(unquote),
            });
        }
        for (name, schema) in props.and_then(|p| p.get("Models")).and_then(Value::as_mapping).into_iter().flatten() {
            let name = name.as_str().ok_or_else(|| TemplateError::Shape(format!("{id}: a model name is not text")))?;
            let schema = serde_yaml_ng::from_value(schema.clone())
                .map_err(|e| TemplateError::Shape(format!("{id}: model {name} is not plain JSON: {e}")))?;
            def.models.insert(name.to_owned(), schema);
        }
        apis.insert(id.to_owned(), def);
    }
    Ok(apis)
}

fn stream_source(function: &str, name: &str, ev: &Value) -> Result<StreamSource, TemplateError> {
    let p = ev
        .get("Properties")
        .ok_or_else(|| TemplateError::Shape(format!("{function}.Events.{name} has no Properties")))?;
    let starting_position = match str_at(p, &["StartingPosition"]) {
        Some("LATEST") => StartingPosition::Latest,
        Some("TRIM_HORIZON") | None => StartingPosition::TrimHorizon,
        Some(other) => return Err(TemplateError::Shape(format!("{function}.Events.{name}: StartingPosition {other}"))),
    };
    let batch_size = p.get("BatchSize").and_then(Value::as_u64).unwrap_or(100).clamp(1, 10_000) as usize;
    let max_retries = p.get("MaximumRetryAttempts").and_then(Value::as_i64).and_then(|n| u32::try_from(n).ok());
    let report_failures = p
        .get("FunctionResponseTypes")
        .and_then(Value::as_sequence)
        .is_some_and(|s| s.iter().any(|v| v.as_str() == Some("ReportBatchItemFailures")));
    let mut filters = Vec::new();
    for f in p.get("FilterCriteria").and_then(|c| c.get("Filters")).and_then(Value::as_sequence).into_iter().flatten() {
        let text = str_at(f, &["Pattern"])
            .ok_or_else(|| TemplateError::Shape(format!("{function}.Events.{name}: a filter without a Pattern")))?;
        filters.push(
            serde_json::from_str(text)
                .map_err(|e| TemplateError::Shape(format!("{function}.Events.{name}: a Pattern is not JSON: {e}")))?,
        );
    }
    Ok(StreamSource {
        function: function.to_owned(),
        name: name.to_owned(),
        batch_size,
        starting_position,
        max_retries,
        report_failures,
        filters,
    })
}

fn schedule_source(function: &str, name: &str, ev: &Value) -> Result<Option<ScheduleSource>, TemplateError> {
    let p = ev
        .get("Properties")
        .ok_or_else(|| TemplateError::Shape(format!("{function}.Events.{name} has no Properties")))?;
    let disabled =
        p.get("Enabled").and_then(Value::as_bool) == Some(false) || str_at(p, &["State"]) == Some("DISABLED");
    if disabled {
        return Ok(None);
    }
    let expression = str_at(p, &["Schedule"])
        .or_else(|| str_at(p, &["ScheduleExpression"]))
        .ok_or_else(|| TemplateError::Shape(format!("{function}.Events.{name} has no schedule expression")))?;
    let input = match str_at(p, &["Input"]) {
        Some(text) => Some(
            serde_json::from_str(text)
                .map_err(|e| TemplateError::Shape(format!("{function}.Events.{name}: Input is not JSON: {e}")))?,
        ),
        None => None,
    };
    Ok(Some(ScheduleSource {
        function: function.to_owned(),
        name: name.to_owned(),
        expression: expression.to_owned(),
        input,
    }))
}

impl Template {
    /// Parses a template's text, resolving names for the stage `local` in `us-east-1`.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        // Parameters take their defaults, but the stage is always `local`.
        let doc: Value = serde_yaml_ng::from_str(text)?;
        let defaults: Vec<(String, String)> = doc
            .get("Parameters")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.get("Default")?.as_str()?.to_owned())))
            .filter(|(k, _)| k != "Stage")
            .collect();
        let mut parameters: Vec<(&str, &str)> = vec![("Stage", "local")];
        parameters.extend(defaults.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        Self::parse_with(text, &Resolve { parameters: &parameters, region: "us-east-1" })
    }

    /// Parses a template's text, resolving names with `resolve`.
    pub fn parse_with(text: &str, resolve: &Resolve<'_>) -> Result<Self, TemplateError> {
        let doc: Value = serde_yaml_ng::from_str(text)?;
        let resources = doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or_else(|| TemplateError::Shape("no Resources".into()))?;
        let mut t = Template::default();
        let apis = rest_apis(resources, resolve)?;
        t.cors = apis.values().find_map(|a| a.cors.clone());
        t.models = apis.values().flat_map(|a| a.models.clone()).collect();
        let mut integrations = std::collections::HashMap::new();
        let mut ws_authorizers = std::collections::HashMap::new();
        let mut ws_routes = Vec::new();
        let mut plan_keys = Vec::new();
        for (id, res) in resources {
            let id = id.as_str().ok_or_else(|| TemplateError::Shape("a resource id is not a string".into()))?;
            match str_at(res, &["Type"]) {
                Some("AWS::Serverless::Function") => {
                    let events = res.get("Properties").and_then(|p| p.get("Events")).and_then(Value::as_mapping);
                    for (name, ev) in events.into_iter().flatten() {
                        let name = name.as_str().unwrap_or("?");
                        match str_at(ev, &["Type"]) {
                            Some("DynamoDB") => {
                                t.streams.push(stream_source(id, name, ev)?);
                                continue;
                            }
                            Some("Schedule" | "ScheduleV2") => {
                                if let Some(s) = schedule_source(id, name, ev)? {
                                    t.schedules.push(s);
                                }
                                continue;
                            }
                            Some("S3") => {
                                t.object_events.push(object_source(id, name, ev)?);
                                continue;
                            }
                            Some("Api") => {}
                            _ => continue,
                        }
                        let what = || format!("{id}.Events.{name}");
                        let path = str_at(ev, &["Properties", "Path"])
                            .ok_or_else(|| TemplateError::Shape(format!("{} has no Path", what())))?;
                        let method = str_at(ev, &["Properties", "Method"])
                            .ok_or_else(|| TemplateError::Shape(format!("{} has no Method", what())))?;
                        let api =
                            ev.get("Properties").and_then(|p| p.get("RestApiId")).and_then(|r| referenced(r, false));
                        let api = api.and_then(|a| apis.get(&a));
                        let chosen = str_at(ev, &["Properties", "Auth", "Authorizer"]);
                        let authorizer = match (api, chosen) {
                            (_, Some("NONE")) | (None, _) => None,
                            (Some(api), Some(name)) => Some(api.authorizers.get(name).cloned().ok_or_else(|| {
                                TemplateError::Shape(format!("{} names authorizer {name}, which the API lacks", what()))
                            })?),
                            (Some(api), None) => {
                                api.default_authorizer.as_ref().and_then(|d| api.authorizers.get(d)).cloned()
                            }
                        };
                        let request_model = match ev.get("Properties").and_then(|p| p.get("RequestModel")) {
                            Some(m) if m.get("ValidateBody").and_then(Value::as_bool) == Some(true) => {
                                let name = str_at(m, &["Model"])
                                    .filter(|n| api.is_some_and(|a| a.models.contains_key(*n)))
                                    .ok_or_else(|| {
                                        TemplateError::Shape(format!(
                                            "{}: RequestModel names no model of its API",
                                            what()
                                        ))
                                    })?;
                                let required = m.get("Required").and_then(Value::as_bool).unwrap_or(false);
                                Some(RequestModel { name: name.to_owned(), required })
                            }
                            _ => None,
                        };
                        let api_key_required = ev
                            .get("Properties")
                            .and_then(|p| p.get("Auth"))
                            .and_then(|a| a.get("ApiKeyRequired"))
                            .and_then(Value::as_bool)
                            .unwrap_or(api.is_some_and(|a| a.api_key_required));
                        t.routes.push(ApiRoute {
                            function: id.to_owned(),
                            method: method.to_ascii_uppercase(),
                            path: path.to_owned(),
                            authorizer,
                            request_model,
                            api_key_required,
                        });
                    }
                }
                Some("AWS::ApiGateway::UsagePlan") => t.usage_plans.push(usage_plan(id, res)?),
                Some("AWS::ApiGateway::ApiKey") => {
                    let props = res.get("Properties");
                    let value = props
                        .and_then(|p| p.get("Value"))
                        .and_then(|v| resolve.string(v))
                        .ok_or_else(|| TemplateError::Shape(format!("{id} needs a Value that resolves locally")))?;
                    let enabled = props.and_then(|p| p.get("Enabled")).and_then(Value::as_bool).unwrap_or(false);
                    t.usage_keys.push(UsageKeyDef { id: id.to_owned(), value, enabled, plans: Vec::new() });
                }
                Some("AWS::ApiGateway::UsagePlanKey") => {
                    let props = res.get("Properties");
                    let key = props.and_then(|p| p.get("KeyId")).and_then(|k| referenced(k, false));
                    let plan = props.and_then(|p| p.get("UsagePlanId")).and_then(|k| referenced(k, false));
                    match (key, plan) {
                        (Some(k), Some(p)) => plan_keys.push((k, p)),
                        _ => return Err(TemplateError::Shape(format!("{id} needs a KeyId and a UsagePlanId"))),
                    }
                }
                Some("AWS::ApiGatewayV2::Integration") => {
                    if let Some(f) =
                        res.get("Properties").and_then(|p| p.get("IntegrationUri")).and_then(|u| referenced(u, true))
                    {
                        integrations.insert(id.to_owned(), f);
                    }
                }
                Some("AWS::ApiGatewayV2::Authorizer") => {
                    let props = res.get("Properties");
                    let function = props
                        .and_then(|p| p.get("AuthorizerUri"))
                        .and_then(|u| referenced(u, true))
                        .ok_or_else(|| TemplateError::Shape(format!("{id} has no Lambda AuthorizerUri")))?;
                    let (mut headers, mut query_strings) = (Vec::new(), Vec::new());
                    for source in strings(props.and_then(|p| p.get("IdentitySource"))) {
                        if let Some(h) = source.strip_prefix("route.request.header.") {
                            headers.push(h.to_owned());
                        } else if let Some(q) = source.strip_prefix("route.request.querystring.") {
                            query_strings.push(q.to_owned());
                        } else {
                            return Err(TemplateError::Shape(format!(
                                "{id}: identity source {source} is not supported"
                            )));
                        }
                    }
                    // WebSocket APIs do not cache authorizer results.
                    let def = AuthorizerDef { name: id.to_owned(), function, headers, query_strings, ttl_seconds: 0 };
                    ws_authorizers.insert(id.to_owned(), def);
                }
                Some("AWS::ApiGatewayV2::Route") => {
                    let props = res.get("Properties");
                    let key = props.and_then(|p| str_at(p, &["RouteKey"]));
                    let target = props.and_then(|p| p.get("Target")).and_then(|t| referenced(t, false));
                    let custom = props.and_then(|p| str_at(p, &["AuthorizationType"])) == Some("CUSTOM");
                    let authorizer = props.and_then(|p| p.get("AuthorizerId")).and_then(|a| referenced(a, false));
                    match (key, target) {
                        (Some(k), Some(target)) => {
                            ws_routes.push((id.to_owned(), k.to_owned(), target, authorizer.filter(|_| custom)))
                        }
                        _ => return Err(TemplateError::Shape(format!("{id} needs a RouteKey and a Target"))),
                    }
                }
                Some("AWS::S3::Bucket") => {
                    let name = match res.get("Properties").and_then(|p| p.get("BucketName")) {
                        Some(v) => resolve
                            .string(v)
                            .ok_or_else(|| TemplateError::Shape(format!("{id}.BucketName does not resolve locally")))?,
                        None => id.to_ascii_lowercase(),
                    };
                    t.buckets.push((id.to_owned(), name));
                }
                Some("AWS::DynamoDB::Table") => {
                    let props =
                        res.get("Properties").ok_or_else(|| TemplateError::Shape(format!("{id} has no Properties")))?;
                    let key = props
                        .get("KeySchema")
                        .and_then(key_schema)
                        .ok_or_else(|| TemplateError::Shape(format!("{id} has no HASH and RANGE key")))?;
                    let mut indexes = Vec::new();
                    for g in props.get("GlobalSecondaryIndexes").and_then(Value::as_sequence).into_iter().flatten() {
                        let name = str_at(g, &["IndexName"]).unwrap_or_default().to_owned();
                        let k = g
                            .get("KeySchema")
                            .and_then(key_schema)
                            .ok_or_else(|| TemplateError::Shape(format!("{id} index {name} lacks a key")))?;
                        indexes.push((name, k));
                    }
                    let ttl = match props.get("TimeToLiveSpecification") {
                        Some(s) if s.get("Enabled").and_then(Value::as_bool) == Some(true) => {
                            str_at(s, &["AttributeName"]).map(str::to_owned)
                        }
                        _ => None,
                    };
                    t.tables.push(TableDef { logical_id: id.to_owned(), key, indexes, ttl });
                }
                _ => {}
            }
        }
        if let Some(o) = t.object_events.iter().find(|o| !t.buckets.iter().any(|(id, _)| *id == o.bucket)) {
            return Err(TemplateError::Shape(format!(
                "{}.Events.{} names {}, not a bucket",
                o.function, o.name, o.bucket
            )));
        }
        for (id, key, integration, authorizer) in ws_routes {
            let function = integrations
                .get(&integration)
                .ok_or_else(|| TemplateError::Shape(format!("{id} targets {integration}, not a Lambda integration")))?;
            let authorizer = match authorizer {
                Some(a) if key != "$connect" => {
                    return Err(TemplateError::Shape(format!(
                        "{id}: only $connect takes an authorizer, not {key} ({a})"
                    )));
                }
                Some(a) => Some(ws_authorizers.get(&a).cloned().ok_or_else(|| {
                    TemplateError::Shape(format!("{id} names authorizer {a}, which is not in the template"))
                })?),
                None => None,
            };
            t.websocket_routes.push(WsRoute { key, function: function.clone(), authorizer });
        }
        for (key, plan) in plan_keys {
            if !t.usage_plans.iter().any(|p| p.id == plan) {
                return Err(TemplateError::Shape(format!("a UsagePlanKey names {plan}, which is not a usage plan")));
            }
            let k = t.usage_keys.iter_mut().find(|k| k.id == key);
            k.ok_or_else(|| TemplateError::Shape(format!("a UsagePlanKey names {key}, which is not an API key")))?
                .plans
                .push(plan);
        }
        Ok(t)
    }
}

fn usage_plan(id: &str, res: &Value) -> Result<UsagePlanDef, TemplateError> {
    let props = res.get("Properties");
    let throttle = props.and_then(|p| p.get("Throttle")).map(|t| {
        let burst = t.get("BurstLimit").and_then(Value::as_u64).unwrap_or(0);
        let rate = t.get("RateLimit").and_then(Value::as_f64).unwrap_or(0.0);
        (u32::try_from(burst).unwrap_or(u32::MAX), rate)
    });
    let quota = match props.and_then(|p| p.get("Quota")) {
        None => None,
        Some(q) => {
            let limit = q.get("Limit").and_then(Value::as_u64);
            let period = match str_at(q, &["Period"]) {
                Some("DAY") => Some(QuotaPeriod::Day),
                Some("WEEK") => Some(QuotaPeriod::Week),
                Some("MONTH") => Some(QuotaPeriod::Month),
                _ => None,
            };
            match (limit, period) {
                (Some(l), Some(p)) => Some((l, p)),
                _ => return Err(TemplateError::Shape(format!("{id}.Quota needs a Limit and a Period"))),
            }
        }
    };
    Ok(UsagePlanDef { id: id.to_owned(), throttle, quota })
}

#[cfg(test)]
mod tests {
    use super::*;
    use podcastflow_domain::keys::{self, Index};

    #[test]
    fn the_bundled_template_declares_the_routes_and_the_table_the_code_uses() {
        let t = Template::parse(BUNDLED).unwrap();
        assert!(t.routes.contains(&ApiRoute {
            function: "MonitoringFunction".into(),
            method: "GET".into(),
            path: "/monitoring/health".into(),
            authorizer: None,
            request_model: None,
            api_key_required: false,
        }));
        // The table in template.yaml is the one the store's key builders and schema.rs assume.
        assert_eq!(t.tables.len(), 1);
        let table = &t.tables[0];
        assert_eq!(table.key, (keys::PK.to_owned(), keys::SK.to_owned()));
        let expected: Vec<(String, (String, String))> = Index::SECONDARY
            .iter()
            .map(|i| {
                let (p, s) = i.attributes();
                (i.name().unwrap_or_default().to_owned(), (p.to_owned(), s.to_owned()))
            })
            .collect();
        assert_eq!(table.indexes, expected);
        assert_eq!(table.ttl.as_deref(), Some(keys::EXPIRES_AT));
    }

    #[test]
    fn api_events_become_routes_and_other_events_do_not() {
        let t = Template::parse(
            r#"
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        A: { Type: Api, Properties: { Path: "/a/{id}", Method: get, RestApiId: !Ref Api } }
        B: { Type: Schedule, Properties: { Schedule: rate(1 hour) } }
        C: { Type: Api, Properties: { Path: "/b/{proxy+}", Method: any } }
"#,
        )
        .unwrap();
        let routes: Vec<(String, String)> = t.routes.into_iter().map(|r| (r.method, r.path)).collect();
        assert_eq!(routes, vec![("GET".into(), "/a/{id}".into()), ("ANY".into(), "/b/{proxy+}".into())]);
    }

    #[test]
    fn stream_and_schedule_events_are_read() {
        let t = Template::parse(
            r#"
Resources:
  Stream:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: LATEST
            BatchSize: 25
            MaximumRetryAttempts: 3
            FunctionResponseTypes: [ReportBatchItemFailures]
  Job:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Hourly: { Type: Schedule, Properties: { Schedule: rate(1 hour), Input: '{"kind": "hourly"}' } }
        Nightly: { Type: ScheduleV2, Properties: { ScheduleExpression: "cron(0 2 * * ? *)" } }
        Off: { Type: Schedule, Properties: { Schedule: rate(1 day), Enabled: false } }
"#,
        )
        .unwrap();
        assert_eq!(
            t.streams,
            vec![StreamSource {
                function: "Stream".into(),
                name: "Changes".into(),
                batch_size: 25,
                starting_position: StartingPosition::Latest,
                max_retries: Some(3),
                report_failures: true,
                filters: Vec::new(),
            }]
        );
        // The bundled template's backup job sees only backup records that ask for work.
        let bundled = Template::parse(BUNDLED).unwrap();
        let job = bundled.streams.iter().find(|s| s.function == "BackupJobFunction").expect("the backup job's stream");
        assert_eq!(job.filters.len(), 4);
        let schedules: Vec<(&str, &str)> =
            t.schedules.iter().map(|s| (s.name.as_str(), s.expression.as_str())).collect();
        assert_eq!(schedules, vec![("Hourly", "rate(1 hour)"), ("Nightly", "cron(0 2 * * ? *)")]);
        assert_eq!(t.schedules[0].input, Some(serde_json::json!({"kind": "hourly"})));
    }

    #[test]
    fn object_events_name_their_bucket_events_and_key_filters() {
        let t = Template::parse(
            r#"
Resources:
  Logs: { Type: AWS::S3::Bucket, Properties: { BucketName: logs-bucket } }
  Ingest:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        New:
          Type: S3
          Properties:
            Bucket: !Ref Logs
            Events: s3:ObjectCreated:*
            Filter: { S3Key: { Rules: [{ Name: prefix, Value: logs/ }, { Name: Suffix, Value: .gz }] } }
        Removed: { Type: S3, Properties: { Bucket: !Ref Logs, Events: [s3:ObjectRemoved:Delete] } }
"#,
        )
        .unwrap();
        let new = &t.object_events[0];
        assert_eq!(
            (new.bucket.as_str(), new.prefix.as_deref(), new.suffix.as_deref()),
            ("Logs", Some("logs/"), Some(".gz"))
        );
        assert!(new.matches("ObjectCreated:Put", "logs/a.gz"));
        assert!(new.matches("ObjectCreated:CompleteMultipartUpload", "logs/a.gz"));
        assert!(!new.matches("ObjectCreated:Put", "other/a.gz"));
        assert!(!new.matches("ObjectCreated:Put", "logs/a.txt"));
        assert!(!new.matches("ObjectRemoved:Delete", "logs/a.gz"));
        assert!(t.object_events[1].matches("ObjectRemoved:Delete", "x"));
        assert!(!t.object_events[1].matches("ObjectCreated:Put", "x"));
        let unknown = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        E: { Type: S3, Properties: { Bucket: !Ref Nowhere, Events: s3:ObjectCreated:* } }\n";
        assert!(Template::parse(unknown).is_err(), "a bucket the template lacks");
        // The bundled template: the ingest function hears of logs, continuations, export and
        // recount requests, never of the evidence it writes itself.
        let bundled = Template::parse(BUNDLED).unwrap();
        let ingest: Vec<_> = bundled.object_events.iter().filter(|o| o.function == "DeliveryIngestFunction").collect();
        assert_eq!(ingest.len(), 4);
        assert!(ingest.iter().all(|o| o.bucket == "LogsBucket"));
        for key in ["logs/o/a.gz", "continuations/o/f.json", "exports/o/x.json", "recounts/o/r.json"] {
            assert!(ingest.iter().any(|o| o.matches("ObjectCreated:Put", key)), "{key}");
        }
        assert!(!ingest.iter().any(|o| o.matches("ObjectCreated:Put", "evidence/o/e/2026-12-07/f-0.jsonl.gz")));
    }

    #[test]
    fn bucket_names_resolve_sub_and_ref() {
        let t = Template::parse(
            r#"
Parameters: { Stage: { Type: String } }
Resources:
  Backups: { Type: AWS::S3::Bucket, Properties: { BucketName: !Sub "podcastflow-${Stage}-backups-${AWS::AccountId}" } }
  Plain: { Type: AWS::S3::Bucket }
"#,
        )
        .unwrap();
        let mut names: Vec<String> = t.buckets.into_iter().map(|(_, n)| n).collect();
        names.sort();
        assert_eq!(names, vec!["plain", "podcastflow-local-backups-000000000000"]);
        let unknown = "Resources:\n  B: { Type: AWS::S3::Bucket, Properties: { BucketName: !Sub \"x-${Nope}\" } }\n";
        assert!(Template::parse(unknown).is_err());
    }

    #[test]
    fn websocket_routes_follow_their_integrations_to_functions() {
        let t = Template::parse(
            r#"
Resources:
  WsApi: { Type: AWS::ApiGatewayV2::Api, Properties: { ProtocolType: WEBSOCKET, RouteSelectionExpression: "$request.body.action" } }
  WsIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref WsApi
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${WebSocketFunction.Arn}/invocations
  ConnectRoute: { Type: AWS::ApiGatewayV2::Route, Properties: { ApiId: !Ref WsApi, RouteKey: $connect, Target: !Join [/, [integrations, !Ref WsIntegration]] } }
  PingRoute: { Type: AWS::ApiGatewayV2::Route, Properties: { ApiId: !Ref WsApi, RouteKey: ping, Target: !Sub "integrations/${WsIntegration}" } }
"#,
        )
        .unwrap();
        let mut routes: Vec<(String, String)> = t.websocket_routes.into_iter().map(|r| (r.key, r.function)).collect();
        routes.sort();
        assert_eq!(
            routes,
            vec![("$connect".into(), "WebSocketFunction".into()), ("ping".into(), "WebSocketFunction".into())]
        );
    }

    #[test]
    fn routes_take_the_default_authorizer_unless_they_opt_out() {
        let t = Template::parse(
            r#"
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      Cors: { AllowOrigin: "'*'", AllowHeaders: "'Authorization,Content-Type'", MaxAge: "'600'" }
      Auth:
        DefaultAuthorizer: Lambda
        Authorizers:
          Lambda:
            FunctionArn: !GetAtt AuthFn.Arn
            FunctionPayloadType: REQUEST
            Identity: { Headers: [Authorization], ReauthorizeEvery: 60 }
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Guarded: { Type: Api, Properties: { RestApiId: !Ref Api, Path: /a, Method: get } }
        Open: { Type: Api, Properties: { RestApiId: !Ref Api, Path: /b, Method: get, Auth: { Authorizer: NONE } } }
"#,
        )
        .unwrap();
        let a = t.routes.iter().find(|r| r.path == "/a").unwrap().authorizer.clone().unwrap();
        assert_eq!(
            (a.function.as_str(), a.headers.clone(), a.ttl_seconds),
            ("AuthFn", vec!["Authorization".to_owned()], 60)
        );
        assert!(t.routes.iter().find(|r| r.path == "/b").unwrap().authorizer.is_none());
        let cors = t.cors.unwrap();
        assert_eq!((cors.allow_origin.as_str(), cors.max_age.as_deref()), ("*", Some("600")));
    }

    #[test]
    fn malformed_templates_are_reported() {
        assert!(Template::parse("not: [valid").is_err());
        assert!(Template::parse("Resources: 3").is_err());
        let no_path = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        A: { Type: Api, Properties: { Method: get } }\n";
        assert!(matches!(Template::parse(no_path), Err(TemplateError::Shape(_))));
    }
}
