//! The demo city as stored: what the seed writes on each backend, and the
//! guarantees of the schema beneath the API.

use gridgov::config::SeedConfig;
use gridgov::domain::id_number::{IdNumber, IdSex};
use gridgov::{db, seed};
use gridgov_tests::{Backend, TEST_SEED, TestDatabase, on_each_database};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, FromQueryResult, Statement};

const RESIDENTS: u32 = 2_500;

/// The key the seed hashes ID numbers under.
fn match_key() -> gridgov::domain::registries::matching::MatchKey {
    gridgov::domain::registries::matching::MatchKey::new(b"a test key for matching ID numbers")
}

async fn seeded(database: &TestDatabase) -> (DatabaseConnection, seed::SeedReport) {
    seeded_with(database, RESIDENTS).await
}

/// A city of `residents`: the shape of a population shows only where grids
/// hold more than a household or two.
async fn seeded_with(
    database: &TestDatabase,
    residents: u32,
) -> (DatabaseConnection, seed::SeedReport) {
    let db = database.connect().await;
    db::migrate(&db).await.expect("migrate");
    let config = SeedConfig {
        residents,
        seed: TEST_SEED,
        batch: 500,
        no_registries: false,
    };
    let report = seed::run(&db, &config, &match_key(), seed::Progress::Silent)
        .await
        .expect("seed");
    (db, report)
}

async fn rows<T: FromQueryResult>(db: &DatabaseConnection, sql: &str) -> Vec<T> {
    T::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
        .all(db)
        .await
        .expect("query")
}

#[derive(Debug, FromQueryResult, PartialEq)]
struct Count {
    label: String,
    n: i64,
}

async fn counts(db: &DatabaseConnection, sql: &str) -> Vec<(String, i64)> {
    rows::<Count>(db, sql)
        .await
        .into_iter()
        .map(|c| (c.label, c.n))
        .collect()
}

#[tokio::test]
async fn the_seed_writes_the_whole_city() {
    on_each_database(|database| async move {
        let (db, report) = seeded(&database).await;
        assert_eq!(report.residents, i64::from(RESIDENTS));
        assert_eq!(report.grids, 1_120);

        let occupancy = counts(&db, "SELECT occupancy AS label, COUNT(*) AS n FROM dwellings GROUP BY occupancy ORDER BY occupancy").await;
        let labels: Vec<&str> = occupancy.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["office", "owner_occupied", "rented", "vacant"]);

        let types = counts(&db, "SELECT population_type AS label, COUNT(*) AS n FROM residents GROUP BY population_type ORDER BY population_type").await;
        let floating = types.iter().find(|(l, _)| l == "floating").map_or(0, |(_, n)| *n);
        assert!(floating > i64::from(RESIDENTS) / 10, "a floating population: {types:?}");

        let states = counts(&db, "SELECT state AS label, COUNT(*) AS n FROM cases GROUP BY state").await;
        assert_eq!(states.len(), 11, "cases in every state: {states:?}");

        let licences = counts(
            &db,
            "SELECT CASE WHEN licence_number IS NULL THEN 'none' ELSE 'some' END AS label, COUNT(*) AS n \
             FROM organisations GROUP BY 1 ORDER BY 1",
        )
        .await;
        assert_eq!(licences.len(), 2, "licensed and unlicensed organisations: {licences:?}");

        let kinds = counts(&db, "SELECT kind AS label, COUNT(*) AS n FROM users GROUP BY kind ORDER BY kind").await;
        let kind = |name: &str| kinds.iter().find(|(l, _)| l == name).map_or(0, |(_, n)| *n);
        assert_eq!(kind("grid_worker"), 1_120);
        assert_eq!(kind("police"), 121);
        assert_eq!(kind("admin"), 1);
        // The city's auditor and each of five districts' supervisors.
        assert_eq!(kind("auditor"), 1 + 5);
        assert_eq!(kind("analyst"), 1);
        // Ten departments in each of five districts, and each of the 25
        // streets' own office.
        assert_eq!(kind("department_officer"), 10 * 5 + 25);

        let flags = counts(&db, "SELECT 'flagged' AS label, COUNT(*) AS n FROM residents WHERE care_flags <> 0").await;
        assert!(flags[0].1 > 0);

        // Every resident lives in the grid of their dwelling.
        let strays = counts(
            &db,
            "SELECT 'strays' AS label, COUNT(*) AS n FROM residents r JOIN dwellings d ON d.id = r.dwelling_id \
             WHERE d.grid_code <> r.grid_code",
        )
        .await;
        assert_eq!(strays[0].1, 0);
        db.close().await.expect("close");
        database
    })
    .await;
}

