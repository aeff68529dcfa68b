//! What an auditor looks at first: callers whose full reads in a period are
//! far above their peers', full reads outside office hours, and reads of
//! residents outside the grids a caller usually reads in (possible for the
//! police and departments, whose scopes are wide). Each is a query over the
//! period, within the caller's scope of the log, like `auditLog`.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entities::{audit_log, resident, user};
use policies::{Action, Object};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveEnum, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use crate::audit::{self, Entry};
use crate::domain::access::Access;
use crate::domain::cases::clock;
use crate::domain::within::in_scope_or_city;
use crate::error::{ApiError, ApiResult};

/// The longest period asked about at once.
const LONGEST: Duration = Duration::days(31);
/// How far back a caller's usual grids are learnt from.
const BASELINE: Duration = Duration::days(30);
/// A caller reading more than this many times its peers' median is named…
pub const FACTOR: f64 = 3.0;
/// …when it read at least this many rows in full.
pub const AT_LEAST: u64 = 50;
/// The most entries a list of anomalies holds.
const MOST: u64 = 500;

/// Who acted: a user, or an API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActorKey {
    User(i64),
    Token(i64),
}

/// A caller who read far more rows in full than its peers.
#[derive(Debug, Clone)]
pub struct HeavyReader {
    pub actor: ActorKey,
    pub name: String,
    /// Its peers: the kind of its account (`grid_worker`, `police`, …), or
    /// `token`.
    pub peers: String,
    /// Rows it read in full in the period.
    pub rows: u64,
    /// The median of its peers' (itself included).
    pub peers_median: f64,
}

/// Reads of residents outside the grids a caller read in during the 30
/// days before the period.
#[derive(Debug, Clone)]
pub struct UnusualRead {
    pub entry: audit_log::Model,
    /// The grids of the residents it showed that the caller had not read
    /// in before.
    pub grids: Vec<String>,
}

/// The anomalies of a period.
#[derive(Debug, Clone, Default)]
pub struct Anomalies {
    pub heavy_readers: Vec<HeavyReader>,
    pub after_hours: Vec<audit_log::Model>,
    pub outside_usual_grids: Vec<UnusualRead>,
}

fn actor_of(row: &audit_log::Model) -> Option<ActorKey> {
    match (row.actor_token_id, row.actor_user_id) {
        (Some(token), _) => Some(ActorKey::Token(token)),
        (None, Some(user)) => Some(ActorKey::User(user)),
        (None, None) => None,
    }
}

fn median(mut values: Vec<u64>) -> f64 {
    values.sort_unstable();
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2] as f64,
        n => (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0,
    }
}

/// Full reads of residents, with the ids they named.
async fn resident_reads(
    db: &DatabaseConnection,
    visible: Condition,
    (from, before): (DateTime<Utc>, DateTime<Utc>),
) -> ApiResult<Vec<(audit_log::Model, Vec<i64>)>> {
    let rows = audit_log::Entity::find()
        .filter(visible)
        .filter(audit_log::Column::Action.eq("resident.read_unmasked"))
        .filter(audit_log::Column::At.gte(from))
        .filter(audit_log::Column::At.lt(before))
        .order_by_asc(audit_log::Column::Id)
        .all(db)
        .await?;
    // The ids a read named are in its own sealed content; the index of
    // named rows is for finding reads by resident, not the other way.
    Ok(rows
        .into_iter()
        .map(|row| {
            let ids = audit::ids_named(&row.detail).collect();
            (row, ids)
        })
        .collect())
}

