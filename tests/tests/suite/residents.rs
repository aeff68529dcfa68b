//! The population record over GraphQL: cut to the caller's grids, personal
//! data full, masked or absent by policy, unmasked reads audited, filters
//! that answer correctly and never act as an oracle.

use std::collections::BTreeSet;

use chrono::{Datelike, Utc};
use entities::resident;
use gridgov_tests::{Client, TestServer, check_character, error_code, on_each_backend};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

const PAGE: &str = "query($filter: ResidentFilter, $after: String, $first: Int) {
    residents(filter: $filter, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { id name idNumber idNumberShown phone gridCode sex age birthDate careFlags populationType } } } }";

/// Every resident a list returns, walking its pages.
async fn walk(client: &Client<'_>, filter: Value, first: i32) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = client
            .data(
                PAGE,
                json!({"filter": filter, "after": after, "first": first}),
            )
            .await;
        let list = &data["residents"];
        rows.extend(
            list["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"].clone()),
        );
        if list["pageInfo"]["hasNextPage"] != true {
            assert_eq!(list["totalCount"].as_u64(), Some(rows.len() as u64));
            return rows;
        }
        after = list["pageInfo"]["endCursor"].clone();
    }
}

async fn stored(server: &TestServer, grid_prefix: &str) -> Vec<resident::Model> {
    let db = server.db().await;
    let rows = resident::Entity::find()
        .filter(resident::Column::GridCode.starts_with(grid_prefix))
        .order_by_asc(resident::Column::GridCode)
        .order_by_asc(resident::Column::Id)
        .all(&db)
        .await
        .expect("residents");
    db.close().await.expect("close");
    rows
}

fn masked_id(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.len() == 18
        && chars[..17].iter().all(|c| *c == '*')
        && (chars[17].is_ascii_digit() || chars[17] == 'X')
}

/// The numbers an attacker who sees a masked number and what is shown
/// beside it (birth date, sex) can still not tell apart, trying every
/// address code of the city's districts and every sequence.
fn candidates(masked: &str, birth_date: &str, male: bool) -> usize {
    let birth = birth_date.replace('-', "");
    let last = masked.chars().last().unwrap_or('?');
    let mut count = 0;
    for address in ["420502", "420503", "420504", "420505", "420506"] {
        for sequence in 0..1000u32 {
            if (sequence % 2 == 1) != male {
                continue;
            }
            let first17 = format!("{address}{birth}{sequence:03}");
            if check_character(&first17) == last {
                count += 1;
            }
        }
    }
    count
}

