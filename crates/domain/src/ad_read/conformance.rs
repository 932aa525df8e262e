//! The conformance check: a submitted read's transcript and measured length against its brief,
//! before air. Each item of the brief becomes one line of a checklist, passed or failed with
//! what was found, so a reviewer sees at a glance what a read misses.
//!
//! **Normalizing.** Text is compared as tokens: lower-cased, every character that is not a
//! letter or a digit a separator (so "Hello, World!" is `hello world`).
//!
//! - **Talking points** are covered when at least [`TALKING_POINT_COVERAGE`] (60 %) of the point's
//!   distinct content tokens (tokens of three or more characters that are not
//!   [`STOPWORDS`]) occur in the transcript. A host paraphrases; 60 % keeps the product, the
//!   benefit and the offer words of a point while allowing their own phrasing. A point of no
//!   content tokens is covered when all of its tokens occur.
//! - **Required phrases**, the **disclosure** and **forbidden claims** are matched as phrases:
//!   their tokens in a row in the transcript.
//! - **The promo code** must be said at least [`PROMO_MIN_MENTIONS`] (two) times. A code is
//!   spelled out in a transcript in pieces ("podcast 20" for `PODCAST20`), so it is counted in the
//!   transcript with every separator removed.
//! - **The length**, measured from the uploaded file, must lie within the brief's bounds; a
//!   length that could not be measured fails.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::brief::Brief;

/// Share of a talking point's content tokens the transcript must contain.
pub const TALKING_POINT_COVERAGE: f64 = 0.6;
/// How often the promo code must be said.
pub const PROMO_MIN_MENTIONS: usize = 2;

/// Words that carry no content of a talking point.
pub const STOPWORDS: [&str; 40] = [
    "the", "and", "for", "are", "but", "not", "you", "your", "with", "our", "this", "that", "from", "they", "their",
    "have", "has", "was", "were", "will", "can", "all", "any", "its", "into", "out", "about", "than", "then", "them",
    "who", "what", "when", "which", "how", "also", "just", "more", "most", "get",
];

/// What one checklist item checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CheckKind {
    /// A talking point was covered.
    TalkingPoint,
    /// A required phrase was said.
    RequiredPhrase,
    /// The promo code was said often enough.
    PromoCode,
    /// The disclosure was said.
    Disclosure,
    /// A forbidden claim was not made.
    ForbiddenClaim,
    /// The measured length is within bounds.
    Length,
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckItem {
    /// What it checks.
    pub kind: CheckKind,
    /// The brief's text it checks (the point, the phrase, the code), or the bounds.
    pub subject: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was found.
    pub detail: String,
}

impl CheckItem {
    /// Its name in a refusal or a summary: `promoCode`, `talkingPoint[2]`.
    pub fn label(&self, index_in_kind: usize) -> String {
        let kind = serde_json::to_value(self.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        match self.kind {
            CheckKind::TalkingPoint | CheckKind::RequiredPhrase | CheckKind::ForbiddenClaim => {
                format!("{kind}[{index_in_kind}]")
            }
            _ => kind,
        }
    }
}

/// The labels of the items of `items` that failed (`talkingPoint[1]`, `promoCode`), in order.
pub fn failed_labels(items: &[CheckItem]) -> Vec<String> {
    let mut seen: Vec<CheckKind> = Vec::new();
    let mut out = Vec::new();
    for item in items {
        let n = seen.iter().filter(|k| **k == item.kind).count();
        seen.push(item.kind);
        if !item.passed {
            out.push(item.label(n));
        }
    }
    out
}

/// The tokens of `text`, normalized.
pub fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(str::to_lowercase).collect()
}

fn is_content(token: &str) -> bool {
    token.chars().count() >= 3 && !STOPWORDS.contains(&token)
}

/// The share of `point`'s distinct content tokens found in `said` (all its tokens when it has no
/// content tokens); 1.0 for an empty point.
pub fn coverage(point: &str, said: &BTreeSet<String>) -> f64 {
    let all: BTreeSet<String> = tokens(point).into_iter().collect();
    let content: BTreeSet<&String> = all.iter().filter(|t| is_content(t)).collect();
    let wanted: Vec<&String> = if content.is_empty() { all.iter().collect() } else { content.into_iter().collect() };
    if wanted.is_empty() {
        return 1.0;
    }
    let found = wanted.iter().filter(|t| said.contains(**t)).count();
    found as f64 / wanted.len() as f64
}

/// How often `phrase`'s tokens occur in a row in `said`.
pub fn phrase_count(phrase: &str, said: &[String]) -> usize {
    let wanted = tokens(phrase);
    if wanted.is_empty() {
        return 0;
    }
    said.windows(wanted.len()).filter(|w| *w == wanted.as_slice()).count()
}

