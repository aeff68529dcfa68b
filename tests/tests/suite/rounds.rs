//! Rounds of visits: a task naming whom to visit, whose progress is the
//! visits recorded; the care schedule a city sets for itself; and the
//! schedule rolled up by area for the managers. Expected numbers come from
//! the stored rows and a small model of the rule written here.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use entities::resident::{self, CareFlag, ResidentStatus};
use gridgov_tests::{
    Client, TestServer, error_code, global_key, on_each_backend, stored_key, user_error,
    user_error_field,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const COMMUNITY: &str = "420502003001";

const SEND: &str = "mutation($input: SendTaskInput!) { sendTask(input: $input) {
    task { id kind assignments(first: 50) { nodes { id areaCode target progress state version } } }
    userErrors { field message code } } }";

const VISIT: &str = "mutation($input: RecordVisitInput!) { recordVisit(input: $input) {
    visit { id } userErrors { field message code } } }";

/// The active residents of the community, as stored.
async fn residents(server: &TestServer) -> Vec<resident::Model> {
    let db = server.db().await;
    let rows = resident::Entity::find()
        .filter(resident::Column::GridCode.starts_with(COMMUNITY))
        .filter(resident::Column::Status.eq(ResidentStatus::Active))
        .all(&db)
        .await
        .expect("residents");
    db.close().await.expect("close");
    rows
}

fn deadline() -> String {
    (Utc::now() + Duration::days(7)).to_rfc3339()
}

fn visit_input(subject: &str) -> Value {
    json!({"input": {"subjectId": subject, "kind": "CARE", "findings": "身体尚好。"}})
}

