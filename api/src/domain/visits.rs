//! Visits (走访): a grid worker's rounds, recorded against the resident,
//! household, dwelling or organisation visited; and the care schedule, which
//! says whom a worker should have seen by now.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entities::resident::{self, CareFlag, ResidentStatus};
use entities::visit::{self, VisitKind, VisitSubject};
use entities::{dwelling, household, organisation};
use policies::{Action, AreaCode, Object};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query};
use sea_orm::{ActiveEnum, ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::domain::access::Access;
use crate::domain::page::{Listing, PageRequest};
use crate::domain::scoped::{Order, keyset};
use crate::domain::within::{in_scope, within};
use crate::domain::writes::fields::text;
use crate::error::{ApiError, ApiResult};

pub const VISIT_CURSOR: &str = "visit";
pub const DUE_CURSOR: &str = "visit.due";

/// How often the people of each care flag are to be visited, in days: the
/// elderly living alone weekly, the severely mentally ill fortnightly,
/// people under correction or newly released, left-behind children and the
/// disabled monthly, the others quarterly.
pub const SCHEDULE: [(CareFlag, i64); 8] = [
    (CareFlag::ElderlyLivingAlone, 7),
    (CareFlag::SevereMentalIllness, 14),
    (CareFlag::CommunityCorrection, 30),
    (CareFlag::ReleasedFromPrison, 30),
    (CareFlag::LeftBehindChild, 30),
    (CareFlag::Disability, 30),
    (CareFlag::LowIncome, 90),
    (CareFlag::Veteran, 90),
];

/// A visit to record.
#[derive(Debug, Clone)]
pub struct NewVisit {
    pub subject: (VisitSubject, i64),
    pub kind: VisitKind,
    /// When; now when left out.
    pub visited_at: Option<DateTime<Utc>>,
    pub findings: String,
    pub next_due_on: Option<NaiveDate>,
}

/// The grid of what was visited, if the caller may see it: the visit is
/// recorded there and read by those who may read visits there.
async fn subject_grid(access: &Access, subject: (VisitSubject, i64)) -> ApiResult<Option<String>> {
    let db = access.db();
    let (kind, id) = subject;
    let (grid, object) = match kind {
        VisitSubject::Resident => (
            resident::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|r| r.grid_code),
            Object::Resident,
        ),
        VisitSubject::Household => (
            household::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|r| r.grid_code),
            Object::Household,
        ),
        VisitSubject::Dwelling => (
            dwelling::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|r| r.grid_code),
            Object::Dwelling,
        ),
        VisitSubject::Organisation => (
            organisation::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|r| r.grid_code),
            Object::Organisation,
        ),
    };
    Ok(grid.filter(|grid| access.scope(object, Action::Read).contains(grid)))
}

