//! Statistics for the command centre's screen, computed in SQL under the
//! caller's scope: population by sex, age band (each split by sex, for the
//! pyramid) and type, care flags,
//! dwellings by colour, organisations by licence state, for an area and for
//! each area directly inside it. Counts of rows the caller may not list
//! themselves (an analyst's residents, a token's dwellings) never show a
//! small group, nor one that subtraction could recover ([`suppression`]).

mod clock;
pub mod suppression;

pub use clock::{Recounted, recount};

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use entities::resident::CareFlag;
use entities::{area, grid, grid_count};
use migration::counting::BAND_STARTS;
use policies::{Action, Allow, AreaCode, AreaLevel, Object, Scope};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::domain::access::Access;
use crate::domain::within::{in_scope, within};
use crate::error::{ApiError, ApiResult};

/// The age bands of the screen: 0-6, 7-17, 18-34, 35-59, 60-79, 80+, as
/// the per-grid counts keep them.
pub const AGE_BANDS: [(u32, Option<u32>); BAND_STARTS.len()] = {
    let mut bands = [(0, None); BAND_STARTS.len()];
    let mut band = 0;
    while band < BAND_STARTS.len() {
        let until = if band + 1 < BAND_STARTS.len() {
            Some(BAND_STARTS[band + 1] - 1)
        } else {
            None
        };
        bands[band] = (BAND_STARTS[band], until);
        band += 1;
    }
    bands
};

/// Counts of one area. `None` is a suppressed group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub residents: i64,
    pub men: i64,
    pub women: i64,
    /// Men, then women, in each age band; the band's count is their sum
    /// (the record knows two sexes).
    pub age_bands: [[i64; 2]; 6],
    pub registered: i64,
    pub floating: i64,
    pub foreign: i64,
    pub care_flags: Vec<(CareFlag, i64)>,
    pub owner_occupied: i64,
    pub rented: i64,
    pub office: i64,
    pub vacant: i64,
    pub licence_valid: i64,
    pub licence_expired: i64,
    pub licence_none: i64,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.residents += other.residents;
        self.men += other.men;
        self.women += other.women;
        for (mine, theirs) in self.age_bands.iter_mut().zip(other.age_bands) {
            mine[0] += theirs[0];
            mine[1] += theirs[1];
        }
        self.registered += other.registered;
        self.floating += other.floating;
        self.foreign += other.foreign;
        for (flag, n) in &other.care_flags {
            match self.care_flags.iter_mut().find(|(f, _)| f == flag) {
                Some((_, mine)) => *mine += n,
                None => self.care_flags.push((*flag, *n)),
            }
        }
        self.owner_occupied += other.owner_occupied;
        self.rented += other.rented;
        self.office += other.office;
        self.vacant += other.vacant;
        self.licence_valid += other.licence_valid;
        self.licence_expired += other.licence_expired;
        self.licence_none += other.licence_none;
    }
}

/// An area's exact counts and those of the areas directly inside it.
#[derive(Debug, Clone)]
struct Computed {
    /// `None`: the whole city the caller may see.
    pub area: Option<AreaCode>,
    pub counts: Counts,
    pub children: Vec<(String, Counts)>,
}

