//! Cases: the closed loop from report to evaluation, each step decided by the
//! authorizer in the case's grid and kept on the case's timeline.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entities::{case, case_step};
use futures_util::future::try_join;

use super::ContextExt;
use super::asked::Asked;
use super::case_links::{self, CaseParty, CaseSubject};
use super::case_photos::{self, CasePhoto};
use super::case_rules::{
    CaseRequest, CaseSource, CaseState, CaseTransition, Light, Supervision, Urgency,
};
use super::departments::{Department, department_key};
use super::labels::{Locale, time_limit_text};
use super::loaders::prime_if;
use super::ordering::{CaseOrder, CaseOrderField};
use super::record::{Area, Grid, load_area};
use super::relay::{NodeKind, Page, connection, global_id, page_of_all, parse_global_id};
use super::scalars::{Date, DateTime, Url};
use super::subjects::subject_of;
use crate::domain::areas::parse_code;
use crate::domain::cases::indicators::{self, Subject};
use crate::domain::cases::{self, CASE_CURSOR, CaseFilter as Filter};
use crate::domain::page::Paging;

/// A case (案件).
pub struct Case(pub case::Model);

impl crate::graphql::plain::Plain for Case {}

impl Case {
    pub async fn find(ctx: &Context<'_>, key: &str) -> Result<Option<Case>> {
        let Ok(id) = key.parse::<i64>() else {
            return Ok(None);
        };
        Ok(cases::find(ctx.access()?, id).await?.map(Case))
    }
}

