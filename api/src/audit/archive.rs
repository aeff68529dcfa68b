//! Retention: entries older than the retention period leave the database
//! for a file, a prefix of the chain at a time, and never silently — the
//! file is written and synced first, then one transaction records its
//! SHA-256, its rows and the link it ends at as an entry of the log (itself
//! sealed and chained) and removes what the file holds. `verify` then
//! starts from that link.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use entities::{audit_chain, audit_log, audit_subject};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::chain::verify;
use super::report::{ReportError, exported};
use super::{Actor, Entry, record};
use crate::auth::secret::hex;
use crate::error::ApiError;

/// The action of the entry an archive run leaves.
pub const ARCHIVED: &str = "audit_log.archive";

/// What an archive run moved out.
#[derive(Debug, Clone)]
pub struct Archived {
    pub rows: u64,
    /// The links it holds: `from_seq..=seq_until`.
    pub from_seq: i64,
    pub seq_until: i64,
    /// The last link's hash, which the chain left behind continues from.
    pub hash_until: String,
    pub sha256: String,
    pub path: PathBuf,
}

/// Where the chain left in the database starts after an archive run.
pub struct Start {
    pub seq_until: i64,
    pub hash_until: String,
    /// Whether rows written before seals existed may still follow.
    pub legacy_open: bool,
}

/// The start an archive run's (sealed, linked) entry records.
pub fn start_of(row: &audit_log::Model) -> Option<Start> {
    Some(Start {
        seq_until: row.detail["seqUntil"].as_i64()?,
        hash_until: row.detail["hashUntil"].as_str()?.to_owned(),
        legacy_open: row.detail["legacyOpen"].as_bool()?,
    })
}

/// Moves the entries linked before `older_than` (a prefix of the chain,
/// never its last link) to a new file in `dir`; `None` when there are
/// none.
pub async fn archive(
    db: &DatabaseConnection,
    actor: &Actor,
    older_than: DateTime<Utc>,
    dir: &Path,
) -> Result<Option<Archived>, ReportError> {
    let first = |order| async move {
        let link = audit_chain::Entity::find().order_by(audit_chain::Column::Seq, order);
        link.one(db).await.map_err(ApiError::from)
    };
    let (Some(oldest), Some(newest)) = (
        first(sea_orm::Order::Asc).await?,
        first(sea_orm::Order::Desc).await?,
    ) else {
        return Ok(None);
    };
    let young = audit_chain::Entity::find()
        .filter(audit_chain::Column::At.gte(older_than))
        .order_by_asc(audit_chain::Column::Seq)
        .one(db)
        .await?;
    let until = Ord::min(
        young.map_or(newest.seq, |link| link.seq - 1),
        newest.seq - 1,
    );
    if until < oldest.seq {
        return Ok(None);
    }

    // Only a sound chain leaves: what is moved out can no longer be checked
    // against the rows it came from.
    let seal = &actor.seal;
    let checked = verify(db, seal, Utc::now(), Duration::minutes(2), |_| {}).await?;
    if let Some(problem) = checked.problem {
        return Err(ApiError::InvalidState(format!(
            "the audit chain does not verify ({problem}): nothing is archived until that is looked into"
        ))
        .into());
    }

    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("audit-{:012}-{:012}.jsonl", oldest.seq, until));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    let mut out = std::io::BufWriter::new(file);
    let mut digest = Sha256::new();
    let mut rows = 0;
    let mut seq = oldest.seq - 1;
    let mut hash_until = String::new();
    let mut legacy_open = true;
    while seq < until {
        let links = audit_chain::Entity::find()
            .filter(audit_chain::Column::Seq.gt(seq))
            .filter(audit_chain::Column::Seq.lte(until))
            .order_by_asc(audit_chain::Column::Seq)
            .limit(1000)
            .all(db)
            .await?;
        let Some(last) = links.last() else { break };
        let held: HashMap<i64, audit_log::Model> = audit_log::Entity::find()
            .filter(audit_log::Column::Id.is_in(links.iter().map(|link| link.audit_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        for link in &links {
            let Some(row) = held.get(&link.audit_id) else {
                return Err(ApiError::InvalidState(format!(
                    "row {} of link {} went missing while archiving",
                    link.audit_id, link.seq
                ))
                .into());
            };
            let mut line = exported(row);
            line["link"] = json!({"seq": link.seq, "auditId": link.audit_id,
                "rowSeal": link.row_seal, "hash": link.hash});
            let text = format!("{line}\n");
            digest.update(text.as_bytes());
            out.write_all(text.as_bytes())?;
            rows += 1;
        }
        seq = last.seq;
        hash_until = last.hash.clone();
        legacy_open = last.row_seal.len() == 64;
    }
    out.flush()?;
    out.get_ref().sync_all()?;
    let sha256 = hex(&digest.finalize());

    let txn = crate::db::begin_write(db).await?;
    let archived = Archived {
        rows,
        from_seq: oldest.seq,
        seq_until: until,
        hash_until,
        sha256,
        path,
    };
    record(
        &txn,
        actor,
        Entry {
            action: ARCHIVED,
            object_kind: "audit_log",
            object_id: None,
            area_code: None,
            detail: json!({
                "fromSeq": archived.from_seq, "seqUntil": archived.seq_until,
                "hashUntil": archived.hash_until, "legacyOpen": legacy_open,
                "rows": archived.rows,
                "file": archived.path.file_name().map(|name| name.to_string_lossy()),
                "sha256": archived.sha256,
            }),
        },
    )
    .await?;
    let linked = || {
        Query::select()
            .column(audit_chain::Column::AuditId)
            .from(audit_chain::Entity)
            .and_where(audit_chain::Column::Seq.between(archived.from_seq, archived.seq_until))
            .to_owned()
    };
    // The triggers let rows go only while this transaction holds the
    // permit.
    txn.execute_unprepared("INSERT INTO audit_archive_permit (id) VALUES (1)")
        .await?;
    audit_subject::Entity::delete_many()
        .filter(Expr::col(audit_subject::Column::AuditId).in_subquery(linked()))
        .exec(&txn)
        .await?;
    audit_log::Entity::delete_many()
        .filter(Expr::col(audit_log::Column::Id).in_subquery(linked()))
        .exec(&txn)
        .await?;
    audit_chain::Entity::delete_many()
        .filter(audit_chain::Column::Seq.between(archived.from_seq, archived.seq_until))
        .exec(&txn)
        .await?;
    txn.execute_unprepared("DELETE FROM audit_archive_permit")
        .await?;
    txn.commit().await?;
    Ok(Some(archived))
}
