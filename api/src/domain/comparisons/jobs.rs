//! Comparison jobs: one comparison of an area's record with a registry's
//! current snapshot, run in the background chunk by chunk (a street, or
//! the area itself when smaller). Each chunk is one transaction that runs
//! every rule of the registry as set statements and moves the job's
//! position on, so a job interrupted by a restart resumes after its last
//! chunk and never counts a chunk twice.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use entities::comparison_job::{self, JobState};
use entities::finding;
use entities::finding_step::{self, FindingAction};
use entities::registry_snapshot::{self, RegistryKind, SnapshotState};
use entities::{area, organisation, resident};
use policies::{Action, AreaCode};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, TransactionTrait,
};
use serde_json::json;

use super::findings::WORKING;
use super::rules::{self, Frame, Rule, Subject};
use crate::audit::{self, Actor, Entry};
use crate::domain::access::Access;
use crate::domain::registries;
use crate::domain::within::within;
use crate::error::{ApiError, ApiResult};

/// A running job whose runner has been silent this long was interrupted.
const SILENT_AFTER_SECS: i64 = 120;

/// Findings of one registry are numbered in its own series (every
/// `SERIES`-th number, offset by the registry's place in `KINDS`), so that
/// the numbers a reader sees leave no gaps where findings kept from them
/// (a wanted person's) were opened.
const SERIES: i64 = 8;

/// The states a finding is still worked in, as an SQL list.
fn working_list() -> String {
    let states: Vec<String> = WORKING
        .iter()
        .map(|state| format!("'{}'", state.to_value()))
        .collect();
    format!("({})", states.join(", "))
}

/// The offset of `registry`'s series of finding numbers.
fn series_of(registry: RegistryKind) -> i64 {
    registries::KINDS
        .iter()
        .position(|kind| *kind == registry)
        .map_or(0, |at| at as i64 + 1)
}

/// An urgent finding a chunk opened: its id and grid, for live delivery.
#[derive(Debug, Clone)]
pub struct Raised {
    pub finding_id: i64,
    pub grid_code: String,
    pub registry: RegistryKind,
}

/// Told after each chunk: the job as it stands and the urgent findings
/// the chunk opened.
pub type OnChunk = Box<dyn FnMut(&comparison_job::Model, Vec<Raised>) + Send>;

/// Starts a comparison of `area` (the city when `None`) with `kind`'s
/// current snapshot, for a caller who may `check` that registry there.
/// The job is stored running; [`run`] does the work.
pub async fn start_as(
    access: &Access,
    kind: RegistryKind,
    area: Option<&AreaCode>,
) -> ApiResult<comparison_job::Model> {
    let object = registries::object(kind);
    match area {
        Some(area) if access.may_in(area.as_str(), object, Action::Check) => {}
        Some(_) => return Err(ApiError::forbidden(object, Action::Check)),
        None => access.require_city(object, Action::Check)?,
    }
    start(access.db(), &access.actor()?, kind, area).await
}

/// The current snapshot of `kind`, if one was imported.
async fn current<C: ConnectionTrait>(
    db: &C,
    kind: RegistryKind,
) -> ApiResult<Option<registry_snapshot::Model>> {
    Ok(registry_snapshot::Entity::find()
        .filter(registry_snapshot::Column::Kind.eq(kind))
        .filter(registry_snapshot::Column::State.eq(SnapshotState::Current))
        .one(db)
        .await?)
}

async fn require_current<C: ConnectionTrait>(
    db: &C,
    kind: RegistryKind,
) -> ApiResult<registry_snapshot::Model> {
    current(db, kind).await?.ok_or_else(|| {
        ApiError::InvalidState(format!(
            "no {} snapshot is current: import one first",
            registries::name(kind)
        ))
    })
}

