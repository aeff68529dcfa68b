//! Signing in: a short-lived access token and a rotating refresh token.
//!
//! Refresh tokens are opaque, stored as fingerprints, and single-use: each
//! refresh marks the presented token used and issues the next of its family.
//! Presenting a used token again means it was copied, so the whole family
//! is revoked and everyone holding one of its tokens must sign in again.

use chrono::{Duration, Utc};
use entities::{refresh_token, user};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;

use super::jwt::JwtKeys;
use super::passwords::{Busy, PasswordChecker};
use super::secret::{fingerprint, random_token};
use super::throttle;
use crate::audit::{self, Actor, Entry, Seal};
use crate::error::{ApiError, ApiResult};

/// How long the two tokens live.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub access_seconds: i64,
    pub refresh_seconds: i64,
}

/// What a successful sign-in or refresh hands back.
pub struct Session {
    pub access_token: String,
    pub access_expires_in: i64,
    pub refresh_token: String,
    pub user: user::Model,
}

fn wrong_credentials() -> ApiError {
    ApiError::Unauthenticated("wrong username or password")
}

fn unusable_refresh_token() -> ApiError {
    ApiError::Unauthenticated(
        "this refresh token is unknown, used, revoked or expired: sign in again",
    )
}

fn internal(err: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(anyhow::anyhow!("{err}"))
}

/// A sign-in as presented: the name, the password, and the address it
/// came from.
pub struct SignIn<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub address: Option<&'a str>,
}

