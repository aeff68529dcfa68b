//! The authenticated caller of one request.

use policies::{Action, Authorizer, Domain, Object, Principal, Scope};

use crate::error::{ApiError, ApiResult};

/// A caller whose credentials checked out: a signed-in user, or a scoped
/// API token acting for a department or an application.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    /// The signed-in user, or the user an application token acts for.
    pub user_id: Option<i64>,
    /// The department a department token acts for.
    pub department_id: Option<i64>,
    pub token_id: Option<i64>,
    /// How the audit log names the caller.
    pub name: String,
    /// When the credentials stop being valid: a live subscription ends then.
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// The access token's id (`jti`), for a signed-in user: the audit log
    /// tells one session's entries by it.
    pub session: Option<String>,
    /// The address the request came from, as the audit log records it.
    pub address: Option<String>,
}

impl Caller {
    /// Whether its credentials have not yet expired.
    pub fn is_live(&self) -> bool {
        self.expires_at > chrono::Utc::now()
    }

    /// `check` at one place; a refusal is FORBIDDEN.
    pub fn require(
        &self,
        authorizer: &Authorizer,
        domain: &Domain,
        object: Object,
        action: Action,
    ) -> ApiResult<()> {
        if authorizer.check(&self.principal, domain, object, action) {
            Ok(())
        } else {
            Err(ApiError::forbidden(object, action))
        }
    }

    /// `check` for city-wide objects (policies, tokens, the audit log).
    pub fn require_city(
        &self,
        authorizer: &Authorizer,
        object: Object,
        action: Action,
    ) -> ApiResult<()> {
        self.require(authorizer, &Domain::City, object, action)
    }

    pub fn scope(&self, authorizer: &Authorizer, object: Object, action: Action) -> Scope {
        authorizer.scope(&self.principal, object, action)
    }
}

/// The address a GraphQL request came from, whoever sent it: what a
/// sign-in's audit row records, its caller being nobody yet.
#[derive(Debug, Clone, Default)]
pub struct ClientAddress(pub Option<String>);
