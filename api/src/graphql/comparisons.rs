//! Information comparison (信息比对) as the schema shows it: the rules
//! table, comparison jobs with their progress, and findings with their
//! timeline, counts and steps. The rules are `domain::comparisons`'.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entities::{comparison_job, finding, finding_step};
use sea_orm::ActiveEnum;

use super::ContextExt;
use super::cases::Case;
use super::loaders::load_one;
use super::ordering::{
    ComparisonJobOrder, ComparisonJobOrderField, FindingOrder, FindingOrderField,
};
use super::payload::{ComparisonUserError, FindingUserError, payload};
use super::record::{AreaLevel, Grid, Organisation, Resident, organisation};
use super::registries::RegistryKind;
use super::relay::{NodeKind, Page, connection, global_id, key_of, page_complexity};
use super::scalars::{Date, DateTime};
use crate::domain::areas::parse_code;
use crate::domain::comparisons::findings::{self as domain, FINDING_CURSOR, FindingFilter, Step};
use crate::domain::comparisons::{self, JOB_CURSOR, JobFilter, jobs, rules};
use crate::domain::page::Paging;

/// What a comparison found: one rule of the rules table each.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::finding::FindingKind")]
pub enum FindingKind {
    /// A resident registered here whom the household registry does not
    /// list: floating population to confirm.
    NotInRegistry,
    /// Name, sex or birth date disagree with the household registry.
    RegistryMismatch,
    /// The household registry holds the resident's ID number twice.
    DuplicateId,
    /// A resident living here by the record is in the death register.
    Died,
    /// A pension paid after its holder's death.
    PensionToDead,
    /// A resident on the wanted list: the community police's alone.
    Wanted,
    /// An organisation with no business licence.
    NoLicence,
    /// An organisation whose business licence expired.
    LicenceExpired,
    /// An organisation whose licence is for another address.
    LicenceElsewhere,
    /// A food business with no food business permit.
    NoFoodPermit,
    /// A food business whose permit expired.
    FoodPermitExpired,
}

/// Where a finding stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::finding::FindingState")]
pub enum FindingState {
    /// Found, waiting for its assignee.
    Open,
    /// 签收: confirmed by its assignee, who acts on it.
    SignedOff,
    /// 退回: sent to the grid to re-check the record.
    Returned,
    /// Acted on, or no longer found by a later comparison.
    Resolved,
    /// Not a discrepancy after all (see `reason`); a re-run does not open
    /// it again.
    Dismissed,
}

/// A step on a finding's timeline.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::finding_step::FindingAction")]
pub enum FindingAction {
    /// Found by a comparison.
    Opened,
    /// Signed off (签收) by its assignee.
    SignOff,
    /// Returned (退回) to its grid to re-check, with a reason.
    Return,
    /// Resolved by whoever acted on it.
    Resolve,
    /// Dismissed, with a reason.
    Dismiss,
    /// A later comparison no longer found it.
    Cleared,
    /// A case was opened for it.
    CaseOpened,
}

/// How far a comparison got.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::comparison_job::JobState")]
pub enum ComparisonJobState {
    /// Comparing; `compared` of `total` done.
    Running,
    /// Done: every street compared, `counts` filled.
    Finished,
    /// Stopped: `error` says why.
    Failed,
}

/// One row of the rules table.
#[derive(SimpleObject)]
pub struct ComparisonRule {
    /// The finding it makes.
    kind: FindingKind,
    /// The registry whose comparison runs it.
    registry: RegistryKind,
    /// Another registry it also reads (the death register, for pensions).
    also_reads: Option<RegistryKind>,
    /// What it compares.
    compares: String,
    /// The role that acts on its findings, in the subject's grid.
    assignee_role: String,
    /// Whether its findings are urgent (pushed live by `findingRaised`).
    urgent: bool,
    /// Whether a case may be opened for its findings.
    may_open_case: bool,
}

/// How many findings of one kind a comparison left standing, opened and
/// cleared.
#[derive(SimpleObject)]
pub struct ComparisonCount {
    /// The finding's kind.
    kind: FindingKind,
    /// Findings of this kind still being worked in the job's area after it.
    standing: i64,
    /// New ones it opened.
    opened: i64,
    /// Ones it found no longer holding, and resolved.
    cleared: i64,
}

