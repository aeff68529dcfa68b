//! Changes to the population record over GraphQL: ID numbers checked,
//! duplicates refused, versions enforced, rights needed at both ends of a
//! move, and every change written with its audit row or not at all.

use chrono::{Days, NaiveDate, Utc};
use entities::{audit_log, resident};
use gridgov::domain::id_number::IdNumber;
use gridgov_tests::{
    Client, TestServer, error_code, on_each_backend, user_error, user_error_field,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

const GRID: &str = "420502003001001";
const NEIGHBOUR: &str = "420502003001002";

const REGISTER: &str = "mutation($input: RegisterResidentInput!) {
    registerResident(input: $input) { resident {
        id name sex birthDate idNumber idNumberShown gridCode version status
        populationType relationToHead household { id number head { id } } dwelling { id } } userErrors { field message code } } }";

const UPDATE: &str = "mutation($input: UpdateResidentInput!) {
    updateResident(input: $input) { resident {
        id name phone version relationToHead household { id } }
        userErrors { field message code } } }";

/// An update's variables: the resident as read, and the changes.
fn correction(id: &str, version: i64, changes: Value) -> Value {
    let mut input = json!({"id": id, "version": version});
    for (key, value) in changes.as_object().into_iter().flatten() {
        input[key] = value.clone();
    }
    json!({"input": input})
}

const MOVE: &str = "mutation($id: ID!, $version: Int!, $dwelling: ID, $grid: String) {
    moveResident(input: {id: $id, version: $version, toDwellingId: $dwelling, toGridCode: $grid}) { resident {
        id gridCode version dwelling { id } } userErrors { field message code } } }";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// An ID number no seeded resident has: the seed draws address codes from
/// the demo city and Hubei, this one is from Xinjiang.
fn fresh_id_number(birth: NaiveDate, sequence: u16) -> String {
    IdNumber::compose("659001", birth, sequence)
}

/// The input field a mutation's first user error names.
fn field(body: &Value) -> Option<String> {
    user_error_field(body).map(|path| path.trim_start_matches("input.").to_owned())
}

async fn first_id(client: &Client<'_>, list: &str, grid: &str) -> String {
    let data = client
        .data(
            &format!("query($g: String) {{ {list}(filter: {{within: $g}}, first: 1) {{ edges {{ node {{ id }} }} }} }}"),
            json!({"g": grid}),
        )
        .await;
    data[list]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a {list} row in {grid}"))
        .to_owned()
}

async fn audit_rows(server: &TestServer, action: &str) -> Vec<audit_log::Model> {
    let db = server.db().await;
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .all(&db)
        .await
        .expect("audit rows");
    db.close().await.expect("close");
    rows
}

async fn stored_by_id_number(server: &TestServer, id_number: &str) -> Option<resident::Model> {
    let db = server.db().await;
    let row = resident::Entity::find()
        .filter(resident::Column::IdNumber.eq(id_number))
        .one(&db)
        .await
        .expect("lookup");
    db.close().await.expect("close");
    row
}

async fn register(client: &Client<'_>, input: Value) -> Value {
    client.graphql(REGISTER, json!({"input": input})).await
}

