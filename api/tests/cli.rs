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
        "recount",
        "schema",
        "policy",
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

/// The server's settings before a command would be dropped silently by
/// that command (an operator's `--database-url` ignored, a token issued into
/// the wrong database): refused instead. A command that works on the record
/// refuses a database without this version's schema, naming the remedy,
/// and creates nothing in it.
#[test]
fn misplaced_settings_and_an_empty_database_are_refused_plainly() {
    let data_dir = std::env::temp_dir().join(format!("gridgov-cli-empty-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    for command in [
        &["serve", "--help"][..],
        &["token", "list"],
        &["audit", "verify"],
    ] {
        let output = Command::new(BINARY)
            .arg("--data-dir")
            .arg(&data_dir)
            .args(command)
            .output()
            .expect("gridgov runs");
        let said = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{command:?}: {said}");
        assert!(
            said.contains("cannot be used with '--data-dir"),
            "{command:?}: {said}"
        );
    }
    assert!(!data_dir.exists(), "a refused command touched nothing");
    for command in [
        &["token", "list"][..],
        &["token", "revoke", "1"],
        &["audit", "verify"],
        &["registry", "list"],
        &["compare", "list"],
        &["policy", "list"],
        &[
            "token",
            "issue",
            "--name",
            "x",
            "--department",
            "market-420502",
            "--scope",
            "case:read",
            "--area",
            "420502",
        ],
    ] {
        let output = gridgov(command, &data_dir);
        let said = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{command:?}: {said}");
        assert!(
            said.contains("migrations pending") && said.contains("gridgov migrate"),
            "{command:?}: {said}"
        );
        assert!(!said.contains("panicked"), "{command:?}: {said}");
    }
    assert!(
        !data_dir.join("gridgov.db").exists(),
        "a refused command creates no database"
    );
    let _ = std::fs::remove_dir_all(&data_dir);
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

    audit_from_the_command_line(&data_dir);
    registry_from_the_command_line(&data_dir);
    policy_from_the_command_line(&data_dir);
    recount_from_the_command_line(&data_dir);
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// The database of the city served from `data_dir`, read directly.
async fn city_db(data_dir: &std::path::Path) -> sea_orm::DatabaseConnection {
    let config = gridgov::config::DatabaseConfig {
        database_url: None,
        data_dir: data_dir.to_path_buf(),
        db_max_connections: 1,
        db_acquire_timeout_ms: 2_000,
        audit_key: None,
        match_key: None,
    };
    gridgov::db::connect(&config)
        .await
        .expect("the city's database")
}

/// Runs `gridgov` with `args` on `data_dir`.
fn gridgov(args: &[&str], data_dir: &std::path::Path) -> std::process::Output {
    Command::new(BINARY)
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("DATABASE_URL")
        .output()
        .expect("gridgov runs")
}

/// Runs `gridgov` with `args` on `data_dir`, its standard output a pipe
/// whose reader has gone before anything is written (`| head -0`).
fn with_reader_gone(args: &[&str], data_dir: &std::path::Path) -> std::process::Output {
    let mut child = Command::new(BINARY)
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("gridgov runs");
    drop(child.stdout.take());
    child.wait_with_output().expect("gridgov ends")
}

/// `policy explain` at the command line: the decision in the exit status,
/// the rules that made it, and the condition the subject's lists run with.
fn policy_from_the_command_line(data_dir: &std::path::Path) {
    let explain = |subject: &str, area: &str| {
        gridgov(
            &[
                "policy",
                "explain",
                "--subject",
                subject,
                "--object",
                "resident",
                "--action",
                "read",
                "--area",
                area,
            ],
            data_dir,
        )
    };
    let own = explain("user:worker-420502003001001", "420502003001001");
    let said = String::from_utf8_lossy(&own.stdout);
    assert_eq!(own.status.code(), Some(0), "{said}");
    assert!(
        said.contains("allowed to read resident at 420502003001001"),
        "{said}"
    );
    assert!(
        said.contains("allow  role grid_worker held in 420502003001001"),
        "{said}"
    );
    assert!(
        said.contains("lists run with:") && said.contains("'420502003001001'"),
        "{said}"
    );
    let next = explain("user:worker-420502003001001", "420502003001002");
    let said = String::from_utf8_lossy(&next.stdout);
    assert_eq!(next.status.code(), Some(3), "{said}");
    assert!(
        said.contains("not allowed") && said.contains("no role of the subject applies there"),
        "{said}"
    );
    let bad = explain("worker", "420502003001001");
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--subject"));

    // Try a cover, make it with a window, see it listed and explained, take it back.
    let cover = [
        "--subject",
        "user:worker-420502003001001",
        "--role",
        "grid_worker",
        "--area",
        "420502003001002",
    ];
    let tried = gridgov(
        &[
            "policy",
            "dry-run",
            "--assign",
            "user:worker-420502003001001 grid_worker 420502003001002",
        ],
        data_dir,
    );
    let said = String::from_utf8_lossy(&tried.stdout);
    assert!(
        tried.status.success(),
        "{}",
        String::from_utf8_lossy(&tried.stderr)
    );
    assert!(
        said.contains("1 subjects would change") && said.contains("read resident"),
        "{said}"
    );
    assert!(said.contains("district 420502: +"), "{said}");
    let until = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let mut assign = vec!["policy", "assign"];
    assign.extend(cover);
    assign.extend(["--valid-until", until.as_str()]);
    let uncommented = gridgov(&assign, data_dir);
    assert_eq!(uncommented.status.code(), Some(2), "a comment is required");
    assert!(String::from_utf8_lossy(&uncommented.stderr).contains("--comment"));
    assign.extend(["--comment", "cover while the worker of 002 is on leave"]);
    let made = gridgov(&assign, data_dir);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let listed = gridgov(&["policy", "list"], data_dir);
    let said = String::from_utf8_lossy(&listed.stdout);
    assert!(
        said.lines()
            .any(|line| line.contains("grid_worker 420502003001002") && line.contains("until 20")),
        "{said}"
    );
    assert_eq!(
        explain("user:worker-420502003001001", "420502003001002")
            .status
            .code(),
        Some(0)
    );
    let mut revoke = vec!["policy", "revoke"];
    revoke.extend(cover);
    revoke.extend(["-m", "back from leave"]);
    let revoked = gridgov(&revoke, data_dir);
    assert!(revoked.status.success());
    let version = |said: &str| {
        said.lines()
            .find_map(|line| line.strip_prefix("policy version "))
            .and_then(|rest| rest.split(':').next()?.trim().parse::<i64>().ok())
    };
    let revoked_at =
        version(&String::from_utf8_lossy(&revoked.stdout)).expect("the version is printed");
    assert_eq!(
        explain("user:worker-420502003001001", "420502003001002")
            .status
            .code(),
        Some(3)
    );
    let again = gridgov(&revoke, data_dir);
    assert_eq!(again.status.code(), Some(1), "revoking twice is refused");

    // The history names both versions, newest first, with their reasons.
    let history = gridgov(&["policy", "history", "--limit", "2"], data_dir);
    let said = String::from_utf8_lossy(&history.stdout);
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines.len(), 2, "{said}");
    assert!(
        lines[0].contains("back from leave")
            && lines[0].trim_start().starts_with(&revoked_at.to_string()),
        "{said}"
    );
    assert!(
        lines[1].contains("cover while the worker of 002 is on leave"),
        "{said}"
    );
    let shown = gridgov(
        &["policy", "history", "--number", &revoked_at.to_string()],
        data_dir,
    );
    let said = String::from_utf8_lossy(&shown.stdout);
    assert!(
        said.contains("- g  user:worker-420502003001001 grid_worker 420502003001002"),
        "{said}"
    );

    // Rolling back to before the revocation restores the cover, window and
    // all, as a new version.
    let before = (revoked_at - 1).to_string();
    let rolled = gridgov(
        &[
            "policy",
            "rollback",
            "--to",
            &before,
            "-m",
            "leave extended",
        ],
        data_dir,
    );
    let said = String::from_utf8_lossy(&rolled.stdout);
    assert!(
        rolled.status.success(),
        "{}",
        String::from_utf8_lossy(&rolled.stderr)
    );
    assert_eq!(version(&said), Some(revoked_at + 1), "{said}");
    assert!(
        said.contains("+ g  user:worker-420502003001001 grid_worker 420502003001002")
            && said.contains("until 20"),
        "{said}"
    );
    assert_eq!(
        explain("user:worker-420502003001001", "420502003001002")
            .status
            .code(),
        Some(0)
    );
    let same = gridgov(
        &["policy", "rollback", "--to", &before, "-m", "again"],
        data_dir,
    );
    assert_eq!(same.status.code(), Some(1), "nothing left to roll back");

    // A set of edits as one version, refused whole when one part is wrong.
    let apply = |extra: &[&str]| {
        let mut args = vec![
            "policy",
            "apply",
            "--add-policy",
            "cli_campaign statistics read allow",
            "--assign",
            "user:analyst cli_campaign 420502",
            "-m",
            "the census campaign",
        ];
        args.extend(extra);
        gridgov(&args, data_dir)
    };
    let stale = apply(&["--at-version", "1"]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&stale.stderr).contains("changed since version 1"),
        "{}",
        String::from_utf8_lossy(&stale.stderr)
    );
    let applied = apply(&[]);
    let said = String::from_utf8_lossy(&applied.stdout);
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    assert_eq!(version(&said), Some(revoked_at + 2), "{said}");
    assert!(said.contains("+ p") && said.contains("+ g"), "{said}");
}

