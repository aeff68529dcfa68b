//! Areas and grids: the map of the city every other answer hangs on.

use async_graphql::{Context, Enum, ID, Json, Object, Result};
use entities::{area, grid};
use policies::AreaCode;

use super::ContextExt;
use super::loaders::load_one;
use super::relay::{NodeKind, Page, connection, global_id, page_complexity};
use crate::domain::areas::{self, AREA_CURSOR, AreaFilter, GRID_CURSOR, parse_code};
use crate::domain::page::PageRequest;

/// The administrative levels, outermost first.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "policies::AreaLevel")]
pub enum AreaLevel {
    /// 区: 6-digit code.
    District,
    /// 街道 or town: 9-digit code.
    Street,
    /// 社区: 12-digit code.
    Community,
    /// 网格: 15-digit code.
    Grid,
}

/// A district, street or community.
pub struct Area(area::Model);

impl Area {
    /// The area, or None when it does not exist or the caller may not see
    /// it: the two look the same from outside.
    pub async fn find(ctx: &Context<'_>, code: &str) -> Result<Option<Area>> {
        Ok(areas::area(ctx.access()?, code).await?.map(Area))
    }

    fn area_code(&self) -> Result<AreaCode> {
        Ok(parse_code("code", &self.0.code)?)
    }
}

#[Object]
impl Area {
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Area, &self.0.code)
    }

    /// The area code: 6 digits for a district, 9 for a street, 12 for a community.
    async fn code(&self) -> &str {
        &self.0.code
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn level(&self) -> Result<AreaLevel> {
        Ok(self.area_code()?.level().into())
    }

    /// The area directly around this one; null for a district.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Area>> {
        load_area(ctx, self.0.parent_code.as_deref()).await
    }

    /// The areas around this one, outermost first.
    async fn ancestors(&self, ctx: &Context<'_>) -> Result<Vec<Area>> {
        load_ancestors(ctx, &self.area_code()?).await
    }

    /// The areas directly under this one, by code. Empty for a community,
    /// whose children are its grids.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn children(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Area>> {
        let request = PageRequest::new(first, after, AREA_CURSOR)?;
        let filter = AreaFilter {
            parent: Some(self.area_code()?),
            ..AreaFilter::default()
        };
        let listing = areas::list_areas(ctx.access()?, &filter, &request).await?;
        Ok(connection(AREA_CURSOR, listing, Area))
    }

    /// Every grid inside this area, by code.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn grids(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Grid>> {
        let request = PageRequest::new(first, after, GRID_CURSOR)?;
        let listing = areas::list_grids(ctx.access()?, Some(&self.area_code()?), &request).await?;
        Ok(connection(GRID_CURSOR, listing, Grid))
    }
}

/// A grid (网格): a few hundred households in the care of one grid worker.
pub struct Grid(grid::Model);

impl Grid {
    /// The grid, or None when it does not exist or the caller may not see it.
    pub async fn find(ctx: &Context<'_>, code: &str) -> Result<Option<Grid>> {
        Ok(areas::grid(ctx.access()?, code).await?.map(Grid))
    }
}

#[Object]
impl Grid {
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Grid, &self.0.code)
    }

    /// The 15-digit grid code: the community's code and a 3-digit sequence.
    async fn code(&self) -> &str {
        &self.0.code
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The grid's outline as a GeoJSON Polygon (WGS 84), when surveyed.
    async fn boundary(&self) -> Option<Json<serde_json::Value>> {
        self.0.boundary.clone().map(Json)
    }

    async fn community(&self, ctx: &Context<'_>) -> Result<Option<Area>> {
        load_area(ctx, Some(&self.0.community_code)).await
    }

    /// District, street and community, outermost first.
    async fn ancestors(&self, ctx: &Context<'_>) -> Result<Vec<Area>> {
        load_ancestors(ctx, &parse_code("code", &self.0.code)?).await
    }

    /// The grid's buildings you may see, by code.
    #[graphql(complexity = "super::limits::LIST_COST * child_complexity.max(1)")]
    async fn buildings(&self, ctx: &Context<'_>) -> Result<Vec<super::record::Building>> {
        Ok(ctx
            .loaders()?
            .grid_buildings()
            .load_one(self.0.code.clone())
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(super::record::Building)
            .collect())
    }

    /// The grid worker in charge.
    async fn worker(&self, ctx: &Context<'_>) -> Result<Option<GridWorker>> {
        Ok(load_one(ctx.loaders()?.people(), self.0.worker_id)
            .await?
            .map(GridWorker))
    }
}

/// The grid worker (网格员) in charge of a grid, as the people of the grid
/// and the command centre reach them.
pub struct GridWorker(entities::user::Model);

#[Object]
impl GridWorker {
    async fn username(&self) -> &str {
        &self.0.username
    }

    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// The work phone.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }

    /// Whether the account is active.
    async fn active(&self) -> bool {
        self.0.active
    }
}

#[derive(Default)]
pub struct AreasQuery;

#[Object]
impl AreasQuery {
    /// The district, street or community with this code, or null.
    async fn area(&self, ctx: &Context<'_>, code: String) -> Result<Option<Area>> {
        Area::find(ctx, &code).await
    }

    /// Areas by code. With no arguments: every district, street and community.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn areas(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the areas directly under this one.")] parent_code: Option<String>,
        #[graphql(desc = "Only areas of this level.")] level: Option<AreaLevel>,
        #[graphql(desc = "Only this area and those inside it.")] within: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Area>> {
        let filter = AreaFilter {
            parent: parent_code
                .map(|code| parse_code("parentCode", &code))
                .transpose()?,
            level: level.map(Into::into),
            within: within.map(|code| parse_code("within", &code)).transpose()?,
        };
        let request = PageRequest::new(first, after, AREA_CURSOR)?;
        let listing = areas::list_areas(ctx.access()?, &filter, &request).await?;
        Ok(connection(AREA_CURSOR, listing, Area))
    }

    /// The grid with this 15-digit code, or null.
    async fn grid(&self, ctx: &Context<'_>, code: String) -> Result<Option<Grid>> {
        Grid::find(ctx, &code).await
    }

    /// Grids by code, all of them or those inside one area.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn grids(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only grids inside this area (any level).")] within: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Grid>> {
        let within = within.map(|code| parse_code("within", &code)).transpose()?;
        let request = PageRequest::new(first, after, GRID_CURSOR)?;
        let listing = areas::list_grids(ctx.access()?, within.as_ref(), &request).await?;
        Ok(connection(GRID_CURSOR, listing, Grid))
    }
}

async fn load_area(ctx: &Context<'_>, code: Option<&str>) -> Result<Option<Area>> {
    let Some(code) = code else {
        return Ok(None);
    };
    Ok(ctx
        .loaders()?
        .areas()
        .load_one(code.to_owned())
        .await?
        .map(Area))
}

async fn load_ancestors(ctx: &Context<'_>, code: &AreaCode) -> Result<Vec<Area>> {
    let mut codes = Vec::new();
    let mut next = code.parent();
    while let Some(parent) = next {
        next = parent.parent();
        codes.push(parent.to_string());
    }
    codes.reverse();
    let mut found = ctx
        .loaders()?
        .areas()
        .load_many(codes.iter().cloned())
        .await?;
    Ok(codes
        .iter()
        .filter_map(|code| found.remove(code))
        .map(Area)
        .collect())
}
