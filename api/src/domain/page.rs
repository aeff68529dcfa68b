//! Keyset pages: a page is "the first N rows after this key" (or "the last
//! N rows before it") on a stable ordering, so page 5,000 costs what page 1
//! costs. No OFFSET anywhere.

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{ApiError, ApiResult};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// Relay's paging arguments as a client sent them.
#[derive(Debug, Clone, Default)]
pub struct Paging {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl Paging {
    /// The first `first` rows after `after`.
    pub fn forward(first: Option<i32>, after: Option<String>) -> Paging {
        Paging {
            first,
            after,
            ..Paging::default()
        }
    }

    /// The size a page of these arguments may reach, for cost estimates.
    pub fn size_bound(first: Option<i32>, last: Option<i32>) -> usize {
        first
            .or(last)
            .map_or(DEFAULT_PAGE_SIZE as usize, |n| n.max(0) as usize)
    }
}

/// A validated request for one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// How many rows the page holds at most.
    pub size: u64,
    /// The ordering key of the row the page starts after (forward) or ends
    /// before (backward).
    pub cursor: Option<String>,
    /// A page counted back from its end (`last`/`before`).
    pub backward: bool,
    /// Whether the list's total is asked for too: a keyset page then
    /// counts it in its own statement (see `scoped::keyset_of`).
    pub counted: bool,
}

impl PageRequest {
    /// Reads Relay's `first`/`after` or `last`/`before`; `kind` names the
    /// list the cursor must come from, so a cursor of one list is refused by
    /// another. One direction per request: `first` with `before` (or `last`
    /// with `after`) is refused rather than guessed at.
    pub fn new(paging: Paging, kind: &str) -> ApiResult<PageRequest> {
        let Paging {
            first,
            after,
            last,
            before,
        } = paging;
        if first.is_some() && last.is_some() {
            return Err(ApiError::bad_input(
                "last",
                "give `first` or `last`, not both",
            ));
        }
        if after.is_some() && before.is_some() {
            return Err(ApiError::bad_input(
                "before",
                "give `after` or `before`, not both",
            ));
        }
        if first.is_some() && before.is_some() {
            return Err(ApiError::bad_input(
                "before",
                "pages backward only with `last`",
            ));
        }
        if last.is_some() && after.is_some() {
            return Err(ApiError::bad_input(
                "after",
                "pages forward only with `first`",
            ));
        }
        let backward = last.is_some() || before.is_some();
        let (size_field, size) = if backward {
            ("last", last)
        } else {
            ("first", first)
        };
        let size = match size {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => {
                return Err(ApiError::bad_input(size_field, "must not be negative"));
            }
            Some(n) if n as u64 > MAX_PAGE_SIZE => {
                return Err(ApiError::bad_input(
                    size_field,
                    format!("at most {MAX_PAGE_SIZE} per page"),
                ));
            }
            Some(n) => n as u64,
        };
        let (cursor_field, cursor) = if backward {
            ("before", before)
        } else {
            ("after", after)
        };
        let cursor = cursor
            .map(|cursor| decode_cursor(&cursor, kind, cursor_field))
            .transpose()?;
        Ok(PageRequest {
            size,
            cursor,
            backward,
            counted: false,
        })
    }

    /// The same request, with the list's total asked for or not.
    pub fn counting(self, counted: bool) -> PageRequest {
        PageRequest { counted, ..self }
    }

    /// The number of rows to fetch: one more than asked tells whether there
    /// is more beyond the page.
    pub fn fetch_limit(&self) -> u64 {
        self.size + 1
    }

    /// The argument a bad cursor is blamed on.
    pub fn cursor_field(&self) -> &'static str {
        if self.backward { "before" } else { "after" }
    }
}

/// A page of a list and the list's total, counted on demand.
pub struct Listing<T> {
    pub page: Page<T>,
    pub total: crate::domain::count::LazyCount,
}

impl<T> Listing<T> {
    /// The same page with each row turned into another, or dropped (a
    /// stored row that no longer reads as one): the page may then be short,
    /// never wrong.
    pub fn filter_map<U>(self, f: impl Fn(T) -> Option<U>) -> Listing<U> {
        Listing {
            page: Page {
                rows: self
                    .page
                    .rows
                    .into_iter()
                    .filter_map(|(key, row)| f(row).map(|row| (key, row)))
                    .collect(),
                has_next_page: self.page.has_next_page,
                has_previous_page: self.page.has_previous_page,
            },
            total: self.total,
        }
    }
}

/// One page of rows, each with its ordering key, in the list's order.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<(String, T)>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

impl<T> Page<T> {
    /// Cuts the over-fetched `rows` down to the page asked for. A backward
    /// page's rows come nearest-the-cursor first (the statement ran the
    /// ordering reversed) and are turned back into the list's order.
    pub fn from_rows(
        mut rows: Vec<T>,
        request: &PageRequest,
        key: impl Fn(&T) -> String,
    ) -> Page<T> {
        let more = rows.len() as u64 > request.size;
        rows.truncate(request.size as usize);
        if request.backward {
            rows.reverse();
        }
        let from_cursor = request.cursor.is_some();
        Page {
            rows: rows.into_iter().map(|row| (key(&row), row)).collect(),
            has_next_page: if request.backward { from_cursor } else { more },
            has_previous_page: if request.backward { more } else { from_cursor },
        }
    }