/// The audit log at the command line, on a city that has served: the chain
/// verifies, the export is JSON Lines that resume where they stopped, and
/// a person's access report lists what touched their record.
fn audit_from_the_command_line(data_dir: &std::path::Path) {
    let verified = gridgov(&["audit", "verify"], data_dir);
    let said = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{said}");
    assert!(said.contains("every link and seal verifies"), "{said}");

    let file = data_dir.join("audit.jsonl");
    let path = file.to_string_lossy().into_owned();
    let exported = gridgov(&["audit", "export", "--out", &path], data_dir);
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let text = std::fs::read_to_string(&file).expect("the export");
    let numbers: Vec<i64> = text
        .lines()
        .map(|line| {
            let entry: serde_json::Value =
                serde_json::from_str(line).expect("one JSON object a line");
            assert!(entry["seal"].is_string(), "{entry}");
            entry["number"].as_i64().expect("a number")
        })
        .collect();
    assert!(numbers.len() >= 3, "{text}");
    assert!(
        numbers.windows(2).all(|pair| pair[0] < pair[1]),
        "oldest first"
    );
    let last = numbers.last().copied().unwrap_or_default().to_string();
    let resumed = gridgov(
        &["audit", "export", "--after", &last, "--out", &path],
        data_dir,
    );
    assert!(resumed.status.success());
    let text = std::fs::read_to_string(&file).expect("the export");
    let more: Vec<i64> = text
        .lines()
        .skip(numbers.len())
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|entry| entry["number"].as_i64())
        .collect();
    // Only what was written since: the second export's own entry.
    assert_eq!(more.len(), 1, "{more:?}");

    let number = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(async {
            use sea_orm::EntityTrait;
            let db = city_db(data_dir).await;
            entities::resident::Entity::find()
                .one(&db)
                .await
                .expect("a read")
                .expect("a resident")
                .id_number
        });
    let report = data_dir.join("report.txt");
    let reported = gridgov(
        &[
            "audit",
            "access-report",
            &number,
            "--out",
            &report.to_string_lossy(),
        ],
        data_dir,
    );
    assert!(
        reported.status.success(),
        "{}",
        String::from_utf8_lossy(&reported.stderr)
    );
    let text = std::fs::read_to_string(&report).expect("the report");
    assert!(text.starts_with("个人信息访问记录"), "{text}");
    assert!(
        !text.contains(&number),
        "the number itself stays out: {text}"
    );
    assert!(
        text.contains(&format!("{}{}", "*".repeat(17), &number[17..])),
        "{text}"
    );

    let unknown = gridgov(&["audit", "access-report", "420502199001011234"], data_dir);
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("not found"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );
}

