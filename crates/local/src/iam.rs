//! IAM as template.yaml writes it, applied to the local stack: each function's role policies and
//! the tenant data role are read from the template, and every table call a function makes is
//! evaluated against them (with `podcastflow_iam`, IAM's rules), as AWS would. So the local
//! stack, and every end-to-end test on it, holds the code to the credentials it will have in AWS:
//! a call its role or its tenant session would not allow fails here with `AccessDenied`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use podcastflow_domain::OrgId;
use podcastflow_domain::keys::Key;
use podcastflow_iam::tenant::{ORG_TAG, dynamodb_request, platform_prefixes, session_policy};
use podcastflow_iam::{Decision, Policy, Request, evaluate};
use podcastflow_platform::tenancy::{ScopedTables, Session, SessionSource, TenantTables};
use podcastflow_store::{Condition, Item, Query, QueryOutput, StoreError, StoredItem, Table, TransactOp, Update, item};
use serde_yaml_ng::Value;

use crate::s3::{Grants, S3Principals};
use crate::template::TemplateError;
use podcastflow_objects::Credentials;

/// The ARN template.yaml's `Table` resolves to locally (in policies and `TABLE_ARN`).
pub const TABLE_ARN: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/podcastflow-local";

/// The logical id of the role tenant sessions assume.
pub const TENANT_ROLE: &str = "TenantDataRole";

/// What the template grants: per function, its role's policies and its tenant sessions.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// By function logical id.
    pub functions: BTreeMap<String, FunctionAccess>,
    /// The tenant data role's policies (with `${aws:PrincipalTag/orgId}` unresolved).
    pub tenant_role: Vec<Policy>,
}

/// One function's credentials.
#[derive(Debug, Clone, Default)]
pub struct FunctionAccess {
    /// Its role's policies (inline statements and the template's managed policies it names).
    pub role: Vec<Policy>,
    /// Set when it has `TENANT_ROLE_ARN`: the platform prefixes its sessions also reach
    /// (`TENANT_PLATFORM_KEYS`).
    pub tenant_platform_keys: Option<Vec<String>>,
}

