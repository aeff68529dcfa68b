//! Mutations of households, buildings, dwellings and organisations. Each is
//! one transaction with its audit row, and answers a payload whose
//! `userErrors` say what the user can put right.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};

use super::ContextExt;
use super::inputs::{optional_key, patch, patch_key};
use super::payload::{HomeUserError, payload};
use super::record::{
    Building, BuildingUse, Dwelling, Household, HouseholdKind, Occupancy, Organisation,
    OrganisationKind,
};
use super::relay::{NodeKind, key_of};
use super::scalars::Date;
use crate::domain::writes::Patch;
use crate::domain::writes::homes::{
    self as changes, BuildingFields, DwellingFields, HouseholdChange, NewHousehold,
    OrganisationFields,
};

/// A household to open.
#[derive(InputObject)]
pub struct CreateHouseholdInput {
    /// The registration number (户号); the grid's next free one when left out.
    number: Option<String>,
    /// The household's grid; may be left out when `dwellingId` is given.
    grid_code: Option<String>,
    /// The dwelling it lives in, if recorded; it decides the grid.
    dwelling_id: Option<ID>,
    /// Defaults to `FAMILY`.
    kind: Option<HouseholdKind>,
    /// The registered address.
    address: String,
}

/// Changes to a household, as read at `version`; fields left out stay as
/// they are.
#[derive(InputObject)]
pub struct UpdateHouseholdInput {
    /// The household to change.
    id: ID,
    /// The `version` the change was made against.
    version: i32,
    /// The corrected kind.
    kind: Option<HouseholdKind>,
    /// The corrected address.
    address: Option<String>,
    /// A dwelling in the household's grid, or null for none.
    dwelling_id: MaybeUndefined<ID>,
    /// A new head: an active member. The old head stays a member, with the
    /// relation `OTHER` until corrected.
    head_resident_id: Option<ID>,
}

/// A building to record in a grid.
#[derive(InputObject)]
pub struct CreateBuildingInput {
    /// The building's code is this grid's code and its next free 5-digit number.
    grid_code: String,
    /// Its name, e.g. 幸福小区3号楼.
    name: String,
    /// Its street address.
    address: String,
    /// Defaults to `RESIDENTIAL`.
    use_kind: Option<BuildingUse>,
    /// Floors above ground, 1 to 200.
    floors: i32,
    /// Defaults to 1.
    units: Option<i32>,
}

/// Changes to a building, as read at `version`; fields left out stay as
/// they are.
#[derive(InputObject)]
pub struct UpdateBuildingInput {
    /// The building to change.
    id: ID,
    /// The `version` the change was made against.
    version: i32,
    /// The corrected name.
    name: Option<String>,
    /// The corrected address.
    address: Option<String>,
    /// The corrected use.
    use_kind: Option<BuildingUse>,
    /// Not below the highest floor a dwelling is recorded on.
    floors: Option<i32>,
    /// Not below the highest unit a dwelling is recorded in.
    units: Option<i32>,
}

/// A dwelling to record in a building.
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
    /// Floor area in square metres.
    area_sqm: Option<i32>,
    /// Defaults to `VACANT`.
    occupancy: Option<Occupancy>,
    /// Required when `RENTED`, refused otherwise.
    lessor_name: Option<String>,
    /// The lessor's phone; only with `lessorName`.
    lessor_phone: Option<String>,
}

/// Changes to a dwelling, as read at `version`; fields left out stay as
/// they are, `null` clears a clearable one.
#[derive(InputObject)]
pub struct UpdateDwellingInput {
    /// The dwelling to change.
    id: ID,
    /// The `version` the change was made against.
    version: i32,
    /// The corrected unit.
    unit: Option<i32>,
    /// The corrected floor.
    floor: Option<i32>,
    /// The corrected room number, unique within the unit.
    room: Option<String>,
    /// Floor area in square metres, or null to clear it.
    area_sqm: MaybeUndefined<i32>,
    /// Leaving `RENTED` drops the lessor; entering it needs one.
    occupancy: Option<Occupancy>,
    /// The lessor's name; required when `RENTED`.
    lessor_name: MaybeUndefined<String>,
    /// The lessor's phone, or null to clear it.
    lessor_phone: MaybeUndefined<String>,
}

