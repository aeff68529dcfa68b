//! Issuing, listing and revoking scoped API tokens for departments and
//! applications (presenting one is `auth::api_tokens`).
//!
//! A token is `ggv_` and 43 random characters. Only its fingerprint is
//! stored; the secret is shown once, when issued. Its rights are its
//! subject's policies narrowed to its scopes and its areas.

use chrono::{DateTime, Duration, Utc};
use entities::api_token::{self, TokenSubject};
use entities::{department, user};
use policies::{Action, Domain, Object, TokenScope};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Condition;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;

use crate::audit::{self, Actor, Entry};
use crate::auth::api_tokens::PREFIX;
use crate::auth::secret::{fingerprint, random_token};
use crate::domain::access::Access;
use crate::domain::page::{Listing, PageRequest};
use crate::domain::policy_admin;
use crate::domain::scoped::{Order, keyset};
use crate::error::{ApiError, ApiResult};

pub const TOKEN_CURSOR: &str = "token";

/// What a token is issued for.
pub enum TokenFor {
    /// A department by its id (as the API names it)…
    Department(i64),
    /// …or by its code (as an operator types it).
    DepartmentCode(String),
    Application {
        username: String,
    },
}

pub struct IssueRequest {
    pub name: String,
    pub subject: TokenFor,
    pub scopes: Vec<String>,
    pub areas: Vec<String>,
    pub expires_at: DateTime<Utc>,
}

