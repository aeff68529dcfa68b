//! The screen's open cases by light, for an area and each area inside it:
//! the same counts as the stored cases give by the light's rule written
//! here, and nothing for a caller who may not read cases.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entities::case::{self, CaseState};
use gridgov_tests::{TestServer, on_each_backend};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const STREET: &str = "420502003";

/// (open, green, yellow, red) by community, from the stored cases.
async fn model(server: &TestServer, now: DateTime<Utc>) -> BTreeMap<String, [i64; 4]> {
    let open = [
        CaseState::Reported,
        CaseState::Verified,
        CaseState::Filed,
        CaseState::Dispatched,
        CaseState::InProgress,
        CaseState::Suspended,
        CaseState::Handled,
        CaseState::Checked,
    ];
    let db = server.db().await;
    let rows = case::Entity::find()
        .filter(case::Column::GridCode.starts_with(STREET))
        .filter(case::Column::State.is_in(open))
        .all(&db)
        .await
        .expect("cases");
    db.close().await.expect("close");
    let mut counts: BTreeMap<String, [i64; 4]> = BTreeMap::new();
    for row in rows {
        let entry = counts.entry(row.grid_code[..12].to_owned()).or_default();
        entry[0] += 1;
        // The clock stops while a case is suspended.
        let at = row.suspended_at.unwrap_or(now);
        if let Some(deadline) = row.deadline_at {
            if at >= deadline {
                entry[3] += 1;
            } else if row.yellow_at.is_some_and(|yellow| at >= yellow) {
                entry[2] += 1;
            } else {
                entry[1] += 1;
            }
        }
    }
    counts
}

fn lights(value: &Value) -> [i64; 4] {
    ["open", "green", "yellow", "red"].map(|key| value[key].as_i64().expect("a count"))
}

#[tokio::test]
async fn the_screen_counts_open_cases_by_light_as_the_rule_says() {
    on_each_backend(|server| async move {
        let operator = server.as_user("operator").await;
        // A light may change while the request runs: the screen matches the
        // rule as it stood just before or just after.
        let before = model(&server, Utc::now()).await;
        let data = operator
            .data(
                "query($area: String) { statistics(area: $area) {
                    openCases { open green yellow red }
                    children { area openCases { open green yellow red } } } }",
                json!({"area": STREET}),
            )
            .await;
        let stats = &data["statistics"];
        let mut got = BTreeMap::new();
        for child in stats["children"].as_array().expect("children") {
            let counts = lights(&child["openCases"]);
            if counts[0] > 0 {
                got.insert(child["area"].as_str().expect("code").to_owned(), counts);
            }
        }
        let after = model(&server, Utc::now()).await;
        assert!(got == before || got == after, "{got:?} is neither {before:?} nor {after:?}");
        let expected = if got == before { before } else { after };
        let total = expected.values().fold([0; 4], |mut sum, counts| {
            for (s, c) in sum.iter_mut().zip(counts) {
                *s += c;
            }
            sum
        });
        assert!(
            total[3] > 0 && total[1] > 0,
            "red and green cases in the street: {total:?}"
        );
        assert_eq!(lights(&stats["openCases"]), total);

        // Each caller's counts are those of the cases it may list: the
        // list and the screen agree, whoever asks (a worker in their grid,
        // a community manager in theirs).
        for (who, area) in [
            ("worker-420502003001001", "420502003001001"),
            ("community-420502003001", "420502003001"),
        ] {
            let client = server.as_user(who).await;
            let screen = client
                .data(
                    "query($area: String) { statistics(area: $area) { openCases { open green yellow red } } }",
                    json!({"area": area}),
                )
                .await;
            let listed = client
                .data(
                    "query($w: String) {
                        open: cases(filter: {within: $w, states: [REPORTED, VERIFIED, FILED, DISPATCHED, IN_PROGRESS, SUSPENDED, HANDLED, CHECKED]}) { totalCount }
                        green: cases(filter: {within: $w, light: GREEN}) { totalCount }
                        yellow: cases(filter: {within: $w, light: YELLOW}) { totalCount }
                        red: cases(filter: {within: $w, light: RED}) { totalCount } }",
                    json!({"w": area}),
                )
                .await;
            let from_list = ["open", "green", "yellow", "red"]
                .map(|key| listed[key]["totalCount"].as_i64().expect("a count"));
            assert_eq!(lights(&screen["statistics"]["openCases"]), from_list, "{who}");
            assert!(from_list[0] > 0, "{who} has open cases to count");
        }

        // An analyst sees the statistics, not the cases.
        let analyst = server.as_user("analyst").await;
        let data = analyst
            .data(
                "query($area: String) { statistics(area: $area) { residents openCases { open } } }",
                json!({"area": STREET}),
            )
            .await;
        assert_eq!(data["statistics"]["openCases"], Value::Null);
        server
    })
    .await;
}
