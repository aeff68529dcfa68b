//! Statistics kept per grid: after random writes of every kind that moves
//! a count, and after the calendar moves ages and licences on, every grid's
//! statistics equal a recount of the rows, written here from the rule.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, Months, NaiveDate, Utc};
use entities::{building, dwelling, grid, household, organisation, resident};
use gridgov_tests::{Client, Draw, TestServer, check_character, global_key, on_each_backend};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// A grid's counts in a fixed order: residents, men, women, then men and
/// women of each age band, the three population types, the eight care
/// flags, the four occupancies, the three licence states.
type Row = Vec<i64>;

const FLAGS: [(&str, i32); 8] = [
    ("ELDERLY_LIVING_ALONE", 1),
    ("DISABILITY", 2),
    ("LOW_INCOME", 4),
    ("RELEASED_FROM_PRISON", 8),
    ("COMMUNITY_CORRECTION", 16),
    ("SEVERE_MENTAL_ILLNESS", 32),
    ("LEFT_BEHIND_CHILD", 64),
    ("VETERAN", 128),
];

const STATS: &str = "query { statistics(level: GRID) { children {
    area residents men women
    ageBands { men women }
    populationTypes { registered floating foreign }
    careFlags { flag count }
    dwellings { ownerOccupied rented office vacant }
    organisations { valid expired none }
} } }";

fn int(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("a number, not {value}"))
}

fn shown(grid: &Value) -> Row {
    let mut row = vec![
        int(&grid["residents"]),
        int(&grid["men"]),
        int(&grid["women"]),
    ];
    for band in grid["ageBands"].as_array().expect("bands") {
        row.extend([int(&band["men"]), int(&band["women"])]);
    }
    let types = &grid["populationTypes"];
    row.extend(["registered", "floating", "foreign"].map(|t| int(&types[t])));
    let flags = grid["careFlags"].as_array().expect("flags");
    for (name, _) in FLAGS {
        let flag = flags.iter().find(|f| f["flag"] == name).expect("listed");
        row.push(int(&flag["count"]));
    }
    let homes = &grid["dwellings"];
    row.extend(["ownerOccupied", "rented", "office", "vacant"].map(|o| int(&homes[o])));
    let licences = &grid["organisations"];
    row.extend(["valid", "expired", "none"].map(|s| int(&licences[s])));
    row
}

/// The age bands' first years, as the screen shows them.
const BANDS: [i32; 6] = [0, 7, 18, 35, 60, 80];

fn band_of(birth: NaiveDate, today: NaiveDate) -> Option<usize> {
    let mut age = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    (age >= 0).then(|| BANDS.iter().rposition(|start| age >= *start))?
}

/// Every grid's counts, recounted from the rows as the rule says.
async fn recounted(db: &DatabaseConnection) -> BTreeMap<String, Row> {
    let today = Utc::now().date_naive();
    let mut grids: BTreeMap<String, Row> = BTreeMap::new();
    let width = 3 + 12 + 3 + FLAGS.len() + 4 + 3;
    fn row<'a>(grids: &'a mut BTreeMap<String, Row>, grid: &str, width: usize) -> &'a mut Row {
        grids
            .entry(grid.to_owned())
            .or_insert_with(|| vec![0; width])
    }
    for person in resident::Entity::find()
        .filter(resident::Column::Status.eq(resident::ResidentStatus::Active))
        .all(db)
        .await
        .expect("residents")
    {
        let counts = row(&mut grids, &person.grid_code, width);
        let sex = usize::from(person.sex == resident::Sex::Female);
        counts[0] += 1;
        counts[1 + sex] += 1;
        if let Some(band) = band_of(person.birth_date, today) {
            counts[3 + band * 2 + sex] += 1;
        }
        let kind = match person.population_type {
            resident::PopulationType::Registered => 0,
            resident::PopulationType::Floating => 1,
            resident::PopulationType::Foreign => 2,
        };
        counts[15 + kind] += 1;
        for (index, (_, bit)) in FLAGS.iter().enumerate() {
            if person.care_flags & bit != 0 {
                counts[18 + index] += 1;
            }
        }
    }
    for home in dwelling::Entity::find().all(db).await.expect("dwellings") {
        let occupancy = match home.occupancy {
            dwelling::Occupancy::OwnerOccupied => 0,
            dwelling::Occupancy::Rented => 1,
            dwelling::Occupancy::Office => 2,
            dwelling::Occupancy::Vacant => 3,
        };
        row(&mut grids, &home.grid_code, width)[26 + occupancy] += 1;
    }
    for organisation in organisation::Entity::find()
        .all(db)
        .await
        .expect("organisations")
    {
        let counts = row(&mut grids, &organisation.grid_code, width);
        match (
            &organisation.licence_number,
            organisation.licence_expires_on,
        ) {
            (None, _) => counts[32] += 1,
            (Some(_), Some(expires)) if expires >= today => counts[30] += 1,
            (Some(_), Some(_)) => counts[31] += 1,
            (Some(_), None) => {}
        }
    }
    grids
}

