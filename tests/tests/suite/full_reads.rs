//! Every value that can go out in full — a resident's ID number and phone,
//! a lessor's phone, a citizen reporter's phone — leaves an audit row naming
//! the caller, the row and the field, whichever path it takes: a list, a
//! relation, a read by id, a mutation's answer, a live event.

use std::time::Duration;

use entities::audit_log;
use gridgov_tests::{Client, TestServer, on_each_backend, stored_key};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

const COMMUNITY: &str = "420502003001";
const GRID: &str = "420502003001001";

/// The audit rows of full reads of `kind` by `actor`, newest last.
async fn full_reads(server: &TestServer, actor: &str, kind: &str) -> Vec<audit_log::Model> {
    let db = server.db().await;
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(format!("{kind}.read_unmasked")))
        .filter(audit_log::Column::ActorName.eq(actor))
        .order_by_asc(audit_log::Column::Id)
        .all(&db)
        .await
        .expect("audit rows");
    db.close().await.expect("close");
    rows
}

/// Asserts that the newest full-read row of `kind` by `actor` names `id`
/// and `field`, and that it is new since `before` rows.
async fn audited(
    server: &TestServer,
    actor: &str,
    kind: &str,
    before: usize,
    id: i64,
    field: &str,
) {
    let rows = full_reads(server, actor, kind).await;
    assert!(rows.len() > before, "{actor}: a new {kind} full-read row");
    let row = rows.last().expect("a row");
    let ids: Vec<i64> = row.detail["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    assert!(
        ids.contains(&id),
        "{actor}: {kind} {id} in {:?}",
        row.detail
    );
    let fields = row.detail["fields"].to_string();
    assert!(fields.contains(field), "{actor}: {field} in {fields}");
}

async fn report_with_phone(worker: &Client<'_>) -> Value {
    worker
        .data(
            "mutation($input: ReportCaseInput!) { reportCase(input: $input) { case { id } } }",
            json!({"input": {"title": "噪音", "description": "x", "gridCode": GRID, "location": "x",
                   "source": "CITIZEN", "reporterName": "李女士", "reporterPhone": "13912345678"}}),
        )
        .await["reportCase"]["case"]["id"]
        .clone()
}

#[tokio::test]
async fn every_full_read_leaves_its_audit_row_on_every_path() {
    on_each_backend(|server| async move {
        let police_name = format!("police-{COMMUNITY}");
        let police_token = server.token_for(&police_name).await;
        let police = server.with_bearer(&police_token);
        let worker = server.as_user(&format!("worker-{GRID}")).await;

        // A list.
        let before = full_reads(&server, &police_name, "resident").await.len();
        let page = police
            .data(
                "query($g: String) { residents(first: 1, filter: {within: $g}) { edges { node { id idNumber } } } }",
                json!({"g": GRID}),
            )
            .await;
        let resident = &page["residents"]["edges"][0]["node"];
        assert_eq!(resident["idNumber"].as_str().map(str::len), Some(18), "the police read it in full");
        audited(&server, &police_name, "resident", before, stored_key(&resident["id"]), "id_number").await;

        // A relation: a household's members, reached from a resident.
        let before = full_reads(&server, &police_name, "resident").await.len();
        let related = police
            .data(
                "query($id: ID!) { resident(id: $id) { household { members { nodes { id idNumber } } } } }",
                json!({"id": resident["id"]}),
            )
            .await;
        let member = &related["resident"]["household"]["members"]["nodes"][0];
        assert_eq!(member["idNumber"].as_str().map(str::len), Some(18));
        audited(&server, &police_name, "resident", before, stored_key(&member["id"]), "id_number").await;

        // A lessor's phone, on a rented dwelling.
        let before = full_reads(&server, &police_name, "dwelling").await.len();
        let rented = police
            .data(
                "query($c: String) { dwellings(first: 100, filter: {within: $c, occupancy: RENTED}) { edges { node { id lessorPhone } } } }",
                json!({"c": COMMUNITY}),
            )
            .await;
        let with_phone = rented["dwellings"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|edge| &edge["node"])
            .find(|node| node["lessorPhone"].as_str().is_some_and(|p| !p.contains('*')))
            .expect("a rented dwelling with its lessor's phone in the community");
        audited(&server, &police_name, "dwelling", before, stored_key(&with_phone["id"]), "lessor_phone").await;

        // A citizen reporter's phone, read by id by the operator, who calls
        // the reporter back.
        let operator_token = server.token_for("operator").await;
        let operator = server.with_bearer(&operator_token);
        let case = report_with_phone(&worker).await;
        let before = full_reads(&server, "operator", "case").await.len();
        let read = operator
            .data("query($id: ID!) { case(id: $id) { reporterPhone } }", json!({"id": case}))
            .await;
        assert_eq!(read["case"]["reporterPhone"], "13912345678");
        audited(&server, "operator", "case", before, stored_key(&case), "reporter_phone").await;

        // A live event.
        let mut live = server
            .subscribe(&operator_token, "subscription { caseChanged { id reporterPhone } }", json!({}))
            .await;
        live.until_live(|| async {
            report_with_phone(&worker).await;
        })
        .await;
        let before = full_reads(&server, "operator", "case").await.len();
        let case = report_with_phone(&worker).await;
        let event = live.next(Duration::from_secs(10)).await.expect("an event");
        assert_eq!(event["caseChanged"]["id"], case);
        assert_eq!(event["caseChanged"]["reporterPhone"], "13912345678");
        // The row is written before the event leaves.
        audited(&server, "operator", "case", before, stored_key(&case), "reporter_phone").await;

        // A mutation's answer.
        let admin = server.as_user("admin").await;
        let found = admin
            .data(
                "query($g: String) { residents(first: 1, filter: {within: $g}) { edges { node { id version } } } }",
                json!({"g": GRID}),
            )
            .await;
        let row = &found["residents"]["edges"][0]["node"];
        let before = full_reads(&server, "admin", "resident").await.len();
        let answered = admin
            .data(
                "mutation($id: ID!, $v: Int!) { updateResident(input: {id: $id, version: $v, phone: \"13700001111\"}) { resident { phone } userErrors { field message code } } }",
                json!({"id": row["id"], "v": row["version"]}),
            )
            .await;
        assert_eq!(answered["updateResident"]["resident"]["phone"], "13700001111");
        audited(&server, "admin", "resident", before, stored_key(&row["id"]), "phone").await;

        // Masked reads leave nothing: the community manager sees ID numbers
        // and phones masked.
        let manager_name = format!("community-{COMMUNITY}");
        let manager = server.as_user(&manager_name).await;
        let before = full_reads(&server, &manager_name, "resident").await.len();
        let page = manager
            .data("{ residents(first: 20) { edges { node { idNumber phone } } } }", json!({}))
            .await;
        assert!(page["residents"]["edges"][0]["node"]["idNumber"].as_str().is_some_and(|n| n.contains('*')));
        assert_eq!(full_reads(&server, &manager_name, "resident").await.len(), before);
        server
    })
    .await;
}

