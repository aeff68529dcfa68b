//! Tasks end to end: a campaign fanned out to every grid of a street,
//! received live by a worker over graphql-ws, acknowledged, counted and
//! completed, its progress rolled up to every level; overdue assignments
//! shown to the sender; answers only by the assignee, against the version
//! they read.

use std::time::Duration;

use chrono::Utc;
use entities::{grid, task, task_assignment};
use gridgov_tests::{
    Client, TestServer, error_code, on_each_backend, pending_assignment, user_error,
    user_error_field,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

const STREET: &str = "420502003";
const GRID: &str = "420502003001001";

const SEND: &str = "mutation($input: SendTaskInput!) { sendTask(input: $input) { task {
    id kind areaCode progress { assignments target reached completed } } userErrors { field message code } } }";

const ANSWER_FIELDS: &str = "id state progress version acknowledgedAt completedAt";

/// A campaign over a street, and the people who send and answer it: each
/// step of the scenario is a function of its own, so a failure names it.
struct Campaign<'a> {
    server: &'a TestServer,
    operator: Client<'a>,
    worker: Client<'a>,
    live: gridgov_tests::Live,
    grids: u64,
    task: Value,
    assignment: Value,
}

impl<'a> Campaign<'a> {
    /// The operator, and the street's first grid's worker listening live.
    async fn prepare(server: &'a TestServer) -> Campaign<'a> {
        let operator = server.as_user("operator").await;
        let worker_token = server.token_for(&format!("worker-{GRID}")).await;
        let mut live = server
            .subscribe(
                &worker_token,
                "subscription { taskAssigned { id state target task { title } } }",
                json!({}),
            )
            .await;
        let probe_deadline = (Utc::now() + chrono::Duration::days(1)).to_rfc3339();
        live.until_live(|| {
            let (operator, deadline) = (&operator, probe_deadline.clone());
            async move {
                operator
                    .data(
                        SEND,
                        json!({"input": {"title": "探测", "body": "x", "kind": "INSTRUCTION",
                            "deadlineAt": deadline, "targets": {"workers": [format!("worker-{GRID}")]}}}),
                    )
                    .await;
            }
        })
        .await;
        let db = server.db().await;
        let grids = grid::Entity::find()
            .filter(grid::Column::Code.starts_with(STREET))
            .count(&db)
            .await
            .expect("grids");
        db.close().await.expect("close");
        Campaign {
            server,
            operator,
            worker: server.with_bearer(&worker_token),
            live,
            grids,
            task: Value::Null,
            assignment: Value::Null,
        }
    }

    fn input(targets: Value, per_grid: Option<i32>) -> Value {
        let deadline = (Utc::now() + chrono::Duration::days(2)).to_rfc3339();
        json!({"input": {"title": "入户调查", "body": "每个网格完成 10 户入户调查。",
            "kind": "CAMPAIGN", "priority": "HIGH", "deadlineAt": deadline,
            "targetPerGrid": per_grid, "targets": targets}})
    }

    /// A campaign names its number to reach, and a worker sends none.
    async fn refused_without_a_target_or_by_a_worker(&self) {
        let body = self
            .operator
            .graphql(SEND, Self::input(json!({"areas": [STREET]}), None))
            .await;
        assert_eq!(user_error(&body), Some("REQUIRED"), "{body:#}");
        assert_eq!(
            user_error_field(&body).as_deref(),
            Some("input.targetPerGrid"),
            "{body:#}"
        );
        let body = self
            .worker
            .graphql(SEND, Self::input(json!({"areas": [GRID]}), Some(10)))
            .await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body:#}");
    }

    /// The street and one of its grids again: one assignment per grid.
    async fn sent_once_per_grid(&mut self) {
        let body = self
            .operator
            .graphql(
                SEND,
                Self::input(json!({"areas": [STREET, GRID]}), Some(10)),
            )
            .await;
        let sent = body["data"]["sendTask"]["task"].clone();
        assert_eq!(sent["areaCode"], STREET, "{body:#}");
        assert_eq!(sent["progress"]["assignments"], self.grids);
        assert_eq!(sent["progress"]["target"], self.grids * 10);
        assert_eq!(sent["progress"]["reached"], 0);
        self.task = sent;
    }

    /// The worker hears of it live, and finds it on their list.
    async fn heard_live_and_listed(&mut self) {
        let event = self
            .live
            .next(Duration::from_secs(10))
            .await
            .expect("an assignment");
        assert_eq!(event["taskAssigned"]["task"]["title"], "入户调查");
        assert_eq!(event["taskAssigned"]["target"], 10);
        let assignment = pending_assignment(&self.worker, ANSWER_FIELDS, |task| {
            task["id"] == self.task["id"]
        })
        .await;
        assert_eq!(assignment["id"], event["taskAssigned"]["id"]);
        self.assignment = assignment;
    }

    /// Acknowledge, count, complete: each against the version read, each
    /// only by the assignee.
    async fn answered_by_the_assignee_only(&self) {
        let id = self.assignment["id"].clone();
        let acknowledge = format!(
            "mutation($id: ID!, $v: Int!) {{ acknowledgeAssignment(input: {{id: $id, version: $v}}) {{ assignment {{ {ANSWER_FIELDS} }} userErrors {{ field message code }} }} }}"
        );
        let progress = format!(
            "mutation($id: ID!, $v: Int!, $n: Int, $note: String) {{ reportTaskProgress(input: {{id: $id, version: $v, reached: $n, note: $note}}) {{ assignment {{ {ANSWER_FIELDS} }} userErrors {{ field message code }} }} }}"
        );
        let complete = format!(
            "mutation($id: ID!, $v: Int!) {{ completeAssignment(input: {{id: $id, version: $v, note: \"完成\"}}) {{ assignment {{ {ANSWER_FIELDS} feedback {{ note progress }} }} userErrors {{ field message code }} }} }}"
        );
        let acked = self
            .worker
            .data(&acknowledge, json!({"id": id, "v": 1}))
            .await;
        assert_eq!(
            acked["acknowledgeAssignment"]["assignment"]["state"],
            "ACKNOWLEDGED"
        );
        assert!(acked["acknowledgeAssignment"]["assignment"]["acknowledgedAt"].is_string());
        let body = self
            .worker
            .graphql(&acknowledge, json!({"id": id, "v": 1}))
            .await;
        assert_eq!(user_error(&body), Some("CONFLICT"), "{body:#}");
        let other = self.server.as_user("worker-420502003001002").await;
        let body = other
            .graphql(&progress, json!({"id": id, "v": 2, "n": 9}))
            .await;
        assert_eq!(
            user_error(&body),
            Some("NOT_FOUND"),
            "not theirs to see: {body:#}"
        );
        let body = self
            .operator
            .graphql(&progress, json!({"id": id, "v": 2, "n": 9}))
            .await;
        assert_eq!(
            error_code(&body),
            Some("FORBIDDEN"),
            "the sender sees but does not answer: {body:#}"
        );
        let body = self
            .worker
            .graphql(&progress, json!({"id": id, "v": 2, "n": -1}))
            .await;
        assert_eq!(user_error_field(&body).as_deref(), Some("input.reached"));
        let counted = self
            .worker
            .data(
                &progress,
                json!({"id": id, "v": 2, "n": 7, "note": "已调查 7 户"}),
            )
            .await;
        assert_eq!(counted["reportTaskProgress"]["assignment"]["progress"], 7);
        assert_eq!(
            counted["reportTaskProgress"]["assignment"]["state"],
            "IN_PROGRESS"
        );
        let done = self.worker.data(&complete, json!({"id": id, "v": 3})).await;
        assert_eq!(
            done["completeAssignment"]["assignment"]["state"],
            "COMPLETED"
        );
        let feedback = done["completeAssignment"]["assignment"]["feedback"]
            .as_array()
            .expect("feedback");
        assert_eq!(feedback.len(), 2);
        assert_eq!(feedback[0]["progress"], 7);
        let body = self
            .worker
            .graphql(&complete, json!({"id": id, "v": 4}))
            .await;
        assert_eq!(user_error(&body), Some("INVALID_STATE"));
    }

    /// Progress rolls up: the whole, and by community, grid and district.
    async fn progress_rolls_up_to_every_level(&self) {
        let grids = self.grids as i64;
        let rollup = self
            .operator
            .data(
                "query($id: ID!) { task(id: $id) { progress { assignments completed acknowledged reached target }
                    communities: progressByArea(level: COMMUNITY) { areaCode areaName assignments reached target completed }
                    grids: progressByArea(level: GRID) { areaCode areaName reached }
                    districts: progressByArea(level: DISTRICT) { areaCode assignments reached } } }",
                json!({"id": self.task["id"]}),
            )
            .await;
        let whole = &rollup["task"]["progress"];
        assert_eq!(whole["completed"], 1);
        assert_eq!(whole["acknowledged"], 1);
        assert_eq!(whole["reached"], 7);
        let communities = rollup["task"]["communities"]
            .as_array()
            .expect("communities");
        let sum = |key: &str| {
            communities
                .iter()
                .map(|c| c[key].as_i64().expect("n"))
                .sum::<i64>()
        };
        assert_eq!(sum("assignments"), grids);
        assert_eq!(sum("target"), grids * 10);
        assert_eq!(sum("reached"), 7);
        let own = communities
            .iter()
            .find(|c| c["areaCode"] == "420502003001")
            .expect("the worker's community");
        assert_eq!(own["reached"], 7);
        assert_eq!(own["completed"], 1);
        assert_eq!(
            rollup["task"]["grids"].as_array().map(Vec::len),
            Some(grids as usize)
        );
        assert_eq!(rollup["task"]["districts"][0]["areaCode"], "420502");
        assert_eq!(rollup["task"]["districts"][0]["reached"], 7);
        // Each part names its area as the map does.
        let names = self
            .operator
            .data(
                r#"{ area(code: "420502003001") { name } grid(code: "420502003001001") { name } }"#,
                json!({}),
            )
            .await;
        assert_eq!(own["areaName"], names["area"]["name"]);
        let grid = rollup["task"]["grids"]
            .as_array()
            .expect("grids")
            .iter()
            .find(|g| g["areaCode"] == "420502003001001")
            .expect("the worker's grid");
        assert_eq!(grid["areaName"], names["grid"]["name"]);
        assert!(names["grid"]["name"].is_string());
    }

    /// A worker of another street never hears of it.
    async fn another_street_never_hears_of_it(&self) {
        let far = self.server.as_user("worker-420502004001001").await;
        let data = far
            .data(
                "query($id: ID!) { task(id: $id) { id } }",
                json!({"id": self.task["id"]}),
            )
            .await;
        assert!(data["task"].is_null());
    }
}

