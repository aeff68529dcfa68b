//! The wire as a strict client and an attacker meet it: every answer of
//! `/graphql` is a GraphQL response with a code and the status the
//! GraphQL-over-HTTP specification asks for; documents are bounded before
//! any work that grows with them; an anonymous caller may only sign in;
//! graphql-ws refuses with the protocol's own close codes.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use gridgov_tests::{TestServer, error_code, on_each_backend};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, ALLOW, CONTENT_TYPE, RETRY_AFTER};
use serde_json::{Value, json};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// POSTs `body` as `content_type`, accepting `accept`, with a bearer.
async fn send(
    server: &TestServer,
    bearer: Option<&str>,
    content_type: &str,
    accept: Option<&str>,
    body: String,
) -> (StatusCode, String, Value) {
    let mut request = server
        .client
        .post(server.url("/graphql"))
        .header(CONTENT_TYPE, content_type)
        .body(body);
    if let Some(accept) = accept {
        request = request.header(ACCEPT, accept);
    }
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    let media = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: Value = response
        .json()
        .await
        .expect("a JSON body, whatever went wrong");
    (status, media, body)
}

fn query(text: &str) -> String {
    json!({"query": text}).to_string()
}

#[tokio::test]
async fn refusals_before_graphql_are_graphql_responses_with_codes() {
    on_each_backend(|server| async move {
        let token = server.token_for("admin").await;
        let token = Some(token.as_str());
        for (content_type, body, status, code) in [
            (
                "application/json",
                "{".to_owned(),
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
            ),
            (
                "application/json",
                r#"{"query": "{ me { username } }", "variables": "{}"}"#.to_owned(),
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
            ),
            (
                "application/json",
                r#"{"variables": {}}"#.to_owned(),
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
            ),
            (
                "application/json",
                "[]".to_owned(),
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
            ),
            (
                "application/json",
                format!(
                    "{{\"query\": \"{{ me {{ username }} }}{}\"}}",
                    " ".repeat(300 * 1024)
                ),
                StatusCode::PAYLOAD_TOO_LARGE,
                "QUERY_TOO_COMPLEX",
            ),
            // A form or text/plain body never runs: no cross-site mutation.
            (
                "text/plain",
                query("mutation { logout(input: {refreshToken: \"x\"}) { signedOut } }"),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "BAD_REQUEST",
            ),
            (
                "application/x-www-form-urlencoded",
                "query=%7Bme%7D".to_owned(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "BAD_REQUEST",
            ),
        ] {
            let (got, media, body) = send(&server, token, content_type, None, body).await;
            assert_eq!(got, status, "{content_type}: {body}");
            assert!(media.starts_with("application/json"), "{media}");
            assert_eq!(error_code(&body), Some(code), "{body}");
            assert!(body.get("data").is_none(), "{body}");
            let message = body["errors"][0]["message"].as_str().unwrap_or_default();
            assert!(
                !message.contains("BatchRequest") && !message.contains("Error("),
                "no Rust in messages: {message}"
            );
        }
        server
    })
    .await;
}

#[tokio::test]
async fn request_errors_are_400_without_data_under_the_graphql_response_type() {
    on_each_backend(|server| async move {
        let token = server.token_for("admin").await;
        let token = Some(token.as_str());
        for (text, code) in [
            ("{", "GRAPHQL_PARSE_FAILED"),
            ("{ noSuchField }", "GRAPHQL_VALIDATION_FAILED"),
            ("query($id: ID!) { resident(id: $id) { name } }", "BAD_USER_INPUT"),
        ] {
            let (status, media, body) = send(&server, token, "application/json", Some(GRAPHQL_RESPONSE), query(text)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{text}: {body}");
            assert!(media.starts_with(GRAPHQL_RESPONSE), "{media}");
            assert!(body.get("data").is_none(), "{body}");
            assert_eq!(error_code(&body), Some(code), "{text}: {body}");
            // The legacy type answers 200, with the same body.
            let (status, media, legacy) = send(&server, token, "application/json", Some("application/json"), query(text)).await;
            assert_eq!(status, StatusCode::OK);
            assert!(media.starts_with("application/json"));
            assert_eq!(error_code(&legacy), Some(code));
        }
        // A field error keeps its data and 200 under either type.
        let (status, _, body) = send(&server, token, "application/json", Some(GRAPHQL_RESPONSE), query(r#"{ me { username } residents(filter: {within: "42050200300101"}) { totalCount } }"#)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["me"]["username"], "admin");
        assert!(body["data"]["residents"].is_null());
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"));
        // An Accept the endpoint cannot meet.
        let (status, _, body) = send(&server, token, "application/json", Some("text/csv"), query("{ me { username } }")).await;
        assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
        assert_eq!(error_code(&body), Some("BAD_REQUEST"));
        server
    })
    .await;
}

#[tokio::test]
async fn values_that_do_not_coerce_are_bad_user_input() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        for (text, variables) in [
            (
                r#"{ calendarDays(from: "2025-02-29", to: "2025-03-01") { day } }"#,
                json!({}),
            ),
            (
                "{ residents(first: 99999999999) { totalCount } }",
                json!({}),
            ),
            (
                r#"{ caseIndicators(from: "yesterday") { reported } }"#,
                json!({}),
            ),
            ("{ residents(filter: [1]) { totalCount } }", json!({})),
            (
                "query($from: Date!) { calendarDays(from: $from, to: $from) { day } }",
                json!({"from": "2025-13-01"}),
            ),
            (
                "query($n: Int) { residents(first: $n) { totalCount } }",
                json!({"n": 1.5}),
            ),
        ] {
            let body = admin.graphql(text, variables).await;
            assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{text}: {body}");
        }
        server
    })
    .await;
}

/// The server still answers a simple request.
async fn still_answers(server: &TestServer) {
    let body = server.graphql("{ __typename }", json!({})).await;
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
}

#[tokio::test]
async fn documents_are_bounded_before_they_are_parsed_or_expanded() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        let deep_list = format!(
            "{{ residents(filter: {{careFlags: {}ELDERLY_ALONE{}}}) {{ totalCount }} }}",
            "[".repeat(5_000),
            "]".repeat(5_000)
        );
        let deep_default = format!(
            "query($v: ResidentFilter = {}) {{ __typename }}",
            "{a: ".repeat(3_000)
        );
        let mut doubling = String::from("query { ...F0 }\nfragment F40 on Query { __typename }\n");
        for level in 0..40 {
            doubling.push_str(&format!(
                "fragment F{level} on Query {{ ...F{next} ...F{next} }}\n",
                next = level + 1
            ));
        }
        let mut missing =
            String::from("query { ...F0 }\nfragment F40 on Query { ...Missing ...Missing }\n");
        for level in 0..40 {
            missing.push_str(&format!(
                "fragment F{level} on Query {{ ...F{next} ...F{next} }}\n",
                next = level + 1
            ));
        }
        let directives = format!("{{ __typename {} }}", "@include(if: true) ".repeat(10_000));
        let tokens = format!("{{ {} }}", "__typename ".repeat(20_000));
        for text in [
            deep_list,
            deep_default,
            doubling,
            missing,
            directives,
            tokens,
        ] {
            // Anonymous first: bounds come before anything else.
            for body in [
                server.graphql(&text, json!({})).await,
                admin.graphql(&text, json!({})).await,
            ] {
                assert_eq!(
                    error_code(&body),
                    Some("QUERY_TOO_COMPLEX"),
                    "{}: {body}",
                    &text[..40.min(text.len())]
                );
            }
            still_answers(&server).await;
        }
        // A few of the worst in parallel leave the server answering.
        let mut doubling = String::from("query { ...F0 }\nfragment F30 on Query { __typename }\n");
        for level in 0..30 {
            doubling.push_str(&format!(
                "fragment F{level} on Query {{ ...F{next} ...F{next} }}\n",
                next = level + 1
            ));
        }
        let floods: Vec<_> = (0..8)
            .map(|_| server.graphql(&doubling, json!({})))
            .collect();
        for body in futures_util::future::join_all(floods).await {
            assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"));
        }
        still_answers(&server).await;
        server
    })
    .await;
}

