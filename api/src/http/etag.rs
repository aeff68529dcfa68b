//! Conditional GETs: a browser that holds a response names its `ETag` in
//! `If-None-Match`, and gets 304 instead of the bytes again.

use axum::http::{HeaderMap, header};

/// Whether `If-None-Match` names `tag` (a quoted `ETag`, weakly or not) or
/// any version at all (`*`).
pub(super) fn already_held(headers: &HeaderMap, tag: &str) -> bool {
    let Some(asked) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    asked
        .split(',')
        .map(|each| each.trim().trim_start_matches("W/"))
        .any(|each| each == "*" || each == tag)
}
