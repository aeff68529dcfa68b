//! The audit log, answered and checked: the auditor reads all of it and a
//! district's supervisor the entries of its district (the same rows the
//! database holds for that district); "who looked at this person" finds
//! every change and full read of one resident and nothing else; and the
//! chain behind the writers names each tampering — a row altered, deleted,
//! inserted, or two rows swapped — on both backends.

use std::time::Duration;

use entities::audit_log;
use gridgov::audit::chain::{self, Problem};
use gridgov_tests::{Backend, TestServer, on_each_backend, stored_key};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Statement,
};
use serde_json::{Value, json};

const DISTRICT: &str = "420502";
const GRID: &str = "420502003001001";

const LOG: &str = "query($filter: AuditLogFilter, $after: String) {
    auditLog(filter: $filter, first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { number action objectKind objectId objectIds fields areaCode session address
                actorName actor { username } } } }";

/// Every entry `client` reads under `filter`, newest first.
async fn read_log(client: &gridgov_tests::Client<'_>, filter: Value) -> Result<Vec<Value>, Value> {
    let mut entries = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = client
            .graphql(LOG, json!({"filter": filter, "after": after}))
            .await;
        if body["errors"].is_array() {
            return Err(body);
        }
        let page = &body["data"]["auditLog"];
        entries.extend(page["nodes"].as_array().cloned().unwrap_or_default());
        if page["pageInfo"]["hasNextPage"] != true {
            return Ok(entries);
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

fn numbers(entries: &[Value]) -> Vec<i64> {
    entries
        .iter()
        .filter_map(|e| e["number"].as_i64())
        .collect()
}

/// Waits until every row is linked, and answers what `verify` finds then.
async fn settled(server: &TestServer, db: &DatabaseConnection) -> chain::Verification {
    for _ in 0..100 {
        let found = chain::verify(
            db,
            &server.seal(),
            chrono::Utc::now(),
            chrono::Duration::zero(),
            |_| {},
        )
        .await
        .expect("verify runs");
        // Every row linked, or something else wrong (a chainer linking
        // while verify walked shows a shorter head; it is asked again).
        let rows = audit_log::Entity::find().count(db).await.expect("a count");
        let links = entities::audit_chain::Entity::find()
            .count(db)
            .await
            .expect("a count");
        let last = entities::audit_chain::Entity::find()
            .order_by_desc(entities::audit_chain::Column::Seq)
            .one(db)
            .await
            .expect("a read")
            .map_or(0, |link| link.seq);
        match &found.problem {
            None if links == rows && found.pending == 0 && found.head.length == last => {
                return found;
            }
            Some(problem) if !matches!(problem, Problem::NotLinked { .. }) => return found,
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the chainer did not link the rows within 10 s");
}

#[tokio::test]
async fn the_auditor_reads_the_log_and_a_supervisor_its_district() {
    on_each_backend(|server| async move {
        // Some work to read about: a worker's change, the police's full
        // reads of their grid.
        let worker = server.as_user(&format!("worker-{GRID}")).await;
        let police = server.as_user("police-420502003001").await;
        let data = police
            .data(
                &format!("{{ residents(filter: {{within: \"{GRID}\"}}, first: 3) {{ nodes {{ id idNumber phone }} }} }}"),
                json!({}),
            )
            .await;
        let person = data["residents"]["nodes"][0]["id"].clone();
        let detail = worker
            .data(
                "query($id: ID!) { resident(id: $id) { version } }",
                json!({"id": person}),
            )
            .await;
        let changed = worker
            .graphql(
                "mutation($input: UpdateResidentInput!) { updateResident(input: $input) {
                    resident { id } userErrors { code } } }",
                json!({"input": {"id": person, "version": detail["resident"]["version"],
                    "phone": "13912345678"}}),
            )
            .await;
        assert!(changed["data"]["updateResident"]["resident"].is_object(), "{changed:#}");

        // The auditor reads everything the database holds; the supervisor
        // exactly the entries of its district.
        let auditor = server.as_user("auditor").await;
        let supervisor = server.as_user(&format!("supervisor-{DISTRICT}")).await;
        let db = server.db().await;
        let stored = audit_log::Entity::find()
            .order_by_desc(audit_log::Column::Id)
            .all(&db)
            .await
            .expect("rows");
        let all = read_log(&auditor, json!({})).await.expect("the auditor reads");
        let expected: Vec<i64> = stored.iter().map(|row| row.id).collect();
        assert_eq!(numbers(&all), expected, "the whole log, newest first");

        let district = read_log(&supervisor, json!({})).await.expect("the supervisor reads");
        let stored = audit_log::Entity::find()
            .order_by_desc(audit_log::Column::Id)
            .all(&db)
            .await
            .expect("rows");
        let expected: Vec<i64> = stored
            .iter()
            .filter(|row| {
                row.area_code
                    .as_deref()
                    .is_some_and(|code| code.starts_with(DISTRICT))
            })
            .map(|row| row.id)
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(numbers(&district), expected, "its district's entries only");
        // A read is placed where what it showed lies: the police's page of
        // their grid.
        let read = district
            .iter()
            .find(|entry| entry["action"] == "resident.read_unmasked")
            .expect("the police's full reads");
        assert_eq!(read["areaCode"], GRID);
        assert_eq!(read["actor"]["username"], "police-420502003001");
        assert_eq!(read["address"], "127.0.0.1");
        assert!(read["session"].is_string(), "{read}");
        assert!(read["fields"].to_string().contains("id_number"), "{read}");

        // Nobody else reads the log; every reading is itself an entry.
        let body = worker.graphql(LOG, json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body:#}");
        let readings = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("audit_log.read"))
            .all(&db)
            .await
            .expect("rows");
        let readers: Vec<&str> = readings.iter().map(|row| row.actor_name.as_str()).collect();
        assert!(readers.contains(&"auditor") && readers.contains(&"supervisor-420502"), "{readers:?}");

        // Who looked at this person: their change and the full reads that
        // showed them, and nothing that did not touch them.
        let id = stored_key(&person);
        let theirs = read_log(&auditor, json!({"resident": person})).await.expect("reads");
        assert!(theirs.iter().any(|e| e["action"] == "resident.update"
            && e["actor"]["username"] == format!("worker-{GRID}")));
        assert!(theirs.iter().any(|e| e["action"] == "resident.read_unmasked"
            && e["actor"]["username"] == "police-420502003001"));
        for entry in &theirs {
            let named = entry["objectId"] == json!(id.to_string())
                || entry["objectIds"].as_array().is_some_and(|ids| ids.contains(&json!(id)));
            assert!(named && entry["objectKind"] == "resident", "{entry}");
        }
        let number = entities::resident::Entity::find_by_id(id)
            .one(&db)
            .await
            .expect("read")
            .expect("the resident")
            .id_number;
        let by_number = read_log(&auditor, json!({"residentIdNumber": number}))
            .await
            .expect("the auditor looks up by number");
        // The same entries, and the lookup by id before it: looking a
        // person up is itself on their record.
        assert_eq!(by_number[0]["action"], "audit_log.read");
        assert_eq!(numbers(&by_number)[1..], numbers(&theirs)[..], "the same entries");
        let refused = read_log(&supervisor, json!({"residentIdNumber": number})).await;
        assert!(refused.is_err_and(|body| body["errors"][0]["extensions"]["code"] == "FORBIDDEN"));
        db.close().await.expect("close");
        server
    })
    .await;
}

/// Lets the table's owner change the log, as someone with the database
/// password could.
async fn unlock(db: &DatabaseConnection, backend: Backend) {
    let statements: &[&str] = match backend {
        Backend::Postgres => &[
            "ALTER TABLE audit_log DISABLE TRIGGER USER",
            "ALTER TABLE audit_subjects DISABLE TRIGGER USER",
        ],
        Backend::Sqlite => &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_unpermitted_delete",
            "DROP TRIGGER audit_subjects_no_unpermitted_delete",
        ],
    };
    for statement in statements {
        db.execute_unprepared(statement).await.expect("unlocked");
    }
}

/// Takes one of the rows read `read` names out of the index "who looked at
/// this person" searches, as each backend keeps it; answers the statement
/// that puts it back.
async fn take_out_one_named(db: &DatabaseConnection, backend: Backend, read: i64) -> String {
    match backend {
        Backend::Postgres => {
            let row = db
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    format!("SELECT array_to_string(subjects, ',') AS named FROM audit_log WHERE id = {read}"),
                ))
                .await
                .expect("read")
                .expect("the row");
            let named: String = row.try_get("", "named").expect("named rows");
            assert!(named.contains(','), "a page names several: {named}");
            db.execute_unprepared(&format!(
                "UPDATE audit_log SET subjects = subjects[2:] WHERE id = {read}"
            ))
            .await
            .expect("taken out");
            format!("UPDATE audit_log SET subjects = '{{{named}}}' WHERE id = {read}")
        }
        Backend::Sqlite => {
            let named = entities::audit_subject::Entity::find()
                .filter(entities::audit_subject::Column::AuditId.eq(read))
                .one(db)
                .await
                .expect("read")
                .expect("a named row");
            entities::audit_subject::Entity::delete_many()
                .filter(entities::audit_subject::Column::AuditId.eq(read))
                .filter(entities::audit_subject::Column::SubjectId.eq(named.subject_id))
                .exec(db)
                .await
                .expect("taken out");
            format!(
                "INSERT INTO audit_subjects (kind, subject_id, audit_id) VALUES ('{}', {}, {read})",
                named.kind, named.subject_id
            )
        }
    }
}

