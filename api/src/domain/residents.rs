//! Residents: the list a caller may see, filtered and keyset-paged by
//! (grid, id), with filters on protected fields confined to where the caller
//! may see those fields.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate, Utc};
use entities::resident::{self, CareFlag, PopulationType, ResidentStatus, Sex, Verification};
use policies::{Allow, AreaCode};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::domain::access::Access;
use crate::domain::documents;
use crate::domain::page::{Listing, PageRequest};
use crate::domain::resident_columns::{self, ResidentColumns};
use crate::domain::resident_joins::{Joined, Joins};
use crate::domain::scoped::{self, Fetch};
use crate::domain::within::{in_scope, within};
use crate::error::{ApiError, ApiResult};
use crate::events::SharedRead;

pub const RESIDENT_CURSOR: &str = "resident";

/// Which residents to list; every part is optional and they combine with AND.
#[derive(Debug, Clone, Default)]
pub struct ResidentFilter {
    /// Names starting with this text.
    pub name_prefix: Option<String>,
    /// Exactly this ID number.
    pub id_number: Option<String>,
    pub sex: Option<Sex>,
    /// Age in whole years, inclusive bounds.
    pub min_age: Option<u32>,
    pub max_age: Option<u32>,
    pub population_type: Option<PopulationType>,
    /// Any of these states; every state when empty.
    pub states: Vec<ResidentStatus>,
    /// Residents with any of these flags.
    pub care_flags: Vec<CareFlag>,
    pub within: Option<AreaCode>,
    pub household_id: Option<i64>,
    pub dwelling_id: Option<i64>,
    /// ISO 3166-1 alpha-3, checked.
    pub nationality: Option<String>,
    /// Residence permits or visas running out before this day.
    pub permit_expires_before: Option<NaiveDate>,
    /// Any of these stages of the police's comparison; all when empty.
    pub verifications: Vec<Verification>,
}

/// The birth dates of people aged `min..=max` on `today`.
fn birth_date_range(
    min: Option<u32>,
    max: Option<u32>,
    today: NaiveDate,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let years_ago = |years: u32| today.checked_sub_months(Months::new(years * 12));
    // Born on or before this day: at least `min` years old.
    let latest = min.and_then(years_ago);
    // Born after this day: at most `max` years old.
    let earliest_exclusive = max.and_then(|max| years_ago(max + 1));
    (earliest_exclusive, latest)
}

/// A page of residents, and the relations read with it.
pub struct ResidentPage {
    pub listing: Listing<resident::Model>,
    pub joined: Joined,
}

/// A page of the residents the caller may see, each row read for
/// `columns` only, with the relations `joins` names read by the same
/// statement.
pub async fn list(
    access: &Access,
    filter: &ResidentFilter,
    order: scoped::Order<resident::Column>,
    request: &PageRequest,
    columns: ResidentColumns,
    joins: Joins,
) -> ApiResult<ResidentPage> {
    access.caller()?;
    let scopes = access.residents();
    let mut condition = Condition::all();
    if let Some(prefix) = &filter.name_prefix {
        let escaped = prefix
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        condition = condition.add(
            Expr::col(resident::Column::Name.as_column_ref())
                .like(sea_orm::sea_query::LikeExpr::new(format!("{escaped}%")).escape('\\')),
        );
    }
    if let Some(raw) = &filter.id_number {
        condition = condition
            .add(resident::Column::IdNumber.eq(documents::lookup_number("idNumber", raw)?))
            // No oracle: only where the caller sees ID numbers in full.
            .add(in_scope(
                resident::Column::GridCode,
                scopes.id_number_full(),
            ));
    }
    if let Some(sex) = filter.sex {
        condition = condition.add(resident::Column::Sex.eq(sex));
    }
    if let (Some(min), Some(max)) = (filter.min_age, filter.max_age)
        && min > max
    {
        return Err(ApiError::bad_input("minAge", "must not exceed maxAge"));
    }
    let today = Utc::now().date_naive();
    let (after, on_or_before) = birth_date_range(filter.min_age, filter.max_age, today);
    if let Some(after) = after {
        condition = condition.add(resident::Column::BirthDate.gt(after));
    }
    if let Some(latest) = on_or_before {
        condition = condition.add(resident::Column::BirthDate.lte(latest));
    }
    if let Some(kind) = filter.population_type {
        condition = condition.add(resident::Column::PopulationType.eq(kind));
    }
    if !filter.states.is_empty() {
        condition = condition.add(resident::Column::Status.is_in(filter.states.clone()));
    }
    if !filter.care_flags.is_empty() {
        let bits = filter
            .care_flags
            .iter()
            .fold(0, |bits, flag| bits | flag.bit());
        condition = condition
            .add(
                Expr::col(resident::Column::CareFlags.as_column_ref())
                    .bit_and(bits)
                    .ne(0),
            )
            // No oracle: only where the caller may see care flags.
            .add(in_scope(resident::Column::GridCode, &scopes.care_flags));
    }
    if let Some(area) = &filter.within {
        condition = condition.add(within(resident::Column::GridCode, area));
    }
    if let Some(household) = filter.household_id {
        condition = condition.add(resident::Column::HouseholdId.eq(household));
    }
    if let Some(dwelling) = filter.dwelling_id {
        condition = condition.add(resident::Column::DwellingId.eq(dwelling));
    }
    if let Some(nationality) = &filter.nationality {
        condition = condition.add(resident::Column::Nationality.eq(nationality.as_str()));
    }
    if let Some(day) = filter.permit_expires_before {
        condition = condition.add(resident::Column::PermitExpiresOn.lt(day));
    }
    if !filter.verifications.is_empty() {
        condition =
            condition.add(resident::Column::Verification.is_in(filter.verifications.clone()));
    }

    let fetch = match &columns {
        ResidentColumns::All => Fetch::Whole,
        ResidentColumns::Only(columns) => Fetch::Columns(columns, resident_columns::decode),
    };
    let join = joins.any().then(|| joins.join(access));
    // With no filter, in grid order, and a scope of one range (the city,
    // or one area with or without carve-outs), the page is a walk of the
    // index on (grid, id) from where the range starts, whatever its size;
    // its joins are lookups by id, and its count (when asked) an
    // index-only scan of the range: one plan serves every caller (the
    // generic plans are `EXPLAIN`ed in BENCHMARKS.md). A filter, another
    // order or a scope of several areas may want another plan for a grid
    // than for the city. An equality on a key (an ID number, which is
    // unique; a household; a dwelling) finds its handful of rows by the
    // key's index whatever the scope and the other filters: planning it
    // anew cost more than running it (0.12-0.20 ms against 0.02 ms, the
    // more the scope's ranges, so that a narrow caller paid more than the
    // admin).
    let one_range = match &scopes.read.allow {
        Allow::Everywhere => true,
        Allow::Within(areas) => areas.len() == 1,
        Allow::Nowhere => false,
    };
    let by_key =
        filter.id_number.is_some() || filter.household_id.is_some() || filter.dwelling_id.is_some();
    let db = if by_key
        || (one_range && condition.is_empty() && matches!(order.column, resident::Column::GridCode))
    {
        access.planned_once()
    } else {
        access.db()
    };
    let read = scoped::page_fetching::<resident::Entity>(
        db,
        &scopes.read,
        resident::Column::GridCode,
        resident::Column::Id,
        order,
        condition,
        request,
        fetch,
        join,
    )
    .await?;
    Ok(ResidentPage {
        joined: joins.read(&read.rows)?,
        listing: read.listing,
    })
}

