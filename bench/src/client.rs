//! A GraphQL client as a frontend would be: it signs in with a password and
//! sends its bearer token with every request.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

pub const DEMO_PASSWORD: &str = "gridgov-demo";

#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    endpoint: String,
}

/// How one request went.
pub struct Outcome {
    pub elapsed: Duration,
    /// `None` when the response carried data and no errors.
    pub error: Option<String>,
    pub body: Value,
}

/// A mutation's first user error (`userErrors` in its payload), as the
/// outcome's error: a refused change is not a success.
fn user_error(body: &Value) -> Option<String> {
    body["data"].as_object()?.values().find_map(|payload| {
        let code = payload["userErrors"].as_array()?.first()?["code"].as_str()?;
        Some(format!("user error {code}"))
    })
}

impl Api {
    pub fn new(base_url: &str) -> anyhow::Result<Api> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(Api {
            http,
            endpoint: format!("{}/graphql", base_url.trim_end_matches('/')),
        })
    }

    /// Sends one operation and times it, response body read included.
    pub async fn send(&self, token: Option<&str>, query: &str, variables: &Value) -> Outcome {
        let started = Instant::now();
        let mut request = self
            .http
            .post(&self.endpoint)
            .json(&json!({"query": query, "variables": variables}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let result = async {
            let response = request.send().await?;
            let status = response.status();
            let body: Value = response.json().await?;
            Ok::<_, reqwest::Error>((status, body))
        }
        .await;
        let elapsed = started.elapsed();
        match result {
            Ok((status, body)) => {
                let error = if !status.is_success() {
                    Some(format!("HTTP {status}"))
                } else {
                    body.get("errors")
                        .map(|errors| {
                            errors[0]["extensions"]["code"]
                                .as_str()
                                .unwrap_or("ERROR")
                                .to_owned()
                        })
                        .or_else(|| user_error(&body))
                };
                Outcome {
                    elapsed,
                    error,
                    body,
                }
            }
            Err(err) => Outcome {
                elapsed,
                error: Some(if err.is_timeout() {
                    "TIMEOUT".to_owned()
                } else {
                    "NETWORK".to_owned()
                }),
                body: Value::Null,
            },
        }
    }

    /// The `data` of an operation that must succeed (used while setting up).
    pub async fn data(&self, token: &str, query: &str, variables: Value) -> anyhow::Result<Value> {
        let outcome = self.send(Some(token), query, &variables).await;
        if let Some(error) = outcome.error {
            bail!("{error}: {}", outcome.body);
        }
        Ok(outcome.body["data"].clone())
    }

    /// Signs in as a demo account, as a client would, and returns its token.
    pub async fn login(&self, username: &str) -> anyhow::Result<String> {
        let outcome = self
            .send(
                None,
                "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { session { accessToken } } }",
                &json!({"u": username, "p": DEMO_PASSWORD}),
            )
            .await;
        outcome.body["data"]["login"]["session"]["accessToken"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("signing in as {username}: {}", outcome.body))
    }
}
