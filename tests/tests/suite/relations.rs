//! Relations both ways (a resident's household and dwelling, a household's
//! members, a dwelling's residents and building), scoped like everything
//! else, and planned: the statements a nested page costs are fixed by the
//! query's shape, not by the page's size or the server's load.

use gridgov_tests::{Client, TestServer, on_each_backend};
use serde_json::{Value, json};

/// Seven relation levels under a page of residents.
const NESTED: &str = "query($first: Int!, $within: String!) {
  residents(first: $first, filter: {within: $within}) { edges { node {
    id name relationToHead status
    household { id number head { name relationToHead } members { nodes { id name } } dwelling { id } }
    dwelling { id room occupancy building { code name } residents { nodes { id } } }
  } } } }";

/// The same, the rows read as `nodes`.
const NESTED_AS_NODES: &str = "query($first: Int!, $within: String!) {
  residents(first: $first, filter: {within: $within}) { nodes {
    id name relationToHead status
    household { id number head { name relationToHead } members { nodes { id name } } dwelling { id } }
    dwelling { id room occupancy building { code name } residents { nodes { id } } }
  } } }";

/// Requests sent at once by `caller`: the answers, and the SQL
/// statements the server sent for all of them.
const CLIENTS: u64 = 8;

async fn at_once(
    server: &TestServer,
    caller: &Client<'_>,
    query: &str,
    first: i64,
) -> (Vec<Value>, u64) {
    let before = server.statements().await;
    let answers = futures_util::future::join_all(
        (0..CLIENTS).map(|_| caller.data(query, json!({"first": first, "within": "420502"}))),
    )
    .await;
    (answers, server.statements().await - before)
}

/// The first request of a caller computes its scopes: made once before
/// counting.
async fn warm_up(client: &Client<'_>) {
    client
        .data(NESTED, json!({"first": 1, "within": "420502"}))
        .await;
}

/// The statements `NESTED` costs the admin, level by level, whatever the
/// page's size or the server's load: the page with the rows' households
/// and their heads (read by one statement); the dwellings (the rows' and
/// their households' together) and the households' members; the
/// dwellings' buildings and occupants.
const ADMIN_LEVELS: &[&str] = &[
    "residents with their households and heads",
    "dwellings",
    "members",
    "buildings",
    "occupants",
];

/// The same for a district manager's application token that reads residents
/// and households but no dwelling: the token and its user are looked up;
/// no dwelling is in its sight, which is known without a statement, so no
/// building or occupant is left to ask for.
const NO_DWELLING_LEVELS: &[&str] = &[
    "the token",
    "its user",
    "residents with their households and heads",
    "members",
];

#[tokio::test]
async fn a_nested_page_costs_the_statements_its_shape_fixes_under_load() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let issued = admin
            .data(
                "mutation($input: IssueApiTokenInput!) { issueApiToken(input: $input) { secret } }",
                json!({"input": {"name": "households", "username": "district-420502",
                    "scopes": ["resident:read", "household:read"], "areas": ["420502"],
                    "expiresAt": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339()}}),
            )
            .await;
        let token = server.with_bearer(
            issued["issueApiToken"]["secret"]
                .as_str()
                .expect("a secret"),
        );
        let cases: [(&str, &Client<'_>, &[&str], &[&str]); 2] = [
            (
                "admin",
                &admin,
                ADMIN_LEVELS,
                &[
                    "\"head\":{",
                    "\"members\":{\"nodes\":[{",
                    "\"building\":{",
                    "\"residents\":{\"nodes\":[{",
                ],
            ),
            (
                "a token without dwelling:read",
                &token,
                NO_DWELLING_LEVELS,
                &["\"head\":{", "\"members\":{\"nodes\":[{"],
            ),
        ];
        for (who, caller, levels, shown) in cases {
            warm_up(caller).await;
            for (query, first) in [(NESTED, 5), (NESTED, 100), (NESTED_AS_NODES, 100)] {
                let (answers, sent) = at_once(&server, caller, query, first).await;
                // Every level had rows to load.
                for answer in &answers {
                    let text = answer.to_string();
                    for field in shown {
                        assert!(text.contains(field), "{who}: {field} in {text}");
                    }
                    if levels == NO_DWELLING_LEVELS {
                        assert!(!text.contains("\"dwelling\":{"), "{who}: {text}");
                    }
                }
                assert_eq!(
                    sent,
                    CLIENTS * levels.len() as u64,
                    "{who}: {CLIENTS} requests at once for {first} rows ({levels:?} each)"
                );
            }
        }
        server
    })
    .await;
}

