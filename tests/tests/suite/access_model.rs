//! Every path by which a row reaches a caller — lists and their totals,
//! reads by id, `node`, relations, statistics — agrees with the README's
//! access rule as restated in `gridgov_tests::model`, for users and scoped
//! tokens, under denies placed inside the callers' own areas: the hard case
//! where a carve-out must narrow a wider allow.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gridgov_tests::model::{Rules, TokenLimits, Who, inside};
use gridgov_tests::{Client, Draw, TestServer, department_id, global_key, on_each_backend, walk};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::{Value, json};

/// The rows of the seeded city, read beneath the API.
struct World {
    areas: Vec<String>,
    grids: Vec<String>,
    /// Per kind: id → grid (or area) code.
    placed: BTreeMap<&'static str, BTreeMap<i64, Option<String>>>,
    active_residents: Vec<String>,
    resident_household: BTreeMap<i64, Option<i64>>,
    resident_dwelling: BTreeMap<i64, Option<i64>>,
    household_head: BTreeMap<i64, Option<i64>>,
    dwelling_building: BTreeMap<i64, i64>,
    case_department: BTreeMap<i64, Option<i64>>,
    case_duty: BTreeMap<i64, Option<String>>,
    task_sender: BTreeMap<i64, i64>,
    /// assignment id → (task id, user, department)
    assignment: BTreeMap<i64, (i64, Option<i64>, Option<i64>)>,
    user_ids: BTreeMap<String, (i64, Option<i64>)>,
    department: BTreeMap<String, (i64, Vec<String>)>,
}

impl World {
    async fn load(db: &DatabaseConnection) -> World {
        use entities::*;
        let mut placed: BTreeMap<&'static str, BTreeMap<i64, Option<String>>> = BTreeMap::new();
        let residents = resident::Entity::find().all(db).await.expect("residents");
        placed.insert(
            "Resident",
            residents
                .iter()
                .map(|r| (r.id, Some(r.grid_code.clone())))
                .collect(),
        );
        let households = household::Entity::find().all(db).await.expect("households");
        placed.insert(
            "Household",
            households
                .iter()
                .map(|r| (r.id, Some(r.grid_code.clone())))
                .collect(),
        );
        let dwellings = dwelling::Entity::find().all(db).await.expect("dwellings");
        placed.insert(
            "Dwelling",
            dwellings
                .iter()
                .map(|r| (r.id, Some(r.grid_code.clone())))
                .collect(),
        );
        let buildings = building::Entity::find().all(db).await.expect("buildings");
        placed.insert(
            "Building",
            buildings
                .iter()
                .map(|r| (r.id, Some(r.grid_code.clone())))
                .collect(),
        );
        let organisations = organisation::Entity::find()
            .all(db)
            .await
            .expect("organisations");
        placed.insert(
            "Organisation",
            organisations
                .iter()
                .map(|r| (r.id, Some(r.grid_code.clone())))
                .collect(),
        );
        let cases = case::Entity::find().all(db).await.expect("cases");
        placed.insert(
            "Case",
            cases
                .iter()
                .map(|r| (r.id, Some(r.grid_code.clone())))
                .collect(),
        );
        let tasks = task::Entity::find().all(db).await.expect("tasks");
        placed.insert(
            "Task",
            tasks.iter().map(|r| (r.id, r.area_code.clone())).collect(),
        );
        let assignments = task_assignment::Entity::find()
            .all(db)
            .await
            .expect("assignments");
        placed.insert(
            "TaskAssignment",
            assignments
                .iter()
                .map(|r| (r.id, Some(r.area_code.clone())))
                .collect(),
        );
        let categories: BTreeMap<String, String> = case_category::Entity::find()
            .all(db)
            .await
            .expect("categories")
            .into_iter()
            .map(|c| (c.code, c.duty))
            .collect();
        let departments = department::Entity::find()
            .all(db)
            .await
            .expect("departments");
        let users = user::Entity::find().all(db).await.expect("users");
        World {
            placed,
            areas: area::Entity::find()
                .all(db)
                .await
                .expect("areas")
                .into_iter()
                .map(|a| a.code)
                .collect(),
            grids: grid::Entity::find()
                .all(db)
                .await
                .expect("grids")
                .into_iter()
                .map(|g| g.code)
                .collect(),
            active_residents: residents
                .iter()
                .filter(|r| r.status == resident::ResidentStatus::Active)
                .map(|r| r.grid_code.clone())
                .collect(),
            resident_household: residents.iter().map(|r| (r.id, r.household_id)).collect(),
            resident_dwelling: residents.iter().map(|r| (r.id, r.dwelling_id)).collect(),
            household_head: households
                .iter()
                .map(|h| (h.id, h.head_resident_id))
                .collect(),
            dwelling_building: dwellings.iter().map(|d| (d.id, d.building_id)).collect(),
            case_department: cases.iter().map(|c| (c.id, c.department_id)).collect(),
            case_duty: cases
                .iter()
                .map(|c| {
                    (
                        c.id,
                        c.category_code
                            .as_ref()
                            .and_then(|code| categories.get(code).cloned()),
                    )
                })
                .collect(),
            task_sender: tasks.iter().map(|t| (t.id, t.created_by)).collect(),
            assignment: assignments
                .iter()
                .map(|a| (a.id, (a.task_id, a.assignee_user_id, a.department_id)))
                .collect(),
            user_ids: users
                .iter()
                .map(|u| (u.username.clone(), (u.id, u.department_id)))
                .collect(),
            department: departments
                .iter()
                .map(|d| {
                    let duties = d
                        .duties
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| v.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default();
                    (d.code.clone(), (d.id, duties))
                })
                .collect(),
        }
    }

