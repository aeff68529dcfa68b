//! The chain: every sealed audit row is linked, in the order a chainer
//! finds it, to the link before it — `hash = HMAC(prev, seq, row id, the
//! row's content)` — so that a row changed, deleted, inserted or moved
//! after the fact no longer fits. Writers only seal their own rows (no
//! lock between requests); the links are made behind them by whichever
//! replica's chainer gets there first: two chainers racing for the same
//! link number cannot both commit it, so the log forms one chain however
//! many replicas write it. The head (length and hash) is published in
//! `/metrics` and the log, so that a rewrite of the whole chain shows
//! against a copy kept elsewhere.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entities::{audit_chain, audit_chain_genesis, audit_log};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};

use super::archive::{ARCHIVED, start_of};
use super::seal::{Seal, Sealed};
use crate::error::{ApiError, ApiResult};

/// How far back a chainer's round looks for rows to link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// For rows numbered after the newest link, and after those earlier
    /// rounds of this kind read: none of them is linked, so no anti-join
    /// is needed. Under load every round finds some; the margin, whose
    /// anti-join reads thousands of rows, waits for rounds of its own.
    New,
    /// For rows within the margin below the newest link too: one that
    /// committed after a row numbered above it was linked.
    Margin,
    /// For every row.
    All,
}

/// The most rows linked in one transaction.
const BATCH: u64 = 2000;
/// How far below the newest linked row a row may still be waiting: rows
/// are numbered as they are written and commit within a request's time,
/// during which fewer than this many others are written.
const ID_MARGIN: i64 = 10_000;
/// Every this many rounds a chainer looks at every row, so that none is
/// left behind whatever happened (a transaction that outlived the margin).
const SWEEP_EVERY: u32 = 1200;
/// Every this many rounds it looks within the margin: every 2 s, while a
/// row that commits late is a few hundred below the newest link and the
/// margin is further below than a chainer links in that time (4 rounds of
/// [`BATCH`]).
const MARGIN_EVERY: u32 = 4;

/// The end of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// How many links the chain has.
    pub length: i64,
    /// The last link's hash (the genesis hash for an empty chain).
    pub hash: String,
}

/// Where the chain starts: rows written before seals existed, taken as
/// they stood, and the hash the first link follows.
struct Genesis {
    legacy_until: i64,
    hash: String,
}

async fn genesis<C: ConnectionTrait>(db: &C, seal: &Seal) -> ApiResult<Genesis> {
    let legacy_until = audit_chain_genesis::Entity::find_by_id(1)
        .one(db)
        .await?
        .map_or(0, |row| row.legacy_until);
    Ok(Genesis {
        legacy_until,
        hash: seal.over(&[b"gridgov audit chain", legacy_until.to_string().as_bytes()]),
    })
}

/// What a row says, as its seal and its link cover it: the seal it should
/// carry, `None` when it carries none and is not old enough to be excused.
fn content(seal: &Seal, row: &audit_log::Model, legacy_until: i64) -> Option<String> {
    let salt = match &row.seal {
        Some(stored) => stored.get(..32)?,
        None if row.id <= legacy_until => "",
        None => return None,
    };
    Some(format!("{salt}{}", Sealed::of(row).seal(seal, salt)))
}