impl Access {
    /// Reads the grants of a template's text.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let doc: Value = serde_yaml_ng::from_str(text)?;
        let resources = doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or_else(|| TemplateError::Shape("no Resources".into()))?;
        let names = Names::of(resources);
        let policy = |id: &str, v: &Value| {
            Policy::from_json(&resolve(v, &names)).map_err(|e| TemplateError::Shape(format!("{id}: a policy: {e}")))
        };
        let globals = doc.get("Globals").and_then(|g| g.get("Function")).and_then(|f| f.get("Environment"));
        let globals = globals.and_then(|e| e.get("Variables"));
        let mut access = Access::default();
        let role = resources.get(TENANT_ROLE).ok_or_else(|| TemplateError::Shape(format!("no {TENANT_ROLE}")))?;
        for p in
            role.get("Properties").and_then(|p| p.get("Policies")).and_then(Value::as_sequence).into_iter().flatten()
        {
            let doc = p
                .get("PolicyDocument")
                .ok_or_else(|| TemplateError::Shape(format!("{TENANT_ROLE}: no PolicyDocument")))?;
            access.tenant_role.push(policy(TENANT_ROLE, doc)?);
        }
        for (id, res) in resources {
            let Some(id) = id.as_str() else { continue };
            if res.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
                continue;
            }
            let props = res.get("Properties");
            let mut f = FunctionAccess::default();
            for entry in props.and_then(|p| p.get("Policies")).and_then(Value::as_sequence).into_iter().flatten() {
                if entry.get("Statement").is_some() {
                    let mut doc = entry.clone();
                    if let Some(m) = doc.as_mapping_mut() {
                        m.insert("Version".into(), "2012-10-17".into());
                    }
                    f.role.push(policy(id, &doc)?);
                } else if let Value::Tagged(t) = entry
                    && t.tag == "Ref"
                    && let Some(managed) = t.value.as_str().and_then(|m| resources.get(m))
                    && let Some(doc) = managed.get("Properties").and_then(|p| p.get("PolicyDocument"))
                {
                    f.role.push(policy(id, doc)?);
                }
                // SAM's bucket templates expand to statements; its other templates and AWS
                // managed policies grant nothing on the table or the buckets.
                if let Some(doc) = sam_bucket_policy(entry, &names) {
                    f.role.push(Policy::from_json(&doc).map_err(|e| TemplateError::Shape(format!("{id}: {e}")))?);
                }
            }
            let env = props.and_then(|p| p.get("Environment")).and_then(|e| e.get("Variables"));
            let var = |name: &str| env.and_then(|e| e.get(name)).or_else(|| globals.and_then(|g| g.get(name)));
            if var("TENANT_ROLE_ARN").is_some() {
                let keys = var("TENANT_PLATFORM_KEYS").and_then(Value::as_str).unwrap_or_default();
                let keys = platform_prefixes(keys).map_err(|e| TemplateError::Shape(format!("{id}: {e}")))?;
                f.tenant_platform_keys = Some(keys);
            }
            access.functions.insert(id.to_owned(), f);
        }
        Ok(access)
    }

    /// `function`'s role as a table guard on `table`, and its tenant sessions (none: it has no
    /// tenant role, and every organization's table is its own role's), whose credentials the
    /// S3 endpoint knows from `principals`.
    pub fn tables_of(
        &self,
        function: &str,
        table: Arc<dyn Table>,
        principals: &Arc<S3Principals>,
    ) -> (Arc<dyn Table>, Arc<dyn TenantTables>) {
        let f = self.functions.get(function).cloned().unwrap_or_default();
        let own: Arc<dyn Table> = Arc::new(GuardedTable {
            inner: table.clone(),
            identity: Arc::new(f.role),
            session: None,
            context: BTreeMap::new(),
            who: format!("{function}'s role"),
        });
        let tenants: Arc<dyn TenantTables> = match f.tenant_platform_keys {
            Some(platform) => Arc::new(ScopedTables::new(LocalSessions {
                table,
                role: Arc::new(self.tenant_role.clone()),
                platform,
                function: function.to_owned(),
                principals: principals.clone(),
            })),
            None => Arc::new(podcastflow_platform::tenancy::SharedTables(own.clone())),
        };
        (own, tenants)
    }

    /// What `function`'s own role may do in the buckets, for its own S3 key.
    pub fn bucket_grants_of(&self, function: &str) -> Grants {
        let f = self.functions.get(function).cloned().unwrap_or_default();
        Grants { identity: Arc::new(f.role), session: None, context: BTreeMap::new() }
    }
}

/// The template's buckets by logical id, with their local names (`BucketName` resolved).
#[derive(Debug, Clone, Default)]
struct Names {
    buckets: BTreeMap<String, String>,
}

impl Names {
    fn of(resources: &serde_yaml_ng::Mapping) -> Self {
        let mut names = Names::default();
        for (id, res) in resources {
            let Some(id) = id.as_str() else { continue };
            if res.get("Type").and_then(Value::as_str) == Some("AWS::S3::Bucket") {
                let name = match res.get("Properties").and_then(|p| p.get("BucketName")) {
                    Some(v) => resolve(v, &Names::default()).as_str().unwrap_or(id).to_owned(),
                    None => id.to_ascii_lowercase(),
                };
                names.buckets.insert(id.to_owned(), name);
            }
        }
        names
    }

    fn arn_of(&self, logical_id: &str) -> String {
        match (logical_id, self.buckets.get(logical_id)) {
            ("Table", _) => TABLE_ARN.to_owned(),
            (_, Some(bucket)) => format!("arn:aws:s3:::{bucket}"),
            (other, None) => format!("arn:aws:local:us-east-1:000000000000:{other}"),
        }
    }

