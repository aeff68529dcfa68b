//! Findings as their readers work them: listed and counted within the
//! caller's scope (each registry's findings decided by its own policy
//! object, so a wanted-list match reaches only those granted
//! `finding.wanted`), and moved along `OPEN → SIGNED_OFF | RETURNED →
//! RESOLVED` (or dismissed with a reason), each step version-checked and
//! written with its timeline entry and audit row in one transaction.

use std::collections::HashMap;

use chrono::Utc;
use entities::finding::{self, FindingKind, FindingState};
use entities::finding_step::{self, FindingAction};
use entities::registry_snapshot::RegistryKind;
use entities::visit::VisitSubject;
use entities::{case, organisation, resident};
use policies::{Action, AreaCode};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use super::{object, rules};
use crate::domain::access::Access;
use crate::domain::cases::links::Links;
use crate::domain::cases::moves::{self, Report};
use crate::domain::page::{Listing, PageRequest};
use crate::domain::registries::KINDS;
use crate::domain::scoped::{Order, keyset};
use crate::domain::within::{in_scope, within};
use crate::domain::writes::Writer;
use crate::domain::writes::fields::{optional_text, text};
use crate::error::{ApiError, ApiResult};
use crate::events::SharedRead;

pub const FINDING_CURSOR: &str = "finding";

/// States a finding is still being worked in.
pub const WORKING: [FindingState; 3] = [
    FindingState::Open,
    FindingState::SignedOff,
    FindingState::Returned,
];

/// The findings the caller may take `action` on: each registry's under its
/// own object's scope.
fn visible(access: &Access, action: Action) -> Condition {
    KINDS.iter().fold(Condition::any(), |any, &registry| {
        let scope = access.scope(object(registry), action);
        if scope.is_nothing() {
            return any;
        }
        any.add(
            Condition::all()
                .add(finding::Column::Registry.eq(registry))
                .add(in_scope(finding::Column::GridCode, &scope)),
        )
    })
}

/// The object kind a finding's audit rows are filed under: `finding`, or
/// for a confidential registry its own object (`finding.wanted`), whose
/// rows only its readers read (see `audit_log::list`).
pub fn audited_as(registry: RegistryKind) -> &'static str {
    if rules::confidential(registry) {
        object(registry).as_str()
    } else {
        "finding"
    }
}

/// The audit rows the caller may read as far as findings go: those of a
/// confidential registry only where they may read its findings, since a row
/// naming a finding someone cannot see would tell them it exists.
pub fn readable_audit_rows(access: &Access) -> Condition {
    KINDS
        .iter()
        .filter(|&&registry| rules::confidential(registry))
        .fold(Condition::all(), |all, &registry| {
            let scope = access.scope(object(registry), Action::Read);
            all.add(
                Condition::any()
                    .add(entities::audit_log::Column::ObjectKind.ne(audited_as(registry)))
                    .add(in_scope(entities::audit_log::Column::AreaCode, &scope)),
            )
        })
}

/// Which findings to list.
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    pub kinds: Vec<FindingKind>,
    pub registries: Vec<RegistryKind>,
    pub states: Vec<FindingState>,
    pub within: Option<AreaCode>,
    pub urgent: Option<bool>,
    pub resident_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub case_id: Option<i64>,
}

