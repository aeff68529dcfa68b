//! Information comparison (信息比对) as its users meet it: a first start has
//! the demo's registry files imported and compared, and the findings are
//! exactly the discrepancies a small model written here reads off the
//! files and the record (nothing missed, nothing extra). A wanted-list
//! match reaches the community police alone; findings are worked step by
//! step; a re-run neither duplicates nor keeps what no longer holds; an
//! interrupted comparison is resumed by a replica.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use entities::organisation::{self, OrganisationKind};
use entities::resident::{self, DocumentType, ResidentStatus, Sex};
use gridgov_tests::{
    Client, TestDatabase, TestServer, UploadFile, check_character, error_code, on_each_backend,
    stored_key, upload, user_error,
};
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use serde_json::{Value, json};

/// One registry file: its header's columns and its rows by column.
fn read_csv(server: &TestServer, name: &str) -> Vec<HashMap<String, String>> {
    let path = server
        .data_dir()
        .join("registries")
        .join(format!("{name}.csv"));
    let mut reader = csv::Reader::from_path(&path).expect("the demo registry file");
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|row| {
            let row = row.expect("a row");
            header
                .iter()
                .cloned()
                .zip(row.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

/// What a finding is about: `(kind, "R" or "O", stored id)`.
type Expected = BTreeSet<(String, char, i64)>;

/// The rules, as the issue states them, applied to the files and the
/// record: the findings a comparison must make.
async fn model(server: &TestServer) -> Expected {
    let db = server.db().await;
    let residents = resident::Entity::find().all(&db).await.expect("residents");
    let organisations = organisation::Entity::find()
        .all(&db)
        .await
        .expect("organisations");
    // Expiries are judged on the city's day (UTC+8).
    let today = (Utc::now() + chrono::Duration::hours(8)).date_naive();
    let by_number = |rows: Vec<HashMap<String, String>>, column: &str| {
        let mut map: HashMap<String, Vec<HashMap<String, String>>> = HashMap::new();
        for row in rows {
            map.entry(row[column].clone()).or_default().push(row);
        }
        map
    };
    let household = by_number(read_csv(server, "household"), "id_number");
    let deaths = by_number(read_csv(server, "deaths"), "id_number");
    let pensions = by_number(read_csv(server, "pensions"), "id_number");
    let wanted = by_number(read_csv(server, "wanted"), "id_number");
    let licences = by_number(read_csv(server, "licences"), "credit_code");
    let permits = by_number(read_csv(server, "food_permits"), "credit_code");

    let mut expected = Expected::new();
    let mut add = |kind: &str, subject: char, id: i64| {
        expected.insert((kind.to_owned(), subject, id));
    };
    for person in &residents {
        if person.document_type != DocumentType::ResidentIdCard {
            continue;
        }
        let number = person.id_number.clone();
        let active = person.status == ResidentStatus::Active;
        let registered = person.population_type == entities::resident::PopulationType::Registered;
        let entries = household
            .get(&number)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if active {
            match entries {
                [] if registered => add("NOT_IN_REGISTRY", 'R', person.id),
                [] => {}
                [entry] => {
                    let sex = if person.sex == Sex::Male { "1" } else { "2" };
                    let differs = entry["name"] != person.name
                        || entry["sex"] != sex
                        || day(&entry["birth_date"]) != person.birth_date;
                    if differs {
                        add("REGISTRY_MISMATCH", 'R', person.id);
                    }
                }
                _ => add("DUPLICATE_ID", 'R', person.id),
            }
            if deaths.contains_key(&number) {
                add("DIED", 'R', person.id);
            }
            if wanted.contains_key(&number) {
                add("WANTED", 'R', person.id);
            }
        }
        // A pension paid past the death the register records, whatever the
        // record says of the person.
        let paid_after_death = pensions.get(&number).into_iter().flatten().any(|paid| {
            deaths
                .get(&number)
                .into_iter()
                .flatten()
                .any(|death| day(&paid["paid_to"]) > day(&death["death_date"]))
        });
        if paid_after_death {
            add("PENSION_TO_DEAD", 'R', person.id);
        }
    }
    for org in &organisations {
        let code = org.licence_number.clone().unwrap_or_default();
        let licensed = licences.get(&code).map(Vec::as_slice).unwrap_or_default();
        if licensed.is_empty() {
            add("NO_LICENCE", 'O', org.id);
        } else {
            if licensed.iter().all(|l| day(&l["expires_on"]) < today) {
                add("LICENCE_EXPIRED", 'O', org.id);
            }
            if licensed.iter().all(|l| l["address"] != org.address) {
                add("LICENCE_ELSEWHERE", 'O', org.id);
            }
        }
        if org.kind == OrganisationKind::Food {
            let permitted = permits.get(&code).map(Vec::as_slice).unwrap_or_default();
            if permitted.is_empty() {
                add("NO_FOOD_PERMIT", 'O', org.id);
            } else if permitted.iter().all(|p| day(&p["expires_on"]) < today) {
                add("FOOD_PERMIT_EXPIRED", 'O', org.id);
            }
        }
    }
    expected
}

const FINDING: &str = "id number kind registry state version urgent gridCode
    resident { id } organisation { id }";

/// Every finding `client` may list with `filter` (GraphQL input text, or
/// empty), all pages walked; `totalCount` must count exactly those.
async fn listed(client: &Client<'_>, filter: &str) -> Vec<Value> {
    let filter = if filter.is_empty() {
        String::new()
    } else {
        format!("filter: {filter}, ")
    };
    let query = format!(
        "query($after: String) {{ findings({filter}first: 100, after: $after) {{ totalCount
            pageInfo {{ hasNextPage endCursor }} nodes {{ {FINDING} }} }} }}"
    );
    let mut found = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = client.data(&query, json!({"after": after})).await;
        let page = &data["findings"];
        found.extend(page["nodes"].as_array().expect("nodes").iter().cloned());
        if page["pageInfo"]["hasNextPage"] != true {
            assert_eq!(page["totalCount"].as_u64(), Some(found.len() as u64));
            return found;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

fn subjects(findings: &[Value]) -> Expected {
    findings
        .iter()
        .map(|f| {
            let (subject, id) = if f["resident"].is_object() {
                ('R', stored_key(&f["resident"]["id"]))
            } else {
                ('O', stored_key(&f["organisation"]["id"]))
            };
            (
                f["kind"].as_str().unwrap_or_default().to_owned(),
                subject,
                id,
            )
        })
        .collect()
}

fn of_kind(expected: &Expected, kind: &str) -> usize {
    expected.iter().filter(|(k, _, _)| k == kind).count()
}

/// Runs a comparison of the city with `registry` as `client` and waits for
/// it to end; returns the job.
async fn compare(client: &Client<'_>, registry: &str) -> Value {
    let started = client
        .graphql(
            "mutation($input: StartComparisonInput!) { startComparison(input: $input) {
                comparison { id state } userErrors { code message } } }",
            json!({"input": {"registry": registry}}),
        )
        .await;
    let id = started["data"]["startComparison"]["comparison"]["id"].clone();
    assert!(id.is_string(), "{started}");
    finished(client, &id).await
}

