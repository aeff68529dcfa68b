//! Sending a task: one record, fanned out to an assignment per target. An
//! area target becomes one assignment per grid inside it; the sender needs
//! `task send` in every target's area.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entities::task::{self, TaskKind, TaskPriority};
use entities::task_assignment::{self, AssignmentState, TargetKind};
use entities::{department, grid, user};
use policies::{Action, AreaCode, AreaLevel, Object};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::json;

use super::rounds;
use crate::domain::access::Access;
use crate::domain::areas::parse_code;
use crate::domain::subjects::Subject;
use crate::domain::within::within;
use crate::domain::writes::Writer;
use crate::domain::writes::fields::text;
use crate::error::{ApiError, ApiResult};

/// Whom a task goes to; any mix.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// Grids, and areas of any level (each fanned out to its grids).
    pub areas: Vec<String>,
    /// Grid workers by username.
    pub workers: Vec<String>,
    /// Departments by id.
    pub departments: Vec<i64>,
    /// For a round of visits: whom to visit; their grids are its targets.
    pub subjects: Vec<Subject>,
}

#[derive(Debug, Clone)]
pub struct NewTask {
    pub title: String,
    pub body: String,
    pub kind: TaskKind,
    pub priority: TaskPriority,
    pub deadline_at: DateTime<Utc>,
    /// For a campaign: the number each target is to reach.
    pub target_per_grid: Option<i32>,
    pub targets: Targets,
}

/// An assignment about to be written.
struct Planned {
    kind: TargetKind,
    area_code: String,
    assignee_user_id: Option<i64>,
    department_id: Option<i64>,
    /// The number to reach.
    target: Option<i32>,
}

/// The most grids one task may reach: the whole demo city has 1,120.
const MAX_ASSIGNMENTS: usize = 20_000;

