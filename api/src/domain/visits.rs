//! Visits (走访): a grid worker's rounds, recorded against the resident,
//! household, dwelling, building or organisation visited; and the care schedule, which
//! says whom a worker should have seen by now.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entities::resident::{self, CareFlag, ResidentStatus};
use entities::visit::{self, VisitKind, VisitSubject};
use entities::visit_interval;
use policies::{Action, AreaCode, AreaLevel, Object};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult,
    QueryFilter, StatementBuilder,
};
use serde_json::json;

use crate::domain::access::Access;
use crate::domain::page::{Listing, PageRequest};
use crate::domain::scoped::{Order, keyset};
use crate::domain::subjects;
use crate::domain::tasks::rounds;
use crate::domain::within::{in_scope, within};
use crate::domain::writes::fields::text;
use crate::error::{ApiError, ApiResult};

pub const VISIT_CURSOR: &str = "visit";
pub const DUE_CURSOR: &str = "visit.due";

/// How often the people of each care flag are to be visited, in days,
/// unless the city has set another interval: the elderly living alone
/// weekly, the severely mentally ill fortnightly, people under correction
/// or newly released, left-behind children and the disabled monthly, the
/// others quarterly.
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

/// The longest interval a city may set: a year.
pub const MAX_INTERVAL_DAYS: i32 = 365;

/// One flag's interval as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval {
    pub flag: CareFlag,
    pub days: i64,
    /// Set by the city (with its version), or the built-in one.
    pub set: Option<visit_interval::Model>,
}

/// The schedule as it stands, for anyone signed in.
pub async fn schedule(access: &Access) -> ApiResult<Vec<Interval>> {
    access.caller()?;
    intervals(access.db()).await
}

/// The city's intervals over the built-in ones.
async fn intervals<C: ConnectionTrait>(db: &C) -> ApiResult<Vec<Interval>> {
    let set = visit_interval::Entity::find().all(db).await?;
    Ok(SCHEDULE
        .iter()
        .map(|(flag, days)| {
            let set = set.iter().find(|row| row.care_flag == flag.name()).cloned();
            Interval {
                flag: *flag,
                days: set.as_ref().map_or(*days, |row| i64::from(row.days)),
                set,
            }
        })
        .collect())
}

/// Sets how often people of `flag` are visited (`None`: back to the
/// built-in interval), for the whole city, as read at `version` (`None`
/// when the city had not set it); needs `visit manage` there.
pub async fn set_interval(
    access: &Access,
    flag: CareFlag,
    days: Option<i32>,
    version: Option<i32>,
) -> ApiResult<Interval> {
    access.require_city(Object::Visit, Action::Manage)?;
    if let Some(days) = days
        && !(1..=MAX_INTERVAL_DAYS).contains(&days)
    {
        return Err(ApiError::bad_input(
            "days",
            format!("from 1 to {MAX_INTERVAL_DAYS}"),
        ));
    }
    let w = access.writer()?;
    let txn = w.begin().await?;
    let existing = visit_interval::Entity::find_by_id(flag.name().to_owned())
        .one(&txn)
        .await?;
    let stale = || {
        ApiError::conflict(
            "this interval changed since you read it (compare `version`); read it again",
        )
    };
    if existing.as_ref().map(|row| row.version) != version {
        return Err(stale());
    }
    match (days, existing) {
        (None, None) => {}
        (None, Some(row)) => {
            visit_interval::Entity::delete_by_id(row.care_flag)
                .exec(&txn)
                .await?;
        }
        (Some(days), existing) => {
            let version = existing.as_ref().map_or(1, |row| row.version + 1);
            let row = visit_interval::ActiveModel {
                care_flag: Set(flag.name().to_owned()),
                days: Set(days),
                version: Set(version),
                updated_at: Set(Utc::now()),
            };
            match existing {
                Some(_) => row.update(&txn).await?,
                // Two first settings at once: one inserts, the other is stale.
                None => row.insert(&txn).await.map_err(|err| match err.sql_err() {
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => stale(),
                    _ => err.into(),
                })?,
            };
        }
    }
    crate::audit::record(
        &txn,
        &w.actor(),
        crate::audit::Entry {
            action: "visit.set_interval",
            object_kind: "visit_interval",
            object_id: Some(flag.name().to_owned()),
            area_code: None,
            detail: json!({"days": days}),
        },
    )
    .await?;
    let interval = intervals(&txn)
        .await?
        .into_iter()
        .find(|interval| interval.flag == flag)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("{flag:?} is not on the schedule")))?;
    txn.commit().await?;
    Ok(interval)
}

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

