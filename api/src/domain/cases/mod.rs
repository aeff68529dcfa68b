//! Cases: the closed loop from report to evaluation. Who sees which case,
//! its light, and the lists; the transitions live in [`moves`], their table
//! in [`machine`].

pub mod clock;
pub mod indicators;
pub mod lights;
pub mod links;
pub mod machine;
pub mod moves;
pub mod photos;

use chrono::{DateTime, Utc};
use entities::case::{self, CaseState, EscalationLevel};
use entities::{case_category, user};
use std::collections::HashMap;
use std::sync::Arc;

use policies::{Action, AreaCode, AreaLevel, Object, Scope};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use crate::domain::access::Access;
use crate::domain::departments;
use crate::domain::page::{Listing, PageRequest};
use crate::domain::scoped::{self, Order};
use crate::domain::within::{in_scope, within};
use crate::error::ApiResult;
use crate::events::SharedRead;

pub const CASE_CURSOR: &str = "case";

/// The light of an open case with a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Light {
    /// Under 80% of its time limit.
    Green,
    /// From 80% to 100%.
    Yellow,
    /// Beyond its deadline.
    Red,
}

/// The instant a case's clock reads: now, or when its suspension began (the
/// clock stops while a case is suspended).
fn clock_reading(row: &case::Model, now: DateTime<Utc>) -> DateTime<Utc> {
    row.suspended_at.unwrap_or(now)
}

pub fn light(row: &case::Model, now: DateTime<Utc>) -> Option<Light> {
    if !machine::OPEN.contains(&row.state) {
        return None;
    }
    let deadline = row.deadline_at?;
    let at = clock_reading(row, now);
    Some(if at >= deadline {
        Light::Red
    } else if row.yellow_at.is_some_and(|yellow| at >= yellow) {
        Light::Yellow
    } else {
        Light::Green
    })
}

/// The code of the street or district an escalated case went up to: the
/// one its grid lies in; `None` for the city's command centre, or a case
/// never escalated.
pub fn escalated_to_code(row: &case::Model) -> Option<&str> {
    let level = match row.escalated_to? {
        EscalationLevel::Street => AreaLevel::Street,
        EscalationLevel::District => AreaLevel::District,
        EscalationLevel::City => return None,
    };
    row.grid_code.get(..level.width())
}

/// The same rule as [`light`], in SQL.
fn light_condition(light: Light, now: DateTime<Utc>) -> Condition {
    let at = || Func::coalesce([Expr::col(case::Column::SuspendedAt), Expr::val(now)]);
    let open = Condition::all()
        .add(case::Column::State.is_in(machine::OPEN.iter().copied()))
        .add(case::Column::DeadlineAt.is_not_null());
    match light {
        Light::Red => open.add(Expr::col(case::Column::DeadlineAt).lte(at())),
        Light::Yellow => open
            .add(Expr::col(case::Column::DeadlineAt).gt(at()))
            .add(Expr::col(case::Column::YellowAt).lte(at())),
        Light::Green => open.add(Expr::col(case::Column::DeadlineAt).gt(at())).add(
            Condition::any()
                .add(case::Column::YellowAt.is_null())
                .add(Expr::col(case::Column::YellowAt).gt(at())),
        ),
    }
}

/// A department caller's view: the cases dispatched to it, and those of its
/// duties.
#[derive(Debug, Clone)]
pub struct DepartmentView {
    pub id: i64,
    pub duties: Vec<String>,
}

/// Which cases a caller sees: those in their `case read` scope, and for a
/// department only those dispatched to it or of its duties. Lists, counts
/// and single reads all go through this one rule.
#[derive(Debug, Clone)]
pub struct CaseScope {
    pub read: Scope,
    pub department: Option<DepartmentView>,
}

impl CaseScope {
    /// The caller's view of cases, worked out once per access.
    pub async fn of(access: &Access) -> ApiResult<Arc<CaseScope>> {
        access
            .remember(|| async {
                let caller = access.caller()?;
                let read = access.scope(Object::Case, Action::Read);
                let department = departments::acting_for(access.planned_once(), caller)
                    .await?
                    .map(|row| DepartmentView {
                        id: row.id,
                        duties: departments::duties_of(&row),
                    });
                Ok(CaseScope { read, department })
            })
            .await
    }

    pub fn condition(&self) -> Condition {
        let mut condition = Condition::all().add(in_scope(case::Column::GridCode, &self.read));
        if let Some(department) = &self.department {
            let of_duties = Query::select()
                .column(case_category::Column::Code)
                .from(case_category::Entity)
                .and_where(case_category::Column::Duty.is_in(department.duties.clone()))
                .to_owned();
            condition = condition.add(
                Condition::any()
                    .add(case::Column::DepartmentId.eq(department.id))
                    .add(Expr::col(case::Column::CategoryCode).in_subquery(of_duties)),
            );
        }
        condition
    }