async fn shown_by_grid(admin: &Client<'_>) -> BTreeMap<String, Row> {
    let data = admin.data(STATS, json!({})).await;
    data["statistics"]["children"]
        .as_array()
        .expect("grids")
        .iter()
        .map(|grid| (grid["area"].as_str().expect("code").to_owned(), shown(grid)))
        .collect()
}

/// The recount, without grids that hold nothing it counts.
async fn expected(db: &DatabaseConnection) -> BTreeMap<String, Row> {
    let mut grids = recounted(db).await;
    grids.retain(|_, row| row.iter().any(|n| *n != 0));
    grids
}

fn assert_same(shown: &BTreeMap<String, Row>, recounted: &BTreeMap<String, Row>) {
    let shown: BTreeMap<_, _> = shown
        .iter()
        .filter(|(_, row)| row.iter().any(|n| *n != 0))
        .collect();
    let recounted: BTreeMap<_, _> = recounted.iter().collect();
    for (grid, row) in &recounted {
        assert_eq!(shown.get(grid), Some(row), "grid {grid}");
    }
    assert_eq!(shown.len(), recounted.len());
}

/// What the random writes draw beyond a pick.
trait Drawn {
    fn birth(&mut self, today: NaiveDate) -> NaiveDate;
    fn flags(&mut self) -> Vec<&'static str>;
}

impl Drawn for Draw {
    /// A birth date, often exactly on a band's first birthday (or the day
    /// before or after it), where a count is easiest to get wrong.
    fn birth(&mut self, today: NaiveDate) -> NaiveDate {
        let years = *self.pick(&[7, 18, 35, 60, 80, 1, 40]);
        let day = today
            .checked_sub_months(Months::new(years * 12))
            .expect("a past date");
        match self.below(4) {
            0 => day - Duration::days(1),
            1 => day + Duration::days(1),
            2 => day - Duration::days(self.below(3000) as i64),
            _ => day,
        }
    }

    fn flags(&mut self) -> Vec<&'static str> {
        FLAGS
            .iter()
            .filter(|_| self.below(4) == 0)
            .map(|(name, _)| *name)
            .collect()
    }
}

fn id_number(birth: NaiveDate, serial: u32, male: bool) -> String {
    let serial = serial * 2 + u32::from(male);
    let first17 = format!("110101{}{:03}", birth.format("%Y%m%d"), serial % 1000);
    format!("{first17}{}", check_character(&first17))
}

async fn mutate(admin: &Client<'_>, field: &str, input_type: &str, input: Value) -> Value {
    let body = admin
        .graphql(
            &format!(
                "mutation($input: {input_type}!) {{ {field}(input: $input) {{ userErrors {{ message }} }} }}"
            ),
            json!({ "input": input }),
        )
        .await;
    assert!(body["errors"].is_null(), "{field}: {body}");
    assert_eq!(
        body["data"][field]["userErrors"],
        json!([]),
        "{field} {input_type}: {body}"
    );
    body
}