#[derive(Debug, FromQueryResult, PartialEq)]
struct Person {
    id: i64,
    id_number: String,
    document_type: String,
    name: String,
    sex: String,
    birth_date: String,
    grid_code: String,
}

const PEOPLE: &str = "SELECT id, id_number, document_type, name, sex, CAST(birth_date AS TEXT) AS birth_date, \
                      grid_code FROM residents ORDER BY id";

#[tokio::test]
async fn id_numbers_are_valid_unique_and_agree_with_sex_and_birth_date() {
    on_each_database(|database| async move {
        let (db, _) = seeded(&database).await;
        let people = rows::<Person>(&db, PEOPLE).await;
        assert_eq!(people.len(), RESIDENTS as usize);
        let mut seen = std::collections::HashSet::new();
        for person in &people {
            assert!(
                seen.insert(person.id_number.clone()),
                "duplicate {}",
                person.id_number
            );
            // Passports and travel permits say nothing of their holder.
            if ![
                "resident_id_card",
                "hmt_residence_permit",
                "foreign_permanent_id",
            ]
            .contains(&person.document_type.as_str())
            {
                continue;
            }
            let id = IdNumber::parse(&person.id_number)
                .unwrap_or_else(|err| panic!("{} is invalid: {err}", person.id_number));
            let sex = if id.sex() == IdSex::Male {
                "male"
            } else {
                "female"
            };
            assert_eq!(person.sex, sex, "{}", person.id_number);
            assert_eq!(
                person.birth_date,
                id.birth_date().to_string(),
                "{}",
                person.id_number
            );
        }
        db.close().await.expect("close");
        database
    })
    .await;
}

#[derive(Debug, FromQueryResult)]
struct Papers {
    population_type: String,
    document_type: String,
    nationality: String,
    ethnicity: String,
    hukou_place: Option<String>,
    has_arrival: i32,
    has_reason: i32,
    has_permit: i32,
}

/// The seed keeps the rule of who holds which papers, as the population
/// types are defined: a mainland citizen on an ID card is registered or
/// floating, and only the floating come from a 户籍地 elsewhere; everyone
/// else is foreign, without an ethnicity; arrival, reason and permit are
/// the floating and foreign population's.
#[tokio::test]
async fn the_seed_gives_each_population_type_its_papers() {
    on_each_database(|database| async move {
        let (db, _) = seeded(&database).await;
        let people = rows::<Papers>(
            &db,
            "SELECT population_type, document_type, nationality, ethnicity, hukou_place, \
             CASE WHEN arrived_on IS NULL THEN 0 ELSE 1 END AS has_arrival, \
             CASE WHEN residence_reason IS NULL THEN 0 ELSE 1 END AS has_reason, \
             CASE WHEN permit_expires_on IS NULL THEN 0 ELSE 1 END AS has_permit \
             FROM residents ORDER BY id",
        )
        .await;
        let mut seen = std::collections::HashMap::<&str, usize>::new();
        for person in &people {
            *seen.entry(person.population_type.as_str()).or_default() += 1;
            let mainland = person.document_type == "resident_id_card";
            match person.population_type.as_str() {
                "registered" => {
                    assert!(mainland && person.hukou_place.is_none(), "{person:?}");
                    assert_eq!(
                        person.has_arrival + person.has_reason + person.has_permit,
                        0,
                        "{person:?}"
                    );
                }
                "floating" => {
                    assert!(mainland && person.hukou_place.is_some(), "{person:?}");
                    assert_eq!(person.has_arrival + person.has_reason, 2, "{person:?}");
                }
                "foreign" => {
                    assert!(!mainland && person.hukou_place.is_none(), "{person:?}");
                    // The demo's foreigners are foreign nationals; Hong Kong,
                    // Macao and Taiwan residents would be CHN on their permits.
                    assert_ne!(person.nationality, "CHN", "{person:?}");
                    assert!(
                        ["passport", "foreign_permanent_id"]
                            .contains(&person.document_type.as_str()),
                        "{person:?}"
                    );
                    assert_eq!(person.has_arrival + person.has_reason, 2, "{person:?}");
                    // A permanent residence ID does not run out; a passport
                    // holder's permit does.
                    assert_eq!(
                        person.has_permit == 1,
                        person.document_type == "passport",
                        "{person:?}"
                    );
                }
                other => panic!("unknown population type {other}"),
            }
            assert_eq!(
                person.ethnicity.is_empty(),
                person.nationality != "CHN",
                "an ethnicity is a Chinese citizen's: {person:?}"
            );
        }
        for kind in ["registered", "floating", "foreign"] {
            assert!(
                seen.get(kind).copied().unwrap_or(0) > 0,
                "no {kind} residents: {seen:?}"
            );
        }
        db.close().await.expect("close");
        database
    })
    .await;
}

