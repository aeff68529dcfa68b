//! Tasks: the command centre's and managers' instructions and campaigns,
//! sent to grids, areas, workers and departments, answered by each assignee.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entities::{task, task_assignment};

use super::ContextExt;
use super::departments::Department;
use super::ordering::{AssignmentOrder, AssignmentOrderField, TaskOrder, TaskOrderField};
use super::payload::{TaskUserError, payload};
use super::people::{Person, person};
use super::record::{Area, Grid, load_area, place_name};
use super::relay::{NodeKind, Page, connection, global_id, key_of, parse_global_id};
use super::scalars::DateTime;
use crate::domain::page::Paging;
use crate::domain::tasks::respond::{self, Answer};
use crate::domain::tasks::send::{self, NewTask, Targets};
use crate::domain::tasks::{self, ASSIGNMENT_CURSOR, AssignmentFilter, Progress, TASK_CURSOR};
use crate::events::Event;

/// An instruction, a campaign with a number to reach, or a round of visits.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::task::TaskKind")]
pub enum TaskKind {
    /// A single instruction: "visit this household".
    Instruction,
    /// A number to reach in each grid, rolled up to every area level.
    Campaign,
    /// A round of visits to the residents, households, dwellings or
    /// organisations named in `targets.subjects` ("走访独居老人" with its
    /// list): each one's grid gets an assignment, its number to reach how
    /// many of them are there, and the first visit recorded to one of them
    /// there after the task was sent counts as progress.
    Visits,
}

/// How pressing a task is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::task::TaskPriority")]
pub enum TaskPriority {
    /// Low.
    Low,
    /// Normal.
    Normal,
    /// High.
    High,
    /// Urgent.
    Urgent,
}

/// What an assignment was sent to.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::task_assignment::TargetKind")]
pub enum TargetKind {
    /// A grid, answered by its worker.
    Grid,
    /// A grid worker by name.
    Worker,
    /// A department.
    Department,
}

/// Where an assignment stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::task_assignment::AssignmentState")]
pub enum AssignmentState {
    /// Sent, not yet acknowledged.
    Pending,
    /// Read by the assignee (回执).
    Acknowledged,
    /// Acknowledged, or progress reported.
    InProgress,
    /// Completed.
    Completed,
}

/// Where a task stands: over the whole, or over one area's part.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct TaskProgress {
    /// The area of this part; null for the whole task.
    area_code: Option<String>,
    /// Assignments sent.
    assignments: i64,
    /// Assignments acknowledged.
    acknowledged: i64,
    /// Assignments completed.
    completed: i64,
    /// For a campaign: the sum of the numbers to reach, and reached.
    target: i64,
    /// The number reached so far (a campaign).
    reached: i64,
}

