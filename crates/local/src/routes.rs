//! Route matching as API Gateway REST APIs do it: a literal segment beats `{param}`, which beats a
//! greedy `{proxy+}`; `ANY` serves every method not routed explicitly. Path parameters are
//! percent-decoded.

use std::collections::HashMap;

use crate::template::ApiRoute;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

impl Segment {
    /// Higher is more specific.
    fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 2,
            Segment::Param(_) => 1,
            Segment::Greedy(_) => 0,
        }
    }
}

fn parse(path: &str) -> Vec<Segment> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => match name.strip_suffix('+') {
                Some(greedy) => Segment::Greedy(greedy.to_owned()),
                None => Segment::Param(name.to_owned()),
            },
            None => Segment::Literal(s.to_owned()),
        })
        .collect()
}

/// A matched route with its path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched<'a> {
    /// The route.
    pub route: &'a ApiRoute,
    /// Path parameters, decoded.
    pub params: HashMap<String, String>,
}

/// Every route of the template, ready to match.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<Segment>, ApiRoute)>,
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

fn match_segments(pattern: &[Segment], parts: &[&str]) -> Option<HashMap<String, String>> {
    let mut params = HashMap::new();
    for (i, seg) in pattern.iter().enumerate() {
        match seg {
            Segment::Greedy(name) => {
                if i >= parts.len() {
                    return None;
                }
                params.insert(name.clone(), decode(&parts[i..].join("/")));
                return Some(params);
            }
            Segment::Literal(l) => {
                if parts.get(i) != Some(&l.as_str()) {
                    return None;
                }
            }
            Segment::Param(name) => {
                params.insert(name.clone(), decode(parts.get(i)?));
            }
        }
    }
    (pattern.len() == parts.len()).then_some(params)
}

impl RouteTable {
    /// The table of these routes.
    pub fn new(routes: &[ApiRoute]) -> Self {
        Self { routes: routes.iter().map(|r| (parse(&r.path), r.clone())).collect() }
    }

    /// Whether some route (any method) serves this path: where CORS preflights are answered.
    pub fn serves_path(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.routes.iter().any(|(pattern, _)| match_segments(pattern, &parts).is_some())
    }

    /// The route serving `method path`, if any.
    pub fn find(&self, method: &str, path: &str) -> Option<Matched<'_>> {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut best: Option<(Vec<u8>, bool, Matched<'_>)> = None;
        for (pattern, route) in &self.routes {
            let exact = route.method == method;
            if !exact && route.method != "ANY" {
                continue;
            }
            let Some(params) = match_segments(pattern, &parts) else { continue };
            let rank: Vec<u8> = pattern.iter().map(Segment::rank).collect();
            let better = match &best {
                None => true,
                // More specific path first; for the same path, an explicit method over ANY.
                Some((r, e, _)) => (&rank, exact) > (r, *e),
            };
            if better {
                best = Some((rank, exact, Matched { route, params }));
            }
        }
        best.map(|(_, _, m)| m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: &str, path: &str) -> ApiRoute {
        ApiRoute {
            function: format!("{method} {path}"),
            method: method.into(),
            path: path.into(),
            authorizer: None,
            request_model: None,
            api_key_required: false,
        }
    }

    fn table() -> RouteTable {
        RouteTable::new(&[
            r("GET", "/campaigns"),
            r("GET", "/campaigns/{campaignId}"),
            r("GET", "/campaigns/mine"),
            r("POST", "/campaigns/{campaignId}/transitions"),
            r("ANY", "/files/{proxy+}"),
            r("GET", "/files/{proxy+}"),
            r("ANY", "/campaigns/{campaignId}"),
        ])
    }

    fn found(t: &RouteTable, m: &str, p: &str) -> Option<(String, Vec<(String, String)>)> {
        t.find(m, p).map(|m| {
            let mut params: Vec<_> = m.params.into_iter().collect();
            params.sort();
            (m.route.function.clone(), params)
        })
    }

    #[test]
    fn literal_beats_param_and_params_are_extracted() {
        let t = table();
        assert_eq!(found(&t, "GET", "/campaigns/mine").unwrap().0, "GET /campaigns/mine");
        let (f, p) = found(&t, "GET", "/campaigns/01ABC").unwrap();
        assert_eq!(f, "GET /campaigns/{campaignId}");
        assert_eq!(p, vec![("campaignId".into(), "01ABC".into())]);
        assert_eq!(found(&t, "POST", "/campaigns/x/transitions").unwrap().1, vec![("campaignId".into(), "x".into())]);
        assert_eq!(found(&t, "GET", "/campaigns/").unwrap().0, "GET /campaigns");
    }

    #[test]
    fn explicit_methods_beat_any_and_unknown_routes_miss() {
        let t = table();
        assert_eq!(found(&t, "DELETE", "/campaigns/x").unwrap().0, "ANY /campaigns/{campaignId}");
        assert_eq!(found(&t, "GET", "/campaigns/x").unwrap().0, "GET /campaigns/{campaignId}");
        assert!(t.find("GET", "/nope").is_none());
        assert!(t.find("POST", "/campaigns").is_none());
        assert!(t.find("GET", "/campaigns/x/transitions").is_none());
    }

    #[test]
    fn greedy_params_take_the_rest_decoded() {
        let t = table();
        let (f, p) = found(&t, "PUT", "/files/a/b%20c/d").unwrap();
        assert_eq!(f, "ANY /files/{proxy+}");
        assert_eq!(p, vec![("proxy".into(), "a/b c/d".into())]);
        assert_eq!(found(&t, "GET", "/files/x").unwrap().0, "GET /files/{proxy+}");
        assert!(t.find("GET", "/files").is_none());
    }
}
