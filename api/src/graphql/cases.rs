//! Cases: the closed loop from report to evaluation, each step decided by the
//! authorizer in the case's grid and kept on the case's timeline.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entities::{case, case_step, case_time_limit, department};

use super::ContextExt;
use super::relay::{NodeKind, Page, connection, global_id, key_of, parse_global_id};
use crate::domain::areas::parse_code;
use crate::domain::cases::indicators::{self, Subject};
use crate::domain::cases::moves::{self, Move, Report};
use crate::domain::cases::{self, CASE_CURSOR, CaseFilter as Filter};
use crate::domain::page::PageRequest;
use crate::error::ApiError;
use crate::events::Event;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::case::CaseState")]
pub enum CaseState {
    Reported,
    Verified,
    Void,
    Filed,
    Dispatched,
    InProgress,
    Suspended,
    Handled,
    Checked,
    Closed,
    Evaluated,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::case::CaseSource")]
pub enum CaseSource {
    /// A grid worker on rounds.
    GridWorker,
    /// A resident, through the worker or an app.
    Citizen,
    /// The city's hotline.
    Hotline,
    /// A department, or its token.
    Department,
    /// Staff of a street, a community or the command centre.
    Staff,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::case::Urgency")]
pub enum Urgency {
    Normal,
    Urgent,
    Critical,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::case::Supervision")]
pub enum Supervision {
    None,
    /// 黄牌: a warning to the department.
    YellowCard,
    /// 红牌: a serious one.
    RedCard,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::case::CaseRequest")]
pub enum CaseRequest {
    Extension,
    Suspension,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::cases::Light")]
pub enum Light {
    /// Under 80% of the time limit.
    Green,
    /// From 80% to 100%.
    Yellow,
    /// Past the deadline.
    Red,
}

/// A step of the closed loop. Who may take each is a Casbin action on
/// `case` in the case's grid: VERIFY (worker), FILE and DISPATCH (command
/// centre), HANDLE (the department dispatched to), CHECK (worker), CLOSE
/// (supervisor), EVALUATE, SUPERVISE.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CaseTransition {
    /// REPORTED → VERIFIED.
    Verify,
    /// REPORTED → VOID (a false report); needs a note.
    Void,
    /// REPORTED/VERIFIED → CHECKED: fixed on the spot, with a note and
    /// evidence; a supervisor's CLOSE approves it.
    ResolveOnSpot,
    /// VERIFIED → FILED with a subcategory (and urgency): starts the clock.
    File,
    /// FILED → DISPATCHED to a department answering for the category in the
    /// case's grid.
    Dispatch,
    /// DISPATCHED → IN_PROGRESS, by that department.
    Accept,
    /// DISPATCHED → FILED: "not ours", with a note; counts against dispatch
    /// accuracy.
    SendBack,
    /// IN_PROGRESS, asking for `deadlineAt`; a dispatcher decides.
    RequestExtension,
    /// IN_PROGRESS, asking to stop the clock; a dispatcher decides.
    RequestSuspension,
    /// Grants the pending extension.
    Extend,
    /// Grants the pending suspension: IN_PROGRESS → SUSPENDED.
    Suspend,
    /// Refuses the pending request, with a note.
    RefuseRequest,
    /// SUSPENDED → IN_PROGRESS with the working time that was left.
    Resume,
    /// IN_PROGRESS → HANDLED, with evidence.
    Handle,
    /// HANDLED → DISPATCHED to the same department: rework, with a note.
    CheckFailed,
    /// HANDLED → CHECKED.
    CheckPassed,
    /// CHECKED → CLOSED.
    Close,
    /// CLOSED → EVALUATED with a satisfaction score.
    Evaluate,
    /// Any open case: escalated to the level above, with a note.
    Escalate,
    /// Any open case: a yellow or red card.
    Supervise,
    /// Any open case: marked urgent.
    MarkUrgent,
}

impl CaseTransition {
    /// The transition's row in the table.
    fn name(self) -> &'static str {
        match self {
            CaseTransition::Verify => "verify",
            CaseTransition::Void => "void",
            CaseTransition::ResolveOnSpot => "resolve_on_spot",
            CaseTransition::File => "file",
            CaseTransition::Dispatch => "dispatch",
            CaseTransition::Accept => "accept",
            CaseTransition::SendBack => "send_back",
            CaseTransition::RequestExtension => "request_extension",
            CaseTransition::RequestSuspension => "request_suspension",
            CaseTransition::Extend => "extend",
            CaseTransition::Suspend => "suspend",
            CaseTransition::RefuseRequest => "refuse_request",
            CaseTransition::Resume => "resume",
            CaseTransition::Handle => "handle",
            CaseTransition::CheckFailed => "check_failed",
            CaseTransition::CheckPassed => "check_passed",
            CaseTransition::Close => "close",
            CaseTransition::Evaluate => "evaluate",
            CaseTransition::Escalate => "escalate",
            CaseTransition::Supervise => "supervise",
            CaseTransition::MarkUrgent => "mark_urgent",
        }
    }
}

/// A case (案件).
pub struct Case(pub case::Model);

impl Case {
    pub async fn find(ctx: &Context<'_>, key: &str) -> Result<Option<Case>> {
        let Ok(id) = key.parse::<i64>() else {
            return Ok(None);
        };
        Ok(cases::find(ctx.access()?, id).await?.map(Case))
    }
}

#[Object]
impl Case {
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Case, &self.0.id.to_string())
    }