    /// A page of a short list held whole in memory (a dwelling's residents,
    /// a case's timeline), `rows` in ascending order of `key`: the same
    /// paging as a keyset list, without another statement.
    pub fn of_all<K>(
        rows: Vec<T>,
        request: &PageRequest,
        key: impl Fn(&T) -> K,
    ) -> ApiResult<Page<T>>
    where
        K: Ord + ToString + FromStr,
    {
        let cursor = request
            .cursor
            .as_deref()
            .map(|text| {
                text.parse::<K>().map_err(|_| {
                    ApiError::bad_input(request.cursor_field(), "not a cursor of this list")
                })
            })
            .transpose()?;
        let mut window: Vec<T> = match (&cursor, request.backward) {
            (Some(cursor), false) => rows.into_iter().filter(|row| key(row) > *cursor).collect(),
            (Some(cursor), true) => rows.into_iter().filter(|row| key(row) < *cursor).collect(),
            (None, _) => rows,
        };
        if request.backward {
            window.reverse();
        }
        window.truncate(request.fetch_limit() as usize);
        Ok(Page::from_rows(window, request, |row| key(row).to_string()))
    }
}

/// Cursors are opaque to clients: base64 of the list's kind and the key.
pub fn encode_cursor(kind: &str, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{key}"))
}

fn decode_cursor(cursor: &str, kind: &str, field: &str) -> ApiResult<String> {
    let invalid = || ApiError::bad_input(field, "not a cursor of this list");
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

    fn forward(first: Option<i32>, after: Option<String>) -> Paging {
        Paging::forward(first, after)
    }

    fn backward(last: Option<i32>, before: Option<String>) -> Paging {
        Paging {
            last,
            before,
            ..Paging::default()
        }
    }

    #[test]
    fn cursors_round_trip_within_their_list_only() {
        let cursor = encode_cursor("area", "420502003");
        let request =
            PageRequest::new(forward(Some(5), Some(cursor.clone())), "area").expect("valid");
        assert_eq!(request.cursor.as_deref(), Some("420502003"));
        assert!(PageRequest::new(forward(None, Some(cursor)), "grid").is_err());
        assert!(PageRequest::new(forward(None, Some("not base64!".into())), "area").is_err());
    }

    #[test]
    fn page_size_is_bounded_both_ways() {
        assert_eq!(
            PageRequest::new(Paging::default(), "area")
                .map(|r| r.size)
                .ok(),
            Some(DEFAULT_PAGE_SIZE)
        );
        assert!(PageRequest::new(forward(Some(101), None), "area").is_err());
        assert!(PageRequest::new(forward(Some(-1), None), "area").is_err());
        assert!(PageRequest::new(backward(Some(101), None), "area").is_err());
        assert_eq!(
            PageRequest::new(forward(Some(0), None), "area")
                .map(|r| r.size)
                .ok(),
            Some(0)
        );
    }

    #[test]
    fn one_direction_per_request() {
        let cursor = Some(encode_cursor("n", "1"));
        let both_sizes = Paging {
            first: Some(1),
            last: Some(1),
            ..Paging::default()
        };
        assert!(PageRequest::new(both_sizes, "n").is_err());
        let both_cursors = Paging {
            after: cursor.clone(),
            before: cursor.clone(),
            ..Paging::default()
        };
        assert!(PageRequest::new(both_cursors, "n").is_err());
        let first_before = Paging {
            first: Some(1),
            before: cursor,
            ..Paging::default()
        };
        assert!(PageRequest::new(first_before, "n").is_err());
        assert!(PageRequest::new(backward(Some(3), None), "n").is_ok_and(|r| r.backward));
        assert!(PageRequest::new(backward(None, None), "n").is_ok_and(|r| !r.backward));
    }

    #[test]
    fn over_fetched_rows_say_there_is_more() {
        let request = PageRequest::new(forward(Some(2), None), "n").expect("valid");
        let page = Page::from_rows(vec![1, 2, 3], &request, |n| n.to_string());
        assert!(page.has_next_page);
        assert_eq!(page.rows.len(), 2);
        let page = Page::from_rows(vec![1, 2], &request, |n| n.to_string());
        assert!(!page.has_next_page);
    }

    #[test]
    fn a_backward_page_comes_back_in_the_lists_order() {
        let request =
            PageRequest::new(backward(Some(2), Some(encode_cursor("n", "9"))), "n").expect("valid");
        // The statement ran descending: 8, 7, 6.
        let page = Page::from_rows(vec![8, 7, 6], &request, |n| n.to_string());
        let keys: Vec<_> = page.rows.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(keys, ["7", "8"]);
        assert!(page.has_previous_page);
        assert!(page.has_next_page);
    }

    #[test]
    fn a_list_in_memory_pages_like_a_keyset_list() {
        let all: Vec<i64> = (1..=12).collect();
        let after =
            PageRequest::new(forward(Some(5), Some(encode_cursor("n", "9"))), "n").expect("valid");
        let page = Page::of_all(all.clone(), &after, |n| *n).expect("valid");
        let keys: Vec<_> = page.rows.iter().map(|(_, n)| *n).collect();
        assert_eq!(keys, [10, 11, 12]);
        assert!(!page.has_next_page && page.has_previous_page);
        let before = PageRequest::new(backward(Some(3), Some(encode_cursor("n", "10"))), "n")
            .expect("valid");
        let page = Page::of_all(all, &before, |n| *n).expect("valid");
        let keys: Vec<_> = page.rows.iter().map(|(_, n)| *n).collect();
        assert_eq!(keys, [7, 8, 9]);
        assert!(page.has_next_page && page.has_previous_page);
    }
}