const JOB: &str = "... on ComparisonJob { number registry state total compared error
    counts { kind standing opened cleared } }";

async fn finished(client: &Client<'_>, id: &Value) -> Value {
    for _ in 0..600 {
        let data = client
            .data(
                &format!("query($id: ID!) {{ node(id: $id) {{ {JOB} }} }}"),
                json!({"id": id}),
            )
            .await;
        if data["node"]["state"] != "RUNNING" {
            return data["node"].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the comparison did not end within a minute");
}

fn count_of<'a>(job: &'a Value, kind: &str) -> Option<&'a Value> {
    job["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .find(|count| count["kind"] == kind)
}

#[tokio::test]
async fn a_first_start_finds_exactly_the_planted_discrepancies() {
    on_each_backend(|server| async move {
        let expected = model(&server).await;
        // The seed plants its rates scaled to the city: per 600,000
        // residents 143 pensions paid to the dead and 87 wanted persons,
        // at least one each (the test city has 3,000).
        assert_eq!(of_kind(&expected, "PENSION_TO_DEAD"), 1);
        assert_eq!(of_kind(&expected, "WANTED"), 1);
        for kind in [
            "NOT_IN_REGISTRY",
            "REGISTRY_MISMATCH",
            "DUPLICATE_ID",
            "NO_LICENCE",
            "LICENCE_EXPIRED",
            "LICENCE_ELSEWHERE",
            "NO_FOOD_PERMIT",
            "FOOD_PERMIT_EXPIRED",
        ] {
            assert!(of_kind(&expected, kind) > 0, "the demo plants some {kind}");
        }

        // The admin sees every finding but the wanted list's.
        let admin = server.as_user("admin").await;
        let everything = listed(&admin, "").await;
        let without_wanted: Expected = expected
            .iter()
            .filter(|(kind, _, _)| kind != "WANTED")
            .cloned()
            .collect();
        assert_eq!(subjects(&everything), without_wanted);
        assert!(everything.iter().all(|f| f["state"] == "OPEN"));

        // The wanted match reaches the police of its community, urgent.
        let (_, _, wanted_id) = expected
            .iter()
            .find(|(kind, _, _)| kind == "WANTED")
            .cloned()
            .expect("a wanted person");
        let db = server.db().await;
        let person = resident::Entity::find_by_id(wanted_id)
            .one(&db)
            .await
            .expect("read")
            .expect("the wanted resident");
        let community = &person.grid_code[..12];
        let police = server.as_user(&format!("police-{community}")).await;
        let theirs = listed(&police, "{kinds: [WANTED]}").await;
        assert_eq!(theirs.len(), 1, "{theirs:?}");
        assert_eq!(theirs[0]["urgent"], true);
        assert_eq!(stored_key(&theirs[0]["resident"]["id"]), wanted_id);
        // Nobody else learns of it: not the grid worker, not the admin,
        // not through counts or a comparison's numbers.
        let worker = server
            .as_user(&format!("worker-{}", person.grid_code))
            .await;
        for client in [&worker, &admin] {
            assert!(listed(client, "{kinds: [WANTED]}").await.is_empty());
            let counts = client
                .data(
                    "{ findingCounts(level: DISTRICT) { kind open } }",
                    json!({}),
                )
                .await;
            assert!(
                counts["findingCounts"]
                    .as_array()
                    .expect("counts")
                    .iter()
                    .all(|c| c["kind"] != "WANTED"),
                "{counts}"
            );
            let jobs = client
                .data(
                    &format!("{{ comparisonJobs {{ nodes {{ {JOB} }} }} }}"),
                    json!({}),
                )
                .await;
            for job in jobs["comparisonJobs"]["nodes"].as_array().expect("jobs") {
                assert!(count_of(job, "WANTED").is_none(), "{job}");
            }
            let node = client
                .data(
                    "query($id: ID!) { node(id: $id) { id } }",
                    json!({"id": theirs[0]["id"]}),
                )
                .await;
            assert_eq!(node["node"], Value::Null, "{node}");
        }
        let jobs = admin
            .data(
                &format!("{{ comparisonJobs {{ nodes {{ {JOB} }} }} }}"),
                json!({}),
            )
            .await;
        let jobs = jobs["comparisonJobs"]["nodes"].as_array().expect("jobs");
        assert_eq!(jobs.len(), 6, "a first start compares each registry");
        assert!(jobs.iter().all(|job| job["state"] == "FINISHED"));
        assert!(jobs.iter().any(|job| count_of(job, "NO_LICENCE").is_some()));
        // A wanted match never becomes a case (a case is seen by many).
        let refused = police
            .graphql(
                "mutation($input: OpenCaseForFindingInput!) { openCaseForFinding(input: $input) {
                    userErrors { code } } }",
                json!({"input": {"id": theirs[0]["id"], "version": theirs[0]["version"]}}),
            )
            .await;
        assert_eq!(user_error(&refused), Some("INVALID_STATE"), "{refused}");

        // Each registry numbers its findings in a series of its own, so the
        // numbers the admin sees run without a gap where a wanted match
        // was opened.
        let mut series: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for finding in &everything {
            series
                .entry(finding["registry"].as_str().unwrap_or_default().into())
                .or_default()
                .push(finding["number"].as_i64().expect("a number"));
        }
        for (registry, mut numbers) in series {
            numbers.sort_unstable();
            assert!(
                numbers.windows(2).all(|pair| pair[1] - pair[0] == 8),
                "{registry}: {numbers:?}"
            );
        }
        let police_counts = police
            .data(
                "{ findingCounts(level: COMMUNITY) { areaCode kind open } }",
                json!({}),
            )
            .await;
        assert!(
            police_counts["findingCounts"]
                .as_array()
                .expect("counts")
                .iter()
                .any(|c| c["kind"] == "WANTED" && c["areaCode"] == community && c["open"] == 1),
            "{police_counts}"
        );

        // The counts per area agree with the list, kind by kind.
        let counts = admin
            .data(
                "{ findingCounts(level: DISTRICT) { kind open signedOff returned } }",
                json!({}),
            )
            .await;
        let mut by_kind: BTreeMap<String, i64> = BTreeMap::new();
        for count in counts["findingCounts"].as_array().expect("counts") {
            *by_kind
                .entry(count["kind"].as_str().unwrap_or_default().into())
                .or_default() += count["open"].as_i64().unwrap_or_default();
        }
        for (kind, n) in &by_kind {
            assert_eq!(*n as usize, of_kind(&without_wanted, kind), "{kind}");
        }
        server
    })
    .await;
}