/// The seed keeps the record's own rules of who holds a home: the dead and
/// the moved away are in no dwelling or household, and a household where
/// anyone still lives is headed by one of them.
#[tokio::test]
async fn the_departed_hold_no_home_and_households_have_living_heads() {
    on_each_database(|database| async move {
        let (db, _) = seeded(&database).await;
        let departed_at_home = counts(
            &db,
            "SELECT 'n' AS label, COUNT(*) AS n FROM residents WHERE status <> 'active' \
             AND (dwelling_id IS NOT NULL OR household_id IS NOT NULL OR relation_to_head IS NOT NULL)",
        )
        .await;
        assert_eq!(departed_at_home[0].1, 0);
        let badly_headed = counts(
            &db,
            "SELECT 'n' AS label, COUNT(*) AS n FROM households h \
             WHERE EXISTS (SELECT 1 FROM residents m WHERE m.household_id = h.id AND m.status = 'active') \
             AND NOT EXISTS (SELECT 1 FROM residents r WHERE r.id = h.head_resident_id \
                 AND r.status = 'active' AND r.household_id = h.id AND r.relation_to_head = 'head')",
        )
        .await;
        assert_eq!(badly_headed[0].1, 0, "a household with living members has a living head");
        let departed = counts(
            &db,
            "SELECT 'n' AS label, COUNT(*) AS n FROM residents WHERE status <> 'active'",
        )
        .await;
        assert!(departed[0].1 > 0, "the seed has departed residents to keep the rule for");
        db.close().await.expect("close");
        database
    })
    .await;
}

#[derive(Debug, FromQueryResult)]
struct Handler {
    code: String,
    duties: String,
    jurisdiction_code: String,
}

#[derive(Debug, FromQueryResult)]
struct Label {
    label: String,
}

/// Every subcategory of the catalogue can be handled in every grid: some
/// department (a district's, or the street's own office) answers for its
/// duty there, so no case can be filed that nobody may be sent.
#[tokio::test]
async fn every_case_filed_anywhere_has_someone_to_handle_it() {
    on_each_database(|database| async move {
        let (db, _) = seeded(&database).await;
        let handlers = rows::<Handler>(
            &db,
            "SELECT code, CAST(duties AS TEXT) AS duties, jurisdiction_code FROM departments",
        )
        .await;
        let police_mediate = handlers
            .iter()
            .any(|row| row.code.starts_with("police-") && row.duties.contains("dispute_mediation"));
        let handlers: Vec<(Vec<String>, String)> = handlers
            .into_iter()
            .map(|row| {
                let duties: Vec<String> = serde_json::from_str(&row.duties).expect("a JSON list");
                (duties, row.jurisdiction_code)
            })
            .collect();
        let duties = rows::<Label>(
            &db,
            "SELECT DISTINCT duty AS label FROM case_categories WHERE parent_code IS NOT NULL",
        )
        .await;
        let grids = rows::<Label>(&db, "SELECT code AS label FROM grids").await;
        assert!(duties.len() >= 10 && grids.len() == 1_120);
        for duty in &duties {
            for grid in &grids {
                assert!(
                    handlers
                        .iter()
                        .any(|(answers, area)| answers.contains(&duty.label)
                            && grid.label.starts_with(area.as_str())),
                    "nobody handles {} in {}",
                    duty.label,
                    grid.label
                );
            }
        }
        assert!(
            !police_mediate,
            "disputes go to mediation, never to the police"
        );
        db.close().await.expect("close");
        database
    })
    .await;
}

