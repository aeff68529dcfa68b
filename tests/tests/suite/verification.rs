//! The police's sign-off loop (签收 / 退回), driven as its users drive it:
//! the police of a community sign off and return the pending records of its
//! grids, the grid worker hears of a return at once, re-checks and
//! resubmits; every step is version-checked, on the record's timeline and in
//! the audit log, and the counts per grid are the record's own rows.
//!
//! Who may do what is stated here as the seed assigns it: `police-C` is the
//! police of community C (its grids C001…), `worker-G` the worker of grid G.

use std::collections::BTreeMap;
use std::time::Duration;

use entities::resident::{self, Verification};
use gridgov_tests::{error_code, on_each_backend, stored_key, user_error};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::{Value, json};

const ROW: &str = "id version verification returnReason viewerCanSignOff viewerCanReturn \
                   viewerCanResubmit verificationSteps { action toState reason actorName }";

const SIGN_OFF: &str =
    "mutation($id: ID!, $v: Int!) { signOffResident(input: {id: $id, version: $v}) {
    resident { id version verification } userErrors { field code } } }";
const RETURN: &str = "mutation($id: ID!, $v: Int!, $reason: String!) {
    returnResident(input: {id: $id, version: $v, reason: $reason}) {
    resident { id version verification returnReason } userErrors { field code } } }";
const RESUBMIT: &str = "mutation($id: ID!, $v: Int!) {
    resubmitResident(input: {id: $id, version: $v, note: \"已入户核实\"}) {
    resident { id version verification returnReason } userErrors { field code } } }";

/// The code a refused step answers with, a user error or a top-level one.
fn refusal(body: &Value) -> Option<String> {
    user_error(body)
        .or_else(|| error_code(body))
        .map(str::to_owned)
}

