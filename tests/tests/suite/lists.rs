//! One shape for every list: each ordering of each list, walked forward
//! (`first`/`after`) and back (`last`/`before`), gives the same rows, each
//! once, in an order the rows themselves show, as many as `totalCount`
//! says; lists held by an object page the same way.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use gridgov_tests::{Client, TestServer, department_id, error_code, on_each_backend};
use serde_json::{Value, json};

/// How a row shows the value it is ordered by, so the test can check the
/// order without asking the server how it orders.
#[derive(Clone, Copy)]
enum Shown {
    /// Not shown (an id, a change time the type does not carry): only
    /// forward = backward and completeness are checked.
    Hidden,
    /// Text of digits and ASCII (codes, ISO dates, numbers with a fixed
    /// width): byte order is the order.
    Ascii(&'static str),
    /// An instant; `null` (no deadline yet) sorts after every instant.
    Instant(&'static str),
    /// An ISO date; `null` (no permit) sorts after every date.
    Day(&'static str),
}

struct List {
    /// The list's field and the arguments that pick its rows.
    field: &'static str,
    filter: &'static str,
    orderings: &'static [(&'static str, Shown)],
    /// Who lists it.
    caller: &'static str,
}

const LISTS: &[List] = &[
    List {
        field: "areas",
        filter: "",
        orderings: &[("CODE", Shown::Ascii("code")), ("NAME", Shown::Hidden)],
        caller: "admin",
    },
    List {
        field: "grids",
        filter: r#"filter: {within: "420502"}"#,
        orderings: &[("CODE", Shown::Ascii("code")), ("NAME", Shown::Hidden)],
        caller: "admin",
    },
    List {
        field: "residents",
        filter: r#"filter: {within: "420502003001"}"#,
        orderings: &[
            ("GRID", Shown::Ascii("gridCode")),
            ("NAME", Shown::Hidden),
            ("BIRTH_DATE", Shown::Ascii("birthDate")),
            ("UPDATED_AT", Shown::Instant("updatedAt")),
            ("PERMIT_EXPIRES_ON", Shown::Day("permitExpiresOn")),
        ],
        caller: "admin",
    },
    List {
        field: "households",
        filter: r#"filter: {within: "420502003"}"#,
        orderings: &[
            ("GRID", Shown::Ascii("gridCode")),
            ("NUMBER", Shown::Hidden),
            ("UPDATED_AT", Shown::Hidden),
        ],
        caller: "admin",
    },
    List {
        field: "dwellings",
        filter: r#"filter: {within: "420502003"}"#,
        orderings: &[
            ("GRID", Shown::Ascii("gridCode")),
            ("BUILDING", Shown::Hidden),
            ("UPDATED_AT", Shown::Hidden),
        ],
        caller: "admin",
    },
    List {
        field: "buildings",
        filter: r#"filter: {within: "420502003"}"#,
        orderings: &[
            ("GRID", Shown::Ascii("gridCode")),
            ("CODE", Shown::Ascii("code")),
            ("NAME", Shown::Hidden),
        ],
        caller: "admin",
    },
    List {
        field: "organisations",
        filter: r#"filter: {within: "420502"}"#,
        orderings: &[("GRID", Shown::Ascii("gridCode")), ("NAME", Shown::Hidden)],
        caller: "admin",
    },
    List {
        field: "cases",
        filter: "",
        orderings: &[
            ("REPORTED_AT", Shown::Instant("createdAt")),
            ("DEADLINE", Shown::Instant("deadlineAt")),
            ("UPDATED_AT", Shown::Instant("updatedAt")),
        ],
        caller: "admin",
    },
    List {
        field: "tasks",
        filter: "",
        orderings: &[
            ("SENT_AT", Shown::Instant("createdAt")),
            ("DEADLINE", Shown::Instant("deadlineAt")),
        ],
        caller: "admin",
    },
    List {
        field: "myAssignments",
        filter: "",
        orderings: &[
            ("AREA", Shown::Ascii("areaCode")),
            ("UPDATED_AT", Shown::Hidden),
        ],
        caller: "worker-420502003001001",
    },
    List {
        field: "policies",
        filter: "",
        orderings: &[("ID", Shown::Hidden), ("ROLE", Shown::Hidden)],
        caller: "admin",
    },
    List {
        field: "roleAssignments",
        filter: "",
        orderings: &[
            ("ID", Shown::Hidden),
            ("SUBJECT", Shown::Hidden),
            ("ROLE", Shown::Hidden),
        ],
        caller: "admin",
    },
    List {
        field: "apiTokens",
        filter: "",
        orderings: &[
            ("ID", Shown::Hidden),
            ("NAME", Shown::Hidden),
            ("EXPIRES_AT", Shown::Instant("expiresAt")),
        ],
        caller: "admin",
    },
];

/// The fields a row is asked for: its id and what it is ordered by.
fn selection(list: &List) -> String {
    let mut fields = vec!["id".to_owned()];
    for (_, shown) in list.orderings {
        match shown {
            Shown::Ascii(field) | Shown::Instant(field) | Shown::Day(field) => {
                fields.push((*field).to_owned())
            }
            Shown::Hidden => {}
        }
    }
    fields.join(" ")
}

/// Every row of one ordering of a list, walked one way with pages of
/// `size`, in the list's order; and the list's `totalCount`.
async fn walk(
    client: &Client<'_>,
    field: &str,
    args: &str,
    select: &str,
    size: usize,
    backward: bool,
) -> (Vec<Value>, u64) {
    let (paging, more, next) = if backward {
        (
            format!("last: {size}, before: $cursor"),
            "hasPreviousPage",
            "startCursor",
        )
    } else {
        (
            format!("first: {size}, after: $cursor"),
            "hasNextPage",
            "endCursor",
        )
    };
    let separator = if args.is_empty() { "" } else { ", " };
    let query = format!(
        "query($cursor: String) {{ list: {field}({args}{separator}{paging}) {{ totalCount
            pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
            edges {{ cursor node {{ {select} }} }} }} }}"
    );
    let mut pages: Vec<Vec<Value>> = Vec::new();
    let mut cursor = Value::Null;
    let mut totals = BTreeSet::new();
    loop {
        let data = client.data(&query, json!({"cursor": cursor})).await;
        let list = &data["list"];
        // Every page, first or after a cursor, either way, counts the
        // whole list.
        totals.insert(list["totalCount"].as_u64().expect("totalCount"));
        assert_eq!(totals.len(), 1, "{field}({args}): totalCount page by page");
        let edges = list["edges"].as_array().expect("edges");
        assert!(
            edges.len() <= size,
            "{field}({args}): a page holds at most {size}"
        );
        let info = &list["pageInfo"];
        if let (Some(first), Some(last)) = (edges.first(), edges.last()) {
            assert_eq!(info["startCursor"], first["cursor"], "{field}: startCursor");
            assert_eq!(info["endCursor"], last["cursor"], "{field}: endCursor");
        }
        // The side the walk came from has more; the side it goes to has
        // more exactly when the walk goes on.
        let came_from = if backward {
            "hasNextPage"
        } else {
            "hasPreviousPage"
        };
        assert_eq!(
            info[came_from],
            !cursor.is_null(),
            "{field}({args}): {came_from}"
        );
        pages.push(edges.iter().map(|edge| edge["node"].clone()).collect());
        if info[more] != true {
            if backward {
                pages.reverse();
            }
            let total = list["totalCount"].as_u64().expect("totalCount");
            return (pages.concat(), total);
        }
        cursor = info[next].clone();
    }
}