#[tokio::test]
async fn verify_names_each_row_tampered_with() {
    on_each_backend(|server| async move {
        // A few dozen entries of different kinds.
        let police = server.as_user("police-420502003001").await;
        let mut shown = Vec::new();
        for grid in ["420502003001001", "420502003001002", "420502003001003"] {
            let page = police
                .data(
                    &format!("{{ residents(filter: {{within: \"{grid}\"}}, first: 5) {{ nodes {{ id idNumber }} }} }}"),
                    json!({}),
                )
                .await;
            shown.push(page["residents"]["nodes"][0]["id"].clone());
        }
        // The auditor's own reading of one person's entries names them too.
        let auditor = server.as_user("auditor").await;
        read_log(&auditor, json!({"resident": shown[0]})).await.expect("the auditor reads");
        let db = server.db().await;
        let found = settled(&server, &db).await;
        assert_eq!(found.problem, None);
        assert!(found.head.length >= 4, "{found:?}");
        // The head is published as it stands.
        let metrics = server.metrics().await;
        assert!(
            metrics.contains(&format!("gridgov_audit_chain_head{{hash=\"{}\"}} {}", found.head.hash, found.head.length)),
            "{metrics}"
        );

        unlock(&db, server.backend).await;
        let rows = audit_log::Entity::find()
            .order_by_asc(audit_log::Column::Id)
            .all(&db)
            .await
            .expect("rows");
        let verify = || async {
            chain::verify(&db, &server.seal(), chrono::Utc::now(), chrono::Duration::minutes(5), |_| {})
                .await
                .expect("verify runs")
                .problem
        };

        // Altered: a row says something else.
        let target = rows[rows.len() / 2].clone();
        let mut altered = target.clone().into_active_model();
        altered.action = sea_orm::ActiveValue::Set("resident.nothing".to_owned());
        altered.update(&db).await.expect("altered");
        assert!(matches!(verify().await, Some(Problem::RowAltered { row, .. }) if row == target.id));
        target.clone().into_active_model().reset_all().update(&db).await.expect("restored");
        assert_eq!(verify().await, None, "restored");

        // Deleted.
        let target = rows[1].clone();
        audit_log::Entity::delete_by_id(target.id).exec(&db).await.expect("deleted");
        assert!(matches!(verify().await, Some(Problem::RowDeleted { row, .. }) if row == target.id));
        target.clone().into_active_model().reset_all().insert(&db).await.expect("put back");
        assert_eq!(verify().await, None, "put back");

        // Inserted: a row made without the key.
        let mut forged = rows[2].clone().into_active_model().reset_all();
        forged.id = sea_orm::ActiveValue::NotSet;
        forged.actor_name = sea_orm::ActiveValue::Set("auditor".to_owned());
        forged.seal = sea_orm::ActiveValue::Set(Some(format!("{:0>96}", "f")));
        let forged = forged.insert(&db).await.expect("inserted");
        assert_eq!(verify().await, Some(Problem::RowForged { row: forged.id }));
        audit_log::Entity::delete_by_id(forged.id).exec(&db).await.expect("removed");

        // Copied: a linked row written again under another number, its
        // seal and all (nothing in the log's own table refuses it).
        let mut copy = rows[2].clone().into_active_model().reset_all();
        copy.id = sea_orm::ActiveValue::NotSet;
        let copy = copy.insert(&db).await.expect("copied in");
        assert_eq!(verify().await, Some(Problem::RowCopied { row: copy.id }));
        // The chainer passes over it: a read written after it is linked,
        // the copy never.
        police
            .data("{ residents(first: 1) { nodes { idNumber } } }", json!({}))
            .await;
        let link_of = |row: i64| {
            entities::audit_chain::Entity::find()
                .filter(entities::audit_chain::Column::AuditId.eq(row))
                .count(&db)
        };
        let mut past = false;
        for _ in 0..100 {
            let later = entities::audit_chain::Entity::find()
                .filter(entities::audit_chain::Column::AuditId.gt(copy.id))
                .count(&db)
                .await
                .expect("a count");
            if later > 0 {
                past = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(past, "the read after the copy was linked");
        assert_eq!(link_of(copy.id).await.expect("a count"), 0, "a copy is never linked");
        audit_log::Entity::delete_by_id(copy.id).exec(&db).await.expect("removed");
        assert_eq!(verify().await, None, "removed");

        // The index of who was read: a read's named rows taken out of it
        // (so that "who looked at this person" misses it).
        let read = rows
            .iter()
            .find(|row| row.action == "resident.read_unmasked")
            .expect("a full read")
            .clone();
        let put_back = take_out_one_named(&db, server.backend, read.id).await;
        assert_eq!(verify().await, Some(Problem::SubjectsAltered { row: read.id }));
        db.execute_unprepared(&put_back).await.expect("put back");
        assert_eq!(verify().await, None, "put back");

        // Reordered: two rows swapped, each keeping its own seal.
        let (a, b) = (rows[3].clone(), rows[4].clone());
        for (place, content) in [(a.id, &b), (b.id, &a)] {
            let mut moved = content.clone().into_active_model().reset_all();
            moved.id = sea_orm::ActiveValue::Unchanged(place);
            moved.update(&db).await.expect("swapped");
        }
        assert!(matches!(verify().await, Some(Problem::RowAltered { row, .. }) if row == a.id));
        db.close().await.expect("close");
        server
    })
    .await;
}

/// `verify` reads the rows outside the chain a page at a time: after a
/// flood of them it still names the first, where looking up all their
/// seals at once took more parameters than one statement may carry
/// (65,535 on PostgreSQL, 32,766 on SQLite).
#[tokio::test]
async fn verify_names_the_first_of_a_flood_of_rows_outside_the_chain() {
    on_each_backend(|server| async move {
        let db = server.db().await;
        assert_eq!(settled(&server, &db).await.problem, None);
        let (at, detail) = match server.backend {
            Backend::Postgres => ("'2026-11-26T00:00:00+00:00'::timestamptz", "'{}'::jsonb"),
            Backend::Sqlite => ("'2026-11-26T00:00:00+00:00'", "'{}'"),
        };
        db.execute_unprepared(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 70000) \
             INSERT INTO audit_log (at, actor_name, action, object_kind, detail, seal) \
             SELECT {at}, 'someone', 'resident.update', 'resident', {detail}, '{}' FROM n",
            "f".repeat(96)
        ))
        .await
        .expect("a flood inserted at the database");
        let first = audit_log::Entity::find()
            .filter(audit_log::Column::ActorName.eq("someone"))
            .order_by_asc(audit_log::Column::Id)
            .one(&db)
            .await
            .expect("read")
            .expect("the first of them")
            .id;
        let found = chain::verify(
            &db,
            &server.seal(),
            chrono::Utc::now(),
            chrono::Duration::minutes(5),
            |_| {},
        )
        .await
        .expect("verify runs");
        assert_eq!(found.problem, Some(Problem::RowForged { row: first }));
        // The chainer passes over the flood: a read written after it is
        // linked (it had stalled once the rows it refused outgrew what
        // one statement may carry).
        let police = server.as_user("police-420502003001").await;
        police
            .data("{ residents(first: 1) { nodes { idNumber } } }", json!({}))
            .await;
        let read = audit_log::Entity::find()
            .order_by_desc(audit_log::Column::Id)
            .one(&db)
            .await
            .expect("read")
            .expect("the read's row");
        assert_eq!(read.action, "resident.read_unmasked");
        let mut linked = 0;
        for _ in 0..150 {
            linked = entities::audit_chain::Entity::find()
                .filter(entities::audit_chain::Column::AuditId.eq(read.id))
                .count(&db)
                .await
                .expect("a count");
            if linked > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(linked, 1, "the read after the flood is linked");
        db.close().await.expect("close");
        server
    })
    .await;
}

/// During a rolling upgrade a replica not yet upgraded still writes the
/// rows a read names into `audit_subjects`, not into the entry's own
/// `subjects` array (PostgreSQL). "Who looked at this person" finds such a
/// read, `verify` holds the table to the sealed list as it does the
/// array, and a row taken out of the table is named.
#[tokio::test]
async fn a_read_written_by_a_replica_not_yet_upgraded_is_found_and_checked() {
    on_each_backend(|server| async move {
        if server.backend != Backend::Postgres {
            // SQLite keeps audit_subjects, before and after the upgrade.
            return server;
        }
        let police = server.as_user("police-420502003001").await;
        let page = police
            .data(
                &format!("{{ residents(filter: {{within: \"{GRID}\"}}, first: 5) {{ nodes {{ id idNumber }} }} }}"),
                json!({}),
            )
            .await;
        assert!(page["residents"]["nodes"][0]["idNumber"].is_string(), "{page}");
        let db = server.db().await;
        let read = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("resident.read_unmasked"))
            .filter(audit_log::Column::ActorName.eq("police-420502003001"))
            .order_by_desc(audit_log::Column::Id)
            .one(&db)
            .await
            .expect("read")
            .expect("the police's read");
        // As the old replica wrote it: the array empty, the table filled.
        for statement in [
            "ALTER TABLE audit_log DISABLE TRIGGER USER".to_owned(),
            format!(
                "INSERT INTO audit_subjects (kind, subject_id, audit_id) \
                 SELECT object_kind, unnest(subjects), id FROM audit_log WHERE id = {}",
                read.id
            ),
            format!("UPDATE audit_log SET subjects = NULL WHERE id = {}", read.id),
            "ALTER TABLE audit_log ENABLE TRIGGER USER".to_owned(),
        ] {
            db.execute_unprepared(&statement).await.expect("written as before");
        }
        let in_table = entities::audit_subject::Entity::find()
            .filter(entities::audit_subject::Column::AuditId.eq(read.id))
            .count(&db)
            .await
            .expect("count");
        let listed = read.detail["ids"].as_array().map_or(0, Vec::len) as u64;
        assert!(listed > 1, "{:?}", read.detail);
        assert_eq!(in_table, listed);

        // A person it names, by the global id a client holds.
        let person = read.detail["ids"][0].as_i64().expect("a named row");
        let person = gridgov_tests::global_key("Resident", person);
        let auditor = server.as_user("auditor").await;
        let theirs = read_log(&auditor, json!({"resident": person})).await.expect("reads");
        assert!(numbers(&theirs).contains(&read.id), "found by the person: {theirs:?}");
        assert_eq!(settled(&server, &db).await.problem, None);

        // One of its rows taken out of the table is an altered index.
        db.execute_unprepared("ALTER TABLE audit_subjects DISABLE TRIGGER USER")
            .await
            .expect("unlocked");
        db.execute_unprepared(&format!(
            "DELETE FROM audit_subjects WHERE audit_id = {0} AND subject_id = \
             (SELECT min(subject_id) FROM audit_subjects WHERE audit_id = {0})",
            read.id
        ))
        .await
        .expect("taken out");
        let found = chain::verify(&db, &server.seal(), chrono::Utc::now(), chrono::Duration::zero(), |_| {})
            .await
            .expect("verify runs");
        assert_eq!(found.problem, Some(Problem::SubjectsAltered { row: read.id }));
        db.close().await.expect("close");
        server
    })
    .await;
}