    fn code(&self, kind: &str, id: i64) -> Option<&str> {
        self.placed[kind].get(&id).and_then(|code| code.as_deref())
    }
}

/// One caller: how the rule sees it and what the server knows of it.
struct Caller<'a> {
    name: String,
    who: Who,
    user_id: Option<i64>,
    department: Option<(i64, Vec<String>)>,
    client: Client<'a>,
}

impl Caller<'_> {
    fn reads(&self, rules: &Rules, code: Option<&str>, object: &str) -> bool {
        rules.allows(&self.who, code, object, "read")
    }

    fn owns_task(&self, rules: &Rules, world: &World, task: i64) -> bool {
        let area = world.code("Task", task);
        let sent = self.user_id.is_some() && world.task_sender.get(&task).copied() == self.user_id;
        let addressed = world.assignment.iter().any(|(id, (of, user, department))| {
            *of == task
                && self.addressed(*user, *department)
                && rules.own_stays(&self.who, world.code("TaskAssignment", *id), "task", "read")
        });
        (sent || addressed) && rules.own_stays(&self.who, area, "task", "read")
    }

    fn addressed(&self, user: Option<i64>, department: Option<i64>) -> bool {
        (self.user_id.is_some() && user == self.user_id)
            || (self.department.is_some() && department == self.department.as_ref().map(|d| d.0))
    }

    /// The rule's answer: may this caller see row `id` of `kind`?
    fn sees(&self, rules: &Rules, world: &World, kind: &str, id: i64) -> bool {
        let code = world.code(kind, id);
        match kind {
            "Case" => {
                self.reads(rules, code, "case")
                    && match &self.department {
                        None => true,
                        Some((department, duties)) => {
                            world.case_department[&id] == Some(*department)
                                || world.case_duty[&id]
                                    .as_ref()
                                    .is_some_and(|duty| duties.contains(duty))
                        }
                    }
            }
            "Task" => self.reads(rules, code, "task") || self.owns_task(rules, world, id),
            "TaskAssignment" => {
                let (task, user, department) = world.assignment[&id];
                let sent =
                    self.user_id.is_some() && world.task_sender.get(&task).copied() == self.user_id;
                self.reads(rules, code, "task")
                    || ((self.addressed(user, department)
                        || (sent
                            && rules.own_stays(
                                &self.who,
                                world.code("Task", task),
                                "task",
                                "read",
                            )))
                        && rules.own_stays(&self.who, code, "task", "read"))
            }
            other => self.reads(rules, code, &other.to_lowercase()),
        }
    }
}

fn decode(id: &str) -> (String, i64) {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(id).expect("a global id")).expect("utf-8");
    let (kind, key) = text.split_once(':').expect("Kind:key");
    (kind.to_owned(), key.parse().expect("a numeric key"))
}