#[derive(Debug, FromQueryResult, PartialEq)]
struct Kept {
    id_number: String,
    document_type: String,
    nationality: String,
    ethnicity: String,
    population_type: String,
}

/// Records kept before documents were told apart are sorted out by the
/// migration that tells them apart: the expected rows are the rule's, by
/// the numbers' first digits.
#[tokio::test]
async fn records_kept_before_documents_were_told_apart_are_sorted_out() {
    use migration::MigratorTrait;
    on_each_database(|database| async move {
        let db = database.connect().await;
        migration::Migrator::up(&db, Some(11)).await.expect("the migrations before documents");
        let born = chrono::NaiveDate::from_ymd_opt(1990, 1, 1).expect("a date");
        let korean = IdNumber::compose("942410", born, 31);
        let unknown_country = IdNumber::compose("942999", born, 33);
        let hong_kong = IdNumber::compose("810000", born, 41);
        let mainland = IdNumber::compose("420502", born, 51);
        for number in [&korean, &unknown_country, &hong_kong, &mainland] {
            db.execute_unprepared(&format!(
                "INSERT INTO residents (id_number, name, sex, birth_date, ethnicity, population_type, \
                 grid_code, status, care_flags, verification, version, created_at, updated_at) VALUES \
                 ('{number}', '旧档', 'male', '1990-01-01', '汉族', 'registered', '420502003001001', \
                 'active', 0, 'pending', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
            ))
            .await
            .expect("a record of before");
        }
        migration::Migrator::up(&db, None).await.expect("the rest");
        let kept = rows::<Kept>(
            &db,
            "SELECT id_number, document_type, nationality, ethnicity, population_type FROM residents ORDER BY id",
        )
        .await;
        let row = |number: &str, document: &str, nationality: &str, ethnicity: &str, kind: &str| Kept {
            id_number: number.to_owned(),
            document_type: document.to_owned(),
            nationality: nationality.to_owned(),
            ethnicity: ethnicity.to_owned(),
            population_type: kind.to_owned(),
        };
        assert_eq!(
            kept,
            vec![
                row(&korean, "foreign_permanent_id", "KOR", "", "foreign"),
                // A country the migration cannot name keeps what it had.
                row(&unknown_country, "foreign_permanent_id", "CHN", "汉族", "foreign"),
                row(&hong_kong, "hmt_residence_permit", "CHN", "汉族", "foreign"),
                row(&mainland, "resident_id_card", "CHN", "汉族", "registered"),
            ]
        );
        db.close().await.expect("close");
        database
    })
    .await;
}

#[tokio::test]
async fn the_same_seed_builds_the_same_city_on_both_backends() {
    let Some(first) = TestDatabase::create(Backend::Sqlite).await else {
        unreachable!("SQLite is always available");
    };
    let (db, _) = seeded(&first).await;
    let reference = rows::<Person>(&db, PEOPLE).await;
    db.close().await.expect("close");

    let Some(second) = TestDatabase::create(Backend::Sqlite).await else {
        unreachable!("SQLite is always available");
    };
    let (db, _) = seeded(&second).await;
    assert_eq!(rows::<Person>(&db, PEOPLE).await, reference);
    db.close().await.expect("close");

    if let Some(postgres) = TestDatabase::create(Backend::Postgres).await {
        let (db, _) = seeded(&postgres).await;
        assert_eq!(rows::<Person>(&db, PEOPLE).await, reference);
        db.close().await.expect("close");
        postgres.drop_database().await;
    }
    first.drop_database().await;
    second.drop_database().await;
}

