//! Households, dwellings, buildings and organisations: the places of the
//! population record, reached from residents and from each other, each
//! batch-loaded through the request's access.

use std::borrow::Cow;

use async_graphql::{Context, Enum, ID, InputType, Object, OutputType, Result, Value};
use entities::{building, dwelling, household};

use super::people::Resident;
use crate::domain::access::Access;
use crate::domain::page::Paging;
use crate::domain::viewer::{self, RecordRow};
use crate::graphql::ContextExt;
use crate::graphql::loaders::{Loaders, load_one};
use crate::graphql::plain::{Plain, Related, one};
use crate::graphql::relay::{
    NodeKind, Page, global_id, held_page_complexity, page_complexity, page_of_all,
};
use crate::graphql::scalars::Date;

/// The cursor kinds of the lists a household, a dwelling and a building
/// hold.
const MEMBER_CURSOR: &str = "household.member";
const OCCUPANT_CURSOR: &str = "dwelling.resident";
const BUILDING_DWELLING_CURSOR: &str = "building.dwelling";

pub async fn household(loaders: &Loaders, id: Option<i64>) -> Result<Option<Household>> {
    Ok(load_one(loaders.households(), id).await?.map(Household))
}

pub async fn dwelling(loaders: &Loaders, id: Option<i64>) -> Result<Option<Dwelling>> {
    Ok(load_one(loaders.dwellings(), id).await?.map(Dwelling))
}

pub async fn building(loaders: &Loaders, id: Option<i64>) -> Result<Option<Building>> {
    Ok(load_one(loaders.buildings(), id).await?.map(Building))
}

/// A household's head, if the caller may see them.
async fn head(loaders: &Loaders, household: &household::Model) -> Result<Option<Resident>> {
    Ok(load_one(loaders.residents(), household.head_resident_id)
        .await?
        .map(Resident))
}

/// One organisation by id, if the caller may see it.
pub async fn organisation(loaders: &Loaders, id: Option<i64>) -> Result<Option<Organisation>> {
    Ok(load_one(loaders.organisations(), id)
        .await?
        .map(Organisation))
}

/// The kind of household.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::household::HouseholdKind")]
pub enum HouseholdKind {
    /// 家庭户.
    Family,
    /// 集体户: a dormitory, a care home.
    Collective,
}

/// What a building is used for.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::building::BuildingUse")]
pub enum BuildingUse {
    /// Lived in.
    Residential,
    /// Shops and offices.
    Commercial,
    /// Both.
    Mixed,
}

/// A household (户): a registration unit with a head and members.
pub struct Household(pub household::Model);

/// The plain fields of a household (see `graphql::plain`), each as its
/// resolver below computes it.
impl Plain for Household {
    fn typename(&self) -> Option<Cow<'static, str>> {
        Some(<Self as OutputType>::type_name())
    }

    fn plain(&self, name: &str, _access: &Access) -> Option<Value> {
        let row = &self.0;
        Some(match name {
            "id" => Value::String(global_id(NodeKind::Household, &row.id.to_string()).0),
            "number" => Value::String(row.number.clone()),
            "gridCode" => Value::String(row.grid_code.clone()),
            "kind" => HouseholdKind::from(row.kind).to_value(),
            "address" => Value::String(row.address.clone()),
            "version" => row.version.into(),
            _ => return None,
        })
    }

    fn related<'a>(&'a self, name: &str, loaders: &'a Loaders) -> Option<Related<'a>> {
        match name {
            "head" => one(head(loaders, &self.0)),
            "dwelling" => one(dwelling(loaders, self.0.dwelling_id)),
            _ => None,
        }
    }
}

/// A household (户): a registration unit with a head and members.
#[Object]
impl Household {
    /// The household's global ID.
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Household, &self.0.id.to_string())
    }

    /// The household registration number (户号).
    async fn number(&self) -> &str {
        &self.0.number
    }

    /// The grid it is registered in.
    async fn grid_code(&self) -> &str {
        &self.0.grid_code
    }

    /// The kind of household.
    async fn kind(&self) -> HouseholdKind {
        self.0.kind.into()
    }

    /// Its registered address.
    async fn address(&self) -> &str {
        &self.0.address
    }

    /// The head of the household, if you may see them.
    async fn head(&self, ctx: &Context<'_>) -> Result<Option<Resident>> {
        head(ctx.loaders()?, &self.0).await
    }

    /// The members you may see, each with their relation to the head.
    #[graphql(complexity = "held_page_complexity(first, last, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Resident>> {
        let all = ctx
            .loaders()?
            .members()
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        Ok(page_of_all(
            MEMBER_CURSOR,
            all,
            paging,
            |row| row.id,
            Resident,
        )?)
    }

    /// The dwelling registered for the household.
    async fn dwelling(&self, ctx: &Context<'_>) -> Result<Option<Dwelling>> {
        dwelling(ctx.loaders()?, self.0.dwelling_id).await
    }

    /// Send it back with a change, to detect a concurrent one.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// Whether you may change it: the button a screen shows for
    /// `updateHousehold`.
    async fn viewer_can_update(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(viewer::may_change(
            ctx.access()?,
            RecordRow::Household,
            &self.0.grid_code,
        ))
    }
}

