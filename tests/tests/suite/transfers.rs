//! Moving within the city (迁出 / 迁入): the old grid's worker records the
//! move out, the new grid's worker takes the person in; neither has rights
//! in the other's grid, and each sees only their half.

use chrono::{NaiveDate, Utc};
use entities::audit_log;
use gridgov::domain::id_number::IdNumber;
use gridgov_tests::{Client, TestServer, on_each_backend, user_error, user_error_field};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

const OLD: &str = "420502003001001";
const NEW: &str = "420502003001002";
const ELSEWHERE: &str = "420502003002001";

const MOVE_OUT: &str = "mutation($input: RecordMoveOutInput!) { recordMoveOut(input: $input) {
    transfer { id state version toGridCode destination resident { status gridCode version dwelling { id } } }
    userErrors { field message code } } }";

const TAKE_IN: &str = "mutation($input: TakeInArrivalInput!) { takeInArrival(input: $input) {
    transfer { id state version arrivedOn resident { id status gridCode verification note version dwelling { id } } }
    userErrors { field message code } } }";

const LIST: &str = "query($list: Boolean!) {
    arrivals(first: 100) @include(if: $list) { nodes { id name idNumber state version fromGridCode resident { id } } }
    departures(first: 100) @skip(if: $list) { nodes { id name state toGridCode resident { id } } } }";

fn first_node(data: &Value, list: &str) -> Vec<Value> {
    data[list]["nodes"].as_array().cloned().unwrap_or_default()
}

async fn first_id(client: &Client<'_>, list: &str, grid: &str) -> String {
    let data = client
        .data(
            &format!("query($g: String) {{ {list}(filter: {{within: $g}}, first: 1) {{ nodes {{ id }} }} }}"),
            json!({"g": grid}),
        )
        .await;
    data[list]["nodes"][0]["id"]
        .as_str()
        .expect("a row")
        .to_owned()
}

async fn audit_count(server: &TestServer, action: &str) -> u64 {
    let db = server.db().await;
    let count = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .count(&db)
        .await
        .expect("count");
    db.close().await.expect("close");
    count
}

/// A tenant living alone in a rented flat of the old grid.
async fn a_tenant_alone(old: &Client<'_>) -> (Value, String) {
    let building = first_id(old, "buildings", OLD).await;
    let flat = old
        .data(
            "mutation($input: CreateDwellingInput!) { createDwelling(input: $input) { dwelling { id }
                userErrors { field message code } } }",
            json!({"input": {"buildingId": building, "floor": 1, "room": "108", "occupancy": "RENTED",
                "lessorName": "房东", "lessorPhone": "13900001234"}}),
        )
        .await["createDwelling"]["dwelling"]["id"]
        .as_str()
        .expect("a flat")
        .to_owned();
    let birth = NaiveDate::from_ymd_opt(1993, 3, 8).expect("a date");
    let tenant = old
        .data(
            "mutation($input: RegisterResidentInput!) { registerResident(input: $input) {
                resident { id version } userErrors { field message code } } }",
            json!({"input": {"idNumber": IdNumber::compose("420502", birth, 377), "name": "刘小红",
                "populationType": "FLOATING", "dwellingId": flat, "note": "房东说她常夜班"}}),
        )
        .await["registerResident"]["resident"]
        .clone();
    (tenant, flat)
}

