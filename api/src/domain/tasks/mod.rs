//! Tasks: instructions and campaigns from the command centre and managers,
//! one record with an assignment per target. Who sees what: a sender sees
//! their tasks and every assignment of them; an assignee sees their own
//! assignments; `task read` in an area shows the tasks and assignments there.

pub mod live;
pub mod respond;
pub mod rounds;
pub mod send;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entities::task_assignment::{self, AssignmentState};
use entities::{task, task_feedback};
use policies::{AreaCode, AreaLevel, Scope};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    StatementBuilder,
};

use crate::domain::access::Access;
use crate::domain::page::{Listing, PageRequest};
use crate::domain::scoped::{self, Order};
use crate::domain::within::{in_scope, in_scope_or_city, never};
use crate::error::ApiResult;
use crate::events::SharedRead;

pub const TASK_CURSOR: &str = "task";
pub const ASSIGNMENT_CURSOR: &str = "assignment";

/// Who is asking about tasks: their user, their department, where they
/// may read tasks, and where tasks that are theirs (sent by them, addressed
/// to them) stay visible: everywhere but under an explicit deny, and for a
/// token only within its scopes and areas.
#[derive(Debug, Clone)]
pub struct TaskViewer {
    pub user_id: Option<i64>,
    pub department_id: Option<i64>,
    pub read: Scope,
    pub own: Scope,
}

impl TaskViewer {
    /// The caller's view of tasks, worked out once per access.
    pub async fn of(access: &Access) -> ApiResult<Arc<TaskViewer>> {
        use policies::{Action, Object};
        access
            .remember(|| async {
                let caller = access.caller()?;
                Ok(TaskViewer {
                    user_id: caller.user_id,
                    department_id: crate::domain::departments::department_of(access.db(), caller)
                        .await?,
                    read: access.scope(Object::Task, Action::Read),
                    own: access.own_scope(Object::Task, Action::Read),
                })
            })
            .await
    }

    /// Assignments addressed to the viewer, where theirs stay visible.
    pub fn own(&self) -> Condition {
        let mut addressed = Condition::any();
        if let Some(user) = self.user_id {
            addressed = addressed.add(task_assignment::Column::AssigneeUserId.eq(user));
        }
        if let Some(department) = self.department_id {
            addressed = addressed.add(task_assignment::Column::DepartmentId.eq(department));
        }
        if self.user_id.is_none() && self.department_id.is_none() {
            addressed = addressed.add(never());
        }
        Condition::all()
            .add(addressed)
            .add(in_scope(task_assignment::Column::AreaCode, &self.own))
    }

    /// Tasks the viewer sent, where theirs stay visible.
    fn sent(&self) -> Condition {
        match self.user_id {
            Some(user) => Condition::all()
                .add(task::Column::CreatedBy.eq(user))
                .add(in_scope_or_city(task::Column::AreaCode, &self.own)),
            None => never(),
        }
    }

    /// Tasks the viewer sees: sent by them, sent in an area they may read
    /// tasks in, or addressed to them.
    pub fn tasks(&self) -> Condition {
        let addressed = Query::select()
            .column(task_assignment::Column::TaskId)
            .from(task_assignment::Entity)
            .cond_where(self.own())
            .to_owned();
        Condition::any()
            .add(self.sent())
            .add(in_scope_or_city(task::Column::AreaCode, &self.read))
            .add(
                Condition::all()
                    .add(Expr::col(task::Column::Id).in_subquery(addressed))
                    .add(in_scope_or_city(task::Column::AreaCode, &self.own)),
            )
    }

    /// Assignments the viewer sees: their own, those of tasks they sent,
    /// and those in an area they may read tasks in.
    pub fn assignments(&self) -> Condition {
        let sent_by_me = Query::select()
            .column(task::Column::Id)
            .from(task::Entity)
            .cond_where(self.sent())
            .to_owned();
        Condition::any()
            .add(self.own())
            .add(
                Condition::all()
                    .add(Expr::col(task_assignment::Column::TaskId).in_subquery(sent_by_me))
                    .add(in_scope(task_assignment::Column::AreaCode, &self.own)),
            )
            .add(in_scope(task_assignment::Column::AreaCode, &self.read))
    }

    /// Whether the viewer sees `task` as the addressee of one of its
    /// assignments (the last way of [`TaskViewer::tasks`]), given that they
    /// own one ([`TaskViewer::owns`]): decided in memory for live events.
    /// `false` says only that this way does not show it; the others may.
    pub fn sees_as_addressee(&self, task: &task::Model) -> bool {
        self.keeps(task)
    }

