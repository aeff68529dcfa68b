//! The map of the city over GraphQL: areas, grids, pages, ids and bad input.

use gridgov_tests::{Client, error_code, on_each_backend};
use serde_json::{Value, json};

const DISTRICTS: &str = "query { areas(filter: {level: DISTRICT}) { totalCount edges { node { code name level parent { code } } } } }";

#[tokio::test]
async fn the_five_districts_of_yichang_are_listed() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let data = admin.data(DISTRICTS, json!({})).await;
        assert_eq!(data["areas"]["totalCount"], 5);
        let districts: Vec<(String, String)> = data["areas"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|edge| {
                assert_eq!(edge["node"]["level"], "DISTRICT");
                assert_eq!(edge["node"]["parent"], Value::Null);
                (
                    edge["node"]["code"].as_str().expect("code").to_owned(),
                    edge["node"]["name"].as_str().expect("name").to_owned(),
                )
            })
            .collect();
        assert_eq!(
            districts,
            [
                ("420502", "西陵区"),
                ("420503", "伍家岗区"),
                ("420504", "点军区"),
                ("420505", "猇亭区"),
                ("420506", "夷陵区"),
            ]
            .map(|(code, name)| (code.to_owned(), name.to_owned()))
        );
        server
    })
    .await;
}

#[tokio::test]
async fn communities_and_grids_have_the_published_counts() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let data = admin
            .data(
                "query { communities: areas(filter: {level: COMMUNITY}) { totalCount }
                         all: areas { totalCount }
                         grids { totalCount }
                         gridLevel: areas(filter: {level: GRID}) { totalCount } }",
                json!({}),
            )
            .await;
        assert_eq!(data["communities"]["totalCount"], 121);
        assert_eq!(data["grids"]["totalCount"], 1120);
        // Grids are not areas; every area is a district, street or community.
        assert_eq!(data["gridLevel"]["totalCount"], 0);
        let all = data["all"]["totalCount"].as_u64().expect("count");
        assert!(all > 5 + 121, "districts, streets and communities: {all}");
        server
    })
    .await;
}

/// Walks a whole list page by page and returns the codes in order.
async fn walk(client: &Client<'_>, field: &str, args: &str, page_size: i32) -> Vec<String> {
    let query = format!(
        "query($after: String) {{ {field}({args} first: {page_size}, after: $after) {{
            totalCount pageInfo {{ hasNextPage hasPreviousPage endCursor }}
            edges {{ cursor node {{ code }} }} }} }}"
    );
    let mut codes = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = client.data(&query, json!({"after": after})).await;
        let list = &data[field];
        let edges = list["edges"].as_array().expect("edges");
        assert!(edges.len() <= page_size as usize);
        assert_eq!(list["pageInfo"]["hasPreviousPage"], !after.is_null());
        codes.extend(
            edges
                .iter()
                .map(|e| e["node"]["code"].as_str().expect("code").to_owned()),
        );
        if list["pageInfo"]["hasNextPage"] != true {
            assert_eq!(list["totalCount"].as_u64(), Some(codes.len() as u64));
            return codes;
        }
        after = list["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn pages_cover_every_area_once_in_code_order() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let codes = walk(&admin, "areas", "", 40).await;
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted, "pages are in code order without repeats");
        let grids = walk(&admin, "grids", "filter: {within: \"420503\"},", 100).await;
        assert!(
            grids
                .iter()
                .all(|code| code.starts_with("420503") && code.len() == 15)
        );
        assert!(grids.len() > 100, "the list spans several pages");
        server
    })
    .await;
}

#[tokio::test]
async fn within_matches_on_level_boundaries_only() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let community = "420502003001";
        let codes = walk(
            &admin,
            "grids",
            &format!("filter: {{within: \"{community}\"}},"),
            100,
        )
        .await;
        let expected: Vec<String> = (1..=codes.len())
            .map(|n| format!("{community}{n:03}"))
            .collect();
        assert_eq!(codes, expected);
        assert!((9..=10).contains(&codes.len()));

        // One grid is within itself and holds nothing else, though grid 001's
        // code is a prefix of no other code and 01 would be of ten.
        let one = walk(
            &admin,
            "grids",
            "filter: {within: \"420502003001001\"},",
            100,
        )
        .await;
        assert_eq!(one, ["420502003001001"]);

        // A code of no level's width is refused, not treated as a prefix.
        let body = admin
            .graphql(
                "{ grids(filter: {within: \"42050200300101\"}) { totalCount } }",
                json!({}),
            )
            .await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"));
        assert_eq!(body["errors"][0]["extensions"]["field"], "within");
        let body = admin
            .graphql(
                "{ grids(filter: {within: \"西陵区网格\"}) { totalCount } }",
                json!({}),
            )
            .await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"));
        server
    })
    .await;
}

#[tokio::test]
async fn a_grid_knows_its_community_ancestors_and_outline() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let data = admin
            .data(
                r#"{ grid(code: "420503001002003") { id code name
                     community { code level }
                     ancestors { code level }
                     boundary } }"#,
                json!({}),
            )
            .await;
        let grid = &data["grid"];
        assert_eq!(grid["code"], "420503001002003");
        assert!(grid["name"].as_str().expect("name").ends_with("第3网格"));
        assert_eq!(
            grid["community"],
            json!({"code": "420503001002", "level": "COMMUNITY"})
        );
        assert_eq!(
            grid["ancestors"],
            json!([
                {"code": "420503", "level": "DISTRICT"},
                {"code": "420503001", "level": "STREET"},
                {"code": "420503001002", "level": "COMMUNITY"}
            ])
        );
        assert_eq!(grid["boundary"]["type"], "Polygon");
        let ring = grid["boundary"]["coordinates"][0].as_array().expect("ring");
        assert_eq!(ring.len(), 5);
        assert_eq!(ring[0], ring[4], "the ring is closed");
        server
    })
    .await;
}