/// How many subjects lie inside `area` (the city when `None`).
async fn subjects_in<C: ConnectionTrait>(
    db: &C,
    subject: Subject,
    area: Option<&AreaCode>,
) -> ApiResult<i64> {
    let count = match subject {
        Subject::Resident => {
            count_in::<resident::Entity, _>(db, resident::Column::GridCode, area).await?
        }
        Subject::Organisation => {
            count_in::<organisation::Entity, _>(db, organisation::Column::GridCode, area).await?
        }
    };
    Ok(i64::try_from(count).unwrap_or(i64::MAX))
}

/// How many rows of `E` have their `grid` inside `area`.
async fn count_in<E: EntityTrait, C: ConnectionTrait>(
    db: &C,
    grid: E::Column,
    area: Option<&AreaCode>,
) -> ApiResult<u64>
where
    E::Model: Sync,
{
    let mut query = E::find();
    if let Some(area) = area {
        query = query.filter(within(grid, area));
    }
    Ok(query.count(db).await?)
}

/// Stores a new running job, refusing while another comparison with the
/// same registry runs (on any replica).
pub async fn start(
    db: &DatabaseConnection,
    actor: &Actor,
    kind: RegistryKind,
    area: Option<&AreaCode>,
) -> ApiResult<comparison_job::Model> {
    let txn = crate::db::begin_write(db).await?;
    crate::db::serialise(&txn, &format!("comparison:{}", registries::name(kind))).await?;
    let snapshot = require_current(&txn, kind).await?;
    if let Some(also) = rules::also_needs(kind) {
        require_current(&txn, also).await?;
    }
    let running = comparison_job::Entity::find()
        .filter(comparison_job::Column::Kind.eq(kind))
        .filter(comparison_job::Column::State.eq(JobState::Running))
        .one(&txn)
        .await?;
    if let Some(running) = running {
        return Err(ApiError::InvalidState(format!(
            "comparison {} with {} is still running; wait for it to finish",
            running.id,
            registries::name(kind)
        )));
    }
    let total = subjects_in(&txn, rules::subject_of(kind), area).await?;
    let now = Utc::now();
    let job = comparison_job::ActiveModel {
        id: NotSet,
        kind: Set(kind),
        area_code: Set(area.map(|area| area.as_str().to_owned())),
        state: Set(JobState::Running),
        snapshot_id: Set(snapshot.id),
        total: Set(total),
        compared: Set(0),
        position: Set(None),
        counts: Set(json!({})),
        started_by_user_id: Set(actor.user_id),
        started_by_token_id: Set(actor.token_id),
        started_by_name: Set(actor.name.chars().take(64).collect()),
        started_at: Set(now),
        heartbeat_at: Set(now),
        finished_at: Set(None),
        error: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        Entry {
            action: "comparison.start",
            object_kind: "comparison_job",
            object_id: Some(job.id.to_string()),
            area_code: job.area_code.clone(),
            detail: json!({"kind": registries::name(kind), "snapshot": snapshot.id,
                "total": total}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(job)
}

/// The chunks of `area` in code order: its streets when it is the city or
/// a district, otherwise the area itself.
async fn chunks(db: &DatabaseConnection, area: Option<&AreaCode>) -> ApiResult<Vec<AreaCode>> {
    if area.is_some_and(|area| area.as_str().len() > 6) {
        return Ok(area.into_iter().cloned().collect());
    }
    let mut query = area::Entity::find()
        .select_only()
        .column(area::Column::Code)
        .filter(area::Column::Level.eq(area::AreaLevel::Street))
        .order_by_asc(area::Column::Code);
    if let Some(area) = area {
        query = query.filter(within(area::Column::Code, area));
    }
    let codes: Vec<String> = query.into_tuple().all(db).await?;
    codes
        .iter()
        .map(|code| {
            AreaCode::parse(code)
                .map_err(|err| ApiError::Internal(anyhow::anyhow!("stored area {code}: {err}")))
        })
        .collect()
}

fn statement(backend: DbBackend, sql: &str, now: chrono::DateTime<Utc>) -> Statement {
    let placeholder = if backend == DbBackend::Postgres {
        "$1"
    } else {
        "?1"
    };
    Statement::from_sql_and_values(backend, sql.replace("{now}", placeholder), [now.into()])
}

/// Runs every statement of `rule` for one chunk, inside its transaction.
async fn compare_chunk(
    txn: &DatabaseTransaction,
    job: &comparison_job::Model,
    rule: &Rule,
    frame: &Frame,
) -> ApiResult<()> {
    let backend = txn.get_database_backend();
    let now = Utc::now();
    let candidates = rule.candidates(frame);
    let kind = rule.kind.to_value();
    let registry = rule.registry.to_value();
    let subject = rule.subject.column();
    let job_id = job.id;
    let snapshot = frame.snapshot;
    let inside = frame.inside("findings");
    let inside_f = frame.inside("f");
    let urgent = if rule.urgent { "TRUE" } else { "FALSE" };
    let working = working_list();
    let series = series_of(rule.registry);
    let role = rule.assignee;
    let statements = [
        // Still holding: seen by this job. Its evidence stays the snapshot's
        // that opened it (`snapshot_id` names that one).
        format!(
            "UPDATE findings SET seen_job_id = {job_id} \
             WHERE kind = '{kind}' AND state IN {working} AND {inside} \
             AND ({subject}, grid_code) IN (SELECT c.subject_id, c.grid_code FROM ({candidates}) c)"
        ),
        // New: opened, unless worked on or dismissed already in that grid.
        format!(
            "INSERT INTO findings (id, kind, registry, state, urgent, grid_code, {subject}, \
             assignee_role, snapshot_id, opened_job_id, seen_job_id, fields, registry_name, \
             registry_sex, registry_birth_date, registry_address, from_date, to_date, version, \
             opened_at, updated_at) \
             SELECT (SELECT COALESCE(MAX(s.id), {series}) FROM findings s \
                 WHERE s.registry = '{registry}') \
                 + {SERIES} * ROW_NUMBER() OVER (ORDER BY c.grid_code, c.subject_id), \
             '{kind}', '{registry}', 'open', {urgent}, c.grid_code, c.subject_id, \
             '{role}', {snapshot}, {job_id}, {job_id}, c.fields, c.registry_name, \
             c.registry_sex, c.registry_birth_date, c.registry_address, c.from_date, c.to_date, \
             1, {{now}}, {{now}} FROM ({candidates}) c \
             WHERE NOT EXISTS (SELECT 1 FROM findings f WHERE f.kind = '{kind}' \
                 AND f.{subject} = c.subject_id AND f.grid_code = c.grid_code \
                 AND f.state <> 'resolved')"
        ),
        format!(
            "INSERT INTO finding_steps (finding_id, grid_code, action, from_state, to_state, \
             note, job_id, actor_user_id, actor_token_id, actor_name, at) \
             SELECT f.id, f.grid_code, 'opened', NULL, 'open', NULL, {job_id}, NULL, NULL, \
             'comparison', {{now}} FROM findings f \
             WHERE f.opened_job_id = {job_id} AND f.kind = '{kind}' AND {inside_f}"
        ),
        // No longer holding: cleared, with a step saying so.
        format!(
            "INSERT INTO finding_steps (finding_id, grid_code, action, from_state, to_state, \
             note, job_id, actor_user_id, actor_token_id, actor_name, at) \
             SELECT f.id, f.grid_code, 'cleared', f.state, 'resolved', NULL, {job_id}, NULL, \
             NULL, 'comparison', {{now}} FROM findings f \
             WHERE f.kind = '{kind}' AND f.state IN {working} AND {inside_f} \
             AND f.seen_job_id <> {job_id}"
        ),
        format!(
            "UPDATE findings SET state = 'resolved', closed_at = {{now}}, updated_at = {{now}}, \
             version = version + 1 \
             WHERE kind = '{kind}' AND state IN {working} AND {inside} \
             AND seen_job_id <> {job_id}"
        ),
    ];
    for sql in &statements {
        txn.execute_raw(statement(backend, sql, now)).await?;
    }
    Ok(())
}

/// Runs chunk `area` of `job` in one transaction; `None` when the job
/// was taken over or ended meanwhile.
async fn run_chunk(
    db: &DatabaseConnection,
    job: &comparison_job::Model,
    chunk: &AreaCode,
) -> ApiResult<Option<comparison_job::Model>> {
    let txn = crate::db::begin_write(db).await?;
    // An import of the same registry waits for the chunk: the rows compared
    // stay the snapshot's until it commits.
    let also = rules::also_needs(job.kind);
    for kind in std::iter::once(job.kind).chain(also) {
        crate::db::serialise(&txn, &format!("registry:{}", registries::name(kind))).await?;
    }
    let snapshot = registry_snapshot::Entity::find_by_id(job.snapshot_id)
        .one(&txn)
        .await?;
    if snapshot.is_none_or(|s| s.state != SnapshotState::Current) {
        return Err(ApiError::InvalidState(
            "the snapshot compared was replaced by a newer import; start the comparison again"
                .into(),
        ));
    }
    let also_snapshot = match also {
        Some(kind) => require_current(&txn, kind).await?.id,
        None => 0,
    };
    let range = chunk.range();
    let frame = Frame {
        snapshot: job.snapshot_id,
        also: also_snapshot,
        start: range.start,
        end: range.end,
        today: crate::domain::calendar::today(),
    };
    for rule in rules::of(job.kind) {
        compare_chunk(&txn, job, rule, &frame).await?;
    }
    let compared =
        job.compared + subjects_in(&txn, rules::subject_of(job.kind), Some(chunk)).await?;
    let mut advance = comparison_job::Entity::update_many()
        .col_expr(comparison_job::Column::Compared, Expr::val(compared))
        .col_expr(
            comparison_job::Column::Position,
            Expr::val(chunk.as_str().to_owned()),
        )
        .col_expr(comparison_job::Column::HeartbeatAt, Expr::val(Utc::now()))
        .filter(comparison_job::Column::Id.eq(job.id))
        .filter(comparison_job::Column::State.eq(JobState::Running));
    advance = match &job.position {
        Some(position) => advance.filter(comparison_job::Column::Position.eq(position.clone())),
        None => advance.filter(comparison_job::Column::Position.is_null()),
    };
    if advance.exec(&txn).await?.rows_affected != 1 {
        return Ok(None);
    }
    txn.commit().await?;
    Ok(Some(comparison_job::Model {
        compared,
        position: Some(chunk.as_str().to_owned()),
        ..job.clone()
    }))
}

/// The urgent findings `job` opened in `chunk`.
async fn raised_in(
    db: &DatabaseConnection,
    job: &comparison_job::Model,
    chunk: &AreaCode,
) -> ApiResult<Vec<Raised>> {
    let rows: Vec<(i64, String)> = finding::Entity::find()
        .select_only()
        .column(finding::Column::Id)
        .column(finding::Column::GridCode)
        .filter(finding::Column::OpenedJobId.eq(job.id))
        .filter(finding::Column::Urgent.eq(true))
        .filter(within(finding::Column::GridCode, chunk))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(finding_id, grid_code)| Raised {
            finding_id,
            grid_code,
            registry: job.kind,
        })
        .collect())
}

/// Runs job `id` from where it stands to the end, telling `on_chunk`
/// after each chunk. A failure marks the job failed with the reason.
pub async fn run(
    db: &DatabaseConnection,
    seal: &crate::audit::Seal,
    id: i64,
    mut on_chunk: OnChunk,
) -> ApiResult<comparison_job::Model> {
    let job = comparison_job::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::not_found("comparison", "id"))?;
    let mut last = job;
    let outcome = run_chunks(db, &mut last, &mut on_chunk).await;
    let (state, error) = match &outcome {
        Ok(true) => (JobState::Finished, None),
        // Taken over by another runner: it finishes the job.
        Ok(false) => return reload(db, id).await,
        Err(ApiError::InvalidState(message)) => (JobState::Failed, Some(message.clone())),
        Err(err) => {
            tracing::error!(job = id, error = ?err, "a comparison failed");
            (JobState::Failed, Some(err.message()))
        }
    };
    finish(db, seal, &last, state, error).await?;
    let job = reload(db, id).await?;
    on_chunk(&job, Vec::new());
    Ok(job)
}

