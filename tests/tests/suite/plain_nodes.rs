//! A page's nodes (and its edges) are answered in one pass when every
//! field asked of them is plain, and through async-graphql field by field
//! otherwise (an inline fragment is never plain). Both must answer alike: every field without
//! arguments of a resident, and of the household, head, dwelling and
//! building reached from one, is asked both ways by callers who see ID
//! numbers and phones in full, masked and not at all. The one-pass path
//! must really be taken (the metrics count it), leave the same audit rows
//! of full reads, and send as many statements as the general path.

use entities::audit_log;
use gridgov_tests::{Client, TestServer, on_each_backend};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

const COMMUNITY: &str = "420502003001";
const GRID: &str = "420502003001001";

/// What the ladder and a list screen ask of a page: answered in one pass.
const ONE_PASS: &str = "id name sex birthDate gridCode age idNumber phone populationType \
     status verification version updatedAt __typename alias: name \
     household { __typename number address kind head { name idNumber } dwelling { room } } \
     dwelling { room floor lessorPhone building { code name floors } }";

/// The fields of `type` that take no arguments, each with what to select
/// under it (empty for a scalar or an enum; its scalar fields for an
/// object, which is then asked one of them at a time).
async fn fields_of(client: &Client<'_>, type_name: &str) -> Vec<(String, String)> {
    let data = client
        .data(
            "query($t: String!) { __type(name: $t) { fields { name args { name } \
             type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }",
            json!({"t": type_name}),
        )
        .await;
    let mut fields = Vec::new();
    for field in data["__type"]["fields"].as_array().expect("fields") {
        if !field["args"].as_array().expect("args").is_empty() {
            continue;
        }
        let mut ty = &field["type"];
        while ty["kind"] == "NON_NULL" || ty["kind"] == "LIST" {
            ty = &ty["ofType"];
        }
        let name = field["name"].as_str().expect("name").to_owned();
        match ty["kind"].as_str() {
            Some("SCALAR" | "ENUM") => fields.push((name, String::new())),
            Some("OBJECT") => fields.push((name, ty["name"].as_str().expect("type").to_owned())),
            _ => {}
        }
    }
    fields
}

/// Every selection of one scalar field, reached from a resident through at
/// most `depth` relations of the types the one-pass path follows.
async fn selections(client: &Client<'_>) -> Vec<String> {
    let followed = ["Resident", "Household", "Dwelling", "Building"];
    let mut out = Vec::new();
    // (type, prefix, suffix)
    let mut frontier = vec![("Resident".to_owned(), String::new(), String::new())];
    for _depth in 0..3 {
        let mut next = Vec::new();
        for (ty, open, close) in frontier {
            for (field, target) in fields_of(client, &ty).await {
                if target.is_empty() {
                    out.push(format!("{open}{field}{close}"));
                } else if followed.contains(&target.as_str()) {
                    next.push((target, format!("{open}{field} {{ "), format!(" }}{close}")));
                }
            }
        }
        frontier = next;
    }
    out
}

fn page(selection: &str) -> String {
    format!(
        "query($c: String) {{ residents(first: 40, filter: {{within: $c}}) {{ nodes {{ {selection} }} }} }}"
    )
}

fn fragment(selection: &str) -> String {
    page(&format!("... on Resident {{ {selection} }}"))
}

/// Asserts two answers alike, naming the first node that differs.
fn alike(fast: &Value, general: &Value, what: &str) {
    if fast == general {
        return;
    }
    let nodes = |answer: &Value| answer.pointer("/data/residents/nodes").cloned();
    let at = match (nodes(fast), nodes(general)) {
        (Some(Value::Array(a)), Some(Value::Array(b))) => a
            .iter()
            .zip(&b)
            .find(|(a, b)| a != b)
            .map(|(a, b)| format!("first differing node: {a} against {b}")),
        _ => None,
    };
    let shown = |answer: &Value| answer.to_string().chars().take(600).collect::<String>();
    panic!(
        "{what}: the answers differ; {}",
        at.unwrap_or_else(|| format!("{} against {}", shown(fast), shown(general)))
    );
}

async fn one_pass_lists(server: &TestServer) -> u64 {
    let metrics = server.metrics().await;
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("gridgov_graphql_plain_lists_total "))
        .and_then(|count| count.trim().parse().ok())
        .expect("gridgov_graphql_plain_lists_total in /metrics")
}

/// Sends `query` as `client`: its answer, the statements it cost, and the
/// details of the full-read audit rows it left (of residents and of
/// dwellings' lessor phones), read through `db`.
async fn sent(
    server: &TestServer,
    db: &DatabaseConnection,
    client: &Client<'_>,
    caller: &str,
    query: &str,
    variables: &Value,
) -> (Value, u64, Vec<Value>) {
    let full_reads = audit_log::Entity::find()
        .filter(
            audit_log::Column::Action.is_in(["resident.read_unmasked", "dwelling.read_unmasked"]),
        )
        .filter(audit_log::Column::ActorName.eq(caller));
    let last = full_reads
        .clone()
        .order_by_desc(audit_log::Column::Id)
        .one(db)
        .await
        .expect("audit rows")
        .map_or(0, |row| row.id);
    let statements = server.statements().await;
    let answer = client.graphql(query, variables.clone()).await;
    let cost = server.statements().await - statements;
    let details = full_reads
        .filter(audit_log::Column::Id.gt(last))
        .order_by_asc(audit_log::Column::Id)
        .all(db)
        .await
        .expect("audit rows")
        .into_iter()
        .map(|row| row.detail)
        .collect();
    (answer, cost, details)
}

