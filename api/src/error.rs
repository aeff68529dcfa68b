//! The one error type of the API, and the one place it becomes a GraphQL error.

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, RuntimeErr};

/// What can go wrong while answering a request. Each variant has a stable
/// `extensions.code`; only [`ApiError::Internal`] carries detail, and that
/// detail goes to the log, never to the caller.
///
/// Deliberately not `Display`: async-graphql turns anything displayable into
/// an error without a code, so the only way out is the conversion below.
#[derive(Debug)]
pub enum ApiError {
    /// No credentials, or credentials that did not check out; says which.
    Unauthenticated(&'static str),
    /// Visible but not allowed; says what was refused.
    Forbidden(String),
    /// The object a write names (by the input field `field`) does not
    /// exist, or not where the caller can see it.
    NotFound {
        what: &'static str,
        field: &'static str,
    },
    /// An input field the user can put right; `field` is its name in the
    /// input (`idNumber`, `targets.areas`).
    BadUserInput {
        field: String,
        message: String,
        fault: Fault,
    },
    /// The object changed since it was read at the given `version`;
    /// `field` is the input that named it (`version` for the object the
    /// mutation changes, `householdId` for a household it changes too).
    Conflict {
        message: String,
        field: &'static str,
    },
    /// The object is not in a state that allows this write.
    InvalidState(String),
    /// Too much from this caller (or of this kind) at once: try again after
    /// this many seconds.
    RateLimited {
        retry_after_secs: u64,
    },
    QueryTooComplex(String),
    /// The database cannot be reached: nothing is wrong with the request,
    /// and the same request may succeed in a moment.
    Unavailable,
    /// Every slot is taken and the wait for one ran out: the same request
    /// may succeed in a moment.
    Busy,
    /// A live subscriber fell this many events behind the channel, or (no
    /// count) events were lost on their way to this replica, and the stream
    /// ends: subscribe again and re-read what it was following.
    MissedEvents(Option<u64>),
    Internal(anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

/// What is wrong with a write that the person making it can put right.
/// Mutations answer these as `userErrors`, each family with its own code
/// enum (described for clients in `graphql::payload`); anything else stays a
/// top-level error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Invalid,
    Required,
    /// Unique, and in use.
    Taken,
    /// Missing, or out of the caller's sight (the two look the same).
    NotFound,
    /// A stale `version`.
    Conflict,
    InvalidState,
    NothingToChange,
}

/// A fault as a mutation's payload reports it: the path of the input field
/// (from the mutation's arguments, `["input", "idNumber"]`), when one field
/// is at fault.
#[derive(Debug)]
pub struct UserFault {
    pub fault: Fault,
    pub field: Option<Vec<String>>,
    pub message: String,
}

/// Seconds a client is asked to wait before retrying while the database is
/// away.
pub const UNAVAILABLE_RETRY_SECS: u64 = 1;

impl ApiError {
    /// A value not valid for its field.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::input_fault(Fault::Invalid, field, message)
    }

    /// A field that must be given here.
    pub fn required(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::input_fault(Fault::Required, field, message)
    }

    /// A unique value already in use.
    pub fn taken(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::input_fault(Fault::Taken, field, message)
    }

    /// A reference in the input to something that does not exist, or not
    /// where the caller can see it.
    pub fn missing(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::input_fault(Fault::NotFound, field, message)
    }

    /// The object a write names by `field` is not there for the caller.
    pub fn not_found(what: &'static str, field: &'static str) -> ApiError {
        ApiError::NotFound { what, field }
    }

    /// A write that would change nothing.
    pub fn nothing_to_change() -> ApiError {
        ApiError::input_fault(Fault::NothingToChange, "input", "nothing to change")
    }

    fn input_fault(fault: Fault, field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::BadUserInput {
            field: field.into(),
            message: message.into(),
            fault,
        }
    }

    /// What the user can put right, for a mutation's `userErrors`; any other
    /// error comes back as it was, to be answered at the top level.
    pub fn into_user_fault(self) -> Result<UserFault, ApiError> {
        let path = |field: &str| {
            let mut path = vec!["input".to_owned()];
            path.extend(
                field
                    .split('.')
                    .filter(|part| *part != "input")
                    .map(str::to_owned),
            );
            Some(path)
        };
        let mut message = self.message();
        let (fault, field) = match &self {
            ApiError::BadUserInput {
                field,
                fault,
                message: own,
            } => {
                // The field is named by the path; the message need not repeat it.
                message = own.clone();
                (*fault, path(field))
            }
            ApiError::NotFound { field, .. } => (Fault::NotFound, path(field)),
            ApiError::Conflict { field, .. } => (Fault::Conflict, path(field)),
            ApiError::InvalidState(_) => (Fault::InvalidState, None),
            _ => return Err(self),
        };
        Ok(UserFault {
            fault,
            field,
            message,
        })
    }

    /// The object changed since the caller read it at the `version` sent.
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::Conflict {
            message: message.into(),
            field: "version",
        }
    }

    /// A conflict on another object than the one the mutation names (a
    /// household changed with its member), blamed on the input that led to
    /// it. The caller never sent that object's version (the server read it
    /// inside the change), so the remedy is to send the change again, not
    /// to read anything. Any other error comes back unchanged.
    pub fn conflict_on(self, field: &'static str, what: &str) -> ApiError {
        match self {
            ApiError::Conflict { .. } => ApiError::Conflict {
                message: format!(
                    "the {what} was changed by someone else at the same moment; \
                     send your change again"
                ),
                field,
            },
            other => other,
        }
    }

