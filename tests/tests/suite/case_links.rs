//! Cases about something: a dispute reported about a flat and its building
//! with its parties (one of the record, one not), described further on
//! site, and read back both ways by every kind of caller. What each caller
//! is shown is stated independently: a case shows exactly the subjects
//! `node` shows that caller, a subject's cases are those the caller sees
//! of the ones naming it, and a party's phone is shown as a table of the
//! default policies says the reporter's phone is.

use entities::resident;
use gridgov_tests::{
    Client, global_key, on_each_backend, stored_key, user_error, user_error_field,
};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

const GRID: &str = "420502003001001";
const NEIGHBOUR: &str = "420502003001002";
const PHONE: &str = "13800001111";

const REPORT: &str = "mutation($input: ReportCaseInput!) { reportCase(input: $input) {
    case { id version } userErrors { field message code } } }";

const MOVE: &str = "mutation($input: MoveCaseInput!) { moveCase(input: $input) {
    case { id version state timeline { nodes { action } } } userErrors { field message code } } }";

const READ: &str = "query($id: ID!) { case(id: $id) {
    reporterPhone
    about { __typename ... on Resident { id } ... on Household { id } ... on Dwelling { id }
            ... on Building { id } ... on Organisation { id } }
    parties { side name phone resident { id } } } }";

const ABOUT: &str = "query($about: ID!) { cases(filter: {about: $about}, first: 100) {
    nodes { id } } }";

/// The first resident of `grid` living in a dwelling, with the dwelling,
/// its building and the household, as the admin reads them.
async fn someone_at_home(admin: &Client<'_>, grid: &str) -> Value {
    let data = admin
        .data(
            "query($grid: String!) { residents(filter: {within: $grid, states: [ACTIVE]}, first: 50) {
                nodes { id name household { id } dwelling { id building { id } } } } }",
            json!({"grid": grid}),
        )
        .await;
    data["residents"]["nodes"]
        .as_array()
        .expect("residents")
        .iter()
        .find(|node| node["dwelling"].is_object() && node["household"].is_object())
        .cloned()
        .expect("someone at home in the grid")
}

async fn node_shown(client: &Client<'_>, id: &Value) -> bool {
    let data = client
        .data(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    data["node"].is_object()
}

fn ids(list: &Value) -> Vec<Value> {
    let mut ids: Vec<Value> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|node| node["id"].clone())
        .collect();
    ids.sort_by_key(|id| id.as_str().map(str::to_owned));
    ids
}

