//! Events lost on their way between replicas (PostgreSQL's NOTIFY) are
//! never skipped quietly: a listener that loses its connection, a replica's
//! numbering that skips (or its word of a number never heard), a
//! subscriber that falls behind — each ends the streams concerned with
//! `UNAVAILABLE`, and a new subscription works.
//! PostgreSQL only: the embedded SQLite is one process with no link to
//! lose.

use std::time::Duration;

use gridgov_tests::{Backend, Client, Live, TestServer, error_code};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};

const GRID: &str = "420502003001001";
const SUBSCRIPTION: &str = "subscription { caseChanged { id gridCode } }";
const REPORT: &str = "mutation($input: ReportCaseInput!) { reportCase(input: $input) {
    case { id } userErrors { code } } }";

/// Reports a case in `GRID`; its id (global) comes back.
async fn report(worker: &Client<'_>) -> String {
    let data = worker
        .data(
            REPORT,
            json!({"input": {"title": "探测", "description": "x", "gridCode": GRID, "location": "x"}}),
        )
        .await;
    data["reportCase"]["case"]["id"]
        .as_str()
        .expect("a case")
        .to_owned()
}

/// A subscriber to the cases of `GRID` that is known to be listening.
async fn listening(server: &TestServer, worker: &Client<'_>) -> Live {
    let token = server.token_for(&format!("worker-{GRID}")).await;
    let mut live = server.subscribe(&token, SUBSCRIPTION, json!({})).await;
    live.until_live(|| async {
        report(worker).await;
    })
    .await;
    live
}

/// Reads events until one carries errors; its first error's code and
/// message, and whether the stream completed within a second after it.
async fn ending(live: &mut Live, wait: Duration) -> (Option<String>, Option<String>, bool) {
    loop {
        let payload = live
            .next_payload(wait)
            .await
            .expect("an error before the stream ends or goes quiet");
        if payload.get("errors").is_some() {
            let code = error_code(&payload).map(str::to_owned);
            let message = payload["errors"][0]["message"].as_str().map(str::to_owned);
            let completed = live.completes(Duration::from_secs(1)).await;
            return (code, message, completed);
        }
    }
}

/// Sends `payload` on the server's event channel, as a replica would.
async fn notify(db: &DatabaseConnection, payload: &Value) {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify('gridgov_events', $1)",
        [payload.to_string().into()],
    ))
    .await
    .expect("notify");
}

/// A numbered case event from the replica `from`, naming the case `id`.
fn numbered(from: u64, seq: u64, case_id: i64) -> Value {
    json!({"type": "event", "from": from, "seq": seq,
        "event": {"kind": "case_changed", "case_id": case_id, "grid_code": GRID}})
}

/// The stored key of a case's global id.
fn case_key(id: &str) -> i64 {
    gridgov_tests::stored_key(&json!(id))
}

/// The server's event listeners connected to its database.
async fn listeners(db: &DatabaseConnection) -> i64 {
    db.query_one_raw(Statement::from_string(
        DbBackend::Postgres,
        "SELECT count(*) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN \"gridgov_events\"%'",
    ))
    .await
    .expect("pg_stat_activity")
    .expect("a row")
    .try_get_by_index::<i64>(0)
    .expect("a count")
}

#[tokio::test]
async fn a_listener_that_loses_its_connection_ends_every_stream_and_comes_back() {
    let Some(server) = TestServer::start(Backend::Postgres).await else {
        return;
    };
    let worker = server.as_user(&format!("worker-{GRID}")).await;
    let mut live = listening(&server, &worker).await;
    let db = server.db().await;
    let killed = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN \"gridgov_events\"%'",
        ))
        .await
        .expect("terminate")
        .expect("a row")
        .try_get_by_index::<i64>(0)
        .expect("a count");
    assert_eq!(killed, 1, "one listener of events per replica");
    let (code, _, completed) = ending(&mut live, Duration::from_secs(10)).await;
    assert_eq!(code.as_deref(), Some("UNAVAILABLE"));
    assert!(completed, "the stream ends after its error");
    // The listener is back (it listens again, and has told the streams
    // opened meanwhile): a new subscription hears the next case.
    for _ in 0..50 {
        if listeners(&db).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut again = listening(&server, &worker).await;
    let id = report(&worker).await;
    let event = again.next(Duration::from_secs(10)).await.expect("an event");
    assert_eq!(event["caseChanged"]["id"], id.as_str());
    server.stop().await;
}