fn ids(nodes: &[Value], kind: &str) -> BTreeSet<i64> {
    nodes
        .iter()
        .map(|node| {
            let (found, id) = decode(node["id"].as_str().expect("id"));
            assert_eq!(found, kind);
            id
        })
        .collect()
}

async fn check_caller(rules: &Rules, world: &World, caller: &Caller<'_>) {
    let name = &caller.name;
    // The map: areas and grids.
    let areas: BTreeSet<String> = walk(&caller.client, "", "areas", "code")
        .await
        .iter()
        .map(|n| n["code"].as_str().expect("code").to_owned())
        .collect();
    let expected: BTreeSet<String> = world
        .areas
        .iter()
        .filter(|c| caller.reads(rules, Some(c), "area"))
        .cloned()
        .collect();
    assert_eq!(areas, expected, "{name}: areas");
    let grids: BTreeSet<String> = walk(&caller.client, "", "grids", "code")
        .await
        .iter()
        .map(|n| n["code"].as_str().expect("code").to_owned())
        .collect();
    let expected: BTreeSet<String> = world
        .grids
        .iter()
        .filter(|c| caller.reads(rules, Some(c), "area"))
        .cloned()
        .collect();
    assert_eq!(grids, expected, "{name}: grids");

    // Every list of rows placed in grids.
    let mut visible: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    for (kind, list) in [
        ("Resident", "residents"),
        ("Household", "households"),
        ("Dwelling", "dwellings"),
        ("Building", "buildings"),
        ("Organisation", "organisations"),
        ("Case", "cases"),
        ("Task", "tasks"),
    ] {
        let listed = ids(&walk(&caller.client, "", list, "id").await, kind);
        let expected: BTreeSet<i64> = world.placed[kind]
            .keys()
            .copied()
            .filter(|id| caller.sees(rules, world, kind, *id))
            .collect();
        let extra: Vec<_> = listed
            .difference(&expected)
            .take(5)
            .map(|id| (id, world.code(kind, *id)))
            .collect();
        let missing: Vec<_> = expected
            .difference(&listed)
            .take(5)
            .map(|id| (id, world.code(kind, *id)))
            .collect();
        assert!(
            extra.is_empty() && missing.is_empty(),
            "{name}: {list}: listed but not allowed {extra:?}, allowed but not listed {missing:?}"
        );
        visible.insert(kind, expected);
    }

    // A visible task's assignments, all pages.
    for task in &visible["Task"] {
        let within = format!("task(id: \"{}\")", global_key("Task", *task));
        let listed = ids(
            &walk(&caller.client, &within, "assignments", "id").await,
            "TaskAssignment",
        );
        let expected: BTreeSet<i64> = world
            .assignment
            .iter()
            .filter(|(id, (of, _, _))| {
                of == task && caller.sees(rules, world, "TaskAssignment", **id)
            })
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(listed, expected, "{name}: assignments of task {task}");
    }
    let mine = ids(
        &walk(&caller.client, "", "myAssignments", "id").await,
        "TaskAssignment",
    );
    let expected: BTreeSet<i64> = world
        .assignment
        .iter()
        .filter(|(id, (_, user, department))| {
            caller.addressed(*user, *department)
                && rules.own_stays(
                    &caller.who,
                    world.code("TaskAssignment", **id),
                    "task",
                    "read",
                )
        })
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(mine, expected, "{name}: myAssignments");

    // node(id) for rows on both sides of the line, of every kind.
    let mut draw = 7u64;
    for kind in [
        "Resident",
        "Household",
        "Dwelling",
        "Building",
        "Organisation",
        "Case",
        "Task",
        "TaskAssignment",
    ] {
        let all: Vec<i64> = world.placed[kind].keys().copied().collect();
        let mut sample: Vec<i64> = Vec::new();
        for _ in 0..12 {
            draw = draw
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            sample.push(all[((draw >> 33) as usize) % all.len()]);
        }
        let shown: Vec<i64> = all
            .iter()
            .copied()
            .filter(|id| caller.sees(rules, world, kind, *id))
            .collect();
        sample.extend(shown.iter().step_by((shown.len() / 6).max(1)).take(6));
        let fields: String = sample
            .iter()
            .enumerate()
            .map(|(i, id)| format!("n{i}: node(id: \"{}\") {{ id }} ", global_key(kind, *id)))
            .collect();
        let data = caller
            .client
            .data(&format!("{{ {fields} }}"), json!({}))
            .await;
        for (i, id) in sample.iter().enumerate() {
            let found = !data[format!("n{i}")].is_null();
            assert_eq!(
                found,
                caller.sees(rules, world, kind, *id),
                "{name}: node({kind} {id}) at {:?}",
                world.code(kind, *id)
            );
        }
    }

    // A page's households and their heads, dwellings and their buildings
    // (read by the page's own statement) are the model's: each shown
    // exactly where the caller sees it.
    let mut rows = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let page = caller
            .client
            .data(
                "query($c: String) { residents(first: 100, after: $c) { pageInfo { hasNextPage endCursor }
                    nodes { id household { id head { id } } dwelling { id building { id } } } } }",
                json!({"c": cursor}),
            )
            .await;
        rows.extend(
            page["residents"]["nodes"]
                .as_array()
                .expect("nodes")
                .clone(),
        );
        if page["residents"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        cursor = page["residents"]["pageInfo"]["endCursor"].clone();
    }
    let shown = |kind: &str, id: Option<i64>| {
        id.filter(|id| caller.sees(rules, world, kind, *id))
            .map(|id| global_key(kind, id))
    };
    for row in &rows {
        let (_, id) = decode(row["id"].as_str().expect("id"));
        let household = shown("Household", world.resident_household[&id]);
        let head = world.resident_household[&id]
            .filter(|_| household.is_some())
            .and_then(|h| shown("Resident", world.household_head[&h]));
        let dwelling = shown("Dwelling", world.resident_dwelling[&id]);
        let building = world.resident_dwelling[&id]
            .filter(|_| dwelling.is_some())
            .and_then(|d| shown("Building", Some(world.dwelling_building[&d])));
        for (what, got, expected) in [
            ("household", &row["household"]["id"], household),
            ("head", &row["household"]["head"]["id"], head),
            ("dwelling", &row["dwelling"]["id"], dwelling),
            ("building", &row["dwelling"]["building"]["id"], building),
        ] {
            assert_eq!(
                got.as_str(),
                expected.as_deref(),
                "{name}: the {what} of resident {id} on a page"
            );
        }
    }

    // Relations from visible rows lead only to visible rows.
    let sample: Vec<i64> = visible["Resident"]
        .iter()
        .copied()
        .step_by((visible["Resident"].len() / 15).max(1))
        .take(15)
        .collect();
    for id in sample {
        let data = caller
            .client
            .data(
                "query($id: ID!) { resident(id: $id) { household { id members(first: 100) { nodes { id } } head { id } } dwelling { id building { id dwellings(first: 100) { nodes { id } } } residents(first: 100) { nodes { id } } } } }",
                json!({"id": global_key("Resident", id)}),
            )
            .await;
        let resident = &data["resident"];
        match world.resident_household[&id] {
            Some(h) if caller.sees(rules, world, "Household", h) => {
                let members = ids(
                    resident["household"]["members"]["nodes"]
                        .as_array()
                        .expect("members"),
                    "Resident",
                );
                let expected: BTreeSet<i64> = world
                    .resident_household
                    .iter()
                    .filter(|(r, of)| **of == Some(h) && caller.sees(rules, world, "Resident", **r))
                    .map(|(r, _)| *r)
                    .collect();
                assert_eq!(members, expected, "{name}: members of household {h}");
                if let Some(head) = resident["household"]["head"]["id"].as_str() {
                    let (_, head) = decode(head);
                    assert!(
                        caller.sees(rules, world, "Resident", head),
                        "{name}: head {head}"
                    );
                }
            }
            _ => assert!(
                resident["household"].is_null(),
                "{name}: household of resident {id}: {resident}"
            ),
        }
        match world.resident_dwelling[&id] {
            Some(d) if caller.sees(rules, world, "Dwelling", d) => {
                let dwelling = &resident["dwelling"];
                let building = world.dwelling_building[&d];
                assert_eq!(
                    dwelling["building"].is_null(),
                    !caller.sees(rules, world, "Building", building),
                    "{name}: building of dwelling {d}"
                );
                for shown in dwelling["residents"]["nodes"]
                    .as_array()
                    .expect("residents")
                {
                    let (_, r) = decode(shown["id"].as_str().expect("id"));
                    assert!(
                        caller.sees(rules, world, "Resident", r),
                        "{name}: resident {r} of dwelling {d}"
                    );
                }
                if let Some(dwellings) = dwelling["building"]["dwellings"]["nodes"].as_array() {
                    for shown in dwellings {
                        let (_, other) = decode(shown["id"].as_str().expect("id"));
                        assert!(
                            caller.sees(rules, world, "Dwelling", other),
                            "{name}: dwelling {other} of building {building}"
                        );
                    }
                }
            }
            _ => assert!(
                resident["dwelling"].is_null(),
                "{name}: dwelling of resident {id}"
            ),
        }
    }

    // Statistics: an area answers iff the rule lets the caller read
    // statistics there, and a shown total counts exactly the active
    // residents of the grids the rule admits.
    let mut probes: Vec<&String> = world.areas.iter().filter(|c| c.len() == 6).collect();
    probes.extend(
        world
            .areas
            .iter()
            .filter(|c| c.starts_with("420502003") || c.starts_with("420502001")),
    );
    probes.extend(
        world
            .grids
            .iter()
            .filter(|c| c.starts_with("420502003001"))
            .take(4),
    );
    for chunk in probes.chunks(8) {
        let fields: String = chunk
            .iter()
            .enumerate()
            .map(|(i, code)| format!("s{i}: statistics(area: \"{code}\") {{ residents }} "))
            .collect();
        let data = caller
            .client
            .data(&format!("{{ {fields} }}"), json!({}))
            .await;
        for (i, code) in chunk.iter().enumerate() {
            let answer = &data[format!("s{i}")];
            let allowed = caller.reads(rules, Some(code), "statistics");
            assert_eq!(!answer.is_null(), allowed, "{name}: statistics of {code}");
            if let Some(total) = answer["residents"].as_i64() {
                let expected = world
                    .active_residents
                    .iter()
                    .filter(|grid| {
                        inside(Some(grid), code) && caller.reads(rules, Some(grid), "statistics")
                    })
                    .count();
                assert_eq!(
                    total as usize, expected,
                    "{name}: residents counted in {code}"
                );
            }
        }
    }
}