    fn ref_of(&self, logical_id: &str) -> String {
        self.buckets.get(logical_id).cloned().unwrap_or_else(|| logical_id.to_owned())
    }
}

/// A YAML policy document as JSON, intrinsic functions resolved to local names.
fn resolve(v: &Value, names: &Names) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => serde_json::to_value(n).unwrap_or(serde_json::Value::Null),
        Value::String(s) => s.clone().into(),
        Value::Sequence(s) => s.iter().map(|v| resolve(v, names)).collect(),
        Value::Mapping(m) => m
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), resolve(v, names))))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        Value::Tagged(t) => match &t.value {
            Value::String(s) if t.tag == "GetAtt" => names.arn_of(s.trim_end_matches(".Arn")).into(),
            Value::String(s) if t.tag == "Ref" => names.ref_of(s).into(),
            Value::String(s) if t.tag == "Sub" => substitute(s, names).into(),
            _ => serde_json::Value::Null,
        },
    }
}

/// `!Sub` locally: `${X.Arn}` and `${X}` by logical id, pseudo parameters by fixed values,
/// `${!x}` as the literal `${x}` (a policy variable).
fn substitute(s: &str, names: &Names) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}').map(|e| e + start) else { break };
        let name = &rest[start + 2..end];
        out.push_str(&match name {
            "AWS::Partition" => "aws".to_owned(),
            "AWS::Region" => "us-east-1".to_owned(),
            "AWS::AccountId" => "000000000000".to_owned(),
            "AWS::StackName" => "podcastflow-local".to_owned(),
            "Stage" => "local".to_owned(),
            n if n.starts_with('!') => format!("${{{}}}", &n[1..]),
            n if n.ends_with(".Arn") => names.arn_of(n.trim_end_matches(".Arn")),
            n => names.ref_of(n),
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The statements of the SAM policy templates for buckets (`S3ReadPolicy`, `S3CrudPolicy`), as
/// SAM expands them, so a function granted one locally is granted what it would be in AWS.
fn sam_bucket_policy(entry: &Value, names: &Names) -> Option<serde_json::Value> {
    let (template, args) = entry.as_mapping()?.iter().next()?;
    let read = ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion"];
    let crud = ["s3:PutObject", "s3:DeleteObject", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration"];
    let actions: Vec<&str> = match template.as_str()? {
        "S3ReadPolicy" => read.to_vec(),
        "S3CrudPolicy" => read.iter().chain(crud.iter()).copied().collect(),
        _ => return None,
    };
    let bucket = resolve(args.get("BucketName")?, names);
    let bucket = bucket.as_str()?;
    Some(serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions,
            "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")]}]
    }))
}

/// Opens local tenant sessions: the tenant data role's policies with the session policy the
/// functions request in AWS, for a session tagged with the organization.
struct LocalSessions {
    table: Arc<dyn Table>,
    role: Arc<Vec<Policy>>,
    platform: Vec<String>,
    function: String,
    principals: Arc<S3Principals>,
}

#[async_trait]
impl SessionSource for LocalSessions {
    async fn open(&self, org: &OrgId) -> Result<Session, StoreError> {
        let context = BTreeMap::from([(format!("aws:PrincipalTag/{ORG_TAG}"), vec![org.to_string()])]);
        let who = format!("{}'s session for {org}", self.function);
        let policy = session_policy(TABLE_ARN, org, &self.platform);
        let expires_at = SystemTime::now() + Duration::from_secs(3600);
        let grants = Grants { identity: self.role.clone(), session: Some(policy.clone()), context: context.clone() };
        let key = self
            .principals
            .register(who.clone(), grants, Some(expires_at))
            .map_err(|e| StoreError::Unavailable(format!("tenant credentials: {e}")))?;
        let credentials =
            Credentials::new(key.access_key_id, key.secret_access_key, None, Some(expires_at), "local-tenant-session");
        let table = GuardedTable {
            inner: self.table.clone(),
            identity: self.role.clone(),
            session: Some(policy),
            context,
            who,
        };
        Ok(Session { table: Arc::new(table), credentials, expires_at })
    }
}