fn instant(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str().map(|text| {
        DateTime::parse_from_rfc3339(text)
            .expect("an RFC 3339 instant")
            .with_timezone(&Utc)
    })
}

/// Whether `rows` run in `direction` by what `shown` names.
fn in_order(rows: &[Value], shown: Shown, descending: bool) -> Result<(), String> {
    for pair in rows.windows(2) {
        let ordering = match shown {
            Shown::Hidden => return Ok(()),
            Shown::Ascii(field) => pair[0][field]
                .as_str()
                .expect(field)
                .cmp(pair[1][field].as_str().expect(field)),
            // `None` (no value) after every instant: Option orders None
            // first, so compare the flipped presence first.
            Shown::Instant(field) => {
                let (a, b) = (instant(&pair[0][field]), instant(&pair[1][field]));
                a.is_none().cmp(&b.is_none()).then(a.cmp(&b))
            }
            Shown::Day(field) => {
                let (a, b) = (pair[0][field].as_str(), pair[1][field].as_str());
                a.is_none().cmp(&b.is_none()).then(a.cmp(&b))
            }
        };
        let wrong = if descending {
            ordering.is_lt()
        } else {
            ordering.is_gt()
        };
        if wrong {
            return Err(format!("{} before {}", pair[0], pair[1]));
        }
    }
    Ok(())
}