async fn reload(db: &DatabaseConnection, id: i64) -> ApiResult<comparison_job::Model> {
    comparison_job::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::not_found("comparison", "id"))
}

/// Runs the chunks `job` has left, keeping `job` as its last committed
/// chunk left it; `false` when another runner took it over.
async fn run_chunks(
    db: &DatabaseConnection,
    job: &mut comparison_job::Model,
    on_chunk: &mut OnChunk,
) -> ApiResult<bool> {
    let all = chunks(db, stored_area(job)?.as_ref()).await?;
    let done = job.position.clone();
    let left = all
        .iter()
        .filter(|chunk| done.as_deref().is_none_or(|done| chunk.as_str() > done));
    for chunk in left {
        let Some(moved) = run_chunk(db, job, chunk).await? else {
            return Ok(false);
        };
        *job = moved;
        let raised = raised_in(db, job, chunk).await?;
        on_chunk(job, raised);
    }
    Ok(true)
}

/// The area a job compares (`None`: the city).
fn stored_area(job: &comparison_job::Model) -> ApiResult<Option<AreaCode>> {
    job.area_code
        .as_deref()
        .map(AreaCode::parse)
        .transpose()
        .map_err(|err| ApiError::Internal(anyhow::anyhow!("stored area: {err}")))
}

