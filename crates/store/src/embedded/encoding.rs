//! Order-preserving byte encoding of key tuples, so redb's byte order is DynamoDB's order.
//!
//! Each string component is written with its 0x00 bytes escaped as `00 01` and terminated by
//! `00 00`. Comparing encodings byte-wise then compares tuples component by component, and a
//! string's escaped form is a prefix of the escaped form of every string it prefixes. UTF-8 never
//! contains 0xFF, so appending 0xFF to a prefix gives a strict upper bound of everything under it.

use std::ops::Bound;

use crate::table::KeyCondition;

const END: u8 = 0xFF;

/// Appends one escaped component without its terminator.
fn escape_into(out: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        if b == 0 {
            out.extend_from_slice(&[0, 1]);
        } else {
            out.push(b);
        }
    }
}

/// Appends one full component (escaped and terminated).
fn component_into(out: &mut Vec<u8>, s: &str) {
    escape_into(out, s);
    out.extend_from_slice(&[0, 0]);
}

/// The encoding of a tuple of strings.
pub fn encode(parts: &[&str]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 2).sum());
    for p in parts {
        component_into(&mut out, p);
    }
    out
}

/// Splits an encoding back into its components.
pub fn decode(mut bytes: &[u8]) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    while !bytes.is_empty() {
        let mut cur = Vec::new();
        loop {
            match bytes {
                [0, 0, rest @ ..] => {
                    bytes = rest;
                    break;
                }
                [0, 1, rest @ ..] => {
                    cur.push(0);
                    bytes = rest;
                }
                [b, rest @ ..] if *b != 0 => {
                    cur.push(*b);
                    bytes = rest;
                }
                _ => return None,
            }
        }
        parts.push(String::from_utf8(cur).ok()?);
    }
    Some(parts)
}

/// The byte range of one partition, narrowed by a sort key condition.
pub fn range(partition: &str, sort: Option<&KeyCondition>) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let base = encode(&[partition]);
    let with = |s: &str, terminated: bool, upper: bool| {
        let mut v = base.clone();
        if terminated {
            component_into(&mut v, s);
        } else {
            escape_into(&mut v, s);
        }
        if upper {
            v.push(END);
        }
        v
    };
    // Keys of this partition start with base; the next partition starts at base with 00 00 -> 00 01.
    let mut end = base.clone();
    end.truncate(end.len() - 1);
    end.push(1);
    use Bound::{Excluded, Included};
    match sort {
        None => (Included(base.clone()), Excluded(end)),
        Some(KeyCondition::Eq(s)) => (Included(with(s, true, false)), Excluded(with(s, true, true))),
        Some(KeyCondition::BeginsWith(s)) => (Included(with(s, false, false)), Excluded(with(s, false, true))),
        Some(KeyCondition::Between(a, b)) => (Included(with(a, true, false)), Excluded(with(b, true, true))),
        Some(KeyCondition::Lt(s)) => (Included(base.clone()), Excluded(with(s, true, false))),
        Some(KeyCondition::Le(s)) => (Included(base.clone()), Excluded(with(s, true, true))),
        Some(KeyCondition::Gt(s)) => (Included(with(s, true, true)), Excluded(end)),
        Some(KeyCondition::Ge(s)) => (Included(with(s, true, false)), Excluded(end)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn within(r: &(Bound<Vec<u8>>, Bound<Vec<u8>>), k: &[u8]) -> bool {
        use std::ops::RangeBounds;
        let lo = r.0.as_ref().map(Vec::as_slice);
        let hi = r.1.as_ref().map(Vec::as_slice);
        RangeBounds::<[u8]>::contains(&(lo, hi), k)
    }

    #[test]
    fn encoding_preserves_tuple_order_and_round_trips() {
        let tuples: Vec<Vec<&str>> = vec![
            vec!["a", "b"],
            vec!["a", "b\u{0}"],
            vec!["a", "ba"],
            vec!["a\u{0}", "a"],
            vec!["ab", ""],
            vec!["b", "a"],
        ];
        let enc: Vec<Vec<u8>> = tuples.iter().map(|t| encode(t)).collect();
        for w in enc.windows(2) {
            assert!(w[0] < w[1]);
        }
        for (t, e) in tuples.iter().zip(&enc) {
            assert_eq!(decode(e).unwrap(), *t);
        }
    }

    #[test]
    fn ranges_select_exactly_their_keys() {
        let keys = ["A#0", "A#1", "A#10", "A#2", "B#1", ""];
        let cases: Vec<(Option<KeyCondition>, Vec<&str>)> = vec![
            (None, keys.to_vec()),
            (Some(KeyCondition::Eq("A#1".into())), vec!["A#1"]),
            (Some(KeyCondition::BeginsWith("A#1".into())), vec!["A#1", "A#10"]),
            (Some(KeyCondition::Between("A#1".into(), "A#2".into())), vec!["A#1", "A#10", "A#2"]),
            (Some(KeyCondition::Lt("A#1".into())), vec!["A#0", ""]),
            (Some(KeyCondition::Le("A#1".into())), vec!["A#0", "A#1", ""]),
            (Some(KeyCondition::Gt("A#1".into())), vec!["A#10", "A#2", "B#1"]),
            (Some(KeyCondition::Ge("A#2".into())), vec!["A#2", "B#1"]),
        ];
        for (cond, expected) in cases {
            let r = range("P", cond.as_ref());
            for k in keys {
                // A GSI key carries the table key after the index key: the range must hold either way.
                for enc in [encode(&["P", k]), encode(&["P", k, "PK", "SK"])] {
                    assert_eq!(within(&r, &enc), expected.contains(&k), "{cond:?} {k}");
                }
            }
            assert!(!within(&r, &encode(&["P\u{0}", "A#1"])));
            assert!(!within(&r, &encode(&["PA", "A#1"])));
        }
    }
}