#[tokio::test]
async fn without_a_token_only_signing_in_answers() {
    on_each_backend(|server| async move {
        for text in [
            "{ residents { totalCount } }",
            "{ __schema { queryType { name } } }",
            r#"{ __type(name: "Resident") { fields { name } } }"#,
            "mutation M { logout(input: {refreshToken: \"x\"}) { signedOut } } query Q { me { username } }",
            r#"mutation { assignRole(input: {comment: "test", subject: {kind: USER, name: "analyst"}, role: "admin", area: "*"}) { roleAssignment { id } } }"#,
        ] {
            let (status, _, body) = send(&server, None, "application/json", None, query(text)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}: {body}");
            assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{text}: {body}");
            assert!(body.get("data").is_none());
        }
        let signed_in = server
            .anonymous()
            .data(r#"mutation { login(input: {username: "admin", password: "gridgov-demo"}) { session { accessToken } } }"#, json!({}))
            .await;
        assert!(signed_in["login"]["session"]["accessToken"].is_string());
        // A wrong password says so (and looks the same for a wrong name).
        for username in ["admin", "no-such-user"] {
            let body = server
                .graphql("mutation($u: String!) { login(input: {username: $u, password: \"nope\"}) { session { accessToken } } }", json!({"u": username}))
                .await;
            assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
            assert_eq!(body["errors"][0]["message"], "wrong username or password");
        }
        server
    })
    .await;
}

#[tokio::test]
async fn get_runs_queries_and_refuses_mutations() {
    on_each_backend(|server| async move {
        let token = server.token_for("admin").await;
        let get = |params: Vec<(&'static str, String)>| {
            server
                .client
                .get(server.url("/graphql"))
                .query(&params)
                .header(ACCEPT, "application/json")
                .bearer_auth(&token)
                .send()
        };
        let response = get(vec![
            (
                "query",
                "query($c: String!) { grid(code: $c) { code } }".into(),
            ),
            ("variables", r#"{"c": "420502003001001"}"#.into()),
        ])
        .await
        .expect("get");
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["data"]["grid"]["code"], "420502003001001");
        let response = get(vec![(
            "query",
            "mutation { logout(input: {refreshToken: \"x\"}) { signedOut } }".into(),
        )])
        .await
        .expect("get");
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(
            response.headers().get(ALLOW).map(|v| v.as_bytes()),
            Some(&b"POST"[..])
        );
        let response = get(vec![]).await.expect("get");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: Value = response.json().await.expect("json");
        assert_eq!(error_code(&body), Some("BAD_REQUEST"));
        server
    })
    .await;
}

/// Opens a graphql-ws connection and sends `connection_init` with
/// `payload` (or nothing at all); returns the close code, or `None` when the
/// server acknowledged.
async fn close_code(server: &TestServer, payload: Option<Value>) -> Option<u16> {
    use tokio_tungstenite::tungstenite::Message;
    let mut socket = server.open_socket().await;
    match payload {
        Some(payload) => socket
            .send(Message::Text(json!({"type": "connection_init", "payload": payload}).to_string().into()))
            .await
            .expect("init"),
        None => socket
            .send(Message::Text(json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { taskAssigned { id } }"}}).to_string().into()))
            .await
            .expect("subscribe"),
    }
    loop {
        let message = tokio::time::timeout(Duration::from_secs(15), socket.next())
            .await
            .expect("the server answers the handshake")?
            .ok()?;
        match message {
            Message::Text(text) if text.contains("connection_ack") => return None,
            Message::Close(frame) => return frame.map(|frame| u16::from(frame.code)),
            _ => continue,
        }
    }
}

#[tokio::test]
async fn graphql_ws_refuses_with_the_protocols_codes() {
    on_each_backend(|server| async move {
        let token = server.token_for("worker-420502003001001").await;
        assert_eq!(
            close_code(
                &server,
                Some(json!({"Authorization": format!("Bearer {token}")}))
            )
            .await,
            None
        );
        assert_eq!(close_code(&server, Some(json!({}))).await, Some(4403));
        assert_eq!(
            close_code(
                &server,
                Some(json!({"Authorization": "Bearer not-a-token"}))
            )
            .await,
            Some(4403)
        );
        // Subscribing before the handshake is unauthorised.
        assert_eq!(close_code(&server, None).await, Some(4401));
        server
    })
    .await;
}

#[tokio::test]
async fn a_forbidden_write_names_what_was_refused() {
    on_each_backend(|server| async move {
        let worker = server.as_user("worker-420502003001001").await;
        let body = worker
            .graphql(r#"mutation { addPolicy(input: {comment: "test", role: "grid_worker", object: "case", action: "dispatch"}) { policy { id } } }"#, json!({}))
            .await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"));
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("policy") && message.contains("manage"), "{message}");
        server
    })
    .await;
}

#[tokio::test]
async fn limits_say_when_to_come_back() {
    let database = gridgov_tests::TestDatabase::create(gridgov_tests::Backend::Sqlite)
        .await
        .expect("SQLite is always there");
    let server = TestServer::start_on(database, |config| {
        config.admission.caller_rate = 1.0;
        config.admission.caller_burst = 3.0;
    })
    .await;
    let admin = server.token_for("admin").await;
    let mut limited = None;
    for _ in 0..10 {
        let response = server
            .client
            .post(server.url("/graphql"))
            .bearer_auth(&admin)
            .json(&json!({"query": "{ me { username } }"}))
            .send()
            .await
            .expect("answers");
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("a caller past its burst is limited");
    assert!(limited.headers().get(RETRY_AFTER).is_some());
    let body: Value = limited.json().await.expect("json");
    assert_eq!(error_code(&body), Some("RATE_LIMITED"));
    assert!(body["errors"][0]["extensions"]["retryAfter"].as_u64() >= Some(1));
    server.stop().await;
}

#[tokio::test]
async fn a_connection_that_never_says_who_it_is_is_closed() {
    use tokio_tungstenite::tungstenite::Message;
    let database = gridgov_tests::TestDatabase::create(gridgov_tests::Backend::Sqlite)
        .await
        .expect("SQLite is always there");
    let server = TestServer::start_on(database, |_| {}).await;
    let mut socket = server.open_socket().await;
    let closed = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Close(frame) = message {
                return frame.map(|frame| u16::from(frame.code));
            }
        }
        None
    })
    .await
    .expect("closed well within 30 s");
    assert_eq!(closed, Some(4408));
    server.stop().await;
}