/// Whether `row` carries the seal its content calls for.
pub fn sealed(seal: &Seal, row: &audit_log::Model, legacy_until: i64) -> bool {
    match (content(seal, row, legacy_until), &row.seal) {
        (Some(expected), Some(stored)) => &expected == stored,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

fn link(seal: &Seal, prev: &str, seq: i64, row: i64, content: &str) -> String {
    seal.over(&[
        prev.as_bytes(),
        seq.to_string().as_bytes(),
        row.to_string().as_bytes(),
        content.as_bytes(),
    ])
}

/// The last link, or the genesis for an empty chain.
pub async fn head<C: ConnectionTrait>(db: &C, seal: &Seal) -> ApiResult<Head> {
    let last = audit_chain::Entity::find()
        .order_by_desc(audit_chain::Column::Seq)
        .one(db)
        .await?;
    Ok(match last {
        Some(link) => Head {
            length: link.seq,
            hash: link.hash,
        },
        None => Head {
            length: 0,
            hash: genesis(db, seal).await?.hash,
        },
    })
}

/// Legacy rows (written before seals) carry a content seal with no salt:
/// 64 characters against a sealed row's 96.
fn is_legacy_seal(row_seal: &str) -> bool {
    row_seal.len() == 64
}

/// What a chainer has looked at, from one round to the next.
#[derive(Debug, Default)]
pub struct Looked {
    /// Rows it will not link (no valid seal of their own, or copies).
    /// Skipped as they are read, never sent to the database as a list:
    /// a flood of them inserted at the database would outgrow what one
    /// statement may carry, and stop the chain.
    refused: HashSet<i64>,
    /// The newest row its rounds for new rows have read, linked or
    /// refused: the next one reads after it.
    passed: i64,
    /// Whether the last round took a whole batch, so that more may wait:
    /// the next round starts at once (a backlog, or a flood to pass over,
    /// is not worked through a batch each `every`).
    behind: bool,
}

/// The rows a round of `look` links, `max` being the newest linked.
fn to_link(look: Look, max: Option<i64>, passed: i64) -> Select<audit_log::Entity> {
    let find = audit_log::Entity::find();
    match (look, max) {
        // Nothing above the newest link is linked: no anti-join to make.
        (Look::New, Some(max)) => find.filter(audit_log::Column::Id.gt(Ord::max(max, passed))),
        // The margin below the newest link, up to what the new rounds
        // have read (past the newest link when the last rows they read
        // were refused); above that is theirs.
        (Look::Margin, Some(max)) => find
            .filter(not_linked(Some(max - ID_MARGIN)))
            .filter(audit_log::Column::Id.gt(max - ID_MARGIN))
            .filter(audit_log::Column::Id.lte(Ord::max(max, passed))),
        _ => find.filter(not_linked(None)),
    }
}

/// The numbers of up to `most` rows of `select` not refused, in order,
/// and the newest row read (kept or skipped). Read by number alone, a
/// page at a time, so that refused rows cost little to pass over.
async fn not_refused<C: ConnectionTrait>(
    db: &C,
    select: Select<audit_log::Entity>,
    refused: &HashSet<i64>,
    most: usize,
) -> ApiResult<(Vec<i64>, Option<i64>)> {
    let mut kept = Vec::new();
    let mut read = None;
    loop {
        let page: Vec<i64> = select
            .clone()
            .select_only()
            .column(audit_log::Column::Id)
            .filter(audit_log::Column::Id.gt(read.unwrap_or(0)))
            .order_by_asc(audit_log::Column::Id)
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await?;
        for id in &page {
            read = Some(*id);
            if !refused.contains(id) {
                kept.push(*id);
                if kept.len() == most {
                    return Ok((kept, read));
                }
            }
        }
        if (page.len() as u64) < BATCH {
            return Ok((kept, read));
        }
    }
}

/// Rows of `audit_log` with no link, as an anti-join: `NOT IN` a subquery
/// hashes every link of the chain each time (and past `work_mem`, looks
/// each row up by a scan). With `above`, both sides are read only above
/// that row number, so a chainer's round costs the margin, not the chain.
fn not_linked(above: Option<i64>) -> SimpleExpr {
    let mut links = Query::select()
        .expr(Expr::val(1))
        .from(audit_chain::Entity)
        .and_where(
            Expr::col((audit_chain::Entity, audit_chain::Column::AuditId))
                .equals((audit_log::Entity, audit_log::Column::Id)),
        )
        .to_owned();
    if let Some(above) = above {
        links.and_where(Expr::col((audit_chain::Entity, audit_chain::Column::AuditId)).gt(above));
    }
    Expr::exists(links).not()
}

/// The links that carry the seal of any of `rows`, by seal, with the row
/// each links: a copy of a linked row carries its seal. On PostgreSQL the
/// links are unique by time and seal (migration 000030), and a copy also
/// carries the row's time (another would not match its seal), so the
/// lookup names both to use that index; SQLite keeps a key of the seal
/// alone.
async fn linked_as<C: ConnectionTrait>(
    db: &C,
    rows: &[audit_log::Model],
) -> ApiResult<HashMap<String, i64>> {
    let sealed: Vec<&audit_log::Model> = rows.iter().filter(|row| row.seal.is_some()).collect();
    if sealed.is_empty() {
        return Ok(HashMap::new());
    }
    let mut links = audit_chain::Entity::find()
        .select_only()
        .column(audit_chain::Column::RowSeal)
        .column(audit_chain::Column::AuditId)
        .filter(
            audit_chain::Column::RowSeal.is_in(sealed.iter().filter_map(|row| row.seal.clone())),
        );
    if db.get_database_backend() == DbBackend::Postgres {
        links = links.filter(audit_chain::Column::At.is_in(sealed.iter().map(|row| row.at)));
    }
    Ok(links.into_tuple().all(db).await?.into_iter().collect())
}

/// The newest row the chain holds.
async fn max_linked<C: ConnectionTrait>(db: &C) -> ApiResult<Option<i64>> {
    let max: Option<Option<i64>> = audit_chain::Entity::find()
        .select_only()
        .column_as(audit_chain::Column::AuditId.max(), "max")
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten())
}

/// The numbers of the rows the chain holds.
fn linked_ids() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(audit_chain::Column::AuditId)
        .from(audit_chain::Entity)
        .to_owned()
}

