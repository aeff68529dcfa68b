//! The closed loop end to end over HTTP, watched over graphql-ws: report →
//! verify → file → dispatch → accept → extension → handle → failed check
//! (rework) → handle → check → close → evaluate, with the authorizer
//! deciding every step, and the lists, lights and indicators agreeing with
//! what is stored.

use std::time::Duration;

use chrono::Utc;
use entities::{audit_log, case};
use gridgov_tests::{
    Client, TestDatabase, TestServer, error_code, on_each_backend, user_error, user_error_field,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const GRID: &str = "420502003001001";
const COMMUNITY: &str = "420502003001";

const MOVE: &str = "mutation($input: MoveCaseInput!) {
    moveCase(input: $input) { case {
        id state version light deadlineAt reworkCount extensionCount pendingRequest
        department { code } satisfaction }
        userErrors { field message code } } }";

const REPORT: &str = "mutation($input: ReportCaseInput!) { reportCase(input: $input) { case {
    id number state version source timeline { nodes { action } } }
    userErrors { field message code } } }";

/// A move's input: the case as held, the transition, and what it carries.
fn move_input(held: &Held, transition: &str, carries: Value) -> Value {
    let mut input = json!({"id": held.id, "version": held.version, "transition": transition});
    for (key, value) in carries.as_object().into_iter().flatten() {
        input[key] = value.clone();
    }
    json!({"input": input})
}

/// A case as the caller last read it: its id and version.
struct Held {
    id: String,
    version: i64,
}

/// A case the grid's worker reported in `GRID` and verified, as held after.
async fn verified(worker: &Client<'_>, title: &str, description: &str, location: &str) -> Held {
    let body = worker
        .graphql(
            REPORT,
            json!({"input": {"title": title, "description": description,
                "gridCode": GRID, "location": location}}),
        )
        .await;
    let reported = &body["data"]["reportCase"]["case"];
    let mut held = Held {
        id: reported["id"].as_str().expect("id").to_owned(),
        version: reported["version"].as_i64().expect("version"),
    };
    step(worker, &mut held, "VERIFY", json!({})).await;
    held
}

async fn step(client: &Client<'_>, held: &mut Held, transition: &str, input: Value) -> Value {
    let body = client
        .graphql(MOVE, move_input(held, transition, input))
        .await;
    let moved = body["data"]["moveCase"]["case"].clone();
    assert!(moved.is_object(), "{transition}: {body:#}");
    held.version = moved["version"].as_i64().expect("a version");
    moved
}

async fn refused(client: &Client<'_>, held: &Held, transition: &str, input: Value) -> Value {
    let body = client
        .graphql(MOVE, move_input(held, transition, input))
        .await;
    assert!(
        body.get("errors").is_some() || user_error(&body).is_some(),
        "{transition} must be refused: {body:#}"
    );
    body
}

/// Reports a throwaway case in `grid`, to wake a subscription.
async fn probe(client: &Client<'_>, grid: &str) {
    client
        .data(
            REPORT,
            json!({"input": {"title": "探测", "description": "x", "gridCode": grid, "location": "x"}}),
        )
        .await;
}

async fn department_id(client: &Client<'_>, code: &str) -> String {
    let data = client.data("{ departments { id code } }", json!({})).await;
    data["departments"]
        .as_array()
        .expect("departments")
        .iter()
        .find(|d| d["code"] == code)
        .and_then(|d| d["id"].as_str())
        .unwrap_or_else(|| panic!("department {code}"))
        .to_owned()
}

/// One case going round the loop, and the people who move it: each step of
/// the scenario is a function of its own, so a failure names the step.
struct Loop<'a> {
    server: &'a TestServer,
    worker: Client<'a>,
    operator: Client<'a>,
    officer: Client<'a>,
    other_officer: Client<'a>,
    manager: Client<'a>,
    live: gridgov_tests::Live,
    held: Held,
    deadline: chrono::DateTime<Utc>,
    timeline: Vec<Value>,
}