/// The four colours of the command centre's dwelling table.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::dwelling::Occupancy")]
pub enum Occupancy {
    /// Green: lived in by its permanent residents.
    OwnerOccupied,
    /// Red: let to tenants.
    Rented,
    /// Yellow: used as an office.
    Office,
    /// Grey: nobody lives there.
    Vacant,
}

/// A dwelling (房屋) inside a building.
pub struct Dwelling(pub dwelling::Model);

/// The plain fields of a dwelling (see `graphql::plain`), each as its
/// resolver below computes it.
impl Plain for Dwelling {
    fn typename(&self) -> Option<Cow<'static, str>> {
        Some(<Self as OutputType>::type_name())
    }

    fn plain(&self, name: &str, access: &Access) -> Option<Value> {
        let row = &self.0;
        Some(match name {
            "id" => Value::String(global_id(NodeKind::Dwelling, &row.id.to_string()).0),
            "gridCode" => Value::String(row.grid_code.clone()),
            "unit" => row.unit.into(),
            "floor" => row.floor.into(),
            "room" => Value::String(row.room.clone()),
            "areaSqm" => row.area_sqm.into(),
            "occupancy" => Occupancy::from(row.occupancy).to_value(),
            "lessorName" => row.lessor_name.as_deref().into(),
            "lessorPhone" => access.lessor_phone(row).into(),
            "version" => row.version.into(),
            _ => return None,
        })
    }

    fn related<'a>(&'a self, name: &str, loaders: &'a Loaders) -> Option<Related<'a>> {
        match name {
            "building" => one(building(loaders, Some(self.0.building_id))),
            _ => None,
        }
    }
}

/// A dwelling (房屋) inside a building.
#[Object]
impl Dwelling {
    /// The dwelling's global ID.
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Dwelling, &self.0.id.to_string())
    }

    /// The grid it is in (its building's).
    async fn grid_code(&self) -> &str {
        &self.0.grid_code
    }

    /// The unit (entrance) of its building.
    async fn unit(&self) -> i32 {
        self.0.unit
    }

    /// Its floor; basements below zero.
    async fn floor(&self) -> i32 {
        self.0.floor
    }

    /// Its room number, unique within the unit.
    async fn room(&self) -> &str {
        &self.0.room
    }

    /// Floor area in square metres.
    async fn area_sqm(&self) -> Option<i32> {
        self.0.area_sqm
    }

    /// Its colour on the dwelling table.
    async fn occupancy(&self) -> Occupancy {
        self.0.occupancy.into()
    }

    /// Who lets a rented dwelling.
    async fn lessor_name(&self) -> Option<&str> {
        self.0.lessor_name.as_deref()
    }

    /// The lessor's phone, shown like a resident's phone in this grid: in
    /// full, masked or null.
    async fn lessor_phone(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(ctx.access()?.lessor_phone(&self.0))
    }

    /// The building it is in.
    async fn building(&self, ctx: &Context<'_>) -> Result<Option<Building>> {
        building(ctx.loaders()?, Some(self.0.building_id)).await
    }

    /// The residents you may see who live here.
    #[graphql(complexity = "held_page_complexity(first, last, child_complexity)")]
    async fn residents(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Resident>> {
        let all = ctx
            .loaders()?
            .occupants()
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        Ok(page_of_all(
            OCCUPANT_CURSOR,
            all,
            paging,
            |row| row.id,
            Resident,
        )?)
    }

    /// Send it back with a change, to detect a concurrent one.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// Whether you may change it: the button a screen shows for
    /// `updateDwelling`.
    async fn viewer_can_update(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(viewer::may_change(
            ctx.access()?,
            RecordRow::Dwelling,
            &self.0.grid_code,
        ))
    }
}

/// A building (楼栋): its code is its grid's code and a 5-digit number.
pub struct Building(pub building::Model);