const ANOMALIES: &str = "query($from: DateTime!, $before: DateTime!) {
    auditAnomalies(from: $from, before: $before) {
        heavyReaders { actorName actor { username } peers rows peersMedian }
        afterHours { number actorName at }
        outsideUsualGrids { entry { number actorName } grids } } }";

/// Whether `at` falls in office hours, as the README states them: 08:30 to
/// 17:30 China time on a working day (a weekday, unless `calendar_days`
/// says otherwise).
fn in_office_hours(
    at: chrono::DateTime<chrono::Utc>,
    exceptions: &[(chrono::NaiveDate, bool)],
) -> bool {
    use chrono::{Datelike, Timelike};
    let local = at + chrono::Duration::hours(8);
    let day = local.date_naive();
    let working = exceptions
        .iter()
        .find(|(d, _)| *d == day)
        .map_or(local.weekday().num_days_from_monday() < 5, |(_, w)| *w);
    let minutes = local.hour() * 60 + local.minute();
    working && (8 * 60 + 30..17 * 60 + 30).contains(&minutes)
}

#[tokio::test]
async fn the_auditor_is_shown_heavy_readers_reads_after_hours_and_outside_usual_grids() {
    on_each_backend(|server| async move {
        let page = |grid: &str, first: u32| {
            format!("{{ residents(filter: {{within: \"{grid}\"}}, first: {first}) {{ nodes {{ phone idNumber }} }} }}")
        };
        // The community police read one grid; later, another.
        let police = server.as_user("police-420502003001").await;
        police.data(&page("420502003001001", 5), json!({})).await;
        // One of the people they read then has since moved to the other
        // grid: the grid they read in stays the one the person was in.
        let db = server.db().await;
        let earlier = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("resident.read_unmasked"))
            .filter(audit_log::Column::ActorName.eq("police-420502003001"))
            .one(&db)
            .await
            .expect("read")
            .expect("the police's read is logged");
        let moved = earlier.detail["ids"][0].as_i64().expect("the rows it names");
        let update = entities::resident::Entity::update_many()
            .col_expr(
                entities::resident::Column::GridCode,
                sea_orm::sea_query::Expr::value("420502003001002"),
            )
            .filter(entities::resident::Column::Id.eq(moved))
            .exec(&db)
            .await
            .expect("moved");
        assert_eq!(update.rows_affected, 1);
        db.close().await.expect("close");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let from = chrono::Utc::now();
        tokio::time::sleep(Duration::from_millis(50)).await;
        police.data(&page("420502003001002", 5), json!({})).await;
        // One worker reads sixty phones of its grid in full (a page of
        // its grid at a time), two others one.
        let busy = server.as_user("worker-420502003001001").await;
        let mut read = 0;
        while read < 60 {
            let data = busy.data(&page("420502003001001", 100), json!({})).await;
            // A worker sees phones in full, ID numbers masked: the rows
            // read in full are those with a phone.
            let shown = data["residents"]["nodes"]
                .as_array()
                .map_or(0, |nodes| nodes.iter().filter(|n| n["phone"].is_string()).count());
            assert!(shown > 0, "the grid has residents with phones");
            read += shown;
        }
        for grid in ["420502003001002", "420502003001003"] {
            let worker = server.as_user(&format!("worker-{grid}")).await;
            worker.data(&page(grid, 1), json!({})).await;
        }
        let before = chrono::Utc::now() + chrono::Duration::seconds(1);

        let auditor = server.as_user("auditor").await;
        let data = auditor
            .data(ANOMALIES, json!({"from": from, "before": before}))
            .await;
        let found = &data["auditAnomalies"];
        let heavy: Vec<(&str, u64)> = found["heavyReaders"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|r| (r["actor"]["username"].as_str().unwrap_or(""), r["rows"].as_u64().unwrap_or(0)))
            .collect();
        let busy_rows = heavy
            .iter()
            .find(|(name, _)| *name == "worker-420502003001001")
            .map(|(_, rows)| *rows);
        assert_eq!(busy_rows, Some(read as u64), "{heavy:?}");
        assert_eq!(heavy.len(), 1, "only the busy worker: {heavy:?}");

        // The police read a grid they had not read in before.
        let unusual = found["outsideUsualGrids"].as_array().expect("a list");
        assert_eq!(unusual.len(), 1, "{unusual:?}");
        assert_eq!(unusual[0]["grids"], json!(["420502003001002"]));
        assert_eq!(unusual[0]["entry"]["actorName"], "police-420502003001");

        // After hours: exactly the period's full reads outside office
        // hours, by the calendar.
        let db = server.db().await;
        let exceptions: Vec<(chrono::NaiveDate, bool)> = entities::calendar_day::Entity::find()
            .all(&db)
            .await
            .expect("days")
            .into_iter()
            .map(|day| (day.day, day.working))
            .collect();
        let reads = audit_log::Entity::find()
            .filter(audit_log::Column::Action.like("%.read_unmasked"))
            .filter(audit_log::Column::At.gte(from))
            .filter(audit_log::Column::At.lt(before))
            .order_by_desc(audit_log::Column::Id)
            .all(&db)
            .await
            .expect("rows");
        db.close().await.expect("close");
        let expected: Vec<i64> = reads
            .iter()
            .filter(|row| !in_office_hours(row.at, &exceptions))
            .map(|row| row.id)
            .collect();
        let after_hours: Vec<i64> = found["afterHours"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|e| e["number"].as_i64())
            .collect();
        assert_eq!(after_hours, expected);

        // A supervisor sees its district's; a worker none; a period too
        // long is refused.
        let worker = server.as_user("worker-420502003001002").await;
        let body = worker
            .graphql(ANOMALIES, json!({"from": from, "before": before}))
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body:#}");
        let body = auditor
            .graphql(
                ANOMALIES,
                json!({"from": from - chrono::Duration::days(40), "before": before}),
            )
            .await;
        assert!(body["errors"].is_array(), "{body:#}");
        server
    })
    .await;
}