/// Records a visit by the caller, with its audit row, in one transaction.
pub async fn record(access: &Access, new: NewVisit) -> ApiResult<visit::Model> {
    let caller = access.caller()?;
    // The visit is recorded in the subject's grid, and read by those who
    // may read visits there.
    let grid = subjects::grids_of(access, access.db(), &[new.subject])
        .await?
        .remove(&new.subject)
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
    let rounds = rounds::count_visit(&txn, &row).await?;
    w.audit(
        &txn,
        "visit.record",
        "visit",
        row.id,
        &grid,
        json!({"subject": {"kind": new.subject.0.to_value(), "id": new.subject.1},
               "kind": new.kind.to_value(), "visited_at": visited_at,
               "assignments": rounds}),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Which visits to list.
#[derive(Debug, Clone, Default)]
pub struct VisitFilter {
    pub within: Option<AreaCode>,
    /// Only the visits of this resident, household, dwelling, building or organisation.
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

/// Residents whose care flags (any of `flags`, every scheduled one when
/// empty) call for a visit they have not had within the flag's interval.
fn overdue(schedule: &[Interval], flags: &[CareFlag], now: DateTime<Utc>) -> Condition {
    let mut overdue = Condition::any();
    for Interval { flag, days, .. } in schedule {
        if !flags.is_empty() && !flags.contains(flag) {
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
            .and_where(visit::Column::VisitedAt.gte(now - Duration::days(*days)))
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
    overdue
}

/// One area's part of the care schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromQueryResult)]
pub struct Roundup {
    pub area_code: String,
    /// Active residents with a scheduled care flag.
    pub scheduled: i64,
    /// Of them, those overdue for a visit.
    pub overdue: i64,
}

/// The care schedule rolled up to each area of `level` inside `within`:
/// how many people are on it and how many are overdue, where the caller
/// reads residents, their care flags and visits (a manager's table of its
/// workers' rounds). One statement.
pub async fn roundup(
    access: &Access,
    within_area: Option<&AreaCode>,
    level: AreaLevel,
) -> ApiResult<Vec<Roundup>> {
    access.caller()?;
    let scopes = access.residents();
    let reading = access.scope(Object::Visit, Action::Read);
    let schedule = intervals(access.db()).await?;
    let scheduled_bits = schedule
        .iter()
        .fold(0, |bits, interval| bits | interval.flag.bit());
    let mut condition = Condition::all()
        .add(in_scope(resident::Column::GridCode, &scopes.read))
        .add(in_scope(resident::Column::GridCode, &scopes.care_flags))
        .add(in_scope(resident::Column::GridCode, &reading))
        .add(resident::Column::Status.eq(ResidentStatus::Active))
        .add(
            Expr::col(resident::Column::CareFlags)
                .bit_and(scheduled_bits)
                .ne(0),
        );
    if let Some(area) = within_area {
        condition = condition.add(within(resident::Column::GridCode, area));
    }
    // The width is written into the text, not bound: PostgreSQL matches a
    // grouped expression to the selected one by its text.
    let area = Expr::cust(format!("SUBSTR(grid_code, 1, {})", level.width()));
    let overdue_count = Expr::case(overdue(&schedule, &[], Utc::now()), 1)
        .finally(0)
        .sum();
    let select = Query::select()
        .expr_as(area.clone(), Alias::new("area_code"))
        .expr_as(
            Expr::col(resident::Column::Id).count(),
            Alias::new("scheduled"),
        )
        .expr_as(
            Func::coalesce([overdue_count, Expr::val(0)]),
            Alias::new("overdue"),
        )
        .from(resident::Entity)
        .cond_where(condition)
        .add_group_by([area.clone()])
        .order_by_expr(area, sea_orm::sea_query::Order::Asc)
        .to_owned();
    let db = access.db();
    let backend = db.get_database_backend();
    Ok(
        Roundup::find_by_statement(StatementBuilder::build(&select, &backend))
            .all(db)
            .await?,
    )
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
    let overdue = overdue(
        &intervals(access.db()).await?,
        &filter.care_flags,
        Utc::now(),
    );
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
