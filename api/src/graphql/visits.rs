//! Visits (走访) as a worker's app shows them: recording one, the visits
//! of a place or person, and today's round from the care schedule.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use entities::visit;

use super::ContextExt;
use super::ordering::{ResidentOrder, ResidentOrderField, VisitOrder, VisitOrderField};
use super::payload::{VisitUserError, payload};
use super::record::{AreaLevel, CareFlag, Grid, Resident, place_name};
use super::relay::{NodeKind, Page, connection, global_id, page_complexity};
use super::scalars::{Date, DateTime};
use super::subjects::{VisitSubject, node_kind, subject_of};
use crate::domain::areas::parse_code;
use crate::domain::page::Paging;
use crate::domain::residents::RESIDENT_CURSOR;
use crate::domain::visits::{self, DUE_CURSOR, DueFilter, NewVisit, VISIT_CURSOR};
use crate::error::ApiResult;

/// Why a visit was made.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::visit::VisitKind")]
pub enum VisitKind {
    /// 关爱走访: the elderly living alone, the disabled, left-behind children.
    Care,
    /// 出租屋检查: a rented flat and its tenants.
    RentalCheck,
    /// 安全检查: fire and safety of a shop or a building.
    SafetyCheck,
    /// 帮教走访: people released from prison or under community correction.
    Supervision,
    /// 矛盾调解: a dispute followed up.
    Mediation,
    /// Anything else.
    Other,
}

/// A visit (走访): who went where, when, why, what they found, and when to
/// go again.
pub struct Visit(pub visit::Model);

impl crate::graphql::plain::Plain for Visit {}

impl Visit {
    pub async fn find(ctx: &Context<'_>, key: &str) -> Result<Option<Visit>> {
        let Ok(id) = key.parse::<i64>() else {
            return Ok(None);
        };
        Ok(visits::find(ctx.access()?, id).await?.map(Visit))
    }
}

/// A visit (走访): who went where, when, why, what they found, and when to
/// go again.
#[Object]
impl Visit {
    /// The visit's global ID.
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Visit, &self.0.id.to_string())
    }

    /// What was visited.
    async fn subject_kind(&self) -> VisitSubject {
        self.0.subject_kind.into()
    }

    /// The global ID of what was visited: a `Resident`, `Household`,
    /// `Dwelling`, `Building` or `Organisation` (`node(id:)` reads it, where you may).
    async fn subject_id(&self) -> ID {
        global_id(
            node_kind(self.0.subject_kind),
            &self.0.subject_id.to_string(),
        )
    }

    /// The grid it was in when visited.
    async fn grid_code(&self) -> &str {
        &self.0.grid_code
    }

    /// Why.
    async fn kind(&self) -> VisitKind {
        self.0.kind.into()
    }

    /// When.
    async fn visited_at(&self) -> DateTime {
        self.0.visited_at.into()
    }

    /// What the visitor found.
    async fn findings(&self) -> &str {
        &self.0.findings
    }

    /// When to go again, if the visitor set it.
    async fn next_due_on(&self) -> Option<Date> {
        self.0.next_due_on.map(Into::into)
    }

    /// Who went (their account's name).
    async fn visitor_name(&self) -> &str {
        &self.0.visitor_name
    }
}

/// Which visits to list; the parts combine with AND.
#[derive(InputObject, Default)]
pub struct VisitFilter {
    /// Only visits in grids inside this area.
    within: Option<String>,
    /// Only the visits of this resident, household, dwelling, building or organisation.
    subject_id: Option<ID>,
    /// Any of these kinds.
    kinds: Option<Vec<VisitKind>>,
    /// Visited at or after this instant.
    from: Option<DateTime>,
    /// Visited before this instant.
    before: Option<DateTime>,
}

impl VisitFilter {
    fn validate(self) -> ApiResult<visits::VisitFilter> {
        Ok(visits::VisitFilter {
            within: self
                .within
                .map(|code| parse_code("within", &code))
                .transpose()?,
            subject: self
                .subject_id
                .map(|id| subject_of("subjectId", &id))
                .transpose()?,
            kinds: self
                .kinds
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            from: self.from.map(Into::into),
            before: self.before.map(Into::into),
        })
    }
}

