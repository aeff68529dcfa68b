//! Who sees which personal field where, as the README's matrix states it:
//! each role reads a grid's record as its day's work needs, and no more.

use gridgov_tests::{Client, department_id, on_each_backend};
use serde_json::{Value, json};

const GRID: &str = "420502003001001";
const COMMUNITY: &str = "420502003001";

/// How a value shows: in full, masked, or not at all (`None`: the row
/// itself is not shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shows {
    Full,
    Masked,
    Absent,
}

fn shows(value: &Value) -> Shows {
    match value.as_str() {
        Some(text) if text.contains('*') => Shows::Masked,
        Some(_) => Shows::Full,
        None => Shows::Absent,
    }
}

/// The README's matrix for one grid: (caller, ID number, resident's phone,
/// lessor's phone, citizen reporter's phone, the dwelling's building). The
/// grid's worker, the community's police and manager are those of the
/// tenant's grid.
const MATRIX: &[(&str, Shows, Shows, Shows, Shows, bool)] = &[
    (
        "worker",
        Shows::Masked,
        Shows::Full,
        Shows::Full,
        Shows::Full,
        true,
    ),
    (
        "police",
        Shows::Full,
        Shows::Full,
        Shows::Full,
        Shows::Absent,
        true,
    ),
    (
        "community",
        Shows::Masked,
        Shows::Masked,
        Shows::Masked,
        Shows::Full,
        true,
    ),
    (
        "operator",
        Shows::Masked,
        Shows::Masked,
        Shows::Masked,
        Shows::Full,
        true,
    ),
    (
        "analyst",
        Shows::Absent,
        Shows::Absent,
        Shows::Absent,
        Shows::Absent,
        false,
    ),
];

/// A resident of the community with a phone, living in a rented dwelling
/// whose lessor has a phone, and their grid; found by the admin, who sees
/// everything.
async fn a_tenant(admin: &Client<'_>) -> (String, String) {
    let data = admin
        .data(
            "query($c: String) { residents(filter: {within: $c}, first: 100) { nodes { id phone gridCode
                dwelling { occupancy lessorPhone } } } }",
            json!({"c": COMMUNITY}),
        )
        .await;
    let tenant = data["residents"]["nodes"]
        .as_array()
        .expect("residents")
        .iter()
        .find(|r| r["phone"].is_string() && r["dwelling"]["lessorPhone"].is_string())
        .expect("a tenant with a phone whose lessor has one")
        .clone();
    let text = |field: &str| tenant[field].as_str().expect(field).to_owned();
    (text("id"), text("gridCode"))
}

#[tokio::test]
async fn each_role_sees_the_personal_fields_its_work_needs() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let (tenant, grid) = a_tenant(&admin).await;
        let worker = server.as_user(&format!("worker-{grid}")).await;
        let case = worker
            .data(
                "mutation($input: ReportCaseInput!) { reportCase(input: $input) { case { id } } }",
                json!({"input": {"title": "噪音", "description": "x", "gridCode": grid, "location": "x",
                    "source": "HOTLINE", "reporterName": "王先生", "reporterPhone": "13800001111"}}),
            )
            .await["reportCase"]["case"]["id"]
            .clone();
        for (role, id_number, phone, lessor, reporter, building) in MATRIX {
            let who = match *role {
                "worker" => format!("worker-{grid}"),
                "police" | "community" => format!("{role}-{COMMUNITY}"),
                other => other.to_owned(),
            };
            let client = server.as_user(&who).await;
            let data = client
                .data(
                    "query($r: ID!, $c: ID!) { resident(id: $r) { idNumber phone
                        dwelling { lessorPhone building { code } } }
                        case(id: $c) { reporterPhone } }",
                    json!({"r": tenant, "c": case}),
                )
                .await;
            let resident = &data["resident"];
            let seen = (
                shows(&resident["idNumber"]),
                shows(&resident["phone"]),
                shows(&resident["dwelling"]["lessorPhone"]),
                shows(&data["case"]["reporterPhone"]),
                resident["dwelling"]["building"]["code"].is_string(),
            );
            assert_eq!(seen, (*id_number, *phone, *lessor, *reporter, *building), "{who}: {data}");
        }
        server
    })
    .await;
}

