//! Signing in and out, and `me`: who the caller is.

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};
use policies::Domain;

use super::ContextExt;
use super::departments::Department;
use super::payload::{SessionUserError, payload};
use crate::auth::sessions::{self, Session};
use crate::caller::ClientAddress;
use crate::domain::whoami::{WhoAmI, whoami};

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

/// A username and password to sign in with.
#[derive(InputObject)]
pub struct LoginInput {
    /// The user's name.
    username: String,
    /// The user's password.
    password: String,
}

/// A refresh token to trade or revoke.
#[derive(InputObject)]
pub struct RefreshTokenInput {
    /// The refresh token from `login` or the last `refresh`.
    refresh_token: String,
}

payload!(
    /// The answer of `login` and `refresh`.
    SessionPayload {
        /// The new tokens; null when `userErrors` says why not.
        session: SessionTokens
    },
    SessionUserError
);

payload!(
    /// The answer of `logout`.
    LogoutPayload {
        /// Whether the refresh token was live and is now revoked, with every
        /// token of its sign-in (false for one already spent or unknown);
        /// null when `userErrors` says why not.
        signed_out: bool
    },
    SessionUserError
);

#[derive(Default)]
pub struct SessionMutation;

#[Object]
impl SessionMutation {
    /// Signs in. A wrong name or password is the top-level error
    /// UNAUTHENTICATED, the same for both; repeated failures are
    /// RATE_LIMITED.
    ///
    /// User errors: `REQUIRED` (a blank username or password).
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The username and password.")] input: LoginInput,
    ) -> Result<SessionPayload> {
        let state = ctx.state();
        let outcome = sessions::login(
            &state.db,
            &state.keys,
            &state.seal,
            state.lifetimes,
            &state.passwords,
            sessions::SignIn {
                username: &input.username,
                password: &input.password,
                address: client_address(ctx),
            },
        )
        .await;
        Ok(SessionPayload::of(outcome.map(Into::into))?)
    }

    /// Trades a refresh token for new tokens. Each refresh token works once;
    /// presenting one again revokes every token of its sign-in. A token
    /// that is unknown, spent or expired is the top-level error
    /// UNAUTHENTICATED.
    ///
    /// User errors: `REQUIRED` (a blank refresh token).
    async fn refresh(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The refresh token to trade.")] input: RefreshTokenInput,
    ) -> Result<SessionPayload> {
        let state = ctx.state();
        let outcome = sessions::refresh(
            &state.db,
            &state.keys,
            &state.seal,
            state.lifetimes,
            &input.refresh_token,
            client_address(ctx),
        )
        .await;
        Ok(SessionPayload::of(outcome.map(Into::into))?)
    }

    /// Signs out: revokes the refresh token and every token of its sign-in.
    /// Access tokens already issued expire on their own, within minutes.
    ///
    /// User errors: `REQUIRED` (a blank refresh token).
    async fn logout(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The refresh token to revoke.")] input: RefreshTokenInput,
    ) -> Result<LogoutPayload> {
        let state = ctx.state();
        let outcome = sessions::logout(
            &state.db,
            &state.seal,
            &input.refresh_token,
            client_address(ctx),
        )
        .await;
        Ok(LogoutPayload::of(outcome)?)
    }
}

/// The kind of a user account, which its default role follows.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::user::UserKind")]
pub enum UserKind {
    /// Administers policies, tokens and the calendar.
    Admin,
    /// Manages a community or street.
    Manager,
    /// Keeps the record of a grid (网格员).
    GridWorker,
    /// A community police officer.
    Police,
    /// An officer of a department that handles cases.
    DepartmentOfficer,
    /// The command centre's operator on duty.
    Operator,
    /// Reads the audit log.
    Auditor,
    /// Reads statistics only.
    Analyst,
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
    /// The role held.
    role: String,
    /// The area code, or `*` for the whole city.
    area: String,
}

/// Who the caller is, and what they hold.
#[derive(SimpleObject)]
pub struct Me {
    /// How the caller authenticated.
    via: CallerKind,
    /// The user, for a signed-in user or an application token.
    username: Option<String>,
    /// The user's name.
    display_name: Option<String>,
    /// The kind of user, for a signed-in user or an application token.
    user_kind: Option<UserKind>,
    /// The department of the caller, if any.
    department: Option<Department>,
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
        let WhoAmI {
            account,
            department,
            roles,
        } = whoami(ctx.access()?).await?;
        let roles = roles
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
            user_kind: account.as_ref().map(|a| a.kind.into()),
            department: department.map(Department),
            roles,
            token_scopes: token.map(|t| t.scopes.iter().map(|s| s.as_string()).collect()),
            token_areas: token.map(|t| t.areas.iter().map(Domain::to_string).collect()),
        })
    }
}

/// The address the request came from, as the session's audit row records
/// it.
fn client_address<'a>(ctx: &'a Context<'_>) -> Option<&'a str> {
    ctx.data_opt::<ClientAddress>()
        .and_then(|address| address.0.as_deref())
}