/// A case (案件).
#[Object]
impl Case {
    /// The case's global ID.
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Case, &self.0.id.to_string())
    }

    /// The case number, e.g. `AJ202611260000123`.
    async fn number(&self) -> &str {
        &self.0.number
    }

    /// A short title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What was found.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Where it stands in the closed loop.
    async fn state(&self) -> CaseState {
        self.0.state.into()
    }

    /// Who reported it.
    async fn source(&self) -> CaseSource {
        self.0.source.into()
    }

    /// The subcategory it was filed under.
    async fn category_code(&self) -> Option<&str> {
        self.0.category_code.as_deref()
    }

    /// Its category, with the time limits; null before it is filed.
    async fn category(&self, ctx: &Context<'_>) -> Result<Option<CaseCategory>> {
        let Some(code) = &self.0.category_code else {
            return Ok(None);
        };
        let entry = crate::domain::cases::clock::category(ctx.access()?, code).await?;
        Ok(entry.map(Into::into))
    }

    /// How urgent it is.
    async fn urgency(&self) -> Urgency {
        self.0.urgency.into()
    }

    /// The grid it is in.
    async fn grid_code(&self) -> &str {
        &self.0.grid_code
    }

    /// The grid it is in; null when it is not on your map.
    async fn grid(&self, ctx: &Context<'_>) -> Result<Option<Grid>> {
        Grid::load(ctx, &self.0.grid_code).await
    }

    /// Where in the grid.
    async fn location(&self) -> &str {
        &self.0.location
    }

    /// WGS 84 longitude, when given.
    async fn longitude(&self) -> Option<f64> {
        self.0.longitude
    }

    /// WGS 84 latitude, when given.
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

    /// What the case is about: residents, households, dwellings, buildings
    /// and organisations of its grid, each where you may read it (the
    /// others are left out). `cases(filter: {about})` goes the other way.
    async fn about(&self, ctx: &Context<'_>) -> Result<Vec<CaseSubject>> {
        case_links::subjects(ctx, self.0.id).await
    }

    /// The parties of the dispute it is about, in the order named.
    async fn parties(&self, ctx: &Context<'_>) -> Result<Vec<CaseParty>> {
        case_links::parties(ctx, self.0.id).await
    }

    /// Photos taken on site, at the report and with later moves, in the
    /// order sent.
    async fn photos(&self, ctx: &Context<'_>) -> Result<Vec<CasePhoto>> {
        case_photos::photos(ctx, self.0.id).await
    }

    /// The department the case is dispatched to.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Department>> {
        let Some(id) = self.0.department_id else {
            return Ok(None);
        };
        let loader = ctx.loaders()?.departments();
        Ok(loader.load_one(id).await?.map(Department))
    }

    /// When it was filed, which starts its clock.
    async fn filed_at(&self) -> Option<DateTime> {
        self.0.filed_at.map(Into::into)
    }

    /// When the time limit runs out: working hours or days from filing, or
    /// hours of the clock for an emergency.
    async fn deadline_at(&self) -> Option<DateTime> {
        self.0.deadline_at.map(Into::into)
    }

    /// Green under 80% of the limit, yellow to 100%, red beyond; null for
    /// a case not yet filed or no longer open.
    async fn light(&self) -> Option<Light> {
        cases::light(&self.0, chrono::Utc::now()).map(Into::into)
    }

    /// Open and past the deadline.
    async fn overdue(&self) -> bool {
        cases::light(&self.0, chrono::Utc::now()) == Some(cases::Light::Red)
    }

    /// When it was closed.
    async fn closed_at(&self) -> Option<DateTime> {
        self.0.closed_at.map(Into::into)
    }

    /// How often a check sent it back to the department.
    async fn rework_count(&self) -> i32 {
        self.0.rework_count
    }

    /// How many times its deadline was extended.
    async fn extension_count(&self) -> i32 {
        self.0.extension_count
    }

    /// A department's request awaiting a dispatcher.
    async fn pending_request(&self) -> Option<CaseRequest> {
        self.0.pending_request.map(Into::into)
    }

    /// The deadline a pending extension request asks for.
    async fn requested_deadline_at(&self) -> Option<DateTime> {
        self.0.requested_deadline_at.map(Into::into)
    }

    /// Whether a supervisor escalated it.
    async fn escalated(&self) -> bool {
        self.0.escalated
    }

    /// How far up it was escalated: each escalation raises it one level
    /// above its grid's community (street, district, then the city's
    /// command centre); null when never.
    async fn escalated_to(&self) -> Option<EscalationLevel> {
        self.0.escalated_to.map(Into::into)
    }

    /// The code of the street or district it was escalated to (the one
    /// its grid lies in); null for the city, or when never escalated.
    async fn escalated_to_code(&self) -> Option<&str> {
        cases::escalated_to_code(&self.0)
    }

    /// That street or district, where it is on your map.
    async fn escalated_to_area(&self, ctx: &Context<'_>) -> Result<Option<Area>> {
        load_area(ctx, cases::escalated_to_code(&self.0)).await
    }

    /// When it was last escalated.
    async fn escalated_at(&self) -> Option<DateTime> {
        self.0.escalated_at.map(Into::into)
    }

    /// The card a supervisor showed it.
    async fn supervision(&self) -> Supervision {
        self.0.supervision.into()
    }

    /// Whether a supervisor marked it urgent.
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

    /// When it was reported.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }

    /// Every step, oldest first: who, when, from which state to which, note
    /// and evidence. `totalCount` is the timeline's length.
    #[graphql(complexity = "super::relay::held_page_complexity(first, last, child_complexity)")]
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<CaseStep>> {
        let all = ctx
            .loaders()?
            .case_steps()
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        Ok(page_of_all(
            TIMELINE_CURSOR,
            all,
            paging,
            |row| row.id,
            CaseStep,
        )?)
    }

    /// The moves you may make on the case now, in the table's order; each
    /// still needs the inputs its `CaseTransitionRule` requires. What
    /// `moveCase` accepts from you is exactly this, inputs aside.
    async fn available_transitions(&self, ctx: &Context<'_>) -> Result<Vec<CaseTransition>> {
        let offered = crate::domain::cases::moves::available(ctx.access()?, &self.0).await?;
        Ok(offered
            .into_iter()
            .filter_map(|transition| CaseTransition::named(transition.name))
            .collect())
    }
}

/// The cursor kind of a case's timeline.
const TIMELINE_CURSOR: &str = "case.step";

/// One entry of a case's timeline.
pub struct CaseStep(case_step::Model);

impl crate::graphql::plain::Plain for CaseStep {}

/// One entry of a case's timeline.
#[Object]
impl CaseStep {
    /// The transition taken; null for the report that opened the case.
    async fn action(&self) -> Option<CaseTransition> {
        CaseTransition::named(&self.0.action)
    }

    /// The state before (none for the report).
    async fn from_state(&self) -> Option<CaseState> {
        self.0.from_state.map(Into::into)
    }