/// `explainAccess` about the caller itself, and by the admin about its
/// subject (no token): the decision is the rule's, and the rules named are
/// exactly those that bind there, at every district and every place the
/// subject holds a role (its denies among them), a grid inside each, and
/// one outside them all.
async fn check_explanations(rules: &Rules, world: &World, caller: &Caller<'_>, admin: &Client<'_>) {
    let name = &caller.name;
    let subject = &caller.who.subject;
    let mut places: Vec<String> = world
        .areas
        .iter()
        .filter(|c| c.len() == 6)
        .cloned()
        .collect();
    for place in rules.places_of(subject) {
        if place == "*" {
            continue;
        }
        if let Some(grid) = world.grids.iter().find(|g| g.starts_with(&place)) {
            places.push(grid.clone());
        }
        places.push(place);
    }
    places.extend(world.grids.last().cloned());
    places.sort();
    places.dedup();
    let asked: Vec<(&str, &String)> = ["resident", "case"]
        .into_iter()
        .flat_map(|object| places.iter().map(move |place| (object, place)))
        .collect();
    let subject_input = gridgov_tests::subject(subject);
    for (about, client) in [("itself", &caller.client), ("the admin", admin)] {
        let who = match about {
            "itself" => caller.who.clone(),
            _ => Who {
                subject: subject.clone(),
                token: None,
            },
        };
        for chunk in asked.chunks(20) {
            let fields: String = chunk
                .iter()
                .enumerate()
                .map(|(i, (object, place))| {
                    let whose = if about == "itself" { "" } else { "subject: $subject, " };
                    format!(
                        "e{i}: explainAccess({whose}object: \"{object}\", action: \"read\", area: \"{place}\") {{ allowed rules {{ role heldIn object action effect }} }} "
                    )
                })
                .collect();
            let (query, variables) = if about == "itself" {
                (format!("{{ {fields} }}"), json!({}))
            } else {
                (
                    format!("query($subject: RoleSubjectInput!) {{ {fields} }}"),
                    json!({"subject": subject_input}),
                )
            };
            let data = client.data(&query, variables).await;
            for (i, (object, place)) in chunk.iter().enumerate() {
                let explained = &data[format!("e{i}")];
                let what = format!("{name}, explained by {about}: read {object} at {place}");
                assert_eq!(
                    explained["allowed"].as_bool(),
                    Some(rules.allows(&who, Some(place), object, "read")),
                    "{what}: {explained}"
                );
                let mut named: Vec<String> = explained["rules"]
                    .as_array()
                    .expect("rules")
                    .iter()
                    .map(|rule| {
                        format!(
                            "{}@{}: {} {} {}",
                            rule["role"].as_str().unwrap_or_default(),
                            rule["heldIn"].as_str().unwrap_or_default(),
                            rule["object"].as_str().unwrap_or_default(),
                            rule["action"].as_str().unwrap_or_default(),
                            rule["effect"].as_str().unwrap_or_default().to_lowercase()
                        )
                    })
                    .collect();
                named.sort();
                named.dedup();
                // Through a token that does not let the question through,
                // none of the subject's rules show.
                let token_lets = who
                    .token
                    .as_ref()
                    .is_none_or(|token| token.lets(object, "read", Some(place)));
                let expected = if token_lets {
                    rules.binding(subject, Some(place), object, "read")
                } else {
                    Vec::new()
                };
                assert_eq!(named, expected, "{what}");
            }
        }
    }
}

