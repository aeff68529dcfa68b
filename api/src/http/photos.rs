//! `GET /photos/{n}`: a case's photo, to a caller who sees the case (with
//! a token, as for `/graphql`); 404 alike for a photo that does not exist
//! and one of a case out of sight. Admitted like any request, and handed
//! over only once the audit log has it. Images are served as themselves
//! and nothing else (`nosniff`, no scripts); a browser keeps them privately
//! and asks again each time (an `ETag` makes that cheap), so that losing
//! sight of a case also loses its photos.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::etag;
use super::graphql::{Media, problem};
use super::{AuthenticatedCaller, HttpState, refused};
use crate::domain::cases::photos;
use crate::error::ApiError;

fn not_found() -> Response {
    problem(
        Media::Json,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "no photo of yours by this number",
    )
}

fn internal() -> Response {
    problem(
        Media::Json,
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL",
        "internal error",
    )
}

pub(super) async fn photo(
    State(state): State<Arc<HttpState>>,
    Extension(AuthenticatedCaller(caller, key)): Extension<AuthenticatedCaller>,
    Path(number): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(caller) = caller else {
        return problem(
            Media::Json,
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "send your token as for /graphql",
        );
    };
    let _ticket = match state.admission.admit(&key, 1).await {
        Ok(ticket) => ticket,
        Err(refusal) => return refused(Media::Json, &refusal),
    };
    let Ok(id) = number.parse::<i64>() else {
        return not_found();
    };
    let access = state.app.access(Some(caller));
    let found = match photos::find(&access, id).await {
        Ok(Some(row)) => row,
        Ok(None) => return not_found(),
        Err(err @ ApiError::Unavailable) => return refused(Media::Json, &err),
        Err(err) => {
            tracing::error!(error = ?err, "cannot look up a photo");
            return internal();
        }
    };
    // The picture is named by its hash: the same tag means the same bytes.
    let tag = format!("\"{}\"", found.sha256);
    let bytes = if etag::already_held(&headers, &tag) {
        None
    } else {
        match state.app.photos.read(&found.sha256).await {
            Ok(bytes) => Some(bytes),
            Err(err) => {
                tracing::error!(error = ?err, photo = id, "a photo's file is missing");
                return not_found();
            }
        }
    };
    if let Err(err) = access.record_reads().await {
        tracing::error!(error = ?err, "cannot audit a photo read; withholding it");
        return match err {
            ApiError::Unavailable => refused(Media::Json, &err),
            _ => internal(),
        };
    }
    let mut response = match bytes {
        Some(bytes) => (StatusCode::OK, bytes).into_response(),
        None => StatusCode::NOT_MODIFIED.into_response(),
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, found.content_type.as_str()),
        (header::ETAG, tag.as_str()),
        (header::CACHE_CONTROL, "private, no-cache"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CONTENT_SECURITY_POLICY, "default-src 'none'"),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    response
}