    /// Whether the caller sees `row`, whose category has `duty`.
    pub fn admits(&self, row: &case::Model, duty: Option<&str>) -> bool {
        if !self.read.contains(&row.grid_code) {
            return false;
        }
        match &self.department {
            None => true,
            Some(department) => {
                row.department_id == Some(department.id)
                    || duty.is_some_and(|duty| department.duties.iter().any(|d| d == duty))
            }
        }
    }
}

/// Which cases to list; parts combine with AND.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Any of these states.
    pub states: Vec<CaseState>,
    /// A subcategory, or a top class with all its subcategories.
    pub category: Option<String>,
    pub light: Option<Light>,
    pub within: Option<AreaCode>,
    pub department_id: Option<i64>,
    pub reporter_id: Option<i64>,
    /// Open and past the deadline (the red light), or not.
    pub overdue: Option<bool>,
    pub reported_from: Option<DateTime<Utc>>,
    pub reported_before: Option<DateTime<Utc>>,
    /// About this resident, household, dwelling, building or organisation
    /// (for a resident, also the disputes they are a party to).
    pub about: Option<crate::domain::subjects::Subject>,
}

impl CaseFilter {
    fn condition(&self, now: DateTime<Utc>) -> Condition {
        let mut condition = Condition::all();
        if !self.states.is_empty() {
            condition = condition.add(case::Column::State.is_in(self.states.iter().copied()));
        }
        if let Some(category) = &self.category {
            let in_class = Query::select()
                .column(case_category::Column::Code)
                .from(case_category::Entity)
                .cond_where(
                    Condition::any()
                        .add(case_category::Column::Code.eq(category.as_str()))
                        .add(case_category::Column::ParentCode.eq(category.as_str())),
                )
                .to_owned();
            condition = condition.add(Expr::col(case::Column::CategoryCode).in_subquery(in_class));
        }
        if let Some(light) = self.light {
            condition = condition.add(light_condition(light, now));
        }
        if let Some(area) = &self.within {
            condition = condition.add(within(case::Column::GridCode, area));
        }
        if let Some(department) = self.department_id {
            condition = condition.add(case::Column::DepartmentId.eq(department));
        }
        if let Some(reporter) = self.reporter_id {
            condition = condition.add(case::Column::ReporterId.eq(reporter));
        }
        match self.overdue {
            Some(true) => condition = condition.add(light_condition(Light::Red, now)),
            Some(false) => condition = condition.add(light_condition(Light::Red, now).not()),
            None => {}
        }
        if let Some(from) = self.reported_from {
            condition = condition.add(case::Column::CreatedAt.gte(from));
        }
        if let Some(before) = self.reported_before {
            condition = condition.add(case::Column::CreatedAt.lt(before));
        }
        condition
    }
}