/// The number a `/metrics` counter shows.
fn counter(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} in /metrics"))
}

/// Answers leaving at the same moment have their audit rows written
/// together, and still each its own: every row names the one resident its
/// answer showed, none is missing, none is written twice.
#[tokio::test]
async fn answers_read_at_the_same_moment_each_leave_their_own_row() {
    on_each_backend(|server| async move {
        let police_name = format!("police-{COMMUNITY}");
        let police_token = server.token_for(&police_name).await;
        let police = server.with_bearer(&police_token);
        let page = police
            .data(
                "query($c: String) { residents(first: 40, filter: {within: $c}) { edges { node { id } } } }",
                json!({"c": COMMUNITY}),
            )
            .await;
        let ids: Vec<Value> = page["residents"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|edge| edge["node"]["id"].clone())
            .collect();
        assert!(ids.len() >= 20, "the community's residents: {}", ids.len());
        let before = full_reads(&server, &police_name, "resident").await.len();
        let metrics = server.metrics().await;
        let (answers, writes) = (
            counter(&metrics, "gridgov_audit_read_answers_total"),
            counter(&metrics, "gridgov_audit_read_writes_total"),
        );

        let reads = ids.iter().map(|id| {
            police.data("query($id: ID!) { resident(id: $id) { idNumber } }", json!({"id": id}))
        });
        for read in futures_util::future::join_all(reads).await {
            assert_eq!(read["resident"]["idNumber"].as_str().map(str::len), Some(18));
        }

        let rows = full_reads(&server, &police_name, "resident").await;
        let mut named: Vec<Vec<i64>> = rows[before..]
            .iter()
            .map(|row| gridgov::audit::ids_named(&row.detail).collect())
            .collect();
        named.sort();
        let mut expected: Vec<Vec<i64>> = ids.iter().map(|id| vec![stored_key(id)]).collect();
        expected.sort();
        assert_eq!(named, expected, "one row per answer, naming what it showed");
        let metrics = server.metrics().await;
        let answered = counter(&metrics, "gridgov_audit_read_answers_total") - answers;
        let written = counter(&metrics, "gridgov_audit_read_writes_total") - writes;
        assert_eq!(answered, ids.len() as u64);
        assert!((1..=answered).contains(&written), "{answered} answers in {written} writes");
        server
    })
    .await;
}
