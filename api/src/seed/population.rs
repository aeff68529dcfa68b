//! One grid's buildings, dwellings, households, residents and organisations.
//!
//! Households are drawn from four shapes (single, couple, nuclear family,
//! three generations), which gives the city a plausible age pyramid; about a
//! fifth are floating households in rented dwellings.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use entities::building::BuildingUse;
use entities::dwelling::Occupancy;
use entities::household::HouseholdKind;
use entities::organisation::OrganisationKind;
use entities::resident::{
    CareFlag, DocumentType, HeadRelation, PopulationType, ResidenceReason, ResidentStatus, Sex,
    Verification,
};
use entities::{building, dwelling, household, organisation, resident};
use sea_orm::ActiveValue::Set;

use super::geography::{GridRow, district_name};
use super::names::{self, Nationality, OrgWords};
use super::rng::Rng;
use crate::domain::credit_code;
use crate::domain::id_number::IdNumber;

/// Places floating residents come from: the address code their ID number
/// starts with, and the place their household is registered (户籍地).
const ELSEWHERE: &[(&str, &str)] = &[
    ("420581", "湖北省宜都市"),
    ("420582", "湖北省当阳市"),
    ("420583", "湖北省枝江市"),
    ("420527", "湖北省秭归县"),
    ("420528", "湖北省长阳土家族自治县"),
    ("420529", "湖北省五峰土家族自治县"),
    ("422801", "湖北省恩施市"),
    ("420106", "湖北省武汉市武昌区"),
    ("420111", "湖北省武汉市洪山区"),
    ("421002", "湖北省荆州市沙市区"),
    ("500101", "重庆市万州区"),
    ("430602", "湖南省岳阳市岳阳楼区"),
    ("411302", "河南省南阳市宛城区"),
    ("510107", "四川省成都市武侯区"),
    ("360102", "江西省南昌市东湖区"),
];

/// Rows generated for some grids, waiting to be written.
#[derive(Default)]
pub struct Rows {
    pub buildings: Vec<building::ActiveModel>,
    pub dwellings: Vec<dwelling::ActiveModel>,
    pub households: Vec<household::ActiveModel>,
    pub residents: Vec<resident::ActiveModel>,
    pub organisations: Vec<organisation::ActiveModel>,
}

/// The next id of each table: ids are assigned here so that rows can point at
/// each other before any is written.
#[derive(Debug, Default)]
pub struct NextIds {
    pub building: i64,
    pub dwelling: i64,
    pub household: i64,
    pub resident: i64,
    pub organisation: i64,
}

impl NextIds {
    fn take(counter: &mut i64) -> i64 {
        *counter += 1;
        *counter
    }
}

/// Keeps ID numbers unique: the next free sequence per address and birth date.
#[derive(Default)]
pub struct IdSequences(HashMap<(String, NaiveDate), [u16; 2]>);

impl IdSequences {
    fn next(&mut self, address: &str, birth_date: NaiveDate, male: bool) -> Option<u16> {
        let counters = self
            .0
            .entry((address.to_owned(), birth_date))
            .or_insert_with(|| {
                let first = first_slot(address, birth_date);
                [first, first]
            });
        let slot = &mut counters[usize::from(male)];
        if *slot >= 500 {
            return None;
        }
        let sequence = *slot * 2 + u16::from(male);
        *slot += 1;
        Some(sequence)
    }
}

/// Where a day's sequences start for an address: spread over the range
/// as a registry's are (not all 001), and the same on every run.
fn first_slot(address: &str, birth_date: NaiveDate) -> u16 {
    let day = birth_date.num_days_from_ce().to_le_bytes();
    let hash = address
        .bytes()
        .chain(day)
        .fold(2_166_136_261_u32, |hash, byte| {
            (hash ^ u32::from(byte)).wrapping_mul(16_777_619)
        });
    (hash % 400) as u16
}

/// Everything the generator of one grid needs besides the grid.
pub struct Context<'a> {
    pub census_date: NaiveDate,
    pub now: DateTime<Utc>,
    pub ids: &'a mut NextIds,
    pub id_sequences: &'a mut IdSequences,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Single,
    Couple,
    Nuclear,
    ThreeGenerations,
}

struct Member {
    relation: HeadRelation,
    age: i64,
    male: bool,
}

struct HouseholdPlan {
    members: Vec<Member>,
    floating: bool,
    foreign: bool,
}

