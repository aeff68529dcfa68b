//! The domain without HTTP, as the command line or a background job reaches
//! it: a real SQLite file, the demo city, and an `Access` for a caller. The
//! rules of writes — rights checked in the grid, versions, nothing to
//! change, references out of sight — answer the same as over GraphQL.

use std::sync::Arc;

use entities::building;
use gridgov::audit::batch::Batches;
use gridgov::caller::Caller;
use gridgov::config::{DatabaseConfig, SeedConfig};
use gridgov::db::Pools;
use gridgov::domain::access::Access;
use gridgov::domain::writes::homes::{self, BuildingFields};
use gridgov::domain::writes::residents::{self, Arrival, Entry};
use gridgov::error::ApiError;
use policies::{Authorizer, Principal};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

const GRID: &str = "420502003001001";

/// The key these tests seal audit rows with.
fn seal() -> gridgov::audit::Seal {
    gridgov::audit::Seal::new(b"a test key for the domain's audit rows")
}

fn match_key() -> gridgov::domain::registries::matching::MatchKey {
    gridgov::domain::registries::matching::MatchKey::new(b"a test key for matching ID numbers")
}

struct City {
    db: DatabaseConnection,
    authorizer: Arc<Authorizer>,
    dir: std::path::PathBuf,
}

/// A new SQLite database in a directory of its own, migrated and empty.
async fn migrated(name: &str) -> (DatabaseConnection, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("gridgov-domain-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = DatabaseConfig {
        database_url: None,
        data_dir: dir.clone(),
        db_max_connections: 4,
        db_acquire_timeout_ms: 5_000,
        audit_key: None,
        match_key: None,
    };
    let db = gridgov::db::connect(&config).await.expect("a SQLite file");
    gridgov::db::migrate(&db).await.expect("migrated");
    (db, dir)
}

impl City {
    async fn build(name: &str) -> City {
        let (db, dir) = migrated(name).await;
        gridgov::auth::policy_store::install_defaults_if_empty(&db, &seal())
            .await
            .map_err(|err| err.message())
            .expect("default policies");
        let seed = SeedConfig {
            residents: 400,
            seed: 7,
            batch: 500,
            no_registries: false,
        };
        gridgov::seed::run(&db, &seed, &match_key(), gridgov::seed::Progress::Silent)
            .await
            .expect("the demo city");
        let authorizer = Arc::new(
            gridgov::auth::policy_store::authorizer(&db)
                .await
                .expect("the policies"),
        );
        City {
            db,
            authorizer,
            dir,
        }
    }

    /// The door a signed-in `username` goes through.
    async fn access(&self, username: &str) -> Access {
        let user = entities::user::Entity::find()
            .filter(entities::user::Column::Username.eq(username))
            .one(&self.db)
            .await
            .expect("lookup")
            .expect("a demo account");
        let caller = Caller {
            principal: Principal::user(username),
            user_id: Some(user.id),
            department_id: None,
            token_id: None,
            name: username.to_owned(),
            expires_at: chrono::Utc::now() + chrono::Duration::minutes(5),
            session: None,
            address: None,
        };
        Access::new(
            Pools::single(self.db.clone()),
            self.authorizer.clone(),
            Some(caller),
            5,
            seal(),
            Batches::new(self.db.clone()),
            match_key(),
        )
    }

    async fn a_building(&self) -> building::Model {
        building::Entity::find()
            .filter(building::Column::GridCode.eq(GRID))
            .one(&self.db)
            .await
            .expect("lookup")
            .expect("a building in the grid")
    }

    async fn close(self) {
        let _ = self.db.close().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn code(err: &ApiError) -> &'static str {
    err.code()
}

#[tokio::test]
async fn an_update_keeps_to_the_version_the_rights_and_something_to_change() {
    let city = City::build("update").await;
    let worker = city.access(&format!("worker-{GRID}")).await;
    let row = city.a_building().await;
    let rename = |name: &str| BuildingFields {
        name: Some(name.to_owned()),
        ..BuildingFields::default()
    };

    let renamed = homes::update_building(&worker, row.id, row.version, rename("新名"))
        .await
        .expect("the grid's worker renames its building");
    assert_eq!(renamed.version, row.version + 1);
    assert_eq!(renamed.name, "新名");

    let stale = homes::update_building(&worker, row.id, row.version, rename("再改"))
        .await
        .expect_err("the version read is gone");
    assert_eq!(code(&stale), "CONFLICT");

    let nothing =
        homes::update_building(&worker, row.id, renamed.version, BuildingFields::default())
            .await
            .expect_err("nothing to change");
    assert_eq!(code(&nothing), "BAD_USER_INPUT");

    // The community's manager sees the building but may not change it; the
    // next grid's worker does not see it at all.
    let manager = city.access("community-420502003001").await;
    let refused = homes::update_building(&manager, row.id, renamed.version, rename("x"))
        .await
        .expect_err("not theirs to change");
    assert_eq!(code(&refused), "FORBIDDEN");
    let neighbour = city.access("worker-420502003001002").await;
    let hidden = homes::update_building(&neighbour, row.id, renamed.version, rename("x"))
        .await
        .expect_err("out of sight");
    assert_eq!(code(&hidden), "NOT_FOUND");

    // Each change left its audit row, naming the fields.
    let audited = entities::audit_log::Entity::find()
        .filter(entities::audit_log::Column::Action.eq("building.update"))
        .all(&city.db)
        .await
        .expect("audit");
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].detail["fields"], serde_json::json!(["name"]));
    city.close().await;
}