/// The grids of these residents.
async fn grids_of(db: &DatabaseConnection, ids: &HashSet<i64>) -> ApiResult<HashMap<i64, String>> {
    let ids: Vec<i64> = ids.iter().copied().collect();
    let mut grids = HashMap::new();
    for chunk in ids.chunks(500) {
        let found: Vec<(i64, String)> = resident::Entity::find()
            .select_only()
            .column(resident::Column::Id)
            .column(resident::Column::GridCode)
            .filter(resident::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        grids.extend(found);
    }
    Ok(grids)
}

/// The anomalies of `[from, before)` among the entries the caller may read.
pub async fn find(
    access: &Access,
    from: DateTime<Utc>,
    before: DateTime<Utc>,
) -> ApiResult<Anomalies> {
    let scope = access.scope(Object::AuditLog, Action::Read);
    if scope.is_nothing() {
        return Err(ApiError::forbidden(Object::AuditLog, Action::Read));
    }
    if before <= from || before - from > LONGEST {
        return Err(ApiError::bad_input(
            "before",
            "after `from`, and at most 31 days later",
        ));
    }
    let db = access.db();
    let visible = || in_scope_or_city(audit_log::Column::AreaCode, &scope);
    let reads = resident_reads(db, visible(), (from, before)).await?;

    // Heavy readers: rows read in full per caller, against the median of
    // callers of the same kind.
    let mut counts: BTreeMap<ActorKey, (String, u64)> = BTreeMap::new();
    for (row, ids) in &reads {
        if let Some(actor) = actor_of(row) {
            let entry = counts
                .entry(actor)
                .or_insert_with(|| (row.actor_name.clone(), 0));
            entry.1 += ids.len() as u64;
        }
    }
    let users: Vec<i64> = counts
        .keys()
        .filter_map(|actor| match actor {
            ActorKey::User(id) => Some(*id),
            ActorKey::Token(_) => None,
        })
        .collect();
    let kinds: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(users))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row.kind.to_value()))
        .collect();
    let peers_of = |actor: &ActorKey| match actor {
        ActorKey::User(id) => kinds.get(id).cloned().unwrap_or_else(|| "user".to_owned()),
        ActorKey::Token(_) => "token".to_owned(),
    };
    let mut by_peers: HashMap<String, Vec<u64>> = HashMap::new();
    for (actor, (_, rows)) in &counts {
        by_peers.entry(peers_of(actor)).or_default().push(*rows);
    }
    let medians: HashMap<String, f64> = by_peers
        .into_iter()
        .map(|(peers, rows)| (peers, median(rows)))
        .collect();
    let mut heavy_readers: Vec<HeavyReader> = counts
        .iter()
        .filter_map(|(actor, (name, rows))| {
            let peers = peers_of(actor);
            let peers_median = medians.get(&peers).copied().unwrap_or_default();
            (*rows >= AT_LEAST && *rows as f64 > FACTOR * peers_median).then(|| HeavyReader {
                actor: *actor,
                name: name.clone(),
                peers,
                rows: *rows,
                peers_median,
            })
        })
        .collect();
    heavy_readers.sort_by_key(|reader| std::cmp::Reverse(reader.rows));

    // Full reads outside office hours on working days.
    let calendar = clock::calendar(db).await?;
    let after_hours: Vec<audit_log::Model> = audit_log::Entity::find()
        .filter(visible())
        .filter(audit_log::Column::Action.like("%.read_unmasked"))
        .filter(audit_log::Column::At.gte(from))
        .filter(audit_log::Column::At.lt(before))
        .order_by_desc(audit_log::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|row| !calendar.is_office_hours(row.at))
        .take(MOST as usize)
        .collect();

    // Outside the usual grids: the grids each caller read residents in
    // during the 30 days before, against the grids of what it read now.
    let earlier = resident_reads(db, visible(), (from - BASELINE, from)).await?;
    let mut everyone: HashSet<i64> = HashSet::new();
    for (_, ids) in earlier.iter().chain(reads.iter()) {
        everyone.extend(ids);
    }
    let grids = grids_of(db, &everyone).await?;
    let mut usual: HashMap<ActorKey, HashSet<&str>> = HashMap::new();
    for (row, ids) in &earlier {
        if let Some(actor) = actor_of(row) {
            usual.entry(actor).or_default().extend(
                ids.iter()
                    .filter_map(|id| grids.get(id).map(String::as_str)),
            );
        }
    }
    let mut outside_usual_grids = Vec::new();
    for (row, ids) in &reads {
        // A caller with no earlier reads has no usual grids to leave.
        let Some(known) = actor_of(row).and_then(|actor| usual.get(&actor)) else {
            continue;
        };
        let mut strange: Vec<String> = ids
            .iter()
            .filter_map(|id| grids.get(id))
            .filter(|grid| !known.contains(grid.as_str()))
            .cloned()
            .collect();
        strange.sort();
        strange.dedup();
        if !strange.is_empty() {
            outside_usual_grids.push(UnusualRead {
                entry: row.clone(),
                grids: strange,
            });
        }
    }
    outside_usual_grids.reverse();
    outside_usual_grids.truncate(MOST as usize);

    audit::record(
        db,
        &access.actor()?,
        Entry {
            action: "audit_log.anomalies",
            object_kind: "audit_log",
            object_id: None,
            area_code: None,
            detail: json!({"from": from, "before": before}),
        },
    )
    .await?;
    Ok(Anomalies {
        heavy_readers,
        after_hours,
        outside_usual_grids,
    })
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn the_median_of_peers() {
        assert_eq!(median(vec![]), 0.0);
        assert_eq!(median(vec![5]), 5.0);
        assert_eq!(median(vec![9, 1, 5]), 5.0);
        assert_eq!(median(vec![1, 2, 3, 10]), 2.5);
    }
}