const STEP: &str = "finding { state version reason steps { action fromState toState note actor } }
    userErrors { code field message }";

async fn take(
    client: &Client<'_>,
    mutation: &str,
    id: &Value,
    version: &Value,
    reason: Option<&str>,
) -> Value {
    client
        .graphql(
            &format!(
                "mutation($input: FindingStepInput!) {{ {mutation}(input: $input) {{ {STEP} }} }}"
            ),
            json!({"input": {"id": id, "version": version, "reason": reason}}),
        )
        .await
}

/// The police of the community of `finding`'s grid.
async fn police_of<'a>(server: &'a TestServer, finding: &Value) -> Client<'a> {
    let grid = finding["gridCode"].as_str().expect("a grid");
    server.as_user(&format!("police-{}", &grid[..12])).await
}

/// The first of the admin's findings of `kind`.
async fn first_of(admin: &Client<'_>, kind: &str) -> Value {
    let found = listed(admin, &format!("{{kinds: [{kind}]}}")).await;
    found
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("a {kind} finding"))
}

#[tokio::test]
async fn findings_are_signed_off_returned_resolved_and_dismissed_by_policy() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let finding = first_of(&admin, "NOT_IN_REGISTRY").await;
        let grid = finding["gridCode"].as_str().expect("grid").to_owned();
        let police = police_of(&server, &finding).await;
        let worker = server.as_user(&format!("worker-{grid}")).await;
        let id = finding["id"].clone();

        // The worker may not sign off; the police may, at the version read.
        let refused = take(&worker, "signOffFinding", &id, &finding["version"], None).await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
        let stale = take(&police, "signOffFinding", &id, &json!(99), None).await;
        assert_eq!(user_error(&stale), Some("CONFLICT"), "{stale}");
        let signed = take(
            &police,
            "signOffFinding",
            &id,
            &finding["version"],
            Some("核实中"),
        )
        .await;
        let signed = &signed["data"]["signOffFinding"]["finding"];
        assert_eq!(signed["state"], "SIGNED_OFF", "{signed}");
        // Signed off, it cannot be returned; the worker resolves it.
        let again = take(&police, "returnFinding", &id, &signed["version"], Some("x")).await;
        assert_eq!(user_error(&again), Some("INVALID_STATE"), "{again}");
        let resolved = take(&worker, "resolveFinding", &id, &signed["version"], None).await;
        let resolved = &resolved["data"]["resolveFinding"]["finding"];
        assert_eq!(resolved["state"], "RESOLVED", "{resolved}");
        let actions: Vec<&str> = resolved["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .map(|s| s["action"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(actions, ["OPENED", "SIGN_OFF", "RESOLVE"]);
        assert_eq!(resolved["steps"][1]["note"], "核实中");

        // Returned with a reason (none is refused), dismissed with one.
        let mismatch = first_of(&admin, "REGISTRY_MISMATCH").await;
        let police = police_of(&server, &mismatch).await;
        let bare = take(
            &police,
            "returnFinding",
            &mismatch["id"],
            &mismatch["version"],
            None,
        )
        .await;
        assert_eq!(user_error(&bare), Some("INVALID"), "{bare}");
        let returned = take(
            &police,
            "returnFinding",
            &mismatch["id"],
            &mismatch["version"],
            Some("请网格员入户核对出生日期"),
        )
        .await;
        let returned = &returned["data"]["returnFinding"]["finding"];
        assert_eq!(returned["state"], "RETURNED");
        assert_eq!(returned["reason"], "请网格员入户核对出生日期");
        let duplicate = first_of(&admin, "DUPLICATE_ID").await;
        let police = police_of(&server, &duplicate).await;
        let dismissed = take(
            &police,
            "dismissFinding",
            &duplicate["id"],
            &duplicate["version"],
            Some("户籍库重复登记, 已报户政处理"),
        )
        .await;
        assert_eq!(
            dismissed["data"]["dismissFinding"]["finding"]["state"], "DISMISSED",
            "{dismissed}"
        );

        // A department sees its kinds in its jurisdiction, and no other.
        let unlicensed = first_of(&admin, "NO_LICENCE").await;
        let district = &unlicensed["gridCode"].as_str().expect("grid")[..6];
        let market = server.as_user(&format!("officer-market-{district}")).await;
        let theirs = listed(&market, "").await;
        let db = server.db().await;
        let in_district: BTreeSet<i64> = organisation::Entity::find()
            .all(&db)
            .await
            .expect("organisations")
            .into_iter()
            .filter(|org| org.grid_code.starts_with(district))
            .map(|org| org.id)
            .collect();
        let markets: Expected = model(&server)
            .await
            .into_iter()
            .filter(|(_, subject, id)| *subject == 'O' && in_district.contains(id))
            .collect();
        assert_eq!(subjects(&theirs), markets);
        assert!(!theirs.is_empty());

        // An unlicensed business opens a case in the closed loop, linked.
        let opened = admin
            .graphql(
                "mutation($input: OpenCaseForFindingInput!) { openCaseForFinding(input: $input) {
                    finding { version case { id number title } steps { action note } }
                    userErrors { code message } } }",
                json!({"input": {"id": unlicensed["id"], "version": unlicensed["version"]}}),
            )
            .await;
        let linked = &opened["data"]["openCaseForFinding"]["finding"];
        let number = linked["case"]["number"].as_str().expect("a case number");
        assert!(
            linked["case"]["title"]
                .as_str()
                .is_some_and(|t| t.contains("无照经营"))
        );
        assert_eq!(linked["steps"][1]["action"], "CASE_OPENED");
        assert_eq!(linked["steps"][1]["note"], number);
        let back = listed(
            &admin,
            &format!(
                "{{case: \"{}\"}}",
                linked["case"]["id"].as_str().expect("an id")
            ),
        )
        .await;
        assert_eq!(back.len(), 1);
        assert_eq!(
            back[0]["id"], unlicensed["id"],
            "the case leads back to its finding"
        );
        let twice = admin
            .graphql(
                "mutation($input: OpenCaseForFindingInput!) { openCaseForFinding(input: $input) {
                    userErrors { code } } }",
                json!({"input": {"id": unlicensed["id"], "version": linked["version"]}}),
            )
            .await;
        assert_eq!(user_error(&twice), Some("INVALID_STATE"), "{twice}");
        server
    })
    .await;
}