#[tokio::test]
async fn a_new_building_takes_the_grids_next_number() {
    let city = City::build("create").await;
    let worker = city.access(&format!("worker-{GRID}")).await;
    let fields = || BuildingFields {
        name: Some("新楼".to_owned()),
        address: Some("西陵一路".to_owned()),
        floors: Some(6),
        ..BuildingFields::default()
    };
    let first = homes::create_building(&worker, GRID, fields())
        .await
        .expect("created");
    let second = homes::create_building(&worker, GRID, fields())
        .await
        .expect("created");
    assert!(first.code.starts_with(GRID) && first.code.len() == GRID.len() + 5);
    let number = |code: &str| code[GRID.len()..].parse::<u32>().expect("digits");
    assert_eq!(number(&second.code), number(&first.code) + 1);
    city.close().await;
}

#[tokio::test]
async fn registering_checks_the_number_and_names_the_field() {
    let city = City::build("register").await;
    let worker = city.access(&format!("worker-{GRID}")).await;
    let arrival = |id_number: &str, grid: &str| Arrival {
        id_number: id_number.to_owned(),
        name: "王芳".to_owned(),
        sex: None,
        birth_date: None,
        ethnicity: None,
        phone: None,
        population_type: Some(entities::resident::PopulationType::Floating),
        grid_code: Some(grid.to_owned()),
        dwelling_id: None,
        household_id: None,
        relation_to_head: None,
        care_flags: Vec::new(),
        note: None,
        ..Arrival::default()
    };
    let bad = residents::register(
        &worker,
        arrival("420502198702281230", GRID),
        Entry::Registration,
    )
    .await
    .expect_err("a wrong check digit");
    assert!(
        matches!(&bad, ApiError::BadUserInput { field, .. } if field == "idNumber"),
        "{bad:?}"
    );
    let out_of_sight = residents::register(
        &worker,
        arrival("659001199005171244", "420502003001002"),
        Entry::Registration,
    )
    .await
    .expect_err("the next grid");
    assert!(
        matches!(&out_of_sight, ApiError::BadUserInput { field, .. } if field == "gridCode"),
        "{out_of_sight:?}"
    );
    let registered = residents::register(
        &worker,
        arrival("659001199005171244", GRID),
        Entry::Registration,
    )
    .await
    .expect("registered");
    assert_eq!(registered.grid_code, GRID);
    let again = residents::register(
        &worker,
        arrival("659001199005171244", GRID),
        Entry::Registration,
    )
    .await
    .expect_err("registered once");
    assert!(
        matches!(&again, ApiError::BadUserInput { field, .. } if field == "idNumber"),
        "{again:?}"
    );
    city.close().await;
}

#[tokio::test]
async fn an_anonymous_access_reaches_nothing() {
    let city = City::build("anonymous").await;
    let nobody = Access::new(
        Pools::single(city.db.clone()),
        city.authorizer.clone(),
        None,
        5,
        seal(),
        Batches::new(city.db.clone()),
        match_key(),
    );
    let row = city.a_building().await;
    let refused = homes::update_building(&nobody, row.id, row.version, BuildingFields::default())
        .await
        .expect_err("no caller");
    assert_eq!(code(&refused), "UNAUTHENTICATED");
    let paging = gridgov::domain::page::Paging::forward(Some(10), None);
    let request = gridgov::domain::page::PageRequest::new(paging, "area").expect("a page");
    let by_code = gridgov::domain::scoped::Order::ascending(entities::area::Column::Code);
    let listed =
        gridgov::domain::areas::list_areas(&nobody, &Default::default(), by_code, &request).await;
    assert!(matches!(listed, Err(ApiError::Unauthenticated(_))));
    city.close().await;
}

