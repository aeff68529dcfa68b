//! Who the caller is: its account, the department it acts for and the roles
//! its subject holds. Every caller may read this of itself, and only of
//! itself.

use entities::{department, user};
use policies::{RoleAssignment, Subject};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::domain::access::Access;
use crate::error::ApiResult;

/// The caller as `me` shows it.
pub struct WhoAmI {
    /// The user, for a signed-in user or an application token.
    pub account: Option<user::Model>,
    /// The department the caller acts for, if any.
    pub department: Option<department::Model>,
    /// The roles the caller's subject holds; a token is narrowed further by
    /// its scopes and areas.
    pub roles: Vec<RoleAssignment>,
}

/// The caller; UNAUTHENTICATED for an anonymous one.
pub async fn whoami(access: &Access) -> ApiResult<WhoAmI> {
    let caller = access.caller()?;
    let db = access.db();
    let account = match caller.user_id {
        Some(id) => user::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let department_id = caller
        .department_id
        .or(account.as_ref().and_then(|a| a.department_id));
    let department = match (department_id, &caller.principal.subject) {
        (Some(id), _) => department::Entity::find_by_id(id).one(db).await?,
        (None, Subject::Department(code)) => {
            department::Entity::find()
                .filter(department::Column::Code.eq(code.as_str()))
                .one(db)
                .await?
        }
        (None, Subject::User(_)) => None,
    };
    Ok(WhoAmI {
        account,
        department,
        roles: access
            .authorizer()
            .assignments_of(&caller.principal.subject),
    })
}
