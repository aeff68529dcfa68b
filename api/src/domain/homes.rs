//! Households, dwellings, buildings and organisations: keyset-paged lists
//! within the caller's scope, with the filters the command centre uses.

use chrono::Utc;
use entities::building::BuildingUse;
use entities::dwelling::Occupancy;
use entities::household::HouseholdKind;
use entities::organisation::OrganisationKind;
use entities::{building, dwelling, household, organisation};
use std::collections::HashMap;

use policies::{Action, AreaCode, Object};
use sea_orm::ColumnTrait;
use sea_orm::sea_query::Condition;

use crate::domain::access::Access;
use crate::domain::page::{Listing, PageRequest};
use crate::domain::scoped::{self, Order, page_by};
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

fn inside<C: ColumnTrait + Copy>(column: C, area: Option<&AreaCode>) -> Condition {
    match area {
        Some(area) => within(column, area),
        None => Condition::all(),
    }
}

/// Which households to list.
#[derive(Debug, Clone, Default)]
pub struct HouseholdFilter {
    pub within: Option<AreaCode>,
    pub kind: Option<HouseholdKind>,
}

pub async fn households(
    access: &Access,
    filter: &HouseholdFilter,
    order: Order<household::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<household::Model>> {
    let mut condition = inside(household::Column::GridCode, filter.within.as_ref());
    if let Some(kind) = filter.kind {
        condition = condition.add(household::Column::Kind.eq(kind));
    }
    page_by::<household::Entity>(
        access.db(),
        &access.scope(Object::Household, Action::Read),
        household::Column::GridCode,
        household::Column::Id,
        order,
        condition,
        request,
    )
    .await
}

/// Which dwellings to list.
#[derive(Debug, Clone, Default)]
pub struct DwellingFilter {
    pub within: Option<AreaCode>,
    pub occupancy: Option<Occupancy>,
    pub building: Option<i64>,
}

pub async fn dwellings(
    access: &Access,
    filter: &DwellingFilter,
    order: Order<dwelling::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<dwelling::Model>> {
    let mut condition = inside(dwelling::Column::GridCode, filter.within.as_ref());
    if let Some(occupancy) = filter.occupancy {
        condition = condition.add(dwelling::Column::Occupancy.eq(occupancy));
    }
    if let Some(building) = filter.building {
        condition = condition.add(dwelling::Column::BuildingId.eq(building));
    }
    page_by::<dwelling::Entity>(
        access.db(),
        &access.scope(Object::Dwelling, Action::Read),
        dwelling::Column::GridCode,
        dwelling::Column::Id,
        order,
        condition,
        request,
    )
    .await
}

/// Which buildings to list.
#[derive(Debug, Clone, Default)]
pub struct BuildingFilter {
    pub within: Option<AreaCode>,
    pub use_kind: Option<BuildingUse>,
}

pub async fn buildings(
    access: &Access,
    filter: &BuildingFilter,
    order: Order<building::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<building::Model>> {
    let mut condition = inside(building::Column::GridCode, filter.within.as_ref());
    if let Some(use_kind) = filter.use_kind {
        condition = condition.add(building::Column::UseKind.eq(use_kind));
    }
    page_by::<building::Entity>(
        access.db(),
        &access.scope(Object::Building, Action::Read),
        building::Column::GridCode,
        building::Column::Id,
        order,
        condition,
        request,
    )
    .await
}

/// Which organisations to list.
#[derive(Debug, Clone, Default)]
pub struct OrganisationFilter {
    pub within: Option<AreaCode>,
    pub licence: Option<LicenceState>,
    pub kind: Option<OrganisationKind>,
}

pub async fn organisations(
    access: &Access,
    filter: &OrganisationFilter,
    order: Order<organisation::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<organisation::Model>> {
    let mut condition = inside(organisation::Column::GridCode, filter.within.as_ref());
    if let Some(licence) = filter.licence {
        condition = condition.add(licence.condition());
    }
    if let Some(kind) = filter.kind {
        condition = condition.add(organisation::Column::Kind.eq(kind));
    }
    page_by::<organisation::Entity>(
        access.db(),
        &access.scope(Object::Organisation, Action::Read),
        organisation::Column::GridCode,
        organisation::Column::Id,
        order,
        condition,
        request,
    )
    .await
}

/// Rows of `E` by id that the caller may see, under `object`'s read scope.
async fn by_ids<E>(
    access: &Access,
    object: Object,
    id: E::Column,
    grid: E::Column,
    ids: &[i64],
) -> ApiResult<HashMap<i64, E::Model>>
where
    E: sea_orm::EntityTrait,
    E::Column: Copy,
{
    scoped::by_ids::<E>(
        access.planned_once(),
        &access.scope(object, Action::Read),
        id,
        grid,
        ids,
    )
    .await
}

pub async fn households_by_ids(
    access: &Access,
    ids: &[i64],
) -> ApiResult<HashMap<i64, household::Model>> {
    by_ids::<household::Entity>(
        access,
        Object::Household,
        household::Column::Id,
        household::Column::GridCode,
        ids,
    )
    .await
}

pub async fn dwellings_by_ids(
    access: &Access,
    ids: &[i64],
) -> ApiResult<HashMap<i64, dwelling::Model>> {
    by_ids::<dwelling::Entity>(
        access,
        Object::Dwelling,
        dwelling::Column::Id,
        dwelling::Column::GridCode,
        ids,
    )
    .await
}

pub async fn buildings_by_ids(
    access: &Access,
    ids: &[i64],
) -> ApiResult<HashMap<i64, building::Model>> {
    by_ids::<building::Entity>(
        access,
        Object::Building,
        building::Column::Id,
        building::Column::GridCode,
        ids,
    )
    .await
}

pub async fn organisations_by_ids(
    access: &Access,
    ids: &[i64],
) -> ApiResult<HashMap<i64, organisation::Model>> {
    by_ids::<organisation::Entity>(
        access,
        Object::Organisation,
        organisation::Column::Id,
        organisation::Column::GridCode,
        ids,
    )
    .await
}

/// The dwellings the caller may see of each of these buildings.
pub async fn dwellings_of(
    access: &Access,
    buildings: &[i64],
) -> ApiResult<HashMap<i64, Vec<dwelling::Model>>> {
    scoped::by_parents::<dwelling::Entity>(
        access.planned_once(),
        &access.scope(Object::Dwelling, Action::Read),
        dwelling::Column::BuildingId,
        dwelling::Column::GridCode,
        dwelling::Column::Id,
        buildings,
    )
    .await
}

/// The buildings the caller may see of each of these grids, by code.
pub async fn buildings_of(
    access: &Access,
    grids: &[String],
) -> ApiResult<HashMap<String, Vec<building::Model>>> {
    scoped::by_grids::<building::Entity>(
        access.planned_once(),
        &access.scope(Object::Building, Action::Read),
        building::Column::GridCode,
        building::Column::Code,
        grids,
    )
    .await
}