/// The household file as the demo wrote it, with a row added for each of
/// `missing` (the residents it left out).
async fn completed_household(server: &TestServer, missing: &[i64]) -> String {
    let path = server.data_dir().join("registries").join("household.csv");
    let mut file = std::fs::read_to_string(path).expect("the household file");
    let db = server.db().await;
    for id in missing {
        let person = resident::Entity::find_by_id(*id)
            .one(&db)
            .await
            .expect("read")
            .expect("the resident");
        let sex = if person.sex == Sex::Male { "1" } else { "2" };
        file.push_str(&format!(
            "{},{},{sex},{},湖北省宜昌市\n",
            person.id_number, person.name, person.birth_date
        ));
    }
    file
}

#[tokio::test]
async fn a_rerun_keeps_what_holds_once_and_clears_what_no_longer_does() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let before = listed(&admin, "{registries: [HOUSEHOLD]}").await;
        let household: Expected = model(&server)
            .await
            .into_iter()
            .filter(|(kind, _, _)| {
                ["NOT_IN_REGISTRY", "REGISTRY_MISMATCH", "DUPLICATE_ID"].contains(&kind.as_str())
            })
            .collect();
        assert_eq!(subjects(&before), household);
        let job = compare(&admin, "HOUSEHOLD").await;
        assert_eq!(job["state"], "FINISHED", "{job}");
        assert_eq!(job["compared"], job["total"]);
        for count in job["counts"].as_array().expect("counts") {
            assert_eq!(count["opened"], 0, "{job}");
            assert_eq!(count["cleared"], 0, "{job}");
        }
        let after = listed(&admin, "{registries: [HOUSEHOLD]}").await;
        assert_eq!(subjects(&after), subjects(&before));
        assert_eq!(after.len(), before.len(), "nothing duplicated");

        // The registry now lists the residents it left out: their findings
        // are cleared by the next comparison, the others stand.
        let missing: Vec<Value> = before
            .iter()
            .filter(|f| f["kind"] == "NOT_IN_REGISTRY")
            .cloned()
            .collect();
        let ids: Vec<i64> = missing
            .iter()
            .map(|f| stored_key(&f["resident"]["id"]))
            .collect();
        let file = completed_household(&server, &ids).await;
        let operations = json!({"query": "mutation($input: ImportRegistryInput!) {
            importRegistry(input: $input) { snapshot { state } userErrors { code message } } }",
            "variables": {"input": {"kind": "HOUSEHOLD", "file": null}}});
        let token = server.token_for("admin").await;
        let upload_file = UploadFile {
            paths: &["variables.input.file"],
            name: "household.csv",
            kind: "text/csv",
            bytes: file.as_bytes(),
        };
        let (status, body) = upload(&server, Some(&token), &operations, &[upload_file]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["data"]["importRegistry"]["snapshot"]["state"], "CURRENT",
            "{body}"
        );
        let job = compare(&admin, "HOUSEHOLD").await;
        let cleared = count_of(&job, "NOT_IN_REGISTRY").expect("a count");
        assert_eq!(cleared["cleared"].as_u64(), Some(ids.len() as u64), "{job}");
        assert_eq!(cleared["standing"], 0, "{job}");
        let standing = listed(&admin, "{registries: [HOUSEHOLD], states: [OPEN]}").await;
        let expected: Expected = subjects(&before)
            .into_iter()
            .filter(|(kind, _, _)| kind != "NOT_IN_REGISTRY")
            .collect();
        assert_eq!(subjects(&standing), expected);
        let closed = admin
            .data(
                "query($id: ID!) { node(id: $id) { ... on Finding { state closedAt
                    steps { action toState } } } }",
                json!({"id": missing[0]["id"]}),
            )
            .await;
        assert_eq!(closed["node"]["state"], "RESOLVED", "{closed}");
        assert_eq!(closed["node"]["steps"][1]["action"], "CLEARED", "{closed}");
        server
    })
    .await;
}

