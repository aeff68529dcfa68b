//! Telling live subscribers of a task just sent. The task and its
//! assignments are read once per replica, however many subscribers hear of
//! it, and each subscriber's own are picked out in memory
//! ([`TaskViewer::owns`]), with the task when they see it as its addressee
//! ([`TaskViewer::sees_as_addressee`]): a campaign to every grid costs two
//! statements, not some per listening worker.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use entities::{task, task_assignment};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use tokio::sync::OnceCell;

use super::TaskViewer;
use crate::domain::access::Access;
use crate::error::ApiResult;

/// Tasks remembered at once: more than are sent within [`FRESH`].
const REMEMBERED: usize = 64;
/// How long a task's assignments, read for its event, serve later
/// subscribers: long enough for every subscriber of a replica to hear the
/// event, short enough that none is told of a state long gone.
const FRESH: Duration = Duration::from_secs(5);

/// A task as sent: its row (gone when it was removed since) and its
/// assignments.
struct Sent {
    task: Option<Arc<task::Model>>,
    assignments: Vec<task_assignment::Model>,
}

struct Remembered {
    task_id: i64,
    read_at: Instant,
    sent: Arc<OnceCell<Arc<Sent>>>,
}

/// The assignments of recently sent tasks, shared by a replica's
/// subscribers.
#[derive(Default)]
pub struct SentTasks {
    recent: Mutex<VecDeque<Remembered>>,
}

impl SentTasks {
    /// The task `task_id` and every assignment of it, read once while
    /// fresh: subscribers hearing the same event at once wait for the one
    /// read.
    async fn sent(&self, db: &DatabaseConnection, task_id: i64) -> ApiResult<Arc<Sent>> {
        let cell = {
            let mut recent = self
                .recent
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            recent.retain(|entry| entry.read_at.elapsed() < FRESH);
            match recent.iter().find(|entry| entry.task_id == task_id) {
                Some(entry) => entry.sent.clone(),
                None => {
                    if recent.len() == REMEMBERED {
                        recent.pop_front();
                    }
                    let cell = Arc::new(OnceCell::new());
                    recent.push_back(Remembered {
                        task_id,
                        read_at: Instant::now(),
                        sent: cell.clone(),
                    });
                    cell
                }
            }
        };
        let sent = cell
            .get_or_try_init(|| async {
                let task = task::Entity::find_by_id(task_id).one(db).await?;
                let assignments = task_assignment::Entity::find()
                    .filter(task_assignment::Column::TaskId.eq(task_id))
                    .order_by_asc(task_assignment::Column::Id)
                    .all(db)
                    .await?;
                ApiResult::Ok(Arc::new(Sent {
                    task: task.map(Arc::new),
                    assignments,
                }))
            })
            .await?;
        Ok(sent.clone())
    }
}

/// An assignment a live subscriber is told of, with its task when the
/// subscriber sees it as the addressee (otherwise the task is read as any
/// other, should they ask for it).
pub type Addressed = (task_assignment::Model, Option<Arc<task::Model>>);

/// The assignments of a task that are addressed to the caller (or its
/// department) and stay its to see: what a live subscriber is told of.
pub async fn addressed(
    access: &Access,
    sent: &SentTasks,
    task_id: i64,
) -> ApiResult<Vec<Addressed>> {
    let viewer = TaskViewer::of(access).await?;
    let sent = sent.sent(access.db(), task_id).await?;
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