/// Links rows not yet in the chain, up to a batch, and answers the head.
/// Rows whose seal does not check out, and copies of linked rows, are
/// never linked; they are kept in `looked` (so that they are passed over
/// from then on) and logged, since only someone at the database writes
/// them. Rows written before seals existed are linked as they stood,
/// before any sealed row; once a sealed row is linked no unsealed row
/// ever is.
pub async fn extend(
    db: &DatabaseConnection,
    seal: &Seal,
    looked: &mut Looked,
    look: Look,
) -> ApiResult<Head> {
    looked.behind = false;
    // Looked for first without the write lock, which SQLite's writers
    // share: most rounds find nothing to do.
    let max = max_linked(db).await?;
    let (waiting, _) =
        not_refused(db, to_link(look, max, looked.passed), &looked.refused, 1).await?;
    if waiting.is_empty() {
        return head(db, seal).await;
    }
    let txn = crate::db::begin_write(db).await?;
    let genesis = genesis(&txn, seal).await?;
    let last = audit_chain::Entity::find()
        .order_by_desc(audit_chain::Column::Seq)
        .one(&txn)
        .await?;
    let (mut seq, mut prev) = match &last {
        Some(link) => (link.seq, link.hash.clone()),
        None => (0, genesis.hash.clone()),
    };
    let mut legacy_open = last
        .as_ref()
        .is_none_or(|link| is_legacy_seal(&link.row_seal));
    let to_read = to_link(look, max_linked(&txn).await?, looked.passed);
    let (ids, read) = not_refused(&txn, to_read, &looked.refused, BATCH as usize).await?;
    let whole = ids.len() as u64 == BATCH;
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::Id.is_in(ids))
        .order_by_asc(audit_log::Column::Id)
        .all(&txn)
        .await?;
    let copied = linked_as(&txn, &rows).await?;
    let mut links = Vec::with_capacity(rows.len());
    let mut refused = Vec::new();
    let mut seen = HashSet::new();
    for row in &rows {
        let legacy = row.seal.is_none();
        let acceptable = sealed(seal, row, genesis.legacy_until)
            && (!legacy || legacy_open)
            && row
                .seal
                .as_ref()
                .is_none_or(|s| !copied.contains_key(s) && seen.insert(s.clone()));
        let Some(content) = content(seal, row, genesis.legacy_until).filter(|_| acceptable) else {
            tracing::error!(
                row = row.id,
                "an audit row the chain refuses (no valid seal of its own, or a copy of a linked \
                 row): written at the database, not by gridgov"
            );
            refused.push(row.id);
            continue;
        };
        legacy_open &= legacy;
        seq += 1;
        let hash = link(seal, &prev, seq, row.id, &content);
        links.push(audit_chain::ActiveModel {
            seq: Set(seq),
            audit_id: Set(row.id),
            row_seal: Set(content),
            hash: Set(hash.clone()),
            at: Set(row.at),
        });
        prev = hash;
    }
    if !links.is_empty() {
        audit_chain::Entity::insert_many(links)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    // Only once committed: a round that lost a race looks again.
    looked.refused.extend(refused);
    looked.behind = whole;
    if look == Look::New
        && let Some(read) = read
    {
        looked.passed = Ord::max(looked.passed, read);
    }
    Ok(Head {
        length: seq,
        hash: prev,
    })
}

