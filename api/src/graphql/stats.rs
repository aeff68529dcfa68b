//! `statistics`: the command centre's screen for any area, computed in SQL
//! under the caller's scope, with small groups suppressed for callers who
//! may see statistics but not the residents behind them.

use async_graphql::{Context, Object, Result, SimpleObject};

use super::ContextExt;
use super::record::{AreaLevel, CareFlag};
use crate::domain::areas::parse_code;
use crate::domain::cases::lights::{self, LightCounts};
use crate::domain::stats::{self, AGE_BANDS, ShownCounts};

/// One age band: a row of the age pyramid.
#[derive(SimpleObject)]
pub struct AgeBand {
    /// Youngest age in the band.
    from: u32,
    /// Oldest age in the band; null for the open top band (80+).
    to: Option<u32>,
    /// Residents in the band (null when suppressed).
    count: Option<i64>,
    /// Men in the band (null when suppressed).
    men: Option<i64>,
    /// Women in the band (null when suppressed).
    women: Option<i64>,
}

/// How many residents carry one care flag.
#[derive(SimpleObject)]
pub struct CareFlagCount {
    /// The flag.
    flag: CareFlag,
    /// Residents carrying it (null when suppressed).
    count: Option<i64>,
}

/// Residents by population type.
#[derive(SimpleObject)]
pub struct PopulationTypes {
    /// With household registration here.
    registered: Option<i64>,
    /// Living here, registered elsewhere.
    floating: Option<i64>,
    /// Foreign nationals.
    foreign: Option<i64>,
}

/// Dwellings by the four colours of the screen.
#[derive(SimpleObject)]
pub struct OccupancyCounts {
    /// Green: lived in by their owners.
    owner_occupied: Option<i64>,
    /// Red: let to tenants.
    rented: Option<i64>,
    /// Yellow: used as offices.
    office: Option<i64>,
    /// Grey: empty.
    vacant: Option<i64>,
}

/// Organisations by the state of their licence.
#[derive(SimpleObject)]
pub struct LicenceCounts {
    /// With a licence in force.
    valid: Option<i64>,
    /// With a licence past its expiry.
    expired: Option<i64>,
    /// Trading without a licence.
    none: Option<i64>,
}

/// Open cases by light: the map's colours.
#[derive(SimpleObject, Clone, Copy)]
pub struct CaseLights {
    /// Open cases (reported and not yet closed).
    open: i64,
    /// Under 80% of their time limit.
    green: i64,
    /// From 80% to 100%.
    yellow: i64,
    /// Past their deadline.
    red: i64,
}

impl From<LightCounts> for CaseLights {
    fn from(counts: LightCounts) -> CaseLights {
        CaseLights {
            open: counts.open,
            green: counts.green,
            yellow: counts.yellow,
            red: counts.red,
        }
    }
}

/// The statistics of one area. Counts are of active residents. A count is
/// null when it is suppressed: a group smaller than the threshold, shown to
/// a caller who may not see the residents themselves.
#[derive(SimpleObject)]
pub struct Statistics {
    /// The area's code; null for everything you may see.
    area: Option<String>,
    /// The area's name.
    name: Option<String>,
    /// Active residents.
    residents: Option<i64>,
    /// Men among them.
    men: Option<i64>,
    /// Women among them.
    women: Option<i64>,
    /// Men per 100 women.
    sex_ratio: Option<f64>,
    /// Residents by age band, each split into men and women: the age
    /// pyramid.
    age_bands: Vec<AgeBand>,
    /// Residents by population type.
    population_types: PopulationTypes,
    /// Residents by care flag, for those who may see care flags.
    care_flags: Vec<CareFlagCount>,
    /// Dwellings by colour.
    dwellings: OccupancyCounts,
    /// Organisations by licence state.
    organisations: LicenceCounts,
    /// Open cases by light, over the cases you may list (those not yet
    /// filed have no light yet); null without the right to read cases.
    open_cases: Option<CaseLights>,
    /// Whether small groups were suppressed.
    suppressed: bool,
    /// The same for each of its parts: the areas directly inside it, or
    /// those at the `level` asked for.
    children: Vec<Statistics>,
}

