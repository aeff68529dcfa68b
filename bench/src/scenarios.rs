//! The named scenarios: each a GraphQL operation, its variables and the
//! account it runs as. Setup finds real rows of the demo city (a grid, its
//! worker, an ID number in it, a cursor, a department) through the API.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use serde_json::{Value, json};

use crate::client::Api;

/// The grid, community and district the scenarios work in.
pub const GRID: &str = "420502003001001";
pub const COMMUNITY: &str = "420502003001";
pub const DISTRICT: &str = "420502";
const POLICE: &str = "police-420502003001";
const OFFICER: &str = "officer-police-420502";
const DEPARTMENT: &str = "police-420502";

const OPEN: &str =
    "[REPORTED, VERIFIED, FILED, DISPATCHED, IN_PROGRESS, SUSPENDED, HANDLED, CHECKED]";

/// A page of 50 residents with their household, without fields whose full
/// reading is audited: authorization is priced, not the audit log.
const RESIDENT_PAGE: &str = "query($filter: ResidentFilter, $after: String, $first: Int = 50) {
  residents(filter: $filter, first: $first, after: $after) {
    pageInfo { endCursor hasNextPage }
    edges { node { id name sex age populationType gridCode
      household { number head { name } } } } } }";

/// A community police officer's page of 50 residents with their ID
/// numbers and phones in full: each such page leaves an audit row (sealed,
/// naming its 50 residents) before it is answered. Its twin without them
/// prices the audit log.
const AUDITED_PAGE: &str = "query($filter: ResidentFilter) {
  residents(filter: $filter, first: 50) {
    edges { node { id name sex age gridCode idNumber phone } } } }";
const UNAUDITED_PAGE: &str = "query($filter: ResidentFilter) {
  residents(filter: $filter, first: 50) {
    edges { node { id name sex age gridCode } } } }";

/// The size of the "next page" scenarios' pages.
const NEXT_PAGE: i32 = 25;

const BY_ID_NUMBER: &str = "query($filter: ResidentFilter) {
  residents(filter: $filter, first: 5) { edges { node { id name gridCode household { number } } } } }";

const OPEN_CASES: &str =
    "query($filter: CaseFilter) { cases(filter: $filter, first: 50) { totalCount
  edges { node { number state light deadlineAt timeline { totalCount } } } } }";

const STATISTICS: &str = "query($area: String) { statistics(area: $area) {
  residents men women sexRatio ageBands { from to count }
  populationTypes { registered floating foreign }
  careFlags { flag count } dwellings { ownerOccupied rented office vacant }
  organisations { valid expired none }
  children { area name residents men women } } }";

/// The screen's map of a district: its streets' counts with their open
/// cases by light.
const STATISTICS_LIGHTS: &str = "query($area: String) { statistics(area: $area) {
  residents openCases { open green yellow red }
  children { area residents openCases { open green yellow red } } } }";

const ACKNOWLEDGE: &str = "mutation($id: ID!) {
  acknowledgeAssignment(input: {id: $id, version: 1}) { assignment { id state } userErrors { field message code } } }";

const REPORT: &str = "mutation($input: ReportCaseInput!) { reportCase(input: $input) { case { id number } userErrors { code } } }";

/// What a request's variables are.
pub enum Vars {
    Fixed(Value),
    /// The next of a list of assignments to acknowledge, each once.
    Acknowledge(Arc<Vec<String>>, Arc<AtomicUsize>),
    /// A new case in the grid, numbered.
    Report(Arc<AtomicUsize>),
}

pub struct Scenario {
    pub name: &'static str,
    pub account: &'static str,
    pub token: String,
    pub query: String,
    pub vars: Vars,
    /// A list read: it has an admin twin and a raw-SQL floor.
    pub list: bool,
    /// The scenario reading the same rows as admin.
    pub twin: Option<&'static str>,
}

impl Scenario {
    pub fn variables(&self) -> Value {
        match &self.vars {
            Vars::Fixed(value) => value.clone(),
            Vars::Acknowledge(ids, next) => {
                let index = next.fetch_add(1, Ordering::Relaxed);
                json!({"id": ids.get(index % ids.len().max(1)).cloned().unwrap_or_default()})
            }
            Vars::Report(next) => {
                let n = next.fetch_add(1, Ordering::Relaxed);
                json!({"input": {"title": format!("压测上报 {n}"), "description": "路面破损，需修补。",
                    "gridCode": REPORT_GRID, "location": "西陵一路"}})
            }
        }
    }
}

/// Cases reported by the write scenario go to a grid of another district,
/// so that they do not grow the lists and statistics the other scenarios
/// read.
const REPORT_GRID: &str = "420503001001001";