#[tokio::test]
async fn a_campaign_fans_out_to_every_grid_and_rolls_up_to_every_level() {
    on_each_backend(|server| async move {
        {
            let mut campaign = Campaign::prepare(&server).await;
            campaign.refused_without_a_target_or_by_a_worker().await;
            campaign.sent_once_per_grid().await;
            campaign.heard_live_and_listed().await;
            campaign.answered_by_the_assignee_only().await;
            campaign.progress_rolls_up_to_every_level().await;
            campaign.another_street_never_hears_of_it().await;
        }
        server
    })
    .await;
}

#[tokio::test]
async fn the_sender_sees_the_overdue_assignments() {
    on_each_backend(|server| async move {
        let db = server.db().await;
        let late = task::Entity::find()
            .filter(task::Column::DeadlineAt.lt(Utc::now()))
            .one(&db)
            .await
            .expect("lookup")
            .expect("a seeded task past its deadline");
        let open = task_assignment::Entity::find()
            .filter(task_assignment::Column::TaskId.eq(late.id))
            .filter(task_assignment::Column::State.ne(task_assignment::AssignmentState::Completed))
            .count(&db)
            .await
            .expect("count");
        db.close().await.expect("close");
        let operator = server.as_user("operator").await;
        let data = operator
            .data(
                "{ tasks(filter: {sentByMe: true}, first: 20) { edges { node { id title
                    overdue: assignments(filter: {overdue: true}) { totalCount }
                    all: assignments { totalCount } } } } }",
                json!({}),
            )
            .await;
        let sent = data["tasks"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| &e["node"])
            .find(|n| n["title"] == late.title.as_str())
            .expect("the late task is among the sender's")
            .clone();
        assert_eq!(sent["overdue"]["totalCount"], open);
        assert!(open > 0);
        server
    })
    .await;
}

