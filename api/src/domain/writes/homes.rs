//! Changes to households, buildings, dwellings and organisations.

use chrono::{NaiveDate, Utc};
use entities::building::{self, BuildingUse};
use entities::dwelling::{self, Occupancy};
use entities::household::{self, HouseholdKind};
use entities::organisation::{self, OrganisationKind};
use entities::resident::{self, HeadRelation, ResidentStatus};
use policies::{Action, Object};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use super::fields::{bounded, optional_phone, optional_text, text};
use super::{Changes, Patch, PlaceFields, Writer, duplicate, save};
use crate::domain::access::Access;
use crate::domain::credit_code;
use crate::error::{ApiError, ApiResult};

const HOUSEHOLD_TAKEN: &str = "a household with this number exists";

/// The next free code of the form `grid` + `width` digits, one above the
/// highest in use (codes of one grid all have one width, so text order is
/// number order). Creators in one grid take their numbers one after the
/// other, so two at once both succeed, with two numbers.
async fn next_code<E: EntityTrait + Default>(
    txn: &DatabaseTransaction,
    code: E::Column,
    grid_column: E::Column,
    grid: &str,
    width: usize,
) -> ApiResult<String> {
    let table = E::default().table_name().to_owned();
    crate::db::serialise(txn, &format!("{table}:{grid}")).await?;
    let highest: Option<String> = E::find()
        .select_only()
        .column(code)
        .filter(grid_column.eq(grid))
        .filter(code.like(format!("{grid}%")))
        .order_by_desc(code)
        .limit(1)
        .into_tuple()
        .one(txn)
        .await?;
    let next = highest
        .and_then(|code| code.get(grid.len()..).and_then(|n| n.parse::<u64>().ok()))
        .unwrap_or(0)
        + 1;
    if next >= 10u64.pow(width as u32) {
        return Err(ApiError::InvalidState(format!(
            "grid {grid} has no free numbers left"
        )));
    }
    Ok(format!("{grid}{next:0width$}"))
}

/// A new household.
#[derive(Debug, Clone)]
pub struct NewHousehold {
    /// The registration number; the next free one of the grid when absent.
    pub number: Option<String>,
    pub grid_code: Option<String>,
    pub dwelling_id: Option<i64>,
    pub kind: HouseholdKind,
    pub address: String,
}

