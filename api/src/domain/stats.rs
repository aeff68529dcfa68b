//! Statistics for the command centre's screen, computed in SQL under the
//! caller's scope: population by sex, age band and type, care flags,
//! dwellings by colour, organisations by licence state, for an area and for
//! each area directly inside it. For callers who may see statistics but not
//! residents (analysts), any group smaller than a threshold is suppressed so
//! that no one can be singled out through the numbers.

use std::collections::{BTreeMap, HashMap};

use chrono::{Months, NaiveDate, Utc};
use entities::resident::CareFlag;
use entities::{area, dwelling, grid, organisation, resident};
use policies::{Allow, AreaCode, AreaLevel, Scope};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, StatementBuilder,
};

use crate::domain::within::{in_scope, within};
use crate::error::ApiResult;

/// The age bands of the screen: 0-6, 7-17, 18-34, 35-59, 60-79, 80+.
pub const AGE_BANDS: [(u32, Option<u32>); 6] = [
    (0, Some(6)),
    (7, Some(17)),
    (18, Some(34)),
    (35, Some(59)),
    (60, Some(79)),
    (80, None),
];

/// Counts of one area. `None` is a suppressed group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub residents: i64,
    pub men: i64,
    pub women: i64,
    pub age_bands: [i64; 6],
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
            *mine += theirs;
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

/// An area's statistics and those of the areas directly inside it.
#[derive(Debug, Clone)]
pub struct Statistics {
    /// `None`: the whole city the caller may see.
    pub area: Option<AreaCode>,
    pub counts: Counts,
    pub children: Vec<(String, Counts)>,
}

fn case_sum(condition: Condition, alias: &str, select: &mut SelectStatement) {
    select.expr_as(
        Expr::case(condition, Expr::val(1))
            .finally(Expr::val(0))
            .sum(),
        Alias::new(alias),
    );
}

#[derive(Debug, FromQueryResult)]
struct ResidentRow {
    area: String,
    total: Option<i64>,
    men: Option<i64>,
    women: Option<i64>,
    band0: Option<i64>,
    band1: Option<i64>,
    band2: Option<i64>,
    band3: Option<i64>,
    band4: Option<i64>,
    band5: Option<i64>,
    registered: Option<i64>,
    floating: Option<i64>,
    foreign: Option<i64>,
    flag0: Option<i64>,
    flag1: Option<i64>,
    flag2: Option<i64>,
    flag3: Option<i64>,
    flag4: Option<i64>,
    flag5: Option<i64>,
    flag6: Option<i64>,
    flag7: Option<i64>,
}

#[derive(Debug, FromQueryResult)]
struct DwellingRow {
    area: String,
    owner_occupied: Option<i64>,
    rented: Option<i64>,
    office: Option<i64>,
    vacant: Option<i64>,
}

#[derive(Debug, FromQueryResult)]
struct OrganisationRow {
    area: String,
    valid: Option<i64>,
    expired: Option<i64>,
    none: Option<i64>,
}

/// The birth dates of someone aged `years` today: born after `earliest`
/// (exclusive) and on or before `latest`.
fn born(years_min: u32, years_max: Option<u32>, today: NaiveDate) -> Condition {
    let birth = Expr::col(Alias::new("birth_date"));
    let mut condition = Condition::all();
    if let Some(latest) = today.checked_sub_months(Months::new(years_min * 12)) {
        condition = condition.add(birth.clone().lte(latest));
    }
    if let Some(max) = years_max
        && let Some(earliest) = today.checked_sub_months(Months::new((max + 1) * 12))
    {
        condition = condition.add(birth.gt(earliest));
    }
    condition
}

fn grouped<C: ColumnTrait + Copy>(
    table: &str,
    grid_column: C,
    width: usize,
    scope: &Scope,
    area: Option<&AreaCode>,
) -> SelectStatement {
    let grid = Alias::new("grid_code");
    let mut select = Query::select();
    select
        .from(Alias::new(table))
        .expr_as(
            Func::cust(Alias::new("SUBSTR")).args([
                Expr::col(grid.clone()),
                Expr::val(1),
                Expr::val(width as i32),
            ]),
            Alias::new("area"),
        )
        .cond_where(in_scope(grid_column, scope))
        .add_group_by([Expr::cust("1")]);
    if let Some(area) = area {
        select.cond_where(within(grid_column, area));
    }
    select
}