    /// The case number, e.g. `AJ202611260000123`.
    async fn number(&self) -> &str {
        &self.0.number
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    async fn state(&self) -> CaseState {
        self.0.state.into()
    }

    async fn source(&self) -> CaseSource {
        self.0.source.into()
    }

    /// The subcategory it was filed under.
    async fn category_code(&self) -> Option<&str> {
        self.0.category_code.as_deref()
    }

    async fn urgency(&self) -> Urgency {
        self.0.urgency.into()
    }

    async fn grid_code(&self) -> &str {
        &self.0.grid_code
    }

    async fn location(&self) -> &str {
        &self.0.location
    }

    async fn longitude(&self) -> Option<f64> {
        self.0.longitude
    }

    async fn latitude(&self) -> Option<f64> {
        self.0.latitude
    }

    /// A citizen reporter's name.
    async fn reporter_name(&self) -> Option<&str> {
        self.0.reporter_name.as_deref()
    }

    /// A citizen reporter's phone, shown like a resident's phone in this
    /// grid: full, masked or null.
    async fn reporter_phone(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(ctx.access()?.reporter_phone(&self.0))
    }

    /// The department the case is dispatched to.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Department>> {
        let Some(id) = self.0.department_id else {
            return Ok(None);
        };
        let loader = ctx.loaders()?.departments();
        Ok(loader.load_one(id).await?.map(Department))
    }

    async fn filed_at(&self) -> Option<DateTime<Utc>> {
        self.0.filed_at
    }

    /// When the time limit runs out (working hours or days from filing).
    async fn deadline_at(&self) -> Option<DateTime<Utc>> {
        self.0.deadline_at
    }

    /// Green under 80% of the limit, yellow to 100%, red beyond; null for
    /// a case not yet filed or no longer open.
    async fn light(&self) -> Option<Light> {
        cases::light(&self.0, Utc::now()).map(Into::into)
    }

    /// Open and past the deadline.
    async fn overdue(&self) -> bool {
        cases::light(&self.0, Utc::now()) == Some(cases::Light::Red)
    }

    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }

    /// How often a check sent it back to the department.
    async fn rework_count(&self) -> i32 {
        self.0.rework_count
    }

    async fn extension_count(&self) -> i32 {
        self.0.extension_count
    }

    /// A department's request awaiting a dispatcher.
    async fn pending_request(&self) -> Option<CaseRequest> {
        self.0.pending_request.map(Into::into)
    }