#[tokio::test]
async fn a_move_within_the_city_is_recorded_by_one_worker_and_taken_in_by_the_other() {
    on_each_backend(|server| async move {
        let old = server.as_user(&format!("worker-{OLD}")).await;
        let new = server.as_user(&format!("worker-{NEW}")).await;
        let elsewhere = server.as_user(&format!("worker-{ELSEWHERE}")).await;
        let (tenant, flat) = a_tenant_alone(&old).await;
        let today = Utc::now().date_naive().to_string();
        let input = |extra: Value| {
            let mut input = json!({"id": tenant["id"], "version": tenant["version"], "date": today});
            for (key, value) in extra.as_object().expect("object") {
                input[key] = value.clone();
            }
            json!({"input": input})
        };

        // Refused, each naming its field.
        for (extra, field, code) in [
            (json!({}), "input.toGridCode", "REQUIRED"),
            (json!({"toGridCode": OLD}), "input.toGridCode", "INVALID"),
            (json!({"toGridCode": "420502003001999"}), "input.toGridCode", "NOT_FOUND"),
            (json!({"toGridCode": NEW, "destination": "广州"}), "input.destination", "INVALID"),
        ] {
            let body = old.graphql(MOVE_OUT, input(extra)).await;
            assert_eq!(user_error(&body), Some(code), "{body:#}");
            assert_eq!(user_error_field(&body).as_deref(), Some(field), "{body:#}");
        }
        // The new grid's worker can neither see nor move the tenant.
        let body = new.graphql(MOVE_OUT, input(json!({"toGridCode": NEW}))).await;
        assert_eq!(user_error(&body), Some("NOT_FOUND"), "{body:#}");

        // 迁出: the old grid's worker records the move.
        let moved = old.data(MOVE_OUT, input(json!({"toGridCode": NEW}))).await;
        let transfer = moved["recordMoveOut"]["transfer"].clone();
        assert_eq!(transfer["state"], "ON_THE_WAY");
        assert_eq!(transfer["resident"]["status"], "MOVED_OUT");
        assert_eq!(transfer["resident"]["gridCode"], OLD);
        assert!(transfer["resident"]["dwelling"].is_null(), "no longer in the flat");
        let flat_now = old
            .data(
                "query($id: ID!) { node(id: $id) { ... on Dwelling { occupancy lessorPhone residents { totalCount } } } }",
                json!({"id": flat}),
            )
            .await;
        assert_eq!(flat_now["node"]["occupancy"], "VACANT", "nobody lives there now");
        assert_eq!(flat_now["node"]["residents"]["totalCount"], 0);
        assert!(flat_now["node"]["lessorPhone"].is_null());

        // Each side sees its half.
        let leaving = first_node(&old.data(LIST, json!({"list": false})).await, "departures");
        let seen_off = leaving.iter().find(|t| t["id"] == transfer["id"]).expect("a departure");
        assert_eq!(seen_off["toGridCode"], NEW);
        let arriving = first_node(&new.data(LIST, json!({"list": true})).await, "arrivals");
        let arrival = arriving
            .iter()
            .find(|t| t["id"] == transfer["id"])
            .expect("the arrival")
            .clone();
        assert_eq!(arrival["name"], "刘小红");
        assert_eq!(arrival["fromGridCode"], OLD);
        assert!(
            arrival["idNumber"].as_str().is_some_and(|n| n.starts_with("*****")),
            "the worker's own policy: masked: {arrival}"
        );
        assert!(arrival["resident"].is_null(), "not in the new grid's record yet");
        let unrelated = first_node(&elsewhere.data(LIST, json!({"list": true})).await, "arrivals");
        assert!(unrelated.iter().all(|t| t["id"] != transfer["id"]));
        let peek = elsewhere
            .data("query($id: ID!) { node(id: $id) { id } }", json!({"id": transfer["id"]}))
            .await;
        assert!(peek["node"].is_null());

        // Only the new grid's worker takes them in, at the version read.
        let take_in = |version: &Value, dwelling: &str| {
            json!({"input": {"id": transfer["id"], "version": version, "dwellingId": dwelling}})
        };
        let new_flat = first_id(&new, "dwellings", NEW).await;
        let body = old.graphql(TAKE_IN, take_in(&arrival["version"], &new_flat)).await;
        assert_eq!(user_error(&body), Some("NOT_FOUND"), "{body:#}");
        let body = new.graphql(TAKE_IN, take_in(&json!(99), &new_flat)).await;
        assert_eq!(user_error(&body), Some("CONFLICT"), "{body:#}");
        let body = new.graphql(TAKE_IN, take_in(&arrival["version"], &flat)).await;
        assert_eq!(user_error_field(&body).as_deref(), Some("input.dwellingId"), "{body:#}");

        // 迁入.
        let taken = new.data(TAKE_IN, take_in(&arrival["version"], &new_flat)).await;
        let arrived = &taken["takeInArrival"]["transfer"];
        assert_eq!(arrived["state"], "ARRIVED");
        assert_eq!(arrived["arrivedOn"], today.as_str());
        assert_eq!(arrived["resident"]["status"], "ACTIVE");
        assert_eq!(arrived["resident"]["gridCode"], NEW);
        assert_eq!(arrived["resident"]["verification"], "PENDING");
        assert_eq!(arrived["resident"]["dwelling"]["id"], new_flat.as_str());
        assert!(arrived["resident"]["note"].is_null(), "the old grid's note stays there");
        let body = new.graphql(TAKE_IN, take_in(&arrived["version"], &new_flat)).await;
        assert_eq!(user_error(&body), Some("INVALID_STATE"), "{body:#}");

        // A correction in the new grid does not reach the old one through
        // the move: each side sees the person as they moved.
        new.data(
            "mutation($id: ID!, $v: Int!) { updateResident(input: {id: $id, version: $v, name: \"刘晓红\"}) {
                resident { name } userErrors { field message code } } }",
            json!({"id": arrived["resident"]["id"], "v": arrived["resident"]["version"]}),
        )
        .await;

        // The old grid keeps its half: the departure, not the person.
        let gone = old
            .data("query($id: ID!) { node(id: $id) { id } }", json!({"id": tenant["id"]}))
            .await;
        assert!(gone["node"].is_null(), "the person is the new grid's now");
        let leaving = first_node(&old.data(LIST, json!({"list": false})).await, "departures");
        let seen_off = leaving.iter().find(|t| t["id"] == transfer["id"]).expect("a departure");
        assert_eq!(seen_off["state"], "ARRIVED");
        assert_eq!(seen_off["name"], "刘小红", "the old grid never learns the correction");
        assert!(seen_off["resident"].is_null());

        assert_eq!(audit_count(&server, "resident.move_out").await, 1);
        assert_eq!(audit_count(&server, "resident.move_in").await, 1);
        server
    })
    .await;
}

#[tokio::test]
async fn a_move_out_of_the_city_waits_for_nobody() {
    on_each_backend(|server| async move {
        let old = server.as_user(&format!("worker-{OLD}")).await;
        let (tenant, _) = a_tenant_alone(&old).await;
        let today = Utc::now().date_naive().to_string();
        let moved = old
            .data(
                MOVE_OUT,
                json!({"input": {"id": tenant["id"], "version": tenant["version"], "date": today,
                    "destination": "广东省广州市天河区"}}),
            )
            .await;
        let transfer = &moved["recordMoveOut"]["transfer"];
        assert_eq!(transfer["state"], "LEFT_CITY");
        assert_eq!(transfer["destination"], "广东省广州市天河区");
        assert!(transfer["toGridCode"].is_null());
        // Nobody in the city finds them among the arrivals.
        let admin = server.as_user("admin").await;
        let arrivals = first_node(&admin.data(LIST, json!({"list": true})).await, "arrivals");
        assert!(arrivals.iter().all(|t| t["id"] != transfer["id"]));
        server
    })
    .await;
}
