//! When the database goes away: `/readyz` says so, requests fail fast with
//! a retryable UNAVAILABLE (HTTP 503 with Retry-After) instead of hanging or
//! answering INTERNAL, and everything recovers when it comes back.
//!
//! PostgreSQL only: the server reaches it through a TCP relay in this test,
//! and cutting the relay is the lost network (SQLite is a file beside the
//! process and cannot be lost this way).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gridgov_tests::{Backend, TestDatabase, TestServer, department_id, error_code};
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// A TCP relay that can be cut and restored.
struct Relay {
    address: SocketAddr,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Relay {
    async fn start(target: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let up = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (up_in, links_in) = (up.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up_in.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let target = target.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                links_in.lock().expect("links").push(link.abort_handle());
            }
        });
        Relay { address, up, links }
    }

    /// Drops every connection and refuses new ones: the database is gone.
    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().expect("links").drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// `scheme://user:password@HOST:PORT/db` → (`HOST:PORT`, the URL with `with` there).
fn through(url: &str, with: SocketAddr) -> (String, String) {
    let start = url.find('@').expect("credentials in the URL") + 1;
    let end = start + url[start..].find('/').expect("a database in the URL");
    let target = url[start..end].to_owned();
    (target, format!("{}{with}{}", &url[..start], &url[end..]))
}

async fn readyz(server: &TestServer) -> (StatusCode, bool) {
    let response = server
        .client
        .get(server.url("/readyz"))
        .send()
        .await
        .expect("readyz answers");
    (
        response.status(),
        response.headers().contains_key(RETRY_AFTER),
    )
}

async fn post(server: &TestServer, bearer: &str) -> (StatusCode, bool, Value) {
    let response = server
        .client
        .post(server.url("/graphql"))
        .bearer_auth(bearer)
        .json(&json!({"query": "{ residents(first: 1) { totalCount } }"}))
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    let retry = response.headers().contains_key(RETRY_AFTER);
    (
        status,
        retry,
        response.json().await.expect("a GraphQL response"),
    )
}

#[tokio::test]
async fn a_lost_database_is_a_fast_retryable_error_and_service_comes_back() {
    let Some(mut database) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let url = database
        .config
        .database_url
        .clone()
        .expect("a PostgreSQL URL");
    let target = through(&url, "127.0.0.1:1".parse().expect("address")).0;
    let relay = Relay::start(target).await;
    database.config.database_url = Some(through(&url, relay.address).1);
    let server = TestServer::start_on(database, |_| {}).await;
    let user = server.token_for("admin").await;
    let admin = server.with_bearer(&user);
    let police = department_id(&admin, "police-420502").await;
    let issued = admin
        .data(
            "mutation($input: IssueApiTokenInput!) { issueApiToken(input: $input) { secret } }",
            json!({"input": {"name": "outage", "departmentId": police, "scopes": ["*:read"], "areas": ["*"],
                   "expiresAt": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339()}}),
        )
        .await;
    let api_token = issued["issueApiToken"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert_eq!(readyz(&server).await.0, StatusCode::OK);

    relay.cut();
    // Each of these must come back (no hang) with the retryable answer.
    let guard = Duration::from_secs(20);
    let (status, retry) = tokio::time::timeout(guard, readyz(&server))
        .await
        .expect("readyz does not hang");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(retry);
    for bearer in [&user, &api_token] {
        let (status, retry, body) = tokio::time::timeout(guard, post(&server, bearer))
            .await
            .expect("no hang");
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(retry, "Retry-After is set");
        assert_eq!(error_code(&body), Some("UNAVAILABLE"), "{body}");
        assert!(body.get("data").is_none());
    }

    relay.restore();
    let mut recovered = false;
    for _ in 0..100 {
        if readyz(&server).await.0 == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "ready again once the database is back");
    for bearer in [&user, &api_token] {
        let (status, _, body) = post(&server, bearer).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
        assert!(body["data"]["residents"]["totalCount"].is_u64(), "{body}");
    }
    // The test database is dropped through the admin URL, not the relay.
    server.stop().await;
}