#[tokio::test]
async fn a_round_of_visits_counts_the_visits_to_whom_it_names() {
    on_each_backend(|server| async move {
        let manager = server.as_user(&format!("community-{COMMUNITY}")).await;
        // Three people of each of the community's first two grids: the
        // round's list.
        let people = residents(&server).await;
        let mut by_grid: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for row in &people {
            by_grid.entry(row.grid_code.clone()).or_default().push(row.id);
        }
        let grids: Vec<String> = by_grid.keys().take(2).cloned().collect();
        assert_eq!(grids.len(), 2, "two grids with people");
        let named: BTreeMap<String, Vec<i64>> = grids
            .iter()
            .map(|grid| (grid.clone(), by_grid[grid].iter().take(3).copied().collect()))
            .collect();
        let subjects: Vec<String> = named
            .values()
            .flatten()
            .map(|id| global_key("Resident", *id))
            .collect();
        let round = |targets: Value, kind: &str| {
            json!({"input": {"title": "走访独居老人", "body": "逐户走访，了解身体和生活情况。",
                "kind": kind, "deadlineAt": deadline(), "targets": targets}})
        };

        // What a round must be.
        let elsewhere = global_key("Resident", people.iter().map(|r| r.id).max().expect("people") + 1_000_000);
        for (input, field, code) in [
            (round(json!({}), "VISITS"), "input.targets.subjects", "REQUIRED"),
            (round(json!({"subjects": subjects, "areas": [COMMUNITY]}), "VISITS"), "input.targets", "INVALID"),
            (round(json!({"subjects": subjects}), "INSTRUCTION"), "input.targets.subjects", "INVALID"),
            (round(json!({"subjects": [subjects[0], subjects[0]]}), "VISITS"), "input.targets.subjects", "INVALID"),
            (round(json!({"subjects": [elsewhere]}), "VISITS"), "input.targets.subjects", "NOT_FOUND"),
        ] {
            let body = manager.graphql(SEND, input).await;
            assert_eq!(user_error(&body), Some(code), "{body:#}");
            assert_eq!(user_error_field(&body).as_deref(), Some(field), "{body:#}");
        }

        let sent = manager.data(SEND, round(json!({"subjects": subjects}), "VISITS")).await;
        let task = sent["sendTask"]["task"].clone();
        assert_eq!(task["kind"], "VISITS");
        let assignments = task["assignments"]["nodes"].as_array().expect("assignments").clone();
        let targets: BTreeMap<String, i64> = assignments
            .iter()
            .map(|a| (a["areaCode"].as_str().expect("code").to_owned(), a["target"].as_i64().expect("target")))
            .collect();
        let expected: BTreeMap<String, i64> = named.iter().map(|(grid, ids)| (grid.clone(), ids.len() as i64)).collect();
        assert_eq!(targets, expected, "one assignment per grid named, its target the people named there");

        // The first grid's worker visits their three, one twice, and
        // someone not on the list: three count.
        let grid = &grids[0];
        let worker = server.as_user(&format!("worker-{grid}")).await;
        let not_named = by_grid[grid].get(3).copied();
        for id in &named[grid] {
            worker.data(VISIT, visit_input(&global_key("Resident", *id))).await;
        }
        worker.data(VISIT, visit_input(&global_key("Resident", named[grid][0]))).await;
        if let Some(other) = not_named {
            worker.data(VISIT, visit_input(&global_key("Resident", other))).await;
        }
        let read = worker
            .data(
                "query($id: ID!) { node(id: $id) { ... on Task {
                    assignments(first: 10) { nodes { areaCode progress target state } }
                    subjects(first: 50) { totalCount nodes { subjectId gridCode visitedAt visit { id } } }
                    todo: subjects(visited: false) { totalCount } } } }",
                json!({"id": task["id"]}),
            )
            .await;
        let mine = &read["node"]["assignments"]["nodes"][0];
        assert_eq!(mine["areaCode"], grid.as_str(), "the worker sees their own assignment");
        assert_eq!(mine["progress"], 3);
        assert_eq!(mine["state"], "COMPLETED", "every one visited");
        let listed = read["node"]["subjects"]["nodes"].as_array().expect("subjects");
        assert_eq!(listed.len(), 3, "the worker sees their grid's part of the list: {read:#}");
        for subject in listed {
            assert_eq!(subject["gridCode"], grid.as_str());
            assert!(subject["visitedAt"].is_string() && subject["visit"]["id"].is_string(), "{subject}");
            assert!(named[grid].contains(&stored_key(&subject["subjectId"])));
        }
        assert_eq!(read["node"]["todo"]["totalCount"], 0);

        // The sender sees the whole round, and the roll-up counts it.
        let whole = manager
            .data(
                "query($id: ID!) { node(id: $id) { ... on Task {
                    subjects(visited: false) { totalCount }
                    progressByArea(level: COMMUNITY) { areaCode target reached completed } } } }",
                json!({"id": task["id"]}),
            )
            .await;
        assert_eq!(whole["node"]["subjects"]["totalCount"], json!(named[&grids[1]].len()));
        let community = &whole["node"]["progressByArea"][0];
        assert_eq!(community["areaCode"], COMMUNITY);
        assert_eq!(community["target"], json!(subjects.len()));
        assert_eq!(community["reached"], 3);
        assert_eq!(community["completed"], 1);

        // A department officer sees the task in its district, but not whom
        // it names: it reads no residents, nor visits.
        let officer = server.as_user("officer-market-420502").await;
        let theirs = officer
            .data(
                "query($id: ID!) { node(id: $id) { ... on Task { id subjects { totalCount } } } }",
                json!({"id": task["id"]}),
            )
            .await;
        assert_eq!(theirs["node"]["id"], task["id"], "the task is in the officer's district");
        assert_eq!(theirs["node"]["subjects"]["totalCount"], 0, "{theirs:#}");

        // Progress is counted, never typed in.
        let other = server.as_user(&format!("worker-{}", grids[1])).await;
        let theirs = assignments.iter().find(|a| a["areaCode"] == grids[1].as_str()).expect("second grid");
        let body = other
            .graphql(
                "mutation($id: ID!, $v: Int!) { reportTaskProgress(input: {id: $id, version: $v, reached: 3}) {
                    assignment { id } userErrors { field code } } }",
                json!({"id": theirs["id"], "v": theirs["version"]}),
            )
            .await;
        assert_eq!(user_error(&body), Some("INVALID"), "{body:#}");
        assert_eq!(user_error_field(&body).as_deref(), Some("input.reached"), "{body:#}");
        server
    })
    .await;
}

/// The built-in interval of each flag, in days: the rule as the README
/// states it.
const BUILT_IN: [(&str, i64); 8] = [
    ("ELDERLY_LIVING_ALONE", 7),
    ("SEVERE_MENTAL_ILLNESS", 14),
    ("COMMUNITY_CORRECTION", 30),
    ("RELEASED_FROM_PRISON", 30),
    ("LEFT_BEHIND_CHILD", 30),
    ("DISABILITY", 30),
    ("LOW_INCOME", 90),
    ("VETERAN", 90),
];

/// The manager's table: each grid of the community with its counts.
async fn roundup(manager: &Client<'_>) -> Vec<Value> {
    let data = manager
        .data(
            &format!(
                "{{ visitRoundup(level: GRID, within: \"{COMMUNITY}\") {{
                    areaCode areaName scheduled overdue grid {{ worker {{ displayName }} }} }} }}"
            ),
            json!({}),
        )
        .await;
    data["visitRoundup"].as_array().expect("rows").clone()
}

