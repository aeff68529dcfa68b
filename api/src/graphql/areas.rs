//! Areas and grids: the map of the city every other answer hangs on.

use async_graphql::{Context, Object, Result};

use super::ContextExt;
use super::record::{Area, AreaLevel, Grid};
use super::relay::{Page, connection, page_complexity};
use crate::domain::areas::{self, AREA_CURSOR, AreaFilter, GRID_CURSOR, parse_code};
use crate::domain::page::PageRequest;

#[derive(Default)]
pub struct AreasQuery;

#[Object]
impl AreasQuery {
    /// The district, street or community with this code, or null.
    async fn area(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The area's code (6, 9 or 12 digits).")] code: String,
    ) -> Result<Option<Area>> {
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
        #[graphql(desc = "At most this many items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
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
    async fn grid(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The grid's 15-digit code.")] code: String,
    ) -> Result<Option<Grid>> {
        Grid::find(ctx, &code).await
    }

    /// Grids by code, all of them or those inside one area.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn grids(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only grids inside this area (any level).")] within: Option<String>,
        #[graphql(desc = "At most this many items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
    ) -> Result<Page<Grid>> {
        let within = within.map(|code| parse_code("within", &code)).transpose()?;
        let request = PageRequest::new(first, after, GRID_CURSOR)?;
        let listing = areas::list_grids(ctx.access()?, within.as_ref(), &request).await?;
        Ok(connection(GRID_CURSOR, listing, Grid))
    }
}