fn plan_household(rng: &mut Rng) -> HouseholdPlan {
    let shape = [
        Shape::Single,
        Shape::Couple,
        Shape::Nuclear,
        Shape::ThreeGenerations,
    ][rng.weighted(&[22.0, 28.0, 36.0, 14.0])];
    let head_male = rng.chance(0.62);
    let mut members = Vec::new();
    let member = |relation, age: i64, male| Member {
        relation,
        age: age.clamp(0, 104),
        male,
    };
    match shape {
        Shape::Single => {
            // Old people living alone are mostly women (widows).
            let (age, male) = if rng.chance(0.45) {
                (elderly_age(rng, 65), rng.chance(0.35))
            } else {
                // Young people on their own, often workers from elsewhere,
                // are mostly men.
                (rng.between(18, 45), rng.chance(0.75))
            };
            members.push(member(HeadRelation::Head, age, male));
        }
        Shape::Couple => {
            let age = [
                rng.between(24, 40),
                rng.between(41, 64),
                elderly_age(rng, 65),
            ][rng.weighted(&[30.0, 30.0, 40.0])];
            members.push(member(HeadRelation::Head, age, head_male));
            members.push(member(
                HeadRelation::Spouse,
                age + rng.between(-4, 3),
                !head_male,
            ));
        }
        Shape::Nuclear => {
            let age = rng.between(27, 58);
            members.push(member(HeadRelation::Head, age, head_male));
            members.push(member(
                HeadRelation::Spouse,
                age + rng.between(-4, 3),
                !head_male,
            ));
            let children = if rng.chance(0.62) { 1 } else { 2 };
            for _ in 0..children {
                let oldest = (age - 22).clamp(0, 30);
                members.push(member(
                    HeadRelation::Child,
                    rng.between(0, oldest),
                    rng.chance(0.52),
                ));
            }
        }
        Shape::ThreeGenerations => {
            let age = rng.between(30, 52);
            members.push(member(HeadRelation::Head, age, head_male));
            members.push(member(
                HeadRelation::Spouse,
                age + rng.between(-4, 3),
                !head_male,
            ));
            let elders = if rng.chance(0.55) { 2 } else { 1 };
            let elder_age = age + rng.between(24, 32);
            // A parent on their own is more often the mother.
            let first_male = elders == 2 || rng.chance(0.4);
            for index in 0..elders {
                members.push(member(
                    HeadRelation::Parent,
                    elder_age + rng.between(-2, 2),
                    (index == 0) == first_male,
                ));
            }
            let oldest = (age - 22).clamp(0, 18);
            members.push(member(
                HeadRelation::Child,
                rng.between(0, oldest),
                rng.chance(0.52),
            ));
        }
    }
    let foreign = shape == Shape::Single && rng.chance(0.02);
    let floating = foreign || (shape != Shape::ThreeGenerations && rng.chance(0.22));
    HouseholdPlan {
        members,
        floating,
        foreign,
    }
}

/// The age of someone old, from `from`: the 80 and over are about a sixth
/// of the 60–79 (Hubei, 2020 census), and fewer with each year.
fn elderly_age(rng: &mut Rng, from: i64) -> i64 {
    if rng.chance(0.16) {
        80 + rng.between(0, 8).min(rng.between(0, 16))
    } else {
        rng.between(from, 79)
    }
}