/// A registry file imported from the command line: a bad one refused with
/// its faults (exit status 1, nothing stored), a good one stored and listed.
fn registry_from_the_command_line(data_dir: &std::path::Path) {
    let people: Vec<(String, entities::resident::ResidentStatus)> =
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(async {
                use sea_orm::{EntityTrait, QuerySelect};
                let db = city_db(data_dir).await;
                entities::resident::Entity::find()
                    .select_only()
                    .column(entities::resident::Column::IdNumber)
                    .column(entities::resident::Column::Status)
                    .limit(5)
                    .into_tuple()
                    .all(&db)
                    .await
                    .expect("residents")
            });
    let numbers: Vec<String> = people.iter().map(|(number, _)| number.clone()).collect();
    let rows: Vec<String> = numbers
        .iter()
        .map(|number| format!("{number},某人,2026-01-0{}", number.len() % 9 + 1))
        .collect();
    let bad = data_dir.join("deaths-bad.csv");
    std::fs::write(
        &bad,
        format!(
            "id_number,name,death_date\n{}\n{},某人,yesterday\n",
            rows[0], numbers[1]
        ),
    )
    .expect("a file");
    let refused = gridgov(
        &[
            "registry",
            "import",
            "--kind",
            "deaths",
            &bad.to_string_lossy(),
        ],
        data_dir,
    );
    let said = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{said}");
    assert!(said.contains("refused: 1 faults, nothing stored"), "{said}");
    assert!(said.contains("line 3, death_date"), "{said}");

    let good = data_dir.join("deaths.csv");
    std::fs::write(
        &good,
        format!("id_number,name,death_date\n{}\n", rows.join("\n")),
    )
    .expect("a file");
    let stored = gridgov(
        &[
            "registry",
            "import",
            "--kind",
            "deaths",
            &good.to_string_lossy(),
        ],
        data_dir,
    );
    let said = String::from_utf8_lossy(&stored.stdout);
    assert!(
        stored.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&stored.stderr)
    );
    assert!(said.contains("of deaths: 5 rows"), "{said}");
    let listed = gridgov(&["registry", "list"], data_dir);
    let listing = String::from_utf8_lossy(&listed.stdout);
    let lines: Vec<&str> = listing
        .lines()
        .skip(1)
        .filter(|line| line.contains("\tcli\t"))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "only the stored file is a new snapshot: {listing}"
    );
    assert!(lines[0].contains("deaths\tCurrent\t5\t"), "{listing}");
    assert!(listing.contains("deaths\tSuperseded\t"), "{listing}");

    // Compared with the new death register, the record's living among
    // those five are found, and the demo's planted deaths no longer hold.
    let living = people
        .iter()
        .filter(|(_, status)| *status == entities::resident::ResidentStatus::Active)
        .count();
    let compared = gridgov(&["compare", "run", "--kind", "deaths"], data_dir);
    let said = String::from_utf8_lossy(&compared.stdout);
    assert!(
        compared.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&compared.stderr)
    );
    assert!(said.contains("with deaths of the city: finished"), "{said}");
    let died = said
        .lines()
        .find(|line| line.trim_start().starts_with("died"))
        .unwrap_or_default();
    let standing: Vec<&str> = died.split_whitespace().collect();
    assert_eq!(
        standing.get(2).copied(),
        Some(living.to_string().as_str()),
        "{said}"
    );
    let listed = gridgov(&["compare", "list"], data_dir);
    let listing = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listing
            .lines()
            .next()
            .is_some_and(|line| line.contains("with deaths of the city: finished")
                && line.contains("started by cli")),
        "{listing}"
    );
    for listing in [["compare", "list"], ["registry", "list"], ["token", "list"]] {
        let stopped = with_reader_gone(&listing, data_dir);
        let said = String::from_utf8_lossy(&stopped.stderr);
        assert!(stopped.status.success(), "{listing:?}: {said}");
        assert!(!said.contains("panicked"), "{listing:?}: {said}");
    }
    let nowhere = gridgov(
        &["compare", "run", "--kind", "deaths", "--area", "4205"],
        data_dir,
    );
    assert!(!nowhere.status.success());
    assert!(String::from_utf8_lossy(&nowhere.stderr).contains("--area"));

    let unknown = gridgov(
        &["registry", "import", "--kind", "births", "x.csv"],
        data_dir,
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("household, deaths"));
}

