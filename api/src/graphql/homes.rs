//! Lists of households, dwellings, buildings and organisations, each cut
//! to the caller's scope, filtered and ordered as asked.

use async_graphql::{Context, ID, InputObject, Object, Result};

use super::ContextExt;
use super::ordering::{
    BuildingOrder, BuildingOrderField, DwellingOrder, DwellingOrderField, HouseholdOrder,
    HouseholdOrderField, OrganisationOrder, OrganisationOrderField,
};
use super::record::{
    Building, BuildingUse, Dwelling, Household, HouseholdKind, LicenceState, Occupancy,
    Organisation, OrganisationKind,
};
use super::relay::{NodeKind, Page, connection, key_of};
use crate::domain::areas::parse_code;
use crate::domain::homes::{
    self, BUILDING_CURSOR, DWELLING_CURSOR, HOUSEHOLD_CURSOR, ORGANISATION_CURSOR,
};
use crate::domain::page::Paging;
use crate::error::ApiResult;

fn area_arg(within: Option<String>) -> ApiResult<Option<policies::AreaCode>> {
    within.map(|code| parse_code("within", &code)).transpose()
}

/// Which households to list; the parts combine with AND.
#[derive(InputObject, Default)]
pub struct HouseholdFilter {
    /// Only households of grids inside this area.
    within: Option<String>,
    /// Only households of this kind.
    kind: Option<HouseholdKind>,
}

impl HouseholdFilter {
    fn validate(self) -> ApiResult<homes::HouseholdFilter> {
        Ok(homes::HouseholdFilter {
            within: area_arg(self.within)?,
            kind: self.kind.map(Into::into),
        })
    }
}

/// Which dwellings to list; the parts combine with AND.
#[derive(InputObject, Default)]
pub struct DwellingFilter {
    /// Only dwellings of grids inside this area.
    within: Option<String>,
    /// Only dwellings of this colour (the dwelling table's four).
    occupancy: Option<Occupancy>,
    /// Only the dwellings of this building.
    building_id: Option<ID>,
}

impl DwellingFilter {
    fn validate(self) -> ApiResult<homes::DwellingFilter> {
        Ok(homes::DwellingFilter {
            within: area_arg(self.within)?,
            occupancy: self.occupancy.map(Into::into),
            building: self
                .building_id
                .map(|id| key_of("buildingId", &id, NodeKind::Building))
                .transpose()?,
        })
    }
}

/// Which buildings to list; the parts combine with AND.
#[derive(InputObject, Default)]
pub struct BuildingFilter {
    /// Only buildings of grids inside this area.
    within: Option<String>,
    /// Only buildings of this use.
    use_kind: Option<BuildingUse>,
}

impl BuildingFilter {
    fn validate(self) -> ApiResult<homes::BuildingFilter> {
        Ok(homes::BuildingFilter {
            within: area_arg(self.within)?,
            use_kind: self.use_kind.map(Into::into),
        })
    }
}

/// Which organisations to list; the parts combine with AND.
#[derive(InputObject, Default)]
pub struct OrganisationFilter {
    /// Only organisations of grids inside this area.
    within: Option<String>,
    /// Only organisations whose licence is in this state (the food-safety
    /// comparison).
    licence: Option<LicenceState>,
    /// Only organisations of this kind.
    kind: Option<OrganisationKind>,
}

impl OrganisationFilter {
    fn validate(self) -> ApiResult<homes::OrganisationFilter> {
        Ok(homes::OrganisationFilter {
            within: area_arg(self.within)?,
            licence: self.licence.map(Into::into),
            kind: self.kind.map(Into::into),
        })
    }
}

#[derive(Default)]
pub struct HomesQuery;

#[Object]
impl HomesQuery {
    /// Households you may see, grid by grid unless `orderBy` says otherwise.
    #[graphql(complexity = "super::relay::page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn households(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which households.")] filter: Option<HouseholdFilter>,
        #[graphql(
            desc = "Their order.",
            default_with = "HouseholdOrder::asc(HouseholdOrderField::Grid)"
        )]
        order_by: HouseholdOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Household>> {
        let filter = filter.unwrap_or_default().validate()?;
        let (order, kind) = order_by.resolve(HOUSEHOLD_CURSOR);
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
        let listing = homes::households(ctx.access()?, &filter, order, &request).await?;
        Ok(connection(&kind, listing, Household))
    }

    /// Dwellings you may see, grid by grid unless `orderBy` says otherwise;
    /// filter by colour for the dwelling table.
    #[graphql(complexity = "super::relay::page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn dwellings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which dwellings.")] filter: Option<DwellingFilter>,
        #[graphql(
            desc = "Their order.",
            default_with = "DwellingOrder::asc(DwellingOrderField::Grid)"
        )]
        order_by: DwellingOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Dwelling>> {
        let filter = filter.unwrap_or_default().validate()?;
        let (order, kind) = order_by.resolve(DWELLING_CURSOR);
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
        let listing = homes::dwellings(ctx.access()?, &filter, order, &request).await?;
        Ok(connection(&kind, listing, Dwelling))
    }

    /// Buildings you may see, grid by grid unless `orderBy` says otherwise.
    #[graphql(complexity = "super::relay::page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn buildings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which buildings.")] filter: Option<BuildingFilter>,
        #[graphql(
            desc = "Their order.",
            default_with = "BuildingOrder::asc(BuildingOrderField::Grid)"
        )]
        order_by: BuildingOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Building>> {
        let filter = filter.unwrap_or_default().validate()?;
        let (order, kind) = order_by.resolve(BUILDING_CURSOR);
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
        let listing = homes::buildings(ctx.access()?, &filter, order, &request).await?;
        Ok(connection(&kind, listing, Building))
    }

    /// Organisations you may see, grid by grid unless `orderBy` says
    /// otherwise.
    #[graphql(complexity = "super::relay::page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which organisations.")] filter: Option<OrganisationFilter>,
        #[graphql(
            desc = "Their order.",
            default_with = "OrganisationOrder::asc(OrganisationOrderField::Grid)"
        )]
        order_by: OrganisationOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Organisation>> {
        let filter = filter.unwrap_or_default().validate()?;
        let (order, kind) = order_by.resolve(ORGANISATION_CURSOR);
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
        let listing = homes::organisations(ctx.access()?, &filter, order, &request).await?;
        Ok(connection(&kind, listing, Organisation))
    }
}
