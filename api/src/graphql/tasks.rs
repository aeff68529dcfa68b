//! Tasks: the command centre's and managers' instructions and campaigns,
//! sent to grids, areas, workers and departments, answered by each assignee.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entities::{task, task_assignment};
use policies::AreaLevel;

use super::ContextExt;
use super::cases::Department;
use super::relay::{NodeKind, Page, connection, global_id, key_of, parse_global_id};
use crate::domain::page::PageRequest;
use crate::domain::tasks::respond::{self, Answer};
use crate::domain::tasks::send::{self, NewTask, Targets};
use crate::domain::tasks::{self, ASSIGNMENT_CURSOR, AssignmentFilter, Progress, TASK_CURSOR};
use crate::events::Event;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::task::TaskKind")]
pub enum TaskKind {
    /// A single instruction: "visit this household".
    Instruction,
    /// A number to reach in each grid, rolled up to every area level.
    Campaign,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::task::TaskPriority")]
pub enum TaskPriority {
    Low,
    Normal,
    High,
    Urgent,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::task_assignment::TargetKind")]
pub enum TargetKind {
    Grid,
    Worker,
    Department,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::task_assignment::AssignmentState")]
pub enum AssignmentState {
    Pending,
    /// Read by the assignee (回执).
    Acknowledged,
    InProgress,
    Completed,
}

/// An area level to roll a campaign's progress up to.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Level {
    District,
    Street,
    Community,
    Grid,
}

impl From<Level> for AreaLevel {
    fn from(level: Level) -> AreaLevel {
        match level {
            Level::District => AreaLevel::District,
            Level::Street => AreaLevel::Street,
            Level::Community => AreaLevel::Community,
            Level::Grid => AreaLevel::Grid,
        }
    }
}

/// Where a task stands: over the whole, or over one area's part.
#[derive(SimpleObject)]
pub struct TaskProgress {
    /// The area of this part; null for the whole task.
    area_code: Option<String>,
    assignments: i64,
    acknowledged: i64,
    completed: i64,
    /// For a campaign: the sum of the numbers to reach, and reached.
    target: i64,
    reached: i64,
}

impl From<Progress> for TaskProgress {
    fn from(progress: Progress) -> TaskProgress {
        TaskProgress {
            area_code: progress.area_code,
            assignments: progress.assignments,
            acknowledged: progress.acknowledged,
            completed: progress.completed,
            target: progress.target,
            reached: progress.reached,
        }
    }
}

/// A user as a task names them.
#[derive(SimpleObject)]
pub struct Person {
    username: String,
    display_name: String,
}

async fn person(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Person>> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(ctx
        .loaders()?
        .people()
        .load_one(id)
        .await?
        .map(|row| Person {
            username: row.username,
            display_name: row.display_name,
        }))
}

/// An instruction or campaign (任务).
pub struct Task(pub task::Model);

impl Task {
    pub async fn find(ctx: &Context<'_>, key: &str) -> Result<Option<Task>> {
        let Ok(id) = key.parse::<i64>() else {
            return Ok(None);
        };
        Ok(tasks::find_task(ctx.access()?, id).await?.map(Task))
    }
}

#[Object]
impl Task {
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Task, &self.0.id.to_string())
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn body(&self) -> &str {
        &self.0.body
    }

    async fn kind(&self) -> TaskKind {
        self.0.kind.into()
    }

    async fn priority(&self) -> TaskPriority {
        self.0.priority.into()
    }

    /// The smallest area holding all its targets; null for the whole city.
    async fn area_code(&self) -> Option<&str> {
        self.0.area_code.as_deref()
    }