#[tokio::test]
async fn a_case_moves_only_along_the_table_and_only_by_whom_it_names() {
    use gridgov::domain::cases::moves::{self, Move, Report};
    let city = City::build("loop").await;
    let worker = city.access(&format!("worker-{GRID}")).await;
    let operator = city.access("operator").await;
    let case = moves::report(
        &worker,
        Report {
            title: "路灯不亮".to_owned(),
            description: "x".to_owned(),
            grid_code: GRID.to_owned(),
            location: "x".to_owned(),
            longitude: None,
            latitude: None,
            source: None,
            reporter_name: None,
            reporter_phone: None,
            urgency: None,
            links: Default::default(),
            photos: Vec::new(),
        },
    )
    .await
    .expect("reported");
    let id = case.id;
    let take = async |access: &Access, version: i32, name: &'static str, step: Move| {
        moves::take(access, id, version, name, step).await
    };
    let wrong_state = take(&worker, case.version, "close", Move::default())
        .await
        .expect_err("a reported case is not closed");
    assert_eq!(code(&wrong_state), "INVALID_STATE");
    let verified = take(&worker, case.version, "verify", Move::default())
        .await
        .expect("verified on site");
    let stale = take(&worker, case.version, "void", Move::default())
        .await
        .expect_err("the version moved on");
    assert_eq!(code(&stale), "CONFLICT");
    let filing = || Move {
        category_code: Some("D0202".to_owned()),
        ..Move::default()
    };
    let not_theirs = take(&worker, verified.version, "file", filing())
        .await
        .expect_err("a worker does not file");
    assert_eq!(code(&not_theirs), "FORBIDDEN");
    let unknown = take(&operator, verified.version, "teleport", filing())
        .await
        .expect_err("no such transition");
    assert_eq!(code(&unknown), "BAD_USER_INPUT");
    let filed = take(&operator, verified.version, "file", filing())
        .await
        .expect("filed by the command centre");
    assert!(filed.deadline_at.is_some(), "filing starts the clock");
    city.close().await;
}

/// The partial index of open cases (a migration, written once) names
/// exactly the states the case machine calls open: a state added to one
/// and not the other would leave its cases out of the index's reads.
#[tokio::test]
async fn the_open_cases_index_holds_the_states_the_machine_calls_open() {
    use sea_orm::{ActiveEnum, ConnectionTrait, Iterable, Statement};
    let city = City::build("open-index").await;
    let row = city
        .db
        .query_one_raw(Statement::from_string(
            city.db.get_database_backend(),
            "SELECT sql FROM sqlite_master WHERE name = 'ix_cases_open_grid_code'",
        ))
        .await
        .expect("sqlite_master")
        .expect("the index");
    let sql: String = row.try_get_by_index(0).expect("its definition");
    let open = gridgov::domain::cases::machine::OPEN;
    for state in entities::case::CaseState::iter() {
        let named = sql.contains(&format!("'{}'", state.to_value()));
        assert_eq!(named, open.contains(&state), "{state:?} in {sql}");
    }
    city.close().await;
}