/// An active resident who heads no household (a head's move or death
/// waits for a new head).
async fn any_active(db: &DatabaseConnection, draw: &mut Draw) -> resident::Model {
    let heads: Vec<i64> = household::Entity::find()
        .all(db)
        .await
        .expect("households")
        .into_iter()
        .filter_map(|h| h.head_resident_id)
        .collect();
    let people = resident::Entity::find()
        .filter(resident::Column::Id.is_not_in(heads))
        .filter(resident::Column::Status.eq(resident::ResidentStatus::Active))
        .filter(resident::Column::GridCode.starts_with("420502003"))
        .all(db)
        .await
        .expect("residents");
    draw.pick(&people).clone()
}

/// A random occupancy, with the lessor only a rented dwelling has.
fn occupied(draw: &mut Draw, input: &mut Value) {
    let occupancy = *draw.pick(&["OWNER_OCCUPIED", "RENTED", "OFFICE", "VACANT"]);
    input["occupancy"] = json!(occupancy);
    let rented = occupancy == "RENTED";
    input["lessorName"] = if rented { json!("房东") } else { Value::Null };
    input["lessorPhone"] = if rented {
        json!("13800000000")
    } else {
        Value::Null
    };
}

/// One random write of the kind `kind`.
#[tokio::test]
async fn a_recount_beside_writes_leaves_the_counts_those_of_the_record() {
    on_each_backend(|server| async move {
        let db = server.db().await;
        let admin = server.as_user("admin").await;
        let mut draw = Draw(0x5eed_0002);
        // Writes of every kind while recounts run, as `gridgov recount`
        // beside a serving replica.
        let writes = async {
            for serial in 100..128 {
                write(&server, &db, &mut draw, serial as usize % 7, serial).await;
            }
        };
        let recounts = async {
            let own = server.db().await;
            for _ in 0..6 {
                gridgov::domain::stats::recount(&own, true)
                    .await
                    .expect("a recount beside writes");
            }
            own.close().await.expect("close");
        };
        tokio::join!(writes, recounts);
        assert_same(&shown_by_grid(&admin).await, &expected(&db).await);
        let checked = gridgov::domain::stats::recount(&db, false)
            .await
            .expect("a check");
        assert_eq!(checked.differed, Vec::<String>::new());
        db.close().await.expect("close");
        server
    })
    .await;
}