#[async_graphql::ComplexObject]
impl TaskProgress {
    /// The name of the area (or grid) of this part, for a table a person
    /// reads; null for the whole task, or an area you may not see on the
    /// map.
    async fn area_name(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        match &self.area_code {
            Some(code) => place_name(ctx, code).await,
            None => Ok(None),
        }
    }
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

/// An instruction or campaign (任务).
pub struct Task(pub task::Model);

impl crate::graphql::plain::Plain for Task {}

impl Task {
    pub async fn find(ctx: &Context<'_>, key: &str) -> Result<Option<Task>> {
        let Ok(id) = key.parse::<i64>() else {
            return Ok(None);
        };
        Ok(tasks::find_task(ctx.access()?, id).await?.map(Task))
    }
}

/// An instruction or campaign (任务).
#[Object]
impl Task {
    /// The task's global ID.
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Task, &self.0.id.to_string())
    }

    /// A short title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What is to be done.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// An instruction or a campaign.
    async fn kind(&self) -> TaskKind {
        self.0.kind.into()
    }

    /// How pressing it is.
    async fn priority(&self) -> TaskPriority {
        self.0.priority.into()
    }

    /// The smallest area holding all its targets; null for the whole city.
    async fn area_code(&self) -> Option<&str> {
        self.0.area_code.as_deref()
    }

    /// That area, when it is a district, street or community on your map.
    async fn area(&self, ctx: &Context<'_>) -> Result<Option<Area>> {
        load_area(ctx, self.0.area_code.as_deref()).await
    }

    /// That grid, when all its targets are in one grid on your map.
    async fn grid(&self, ctx: &Context<'_>) -> Result<Option<Grid>> {
        match &self.0.area_code {
            Some(code) => Grid::load(ctx, code).await,
            None => Ok(None),
        }
    }

    /// Who sent it.
    async fn sender(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.created_by)).await
    }

    /// When it is due.
    async fn deadline_at(&self) -> DateTime {
        self.0.deadline_at.into()
    }

    /// For a campaign: the number each target is to reach.
    async fn target_per_grid(&self) -> Option<i32> {
        self.0.target_per_grid
    }

    /// When it was sent.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
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
    async fn progress_by_area(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The area level to roll up to.")] level: super::record::AreaLevel,
    ) -> Result<Vec<TaskProgress>> {
        let rows = tasks::progress(ctx.access()?, self.0.id, Some(level.into())).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// For a round of visits: whom it names, in the assignments you see,
    /// grid by grid (`visited: false` for those still to visit).
    #[graphql(complexity = "super::relay::page_complexity(first, last, child_complexity)")]
    async fn subjects(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Visited (true), still to visit (false), or all.")] visited: Option<bool>,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<super::rounds::TaskSubject>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        super::rounds::subjects_page(ctx, self.0.id, visited, paging).await
    }

    /// The assignments you see, area by area unless `orderBy` says
    /// otherwise.
    #[graphql(complexity = "super::relay::page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn assignments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which assignments.")] filter: Option<AssignmentFilterInput>,
        #[graphql(
            desc = "Their order.",
            default_with = "AssignmentOrder::asc(AssignmentOrderField::Area)"
        )]
        order_by: AssignmentOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Assignment>> {
        let filter = filter.unwrap_or_default().validate(Some(self.0.id), false);
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        assignment_page(ctx, &filter, order_by, paging).await
    }
}

/// One target's part of a task, with the task when it is already known to
/// be the caller's to see (a live event's).
pub struct Assignment(
    pub task_assignment::Model,
    /// Its task, read once for a live event's every subscriber, when the
    /// caller is known to see it ([`Assignment::with_task`]); otherwise
    /// `task` reads it as any other read would.
    Option<std::sync::Arc<entities::task::Model>>,
);

impl crate::graphql::plain::Plain for Assignment {}

impl Assignment {
    pub fn of(row: task_assignment::Model) -> Assignment {
        Assignment(row, None)
    }

    /// An assignment with its task, which the caller is known to see.
    pub fn with_task(
        (row, task): (
            task_assignment::Model,
            Option<std::sync::Arc<entities::task::Model>>,
        ),
    ) -> Assignment {
        Assignment(row, task)
    }

    pub async fn find(ctx: &Context<'_>, key: &str) -> Result<Option<Assignment>> {
        let Ok(id) = key.parse::<i64>() else {
            return Ok(None);
        };
        Ok(tasks::find_assignment(ctx.access()?, id)
            .await?
            .map(Assignment::of))
    }
}

/// A progress report or feedback on an assignment.
#[derive(SimpleObject)]
pub struct TaskFeedback {
    /// Who wrote it.
    author_name: String,
    /// What they wrote.
    note: String,
    /// The number reached, as reported with this entry.
    progress: Option<i32>,
    /// When.
    at: DateTime,
}

/// One target's part of a task.
#[Object(name = "TaskAssignment")]
impl Assignment {
    /// The assignment's global ID.
    pub async fn id(&self) -> ID {
        global_id(NodeKind::TaskAssignment, &self.0.id.to_string())
    }