/// A business, school, hospital or other organisation to record.
#[derive(InputObject)]
pub struct CreateOrganisationInput {
    /// Its registered name.
    name: String,
    /// What kind of organisation it is.
    kind: OrganisationKind,
    /// May be left out when `buildingId` is given, which decides it.
    grid_code: Option<String>,
    /// The building it is in, if recorded.
    building_id: Option<ID>,
    /// Its address.
    address: String,
    /// The legal representative (法定代表人).
    legal_representative: String,
    /// A contact phone.
    phone: Option<String>,
    /// The unified social credit code (GB 32100: 18 characters, the last
    /// the check of the others); none for a business trading without.
    licence_number: Option<String>,
    /// Needs `licenceNumber`.
    licence_expires_on: Option<Date>,
}

/// Changes to an organisation, as read at `version`; fields left out stay
/// as they are, `null` clears a clearable one.
#[derive(InputObject)]
pub struct UpdateOrganisationInput {
    /// The organisation to change.
    id: ID,
    /// The `version` the change was made against.
    version: i32,
    /// The corrected name.
    name: Option<String>,
    /// The corrected kind.
    kind: Option<OrganisationKind>,
    /// The corrected address.
    address: Option<String>,
    /// The corrected legal representative.
    legal_representative: Option<String>,
    /// A contact phone, or null to clear it.
    phone: MaybeUndefined<String>,
    /// A building in the organisation's grid, or null for none.
    building_id: MaybeUndefined<ID>,
    /// Null records that the business trades without a licence (and drops
    /// the expiry).
    licence_number: MaybeUndefined<String>,
    /// When the licence expires, or null for none.
    licence_expires_on: MaybeUndefined<Date>,
}

fn given<T>(value: Option<T>) -> Patch<T> {
    value.map_or(Patch::Keep, Patch::Set)
}

payload!(
    /// The answer of `createHousehold`.
    CreateHouseholdPayload {
        /// The household opened; null when `userErrors` says why not.
        household: Household
    },
    HomeUserError
);
payload!(
    /// The answer of `updateHousehold`.
    UpdateHouseholdPayload {
        /// The household as changed; null when `userErrors` says why not.
        household: Household
    },
    HomeUserError
);
payload!(
    /// The answer of `createBuilding`.
    CreateBuildingPayload {
        /// The building recorded; null when `userErrors` says why not.
        building: Building
    },
    HomeUserError
);
payload!(
    /// The answer of `updateBuilding`.
    UpdateBuildingPayload {
        /// The building as changed; null when `userErrors` says why not.
        building: Building
    },
    HomeUserError
);
payload!(
    /// The answer of `createDwelling`.
    CreateDwellingPayload {
        /// The dwelling recorded; null when `userErrors` says why not.
        dwelling: Dwelling
    },
    HomeUserError
);
payload!(
    /// The answer of `updateDwelling`.
    UpdateDwellingPayload {
        /// The dwelling as changed; null when `userErrors` says why not.
        dwelling: Dwelling
    },
    HomeUserError
);
payload!(
    /// The answer of `createOrganisation`.
    CreateOrganisationPayload {
        /// The organisation recorded; null when `userErrors` says why not.
        organisation: Organisation
    },
    HomeUserError
);
payload!(
    /// The answer of `updateOrganisation`.
    UpdateOrganisationPayload {
        /// The organisation as changed; null when `userErrors` says why not.
        organisation: Organisation
    },
    HomeUserError
);

#[derive(Default)]
pub struct HomeChanges;

