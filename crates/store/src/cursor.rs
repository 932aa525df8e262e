//! Opaque pagination cursors: the position of the last item of a page, signed with HMAC-SHA256
//! and bound to the query (index, partition, sort condition, direction). A cursor that was
//! altered, forged, or replayed against another query (another tenant's partition included) is
//! refused with [`StoreError::InvalidCursor`].

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::item::{Item, StoredItem};
use crate::table::{Query, StoreError, Table};

type HmacSha256 = Hmac<Sha256>;

/// Longest cursor accepted; real ones are a few hundred bytes.
const MAX_CURSOR_LEN: usize = 4096;

/// Signs and verifies cursors with one secret key.
#[derive(Clone)]
pub struct CursorCodec {
    key: Vec<u8>,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec(..)")
    }
}

/// One page for a client: items (as read, for the caller to decode) and the cursor of the next
/// page, if there is one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    /// Items in order.
    pub items: Vec<StoredItem>,
    /// Opaque cursor of the next page; `None` on the last page.
    pub cursor: Option<String>,
}

impl CursorCodec {
    /// A codec with this secret (at least 32 bytes of randomness in production).
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self { key: secret.into() }
    }

    fn mac(&self, query: &Query, payload: &[u8]) -> HmacSha256 {
        // Infallible: HMAC accepts keys of any length.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        let binding =
            format!("{:?}\u{0}{}\u{0}{:?}\u{0}{}\u{0}", query.index, query.partition, query.sort, query.forward);
        mac.update(binding.as_bytes());
        mac.update(payload);
        mac
    }

    /// The cursor continuing `query` after `position`.
    pub fn encode(&self, query: &Query, position: &Item) -> String {
        let payload = serde_json::to_vec(position).unwrap_or_default();
        let tag = self.mac(query, &payload).finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(tag))
    }

    /// The position a cursor stands for, if it is genuine and was made for this query.
    pub fn decode(&self, query: &Query, cursor: &str) -> Result<Item, StoreError> {
        if cursor.len() > MAX_CURSOR_LEN {
            return Err(StoreError::InvalidCursor);
        }
        let (p, t) = cursor.split_once('.').ok_or(StoreError::InvalidCursor)?;
        let payload = URL_SAFE_NO_PAD.decode(p).map_err(|_| StoreError::InvalidCursor)?;
        let tag = URL_SAFE_NO_PAD.decode(t).map_err(|_| StoreError::InvalidCursor)?;
        self.mac(query, &payload).verify_slice(&tag).map_err(|_| StoreError::InvalidCursor)?;
        serde_json::from_slice(&payload).map_err(|_| StoreError::InvalidCursor)
    }
}

/// Reads one page of `query` (its `limit` is the page size) starting at `cursor`. A cursor is
/// returned only when more items exist, so the last page never comes back empty-handed with a
/// cursor pointing at nothing.
pub async fn page(
    table: &dyn Table,
    codec: &CursorCodec,
    query: &Query,
    cursor: Option<&str>,
) -> Result<Page, StoreError> {
    let size = query.limit.max(1);
    let mut q = query.clone();
    q.start_after = match cursor {
        Some(c) => Some(codec.decode(query, c)?),
        None => None,
    };
    // One item more than asked tells whether another page exists.
    q.limit = size.saturating_add(1);
    let out = table.query_stored(&q).await?;
    let mut items = out.items;
    let cursor = if items.len() > size as usize {
        items.truncate(size as usize);
        items.last().map(|last| Ok(codec.encode(query, &last.position_in(query.index)?))).transpose()?
    } else {
        // The backend may stop early (DynamoDB's 1 MB page) and still have more.
        out.last_key.as_ref().filter(|_| !items.is_empty()).map(|k| codec.encode(query, k))
    };
    Ok(Page { items, cursor })
}

#[cfg(test)]
mod tests {
    use super::*;
    use podcastflow_domain::keys::Index;
    use serde_json::json;

    fn pos() -> Item {
        json!({"PK": "ORG#a#X", "SK": "1"}).as_object().cloned().unwrap()
    }

    #[test]
    fn cursors_round_trip_and_are_bound_to_their_query() {
        let codec = CursorCodec::new(b"0123456789abcdef0123456789abcdef".to_vec());
        let q = Query::partition(Index::Main, "ORG#a#X");
        let c = codec.encode(&q, &pos());
        assert_eq!(codec.decode(&q, &c).unwrap(), pos());
        let other_partition = Query::partition(Index::Main, "ORG#b#X");
        assert_eq!(codec.decode(&other_partition, &c), Err(StoreError::InvalidCursor));
        assert_eq!(codec.decode(&q.clone().reverse(), &c), Err(StoreError::InvalidCursor));
        let other_key = CursorCodec::new(b"another secret".to_vec());
        assert_eq!(other_key.decode(&q, &c), Err(StoreError::InvalidCursor));
    }

    #[test]
    fn tampered_cursors_are_refused() {
        let codec = CursorCodec::new(b"k".to_vec());
        let q = Query::partition(Index::Main, "P");
        let c = codec.encode(&q, &pos());
        let (p, t) = c.split_once('.').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"PK":"ORG#b#X","SK":"1"}"#);
        for bad in [
            String::new(),
            "nodot".into(),
            format!("{forged_payload}.{t}"),
            format!("{p}.AAAA"),
            format!("{p}!.{t}"),
            "x".repeat(5000),
        ] {
            assert_eq!(codec.decode(&q, &bad), Err(StoreError::InvalidCursor), "{bad}");
        }
    }
}