pub async fn list(
    access: &Access,
    filter: &FindingFilter,
    order: Order<finding::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<finding::Model>> {
    access.caller()?;
    let mut select = finding::Entity::find().filter(visible(access, Action::Read));
    if !filter.kinds.is_empty() {
        select = select.filter(finding::Column::Kind.is_in(filter.kinds.clone()));
    }
    if !filter.registries.is_empty() {
        select = select.filter(finding::Column::Registry.is_in(filter.registries.clone()));
    }
    if !filter.states.is_empty() {
        select = select.filter(finding::Column::State.is_in(filter.states.clone()));
    }
    if let Some(area) = &filter.within {
        select = select.filter(within(finding::Column::GridCode, area));
    }
    if let Some(urgent) = filter.urgent {
        select = select.filter(finding::Column::Urgent.eq(urgent));
    }
    if let Some(id) = filter.resident_id {
        select = select.filter(finding::Column::ResidentId.eq(id));
    }
    if let Some(id) = filter.organisation_id {
        select = select.filter(finding::Column::OrganisationId.eq(id));
    }
    if let Some(id) = filter.case_id {
        select = select.filter(finding::Column::CaseId.eq(id));
    }
    keyset(access.db(), select, finding::Column::Id, order, request).await
}

/// Finding `id`, if the caller may see it.
pub async fn find(access: &Access, id: i64) -> ApiResult<Option<finding::Model>> {
    access.caller()?;
    Ok(finding::Entity::find_by_id(id)
        .filter(visible(access, Action::Read))
        .one(access.db())
        .await?)
}

/// The urgent finding a live event names, as the caller would read it:
/// `None` outside `within` or the caller's sight, found without a
/// statement for a subscriber who may read no finding in its grid, and
/// read once for every other subscriber of the replica (`shared`).
pub async fn raised(
    access: &Access,
    shared: &SharedRead,
    id: i64,
    grid: &str,
    within: Option<&AreaCode>,
) -> ApiResult<Option<finding::Model>> {
    access.caller()?;
    let inside = within.is_none_or(|area| area.contains_raw(grid));
    let may = KINDS
        .iter()
        .any(|&registry| access.may_in(grid, object(registry), Action::Read));
    if !inside || !may {
        return Ok(None);
    }
    let row = shared
        .get_or_read(|| async { Ok(finding::Entity::find_by_id(id).one(access.db()).await?) })
        .await?;
    // What `visible` asks of the row in SQL, asked of the row as read.
    Ok(row
        .filter(|row| {
            KINDS.contains(&row.registry)
                && access.may_in(&row.grid_code, object(row.registry), Action::Read)
        })
        .map(|row| (*row).clone()))
}

/// Findings still being worked, counted by area and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaCount {
    pub area_code: String,
    pub kind: FindingKind,
    pub open: i64,
    pub signed_off: i64,
    pub returned: i64,
}

/// For each area of `width` digits (inside `area`, if given) and each kind,
/// how many of the findings the caller may see are open, signed off and
/// returned: the command centre's view, in one grouped statement.
pub async fn counts(
    access: &Access,
    area: Option<&AreaCode>,
    width: usize,
) -> ApiResult<Vec<AreaCount>> {
    access.caller()?;
    // The width is written into the SQL (it is one of four level widths):
    // PostgreSQL groups by an expression only when its select list holds
    // the very same one, and two bound parameters are not.
    let prefix: Expr = Expr::cust(format!("SUBSTR(findings.grid_code, 1, {width})"));
    let mut query = finding::Entity::find()
        .select_only()
        .column_as(prefix.clone(), "area")
        .column(finding::Column::Kind)
        .column(finding::Column::State)
        .column_as(Expr::col(finding::Column::Id).count(), "n")
        .filter(visible(access, Action::Read))
        .filter(finding::Column::State.is_in(WORKING));
    if let Some(area) = area {
        query = query.filter(within(finding::Column::GridCode, area));
    }
    let rows: Vec<(String, FindingKind, FindingState, i64)> = query
        .group_by(prefix.clone())
        .group_by(finding::Column::Kind)
        .group_by(finding::Column::State)
        .order_by_asc(prefix)
        .order_by_asc(finding::Column::Kind)
        .into_tuple()
        .all(access.db())
        .await?;
    let mut counts: Vec<AreaCount> = Vec::new();
    for (area_code, kind, state, n) in rows {
        let same = counts
            .last()
            .is_some_and(|last| last.area_code == area_code && last.kind == kind);
        if !same {
            counts.push(AreaCount {
                area_code,
                kind,
                open: 0,
                signed_off: 0,
                returned: 0,
            });
        }
        if let Some(count) = counts.last_mut() {
            match state {
                FindingState::Open => count.open += n,
                FindingState::SignedOff => count.signed_off += n,
                FindingState::Returned => count.returned += n,
                FindingState::Resolved | FindingState::Dismissed => {}
            }
        }
    }
    Ok(counts)
}

