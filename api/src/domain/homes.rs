//! Households, dwellings, buildings and organisations: keyset-paged lists
//! within the caller's scope, with the filters the command centre uses.

use chrono::Utc;
use entities::dwelling::Occupancy;
use entities::organisation::OrganisationKind;
use entities::{building, dwelling, household, organisation};
use policies::{AreaCode, Scope};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, DatabaseConnection};

use crate::domain::page::{Listing, PageRequest};
use crate::domain::scoped::{Order, page_by};
use crate::domain::within::within;
use crate::error::ApiResult;

pub const HOUSEHOLD_CURSOR: &str = "household";
pub const DWELLING_CURSOR: &str = "dwelling";
pub const BUILDING_CURSOR: &str = "building";
pub const ORGANISATION_CURSOR: &str = "organisation";

/// Where an organisation's business licence stands today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenceState {
    Valid,
    Expired,
    None,
}

impl LicenceState {
    pub fn of(row: &organisation::Model) -> LicenceState {
        match (&row.licence_number, row.licence_expires_on) {
            (None, _) => LicenceState::None,
            (Some(_), Some(expires)) if expires < Utc::now().date_naive() => LicenceState::Expired,
            (Some(_), _) => LicenceState::Valid,
        }
    }

    fn condition(self) -> Condition {
        let today = Utc::now().date_naive();
        match self {
            LicenceState::None => {
                Condition::all().add(organisation::Column::LicenceNumber.is_null())
            }
            LicenceState::Expired => Condition::all()
                .add(organisation::Column::LicenceNumber.is_not_null())
                .add(organisation::Column::LicenceExpiresOn.lt(today)),
            LicenceState::Valid => Condition::all()
                .add(organisation::Column::LicenceNumber.is_not_null())
                .add(
                    Condition::any()
                        .add(organisation::Column::LicenceExpiresOn.is_null())
                        .add(organisation::Column::LicenceExpiresOn.gte(today)),
                ),
        }
    }
}

/// Grid by grid, the order every list has unless asked otherwise.
pub fn by_grid<C>(grid: C) -> Order<C> {
    Order {
        column: grid,
        descending: false,
    }
}

/// The cursor kind of a list in an ordering: a cursor of one ordering is
/// refused by another.
pub fn cursor_kind(list: &str, sort: Option<(&str, bool)>) -> String {
    match sort {
        None => list.to_owned(),
        Some((column, descending)) => {
            format!(
                "{list}.{column}.{}",
                if descending { "desc" } else { "asc" }
            )
        }
    }
}

fn inside<C: ColumnTrait + Copy>(column: C, area: Option<&AreaCode>) -> Condition {
    match area {
        Some(area) => within(column, area),
        None => Condition::all(),
    }
}

pub async fn households(
    db: &DatabaseConnection,
    scope: &Scope,
    area: Option<&AreaCode>,
    order: Order<household::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<household::Model>> {
    let condition = inside(household::Column::GridCode, area);
    page_by::<household::Entity>(
        db,
        scope,
        household::Column::GridCode,
        household::Column::Id,
        order,
        condition,
        request,
    )
    .await
}

pub async fn dwellings(
    db: &DatabaseConnection,
    scope: &Scope,
    area: Option<&AreaCode>,
    occupancy: Option<Occupancy>,
    request: &PageRequest,
) -> ApiResult<Listing<dwelling::Model>> {
    let mut condition = inside(dwelling::Column::GridCode, area);
    if let Some(occupancy) = occupancy {
        condition = condition.add(dwelling::Column::Occupancy.eq(occupancy));
    }
    page_by::<dwelling::Entity>(
        db,
        scope,
        dwelling::Column::GridCode,
        dwelling::Column::Id,
        by_grid(dwelling::Column::GridCode),
        condition,
        request,
    )
    .await
}

pub async fn buildings(
    db: &DatabaseConnection,
    scope: &Scope,
    area: Option<&AreaCode>,
    order: Order<building::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<building::Model>> {
    let condition = inside(building::Column::GridCode, area);
    page_by::<building::Entity>(
        db,
        scope,
        building::Column::GridCode,
        building::Column::Id,
        order,
        condition,
        request,
    )
    .await
}

pub async fn organisations(
    db: &DatabaseConnection,
    scope: &Scope,
    area: Option<&AreaCode>,
    licence: Option<LicenceState>,
    kind: Option<OrganisationKind>,
    order: Order<organisation::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<organisation::Model>> {
    let mut condition = inside(organisation::Column::GridCode, area);
    if let Some(licence) = licence {
        condition = condition.add(licence.condition());
    }
    if let Some(kind) = kind {
        condition = condition.add(organisation::Column::Kind.eq(kind));
    }
    page_by::<organisation::Entity>(
        db,
        scope,
        organisation::Column::GridCode,
        organisation::Column::Id,
        order,
        condition,
        request,
    )
    .await
}
