//! Rounds of visits (`VISITS` tasks): a task names the residents,
//! households, dwellings or organisations it is about; each one's grid gets
//! an assignment whose number to reach is how many of them are there; the
//! first visit recorded to one of them in its grid after the task was sent
//! marks it visited and counts as progress, in the visit's transaction.

use std::collections::BTreeMap;

use chrono::Utc;
use entities::task_assignment::{self, AssignmentState};
use entities::visit::{self, VisitSubject};
use entities::{grid, task, task_subject};
use policies::{Action, Object};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};

use super::TaskViewer;
use crate::domain::access::Access;
use crate::domain::page::{Listing, PageRequest};
use crate::domain::scoped::{Order, keyset};
use crate::domain::subjects::{self, Subject};
use crate::domain::within::in_scope;
use crate::domain::writes::Writer;
use crate::error::{ApiError, ApiResult};

pub const SUBJECT_CURSOR: &str = "task.subject";

/// The most subjects one round may name.
pub const MAX_SUBJECTS: usize = 2_000;

/// The subjects of a round grouped by grid, with the grid's worker: one
/// assignment each.
pub struct Round {
    pub by_grid: BTreeMap<String, (Option<i64>, Vec<Subject>)>,
}

/// Finds each subject's grid, where the sender may see it and send tasks.
/// A subject out of sight is `NOT_FOUND`, as if it did not exist.
pub async fn plan(
    access: &Access,
    w: &Writer<'_>,
    txn: &DatabaseTransaction,
    named: &[Subject],
) -> ApiResult<Round> {
    let field = "targets.subjects";
    if named.len() > MAX_SUBJECTS {
        return Err(ApiError::bad_input(
            field,
            format!("at most {MAX_SUBJECTS} per task"),
        ));
    }
    let grids = subjects::grids_of(access, txn, named).await?;
    let mut by_grid: BTreeMap<String, (Option<i64>, Vec<Subject>)> = BTreeMap::new();
    for subject in named {
        let grid = grids
            .get(subject)
            .ok_or_else(|| ApiError::missing(field, "nothing of yours by one of these IDs"))?;
        let subjects = &mut by_grid.entry(grid.clone()).or_default().1;
        if subjects.contains(subject) {
            return Err(ApiError::bad_input(field, "a subject is named twice"));
        }
        subjects.push(*subject);
    }
    for code in by_grid.keys() {
        w.require(code, Object::Task, Action::Send)?;
    }
    let workers = grid::Entity::find()
        .filter(grid::Column::Code.is_in(by_grid.keys().cloned()))
        .all(txn)
        .await?;
    for row in workers {
        if let Some(entry) = by_grid.get_mut(&row.code) {
            entry.0 = row.worker_id;
        }
    }
    Ok(Round { by_grid })
}