/// How many findings of each kind stand in the job's area, and how many
/// the job opened and cleared.
async fn counts(
    db: &DatabaseConnection,
    job: &comparison_job::Model,
) -> ApiResult<serde_json::Value> {
    let mut standing = finding::Entity::find()
        .select_only()
        .column(finding::Column::Kind)
        .column_as(Expr::col(finding::Column::Id).count(), "n")
        .filter(finding::Column::Registry.eq(job.kind))
        .filter(finding::Column::State.is_in(WORKING))
        .group_by(finding::Column::Kind);
    if let Some(area) = stored_area(job)? {
        standing = standing.filter(within(finding::Column::GridCode, &area));
    }
    let standing: Vec<(finding::FindingKind, i64)> = standing.into_tuple().all(db).await?;
    let opened: Vec<(finding::FindingKind, i64)> = finding::Entity::find()
        .select_only()
        .column(finding::Column::Kind)
        .column_as(Expr::col(finding::Column::Id).count(), "n")
        .filter(finding::Column::OpenedJobId.eq(job.id))
        .group_by(finding::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    let cleared: Vec<(finding::FindingKind, i64)> = finding_step::Entity::find()
        .select_only()
        .column(finding::Column::Kind)
        .column_as(
            Expr::col((finding_step::Entity, finding_step::Column::Id)).count(),
            "n",
        )
        .inner_join(finding::Entity)
        .filter(finding_step::Column::JobId.eq(job.id))
        .filter(finding_step::Column::Action.eq(FindingAction::Cleared))
        .group_by(finding::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    let mut by_kind: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for rule in rules::of(job.kind) {
        let of = |rows: &[(finding::FindingKind, i64)]| {
            rows.iter()
                .find(|(kind, _)| *kind == rule.kind)
                .map_or(0, |(_, n)| *n)
        };
        by_kind.insert(
            rule.kind.to_value(),
            json!({"standing": of(&standing), "opened": of(&opened), "cleared": of(&cleared)}),
        );
    }
    Ok(json!(by_kind))
}

/// Ends the job with its counts and an audit row, unless another runner
/// took it over since `job` (its last committed chunk). The audit row
/// names no count: the log's readers are not all allowed to know what was
/// found.
async fn finish(
    db: &DatabaseConnection,
    seal: &crate::audit::Seal,
    job: &comparison_job::Model,
    state: JobState,
    error: Option<String>,
) -> ApiResult<()> {
    let counts = counts(db, job).await?;
    let txn = db.begin().await?;
    let now = Utc::now();
    let mut end = comparison_job::Entity::update_many()
        .col_expr(comparison_job::Column::State, Expr::val(state.to_value()))
        .col_expr(comparison_job::Column::Counts, Expr::val(counts))
        .col_expr(comparison_job::Column::FinishedAt, Expr::val(now))
        .col_expr(comparison_job::Column::HeartbeatAt, Expr::val(now))
        .col_expr(comparison_job::Column::Error, Expr::val(error.clone()))
        .filter(comparison_job::Column::Id.eq(job.id))
        .filter(comparison_job::Column::State.eq(JobState::Running));
    end = match &job.position {
        Some(position) => end.filter(comparison_job::Column::Position.eq(position.clone())),
        None => end.filter(comparison_job::Column::Position.is_null()),
    };
    if end.exec(&txn).await?.rows_affected != 1 {
        return Ok(());
    }
    audit::record(
        &txn,
        &Actor::system("comparison", seal),
        Entry {
            action: "comparison.finish",
            object_kind: "comparison_job",
            object_id: Some(job.id.to_string()),
            area_code: job.area_code.clone(),
            detail: json!({"kind": registries::name(job.kind),
                "state": state.to_value(), "error": error}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Claims one running job whose runner has gone silent, for this process
/// to resume; `None` when there is none.
pub async fn claim_interrupted(db: &DatabaseConnection) -> ApiResult<Option<i64>> {
    let silent = Utc::now() - Duration::seconds(SILENT_AFTER_SECS);
    let candidates: Vec<i64> = comparison_job::Entity::find()
        .select_only()
        .column(comparison_job::Column::Id)
        .filter(comparison_job::Column::State.eq(JobState::Running))
        .filter(comparison_job::Column::HeartbeatAt.lt(silent))
        .order_by_asc(comparison_job::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    for id in candidates {
        let claimed = comparison_job::Entity::update_many()
            .col_expr(comparison_job::Column::HeartbeatAt, Expr::val(Utc::now()))
            .filter(comparison_job::Column::Id.eq(id))
            .filter(comparison_job::Column::State.eq(JobState::Running))
            .filter(comparison_job::Column::HeartbeatAt.lt(silent))
            .exec(db)
            .await?;
        if claimed.rows_affected == 1 {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// The `limit` most recent jobs, newest first (the command line's list:
/// it reads the database, so it shows every count).
pub async fn recent(db: &DatabaseConnection, limit: u64) -> ApiResult<Vec<comparison_job::Model>> {
    Ok(comparison_job::Entity::find()
        .order_by_desc(comparison_job::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// A job in a few lines: what, where, how far, who, when, and what it
/// found by kind.
pub fn describe(job: &comparison_job::Model) -> String {
    let mut lines = vec![format!(
        "comparison {} with {} of {}: {}, {} of {} compared, started by {} at {}{}{}",
        job.id,
        registries::name(job.kind),
        job.area_code.as_deref().unwrap_or("the city"),
        job.state.to_value(),
        job.compared,
        job.total,
        job.started_by_name,
        job.started_at.to_rfc3339(),
        job.finished_at
            .map(|at| format!(", ended {}", at.to_rfc3339()))
            .unwrap_or_default(),
        job.error
            .as_deref()
            .map(|error| format!(" ({error})"))
            .unwrap_or_default(),
    )];
    for rule in rules::of(job.kind) {
        let count = &job.counts[rule.kind.to_value()];
        if count.is_object() {
            lines.push(format!(
                "  {:<20} standing {:>6}  opened {:>6}  cleared {:>6}",
                rule.kind.to_value(),
                count["standing"].as_i64().unwrap_or(0),
                count["opened"].as_i64().unwrap_or(0),
                count["cleared"].as_i64().unwrap_or(0)
            ));
        }
    }
    lines.join("\n")
}