/// `recount`: a grid's kept count altered by hand is named by `--check`
/// (exit status 1, nothing changed) and put back by a recount to what the
/// record holds: its active residents.
fn recount_from_the_command_line(data_dir: &std::path::Path) {
    use entities::{grid_count, resident};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // The first grid's kept count of residents, and what the record says.
    let read = || {
        runtime.block_on(async {
            let db = city_db(data_dir).await;
            let row = grid_count::Entity::find()
                .order_by_asc(grid_count::Column::GridCode)
                .one(&db)
                .await
                .expect("grid counts")
                .expect("a grid");
            let active = resident::Entity::find()
                .filter(resident::Column::GridCode.eq(row.grid_code.as_str()))
                .filter(resident::Column::Status.eq(resident::ResidentStatus::Active))
                .count(&db)
                .await
                .expect("residents");
            (row.grid_code, i64::from(row.residents), active as i64)
        })
    };
    let clean = gridgov(&["recount", "--check"], data_dir);
    let said = String::from_utf8_lossy(&clean.stdout).into_owned();
    assert!(
        clean.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    assert!(said.contains("; 0 differ"), "{said}");
    let (grid, kept, active) = read();
    assert_eq!(kept, active);

    runtime.block_on(async {
        use sea_orm::ConnectionTrait;
        let db = city_db(data_dir).await;
        db.execute_unprepared(&format!(
            "UPDATE grid_counts SET residents = residents + 3 WHERE grid_code = '{grid}'"
        ))
        .await
        .expect("a count altered by hand");
    });
    let checked = gridgov(&["recount", "--check"], data_dir);
    let said = String::from_utf8_lossy(&checked.stdout).into_owned();
    assert_eq!(checked.status.code(), Some(1), "{said}");
    assert!(said.contains(&format!("; 1 differ: {grid}")), "{said}");
    assert_eq!(read().1, active + 3, "a check changes nothing");

    let fixed = gridgov(&["recount"], data_dir);
    let said = String::from_utf8_lossy(&fixed.stdout).into_owned();
    assert!(fixed.status.success(), "{said}");
    assert!(
        said.contains(&format!("1 differed and were corrected: {grid}")),
        "{said}"
    );
    assert_eq!(read().1, active);
    assert!(gridgov(&["recount", "--check"], data_dir).status.success());
}
