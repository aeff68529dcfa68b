//! Areas and grids: the map of the city every other answer hangs on.

use async_graphql::{Context, InputObject, Object, Result};

use super::ContextExt;
use super::ordering::{AreaOrder, AreaOrderField, GridOrder, GridOrderField};
use super::record::{Area, AreaLevel, Grid};
use super::relay::{Page, connection, page_complexity};
use crate::domain::areas::{self, AREA_CURSOR, AreaFilter, GRID_CURSOR, parse_code};
use crate::domain::page::Paging;

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

    /// Areas: every district, street and community you may see on the
    /// map, by code unless `orderBy` says otherwise.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn areas(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which areas.")] filter: Option<AreaFilterInput>,
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
        let filter = filter.unwrap_or_default().validate()?;
        let (order, kind) = order_by.resolve(AREA_CURSOR);
        let request = super::relay::page_request(
            ctx,
            Paging {
                first,
                after,
                last,
                before,
            },
            &kind,
        )?;
        let listing = areas::list_areas(ctx.access()?, &filter, order, &request).await?;
        Ok(connection(&kind, listing, Area))
    }

    /// The grid with this 15-digit code, or null.
    async fn grid(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The grid's 15-digit code.")] code: String,
    ) -> Result<Option<Grid>> {
        Grid::find(ctx, &code).await
    }

    /// Grids you may see on the map, by code unless `orderBy` says
    /// otherwise.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn grids(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which grids.")] filter: Option<GridFilterInput>,
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
        let within = filter
            .and_then(|filter| filter.within)
            .map(|code| parse_code("within", &code))
            .transpose()?;
        let (order, kind) = order_by.resolve(GRID_CURSOR);
        let request = super::relay::page_request(
            ctx,
            Paging {
                first,
                after,
                last,
                before,
            },
            &kind,
        )?;
        let listing = areas::list_grids(ctx.access()?, within.as_ref(), order, &request).await?;
        Ok(connection(&kind, listing, Grid))
    }
}

/// Which areas to list; the parts combine with AND.
#[derive(InputObject, Default)]
#[graphql(name = "AreaFilter")]
pub struct AreaFilterInput {
    /// Only the areas directly under this one.
    parent_code: Option<String>,
    /// Only areas of this level.
    level: Option<AreaLevel>,
    /// Only this area and those inside it.
    within: Option<String>,
}

impl AreaFilterInput {
    fn validate(self) -> Result<AreaFilter> {
        Ok(AreaFilter {
            parent: self
                .parent_code
                .map(|code| parse_code("parentCode", &code))
                .transpose()?,
            level: self.level.map(Into::into),
            within: self
                .within
                .map(|code| parse_code("within", &code))
                .transpose()?,
        })
    }
}

/// Which grids to list.
#[derive(InputObject, Default)]
#[graphql(name = "GridFilter")]
pub struct GridFilterInput {
    /// Only grids inside this area (any level).
    within: Option<String>,
}