/// A table that evaluates each call against a set of policies first, as IAM does.
struct GuardedTable {
    inner: Arc<dyn Table>,
    identity: Arc<Vec<Policy>>,
    session: Option<Policy>,
    context: BTreeMap<String, Vec<String>>,
    who: String,
}

impl GuardedTable {
    fn check(&self, action: &str, index: Option<&str>, keys: &[&str]) -> Result<(), StoreError> {
        let mut request: Request = dynamodb_request(action, TABLE_ARN, index, keys);
        request.context.extend(self.context.clone());
        match evaluate(&self.identity, self.session.as_ref(), &request) {
            Ok(Decision::Allowed) => Ok(()),
            Ok(d) => Err(StoreError::AccessDenied(format!("{} may not {action} {keys:?} ({d:?})", self.who))),
            Err(e) => Err(StoreError::AccessDenied(format!("{}: {e}", self.who))),
        }
    }
}

#[async_trait]
impl Table for GuardedTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.check("GetItem", None, &[&key.pk])?;
        self.inner.get(key).await
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.check("PutItem", None, &[&item::key_of(&item)?.pk])?;
        self.inner.put(item, condition).await
    }

    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        self.check("UpdateItem", None, &[&key.pk])?;
        self.inner.update(key, update, condition).await
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<Option<Item>, StoreError> {
        self.check("DeleteItem", None, &[&key.pk])?;
        self.inner.delete(key, condition).await
    }

    async fn query_stored(&self, query: &Query) -> Result<QueryOutput<StoredItem>, StoreError> {
        self.check("Query", query.index.name(), &[&query.partition])?;
        self.inner.query_stored(query).await
    }

    async fn transact(&self, ops: Vec<TransactOp>) -> Result<(), StoreError> {
        // IAM authorizes a transaction item by item, each as its single-item action.
        for op in &ops {
            match op {
                TransactOp::Put { item, .. } => self.check("PutItem", None, &[&item::key_of(item)?.pk])?,
                TransactOp::Update { key, .. } => self.check("UpdateItem", None, &[&key.pk])?,
                TransactOp::Delete { key, .. } => self.check("DeleteItem", None, &[&key.pk])?,
                TransactOp::Check { key, .. } => self.check("ConditionCheckItem", None, &[&key.pk])?,
            }
        }
        self.inner.transact(ops).await
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        let pks: Vec<&str> = keys.iter().map(|k| k.pk.as_str()).collect();
        if !pks.is_empty() {
            self.check("BatchGetItem", None, &pks)?;
        }
        self.inner.batch_get(keys).await
    }

    async fn batch_write(&self, puts: Vec<Item>, deletes: Vec<Key>) -> Result<(), StoreError> {
        let mut pks = Vec::new();
        for item in &puts {
            pks.push(item::key_of(item)?.pk);
        }
        pks.extend(deletes.iter().map(|k| k.pk.clone()));
        if !pks.is_empty() {
            self.check("BatchWriteItem", None, &pks.iter().map(String::as_str).collect::<Vec<_>>())?;
        }
        self.inner.batch_write(puts, deletes).await
    }
}

#[cfg(test)]
mod tests {
    use podcastflow_domain::keys::org_pk;

    use super::*;
    use crate::template::BUNDLED;
    use podcastflow_iam::tenant::as_tenant;

    #[test]
    fn the_bundled_template_grants_parse() {
        let access = Access::parse(BUNDLED).expect("template.yaml's grants parse");
        assert!(!access.tenant_role.is_empty());
        assert!(access.functions.contains_key("CampaignsFunction"));
        let req =
            as_tenant(dynamodb_request("GetItem", TABLE_ARN, None, &[&org_pk(&OrgId::new(), "X")]), &OrgId::new());
        assert_ne!(evaluate(&access.tenant_role, None, &req).unwrap(), Decision::Allowed, "another tenant's key");
    }
}