#[tokio::test]
async fn seeding_twice_is_refused_and_migrating_twice_is_harmless() {
    on_each_database(|database| async move {
        let (db, _) = seeded(&database).await;
        db::migrate(&db)
            .await
            .expect("a second migrate changes nothing");
        let (applied, pending) = db::migration_status(&db).await.expect("status");
        assert!(pending.is_empty());
        assert_eq!(
            applied.len(),
            <migration::Migrator as migration::MigratorTrait>::migrations().len()
        );
        let again = seed::run(
            &db,
            &SeedConfig {
                residents: 10,
                seed: 1,
                batch: 10,
                no_registries: false,
            },
            &match_key(),
            seed::Progress::Silent,
        )
        .await;
        assert!(matches!(again, Err(seed::SeedError::NotEmpty)));
        db.close().await.expect("close");
        database
    })
    .await;
}

#[tokio::test]
async fn the_audit_log_cannot_be_changed_once_written() {
    on_each_database(|database| async move {
        let db = database.connect().await;
        db::migrate(&db).await.expect("migrate");
        let now = "2026-11-26T00:00:00+00:00";
        let insert = match db.get_database_backend() {
            DbBackend::Postgres => format!(
                "INSERT INTO audit_log (at, actor_name, action, object_kind, detail) \
                 VALUES ('{now}', 'test', 'resident.update', 'resident', '{{}}'::jsonb)"
            ),
            _ => format!(
                "INSERT INTO audit_log (at, actor_name, action, object_kind, detail) \
                 VALUES ('{now}', 'test', 'resident.update', 'resident', '{{}}')"
            ),
        };
        db.execute_unprepared(&insert)
            .await
            .expect("appending is allowed");
        let update = db
            .execute_unprepared("UPDATE audit_log SET actor_name = 'someone else'")
            .await;
        assert!(update.is_err(), "updates are refused");
        let delete = db.execute_unprepared("DELETE FROM audit_log").await;
        assert!(delete.is_err(), "deletes are refused");
        let left = counts(
            &db,
            "SELECT actor_name AS label, COUNT(*) AS n FROM audit_log GROUP BY actor_name",
        )
        .await;
        assert_eq!(left, [("test".to_owned(), 1)]);
        db.close().await.expect("close");
        database
    })
    .await;
}

#[tokio::test]
async fn a_reset_database_can_be_seeded_again() {
    on_each_database(|database| async move {
        let (db, _) = seeded(&database).await;
        db.close().await.expect("close");
        db::reset(&database.config)
            .await
            .expect("drop everything and migrate afresh");
        db::reset(&database.config).await.expect("a second reset");
        let db = database.connect().await;
        assert!(db::is_empty(&db).await.expect("count"));
        let config = SeedConfig {
            residents: 100,
            seed: TEST_SEED,
            batch: 500,
            no_registries: false,
        };
        let report = seed::run(&db, &config, &match_key(), seed::Progress::Silent)
            .await
            .expect("seed again");
        assert_eq!(report.residents, 100);
        db.close().await.expect("close");
        database
    })
    .await;
}