const ADD_POLICY: &str =
    "mutation($input: PolicyInput!) { addPolicy(input: $input) { policy { id } } }";
const ASSIGN: &str = "mutation($input: RoleAssignmentInput!) { assignRole(input: $input) { roleAssignment { id } } }";
const ISSUE: &str =
    "mutation($input: IssueApiTokenInput!) { issueApiToken(input: $input) { secret } }";

/// Deny roles: one per object kind, and one for every read.
async fn add_deny_roles(admin: &Client<'_>) {
    for object in [
        "area",
        "resident",
        "household",
        "dwelling",
        "building",
        "organisation",
        "case",
        "task",
        "statistics",
        "*",
    ] {
        let role = if object == "*" {
            "no_reads".to_owned()
        } else {
            format!("no_{object}")
        };
        admin
            .data(ADD_POLICY, json!({"input": {"comment": "test", "role": role, "object": object, "action": "read", "effect": "DENY"}}))
            .await;
    }
}

async fn assign(admin: &Client<'_>, subject: &str, role: &str, area: &str) {
    admin
        .data(
            ASSIGN,
            json!({"input": {"comment": "test", "subject": gridgov_tests::subject(subject), "role": role, "area": area}}),
        )
        .await;
}

/// A token for `subject` (`user:NAME` or `dept:CODE`) and its limits.
async fn issue(admin: &Client<'_>, subject: &str, limits: &TokenLimits) -> String {
    let scopes: Vec<String> = limits
        .scopes
        .iter()
        .map(|(o, a)| format!("{o}:{a}"))
        .collect();
    let mut input = json!({
        "name": "access model",
        "scopes": scopes,
        "areas": limits.areas,
        "expiresAt": (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339(),
    });
    match subject.split_once(':') {
        Some(("user", name)) => input["username"] = json!(name),
        Some(("dept", code)) => input["departmentId"] = json!(department_id(admin, code).await),
        _ => panic!("subject {subject}"),
    }
    admin.data(ISSUE, json!({"input": input})).await["issueApiToken"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned()
}

async fn user_caller<'a>(server: &'a TestServer, world: &World, username: &str) -> Caller<'a> {
    let (id, department) = world.user_ids[username];
    Caller {
        name: username.to_owned(),
        who: Who {
            subject: format!("user:{username}"),
            token: None,
        },
        user_id: Some(id),
        department: department
            .and_then(|d| world.department.values().find(|(id, _)| *id == d).cloned()),
        client: server.as_user(username).await,
    }
}