impl<'a> Loop<'a> {
    /// A worker on rounds reports a missing manhole cover, watched live.
    async fn report(server: &'a TestServer) -> Loop<'a> {
        let worker = server.as_user(&format!("worker-{GRID}")).await;
        let mut live = server
            .subscribe(
                &server.token_for(&format!("worker-{GRID}")).await,
                "subscription($g: String) { caseChanged(within: $g) { id state version } }",
                json!({"g": GRID}),
            )
            .await;
        live.until_live(|| probe(&worker, GRID)).await;
        let body = worker
            .graphql(
                REPORT,
                json!({"input": {"title": "井盖缺失", "description": "人行道井盖缺失，有坠落风险。",
                    "gridCode": GRID, "location": "西陵一路 8 号门前"}}),
            )
            .await;
        let reported = body["data"]["reportCase"]["case"].clone();
        assert_eq!(reported["state"], "REPORTED", "{body:#}");
        assert_eq!(reported["source"], "GRID_WORKER");
        assert!(
            reported["number"]
                .as_str()
                .is_some_and(|n| n.starts_with("AJ"))
        );
        Loop {
            server,
            worker,
            operator: server.as_user("operator").await,
            officer: server.as_user("officer-police-420502").await,
            other_officer: server.as_user("officer-hrss-420502").await,
            manager: server.as_user(&format!("community-{COMMUNITY}")).await,
            live,
            held: Held {
                id: reported["id"].as_str().expect("id").to_owned(),
                version: reported["version"].as_i64().expect("version"),
            },
            deadline: Utc::now(),
            timeline: Vec::new(),
        }
    }

    /// A neighbour cannot report into the grid (and is told what it would
    /// be told of a grid that does not exist).
    async fn a_neighbour_cannot_report_here(&self) {
        let neighbour = self.server.as_user("worker-420502003001002").await;
        let body = neighbour
            .graphql(
                REPORT,
                json!({"input": {"title": "x", "description": "x", "gridCode": GRID, "location": "x"}}),
            )
            .await;
        assert_eq!(user_error(&body), Some("NOT_FOUND"), "{body:#}");
        assert_eq!(user_error_field(&body).as_deref(), Some("input.gridCode"));
    }

    /// Wrong state, wrong person, missing input; then verified and filed,
    /// which starts a two-working-day clock.
    async fn verified_and_filed(&mut self) {
        let body = refused(&self.worker, &self.held, "CHECK_PASSED", json!({})).await;
        assert_eq!(user_error(&body), Some("INVALID_STATE"));
        step(&self.worker, &mut self.held, "VERIFY", json!({})).await;
        let body = refused(
            &self.worker,
            &self.held,
            "FILE",
            json!({"categoryCode": "D0202"}),
        )
        .await;
        assert_eq!(
            error_code(&body),
            Some("FORBIDDEN"),
            "a worker does not file"
        );
        let body = refused(
            &self.operator,
            &self.held,
            "FILE",
            json!({"categoryCode": "D02"}),
        )
        .await;
        assert_eq!(
            user_error_field(&body).as_deref(),
            Some("input.categoryCode")
        );
        let filed = step(
            &self.operator,
            &mut self.held,
            "FILE",
            json!({"categoryCode": "D0202", "urgency": "NORMAL"}),
        )
        .await;
        assert_eq!(filed["state"], "FILED");
        assert_eq!(filed["light"], "GREEN");
        self.deadline = filed["deadlineAt"]
            .as_str()
            .expect("a deadline")
            .parse()
            .expect("RFC 3339");
        assert!(
            self.deadline > Utc::now() + chrono::Duration::hours(17),
            "two working days"
        );
    }

    /// Dispatched only to a department answering for the duty; another
    /// department does not even see it.
    async fn dispatched_to_the_duty(&mut self) {
        let market = department_id(&self.operator, "market-420502").await;
        let police = department_id(&self.operator, "police-420502").await;
        let body = refused(
            &self.operator,
            &self.held,
            "DISPATCH",
            json!({"departmentId": market}),
        )
        .await;
        assert_eq!(
            user_error_field(&body).as_deref(),
            Some("input.departmentId"),
            "{body:#}"
        );
        let dispatched = step(
            &self.operator,
            &mut self.held,
            "DISPATCH",
            json!({"departmentId": police}),
        )
        .await;
        assert_eq!(dispatched["department"]["code"], "police-420502");
        let body = refused(&self.other_officer, &self.held, "ACCEPT", json!({})).await;
        assert_eq!(user_error(&body), Some("NOT_FOUND"), "{body:#}");
    }

    /// Two accepts of one version at once: one wins, one is told.
    async fn one_of_two_accepts_wins(&mut self) {
        let held = &self.held;
        let (a, b) = tokio::join!(
            self.officer
                .graphql(MOVE, move_input(held, "ACCEPT", json!({}))),
            self.officer
                .graphql(MOVE, move_input(held, "ACCEPT", json!({}))),
        );
        assert!(
            error_code(&a).is_none() && error_code(&b).is_none(),
            "{a:#} {b:#}"
        );
        let codes = [user_error(&a), user_error(&b)];
        assert_eq!(
            codes.iter().filter(|c| c.is_none()).count(),
            1,
            "{a:#} {b:#}"
        );
        assert!(codes.contains(&Some("CONFLICT")), "{a:#} {b:#}");
        let loser = if user_error(&a).is_none() { &b } else { &a };
        assert_eq!(user_error_field(loser).as_deref(), Some("input.version"));
        let winner = if user_error(&a).is_none() { &a } else { &b };
        assert_eq!(winner["data"]["moveCase"]["case"]["state"], "IN_PROGRESS");
        self.held.version = winner["data"]["moveCase"]["case"]["version"]
            .as_i64()
            .expect("version");
    }

    /// More time, asked for by the department and granted by the operator.
    async fn more_time_asked_and_granted(&mut self) {
        let later = (self.deadline + chrono::Duration::days(3)).to_rfc3339();
        let body = refused(&self.operator, &self.held, "EXTEND", json!({})).await;
        assert_eq!(
            user_error(&body),
            Some("INVALID_STATE"),
            "nothing asked yet"
        );
        let asked = step(
            &self.officer,
            &mut self.held,
            "REQUEST_EXTENSION",
            json!({"note": "需协调物业", "deadlineAt": later}),
        )
        .await;
        assert_eq!(asked["pendingRequest"], "EXTENSION");
        let body = refused(&self.officer, &self.held, "EXTEND", json!({})).await;
        assert_eq!(
            error_code(&body),
            Some("FORBIDDEN"),
            "a department does not grant itself"
        );
        let extended = step(&self.operator, &mut self.held, "EXTEND", json!({})).await;
        assert_eq!(extended["extensionCount"], 1);
        assert_eq!(extended["pendingRequest"], Value::Null);
        let new_deadline: chrono::DateTime<Utc> = extended["deadlineAt"]
            .as_str()
            .expect("deadline")
            .parse()
            .expect("RFC 3339");
        assert_eq!(
            new_deadline.timestamp(),
            (self.deadline + chrono::Duration::days(3)).timestamp()
        );
    }

    /// Handled, checked and failed: back to the same department, then
    /// handled again and passed.
    async fn reworked_then_passed(&mut self) {
        let body = refused(&self.officer, &self.held, "HANDLE", json!({})).await;
        assert_eq!(user_error_field(&body).as_deref(), Some("input.evidence"));
        let evidence = json!({"evidence": ["https://evidence.example/manhole/after.jpg"], "note": "已补装井盖"});
        step(&self.officer, &mut self.held, "HANDLE", evidence.clone()).await;
        let reworked = step(
            &self.worker,
            &mut self.held,
            "CHECK_FAILED",
            json!({"note": "井盖松动"}),
        )
        .await;
        assert_eq!(reworked["state"], "DISPATCHED");
        assert_eq!(reworked["reworkCount"], 1);
        assert_eq!(reworked["department"]["code"], "police-420502");
        step(&self.officer, &mut self.held, "ACCEPT", json!({})).await;
        step(&self.officer, &mut self.held, "HANDLE", evidence).await;
        step(&self.worker, &mut self.held, "CHECK_PASSED", json!({})).await;
    }

    /// Closed by the community (not the worker) and evaluated; then no
    /// longer open to supervision.
    async fn closed_and_evaluated(&mut self) {
        let body = refused(&self.worker, &self.held, "CLOSE", json!({})).await;
        assert_eq!(
            error_code(&body),
            Some("FORBIDDEN"),
            "a worker does not close"
        );
        let closed = step(&self.manager, &mut self.held, "CLOSE", json!({})).await;
        assert_eq!(closed["light"], Value::Null, "a closed case has no light");
        let body = refused(
            &self.worker,
            &self.held,
            "EVALUATE",
            json!({"satisfaction": 6}),
        )
        .await;
        assert_eq!(
            user_error_field(&body).as_deref(),
            Some("input.satisfaction")
        );
        let evaluated = step(
            &self.worker,
            &mut self.held,
            "EVALUATE",
            json!({"satisfaction": 5}),
        )
        .await;
        assert_eq!(evaluated["state"], "EVALUATED");
        let body = refused(&self.manager, &self.held, "ESCALATE", json!({"note": "x"})).await;
        assert_eq!(user_error(&body), Some("INVALID_STATE"), "only open cases");
    }

    /// The timeline holds every step, in order, each with its actor.
    async fn the_timeline_holds_every_step(&mut self) {
        let data = self
            .manager
            .data(
                "query($id: ID!) { case(id: $id) { timeline(first: 100) { totalCount nodes {
                    action fromState toState actorName evidence note department { code } } }
                    lastThree: timeline(last: 3) { pageInfo { hasPreviousPage hasNextPage }
                    nodes { action } } } }",
                json!({"id": self.held.id}),
            )
            .await;
        let timeline = data["case"]["timeline"]["nodes"]
            .as_array()
            .expect("timeline")
            .clone();
        // The report that opened the case is no transition.
        let actions: Vec<&str> = timeline
            .iter()
            .map(|s| s["action"].as_str().unwrap_or("(report)"))
            .collect();
        assert_eq!(
            actions,
            [
                "(report)",
                "VERIFY",
                "FILE",
                "DISPATCH",
                "ACCEPT",
                "REQUEST_EXTENSION",
                "EXTEND",
                "HANDLE",
                "CHECK_FAILED",
                "ACCEPT",
                "HANDLE",
                "CHECK_PASSED",
                "CLOSE",
                "EVALUATE"
            ]
        );
        assert_eq!(data["case"]["timeline"]["totalCount"], timeline.len());
        // Paged from its end, the timeline gives its last steps in order.
        let last_three = &data["case"]["lastThree"];
        assert_eq!(
            last_three["nodes"],
            json!([{"action": "CHECK_PASSED"}, {"action": "CLOSE"}, {"action": "EVALUATE"}])
        );
        assert_eq!(last_three["pageInfo"]["hasPreviousPage"], true);
        assert_eq!(last_three["pageInfo"]["hasNextPage"], false);
        assert_eq!(timeline[0]["fromState"], Value::Null);
        assert_eq!(timeline[8]["fromState"], "HANDLED");
        assert_eq!(timeline[8]["toState"], "DISPATCHED");
        assert_eq!(timeline[8]["note"], "井盖松动");
        assert_eq!(
            timeline[7]["evidence"][0],
            "https://evidence.example/manhole/after.jpg"
        );
        assert_eq!(timeline[4]["actorName"], "officer-police-420502");
        assert_eq!(timeline[4]["department"]["code"], "police-420502");
        self.timeline = timeline;
    }

    /// One audit row per step, none for the refusals.
    async fn one_audit_row_per_step(&self) {
        let db = self.server.db().await;
        let key: i64 = case::Entity::find()
            .filter(case::Column::Title.eq("井盖缺失"))
            .one(&db)
            .await
            .expect("lookup")
            .expect("stored")
            .id;
        let audited = audit_log::Entity::find()
            .filter(audit_log::Column::ObjectKind.eq("case"))
            .filter(audit_log::Column::ObjectId.eq(key.to_string()))
            .all(&db)
            .await
            .expect("audit");
        db.close().await.expect("close");
        assert_eq!(audited.len(), self.timeline.len());
    }

    /// The worker watched it all live.
    async fn the_worker_watched_it_all(&mut self) {
        let mut seen = Vec::new();
        while seen.last() != Some(&json!("EVALUATED")) {
            let event = self
                .live
                .next(Duration::from_secs(10))
                .await
                .unwrap_or_else(|| panic!("another event after {seen:?}"));
            assert_eq!(event["caseChanged"]["id"], self.held.id.as_str());
            seen.push(event["caseChanged"]["state"].clone());
        }
        assert_eq!(seen.len(), self.timeline.len(), "{seen:?}");
    }
}