/// How often `code` is said in `transcript`, separators ignored (non-overlapping).
pub fn code_mentions(code: &str, transcript: &str) -> usize {
    let squash = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    let (code, text) = (squash(code), squash(transcript));
    if code.is_empty() { 0 } else { text.matches(code.as_str()).count() }
}

/// The checklist of a read of `brief` whose transcript is `transcript` and whose recording
/// measured `duration_seconds` (`None`: not measured).
pub fn check(brief: &Brief, transcript: &str, duration_seconds: Option<f64>) -> Vec<CheckItem> {
    let said = tokens(transcript);
    let said_set: BTreeSet<String> = said.iter().cloned().collect();
    let mut items = Vec::new();
    for point in &brief.talking_points {
        let share = coverage(point, &said_set);
        items.push(CheckItem {
            kind: CheckKind::TalkingPoint,
            subject: point.clone(),
            passed: share >= TALKING_POINT_COVERAGE,
            detail: format!(
                "{:.0} % of its key words said (at least {:.0} % needed)",
                share * 100.0,
                TALKING_POINT_COVERAGE * 100.0
            ),
        });
    }
    for phrase in &brief.required_phrases {
        let n = phrase_count(phrase, &said);
        items.push(CheckItem {
            kind: CheckKind::RequiredPhrase,
            subject: phrase.clone(),
            passed: n > 0,
            detail: if n > 0 { "said".into() } else { "not said".into() },
        });
    }
    if let Some(code) = &brief.promo_code {
        let n = code_mentions(code, transcript);
        items.push(CheckItem {
            kind: CheckKind::PromoCode,
            subject: code.clone(),
            passed: n >= PROMO_MIN_MENTIONS,
            detail: format!("said {n} time{} (at least {PROMO_MIN_MENTIONS} needed)", if n == 1 { "" } else { "s" }),
        });
    }
    if let Some(disclosure) = &brief.disclosure {
        let n = phrase_count(disclosure, &said);
        items.push(CheckItem {
            kind: CheckKind::Disclosure,
            subject: disclosure.clone(),
            passed: n > 0,
            detail: if n > 0 { "said".into() } else { "not said".into() },
        });
    }
    for claim in &brief.forbidden_claims {
        let n = phrase_count(claim, &said);
        items.push(CheckItem {
            kind: CheckKind::ForbiddenClaim,
            subject: claim.clone(),
            passed: n == 0,
            detail: if n == 0 { "not made".into() } else { format!("made {n} time{}", if n == 1 { "" } else { "s" }) },
        });
    }
    if brief.min_seconds.is_some() || brief.max_seconds.is_some() {
        let bounds = match (brief.min_seconds, brief.max_seconds) {
            (Some(lo), Some(hi)) => format!("{lo}-{hi} s"),
            (Some(lo), None) => format!("at least {lo} s"),
            (None, Some(hi)) => format!("at most {hi} s"),
            (None, None) => String::new(),
        };
        let (passed, detail) = match duration_seconds {
            None => (false, "the recording's length could not be measured".to_owned()),
            Some(d) => {
                let ok = brief.min_seconds.is_none_or(|lo| d >= f64::from(lo))
                    && brief.max_seconds.is_none_or(|hi| d <= f64::from(hi));
                (ok, format!("{d:.1} s measured"))
            }
        };
        items.push(CheckItem { kind: CheckKind::Length, subject: bounds, passed, detail });
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ad_read::brief::tests::brief;

    const GOOD: &str = "This episode is brought to you by Acme Mattress. Acme mattresses are made of \
        organic cotton and arrive in three days. Sleep better tonight: go to acme dot com slash pod and \
        use code POD 20 for twenty percent off. Again, that is code POD20. Acme paid for this message.";

    fn item(items: &[CheckItem], kind: CheckKind) -> &CheckItem {
        items.iter().find(|i| i.kind == kind).unwrap()
    }

    #[test]
    fn a_faithful_read_passes_every_item() {
        let items = check(&brief(), GOOD, Some(45.0));
        assert_eq!(items.len(), 2 + 1 + 1 + 1 + 1 + 1, "{items:#?}");
        assert!(items.iter().all(|i| i.passed), "{items:#?}");
        assert!(failed_labels(&items).is_empty());
    }

    #[test]
    fn a_missing_promo_code_fails_that_item_only() {
        let once = GOOD.replace("Again, that is code POD20.", "");
        let items = check(&brief(), &once, Some(45.0));
        assert_eq!(failed_labels(&items), ["promoCode"]);
        assert_eq!(item(&items, CheckKind::PromoCode).detail, "said 1 time (at least 2 needed)");
        let none = check(&brief(), "Acme mattresses organic cotton three days", Some(45.0));
        assert_eq!(item(&none, CheckKind::PromoCode).detail, "said 0 times (at least 2 needed)");
    }

    #[test]
    fn talking_points_pass_at_the_documented_coverage_and_not_below() {
        // "Organic cotton, delivered in three days": content tokens organic, cotton, delivered,
        // three, days (5). Three of them is 60 %: covered; two is 40 %: not.
        let said = |s: &str| tokens(s).into_iter().collect::<BTreeSet<_>>();
        let point = "Organic cotton, delivered in three days";
        assert!((coverage(point, &said("organic cotton three")) - 0.6).abs() < 1e-9);
        assert!(coverage(point, &said("organic cotton three")) >= TALKING_POINT_COVERAGE);
        assert!(coverage(point, &said("organic cotton")) < TALKING_POINT_COVERAGE);
        assert_eq!(coverage("", &said("x")), 1.0);
        assert_eq!(coverage("to be", &said("to be")), 1.0, "a point of stopwords only needs them all");
        assert_eq!(coverage("to be", &said("to")), 0.5);
        let items = check(&brief(), &GOOD.replace("organic cotton", "foam"), Some(45.0));
        assert_eq!(failed_labels(&items), ["talkingPoint[1]"]);
    }

    #[test]
    fn phrases_claims_disclosure_and_length_each_fail_on_their_own() {
        let no_phrase = GOOD.replace("Sleep better tonight", "Rest");
        let items = check(&brief(), &no_phrase, Some(45.0));
        assert_eq!(failed_labels(&items), ["requiredPhrase[0]"]);
        assert_eq!(item(&items, CheckKind::RequiredPhrase).detail, "not said");
        assert_eq!(item(&check(&brief(), GOOD, Some(45.0)), CheckKind::RequiredPhrase).detail, "said");
        let no_disclosure = GOOD.replace("Acme paid for this message.", "");
        let items = check(&brief(), &no_disclosure, Some(45.0));
        assert_eq!(failed_labels(&items), ["disclosure"]);
        assert_eq!(item(&items, CheckKind::Disclosure).detail, "not said");
        assert_eq!(item(&check(&brief(), GOOD, Some(45.0)), CheckKind::Disclosure).detail, "said");
        let claim = format!("{GOOD} It cures back pain.");
        let items = check(&brief(), &claim, Some(45.0));
        assert_eq!(failed_labels(&items), ["forbiddenClaim[0]"]);
        assert_eq!(item(&items, CheckKind::ForbiddenClaim).detail, "made 1 time");
        assert_eq!(failed_labels(&check(&brief(), GOOD, Some(29.9))), ["length"]);
        assert_eq!(failed_labels(&check(&brief(), GOOD, Some(60.1))), ["length"]);
        assert_eq!(failed_labels(&check(&brief(), GOOD, Some(30.0))), Vec::<String>::new());
        assert_eq!(failed_labels(&check(&brief(), GOOD, Some(60.0))), Vec::<String>::new());
        let unmeasured = check(&brief(), GOOD, None);
        assert_eq!(item(&unmeasured, CheckKind::Length).detail, "the recording's length could not be measured");
        assert_eq!(item(&unmeasured, CheckKind::Length).subject, "30-60 s");
    }

    #[test]
    fn a_brief_without_items_checks_nothing() {
        let mut b = brief();
        b.talking_points.clear();
        b.required_phrases.clear();
        b.forbidden_claims.clear();
        b.promo_code = None;
        b.disclosure = None;
        b.min_seconds = None;
        b.max_seconds = Some(60);
        let items = check(&b, "", Some(10.0));
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].subject, "at most 60 s");
        b.max_seconds = None;
        b.min_seconds = Some(5);
        assert_eq!(check(&b, "", Some(4.0))[0].subject, "at least 5 s");
        assert!(!check(&b, "", Some(4.0))[0].passed);
        b.min_seconds = None;
        assert!(check(&b, "", None).is_empty());
    }

    #[test]
    fn normalizing_and_counting() {
        assert_eq!(tokens("Hello, World! 20%off"), ["hello", "world", "20", "off"]);
        assert_eq!(phrase_count("world", &tokens("world, world")), 2);
        assert_eq!(phrase_count("", &tokens("a")), 0);
        assert_eq!(phrase_count("a b c", &tokens("a b")), 0);
        assert_eq!(phrase_count("a b", &tokens("A, b")), 1, "as long as what was said");
        assert_eq!(code_mentions("POD-20", "use pod 20, POD20 and pod twenty"), 2);
        assert_eq!(code_mentions("--", "anything"), 0);
    }
}
