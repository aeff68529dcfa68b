//! Importing a registry file: read once, as it arrives, never held whole
//! (a file on disk or an upload still coming in alike). Every row is
//! checked while the good ones are stored in batches under a `loading`
//! snapshot, which nothing compares with; at the first bad row storing
//! stops, the rest is still checked for the report, and the snapshot and
//! its rows are deleted: a refused file leaves nothing. A file read whole
//! becomes the kind's current snapshot in one last transaction with its
//! audit row (the previous one stays current until then).

use std::io::Read;
use std::sync::Arc;

use chrono::{Duration, Utc};
use entities::registry_entry;
use entities::registry_snapshot::{self, RegistryKind, SnapshotState};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::layouts::{self, Fault};
use super::matching::MatchKey;
use crate::audit::{self, Actor, Entry};
use crate::bulk_writer::BulkWriter;
use crate::error::{ApiError, ApiResult};

/// Bad rows a refusal reports one by one; the rest are counted.
pub const REPORTED_FAULTS: usize = 20;
/// Entries stored per statement.
const BATCH: usize = 1_000;
/// A snapshot still loading after this long was interrupted: an upload may
/// run an hour at most (`--upload-timeout-secs`), and the command line
/// imports the full city's household registry in under a minute.
const ABANDONED_AFTER_HOURS: i64 = 1;

/// One fault of a refused file: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowFault {
    /// The file's line (the header is line 1).
    pub line: u64,
    pub column: String,
    pub reason: String,
}

/// Why an import did not store a snapshot.
#[derive(Debug)]
pub enum ImportError {
    /// The file has bad rows (or no good header, or no rows): the first
    /// few faults, and how many there are in all.
    Refused {
        faults: Vec<RowFault>,
        count: u64,
    },
    Api(ApiError),
}

impl From<ApiError> for ImportError {
    fn from(err: ApiError) -> Self {
        ImportError::Api(err)
    }
}

impl From<sea_orm::DbErr> for ImportError {
    fn from(err: sea_orm::DbErr) -> Self {
        ImportError::Api(err.into())
    }
}

/// Told how many bytes of the file have been read.
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// A file to import.
pub struct Import {
    pub kind: RegistryKind,
    /// The file's bytes, read once: a file on disk, or an upload as it
    /// arrives.
    pub source: Box<dyn Read + Send>,
    /// The name it is known by (no directories).
    pub file_name: String,
}

/// Counts the bytes read and hashes them, telling `progress` as it goes.
struct Counting<R> {
    inner: R,
    hash: Sha256,
    read: u64,
    progress: Progress,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.read += n as u64;
        (self.progress)(self.read);
        Ok(n)
    }
}

fn line_of(record: &csv::StringRecord) -> u64 {
    record.position().map_or(0, csv::Position::line)
}

/// What was read: the rows after the header and the file's SHA-256.
struct Checked {
    rows: u64,
    sha256: String,
}

fn fault_at(line: u64, fault: Fault) -> RowFault {
    RowFault {
        line,
        column: fault.column,
        reason: fault.reason,
    }
}

/// The faults found so far: the first few, and how many.
#[derive(Default)]
struct FaultLog {
    faults: Vec<RowFault>,
    count: u64,
}

impl FaultLog {
    fn note(&mut self, fault: RowFault) {
        self.count += 1;
        if self.faults.len() < REPORTED_FAULTS {
            self.faults.push(fault);
        }
    }
}