    /// The task it belongs to.
    async fn task(&self, ctx: &Context<'_>) -> Result<Option<Task>> {
        if let Some(task) = &self.1 {
            return Ok(Some(Task(task.as_ref().clone())));
        }
        Task::find(ctx, &self.0.task_id.to_string()).await
    }

    /// What it was sent to.
    async fn target_kind(&self) -> TargetKind {
        self.0.target_kind.into()
    }

    /// The grid, or the area the worker or department acts in.
    async fn area_code(&self) -> &str {
        &self.0.area_code
    }

    /// That area, when it is a district, street or community on your map.
    async fn area(&self, ctx: &Context<'_>) -> Result<Option<Area>> {
        load_area(ctx, Some(&self.0.area_code)).await
    }

    /// That grid, when it is a grid on your map.
    async fn grid(&self, ctx: &Context<'_>) -> Result<Option<Grid>> {
        Grid::load(ctx, &self.0.area_code).await
    }

    /// The worker who answers it.
    async fn assignee(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.assignee_user_id).await
    }

    /// The department that answers it.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Department>> {
        let Some(id) = self.0.department_id else {
            return Ok(None);
        };
        let loader = ctx.loaders()?.departments();
        Ok(loader.load_one(id).await?.map(Department))
    }

    /// Where it stands.
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

    /// When it was acknowledged (the read receipt).
    async fn acknowledged_at(&self) -> Option<DateTime> {
        self.0.acknowledged_at.map(Into::into)
    }

    /// When it was completed.
    async fn completed_at(&self) -> Option<DateTime> {
        self.0.completed_at.map(Into::into)
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
                at: row.at.into(),
            })
            .collect())
    }
}

#[derive(Default)]
pub struct TasksQuery;

#[Object]
impl TasksQuery {
    /// Tasks you see, newest first unless `orderBy` says otherwise: those
    /// you sent, those sent in areas you may read tasks in, and those
    /// addressed to you.
    #[graphql(complexity = "super::relay::page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn tasks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which tasks.")] filter: Option<TaskFilter>,
        #[graphql(
            desc = "Their order.",
            default_with = "TaskOrder::desc(TaskOrderField::SentAt)"
        )]
        order_by: TaskOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Task>> {
        let filter = filter.unwrap_or_default();
        let filter = tasks::TaskFilter {
            sent_only: filter.sent_by_me.unwrap_or(false),
            from: filter.from.map(Into::into),
            before: filter.before.map(Into::into),
        };
        let (order, kind) = order_by.resolve(TASK_CURSOR);
        let request = super::relay::page_request(
            ctx,
            Paging {
                first,
                after,
                last,
                before,
            },
            &kind,
        )?;
        let listing = tasks::tasks(ctx.access()?, &filter, order, &request).await?;
        Ok(connection(&kind, listing, Task))
    }

    /// A task you sent or were sent, by its global ID; null when it is not
    /// there for you.
    async fn task(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task's global ID.")] id: ID,
    ) -> Result<Option<Task>> {
        match parse_global_id(&id) {
            Some((NodeKind::Task, key)) => Task::find(ctx, &key).await,
            _ => Ok(None),
        }
    }

    /// Your assignments (or your department's), area by area unless
    /// `orderBy` says otherwise.
    #[graphql(complexity = "super::relay::page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn my_assignments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which assignments.")] filter: Option<AssignmentFilterInput>,
        #[graphql(
            desc = "Their order.",
            default_with = "AssignmentOrder::asc(AssignmentOrderField::Area)"
        )]
        order_by: AssignmentOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Assignment>> {
        let filter = filter.unwrap_or_default().validate(None, true);
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        assignment_page(ctx, &filter, order_by, paging).await
    }
}