/// Records a visit by the caller, with its audit row, in one transaction.
pub async fn record(access: &Access, new: NewVisit) -> ApiResult<visit::Model> {
    let caller = access.caller()?;
    let grid = subject_grid(access, new.subject)
        .await?
        .ok_or_else(|| ApiError::missing("subjectId", "nothing of yours to visit by this ID"))?;
    let w = access.writer()?;
    w.require(&grid, Object::Visit, Action::Write)?;
    let now = Utc::now();
    let visited_at = new.visited_at.unwrap_or(now);
    if visited_at > now + Duration::minutes(5) {
        return Err(ApiError::bad_input(
            "visitedAt",
            "must not be in the future",
        ));
    }
    if visited_at < now - Duration::days(30) {
        return Err(ApiError::bad_input(
            "visitedAt",
            "record a visit within 30 days of making it",
        ));
    }
    if let Some(next) = new.next_due_on
        && next <= visited_at.date_naive()
    {
        return Err(ApiError::bad_input("nextDueOn", "must be after the visit"));
    }
    let findings = text("findings", &new.findings, 2000)?;
    let txn = w.begin().await?;
    let row = visit::ActiveModel {
        id: NotSet,
        subject_kind: Set(new.subject.0),
        subject_id: Set(new.subject.1),
        grid_code: Set(grid.clone()),
        kind: Set(new.kind),
        visited_at: Set(visited_at),
        findings: Set(findings),
        next_due_on: Set(new.next_due_on),
        visitor_user_id: Set(caller.user_id),
        visitor_name: Set(caller.name.clone()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    w.audit(
        &txn,
        "visit.record",
        "visit",
        row.id,
        &grid,
        json!({"subject": {"kind": new.subject.0.to_value(), "id": new.subject.1},
               "kind": new.kind.to_value(), "visited_at": visited_at}),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Which visits to list.
#[derive(Debug, Clone, Default)]
pub struct VisitFilter {
    pub within: Option<AreaCode>,
    /// Only the visits of this resident, household, dwelling or organisation.
    pub subject: Option<(VisitSubject, i64)>,
    /// Any of these kinds; every kind when empty.
    pub kinds: Vec<VisitKind>,
    pub from: Option<DateTime<Utc>>,
    pub before: Option<DateTime<Utc>>,
}

/// The visits the caller may read, in `order`.
pub async fn list(
    access: &Access,
    filter: &VisitFilter,
    order: Order<visit::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<visit::Model>> {
    access.caller()?;
    let scope = access.scope(Object::Visit, Action::Read);
    let mut condition = Condition::all().add(in_scope(visit::Column::GridCode, &scope));
    if let Some(area) = &filter.within {
        condition = condition.add(within(visit::Column::GridCode, area));
    }
    if let Some((kind, id)) = filter.subject {
        condition = condition
            .add(visit::Column::SubjectKind.eq(kind))
            .add(visit::Column::SubjectId.eq(id));
    }
    if !filter.kinds.is_empty() {
        condition = condition.add(visit::Column::Kind.is_in(filter.kinds.clone()));
    }
    if let Some(from) = filter.from {
        condition = condition.add(visit::Column::VisitedAt.gte(from));
    }
    if let Some(before) = filter.before {
        condition = condition.add(visit::Column::VisitedAt.lt(before));
    }
    let select = visit::Entity::find().filter(condition);
    keyset(access.db(), select, visit::Column::Id, order, request).await
}

/// One visit, if the caller may read it.
pub async fn find(access: &Access, id: i64) -> ApiResult<Option<visit::Model>> {
    access.caller()?;
    let scope = access.scope(Object::Visit, Action::Read);
    Ok(visit::Entity::find_by_id(id)
        .filter(in_scope(visit::Column::GridCode, &scope))
        .one(access.db())
        .await?)
}

/// Whom to visit.
#[derive(Debug, Clone, Default)]
pub struct DueFilter {
    pub within: Option<AreaCode>,
    /// Only people with any of these flags; every scheduled flag when empty.
    pub care_flags: Vec<CareFlag>,
}

/// The active residents the caller keeps the record of whose care flags
/// call for a visit and who have not had one within the flag's interval
/// (`SCHEDULE`): a worker's round for today. Only where the caller may see
/// care flags, since the list itself tells them.
pub async fn due(
    access: &Access,
    filter: &DueFilter,
    order: Order<resident::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<resident::Model>> {
    access.caller()?;
    let scopes = access.residents();
    let visiting = access.scope(Object::Visit, Action::Write);
    let now = Utc::now();
    let mut overdue = Condition::any();
    for (flag, days) in SCHEDULE {
        if !filter.care_flags.is_empty() && !filter.care_flags.contains(&flag) {
            continue;
        }
        // Only visits made in the resident's present grid count: a visit in
        // the grid they came from is that grid's record, and must not show
        // through this list.
        let seen_lately = Query::select()
            .expr(Expr::val(1))
            .from(visit::Entity)
            .and_where(visit::Column::SubjectKind.eq(VisitSubject::Resident))
            .and_where(
                Expr::col((visit::Entity, visit::Column::SubjectId))
                    .equals((resident::Entity, resident::Column::Id)),
            )
            .and_where(
                Expr::col((visit::Entity, visit::Column::GridCode))
                    .equals((resident::Entity, resident::Column::GridCode)),
            )
            .and_where(visit::Column::VisitedAt.gte(now - Duration::days(days)))
            .to_owned();
        overdue = overdue.add(
            Condition::all()
                .add(
                    Expr::col(resident::Column::CareFlags)
                        .bit_and(flag.bit())
                        .ne(0),
                )
                .add(Expr::exists(seen_lately).not()),
        );
    }
    let mut condition = Condition::all()
        .add(in_scope(resident::Column::GridCode, &scopes.read))
        .add(in_scope(resident::Column::GridCode, &scopes.care_flags))
        .add(in_scope(resident::Column::GridCode, &visiting))
        .add(resident::Column::Status.eq(ResidentStatus::Active))
        .add(overdue);
    if let Some(area) = &filter.within {
        condition = condition.add(within(resident::Column::GridCode, area));
    }
    let select = resident::Entity::find().filter(condition);
    keyset(access.db(), select, resident::Column::Id, order, request).await
}