pub async fn send(
    access: &Access,
    new: NewTask,
) -> ApiResult<(task::Model, Vec<task_assignment::Model>)> {
    let w = &access.writer()?;
    let title = text("title", &new.title, 128)?;
    let body = text("body", &new.body, 4000)?;
    let now = Utc::now();
    if new.deadline_at <= now {
        return Err(ApiError::bad_input("deadlineAt", "must be in the future"));
    }
    let target = match (new.kind, new.target_per_grid) {
        (TaskKind::Campaign, Some(target)) if target > 0 => Some(target),
        (TaskKind::Campaign, None) => {
            return Err(ApiError::required(
                "targetPerGrid",
                "a campaign sets a positive number to reach",
            ));
        }
        (TaskKind::Campaign, Some(_)) => {
            return Err(ApiError::bad_input(
                "targetPerGrid",
                "a campaign sets a positive number to reach",
            ));
        }
        (TaskKind::Instruction, Some(_)) => {
            return Err(ApiError::bad_input(
                "targetPerGrid",
                "only a campaign has a number to reach",
            ));
        }
        (TaskKind::Instruction | TaskKind::Visits, None) => None,
        (TaskKind::Visits, Some(_)) => {
            return Err(ApiError::bad_input(
                "targetPerGrid",
                "a round of visits counts the subjects named in each grid",
            ));
        }
    };
    let named = &new.targets.subjects;
    let others = &new.targets;
    match new.kind {
        TaskKind::Visits if named.is_empty() => {
            return Err(ApiError::required(
                "targets.subjects",
                "a round of visits names whom to visit",
            ));
        }
        TaskKind::Visits
            if !(others.areas.is_empty()
                && others.workers.is_empty()
                && others.departments.is_empty()) =>
        {
            return Err(ApiError::bad_input(
                "targets",
                "a round of visits goes to the grids of the subjects it names, and nowhere else",
            ));
        }
        TaskKind::Instruction | TaskKind::Campaign if !named.is_empty() => {
            return Err(ApiError::bad_input(
                "targets.subjects",
                "only a round of visits (kind VISITS) names subjects",
            ));
        }
        _ => {}
    }
    let Some(sender) = w.caller.user_id else {
        return Err(ApiError::Forbidden(
            "not allowed: tasks are sent by signed-in users, not by tokens of departments"
                .to_owned(),
        ));
    };
    let txn = w.begin().await?;
    let round = match new.kind {
        TaskKind::Visits => Some(rounds::plan(access, w, &txn, named).await?),
        _ => None,
    };
    let planned = match &round {
        Some(round) => round
            .by_grid
            .iter()
            .map(|(code, (worker, subjects))| Planned {
                kind: TargetKind::Grid,
                area_code: code.clone(),
                assignee_user_id: *worker,
                department_id: None,
                target: i32::try_from(subjects.len()).ok(),
            })
            .collect(),
        None => plan(w, &txn, &new.targets, target).await?,
    };
    if planned.is_empty() {
        return Err(ApiError::required(
            "targets",
            "no grid, worker or department to send to",
        ));
    }
    if planned.len() > MAX_ASSIGNMENTS {
        return Err(ApiError::bad_input(
            "targets",
            format!("at most {MAX_ASSIGNMENTS} assignments per task"),
        ));
    }
    let area = common_area(planned.iter().map(|p| p.area_code.as_str()));
    let row = task::ActiveModel {
        id: NotSet,
        title: Set(title),
        body: Set(body),
        kind: Set(new.kind),
        priority: Set(new.priority),
        area_code: Set(area.clone()),
        created_by: Set(sender),
        deadline_at: Set(new.deadline_at),
        target_per_grid: Set(target),
        cancelled: Set(false),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let rows: Vec<task_assignment::ActiveModel> = planned
        .iter()
        .map(|planned| task_assignment::ActiveModel {
            id: NotSet,
            task_id: Set(row.id),
            target_kind: Set(planned.kind),
            area_code: Set(planned.area_code.clone()),
            assignee_user_id: Set(planned.assignee_user_id),
            department_id: Set(planned.department_id),
            state: Set(AssignmentState::Pending),
            target: Set(planned.target),
            progress: Set(0),
            acknowledged_at: Set(None),
            completed_at: Set(None),
            version: Set(1),
            updated_at: Set(now),
        })
        .collect();
    for chunk in rows.chunks(500) {
        task_assignment::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    let assignments = task_assignment::Entity::find()
        .filter(task_assignment::Column::TaskId.eq(row.id))
        .all(&txn)
        .await?;
    if let Some(round) = &round {
        rounds::name_subjects(&txn, row.id, round, &assignments).await?;
    }
    w.audit(
        &txn,
        "task.send",
        "task",
        row.id,
        area.as_deref().unwrap_or("*"),
        json!({"assignments": assignments.len(), "kind": format!("{:?}", new.kind)}),
    )
    .await?;
    txn.commit().await?;
    Ok((row, assignments))
}

/// Every target as assignments, each checked against the sender's rights in
/// its area; a grid named twice (directly and through its area) is one.
async fn plan(
    w: &Writer<'_>,
    txn: &DatabaseTransaction,
    targets: &Targets,
    target: Option<i32>,
) -> ApiResult<Vec<Planned>> {
    let mut grids: BTreeMap<String, Option<i64>> = BTreeMap::new();
    for raw in &targets.areas {
        let code = parse_code("targets.areas", raw)?;
        w.require(code.as_str(), Object::Task, Action::Send)?;
        let found: Vec<grid::Model> = if code.level() == AreaLevel::Grid {
            grid::Entity::find_by_id(code.as_str()).all(txn).await?
        } else {
            grid::Entity::find()
                .filter(within(grid::Column::Code, &code))
                .all(txn)
                .await?
        };
        if found.is_empty() {
            return Err(ApiError::bad_input(
                "targets.areas",
                format!("no grids in {raw}"),
            ));
        }
        for grid in found {
            grids.insert(grid.code, grid.worker_id);
        }
    }
    let mut planned: Vec<Planned> = grids
        .into_iter()
        .map(|(code, worker)| Planned {
            kind: TargetKind::Grid,
            area_code: code,
            assignee_user_id: worker,
            department_id: None,
            target,
        })
        .collect();
    for username in &targets.workers {
        // A name that is not an account and one outside the sender's reach
        // look the same: the answer must not tell which accounts exist.
        let unknown = || {
            ApiError::missing(
                "targets.workers",
                format!("no one called {username} you may send tasks to"),
            )
        };
        let worker = user::Entity::find()
            .filter(user::Column::Username.eq(username.as_str()))
            .one(txn)
            .await?
            .filter(|user| user.active)
            .ok_or_else(unknown)?;
        let area = worker.area_code.clone().ok_or_else(unknown)?;
        if !w.may(&area, Object::Task, Action::Send)? {
            return Err(unknown());
        }
        planned.push(Planned {
            kind: TargetKind::Worker,
            area_code: area,
            assignee_user_id: Some(worker.id),
            department_id: None,
            target,
        });
    }
    for id in &targets.departments {
        let found = department::Entity::find_by_id(*id)
            .one(txn)
            .await?
            .ok_or_else(|| ApiError::missing("targets.departments", "no such department"))?;
        w.require(&found.jurisdiction_code, Object::Task, Action::Send)?;
        planned.push(Planned {
            kind: TargetKind::Department,
            area_code: found.jurisdiction_code.clone(),
            assignee_user_id: None,
            department_id: Some(found.id),
            target,
        });
    }
    Ok(planned)
}

/// The smallest area holding every code, on level boundaries; `None` when
/// only the whole city does.
fn common_area<'a>(codes: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut common: Option<AreaCode> = None;
    for raw in codes {
        let code = AreaCode::parse(raw).ok()?;
        common = Some(match common {
            None => code,
            Some(area) => {
                let mut area = area;
                while !area.contains(&code) {
                    area = area.parent()?;
                }
                area
            }
        });
    }
    common.map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_area_stops_at_level_boundaries() {
        let codes = ["420502003001001", "420502003001002"];
        assert_eq!(
            common_area(codes.into_iter()).as_deref(),
            Some("420502003001")
        );
        let codes = ["420502003001001", "420502004001001"];
        assert_eq!(common_area(codes.into_iter()).as_deref(), Some("420502"));
        let codes = ["420502003001001", "420503001001001"];
        assert_eq!(common_area(codes.into_iter()), None);
    }
}
