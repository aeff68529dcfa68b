//! The policies as stored: the `casbin_rule` table is what the authorizer
//! enforces. This module reads it, installs the default policies on first
//! start, and keeps every replica's authorizer in step with it.
//!
//! Every edit bumps `policy_state.version` in its own transaction. Each
//! replica polls that version twice a second, and on PostgreSQL also listens
//! for a notification sent at commit, so an edit made on one replica is
//! enforced by all within a second.

use std::sync::Arc;
use std::time::Duration;

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use entities::policy_change::ChangeOp;
use entities::policy_version::VersionKind;
use entities::{casbin_rule, policy_state};
use policies::{Authorizer, DEFAULT_POLICY, Rule};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::json;
use tokio::task::JoinHandle;

use super::policy_history::{self, Change, Note};
use crate::audit::{self, Actor, Entry, Seal};
use crate::error::{ApiError, ApiResult};

/// The PostgreSQL channel policy edits are announced on.
pub const CHANNEL: &str = "gridgov_policy";
const POLL_EVERY: Duration = Duration::from_millis(500);

/// The rules in force, the version they belong to, and when a window
/// opens or closes next.
pub struct InForce {
    pub rules: Vec<Rule>,
    pub version: i64,
    pub stale_after: Option<DateTime<Utc>>,
}

/// The stored rules in force now (their window open, if they have one) and
/// the version they belong to. Rows that do not parse as rules (an unknown
/// effect, a stray field) are left out and logged: a rule that cannot be
/// read grants nothing.
pub async fn load<C: ConnectionTrait>(db: &C) -> Result<InForce, DbErr> {
    let version = current_version(db).await?;
    let now = Utc::now();
    let rows = casbin_rule::Entity::find()
        .order_by_asc(casbin_rule::Column::Id)
        .all(db)
        .await?;
    let mut rules = Vec::with_capacity(rows.len());
    let mut stale_after: Option<DateTime<Utc>> = None;
    for row in rows {
        let boundaries = [row.valid_from, row.valid_until];
        for at in boundaries.into_iter().flatten().filter(|at| *at > now) {
            stale_after = Some(stale_after.map_or(at, |next| Ord::min(next, at)));
        }
        if !in_force(&row, now) {
            continue;
        }
        match rule_of(&row) {
            Ok(rule) => rules.push(rule),
            Err(err) => {
                tracing::warn!(rule_id = row.id, error = %err, "ignoring a policy row that does not parse")
            }
        }
    }
    Ok(InForce {
        rules,
        version,
        stale_after,
    })
}

/// Whether a stored rule's window (if it has one) is open at `now`.
pub fn in_force(row: &casbin_rule::Model, now: DateTime<Utc>) -> bool {
    row.valid_from.is_none_or(|from| from <= now) && row.valid_until.is_none_or(|until| now < until)
}

/// A stored row as a rule, if it parses as one.
pub fn rule_of(row: &casbin_rule::Model) -> Result<Rule, policies::RuleError> {
    let fields = [
        row.v0.as_str(),
        row.v1.as_str(),
        row.v2.as_str(),
        row.v3.as_str(),
        row.v4.as_str(),
        row.v5.as_str(),
    ];
    Rule::from_row(&row.ptype, fields)
}

pub async fn current_version<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    Ok(policy_state::Entity::find_by_id(1)
        .one(db)
        .await?
        .map_or(0, |state| state.version))
}