/// One comparison of an area's record with a registry.
pub struct ComparisonJob(comparison_job::Model);

impl crate::graphql::plain::Plain for ComparisonJob {}

/// One comparison of an area's record with a registry's current snapshot,
/// run in the background: poll it (`node`, `comparisonJobs`) for its
/// progress.
#[Object]
impl ComparisonJob {
    /// Its global ID.
    pub async fn id(&self) -> ID {
        global_id(NodeKind::ComparisonJob, &self.0.id.to_string())
    }

    /// Its number, in the order comparisons started.
    async fn number(&self) -> i64 {
        self.0.id
    }

    /// The registry compared with.
    async fn registry(&self) -> RegistryKind {
        self.0.kind.into()
    }

    /// The area compared; null for the whole city.
    async fn area_code(&self) -> Option<&str> {
        self.0.area_code.as_deref()
    }

    /// Running, finished or failed.
    async fn state(&self) -> ComparisonJobState {
        self.0.state.into()
    }

    /// The number of the snapshot compared with.
    async fn snapshot_number(&self) -> i64 {
        self.0.snapshot_id
    }

    /// Residents (or organisations) to compare.
    async fn total(&self) -> i64 {
        self.0.total
    }

    /// Those compared so far.
    async fn compared(&self) -> i64 {
        self.0.compared
    }

    /// What it found, by kind, once finished: only the kinds whose findings
    /// you may read across the city, so no count tells of findings kept
    /// from you.
    async fn counts(&self, ctx: &Context<'_>) -> Result<Vec<ComparisonCount>> {
        Ok(comparisons::counts_shown(ctx.access()?, &self.0)
            .into_iter()
            .map(|count| ComparisonCount {
                kind: count.kind.into(),
                standing: count.standing,
                opened: count.opened,
                cleared: count.cleared,
            })
            .collect())
    }

    /// Who started it (`cli` from the command line).
    async fn started_by(&self) -> &str {
        &self.0.started_by_name
    }

    /// When it was started.
    async fn started_at(&self) -> DateTime {
        self.0.started_at.into()
    }

    /// When its runner last moved it on.
    async fn heartbeat_at(&self) -> DateTime {
        self.0.heartbeat_at.into()
    }

    /// When it finished or failed; null while running.
    async fn finished_at(&self) -> Option<DateTime> {
        self.0.finished_at.map(Into::into)
    }

    /// Why it failed.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
}

impl ComparisonJob {
    pub async fn find(ctx: &Context<'_>, key: &str) -> Result<Option<ComparisonJob>> {
        let Ok(id) = key.parse::<i64>() else {
            return Ok(None);
        };
        Ok(comparisons::job(ctx.access()?, id)
            .await?
            .map(ComparisonJob))
    }
}

/// What the registry said, where it disagrees with the record. Never the
/// outside ID number.
#[derive(SimpleObject)]
pub struct FindingEvidence {
    /// The number of the snapshot that last showed it.
    snapshot_number: i64,
    /// The record's fields the registry disagrees with (`name`, `sex`,
    /// `birth_date`, `address`, `id_number`).
    fields: Vec<String>,
    /// The registry's name, where it differs (or the pension's holder).
    registry_name: Option<String>,
    /// The registry's sex, where it differs (`male`, `female`).
    registry_sex: Option<String>,
    /// The registry's birth date, where it differs.
    registry_birth_date: Option<Date>,
    /// The licence's address, where it is another.
    registry_address: Option<String>,
    /// The registry's first date: the death, the listing.
    from_date: Option<Date>,
    /// The registry's last date: the last month a pension was paid, an
    /// expiry.
    to_date: Option<Date>,
}

/// Who acts on a finding.
#[derive(SimpleObject)]
pub struct FindingAssignee {
    /// The role (`police`, `grid_worker`, `social_security`,
    /// `market_supervision`).
    role: String,
    /// The grid it acts in.
    grid_code: String,
}

/// One step on a finding's timeline.
pub struct FindingStep(finding_step::Model);