/// A page of assignments, for a task or for the caller.
async fn assignment_page(
    ctx: &Context<'_>,
    filter: &AssignmentFilter,
    order_by: AssignmentOrder,
    paging: Paging,
) -> Result<Page<Assignment>> {
    let (order, kind) = order_by.resolve(ASSIGNMENT_CURSOR);
    let request = super::relay::page_request(ctx, paging, &kind)?;
    let listing = tasks::assignments(ctx.access()?, filter, order, &request).await?;
    Ok(connection(&kind, listing, Assignment::of))
}

/// Which tasks to list.
#[derive(InputObject, Default)]
pub struct TaskFilter {
    /// Only the tasks you sent.
    sent_by_me: Option<bool>,
    /// Sent at or after this instant.
    from: Option<DateTime>,
    /// Sent before this instant.
    before: Option<DateTime>,
}

/// Which assignments to list.
#[derive(InputObject, Default)]
#[graphql(name = "AssignmentFilter")]
pub struct AssignmentFilterInput {
    /// Any of these states.
    states: Option<Vec<AssignmentState>>,
    /// Only those past their deadline and not completed (true), or only
    /// the others (false).
    overdue: Option<bool>,
}

impl AssignmentFilterInput {
    fn validate(self, task_id: Option<i64>, mine: bool) -> AssignmentFilter {
        AssignmentFilter {
            task_id,
            mine,
            states: self
                .states
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            overdue: self.overdue,
        }
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
    /// Departments by global ID (`Department.id`).
    departments: Option<Vec<ID>>,
    /// For `VISITS` only, and then alone: the residents, households,
    /// dwellings or organisations to visit, by global ID (at most 2,000).
    subjects: Option<Vec<ID>>,
}

/// A task to send.
#[derive(InputObject)]
pub struct SendTaskInput {
    /// A short title.
    title: String,
    /// What is to be done.
    body: String,
    /// An instruction, or a campaign with a number to reach.
    kind: TaskKind,
    /// Defaults to `NORMAL`.
    #[graphql(default_with = "TaskPriority::Normal")]
    priority: TaskPriority,
    /// When it is due; in the future.
    deadline_at: DateTime,
    /// Required for a campaign: the number each target is to reach.
    target_per_grid: Option<i32>,
    /// Who it goes to.
    targets: TaskTargets,
}

/// The read receipt (回执) of an assignment, as read at `version`.
#[derive(InputObject)]
pub struct AcknowledgeAssignmentInput {
    /// The assignment.
    id: ID,
    /// The `version` it was read at.
    version: i32,
}

/// Progress on an assignment, as read at `version`: a number, a note or both.
#[derive(InputObject)]
pub struct ReportTaskProgressInput {
    /// The assignment.
    id: ID,
    /// The `version` it was read at.
    version: i32,
    /// For a campaign: the number reached so far.
    reached: Option<i32>,
    /// What was done.
    note: Option<String>,
}

/// The completion of an assignment, as read at `version`.
#[derive(InputObject)]
pub struct CompleteAssignmentInput {
    /// The assignment.
    id: ID,
    /// The `version` it was read at.
    version: i32,
    /// What was done.
    note: Option<String>,
}

payload!(
    /// The answer of `sendTask`.
    SendTaskPayload {
        /// The task sent, with its assignments; null when `userErrors` says
        /// why not.
        task: Task
    },
    TaskUserError
);
payload!(
    /// The answer of `acknowledgeAssignment`, `reportTaskProgress` and
    /// `completeAssignment`.
    AssignmentPayload {
        /// The assignment as answered; null when `userErrors` says why not.
        assignment: Assignment
    },
    TaskUserError
);

#[derive(Default)]
pub struct TasksMutation;

impl TasksMutation {
    async fn answer(
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        answer: Answer,
    ) -> Result<AssignmentPayload> {
        let outcome = async {
            let id = key_of("id", &id, NodeKind::TaskAssignment)?;
            respond::answer(ctx.access()?, id, version, answer).await
        };
        let outcome = outcome.await;
        if let Ok(row) = &outcome {
            ctx.state()
                .events
                .publish(Event::AssignmentAnswered {
                    assignment_id: row.id,
                    area_code: row.area_code.clone(),
                })
                .await;
        }
        Ok(AssignmentPayload::of(outcome.map(Assignment::of))?)
    }
}

#[Object]
impl TasksMutation {
    /// Sends a task: one assignment per grid, worker or department reached.
    /// Needs `task send` in every target's area.
    ///
    /// User errors: `REQUIRED` (no targets, a campaign without
    /// `targetPerGrid`), `NOT_FOUND` (a worker or department out of reach),
    /// `INVALID` (a deadline in the past, an empty title, an area with no
    /// grids, a number to reach below 1). An area where you may not send
    /// tasks is the top-level error FORBIDDEN.
    async fn send_task(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task and who it goes to.")] input: SendTaskInput,
    ) -> Result<SendTaskPayload> {
        let outcome = async {
            let departments = input
                .targets
                .departments
                .unwrap_or_default()
                .iter()
                .map(|id| super::departments::department_key("targets.departments", id))
                .collect::<crate::error::ApiResult<Vec<i64>>>()?;
            let new = NewTask {
                title: input.title,
                body: input.body,
                kind: input.kind.into(),
                priority: input.priority.into(),
                deadline_at: input.deadline_at.into(),
                target_per_grid: input.target_per_grid,
                targets: Targets {
                    areas: input.targets.areas.unwrap_or_default(),
                    workers: input.targets.workers.unwrap_or_default(),
                    departments,
                    subjects: input
                        .targets
                        .subjects
                        .unwrap_or_default()
                        .iter()
                        .map(|id| super::subjects::subject_of("targets.subjects", id))
                        .collect::<crate::error::ApiResult<Vec<_>>>()?,
                },
            };
            send::send(ctx.access()?, new).await
        }
        .await;
        if let Ok((row, _)) = &outcome {
            ctx.state()
                .events
                .publish(Event::TaskSent { task_id: row.id })
                .await;
        }
        Ok(SendTaskPayload::of(outcome.map(|(row, _)| Task(row)))?)
    }