    async fn requested_deadline_at(&self) -> Option<DateTime<Utc>> {
        self.0.requested_deadline_at
    }

    async fn escalated(&self) -> bool {
        self.0.escalated
    }

    async fn supervision(&self) -> Supervision {
        self.0.supervision.into()
    }

    async fn urgent_mark(&self) -> bool {
        self.0.urgent_mark
    }

    /// 1–5, given at evaluation.
    async fn satisfaction(&self) -> Option<i32> {
        self.0.satisfaction
    }

    /// Send it back with a move: a stale version is a CONFLICT.
    async fn version(&self) -> i32 {
        self.0.version
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// Every step, oldest first: who, when, from which state to which, note
    /// and evidence.
    #[graphql(complexity = "super::limits::LIST_COST * child_complexity.max(1)")]
    async fn timeline(&self, ctx: &Context<'_>) -> Result<Vec<CaseStep>> {
        let loader = ctx.loaders()?.case_steps();
        Ok(loader
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(CaseStep)
            .collect())
    }

    /// The number of steps on the timeline.
    async fn timeline_length(&self, ctx: &Context<'_>) -> Result<usize> {
        let loader = ctx.loaders()?.case_steps();
        Ok(loader.load_one(self.0.id).await?.map_or(0, |s| s.len()))
    }
}

/// One entry of a case's timeline.
pub struct CaseStep(case_step::Model);

#[Object]
impl CaseStep {
    /// The transition taken, e.g. `dispatch`, `check_failed`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    async fn from_state(&self) -> Option<CaseState> {
        self.0.from_state.map(Into::into)
    }

    async fn to_state(&self) -> CaseState {
        self.0.to_state.into()
    }

    /// Who took it, as the audit log names them.
    async fn actor_name(&self) -> &str {
        &self.0.actor_name
    }

    /// The department that acted, or was acted for.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Department>> {
        let Some(id) = self.0.department_id else {
            return Ok(None);
        };
        let loader = ctx.loaders()?.departments();
        Ok(loader.load_one(id).await?.map(Department))
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// Photo and document URLs.
    async fn evidence(&self) -> Vec<String> {
        moves::evidence_urls(&self.0)
    }

    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

/// A functional department.
pub struct Department(pub department::Model);

#[Object]
impl Department {
    /// Use this id to dispatch a case to the department.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn code(&self) -> &str {
        &self.0.code
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The duties it answers for.
    async fn duties(&self) -> Vec<String> {
        crate::domain::departments::duties_of(&self.0)
    }