/// The timelines of those of `findings` the caller may see, oldest first.
pub async fn steps_of(
    access: &Access,
    findings: &[i64],
) -> ApiResult<HashMap<i64, Vec<finding_step::Model>>> {
    let seen = sea_orm::sea_query::Query::select()
        .column(finding::Column::Id)
        .from(finding::Entity)
        .cond_where(
            Condition::all()
                .add(finding::Column::Id.is_in(findings.iter().copied()))
                .add(visible(access, Action::Read)),
        )
        .to_owned();
    let rows = finding_step::Entity::find()
        .filter(finding_step::Column::FindingId.in_subquery(seen))
        .order_by_asc(finding_step::Column::Id)
        .all(access.db())
        .await?;
    let mut grouped: HashMap<i64, Vec<finding_step::Model>> = HashMap::new();
    for row in rows {
        grouped.entry(row.finding_id).or_default().push(row);
    }
    Ok(grouped)
}

/// One step a person takes on a finding: from where, to where, with which
/// permission on the finding's object in its grid. The whole workflow is
/// this table.
pub struct Step {
    pub action: FindingAction,
    pub from: &'static [FindingState],
    pub to: FindingState,
    pub permission: Action,
    /// Whether the step must say why.
    pub needs_reason: bool,
}

pub const SIGN_OFF: Step = Step {
    action: FindingAction::SignOff,
    from: &[FindingState::Open],
    to: FindingState::SignedOff,
    permission: Action::SignOff,
    needs_reason: false,
};

pub const RETURN: Step = Step {
    action: FindingAction::Return,
    from: &[FindingState::Open],
    to: FindingState::Returned,
    permission: Action::Return,
    needs_reason: true,
};

pub const RESOLVE: Step = Step {
    action: FindingAction::Resolve,
    from: &[FindingState::SignedOff, FindingState::Returned],
    to: FindingState::Resolved,
    permission: Action::Handle,
    needs_reason: false,
};

pub const DISMISS: Step = Step {
    action: FindingAction::Dismiss,
    from: &WORKING,
    to: FindingState::Dismissed,
    permission: Action::Close,
    needs_reason: true,
};

const REASON_CHARS: usize = 500;

/// The finding to change: NOT_FOUND when missing or out of sight,
/// FORBIDDEN without `action` in its grid, CONFLICT on a stale version.
async fn load(
    w: &Writer<'_>,
    txn: &DatabaseTransaction,
    id: i64,
    version: i32,
    action: Action,
) -> ApiResult<finding::Model> {
    let row = finding::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(ApiError::not_found("finding", "id"))?;
    let object = object(row.registry);
    if !w.may(&row.grid_code, object, Action::Read)? {
        return Err(ApiError::not_found("finding", "id"));
    }
    w.require(&row.grid_code, object, action)?;
    if row.version != version {
        return Err(crate::domain::writes::stale(
            "finding",
            version,
            Some(row.version),
        ));
    }
    Ok(row)
}

/// Writes the new state of `row` with its timeline entry and audit row.
async fn record(
    w: &Writer<'_>,
    txn: &DatabaseTransaction,
    row: &finding::Model,
    to: FindingState,
    changes: finding::ActiveModel,
    action: FindingAction,
    note: Option<String>,
) -> ApiResult<finding::Model> {
    let now = Utc::now();
    let updated = finding::ActiveModel {
        id: Set(row.id),
        state: Set(to),
        version: Set(row.version + 1),
        updated_at: Set(now),
        ..changes
    }
    .update(txn)
    .await?;
    finding_step::ActiveModel {
        id: NotSet,
        finding_id: Set(row.id),
        grid_code: Set(row.grid_code.clone()),
        action: Set(action),
        from_state: Set(Some(row.state)),
        to_state: Set(to),
        note: Set(note),
        job_id: Set(None),
        actor_user_id: Set(w.caller.user_id),
        actor_token_id: Set(w.caller.token_id),
        actor_name: Set(w.caller.name.chars().take(64).collect()),
        at: Set(now),
    }
    .insert(txn)
    .await?;
    use sea_orm::ActiveEnum;
    w.audit(
        txn,
        &format!("finding.{}", action.to_value()),
        audited_as(row.registry),
        row.id,
        &row.grid_code,
        json!({"from": row.state.to_value(), "to": to.to_value(),
            "case": updated.case_id}),
    )
    .await?;
    Ok(updated)
}