pub async fn create_household(access: &Access, new: NewHousehold) -> ApiResult<household::Model> {
    let w = &access.writer()?;
    let address = text("address", &new.address, 255)?;
    let number = match &new.number {
        Some(number) => Some(household_number(number)?),
        None => None,
    };
    let txn = w.begin().await?;
    let place = w
        .place(
            &txn,
            new.grid_code.as_deref(),
            new.dwelling_id,
            PlaceFields::INPUT,
        )
        .await?;
    w.require(&place.grid_code, Object::Household, Action::Write)?;
    let number = match number {
        Some(number) => {
            let taken = household::Entity::find()
                .filter(household::Column::Number.eq(&number))
                .one(&txn)
                .await?;
            if taken.is_some() {
                return Err(ApiError::taken("number", HOUSEHOLD_TAKEN));
            }
            number
        }
        None => {
            next_code::<household::Entity>(
                &txn,
                household::Column::Number,
                household::Column::GridCode,
                &place.grid_code,
                4,
            )
            .await?
        }
    };
    let now = Utc::now();
    let row = household::ActiveModel {
        id: NotSet,
        number: Set(number),
        grid_code: Set(place.grid_code),
        kind: Set(new.kind),
        head_resident_id: Set(None),
        dwelling_id: Set(place.dwelling_id),
        address: Set(address),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(ApiError::from)
    .map_err(duplicate("number", HOUSEHOLD_TAKEN))?;
    w.audit(
        &txn,
        "household.create",
        "household",
        row.id,
        &row.grid_code,
        json!({ "number": row.number }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

fn household_number(raw: &str) -> ApiResult<String> {
    let number = text("number", raw, 32)?;
    if !number.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::bad_input("number", "letters and digits only"));
    }
    Ok(number)
}

/// Changes to a household; absent fields stay.
#[derive(Debug, Clone, Default)]
pub struct HouseholdChange {
    pub kind: Option<HouseholdKind>,
    pub address: Option<String>,
    /// The dwelling registered for the household; it stays in its grid.
    pub dwelling_id: Patch<i64>,
    /// A new head, who must be an active member; the old head stays a
    /// member with the relation `other` until corrected.
    pub head_resident_id: Option<i64>,
}

pub async fn update_household(
    access: &Access,
    id: i64,
    version: i32,
    change: HouseholdChange,
) -> ApiResult<household::Model> {
    let w = access.writer()?;
    w.update::<household::Entity>(id, version, "household.update", async |txn, current| {
        let mut changes = Changes::<household::ActiveModel>::default();
        if let Some(kind) = change.kind {
            changes.values.kind = Set(kind);
            changes.fields.push("kind");
        }
        if let Some(address) = &change.address {
            changes.values.address = Set(text("address", address, 255)?);
            changes.fields.push("address");
        }
        match change.dwelling_id {
            Patch::Keep => {}
            Patch::Clear => {
                changes.values.dwelling_id = Set(None);
                changes.fields.push("dwelling");
            }
            Patch::Set(dwelling_id) => {
                let place = w
                    .place(
                        txn,
                        Some(&current.grid_code),
                        Some(dwelling_id),
                        // The household's grid is fixed: a dwelling elsewhere
                        // is the dwelling's fault.
                        PlaceFields {
                            grid: "dwellingId",
                            dwelling: "dwellingId",
                        },
                    )
                    .await?;
                changes.values.dwelling_id = Set(place.dwelling_id);
                changes.fields.push("dwelling");
            }
        }
        if let Some(head) = change.head_resident_id
            && Some(head) != current.head_resident_id
        {
            change_head(&w, txn, current, head).await?;
            changes.values.head_resident_id = Set(Some(head));
            changes.fields.push("head");
            changes.detail.insert("head".to_owned(), json!(head));
        }
        Ok(changes)
    })
    .await
}

/// Makes `head` the head of `household`: both the new and the old head's
/// rows change in the same transaction, so there is one head at a time.
async fn change_head(
    w: &Writer<'_>,
    txn: &DatabaseTransaction,
    household: &household::Model,
    head: i64,
) -> ApiResult<()> {
    let member = w
        .reference::<resident::Entity>(txn, "headResidentId", head)
        .await?;
    if member.household_id != Some(household.id) || member.status != ResidentStatus::Active {
        return Err(ApiError::bad_input(
            "headResidentId",
            "the head must be an active member of the household",
        ));
    }
    w.require(&member.grid_code, Object::Resident, Action::Write)?;
    if let Some(old) = household.head_resident_id
        && let Some(old) = resident::Entity::find_by_id(old).one(txn).await?
        && old.household_id == Some(household.id)
    {
        let demoted = resident::ActiveModel {
            relation_to_head: Set(Some(HeadRelation::Other)),
            ..Default::default()
        };
        save::<resident::Entity>(txn, old.id, old.version, demoted)
            .await
            .map_err(|err| err.conflict_on("headResidentId", "household's head"))?;
    }
    let promoted = resident::ActiveModel {
        relation_to_head: Set(Some(HeadRelation::Head)),
        ..Default::default()
    };
    save::<resident::Entity>(txn, member.id, member.version, promoted)
        .await
        .map_err(|err| err.conflict_on("headResidentId", "household's head"))?;
    Ok(())
}

/// A building's description, for creating or changing one.
#[derive(Debug, Clone, Default)]
pub struct BuildingFields {
    pub name: Option<String>,
    pub address: Option<String>,
    pub use_kind: Option<BuildingUse>,
    pub floors: Option<i32>,
    pub units: Option<i32>,
}

const MAX_FLOORS: i32 = 200;
const MAX_UNITS: i32 = 50;

pub async fn create_building(
    access: &Access,
    grid_code: &str,
    fields: BuildingFields,
) -> ApiResult<building::Model> {
    let w = &access.writer()?;
    let required = |field: &str| ApiError::required(field, "required");
    let name = text(
        "name",
        fields.name.as_deref().ok_or_else(|| required("name"))?,
        128,
    )?;
    let address = text(
        "address",
        fields
            .address
            .as_deref()
            .ok_or_else(|| required("address"))?,
        255,
    )?;
    let floors = bounded(
        "floors",
        fields.floors.ok_or_else(|| required("floors"))?,
        1,
        MAX_FLOORS,
    )?;
    let units = bounded("units", fields.units.unwrap_or(1), 1, MAX_UNITS)?;
    let txn = w.begin().await?;
    let place = w
        .place(&txn, Some(grid_code), None, PlaceFields::INPUT)
        .await?;
    w.require(&place.grid_code, Object::Building, Action::Write)?;
    let code = next_code::<building::Entity>(
        &txn,
        building::Column::Code,
        building::Column::GridCode,
        &place.grid_code,
        5,
    )
    .await?;
    let now = Utc::now();
    let row = building::ActiveModel {
        id: NotSet,
        code: Set(code),
        grid_code: Set(place.grid_code),
        name: Set(name),
        address: Set(address),
        use_kind: Set(fields.use_kind.unwrap_or(BuildingUse::Residential)),
        floors: Set(floors),
        units: Set(units),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    w.audit(
        &txn,
        "building.create",
        "building",
        row.id,
        &row.grid_code,
        json!({ "code": row.code }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

pub async fn update_building(
    access: &Access,
    id: i64,
    version: i32,
    fields: BuildingFields,
) -> ApiResult<building::Model> {
    let w = access.writer()?;
    w.update::<building::Entity>(id, version, "building.update", async |txn, current| {
        let mut changes = Changes::<building::ActiveModel>::default();
        if let Some(name) = &fields.name {
            changes.values.name = Set(text("name", name, 128)?);
            changes.fields.push("name");
        }
        if let Some(address) = &fields.address {
            changes.values.address = Set(text("address", address, 255)?);
            changes.fields.push("address");
        }
        if let Some(use_kind) = fields.use_kind {
            changes.values.use_kind = Set(use_kind);
            changes.fields.push("use_kind");
        }
        let (highest_floor, highest_unit) = occupied_extent(txn, current.id).await?;
        if let Some(floors) = fields.floors {
            let floors = bounded("floors", floors, 1, MAX_FLOORS)?;
            if floors < highest_floor {
                return Err(ApiError::bad_input(
                    "floors",
                    format!("a dwelling is recorded on floor {highest_floor}"),
                ));
            }
            changes.values.floors = Set(floors);
            changes.fields.push("floors");
        }
        if let Some(units) = fields.units {
            let units = bounded("units", units, 1, MAX_UNITS)?;
            if units < highest_unit {
                return Err(ApiError::bad_input(
                    "units",
                    format!("a dwelling is recorded in unit {highest_unit}"),
                ));
            }
            changes.values.units = Set(units);
            changes.fields.push("units");
        }
        Ok(changes)
    })
    .await
}

/// The highest floor and unit any dwelling of the building is on.
async fn occupied_extent(txn: &DatabaseTransaction, building_id: i64) -> ApiResult<(i32, i32)> {
    let extent: Option<(Option<i32>, Option<i32>)> = dwelling::Entity::find()
        .select_only()
        .column_as(dwelling::Column::Floor.max(), "floor")
        .column_as(dwelling::Column::Unit.max(), "unit")
        .filter(dwelling::Column::BuildingId.eq(building_id))
        .into_tuple()
        .one(txn)
        .await?;
    let (floor, unit) = extent.unwrap_or_default();
    Ok((floor.unwrap_or(0), unit.unwrap_or(0)))
}

/// A dwelling's description, for creating or changing one.
#[derive(Debug, Clone, Default)]
pub struct DwellingFields {
    pub unit: Option<i32>,
    pub floor: Option<i32>,
    pub room: Option<String>,
    pub area_sqm: Patch<i32>,
    pub occupancy: Option<Occupancy>,
    pub lessor_name: Patch<String>,
    pub lessor_phone: Patch<String>,
}

/// The lowest basement floor a dwelling may be recorded on.
const LOWEST_FLOOR: i32 = -5;

pub async fn create_dwelling(
    access: &Access,
    building_id: i64,
    fields: DwellingFields,
) -> ApiResult<dwelling::Model> {
    let w = &access.writer()?;
    let txn = w.begin().await?;
    let building = w
        .reference::<building::Entity>(&txn, "buildingId", building_id)
        .await?;
    w.require(&building.grid_code, Object::Dwelling, Action::Write)?;
    let required = |field: &str| ApiError::required(field, "required");
    let unit = bounded("unit", fields.unit.unwrap_or(1), 1, building.units)?;
    let floor = floor_in(&building, fields.floor.ok_or_else(|| required("floor"))?)?;
    let room = text(
        "room",
        fields.room.as_deref().ok_or_else(|| required("room"))?,
        16,
    )?;
    refuse_same_room(&txn, building.id, unit, &room, None).await?;
    let occupancy = fields.occupancy.unwrap_or(Occupancy::Vacant);
    let (lessor_name, lessor_phone) = lessor(occupancy, &fields, (None, None))?;
    let now = Utc::now();
    let row = dwelling::ActiveModel {
        id: NotSet,
        building_id: Set(building.id),
        grid_code: Set(building.grid_code.clone()),
        unit: Set(unit),
        floor: Set(floor),
        room: Set(room),
        area_sqm: Set(area(&fields.area_sqm, None)?),
        occupancy: Set(occupancy),
        lessor_name: Set(lessor_name),
        lessor_phone: Set(lessor_phone),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    w.audit(
        &txn,
        "dwelling.create",
        "dwelling",
        row.id,
        &row.grid_code,
        json!({ "building": building.id }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

pub async fn update_dwelling(
    access: &Access,
    id: i64,
    version: i32,
    fields: DwellingFields,
) -> ApiResult<dwelling::Model> {
    let w = access.writer()?;
    w.update::<dwelling::Entity>(id, version, "dwelling.update", async |txn, current| {
        let building = building::Entity::find_by_id(current.building_id)
            .one(txn)
            .await?
            .ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!("dwelling {id} without its building"))
            })?;
        let mut changes = Changes::<dwelling::ActiveModel>::default();
        let unit = match fields.unit {
            Some(unit) => {
                changes.fields.push("unit");
                bounded("unit", unit, 1, building.units)?
            }
            None => current.unit,
        };
        if let Some(floor) = fields.floor {
            changes.values.floor = Set(floor_in(&building, floor)?);
            changes.fields.push("floor");
        }
        let room = match &fields.room {
            Some(room) => {
                changes.fields.push("room");
                text("room", room, 16)?
            }
            None => current.room.clone(),
        };
        if unit != current.unit || room != current.room {
            refuse_same_room(txn, building.id, unit, &room, Some(id)).await?;
            changes.values.unit = Set(unit);
            changes.values.room = Set(room);
        }
        if !fields.area_sqm.is_keep() {
            changes.values.area_sqm = Set(area(&fields.area_sqm, current.area_sqm)?);
            changes.fields.push("area_sqm");
        }
        let occupancy = fields.occupancy.unwrap_or(current.occupancy);
        if fields.occupancy.is_some() {
            changes.values.occupancy = Set(occupancy);
            changes.fields.push("occupancy");
        }
        if fields.occupancy.is_some()
            || !fields.lessor_name.is_keep()
            || !fields.lessor_phone.is_keep()
        {
            let (name, phone) = lessor(
                occupancy,
                &fields,
                (current.lessor_name.clone(), current.lessor_phone.clone()),
            )?;
            changes.values.lessor_name = Set(name);
            changes.values.lessor_phone = Set(phone);
            changes.fields.push("lessor");
        }
        Ok(changes)
    })
    .await
}

fn floor_in(building: &building::Model, floor: i32) -> ApiResult<i32> {
    let floor = bounded("floor", floor, LOWEST_FLOOR, building.floors)?;
    if floor == 0 {
        return Err(ApiError::bad_input(
            "floor",
            "floors count 1 upwards and -1 downwards; there is no floor 0",
        ));
    }
    Ok(floor)
}

fn area(patch: &Patch<i32>, current: Option<i32>) -> ApiResult<Option<i32>> {
    Ok(patch
        .checked(|sqm| bounded("areaSqm", *sqm, 1, 100_000).map(Some))?
        .unwrap_or(current))
}

async fn refuse_same_room(
    txn: &DatabaseTransaction,
    building_id: i64,
    unit: i32,
    room: &str,
    except: Option<i64>,
) -> ApiResult<()> {
    let mut query = dwelling::Entity::find()
        .filter(dwelling::Column::BuildingId.eq(building_id))
        .filter(dwelling::Column::Unit.eq(unit))
        .filter(dwelling::Column::Room.eq(room));
    if let Some(except) = except {
        query = query.filter(dwelling::Column::Id.ne(except));
    }
    if query.one(txn).await?.is_some() {
        return Err(ApiError::taken(
            "room",
            "this unit already has a dwelling with that room number",
        ));
    }
    Ok(())
}

/// Only a rented dwelling has a lessor, and it must name one; leaving
/// `Rented` drops the lessor.
fn lessor(
    occupancy: Occupancy,
    fields: &DwellingFields,
    (name, phone): (Option<String>, Option<String>),
) -> ApiResult<(Option<String>, Option<String>)> {
    let name = fields
        .lessor_name
        .checked(|name| optional_text("lessorName", Some(name), 64))?
        .unwrap_or(name);
    let phone = fields
        .lessor_phone
        .checked(|phone| optional_phone("lessorPhone", Some(phone)))?
        .unwrap_or(phone);
    if occupancy != Occupancy::Rented {
        if !fields.lessor_name.is_keep() && name.is_some() {
            return Err(ApiError::bad_input(
                "lessorName",
                "only a rented dwelling has a lessor",
            ));
        }
        return Ok((None, None));
    }
    if name.is_none() {
        return Err(ApiError::required(
            "lessorName",
            "a rented dwelling names its lessor",
        ));
    }
    Ok((name, phone))
}

/// An organisation's description, for creating or changing one.
#[derive(Debug, Clone, Default)]
pub struct OrganisationFields {
    pub name: Option<String>,
    pub kind: Option<OrganisationKind>,
    pub address: Option<String>,
    pub legal_representative: Option<String>,
    pub phone: Patch<String>,
    pub building_id: Patch<i64>,
    pub licence_number: Patch<String>,
    pub licence_expires_on: Patch<NaiveDate>,
}

pub async fn create_organisation(
    access: &Access,
    grid_code: Option<&str>,
    fields: OrganisationFields,
) -> ApiResult<organisation::Model> {
    let w = &access.writer()?;
    let required = |field: &str| ApiError::required(field, "required");
    let name = text(
        "name",
        fields.name.as_deref().ok_or_else(|| required("name"))?,
        128,
    )?;
    let kind = fields.kind.ok_or_else(|| required("kind"))?;
    let address = text(
        "address",
        fields
            .address
            .as_deref()
            .ok_or_else(|| required("address"))?,
        255,
    )?;
    let legal_representative = text(
        "legalRepresentative",
        fields
            .legal_representative
            .as_deref()
            .ok_or_else(|| required("legalRepresentative"))?,
        64,
    )?;
    let phone = match &fields.phone {
        Patch::Set(phone) => optional_phone("phone", Some(phone))?,
        _ => None,
    };
    let (licence_number, licence_expires_on) = licence(&fields, (None, None))?;
    let txn = w.begin().await?;
    let (grid, building_id) = match fields.building_id {
        Patch::Set(building_id) => {
            let building = w
                .reference::<building::Entity>(&txn, "buildingId", building_id)
                .await?;
            if let Some(grid_code) = grid_code
                && grid_code != building.grid_code
            {
                return Err(ApiError::bad_input(
                    "gridCode",
                    format!("the building is in grid {}", building.grid_code),
                ));
            }
            (building.grid_code, Some(building.id))
        }
        _ => (
            w.place(&txn, grid_code, None, PlaceFields::INPUT)
                .await?
                .grid_code,
            None,
        ),
    };
    w.require(&grid, Object::Organisation, Action::Write)?;
    let now = Utc::now();
    let row = organisation::ActiveModel {
        id: NotSet,
        name: Set(name),
        kind: Set(kind),
        grid_code: Set(grid),
        building_id: Set(building_id),
        address: Set(address),
        legal_representative: Set(legal_representative),
        phone: Set(phone),
        licence_number: Set(licence_number),
        licence_expires_on: Set(licence_expires_on),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    w.audit(
        &txn,
        "organisation.create",
        "organisation",
        row.id,
        &row.grid_code,
        json!({ "name": row.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

pub async fn update_organisation(
    access: &Access,
    id: i64,
    version: i32,
    fields: OrganisationFields,
) -> ApiResult<organisation::Model> {
    let w = access.writer()?;
    w.update::<organisation::Entity>(id, version, "organisation.update", async |txn, current| {
        let mut changes = Changes::<organisation::ActiveModel>::default();
        if let Some(name) = &fields.name {
            changes.values.name = Set(text("name", name, 128)?);
            changes.fields.push("name");
        }
        if let Some(kind) = fields.kind {
            changes.values.kind = Set(kind);
            changes.fields.push("kind");
        }
        if let Some(address) = &fields.address {
            changes.values.address = Set(text("address", address, 255)?);
            changes.fields.push("address");
        }
        if let Some(person) = &fields.legal_representative {
            changes.values.legal_representative = Set(text("legalRepresentative", person, 64)?);
            changes.fields.push("legal_representative");
        }
        if let Some(phone) = fields
            .phone
            .checked(|phone| optional_phone("phone", Some(phone)))?
        {
            changes.values.phone = Set(phone);
            changes.fields.push("phone");
        }
        match fields.building_id {
            Patch::Keep => {}
            Patch::Clear => {
                changes.values.building_id = Set(None);
                changes.fields.push("building");
            }
            Patch::Set(building_id) => {
                let building = w
                    .reference::<building::Entity>(txn, "buildingId", building_id)
                    .await?;
                if building.grid_code != current.grid_code {
                    return Err(ApiError::bad_input(
                        "buildingId",
                        "the building is in another grid",
                    ));
                }
                changes.values.building_id = Set(Some(building.id));
                changes.fields.push("building");
            }
        }
        if !fields.licence_number.is_keep() || !fields.licence_expires_on.is_keep() {
            let (number, expires) = licence(
                &fields,
                (current.licence_number.clone(), current.licence_expires_on),
            )?;
            changes.values.licence_number = Set(number);
            changes.values.licence_expires_on = Set(expires);
            changes.fields.push("licence");
        }
        Ok(changes)
    })
    .await
}

/// A licence expiry needs a licence number; clearing the number drops it.
fn licence(
    fields: &OrganisationFields,
    (number, expires): (Option<String>, Option<NaiveDate>),
) -> ApiResult<(Option<String>, Option<NaiveDate>)> {
    let number = match &fields.licence_number {
        Patch::Keep => number,
        Patch::Clear => None,
        Patch::Set(number) => {
            let number = text("licenceNumber", number, 32)?.to_ascii_uppercase();
            if !credit_code::is_valid(&number) {
                return Err(ApiError::bad_input(
                    "licenceNumber",
                    "not a unified social credit code (18 characters, the last the check of the others)",
                ));
            }
            Some(number)
        }
    };
    let expires = match fields.licence_expires_on {
        Patch::Keep => expires,
        Patch::Clear => None,
        Patch::Set(date) => Some(date),
    };
    match (&number, expires) {
        (None, Some(_)) if !fields.licence_expires_on.is_keep() => Err(ApiError::bad_input(
            "licenceExpiresOn",
            "an expiry needs a licence number",
        )),
        (None, _) => Ok((None, None)),
        (Some(_), _) => Ok((number, expires)),
    }
}