#[tokio::test]
async fn a_worker_sees_id_numbers_masked_and_phones_in_full_and_the_police_see_both() {
    on_each_backend(|server| async move {
        let grid = "420502003001001";
        let expected = stored(&server, grid).await;
        assert!(!expected.is_empty(), "the test city has people in {grid}");

        let worker = server.as_user(&format!("worker-{grid}")).await;
        let seen = walk(&worker, json!(null), 7).await;
        let ids: Vec<&str> = seen
            .iter()
            .map(|r| r["gridCode"].as_str().unwrap_or_default())
            .collect();
        assert!(
            ids.iter().all(|code| *code == grid),
            "only their own grid: {ids:?}"
        );
        assert_eq!(seen.len(), expected.len());
        for (row, model) in seen.iter().zip(&expected) {
            assert_eq!(row["name"], model.name.as_str());
            assert_eq!(row["idNumberShown"], "MASKED");
            let shown = row["idNumber"].as_str().expect("masked number");
            assert!(masked_id(shown), "{shown}");
            assert_eq!(shown.chars().last(), model.id_number.chars().last());
            // What is shown beside the mask (birth date, sex) leaves it
            // useless: hundreds of numbers fit, even trying only this city.
            let fit = candidates(
                shown,
                row["birthDate"].as_str().expect("a birth date"),
                row["sex"] == "MALE",
            );
            assert!(fit >= 100, "{fit} numbers fit {shown}");
            // The worker calls the people of their grid.
            assert_eq!(row["phone"].as_str(), model.phone.as_deref());
            assert!(row["careFlags"].is_array(), "grid workers see care flags");
        }

        let police = server.as_user("police-420502003001").await;
        let seen = walk(&police, json!({"within": grid}), 50).await;
        assert_eq!(seen.len(), expected.len());
        for (row, model) in seen.iter().zip(&expected) {
            assert_eq!(row["idNumberShown"], "FULL");
            assert_eq!(row["idNumber"], model.id_number.as_str());
        }

        // The full reads were audited, naming the residents and the fields:
        // the worker's phones, and the police's numbers.
        let db = server.db().await;
        let audit = entities::audit_log::Entity::find()
            .filter(entities::audit_log::Column::Action.eq("resident.read_unmasked"))
            .all(&db)
            .await
            .expect("audit rows");
        db.close().await.expect("close");
        let (police_rows, worker_rows): (Vec<_>, Vec<_>) = audit
            .into_iter()
            .partition(|row| row.actor_name == "police-420502003001");
        assert!(
            expected.iter().all(|m| m.phone.is_none())
                || worker_rows
                    .iter()
                    .any(|row| row.detail["fields"] == json!(["phone"])),
            "the worker's full phones are recorded, and nothing else of theirs: {worker_rows:?}"
        );
        assert!(
            worker_rows
                .iter()
                .all(|row| row.detail["fields"] == json!(["phone"])),
            "the worker read no ID number in full: {worker_rows:?}"
        );
        let audit = police_rows;
        assert_eq!(audit.len(), 1, "one row for the police's pages");
        // The police walked one page of 50 at most per request; all of them read in full.
        let audited: BTreeSet<i64> = audit[0].detail["ids"]
            .as_array()
            .expect("residents")
            .iter()
            .filter_map(Value::as_i64)
            .collect();
        assert!(
            audited
                .iter()
                .all(|id| expected.iter().any(|m| m.id == *id))
        );
        assert_eq!(audit[0].actor_name, "police-420502003001");
        assert!(
            audit[0].detail["fields"]
                .as_array()
                .expect("fields")
                .contains(&json!("id_number"))
        );
        server
    })
    .await;
}

#[tokio::test]
async fn analysts_and_departments_see_no_residents_and_strangers_no_node() {
    on_each_backend(|server| async move {
        for user in ["analyst", "officer-market-420502", "auditor"] {
            let client = server.as_user(user).await;
            let data = client.data("{ residents { totalCount edges { node { id } } } }", json!({})).await;
            assert_eq!(data["residents"]["totalCount"], 0, "{user}");
        }
        let other = stored(&server, "420503").await;
        let admin = server.as_user("admin").await;
        let data = admin
            .data(&format!("{{ residents(filter: {{within: \"{}\"}}, first: 1) {{ edges {{ node {{ id }} }} }} }}", other[0].grid_code), json!({}))
            .await;
        let id = data["residents"]["edges"][0]["node"]["id"].clone();
        let worker = server.as_user("worker-420502003001001").await;
        let query = "query($id: ID!) { node(id: $id) { id } resident(id: $id) { id } }";
        let forbidden = worker.graphql(query, json!({"id": id})).await;
        let missing = worker.graphql(query, json!({"id": "UmVzaWRlbnQ6OTk5OTk5OTk"})).await;
        assert_eq!(forbidden, missing);
        assert_eq!(forbidden["data"]["node"], Value::Null);
        let found = admin.data(query, json!({"id": id})).await;
        assert_eq!(found["resident"]["id"], id);
        server
    })
    .await;
}

