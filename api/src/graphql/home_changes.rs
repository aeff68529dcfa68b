//! Mutations of households, buildings, dwellings and organisations. Each is
//! one transaction with its audit row; a stale `version` is CONFLICT.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use chrono::NaiveDate;

use super::ContextExt;
use super::inputs::{patch, patch_key};
use super::record::{
    Building, BuildingUse, Dwelling, Household, HouseholdKind, Occupancy, Organisation,
    OrganisationKind,
};
use super::relay::{NodeKind, key_of};
use crate::domain::writes::Patch;
use crate::domain::writes::homes::{
    self as changes, BuildingFields, DwellingFields, HouseholdChange, NewHousehold,
    OrganisationFields,
};

#[derive(InputObject)]
pub struct CreateHouseholdInput {
    /// The registration number (户号); the grid's next free one when left out.
    number: Option<String>,
    /// The household's grid; may be left out when `dwellingId` is given.
    grid_code: Option<String>,
    dwelling_id: Option<ID>,
    kind: Option<HouseholdKind>,
    address: String,
}

/// Changes to a household; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateHouseholdInput {
    kind: Option<HouseholdKind>,
    address: Option<String>,
    /// A dwelling in the household's grid, or null for none.
    dwelling_id: MaybeUndefined<ID>,
    /// A new head: an active member. The old head stays a member, with the
    /// relation `OTHER` until corrected.
    head_resident_id: Option<ID>,
}

#[derive(InputObject)]
pub struct CreateBuildingInput {
    /// The building's code is this grid's code and its next free 5-digit number.
    grid_code: String,
    name: String,
    address: String,
    /// Defaults to `RESIDENTIAL`.
    use_kind: Option<BuildingUse>,
    floors: i32,
    /// Defaults to 1.
    units: Option<i32>,
}

#[derive(InputObject)]
pub struct UpdateBuildingInput {
    name: Option<String>,
    address: Option<String>,
    use_kind: Option<BuildingUse>,
    /// Not below the highest floor a dwelling is recorded on.
    floors: Option<i32>,
    /// Not below the highest unit a dwelling is recorded in.
    units: Option<i32>,
}

#[derive(InputObject)]
pub struct CreateDwellingInput {
    /// The dwelling's grid is its building's.
    building_id: ID,
    /// 1 up to the building's units; defaults to 1.
    unit: Option<i32>,
    /// 1 up to the building's floors, or a basement from -1 down to -5.
    floor: i32,
    /// Unique within the unit.
    room: String,
    area_sqm: Option<i32>,
    /// Defaults to `VACANT`.
    occupancy: Option<Occupancy>,
    /// Required when `RENTED`, refused otherwise.
    lessor_name: Option<String>,
    lessor_phone: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateDwellingInput {
    unit: Option<i32>,
    floor: Option<i32>,
    room: Option<String>,
    area_sqm: MaybeUndefined<i32>,
    /// Leaving `RENTED` drops the lessor; entering it needs one.
    occupancy: Option<Occupancy>,
    lessor_name: MaybeUndefined<String>,
    lessor_phone: MaybeUndefined<String>,
}

#[derive(InputObject)]
pub struct CreateOrganisationInput {
    name: String,
    kind: OrganisationKind,
    /// May be left out when `buildingId` is given, which decides it.
    grid_code: Option<String>,
    building_id: Option<ID>,
    address: String,
    legal_representative: String,
    phone: Option<String>,
    /// The unified social credit code; none for a business trading without.
    licence_number: Option<String>,
    /// Needs `licenceNumber`.
    licence_expires_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct UpdateOrganisationInput {
    name: Option<String>,
    kind: Option<OrganisationKind>,
    address: Option<String>,
    legal_representative: Option<String>,
    phone: MaybeUndefined<String>,
    /// A building in the organisation's grid, or null for none.
    building_id: MaybeUndefined<ID>,
    /// Null records that the business trades without a licence (and drops
    /// the expiry).
    licence_number: MaybeUndefined<String>,
    licence_expires_on: MaybeUndefined<NaiveDate>,
}

fn given<T>(value: Option<T>) -> Patch<T> {
    value.map_or(Patch::Keep, Patch::Set)
}

#[derive(Default)]
pub struct HomeChanges;

#[Object]
impl HomeChanges {
    /// Opens a household; its head is the first member registered with
    /// relation `HEAD`.
    async fn create_household(
        &self,
        ctx: &Context<'_>,
        input: CreateHouseholdInput,
    ) -> Result<Household> {
        let new = NewHousehold {
            number: input.number,
            grid_code: input.grid_code,
            dwelling_id: input
                .dwelling_id
                .map(|id| key_of("dwellingId", &id, NodeKind::Dwelling))
                .transpose()?,
            kind: input
                .kind
                .map_or(entities::household::HouseholdKind::Family, Into::into),
            address: input.address,
        };
        Ok(Household(
            changes::create_household(ctx.access()?, new).await?,
        ))
    }