/// What a list screen of people and their homes asks: each row's
/// household and its head, dwelling and its building.
const HOMES: &str = "query($first: Int!, $within: String!) {
  residents(first: $first, filter: {within: $within}) { nodes {
    id name household { number head { name } } dwelling { room building { code } }
  } } }";

/// The same without a filter (a page whose plan is made once).
const HOMES_UNFILTERED: &str = "query($first: Int!) {
  residents(first: $first) { nodes {
    id name household { number head { name } } dwelling { room building { code } }
  } } }";

#[tokio::test]
async fn a_page_with_its_rows_homes_is_one_statement_under_load() {
    on_each_backend(|server| async move {
        for who in ["admin", "worker-420502003001001", "police-420502003001"] {
            let caller = server.as_user(who).await;
            caller
                .data(HOMES, json!({"first": 1, "within": "420502"}))
                .await;
            for (query, first) in [
                (HOMES, 5),
                (HOMES, 100),
                (HOMES_UNFILTERED, 5),
                (HOMES_UNFILTERED, 100),
            ] {
                let (answers, sent) = at_once(&server, &caller, query, first).await;
                for answer in &answers {
                    let text = answer.to_string();
                    for field in ["\"head\":{", "\"building\":{"] {
                        assert!(text.contains(field), "{who}: {field} in {text}");
                    }
                }
                assert_eq!(
                    sent, CLIENTS,
                    "{who}: {CLIENTS} requests at once for {first} rows, one statement each"
                );
            }
        }
        server
    })
    .await;
}

#[tokio::test]
async fn relations_lead_both_ways_and_agree() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let data = admin
            .data(NESTED, json!({"first": 40, "within": "420502003"}))
            .await;
        let rows = data["residents"]["edges"].as_array().expect("edges");
        assert!(!rows.is_empty());
        let mut heads = 0;
        for row in rows {
            let resident = &row["node"];
            let household = &resident["household"];
            if resident["status"] != "ACTIVE" {
                // The dead and the moved away keep their record, not a home.
                assert!(
                    household.is_null() && resident["dwelling"].is_null(),
                    "{resident}"
                );
                continue;
            }
            let members = household["members"]["nodes"].as_array().expect("members");
            assert!(
                members.iter().any(|m| m["id"] == resident["id"]),
                "a member of their own household"
            );
            assert_eq!(household["head"]["relationToHead"], "HEAD");
            heads += usize::from(resident["relationToHead"] == "HEAD");
            if let Some(dwelling) = resident["dwelling"].as_object() {
                let occupants = dwelling["residents"]["nodes"]
                    .as_array()
                    .expect("occupants");
                assert!(
                    occupants.iter().any(|m| m["id"] == resident["id"]),
                    "lives where they live"
                );
                let building = dwelling["building"]["code"].as_str().expect("building");
                assert_eq!(building.len(), 20);
            }
        }
        assert!(heads > 0);
        server
    })
    .await;
}

#[tokio::test]
async fn relations_stop_at_the_callers_scope() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let data = admin
            .data("{ residents(first: 20, filter: {within: \"420503\"}) { edges { node { household { id } dwelling { id building { id } } } } } }", json!({}))
            .await;
        // Someone at home (not everyone on the record lives where registered).
        let node = &data["residents"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .find(|edge| edge["node"]["dwelling"].is_object() && edge["node"]["household"].is_object())
            .expect("someone at home")["node"];
        let worker = server.as_user("worker-420502003001001").await;
        for id in [&node["household"]["id"], &node["dwelling"]["id"], &node["dwelling"]["building"]["id"]] {
            assert!(id.is_string());
            let seen = worker.data("query($id: ID!) { node(id: $id) { id } }", json!({"id": id})).await;
            assert_eq!(seen["node"], Value::Null, "{id}");
            let own = admin.data("query($id: ID!) { node(id: $id) { id } }", json!({"id": id})).await;
            assert_eq!(&own["node"]["id"], id);
        }
        server
    })
    .await;
}