    /// The read receipt (回执) of one of your assignments.
    ///
    /// User errors: `NOT_FOUND` (`id`), `CONFLICT`,
    /// `INVALID_STATE` (already acknowledged or completed), `INVALID` (an
    /// ID of another kind).
    async fn acknowledge_assignment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The assignment and the version read.")] input: AcknowledgeAssignmentInput,
    ) -> Result<AssignmentPayload> {
        TasksMutation::answer(ctx, input.id, input.version, Answer::Acknowledge).await
    }

    /// Reports progress on one of your assignments: a campaign's number
    /// reached so far, and/or a note.
    ///
    /// User errors: `NOT_FOUND` (`id`), `CONFLICT`,
    /// `INVALID_STATE` (completed), `REQUIRED` (neither number nor note),
    /// `INVALID` (a negative number, a number for an instruction).
    async fn report_task_progress(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The assignment, the version read, and the progress.")]
        input: ReportTaskProgressInput,
    ) -> Result<AssignmentPayload> {
        let answer = Answer::Progress {
            reached: input.reached,
            note: input.note,
        };
        TasksMutation::answer(ctx, input.id, input.version, answer).await
    }

    /// Completes one of your assignments.
    ///
    /// User errors: `NOT_FOUND` (`id`), `CONFLICT`,
    /// `INVALID_STATE` (already completed), `INVALID` (an ID of another kind,
    /// a note over 2,000 characters).
    async fn complete_assignment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The assignment, the version read, and a note.")]
        input: CompleteAssignmentInput,
    ) -> Result<AssignmentPayload> {
        let answer = Answer::Complete { note: input.note };
        TasksMutation::answer(ctx, input.id, input.version, answer).await
    }
}