/// The counts of the areas of code width `width` inside `area` (or inside
/// everything the scope covers), under the scope: a sum over the grids'
/// counts, brought forward to today first.
async fn counts_by(
    db: &DatabaseConnection,
    scope: &Scope,
    area: Option<&AreaCode>,
    width: usize,
) -> ApiResult<BTreeMap<String, Counts>> {
    clock::bring_forward(db, Utc::now().date_naive()).await?;
    let column = grid_count::Column::GridCode;
    let mut select = Query::select();
    select
        .from(grid_count::Entity)
        .expr_as(
            Func::cust(Alias::new("SUBSTR")).args([
                Expr::col(column),
                Expr::val(1),
                Expr::val(width as i32),
            ]),
            Alias::new("area"),
        )
        .cond_where(in_scope(column, scope))
        // A grid whose last resident, dwelling and organisation went is not
        // an area with counts, as it was not before they were kept.
        .cond_where(
            Condition::any()
                .add(Expr::col(grid_count::Column::Residents).ne(0))
                .add(Expr::col(grid_count::Column::Dwellings).ne(0))
                .add(Expr::col(grid_count::Column::Organisations).ne(0)),
        )
        .add_group_by([Expr::cust("1")]);
    if let Some(area) = area {
        select.cond_where(within(column, area));
    }
    let columns = migration::counting::columns();
    for name in &columns {
        select.expr_as(
            Expr::col(Alias::new(name.as_str())).sum(),
            Alias::new(name.as_str()),
        );
    }
    let rows = db
        .query_all_raw(db.get_database_backend().build(&select))
        .await?;
    let mut by_area = BTreeMap::new();
    for row in rows {
        let area: String = row.try_get("", "area")?;
        let mut sums = HashMap::new();
        for name in &columns {
            let sum: Option<i64> = row.try_get("", name)?;
            sums.insert(name.as_str(), sum.unwrap_or(0));
        }
        let n = |name: &str| sums.get(name).copied().unwrap_or(0);
        by_area.insert(
            area,
            Counts {
                residents: n("residents"),
                men: n("men"),
                women: n("women"),
                age_bands: std::array::from_fn(|band| {
                    [n(&format!("men_{band}")), n(&format!("women_{band}"))]
                }),
                registered: n("registered"),
                floating: n("floating"),
                foreign: n("foreign"),
                care_flags: CareFlag::ALL
                    .iter()
                    .enumerate()
                    .map(|(index, flag)| (*flag, n(&format!("flag_{index}"))))
                    .collect(),
                owner_occupied: n("owner_occupied"),
                rented: n("rented"),
                office: n("office"),
                vacant: n("vacant"),
                licence_valid: n("licence_valid"),
                licence_expired: n("licence_expired"),
                licence_none: n("licence_none"),
            },
        );
    }
    Ok(by_area)
}

/// Statistics of `area` (or of everything the scope covers), broken down by
/// its parts at `parts`.
async fn compute(
    db: &DatabaseConnection,
    scope: &Scope,
    area: Option<&AreaCode>,
    parts: AreaLevel,
) -> ApiResult<Computed> {
    let by_area = counts_by(db, scope, area, parts.width()).await?;
    let mut total = Counts {
        care_flags: CareFlag::ALL.iter().map(|flag| (*flag, 0)).collect(),
        ..Counts::default()
    };
    for counts in by_area.values() {
        total.add(counts);
    }
    Ok(Computed {
        area: area.cloned(),
        counts: total,
        children: by_area.into_iter().collect(),
    })
}

/// The names of these area and grid codes.
pub async fn names_of(access: &Access, codes: Vec<String>) -> ApiResult<HashMap<String, String>> {
    access.caller()?;
    let db = access.db();
    let mut names: HashMap<String, String> = area::Entity::find()
        .filter(area::Column::Code.is_in(codes.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.code, row.name))
        .collect();
    names.extend(
        grid::Entity::find()
            .filter(grid::Column::Code.is_in(codes))
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.code, row.name)),
    );
    Ok(names)
}

/// A count as the caller sees it: `None` when it is withheld.
pub type Shown = Option<i64>;

/// One area's counts as the caller sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownCounts {
    pub residents: Shown,
    pub men: Shown,
    pub women: Shown,
    /// Men per 100 women; withheld with either.
    pub sex_ratio: Option<f64>,
    /// Each band's count, its men and its women.
    pub age_bands: [[Shown; 3]; 6],
    pub registered: Shown,
    pub floating: Shown,
    pub foreign: Shown,
    pub care_flags: Vec<(CareFlag, Shown)>,
    pub owner_occupied: Shown,
    pub rented: Shown,
    pub office: Shown,
    pub vacant: Shown,
    pub licence_valid: Shown,
    pub licence_expired: Shown,
    pub licence_none: Shown,
}

/// An area's statistics and its children's, as the caller sees them.
#[derive(Debug, Clone)]
pub struct ShownStatistics {
    /// `None`: everything the caller may see.
    pub area: Option<AreaCode>,
    pub counts: ShownCounts,
    pub children: Vec<(String, ShownCounts)>,
    /// Whether any group of counts was subject to suppression.
    pub suppressed: bool,
}