/// The demo's cases look like a city's: the catalogue has GB/T 30428's
/// parts and events; titles name their category; every case is placed
/// inside its grid; most open cases are on time; the loop goes wrong now
/// and then (send-backs, extensions, rework, cards, unhappy callers); the
/// office's steps fall in office hours; and each step names the account
/// that took it. Each rule is stated here, not taken from the seed.
#[tokio::test]
async fn the_demo_cases_look_like_a_citys() {
    use chrono::{Datelike, FixedOffset, NaiveTime, Timelike, Utc, Weekday};
    use entities::{calendar_day, case, case_category, case_step, grid, user};
    use sea_orm::EntityTrait;
    use std::collections::{HashMap, HashSet};
    on_each_database(|database| async move {
        let (db, _) = seeded(&database).await;
        let categories = case_category::Entity::find()
            .all(&db)
            .await
            .expect("categories");
        let cases = case::Entity::find().all(&db).await.expect("cases");
        let steps = case_step::Entity::find().all(&db).await.expect("steps");
        let grids = grid::Entity::find().all(&db).await.expect("grids");
        let users = user::Entity::find().all(&db).await.expect("users");
        let exceptions: HashMap<_, _> = calendar_day::Entity::find()
            .all(&db)
            .await
            .expect("calendar")
            .into_iter()
            .map(|day| (day.day, day.working))
            .collect();

        // GB/T 30428.2: six classes of parts, six of events.
        let top: HashSet<&str> = categories
            .iter()
            .filter(|c| c.parent_code.is_none())
            .map(|c| c.name.as_str())
            .collect();
        for class in [
            "公用设施",
            "道路交通",
            "园林绿化",
            "房屋土地",
            "其他设施",
            "市容环境",
            "宣传广告",
            "施工管理",
            "突发事件",
            "街面秩序",
            "扩展事件",
            "矛盾纠纷",
        ] {
            assert!(top.contains(class), "the catalogue lacks {class}");
        }

        // Titles name their category.
        let name_of: HashMap<&str, &str> = categories
            .iter()
            .map(|c| (c.code.as_str(), c.name.as_str()))
            .collect();
        let filed: Vec<&case::Model> = cases.iter().filter(|c| c.category_code.is_some()).collect();
        assert!(filed.len() > 100);
        for row in &filed {
            let name = name_of[row.category_code.as_deref().unwrap_or_default()];
            assert!(row.title.ends_with(name), "{} filed as {name}", row.title);
        }

        // Every case is placed inside its grid's outline.
        let outline: HashMap<&str, Vec<(f64, f64)>> = grids
            .iter()
            .map(|g| {
                let boundary = g.boundary.clone().expect("an outline");
                let ring = boundary["coordinates"][0]
                    .as_array()
                    .expect("a ring")
                    .iter()
                    .map(|p| (p[0].as_f64().expect("x"), p[1].as_f64().expect("y")))
                    .collect();
                (g.code.as_str(), ring)
            })
            .collect();
        let inside = |(x, y): (f64, f64), ring: &[(f64, f64)]| {
            let mut crossings = 0;
            for pair in ring.windows(2) {
                let ((x1, y1), (x2, y2)) = (pair[0], pair[1]);
                if (y1 > y) != (y2 > y) && x < x1 + (y - y1) * (x2 - x1) / (y2 - y1) {
                    crossings += 1;
                }
            }
            crossings % 2 == 1
        };
        for row in &cases {
            let point = (
                row.longitude.expect("a longitude"),
                row.latitude.expect("a latitude"),
            );
            assert!(
                inside(point, &outline[row.grid_code.as_str()]),
                "{} at {point:?}",
                row.number
            );
        }

        // Most open cases are on time: the light rule of the domain.
        let now = Utc::now();
        let mut lights = [0usize; 3];
        for row in cases.iter().filter(|c| c.deadline_at.is_some()) {
            use entities::case::CaseState::*;
            let open = matches!(
                row.state,
                Reported
                    | Verified
                    | Filed
                    | Dispatched
                    | InProgress
                    | Suspended
                    | Handled
                    | Checked
            );
            if !open {
                continue;
            }
            let clock = row.suspended_at.unwrap_or(now);
            let light = if Some(clock) >= row.deadline_at {
                2
            } else if row.yellow_at.is_some_and(|yellow| clock >= yellow) {
                1
            } else {
                0
            };
            lights[light] += 1;
        }
        let total: usize = lights.iter().sum();
        assert!(total > 50, "{lights:?}");
        assert!(
            lights[0] * 2 > total,
            "most open cases are green: {lights:?}"
        );
        assert!(lights[2] * 10 < total * 3, "few are red: {lights:?}");
        assert!(lights[1] > 0, "some are yellow: {lights:?}");

        // The loop goes wrong now and then.
        let actions: HashSet<&str> = steps.iter().map(|s| s.action.as_str()).collect();
        for action in [
            "send_back",
            "request_extension",
            "extend",
            "check_failed",
            "supervise",
            "request_suspension",
            "suspend",
            "void",
            "resolve_on_spot",
        ] {
            assert!(actions.contains(action), "no case was ever {action}");
        }
        let sources: HashSet<String> = cases.iter().map(|c| format!("{:?}", c.source)).collect();
        for source in ["GridWorker", "Citizen", "Hotline"] {
            assert!(
                sources.contains(source),
                "no case came from {source}: {sources:?}"
            );
        }
        let scores: Vec<i32> = cases.iter().filter_map(|c| c.satisfaction).collect();
        let unhappy = scores.iter().filter(|s| **s <= 2).count();
        assert!(
            unhappy > 0 && unhappy * 4 < scores.len(),
            "{unhappy} of {}",
            scores.len()
        );

        // Office hours (08:30–17:30 on working days, China time), except
        // for emergencies, which run on the clock.
        let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
        let emergency: HashSet<i64> = cases
            .iter()
            .filter(|c| {
                c.category_code
                    .as_deref()
                    .is_some_and(|code| code.starts_with("U04"))
            })
            .map(|c| c.id)
            .collect();
        let (opens, closes) = (
            NaiveTime::from_hms_opt(8, 30, 0).expect("time"),
            NaiveTime::from_hms_opt(17, 30, 0).expect("time"),
        );
        for step in steps.iter().filter(|s| !emergency.contains(&s.case_id)) {
            let local = step.at.with_timezone(&china);
            let day = local.date_naive();
            let working = exceptions
                .get(&day)
                .copied()
                .unwrap_or(!matches!(day.weekday(), Weekday::Sat | Weekday::Sun));
            let time = local.time().with_nanosecond(0).expect("time");
            assert!(
                working && time >= opens && time <= closes,
                "case {} {} at {local}",
                step.case_id,
                step.action
            );
        }

        // Each step names its account; a citizen's, the citizen.
        let display: HashMap<i64, &str> = users
            .iter()
            .map(|u| (u.id, u.display_name.as_str()))
            .collect();
        let reporter: HashMap<i64, Option<&str>> = cases
            .iter()
            .map(|c| (c.id, c.reporter_name.as_deref()))
            .collect();
        for step in &steps {
            match step.actor_user_id {
                Some(id) => assert_eq!(display.get(&id).copied(), Some(step.actor_name.as_str())),
                None => assert_eq!(Some(step.actor_name.as_str()), reporter[&step.case_id]),
            }
        }
        db.close().await.expect("close");
        database
    })
    .await;
}