/// Generates one grid holding `residents` people into `rows`.
pub fn populate_grid(
    rng: &mut Rng,
    grid: &GridRow,
    residents: u32,
    context: &mut Context<'_>,
    rows: &mut Rows,
) {
    let mut plans = Vec::new();
    let mut left = residents as usize;
    while left > 0 {
        // The last household of a grid is one that fits (cutting a family
        // short would leave a head with no spouse, skewing the sexes).
        let mut plan = plan_household(rng);
        for _ in 0..20 {
            if plan.members.len() <= left {
                break;
            }
            plan = plan_household(rng);
        }
        plan.members.truncate(left);
        left -= plan.members.len();
        plans.push(plan);
    }

    let floating = plans.iter().filter(|plan| plan.floating).count();
    let occupied = plans.len();
    // Occupied dwellings are 84% of the stock: 6% offices, 10% vacant.
    let total_dwellings = occupied as f64 / 0.84;
    // Drawn rather than rounded, so that small grids have offices and empty
    // flats in the right proportion too.
    let offices = draw_count(rng, total_dwellings * 0.06);
    let vacant = draw_count(rng, total_dwellings * 0.10);
    let mut occupancies: Vec<Occupancy> =
        std::iter::repeat_n(Occupancy::OwnerOccupied, occupied - floating)
            .chain(std::iter::repeat_n(Occupancy::Rented, floating))
            .chain(std::iter::repeat_n(Occupancy::Office, offices))
            .chain(std::iter::repeat_n(Occupancy::Vacant, vacant))
            .collect();
    shuffle(rng, &mut occupancies);

    let road = names::road(rng);
    let district = district_name(&grid.code);
    let (dwelling_ids, building_ids) =
        build_homes(rng, grid, &road, district, &occupancies, context, rows);

    // Households move into dwellings of their kind, in the order drawn.
    let mut owner_homes = dwelling_ids
        .iter()
        .filter(|(_, occupancy, _)| *occupancy == Occupancy::OwnerOccupied);
    let mut rented_homes = dwelling_ids
        .iter()
        .filter(|(_, occupancy, _)| *occupancy == Occupancy::Rented);
    for (sequence, plan) in plans.iter().enumerate() {
        let home = if plan.floating {
            rented_homes.next()
        } else {
            owner_homes.next()
        };
        let (dwelling_id, address) = home
            .map(|(id, _, address)| (Some(*id), address.clone()))
            .unwrap_or((None, format!("{district}{road}")));
        add_household(
            rng,
            grid,
            sequence,
            plan,
            dwelling_id,
            address,
            context,
            rows,
        );
    }

    add_organisations(rng, grid, &road, residents, &building_ids, context, rows);
}

/// Why the police return a record, as they write it.
const RETURN_REASONS: &[&str] = &[
    "姓名与户籍登记不一致，请核实",
    "出生日期与户籍登记不一致",
    "户籍库中无此人，请核实证件号码",
    "现住址与实际居住地不符，请入户核实",
];

/// The reason each returned record carries, chosen by its id rather than
/// drawn, so that the rest of the city stays as the seed has always drawn it.
fn give_reasons_to_the_returned(residents: &mut [resident::ActiveModel]) {
    for row in residents {
        if let (Set(Verification::Returned), Set(id)) = (&row.verification, &row.id) {
            let reason = RETURN_REASONS[id.unsigned_abs() as usize % RETURN_REASONS.len()];
            row.return_reason = Set(Some(reason.to_owned()));
        }
    }
}

/// The kinds of residential building a grid holds: (units, floors, flats
/// per landing), with their weights — old walk-ups, mid-rise blocks and
/// high-rise towers.
const BUILDING_KINDS: &[((i32, i32, i32), f64)] = &[
    ((1, 5, 2), 15.0),
    ((2, 6, 2), 25.0),
    ((3, 7, 2), 15.0),
    ((2, 11, 2), 20.0),
    ((2, 11, 3), 10.0),
    ((1, 18, 4), 8.0),
    ((2, 26, 4), 7.0),
];

