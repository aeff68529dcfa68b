//! The server as an operator meets it: probes, GraphiQL, limits, shutdown.

use gridgov_tests::on_each_backend;
use reqwest::StatusCode;
use reqwest::header::ACCEPT;

#[tokio::test]
async fn probes_answer() {
    on_each_backend(|server| async move {
        let health = server
            .client
            .get(server.url("/healthz"))
            .send()
            .await
            .expect("healthz");
        assert_eq!(health.status(), StatusCode::OK);
        let ready = server
            .client
            .get(server.url("/readyz"))
            .send()
            .await
            .expect("readyz");
        assert_eq!(ready.status(), StatusCode::OK);
        let body: serde_json::Value = ready.json().await.expect("json");
        assert_eq!(body["status"], "ready");
        server
    })
    .await;
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
        for expected in [
            "gridgov_sql_statements_total ",
            "gridgov_operations_total{operation=\"query:me\",code=\"OK\"} ",
            "gridgov_operations_total{operation=\"-\",code=\"GRAPHQL_VALIDATION_FAILED\"} ",
            "gridgov_operation_seconds_bucket{operation=\"query:me\",le=\"+Inf\"} ",
            "gridgov_operation_seconds_count{operation=\"query:me\"} ",
            "gridgov_db_pool_connections ",
            "gridgov_db_pool_in_use ",
            "gridgov_db_pool_max 5",
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
