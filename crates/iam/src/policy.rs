//! IAM policy documents and an offline evaluation of them, following IAM's documented rules: an
//! explicit deny wins, otherwise some statement must allow; several policies on one session (the
//! role's and the session policy) must each allow. Covers what our policies use: actions and
//! resources with `*`/`?` wildcards, `Not` forms, policy variables, and the string, ARN, `Bool`
//! and `Null` condition operators with the `ForAllValues:`/`ForAnyValue:` qualifiers and
//! `IfExists`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

/// A policy document that does not follow IAM's grammar (as far as the evaluator knows it).
#[derive(Debug, Error, PartialEq)]
pub enum PolicyError {
    /// The JSON is not a policy document.
    #[error("not a policy document: {0}")]
    Shape(String),
    /// A condition operator the evaluator does not know; refusing beats guessing.
    #[error("unsupported condition operator {0}")]
    UnsupportedOperator(String),
}

/// One or several strings, as IAM allows for actions, resources and condition values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single string.
    One(String),
    /// A list.
    Many(Vec<String>),
}

impl OneOrMany {
    fn items(&self) -> &[String] {
        match self {
            Self::One(s) => std::slice::from_ref(s),
            Self::Many(v) => v,
        }
    }
}

/// Whether a statement grants or refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    /// Grants what it matches (unless some statement denies it).
    Allow,
    /// Refuses what it matches, whatever else allows it.
    Deny,
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    /// An optional name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Allow or deny.
    pub effect: Effect,
    /// The actions it covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<OneOrMany>,
    /// Every action but these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_action: Option<OneOrMany>,
    /// The resources it covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<OneOrMany>,
    /// Every resource but these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_resource: Option<OneOrMany>,
    /// Operator -> condition key -> values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub condition: BTreeMap<String, BTreeMap<String, ConditionValues>>,
}

/// The values of one condition key: strings, or booleans as IAM also accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ConditionValues {
    /// A single value.
    One(Scalar),
    /// Several values, any of which may match.
    Many(Vec<Scalar>),
}

/// A condition value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// A string.
    Text(String),
    /// A boolean (`"Null": {"k": false}`).
    Flag(bool),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Self::Text(s) => s.clone(),
            Self::Flag(b) => b.to_string(),
        }
    }
}

impl ConditionValues {
    fn texts(&self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s.text()],
            Self::Many(v) => v.iter().map(Scalar::text).collect(),
        }
    }
}

/// A policy document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Policy {
    /// The grammar version, `2012-10-17`.
    pub version: String,
    /// Its statements.
    #[serde(deserialize_with = "one_or_many_statements")]
    pub statement: Vec<Statement>,
}

fn one_or_many_statements<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Statement>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        One(Box<Statement>),
        Many(Vec<Statement>),
    }
    Ok(match Either::deserialize(d)? {
        Either::One(s) => vec![*s],
        Either::Many(v) => v,
    })
}

impl Policy {
    /// Reads a policy document from JSON.
    pub fn from_json(value: &Value) -> Result<Self, PolicyError> {
        let policy: Self = serde_json::from_value(value.clone()).map_err(|e| PolicyError::Shape(e.to_string()))?;
        for s in &policy.statement {
            if s.action.is_some() == s.not_action.is_some() || s.resource.is_some() == s.not_resource.is_some() {
                return Err(PolicyError::Shape(
                    "a statement needs exactly one of Action/NotAction and of Resource/NotResource".into(),
                ));
            }
            for op in s.condition.keys() {
                Operator::parse(op)?;
            }
        }
        Ok(policy)
    }

    /// The document as JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// A request as IAM sees it: who asks (their context keys, tags included as
/// `aws:PrincipalTag/<k>`), what action on which resource.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `service:Action`, e.g. `dynamodb:GetItem`.
    pub action: String,
    /// The resource ARN.
    pub resource: String,
    /// Condition keys and their values; a key absent here is absent from the request.
    pub context: BTreeMap<String, Vec<String>>,
}

impl Request {
    /// A request for `action` on `resource` with no context.
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self { action: action.into(), resource: resource.into(), context: BTreeMap::new() }
    }

    /// The same request with `key` set to `values`.
    pub fn with(mut self, key: impl Into<String>, values: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.context.insert(key.into(), values.into_iter().map(Into::into).collect());
        self
    }
}