/// The records of `grid` in `state`, as `client` lists them.
async fn records(client: &gridgov_tests::Client<'_>, grid: &str, state: &str) -> Vec<Value> {
    let query = format!(
        "query($within: String!) {{ residents(filter: {{within: $within, verification: [{state}]}}, first: 100) {{ edges {{ node {{ {ROW} }} }} }} }}"
    );
    let data = client.data(&query, json!({"within": grid})).await;
    data["residents"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

async fn one(client: &gridgov_tests::Client<'_>, id: &Value) -> Value {
    let query = format!("query($id: ID!) {{ resident(id: $id) {{ {ROW} }} }}");
    client.data(&query, json!({"id": id})).await["resident"].clone()
}

/// The grid with the most records waiting (pending or returned), from the
/// database, and a community other than its own.
async fn busiest_grid(db: &sea_orm::DatabaseConnection) -> (String, String) {
    let rows: Vec<(String, Verification)> = resident::Entity::find()
        .select_only()
        .column(resident::Column::GridCode)
        .column(resident::Column::Verification)
        .into_tuple()
        .all(db)
        .await
        .expect("residents");
    let mut waiting: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (grid, state) in rows {
        let entry = waiting.entry(grid).or_default();
        match state {
            Verification::Pending => entry.0 += 1,
            Verification::Returned => entry.1 += 1,
            Verification::SignedOff => {}
        }
    }
    let grid = waiting
        .iter()
        .filter(|(_, (pending, _))| *pending >= 2)
        .max_by_key(|(_, (pending, returned))| pending + returned)
        .map(|(grid, _)| grid.clone())
        .expect("a grid with records waiting");
    let other = waiting
        .keys()
        .map(|code| code[..12].to_owned())
        .find(|community| *community != grid[..12])
        .expect("another community");
    (grid, other)
}

#[tokio::test]
async fn the_police_sign_off_and_return_and_the_worker_resubmits() {
    on_each_backend(|server| async move {
        let db = server.db().await;
        let (grid, other_community) = busiest_grid(&db).await;
        db.close().await.expect("close");
        let grid = grid.as_str();
        let community = &grid[..12];
        let police = server.as_user(&format!("police-{community}")).await;
        let other_police = server.as_user(&format!("police-{other_community}")).await;
        let worker_token = server.token_for(&format!("worker-{grid}")).await;
        let worker = server.with_bearer(&worker_token);
        let operator = server.as_user("operator").await;

        let mut pending = records(&police, grid, "PENDING").await;
        for row in &pending {
            assert_eq!(row["verification"], "PENDING");
            assert_eq!(row["viewerCanSignOff"], true, "{row}");
            assert_eq!(row["viewerCanReturn"], true, "{row}");
            assert_eq!(row["viewerCanResubmit"], false, "{row}");
        }
        let signed = pending.pop().expect("a record");
        let returned = pending.pop().expect("another");
        let as_worker = one(&worker, &signed["id"]).await;
        assert_eq!(as_worker["viewerCanSignOff"], false);
        assert_eq!(as_worker["viewerCanReturn"], false);

        // The worker hears of the grid's records as they move. Until the
        // subscription listens, one more waiting record goes round the loop
        // (returned by the police, resubmitted by the worker).
        let probe = records(&police, grid, "RETURNED")
            .await
            .pop()
            .or_else(|| pending.pop())
            .expect("a third record waiting");
        let mut live = server
            .subscribe(
                &worker_token,
                "subscription($within: String) { residentVerificationChanged(within: $within) { id verification returnReason } }",
                json!({"within": grid}),
            )
            .await;
        live.until_live(|| {
            let (police, worker, id) = (&police, &worker, probe["id"].clone());
            async move {
                let row = one(police, &id).await;
                let body = if row["verification"] == "PENDING" {
                    police
                        .graphql(RETURN, json!({"id": id, "v": row["version"], "reason": "探测"}))
                        .await
                } else {
                    worker.graphql(RESUBMIT, json!({"id": id, "v": row["version"]})).await
                };
                assert_eq!(refusal(&body), None, "{body}");
            }
        })
        .await;

        // Sign-off: only by the police of the grid, only at the version read.
        let body = worker
            .graphql(SIGN_OFF, json!({"id": signed["id"], "v": signed["version"]}))
            .await;
        assert_eq!(refusal(&body).as_deref(), Some("FORBIDDEN"), "{body}");
        let body = other_police
            .graphql(SIGN_OFF, json!({"id": signed["id"], "v": signed["version"]}))
            .await;
        assert_eq!(refusal(&body).as_deref(), Some("NOT_FOUND"), "{body}");
        let stale = signed["version"].as_i64().expect("version") - 1;
        let body = police
            .graphql(SIGN_OFF, json!({"id": signed["id"], "v": stale}))
            .await;
        assert_eq!(refusal(&body).as_deref(), Some("CONFLICT"), "{body}");
        let body = police
            .graphql(SIGN_OFF, json!({"id": signed["id"], "v": signed["version"]}))
            .await;
        let after = &body["data"]["signOffResident"]["resident"];
        assert_eq!(after["verification"], "SIGNED_OFF", "{body}");
        assert_eq!(after["version"], signed["version"].as_i64().expect("v") + 1);
        let event = live.next(Duration::from_secs(10)).await.expect("the sign-off, live");
        assert_eq!(event["residentVerificationChanged"]["id"], signed["id"]);
        let body = police
            .graphql(SIGN_OFF, json!({"id": signed["id"], "v": after["version"]}))
            .await;
        assert_eq!(refusal(&body).as_deref(), Some("INVALID_STATE"), "signed twice: {body}");

        // Return: with a reason, pushed to the worker with it.
        let body = police
            .graphql(RETURN, json!({"id": returned["id"], "v": returned["version"], "reason": "  "}))
            .await;
        assert_eq!(refusal(&body).as_deref(), Some("INVALID"), "{body}");
        let reason = "出生日期与户籍登记不一致";
        let body = police
            .graphql(RETURN, json!({"id": returned["id"], "v": returned["version"], "reason": reason}))
            .await;
        assert_eq!(body["data"]["returnResident"]["resident"]["verification"], "RETURNED", "{body}");
        let event = live.next(Duration::from_secs(10)).await.expect("the return, live");
        let heard = &event["residentVerificationChanged"];
        assert_eq!(heard["id"], returned["id"]);
        assert_eq!(heard["verification"], "RETURNED");
        assert_eq!(heard["returnReason"], reason);

        // The worker finds it among the grid's returns, with the reason; a
        // reader outside the loop sees where it stands, not why.
        let returns = records(&worker, grid, "RETURNED").await;
        let mine = returns
            .iter()
            .find(|row| row["id"] == returned["id"])
            .expect("the returned record among the worker's returns");
        assert_eq!(mine["returnReason"], reason);
        assert_eq!(mine["viewerCanResubmit"], true);
        assert!(returns.iter().all(|row| row["returnReason"].is_string()), "{returns:?}");
        let outside = one(&operator, &returned["id"]).await;
        assert_eq!(outside["verification"], "RETURNED");
        assert_eq!(outside["returnReason"], Value::Null);
        assert_eq!(outside["verificationSteps"], json!([]));

        // The worker corrects what the police found: the record stays
        // returned, with its reason, until it is resubmitted.
        let current = one(&worker, &returned["id"]).await;
        let body = worker
            .graphql(
                "mutation($id: ID!, $v: Int!) { updateResident(input: {id: $id, version: $v, name: \"核实后姓名\"}) { resident { verification returnReason } userErrors { code } } }",
                json!({"id": returned["id"], "v": current["version"]}),
            )
            .await;
        let corrected = &body["data"]["updateResident"]["resident"];
        assert_eq!(corrected["verification"], "RETURNED", "{body}");
        assert_eq!(corrected["returnReason"], reason, "{body}");

        // Resubmit: the keeper's step, not the police's.
        let current = one(&worker, &returned["id"]).await;
        let body = police
            .graphql(RESUBMIT, json!({"id": returned["id"], "v": current["version"]}))
            .await;
        assert_eq!(refusal(&body).as_deref(), Some("FORBIDDEN"), "{body}");
        let body = worker
            .graphql(RESUBMIT, json!({"id": signed["id"], "v": after["version"]}))
            .await;
        assert_eq!(refusal(&body).as_deref(), Some("INVALID_STATE"), "not returned: {body}");
        let body = worker
            .graphql(RESUBMIT, json!({"id": returned["id"], "v": current["version"]}))
            .await;
        let again = &body["data"]["resubmitResident"]["resident"];
        assert_eq!(again["verification"], "PENDING", "{body}");
        assert_eq!(again["returnReason"], Value::Null);
        let event = live.next(Duration::from_secs(10)).await.expect("the resubmission, live");
        assert_eq!(event["residentVerificationChanged"]["verification"], "PENDING");

        // The timeline, as the police read it.
        let steps = one(&police, &returned["id"]).await["verificationSteps"].clone();
        assert_eq!(
            steps,
            json!([
                {"action": "RETURN", "toState": "RETURNED", "reason": reason,
                 "actorName": format!("police-{community}")},
                {"action": "RESUBMIT", "toState": "PENDING", "reason": "已入户核实",
                 "actorName": format!("worker-{grid}")},
            ]),
            "the steps, oldest first"
        );

        // A correction of the compared name sends a signed-off record back.
        let body = worker
            .graphql(
                "mutation($id: ID!, $v: Int!) { updateResident(input: {id: $id, version: $v, name: \"更正姓名\"}) { resident { verification } userErrors { code } } }",
                json!({"id": signed["id"], "v": after["version"]}),
            )
            .await;
        assert_eq!(body["data"]["updateResident"]["resident"]["verification"], "PENDING", "{body}");
        let steps = one(&police, &signed["id"]).await["verificationSteps"].clone();
        let actions: Vec<&str> = steps
            .as_array()
            .expect("steps")
            .iter()
            .filter_map(|step| step["action"].as_str())
            .collect();
        assert_eq!(actions, ["SIGN_OFF", "CORRECTED"]);

        // The audit log names each step.
        let auditor = server.as_user("auditor").await;
        let log = auditor
            .data(
                "query($id: Int) { auditLog(filter: {objectKind: \"resident\", objectId: $id}, first: 20) { nodes { action actor { username } } } }",
                json!({"id": stored_key(&returned["id"])}),
            )
            .await;
        let actions: Vec<(String, String)> = log["auditLog"]["nodes"]
            .as_array()
            .expect("entries")
            .iter()
            .filter(|entry| entry["action"].as_str().is_some_and(|a| a != "resident.read_unmasked"))
            .map(|entry| {
                (
                    entry["action"].as_str().unwrap_or_default().to_owned(),
                    entry["actor"]["username"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        assert!(
            actions.starts_with(&[
                ("resident.resubmit".to_owned(), format!("worker-{grid}")),
                ("resident.update".to_owned(), format!("worker-{grid}")),
                ("resident.return".to_owned(), format!("police-{community}")),
            ]),
            "newest first: {actions:?}"
        );
        server
    })
    .await;
}

/// Grid → (pending, returned, signed off).
type Counts = BTreeMap<String, (i64, i64, i64)>;

/// The counts of each grid of `prefix`, straight from the database: grid →
/// (pending, returned, signed off).
async fn stored_counts(db: &sea_orm::DatabaseConnection, prefix: &str) -> Counts {
    let rows: Vec<(String, Verification)> = resident::Entity::find()
        .select_only()
        .column(resident::Column::GridCode)
        .column(resident::Column::Verification)
        .filter(resident::Column::GridCode.starts_with(prefix))
        .into_tuple()
        .all(db)
        .await
        .expect("residents");
    let mut counts = Counts::new();
    for (grid, state) in rows {
        let entry = counts.entry(grid).or_default();
        match state {
            Verification::Pending => entry.0 += 1,
            Verification::Returned => entry.1 += 1,
            Verification::SignedOff => entry.2 += 1,
        }
    }
    counts
}

fn served_counts(data: &Value) -> Counts {
    data["verificationCounts"]
        .as_array()
        .expect("counts")
        .iter()
        .map(|grid| {
            (
                grid["gridCode"].as_str().expect("code").to_owned(),
                (
                    grid["pending"].as_i64().expect("pending"),
                    grid["returned"].as_i64().expect("returned"),
                    grid["signedOff"].as_i64().expect("signed off"),
                ),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_counts_per_grid_are_the_records_each_caller_sees() {
    on_each_backend(|server| async move {
        let db = server.db().await;
        let (busiest, other_community) = busiest_grid(&db).await;
        let (grid_code, community_code) = (busiest.as_str(), &busiest[..12]);
        let community = stored_counts(&db, community_code).await;
        let grid = stored_counts(&db, grid_code).await;
        let city = stored_counts(&db, "").await;
        db.close().await.expect("close");
        assert!(community.len() > 1, "the community has grids: {community:?}");

        const COUNTS: &str = "query($within: String) { verificationCounts(within: $within) { gridCode pending returned signedOff } }";
        // (caller, within, what they see), as the seed assigns them.
        let police = format!("police-{community_code}");
        let worker = format!("worker-{grid_code}");
        let cases: [(&str, Option<&str>, &Counts); 5] = [
            (&police, None, &community),
            (&police, Some(grid_code), &grid),
            (&worker, None, &grid),
            ("admin", None, &city),
            ("admin", Some(community_code), &community),
        ];
        for (username, within, expected) in cases {
            let client = server.as_user(username).await;
            let data = client.data(COUNTS, json!({"within": within})).await;
            assert_eq!(&served_counts(&data), expected, "{username} within {within:?}");
        }
        // Someone who reads no residents counts none.
        let market = server.as_user("officer-market-420502").await;
        let data = market.data(COUNTS, json!({})).await;
        assert_eq!(served_counts(&data), BTreeMap::new());
        // Out of another community's sight: nothing, not an error.
        let police = server.as_user(&format!("police-{other_community}")).await;
        let data = police.data(COUNTS, json!({"within": grid_code})).await;
        assert_eq!(served_counts(&data), BTreeMap::new());
        server
    })
    .await;
}