/// Reads the file once, on a blocking thread: every row checked, and while
/// none is bad the entries go to `batches` a batch at a time (the channel
/// holds a few, so memory stays flat however long the file).
fn read(
    kind: RegistryKind,
    source: Box<dyn Read + Send>,
    key: &MatchKey,
    progress: Progress,
    batches: mpsc::Sender<Vec<registry_entry::ActiveModel>>,
) -> Result<Checked, ImportError> {
    let counting = Counting {
        inner: source,
        hash: Sha256::new(),
        read: 0,
        progress,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(counting);
    let mut log = FaultLog::default();
    let mut rows = 0u64;
    let mut batch = Vec::with_capacity(BATCH);
    let mut record = csv::StringRecord::new();
    let mut header = true;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) if header => {
                header = false;
                if let Some(fault) = layouts::check_header(kind, &record) {
                    log.note(fault_at(line_of(&record), fault));
                    break;
                }
            }
            Ok(true) => {
                rows += 1;
                match layouts::entry(kind, &record, key) {
                    Err(row_faults) => {
                        for fault in row_faults {
                            log.note(fault_at(line_of(&record), fault));
                        }
                        batch = Vec::new();
                    }
                    // Nothing more is stored once a row is bad.
                    Ok(_) if log.count > 0 => {}
                    Ok(mut entry) => {
                        entry.line = Set(line_of(&record) as i64);
                        batch.push(entry);
                        if batch.len() == BATCH
                            && batches.blocking_send(std::mem::take(&mut batch)).is_err()
                        {
                            // The storing side stopped, and says why.
                            return Err(stopped().into());
                        }
                    }
                }
            }
            Err(err) => {
                let line = err.position().map_or(0, csv::Position::line);
                let reason = match err.kind() {
                    csv::ErrorKind::Utf8 { .. } => "not UTF-8".to_owned(),
                    // The file itself could not be read (an upload cut
                    // short or over its limit): no fault of a row.
                    csv::ErrorKind::Io(io) => {
                        return Err(ApiError::bad_input(
                            "file",
                            format!("cannot read the file: {io}"),
                        )
                        .into());
                    }
                    _ => err.to_string(),
                };
                log.note(RowFault {
                    line,
                    column: "row".to_owned(),
                    reason,
                });
                batch = Vec::new();
                if !matches!(err.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
    }
    if log.count == 0 && header {
        log.note(RowFault {
            line: 1,
            column: "header".to_owned(),
            reason: format!(
                "the file is empty: it starts with the header {}",
                layouts::columns(kind).join(",")
            ),
        });
    } else if log.count == 0 && rows == 0 {
        log.note(RowFault {
            line: 2,
            column: "row".to_owned(),
            reason: "the file has a header and no rows".to_owned(),
        });
    }
    if log.count > 0 {
        return Err(ImportError::Refused {
            faults: log.faults,
            count: log.count,
        });
    }
    if !batch.is_empty() && batches.blocking_send(batch).is_err() {
        return Err(stopped().into());
    }
    Ok(Checked {
        rows,
        sha256: hex(reader.into_inner().hash),
    })
}

fn stopped() -> ApiError {
    ApiError::Internal(anyhow::anyhow!("the registry's rows stopped being stored"))
}

fn hex(hash: Sha256) -> String {
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Imports `file` as the new snapshot of its kind, on behalf of `actor`
/// (whose right to do so the caller has checked).
pub async fn import(
    db: &DatabaseConnection,
    actor: &Actor,
    key: &MatchKey,
    file: Import,
    progress: Progress,
) -> Result<registry_snapshot::Model, ImportError> {
    let Import {
        kind,
        source,
        file_name,
    } = file;
    abandon_stale(db, kind).await?;
    let_go_of_leftovers(db).await?;
    let snapshot = registry_snapshot::ActiveModel {
        id: NotSet,
        kind: Set(kind),
        state: Set(SnapshotState::Loading),
        file_name: Set(file_name.chars().take(200).collect()),
        rows: Set(0),
        sha256: Set(String::new()),
        imported_by_user_id: Set(actor.user_id),
        imported_by_token_id: Set(actor.token_id),
        imported_by_name: Set(actor.name.chars().take(64).collect()),
        started_at: Set(Utc::now()),
        accepted_at: Set(None),
    }
    .insert(db)
    .await?;
    // An import stopped half-way (its request timed out, or was dropped
    // with its connection) lets its rows go all the same.
    let mut unfinished = Unfinished {
        db: db.clone(),
        snapshot_id: snapshot.id,
        ended: false,
    };
    let outcome = finish(db, actor, key, kind, source, progress, &snapshot).await;
    unfinished.ended = true;
    outcome
}

/// Stores the rows of `snapshot` as they are read, then makes it current;
/// a refused file leaves nothing, a failed one a `failed` snapshot.
async fn finish(
    db: &DatabaseConnection,
    actor: &Actor,
    key: &MatchKey,
    kind: RegistryKind,
    source: Box<dyn Read + Send>,
    progress: Progress,
    snapshot: &registry_snapshot::Model,
) -> Result<registry_snapshot::Model, ImportError> {
    let read = store(db, kind, source, key, progress, snapshot.id).await;
    let checked = match read {
        Ok(checked) => checked,
        Err(ImportError::Refused { faults, count }) => {
            forget(db, snapshot.id).await?;
            return Err(ImportError::Refused { faults, count });
        }
        Err(err) => {
            discard(db, snapshot.id, SnapshotState::Failed).await?;
            return Err(err);
        }
    };
    match accept(db, actor, snapshot, &checked).await {
        Ok(accepted) => Ok(accepted),
        Err(err) => {
            discard(db, snapshot.id, SnapshotState::Failed).await?;
            Err(err.into())
        }
    }
}

/// A loading snapshot whose import was stopped before it ended: dropped,
/// it marks the snapshot failed and lets its rows go, in the background,
/// unless it is no longer loading.
struct Unfinished {
    db: DatabaseConnection,
    snapshot_id: i64,
    ended: bool,
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let (db, id) = (self.db.clone(), self.snapshot_id);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            if let Err(err) = give_up(&db, id).await {
                tracing::warn!(error = ?err, snapshot = id, "an interrupted import's rows stay until the next import of its kind");
            }
        });
    }
}

