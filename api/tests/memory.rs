//! Memory comes back: a burst of sign-ins and of live connections leaves the
//! server (the real binary, in its own process) under 250 MB resident.
//! Password checks run on a fixed pool whose buffers are reused, excess
//! sign-ins are refused at once, and each connection's buffers are small.

mod common;

use std::process::Child;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const SIGN_INS: usize = 2_000;
const CONNECTIONS: usize = 5_000;
const LIMIT_BYTES: u64 = 250 * 1024 * 1024;

/// Resident memory of a process, from `/proc`.
fn resident_bytes(child: &Child) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).expect("proc status");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|value| value.parse().ok())
        .expect("VmRSS");
    kib * 1024
}

struct Server {
    child: Child,
    address: String,
    data_dir: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

fn start() -> Server {
    let data_dir = std::env::temp_dir().join(format!("gridgov-memory-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    // All the burst comes from one address: lift the per-caller limits, so
    // that what holds is the server's own bound on work and on password
    // checks.
    let serving = common::serve(
        &[
            "--residents",
            "500",
            "--caller-rate",
            "0",
            "--caller-concurrency",
            "100000",
        ],
        &data_dir,
    );
    assert!(
        !serving.printed.is_empty(),
        "the settings are printed on start"
    );
    Server {
        child: serving.child,
        address: serving.address,
        data_dir,
    }
}

#[test]
fn a_burst_of_sign_ins_and_connections_leaves_memory_bounded() {
    let server = start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let before = resident_bytes(&server.child);
    let outcome = runtime.block_on(async {
        let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client");
        let url = format!("{}/graphql", server.address);
        let login = |username: String, password: &'static str| {
            let client = client.clone();
            let url = url.clone();
            async move {
                let response = client
                    .post(&url)
                    .json(&json!({"query": "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { session { accessToken } } }", "variables": {"u": username, "p": password}}))
                    .send()
                    .await
                    .ok()?;
                response.json::<serde_json::Value>().await.ok()
            }
        };
        // The burst: every sign-in at once, each to its own name so that
        // the per-name throttle does not stop them first.
        let answers = futures_util::future::join_all((0..SIGN_INS).map(|n| login(format!("nobody-{n}"), "guess"))).await;
        let refused = answers
            .iter()
            .flatten()
            .filter(|body| matches!(body["errors"][0]["extensions"]["code"].as_str(), Some("RATE_LIMITED" | "UNAVAILABLE")))
            .count();
        let checked = answers
            .iter()
            .flatten()
            .filter(|body| body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED")
            .count();

        let token = login("admin".to_owned(), "gridgov-demo").await.expect("admin signs in")["data"]["login"]["session"]["accessToken"]
            .as_str()
            .expect("a token")
            .to_owned();
        // Live connections, opened, acknowledged and closed in waves.
        let ws = url.replacen("http://", "ws://", 1);
        let mut acknowledged = 0;
        for _ in 0..CONNECTIONS / 250 {
            let wave = (0..250).map(|_| {
                let (ws, token) = (ws.clone(), token.clone());
                async move {
                    let mut request = ws.into_client_request().ok()?;
                    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().ok()?);
                    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.ok()?;
                    let init = json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}});
                    socket.send(Message::Text(init.to_string().into())).await.ok()?;
                    let acked = matches!(socket.next().await, Some(Ok(Message::Text(text))) if text.contains("connection_ack"));
                    let _ = socket.close(None).await;
                    Some(acked)
                }
            });
            acknowledged += futures_util::future::join_all(wave).await.into_iter().flatten().filter(|acked| *acked).count();
        }
        (refused, checked, acknowledged)
    });
    // Let the server finish closing what the clients closed.
    std::thread::sleep(Duration::from_secs(2));
    let after = resident_bytes(&server.child);
    let (refused, checked, acknowledged) = outcome;
    eprintln!(
        "resident before {} MiB, after {} MiB; sign-ins checked {checked}, refused {refused}; connections acknowledged {acknowledged}",
        before / 1024 / 1024,
        after / 1024 / 1024
    );
    assert_eq!(
        checked + refused,
        SIGN_INS,
        "every sign-in was answered: checked or refused"
    );
    assert!(refused > 0, "the pool refuses what it cannot queue");
    assert_eq!(acknowledged, CONNECTIONS);
    assert!(
        after < LIMIT_BYTES,
        "resident {} MiB after the burst",
        after / 1024 / 1024
    );
}