    /// The state after.
    async fn to_state(&self) -> CaseState {
        self.0.to_state.into()
    }

    /// Who took it, as the audit log names them.
    async fn actor_name(&self) -> &str {
        &self.0.actor_name
    }

    /// The photos sent with this step, in the order sent (a picture sent
    /// again later stays with the step it first came with).
    async fn photos(&self, ctx: &Context<'_>) -> Result<Vec<CasePhoto>> {
        let mut photos = case_photos::photos(ctx, self.0.case_id).await?;
        photos.retain(|photo| photo.0.step_id == Some(self.0.id));
        Ok(photos)
    }

    /// The department that acted, or was acted for.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Department>> {
        let Some(id) = self.0.department_id else {
            return Ok(None);
        };
        let loader = ctx.loaders()?.departments();
        Ok(loader.load_one(id).await?.map(Department))
    }

    /// Why, or what was done.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// Photo and document URLs.
    async fn evidence(&self) -> Vec<Url> {
        crate::domain::cases::moves::evidence_urls(&self.0)
            .into_iter()
            .map(Url)
            .collect()
    }

    /// When.
    async fn at(&self) -> DateTime {
        self.0.at.into()
    }
}

/// A time limit: an amount of working hours or days, or of clock hours.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct TimeLimit {
    /// The urgency it applies to.
    urgency: Urgency,
    /// How many units.
    amount: i32,
    /// Working hours or working days on the working calendar, or hours of
    /// the clock for emergencies.
    unit: TimeUnit,
}

#[async_graphql::ComplexObject]
impl TimeLimit {
    /// The limit as a screen shows it: 16 个工作小时, "16 working hours".
    async fn text(
        &self,
        #[graphql(desc = "The language; Chinese when left out.", default)] locale: Locale,
    ) -> String {
        time_limit_text(self.amount, self.unit.into(), locale)
    }
}

/// How far up a case was escalated (提级).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::case::EscalationLevel")]
pub enum EscalationLevel {
    /// The street above the grid's community.
    Street,
    /// The district.
    District,
    /// The city's command centre.
    City,
}

/// The unit a time limit counts in.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::case_time_limit::TimeUnit")]
pub enum TimeUnit {
    /// Hours of the working day (08:30–17:30 on working days).
    WorkingHours,
    /// Whole working days.
    WorkingDays,
    /// Hours of the clock, nights and holidays included (emergencies).
    Hours,
}

/// A case category: a top class (a duty or an urban-management class) or a
/// subcategory with its time limits.
#[derive(SimpleObject)]
pub struct CaseCategory {
    /// The category's code.
    code: String,
    /// Its name.
    name: String,
    /// The top class of a subcategory.
    parent_code: Option<String>,
    /// The duty that decides which departments may be dispatched to.
    duty: String,
    /// Per urgency; empty for a top class.
    time_limits: Vec<TimeLimit>,
}

impl From<crate::domain::cases::clock::CategoryLimits> for CaseCategory {
    fn from(entry: crate::domain::cases::clock::CategoryLimits) -> CaseCategory {
        CaseCategory {
            time_limits: entry
                .limits
                .into_iter()
                .map(|limit| TimeLimit {
                    urgency: limit.urgency.into(),
                    amount: limit.amount,
                    unit: limit.unit.into(),
                })
                .collect(),
            code: entry.category.code,
            name: entry.category.name,
            parent_code: entry.category.parent_code,
            duty: entry.category.duty,
        }
    }
}

/// A day that breaks the week: a holiday on a weekday, or a weekend day
/// made a working day (调休).
#[derive(SimpleObject)]
pub struct CalendarDay {
    /// The day.
    day: Date,
    /// True for a working day, false for a holiday.
    working: bool,
    /// Why, e.g. 国庆节.
    note: String,
}

impl From<entities::calendar_day::Model> for CalendarDay {
    fn from(row: entities::calendar_day::Model) -> CalendarDay {
        CalendarDay {
            day: row.day.into(),
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
    /// Open cases of this light.
    light: Option<Light>,
    /// Cases in grids inside this area.
    within: Option<String>,
    /// Cases dispatched to this department (its `Department.id`).
    department_id: Option<ID>,
    /// Cases reported by this user (username).
    reporter: Option<String>,
    /// Open and past the deadline, or not.
    overdue: Option<bool>,
    /// Reported at or after this instant.
    from: Option<DateTime>,
    /// Reported before this instant.
    before: Option<DateTime>,
    /// About this resident, household, dwelling, building or organisation
    /// (global ID); for a resident, also the disputes they are a party to.
    /// Matches nothing when you may not read it.
    about: Option<ID>,
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
            reported_from: self.from.map(Into::into),
            reported_before: self.before.map(Into::into),
            about: self.about.map(|id| subject_of("about", &id)).transpose()?,
        })
    }
}