    /// Whether `task`'s area is one where tasks that are the viewer's stay
    /// visible: `in_scope_or_city` on `own`, in memory.
    fn keeps(&self, task: &task::Model) -> bool {
        match &task.area_code {
            Some(code) => self.own.contains(code),
            None => self.own.allow == policies::Allow::Everywhere,
        }
    }

    /// Whether the viewer sees assignment `row` of `task`: [`TaskViewer::assignments`]
    /// decided in memory for live events, way by way.
    pub fn sees_assignment(
        &self,
        row: &task_assignment::Model,
        task: Option<&task::Model>,
    ) -> bool {
        let sent_by_me =
            task.is_some_and(|task| self.user_id == Some(task.created_by) && self.keeps(task));
        self.owns(row)
            || (sent_by_me && self.own.contains(&row.area_code))
            || self.read.contains(&row.area_code)
    }

    /// Assignment `id` if the viewer sees it, read on `db` (a transaction
    /// reads it on its own connection).
    pub async fn assignment<C: ConnectionTrait>(
        &self,
        db: &C,
        id: i64,
    ) -> ApiResult<Option<task_assignment::Model>> {
        Ok(task_assignment::Entity::find_by_id(id)
            .filter(self.assignments())
            .one(db)
            .await?)
    }

    /// Whether `row` is addressed to the viewer and stays theirs here.
    pub fn owns(&self, row: &task_assignment::Model) -> bool {
        let addressed = (self.user_id.is_some() && row.assignee_user_id == self.user_id)
            || (self.department_id.is_some() && row.department_id == self.department_id);
        addressed && self.own.contains(&row.area_code)
    }
}

/// Which assignments to list.
#[derive(Debug, Clone, Default)]
pub struct AssignmentFilter {
    pub task_id: Option<i64>,
    /// Only those addressed to the viewer.
    pub mine: bool,
    /// Any of these states; every state when empty.
    pub states: Vec<AssignmentState>,
    /// Past the task's deadline and not completed.
    pub overdue: Option<bool>,
}

fn overdue_condition(now: DateTime<Utc>) -> Condition {
    let late_tasks = Query::select()
        .column(task::Column::Id)
        .from(task::Entity)
        .and_where(task::Column::DeadlineAt.lt(now))
        .to_owned();
    Condition::all()
        .add(task_assignment::Column::State.ne(AssignmentState::Completed))
        .add(Expr::col(task_assignment::Column::TaskId).in_subquery(late_tasks))
}

pub async fn assignments(
    access: &Access,
    filter: &AssignmentFilter,
    order: Order<task_assignment::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<task_assignment::Model>> {
    let viewer = TaskViewer::of(access).await?;
    let mut condition = Condition::all().add(if filter.mine {
        viewer.own()
    } else {
        viewer.assignments()
    });
    if let Some(task) = filter.task_id {
        condition = condition.add(task_assignment::Column::TaskId.eq(task));
    }
    if !filter.states.is_empty() {
        condition = condition.add(task_assignment::Column::State.is_in(filter.states.clone()));
    }
    match filter.overdue {
        Some(true) => condition = condition.add(overdue_condition(Utc::now())),
        Some(false) => condition = condition.add(overdue_condition(Utc::now()).not()),
        None => {}
    }
    let select = task_assignment::Entity::find().filter(condition);
    scoped::keyset(
        access.db(),
        select,
        task_assignment::Column::Id,
        order,
        request,
    )
    .await
}

/// Which tasks to list.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Only those the viewer sent.
    pub sent_only: bool,
    /// Sent at or after.
    pub from: Option<DateTime<Utc>>,
    /// Sent before.
    pub before: Option<DateTime<Utc>>,
}