#[tokio::test]
async fn a_comparison_left_running_by_a_stopped_process_is_resumed() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let before = listed(&admin, "{registries: [LICENCES]}").await;
        let db = server.db().await;
        let backend = db.get_database_backend();
        let one = |sql: &str| Statement::from_string(backend, sql.to_owned());
        let streets: Vec<String> = db
            .query_all_raw(one(
                "SELECT code FROM areas WHERE level = 'street' ORDER BY code",
            ))
            .await
            .expect("streets")
            .iter()
            .map(|row| row.try_get_by_index(0).expect("a code"))
            .collect();
        // A process stopped after the first half of the streets: its job
        // still says running there, its runner silent for ten minutes. The
        // second half's findings are not written yet; one of the first
        // half's is gone too, and must stay gone (that street is done).
        let position = streets[streets.len() / 2].clone();
        let done = |f: &Value| {
            f["gridCode"]
                .as_str()
                .is_some_and(|g| &g[..9] <= position.as_str())
        };
        let lost = before
            .iter()
            .find(|f| done(f))
            .expect("a finding in a done street");
        let lost_id = stored_key(&lost["id"]);
        for sql in [
            format!(
                "DELETE FROM finding_steps WHERE finding_id IN (SELECT id FROM findings \
                 WHERE registry = 'licences' AND (SUBSTR(grid_code, 1, 9) > '{position}' \
                 OR id = {lost_id}))"
            ),
            format!(
                "DELETE FROM findings WHERE registry = 'licences' \
                 AND (SUBSTR(grid_code, 1, 9) > '{position}' OR id = {lost_id})"
            ),
        ] {
            db.execute_raw(one(&sql)).await.expect("delete");
        }
        let count = |sql: String| {
            let db = db.clone();
            async move {
                let row = db
                    .query_one_raw(one(&sql))
                    .await
                    .expect("count")
                    .expect("a row");
                row.try_get_by_index::<i64>(0).expect("a number")
            }
        };
        let total = count("SELECT COUNT(*) FROM organisations".into()).await;
        let compared = count(format!(
            "SELECT COUNT(*) FROM organisations WHERE SUBSTR(grid_code, 1, 9) <= '{position}'"
        ))
        .await;
        let snapshot = count(
            "SELECT id FROM registry_snapshots WHERE kind = 'licences' AND state = 'current'"
                .into(),
        )
        .await;
        let long_ago = Utc::now() - chrono::Duration::minutes(10);
        use sea_orm::ActiveModelTrait;
        use sea_orm::ActiveValue::{NotSet, Set};
        let job = entities::comparison_job::ActiveModel {
            id: NotSet,
            kind: Set(entities::registry_snapshot::RegistryKind::Licences),
            area_code: Set(None),
            state: Set(entities::comparison_job::JobState::Running),
            snapshot_id: Set(snapshot),
            total: Set(total),
            compared: Set(compared),
            position: Set(Some(position.clone())),
            counts: Set(json!({})),
            started_by_user_id: Set(None),
            started_by_token_id: Set(None),
            started_by_name: Set("stopped".into()),
            started_at: Set(long_ago),
            heartbeat_at: Set(long_ago),
            finished_at: Set(None),
            error: Set(None),
        }
        .insert(&db)
        .await
        .expect("the interrupted job");

        // A replica starting up takes it over and finishes the streets left.
        let replica = TestServer::start_on(TestDatabase::share(&server), |config| {
            config.no_seed = true;
        })
        .await;
        let id = gridgov_tests::global_key("ComparisonJob", job.id);
        let resumed = finished(&replica.as_user("admin").await, &json!(id)).await;
        assert_eq!(resumed["state"], "FINISHED", "{resumed}");
        assert_eq!(resumed["compared"].as_i64(), Some(total), "{resumed}");
        let expected: Expected = subjects(&before)
            .difference(&subjects(std::slice::from_ref(lost)))
            .cloned()
            .collect();
        let after = listed(&admin, "{registries: [LICENCES]}").await;
        assert_eq!(subjects(&after), expected);
        replica.stop_keeping_database().await;
        server
    })
    .await;
}

