//! One caller cannot take the database from the others: ten managers each
//! flooding the server with batches of statistics (every batch within the
//! configured limits) are slowed down with RATE_LIMITED, while a grid
//! worker's page reads keep being answered, without an error.

use gridgov_tests::{Backend, TestDatabase, TestServer};
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde_json::{Value, json};

const STATISTICS: &str = "{ statistics { residents children { residents } } }";

/// Sends `rounds` batches of five statistics as `token`; returns the codes
/// of every operation (`OK` for an answer).
async fn flood(server: &TestServer, token: String, rounds: usize) -> Vec<String> {
    let mut codes = Vec::new();
    let batch: Vec<Value> = (0..5).map(|_| json!({"query": STATISTICS})).collect();
    let sends = (0..rounds).map(|_| {
        server
            .client
            .post(server.url("/graphql"))
            .bearer_auth(&token)
            .json(&batch)
            .send()
    });
    for response in futures_util::future::join_all(sends).await {
        let response = response.expect("the server answers");
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(response.headers().contains_key(RETRY_AFTER));
        }
        let body: Value = response.json().await.expect("GraphQL responses");
        let code_of = |answer: &Value| {
            answer["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or("OK")
                .to_owned()
        };
        match body.as_array() {
            Some(operations) => codes.extend(operations.iter().map(code_of)),
            // A batch refused as a whole is one answer for its five.
            None => codes.extend(std::iter::repeat_n(code_of(&body), 5)),
        }
    }
    codes
}

#[tokio::test]
async fn a_flood_of_statistics_is_slowed_down_and_page_reads_go_on() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(database) = TestDatabase::create(backend).await else {
            continue;
        };
        let server = TestServer::start_on(database, |config| {
            config.admission.caller_rate = 5.0;
            config.admission.caller_burst = 40.0;
            config.admission.caller_concurrency = 2;
            config.admission.queue_wait_ms = 300;
        })
        .await;
        let flooders = [
            "district-420502",
            "district-420503",
            "district-420504",
            "district-420505",
            "district-420506",
            "street-420502001",
            "street-420502002",
            "street-420502003",
            "street-420503001",
            "street-420503002",
        ];
        let mut tokens = Vec::new();
        for username in flooders {
            tokens.push(server.token_for(username).await);
        }
        let worker = server.as_user("worker-420502003001001").await;
        let floods = futures_util::future::join_all(
            tokens.into_iter().map(|token| flood(&server, token, 12)),
        );
        let reads = async {
            let mut answered = 0;
            for _ in 0..30 {
                let body = worker
                    .graphql(
                        "{ residents(first: 50) { totalCount edges { node { name } } } }",
                        json!({}),
                    )
                    .await;
                assert!(
                    body.get("errors").is_none(),
                    "[{backend:?}] a page read failed: {body}"
                );
                answered += 1;
            }
            answered
        };
        let (codes, answered) = tokio::join!(floods, reads);
        assert_eq!(answered, 30);
        let codes: Vec<String> = codes.into_iter().flatten().collect();
        assert_eq!(codes.len(), 10 * 12 * 5);
        for code in &codes {
            assert!(
                code == "OK" || code == "RATE_LIMITED",
                "[{backend:?}] a flood got {code}"
            );
        }
        assert!(
            codes.iter().any(|code| code == "RATE_LIMITED"),
            "the flood is slowed down"
        );
        assert!(
            codes.iter().any(|code| code == "OK"),
            "within its share a flooder is served"
        );
        server.stop().await;
    }
}