#[tokio::test]
async fn live_events_reach_a_token_only_within_its_scopes_and_areas() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let issue = |scopes: serde_json::Value, areas: serde_json::Value| {
            let admin = &admin;
            async move {
                admin
                    .data(
                        "mutation($input: IssueApiTokenInput!) { issueApiToken(input: $input) { secret } }",
                        json!({"input": {"name": "screen", "username": "community-420502003001", "scopes": scopes,
                               "areas": areas, "expiresAt": (Utc::now() + chrono::Duration::days(1)).to_rfc3339()}}),
                    )
                    .await["issueApiToken"]["secret"]
                    .as_str()
                    .expect("secret")
                    .to_owned()
            }
        };
        let narrow = issue(json!(["case:read"]), json!([GRID])).await;
        let wide = issue(json!(["case:read", "task:read"]), json!(["*"])).await;
        let worker = server.as_user(&format!("worker-{GRID}")).await;
        let neighbour = server.as_user("worker-420502003001002").await;
        let report = |grid: &'static str| {
            json!({"input": {"title": "占道", "description": "x", "gridCode": grid, "location": "x"}})
        };
        const REPORT: &str = "mutation($input: ReportCaseInput!) { reportCase(input: $input) { case { id } } }";

        // Cases: the narrow token hears of its grid, not of the next one.
        let mut cases = server
            .subscribe(&narrow, "subscription { caseChanged { gridCode } }", json!({}))
            .await;
        cases.until_live(|| async { worker.data(REPORT, report(GRID)).await; }).await;
        neighbour.data(REPORT, report("420502003001002")).await;
        worker.data(REPORT, report(GRID)).await;
        let event = cases.next(Duration::from_secs(10)).await.expect("an event");
        assert_eq!(event["caseChanged"]["gridCode"], GRID, "the next grid's case is not heard of");

        // Tasks: addressed to the token's user, but a token without
        // task:read hears nothing; one with it hears them.
        let mut silent = server
            .subscribe(&narrow, "subscription { taskAssigned { id } }", json!({}))
            .await;
        let mut heard = server
            .subscribe(&wide, "subscription { taskAssigned { id } }", json!({}))
            .await;
        let operator = server.as_user("operator").await;
        let send = || {
            let operator = &operator;
            async move {
                operator
                    .data(
                        SEND,
                        json!({"input": {"title": "通知", "body": "x", "kind": "INSTRUCTION",
                            "deadlineAt": (Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
                            "targets": {"workers": ["community-420502003001"]}}}),
                    )
                    .await;
            }
        };
        heard.until_live(send).await;
        send().await;
        assert!(heard.next(Duration::from_secs(10)).await.is_some());
        assert!(silent.next(Duration::from_secs(2)).await.is_none(), "no task:read, no task");
        server
    })
    .await;
}

