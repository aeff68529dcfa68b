//! The audit log: one row per mutation and per read of unmasked personal
//! data, written in the same transaction as what it records, each sealed
//! ([`seal`]) and linked into one chain behind the writers ([`chain`]).

pub mod archive;
pub mod chain;
pub mod report;
pub mod seal;

use chrono::{SubsecRound, Utc};
use entities::{audit_log, audit_subject};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::Value;

pub use self::seal::Seal;
use self::seal::Sealed;
use crate::auth::secret::random_token;
use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};

/// Who an audit row names, and the seal they write it under.
pub struct Actor {
    pub user_id: Option<i64>,
    pub token_id: Option<i64>,
    pub name: String,
    /// The address the request came from.
    pub address: Option<String>,
    /// The access token's id (`jti`) for a signed-in user.
    pub session: Option<String>,
    pub seal: Seal,
}

impl Actor {
    /// The caller of a request.
    pub fn of(caller: &Caller, seal: &Seal) -> Actor {
        Actor {
            user_id: caller.user_id,
            token_id: caller.token_id,
            name: caller.name.clone(),
            address: caller.address.clone(),
            session: caller.session.clone(),
            seal: seal.clone(),
        }
    }

    /// The server itself, or an operator at its command line.
    pub fn system(name: &str, seal: &Seal) -> Actor {
        Actor {
            user_id: None,
            token_id: None,
            name: name.to_owned(),
            address: None,
            session: None,
            seal: seal.clone(),
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
    record_naming(db, actor, entry, &[]).await
}

/// Records `entry`, naming `subjects` (ids of rows of its object kind) so
/// that a search by any of them finds it.
pub async fn record_naming<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    entry: Entry<'_>,
    subjects: &[i64],
) -> ApiResult<()> {
    // Stored to the microsecond on both backends, and sealed as stored.
    let at = Utc::now().trunc_subsecs(6);
    let actor_name: String = actor.name.chars().take(64).collect();
    let salt = random_token(24)
        .map_err(|err| ApiError::Internal(err.into()))?
        .chars()
        .take(32)
        .collect::<String>();
    let sealed = Sealed {
        at,
        actor_user_id: actor.user_id,
        actor_token_id: actor.token_id,
        actor_name: &actor_name,
        address: actor.address.as_deref(),
        session: actor.session.as_deref(),
        action: entry.action,
        object_kind: entry.object_kind,
        object_id: entry.object_id.as_deref(),
        area_code: entry.area_code.as_deref(),
        detail: &entry.detail,
    }
    .seal(&actor.seal, &salt);
    let row = audit_log::ActiveModel {
        id: NotSet,
        at: Set(at),
        actor_user_id: Set(actor.user_id),
        actor_token_id: Set(actor.token_id),
        actor_name: Set(actor_name),
        action: Set(entry.action.to_owned()),
        object_kind: Set(entry.object_kind.to_owned()),
        object_id: Set(entry.object_id),
        area_code: Set(entry.area_code),
        detail: Set(entry.detail),
        request_id: Set(None),
        address: Set(actor.address.clone()),
        session: Set(actor.session.clone()),
        seal: Set(Some(format!("{salt}{sealed}"))),
    };
    if subjects.is_empty() {
        audit_log::Entity::insert(row)
            .exec_without_returning(db)
            .await?;
        return Ok(());
    }
    let id = audit_log::Entity::insert(row)
        .exec(db)
        .await?
        .last_insert_id;
    let mut named: Vec<i64> = subjects.to_vec();
    named.sort_unstable();
    named.dedup();
    audit_subject::Entity::insert_many(named.into_iter().map(|subject| {
        audit_subject::ActiveModel {
            kind: Set(entry.object_kind.to_owned()),
            subject_id: Set(subject),
            audit_id: Set(id),
        }
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}