#[tokio::test]
async fn the_worker_reads_back_the_note_they_wrote_and_nobody_else_reads_it() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let (tenant, grid) = a_tenant(&admin).await;
        let worker = server.as_user(&format!("worker-{grid}")).await;
        let version = worker
            .data("query($id: ID!) { node(id: $id) { ... on Resident { version } } }", json!({"id": tenant}))
            .await["node"]["version"]
            .clone();
        let updated = worker
            .data(
                "mutation($id: ID!, $v: Int!) { updateResident(input: {id: $id, version: $v, note: \"独居，每周二送药\"}) {
                    resident { note } userErrors { field message code } } }",
                json!({"id": tenant, "v": version}),
            )
            .await;
        assert_eq!(updated["updateResident"]["resident"]["note"], "独居，每周二送药");
        let read = "query($id: ID!) { node(id: $id) { ... on Resident { note } } }";
        for who in [format!("police-{COMMUNITY}"), format!("community-{COMMUNITY}"), "operator".to_owned()] {
            let seen = server.as_user(&who).await.data(read, json!({"id": tenant})).await;
            assert!(seen["node"]["note"].is_null(), "{who}: {seen}");
        }
        server
    })
    .await;
}

#[tokio::test]
async fn the_handling_department_calls_the_reporter_back() {
    on_each_backend(|server| async move {
        let operator = server.as_user("operator").await;
        let worker = server.as_user(&format!("worker-{GRID}")).await;
        let police = department_id(&operator, "police-420502").await;
        let reported = worker
            .data(
                "mutation($input: ReportCaseInput!) { reportCase(input: $input) { case { id version } } }",
                json!({"input": {"title": "邻里纠纷", "description": "x", "gridCode": GRID, "location": "x",
                    "source": "CITIZEN", "reporterName": "张女士", "reporterPhone": "13900002222"}}),
            )
            .await["reportCase"]["case"]
            .clone();
        let mut held = (reported["id"].clone(), reported["version"].as_i64().expect("version"));
        let later = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
        for (who, transition, input) in [
            (&worker, "VERIFY", json!({})),
            (&operator, "FILE", json!({"categoryCode": "D0202"})),
            (&operator, "DISPATCH", json!({"departmentId": police, "deadlineAt": later})),
        ] {
            let mut input = input;
            input["id"] = held.0.clone();
            input["version"] = json!(held.1);
            input["transition"] = json!(transition);
            let moved = who
                .data(
                    "mutation($input: MoveCaseInput!) { moveCase(input: $input) { case { id version } userErrors { field message code } } }",
                    json!({"input": input}),
                )
                .await;
            held.1 = moved["moveCase"]["case"]["version"].as_i64().expect("moved");
        }
        let officer = server.as_user("officer-police-420502").await;
        let seen = officer
            .data("query($id: ID!) { case(id: $id) { reporterPhone } }", json!({"id": held.0}))
            .await;
        assert_eq!(seen["case"]["reporterPhone"], "13900002222");
        // Another department sees neither the case nor the phone.
        let other = server.as_user("officer-hrss-420502").await;
        let seen = other
            .data("query($id: ID!) { case(id: $id) { reporterPhone } }", json!({"id": held.0}))
            .await;
        assert!(seen["case"].is_null(), "{seen}");
        server
    })
    .await;
}

#[tokio::test]
async fn the_operators_screen_counts_exactly() {
    on_each_backend(|server| async move {
        let operator = server.as_user("operator").await;
        let data = operator
            .data(
                "{ statistics { suppressed residents children { suppressed } } }",
                json!({}),
            )
            .await;
        assert_eq!(data["statistics"]["suppressed"], false, "{data}");
        assert!(
            data["statistics"]["residents"]
                .as_u64()
                .is_some_and(|n| n > 0)
        );
        let children = data["statistics"]["children"]
            .as_array()
            .expect("districts");
        assert!(
            children.iter().all(|child| child["suppressed"] == false),
            "{data}"
        );
        server
    })
    .await;
}
