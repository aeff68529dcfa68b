//! What an auditor looks at first: callers whose full reads in a period are
//! far above their peers', full reads outside office hours, and reads of
//! residents outside the grids a caller usually reads in (possible for the
//! police and departments, whose scopes are wide). Each is a query over the
//! period, within the caller's scope of the log, like `auditLog`. The
//! period is walked in batches: the server holds a batch, a tally per
//! caller and the grids each caller read in, never the period's entries.
//!
//! A read names the grids of what it showed, as they were then. Entries
//! written before reads named them (by an earlier version, or a replica
//! not yet upgraded) are placed by where their residents live now; a
//! resident deleted since places nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

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
/// The action of a full read of residents.
const RESIDENTS_READ: &str = "resident.read_unmasked";

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
/// days before the period, each grid as it was when the read was made
/// (for entries that recorded it; see the module's note).
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

/// Entries are read this many at a time: a month of a city's reads is
/// walked, never held.
const BATCH: u64 = 1_000;

/// The most recent `MOST` of what was pushed, oldest dropped first.
struct Newest<T>(VecDeque<T>);

impl<T> Newest<T> {
    fn new() -> Self {
        Self(VecDeque::new())
    }

    fn push(&mut self, item: T) {
        if self.0.len() == MOST as usize {
            self.0.pop_front();
        }
        self.0.push_back(item);
    }

    /// Newest first.
    fn into_vec(self) -> Vec<T> {
        self.0.into_iter().rev().collect()
    }
}

/// A full read, as the anomalies weigh it.
struct Read {
    entry: audit_log::Model,
    /// Whether it read residents (the reads weighed and placed).
    residents: bool,
    /// How many rows it showed in full.
    rows: u64,
    /// The grids of what it showed, as they were when it was read.
    grids: Vec<String>,
}

/// The grids an entry says it showed. Entries written before they said
/// so have `None`.
fn grids_recorded(detail: &serde_json::Value) -> Option<Vec<String>> {
    detail.get("grids")?.as_array().map(|grids| {
        grids
            .iter()
            .filter_map(|grid| grid.as_str().map(str::to_owned))
            .collect()
    })
}

/// Where residents live now, learnt as entries from before reads named
/// their grids ask for them, each resident once (the same pages are read
/// over and over): at most one grid per resident of the city.
#[derive(Default)]
struct LivesNow(HashMap<i64, String>);

