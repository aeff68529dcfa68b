//! Why a subject may or may not do something somewhere: the decision,
//! the rules that made it, and where its lists reach.

use policies::{Action, Authorizer, Domain, Object, RuleError, Subject};
use sea_orm::DatabaseConnection;

use crate::domain::access::Access;
use crate::domain::policy_admin::field_error;
use crate::domain::within::condition_sql;
use crate::error::ApiResult;

/// Why a subject may or may not do something in one place, and where a
/// list of that object reaches for it.
pub struct AccessExplained {
    pub subject: Subject,
    pub object: Object,
    pub action: Action,
    pub domain: Domain,
    pub explanation: policies::authorizer::Explanation,
    pub scope: policies::Scope,
    /// The SQL condition lists of the object run with, on the rows' grid
    /// code, for this database.
    pub condition: String,
}

/// Explains the decision for `subject` (the caller, with its token, when
/// `None`): to admins about anyone, to anyone about themselves.
pub fn explain_access(
    access: &Access,
    subject: Option<&str>,
    [object, action, area]: [&str; 3],
) -> ApiResult<AccessExplained> {
    let caller = access.caller()?;
    let principal = match subject {
        None => caller.principal.clone(),
        Some(text) => {
            let subject = Subject::parse(text).map_err(field_error)?;
            if subject == caller.principal.subject {
                caller.principal.clone()
            } else {
                access.require_city(Object::Policy, Action::Read)?;
                policies::Principal {
                    subject,
                    token: None,
                }
            }
        }
    };
    explain(
        access.db(),
        access.authorizer(),
        principal,
        [object, action, area],
    )
}

/// The explanation for `principal`, unchecked: for the command line, whose
/// user holds the database itself.
pub fn explain(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    principal: policies::Principal,
    [object, action, area]: [&str; 3],
) -> ApiResult<AccessExplained> {
    let object = Object::parse(object)
        .ok_or_else(|| field_error(RuleError::UnknownObject(object.to_owned())))?;
    let action = Action::parse(action)
        .ok_or_else(|| field_error(RuleError::UnknownAction(action.to_owned())))?;
    let domain = Domain::parse(area).map_err(field_error)?;
    let scope = authorizer.scope(&principal, object, action);
    let condition = condition_sql(db, &scope);
    Ok(AccessExplained {
        explanation: authorizer.explain(&principal, &domain, object, action),
        subject: principal.subject,
        object,
        action,
        domain,
        scope,
        condition,
    })
}