#[tokio::test]
async fn a_case_goes_round_the_loop_with_a_rework_and_every_step_is_decided_and_kept() {
    on_each_backend(|server| async move {
        {
            let mut case = Loop::report(&server).await;
            case.a_neighbour_cannot_report_here().await;
            case.verified_and_filed().await;
            case.dispatched_to_the_duty().await;
            case.one_of_two_accepts_wins().await;
            case.more_time_asked_and_granted().await;
            case.reworked_then_passed().await;
            case.closed_and_evaluated().await;
            case.the_timeline_holds_every_step().await;
            case.one_audit_row_per_step().await;
            case.the_worker_watched_it_all().await;
        }
        server
    })
    .await;
}

#[tokio::test]
async fn lists_lights_and_indicators_agree_with_what_is_stored() {
    on_each_backend(|server| async move {
        let db = server.db().await;
        let stored = case::Entity::find()
            .filter(case::Column::GridCode.starts_with(COMMUNITY))
            .all(&db)
            .await
            .expect("cases");
        db.close().await.expect("close");
        let manager = server.as_user(&format!("community-{COMMUNITY}")).await;
        let count = |filter: Value| {
            let manager = &manager;
            async move {
                manager
                    .data(
                        "query($f: CaseFilter) { cases(filter: $f) { totalCount } }",
                        json!({"f": filter}),
                    )
                    .await["cases"]["totalCount"]
                    .as_u64()
                    .expect("a count")
            }
        };
        assert_eq!(count(Value::Null).await, stored.len() as u64);
        let now = Utc::now();
        let open_with_clock = stored
            .iter()
            .filter(|c| {
                c.deadline_at.is_some()
                    && !matches!(
                        c.state,
                        case::CaseState::Void | case::CaseState::Closed | case::CaseState::Evaluated
                    )
            })
            .collect::<Vec<_>>();
        let red = open_with_clock
            .iter()
            .filter(|c| c.suspended_at.unwrap_or(now) >= c.deadline_at.expect("deadline"))
            .count() as u64;
        let by_light = [
            count(json!({"light": "GREEN"})).await,
            count(json!({"light": "YELLOW"})).await,
            count(json!({"light": "RED"})).await,
        ];
        assert_eq!(by_light.iter().sum::<u64>(), open_with_clock.len() as u64);
        assert_eq!(by_light[2], red);
        assert_eq!(count(json!({"overdue": true})).await, red);
        // Each listed case's own light agrees with the filter that found it.
        for light in ["GREEN", "YELLOW", "RED"] {
            let data = manager
                .data(
                    "query($f: CaseFilter) { cases(filter: $f, first: 100) { edges { node { light overdue } } } }",
                    json!({"f": {"light": light}}),
                )
                .await;
            for edge in data["cases"]["edges"].as_array().expect("edges") {
                assert_eq!(edge["node"]["light"], light);
                assert_eq!(edge["node"]["overdue"], light == "RED");
            }
        }
        let evaluated = stored
            .iter()
            .filter(|c| c.state == case::CaseState::Evaluated)
            .count() as u64;
        assert_eq!(count(json!({"states": ["EVALUATED"]})).await, evaluated);

        // Indicators for the community, against the stored rows.
        let data = manager
            .data(
                "query($a: String) { caseIndicators(area: $a) { reported void filed closed
                    closedOnTime reworked filingRate closureRate onTimeClosureRate reworkRate } }",
                json!({"a": COMMUNITY}),
            )
            .await;
        let indicators = &data["caseIndicators"];
        let filed = stored.iter().filter(|c| c.filed_at.is_some()).count();
        let closed: Vec<_> = stored.iter().filter(|c| c.closed_at.is_some()).collect();
        let on_time = closed
            .iter()
            .filter(|c| c.deadline_at.is_none_or(|d| c.closed_at.expect("closed") <= d))
            .count();
        let reworked = stored.iter().filter(|c| c.rework_count > 0).count();
        assert_eq!(indicators["reported"], stored.len());
        assert_eq!(indicators["filed"], filed);
        assert_eq!(indicators["closed"], closed.len());
        assert_eq!(indicators["closedOnTime"], on_time);
        assert_eq!(indicators["reworked"], reworked);
        let rate = indicators["filingRate"].as_f64().expect("a rate");
        assert!((rate - filed as f64 / stored.len() as f64).abs() < 1e-9);
        // Who may not list the cases does not count them: an arbitrary
        // period could be narrowed down to a single case.
        let analyst = server.as_user("analyst").await;
        let body = analyst
            .graphql("{ caseIndicators { reported } }", json!({}))
            .await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");

        // A department sees the cases dispatched to it and those of its
        // duties, nothing else.
        let officer = server.as_user("officer-market-420502").await;
        let data = officer
            .data(
                "{ cases(first: 100) { totalCount edges { node { categoryCode department { code } } } } }",
                json!({}),
            )
            .await;
        assert!(data["cases"]["totalCount"].as_u64() > Some(0));
        for edge in data["cases"]["edges"].as_array().expect("edges") {
            let ours = edge["node"]["department"]["code"] == "market-420502";
            let food = edge["node"]["categoryCode"]
                .as_str()
                .is_some_and(|code| code.starts_with("D07"));
            assert!(ours || food, "{edge}");
        }
        server
    })
    .await;
}