#[tokio::test]
async fn a_number_that_never_arrives_ends_the_stream_and_one_late_does_not() {
    let Some(server) = TestServer::start(Backend::Postgres).await else {
        return;
    };
    let worker = server.as_user(&format!("worker-{GRID}")).await;
    let mut live = listening(&server, &worker).await;
    let case = report(&worker).await;
    assert!(live.next(Duration::from_secs(10)).await.is_some());
    let db = server.db().await;
    let key = case_key(&case);
    // Another replica's 10, 12 and then 11: sent on different connections,
    // NOTIFYs may arrive out of order, and this is no loss.
    for seq in [10, 12, 11] {
        notify(&db, &numbered(7, seq, key)).await;
    }
    for _ in 0..3 {
        let event = live.next(Duration::from_secs(10)).await.expect("an event");
        assert_eq!(event["caseChanged"]["id"], case.as_str());
    }
    // Longer than a hole may wait: the stream is still open and well.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let later = report(&worker).await;
    let event = live
        .next_payload(Duration::from_secs(10))
        .await
        .expect("an event");
    assert!(event.get("errors").is_none(), "{event}");
    assert_eq!(event["data"]["caseChanged"]["id"], later.as_str());
    // 13 never comes: within a few seconds of 14 the stream ends.
    notify(&db, &numbered(7, 14, key)).await;
    let started = std::time::Instant::now();
    let (code, message, completed) = ending(&mut live, Duration::from_secs(10)).await;
    assert_eq!(code.as_deref(), Some("UNAVAILABLE"));
    assert!(message.is_some_and(|message| message.contains("lost")));
    assert!(completed);
    assert!(started.elapsed() < Duration::from_secs(8));
    // A replica's word that it used a number never heard (its last event
    // lost, with nothing after it) is a loss too.
    let mut again = listening(&server, &worker).await;
    notify(&db, &json!({"type": "numbered", "from": 9, "next": 0})).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let still = report(&worker).await;
    let event = again
        .next_payload(Duration::from_secs(10))
        .await
        .expect("an event");
    assert_eq!(
        event["data"]["caseChanged"]["id"],
        still.as_str(),
        "{event}"
    );
    notify(&db, &json!({"type": "numbered", "from": 9, "next": 1})).await;
    let started = std::time::Instant::now();
    let (code, _, completed) = ending(&mut again, Duration::from_secs(10)).await;
    assert_eq!(code.as_deref(), Some("UNAVAILABLE"));
    assert!(completed);
    assert!(started.elapsed() < Duration::from_secs(8));
    // Something on the channel that is not a numbered event is no less a
    // loss.
    let mut third = listening(&server, &worker).await;
    notify(
        &db,
        &json!({"kind": "case_changed", "case_id": key, "grid_code": GRID}),
    )
    .await;
    let (code, _, _) = ending(&mut third, Duration::from_secs(10)).await;
    assert_eq!(code.as_deref(), Some("UNAVAILABLE"));
    server.stop().await;
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_is_told_how_many_it_missed() {
    let Some(server) = TestServer::start(Backend::Postgres).await else {
        return;
    };
    let worker = server.as_user(&format!("worker-{GRID}")).await;
    let mut live = listening(&server, &worker).await;
    let key = case_key(&report(&worker).await);
    assert!(live.next(Duration::from_secs(10)).await.is_some());
    // 3,000 events in one transaction reach the listener at once, far
    // faster than the subscriber reads each case.
    let db = server.db().await;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT count(pg_notify('gridgov_events', json_build_object('type', 'event', 'from', 8, 'seq', g, \
         'event', json_build_object('kind', 'case_changed', 'case_id', $1::bigint, \
         'grid_code', $2::text))::text)) FROM generate_series(0, 2999) g",
        [key.into(), GRID.into()],
    ))
    .await
    .expect("notify");
    let (code, message, completed) = ending(&mut live, Duration::from_secs(30)).await;
    assert_eq!(code.as_deref(), Some("UNAVAILABLE"));
    let message = message.expect("a message");
    assert!(message.contains("fell behind and missed"), "{message}");
    assert!(completed);
    server.stop().await;
}