async fn write(
    server: &TestServer,
    db: &DatabaseConnection,
    draw: &mut Draw,
    kind: usize,
    serial: u32,
) {
    let admin = server.as_user("admin").await;
    let today = Utc::now().date_naive();
    let grids: Vec<String> = grid::Entity::find()
        .filter(grid::Column::Code.starts_with("420502003"))
        .all(db)
        .await
        .expect("grids")
        .into_iter()
        .map(|g| g.code)
        .collect();
    match kind {
        0 => {
            let birth = draw.birth(today);
            let input = json!({
                "idNumber": id_number(birth, serial, draw.below(2) == 0),
                "name": "计数者",
                "populationType": draw.pick(&["REGISTERED", "FLOATING"]),
                "gridCode": draw.pick(&grids),
                "careFlags": draw.flags(),
            });
            mutate(&admin, "registerResident", "RegisterResidentInput", input).await;
        }
        1 => {
            let person = any_active(db, draw).await;
            let id = global_key("Resident", person.id);
            let input = match draw.below(3) {
                0 if person.population_type == resident::PopulationType::Floating => {
                    json!({"id": id, "version": person.version, "populationType": "REGISTERED",
                        "hukouPlace": null, "arrivedOn": null, "residenceReason": null,
                        "permitExpiresOn": null})
                }
                0 => json!({"id": id, "version": person.version, "populationType": "FLOATING"}),
                1 => json!({"id": id, "version": person.version, "careFlags": draw.flags()}),
                _ => {
                    let birth = draw.birth(today);
                    // An arrival before the new birth date would not be a
                    // record: it goes with the correction.
                    json!({"id": id, "version": person.version, "arrivedOn": null,
                        "idNumber": id_number(birth, serial, draw.below(2) == 0)})
                }
            };
            mutate(&admin, "updateResident", "UpdateResidentInput", input).await;
        }
        2 => {
            let person = any_active(db, draw).await;
            let input = json!({"id": global_key("Resident", person.id),
                "version": person.version, "toGridCode": draw.pick(&grids)});
            mutate(&admin, "moveResident", "MoveResidentInput", input).await;
        }
        3 => {
            let person = any_active(db, draw).await;
            let input = json!({"id": global_key("Resident", person.id),
                "version": person.version, "date": today.to_string()});
            if draw.below(2) == 0 {
                mutate(&admin, "recordDeath", "RecordDeathInput", input).await;
            } else {
                let mut input = input;
                input["destination"] = json!("外省");
                mutate(&admin, "recordMoveOut", "RecordMoveOutInput", input).await;
            }
        }
        4 => {
            let buildings = building::Entity::find()
                .filter(building::Column::GridCode.starts_with("420502003"))
                .all(db)
                .await
                .expect("buildings");
            let building = draw.pick(&buildings);
            let mut input = json!({"buildingId": global_key("Building", building.id),
                "floor": 1, "room": format!("计{serial}")});
            occupied(draw, &mut input);
            mutate(&admin, "createDwelling", "CreateDwellingInput", input).await;
        }
        5 => {
            let homes = dwelling::Entity::find()
                .filter(dwelling::Column::GridCode.starts_with("420502003"))
                .all(db)
                .await
                .expect("dwellings");
            let home = draw.pick(&homes);
            let mut input = json!({"id": global_key("Dwelling", home.id), "version": home.version});
            occupied(draw, &mut input);
            mutate(&admin, "updateDwelling", "UpdateDwellingInput", input).await;
        }
        _ => {
            let organisations = organisation::Entity::find()
                .filter(organisation::Column::GridCode.starts_with("420502"))
                .all(db)
                .await
                .expect("organisations");
            let number = organisations
                .iter()
                .find_map(|o| o.licence_number.clone())
                .expect("a licensed organisation");
            // Expiring today, yesterday or tomorrow: the edges of "valid".
            let expires = (today + Duration::days(draw.below(3) as i64 - 1)).to_string();
            let licence = match draw.below(3) {
                0 => json!({"licenceNumber": null}),
                1 => json!({"licenceNumber": number, "licenceExpiresOn": expires}),
                _ => json!({"licenceNumber": number,
                    "licenceExpiresOn": (today + Duration::days(400)).to_string()}),
            };
            let mut input = if draw.below(2) == 0 {
                json!({"name": format!("计数店{serial}"), "kind": "RETAIL",
                    "gridCode": draw.pick(&grids), "address": "计数路1号",
                    "legalRepresentative": "计数者"})
            } else {
                let organisation = draw.pick(&organisations);
                json!({"id": global_key("Organisation", organisation.id),
                    "version": organisation.version})
            };
            for (key, value) in licence.as_object().expect("fields") {
                input[key] = value.clone();
            }
            if input.get("id").is_some() {
                mutate(
                    &admin,
                    "updateOrganisation",
                    "UpdateOrganisationInput",
                    input,
                )
                .await;
            } else {
                mutate(
                    &admin,
                    "createOrganisation",
                    "CreateOrganisationInput",
                    input,
                )
                .await;
            }
        }
    }
}

#[tokio::test]
async fn every_grids_statistics_equal_a_recount_after_random_writes_of_every_kind() {
    on_each_backend(|server| async move {
        let db = server.db().await;
        let admin = server.as_user("admin").await;
        assert_same(&shown_by_grid(&admin).await, &expected(&db).await);
        let mut draw = Draw(0x5eed_0001);
        for serial in 0..70 {
            // Every kind four times first, then the rest drawn at random.
            let kind = if serial < 7 * 4 {
                serial as usize % 7
            } else {
                draw.below(7)
            };
            write(&server, &db, &mut draw, kind, serial).await;
        }
        assert_same(&shown_by_grid(&admin).await, &expected(&db).await);
        db.close().await.expect("close");
        server
    })
    .await;
}