/// The anomalies walk a period in batches, and a batch may end inside a
/// run of entries of one instant (several replicas write at once): every
/// entry is weighed once, however the batches fall. A worker has 2,345
/// reads of one row each at one instant, in a grid it never read in
/// before; two peers read one row each; the police's entries from before
/// reads recorded their grids are placed by where their people live.
#[tokio::test]
async fn the_anomalies_weigh_every_read_of_a_long_period_once() {
    use entities::audit_log;
    use gridgov::domain::audit_anomalies::{self, ActorKey};
    use sea_orm::{NotSet, Set};
    use serde_json::json;

    let city = City::build("anomalies").await;
    let user_id = |name: &'static str| {
        let db = city.db.clone();
        async move {
            entities::user::Entity::find()
                .filter(entities::user::Column::Username.eq(name))
                .one(&db)
                .await
                .expect("lookup")
                .expect("a demo account")
                .id
        }
    };
    let read = |user: i64, grid: &str, id: i64, at| audit_log::ActiveModel {
        id: NotSet,
        at: Set(at),
        actor_user_id: Set(Some(user)),
        actor_token_id: Set(None),
        actor_name: Set(format!("user {user}")),
        action: Set("resident.read_unmasked".to_owned()),
        object_kind: Set("resident".to_owned()),
        object_id: Set(None),
        area_code: Set(Some(grid.to_owned())),
        detail: Set(json!({"fields": ["phone"], "grids": [grid], "ids": [id]})),
        request_id: Set(None),
        address: Set(None),
        session: Set(None),
        seal: Set(None),
    };
    const ELSEWHERE: &str = "420502003001002";
    let busy = user_id("worker-420502003001001").await;
    let from = chrono::Utc::now() - chrono::Duration::hours(1);
    let earlier = from - chrono::Duration::days(1);
    let instant = from + chrono::Duration::minutes(1);
    let mut rows = vec![read(busy, GRID, 0, earlier)];
    rows.extend((1..2346).map(|id| read(busy, ELSEWHERE, id, instant)));
    for peer in ["worker-420502003001002", "worker-420502003001003"] {
        rows.push(read(user_id(peer).await, ELSEWHERE, 0, instant));
    }
    // Entries from before reads recorded their grids: the police read a
    // person of GRID, then one of ELSEWHERE, each placed by where they
    // live.
    let police = user_id("police-420502003001").await;
    let living_in = |grid: &'static str| {
        let db = city.db.clone();
        async move {
            entities::resident::Entity::find()
                .filter(entities::resident::Column::GridCode.eq(grid))
                .one(&db)
                .await
                .expect("lookup")
                .expect("a resident")
                .id
        }
    };
    let unrecorded = |id: i64, at| {
        let mut row = read(police, GRID, id, at);
        row.detail = Set(json!({"fields": ["phone"], "ids": [id]}));
        row
    };
    rows.push(unrecorded(living_in(GRID).await, earlier));
    rows.push(unrecorded(
        living_in(ELSEWHERE).await,
        instant + chrono::Duration::minutes(1),
    ));
    for chunk in rows.chunks(500) {
        audit_log::Entity::insert_many(chunk.to_vec())
            .exec(&city.db)
            .await
            .expect("written");
    }

    let auditor = city.access("auditor").await;
    let found = audit_anomalies::find(&auditor, from, chrono::Utc::now())
        .await
        .expect("anomalies");
    let heavy: Vec<(ActorKey, u64, f64)> = found
        .heavy_readers
        .iter()
        .map(|reader| (reader.actor, reader.rows, reader.peers_median))
        .collect();
    assert_eq!(heavy, vec![(ActorKey::User(busy), 2345, 1.0)]);
    // At most 500 are listed, the newest first; the peers had no earlier
    // reads, so no usual grids to leave.
    let unusual: Vec<i64> = found
        .outside_usual_grids
        .iter()
        .map(|read| read.entry.id)
        .collect();
    assert_eq!(unusual.len(), 500);
    assert!(
        unusual.windows(2).all(|pair| pair[0] > pair[1]),
        "newest first"
    );
    let newest = &found.outside_usual_grids[0];
    assert_eq!(newest.entry.actor_user_id, Some(police));
    assert_eq!(newest.grids, [ELSEWHERE]);
    let newest_of_busy = audit_log::Entity::find()
        .filter(audit_log::Column::ActorUserId.eq(busy))
        .all(&city.db)
        .await
        .expect("rows")
        .into_iter()
        .map(|row| row.id)
        .max();
    assert_eq!(unusual.get(1).copied(), newest_of_busy);
    assert!(
        found.outside_usual_grids[1..]
            .iter()
            .all(|read| read.grids == [ELSEWHERE] && read.entry.actor_user_id == Some(busy))
    );
    city.close().await;
}

/// The access report lists a person's entries a page at a time: one read
/// 1,234 times (more than a page) is listed 1,234 times, and the count at
/// its foot is the number of lines above it.
#[tokio::test]
async fn the_access_report_lists_every_entry_across_its_pages() {
    use gridgov::audit::{self, Entry, report};
    use serde_json::json;

    let city = City::build("access-report").await;
    let person = entities::resident::Entity::find()
        .filter(entities::resident::Column::GridCode.eq(GRID))
        .one(&city.db)
        .await
        .expect("lookup")
        .expect("a resident of the grid");
    let reader = city.access("worker-420502003001001").await;
    let entries = (0..1234)
        .map(|_| {
            (
                Entry {
                    action: "resident.read_unmasked",
                    object_kind: "resident",
                    object_id: None,
                    area_code: Some(GRID.to_owned()),
                    detail: json!({"fields": ["phone"], "grids": [GRID]}),
                },
                vec![person.id],
            )
        })
        .collect();
    audit::record_alone(&city.db, &reader.actor().expect("actor"), entries)
        .await
        .expect("written");

    let auditor = city.access("auditor").await;
    let mut out = Vec::new();
    let listed = report::access_report(
        &city.db,
        &auditor.actor().expect("actor"),
        &person.id_number,
        &mut out,
    )
    .await
    .expect("the report");
    let text = String::from_utf8(out).expect("text");
    let parts: Vec<&str> = text.split("\n\n").collect();
    let [_head, table, foot] = parts[..] else {
        panic!("a header, the table and a foot: {text}");
    };
    assert_eq!(foot, format!("共 {listed} 条 / Entries: {listed}\n"));
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len() as u64, listed);
    let by_reader = rows
        .iter()
        .filter(|line| line.split('\t').nth(1) == Some("worker-420502003001001"))
        .count();
    assert_eq!(by_reader, 1234);
    city.close().await;
}