fn ids(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|row| row["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Tasks (to a worker and to a department, named by its ID) and API tokens
/// enough to page, with deadlines and expiries that differ.
async fn a_few_tasks_and_tokens(server: &TestServer) {
    let operator = server.as_user("operator").await;
    let police = department_id(&operator, "police-420502").await;
    for n in 1..=5 {
        let deadline = (Utc::now() + chrono::Duration::days(7 - n)).to_rfc3339();
        operator
            .data(
                "mutation($input: SendTaskInput!) { sendTask(input: $input) { task { id } userErrors { field message code } } }",
                json!({"input": {"title": format!("排查 {n}"), "body": "x", "kind": "INSTRUCTION",
                    "deadlineAt": deadline,
                    "targets": {"workers": ["worker-420502003001001"], "departments": [police]}}}),
            )
            .await;
    }
    // The department's officer has the department's assignments.
    let officer = server.as_user("officer-police-420502").await;
    let data = officer
        .data(
            "{ myAssignments(first: 100) { nodes { targetKind department { code } } } }",
            json!({}),
        )
        .await;
    let for_police = data["myAssignments"]["nodes"]
        .as_array()
        .expect("assignments")
        .iter()
        .filter(|a| a["targetKind"] == "DEPARTMENT" && a["department"]["code"] == "police-420502")
        .count();
    assert!(for_police >= 5, "the department's assignments: {data}");
    let admin = server.as_user("admin").await;
    for n in 1..=5 {
        let expires = (Utc::now() + chrono::Duration::days(30 - n)).to_rfc3339();
        let subject = if n % 2 == 0 {
            json!({"departmentId": police})
        } else {
            json!({"username": "street-420502003"})
        };
        let mut input = json!({"name": format!("app {n}"), "scopes": ["area:read"], "areas": ["420502"], "expiresAt": expires});
        for (key, value) in subject.as_object().expect("subject") {
            input[key] = value.clone();
        }
        admin
            .data(
                "mutation($input: IssueApiTokenInput!) { issueApiToken(input: $input) { secret userErrors { field message code } } }",
                json!({"input": input}),
            )
            .await;
    }
}

#[tokio::test]
async fn every_ordering_of_every_list_walks_both_ways_to_the_same_rows() {
    on_each_backend(|server| async move {
        a_few_tasks_and_tokens(&server).await;
        for list in LISTS {
            let client = server.as_user(list.caller).await;
            let select = selection(list);
            // The rows, in the list's default order.
            let (all, total) = walk(&client, list.field, list.filter, &select, 50, false).await;
            assert_eq!(total, all.len() as u64, "{}: totalCount", list.field);
            assert!(all.len() > 3, "{}: too few rows to page", list.field);
            let everyone: BTreeSet<String> = ids(&all).into_iter().collect();
            assert_eq!(everyone.len(), all.len(), "{}: a row twice", list.field);
            for (field, shown) in list.orderings {
                for direction in ["ASC", "DESC"] {
                    let order = format!("orderBy: {{field: {field}, direction: {direction}}}");
                    let args = [list.filter, order.as_str()]
                        .into_iter()
                        .filter(|part| !part.is_empty())
                        .collect::<Vec<_>>()
                        .join(", ");
                    // A page size that leaves a short last page.
                    let size = (all.len() / 3).clamp(2, 100);
                    let (forward, total) =
                        walk(&client, list.field, &args, &select, size, false).await;
                    let (backward, _) = walk(&client, list.field, &args, &select, size, true).await;
                    let context = format!("{}({args})", list.field);
                    assert_eq!(ids(&forward), ids(&backward), "{context}: forward and back");
                    assert_eq!(total, forward.len() as u64, "{context}: totalCount");
                    let seen: BTreeSet<String> = ids(&forward).into_iter().collect();
                    assert_eq!(seen, everyone, "{context}: every row once");
                    assert_eq!(seen.len(), forward.len(), "{context}: a row twice");
                    if let Err(wrong) = in_order(&forward, *shown, direction == "DESC") {
                        panic!("{context}: out of order: {wrong}");
                    }
                }
            }
        }
        server
    })
    .await;
}

#[tokio::test]
async fn cases_without_a_deadline_are_neither_lost_nor_first_when_ordered_by_deadline() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let (cases, _) = walk(&admin, "cases", "", "id deadlineAt", 100, false).await;
        let open = cases
            .iter()
            .filter(|case| case["deadlineAt"].is_null())
            .count();
        assert!(
            open > 0 && open < cases.len(),
            "the demo city has cases with and without a deadline: {open} of {}",
            cases.len()
        );
        let by_deadline = "orderBy: {field: DEADLINE, direction: ASC}";
        let (sorted, _) = walk(&admin, "cases", by_deadline, "id deadlineAt", 7, true).await;
        let tail = &sorted[sorted.len() - open..];
        assert!(tail.iter().all(|case| case["deadlineAt"].is_null()));
        server
    })
    .await;
}