#[tokio::test]
async fn registering_checks_the_id_number_and_refuses_a_second_registration() {
    on_each_backend(|server| async move {
        let worker = server.as_user(&format!("worker-{GRID}")).await;
        let number = fresh_id_number(day(1990, 5, 17), 123); // odd: a man
        assert!(stored_by_id_number(&server, &number).await.is_none());
        let dwelling = first_id(&worker, "dwellings", GRID).await;
        let base = json!({
            "idNumber": number, "name": "阿依古丽", "populationType": "FLOATING",
            "dwellingId": dwelling, "phone": "138 1234 5678",
        });
        let with = |extra: Value| {
            let mut input = base.clone();
            for (key, value) in extra.as_object().expect("object") {
                input[key] = value.clone();
            }
            input
        };

        let mut broken = number.clone();
        broken.replace_range(17..18, if number.ends_with('0') { "1" } else { "0" });
        for (input, expected_field, code) in [
            (with(json!({"idNumber": broken})), "idNumber", "INVALID"),
            (with(json!({"sex": "FEMALE"})), "sex", "INVALID"),
            (with(json!({"birthDate": "1990-05-18"})), "birthDate", "INVALID"),
            (with(json!({"name": "  "})), "name", "INVALID"),
            (with(json!({"phone": "12345"})), "phone", "INVALID"),
            (with(json!({"gridCode": NEIGHBOUR})), "gridCode", "INVALID"),
            (
                with(json!({"idNumber": fresh_id_number(Utc::now().date_naive() + Days::new(30), 1)})),
                "idNumber",
                "INVALID",
            ),
        ] {
            let body = register(&worker, input).await;
            assert_eq!(error_code(&body), None, "{body:#}");
            assert_eq!(user_error(&body), Some(code), "{body:#}");
            assert_eq!(field(&body).as_deref(), Some(expected_field), "{body:#}");
            assert_eq!(body["data"]["registerResident"]["resident"], Value::Null);
        }
        assert!(stored_by_id_number(&server, &number).await.is_none());
        assert!(audit_rows(&server, "resident.register").await.is_empty());

        let body = register(&worker, with(json!({"sex": "MALE", "birthDate": "1990-05-17"}))).await;
        let created = &body["data"]["registerResident"]["resident"];
        assert_eq!(created["sex"], "MALE", "{body:#}");
        assert_eq!(created["birthDate"], "1990-05-17");
        assert_eq!(created["gridCode"], GRID, "the dwelling decides the grid");
        assert_eq!(created["dwelling"]["id"], dwelling.as_str());
        assert_eq!(created["version"], 1);
        assert_eq!(created["status"], "ACTIVE");
        assert_eq!(created["idNumberShown"], "MASKED");
        let stored = stored_by_id_number(&server, &number)
            .await
            .expect("stored");
        assert_eq!(stored.phone.as_deref(), Some("13812345678"));
        assert_eq!(stored.ethnicity, "汉族");
        let audited = audit_rows(&server, "resident.register").await;
        assert_eq!(audited.len(), 1);
        assert_eq!(audited[0].object_id, Some(stored.id.to_string()));
        assert_eq!(audited[0].actor_name, format!("worker-{GRID}"));
        assert_eq!(audited[0].area_code.as_deref(), Some(GRID));

        // The same person again, even in lower case: refused, naming the field.
        let body = register(&worker, with(json!({"idNumber": number.to_lowercase()}))).await;
        assert_eq!(user_error(&body), Some("TAKEN"), "{body:#}");
        assert_eq!(field(&body).as_deref(), Some("idNumber"));
        assert_eq!(audit_rows(&server, "resident.register").await.len(), 1);

        // Another grid's worker may not register into this grid — which it
        // cannot see, so it is told what it would be told of a grid that does
        // not exist — and cannot even point at its dwellings.
        let other = server.as_user(&format!("worker-{NEIGHBOUR}")).await;
        let second = fresh_id_number(day(1991, 1, 2), 124);
        let body = register(
            &other,
            json!({"idNumber": second, "name": "张三", "populationType": "REGISTERED", "gridCode": GRID}),
        )
        .await;
        assert_eq!(field(&body).as_deref(), Some("gridCode"), "{body:#}");
        let body = register(
            &other,
            json!({"idNumber": second, "name": "张三", "populationType": "REGISTERED", "dwellingId": dwelling}),
        )
        .await;
        assert_eq!(field(&body).as_deref(), Some("dwellingId"), "{body:#}");
        // The police of the grid read residents but do not register them.
        let police = server.as_user("police-420502003001").await;
        let body = register(
            &police,
            json!({"idNumber": second, "name": "张三", "populationType": "REGISTERED", "gridCode": GRID}),
        )
        .await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body:#}");
        assert!(stored_by_id_number(&server, &second).await.is_none());
        server
    })
    .await;
}