#[tokio::test]
async fn filtering_by_a_field_you_cannot_see_finds_nothing() {
    on_each_backend(|server| async move {
        let grid = "420502003001001";
        let people = stored(&server, grid).await;
        let target = &people[0];
        let worker = server.as_user(&format!("worker-{grid}")).await;
        let by_number = json!({"idNumber": target.id_number});
        assert!(
            walk(&worker, by_number.clone(), 10).await.is_empty(),
            "masked-only callers cannot confirm a number"
        );
        let police = server.as_user("police-420502003001").await;
        let found = walk(&police, by_number, 10).await;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0]["name"], target.name.as_str());

        // A number of the shape no document has is refused; one that fails
        // an ID card's check may still be another document's, and matches
        // nobody.
        assert!(
            walk(&police, json!({"idNumber": "420502198702281234"}), 10)
                .await
                .is_empty()
        );
        let body = police
            .graphql(PAGE, json!({"filter": {"idNumber": "4205-0219"}}))
            .await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"));
        assert_eq!(body["errors"][0]["extensions"]["field"], "idNumber");
        server
    })
    .await;
}

#[tokio::test]
async fn filters_return_exactly_the_matching_residents() {
    on_each_backend(|server| async move {
        let community = "420502003001";
        let people = stored(&server, community).await;
        let admin = server.as_user("admin").await;
        let today = Utc::now().date_naive();
        let age = |born: chrono::NaiveDate| {
            let mut years = today.year() - born.year();
            if (today.month(), today.day()) < (born.month(), born.day()) {
                years -= 1;
            }
            years
        };
        let names = |rows: Vec<Value>| -> Vec<String> {
            rows.iter()
                .map(|r| r["id"].as_str().unwrap_or_default().to_owned())
                .collect()
        };
        let expected_count =
            |keep: &dyn Fn(&resident::Model) -> bool| people.iter().filter(|p| keep(p)).count();

        let women_18_34 = walk(
            &admin,
            json!({"within": community, "sex": "FEMALE", "minAge": 18, "maxAge": 34}),
            100,
        )
        .await;
        assert_eq!(
            women_18_34.len(),
            expected_count(
                &|p| p.sex == resident::Sex::Female && (18..=34).contains(&age(p.birth_date))
            )
        );
        assert!(
            women_18_34
                .iter()
                .all(|r| r["sex"] == "FEMALE"
                    && (18..=34).contains(&r["age"].as_i64().unwrap_or(-1)))
        );

        let floating = walk(
            &admin,
            json!({"within": community, "populationType": "FLOATING"}),
            100,
        )
        .await;
        assert_eq!(
            floating.len(),
            expected_count(&|p| p.population_type == resident::PopulationType::Floating)
        );

        let alone = walk(
            &admin,
            json!({"within": community, "careFlags": ["ELDERLY_LIVING_ALONE"]}),
            100,
        )
        .await;
        assert_eq!(alone.len(), expected_count(&|p| p.care_flags & 1 != 0));
        assert!(alone.iter().all(|r| {
            r["careFlags"]
                .as_array()
                .is_some_and(|f| f.contains(&json!("ELDERLY_LIVING_ALONE")))
        }));

        let prefix = people[0]
            .name
            .chars()
            .next()
            .map(String::from)
            .unwrap_or_default();
        let named = walk(
            &admin,
            json!({"within": community, "namePrefix": prefix}),
            100,
        )
        .await;
        assert_eq!(
            named.len(),
            expected_count(&|p| p.name.starts_with(&prefix))
        );

        // Pages of 3 cover the community once, in (grid, id) order.
        let all = names(walk(&admin, json!({"within": community}), 3).await);
        let unique: BTreeSet<&String> = all.iter().collect();
        assert_eq!(all.len(), people.len());
        assert_eq!(unique.len(), people.len());

        let body = admin
            .graphql(PAGE, json!({"filter": {"minAge": 40, "maxAge": 30}}))
            .await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"));
        server
    })
    .await;
}

const ORDERED: &str = "query($order: ResidentOrder, $filter: ResidentFilter, $after: String) {
    residents(orderBy: $order, filter: $filter, first: 7, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id name birthDate } } } }";

const ORDERED_BACK: &str = "query($order: ResidentOrder, $filter: ResidentFilter, $before: String) {
    residents(orderBy: $order, filter: $filter, last: 7, before: $before) {
        totalCount pageInfo { hasPreviousPage startCursor } edges { node { id name birthDate } } } }";