    /// Changes a household as read at `version`.
    async fn update_household(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        input: UpdateHouseholdInput,
    ) -> Result<Household> {
        let change = HouseholdChange {
            kind: input.kind.map(Into::into),
            address: input.address,
            dwelling_id: patch_key("dwellingId", input.dwelling_id, NodeKind::Dwelling)?,
            head_resident_id: input
                .head_resident_id
                .map(|id| key_of("headResidentId", &id, NodeKind::Resident))
                .transpose()?,
        };
        let id = key_of("id", &id, NodeKind::Household)?;
        Ok(Household(
            changes::update_household(ctx.access()?, id, version, change).await?,
        ))
    }

    async fn create_building(
        &self,
        ctx: &Context<'_>,
        input: CreateBuildingInput,
    ) -> Result<Building> {
        let fields = BuildingFields {
            name: Some(input.name),
            address: Some(input.address),
            use_kind: input.use_kind.map(Into::into),
            floors: Some(input.floors),
            units: input.units,
        };
        Ok(Building(
            changes::create_building(ctx.access()?, &input.grid_code, fields).await?,
        ))
    }

    /// Changes a building as read at `version`.
    async fn update_building(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        input: UpdateBuildingInput,
    ) -> Result<Building> {
        let fields = BuildingFields {
            name: input.name,
            address: input.address,
            use_kind: input.use_kind.map(Into::into),
            floors: input.floors,
            units: input.units,
        };
        let id = key_of("id", &id, NodeKind::Building)?;
        Ok(Building(
            changes::update_building(ctx.access()?, id, version, fields).await?,
        ))
    }

    async fn create_dwelling(
        &self,
        ctx: &Context<'_>,
        input: CreateDwellingInput,
    ) -> Result<Dwelling> {
        let building = key_of("buildingId", &input.building_id, NodeKind::Building)?;
        let fields = DwellingFields {
            unit: input.unit,
            floor: Some(input.floor),
            room: Some(input.room),
            area_sqm: given(input.area_sqm),
            occupancy: input.occupancy.map(Into::into),
            lessor_name: given(input.lessor_name),
            lessor_phone: given(input.lessor_phone),
        };
        Ok(Dwelling(
            changes::create_dwelling(ctx.access()?, building, fields).await?,
        ))
    }

    /// Changes a dwelling as read at `version`; the colour of the dwelling
    /// table is its `occupancy`.
    async fn update_dwelling(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        input: UpdateDwellingInput,
    ) -> Result<Dwelling> {
        let fields = DwellingFields {
            unit: input.unit,
            floor: input.floor,
            room: input.room,
            area_sqm: patch(input.area_sqm, |sqm| sqm),
            occupancy: input.occupancy.map(Into::into),
            lessor_name: patch(input.lessor_name, |name| name),
            lessor_phone: patch(input.lessor_phone, |phone| phone),
        };
        let id = key_of("id", &id, NodeKind::Dwelling)?;
        Ok(Dwelling(
            changes::update_dwelling(ctx.access()?, id, version, fields).await?,
        ))
    }

    async fn create_organisation(
        &self,
        ctx: &Context<'_>,
        input: CreateOrganisationInput,
    ) -> Result<Organisation> {
        let building = input
            .building_id
            .map(|id| key_of("buildingId", &id, NodeKind::Building))
            .transpose()?;
        let fields = OrganisationFields {
            name: Some(input.name),
            kind: Some(input.kind.into()),
            address: Some(input.address),
            legal_representative: Some(input.legal_representative),
            phone: given(input.phone),
            building_id: given(building),
            licence_number: given(input.licence_number),
            licence_expires_on: given(input.licence_expires_on),
        };
        Ok(Organisation(
            changes::create_organisation(ctx.access()?, input.grid_code.as_deref(), fields).await?,
        ))
    }

    /// Changes an organisation as read at `version`.
    async fn update_organisation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        input: UpdateOrganisationInput,
    ) -> Result<Organisation> {
        let fields = OrganisationFields {
            name: input.name,
            kind: input.kind.map(Into::into),
            address: input.address,
            legal_representative: input.legal_representative,
            phone: patch(input.phone, |phone| phone),
            building_id: patch_key("buildingId", input.building_id, NodeKind::Building)?,
            licence_number: patch(input.licence_number, |number| number),
            licence_expires_on: patch(input.licence_expires_on, |date| date),
        };
        let id = key_of("id", &id, NodeKind::Organisation)?;
        Ok(Organisation(
            changes::update_organisation(ctx.access()?, id, version, fields).await?,
        ))
    }
}
