//! An assignee's answers: the read receipt, progress and feedback, and
//! completion. Each is one transaction with its feedback entry (when there
//! is one) and its audit row, against the version the assignee read.

use chrono::Utc;
use entities::task::{self, TaskKind};
use entities::task_assignment::{self, AssignmentState};
use entities::task_feedback;
use policies::{Action, Object};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, EntityTrait};
use serde_json::json;

use super::TaskViewer;
use crate::domain::access::Access;
use crate::domain::writes::fields::optional_text;
use crate::domain::writes::save;
use crate::error::{ApiError, ApiResult};

/// What an assignee does with an assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 回执: "I have read it".
    Acknowledge,
    /// Progress so far (a campaign's number reached) and a note.
    Progress {
        reached: Option<i32>,
        note: Option<String>,
    },
    Complete {
        note: Option<String>,
    },
}

impl Answer {
    fn audit_action(&self) -> &'static str {
        match self {
            Answer::Acknowledge => "task.acknowledge",
            Answer::Progress { .. } => "task.progress",
            Answer::Complete { .. } => "task.complete",
        }
    }
}

impl crate::domain::writes::Versioned for task_assignment::Entity {
    const KIND: &'static str = "assignment";
    const OBJECT: Object = Object::Task;
    const ID: task_assignment::Column = task_assignment::Column::Id;
    const VERSION: task_assignment::Column = task_assignment::Column::Version;
    const UPDATED_AT: task_assignment::Column = task_assignment::Column::UpdatedAt;
    fn grid(row: &task_assignment::Model) -> &str {
        &row.area_code
    }
    fn version(row: &task_assignment::Model) -> i32 {
        row.version
    }
}

pub async fn answer(
    access: &Access,
    id: i64,
    version: i32,
    answer: Answer,
) -> ApiResult<task_assignment::Model> {
    let w = &access.writer()?;
    let viewer = TaskViewer::of(access).await?;
    let txn = w.begin().await?;
    let current = task_assignment::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ApiError::not_found("assignment", "id"))?;
    if !viewer.owns(&current) {
        // Someone else's assignment: visible to its sender, but theirs to
        // answer only. Read on the transaction's own connection: one from
        // the pool would be a second while this one is held.
        let seen = viewer.assignment(&txn, current.id).await?;
        return Err(if seen.is_some() {
            ApiError::Forbidden("not allowed: only its assignee answers an assignment".to_owned())
        } else {
            ApiError::not_found("assignment", "id")
        });
    }
    w.require(&current.area_code, Object::Task, Action::Respond)?;
    if current.version != version {
        return Err(ApiError::conflict(format!(
            "this assignment changed since you read it (you sent version {version}, it is at \
             {}); read it again",
            current.version
        )));
    }
    if current.state == AssignmentState::Completed {
        return Err(ApiError::InvalidState(
            "the assignment is completed".to_owned(),
        ));
    }
    let now = Utc::now();
    let mut changes = <task_assignment::ActiveModel as Default>::default();
    if current.acknowledged_at.is_none() {
        changes.acknowledged_at = Set(Some(now));
    }
    let note = match &answer {
        Answer::Acknowledge => {
            if current.state != AssignmentState::Pending {
                return Err(ApiError::InvalidState(
                    "the assignment is already acknowledged".to_owned(),
                ));
            }
            changes.state = Set(AssignmentState::Acknowledged);
            None
        }
        Answer::Progress { reached, note } => {
            let note = optional_text("note", note.as_deref(), 2000)?;
            if reached.is_none() && note.is_none() {
                return Err(ApiError::required(
                    "note",
                    "report a number reached or a note",
                ));
            }
            if let Some(reached) = reached {
                if current.target.is_none() {
                    return Err(ApiError::bad_input(
                        "reached",
                        "only a campaign counts a number reached",
                    ));
                }
                if *reached < 0 {
                    return Err(ApiError::bad_input("reached", "must not be negative"));
                }
                let kind = task::Entity::find_by_id(current.task_id)
                    .one(&txn)
                    .await?
                    .map(|task| task.kind);
                if kind == Some(TaskKind::Visits) {
                    return Err(ApiError::bad_input(
                        "reached",
                        "a round of visits counts the visits recorded (recordVisit)",
                    ));
                }
                changes.progress = Set(*reached);
            }
            changes.state = Set(AssignmentState::InProgress);
            note
        }
        Answer::Complete { note } => {
            changes.state = Set(AssignmentState::Completed);
            changes.completed_at = Set(Some(now));
            optional_text("note", note.as_deref(), 2000)?
        }
    };
    let row = save::<task_assignment::Entity>(&txn, id, version, changes).await?;
    if note.is_some() || matches!(answer, Answer::Progress { .. }) {
        task_feedback::ActiveModel {
            id: NotSet,
            assignment_id: Set(row.id),
            author_user_id: Set(w.caller.user_id),
            author_name: Set(w.caller.name.chars().take(64).collect()),
            note: Set(note.unwrap_or_default()),
            progress: Set(Some(row.progress)),
            at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    w.audit(
        &txn,
        answer.audit_action(),
        "task_assignment",
        row.id,
        &row.area_code,
        json!({"task": row.task_id, "state": format!("{:?}", row.state), "progress": row.progress}),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}
