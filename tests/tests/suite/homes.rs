//! Households, dwellings, buildings and organisations as lists: cut to the
//! caller's scope, filtered by colour and licence state, counts that match
//! what is stored.

use chrono::Utc;
use entities::{dwelling, household, organisation};
use gridgov_tests::{TestServer, on_each_backend};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

async fn total(client: &gridgov_tests::Client<'_>, query: &str) -> u64 {
    let data = client.data(query, json!({})).await;
    let list = data
        .as_object()
        .and_then(|o| o.values().next())
        .expect("one list");
    list["totalCount"].as_u64().expect("a count")
}

async fn db(server: &TestServer) -> sea_orm::DatabaseConnection {
    server.db().await
}

#[tokio::test]
async fn a_worker_sees_the_dwelling_table_of_their_grid_by_colour() {
    on_each_backend(|server| async move {
        let grid = "420502003001001";
        let db = db(&server).await;
        let stored = dwelling::Entity::find()
            .filter(dwelling::Column::GridCode.eq(grid))
            .all(&db)
            .await
            .expect("dwellings");
        let households = household::Entity::find()
            .filter(household::Column::GridCode.eq(grid))
            .all(&db)
            .await
            .expect("households");
        db.close().await.expect("close");
        let worker = server.as_user(&format!("worker-{grid}")).await;
        let mut sum = 0;
        for (colour, occupancy) in [
            ("OWNER_OCCUPIED", dwelling::Occupancy::OwnerOccupied),
            ("RENTED", dwelling::Occupancy::Rented),
            ("OFFICE", dwelling::Occupancy::Office),
            ("VACANT", dwelling::Occupancy::Vacant),
        ] {
            let seen = total(
                &worker,
                &format!("{{ dwellings(filter: {{occupancy: {colour}}}) {{ totalCount }} }}"),
            )
            .await;
            let expected = stored.iter().filter(|d| d.occupancy == occupancy).count() as u64;
            assert_eq!(seen, expected, "{colour}");
            sum += seen;
        }
        assert_eq!(sum, stored.len() as u64);
        assert_eq!(
            total(&worker, "{ households { totalCount } }").await,
            households.len() as u64
        );
        let data = worker
            .data("{ buildings { edges { node { gridCode } } } }", json!({}))
            .await;
        let buildings = data["buildings"]["edges"].as_array().expect("edges");
        assert!(!buildings.is_empty());
        assert!(buildings.iter().all(|b| b["node"]["gridCode"] == grid));
        assert_eq!(
            total(
                &worker,
                "{ dwellings(filter: {within: \"420503\"}) { totalCount } }"
            )
            .await,
            0
        );
        server
    })
    .await;
}

#[tokio::test]
async fn organisations_by_licence_state_match_the_register() {
    on_each_backend(|server| async move {
        let db = db(&server).await;
        let stored = organisation::Entity::find()
            .filter(organisation::Column::GridCode.starts_with("420502"))
            .all(&db)
            .await
            .expect("organisations");
        db.close().await.expect("close");
        let today = Utc::now().date_naive();
        let none = stored.iter().filter(|o| o.licence_number.is_none()).count() as u64;
        let expired = stored
            .iter()
            .filter(|o| o.licence_number.is_some() && o.licence_expires_on.is_some_and(|d| d < today))
            .count() as u64;
        let valid = stored.len() as u64 - none - expired;
        let admin = server.as_user("admin").await;
        let count = |state: &str| format!("{{ organisations(filter: {{within: \"420502\", licence: {state}}}) {{ totalCount }} }}");
        assert_eq!(total(&admin, &count("NONE")).await, none);
        assert_eq!(total(&admin, &count("EXPIRED")).await, expired);
        assert_eq!(total(&admin, &count("VALID")).await, valid);
        let data = admin
            .data("{ organisations(filter: {within: \"420502\", licence: EXPIRED}, first: 5) { edges { node { id licenceState licenceExpiresOn } } } }", json!({}))
            .await;
        for edge in data["organisations"]["edges"].as_array().expect("edges") {
            assert_eq!(edge["node"]["licenceState"], "EXPIRED");
            let id = &edge["node"]["id"];
            let node = admin.data("query($id: ID!) { node(id: $id) { id } }", json!({"id": id})).await;
            assert_eq!(&node["node"]["id"], id);
        }
        // Analysts get statistics, not registers.
        let analyst = server.as_user("analyst").await;
        assert_eq!(total(&analyst, "{ organisations { totalCount } }").await, 0);
        server
    })
    .await;
}