    async fn sender(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.created_by)).await
    }

    async fn deadline_at(&self) -> DateTime<Utc> {
        self.0.deadline_at
    }

    /// For a campaign: the number each target is to reach.
    async fn target_per_grid(&self) -> Option<i32> {
        self.0.target_per_grid
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The whole task's progress over the assignments you see.
    #[graphql(complexity = "super::limits::LIST_COST + child_complexity")]
    async fn progress(&self, ctx: &Context<'_>) -> Result<TaskProgress> {
        let rows = tasks::progress(ctx.access()?, self.0.id, None).await?;
        Ok(rows.into_iter().next().unwrap_or_default().into())
    }

    /// Progress rolled up to each area of `level` (a campaign's table for
    /// the big screen).
    #[graphql(complexity = "super::limits::LIST_COST * 5 * child_complexity.max(1)")]
    async fn progress_by_area(&self, ctx: &Context<'_>, level: Level) -> Result<Vec<TaskProgress>> {
        let rows = tasks::progress(ctx.access()?, self.0.id, Some(level.into())).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The assignments you see, by area; `overdue` finds those past the
    /// deadline and not completed.
    #[graphql(complexity = "super::relay::page_complexity(first, child_complexity)")]
    async fn assignments(
        &self,
        ctx: &Context<'_>,
        state: Option<AssignmentState>,
        overdue: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Assignment>> {
        let request = PageRequest::new(first, after, ASSIGNMENT_CURSOR)?;
        let filter = AssignmentFilter {
            task_id: Some(self.0.id),
            mine: false,
            state: state.map(Into::into),
            overdue,
        };
        let listing = tasks::assignments(ctx.access()?, &filter, &request).await?;
        Ok(connection(ASSIGNMENT_CURSOR, listing, Assignment))
    }
}

/// One target's part of a task.
pub struct Assignment(pub task_assignment::Model);

impl Assignment {
    pub async fn find(ctx: &Context<'_>, key: &str) -> Result<Option<Assignment>> {
        let Ok(id) = key.parse::<i64>() else {
            return Ok(None);
        };
        Ok(tasks::find_assignment(ctx.access()?, id)
            .await?
            .map(Assignment))
    }
}

/// A progress report or feedback on an assignment.
#[derive(SimpleObject)]
pub struct TaskFeedback {
    author_name: String,
    note: String,
    /// The number reached, as reported with this entry.
    progress: Option<i32>,
    at: DateTime<Utc>,
}

#[Object(name = "TaskAssignment")]
impl Assignment {
    pub async fn id(&self) -> ID {
        global_id(NodeKind::TaskAssignment, &self.0.id.to_string())
    }

    async fn task(&self, ctx: &Context<'_>) -> Result<Option<Task>> {
        Task::find(ctx, &self.0.task_id.to_string()).await
    }

    async fn target_kind(&self) -> TargetKind {
        self.0.target_kind.into()
    }

    /// The grid, or the area the worker or department acts in.
    async fn area_code(&self) -> &str {
        &self.0.area_code
    }

    async fn assignee(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.assignee_user_id).await
    }

    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Department>> {
        let Some(id) = self.0.department_id else {
            return Ok(None);
        };
        let loader = ctx.loaders()?.departments();
        Ok(loader.load_one(id).await?.map(Department))
    }

    async fn state(&self) -> AssignmentState {
        self.0.state.into()
    }

    /// For a campaign: the number to reach here.
    async fn target(&self) -> Option<i32> {
        self.0.target
    }

    /// For a campaign: the number reached so far.
    async fn progress(&self) -> i32 {
        self.0.progress
    }

    async fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.0.acknowledged_at
    }

    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }

    /// Send it back with an answer: a stale version is a CONFLICT.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// Progress reports and feedback, oldest first.
    async fn feedback(&self, ctx: &Context<'_>) -> Result<Vec<TaskFeedback>> {
        Ok(tasks::feedback(ctx.access()?, &self.0)
            .await?
            .into_iter()
            .map(|row| TaskFeedback {
                author_name: row.author_name,
                note: row.note,
                progress: row.progress,
                at: row.at,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct TasksQuery;

#[Object]
impl TasksQuery {
    /// Tasks you see, newest first: those you sent, those sent in areas you
    /// may read tasks in, and those addressed to you.
    #[graphql(complexity = "super::relay::page_complexity(first, child_complexity)")]
    async fn tasks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the tasks you sent.", default)] sent_by_me: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Task>> {
        let request = PageRequest::new(first, after, TASK_CURSOR)?;
        let listing = tasks::tasks(ctx.access()?, sent_by_me, &request).await?;
        Ok(connection(TASK_CURSOR, listing, Task))
    }

    async fn task(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Task>> {
        match parse_global_id(&id) {
            Some((NodeKind::Task, key)) => Task::find(ctx, &key).await,
            _ => Ok(None),
        }
    }

    /// Your assignments (or your department's).
    #[graphql(complexity = "super::relay::page_complexity(first, child_complexity)")]
    async fn my_assignments(
        &self,
        ctx: &Context<'_>,
        state: Option<AssignmentState>,
        overdue: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Assignment>> {
        let request = PageRequest::new(first, after, ASSIGNMENT_CURSOR)?;
        let filter = AssignmentFilter {
            task_id: None,
            mine: true,
            state: state.map(Into::into),
            overdue,
        };
        let listing = tasks::assignments(ctx.access()?, &filter, &request).await?;
        Ok(connection(ASSIGNMENT_CURSOR, listing, Assignment))
    }
}

/// Whom to send a task to; any mix.
#[derive(InputObject, Default)]
pub struct TaskTargets {
    /// Grid codes, and area codes of any level: an area reaches every grid
    /// inside it, one assignment per grid.
    areas: Option<Vec<String>>,
    /// Grid workers by username.
    workers: Option<Vec<String>>,
    /// Departments by code.
    departments: Option<Vec<String>>,
}

#[derive(InputObject)]
pub struct SendTaskInput {
    title: String,
    body: String,
    kind: TaskKind,
    #[graphql(default_with = "TaskPriority::Normal")]
    priority: TaskPriority,
    deadline_at: DateTime<Utc>,
    /// Required for a campaign: the number each target is to reach.
    target_per_grid: Option<i32>,
    targets: TaskTargets,
}

#[derive(Default)]
pub struct TasksMutation;

impl TasksMutation {
    async fn answer(ctx: &Context<'_>, id: ID, version: i32, answer: Answer) -> Result<Assignment> {
        let id = key_of("id", &id, NodeKind::TaskAssignment)?;
        let row = respond::answer(ctx.access()?, id, version, answer).await?;
        Ok(Assignment(row))
    }
}

#[Object]
impl TasksMutation {
    /// Sends a task: one assignment per grid, worker or department reached.
    /// Needs `task send` in every target's area.
    async fn send_task(&self, ctx: &Context<'_>, input: SendTaskInput) -> Result<Task> {
        let new = NewTask {
            title: input.title,
            body: input.body,
            kind: input.kind.into(),
            priority: input.priority.into(),
            deadline_at: input.deadline_at,
            target_per_grid: input.target_per_grid,
            targets: Targets {
                areas: input.targets.areas.unwrap_or_default(),
                workers: input.targets.workers.unwrap_or_default(),
                departments: input.targets.departments.unwrap_or_default(),
            },
        };
        let (row, _) = send::send(ctx.access()?, new).await?;
        ctx.state()
            .events
            .publish(Event::TaskSent { task_id: row.id })
            .await;
        Ok(Task(row))
    }

    /// The read receipt (回执) of one of your assignments.
    async fn acknowledge_assignment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
    ) -> Result<Assignment> {
        TasksMutation::answer(ctx, id, version, Answer::Acknowledge).await
    }

    /// Reports progress on one of your assignments: a campaign's number
    /// reached so far, and/or a note.
    async fn report_task_progress(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        reached: Option<i32>,
        note: Option<String>,
    ) -> Result<Assignment> {
        TasksMutation::answer(ctx, id, version, Answer::Progress { reached, note }).await
    }

    /// Completes one of your assignments.
    async fn complete_assignment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        note: Option<String>,
    ) -> Result<Assignment> {
        TasksMutation::answer(ctx, id, version, Answer::Complete { note }).await
    }
}
