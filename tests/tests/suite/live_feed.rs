//! What the command centre's screen listens to: people joining the record
//! (newborns among them) and feedback on tasks, each heard by those who see
//! its grid and by nobody else, for the statements of one however many
//! listen.

use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use chrono::{Days, NaiveDate, Utc};
use gridgov::domain::id_number::IdNumber;
use gridgov_tests::{Client, Live, on_each_backend, pending_assignment};
use serde_json::{Value, json};

const GRID: &str = "420502003001001";
const OTHER: &str = "420502003001002";
const COMMUNITY: &str = "420502003001";

static SEQUENCE: AtomicU16 = AtomicU16::new(400);

/// Registers a floating resident into the first dwelling of `grid`; their
/// document number is returned.
async fn register(worker: &Client<'_>, grid: &str) -> String {
    let dwelling = worker
        .data(
            "query($g: String) { dwellings(filter: {within: $g}, first: 1) { edges { node { id } } } }",
            json!({"g": grid}),
        )
        .await["dwellings"]["edges"][0]["node"]["id"]
        .clone();
    let birth = NaiveDate::from_ymd_opt(1991, 3, 9).expect("a date");
    let number = IdNumber::compose("659001", birth, SEQUENCE.fetch_add(1, Ordering::SeqCst));
    let body = worker
        .data(
            "mutation($input: RegisterResidentInput!) { registerResident(input: $input) {
                resident { id } userErrors { message } } }",
            json!({"input": {"idNumber": number, "name": "新住户", "populationType": "FLOATING",
                "dwellingId": dwelling}}),
        )
        .await;
    assert!(
        body["registerResident"]["resident"]["id"].is_string(),
        "{body:#}"
    );
    number
}

