//! The audit log: one row per mutation and per read of unmasked personal
//! data, written in the same transaction as what it records, each sealed
//! ([`seal`]) and linked into one chain behind the writers ([`chain`]).

pub mod archive;
pub mod batch;
pub mod chain;
pub mod report;
pub mod seal;
pub mod subjects;

use chrono::{SubsecRound, Utc};
use entities::audit_log;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, QueryFilter, QueryOrder, QuerySelect,
    Select,
};
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

/// The next `size` rows of `select` numbered after `after`, in number
/// order: how the log is walked (an export, `verify`) without holding all
/// of it.
pub(crate) async fn rows_after<C: ConnectionTrait>(
    db: &C,
    select: Select<audit_log::Entity>,
    after: i64,
    size: u64,
) -> Result<Vec<audit_log::Model>, DbErr> {
    select
        .filter(audit_log::Column::Id.gt(after))
        .order_by_asc(audit_log::Column::Id)
        .limit(size)
        .all(db)
        .await
}

/// The rows a full read names, as its sealed `detail` lists them.
pub fn ids_named(detail: &Value) -> impl Iterator<Item = i64> + '_ {
    detail["ids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_i64)
}

pub async fn record<C: ConnectionTrait>(db: &C, actor: &Actor, entry: Entry<'_>) -> ApiResult<()> {
    record_all(db, actor, vec![(entry, Vec::new())]).await
}

/// Records each entry with the rows it names. On PostgreSQL that is one
/// statement, all or nothing without a transaction of its own; SQLite
/// needs `db` to be a transaction when there is more than one entry or a
/// named row (see [`subjects`] for where each backend keeps them).
async fn record_all<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    entries: Vec<(Entry<'_>, Vec<i64>)>,
) -> ApiResult<()> {
    subjects::insert(db, &sealed(actor, entries)?).await
}

/// Records `entries` on their own, all or nothing: one statement on
/// PostgreSQL, one write transaction (one flush) on SQLite.
pub async fn record_alone(
    db: &DatabaseConnection,
    actor: &Actor,
    entries: Vec<(Entry<'_>, Vec<i64>)>,
) -> ApiResult<()> {
    batch::insert_alone(db, &sealed(actor, entries)?).await
}

/// Records `entries` on their own, all or nothing, with the rows of
/// whichever other answers are waiting at the same moment ([`batch`]).
pub async fn record_batched(
    batches: &std::sync::Arc<batch::Batches>,
    actor: &Actor,
    entries: Vec<(Entry<'_>, Vec<i64>)>,
) -> ApiResult<()> {
    batches.write(sealed(actor, entries)?).await
}

fn sealed(actor: &Actor, entries: Vec<(Entry<'_>, Vec<i64>)>) -> ApiResult<Vec<Row>> {
    entries
        .into_iter()
        .map(|(entry, named)| Row::sealed(actor, entry, named))
        .collect()
}

/// An audit row as written, sealed, with the rows it names.
pub struct Row {
    model: audit_log::ActiveModel,
    object_kind: String,
    /// Sorted, each once; also listed in the sealed `detail.ids`.
    named: Vec<i64>,
}

impl Row {
    /// The row recording `entry`, with the rows it names listed in its
    /// `detail.ids` under the seal, so that the index of named rows can be
    /// checked against what the row says.
    fn sealed(actor: &Actor, mut entry: Entry<'_>, mut named: Vec<i64>) -> ApiResult<Row> {
        named.sort_unstable();
        named.dedup();
        if !named.is_empty() {
            // Without the list under the seal, verify could not hold the
            // index to the entry.
            let Value::Object(detail) = &mut entry.detail else {
                return Err(ApiError::Internal(anyhow::anyhow!(
                    "an entry naming rows has a detail that is not an object"
                )));
            };
            detail.insert("ids".to_owned(), Value::from(named.clone()));
        }
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
        let model = audit_log::ActiveModel {
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
        Ok(Row {
            model,
            object_kind: entry.object_kind.to_owned(),
            named,
        })
    }
}