/// Statistics of `area` (or of everything the scope covers), broken down by
/// the areas one level inside it.
pub async fn compute(
    db: &DatabaseConnection,
    scope: &Scope,
    area: Option<&AreaCode>,
) -> ApiResult<Statistics> {
    let child_level = match area {
        None => AreaLevel::District,
        Some(area) => area.level().child().unwrap_or(AreaLevel::Grid),
    };
    let width = child_level.width();
    let today = Utc::now().date_naive();
    let backend = db.get_database_backend();

    let mut residents = grouped("residents", resident::Column::GridCode, width, scope, area);
    residents.and_where(Expr::col(Alias::new("status")).eq("active"));
    residents.expr_as(Expr::col(Alias::new("id")).count(), Alias::new("total"));
    let column = |name: &str| Expr::col(Alias::new(name));
    case_sum(
        Condition::all().add(column("sex").eq("male")),
        "men",
        &mut residents,
    );
    case_sum(
        Condition::all().add(column("sex").eq("female")),
        "women",
        &mut residents,
    );
    for (index, (min, max)) in AGE_BANDS.iter().enumerate() {
        case_sum(
            born(*min, *max, today),
            &format!("band{index}"),
            &mut residents,
        );
    }
    for kind in ["registered", "floating", "foreign"] {
        case_sum(
            Condition::all().add(column("population_type").eq(kind)),
            kind,
            &mut residents,
        );
    }
    for (index, flag) in CareFlag::ALL.iter().enumerate() {
        let has = Expr::col(Alias::new("care_flags"))
            .bit_and(flag.bit())
            .ne(0);
        case_sum(
            Condition::all().add(has),
            &format!("flag{index}"),
            &mut residents,
        );
    }
    let rows = ResidentRow::find_by_statement(StatementBuilder::build(&residents, &backend))
        .all(db)
        .await?;

    let mut by_area: BTreeMap<String, Counts> = BTreeMap::new();
    let n = |value: Option<i64>| value.unwrap_or(0);
    for row in rows {
        let counts = by_area.entry(row.area).or_default();
        counts.residents = n(row.total);
        counts.men = n(row.men);
        counts.women = n(row.women);
        counts.age_bands = [
            row.band0, row.band1, row.band2, row.band3, row.band4, row.band5,
        ]
        .map(n);
        counts.registered = n(row.registered);
        counts.floating = n(row.floating);
        counts.foreign = n(row.foreign);
        let flags = [
            row.flag0, row.flag1, row.flag2, row.flag3, row.flag4, row.flag5, row.flag6, row.flag7,
        ];
        counts.care_flags = CareFlag::ALL.iter().copied().zip(flags.map(n)).collect();
    }

    let mut dwellings = grouped("dwellings", dwelling::Column::GridCode, width, scope, area);
    for kind in ["owner_occupied", "rented", "office", "vacant"] {
        case_sum(
            Condition::all().add(column("occupancy").eq(kind)),
            kind,
            &mut dwellings,
        );
    }
    for row in DwellingRow::find_by_statement(StatementBuilder::build(&dwellings, &backend))
        .all(db)
        .await?
    {
        let counts = by_area.entry(row.area).or_default();
        counts.owner_occupied = n(row.owner_occupied);
        counts.rented = n(row.rented);
        counts.office = n(row.office);
        counts.vacant = n(row.vacant);
    }

    let mut organisations = grouped(
        "organisations",
        organisation::Column::GridCode,
        width,
        scope,
        area,
    );
    let licensed = || Condition::all().add(column("licence_number").is_not_null());
    case_sum(
        licensed().add(column("licence_expires_on").gte(today)),
        "valid",
        &mut organisations,
    );
    case_sum(
        licensed().add(column("licence_expires_on").lt(today)),
        "expired",
        &mut organisations,
    );
    case_sum(
        Condition::all().add(column("licence_number").is_null()),
        "none",
        &mut organisations,
    );
    for row in OrganisationRow::find_by_statement(StatementBuilder::build(&organisations, &backend))
        .all(db)
        .await?
    {
        let counts = by_area.entry(row.area).or_default();
        counts.licence_valid = n(row.valid);
        counts.licence_expired = n(row.expired);
        counts.licence_none = n(row.none);
    }

    let mut total = Counts {
        care_flags: CareFlag::ALL.iter().map(|flag| (*flag, 0)).collect(),
        ..Counts::default()
    };
    for counts in by_area.values() {
        total.add(counts);
    }
    Ok(Statistics {
        area: area.cloned(),
        counts: total,
        children: by_area.into_iter().collect(),
    })
}

/// Whether `scope` covers every resident of `area`: the area is inside it
/// and no carve-out touches it.
fn sees_all_of(scope: &Scope, area: &AreaCode) -> bool {
    scope.contains_code(area)
        && !scope
            .except
            .iter()
            .any(|hole| area.contains(hole) || hole.contains(area))
}

/// The smallest group a caller is shown, or `None` when nothing is
/// suppressed for them. Whoever may read every resident behind the numbers
/// sees them all; a statistics-only caller (an analyst) never sees a group
/// smaller than `threshold`, so no one can be singled out through them.
pub fn suppression(
    statistics: &Scope,
    residents: &Scope,
    area: Option<&AreaCode>,
    threshold: u32,
) -> Option<i64> {
    let sees_residents = match area {
        Some(code) => sees_all_of(residents, code),
        None => match &statistics.allow {
            Allow::Nowhere => true,
            Allow::Everywhere => {
                residents.allow == Allow::Everywhere && residents.except.is_empty()
            }
            Allow::Within(areas) => areas.iter().all(|code| sees_all_of(residents, code)),
        },
    };
    (!sees_residents).then_some(i64::from(threshold))
}

/// A count as shown: hidden when it is a small group below `below`.
pub fn shown(count: i64, below: Option<i64>) -> Option<i64> {
    match below {
        Some(threshold) if count > 0 && count < threshold => None,
        _ => Some(count),
    }
}

/// The names of these area and grid codes.
pub async fn names_of(
    db: &DatabaseConnection,
    codes: Vec<String>,
) -> ApiResult<HashMap<String, String>> {
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