/// Inserts rules as rows (no version bump: callers do that once).
pub async fn insert_rules<C: ConnectionTrait>(db: &C, rules: &[Rule]) -> Result<(), DbErr> {
    for chunk in rules.chunks(500) {
        let rows = chunk.iter().map(|rule| {
            let (ptype, [v0, v1, v2, v3, v4, v5]) = rule.to_row();
            casbin_rule::ActiveModel {
                id: NotSet,
                ptype: Set(ptype.to_owned()),
                v0: Set(v0),
                v1: Set(v1),
                v2: Set(v2),
                v3: Set(v3),
                v4: Set(v4),
                v5: Set(v5),
                valid_from: NotSet,
                valid_until: NotSet,
            }
        });
        casbin_rule::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Marks the policy set changed, inside the caller's transaction; on
/// PostgreSQL the notification goes out when that transaction commits.
/// The new version: the update holds the row until commit, so concurrent
/// bumps get distinct numbers. Callers record it in the history
/// ([`super::policy_history::record`]).
pub(super) async fn bump_version<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    policy_state::Entity::update_many()
        .col_expr(
            policy_state::Column::Version,
            Expr::col(policy_state::Column::Version).add(1),
        )
        .col_expr(policy_state::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(policy_state::Column::Id.eq(1))
        .exec(db)
        .await?;
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await?;
    }
    current_version(db).await
}

/// On first start (no policy rows at all), writes the default policies.
pub async fn install_defaults_if_empty(db: &DatabaseConnection, seal: &Seal) -> ApiResult<bool> {
    let txn = crate::db::begin_write(db).await?;
    let policies = casbin_rule::Entity::find()
        .filter(casbin_rule::Column::Ptype.eq("p"))
        .count(&txn)
        .await?;
    if policies > 0 {
        return Ok(false);
    }
    let defaults = Rule::parse_csv(DEFAULT_POLICY).map_err(|(line, err)| {
        ApiError::Internal(anyhow::anyhow!("default-policy.csv line {line}: {err}"))
    })?;
    insert_rules(&txn, &defaults).await?;
    policy_history::record_added(
        &txn,
        VersionKind::Defaults,
        "the default policies, installed on first start",
        &defaults,
    )
    .await?;
    audit::record(
        &txn,
        &Actor::system("system", seal),
        Entry {
            action: "policy.install_defaults",
            object_kind: "policy",
            object_id: None,
            area_code: None,
            detail: json!({"rules": defaults.len()}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// An authorizer loaded with the rules in force now.
pub async fn authorizer(db: &DatabaseConnection) -> anyhow::Result<Authorizer> {
    let loaded = load(db).await?;
    let stale_after = loaded.stale_after.map(SystemTime::from);
    Ok(Authorizer::new_until(&loaded.rules, loaded.version, stale_after).await?)
}

/// Reloads `authorizer` if the stored version moved or a rule's window
/// opened or closed; true when it did.
pub async fn refresh(db: &DatabaseConnection, authorizer: &Authorizer) -> anyhow::Result<bool> {
    let stale = authorizer.is_stale(SystemTime::now());
    if !stale && current_version(db).await? == authorizer.version() {
        return Ok(false);
    }
    let loaded = load(db).await?;
    let stale_after = loaded.stale_after.map(SystemTime::from);
    authorizer
        .reload_until(&loaded.rules, loaded.version, stale_after)
        .await?;
    tracing::info!(
        version = loaded.version,
        rules = loaded.rules.len(),
        "policies reloaded"
    );
    Ok(true)
}

/// Whether some stored rule's window has closed.
async fn lapse_due(db: &DatabaseConnection) -> Result<bool, DbErr> {
    Ok(casbin_rule::Entity::find()
        .filter(casbin_rule::Column::ValidUntil.lte(Utc::now()))
        .count(db)
        .await?
        > 0)
}

/// Removes the rules whose window has closed, each with its audit row, in
/// one transaction that bumps the version: every replica then drops them
/// (each already stopped enforcing them at the lapse). Replicas racing to do
/// it remove each rule once. The number removed.
pub async fn remove_lapsed(db: &DatabaseConnection, seal: &Seal) -> ApiResult<u64> {
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    // One remover at a time, taking rows in one order: replicas racing to
    // remove the same rules wait for each other instead of deadlocking.
    crate::db::serialise(&txn, "policy.lapse").await?;
    let lapsed = casbin_rule::Entity::find()
        .filter(casbin_rule::Column::ValidUntil.lte(now))
        .order_by_asc(casbin_rule::Column::Id)
        .all(&txn)
        .await?;
    let mut removed = Vec::new();
    for row in lapsed {
        let gone = casbin_rule::Entity::delete_many()
            .filter(casbin_rule::Column::Id.eq(row.id))
            .filter(casbin_rule::Column::ValidUntil.lte(now))
            .exec(&txn)
            .await?;
        if gone.rows_affected == 0 {
            continue;
        }
        removed.push(Change::of_row(ChangeOp::Remove, &row));
        let assignment = row.ptype == "g";
        audit::record(
            &txn,
            &Actor::system("system", seal),
            Entry {
                action: if assignment {
                    "role.lapse"
                } else {
                    "policy.lapse"
                },
                object_kind: "casbin_rule",
                object_id: Some(row.id.to_string()),
                area_code: (assignment && row.v2 != "*").then(|| row.v2.clone()),
                detail: json!({
                    "ptype": row.ptype,
                    "fields": [row.v0, row.v1, row.v2, row.v3, row.v4, row.v5],
                    "validFrom": row.valid_from,
                    "validUntil": row.valid_until,
                }),
            },
        )
        .await?;
    }
    if !removed.is_empty() {
        let note = Note {
            kind: VersionKind::Lapse,
            actor: "system",
            comment: "their window closed (validUntil)",
            rolled_back_to: None,
        };
        policy_history::record(&txn, note, &removed).await?;
    }
    txn.commit().await?;
    Ok(removed.len() as u64)
}

/// Keeps `authorizer` in step with the database until the process ends.
/// At each rule's lapse the watcher also removes it, audited (see
/// [`remove_lapsed`]).
pub fn spawn_watcher(
    db: DatabaseConnection,
    authorizer: Arc<Authorizer>,
    seal: Seal,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut notifications = listen(&db).await;
        let mut tick = tokio::time::interval(POLL_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            match notifications.as_mut() {
                Some(listener) => {
                    tokio::select! {
                        _ = tick.tick() => {}
                        received = listener.recv() => {
                            if let Err(err) = received {
                                tracing::warn!(error = %err, "policy notifications lost; polling only");
                                notifications = None;
                            }
                        }
                    }
                }
                None => {
                    tick.tick().await;
                }
            }
            // Asked on every tick, not only when this replica's rules went
            // stale: an edit's reload can clear that first, and a failed
            // removal must be tried again.
            match lapse_due(&db).await {
                Ok(true) => {
                    if let Err(err) = remove_lapsed(&db, &seal).await {
                        tracing::warn!(error = ?err, "cannot remove lapsed rules; trying again");
                    }
                }
                Ok(false) => {}
                Err(err) => tracing::warn!(error = %err, "cannot look for lapsed rules"),
            }
            if let Err(err) = refresh(&db, &authorizer).await {
                tracing::warn!(error = %err, "cannot reload policies; keeping the last ones");
            }
        }
    })
}

async fn listen(db: &DatabaseConnection) -> Option<sea_orm::sqlx::postgres::PgListener> {
    if db.get_database_backend() != DbBackend::Postgres {
        return None;
    }
    let pool = db.get_postgres_connection_pool();
    match sea_orm::sqlx::postgres::PgListener::connect_with(pool).await {
        Ok(mut listener) => match listener.listen(CHANNEL).await {
            Ok(()) => Some(listener),
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for policy changes; polling only");
                None
            }
        },
        Err(err) => {
            tracing::warn!(error = %err, "cannot listen for policy changes; polling only");
            None
        }
    }
}
