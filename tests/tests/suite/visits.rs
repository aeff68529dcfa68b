//! Visits (走访): a worker records their rounds against the people and
//! places of their grids, reads them back, and the care schedule lists who
//! is due; nobody else records visits in a grid, and the lists stay inside
//! each caller's grids.

use chrono::{Duration, Utc};
use entities::resident;
use gridgov_tests::{TestServer, on_each_backend, stored_key, user_error, user_error_field};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const RECORD: &str = "mutation($input: RecordVisitInput!) { recordVisit(input: $input) {
    visit { id subjectKind subjectId gridCode kind findings nextDueOn visitorName visitedAt }
    userErrors { field message code } } }";

const DUE: &str =
    "query($flags: [CareFlag!]) { visitsDue(filter: {careFlags: $flags}, first: 100) {
    totalCount nodes { id gridCode careFlags } } }";

/// The stored residents of `grid` living alone at an old age, the rule's
/// own statement of whom the weekly round is for.
async fn living_alone(server: &TestServer, grid: &str) -> Vec<i64> {
    let db = server.db().await;
    let rows = resident::Entity::find()
        .filter(resident::Column::GridCode.eq(grid))
        .filter(resident::Column::Status.eq(resident::ResidentStatus::Active))
        .all(&db)
        .await
        .expect("residents");
    db.close().await.expect("close");
    rows.into_iter()
        .filter(|row| row.care_flags & resident::CareFlag::ElderlyLivingAlone.bit() != 0)
        .map(|row| row.id)
        .collect()
}

#[tokio::test]
async fn a_visit_is_recorded_read_back_and_takes_the_person_off_the_round() {
    on_each_backend(|server| async move {
        // The grid of the street with the most people living alone.
        let admin = server.as_user("admin").await;
        let data = admin
            .data(
                r#"{ residents(filter: {within: "420502003", careFlags: [ELDERLY_LIVING_ALONE], states: [ACTIVE]}, first: 100) { nodes { gridCode } } }"#,
                json!({}),
            )
            .await;
        let grid = data["residents"]["nodes"][0]["gridCode"]
            .as_str()
            .expect("someone living alone in the street")
            .to_owned();
        let expected = living_alone(&server, &grid).await;
        assert!(!expected.is_empty());
        let worker = server.as_user(&format!("worker-{grid}")).await;

        // Nobody has been visited yet: all of them are due, and only they
        // (their grid, their flag).
        let due = worker.data(DUE, json!({"flags": ["ELDERLY_LIVING_ALONE"]})).await;
        let mut listed: Vec<i64> = due["visitsDue"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|node| stored_key(&node["id"]))
            .collect();
        listed.sort_unstable();
        let mut wanted = expected.clone();
        wanted.sort_unstable();
        assert_eq!(listed, wanted, "the round is the people living alone in the grid");

        // A visit, and its refusals.
        let person = json!(due["visitsDue"]["nodes"][0]["id"]);
        let next = (Utc::now() + Duration::days(7)).date_naive().to_string();
        let input = |extra: Value| {
            let mut input = json!({"subjectId": person, "kind": "CARE",
                "findings": "身体尚好，家中水电正常。", "nextDueOn": next});
            for (key, value) in extra.as_object().expect("object") {
                input[key] = value.clone();
            }
            json!({"input": input})
        };
        let future = (Utc::now() + Duration::hours(2)).to_rfc3339();
        let long_ago = (Utc::now() - Duration::days(40)).to_rfc3339();
        let today = Utc::now().date_naive().to_string();
        for (extra, field, code) in [
            (json!({"findings": "  "}), "input.findings", "INVALID"),
            (json!({"visitedAt": future}), "input.visitedAt", "INVALID"),
            (json!({"visitedAt": long_ago}), "input.visitedAt", "INVALID"),
            (json!({"nextDueOn": today}), "input.nextDueOn", "INVALID"),
        ] {
            let body = worker.graphql(RECORD, input(extra)).await;
            assert_eq!(user_error(&body), Some(code), "{body:#}");
            assert_eq!(user_error_field(&body).as_deref(), Some(field), "{body:#}");
        }
        // Another grid's worker cannot record a visit to someone not theirs,
        // and is told what it would be told of nobody.
        let neighbour = format!("worker-{}", if grid.ends_with("001") { "420502003001002" } else { "420502003001001" });
        let other = server.as_user(&neighbour).await;
        let body = other.graphql(RECORD, input(json!({}))).await;
        assert_eq!(user_error(&body), Some("NOT_FOUND"), "{body:#}");
        // The community police read the record, but do not keep the rounds.
        let police = server.as_user(&format!("police-{}", &grid[..12])).await;
        let body = police.graphql(RECORD, input(json!({}))).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body:#}");

        let made = worker.data(RECORD, input(json!({}))).await;
        let visit = &made["recordVisit"]["visit"];
        assert_eq!(visit["subjectKind"], "RESIDENT");
        assert_eq!(visit["subjectId"], person);
        assert_eq!(visit["gridCode"], grid.as_str());
        assert_eq!(visit["visitorName"], format!("worker-{grid}"));
        assert_eq!(visit["nextDueOn"], next.as_str());

        // Read back, by person; the police of the community read it too.
        let mine = "query($s: ID!) { visits(filter: {subjectId: $s}) { totalCount nodes { id findings } } }";
        let read = worker.data(mine, json!({"s": person})).await;
        assert_eq!(read["visits"]["totalCount"], 1);
        assert_eq!(read["visits"]["nodes"][0]["findings"], "身体尚好，家中水电正常。");
        let read = police.data(mine, json!({"s": person})).await;
        assert_eq!(read["visits"]["totalCount"], 1);
        let read = other.data(mine, json!({"s": person})).await;
        assert_eq!(read["visits"]["totalCount"], 0, "another grid's worker reads none");

        // Off the round for a week.
        let due = worker.data(DUE, json!({"flags": ["ELDERLY_LIVING_ALONE"]})).await;
        assert_eq!(due["visitsDue"]["totalCount"], expected.len() - 1);
        assert!(
            due["visitsDue"]["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .all(|node| node["id"] != person)
        );
        // The neighbour's round holds nobody of this grid.
        let theirs = other.data(DUE, json!({"flags": null})).await;
        assert!(
            theirs["visitsDue"]["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .all(|node| node["gridCode"] != grid.as_str())
        );
        server
    })
    .await;
}