/// The demo's people and places look like a city's: the age pyramid and
/// sex ratio of a Hubei city, ID sequence codes spread as a registry's,
/// buildings of several sizes, no flat counted as lived in that nobody
/// lives in, and businesses whose names, representatives, addresses and
/// licence numbers agree (GB 32100, checked by the test's own model).
#[tokio::test]
async fn the_demo_people_and_places_look_like_a_citys() {
    use chrono::Utc;
    use entities::organisation::OrganisationKind;
    use entities::resident::{DocumentType, ResidentStatus, Sex};
    use entities::{area, building, dwelling, organisation, resident};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use std::collections::{HashMap, HashSet};
    on_each_database(|database| async move {
        let (db, _) = seeded_with(&database, 60_000).await;
        let people = resident::Entity::find()
            .filter(resident::Column::Status.eq(ResidentStatus::Active))
            .all(&db)
            .await
            .expect("residents");

        // Ages and sexes.
        let today = Utc::now().date_naive();
        let age = |born: chrono::NaiveDate| today.years_since(born).unwrap_or(0);
        let old = people
            .iter()
            .filter(|p| (60..80).contains(&age(p.birth_date)))
            .count();
        let oldest = people.iter().filter(|p| age(p.birth_date) >= 80).count();
        let ratio = oldest as f64 / old as f64;
        assert!((0.1..=0.25).contains(&ratio), "80+ per 60–79: {ratio:.2}");
        let men = people.iter().filter(|p| p.sex == Sex::Male).count() as f64;
        let women = people.iter().filter(|p| p.sex == Sex::Female).count() as f64;
        let sex_ratio = 100.0 * men / women;
        assert!(
            (98.0..=110.0).contains(&sex_ratio),
            "sex ratio {sex_ratio:.1}"
        );

        // ID sequence codes (digits 15–17) spread over their range.
        let cards: Vec<&str> = people
            .iter()
            .filter(|p| p.document_type == DocumentType::ResidentIdCard)
            .map(|p| p.id_number.as_str())
            .collect();
        let low = cards
            .iter()
            .filter(|n| matches!(n.get(14..17), Some("000" | "001")))
            .count();
        assert!(
            low * 20 < cards.len(),
            "{low} of {} sequences are 000 or 001",
            cards.len()
        );
        let spread: HashSet<&str> = cards.iter().filter_map(|n| n.get(14..17)).collect();
        assert!(spread.len() > 300, "{} distinct sequences", spread.len());

        // Buildings of several sizes.
        let buildings = building::Entity::find().all(&db).await.expect("buildings");
        let shapes: HashSet<(i32, i32)> = buildings.iter().map(|b| (b.units, b.floors)).collect();
        assert!(shapes.len() >= 4, "building shapes: {shapes:?}");
        let flats = dwelling::Entity::find().all(&db).await.expect("dwellings");
        let mut per_building: HashMap<i64, usize> = HashMap::new();
        for flat in &flats {
            *per_building.entry(flat.building_id).or_default() += 1;
        }
        let sizes: HashSet<usize> = per_building.values().copied().collect();
        assert!(sizes.len() >= 4, "flats per building: {sizes:?}");

        // A flat counted as lived in has someone living in it.
        let lived_in: HashSet<i64> = people.iter().filter_map(|p| p.dwelling_id).collect();
        for flat in &flats {
            let occupied = matches!(
                flat.occupancy,
                dwelling::Occupancy::OwnerOccupied | dwelling::Occupancy::Rented
            );
            assert!(
                !occupied || lived_in.contains(&flat.id),
                "flat {} is empty",
                flat.id
            );
        }

        // Businesses.
        let districts: HashMap<String, String> = area::Entity::find()
            .all(&db)
            .await
            .expect("areas")
            .into_iter()
            .map(|a| (a.code, a.name))
            .collect();
        const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
        let checks = |code: &str| {
            let values: Option<Vec<usize>> = code.chars().map(|c| ALPHABET.find(c)).collect();
            let Some(values) = values.filter(|v| v.len() == 18) else {
                return false;
            };
            // Weights 3^i mod 31; the check makes the weighted sum 0 mod 31.
            let mut weight = 1;
            let mut sum = 0;
            for value in &values[..17] {
                sum += value * weight;
                weight = weight * 3 % 31;
            }
            (31 - sum % 31) % 31 == values[17]
        };
        let businesses = organisation::Entity::find()
            .all(&db)
            .await
            .expect("organisations");
        assert!(businesses.len() > 20);
        for shop in &businesses {
            let district = &districts[&shop.grid_code[..6]];
            assert!(
                shop.address.starts_with(district.as_str()),
                "{} at {}",
                shop.name,
                shop.address
            );
            let individual = shop.kind != OrganisationKind::Company;
            if let Some(number) = &shop.licence_number {
                assert!(checks(number), "{number} does not check");
                assert_eq!(
                    &number[..2],
                    if individual { "92" } else { "91" },
                    "{}",
                    shop.name
                );
                assert_eq!(&number[2..8], &shop.grid_code[..6], "{number}");
            }
            if individual {
                let surname: String = shop.legal_representative.chars().take(1).collect();
                assert!(
                    shop.name.starts_with(district.as_str())
                        && shop.name.contains(&surname)
                        && shop.name.contains('记'),
                    "{} run by {}",
                    shop.name,
                    shop.legal_representative
                );
            }
        }
        db.close().await.expect("close");
        database
    })
    .await;
}