/// Tokens of the accounts the scenarios use, each signed in once.
struct Tokens {
    worker: String,
    admin: String,
    police: String,
    manager: String,
    district: String,
    officer: String,
    operator: String,
    reporter: String,
}

/// The cursor after the first `NEXT_PAGE` residents: a next page of that
/// size is full in both cities (a grid of the 60,000 city has about 53).
async fn first_cursor(api: &Api, token: &str, filter: Value) -> anyhow::Result<Value> {
    let data = api
        .data(
            token,
            RESIDENT_PAGE,
            json!({"filter": filter, "first": NEXT_PAGE}),
        )
        .await?;
    Ok(data["residents"]["pageInfo"]["endCursor"].clone())
}

/// Sends one instruction to the grid's worker `count` times over and
/// returns the assignments to acknowledge.
async fn assignments_to_acknowledge(
    api: &Api,
    tokens: &Tokens,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let worker = format!("worker-{GRID}");
    let deadline = chrono_like_deadline();
    let mut remaining = count;
    while remaining > 0 {
        let batch = remaining.min(10_000);
        api.data(
            &tokens.operator,
            "mutation($input: SendTaskInput!) { sendTask(input: $input) { task { id } } }",
            json!({"input": {"title": "压测回执", "body": "请确认收到。", "kind": "INSTRUCTION",
                "deadlineAt": deadline, "targets": {"workers": vec![worker.clone(); batch]}}}),
        )
        .await?;
        remaining -= batch;
    }
    let mut ids = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = api
            .data(
                &tokens.worker,
                "query($after: String) { myAssignments(filter: {states: [PENDING]}, first: 100, after: $after) {
                    pageInfo { endCursor hasNextPage } edges { node { id } } } }",
                json!({"after": after}),
            )
            .await?;
        let list = &data["myAssignments"];
        for edge in list["edges"].as_array().into_iter().flatten() {
            if let Some(id) = edge["node"]["id"].as_str() {
                ids.push(id.to_owned());
            }
        }
        if list["pageInfo"]["hasNextPage"] != true || ids.len() >= count {
            break;
        }
        after = list["pageInfo"]["endCursor"].clone();
    }
    Ok(ids)
}

/// A deadline a week ahead, in RFC 3339, without a date library.
pub fn chrono_like_deadline() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let then = now + 7 * 86_400;
    let days = then / 86_400;
    let (year, month, day) = civil_from_days(days as i64);
    let seconds = then % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Every scenario, set up against the server at `api`. `acknowledgements`