#[Object]
impl HomeChanges {
    /// Opens a household; its head is the first member registered with
    /// relation `HEAD`.
    ///
    /// User errors: `INVALID` (a number that is not letters and digits),
    /// `REQUIRED` (neither grid nor dwelling), `TAKEN` (the number is in use
    /// in the grid), `NOT_FOUND` (a grid or dwelling out of sight),
    /// `INVALID_STATE` (the grid has no free numbers left).
    async fn create_household(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The household to open.")] input: CreateHouseholdInput,
    ) -> Result<CreateHouseholdPayload> {
        let outcome = async {
            let new = NewHousehold {
                number: input.number,
                grid_code: input.grid_code,
                dwelling_id: optional_key(
                    "dwellingId",
                    input.dwelling_id.as_ref(),
                    NodeKind::Dwelling,
                )?,
                kind: input
                    .kind
                    .map_or(entities::household::HouseholdKind::Family, Into::into),
                address: input.address,
            };
            changes::create_household(ctx.access()?, new).await
        };
        Ok(CreateHouseholdPayload::of(outcome.await.map(Household))?)
    }

    /// Changes a household as read at `version`.
    ///
    /// User errors: `NOT_FOUND` (`id`, the dwelling or new head),
    /// `CONFLICT`, `NOTHING_TO_CHANGE`, `INVALID` (a head who is not an
    /// active member, a dwelling in another grid).
    async fn update_household(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The household, the version read, and the changes.")]
        input: UpdateHouseholdInput,
    ) -> Result<UpdateHouseholdPayload> {
        let outcome = async {
            let change = HouseholdChange {
                kind: input.kind.map(Into::into),
                address: input.address,
                dwelling_id: patch_key("dwellingId", input.dwelling_id, NodeKind::Dwelling)?,
                head_resident_id: optional_key(
                    "headResidentId",
                    input.head_resident_id.as_ref(),
                    NodeKind::Resident,
                )?,
            };
            let id = key_of("id", &input.id, NodeKind::Household)?;
            changes::update_household(ctx.access()?, id, input.version, change).await
        };
        Ok(UpdateHouseholdPayload::of(outcome.await.map(Household))?)
    }

    /// Records a building in a grid, numbered after the grid's last one.
    ///
    /// User errors: `INVALID` (floors or units out of range, an empty name),
    /// `NOT_FOUND` (a grid out of sight), `INVALID_STATE` (the grid has no
    /// free numbers left).
    async fn create_building(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The building to record.")] input: CreateBuildingInput,
    ) -> Result<CreateBuildingPayload> {
        let fields = BuildingFields {
            name: Some(input.name),
            address: Some(input.address),
            use_kind: input.use_kind.map(Into::into),
            floors: Some(input.floors),
            units: input.units,
        };
        let outcome =
            async { changes::create_building(ctx.access()?, &input.grid_code, fields).await };
        Ok(CreateBuildingPayload::of(outcome.await.map(Building))?)
    }

    /// Changes a building as read at `version`.
    ///
    /// User errors: `NOT_FOUND` (`id`), `CONFLICT`, `NOTHING_TO_CHANGE`,
    /// `INVALID` (fewer floors or units than its dwellings are recorded on).
    async fn update_building(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The building, the version read, and the changes.")]
        input: UpdateBuildingInput,
    ) -> Result<UpdateBuildingPayload> {
        let fields = BuildingFields {
            name: input.name,
            address: input.address,
            use_kind: input.use_kind.map(Into::into),
            floors: input.floors,
            units: input.units,
        };
        let outcome = async {
            let id = key_of("id", &input.id, NodeKind::Building)?;
            changes::update_building(ctx.access()?, id, input.version, fields).await
        };
        Ok(UpdateBuildingPayload::of(outcome.await.map(Building))?)
    }