#[tokio::test]
async fn a_birthday_or_an_expiry_since_the_counts_day_moves_the_count_once() {
    on_each_backend(|server| async move {
        let db = server.db().await;
        let today = Utc::now().date_naive();
        let yesterday = today - Duration::days(1);
        // The server last counted yesterday (as after a night with no
        // statistics read): the counts are as of then.
        db.execute_unprepared(&format!(
            "UPDATE statistics_clock SET counted_on = '{yesterday}'"
        ))
        .await
        .expect("clock set back");
        gridgov::domain::stats::recount(&db, true)
            .await
            .expect("recount");

        // People whose band starts today, one day either side, and a
        // licence that lapsed yesterday night.
        let admin = server.as_user("admin").await;
        let grid = "420502003001001";
        let mut serial = 300;
        for years in [7, 18, 35, 60, 80] {
            let birthday = today
                .checked_sub_months(Months::new(years * 12))
                .expect("a past date");
            for birth in [
                birthday - Duration::days(1),
                birthday,
                birthday + Duration::days(1),
            ] {
                serial += 1;
                let input = json!({"idNumber": id_number(birth, serial, serial % 2 == 0),
                    "name": "寿星", "populationType": "REGISTERED", "gridCode": grid});
                mutate(&admin, "registerResident", "RegisterResidentInput", input).await;
            }
        }
        let number = organisation::Entity::find()
            .all(&db)
            .await
            .expect("organisations")
            .into_iter()
            .find_map(|o| o.licence_number)
            .expect("a licensed organisation");
        let input = json!({"name": "昨日到期", "kind": "FOOD", "gridCode": grid,
            "address": "计数路2号", "legalRepresentative": "计数者",
            "licenceNumber": number, "licenceExpiresOn": yesterday.to_string()});
        mutate(
            &admin,
            "createOrganisation",
            "CreateOrganisationInput",
            input,
        )
        .await;

        // Reading the statistics brings the counts to today, once: a
        // second read finds nothing more to move.
        let first = shown_by_grid(&admin).await;
        assert_same(&first, &expected(&db).await);
        assert_eq!(shown_by_grid(&admin).await, first);
        let clock = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT counted_on FROM statistics_clock",
            ))
            .await
            .expect("clock")
            .expect("a row");
        assert_eq!(
            clock.try_get::<NaiveDate>("", "counted_on").expect("day"),
            today
        );
        db.close().await.expect("close");
        server
    })
    .await;
}

#[tokio::test]
async fn moves_the_opposite_way_at_once_both_pass_and_keep_the_counts() {
    on_each_backend(|server| async move {
        let db = server.db().await;
        let admin = server.as_user("admin").await;
        let mut draw = Draw(0x5eed_0002);
        let first = any_active(&db, &mut draw).await;
        let mut second = any_active(&db, &mut draw).await;
        while second.grid_code == first.grid_code {
            second = any_active(&db, &mut draw).await;
        }
        let (one, other) = (first.grid_code.clone(), second.grid_code.clone());
        // Each round swaps the two people's grids, both moves sent at once:
        // each takes a count off one grid and adds it to the other, in the
        // opposite order of the other move.
        for round in 0..12 {
            let (to_first, to_second) = if round % 2 == 0 {
                (&other, &one)
            } else {
                (&one, &other)
            };
            let version = |id| {
                let db = &db;
                async move {
                    resident::Entity::find_by_id(id)
                        .one(db)
                        .await
                        .expect("read")
                        .expect("there")
                        .version
                }
            };
            let move_to = |id: i64, version: i32, grid: &String| {
                json!({"id": global_key("Resident", id), "version": version, "toGridCode": grid})
            };
            let (a, b) = (version(first.id).await, version(second.id).await);
            tokio::join!(
                mutate(&admin, "moveResident", "MoveResidentInput", move_to(first.id, a, to_first)),
                mutate(&admin, "moveResident", "MoveResidentInput", move_to(second.id, b, to_second)),
            );
        }
        assert_same(&shown_by_grid(&admin).await, &expected(&db).await);
        db.close().await.expect("close");
        server
    })
    .await;
}