#[tokio::test]
async fn pages_answered_in_one_pass_answer_as_field_by_field() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let db = server.db().await;
        let selections = selections(&admin).await;
        assert!(
            selections.iter().any(|s| s.starts_with("household { head { "))
                && selections.iter().any(|s| s.starts_with("dwelling { building { ")),
            "the walk reaches heads and buildings: {selections:?}"
        );
        let police_name = format!("police-{COMMUNITY}");
        let callers = [
            "admin".to_owned(),
            police_name.clone(),
            format!("worker-{GRID}"),
            format!("community-{COMMUNITY}"),
            "officer-market-420502".to_owned(),
        ];
        let variables = json!({"c": COMMUNITY});
        for caller in &callers {
            let client = server.as_user(caller).await;

            // The list screen's fields: one pass, the same answer, as many
            // statements, and (for the police, who see them in full) the
            // same audit row of full reads.
            let lists = one_pass_lists(&server).await;
            let (fast, fast_statements, fast_reads) =
                sent(&server, &db, &client, caller, &page(ONE_PASS), &variables).await;
            assert_eq!(one_pass_lists(&server).await, lists + 1, "{caller}: one pass");
            let (general, general_statements, general_reads) =
                sent(&server, &db, &client, caller, &fragment(ONE_PASS), &variables).await;
            assert_eq!(one_pass_lists(&server).await, lists + 1, "{caller}: a fragment is not");
            alike(&fast, &general, &format!("{caller}: the list screen's fields"));
            assert_eq!(fast_statements, general_statements, "{caller}: statements");
            assert_eq!(fast_reads, general_reads, "{caller}: audit rows");
            let fast = fast["data"].clone();
            let nodes = fast["residents"]["nodes"].as_array().expect("nodes");
            if caller != "officer-market-420502" {
                assert!(!nodes.is_empty(), "{caller} sees residents");
            }
            if caller == &police_name {
                assert!(
                    fast_reads.iter().any(|read| read.to_string().contains("id_number"))
                        && fast_reads.iter().any(|read| read.to_string().contains("lessor_phone")),
                    "the police's full reads are audited: {fast_reads:?}"
                );
                assert!(
                    nodes.iter().any(|n| n["household"]["head"]["idNumber"].is_string())
                        && nodes.iter().any(|n| n["dwelling"]["building"]["code"].is_string()),
                    "the page reaches heads and buildings"
                );
            }

            // The same through edges, as Relay clients ask.
            let lists = one_pass_lists(&server).await;
            let edges = |inner: &str| {
                format!(
                    "query($c: String) {{ residents(first: 40, filter: {{within: $c}}) {{ edges {{ {inner} }} }} }}"
                )
            };
            let fast = client
                .data(&edges(&format!("cursor __typename node {{ {ONE_PASS} }}")), variables.clone())
                .await;
            assert_eq!(one_pass_lists(&server).await, lists + 1, "{caller}: edges in one pass");
            let general = client
                .data(
                    &edges(&format!("... on ResidentEdge {{ cursor __typename node {{ {ONE_PASS} }} }}")),
                    variables.clone(),
                )
                .await;
            assert_eq!(one_pass_lists(&server).await, lists + 1, "{caller}: edges by fragment");
            alike(&json!({"data": fast}), &json!({"data": general}), &format!("{caller}: edges"));

            // Every field, one at a time, both ways.
            for selection in &selections {
                let (fast, fast_statements, fast_reads) =
                    sent(&server, &db, &client, caller, &page(selection), &variables).await;
                let (general, general_statements, general_reads) =
                    sent(&server, &db, &client, caller, &fragment(selection), &variables).await;
                alike(&fast, &general, &format!("{caller}: {selection}"));
                assert_eq!(fast_statements, general_statements, "{caller}: {selection}");
                assert_eq!(fast_reads, general_reads, "{caller}: {selection}");
            }
        }

        // A list that does not prime its relations loads them on both
        // paths with one statement per relation and level.
        let relations = "number head { name } dwelling { room building { code } }";
        let households = |nodes: &str| {
            format!("query($c: String) {{ households(first: 30, filter: {{within: $c}}) {{ nodes {{ {nodes} }} }} }}")
        };
        let (query, general_query) = (
            households(relations),
            households(&format!("... on Household {{ {relations} }}")),
        );
        let statements = server.statements().await;
        let fast = admin.data(&query, variables.clone()).await;
        let fast_statements = server.statements().await - statements;
        let statements = server.statements().await;
        let general = admin.data(&general_query, variables.clone()).await;
        alike(&fast, &general, "households with their relations");
        assert_eq!(fast_statements, server.statements().await - statements, "statements");
        db.close().await.expect("close");
        server
    })
    .await;
}
