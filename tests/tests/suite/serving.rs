//! The server as an operator meets it: probes, GraphiQL, limits, shutdown.

use gridgov_tests::{Backend, TestServer, on_each_backend};
use reqwest::StatusCode;
use reqwest::header::ACCEPT;

async fn get(server: &TestServer, path: &str) -> reqwest::Response {
    server
        .client
        .get(server.url(path))
        .send()
        .await
        .expect(path)
}

#[tokio::test]
async fn probes_answer() {
    on_each_backend(|server| async move {
        assert_eq!(get(&server, "/healthz").await.status(), StatusCode::OK);
        let ready = get(&server, "/readyz").await;
        assert_eq!(ready.status(), StatusCode::OK);
        let body: serde_json::Value = ready.json().await.expect("json");
        assert_eq!(body["status"], "ready");
        server
    })
    .await;
}

/// Everything GraphiQL's page loads names this server; a name that carries
/// a version is kept by browsers for a year, our own files are asked again
/// (cheaply, by ETag). The page itself may load nothing else (CSP).
#[tokio::test]
async fn graphiql_loads_everything_from_this_server() {
    let server = TestServer::start(Backend::Sqlite).await.expect("SQLite");
    let page = server
        .client
        .get(server.url("/graphql"))
        .header(ACCEPT, "text/html")
        .send()
        .await
        .expect("graphiql");
    assert_eq!(page.status(), StatusCode::OK);
    let policy = header(&page, "content-security-policy");
    assert!(policy.contains("default-src 'self'"), "{policy}");
    assert!(
        !policy.contains("script-src"),
        "scripts fall back to 'self': {policy}"
    );
    let html = page.text().await.expect("html");
    let loads = references(&html);
    assert!(
        loads.len() >= 5,
        "React, ReactDOM, GraphiQL, its CSS and ours: {loads:?}"
    );
    for reference in &loads {
        if reference.starts_with("data:") {
            continue;
        }
        assert!(reference.starts_with("/assets/"), "{reference} is not ours");
        let asset = server
            .client
            .get(server.url(reference))
            .send()
            .await
            .expect("asset");
        assert_eq!(asset.status(), StatusCode::OK, "{reference}");
        let kind = header(&asset, "content-type");
        let expected = if reference.ends_with(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        assert!(kind.starts_with(expected), "{reference}: {kind}");
        assert_eq!(header(&asset, "x-content-type-options"), "nosniff");
        let versioned = reference
            .split(['-', '.'])
            .filter(|part| part.parse::<u32>().is_ok())
            .count()
            >= 3;
        let cache = header(&asset, "cache-control");
        if versioned {
            assert!(
                cache.contains("immutable") && cache.contains("max-age=31536000"),
                "{reference}: {cache}"
            );
        } else {
            assert_eq!(cache, "no-cache", "{reference}");
        }
        let tag = header(&asset, "etag");
        let length = asset.bytes().await.expect("bytes").len();
        assert!(length > 100, "{reference} is {length} bytes");
        let again = server
            .client
            .get(server.url(reference))
            .header("if-none-match", &tag)
            .send()
            .await
            .expect("asset again");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{reference}");
        assert!(again.bytes().await.expect("empty").is_empty());
    }

    // The licences travel with the libraries.
    for licence in ["LICENSE.graphiql", "LICENSE.react", "LICENSE.react-dom"] {
        let text = server
            .client
            .get(server.url(&format!("/assets/{licence}")))
            .send()
            .await
            .expect("licence")
            .text()
            .await
            .expect("text");
        assert!(text.contains("MIT License"), "{licence}");
    }
    for missing in ["/assets/nothing.js", "/assets/..%2FCargo.toml", "/assets/"] {
        let answer = server
            .client
            .get(server.url(missing))
            .send()
            .await
            .expect("get");
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{missing}");
    }
    server.stop().await;
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_owned()
}

/// Every `src` and `href` of a page.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in [" src=\"", " href=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attribute) {
            rest = &rest[at + attribute.len()..];
            let end = rest.find('"').expect("a closing quote");
            found.push(rest[..end].to_owned());
        }
    }
    found
}