/// Buildings of several kinds, filled with dwellings of the given
/// occupancies (the last building of a grid only as far as they go).
/// Returns each dwelling's id, occupancy and address, and the buildings'
/// ids.
fn build_homes(
    rng: &mut Rng,
    grid: &GridRow,
    road: &str,
    district: &str,
    occupancies: &[Occupancy],
    context: &mut Context<'_>,
    rows: &mut Rows,
) -> (Vec<(i64, Occupancy, String)>, Vec<i64>) {
    let now = context.now;
    let mut homes = Vec::with_capacity(occupancies.len());
    let mut buildings = Vec::new();
    let weights: Vec<f64> = BUILDING_KINDS.iter().map(|(_, w)| *w).collect();
    let mut left = occupancies;
    let mut number = 0;
    while !left.is_empty() {
        let (units, floors, rooms) = BUILDING_KINDS[rng.weighted(&weights)].0;
        let size = ((units * floors * rooms) as usize).min(left.len());
        let (chunk, rest) = left.split_at(size);
        left = rest;
        let building_id = NextIds::take(&mut context.ids.building);
        buildings.push(building_id);
        let house_number = number + 1;
        let address = format!("{district}{road}{house_number}号");
        rows.buildings.push(building::ActiveModel {
            id: Set(building_id),
            code: Set(format!("{}{:05}", grid.code, house_number)),
            grid_code: Set(grid.code.clone()),
            name: Set(format!("{road}{house_number}号楼")),
            address: Set(address.clone()),
            use_kind: Set(if rng.chance(0.1) {
                BuildingUse::Mixed
            } else {
                BuildingUse::Residential
            }),
            floors: Set(floors),
            units: Set(units),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        });
        for (slot, occupancy) in chunk.iter().enumerate() {
            let slot = slot as i32;
            let unit = slot / (floors * rooms) + 1;
            let floor = (slot / rooms) % floors + 1;
            let room = format!("{floor}{:02}", slot % rooms + 1);
            let dwelling_id = NextIds::take(&mut context.ids.dwelling);
            let rented = *occupancy == Occupancy::Rented;
            let (lessor_name, lessor_phone) = if rented {
                let male = rng.chance(0.5);
                (Some(names::person(rng, male)), Some(names::mobile(rng)))
            } else {
                (None, None)
            };
            rows.dwellings.push(dwelling::ActiveModel {
                id: Set(dwelling_id),
                building_id: Set(building_id),
                grid_code: Set(grid.code.clone()),
                unit: Set(unit),
                floor: Set(floor),
                room: Set(room.clone()),
                area_sqm: Set(Some(rng.between(45, 140) as i32)),
                occupancy: Set(*occupancy),
                lessor_name: Set(lessor_name),
                lessor_phone: Set(lessor_phone),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            });
            homes.push((
                dwelling_id,
                *occupancy,
                format!("{address}{unit}单元{room}室"),
            ));
        }
        number += 1;
    }
    (homes, buildings)
}

#[allow(clippy::too_many_arguments)]
fn add_household(
    rng: &mut Rng,
    grid: &GridRow,
    sequence: usize,
    plan: &HouseholdPlan,
    dwelling_id: Option<i64>,
    address: String,
    context: &mut Context<'_>,
    rows: &mut Rows,
) {
    let now = context.now;
    let household_id = NextIds::take(&mut context.ids.household);
    let head_id = context.ids.resident + 1;
    rows.households.push(household::ActiveModel {
        id: Set(household_id),
        number: Set(format!("{}{:04}", grid.code, sequence + 1)),
        grid_code: Set(grid.code.clone()),
        kind: Set(HouseholdKind::Family),
        head_resident_id: Set(Some(head_id)),
        dwelling_id: Set(dwelling_id),
        address: Set(address),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    });
    let living_alone = plan.members.len() == 1;
    let (origin, hukou_place) = if plan.floating {
        let (code, place) = *rng.pick(ELSEWHERE);
        (code, Some(place))
    } else {
        (grid.district_code, None)
    };
    let nationality = plan.foreign.then(|| names::nationality(rng));
    let family_name = names::surname(rng);
    // Drawn from their own stream, so that the rest of the city does not
    // change with how many draws the papers take.
    let mut papers_rng = rng.fork(household_id as u64);
    let papers = &mut papers_rng;
    let household_arrived = context.census_date - Duration::days(papers.between(20, 3650));
    let first_member = rows.residents.len();
    for member in &plan.members {
        let birth_date = context.census_date
            - Duration::days(member.age * 365 + rng.between(0, 364))
            - Duration::days(member.age / 4);
        let Some((id_number, birth_date)) =
            unique_id_number(nationality, origin, birth_date, member.male, context)
        else {
            continue;
        };
        let name = if let Some(nationality) = nationality {
            names::foreigner(rng, nationality, member.male)
        } else if member.relation == HeadRelation::Child
            || member.relation == HeadRelation::Grandchild
        {
            // Children carry the family's surname.
            format!("{family_name}{}", names::given_name(rng, member.male))
        } else if member.relation == HeadRelation::Head {
            format!("{family_name}{}", names::given_name(rng, member.male))
        } else {
            names::person(rng, member.male)
        };
        let (status, status_date) = draw_status(rng, member.age, context.census_date);
        let care_flags = draw_care_flags(rng, member, living_alone);
        let resident_id = NextIds::take(&mut context.ids.resident);
        let ethnicity = names::ethnicity(rng);
        let mut paper = Papers {
            id_number,
            document_type: DocumentType::ResidentIdCard,
            nationality: "CHN",
            ethnicity,
            hukou_place,
            arrived_on: None,
            reason: None,
            permit_expires_on: None,
        };
        if plan.floating {
            draw_residence(
                papers,
                &mut paper,
                member,
                birth_date.max(household_arrived),
                context.census_date,
            );
        }
        if let Some(nationality) = nationality {
            foreign_papers(
                papers,
                &mut paper,
                nationality,
                resident_id,
                context.census_date,
            );
        }
        rows.residents.push(resident::ActiveModel {
            id: Set(resident_id),
            id_number: Set(paper.id_number),
            document_type: Set(paper.document_type),
            nationality: Set(paper.nationality.to_owned()),
            name: Set(name),
            sex: Set(if member.male { Sex::Male } else { Sex::Female }),
            birth_date: Set(birth_date),
            ethnicity: Set(paper.ethnicity.to_owned()),
            hukou_place: Set(paper.hukou_place.map(str::to_owned)),
            arrived_on: Set(paper.arrived_on),
            residence_reason: Set(paper.reason),
            permit_expires_on: Set(paper.permit_expires_on),
            phone: Set((member.age >= 12 && rng.chance(0.93)).then(|| names::mobile(rng))),
            population_type: Set(if plan.foreign {
                PopulationType::Foreign
            } else if plan.floating {
                PopulationType::Floating
            } else {
                PopulationType::Registered
            }),
            grid_code: Set(grid.code.clone()),
            household_id: Set(Some(household_id)),
            relation_to_head: Set(Some(member.relation)),
            // Some registered residents live elsewhere (人户分离).
            dwelling_id: Set(if !plan.floating && rng.chance(0.04) {
                None
            } else {
                dwelling_id
            }),
            status: Set(status),
            status_date: Set(status_date),
            care_flags: Set(care_flags),
            verification: Set([
                Verification::SignedOff,
                Verification::Pending,
                Verification::Returned,
            ][rng.weighted(&[70.0, 25.0, 5.0])]),
            return_reason: Set(None),
            id_hash: Set(None),
            note: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        });
    }
    give_reasons_to_the_returned(&mut rows.residents[first_member..]);
    leave_homes_of_the_departed(&mut rows.residents[first_member..]);
    let head = head_after_departures(&mut rows.residents[first_member..]);
    if let Some(household) = rows.households.last_mut() {
        household.head_resident_id = Set(head);
    }
    // Nobody living there (all gone, or registered here but living
    // elsewhere, 人户分离): the flat stands empty, as a move-out leaves it.
    let lived_in = rows.residents[first_member..]
        .iter()
        .any(|row| is_active(row) && matches!(row.dwelling_id, Set(Some(_))));
    if !lived_in && let Some(household) = rows.households.last_mut() {
        household.dwelling_id = Set(None);
    }
    if !lived_in
        && let Some(dwelling) = rows
            .dwellings
            .iter_mut()
            .rev()
            .find(|row| matches!(row.id, Set(id) if Some(id) == dwelling_id))
    {
        dwelling.occupancy = Set(Occupancy::Vacant);
        dwelling.lessor_name = Set(None);
        dwelling.lessor_phone = Set(None);
    }
}