#[tokio::test]
async fn an_update_names_the_version_it_read_and_exactly_one_concurrent_writer_wins() {
    on_each_backend(|server| async move {
        let worker = server.as_user(&format!("worker-{GRID}")).await;
        let data = worker
            .data(
                "query($g: String) { residents(filter: {within: $g, states: [ACTIVE]}, first: 1) {
                    edges { node { id name version } } } }",
                json!({"g": GRID}),
            )
            .await;
        let node = &data["residents"]["edges"][0]["node"];
        let id = node["id"].as_str().expect("id").to_owned();
        let version = node["version"].as_i64().expect("version");

        let body = worker
            .graphql(
                UPDATE,
                correction(
                    &id,
                    version,
                    json!({"name": "李娜", "phone": "0717-6221234"}),
                ),
            )
            .await;
        let updated = &body["data"]["updateResident"]["resident"];
        assert_eq!(updated["name"], "李娜", "{body:#}");
        assert_eq!(updated["version"], version + 1);
        assert_eq!(
            updated["phone"], "0717-6221234",
            "the worker sees the phones of their grid"
        );

        // The version read before that update is stale now.
        let body = worker
            .graphql(UPDATE, correction(&id, version, json!({"name": "王五"})))
            .await;
        assert_eq!(user_error(&body), Some("CONFLICT"), "{body:#}");
        assert_eq!(field(&body).as_deref(), Some("version"));

        // Two writers of one version at once: one wins, one is told.
        let current = version + 1;
        let (a, b) = tokio::join!(
            worker.graphql(UPDATE, correction(&id, current, json!({"name": "甲"}))),
            worker.graphql(UPDATE, correction(&id, current, json!({"name": "乙"}))),
        );
        assert!(
            error_code(&a).is_none() && error_code(&b).is_none(),
            "{a:#} {b:#}"
        );
        let codes = [user_error(&a), user_error(&b)];
        assert_eq!(
            codes.iter().filter(|code| code.is_none()).count(),
            1,
            "{a:#} {b:#}"
        );
        assert!(codes.contains(&Some("CONFLICT")), "{a:#} {b:#}");
        let winner = if user_error(&a).is_none() { &a } else { &b };
        let db = server.db().await;
        let key: i64 = audit_rows(&server, "resident.update").await[0]
            .object_id
            .as_deref()
            .and_then(|id| id.parse().ok())
            .expect("the audited resident");
        let stored = resident::Entity::find_by_id(key)
            .one(&db)
            .await
            .expect("lookup")
            .expect("stored");
        db.close().await.expect("close");
        assert_eq!(stored.version as i64, current + 1);
        assert_eq!(
            stored.name,
            winner["data"]["updateResident"]["resident"]["name"]
                .as_str()
                .expect("name")
        );
        assert_eq!(
            audit_rows(&server, "resident.update").await.len(),
            2,
            "one audit row per change that happened, none for refusals"
        );

        // Nothing to change, and the wrong kind of ID, are input errors.
        let body = worker
            .graphql(UPDATE, correction(&id, current + 1, json!({})))
            .await;
        assert_eq!(user_error(&body), Some("NOTHING_TO_CHANGE"), "{body:#}");
        let household = first_id(&worker, "households", GRID).await;
        let body = worker
            .graphql(UPDATE, correction(&household, 1, json!({"name": "x"})))
            .await;
        assert_eq!(field(&body).as_deref(), Some("id"), "{body:#}");

        // Someone who cannot see the resident learns nothing; someone who
        // can see but not change them is refused.
        let other = server.as_user(&format!("worker-{NEIGHBOUR}")).await;
        let body = other
            .graphql(UPDATE, correction(&id, current + 1, json!({"name": "x"})))
            .await;
        assert_eq!(user_error(&body), Some("NOT_FOUND"), "{body:#}");
        let police = server.as_user("police-420502003001").await;
        let body = police
            .graphql(UPDATE, correction(&id, current + 1, json!({"name": "x"})))
            .await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body:#}");
        server
    })
    .await;
}

