//! The floating and foreign population: a foreigner registered on a
//! passport, a floating resident with their 户籍地, arrival, reason and
//! residence permit; the rule of which facts go with which population type,
//! stated here as a table; and the worker's list of permits running out.

use chrono::{Duration, NaiveDate, Utc};
use entities::resident;
use gridgov::domain::id_number::IdNumber;
use gridgov_tests::{TestServer, on_each_backend, stored_key, user_error, user_error_field};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const GRID: &str = "420502003001001";

const FIELDS: &str = "id idNumber documentType nationality ethnicity sex birthDate populationType
    hukouPlace arrivedOn residenceReason permitExpiresOn verification version";

fn register() -> String {
    format!(
        "mutation($input: RegisterResidentInput!) {{ registerResident(input: $input) {{
            resident {{ {FIELDS} }} userErrors {{ field message code }} }} }}"
    )
}

fn update() -> String {
    format!(
        "mutation($input: UpdateResidentInput!) {{ updateResident(input: $input) {{
            resident {{ {FIELDS} }} userErrors {{ field message code }} }} }}"
    )
}

fn day(days_from_today: i64) -> String {
    (Utc::now().date_naive() + Duration::days(days_from_today)).to_string()
}

/// `base` with `changes` written over it.
fn with(base: &Value, changes: Value) -> Value {
    let mut input = base.clone();
    for (key, value) in changes.as_object().expect("an object") {
        input[key] = value.clone();
    }
    json!({ "input": input })
}