/// Whether `seal` is the key the log was sealed with: the newest linked
/// sealed row checks out under it (a log with none yet takes any key). A
/// replica with a key of its own would refuse every other replica's rows.
pub async fn same_key(db: &DatabaseConnection, seal: &Seal) -> ApiResult<bool> {
    let newest = audit_log::Entity::find()
        .filter(audit_log::Column::Seal.is_not_null())
        .filter(Expr::col((audit_log::Entity, audit_log::Column::Id)).in_subquery(linked_ids()))
        .order_by_desc(audit_log::Column::Id)
        .one(db)
        .await?;
    Ok(newest.is_none_or(|row| sealed(seal, &row, 0)))
}

/// The rows a sealed entry names (`detail.ids`), as the index of named
/// rows should hold them; `None` when the entry does not say. A reading of
/// the log written before entries listed the rows they name says only the
/// resident looked up by id (`detail.resident`), not those a lookup by ID
/// number found.
fn named(row: &audit_log::Model) -> Option<BTreeSet<(String, i64)>> {
    let listed = row.detail.get("ids").is_some();
    let by_number = row.detail["byIdNumber"] == serde_json::Value::Bool(true);
    let ids: Vec<i64> = match (row.action.as_str(), listed) {
        ("audit_log.read", false) if by_number => return None,
        ("audit_log.read", false) => row.detail["resident"].as_i64().into_iter().collect(),
        _ => super::ids_named(&row.detail).collect(),
    };
    Some(
        ids.into_iter()
            .map(|id| (row.object_kind.clone(), id))
            .collect(),
    )
}

/// The first thing found wrong with the log, naming the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A link of the chain is gone: its row was deleted along with it.
    LinkMissing { seq: i64 },
    /// A linked row is gone.
    RowDeleted { seq: i64, row: i64 },
    /// A linked row no longer says what it said when it was linked (its
    /// content changed, or it was swapped with another).
    RowAltered { seq: i64, row: i64 },
    /// A row whose seal does not check out: written without the key.
    RowForged { row: i64 },
    /// A row that repeats the seal of another: copied.
    RowCopied { row: i64 },
    /// The rows a read names in the index that "who looked at this
    /// person" searches are not the ones its sealed content names.
    SubjectsAltered { row: i64 },
    /// A sealed row left unlinked for longer than any chainer would: no
    /// chainer runs, or one was kept from it.
    NotLinked { row: i64 },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::LinkMissing { seq } => write!(f, "link {seq} of the chain is missing"),
            Problem::RowDeleted { seq, row } => {
                write!(f, "row {row} (link {seq}) has been deleted")
            }
            Problem::RowAltered { seq, row } => {
                write!(
                    f,
                    "row {row} does not match link {seq}: it was altered or moved"
                )
            }
            Problem::RowForged { row } => {
                write!(f, "row {row} carries no valid seal: it was inserted")
            }
            Problem::SubjectsAltered { row } => write!(
                f,
                "the rows indexed for row {row} are not the ones it names: the index was altered"
            ),
            Problem::RowCopied { row } => {
                write!(
                    f,
                    "row {row} repeats the seal of a linked row: it was copied in"
                )
            }
            Problem::NotLinked { row } => write!(f, "row {row} has not been linked"),
        }
    }
}

/// What `audit verify` found.
#[derive(Debug, Clone)]
pub struct Verification {
    /// Links walked and found sound.
    pub links: i64,
    /// Sealed rows not linked yet (written in the last minutes).
    pub pending: u64,
    pub head: Head,
    pub problem: Option<Problem>,
}