#[tokio::test]
async fn a_move_needs_rights_in_both_grids() {
    on_each_backend(|server| async move {
        let worker = server.as_user(&format!("worker-{GRID}")).await;
        let data = worker
            .data(
                "query($g: String) { residents(filter: {within: $g, states: [ACTIVE]}, first: 1) {
                    edges { node { id version gridCode } } } }",
                json!({"g": GRID}),
            )
            .await;
        let node = &data["residents"]["edges"][0]["node"];
        let id = node["id"].as_str().expect("id").to_owned();
        let version = node["version"].as_i64().expect("version");
        let admin = server.as_user("admin").await;
        let target = first_id(&admin, "dwellings", NEIGHBOUR).await;

        // The neighbouring grid is out of the worker's reach.
        let body = worker
            .graphql(MOVE, json!({"id": id, "version": version, "dwelling": target}))
            .await;
        assert_eq!(field(&body).as_deref(), Some("toDwellingId"), "{body:#}");
        let body = worker
            .graphql(MOVE, json!({"id": id, "version": version, "grid": NEIGHBOUR}))
            .await;
        assert_eq!(field(&body).as_deref(), Some("toGridCode"), "{body:#}");
        assert!(audit_rows(&server, "resident.move").await.is_empty());

        // Given the neighbouring grid too, the same worker can.
        admin
            .data(
                "mutation($input: RoleAssignmentInput!) { assignRole(input: $input) { roleAssignment { id } } }",
                json!({"input": {"comment": "test", "subject": gridgov_tests::subject(&format!("user:worker-{GRID}")), "role": "grid_worker", "area": NEIGHBOUR}}),
            )
            .await;
        let body = worker
            .graphql(MOVE, json!({"id": id, "version": version, "dwelling": target}))
            .await;
        let moved = &body["data"]["moveResident"]["resident"];
        assert_eq!(moved["gridCode"], NEIGHBOUR, "{body:#}");
        assert_eq!(moved["dwelling"]["id"], target.as_str());
        assert_eq!(moved["version"], version + 1);
        let audited = audit_rows(&server, "resident.move").await;
        assert_eq!(audited.len(), 1);
        assert_eq!(audited[0].detail["from"]["grid"], GRID);
        assert_eq!(audited[0].detail["to"]["grid"], NEIGHBOUR);

        // The neighbour's own worker now has them on the list.
        let neighbour = server.as_user(&format!("worker-{NEIGHBOUR}")).await;
        let seen = neighbour
            .data(
                "query($id: ID!) { resident(id: $id) { gridCode } }",
                json!({"id": id}),
            )
            .await;
        assert_eq!(seen["resident"]["gridCode"], NEIGHBOUR);
        server
    })
    .await;
}

const HOUSEHOLD: &str = "query($g: String) { households(filter: {within: $g}, first: 100) {
    edges { node { id number version head { id version }
    members { nodes { id version status relationToHead } } } } } }";

