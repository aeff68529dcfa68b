//! Keyset pages: a page is "the first N rows after this key" on a stable
//! ordering, so page 5,000 costs what page 1 costs. No OFFSET anywhere.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{ApiError, ApiResult};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// A validated request for one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub first: u64,
    /// The ordering key of the last row already seen.
    pub after: Option<String>,
}

impl PageRequest {
    /// Reads Relay's `first` and `after`; `kind` names the list the cursor
    /// must come from, so a cursor of one list is refused by another.
    pub fn new(first: Option<i32>, after: Option<String>, kind: &str) -> ApiResult<PageRequest> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => return Err(ApiError::bad_input("first", "must not be negative")),
            Some(n) if n as u64 > MAX_PAGE_SIZE => {
                return Err(ApiError::bad_input(
                    "first",
                    format!("at most {MAX_PAGE_SIZE} per page"),
                ));
            }
            Some(n) => n as u64,
        };
        let after = after
            .map(|cursor| decode_cursor(&cursor, kind))
            .transpose()?;
        Ok(PageRequest { first, after })
    }

    /// The number of rows to fetch: one more than asked tells whether there
    /// is a next page.
    pub fn fetch_limit(&self) -> u64 {
        self.first + 1
    }
}

/// A page of a list and the list's total, counted on demand.
pub struct Listing<T> {
    pub page: Page<T>,
    pub total: crate::domain::count::LazyCount,
}

/// One page of rows, each with its ordering key.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<(String, T)>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

impl<T> Page<T> {
    /// Cuts the over-fetched `rows` down to the page asked for.
    pub fn from_rows(
        mut rows: Vec<T>,
        request: &PageRequest,
        key: impl Fn(&T) -> String,
    ) -> Page<T> {
        let has_next_page = rows.len() as u64 > request.first;
        rows.truncate(request.first as usize);
        Page {
            rows: rows.into_iter().map(|row| (key(&row), row)).collect(),
            has_next_page,
            has_previous_page: request.after.is_some(),
        }
    }
}

/// Cursors are opaque to clients: base64 of the list's kind and the key.
pub fn encode_cursor(kind: &str, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{key}"))
}

fn decode_cursor(cursor: &str, kind: &str) -> ApiResult<String> {
    let invalid = || ApiError::bad_input("after", "not a cursor of this list");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix(kind)
        .and_then(|rest| rest.strip_prefix(':'))
        .map(str::to_owned)
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_within_their_list_only() {
        let cursor = encode_cursor("area", "420502003");
        let request = PageRequest::new(Some(5), Some(cursor.clone()), "area").expect("valid");
        assert_eq!(request.after.as_deref(), Some("420502003"));
        assert!(PageRequest::new(None, Some(cursor), "grid").is_err());
        assert!(PageRequest::new(None, Some("not base64!".into()), "area").is_err());
    }

    #[test]
    fn page_size_is_bounded() {
        assert_eq!(
            PageRequest::new(None, None, "area").map(|r| r.first).ok(),
            Some(DEFAULT_PAGE_SIZE)
        );
        assert!(PageRequest::new(Some(101), None, "area").is_err());
        assert!(PageRequest::new(Some(-1), None, "area").is_err());
        assert_eq!(
            PageRequest::new(Some(0), None, "area")
                .map(|r| r.first)
                .ok(),
            Some(0)
        );
    }

    #[test]
    fn over_fetched_rows_say_there_is_more() {
        let request = PageRequest::new(Some(2), None, "n").expect("valid");
        let page = Page::from_rows(vec![1, 2, 3], &request, |n| n.to_string());
        assert!(page.has_next_page);
        assert_eq!(page.rows.len(), 2);
        let page = Page::from_rows(vec![1, 2], &request, |n| n.to_string());
        assert!(!page.has_next_page);
    }
}