/// Marks a snapshot still loading failed and lets its rows go.
async fn give_up(db: &DatabaseConnection, snapshot_id: i64) -> ApiResult<()> {
    let given_up = registry_snapshot::Entity::update_many()
        .col_expr(
            registry_snapshot::Column::State,
            sea_orm::sea_query::Expr::val(SnapshotState::Failed),
        )
        .filter(registry_snapshot::Column::Id.eq(snapshot_id))
        .filter(registry_snapshot::Column::State.eq(SnapshotState::Loading))
        .exec(db)
        .await?;
    if given_up.rows_affected == 1 {
        delete_entries(db, snapshot_id).await?;
    }
    Ok(())
}

/// Reads the file and stores its rows under `snapshot_id` as they come;
/// what was read, or why it is refused.
async fn store(
    db: &DatabaseConnection,
    kind: RegistryKind,
    source: Box<dyn Read + Send>,
    key: &MatchKey,
    progress: Progress,
    snapshot_id: i64,
) -> Result<Checked, ImportError> {
    let writer = BulkWriter::new(db, BATCH).await?;
    let (sender, mut batches) = mpsc::channel(4);
    let reader = {
        let key = key.clone();
        tokio::task::spawn_blocking(move || read(kind, source, &key, progress, sender))
    };
    let mut failure = None;
    while let Some(mut batch) = batches.recv().await {
        for entry in &mut batch {
            entry.snapshot_id = Set(snapshot_id);
        }
        if let Err(err) = insert(db, &writer, batch).await {
            failure = Some(err);
            break;
        }
    }
    // After a failed insert the reader stops at its next batch (after a bad
    // row it sends none, and reads on only to count the faults).
    drop(batches);
    let read = reader.await.map_err(|err| ApiError::Internal(err.into()))?;
    match failure {
        Some(err) => Err(err.into()),
        None => read,
    }
}

/// Stores one batch of entries in a transaction of its own.
async fn insert(
    db: &DatabaseConnection,
    writer: &BulkWriter,
    batch: Vec<registry_entry::ActiveModel>,
) -> ApiResult<()> {
    let txn = crate::db::begin_write(db).await?;
    writer.insert(&txn, batch).await?;
    txn.commit().await?;
    Ok(())
}