/// The loop's indicators; each rate is null when its denominator is zero.
#[derive(SimpleObject)]
pub struct CaseIndicators {
    /// Cases reported.
    reported: i64,
    /// Cases voided at verification.
    void: i64,
    /// Cases filed.
    filed: i64,
    /// Cases closed.
    closed: i64,
    /// Cases closed within their time limit.
    closed_on_time: i64,
    /// Cases sent back for rework at least once.
    reworked: i64,
    /// Cases whose deadline was extended.
    extended: i64,
    /// Dispatches to departments.
    dispatches: i64,
    /// Dispatches a department sent back.
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

/// The page's timelines and grids, each in one statement before the rows
/// resolve: see `residents::prime`.
async fn prime<C>(ctx: &Context<'_>, rows: &[(C, entities::case::Model)]) -> Result<()> {
    let asked = Asked::rows(ctx);
    let loaders = ctx.loaders()?;
    try_join(
        prime_if(
            loaders.case_steps(),
            asked.field("timeline").exists(),
            rows.iter().map(|(_, row)| row.id),
        ),
        prime_if(
            loaders.grids(),
            asked.field("grid").exists(),
            rows.iter().map(|(_, row)| row.grid_code.clone()),
        ),
    )
    .await?;
    Ok(())
}

#[derive(Default)]
pub struct CasesQuery;

#[Object]
impl CasesQuery {
    /// Cases you may see, newest report first unless `orderBy` says
    /// otherwise. A department sees the cases dispatched to it and those of
    /// its duties, in its jurisdiction.
    #[graphql(complexity = "super::relay::page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn cases(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which cases.")] filter: Option<CaseFilter>,
        #[graphql(
            desc = "Their order.",
            default_with = "CaseOrder::desc(CaseOrderField::ReportedAt)"
        )]
        order_by: CaseOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Case>> {
        let filter = filter.unwrap_or_default().validate(ctx).await?;
        let (order, kind) = order_by.resolve(CASE_CURSOR);
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
        let listing = cases::list(ctx.access()?, &filter, order, &request).await?;
        prime(ctx, &listing.page.rows).await?;
        Ok(connection(&kind, listing, Case))
    }

    /// One case by global ID, or null.
    async fn case(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The case's global ID.")] id: ID,
    ) -> Result<Option<Case>> {
        match parse_global_id(&id) {
            Some((NodeKind::Case, key)) => Case::find(ctx, &key).await,
            _ => Ok(None),
        }
    }

    /// The categories, top classes first, each subcategory with its time
    /// limits.
    async fn case_categories(&self, ctx: &Context<'_>) -> Result<Vec<CaseCategory>> {
        let categories = crate::domain::cases::clock::categories(ctx.access()?).await?;
        Ok(categories.into_iter().map(Into::into).collect())
    }

    /// The working calendar's exceptions between two days (inclusive):
    /// weekends are rest days and weekdays working days unless listed here.
    async fn calendar_days(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first day.")] from: Date,
        #[graphql(desc = "The last day, at most 10 years after `from`.")] to: Date,
    ) -> Result<Vec<CalendarDay>> {
        let rows = crate::domain::cases::clock::days(ctx.access()?, from.into(), to.into()).await?;
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
        #[graphql(desc = "An area or grid code; the caller's whole scope when left out.")]
        area: Option<String>,
        #[graphql(desc = "Only cases dispatched to this department.")] department_id: Option<ID>,
        #[graphql(desc = "A grid worker's username: the cases they reported.")] worker: Option<
            String,
        >,
        #[graphql(desc = "Cases reported at or after this instant.")] from: Option<DateTime>,
        #[graphql(desc = "Cases reported before this instant.")] before: Option<DateTime>,
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
            from: from.map(Into::into),
            before: before.map(Into::into),
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