/// One step on a finding's timeline: who (or which comparison) did what,
/// when, and why.
#[Object]
impl FindingStep {
    /// What was done.
    async fn action(&self) -> FindingAction {
        self.0.action.into()
    }

    /// The state before (null for `OPENED`).
    async fn from_state(&self) -> Option<FindingState> {
        self.0.from_state.map(Into::into)
    }

    /// The state after.
    async fn to_state(&self) -> FindingState {
        self.0.to_state.into()
    }

    /// The reason of a return or a dismissal, a note, or the case number.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// The comparison that took it, for `OPENED` and `CLEARED`.
    async fn comparison_number(&self) -> Option<i64> {
        self.0.job_id
    }

    /// Who took it (`comparison` for a comparison).
    async fn actor(&self) -> &str {
        &self.0.actor_name
    }

    /// When.
    async fn at(&self) -> DateTime {
        self.0.at.into()
    }
}

/// A discrepancy between the record and a registry.
pub struct Finding(pub finding::Model);

impl crate::graphql::plain::Plain for Finding {}

impl Finding {
    pub async fn find(ctx: &Context<'_>, key: &str) -> Result<Option<Finding>> {
        let Ok(id) = key.parse::<i64>() else {
            return Ok(None);
        };
        Ok(domain::find(ctx.access()?, id).await?.map(Finding))
    }
}

/// A discrepancy between the record and a registry, in the grid of its
/// person or organisation, worked by its assignee.
#[Object]
impl Finding {
    /// Its global ID.
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Finding, &self.0.id.to_string())
    }

    /// Its number.
    async fn number(&self) -> i64 {
        self.0.id
    }

    /// What disagrees: the rule that found it.
    async fn kind(&self) -> FindingKind {
        self.0.kind.into()
    }

    /// The registry it came from.
    async fn registry(&self) -> RegistryKind {
        self.0.registry.into()
    }

    /// Where it stands: `OPEN → SIGNED_OFF | RETURNED → RESOLVED`, or
    /// `DISMISSED`.
    async fn state(&self) -> FindingState {
        self.0.state.into()
    }

    /// Whether it is urgent (a wanted person): pushed live by
    /// `findingRaised`.
    async fn urgent(&self) -> bool {
        self.0.urgent
    }

    /// Checked against `version` by every step.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// The grid of its person or organisation.
    async fn grid_code(&self) -> &str {
        &self.0.grid_code
    }

    /// The grid; null when it is not on your map.
    async fn grid(&self, ctx: &Context<'_>) -> Result<Option<Grid>> {
        Grid::load(ctx, &self.0.grid_code).await
    }

    /// The person it is about, where you may read them.
    async fn resident(&self, ctx: &Context<'_>) -> Result<Option<Resident>> {
        Ok(load_one(ctx.loaders()?.residents(), self.0.resident_id)
            .await?
            .map(Resident))
    }

    /// The organisation it is about, where you may read it.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        organisation(ctx.loaders()?, self.0.organisation_id).await
    }

    /// Who acts on it.
    async fn assignee(&self) -> FindingAssignee {
        FindingAssignee {
            role: self.0.assignee_role.clone(),
            grid_code: self.0.grid_code.clone(),
        }
    }

    /// What the registry said.
    async fn evidence(&self) -> FindingEvidence {
        let row = &self.0;
        FindingEvidence {
            snapshot_number: row.snapshot_id,
            fields: row
                .fields
                .as_deref()
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            registry_name: row.registry_name.clone(),
            registry_sex: row.registry_sex.map(|sex| sex.to_value()),
            registry_birth_date: row.registry_birth_date.map(Into::into),
            registry_address: row.registry_address.clone(),
            from_date: row.from_date.map(Into::into),
            to_date: row.to_date.map(Into::into),
        }
    }

    /// The case opened for it, where you may read it.
    async fn case(&self, ctx: &Context<'_>) -> Result<Option<Case>> {
        Ok(load_one(ctx.loaders()?.cases(), self.0.case_id)
            .await?
            .map(Case))
    }

    /// Why it was returned or dismissed.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// When a comparison found it.
    async fn opened_at(&self) -> DateTime {
        self.0.opened_at.into()
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }

    /// When it was resolved or dismissed; null while worked.
    async fn closed_at(&self) -> Option<DateTime> {
        self.0.closed_at.map(Into::into)
    }

    /// Its timeline, oldest step first.
    async fn steps(&self, ctx: &Context<'_>) -> Result<Vec<FindingStep>> {
        let steps = ctx.loaders()?.finding_steps().load_one(self.0.id).await?;
        Ok(steps
            .unwrap_or_default()
            .into_iter()
            .map(FindingStep)
            .collect())
    }

    /// Whether you may sign it off now.
    async fn viewer_can_sign_off(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(domain::may_take(ctx.access()?, &self.0, &domain::SIGN_OFF))
    }

    /// Whether you may return it now.
    async fn viewer_can_return(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(domain::may_take(ctx.access()?, &self.0, &domain::RETURN))
    }

    /// Whether you may resolve it now.
    async fn viewer_can_resolve(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(domain::may_take(ctx.access()?, &self.0, &domain::RESOLVE))
    }

    /// Whether you may dismiss it now.
    async fn viewer_can_dismiss(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(domain::may_take(ctx.access()?, &self.0, &domain::DISMISS))
    }
}