#[tokio::test]
async fn old_entries_leave_for_a_file_whose_hash_stays_in_the_chain() {
    on_each_backend(|server| async move {
        let police = server.as_user("police-420502003001").await;
        for grid in ["420502003001001", "420502003001002"] {
            police
                .data(
                    &format!("{{ residents(filter: {{within: \"{grid}\"}}, first: 5) {{ nodes {{ idNumber }} }} }}"),
                    json!({}),
                )
                .await;
        }
        let db = server.db().await;
        assert_eq!(settled(&server, &db).await.problem, None);
        let kept_before = audit_log::Entity::find().all(&db).await.expect("rows");

        // Everything linked so far is "old": all but the last link leaves.
        let dir = std::env::temp_dir().join(format!(
            "gridgov-archive-{}-{:?}",
            std::process::id(),
            server.backend
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let actor = gridgov::audit::Actor::system("test", &server.seal());
        let done = gridgov::audit::archive::archive(
            &db,
            &actor,
            chrono::Utc::now() + chrono::Duration::minutes(1),
            &dir,
        )
        .await
        .expect("archived")
        .expect("something to archive");

        // The file holds the rows, in chain order, and hashes as recorded.
        let text = std::fs::read_to_string(&done.path).expect("the file");
        let lines: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).expect("JSON"))
            .collect();
        assert_eq!(lines.len() as u64, done.rows);
        let seqs: Vec<i64> = lines.iter().filter_map(|l| l["link"]["seq"].as_i64()).collect();
        let expected: Vec<i64> = (done.from_seq..=done.seq_until).collect();
        assert_eq!(seqs, expected);
        use sha2::Digest;
        let sha: String = sha2::Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(sha, done.sha256);

        // They are gone from the database; the log says where, with the
        // hash; the rest of the chain still verifies from there.
        let kept: Vec<i64> = audit_log::Entity::find()
            .all(&db)
            .await
            .expect("rows")
            .into_iter()
            .map(|row| row.id)
            .collect();
        let moved: Vec<i64> = lines.iter().filter_map(|l| l["number"].as_i64()).collect();
        assert!(moved.iter().all(|id| !kept.contains(id)));
        assert_eq!(kept_before.len() - moved.len() + 1, kept.len(), "the archive's own entry added");
        let entry = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("audit_log.archive"))
            .one(&db)
            .await
            .expect("read")
            .expect("the archive's entry");
        assert_eq!(entry.detail["sha256"], json!(done.sha256));
        assert_eq!(settled(&server, &db).await.problem, None);

        // Outside an archive run the database still refuses a delete.
        let refused = audit_log::Entity::delete_by_id(kept[0]).exec(&db).await;
        assert!(refused.is_err(), "append-only still");
        let _ = std::fs::remove_dir_all(&dir);
        db.close().await.expect("close");
        server
    })
    .await;
}