/// Whom the care schedule says to visit.
#[derive(InputObject, Default)]
pub struct VisitDueFilter {
    /// Only residents of grids inside this area.
    within: Option<String>,
    /// Only residents with any of these flags.
    care_flags: Option<Vec<CareFlag>>,
}

#[derive(Default)]
pub struct VisitsQuery;

#[Object]
impl VisitsQuery {
    /// Visits you may read, newest first unless `orderBy` says otherwise.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn visits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which visits.")] filter: Option<VisitFilter>,
        #[graphql(
            desc = "Their order.",
            default_with = "VisitOrder::desc(VisitOrderField::VisitedAt)"
        )]
        order_by: VisitOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Visit>> {
        let filter = filter.unwrap_or_default().validate()?;
        let (order, kind) = order_by.resolve(VISIT_CURSOR);
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
        let listing = visits::list(ctx.access()?, &filter, order, &request).await?;
        Ok(connection(&kind, listing, Visit))
    }

    /// The care schedule rolled up to each area of `level` inside
    /// `within` (everything you see when left out): how many people are on
    /// it and how many are overdue for a visit, where you read residents,
    /// their care flags and visits. At `GRID` level, each row's `grid`
    /// leads to its worker: the manager's table of rounds.
    #[graphql(complexity = "super::limits::LIST_COST * 5 * child_complexity.max(1)")]
    async fn visit_roundup(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The area level to roll up to.")] level: AreaLevel,
        #[graphql(desc = "Only inside this area (any level).")] within: Option<String>,
    ) -> Result<Vec<VisitRoundup>> {
        let within = within.map(|code| parse_code("within", &code)).transpose()?;
        Ok(
            visits::roundup(ctx.access()?, within.as_ref(), level.into())
                .await?
                .into_iter()
                .map(VisitRoundup)
                .collect(),
        )
    }

    /// How often the people of each care flag are visited: the city's
    /// intervals where it set them (`setVisitInterval`), the built-in ones
    /// otherwise. For anyone signed in.
    async fn visit_schedule(&self, ctx: &Context<'_>) -> Result<Vec<VisitInterval>> {
        Ok(visits::schedule(ctx.access()?)
            .await?
            .into_iter()
            .map(VisitInterval)
            .collect())
    }

    /// Today's round: the active residents of the grids you visit whose
    /// care flags call for a visit and who have had none within the flag's
    /// interval (`visitSchedule`; built in: elderly living alone 7 days,
    /// severe mental illness 14, community correction, released from
    /// prison, left-behind children, disability 30, low income, veterans
    /// 90). Only where you may see care flags, since the list tells them.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn visits_due(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Whom.")] filter: Option<VisitDueFilter>,
        #[graphql(
            desc = "Their order.",
            default_with = "ResidentOrder::asc(ResidentOrderField::Grid)"
        )]
        order_by: ResidentOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Resident>> {
        let filter = filter.unwrap_or_default();
        let filter = DueFilter {
            within: filter
                .within
                .map(|code| parse_code("within", &code))
                .transpose()?,
            care_flags: filter
                .care_flags
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
        };
        let (order, kind) = order_by.resolve(&format!("{DUE_CURSOR}.{RESIDENT_CURSOR}"));
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
        let listing = visits::due(ctx.access()?, &filter, order, &request).await?;
        Ok(connection(&kind, listing, Resident))
    }
}

/// A visit made.
#[derive(InputObject)]
pub struct RecordVisitInput {
    /// The resident, household, dwelling, building or organisation visited.
    subject_id: ID,
    /// Why.
    kind: VisitKind,
    /// When; now when left out. Within the last 30 days.
    visited_at: Option<DateTime>,
    /// What was found (up to 2,000 characters, one paragraph).
    findings: String,
    /// When to go again.
    next_due_on: Option<Date>,
}

payload!(
    /// The answer of `recordVisit`.
    RecordVisitPayload {
        /// The visit recorded; null when `userErrors` says why not.
        visit: Visit
    },
    VisitUserError
);

/// One area's part of the care schedule.
pub struct VisitRoundup(visits::Roundup);