/// The next event's grid, waiting up to five seconds.
async fn next_grid(live: &mut Live, field: &str) -> Option<String> {
    let event = live.next(Duration::from_secs(5)).await?;
    event[field]["gridCode"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn people_joining_the_record_are_heard_in_their_grid_only() {
    on_each_backend(|server| async move {
        let worker = server.as_user(&format!("worker-{GRID}")).await;
        let neighbour = server.as_user(&format!("worker-{OTHER}")).await;
        let manager = server.token_for(&format!("community-{COMMUNITY}")).await;
        let query = "subscription($w: String) { residentRegistered(within: $w) { gridCode name birthDate } }";
        let mut centre = server.subscribe(&manager, query, json!({"w": GRID})).await;
        centre.until_live(|| async { register(&worker, GRID).await; }).await;
        let mut outsider = server
            .subscribe(&server.token_for(&format!("worker-{OTHER}")).await, query, json!({}))
            .await;
        outsider.until_live(|| async { register(&neighbour, OTHER).await; }).await;

        // A birth in the grid: the community hears it, the neighbour does not.
        let household = worker
            .data(
                "query($g: String) { households(filter: {within: $g}, first: 1) { edges { node { id } } } }",
                json!({"g": GRID}),
            )
            .await["households"]["edges"][0]["node"]["id"]
            .clone();
        let born_on = Utc::now().date_naive() - Days::new(3);
        let child = IdNumber::compose("420502", born_on, SEQUENCE.fetch_add(1, Ordering::SeqCst));
        let body = worker
            .data(
                "mutation($input: RecordBirthInput!) { recordBirth(input: $input) { resident { id } userErrors { message } } }",
                json!({"input": {"idNumber": child, "name": "小宝", "householdId": household}}),
            )
            .await;
        assert!(body["recordBirth"]["resident"]["id"].is_string(), "{body:#}");
        let heard = centre.next(Duration::from_secs(5)).await.expect("the birth");
        assert_eq!(heard["residentRegistered"]["gridCode"], GRID);
        assert_eq!(heard["residentRegistered"]["birthDate"], json!(born_on.to_string()));

        // The neighbour's stream is live (it heard its own grid), and what
        // it hears next is its own grid again, not the birth next door.
        register(&neighbour, OTHER).await;
        assert_eq!(next_grid(&mut outsider, "residentRegistered").await.as_deref(), Some(OTHER));
        // And the community, asked about its grid only, skips the neighbour's.
        register(&worker, GRID).await;
        assert_eq!(next_grid(&mut centre, "residentRegistered").await.as_deref(), Some(GRID));
        server
    })
    .await;
}

const SEND: &str = "mutation($input: SendTaskInput!) { sendTask(input: $input) { task { id } userErrors { message } } }";

/// Sends an instruction to `grid` as the operator; the worker's assignment
/// (id and version) is returned.
async fn instruct(operator: &Client<'_>, worker: &Client<'_>, grid: &str) -> (Value, i64) {
    let deadline = (Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let sent = operator
        .data(
            SEND,
            json!({"input": {"title": "排查消防通道", "body": "今日排查楼道堆物。", "kind": "INSTRUCTION",
                "deadlineAt": deadline, "targets": {"areas": [grid]}}}),
        )
        .await;
    let task = sent["sendTask"]["task"]["id"].clone();
    assert!(task.is_string(), "{sent:#}");
    let assignment = pending_assignment(worker, "", |t| t["id"] == task).await;
    (
        assignment["id"].clone(),
        assignment["version"].as_i64().expect("a version"),
    )
}

const ACKNOWLEDGE: &str =
    "mutation($id: ID!, $v: Int!) { acknowledgeAssignment(input: {id: $id, version: $v}) {
    assignment { id } userErrors { message } } }";

#[tokio::test]
async fn task_feedback_is_heard_by_those_who_see_the_task() {
    on_each_backend(|server| async move {
        let operator = server.as_user("operator").await;
        let worker = server.as_user(&format!("worker-{GRID}")).await;
        let neighbour = server.as_user(&format!("worker-{OTHER}")).await;
        let query = "subscription($w: String) { assignmentAnswered(within: $w) {
            id areaCode state task { title } } }";
        let mut centre = server
            .subscribe(
                &server.token_for("operator").await,
                query,
                json!({"w": COMMUNITY}),
            )
            .await;
        centre
            .until_live(|| async {
                let (id, version) = instruct(&operator, &worker, GRID).await;
                worker
                    .data(ACKNOWLEDGE, json!({"id": id, "v": version}))
                    .await;
            })
            .await;
        // The neighbouring worker listens too: it sees only its own tasks.
        let mut outsider = server
            .subscribe(
                &server.token_for(&format!("worker-{OTHER}")).await,
                query,
                json!({}),
            )
            .await;
        outsider
            .until_live(|| async {
                let (id, version) = instruct(&operator, &neighbour, OTHER).await;
                neighbour
                    .data(ACKNOWLEDGE, json!({"id": id, "v": version}))
                    .await;
            })
            .await;
        while centre.next(Duration::from_millis(500)).await.is_some() {}

        // The worker of GRID acknowledges: the command centre hears it.
        let (id, version) = instruct(&operator, &worker, GRID).await;
        worker
            .data(ACKNOWLEDGE, json!({"id": id, "v": version}))
            .await;
        let heard = centre
            .next(Duration::from_secs(5))
            .await
            .expect("the receipt");
        assert_eq!(heard["assignmentAnswered"]["id"], id);
        assert_eq!(heard["assignmentAnswered"]["state"], "ACKNOWLEDGED");
        assert_eq!(heard["assignmentAnswered"]["areaCode"], GRID);
        assert_eq!(heard["assignmentAnswered"]["task"]["title"], "排查消防通道");

        // The neighbour hears its own receipt next, never GRID's.
        let (own, version) = instruct(&operator, &neighbour, OTHER).await;
        neighbour
            .data(ACKNOWLEDGE, json!({"id": own, "v": version}))
            .await;
        let next = outsider
            .next(Duration::from_secs(5))
            .await
            .expect("its own receipt");
        assert_eq!(next["assignmentAnswered"]["id"], own);
        server
    })
    .await;
}

/// Reports a case in `grid`.
async fn report(client: &Client<'_>, grid: &str) {
    let body = client
        .data(
            "mutation($input: ReportCaseInput!) { reportCase(input: $input) { case { id } } }",
            json!({"input": {"title": "占道经营", "description": "x", "gridCode": grid, "location": "x"}}),
        )
        .await;
    assert!(body["reportCase"]["case"]["id"].is_string(), "{body:#}");
}

/// Subscribes each of `users` to `query` (on `grid`'s events), each waiting
/// until it hears `poke`'s; then drains every stream of what the others'
/// pokes told it.
async fn listening<F, Fut>(
    server: &gridgov_tests::TestServer,
    users: &[String],
    query: &str,
    poke: F,
) -> Vec<Live>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut lives = Vec::new();
    for user in users {
        let mut live = server
            .subscribe(&server.token_for(user).await, query, json!({}))
            .await;
        live.until_live(&poke).await;
        lives.push(live);
    }
    drain(&mut lives).await;
    lives
}

/// Lets whatever is on its way arrive, once for all of `lives`, and
/// throws it away.
async fn drain(lives: &mut [Live]) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    for live in lives {
        while live.next(Duration::from_millis(20)).await.is_some() {}
    }
}