    /// Records a dwelling in a building.
    ///
    /// User errors: `NOT_FOUND` (the building), `TAKEN` (the room exists in
    /// the unit), `REQUIRED` (a lessor for a `RENTED` dwelling), `INVALID`
    /// (a floor or unit outside the building, a lessor for one not rented).
    async fn create_dwelling(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The dwelling to record.")] input: CreateDwellingInput,
    ) -> Result<CreateDwellingPayload> {
        let fields = DwellingFields {
            unit: input.unit,
            floor: Some(input.floor),
            room: Some(input.room),
            area_sqm: given(input.area_sqm),
            occupancy: input.occupancy.map(Into::into),
            lessor_name: given(input.lessor_name),
            lessor_phone: given(input.lessor_phone),
        };
        let outcome = async {
            let building = key_of("buildingId", &input.building_id, NodeKind::Building)?;
            changes::create_dwelling(ctx.access()?, building, fields).await
        };
        Ok(CreateDwellingPayload::of(outcome.await.map(Dwelling))?)
    }

    /// Changes a dwelling as read at `version`; the colour of the dwelling
    /// table is its `occupancy`.
    ///
    /// User errors: `NOT_FOUND` (`id`), `CONFLICT`, `NOTHING_TO_CHANGE`,
    /// `TAKEN` (the room exists in the unit), `REQUIRED` (a lessor when
    /// becoming `RENTED`), `INVALID`.
    async fn update_dwelling(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The dwelling, the version read, and the changes.")]
        input: UpdateDwellingInput,
    ) -> Result<UpdateDwellingPayload> {
        let fields = DwellingFields {
            unit: input.unit,
            floor: input.floor,
            room: input.room,
            area_sqm: patch(input.area_sqm, |sqm| sqm),
            occupancy: input.occupancy.map(Into::into),
            lessor_name: patch(input.lessor_name, |name| name),
            lessor_phone: patch(input.lessor_phone, |phone| phone),
        };
        let outcome = async {
            let id = key_of("id", &input.id, NodeKind::Dwelling)?;
            changes::update_dwelling(ctx.access()?, id, input.version, fields).await
        };
        Ok(UpdateDwellingPayload::of(outcome.await.map(Dwelling))?)
    }

    /// Records an organisation in a grid.
    ///
    /// User errors: `REQUIRED` (neither grid nor building), `NOT_FOUND` (a
    /// grid or building out of sight), `INVALID` (a licence number that is
    /// not a unified social credit code with its check character, an expiry
    /// without a licence, a building in another grid).
    async fn create_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation to record.")] input: CreateOrganisationInput,
    ) -> Result<CreateOrganisationPayload> {
        let outcome = async {
            let building =
                optional_key("buildingId", input.building_id.as_ref(), NodeKind::Building)?;
            let fields = OrganisationFields {
                name: Some(input.name),
                kind: Some(input.kind.into()),
                address: Some(input.address),
                legal_representative: Some(input.legal_representative),
                phone: given(input.phone),
                building_id: given(building),
                licence_number: given(input.licence_number),
                licence_expires_on: given(input.licence_expires_on.map(Into::into)),
            };
            changes::create_organisation(ctx.access()?, input.grid_code.as_deref(), fields).await
        };
        Ok(CreateOrganisationPayload::of(
            outcome.await.map(Organisation),
        )?)
    }

    /// Changes an organisation as read at `version`.
    ///
    /// User errors: `NOT_FOUND` (`id`, the building), `CONFLICT`,
    /// `NOTHING_TO_CHANGE`, `INVALID`.
    async fn update_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation, the version read, and the changes.")]
        input: UpdateOrganisationInput,
    ) -> Result<UpdateOrganisationPayload> {
        let outcome = async {
            let fields = OrganisationFields {
                name: input.name,
                kind: input.kind.map(Into::into),
                address: input.address,
                legal_representative: input.legal_representative,
                phone: patch(input.phone, |phone| phone),
                building_id: patch_key("buildingId", input.building_id, NodeKind::Building)?,
                licence_number: patch(input.licence_number, |number| number),
                licence_expires_on: patch(input.licence_expires_on, Into::into),
            };
            let id = key_of("id", &input.id, NodeKind::Organisation)?;
            changes::update_organisation(ctx.access()?, id, input.version, fields).await
        };
        Ok(UpdateOrganisationPayload::of(
            outcome.await.map(Organisation),
        )?)
    }
}