/// Answers whose audit rows wait at the same moment share one write, each
/// still learns whether its own rows were written, and a row that cannot
/// be written fails only its own answer.
#[tokio::test]
async fn audit_rows_waiting_together_are_written_together_and_fail_alone() {
    use gridgov::audit::{self, Actor, Entry};
    use sea_orm::{ConnectionTrait, PaginatorTrait};
    use serde_json::json;

    let (db, dir) = migrated("batches").await;
    // The database refuses rows of one kind, as it would a row it cannot take.
    db.execute_unprepared(
        "CREATE TRIGGER refuse_poison BEFORE INSERT ON audit_log \
         WHEN NEW.object_kind = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END",
    )
    .await
    .expect("the trigger");
    let batches = Batches::new(db.clone());
    let actor = Arc::new(Actor::system("batch-test", &seal()));
    let logged = || async {
        entities::audit_log::Entity::find()
            .count(&db)
            .await
            .expect("counted")
    };
    let before = logged().await;

    // `count` answers, those whose number `poisoned` picks of the refused
    // kind, all sent while another transaction holds the write lock, so
    // that they queue behind the writer's first write.
    let send = |first: i64, count: i64, poisoned: fn(i64) -> bool| {
        let handles: Vec<_> = (first..first + count)
            .map(|n| {
                let (batches, actor) = (batches.clone(), actor.clone());
                tokio::spawn(async move {
                    let kind = if poisoned(n) { "poison" } else { "resident" };
                    let entry = Entry {
                        action: "resident.read_unmasked",
                        object_kind: kind,
                        object_id: None,
                        area_code: Some(GRID.to_owned()),
                        detail: json!({"fields": ["phone"], "grids": [GRID]}),
                    };
                    (
                        n,
                        audit::record_batched(&batches, &actor, vec![(entry, vec![n])]).await,
                    )
                })
            })
            .collect();
        handles
    };
    let outcomes = |handles: Vec<tokio::task::JoinHandle<(i64, Result<(), ApiError>)>>| async {
        let mut outcomes = Vec::new();
        for handle in handles {
            outcomes.push(handle.await.expect("the answer's task"));
        }
        outcomes
    };
    let named = |n: i64| {
        let db = db.clone();
        async move {
            entities::audit_subject::Entity::find()
                .filter(entities::audit_subject::Column::SubjectId.eq(n))
                .count(&db)
                .await
                .expect("counted")
        }
    };

    let lock = gridgov::db::begin_write(&db).await.expect("the write lock");
    let handles = send(1, 30, |_| false);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    lock.rollback().await.expect("released");
    for (n, outcome) in outcomes(handles).await {
        assert!(outcome.is_ok(), "answer {n}: {outcome:?}");
        assert_eq!(named(n).await, 1, "answer {n}'s row");
    }
    let (answers, writes) = batches.written();
    assert_eq!(answers, 30);
    // The first write may hold only the first answer; the rest waited
    // behind it and went in one.
    assert!(writes <= 2, "30 answers took {writes} writes");

    let lock = gridgov::db::begin_write(&db).await.expect("the write lock");
    let handles = send(101, 10, |n| n % 4 == 0);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    lock.rollback().await.expect("released");
    for (n, outcome) in outcomes(handles).await {
        if n % 4 == 0 {
            assert!(
                outcome.is_err(),
                "answer {n}'s refused row was reported written"
            );
            assert_eq!(named(n).await, 0, "answer {n}'s refused row");
        } else {
            assert!(
                outcome.is_ok(),
                "answer {n} failed with a row it waited with: {outcome:?}"
            );
            assert_eq!(named(n).await, 1, "answer {n}'s row");
        }
    }
    assert_eq!(batches.written().0, 30 + 8);

    // The writer is not left stranded by the failure.
    let (n, outcome) = outcomes(send(201, 1, |_| false)).await.remove(0);
    assert!(outcome.is_ok(), "answer {n} after a failure: {outcome:?}");
    assert_eq!(logged().await - before, 30 + 8 + 1);
    let _ = db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
