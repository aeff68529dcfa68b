//! Information comparison (信息比对): the record compared with outside
//! registries by the rules of [`rules`], in background [`jobs`], each
//! discrepancy a finding routed to whoever acts on it ([`findings`]).

pub mod findings;
pub mod jobs;
pub mod rules;

use entities::comparison_job;
use entities::finding::FindingKind;
use entities::registry_snapshot::RegistryKind;
use policies::{Action, Object};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::domain::access::Access;
use crate::domain::page::{Listing, PageRequest};
use crate::domain::registries::{self, KINDS};
use crate::domain::scoped::{Order, keyset};
use crate::error::ApiResult;

pub const JOB_CURSOR: &str = "comparison_job";

/// The policy object deciding who sees and works the findings of a
/// comparison with `registry`.
pub fn object(registry: RegistryKind) -> Object {
    match registry {
        RegistryKind::Household => Object::FindingHousehold,
        RegistryKind::Deaths => Object::FindingDeaths,
        RegistryKind::Pensions => Object::FindingPensions,
        RegistryKind::Wanted => Object::FindingWanted,
        RegistryKind::Licences => Object::FindingLicences,
        RegistryKind::FoodPermits => Object::FindingFoodPermits,
    }
}

/// A finding kind's name on a case's title, in the users' words.
pub fn title(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::NotInRegistry => "户籍库无此人",
        FindingKind::RegistryMismatch => "与户籍信息不一致",
        FindingKind::DuplicateId => "身份证号重号",
        FindingKind::Died => "已死亡仍登记为在住",
        FindingKind::PensionToDead => "死亡人员仍领取养老金",
        FindingKind::Wanted => "在逃人员",
        FindingKind::NoLicence => "无照经营",
        FindingKind::LicenceExpired => "营业执照过期",
        FindingKind::LicenceElsewhere => "营业执照地址不符",
        FindingKind::NoFoodPermit => "无食品经营许可证",
        FindingKind::FoodPermitExpired => "食品经营许可证过期",
    }
}

/// Which jobs to list.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub kinds: Vec<RegistryKind>,
    pub states: Vec<comparison_job::JobState>,
}

/// The comparison jobs with the registries the caller may read (`read` on
/// `registry.KIND` at the city) or compare (`check` there).
pub async fn jobs(
    access: &Access,
    filter: &JobFilter,
    order: Order<comparison_job::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<comparison_job::Model>> {
    access.caller()?;
    let kinds: Vec<RegistryKind> = KINDS
        .into_iter()
        .filter(|kind| filter.kinds.is_empty() || filter.kinds.contains(kind))
        .filter(|kind| may_watch(access, *kind))
        .collect();
    let mut select =
        comparison_job::Entity::find().filter(comparison_job::Column::Kind.is_in(kinds));
    if !filter.states.is_empty() {
        select = select.filter(comparison_job::Column::State.is_in(filter.states.clone()));
    }
    keyset(
        access.db(),
        select,
        comparison_job::Column::Id,
        order,
        request,
    )
    .await
}

/// Whether the caller may follow the comparisons with `kind` across the
/// city.
fn may_watch(access: &Access, kind: RegistryKind) -> bool {
    [Action::Read, Action::Check].into_iter().any(|action| {
        access
            .require_city(registries::object(kind), action)
            .is_ok()
    })
}

/// Job `id`, if the caller may follow it: across the city, or as one who
/// may start a comparison of its area (who started it polls it).
pub async fn job(access: &Access, id: i64) -> ApiResult<Option<comparison_job::Model>> {
    access.caller()?;
    let row = comparison_job::Entity::find_by_id(id)
        .one(access.db())
        .await?;
    Ok(row.filter(|job| {
        may_watch(access, job.kind)
            || job.area_code.as_deref().is_some_and(|area| {
                access.may_in(area, registries::object(job.kind), Action::Check)
            })
    }))
}

/// How many findings of one kind a job left standing, opened and cleared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobCount {
    pub kind: FindingKind,
    pub standing: i64,
    pub opened: i64,
    pub cleared: i64,
}

/// The counts of a finished job the caller may be shown: only of kinds
/// whose findings they may read across the city, so that no count tells of
/// findings kept from them (a confidential kind's only to its readers).
pub fn counts_shown(access: &Access, job: &comparison_job::Model) -> Vec<JobCount> {
    use sea_orm::ActiveEnum;
    rules::of(job.kind)
        .filter(|rule| {
            access
                .require_city(object(rule.registry), Action::Read)
                .is_ok()
        })
        .filter_map(|rule| {
            let count = job.counts.get(rule.kind.to_value())?;
            let number = |key: &str| count[key].as_i64().unwrap_or(0);
            Some(JobCount {
                kind: rule.kind,
                standing: number("standing"),
                opened: number("opened"),
                cleared: number("cleared"),
            })
        })
        .collect()
}
