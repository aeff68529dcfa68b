//! Presenting a scoped API token: who it stands for, and what it narrows
//! its subject's rights to (issuing and revoking is `domain::tokens`).

use chrono::{Duration, Utc};
use entities::api_token::{self, TokenSubject};
use entities::{department, user};
use policies::{Domain, Principal, Subject, TokenLimits, TokenScope};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::secret::fingerprint;
use crate::caller::Caller;
use crate::error::ApiResult;

pub const PREFIX: &str = "ggv_";
/// How often `last_used_at` is written: often enough to tell, rarely
/// enough that a busy token does not write on every request.
const LAST_USED_RESOLUTION_SECONDS: i64 = 60;

/// The caller a presented token stands for, or `None` when it is unknown,
/// revoked, expired, or its subject is gone.
pub async fn authenticate(db: &DatabaseConnection, secret: &str) -> ApiResult<Option<Caller>> {
    let Some(token) = api_token::Entity::find()
        .filter(api_token::Column::SecretHash.eq(fingerprint(secret)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    if token.revoked_at.is_some() || token.expires_at <= now {
        return Ok(None);
    }
    let (subject, user_id, department_id, name) = match token.subject_kind {
        TokenSubject::Department => {
            let Some(found) =
                department::Entity::find_by_id(token.department_id.unwrap_or_default())
                    .one(db)
                    .await?
            else {
                return Ok(None);
            };
            (
                Subject::Department(found.code.clone()),
                None,
                Some(found.id),
                format!("token:{}", found.code),
            )
        }
        TokenSubject::Application => {
            let Some(found) = user::Entity::find_by_id(token.user_id.unwrap_or_default())
                .one(db)
                .await?
                .filter(|account| account.active)
            else {
                return Ok(None);
            };
            (
                Subject::User(found.username.clone()),
                Some(found.id),
                None,
                format!("token:{}", found.username),
            )
        }
    };
    let limits = TokenLimits {
        token_id: token.id,
        scopes: json_strings(&token.scopes)
            .iter()
            .filter_map(|s| TokenScope::parse(s))
            .collect(),
        areas: json_strings(&token.areas)
            .iter()
            .filter_map(|a| Domain::parse(a).ok())
            .collect(),
    };
    let stale = token
        .last_used_at
        .is_none_or(|used| now - used > Duration::seconds(LAST_USED_RESOLUTION_SECONDS));
    if stale {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(token.id))
            .exec(db)
            .await?;
    }
    Ok(Some(Caller {
        principal: Principal {
            subject,
            token: Some(limits),
        },
        user_id,
        department_id,
        token_id: Some(token.id),
        name,
        expires_at: token.expires_at,
        session: None,
        address: None,
    }))
}

/// The strings of a JSON array column (scopes, areas); anything else is empty.
pub fn json_strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