fn names_of(list: &Value) -> Vec<String> {
    list["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| {
            format!(
                "{}|{}",
                edge["node"]["name"].as_str().expect("name"),
                edge["node"]["birthDate"].as_str().expect("birth date")
            )
        })
        .collect()
}

/// The names a client walks through, page by page, in one ordering; walked
/// back from the end, the list must give the same names.
async fn walk_ordered(client: &Client<'_>, order: Value, filter: Value) -> Vec<String> {
    let mut names = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = client
            .data(
                ORDERED,
                json!({"order": order, "filter": filter, "after": after}),
            )
            .await;
        let list = &data["residents"];
        names.extend(names_of(list));
        if list["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = list["pageInfo"]["endCursor"].clone();
    }
    let mut pages = Vec::new();
    let mut before = Value::Null;
    loop {
        let data = client
            .data(
                ORDERED_BACK,
                json!({"order": order, "filter": filter, "before": before}),
            )
            .await;
        let list = &data["residents"];
        pages.push(names_of(list));
        if list["pageInfo"]["hasPreviousPage"] != true {
            break;
        }
        before = list["pageInfo"]["startCursor"].clone();
    }
    pages.reverse();
    assert_eq!(
        pages.concat(),
        names,
        "{order}: backward gives what forward gives"
    );
    names
}

#[tokio::test]
async fn residents_walk_in_the_order_asked_for_and_filter_by_household() {
    on_each_backend(|server| async move {
        let community = "420502003001";
        let worker = server.as_user(&format!("community-{community}")).await;
        let db = server.db().await;
        let in_grid =
            || resident::Entity::find().filter(resident::Column::GridCode.starts_with(community));
        let expected = |rows: Vec<resident::Model>| {
            rows.into_iter()
                .map(|row| format!("{}|{}", row.name, row.birth_date))
                .collect::<Vec<_>>()
        };
        // The database's own collation decides the order of names.
        let by_name = expected(
            in_grid()
                .order_by_asc(resident::Column::Name)
                .order_by_asc(resident::Column::Id)
                .all(&db)
                .await
                .expect("residents"),
        );
        let by_age = expected(
            in_grid()
                .order_by_desc(resident::Column::BirthDate)
                .order_by_desc(resident::Column::Id)
                .all(&db)
                .await
                .expect("residents"),
        );
        assert!(by_name.len() > 7, "more than one page");
        assert_eq!(
            walk_ordered(&worker, json!({"field": "NAME", "direction": "ASC"}), Value::Null).await,
            by_name
        );
        assert_eq!(
            walk_ordered(
                &worker,
                json!({"field": "BIRTH_DATE", "direction": "DESC"}),
                Value::Null
            )
            .await,
            by_age
        );
        let mut by_change =
            walk_ordered(&worker, json!({"field": "UPDATED_AT", "direction": "ASC"}), Value::Null).await;
        by_change.sort();
        let mut all = by_name.clone();
        all.sort();
        assert_eq!(by_change, all, "every resident once, whatever the order");

        // A cursor belongs to its ordering.
        let data = worker
            .data(ORDERED, json!({"order": {"field": "NAME", "direction": "ASC"}}))
            .await;
        let cursor = data["residents"]["pageInfo"]["endCursor"].clone();
        let body = worker
            .graphql(ORDERED, json!({"order": {"field": "BIRTH_DATE", "direction": "ASC"}, "after": cursor}))
            .await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body:#}");

        // Filtering by household gives exactly its members.
        let member = in_grid()
            .filter(resident::Column::HouseholdId.is_not_null())
            .one(&db)
            .await
            .expect("lookup")
            .expect("a resident with a household");
        let household = member.household_id.expect("household");
        let members = expected(
            resident::Entity::find()
                .filter(resident::Column::HouseholdId.eq(household))
                .order_by_asc(resident::Column::Name)
                .order_by_asc(resident::Column::Id)
                .all(&db)
                .await
                .expect("members"),
        );
        db.close().await.expect("close");
        let data = worker
            .data(
                "query($g: String) { households(filter: {within: $g}, first: 100) { edges { node { id number } } } }",
                json!({"g": community}),
            )
            .await;
        let stored_number = {
            let db = server.db().await;
            let row = entities::household::Entity::find_by_id(household)
                .one(&db)
                .await
                .expect("lookup")
                .expect("household");
            db.close().await.expect("close");
            row.number
        };
        let household_id = data["households"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .find(|edge| edge["node"]["number"] == stored_number.as_str())
            .map(|edge| edge["node"]["id"].clone())
            .expect("the household is listed");
        assert_eq!(
            walk_ordered(
                &worker,
                json!({"field": "NAME", "direction": "ASC"}),
                json!({"householdId": household_id})
            )
            .await,
            members
        );
        server
    })
    .await;
}

/// The fields of `Resident`, each with a selection that shows it: a field
/// of an object type shows whether it is there (and a list how long it
/// is) through `__typename`. Read from the schema, so a new field is
/// checked too.
async fn resident_fields(client: &Client<'_>) -> Vec<String> {
    let data = client
        .data(
            "{ __type(name: \"Resident\") { fields { name type { kind ofType { kind ofType {
                kind ofType { kind } } } } } } }",
            json!({}),
        )
        .await;
    let fields = data["__type"]["fields"].as_array().expect("fields").clone();
    fields
        .iter()
        .map(|field| {
            let name = field["name"].as_str().expect("name");
            let mut kind = &field["type"];
            while !kind["ofType"].is_null() {
                kind = &kind["ofType"];
            }
            match kind["kind"].as_str() {
                Some("OBJECT" | "INTERFACE") => format!("{name} {{ __typename }}"),
                _ => name.to_owned(),
            }
        })
        .collect()
}

