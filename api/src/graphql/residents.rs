//! The list of residents: filters, orderings, and the relations a page
//! loads up front.

use async_graphql::{Context, ID, InputObject, Object, Result};
use entities::resident;
use futures_util::future::{try_join, try_join3};

use super::ContextExt;
use super::asked::Asked;
use super::loaders::{Loaders, prime_if};
use super::ordering::{ResidentOrder, ResidentOrderField};
use super::record::{
    CareFlag, PopulationType, Resident, ResidentStatus, Sex, Verification, columns_read_by,
};
use super::relay::{NodeKind, Page, connection, key_of};
use super::scalars::Date;
use crate::domain::areas::parse_code;
use crate::domain::documents;
use crate::domain::page::Paging;
use crate::domain::resident_columns::ResidentColumns;
use crate::domain::resident_joins::{Joined, Joins};
use crate::domain::residents::{self, RESIDENT_CURSOR, ResidentFilter as Filter};

/// Which residents to list.
#[derive(InputObject, Default)]
pub struct ResidentFilter {
    /// Names starting with this text.
    name_prefix: Option<String>,
    /// Exactly this document number (an ID number, or a passport's).
    /// Matches only where you may see them in full: a filter must not
    /// confirm what you may not read.
    id_number: Option<String>,
    /// Only this sex.
    sex: Option<Sex>,
    /// Age in whole years, at least.
    min_age: Option<u32>,
    /// Age in whole years, at most.
    max_age: Option<u32>,
    /// Only this population type.
    population_type: Option<PopulationType>,
    /// Any of these states.
    states: Option<Vec<ResidentStatus>>,
    /// Residents with any of these flags; only where you may see care flags.
    care_flags: Option<Vec<CareFlag>>,
    /// Only residents of grids inside this area (any level).
    within: Option<String>,
    /// Members of this household.
    household_id: Option<ID>,
    /// People living in this dwelling.
    dwelling_id: Option<ID>,
    /// Of this nationality (ISO 3166-1 alpha-3: `CHN`, `KOR` …).
    nationality: Option<String>,
    /// Whose residence permit or visa runs out before this day (past days
    /// included: those already expired); with `orderBy: {field:
    /// PERMIT_EXPIRES_ON}`, the permits to renew, soonest first.
    permit_expires_before: Option<Date>,
    /// Where the police's comparison stands: any of these (`[PENDING]` is
    /// the police's queue, `[RETURNED]` the worker's returns to re-check).
    verification: Option<Vec<Verification>>,
}

impl ResidentFilter {
    fn validate(self) -> crate::error::ApiResult<Filter> {
        Ok(Filter {
            name_prefix: self.name_prefix.filter(|prefix| !prefix.is_empty()),
            id_number: self.id_number,
            sex: self.sex.map(Into::into),
            min_age: self.min_age,
            max_age: self.max_age,
            population_type: self.population_type.map(Into::into),
            states: self
                .states
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            care_flags: self
                .care_flags
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            within: self
                .within
                .map(|code| parse_code("within", &code))
                .transpose()?,
            household_id: self
                .household_id
                .map(|id| key_of("householdId", &id, NodeKind::Household))
                .transpose()?,
            dwelling_id: self
                .dwelling_id
                .map(|id| key_of("dwellingId", &id, NodeKind::Dwelling))
                .transpose()?,
            nationality: self
                .nationality
                .map(|code| documents::nationality("nationality", &code))
                .transpose()?,
            permit_expires_before: self.permit_expires_before.map(Into::into),
            verifications: self
                .verification
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
        })
    }
}

/// The relations the page's own statement reads, as asked for: only for
/// a request, whose loaders remember them (a live connection's read
/// afresh for every event).
fn joins(ctx: &Context<'_>, loaders: &Loaders) -> Joins {
    if !loaders.remember() {
        return Joins::default();
    }
    let asked = Asked::rows(ctx);
    let household = asked.field("household");
    let dwelling = asked.field("dwelling");
    // The households' dwellings are read with the rows' in one statement
    // (see `prime`): joining the rows' would leave that statement to
    // depend on whether the page's data shares them, not on its shape.
    Joins {
        households: household.exists(),
        heads: household.field("head").exists(),
        dwellings: dwelling.exists() && !household.field("dwelling").exists(),
        buildings: dwelling.field("building").exists(),
    }
}

