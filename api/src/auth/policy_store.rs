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

use chrono::Utc;
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

use crate::audit::{self, Actor, Entry, Seal};
use crate::error::{ApiError, ApiResult};

/// The PostgreSQL channel policy edits are announced on.
pub const CHANNEL: &str = "gridgov_policy";
const POLL_EVERY: Duration = Duration::from_millis(500);

/// The stored rules and the version they belong to. Rows that do not parse
/// as rules (an unknown effect, a stray field) are left out and logged: a
/// rule that cannot be read grants nothing.
pub async fn load<C: ConnectionTrait>(db: &C) -> Result<(Vec<Rule>, i64), DbErr> {
    let version = current_version(db).await?;
    let rows = casbin_rule::Entity::find()
        .order_by_asc(casbin_rule::Column::Id)
        .all(db)
        .await?;
    let mut rules = Vec::with_capacity(rows.len());
    for row in rows {
        match rule_of(&row) {
            Ok(rule) => rules.push(rule),
            Err(err) => {
                tracing::warn!(rule_id = row.id, error = %err, "ignoring a policy row that does not parse")
            }
        }
    }
    Ok((rules, version))
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
pub async fn bump_version<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
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
    Ok(())
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
    bump_version(&txn).await?;
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

/// An authorizer loaded with what the database holds now.
pub async fn authorizer(db: &DatabaseConnection) -> anyhow::Result<Authorizer> {
    let (rules, version) = load(db).await?;
    Ok(Authorizer::new(&rules, version).await?)
}

/// Reloads `authorizer` if the stored version moved; true when it did.
pub async fn refresh(db: &DatabaseConnection, authorizer: &Authorizer) -> anyhow::Result<bool> {
    if current_version(db).await? == authorizer.version() {
        return Ok(false);
    }
    let (rules, version) = load(db).await?;
    authorizer.reload(&rules, version).await?;
    tracing::info!(version, rules = rules.len(), "policies reloaded");
    Ok(true)
}

/// Keeps `authorizer` in step with the database until the process ends.
pub fn spawn_watcher(db: DatabaseConnection, authorizer: Arc<Authorizer>) -> JoinHandle<()> {
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