#[tokio::test]
async fn births_move_outs_and_deaths_keep_the_household_whole() {
    on_each_backend(|server| async move {
        let worker = server.as_user(&format!("worker-{GRID}")).await;
        // A family of two, registered through the API.
        let body = worker
            .graphql(
                "mutation($g: String!) { createHousehold(input: {gridCode: $g, address: \"西陵一路 8 号\"}) { household {
                    id version } userErrors { field message code } } }",
                json!({"g": GRID}),
            )
            .await;
        let household = body["data"]["createHousehold"]["household"].clone();
        let household_id = household["id"].as_str().expect("a household");
        let mut family = Vec::new();
        for (sequence, relation, birth) in [(11, "HEAD", day(1985, 6, 1)), (12, "SPOUSE", day(1986, 7, 2))] {
            let body = register(
                &worker,
                json!({"idNumber": fresh_id_number(birth, sequence), "name": "家人",
                       "populationType": "REGISTERED", "gridCode": GRID,
                       "householdId": household_id, "relationToHead": relation}),
            )
            .await;
            assert!(body.get("errors").is_none(), "{body:#}");
            family.push(json!({"id": body["data"]["registerResident"]["resident"]["id"], "version": 1}));
        }
        let (head, member) = (family[0].clone(), family[1].clone());
        let household = json!({"id": household_id, "version": 2});

        // A birth: into the household, living where it lives.
        let newborn = fresh_id_number(Utc::now().date_naive() - Days::new(10), 2);
        let birth = "mutation($input: RecordBirthInput!) { recordBirth(input: $input) { resident {
            id gridCode populationType relationToHead household { id } birthDate } userErrors { field message code } } }";
        let body = worker
            .graphql(
                birth,
                json!({"input": {"idNumber": newborn, "name": "小宝", "householdId": household_id}}),
            )
            .await;
        let born = &body["data"]["recordBirth"]["resident"];
        assert_eq!(born["relationToHead"], "CHILD", "{body:#}");
        assert_eq!(born["populationType"], "REGISTERED");
        assert_eq!(born["gridCode"], GRID);
        assert_eq!(born["household"]["id"], household_id);
        let too_old = fresh_id_number(day(2020, 1, 1), 4);
        let body = worker
            .graphql(
                birth,
                json!({"input": {"idNumber": too_old, "name": "大宝", "householdId": household_id}}),
            )
            .await;
        assert_eq!(field(&body).as_deref(), Some("idNumber"), "{body:#}");
        assert_eq!(audit_rows(&server, "resident.birth").await.len(), 1);

        // The head cannot leave while others stay.
        let move_out = "mutation($id: ID!, $v: Int!, $d: Date!) {
            recordMoveOut(input: {id: $id, version: $v, date: $d, destination: \"武汉市\"}) {
                transfer { resident { status statusDate version } } userErrors { field message code } } }";
        let today = Utc::now().date_naive().to_string();
        let body = worker
            .graphql(move_out, json!({"id": head["id"], "v": head["version"], "d": today}))
            .await;
        assert_eq!(user_error(&body), Some("INVALID_STATE"), "{body:#}");

        // Make the member head; the old head can go then.
        let body = worker
            .graphql(
                "mutation($id: ID!, $v: Int!, $head: ID!) {
                    updateHousehold(input: {id: $id, version: $v, headResidentId: $head}) { household {
                        version head { id relationToHead } } userErrors { field message code } } }",
                json!({"id": household_id, "v": household["version"], "head": member["id"]}),
            )
            .await;
        let updated = &body["data"]["updateHousehold"]["household"];
        assert_eq!(updated["head"]["id"], member["id"], "{body:#}");
        assert_eq!(updated["head"]["relationToHead"], "HEAD");
        let data = worker.data(HOUSEHOLD, json!({"g": GRID})).await;
        let refreshed = data["households"]["edges"]
            .as_array()
            .expect("households")
            .iter()
            .map(|edge| &edge["node"])
            .find(|node| node["id"] == household_id)
            .expect("the household")
            .clone();
        let old_head = refreshed["members"]["nodes"]
            .as_array()
            .expect("members")
            .iter()
            .find(|m| m["id"] == head["id"])
            .expect("the old head is still a member")
            .clone();
        assert_eq!(old_head["relationToHead"], "OTHER");
        assert_eq!(
            refreshed["members"]["nodes"]
                .as_array()
                .expect("members")
                .iter()
                .filter(|m| m["relationToHead"] == "HEAD")
                .count(),
            1,
            "one head at a time"
        );
        let body = worker
            .graphql(move_out, json!({"id": old_head["id"], "v": old_head["version"], "d": today}))
            .await;
        let moved = &body["data"]["recordMoveOut"]["transfer"]["resident"];
        assert_eq!(moved["status"], "MOVED_OUT", "{body:#}");
        assert_eq!(moved["statusDate"], today.as_str());

        // A death; dying twice, or in the future, is refused.
        let death = "mutation($id: ID!, $v: Int!, $d: Date!) {
            recordDeath(input: {id: $id, version: $v, date: $d}) { resident { status version } userErrors { field message code } } }";
        let newborn_row = stored_by_id_number(&server, &newborn).await.expect("stored");
        let newborn_id = born["id"].clone();
        let tomorrow = (Utc::now().date_naive() + Days::new(1)).to_string();
        let body = worker
            .graphql(death, json!({"id": newborn_id, "v": newborn_row.version, "d": tomorrow}))
            .await;
        assert_eq!(field(&body).as_deref(), Some("date"), "{body:#}");
        let body = worker
            .graphql(death, json!({"id": newborn_id, "v": newborn_row.version, "d": today}))
            .await;
        assert_eq!(body["data"]["recordDeath"]["resident"]["status"], "DECEASED", "{body:#}");
        let body = worker
            .graphql(death, json!({"id": newborn_id, "v": newborn_row.version + 1, "d": today}))
            .await;
        assert_eq!(user_error(&body), Some("INVALID_STATE"), "{body:#}");
        assert_eq!(audit_rows(&server, "resident.death").await.len(), 1);
        assert_eq!(audit_rows(&server, "resident.move_out").await.len(), 1);
        server
    })
    .await;
}