/// The outcome of evaluating policies for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Every policy allows it and none denies it.
    Allowed,
    /// No statement allows it (in at least one of the policies).
    ImplicitlyDenied,
    /// A statement denies it.
    ExplicitlyDenied,
}

/// The decision for `request` by a session whose role has the `identity` policies and which
/// may carry a `session` policy, combined as IAM does: any matching Deny anywhere refuses; the
/// identity policies are united (one Allow among them suffices); a session policy bounds them
/// (it must allow too).
pub fn evaluate(identity: &[Policy], session: Option<&Policy>, request: &Request) -> Result<Decision, PolicyError> {
    let mut identity_allows = false;
    for policy in identity {
        match verdict(policy, request)? {
            Some(Effect::Deny) => return Ok(Decision::ExplicitlyDenied),
            Some(Effect::Allow) => identity_allows = true,
            None => {}
        }
    }
    let session_allows = match session {
        None => true,
        Some(policy) => match verdict(policy, request)? {
            Some(Effect::Deny) => return Ok(Decision::ExplicitlyDenied),
            Some(Effect::Allow) => true,
            None => false,
        },
    };
    Ok(if identity_allows && session_allows { Decision::Allowed } else { Decision::ImplicitlyDenied })
}

/// What one policy says of a request: Deny if a statement denies it, else Allow if one allows it.
fn verdict(policy: &Policy, request: &Request) -> Result<Option<Effect>, PolicyError> {
    let mut allowed = None;
    for s in &policy.statement {
        if matches(s, request)? {
            match s.effect {
                Effect::Deny => return Ok(Some(Effect::Deny)),
                Effect::Allow => allowed = Some(Effect::Allow),
            }
        }
    }
    Ok(allowed)
}