/// Every value of `field` a list gives, walking its pages in `order`; the
/// same list walked back from its end must give the same values.
async fn walk_values(
    client: &gridgov_tests::Client<'_>,
    list: &str,
    order_type: &str,
    order: serde_json::Value,
    field: &str,
) -> Vec<String> {
    let page = |args: &str| {
        format!(
            "query($order: {order_type}, $cursor: String) {{ {list}(filter: {{within: \"420502003\"}}, orderBy: $order, {args}) {{
                pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} edges {{ node {{ {field} }} }} }} }}"
        )
    };
    let order = &order;
    let walk = |query: String, backward: bool| async move {
        let (more, cursor) = if backward {
            ("hasPreviousPage", "startCursor")
        } else {
            ("hasNextPage", "endCursor")
        };
        let mut pages: Vec<Vec<String>> = Vec::new();
        let mut at = serde_json::Value::Null;
        loop {
            let data = client
                .data(&query, json!({"order": order, "cursor": at}))
                .await;
            let values = data[list]["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|edge| edge["node"][field].as_str().expect("a text").to_owned())
                .collect();
            pages.push(values);
            if data[list]["pageInfo"][more] != true {
                if backward {
                    pages.reverse();
                }
                return pages.concat();
            }
            at = data[list]["pageInfo"][cursor].clone();
        }
    };
    let forward = walk(page("first: 40, after: $cursor"), false).await;
    let backward = walk(page("last: 40, before: $cursor"), true).await;
    assert_eq!(
        forward, backward,
        "{list} {order}: backward gives what forward gives"
    );
    forward
}

#[tokio::test]
async fn households_buildings_and_organisations_walk_in_the_order_asked_for() {
    on_each_backend(|server| async move {
        use sea_orm::QueryOrder;
        let db = db(&server).await;
        let street = "420502003";
        let numbers: Vec<String> = household::Entity::find()
            .filter(household::Column::GridCode.starts_with(street))
            .order_by_desc(household::Column::Number)
            .order_by_desc(household::Column::Id)
            .all(&db)
            .await
            .expect("households")
            .into_iter()
            .map(|h| h.number)
            .collect();
        let names: Vec<String> = organisation::Entity::find()
            .filter(organisation::Column::GridCode.starts_with(street))
            .order_by_asc(organisation::Column::Name)
            .order_by_asc(organisation::Column::Id)
            .all(&db)
            .await
            .expect("organisations")
            .into_iter()
            .map(|o| o.name)
            .collect();
        let codes: Vec<String> = entities::building::Entity::find()
            .filter(entities::building::Column::GridCode.starts_with(street))
            .order_by_asc(entities::building::Column::Code)
            .order_by_asc(entities::building::Column::Id)
            .all(&db)
            .await
            .expect("buildings")
            .into_iter()
            .map(|b| b.code)
            .collect();
        db.close().await.expect("close");
        assert!(numbers.len() > 40 && names.len() > 1 && codes.len() > 1);
        let admin = server.as_user("admin").await;
        assert_eq!(
            walk_values(
                &admin,
                "households",
                "HouseholdOrder",
                json!({"field": "NUMBER", "direction": "DESC"}),
                "number"
            )
            .await,
            numbers
        );
        assert_eq!(
            walk_values(
                &admin,
                "organisations",
                "OrganisationOrder",
                json!({"field": "NAME", "direction": "ASC"}),
                "name"
            )
            .await,
            names
        );
        assert_eq!(
            walk_values(
                &admin,
                "buildings",
                "BuildingOrder",
                json!({"field": "CODE", "direction": "ASC"}),
                "code"
            )
            .await,
            codes
        );
        server
    })
    .await;
}

#[tokio::test]
async fn creators_in_one_grid_at_once_all_get_a_number() {
    gridgov_tests::on_each_backend(|server| async move {
        let grid = "420502003001001";
        let worker = server.as_user(&format!("worker-{grid}")).await;
        let buildings = (0..6).map(|n| {
            worker.graphql(
                "mutation($input: CreateBuildingInput!) { createBuilding(input: $input) { building { code } userErrors { field message code } } }",
                serde_json::json!({"input": {"gridCode": grid, "name": format!("新楼{n}"), "address": "x", "floors": 6}}),
            )
        });
        let households = (0..6).map(|_| {
            worker.graphql(
                "mutation($input: CreateHouseholdInput!) { createHousehold(input: $input) { household { number } userErrors { field message code } } }",
                serde_json::json!({"input": {"gridCode": grid, "address": "x"}}),
            )
        });
        let (buildings, households) = tokio::join!(
            futures_util::future::join_all(buildings),
            futures_util::future::join_all(households)
        );
        for (list, field, object, key) in [
            (buildings, "createBuilding", "building", "code"),
            (households, "createHousehold", "household", "number"),
        ] {
            let mut codes = std::collections::BTreeSet::new();
            for body in &list {
                assert!(body.get("errors").is_none(), "[{:?}] {field}: {body}", server.backend);
                assert_eq!(body["data"][field]["userErrors"], json!([]), "{field}: {body}");
                codes.insert(body["data"][field][object][key].as_str().expect("a code").to_owned());
            }
            assert_eq!(codes.len(), list.len(), "{field}: every creator its own number");
        }
        server
    })
    .await;
}