/// The counts in one flat row, in this order: residents, men, women, the
/// age bands, their men, their women, the population types, the care flags,
/// the four colours, the three licence states.
const FLAGS: usize = CareFlag::ALL.len();
const BANDS_AT: usize = 3;
const MEN_BANDS_AT: usize = BANDS_AT + 6;
const WOMEN_BANDS_AT: usize = MEN_BANDS_AT + 6;
const TYPES_AT: usize = WOMEN_BANDS_AT + 6;
const FLAGS_AT: usize = TYPES_AT + 3;
const COLOURS_AT: usize = FLAGS_AT + FLAGS;
const LICENCES_AT: usize = COLOURS_AT + 4;
const MEASURES: usize = LICENCES_AT + 3;

/// Every total in a row with the parts that add up to it: the residents
/// by sex, by band and by type; each sex by band; each band by sex. The
/// pyramid is a table of bands by sex, so each of its rows and columns is a
/// relation an attacker could subtract along.
fn partitions() -> Vec<(usize, Vec<usize>)> {
    let bands = |at: usize| (at..at + 6).collect::<Vec<_>>();
    let mut partitions = vec![
        (0, vec![1, 2]),
        (0, bands(BANDS_AT)),
        (0, vec![TYPES_AT, TYPES_AT + 1, TYPES_AT + 2]),
        (1, bands(MEN_BANDS_AT)),
        (2, bands(WOMEN_BANDS_AT)),
    ];
    partitions.extend((0..6).map(|band| {
        (
            BANDS_AT + band,
            vec![MEN_BANDS_AT + band, WOMEN_BANDS_AT + band],
        )
    }));
    partitions
}

fn flatten(counts: &Counts) -> Vec<i64> {
    let mut row = vec![counts.residents, counts.men, counts.women];
    row.extend(counts.age_bands.map(|[men, women]| men + women));
    row.extend(counts.age_bands.map(|[men, _]| men));
    row.extend(counts.age_bands.map(|[_, women]| women));
    row.extend([counts.registered, counts.floating, counts.foreign]);
    row.extend(CareFlag::ALL.iter().map(|flag| {
        counts
            .care_flags
            .iter()
            .find(|(f, _)| f == flag)
            .map_or(0, |(_, n)| *n)
    }));
    row.extend([
        counts.owner_occupied,
        counts.rented,
        counts.office,
        counts.vacant,
    ]);
    row.extend([
        counts.licence_valid,
        counts.licence_expired,
        counts.licence_none,
    ]);
    row
}

fn shown_from(values: &[i64], hidden: &[bool]) -> ShownCounts {
    let at = |m: usize| (!hidden[m]).then_some(values[m]);
    let (men, women) = (at(1), at(2));
    let sex_ratio = match (men, women) {
        (Some(men), Some(women)) if women > 0 => {
            Some((men as f64 * 1000.0 / women as f64).round() / 10.0)
        }
        _ => None,
    };
    ShownCounts {
        residents: at(0),
        men,
        women,
        sex_ratio,
        age_bands: std::array::from_fn(|band| {
            [BANDS_AT, MEN_BANDS_AT, WOMEN_BANDS_AT].map(|first| at(first + band))
        }),
        registered: at(TYPES_AT),
        floating: at(TYPES_AT + 1),
        foreign: at(TYPES_AT + 2),
        care_flags: CareFlag::ALL
            .iter()
            .enumerate()
            .map(|(index, flag)| (*flag, at(FLAGS_AT + index)))
            .collect(),
        owner_occupied: at(COLOURS_AT),
        rented: at(COLOURS_AT + 1),
        office: at(COLOURS_AT + 2),
        vacant: at(COLOURS_AT + 3),
        licence_valid: at(LICENCES_AT),
        licence_expired: at(LICENCES_AT + 1),
        licence_none: at(LICENCES_AT + 2),
    }
}

/// Whether `rows` reaches every place `statistics` does, so that the caller
/// could list every row the numbers count: then they are shown exactly.
fn covers(statistics: &Scope, rows: &Scope) -> bool {
    let also_left_out =
        |hole: &AreaCode| statistics.except.iter().any(|outer| outer.contains(hole));
    match &statistics.allow {
        Allow::Nowhere => true,
        Allow::Everywhere => {
            rows.allow == Allow::Everywhere && rows.except.iter().all(also_left_out)
        }
        Allow::Within(areas) => areas.iter().all(|area| {
            rows.contains_code(area)
                && rows
                    .except
                    .iter()
                    .filter(|hole| area.contains(hole))
                    .all(also_left_out)
        }),
    }
}

