//! The map's objects: districts, streets and communities, grids and their
//! workers. The lists that reach them live in `areas`.

use async_graphql::{Context, Enum, ID, Json, Object, Result};
use entities::{area, grid};
use policies::AreaCode;

use super::homes::Building;
use crate::domain::areas::{self, AREA_CURSOR, AreaFilter, GRID_CURSOR, parse_code};
use crate::domain::page::Paging;
use crate::domain::viewer;
use crate::graphql::ContextExt;
use crate::graphql::loaders::load_one;
use crate::graphql::ordering::{AreaOrder, AreaOrderField, GridOrder, GridOrderField};
use crate::graphql::relay::{
    NodeKind, Page, connection, global_id, page_complexity, page_of_all, page_request,
};

/// The cursor kind of a grid's buildings.
const GRID_BUILDING_CURSOR: &str = "grid.building";

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
pub struct Area(pub area::Model);

impl crate::graphql::plain::Plain for Area {}

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

/// A district, street or community.
#[Object]
impl Area {
    /// The area's global ID.
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Area, &self.0.code)
    }

    /// The area code: 6 digits for a district, 9 for a street, 12 for a community.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Its name, e.g. 西陵区.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// District, street or community.
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

    /// The areas directly under this one, by code unless `orderBy` says
    /// otherwise. Empty for a community, whose children are its grids.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn children(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Their order.",
            default_with = "AreaOrder::asc(AreaOrderField::Code)"
        )]
        order_by: AreaOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Area>> {
        let (order, kind) = order_by.resolve(AREA_CURSOR);
        let request = page_request(
            ctx,
            Paging {
                first,
                after,
                last,
                before,
            },
            &kind,
        )?;
        let filter = AreaFilter {
            parent: Some(self.area_code()?),
            ..AreaFilter::default()
        };
        let listing = areas::list_areas(ctx.access()?, &filter, order, &request).await?;
        Ok(connection(&kind, listing, Area))
    }

    /// Every grid inside this area, by code unless `orderBy` says otherwise.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn grids(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Their order.",
            default_with = "GridOrder::asc(GridOrderField::Code)"
        )]
        order_by: GridOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Grid>> {
        let (order, kind) = order_by.resolve(GRID_CURSOR);
        let request = page_request(
            ctx,
            Paging {
                first,
                after,
                last,
                before,
            },
            &kind,
        )?;
        let area = self.area_code()?;
        let listing = areas::list_grids(ctx.access()?, Some(&area), order, &request).await?;
        Ok(connection(&kind, listing, Grid))
    }
}

/// A grid (网格): a few hundred households in the care of one grid worker.
pub struct Grid(pub grid::Model);

impl crate::graphql::plain::Plain for Grid {}

impl Grid {
    /// The grid, or None when it does not exist or the caller may not see it.
    pub async fn find(ctx: &Context<'_>, code: &str) -> Result<Option<Grid>> {
        Ok(areas::grid(ctx.access()?, code).await?.map(Grid))
    }

    /// The grid a row points at, batched with the request's other rows;
    /// None when the caller may not see it on the map.
    pub async fn load(ctx: &Context<'_>, code: &str) -> Result<Option<Grid>> {
        let loader = ctx.loaders()?.grids();
        Ok(loader.load_one(code.to_owned()).await?.map(Grid))
    }
}

/// A grid (网格): a few hundred households in the care of one grid worker.
#[Object]
impl Grid {
    /// The grid's global ID.
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Grid, &self.0.code)
    }

    /// The 15-digit grid code: the community's code and a 3-digit sequence.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Whether you may register residents here: the button a screen shows
    /// for `registerResident`.
    async fn viewer_can_register_resident(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(viewer::may_register_resident(ctx.access()?, &self.0.code))
    }

    /// Whether you may report a case here (`reportCase`).
    async fn viewer_can_report_case(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(viewer::may_report_case(ctx.access()?, &self.0.code))
    }

    /// Whether you may send a task to this grid (`sendTask`).
    async fn viewer_can_send_task(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(viewer::may_send_task(ctx.access()?, &self.0.code))
    }

    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The grid's outline as a GeoJSON Polygon (WGS 84), when surveyed.
    async fn boundary(&self) -> Option<Json<serde_json::Value>> {
        self.0.boundary.clone().map(Json)
    }

    /// The community it belongs to.
    async fn community(&self, ctx: &Context<'_>) -> Result<Option<Area>> {
        load_area(ctx, Some(&self.0.community_code)).await
    }

    /// District, street and community, outermost first.
    async fn ancestors(&self, ctx: &Context<'_>) -> Result<Vec<Area>> {
        load_ancestors(ctx, &parse_code("code", &self.0.code)?).await
    }

    /// The grid's buildings you may see, by code.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn buildings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Building>> {
        let all = ctx
            .loaders()?
            .grid_buildings()
            .load_one(self.0.code.clone())
            .await?
            .unwrap_or_default();
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        Ok(page_of_all(
            GRID_BUILDING_CURSOR,
            all,
            paging,
            |row| row.code.clone(),
            Building,
        )?)
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

/// The grid worker (网格员) in charge of a grid, as the people of the grid
/// and the command centre reach them.
#[Object]
impl GridWorker {
    /// The worker's username.
    async fn username(&self) -> &str {
        &self.0.username
    }

    /// The worker's name.
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

/// The area of `code`, batched with the request's other rows; None for no
/// code, a grid's code, or an area off the caller's map.
pub async fn load_area(ctx: &Context<'_>, code: Option<&str>) -> Result<Option<Area>> {
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

/// The name of the grid or area of `code`, for a table a person reads;
/// None off the caller's map.
pub async fn place_name(ctx: &Context<'_>, code: &str) -> Result<Option<String>> {
    let is_grid = AreaCode::parse(code).is_ok_and(|code| code.level() == policies::AreaLevel::Grid);
    Ok(if is_grid {
        Grid::load(ctx, code).await?.map(|grid| grid.0.name)
    } else {
        load_area(ctx, Some(code)).await?.map(|area| area.0.name)
    })
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