pub async fn login(
    db: &DatabaseConnection,
    keys: &JwtKeys,
    seal: &Seal,
    lifetimes: Lifetimes,
    checker: &PasswordChecker,
    sign_in: SignIn<'_>,
) -> ApiResult<Session> {
    let SignIn {
        username,
        password,
        address,
    } = sign_in;
    // Blank fields are a form's mistake, not a guess: they cost no check
    // and count no failure.
    if username.trim().is_empty() {
        return Err(ApiError::required("username", "give your username"));
    }
    if password.is_empty() {
        return Err(ApiError::required("password", "give your password"));
    }
    let username: String = username.chars().take(64).collect();
    let reservation = throttle::reserve(db, seal, &username).await?;
    let found = user::Entity::find()
        .filter(user::Column::Username.eq(username.as_str()))
        .one(db)
        .await?;
    let known = found.as_ref().map(|account| account.id);
    let account = found.filter(|account| account.active);
    let hash = account
        .as_ref()
        .map(|account| account.password_hash.clone());
    // An unknown name costs a check too, so timing does not tell which
    // names exist.
    let matches = match checker.verify(password, hash).await {
        Ok(matches) => matches,
        Err(Busy) => {
            // Not an attempt at this name: the server was too busy to try.
            // Sign-ins are the one kind of work whose excess is refused as
            // a rate (the password pool is the limit), so a client backs off.
            throttle::succeeded(db, reservation).await?;
            return Err(ApiError::rate_limited(1));
        }
    };
    let Some(account) = account.filter(|_| matches) else {
        record_failure(db, seal, known, address).await?;
        return Err(wrong_credentials());
    };
    let family = random_token(16).map_err(internal)?;
    let txn = crate::db::begin_write(db).await?;
    throttle::succeeded(&txn, reservation).await?;
    let refresh = store_refresh_token(&txn, account.id, &family, lifetimes).await?;
    let (issued, jti) = session(keys, lifetimes, account, refresh)?;
    let origin = Origin {
        address,
        session: Some(&jti),
    };
    audit_session(
        &txn,
        seal,
        issued.user.id,
        Some(&issued.user.username),
        &origin,
        "session.login",
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(issued)
}

pub async fn refresh(
    db: &DatabaseConnection,
    keys: &JwtKeys,
    seal: &Seal,
    lifetimes: Lifetimes,
    presented: &str,
    address: Option<&str>,
) -> ApiResult<Session> {
    require_refresh_token(presented)?;
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let Some(stored) = stored_refresh_token(&txn, presented).await? else {
        return Err(unusable_refresh_token());
    };
    if stored.revoked_at.is_some() || stored.expires_at <= now {
        return Err(unusable_refresh_token());
    }
    // Only one refresh may use a token: the update that finds it unused wins.
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(stored.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    if claimed != 1 {
        revoke_family(&txn, &stored.family_id).await?;
        let detail = json!({"family_revoked": true});
        audit_session(
            &txn,
            seal,
            stored.user_id,
            None,
            &Origin {
                address,
                session: None,
            },
            "session.refresh_reused",
            detail,
        )
        .await?;
        txn.commit().await?;
        return Err(unusable_refresh_token());
    }
    let Some(account) = user::Entity::find_by_id(stored.user_id)
        .one(&txn)
        .await?
        .filter(|account| account.active)
    else {
        return Err(unusable_refresh_token());
    };
    let next = store_refresh_token(&txn, account.id, &stored.family_id, lifetimes).await?;
    let (issued, jti) = session(keys, lifetimes, account, next)?;
    // The new access token is a new session id: this row ties it to the
    // sign-in it continues.
    audit_session(
        &txn,
        seal,
        issued.user.id,
        Some(&issued.user.username),
        &Origin {
            address,
            session: Some(&jti),
        },
        "session.refresh",
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(issued)
}

/// Revokes the family of `presented`; false when it is not a known token.
pub async fn logout(
    db: &DatabaseConnection,
    seal: &Seal,
    presented: &str,
    address: Option<&str>,
) -> ApiResult<bool> {
    require_refresh_token(presented)?;
    let txn = crate::db::begin_write(db).await?;
    let Some(stored) = stored_refresh_token(&txn, presented).await? else {
        return Ok(false);
    };
    revoke_family(&txn, &stored.family_id).await?;
    audit_session(
        &txn,
        seal,
        stored.user_id,
        None,
        &Origin {
            address,
            session: None,
        },
        "session.logout",
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// A blank refresh token is a form's mistake, not a presented token.
fn require_refresh_token(presented: &str) -> ApiResult<()> {
    if presented.trim().is_empty() {
        return Err(ApiError::required("refreshToken", "give the refresh token"));
    }
    Ok(())
}

const LOGIN_FAILED: &str = "session.login_failed";

/// A failed sign-in, on the log under the account it named. A name that
/// is no account is not written down: it is as often a password typed
/// into the wrong field, and the log is kept for years.
async fn record_failure(
    db: &DatabaseConnection,
    seal: &Seal,
    account: Option<i64>,
    address: Option<&str>,
) -> ApiResult<()> {
    audit::record(
        db,
        &Actor {
            address: address.map(str::to_owned),
            ..Actor::system("anonymous", seal)
        },
        Entry {
            action: LOGIN_FAILED,
            object_kind: "user",
            object_id: account.map(|id| id.to_string()),
            area_code: None,
            detail: json!({"account": if account.is_some() { "known" } else { "unknown" }}),
        },
    )
    .await
}

/// Where a session request came from, and the session (access token id)
/// it started, as its audit row records them.
struct Origin<'a> {
    address: Option<&'a str>,
    session: Option<&'a str>,
}

/// An audit row about a user's own session.
async fn audit_session<C: sea_orm::ConnectionTrait>(
    db: &C,
    seal: &Seal,
    user_id: i64,
    username: Option<&str>,
    origin: &Origin<'_>,
    action: &str,
    detail: serde_json::Value,
) -> ApiResult<()> {
    let actor = Actor {
        user_id: Some(user_id),
        address: origin.address.map(str::to_owned),
        session: origin.session.map(str::to_owned),
        ..Actor::system(
            &username.map_or_else(|| format!("user#{user_id}"), str::to_owned),
            seal,
        )
    };
    let entry = Entry {
        action,
        object_kind: "user",
        object_id: Some(user_id.to_string()),
        area_code: None,
        detail,
    };
    audit::record(db, &actor, entry).await
}

/// The stored row of a presented refresh token, found by its fingerprint.
async fn stored_refresh_token<C: sea_orm::ConnectionTrait>(
    db: &C,
    presented: &str,
) -> ApiResult<Option<refresh_token::Model>> {
    Ok(refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(fingerprint(presented)))
        .one(db)
        .await?)
}

async fn revoke_family<C: sea_orm::ConnectionTrait>(db: &C, family: &str) -> ApiResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

async fn store_refresh_token<C: sea_orm::ConnectionTrait>(
    db: &C,
    user_id: i64,
    family: &str,
    lifetimes: Lifetimes,
) -> ApiResult<String> {
    let secret = random_token(32).map_err(internal)?;
    let now = Utc::now();
    refresh_token::Entity::insert(refresh_token::ActiveModel {
        id: NotSet,
        user_id: Set(user_id),
        token_hash: Set(fingerprint(&secret)),
        family_id: Set(family.to_owned()),
        expires_at: Set(now + Duration::seconds(lifetimes.refresh_seconds)),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(secret)
}

/// The session handed out, and its access token's id (`jti`).
fn session(
    keys: &JwtKeys,
    lifetimes: Lifetimes,
    account: user::Model,
    refresh_token: String,
) -> ApiResult<(Session, String)> {
    let (access_token, claims) = keys
        .issue(&account.username, account.id, lifetimes.access_seconds)
        .map_err(internal)?;
    let session = Session {
        access_token,
        access_expires_in: lifetimes.access_seconds,
        refresh_token,
        user: account,
    };
    Ok((session, claims.jti.chars().take(64).collect()))
}