#[tokio::test]
async fn a_foreigner_on_a_passport_and_a_floating_resident_are_recorded() {
    on_each_backend(|server| async move {
        let worker = server.as_user(&format!("worker-{GRID}")).await;
        let police = server.as_user(&format!("police-{}", &GRID[..12])).await;

        let passport = json!({
            "idNumber": "m1234 5678", "documentType": "PASSPORT", "nationality": "kor",
            "name": "PARK JIHOON", "sex": "MALE", "birthDate": "1991-04-02",
            "populationType": "FOREIGN", "gridCode": GRID, "arrivedOn": day(-200),
            "residenceReason": "WORK", "permitExpiresOn": day(30),
        });
        let hmt_permit = IdNumber::compose("810000", NaiveDate::from_ymd_opt(1985, 3, 3).expect("date"), 17);
        // Each rule, with the field it is refused on.
        for (changes, field, code) in [
            (json!({"nationality": null}), "input.nationality", "REQUIRED"),
            (json!({"sex": null}), "input.sex", "REQUIRED"),
            (json!({"birthDate": null}), "input.birthDate", "REQUIRED"),
            (json!({"nationality": "ZZZ"}), "input.nationality", "INVALID"),
            (json!({"idNumber": "12"}), "input.idNumber", "INVALID"),
            (json!({"ethnicity": "汉族"}), "input.ethnicity", "INVALID"),
            (json!({"populationType": "FLOATING"}), "input.populationType", "INVALID"),
            (json!({"hukouPlace": "首尔"}), "input.hukouPlace", "INVALID"),
            (json!({"arrivedOn": day(3)}), "input.arrivedOn", "INVALID"),
            (json!({"arrivedOn": "1990-01-01"}), "input.arrivedOn", "INVALID"),
            (json!({"documentType": "RESIDENT_ID_CARD", "idNumber": hmt_permit,
                    "nationality": null, "sex": null, "birthDate": null}),
                "input.documentType", "INVALID"),
            (json!({"documentType": "HK_MACAO_TRAVEL_PERMIT", "idNumber": "H12345678"}),
                "input.nationality", "INVALID"),
        ] {
            let body = worker.graphql(&register(), with(&passport, changes.clone())).await;
            assert_eq!(user_error(&body), Some(code), "{changes}: {body:#}");
            assert_eq!(user_error_field(&body).as_deref(), Some(field), "{changes}: {body:#}");
        }

        let made = worker.data(&register(), with(&passport, json!({}))).await;
        let korean = made["registerResident"]["resident"].clone();
        assert_eq!(korean["documentType"], "PASSPORT");
        assert_eq!(korean["nationality"], "KOR");
        assert_eq!(korean["ethnicity"], Value::Null, "a foreigner has no 民族");
        assert_eq!(korean["birthDate"], "1991-04-02");
        assert_eq!(korean["sex"], "MALE");
        assert_eq!(korean["residenceReason"], "WORK");
        assert_eq!(korean["permitExpiresOn"], json!(day(30)));
        // The worker sees the passport masked like an ID number, the police
        // in full, as stored.
        assert_eq!(korean["idNumber"], "*****************8");
        let read = police
            .data(&format!("query($id: ID!) {{ resident(id: $id) {{ {FIELDS} }} }}"), json!({"id": korean["id"]}))
            .await;
        assert_eq!(read["resident"]["idNumber"], "M12345678");
        let body = worker.graphql(&register(), with(&passport, json!({"name": "PARK JIHOON II"}))).await;
        assert_eq!(user_error(&body), Some("TAKEN"), "{body:#}");

        // Corrections obey the same rule on the record as it will be.
        let correct = |changes: Value, version: &Value| {
            let mut input = json!({"id": korean["id"], "version": version});
            for (key, value) in changes.as_object().expect("an object") {
                input[key] = value.clone();
            }
            json!({"input": input})
        };
        let version = korean["version"].clone();
        for (changes, field, code) in [
            (json!({"ethnicity": "汉族"}), "input.ethnicity", "INVALID"),
            (json!({"documentType": "FOREIGN_PERMANENT_ID"}), "input.idNumber", "REQUIRED"),
            // A Chinese citizen on a passport stays FOREIGN here, but has
            // an ethnicity.
            (json!({"nationality": "CHN"}), "input.ethnicity", "REQUIRED"),
        ] {
            let body = worker.graphql(&update(), correct(changes.clone(), &version)).await;
            assert_eq!(user_error(&body), Some(code), "{changes}: {body:#}");
            assert_eq!(user_error_field(&body).as_deref(), Some(field), "{changes}: {body:#}");
        }
        let permanent = IdNumber::compose("942410", NaiveDate::from_ymd_opt(1991, 4, 2).expect("date"), 991);
        let changed = worker
            .data(
                &update(),
                correct(json!({"documentType": "FOREIGN_PERMANENT_ID", "idNumber": permanent,
                    "permitExpiresOn": null}), &version),
            )
            .await;
        let korean = &changed["updateResident"]["resident"];
        assert_eq!(korean["documentType"], "FOREIGN_PERMANENT_ID");
        assert_eq!(korean["nationality"], "KOR", "the nationality stays with a foreigner's document");
        assert_eq!(korean["sex"], "MALE", "the number gives the sex (odd: male)");
        assert_eq!(korean["permitExpiresOn"], Value::Null);
        assert_eq!(korean["verification"], "PENDING");

        // A floating resident from 宜都.
        let born = NaiveDate::from_ymd_opt(1990, 7, 15).expect("date");
        let number = IdNumber::compose("420581", born, 999);
        let floating = json!({
            "idNumber": number, "name": "王建国", "populationType": "FLOATING", "gridCode": GRID,
            "hukouPlace": "湖北省宜都市", "arrivedOn": day(-400), "residenceReason": "BUSINESS",
            "permitExpiresOn": day(90),
        });
        for (changes, field) in [
            (json!({"populationType": "REGISTERED"}), "input.hukouPlace"),
            (json!({"populationType": "FOREIGN", "hukouPlace": null}), "input.populationType"),
            (json!({"nationality": "USA"}), "input.nationality"),
        ] {
            let body = worker.graphql(&register(), with(&floating, changes.clone())).await;
            assert_eq!(user_error_field(&body).as_deref(), Some(field), "{changes}: {body:#}");
        }
        let made = worker.data(&register(), with(&floating, json!({}))).await;
        let wang = made["registerResident"]["resident"].clone();
        assert_eq!(wang["ethnicity"], "汉族", "a Chinese citizen's default");
        assert_eq!(wang["nationality"], "CHN");
        assert_eq!(wang["documentType"], "RESIDENT_ID_CARD");
        assert_eq!(wang["hukouPlace"], "湖北省宜都市");
        assert_eq!(wang["birthDate"], born.to_string());

        // Registered here at last: what only the floating carry goes, and
        // must be cleared in the same correction.
        let input = |changes: Value| {
            let mut input = json!({"id": wang["id"], "version": wang["version"], "populationType": "REGISTERED"});
            for (key, value) in changes.as_object().expect("an object") {
                input[key] = value.clone();
            }
            json!({"input": input})
        };
        let body = worker.graphql(&update(), input(json!({}))).await;
        assert_eq!(user_error_field(&body).as_deref(), Some("input.hukouPlace"), "{body:#}");
        let done = worker
            .data(
                &update(),
                input(json!({"hukouPlace": null, "arrivedOn": null, "residenceReason": null,
                    "permitExpiresOn": null})),
            )
            .await;
        let wang = &done["updateResident"]["resident"];
        assert_eq!(wang["populationType"], "REGISTERED");
        assert_eq!(wang["hukouPlace"], Value::Null);
        assert_eq!(wang["permitExpiresOn"], Value::Null);
        server
    })
    .await;
}