#[tokio::test]
async fn a_subscriber_on_one_replica_sees_a_case_reported_on_another() {
    on_each_backend(|server| async move {
        // Replicas share one PostgreSQL; the embedded SQLite is one process,
        // where the subscriber listens on the same server.
        let replica = match server.backend {
            gridgov_tests::Backend::Postgres => Some(
                TestServer::start_on(TestDatabase::share(&server), |config| {
                    config.no_seed = true
                })
                .await,
            ),
            gridgov_tests::Backend::Sqlite => None,
        };
        let listening = replica.as_ref().unwrap_or(&server);
        let token = listening.token_for(&format!("worker-{GRID}")).await;
        let mut live = listening
            .subscribe(
                &token,
                "subscription { caseChanged { id title gridCode } }",
                json!({}),
            )
            .await;
        let prober = server.as_user(&format!("worker-{GRID}")).await;
        live.until_live(|| probe(&prober, GRID)).await;
        // Someone else's grid: the subscriber must not hear of it.
        let elsewhere = server.as_user("worker-420502003001002").await;
        elsewhere
            .data(
                REPORT,
                json!({"input": {"title": "邻网格", "description": "x", "gridCode": "420502003001002", "location": "x"}}),
            )
            .await;
        let worker = server.as_user(&format!("worker-{GRID}")).await;
        worker
            .data(
                REPORT,
                json!({"input": {"title": "路灯不亮", "description": "x", "gridCode": GRID, "location": "x"}}),
            )
            .await;
        let event = live.next(Duration::from_secs(10)).await.expect("an event");
        assert_eq!(event["caseChanged"]["title"], "路灯不亮");
        assert_eq!(event["caseChanged"]["gridCode"], GRID);
        if let Some(replica) = replica {
            replica.stop_keeping_database().await;
        }
        server
    })
    .await;
}