/// The people on a worker's round today.
async fn due(worker: &Client<'_>) -> Vec<i64> {
    let data = worker
        .data(
            "{ visitsDue(first: 100) { nodes { id } pageInfo { hasNextPage } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["visitsDue"]["pageInfo"]["hasNextPage"], false,
        "one page holds the round"
    );
    data["visitsDue"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|node| stored_key(&node["id"]))
        .collect()
}

#[tokio::test]
async fn the_city_sets_its_schedule_and_managers_see_it_rolled_up() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let schedule = admin.data("{ visitSchedule { careFlag days isSet } }", json!({})).await;
        let got: Vec<(String, i64)> = schedule["visitSchedule"]
            .as_array()
            .expect("schedule")
            .iter()
            .map(|row| (row["careFlag"].as_str().expect("flag").to_owned(), row["days"].as_i64().expect("days")))
            .collect();
        let built_in: Vec<(String, i64)> = BUILT_IN.iter().map(|(flag, days)| ((*flag).to_owned(), *days)).collect();
        assert_eq!(got, built_in);

        // The roll-up before anyone is visited: everyone on the schedule
        // is overdue.
        let people = residents(&server).await;
        let on_schedule = |row: &&resident::Model| row.care_flags != 0;
        let mut model: BTreeMap<String, i64> = BTreeMap::new();
        for row in people.iter().filter(on_schedule) {
            *model.entry(row.grid_code.clone()).or_default() += 1;
        }
        let manager = server.as_user(&format!("community-{COMMUNITY}")).await;
        let rows = roundup(&manager).await;
        let scheduled: BTreeMap<String, i64> = rows
            .iter()
            .map(|row| (row["areaCode"].as_str().expect("code").to_owned(), row["scheduled"].as_i64().expect("n")))
            .collect();
        assert_eq!(scheduled, model);
        // An analyst reads statistics, not the people on the schedule.
        let analyst = server.as_user("analyst").await;
        assert!(roundup(&analyst).await.is_empty());
        for row in &rows {
            assert_eq!(row["overdue"], row["scheduled"], "nobody visited yet: {row}");
            assert!(row["areaName"].is_string() && row["grid"]["worker"]["displayName"].is_string(), "{row}");
        }

        // A person living alone, visited two days ago: not due weekly, due
        // daily, not due when the city goes back to weekly.
        let alone = people
            .iter()
            .find(|row| row.care_flags & CareFlag::ElderlyLivingAlone.bit() != 0)
            .expect("someone living alone in the community");
        let worker = server.as_user(&format!("worker-{}", alone.grid_code)).await;
        let two_days_ago = (Utc::now() - Duration::days(2)).to_rfc3339();
        let mut input = visit_input(&global_key("Resident", alone.id));
        input["input"]["visitedAt"] = json!(two_days_ago);
        worker.data(VISIT, input).await;
        assert!(!due(&worker).await.contains(&alone.id), "visited within the week");
        let after = roundup(&manager).await;
        let row = after.iter().find(|row| row["areaCode"] == alone.grid_code.as_str()).expect("their grid");
        assert_eq!(row["overdue"], json!(model[&alone.grid_code] - 1), "one fewer overdue");

        let set = "mutation($days: Int, $version: Int) { setVisitInterval(input: {careFlag: ELDERLY_LIVING_ALONE, days: $days, version: $version}) {
            visitInterval { careFlag days isSet version } userErrors { field code } } }";
        let body = worker.graphql(set, json!({"days": 1})).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "a worker does not set the city's schedule: {body:#}");
        let body = admin.graphql(set, json!({"days": 0})).await;
        assert_eq!(user_error_field(&body).as_deref(), Some("input.days"), "{body:#}");
        let daily = admin.data(set, json!({"days": 1})).await;
        assert_eq!(daily["setVisitInterval"]["visitInterval"], json!({"careFlag": "ELDERLY_LIVING_ALONE", "days": 1, "isSet": true, "version": 1}));
        // Set by someone who read it before the change: stale.
        let body = admin.graphql(set, json!({"days": 2})).await;
        assert_eq!(user_error(&body), Some("CONFLICT"), "{body:#}");
        assert!(due(&worker).await.contains(&alone.id), "due daily");
        let weekly = admin.data(set, json!({"days": null, "version": 1})).await;
        assert_eq!(weekly["setVisitInterval"]["visitInterval"]["isSet"], false);
        assert_eq!(weekly["setVisitInterval"]["visitInterval"]["days"], 7);
        assert!(!due(&worker).await.contains(&alone.id), "back to weekly");
        server
    })
    .await;
}
