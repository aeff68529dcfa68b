//! What the schema tells a screen about its caller: the buttons each row
//! offers (`viewerCan…`), against the README's rule written as a model in
//! the test library, with a deny inside a wider allow; and the labels every
//! enum value shows in Chinese and English.

use gridgov_tests::model::{Rules, Who};
use gridgov_tests::{Backend, TestServer, on_each_backend};
use serde_json::{Value, json};

const STREET: &str = "420502003";

async fn deny(
    server: &TestServer,
    subject: &str,
    role: &str,
    object: &str,
    action: &str,
    area: &str,
) {
    let admin = server.as_user("admin").await;
    admin
        .data(
            "mutation($input: PolicyInput!) { addPolicy(input: $input) { policy { id } } }",
            json!({"input": {"comment": "test", "role": role, "object": object, "action": action, "effect": "DENY"}}),
        )
        .await;
    admin
        .data(
            "mutation($input: RoleAssignmentInput!) { assignRole(input: $input) { roleAssignment { id } } }",
            json!({"input": {"comment": "test", "subject": gridgov_tests::subject(subject), "role": role, "area": area}}),
        )
        .await;
}

#[tokio::test]
async fn each_row_offers_the_buttons_the_rule_allows() {
    on_each_backend(|server| async move {
        // A street manager kept from changing residents of one grid inside
        // its street, and from reporting there.
        deny(&server, "user:street-420502003", "no_resident_changes", "resident", "write", "420502003001002").await;
        deny(&server, "user:street-420502003", "no_reports", "case", "report", "420502003001002").await;
        let db = server.db().await;
        let rules = Rules::load(&db).await;
        db.close().await.expect("close");
        let mut seen = 0;
        let mut homes_seen = 0;
        for username in [
            "street-420502003",
            "community-420502003001",
            "worker-420502003001001",
            "police-420502003001",
            "admin",
            "operator",
        ] {
            let who = Who { subject: format!("user:{username}"), token: None };
            let client = server.as_user(username).await;
            let data = client
                .data(
                    "query($s: String) {
                        residents(filter: {within: $s}, first: 100) { nodes {
                            gridCode viewerCanUpdate viewerCanSeeFullIdNumber viewerCanSeeFullPhone viewerCanSeeCareFlags
                            household { gridCode viewerCanUpdate } dwelling { gridCode viewerCanUpdate } } }
                        grids(filter: {within: $s}, first: 100) { nodes { code viewerCanRegisterResident viewerCanReportCase viewerCanSendTask } }
                    }",
                    json!({"s": STREET}),
                )
                .await;
            for resident in data["residents"]["nodes"].as_array().expect("residents") {
                let grid = resident["gridCode"].as_str();
                let expect = |object: &str, action: &str| Value::Bool(rules.allows(&who, grid, object, action));
                assert_eq!(resident["viewerCanUpdate"], expect("resident", "write"), "{username} {resident}");
                assert_eq!(resident["viewerCanSeeFullIdNumber"], expect("resident.id_number", "read"), "{username}");
                assert_eq!(resident["viewerCanSeeFullPhone"], expect("resident.phone", "read"), "{username}");
                assert_eq!(resident["viewerCanSeeCareFlags"], expect("resident.care_flags", "read"), "{username}");
                for (field, object) in [("household", "household"), ("dwelling", "dwelling")] {
                    let row = &resident[field];
                    if row.is_object() {
                        let at = row["gridCode"].as_str();
                        assert_eq!(row["viewerCanUpdate"], Value::Bool(rules.allows(&who, at, object, "write")), "{username} {row}");
                        homes_seen += 1;
                    }
                }
                seen += 1;
            }
            for grid in data["grids"]["nodes"].as_array().expect("grids") {
                let code = grid["code"].as_str();
                assert_eq!(grid["viewerCanRegisterResident"], Value::Bool(rules.allows(&who, code, "resident", "write")), "{username} {grid}");
                assert_eq!(grid["viewerCanReportCase"], Value::Bool(rules.allows(&who, code, "case", "report")), "{username} {grid}");
                assert_eq!(grid["viewerCanSendTask"], Value::Bool(rules.allows(&who, code, "task", "send")), "{username} {grid}");
            }
        }
        assert!(seen > 100, "the walk saw rows: {seen}");
        assert!(homes_seen > 100, "the walk saw households and dwellings: {homes_seen}");
        // The deny bites inside the allow, and only there.
        let street = server.as_user("street-420502003").await;
        let grids = street
            .data("{ a: grid(code: \"420502003001002\") { viewerCanReportCase } b: grid(code: \"420502003001001\") { viewerCanReportCase } }", json!({}))
            .await;
        assert_eq!(grids["a"]["viewerCanReportCase"], false);
        assert_eq!(grids["b"]["viewerCanReportCase"], true);
        server
    })
    .await;
}

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[tokio::test]
async fn every_enum_value_has_a_chinese_label_and_an_english_one() {
    let Some(server) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let client = server.as_user("analyst").await;
    let schema = client
        .data(
            "{ __schema { types { kind name enumValues { name } } } }",
            json!({}),
        )
        .await;
    let enums: Vec<(String, Vec<String>)> = schema["__schema"]["types"]
        .as_array()
        .expect("types")
        .iter()
        .filter(|t| t["kind"] == "ENUM" && !t["name"].as_str().unwrap_or("__").starts_with("__"))
        .map(|t| {
            let values = t["enumValues"].as_array().expect("values");
            (
                t["name"].as_str().expect("name").to_owned(),
                values
                    .iter()
                    .map(|v| v["name"].as_str().expect("value").to_owned())
                    .collect(),
            )
        })
        .collect();
    assert!(enums.len() > 30, "{enums:?}");
    for locale in ["ZH_CN", "EN_US"] {
        let labels = client
            .data(
                "query($l: Locale!) { labels(locale: $l) { name values { value label } } }",
                json!({"l": locale}),
            )
            .await;
        let labels = labels["labels"].as_array().expect("labels");
        for (name, values) in &enums {
            let entry = labels
                .iter()
                .find(|e| e["name"] == name.as_str())
                .unwrap_or_else(|| panic!("{locale}: no labels for {name}"));
            let labelled: Vec<&str> = entry["values"]
                .as_array()
                .expect("values")
                .iter()
                .map(|v| v["value"].as_str().expect("value"))
                .collect();
            assert_eq!(
                labelled,
                values.iter().map(String::as_str).collect::<Vec<_>>(),
                "{locale} {name}"
            );
            for value in entry["values"].as_array().expect("values") {
                let label = value["label"].as_str().expect("a label");
                match locale {
                    "ZH_CN" => assert!(
                        has_chinese(label),
                        "{name}.{}: {label:?} is not Chinese",
                        value["value"]
                    ),
                    _ => assert!(
                        !label.is_empty() && label.is_ascii(),
                        "{name}.{}: {label:?}",
                        value["value"]
                    ),
                }
            }
        }
    }
    // Display strings follow the locale too.
    let limits = client
        .data(
            "{ caseCategories { timeLimits { amount unit zh: text en: text(locale: EN_US) } } }",
            json!({}),
        )
        .await;
    let limit = limits["caseCategories"]
        .as_array()
        .expect("categories")
        .iter()
        .flat_map(|c| c["timeLimits"].as_array().cloned().unwrap_or_default())
        .next()
        .expect("a time limit");
    assert!(has_chinese(limit["zh"].as_str().expect("zh")), "{limit}");
    assert!(
        limit["en"].as_str().expect("en").contains("working"),
        "{limit}"
    );
    server.stop().await;
}