/// Walks the chain from its start, recomputing every link from the row it
/// names, then looks at the rows outside it; stops at the first problem.
/// Rows written within `settle` of `now` may still be waiting for a
/// chainer.
pub async fn verify(
    db: &DatabaseConnection,
    seal: &Seal,
    now: DateTime<Utc>,
    settle: Duration,
    mut progress: impl FnMut(i64),
) -> ApiResult<Verification> {
    let genesis = genesis(db, seal).await?;
    // After an archive run the chain left here continues from the last
    // link it moved out, as its own sealed entry says; without one (or
    // with one deleted) the walk starts at the genesis and a missing link
    // shows.
    let archived = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(ARCHIVED))
        .order_by_desc(audit_log::Column::Id)
        .one(db)
        .await?
        // Written by an archive run, so sealed: a legacy row rewritten to
        // look like one does not move the start.
        .filter(|row| row.seal.is_some() && sealed(seal, row, genesis.legacy_until))
        .and_then(|row| start_of(&row));
    let (mut seq, mut prev, mut legacy_open) = match archived {
        Some(start) => (start.seq_until, start.hash_until, start.legacy_open),
        None => (0, genesis.hash.clone(), true),
    };
    let page = 1000;
    loop {
        let links = audit_chain::Entity::find()
            .filter(audit_chain::Column::Seq.gt(seq))
            .order_by_asc(audit_chain::Column::Seq)
            .limit(page)
            .all(db)
            .await?;
        if links.is_empty() {
            break;
        }
        let ids: Vec<i64> = links.iter().map(|link| link.audit_id).collect();
        let rows: HashMap<i64, audit_log::Model> = audit_log::Entity::find()
            .filter(audit_log::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        let indexed = super::subjects::indexed(db, &ids).await?;
        for stored in &links {
            let fail = |problem| {
                Ok(Verification {
                    links: seq,
                    pending: 0,
                    head: Head {
                        length: seq,
                        hash: prev.clone(),
                    },
                    problem: Some(problem),
                })
            };
            if stored.seq != seq + 1 {
                return fail(Problem::LinkMissing { seq: seq + 1 });
            }
            let Some(row) = rows.get(&stored.audit_id) else {
                return fail(Problem::RowDeleted {
                    seq: stored.seq,
                    row: stored.audit_id,
                });
            };
            let altered = Problem::RowAltered {
                seq: stored.seq,
                row: row.id,
            };
            let Some(content) = content(seal, row, genesis.legacy_until) else {
                return fail(altered);
            };
            if !sealed(seal, row, genesis.legacy_until)
                || link(seal, &prev, stored.seq, row.id, &content) != stored.hash
            {
                return fail(altered);
            }
            if named(row)
                .is_some_and(|named| named != indexed.get(&row.id).cloned().unwrap_or_default())
            {
                return fail(Problem::SubjectsAltered { row: row.id });
            }
            // Legacy rows come before every sealed row: an unsealed row
            // linked later was slipped in.
            if row.seal.is_some() {
                legacy_open = false;
            } else if !legacy_open {
                return fail(Problem::RowForged { row: row.id });
            }
            seq = stored.seq;
            prev = stored.hash.clone();
        }
        progress(seq);
    }
    let head = Head {
        length: seq,
        hash: prev,
    };
    // The rows outside the chain: forged, copied, late, or just written.
    // A page at a time: after a chainer stopped for days they are many,
    // and their seals are looked up in the chain as parameters of one
    // statement.
    let mut pending = 0;
    let mut after = 0;
    loop {
        let unlinked = audit_log::Entity::find().filter(not_linked(None));
        let outside = super::rows_after(db, unlinked, after, page).await?;
        let Some(last) = outside.last() else {
            break;
        };
        after = last.id;
        // A row linked while this walk ran carries a seal linked to itself.
        let linked = linked_as(db, &outside).await?;
        for row in &outside {
            let problem = if !sealed(seal, row, genesis.legacy_until) {
                Some(Problem::RowForged { row: row.id })
            } else if row
                .seal
                .as_ref()
                .and_then(|s| linked.get(s))
                .is_some_and(|linked| *linked != row.id)
            {
                Some(Problem::RowCopied { row: row.id })
            } else if row.at < now - settle {
                Some(Problem::NotLinked { row: row.id })
            } else {
                pending += 1;
                None
            };
            if let Some(problem) = problem {
                return Ok(Verification {
                    links: head.length,
                    pending,
                    head,
                    problem: Some(problem),
                });
            }
        }
    }
    Ok(Verification {
        links: head.length,
        pending,
        head,
        problem: None,
    })
}