impl LivesNow {
    async fn learn(&mut self, db: &DatabaseConnection, ids: HashSet<i64>) -> ApiResult<()> {
        let unknown: Vec<i64> = ids
            .into_iter()
            .filter(|id| !self.0.contains_key(id))
            .collect();
        for chunk in unknown.chunks(500) {
            let found: Vec<(i64, String)> = resident::Entity::find()
                .select_only()
                .column(resident::Column::Id)
                .column(resident::Column::GridCode)
                .filter(resident::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(db)
                .await?;
            self.0.extend(found);
        }
        Ok(())
    }

    /// The grids `ids` live in, each once, in order.
    fn grids(&self, ids: &[i64]) -> Vec<String> {
        let grids: BTreeSet<&String> = ids.iter().filter_map(|id| self.0.get(id)).collect();
        grids.into_iter().cloned().collect()
    }
}

/// Hands `visit` every full read of `[from, before)` among the entries
/// `visible` admits, oldest first, a batch at a time (pages of `(at, id)`
/// on the log's index by `at`); only residents' reads when `residents_only`.
async fn each_read(
    db: &DatabaseConnection,
    visible: &Condition,
    (from, before): (DateTime<Utc>, DateTime<Utc>),
    residents_only: bool,
    lives_now: &mut LivesNow,
    mut visit: impl FnMut(Read),
) -> ApiResult<()> {
    let mut after: Option<(DateTime<Utc>, i64)> = None;
    loop {
        let mut batch = audit_log::Entity::find()
            .filter(visible.clone())
            .filter(if residents_only {
                audit_log::Column::Action.eq(RESIDENTS_READ)
            } else {
                audit_log::Column::Action.like("%.read_unmasked")
            })
            .filter(audit_log::Column::At.lt(before));
        batch = match after {
            None => batch.filter(audit_log::Column::At.gte(from)),
            // `at >= ` alone is what the index starts from; the rest
            // steps over the rows of that instant already seen.
            Some((at, id)) => batch.filter(audit_log::Column::At.gte(at)).filter(
                Condition::any()
                    .add(audit_log::Column::At.gt(at))
                    .add(audit_log::Column::Id.gt(id)),
            ),
        };
        let rows = batch
            .order_by_asc(audit_log::Column::At)
            .order_by_asc(audit_log::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = Some((last.at, last.id));
        let last_batch = (rows.len() as u64) < BATCH;
        // An entry from before reads named their grids is placed by
        // where its residents live now: the best there is.
        let unplaced: HashSet<i64> = rows
            .iter()
            .filter(|row| row.action == RESIDENTS_READ && grids_recorded(&row.detail).is_none())
            .flat_map(|row| audit::ids_named(&row.detail))
            .collect();
        lives_now.learn(db, unplaced).await?;
        for entry in rows {
            let ids: Vec<i64> = audit::ids_named(&entry.detail).collect();
            let residents = entry.action == RESIDENTS_READ;
            // Only residents' reads are placed; the ids of other kinds
            // are not residents.
            let grids = match grids_recorded(&entry.detail) {
                Some(grids) => grids,
                None if residents => lives_now.grids(&ids),
                None => Vec::new(),
            };
            visit(Read {
                residents,
                rows: ids.len() as u64,
                grids,
                entry,
            });
        }
        if last_batch {
            return Ok(());
        }
    }
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
    let visible = in_scope_or_city(audit_log::Column::AreaCode, &scope);

    // Learnt before the period is walked, so that each read of it can be
    // judged as it passes.
    let mut usual: HashMap<ActorKey, HashSet<String>> = HashMap::new();
    let mut lives_now = LivesNow::default();
    each_read(
        db,
        &visible,
        (from - BASELINE, from),
        true,
        &mut lives_now,
        |read| {
            if let Some(actor) = actor_of(&read.entry) {
                usual.entry(actor).or_default().extend(read.grids);
            }
        },
    )
    .await?;

    let calendar = clock::calendar(db).await?;
    let mut counts: BTreeMap<ActorKey, (String, u64)> = BTreeMap::new();
    let mut after_hours = Newest::new();
    let mut outside_usual_grids = Newest::new();
    each_read(
        db,
        &visible,
        (from, before),
        false,
        &mut lives_now,
        |read| {
            if !calendar.is_office_hours(read.entry.at) {
                after_hours.push(read.entry.clone());
            }
            if !read.residents {
                return;
            }
            let Some(actor) = actor_of(&read.entry) else {
                return;
            };
            counts
                .entry(actor)
                .or_insert_with(|| (read.entry.actor_name.clone(), 0))
                .1 += read.rows;
            // A caller with no earlier reads has no usual grids to leave.
            let Some(known) = usual.get(&actor) else {
                return;
            };
            let strange: Vec<String> = read
                .grids
                .into_iter()
                .filter(|grid| !known.contains(grid))
                .collect();
            if !strange.is_empty() {
                outside_usual_grids.push(UnusualRead {
                    entry: read.entry,
                    grids: strange,
                });
            }
        },
    )
    .await?;

    // Heavy readers: rows read in full per caller, against the median of
    // callers of the same kind.
    let users: Vec<i64> = counts
        .keys()
        .filter_map(|actor| match actor {
            ActorKey::User(id) => Some(*id),
            ActorKey::Token(_) => None,
        })
        .collect();
    let mut kinds: HashMap<i64, String> = HashMap::new();
    for chunk in users.chunks(500) {
        kinds.extend(
            user::Entity::find()
                .filter(user::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|row| (row.id, row.kind.to_value())),
        );
    }
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
        after_hours: after_hours.into_vec(),
        outside_usual_grids: outside_usual_grids.into_vec(),
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