/// Findings still being worked in one area, of one kind.
#[derive(SimpleObject)]
pub struct FindingAreaCount {
    /// The area's code (or the grid's).
    area_code: String,
    /// The findings' kind.
    kind: FindingKind,
    /// How many are open.
    open: i64,
    /// How many are signed off and being acted on.
    signed_off: i64,
    /// How many are returned to the grid to re-check.
    returned: i64,
}

/// Which findings to list.
#[derive(InputObject, Default)]
pub struct FindingFilterInput {
    /// Any of these kinds.
    kinds: Option<Vec<FindingKind>>,
    /// From any of these registries.
    registries: Option<Vec<RegistryKind>>,
    /// In any of these states.
    states: Option<Vec<FindingState>>,
    /// Only in this area or grid.
    within: Option<String>,
    /// Only urgent ones, or only the others.
    urgent: Option<bool>,
    /// About this resident (global ID).
    resident: Option<ID>,
    /// About this organisation (global ID).
    organisation: Option<ID>,
    /// The one opened for this case (global ID): a case page's link back.
    case: Option<ID>,
}

/// Which comparisons to list.
#[derive(InputObject, Default)]
pub struct ComparisonJobFilter {
    /// With any of these registries.
    registries: Option<Vec<RegistryKind>>,
    /// In any of these states.
    states: Option<Vec<ComparisonJobState>>,
}

#[derive(Default)]
pub struct ComparisonsQuery;

#[Object]
impl ComparisonsQuery {
    /// The comparison rules: what each compares, the finding it makes, who
    /// acts on it and how urgent it is.
    async fn comparison_rules(&self) -> Vec<ComparisonRule> {
        rules::RULES
            .iter()
            .map(|rule| ComparisonRule {
                kind: rule.kind.into(),
                registry: rule.registry.into(),
                also_reads: rule.also.map(Into::into),
                compares: rule.compares.to_owned(),
                assignee_role: rule.assignee.to_owned(),
                urgent: rule.urgent,
                may_open_case: !rule.confidential,
            })
            .collect()
    }

