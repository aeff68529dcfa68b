//! `GET /photos/{n}`: a case's photo, to a caller who sees the case (with
//! a token, as for `/graphql`); 404 alike for a photo that does not exist
//! and one of a case out of sight. Images are served as themselves and
//! nothing else (`nosniff`, no scripts), kept privately by the browser.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

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

pub(super) async fn photo(
    State(state): State<HttpState>,
    Extension(AuthenticatedCaller(caller, _)): Extension<AuthenticatedCaller>,
    Path(number): Path<String>,
) -> Response {
    let Some(caller) = caller else {
        return problem(
            Media::Json,
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "send your token as for /graphql",
        );
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
            return problem(
                Media::Json,
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "internal error",
            );
        }
    };
    let bytes = match state.app.photos.read(&found.sha256).await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::error!(error = ?err, photo = id, "a photo's file is missing");
            return not_found();
        }
    };
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, found.content_type.as_str()),
        (header::CACHE_CONTROL, "private, max-age=3600"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CONTENT_SECURITY_POLICY, "default-src 'none'"),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    response
}