#[tokio::test]
async fn a_case_names_what_it_is_about_and_its_parties_and_each_caller_reads_them_as_node_would() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let worker = server.as_user(&format!("worker-{GRID}")).await;
        let here = someone_at_home(&admin, GRID).await;
        let there = someone_at_home(&admin, NEIGHBOUR).await;
        let dwelling = here["dwelling"]["id"].clone();
        let building = here["dwelling"]["building"]["id"].clone();
        let household = here["household"]["id"].clone();
        let applicant = here["id"].clone();

        let report = |about: Value, parties: Value| {
            json!({"input": {"title": "邻里噪音纠纷", "description": "楼上深夜噪音，双方争执。",
                "gridCode": GRID, "location": "3 栋 2 单元", "source": "CITIZEN",
                "reporterName": "王女士", "reporterPhone": PHONE,
                "about": about, "parties": parties}})
        };
        let parties = json!([
            {"side": "APPLICANT", "residentId": applicant},
            {"side": "RESPONDENT", "name": "楼上住户", "phone": PHONE}]);

        // What cannot be named: something of another grid, something that
        // does not exist (the same answer), an ID of another kind, a party
        // outside the record without a name.
        let elsewhere = there["dwelling"]["id"].clone();
        let missing = json!(global_key("Dwelling", 999_999_999));
        let mut answers = Vec::new();
        for about in [json!([elsewhere]), json!([missing])] {
            let body = worker.graphql(REPORT, report(about, json!([]))).await;
            assert_eq!(user_error(&body), Some("NOT_FOUND"), "{body:#}");
            answers.push(body["data"]["reportCase"]["userErrors"][0]["message"].clone());
        }
        assert_eq!(
            answers[0], answers[1],
            "out of sight and absent read the same"
        );
        let body = worker
            .graphql(REPORT, report(json!([global_key("Case", 1)]), json!([])))
            .await;
        assert_eq!(user_error(&body), Some("INVALID"), "{body:#}");
        let body = worker
            .graphql(REPORT, report(json!([]), json!([{"side": "OTHER"}])))
            .await;
        assert_eq!(user_error(&body), Some("REQUIRED"), "{body:#}");
        assert_eq!(
            user_error_field(&body).as_deref(),
            Some("input.parties.name")
        );

        let body = worker
            .graphql(REPORT, report(json!([dwelling, building]), parties))
            .await;
        let case = body["data"]["reportCase"]["case"].clone();
        assert!(case.is_object(), "{body:#}");
        let case_id = case["id"].clone();

        // On site the worker finds the household is part of it; naming the
        // dwelling again adds nothing; describing nothing is refused.
        let describe = |version: &Value, about: Value| {
            json!({"input": {"id": case_id, "version": version, "transition": "DESCRIBE",
                "about": about}})
        };
        let body = worker
            .graphql(MOVE, describe(&case["version"], json!([])))
            .await;
        assert_eq!(user_error(&body), Some("REQUIRED"), "{body:#}");
        let body = worker
            .graphql(
                MOVE,
                describe(&case["version"], json!([household, dwelling])),
            )
            .await;
        let moved = body["data"]["moveCase"]["case"].clone();
        assert!(moved.is_object(), "{body:#}");
        let actions: Vec<&Value> = moved["timeline"]["nodes"]
            .as_array()
            .expect("timeline")
            .iter()
            .map(|step| &step["action"])
            .collect();
        assert_eq!(
            actions,
            [&Value::Null, &json!("DESCRIBE")],
            "the report, then the describe"
        );
        let body = worker
            .graphql(MOVE, describe(&case["version"], json!([household])))
            .await;
        assert_eq!(
            user_error(&body),
            Some("CONFLICT"),
            "a stale describe: {body:#}"
        );

        // A party must be of the case's grid: one of the next grid reads as
        // one that does not exist. Parties are named once each, and ten
        // at most in all; only DESCRIBE names anything.
        let version = moved["version"].clone();
        let party = |id: &Value| {
            json!({"input": {"id": case_id, "version": version, "transition": "DESCRIBE",
                "parties": [{"side": "OTHER", "residentId": id}]}})
        };
        let mut answers = Vec::new();
        for id in [&there["id"], &json!(global_key("Resident", 999_999_999))] {
            let body = worker.graphql(MOVE, party(id)).await;
            assert_eq!(user_error(&body), Some("NOT_FOUND"), "{body:#}");
            answers.push(body["data"]["moveCase"]["userErrors"][0]["message"].clone());
        }
        assert_eq!(
            answers[0], answers[1],
            "another grid's resident reads as absent"
        );
        let crowd: Vec<Value> = (0..9)
            .map(|n| json!({"side": "OTHER", "name": format!("围观群众{n}")}))
            .collect();
        let body = worker
            .graphql(
                MOVE,
                json!({"input": {"id": case_id, "version": version,
                "transition": "DESCRIBE", "parties": crowd}}),
            )
            .await;
        assert_eq!(
            user_error(&body),
            Some("INVALID"),
            "2 + 9 parties: {body:#}"
        );
        let body = worker
            .graphql(
                MOVE,
                json!({"input": {"id": case_id, "version": version,
                "transition": "VERIFY", "about": [household]}}),
            )
            .await;
        assert_eq!(
            user_error(&body),
            Some("INVALID"),
            "about with VERIFY: {body:#}"
        );

        // Verified on site and filed as a neighbours' dispute: justice
        // (人民调解) now sees it, though not the record it is about.
        let mut version = moved["version"].clone();
        for (who, transition, extra) in [
            (&worker, "VERIFY", json!({})),
            (
                &server.as_user("operator").await,
                "FILE",
                json!({"categoryCode": "D0801"}),
            ),
        ] {
            let mut input = json!({"id": case_id, "version": version, "transition": transition});
            for (key, value) in extra.as_object().expect("object") {
                input[key] = value.clone();
            }
            let body = who.graphql(MOVE, json!({"input": input})).await;
            version = body["data"]["moveCase"]["case"]["version"].clone();
            assert!(version.is_number(), "{transition}: {body:#}");
        }

        // DESCRIBE is for those who verify on site: the mediating department
        // may not add to what the case is about, and nothing is added once
        // a case is over.
        let justice = server.as_user("officer-justice-420502").await;
        let body = justice
            .graphql(
                MOVE,
                json!({"input": {"id": case_id, "version": version,
                    "transition": "DESCRIBE", "about": [there["id"]]}}),
            )
            .await;
        assert!(body["data"]["moveCase"]["case"].is_null(), "{body:#}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{body:#}"
        );
        let body = worker.graphql(REPORT, report(json!([]), json!([]))).await;
        let other = body["data"]["reportCase"]["case"].clone();
        let body = worker
            .graphql(
                MOVE,
                json!({"input": {"id": other["id"], "version": other["version"],
                    "transition": "VOID", "note": "重复上报。"}}),
            )
            .await;
        let voided = &body["data"]["moveCase"]["case"];
        assert_eq!(voided["state"], "VOID", "{body:#}");
        let body = worker
            .graphql(
                MOVE,
                json!({"input": {"id": other["id"], "version": voided["version"],
                    "transition": "DESCRIBE", "about": [household]}}),
            )
            .await;
        assert_eq!(user_error(&body), Some("INVALID_STATE"), "{body:#}");

        // The worker reads back what was named; the applicant's name is the
        // record's.
        let db = server.db().await;
        let stored = resident::Entity::find_by_id(stored_key(&applicant))
            .one(&db)
            .await
            .expect("read")
            .expect("the applicant");
        db.close().await.expect("close");
        let data = worker.data(READ, json!({"id": case_id})).await;
        let mut named = vec![dwelling.clone(), building.clone(), household.clone()];
        named.sort_by_key(|id| id.as_str().map(str::to_owned));
        assert_eq!(ids(&data["case"]["about"]), named);
        let parties = &data["case"]["parties"];
        assert_eq!(parties[0]["name"], json!(stored.name));
        assert_eq!(parties[0]["side"], "APPLICANT");
        assert_eq!(parties[1]["name"], "楼上住户");

        // Every kind of caller: the case as a whole or nothing; of its
        // subjects exactly those `node` shows them; the party's phone as
        // the reporter's; and the way back from each subject.
        // Whose full phone each caller who sees the case is shown, from the
        // default policies' `case.reporter_phone` (the community police
        // keep the record, not the cases' callers).
        let callers = [
            (format!("worker-{GRID}"), Some(PHONE)),
            (format!("worker-{NEIGHBOUR}"), None),
            ("community-420502003001".to_owned(), Some(PHONE)),
            ("police-420502003001".to_owned(), None),
            ("operator".to_owned(), Some(PHONE)),
            ("analyst".to_owned(), None),
            ("officer-police-420502".to_owned(), Some(PHONE)),
            ("officer-justice-420502".to_owned(), Some(PHONE)),
            ("auditor".to_owned(), None),
            ("admin".to_owned(), Some(PHONE)),
        ];
        let mut saw = 0;
        let mut hid_some = false;
        for (name, phone) in &callers {
            let caller = server.as_user(name).await;
            let read = caller.graphql(READ, json!({"id": case_id})).await;
            let seen = &read["data"]["case"];
            let mut shown = Vec::new();
            for subject in &named {
                if node_shown(&caller, subject).await {
                    shown.push(subject.clone());
                }
            }
            if !seen.is_object() {
                assert!(seen.is_null(), "{name}: {read:#}");
            } else {
                saw += 1;
                hid_some |= shown.len() < named.len();
                assert_eq!(
                    ids(&seen["about"]),
                    shown,
                    "{name}: about is what node shows"
                );
                // The respondent gave the reporter's number: full or hidden
                // alike, as the table says.
                assert_eq!(seen["parties"][1]["phone"], json!(phone), "{name}");
                assert_eq!(seen["reporterPhone"], json!(phone), "{name}");
                assert!(
                    seen["parties"][0]["phone"].is_null(),
                    "{name}: no phone was given"
                );
                let resident = &seen["parties"][0]["resident"];
                let may = node_shown(&caller, &applicant).await;
                assert_eq!(resident.is_object(), may, "{name}: the party's resident");
            }
            for subject in named.iter().chain([&applicant]) {
                let back = caller.data(ABOUT, json!({"about": subject})).await;
                let found = ids(&back["cases"]["nodes"]).contains(&case_id);
                let expected = seen.is_object() && node_shown(&caller, subject).await;
                assert_eq!(found, expected, "{name}: the cases about {subject}");
            }
        }
        assert!(
            saw >= 4,
            "the case is read by its grid's people and the centre"
        );
        assert!(
            saw < callers.len(),
            "some callers do not see the case at all"
        );
        assert!(
            hid_some,
            "some caller sees the case but not all it is about"
        );
        server
    })
    .await;
}