/// Takes `step` on finding `id` as read at `version`.
pub async fn take(
    access: &Access,
    id: i64,
    version: i32,
    step: &Step,
    reason: Option<&str>,
) -> ApiResult<finding::Model> {
    let reason = if step.needs_reason {
        Some(text("reason", reason.unwrap_or_default(), REASON_CHARS)?)
    } else {
        optional_text("note", reason, REASON_CHARS)?
    };
    let w = &access.writer()?;
    let txn = w.begin().await?;
    let row = load(w, &txn, id, version, step.permission).await?;
    if !step.from.contains(&row.state) {
        use sea_orm::ActiveEnum;
        return Err(ApiError::InvalidState(format!(
            "the finding is {}; {} needs it {}",
            row.state.to_value(),
            step.action.to_value(),
            step.from
                .iter()
                .map(|s| s.to_value())
                .collect::<Vec<_>>()
                .join(" or ")
        )));
    }
    let closes = matches!(step.to, FindingState::Resolved | FindingState::Dismissed);
    let changes = finding::ActiveModel {
        reason: Set(if step.needs_reason {
            reason.clone()
        } else {
            row.reason.clone()
        }),
        closed_at: Set(closes.then(Utc::now)),
        ..Default::default()
    };
    let row = record(w, &txn, &row, step.to, changes, step.action, reason).await?;
    txn.commit().await?;
    Ok(row)
}

/// Whether the caller may take `step` on `row` now.
pub fn may_take(access: &Access, row: &finding::Model, step: &Step) -> bool {
    step.from.contains(&row.state)
        && access.may_in(&row.grid_code, object(row.registry), step.permission)
}

/// Opens a case in the closed loop for finding `id` as read at `version`
/// (an unlicensed business → a case for market supervision), linked both
/// ways, in one transaction. Needs `read` on the finding and `report` on
/// `case` in its grid; a finding only its assignee may know of (a wanted
/// person) never becomes a case.
pub async fn open_case(
    access: &Access,
    id: i64,
    version: i32,
) -> ApiResult<(finding::Model, case::Model)> {
    let w = &access.writer()?;
    let txn = w.begin().await?;
    let row = load(w, &txn, id, version, Action::Read).await?;
    let rule = rules::rule(row.kind);
    if rule.confidential {
        return Err(ApiError::InvalidState(
            "this kind of finding stays with its assignee: no case is opened for it".into(),
        ));
    }
    if row.case_id.is_some() || !WORKING.contains(&row.state) {
        return Err(ApiError::InvalidState(
            "only a finding still being worked, with no case yet, can open one".into(),
        ));
    }
    let (location, links) = match (row.organisation_id, row.resident_id) {
        (Some(org), _) => {
            let place = organisation::Entity::find_by_id(org)
                .one(&txn)
                .await?
                .map(|o| format!("{} {}", o.name, o.address));
            (
                place,
                Links {
                    about: vec![(VisitSubject::Organisation, org)],
                    ..Links::default()
                },
            )
        }
        (None, Some(person)) => {
            let place = resident::Entity::find_by_id(person)
                .one(&txn)
                .await?
                .map(|_| format!("网格 {}", row.grid_code));
            (
                place,
                Links {
                    about: vec![(VisitSubject::Resident, person)],
                    ..Links::default()
                },
            )
        }
        (None, None) => (None, Links::default()),
    };
    let report = Report {
        title: format!("信息比对: {}", super::title(row.kind)),
        description: format!("信息比对发现 (finding {}): {}", row.id, rule.compares),
        grid_code: row.grid_code.clone(),
        location: location.unwrap_or_else(|| format!("网格 {}", row.grid_code)),
        links,
        ..Report::default()
    };
    let case = moves::report_in(access, w, &txn, report).await?;
    let changes = finding::ActiveModel {
        case_id: Set(Some(case.id)),
        ..Default::default()
    };
    let row = record(
        w,
        &txn,
        &row,
        row.state,
        changes,
        FindingAction::CaseOpened,
        Some(case.number.clone()),
    )
    .await?;
    txn.commit().await?;
    Ok((row, case))
}