/// Writes the round's subjects against the assignments just made for their
/// grids.
pub async fn name_subjects(
    txn: &DatabaseTransaction,
    task_id: i64,
    round: &Round,
    assignments: &[task_assignment::Model],
) -> ApiResult<()> {
    let mut rows = Vec::new();
    for assignment in assignments {
        let Some((_, subjects)) = round.by_grid.get(&assignment.area_code) else {
            continue;
        };
        rows.extend(subjects.iter().map(|(kind, id)| task_subject::ActiveModel {
            id: NotSet,
            task_id: Set(task_id),
            assignment_id: Set(assignment.id),
            subject_kind: Set(*kind),
            subject_id: Set(*id),
            grid_code: Set(assignment.area_code.clone()),
            visit_id: Set(None),
            visited_at: Set(None),
        }));
    }
    for chunk in rows.chunks(500) {
        task_subject::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Counts `visit` towards every open round naming its subject in its grid,
/// sent before the visit was made; answers the assignments it moved. The
/// number reached goes up in place, so concurrent visits in one grid each
/// count once.
pub async fn count_visit(txn: &DatabaseTransaction, visit: &visit::Model) -> ApiResult<Vec<i64>> {
    let live_tasks = Query::select()
        .column(task::Column::Id)
        .from(task::Entity)
        .and_where(task::Column::Cancelled.eq(false))
        .and_where(task::Column::CreatedAt.lte(visit.visited_at))
        .to_owned();
    let open = task_subject::Entity::find()
        .filter(task_subject::Column::SubjectKind.eq(visit.subject_kind))
        .filter(task_subject::Column::SubjectId.eq(visit.subject_id))
        .filter(task_subject::Column::GridCode.eq(visit.grid_code.as_str()))
        .filter(task_subject::Column::VisitId.is_null())
        .filter(Expr::col(task_subject::Column::TaskId).in_subquery(live_tasks))
        // One order of locking assignments for every visit, so that two
        // visits counting towards the same rounds never wait on each other.
        .order_by_asc(task_subject::Column::AssignmentId)
        .all(txn)
        .await?;
    let now = Utc::now();
    let mut moved = Vec::new();
    for named in open {
        let marked = task_subject::Entity::update_many()
            .col_expr(task_subject::Column::VisitId, Expr::value(visit.id))
            .col_expr(
                task_subject::Column::VisitedAt,
                Expr::value(visit.visited_at),
            )
            .filter(task_subject::Column::Id.eq(named.id))
            .filter(task_subject::Column::VisitId.is_null())
            .exec(txn)
            .await?;
        if marked.rows_affected == 0 {
            continue;
        }
        task_assignment::Entity::update_many()
            .col_expr(
                task_assignment::Column::Progress,
                Expr::col(task_assignment::Column::Progress).add(1),
            )
            .col_expr(
                task_assignment::Column::Version,
                Expr::col(task_assignment::Column::Version).add(1),
            )
            .col_expr(task_assignment::Column::UpdatedAt, Expr::value(now))
            .filter(task_assignment::Column::Id.eq(named.assignment_id))
            .exec(txn)
            .await?;
        let Some(assignment) = task_assignment::Entity::find_by_id(named.assignment_id)
            .one(txn)
            .await?
        else {
            continue;
        };
        let mut changes = task_assignment::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(assignment.id),
            ..Default::default()
        };
        if assignment.acknowledged_at.is_none() {
            changes.acknowledged_at = Set(Some(now));
        }
        if assignment
            .target
            .is_some_and(|target| assignment.progress >= target)
        {
            if assignment.state != AssignmentState::Completed {
                changes.state = Set(AssignmentState::Completed);
                changes.completed_at = Set(Some(now));
            }
        } else if assignment.state != AssignmentState::Completed {
            changes.state = Set(AssignmentState::InProgress);
        }
        changes.update(txn).await?;
        moved.push(assignment.id);
    }
    Ok(moved)
}

/// Which of a round's subjects to list.
#[derive(Debug, Clone, Default)]
pub struct SubjectFilter {
    /// Visited (true) or still to visit (false); all when absent.
    pub visited: Option<bool>,
}

/// The subjects of task `task_id` in the assignments the caller sees, grid
/// by grid; each only where the caller may read its kind (a resident also
/// their care flags, which a round's list may tell) and visits, in the
/// grid the round named it in.
pub async fn subjects(
    access: &Access,
    task_id: i64,
    filter: &SubjectFilter,
    request: &PageRequest,
) -> ApiResult<Listing<task_subject::Model>> {
    let viewer = TaskViewer::of(access).await?;
    let seen = Query::select()
        .column(task_assignment::Column::Id)
        .from(task_assignment::Entity)
        .cond_where(
            Condition::all()
                .add(task_assignment::Column::TaskId.eq(task_id))
                .add(viewer.assignments()),
        )
        .to_owned();
    let mut readable = Condition::any();
    for kind in subjects::KINDS {
        let mut of_kind = Condition::all()
            .add(task_subject::Column::SubjectKind.eq(kind))
            .add(in_scope(
                task_subject::Column::GridCode,
                &access.scope(subjects::object(kind), Action::Read),
            ));
        if kind == VisitSubject::Resident {
            of_kind = of_kind.add(in_scope(
                task_subject::Column::GridCode,
                &access.residents().care_flags,
            ));
        }
        readable = readable.add(of_kind);
    }
    let mut condition = Condition::all()
        .add(task_subject::Column::TaskId.eq(task_id))
        .add(Expr::col(task_subject::Column::AssignmentId).in_subquery(seen))
        .add(readable)
        .add(in_scope(
            task_subject::Column::GridCode,
            &access.scope(Object::Visit, Action::Read),
        ));
    match filter.visited {
        Some(true) => condition = condition.add(task_subject::Column::VisitId.is_not_null()),
        Some(false) => condition = condition.add(task_subject::Column::VisitId.is_null()),
        None => {}
    }
    keyset(
        access.db(),
        task_subject::Entity::find().filter(condition),
        task_subject::Column::Id,
        Order::ascending(task_subject::Column::GridCode),
        request,
    )
    .await
}