#[tokio::test]
async fn browsers_get_graphiql_and_other_gets_need_a_query() {
    on_each_backend(|server| async move {
        let page = server
            .client
            .get(server.url("/graphql"))
            .header(ACCEPT, "text/html,application/xhtml+xml")
            .send()
            .await
            .expect("graphiql");
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.expect("html");
        assert!(html.to_lowercase().contains("graphiql"));

        // Any other GET is a query from the URL; without one it says so.
        let plain = server
            .client
            .get(server.url("/graphql"))
            .send()
            .await
            .expect("get");
        assert_eq!(plain.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = plain.json().await.expect("a GraphQL response");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
        server
    })
    .await;
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    on_each_backend(|server| async move {
        let padding = " ".repeat(300 * 1024);
        let response = server
            .client
            .post(server.url("/graphql"))
            .header("content-type", "application/json")
            .body(format!(
                "{{\"query\": \"{{ areas {{ totalCount }} }}{padding}\"}}"
            ))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        server
    })
    .await;
}

#[tokio::test]
async fn metrics_tell_an_operator_what_the_server_is_doing() {
    on_each_backend(|server| async move {
        let admin = server.as_user("admin").await;
        admin
            .data("{ me { username } }", serde_json::json!({}))
            .await;
        let refused = admin
            .graphql("{ noSuchField }", serde_json::json!({}))
            .await;
        assert!(refused.get("errors").is_some());
        let text = server.metrics().await;
        let pool = match server.backend {
            Backend::Sqlite => gridgov_tests::SQLITE_POOL,
            Backend::Postgres => gridgov_tests::POSTGRES_POOL,
        };
        for expected in [
            "gridgov_sql_statements_total ",
            "gridgov_operations_total{operation=\"query:me\",code=\"OK\"} ",
            "gridgov_operations_total{operation=\"-\",code=\"GRAPHQL_VALIDATION_FAILED\"} ",
            "gridgov_operation_seconds_bucket{operation=\"query:me\",le=\"+Inf\"} ",
            "gridgov_operation_seconds_count{operation=\"query:me\"} ",
            // Every connection opened at start and kept: none is opened
            // while a burst of requests waits.
            &format!("gridgov_db_pool_connections {pool}\n"),
            "gridgov_db_pool_in_use ",
            &format!("gridgov_db_pool_max {pool}"),
            "gridgov_operations_running ",
            "gridgov_operations_waiting ",
            "gridgov_scans_running ",
            "gridgov_subscriptions_open 0",
            "gridgov_policy_version ",
        ] {
            assert!(text.contains(expected), "/metrics has {expected}:\n{text}");
        }
        // Every line is a comment or `name{labels} value`.
        for line in text.lines().filter(|line| !line.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap_or_default();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
        server
    })
    .await;
}

/// Requests' pool at its smallest: the listeners hold, and the audit
/// chainer and the announcer of events use, connections of their own, so
/// one connection serves requests, writes included, and their live events
/// still arrive.
#[tokio::test]
async fn one_connection_for_requests_serves_reads_writes_and_live_events() {
    const GRID: &str = "420502003001001";
    const REPORT: &str = "mutation($t: String!) { reportCase(input: {title: $t, \
        description: \"路面破损\", gridCode: \"420502003001001\", location: \"西陵一路\"}) \
        { case { id } userErrors { code } } }";
    gridgov_tests::on_each_backend_with(
        |config| config.database.db_max_connections = 1,
        |server| async move {
            assert_eq!(get(&server, "/readyz").await.status(), StatusCode::OK);
            let token = server.token_for(&format!("worker-{GRID}")).await;
            let worker = server.with_bearer(&token);
            let mut live = server
                .subscribe(
                    &token,
                    "subscription($g: String) { caseChanged(within: $g) { id } }",
                    serde_json::json!({"g": GRID}),
                )
                .await;
            live.until_live(|| async {
                worker.data(REPORT, serde_json::json!({"t": "探测"})).await;
            })
            .await;
            let reported = worker
                .data(REPORT, serde_json::json!({"t": "井盖缺失"}))
                .await;
            let id = reported["reportCase"]["case"]["id"].clone();
            assert!(id.is_string(), "{reported}");
            let event = live
                .next(std::time::Duration::from_secs(5))
                .await
                .expect("the report's event arrives");
            assert_eq!(event["caseChanged"]["id"], id);
            let page = worker
                .data(
                    "query($g: String) { cases(filter: {within: $g}) { totalCount } }",
                    serde_json::json!({"g": GRID}),
                )
                .await;
            assert!(page["cases"]["totalCount"].as_i64() >= Some(2), "{page}");
            server
        },
    )
    .await;
}
