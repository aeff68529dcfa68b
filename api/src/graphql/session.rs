//! Signing in and out, and `me`: who the caller is.

use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use entities::{department, user};
use policies::{Domain, Subject};
use sea_orm::{ActiveEnum, ColumnTrait, EntityTrait, QueryFilter};

use super::ContextExt;
use crate::auth::sessions::{self, Session};

/// Tokens handed out at sign-in and refresh.
#[derive(SimpleObject)]
#[graphql(name = "Session")]
pub struct SessionTokens {
    /// A JWT to send as `Authorization: Bearer …`.
    access_token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds until the access token expires.
    expires_in: i64,
    /// An opaque, single-use token for `refresh`; keep it secret.
    refresh_token: String,
    /// The signed-in user's name.
    username: String,
}

impl From<Session> for SessionTokens {
    fn from(session: Session) -> SessionTokens {
        SessionTokens {
            access_token: session.access_token,
            token_type: "Bearer",
            expires_in: session.access_expires_in,
            refresh_token: session.refresh_token,
            username: session.user.username,
        }
    }
}

#[derive(Default)]
pub struct SessionMutation;

#[Object]
impl SessionMutation {
    /// Signs in. A wrong name or password gives UNAUTHENTICATED, the same
    /// for both.
    async fn login(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> Result<SessionTokens> {
        let state = ctx.state();
        let session = sessions::login(
            &state.db,
            &state.keys,
            state.lifetimes,
            &state.passwords,
            &username,
            &password,
        )
        .await?;
        Ok(session.into())
    }

    /// Trades a refresh token for new tokens. Each refresh token works once;
    /// presenting one again revokes every token of its sign-in.
    async fn refresh(&self, ctx: &Context<'_>, refresh_token: String) -> Result<SessionTokens> {
        let state = ctx.state();
        let session =
            sessions::refresh(&state.db, &state.keys, state.lifetimes, &refresh_token).await?;
        Ok(session.into())
    }

    /// Signs out: revokes the refresh token and every token of its sign-in.
    /// Access tokens already issued expire on their own, within minutes.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> Result<bool> {
        Ok(sessions::logout(&ctx.state().db, &refresh_token).await?)
    }
}

/// How the caller authenticated.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum CallerKind {
    /// A signed-in user with an access token.
    User,
    /// A scoped API token of a department or an application.
    Token,
}

/// A role the caller holds, and where.
#[derive(SimpleObject)]
pub struct RoleInArea {
    role: String,
    /// The area code, or `*` for the whole city.
    area: String,
}

/// A department, as far as `me` shows it.
#[derive(SimpleObject)]
pub struct DepartmentSummary {
    code: String,
    name: String,
    /// The area the department acts in.
    jurisdiction_code: String,
}

/// Who the caller is, and what they hold.
#[derive(SimpleObject)]
pub struct Me {
    via: CallerKind,
    /// The user, for a signed-in user or an application token.
    username: Option<String>,
    display_name: Option<String>,
    /// The kind of user (admin, grid_worker, police, …).
    user_kind: Option<String>,
    department: Option<DepartmentSummary>,
    /// The roles the caller's subject holds. A token's rights are these,
    /// narrowed to its scopes and areas.
    roles: Vec<RoleInArea>,
    /// For a token: the `object:action` pairs it may use.
    token_scopes: Option<Vec<String>>,
    /// For a token: the areas it is limited to (`*` for none).
    token_areas: Option<Vec<String>>,
}

#[derive(Default)]
pub struct SessionQuery;

#[Object]
impl SessionQuery {
    /// The caller: UNAUTHENTICATED without credentials.
    async fn me(&self, ctx: &Context<'_>) -> Result<Me> {
        let caller = ctx.caller()?;
        let state = ctx.state();
        let account = match caller.user_id {
            Some(id) => user::Entity::find_by_id(id)
                .one(&state.db)
                .await
                .map_err(crate::error::ApiError::from)?,
            None => None,
        };
        let department_id = caller
            .department_id
            .or(account.as_ref().and_then(|a| a.department_id));
        let department = match department_id {
            Some(id) => department::Entity::find_by_id(id)
                .one(&state.db)
                .await
                .map_err(crate::error::ApiError::from)?,
            None => match &caller.principal.subject {
                Subject::Department(code) => department::Entity::find()
                    .filter(department::Column::Code.eq(code.as_str()))
                    .one(&state.db)
                    .await
                    .map_err(crate::error::ApiError::from)?,
                Subject::User(_) => None,
            },
        };
        let roles = state
            .authorizer
            .assignments_of(&caller.principal.subject)
            .into_iter()
            .map(|assignment| RoleInArea {
                role: assignment.role,
                area: assignment.domain.as_str().to_owned(),
            })
            .collect();
        let token = caller.principal.token.as_ref();
        Ok(Me {
            via: if token.is_some() {
                CallerKind::Token
            } else {
                CallerKind::User
            },
            username: account.as_ref().map(|a| a.username.clone()),
            display_name: account.as_ref().map(|a| a.display_name.clone()),
            user_kind: account.as_ref().map(|a| a.kind.to_value()),
            department: department.map(|d| DepartmentSummary {
                code: d.code,
                name: d.name,
                jurisdiction_code: d.jurisdiction_code,
            }),
            roles,
            token_scopes: token.map(|t| t.scopes.iter().map(|s| s.as_string()).collect()),
            token_areas: token.map(|t| t.areas.iter().map(Domain::to_string).collect()),
        })
    }
}