fn matches(s: &Statement, r: &Request) -> Result<bool, PolicyError> {
    let action = match (&s.action, &s.not_action) {
        (Some(a), _) => a.items().iter().any(|p| glob_ignoring_case(p, &r.action)),
        (None, Some(n)) => !n.items().iter().any(|p| glob_ignoring_case(p, &r.action)),
        (None, None) => false,
    };
    let resource_matches = |list: &OneOrMany| {
        list.items().iter().any(|p| substitute(p, &r.context).is_some_and(|p| glob(&p, &r.resource)))
    };
    let resource = match (&s.resource, &s.not_resource) {
        (Some(res), _) => resource_matches(res),
        (None, Some(n)) => !resource_matches(n),
        (None, None) => false,
    };
    if !(action && resource) {
        return Ok(false);
    }
    for (op, keys) in &s.condition {
        let op = Operator::parse(op)?;
        for (key, values) in keys {
            if !op.holds(r.context.get(key).map(Vec::as_slice), &values.texts(), &r.context) {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// How a condition compares, and over which of a multi-valued key's values.
#[derive(Debug, Clone, Copy)]
struct Operator {
    kind: Kind,
    set: SetQualifier,
    if_exists: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    StringEquals { negated: bool, ignore_case: bool },
    StringLike { negated: bool },
    Bool,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum SetQualifier {
    /// No qualifier: some value of the key must match (for a single-valued key, the value).
    Plain,
    ForAllValues,
    ForAnyValue,
}

impl Operator {
    fn parse(name: &str) -> Result<Self, PolicyError> {
        let unsupported = || PolicyError::UnsupportedOperator(name.to_owned());
        let (set, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
            (SetQualifier::ForAllValues, r)
        } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (SetQualifier::ForAnyValue, r)
        } else {
            (SetQualifier::Plain, name)
        };
        let (rest, if_exists) = match rest.strip_suffix("IfExists") {
            Some(r) => (r, true),
            None => (rest, false),
        };
        let kind = match rest {
            "StringEquals" | "ArnEquals" => Kind::StringEquals { negated: false, ignore_case: false },
            "StringNotEquals" | "ArnNotEquals" => Kind::StringEquals { negated: true, ignore_case: false },
            "StringEqualsIgnoreCase" => Kind::StringEquals { negated: false, ignore_case: true },
            "StringNotEqualsIgnoreCase" => Kind::StringEquals { negated: true, ignore_case: true },
            "StringLike" | "ArnLike" => Kind::StringLike { negated: false },
            "StringNotLike" | "ArnNotLike" => Kind::StringLike { negated: true },
            "Bool" => Kind::Bool,
            "Null" => Kind::Null,
            _ => return Err(unsupported()),
        };
        if kind == Kind::Null && (set != SetQualifier::Plain || if_exists) {
            return Err(unsupported());
        }
        Ok(Self { kind, set, if_exists })
    }

    fn negated(&self) -> bool {
        matches!(self.kind, Kind::StringEquals { negated: true, .. } | Kind::StringLike { negated: true })
    }

    /// Whether the condition holds for a key whose request values are `present` (None: absent).
    fn holds(&self, present: Option<&[String]>, wanted: &[String], context: &BTreeMap<String, Vec<String>>) -> bool {
        if self.kind == Kind::Null {
            let absent = present.is_none_or(<[String]>::is_empty);
            return wanted.iter().any(|w| (w == "true") == absent);
        }
        let values = match present {
            Some(v) if !v.is_empty() => v,
            // IAM: an absent key makes ForAllValues true (vacuously, hence the Null check beside
            // it), IfExists true, a negated operator true, anything else false.
            _ => return self.set == SetQualifier::ForAllValues || self.if_exists || self.negated(),
        };
        // Policy variables resolve against the request; one that does not resolve never matches.
        let wanted: Vec<String> = wanted.iter().filter_map(|w| substitute(w, context)).collect();
        let one = |v: &String| self.compares(v, &wanted);
        match self.set {
            SetQualifier::ForAllValues => values.iter().all(one),
            SetQualifier::ForAnyValue => values.iter().any(one),
            // A negated operator without a qualifier holds only if no value matches what it names.
            SetQualifier::Plain if self.negated() => values.iter().all(one),
            SetQualifier::Plain => values.iter().any(one),
        }
    }

    /// One request value against the condition's values (any of them).
    fn compares(&self, value: &str, wanted: &[String]) -> bool {
        match self.kind {
            Kind::StringEquals { negated, ignore_case } => {
                let hit = wanted.iter().any(|w| if ignore_case { w.eq_ignore_ascii_case(value) } else { w == value });
                hit != negated
            }
            Kind::StringLike { negated } => wanted.iter().any(|w| glob(w, value)) != negated,
            Kind::Bool => wanted.iter().any(|w| w.eq_ignore_ascii_case(value)),
            Kind::Null => false,
        }
    }
}

/// Replaces `${key}` with the request's single value of `key`; None if a key is absent or
/// multi-valued (IAM does not match such a variable).
fn substitute(pattern: &str, context: &BTreeMap<String, Vec<String>>) -> Option<String> {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}')? + start;
        let key = &rest[start + 2..end];
        match key {
            "*" => out.push('*'),
            "?" => out.push('?'),
            "$" => out.push('$'),
            _ => match context.get(key).map(Vec::as_slice) {
                Some([one]) => out.push_str(one),
                _ => return None,
            },
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// IAM's wildcard match: `*` any run of characters, `?` one character.
pub fn glob(pattern: &str, text: &str) -> bool {
    // ARNs, keys and actions are ASCII nearly always: matched as bytes, with no allocation.
    if pattern.is_ascii() && text.is_ascii() {
        return glob_by(pattern.as_bytes(), text.as_bytes(), b'*', b'?', |a, b| a == b);
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    glob_by(&p, &t, '*', '?', |a, b| a == b)
}

/// [`glob`] ignoring ASCII case, as IAM matches actions.
fn glob_ignoring_case(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        return glob_by(pattern.as_bytes(), text.as_bytes(), b'*', b'?', |a, b| a.eq_ignore_ascii_case(&b));
    }
    glob(&pattern.to_ascii_lowercase(), &text.to_ascii_lowercase())
}

/// Glob matching of `t` by `p` over any symbols: `star` any run, `any` one symbol.
fn glob_by<T: Copy + PartialEq>(p: &[T], t: &[T], star: T, any: T, same: impl Fn(T, T) -> bool) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        // The pattern's `*` is a wildcard even where the text has a `*` too: tested first.
        if pi < p.len() && p[pi] == star {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && (p[pi] == any || same(p[pi], t[ti])) {
            pi += 1;
            ti += 1;
        } else if let Some((bp, bt)) = backtrack {
            pi = bp + 1;
            ti = bt + 1;
            backtrack = Some((bp, bt + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == star)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn policy(v: Value) -> Policy {
        Policy::from_json(&v).expect("a valid policy")
    }

    #[test]
    fn wildcards_match_like_iam() {
        assert!(glob("ORG#a#*", "ORG#a#CAMPAIGN#1"));
        assert!(glob("ORG#a#*", "ORG#a#"));
        assert!(!glob("ORG#a#*", "ORG#ab#X"));
        assert!(glob("a?c*", "abcdef"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("*", ""));
        assert!(glob("*b*b", "abab"));
        // Any character of the text is matched like any other, wildcard characters included.
        for text in
            ["EMAIL#*@x.co", "EMAIL#?", "EMAIL#**", "EMAIL#\u{1}\u{7f}", "EMAIL#${x}", "EMAIL#ü\u{10ffff}", "EMAIL#"]
        {
            assert!(glob("EMAIL#*", text), "{text:?}");
            assert!(!glob("USER#*", text), "{text:?}");
        }
        assert!(glob("a*c", "a*c") && glob("a*c", "a**c") && glob("a?c", "a*c") && !glob("a?c", "a**c"));
        // `?` is one character, not one byte, wherever either side is not ASCII.
        assert!(glob("EMAIL#?", "EMAIL#ü") && !glob("EMAIL#??", "EMAIL#ü") && glob("ü?*", "üxy"));
        assert!(!glob("ü", "u") && !glob("a", "ü"));
        // Actions ignore ASCII case on both sides, wildcards included.
        assert!(glob_ignoring_case("DynamoDB:Get*", "dynamodb:GETITEM"));
        assert!(glob_ignoring_case("s3:?etObject", "S3:GETOBJECT"));
        assert!(!glob_ignoring_case("dynamodb:Get*", "dynamodb:PutItem"));
        assert!(glob_ignoring_case("ü:*", "ü:X") && !glob_ignoring_case("ü:a", "ü:b"));
        assert!(!glob("DynamoDB:Get*", "dynamodb:GetItem"), "resources keep their case");
    }

    #[test]
    fn an_explicit_deny_beats_an_allow_and_silence_denies() {
        let p = policy(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["dynamodb:*", "s3:*"], "Resource": "*"},
            {"Effect": "Deny", "Action": ["dynamodb:Scan"], "Resource": "*"}
        ]}));
        let one = |r: Request| evaluate(std::slice::from_ref(&p), None, &r).unwrap();
        assert_eq!(one(Request::new("dynamodb:GetItem", "t")), Decision::Allowed);
        assert_eq!(one(Request::new("dynamodb:scan", "t")), Decision::ExplicitlyDenied);
        assert_eq!(one(Request::new("s3:GetObject", "t")), Decision::Allowed);
        assert_eq!(one(Request::new("sqs:SendMessage", "t")), Decision::ImplicitlyDenied);
        let q = policy(
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "b/*"}}),
        );
        let both = [p.clone(), q.clone()];
        assert_eq!(
            evaluate(&both, None, &Request::new("sqs:SendMessage", "b/k")).unwrap(),
            Decision::Allowed,
            "identity policies unite"
        );
        assert_eq!(evaluate(&both, None, &Request::new("dynamodb:Scan", "t")).unwrap(), Decision::ExplicitlyDenied);
        assert_eq!(
            evaluate(std::slice::from_ref(&p), Some(&q), &Request::new("dynamodb:GetItem", "t")).unwrap(),
            Decision::ImplicitlyDenied,
            "a session policy bounds them"
        );
        assert_eq!(
            evaluate(std::slice::from_ref(&q), Some(&p), &Request::new("sqs:SendMessage", "b/k")).unwrap(),
            Decision::ImplicitlyDenied
        );
        assert_eq!(evaluate(&[], None, &Request::new("s3:GetObject", "b/k")).unwrap(), Decision::ImplicitlyDenied);
    }

    #[test]
    fn for_all_values_is_vacuous_without_the_null_check() {
        let like = json!({"dynamodb:LeadingKeys": ["ORG#a#*"]});
        let loose = policy(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*", "Condition": {"ForAllValues:StringLike": like}}
        ]}));
        let strict = policy(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*",
             "Condition": {"ForAllValues:StringLike": like, "Null": {"dynamodb:LeadingKeys": "false"}}}
        ]}));
        let scan = Request::new("dynamodb:Scan", "t");
        assert_eq!(
            evaluate(std::slice::from_ref(&loose), None, &scan).unwrap(),
            Decision::Allowed,
            "no keys: vacuously true"
        );
        assert_eq!(evaluate(std::slice::from_ref(&strict), None, &scan).unwrap(), Decision::ImplicitlyDenied);
        let mixed = Request::new("dynamodb:BatchGetItem", "t").with("dynamodb:LeadingKeys", ["ORG#a#X", "ORG#b#Y"]);
        assert_eq!(
            evaluate(std::slice::from_ref(&strict), None, &mixed).unwrap(),
            Decision::ImplicitlyDenied,
            "every key must match"
        );
        let own = Request::new("dynamodb:BatchGetItem", "t").with("dynamodb:LeadingKeys", ["ORG#a#X", "ORG#a#Y"]);
        assert_eq!(evaluate(std::slice::from_ref(&strict), None, &own).unwrap(), Decision::Allowed);
    }

    #[test]
    fn policy_variables_resolve_from_the_request_or_never_match() {
        let p = policy(json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*",
            "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": "ORG#${aws:PrincipalTag/orgId}#*"},
                          "Null": {"dynamodb:LeadingKeys": false}}
        }]}));
        let get = |org: Option<&str>, pk: &str| {
            let r = Request::new("dynamodb:GetItem", "t").with("dynamodb:LeadingKeys", [pk]);
            let r = match org {
                Some(o) => r.with("aws:PrincipalTag/orgId", [o]),
                None => r,
            };
            evaluate(std::slice::from_ref(&p), None, &r).unwrap()
        };
        assert_eq!(get(Some("a"), "ORG#a#X"), Decision::Allowed);
        assert_eq!(get(Some("a"), "ORG#b#X"), Decision::ImplicitlyDenied);
        assert_eq!(get(None, "ORG##X"), Decision::ImplicitlyDenied, "an untagged session reaches nothing");
        assert_eq!(substitute("a${*}b", &BTreeMap::new()).as_deref(), Some("a*b"));
    }

    #[test]
    fn negated_and_if_exists_operators_follow_iam_on_absent_keys() {
        let p = policy(json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"StringNotLike": {"k": "ORG#*"}, "BoolIfExists": {"aws:SecureTransport": "true"}}
        }]}));
        assert_eq!(evaluate(std::slice::from_ref(&p), None, &Request::new("x:Y", "r")).unwrap(), Decision::Allowed);
        assert_eq!(
            evaluate(std::slice::from_ref(&p), None, &Request::new("x:Y", "r").with("k", ["ORG#a"])).unwrap(),
            Decision::ImplicitlyDenied
        );
        assert_eq!(
            evaluate(std::slice::from_ref(&p), None, &Request::new("x:Y", "r").with("k", ["USER#a"])).unwrap(),
            Decision::Allowed
        );
        let insecure = Request::new("x:Y", "r").with("aws:SecureTransport", ["false"]);
        assert_eq!(evaluate(std::slice::from_ref(&p), None, &insecure).unwrap(), Decision::ImplicitlyDenied);
    }

    #[test]
    fn unknown_operators_and_malformed_statements_are_refused() {
        let bad = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"NumericLessThan": {"k": "1"}}}
        ]});
        assert!(matches!(Policy::from_json(&bad), Err(PolicyError::UnsupportedOperator(_))));
        let both = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "x", "Resource": "*"}]});
        assert!(matches!(Policy::from_json(&both), Err(PolicyError::Shape(_))));
    }
}