async fn token_caller<'a>(
    server: &'a TestServer,
    world: &World,
    admin: &Client<'_>,
    subject: &str,
    limits: TokenLimits,
) -> Caller<'a> {
    let secret = issue(admin, subject, &limits).await;
    let (user_id, department) = match subject.split_once(':') {
        Some(("user", name)) => {
            let (id, department) = world.user_ids[name];
            (
                Some(id),
                department
                    .and_then(|d| world.department.values().find(|(id, _)| *id == d).cloned()),
            )
        }
        Some(("dept", code)) => (None, world.department.get(code).cloned()),
        _ => panic!("subject {subject}"),
    };
    Caller {
        name: format!("token of {subject} {limits:?}"),
        who: Who {
            subject: subject.to_owned(),
            token: Some(limits),
        },
        user_id,
        department,
        client: server.with_bearer(&secret),
    }
}

#[tokio::test]
async fn a_deny_inside_a_wider_allow_narrows_it_at_every_level() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        add_deny_roles(&admin).await;
        // A deny inside each level of allow, for every object at once and
        // for single objects; the first street row is the reproduction of
        // the finding (a street manager kept from one grid's residents).
        for (subject, role, area) in [
            ("user:street-420502003", "no_resident", "420502003001001"),
            ("user:street-420502003", "no_area", "420502003001001"),
            ("user:admin", "no_reads", "420503"),
            ("user:district-420502", "no_reads", "420502003"),
            ("user:street-420502001", "no_reads", "420502001002"),
            ("user:community-420502003001", "no_reads", "420502003001002"),
            ("user:police-420502003001", "no_resident", "420502003001003"),
            ("user:operator", "no_task", "420502"),
            ("user:operator", "no_case", "420503001"),
            ("user:officer-market-420502", "no_case", "420502003"),
            ("user:worker-420502003001001", "no_task", "420502003001001"),
            ("dept:market-420502", "no_reads", "420502001"),
        ] {
            assign(&admin, subject, role, area).await;
        }
        let db = server.db().await;
        let world = World::load(&db).await;
        let rules = Rules::load(&db).await;
        let mut callers = Vec::new();
        for username in [
            "admin",
            "street-420502003",
            "district-420502",
            "street-420502001",
            "community-420502003001",
            "police-420502003001",
            "operator",
            "officer-market-420502",
            "worker-420502003001001",
        ] {
            callers.push(user_caller(&server, &world, username).await);
        }
        for (subject, scopes, areas) in [
            // Tokens inherit their subject's denies…
            ("user:district-420502", vec!["*:read"], vec!["*"]),
            // …and are narrower than their subject in objects and areas.
            (
                "user:street-420502003",
                vec!["resident:read", "area:read"],
                vec!["420502003001"],
            ),
            // A department token with only case:read on one street sees no tasks.
            ("dept:market-420502", vec!["case:read"], vec!["420502001"]),
            // An operator's token with task:read on one district.
            ("user:operator", vec!["task:read"], vec!["420503"]),
            // A district's application token without task:read.
            (
                "user:district-420502",
                vec!["resident:read", "area:read"],
                vec!["*"],
            ),
        ] {
            callers.push(
                token_caller(
                    &server,
                    &world,
                    &admin,
                    subject,
                    TokenLimits::new(&scopes, &areas),
                )
                .await,
            );
        }
        for caller in &callers {
            check_caller(&rules, &world, caller).await;
            check_explanations(&rules, &world, caller, &admin).await;
        }
        // The finding, in numbers: one grid fewer, not the whole city.
        let street = &callers[1];
        let residents = street
            .client
            .data(
                "{ residents { totalCount } areas(filter: {level: DISTRICT}) { totalCount } }",
                json!({}),
            )
            .await;
        let expected = world.placed["Resident"]
            .values()
            .filter(|code| {
                let code = code.as_deref();
                inside(code, "420502003") && !inside(code, "420502003001001")
            })
            .count();
        assert_eq!(
            residents["residents"]["totalCount"].as_u64(),
            Some(expected as u64)
        );
        assert_eq!(residents["areas"]["totalCount"], 0);
        db.close().await.expect("close");
        server
    })
    .await;
}

