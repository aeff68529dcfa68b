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

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use entities::{audit_chain, audit_chain_genesis, audit_log};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

use super::seal::{Seal, Sealed};
use crate::error::{ApiError, ApiResult};

/// The most rows linked in one transaction.
const BATCH: u64 = 2000;
/// How long after its time a row may still commit (a request's longest
/// transaction, with room): a chainer looks this far behind the last row
/// it linked for rows that committed late.
const LATE: Duration = Duration::minutes(2);

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

/// Links rows not yet in the chain, up to a batch, and answers the head.
/// Rows whose seal does not check out are never linked; they are added to
/// `refused` (so that they are not looked at again) and logged, since only
/// someone without the key writes them.
pub async fn extend(
    db: &DatabaseConnection,
    seal: &Seal,
    refused: &mut HashSet<i64>,
) -> ApiResult<Head> {
    let txn = db.begin().await?;
    let genesis = genesis(&txn, seal).await?;
    let last = audit_chain::Entity::find()
        .order_by_desc(audit_chain::Column::Seq)
        .one(&txn)
        .await?;
    let (mut seq, mut prev, since) = match &last {
        Some(link) => (link.seq, link.hash.clone(), Some(link.at - LATE)),
        None => (0, genesis.hash.clone(), None),
    };
    let mut unlinked = audit_log::Entity::find().filter(
        Expr::col((audit_log::Entity, audit_log::Column::Id)).not_in_subquery(
            Query::select()
                .column(audit_chain::Column::AuditId)
                .from(audit_chain::Entity)
                .to_owned(),
        ),
    );
    if let Some(since) = since {
        unlinked = unlinked.filter(audit_log::Column::At.gte(since));
    }
    if !refused.is_empty() {
        unlinked = unlinked.filter(audit_log::Column::Id.is_not_in(refused.iter().copied()));
    }
    let rows = unlinked
        .order_by_asc(audit_log::Column::Id)
        .limit(BATCH)
        .all(&txn)
        .await?;
    let mut links = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(content) = content(seal, row, genesis.legacy_until)
            .filter(|_| sealed(seal, row, genesis.legacy_until))
        else {
            tracing::error!(
                row = row.id,
                "an audit row without a valid seal: written by someone without the key"
            );
            refused.insert(row.id);
            continue;
        };
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
    Ok(Head {
        length: seq,
        hash: prev,
    })
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
    let mut prev = genesis.hash.clone();
    let mut seq = 0;
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
        let rows: std::collections::HashMap<i64, audit_log::Model> = audit_log::Entity::find()
            .filter(audit_log::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
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
    let outside = audit_log::Entity::find()
        .filter(
            Expr::col((audit_log::Entity, audit_log::Column::Id)).not_in_subquery(
                Query::select()
                    .column(audit_chain::Column::AuditId)
                    .from(audit_chain::Entity)
                    .to_owned(),
            ),
        )
        .order_by_asc(audit_log::Column::Id)
        .all(db)
        .await?;
    let linked_seals: HashSet<String> = if outside.is_empty() {
        HashSet::new()
    } else {
        audit_chain::Entity::find()
            .select_only()
            .column(audit_chain::Column::RowSeal)
            .filter(
                audit_chain::Column::RowSeal.is_in(
                    outside
                        .iter()
                        .filter_map(|row| row.seal.clone())
                        .collect::<Vec<_>>(),
                ),
            )
            .into_tuple()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let mut pending = 0;
    for row in &outside {
        let problem = if !sealed(seal, row, genesis.legacy_until) {
            Some(Problem::RowForged { row: row.id })
        } else if row.seal.as_ref().is_some_and(|s| linked_seals.contains(s)) {
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
    let mut refused = HashSet::new();
    let mut published: Option<Head> = None;
    let mut logged_at = std::time::Instant::now() - LOG_EVERY;
    loop {
        match extend(&db, &seal, &mut refused).await {
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
            // Another replica took the same link number first, or the
            // database is away: the next round picks up.
            Err(ApiError::Unavailable) => {}
            Err(err) => tracing::debug!(error = ?err, "audit chain round did not commit"),
        }
        tokio::time::sleep(every).await;
    }
}

/// How often the head is written to the log while it moves.
const LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(600);