/// The plain fields of a building (see `graphql::plain`), each as its
/// resolver below computes it.
impl Plain for Building {
    fn typename(&self) -> Option<Cow<'static, str>> {
        Some(<Self as OutputType>::type_name())
    }

    fn plain(&self, name: &str, _access: &Access) -> Option<Value> {
        let row = &self.0;
        Some(match name {
            "id" => Value::String(global_id(NodeKind::Building, &row.id.to_string()).0),
            "code" => Value::String(row.code.clone()),
            "gridCode" => Value::String(row.grid_code.clone()),
            "name" => Value::String(row.name.clone()),
            "address" => Value::String(row.address.clone()),
            "useKind" => BuildingUse::from(row.use_kind).to_value(),
            "floors" => row.floors.into(),
            "units" => row.units.into(),
            "version" => row.version.into(),
            _ => return None,
        })
    }
}

/// A building (楼栋): its code is its grid's code and a 5-digit number.
#[Object]
impl Building {
    /// The building's global ID.
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Building, &self.0.id.to_string())
    }

    /// The grid's code and a 5-digit number.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The grid it is in.
    async fn grid_code(&self) -> &str {
        &self.0.grid_code
    }

    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Its street address.
    async fn address(&self) -> &str {
        &self.0.address
    }

    /// What it is used for.
    async fn use_kind(&self) -> BuildingUse {
        self.0.use_kind.into()
    }

    /// Floors above ground.
    async fn floors(&self) -> i32 {
        self.0.floors
    }

    /// Units (entrances).
    async fn units(&self) -> i32 {
        self.0.units
    }

    /// The building's dwellings you may see.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn dwellings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Dwelling>> {
        let all = ctx
            .loaders()?
            .building_dwellings()
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        Ok(page_of_all(
            BUILDING_DWELLING_CURSOR,
            all,
            paging,
            |row| row.id,
            Dwelling,
        )?)
    }

    /// Send it back with a change, to detect a concurrent one.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// Whether you may change it: the button a screen shows for
    /// `updateBuilding`.
    async fn viewer_can_update(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(viewer::may_change(
            ctx.access()?,
            RecordRow::Building,
            &self.0.grid_code,
        ))
    }
}

/// An organisation's business licence today.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::homes::LicenceState")]
pub enum LicenceState {
    /// A licence in force.
    Valid,
    /// A licence past its expiry.
    Expired,
    /// Trading without a licence.
    None,
}

/// The kind of organisation.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::organisation::OrganisationKind")]
pub enum OrganisationKind {
    /// Food: restaurants, food shops.
    Food,
    /// Other shops.
    Retail,
    /// Companies and offices.
    Company,
    /// Services: repair, hairdressing, …
    Service,
}

/// An organisation (实有单位): a shop, restaurant or company in a grid.
pub struct Organisation(pub entities::organisation::Model);

impl Plain for Organisation {}

/// An organisation (实有单位): a shop, restaurant or company in a grid.
#[Object]
impl Organisation {
    /// The organisation's global ID.
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Organisation, &self.0.id.to_string())
    }

    /// Its registered name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What kind it is.
    async fn kind(&self) -> OrganisationKind {
        self.0.kind.into()
    }

    /// The grid it is in.
    async fn grid_code(&self) -> &str {
        &self.0.grid_code
    }

    /// Its address.
    async fn address(&self) -> &str {
        &self.0.address
    }

    /// Its legal representative (法定代表人).
    async fn legal_representative(&self) -> &str {
        &self.0.legal_representative
    }

    /// The business's phone.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }

    /// Its unified social credit code, if licensed.
    async fn licence_number(&self) -> Option<&str> {
        self.0.licence_number.as_deref()
    }

    /// When its licence expires, if it does.
    async fn licence_expires_on(&self) -> Option<Date> {
        self.0.licence_expires_on.map(Into::into)
    }

    /// Whether its licence is in force.
    async fn licence_state(&self) -> LicenceState {
        crate::domain::homes::LicenceState::of(&self.0).into()
    }

    /// The building it is in, if recorded.
    async fn building(&self, ctx: &Context<'_>) -> Result<Option<Building>> {
        building(ctx.loaders()?, self.0.building_id).await
    }

    /// Send it back with a change, to detect a concurrent one.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// Whether you may change it: the button a screen shows for
    /// `updateOrganisation`.
    async fn viewer_can_update(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(viewer::may_change(
            ctx.access()?,
            RecordRow::Organisation,
            &self.0.grid_code,
        ))
    }
}
