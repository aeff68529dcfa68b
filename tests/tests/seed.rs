//! The demo city as stored: what the seed writes on each backend, and the
//! guarantees of the schema beneath the API.

use gridgov::config::SeedConfig;
use gridgov::domain::id_number::{IdNumber, IdSex};
use gridgov::{db, seed};
use gridgov_tests::{Backend, TEST_SEED, TestDatabase, on_each_database};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, FromQueryResult, Statement};

const RESIDENTS: u32 = 2_500;

async fn seeded(database: &TestDatabase) -> (DatabaseConnection, seed::SeedReport) {
    let db = database.connect().await;
    db::migrate(&db).await.expect("migrate");
    let config = SeedConfig {
        residents: RESIDENTS,
        seed: TEST_SEED,
        batch: 500,
    };
    let report = seed::run(&db, &config, seed::Progress::Silent)
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
        assert_eq!(kind("auditor"), 1);
        assert_eq!(kind("analyst"), 1);
        // Eight departments in each of five districts, and each of the 25
        // streets' own office.
        assert_eq!(kind("department_officer"), 8 * 5 + 25);

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
            },
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
        };
        let report = seed::run(&db, &config, seed::Progress::Silent)
            .await
            .expect("seed again");
        assert_eq!(report.residents, 100);
        db.close().await.expect("close");
        database
    })
    .await;
}