#[tokio::test]
async fn a_grids_buildings_page_like_the_list_of_buildings_in_that_grid() {
    on_each_backend(|server| async move {
        // A grid of the street, with a few more buildings.
        let admin = server.as_user("admin").await;
        let data = admin
            .data(
                r#"{ grids(filter: {within: "420502003"}, first: 100) { nodes { code buildings { totalCount } } } }"#,
                json!({}),
            )
            .await;
        let grid = data["grids"]["nodes"]
            .as_array()
            .expect("grids")
            .iter()
            .max_by_key(|grid| grid["buildings"]["totalCount"].as_u64())
            .and_then(|grid| grid["code"].as_str())
            .expect("a grid")
            .to_owned();
        let worker = server.as_user(&format!("worker-{grid}")).await;
        let grid = grid.as_str();
        for n in 0..3 {
            worker
                .data(
                    "mutation($input: CreateBuildingInput!) { createBuilding(input: $input) { building { code } userErrors { field message code } } }",
                    json!({"input": {"gridCode": grid, "name": format!("新楼{n}"), "address": "x", "floors": 6}}),
                )
                .await;
        }
        let listed = walk(
            &worker,
            "buildings",
            &format!("filter: {{within: \"{grid}\"}}, orderBy: {{field: CODE, direction: ASC}}"),
            "id code",
            100,
            false,
        )
        .await
        .0;
        assert!(listed.len() > 3, "a grid with a few buildings: {}", listed.len());
        let held = |paging: String| {
            format!(
                "query($g: String!, $cursor: String) {{ grid(code: $g) {{ buildings({paging}) {{
                    totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
                    nodes {{ id code }} }} }} }}"
            )
        };
        let mut forward = Vec::new();
        let mut cursor = Value::Null;
        loop {
            let data = worker
                .data(&held("first: 1, after: $cursor".into()), json!({"g": grid, "cursor": cursor}))
                .await;
            let page = &data["grid"]["buildings"];
            assert_eq!(page["totalCount"].as_u64(), Some(listed.len() as u64));
            forward.extend(page["nodes"].as_array().expect("nodes").iter().cloned());
            if page["pageInfo"]["hasNextPage"] != true {
                break;
            }
            cursor = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(forward, listed, "forward, a page of one at a time");
        let data = worker
            .data(&held("last: 1, before: $cursor".into()), json!({"g": grid, "cursor": Value::Null}))
            .await;
        let last = &data["grid"]["buildings"];
        assert_eq!(last["nodes"].as_array().map(Vec::as_slice), Some(&listed[listed.len() - 1..]));
        assert_eq!(last["pageInfo"]["hasPreviousPage"], true);
        server
    })
    .await;
}

