//! Telling live subscribers of a task just sent. The task and its
//! assignments are read once per replica (the event's [`SharedRead`]),
//! however many subscribers hear of it, and each subscriber's own are
//! picked out in memory
//! ([`TaskViewer::owns`]), with the task when they see it as its addressee
//! ([`TaskViewer::sees_as_addressee`]): a campaign to every grid costs two
//! statements, not some per listening worker.

use std::sync::Arc;

use entities::{task, task_assignment};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::TaskViewer;
use crate::domain::access::Access;
use crate::error::ApiResult;
use crate::events::SharedRead;

/// A task as sent: its row (gone when it was removed since) and its
/// assignments.
struct Sent {
    task: Option<Arc<task::Model>>,
    assignments: Vec<task_assignment::Model>,
}

/// An assignment a live subscriber is told of, with its task when the
/// subscriber sees it as the addressee (otherwise the task is read as any
/// other, should they ask for it).
pub type Addressed = (task_assignment::Model, Option<Arc<task::Model>>);

/// The assignments of a task that are addressed to the caller (or its
/// department) and stay its to see: what a live subscriber is told of.
pub async fn addressed(
    access: &Access,
    shared: &SharedRead,
    task_id: i64,
) -> ApiResult<Vec<Addressed>> {
    let viewer = TaskViewer::of(access).await?;
    let db = access.db();
    let sent = shared
        .get_or_read(|| async {
            let task = task::Entity::find_by_id(task_id).one(db).await?;
            let assignments = task_assignment::Entity::find()
                .filter(task_assignment::Column::TaskId.eq(task_id))
                .order_by_asc(task_assignment::Column::Id)
                .all(db)
                .await?;
            Ok(Some(Sent {
                task: task.map(Arc::new),
                assignments,
            }))
        })
        .await?;
    let Some(sent) = sent else {
        return Ok(Vec::new());
    };
    let task = sent
        .task
        .as_ref()
        .filter(|task| viewer.sees_as_addressee(task));
    Ok(sent
        .assignments
        .iter()
        .filter(|assignment| viewer.owns(assignment))
        .map(|assignment| (assignment.clone(), task.cloned()))
        .collect())
}