/// A page of the cases the caller sees, in `order`.
pub async fn list(
    access: &Access,
    filter: &CaseFilter,
    order: Order<case::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<case::Model>> {
    let scope = CaseScope::of(access).await?;
    let mut select = case::Entity::find()
        .filter(scope.condition())
        .filter(filter.condition(Utc::now()));
    if let Some(subject) = filter.about {
        select = select.filter(links::about(access, subject).await?);
    }
    scoped::keyset(access.db(), select, case::Column::Id, order, request).await
}

/// The duty of a case's category, if it has one.
pub async fn duty_of<C: ConnectionTrait>(db: &C, row: &case::Model) -> ApiResult<Option<String>> {
    let Some(code) = &row.category_code else {
        return Ok(None);
    };
    Ok(case_category::Entity::find_by_id(code.as_str())
        .one(db)
        .await?
        .map(|category| category.duty))
}

/// One case, if the caller sees it.
pub async fn find(access: &Access, id: i64) -> ApiResult<Option<case::Model>> {
    let scope = CaseScope::of(access).await?;
    Ok(case::Entity::find_by_id(id)
        .filter(scope.condition())
        .one(access.planned_once())
        .await?)
}

/// Those of these cases the caller sees, by id.
pub async fn by_ids(access: &Access, ids: &[i64]) -> ApiResult<HashMap<i64, case::Model>> {
    let scope = CaseScope::of(access).await?;
    let db = access.planned_once();
    let rows = scoped::picked::<case::Entity, _>(
        db,
        case::Column::Id.is_in(ids.iter().copied()),
        scope.condition(),
    )
    .all(db)
    .await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// A case that changed in `grid` (as an event says), if the caller sees it
/// and it lies inside `within`: what a live subscriber is sent. The case is
/// read once for every subscriber of the replica (`shared`), each checking
/// it against their own view in memory. The caller's view is taken afresh
/// for each event, so a policy change reaches open subscriptions.
pub async fn changed(
    access: &Access,
    shared: &SharedRead,
    id: i64,
    grid: &str,
    within: Option<&AreaCode>,
) -> ApiResult<Option<case::Model>> {
    let scope = CaseScope::of(access).await?;
    let inside = within.is_none_or(|area| area.contains_raw(grid));
    if !inside || !scope.read.contains(grid) {
        return Ok(None);
    }
    let db = access.db();
    let read = shared
        .get_or_read(|| async {
            let Some(row) = case::Entity::find_by_id(id).one(db).await? else {
                return Ok(None);
            };
            let duty = duty_of(db, &row).await?;
            Ok(Some((row, duty)))
        })
        .await?;
    // What `find` asks of the row in SQL, asked of the row as read.
    Ok(read
        .filter(|read| scope.admits(&read.0, read.1.as_deref()))
        .map(|read| read.0.clone()))
}

/// Rows about cases (steps, photos, subjects, parties) of those of `cases`
/// the caller sees, grouped by case, each group in id order. A read by key:
/// its plan is the same for every caller, so it is made once.
async fn rows_about<E>(
    access: &Access,
    cases: &[i64],
    case_column: E::Column,
    order: E::Column,
    case_of: impl Fn(&E::Model) -> i64,
) -> ApiResult<HashMap<i64, Vec<E::Model>>>
where
    E: EntityTrait,
{
    let scope = CaseScope::of(access).await?;
    let db = access.planned_once();
    let seen = scoped::picked::<case::Entity, _>(
        db,
        case::Column::Id.is_in(cases.iter().copied()),
        scope.condition(),
    )
    .select_only()
    .column(case::Column::Id)
    .into_query();
    let rows = E::find()
        .filter(Expr::col(case_column).in_subquery(seen))
        .order_by_asc(order)
        .all(db)
        .await?;
    let mut grouped: HashMap<i64, Vec<E::Model>> = HashMap::new();
    for row in rows {
        grouped.entry(case_of(&row)).or_default().push(row);
    }
    Ok(grouped)
}

/// The timelines of these cases, those the caller sees, each in order.
pub async fn steps_of(
    access: &Access,
    cases: &[i64],
) -> ApiResult<HashMap<i64, Vec<entities::case_step::Model>>> {
    use entities::case_step;
    rows_about::<case_step::Entity>(
        access,
        cases,
        case_step::Column::CaseId,
        case_step::Column::Id,
        |row| row.case_id,
    )
    .await
}

/// The id of the account called `username`; BAD_USER_INPUT naming `field`
/// when there is none.
pub async fn user_named(access: &Access, field: &str, username: &str) -> ApiResult<i64> {
    access.caller()?;
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(access.db())
        .await?
        .map(|user| user.id)
        .ok_or_else(|| crate::error::ApiError::missing(field, "no such user"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn lights_follow_the_clock_and_stop_while_suspended() {
        let now = Utc::now();
        let filed = now - Duration::hours(10);
        let mut row = case::Model {
            id: 1,
            number: "AJ1".into(),
            title: String::new(),
            description: String::new(),
            state: CaseState::InProgress,
            source: case::CaseSource::GridWorker,
            category_code: Some("D0101".into()),
            urgency: case::Urgency::Normal,
            grid_code: "420502003001001".into(),
            location: String::new(),
            longitude: None,
            latitude: None,
            reporter_id: None,
            reporter_name: None,
            reporter_phone: None,
            department_id: None,
            filed_at: Some(filed),
            deadline_at: Some(now + Duration::hours(1)),
            yellow_at: Some(now - Duration::hours(1)),
            pending_request: None,
            requested_deadline_at: None,
            suspended_at: None,
            closed_at: None,
            rework_count: 0,
            extension_count: 0,
            escalated: false,
            escalated_to: None,
            escalated_at: None,
            supervision: case::Supervision::None,
            urgent_mark: false,
            satisfaction: None,
            version: 1,
            created_at: filed,
            updated_at: filed,
        };
        assert_eq!(light(&row, now), Some(Light::Yellow));
        assert_eq!(light(&row, now + Duration::hours(2)), Some(Light::Red));
        assert_eq!(light(&row, now - Duration::hours(2)), Some(Light::Green));
        row.state = CaseState::Suspended;
        row.suspended_at = Some(now - Duration::hours(2));
        assert_eq!(
            light(&row, now + Duration::hours(100)),
            Some(Light::Green),
            "a suspended case's clock stands still"
        );
        row.state = CaseState::Closed;
        assert_eq!(light(&row, now), None);
    }
}