#[tokio::test]
async fn a_wanted_match_is_pushed_live_to_the_community_police_alone() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let expected = model(&server).await;
        let (_, _, wanted_id) = expected
            .iter()
            .find(|(kind, _, _)| kind == "WANTED")
            .cloned()
            .expect("a wanted person");
        let db = server.db().await;
        let grid = resident::Entity::find_by_id(wanted_id)
            .one(&db)
            .await
            .expect("read")
            .expect("the resident")
            .grid_code;
        let police_name = format!("police-{}", &grid[..12]);
        let police = server.as_user(&police_name).await;
        const RAISED: &str = "subscription { findingRaised { kind urgent resident { id } } }";
        let mut workers = server
            .subscribe(
                &server.token_for(&format!("worker-{grid}")).await,
                RAISED,
                json!({}),
            )
            .await;
        let mut polices = server
            .subscribe(&server.token_for(&police_name).await, RAISED, json!({}))
            .await;
        // The worker will hear no finding, so its silence below means
        // something only once its stream is known to be set up. The
        // subscriptions of one connection are set up by one task in the order
        // sent, each the same way (the caller's scope, then the event bus):
        // once a second one on the same socket, to something the worker does
        // hear (a resident it registers), has delivered, the first is set up.
        workers.also("subscription { residentRegistered { id } }").await;
        let worker = server.as_user(&format!("worker-{grid}")).await;
        let newcomers = std::cell::Cell::new(0u32);
        let newcomer = || async {
            newcomers.set(newcomers.get() + 1);
            let first17 = format!("{}19900101{:03}", &grid[..6], 500 + newcomers.get());
            let number = format!("{first17}{}", check_character(&first17));
            let body = worker
                .graphql(
                    "mutation($input: RegisterResidentInput!) { registerResident(input: $input) { resident { id } userErrors { message } } }",
                    json!({"input": {"idNumber": number, "name": "新来者", "populationType": "REGISTERED", "gridCode": grid}}),
                )
                .await;
            assert!(body["data"]["registerResident"]["resident"]["id"].is_string(), "{body}");
        };
        workers.until_live(newcomer).await;
        // Each poke closes the standing match and compares again, which
        // opens it anew.
        let poke = || async {
            for f in listed(&police, "{kinds: [WANTED], states: [OPEN]}").await {
                let signed = take(&police, "signOffFinding", &f["id"], &f["version"], None).await;
                let version = &signed["data"]["signOffFinding"]["finding"]["version"];
                take(&police, "resolveFinding", &f["id"], version, None).await;
            }
            compare(&admin, "WANTED").await;
        };
        polices.until_live(poke).await;
        poke().await;
        let event = polices
            .next(Duration::from_secs(10))
            .await
            .expect("the match, live");
        let raised = &event["findingRaised"];
        assert_eq!(raised["kind"], "WANTED");
        assert_eq!(raised["urgent"], true);
        assert_eq!(stored_key(&raised["resident"]["id"]), wanted_id);
        assert!(
            workers.next(Duration::from_secs(1)).await.is_none(),
            "the grid worker hears nothing of it"
        );

        // The police's steps on it are on the log, filed under its object,
        // and no reader of the log without that object reads them.
        let filed = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) FROM audit_log WHERE object_kind = 'finding.wanted'",
            ))
            .await
            .expect("count")
            .expect("a row")
            .try_get_by_index::<i64>(0)
            .expect("a number");
        assert!(filed >= 2, "sign-offs and resolutions are audited: {filed}");
        for reader in ["auditor", "admin"] {
            let log = server
                .as_user(reader)
                .await
                .data(
                    "{ auditLog(first: 100, filter: {actions: [\"finding.sign_off\",
                        \"finding.resolve\"]}) { nodes { objectKind objectId } } }",
                    json!({}),
                )
                .await;
            let entries = log["auditLog"]["nodes"].as_array().expect("entries");
            assert!(
                entries.iter().all(|e| e["objectKind"] == "finding"),
                "{reader}: {log}"
            );
        }
        server
    })
    .await;
}