/// An area strictly inside `area` (a random descendant), from the city's codes.
fn inner_area(draw: &mut Draw, world: &World, area: &str) -> Option<String> {
    let inner: Vec<&String> = world
        .areas
        .iter()
        .chain(world.grids.iter())
        .filter(|code| code.len() > area.len() && code.starts_with(area))
        .collect();
    (!inner.is_empty()).then(|| draw.pick(&inner).to_string())
}

#[tokio::test]
async fn random_denies_inside_callers_areas_agree_with_the_rule() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        add_deny_roles(&admin).await;
        let db = server.db().await;
        let world = World::load(&db).await;
        let seed = std::env::var("GRIDGOV_TEST_DRAW")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(20_261_201u64);
        let mut draw = Draw(seed);
        let denies = [
            "no_reads",
            "no_area",
            "no_resident",
            "no_household",
            "no_dwelling",
            "no_building",
            "no_organisation",
            "no_case",
            "no_task",
            "no_statistics",
        ];
        let districts: Vec<&String> = world.areas.iter().filter(|c| c.len() == 6).collect();
        let streets: Vec<&String> = world.areas.iter().filter(|c| c.len() == 9).collect();
        let communities: Vec<&String> = world.areas.iter().filter(|c| c.len() == 12).collect();
        // Callers of every kind, each holding its own role where it is.
        let mut usernames: Vec<(String, String)> = vec![
            ("admin".into(), "*".into()),
            ("operator".into(), "*".into()),
        ];
        let district = draw.pick(&districts).to_string();
        usernames.push((format!("district-{district}"), district));
        let street = draw.pick(&streets).to_string();
        usernames.push((format!("street-{street}"), street));
        let community = draw.pick(&communities).to_string();
        usernames.push((format!("community-{community}"), community.clone()));
        usernames.push((format!("police-{community}"), community));
        let grid = draw.pick(&world.grids).to_string();
        usernames.push((format!("worker-{grid}"), grid));
        let district = draw.pick(&districts).to_string();
        usernames.push((format!("officer-police-{district}"), district));
        // A street's own office: a department whose jurisdiction is a street.
        let street = draw.pick(&streets).to_string();
        usernames.push((format!("officer-street-office-{street}"), street));
        for (username, area) in &usernames {
            // Denies inside the caller's own area (a carve-out from the
            // allow), and sometimes equal to it or around it.
            for _ in 0..2 {
                let place = match draw.below(5) {
                    0 => Some(area.clone()),
                    _ if area == "*" => Some(draw.pick(&districts).to_string()),
                    _ => inner_area(&mut draw, &world, area),
                };
                if let Some(place) = place {
                    assign(
                        &admin,
                        &format!("user:{username}"),
                        draw.pick::<&str>(&denies),
                        &place,
                    )
                    .await;
                }
            }
            // And now and then an extra role somewhere, with a deny inside it.
            if draw.below(3) == 0 {
                let place = draw.pick(&communities).to_string();
                assign(
                    &admin,
                    &format!("user:{username}"),
                    draw.pick::<&str>(&["grid_worker", "police", "area_manager"]),
                    &place,
                )
                .await;
                if let Some(inner) = inner_area(&mut draw, &world, &place) {
                    assign(
                        &admin,
                        &format!("user:{username}"),
                        draw.pick::<&str>(&denies),
                        &inner,
                    )
                    .await;
                }
            }
        }
        let rules = Rules::load(&db).await;
        let mut callers = Vec::new();
        for (username, _) in &usernames {
            callers.push(user_caller(&server, &world, username).await);
        }
        // Tokens narrower than their subjects: random scopes and areas,
        // sometimes inside the subject's area, sometimes beside it.
        let objects = [
            "area",
            "resident",
            "household",
            "dwelling",
            "building",
            "organisation",
            "case",
            "task",
            "statistics",
            "*",
        ];
        for _ in 0..4 {
            let (username, area) = draw.pick(&usernames).clone();
            let scopes: Vec<String> = (0..1 + draw.below(4))
                .map(|_| format!("{}:read", draw.pick(&objects)))
                .collect();
            let areas: Vec<String> = match draw.below(3) {
                0 => vec!["*".into()],
                1 => vec![
                    inner_area(
                        &mut draw,
                        &world,
                        if area == "*" { "420502" } else { &area },
                    )
                    .unwrap_or(area.clone()),
                ],
                _ => vec![
                    draw.pick(&streets).to_string(),
                    draw.pick(&communities).to_string(),
                ],
            };
            let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
            let areas: Vec<&str> = areas.iter().map(String::as_str).collect();
            callers.push(
                token_caller(
                    &server,
                    &world,
                    &admin,
                    &format!("user:{username}"),
                    TokenLimits::new(&scopes, &areas),
                )
                .await,
            );
        }
        for caller in &callers {
            check_caller(&rules, &world, caller).await;
            check_explanations(&rules, &world, caller, &admin).await;
        }
        db.close().await.expect("close");
        server
    })
    .await;
}