/// Expiry does not depend on the backend, so this runs on SQLite only.
#[tokio::test]
async fn a_stream_ends_when_its_token_expires_and_a_bad_token_gets_none() {
    let database = TestDatabase::create(gridgov_tests::Backend::Sqlite)
        .await
        .expect("SQLite is always there");
    let server = TestServer::start_on(database, |config| {
        config.auth.access_token_seconds = 2;
    })
    .await;
    let token = server.token_for(&format!("worker-{GRID}")).await;
    let mut live = server
        .subscribe(&token, "subscription { caseChanged { id } }", json!({}))
        .await;
    let started = std::time::Instant::now();
    assert_eq!(
        live.next(Duration::from_secs(10)).await,
        None,
        "the stream completes"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // Connecting again with the expired token, or with no token at all
    // worth the name, is refused at `connection_init`.
    for bad in [token.as_str(), "not-a-token"] {
        assert!(
            server
                .try_subscribe(bad, "subscription { caseChanged { id } }", json!({}))
                .await
                .is_none(),
            "{bad}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn requests_are_decided_by_a_dispatcher_and_supervision_marks_any_open_case() {
    on_each_backend(|server| async move {
        let worker = server.as_user(&format!("worker-{GRID}")).await;
        let operator = server.as_user("operator").await;
        // A dispute goes to mediation (司法局), not to the police.
        let officer = server.as_user("officer-justice-420502").await;
        let manager = server.as_user(&format!("community-{COMMUNITY}")).await;
        let mut held = verified(&worker, "邻里纠纷", "楼上漏水引发纠纷。", "3 栋").await;
        step(&operator, &mut held, "FILE", json!({"categoryCode": "D0801"})).await;
        let police = department_id(&operator, "police-420502").await;
        let body = refused(&operator, &held, "DISPATCH", json!({"departmentId": police})).await;
        assert_eq!(user_error_field(&body).as_deref(), Some("input.departmentId"), "{body:#}");
        let justice = department_id(&operator, "justice-420502").await;
        step(&operator, &mut held, "DISPATCH", json!({"departmentId": justice})).await;
        let accepted = step(&officer, &mut held, "ACCEPT", json!({})).await;
        let deadline = accepted["deadlineAt"].as_str().expect("deadline").to_owned();

        // Asked, refused, asked again, granted: the clock stops.
        let body = refused(&officer, &held, "REQUEST_SUSPENSION", json!({})).await;
        assert_eq!(user_error_field(&body).as_deref(), Some("input.note"));
        step(&officer, &mut held, "REQUEST_SUSPENSION", json!({"note": "等待法院调解"})).await;
        let body = refused(&officer, &held, "REQUEST_EXTENSION", json!({"note": "x", "deadlineAt": "2031-01-01T00:00:00Z"})).await;
        assert_eq!(user_error(&body), Some("INVALID_STATE"), "one request at a time");
        let refused_once = step(&operator, &mut held, "REFUSE_REQUEST", json!({"note": "先行调解"})).await;
        assert_eq!(refused_once["pendingRequest"], Value::Null);
        step(&officer, &mut held, "REQUEST_SUSPENSION", json!({"note": "等待法院调解"})).await;
        let suspended = step(&operator, &mut held, "SUSPEND", json!({})).await;
        assert_eq!(suspended["state"], "SUSPENDED");
        assert_eq!(suspended["light"], "GREEN");
        let body = refused(&officer, &held, "HANDLE", json!({"evidence": ["https://e.example/x.jpg"]})).await;
        assert_eq!(user_error(&body), Some("INVALID_STATE"));
        let resumed = step(&operator, &mut held, "RESUME", json!({})).await;
        assert_eq!(resumed["state"], "IN_PROGRESS");
        let before: chrono::DateTime<Utc> = deadline.parse().expect("RFC 3339");
        let after: chrono::DateTime<Utc> = resumed["deadlineAt"]
            .as_str()
            .expect("deadline")
            .parse()
            .expect("RFC 3339");
        assert!(after >= before, "the working time left is kept: {before} → {after}");

        // Cards, escalation and urgent marks, by a supervisor only.
        let body = refused(&worker, &held, "SUPERVISE", json!({"card": "RED_CARD"})).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"));
        let body = refused(&manager, &held, "SUPERVISE", json!({})).await;
        assert_eq!(user_error_field(&body).as_deref(), Some("input.card"));
        step(&manager, &mut held, "SUPERVISE", json!({"card": "RED_CARD"})).await;
        step(&manager, &mut held, "ESCALATE", json!({"note": "两次逾期风险"})).await;
        let escalated = manager
            .data(
                "query($id: ID!) { case(id: $id) { escalatedTo escalatedToCode escalatedAt } }",
                json!({"id": held.id}),
            )
            .await;
        assert_eq!(escalated["case"]["escalatedTo"], "STREET");
        assert_eq!(escalated["case"]["escalatedToCode"], &GRID[..9], "the street above the community");
        assert!(escalated["case"]["escalatedAt"].is_string());
        step(&manager, &mut held, "MARK_URGENT", json!({})).await;
        let data = manager
            .data(
                "query($id: ID!) { case(id: $id) { state supervision escalated urgentMark timeline { totalCount } } }",
                json!({"id": held.id}),
            )
            .await;
        assert_eq!(data["case"]["state"], "IN_PROGRESS", "marks do not move the case");
        assert_eq!(data["case"]["supervision"], "RED_CARD");
        assert_eq!(data["case"]["escalated"], true);
        assert_eq!(data["case"]["urgentMark"], true);
        assert_eq!(data["case"]["timeline"]["totalCount"], 13);
        // The operator sees on its map the street the case went up to.
        let seen = operator
            .data("query($id: ID!) { case(id: $id) { escalatedToArea { code level } } }", json!({"id": held.id}))
            .await;
        assert_eq!(seen["case"]["escalatedToArea"], json!({"code": &GRID[..9], "level": "STREET"}));
        // Up one level at a time, each by who supervises where the case
        // stands: the street, then the district; and no further than the city.
        let body = refused(&manager, &held, "ESCALATE", json!({"note": "再报"})).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body:#}");
        let street = server.as_user(&format!("street-{}", &GRID[..9])).await;
        let district = server.as_user(&format!("district-{}", &GRID[..6])).await;
        step(&street, &mut held, "ESCALATE", json!({"note": "街道未能协调"})).await;
        step(&district, &mut held, "ESCALATE", json!({"note": "区级未能协调"})).await;
        let data = manager
            .data(
                "query($id: ID!) { case(id: $id) { escalatedTo escalatedToCode } }",
                json!({"id": held.id}),
            )
            .await;
        assert_eq!(data["case"], json!({"escalatedTo": "CITY", "escalatedToCode": null}));

        let body = refused(&district, &held, "ESCALATE", json!({"note": "再次"})).await;
        assert_eq!(user_error(&body), Some("INVALID_STATE"), "{body:#}");
        let offered = operator
            .data("query($id: ID!) { case(id: $id) { availableTransitions } }", json!({"id": held.id}))
            .await;
        assert!(
            !offered["case"]["availableTransitions"].as_array().expect("moves").iter().any(|m| m == "ESCALATE"),
            "not offered once at the city: {offered:#}"
        );

        // The calendar: a holiday only an administrator sets.
        let set = "mutation($d: Date!, $w: Boolean) { setCalendarDay(input: {day: $d, working: $w, note: \"调休\"}) { calendarDay { day working } userErrors { code } } }";
        let body = manager.graphql(set, json!({"d": "2030-01-02", "w": false})).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"));
        let admin = server.as_user("admin").await;
        admin.data(set, json!({"d": "2030-01-02", "w": false})).await;
        let listed = "{ calendarDays(from: \"2030-01-01\", to: \"2030-01-31\") { day working } }";
        let data = manager.data(listed, json!({})).await;
        assert_eq!(data["calendarDays"], json!([{"day": "2030-01-02", "working": false}]));
        admin.data(set, json!({"d": "2030-01-02", "w": null})).await;
        assert_eq!(manager.data(listed, json!({})).await["calendarDays"], json!([]));
        server
    })
    .await;
}

#[tokio::test]
async fn a_grid_one_may_not_see_answers_like_one_that_does_not_exist() {
    on_each_backend(|server| async move {
        let worker = server.as_user(&format!("worker-{GRID}")).await;
        let report = |grid: &str| {
            json!({"input": {"title": "漏水", "description": "x", "gridCode": grid, "location": "x"}})
        };
        // The neighbouring grid exists; the one after the last does not.
        let hidden = worker.graphql(REPORT, report("420502003001002")).await;
        let missing = worker.graphql(REPORT, report("420502003001999")).await;
        assert_eq!(user_error(&hidden), Some("NOT_FOUND"), "{hidden}");
        assert_eq!(hidden["data"], missing["data"], "the answers tell nothing apart");
        // Without a source said, it follows from who reports.
        let manager = server.as_user(&format!("community-{COMMUNITY}")).await;
        let body = manager.data(REPORT, report(GRID)).await;
        assert_eq!(body["reportCase"]["case"]["source"], "STAFF", "a manager is not a grid worker on rounds");
        let own = worker.data(REPORT, report(GRID)).await;
        assert_eq!(own["reportCase"]["case"]["source"], "GRID_WORKER");
        // Tasks: a name that is no account and one out of reach look alike.
        let operator = server.as_user("street-420502003").await;
        let send = |worker: &str| {
            json!({"input": {"title": "走访", "body": "x", "kind": "INSTRUCTION", "priority": "NORMAL",
                "deadlineAt": (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339(),
                "targets": {"workers": [worker]}}})
        };
        const SEND: &str = "mutation($input: SendTaskInput!) { sendTask(input: $input) { task { id } userErrors { field message code } } }";
        let outside = operator.graphql(SEND, send("worker-420503001001001")).await;
        let nobody = operator.graphql(SEND, send("worker-000000000000000")).await;
        assert_eq!(user_error(&outside), Some("NOT_FOUND"), "{outside}");
        let message = |body: &Value| body["data"]["sendTask"]["userErrors"][0]["message"].as_str().map(str::to_owned);
        assert_eq!(
            message(&outside).map(|m| m.replace("worker-420503001001001", "?")),
            message(&nobody).map(|m| m.replace("worker-000000000000000", "?"))
        );
        server
    })
    .await;
}

#[tokio::test]
async fn a_policy_change_reaches_an_open_subscription() {
    on_each_backend(|server| async move {
        let token = server.token_for(&format!("worker-{GRID}")).await;
        let worker = server.with_bearer(&token);
        let mut live = server
            .subscribe(&token, "subscription { caseChanged { id gridCode } }", json!({}))
            .await;
        live.until_live(|| probe(&worker, GRID)).await;
        // The worker is kept from reading the cases of its own grid.
        let admin = server.as_user("admin").await;
        admin
            .data(
                r#"mutation { addPolicy(input: {comment: "test", role: "no_case", object: "case", action: "read", effect: DENY}) { policy { id } } }"#,
                json!({}),
            )
            .await;
        admin
            .data(
                "mutation($input: RoleAssignmentInput!) { assignRole(input: $input) { roleAssignment { id } } }",
                json!({"input": {"comment": "test", "subject": gridgov_tests::subject(&format!("user:worker-{GRID}")), "role": "no_case", "area": GRID}}),
            )
            .await;
        // A case of the grid, reported by its community, is no longer heard of.
        let manager = server.as_user(&format!("community-{COMMUNITY}")).await;
        manager
            .data(
                REPORT,
                json!({"input": {"title": "占道经营", "description": "x", "gridCode": GRID, "location": "x"}}),
            )
            .await;
        assert!(live.next(Duration::from_secs(3)).await.is_none(), "the deny reaches the open stream");
        server
    })
    .await;
}

/// A move by someone: who (a caller's name), what, carrying what.
type Move = (&'static str, &'static str, Value);

/// Where a case is brought before the moves on offer are tried: each stage
/// is the moves from a fresh report.
fn stages(police: &str) -> Vec<(&'static str, Vec<Move>)> {
    let later = (Utc::now() + chrono::Duration::days(60)).to_rfc3339();
    let verify = ("worker", "VERIFY", json!({}));
    let file = (
        "operator",
        "FILE",
        json!({"categoryCode": "D0202", "urgency": "NORMAL"}),
    );
    let dispatch = ("operator", "DISPATCH", json!({"departmentId": police}));
    let accept = ("officer", "ACCEPT", json!({}));
    let handle = (
        "officer",
        "HANDLE",
        json!({"evidence": ["https://e.example/done.jpg"]}),
    );
    let to_handled = vec![
        verify.clone(),
        file.clone(),
        dispatch.clone(),
        accept.clone(),
        handle,
    ];
    let checked = [
        to_handled.clone(),
        vec![("worker", "CHECK_PASSED", json!({}))],
    ]
    .concat();
    let closed = [checked.clone(), vec![("manager", "CLOSE", json!({}))]].concat();
    vec![
        ("reported", vec![]),
        ("void", vec![("worker", "VOID", json!({"note": "误报"}))]),
        ("verified", vec![verify.clone()]),
        ("filed", vec![verify.clone(), file.clone()]),
        (
            "dispatched",
            vec![verify.clone(), file.clone(), dispatch.clone()],
        ),
        (
            "in progress",
            vec![
                verify.clone(),
                file.clone(),
                dispatch.clone(),
                accept.clone(),
            ],
        ),
        (
            "an extension asked for",
            vec![
                verify.clone(),
                file.clone(),
                dispatch.clone(),
                accept.clone(),
                (
                    "officer",
                    "REQUEST_EXTENSION",
                    json!({"note": "需协调", "deadlineAt": later}),
                ),
            ],
        ),
        (
            "a suspension asked for",
            vec![
                verify.clone(),
                file.clone(),
                dispatch.clone(),
                accept.clone(),
                ("officer", "REQUEST_SUSPENSION", json!({"note": "等待鉴定"})),
            ],
        ),
        (
            "suspended",
            vec![
                verify.clone(),
                file.clone(),
                dispatch.clone(),
                accept.clone(),
                ("officer", "REQUEST_SUSPENSION", json!({"note": "等待鉴定"})),
                ("operator", "SUSPEND", json!({})),
            ],
        ),
        ("handled", to_handled),
        ("checked", checked),
        ("closed", closed.clone()),
        (
            "evaluated",
            [
                closed,
                vec![("worker", "EVALUATE", json!({"satisfaction": 4}))],
            ]
            .concat(),
        ),
    ]
}

#[tokio::test]
async fn every_move_on_offer_succeeds_and_every_other_is_refused() {
    on_each_backend(|server| async move {
        let worker = server.as_user(&format!("worker-{GRID}")).await;
        let operator = server.as_user("operator").await;
        // A token narrower than its subject: the operator's desk app, which
        // may only verify and file, in one community.
        let expires = (Utc::now() + chrono::Duration::days(1)).to_rfc3339();
        let issued = server
            .as_user("admin")
            .await
            .data(
                "mutation($input: IssueApiTokenInput!) { issueApiToken(input: $input) { secret userErrors { field message code } } }",
                json!({"input": {"name": "desk app", "username": "operator",
                    "scopes": ["case:read", "case:verify", "case:file"], "areas": [COMMUNITY], "expiresAt": expires}}),
            )
            .await;
        let secret = issued["issueApiToken"]["secret"].as_str().expect("a secret").to_owned();
        let callers = [
            ("worker", worker),
            ("operator", operator),
            ("officer", server.as_user("officer-police-420502").await),
            ("other officer", server.as_user("officer-hrss-420502").await),
            ("manager", server.as_user(&format!("community-{COMMUNITY}")).await),
            ("operator's app", server.with_bearer(&secret)),
        ];
        let client = |who: &str| &callers.iter().find(|(name, _)| *name == who).expect("a caller").1;
        let police = department_id(client("operator"), "police-420502").await;
        let later = (Utc::now() + chrono::Duration::days(90)).to_rfc3339();
        // Every input any move reads, each valid, so only the rule decides.
        let carries = json!({"note": "x", "evidence": ["https://e.example/x.jpg"],
            "categoryCode": "D0202", "urgency": "NORMAL", "departmentId": police,
            "deadlineAt": later, "satisfaction": 5, "card": "YELLOW_CARD"});
        // What a case is about goes only with DESCRIBE.
        let carried = |transition: &str| {
            let mut carries = carries.clone();
            if transition == "DESCRIBE" {
                carries["parties"] = json!([{"side": "OTHER", "name": "x"}]);
            }
            carries
        };
        let table = client("operator").data("{ caseTransitions { transition } }", json!({})).await;
        let all: Vec<String> = table["caseTransitions"]
            .as_array()
            .expect("the table")
            .iter()
            .map(|row| row["transition"].as_str().expect("a transition").to_owned())
            .collect();
        assert_eq!(all.len(), 22);
        let reach = |steps: Vec<Move>| async {
            let body = client("worker")
                .data(REPORT, json!({"input": {"title": "占道", "description": "x", "gridCode": GRID, "location": "x"}}))
                .await;
            let reported = &body["reportCase"]["case"];
            let mut held = Held {
                id: reported["id"].as_str().expect("id").to_owned(),
                version: reported["version"].as_i64().expect("version"),
            };
            for (who, transition, input) in steps {
                step(client(who), &mut held, transition, input).await;
            }
            held
        };
        let mut ever_offered = std::collections::BTreeSet::new();
        let mut app_offered = std::collections::BTreeSet::new();
        for (stage, steps) in stages(&police) {
            let held = reach(steps.clone()).await;
            let mut offers = Vec::new();
            for (who, caller) in &callers {
                let seen = caller
                    .data("query($id: ID!) { case(id: $id) { availableTransitions } }", json!({"id": held.id}))
                    .await;
                let offered: Vec<String> = seen["case"]["availableTransitions"]
                    .as_array()
                    .map(|moves| moves.iter().filter_map(|m| m.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default();
                for transition in all.iter().filter(|t| !offered.contains(t)) {
                    let body = caller.graphql(MOVE, move_input(&held, transition, carried(transition))).await;
                    assert!(
                        body.get("errors").is_some() || user_error(&body).is_some(),
                        "{stage}: {who} was not offered {transition} but it went through: {body:#}"
                    );
                }
                offers.push((*who, offered));
            }
            let offered_to = |name: &str| offers.iter().find(|(who, _)| *who == name).map(|(_, o)| o.clone()).unwrap_or_default();
            let app = offered_to("operator's app");
            assert!(
                app.iter().all(|t| offered_to("operator").contains(t)
                    && ["VERIFY", "VOID", "RESOLVE_ON_SPOT", "DESCRIBE", "FILE"].contains(&t.as_str())),
                "{stage}: the app may do no more than its user and its scopes: {app:?}"
            );
            app_offered.extend(app);
            for (who, offered) in offers {
                for transition in offered {
                    let fresh = reach(steps.clone()).await;
                    let body = client(who).graphql(MOVE, move_input(&fresh, &transition, carried(&transition))).await;
                    assert!(
                        body.get("errors").is_none() && user_error(&body).is_none(),
                        "{stage}: {who} was offered {transition} but it was refused: {body:#}"
                    );
                    ever_offered.insert(transition);
                }
            }
        }
        let never: Vec<&String> = all.iter().filter(|t| !ever_offered.contains(*t)).collect();
        assert!(never.is_empty(), "offered to no one at any stage: {never:?}");
        assert!(app_offered.contains("FILE"), "the app's own moves reach it: {app_offered:?}");
        server
    })
    .await;
}

/// An emergency runs on the clock, not on office hours: a fire (火情, one
/// hour) filed at any time of day or night is due an hour later.
#[tokio::test]
async fn an_emergency_runs_on_the_clock() {
    on_each_backend(|server| async move {
        let worker = server.as_user(&format!("worker-{GRID}")).await;
        let operator = server.as_user("operator").await;
        let mut held = verified(
            &worker,
            "楼道起火",
            "3 栋 2 单元楼道堆放杂物起火。",
            "3 栋 2 单元",
        )
        .await;
        step(
            &operator,
            &mut held,
            "FILE",
            json!({"categoryCode": "U0402", "urgency": "NORMAL"}),
        )
        .await;
        let data = operator
            .data(
                "query($id: ID!) { case(id: $id) { filedAt deadlineAt light
                    category { timeLimits { urgency unit text } } } }",
                json!({"id": held.id}),
            )
            .await;
        let at = |field: &str| -> chrono::DateTime<Utc> {
            data["case"][field]
                .as_str()
                .expect(field)
                .parse()
                .expect("RFC 3339")
        };
        assert_eq!(at("deadlineAt") - at("filedAt"), chrono::Duration::hours(1));
        assert_eq!(data["case"]["light"], "GREEN");
        let normal = data["case"]["category"]["timeLimits"]
            .as_array()
            .expect("limits")
            .iter()
            .find(|limit| limit["urgency"] == "NORMAL")
            .cloned()
            .expect("a normal limit");
        assert_eq!(normal["unit"], "HOURS");
        assert_eq!(normal["text"], "1 小时");
        server
    })
    .await;
}