/// Whether a row is of someone still living here.
fn is_active(row: &resident::ActiveModel) -> bool {
    matches!(&row.status, Set(ResidentStatus::Active))
}

/// The dead and the moved away keep their record, but no home: the
/// dwelling and household no longer hold them, as `recordDeath` and
/// `recordMoveOut` leave them.
fn leave_homes_of_the_departed(members: &mut [resident::ActiveModel]) {
    for row in members.iter_mut().filter(|row| !is_active(row)) {
        row.household_id = Set(None);
        row.dwelling_id = Set(None);
        row.relation_to_head = Set(None);
    }
}

/// The household's head once the departed have left: the head if still
/// here, else their spouse, else the eldest still here (who becomes
/// `HEAD`); none when nobody is left.
fn head_after_departures(members: &mut [resident::ActiveModel]) -> Option<i64> {
    let relation = |row: &resident::ActiveModel| match &row.relation_to_head {
        Set(relation) => *relation,
        _ => None,
    };
    let id = |row: &resident::ActiveModel| match &row.id {
        Set(id) => Some(*id),
        _ => None,
    };
    if let Some(head) = members
        .iter()
        .find(|row| relation(row) == Some(HeadRelation::Head))
    {
        return id(head);
    }
    let successor = members
        .iter()
        .position(|row| relation(row) == Some(HeadRelation::Spouse))
        .or_else(|| {
            members
                .iter()
                .enumerate()
                .filter(|(_, row)| is_active(row))
                .min_by_key(|(_, row)| match &row.birth_date {
                    Set(day) => *day,
                    _ => NaiveDate::MAX,
                })
                .map(|(index, _)| index)
        })?;
    let row = &mut members[successor];
    row.relation_to_head = Set(Some(HeadRelation::Head));
    id(row)
}