/// Keeps linking, every `every`, until the process ends; the head is
/// published after each round that moved it.
pub async fn run(
    db: DatabaseConnection,
    seal: Seal,
    every: std::time::Duration,
    publish: impl Fn(&Head) + Send + 'static,
) {
    let mut looked = Looked::default();
    let mut published: Option<Head> = None;
    let mut logged_at = std::time::Instant::now() - LOG_EVERY;
    let mut round: u32 = 0;
    loop {
        let look = if round.is_multiple_of(SWEEP_EVERY) {
            Look::All
        } else if round.is_multiple_of(MARGIN_EVERY) {
            Look::Margin
        } else {
            Look::New
        };
        round = round.wrapping_add(1);
        match extend(&db, &seal, &mut looked, look).await {
            Ok(head) => {
                if published.as_ref() != Some(&head) {
                    publish(&head);
                    if logged_at.elapsed() >= LOG_EVERY {
                        tracing::info!(length = head.length, hash = %head.hash, "audit chain head");
                        logged_at = std::time::Instant::now();
                    }
                    published = Some(head);
                }
            }
            // The database is away: the next round picks up.
            Err(ApiError::Unavailable) => {}
            // Another replica took the same link number first.
            Err(ApiError::Internal(err)) if is_race(&err) => {
                tracing::debug!(error = ?err, "another replica linked first");
            }
            Err(err) => tracing::error!(error = ?err, "the audit chain cannot be extended"),
        }
        if !looked.behind {
            tokio::time::sleep(every).await;
        }
    }
}

/// Whether a failed round lost the race for a link number to another
/// replica (the unique keys of `audit_chain`).
fn is_race(err: &anyhow::Error) -> bool {
    err.downcast_ref::<sea_orm::DbErr>()
        .and_then(sea_orm::DbErr::sql_err)
        .is_some_and(|err| matches!(err, sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// How often the head is written to the log while it moves.
const LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::named;

    fn entry(action: &str, kind: &str, detail: serde_json::Value) -> entities::audit_log::Model {
        entities::audit_log::Model {
            id: 1,
            at: chrono::Utc::now(),
            actor_user_id: None,
            actor_token_id: None,
            actor_name: "auditor".to_owned(),
            action: action.to_owned(),
            object_kind: kind.to_owned(),
            object_id: None,
            area_code: None,
            detail,
            request_id: None,
            address: None,
            session: None,
            seal: None,
        }
    }

    fn ids(pairs: &[i64]) -> Option<std::collections::BTreeSet<(String, i64)>> {
        Some(
            pairs
                .iter()
                .map(|id| ("resident".to_owned(), *id))
                .collect(),
        )
    }

    #[test]
    fn an_entry_names_what_its_sealed_detail_lists() {
        let read = entry(
            "resident.read_unmasked",
            "resident",
            json!({"ids": [3, 5], "fields": ["phone"]}),
        );
        assert_eq!(named(&read), ids(&[3, 5]));
        let lookup = entry(
            "audit_log.read",
            "resident",
            json!({"resident": 7, "byIdNumber": false, "ids": [7]}),
        );
        assert_eq!(named(&lookup), ids(&[7]));
        let change = entry("resident.update", "resident", json!({"fields": ["phone"]}));
        assert_eq!(named(&change), ids(&[]));
    }

    #[test]
    fn an_older_reading_of_the_log_names_the_resident_it_asked_for_or_says_nothing() {
        let by_id = entry(
            "audit_log.read",
            "resident",
            json!({"resident": 7, "byIdNumber": false}),
        );
        assert_eq!(named(&by_id), ids(&[7]));
        let by_number = entry(
            "audit_log.read",
            "resident",
            json!({"resident": null, "byIdNumber": true}),
        );
        assert_eq!(named(&by_number), None);
        let of_nobody = entry(
            "audit_log.read",
            "audit_log",
            json!({"resident": null, "byIdNumber": false}),
        );
        assert_eq!(named(&of_nobody).map(|set| set.len()), Some(0));
    }
}
