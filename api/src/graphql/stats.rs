//! `statistics`: the command centre's screen for any area, computed in SQL
//! under the caller's scope, with small groups suppressed for callers who
//! may see statistics but not the residents behind them.

use async_graphql::{Context, Object, Result, SimpleObject};
use policies::{Action, Object as Thing};

use super::ContextExt;
use super::residents::CareFlag;
use crate::domain::areas::parse_code;
use crate::domain::stats::{self, AGE_BANDS, Counts};

/// One age band's count.
#[derive(SimpleObject)]
pub struct AgeBand {
    /// Youngest age in the band.
    from: u32,
    /// Oldest age in the band; null for the open top band (80+).
    to: Option<u32>,
    count: Option<i64>,
}

#[derive(SimpleObject)]
pub struct CareFlagCount {
    flag: CareFlag,
    count: Option<i64>,
}

#[derive(SimpleObject)]
pub struct PopulationTypes {
    registered: Option<i64>,
    floating: Option<i64>,
    foreign: Option<i64>,
}

/// Dwellings by the four colours of the screen.
#[derive(SimpleObject)]
pub struct OccupancyCounts {
    owner_occupied: Option<i64>,
    rented: Option<i64>,
    office: Option<i64>,
    vacant: Option<i64>,
}

#[derive(SimpleObject)]
pub struct LicenceCounts {
    valid: Option<i64>,
    expired: Option<i64>,
    none: Option<i64>,
}

/// The statistics of one area. Counts are of active residents. A count is
/// null when it is suppressed: a group smaller than the threshold, shown to
/// a caller who may not see the residents themselves.
#[derive(SimpleObject)]
pub struct Statistics {
    /// The area's code; null for everything you may see.
    area: Option<String>,
    name: Option<String>,
    residents: Option<i64>,
    men: Option<i64>,
    women: Option<i64>,
    /// Men per 100 women.
    sex_ratio: Option<f64>,
    age_bands: Vec<AgeBand>,
    population_types: PopulationTypes,
    care_flags: Vec<CareFlagCount>,
    dwellings: OccupancyCounts,
    organisations: LicenceCounts,
    /// Whether small groups were suppressed.
    suppressed: bool,
    /// The same for each area directly inside this one.
    children: Vec<Statistics>,
}

fn shape(
    area: Option<String>,
    name: Option<String>,
    counts: &Counts,
    below: Option<i64>,
    children: Vec<Statistics>,
) -> Statistics {
    let show = |n: i64| stats::shown(n, below);
    let ratio = (counts.women > 0 && show(counts.men).is_some() && show(counts.women).is_some())
        .then(|| (counts.men as f64 * 1000.0 / counts.women as f64).round() / 10.0);
    Statistics {
        area,
        name,
        residents: show(counts.residents),
        men: show(counts.men),
        women: show(counts.women),
        sex_ratio: ratio,
        age_bands: AGE_BANDS
            .iter()
            .zip(counts.age_bands)
            .map(|((from, to), n)| AgeBand {
                from: *from,
                to: *to,
                count: show(n),
            })
            .collect(),
        population_types: PopulationTypes {
            registered: show(counts.registered),
            floating: show(counts.floating),
            foreign: show(counts.foreign),
        },
        care_flags: counts
            .care_flags
            .iter()
            .map(|(flag, n)| CareFlagCount {
                flag: (*flag).into(),
                count: show(*n),
            })
            .collect(),
        dwellings: OccupancyCounts {
            owner_occupied: show(counts.owner_occupied),
            rented: show(counts.rented),
            office: show(counts.office),
            vacant: show(counts.vacant),
        },
        organisations: LicenceCounts {
            valid: show(counts.licence_valid),
            expired: show(counts.licence_expired),
            none: show(counts.licence_none),
        },
        suppressed: below.is_some(),
        children,
    }
}

/// Whether `scope` covers every row inside `area`, with nothing carved out.
#[derive(Default)]
pub struct StatsQuery;

#[Object]
impl StatsQuery {
    /// Population, dwellings and organisations of an area (any level), and of
    /// each area directly inside it; without `area`, of everything you may
    /// see, by district. Null for an area you may not see.
    #[graphql(complexity = "super::limits::SCAN_COST + child_complexity")]
    async fn statistics(
        &self,
        ctx: &Context<'_>,
        area: Option<String>,
    ) -> Result<Option<Statistics>> {
        let caller = ctx.caller()?;
        let _scan = ctx.scan_permit().await?;
        let state = ctx.state();
        let area = area.map(|code| parse_code("area", &code)).transpose()?;
        let scope = caller.scope(&state.authorizer, Thing::Statistics, Action::Read);
        if scope.is_nothing() || area.as_ref().is_some_and(|code| !scope.contains_code(code)) {
            return Ok(None);
        }
        let residents = caller.scope(&state.authorizer, Thing::Resident, Action::Read);
        let below = stats::suppression(&scope, &residents, area.as_ref(), state.suppress_below);
        let computed = stats::compute(&state.db, &scope, area.as_ref()).await?;
        let mut codes: Vec<String> = computed
            .children
            .iter()
            .map(|(code, _)| code.clone())
            .collect();
        codes.extend(area.as_ref().map(|code| code.as_str().to_owned()));
        let names = stats::names_of(&state.db, codes).await?;
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
                    below,
                    Vec::new(),
                )
            })
            .collect();
        Ok(Some(shape(
            area.map(String::from),
            own_name,
            &computed.counts,
            below,
            children,
        )))
    }
}