/// What a resident's papers say, before it becomes a row.
struct Papers {
    id_number: String,
    document_type: DocumentType,
    nationality: &'static str,
    ethnicity: &'static str,
    hukou_place: Option<&'static str>,
    arrived_on: Option<NaiveDate>,
    reason: Option<ResidenceReason>,
    permit_expires_on: Option<NaiveDate>,
}

/// A floating resident's arrival, reason and residence permit: the adults
/// came to work or trade and their families with them; a permit (居住证,
/// from 16, renewed yearly) is held by most, some about to run out and a
/// few already lapsed.
fn draw_residence(
    rng: &mut Rng,
    papers: &mut Papers,
    member: &Member,
    arrived_on: NaiveDate,
    census_date: NaiveDate,
) {
    papers.arrived_on = Some(arrived_on);
    papers.reason = Some(match member.relation {
        HeadRelation::Head => [
            ResidenceReason::Work,
            ResidenceReason::Business,
            ResidenceReason::Study,
            ResidenceReason::Medical,
            ResidenceReason::Other,
        ][rng.weighted(&[62.0, 22.0, 8.0, 2.0, 6.0])],
        _ if member.age < 18 => {
            [ResidenceReason::Family, ResidenceReason::Study][rng.weighted(&[70.0, 30.0])]
        }
        _ => [ResidenceReason::Family, ResidenceReason::Work][rng.weighted(&[60.0, 40.0])],
    });
    if member.age >= 16 && rng.chance(0.75) {
        papers.permit_expires_on = Some(census_date + Duration::days(rng.between(-45, 365)));
    }
}

/// A foreigner's papers: a passport with a residence permit or visa for
/// most, the permanent residence ID (its number drawn with the others, and
/// no expiry) for one in four. A foreigner has no 户籍地 and no ethnicity.
fn foreign_papers(
    rng: &mut Rng,
    papers: &mut Papers,
    nationality: &Nationality,
    id: i64,
    census_date: NaiveDate,
) {
    papers.nationality = nationality.alpha3;
    papers.ethnicity = "";
    papers.hukou_place = None;
    papers.reason = Some(
        [
            ResidenceReason::Work,
            ResidenceReason::Business,
            ResidenceReason::Study,
            ResidenceReason::Family,
        ][rng.weighted(&[45.0, 20.0, 25.0, 10.0])],
    );
    if rng.chance(0.75) {
        papers.document_type = DocumentType::Passport;
        papers.id_number = format!("{}{:07}", nationality.passport_prefix, id % 10_000_000);
        papers.permit_expires_on = Some(census_date + Duration::days(rng.between(-20, 700)));
    } else {
        papers.document_type = DocumentType::ForeignPermanentId;
        papers.permit_expires_on = None;
    }
}

/// A valid ID number no one else in the city has; the birth date moves by a
/// day in the rare case that a day's sequences are all taken.
fn unique_id_number(
    nationality: Option<&Nationality>,
    origin: &str,
    birth_date: NaiveDate,
    male: bool,
    context: &mut Context<'_>,
) -> Option<(String, NaiveDate)> {
    // A foreigner's permanent residence ID: 9, province, nationality.
    let address = match nationality {
        Some(nationality) => format!("942{}", nationality.numeric),
        None => origin.to_owned(),
    };
    for shift in 0..30 {
        let date = birth_date - Duration::days(shift);
        if let Some(sequence) = context.id_sequences.next(&address, date, male) {
            return Some((IdNumber::compose(&address, date, sequence), date));
        }
    }
    None
}

fn draw_status(
    rng: &mut Rng,
    age: i64,
    census_date: NaiveDate,
) -> (ResidentStatus, Option<NaiveDate>) {
    let death_chance = if age >= 75 { 0.04 } else { 0.002 };
    let when = census_date - Duration::days(rng.between(1, 700));
    if rng.chance(death_chance) {
        (ResidentStatus::Deceased, Some(when))
    } else if rng.chance(0.015) {
        (ResidentStatus::MovedOut, Some(when))
    } else {
        (ResidentStatus::Active, None)
    }
}

