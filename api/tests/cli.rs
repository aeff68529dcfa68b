//! The binary as a user meets it: `--help`, and the README's first command
//! (serve on an empty data directory) started, probed and stopped by SIGTERM.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::BINARY;

#[test]
fn help_lists_the_commands_and_settings() {
    let output = Command::new(BINARY)
        .arg("--help")
        .output()
        .expect("gridgov runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "serve",
        "migrate",
        "seed",
        "schema",
        "--database-url",
        "--listen",
        "DATABASE_URL",
    ] {
        assert!(
            help.contains(expected),
            "--help mentions {expected}:\n{help}"
        );
    }
    let output = Command::new(BINARY)
        .args(["seed", "--help"])
        .output()
        .expect("gridgov runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(
        help.contains("--residents") && help.contains("--reset"),
        "{help}"
    );
}

#[test]
fn serve_creates_seeds_answers_and_stops_on_sigterm() {
    let data_dir = std::env::temp_dir().join(format!("gridgov-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let common::Serving {
        mut child,
        address,
        printed,
    } = common::serve(&["--residents", "500"], &data_dir);
    for line in &printed {
        assert!(!line.contains("password="), "no secrets printed: {line}");
    }
    assert!(
        printed
            .iter()
            .any(|line| line.contains("admin") && line.contains("gridgov-demo")),
        "the first start names an account to sign in with: {printed:?}"
    );
    assert!(
        data_dir.join("gridgov.db").exists(),
        "the data directory and database were created"
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let health = client
            .get(format!("{address}/healthz"))
            .send()
            .await
            .expect("healthz");
        assert!(health.status().is_success());
        let login: serde_json::Value = client
            .post(format!("{address}/graphql"))
            .json(&serde_json::json!({"query": "mutation { login(input: {username: \"admin\", password: \"gridgov-demo\"}) { session { accessToken } } }"}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("json");
        let token = login["data"]["login"]["session"]["accessToken"].as_str().expect("the demo admin signs in");
        let body: serde_json::Value = client
            .post(format!("{address}/graphql"))
            .bearer_auth(token)
            .json(&serde_json::json!({"query": "{ grids { totalCount } }"}))
            .send()
            .await
            .expect("graphql")
            .json()
            .await
            .expect("json");
        assert_eq!(body["data"]["grids"]["totalCount"], 1120);
    });

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the server stops after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "a graceful stop exits 0: {status}");

    // Tokens from the command line, on the same data directory.
    let issued = Command::new(BINARY)
        .args([
            "token",
            "issue",
            "--name",
            "nightly export",
            "--department",
            "market-420502",
        ])
        .args([
            "--scope",
            "case:read",
            "--area",
            "420502",
            "--days",
            "30",
            "--data-dir",
        ])
        .arg(&data_dir)
        .env_remove("DATABASE_URL")
        .output()
        .expect("token issue runs");
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    let secret = String::from_utf8_lossy(&issued.stdout).trim().to_owned();
    assert!(secret.starts_with("ggv_") && secret.len() > 40, "{secret}");
    let listed = Command::new(BINARY)
        .args(["token", "list", "--data-dir"])
        .arg(&data_dir)
        .env_remove("DATABASE_URL")
        .output()
        .expect("token list runs");
    let listing = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listing.contains("nightly export") && listing.contains(&secret[..12]),
        "{listing}"
    );
    assert!(
        !listing.contains(&secret),
        "the secret is never listed again"
    );
    let refused = Command::new(BINARY)
        .args([
            "token",
            "issue",
            "--name",
            "x",
            "--department",
            "market-420502",
            "--scope",
            "cases:read",
        ])
        .args(["--area", "420502", "--data-dir"])
        .arg(&data_dir)
        .env_remove("DATABASE_URL")
        .output()
        .expect("token issue runs");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("scopes"));
    let _ = std::fs::remove_dir_all(&data_dir);
}