/// One area's part of the care schedule.
#[Object]
impl VisitRoundup {
    /// The area's (or grid's) code.
    async fn area_code(&self) -> &str {
        &self.0.area_code
    }

    /// Its name, for a table a person reads; null off your map.
    async fn area_name(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        place_name(ctx, &self.0.area_code).await
    }

    /// At `GRID` level: the grid, and through it its worker.
    async fn grid(&self, ctx: &Context<'_>) -> Result<Option<Grid>> {
        Grid::load(ctx, &self.0.area_code).await
    }

    /// Active residents with a care flag on the schedule.
    async fn scheduled(&self) -> i64 {
        self.0.scheduled
    }

    /// Of them, those without a visit within their flag's interval.
    async fn overdue(&self) -> i64 {
        self.0.overdue
    }
}

/// How often the people of one care flag are visited.
pub struct VisitInterval(visits::Interval);

/// How often the people of one care flag are visited.
#[Object]
impl VisitInterval {
    /// The flag.
    async fn care_flag(&self) -> CareFlag {
        self.0.flag.into()
    }

    /// Days between visits.
    async fn days(&self) -> i64 {
        self.0.days
    }

    /// Whether the city set it (else it is the built-in interval).
    async fn is_set(&self) -> bool {
        self.0.set.is_some()
    }

    /// The version to send back with `setVisitInterval`; null while the
    /// interval is the built-in one.
    async fn version(&self) -> Option<i32> {
        self.0.set.as_ref().map(|row| row.version)
    }

    /// When the city last set it.
    async fn updated_at(&self) -> Option<DateTime> {
        self.0.set.as_ref().map(|row| row.updated_at.into())
    }
}

/// A care flag's interval to set.
#[derive(InputObject)]
pub struct SetVisitIntervalInput {
    /// The flag.
    care_flag: CareFlag,
    /// Days between visits, 1 to 365; null goes back to the built-in
    /// interval.
    days: Option<i32>,
    /// The interval's `version` as read; null (or left out) when it was the
    /// built-in one. A stale one is `CONFLICT`.
    version: Option<i32>,
}

payload!(
    /// The answer of `setVisitInterval`.
    SetVisitIntervalPayload {
        /// The flag's interval as it now stands; null when `userErrors`
        /// says why not.
        visit_interval: VisitInterval
    },
    VisitUserError
);

#[derive(Default)]
pub struct VisitChanges;

#[Object]
impl VisitChanges {
    /// Records a visit (走访) to a resident, household, dwelling or
    /// organisation of a grid where you may record visits. A visit is a
    /// record of what happened: it is never changed afterwards.
    ///
    /// User errors: `NOT_FOUND` (`subjectId`), `INVALID` (empty
    /// `findings`, a time in the future or more than 30 days ago, a next
    /// visit not after this one, an ID of something else). A grid where you
    /// may not record visits is the top-level error FORBIDDEN.
    async fn record_visit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The visit.")] input: RecordVisitInput,
    ) -> Result<RecordVisitPayload> {
        let outcome = async {
            let new = NewVisit {
                subject: subject_of("subjectId", &input.subject_id)?,
                kind: input.kind.into(),
                visited_at: input.visited_at.map(Into::into),
                findings: input.findings,
                next_due_on: input.next_due_on.map(Into::into),
            };
            visits::record(ctx.access()?, new).await
        };
        Ok(RecordVisitPayload::of(outcome.await.map(Visit))?)
    }

    /// Sets how often the people of a care flag are visited, for the whole
    /// city (`visitsDue` follows at once). Needs `visit manage` for the
    /// whole city; audited (`visit.set_interval`).
    ///
    /// User errors: `INVALID` (`days` outside 1 to 365), `CONFLICT` (a
    /// stale `version`).
    async fn set_visit_interval(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The flag and its interval.")] input: SetVisitIntervalInput,
    ) -> Result<SetVisitIntervalPayload> {
        let outcome = visits::set_interval(
            ctx.access()?,
            input.care_flag.into(),
            input.days,
            input.version,
        )
        .await;
        Ok(SetVisitIntervalPayload::of(outcome.map(VisitInterval))?)
    }
}