/// A new building in the grid, coded with the grid's next number.
async fn a_new_building(worker: &Client<'_>) -> Value {
    let body = worker
        .graphql(
            "mutation($g: String!) { createBuilding(input: {gridCode: $g, name: \"新楼\",
                address: \"夷陵路 1 号\", floors: 6, units: 2}) { building { id code gridCode useKind version } userErrors { field message code } } }",
            json!({"g": GRID}),
        )
        .await;
    let building = body["data"]["createBuilding"]["building"].clone();
    let code = building["code"].as_str().expect("a code");
    assert!(code.starts_with(GRID) && code.len() == 20, "{body:#}");
    assert_eq!(building["useKind"], "RESIDENTIAL");
    building
}

/// Dwellings keep to their building, one room number per unit, a lessor
/// only when rented (shown to the worker masked); leaving RENTED drops it.
async fn dwellings_keep_their_rules(worker: &Client<'_>, building: &Value) -> Value {
    let create_dwelling = "mutation($input: CreateDwellingInput!) {
        createDwelling(input: $input) { dwelling { id occupancy lessorName lessorPhone version gridCode } userErrors { field message code } } }";
    let input = |extra: Value| {
        let mut input = json!({"buildingId": building["id"], "unit": 1, "floor": 3, "room": "301"});
        for (key, value) in extra.as_object().expect("object") {
            input[key] = value.clone();
        }
        json!({"input": input})
    };
    for (extra, expected) in [
        (json!({"occupancy": "RENTED"}), "lessorName"),
        (json!({"floor": 0}), "floor"),
        (json!({"floor": 7}), "floor"),
        (json!({"unit": 3}), "unit"),
        (json!({"lessorName": "房东"}), "lessorName"),
    ] {
        let body = worker.graphql(create_dwelling, input(extra)).await;
        assert_eq!(field(&body).as_deref(), Some(expected), "{body:#}");
    }
    let body = worker
        .graphql(
            create_dwelling,
            input(json!({"occupancy": "RENTED", "lessorName": "房东", "lessorPhone": "139 1234 5678"})),
        )
        .await;
    let dwelling = body["data"]["createDwelling"]["dwelling"].clone();
    assert_eq!(dwelling["lessorName"], "房东", "{body:#}");
    assert_eq!(
        dwelling["lessorPhone"], "13912345678",
        "the worker who typed the lessor's number gets it back"
    );
    assert_eq!(dwelling["gridCode"], GRID);
    let body = worker.graphql(create_dwelling, input(json!({}))).await;
    assert_eq!(
        field(&body).as_deref(),
        Some("room"),
        "one room 301 per unit: {body:#}"
    );
    let body = worker
        .graphql(
            "mutation($id: ID!, $v: Int!) { updateDwelling(input: {id: $id, version: $v, occupancy: VACANT}) { dwelling { occupancy lessorName version } userErrors { field message code } } }",
            json!({"id": dwelling["id"], "v": dwelling["version"]}),
        )
        .await;
    assert_eq!(
        body["data"]["updateDwelling"]["dwelling"]["occupancy"], "VACANT",
        "{body:#}"
    );
    assert_eq!(
        body["data"]["updateDwelling"]["dwelling"]["lessorName"],
        Value::Null
    );
    dwelling
}

