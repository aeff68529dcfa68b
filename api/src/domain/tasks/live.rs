//! Telling live subscribers of a task just sent. The task's assignments are
//! read once per replica, however many subscribers hear of it, and each
//! subscriber's own are picked out in memory ([`TaskViewer::owns`]): a
//! campaign to every grid costs one statement, not one per listening worker.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use entities::task_assignment;
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

type Assignments = Arc<Vec<task_assignment::Model>>;

struct Remembered {
    task_id: i64,
    read_at: Instant,
    assignments: Arc<OnceCell<Assignments>>,
}

/// The assignments of recently sent tasks, shared by a replica's
/// subscribers.
#[derive(Default)]
pub struct SentTasks {
    recent: Mutex<VecDeque<Remembered>>,
}

impl SentTasks {
    /// Every assignment of `task_id`, read once while fresh: subscribers
    /// hearing the same event at once wait for the one read.
    async fn assignments(&self, db: &DatabaseConnection, task_id: i64) -> ApiResult<Assignments> {
        let cell = {
            let mut recent = self
                .recent
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            recent.retain(|entry| entry.read_at.elapsed() < FRESH);
            match recent.iter().find(|entry| entry.task_id == task_id) {
                Some(entry) => entry.assignments.clone(),
                None => {
                    if recent.len() == REMEMBERED {
                        recent.pop_front();
                    }
                    let cell = Arc::new(OnceCell::new());
                    recent.push_back(Remembered {
                        task_id,
                        read_at: Instant::now(),
                        assignments: cell.clone(),
                    });
                    cell
                }
            }
        };
        let assignments = cell
            .get_or_try_init(|| async {
                let rows = task_assignment::Entity::find()
                    .filter(task_assignment::Column::TaskId.eq(task_id))
                    .order_by_asc(task_assignment::Column::Id)
                    .all(db)
                    .await?;
                ApiResult::Ok(Arc::new(rows))
            })
            .await?;
        Ok(assignments.clone())
    }
}

/// The assignments of a task that are addressed to the caller (or its
/// department) and stay its to see: what a live subscriber is told of.
pub async fn addressed(
    access: &Access,
    sent: &SentTasks,
    task_id: i64,
) -> ApiResult<Vec<task_assignment::Model>> {
    let viewer = TaskViewer::of(access).await?;
    let assignments = sent.assignments(access.db(), task_id).await?;
    Ok(assignments
        .iter()
        .filter(|assignment| viewer.owns(assignment))
        .cloned()
        .collect())
}
