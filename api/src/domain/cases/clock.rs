//! A case's clock: the working calendar (weekends, and the holidays and
//! swapped working days stored in `calendar_days`), and the time limit of a
//! subcategory at an urgency.

use chrono::{DateTime, Utc};
use entities::case::Urgency;
use entities::case_time_limit;
use entities::{calendar_day, case_category};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::domain::calendar::{Counting, WorkingCalendar};
use crate::error::{ApiError, ApiResult};

/// The share of a limit after which a case's light turns yellow.
pub const YELLOW_PERCENT: i64 = 80;

pub async fn calendar<C: ConnectionTrait>(db: &C) -> ApiResult<WorkingCalendar> {
    let days = calendar_day::Entity::find().all(db).await?;
    Ok(WorkingCalendar::new(
        days.into_iter().map(|day| (day.day, day.working)),
    ))
}

/// A case's deadline and the moment its light turns yellow.
pub struct Clock {
    pub deadline_at: DateTime<Utc>,
    pub yellow_at: DateTime<Utc>,
}

/// The clock of a case filed at `at` under subcategory `category` with
/// `urgency`. A top class, or a subcategory without a limit, is refused.
pub async fn start<C: ConnectionTrait>(
    db: &C,
    category: &str,
    urgency: Urgency,
    at: DateTime<Utc>,
) -> ApiResult<(case_category::Model, Clock)> {
    let found = case_category::Entity::find_by_id(category)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::missing("categoryCode", "no such category"))?;
    if found.parent_code.is_none() {
        return Err(ApiError::bad_input(
            "categoryCode",
            "file under a subcategory, not a top class",
        ));
    }
    let limit = limit_of(db, category, urgency).await?.ok_or_else(|| {
        ApiError::bad_input(
            "categoryCode",
            "this category has no time limit at that urgency",
        )
    })?;
    let calendar = calendar(db).await?;
    let deadline_at = calendar.add(at, limit.amount, limit.unit);
    let yellow_at =
        calendar.share_counted(Counting::of(limit.unit), at, deadline_at, YELLOW_PERCENT);
    Ok((
        found,
        Clock {
            deadline_at,
            yellow_at,
        },
    ))
}

/// How the clock of a filed case counts: as its limit's unit does.
pub async fn counting_of<C: ConnectionTrait>(
    db: &C,
    row: &entities::case::Model,
) -> ApiResult<Counting> {
    let Some(category) = &row.category_code else {
        return Ok(Counting::WorkingTime);
    };
    let limit = limit_of(db, category, row.urgency).await?;
    Ok(limit.map_or(Counting::WorkingTime, |limit| Counting::of(limit.unit)))
}

/// The time limit of a subcategory at an urgency, if the catalogue has one.
async fn limit_of<C: ConnectionTrait>(
    db: &C,
    category: &str,
    urgency: Urgency,
) -> ApiResult<Option<case_time_limit::Model>> {
    Ok(case_time_limit::Entity::find()
        .filter(case_time_limit::Column::CategoryCode.eq(category))
        .filter(case_time_limit::Column::Urgency.eq(urgency))
        .one(db)
        .await?)
}

/// Records `day` as a holiday (`working: false`) or a swapped working day
/// (`working: true`) for every clock started from now on; `None` removes
/// the exception, so the day follows the week again. Needs `case manage`
/// for the whole city.
pub async fn set_day(
    access: &crate::domain::access::Access,
    day: chrono::NaiveDate,
    working: Option<bool>,
    note: Option<&str>,
) -> ApiResult<Option<calendar_day::Model>> {
    use sea_orm::ActiveModelTrait;
    use sea_orm::ActiveValue::Set;
    access.require_city(policies::Object::Case, policies::Action::Manage)?;
    let w = &access.writer()?;
    let note = crate::domain::writes::fields::optional_text("note", note, 64)?;
    let txn = w.begin().await?;
    let existing = calendar_day::Entity::find_by_id(day).one(&txn).await?;
    let saved = match (working, existing) {
        (None, None) => return Err(ApiError::not_found("calendar day", "day")),
        (None, Some(row)) => {
            calendar_day::Entity::delete_by_id(row.day)
                .exec(&txn)
                .await?;
            None
        }
        (Some(working), existing) => {
            let row = calendar_day::ActiveModel {
                day: Set(day),
                working: Set(working),
                note: Set(note.unwrap_or_default()),
            };
            Some(match existing {
                Some(_) => row.update(&txn).await?,
                None => row.insert(&txn).await?,
            })
        }
    };
    crate::audit::record(
        &txn,
        &w.actor(),
        crate::audit::Entry {
            action: "calendar.set_day",
            object_kind: "calendar_day",
            object_id: Some(day.to_string()),
            area_code: None,
            detail: serde_json::json!({"working": working}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// The exceptions to the week between `from` and `to`, inclusive.
/// The calendar's exceptions between two days (inclusive), at most ten
/// years apart, for anyone signed in.
pub async fn days(
    access: &crate::domain::access::Access,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> ApiResult<Vec<calendar_day::Model>> {
    use sea_orm::QueryOrder;
    access.caller()?;
    if to < from || (to - from).num_days() > 3660 {
        return Err(ApiError::bad_input("to", "from 0 to 10 years after `from`"));
    }
    let db = access.db();
    Ok(calendar_day::Entity::find()
        .filter(calendar_day::Column::Day.gte(from))
        .filter(calendar_day::Column::Day.lte(to))
        .order_by_asc(calendar_day::Column::Day)
        .all(db)
        .await?)
}

/// A category and its time limits per urgency (none for a top class).
#[derive(Clone)]
pub struct CategoryLimits {
    pub category: entities::case_category::Model,
    pub limits: Vec<entities::case_time_limit::Model>,
}

/// The category of `code` with its limits, out of the table read once per
/// access (a page of cases asks for many).
pub async fn category(
    access: &crate::domain::access::Access,
    code: &str,
) -> ApiResult<Option<CategoryLimits>> {
    struct Table(Vec<CategoryLimits>);
    let table = access
        .remember(|| async { Ok(Table(categories(access).await?)) })
        .await?;
    Ok(table
        .0
        .iter()
        .find(|entry| entry.category.code == code)
        .cloned())
}

/// The categories, by code, each with its time limits, for anyone signed in.
pub async fn categories(access: &crate::domain::access::Access) -> ApiResult<Vec<CategoryLimits>> {
    use entities::case_category;
    use sea_orm::QueryOrder;
    access.caller()?;
    let categories = case_category::Entity::find()
        .order_by_asc(case_category::Column::Code)
        .all(access.db())
        .await?;
    let mut limits: std::collections::HashMap<String, Vec<case_time_limit::Model>> =
        std::collections::HashMap::new();
    for limit in case_time_limit::Entity::find().all(access.db()).await? {
        limits
            .entry(limit.category_code.clone())
            .or_default()
            .push(limit);
    }
    Ok(categories
        .into_iter()
        .map(|category| CategoryLimits {
            limits: limits.remove(&category.code).unwrap_or_default(),
            category,
        })
        .collect())
}