    /// The area it acts in.
    async fn jurisdiction_code(&self) -> &str {
        &self.0.jurisdiction_code
    }
}

/// A time limit: an amount of working hours or days.
#[derive(SimpleObject)]
pub struct TimeLimit {
    urgency: Urgency,
    amount: i32,
    /// `WORKING_HOURS` or `WORKING_DAYS`.
    unit: String,
    /// "16 working hours".
    text: String,
}

/// A case category: a top class (a duty or an urban-management class) or a
/// subcategory with its time limits.
#[derive(SimpleObject)]
pub struct CaseCategory {
    code: String,
    name: String,
    parent_code: Option<String>,
    /// The duty that decides which departments may be dispatched to.
    duty: String,
    /// Per urgency; empty for a top class.
    time_limits: Vec<TimeLimit>,
}

/// A day that breaks the week: a holiday on a weekday, or a weekend day
/// made a working day (调休).
#[derive(SimpleObject)]
pub struct CalendarDay {
    day: chrono::NaiveDate,
    working: bool,
    note: String,
}

impl From<entities::calendar_day::Model> for CalendarDay {
    fn from(row: entities::calendar_day::Model) -> CalendarDay {
        CalendarDay {
            day: row.day,
            working: row.working,
            note: row.note,
        }
    }
}

/// Which cases to list.
#[derive(InputObject, Default)]
pub struct CaseFilter {
    /// Any of these states.
    states: Option<Vec<CaseState>>,
    /// A subcategory, or a top class and all its subcategories.
    category_code: Option<String>,
    light: Option<Light>,
    /// Cases in grids inside this area.
    within: Option<String>,
    /// Cases dispatched to this department (its `Department.id`).
    department_id: Option<ID>,
    /// Cases reported by this user (username).
    reporter: Option<String>,
    /// Open and past the deadline, or not.
    overdue: Option<bool>,
    /// Reported at or after.
    reported_from: Option<DateTime<Utc>>,
    /// Reported before.
    reported_before: Option<DateTime<Utc>>,
}

fn department_key(field: &str, id: &ID) -> crate::error::ApiResult<i64> {
    id.parse()
        .map_err(|_| ApiError::bad_input(field, "not a department id"))
}

async fn user_id(ctx: &Context<'_>, field: &str, username: &str) -> Result<i64> {
    Ok(cases::user_named(ctx.access()?, field, username).await?)
}

impl CaseFilter {
    async fn validate(self, ctx: &Context<'_>) -> Result<Filter> {
        Ok(Filter {
            states: self
                .states
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            category: self.category_code,
            light: self.light.map(Into::into),
            within: self
                .within
                .map(|code| parse_code("within", &code))
                .transpose()?,
            department_id: self
                .department_id
                .map(|id| department_key("departmentId", &id))
                .transpose()?,
            reporter_id: match &self.reporter {
                Some(name) => Some(user_id(ctx, "reporter", name).await?),
                None => None,
            },
            overdue: self.overdue,
            reported_from: self.reported_from,
            reported_before: self.reported_before,
        })
    }
}

/// The loop's indicators; each rate is null when its denominator is zero.
#[derive(SimpleObject)]
pub struct CaseIndicators {
    reported: i64,
    void: i64,
    filed: i64,
    closed: i64,
    closed_on_time: i64,
    reworked: i64,
    extended: i64,
    dispatches: i64,
    sent_back: i64,
    /// Grid workers the reports are shared among.
    workers: i64,
    /// Filed / reported.
    filing_rate: Option<f64>,
    /// Closed / (reported − void).
    closure_rate: Option<f64>,
    /// Closed by the deadline / closed.
    on_time_closure_rate: Option<f64>,
    /// Filed cases that failed a check at least once / filed.
    rework_rate: Option<f64>,
    /// Filed cases with an extension / filed.
    extension_rate: Option<f64>,
    /// Dispatches not sent back / dispatches.
    dispatch_accuracy: Option<f64>,
    /// Cases reported by grid workers / workers.
    reports_per_worker: Option<f64>,
}

#[derive(Default)]
pub struct CasesQuery;

#[Object]
impl CasesQuery {
    /// Cases you may see, newest report first. A department sees the cases
    /// dispatched to it and those of its duties, in its jurisdiction.
    #[graphql(complexity = "super::relay::page_complexity(first, child_complexity)")]
    async fn cases(
        &self,
        ctx: &Context<'_>,
        filter: Option<CaseFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Case>> {
        let filter = filter.unwrap_or_default().validate(ctx).await?;
        let request = PageRequest::new(first, after, CASE_CURSOR)?;
        let listing = cases::list(ctx.access()?, &filter, &request).await?;
        let node = ctx.look_ahead().field("edges").field("node");
        if node.field("timeline").exists() || node.field("timelineLength").exists() {
            // The page's timelines in one query up front: see `residents::prime`.
            let ids: Vec<i64> = listing.page.rows.iter().map(|(_, row)| row.id).collect();
            let loader = ctx.loaders()?.case_steps();
            loader.load_many(ids).await?;
        }
        Ok(connection(CASE_CURSOR, listing, Case))
    }

    /// One case by global ID, or null.
    async fn case(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Case>> {
        match parse_global_id(&id) {
            Some((NodeKind::Case, key)) => Case::find(ctx, &key).await,
            _ => Ok(None),
        }
    }

    /// The categories, top classes first, each subcategory with its time
    /// limits.
    async fn case_categories(&self, ctx: &Context<'_>) -> Result<Vec<CaseCategory>> {
        let categories = crate::domain::cases::clock::categories(ctx.access()?).await?;
        Ok(categories
            .into_iter()
            .map(|entry| CaseCategory {
                time_limits: entry
                    .limits
                    .into_iter()
                    .map(|limit| TimeLimit {
                        urgency: limit.urgency.into(),
                        amount: limit.amount,
                        unit: match limit.unit {
                            case_time_limit::TimeUnit::WorkingHours => "WORKING_HOURS".into(),
                            case_time_limit::TimeUnit::WorkingDays => "WORKING_DAYS".into(),
                        },
                        text: crate::domain::cases::clock::describe(limit.amount, limit.unit),
                    })
                    .collect(),
                code: entry.category.code,
                name: entry.category.name,
                parent_code: entry.category.parent_code,
                duty: entry.category.duty,
            })
            .collect())
    }

    /// The working calendar's exceptions between two days (inclusive):
    /// weekends are rest days and weekdays working days unless listed here.
    async fn calendar_days(
        &self,
        ctx: &Context<'_>,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<CalendarDay>> {
        let rows = crate::domain::cases::clock::days(ctx.access()?, from, to).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Departments, for dispatching.
    async fn departments(&self, ctx: &Context<'_>) -> Result<Vec<Department>> {
        Ok(crate::domain::departments::all(ctx.access()?)
            .await?
            .into_iter()
            .map(Department)
            .collect())
    }

    /// The loop's indicators for an area, a department or a worker, over the
    /// cases reported in `[from, before)`, under your statistics scope.
    #[graphql(complexity = "super::limits::SCAN_COST + child_complexity")]
    async fn case_indicators(
        &self,
        ctx: &Context<'_>,
        area: Option<String>,
        department_id: Option<ID>,
        #[graphql(desc = "A grid worker's username: the cases they reported.")] worker: Option<
            String,
        >,
        from: Option<DateTime<Utc>>,
        before: Option<DateTime<Utc>>,
    ) -> Result<CaseIndicators> {
        let _caller = ctx.caller()?;
        let _scan = ctx.scan_permit().await?;
        let _state = ctx.state();
        let subject = Subject {
            area: area.map(|code| parse_code("area", &code)).transpose()?,
            department_id: department_id
                .map(|id| department_key("departmentId", &id))
                .transpose()?,
            reporter_id: match &worker {
                Some(name) => Some(user_id(ctx, "worker", name).await?),
                None => None,
            },
            from,
            before,
        };
        let computed = indicators::compute(ctx.access()?, &subject).await?;
        Ok(CaseIndicators {
            filing_rate: computed.filing_rate(),
            closure_rate: computed.closure_rate(),
            on_time_closure_rate: computed.on_time_closure_rate(),
            rework_rate: computed.rework_rate(),
            extension_rate: computed.extension_rate(),
            dispatch_accuracy: computed.dispatch_accuracy(),
            reports_per_worker: computed.reports_per_worker(),
            reported: computed.counts.reported,
            void: computed.counts.void,
            filed: computed.counts.filed,
            closed: computed.counts.closed,
            closed_on_time: computed.counts.closed_on_time,
            reworked: computed.counts.reworked,
            extended: computed.counts.extended,
            dispatches: computed.dispatches,
            sent_back: computed.sent_back,
            workers: computed.workers,
        })
    }
}

/// A problem found in a grid.
#[derive(InputObject)]
pub struct ReportCaseInput {
    title: String,
    description: String,
    grid_code: String,
    /// Where in the grid: an address or landmark.
    location: String,
    longitude: Option<f64>,
    latitude: Option<f64>,
    /// Who reported it, when not you (a citizen, the hotline).
    source: Option<CaseSource>,
    reporter_name: Option<String>,
    reporter_phone: Option<String>,
    urgency: Option<Urgency>,
}

/// What a move carries; each transition reads what it needs.
#[derive(InputObject, Default)]
pub struct CaseMoveInput {
    note: Option<String>,
    /// Photo or document URLs (http or https).
    evidence: Option<Vec<String>>,
    /// For FILE: a subcategory code.
    category_code: Option<String>,
    /// For FILE.
    urgency: Option<Urgency>,
    /// For DISPATCH: a `Department.id`.
    department_id: Option<ID>,
    /// For REQUEST_EXTENSION: the deadline asked for.
    deadline_at: Option<DateTime<Utc>>,
    /// For EVALUATE: 1–5.
    satisfaction: Option<i32>,
    /// For SUPERVISE.
    card: Option<Supervision>,
}

/// Tells every replica's subscribers that `row` changed.
pub async fn case_changed(ctx: &Context<'_>, row: &entities::case::Model) {
    ctx.state()
        .events
        .publish(Event::CaseChanged {
            case_id: row.id,
            grid_code: row.grid_code.clone(),
        })
        .await;
}

#[derive(Default)]
pub struct CasesMutation;

#[Object]
impl CasesMutation {
    /// Reports a problem in a grid: a new case in REPORTED.
    async fn report_case(&self, ctx: &Context<'_>, input: ReportCaseInput) -> Result<Case> {
        let report = Report {
            title: input.title,
            description: input.description,
            grid_code: input.grid_code,
            location: input.location,
            longitude: input.longitude,
            latitude: input.latitude,
            source: input.source.map(Into::into),
            reporter_name: input.reporter_name,
            reporter_phone: input.reporter_phone,
            urgency: input.urgency.map(Into::into),
        };
        let row = moves::report(ctx.access()?, report).await?;
        case_changed(ctx, &row).await;
        Ok(Case(row))
    }

    /// Makes `day` a holiday (`working: false`) or a working day (`working:
    /// true`) for deadlines computed from now on; `working: null` removes the
    /// exception. Needs `case manage` for the whole city.
    async fn set_calendar_day(
        &self,
        ctx: &Context<'_>,
        day: chrono::NaiveDate,
        working: Option<bool>,
        note: Option<String>,
    ) -> Result<Option<CalendarDay>> {
        let saved =
            crate::domain::cases::clock::set_day(ctx.access()?, day, working, note.as_deref())
                .await?;
        Ok(saved.map(Into::into))
    }

    /// Moves a case, as read at `version`, along the closed loop. A move from
    /// the wrong state is INVALID_STATE; of two moves of one version, one
    /// wins and the other is CONFLICT.
    async fn move_case(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        transition: CaseTransition,
        input: Option<CaseMoveInput>,
    ) -> Result<Case> {
        let input = input.unwrap_or_default();
        let id = key_of("id", &id, NodeKind::Case)?;
        let step = Move {
            note: input.note,
            evidence: input.evidence.unwrap_or_default(),
            category_code: input.category_code,
            urgency: input.urgency.map(Into::into),
            department_id: input
                .department_id
                .map(|id| department_key("departmentId", &id))
                .transpose()?,
            deadline_at: input.deadline_at,
            satisfaction: input.satisfaction,
            card: input.card.map(Into::into),
        };
        let row = moves::take(ctx.access()?, id, version, transition.name(), step).await?;
        case_changed(ctx, &row).await;
        Ok(Case(row))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cases::machine::TRANSITIONS;
    use async_graphql::resolver_utils::EnumType;

    #[test]
    fn every_transition_of_the_table_is_in_the_schema_and_back() {
        let names: Vec<&str> = CaseTransition::items()
            .iter()
            .map(|item| item.value.name())
            .collect();
        assert_eq!(names.len(), TRANSITIONS.len());
        for transition in TRANSITIONS {
            assert!(names.contains(&transition.name), "{}", transition.name);
        }
    }
}
