//! Households, dwellings and buildings, reached from residents and from
//! each other, each batch-loaded under the caller's scope.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, ID, Object, Result};
use entities::{building, dwelling, household};

use super::ContextExt;
use super::loaders::{LoaderSource, Loaders};
use super::relay::{NodeKind, global_id};
use super::residents::Resident;

/// Runs `use_loaders` with this request's loaders and how to build them.
pub fn loaders<'a, T>(
    ctx: &'a Context<'_>,
    use_loaders: impl FnOnce(&'a Loaders, &LoaderSource<'_>) -> T,
) -> Result<T> {
    let caller = ctx.caller()?;
    let state = ctx.state();
    let scope = |object, action| caller.scope(&state.authorizer, object, action);
    let source = LoaderSource {
        db: &state.db,
        scope: &scope,
    };
    Ok(use_loaders(ctx.data::<Loaders>()?, &source))
}

async fn load<L>(loader: &DataLoader<L>, key: Option<i64>) -> Result<Option<L::Value>>
where
    L: async_graphql::dataloader::Loader<i64, Error = async_graphql::Error>,
{
    match key {
        Some(key) => Ok(loader.load_one(key).await?),
        None => Ok(None),
    }
}

pub async fn household(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Household>> {
    let loader = loaders(ctx, |l, s| l.households(s))?;
    Ok(load(loader, id).await?.map(Household))
}

pub async fn dwelling(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Dwelling>> {
    let loader = loaders(ctx, |l, s| l.dwellings(s))?;
    Ok(load(loader, id).await?.map(Dwelling))
}

pub async fn building(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Building>> {
    let loader = loaders(ctx, |l, s| l.buildings(s))?;
    Ok(load(loader, id).await?.map(Building))
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

    async fn address(&self) -> &str {
        &self.0.address
    }

    /// The head of the household, if you may see them.
    async fn head(&self, ctx: &Context<'_>) -> Result<Option<Resident>> {
        let loader = loaders(ctx, |l, s| l.residents(s))?;
        Ok(load(loader, self.0.head_resident_id).await?.map(Resident))
    }

    /// The members you may see, each with their relation to the head.
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<Resident>> {
        let loader = loaders(ctx, |l, s| l.members(s))?;
        Ok(loader
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

    async fn building(&self, ctx: &Context<'_>) -> Result<Option<Building>> {
        building(ctx, Some(self.0.building_id)).await
    }

    /// The residents you may see who live here.
    async fn residents(&self, ctx: &Context<'_>) -> Result<Vec<Resident>> {
        let loader = loaders(ctx, |l, s| l.occupants(s))?;
        Ok(loader
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

    async fn floors(&self) -> i32 {
        self.0.floors
    }

    async fn units(&self) -> i32 {
        self.0.units
    }

    async fn version(&self) -> i32 {
        self.0.version
    }
}