#[tokio::test]
async fn children_and_grids_hang_off_an_area() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let data = admin
            .data(
                r#"{ area(code: "420505") { name level
                     children(first: 10) { totalCount edges { node { code level parent { code } } } }
                     grids(first: 1) { totalCount } } }"#,
                json!({}),
            )
            .await;
        let area = &data["area"];
        assert_eq!(area["name"], "猇亭区");
        let streets = area["children"]["edges"].as_array().expect("edges");
        assert_eq!(area["children"]["totalCount"], streets.len());
        assert!(!streets.is_empty());
        for street in streets {
            assert_eq!(street["node"]["level"], "STREET");
            assert_eq!(street["node"]["parent"]["code"], "420505");
        }
        let grids = area["grids"]["totalCount"].as_u64().expect("count");
        // 12 communities of 9 or 10 grids.
        assert!((108..=120).contains(&grids), "{grids}");
        server
    })
    .await;
}

#[tokio::test]
async fn nodes_are_fetched_by_global_id_and_unknown_ids_are_null() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let data = admin
            .data(r#"{ area(code: "420502001") { id } grid(code: "420502001001001") { id } }"#, json!({}))
            .await;
        let query = "query($id: ID!) { node(id: $id) { id __typename ... on Area { code } ... on Grid { code } } }";
        for (id, typename, code) in [
            (&data["area"]["id"], "Area", "420502001"),
            (&data["grid"]["id"], "Grid", "420502001001001"),
        ] {
            let node = admin.data(query, json!({"id": id})).await;
            assert_eq!(node["node"]["__typename"], typename);
            assert_eq!(node["node"]["code"], code);
            assert_eq!(&node["node"]["id"], id);
        }
        for unknown in ["garbage", "QXJlYTo5OTk5OTk", ""] {
            let node = admin.data(query, json!({"id": unknown})).await;
            assert_eq!(node["node"], Value::Null, "{unknown}");
        }
        let missing = admin.data(r#"{ area(code: "999999") { code } grid(code: "x") { code } }"#, json!({})).await;
        assert_eq!(missing, json!({"area": null, "grid": null}));
        server
    })
    .await;
}

#[tokio::test]
async fn nodes_come_back_in_the_order_asked_and_admin_objects_are_nodes_for_admins_only() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let ids = admin
            .data(
                r#"{ grid(code: "420502001001001") { id } departments { id code }
                    policies(first: 1) { nodes { id role } } roleAssignments(first: 1) { nodes { id role } }
                }"#,
                json!({}),
            )
            .await;
        let department = &ids["departments"][0];
        let policy = &ids["policies"]["nodes"][0];
        let assignment = &ids["roleAssignments"]["nodes"][0];
        let wanted = json!([ids["grid"]["id"], department["id"], "garbage", policy["id"], assignment["id"]]);
        let query = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
            ... on Department { code } ... on Policy { role } ... on RoleAssignment { role } } }";
        let found = admin.data(query, json!({"ids": wanted})).await;
        let kinds: Vec<Value> = found["nodes"].as_array().expect("nodes").iter().map(|n| n["__typename"].clone()).collect();
        assert_eq!(kinds, [json!("Grid"), json!("Department"), Value::Null, json!("Policy"), json!("RoleAssignment")]);
        assert_eq!(found["nodes"][1]["code"], department["code"]);
        assert_eq!(found["nodes"][3]["role"], policy["role"]);
        assert_eq!(found["nodes"][4]["role"], assignment["role"]);
        // A policy's ID does not name an assignment, and a worker sees
        // neither (as if they did not exist), but does see departments.
        let worker = server.as_user("worker-420502003001001").await;
        let seen = worker.data(query, json!({"ids": [policy["id"], assignment["id"], department["id"]]})).await;
        assert_eq!(seen["nodes"][0], Value::Null);
        assert_eq!(seen["nodes"][1], Value::Null);
        assert_eq!(seen["nodes"][2]["code"], department["code"]);
        let too_many: Vec<Value> = (0..101).map(|_| ids["grid"]["id"].clone()).collect();
        let body = admin.graphql(query, json!({"ids": too_many})).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
        server
    })
    .await;
}

#[tokio::test]
async fn bad_paging_arguments_get_clear_errors() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let body = admin
            .graphql("{ areas(first: 101) { totalCount } }", json!({}))
            .await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"));
        assert_eq!(body["errors"][0]["extensions"]["field"], "first");

        let body = admin
            .graphql("{ areas(first: -1) { totalCount } }", json!({}))
            .await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"));

        let data = admin
            .data("{ areas(first: 1) { pageInfo { endCursor } } }", json!({}))
            .await;
        let area_cursor = data["areas"]["pageInfo"]["endCursor"].clone();
        let body = admin
            .graphql(
                "query($after: String) { grids(after: $after) { totalCount } }",
                json!({"after": area_cursor}),
            )
            .await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"));
        assert_eq!(body["errors"][0]["extensions"]["field"], "after");
        server
    })
    .await;
}

#[tokio::test]
async fn overly_deep_queries_are_refused() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let mut selection = String::from("code");
        for _ in 0..14 {
            selection = format!("parent {{ {selection} }}");
        }
        let body = admin
            .graphql(
                &format!("{{ area(code: \"420502001001\") {{ {selection} }} }}"),
                json!({}),
            )
            .await;
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("nested too deep"), "{body}");
        assert!(body.get("data").is_none_or(Value::is_null));
        server
    })
    .await;
}
