//! The one error type of the API, and the one place it becomes a GraphQL error.

use async_graphql::ErrorExtensions;

/// What can go wrong while answering a request. Each variant has a stable
/// `extensions.code`; only [`ApiError::Internal`] carries detail, and that
/// detail goes to the log, never to the caller.
///
/// Deliberately not `Display`: async-graphql turns anything displayable into
/// an error without a code, so the only way out is the conversion below.
#[derive(Debug)]
pub enum ApiError {
    Unauthenticated,
    Forbidden,
    NotFound(&'static str),
    BadUserInput { field: String, message: String },
    Conflict(String),
    InvalidState(String),
    RateLimited,
    QueryTooComplex(String),
    Internal(anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// What the caller is told.
    pub fn message(&self) -> String {
        match self {
            ApiError::Unauthenticated => "authentication required".to_owned(),
            ApiError::Forbidden => "not allowed".to_owned(),
            ApiError::NotFound(what) => format!("{what} not found"),
            ApiError::BadUserInput { field, message } => format!("{field}: {message}"),
            ApiError::Conflict(message)
            | ApiError::InvalidState(message)
            | ApiError::QueryTooComplex(message) => message.clone(),
            ApiError::RateLimited => "too many requests, slow down".to_owned(),
            ApiError::Internal(_) => "internal error".to_owned(),
        }
    }

    /// The stable machine-readable code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "UNAUTHENTICATED",
            ApiError::Forbidden => "FORBIDDEN",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::BadUserInput { .. } => "BAD_USER_INPUT",
            ApiError::Conflict(_) => "CONFLICT",
            ApiError::InvalidState(_) => "INVALID_STATE",
            ApiError::RateLimited => "RATE_LIMITED",
            ApiError::QueryTooComplex(_) => "QUERY_TOO_COMPLEX",
            ApiError::Internal(_) => "INTERNAL",
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> ApiError {
        ApiError::Internal(err.into())
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> async_graphql::Error {
        if let ApiError::Internal(detail) = &err {
            tracing::error!(error = ?detail, "internal error");
        }
        let code = err.code();
        let field = match &err {
            ApiError::BadUserInput { field, .. } => Some(field.clone()),
            _ => None,
        };
        async_graphql::Error::new(err.message()).extend_with(|_, extensions| {
            extensions.set("code", code);
            if let Some(field) = &field {
                extensions.set("field", field.as_str());
            }
        })
    }
}