/// The statistics of `area` (or of everything the caller may see), or
/// `None` outside the caller's statistics scope. Each group of counts is
/// exact where the caller may list its rows everywhere it may read
/// statistics, and otherwise goes through [`suppression`] with `threshold`.
pub async fn statistics(
    access: &Access,
    area: Option<&AreaCode>,
    parts: Option<AreaLevel>,
) -> ApiResult<Option<ShownStatistics>> {
    let parts = parts_level(area, parts)?;
    let threshold = access.suppress_below();
    access.caller()?;
    let db = access.db();
    let read = |object| access.scope(object, Action::Read);
    let scope = &read(Object::Statistics);
    if scope.is_nothing() || area.is_some_and(|code| !scope.contains_code(code)) {
        return Ok(None);
    }
    let residents = covers(scope, &read(Object::Resident));
    let care_flags = residents && covers(scope, &read(Object::ResidentCareFlags));
    let dwellings = covers(scope, &read(Object::Dwelling));
    let organisations = covers(scope, &read(Object::Organisation));
    let exact: Vec<bool> = (0..MEASURES)
        .map(|m| match m {
            _ if m < FLAGS_AT => residents,
            _ if m < COLOURS_AT => care_flags,
            _ if m < LICENCES_AT => dwellings,
            _ => organisations,
        })
        .collect();
    if exact.iter().all(|exact| *exact) {
        let computed = compute(db, scope, area, parts).await?;
        let none = vec![false; MEASURES];
        return Ok(Some(ShownStatistics {
            area: computed.area,
            counts: shown_from(&flatten(&computed.counts), &none),
            children: computed
                .children
                .iter()
                .map(|(code, counts)| (code.clone(), shown_from(&flatten(counts), &none)))
                .collect(),
            suppressed: false,
        }));
    }
    // Suppression is decided over the caller's whole tree, grid by grid,
    // so that every query shows a cell the same way.
    let mut tree = suppression::Tree::new(MEASURES);
    for (grid, counts) in counts_by(db, scope, None, AreaLevel::Grid.width()).await? {
        tree.add_grid(&grid, &flatten(&counts));
    }
    let suppressed: Vec<bool> = exact.iter().map(|exact| !exact).collect();
    let partitions = partitions();
    let partitions: Vec<(usize, &[usize])> = partitions
        .iter()
        .map(|(total, parts)| (*total, parts.as_slice()))
        .collect();
    let hidden = suppression::suppress(
        &tree,
        &suppression::Rules {
            suppressed: &suppressed,
            partitions: &partitions,
            threshold: i64::from(threshold),
        },
    );
    let node = match area {
        None => Some(0),
        Some(code) => tree.node(code.as_str()),
    };
    let empty = (vec![0; MEASURES], vec![false; MEASURES]);
    let (values, shown_hidden) = match node {
        Some(node) => (tree.values[node].clone(), hidden[node].clone()),
        None => empty,
    };
    let children = node
        .map(|node| {
            tree.descendants_at(node, parts.width())
                .into_iter()
                .map(|child| {
                    (
                        tree.codes[child].clone(),
                        shown_from(&tree.values[child], &hidden[child]),
                    )
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let mut children = children;
    children.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Some(ShownStatistics {
        area: area.cloned(),
        counts: shown_from(&values, &shown_hidden),
        children,
        suppressed: true,
    }))
}

/// The level an area is broken down by: the one directly inside it unless
/// asked, and never one above it, nor its own (a grid, which has no parts,
/// is its own only part).
pub fn parts_level(area: Option<&AreaCode>, asked: Option<AreaLevel>) -> ApiResult<AreaLevel> {
    let Some(area) = area else {
        return Ok(asked.unwrap_or(AreaLevel::District));
    };
    let level = area.level();
    let directly_inside = level.child().unwrap_or(AreaLevel::Grid);
    match asked {
        None => Ok(directly_inside),
        Some(asked) if asked.width() > level.width() || asked == directly_inside => Ok(asked),
        Some(_) => Err(ApiError::bad_input(
            "level",
            format!("{area} has no parts at that level"),
        )),
    }
}