/// Listens as the worker of `grid`, live once a probe sent to them alone
/// has come through.
async fn listening_worker(
    server: &TestServer,
    operator: &Client<'_>,
    grid: &str,
) -> gridgov_tests::Live {
    let token = server.token_for(&format!("worker-{grid}")).await;
    let mut live = server
        .subscribe(
            &token,
            "subscription { taskAssigned { id areaCode task { id title } } }",
            json!({}),
        )
        .await;
    live.until_live(|| async {
        operator
            .data(
                SEND,
                json!({"input": {"title": "探测", "body": "x", "kind": "INSTRUCTION",
                    "deadlineAt": (Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
                    "targets": {"workers": [format!("worker-{grid}")]}}}),
            )
            .await;
    })
    .await;
    live
}

#[tokio::test]
async fn a_campaign_reaches_every_listening_worker_for_the_statements_of_one() {
    on_each_backend(|server| async move {
        let db = server.db().await;
        let grids: Vec<String> = grid::Entity::find()
            .filter(grid::Column::Code.starts_with(STREET))
            .all(&db)
            .await
            .expect("grids")
            .into_iter()
            .take(6)
            .map(|g| g.code)
            .collect();
        db.close().await.expect("close");
        let operator = server.as_user("operator").await;
        let campaign = || Campaign::input(json!({"areas": grids.clone()}), Some(3));

        // What a campaign to six grids costs with one of their workers
        // listening, and then with all six: the same, because the task and
        // its assignments are read once for every subscriber (who asks for
        // the task too).
        let mut lives = vec![listening_worker(&server, &operator, &grids[0]).await];
        let before = server.statements().await;
        operator.data(SEND, campaign()).await;
        let heard = lives[0].next(Duration::from_secs(10)).await.expect("heard");
        assert_eq!(heard["taskAssigned"]["areaCode"], grids[0].as_str());
        tokio::time::sleep(Duration::from_millis(300)).await;
        let one_listening = server.statements().await - before;

        for grid in &grids[1..] {
            lives.push(listening_worker(&server, &operator, grid).await);
        }
        let before = server.statements().await;
        operator.data(SEND, campaign()).await;
        for (live, grid) in lives.iter_mut().zip(&grids) {
            let heard = live.next(Duration::from_secs(10)).await.expect("heard");
            assert_eq!(
                heard["taskAssigned"]["areaCode"],
                grid.as_str(),
                "each their own"
            );
            assert_eq!(heard["taskAssigned"]["task"]["title"], "入户调查");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let six_listening = server.statements().await - before;
        assert_eq!(
            six_listening, one_listening,
            "statements of a campaign to six grids"
        );
        for live in &mut lives {
            assert!(
                live.next(Duration::from_millis(200)).await.is_none(),
                "one each"
            );
        }
        server
    })
    .await;
}