#[tokio::test]
async fn paging_one_way_at_a_time_within_its_bounds() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let data = admin.data("{ grids(first: 1) { pageInfo { endCursor } } }", json!({})).await;
        let cursor = data["grids"]["pageInfo"]["endCursor"].clone();
        for (paging, field) in [
            ("first: 1, last: 1", "last"),
            ("last: 101", "last"),
            ("last: -1", "last"),
            ("first: 1, before: $c", "before"),
            ("last: 1, after: $c", "after"),
            ("after: $c, before: $c", "before"),
        ] {
            let declared = if paging.contains("$c") { "($c: String)" } else { "" };
            let body = admin
                .graphql(
                    &format!("query{declared} {{ grids({paging}) {{ totalCount }} }}"),
                    json!({"c": cursor}),
                )
                .await;
            assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{paging}: {body:#}");
            assert_eq!(
                body["errors"][0]["extensions"]["field"].as_str(),
                Some(field),
                "{paging}: {body:#}"
            );
        }
        // A cursor of one ordering is refused by another.
        let body = admin
            .graphql(
                "query($c: String) { grids(orderBy: {field: NAME, direction: ASC}, before: $c) { totalCount } }",
                json!({"c": cursor}),
            )
            .await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body:#}");
        server
    })
    .await;
}

/// A caller's residents as the test sees them: every row, walked in
/// pages that do not ask for the total, and the cursor after the last.
async fn every_resident(client: &Client<'_>, filter: &str) -> (usize, Value) {
    let query = format!(
        "query($cursor: String) {{ residents(first: 100, after: $cursor{filter}) {{
            pageInfo {{ hasNextPage endCursor }} nodes {{ id }} }} }}"
    );
    let mut seen = BTreeSet::new();
    let mut cursor = Value::Null;
    loop {
        let data = client.data(&query, json!({"cursor": cursor})).await;
        let list = &data["residents"];
        for row in list["nodes"].as_array().expect("nodes") {
            assert!(seen.insert(row["id"].clone().to_string()), "a row twice");
        }
        if !list["pageInfo"]["endCursor"].is_null() {
            cursor = list["pageInfo"]["endCursor"].clone();
        }
        if list["pageInfo"]["hasNextPage"] != true {
            return (seen.len(), cursor);
        }
    }
}

#[tokio::test]
async fn a_page_asked_for_its_total_counts_it_in_the_same_statement() {
    on_each_backend(|server| async move {
        for caller in ["worker-420502003001001", "community-420502003001", "admin"] {
            let client = server.as_user(caller).await;
            for filter in ["", r#", filter: {sex: FEMALE}"#, r#", filter: {namePrefix: "无此姓"}"#] {
                let (all, last) = every_resident(&client, filter).await;
                let all = Some(all as u64);
                let context = format!("{caller}{filter}");
                let page = |asked: &str| format!("{{ residents(first: 5{filter}) {{ {asked} }} }}");
                // The scopes are worked out on a caller's first request.
                client.data(&page("nodes { id }"), json!({})).await;
                let mut cost = Vec::new();
                for asked in ["nodes { id }", "totalCount nodes { id }"] {
                    let before = server.statements().await;
                    let data = client.data(&page(asked), json!({})).await;
                    cost.push(server.statements().await - before);
                    if asked.starts_with("totalCount") {
                        assert_eq!(
                            data["residents"]["totalCount"].as_u64(),
                            all,
                            "{context}: the first page's total"
                        );
                    }
                }
                assert_eq!(cost[0], cost[1], "{context}: statements without and with the total");
                let only = client.data(&page("totalCount"), json!({})).await;
                assert_eq!(only["residents"]["totalCount"].as_u64(), all, "{context}: the total alone");
                // After the last row: an empty page that still knows it,
                // for as many statements as any other page.
                if last.is_null() {
                    continue;
                }
                let before = server.statements().await;
                let data = client
                    .data(
                        &format!("query($c: String) {{ residents(first: 5, after: $c{filter}) {{ totalCount nodes {{ id }} }} }}"),
                        json!({"c": last}),
                    )
                    .await;
                assert_eq!(
                    server.statements().await - before,
                    cost[1],
                    "{context}: statements after the last row"
                );
                assert_eq!(data["residents"]["nodes"], json!([]), "{context}: after the last row");
                assert_eq!(
                    data["residents"]["totalCount"].as_u64(),
                    all,
                    "{context}: the total after the last row"
                );
            }
        }
        server
    })
    .await;
}
