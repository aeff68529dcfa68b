//! Households, dwellings, buildings and organisations: the places of the
//! population record, reached from residents and from each other, each
//! batch-loaded through the request's access.

use async_graphql::{Context, Enum, ID, Object, Result};
use entities::{building, dwelling, household};

use super::people::Resident;
use crate::graphql::ContextExt;
use crate::graphql::loaders::load_one;
use crate::graphql::relay::{NodeKind, global_id};

pub async fn household(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Household>> {
    Ok(load_one(ctx.loaders()?.households(), id)
        .await?
        .map(Household))
}

pub async fn dwelling(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Dwelling>> {
    Ok(load_one(ctx.loaders()?.dwellings(), id)
        .await?
        .map(Dwelling))
}

pub async fn building(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Building>> {
    Ok(load_one(ctx.loaders()?.buildings(), id)
        .await?
        .map(Building))
}

/// One organisation by id, if the caller may see it.
pub async fn organisation(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Organisation>> {
    Ok(load_one(ctx.loaders()?.organisations(), id)
        .await?
        .map(Organisation))
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::household::HouseholdKind")]
pub enum HouseholdKind {
    /// 家庭户.
    Family,
    /// 集体户: a dormitory, a care home.
    Collective,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::building::BuildingUse")]
pub enum BuildingUse {
    Residential,
    Commercial,
    Mixed,
}

/// A household (户): a registration unit with a head and members.
pub struct Household(pub household::Model);

#[Object]
impl Household {
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Household, &self.0.id.to_string())
    }

    /// The household registration number (户号).
    async fn number(&self) -> &str {
        &self.0.number
    }

    async fn grid_code(&self) -> &str {
        &self.0.grid_code
    }

    async fn kind(&self) -> HouseholdKind {
        self.0.kind.into()
    }

    async fn address(&self) -> &str {
        &self.0.address
    }

    /// The head of the household, if you may see them.
    async fn head(&self, ctx: &Context<'_>) -> Result<Option<Resident>> {
        Ok(
            load_one(ctx.loaders()?.residents(), self.0.head_resident_id)
                .await?
                .map(Resident),
        )
    }

    /// The members you may see, each with their relation to the head.
    #[graphql(complexity = "crate::graphql::limits::LIST_COST * child_complexity.max(1)")]
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<Resident>> {
        Ok(ctx
            .loaders()?
            .members()
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Resident)
            .collect())
    }

    /// The dwelling registered for the household.
    async fn dwelling(&self, ctx: &Context<'_>) -> Result<Option<Dwelling>> {
        dwelling(ctx, self.0.dwelling_id).await
    }

    async fn version(&self) -> i32 {
        self.0.version
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

#[Object]
impl Dwelling {
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Dwelling, &self.0.id.to_string())
    }

    async fn grid_code(&self) -> &str {
        &self.0.grid_code
    }

    async fn unit(&self) -> i32 {
        self.0.unit
    }

    async fn floor(&self) -> i32 {
        self.0.floor
    }

    async fn room(&self) -> &str {
        &self.0.room
    }

    async fn area_sqm(&self) -> Option<i32> {
        self.0.area_sqm
    }

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

    async fn building(&self, ctx: &Context<'_>) -> Result<Option<Building>> {
        building(ctx, Some(self.0.building_id)).await
    }

    /// The residents you may see who live here.
    #[graphql(complexity = "crate::graphql::limits::LIST_COST * child_complexity.max(1)")]
    async fn residents(&self, ctx: &Context<'_>) -> Result<Vec<Resident>> {
        Ok(ctx
            .loaders()?
            .occupants()
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Resident)
            .collect())
    }

    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A building (楼栋): its code is its grid's code and a 5-digit number.
pub struct Building(pub building::Model);

#[Object]
impl Building {
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Building, &self.0.id.to_string())
    }

    async fn code(&self) -> &str {
        &self.0.code
    }

    async fn grid_code(&self) -> &str {
        &self.0.grid_code
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn address(&self) -> &str {
        &self.0.address
    }

    async fn use_kind(&self) -> BuildingUse {
        self.0.use_kind.into()
    }

    async fn floors(&self) -> i32 {
        self.0.floors
    }

    async fn units(&self) -> i32 {
        self.0.units
    }

    /// The building's dwellings you may see.
    #[graphql(complexity = "crate::graphql::limits::LIST_COST * child_complexity.max(1)")]
    async fn dwellings(&self, ctx: &Context<'_>) -> Result<Vec<Dwelling>> {
        Ok(ctx
            .loaders()?
            .building_dwellings()
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Dwelling)
            .collect())
    }

    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// An organisation's business licence today.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::homes::LicenceState")]
pub enum LicenceState {
    Valid,
    Expired,
    /// Trading without a licence.
    None,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::organisation::OrganisationKind")]
pub enum OrganisationKind {
    Food,
    Retail,
    Company,
    Service,
}

/// An organisation (实有单位): a shop, restaurant or company in a grid.
pub struct Organisation(pub entities::organisation::Model);

#[Object]
impl Organisation {
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Organisation, &self.0.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn kind(&self) -> OrganisationKind {
        self.0.kind.into()
    }

    async fn grid_code(&self) -> &str {
        &self.0.grid_code
    }

    async fn address(&self) -> &str {
        &self.0.address
    }

    async fn legal_representative(&self) -> &str {
        &self.0.legal_representative
    }

    /// The business's phone.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }

    async fn licence_number(&self) -> Option<&str> {
        self.0.licence_number.as_deref()
    }

    async fn licence_expires_on(&self) -> Option<chrono::NaiveDate> {
        self.0.licence_expires_on
    }

    async fn licence_state(&self) -> LicenceState {
        crate::domain::homes::LicenceState::of(&self.0).into()
    }

    async fn building(&self, ctx: &Context<'_>) -> Result<Option<Building>> {
        building(ctx, self.0.building_id).await
    }

    async fn version(&self) -> i32 {
        self.0.version
    }
}