fn draw_care_flags(rng: &mut Rng, member: &Member, living_alone: bool) -> i32 {
    let mut flags = 0;
    let mut flag_if = |set: bool, flag: CareFlag| {
        if set {
            flags |= flag.bit();
        }
    };
    flag_if(
        living_alone && member.age >= 65,
        CareFlag::ElderlyLivingAlone,
    );
    flag_if(rng.chance(0.025), CareFlag::Disability);
    flag_if(rng.chance(0.03), CareFlag::LowIncome);
    let adult = member.age >= 20;
    flag_if(
        adult && rng.chance(if member.male { 0.004 } else { 0.0008 }),
        CareFlag::ReleasedFromPrison,
    );
    flag_if(adult && rng.chance(0.0008), CareFlag::CommunityCorrection);
    flag_if(adult && rng.chance(0.0045), CareFlag::SevereMentalIllness);
    flag_if(
        member.age < 16 && rng.chance(0.02),
        CareFlag::LeftBehindChild,
    );
    flag_if(
        member.male && member.age >= 40 && rng.chance(0.03),
        CareFlag::Veteran,
    );
    flags
}

/// Shops and companies: about one per hundred residents. 6.7% trade without
/// a licence and 4.58% with an expired one, as the practice found.
fn add_organisations(
    rng: &mut Rng,
    grid: &GridRow,
    road: &str,
    residents: u32,
    buildings: &[i64],
    context: &mut Context<'_>,
    rows: &mut Rows,
) {
    let now = context.now;
    let count = residents / 100 + 1;
    for _ in 0..count {
        let (kind, words) = [
            (OrganisationKind::Food, OrgWords::Food),
            (OrganisationKind::Retail, OrgWords::Retail),
            (OrganisationKind::Service, OrgWords::Service),
            (OrganisationKind::Company, OrgWords::Company),
        ][rng.weighted(&[35.0, 30.0, 20.0, 15.0])];
        let licence = rng.weighted(&[88.72, 4.58, 6.7]);
        let (licence_number, licence_expires_on) = match licence {
            0 => (
                Some(grid.district_code.to_owned()),
                Some(context.census_date + Duration::days(rng.between(30, 1800))),
            ),
            1 => (
                Some(grid.district_code.to_owned()),
                Some(context.census_date - Duration::days(rng.between(1, 700))),
            ),
            _ => (None, None),
        };
        // An individual business (个体工商户) is named after its owner, who
        // represents it; a company has a trade name.
        let male = rng.chance(0.6);
        let surname = names::surname(rng);
        let owner = format!("{surname}{}", names::given_name(rng, male));
        let individual = kind != OrganisationKind::Company;
        let name = names::organisation(rng, words, surname, district_name(&grid.code));
        let licence_number = licence_number.map(|division: String| {
            social_credit_code(rng, if individual { "92" } else { "91" }, &division)
        });
        let building_id = (!buildings.is_empty()).then(|| *rng.pick(buildings));
        rows.organisations.push(organisation::ActiveModel {
            id: Set(NextIds::take(&mut context.ids.organisation)),
            name: Set(name),
            kind: Set(kind),
            grid_code: Set(grid.code.clone()),
            building_id: Set(building_id),
            address: Set(format!(
                "{}{road}{}号",
                district_name(&grid.code),
                rng.between(1, 300)
            )),
            legal_representative: Set(owner),
            phone: Set(Some(names::mobile(rng))),
            licence_number: Set(licence_number),
            licence_expires_on: Set(licence_expires_on),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        });
    }
}

/// A unified social credit code: `kind` (91 a company, 92 an individual
/// business), the division, an organisation code with its own check, and
/// the check character.
fn social_credit_code(rng: &mut Rng, kind: &str, division: &str) -> String {
    let body: String = (0..8)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect();
    let organisation_check = credit_code::organisation_check(&body).unwrap_or('0');
    let first = format!("{kind}{division}{body}{organisation_check}");
    let check = credit_code::check_character(&first).unwrap_or('0');
    format!("{first}{check}")
}

/// `expected` rounded up or down at random, keeping its mean.
fn draw_count(rng: &mut Rng, expected: f64) -> usize {
    let whole = expected.floor();
    whole as usize + usize::from(rng.chance(expected - whole))
}

fn shuffle<T>(rng: &mut Rng, items: &mut [T]) {
    for index in (1..items.len()).rev() {
        let other = rng.below(index as u64 + 1) as usize;
        items.swap(index, other);
    }
}