/// Checks an issue request, naming the field at fault.
fn validate(request: &IssueRequest) -> ApiResult<(Vec<TokenScope>, Vec<Domain>)> {
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::bad_input("name", "1 to 100 characters"));
    }
    if request.scopes.is_empty() {
        return Err(ApiError::required(
            "scopes",
            "name at least one object:action",
        ));
    }
    let scopes = request
        .scopes
        .iter()
        .map(|scope| {
            TokenScope::parse(scope).ok_or_else(|| {
                ApiError::bad_input(
                    "scopes",
                    format!("{scope:?} is not object:action with known names"),
                )
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    if request.areas.is_empty() {
        return Err(ApiError::required(
            "areas",
            "name at least one area code, or * for the whole city",
        ));
    }
    let areas = request
        .areas
        .iter()
        .map(|area| {
            Domain::parse(area).map_err(|err| ApiError::bad_input("areas", err.to_string()))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let now = Utc::now();
    if request.expires_at <= now || request.expires_at > now + Duration::days(366) {
        return Err(ApiError::bad_input(
            "expiresAt",
            "in the future, at most a year away",
        ));
    }
    Ok((scopes, areas))
}

/// Issues a token; returns its secret (shown this once) and its record.
/// An admin issues any token; a department officer who may `delegate`
/// tokens issues its own department one no wider than its own rights (see
/// [`within_own_rights`]).
pub async fn issue(
    access: &Access,
    request: IssueRequest,
) -> ApiResult<(String, api_token::Model)> {
    if let Err(refused) = access.require_city(Object::Token, Action::Manage) {
        if access.scope(Object::Token, Action::Delegate).is_nothing() {
            return Err(refused);
        }
        within_own_rights(access, &request).await?;
    }
    let issuer = access.actor()?;
    issue_as_operator(access.db(), &issuer, request).await
}

/// A delegated token: for the caller's own department, in areas where the
/// caller may delegate tokens, and every scope it names the caller's own
/// right throughout every area it names. Its rights are its department's
/// narrowed to those, so never more than the caller's.
async fn within_own_rights(access: &Access, request: &IssueRequest) -> ApiResult<()> {
    let (scopes, areas) = validate(request)?;
    let own_department =
        crate::domain::departments::department_of(access.db(), access.caller()?).await?;
    let for_own = matches!(request.subject, TokenFor::Department(id) if own_department == Some(id));
    if !for_own {
        return Err(ApiError::bad_input(
            "departmentId",
            "an officer issues tokens for its own department only",
        ));
    }
    let (authorizer, principal) = (access.authorizer(), &access.caller()?.principal);
    let issuing = [(Object::Token, Action::Delegate)];
    if let Some((_, _, area)) = authorizer.first_lacking(principal, issuing, &areas) {
        return Err(ApiError::bad_input(
            "areas",
            format!("{area} is beyond where you may issue tokens"),
        ));
    }
    let named = Object::ALL.iter().flat_map(|&object| {
        Action::ALL
            .iter()
            .map(move |&action| (object, action))
            .filter(|&(object, action)| scopes.iter().any(|scope| scope.allows(object, action)))
    });
    if let Some((object, action, area)) = authorizer.first_lacking(principal, named, &areas) {
        return Err(ApiError::bad_input(
            "scopes",
            format!(
                "{object}:{action} in {area} is beyond your own rights: a token you issue is \
                 never more than you"
            ),
        ));
    }
    if let Some(end) = policy_admin::own_rights_end(access).await?
        && request.expires_at > end
    {
        return Err(ApiError::bad_input(
            "expiresAt",
            format!("your own role ends at {end}: a token you issue must stop by then"),
        ));
    }
    Ok(())
}

/// Issues a token on the command line: whoever runs it holds the
/// database's password, and is recorded as `issuer`.
pub async fn issue_as_operator(
    db: &DatabaseConnection,
    issuer: &Actor,
    request: IssueRequest,
) -> ApiResult<(String, api_token::Model)> {
    let (scopes, areas) = validate(&request)?;
    let txn = crate::db::begin_write(db).await?;
    let (subject_kind, department_id, user_id) = match &request.subject {
        TokenFor::Department(id) => {
            let found = department::Entity::find_by_id(*id)
                .one(&txn)
                .await?
                .ok_or_else(|| ApiError::missing("departmentId", "no such department"))?;
            (TokenSubject::Department, Some(found.id), None)
        }
        TokenFor::DepartmentCode(code) => {
            let found = department::Entity::find()
                .filter(department::Column::Code.eq(code.as_str()))
                .one(&txn)
                .await?
                .ok_or_else(|| ApiError::missing("department", "no such department"))?;
            (TokenSubject::Department, Some(found.id), None)
        }
        TokenFor::Application { username } => {
            let found = user::Entity::find()
                .filter(user::Column::Username.eq(username.as_str()))
                .one(&txn)
                .await?
                .filter(|account| account.active)
                .ok_or_else(|| ApiError::missing("username", "no such active user"))?;
            (TokenSubject::Application, None, Some(found.id))
        }
    };
    let secret = format!(
        "{PREFIX}{}",
        random_token(32).map_err(|err| ApiError::Internal(err.into()))?
    );
    let now = Utc::now();
    let record = api_token::ActiveModel {
        id: NotSet,
        name: Set(request.name.trim().to_owned()),
        prefix: Set(secret.chars().take(12).collect()),
        secret_hash: Set(fingerprint(&secret)),
        subject_kind: Set(subject_kind),
        department_id: Set(department_id),
        user_id: Set(user_id),
        scopes: Set(json!(
            scopes.iter().map(TokenScope::as_string).collect::<Vec<_>>()
        )),
        areas: Set(json!(
            areas
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect::<Vec<_>>()
        )),
        expires_at: Set(request.expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
        // 0: issued on the command line, by whoever runs the server.
        created_by: Set(issuer.user_id.unwrap_or_default()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        issuer,
        Entry {
            action: "token.issue",
            object_kind: "api_token",
            object_id: Some(record.id.to_string()),
            area_code: None,
            detail: json!({"name": record.name, "scopes": record.scopes, "areas": record.areas}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((secret, record))
}

/// Revokes a token: an admin any, an officer those it issued.
pub async fn revoke(access: &Access, id: i64) -> ApiResult<api_token::Model> {
    if let Err(refused) = access.require_city(Object::Token, Action::Manage) {
        let issuer = issued_by(access).ok_or(refused)?;
        let issued = api_token::Entity::find_by_id(id)
            .filter(api_token::Column::CreatedBy.eq(issuer))
            .one(access.db())
            .await?;
        if issued.is_none() {
            return Err(ApiError::not_found("token", "id"));
        }
    }
    let actor = access.actor()?;
    revoke_as_operator(access.db(), &actor, id).await
}

/// The user whose own issued tokens a caller who is no admin may list and
/// revoke: one who may delegate tokens somewhere.
fn issued_by(access: &Access) -> Option<i64> {
    if access.scope(Object::Token, Action::Delegate).is_nothing() {
        return None;
    }
    access.caller().ok()?.user_id
}

/// Revokes a token on the command line.
pub async fn revoke_as_operator(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> ApiResult<api_token::Model> {
    let txn = crate::db::begin_write(db).await?;
    let token = api_token::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ApiError::not_found("token", "id"))?;
    let mut active: api_token::ActiveModel = token.clone().into();
    if token.revoked_at.is_none() {
        active.revoked_at = Set(Some(Utc::now()));
    }
    let token = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Entry {
            action: "token.revoke",
            object_kind: "api_token",
            object_id: Some(id.to_string()),
            area_code: None,
            detail: json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(token)
}

/// One token by id, for those who may read tokens and to an officer one it
/// issued (as its list shows them); None for anyone else, as for an id that
/// names nothing.
pub async fn find(access: &Access, id: i64) -> ApiResult<Option<api_token::Model>> {
    let Ok(only_issued_by) = tokens_seen(access) else {
        return Ok(None);
    };
    let mut select = api_token::Entity::find_by_id(id);
    if let Some(issuer) = only_issued_by {
        select = select.filter(api_token::Column::CreatedBy.eq(issuer));
    }
    Ok(select.one(access.db()).await?)
}

/// Which tokens a caller sees, for lists and reads by id alike: every one
/// (`None`) for those who may read tokens across the city, else those it
/// issued itself (`Some(user)`) when it may delegate tokens; refused for
/// anyone else.
fn tokens_seen(access: &Access) -> ApiResult<Option<i64>> {
    match access.require_city(Object::Token, Action::Read) {
        Ok(()) => Ok(None),
        Err(refused) => Ok(Some(issued_by(access).ok_or(refused)?)),
    }
}

/// Which tokens to list.
#[derive(Debug, Clone, Default)]
pub struct TokenFilter {
    /// Only those issued for a department (or only those for an
    /// application).
    pub subject: Option<TokenSubject>,
    /// Only those still usable (neither revoked nor expired), or only the
    /// others.
    pub active: Option<bool>,
    /// Only those this user issued.
    pub issued_by: Option<i64>,
}

/// Tokens in `order`, for a caller who may read them; their secrets are
/// never shown again.
pub async fn list(
    access: &Access,
    filter: &TokenFilter,
    order: Order<api_token::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<api_token::Model>> {
    let mut filter = filter.clone();
    if let Some(issuer) = tokens_seen(access)? {
        filter.issued_by = Some(issuer);
    }
    list_as_operator(access.db(), &filter, order, request).await
}

/// Tokens in `order` on the command line.
pub async fn list_as_operator(
    db: &DatabaseConnection,
    filter: &TokenFilter,
    order: Order<api_token::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<api_token::Model>> {
    let mut select = api_token::Entity::find();
    if let Some(user) = filter.issued_by {
        select = select.filter(api_token::Column::CreatedBy.eq(user));
    }
    if let Some(subject) = filter.subject {
        select = select.filter(api_token::Column::SubjectKind.eq(subject));
    }
    if let Some(active) = filter.active {
        let usable = Condition::all()
            .add(api_token::Column::RevokedAt.is_null())
            .add(api_token::Column::ExpiresAt.gt(Utc::now()));
        select = select.filter(if active { usable } else { usable.not() });
    }
    keyset(db, select, api_token::Column::Id, order, request).await
}
