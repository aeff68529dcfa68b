//! Lists of households, dwellings, buildings and organisations, each cut
//! to the caller's scope and ordered as asked.

use async_graphql::{Context, Enum, InputObject, Object, Result};
use entities::{building, household};

use super::ContextExt;
use super::record::{
    Building, Dwelling, Household, LicenceState, Occupancy, Organisation, OrganisationKind,
};
use super::relay::SortDirection;
use super::relay::{Page, connection};
use crate::domain::homes::{
    self, BUILDING_CURSOR, DWELLING_CURSOR, HOUSEHOLD_CURSOR, ORGANISATION_CURSOR, cursor_kind,
};
use crate::domain::page::PageRequest;
use crate::domain::scoped::Order;

/// What households are sorted by; ties go by id.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default, Debug)]
pub enum HouseholdSort {
    /// Grid by grid (the default).
    #[default]
    Grid,
    /// The registration number.
    Number,
}

/// What buildings are sorted by; ties go by id.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default, Debug)]
pub enum BuildingSort {
    /// By grid, then code.
    #[default]
    Grid,
    /// By building code.
    Code,
    /// By name.
    Name,
}

/// What organisations are sorted by; ties go by id.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default, Debug)]
pub enum OrganisationSort {
    /// By grid, then name.
    #[default]
    Grid,
    /// By name.
    Name,
}

/// The order of a list of households.
#[derive(InputObject, Default)]
pub struct HouseholdOrder {
    /// What to order by.
    #[graphql(default)]
    by: HouseholdSort,
    /// Which way.
    #[graphql(default)]
    direction: SortDirection,
}

/// The order of a list of buildings.
#[derive(InputObject, Default)]
pub struct BuildingOrder {
    /// What to order by.
    #[graphql(default)]
    by: BuildingSort,
    /// Which way.
    #[graphql(default)]
    direction: SortDirection,
}

/// The order of a list of organisations.
#[derive(InputObject, Default)]
pub struct OrganisationOrder {
    /// What to order by.
    #[graphql(default)]
    by: OrganisationSort,
    /// Which way.
    #[graphql(default)]
    direction: SortDirection,
}

/// The ordering asked for, and its list's cursor kind.
fn ordering<S: std::fmt::Debug + PartialEq + Default, C>(
    list: &str,
    by: S,
    direction: SortDirection,
    column: C,
) -> (Order<C>, String) {
    let descending = direction == SortDirection::Desc;
    let kind = if by == S::default() && !descending {
        cursor_kind(list, None)
    } else {
        cursor_kind(list, Some((&format!("{by:?}"), descending)))
    };
    (Order { column, descending }, kind)
}

fn area_arg(within: Option<String>) -> Result<Option<policies::AreaCode>> {
    Ok(within
        .map(|code| crate::domain::areas::parse_code("within", &code))
        .transpose()?)
}

#[derive(Default)]
pub struct HomesQuery;

#[Object]
impl HomesQuery {
    /// Households you may see, by grid.
    #[graphql(complexity = "super::relay::page_complexity(first, child_complexity)")]
    async fn households(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only households of grids inside this area.")] within: Option<String>,
        #[graphql(desc = "Their order; by grid and number when left out.")] order_by: Option<
            HouseholdOrder,
        >,
        #[graphql(desc = "At most this many items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
    ) -> Result<Page<Household>> {
        let order_by = order_by.unwrap_or_default();
        let column = match order_by.by {
            HouseholdSort::Grid => household::Column::GridCode,
            HouseholdSort::Number => household::Column::Number,
        };
        let (order, kind) = ordering(HOUSEHOLD_CURSOR, order_by.by, order_by.direction, column);
        let request = PageRequest::new(first, after, &kind)?;
        let listing =
            homes::households(ctx.access()?, area_arg(within)?.as_ref(), order, &request).await?;
        Ok(connection(&kind, listing, Household))
    }

    /// Dwellings you may see, by grid; filter by colour for the dwelling table.
    #[graphql(complexity = "super::relay::page_complexity(first, child_complexity)")]
    async fn dwellings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only dwellings of grids inside this area.")] within: Option<String>,
        #[graphql(desc = "Only dwellings of this colour.")] occupancy: Option<Occupancy>,
        #[graphql(desc = "At most this many items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
    ) -> Result<Page<Dwelling>> {
        let request = PageRequest::new(first, after, DWELLING_CURSOR)?;
        let listing = homes::dwellings(
            ctx.access()?,
            area_arg(within)?.as_ref(),
            occupancy.map(Into::into),
            &request,
        )
        .await?;
        Ok(connection(DWELLING_CURSOR, listing, Dwelling))
    }

    /// Buildings you may see, by grid.
    #[graphql(complexity = "super::relay::page_complexity(first, child_complexity)")]
    async fn buildings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only buildings of grids inside this area.")] within: Option<String>,
        #[graphql(desc = "Their order; by grid and code when left out.")] order_by: Option<
            BuildingOrder,
        >,
        #[graphql(desc = "At most this many items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
    ) -> Result<Page<Building>> {
        let order_by = order_by.unwrap_or_default();
        let column = match order_by.by {
            BuildingSort::Grid => building::Column::GridCode,
            BuildingSort::Code => building::Column::Code,
            BuildingSort::Name => building::Column::Name,
        };
        let (order, kind) = ordering(BUILDING_CURSOR, order_by.by, order_by.direction, column);
        let request = PageRequest::new(first, after, &kind)?;
        let listing =
            homes::buildings(ctx.access()?, area_arg(within)?.as_ref(), order, &request).await?;
        Ok(connection(&kind, listing, Building))
    }

    /// Organisations you may see, by grid; filter by licence state for the
    /// food-safety comparison.
    #[graphql(complexity = "super::relay::page_complexity(first, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only organisations of grids inside this area.")] within: Option<String>,
        #[graphql(desc = "Only organisations whose licence is in this state.")] licence: Option<
            LicenceState,
        >,
        #[graphql(desc = "Only organisations of this kind.")] kind: Option<OrganisationKind>,
        #[graphql(desc = "Their order; by grid and name when left out.")] order_by: Option<
            OrganisationOrder,
        >,
        #[graphql(desc = "At most this many items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
    ) -> Result<Page<Organisation>> {
        let order_by = order_by.unwrap_or_default();
        let column = match order_by.by {
            OrganisationSort::Grid => entities::organisation::Column::GridCode,
            OrganisationSort::Name => entities::organisation::Column::Name,
        };
        let (order, cursor) =
            ordering(ORGANISATION_CURSOR, order_by.by, order_by.direction, column);
        let request = PageRequest::new(first, after, &cursor)?;
        let listing = homes::organisations(
            ctx.access()?,
            area_arg(within)?.as_ref(),
            licence.map(Into::into),
            kind.map(Into::into),
            order,
            &request,
        )
        .await?;
        Ok(connection(&cursor, listing, Organisation))
    }
}