#[tokio::test]
async fn sign_ins_are_logged_with_address_and_session_never_with_what_was_typed() {
    on_each_backend(|server| async move {
        let db = server.db().await;
        let admin_id = entities::user::Entity::find()
            .filter(entities::user::Column::Username.eq("admin"))
            .one(&db)
            .await
            .expect("read")
            .expect("the admin")
            .id;
        const LOGIN: &str = "mutation($u: String!, $p: String!) {
            login(input: {username: $u, password: $p}) { session { accessToken } } }";
        // A wrong password for an account, and a password typed into the
        // name field.
        let typed = "Tr0ub4dor&3-secret";
        for (name, password) in [("admin", "not the password"), (typed, "gridgov-demo")] {
            let body = server
                .graphql(LOGIN, json!({"u": name, "p": password}))
                .await;
            assert!(body["errors"].is_array(), "{body}");
        }
        let failures = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("session.login_failed"))
            .order_by_asc(audit_log::Column::Id)
            .all(&db)
            .await
            .expect("the log");
        let named: Vec<Option<String>> = failures.iter().map(|f| f.object_id.clone()).collect();
        assert_eq!(named, [Some(admin_id.to_string()), None]);
        for row in &failures {
            let written = format!("{row:?}");
            assert!(!written.contains(typed), "{written}");
            assert_eq!(row.address.as_deref(), Some("127.0.0.1"), "{written}");
        }

        // A sign-in is logged from its address, with the session (the
        // access token's `jti`) the entries of its requests carry.
        let body = server
            .graphql(LOGIN, json!({"u": "admin", "p": "gridgov-demo"}))
            .await;
        let token = body["data"]["login"]["session"]["accessToken"]
            .as_str()
            .expect("a token");
        use base64::Engine;
        let claims: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(token.split('.').nth(1).expect("a payload"))
                .expect("base64"),
        )
        .expect("claims");
        let login = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("session.login"))
            .order_by_desc(audit_log::Column::Id)
            .one(&db)
            .await
            .expect("the log")
            .expect("the sign-in");
        assert_eq!(login.session.as_deref(), claims["jti"].as_str());
        assert_eq!(login.address.as_deref(), Some("127.0.0.1"));
        server
    })
    .await;
}