/// What `change` costs (statements, on the server's counter) with `lives`
/// listening, each of which must hear `field` in GRID once, and `deaf`
/// nothing.
async fn cost_heard<F, Fut>(
    server: &gridgov_tests::TestServer,
    lives: &mut [Live],
    deaf: &mut [Live],
    field: &str,
    change: F,
) -> u64
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let before = server.statements().await;
    change().await;
    for live in lives.iter_mut() {
        let heard = live
            .next(Duration::from_secs(5))
            .await
            .expect("heard by each");
        let place = &heard[field];
        let place = place["gridCode"].as_str().or(place["areaCode"].as_str());
        assert_eq!(place, Some(GRID), "{heard}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cost = server.statements().await - before;
    // The change was answered and heard half a second ago: anything more
    // it sent is here by now, for every stream at once.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for live in lives.iter_mut().chain(deaf.iter_mut()) {
        assert!(
            live.next(Duration::from_millis(20)).await.is_none(),
            "once, and only by those who see it"
        );
    }
    cost
}

/// A change many screens watch is read once per replica, whoever listens:
/// with four subscribers who may see it (each checking its own scope in
/// memory) it costs the statements it costs with one, and a subscriber who
/// may not see its grid is told nothing.
#[tokio::test]
async fn a_change_heard_by_many_screens_costs_the_statements_of_one() {
    on_each_backend(|server| async move {
        let worker = server.as_user(&format!("worker-{GRID}")).await;
        let neighbour = server.as_user(&format!("worker-{OTHER}")).await;
        let watchers = [
            format!("community-{COMMUNITY}"),
            format!("worker-{GRID}"),
            "district-420502".to_owned(),
            format!("police-{COMMUNITY}"),
        ];
        let outsider = [format!("worker-{OTHER}")];

        // People joining the record.
        let query = "subscription { residentRegistered { gridCode name } }";
        let poke = || async {
            register(&worker, GRID).await;
        };
        let mut one = listening(&server, &watchers[..1], query, poke).await;
        let alone = cost_heard(&server, &mut one, &mut [], "residentRegistered", poke).await;
        let mut rest = listening(&server, &watchers[1..], query, poke).await;
        let mut deaf = listening(&server, &outsider, query, || async {
            register(&neighbour, OTHER).await;
        })
        .await;
        rest.append(&mut one);
        drain(&mut rest).await;
        let together = cost_heard(&server, &mut rest, &mut deaf, "residentRegistered", poke).await;
        assert_eq!(
            together, alone,
            "a registration's statements, heard by four and by one"
        );

        // Cases reported.
        let query = "subscription { caseChanged { gridCode state } }";
        let case_watchers = [
            format!("community-{COMMUNITY}"),
            format!("worker-{GRID}"),
            "district-420502".to_owned(),
            "operator".to_owned(),
        ];
        let mut one = listening(&server, &case_watchers[..1], query, || {
            report(&worker, GRID)
        })
        .await;
        let alone = cost_heard(&server, &mut one, &mut [], "caseChanged", || {
            report(&worker, GRID)
        })
        .await;
        let mut rest = listening(&server, &case_watchers[1..], query, || {
            report(&worker, GRID)
        })
        .await;
        let mut deaf = listening(&server, &outsider, query, || report(&neighbour, OTHER)).await;
        rest.append(&mut one);
        drain(&mut rest).await;
        let together = cost_heard(&server, &mut rest, &mut deaf, "caseChanged", || {
            report(&worker, GRID)
        })
        .await;
        assert_eq!(
            together, alone,
            "a report's statements, heard by four and by one"
        );

        // Assignments answered.
        let operator = server.as_user("operator").await;
        let query = "subscription { assignmentAnswered { areaCode state } }";
        let answer = |worker: &'static str, grid: &'static str| {
            let (operator, server) = (&operator, &server);
            async move {
                let worker = server.as_user(worker).await;
                let (id, version) = instruct(operator, &worker, grid).await;
                worker
                    .data(ACKNOWLEDGE, json!({"id": id, "v": version}))
                    .await;
            }
        };
        let mine: &'static str = format!("worker-{GRID}").leak();
        let theirs: &'static str = format!("worker-{OTHER}").leak();
        let task_watchers = [
            "operator".to_owned(),
            format!("community-{COMMUNITY}"),
            format!("worker-{GRID}"),
        ];
        let mut one = listening(&server, &task_watchers[..1], query, || answer(mine, GRID)).await;
        let alone = cost_heard(&server, &mut one, &mut [], "assignmentAnswered", || {
            answer(mine, GRID)
        })
        .await;
        let mut rest = listening(&server, &task_watchers[1..], query, || answer(mine, GRID)).await;
        let mut deaf = listening(&server, &outsider, query, || answer(theirs, OTHER)).await;
        rest.append(&mut one);
        drain(&mut rest).await;
        let together = cost_heard(&server, &mut rest, &mut deaf, "assignmentAnswered", || {
            answer(mine, GRID)
        })
        .await;
        assert_eq!(
            together, alone,
            "an answer's statements, heard by three and by one"
        );
        server
    })
    .await;
}
