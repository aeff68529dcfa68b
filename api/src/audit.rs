//! The audit log: one row per mutation and per read of unmasked personal
//! data, written in the same transaction as what it records.

use chrono::Utc;
use entities::audit_log;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::Value;

use crate::caller::Caller;
use crate::error::ApiResult;

/// Who an audit row names.
pub struct Actor {
    pub user_id: Option<i64>,
    pub token_id: Option<i64>,
    pub name: String,
}

impl From<&Caller> for Actor {
    fn from(caller: &Caller) -> Actor {
        Actor {
            user_id: caller.user_id,
            token_id: caller.token_id,
            name: caller.name.clone(),
        }
    }
}

/// What an audit row records.
pub struct Entry<'a> {
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_id: Option<String>,
    pub area_code: Option<String>,
    pub detail: Value,
}

pub async fn record<C: ConnectionTrait>(db: &C, actor: &Actor, entry: Entry<'_>) -> ApiResult<()> {
    audit_log::Entity::insert(audit_log::ActiveModel {
        id: NotSet,
        at: Set(Utc::now()),
        actor_user_id: Set(actor.user_id),
        actor_token_id: Set(actor.token_id),
        actor_name: Set(actor.name.chars().take(64).collect()),
        action: Set(entry.action.to_owned()),
        object_kind: Set(entry.object_kind.to_owned()),
        object_id: Set(entry.object_id),
        area_code: Set(entry.area_code),
        detail: Set(entry.detail),
        request_id: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