/// A page reads only the columns its fields need (the ID number, phone and
/// note stay in the database when a page shows names). Each field asked
/// alone must show on every row what it shows asked with all the others:
/// a field that reads a column it does not declare shows a blank here. The
/// pages include rows unlike a blank one (moved out, dead, returned, signed
/// off, floating, women), so that a blank cannot pass for a value.
#[tokio::test]
async fn each_field_of_a_residents_page_alone_shows_what_it_shows_among_all() {
    on_each_backend(|server| async move {
        let fields = resident_fields(&server.as_user("admin").await).await;
        assert!(fields.len() > 30, "{fields:?}");
        let filters = [
            "",
            "filter: {states: [MOVED_OUT, DECEASED]}",
            "filter: {verification: [RETURNED, SIGNED_OFF]}",
            "filter: {populationType: FLOATING, sex: FEMALE}",
        ];
        for caller in [
            "worker-420502003001001",
            "police-420502003001",
            "community-420502003001",
            "admin",
        ] {
            let client = server.as_user(caller).await;
            for filter in filters {
                let page = |selection: &str| {
                    format!("{{ residents({filter} first: 40) {{ nodes {{ {selection} }} }} }}")
                };
                let whole = client.data(&page(&fields.join(" ")), json!({})).await;
                let whole = whole["residents"]["nodes"]
                    .as_array()
                    .expect("nodes")
                    .clone();
                if filter.is_empty() || caller == "admin" {
                    assert!(whole.len() >= 4, "{caller} {filter}: {} rows", whole.len());
                }
                for field in &fields {
                    let name = field.split(' ').next().expect("a name");
                    let alone = client.data(&page(field), json!({})).await;
                    let alone: Vec<&Value> = alone["residents"]["nodes"]
                        .as_array()
                        .expect("nodes")
                        .iter()
                        .map(|row| &row[name])
                        .collect();
                    let among: Vec<&Value> = whole.iter().map(|row| &row[name]).collect();
                    assert_eq!(alone, among, "{caller} {filter}: {name} alone");
                }
            }
        }
        server
    })
    .await;
}