/// is how many assignments to prepare for the acknowledging scenario.
pub async fn all(api: &Api, acknowledgements: usize) -> anyhow::Result<Vec<Arc<Scenario>>> {
    let tokens = Tokens {
        worker: api.login(&format!("worker-{GRID}")).await?,
        admin: api.login("admin").await?,
        police: api.login(POLICE).await?,
        manager: api.login(&format!("community-{COMMUNITY}")).await?,
        district: api.login(&format!("district-{DISTRICT}")).await?,
        officer: api.login(OFFICER).await?,
        operator: api.login("operator").await?,
        reporter: api.login(&format!("worker-{REPORT_GRID}")).await?,
    };
    let in_grid = json!({"within": GRID});
    let worker_cursor = first_cursor(api, &tokens.worker, Value::Null).await?;
    let admin_cursor = first_cursor(api, &tokens.admin, in_grid.clone()).await?;
    let id_number = api
        .data(
            &tokens.police,
            "query($g: String) { residents(filter: {within: $g}, first: 1) { edges { node { idNumber } } } }",
            json!({"g": GRID}),
        )
        .await?["residents"]["edges"][0]["node"]["idNumber"]
        .as_str()
        .context("a resident in the grid")?
        .to_owned();
    let department = api
        .data(&tokens.officer, "{ departments { id code } }", json!({}))
        .await?["departments"]
        .as_array()
        .and_then(|list| list.iter().find(|d| d["code"] == DEPARTMENT))
        .and_then(|d| d["id"].as_str().map(str::to_owned))
        .context("the police department")?;
    let acknowledge = assignments_to_acknowledge(api, &tokens, acknowledgements).await?;

    let open_in_community: Value =
        serde_json::from_str(&format!("{{\"within\": \"{COMMUNITY}\"}}"))?;
    let open_states: Vec<&str> = OPEN.trim_matches(['[', ']']).split(", ").collect();
    let mut community_filter = open_in_community;
    community_filter["states"] = json!(open_states);
    let department_filter =
        json!({"departmentId": department, "states": ["DISPATCHED", "IN_PROGRESS"]});

    let list = |name, account, token: &String, query: &str, vars: Value, twin| Scenario {
        name,
        account,
        token: token.clone(),
        query: query.to_owned(),
        vars: Vars::Fixed(vars),
        list: true,
        twin,
    };
    let scenarios = vec![
        list(
            "worker_first_page",
            "worker",
            &tokens.worker,
            RESIDENT_PAGE,
            json!({}),
            Some("admin_first_page"),
        ),
        list(
            "worker_next_page",
            "worker",
            &tokens.worker,
            RESIDENT_PAGE,
            json!({"after": worker_cursor, "first": NEXT_PAGE}),
            Some("admin_next_page"),
        ),
        list(
            "resident_by_id_number",
            "community police",
            &tokens.police,
            BY_ID_NUMBER,
            json!({"filter": {"idNumber": id_number, "within": GRID}}),
            Some("admin_resident_by_id_number"),
        ),
        list(
            "community_open_cases",
            "community manager",
            &tokens.manager,
            OPEN_CASES,
            json!({"filter": {"states": open_states}}),
            Some("admin_community_open_cases"),
        ),
        list(
            "department_cases",
            "department officer",
            &tokens.officer,
            OPEN_CASES,
            json!({"filter": department_filter}),
            Some("admin_department_cases"),
        ),
        Scenario {
            name: "police_page",
            account: "community police",
            token: tokens.police.clone(),
            query: UNAUDITED_PAGE.to_owned(),
            vars: Vars::Fixed(json!({"filter": {"within": COMMUNITY}})),
            list: false,
            twin: None,
        },
        // The audited page's twin: the same query, rows and bytes, shown
        // masked to the community's manager, so with no audit row. Against
        // it the audited page's cost is the audit's own, without the cost
        // of the two more fields on each row.
        Scenario {
            name: "manager_page_masked",
            account: "community manager",
            token: tokens.manager.clone(),
            query: AUDITED_PAGE.to_owned(),
            vars: Vars::Fixed(json!({"filter": {"within": COMMUNITY}})),
            list: false,
            twin: None,
        },
        Scenario {
            name: "police_page_audited",
            account: "community police",
            token: tokens.police.clone(),
            query: AUDITED_PAGE.to_owned(),
            vars: Vars::Fixed(json!({"filter": {"within": COMMUNITY}})),
            list: false,
            twin: None,
        },
        Scenario {
            name: "district_statistics",
            account: "district manager",
            token: tokens.district.clone(),
            query: STATISTICS.to_owned(),
            vars: Vars::Fixed(json!({"area": DISTRICT})),
            list: false,
            twin: None,
        },
        Scenario {
            name: "district_open_cases_by_light",
            account: "district manager",
            token: tokens.district.clone(),
            query: STATISTICS_LIGHTS.to_owned(),
            vars: Vars::Fixed(json!({"area": DISTRICT})),
            list: false,
            twin: None,
        },
        Scenario {
            name: "worker_acknowledges_task",
            account: "worker",
            token: tokens.worker.clone(),
            query: ACKNOWLEDGE.to_owned(),
            vars: Vars::Acknowledge(Arc::new(acknowledge), Arc::new(AtomicUsize::new(0))),
            list: false,
            twin: None,
        },
        Scenario {
            name: "worker_reports_case",
            account: "worker (another district)",
            token: tokens.reporter.clone(),
            query: REPORT.to_owned(),
            vars: Vars::Report(Arc::new(AtomicUsize::new(0))),
            list: false,
            twin: None,
        },
        list(
            "admin_first_page",
            "admin",
            &tokens.admin,
            RESIDENT_PAGE,
            json!({"filter": in_grid}),
            None,
        ),
        list(
            "admin_next_page",
            "admin",
            &tokens.admin,
            RESIDENT_PAGE,
            json!({"filter": in_grid, "after": admin_cursor, "first": NEXT_PAGE}),
            None,
        ),
        list(
            "admin_resident_by_id_number",
            "admin",
            &tokens.admin,
            BY_ID_NUMBER,
            json!({"filter": {"idNumber": id_number, "within": GRID}}),
            None,
        ),
        list(
            "admin_community_open_cases",
            "admin",
            &tokens.admin,
            OPEN_CASES,
            json!({"filter": community_filter}),
            None,
        ),
        list(
            "admin_department_cases",
            "admin",
            &tokens.admin,
            OPEN_CASES,
            json!({"filter": department_filter}),
            None,
        ),
    ];
    Ok(scenarios.into_iter().map(Arc::new).collect())
}

/// A morning's proportions: mostly workers reading their grid, some
/// managers and departments, some statistics, some writes.
pub const MIXED: &[(&str, u32)] = &[
    ("worker_first_page", 30),
    ("worker_next_page", 20),
    ("resident_by_id_number", 10),
    ("community_open_cases", 10),
    ("department_cases", 8),
    ("district_statistics", 2),
    ("worker_acknowledges_task", 12),
    ("worker_reports_case", 8),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_become_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_783), (2026, 11, 26));
    }
}