/// Tasks the viewer sees, in `order`.
pub async fn tasks(
    access: &Access,
    filter: &TaskFilter,
    order: Order<task::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<task::Model>> {
    let viewer = TaskViewer::of(access).await?;
    let mut condition = Condition::all().add(if filter.sent_only {
        viewer.sent()
    } else {
        viewer.tasks()
    });
    if let Some(from) = filter.from {
        condition = condition.add(task::Column::CreatedAt.gte(from));
    }
    if let Some(before) = filter.before {
        condition = condition.add(task::Column::CreatedAt.lt(before));
    }
    let select = task::Entity::find().filter(condition);
    scoped::keyset(access.db(), select, task::Column::Id, order, request).await
}

pub async fn find_task(access: &Access, id: i64) -> ApiResult<Option<task::Model>> {
    let viewer = TaskViewer::of(access).await?;
    Ok(task::Entity::find_by_id(id)
        .filter(viewer.tasks())
        .one(access.planned_once())
        .await?)
}

pub async fn find_assignment(
    access: &Access,
    id: i64,
) -> ApiResult<Option<task_assignment::Model>> {
    let viewer = TaskViewer::of(access).await?;
    viewer.assignment(access.planned_once(), id).await
}

/// An assignment just answered, for a subscriber who sees it (its sender's
/// command centre, its assignee) inside `within`: read with its task once
/// for every subscriber of the replica (`shared`), each deciding in memory.
pub async fn answered(
    access: &Access,
    shared: &SharedRead,
    id: i64,
    area_code: &str,
    within: Option<&AreaCode>,
) -> ApiResult<Option<task_assignment::Model>> {
    if within.is_some_and(|area| !area.contains_raw(area_code)) {
        return Ok(None);
    }
    let viewer = TaskViewer::of(access).await?;
    let db = access.db();
    let read = shared
        .get_or_read(|| async {
            let Some(row) = task_assignment::Entity::find_by_id(id).one(db).await? else {
                return Ok(None);
            };
            let task = task::Entity::find_by_id(row.task_id).one(db).await?;
            Ok(Some((row, task)))
        })
        .await?;
    Ok(read
        .filter(|read| viewer.sees_assignment(&read.0, read.1.as_ref()))
        .map(|read| read.0.clone()))
}

/// The feedback on an assignment the caller sees, oldest first.
pub async fn feedback(
    access: &Access,
    assignment: &task_assignment::Model,
) -> ApiResult<Vec<task_feedback::Model>> {
    if find_assignment(access, assignment.id).await?.is_none() {
        return Ok(Vec::new());
    }
    Ok(task_feedback::Entity::find()
        .filter(task_feedback::Column::AssignmentId.eq(assignment.id))
        .order_by_asc(task_feedback::Column::Id)
        .all(access.db())
        .await?)
}

/// Progress of a task, or of one area's part of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromQueryResult)]
pub struct Progress {
    pub area_code: Option<String>,
    pub assignments: i64,
    pub acknowledged: i64,
    pub completed: i64,
    pub target: i64,
    pub reached: i64,
}

/// The progress of task `task_id` over the assignments the viewer sees:
/// the whole, or grouped by the areas of `level` (grid assignments roll
/// up into their community, street and district).
pub async fn progress(
    access: &Access,
    task_id: i64,
    level: Option<AreaLevel>,
) -> ApiResult<Vec<Progress>> {
    let viewer = TaskViewer::of(access).await?;
    let db = access.db();
    let mut select = Query::select();
    select
        .from(task_assignment::Entity)
        .cond_where(
            Condition::all()
                .add(task_assignment::Column::TaskId.eq(task_id))
                .add(viewer.assignments()),
        )
        .expr_as(
            Expr::col(task_assignment::Column::Id).count(),
            Alias::new("assignments"),
        )
        .expr_as(
            Expr::cust("COALESCE(SUM(CASE WHEN acknowledged_at IS NOT NULL THEN 1 ELSE 0 END), 0)"),
            Alias::new("acknowledged"),
        )
        .expr_as(
            Expr::cust("COALESCE(SUM(CASE WHEN state = 'completed' THEN 1 ELSE 0 END), 0)"),
            Alias::new("completed"),
        )
        .expr_as(
            Expr::cust("COALESCE(SUM(COALESCE(target, 0)), 0)"),
            Alias::new("target"),
        )
        .expr_as(
            Expr::cust("COALESCE(SUM(progress), 0)"),
            Alias::new("reached"),
        );
    match level {
        Some(level) => {
            let width = level.width() as i32;
            // The width is written into the text, not bound: PostgreSQL
            // matches a grouped expression to the selected one by its text,
            // and two parameters are two different texts.
            let area = Expr::cust(format!("SUBSTR(area_code, 1, {width})"));
            select
                .expr_as(area.clone(), Alias::new("area_code"))
                .and_where(
                    Func::cust(Alias::new("LENGTH"))
                        .arg(Expr::col(task_assignment::Column::AreaCode))
                        .gte(width),
                )
                .add_group_by([area.clone()])
                .order_by_expr(area, sea_orm::sea_query::Order::Asc);
        }
        None => {
            select.expr_as(Expr::cust("NULL"), Alias::new("area_code"));
        }
    }
    let backend = db.get_database_backend();
    let rows = Progress::find_by_statement(StatementBuilder::build(&select, &backend))
        .all(db)
        .await?;
    // Totals without a group are one row even when nothing matched.
    Ok(rows
        .into_iter()
        .filter(|row| level.is_none() || row.assignments > 0)
        .collect())
}