/// Makes `snapshot` its kind's current one, in one transaction with its
/// audit row; then lets the previous one's rows go.
async fn accept(
    db: &DatabaseConnection,
    actor: &Actor,
    snapshot: &registry_snapshot::Model,
    checked: &Checked,
) -> ApiResult<registry_snapshot::Model> {
    let txn = crate::db::begin_write(db).await?;
    // One acceptance of a kind at a time, on every replica: a kind has one
    // current snapshot.
    crate::db::serialise(&txn, &format!("registry:{}", super::name(snapshot.kind))).await?;
    let previous = registry_snapshot::Entity::find()
        .filter(registry_snapshot::Column::Kind.eq(snapshot.kind))
        .filter(registry_snapshot::Column::State.eq(SnapshotState::Current))
        .all(&txn)
        .await?;
    registry_snapshot::Entity::update_many()
        .col_expr(
            registry_snapshot::Column::State,
            sea_orm::sea_query::Expr::val(SnapshotState::Superseded),
        )
        .filter(registry_snapshot::Column::Kind.eq(snapshot.kind))
        .filter(registry_snapshot::Column::State.eq(SnapshotState::Current))
        .exec(&txn)
        .await?;
    // Only while still loading: an import given up as interrupted meanwhile
    // has lost its rows and must not become current.
    let now = Utc::now();
    let accepted = registry_snapshot::Entity::update_many()
        .col_expr(
            registry_snapshot::Column::State,
            sea_orm::sea_query::Expr::val(SnapshotState::Current),
        )
        .col_expr(
            registry_snapshot::Column::AcceptedAt,
            sea_orm::sea_query::Expr::val(now),
        )
        .col_expr(
            registry_snapshot::Column::Rows,
            sea_orm::sea_query::Expr::val(checked.rows as i64),
        )
        .col_expr(
            registry_snapshot::Column::Sha256,
            sea_orm::sea_query::Expr::val(checked.sha256.clone()),
        )
        .filter(registry_snapshot::Column::Id.eq(snapshot.id))
        .filter(registry_snapshot::Column::State.eq(SnapshotState::Loading))
        .exec(&txn)
        .await?;
    if accepted.rows_affected != 1 {
        return Err(ApiError::conflict(
            "this import was given up as interrupted while it ran; import the file again",
        ));
    }
    let accepted = registry_snapshot::Model {
        state: SnapshotState::Current,
        accepted_at: Some(now),
        rows: checked.rows as i64,
        sha256: checked.sha256.clone(),
        ..snapshot.clone()
    };
    audit::record(
        &txn,
        actor,
        Entry {
            action: "registry.import",
            object_kind: "registry_snapshot",
            object_id: Some(snapshot.id.to_string()),
            area_code: None,
            detail: json!({
                "kind": super::name(snapshot.kind),
                "rows": checked.rows,
                "sha256": checked.sha256,
                "replaces": previous.iter().map(|p| p.id).collect::<Vec<_>>(),
            }),
        },
    )
    .await?;
    txn.commit().await?;
    // The import succeeded: rows the previous snapshots leave behind if this
    // fails go at the next import.
    if let Err(err) = let_go_of_leftovers(db).await {
        tracing::warn!(error = ?err, "superseded registry rows stay until the next import");
    }
    // Fresh statistics for the planner: without them SQLite drove a
    // comparison from the whole snapshot instead of a street's residents
    // (2.2 s a street instead of 0.07 s on the full city).
    if let Err(err) = db.execute_unprepared("ANALYZE registry_entries").await {
        tracing::warn!(error = ?err, "the registry's statistics stay as they were");
    }
    Ok(accepted)
}

async fn delete_entries(db: &DatabaseConnection, snapshot_id: i64) -> ApiResult<()> {
    registry_entry::Entity::delete_many()
        .filter(registry_entry::Column::SnapshotId.eq(snapshot_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Lets go of the rows of every snapshot that will never be current again.
async fn let_go_of_leftovers(db: &DatabaseConnection) -> ApiResult<()> {
    let gone = Query::select()
        .column(registry_snapshot::Column::Id)
        .from(registry_snapshot::Entity)
        .and_where(
            registry_snapshot::Column::State
                .is_in([SnapshotState::Superseded, SnapshotState::Failed]),
        )
        .to_owned();
    registry_entry::Entity::delete_many()
        .filter(registry_entry::Column::SnapshotId.in_subquery(gone))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes a refused file's snapshot and its rows: it leaves nothing.
async fn forget(db: &DatabaseConnection, snapshot_id: i64) -> ApiResult<()> {
    delete_entries(db, snapshot_id).await?;
    registry_snapshot::Entity::delete_by_id(snapshot_id)
        .exec(db)
        .await?;
    Ok(())
}

/// Marks a snapshot that will never be current and lets its rows go.
async fn discard(db: &DatabaseConnection, snapshot_id: i64, state: SnapshotState) -> ApiResult<()> {
    registry_snapshot::ActiveModel {
        id: Set(snapshot_id),
        state: Set(state),
        ..Default::default()
    }
    .update(db)
    .await?;
    delete_entries(db, snapshot_id).await
}

/// Imports of `kind` left loading by a process that stopped are failed,
/// and their rows let go.
async fn abandon_stale(db: &DatabaseConnection, kind: RegistryKind) -> ApiResult<()> {
    let stale = registry_snapshot::Entity::find()
        .filter(registry_snapshot::Column::Kind.eq(kind))
        .filter(registry_snapshot::Column::State.eq(SnapshotState::Loading))
        .filter(
            registry_snapshot::Column::StartedAt
                .lt(Utc::now() - Duration::hours(ABANDONED_AFTER_HOURS)),
        )
        .all(db)
        .await?;
    for snapshot in stale {
        discard(db, snapshot.id, SnapshotState::Failed).await?;
    }
    Ok(())
}