    /// The caller sent no credentials but needs some.
    pub fn unauthenticated() -> ApiError {
        ApiError::Unauthenticated("authentication required: sign in and send the token")
    }

    /// A refusal naming what was refused: `action` on `object` here.
    pub fn forbidden(object: policies::Object, action: policies::Action) -> ApiError {
        ApiError::Forbidden(format!(
            "not allowed: your roles do not grant `{action}` on `{object}` here"
        ))
    }

    pub fn rate_limited(retry_after_secs: u64) -> ApiError {
        ApiError::RateLimited {
            retry_after_secs: retry_after_secs.max(1),
        }
    }

    /// What the caller is told.
    pub fn message(&self) -> String {
        match self {
            ApiError::Unauthenticated(message) => (*message).to_owned(),
            ApiError::NotFound { what, .. } => format!("{what} not found"),
            ApiError::BadUserInput { field, message, .. } => format!("{field}: {message}"),
            ApiError::Forbidden(message)
            | ApiError::Conflict { message, .. }
            | ApiError::InvalidState(message)
            | ApiError::QueryTooComplex(message) => message.clone(),
            ApiError::RateLimited { retry_after_secs } => {
                format!("too many requests: try again in {retry_after_secs} s")
            }
            ApiError::Unavailable => {
                "the database cannot be reached; try again in a moment".to_owned()
            }
            ApiError::Busy => "the server is busy; try again in a moment".to_owned(),
            ApiError::MissedEvents(Some(missed)) => format!(
                "this stream fell behind and missed {missed} events; subscribe again and re-read"
            ),
            ApiError::MissedEvents(None) => {
                "events may have been lost on their way to this server; subscribe again and re-read"
                    .to_owned()
            }
            ApiError::Internal(_) => "internal error".to_owned(),
        }
    }

    /// The stable machine-readable code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated(_) => "UNAUTHENTICATED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::NotFound { .. } => "NOT_FOUND",
            ApiError::BadUserInput { .. } => "BAD_USER_INPUT",
            ApiError::Conflict { .. } => "CONFLICT",
            ApiError::InvalidState(_) => "INVALID_STATE",
            ApiError::RateLimited { .. } => "RATE_LIMITED",
            ApiError::QueryTooComplex(_) => "QUERY_TOO_COMPLEX",
            ApiError::Unavailable | ApiError::Busy | ApiError::MissedEvents(_) => "UNAVAILABLE",
            ApiError::Internal(_) => "INTERNAL",
        }
    }

    /// Seconds after which the same request may succeed, for the errors
    /// that pass.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            ApiError::Unavailable | ApiError::Busy | ApiError::MissedEvents(_) => {
                Some(UNAVAILABLE_RETRY_SECS)
            }
            _ => None,
        }
    }
}

/// Whether a database error means the database is out of reach (a
/// connection refused, lost or not to be had in time) rather than anything
/// about the statement.
pub fn is_unreachable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        _ => under_statement(err).is_some_and(sqlx_unreachable),
    }
}

/// The driver's error under a statement that failed.
fn under_statement(err: &DbErr) -> Option<&sea_orm::sqlx::Error> {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(inner)) | DbErr::Query(RuntimeErr::SqlxError(inner)) => {
            Some(inner)
        }
        _ => None,
    }
}

fn sqlx_unreachable(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    matches!(err, Error::PoolTimedOut | Error::PoolClosed) || sqlx_lost(err)
}

/// Whether a connection was lost under a statement (not a pool too busy to
/// lend one).
fn sqlx_lost(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match err {
        Error::Io(_) | Error::Tls(_) | Error::WorkerCrashed | Error::Protocol(_) => true,
        // SQLSTATE class 08 is a connection exception; 57P01..57P03 are an
        // administrator's shutdown, a crash shutdown and "cannot connect now".
        Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// Whether `err` says a connection was lost, which makes the pools try
/// theirs before use for a while ([`crate::db::connection_lost`]).
fn is_lost(err: &DbErr) -> bool {
    match err {
        DbErr::Conn(RuntimeErr::SqlxError(inner)) => sqlx_lost(inner),
        _ => under_statement(err).is_some_and(sqlx_lost),
    }
}

/// Whether PostgreSQL gave the transaction up to let others through (a
/// deadlock broken, or a serialisation failure): nothing is wrong with the
/// request, and the same one run again will most likely pass.
fn is_given_up(err: &DbErr) -> bool {
    match under_statement(err) {
        Some(sea_orm::sqlx::Error::Database(db)) => db
            .code()
            .is_some_and(|code| matches!(&*code, "40P01" | "40001")),
        _ => false,
    }
}

/// A lost connection found here, on whichever path, also tells the pools
/// to try their connections ([`crate::db::connection_lost`]).
impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> ApiError {
        if is_unreachable(&err) {
            if is_lost(&err) {
                crate::db::connection_lost();
            }
            tracing::warn!(error = %err, "the database is out of reach");
            return ApiError::Unavailable;
        }
        if is_given_up(&err) {
            tracing::warn!(error = %err, "the database gave a transaction up");
            return ApiError::Busy;
        }
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
        let retry_after = err.retry_after();
        async_graphql::Error::new(err.message()).extend_with(|_, extensions| {
            extensions.set("code", code);
            if let Some(field) = &field {
                extensions.set("field", field.as_str());
            }
            if let Some(seconds) = retry_after {
                extensions.set("retryAfter", seconds);
            }
        })
    }
}