/// Loads the relations a page's query asks for before the rows resolve,
/// each level in one statement whatever the page's size or the server's
/// load, levels that do not wait for each other sent together: the rows then
/// find them in the request's loaders at once, instead of each level
/// waiting out a batching window (and, on a busy machine, splitting into
/// several batches). A dwelling reached from a row and one reached from its
/// household are one level, as are their buildings and their occupants.
/// What the caller may not see is remembered as missing, so it is not asked
/// for again either.
async fn prime(ctx: &Context<'_>, rows: &[&resident::Model]) -> Result<()> {
    let asked = Asked::rows(ctx);
    let loaders = ctx.loaders()?;
    let household = asked.field("household");
    let dwelling = asked.field("dwelling");
    let households_dwelling = household.field("dwelling");
    let (households, _, _) = try_join3(
        prime_if(
            loaders.households(),
            household.exists(),
            rows.iter().filter_map(|row| row.household_id),
        ),
        prime_if(
            loaders.grids(),
            asked.field("grid").exists(),
            rows.iter().map(|row| row.grid_code.clone()),
        ),
        prime_if(
            loaders.resident_reviews(),
            asked.field("verificationSteps").exists(),
            rows.iter().map(|row| row.id),
        ),
    )
    .await?;
    let rows_dwellings = rows.iter().filter_map(|row| row.dwelling_id);
    let households_dwellings = households
        .values()
        .filter_map(|household| household.dwelling_id);
    let dwelling_ids: Vec<i64> = (dwelling
        .exists()
        .then_some(rows_dwellings)
        .into_iter()
        .flatten())
    .chain(
        households_dwelling
            .exists()
            .then_some(households_dwellings)
            .into_iter()
            .flatten(),
    )
    .collect();
    let (dwellings, _, _) = try_join3(
        prime_if(loaders.dwellings(), true, dwelling_ids),
        prime_if(
            loaders.residents(),
            household.field("head").exists(),
            households
                .values()
                .filter_map(|household| household.head_resident_id),
        ),
        prime_if(
            loaders.members(),
            household.page("members").exists(),
            households.keys().copied(),
        ),
    )
    .await?;
    let either =
        |name: &str| dwelling.field(name).exists() || households_dwelling.field(name).exists();
    let occupied =
        dwelling.page("residents").exists() || households_dwelling.page("residents").exists();
    try_join(
        prime_if(
            loaders.buildings(),
            either("building"),
            dwellings.values().map(|dwelling| dwelling.building_id),
        ),
        prime_if(loaders.occupants(), occupied, dwellings.keys().copied()),
    )
    .await?;
    Ok(())
}

#[derive(Default)]
pub struct ResidentsQuery;

#[Object]
impl ResidentsQuery {
    /// Residents you may see, grid by grid in registration order unless
    /// `orderBy` says otherwise. A cursor belongs to the ordering it came
    /// from. No ordering is by a protected field, so the order reveals
    /// nothing a row does not show.
    #[graphql(complexity = "super::relay::page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn residents(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which residents.")] filter: Option<ResidentFilter>,
        #[graphql(
            desc = "Their order.",
            default_with = "ResidentOrder::asc(ResidentOrderField::Grid)"
        )]
        order_by: ResidentOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Resident>> {
        let filter = filter.unwrap_or_default().validate()?;
        let (order, kind) = order_by.resolve(RESIDENT_CURSOR);
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
        let wanted: Option<Vec<&[resident::Column]>> =
            Asked::rows(ctx).names().map(columns_read_by).collect();
        let columns = ResidentColumns::of(wanted.map(|wanted| wanted.concat()));
        let loaders = ctx.loaders()?;
        let joins = joins(ctx, loaders);
        let read = residents::list(ctx.access()?, &filter, order, &request, columns, joins).await?;
        let Joined {
            households,
            heads,
            dwellings,
            buildings,
        } = read.joined;
        loaders.households().feed(households).await;
        loaders.residents().feed(heads).await;
        loaders.dwellings().feed(dwellings).await;
        loaders.buildings().feed(buildings).await;
        let listing = read.listing;
        let rows: Vec<&resident::Model> = listing.page.rows.iter().map(|(_, row)| row).collect();
        prime(ctx, &rows).await?;
        Ok(connection(&kind, listing, Resident))
    }

    /// One resident by global ID, or null: missing and forbidden look the same.
    async fn resident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The resident's global ID.")] id: ID,
    ) -> Result<Option<Resident>> {
        match super::relay::parse_global_id(&id) {
            Some((NodeKind::Resident, key)) => Resident::find(ctx, &key).await,
            _ => Ok(None),
        }
    }
}