/// The stored residents of `grid` whose permit runs out before `before`,
/// in (date, id) order: the list's own statement.
async fn expiring(server: &TestServer, grid: &str, before: NaiveDate) -> Vec<(i64, String)> {
    let db = server.db().await;
    let mut rows: Vec<(i64, NaiveDate)> = resident::Entity::find()
        .filter(resident::Column::GridCode.eq(grid))
        .all(&db)
        .await
        .expect("residents")
        .into_iter()
        .filter_map(|row| {
            row.permit_expires_on
                .filter(|day| *day < before)
                .map(|day| (row.id, day))
        })
        .collect();
    db.close().await.expect("close");
    rows.sort_by_key(|(id, day)| (*day, *id));
    rows.into_iter()
        .map(|(id, day)| (id, day.to_string()))
        .collect()
}

#[tokio::test]
async fn the_worker_lists_the_permits_running_out_soonest_first() {
    on_each_backend(|server| async move {
        // The grid of the street with the most permits running out within
        // sixty days, as stored.
        let before = Utc::now().date_naive() + Duration::days(60);
        let db = server.db().await;
        let rows = resident::Entity::find()
            .filter(resident::Column::GridCode.starts_with("420502003"))
            .filter(resident::Column::PermitExpiresOn.lt(before))
            .all(&db)
            .await
            .expect("residents");
        db.close().await.expect("close");
        let mut per_grid = std::collections::HashMap::<String, usize>::new();
        for row in rows {
            *per_grid.entry(row.grid_code).or_default() += 1;
        }
        let (grid, _) = per_grid.into_iter().max_by_key(|(grid, n)| (*n, grid.clone())).expect("permits in the street");
        let expected = expiring(&server, &grid, before).await;
        assert!(!expected.is_empty(), "permits running out in {grid}");

        let worker = server.as_user(&format!("worker-{grid}")).await;
        let mut listed = Vec::new();
        let mut after = Value::Null;
        loop {
            let data = worker
                .data(
                    "query($before: Date!, $after: String) { residents(filter: {permitExpiresBefore: $before},
                        orderBy: {field: PERMIT_EXPIRES_ON}, first: 7, after: $after) {
                        totalCount nodes { id permitExpiresOn } pageInfo { hasNextPage endCursor } } }",
                    json!({"before": before.to_string(), "after": after}),
                )
                .await;
            let page = &data["residents"];
            assert_eq!(page["totalCount"], json!(expected.len()));
            for node in page["nodes"].as_array().expect("nodes") {
                listed.push((stored_key(&node["id"]), node["permitExpiresOn"].as_str().expect("a date").to_owned()));
            }
            if page["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(listed, expected);

        // Another grid's worker sees none of them.
        let neighbour = if grid.ends_with("001") { "420502003001002" } else { "420502003001001" };
        let other = server.as_user(&format!("worker-{neighbour}")).await;
        let theirs = other
            .data(
                "query($before: Date!) { residents(filter: {permitExpiresBefore: $before}, first: 100) {
                    nodes { id permitExpiresOn } pageInfo { hasNextPage } } }",
                json!({"before": before.to_string()}),
            )
            .await;
        assert_eq!(theirs["residents"]["pageInfo"]["hasNextPage"], false);
        let mut got: Vec<(i64, String)> = theirs["residents"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|node| (stored_key(&node["id"]), node["permitExpiresOn"].as_str().expect("a date").to_owned()))
            .collect();
        got.sort();
        let mut wanted = expiring(&server, neighbour, before).await;
        wanted.sort();
        assert_eq!(got, wanted, "their own grid's permits, none of the other's");
        server
    })
    .await;
}