    /// Comparisons with the registries you may read or compare (`read` or
    /// `check` on `registry.KIND` at the city), newest first unless
    /// `orderBy` says otherwise.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn comparison_jobs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which comparisons.")] filter: Option<ComparisonJobFilter>,
        #[graphql(
            desc = "Their order.",
            default_with = "ComparisonJobOrder::desc(ComparisonJobOrderField::Number)"
        )]
        order_by: ComparisonJobOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<ComparisonJob>> {
        let filter = filter.unwrap_or_default();
        let filter = JobFilter {
            kinds: into_all(filter.registries),
            states: into_all(filter.states),
        };
        let (order, kind) = order_by.resolve(JOB_CURSOR);
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
        let listing = comparisons::jobs(ctx.access()?, &filter, order, &request).await?;
        Ok(connection(&kind, listing, ComparisonJob))
    }

    /// The findings you may read (`read` on `finding.KIND` in their grid),
    /// newest first unless `orderBy` says otherwise.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn findings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which findings.")] filter: Option<FindingFilterInput>,
        #[graphql(
            desc = "Their order.",
            default_with = "FindingOrder::desc(FindingOrderField::Number)"
        )]
        order_by: FindingOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Finding>> {
        let filter = filter.unwrap_or_default();
        let filter = FindingFilter {
            kinds: into_all(filter.kinds),
            registries: into_all(filter.registries),
            states: into_all(filter.states),
            within: filter
                .within
                .map(|code| parse_code("filter.within", &code))
                .transpose()?,
            urgent: filter.urgent,
            resident_id: filter
                .resident
                .map(|id| key_of("filter.resident", &id, NodeKind::Resident))
                .transpose()?,
            organisation_id: filter
                .organisation
                .map(|id| key_of("filter.organisation", &id, NodeKind::Organisation))
                .transpose()?,
            case_id: filter
                .case
                .map(|id| key_of("filter.case", &id, NodeKind::Case))
                .transpose()?,
        };
        let (order, kind) = order_by.resolve(FINDING_CURSOR);
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
        let listing = domain::list(ctx.access()?, &filter, order, &request).await?;
        Ok(connection(&kind, listing, Finding))
    }

    /// For each area at `level` (inside `within`, if given) and each kind,
    /// how many findings you may read are open, signed off and returned:
    /// the command centre's view. Each number is the `totalCount` of
    /// `findings` with that kind, state and area.
    async fn finding_counts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only inside this area or grid.")] within: Option<String>,
        #[graphql(desc = "The level to count by.", default_with = "AreaLevel::Grid")]
        level: AreaLevel,
    ) -> Result<Vec<FindingAreaCount>> {
        let area = within.map(|code| parse_code("within", &code)).transpose()?;
        let level: policies::AreaLevel = level.into();
        let counts = domain::counts(ctx.access()?, area.as_ref(), level.width()).await?;
        Ok(counts
            .into_iter()
            .map(|count| FindingAreaCount {
                area_code: count.area_code,
                kind: count.kind.into(),
                open: count.open,
                signed_off: count.signed_off,
                returned: count.returned,
            })
            .collect())
    }
}

fn into_all<A, B: From<A>>(values: Option<Vec<A>>) -> Vec<B> {
    values
        .unwrap_or_default()
        .into_iter()
        .map(Into::into)
        .collect()
}

/// A comparison to start.
#[derive(InputObject)]
pub struct StartComparisonInput {
    /// The registry to compare the record with (its current snapshot).
    registry: RegistryKind,
    /// The area to compare (any level); the whole city when left out.
    area: Option<String>,
}

payload!(
    /// The answer of `startComparison`.
    StartComparisonPayload {
        /// The comparison, running; null when `userErrors` says why not.
        comparison: ComparisonJob
    },
    ComparisonUserError
);

/// A step on a finding.
#[derive(InputObject)]
pub struct FindingStepInput {
    /// The finding's global ID.
    id: ID,
    /// The version you read; a stale one is a `CONFLICT`.
    version: i32,
    /// Why (required to return or dismiss, 1 to 500 characters); a note
    /// otherwise.
    reason: Option<String>,
}

/// A finding to open a case for.
#[derive(InputObject)]
pub struct OpenCaseForFindingInput {
    /// The finding's global ID.
    id: ID,
    /// The version you read; a stale one is a `CONFLICT`.
    version: i32,
}

payload!(
    /// The answer of a step on a finding.
    FindingPayload {
        /// The finding after the step; null when `userErrors` says why not.
        finding: Finding
    },
    FindingUserError
);

async fn step(ctx: &Context<'_>, input: FindingStepInput, step: &Step) -> Result<FindingPayload> {
    let outcome = async {
        let id = key_of("id", &input.id, NodeKind::Finding)?;
        domain::take(
            ctx.access()?,
            id,
            input.version,
            step,
            input.reason.as_deref(),
        )
        .await
    }
    .await;
    Ok(FindingPayload::of(outcome.map(Finding))?)
}