fn shape(
    area: Option<String>,
    name: Option<String>,
    counts: &ShownCounts,
    open_cases: Option<CaseLights>,
    suppressed: bool,
    children: Vec<Statistics>,
) -> Statistics {
    Statistics {
        area,
        name,
        residents: counts.residents,
        men: counts.men,
        women: counts.women,
        sex_ratio: counts.sex_ratio,
        age_bands: AGE_BANDS
            .iter()
            .zip(counts.age_bands)
            .map(|((from, to), [count, men, women])| AgeBand {
                from: *from,
                to: *to,
                count,
                men,
                women,
            })
            .collect(),
        population_types: PopulationTypes {
            registered: counts.registered,
            floating: counts.floating,
            foreign: counts.foreign,
        },
        care_flags: counts
            .care_flags
            .iter()
            .map(|(flag, count)| CareFlagCount {
                flag: (*flag).into(),
                count: *count,
            })
            .collect(),
        dwellings: OccupancyCounts {
            owner_occupied: counts.owner_occupied,
            rented: counts.rented,
            office: counts.office,
            vacant: counts.vacant,
        },
        organisations: LicenceCounts {
            valid: counts.licence_valid,
            expired: counts.licence_expired,
            none: counts.licence_none,
        },
        open_cases,
        suppressed,
        children,
    }
}

#[derive(Default)]
pub struct StatsQuery;

#[Object]
impl StatsQuery {
    /// Population, dwellings and organisations of an area (any level), and of
    /// each of its parts (`children`): the areas directly inside it, or
    /// those at `level` (every grid of a district in one request, for a
    /// map); without `area`, of everything you may see, by district unless
    /// `level` says otherwise. Null for an area you may not see.
    #[graphql(complexity = "super::limits::SCAN_COST + child_complexity")]
    async fn statistics(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An area or grid code; the caller's whole scope when left out.")]
        area: Option<String>,
        #[graphql(
            desc = "The level of the parts in `children`, below the area's own; the level directly inside it when left out."
        )]
        level: Option<AreaLevel>,
    ) -> Result<Option<Statistics>> {
        let _scan = ctx.scan_permit().await?;
        let area = area.map(|code| parse_code("area", &code)).transpose()?;
        let parts = stats::parts_level(area.as_ref(), level.map(Into::into))?;
        let Some(computed) = stats::statistics(ctx.access()?, area.as_ref(), Some(parts)).await?
        else {
            return Ok(None);
        };
        let mut codes: Vec<String> = computed
            .children
            .iter()
            .map(|(code, _)| code.clone())
            .collect();
        codes.extend(area.as_ref().map(|code| code.as_str().to_owned()));
        let names = stats::names_of(ctx.access()?, codes).await?;
        // Counted only when asked for: one statement for the area and its parts.
        let selection = ctx.look_ahead();
        let lights = if selection.field("openCases").exists()
            || selection.field("children").field("openCases").exists()
        {
            lights::open_by_light(ctx.access()?, area.as_ref(), parts).await?
        } else {
            None
        };
        let part_lights = |code: &str| {
            lights
                .as_ref()
                .map(|(_, parts)| parts.get(code).copied().unwrap_or_default().into())
        };
        let own_name = area
            .as_ref()
            .and_then(|code| names.get(code.as_str()).cloned());
        let children = computed
            .children
            .iter()
            .map(|(code, counts)| {
                shape(
                    Some(code.clone()),
                    names.get(code).cloned(),
                    counts,
                    part_lights(code),
                    computed.suppressed,
                    Vec::new(),
                )
            })
            .collect();
        Ok(Some(shape(
            area.map(String::from),
            own_name,
            &computed.counts,
            lights.as_ref().map(|(total, _)| (*total).into()),
            computed.suppressed,
            children,
        )))
    }
}