/// The building cannot shrink below its dwellings.
async fn the_building_cannot_shrink_below_its_dwellings(worker: &Client<'_>, building: &Value) {
    let body = worker
        .graphql(
            "mutation($id: ID!, $v: Int!) { updateBuilding(input: {id: $id, version: $v, floors: 2}) { building { floors } userErrors { field message code } } }",
            json!({"id": building["id"], "v": building["version"]}),
        )
        .await;
    assert_eq!(field(&body).as_deref(), Some("floors"), "{body:#}");
}

/// A household in the new dwelling, numbered by the grid, headed by its
/// first member and by one member only.
async fn a_household_with_one_head(worker: &Client<'_>, dwelling: &Value) {
    let body = worker
        .graphql(
            "mutation($d: ID!) { createHousehold(input: {dwellingId: $d, address: \"夷陵路 1 号 301\"}) { household {
                id number gridCode kind head { id } } userErrors { field message code } } }",
            json!({"d": dwelling["id"]}),
        )
        .await;
    let household = body["data"]["createHousehold"]["household"].clone();
    assert!(
        household["number"]
            .as_str()
            .is_some_and(|n| n.starts_with(GRID)),
        "{body:#}"
    );
    assert_eq!(household["kind"], "FAMILY");
    assert_eq!(household["head"], Value::Null);
    let body = register(
        worker,
        json!({"idNumber": fresh_id_number(day(1980, 3, 3), 5), "name": "赵六",
               "populationType": "REGISTERED", "dwellingId": dwelling["id"],
               "householdId": household["id"], "relationToHead": "HEAD"}),
    )
    .await;
    let head = &body["data"]["registerResident"]["resident"];
    assert_eq!(head["household"]["head"]["id"], head["id"], "{body:#}");
    let body = register(
        worker,
        json!({"idNumber": fresh_id_number(day(1982, 4, 4), 6), "name": "钱七",
               "populationType": "REGISTERED", "dwellingId": dwelling["id"],
               "householdId": household["id"], "relationToHead": "HEAD"}),
    )
    .await;
    assert_eq!(
        field(&body).as_deref(),
        Some("relationToHead"),
        "one head: {body:#}"
    );
}