/// The resident a live event names (moved in the verification loop, or
/// joined the record), for a subscriber who may read them inside `within`:
/// read once for every subscriber of the replica (`shared`), each checking
/// it against their own scope in memory.
pub async fn heard(
    access: &Access,
    shared: &SharedRead,
    id: i64,
    grid: &str,
    within: Option<&AreaCode>,
) -> ApiResult<Option<resident::Model>> {
    let scopes = access.residents();
    let inside = within.is_none_or(|area| area.contains_raw(grid));
    if !inside || !scopes.read.contains(grid) {
        return Ok(None);
    }
    let row = shared
        .get_or_read(|| async { Ok(resident::Entity::find_by_id(id).one(access.db()).await?) })
        .await?;
    // What `find` asks of the row in SQL, asked of the row as read.
    Ok(row
        .filter(|row| scopes.read.contains(&row.grid_code))
        .map(|row| (*row).clone()))
}

/// One resident, if the caller may see them.
pub async fn find(access: &Access, id: i64) -> ApiResult<Option<resident::Model>> {
    Ok(resident::Entity::find_by_id(id)
        .filter(in_scope(
            resident::Column::GridCode,
            &access.residents().read,
        ))
        .one(access.planned_once())
        .await?)
}

/// The residents with these ids the caller may see.
pub async fn by_ids(access: &Access, ids: &[i64]) -> ApiResult<HashMap<i64, resident::Model>> {
    scoped::by_ids::<resident::Entity>(
        access.planned_once(),
        &access.residents().read,
        resident::Column::Id,
        resident::Column::GridCode,
        ids,
    )
    .await
}

/// The members the caller may see of each of these households, by id.
pub async fn members_of(
    access: &Access,
    households: &[i64],
) -> ApiResult<HashMap<i64, Vec<resident::Model>>> {
    grouped_by(access, resident::Column::HouseholdId, households).await
}

/// The people the caller may see living in each of these dwellings.
pub async fn occupants_of(
    access: &Access,
    dwellings: &[i64],
) -> ApiResult<HashMap<i64, Vec<resident::Model>>> {
    grouped_by(access, resident::Column::DwellingId, dwellings).await
}

async fn grouped_by(
    access: &Access,
    parent: resident::Column,
    parents: &[i64],
) -> ApiResult<HashMap<i64, Vec<resident::Model>>> {
    scoped::by_parents::<resident::Entity>(
        access.planned_once(),
        &access.residents().read,
        parent,
        resident::Column::GridCode,
        resident::Column::Id,
        parents,
    )
    .await
}

/// Age in whole years on `today`.
pub fn age(birth_date: NaiveDate, today: NaiveDate) -> i32 {
    let mut age = today.year() - birth_date.year();
    if (today.month(), today.day()) < (birth_date.month(), birth_date.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn ages_turn_on_birthdays() {
        let today = day(2026, 11, 26);
        assert_eq!(age(day(2000, 11, 26), today), 26);
        assert_eq!(age(day(2000, 11, 27), today), 25);
    }

    #[test]
    fn age_bounds_become_birth_date_bounds() {
        let today = day(2026, 11, 26);
        let (after, latest) = birth_date_range(Some(18), Some(34), today);
        assert_eq!(latest, Some(day(2008, 11, 26)));
        assert_eq!(after, Some(day(1991, 11, 26)));
        // Someone born 1991-11-27 is 34: inside. Born 1991-11-26: 35, outside.
        assert_eq!(age(day(1991, 11, 27), today), 34);
        assert_eq!(age(day(1991, 11, 26), today), 35);
    }
}