#[tokio::test]
async fn a_resident_who_moves_takes_their_open_findings_along() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        // A resident the household registry does not list (the demo compared
        // on its first start).
        let open = listed(&admin, "{kinds: [NOT_IN_REGISTRY], states: [OPEN]}").await;
        let finding = open.first().expect("an open finding").clone();
        let resident = finding["resident"]["id"].clone();
        let from = finding["gridCode"].as_str().expect("a grid").to_owned();
        // A grid of another district.
        let district = if from.starts_with("420502") { "420503" } else { "420502" };
        let there = admin
            .data(
                "query($within: String!) { residents(first: 1, filter: {within: $within}) { nodes { gridCode } } }",
                json!({"within": district}),
            )
            .await;
        let to = there["residents"]["nodes"][0]["gridCode"].as_str().expect("a grid").to_owned();
        let read = admin
            .data("query($id: ID!) { resident(id: $id) { version } }", json!({"id": resident}))
            .await;
        let moved = admin
            .graphql(
                "mutation($input: MoveResidentInput!) { moveResident(input: $input) { resident { gridCode } userErrors { message } } }",
                json!({"input": {"id": resident, "version": read["resident"]["version"], "toGridCode": to}}),
            )
            .await;
        assert_eq!(moved["data"]["moveResident"]["resident"]["gridCode"], json!(to), "{moved}");
        // Compared again, the new street and then the old one: the finding is
        // the same one, now in the new grid, neither opened twice nor cleared.
        for area in [&to[..9], &from[..9]] {
            let started = admin
                .graphql(
                    "mutation($input: StartComparisonInput!) { startComparison(input: $input) { comparison { id } userErrors { message } } }",
                    json!({"input": {"registry": "HOUSEHOLD", "area": area}}),
                )
                .await;
            let id = started["data"]["startComparison"]["comparison"]["id"].clone();
            assert!(id.is_string(), "{started}");
            finished(&admin, &id).await;
            let filter = format!("{{resident: {resident}, kinds: [NOT_IN_REGISTRY], states: [OPEN]}}");
            let now = listed(&admin, &filter).await;
            assert_eq!(now.len(), 1, "after comparing {area}: {now:?}");
            assert_eq!(now[0]["id"], finding["id"], "after comparing {area}");
            assert_eq!(now[0]["gridCode"], json!(to), "after comparing {area}");
        }
        server
    })
    .await;
}