/// An organisation: an expiry needs a licence number; a licence past its
/// expiry reads EXPIRED.
async fn an_organisation_and_its_licence(worker: &Client<'_>, building: &Value) {
    let create_org = "mutation($input: CreateOrganisationInput!) {
        createOrganisation(input: $input) { organisation { id licenceState gridCode building { id } version } userErrors { field message code } } }";
    let org = json!({"name": "好味餐馆", "kind": "FOOD", "buildingId": building["id"],
                     "address": "夷陵路 1 号", "legalRepresentative": "孙八"});
    let mut expiring = org.clone();
    expiring["licenceExpiresOn"] = json!("2030-01-01");
    let body = worker.graphql(create_org, json!({"input": expiring})).await;
    assert_eq!(
        field(&body).as_deref(),
        Some("licenceExpiresOn"),
        "{body:#}"
    );
    let body = worker.graphql(create_org, json!({"input": org})).await;
    let created = body["data"]["createOrganisation"]["organisation"].clone();
    assert_eq!(created["licenceState"], "NONE", "{body:#}");
    assert_eq!(created["gridCode"], GRID);
    let licence =
        |number: &str| json!({"id": created["id"], "v": created["version"], "number": number});
    let update = "mutation($id: ID!, $v: Int!, $number: String) { updateOrganisation(input: {id: $id, version: $v, licenceNumber: $number, licenceExpiresOn: \"2020-01-01\"}) { organisation {
                licenceState version } userErrors { field message code } } }";
    // A unified social credit code carries its check character (GB 32100):
    // one character off, a short one, one with a letter the code never uses.
    // And the organisation code inside it carries its own (GB 11714).
    for wrong in [
        "91420502MA4F00008R",
        "91420502MA4F00008",
        "91420502MA4F0000I8",
        "91420502MA4F000013",
    ] {
        let body = worker.graphql(update, licence(wrong)).await;
        assert_eq!(
            field(&body).as_deref(),
            Some("licenceNumber"),
            "{wrong}: {body:#}"
        );
    }
    let body = worker.graphql(update, licence("91420502MA4F00008Q")).await;
    assert_eq!(
        body["data"]["updateOrganisation"]["organisation"]["licenceState"], "EXPIRED",
        "{body:#}"
    );
}

/// The grid shows its new building, with its dwelling, and its worker.
async fn the_grid_shows_its_new_building(worker: &Client<'_>, building: &Value, dwelling: &Value) {
    let data = worker
        .data(
            "query($g: String!) { grid(code: $g) { worker { username }
                buildings(first: 100) { nodes { code dwellings { nodes { id } } } } } }",
            json!({"g": GRID}),
        )
        .await;
    assert_eq!(data["grid"]["worker"]["username"], format!("worker-{GRID}"));
    let listed = data["grid"]["buildings"]["nodes"]
        .as_array()
        .expect("buildings")
        .iter()
        .find(|b| b["code"] == building["code"])
        .expect("the new building is listed")
        .clone();
    assert_eq!(listed["dwellings"]["nodes"][0]["id"], dwelling["id"]);
}

/// Every change above has its audit row, and only those; the list of
/// households counts what is stored.
async fn every_change_has_its_audit_row(server: &TestServer, worker: &Client<'_>) {
    for (action, expected) in [
        ("building.create", 1),
        ("dwelling.create", 1),
        ("dwelling.update", 1),
        ("building.update", 0),
        ("household.create", 1),
        ("resident.register", 1),
        ("organisation.create", 1),
        ("organisation.update", 1),
    ] {
        assert_eq!(audit_rows(server, action).await.len(), expected, "{action}");
    }
    let db = server.db().await;
    let households = entities::household::Entity::find()
        .filter(entities::household::Column::GridCode.eq(GRID))
        .count(&db)
        .await
        .expect("count");
    db.close().await.expect("close");
    let data = worker
        .data(
            "query($g: String) { households(filter: {within: $g}) { totalCount } }",
            json!({"g": GRID}),
        )
        .await;
    assert_eq!(data["households"]["totalCount"].as_u64(), Some(households));
}

#[tokio::test]
async fn households_buildings_dwellings_and_organisations_are_kept_by_the_worker() {
    on_each_backend(|server| async move {
        {
            let worker = server.as_user(&format!("worker-{GRID}")).await;
            let building = a_new_building(&worker).await;
            let dwelling = dwellings_keep_their_rules(&worker, &building).await;
            the_building_cannot_shrink_below_its_dwellings(&worker, &building).await;
            a_household_with_one_head(&worker, &dwelling).await;
            an_organisation_and_its_licence(&worker, &building).await;
            the_grid_shows_its_new_building(&worker, &building, &dwelling).await;
            every_change_has_its_audit_row(&server, &worker).await;
        }
        server
    })
    .await;
}