#[derive(Default)]
pub struct ComparisonsMutation;

#[Object]
impl ComparisonsMutation {
    /// Starts comparing the record of `area` (the city when left out) with
    /// the current snapshot of `registry`, in the background; needs `check`
    /// on `registry.KIND` there. Poll the answer's comparison for progress.
    ///
    /// User errors: `INVALID` (`area`), `INVALID_STATE` (no current
    /// snapshot, or a comparison with that registry still running).
    async fn start_comparison(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The registry and the area.")] input: StartComparisonInput,
    ) -> Result<StartComparisonPayload> {
        let outcome = async {
            let area = input
                .area
                .as_deref()
                .map(|code| parse_code("area", code))
                .transpose()?;
            jobs::start_as(ctx.access()?, input.registry.into(), area.as_ref()).await
        }
        .await;
        if let Ok(job) = &outcome {
            let state = ctx.state();
            crate::comparing::spawn(
                state.db.clone(),
                state.seal.clone(),
                state.events.clone(),
                job.id,
            );
        }
        Ok(StartComparisonPayload::of(outcome.map(ComparisonJob))?)
    }

    /// 签收: the assignee confirms an `OPEN` finding and acts on it. Needs
    /// `sign_off` on `finding.KIND` in its grid.
    ///
    /// User errors: `NOT_FOUND`, `CONFLICT`, `INVALID_STATE`, `INVALID`.
    async fn sign_off_finding(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The finding, the version read, a note.")] input: FindingStepInput,
    ) -> Result<FindingPayload> {
        step(ctx, input, &domain::SIGN_OFF).await
    }

    /// 退回: sends an `OPEN` finding to its grid to re-check the record,
    /// saying why. Needs `return` on `finding.KIND` in its grid.
    ///
    /// User errors: `NOT_FOUND`, `CONFLICT`, `INVALID_STATE`, `INVALID`.
    async fn return_finding(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The finding, the version read, why.")] input: FindingStepInput,
    ) -> Result<FindingPayload> {
        step(ctx, input, &domain::RETURN).await
    }

    /// Resolves a signed-off or returned finding once acted on. Needs
    /// `handle` on `finding.KIND` in its grid.
    ///
    /// User errors: `NOT_FOUND`, `CONFLICT`, `INVALID_STATE`, `INVALID`.
    async fn resolve_finding(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The finding, the version read, a note.")] input: FindingStepInput,
    ) -> Result<FindingPayload> {
        step(ctx, input, &domain::RESOLVE).await
    }

    /// Dismisses a finding that is no discrepancy, saying why; a re-run
    /// does not open it again. Needs `close` on `finding.KIND` in its grid.
    ///
    /// User errors: `NOT_FOUND`, `CONFLICT`, `INVALID_STATE`, `INVALID`.
    async fn dismiss_finding(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The finding, the version read, why.")] input: FindingStepInput,
    ) -> Result<FindingPayload> {
        step(ctx, input, &domain::DISMISS).await
    }

    /// Opens a case in the closed loop for a finding still being worked
    /// (an unlicensed business → a case the command centre dispatches to
    /// market supervision); the two stay linked (`Finding.case`). Needs
    /// `read` on the finding and `report` on `case` in its grid. A wanted
    /// person's finding never becomes a case.
    ///
    /// User errors: `NOT_FOUND`, `CONFLICT`, `INVALID_STATE`.
    async fn open_case_for_finding(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The finding and the version read.")] input: OpenCaseForFindingInput,
    ) -> Result<FindingPayload> {
        let outcome = async {
            let id = key_of("id", &input.id, NodeKind::Finding)?;
            domain::open_case(ctx.access()?, id, input.version).await
        }
        .await;
        if let Ok((_, case)) = &outcome {
            ctx.state()
                .events
                .publish(crate::events::Event::CaseChanged {
                    case_id: case.id,
                    grid_code: case.grid_code.clone(),
                })
                .await;
        }
        Ok(FindingPayload::of(outcome.map(|(row, _)| Finding(row)))?)
    }
}
